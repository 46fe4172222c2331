//! Cloudflare D1, for real: wrangler's local D1 (Cloudflare's workerd
//! runtime), driven through the binary exactly as a user would, with every
//! table read back through wrangler. wrangler comes from `tests/d1`'s
//! lockfile (`npm ci`, which `.ci/run` runs and these tests run when it has
//! not been). Each wrangler call takes about 1.7 s, so each test does what
//! it checks in as few calls as it can.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use support::{text, FAMILY, FAMILY_ROWS};

/// The pinned wrangler, installed from the lockfile on first use.
fn wrangler() -> &'static Path {
    static WRANGLER: OnceLock<PathBuf> = OnceLock::new();
    WRANGLER.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("d1");
        let bin = dir.join("node_modules").join(".bin").join("wrangler");
        if !bin.is_file() {
            let out = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .output()
                .unwrap_or_else(|e| panic!("the D1 tests need npm (Node 20) to install wrangler: {e}"));
            assert!(out.status.success(), "npm ci in tests/d1 failed: {}", text(&out.stderr));
        }
        bin
    })
}

/// A Workers project with one D1 database `app`, and autogen configured for it.
struct D1Project {
    dir: tempfile::TempDir,
}

const WRANGLER_TOML: &str = r#"name = "autogen-test"
compatibility_date = "2025-01-01"
[[d1_databases]]
binding = "DB"
database_name = "app"
database_id = "00000000-0000-4000-8000-000000000001"
"#;

impl D1Project {
    /// `model` is the model as CREATE statements (a `.sql` model).
    fn new(model: &str) -> D1Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("wrangler.toml"), WRANGLER_TOML).unwrap();
        std::fs::write(
            dir.path().join("autogen.yaml"),
            format!(
                "database: d1://app\nschema: model.sql\nversions: versions\nd1:\n  wrangler: {}\n",
                wrangler().display()
            ),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("versions")).unwrap();
        let p = D1Project { dir };
        p.set_model(model);
        p
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn set_model(&self, model: &str) {
        std::fs::write(self.path().join("model.sql"), model).unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        support::autogen(self.path()).args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "autogen {args:?}: {}{}", text(&out.stdout), text(&out.stderr));
        text(&out.stdout) + &text(&out.stderr)
    }

    /// Runs SQL on the local D1 through wrangler itself: each statement's rows.
    fn wrangler(&self, sql: &str) -> Vec<Vec<serde_json::Value>> {
        let config = self.path().join(".wrangler-config");
        let out = Command::new(wrangler())
            .args(["d1", "execute", "app", "--local", "--json", "--command", sql])
            .current_dir(self.path())
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("XDG_CONFIG_HOME", &config)
            .env("WRANGLER_LOG_PATH", config.join("log.log"))
            .env_remove("WRANGLER_LOG")
            .output()
            .unwrap();
        assert!(out.status.success(), "wrangler: {}{}", text(&out.stdout), text(&out.stderr));
        let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        results.iter().map(|r| r["results"].as_array().cloned().unwrap_or_default()).collect()
    }

    /// Every row of every table (rowids and exact values, through
    /// `quote()`), the AUTOINCREMENT counters, the stored schema and
    /// `foreign_key_check`, in one wrangler call.
    fn state(&self, tables: &[&str]) -> State {
        let mut columns = self.wrangler(
            &tables
                .iter()
                .map(|t| format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid"))
                .chain(["SELECT count(*) AS n FROM sqlite_schema WHERE name = 'sqlite_sequence'".to_string()])
                .collect::<Vec<_>>()
                .join("; "),
        );
        let counters = columns.pop().unwrap()[0]["n"] == 1;
        let mut sql: Vec<String> = tables
            .iter()
            .zip(&columns)
            .map(|(t, cols)| {
                let quoted: Vec<String> =
                    cols.iter().map(|c| format!("quote(\"{}\")", c["name"].as_str().unwrap())).collect();
                format!(
                    "SELECT '{t} ' || coalesce(group_concat(r, ' | '), '') AS rows FROM (SELECT quote(rowid) || ':' \
                     || {} AS r FROM \"{t}\" ORDER BY rowid)",
                    quoted.join(" || ',' || ")
                )
            })
            .collect();
        sql.push(if counters {
            "SELECT group_concat(name || '=' || seq, ' ') AS seq FROM sqlite_sequence".into()
        } else {
            "SELECT 'none' AS seq".into()
        });
        sql.push(
            "SELECT group_concat(name, ' ') AS s FROM (SELECT name FROM sqlite_schema WHERE name NOT LIKE '\\_cf\\_%' \
             ESCAPE '\\' ORDER BY name)"
                .into(),
        );
        sql.push("SELECT count(*) AS n FROM pragma_foreign_key_check".into());
        let results = self.wrangler(&sql.join("; "));
        let value = |i: usize, key: &str| results[i][0][key].to_string();
        let n = tables.len();
        State {
            rows: (0..n).map(|i| value(i, "rows")).collect(),
            sequences: value(n, "seq"),
            objects: value(n + 1, "s"),
            broken_keys: value(n + 2, "n"),
        }
    }
}

#[derive(Debug, PartialEq)]
struct State {
    rows: Vec<String>,
    sequences: String,
    objects: String,
    broken_keys: String,
}

const FAMILY_TABLES: &[&str] =
    &["p", "c_cascade", "c_setnull", "c_setdefault", "c_restrict", "c_noaction", "g", "audit"];

#[test]
fn rebuilding_a_parent_and_a_child_on_d1_keeps_every_row() {
    let p = D1Project::new(FAMILY);
    p.ok(&["revision", "--autogenerate", "-m", "family"]);
    p.ok(&["upgrade"]);
    p.wrangler(FAMILY_ROWS);
    let start = p.state(FAMILY_TABLES);
    assert_eq!(start.broken_keys, "0");
    assert!(start.rows[1].contains("X'00FF'") && start.sequences.contains("p=7"), "{start:?}");

    // Two related tables rebuilt in one revision: the parent and a child.
    p.set_model(
        &FAMILY
            .replace("name TEXT NOT NULL", "name VARCHAR(100) NOT NULL")
            .replace("ON DELETE CASCADE, note TEXT", "ON DELETE CASCADE, note BLOB"),
    );
    let written = p.ok(&["revision", "--autogenerate", "-m", "rebuild the parent"]);
    assert!(written.contains("Generating"), "{written}");
    p.ok(&["upgrade"]);
    let after = p.state(FAMILY_TABLES);
    assert_eq!(after.rows, start.rows, "the upgrade changed rows");
    assert_eq!(after.sequences, start.sequences, "the upgrade lost a counter");
    assert_eq!(after.objects, start.objects);
    assert_eq!(after.broken_keys, "0");
    assert!(p.ok(&["check"]).contains("No changes"));

    p.ok(&["downgrade", "-1"]);
    assert_eq!(p.state(FAMILY_TABLES), start, "the downgrade did not restore the start");
}

#[test]
fn rebuilding_the_middle_of_a_chain_on_d1_keeps_every_row() {
    let chain = "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);
        CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id) ON DELETE CASCADE, v TEXT);
        CREATE TABLE c (id INTEGER PRIMARY KEY, b_id INTEGER NOT NULL REFERENCES b(id) ON DELETE CASCADE, v TEXT);
        CREATE TABLE d (name TEXT, b_id INTEGER REFERENCES b(id) ON DELETE SET NULL);";
    let p = D1Project::new(chain);
    p.ok(&["revision", "--autogenerate", "-m", "chain"]);
    p.ok(&["upgrade"]);
    p.wrangler(
        "INSERT INTO a VALUES (1, 'a1'), (2, 'a2'); INSERT INTO b VALUES (10, 1, 'b1'), (11, 2, 'b2'); INSERT INTO c \
         VALUES (100, 10, 'c1'), (101, 11, 'c2'), (102, 11, NULL); INSERT INTO d VALUES ('d1', 10), ('d2', 11), \
         ('gone', 10); DELETE FROM d WHERE name = 'gone'; INSERT INTO d VALUES ('d3', NULL)",
    );
    let tables = ["a", "b", "c", "d"];
    let start = p.state(&tables);
    p.set_model(&chain.replace("a_id INTEGER", "a_id BIGINT"));
    p.ok(&["revision", "--autogenerate", "-m", "retype b.a_id"]);
    let up = p.ok(&["upgrade", "--sql"]);
    assert!(!up.contains("BEGIN;") && up.contains("PRAGMA defer_foreign_keys = ON;"), "{up}");
    p.ok(&["upgrade"]);
    let after = p.state(&tables);
    assert_eq!(after.rows, start.rows);
    assert_eq!(after.broken_keys, "0");
    assert!(p.ok(&["check"]).contains("No changes"));
    p.ok(&["downgrade", "-1"]);
    assert_eq!(p.state(&tables), start);
}

/// What Drizzle Kit, Prisma and the textbook procedure do on D1: rename
/// the parent's rebuild onto it, with foreign keys enforced. Run here on
/// the real D1, it deletes every ON DELETE CASCADE child, silently (the
/// README's reproduction); autogen's revision of the same change keeps them.
#[test]
fn the_textbook_rebuild_deletes_children_on_d1_and_autogen_does_not() {
    let schema = "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE);";
    let p = D1Project::new(schema);
    p.ok(&["revision", "--autogenerate", "-m", "init"]);
    p.ok(&["upgrade"]);
    let results = p.wrangler(
        "INSERT INTO p VALUES (1, 'a'), (2, 'b'); INSERT INTO c VALUES (10, 1), (11, 2);
         PRAGMA defer_foreign_keys = ON;
         CREATE TABLE p_new (id INTEGER PRIMARY KEY, name TEXT, extra TEXT);
         INSERT INTO p_new (id, name) SELECT id, name FROM p;
         DROP TABLE p;
         ALTER TABLE p_new RENAME TO p;
         SELECT count(*) AS children FROM c",
    );
    assert_eq!(results.last().unwrap()[0]["children"], 0, "the textbook rebuild kept the children?");

    // The same change, by autogen, on a fresh copy of the rows.
    p.wrangler("INSERT INTO c VALUES (10, 1), (11, 2)");
    p.set_model(
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name VARCHAR(50), extra TEXT);
        CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE);",
    );
    p.ok(&["revision", "--autogenerate", "-m", "extra"]);
    p.ok(&["upgrade"]);
    let results = p.wrangler("SELECT count(*) AS children FROM c");
    assert_eq!(results[0][0]["children"], 2);
}

/// Issue 25 on the real D1: an excluded table that references a rebuilt
/// one keeps its rows (held like the others), and a revision planned on
/// the database as it was refuses the database with a column added by
/// hand since, changing nothing, until the column is gone again.
#[test]
fn on_d1_excluded_children_are_kept_and_drift_refused() {
    let schema = "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";
    let p = D1Project::new(schema);
    let config = std::fs::read_to_string(p.path().join("autogen.yaml")).unwrap();
    std::fs::write(p.path().join("autogen.yaml"), format!("{config}exclude: [\"legacy_*\"]\n")).unwrap();
    p.ok(&["revision", "--autogenerate", "-m", "init"]);
    p.ok(&["upgrade"]);
    p.wrangler(
        "CREATE TABLE legacy_c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE); \
         CREATE TABLE legacy_n (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE SET NULL); \
         INSERT INTO p VALUES (1, 'a'), (2, 'b'); INSERT INTO legacy_c VALUES (10, 1), (11, 2); \
         INSERT INTO legacy_n VALUES (20, 1), (21, 2)",
    );
    let tables = ["p", "legacy_c", "legacy_n"];
    let start = p.state(&tables);
    p.set_model("CREATE TABLE p (id INTEGER PRIMARY KEY, name VARCHAR(9) NOT NULL);");
    p.ok(&["revision", "--autogenerate", "-m", "retype name"]);
    p.wrangler("ALTER TABLE p ADD COLUMN extra TEXT");
    let out = p.run(&["upgrade"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("`p` has a column `extra` the revision was not planned with"),
        "{}",
        text(&out.stderr)
    );
    p.wrangler("ALTER TABLE p DROP COLUMN extra");
    assert_eq!(p.state(&tables), start, "the refused revision changed something");
    p.ok(&["upgrade"]);
    let after = p.state(&tables);
    assert_eq!(after.rows, start.rows, "rows changed: the excluded children must be kept");
    assert_eq!(after.broken_keys, "0");
    p.ok(&["downgrade", "-1"]);
    assert_eq!(p.state(&tables).rows, start.rows);
}

#[test]
fn a_failing_revision_on_d1_leaves_the_database_as_it_was() {
    let p = D1Project::new("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);");
    p.ok(&["revision", "--autogenerate", "-m", "init", "--rev-id", "first"]);
    p.ok(&["upgrade"]);
    p.wrangler("INSERT INTO t VALUES (1, 'one'), (2, NULL)");
    let start = p.state(&["t"]);
    // A hand-written revision whose third statement fails on the data.
    p.ok(&["revision", "-m", "breaks", "--rev-id", "second"]);
    let file = std::fs::read_dir(p.path().join("versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|f| f.to_string_lossy().contains("second"))
        .unwrap();
    let revision = std::fs::read_to_string(&file).unwrap();
    let upgrade =
        "CREATE TABLE z (a);\nUPDATE t SET v = 'changed';\nCREATE TABLE t2 (v TEXT NOT NULL);\nINSERT INTO t2 \
        (v) VALUES ('fine'), (NULL);\n";
    std::fs::write(&file, revision.replacen("-- migrate:down", &format!("{upgrade}\n-- migrate:down"), 1)).unwrap();
    let out = p.run(&["upgrade"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("NOT NULL") && err.contains("second") && err.contains("rolled"), "{err}");
    assert_eq!(p.state(&["t"]), start, "the failed revision left something behind");
    assert_eq!(p.ok(&["current"]).trim(), "first (head)".replace(" (head)", ""), "the version table moved");
}

#[test]
fn d1_errors_name_the_database_the_config_and_what_to_do() {
    let p = D1Project::new("CREATE TABLE t (id INTEGER PRIMARY KEY);");
    let state = p.path().join(".wrangler");
    let check = |config: &str, args: &[&str], says: &[&str]| {
        std::fs::write(p.path().join("autogen.yaml"), config).unwrap();
        let out = p.run(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        for s in says {
            assert!(err.contains(s), "{args:?}: {err}");
        }
        assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    };
    let w = wrangler().display().to_string();
    check(
        &format!("database: d1://nosuch\nschema: model.sql\nversions: versions\nd1:\n  wrangler: {w}\n"),
        &["upgrade"],
        &["`nosuch`", "wrangler.toml", "d1_databases"],
    );
    check(
        "database: d1://app\nschema: model.sql\nversions: versions\nd1:\n  wrangler: /no/such/wrangler\n",
        &["diff"],
        &["cannot run wrangler", "/no/such/wrangler", "npm install"],
    );
    check(
        &format!("database: d1://app\nschema: model.sql\nversions: versions\nd1:\n  wrangler: {w}\n  remote: true\n"),
        &["current"],
        &["`app`", "CLOUDFLARE_API_TOKEN"],
    );
    check(
        &format!(
            "database: d1://app\nschema: model.sql\nversions: versions\nd1:\n  wrangler: {w}\n  config: nope.toml\n"
        ),
        &["diff"],
        &["nope.toml", "does not exist"],
    );
    assert!(!state.exists(), "an error created the local database");
}

#[test]
fn init_names_a_d1_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::autogen(dir.path()).args(["init", "--database", "d1://app"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let config = std::fs::read_to_string(dir.path().join("autogen.yaml")).unwrap();
    assert!(config.contains("database: d1://app") && config.contains("# d1:"), "{config}");
    // No wrangler config yet: the starter model, and nothing read from D1.
    assert!(dir.path().join("schemas/todo.yaml").is_file());
    assert!(!dir.path().join(".wrangler").exists());
    let empty = tempfile::tempdir().unwrap();
    let bad = support::autogen(empty.path()).args(["init", "--database", "d1://"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("names no D1 database"), "{}", text(&bad.stderr));
    assert!(!empty.path().join("autogen.yaml").exists());
}
