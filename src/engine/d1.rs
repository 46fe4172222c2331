//! Cloudflare D1 through wrangler (cli.md, "Other engines"; sqlite.md,
//! "D1"). What it changes against the local engine:
//!
//! - A unit is one `wrangler d1 execute --file`, which D1 runs atomically:
//!   D1 refuses `BEGIN` and `SAVEPOINT`, so the version table's check and
//!   update are statements in the same file, a guard statement failing
//!   the whole file when another run moved the database first.
//! - Foreign keys stay enforced (`PRAGMA foreign_keys = OFF` is accepted
//!   and ignored): the file starts with `PRAGMA defer_foreign_keys = ON`,
//!   and the planner holds the rows a rebuild's DROP TABLE would reach.
//! - Every call costs about 1.7 s, so each method sends its queries at once.
//! - D1 refuses any reference to its own `_cf_*` tables: they are filtered
//!   out of `sqlite_schema` before any PRAGMA function sees their names.
//! - wrangler's JSON loses blob and float exactness: values are read
//!   through `quote()`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::script::{self, RunError, StatementFailure};
use super::wrangler::{Row, Wrangler, WranglerError};
use super::{version, DbError, Digest, DigestRequest, Engine, EngineError, Ran, ScratchCopy, Stop, Unit, Versions};
use crate::plan::Capabilities;
use crate::schema::Schema;
use crate::source::introspect::{self, Catalog, Filter, ListedTable, SchemaRow};
use crate::sql::quote::{ident, literal};

/// Tables D1 and wrangler keep for themselves, never read or touched:
/// `_cf_*` (D1's metadata) and wrangler's `d1_migrations`.
const NOT_OURS: &str = "name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> 'd1_migrations'";

/// The message the version guard stops a unit with.
const MOVED: &str = "the version table no longer holds the heads this revision starts from";

/// A D1 database, local or remote.
pub struct D1 {
    wrangler: Wrangler,
    /// A scratch copy's own state folder, removed when it is dropped.
    _scratch: Option<ScratchDir>,
    stop: Option<Stop>,
}

impl D1 {
    pub fn open(wrangler: Wrangler) -> D1 {
        D1 { wrangler, _scratch: None, stop: None }
    }

    /// Runs `statements` as one call; `Err` names what wrangler said.
    fn query(&self, statements: &[String]) -> Result<Vec<Vec<Row>>, WranglerError> {
        if self.stop.as_ref().is_some_and(Stop::is_stopped) {
            return Err(WranglerError::Failed { name: self.wrangler.database.clone(), message: "stopped".into() });
        }
        let mut sql = String::new();
        for s in statements {
            sql.push_str(s);
            sql.push_str(";\n");
        }
        self.wrangler.execute(&sql, Some(statements.len()))
    }

    /// The stored CREATE statements that make the schema, in order: what a
    /// schema-only scratch copy replays.
    fn creates(&self) -> Result<Vec<String>, WranglerError> {
        let rows = self.query(&[format!(
            "SELECT sql AS s FROM sqlite_schema WHERE sql IS NOT NULL AND {NOT_OURS} AND name NOT LIKE \
             'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"
        )])?;
        Ok(rows.into_iter().flatten().filter_map(|r| text(&r, "s")).collect())
    }
}

impl Engine for D1 {
    fn label(&self) -> String {
        let place = if self.wrangler.remote { "remote" } else { "local" };
        match &self.wrangler.persist_to {
            Some(_) if self._scratch.is_some() => format!("scratch copy of D1 database `{}`", self.wrangler.database),
            _ => format!("D1 database `{}` ({place})", self.wrangler.database),
        }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::D1
    }

    fn introspect(&mut self, filter: &Filter) -> Result<Schema, EngineError> {
        let plain = format!(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND {NOT_OURS} AND name NOT LIKE 'sqlite\\_%' \
             ESCAPE '\\' AND upper(substr(ltrim(sql), 1, 14)) <> 'CREATE VIRTUAL'"
        );
        let results = self.query(&[
            format!(
                "SELECT type AS t, name AS n, tbl_name AS b, sql AS s FROM sqlite_schema WHERE {NOT_OURS} ORDER BY \
                 rowid"
            ),
            format!("SELECT name AS n, type AS t, ncol AS c FROM pragma_table_list WHERE schema = 'main' AND {NOT_OURS}"),
            format!(
                "SELECT m.name AS n, count(DISTINCT f.id) AS c FROM ({plain}) AS m JOIN pragma_foreign_key_list(m.name) \
                 AS f GROUP BY m.name"
            ),
        ])?;
        let [schema, listed, keys] = results.as_slice() else {
            return Err(answer(&self.wrangler, "three results expected").into());
        };
        let catalog = Catalog {
            rows: schema
                .iter()
                .map(|r| SchemaRow {
                    kind: text(r, "t").unwrap_or_default(),
                    name: text(r, "n").unwrap_or_default(),
                    table: text(r, "b").unwrap_or_default(),
                    sql: text(r, "s"),
                })
                .collect(),
            listed: listed
                .iter()
                .map(|r| ListedTable {
                    name: text(r, "n").unwrap_or_default(),
                    kind: text(r, "t").unwrap_or_default(),
                    ncol: integer(r, "c").unwrap_or_default(),
                })
                .collect(),
            foreign_keys: keys
                .iter()
                .map(|r| (text(r, "n").unwrap_or_default(), integer(r, "c").unwrap_or_default()))
                .collect(),
            columns: None,
        };
        introspect::from_catalog(&catalog, filter)
            .map_err(|source| EngineError::Introspect { database: self.label(), source })
    }

    fn counts(&mut self, queries: &[String]) -> Vec<Option<i64>> {
        if queries.is_empty() {
            return Vec::new();
        }
        // One failing query fails the whole call: then none is known.
        match self.query(queries) {
            Ok(results) => results.iter().map(|rows| rows.first().and_then(first_integer)).collect(),
            Err(_) => vec![None; queries.len()],
        }
    }

    fn digest(&mut self, table: &str, columns: &[String], rowid: bool) -> Result<Digest, EngineError> {
        let request = DigestRequest { table: table.into(), columns: columns.to_vec(), rowid };
        Ok(self.digests(&[request])?.remove(0))
    }

    fn digests(&mut self, requests: &[DigestRequest]) -> Result<Vec<Digest>, EngineError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let queries: Vec<String> = requests.iter().map(DigestRequest::query).collect();
        let results = self.query(&queries)?;
        Ok(results
            .iter()
            .map(|rows| {
                let mut digest = Digest::default();
                for row in rows {
                    digest.add(&text(row, "autogen_row").unwrap_or_default());
                }
                digest
            })
            .collect())
    }

    fn versions(&mut self, version_table: &str) -> Result<Versions, EngineError> {
        let sums = version::checksum_table(version_table);
        let shape =
            |table: &str| format!("SELECT group_concat(name, ',') AS c FROM pragma_table_info({})", literal(table));
        let shapes = self.query(&[shape(version_table), shape(&sums)])?;
        let columns = |i: usize| shapes.get(i).and_then(|r| r.first()).and_then(|r| text(r, "c")).unwrap_or_default();
        let mut queries = Vec::new();
        for (table, columns, expected) in
            [(version_table, columns(0), "version_num"), (sums.as_str(), columns(1), "revision,checksum")]
        {
            if columns.is_empty() {
                continue;
            }
            if !columns.eq_ignore_ascii_case(expected) {
                return Err(EngineError::Db(DbError::NotAVersionTable {
                    path: PathBuf::from(self.label()),
                    table: table.to_string(),
                    columns: columns.replace(',', ", "),
                }));
            }
            queries.push(if table == version_table {
                format!("SELECT version_num AS v FROM {} ORDER BY version_num", ident(table))
            } else {
                format!("SELECT revision AS r, checksum AS c FROM {} ORDER BY revision", ident(table))
            });
        }
        let mut versions = Versions::default();
        if queries.is_empty() {
            return Ok(versions);
        }
        let results = self.query(&queries)?;
        let mut results = results.into_iter();
        if !columns(0).is_empty() {
            versions.heads = results.next().unwrap_or_default().iter().filter_map(|r| text(r, "v")).collect();
        }
        if !columns(1).is_empty() {
            versions.checksums = results
                .next()
                .unwrap_or_default()
                .iter()
                .filter_map(|r| Some((text(r, "r")?, text(r, "c")?)))
                .collect();
        }
        Ok(versions)
    }

    fn fingerprint(&mut self) -> Result<u64, EngineError> {
        let rows = self.query(&[format!(
            "SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS r FROM sqlite_schema WHERE {NOT_OURS} ORDER \
             BY rowid"
        )])?;
        let mut hash = super::fnv1a(b"");
        for row in rows.iter().flatten() {
            hash = hash.rotate_left(5) ^ super::fnv1a(text(row, "r").unwrap_or_default().as_bytes());
        }
        Ok(hash)
    }

    fn run(&mut self, unit: &Unit) -> Result<Ran, RunError> {
        let statements = script::statements(unit.script, unit.revision, unit.file, unit.line)?;
        let limit = Capabilities::D1.max_statement_bytes.unwrap_or(usize::MAX);
        if let Some(long) = statements.iter().find(|s| s.len() + 1 > limit) {
            return Err(failure(
                unit,
                long,
                format!(
                    "a statement of {} bytes: D1 refuses statements over {limit} bytes; split it (nothing was run)",
                    long.len()
                ),
            ));
        }
        let mut file = String::from("PRAGMA defer_foreign_keys = ON;\n");
        if let Some(version) = &unit.version {
            for stmt in version::create(version.table) {
                file.push_str(&format!("{stmt};\n"));
            }
            if let Some(expect) = version.expect {
                file.push_str(&format!("{};\n", version::heads_guard(version.table, expect, MOVED)));
            }
        }
        for stmt in &statements {
            file.push_str(stmt);
            // A statement may end in a `--` comment: the `;` on its own line.
            file.push_str("\n;\n");
        }
        file.push_str(&format!("{};\n", foreign_key_guard()));
        for stmt in unit.version.iter().flat_map(|v| v.record) {
            file.push_str(&format!("{stmt};\n"));
        }
        match self.wrangler.execute(&file, None) {
            Ok(_) => Ok(Ran::Applied),
            Err(WranglerError::Sql { message, .. }) => {
                let message = d1_message(&message);
                if message.contains(MOVED) {
                    let table = unit.version.as_ref().map_or("", |v| v.table);
                    let heads = self.versions(table).map_err(|e| RunError::D1(Box::new(e)))?.heads;
                    return Ok(Ran::Moved(heads));
                }
                Err(RunError::Batch {
                    revision: unit.revision.into(),
                    file: unit.file.into(),
                    database: self.label(),
                    message,
                })
            }
            Err(other) => Err(RunError::D1(Box::new(other.into()))),
        }
    }

    fn scratch(&mut self, copy: ScratchCopy, stop: &Stop) -> Result<Box<dyn Engine>, EngineError> {
        let dir =
            ScratchDir::new().map_err(|e| answer(&self.wrangler, &format!("cannot make a scratch folder: {e}")))?;
        let wrangler = self.wrangler.persisted_to(&dir.0);
        let rows = !self.wrangler.remote && copy != ScratchCopy::Empty;
        if rows {
            // The local database is a SQLite file in WAL mode: its folder is
            // copied whole (the -wal file holds recent writes).
            let from = self.wrangler.state_dir().join("v3").join("d1");
            if from.is_dir() {
                copy_dir(&from, &dir.0.join("v3").join("d1"))
                    .map_err(|e| answer(&self.wrangler, &format!("cannot copy the local state: {e}")))?;
            }
        }
        let mut scratch = D1 { wrangler, _scratch: Some(dir), stop: Some(stop.clone()) };
        if !rows {
            let creates = self.creates()?;
            if !creates.is_empty() {
                scratch.query(&creates)?;
            }
        }
        scratch.stop = Some(stop.clone());
        Ok(Box::new(scratch))
    }
}

/// The unit failed at `statement`.
fn failure(unit: &Unit, statement: &str, message: String) -> RunError {
    RunError::Statement(Box::new(StatementFailure {
        revision: unit.revision.into(),
        file: unit.file.into(),
        index: 0,
        line: script::line_of(unit.script, statement, unit.line),
        statement: statement.to_string(),
        message,
        hint: None,
    }))
}

/// D1's words without its `: SQLITE_…` suffix, a guard's message as the
/// guard says it.
fn d1_message(message: &str) -> String {
    let trimmed = message.split(": SQLITE_").next().unwrap_or(message);
    crate::sql::guard_message(trimmed).into_owned()
}

/// A statement that fails the file when any row breaks a foreign key: the
/// deferred checks would roll it back at the end anyway, but without
/// saying where.
fn foreign_key_guard() -> String {
    format!(
        "SELECT json_extract('{{}}', {} || \"table\" || '` (rowid ' || coalesce(rowid, 'NULL') || ') references a \
         missing row of `' || parent || '`') FROM pragma_foreign_key_check LIMIT 1",
        literal(&format!("{}the revision leaves rows that break foreign keys: a row of `", crate::sql::GUARD_PREFIX))
    )
}

fn answer(wrangler: &Wrangler, message: &str) -> WranglerError {
    WranglerError::Answer { name: wrangler.database.clone(), message: message.to_string() }
}

fn text(row: &Row, key: &str) -> Option<String> {
    match row.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn integer(row: &Row, key: &str) -> Option<i64> {
    row.get(key).and_then(Value::as_i64)
}

fn first_integer(row: &Row) -> Option<i64> {
    row.values().next().and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

/// A temporary folder, removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> std::io::Result<ScratchDir> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("autogen-d1-scratch-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(ScratchDir(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
