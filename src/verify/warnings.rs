//! What a diff will do to the rows that exist, counted in the live
//! database before anything runs: values a drop discards, and rows that will
//! make a NOT NULL, UNIQUE, CHECK or foreign key fail. Best effort: a count
//! that cannot be made gives no warning, never an error.

use crate::diff::{Change, ColumnChange, Constraint, Diff};
use crate::engine::Engine;
use crate::schema::*;
use crate::sql::quote::ident;
use crate::words::{plural, thousands};

/// One count to make in the database, and the warning it gives when it is
/// more than zero.
struct Probe {
    query: String,
    warning: Box<dyn Fn(i64) -> String>,
}

/// One sentence per change that touches existing data; the counts are
/// made together, in one request to the engine.
pub fn data_warnings(engine: &mut dyn Engine, diff: &Diff) -> Vec<String> {
    let probes: Vec<Probe> = diff.changes.iter().filter_map(|change| probe(diff, change)).collect();
    let queries: Vec<String> = probes.iter().map(|p| p.query.clone()).collect();
    let counts = engine.counts(&queries);
    probes.iter().zip(counts).filter_map(|(p, n)| n.filter(|n| *n > 0).map(|n| (p.warning)(n))).collect()
}

/// The table's name in the database as it is now (before any rename).
fn stored_name(diff: &Diff, table: &str) -> String {
    diff.renames
        .tables
        .iter()
        .find(|(_, new)| same_name(new, table))
        .map(|(old, _)| old.clone())
        .unwrap_or_else(|| table.to_string())
}

/// A column's name in the database as it is now.
fn stored_column(diff: &Diff, table: &str, column: &str) -> String {
    diff.renames
        .columns
        .iter()
        .find(|(t, _, new)| same_name(t, table) && same_name(new, column))
        .map(|(_, old, _)| old.clone())
        .unwrap_or_else(|| column.to_string())
}

/// The collation a column gets from this diff, when the diff changes it.
fn new_collation(diff: &Diff, table: &str, column: &str) -> Option<String> {
    diff.changes.iter().find_map(|c| match c {
        Change::ModifyColumn { table: t, column: c, change: ColumnChange::Collation { to, .. } }
            if same_name(t, table) && same_name(c, column) =>
        {
            to.clone()
        }
        _ => None,
    })
}

fn probe(diff: &Diff, change: &Change) -> Option<Probe> {
    let probe = |query: String, warning: Box<dyn Fn(i64) -> String>| Some(Probe { query, warning });
    match change {
        Change::RemoveTable(table) => {
            let name = table.name.clone();
            probe(
                format!("SELECT count(*) FROM {}", ident(&name)),
                Box::new(move |n| format!("dropping table `{name}` discards {} row{}", thousands(n), plural(n))),
            )
        }
        Change::RemoveColumn { table, column } => {
            let t = ident(&stored_name(diff, table));
            let (table, column) = (table.clone(), column.name.clone());
            probe(
                format!("SELECT count(*) FROM {t} WHERE {} IS NOT NULL", ident(&column)),
                Box::new(move |n| {
                    format!("dropping `{table}.{column}` discards {} non-null value{}", thousands(n), plural(n))
                }),
            )
        }
        Change::ModifyColumn { table, column, change: ColumnChange::Nullable { to: false, .. } } => {
            let (t, c) = (ident(&stored_name(diff, table)), ident(&stored_column(diff, table, column)));
            let (table, column) = (table.clone(), column.clone());
            probe(
                format!("SELECT count(*) FROM {t} WHERE {c} IS NULL"),
                Box::new(move |n| {
                    format!(
                        "`{table}.{column}` becomes NOT NULL but {} row{} hold NULL: the upgrade will fail until \
                        they are filled",
                        thousands(n),
                        plural(n)
                    )
                }),
            )
        }
        Change::AddColumn { table, column }
            if !column.nullable && column.default.is_none() && column.generated.is_none() =>
        {
            let (table, column) = (table.clone(), column.name.clone());
            probe(
                format!("SELECT count(*) FROM {}", ident(&stored_name(diff, &table))),
                Box::new(move |n| {
                    format!(
                        "`{table}.{column}` is added NOT NULL without a default, but `{table}` has {} row{}: the \
                            upgrade will fail",
                        thousands(n),
                        plural(n)
                    )
                }),
            )
        }
        Change::AddConstraint { table, constraint: Constraint::Unique(u) } => {
            let cols: Vec<String> = u.columns.iter().map(|c| ident(&stored_column(diff, table, &c.name))).collect();
            let t = ident(&stored_name(diff, table));
            let not_null = cols.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
            // Grouped as the new key will compare: its own collation, else
            // the column's collation after this diff.
            let grouped: Vec<String> = u
                .columns
                .iter()
                .zip(&cols)
                .map(|(k, c)| match k.collate.clone().or_else(|| new_collation(diff, table, &k.name)) {
                    Some(coll) => format!("{c} COLLATE {}", ident(&coll)),
                    None => c.clone(),
                })
                .collect();
            let names: Vec<String> = u.columns.iter().map(|c| format!("`{}`", c.name)).collect();
            let (table, names) = (table.clone(), names.join(", "));
            probe(
                format!(
                    "SELECT count(*) FROM (SELECT 1 FROM {t} WHERE {not_null} GROUP BY {} HAVING count(*) > 1)",
                    grouped.join(", ")
                ),
                Box::new(move |n| {
                    format!(
                        "{} group{} of rows in `{table}` share a value of {names}: the new UNIQUE will fail",
                        thousands(n),
                        plural(n)
                    )
                }),
            )
        }
        Change::AddConstraint { table, constraint: Constraint::Check(check) } => {
            let t = ident(&stored_name(diff, table));
            let (table, expr) = (table.clone(), check.expr.clone());
            probe(
                format!("SELECT count(*) FROM {t} WHERE NOT ({expr})"),
                Box::new(move |n| {
                    format!(
                        "{} row{} of `{table}` fail the new CHECK ({expr}): the upgrade will fail",
                        thousands(n),
                        plural(n)
                    )
                }),
            )
        }
        Change::AddForeignKey { table, foreign_key: fk } => {
            let ([col], [parent_col]) = (fk.columns.as_slice(), fk.ref_columns.as_slice()) else { return None };
            let (t, c) = (ident(&stored_name(diff, table)), ident(&stored_column(diff, table, col)));
            let parent = ident(&stored_name(diff, &fk.ref_table));
            let query = format!(
                "SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND {c} NOT IN (SELECT {} FROM {parent})",
                ident(parent_col)
            );
            let (table, col, parent_table, parent_col) =
                (table.clone(), col.clone(), fk.ref_table.clone(), parent_col.clone());
            probe(
                query,
                Box::new(move |n| {
                    format!(
                        "{} row{} of `{table}` have a `{col}` with no `{parent_table}.{parent_col}`: the new foreign \
                            key will fail",
                        thousands(n),
                        plural(n)
                    )
                }),
            )
        }
        _ => None,
    }
}
