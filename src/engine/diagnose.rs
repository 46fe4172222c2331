//! When a statement fails on the data (NOT NULL, UNIQUE, CHECK), say which
//! rows: "3 rows in `users` have NULL `email`; first rowids: 4, 9, 12".
//! Runs after the rollback, on the table as it still is; a rebuild's
//! temporary table stands for the table it replaces. Best effort: a query
//! that cannot run gives no hint, never a second error.

use rusqlite::Connection;

use crate::plan::temp_name;
use crate::sql::ddl::{self, ColumnConstraintKind, Create, TableConstraint};
use crate::sql::quote::ident;

/// A sentence about the offending rows, if SQLite's message names a
/// constraint we can count.
pub fn rows_hint(conn: &Connection, message: &str, script: &[&str]) -> Option<String> {
    if let Some(target) = message.strip_prefix("NOT NULL constraint failed: ") {
        let (table, column) = split_column(target)?;
        let (count, sample) = sample(conn, &table, &format!("{} IS NULL", ident(&column)))?;
        return Some(format!(
            "{} in `{table}` {} NULL `{column}`; first rowids: {sample}",
            crate::words::count(count, "row"),
            if count == 1 { "has" } else { "have" }
        ));
    }
    if let Some(targets) = message.strip_prefix("UNIQUE constraint failed: ") {
        let columns: Vec<(String, String)> = targets.split(", ").filter_map(split_column).collect();
        let table = columns.first()?.0.clone();
        let list: Vec<String> = columns.iter().map(|(_, c)| ident(c)).collect();
        // NULLs never collide in a UNIQUE key.
        let not_null = list.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
        let sql = format!(
            "SELECT count(*), quote({}) FROM (SELECT {}, count(*) AS n FROM {} WHERE {not_null} GROUP BY {} HAVING n \
                > 1)",
            list[0],
            list.join(", "),
            ident(&table),
            list.join(", ")
        );
        let (groups, first): (i64, String) =
            conn.query_row(&sql, [], |r| Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default()))).ok()?;
        let names: Vec<String> = columns.iter().map(|(_, c)| format!("`{c}`")).collect();
        return (groups > 0).then(|| {
            format!(
                "{} of rows in `{table}` {} a value of {}; first: {first}",
                crate::words::count(groups, "group"),
                if groups == 1 { "shares" } else { "share" },
                names.join(", ")
            )
        });
    }
    // STRICT: "cannot store TEXT value in INTEGER column t.n".
    if let Some(rest) = message.strip_prefix("cannot store ") {
        let (kind, rest) = rest.split_once(" value in ")?;
        let (ty, target) = rest.split_once(" column ")?;
        let (table, column) = split_column(target)?;
        let condition =
            format!("typeof({}) = {}", ident(&column), crate::sql::quote::literal(&kind.to_ascii_lowercase()));
        let (count, sample) = sample(conn, &table, &condition)?;
        return Some(format!(
            "{} in `{table}` {} a {kind} `{column}`, which a STRICT {ty} column does not take; first rowids: {sample}",
            crate::words::count(count, "row"),
            if count == 1 { "has" } else { "have" }
        ));
    }
    // A value that is not an integer for an INTEGER PRIMARY KEY (the rowid).
    if message == "datatype mismatch" {
        for stmt in script {
            let Ok(Create::Table(t)) = ddl::parse_create(stmt) else { continue };
            let key = t.columns.iter().find(|c| {
                c.type_name.eq_ignore_ascii_case("INTEGER")
                    && c.constraints.iter().any(|k| matches!(k.kind, ColumnConstraintKind::PrimaryKey { .. }))
            });
            let Some(key) = key else { continue };
            let table = original(&t.name);
            // What the rowid takes: integers, and text or reals that are one.
            let k = ident(&key.name);
            let condition = format!(
                "typeof({k}) NOT IN ('integer', 'null') AND NOT (typeof({k}) = 'real' AND {k} = CAST({k} AS INTEGER)) \
                 AND NOT (typeof({k}) = 'text' AND CAST(CAST({k} AS INTEGER) AS TEXT) = {k})"
            );
            if let Some((count, sample)) = sample(conn, &table, &condition) {
                return Some(format!(
                    "{} in `{table}` {} a `{}` that is not an integer, which the INTEGER PRIMARY KEY (the rowid) \
                     cannot hold; first rowids: {sample}",
                    crate::words::count(count, "row"),
                    if count == 1 { "has" } else { "have" },
                    key.name
                ));
            }
        }
        return None;
    }
    if let Some(name) = message.strip_prefix("CHECK constraint failed: ") {
        let (table, expr) = find_check(script, name)?;
        let (count, sample) = sample(conn, &table, &format!("NOT ({expr})"))?;
        return Some(format!(
            "{} in `{table}` {} CHECK ({expr}); first rowids: {sample}",
            crate::words::count(count, "row"),
            if count == 1 { "fails" } else { "fail" }
        ));
    }
    None
}

/// `table.column` as SQLite prints it, the rebuild's temporary name mapped
/// back to the table it stands for.
fn split_column(target: &str) -> Option<(String, String)> {
    let (table, column) = target.trim().rsplit_once('.')?;
    Some((original(table), column.to_string()))
}

fn original(table: &str) -> String {
    let prefix = temp_name("");
    let Some(rest) = table.strip_prefix(&prefix) else { return table.to_string() };
    // A `__N` suffix when `_autogen_tmp_<table>` was taken.
    match rest.rsplit_once("__") {
        Some((name, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => name.to_string(),
        _ => rest.to_string(),
    }
}

/// How many rows match, and the first five rowids.
fn sample(conn: &Connection, table: &str, condition: &str) -> Option<(i64, String)> {
    let t = ident(table);
    let count: i64 = conn.query_row(&format!("SELECT count(*) FROM {t} WHERE {condition}"), [], |r| r.get(0)).ok()?;
    if count == 0 {
        return None;
    }
    let mut stmt = conn.prepare(&format!("SELECT quote(_rowid_) FROM {t} WHERE {condition} LIMIT 5")).ok()?;
    let ids: Vec<String> = stmt.query_map([], |r| r.get::<_, String>(0)).ok()?.filter_map(Result::ok).collect();
    Some((count, ids.join(", ")))
}

/// The CHECK that SQLite names (by constraint name, or by its text when it
/// has none) in the script's CREATE TABLE statements, with its table.
fn find_check(script: &[&str], name: &str) -> Option<(String, String)> {
    for stmt in script {
        let Ok(Create::Table(t)) = ddl::parse_create(stmt) else { continue };
        let table = original(&t.name);
        let column_checks = t.columns.iter().flat_map(|c| c.constraints.iter()).filter_map(|c| match &c.kind {
            ColumnConstraintKind::Check(e) => Some((c.name.clone(), e.clone())),
            _ => None,
        });
        let table_checks = t.constraints.iter().filter_map(|c| match c {
            TableConstraint::Check { name, expr } => Some((name.clone(), expr.clone())),
            _ => None,
        });
        for (check_name, expr) in column_checks.chain(table_checks) {
            if check_name.as_deref().is_some_and(|n| n == name) || expr.trim() == name.trim() {
                return Some((table, expr));
            }
        }
    }
    None
}

/// One row of `PRAGMA foreign_key_check`: table, rowid, parent.
pub type Violation = (String, Option<i64>, String);

/// Violations grouped per child table and parent, with the first few
/// rowids of each, a line a group.
pub fn describe_violations(violations: Vec<Violation>) -> Vec<String> {
    let mut groups: Vec<(String, String, Vec<Option<i64>>)> = Vec::new();
    for (table, rowid, parent) in violations {
        match groups.iter_mut().find(|(t, p, _)| *t == table && *p == parent) {
            Some((_, _, ids)) => ids.push(rowid),
            None => groups.push((table, parent, vec![rowid])),
        }
    }
    groups
        .into_iter()
        .map(|(table, parent, ids)| {
            let first: Vec<String> =
                ids.iter().take(5).map(|i| i.map(|v| v.to_string()).unwrap_or_else(|| "?".into())).collect();
            format!(
                "  {} in `{table}` {} missing rows in `{parent}`; first rowids: {}",
                crate::words::count(ids.len() as i64, "row"),
                if ids.len() == 1 { "references" } else { "reference" },
                first.join(", ")
            )
        })
        .collect()
}
