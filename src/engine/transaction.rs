//! One write transaction on a connection, for every part of the engine
//! that writes: a revision, and each chunk of an online rebuild.

use rusqlite::Connection;

/// Runs `body` in one `BEGIN IMMEDIATE` transaction: committed when it
/// succeeds, rolled back when it fails, so a failure changes nothing.
/// IMMEDIATE takes the write lock at the start, so other writers wait for
/// the whole transaction at most, never a lock upgrade's deadlock; `db`
/// words SQLite's own failures (BEGIN, COMMIT) as the caller's error.
pub fn in_transaction<T, E>(
    conn: &Connection,
    db: impl Fn(rusqlite::Error) -> E,
    body: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(&db)?;
    match body() {
        Ok(value) => {
            conn.execute_batch("COMMIT").map_err(&db)?;
            Ok(value)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
