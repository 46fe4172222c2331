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
use super::wrangler::{self, Row, Wrangler, WranglerError, MAX_STATEMENT_BYTES};
use super::{version, DbError, Digest, DigestRequest, Engine, EngineError, Ran, ScratchCopy, Stop, Unit, Versions};
use crate::plan::Capabilities;
use crate::schema::Schema;
use crate::source::introspect::{self, Catalog, Filter, ListedTable, SchemaRow};
use crate::sql::quote::{ident, literal};

/// Tables D1 and wrangler keep for themselves, never read or touched:
/// `_cf_*` (D1's metadata; any reference to one is refused) and wrangler's
/// `d1_migrations`. A condition on `sqlite_schema` or `pragma_table_list`.
const NOT_OURS: &str = "name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'd1\\_migrations' ESCAPE '\\'";

/// [`NOT_OURS`] for `sqlite_schema` rows: neither those tables nor their
/// indexes and triggers.
const OBJECTS_NOT_OURS: &str = "name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'd1\\_migrations' ESCAPE \
     '\\' AND tbl_name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND tbl_name NOT LIKE 'd1\\_migrations' ESCAPE '\\'";

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

    /// Runs `statements` as one call, each one's rows; `Err` names what
    /// wrangler said.
    fn query(&self, statements: &[String]) -> Result<Vec<Vec<Row>>, WranglerError> {
        self.send(statements, true)
    }

    /// `check`: wrangler must split the text into these very statements.
    /// Without it, statements it glues together still run (what replaying
    /// stored CREATE text needs, a trigger's `end` in lower case included).
    fn send(&self, statements: &[String], check: bool) -> Result<Vec<Vec<Row>>, WranglerError> {
        self.stopped()?;
        let mut sql = String::new();
        for s in statements {
            sql.push_str(s);
            sql.push_str(";\n");
        }
        self.wrangler.execute(&sql, check.then_some(statements.len()))
    }

    fn stopped(&self) -> Result<(), WranglerError> {
        if self.stop.as_ref().is_some_and(Stop::is_stopped) {
            return Err(WranglerError::Failed { name: self.wrangler.database.clone(), message: "stopped".into() });
        }
        Ok(())
    }

    /// The stored CREATE statements that make the schema, in order: what a
    /// schema-only scratch copy replays. Shadow tables are made by their
    /// virtual table; internal objects by SQLite.
    fn creates(&self) -> Result<Vec<String>, WranglerError> {
        // The shadow tables listed apart: a join ran the PRAGMA function once
        // per object (engine::sqlite's schema copy says how slow).
        let results = self.query(&[
            "SELECT name AS n FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'".to_string(),
            format!(
                "SELECT name AS n, sql AS s FROM sqlite_schema WHERE sql IS NOT NULL AND {OBJECTS_NOT_OURS} AND name \
                 NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"
            ),
        ])?;
        let shadow: Vec<String> = results.first().into_iter().flatten().filter_map(|r| text(r, "n")).collect();
        let objects = results.get(1).into_iter().flatten();
        Ok(objects.filter(|r| text(r, "n").is_none_or(|n| !shadow.contains(&n))).filter_map(|r| text(r, "s")).collect())
    }

    /// The live shape of each expected table, in one call.
    fn shapes(
        &self,
        expected: &[crate::plan::expect::Expectation],
    ) -> Result<Vec<crate::plan::expect::Shape>, WranglerError> {
        let results = self.query(&crate::plan::expect::shape_queries(expected))?;
        let rows: Vec<(String, String, String)> = results
            .iter()
            .flatten()
            .map(|r| {
                (text(r, "t").unwrap_or_default(), text(r, "k").unwrap_or_default(), text(r, "n").unwrap_or_default())
            })
            .collect();
        let rows = rows.iter().map(|(t, k, n)| (t.as_str(), k.as_str(), n.as_str()));
        Ok(crate::plan::expect::Shape::all_from_rows(expected, rows))
    }

    /// [`Engine::versions`] in two calls: the tables' columns, then what
    /// is there (a first run, or a table that is not autogen's).
    fn versions_slowly(&self, version_table: &str) -> Result<Versions, EngineError> {
        let sums = version::checksum_table(version_table);
        let shapes = self.query(&[shape_query(version_table), shape_query(&sums)])?;
        let found = [columns_of(&shapes, 0), columns_of(&shapes, 1)];
        let present = self.shaped(version_table, &found)?;
        let queries: Vec<String> =
            version_queries(version_table).into_iter().zip(present).filter(|(_, p)| *p).map(|(q, _)| q).collect();
        let mut versions = Versions::default();
        if queries.is_empty() {
            return Ok(versions);
        }
        let mut results = self.query(&queries)?.into_iter();
        if present[0] {
            versions.heads = heads(&results.next().unwrap_or_default());
        }
        if present[1] {
            versions.checksums = checksums(&results.next().unwrap_or_default());
        }
        Ok(versions)
    }

    /// Whether each version table is there, from its columns (as
    /// `a,b`, empty for none); a table of that name with other columns is
    /// someone else's, and refused.
    fn shaped(&self, version_table: &str, found: &[String; 2]) -> Result<[bool; 2], EngineError> {
        let sums = version::checksum_table(version_table);
        let mut present = [false; 2];
        for (i, (table, expected)) in
            [(version_table, "version_num"), (sums.as_str(), "revision,checksum")].into_iter().enumerate()
        {
            if found[i].is_empty() {
                continue;
            }
            if !found[i].eq_ignore_ascii_case(expected) {
                return Err(EngineError::Db(DbError::NotAVersionTable {
                    path: PathBuf::from(&self.wrangler.database),
                    table: table.to_string(),
                    columns: found[i].replace(',', ", "),
                }));
            }
            present[i] = true;
        }
        Ok(present)
    }
}

/// A table's columns in order, joined with `,` (empty: no such table).
fn shape_query(table: &str) -> String {
    format!(
        "SELECT coalesce(group_concat(name, ','), '') AS c FROM (SELECT name FROM pragma_table_info({}) ORDER BY cid)",
        literal(table)
    )
}

fn columns_of(results: &[Vec<Row>], i: usize) -> String {
    results.get(i).and_then(|r| r.first()).and_then(|r| text(r, "c")).unwrap_or_default()
}

/// The heads and the checksums, as [`heads`] and [`checksums`] read them.
fn version_queries(version_table: &str) -> [String; 2] {
    [
        format!("SELECT version_num AS v FROM {} ORDER BY version_num", ident(version_table)),
        format!(
            "SELECT revision AS r, checksum AS c FROM {} ORDER BY revision",
            ident(&version::checksum_table(version_table))
        ),
    ]
}

fn heads(rows: &[Row]) -> Vec<String> {
    rows.iter().filter_map(|r| text(r, "v")).collect()
}

fn checksums(rows: &[Row]) -> Vec<(String, String)> {
    rows.iter().filter_map(|r| Some((text(r, "r")?, text(r, "c")?))).collect()
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
        // D1's own tables are left out before any PRAGMA function is called
        // on a name: D1 refuses the whole query otherwise.
        let plain = format!(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND {NOT_OURS} AND name NOT LIKE 'sqlite\\_%' \
             ESCAPE '\\' AND upper(substr(ltrim(sql), 1, 14)) <> 'CREATE VIRTUAL'"
        );
        let results = self.query(&[
            format!(
                "SELECT type AS t, name AS n, tbl_name AS b, sql AS s FROM sqlite_schema WHERE {OBJECTS_NOT_OURS} \
                 ORDER BY rowid"
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
            foreign_keys: Some(
                keys.iter().map(|r| (text(r, "n").unwrap_or_default(), integer(r, "c").unwrap_or_default())).collect(),
            ),
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

    fn digest(&mut self, table: &str, columns: &[String], rowid: Option<&'static str>) -> Result<Digest, EngineError> {
        let request = DigestRequest { table: table.into(), columns: columns.to_vec(), rowid };
        Ok(self.digests(&[request])?.remove(0))
    }

    fn digests(&mut self, requests: &[DigestRequest]) -> Result<Vec<Digest>, EngineError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        // The values through `quote()` (DigestRequest::query): exact for
        // blobs, floats and large integers, which wrangler's JSON is not.
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

    fn rows(&mut self, request: &DigestRequest, limit: usize) -> Result<Vec<String>, EngineError> {
        let results = self.query(&[request.ordered(limit)])?;
        Ok(results.iter().flatten().map(|row| text(row, "autogen_row").unwrap_or_default()).collect())
    }

    fn versions(&mut self, version_table: &str) -> Result<Versions, EngineError> {
        // Where both tables are there (every run but the first) one call
        // reads their columns and their rows; else the rows' queries fail
        // and two calls read what there is.
        let [heads_query, sums_query] = version_queries(version_table);
        let sums = version::checksum_table(version_table);
        let results = match self.query(&[shape_query(version_table), shape_query(&sums), heads_query, sums_query]) {
            Ok(results) => results,
            Err(WranglerError::Sql { .. }) => return self.versions_slowly(version_table),
            Err(e) => return Err(e.into()),
        };
        let found = [columns_of(&results, 0), columns_of(&results, 1)];
        self.shaped(version_table, &found)?;
        Ok(Versions {
            heads: results.get(2).map(|rows| heads(rows)).unwrap_or_default(),
            checksums: results.get(3).map(|rows| checksums(rows)).unwrap_or_default(),
        })
    }

    fn fingerprint(&mut self) -> Result<u64, EngineError> {
        // As the local engine hashes it, D1's own objects left out.
        let rows = self.query(&[format!(
            "SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS r FROM sqlite_schema WHERE {OBJECTS_NOT_OURS} \
             ORDER BY rowid"
        )])?;
        let mut hash = super::fnv1a(b"");
        for row in rows.iter().flatten() {
            hash = hash.rotate_left(5) ^ super::fnv1a(text(row, "r").unwrap_or_default().as_bytes());
        }
        Ok(hash)
    }

    fn run(&mut self, unit: &Unit) -> Result<Ran, RunError> {
        let statements = script::statements(unit.script, unit.revision, unit.file, unit.line)?;
        let expected = script::expectations(unit)?;
        match self.run_file(unit, &statements, &expected, &[]) {
            // Rows that broke a foreign key before the revision are not its
            // doing: read them (the file rolled back), and run it again
            // leaving exactly those out of the check.
            Err(RunError::Batch { message, .. }) if message.contains(version::FOREIGN_KEY_GUARD) => {
                let d1err = |e: WranglerError| RunError::D1(Box::new(e.into()));
                let rows = self.query(&[version::violation_keys_query()]).map_err(d1err)?;
                let rows: Vec<&Row> = rows.iter().flatten().collect();
                let predating: Vec<String> = rows.iter().filter_map(|r| text(r, "v")).collect();
                let violations: Vec<super::diagnose::Violation> = rows
                    .iter()
                    .map(|r| (text(r, "t").unwrap_or_default(), integer(r, "r"), text(r, "p").unwrap_or_default()))
                    .collect();
                match self.run_file(unit, &statements, &expected, &predating)? {
                    Ran::Applied if !predating.is_empty() => {
                        Ok(Ran::AppliedOverOrphans(super::diagnose::describe_violations(violations)))
                    }
                    other => Ok(other),
                }
            }
            other => other,
        }
    }

    fn scratch(&mut self, copy: ScratchCopy, stop: &Stop) -> Result<Box<dyn Engine>, EngineError> {
        self.scratch_of(copy, stop)
    }
}

impl D1 {
    /// The unit as one file, run atomically, its foreign-key check leaving
    /// out the violations in `predating`.
    fn run_file(
        &mut self,
        unit: &Unit,
        statements: &[&str],
        expected: &[crate::plan::expect::Expectation],
        predating: &[String],
    ) -> Result<Ran, RunError> {
        let d1err = |e: WranglerError| RunError::D1(Box::new(e.into()));
        self.stopped().map_err(d1err)?;
        // The file: D1 runs it in one transaction, all or nothing.
        let mut file = String::from("PRAGMA defer_foreign_keys = ON;\n");
        if let Some(version) = &unit.version {
            for stmt in version::create(version.table) {
                file.push_str(&format!("{stmt};\n"));
            }
            if let Some(expect) = version.expect {
                file.push_str(&format!("{};\n", version::heads_guard(version.table, expect, MOVED)));
            }
        }
        // No transaction to read in: the tables are checked in the file,
        // and a difference read afterwards to be named.
        let drifted = script::drift_guard_message(unit.revision);
        for e in expected {
            file.push_str(&format!("{};\n", crate::plan::expect::guard(e, &drifted)));
        }
        // Where each of the unit's statements starts in the file.
        let mut starts = Vec::with_capacity(statements.len());
        for stmt in statements {
            starts.push(file.len());
            file.push_str(stmt);
            // A statement may end in a `--` comment: the `;` on its own line.
            file.push_str("\n;\n");
        }
        let end_of_unit = file.len();
        file.push_str(&format!("{};\n", version::foreign_key_guard_except(predating)));
        for stmt in unit.version.iter().flat_map(|v| v.record) {
            file.push_str(&format!("{stmt};\n"));
        }
        // Each statement as wrangler will send it must fit D1's limit; a
        // statement it glues to the ones after it counts with them.
        for piece in wrangler::split(&file) {
            if piece.text.len() <= MAX_STATEMENT_BYTES {
                continue;
            }
            let index = starts.iter().rposition(|s| *s <= piece.offset).unwrap_or(0);
            let stmt = statements.get(index).copied().unwrap_or_default();
            let glued = piece.offset < end_of_unit && piece.offset + stmt.len() + 2 < piece.text.len();
            let message = if glued {
                format!(
                    "D1 would get this statement and the ones after it as one statement of {} bytes (wrangler reads \
                     `BEGIN` or `CASE` to an upper-case `END` followed by a space or `;`, and this one has none), \
                     over D1's limit of {MAX_STATEMENT_BYTES} bytes: write its `END` in upper case; nothing was run",
                    piece.text.len()
                )
            } else {
                format!(
                    "a statement of {} bytes: D1 refuses statements over {MAX_STATEMENT_BYTES} bytes; split it in \
                     smaller ones (nothing was run)",
                    piece.text.len()
                )
            };
            return Err(failure(unit, index, stmt, message));
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
                if message.contains(&drifted) {
                    let shapes = self.shapes(expected).map_err(d1err)?;
                    script::drift(unit, self.label(), expected, &shapes)?;
                }
                // D1 does not say which statement failed: a guard's
                // message says what it checked; any other, the whole file.
                Err(RunError::Batch {
                    revision: unit.revision.into(),
                    file: unit.file.into(),
                    database: self.label(),
                    message,
                })
            }
            Err(other) => Err(d1err(other)),
        }
    }

    fn scratch_of(&mut self, copy: ScratchCopy, stop: &Stop) -> Result<Box<dyn Engine>, EngineError> {
        self.stopped()?;
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
        let scratch = D1 { wrangler, _scratch: Some(dir), stop: Some(stop.clone()) };
        if !rows {
            // A remote database, or no rows wanted: its schema, replayed
            // locally in one call.
            let creates = self.creates()?;
            if !creates.is_empty() {
                scratch.send(&creates, false)?;
            }
        }
        Ok(Box::new(scratch))
    }
}

/// The unit failed at its statement `index` (0-based) before anything ran.
fn failure(unit: &Unit, index: usize, statement: &str, message: String) -> RunError {
    RunError::Statement(Box::new(StatementFailure {
        revision: unit.revision.into(),
        file: unit.file.into(),
        index: index + 1,
        line: script::line_of(unit.script, statement, unit.line),
        statement: if statement.len() > 300 {
            format!("{}…", statement.chars().take(200).collect::<String>())
        } else {
            statement.to_string()
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::sqlite::Sqlite;
    use crate::engine::version::{Forget, Update};
    use crate::engine::Bookkeeping;

    const VERSIONS: &str = "autogen_version";

    /// A parent with AUTOINCREMENT and values JSON would not carry exactly
    /// (a blob, an integer over 2^53, a REAL 2.0, 1e300; in `y`, REALs whose
    /// `quote()` text differs between D1's SQLite 3.47 and the local 3.54:
    /// a third, 1e15), a child with a foreign key, an index, a view and a
    /// trigger.
    const SCHEMA_AND_ROWS: &str =
        "CREATE TABLE p (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, x, y REAL);
CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, note BLOB);
CREATE INDEX c_p ON c (p_id);
CREATE VIEW names AS SELECT name FROM p;
CREATE TRIGGER c_note AFTER INSERT ON c BEGIN UPDATE c SET note = coalesce(note, x'') WHERE id = new.id; END;
INSERT INTO p (id, name, x, y) VALUES (1, 'héllo ☃ 𝄞 \"q\"', x'00ff', 1.0 / 3), (2, 'two', 0.1, 1e15), (3, 'three', \
         9007199254740993, NULL), (4, 'four', 2.0, 2.5), (5, 'five', NULL, NULL), (6, 'six', 1e300, -0.0);
INSERT INTO c (id, p_id, note) VALUES (10, 1, 'n'), (11, 2, NULL), (12, NULL, x'');";

    /// wrangler as tests/d1 pins it; `None`, with a note, when it is not
    /// installed there (`npm ci` in tests/d1).
    fn wrangler_bin() -> Option<PathBuf> {
        let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("d1").join("node_modules/.bin/wrangler");
        if bin.is_file() {
            Some(bin)
        } else {
            eprintln!("skipped: {} is not installed (run `npm ci` in tests/d1)", bin.display());
            None
        }
    }

    /// A Workers project with one D1 database `app`, its state in the
    /// project's own `state` folder.
    struct Lab {
        dir: tempfile::TempDir,
        bin: PathBuf,
    }

    impl Lab {
        fn new() -> Option<Lab> {
            let bin = wrangler_bin()?;
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(
                dir.path().join("wrangler.toml"),
                "name = \"autogen-test\"\ncompatibility_date = \"2025-01-01\"\n[[d1_databases]]\nbinding = \
                 \"DB\"\ndatabase_name = \"app\"\ndatabase_id = \"00000000-0000-4000-8000-000000000001\"\n",
            )
            .unwrap();
            Some(Lab { dir, bin })
        }

        fn engine(&self, database: &str) -> D1 {
            D1::open(Wrangler {
                program: vec![self.bin.display().to_string()],
                config: self.dir.path().join("wrangler.toml"),
                database: database.into(),
                remote: false,
                persist_to: Some(self.dir.path().join("state")),
            })
        }
    }

    /// A D1 engine whose wrangler cannot run: any call fails.
    fn unreachable() -> D1 {
        D1::open(Wrangler {
            program: vec!["/nonexistent/wrangler".into()],
            config: PathBuf::from("/nonexistent/wrangler.toml"),
            database: "app".into(),
            remote: false,
            persist_to: None,
        })
    }

    fn unit<'a>(script: &'a str, version: Option<Bookkeeping<'a>>) -> Unit<'a> {
        Unit { revision: "r", file: "", script, line: 1, version, online: &[] }
    }

    /// `all`: `p.y` too, whose text only D1 itself reproduces.
    fn requests(all: bool) -> Vec<DigestRequest> {
        let cols = |c: &[&str]| c.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let p = if all { cols(&["id", "name", "x", "y"]) } else { cols(&["id", "name", "x"]) };
        vec![
            DigestRequest { table: "p".into(), columns: p, rowid: Some("rowid") },
            DigestRequest { table: "c".into(), columns: cols(&["p_id", "note"]), rowid: None },
            DigestRequest { table: VERSIONS.into(), columns: cols(&["version_num"]), rowid: None },
        ]
    }

    fn scratch_dirs() -> usize {
        let prefix = format!("autogen-d1-scratch-{}-", std::process::id());
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().starts_with(&prefix)))
            .count()
    }

    /// Everything the engine does, on wrangler's real local D1, compared
    /// with the local engine given the same SQL; about 14 wrangler calls.
    #[test]
    fn the_engine_on_wranglers_local_d1_agrees_with_the_local_engine() {
        let Some(lab) = Lab::new() else { return };
        let mut d1 = lab.engine("app");
        assert_eq!(d1.label(), "D1 database `app` (local)");
        let heads = vec!["a".to_string()];
        let record = Update { heads: &heads, forget: Forget::One("a"), record: &[("a", "sum-a")] }.statements(VERSIONS);
        let none: Vec<String> = Vec::new();
        let first = Bookkeeping { table: VERSIONS, expect: Some(&none), record: &record };
        assert_eq!(d1.versions(VERSIONS).unwrap(), Versions::default(), "a new database has no version table");
        assert_eq!(d1.run(&unit(SCHEMA_AND_ROWS, Some(first.clone()))).unwrap(), Ran::Applied);

        // The local engine, given what the D1 file ran, in the same order.
        let mut local = Sqlite::memory().unwrap();
        let mut sql = version::create(VERSIONS).join(";\n");
        sql.push_str(&format!(";\n{SCHEMA_AND_ROWS};\n{};", record.join(";\n")));
        local.connection().execute_batch(&sql).unwrap();

        let schema = d1.introspect(&Filter::default()).unwrap();
        assert!(schema.tables.contains_key("p") && schema.views.contains_key("names"), "{schema:?}");
        assert!(!schema.tables.keys().any(|t| t.starts_with("_cf_")), "D1's own table was read: {schema:?}");
        assert_eq!(schema, local.introspect(&Filter::default()).unwrap());
        let versions = d1.versions(VERSIONS).unwrap();
        assert_eq!(versions.heads, heads);
        assert_eq!(versions, local.versions(VERSIONS).unwrap());
        let mut requests = requests(false);
        requests.extend(self::requests(true));
        let digests = d1.digests(&requests).unwrap();
        assert_eq!(digests.iter().map(|d| d.rows).collect::<Vec<_>>(), [6, 3, 1, 6, 3, 1]);
        assert_eq!(digests[..3], local.digests(&requests[..3]).unwrap(), "quote() differs between D1 and SQLite");
        assert_eq!(d1.fingerprint().unwrap(), local.fingerprint().unwrap());

        // A unit that breaks a foreign key: D1 rolls the whole file back.
        let second = Bookkeeping { table: VERSIONS, expect: Some(&heads), record: &record };
        let breaks = "CREATE TABLE z (a);\nUPDATE p SET name = 'changed';\nINSERT INTO c (id, p_id) VALUES (13, 99);";
        match d1.run(&unit(breaks, Some(second))) {
            Err(RunError::Batch { message, database, .. }) => {
                assert!(message.contains("break foreign keys") && message.contains("`c`"), "{message}");
                assert_eq!(database, "D1 database `app` (local)");
            }
            other => panic!("{other:?}"),
        }
        // Another process got there first: nothing runs.
        assert_eq!(d1.run(&unit("CREATE TABLE z (a);", Some(first))).unwrap(), Ran::Moved(heads.clone()));

        // A scratch copy with the rows, in its own state folder.
        let stop = Stop::default();
        let mut copy = d1.scratch(ScratchCopy::Rows, &stop).unwrap();
        assert_eq!(scratch_dirs(), 1);
        assert_eq!(copy.digests(&requests[3..]).unwrap(), digests[3..], "the copy's rows differ");
        assert_eq!(copy.run(&unit("DELETE FROM c;\nDROP TABLE c;", None)).unwrap(), Ran::Applied);
        let counts = copy
            .counts(&["SELECT count(*) FROM sqlite_schema WHERE name = 'c'".into(), "SELECT count(*) FROM p".into()]);
        assert_eq!(counts, [Some(0), Some(6)]);
        drop(copy);
        assert_eq!(scratch_dirs(), 0, "the scratch folder was left behind");

        // The failed unit, the moved one and the scratch copy left the database as it was.
        let counts = d1.counts(&[
            "SELECT count(*) FROM sqlite_schema WHERE name = 'z'".into(),
            "SELECT count(*) FROM p WHERE name = 'changed'".into(),
            "SELECT count(*) AS n FROM c".into(),
        ]);
        assert_eq!(counts, [Some(0), Some(0), Some(3)]);

        // A copy without rows: the schema replayed (as for a remote database).
        let mut empty = d1.scratch(ScratchCopy::Empty, &stop).unwrap();
        let counts = empty.counts(&[
            "SELECT count(*) FROM p".into(),
            "SELECT count(*) FROM sqlite_schema WHERE name IN ('c_note', 'names', 'c_p', 'autogen_version')".into(),
        ]);
        assert_eq!(counts, [Some(0), Some(4)]);
        // A table of the version table's name that is not autogen's.
        assert_eq!(empty.run(&unit("CREATE TABLE mine (a, b);", None)).unwrap(), Ran::Applied);
        let err = empty.versions("mine").unwrap_err().to_string();
        assert!(err.contains("`mine`") && err.contains("a, b") && err.contains("version_table"), "{err}");
        stop.stop();
        assert_eq!(empty.counts(&["SELECT 1".into()]), [None], "a stopped copy still ran");
    }

    #[test]
    fn a_database_missing_from_wranglers_config_is_named_with_the_config() {
        let Some(lab) = Lab::new() else { return };
        let err = lab.engine("nosuch").versions(VERSIONS).unwrap_err().to_string();
        assert!(err.contains("`nosuch`") && err.contains("wrangler.toml") && err.contains("d1_databases"), "{err}");
    }

    /// Refused before wrangler runs (it cannot, here).
    #[test]
    fn statements_over_d1s_limit_are_refused_before_anything_is_sent() {
        let mut d1 = unreachable();
        let long = format!("INSERT INTO t VALUES ('{}')", "x".repeat(MAX_STATEMENT_BYTES));
        let script = format!("CREATE TABLE t (a);\n{long};\n");
        match d1.run(&unit(&script, None)) {
            Err(RunError::Statement(f)) => {
                assert_eq!((f.index, f.line), (2, 2));
                assert!(f.message.contains("100000 bytes"), "{}", f.message);
            }
            other => panic!("{other:?}"),
        }
        // Each under the limit, but a lower-case `end` glues them into one.
        let half = format!("INSERT INTO t VALUES ('{}')", "x".repeat(MAX_STATEMENT_BYTES / 2));
        let script = format!(
            "CREATE TABLE t (a);\nCREATE TRIGGER tr AFTER INSERT ON t begin select 1; end;\n{half};\n{half};\n"
        );
        match d1.run(&unit(&script, None)) {
            Err(RunError::Statement(f)) => {
                assert_eq!((f.index, f.line), (2, 2));
                assert!(f.message.contains("upper case"), "{}", f.message);
            }
            other => panic!("{other:?}"),
        }
        // What wrangler would split otherwise is not sent either.
        let err = d1.wrangler.execute("SELECT case when 1 then 2 end AS x;\nSELECT 3 AS y;\n", Some(2)).unwrap_err();
        assert!(matches!(err, WranglerError::Split { found: 1, expected: 2, .. }), "{err}");
        let err = d1.counts(&["SELECT 1".into()]);
        assert_eq!(err, [None]);
        assert!(matches!(d1.versions(VERSIONS), Err(EngineError::D1(WranglerError::Missing { .. }))));
    }
}
