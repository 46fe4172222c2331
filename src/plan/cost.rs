//! How a rebuild finishes, chosen by cost (sqlite.md, "The rebuild").
//!
//! `ALTER TABLE ... RENAME`, `ADD COLUMN`, `DROP COLUMN` and `RENAME
//! COLUMN` each make SQLite re-read and re-check every table, index, view
//! and trigger in the schema, so their cost grows with the schema, not
//! with the table. Copying the rows twice (into a holding table and back)
//! costs nothing per schema object and a little per row. The planner
//! compares the two from what it knows: the objects in the schema, and
//! the rows of each table as the engine estimated them ([`Sizes`]). With
//! no estimate (no database, `--sql`), the textbook rename is kept.
//!
//! The weights are per object and per row, as measured on this project's
//! machine (benches/perf.rs and docs/performance.md give the figures).

use std::collections::BTreeMap;

use crate::schema::{fold, Schema};

/// Microseconds SQLite spends per schema object when a statement makes it
/// re-read the schema (`ALTER TABLE ... RENAME`, `RENAME COLUMN`).
const REREAD_US_PER_OBJECT: u64 = 11;
/// `ADD COLUMN` re-reads the schema too, more cheaply (it checks rather
/// than rewrites).
const ADD_COLUMN_US_PER_OBJECT: u64 = 3;
/// `DROP COLUMN` re-reads the schema and then rewrites the table.
const DROP_COLUMN_US_PER_OBJECT: u64 = 16;
/// Below this a re-read is too cheap to be worth trading for a second
/// copy of the rows: on a small schema the textbook rebuild stays.
const WORTH_SAVING_US: u64 = 2_000;

/// The engine's estimate of each table's copy cost, keyed by folded table
/// name: what copying its rows once more would cost, in microseconds
/// (rows and bytes weighed, `copy_cost_query`). A table that is absent
/// has no estimate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sizes {
    pub copy_us: BTreeMap<String, u64>,
}

/// A rebuild's form taken whatever the cost ([`super::Options::force`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forced {
    /// The RENAME finish, its copy naming every column (never `SELECT *`).
    RenameNamingColumns,
    /// The copy-back finish (with `SELECT *` where the columns line up).
    CopyBack,
}

impl Sizes {
    pub fn of(&self, table: &str) -> Option<u64> {
        self.copy_us.get(&fold(table)).copied()
    }
}

/// The query an engine runs to estimate one table's [`Sizes`] entry: rows
/// and bytes of at most enough rows to decide (past `limit` rows the
/// rename wins anyway), so it never reads a big table whole. `length()` of
/// a blob and `octet_length()` do not load the value (SQLite's
/// OPFLAG_LENGTHARG), so wide rows cost no more to weigh than narrow ones.
pub fn copy_cost_query(table: &str, stored_columns: &[String], limit: u64) -> String {
    let bytes: Vec<String> =
        stored_columns.iter().map(|c| format!("coalesce(octet_length({}), 0)", crate::sql::quote::ident(c))).collect();
    let bytes = if bytes.is_empty() { "0".to_string() } else { bytes.join(" + ") };
    // 0.6 µs a row and 2 ns a byte: writing the holding table and reading it back.
    format!(
        "SELECT CAST(count(*) * 0.6 + total(b) * 0.002 AS INTEGER) FROM (SELECT {bytes} AS b FROM {} LIMIT {limit})",
        crate::sql::quote::ident(table)
    )
}

/// The objects SQLite re-reads: tables, indexes (the automatic ones of
/// UNIQUE and non-rowid PRIMARY KEYs too), views and triggers.
pub fn objects(schema: &Schema) -> u64 {
    let tables =
        schema.tables.values().map(|t| 1 + t.indexes.len() + t.uniques.len() + usize::from(t.primary_key.is_some()));
    (tables.sum::<usize>() + schema.views.len() + schema.triggers.len() + schema.unmanaged.len()) as u64
}

/// The most rows worth weighing: past the cost of one re-read, copying
/// twice cannot win.
pub fn weigh_limit(objects: u64) -> u64 {
    objects * REREAD_US_PER_OBJECT * 2 + 1
}

/// What one re-read of a schema of `objects` objects costs, in µs.
pub fn reread_us(objects: u64) -> u64 {
    objects * REREAD_US_PER_OBJECT
}

/// What `adds` ADD COLUMNs, `drops` DROP COLUMNs and `renames` RENAME
/// COLUMNs cost on a schema of `objects` objects, in µs.
pub fn alter_us(objects: u64, adds: usize, drops: usize, renames: usize) -> u64 {
    objects
        * (ADD_COLUMN_US_PER_OBJECT * adds as u64
            + DROP_COLUMN_US_PER_OBJECT * drops as u64
            + REREAD_US_PER_OBJECT * renames as u64)
}

/// Whether copying twice (`copy_us` more) is clearly cheaper than what it
/// replaces (`native_us`): worth saving, and at most half of it, so that a
/// table that grows a little between the database the revision was
/// planned on and the one it runs on does not turn the choice.
pub fn copy_back_wins(copy_us: Option<u64>, native_us: u64) -> bool {
    copy_us.is_some_and(|copy| native_us >= WORTH_SAVING_US && copy.saturating_mul(2) < native_us)
}

/// An estimate in words: `under 0.1 ms`, `about 0.4 ms`, `about 33 ms`,
/// `about 1.2 s`.
pub fn millis(us: u64) -> String {
    match us {
        0..=99 => "under 0.1 ms".to_string(),
        100..=9_999 => format!("about {:.1} ms", us as f64 / 1000.0),
        10_000..=999_999 => format!("about {} ms", us / 1000),
        _ => format!("about {:.1} s", us as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_schema_keeps_the_rename_and_a_big_table_too() {
        // 30 objects: a rename costs well under a millisecond.
        assert!(!copy_back_wins(Some(1), reread_us(30)));
        // 3000 objects and a few rows: copying twice wins.
        assert!(copy_back_wins(Some(20), reread_us(3000)));
        // 3000 objects and a million rows: the rename wins.
        assert!(!copy_back_wins(Some(600_000), reread_us(3000)));
        // No estimate: the rename.
        assert!(!copy_back_wins(None, reread_us(100_000)));
    }

    #[test]
    fn estimates_read_as_words() {
        assert_eq!(millis(40), "under 0.1 ms");
        assert_eq!(millis(400), "about 0.4 ms");
        assert_eq!(millis(33_000), "about 33 ms");
        assert_eq!(millis(1_200_000), "about 1.2 s");
    }
}
