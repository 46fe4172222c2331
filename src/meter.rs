//! The progress line for long row copies: on stderr, only when stderr is a
//! terminal, and only once a copy has run for a moment, so quick migrations
//! and logs stay quiet.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use autogen::app::thousands;
use autogen::app::{Copying, ProgressSink};

/// How long a copy runs before its progress is shown.
const DELAY: Duration = Duration::from_millis(700);
/// The shortest time between two redraws.
const REDRAW: Duration = Duration::from_millis(100);

/// A progress sink drawing on stderr, or `None` when stderr is not a
/// terminal or the user asked for quiet.
pub fn stderr_sink(quiet: bool) -> Option<ProgressSink> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let meter = Mutex::new(Meter::new(std::io::stderr()));
    Some(Arc::new(move |c: &Copying| meter.lock().map(|mut m| m.report(c, Instant::now())).unwrap_or(())))
}

pub struct Meter<W> {
    out: W,
    copy: Option<Started>,
}

struct Started {
    table: String,
    at: Instant,
    drawn: Option<Instant>,
}

impl<W: Write> Meter<W> {
    pub fn new(out: W) -> Self {
        Meter { out, copy: None }
    }

    pub fn report(&mut self, c: &Copying, now: Instant) {
        if self.copy.as_ref().is_none_or(|s| s.table != c.table) {
            self.copy = Some(Started { table: c.table.clone(), at: now, drawn: None });
        }
        let Some(started) = self.copy.as_mut() else { return };
        if c.done {
            if started.drawn.is_some() {
                let _ = writeln!(self.out, "\r{}", line(c));
            }
            self.copy = None;
            return;
        }
        if now.duration_since(started.at) < DELAY || started.drawn.is_some_and(|d| now.duration_since(d) < REDRAW) {
            return;
        }
        started.drawn = Some(now);
        let _ = write!(self.out, "\r{}", line(c));
        let _ = self.out.flush();
    }
}

fn line(c: &Copying) -> String {
    let percent = (c.copied * 100).checked_div(c.total).unwrap_or(100);
    format!(
        "  copying `{}`: {} of {} rows ({percent}%)",
        c.table,
        thousands(c.copied as i64),
        thousands(c.total as i64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copying(copied: u64, done: bool) -> Copying {
        Copying { table: "todos".into(), copied, total: 1_000_000, done }
    }

    #[test]
    fn a_quick_copy_draws_nothing() {
        let mut meter = Meter::new(Vec::new());
        let t0 = Instant::now();
        meter.report(&copying(10, false), t0);
        meter.report(&copying(900_000, false), t0 + Duration::from_millis(300));
        meter.report(&copying(1_000_000, true), t0 + Duration::from_millis(400));
        assert!(meter.out.is_empty());
    }

    #[test]
    fn a_long_copy_draws_after_a_moment_and_ends_its_line() {
        let mut meter = Meter::new(Vec::new());
        let t0 = Instant::now();
        meter.report(&copying(10, false), t0);
        meter.report(&copying(450_000, false), t0 + Duration::from_millis(800));
        meter.report(&copying(460_000, false), t0 + Duration::from_millis(850)); // too soon to redraw
        meter.report(&copying(600_000, false), t0 + Duration::from_millis(950));
        meter.report(&copying(1_000_000, true), t0 + Duration::from_millis(1200));
        assert_eq!(
            String::from_utf8(meter.out).unwrap(),
            "\r  copying `todos`: 450,000 of 1,000,000 rows (45%)\r  copying `todos`: 600,000 of 1,000,000 rows \
                (60%)\r  copying `todos`: 1,000,000 of 1,000,000 rows (100%)\n"
        );
    }
}
