//! Models that live in code (issue 27; cli.md, "Models that live in code"):
//! `schema: sqlalchemy:...`, `django:...` and `{program: [...]}` run afresh
//! by every command, with the dumpers autogen carries, in the Python that
//! `.ci/run` sets up (SQLAlchemy, SQLModel and Django from PyPI, pinned;
//! `AUTOGEN_TEST_PYTHON` names it), through the `autogen` that `pip install`
//! of the wheel put in that venv (`AUTOGEN_TEST_BIN`). Every refusal
//! changes nothing.

mod support;

use std::path::Path;

use support::{assert_healthy, dump, text, Project};

/// The test Python, if it has `module`; under CI it must.
fn python_with(module: &str) -> Option<String> {
    let python = std::env::var("AUTOGEN_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let has = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        assert!(std::env::var_os("CI").is_none(), "CI runs this test: `{python}` needs {module} (see .ci/run)");
        eprintln!("skipped: `{python}` has no {module} (set AUTOGEN_TEST_PYTHON)");
        return None;
    }
    Some(python)
}

fn write(dir: &Path, path: &str, content: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// The seed's todo app (the Alembic guide's `app/core/database.py` and
/// `app/models.py`), with autogen.yaml naming its Base.
fn todo_app(python: &str) -> Project {
    let p = Project::new("").installed();
    let dir = p.dir.path();
    write(
        dir,
        "autogen.yaml",
        &format!(
            "database: sqlite:///./todo.db\nschema: sqlalchemy:app.models:Base\npython: {python}\nversions: \
             migrations/versions\n"
        ),
    );
    write(dir, "app/__init__.py", "");
    write(dir, "app/core/__init__.py", "");
    write(
        dir,
        "app/core/database.py",
        "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import declarative_base, sessionmaker\n\n\
         DATABASE_URL = \"sqlite:///./todo.db\"\nengine = create_engine(DATABASE_URL)\n\
         SessionLocal = sessionmaker(bind=engine)\nBase = declarative_base()\n",
    );
    write(dir, "app/models.py", MODELS_V1);
    p
}

const MODELS_V1: &str = "from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Text\n\
from app.core.database import Base\n\n\
class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    \
email = Column(String(255), nullable=False, unique=True)\n\n\
class Todo(Base):\n    __tablename__ = 'todos'\n    id = Column(Integer, primary_key=True)\n    \
title = Column(String(200), nullable=False)\n    description = Column(Text)\n    \
done = Column(Boolean, nullable=False, default=False)\n    \
owner_id = Column(Integer, ForeignKey('users.id', ondelete='CASCADE'), nullable=False, index=True)\n";

/// The table renamed and a column renamed, both by `info` hints, and a
/// column added.
const MODELS_V2: &str = "from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Text\n\
from app.core.database import Base\n\n\
class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    \
email = Column(String(255), nullable=False, unique=True)\n    name = Column(String(100))\n\n\
class Task(Base):\n    __tablename__ = 'tasks'\n    __table_args__ = {'info': {'renamed_from': 'todos'}}\n    \
id = Column(Integer, primary_key=True)\n    \
label = Column(String(200), nullable=False, info={'renamed_from': 'title'})\n    description = Column(Text)\n    \
done = Column(Boolean, nullable=False, default=False)\n    \
owner_id = Column(Integer, ForeignKey('users.id', ondelete='CASCADE'), nullable=False, index=True)\n";

fn rows(db: &rusqlite::Connection, sql: &str) -> Vec<Vec<String>> {
    let mut stmt = db.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n).map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}"))).collect::<Result<Vec<_>, _>>()
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn todo_db(p: &Project) -> rusqlite::Connection {
    rusqlite::Connection::open(p.path("todo.db")).unwrap()
}

#[test]
fn the_seed_todo_app_migrates_from_its_sqlalchemy_models() {
    let Some(python) = python_with("sqlalchemy") else { return };
    let p = todo_app(&python);
    p.ok(&["revision", "--autogenerate", "-m", "initial"]);
    p.ok(&["upgrade", "head"]);
    todo_db(&p)
        .execute_batch(
            "INSERT INTO users (id, email) VALUES (1, 'ada@example.com'), (2, 'bob@example.com');
             INSERT INTO todos VALUES (1, 'write', 'the guide', 0, 1), (2, 'test', NULL, 1, 2), (3, 'ship', 'x', 0, 1);",
        )
        .unwrap();
    assert!(p.ok(&["check"]).contains("No changes"));
    let before = dump(&todo_db(&p));

    // The program's time is shown with -v.
    let out = p.run(&["-v", "diff"]);
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("note: model program `sqlalchemy:app.models:Base` printed 2 tables in"), "{err}");

    // The models change: the hints in `info` survive the program path.
    write(p.dir.path(), "app/models.py", MODELS_V2);
    let diff = p.ok(&["diff"]);
    assert!(diff.contains("rename table `todos` to `tasks`"), "{diff}");
    assert!(
        diff.contains("rename column `tasks.title` to `label`")
            || diff.contains("rename column `tasks.title` to `label`"),
        "{diff}"
    );
    assert!(diff.contains("add column `users.name`"), "{diff}");
    p.ok(&["revision", "--autogenerate", "-m", "tasks"]);
    p.ok(&["upgrade", "head"]);
    let db = todo_db(&p);
    assert_eq!(
        rows(&db, "SELECT id, label, description, done, owner_id FROM tasks ORDER BY id"),
        rows(&db, "SELECT 1, 'write', 'the guide', 0, 1 UNION ALL SELECT 2, 'test', NULL, 1, 2 UNION ALL SELECT 3, 'ship', 'x', 0, 1")
    );
    assert_eq!(
        rows(&db, "SELECT id, email, name FROM users ORDER BY id"),
        rows(&db, "SELECT 1, 'ada@example.com', NULL UNION ALL SELECT 2, 'bob@example.com', NULL")
    );
    assert_healthy(&db, "after the renames");
    assert!(p.ok(&["check"]).contains("No changes"));

    // Down restores the start, every row.
    p.ok(&["downgrade", "-1"]);
    assert_eq!(dump(&todo_db(&p)), before);
    assert_healthy(&todo_db(&p), "after the downgrade");
    p.ok(&["upgrade", "head"]);
    assert!(p.ok(&["check"]).contains("No changes"));
}

#[test]
fn sqlmodel_works_through_its_metadata() {
    let Some(python) = python_with("sqlmodel") else { return };
    let p = Project::new("").installed();
    let dir = p.dir.path();
    write(
        dir,
        "autogen.yaml",
        &format!("database: app.db\nschema: sqlalchemy:heroes:SQLModel\npython: {python}\nversions: versions\n"),
    );
    write(
        dir,
        "heroes.py",
        "from typing import Optional\nfrom sqlmodel import Field, SQLModel\n\n\
         class Team(SQLModel, table=True):\n    id: Optional[int] = Field(default=None, primary_key=True)\n    \
         name: str = Field(index=True)\n\n\
         class Hero(SQLModel, table=True):\n    id: Optional[int] = Field(default=None, primary_key=True)\n    \
         name: str\n    age: Optional[int] = None\n    team_id: Optional[int] = Field(default=None, foreign_key='team.id')\n",
    );
    p.ok(&["revision", "--autogenerate", "-m", "heroes"]);
    p.ok(&["upgrade"]);
    let db = p.db();
    db.execute_batch("INSERT INTO team VALUES (1, 'z'); INSERT INTO hero VALUES (1, 'Deadpond', 30, 1);").unwrap();
    assert!(p.ok(&["check"]).contains("No changes"));
    assert_healthy(&db, "sqlmodel");
    let before = dump(&db);

    // A field added to a model: a revision, every row kept, and back.
    let models = std::fs::read_to_string(p.path("heroes.py")).unwrap();
    write(dir, "heroes.py", &format!("{models}    power: Optional[str] = None\n"));
    p.ok(&["revision", "--autogenerate", "-m", "power"]);
    p.ok(&["upgrade"]);
    assert_eq!(
        rows(&db, "SELECT id, name, age, team_id, power FROM hero"),
        rows(&db, "SELECT 1, 'Deadpond', 30, 1, NULL")
    );
    assert_eq!(rows(&db, "SELECT id, name FROM team"), rows(&db, "SELECT 1, 'z'"));
    assert_healthy(&db, "sqlmodel, a field added");
    assert!(p.ok(&["check"]).contains("No changes"));
    p.ok(&["downgrade", "-1"]);
    assert_eq!(dump(&p.db()), before);
    assert_healthy(&p.db(), "sqlmodel, after the downgrade");
}

/// What a refusal must leave: the same database bytes and no new revision.
struct Untouched {
    db: Vec<u8>,
    revisions: Vec<String>,
}

impl Untouched {
    fn of(p: &Project, db: &str) -> Untouched {
        Untouched { db: std::fs::read(p.path(db)).unwrap_or_default(), revisions: p.revisions() }
    }

    fn assert(&self, p: &Project, db: &str, context: &str) {
        assert_eq!(std::fs::read(p.path(db)).unwrap_or_default(), self.db, "{context}: the database changed");
        assert_eq!(p.revisions(), self.revisions, "{context}: a revision was written");
    }
}

/// `autogen ARGS` fails with exit 1 and says `wanted`, changing nothing.
fn refused(p: &Project, args: &[&str], wanted: &[&str]) -> String {
    let kept = Untouched::of(p, "todo.db");
    let out = p.run(args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    for w in wanted {
        assert!(err.contains(w), "{args:?} should say {w:?}:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    kept.assert(p, "todo.db", &format!("{args:?}"));
    err
}

#[test]
fn model_programs_that_fail_hang_or_print_nothing_are_refused() {
    let Some(python) = python_with("sqlalchemy") else { return };
    let p = todo_app(&python);
    p.ok(&["revision", "--autogenerate", "-m", "initial"]);
    p.ok(&["upgrade", "head"]);
    todo_db(&p).execute_batch("INSERT INTO users (id, email) VALUES (1, 'a@x');").unwrap();
    let config = |schema: &str| {
        write(
            p.dir.path(),
            "autogen.yaml",
            &format!(
                "database: sqlite:///./todo.db\nschema: {schema}\npython: {python}\nversions: migrations/versions\n"
            ),
        )
    };

    // An error in the user's models: the exception and its file:line.
    write(
        p.dir.path(),
        "app/models.py",
        &MODELS_V1.replace("from sqlalchemy import Boolean,", "from sqlalchemy import Boolen,"),
    );
    for args in [&["diff"][..], &["check"], &["revision", "--autogenerate", "-m", "x"]] {
        refused(
            &p,
            args,
            &[
                "model program `sqlalchemy:app.models:Base` failed",
                "importing `app.models` failed: ImportError",
                "app/models.py:1",
            ],
        );
    }
    write(p.dir.path(), "app/models.py", MODELS_V1);

    // The Base of a module that defines no models: never "drop every table".
    config("sqlalchemy:app.core.database:Base");
    for args in [&["diff"][..], &["revision", "--autogenerate", "-m", "x"]] {
        refused(&p, args, &["printed no tables", "name the module that defines the models"]);
    }
    config("sqlalchemy:app.models:Nothing");
    refused(&p, &["diff"], &["module `app.models` has no `Nothing`"]);

    // Any program: its status and the end of its standard error.
    config(&format!("{{program: [{python}, -c, \"import sys; print('warming up', file=sys.stderr); print('boom', file=sys.stderr); sys.exit(4)\"]}}"));
    refused(&p, &["diff"], &["failed (exit status 4)", "warming up", "boom"]);
    config(&format!("{{program: [{python}, -c, \"print('-- nothing here')\"]}}"));
    refused(&p, &["revision", "--autogenerate", "-m", "x"], &["printed no tables", "allow_empty: true"]);
    // What a hung program said before it was stopped is shown: often why it waits.
    config(&format!("{{program: [{python}, -c, \"import sys, time; print('connecting to db.internal:5432', file=sys.stderr, flush=True); time.sleep(10)\"], timeout: 1.5}}"));
    let started = std::time::Instant::now();
    refused(&p, &["diff"], &["did not finish within 1.5 s", "connecting to db.internal:5432"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(6), "the program was not stopped at its timeout");
    config(&format!("{{program: [{python}, -c, \"print('CREATE TABLE legacy_a (id INTEGER PRIMARY KEY);')\"]}}\nexclude: [legacy_*]"));
    refused(&p, &["diff"], &["printed no tables", "Every table it printed matches `exclude:`"]);
    config("{program: [ls], cwd: no-such-folder}");
    refused(&p, &["diff"], &["the folder it runs in", "no-such-folder", "does not exist", "Check `cwd:`"]);
    config("{program: [no-such-program-anywhere]}");
    refused(&p, &["diff"], &["could not start `no-such-program-anywhere`"]);

    // A missing Python says which and what to set.
    write(
        p.dir.path(),
        "autogen.yaml",
        "database: sqlite:///./todo.db\nschema: sqlalchemy:app.models:Base\npython: .venv/bin/python\nversions: migrations/versions\n",
    );
    refused(&p, &["diff"], &["could not start", ".venv/bin/python", "Set `python:` in autogen.yaml"]);

    // SQL the program prints that SQLite rejects names the program.
    config(&format!(
        "{{program: [{python}, -c, \"print('CREATE TABLE t (id INTEGER PRIMARY KEY, x DEFAULT (nope));')\"]}}"
    ));
    refused(&p, &["diff"], &["(its printed SQL):1:1: table `t`: SQLite rejects it"]);
}

/// A YAML model of one table, `todos (id, title)`.
const TODOS: &str =
    "tables:\n  - name: todos\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: title, type: TEXT}\n";

#[test]
fn renames_in_the_config_work_for_every_kind_of_model() {
    let p = Project::new(TODOS).installed();
    p.ok(&["revision", "--autogenerate", "-m", "first"]);
    p.ok(&["upgrade"]);
    p.db().execute_batch("INSERT INTO todos VALUES (1, 'a'), (2, 'b');").unwrap();
    let before = dump(&p.db());
    p.set_model(
        "tables:\n  - name: tasks\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: label, type: TEXT}\n",
    );
    let config = std::fs::read_to_string(p.path("autogen.yaml")).unwrap();
    std::fs::write(p.path("autogen.yaml"), format!("{config}renames:\n  tasks: todos\n  tasks.label: title\n"))
        .unwrap();
    let diff = p.ok(&["diff"]);
    assert!(
        diff.contains("rename table `todos` to `tasks`") && diff.contains("rename column `tasks.title` to `label`"),
        "{diff}"
    );
    p.ok(&["revision", "--autogenerate", "-m", "renamed"]);
    p.ok(&["upgrade"]);
    let db = p.db();
    assert_eq!(
        rows(&db, "SELECT id, label FROM tasks ORDER BY id"),
        rows(&db, "SELECT 1, 'a' UNION ALL SELECT 2, 'b'")
    );
    assert_healthy(&db, "after renames from the config");
    assert!(p.ok(&["check"]).contains("No changes"));
    // Down puts the old names back, every row with them.
    p.ok(&["downgrade", "-1"]);
    assert_eq!(dump(&p.db()), before);
    assert_healthy(&p.db(), "after the downgrade");
    p.ok(&["upgrade"]);

    // A hint naming what the model lacks is an error at its line.
    std::fs::write(p.path("autogen.yaml"), format!("{config}renames:\n  tasks: todos\n  tasks.labl: title\n")).unwrap();
    let out = p.run(&["diff"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("autogen.yaml:6:3") && err.contains("column `labl` of `tasks`"), "{err}");
}

#[test]
fn revision_replay_needs_no_database() {
    let p = Project::new(TODOS).installed();
    p.ok(&["revision", "--autogenerate", "--replay", "-m", "first", "--rev-id", "r1"]);
    assert!(!p.path("app.db").exists(), "--replay read or made a database");
    p.set_model(&format!("{TODOS}      - {{name: done, type: INTEGER, nullable: false, server_default: '0'}}\n"));
    p.ok(&["revision", "--autogenerate", "--replay", "-m", "done", "--rev-id", "r2"]);
    assert!(!p.path("app.db").exists());
    let revisions = p.revisions();
    assert_eq!(revisions.len(), 2, "{revisions:?}");
    let second = std::fs::read_to_string(p.path("migrations/versions").join(&revisions[1])).unwrap();
    assert!(second.contains("ADD COLUMN \"done\"") && !second.contains("CREATE TABLE \"todos\""), "{second}");
    // Nothing new: said, nothing written.
    assert!(p.ok(&["revision", "--autogenerate", "--replay", "-m", "again"]).contains("No changes"));
    assert_eq!(p.revisions().len(), 2);
    // The revisions then run on a database with rows.
    p.ok(&["upgrade", "+1"]);
    p.db().execute_batch("INSERT INTO todos VALUES (1, 'a'), (2, 'b');").unwrap();
    p.ok(&["upgrade"]);
    let db = p.db();
    assert_eq!(
        rows(&db, "SELECT id, title, done FROM todos ORDER BY id"),
        rows(&db, "SELECT 1, 'a', 0 UNION ALL SELECT 2, 'b', 0")
    );
    assert_healthy(&db, "after replayed revisions");
    assert!(p.ok(&["check"]).contains("No changes"));
    p.ok(&["downgrade", "-1"]);
    assert_eq!(
        rows(&p.db(), "SELECT id, title FROM todos ORDER BY id"),
        rows(&db, "SELECT 1, 'a' UNION ALL SELECT 2, 'b'")
    );
    // On D1 the replay's local plan would be wrong (foreign keys stay on there): refused.
    let config = std::fs::read_to_string(p.path("autogen.yaml")).unwrap();
    std::fs::write(p.path("autogen.yaml"), config.replace("sqlite:///./app.db", "d1://app")).unwrap();
    let out = p.run(&["revision", "--autogenerate", "--replay", "-m", "d1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--replay plans for local SQLite"), "{}", text(&out.stderr));
    assert_eq!(p.revisions().len(), 2);
}

const DJANGO_SETTINGS: &str = "SECRET_KEY = 'test'\nUSE_TZ = True\n\
INSTALLED_APPS = ['django.contrib.contenttypes', 'django.contrib.auth', 'blog', 'shop']\n\
DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': 'django.db'}}\n\
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n";

const BLOG_MODELS: &str = "from django.conf import settings\nfrom django.db import models\n\n\
class Tag(models.Model):\n    name = models.CharField(max_length=50, unique=True)\n\n\
class Post(models.Model):\n    title = models.CharField(max_length=200)\n    body = models.TextField(blank=True)\n    \
published = models.DateTimeField(null=True)\n    \
author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)\n    \
tags = models.ManyToManyField(Tag, blank=True)\n\n    class Meta:\n        \
indexes = [models.Index(fields=['published'], name='post_published_ix')]\n";

const SHOP_MODELS: &str = "from django.db import models\n\n\
class Product(models.Model):\n    sku = models.CharField(max_length=20, unique=True)\n    \
price = models.DecimalField(max_digits=8, decimal_places=2)\n    stock = models.PositiveIntegerField(default=0)\n\n\
class Order(models.Model):\n    product = models.ForeignKey(Product, on_delete=models.PROTECT)\n    \
quantity = models.IntegerField()\n\n    class Meta:\n        \
constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name='order_quantity_positive')]\n";

#[test]
fn a_django_project_migrates_to_what_djangos_own_migrate_creates() {
    let Some(python) = python_with("django") else { return };
    let p = Project::new("").installed();
    let dir = p.dir.path();
    write(
        dir,
        "autogen.yaml",
        &format!(
            "database: app.db\nschema: django:mysite.settings\npython: {python}\nversions: versions\nexclude: \
             [django_migrations]\n"
        ),
    );
    write(dir, "mysite/__init__.py", "");
    write(dir, "mysite/settings.py", DJANGO_SETTINGS);
    write(
        dir,
        "manage.py",
        "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n\
         from django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n",
    );
    for (app, models) in [("blog", BLOG_MODELS), ("shop", SHOP_MODELS)] {
        write(dir, &format!("{app}/__init__.py"), "");
        write(dir, &format!("{app}/migrations/__init__.py"), "");
        write(dir, &format!("{app}/models.py"), models);
    }
    // Django's own migrations, on a file of their own.
    for args in [&["manage.py", "makemigrations", "blog", "shop"][..], &["manage.py", "migrate"]] {
        let out = std::process::Command::new(&python).args(args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}{}", text(&out.stdout), text(&out.stderr));
    }
    let djangos = p.ok(&["--database", "django.db", "diff"]);
    assert!(djangos.contains("No changes"), "the model differs from what Django's migrate made:\n{djangos}");

    // autogen's own revision, on a fresh file, holds the same.
    p.ok(&["revision", "--autogenerate", "-m", "initial"]);
    p.ok(&["upgrade"]);
    let db = p.db();
    db.execute_batch(
        "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, \
         is_active, date_joined) VALUES (1, 'x', 0, 'ada', '', '', 'a@x', 0, 1, '2026-01-01');
         INSERT INTO blog_tag VALUES (1, 'sqlite');
         INSERT INTO blog_post (id, title, body, published, author_id) VALUES (1, 'hello', '', NULL, 1);
         INSERT INTO blog_post_tags (post_id, tag_id) VALUES (1, 1);
         INSERT INTO shop_product (id, sku, price, stock) VALUES (1, 'A-1', 9.5, 3);
         INSERT INTO shop_order (id, product_id, quantity) VALUES (1, 1, 2);",
    )
    .unwrap();
    assert!(p.ok(&["check"]).contains("No changes"));
    assert_healthy(&db, "django");
    let mine: Vec<String> = support::declared_columns(&db).into_iter().map(|c| format!("{c:?}")).collect();
    let theirs: Vec<String> = support::declared_columns(&rusqlite::Connection::open(p.path("django.db")).unwrap())
        .into_iter()
        .filter(|c| c.0 != "django_migrations")
        .map(|c| format!("{c:?}"))
        .collect();
    let mine: Vec<String> = mine.into_iter().filter(|c| !c.contains("\"autogen_version")).collect();
    assert_eq!(mine, theirs, "columns differ from Django's own migrate");
    // Down to base leaves only autogen's own version tables.
    p.ok(&["downgrade", "base"]);
    let left: Vec<String> = support::declared_columns(&p.db()).into_iter().map(|c| c.0).collect();
    assert!(left.iter().all(|t| t.starts_with("autogen_version")), "{left:?}");
    assert_healthy(&p.db(), "django, down to base");
    p.ok(&["upgrade"]);

    // One app only: the others' tables are not the model's.
    write(
        dir,
        "autogen.yaml",
        &format!("database: app.db\nschema: django:mysite.settings:shop\npython: {python}\nversions: versions\nexclude: [django_migrations, auth_*, django_*, blog_*]\n"),
    );
    assert!(p.ok(&["check"]).contains("No changes"));
    write(
        dir,
        "autogen.yaml",
        &format!("database: app.db\nschema: django:mysite.settings:nosuch\npython: {python}\nversions: versions\n"),
    );
    let out = p.run(&["diff"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("`nosuch` is not an installed app of `mysite.settings`"),
        "{}",
        text(&out.stderr)
    );
}
