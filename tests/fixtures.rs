//! One test per folder of `fixtures/`: the diff (text and JSON), the plans,
//! the generated upgrade and downgrade and their lint findings are
//! snapshotted in the fixture's folder (`migration.snap`), and the migration
//! is applied to a database seeded with the fixture's rows and checked end to
//! end (see `support::assert_round_trip`).

mod support;

use std::path::{Path, PathBuf};

use autogen::app::report;
use autogen::{Rehearsal, ScratchCopy, Selection, Sqlite};

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn run_fixture(name: &str) {
    let dir = fixture_dir(name);
    let before = std::fs::read_to_string(dir.join("before.sql")).unwrap();
    let loaded = autogen::load_model(&dir.join("model.yaml")).unwrap_or_else(|e| panic!("{e}"));
    autogen::check_model(&loaded, &Selection::everything()).unwrap_or_else(|e| panic!("{e}"));
    let model = loaded.schema;

    let tmp = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(tmp.path().join("app.db")).unwrap();
    // The bundled SQLite enforces foreign keys by default; so do the fixtures.
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    conn.execute_batch(&before).unwrap();

    let m = support::generate(&conn, &model);
    // The same change planned for D1 (foreign keys stay on): shown where it
    // differs, and run below as D1 runs a file.
    let d1 = support::generate_for(&conn, &model, autogen::Capabilities::D1);
    let d1_section = if d1.up == m.up && d1.down == m.down {
        "(the same)\n".to_string()
    } else {
        format!(
            "--- upgrade plan ---\n{}--- upgrade ---\n{}--- downgrade plan ---\n{}--- downgrade ---\n{}",
            d1.up_plan.outline(),
            d1.up,
            d1.down_plan.outline(),
            d1.down
        )
    };
    let mut text = Vec::new();
    report::write_warnings(&m.diff, &mut text).unwrap();
    report::write_text(&m.diff, &model, &mut text).unwrap();
    let mut json = Vec::new();
    report::write_json(&m.diff, &mut json).unwrap();
    let snapshot = format!(
        "=== diff ===\n{}\n=== diff --format json ===\n{}\n=== upgrade plan ===\n{}\n=== upgrade ===\n{}\n\
         === downgrade plan ===\n{}\n=== downgrade ===\n{}\n=== lint ===\n{}\n=== planned for D1 ===\n{}",
        anstream::adapter::strip_str(&String::from_utf8(text).unwrap()),
        String::from_utf8(json).unwrap(),
        m.up_plan.outline(),
        m.up,
        m.down_plan.outline(),
        m.down,
        support::lint(&conn, &m),
        d1_section
    );
    // The snapshot lives in the fixture's folder, beside its input.
    let here = dir.clone();
    insta::with_settings!({snapshot_path => here, prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("migration", snapshot);
    });

    let start = support::schema_of(&conn);
    let rehearsal = Rehearsal {
        up: &m.up,
        down: &m.down,
        diff: &m.diff,
        start: &start,
        model: &model,
        filter: &Default::default(),
        accepted: &[],
    };
    for copy in [ScratchCopy::Schema, ScratchCopy::Rows] {
        let mut scratch = Sqlite::scratch_of(&conn, copy).unwrap();
        rehearsal.on(&mut scratch).unwrap_or_else(|e| panic!("{name}: rehearsal ({copy:?}): {e}"));
    }
    support::assert_round_trip(&conn, &model, &m, name);

    // Each form of rebuild on every case, whatever the cost model would
    // choose: the copy back instead of RENAME, and copies that name every
    // column instead of `SELECT *`.
    for force in [autogen::Forced::CopyBack, autogen::Forced::RenameNamingColumns] {
        let forced_db = rusqlite::Connection::open(tmp.path().join(format!("{force:?}.db"))).unwrap();
        forced_db.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        forced_db.execute_batch(&before).unwrap();
        let m = support::generate_forced(&forced_db, &model, autogen::Capabilities::SQLITE, Some(force));
        let rehearsal = Rehearsal { up: &m.up, down: &m.down, diff: &m.diff, ..rehearsal };
        let mut scratch = Sqlite::scratch_of(&forced_db, ScratchCopy::Rows).unwrap();
        rehearsal.on(&mut scratch).unwrap_or_else(|e| panic!("{name} ({force:?}): rehearsal: {e}\n{}", m.up));
        support::assert_round_trip(&forced_db, &model, &m, &format!("{name} ({force:?})"));
    }

    let d1_db = rusqlite::Connection::open(tmp.path().join("d1.db")).unwrap();
    d1_db.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    d1_db.execute_batch(&before).unwrap();
    support::assert_round_trip_with(&d1_db, &model, &d1, &format!("{name} (D1)"), support::run_as_d1);
}

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { run_fixture(stringify!($name)); })*
        const LISTED: &[&str] = &[$(stringify!($name)),*];
    };
}

fixtures!(
    add_column_non_constant_default,
    add_column_not_null_with_default,
    add_column_nullable,
    add_column_unique,
    add_column_with_fk,
    add_table,
    autoincrement_counter_kept,
    autoincrement_removed_and_back,
    cascade_children_survive_parent_rebuild,
    drop_and_add_looks_like_rename,
    foreign_key_changes,
    generated_columns,
    hostile_identifiers,
    indexes_partial_expression_desc,
    modify_collation,
    modify_default,
    modify_nullable,
    modify_type,
    primary_key_change,
    primary_key_order_desc,
    rebuild_keeps_views_and_triggers,
    remove_column,
    remove_indexed_column,
    remove_key_columns,
    remove_table,
    rename_and_retype_column,
    rename_column,
    rename_column_rowid_names,
    rename_table_with_incoming_fk,
    rowids_kept_without_integer_key,
    strict_and_without_rowid,
    unique_and_check_constraints,
    views_and_triggers_change,
);

/// A fixture folder that no test names would silently never run.
#[test]
fn every_fixture_folder_has_a_test() {
    let mut folders: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut listed: Vec<String> = LISTED.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(folders, listed);
}
