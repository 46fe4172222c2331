//! The engine's part of `upgrade --online` (issue 28; sqlite.md, "Copying
//! a table while it is written"): a shadow table filled in short chunks
//! while another connection, as the app would, inserts, updates, deletes,
//! moves keys, and writes with INSERT OR REPLACE and upserts, with its own
//! busy timeout of 5 s and foreign keys on. Every app statement must
//! succeed, and after the swap the table must hold exactly the start
//! transformed by the change with every app write applied, row by row.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection};

/// The start: `items` with a unique `code`, and a change that SQLite
/// cannot ALTER: `price` from TEXT to REAL, `note` dropped, `qty` added
/// with a default.
const START: &str = "PRAGMA journal_mode = WAL;
CREATE TABLE items (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, price TEXT, note TEXT);
CREATE INDEX ix_items_price ON items (price);
CREATE TABLE tags (id INTEGER PRIMARY KEY, item INTEGER REFERENCES items (id) ON DELETE CASCADE, tag TEXT);
CREATE TABLE audit (item INTEGER);
CREATE TRIGGER items_deleted AFTER DELETE ON items BEGIN INSERT INTO audit VALUES (OLD.id); END;";

fn rebuild() -> autogen::OnlineRebuild {
    autogen::OnlineRebuild {
        table: "items".into(),
        columns: vec!["id".into(), "code".into(), "price".into(), "qty".into()],
        values: vec!["\"id\"".into(), "\"code\"".into(), "CAST(\"price\" AS REAL)".into(), "0".into()],
        definition: "(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, price REAL, qty INTEGER NOT NULL DEFAULT 0)"
            .into(),
        // The live table's index of that name stays in use until the swap.
        indexes: vec![autogen::ShadowIndex {
            name: "ix_items_price".into(),
            sql: "CREATE INDEX \"ix_items_price\" ON \"items\" (price)".into(),
        }],
    }
}

/// What a row becomes: (code, price as REAL, qty).
type Row = (String, Option<f64>, i64);

fn transformed(price: &Option<String>) -> Option<f64> {
    price.as_ref().map(|p| p.parse::<f64>().unwrap_or(0.0))
}

/// The app: a deterministic mix of every kind of write, each applied to
/// the reference model too; it names only columns both definitions have
/// (deployed before the revision, as a dropped column asks), and writes on
/// through the swap. Returns the statements that failed.
fn app(
    path: std::path::PathBuf,
    stop: Arc<AtomicBool>,
    model: Arc<std::sync::Mutex<BTreeMap<i64, Row>>>,
) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let mut failed = Vec::new();
    let mut i: i64 = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let mut m = model.lock().unwrap();
        let price = format!("{}.5", i % 97);
        let result = match i % 6 {
            // A new row.
            0 => conn
                .execute("INSERT INTO items (code, price) VALUES (?1, ?2)", params![format!("new{i}"), price])
                .map(|_| {
                    let id = conn.last_insert_rowid();
                    m.insert(id, (format!("new{i}"), transformed(&Some(price.clone())), 0));
                }),
            // An update of a row that may not be copied yet.
            1 => {
                let id = (i * 7919) % 19_000 + 1;
                conn.execute("UPDATE items SET price = ?1 WHERE id = ?2", params![price, id]).map(|_| {
                    if let Some(row) = m.get_mut(&id) {
                        row.1 = transformed(&Some(price.clone()));
                    }
                })
            }
            // A delete.
            2 => {
                let id = (i * 104_729) % 19_000 + 1;
                conn.execute("DELETE FROM items WHERE id = ?1", params![id]).map(|_| {
                    m.remove(&id);
                })
            }
            // A key moved (the rowid changes).
            3 => {
                let id = (i * 31) % 19_000 + 1;
                let to = 1_000_000 + i;
                conn.execute("UPDATE items SET id = ?1 WHERE id = ?2", params![to, id]).map(|_| {
                    if let Some(row) = m.remove(&id) {
                        m.insert(to, row);
                    }
                })
            }
            // INSERT OR REPLACE on the unique code of another row: SQLite
            // deletes that row without a DELETE trigger.
            4 => {
                let victim = (i * 613) % 19_000 + 1;
                let code = m.get(&victim).map(|r| r.0.clone()).unwrap_or_else(|| format!("c{victim}"));
                conn.execute("INSERT OR REPLACE INTO items (code, price) VALUES (?1, ?2)", params![code, price]).map(
                    |_| {
                        m.retain(|_, r| r.0 != code);
                        m.insert(conn.last_insert_rowid(), (code.clone(), transformed(&Some(price.clone())), 0));
                    },
                )
            }
            // An upsert.
            _ => {
                let code = format!("c{}", (i * 17) % 19_000 + 1);
                conn.execute(
                    "INSERT INTO items (code, price) VALUES (?1, ?2) ON CONFLICT (code) DO UPDATE SET price = excluded.price",
                    params![code, price],
                )
                .map(|_| match m.iter_mut().find(|(_, r)| r.0 == code) {
                    Some((_, row)) => row.1 = transformed(&Some(price.clone())),
                    None => {
                        m.insert(conn.last_insert_rowid(), (code.clone(), transformed(&Some(price.clone())), 0));
                    }
                })
            }
        };
        if let Err(e) = result {
            failed.push(format!("write {i}: {e}"));
        }
        drop(m);
        std::thread::sleep(Duration::from_micros(300));
    }
    failed
}

#[test]
fn a_table_rebuilt_online_keeps_every_write_of_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(START).unwrap();
    let mut model = BTreeMap::new();
    conn.execute_batch("BEGIN").unwrap();
    for id in 1..=20_000i64 {
        let price = (id % 50 != 0).then(|| format!("{}.25", id % 1000));
        conn.execute("INSERT INTO items VALUES (?1, ?2, ?3, 'x')", params![id, format!("c{id}"), price]).unwrap();
        model.insert(id, (format!("c{id}"), transformed(&price), 0));
    }
    // Children of rows the app never touches (its writes pick ids up to
    // 19,000): dropping the old table must not take them.
    for id in 19_990..=20_000i64 {
        conn.execute("INSERT INTO tags (item, tag) VALUES (?1, 't')", [id]).unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();

    let model = Arc::new(std::sync::Mutex::new(model));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (path, stop, model) = (path.clone(), stop.clone(), model.clone());
        std::thread::spawn(move || app(path, stop, model))
    };
    let r = rebuild();
    r.prepare(&conn).unwrap();
    // Chunks of 5 ms, so that 20,000 rows take many of them.
    let pace = autogen::OnlinePace { chunk: Duration::from_millis(5), pause: Duration::from_millis(2) };
    let mut reports = 0;
    let mut last = 0;
    let copied = r
        .copy_all(&conn, pace, |so_far, chunk| {
            reports += 1;
            assert_eq!(so_far.rows, last + chunk.rows, "the progress adds up");
            last = so_far.rows;
        })
        .unwrap();
    let (chunks, longest) = (copied.chunks, copied.longest);
    assert_eq!(reports, chunks);
    assert!(copied.rows >= 19_000, "{copied:?}");
    // The app keeps writing a little after the copy, through the mirror alone.
    std::thread::sleep(Duration::from_millis(200));
    conn.execute_batch("PRAGMA foreign_keys = ON; BEGIN IMMEDIATE").unwrap();
    assert!(matches!(r.swap(&conn), Err(autogen::OnlineError::ForeignKeysOn(_))));
    conn.execute_batch("ROLLBACK; PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE").unwrap();
    r.swap(&conn).unwrap();
    conn.execute_batch("COMMIT").unwrap();
    stop.store(true, Ordering::Relaxed);
    // The old table waits aside; the children's foreign keys name the new one.
    let parent: String =
        conn.query_row("SELECT \"table\" FROM pragma_foreign_key_list('tags')", [], |r| r.get(0)).unwrap();
    assert_eq!(parent, "items");
    let audited: i64 = conn.query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).unwrap();
    let removed = r.remove_old(&conn, autogen::OnlinePace::default()).unwrap();
    assert!(removed >= 19_000, "{removed}");
    // Emptying the old table fired none of the app's triggers.
    let audited_after: i64 = conn.query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).unwrap();
    assert_eq!(audited_after, audited);
    assert_eq!(r.remove_old(&conn, autogen::OnlinePace::default()).unwrap(), 0, "nothing left to remove");
    let failed = writer.join().unwrap();
    assert!(failed.is_empty(), "app statements failed: {failed:?}");
    assert!(chunks >= 5, "{chunks} chunks");

    let rows: BTreeMap<i64, Row> = conn
        .prepare("SELECT id, code, price, qty FROM items")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let model = model.lock().unwrap();
    assert_eq!(rows.len(), model.len(), "row count");
    for (id, want) in model.iter() {
        assert_eq!(rows.get(id), Some(want), "row {id}");
    }
    // The new definition and its index, and nothing of the rebuild left.
    let objects: Vec<String> =
        column(&conn, "SELECT type || ' ' || name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY 1");
    assert_eq!(objects, ["index ix_items_price", "table audit", "table autogen_online", "table items", "table tags"]);
    let index: String =
        conn.query_row("SELECT sql FROM sqlite_schema WHERE name = 'ix_items_price'", [], |r| r.get(0)).unwrap();
    assert_eq!(index, "CREATE INDEX \"ix_items_price\" ON \"items\" (price)");
    let plan: String =
        conn.query_row("EXPLAIN QUERY PLAN SELECT id FROM items WHERE price = 3.25", [], |r| r.get(3)).unwrap();
    assert!(
        plan.contains("USING INDEX ix_items_price") || plan.contains("USING COVERING INDEX ix_items_price"),
        "{plan}"
    );
    let sql: String = conn.query_row("SELECT sql FROM sqlite_schema WHERE name = 'items'", [], |r| r.get(0)).unwrap();
    assert!(sql.contains("price REAL") && sql.contains("qty INTEGER"), "{sql}");
    let left: i64 = conn.query_row("SELECT count(*) FROM autogen_online", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 0);
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let violations: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    let children: i64 = conn.query_row("SELECT count(*) FROM tags", [], |r| r.get(0)).unwrap();
    assert_eq!((violations, children), (0, 11));
    eprintln!("{chunks} chunks, the longest held the lock {longest:?}");
}

#[test]
fn an_aborted_or_interrupted_rebuild_leaves_the_app_table_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(START).unwrap();
    conn.execute_batch("INSERT INTO items (code, price) SELECT 'c' || value, value FROM generate_series(1, 3000)")
        .unwrap_or_else(|_| {
            for i in 1..=3000 {
                conn.execute("INSERT INTO items (code, price) VALUES (?1, ?2)", params![format!("c{i}"), i]).unwrap();
            }
        });
    let before: Vec<String> = dump(&conn);
    let r = rebuild();
    r.prepare(&conn).unwrap();
    r.copy_chunk(&conn, 1000).unwrap();
    // A second run (after a kill) carries on: prepare again is a no-op,
    // and the copy goes on from the recorded rowid.
    drop(conn);
    let conn = Connection::open(&path).unwrap();
    r.prepare(&conn).unwrap();
    let copied: i64 = conn.query_row("SELECT copied FROM autogen_online", [], |r| r.get(0)).unwrap();
    assert_eq!(copied, 1000);
    let chunk = r.copy_chunk(&conn, 1000).unwrap();
    assert_eq!((chunk.rows, chunk.done), (1000, false));
    r.abort(&conn).unwrap();
    assert_eq!(dump(&conn), before);
    // A run that would carry on another plan's copy is refused.
    r.prepare(&conn).unwrap();
    let mut other = rebuild();
    other.values[3] = "1".into();
    let error = other.prepare(&conn).unwrap_err().to_string();
    assert!(error.contains("autogen upgrade --online --abort"), "{error}");
    r.abort(&conn).unwrap();
    // A column named rowid hides the rowid the copy goes by: refused.
    let mut hidden = rebuild();
    hidden.table = "odd".into();
    conn.execute_batch("CREATE TABLE odd (\"rowid\" TEXT, price TEXT)").unwrap();
    assert!(matches!(hidden.prepare(&conn), Err(autogen::OnlineError::RowidColumn(_))));
    conn.execute_batch("DROP TABLE odd").unwrap();
    // A rollback journal: refused, with what to do.
    let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "delete");
    let error = rebuild().prepare(&conn).unwrap_err().to_string();
    assert!(error.contains("`delete` journal mode") && error.contains("PRAGMA journal_mode = WAL"), "{error}");
    assert_eq!(dump(&conn), before);
    let left: Vec<String> =
        column(&conn, "SELECT name FROM sqlite_schema WHERE name LIKE '\\_autogen\\_online%' ESCAPE '\\'");
    assert!(left.is_empty(), "{left:?}");
}

/// The first column of every row `sql` returns.
fn column<T: rusqlite::types::FromSql>(conn: &Connection, sql: &str) -> Vec<T> {
    conn.prepare(sql).unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn dump(conn: &Connection) -> Vec<String> {
    column(conn, "SELECT id || '|' || code || '|' || quote(price) || '|' || quote(note) FROM items ORDER BY id")
}

/// While a rebuild runs (and after a kill leaves it half done), its
/// shadow, its triggers and its progress table are autogen's own: `diff`
/// and `check` against the model of the live table see no change.
#[test]
fn a_rebuild_in_progress_is_not_part_of_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(START).unwrap();
    for i in 1..=300 {
        conn.execute("INSERT INTO items (code, price) VALUES (?1, ?2)", params![format!("c{i}"), i]).unwrap();
    }
    let model = dir.path().join("model.sql");
    std::fs::write(&model, START.replace("PRAGMA journal_mode = WAL;", "")).unwrap();
    let r = rebuild();
    r.prepare(&conn).unwrap();
    r.copy_chunk(&conn, 100).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_autogen"))
        .current_dir(dir.path())
        .args(["--schema", "model.sql", "--database", "app.db", "diff"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("No changes"), "{said}{}", String::from_utf8_lossy(&out.stderr));
}

/// The swap compares the rows the mirror wrote with what the revision's
/// expressions make of the live rows: a shadow row that differs (here
/// spoilt by hand, as a wrong mirror would) stops the swap, nothing done.
#[test]
fn a_mirrored_row_that_differs_stops_the_swap() {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("app.db")).unwrap();
    conn.execute_batch(START).unwrap();
    for i in 1..=500 {
        conn.execute("INSERT INTO items (code, price) VALUES (?1, ?2)", params![format!("c{i}"), i]).unwrap();
    }
    let r = rebuild();
    r.prepare(&conn).unwrap();
    r.copy_all(&conn, autogen::OnlinePace::default(), |_, _| {}).unwrap();
    // The app writes after the copy: these rows reach the shadow through the mirror alone.
    conn.execute_batch(
        "UPDATE items SET price = '9.75' WHERE id <= 10; DELETE FROM items WHERE id BETWEEN 11 AND 20; \
         INSERT INTO items (code, price) VALUES ('late', '1.5');",
    )
    .unwrap();
    let before = dump(&conn);
    conn.execute_batch("UPDATE _autogen_online_items SET price = -1 WHERE id = 3").unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE").unwrap();
    let error = r.swap(&conn).unwrap_err();
    conn.execute_batch("ROLLBACK").unwrap();
    assert!(matches!(error, autogen::OnlineError::Mirror { rows: 2, .. }), "{error}");
    assert!(error.to_string().contains("differ between the table and the shadow"), "{error}");
    assert_eq!(dump(&conn), before);
    // Put right, the same swap goes through.
    conn.execute_batch("UPDATE _autogen_online_items SET price = 9.75 WHERE id = 3; BEGIN IMMEDIATE").unwrap();
    r.swap(&conn).unwrap();
    conn.execute_batch("COMMIT").unwrap();
    let prices: Vec<Option<f64>> = column(&conn, "SELECT price FROM items WHERE id <= 3");
    assert_eq!(prices, [Some(9.75); 3]);
}

/// Rowids may be negative, down to the lowest 64-bit integer: the first
/// chunk starts below every one of them.
#[test]
fn the_lowest_rowid_is_copied_too() {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("app.db")).unwrap();
    conn.execute_batch(START).unwrap();
    conn.execute("INSERT INTO items (id, code, price) VALUES (?1, 'lowest', '1')", [i64::MIN]).unwrap();
    conn.execute("INSERT INTO items (id, code, price) VALUES (-5, 'negative', '2')", []).unwrap();
    let r = rebuild();
    r.prepare(&conn).unwrap();
    let copied =
        r.copy_all(&conn, autogen::OnlinePace { chunk: Duration::from_millis(5), pause: Duration::ZERO }, |_, _| {});
    assert_eq!(copied.unwrap().rows, 2);
    conn.execute_batch("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE").unwrap();
    r.swap(&conn).unwrap();
    conn.execute_batch("COMMIT").unwrap();
    let ids: Vec<i64> = column(&conn, "SELECT id FROM items ORDER BY id");
    assert_eq!(ids, [i64::MIN, -5]);
}
