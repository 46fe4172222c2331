//! The rules, one module per family of codes (cli.md, "Lint rules"). Each
//! reads the [`Review`] of one revision and says what it found and where;
//! the policy and the ignore comments are applied after.

mod data;
mod destructive;
mod engine;
pub mod history;
mod places;
mod renames;

use super::{Hit, Review};
use crate::sql::statement::Statement;
use crate::verify::warnings::Measure;

pub(crate) fn all(r: &Review) -> Vec<Hit> {
    let places = places::Places::of(r);
    let mut hits = Vec::new();
    hits.extend(destructive::hits(r, &places));
    hits.extend(data::hits(r, &places));
    hits.extend(renames::hits(r, &places));
    hits.extend(engine::hits(r));
    hits
}

impl Review<'_> {
    /// The counts made for change `index` of the diff.
    fn measured(&self, index: usize) -> Vec<&Measure> {
        let first = self.measures.partition_point(|m| m.change < index);
        self.measures[first..].iter().take_while(|m| m.change == index).collect()
    }
}

/// The table a statement acts on, as it names it.
fn touched(kind: &Statement) -> Option<&str> {
    match kind {
        Statement::CreateTable { name, .. } | Statement::DropTable { name } => Some(name),
        Statement::RenameTable { to, .. } => Some(to),
        Statement::RenameColumn { table, .. }
        | Statement::AddColumn { table }
        | Statement::DropColumn { table, .. }
        | Statement::Insert { table, .. }
        | Statement::CreateIndex { table, .. }
        | Statement::DeleteAll { table } => Some(table),
        Statement::Transaction(_) | Statement::Pragma { .. } | Statement::Other => None,
    }
}

/// A rule's sentence, or the counts' own when any is more than zero; with
/// `zero` when the database has none.
fn with_numbers(base: String, measures: &[&Measure], zero: &str) -> (String, Vec<(&'static str, i64)>) {
    let numbers: Vec<(&'static str, i64)> = measures.iter().map(|m| (m.what, m.count)).collect();
    let found: Vec<&str> = measures.iter().filter(|m| m.count > 0).map(|m| m.warning.as_str()).collect();
    // The count's own sentence names the object and says what fails.
    let message = if !found.is_empty() {
        found.join("; ")
    } else if !measures.is_empty() {
        format!("{base} ({zero})")
    } else {
        base
    };
    (message, numbers)
}

/// A list of names as messages write them: `` `a`, `b` ``.
fn names<S: AsRef<str>>(items: &[S]) -> String {
    items.iter().map(|s| format!("`{}`", s.as_ref())).collect::<Vec<_>>().join(", ")
}
