//! The local SQLite engine: a database file (or an in-memory scratch copy)
//! through rusqlite (cli.md, "Running revisions").
//!
//! - Each unit runs in one `BEGIN IMMEDIATE` transaction together with its
//!   version-table update, and the version is read inside it, so that
//!   several processes apply each revision exactly once.
//! - Foreign-key enforcement is switched off before the transaction and
//!   restored after: the pragma is a no-op inside a transaction, and with it
//!   on a rebuild's DROP TABLE would fire ON DELETE actions on other tables.
//!   `PRAGMA foreign_key_check` runs before every commit instead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::Connection;

use super::online;
use super::progress::{ProgressSink, Watcher};
use super::script::{self, RunError, StatementFailure};
use super::transaction::in_transaction;
use super::{version, DbError, Digest, DigestRequest, Engine, EngineError, Ran, ScratchCopy, Stop, Unit, Versions};
use crate::plan::Capabilities;
use crate::schema::Schema;
use crate::source::introspect::{self, Catalog, Filter, IntrospectError, ListedTable, SchemaRow, XColumn};

/// Whether a command may change the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Never creates the file, never writes.
    Read,
    /// Creates the file if it is missing.
    Write,
}

/// A SQLite database that autogen reads and migrates.
pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
    watcher: Option<Watcher>,
    /// How long SQLite waits for a lock before it says the database is busy.
    busy: Duration,
}

impl Sqlite {
    /// Opens the database at `path`; `progress` is told how long row copies go.
    pub fn open(
        path: &Path,
        access: Access,
        busy_timeout: Duration,
        progress: Option<ProgressSink>,
    ) -> Result<Sqlite, DbError> {
        let conn = match access {
            Access::Read => super::open::open_read(path, busy_timeout)?,
            Access::Write => super::open::open_write(path, busy_timeout)?,
        };
        let mut db = Sqlite::wrap(conn, path.to_path_buf(), progress, None)?;
        db.busy = busy_timeout;
        Ok(db)
    }

    /// An empty in-memory database (`check --replay` builds one from base).
    pub fn memory() -> Result<Sqlite, DbError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| DbError::Sqlite { path: path.clone(), source: e })?;
        Sqlite::wrap(conn, path, None, None)
    }

    fn wrap(
        mut conn: Connection,
        path: PathBuf,
        progress: Option<ProgressSink>,
        stop: Option<Stop>,
    ) -> Result<Sqlite, DbError> {
        let fail = |e| DbError::Sqlite { path: path.clone(), source: e };
        without_double_quoted_strings(&conn).map_err(fail)?;
        let watcher = if progress.is_some() || stop.is_some() {
            Some(Watcher::install(&mut conn, progress, stop).map_err(fail)?)
        } else {
            None
        };
        Ok(Sqlite { conn, path, watcher, busy: Duration::ZERO })
    }

    /// A scratch copy of the database `conn` is open on.
    pub fn scratch_of(conn: &Connection, copy: ScratchCopy) -> Result<Sqlite, DbError> {
        let path = PathBuf::from("scratch copy");
        let scratch = scratch_copy(conn, copy).map_err(|e| DbError::Sqlite { path: path.clone(), source: e })?;
        Sqlite::wrap(scratch, path, None, None)
    }

    /// Whether the database lives in memory (a scratch copy), not in a file.
    fn in_memory(&self) -> bool {
        self.conn.path().is_none_or(str::is_empty)
    }

    /// The connection, for what only SQLite itself can answer.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// SQLite reads a double-quoted token that names no column as a string
/// (the DQS misfeature); on autogen's own connections a typo in a name is
/// an error instead (sqlite.org/quirks.html#dblquote). Schemas already
/// stored still load: SQLite keeps DQS while it reads its schema.
fn without_double_quoted_strings(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
    Ok(())
}

impl Engine for Sqlite {
    fn label(&self) -> String {
        format!("database `{}`", self.path.display())
    }

    fn holds_only_memory(&self) -> bool {
        self.watcher.is_none() && self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::SQLITE
    }

    fn introspect(&mut self, filter: &Filter) -> Result<Schema, EngineError> {
        introspect(&self.conn, filter).map_err(|source| EngineError::Introspect { database: self.label(), source })
    }

    fn counts(&mut self, queries: &[String]) -> Vec<Option<i64>> {
        // One read transaction for all of them: outside one, each query
        // takes and drops the file's shared lock and looks for a hot
        // journal (sqlite.org/lockingv3.html), six system calls a table.
        let own = self.conn.is_autocommit() && self.conn.execute_batch("BEGIN").is_ok();
        let counts = queries.iter().map(|q| self.conn.query_row(q, [], |r| r.get(0)).ok()).collect();
        if own {
            let _ = self.conn.execute_batch("COMMIT");
        }
        counts
    }

    fn digest(&mut self, table: &str, columns: &[String], rowid: Option<&'static str>) -> Result<Digest, EngineError> {
        let request = DigestRequest { table: table.into(), columns: columns.to_vec(), rowid };
        let sql = request.query();
        let fail = |e| EngineError::Db(DbError::classify(&self.path, Duration::ZERO, e));
        let mut stmt = self.conn.prepare(&sql).map_err(fail)?;
        let mut rows = stmt.query([]).map_err(fail)?;
        let mut digest = Digest::default();
        while let Some(row) = rows.next().map_err(fail)? {
            digest.add(row.get_ref(0).map_err(fail)?.as_str().unwrap_or_default());
        }
        Ok(digest)
    }

    fn rows(&mut self, request: &DigestRequest, limit: usize) -> Result<Vec<String>, EngineError> {
        let fail = |e| EngineError::Db(DbError::classify(&self.path, Duration::ZERO, e));
        let mut stmt = self.conn.prepare(&request.ordered(limit)).map_err(fail)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(fail)?;
        rows.collect::<rusqlite::Result<_>>().map_err(fail)
    }

    fn versions(&mut self, version_table: &str) -> Result<Versions, EngineError> {
        Ok(read_versions(&self.conn, &self.path, self.busy, version_table)?)
    }

    fn fingerprint(&mut self) -> Result<u64, EngineError> {
        let fail = |e| EngineError::Db(DbError::classify(&self.path, self.busy, e));
        let mut stmt = self
            .conn
            .prepare("SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM main.sqlite_schema ORDER BY rowid")
            .map_err(fail)?;
        let mut rows = stmt.query([]).map_err(fail)?;
        let mut hash = super::fnv1a(b"");
        while let Some(row) = rows.next().map_err(fail)? {
            let text: String = row.get(0).map_err(fail)?;
            hash = hash.rotate_left(5) ^ super::fnv1a(text.as_bytes());
        }
        Ok(hash)
    }

    fn run(&mut self, unit: &Unit) -> Result<Ran, RunError> {
        let statements = script::statements(unit.script, unit.revision, unit.file, unit.line)?;
        let expected = script::expectations(unit)?;
        let conn = &self.conn;
        // A lock is reported after SQLite has waited the busy timeout.
        let db = |e: rusqlite::Error| RunError::Db(DbError::classify(&self.path, self.busy, e));
        let _off = ForeignKeysOff::new(conn).map_err(db)?;
        let _stored = StoredSchemaQuirks::allow(conn).map_err(db)?;
        let _room = Room::make(conn, self.in_memory()).map_err(db)?;
        in_transaction(conn, db, || {
            if let Some(version) = &unit.version {
                // Read inside the write transaction: what another process did
                // is seen, and a user table of the version table's name is
                // refused before anything is written to it.
                let heads = read_versions(conn, &self.path, self.busy, version.table)?.heads;
                for stmt in version::create(version.table) {
                    conn.execute_batch(&stmt).map_err(db)?;
                }
                if version.expect.is_some_and(|expect| heads != expect) {
                    return Ok(Ran::Moved(heads));
                }
            }
            check_expectations(conn, unit, &expected, self.label(), db)?;
            let predating = execute_checked(conn, &statements, unit, self.watcher.as_ref(), db)?;
            for stmt in unit.version.iter().flat_map(|v| v.record) {
                conn.execute_batch(stmt).map_err(db)?;
            }
            Ok(if predating.is_empty() { Ran::Applied } else { Ran::AppliedOverOrphans(predating) })
        })
        .map_err(|e| with_hint(conn, &statements, e))
    }

    fn scratch(&mut self, copy: ScratchCopy, stop: &Stop) -> Result<Box<dyn Engine>, EngineError> {
        let path = PathBuf::from(format!("scratch copy of {}", self.path.display()));
        let conn = scratch_copy(&self.conn, copy)
            .map_err(|e| EngineError::Db(DbError::Sqlite { path: path.clone(), source: e }))?;
        Ok(Box::new(Sqlite::wrap(conn, path, None, Some(stop.clone()))?))
    }

    fn online(&mut self) -> Result<&mut dyn online::Online, online::OnlineError> {
        Ok(self)
    }
}

/// `synchronous = NORMAL` while an online rebuild's chunks commit, the
/// setting before restored after. In WAL mode NORMAL syncs at checkpoints
/// rather than at every commit (sqlite.org/pragma.html#pragma_synchronous)
/// and never corrupts: a chunk lost to a power cut is a chunk copied
/// again, since its progress row went with it. FULL made hundreds of
/// chunks hundreds of `fsync` calls.
struct SyncNormal<'c> {
    conn: &'c Connection,
    before: i64,
}

impl<'c> SyncNormal<'c> {
    fn set(conn: &'c Connection) -> rusqlite::Result<SyncNormal<'c>> {
        let before = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        Ok(SyncNormal { conn, before })
    }
}

impl Drop for SyncNormal<'_> {
    fn drop(&mut self) {
        let _ = self.conn.execute_batch(&format!("PRAGMA synchronous = {}", self.before));
    }
}

impl Sqlite {
    /// A fresh online rebuild of `table` needs room for one more copy of
    /// it and its indexes, and for the WAL the chunks grow (cli.md:
    /// "checked first, said in numbers"). Where either figure cannot be
    /// read (no `dbstat`, no `statvfs`), the copy goes on unchecked.
    fn room_for(&self, table: &str) -> Result<(), online::OnlineError> {
        const WAL_ROOM: u64 = 64 << 20;
        let (Some(size), Some(free)) = (online::size(&self.conn, table), online::free_space(&self.path)) else {
            return Ok(());
        };
        let needed = size + WAL_ROOM;
        if needed > free {
            return Err(online::OnlineError::NoRoom {
                table: table.into(),
                path: self.path.display().to_string(),
                needed: needed.div_ceil(1 << 20),
                free: free >> 20,
            });
        }
        Ok(())
    }
}

impl online::Online for Sqlite {
    fn rows(&mut self, table: &str) -> Result<u64, online::OnlineError> {
        let sql = format!("SELECT count(*) FROM {}", crate::sql::quote::ident(table));
        self.conn
            .query_row(&sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|source| online::OnlineError::Sql { table: table.into(), sql, source })
    }

    fn copy(
        &mut self,
        unit: &Unit,
        rebuild: &online::Rebuild,
        pace: online::Pace,
        seen: &mut dyn FnMut(&online::Copied, &online::Chunk),
    ) -> Result<online::Copied, RunError> {
        // The drift guard first: a copy of an hour for a revision that
        // would then refuse to run is an hour lost.
        let db = |e: rusqlite::Error| RunError::Db(DbError::classify(&self.path, self.busy, e));
        let expected = script::expectations(unit)?;
        check_expectations(&self.conn, unit, &expected, self.label(), db)?;
        let online = |source| RunError::Online {
            revision: unit.revision.into(),
            file: unit.file.into(),
            source: Box::new(source),
        };
        if !online::under_way(&self.conn).map_err(online)?.contains(&rebuild.table) {
            self.room_for(&rebuild.table).map_err(online)?;
        }
        rebuild.prepare(&self.conn).map_err(online)?;
        let _normal = SyncNormal::set(&self.conn).map_err(db)?;
        rebuild.copy_all(&self.conn, pace, seen).map_err(online)
    }

    fn remove_old(&mut self, pace: online::Pace) -> Result<Vec<(String, u64)>, online::OnlineError> {
        let _normal = SyncNormal::set(&self.conn).map_err(|source| online::OnlineError::Sql {
            table: String::new(),
            sql: "PRAGMA synchronous".into(),
            source,
        })?;
        let mut removed = Vec::new();
        for table in online::left_aside(&self.conn)? {
            let rows = online::Rebuild::named(&table).remove_old(&self.conn, pace)?;
            removed.push((table, rows));
        }
        Ok(removed)
    }

    fn under_way(&mut self) -> Result<Vec<String>, online::OnlineError> {
        online::under_way(&self.conn)
    }

    fn abort(&mut self, pace: online::Pace) -> Result<Vec<String>, online::OnlineError> {
        let mut tables = online::under_way(&self.conn)?;
        for table in &tables {
            online::Rebuild::named(table).abort(&self.conn)?;
        }
        tables.extend(self.remove_old(pace)?.into_iter().map(|(table, _)| table));
        Ok(tables)
    }
}

/// The heads and checksums; empty when the version table is not there. A
/// table of that name with other columns is someone else's, and refused.
fn read_versions(conn: &Connection, path: &Path, busy: Duration, version_table: &str) -> Result<Versions, DbError> {
    let fail = |e| DbError::classify(path, busy, e);
    // The columns, in order; none when the table does not exist.
    let columns = |table: &str| -> Result<Vec<String>, DbError> {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1, 'main') ORDER BY cid").map_err(fail)?;
        let names = stmt.query_map([table], |r| r.get::<_, String>(0)).map_err(fail)?;
        names.collect::<rusqlite::Result<_>>().map_err(fail)
    };
    let shaped = |table: &str, expected: &[&str]| -> Result<bool, DbError> {
        let found = columns(table)?;
        if found.is_empty() {
            return Ok(false);
        }
        if found.len() != expected.len() || found.iter().zip(expected).any(|(f, e)| !f.eq_ignore_ascii_case(e)) {
            let table = table.to_string();
            return Err(DbError::NotAVersionTable { path: path.to_path_buf(), table, columns: found.join(", ") });
        }
        Ok(true)
    };
    let mut versions = Versions::default();
    if shaped(version_table, &["version_num"])? {
        let mut stmt = conn.prepare(&version::select_heads(version_table)).map_err(fail)?;
        let heads = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(fail)?;
        versions.heads = heads.collect::<rusqlite::Result<_>>().map_err(fail)?;
    }
    let sums = version::checksum_table(version_table);
    if shaped(&sums, &["revision", "checksum"])? {
        let mut stmt = conn.prepare(&version::select_checksums(version_table)).map_err(fail)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(fail)?;
        versions.checksums = rows.collect::<rusqlite::Result<_>>().map_err(fail)?;
    }
    Ok(versions)
}

/// The schema of `conn`'s main database.
///
/// ```
/// use autogen::{introspect, Filter};
/// let conn = rusqlite::Connection::open_in_memory().unwrap();
/// conn.execute_batch("CREATE TABLE [users] (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE)").unwrap();
/// let schema = introspect(&conn, &Filter::default()).unwrap();
/// assert_eq!(schema.tables["users"].columns[1].collate.as_deref(), Some("NOCASE"));
/// ```
pub fn introspect(conn: &Connection, filter: &Filter) -> Result<Schema, IntrospectError> {
    // Debug builds (every test) check the columns read from the CREATE
    // text against `pragma_table_xinfo`.
    let catalog = read_catalog(conn, cfg!(debug_assertions)).map_err(|e| IntrospectError::Query(e.to_string()))?;
    introspect::from_catalog(&catalog, filter)
}

/// Runs the catalog queries; `columns` adds the one that lists every column.
pub fn read_catalog(conn: &Connection, columns: bool) -> rusqlite::Result<Catalog> {
    fn all<T>(
        conn: &Connection,
        sql: &str,
        row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], row)?.collect();
        rows
    }
    let rows = all(conn, Catalog::SCHEMA, |r| {
        Ok(SchemaRow { kind: r.get(0)?, name: r.get(1)?, table: r.get(2)?, sql: r.get(3)? })
    })?;
    let listed =
        all(conn, Catalog::TABLE_LIST, |r| Ok(ListedTable { name: r.get(0)?, kind: r.get(1)?, ncol: r.get(2)? }))?;
    let foreign_keys = if columns {
        Some(all(conn, &Catalog::foreign_key_counts_query(), |r| Ok((r.get(0)?, r.get(1)?)))?)
    } else {
        None
    };
    let columns = if columns {
        Some(all(conn, &Catalog::columns_query(), |r| {
            let x = XColumn {
                name: r.get(1)?,
                ty: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                notnull: r.get::<_, i64>(3)? != 0,
                default: r.get(4)?,
                pk: r.get(5)?,
                hidden: r.get(6)?,
            };
            Ok((r.get(0)?, x))
        })?)
    } else {
        None
    };
    Ok(Catalog { rows, listed, foreign_keys, columns })
}

/// An in-memory copy of `source`'s main database.
fn scratch_copy(source: &Connection, copy: ScratchCopy) -> rusqlite::Result<Connection> {
    let mut scratch = Connection::open_in_memory()?;
    // Replaying the schema costs time quadratic in its size (each CREATE
    // rescans sqlite_schema; 30 s for 10,000 tables); the backup API copies
    // pages in linear time. Where the rows are small a whole copy is the
    // faster one, and rehearses the rows too. The rows are the pages beyond
    // each object's root page: an empty table or index is one page, so a
    // big schema alone weighs much (10,000 empty tables: 127 MB).
    const SMALL: i64 = 64 * 1024 * 1024;
    let size: i64 = source.query_row(
        "SELECT ((SELECT page_count FROM pragma_page_count) - (SELECT count(*) FROM main.sqlite_schema WHERE rootpage > \
         0)) * (SELECT page_size FROM pragma_page_size)",
        [],
        |r| r.get(0),
    )?;
    if copy == ScratchCopy::Rows || (copy == ScratchCopy::Schema && size <= SMALL) {
        let backup = rusqlite::backup::Backup::new(source, &mut scratch)?;
        backup.run_to_completion(1000, Duration::ZERO, None)?;
    } else {
        copy_schema(source, &scratch)?;
    }
    Ok(scratch)
}

/// Replays the stored CREATE statements in the order SQLite stored them.
/// Shadow tables are made by their virtual table; internal objects by SQLite.
fn copy_schema(source: &Connection, scratch: &Connection) -> rusqlite::Result<()> {
    // The shadow tables read once, then left out: a PRAGMA function in the
    // same query ran once per object, quadratic in the schema (3 minutes on
    // 10,000 tables).
    let shadow: std::collections::HashSet<String> = source
        .prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = source.prepare(
        "SELECT type, name, sql FROM main.sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE \
         '\\' ORDER BY rowid",
    )?;
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?
        .filter(|r| r.as_ref().map_or(true, |(_, name, _)| !shadow.contains(name)))
        .map(|r| r.map(|(kind, _, sql)| (kind, sql)))
        .collect::<rusqlite::Result<_>>()?;
    scratch.execute_batch("BEGIN")?;
    for (kind, sql) in rows {
        let result = scratch.execute_batch(&sql);
        // A virtual table whose module this build lacks cannot be copied;
        // autogen never touches those, so the rehearsal goes on without it.
        if result.is_err()
            && kind == "table"
            && sql.trim_start().get(..14).is_some_and(|p| p.eq_ignore_ascii_case("create virtual"))
        {
            continue;
        }
        result?;
    }
    scratch.execute_batch("COMMIT")
}

/// While a revision runs, double-quoted strings are allowed in DDL again:
/// ALTER TABLE RENAME and DROP COLUMN parse every stored CREATE statement
/// again under the connection's settings, so one table whose stored CHECK
/// says `"xyz"` (written under DQS, as SQLite's own tests do) would make
/// every rename in the database fail. What autogen writes never relies on
/// it (introspection reads such strings as the literals they are), and
/// DML keeps DQS off. Put back when dropped.
struct StoredSchemaQuirks<'c> {
    conn: &'c Connection,
}

impl<'c> StoredSchemaQuirks<'c> {
    fn allow(conn: &'c Connection) -> rusqlite::Result<Self> {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, true)?;
        Ok(StoredSchemaQuirks { conn })
    }
}

impl Drop for StoredSchemaQuirks<'_> {
    fn drop(&mut self) {
        let _ = self.conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false);
    }
}

/// A page cache that holds the schema while a revision runs: every `DROP
/// TABLE` scans `sqlite_schema`, and with SQLite's default 2 MB cache a
/// rebuild-heavy revision on a big schema read its pages again for every
/// drop. The cache grows with the schema's text only (a big cache on a
/// small schema costs a big copy its page faults). TEMP tables (a
/// rebuild's holding table) go to a file beside a database file: one grown
/// big since the revision was planned (4M rows planned on none) must not
/// fill the memory, and in the temp file it spills to disk past a small
/// cache. Beside a scratch copy in memory (a rehearsal: at most 64 MB of
/// rows) they stay in memory, where the file cost a rebuild-heavy
/// rehearsal thousands of writes. Both are said outright: a connection's
/// default depends on how SQLite was built. Put back when dropped.
struct Room<'c> {
    conn: &'c Connection,
    cache_size: i64,
    temp_store: i64,
}

impl<'c> Room<'c> {
    fn make(conn: &'c Connection, in_memory: bool) -> rusqlite::Result<Self> {
        let cache_size: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        let temp_store = conn.query_row("PRAGMA temp_store", [], |r| r.get(0))?;
        let schema_bytes: i64 =
            conn.query_row("SELECT coalesce(sum(length(sql)), 0) FROM main.sqlite_schema", [], |r| r.get(0))?;
        // KiB, negative as the pragma takes it: 2 MB, and 16 times the schema's text, up to 64 MB.
        let kib = (2048 + 16 * schema_bytes / 1024).min(65_536);
        if kib > -cache_size && cache_size < 0 {
            conn.pragma_update(None, "cache_size", -kib)?;
        }
        // 1: FILE, 2: MEMORY.
        conn.pragma_update(None, "temp_store", if in_memory { 2 } else { 1 })?;
        Ok(Room { conn, cache_size, temp_store })
    }
}

impl Drop for Room<'_> {
    fn drop(&mut self) {
        let _ = self.conn.pragma_update(None, "cache_size", self.cache_size);
        let _ = self.conn.pragma_update(None, "temp_store", self.temp_store);
    }
}

/// Switches foreign-key enforcement off outside any transaction and puts
/// the connection's setting back when dropped, however the run ends.
struct ForeignKeysOff<'c> {
    conn: &'c Connection,
    was_on: bool,
}

impl<'c> ForeignKeysOff<'c> {
    fn new(conn: &'c Connection) -> rusqlite::Result<Self> {
        let was_on: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get::<_, i64>(0).map(|v| v != 0))?;
        conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        Ok(ForeignKeysOff { conn, was_on })
    }
}

impl Drop for ForeignKeysOff<'_> {
    fn drop(&mut self) {
        let _ = self.conn.pragma_update(None, "foreign_keys", self.was_on);
    }
}

/// Runs the statements one by one, so that a failure names the statement.
fn execute(conn: &Connection, statements: &[&str], unit: &Unit, watcher: Option<&Watcher>) -> Result<(), RunError> {
    for (i, stmt) in statements.iter().enumerate() {
        // A rebuild copied online: its shadow goes in where its
        // statements stood, and they do not run.
        if let Some(swap) = unit.online.iter().find(|s| s.replaces.contains(&i)) {
            if swap.at == i {
                swap.rebuild.swap(conn).map_err(|source| RunError::Online {
                    revision: unit.revision.into(),
                    file: unit.file.into(),
                    source: Box::new(source),
                })?;
            }
            continue;
        }
        super::progress::around(watcher, conn, stmt, || conn.execute_batch(stmt)).map_err(|e| {
            RunError::Statement(Box::new(StatementFailure {
                revision: unit.revision.into(),
                file: unit.file.into(),
                index: i + 1,
                line: script::line_of(unit.script, stmt, unit.line),
                statement: stmt.to_string(),
                message: crate::sql::guard_message(&crate::sql::sqlite_message(&e)).into_owned(),
                hint: None,
            }))
        })?;
    }
    Ok(())
}

/// The unit's `-- autogen:expect` lines against the tables as they are,
/// read inside the unit's transaction.
fn check_expectations(
    conn: &Connection,
    unit: &Unit,
    expected: &[crate::plan::expect::Expectation],
    database: String,
    db: impl Fn(rusqlite::Error) -> RunError,
) -> Result<(), RunError> {
    if expected.is_empty() {
        return Ok(());
    }
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for query in crate::plan::expect::shape_queries(expected) {
        let mut stmt = conn.prepare(&query).map_err(&db)?;
        let found = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(&db)?;
        rows.extend(found.collect::<rusqlite::Result<Vec<_>>>().map_err(&db)?);
    }
    let rows = rows.iter().map(|(t, k, n)| (t.as_str(), k.as_str(), n.as_str()));
    script::drift(unit, database, expected, &crate::plan::expect::Shape::all_from_rows(expected, rows))
}

/// After a rollback, the offending rows of a statement that failed on the
/// data, counted in the table as it still is.
fn with_hint(conn: &Connection, statements: &[&str], error: RunError) -> RunError {
    match error {
        RunError::Statement(mut failure) if failure.hint.is_none() => {
            failure.hint = super::diagnose::rows_hint(conn, &failure.message, statements);
            RunError::Statement(failure)
        }
        other => other,
    }
}

/// Runs the statements inside the open transaction, then `PRAGMA
/// foreign_key_check` before commit (enforcement is off while they run).
/// Violations the revision made abort it, listed. Rows that broke a
/// foreign key before the revision are not its doing: when every
/// violation is one of those (read again after going back to the
/// savepoint), the statements run again and the rows are returned, to be
/// said, rather than blocking every revision to come.
fn execute_checked(
    conn: &Connection,
    statements: &[&str],
    unit: &Unit,
    watcher: Option<&Watcher>,
    db: impl Fn(rusqlite::Error) -> RunError,
) -> Result<Vec<String>, RunError> {
    conn.execute_batch("SAVEPOINT autogen_unit").map_err(&db)?;
    execute(conn, statements, unit, watcher)?;
    let after = violating_rows(conn).map_err(&db)?;
    if after.is_empty() {
        conn.execute_batch("RELEASE autogen_unit").map_err(&db)?;
        return Ok(Vec::new());
    }
    conn.execute_batch("ROLLBACK TO autogen_unit").map_err(&db)?;
    let before = violating_rows(conn).map_err(&db)?;
    let made: Vec<Violation> = after.iter().filter(|v| !before.contains(v)).cloned().collect();
    if !made.is_empty() {
        let mut violations = describe_violations(made);
        if !before.is_empty() {
            violations.push(format!(
                "  ({} broke foreign keys before this revision, and would have been left as they are)",
                crate::words::count(before.len() as i64, "row")
            ));
        }
        return Err(RunError::ForeignKeys {
            revision: unit.revision.into(),
            file: unit.file.into(),
            violations: violations.join("\n"),
        });
    }
    execute(conn, statements, unit, watcher)?;
    conn.execute_batch("RELEASE autogen_unit").map_err(&db)?;
    Ok(describe_violations(after))
}

use super::diagnose::{describe_violations, Violation};

fn violating_rows(conn: &Connection) -> rusqlite::Result<Vec<Violation>> {
    let mut stmt = conn.prepare("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// `PRAGMA foreign_key_check`, grouped per child table and parent, with the
/// first few rowids of each.
pub fn foreign_key_violations(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    Ok(describe_violations(violating_rows(conn)?))
}

/// Runs one script as the runner runs a revision, without the version
/// table: foreign keys off outside one transaction, `foreign_key_check`
/// before commit, rollback on any failure.
///
/// ```
/// let conn = rusqlite::Connection::open_in_memory().unwrap();
/// conn.execute_batch("CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('x'), (NULL);").unwrap();
/// // The second statement fails: the first is rolled back with it, and the
/// // error names the statement and the rows to blame.
/// let sql = "CREATE TABLE u (a TEXT NOT NULL); INSERT INTO u SELECT a FROM t;";
/// let error = autogen::apply_script(&conn, sql, "r1", "r1.sql").unwrap_err().to_string();
/// assert!(error.contains("failed at statement 2"), "{error}");
/// let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).unwrap();
/// assert_eq!(tables, 1);
/// ```
pub fn apply_script(conn: &Connection, sql: &str, revision: &str, file: &str) -> Result<(), RunError> {
    let statements = script::statements(sql, revision, file, 0)?;
    let db = |e: rusqlite::Error| RunError::Db(DbError::Sqlite { path: PathBuf::new(), source: e });
    let _off = ForeignKeysOff::new(conn).map_err(db)?;
    let unit = Unit { revision, file, script: sql, line: 0, version: None, online: &[] };
    let expected = script::expectations(&unit)?;
    in_transaction(conn, db, || {
        check_expectations(conn, &unit, &expected, "the database".into(), db)?;
        execute_checked(conn, &statements, &unit, None, db).map(drop)
    })
    .map_err(|e| with_hint(conn, &statements, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns read from the CREATE text are what `pragma_table_xinfo`
    /// reports, on the quirks that decide them; and a disagreement is caught.
    #[test]
    fn columns_from_the_text_match_the_pragma() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            r#"CREATE TABLE q (id "INTEGER" PRIMARY KEY, b [TEXT], c `INT`, d "VARCHAR"(10), e DEFAULT ( 3600*12 ), f
                DEFAULT (0), g DEFAULT -1, h "a""b", k [x y] (3));
               CREATE TABLE w (a, b COLLATE nocase, PRIMARY KEY (a, a, b)) WITHOUT ROWID;
               CREATE TABLE s (a INT AS (c * 2) VIRTUAL, b INT AS (c * 2) STORED, c INT PRIMARY KEY) STRICT;
               CREATE TABLE i (id INTEGER PRIMARY KEY, v ANY) STRICT;
               CREATE TABLE r (a, b, c, PRIMARY KEY (c, a, c));"#,
        )
        .unwrap();
        let catalog = read_catalog(&conn, true).unwrap();
        introspect::from_catalog(&catalog, &Filter::default()).unwrap();
        for table in ["q", "w", "s", "i", "r"] {
            let mut wrong = catalog.clone();
            let (_, first) = wrong.columns.iter_mut().flatten().find(|(t, _)| t == table).unwrap();
            first.notnull = !first.notnull;
            let error = introspect::from_catalog(&wrong, &Filter::default()).unwrap_err();
            assert!(matches!(error, IntrospectError::Mismatch { .. }), "{table}: {error}");
        }
    }

    /// Only a connection that writes nothing when it closes may be left to
    /// the process's exit.
    #[test]
    fn only_a_read_only_connection_holds_only_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        let busy = Duration::from_millis(100);
        let writer = Sqlite::open(&path, Access::Write, busy, None).unwrap();
        assert!(!writer.holds_only_memory());
        assert!(Sqlite::open(&path, Access::Read, busy, None).unwrap().holds_only_memory());
        assert!(!Sqlite::memory().unwrap().holds_only_memory());
    }

    /// A rebuild's TEMP holding table is written to a file while a revision
    /// runs, whatever the build's default (memory): a table grown big since
    /// the revision was planned must not fill the memory.
    #[test]
    fn temp_tables_go_to_a_file_while_a_revision_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut engine =
            Sqlite::open(&dir.path().join("app.db"), Access::Write, Duration::from_millis(100), None).unwrap();
        let unit = Unit {
            revision: "r",
            file: "",
            script: "SELECT json_extract('{}', 'autogen: temp_store ' || temp_store) FROM pragma_temp_store WHERE temp_store <> 1",
            line: 0,
            version: None,
            online: &[],
        };
        engine.run(&unit).unwrap();
        // Beside a scratch copy in memory, they stay in memory.
        let in_memory = Unit { script: &unit.script.replace("<> 1", "<> 2"), ..unit };
        Sqlite::memory().unwrap().run(&in_memory).unwrap();
    }

    #[test]
    fn double_quoted_strings_are_names_on_autogen_connections() {
        let engine = Sqlite::memory().unwrap();
        let conn = engine.connection();
        conn.execute_batch("CREATE TABLE t (a TEXT)").unwrap();
        let error = conn.execute_batch("INSERT INTO t VALUES (\"oops\")").unwrap_err();
        assert!(error.to_string().contains("no such column"), "{error}");
    }

    /// A stored CHECK written under DQS (SQLite's own altermalloc3.test)
    /// does not stop a rename elsewhere in the database, which parses every
    /// stored statement again; DML in a revision still reads `"x"` as a name.
    #[test]
    fn a_stored_schema_that_relies_on_dqs_does_not_block_renames() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE x1 (a, CHECK (a != \"xyz\")); CREATE TABLE t2 (k)").unwrap();
        let mut engine = Sqlite::scratch_of(&conn, ScratchCopy::Rows).unwrap();
        let unit = |script| Unit { revision: "r", file: "", script, line: 0, version: None, online: &[] };
        engine.run(&unit("CREATE TABLE tmp (k, v); DROP TABLE t2; ALTER TABLE tmp RENAME TO t2")).unwrap();
        let error = engine.run(&unit("INSERT INTO t2 VALUES (\"oops\", 1)")).unwrap_err();
        assert!(error.to_string().contains("no such column"), "{error}");
        let error = engine.connection().execute_batch("CREATE TABLE y (a CHECK (a != \"q\"))").unwrap_err();
        assert!(error.to_string().contains("no such column"), "after the run DQS is off again: {error}");
    }
}
