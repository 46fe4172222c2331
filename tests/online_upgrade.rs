//! `autogen upgrade --online` through the binary (issue 28; cli.md,
//! "Online upgrades") while a real app process (tests/online/app.py: its
//! own connection, busy timeout 5 s, foreign keys on) writes several
//! hundred statements a second of every kind: inserts, updates, deletes,
//! key updates, INSERT OR REPLACE, upserts, child rows. The app sends each
//! statement to a reference copy of the start too; that copy, upgraded
//! offline afterwards, is what the online upgrade must give, row by row.
//! The table has a view over it and an app trigger on it (which the swap
//! carries over and which emptying the old table must not fire).

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::types::FromSql;
use rusqlite::Connection;
use support::{assert_healthy, dump, text, Project};

const MODEL: &str = "tables:
  - name: items
    columns:
      - {name: id, type: Integer, primary_key: true}
      - {name: code, type: Text, nullable: false, unique: true}
      - {name: price, type: Text, index: true}
      - {name: note, type: Text}
  - name: tags
    columns:
      - {name: id, type: Integer, primary_key: true}
      - {name: item, type: Integer, references: items.id, on_delete: cascade}
      - {name: tag, type: Text}
views:
  - {name: cheap_items, sql: \"SELECT id, code FROM items WHERE price < 10\"}
triggers:
  - name: items_audit
    sql: |
      CREATE TRIGGER items_audit AFTER DELETE ON items BEGIN INSERT INTO tags (item, tag) VALUES (NULL, 'deleted ' || old.id); END
";

const ROWS: i64 = 200_000;

/// A project at its first revision with `ROWS` items (and tags on every
/// 500th) in WAL mode, and a second revision that SQLite cannot ALTER:
/// `price` from TEXT to REAL, a rebuild of `items`.
fn project() -> Project {
    project_of(MODEL)
}

fn project_of(model: &str) -> Project {
    let p = Project::new(model);
    p.ok(&["revision", "--autogenerate", "-m", "init"]);
    p.ok(&["upgrade"]);
    let conn = p.db();
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < {ROWS})
         INSERT INTO items SELECT v, 'c' || v, (v % 1000) || '.25', 'note ' || v FROM s;
         INSERT INTO tags (item, tag) SELECT id, 'start' FROM items WHERE id % 500 = 0;"
    ))
    .unwrap();
    p.set_model(&model.replace("{name: price, type: Text, index: true}", "{name: price, type: Real, index: true}"));
    p.ok(&["revision", "--autogenerate", "-m", "price as real"]);
    let config = std::fs::read_to_string(p.path("autogen.yaml")).unwrap();
    std::fs::write(p.path("autogen.yaml"), format!("{config}online: {{min_rows: 1000, chunk_ms: 10}}\n")).unwrap();
    p
}

/// The app, writing to `app.db` and to `reference.db` (a copy of the
/// database as it is now) until [`App::stop`].
struct App {
    child: Child,
    stop: std::path::PathBuf,
}

impl App {
    fn start(p: &Project) -> App {
        std::fs::copy(p.path("app.db"), p.path("reference.db")).unwrap();
        let python = std::env::var("AUTOGEN_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/online/app.py");
        let stop = p.path("stop");
        let child = Command::new(python)
            .arg(script)
            .args([p.path("app.db"), p.path("reference.db"), stop.clone()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs the test app");
        // Writing before the upgrade starts.
        std::thread::sleep(Duration::from_millis(300));
        App { child, stop }
    }

    /// Stops the app; the statements that failed, and how many it wrote.
    fn stop(self) -> (String, String) {
        std::fs::write(&self.stop, "").unwrap();
        let out = self.child.wait_with_output().unwrap();
        assert!(out.status.success(), "the app failed: {}", text(&out.stderr));
        (text(&out.stdout), text(&out.stderr))
    }
}

/// `autogen ARGS` in the project, started, not waited for.
fn spawn(p: &Project, args: &[&str]) -> Child {
    support::in_project(Command::new(env!("CARGO_BIN_EXE_autogen")), p.dir.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Every table but autogen's own record of online rebuilds.
fn app_tables(conn: &Connection) -> Vec<(String, Vec<String>)> {
    dump(conn).into_iter().filter(|(t, _)| t != "autogen_online").collect()
}

/// Every object's name and CREATE text but autogen's record of online
/// rebuilds (and its index).
fn schema(conn: &Connection) -> Vec<(String, Option<String>)> {
    pairs(conn, "SELECT name, sql FROM sqlite_schema WHERE tbl_name <> 'autogen_online' ORDER BY name")
}

/// The first two columns of every row `sql` returns.
fn pairs<A: FromSql, B: FromSql>(conn: &Connection, sql: &str) -> Vec<(A, B)> {
    conn.prepare(sql).unwrap().query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

fn open(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

/// What `upgrade --online` left: exactly the reference upgraded offline
/// (every row, the stored schema), healthy, `check` clean, nothing of
/// the rebuild left; and a downgrade of both gives the same again.
fn assert_same_as_offline(p: &Project, context: &str) {
    let reference = p.path("reference.db");
    let reference_arg = reference.to_str().unwrap();
    p.ok(&["--database", reference_arg, "upgrade"]);
    let (live, offline) = (p.db(), open(&reference));
    assert_eq!(app_tables(&live), app_tables(&offline), "{context}: every row");
    assert_eq!(schema(&live), schema(&offline), "{context}: the stored schema");
    assert_healthy(&live, context);
    let left: Vec<String> = live
        .prepare("SELECT name FROM sqlite_schema WHERE name LIKE '\\_autogen\\_%' ESCAPE '\\'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(left.is_empty(), "{context}: left behind: {left:?}");
    let check = p.run(&["check"]);
    assert!(check.status.success(), "{context}: check: {}{}", text(&check.stdout), text(&check.stderr));
    p.ok(&["downgrade", "-1"]);
    p.ok(&["--database", reference_arg, "downgrade", "-1"]);
    assert_eq!(app_tables(&p.db()), app_tables(&open(&reference)), "{context}: after a downgrade");
}

#[test]
fn an_online_upgrade_keeps_every_write_of_a_running_app() {
    let p = project();
    let app = App::start(&p);
    let out = p.run(&["upgrade", "--online", "--format", "json"]);
    std::thread::sleep(Duration::from_millis(300));
    let (failed, wrote) = app.stop();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "upgrade --online failed: {stderr}");
    assert!(failed.is_empty(), "app statements failed:\n{failed}");
    assert!(stderr.contains("Copying `items` (") && stderr.contains("swapped `items` in"), "{stderr}");
    let figures: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = &figures[0];
    assert_eq!(items["table"], "items", "{figures}");
    assert!(items["rows"].as_i64().unwrap() >= ROWS - 1000, "{figures}");
    assert!(items["chunks"].as_i64().unwrap() > 5, "{figures}");
    assert!(items["swap_ms"].as_f64().is_some() && items["longest_chunk_ms"].as_f64().is_some(), "{figures}");
    eprintln!("{wrote}{stderr}");
    assert_same_as_offline(&p, "online upgrade under a writing app");
}

/// Killed (SIGKILL) early in the copy, at the swap and while the old
/// table is removed, each followed by a rerun that carries on; the app
/// writes throughout.
#[test]
fn a_killed_online_upgrade_carries_on_when_run_again() {
    let p = project();
    let app = App::start(&p);
    // Each stage is told by a line on standard error; the run is killed
    // as soon as it is seen (or after `after` for the copy's start).
    for (stage, after) in [("Copying `items`", 150), ("copied `items` online", 0), ("swapped `items` in", 0)] {
        let mut child = spawn(&p, &["upgrade", "--online"]);
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        for line in stderr.lines() {
            let line = line.unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if line.contains(stage) {
                std::thread::sleep(Duration::from_millis(after));
                break;
            }
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the run at `{stage}` ended before it was killed:\n{seen}");
        // The app's table stays usable between runs.
        let conn = p.db();
        let rows: i64 = conn.query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap();
        assert!(rows > ROWS / 2, "after a kill at `{stage}`: {rows} rows");
    }
    let started = Instant::now();
    let out = p.run(&["upgrade", "--online"]);
    assert!(out.status.success(), "the last rerun: {}", text(&out.stderr));
    let (failed, _) = app.stop();
    assert!(failed.is_empty(), "app statements failed:\n{failed}");
    eprintln!("last rerun: {:?}\n{}", started.elapsed(), text(&out.stderr));
    assert_same_as_offline(&p, "killed three times, run again");
}

/// An AUTOINCREMENT table keeps its counter: ids of rows deleted before
/// and during the copy are never given again.
#[test]
fn an_online_upgrade_keeps_the_autoincrement_counter() {
    let p = project_of(&MODEL.replace(
        "primary_key: true}\n      - {name: code",
        "primary_key: true, autoincrement: true}\n      - {name: code",
    ));
    // The last rows deleted: the counter is above every id left.
    p.db().execute_batch(&format!("DELETE FROM items WHERE id > {}", ROWS - 100)).unwrap();
    // No app here: its inserts would raise both counters alike.
    std::fs::copy(p.path("app.db"), p.path("reference.db")).unwrap();
    let out = p.run(&["upgrade", "--online"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("swapped `items` in"), "rebuilt online: {}", text(&out.stderr));
    let counters = |conn: &Connection| -> Vec<(String, i64)> {
        pairs(conn, "SELECT name, seq FROM sqlite_sequence ORDER BY name")
    };
    let live = counters(&p.db());
    p.ok(&["--database", p.path("reference.db").to_str().unwrap(), "upgrade"]);
    assert_eq!(live, counters(&open(&p.path("reference.db"))), "the counters, online and offline");
    assert_eq!(live, [("items".to_string(), ROWS)]);
    assert_same_as_offline(&p, "an AUTOINCREMENT table");
}

/// `--abort` after a kill during the copy leaves the database as the app
/// alone would have left it; an upgrade afterwards starts afresh.
#[test]
fn an_aborted_online_upgrade_leaves_what_the_app_wrote() {
    let p = project();
    let app = App::start(&p);
    let mut child = spawn(&p, &["upgrade", "--online"]);
    let stderr = BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        if line.unwrap().contains("Copying `items`") {
            std::thread::sleep(Duration::from_millis(200));
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let under_way: i64 = p.db().query_row("SELECT count(*) FROM autogen_online", [], |r| r.get(0)).unwrap();
    assert_eq!(under_way, 1, "the kill left the copy under way");
    // Revisions run without --online are refused meanwhile, changing nothing.
    let schema_before = schema(&p.db());
    for args in [&["upgrade"][..], &["downgrade", "-1"]] {
        let out = p.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("online rebuild of `items` is under way") && stderr.contains("--abort"), "{stderr}");
    }
    assert_eq!(schema(&p.db()), schema_before);
    let out = p.run(&["upgrade", "--online", "--abort"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("`items`"), "{}", text(&out.stderr));
    std::thread::sleep(Duration::from_millis(200));
    let (failed, _) = app.stop();
    assert!(failed.is_empty(), "app statements failed:\n{failed}");
    // Nothing upgraded, nothing of the rebuild left: what the app wrote.
    let (live, reference) = (p.db(), open(&p.path("reference.db")));
    assert_eq!(app_tables(&live), app_tables(&reference));
    assert_eq!(schema(&live), schema(&reference));
    assert_healthy(&live, "after --abort");
    let again = p.run(&["upgrade", "--online", "--abort"]);
    assert!(text(&again.stderr).contains("No online rebuild was under way"), "{}", text(&again.stderr));
    // And the upgrade, run afresh, still gives what an offline one gives.
    p.ok(&["upgrade", "--online"]);
    assert_same_as_offline(&p, "upgraded after an abort");
}

/// What is refused, with what to do, and changes nothing: a database in a
/// rollback journal, D1-like misuse of flags.
#[test]
fn online_upgrades_refuse_what_they_cannot_do() {
    let p = project();
    p.db().execute_batch("PRAGMA journal_mode = DELETE").unwrap();
    let before = dump(&p.db());
    let out = p.run(&["upgrade", "--online"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("PRAGMA journal_mode = WAL"), "{stderr}");
    assert_eq!(dump(&p.db()), before);
    // `--sql` prints the offline form (cli.md), the same script as without
    // --online, and touches nothing.
    let online_sql = p.ok(&["upgrade", "--online", "--sql"]);
    assert_eq!(online_sql, p.ok(&["upgrade", "--sql"]));
    assert!(online_sql.contains("INSERT OR ABORT INTO \"_autogen_tmp_items\""), "{online_sql}");
    let out = p.run(&["upgrade", "--online", "--abort", "--sql"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = p.run(&["upgrade", "--abort"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = p.run(&["upgrade", "--online", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    std::fs::write(
        p.path("autogen.yaml"),
        "database: app.db\nschema: model.yaml\nversions: migrations/versions\nonline: {chunk_ms: 0}\n",
    )
    .unwrap();
    let out = p.run(&["upgrade", "--online"]);
    assert!(text(&out.stderr).contains("online.chunk_ms: 0"), "{}", text(&out.stderr));
    assert_eq!(dump(&p.db()), before);
}
