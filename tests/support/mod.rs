//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod rebuild_all;

use std::path::{Path, PathBuf};
use std::process::Output;

use autogen::schema::Schema;
use autogen::Filter;
use rusqlite::Connection;

/// A parent with a child of each ON DELETE action, a grandchild, a
/// self-reference, audit triggers on a child, a view and AUTOINCREMENT: what
/// a rebuild of `p` must not touch where foreign keys stay on (D1).
pub const FAMILY: &str = "
CREATE TABLE p (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, up INTEGER REFERENCES p(id) ON DELETE CASCADE);
CREATE TABLE c_cascade (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, note TEXT);
CREATE TABLE c_setnull (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE SET NULL);
CREATE TABLE c_setdefault (id INTEGER PRIMARY KEY, p_id INTEGER DEFAULT 1 REFERENCES p(id) ON DELETE SET DEFAULT);
CREATE TABLE c_restrict (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE RESTRICT);
CREATE TABLE c_noaction (k TEXT, p_id INTEGER REFERENCES p(id));
CREATE TABLE g (id INTEGER PRIMARY KEY, c_id INTEGER NOT NULL REFERENCES c_cascade(id) ON DELETE CASCADE);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT);
CREATE TRIGGER c_cascade_gone AFTER DELETE ON c_cascade BEGIN INSERT INTO audit (what) VALUES ('deleted ' || old.id); END;
CREATE TRIGGER c_cascade_new AFTER INSERT ON c_cascade BEGIN INSERT INTO audit (what) VALUES ('inserted ' || new.id); END;
CREATE VIEW p_names AS SELECT id, name FROM p;
";

/// Rows in every table of [`FAMILY`]: gaps in the rowids and the counter,
/// a blob and a float.
pub const FAMILY_ROWS: &str = "INSERT INTO p (id, name, up) VALUES (1, 'root', NULL), (2, 'a', 1), (3, 'b', 2), (7, \
    'c', NULL); DELETE FROM p WHERE id = 7; INSERT INTO c_cascade VALUES (10, 1, 'x'), (11, 2, x'00ff'), (12, 3, \
    2.5); INSERT INTO c_setnull VALUES (20, 1), (21, 3); INSERT INTO c_setdefault VALUES (30, 2), (31, 3); INSERT \
    INTO c_restrict VALUES (40, 1), (41, 2); INSERT INTO c_noaction VALUES ('k1', 3), ('k2', 1), ('k3', 2); DELETE \
    FROM c_noaction WHERE k = 'k2'; INSERT INTO g VALUES (50, 10), (51, 12); INSERT INTO audit (what) VALUES ('kept')";

/// `../shared/` beside the project.
pub fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// Every corpus script: (name, SQL).
pub fn corpus() -> Vec<(String, String)> {
    let dir = shared().join("corpus");
    let mut files = vec![dir.join("chinook.sql"), dir.join("northwind.sql")];
    let mut tests: Vec<PathBuf> = std::fs::read_dir(dir.join("sqlite_tests"))
        .expect("corpus folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    tests.sort();
    files.extend(tests);
    files
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

pub fn schema_of(conn: &Connection) -> Schema {
    autogen::introspect(conn, &Filter::default()).expect("introspect")
}

/// Every table's row count, by name.
pub fn row_counts(conn: &Connection) -> Vec<(String, i64)> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let names: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    names
        .into_iter()
        .map(|n| {
            let count = conn
                .query_row(&format!("SELECT count(*) FROM {}", autogen::sql::quote::ident(&n)), [], |r| r.get(0))
                .unwrap_or(-1);
            (n, count)
        })
        .collect()
}

/// `PRAGMA integrity_check` and `foreign_key_check` both clean.
pub fn assert_healthy(conn: &Connection, context: &str) {
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok", "{context}: integrity_check");
    let violations = autogen::foreign_key_violations(conn).unwrap();
    assert!(violations.is_empty(), "{context}: foreign_key_check: {violations:?}");
}

/// Every row of every table, as text, for exact comparisons.
pub fn dump(conn: &Connection) -> Vec<(String, Vec<String>)> {
    dump_as(conn, "quote")
}

/// Every row with values as their text: a type change converts by column
/// affinity (no CAST, as sqlite.md requires), so an integer may come back
/// as the text of itself; the value is the same, the storage class not.
pub fn dump_text(conn: &Connection) -> Vec<(String, Vec<String>)> {
    dump_as(conn, "coalesce_text")
}

fn dump_as(conn: &Connection, how: &str) -> Vec<(String, Vec<String>)> {
    row_counts(conn)
        .into_iter()
        .map(|(table, _)| {
            let t = autogen::sql::quote::ident(&table);
            let cols: Vec<String> = conn
                .prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden IN (0, 2, 3) ORDER BY cid")
                .unwrap()
                .query_map([&table], |r| r.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let mut names = cols.clone();
            names.sort();
            let select: Vec<String> = names
                .iter()
                .map(|c| match how {
                    "quote" => format!("quote({})", autogen::sql::quote::ident(c)),
                    _ => {
                        let c = autogen::sql::quote::ident(c);
                        format!(
                            "coalesce(CASE typeof({c}) WHEN 'blob' THEN quote({c}) ELSE CAST({c} AS TEXT) END, 'NULL')"
                        )
                    }
                })
                .collect();
            let values = if select.is_empty() { "''".to_string() } else { select.join(" || ',' || ") };
            // With the rowid where the table has one: a rebuild must keep it.
            let with_rowid = format!("SELECT _rowid_ || ':' || {values} FROM {t}");
            let sql = if conn.prepare(&with_rowid).is_ok() { with_rowid } else { format!("SELECT {values} FROM {t}") };
            let mut rows: Vec<String> = conn
                .prepare(&sql)
                .unwrap()
                .query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.sort();
            (table, rows)
        })
        .collect()
}

/// What a migration test checks, end to end, on a database with rows:
/// the upgrade lands on the model, keeps the rows, leaves a healthy
/// database and an empty re-diff; the downgrade restores the start
/// (schema, and rows too unless the upgrade drops data); a second upgrade
/// gives the same schema again.
pub struct Migration {
    pub up: String,
    pub down: String,
    pub diff: autogen::Diff,
    pub up_plan: autogen::Plan,
    pub down_plan: autogen::Plan,
}

pub fn generate(conn: &Connection, model: &Schema) -> Migration {
    generate_for(conn, model, autogen::Capabilities::SQLITE)
}

/// The migration as planned for an engine with `caps` (D1's: foreign keys
/// stay on, no transaction statements).
pub fn generate_for(conn: &Connection, model: &Schema, caps: autogen::Capabilities) -> Migration {
    generate_forced(conn, model, caps, None)
}

/// [`generate_for`] with every rebuild in the form `force` asks for.
pub fn generate_forced(
    conn: &Connection,
    model: &Schema,
    caps: autogen::Capabilities,
    force: Option<autogen::Forced>,
) -> Migration {
    let db = schema_of(conn);
    let diff = autogen::diff(&db, model);
    let options = autogen::PlanOptions { force, ..Default::default() };
    let autogen::Migration { up, down } = autogen::migration(&diff, &db, model, &caps, &options);
    // The plans, for the snapshots' outlines: the downgrade starts from
    // what the upgrade leaves (the database's column order kept).
    let up_plan = autogen::plan(&diff, model, &caps);
    let down_plan = autogen::plan(&autogen::reverse(&diff, &db, &autogen::built(&diff, model)), &db, &caps);
    Migration { up, down, diff, up_plan, down_plan }
}

/// Each table's columns in the table's order.
pub fn ordered_columns(conn: &Connection) -> Vec<(String, Vec<String>)> {
    row_counts(conn)
        .into_iter()
        .map(|(table, _)| {
            let columns = conn
                .prepare("SELECT name FROM pragma_table_xinfo(?1) ORDER BY cid")
                .unwrap()
                .query_map([&table], |r| r.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            (table, columns)
        })
        .collect()
}

/// A table that was there before keeps its columns' order through an
/// upgrade (model.md: order is not a difference; an app's `INSERT INTO t
/// VALUES (...)` relies on it), renamed columns in their places, new ones
/// after.
fn assert_order_kept(before: &[(String, Vec<String>)], after: &[(String, Vec<String>)], m: &Migration, context: &str) {
    let renames = &m.diff.renames;
    for (table, old_columns) in before {
        let new_table = renames
            .tables
            .iter()
            .find(|(o, _)| o.eq_ignore_ascii_case(table))
            .map_or(table.clone(), |(_, n)| n.clone());
        let Some((_, now)) = after.iter().find(|(t, _)| t.eq_ignore_ascii_case(&new_table)) else { continue };
        let renamed = |c: &String| {
            renames
                .columns
                .iter()
                .find(|(t, o, _)| t.eq_ignore_ascii_case(&new_table) && o.eq_ignore_ascii_case(c))
                .map_or(c.clone(), |(_, _, n)| n.clone())
        };
        let kept: Vec<String> = old_columns
            .iter()
            .map(renamed)
            .filter(|c| now.iter().any(|n| n.eq_ignore_ascii_case(c)))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let lower: Vec<String> = now.iter().map(|c| c.to_ascii_lowercase()).collect();
        assert_eq!(lower[..kept.len()], kept[..], "{context}: the columns of `{table}` after the upgrade\n{}", m.up);
    }
}

/// The lint findings of a generated migration: the upgrade reviewed on a
/// copy of `conn` (rows and all, so findings carry the counts), then the
/// downgrade on what the upgrade left. One line a finding.
pub fn lint(conn: &Connection, m: &Migration) -> String {
    use autogen::{ScratchCopy, Sqlite};
    let (filter, policy) = (autogen::Filter::default(), autogen::Policy::default());
    let linter = autogen::Lint { filter: &filter, caps: autogen::Capabilities::SQLITE, policy: &policy };
    let mut scratch = autogen::Scratch {
        shape: Box::new(Sqlite::scratch_of(conn, ScratchCopy::Empty).unwrap()),
        rows: Some(Box::new(Sqlite::scratch_of(conn, ScratchCopy::Rows).unwrap())),
        database: "the seeded database".into(),
    };
    let mut out = String::new();
    let start = schema_of(conn);
    for (name, script) in [("upgrade", &m.up), ("downgrade", &m.down)] {
        let subject = autogen::Subject { revision: name, file: "", script, line: 1 };
        let (found, _) = linter.review(&mut scratch, &subject).unwrap_or_else(|e| panic!("lint of the {name}: {e}"));
        if name == "upgrade" {
            // What `check` and `revision` show, from the plan without running it, is the same.
            let planned = linter.review_planned(&subject, &start, &m.diff).unwrap();
            let places = |f: &[autogen::Finding]| f.iter().map(|f| (f.code, f.line)).collect::<Vec<_>>();
            let ran: Vec<_> = places(&found).into_iter().filter(|(c, _)| *c != autogen::Code::AG000).collect();
            assert_eq!(places(&planned), ran, "planned and run lint of the upgrade differ");
        }
        for f in found {
            out.push_str(&format!("{name} line {}: {}[{}]: {}\n", f.line, f.severity, f.code, f.message));
        }
    }
    if out.is_empty() {
        out.push_str("no findings\n");
    }
    out
}

/// The dump with the rowids of `tables` left out.
fn without_rowids(dump: Vec<(String, Vec<String>)>, tables: &[&str]) -> Vec<(String, Vec<String>)> {
    dump.into_iter()
        .map(|(table, rows)| {
            if !tables.iter().any(|t| t.eq_ignore_ascii_case(&table)) {
                return (table, rows);
            }
            let mut rows: Vec<String> =
                rows.into_iter().map(|r| r.split_once(':').map_or(r.clone(), |(_, v)| v.to_string())).collect();
            rows.sort();
            (table, rows)
        })
        .collect()
}

/// `sqlite_sequence`, where it exists: AUTOINCREMENT counters.
pub fn sequences(conn: &Connection) -> Vec<(String, i64)> {
    let Ok(mut stmt) = conn.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name") else { return Vec::new() };
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

/// How a script runs: autogen's local runner, or as D1 runs a file.
pub type Runner = fn(&Connection, &str, &str) -> Result<(), String>;

/// autogen's local runner: foreign keys off around one transaction.
pub fn run_locally(conn: &Connection, script: &str, context: &str) -> Result<(), String> {
    autogen::apply_script(conn, script, "revision", context).map_err(|e| e.to_string())
}

/// As D1 runs a file (sqlite.md, "D1"): foreign keys stay enforced, their
/// checks deferred to the end, the file one transaction.
pub fn run_as_d1(conn: &Connection, script: &str, _context: &str) -> Result<(), String> {
    conn.execute_batch("PRAGMA foreign_keys = ON; BEGIN; PRAGMA defer_foreign_keys = ON;").unwrap();
    match conn.execute_batch(script).and_then(|()| conn.execute_batch("COMMIT")) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e.to_string())
        }
    }
}

pub fn assert_round_trip(conn: &Connection, model: &Schema, m: &Migration, context: &str) {
    assert_round_trip_with(conn, model, m, context, run_locally)
}

/// Up, down and up again through `run`, checking the schema, the rows, the
/// counters and the database's health at each end.
pub fn assert_round_trip_with(conn: &Connection, model: &Schema, m: &Migration, context: &str, run: Runner) {
    let start = schema_of(conn);
    let start_columns = declared_columns(conn);
    let start_sequences = sequences(conn);
    let start_rows = dump(conn);
    let start_text = dump_text(conn);
    let start_counts = row_counts(conn);
    let start_order = ordered_columns(conn);
    run(conn, &m.up, context).unwrap_or_else(|e| panic!("{context}: upgrade failed: {e}\n{}", m.up));
    assert_healthy(conn, &format!("{context} after upgrade"));
    assert_order_kept(&start_order, &ordered_columns(conn), m, context);
    let after = schema_of(conn);
    let left = autogen::diff(&after, model);
    assert!(left.is_empty(), "{context}: after the upgrade the diff is not empty: {:?}\n{}", left.changes, m.up);
    let renamed_tables: Vec<(String, String)> = m.diff.renames.tables.clone();
    for (table, count) in &start_counts {
        let new_name = renamed_tables
            .iter()
            .find(|(o, _)| o.eq_ignore_ascii_case(table))
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| table.clone());
        if let Some((_, after_count)) = row_counts(conn).into_iter().find(|(t, _)| t.eq_ignore_ascii_case(&new_name)) {
            assert_eq!(after_count, *count, "{context}: rows of `{table}` after the upgrade");
        }
    }
    for (table, seq) in &start_sequences {
        let kept = model.table(table).is_some_and(|t| t.is_autoincrement());
        if kept {
            assert!(
                sequences(conn).contains(&(table.clone(), *seq)),
                "{context}: the AUTOINCREMENT counter of `{table}` ({seq}) is lost: {:?}",
                sequences(conn)
            );
        }
    }
    run(conn, &m.down, context).unwrap_or_else(|e| panic!("{context}: downgrade failed: {e}\n{}", m.down));
    assert_healthy(conn, &format!("{context} after downgrade"));
    let back = schema_of(conn);
    let left = autogen::diff_with_renames(&back, &start, Default::default());
    assert!(left.is_empty(), "{context}: the downgrade does not restore the start: {:?}\n{}", left.changes, m.down);
    // What the diff does not compare must come back too: NOT NULL on a
    // rowid column, as `PRAGMA table_xinfo` reads it.
    assert_eq!(declared_columns(conn), start_columns, "{context}: columns as declared after the downgrade\n{}", m.down);
    assert_eq!(ordered_columns(conn), start_order, "{context}: the columns' order after the downgrade\n{}", m.down);
    // A table the upgrade drops comes back empty: that loss is the point.
    let dropped: Vec<&str> = m
        .diff
        .changes
        .iter()
        .filter_map(|c| match c {
            autogen::Change::RemoveTable(table) => Some(table.name.as_str()),
            _ => None,
        })
        .collect();
    let kept = |counts: Vec<(String, i64)>| {
        counts.into_iter().filter(|(t, _)| !dropped.iter().any(|d| d.eq_ignore_ascii_case(t))).collect::<Vec<_>>()
    };
    assert_eq!(kept(row_counts(conn)), kept(start_counts.clone()), "{context}: row counts after the downgrade");
    // The counters are the start's, exactly: each survives wherever its
    // table does, AUTOINCREMENT or not in between (the keyword's removal
    // keeps it for the downgrade), and none is left where the start had
    // none. Dropping the table discards it, by design.
    let surviving = |counts: Vec<(String, i64)>| {
        counts.into_iter().filter(|(t, _)| model.table(t).is_some() && start.table(t).is_some()).collect::<Vec<_>>()
    };
    assert_eq!(
        surviving(sequences(conn)),
        surviving(start_sequences.clone()),
        "{context}: AUTOINCREMENT counters after the downgrade"
    );
    if !m.diff.changes.iter().any(|c| c.loses_data()) {
        // A table made WITHOUT ROWID has no rowids to give back (and its
        // key was not the rowid): its rows are compared without them.
        let rowless: Vec<&str> = m
            .diff
            .changes
            .iter()
            .filter_map(|c| match c {
                autogen::Change::ModifyTable { table, change: autogen::TableChange::WithoutRowid { to: true, .. } } => {
                    Some(table.as_str())
                }
                _ => None,
            })
            .collect();
        let retyped = m
            .diff
            .changes
            .iter()
            .any(|c| matches!(c, autogen::Change::ModifyColumn { change: autogen::ColumnChange::Type { .. }, .. }));
        let (now, start) = if retyped { (dump_text(conn), start_text) } else { (dump(conn), start_rows) };
        assert_eq!(
            without_rowids(now, &rowless),
            without_rowids(start, &rowless),
            "{context}: rows after the downgrade"
        );
    }
    run(conn, &m.up, context).unwrap_or_else(|e| panic!("{context}: second upgrade failed: {e}"));
    let again = schema_of(conn);
    assert!(
        autogen::diff_with_renames(&again, &after, Default::default()).is_empty(),
        "{context}: a second upgrade gives another schema"
    );
}

/// The binary, run in `dir` as the tests run it: dates fixed, no colour, no
/// database URL from the environment.
pub fn autogen(dir: &Path) -> std::process::Command {
    in_project(std::process::Command::new(env!("CARGO_BIN_EXE_autogen")), dir)
}

/// The `autogen` a Python user has: the one `pip install` of the wheel put
/// in a venv, which `.ci/run` names in `AUTOGEN_TEST_BIN`; else the one
/// cargo built for these tests.
pub fn installed_autogen() -> PathBuf {
    match std::env::var_os("AUTOGEN_TEST_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => {
            assert!(std::env::var_os("CI").is_none(), "CI installs the wheel and sets AUTOGEN_TEST_BIN (see .ci/run)");
            PathBuf::from(env!("CARGO_BIN_EXE_autogen"))
        }
    }
}

/// `cmd` run in `dir` with the environment the tests run autogen in.
pub fn in_project(mut cmd: std::process::Command, dir: &Path) -> std::process::Command {
    cmd.current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1795602600")
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .env_remove("AUTOGEN_DATABASE_URL");
    cmd
}

/// Each table's columns as SQLite reports them (table, column, NOT NULL,
/// key position, hidden), sorted.
pub fn declared_columns(conn: &Connection) -> Vec<(String, String, bool, i64, i64)> {
    let sql = "SELECT m.name, x.name, x.\"notnull\", x.pk, x.hidden FROM sqlite_schema AS m, pragma_table_xinfo(m.name) AS x \
               WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.sql NOT LIKE 'CREATE VIRTUAL%' \
               ORDER BY 1, 2";
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every CREATE statement SQLite stores, by name: the schema to the byte.
pub fn stored_sql(conn: &Connection) -> Vec<String> {
    let mut stmt = conn.prepare("SELECT sql FROM sqlite_schema ORDER BY name").unwrap();
    stmt.query_map([], |r| r.get::<_, Option<String>>(0)).unwrap().map(|r| r.unwrap().unwrap_or_default()).collect()
}

/// A project folder: `autogen.yaml` (database `app.db`, model `model.yaml`,
/// revisions in `migrations/versions`) and the model, run through the binary.
pub struct Project {
    pub dir: tempfile::TempDir,
    /// The binary its commands run.
    bin: PathBuf,
}

impl Project {
    pub fn new(model: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("autogen.yaml"),
            "database: sqlite:///./app.db\nschema: model.yaml\nversions: migrations/versions\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("model.yaml"), model).unwrap();
        Project { dir, bin: PathBuf::from(env!("CARGO_BIN_EXE_autogen")) }
    }

    /// The same project, run by the `autogen` `pip install` gives.
    pub fn installed(self) -> Project {
        Project { bin: installed_autogen(), ..self }
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        in_project(std::process::Command::new(&self.bin), self.dir.path()).args(args).output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "autogen {args:?} failed: {}{}", text(&out.stdout), text(&out.stderr));
        text(&out.stdout)
    }

    pub fn set_model(&self, model: &str) {
        std::fs::write(self.path("model.yaml"), model).unwrap();
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path("app.db")).unwrap()
    }

    pub fn revisions(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path("migrations/versions"))
            .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// Output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
