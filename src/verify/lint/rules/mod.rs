//! The rules, one module per family of codes (cli.md, "Lint rules"). Each
//! reads the [`Review`] of one revision and says what it found and where;
//! the policy and the ignore comments are applied after.

mod data;
mod destructive;
mod engine;
pub mod history;
mod renames;

use super::{At, Hit, Review};
use crate::schema::same_name;
use crate::sql::statement::Statement;
use crate::verify::warnings::Measure;

pub(crate) fn all(r: &Review) -> Vec<Hit> {
    let mut hits = Vec::new();
    hits.extend(destructive::hits(r));
    hits.extend(data::hits(r));
    hits.extend(renames::hits(r));
    hits.extend(engine::hits(r));
    hits
}

impl Review<'_> {
    /// The counts made for change `index` of the diff.
    fn measured(&self, index: usize) -> Vec<&Measure> {
        self.measures.iter().filter(|m| m.change == index).collect()
    }

    /// Where the section changes `table` (its name after the section): its
    /// rebuild, else the first statement that names it.
    fn table_at(&self, table: &str) -> At {
        let reading = self.reading;
        if let Some(g) = reading.groups.iter().find(|g| same_name(&reading.final_name(g.last, &g.table), table)) {
            return At::Span(g.first, g.last);
        }
        reading
            .statements
            .iter()
            .enumerate()
            .find(|(i, s)| touched(&s.kind).is_some_and(|t| same_name(&reading.final_name(*i, t), table)))
            .map_or(At::Nowhere, |(i, _)| At::Statement(i))
    }

    /// The first statement (outside any rebuild) that `matches`, else `fallback`.
    fn statement_at(&self, matches: impl Fn(usize, &Statement) -> bool, fallback: At) -> At {
        self.reading.statements.iter().enumerate().find(|(i, s)| matches(*i, &s.kind)).map_or(fallback, |(i, _)| {
            self.reading
                .groups
                .iter()
                .find(|g| g.parts.contains(&i))
                .map_or(At::Statement(i), |g| At::Span(g.first, g.last))
        })
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
