//! Rebuilds planned for an engine that keeps foreign keys on (D1) run here
//! on SQLite the way D1 runs a revision file: foreign keys enforced, their
//! checks deferred to the end, the whole file one transaction. Every row
//! of every table must come through both ways: no ON DELETE action, no
//! trigger, no check may touch one. `tests/d1.rs` runs the same plans on
//! wrangler's local D1.

mod support;

use std::path::Path;

use autogen::{Capabilities, Filter};
use rusqlite::Connection;
use support::{run_as_d1, FAMILY, FAMILY_ROWS};

/// [`FAMILY`] with its rows.
fn family() -> Connection {
    database(&format!("{FAMILY}{FAMILY_ROWS};"))
}

fn database(ddl: &str) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    conn.execute_batch(ddl).unwrap();
    conn
}

/// Every row of every table (rowids included), and the counters.
fn rows(conn: &Connection) -> Vec<String> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .unwrap()
            .query_map([&table], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let quoted: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
        let rowid = if table == "sqlite_sequence" { "''" } else { "quote(rowid)" };
        let sql = format!("SELECT {rowid} || ':' || {} FROM \"{table}\" ORDER BY 1", quoted.join(" || ',' || "));
        let mut stmt = conn.prepare(&sql).unwrap();
        for row in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
            out.push(format!("{table} {}", row.unwrap()));
        }
    }
    out.sort();
    out
}

fn healthy(conn: &Connection) {
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let violations: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(violations, 0, "foreign_key_check");
}

/// The model: the database as it is, with `edit` applied to its CREATE text.
fn model_of(conn: &Connection, edit: impl Fn(String) -> String) -> autogen::schema::Schema {
    let ddl: Vec<String> = conn
        .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let target = Connection::open_in_memory().unwrap();
    target.execute_batch(&edit(ddl.join(";\n"))).unwrap();
    autogen::introspect(&target, &Filter::default()).unwrap()
}

/// Plans `edit` for D1, runs it up and down the way D1 would, and checks
/// every row, the schema at each end, and the database's health.
fn up_and_down(ddl: &str, edit: impl Fn(String) -> String) -> String {
    up_and_down_on(database(ddl), edit)
}

fn up_and_down_on(conn: Connection, edit: impl Fn(String) -> String) -> String {
    let start = autogen::introspect(&conn, &Filter::default()).unwrap();
    let want = model_of(&conn, edit);
    let d = autogen::diff(&start, &want);
    assert!(!d.is_empty(), "the edit changes nothing");
    let autogen::Migration { up, down } = autogen::migration(&d, &start, &want, &Capabilities::D1, &Default::default());
    let before = rows(&conn);

    run_as_d1(&conn, &up, "upgrade").unwrap_or_else(|e| panic!("upgrade: {e}\n{up}"));
    healthy(&conn);
    let after = autogen::introspect(&conn, &Filter::default()).unwrap();
    assert!(autogen::diff(&after, &want).is_empty(), "the upgrade leaves a diff");
    assert_eq!(rows(&conn), before, "the upgrade changed rows:\n{up}");

    run_as_d1(&conn, &down, "downgrade").unwrap_or_else(|e| panic!("downgrade: {e}\n{down}"));
    healthy(&conn);
    assert!(autogen::diff(&autogen::introspect(&conn, &Filter::default()).unwrap(), &start).is_empty());
    assert_eq!(rows(&conn), before, "the downgrade changed rows");
    up
}

#[test]
fn rebuilding_a_parent_keeps_every_child_grandchild_and_counter() {
    let up = up_and_down_on(family(), |ddl| ddl.replace("name TEXT NOT NULL", "name VARCHAR(100) NOT NULL"));
    // The children are emptied before the parent is dropped, and the
    // audit trigger is set aside around it.
    let hold = up.find("DELETE FROM \"c_cascade\"").expect("c_cascade is held");
    assert!(hold < up.find("DROP TABLE \"p\"").unwrap());
    assert!(up.find("DROP TRIGGER \"c_cascade_gone\"").unwrap() < hold);
    assert!(!up.contains("RENAME TO"), "{up}");
}

#[test]
fn the_textbook_rebuild_loses_children_where_foreign_keys_stay_on() {
    // What the other tools do on D1, and why autogen holds: the same
    // change planned for local SQLite (foreign keys switched off) and run
    // as D1 runs it cascades into the children.
    let conn = family();
    let start = autogen::introspect(&conn, &Filter::default()).unwrap();
    let want = model_of(&conn, |ddl| {
        ddl.replace(
            "CREATE TABLE c_restrict (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE RESTRICT);",
            "",
        )
        .replace("name TEXT NOT NULL", "name VARCHAR(100) NOT NULL")
    });
    let d = autogen::diff(&start, &want);
    let textbook = autogen::script(&autogen::plan(&d, &want, &Capabilities::SQLITE));
    conn.execute_batch("DROP TABLE c_restrict").unwrap();
    let children =
        |conn: &Connection| -> i64 { conn.query_row("SELECT count(*) FROM c_cascade", [], |r| r.get(0)).unwrap() };
    assert_eq!(children(&conn), 3);
    let result = run_as_d1(&conn, &textbook, "textbook");
    // Either the deferred checks refuse it (NO ACTION children) or the
    // children are gone: never the rows kept.
    assert!(result.is_err() || children(&conn) == 0, "{result:?}");
}

#[test]
fn a_table_in_the_middle_of_a_chain() {
    let ddl = "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);
        CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id) ON DELETE CASCADE, v TEXT);
        CREATE TABLE c (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b(id) ON DELETE CASCADE, v TEXT);
        INSERT INTO a VALUES (1, 'a1'), (2, 'a2');
        INSERT INTO b VALUES (10, 1, 'b1'), (11, 2, 'b2');
        INSERT INTO c VALUES (100, 10, 'c1'), (101, 11, 'c2'), (102, 11, NULL);";
    // `b` is rebuilt; `c`, which references it, is held; `a` is left alone.
    let up = up_and_down(ddl, |ddl| ddl.replace("a_id INTEGER", "a_id BIGINT"));
    assert!(up.contains("DELETE FROM \"c\""), "{up}");
}

#[test]
fn two_related_tables_rebuilt_in_one_revision() {
    let ddl = "CREATE TABLE parent (id INTEGER PRIMARY KEY, v TEXT);
        CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE, v TEXT);
        INSERT INTO parent VALUES (1, 'p1'), (2, 'p2');
        INSERT INTO child VALUES (10, 1, 'c1'), (11, 2, 'c2'), (12, 2, 'c3');";
    up_and_down(ddl, |ddl| ddl.replace("v TEXT", "v VARCHAR(9)"));
}

#[test]
fn a_self_reference_and_a_table_without_rowid_alias() {
    let ddl = "CREATE TABLE node (name TEXT, up TEXT REFERENCES node(name) ON DELETE SET NULL, UNIQUE (name));
        INSERT INTO node VALUES ('root', NULL), ('leaf', 'root'), ('x', 'leaf'), ('gone', NULL);
        DELETE FROM node WHERE name = 'gone';
        INSERT INTO node VALUES ('late', 'x');";
    up_and_down(ddl, |ddl| ddl.replace("up TEXT", "up VARCHAR(20)"));
}

/// `model.yaml` of the family, for the wrangler tests and the README.
#[test]
fn the_family_schema_loads_as_a_model() {
    let conn = family();
    let schema = autogen::introspect(&conn, &Filter::default()).unwrap();
    let yaml = autogen::model_yaml(&schema);
    autogen::parse_model(&yaml, Path::new("m.yaml")).unwrap();
}

#[test]
fn a_self_reference_without_an_action() {
    // NO ACTION: emptying the table breaks and mends the reference within
    // the file, and the deferred check at the end finds it whole.
    let ddl = "CREATE TABLE emp (id INTEGER PRIMARY KEY, boss INTEGER REFERENCES emp(id), name TEXT);
        INSERT INTO emp VALUES (1, NULL, 'ceo'), (2, 1, 'cto'), (3, 2, 'dev'), (4, 3, 'intern');";
    up_and_down(ddl, |ddl| ddl.replace("name TEXT", "name VARCHAR(40)"));
}

#[test]
fn a_self_reference_that_restricts() {
    let ddl = "CREATE TABLE emp (id INTEGER PRIMARY KEY, boss INTEGER REFERENCES emp(id) ON DELETE RESTRICT);
        INSERT INTO emp VALUES (1, NULL), (2, 1), (3, 2);";
    up_and_down(ddl, |ddl| ddl.replace("boss INTEGER", "boss BIGINT"));
}

/// Case 3 of issue 25: tables that `exclude` keeps out of the model are
/// still in the database, and a rebuild of the table they reference must
/// keep their rows where foreign keys stay on: they are held like the
/// others, their triggers set aside; lint's AG401 names them before it runs.
#[test]
fn excluded_children_are_held_too() {
    let conn = database(
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE legacy_cascade (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE);
         CREATE TABLE legacy_setnull (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE SET NULL);
         CREATE TABLE legacy_log (what TEXT);
         CREATE TRIGGER legacy_gone AFTER DELETE ON legacy_cascade BEGIN INSERT INTO legacy_log VALUES ('gone'); END;
         INSERT INTO p VALUES (1, 'a'), (2, 'b');
         INSERT INTO legacy_cascade VALUES (10, 1), (11, 2);
         INSERT INTO legacy_setnull VALUES (20, 1), (21, 2);",
    );
    let filter = Filter { exclude: vec!["legacy_*".into()], ..Filter::default() };
    let start = autogen::introspect(&conn, &filter).unwrap();
    assert_eq!(start.outside.tables.len(), 3, "the excluded tables are read, outside the managed schema");
    let target = Connection::open_in_memory().unwrap();
    target.execute_batch("CREATE TABLE p (id INTEGER PRIMARY KEY, name VARCHAR(9) NOT NULL)").unwrap();
    let want = autogen::introspect(&target, &Filter::default()).unwrap();
    let d = autogen::diff(&start, &want);
    let autogen::Migration { up, down } = autogen::migration(&d, &start, &want, &Capabilities::D1, &Default::default());
    assert!(up.contains("DELETE FROM \"legacy_cascade\"") && up.contains("DROP TRIGGER \"legacy_gone\""), "{up}");
    assert!(up.contains(r#""referenced_by":["legacy_cascade","legacy_setnull"]"#), "{up}");

    let policy = autogen::Policy::default();
    let linter = autogen::Lint { filter: &filter, caps: Capabilities::D1, policy: &policy };
    let subject = autogen::Subject { revision: "up", file: "", script: &up, line: 1 };
    let planned = linter.review_planned(&subject, &start, &d).unwrap();
    assert!(planned.iter().all(|f| f.code != autogen::Code::AG401), "held children are not at risk: {planned:?}");
    let textbook = autogen::script(&autogen::plan(&d, &want, &Capabilities::SQLITE));
    let subject = autogen::Subject { revision: "textbook", file: "", script: &textbook, line: 1 };
    let found = linter.review_planned(&subject, &start, &d).unwrap();
    assert!(
        found.iter().any(|f| f.code == autogen::Code::AG401 && f.message.contains("`legacy_cascade`")),
        "AG401 counts the excluded child: {found:?}"
    );

    let before = rows(&conn);
    run_as_d1(&conn, &up, "upgrade").unwrap_or_else(|e| panic!("upgrade: {e}\n{up}"));
    healthy(&conn);
    assert_eq!(rows(&conn), before, "the upgrade changed rows:\n{up}");
    assert!(autogen::diff(&autogen::introspect(&conn, &filter).unwrap(), &want).is_empty());
    run_as_d1(&conn, &down, "downgrade").unwrap_or_else(|e| panic!("downgrade: {e}\n{down}"));
    healthy(&conn);
    assert_eq!(rows(&conn), before, "the downgrade changed rows");
    assert!(autogen::diff(&autogen::introspect(&conn, &filter).unwrap(), &start).is_empty());
}
