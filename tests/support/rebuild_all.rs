//! A schema of `tables` tables, each with a foreign key to the one before,
//! and a model that rebuilds every one of them (`c1` from TEXT to
//! VARCHAR(100), which SQLite cannot ALTER): the revision of six statements
//! a table that tests/large.rs lints and the benchmark times.
//! Shared as a file (`#[path]`) by tests/support and benches/perf.

/// The database's DDL and the model's YAML.
pub fn rebuild_all(tables: usize) -> (String, String) {
    let mut ddl = String::new();
    let mut yaml = String::from("tables:\n");
    for i in 0..tables {
        let parent = i.saturating_sub(1);
        ddl.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER NOT NULL, c1 TEXT, p INTEGER REFERENCES t{parent}(id), PRIMARY KEY (id));\
             CREATE INDEX ix_t{i}_c1 ON t{i} (c1);"
        ));
        yaml.push_str(&format!(
            "  - name: t{i}\n    columns:\n      - {{name: id, type: INTEGER, primary_key: true}}\n      - {{name: c1, \
             type: VARCHAR(100)}}\n      - {{name: p, type: INTEGER, references: t{parent}.id}}\n    indexes: [{{name: \
             ix_t{i}_c1, columns: [c1]}}]\n"
        ));
    }
    (ddl, yaml)
}
