//! The inspect round trip on every schema in ../shared/corpus: introspect,
//! print as a model, load that model, and the diff must be empty.

mod support;

use std::path::Path;

use autogen::{diff, emit, model, plan};

#[test]
fn inspect_then_check_is_empty_for_every_corpus_schema() {
    let mut failures = Vec::new();
    let corpus = support::corpus();
    for (name, sql) in &corpus {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{name}: corpus script fails: {e}"));
        let db = match autogen::introspect::introspect(&conn, &Default::default()) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: introspect: {e}"));
                continue;
            }
        };
        let yaml = emit::model_yaml(&db);
        let model = match model::parse(&yaml, Path::new(name)) {
            Ok((m, _)) => m,
            Err(e) => {
                failures.push(format!(
                    "{name}: the inspected model does not load: {e}\n{yaml}"
                ));
                continue;
            }
        };
        let d = diff::diff(&db, &model);
        if !d.is_empty() {
            let changes: Vec<String> = d.changes.iter().map(plan::describe).collect();
            failures.push(format!(
                "{name}: inspect then diff is not empty: {changes:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus schemas fail:\n{}",
        failures.len(),
        corpus.len(),
        failures.join("\n\n")
    );
}
