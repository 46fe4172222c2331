//! Planned on one database, run on another (issue 25): a revision checks
//! the database it meets and never loses what it did not plan for. Each
//! case runs through the binary on databases with rows, and checks every
//! row, the schema, `integrity_check`, `foreign_key_check`, an empty
//! re-diff and a downgrade back to the start; or, where the revision must
//! not run, a refusal that changes nothing.

mod support;

use std::path::Path;

use rusqlite::Connection;
use support::{text, Project};

/// Every row and the stored schema of a database file, autogen's own
/// tables left out: what "nothing changed" and "back to the start" compare.
type Rows = Vec<(String, Vec<String>)>;

fn state(path: &Path) -> (Rows, Vec<String>, Vec<(String, i64)>) {
    let db = Connection::open(path).unwrap();
    let rows = support::dump(&db).into_iter().filter(|(t, _)| !t.starts_with("autogen_version")).collect();
    let schema =
        support::stored_sql(&db).into_iter().filter(|s| !s.is_empty() && !s.contains("autogen_version")).collect();
    (rows, schema, support::sequences(&db))
}

/// What a downgrade must give back, whatever text the CREATE statements
/// are in: every row, each table's columns in order as declared, the
/// schema as autogen reads it, the counters.
type Shape =
    (Vec<(String, Vec<String>)>, Vec<(String, Vec<String>)>, Vec<(String, String, bool, i64, i64)>, Vec<(String, i64)>);

fn shape(path: &Path) -> (Shape, autogen::schema::Schema) {
    let db = Connection::open(path).unwrap();
    let own = |t: &str| t.starts_with("autogen_version");
    let rows = support::dump(&db).into_iter().filter(|(t, _)| !own(t)).collect();
    let order = support::ordered_columns(&db).into_iter().filter(|(t, _)| !own(t)).collect();
    let declared = support::declared_columns(&db).into_iter().filter(|(t, ..)| !own(t)).collect();
    let filter = autogen::Filter {
        ignore: vec!["autogen_version".into(), "autogen_version_checksums".into()],
        ..Default::default()
    };
    ((rows, order, declared, support::sequences(&db)), autogen::introspect(&db, &filter).unwrap())
}

fn sql(path: &Path, script: &str) {
    Connection::open(path).unwrap().execute_batch(script).unwrap();
}

fn fails(p: &Project, args: &[&str]) -> String {
    let out = p.run(args);
    assert_eq!(out.status.code(), Some(1), "autogen {args:?} should fail: {}{}", text(&out.stdout), text(&out.stderr));
    text(&out.stderr)
}

/// Up on `db` (a path in the project), healthy and matching the model,
/// then down one step: back to the start, row for row.
fn up_and_back(p: &Project, db: &str) {
    let path = p.path(db);
    let (start, start_schema) = shape(&path);
    p.ok(&["--database", db, "upgrade", "head"]);
    support::assert_healthy(&Connection::open(&path).unwrap(), &format!("{db} after the upgrade"));
    assert!(p.ok(&["--database", db, "check"]).contains("No changes"), "{db}: check after the upgrade");
    p.ok(&["--database", db, "downgrade", "-1"]);
    support::assert_healthy(&Connection::open(&path).unwrap(), &format!("{db} after the downgrade"));
    let (back, back_schema) = shape(&path);
    assert_eq!(back, start, "{db}: the downgrade does not restore the start");
    let left = autogen::diff_with_renames(&back_schema, &start_schema, Default::default());
    assert!(left.is_empty(), "{db}: the downgrade leaves {:?}", left.changes);
}

const RETYPE: &str =
    "tables:\n  - name: t\n    columns:\n      - {name: k, type: INT, primary_key: true}\n      - {name: \
                      a, type: INTEGER}\n";

/// Case 1: a rebuild planned on `dev.db` meets `prod.db` with a column, an
/// index and a trigger added by hand. It runs nothing and names each; the
/// same on a fleet, where the drifted tenant fails alone; a `--sql` script
/// stops at its guard. A database as planned, with more rows, upgrades.
#[test]
fn drift_stops_the_revision_and_changes_nothing() {
    let p = Project::new(RETYPE);
    sql(&p.path("app.db"), "CREATE TABLE t (k INT PRIMARY KEY, a TEXT); INSERT INTO t VALUES (1, '1');");
    p.ok(&["revision", "--autogenerate", "-m", "retype"]);
    let drifted = "CREATE TABLE t (k INT PRIMARY KEY, a TEXT); ALTER TABLE t ADD COLUMN extra TEXT; INSERT INTO t \
                   VALUES (1, '5', 'keep'), (2, 'x', NULL); CREATE INDEX ix_extra ON t (extra); CREATE TRIGGER trg \
                   AFTER INSERT ON t BEGIN SELECT 1; END;";
    sql(&p.path("prod.db"), drifted);
    let before = state(&p.path("prod.db"));
    let error = fails(&p, &["--database", "prod.db", "upgrade"]);
    for said in [
        "has a column `extra` the revision was not planned with: the rebuild would drop it and its values",
        "has an index `ix_extra` the revision was not planned with",
        "has a trigger `trg` the revision was not planned with",
        "Nothing ran",
        "plan the revision again",
    ] {
        assert!(error.contains(said), "{said}: {error}");
    }
    assert_eq!(state(&p.path("prod.db")), before, "a refused revision changed the database");

    // The offline script stops at its guard, before the rebuild.
    let script = p.ok(&["--database", "prod.db", "upgrade", "--sql"]);
    let conn = Connection::open(p.path("prod.db")).unwrap();
    let error = conn.execute_batch(&script).unwrap_err().to_string();
    assert!(error.contains("was planned on a database whose tables differ"), "{error}");
    let _ = conn.execute_batch("ROLLBACK");
    drop(conn);
    assert_eq!(state(&p.path("prod.db")), before);

    // A fleet: the tenant as planned (more rows) upgrades; the drifted one
    // fails, untouched, and `check --fleet` says it is not at head.
    std::fs::create_dir(p.path("tenants")).unwrap();
    std::fs::copy(p.path("prod.db"), p.path("tenants/drifted.db")).unwrap();
    sql(
        &p.path("tenants/planned.db"),
        "CREATE TABLE t (k INT PRIMARY KEY, a TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
         WHERE i < 500) INSERT INTO t SELECT i, i * 3 FROM n;",
    );
    let out = p.run(&["upgrade", "--fleet", "tenants/*.db", "--keep-going"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("has a column `extra`"), "{}", text(&out.stderr));
    assert_eq!(state(&p.path("tenants/drifted.db")), before);
    let out = p.run(&["check", "--fleet", "tenants/*.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("drifted.db: at <base>, not at the head"), "{}", text(&out.stdout));
    let planned = Connection::open(p.path("tenants/planned.db")).unwrap();
    let kept: i64 = planned.query_row("SELECT count(*) FROM t WHERE a = k * 3", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 500, "every row of the tenant as planned comes through");

    // As planned, with other rows: the whole round trip.
    sql(&p.path("other.db"), "CREATE TABLE t (k INT PRIMARY KEY, a TEXT); INSERT INTO t VALUES (7, '70'), (8, 'x');");
    up_and_back(&p, "other.db");
}

/// A hand-written revision opts in with its own line; a malformed one is
/// refused where it stands, before anything runs.
#[test]
fn hand_written_expectations_are_checked_and_malformed_ones_refused() {
    let p = Project::new("tables: []\n");
    std::fs::create_dir_all(p.path("migrations/versions")).unwrap();
    let file = p.path("migrations/versions/r1.sql");
    let write = |expect: &str| {
        std::fs::write(
            &file,
            format!(
                "-- by hand\n--\n-- Revision ID: r1\n-- Revises:\n\n-- migrate:up\n{expect}\nUPDATE t SET a = upper(a);\n\n-- \
                 migrate:down\nSELECT 1;\n"
            ),
        )
        .unwrap()
    };
    sql(&p.path("app.db"), "CREATE TABLE t (a TEXT, b TEXT); INSERT INTO t VALUES ('x', 'y');");
    let before = state(&p.path("app.db"));
    write(r#"-- autogen:expect {"table": "t", "columns": ["a"]}"#);
    let error = fails(&p, &["upgrade"]);
    assert!(error.contains("`t` has a column `b` the revision was not planned with"), "{error}");
    assert_eq!(state(&p.path("app.db")), before);
    write(r#"-- autogen:expect {"table": "t", "colums": ["a"]}"#);
    let error = fails(&p, &["upgrade"]);
    assert!(
        error.contains("r1.sql` line 7: `-- autogen:expect`") && error.contains("unknown field `colums`"),
        "{error}"
    );
    write(r#"-- autogen:expect {"table": "t", "columns": ["a", "b"]}"#);
    p.ok(&["upgrade"]);
    assert_eq!(state(&p.path("app.db")).0[0].1, ["1:'X','y'"]);
}

/// Case 2: a fleet list naming a database twice (and a symlink to it)
/// takes it once; a step (`-1`) is one place for the whole fleet, and a
/// rerun where the members stand apart is refused, naming where they are.
#[test]
fn fleet_targets_are_resolved_once_and_members_taken_once() {
    let v1 = "tables:\n  - name: a\n    columns: [{name: id, type: INTEGER, primary_key: true}]\n";
    let v2 = format!("{v1}  - name: b\n    columns: [{{name: id, type: INTEGER, primary_key: true}}]\n");
    let p = Project::new(v1);
    p.ok(&["revision", "--autogenerate", "-m", "one", "--rev-id", "r1"]);
    p.set_model(&v2);
    p.ok(&["upgrade"]);
    p.ok(&["revision", "--autogenerate", "-m", "two", "--rev-id", "r2"]);
    std::fs::create_dir(p.path("t")).unwrap();
    for name in ["x", "y"] {
        let db = format!("t/{name}.db");
        p.ok(&["--database", &db, "upgrade"]);
        sql(&p.path(&db), "INSERT INTO a VALUES (1); INSERT INTO b VALUES (2);");
    }
    std::os::unix::fs::symlink(p.path("t/x.db"), p.path("t/x-link.db")).unwrap();
    std::fs::write(p.path("list"), "t/x.db\nt/x.db\nt/x-link.db\nt/y.db\n").unwrap();
    let out = p.run(&["downgrade", "-1", "--fleet", "@list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("the target is `r1` for every database"), "{}", text(&out.stderr));
    for db in ["t/x.db", "t/y.db"] {
        let heads = p.ok(&["--database", db, "current"]);
        assert!(heads.starts_with("r1"), "{db} went more than one step: {heads}");
        let rows: i64 =
            Connection::open(p.path(db)).unwrap().query_row("SELECT count(*) FROM a", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 1, "{db}: `a` keeps its row");
    }
    // One tenant back at r2, the other at r1: `-1` means two places.
    p.ok(&["--database", "t/y.db", "upgrade"]);
    let before = (state(&p.path("t/x.db")), state(&p.path("t/y.db")));
    let error = fails(&p, &["downgrade", "-1", "--fleet", "@list"]);
    assert!(error.contains("stand at different revisions (1 database at r1, 1 database at r2)"), "{error}");
    assert_eq!((state(&p.path("t/x.db")), state(&p.path("t/y.db"))), before);
    // A missing member: refused before anything runs, or with --keep-going
    // one failure while the others run.
    std::fs::write(p.path("list"), "t/x.db\nt/gone.db\nt/y.db\n").unwrap();
    let error = fails(&p, &["upgrade", "--fleet", "@list"]);
    assert!(error.contains("t/gone.db` does not exist"), "{error}");
    let out = p.run(&["upgrade", "--fleet", "@list", "--keep-going"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Upgraded 1 database, 1 already at head, 1 failed"), "{}", text(&out.stderr));
    assert!(!p.path("t/gone.db").exists(), "a fleet never creates a member");
}

/// Case 4: comments that read like markers are errors at their line, not
/// comments that let the downgrade run in the upgrade; so is a second one.
#[test]
fn near_miss_section_markers_are_refused_at_their_line() {
    let p = Project::new("tables: []\n");
    sql(&p.path("app.db"), "CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('keep');");
    std::fs::create_dir_all(p.path("migrations/versions")).unwrap();
    let before = state(&p.path("app.db"));
    for (marker, wanted) in [
        ("-- migrate: down", "-- migrate:down"),
        ("-- migrate:downgrade", "-- migrate:down"),
        ("/* migrate:down */", "-- migrate:down"),
        ("-- migrate:up", "a second `-- migrate:up`"),
    ] {
        std::fs::write(
            p.path("migrations/versions/r1.sql"),
            format!(
                "-- r1\n--\n-- Revision ID: r1\n-- Revises:\n\n-- migrate:up\nSELECT 1;\n{marker}\nDELETE FROM t;\n"
            ),
        )
        .unwrap();
        for args in [&["upgrade"][..], &["lint"], &["check", "--replay", "--stairway"]] {
            let error = fails(&p, args);
            assert!(error.contains("r1.sql` line 8") && error.contains(wanted), "{marker} {args:?}: {error}");
        }
        assert_eq!(state(&p.path("app.db")), before, "{marker}");
    }
}

/// Case 5: moving the INTEGER PRIMARY KEY to a nullable column would give
/// its NULLs new numbers: refused, counted, nothing changed; the new
/// definition keeps the model's NOT NULL; with the NULLs filled first, the
/// round trip keeps every row.
#[test]
fn a_key_moved_to_a_nullable_column_invents_no_keys() {
    let model =
        "tables:\n  - name: t\n    columns:\n      - {name: id, type: INT, nullable: false}\n      - {name: x, \
                 type: INTEGER, primary_key: true}\n      - {name: v, type: TEXT}\n";
    let p = Project::new(model);
    let start = "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, v TEXT); INSERT INTO t VALUES (1, 100, 'a'), (2, \
                 NULL, 'b'), (3, NULL, 'c');";
    sql(&p.path("app.db"), start);
    let error = fails(&p, &["revision", "--autogenerate", "-m", "move key"]);
    assert!(error.contains("2 rows of `t` have a NULL `x`, which would become a new rowid"), "{error}");
    p.ok(&["revision", "--autogenerate", "-m", "move key", "--no-rehearse"]);
    let revision = std::fs::read_to_string(p.path(&format!("migrations/versions/{}", p.revisions()[0]))).unwrap();
    assert!(revision.contains("\"x\" INTEGER NOT NULL PRIMARY KEY"), "{revision}");
    let before = state(&p.path("app.db"));
    let error = fails(&p, &["upgrade"]);
    assert!(error.contains("2 rows of `t` have a NULL `x`"), "{error}");
    assert_eq!(state(&p.path("app.db")), before);
    sql(&p.path("app.db"), "UPDATE t SET x = 200 + id WHERE x IS NULL;");
    up_and_back(&p, "app.db");
}

/// Many tables, so that RENAME (which re-reads the schema) costs more than
/// copying a small table twice: the copy-back finish.
fn wide_schema(extra: &str) -> String {
    let mut model = String::from("tables:\n");
    for i in 0..250 {
        model.push_str(&format!("  - name: f{i}\n    columns: [{{name: id, type: INTEGER, primary_key: true}}]\n"));
    }
    model.push_str(extra);
    model
}

/// Case 6: a revision planned on an empty table (so it copies back) runs
/// on one with many rows: the holding table is a TEMP table that the
/// runner keeps in a file (never memory: `engine::sqlite`'s own test, and
/// the benchmark's peak memory), and every row comes through.
#[test]
fn copy_back_planned_on_an_empty_table_keeps_every_row_of_a_big_one() {
    let t = "  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: v, type: \
             TEXT}\n";
    let p = Project::new(&wide_schema(t));
    p.ok(&["revision", "--autogenerate", "-m", "init"]);
    p.ok(&["upgrade"]);
    p.set_model(&wide_schema(&t.replace("type: TEXT}", "type: TEXT, nullable: false, server_default: \"''\"}")));
    p.ok(&["revision", "--autogenerate", "-m", "v required"]);
    let file = p.revisions().into_iter().find(|f| f.ends_with("_v_required.sql")).unwrap();
    let text = std::fs::read_to_string(p.path(&format!("migrations/versions/{file}"))).unwrap();
    let up = &text[..text.find("-- migrate:down").unwrap()];
    assert!(up.contains("instead of a RENAME") && !up.contains("RENAME TO"), "not the copy-back finish:\n{up}");
    // The database it runs on has grown.
    sql(
        &p.path("app.db"),
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) INSERT INTO t SELECT i, \
         'value ' || i FROM n;",
    );
    up_and_back(&p, "app.db");
}

/// Case 7: a rebuild that copies back and renames a column in its copy
/// recreates the views and other tables' triggers that name the column.
#[test]
fn a_rename_folded_into_a_copy_back_keeps_views_and_triggers_working() {
    let tables = |name: &str, hint: &str| {
        format!(
            "  - name: t\n    columns:\n      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: {name}, \
             type: TEXT, nullable: false, server_default: \"''\"{hint}}}\n      - {{name: n, type: INT}}\n  - name: \
             other\n    columns:\n      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: x, type: \
             TEXT}}\nviews:\n  - {{name: v, sql: \"SELECT id, {name} FROM t\"}}\ntriggers:\n  - name: other_ins\n    sql: \
             \"CREATE TRIGGER other_ins AFTER INSERT ON other BEGIN UPDATE t SET {name} = new.x WHERE id = new.id; \
             END\"\n"
        )
    };
    let p = Project::new(&wide_schema(&tables("b", "")));
    p.ok(&["revision", "--autogenerate", "-m", "init"]);
    p.ok(&["upgrade"]);
    sql(&p.path("app.db"), "INSERT INTO t VALUES (1, 'one', 10), (2, 'two', 20);");
    // A rename, and a type change that rebuilds `t`.
    let renamed = tables("c", ", renamed_from: b").replace("{name: n, type: INT}", "{name: n, type: BIGINT}");
    p.set_model(&wide_schema(&renamed));
    p.ok(&["revision", "--autogenerate", "-m", "rename b"]);
    let file = p.revisions().into_iter().find(|f| f.ends_with("_rename_b.sql")).unwrap();
    let text = std::fs::read_to_string(p.path(&format!("migrations/versions/{file}"))).unwrap();
    let up = &text[..text.find("-- migrate:down").unwrap()];
    for said in ["instead of a RENAME", "column `b` is renamed to `c` by the copy", "CREATE VIEW", "CREATE TRIGGER"] {
        assert!(up.contains(said), "{said}:\n{up}");
    }
    up_and_back(&p, "app.db");
    p.ok(&["upgrade"]);
    sql(&p.path("app.db"), "INSERT INTO other VALUES (1, 'via trigger');");
    let db = Connection::open(p.path("app.db")).unwrap();
    let c: String = db.query_row("SELECT c FROM v WHERE id = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(c, "via trigger");
}

/// Case 8: an excluded table under a rebuild's temporary name (an
/// AUTOINCREMENT one, with its counter) is not used: the rebuild takes a
/// free name, and both counters stay as they were.
#[test]
fn temporary_names_are_free_in_the_whole_database() {
    let model = "tables:\n  - name: ai\n    columns:\n      - {name: id, type: INTEGER, primary_key: true, \
                 autoincrement: true}\n      - {name: v, type: INTEGER}\n";
    let p = Project::new(model);
    std::fs::write(
        p.path("autogen.yaml"),
        "database: sqlite:///./app.db\nschema: model.yaml\nversions: migrations/versions\nexclude: [\"_autogen*\"]\n",
    )
    .unwrap();
    sql(
        &p.path("app.db"),
        "CREATE TABLE ai (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT); INSERT INTO ai (v) VALUES ('1'), ('2'); \
         DELETE FROM ai WHERE id = 2; CREATE TABLE _autogen_tmp_ai (id INTEGER PRIMARY KEY AUTOINCREMENT, w TEXT); \
         INSERT INTO _autogen_tmp_ai (id, w) VALUES (90, 'theirs');",
    );
    p.ok(&["revision", "--autogenerate", "-m", "retype v"]);
    let text = std::fs::read_to_string(p.path(&format!("migrations/versions/{}", p.revisions()[0]))).unwrap();
    assert!(text.contains("\"_autogen_tmp_ai__2\""), "{text}");
    up_and_back(&p, "app.db");
    p.ok(&["upgrade"]);
    let db = Connection::open(p.path("app.db")).unwrap();
    assert_eq!(support::sequences(&db), [("_autogen_tmp_ai".to_string(), 90), ("ai".to_string(), 2)]);
    db.execute_batch("INSERT INTO ai (v) VALUES (3)").unwrap();
    let id: i64 = db.query_row("SELECT max(id) FROM ai", [], |r| r.get(0)).unwrap();
    assert_eq!(id, 3, "no id reused, none taken from the excluded table's counter");
}

/// Case 9: a YAML model that drops a column a kept view and another
/// table's trigger still use is refused at the view, as a `.sql` model
/// is: built whole, SQLite finds it.
#[test]
fn views_and_triggers_over_a_changed_table_are_checked_by_sqlite() {
    let model = |columns: &str| {
        format!(
            "tables:\n  - name: t\n    columns:\n      - {{name: id, type: INTEGER, primary_key: true}}\n{columns}  - \
             name: other\n    columns:\n      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: x, \
             type: TEXT}}\nviews:\n  - {{name: v, sql: \"SELECT id, b FROM t\"}}\ntriggers:\n  - name: other_ins\n    \
             sql: \"CREATE TRIGGER other_ins AFTER INSERT ON other BEGIN UPDATE t SET b = new.x; END\"\n"
        )
    };
    let p = Project::new(&model("      - {name: b, type: TEXT}\n"));
    p.ok(&["revision", "--autogenerate", "-m", "init"]);
    p.ok(&["upgrade"]);
    sql(&p.path("app.db"), "INSERT INTO t VALUES (1, 'b'); INSERT INTO other VALUES (1, 'x');");
    p.set_model(&model(""));
    let before = (state(&p.path("app.db")), p.revisions());
    for args in [&["revision", "--autogenerate", "-m", "drop b"][..], &["check"], &["diff"]] {
        let error = fails(&p, args);
        assert!(
            error.contains("model.yaml:") && error.contains("view `v`: SQLite rejects it: no such column: b"),
            "{error}"
        );
    }
    // The view fixed, the trigger is next.
    std::fs::write(p.path("model.yaml"), model("").replace("SELECT id, b FROM t", "SELECT id FROM t")).unwrap();
    let error = fails(&p, &["check"]);
    assert!(error.contains("trigger `other_ins`: SQLite rejects it: no such column: b"), "{error}");
    assert_eq!((state(&p.path("app.db")), p.revisions()), before);
}

/// Case 10: a rebuild for another reason keeps the table's column order
/// (the model's order is not a difference): an app's `INSERT INTO t
/// VALUES (...)` goes on writing the right columns, and a new column goes
/// last.
#[test]
fn a_rebuild_keeps_the_column_order() {
    let model = "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - \
                 {name: z, type: TEXT, nullable: false, server_default: \"''\"}\n      - {name: new, type: TEXT}\n      \
                 - {name: a, type: INTEGER}\n";
    let p = Project::new(model);
    sql(
        &p.path("app.db"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, z TEXT); INSERT INTO t VALUES (1, 5, 'x');",
    );
    p.ok(&["revision", "--autogenerate", "-m", "z required"]);
    up_and_back(&p, "app.db");
    p.ok(&["upgrade"]);
    let db = Connection::open(p.path("app.db")).unwrap();
    let columns: Vec<String> = support::ordered_columns(&db).into_iter().find(|(t, _)| t == "t").unwrap().1;
    assert_eq!(columns, ["id", "a", "z", "new"]);
    db.execute_batch("INSERT INTO t VALUES (2, 7, 'y', NULL)").unwrap();
    let a: i64 = db.query_row("SELECT a FROM t WHERE id = 2", [], |r| r.get(0)).unwrap();
    assert_eq!(a, 7);
}

/// Rows that broke a foreign key before a revision (in a table it does
/// not touch) do not block it: it runs and says so. One it makes is
/// refused, and the message tells the two apart.
#[test]
fn orphans_older_than_the_revision_do_not_block_it() {
    let model = "tables:\n  - name: p\n    columns: [{name: id, type: INTEGER, primary_key: true}]\n  - name: c\n    \
                 columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: p_id, type: INTEGER, \
                 references: p.id}\n  - name: other\n    columns:\n      - {name: id, type: INTEGER, primary_key: \
                 true}\n";
    let p = Project::new(model);
    p.ok(&["revision", "--autogenerate", "-m", "init"]);
    p.ok(&["upgrade"]);
    sql(&p.path("app.db"), "PRAGMA foreign_keys = OFF; INSERT INTO c VALUES (1, 99); INSERT INTO other VALUES (1);");
    p.set_model(&model.replace(
        "{name: id, type: INTEGER, primary_key: true}\n",
        "{name: id, type: INTEGER, primary_key: true}\n      - {name: note, type: TEXT}\n",
    ));
    let out = p.run(&["revision", "--autogenerate", "-m", "notes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = p.run(&["upgrade"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("rows broke foreign keys before revision"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1 row in `c` references missing rows in `p`"), "{}", text(&out.stderr));
}

/// A valid model is never refused: a BEFORE UPDATE trigger on a table with
/// generated columns (no UPDATE may set those).
#[test]
fn a_before_update_trigger_over_generated_columns_is_taken() {
    let model = "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: \
                 a, type: TEXT}\n      - {name: lc, type: TEXT, generated: \"lower(a)\", stored: false}\n      - {name: \
                 st, type: TEXT, generated: \"upper(a)\", stored: true}\ntriggers:\n  - name: t_touch\n    sql: \"CREATE \
                 TRIGGER t_touch BEFORE UPDATE ON t BEGIN SELECT RAISE(ABORT, 'empty') WHERE new.a = ''; END\"\n";
    let p = Project::new(model);
    p.ok(&["revision", "--autogenerate", "-m", "init"]);
    p.ok(&["upgrade"]);
    assert!(p.ok(&["check"]).contains("No changes"));
}

/// Configuration that would be taken wrongly is refused, naming it.
#[test]
fn database_urls_and_settings_that_would_mislead_are_refused() {
    let p = Project::new("tables: []\n");
    for (database, said) in [
        ("sqlite:///app.db?mode=ro", "has query parameters (`?mode=ro`)"),
        ("file:app.db?mode=ro", "query parameters"),
        ("file:app.db", "`file:` URI"),
        ("sqlite:///db/", "names a folder"),
    ] {
        std::fs::write(p.path("autogen.yaml"), format!("database: {database}\nschema: model.yaml\nversions: v\n"))
            .unwrap();
        let error = fails(&p, &["upgrade"]);
        assert!(error.contains(said), "{database}: {error}");
    }
    assert!(!p.path("app.db").exists() && !p.path("db").exists() && !p.path("file:app.db").exists());
    for (setting, said) in [
        ("busy_timeout: 2147484", "more than SQLite can wait"),
        ("version_table: sqlite_master", "names beginning `sqlite_` are reserved"),
    ] {
        std::fs::write(
            p.path("autogen.yaml"),
            format!("database: app.db\nschema: model.yaml\nversions: v\n{setting}\n"),
        )
        .unwrap();
        let out = p.run(&["current"]);
        assert_eq!(out.status.code(), Some(1), "{setting}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(said) && !text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
    }
    let out = p.run(&["upgrade", "--fleet", "*.db", "--jobs", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// A conversion of stored values is refused with the column and a row
/// before and after, and goes through once accepted, exactly it; a new NOT
/// NULL column without a default takes a one-off value for the rows there.
#[test]
fn conversions_are_shown_and_accepted_by_name_and_fills_fill() {
    let model =
        "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: \
                 data, type: ANY}\n      - {name: priority, type: INTEGER, nullable: false}\n";
    let p = Project::new(model);
    sql(
        &p.path("app.db"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY, data ANY) STRICT; INSERT INTO t VALUES (1, '000123'), (2, 'abc');",
    );
    let error = fails(&p, &["revision", "--autogenerate", "-m", "loose", "--fill", "t.priority=0"]);
    for said in [
        "the values of `data` are not all as they were",
        "`data` '000123' before, 123 after",
        "--accept-conversion t.data",
    ] {
        assert!(error.contains(said), "{said}: {error}");
    }
    let error = fails(&p, &["revision", "--autogenerate", "-m", "loose", "--accept-conversion", "t.data"]);
    assert!(error.contains("--fill t.priority=VALUE"), "{error}");
    let out = p.run(&["revision", "--autogenerate", "-m", "loose", "--fill", "t.nope=1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    p.ok(&[
        "revision",
        "--autogenerate",
        "-m",
        "loose",
        "--accept-conversion",
        "t.data",
        "--fill",
        "t.priority=length(data)",
    ]);
    let text = std::fs::read_to_string(p.path(&format!("migrations/versions/{}", p.revisions()[0]))).unwrap();
    assert!(text.contains("-- Accepted conversion: the stored values of t.data convert"), "{text}");
    assert!(!text.contains("DEFAULT"), "a fill is no default:\n{text}");
    p.ok(&["upgrade"]);
    let db = Connection::open(p.path("app.db")).unwrap();
    let rows: Vec<String> = db
        .prepare("SELECT id || ':' || quote(data) || ':' || priority FROM t ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows, ["1:123:6", "2:'abc':3"]);
    support::assert_healthy(&db, "after the upgrade");
    assert!(p.ok(&["check"]).contains("No changes"));
}

/// In a fleet, one tenant's rows that the revision cannot take fail that
/// tenant alone (rolled back); the others of its schema go on with
/// `--keep-going`.
#[test]
fn a_tenants_own_rows_fail_only_that_tenant() {
    let model = "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - \
                 {name: v, type: TEXT}\n";
    let p = Project::new(model);
    p.ok(&["revision", "--autogenerate", "-m", "init"]);
    std::fs::create_dir(p.path("t")).unwrap();
    for (name, rows) in [("a", "(1, NULL)"), ("b", "(1, 'x')"), ("c", "(1, 'y')")] {
        let db = format!("t/{name}.db");
        p.ok(&["--database", &db, "upgrade"]);
        sql(&p.path(&db), &format!("INSERT INTO t VALUES {rows}"));
    }
    p.set_model(&model.replace("type: TEXT}", "type: TEXT, nullable: false}"));
    p.ok(&["--database", "t/b.db", "revision", "--autogenerate", "-m", "v required"]);
    let before = state(&p.path("t/a.db"));
    let out = p.run(&["upgrade", "--fleet", "t/*.db", "--keep-going", "--jobs", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert!(said.contains("Upgraded 2 databases, 0 already at head, 1 failed"), "{said}");
    assert!(said.contains("t/a.db") && said.contains("NOT NULL constraint failed"), "{said}");
    assert_eq!(state(&p.path("t/a.db")), before);
}

/// A rehearsal that SQLite refuses for what the model asks (a default a
/// STRICT column cannot store) says to fix the model, not rows.
#[test]
fn a_model_sqlite_refuses_is_not_blamed_on_rows() {
    let model = "tables:\n  - name: t\n    strict: true\n    columns:\n      - {name: id, type: INTEGER, primary_key: \
                 true}\n      - {name: n, type: INTEGER, nullable: false, server_default: \"'abc'\"}\n";
    let p = Project::new(model);
    sql(&p.path("app.db"), "CREATE TABLE t (id INTEGER PRIMARY KEY) STRICT; INSERT INTO t VALUES (1);");
    let error = fails(&p, &["revision", "--autogenerate", "-m", "n"]);
    assert!(error.contains("fix the model") && !error.contains("fill or fix those rows"), "{error}");
}

/// A swap of two columns alike moves their data whenever the hints stay:
/// the diff says so, and says to remove the hints once it has run.
#[test]
fn a_swap_by_hints_is_announced_with_what_to_do_after() {
    let model =
        "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: \
                 a, type: TEXT, renamed_from: b}\n      - {name: b, type: TEXT, renamed_from: a}\n";
    let p = Project::new(model);
    sql(
        &p.path("app.db"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT); INSERT INTO t VALUES (1, 'x', 'y');",
    );
    let out = p.run(&["diff"]);
    let said = text(&out.stderr);
    assert!(said.contains("swap columns") && said.contains("remove the hints"), "{said}");
}

/// `init` from a database of one table says "1 table".
#[test]
fn counts_are_in_english() {
    let p = Project::new("tables: []\n");
    std::fs::remove_file(p.path("autogen.yaml")).unwrap();
    std::fs::remove_file(p.path("model.yaml")).unwrap();
    sql(&p.path("database.db"), "CREATE TABLE t (id INTEGER PRIMARY KEY);");
    let out = p.ok(&["init"]);
    assert!(out.contains("(1 table)"), "{out}");
}

/// At a terminal, a new NOT NULL column without a default over rows is
/// asked a one-off value for, as Django's makemigrations asks, and the
/// revision is written with it (`script` gives the command a terminal).
#[test]
fn a_missing_fill_is_asked_for_at_a_terminal() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        return;
    }
    let model =
        "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: \
                 priority, type: INTEGER, nullable: false}\n";
    let p = Project::new(model);
    sql(&p.path("app.db"), "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
    let command = format!("{} revision --autogenerate -m prio", env!("CARGO_BIN_EXE_autogen"));
    let mut script = std::process::Command::new("script");
    script.args(["-qec", &command, "/dev/null"]).stdin(std::process::Stdio::piped());
    let mut child = support::in_project(script, p.dir.path()).stdout(std::process::Stdio::piped()).spawn().unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(b"7\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("a one-off value for them"), "{}", text(&out.stdout));
    let file = p.revisions().into_iter().find(|f| f.ends_with("_prio.sql")).unwrap();
    let revision = std::fs::read_to_string(p.path(&format!("migrations/versions/{file}"))).unwrap();
    assert!(revision.contains("-- Filled: t.priority=7"), "{revision}");
    up_and_back(&p, "app.db");
}
