//! `schema:` naming a `.sql` file of CREATE statements: the ORM stays the
//! source of truth (issue 19). Recipes from docs/orm.md run here: plain
//! `.schema` output always, SQLAlchemy where the Python that `.ci/run`
//! sets up has it.

mod support;

use support::{text, Project};

fn sql_project(model_sql: &str) -> Project {
    let p = Project::new("");
    std::fs::write(p.path("autogen.yaml"), "database: app.db\nschema: model.sql\nversions: migrations/versions\n")
        .unwrap();
    std::fs::write(p.path("model.sql"), model_sql).unwrap();
    p
}

/// What `sqlite3 app.db .schema` prints: each stored CREATE statement.
fn dot_schema(conn: &rusqlite::Connection) -> String {
    let mut stmt = conn.prepare("SELECT sql || ';' FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid").unwrap();
    let lines: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    lines.join("\n") + "\n"
}

#[test]
fn a_sql_model_migrates_like_a_yaml_one_with_hints_in_comments() {
    let p = sql_project(
        "CREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  email TEXT NOT NULL UNIQUE\n);\nCREATE TABLE todos (\n  \
            id INTEGER PRIMARY KEY,\n  title TEXT NOT NULL,\n  owner_id INTEGER REFERENCES users(id) ON DELETE \
                CASCADE\n);\nCREATE INDEX ix_todos_owner ON todos (owner_id);\n",
    );
    p.ok(&["revision", "--autogenerate", "-m", "initial"]);
    p.ok(&["upgrade"]);
    p.db()
        .execute_batch("INSERT INTO users VALUES (1, 'a@x'); INSERT INTO todos VALUES (1, 'write', 1), (2, 'test', 1);")
        .unwrap();
    assert!(p.ok(&["check"]).contains("No changes"));
    // The ORM renames a column: the hint is a comment on its line.
    std::fs::write(
        p.path("model.sql"),
        "-- written by the ORM\nCREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  email TEXT NOT NULL UNIQUE,\n  \
            name TEXT\n);\nCREATE TABLE todos (\n  id INTEGER PRIMARY KEY,\n  label TEXT NOT NULL, -- autogen: \
                renamed_from title\n  owner_id INTEGER REFERENCES users(id) ON DELETE CASCADE\n);\nCREATE INDEX \
                    ix_todos_owner ON todos (owner_id);\n",
    )
    .unwrap();
    let diff = p.ok(&["diff"]);
    assert!(
        diff.contains("rename column `todos.title` to `label`") && diff.contains("add column `users.name` TEXT"),
        "{diff}"
    );
    p.ok(&["revision", "--autogenerate", "-m", "rename"]);
    p.ok(&["upgrade"]);
    let db = p.db();
    let labels: Vec<String> = db
        .prepare("SELECT label FROM todos ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(labels, ["write", "test"]);
    assert!(p.ok(&["check"]).contains("No changes"));
    support::assert_healthy(&db, "after the rename");
}

#[test]
fn errors_in_a_sql_model_name_the_file_and_line() {
    let p = sql_project(
        "CREATE TABLE a (id INTEGER PRIMARY KEY);\n\nCREATE TABLE b (id INTEGER PRIMARY KEY, x DEFAULT (y));\n",
    );
    let out = p.run(&["diff"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("model.sql:3:1: table `b`: SQLite rejects it:"), "{err}");
    std::fs::write(p.path("model.sql"), "CREATE TABLE a (id INTEGER PRIMARY KEY);\nINSERT INTO a VALUES (1);\n")
        .unwrap();
    let err = text(&p.run(&["diff"]).stderr);
    assert!(
        err.contains(
            "model.sql:2:1: a .sql model holds CREATE TABLE, INDEX, VIEW and TRIGGER statements, not `INSERT`"
        ),
        "{err}"
    );
}

/// The plain recipe: `sqlite3 scratch.db .schema > model.sql` from a
/// database the app (or its ORM) built.
#[test]
fn dot_schema_output_is_a_model() {
    let scratch = rusqlite::Connection::open_in_memory().unwrap();
    scratch
        .execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT COLLATE NOCASE, b INT CHECK (b > 0));
             CREATE VIEW v AS SELECT id, a FROM t;
             CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET b = 1 WHERE b IS NULL; END;",
        )
        .unwrap();
    let p = sql_project(&dot_schema(&scratch));
    assert!(p.ok(&["diff"]).contains("add table `t`"));
    p.ok(&["revision", "--autogenerate", "-m", "initial"]);
    p.ok(&["upgrade"]);
    assert!(p.ok(&["check"]).contains("No changes"));
    assert!(p.ok(&["check", "--replay"]).contains("No changes"));
}

/// The SQLAlchemy recipe of docs/orm.md, with SQLAlchemy from PyPI (CI
/// installs it; `AUTOGEN_TEST_PYTHON` names that Python).
#[test]
fn the_sqlalchemy_recipe_gives_a_model() {
    let python = std::env::var("AUTOGEN_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let has = std::process::Command::new(&python)
        .args(["-c", "import sqlalchemy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        assert!(std::env::var_os("CI").is_none(), "CI runs this recipe: `{python}` needs SQLAlchemy (see .ci/run)");
        eprintln!("skipped: `{python}` has no SQLAlchemy (set AUTOGEN_TEST_PYTHON)");
        return;
    }
    let p = sql_project("");
    std::fs::write(
        p.path("models.py"),
        "from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, func\n\
         from sqlalchemy.orm import declarative_base\n\
         Base = declarative_base()\n\
         class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    email = \
             Column(String(255), nullable=False, unique=True)\n\
         class Todo(Base):\n    __tablename__ = 'todos'\n    id = Column(Integer, primary_key=True)\n    title = \
             Column(String(200), nullable=False)\n    description = Column(Text)\n    created_at = \
                 Column(DateTime(timezone=True), server_default=func.now())\n    owner_id = Column(Integer, \
                     ForeignKey('users.id', ondelete='CASCADE'), nullable=False)\n",
    )
    .unwrap();
    let recipe = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/recipes/sqlalchemy_ddl.py"),
    )
    .unwrap();
    std::fs::write(p.path("ddl.py"), recipe).unwrap();
    let out = std::process::Command::new(&python)
        .arg("ddl.py")
        .arg("models:Base")
        .current_dir(p.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(p.path("model.sql"), &out.stdout).unwrap();
    p.ok(&["revision", "--autogenerate", "-m", "from sqlalchemy"]);
    p.ok(&["upgrade"]);
    p.db()
        .execute_batch(
            "INSERT INTO users (id, email) VALUES (1, 'a@x'); INSERT INTO todos (title, owner_id) VALUES ('t', 1);",
        )
        .unwrap();
    assert!(p.ok(&["check"]).contains("No changes"), "{}", text(&out.stdout));
    let created: String = p.db().query_row("SELECT typeof(created_at) FROM todos", [], |r| r.get(0)).unwrap();
    assert_eq!(created, "text", "server_default=func.now() fills the column");
}

/// What a `.sql` model cannot mean is refused at its line; statements
/// without `;` before a trigger still split; a one-line table with several
/// columns takes a hint for the column before it; the rename suggestion
/// says how to write the hint in SQL.
#[test]
fn sql_models_split_at_create_and_refuse_what_no_database_file_holds() {
    let p = sql_project(
        "CREATE TABLE t (a TEXT, b TEXT)\nCREATE TABLE log (a TEXT)\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT \
         INTO log VALUES (new.a); END;\n",
    );
    p.ok(&["revision", "--autogenerate", "-m", "init"]);
    p.ok(&["upgrade"]);
    p.db().execute_batch("INSERT INTO t VALUES ('x', 'y')").unwrap();
    let logged: i64 = p.db().query_row("SELECT count(*) FROM log", [], |r| r.get(0)).unwrap();
    assert_eq!(logged, 1, "the trigger is in the database");
    for (statement, said) in [
        ("CREATE TEMP TABLE scratch (x);", "`CREATE TEMP` makes an object of one connection"),
        ("CREATE VIRTUAL TABLE docs USING fts5(body);", "a virtual table is never managed by autogen"),
    ] {
        std::fs::write(p.path("model.sql"), format!("CREATE TABLE t (a TEXT, b TEXT);\n{statement}\n")).unwrap();
        let out = p.run(&["diff"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("model.sql:2:1") && text(&out.stderr).contains(said),
            "{}",
            text(&out.stderr)
        );
    }
    // A hint on a one-line table goes to the column before it, every time.
    std::fs::write(
        p.path("model.sql"),
        "CREATE TABLE t (a TEXT, c TEXT -- autogen: renamed_from b\n);\nCREATE TABLE log (a TEXT);\n\
         CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.a); END;\n",
    )
    .unwrap();
    for _ in 0..5 {
        assert!(p.ok(&["diff"]).contains("rename column `t.b` to `c`"));
    }
    std::fs::write(p.path("model.sql"), "CREATE TABLE t (a TEXT, c TEXT);\nCREATE TABLE log (a TEXT);\n").unwrap();
    let out = p.run(&["diff"]);
    assert!(
        text(&out.stderr).contains("(in a .sql model: `-- autogen: renamed_from b` on its line)"),
        "{}",
        text(&out.stderr)
    );
}
