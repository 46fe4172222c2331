//! `pip install` of the wheel `maturin build --release` writes (issue 27;
//! cli.md, "Installing, and checks in CI"): `autogen` on a fresh venv's
//! PATH, and `autogen_sqlite.testing`'s pytest checks passing on a clean
//! project and failing, with autogen's own report, on a model changed
//! without a revision. `.ci/run` builds the wheel and names it in
//! `AUTOGEN_TEST_WHEEL`; without it (a plain `cargo test`) this is skipped.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::text;

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    (out.status.success(), format!("{}{}", text(&out.stdout), text(&out.stderr)))
}

fn write(dir: &Path, path: &str, content: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

#[test]
fn the_wheel_installs_autogen_and_its_pytest_checks() {
    let Some(wheel) = std::env::var_os("AUTOGEN_TEST_WHEEL").map(PathBuf::from) else {
        assert!(std::env::var_os("CI").is_none(), "CI builds the wheel and sets AUTOGEN_TEST_WHEEL (see .ci/run)");
        eprintln!("skipped: no AUTOGEN_TEST_WHEEL");
        return;
    };
    let python = std::env::var("AUTOGEN_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let (ok, out) = run(Command::new(&python).args(["-m", "venv"]).arg(&venv));
    assert!(ok, "{out}");
    let bin = venv.join("bin");
    // The wheel, with SQLAlchemy and pytest pinned as .ci/run pins them.
    let (ok, out) = run(Command::new(bin.join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(&wheel)
        .args(["sqlalchemy==2.0.58", "pytest==9.0.2"]));
    assert!(ok, "pip install of the wheel failed: {out}");
    assert!(bin.join("autogen").is_file(), "the wheel put no `autogen` on the venv's PATH");
    let (ok, out) = run(Command::new(bin.join("autogen")).arg("--version"));
    assert!(ok && out.starts_with("autogen "), "{out}");

    // The seed's app, its models as the model, and the four pytest checks.
    let app = dir.path().join("todo");
    write(
        &app,
        "autogen.yaml",
        &format!(
            "database: sqlite:///./todo.db\nschema: sqlalchemy:app.models:Base\npython: {}\nversions: migrations/versions\n",
            bin.join("python").display()
        ),
    );
    write(&app, "app/__init__.py", "");
    write(
        &app,
        "app/models.py",
        "from sqlalchemy import Column, Integer, String\nfrom sqlalchemy.orm import declarative_base\n\
         Base = declarative_base()\n\nclass Todo(Base):\n    __tablename__ = 'todos'\n    \
         id = Column(Integer, primary_key=True)\n    title = Column(String(200), nullable=False)\n",
    );
    write(
        &app,
        "tests/test_migrations.py",
        "from autogen_sqlite.testing import (  # noqa: F401\n    test_model_matches, test_single_head, \
         test_up_down_consistency, test_upgrade,\n)\n",
    );
    let autogen = || {
        let mut c = Command::new(bin.join("autogen"));
        c.current_dir(&app).env("SOURCE_DATE_EPOCH", "1795602600").env("NO_COLOR", "1");
        c
    };
    let (ok, out) = run(autogen().args(["revision", "--autogenerate", "-m", "initial"]));
    assert!(ok, "{out}");
    let pytest = || {
        let mut c = Command::new(bin.join("pytest"));
        c.current_dir(&app).env("NO_COLOR", "1").args(["-q", "-p", "no:cacheprovider"]);
        c
    };
    let (ok, out) = run(&mut pytest());
    assert!(ok && out.contains("4 passed"), "the checks fail on a clean project:\n{out}");
    assert!(!app.join("todo.db").exists(), "the checks touched the app's database");

    // The model changes without a revision: test_model_matches fails with
    // the report (SQL, not reprs); the others still pass.
    write(
        &app,
        "app/models.py",
        "from sqlalchemy import Column, Integer, String\nfrom sqlalchemy.orm import declarative_base\n\
         Base = declarative_base()\n\nclass Todo(Base):\n    __tablename__ = 'todos'\n    \
         id = Column(Integer, primary_key=True)\n    title = Column(String(200), nullable=False)\n    \
         note = Column(String(50))\n",
    );
    let (ok, out) = run(&mut pytest());
    assert!(!ok, "{out}");
    assert!(out.contains("1 failed, 3 passed"), "{out}");
    assert!(
        out.contains("test_model_matches")
            && out.contains("the model has changes no revision makes")
            && out.contains("add column `todos.note`"),
        "{out}"
    );

    // A revision that cannot go down is named by the stairway check.
    let (ok, out) = run(autogen().args(["revision", "--autogenerate", "--replay", "-m", "note", "--rev-id", "n1"]));
    assert!(ok, "{out}");
    let file = std::fs::read_dir(app.join("migrations/versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("n1"))
        .unwrap();
    let sql = std::fs::read_to_string(&file).unwrap();
    let down = sql.find("-- migrate:down").unwrap();
    std::fs::write(&file, format!("{}-- migrate:down\nSELECT 1;\n", &sql[..down])).unwrap();
    let (ok, out) = run(&mut pytest());
    assert!(!ok && out.contains("test_up_down_consistency") && out.contains("`n1`"), "{out}");
}
