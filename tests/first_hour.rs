//! The first hour with autogen, as a new user meets it: every rough edge
//! found trying it (issue 19), each through the binary.

mod support;

use support::{text, Project};

const T: &str = "tables:\n  - name: t\n    columns:\n";

fn id() -> String {
    format!("{T}      - {{name: id, type: INTEGER, primary_key: true}}\n")
}

fn err(p: &Project, args: &[&str]) -> (Option<i32>, String) {
    let out = p.run(args);
    (out.status.code(), text(&out.stderr))
}

#[test]
fn init_takes_a_folder_and_the_global_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::autogen(dir.path())
        .args(["init", "proj", "--database", "data/app.db", "--schema", "model/app.yaml", "--versions", "revs"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let config = std::fs::read_to_string(dir.path().join("proj/autogen.yaml")).unwrap();
    assert!(
        config.contains("database: data/app.db")
            && config.contains("schema: model/app.yaml")
            && config.contains("versions: revs"),
        "{config}"
    );
    assert!(dir.path().join("proj/model/app.yaml").is_file() && dir.path().join("proj/revs").is_dir());
    // The project works from its folder.
    let out = support::autogen(&dir.path().join("proj"))
        .args(["revision", "--autogenerate", "-m", "initial"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn no_config_anywhere_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["diff"][..], &["history"], &["current"]] {
        let out = support::autogen(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("no autogen.yaml here or in a parent folder") && err.contains("autogen init"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_leftover_database_url_from_another_app_is_ignored() {
    let p = Project::new(&id());
    let out =
        support::autogen(p.dir.path()).env("DATABASE_URL", "postgres://u@h/db").args(["-v", "diff"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("DATABASE_URL is ignored"), "{}", text(&out.stderr));
    // A SQLite DATABASE_URL does not override the config's database either.
    let out =
        support::autogen(p.dir.path()).env("DATABASE_URL", "sqlite:///other.db").args(["upgrade"]).output().unwrap();
    assert!(out.status.success());
    assert!(!p.path("other.db").exists() && p.path("app.db").exists());
    // AUTOGEN_DATABASE_URL does.
    let out = support::autogen(p.dir.path()).env("AUTOGEN_DATABASE_URL", "mine.db").args(["upgrade"]).output().unwrap();
    assert!(out.status.success());
    assert!(p.path("mine.db").exists());
}

#[test]
fn errors_about_the_environment_point_at_the_real_spot_or_at_none() {
    let p = Project::new(&id());
    std::fs::write(p.path("autogen.yaml"), "database: app.db\nschema: model.yaml\nversions: v\nbusy_timeout: -1\n")
        .unwrap();
    let (code, e) = err(&p, &["diff"]);
    assert_eq!(code, Some(1));
    assert!(e.contains("autogen.yaml:4:15: `busy_timeout: -1`"), "{e}");
    std::fs::write(p.path("autogen.yaml"), "database: app.db\nschema: model.yaml\n").unwrap();
    let (_, e) = err(&p, &["--database", "postgres://x/y", "diff"]);
    assert!(e.contains("error: --database: database URL `postgres://x/y` is not SQLite") && !e.contains(":0:0"), "{e}");
    std::fs::create_dir(p.path("folder.yaml")).unwrap();
    let (_, e) = err(&p, &["--schema", "folder.yaml", "diff"]);
    assert!(e.contains("folder.yaml: cannot read the model file") && !e.contains(":0:0"), "{e}");
    std::fs::create_dir(p.path("dir.db")).unwrap();
    let (_, e) = err(&p, &["--database", "dir.db", "upgrade"]);
    assert!(e.contains("is a folder, not a SQLite file"), "{e}");
}

#[test]
fn a_locked_database_says_how_long_it_waited() {
    let p = Project::new(&id());
    std::fs::write(p.path("autogen.yaml"), "database: app.db\nschema: model.yaml\nversions: v\nbusy_timeout: 0.5\n")
        .unwrap();
    p.ok(&["revision", "--autogenerate", "-m", "t"]);
    let holder = p.db();
    holder.execute_batch("CREATE TABLE x (a); BEGIN IMMEDIATE; INSERT INTO x VALUES (1);").unwrap();
    let (code, e) = err(&p, &["upgrade"]);
    assert_eq!(code, Some(1));
    assert!(e.contains("is locked by another connection; waited 0.5s"), "{e}");
    holder.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_failed_statement_names_the_line_of_its_file_and_strict_rows_are_counted() {
    let p = Project::new("tables: []\n");
    p.ok(&["revision", "-m", "data", "--rev-id", "r1"]);
    let path = p.path("migrations/versions").join(&p.revisions()[0]);
    let file = std::fs::read_to_string(&path).unwrap().replace(
        "-- Write the upgrade SQL here.",
        "CREATE TABLE s (id INTEGER PRIMARY KEY, n INTEGER) STRICT;\nCREATE TABLE src (n);\nINSERT INTO src VALUES \
            (1), ('two');\nINSERT INTO s (n) SELECT n FROM src;",
    );
    std::fs::write(&path, &file).unwrap();
    let line = file.lines().position(|l| l.starts_with("INSERT INTO s (")).unwrap() + 1;
    let (code, e) = err(&p, &["upgrade"]);
    assert_eq!(code, Some(1));
    assert!(e.contains(&format!("failed at line {line} (statement 4)")), "{e}");
    // The BOM an editor may write does not hide the header.
    std::fs::write(&path, format!("\u{feff}{}", file.replace("('two')", "(2)"))).unwrap();
    p.ok(&["upgrade"]);
    // STRICT refusals name the rows.
    let q = Project::new("tables: []\n");
    q.db()
        .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 5), (2, 'abc');")
        .unwrap();
    q.set_model(&format!("{}      - {{name: n, type: INTEGER}}\n    strict: true\n", id()));
    let (code, e) = err(&q, &["revision", "--autogenerate", "-m", "strict"]);
    assert_eq!(code, Some(1));
    assert!(e.contains("`t` becomes STRICT but 1 value of `n` does not store as INTEGER"), "{e}");
    assert!(
        e.contains("1 row in `t` has a TEXT `n`, which a STRICT INTEGER column does not take; first rowids: 2"),
        "{e}"
    );
}

#[test]
fn a_key_that_cannot_be_the_rowid_names_its_rows() {
    let p = Project::new("tables: []\n");
    p.db().execute_batch("CREATE TABLE t (k TEXT, v TEXT); INSERT INTO t VALUES ('1', 'a'), ('two', 'b');").unwrap();
    p.set_model(&format!(
        "{T}      - {{name: k, type: INTEGER, primary_key: true}}\n      - {{name: v, type: TEXT}}\n"
    ));
    let (code, e) = err(&p, &["revision", "--autogenerate", "-m", "key"]);
    assert_eq!(code, Some(1));
    assert!(e.contains("datatype mismatch") && e.contains("1 row in `t` has a `k` that is not an integer"), "{e}");
}

#[test]
fn a_user_table_named_like_the_rebuild_temp_does_not_block_it() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t VALUES (1, 'x'); CREATE \
        TABLE _autogen_tmp_t (z); INSERT INTO _autogen_tmp_t VALUES (9);",
        )
        .unwrap();
    let mut model = p.ok(&["inspect"]);
    model = model.replace("{name: a, type: TEXT}", "{name: a, type: INT}");
    p.set_model(&model);
    p.ok(&["revision", "--autogenerate", "-m", "retype"]);
    p.ok(&["upgrade"]);
    let db = p.db();
    assert_eq!(db.query_row("SELECT z FROM _autogen_tmp_t", [], |r| r.get::<_, i64>(0)).unwrap(), 9);
    assert_eq!(db.query_row("SELECT a FROM t", [], |r| r.get::<_, String>(0)).unwrap(), "x");
}

#[test]
fn wording_and_small_refusals() {
    let p = Project::new(&id());
    p.ok(&["revision", "--autogenerate", "-m", "one", "--rev-id", "aaa111"]);
    p.ok(&["revision", "-m", "two", "--rev-id", "bbb222"]);
    // check behind head speaks of check.
    let (code, e) = err(&p, &["check"]);
    assert_eq!(code, Some(1));
    assert!(e.contains("so that check compares the model"), "{e}");
    // A revision id must not read as a step.
    let (code, e) = err(&p, &["revision", "-m", "x", "--rev-id=-1"]);
    assert_eq!(code, Some(2), "a usage error (cli.md, exit codes)");
    assert!(e.contains("`-1` cannot be a revision id"), "{e}");
    // A backwards range is an error, not an empty script.
    let (code, e) = err(&p, &["upgrade", "bbb222:aaa111", "--sql"]);
    assert_eq!(code, Some(1));
    assert!(e.contains("use `autogen downgrade"), "{e}");
    // Either order of a history range lists the same revisions.
    assert_eq!(p.ok(&["history", "-r", "head:base"]), p.ok(&["history", "-r", "base:head"]));
    assert_eq!(p.ok(&["history", "-r", "base:head"]).lines().count(), 2);
    // Nothing to merge, said so.
    let (code, e) = err(&p, &["merge", "-m", "m", "heads"]);
    assert_eq!(code, Some(1));
    assert!(e.contains("there is one head (bbb222): nothing to merge"), "{e}");
    // current at base, show with nothing: said so.
    p.ok(&["stamp", "base"]);
    let out = p.run(&["current"]);
    assert!(text(&out.stderr).contains("the database is at <base>"), "{}", text(&out.stderr));
    let empty = Project::new(&id());
    let out = empty.run(&["show", "head"]);
    assert!(out.status.success() && text(&out.stderr).contains("there are no revisions yet"), "{}", text(&out.stderr));
    // on_delete without references.
    empty.set_model(&format!("{}      - {{name: p, type: INT, on_delete: CASCADE}}\n", id()));
    let (code, e) = err(&empty, &["diff"]);
    assert_eq!(code, Some(1));
    assert!(e.contains("model.yaml:5:41: `t.p`: `on_delete` needs `references` beside it"), "{e}");
    // A comma in a flow mapping.
    empty.set_model(&format!("{}      - {{name: price, type: NUMERIC(10, 2)}}\n", id()));
    let (_, e) = err(&empty, &["diff"]);
    assert!(e.contains("`2)` reads as a key because a comma in a `{...}` mapping ends the value"), "{e}");
}

#[test]
fn types_as_sqlalchemy_and_sqlite_write_them() {
    let p = Project::new(&format!(
        "{}      - {{name: at, type: DateTime(timezone=True)}}\n      - {{name: kind, type: \"ENUM('a', 'B')\"}}\n",
        id()
    ));
    let sql = p.ok(&["diff", "--sql"]);
    assert!(sql.contains("\"at\" DATETIME,") && sql.contains("\"kind\" \"ENUM('a','B')\""), "{sql}");
    p.ok(&["revision", "--autogenerate", "-m", "types"]);
    p.ok(&["upgrade"]);
    assert!(p.ok(&["check"]).contains("No changes"));
}

#[test]
fn a_change_of_case_alone_is_a_rename() {
    let p = Project::new("tables: []\n");
    p.db()
        .execute_batch("CREATE TABLE Users (id INTEGER PRIMARY KEY, Email TEXT); INSERT INTO Users VALUES (1, 'a@x');")
        .unwrap();
    p.set_model(
        "tables:\n  - name: users\n    renamed_from: Users\n    columns:\n      - {name: id, type: INTEGER, \
        primary_key: true}\n      - {name: email, type: TEXT, renamed_from: Email}\n",
    );
    let diff = p.ok(&["diff"]);
    assert!(
        diff.contains("rename table `Users` to `users`") && diff.contains("rename column `users.Email` to `email`"),
        "{diff}"
    );
    p.ok(&["revision", "--autogenerate", "-m", "case"]);
    p.ok(&["upgrade"]);
    let name: String = p
        .db()
        .query_row("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'users'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "users");
    assert_eq!(p.db().query_row("SELECT email FROM users", [], |r| r.get::<_, String>(0)).unwrap(), "a@x");
    assert!(p.ok(&["check"]).contains("No changes"));
}

#[test]
fn completions_edit_and_pictures() {
    let p = Project::new(&format!(
        "{}      - {{name: name, type: TEXT, nullable: false}}\n  - name: u\n    \
        columns:\n      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: t_id, type: INTEGER, \
            references: t.id}}\n",
        id()
    ));
    for shell in ["bash", "zsh", "fish"] {
        let out = p.ok(&["completions", shell]);
        assert!(out.contains("autogen") && out.contains("revision"), "{shell}");
    }
    p.ok(&["revision", "--autogenerate", "-m", "first"]);
    p.ok(&["upgrade"]);
    let out = support::autogen(p.dir.path())
        .env("EDITOR", "sh -c 'echo -- edited >> \"$0\"'")
        .args(["edit", "head"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = std::fs::read_to_string(p.path("migrations/versions").join(&p.revisions()[0])).unwrap();
    assert!(file.ends_with("-- edited\n"), "{file}");
    let diagram = p.ok(&["inspect", "--format", "mermaid"]);
    assert!(
        diagram.starts_with("erDiagram\n")
            && diagram.contains("INTEGER id PK")
            && diagram.contains("TEXT name \"NOT NULL\"")
            && diagram.contains("t |o--o{ u : \"t_id\""),
        "{diagram}"
    );
    let sql = p.ok(&["inspect", "--format", "sql"]);
    let fresh = rusqlite::Connection::open_in_memory().unwrap();
    fresh.execute_batch(&sql).unwrap();
    p.set_model(&format!(
        "{}      - {{name: name, type: VARCHAR(10), nullable: false}}\n      - {{name: extra, type: TEXT}}\n",
        id()
    ));
    let marked = p.ok(&["diff", "--format", "mermaid"]);
    assert!(
        marked.contains("TEXT extra \"added\"")
            && marked.contains("VARCHAR(10) name \"NOT NULL; type TEXT -> VARCHAR(10)\"")
            && marked.contains("\"dropped\""),
        "{marked}"
    );
}
