//! The inspect round trip on every schema in ../shared/corpus: introspect,
//! print as a model, load that model, and the diff must be empty.

mod support;

use std::path::Path;

#[test]
fn inspect_then_check_is_empty_for_every_corpus_schema() {
    let mut failures = Vec::new();
    let corpus = support::corpus();
    for (name, sql) in &corpus {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap_or_else(|e| panic!("{name}: corpus script fails: {e}"));
        let db = match autogen::introspect(&conn, &Default::default()) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: introspect: {e}"));
                continue;
            }
        };
        let yaml = autogen::model_yaml(&db);
        let model = match autogen::parse_model(&yaml, Path::new(name)) {
            Ok(m) => m.schema,
            Err(e) => {
                failures.push(format!("{name}: the inspected model does not load: {e}\n{yaml}"));
                continue;
            }
        };
        let d = autogen::diff(&db, &model);
        if !d.is_empty() {
            let changes: Vec<String> = d.changes.iter().map(ToString::to_string).collect();
            failures.push(format!("{name}: inspect then diff is not empty: {changes:?}"));
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

/// Every table of every corpus schema rebuilt: each gets a NOT NULL column
/// with a non-constant default (which ADD COLUMN refuses), then upgrade,
/// check, downgrade (views and triggers included) and row counts.
#[test]
fn every_corpus_table_survives_a_rebuild() {
    let mut failures = Vec::new();
    let mut tables = 0;
    let mut refused = Vec::new();
    let mut lints = Vec::new();
    for (name, sql) in support::corpus() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(&sql).unwrap();
        let db = support::schema_of(&conn);
        if db.tables.is_empty() {
            continue;
        }
        let mut model = db.clone();
        for table in model.tables.values_mut() {
            tables += 1;
            let mut column = autogen::schema::Column {
                name: "autogen_added".into(),
                ty: "TEXT".into(),
                nullable: false,
                default: Some("(lower(hex(randomblob(2))))".into()),
                ..Default::default()
            };
            if table.strict {
                column.ty = "TEXT".into();
            }
            table.columns.push(column);
        }
        let checked = autogen::Model { schema: model.clone(), map: Default::default() };
        // Triggers aside: the new column breaks any that inserts into its
        // table by position (as it would in the app), which is not what
        // this test is about; the rebuild keeps them all the same.
        let selection = autogen::Selection {
            tables: model.tables.keys().cloned().collect(),
            views: model.views.keys().cloned().collect(),
            ..Default::default()
        };
        if let Err(e) = autogen::check_model(&checked, &selection) {
            // Adding a column can break a `SELECT *` compound view: such a
            // model is refused before anything is planned.
            refused.push(format!("{name}: {e}"));
            continue;
        }
        let m = support::generate(&conn, &model);
        lints.push(format!("{name}: {}", lint_summary(&support::lint(&conn, &m))));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            support::assert_round_trip(&conn, &model, &m, &name)
        }));
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(msg.chars().take(3000).collect::<String>());
        }
    }
    assert!(tables > 500, "only {tables} tables were rebuilt");
    // Only views that a new column breaks (SELECT * with a column list or in a
    // compound SELECT) may make the test's model invalid.
    assert!(refused.len() <= 6, "models refused: {refused:?}");
    assert!(refused.iter().all(|r| r.contains(": view `")), "models refused for another reason: {refused:?}");
    assert!(failures.is_empty(), "{} corpus schemas fail the rebuild:\n{}", failures.len(), failures.join("\n\n"));
    // Linting each generated revision finds only what it does: the
    // downgrade drops the added column (AG102), and a rebuilt table that
    // others reference with ON DELETE/UPDATE actions is AG401.
    let settings = "../snapshots";
    insta::with_settings!({snapshot_path => settings, prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("corpus_lint", lints.join("\n"));
    });
}

/// The codes of a lint listing, counted per direction: `upgrade AG401×2`.
fn lint_summary(listing: &str) -> String {
    let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for line in listing.lines().filter(|l| l.contains('[')) {
        let direction = line.split(' ').next().unwrap_or_default().to_string();
        let code = line.split('[').nth(1).and_then(|c| c.split(']').next()).unwrap_or_default().to_string();
        *counts.entry((direction, code)).or_default() += 1;
    }
    if counts.is_empty() {
        return "no findings".into();
    }
    counts.iter().map(|((d, c), n)| format!("{d} {c}×{n}")).collect::<Vec<_>>().join(", ")
}
