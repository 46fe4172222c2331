//! What a diff will do to the rows that exist, counted in the live
//! database before anything runs: values a drop discards, and rows that will
//! make a NOT NULL, UNIQUE, CHECK or foreign key fail. Best effort: a count
//! that cannot be made gives no warning, never an error.

use rusqlite::Connection;

use crate::diff::{Change, Diff};
use crate::sql::quote::ident;
use crate::schema::*;

/// One sentence per change that touches existing data.
pub fn data_warnings(conn: &Connection, diff: &Diff, to: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for change in &diff.changes {
        if let Some(w) = warning(conn, diff, to, change) {
            out.push(w);
        }
    }
    out
}

/// The table's name in the database as it is now (before any rename).
fn stored_name(diff: &Diff, table: &str) -> String {
    diff.renames.tables.iter().find(|(_, new)| same_name(new, table)).map(|(old, _)| old.clone()).unwrap_or_else(|| table.to_string())
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

fn count(conn: &Connection, sql: &str) -> Option<i64> {
    conn.query_row(sql, [], |r| r.get(0)).ok()
}

fn warning(conn: &Connection, diff: &Diff, to: &Schema, change: &Change) -> Option<String> {
    match change {
        Change::RemoveTable { table } => {
            let n = count(conn, &format!("SELECT count(*) FROM {}", ident(table)))?;
            (n > 0).then(|| format!("dropping table `{table}` discards {} row{}", thousands(n), plural(n)))
        }
        Change::RemoveColumn { table, column } => {
            let t = ident(&stored_name(diff, table));
            let n = count(conn, &format!("SELECT count(*) FROM {t} WHERE {} IS NOT NULL", ident(column)))?;
            (n > 0).then(|| format!("dropping `{table}.{column}` discards {} non-null value{}", thousands(n), plural(n)))
        }
        Change::ModifyNullable { table, column, to: false, .. } => {
            let (t, c) = (ident(&stored_name(diff, table)), ident(&stored_column(diff, table, column)));
            let n = count(conn, &format!("SELECT count(*) FROM {t} WHERE {c} IS NULL"))?;
            (n > 0).then(|| {
                format!("`{table}.{column}` becomes NOT NULL but {} row{} hold NULL: the upgrade will fail until they are filled", thousands(n), plural(n))
            })
        }
        Change::AddColumn { table, column, nullable: false, default: None, .. } => {
            let n = count(conn, &format!("SELECT count(*) FROM {}", ident(&stored_name(diff, table))))?;
            (n > 0).then(|| {
                format!("`{table}.{column}` is added NOT NULL without a default, but `{table}` has {} row{}: the upgrade will fail", thousands(n), plural(n))
            })
        }
        Change::AddConstraint { table, kind: "unique", definition, .. } => {
            let u = to.table(table)?.uniques.iter().find(|u| crate::schema::ddl::unique_definition(u) == *definition)?;
            let cols: Vec<String> = u.columns.iter().map(|c| ident(&stored_column(diff, table, c))).collect();
            let t = ident(&stored_name(diff, table));
            let not_null = cols.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
            let n = count(conn, &format!("SELECT count(*) FROM (SELECT 1 FROM {t} WHERE {not_null} GROUP BY {} HAVING count(*) > 1)", cols.join(", ")))?;
            let names: Vec<String> = u.columns.iter().map(|c| format!("`{c}`")).collect();
            (n > 0).then(|| format!("{} group{} of rows in `{table}` share a value of {}: the new UNIQUE will fail", thousands(n), plural(n), names.join(", ")))
        }
        Change::AddConstraint { table, kind: "check", definition, .. } => {
            let check = to.table(table)?.checks.iter().find(|c| crate::schema::ddl::check_definition(c) == *definition)?;
            let t = ident(&stored_name(diff, table));
            let n = count(conn, &format!("SELECT count(*) FROM {t} WHERE NOT ({})", check.expr))?;
            (n > 0).then(|| format!("{} row{} of `{table}` fail the new CHECK ({}): the upgrade will fail", thousands(n), plural(n), check.expr))
        }
        Change::AddFk { table, definition, .. } => {
            let fk = to.table(table)?.foreign_keys.iter().find(|f| crate::schema::ddl::fk_definition(f) == *definition)?;
            let ([col], [parent_col]) = (fk.columns.as_slice(), fk.ref_columns.as_slice()) else { return None };
            let (t, c) = (ident(&stored_name(diff, table)), ident(&stored_column(diff, table, col)));
            let parent = ident(&stored_name(diff, &fk.ref_table));
            let n = count(conn, &format!("SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND {c} NOT IN (SELECT {} FROM {parent})", ident(parent_col)))?;
            (n > 0).then(|| {
                format!("{} row{} of `{table}` have a `{col}` with no `{}.{parent_col}`: the new foreign key will fail", thousands(n), plural(n), fk.ref_table)
            })
        }
        _ => None,
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// 1234567 as "1,234,567".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
