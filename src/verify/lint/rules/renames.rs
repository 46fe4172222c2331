//! AG301, AG302: a rename, which breaks the app code still running
//! against the old name until the new code is deployed.

use super::super::{Code, Hit, Review};
use crate::diff::Change;

pub(super) fn hits(r: &Review, places: &super::places::Places) -> Vec<Hit> {
    let mut hits = Vec::new();
    for change in &r.diff.changes {
        match change {
            Change::RenameTable { from, to } => {
                let at = places.renamed_table(from, to);
                let message = format!(
                    "renames table `{from}` to `{to}`: app code that still uses `{from}` fails until it is deployed"
                );
                hits.push(Hit { refused: false, code: Code::AG301, at, message, numbers: Vec::new() });
            }
            Change::RenameColumn { table, from, to: new } => {
                let at = places.renamed_column(table, from);
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
