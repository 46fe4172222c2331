//! AG401–AG403: what the engine that runs the revision refuses, ignores or
//! turns against the rows (sqlite.md, "D1").

use super::super::reading::controls_transactions;
use super::super::{At, Code, Hit, Review};
use std::collections::BTreeMap;

use crate::schema::{fold, same_name};
use crate::sql::statement::Statement;
use crate::sql::FkAction;
use crate::words::thousands;

/// D1's limit on one statement (developers.cloudflare.com/d1/platform/limits).
pub const D1_STATEMENT_BYTES: usize = 100_000;

pub(super) fn hits(r: &Review) -> Vec<Hit> {
    let mut hits = Vec::new();
    // Where each table is first emptied: a table emptied before a rebuild
    // (a held table: its rows set aside and put back) has no rows for an
    // action to reach.
    let mut first_emptied: BTreeMap<String, usize> = BTreeMap::new();
    for (i, s) in r.reading.statements.iter().enumerate() {
        if let Statement::DeleteAll { table } = &s.kind {
            first_emptied.entry(fold(table)).or_insert(i);
        }
    }
    // Each table's children, found once: excluded tables too, since
    // `exclude` keeps them out of the diff, not out of the reach of a DROP
    // TABLE's foreign-key actions.
    let mut children: BTreeMap<String, Vec<&crate::schema::Table>> = BTreeMap::new();
    for table in r.before.tables.values().chain(r.before.outside.tables.values()) {
        let mut parents: Vec<String> = table.foreign_keys.iter().map(|fk| fold(&fk.ref_table)).collect();
        parents.dedup();
        for parent in parents {
            children.entry(parent).or_default().push(table);
        }
    }
    for g in &r.reading.groups {
        let Some(origin) = r.reading.origin(g.first, &g.table, r.before) else { continue };
        let emptied = |table: &str| first_emptied.get(&fold(table)).is_some_and(|&i| i < g.first);
        let tables = children.get(&fold(&origin)).into_iter().flatten();
        for child in tables.filter(|t| !same_name(&t.name, &origin) && !emptied(&t.name)) {
            for fk in child.foreign_keys.iter().filter(|fk| same_name(&fk.ref_table, &origin)) {
                let acts = |a: FkAction| matches!(a, FkAction::Cascade | FkAction::SetNull | FkAction::SetDefault);
                let actions: Vec<String> = [("DELETE", fk.on_delete), ("UPDATE", fk.on_update)]
                    .into_iter()
                    .filter(|(_, a)| acts(*a))
                    .map(|(on, a)| format!("ON {on} {}", a.as_sql()))
                    .collect();
                if actions.is_empty() {
                    continue;
                }
                let message = format!(
                    "rebuilds `{origin}`, which `{}` ({}) references {}: where foreign keys stay on while the revision \
                     runs (D1), its DROP TABLE runs that action on the rows of `{}`",
                    child.name,
                    super::names(&fk.columns),
                    actions.join(" "),
                    child.name
                );
                hits.push(Hit {
                    refused: false,
                    code: Code::AG401,
                    at: At::Span(g.first, g.last),
                    message,
                    numbers: Vec::new(),
                });
            }
        }
    }
    let limit = r.caps.max_statement_bytes.unwrap_or(D1_STATEMENT_BYTES);
    for (i, s) in r.reading.statements.iter().enumerate() {
        if controls_transactions(&s.kind) {
            let message = match &s.kind {
                Statement::Transaction(word) => format!(
                    "`{word}` in a revision: autogen runs each revision in a transaction of its own, which this would \
                     end half way (and D1 refuses it); remove it"
                ),
                _ => "`PRAGMA foreign_keys` in a revision does nothing: it cannot change inside the revision's \
                      transaction (and D1 ignores it); autogen turns enforcement off around each revision where the \
                      engine allows"
                    .to_string(),
            };
            // The runner refuses a revision that controls transactions
            // itself; `PRAGMA foreign_keys` in one only does nothing.
            let refused = matches!(s.kind, Statement::Transaction(_));
            hits.push(Hit { refused, code: Code::AG402, at: At::Statement(i), message, numbers: Vec::new() });
        }
        if s.text.len() > limit {
            let message = format!(
                "a statement of {} bytes: D1 refuses statements over {} bytes; split it",
                thousands(s.text.len() as i64),
                thousands(limit as i64)
            );
            hits.push(Hit {
                refused: false,
                code: Code::AG403,
                at: At::Statement(i),
                message,
                numbers: vec![("bytes", s.text.len() as i64)],
            });
        }
    }
    hits
}
