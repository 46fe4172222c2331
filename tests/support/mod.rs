//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use autogen::introspect::{self, Filter};
use autogen::schema::Schema;
use rusqlite::Connection;

/// `../shared/` beside the project.
pub fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// Every corpus script: (name, SQL).
pub fn corpus() -> Vec<(String, String)> {
    let dir = shared().join("corpus");
    let mut files = vec![dir.join("chinook.sql"), dir.join("northwind.sql")];
    let mut tests: Vec<PathBuf> = std::fs::read_dir(dir.join("sqlite_tests"))
        .expect("corpus folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    tests.sort();
    files.extend(tests);
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

pub fn schema_of(conn: &Connection) -> Schema {
    introspect::introspect(conn, &Filter::default()).expect("introspect")
}

/// Every table's row count, by name.
pub fn row_counts(conn: &Connection) -> Vec<(String, i64)> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").unwrap();
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    names
        .into_iter()
        .map(|n| {
            let count = conn
                .query_row(
                    &format!("SELECT count(*) FROM {}", autogen::render::ident(&n)),
                    [],
                    |r| r.get(0),
                )
                .unwrap_or(-1);
            (n, count)
        })
        .collect()
}

/// `PRAGMA integrity_check` and `foreign_key_check` both clean.
pub fn assert_healthy(conn: &Connection, context: &str) {
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "{context}: integrity_check");
    let violations = autogen::runner::foreign_key_violations(conn).unwrap();
    assert!(
        violations.is_empty(),
        "{context}: foreign_key_check: {violations:?}"
    );
}
