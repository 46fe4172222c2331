//! Benchmarks that print figures (not timed tests): `cargo bench --bench perf`.
//! Each scenario runs the release binary as a user would, several times,
//! and prints min / median / max wall time, side by side with a baseline
//! where the issue names one. Set BENCH_RUNS to change the run count, and
//! BENCH_ONLY=diff|revision|lint|rebuild|fleet|alembic|shapes|online to run one scenario.
//! The `alembic` scenario runs only when BENCH_ALEMBIC names an `alembic`
//! executable (one with SQLAlchemy beside it, e.g. in a virtualenv); the
//! `shapes` scenario (databases made by SQLAlchemy, Django and the corpus:
//! shapes.rs) when the virtualenv `target/bench-venv` has their generators'
//! packages.

mod online;
#[path = "../../tests/support/rebuild_all.rs"]
mod rebuild_all;
mod shapes;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let only = std::env::var("BENCH_ONLY").ok();
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    let mut dir = tempfile::tempdir().unwrap();
    if std::env::var_os("BENCH_KEEP").is_some() {
        // Leaves the generated databases and models behind, for profiling.
        dir.disable_cleanup(true);
        eprintln!("benchmark files kept in {}", dir.path().display());
    }
    let want = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if want("diff") {
        bench_diff(dir.path(), runs);
    }
    if want("revision") {
        bench_revision(dir.path(), runs);
    }
    if want("lint") {
        bench_lint(runs);
    }
    if want("rebuild") {
        bench_rebuild(dir.path(), runs.min(5));
    }
    if want("fleet") {
        bench_fleet(dir.path(), runs.min(5));
    }
    if want("shapes") {
        shapes::bench_shapes(dir.path(), runs);
    }
    if want("online") {
        online::bench_online(dir.path());
    }
    match std::env::var_os("BENCH_ALEMBIC") {
        Some(alembic) if want("alembic") => bench_alembic(dir.path(), Path::new(&alembic), runs),
        _ => {}
    }
}

/// How the benchmark tables' two foreign keys point.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// t(i) references t(i-1) and t(i-2), wrapping round: one big cycle.
    Ring,
    /// The same without the wrap (t0 and t1 reference t0): no cycle.
    Acyclic,
}

impl Shape {
    fn parents(self, i: usize, tables: usize) -> (usize, usize) {
        match self {
            Shape::Ring => ((i + tables - 1) % tables, (i + tables - 2) % tables),
            Shape::Acyclic => (i.saturating_sub(1), i.saturating_sub(2)),
        }
    }
}

fn autogen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_autogen"))
}

fn time(mut cmd: impl std::borrow::BorrowMut<Command>) -> Duration {
    let cmd = cmd.borrow_mut();
    let t = Instant::now();
    let out = cmd.output().expect("run");
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed()
}

fn stats(label: &str, mut d: Vec<Duration>) -> f64 {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1e3;
    let median = ms(d[d.len() / 2]);
    println!("  {label:<44} min {:>9.1} ms   median {:>9.1} ms   max {:>9.1} ms", ms(d[0]), median, ms(d[d.len() - 1]));
    median
}

fn have_sqlite3() -> bool {
    Command::new("sqlite3").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// 1000 tables x 10 columns, 2 indexes and 2 foreign keys each; the model
/// that describes it, and one with `changes` changes on every table.
fn big_schema(dir: &Path, tables: usize, shape: Shape) -> (PathBuf, String) {
    let db = dir.join(format!("big{tables}_{}.db", shape as u8));
    let _ = std::fs::remove_file(&db);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut ddl = String::from("BEGIN;");
    let mut yaml = String::from("version: 1\ntables:\n");
    for i in 0..tables {
        let (p1, p2) = shape.parents(i, tables);
        ddl.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER PRIMARY KEY, c1 TEXT, c2 TEXT, c3 TEXT, c4 TEXT, c5 \
            TEXT, c6 TEXT, c7 TEXT, p1 INTEGER REFERENCES t{p1}(id), p2 INTEGER REFERENCES t{p2}(id));"
        ));
        ddl.push_str(&format!("CREATE INDEX ix_t{i}_c1 ON t{i} (c1); CREATE INDEX ix_t{i}_p ON t{i} (p1, p2);"));
        yaml.push_str(&format!(
            "  - name: t{i}\n    columns:\n      - {{name: id, type: INTEGER, primary_key: true}}\n"
        ));
        for c in 1..=7 {
            yaml.push_str(&format!("      - {{name: c{c}, type: TEXT}}\n"));
        }
        yaml.push_str(&format!(
            "      - {{name: p1, type: INTEGER, references: t{p1}.id}}\n      - {{name: p2, type: \
            INTEGER, references: t{p2}.id}}\n"
        ));
        yaml.push_str(&format!(
            "    indexes:\n      - {{name: ix_t{i}_c1, columns: [c1]}}\n      - {{name: ix_t{i}_p, \
            columns: [p1, p2]}}\n"
        ));
    }
    ddl.push_str("COMMIT;");
    conn.execute_batch(&ddl).unwrap();
    (db, yaml)
}

/// Four changes on a table: a new column, a new index, a dropped index and
/// a widened type (which needs a rebuild).
fn four_changes(yaml: &str, table: usize) -> String {
    yaml.replace(
        &format!(
            "  - name: t{table}\n    columns:\n      - {{name: id, type: INTEGER, primary_key: true}}\n      - \
            {{name: c1, type: TEXT}}\n"
        ),
        &format!(
            "  - name: t{table}\n    columns:\n      - {{name: id, type: INTEGER, primary_key: true}}\n      - \
            {{name: c1, type: VARCHAR(100)}}\n      - {{name: c8, type: TEXT, index: true}}\n"
        ),
    )
    .replace(&format!("      - {{name: ix_t{table}_p, columns: [p1, p2]}}\n"), "")
}

fn bench_diff(dir: &Path, runs: usize) {
    println!("autogen diff: 1000 tables x 10 columns, 2 indexes and 2 foreign keys each (model in sync)");
    let (db, yaml) = big_schema(dir, 1000, Shape::Ring);
    let model = dir.join("model.yaml");
    std::fs::write(&model, &yaml).unwrap();
    let changed = dir.join("model_changed.yaml");
    std::fs::write(&changed, (0..1000).fold(yaml, |m, t| four_changes(&m, t))).unwrap();
    let diff = |model: &Path| {
        let mut c = autogen();
        c.arg("--schema").arg(model).arg("--database").arg(&db).arg("diff");
        time(c)
    };
    if !have_sqlite3() {
        stats("autogen diff", (0..runs).map(|_| diff(&model)).collect());
        stats("autogen diff (4000 changes)", (0..runs).map(|_| diff(&changed)).collect());
        return;
    }
    // Each run beside a run of `.schema`, in turn, and the ratio taken pair
    // by pair: thirty pairs, as for the shapes (a burst of other work on
    // two cores moves a few runs by a third; the median of thirty pairs
    // stays put).
    let (mut in_sync, mut four, mut schema) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..=(runs * 2).max(30) {
        let a = diff(&model);
        let b = time(Command::new("sqlite3").arg(&db).arg(".schema"));
        let c = diff(&changed);
        if i > 0 {
            in_sync.push(a);
            schema.push(b);
            four.push(c);
        }
    }
    let (sync_ratio, four_ratio) = (shapes::paired(&in_sync, &schema), shapes::paired(&four, &schema));
    stats("autogen diff", in_sync);
    stats("sqlite3 DB .schema", schema);
    println!("  ratio autogen / sqlite3 .schema (paired median): {sync_ratio:.2}  (target: <= 60 ms and <= 5x)");
    println!("autogen diff: the same database, 4 changes on every table (4000 changes)");
    stats("autogen diff (4000 changes)", four);
    println!("  ratio autogen / sqlite3 .schema (paired median): {four_ratio:.2}  (target: <= 3x)");
}

/// The lint of a planned revision of over 10,000 statements (what `check`
/// and `revision --autogenerate` print), through the library as
/// tests/large.rs runs it: linear in the statements (issue 26; it was
/// quadratic, 89% of `check`). Target: under a second.
fn bench_lint(runs: usize) {
    let tables: usize = 2000;
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let (ddl, yaml) = rebuild_all::rebuild_all(tables);
    conn.execute_batch(&ddl).unwrap();
    let model = autogen::parse_model(&yaml, Path::new("m.yaml")).unwrap().schema;
    let start = autogen::introspect(&conn, &autogen::Filter::default()).unwrap();
    let diff = autogen::diff(&start, &model);
    let up = autogen::migration(&diff, &start, &model, &autogen::Capabilities::SQLITE, &Default::default()).up;
    let statements = autogen::sql::split_statements(&up).unwrap().len();
    println!("lint of a planned revision: {tables} tables rebuilt, {statements} statements");
    let (filter, policy) = (autogen::Filter::default(), autogen::Policy::default());
    let linter = autogen::Lint { filter: &filter, caps: autogen::Capabilities::SQLITE, policy: &policy };
    let subject = autogen::Subject { revision: "up", file: "", script: &up, line: 1 };
    let times = (0..runs)
        .map(|_| {
            let t = Instant::now();
            linter.review_planned(&subject, &start, &diff).unwrap();
            t.elapsed()
        })
        .collect();
    stats("lint (Lint::review_planned)", times);
    println!("  (target: under 1 s)");
}

fn bench_revision(dir: &Path, runs: usize) {
    for (tables, changed) in [(1000, 1), (100, 100), (1000, 1000)] {
        println!("autogen revision --autogenerate: {tables} tables, 4 changes on each of {changed}, 10 rows in each");
        let (db, yaml) = big_schema(dir, tables, Shape::Ring);
        fill(&db, tables, 10);
        let template = dir.join("revision_template.db");
        std::fs::copy(&db, &template).unwrap();
        let model = (0..changed).fold(yaml, |m, t| four_changes(&m, t));
        let path = dir.join("model4.yaml");
        std::fs::write(&path, &model).unwrap();
        // The same comparison and rendering without the rehearsal: what
        // Alembic's figure covers (BENCH_ALEMBIC runs Alembic beside it).
        stats("diff --sql (compare + render, no rehearsal)", diff_sql_times(&path, &db, runs));
        let mut times = Vec::new();
        let versions = |i: usize| dir.join(format!("v{tables}_{changed}_{i}"));
        for i in 0..runs.min(5) {
            let _ = std::fs::remove_dir_all(versions(i));
            let mut c = autogen();
            c.arg("--schema").arg(&path).arg("--database").arg(&db).arg("--versions").arg(versions(i));
            times.push(time(c.args(["revision", "--autogenerate", "-m", "four"])));
        }
        stats("revision --autogenerate (rehearsal included)", times);
        if changed == tables && tables == 1000 {
            bench_upgrade_against_floor(dir, &template, &path, &versions(0), runs.min(5));
        }
    }
}

/// `upgrade head` of a revision that rebuilds every table, against the
/// floor of any rebuild: `sqlite3` creating the target schema in a fresh
/// file and copying every row once (no renames, no drops).
fn bench_upgrade_against_floor(dir: &Path, template: &Path, model: &Path, versions: &Path, runs: usize) {
    println!("autogen upgrade head of that revision, against the rebuild floor");
    let db = dir.join("upgrade.db");
    let mut ours = Vec::new();
    for _ in 0..runs {
        std::fs::copy(template, &db).unwrap();
        let mut c = autogen();
        c.arg("--schema").arg(model).arg("--database").arg(&db).arg("--versions").arg(versions);
        ours.push(time(c.args(["upgrade", "head"])));
    }
    let a = stats("autogen upgrade head", ours);
    if !have_sqlite3() {
        return;
    }
    // The target schema as the upgrade left it, and a copy of every row.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut floor = format!("ATTACH '{}' AS old;\nBEGIN;\n", template.display());
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'autogen%' ORDER BY rowid")
        .unwrap();
    let rows: Vec<(String, String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    for (kind, _, sql) in rows.iter().filter(|(kind, _, _)| kind == "table") {
        let _ = kind;
        floor.push_str(&format!("{sql};\n"));
    }
    let kept = "id, c1, c2, c3, c4, c5, c6, c7, p1, p2";
    for (_, name, _) in rows.iter().filter(|(kind, _, _)| kind == "table") {
        floor.push_str(&format!("INSERT INTO main.{name} ({kept}) SELECT {kept} FROM old.{name};\n"));
    }
    for (_, _, sql) in rows.iter().filter(|(kind, _, _)| kind == "index") {
        floor.push_str(&format!("{sql};\n"));
    }
    floor.push_str("COMMIT;\n");
    let script = dir.join("floor.sql");
    std::fs::write(&script, floor).unwrap();
    let fresh = dir.join("floor.db");
    let mut times = Vec::new();
    for _ in 0..runs {
        let _ = std::fs::remove_file(&fresh);
        let mut s = Command::new("sh");
        s.arg("-c").arg(format!("sqlite3 '{}' < '{}'", fresh.display(), script.display()));
        times.push(time(s));
    }
    let b = stats("floor: sqlite3 builds the target in a fresh file", times);
    println!("  ratio autogen / floor (medians): {:.2}  (target: <= 2)", a / b);
}

/// `runs` timings of `autogen diff --sql`: the comparison and rendering of
/// `revision --autogenerate` without its rehearsal.
fn diff_sql_times(model: &Path, db: &Path, runs: usize) -> Vec<Duration> {
    (0..runs)
        .map(|_| {
            let mut c = autogen();
            c.arg("--schema").arg(model).arg("--database").arg(db).args(["diff", "--sql"]);
            time(c)
        })
        .collect()
}

fn bench_rebuild(dir: &Path, runs: usize) {
    const ROWS: i64 = 1_000_000;
    println!("rebuild of a {ROWS}-row table (type change plus a NOT NULL column with a default)");
    let make = |path: &Path| {
        let _ = std::fs::remove_file(path);
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50), qty INTEGER);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS}) INSERT INTO items
                 SELECT i, 'item ' || i, i % 100 FROM n;"
        ))
        .unwrap();
    };
    let template = dir.join("rows_template.db");
    make(&template);
    let model = dir.join("rows.yaml");
    std::fs::write(
        &model,
        "tables:\n  - name: items\n    columns:\n      - {name: id, type: INTEGER, primary_key: \
        true}\n      - {name: name, type: TEXT}\n      - {name: qty, type: INTEGER}\n      - {name: status, type: \
            TEXT, nullable: false, server_default: \"'new'\"}\n",
    )
    .unwrap();
    let versions = dir.join("rows_versions");
    let mut gen = autogen();
    gen.arg("--schema").arg(&model).arg("--database").arg(&template).arg("--versions").arg(&versions).args([
        "revision",
        "--autogenerate",
        "-m",
        "rebuild items",
    ]);
    time(gen);
    let hand = "PRAGMA foreign_keys=OFF;
BEGIN;
CREATE TABLE new_items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, qty INTEGER, status TEXT NOT NULL DEFAULT 'new');
INSERT INTO new_items (id, name, qty) SELECT id, name, qty FROM items;
DROP TABLE items;
ALTER TABLE new_items RENAME TO items;
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys=ON;
";
    let script = dir.join("hand.sql");
    std::fs::write(&script, hand).unwrap();
    let mut ours = Vec::new();
    let mut cli = Vec::new();
    for _ in 0..runs {
        let db = dir.join("rows.db");
        std::fs::copy(&template, &db).unwrap();
        let mut c = autogen();
        c.arg("--schema")
            .arg(&model)
            .arg("--database")
            .arg(&db)
            .arg("--versions")
            .arg(&versions)
            .args(["upgrade", "head"]);
        ours.push(time(c));
        if have_sqlite3() {
            std::fs::copy(&template, &db).unwrap();
            let mut s = Command::new("sh");
            s.arg("-c").arg(format!("sqlite3 '{}' < '{}'", db.display(), script.display()));
            cli.push(time(s));
        }
    }
    let a = stats("autogen upgrade head", ours);
    if !cli.is_empty() {
        let b = stats("sqlite3 CLI, hand-written 12-step SQL", cli);
        println!("  ratio autogen / sqlite3 CLI (medians): {:.2}  (target: <= 0.75)", a / b);
    }
}

/// `revision --autogenerate` side by side with Alembic's on the same
/// database and the same target schema (1000 tables, 4 changes on each),
/// with both foreign-key shapes: Alembic's table sort looks for cycles,
/// which the ring is full of.
fn bench_alembic(dir: &Path, alembic: &Path, runs: usize) {
    const TABLES: usize = 1000;
    for (shape, name, changed) in
        [(Shape::Acyclic, "acyclic", TABLES), (Shape::Ring, "ring", TABLES), (Shape::Ring, "ring_5", 5)]
    {
        println!("side by side with Alembic: {TABLES} tables ({name} foreign keys), 4 changes on each of {changed}");
        let (db, yaml) = big_schema(dir, TABLES, shape);
        let model = dir.join(format!("alembic_{name}.yaml"));
        std::fs::write(&model, (0..changed).fold(yaml, |m, t| four_changes(&m, t))).unwrap();
        let project = dir.join(format!("alembic_{name}"));
        write_alembic_project(&project, &db, TABLES, shape, changed);
        // Alembic takes tens of seconds here: one run each, after a warm-up
        // that also checks it works.
        let mut theirs = Vec::new();
        for _ in 0..2 {
            let _ = std::fs::remove_dir_all(project.join("versions"));
            std::fs::create_dir_all(project.join("versions")).unwrap();
            let mut c = Command::new(alembic);
            c.arg("-c").arg(project.join("alembic.ini")).args(["revision", "--autogenerate", "-m", "four"]);
            theirs.push(time(c));
        }
        theirs.remove(0);
        let a = stats("Alembic revision --autogenerate", theirs);
        let g = stats("autogen diff --sql (compare + render)", diff_sql_times(&model, &db, runs));
        let versions = dir.join(format!("alembic_{name}_ours"));
        let _ = std::fs::remove_dir_all(&versions);
        let mut c = autogen();
        c.arg("--schema").arg(&model).arg("--database").arg(&db).arg("--versions").arg(&versions).args([
            "revision",
            "--autogenerate",
            "-m",
            "four",
        ]);
        let r = stats("autogen revision --autogenerate (rehearsed)", vec![time(c)]);
        let target = if changed == TABLES { 0.5 } else { 0.05 };
        println!(
            "  autogen / Alembic: compare + render {:.3}, rehearsed revision {:.3}  (target: rehearsed <= {target})",
            g / a,
            r / a
        );
    }
    bench_alembic_upgrade(dir, alembic);
}

/// `upgrade head` of Alembic's own `render_as_batch` revision against
/// autogen's, at 100 tables with 4 changes each and 10 rows in every table
/// (Alembic 1.20 fails at 1000 tables with a RecursionError).
fn bench_alembic_upgrade(dir: &Path, alembic: &Path) {
    const TABLES: usize = 100;
    println!(
        "upgrade head side by side with Alembic: {TABLES} tables (ring), 4 changes on each, 10 rows in every table"
    );
    let (db, yaml) = big_schema(dir, TABLES, Shape::Ring);
    fill(&db, TABLES, 10);
    let model = dir.join("alembic_up.yaml");
    std::fs::write(&model, (0..TABLES).fold(yaml, |m, t| four_changes(&m, t))).unwrap();
    let project = dir.join("alembic_up");
    write_alembic_project(&project, &db, TABLES, Shape::Ring, TABLES);
    let _ = std::fs::remove_dir_all(project.join("versions"));
    std::fs::create_dir_all(project.join("versions")).unwrap();
    let mut c = Command::new(alembic);
    c.arg("-c").arg(project.join("alembic.ini")).args(["revision", "--autogenerate", "-m", "four"]);
    time(c);
    let template = dir.join("alembic_up_template.db");
    std::fs::copy(&db, &template).unwrap();
    let versions = dir.join("alembic_up_ours");
    let _ = std::fs::remove_dir_all(&versions);
    let mut c = autogen();
    c.arg("--schema").arg(&model).arg("--database").arg(&db).arg("--versions").arg(&versions);
    time(c.args(["revision", "--autogenerate", "-m", "four"]));
    let mut theirs = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..2 {
        std::fs::copy(&template, &db).unwrap();
        let mut c = Command::new(alembic);
        theirs.push(time(c.arg("-c").arg(project.join("alembic.ini")).args(["upgrade", "head"])));
        std::fs::copy(&template, &db).unwrap();
        let mut c = autogen();
        c.arg("--schema").arg(&model).arg("--database").arg(&db).arg("--versions").arg(&versions);
        ours.push(time(c.args(["upgrade", "head"])));
    }
    let a = stats("Alembic upgrade head (render_as_batch)", theirs);
    let b = stats("autogen upgrade head", ours);
    println!("  autogen / Alembic (medians): {:.4}  (target: <= 0.02)", b / a);
}

/// `rows` rows in each of the benchmark's tables.
fn fill(db: &Path, tables: usize, rows: usize) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut sql = String::from("BEGIN;");
    for t in 0..tables {
        sql.push_str(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) INSERT INTO t{t} (c1, \
             c2, c3) SELECT 'value ' || i, 'text', 'more text' FROM n;"
        ));
    }
    sql.push_str("COMMIT;");
    conn.execute_batch(&sql).unwrap();
}

/// An Alembic project whose metadata is the benchmark's model with four
/// changes on every table, as `four_changes` makes it.
fn write_alembic_project(project: &Path, db: &Path, tables: usize, shape: Shape, changed: usize) {
    std::fs::create_dir_all(project).unwrap();
    let parents =
        if shape == Shape::Ring { "(i + N - 1) % N, (i + N - 2) % N" } else { "max(i - 1, 0), max(i - 2, 0)" };
    let models = format!(
        r#"from sqlalchemy import MetaData, Table, Column, Integer, Text, String, ForeignKey, Index
N = {tables}
metadata = MetaData()
for i in range(N):
    p1, p2 = {parents}
    changed = i < {changed}
    t = Table(f"t{{i}}", metadata,
        Column("id", Integer, primary_key=True),
        Column("c1", String(100) if changed else Text),
        *([Column("c8", Text, index=True)] if changed else []),
        *[Column(f"c{{c}}", Text) for c in range(2, 8)],
        Column("p1", Integer, ForeignKey(f"t{{p1}}.id")),
        Column("p2", Integer, ForeignKey(f"t{{p2}}.id")),
    )
    Index(f"ix_t{{i}}_c1", t.c.c1)
    if not changed:
        Index(f"ix_t{{i}}_p", t.c.p1, t.c.p2)
"#
    );
    let env = r#"import os, sys
from alembic import context
from sqlalchemy import create_engine
sys.path.insert(0, os.path.dirname(__file__))
from models import metadata
engine = create_engine("sqlite:///" + context.config.get_main_option("db"))
with engine.connect() as conn:
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
"#;
    let template = r#""""${message}"""
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
from alembic import op
import sqlalchemy as sa
def upgrade():
    ${upgrades if upgrades else "pass"}
def downgrade():
    ${downgrades if downgrades else "pass"}
"#;
    let ini = format!("[alembic]\nscript_location = {}\ndb = {}\n", project.display(), db.display());
    for (file, text) in
        [("models.py", models.as_str()), ("env.py", env), ("script.py.mako", template), ("alembic.ini", ini.as_str())]
    {
        std::fs::write(project.join(file), text).unwrap();
    }
}

/// 2,000 tenants, one `ADD COLUMN` and one `CREATE INDEX`: `upgrade head
/// --fleet --jobs 2` against `xargs -P 2` running `sqlite3 tenant.db <
/// up.sql` over the same files, with the same SQL and version update. Each
/// run starts from fresh copies (not timed).
fn bench_fleet(dir: &Path, runs: usize) {
    if !have_sqlite3() {
        println!("fleet: skipped (no sqlite3 on PATH)");
        return;
    }
    const TENANTS: usize = 2000;
    let project = dir.join("fleet");
    let versions = project.join("versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(project.join("autogen.yaml"), "schema: model.yaml\nversions: versions\n").unwrap();
    std::fs::write(project.join("model.yaml"), "tables: []\n").unwrap();
    let revision = |id: &str, parent: &str, up: &str| {
        let text = format!(
            "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {parent}\n-- Create Date: 2026-12-03 10:00:00\n\n\
             -- migrate:up\n{up}\n\n-- migrate:down\nSELECT 1;\n"
        );
        std::fs::write(versions.join(format!("{id}.sql")), text).unwrap();
    };
    revision("r1", "", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, owner INTEGER);");
    let change = "ALTER TABLE notes ADD COLUMN tag TEXT;\nCREATE INDEX ix_notes_tag ON notes (tag);";
    revision("r2", "r1", change);
    let template = project.join("template.db");
    let out = autogen().current_dir(&project).args(["--database", "template.db", "upgrade", "r1"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let conn = rusqlite::Connection::open(&template).unwrap();
    conn.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) \
         INSERT INTO notes SELECT i, 'note ' || i, i % 7 FROM n",
    )
    .unwrap();
    drop(conn);
    // The same work for sqlite3: the change and the version update, in one transaction.
    std::fs::write(
        project.join("up.sql"),
        format!("BEGIN;\n{change}\nUPDATE autogen_version SET version_num = 'r2';\nCOMMIT;\n"),
    )
    .unwrap();
    let fresh = || {
        let tenants = project.join("tenants");
        let _ = std::fs::remove_dir_all(&tenants);
        std::fs::create_dir_all(&tenants).unwrap();
        for i in 0..TENANTS {
            std::fs::copy(&template, tenants.join(format!("t{i:05}.db"))).unwrap();
        }
    };
    println!("fleet: {TENANTS} tenants x 50 rows, ADD COLUMN + CREATE INDEX, 2 jobs");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        fresh();
        let mut cmd = autogen();
        cmd.current_dir(&project).args(["-q", "upgrade", "--fleet", "tenants/*.db", "--jobs", "2"]);
        ours.push(time(cmd));
        fresh();
        let mut cmd = Command::new("sh");
        cmd.current_dir(&project)
            .args(["-c", "printf '%s\\n' tenants/*.db | xargs -P 2 -I{} sh -c 'sqlite3 {} < up.sql'"]);
        theirs.push(time(cmd));
    }
    let a = stats("autogen upgrade head --fleet --jobs 2", ours);
    let b = stats("xargs -P 2 sqlite3 tenant.db < up.sql", theirs);
    println!("  ratio (median): {:.2}x", a / b);
}
