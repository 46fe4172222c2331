//! Running another program to its end, or stopping it at a deadline:
//! wrangler for D1, and the model programs that print an ORM's schema.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How a program run under a deadline ended.
pub enum Ran {
    /// It exited on its own.
    Finished(Output),
    /// It was still running at the deadline and was killed; what it had
    /// written to standard error by then (often why it waits).
    Stopped { stderr: Vec<u8> },
}

/// How long the pipes of a killed program are still read: a process it
/// started may hold them open after it is gone.
const DRAIN: Duration = Duration::from_millis(300);

/// Runs `command` to its end, or stops it after `deadline`.
/// Its output is read as it comes, so that a full pipe never stalls it.
pub fn run_with_deadline(command: &mut Command, deadline: Duration) -> std::io::Result<Ran> {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let stdout = Pipe::read(child.stdout.take());
    let stderr = Pipe::read(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Ran::Stopped { stderr: stderr.so_far(DRAIN) });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Ran::Finished(Output { status, stdout: stdout.whole(), stderr: stderr.whole() }))
}

/// One of a child's pipes, read to its end on a thread of its own.
struct Pipe {
    bytes: Arc<Mutex<Vec<u8>>>,
    reader: JoinHandle<()>,
}

impl Pipe {
    fn read(pipe: Option<impl Read + Send + 'static>) -> Pipe {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&bytes);
        let reader = std::thread::spawn(move || {
            let Some(mut pipe) = pipe else { return };
            let mut chunk = [0u8; 8192];
            loop {
                match pipe.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => sink.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..n]),
                    // A signal during the read: read again, as read_to_end does.
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        });
        Pipe { bytes, reader }
    }

    /// Everything, once the pipe is closed.
    fn whole(self) -> Vec<u8> {
        let Pipe { bytes, reader } = self;
        let _ = reader.join();
        taken(&bytes)
    }

    /// What came before the pipe closed or `grace` passed, whichever is first.
    fn so_far(self, grace: Duration) -> Vec<u8> {
        let until = Instant::now() + grace;
        while !self.reader.is_finished() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        taken(&self.bytes)
    }
}

/// The bytes read so far (a reader that panicked leaves them readable).
fn taken(bytes: &Mutex<Vec<u8>>) -> Vec<u8> {
    let mut guard = bytes.lock().unwrap_or_else(|e| e.into_inner());
    std::mem::take(&mut *guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_hangs_is_stopped_at_its_deadline_and_what_it_said_is_kept() {
        let started = Instant::now();
        let mut hang = Command::new("sh");
        hang.args(["-c", "echo 'waiting for the database' >&2; exec sleep 30"]);
        let Ran::Stopped { stderr } = run_with_deadline(&mut hang, Duration::from_millis(300)).unwrap() else {
            panic!("sleep 30 finished within 300 ms")
        };
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(String::from_utf8_lossy(&stderr), "waiting for the database\n");
    }

    #[test]
    fn a_program_that_leaves_a_child_holding_its_pipes_is_still_stopped() {
        let started = Instant::now();
        let mut hang = Command::new("sh");
        hang.args(["-c", "sleep 30 & sleep 30"]);
        assert!(matches!(run_with_deadline(&mut hang, Duration::from_millis(200)).unwrap(), Ran::Stopped { .. }));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_command_that_finishes_gives_all_it_printed() {
        let mut echo = Command::new("sh");
        echo.args(["-c", "echo done; echo said >&2; exit 3"]);
        let Ran::Finished(out) = run_with_deadline(&mut echo, Duration::from_secs(5)).unwrap() else {
            panic!("echo was stopped")
        };
        assert_eq!(
            (out.stdout.as_slice(), out.stderr.as_slice(), out.status.code()),
            (&b"done\n"[..], &b"said\n"[..], Some(3))
        );
    }
}
