//! `autogen lint` through the binary (issue 18): each rule on a revision
//! that triggers it and on one that does not, hand-written rebuilds read
//! as one change, the policy, ignore comments, exit codes, the JSON and
//! GitHub formats, what `check` and `revision` show, and the stairway.

mod support;

use serde_json::Value;
use support::{text, Project};

/// The model of the applied first revision; lint never reads it.
const MODEL: &str = "tables: []\n";

/// `r1` creates the tables and is applied; then every table gets rows.
const BASE: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE, body TEXT);
CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts (id), body TEXT);
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);";

const ROWS: &str = "INSERT INTO users VALUES (1, 'a@x', '30'), (2, 'a@x', NULL), (3, 'b@x', 'x');
INSERT INTO posts VALUES (1, 1, 'hi'), (2, 3, NULL);
INSERT INTO comments VALUES (1, 1, 'first');
INSERT INTO tags VALUES (1, 'red'), (2, 'blue');";

fn write_revision(p: &Project, id: &str, parents: &str, up: &str, down: &str) {
    let dir = p.path("migrations/versions");
    std::fs::create_dir_all(&dir).unwrap();
    let text = format!(
        "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {parents}\n-- Create Date: 2026-12-03 10:00:00\n\n\
         -- migrate:up\n{up}\n\n-- migrate:down\n{down}\n"
    );
    std::fs::write(dir.join(format!("20261203_1000_{id}_x.sql")), text).unwrap();
}

/// A project at `r1` with rows in every table.
fn applied() -> Project {
    let p = Project::new(MODEL);
    write_revision(&p, "r1", "", BASE, "DROP TABLE tags; DROP TABLE comments; DROP TABLE posts; DROP TABLE users;");
    p.ok(&["upgrade", "head"]);
    p.db().execute_batch(ROWS).unwrap();
    p
}

/// `lint --format json` on a revision `r2` with `up` over the applied base.
fn lint(up: &str) -> (Option<i32>, Vec<Value>) {
    let p = applied();
    write_revision(&p, "r2", "r1", up, "SELECT 1;");
    lint_json(&p, &[])
}

fn lint_json(p: &Project, args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let out = p.run(&[&["lint", "--format", "json"], args].concat());
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    (out.status.code(), findings)
}

fn codes(findings: &[Value]) -> Vec<&str> {
    findings.iter().map(|f| f["code"].as_str().unwrap()).collect()
}

fn finding<'a>(findings: &'a [Value], code: &str) -> &'a Value {
    findings.iter().find(|f| f["code"] == code).unwrap_or_else(|| panic!("no {code} in {findings:#?}"))
}

/// A rebuild of `tags` as Django writes it, to `definition`.
fn django_rebuild(definition: &str, columns: &str, select: &str) -> String {
    format!(
        "CREATE TABLE \"new__tags\" {definition};\nINSERT INTO \"new__tags\" ({columns}) SELECT {select} FROM \
         \"tags\";\nDROP TABLE \"tags\";\nALTER TABLE \"new__tags\" RENAME TO \"tags\";"
    )
}

#[test]
fn ag101_drop_table_that_holds_rows() {
    let (code, found) = lint("DROP TABLE tags;");
    assert_eq!((code, codes(&found)), (Some(0), vec!["AG101"]));
    let f = finding(&found, "AG101");
    assert_eq!(f["numbers"]["rows"], 2);
    assert_eq!(f["line"], 8, "the DROP's line in the file");
    assert!(f["message"].as_str().unwrap().contains("drops table `tags` and the 2 rows it holds"), "{f}");
    // Dropped and created again: the same schema, and no row.
    let (_, found) = lint("DROP TABLE tags;\nCREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);");
    assert_eq!(codes(&found), ["AG101"]);
    // A table the revision made itself holds nothing of the database's.
    let (_, found) = lint("CREATE TABLE scratch (a);\nINSERT INTO scratch VALUES (1);\nDROP TABLE scratch;");
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn ag102_drop_column_that_holds_values() {
    let (_, found) = lint("ALTER TABLE posts DROP COLUMN body;");
    assert_eq!(codes(&found), ["AG102"]);
    assert_eq!(finding(&found, "AG102")["numbers"]["non_null_values"], 1);
    let (_, found) = lint("ALTER TABLE tags ADD COLUMN x TEXT;\nALTER TABLE tags DROP COLUMN x;");
    assert!(found.is_empty(), "a column added and dropped again: {found:#?}");
}

#[test]
fn ag201_unique_over_existing_rows() {
    // Two users share an email: the index fails on the copy of the database too.
    let (code, found) = lint("CREATE UNIQUE INDEX ux_users_email ON users (email);");
    assert_eq!((code, codes(&found)), (Some(1), vec!["AG000", "AG201"]));
    assert_eq!(finding(&found, "AG201")["numbers"]["duplicate_groups"], 1);
    assert!(finding(&found, "AG000")["message"].as_str().unwrap().contains("UNIQUE constraint failed"), "{found:#?}");
    let (_, found) = lint("CREATE UNIQUE INDEX ux_tags_name ON tags (name);");
    assert_eq!(codes(&found), ["AG201"]);
    assert_eq!(finding(&found, "AG201")["numbers"]["duplicate_groups"], 0);
    let (_, found) = lint("CREATE INDEX ix_users_email ON users (email);");
    assert!(found.is_empty(), "{found:#?}");
    let (_, found) = lint("ALTER TABLE tags ADD COLUMN slug TEXT;\nCREATE UNIQUE INDEX ux_tags_slug ON tags (slug);");
    assert!(found.is_empty(), "a new column holds only NULLs: {found:#?}");
}

#[test]
fn ag202_not_null_on_an_existing_column() {
    let up = django_rebuild("(\"id\" integer NOT NULL PRIMARY KEY, \"name\" text NOT NULL)", "id, name", "id, name");
    let (_, found) = lint(&up);
    assert_eq!(codes(&found), ["AG202"]);
    assert_eq!(finding(&found, "AG202")["numbers"]["null_rows"], 0);
    assert_eq!(finding(&found, "AG202")["line"], 8, "a rebuild is reported at its first statement");
    let up = django_rebuild("(\"id\" integer NOT NULL PRIMARY KEY, \"name\" text)", "id, name", "id, name");
    let (_, found) = lint(&up);
    assert!(found.is_empty(), "a rebuild that changes nothing: {found:#?}");
}

#[test]
fn ag203_type_change_that_converts_values() {
    let (_, found) = lint(&django_rebuild("(\"id\" integer PRIMARY KEY, \"name\" INTEGER)", "id, name", "id, name"));
    assert_eq!(codes(&found), ["AG203"]);
    let p = applied();
    p.db().execute_batch("INSERT INTO tags VALUES (3, '42')").unwrap();
    write_revision(&p, "r2", "r1", &django_rebuild("(id integer PRIMARY KEY, name INT)", "id, name", "id, name"), "");
    let (_, found) = lint_json(&p, &[]);
    assert_eq!(finding(&found, "AG203")["numbers"]["converted_values"], 1, "'42' becomes 42");
    let (_, found) =
        lint(&django_rebuild("(\"id\" integer PRIMARY KEY, \"name\" VARCHAR(20))", "id, name", "id, name"));
    assert!(found.is_empty(), "TEXT and VARCHAR share an affinity: {found:#?}");
}

#[test]
fn ag204_check_or_foreign_key_over_existing_rows() {
    let up = django_rebuild("(id integer PRIMARY KEY, name TEXT CHECK (length(name) > 3))", "id, name", "id, name");
    let (code, found) = lint(&up);
    assert_eq!((code, codes(&found)), (Some(1), vec!["AG204", "AG000"]), "'red' is 3 long; the copy fails");
    assert_eq!(finding(&found, "AG204")["numbers"]["failing_rows"], 1);
    let (_, found) = lint("CREATE TABLE fresh (a INTEGER CHECK (a > 0) REFERENCES users (id));");
    assert!(found.is_empty(), "a new table has no rows to break: {found:#?}");
}

#[test]
fn ag301_ag302_renames() {
    let (_, found) = lint("ALTER TABLE tags RENAME TO labels;");
    assert_eq!(codes(&found), ["AG301"]);
    assert!(finding(&found, "AG301")["message"].as_str().unwrap().contains("renames table `tags` to `labels`"));
    let (_, found) = lint("ALTER TABLE tags RENAME COLUMN name TO label;");
    assert_eq!(codes(&found), ["AG302"]);
    let (_, found) =
        lint("CREATE TABLE fresh (a);\nALTER TABLE fresh RENAME COLUMN a TO b;\nALTER TABLE fresh RENAME TO f;");
    assert!(found.is_empty(), "renames inside the revision's own table: {found:#?}");
}

#[test]
fn ag401_rebuild_of_a_table_referenced_with_actions() {
    let up = "CREATE TABLE \"new__users\" (id integer PRIMARY KEY, email TEXT, age TEXT);\nINSERT INTO \
              \"new__users\" (id, email, age) SELECT id, email, age FROM users;\nDROP TABLE users;\nALTER TABLE \
              \"new__users\" RENAME TO users;";
    let (_, found) = lint(up);
    assert_eq!(codes(&found), ["AG401"]);
    assert!(finding(&found, "AG401")["message"].as_str().unwrap().contains("ON DELETE CASCADE"), "{found:#?}");
    // `comments` references `posts` with no action: dropping `posts` fires nothing.
    let up = up.replace("users", "posts").replace("email TEXT, age TEXT", "user_id INTEGER, body TEXT");
    let (_, found) = lint(&up.replace("id, email, age", "id, user_id, body"));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn ag402_transaction_control_and_foreign_keys_pragma() {
    // BEGIN and COMMIT are refused by the runner (an error), the PRAGMA only does nothing.
    let (code, found) = lint("BEGIN;\nPRAGMA foreign_keys = OFF;\nCREATE TABLE t (a);\nCOMMIT;");
    assert_eq!((code, codes(&found)), (Some(1), vec!["AG402", "AG402", "AG402"]));
    let lines: Vec<&Value> = found.iter().map(|f| &f["line"]).collect();
    assert_eq!(lines, [8, 9, 11]);
    let severities: Vec<&Value> = found.iter().map(|f| &f["severity"]).collect();
    assert_eq!(severities, ["error", "warning", "error"]);
    let (code, _) = lint("PRAGMA foreign_keys = OFF;\nCREATE TABLE t (a);");
    assert_eq!(code, Some(0));
    let (_, found) = lint("PRAGMA defer_foreign_keys = ON;\nCREATE TABLE t (a);");
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn ag403_statement_over_100_kb() {
    let values: Vec<String> = (0..6000).map(|i| format!("({i}, 'tag number {i:08}')")).collect();
    let big = format!("INSERT INTO tags VALUES {};", values[3..].join(", "));
    assert!(big.len() > 100_000);
    let (_, found) = lint(&big);
    assert_eq!(codes(&found), ["AG403"]);
    assert!(finding(&found, "AG403")["numbers"]["bytes"].as_i64().unwrap() > 100_000);
    let small = format!("INSERT INTO tags VALUES {};", values[3..1000].join(", "));
    let (_, found) = lint(&small);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn ag501_several_heads_and_ag502_an_edited_applied_file() {
    let p = applied();
    write_revision(&p, "r2", "r1", "CREATE TABLE a (x);", "DROP TABLE a;");
    write_revision(&p, "r3", "r1", "CREATE TABLE b (x);", "DROP TABLE b;");
    let (code, found) = lint_json(&p, &[]);
    assert_eq!((code, codes(&found)), (Some(0), vec!["AG501"]));
    assert!(finding(&found, "AG501")["message"].as_str().unwrap().contains("autogen merge"), "{found:#?}");
    write_revision(&p, "r4", "r2, r3", "SELECT 1;", "SELECT 1;");
    assert!(lint_json(&p, &[]).1.is_empty(), "merged");
    let file = p.path("migrations/versions/20261203_1000_r1_x.sql");
    let edited = std::fs::read_to_string(&file).unwrap().replace("-- r1\n", "-- r1, edited\n");
    std::fs::write(&file, edited).unwrap();
    let (_, found) = lint_json(&p, &[]);
    assert_eq!(codes(&found), ["AG502"]);
    assert_eq!(finding(&found, "AG502")["revision"], "r1");
}

#[test]
fn ag000_a_revision_that_fails_is_an_error_and_stops_the_lint() {
    let p = applied();
    write_revision(&p, "r2", "r1", "ALTER TABLE nowhere ADD COLUMN x;", "SELECT 1;");
    write_revision(&p, "r3", "r2", "DROP TABLE tags;", "SELECT 1;");
    let out = p.run(&["lint"]);
    assert_eq!(out.status.code(), Some(1));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stdout.contains("_r2_x.sql:8: error[AG000]: the upgrade fails on the schema: no such table: nowhere"),
        "{stdout}"
    );
    assert!(stderr.contains("1 revision after `r2` not linted"), "{stderr}");
}

/// Rebuilds as other tools write them are one change each: no drop, no
/// table rename, only what the rebuild changes.
#[test]
fn hand_written_rebuilds_are_read_as_one_change() {
    let alembic = "CREATE TABLE _alembic_tmp_tags (id INTEGER NOT NULL, label TEXT, PRIMARY KEY (id));
INSERT INTO _alembic_tmp_tags (id, label) SELECT tags.id, tags.name FROM tags;
DROP TABLE tags;
ALTER TABLE _alembic_tmp_tags RENAME TO tags;";
    let (_, found) = lint(alembic);
    assert_eq!(codes(&found), ["AG302"], "{found:#?}");
    assert!(finding(&found, "AG302")["message"].as_str().unwrap().contains("`tags.name` to `label`"));
    let sqlite_utils = "CREATE TABLE [tags_new_4f2a] ([id] INTEGER PRIMARY KEY, [name] INTEGER);
INSERT INTO [tags_new_4f2a] ([id], [name]) SELECT [id], [name] FROM [tags];
DROP TABLE [tags];
ALTER TABLE [tags_new_4f2a] RENAME TO [tags];";
    assert_eq!(codes(&lint(sqlite_utils).1), ["AG203"]);
    let copy_back = "CREATE TEMP TABLE tags_backup AS SELECT * FROM tags;
DROP TABLE tags;
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO tags SELECT * FROM tags_backup;
DROP TABLE tags_backup;";
    assert_eq!(codes(&lint(copy_back).1), ["AG202"]);
    let rename_away = "ALTER TABLE tags RENAME TO tags_old;
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT CHECK (name <> ''));
INSERT INTO tags (id, name) SELECT id, name FROM tags_old;
DROP TABLE tags_old;";
    assert_eq!(codes(&lint(rename_away).1), ["AG204"]);
    // Without the copy, the rows are gone: the drop is a drop.
    let no_copy =
        "CREATE TABLE t2 (id INTEGER PRIMARY KEY, name TEXT);\nDROP TABLE tags;\nALTER TABLE t2 RENAME TO tags;";
    assert_eq!(codes(&lint(no_copy).1), ["AG101"]);
}

#[test]
fn policy_sets_errors_and_ignores_and_comments_silence_a_statement() {
    let p = applied();
    std::fs::write(
        p.path("autogen.yaml"),
        "database: app.db\nschema: model.yaml\nversions: migrations/versions\nlint:\n  error: [AG102]\n  ignore: \
            [ag302]\n",
    )
    .unwrap();
    write_revision(
        &p,
        "r2",
        "r1",
        "ALTER TABLE tags RENAME COLUMN name TO label;\nALTER TABLE posts DROP COLUMN body;",
        "",
    );
    let (code, found) = lint_json(&p, &[]);
    assert_eq!((code, codes(&found)), (Some(1), vec!["AG102"]));
    assert_eq!(finding(&found, "AG102")["severity"], "error");
    // The comment over the statement silences it; one over another does not.
    write_revision(
        &p,
        "r2",
        "r1",
        "-- autogen:lint-ignore AG102 nobody reads the body\nALTER TABLE posts DROP COLUMN body;\n\
         -- autogen:lint-ignore AG101\nCREATE TABLE x (a);\nDROP TABLE tags;",
        "",
    );
    let (code, found) = lint_json(&p, &[]);
    assert_eq!((code, codes(&found)), (Some(0), vec!["AG101"]));
    write_revision(&p, "r2", "r1", "-- autogen:lint-ignore AG999\nDROP TABLE tags;", "");
    let out = p.run(&["lint"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("_r2_x.sql:8: `autogen:lint-ignore`: `AG999` is not a lint rule"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_bad_policy_names_the_config_line() {
    let p = applied();
    let config = "database: app.db\nschema: model.yaml\nversions: migrations/versions\nlint:\n  error: [AG102, AG7]\n";
    std::fs::write(p.path("autogen.yaml"), config).unwrap();
    let out = p.run(&["lint"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("autogen.yaml:5:18: `lint.error`: `AG7` is not a lint rule"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(p.path("autogen.yaml"), config.replace("AG7]", "AG7]\n  ignore: [AG102]").replace(", AG7", ""))
        .unwrap();
    let err = text(&p.run(&["lint"]).stderr);
    assert!(err.contains("`AG102` is in both `lint.error` and `lint.ignore`"), "{err}");
}

#[test]
fn the_range_defaults_to_what_the_database_has_not_applied() {
    let p = applied();
    write_revision(&p, "r2", "r1", "DROP TABLE tags;", "SELECT 1;");
    let (_, found) = lint_json(&p, &[]);
    assert_eq!(codes(&found), ["AG101"], "r1 is applied, r2 is not");
    // r1 drops nothing; base:head reviews both, replaying in memory (no counts).
    let (_, found) = lint_json(&p, &["base:head"]);
    assert_eq!(codes(&found), ["AG101"]);
    assert!(finding(&found, "AG101")["numbers"].as_object().unwrap().is_empty());
    std::fs::remove_file(p.path("app.db")).unwrap();
    let (_, found) = lint_json(&p, &[]);
    assert_eq!(codes(&found), ["AG101"], "without a database, every revision");
    p.ok(&["upgrade", "head"]);
    let out = p.run(&["lint"]);
    assert!(text(&out.stderr).contains("Nothing to lint"), "{}", text(&out.stderr));
}

#[test]
fn text_json_and_github_formats() {
    let p = applied();
    write_revision(&p, "r2", "r1", "DROP TABLE tags;", "SELECT 1;");
    let out = p.run(&["lint"]);
    assert_eq!(
        text(&out.stdout),
        "migrations/versions/20261203_1000_r2_x.sql:8: warning[AG101]: drops table `tags` and the 2 rows it holds \
         (revision r2)\n"
    );
    assert_eq!(text(&out.stderr), "Linted 1 revision: 0 errors, 1 warning.\n");
    let (_, found) = lint_json(&p, &[]);
    let keys: Vec<&String> = found[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["code", "severity", "revision", "file", "line", "message", "numbers"]);
    assert_eq!(found[0]["file"], "migrations/versions/20261203_1000_r2_x.sql");
    let github = text(&p.run(&["lint", "--format", "github"]).stdout);
    assert_eq!(
        github,
        "::warning file=migrations/versions/20261203_1000_r2_x.sql,line=8,title=AG101 drops a table that holds data \
         (destructive)::drops table `tags` and the 2 rows it holds (revision r2)\n"
    );
}

#[test]
fn check_and_revision_show_the_findings_of_what_they_would_write() {
    let p = Project::new(
        "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: a, \
         type: TEXT}\n",
    );
    p.ok(&["revision", "--autogenerate", "-m", "first"]);
    p.ok(&["upgrade", "head"]);
    p.db().execute_batch("INSERT INTO t VALUES (1, 'x')").unwrap();
    p.set_model("tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n");
    let out = p.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains(
            "Lint of the revision `autogen revision --autogenerate` would write:\n  \
                                    warning[AG102]: drops column `t.a`"
        ),
        "{}",
        text(&out.stdout)
    );
    let out = p.run(&["revision", "--autogenerate", "-m", "drop a"]);
    assert!(out.status.success());
    let err = text(&out.stderr);
    let line: usize = err
        .split("warning[AG102] line ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    let name = p.revisions().into_iter().find(|r| r.contains("drop_a")).unwrap();
    let file = std::fs::read_to_string(p.path("migrations/versions").join(name)).unwrap();
    assert_eq!(file.lines().nth(line - 1), Some("ALTER TABLE \"t\" DROP COLUMN \"a\";"), "{err}\n{file}");
    let (_, found) = lint_json(&p, &[]);
    assert_eq!(finding(&found, "AG102")["line"], line, "lint says the same line");
    assert_eq!(finding(&found, "AG102")["numbers"]["non_null_values"], 1);
    // The generated revision, applied and undone on the database with its row.
    let start = support::schema_of(&p.db());
    p.ok(&["upgrade", "head"]);
    support::assert_healthy(&p.db(), "after the upgrade");
    assert!(p.ok(&["check"]).contains("No changes"));
    let ids: Vec<i64> =
        p.db().prepare("SELECT id FROM t").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert_eq!(ids, [1], "the row stays");
    p.ok(&["downgrade", "-1"]);
    support::assert_healthy(&p.db(), "after the downgrade");
    let back = support::schema_of(&p.db());
    assert!(
        autogen::diff_with_renames(&start, &back, Default::default()).is_empty(),
        "the downgrade restores the schema"
    );
    let rows: Vec<(i64, Option<String>)> = p
        .db()
        .prepare("SELECT id, a FROM t")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows, [(1, None)], "the row is back; the dropped values are not (AG102 said so)");
}

#[test]
fn stairway_runs_each_revision_up_down_up() {
    let p = Project::new(
        "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: a, \
         type: TEXT}\n",
    );
    write_revision(&p, "r1", "", "CREATE TABLE t (id INTEGER PRIMARY KEY);", "DROP TABLE t;");
    write_revision(&p, "r2", "r1", "INSERT INTO t (id) VALUES (1), (2);", "DELETE FROM t WHERE id IN (1, 2);");
    write_revision(&p, "r3", "r2", "ALTER TABLE t ADD COLUMN a TEXT;", "ALTER TABLE t DROP COLUMN a;");
    let out = p.ok(&["check", "--replay", "--stairway"]);
    assert!(out.contains("replaying 3 revisions from base, each up, down and up again, gives the model"), "{out}");
    // A downgrade that forgets what its upgrade did.
    write_revision(&p, "r3", "r2", "ALTER TABLE t ADD COLUMN a TEXT;", "SELECT 1;");
    assert!(p.run(&["check", "--replay"]).status.success(), "the replay alone does not see it");
    let out = p.run(&["check", "--replay", "--stairway"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("revision `r3`") && stdout.contains("after its downgrade the schema is not what it was"),
        "{stdout}"
    );
    // A data revision whose downgrade leaves its rows.
    write_revision(&p, "r3", "r2", "ALTER TABLE t ADD COLUMN a TEXT;", "ALTER TABLE t DROP COLUMN a;");
    write_revision(&p, "r2", "r1", "INSERT INTO t (id) VALUES (1), (2);", "SELECT 1;");
    let stdout = text(&p.run(&["check", "--replay", "--stairway"]).stdout);
    assert!(stdout.contains("`t` holds 2 rows where it held 0 rows"), "{stdout}");
    // Several heads.
    write_revision(&p, "r2", "r1", "INSERT INTO t (id) VALUES (1), (2);", "DELETE FROM t;");
    write_revision(&p, "r4", "r1", "SELECT 1;", "SELECT 1;");
    let out = p.run(&["check", "--replay", "--stairway"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("error[AG501]: several heads (`r3`, `r4`)"), "{}", text(&out.stdout));
    let out = p.run(&["check", "--stairway"]);
    assert_eq!(out.status.code(), Some(2), "--stairway needs --replay");
}
