//! AG201–AG204: a change that existing rows must satisfy, or that
//! converts what they hold.

use super::super::{Code, Hit, Review};
use super::{names, with_numbers};
use crate::diff::{Change, ColumnChange, Constraint, TableChange};
use crate::schema::same_name;
use crate::schema::types::{affinity, Affinity};

pub(super) fn hits(r: &Review, places: &super::places::Places) -> Vec<Hit> {
    let mut hits = Vec::new();
    let in_db = |r: &Review, table: &str| r.diff.renamed.table(table).is_some();
    // Columns this diff adds without a default hold NULL in every row, and
    // a NULL breaks no UNIQUE, foreign key or CHECK: a constraint over only
    // such columns risks nothing.
    let only_new = |table: &str, columns: &[&str]| {
        columns.iter().all(|c| {
            r.diff.changes.iter().any(|ch| {
                matches!(ch, Change::AddColumn { table: t, column }
                    if same_name(t, table) && same_name(&column.name, c) && column.default.is_none()
                        && column.generated.is_none())
            })
        })
    };
    for (index, change) in r.diff.changes.iter().enumerate() {
        let found: Option<(Code, String, &str)> = match change {
            Change::AddConstraint { table, constraint: Constraint::Unique(u) }
                if in_db(r, table)
                    && !only_new(table, &u.columns.iter().map(|k| k.name.as_str()).collect::<Vec<_>>()) =>
            {
                let cols: Vec<&str> = u.columns.iter().map(|k| k.name.as_str()).collect();
                Some((
                    Code::AG201,
                    format!("adds UNIQUE ({}) to `{table}` over its rows", names(&cols)),
                    "no duplicates in {db}",
                ))
            }
            Change::ModifyTable { table, change: TableChange::PrimaryKey { to: Some(pk), .. } } if in_db(r, table) => {
                let message = format!("makes ({}) the PRIMARY KEY of `{table}` over its rows", names(&pk.columns));
                Some((Code::AG201, message, "no duplicates or NULLs in {db}"))
            }
            Change::AddIndex { table, index }
                if index.unique && in_db(r, table) && !only_new(table, &index_columns(index)) =>
            {
                Some((
                    Code::AG201,
                    format!("adds unique index `{}` on `{table}` over its rows", index.name),
                    "no duplicates in {db}",
                ))
            }
            Change::ModifyColumn { table, column, change: ColumnChange::Nullable { to: false, .. } } => {
                Some((Code::AG202, format!("makes `{table}.{column}` NOT NULL"), "{db} has no NULL in it"))
            }
            Change::ModifyColumn { table, column, change: ColumnChange::Type { from, to } } => {
                let (old, new) = (affinity(from), affinity(to));
                (old != new && new != Affinity::Blob).then(|| {
                    let shown = |t: &str| if t.is_empty() { "no type".to_string() } else { format!("`{t}`") };
                    let message = format!(
                        "changes `{table}.{column}` from {} to {} ({} affinity): stored values convert where they can",
                        shown(from),
                        shown(to),
                        format!("{new:?}").to_uppercase()
                    );
                    (Code::AG203, message, "{db} has no value that converts")
                })
            }
            Change::AddConstraint { table, constraint: Constraint::Check(check) } if in_db(r, table) => Some((
                Code::AG204,
                format!("adds CHECK ({}) to `{table}` over its rows", check.expr),
                "every row in {db} passes",
            )),
            Change::AddConstraint { table, constraint: Constraint::ColumnCheck { column, check } }
                if in_db(r, table) && !only_new(table, &[column.as_str()]) =>
            {
                let message = format!("adds CHECK ({}) on `{table}.{column}` over its rows", check.expr);
                Some((Code::AG204, message, "every row in {db} passes"))
            }
            Change::AddForeignKey { table, foreign_key: fk }
                if in_db(r, table) && !only_new(table, &fk.columns.iter().map(String::as_str).collect::<Vec<_>>()) =>
            {
                let message = format!(
                    "adds a foreign key from `{table}` ({}) to `{}` ({}) over its rows",
                    names(&fk.columns),
                    fk.ref_table,
                    names(&fk.ref_columns)
                );
                Some((Code::AG204, message, "every row in {db} has its parent"))
            }
            _ => None,
        };
        let Some((code, base, zero)) = found else { continue };
        let table = change.subject();
        let at = match change {
            Change::AddIndex { index, .. } => places.created_index(&index.name, table),
            _ => places.table(table),
        };
        let zero = zero.replace("{db}", r.database);
        let (message, numbers) = with_numbers(base, &r.measured(index), &zero);
        hits.push(Hit { refused: false, code, at, message, numbers });
    }
    hits
}

/// The plain columns of an index; one over an expression names none, so
/// never counts as only new columns.
fn index_columns(index: &crate::schema::Index) -> Vec<&str> {
    let plain: Vec<&str> = index
        .columns
        .iter()
        .filter_map(|c| match &c.key {
            crate::schema::IndexKey::Column(name) => Some(name.as_str()),
            crate::schema::IndexKey::Expression(_) => None,
        })
        .collect();
    if plain.len() == index.columns.len() {
        plain
    } else {
        vec!["\0 an expression"]
    }
}
