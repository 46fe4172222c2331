//! AG301, AG302: a rename, which breaks the app code still running
//! against the old name until the new code is deployed.

use super::super::{Code, Hit, Review};
use crate::diff::Change;
use crate::schema::same_name;
use crate::sql::statement::Statement;

pub(super) fn hits(r: &Review) -> Vec<Hit> {
    let mut hits = Vec::new();
    for change in &r.diff.changes {
        match change {
            Change::RenameTable { from, to } => {
                let at = r.statement_at(
                    |i, s| {
                        matches!(s, Statement::RenameTable { from: f, .. }
                        if r.reading.origin(i, f, r.before).is_some_and(|o| same_name(&o, from)))
                    },
                    r.table_at(to),
                );
                let message = format!(
                    "renames table `{from}` to `{to}`: app code that still uses `{from}` fails until it is deployed"
                );
                hits.push(Hit { refused: false, code: Code::AG301, at, message, numbers: Vec::new() });
            }
            Change::RenameColumn { table, from, to: new } => {
                let at = r.statement_at(
                    |i, s| {
                        matches!(s, Statement::RenameColumn { table: t, from: f, .. }
                        if same_name(&r.reading.final_name(i, t), table) && same_name(f, from))
                    },
                    r.table_at(table),
                );
                let message = format!(
                    "renames column `{table}.{from}` to `{new}`: app code that still uses `{from}` fails until it is \
                        deployed"
                );
                hits.push(Hit { refused: false, code: Code::AG302, at, message, numbers: Vec::new() });
            }
            _ => {}
        }
    }
    hits
}
