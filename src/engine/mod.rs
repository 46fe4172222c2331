//! Everything that touches a database goes through one small trait,
//! [`Engine`]: reading its schema, counting rows, reading the version
//! table, and running one revision atomically together with its
//! version-table update. What the engine allows (transactions, turning
//! foreign keys off, ALTER forms, statement size) is asked, through
//! [`Engine::capabilities`], never assumed.
//!
//! The local SQLite file ([`sqlite::Sqlite`]) is the first implementation.

pub mod d1;
pub mod diagnose;
pub mod model_program;
pub mod online;
pub mod open;
pub mod process;
pub mod progress;
pub mod script;
pub mod sql_model;
pub mod sqlite;
mod transaction;
pub mod version;
pub mod wrangler;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use open::DbError;
pub use script::RunError;

use crate::plan::Capabilities;
use crate::schema::Schema;
use crate::source::introspect::{Filter, IntrospectError};

/// What an engine failed at, before any revision ran.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{database}: {source}")]
    Introspect { database: String, source: IntrospectError },
    #[error(transparent)]
    D1(#[from] wrangler::WranglerError),
}

/// One script to run atomically: a revision and its version-table update,
/// or (without `version`) a script such as the rehearsal's.
#[derive(Debug, Clone)]
pub struct Unit<'a> {
    /// The revision id, or a name for a script that is not a revision.
    pub revision: &'a str,
    /// The file it comes from; empty for none.
    pub file: &'a str,
    pub script: &'a str,
    /// The file's line where `script` begins (1-based); 0 for none.
    pub line: usize,
    pub version: Option<Bookkeeping<'a>>,
    /// The rebuilds of `script` whose copy ran online before it: each
    /// swaps its shadow in where its statements stood.
    pub online: &'a [online::Swap],
}

/// What the version table must say before a unit, and the statements that
/// record it after (built by [`version::Update`]).
#[derive(Debug, Clone)]
pub struct Bookkeeping<'a> {
    pub table: &'a str,
    /// The heads the version table must hold when the unit starts; `None`
    /// runs whatever it holds (`stamp --purge`).
    pub expect: Option<&'a [String]>,
    pub record: &'a [String],
}

/// How a unit ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    Applied,
    /// Applied, over rows that broke foreign keys before it and still do
    /// (described, one group a line): not the revision's doing.
    AppliedOverOrphans(Vec<String>),
    /// The version table no longer held the expected heads (another
    /// process moved the database): nothing ran, and these are the heads.
    Moved(Vec<String>),
}

/// The rows of a table, counted and hashed ([`Engine::digest`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digest {
    pub rows: i64,
    /// For each value of a row (the rowid first where it is read), the
    /// wrapping sum of its hash with the row's first value (its key), so
    /// that order does not count and a value that changed is found by its
    /// column.
    pub columns: Vec<u64>,
}

impl Digest {
    /// Adds one row, given as the text [`DigestRequest::query`] makes of it.
    pub fn add(&mut self, row: &str) {
        self.rows += 1;
        let values = quoted_values(row);
        if self.columns.len() < values.len() {
            self.columns.resize(values.len(), 0);
        }
        let key = values.first().map_or(0, |k| fnv1a(k.as_bytes()));
        for (sum, value) in self.columns.iter_mut().zip(&values) {
            *sum = sum.wrapping_add(fnv1a(value.as_bytes()).wrapping_mul(31).wrapping_add(key));
        }
    }
}

/// The values of a row as [`DigestRequest::query`] joins them: each
/// `quote()`d (NULL, a number, `'text'` with `'` doubled, `X'hex'`),
/// separated by `,`. A comma inside quotes is text.
pub fn quoted_values(row: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in row.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&row[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !row.is_empty() {
        out.push(&row[start..]);
    }
    out
}

/// One table's rows to digest ([`Engine::digests`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRequest {
    pub table: String,
    pub columns: Vec<String>,
    /// The name the rowid is read by, one no column of the table takes
    /// (`rowid`, `_rowid_` or `oid`); `None` to leave the rowid out.
    pub rowid: Option<&'static str>,
}

impl DigestRequest {
    /// The query whose one text column is a row as [`Digest::add`] takes
    /// it: every engine sends the same, so their digests compare.
    pub fn query(&self) -> String {
        use crate::sql::quote::ident;
        let mut values: Vec<String> = self.columns.iter().map(|c| format!("quote({})", ident(c))).collect();
        if let Some(alias) = self.rowid {
            values.insert(0, format!("quote({alias})"));
        }
        let list = if values.is_empty() { "''".to_string() } else { values.join(" || ',' || ") };
        format!("SELECT {list} AS autogen_row FROM {}", ident(&self.table))
    }

    /// [`DigestRequest::query`] in the order of the rowid (or of the first
    /// column, for a table without one), at most `limit` rows.
    pub fn ordered(&self, limit: usize) -> String {
        let order = match self.rowid {
            Some(alias) => alias.to_string(),
            None => "1".into(),
        };
        format!("{} ORDER BY {order} LIMIT {limit}", self.query())
    }
}

/// FNV-1a, 64 bits.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// What the version table holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Versions {
    /// The current heads, sorted.
    pub heads: Vec<String>,
    /// (revision, checksum of its file when it was applied).
    pub checksums: Vec<(String, String)>,
}

/// What a rehearsal copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScratchCopy {
    /// The schema only (rows too where that is as cheap): finds SQL that
    /// SQLite refuses.
    Schema,
    /// Every row too: finds NOT NULL, UNIQUE and CHECK failures that depend
    /// on the data.
    Rows,
    /// The schema and no row: what a revision does to the schema alone.
    Empty,
}

/// Set once whatever runs on a scratch database is no longer wanted: the
/// scratch engine stops what it runs, with an error, at its next poll.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A database autogen reads and migrates.
pub trait Engine: Send {
    /// The database as messages name it: ``database `app.db` ``.
    fn label(&self) -> String;

    /// What revisions for this database may use.
    fn capabilities(&self) -> Capabilities;

    /// Whether dropping the engine only frees memory, so that a process
    /// about to exit may skip it: a read-only SQLite connection writes
    /// nothing when it closes (it cannot checkpoint a WAL), and the exit
    /// closes its file.
    fn holds_only_memory(&self) -> bool {
        false
    }

    /// The managed schema: everything but `sqlite_*`, the engine's own
    /// tables and what `filter` leaves out.
    fn introspect(&mut self, filter: &Filter) -> Result<Schema, EngineError>;

    /// Each query's single integer, `None` for a query that fails. Data
    /// warnings use it; an engine may send them all at once.
    fn counts(&mut self, queries: &[String]) -> Vec<Option<i64>>;

    /// The rows of `table` as a digest of the values in `columns` (and the
    /// rowid read by the name `rowid` gives), whatever their order: what the rehearsal
    /// compares before and after a revision to know that no row was lost or
    /// changed.
    fn digest(&mut self, table: &str, columns: &[String], rowid: Option<&'static str>) -> Result<Digest, EngineError>;

    /// [`Engine::digest`] of several tables: an engine whose every call
    /// costs (D1) answers them at once.
    fn digests(&mut self, requests: &[DigestRequest]) -> Result<Vec<Digest>, EngineError> {
        requests.iter().map(|r| self.digest(&r.table, &r.columns, r.rowid)).collect()
    }

    /// The first `limit` rows of a digest request, in the order of the
    /// table's key, each as its query writes it: to show a row that a
    /// revision changed.
    fn rows(&mut self, request: &DigestRequest, limit: usize) -> Result<Vec<String>, EngineError>;

    /// The version table; empty when it does not exist.
    fn versions(&mut self, version_table: &str) -> Result<Versions, EngineError>;

    /// A hash of the schema as stored (every CREATE text, in order): two
    /// databases with the same one take a revision the same way, so a
    /// fleet rehearses once per fingerprint. Cheaper than introspecting.
    fn fingerprint(&mut self) -> Result<u64, EngineError>;

    /// Runs `unit` atomically: the script, the foreign-key check, the
    /// version-table update. A failure leaves the database as it was.
    fn run(&mut self, unit: &Unit) -> Result<Ran, RunError>;

    /// A throwaway copy to rehearse on, which `stop` interrupts.
    fn scratch(&mut self, copy: ScratchCopy, stop: &Stop) -> Result<Box<dyn Engine>, EngineError>;

    /// Online rebuilds (cli.md, "Online upgrades"): the shadow, its mirror
    /// and its copy, on an engine that can hold the old table live beside
    /// the new one; the swap runs in [`Engine::run`] with the unit's
    /// `online`.
    fn online(&mut self) -> Result<&mut dyn online::Online, online::OnlineError> {
        Err(online::OnlineError::Unsupported(self.label()))
    }
}
