//! Opening databases so that each way a file can be wrong is named: missing,
//! not a database, locked, read-only.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database `{}` does not exist", .0.display())]
    Missing(PathBuf),
    #[error(
        "database `{}` is a folder, not a SQLite file: name the database file (for example `{}/app.db`)",
        .0.display(),
        .0.display()
    )]
    Folder(PathBuf),
    #[error(
        "database `{}` has a hot journal (`{}-journal`) left by a write that was interrupted, and autogen cannot \
         open the database for writing to roll it back: {source}. Open it once with write access (any `autogen \
         upgrade`, or `sqlite3`), which restores it to its last committed state",
        .path.display(), .path.display()
    )]
    HotJournal { path: PathBuf, source: Box<DbError> },
    #[error("`{}` is not a SQLite database (nothing was changed)", .0.display())]
    NotADatabase(PathBuf),
    #[error("database `{}` is locked by another connection; waited {:.1}s (busy_timeout in autogen.yaml sets how \
        long)", .path.display(), .waited.as_secs_f64())]
    Locked { path: PathBuf, waited: Duration },
    #[error(
        "database `{}` is read-only: autogen cannot write to it (check the file's and its folder's permissions)",
        .0.display()
    )]
    ReadOnly(PathBuf),
    #[error("database `{}`: {source}", .path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error(
        "database `{}` has a table `{table}` that is not autogen's (its columns: {columns}), but autogen.yaml names \
         it as the version table: choose another `version_table`; nothing was changed",
        .path.display()
    )]
    NotAVersionTable { path: PathBuf, table: String, columns: String },
}

impl DbError {
    /// Names the failure by what SQLite's error code says about the file.
    pub fn classify(path: &Path, waited: Duration, e: rusqlite::Error) -> DbError {
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => DbError::NotADatabase(path.to_path_buf()),
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
                DbError::Locked { path: path.to_path_buf(), waited }
            }
            Some(ErrorCode::ReadOnly) => DbError::ReadOnly(path.to_path_buf()),
            _ => DbError::Sqlite { path: path.to_path_buf(), source: e },
        }
    }
}

/// Opens an existing database for reading. Never creates a file: read-only
/// commands must leave a missing database missing.
pub fn open_read(path: &Path, busy_timeout: Duration) -> Result<Connection, DbError> {
    if !path.exists() {
        return Err(DbError::Missing(path.to_path_buf()));
    }
    if path.is_dir() {
        return Err(DbError::Folder(path.to_path_buf()));
    }
    roll_back_hot_journal(path, busy_timeout)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| DbError::classify(path, busy_timeout, e))?;
    prepare(conn, path, busy_timeout)
}

/// Opens (creating if needed) a database to migrate.
pub fn open_write(path: &Path, busy_timeout: Duration) -> Result<Connection, DbError> {
    if path.is_dir() {
        return Err(DbError::Folder(path.to_path_buf()));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| DbError::classify(path, busy_timeout, e))?;
    prepare(conn, path, busy_timeout)
}

/// A journal left by a process killed mid-write is "hot": the next
/// connection must roll it back, and a read-only one cannot, so SQLite
/// refuses it (SQLITE_READONLY_ROLLBACK). Read commands are what a user
/// runs first after a crash, so they open the file for writing once, which
/// rolls the journal back (sqlite.org/lockingv3.html#hot_journals), without
/// ever creating a file.
fn roll_back_hot_journal(path: &Path, busy_timeout: Duration) -> Result<(), DbError> {
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    if !Path::new(&journal).exists() {
        return Ok(());
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let recovered = Connection::open_with_flags(path, flags)
        .map_err(|e| DbError::classify(path, busy_timeout, e))
        .and_then(|conn| prepare(conn, path, busy_timeout));
    match recovered {
        Ok(_) => Ok(()),
        // Another process holds the database: it has the journal in hand.
        Err(DbError::Locked { .. }) => Ok(()),
        Err(e) => Err(DbError::HotJournal { path: path.to_path_buf(), source: Box::new(e) }),
    }
}

/// Sets the busy timeout and reads the schema once: a file that is not a
/// database only says so on its first read (SQLITE_NOTADB).
fn prepare(conn: Connection, path: &Path, busy_timeout: Duration) -> Result<Connection, DbError> {
    conn.busy_timeout(busy_timeout).map_err(|e| DbError::classify(path, busy_timeout, e))?;
    conn.query_row("SELECT count(*) FROM main.sqlite_schema", [], |r| r.get::<_, i64>(0))
        .map_err(|e| DbError::classify(path, busy_timeout, e))?;
    Ok(conn)
}
