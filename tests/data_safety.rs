//! Never lose or change a row: each way a migration could lose, change or
//! invent rows, driven through the binary on a database with rows, and
//! checked row by row (issue 14). A case is named for what it protects.

mod support;

use support::{text, Project};

const T: &str = "tables:\n  - name: t\n    columns:\n";

/// The rows and the stored schema, for "nothing changed" checks.
fn snapshot(p: &Project) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let db = p.db();
    (support::dump(&db), support::stored_sql(&db))
}

/// `revision --autogenerate`, `upgrade`, `check` clean, healthy database.
fn migrate(p: &Project, message: &str) {
    p.ok(&["revision", "--autogenerate", "-m", message]);
    p.ok(&["upgrade", "head"]);
    support::assert_healthy(&p.db(), message);
    assert!(p.ok(&["check"]).contains("No changes"), "{message}: check after the upgrade");
}

/// Every row of the tables that are not autogen's own.
fn user_rows(p: &Project) -> Vec<(String, Vec<String>)> {
    support::dump(&p.db()).into_iter().filter(|(t, _)| !t.starts_with("autogen_version")).collect()
}

fn stored(p: &Project, name: &str) -> String {
    p.db().query_row("SELECT sql FROM sqlite_schema WHERE name = ?1", [name], |r| r.get(0)).unwrap()
}

fn rows(p: &Project, sql: &str) -> Vec<String> {
    let db = p.db();
    let mut stmt = db.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
}

/// The reproduction: ON CONFLICT IGNORE on a new UNIQUE and a new
/// NOT NULL would make the copy drop rows. The copy is `INSERT OR ABORT`:
/// the rehearsal fails naming the rows, nothing is written, and a revision
/// forced through fails at `upgrade` and leaves every row.
#[test]
fn conflict_clauses_never_drop_rows_in_a_rebuild() {
    let p = Project::new(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: email, \
        type: TEXT}}\n      - {{name: note, type: TEXT}}\n"
    ));
    p.db()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, email TEXT, note TEXT);
             INSERT INTO t(email, note) VALUES ('a', '1'), ('a', '2'), ('b', NULL), ('c', '3');",
        )
        .unwrap();
    p.set_model(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: email, type: TEXT, unique: true, \
            on_conflict: IGNORE}}\n      - {{name: note, type: TEXT, nullable: false, on_conflict: IGNORE}}\n"
    ));
    let before = snapshot(&p);
    let out = p.run(&["revision", "--autogenerate", "-m", "tighten"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("rehearsal of the upgrade failed") && err.contains("--no-rehearse"), "{err}");
    assert!(p.revisions().is_empty(), "a failed rehearsal writes nothing");
    p.ok(&["revision", "--autogenerate", "-m", "tighten", "--no-rehearse"]);
    let file = std::fs::read_to_string(p.path("migrations/versions").join(&p.revisions()[0])).unwrap();
    assert!(file.contains("-- Rehearsal: skipped (--no-rehearse)") && file.contains("INSERT OR ABORT INTO"), "{file}");
    let out = p.run(&["upgrade", "head"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("rolled back"), "{}", text(&out.stderr));
    assert_eq!(snapshot(&p), before, "the failed upgrade changed the database");
}

/// A copy that loses a row (here a hand edit of the revision) stops the
/// revision before the old table is dropped, naming the table and counts.
#[test]
fn a_rebuild_whose_copy_loses_a_row_stops_before_the_drop() {
    let p = Project::new(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: a, type: TEXT}}\n"
    ));
    p.db()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z');",
        )
        .unwrap();
    p.set_model(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: a, type: INT}}\n"
    ));
    p.ok(&["revision", "--autogenerate", "-m", "retype"]);
    let path = p.path("migrations/versions").join(&p.revisions()[0]);
    let file = std::fs::read_to_string(&path).unwrap();
    let edited =
        file.replacen("-- row accounting", "DELETE FROM \"_autogen_tmp_t\" WHERE id = 2;\n-- row accounting", 1);
    assert_ne!(edited, file, "{file}");
    std::fs::write(&path, edited).unwrap();
    let before = snapshot(&p);
    let out = p.run(&["upgrade", "head"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("the copy of `t` holds 2 of its 3 rows"), "{err}");
    assert_eq!(snapshot(&p), before);
}

/// Case 1: integer keys that are not rowid aliases keep their NULLs, their
/// rowids and their DESC through `inspect` and a rebuild.
#[test]
fn integer_keys_that_are_not_the_rowid_keep_nulls_rowids_and_desc() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch(
            "CREATE TABLE a(id INT PRIMARY KEY, v TEXT);
             INSERT INTO a(rowid, id, v) VALUES (10, 1, 'x'), (20, NULL, 'y'), (30, 5, 'z');
             CREATE TABLE b(id INTEGER PRIMARY KEY DESC, v TEXT);
             INSERT INTO b(rowid, id, v) VALUES (10, 1, 'x'), (20, NULL, 'y'), (30, 5, 'z');",
        )
        .unwrap();
    let model = p.ok(&["inspect"]);
    assert!(model.contains("{name: id, type: INTEGER, primary_key: true, order: desc, nullable: true}"), "{model}");
    p.set_model(&model);
    assert!(p.ok(&["check"]).contains("No changes"));
    p.set_model(&model.replace("{name: v, type: TEXT}", "{name: v, type: VARCHAR(10)}"));
    let key_rows = |p: &Project, t: &str| {
        rows(p, &format!("SELECT rowid || ':' || quote(id) || ':' || v FROM {t} ORDER BY rowid"))
    };
    let before = (key_rows(&p, "a"), key_rows(&p, "b"));
    assert_eq!(before.1, ["10:1:x", "20:NULL:y", "30:5:z"]);
    migrate(&p, "retype");
    assert_eq!((key_rows(&p, "a"), key_rows(&p, "b")), before, "keys or rowids changed");
    assert!(stored(&p, "b").contains("PRIMARY KEY DESC"), "{}", stored(&p, "b"));
    p.ok(&["downgrade", "-1"]);
    assert_eq!((key_rows(&p, "a"), key_rows(&p, "b")), before, "keys or rowids changed by the downgrade");
}

/// A key that becomes the rowid cannot hold NULL: the revision stops with
/// the rows counted rather than inventing keys.
#[test]
fn a_key_that_becomes_the_rowid_never_invents_values() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch("CREATE TABLE t(id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'x'), (NULL, 'y');")
        .unwrap();
    p.set_model(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: v, type: TEXT}}\n"
    ));
    let before = snapshot(&p);
    let out = p.run(&["revision", "--autogenerate", "-m", "alias"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("1 row of `t` has a NULL `id`, which would become a new rowid"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(snapshot(&p), before);
}

/// Case 2: a `version_table` that is a user table is refused before
/// anything reads or writes it.
#[test]
fn a_version_table_that_is_a_user_table_is_refused() {
    let p = Project::new(&format!("{T}      - {{name: id, type: INTEGER, primary_key: true}}\n"));
    std::fs::write(p.path("autogen.yaml"), "database: app.db\nschema: model.yaml\nversion_table: users\n").unwrap();
    p.db()
        .execute_batch(
            "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users VALUES (1, 'a'), (2, 'b');",
        )
        .unwrap();
    let before = snapshot(&p);
    for args in [&["current"][..], &["stamp", "base", "--purge"], &["upgrade", "head"]] {
        let out = p.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            text(&out.stderr).contains("has a table `users` that is not autogen's"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(snapshot(&p), before, "user rows were touched");
    // A model table of the version table's name is a model error.
    p.set_model("tables:\n  - name: users\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n");
    let out = p.run(&["diff"]);
    assert!(
        text(&out.stderr).contains("model.yaml:2:11: table `users` has the name of autogen's version table"),
        "{}",
        text(&out.stderr)
    );
}

/// Case 3: `init` beside a database with tables starts the model from it;
/// its "Next" steps drop nothing. A model without tables is refused.
#[test]
fn init_beside_a_database_keeps_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let db = rusqlite::Connection::open(dir.path().join("database.db")).unwrap();
    db.execute_batch(
        "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, \
        'ann'), (2, 'bob');",
    )
    .unwrap();
    drop(db);
    let run = |args: &[&str]| support::autogen(dir.path()).args(args).output().unwrap();
    let out = run(&["init"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("from database"), "{}", text(&out.stdout));
    let model = std::fs::read_to_string(dir.path().join("schemas/model.yaml")).unwrap();
    assert!(model.starts_with("# yaml-language-server") && model.contains("name: customers"), "{model}");
    let out = run(&["revision", "--autogenerate", "-m", "initial"]);
    assert!(text(&out.stdout).contains("No changes detected"), "{}", text(&out.stdout));
    let out = run(&["check"]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    // A model of no tables would drop them all: said, and refused.
    std::fs::write(dir.path().join("schemas/model.yaml"), "tables: []\n").unwrap();
    let out = run(&["revision", "--autogenerate", "-m", "oops"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("would drop them all") && text(&out.stderr).contains("--allow-drop-all"));
    let db = rusqlite::Connection::open(dir.path().join("database.db")).unwrap();
    assert_eq!(support::row_counts(&db), [("customers".to_string(), 2)]);
}

/// Case 4: a plain column turned into a generated one: its stored values
/// are replaced, and `diff` says how many.
#[test]
fn a_column_made_generated_warns_with_the_count() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b INT); INSERT INTO t VALUES (1, 1, 100), (2, \
        2, 200), (3, 3, NULL);",
        )
        .unwrap();
    p.set_model(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: a, type: INT}}\n      - {{name: \
            b, type: INT, generated: \"a * 2\", stored: true}}\n"
    ));
    let out = p.run(&["diff"]);
    assert!(
        text(&out.stderr)
            .contains("`t.b` becomes a generated column: the 2 stored values it holds are replaced by `a * 2`"),
        "{}",
        text(&out.stderr)
    );
}

/// Case 5: dropping a NOT NULL column without a default: the revision is
/// written, and its downgrade brings the column back exactly, filled with
/// a placeholder, saying so.
#[test]
fn a_dropped_not_null_column_comes_back_with_placeholders() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL); INSERT INTO t VALUES (1, \
        'x', 'keep1'), (2, 'y', 'keep2');",
        )
        .unwrap();
    p.set_model(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: a, type: TEXT}}\n"
    ));
    let out = p.run(&["revision", "--autogenerate", "-m", "drop b"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("a downgrade brings the column back with placeholder values"),
        "{}",
        text(&out.stderr)
    );
    let file = std::fs::read_to_string(p.path("migrations/versions").join(&p.revisions()[0])).unwrap();
    assert!(file.contains("its rows get the placeholder ''"), "{file}");
    p.ok(&["upgrade", "head"]);
    p.ok(&["downgrade", "-1"]);
    assert!(stored(&p, "t").contains("\"b\" TEXT NOT NULL"), "{}", stored(&p, "t"));
    assert_eq!(rows(&p, "SELECT id || ',' || a || ',' || quote(b) FROM t ORDER BY id"), ["1,x,''", "2,y,''"]);
    support::assert_healthy(&p.db(), "after the downgrade");
}

/// Case 6: naming an unnamed constraint is a change both ways, and the
/// downgrade takes the names off again.
#[test]
fn naming_and_unnaming_constraints_are_changes_both_ways() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch(
            "CREATE TABLE t(id INTEGER NOT NULL, a TEXT, b INT, PRIMARY KEY(id), UNIQUE(a), CHECK (b > \
            0)); INSERT INTO t VALUES (1, 'x', 1), (2, 'y', 2);",
        )
        .unwrap();
    let unnamed = p.ok(&["inspect"]);
    p.set_model(&unnamed);
    assert!(p.ok(&["check"]).contains("No changes"));
    let named = format!(
        "{T}      - {{name: id, type: INTEGER}}\n      - {{name: a, type: TEXT}}\n      - {{name: b, type: INT}}\n    \
            primary_key: {{name: pk_t, columns: [id]}}\n    unique_constraints:\n      - {{name: uq_t_a, columns: \
                [a]}}\n    check_constraints:\n      - {{name: ck_t_b, sql: b > 0}}\n"
    );
    p.set_model(&named);
    let before = user_rows(&p);
    migrate(&p, "name them");
    assert!(stored(&p, "t").contains("CONSTRAINT \"uq_t_a\""), "{}", stored(&p, "t"));
    p.set_model(&unnamed);
    assert!(!p.ok(&["diff"]).contains("No changes"), "unnaming is a change");
    p.ok(&["downgrade", "-1"]);
    assert!(!stored(&p, "t").contains("CONSTRAINT"), "{}", stored(&p, "t"));
    assert_eq!(user_rows(&p), before);
}

/// Case 7: a UNIQUE key's collation and order survive `inspect` and a
/// rebuild: the key stays case-insensitive.
#[test]
fn unique_keys_keep_their_collation_and_order() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INT, c TEXT, UNIQUE(a COLLATE NOCASE, b \
            DESC)); INSERT INTO t VALUES (1, 'x', 1, 'c1'), (2, 'y', 2, 'c2');",
        )
        .unwrap();
    let model = p.ok(&["inspect"]);
    assert!(model.contains("columns: [{column: a, collate: NOCASE}, {column: b, order: desc}]"), "{model}");
    p.set_model(&model.replace("{name: c, type: TEXT}", "{name: c, type: VARCHAR(10)}"));
    let before = user_rows(&p);
    migrate(&p, "retype c");
    let dup = p.db().execute_batch("INSERT INTO t VALUES (3, 'X', 1, 'dup')");
    assert!(dup.is_err(), "the key is no longer NOCASE: {}", stored(&p, "t"));
    p.ok(&["downgrade", "-1"]);
    assert_eq!(user_rows(&p), before);
}

/// Case 8: a column-level CHECK stays on its column through a rebuild and
/// a downgrade.
#[test]
fn column_checks_stay_on_their_column() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT CHECK (a > 0), c TEXT); INSERT INTO t VALUES \
        (1, 1, 'x'), (2, 2, 'y');",
        )
        .unwrap();
    let model = p.ok(&["inspect"]);
    assert!(model.contains("{name: a, type: INT, check: \"a > 0\"}"), "{model}");
    p.set_model(&model.replace("{name: c, type: TEXT}", "{name: c, type: VARCHAR(10)}"));
    migrate(&p, "retype c");
    let sql = stored(&p, "t");
    assert!(sql.contains("\"a\" INT CHECK (a > 0)") && sql.matches("CHECK").count() == 1, "{sql}");
    p.ok(&["downgrade", "-1"]);
    let sql = stored(&p, "t");
    assert!(sql.contains("\"a\" INT CHECK (a > 0)") && sql.matches("CHECK").count() == 1, "{sql}");
}

/// Case 9: model SQL may end in a `--` comment, in every place it goes.
#[test]
fn model_sql_may_end_in_a_comment() {
    let model = "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - \
        {name: a, type: INT, server_default: \"0 -- zero\", check: \"a >= 0 -- not negative\"}\n      - {name: b, \
            type: INT, generated: \"a * 2 -- double\"}\n    check_constraints:\n      - {sql: \"a < 100 -- \
                small\"}\n    indexes:\n      - {name: ix_t_a, columns: [a], where: \"a > 0 -- positive\"}\nviews:\n  \
                    - {name: v, sql: \"SELECT id, a FROM t -- all\"}\ntriggers:\n  - name: tr\n    sql: \"CREATE \
                        TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END -- done\"\n";
    let p = Project::new(model);
    migrate(&p, "comments");
    p.db().execute_batch("INSERT INTO t (id) VALUES (1)").unwrap();
    let names = rows(&p, "SELECT name FROM sqlite_schema WHERE name IN ('ix_t_a', 'v', 'tr') ORDER BY name");
    assert_eq!(names, ["ix_t_a", "tr", "v"]);
    // The offline script, run by another SQLite, builds the same.
    let script = p.ok(&["upgrade", "base:head", "--sql"]);
    let fresh = rusqlite::Connection::open_in_memory().unwrap();
    fresh.execute_batch(&script).unwrap_or_else(|e| panic!("{e}\n{script}"));
    let count: i64 = fresh
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name IN ('ix_t_a', 'v', 'tr')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 3, "{script}");
}

/// Case 10: a hand-written last statement without `;` is terminated in
/// `--sql` output, so the script runs whole elsewhere.
#[test]
fn the_offline_script_terminates_a_last_statement_without_semicolon() {
    let p = Project::new("tables: []\n");
    p.ok(&["revision", "-m", "create", "--rev-id", "r1"]);
    let path = p.path("migrations/versions").join(&p.revisions()[0]);
    let file = std::fs::read_to_string(&path).unwrap();
    let file = file
        .replace("-- Write the upgrade SQL here.", "CREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO t VALUES (1)")
        .replace("-- Write the downgrade SQL here.", "DROP TABLE t");
    std::fs::write(&path, file).unwrap();
    let script = p.ok(&["upgrade", "head", "--sql"]);
    let fresh = rusqlite::Connection::open_in_memory().unwrap();
    fresh.execute_batch(&script).unwrap_or_else(|e| panic!("{e}\n{script}"));
    let n: i64 = fresh.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    let down = p.ok(&["downgrade", "r1:base", "--sql"]);
    assert!(down.contains("DROP TABLE t\n;\n"), "{down}");
}

/// Case 11: a message is one line: a line break cannot write header lines.
#[test]
fn a_message_with_a_line_break_is_refused() {
    let p = Project::new("tables: []\n");
    let out = p.run(&["revision", "-m", "first\n-- Revision ID: abc", "--rev-id", "r1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("a line break"), "{}", text(&out.stderr));
    assert!(p.revisions().is_empty());
}

/// Case 12: a table-level primary key makes its columns NOT NULL.
#[test]
fn table_level_primary_keys_are_not_null() {
    let p = Project::new(&format!(
        "{T}      - {{name: code, type: TEXT}}\n      - {{name: v, type: INT}}\n    primary_key: [code]\n  - name: \
            w\n    columns:\n      - {{name: a, type: TEXT}}\n      - {{name: b, type: TEXT}}\n    primary_key: \
                {{columns: [a, b]}}\n"
    ));
    let sql = p.ok(&["diff", "--sql"]);
    assert!(
        sql.contains("\"code\" TEXT NOT NULL PRIMARY KEY")
            && sql.contains("\"a\" TEXT NOT NULL")
            && sql.contains("\"b\" TEXT NOT NULL"),
        "{sql}"
    );
    migrate(&p, "keys");
    assert!(p.db().execute_batch("INSERT INTO t VALUES (NULL, 1)").is_err());
}

/// Case 13: swaps move the data; conflicting hints and excluded model
/// tables are errors.
#[test]
fn swaps_move_the_data_and_conflicting_hints_are_errors() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INT); INSERT INTO t VALUES (1, 'A1', 1), (2, 'A2', 2);",
        )
        .unwrap();
    p.set_model(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: b, type: TEXT, renamed_from: \
            a}}\n      - {{name: a, type: INT, renamed_from: b}}\n"
    ));
    migrate(&p, "swap");
    assert_eq!(rows(&p, "SELECT b || ',' || a FROM t ORDER BY id"), ["A1,1", "A2,2"]);
    p.ok(&["downgrade", "-1"]);
    assert_eq!(rows(&p, "SELECT a || ',' || b FROM t ORDER BY id"), ["A1,1", "A2,2"]);
    // Tables swap too.
    let q = Project::new("tables: []\n");
    q.db()
        .execute_batch(
            "CREATE TABLE x(id INTEGER PRIMARY KEY, xv TEXT); INSERT INTO x VALUES (1, 'from x'); CREATE \
        TABLE y(id INTEGER PRIMARY KEY, yv TEXT); INSERT INTO y VALUES (1, 'from y');",
        )
        .unwrap();
    q.set_model(
        "tables:\n  - name: y\n    renamed_from: x\n    columns:\n      - {name: id, type: INTEGER, \
        primary_key: true}\n      - {name: xv, type: TEXT}\n  - name: x\n    renamed_from: y\n    columns:\n      - \
            {name: id, type: INTEGER, primary_key: true}\n      - {name: yv, type: TEXT}\n",
    );
    migrate(&q, "swap tables");
    assert_eq!(rows(&q, "SELECT xv FROM y"), ["from x"]);
    // Conflicting hints.
    for (model, expected) in [
        (
            format!(
                "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: b, type: TEXT, \
            renamed_from: a}}\n      - {{name: a, type: INT}}\n"
            ),
            "model.yaml:5:45: column `b` is renamed from `a`, \
                which the model also keeps",
        ),
        (
            format!(
                "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: b, type: TEXT, \
            renamed_from: a}}\n      - {{name: c, type: INT, renamed_from: a}}\n"
            ),
            "model.yaml:6:44: two columns are \
                renamed from `a`",
        ),
    ] {
        p.set_model(&model);
        let out = p.run(&["diff"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains(expected), "{}", text(&out.stderr));
    }
    // A model table that `exclude` matches.
    std::fs::write(p.path("autogen.yaml"), "database: app.db\nschema: model.yaml\nexclude: [\"legacy_*\"]\n").unwrap();
    p.set_model(
        "tables:\n  - name: legacy_orders\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n",
    );
    let out = p.run(&["diff"]);
    assert!(
        text(&out.stderr).contains("model.yaml:2:11: table `legacy_orders` is excluded by `legacy_*`"),
        "{}",
        text(&out.stderr)
    );
}

/// Case 14: a NOT NULL VIRTUAL generated column is added with ADD COLUMN,
/// with no warning.
#[test]
fn a_not_null_virtual_column_is_added_natively() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, a INT); INSERT INTO t VALUES (1, 1), (2, 2);")
        .unwrap();
    p.set_model(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: a, type: INT}}\n      - {{name: \
            g, type: INT, generated: \"coalesce(a, 0) * 2\", stored: false, nullable: false}}\n"
    ));
    let out = p.run(&["diff", "--sql"]);
    let (sql, err) = (text(&out.stdout), text(&out.stderr));
    assert!(
        sql.contains(
            "ALTER TABLE \"t\" ADD COLUMN \"g\" INT NOT NULL GENERATED ALWAYS AS (coalesce(a, 0) * 2) VIRTUAL;"
        ) && !sql.contains("_autogen_tmp"),
        "{sql}"
    );
    assert!(err.is_empty(), "{err}");
    migrate(&p, "g");
    assert_eq!(rows(&p, "SELECT CAST(g AS TEXT) FROM t ORDER BY id"), ["2", "4"]);
}

/// Case 15: a bare word as a default is refused with the quoted hint.
#[test]
fn a_bare_word_default_is_refused() {
    let p = Project::new(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: status, \
        type: TEXT, server_default: pending}}\n"
    ));
    let out = p.run(&["diff"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("model.yaml:5:") && err.contains("\"'pending'\""), "{err}");
    // What SQLite stored that way reads back as the string it is.
    p.set_model("tables: []\n");
    p.db().execute_batch("CREATE TABLE s(id INTEGER PRIMARY KEY, status TEXT DEFAULT pending)").unwrap();
    let model = p.ok(&["inspect"]);
    assert!(model.contains("server_default: \"'pending'\""), "{model}");
    p.set_model(&model);
    assert!(p.ok(&["check"]).contains("No changes"));
}

/// Case 16: after a crash leaves a hot journal, the read commands recover
/// it instead of blaming permissions.
#[test]
fn read_commands_recover_a_hot_journal() {
    let p = Project::new(&format!(
        "{T}      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: v, type: TEXT}}\n"
    ));
    p.ok(&["revision", "--autogenerate", "-m", "t", "--rev-id", "r1"]);
    p.ok(&["upgrade", "head"]);
    p.db().execute_batch("INSERT INTO t (v) VALUES ('committed')").unwrap();
    // A hot journal: copy the files while a write transaction is open and
    // its pages are spilled into the database file.
    let crashed = tempfile::tempdir().unwrap();
    {
        let db = p.db();
        db.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA cache_size = 1; BEGIN IMMEDIATE;").unwrap();
        let big = "x".repeat(500);
        for _ in 0..2000 {
            db.execute("INSERT INTO t (v) VALUES (?1)", [&big]).unwrap();
        }
        std::fs::copy(p.path("app.db"), crashed.path().join("app.db")).unwrap();
        std::fs::copy(p.path("app.db-journal"), crashed.path().join("app.db-journal")).unwrap();
        db.execute_batch("ROLLBACK").unwrap();
    }
    for file in ["autogen.yaml", "model.yaml"] {
        std::fs::copy(p.path(file), crashed.path().join(file)).unwrap();
    }
    std::fs::create_dir_all(crashed.path().join("migrations")).unwrap();
    let versions = crashed.path().join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    for name in p.revisions() {
        std::fs::copy(p.path("migrations/versions").join(&name), versions.join(&name)).unwrap();
    }
    let out = support::autogen(crashed.path()).args(["current"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "r1 (head)\n");
    let db = rusqlite::Connection::open(crashed.path().join("app.db")).unwrap();
    assert_eq!(db.query_row("SELECT group_concat(v) FROM t", [], |r| r.get::<_, String>(0)).unwrap(), "committed");
    assert!(!crashed.path().join("app.db-journal").exists());
}

/// Case 17: a foreign key to an excluded table is fine in the model that
/// `inspect` writes.
#[test]
fn a_foreign_key_may_reference_an_excluded_table() {
    let p = Project::new("tables: []\n");
    std::fs::write(p.path("autogen.yaml"), "database: app.db\nschema: model.yaml\nexclude: [\"legacy_*\"]\n").unwrap();
    p.db()
        .execute_batch(
            "CREATE TABLE legacy_users(id INTEGER PRIMARY KEY, name TEXT);
             CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES legacy_users(id), total INT);
             INSERT INTO legacy_users VALUES (1, 'ann'); INSERT INTO orders VALUES (1, 1, 10);",
        )
        .unwrap();
    let model = p.ok(&["inspect"]);
    assert!(model.contains("legacy_users") && !model.contains("name: legacy_users"), "{model}");
    p.set_model(&model);
    assert!(p.ok(&["check"]).contains("No changes"));
    p.set_model(&model.replace("{name: total, type: INT}", "{name: total, type: INTEGER}"));
    migrate(&p, "retype total");
    assert_eq!(rows(&p, "SELECT user_id || ',' || total FROM orders"), ["1,10"]);
}
