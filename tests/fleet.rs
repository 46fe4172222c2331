//! Fleets (issue 17), through the binary on real files: hundreds of tenants
//! with their own rows and starting revisions, a tenant whose data fails
//! the revision, a kill -9 in the middle of a run and the rerun, a list
//! file with a missing path, a tenant altered by hand, JSON, canaries.

mod support;

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde_json::Value;
use support::{autogen, text};

const R1: &str = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, n INTEGER);
CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, rev TEXT NOT NULL);";
const R2: &str = "ALTER TABLE notes ADD COLUMN tag TEXT;\nINSERT INTO log (rev) VALUES ('r2');";
/// A rebuild that makes `n` NOT NULL: a tenant with a NULL `n` fails it.
const R3: &str = "CREATE TABLE notes_new (id INTEGER PRIMARY KEY, body TEXT, n INTEGER NOT NULL, tag TEXT);
INSERT INTO notes_new (id, body, n, tag) SELECT id, body, n, tag FROM notes;
DROP TABLE notes;
ALTER TABLE notes_new RENAME TO notes;
CREATE INDEX ix_notes_tag ON notes (tag);
INSERT INTO log (rev) VALUES ('r3');";
const R3_DOWN: &str = "DROP INDEX ix_notes_tag;
CREATE TABLE notes_old (id INTEGER PRIMARY KEY, body TEXT, n INTEGER, tag TEXT);
INSERT INTO notes_old (id, body, n, tag) SELECT id, body, n, tag FROM notes;
DROP TABLE notes;
ALTER TABLE notes_old RENAME TO notes;
DELETE FROM log WHERE rev = 'r3';";

const MODEL: &str = "tables:
  - name: notes
    columns:
      - {name: id, type: INTEGER, primary_key: true}
      - {name: body, type: TEXT}
      - {name: n, type: INTEGER, nullable: false}
      - {name: tag, type: TEXT}
    indexes:
      - {name: ix_notes_tag, columns: [tag]}
  - name: log
    columns:
      - {name: id, type: INTEGER, primary_key: true, autoincrement: true}
      - {name: rev, type: TEXT, nullable: false}
";

/// A project whose `fleet:` is `tenants/*.db`, with revisions r1..r3.
struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    fn new() -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("autogen.yaml"),
            "schema: model.yaml\nversions: versions\nfleet: tenants/*.db\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("model.yaml"), MODEL).unwrap();
        std::fs::create_dir_all(dir.path().join("versions")).unwrap();
        std::fs::create_dir_all(dir.path().join("tenants")).unwrap();
        let fleet = Fleet { dir };
        fleet.revision("r1", "", R1, "DROP TABLE log; DROP TABLE notes;");
        fleet.revision("r2", "r1", R2, "DELETE FROM log WHERE rev = 'r2'; ALTER TABLE notes DROP COLUMN tag;");
        fleet.revision("r3", "r2", R3, R3_DOWN);
        fleet
    }

    fn revision(&self, id: &str, parent: &str, up: &str, down: &str) {
        let text = format!(
            "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {parent}\n-- Create Date: 2026-12-03 10:00:00\n\n\
             -- migrate:up\n{up}\n\n-- migrate:down\n{down}\n"
        );
        std::fs::write(self.dir.path().join(format!("versions/{id}.sql")), text).unwrap();
    }

    fn tenant(&self, n: usize) -> PathBuf {
        self.dir.path().join(format!("tenants/t{n:04}.db"))
    }

    /// `count` tenants, each brought to `at` by a single-database upgrade,
    /// with `rows(i)` notes each (n = the row number).
    fn tenants(&self, count: usize, at: impl Fn(usize) -> &'static str, rows: impl Fn(usize) -> usize) {
        // One template per starting revision, then copies: fast for a thousand.
        let mut templates: Vec<(&str, PathBuf)> = Vec::new();
        for i in 0..count {
            let rev = at(i);
            if !templates.iter().any(|(r, _)| *r == rev) {
                let path = self.dir.path().join(format!("template_{rev}.db"));
                let out = self.run(&["--database", path.to_str().unwrap(), "upgrade", rev]);
                assert!(out.status.success(), "{}", text(&out.stderr));
                templates.push((rev, path));
            }
            let template = &templates.iter().find(|(r, _)| *r == rev).unwrap().1;
            std::fs::copy(template, self.tenant(i)).unwrap();
            let conn = Connection::open(self.tenant(i)).unwrap();
            conn.execute_batch("BEGIN").unwrap();
            for r in 0..rows(i) {
                conn.execute(
                    "INSERT INTO notes (id, body, n) VALUES (?1, ?2, ?1)",
                    (r as i64 + 1, format!("t{i} r{r}")),
                )
                .unwrap();
            }
            conn.execute_batch("COMMIT").unwrap();
        }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        autogen(self.dir.path()).args(args).output().unwrap()
    }
}

fn heads(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let Ok(mut stmt) = conn.prepare("SELECT version_num FROM autogen_version ORDER BY 1") else { return Vec::new() };
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn notes(path: &Path) -> Vec<(i64, String, Option<i64>)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT id, body, n FROM notes ORDER BY id").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

fn log(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT rev FROM log ORDER BY id").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    text(out).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

#[test]
fn hundreds_of_tenants_from_different_revisions_all_reach_head_with_every_row() {
    let f = Fleet::new();
    f.tenants(300, |i| ["r1", "r2", "r3"][i % 3], |i| i % 7);
    let before: Vec<_> = (0..300).map(|i| notes(&f.tenant(i))).collect();
    let out = f.run(&["upgrade", "head", "--fleet", "tenants/*.db", "--jobs", "2"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Fleet: 300 databases in 3 groups"), "{err}");
    assert!(err.contains("Upgraded 200 databases, 100 already at head, 0 failed"), "{err}");
    for (i, rows) in before.iter().enumerate() {
        let t = f.tenant(i);
        assert_eq!(heads(&t), ["r3"], "tenant {i}");
        assert_eq!(&notes(&t), rows, "tenant {i}: every row, every value");
        assert_eq!(log(&t), ["r2", "r3"], "tenant {i}: each revision ran once");
        support::assert_healthy(&Connection::open(&t).unwrap(), &format!("tenant {i}"));
    }
    let current = text(&f.run(&["current", "--fleet", "tenants/*.db"]).stdout);
    assert_eq!(current, "300 databases at r3 (head)\n");
    let out = f.run(&["check"]);
    assert!(out.status.success(), "`fleet:` in the config is the default: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("300 of 300 databases match the model at head; 0 differ."));
    // Down one revision everywhere, and up again.
    let out = f.run(&["downgrade", "-1", "--fleet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!((0..300).all(|i| heads(&f.tenant(i)) == ["r2"]));
    assert!(f.run(&["upgrade", "--fleet"]).status.success());
    assert!((0..300).all(|i| log(&f.tenant(i)) == ["r2", "r3"] && notes(&f.tenant(i)) == before[i]));
}

#[test]
fn a_tenant_whose_rows_fail_is_isolated_named_and_untouched() {
    let f = Fleet::new();
    f.tenants(40, |_| "r2", |_| 3);
    let bad = f.tenant(17);
    Connection::open(&bad).unwrap().execute_batch("UPDATE notes SET n = NULL WHERE id = 2").unwrap();
    let bad_before =
        (support::dump(&Connection::open(&bad).unwrap()), support::stored_sql(&Connection::open(&bad).unwrap()));
    let out = f.run(&["upgrade", "--fleet", "--keep-going", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("failed: tenants/t0017.db: revision `r3`"), "{err}");
    assert!(err.contains("NOT NULL constraint failed"), "{err}");
    assert!(err.contains("Upgraded 39 databases, 0 already at head, 1 failed"), "{err}");
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 40);
    let failed: Vec<&Value> = lines.iter().filter(|l| l["result"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["path"], "tenants/t0017.db");
    assert_eq!(failed[0]["from"], serde_json::json!(["r2"]));
    let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["path", "from", "to", "result", "error", "time"]);
    let after =
        (support::dump(&Connection::open(&bad).unwrap()), support::stored_sql(&Connection::open(&bad).unwrap()));
    assert_eq!(after, bad_before, "the failed tenant is exactly as it was");
    assert!((0..40).filter(|i| *i != 17).all(|i| heads(&f.tenant(i)) == ["r3"]));
}

#[test]
fn without_keep_going_the_first_failure_stops_new_tenants() {
    let f = Fleet::new();
    f.tenants(200, |_| "r2", |_| 2);
    Connection::open(f.tenant(3)).unwrap().execute_batch("UPDATE notes SET n = NULL").unwrap();
    let out = f.run(&["upgrade", "--fleet", "--jobs", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("Upgraded 3 databases, 0 already at head, 1 failed, 196 not started"), "{err}");
    assert!((4..200).all(|i| heads(&f.tenant(i)) == ["r2"]), "nothing after the failure started");
}

#[test]
fn a_group_whose_rehearsal_fails_touches_nothing() {
    let f = Fleet::new();
    // t0000..t0009 at r2 without the `log` table r3 writes to: r3 fails on
    // their schema, whatever their rows (a member's own rows fail only that
    // member: tests/planned_elsewhere.rs); t0010..t0014 at r1, fine.
    f.tenants(15, |i| if i < 10 { "r2" } else { "r1" }, |_| 2);
    for i in 0..10 {
        Connection::open(f.tenant(i)).unwrap().execute_batch("DROP TABLE log").unwrap();
    }
    let out = f.run(&["upgrade", "--fleet"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("the rehearsal failed for 1 group, so no database was touched")
            && err.contains("10 databases at r2 (for example `tenants/t0000.db`)"),
        "{err}"
    );
    assert!((0..10).all(|i| heads(&f.tenant(i)) == ["r2"]) && (10..15).all(|i| heads(&f.tenant(i)) == ["r1"]));
    // --keep-going runs the groups whose rehearsal passed; the others fail
    // one by one, untouched, each with an object of its own.
    let out = f.run(&["upgrade", "--fleet", "--keep-going", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 15, "{}", text(&out.stdout));
    let failed: Vec<&Value> = lines.iter().filter(|l| l["result"] == "failed").collect();
    assert_eq!(failed.len(), 10, "{lines:?}");
    assert!(failed.iter().all(|l| l["error"].as_str().unwrap_or("").contains("not run: the rehearsal")), "{failed:?}");
    assert!((0..10).all(|i| heads(&f.tenant(i)) == ["r2"]));
    assert!((10..15).all(|i| heads(&f.tenant(i)) == ["r3"]));
    assert!((10..15).all(|i| notes(&f.tenant(i)).len() == 2));
}

#[test]
fn a_kill_in_the_middle_then_a_rerun_applies_each_revision_exactly_once() {
    let f = Fleet::new();
    f.tenants(1000, |_| "r1", |i| i % 5);
    let mut child = autogen(f.dir.path())
        .args(["upgrade", "--fleet", "--jobs", "2", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill -9 once 50 tenants are done: the rest are mid-way or not started.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for _ in 0..50 {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0, "the run ended early");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_head = (0..1000).filter(|i| heads(&f.tenant(*i)) == ["r3"]).count();
    assert!(at_head < 1000, "the kill came after the end: the test proves nothing");
    let out = f.run(&["upgrade", "--fleet", "--jobs", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for i in 0..1000 {
        let t = f.tenant(i);
        assert_eq!(heads(&t), ["r3"], "tenant {i}");
        assert_eq!(log(&t), ["r2", "r3"], "tenant {i}: one row per revision");
        assert_eq!(notes(&t).len(), i % 5, "tenant {i}");
        let conn = Connection::open(&t).unwrap();
        let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok", "tenant {i}");
    }
}

#[test]
fn a_list_file_with_a_missing_path_is_an_error_before_anything_runs() {
    let f = Fleet::new();
    f.tenants(3, |_| "r1", |_| 1);
    std::fs::write(
        f.dir.path().join("fleet.txt"),
        "# tenants\ntenants/t0000.db\nsqlite:///tenants/t0001.db\n\ntenants/gone.db\ntenants/t0002.db\n",
    )
    .unwrap();
    let out = f.run(&["upgrade", "--fleet", "@fleet.txt"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("fleet.txt:5: database `tenants/gone.db` does not exist"), "{err}");
    assert!((0..3).all(|i| heads(&f.tenant(i)) == ["r1"]), "nothing ran");
    assert!(!f.dir.path().join("tenants/gone.db").exists(), "nothing was created");
    std::fs::write(f.dir.path().join("fleet.txt"), "tenants/t0000.db\nsqlite:///tenants/t0001.db\n").unwrap();
    assert!(f.run(&["upgrade", "--fleet", "@fleet.txt"]).status.success());
    assert_eq!([heads(&f.tenant(0)), heads(&f.tenant(1)), heads(&f.tenant(2))], [vec!["r3"], vec!["r3"], vec!["r1"]]);
    let out = f.run(&["upgrade", "--fleet", "nowhere/*.db"]);
    assert!(text(&out.stderr).contains("no database matches the fleet `nowhere/*.db`"), "{}", text(&out.stderr));
}

#[test]
fn check_finds_the_tenant_altered_by_hand() {
    let f = Fleet::new();
    f.tenants(20, |_| "r3", |_| 1);
    Connection::open(f.tenant(7)).unwrap().execute_batch("CREATE INDEX hand_made ON notes (body)").unwrap();
    let out = f.run(&["check", "--fleet"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "tenants/t0007.db: 1 difference: drop index `hand_made` on `notes`\n");
    assert!(text(&out.stderr).contains("19 of 20 databases match the model at head; 1 differ."));
    let lines = json_lines(&f.run(&["check", "--fleet", "--format", "json"]).stdout);
    assert_eq!(lines.len(), 20);
    assert_eq!(lines[7]["changes"], serde_json::json!(["drop index `hand_made` on `notes`"]));
    assert_eq!(lines[6]["changes"], serde_json::json!([]));
}

#[test]
fn a_failing_canary_stops_the_rest() {
    let f = Fleet::new();
    f.tenants(30, |_| "r2", |_| 2);
    Connection::open(f.tenant(1)).unwrap().execute_batch("UPDATE notes SET n = NULL").unwrap();
    let out = f.run(&["upgrade", "--fleet", "--canary", "3", "--keep-going"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("2 databases, 0 already at head, 1 failed, 27 not started (a canary failed)"), "{err}");
    assert!((3..30).all(|i| heads(&f.tenant(i)) == ["r2"]));
    let out = f.run(&["upgrade", "--sql", "--fleet"]);
    assert_eq!(out.status.code(), Some(2), "--sql with a fleet is a usage error");
}
