//! Faults, done for real: a database locked by another connection, several
//! `autogen upgrade` processes at once, and kill -9 in the middle of a long
//! rebuild. Nothing is lost, nothing is applied twice.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

fn project(dir: &Path, model: &str, busy_timeout: &str) {
    std::fs::write(
        dir.join("autogen.yaml"),
        format!("database: app.db\nschema: model.yaml\nversions: versions\nbusy_timeout: {busy_timeout}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("model.yaml"), model).unwrap();
}

fn ok(dir: &Path, args: &[&str]) {
    let out = support::autogen(dir).args(args).output().unwrap();
    assert!(out.status.success(), "autogen {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `rows` rows in `items`, written straight to `app.db`.
fn fill_items(dir: &Path, rows: i64) {
    rusqlite::Connection::open(dir.join("app.db"))
        .unwrap()
        .execute_batch(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) INSERT INTO items \
                SELECT i, 'item ' || i FROM n;"
        ))
        .unwrap();
}

const ITEMS: &str = "tables:\n  - name: items\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n\
      \x20     - {name: name, type: VARCHAR(50)}\n";

#[test]
fn a_locked_database_waits_then_says_so_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d, ITEMS, "0.5");
    ok(d, &["revision", "--autogenerate", "-m", "items"]);
    let holder = rusqlite::Connection::open(d.join("app.db")).unwrap();
    holder.execute_batch("CREATE TABLE other (x); BEGIN EXCLUSIVE; INSERT INTO other VALUES (1);").unwrap();
    let started = Instant::now();
    let out = support::autogen(d).arg("upgrade").output().unwrap();
    let waited = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("app.db` is locked by another connection"), "{err}");
    assert!(waited >= Duration::from_millis(450), "gave up after {waited:?}, before the busy timeout");
    holder.execute_batch("ROLLBACK").unwrap();
    let tables: i64 = holder
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name IN ('items', 'autogen_version')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 0, "a locked upgrade changed the database");
}

#[test]
fn concurrent_upgrades_apply_each_revision_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d, ITEMS, "20");
    ok(d, &["revision", "--autogenerate", "-m", "items", "--rev-id", "r1"]);
    ok(d, &["revision", "-m", "seed", "--rev-id", "r2"]);
    let seed = std::fs::read_dir(d.join("versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("r2"))
        .unwrap();
    let text = std::fs::read_to_string(&seed)
        .unwrap()
        .replace("-- Write the upgrade SQL here.", "INSERT INTO items (name) VALUES ('only once');")
        .replace("-- Write the downgrade SQL here.", "DELETE FROM items;");
    std::fs::write(&seed, text).unwrap();
    let children: Vec<_> = (0..6)
        .map(|_| support::autogen(d).arg("upgrade").stderr(std::process::Stdio::piped()).spawn().unwrap())
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let conn = rusqlite::Connection::open(d.join("app.db")).unwrap();
    let rows: i64 = conn.query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 1, "the data revision ran more than once");
    let version: String = conn.query_row("SELECT version_num FROM autogen_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, "r2");
}

/// A rebuild of 1.5M rows, killed with SIGKILL at several moments: the
/// database is always at the previous revision or the next, whole.
#[test]
fn kill_9_during_a_long_rebuild_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d, ITEMS, "5");
    ok(d, &["revision", "--autogenerate", "-m", "items", "--rev-id", "base1"]);
    ok(d, &["upgrade"]);
    const ROWS: i64 = 1_500_000;
    fill_items(d, ROWS);
    std::fs::write(
        d.join("model.yaml"),
        ITEMS.replace(
            "VARCHAR(50)}",
            "TEXT}\n      - {name: status, type: TEXT, nullable: false, server_default: \"'new'\"}",
        ),
    )
    .unwrap();
    ok(d, &["revision", "--autogenerate", "-m", "rebuild", "--rev-id", "next2"]);
    let template = d.join("template.db");
    std::fs::copy(d.join("app.db"), &template).unwrap();
    let mut outcomes = Vec::new();
    for delay_ms in [30u64, 150, 400, 800] {
        std::fs::copy(&template, d.join("app.db")).unwrap();
        let _ = std::fs::remove_file(d.join("app.db-journal"));
        let mut child = support::autogen(d).arg("upgrade").stderr(std::process::Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let killed = child.kill().is_ok();
        let _ = child.wait();
        // Opening the database rolls a hot journal back.
        let conn = rusqlite::Connection::open(d.join("app.db")).unwrap();
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "after a kill at {delay_ms} ms");
        let version: String = conn.query_row("SELECT version_num FROM autogen_version", [], |r| r.get(0)).unwrap();
        let rows: i64 = conn.query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap();
        let temps: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name LIKE '\\_autogen\\_tmp\\_%' ESCAPE '\\'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rows, ROWS, "rows after a kill at {delay_ms} ms");
        assert_eq!(temps, 0, "a temporary table is left after a kill at {delay_ms} ms");
        assert!(version == "base1" || version == "next2", "version {version}");
        let has_status = conn.prepare("SELECT status FROM items LIMIT 1").is_ok();
        assert_eq!(has_status, version == "next2", "schema and version disagree after a kill at {delay_ms} ms");
        drop(conn);
        ok(d, &["upgrade"]);
        ok(d, &["check"]);
        outcomes.push((delay_ms, killed, version));
    }
    // At least one kill must have landed inside the rebuild, or the test proves nothing.
    assert!(
        outcomes.iter().any(|(_, killed, v)| *killed && v == "base1"),
        "no kill interrupted the rebuild: {outcomes:?}"
    );
}

/// A database the process cannot write (immutable, which binds even root):
/// a clear error, and the file as it was.
#[test]
fn an_unwritable_database_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d, ITEMS, "1");
    ok(d, &["revision", "--autogenerate", "-m", "items"]);
    rusqlite::Connection::open(d.join("app.db"))
        .unwrap()
        .execute_batch("CREATE TABLE keep (x); INSERT INTO keep VALUES (1);")
        .unwrap();
    let immutable =
        std::process::Command::new("chattr").arg("+i").arg(d.join("app.db")).status().is_ok_and(|s| s.success());
    if !immutable {
        eprintln!("skipped: chattr +i is not available here");
        return;
    }
    let before = std::fs::read(d.join("app.db")).unwrap();
    let out = support::autogen(d).arg("upgrade").output().unwrap();
    let _ = std::process::Command::new("chattr").arg("-i").arg(d.join("app.db")).status();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("app.db` is read-only"), "{err}");
    assert_eq!(std::fs::read(d.join("app.db")).unwrap(), before);
}

/// A long rebuild draws its progress on a terminal (here a pseudo-terminal
/// from `script`), and nothing when stderr is a pipe or a file.
#[test]
fn a_long_rebuild_shows_progress_on_a_terminal_only() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        panic!("this test needs `script` (util-linux) to give autogen a terminal");
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d, ITEMS, "5");
    ok(d, &["revision", "--autogenerate", "-m", "items", "--rev-id", "base1"]);
    ok(d, &["upgrade"]);
    // Long enough that the copy outlasts the meter's 700 ms delay even on a fast machine.
    fill_items(d, 5_000_000);
    std::fs::write(
        d.join("model.yaml"),
        ITEMS.replace("VARCHAR(50)}", "TEXT, nullable: false, server_default: \"''\"}"),
    )
    .unwrap();
    ok(d, &["revision", "--autogenerate", "-m", "rebuild", "--rev-id", "next2"]);

    let piped = support::autogen(d).arg("upgrade").output().unwrap();
    assert!(piped.status.success());
    assert!(
        !String::from_utf8_lossy(&piped.stderr).contains("copying"),
        "progress on a pipe: {}",
        String::from_utf8_lossy(&piped.stderr)
    );
    ok(d, &["downgrade", "-1"]);

    let command = format!("'{}' upgrade", env!("CARGO_BIN_EXE_autogen"));
    let started = Instant::now();
    let on_terminal =
        std::process::Command::new("script").current_dir(d).args(["-qec", &command, "/dev/null"]).output().unwrap();
    let seen = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(on_terminal.status.success(), "{seen}");
    assert!(
        seen.contains("copying `items`: 5,000,000 of 5,000,000 rows (100%)"),
        "after {:?}: {seen}",
        started.elapsed()
    );
    assert!(seen.matches("copying `items`").count() >= 2, "no progress before the end: {seen}");
    ok(d, &["check"]);
}
