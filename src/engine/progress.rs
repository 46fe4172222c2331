//! Progress of long row copies (`INSERT … SELECT … FROM t`), the step of a
//! rebuild that takes time on a large table.
//!
//! The copy is one SQL statement, run inside SQLite, so rows never pass
//! through Rust and there is no row count to read while it runs: SQLite
//! publishes the change count only when a statement ends. What it does offer
//! is the progress handler, called every N virtual-machine instructions.
//! The copied row count is therefore estimated as instructions run divided by
//! the instructions of one pass of the copy's loops (from `EXPLAIN`), capped
//! at the table's row count, and exact when the statement ends.
//!
//! The library only reports; drawing (and deciding whether to draw at all)
//! is the caller's business, through a [`ProgressSink`].

use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::Stop;

use crate::sql::lexer::{self, Token};

/// Where a copy stands. Reported repeatedly while a copy runs, then once
/// with `done` set and `copied == total`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copying {
    /// The table rows are read from.
    pub table: String,
    /// Rows copied so far (an estimate until `done`).
    pub copied: u64,
    /// Rows in `table` when the copy started.
    pub total: u64,
    pub done: bool,
}

/// Receives [`Copying`] reports. It is called from inside SQLite's progress
/// handler, so it must be quick and must not use the connection.
pub type ProgressSink = Arc<dyn Fn(&Copying) + Send + Sync>;

/// VM instructions between two calls of the progress handler: a few
/// hundred calls a second on a large copy, too few to cost anything.
const INSTRUCTIONS_PER_CALL: u64 = 20_000;

/// The table an `INSERT … SELECT … FROM table` statement copies from, when
/// the statement is one: a single source table after the last `FROM`.
pub fn copy_source(statement: &str) -> Option<String> {
    let tokens = lexer::tokenize(statement).ok()?;
    let first = tokens.first()?;
    if !first.is_any_keyword(&["INSERT", "REPLACE"]) || !tokens.iter().any(|t| t.is_keyword("SELECT")) {
        return None;
    }
    let from = tokens.iter().rposition(|t| t.is_keyword("FROM"))?;
    let rest: Vec<&Token> = tokens[from + 1..].iter().filter(|t| !t.is_punct(";")).collect();
    match rest.as_slice() {
        [name] if name.is_name() && !name.is_keyword("SELECT") => name.name(),
        [name, next, ..] if name.is_name() && next.is_any_keyword(&["WHERE", "ORDER", "LIMIT"]) => name.name(),
        _ => None,
    }
}

/// Watches a connection's row copies and reports them to a sink.
///
/// SQLite has one progress handler per connection, and rusqlite installs it
/// through `&mut Connection`, so it is installed once, when the connection
/// is opened, and each copy only tells it what is being copied.
pub struct Watcher {
    sink: Option<ProgressSink>,
    current: Arc<Mutex<Option<Current>>>,
}

/// The copy under way: what the progress handler needs to estimate rows.
struct Current {
    table: String,
    total: u64,
    per_row: u64,
    calls: u64,
}

impl Watcher {
    /// Installs the connection's progress handler: it reports copies to
    /// `sink`, and interrupts whatever runs once `stop` is set.
    pub fn install(conn: &mut Connection, sink: Option<ProgressSink>, stop: Option<Stop>) -> rusqlite::Result<Watcher> {
        let current: Arc<Mutex<Option<Current>>> = Arc::default();
        let (handler_current, handler_sink) = (Arc::clone(&current), sink.clone());
        conn.progress_handler(
            INSTRUCTIONS_PER_CALL as i32,
            Some(move || {
                if let (Some(sink), Ok(mut guard)) = (&handler_sink, handler_current.lock()) {
                    if let Some(c) = guard.as_mut() {
                        c.calls += 1;
                        let copied = (c.calls * INSTRUCTIONS_PER_CALL / c.per_row).min(c.total);
                        sink(&Copying { table: c.table.clone(), copied, total: c.total, done: false });
                    }
                }
                stop.as_ref().is_some_and(Stop::is_stopped)
            }),
        )?;
        Ok(Watcher { sink, current })
    }

    /// Runs `run` (which executes `statement`), reporting its progress when
    /// `statement` is a copy.
    pub fn around<T>(&self, conn: &Connection, statement: &str, run: impl FnOnce() -> T) -> T {
        let (Some(sink), Some(table)) = (&self.sink, copy_source(statement)) else {
            return run();
        };
        let (Ok(total), Ok(per_row)) = (row_count(conn, &table), instructions_per_row(conn, statement)) else {
            return run();
        };
        self.set(Some(Current { table: table.clone(), total, per_row, calls: 0 }));
        let result = run();
        self.set(None);
        sink(&Copying { table, copied: total, total, done: true });
        result
    }

    fn set(&self, current: Option<Current>) {
        if let Ok(mut guard) = self.current.lock() {
            *guard = current;
        }
    }
}

/// [`Watcher::around`] when there is a watcher; otherwise just `run`.
pub fn around<T>(watcher: Option<&Watcher>, conn: &Connection, statement: &str, run: impl FnOnce() -> T) -> T {
    match watcher {
        Some(w) => w.around(conn, statement, run),
        None => run(),
    }
}

fn row_count(conn: &Connection, table: &str) -> rusqlite::Result<u64> {
    let sql = format!("SELECT count(*) FROM {}", crate::sql::quote::ident(table));
    conn.query_row(&sql, [], |r| r.get::<_, i64>(0)).map(|n| n.max(0) as u64)
}

/// The instructions of one pass through the statement's loops: every
/// backward jump (a `Next` or `Goto` to an earlier address) closes a loop
/// whose body runs once per row. The prologue that `Init` jumps to (at the
/// end of the program, jumping back to the start) is not a loop.
fn instructions_per_row(conn: &Connection, statement: &str) -> rusqlite::Result<u64> {
    let sql = format!("EXPLAIN {}", statement.trim().trim_end_matches(';'));
    let mut stmt = conn.prepare(&sql)?;
    let ops: Vec<(i64, String, i64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(3)?)))?.collect::<rusqlite::Result<_>>()?;
    let end = ops.iter().find(|(_, op, _)| op == "Init").map_or(i64::MAX, |(_, _, to)| *to);
    let per_row: i64 = ops
        .iter()
        .filter(|(addr, op, to)| *addr < end && *to < *addr && matches!(op.as_str(), "Next" | "Prev" | "Goto"))
        .map(|(addr, _, to)| addr - to + 1)
        .sum();
    Ok(per_row.max(1) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_source_of_a_copy() {
        assert_eq!(copy_source(r#"INSERT INTO "_autogen_tmp_t" ("a") SELECT "a" FROM "t";"#).as_deref(), Some("t"));
        assert_eq!(copy_source("insert into x select * from [my table] where a > 1").as_deref(), Some("my table"));
        assert_eq!(copy_source("INSERT INTO x VALUES (1)"), None);
        assert_eq!(copy_source("INSERT INTO x SELECT a FROM t JOIN u USING (a)"), None);
        assert_eq!(copy_source("UPDATE t SET a = (SELECT 1 FROM u)"), None);
    }

    #[test]
    fn reports_a_copy_from_zero_to_the_total() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) INSERT INTO t SELECT i,
                 'row ' || i, i * 2 FROM n;
             CREATE TABLE u (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INT, c TEXT NOT NULL DEFAULT
                 (lower(hex(randomblob(4)))));",
        )
        .unwrap();
        let seen: Arc<Mutex<Vec<Copying>>> = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let sink: ProgressSink = Arc::new(move |c: &Copying| record.lock().unwrap().push(c.clone()));
        let watcher = Watcher::install(&mut conn, Some(sink), None).unwrap();
        let statement = r#"INSERT INTO "u" ("id", "a", "b") SELECT "id", "a", "b" FROM "t";"#;
        watcher.around(&conn, statement, || conn.execute_batch(statement)).unwrap();

        let all = Arc::clone(&seen);
        let record_of = move || all.lock().unwrap().len();
        let seen = seen.lock().unwrap();
        assert!(seen.len() > 10, "only {} reports", seen.len());
        assert!(seen.windows(2).all(|w| w[0].copied <= w[1].copied));
        assert!(seen.iter().all(|c| c.table == "t" && c.total == 200_000));
        let last = seen.last().unwrap();
        assert!(last.done && last.copied == 200_000);
        // The estimate tracks the truth: half way through the reports, it
        // says somewhere between a quarter and three quarters.
        let in_flight = seen[seen.len() - 2].copied;
        assert!(in_flight >= 150_000, "the last report before the end says {in_flight}");
        let middle = seen[seen.len() / 2].copied;
        assert!((50_000..=150_000).contains(&middle), "middle report says {middle}");
        assert_eq!(conn.query_row("SELECT count(*) FROM u", [], |r| r.get::<_, i64>(0)).unwrap(), 200_000);
        // Between copies the handler reports nothing, however long a
        // statement runs.
        let before = seen.len();
        drop(seen);
        conn.execute_batch("UPDATE u SET b = b + 1").unwrap();
        assert_eq!(record_of(), before);
    }
}
