//! Rebuilding a table while the app keeps writing (cli.md, "Online
//! upgrades"; sqlite.md, "Copying a table while it is written"): the
//! engine's part, on one connection of its own beside the app's.
//!
//! A shadow table with the new definition and its indexes is made first,
//! empty (`CREATE INDEX` on a filled table holds the write lock for the
//! whole build). Triggers on the live table then mirror every write into
//! it, and the rows already there are copied in chunks, each its own short
//! `BEGIN IMMEDIATE` transaction that also records how far it got, so a
//! run killed at any point carries on from the last chunk. The swap checks
//! the shadow against the live table and puts it in the live table's place.
//!
//! The mirror reads the new row back from the live table by rowid
//! (`INSERT ... SELECT ... WHERE rowid = NEW.rowid`, after deleting the
//! shadow's row): the revision's own expressions then fill the shadow, as
//! the chunks do, with no rewriting of them into `NEW.` terms. The swap
//! checks every row the mirror touched against those expressions, beside
//! the counts. An `INSERT OR REPLACE` of the
//! app's deletes the row it replaces without firing DELETE triggers
//! (unless the app's connection sets `recursive_triggers`, which autogen
//! does not control): the shadow may keep such a row, and when the counts
//! differ the swap removes every shadow row whose rowid the live table no
//! longer has, then compares them again.
//!
//! This first part covers rowid tables, keyed by rowid.

use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};
use sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SqliteQueryBuilder};

use crate::sql::quote::ident;

/// Autogen's own record of online rebuilds in progress: one row a table,
/// written in the same transaction as each chunk.
pub const PROGRESS_TABLE: &str = "autogen_online";

/// What names every object an online rebuild adds starts with (which
/// introspection leaves out).
pub const PREFIX: &str = crate::source::introspect::ONLINE_PREFIX;

/// One table to rebuild online.
#[derive(Debug, Clone)]
pub struct Rebuild {
    /// The live table the app writes.
    pub table: String,
    /// The new table's columns (in the order of its definition).
    pub columns: Vec<String>,
    /// For each column, the SQL that fills it from a row of the live table
    /// (its own column names; for example `CAST("price" AS REAL)`).
    pub values: Vec<String>,
    /// The new definition's body: what follows `CREATE TABLE name`.
    pub definition: String,
    /// The new table's indexes.
    pub indexes: Vec<ShadowIndex>,
}

/// One index of the new definition, built on the shadow before the copy
/// under a name of its own, and given its name at the swap.
#[derive(Debug, Clone)]
pub struct ShadowIndex {
    pub name: String,
    /// Its `CREATE INDEX` as the revision writes it, on the table.
    pub sql: String,
}

/// A rebuild of a revision whose rows were copied online, in the
/// revision's transaction: the statements it replaces (the rebuild's own,
/// its row accounting, the CREATE INDEX of the indexes the shadow has
/// already), by index in the section, and where the swap runs: where the
/// rebuild's DROP TABLE stood, so that every other statement runs before
/// or after it as it would around the offline rebuild.
#[derive(Debug, Clone)]
pub struct Swap {
    pub rebuild: Rebuild,
    pub at: usize,
    /// In ascending order; `at` among them.
    pub replaces: Vec<usize>,
}

/// The online phases an engine offers before and after the revision's
/// transaction (the swap is part of [`super::Engine::run`]).
pub trait Online {
    /// How many rows `table` holds now.
    fn rows(&mut self, table: &str) -> Result<u64, OnlineError>;

    /// Checks what `unit` expects of the tables, makes the shadow and its
    /// mirror (or takes up those a killed run left) and copies the rows
    /// left, telling `seen` of every chunk.
    fn copy(
        &mut self,
        unit: &super::Unit,
        rebuild: &Rebuild,
        pace: Pace,
        seen: &mut dyn FnMut(&Copied, &Chunk),
    ) -> Result<Copied, super::RunError>;

    /// Empties and drops the old tables that swaps left aside (this run's,
    /// or a killed run's), in paced chunks: (table, rows removed).
    fn remove_old(&mut self, pace: Pace) -> Result<Vec<(String, u64)>, OnlineError>;

    /// Removes every rebuild under way (shadow, mirror, progress) and the
    /// old tables left aside: the tables it was under way for.
    fn abort(&mut self, pace: Pace) -> Result<Vec<String>, OnlineError>;

    /// The tables whose online rebuild a stopped run left under way.
    fn under_way(&mut self) -> Result<Vec<String>, OnlineError>;
}

/// Whether the main database has a table named `name`.
fn table_exists(conn: &Connection, name: &str) -> Result<bool, OnlineError> {
    let sql = "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1";
    let found = conn.query_row(sql, [name], |_| Ok(())).optional();
    found.map(|row| row.is_some()).map_err(|source| OnlineError::Sql { table: name.into(), sql: sql.into(), source })
}

/// The tables with a rebuild under way (a progress row).
pub fn under_way(conn: &Connection) -> Result<Vec<String>, OnlineError> {
    if !table_exists(conn, PROGRESS_TABLE)? {
        return Ok(Vec::new());
    }
    let tables = dml::tables();
    let names = conn.prepare(&tables).and_then(|mut s| s.query_map([], |r| r.get(0))?.collect());
    names.map_err(|source| OnlineError::Sql { table: PROGRESS_TABLE.into(), sql: tables, source })
}

/// The tables whose old copy a swap left aside, to be removed.
pub fn left_aside(conn: &Connection) -> Result<Vec<String>, OnlineError> {
    let shadows: Vec<String> = under_way(conn)?.iter().map(|t| Rebuild::named(t).shadow()).collect();
    let old = format!("{PREFIX}old_");
    let sql = "SELECT name FROM sqlite_schema WHERE type = 'table' AND substr(name, 1, ?2) = ?1 ORDER BY name";
    let names: rusqlite::Result<Vec<String>> =
        conn.prepare(sql).and_then(|mut s| s.query_map(params![old, old.len() as i64], |r| r.get(0))?.collect());
    let names = names.map_err(|source| OnlineError::Sql { table: String::new(), sql: sql.into(), source })?;
    // A shadow of a table whose own name begins `old_` looks the same.
    Ok(names.into_iter().filter(|n| !shadows.contains(n)).map(|n| n[old.len()..].to_string()).collect())
}

/// The bytes `table` and its indexes take (SQLite's `dbstat`, which
/// reads every page of them once); `None` where `dbstat` is missing.
pub fn size(conn: &Connection, table: &str) -> Option<u64> {
    let sql = "SELECT sum(pgsize) FROM dbstat('main', 1) WHERE name IN (SELECT name FROM sqlite_schema WHERE \
               tbl_name = ?1 COLLATE NOCASE)";
    conn.query_row(sql, [table], |r| r.get::<_, Option<i64>>(0))
        .ok()
        .flatten()
        .map(|n: i64| u64::try_from(n).unwrap_or(0))
}

/// The bytes free for an unprivileged writer on the disk that holds
/// `path`; `None` where it cannot be told.
pub fn free_space(path: &std::path::Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
        let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `c` is a NUL-terminated path and `stat` a struct statvfs
        // that the call fills in.
        if unsafe { libc::statvfs(c.as_ptr(), &mut stat) } != 0 {
            return None;
        }
        #[allow(clippy::useless_conversion)]
        Some(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Between two chunks: the WAL checkpointed PASSIVE (which copies what it
/// can and returns, never waiting for readers or writers), then the rest
/// of the pause. The checkpoint holds no write lock, so it is part of the
/// pause in which the app's writers get in, not time added to it.
fn checkpoint_and_pause(conn: &Connection, pace: Pace) {
    let started = Instant::now();
    // Its result says nothing the copy needs.
    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    std::thread::sleep(pace.pause.saturating_sub(started.elapsed()));
}

/// A definition without its AUTOINCREMENT, which decides only how new
/// rowids are chosen: a TEMP table with it would give `temp` a
/// `sqlite_sequence` of its own, which unqualified names in the rest of
/// the revision's transaction (another table's counter moved) would find
/// before `main`'s.
fn without_autoincrement(definition: &str) -> String {
    let Ok(tokens) = crate::sql::tokenize(definition) else { return definition.to_string() };
    let mut out = String::with_capacity(definition.len());
    let mut last = 0;
    for t in tokens.iter().filter(|t| t.is_keyword("AUTOINCREMENT")) {
        out.push_str(&definition[last..t.start]);
        last = t.end();
    }
    out.push_str(&definition[last..]);
    out
}

/// The next chunk's rows, from how long the last one held the lock: at
/// most doubled or halved at a time, never under 100 rows.
fn next_size(rows: u64, held: Duration, pace: Pace) -> u64 {
    let ratio = pace.chunk.as_secs_f64() / held.as_secs_f64().max(1e-6);
    ((rows as f64) * ratio.clamp(0.5, 2.0)).max(100.0) as u64
}

/// How far one chunk got.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chunk {
    pub rows: u64,
    /// No row of the live table is left to copy.
    pub done: bool,
    /// How long the chunk held the write lock.
    pub held: Duration,
}

/// How the copy is paced (`online:` in autogen.yaml).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// How long one chunk may hold the write lock (`online.chunk_ms`).
    pub chunk: Duration,
    /// The pause after each chunk, so that the app's writers get in.
    pub pause: Duration,
}

impl Default for Pace {
    /// cli.md, "Online upgrades": chunks of 50 ms; a pause as long.
    fn default() -> Pace {
        Pace { chunk: Duration::from_millis(50), pause: Duration::from_millis(50) }
    }
}

/// What a whole copy did, for the progress line and `--format json`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Copied {
    pub rows: u64,
    pub chunks: u64,
    /// The longest any chunk held the write lock.
    pub longest: Duration,
}

/// An online rebuild's failure; the live table is untouched by any of them.
#[derive(Debug, thiserror::Error)]
pub enum OnlineError {
    #[error(
        "table `{table}`: the database is in `{mode}` journal mode, and an online rebuild needs WAL, where the app's \
         readers go on reading while a chunk writes: run `PRAGMA journal_mode = WAL` on it once (it stays set), \
         or upgrade offline"
    )]
    NotWal { table: String, mode: String },
    #[error("table `{0}` is not a rowid table: an online rebuild copies by rowid (WITHOUT ROWID tables are rebuilt offline)")]
    WithoutRowid(String),
    #[error(
        "table `{0}` has a column named `rowid`, which hides the rowid an online rebuild copies by: rebuild it offline"
    )]
    RowidColumn(String),
    #[error(
        "table `{table}`: the name `{name}`, which the online rebuild's copy of index `{index}` takes, is used by \
         another object of the database: rename that object, or upgrade offline"
    )]
    NameTaken { table: String, index: String, name: String },
    #[error("table `{table}`: index `{index}` of the new definition is not a CREATE INDEX autogen can read: {sql}")]
    IndexSql { table: String, index: String, sql: String },
    #[error(
        "table `{table}`: an online rebuild of it from another revision or another model is under way: run \
         `autogen upgrade --online --abort` to remove it, then upgrade again"
    )]
    OtherPlan { table: String },
    #[error("table `{0}`: foreign keys are enforced on the connection that swaps it in: dropping the old table would fire ON DELETE actions in the tables that reference it (run `PRAGMA foreign_keys = OFF` before the swap's transaction)")]
    ForeignKeysOn(String),
    #[error("table `{table}`: the shadow holds {shadow} rows where the table holds {live}: the shadow is kept for another try")]
    Counts { table: String, live: i64, shadow: i64 },
    #[error("table `{table}`: {rows} rows the app wrote during the copy differ between the table and the shadow: the shadow is kept, nothing was swapped")]
    Mirror { table: String, rows: i64 },
    #[error("table `{table}`: {sql}: {source}")]
    Sql { table: String, sql: String, source: rusqlite::Error },
    #[error(
        "table `{table}`: an online rebuild needs room for one more copy of it, about {needed} MB, and the disk \
         holding `{path}` has {free} MB free: free some space, or upgrade offline (which needs as much)"
    )]
    NoRoom { table: String, path: String, needed: u64, free: u64 },
    #[error(
        "an online rebuild of {} is under way (an `upgrade --online` that stopped): run `autogen upgrade --online` to \
         finish it, or `autogen upgrade --online --abort` to remove it, before revisions run without --online",
        .0.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
    )]
    UnderWay(Vec<String>),
    #[error("{0} cannot rebuild a table online (it cannot hold the old table live beside the new one): upgrade without --online")]
    Unsupported(String),
}

impl Rebuild {
    /// A rebuild known by its table alone: enough to abort it or to remove
    /// the old table its swap left.
    pub fn named(table: &str) -> Rebuild {
        Rebuild {
            table: table.to_string(),
            columns: Vec::new(),
            values: Vec::new(),
            definition: String::new(),
            indexes: Vec::new(),
        }
    }

    /// The shadow table's name.
    pub fn shadow(&self) -> String {
        format!("{PREFIX}{}", self.table)
    }

    fn trigger(&self, event: &str) -> String {
        format!("{PREFIX}{}_{event}", self.table)
    }

    /// The name an index of the new definition has on the shadow until
    /// the swap (SQLite's index names are global, and the live table's
    /// index of that name is still in use).
    pub fn shadow_index(&self, index: &str) -> String {
        format!("{PREFIX}ix_{index}")
    }

    /// What the whole plan of this rebuild is, kept with its progress: a
    /// run that carries on must copy as the one it carries on did.
    fn signature(&self) -> String {
        let indexes: Vec<&str> = self.indexes.iter().map(|i| i.sql.as_str()).collect();
        format!(
            "{:016x}",
            super::fnv1a(
                format!(
                    "{}\n{}\n{}\n{}",
                    self.definition,
                    self.columns.join(","),
                    self.values.join(","),
                    indexes.join(";")
                )
                .as_bytes()
            )
        )
    }

    /// The rowids the mirror wrote (or removed) in the shadow: the rows
    /// whose values the swap checks.
    fn touched(&self) -> String {
        format!("{PREFIX}{}_touched", self.table)
    }

    fn sql<T>(&self, sql: &str, result: rusqlite::Result<T>) -> Result<T, OnlineError> {
        result.map_err(|source| OnlineError::Sql { table: self.table.clone(), sql: sql.to_string(), source })
    }

    fn run(&self, conn: &Connection, sql: &str) -> Result<(), OnlineError> {
        self.sql(sql, conn.execute_batch(sql))
    }

    /// `{verb} INTO {into} (rowid, columns) SELECT rowid, values FROM table
    /// WHERE {filter}`: what the mirror, a chunk and the swap's check
    /// write. Text, as the planner's own rebuild copy is: it carries the
    /// revision's SQL expressions.
    fn insert_select(&self, verb: &str, into: &str, filter: &str) -> String {
        let columns: Vec<String> = self.columns.iter().map(|c| ident(c)).collect();
        format!(
            "{verb} INTO {into} (rowid, {}) SELECT rowid, {} FROM {} WHERE {filter}",
            columns.join(", "),
            self.values.join(", "),
            ident(&self.table)
        )
    }

    /// The mirror's copy of the row a trigger fired for.
    fn mirror_row(&self) -> String {
        self.insert_select("INSERT", &ident(&self.shadow()), "rowid = NEW.rowid")
    }

    /// A chunk's copy of the rows from `?1` (`after` it, or from it) to
    /// `?2`; our own statement, so OR REPLACE overwrites what the mirror
    /// wrote of these rows with the same values, read in this transaction.
    fn chunk_rows(&self, after: &str) -> String {
        self.insert_select("INSERT OR REPLACE", &ident(&self.shadow()), &format!("rowid {after} ?1 AND rowid <= ?2"))
    }

    /// Makes the shadow, its indexes, the mirror triggers and the progress
    /// row, in one transaction; nothing when they are there already (a run
    /// that carries on). The database must be in WAL mode: in a rollback
    /// journal a writer locks out the app's readers too, so every chunk
    /// would stall the app's reads as well (sqlite.org/wal.html; cli.md,
    /// "Online upgrades").
    pub fn prepare(&self, conn: &Connection) -> Result<(), OnlineError> {
        let mode: String = self.sql("PRAGMA journal_mode", conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(OnlineError::NotWal { table: self.table.clone(), mode });
        }
        let rowid = self.sql(
            "pragma_table_list",
            conn.query_row(
                "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1",
                [&self.table],
                |r| r.get::<_, i64>(0),
            )
            .optional(),
        )?;
        if rowid != Some(0) {
            return Err(OnlineError::WithoutRowid(self.table.clone()));
        }
        // A column named `rowid` hides the rowid under that name
        // (lang_createtable.html#rowid), and the mirror and the chunks
        // address rows by it.
        let hidden = "SELECT 1 FROM pragma_table_xinfo(?1) WHERE name = 'rowid' COLLATE NOCASE";
        if self.sql(hidden, conn.query_row(hidden, [&self.table], |_| Ok(())).optional())?.is_some() {
            return Err(OnlineError::RowidColumn(self.table.clone()));
        }
        let shadow = ident(&self.shadow());
        let table = ident(&self.table);
        let progress_table = format!(
            "CREATE TABLE IF NOT EXISTS {} (\"table\" TEXT PRIMARY KEY, plan TEXT NOT NULL, last_rowid INTEGER, \
             copied INTEGER NOT NULL)",
            ident(PROGRESS_TABLE)
        );
        self.run(conn, &progress_table)?;
        let planned = dml::plan(&self.table);
        let recorded: Option<String> = self.sql(&planned, conn.query_row(&planned, [], |r| r.get(0)).optional())?;
        if recorded.is_some_and(|plan| plan != self.signature()) {
            return Err(OnlineError::OtherPlan { table: self.table.clone() });
        }
        let mut sql = format!("CREATE TABLE IF NOT EXISTS {shadow} {};\n", self.definition);
        for index in &self.indexes {
            // SQLite's index names are global and cannot be renamed by
            // ALTER, so the shadow's copy of an index is built under a name
            // of its own and given the index's name at the swap.
            let name = self.shadow_index(&index.name);
            let on: Option<String> = self.sql(
                "sqlite_schema",
                conn.query_row("SELECT tbl_name FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE", [&name], |r| {
                    r.get(0)
                })
                .optional(),
            )?;
            match on {
                // Made by the run this one carries on.
                Some(on) if on.eq_ignore_ascii_case(&self.shadow()) => {}
                Some(_) => {
                    return Err(OnlineError::NameTaken { table: self.table.clone(), index: index.name.clone(), name })
                }
                None => {
                    let create = crate::sql::rewrite::index_renamed(&index.sql, &name, Some(&self.shadow()))
                        .ok_or_else(|| OnlineError::IndexSql {
                            table: self.table.clone(),
                            index: index.name.clone(),
                            sql: index.sql.clone(),
                        })?;
                    sql.push_str(&format!("{create};\n"));
                }
            }
        }
        // AFTER triggers see the row as the statement left it. Inside a
        // trigger an `OR REPLACE` gives way to the conflict policy of the
        // app's statement (lang_createtrigger.html), so the shadow's row is
        // deleted first and then inserted plainly; a rowid that changed
        // (an update of an INTEGER PRIMARY KEY) leaves its old rowid
        // behind, deleted too.
        let insert = self.mirror_row();
        // Each trigger also notes the rowids it touched, with a plain
        // INSERT that cannot conflict (the app's conflict policy would
        // turn an OR IGNORE into its own).
        let touched = ident(&self.touched());
        let note = |rowid: &str| {
            format!("INSERT INTO {touched} (id) SELECT {rowid} WHERE NOT EXISTS (SELECT 1 FROM {touched} WHERE id = {rowid})")
        };
        sql.push_str(&format!("CREATE TABLE IF NOT EXISTS {touched} (id INTEGER PRIMARY KEY);\n"));
        sql.push_str(&format!(
            "CREATE TRIGGER IF NOT EXISTS {} AFTER INSERT ON {table} BEGIN \
             DELETE FROM {shadow} WHERE rowid = NEW.rowid; {insert}; {}; END;\n\
             CREATE TRIGGER IF NOT EXISTS {} AFTER UPDATE ON {table} BEGIN \
             DELETE FROM {shadow} WHERE rowid IN (OLD.rowid, NEW.rowid); {insert}; {}; {}; END;\n\
             CREATE TRIGGER IF NOT EXISTS {} AFTER DELETE ON {table} BEGIN \
             DELETE FROM {shadow} WHERE rowid = OLD.rowid; {}; END;\n",
            ident(&self.trigger("insert")),
            note("NEW.rowid"),
            ident(&self.trigger("update")),
            note("OLD.rowid"),
            note("NEW.rowid"),
            ident(&self.trigger("delete")),
            note("OLD.rowid"),
        ));
        sql.push_str(&format!("{};\n", dml::start(&self.table, &self.signature())));
        self.in_transaction(conn, || self.run(conn, &sql))
    }

    /// `body` in one `BEGIN IMMEDIATE` transaction (a chunk takes the
    /// write lock at its start, so the app's writers wait at most one
    /// chunk).
    fn in_transaction<T>(
        &self,
        conn: &Connection,
        body: impl FnOnce() -> Result<T, OnlineError>,
    ) -> Result<T, OnlineError> {
        let db =
            |source| OnlineError::Sql { table: self.table.clone(), sql: "BEGIN IMMEDIATE / COMMIT".into(), source };
        super::transaction::in_transaction(conn, db, body)
    }

    /// Copies the next `rows` rows (by rowid) in one short write
    /// transaction that also records how far it got.
    pub fn copy_chunk(&self, conn: &Connection, rows: u64) -> Result<Chunk, OnlineError> {
        // Timed from when the lock is ours to the commit: what the app's
        // writers wait.
        let mut started = Instant::now();
        let found = self.in_transaction(conn, || {
            started = Instant::now();
            self.copy_rows(conn, rows)
        })?;
        Ok(Chunk { rows: found, done: found < rows, held: started.elapsed() })
    }

    /// The body of [`Rebuild::copy_chunk`]: the rows it copied.
    fn copy_rows(&self, conn: &Connection, rows: u64) -> Result<u64, OnlineError> {
        let progress = dml::last_rowid(&self.table);
        // None before the first chunk: every rowid, the lowest included.
        let from: Option<i64> = self.sql(&progress, conn.query_row(&progress, [], |r| r.get(0)))?;
        // Plain comparisons, which SQLite answers by seeking in the rowid
        // b-tree: an `?1 IS NULL OR` in the range read every row before it,
        // each chunk slower than the last.
        let (after, from) = match from {
            Some(last) => (">", last),
            None => (">=", i64::MIN),
        };
        // The chunk's last rowid: the rows are taken in rowid order, so a
        // range says which they were, however the app writes meanwhile.
        let upto_sql = format!(
            "SELECT max(rowid), count(*) FROM (SELECT rowid FROM {} WHERE rowid {after} ?1 ORDER BY rowid LIMIT ?2)",
            ident(&self.table)
        );
        let (upto, found): (Option<i64>, i64) =
            self.sql(&upto_sql, conn.query_row(&upto_sql, params![from, rows as i64], |r| Ok((r.get(0)?, r.get(1)?))))?;
        if let Some(upto) = upto {
            let copy = self.chunk_rows(after);
            self.sql(&copy, conn.execute(&copy, params![from, upto]))?;
            self.run(conn, &dml::advance(&self.table, upto, found))?;
        }
        Ok(found as u64)
    }

    /// Copies every row left, in chunks sized so that each holds the write
    /// lock about `pace.chunk`, with `pace.pause` after each; after each
    /// chunk the WAL is checkpointed PASSIVE, which never waits for readers
    /// or writers (RESTART and TRUNCATE could hold the app's writers past
    /// their busy timeout: sqlite.md), so the WAL stays near one chunk's
    /// size. `seen` hears of every chunk (rows so far, the chunk).
    pub fn copy_all(
        &self,
        conn: &Connection,
        pace: Pace,
        mut seen: impl FnMut(&Copied, &Chunk),
    ) -> Result<Copied, OnlineError> {
        let mut copied = Copied::default();
        // A first guess, then sized by how long the last chunk took: at
        // most doubled or halved at a time, never under 100 rows.
        let mut rows: u64 = 1000;
        loop {
            let chunk = self.copy_chunk(conn, rows)?;
            copied.rows += chunk.rows;
            copied.chunks += 1;
            copied.longest = copied.longest.max(chunk.held);
            seen(&copied, &chunk);
            if chunk.done {
                return Ok(copied);
            }
            rows = next_size(rows, chunk.held, pace);
            checkpoint_and_pause(conn, pace);
        }
    }

    /// Puts the shadow in the live table's place, inside the caller's
    /// transaction (the revision's own, with its other statements and the
    /// version update after): the shadow is checked first, and a mismatch
    /// fails before anything changed.
    ///
    /// As for any rebuild (sqlite.org/lang_altertable.html, "other kinds of
    /// table schema changes"), foreign-key enforcement must be off on this
    /// connection, so that dropping the old table fires no ON DELETE action
    /// in the tables that reference it and they keep every row; the views
    /// and triggers that read the table are dropped before and made again
    /// after by the revision's own statements. The old table is left under
    /// [`Rebuild::old`] for [`Rebuild::remove_old`].
    pub fn swap(&self, conn: &Connection) -> Result<(), OnlineError> {
        let enforced: i64 = self.sql("PRAGMA foreign_keys", conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)))?;
        if enforced != 0 {
            return Err(OnlineError::ForeignKeysOn(self.table.clone()));
        }
        let (shadow, table) = (ident(&self.shadow()), ident(&self.table));
        let count = |name: &str| {
            let sql = format!("SELECT count(*) FROM {name}");
            self.sql(&sql, conn.query_row(&sql, [], |r| r.get::<_, i64>(0)))
        };
        let live = count(&table)?;
        if count(&shadow)? != live {
            // Rows an app's INSERT OR REPLACE removed without a DELETE
            // trigger: looked for only when the counts say so, since the
            // search reads the whole shadow while holding the write lock.
            self.run(
                conn,
                &format!(
                    "DELETE FROM {shadow} WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE t.rowid = {shadow}.rowid)"
                ),
            )?;
            let copy = count(&shadow)?;
            if copy != live {
                return Err(OnlineError::Counts { table: self.table.clone(), live, shadow: copy });
            }
        }
        self.check_mirrored(conn)?;
        // The old table is renamed aside rather than dropped: a DROP frees
        // every page of it inside this transaction, seconds on gigabytes
        // (sqlite.md); `remove_old` empties it in chunks afterwards. With
        // legacy_alter_table on, neither RENAME rewrites the foreign keys
        // of the tables that reference the name (sqlite.org/pragma.html
        // #pragma_legacy_alter_table), so they point at the new table. The
        // triggers the app had on the old table go with it and are dropped
        // here, so that emptying it fires none of them; the revision makes
        // the new table's own.
        let legacy: i64 =
            self.sql("PRAGMA legacy_alter_table", conn.query_row("PRAGMA legacy_alter_table", [], |r| r.get(0)))?;
        let old = ident(&self.old());
        let mut sql = format!(
            "PRAGMA legacy_alter_table = ON;\nALTER TABLE {table} RENAME TO {old};\nALTER TABLE {shadow} RENAME TO {table};\n\
             PRAGMA legacy_alter_table = {legacy};\nDROP TABLE {};\n{};\n",
            ident(&self.touched()),
            dml::finish(&self.table)
        );
        let triggers_sql = "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?1 COLLATE NOCASE";
        let triggers: Vec<String> = self.sql(
            triggers_sql,
            conn.prepare(triggers_sql).and_then(|mut s| s.query_map([&self.table], |r| r.get(0))?.collect()),
        )?;
        let triggers: String = triggers.iter().map(|t| format!("DROP TRIGGER {};\n", ident(t))).collect();
        sql.insert_str(0, &triggers);
        self.run(conn, &sql)?;
        self.carry_counter(conn)?;
        self.rename_indexes(conn)
    }

    /// An AUTOINCREMENT table's counter is the larger of the old table's
    /// (now under its aside name, RENAME moves it) and the one the copy
    /// left, so that no id of a deleted row is ever given again
    /// (sqlite.org/autoinc.html); the old one goes when the old table is
    /// dropped. Nothing for a new table without AUTOINCREMENT.
    fn carry_counter(&self, conn: &Connection) -> Result<(), OnlineError> {
        let autoincrement = crate::sql::tokenize(&self.definition)
            .map(|t| t.iter().any(|t| t.is_keyword("AUTOINCREMENT")))
            .unwrap_or(false);
        if !autoincrement || !table_exists(conn, "sqlite_sequence")? {
            return Ok(());
        }
        for sql in dml::carry_counter(&self.old(), &self.table) {
            self.run(conn, &sql)?;
        }
        Ok(())
    }

    /// Gives the shadow's indexes (now the table's) their names, after
    /// moving the old table's indexes aside under names of their own.
    /// SQLite has no ALTER INDEX, and building them again here would hold
    /// the write lock for a pass over the whole table, so the names are
    /// changed in `sqlite_schema` itself: the entry's `name` and the name
    /// in its CREATE text, nothing else (its pages and `tbl_name` stay),
    /// then the schema version is bumped so that every connection reads
    /// the schema again (sqlite.org/lang_altertable.html, "other kinds of
    /// table schema changes", which changes `sqlite_schema` the same way).
    fn rename_indexes(&self, conn: &Connection) -> Result<(), OnlineError> {
        let stored = "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL";
        let indexes_of = |table: &str| -> Result<Vec<(String, String)>, OnlineError> {
            self.sql(
                stored,
                conn.prepare(stored).and_then(|mut s| s.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()),
            )
        };
        let mut renames = Vec::new();
        for (name, _) in indexes_of(&self.old())? {
            renames.push((name.clone(), format!("{PREFIX}old_{name}")));
        }
        for index in &self.indexes {
            renames.push((self.shadow_index(&index.name), index.name.clone()));
        }
        if renames.is_empty() {
            return Ok(());
        }
        let mut texts: std::collections::HashMap<String, String> = indexes_of(&self.old())?.into_iter().collect();
        texts.extend(indexes_of(&self.table)?);
        let version: i64 =
            self.sql("PRAGMA schema_version", conn.query_row("PRAGMA schema_version", [], |r| r.get(0)))?;
        self.run(conn, "PRAGMA writable_schema = ON")?;
        let renamed =
            (|| {
                for (from, to) in &renames {
                    let Some(text) = texts.get(from) else { continue };
                    let sql = crate::sql::rewrite::index_renamed(text, to, None).ok_or_else(|| {
                        OnlineError::IndexSql { table: self.table.clone(), index: from.clone(), sql: text.clone() }
                    })?;
                    let update = dml::rename_index(from, to, &sql);
                    self.run(conn, &update)?;
                }
                self.run(conn, &format!("PRAGMA schema_version = {}", version + 1))
            })();
        let off = self.run(conn, "PRAGMA writable_schema = OFF");
        renamed.and(off)
    }

    /// The rows the mirror touched hold what the revision's expressions
    /// make of the live rows, and the rows it removed are gone: the values
    /// are computed again into a TEMP table of the new definition (so that
    /// its column affinities apply as in the shadow) and compared both
    /// ways with EXCEPT (which takes NULLs as equal).
    fn check_mirrored(&self, conn: &Connection) -> Result<(), OnlineError> {
        let (shadow, touched) = (ident(&self.shadow()), ident(&self.touched()));
        let expect = format!("temp.{}", ident(&format!("{PREFIX}{}_expect", self.table)));
        let columns: Vec<String> = self.columns.iter().map(|c| ident(c)).collect();
        let columns = columns.join(", ");
        let touched_rows = format!("rowid IN (SELECT id FROM {touched})");
        self.run(
            conn,
            &format!(
                "DROP TABLE IF EXISTS {expect};\nCREATE TABLE {expect} {};\n{};",
                without_autoincrement(&self.definition),
                self.insert_select("INSERT", &expect, &touched_rows)
            ),
        )?;
        let differ = format!(
            "SELECT count(*) FROM (SELECT rowid, {columns} FROM {expect} EXCEPT SELECT rowid, {columns} FROM {shadow} \
             WHERE {touched_rows}) UNION ALL SELECT count(*) FROM (SELECT rowid, {columns} FROM {shadow} WHERE \
             {touched_rows} EXCEPT SELECT rowid, {columns} FROM {expect})"
        );
        let counts: Vec<i64> =
            self.sql(&differ, conn.prepare(&differ).and_then(|mut s| s.query_map([], |r| r.get(0))?.collect()))?;
        self.run(conn, &format!("DROP TABLE {expect}"))?;
        let rows: i64 = counts.iter().sum();
        if rows > 0 {
            return Err(OnlineError::Mirror { table: self.table.clone(), rows });
        }
        Ok(())
    }

    /// The name the old table waits under after the swap, until
    /// [`Rebuild::remove_old`] has emptied and dropped it.
    pub fn old(&self) -> String {
        format!("{PREFIX}old_{}", self.table)
    }

    /// Empties the old table in chunks sized as the copy's are, each its
    /// own short write transaction, then drops it; carries on where a
    /// killed run stopped, and does nothing when it is gone. Returns the
    /// rows removed.
    pub fn remove_old(&self, conn: &Connection, pace: Pace) -> Result<u64, OnlineError> {
        let old = ident(&self.old());
        let mut removed = 0;
        let mut rows: u64 = 1000;
        while table_exists(conn, &self.old())? {
            let mut started = Instant::now();
            removed += self.in_transaction(conn, || {
                started = Instant::now();
                let delete = format!("DELETE FROM {old} WHERE rowid IN (SELECT rowid FROM {old} LIMIT ?1)");
                let gone = self.sql(&delete, conn.execute(&delete, [rows as i64]))? as u64;
                if gone < rows {
                    self.run(conn, &format!("DROP TABLE {old}"))?;
                }
                Ok(gone)
            })?;
            rows = next_size(rows, started.elapsed(), pace);
            checkpoint_and_pause(conn, pace);
        }
        Ok(removed)
    }

    /// Removes the shadow, the triggers and the progress row: the
    /// database as the app alone would have left it.
    pub fn abort(&self, conn: &Connection) -> Result<(), OnlineError> {
        let mut sql = format!(
            "DROP TRIGGER IF EXISTS {};\nDROP TRIGGER IF EXISTS {};\nDROP TRIGGER IF EXISTS {};\nDROP TABLE IF EXISTS {};\n\
             DROP TABLE IF EXISTS {};\n",
            ident(&self.trigger("insert")),
            ident(&self.trigger("update")),
            ident(&self.trigger("delete")),
            ident(&self.shadow()),
            ident(&self.touched())
        );
        self.in_transaction(conn, || {
            if table_exists(conn, PROGRESS_TABLE)? {
                sql.push_str(&format!("{};", dml::finish(&self.table)));
            }
            self.run(conn, &sql)
        })
    }
}

/// The run-time DML of an online rebuild (through sea-query): its
/// progress rows, its index renames, its counter.
mod dml {
    use super::*;

    fn table() -> Alias {
        Alias::new(PROGRESS_TABLE)
    }

    fn is(name: &str) -> sea_query::SimpleExpr {
        Expr::col(Alias::new("table")).eq(name)
    }

    /// A table's row, unless it is there already (a run that carries on).
    pub fn start(name: &str, plan: &str) -> String {
        Query::insert()
            .into_table(table())
            .columns([Alias::new("table"), Alias::new("plan"), Alias::new("last_rowid"), Alias::new("copied")])
            .values_panic([name.into(), plan.into(), Option::<i64>::None.into(), 0i64.into()])
            .on_conflict(OnConflict::column(Alias::new("table")).do_nothing().to_owned())
            .to_string(SqliteQueryBuilder)
    }

    pub fn plan(name: &str) -> String {
        Query::select().column(Alias::new("plan")).from(table()).and_where(is(name)).to_string(SqliteQueryBuilder)
    }

    /// The tables whose rebuild is under way.
    pub fn tables() -> String {
        Query::select().column(Alias::new("table")).from(table()).to_string(SqliteQueryBuilder)
    }

    /// An index's entry in `sqlite_schema` under another name (with
    /// `writable_schema` on).
    pub fn rename_index(from: &str, to: &str, sql: &str) -> String {
        Query::update()
            .table(Alias::new("sqlite_schema"))
            .value(Alias::new("name"), to)
            .value(Alias::new("sql"), sql)
            .and_where(Expr::col(Alias::new("type")).eq("index"))
            .and_where(Expr::col(Alias::new("name")).eq(from))
            .to_string(SqliteQueryBuilder)
    }

    pub fn last_rowid(name: &str) -> String {
        Query::select().column(Alias::new("last_rowid")).from(table()).and_where(is(name)).to_string(SqliteQueryBuilder)
    }

    /// A chunk's record: its last rowid and how many rows it copied.
    pub fn advance(name: &str, upto: i64, rows: i64) -> String {
        Query::update()
            .table(table())
            .value(Alias::new("last_rowid"), upto)
            .value(Alias::new("copied"), Expr::col(Alias::new("copied")).add(rows))
            .and_where(is(name))
            .to_string(SqliteQueryBuilder)
    }

    /// `to`'s AUTOINCREMENT counter made at least `from`'s.
    pub fn carry_counter(from: &str, to: &str) -> [String; 2] {
        use sea_query::QueryStatementBuilder;
        // `main.`: the swap's check made a TEMP table of the definition,
        // and one with AUTOINCREMENT gives `temp` a `sqlite_sequence` of
        // its own, which an unqualified name would find first.
        let sequence = || (Alias::new("main"), Alias::new("sqlite_sequence"));
        let seq_of = |name: &str| {
            Query::select()
                .column(Alias::new("seq"))
                .from(sequence())
                .and_where(Expr::col(Alias::new("name")).eq(name))
                .to_owned()
        };
        let insert = Query::insert()
            .into_table(sequence())
            .columns([Alias::new("name"), Alias::new("seq")])
            .select_from(
                Query::select()
                    .expr(Expr::val(to))
                    .column(Alias::new("seq"))
                    .from(sequence())
                    .and_where(Expr::col(Alias::new("name")).eq(from))
                    .and_where(Expr::exists(seq_of(to)).not())
                    .to_owned(),
            )
            .expect("the select names as many columns as the insert")
            .to_string(SqliteQueryBuilder);
        let update = Query::update()
            .table(sequence())
            .value(
                Alias::new("seq"),
                Expr::cust_with_exprs(
                    "max(seq, coalesce(?, 0))",
                    [sea_query::SimpleExpr::SubQuery(None, Box::new(seq_of(from).into_sub_query_statement()))],
                ),
            )
            .and_where(Expr::col(Alias::new("name")).eq(to))
            .to_string(SqliteQueryBuilder);
        [insert, update]
    }

    pub fn finish(name: &str) -> String {
        Query::delete().from_table(table()).and_where(is(name)).to_string(SqliteQueryBuilder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The free-disk check reads a table's size from `dbstat`, which the
    /// bundled SQLite must have (else the check would be skipped quietly).
    #[test]
    fn a_table_size_and_the_free_space_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX ix_t_v ON t (v);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO t SELECT i, printf('%.100c', 'x') FROM n;",
        )
        .unwrap();
        let size = size(&conn, "t").expect("dbstat is compiled in");
        assert!(size > 2000 * 100, "{size}");
        assert!(free_space(&path).is_some_and(|free| free > 0));
    }

    #[test]
    fn autoincrement_is_taken_out_of_a_definition_and_nothing_else() {
        assert_eq!(
            without_autoincrement(
                "(id INTEGER PRIMARY KEY AUTOINCREMENT, \"autoincrement\" TEXT DEFAULT 'AUTOINCREMENT')"
            ),
            "(id INTEGER PRIMARY KEY , \"autoincrement\" TEXT DEFAULT 'AUTOINCREMENT')"
        );
    }
}
