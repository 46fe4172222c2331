//! Where in a section each finding goes, found in one pass over its
//! statements: the rules ask for every change of the diff, and a scan of
//! the section for each made lint quadratic in the revision (issue 26).

use std::collections::HashMap;

use super::super::{At, Review};
use crate::schema::fold;
use crate::sql::statement::Statement;

/// The first statement of each kind and name the rules look for, keyed by
/// folded names: tables by their name after the section.
#[derive(Default)]
pub(super) struct Places {
    /// A table's rebuild.
    rebuilt: HashMap<String, At>,
    /// The first statement that acts on a table.
    touched: HashMap<String, usize>,
    /// (table, column) dropped.
    dropped_column: HashMap<(String, String), usize>,
    /// (table, old column name) renamed.
    renamed_column: HashMap<(String, String), usize>,
    /// A table renamed, by its name before the section.
    renamed_table: HashMap<String, usize>,
    created_index: HashMap<String, usize>,
    /// The rebuild each statement is part of.
    group_of: Vec<Option<At>>,
}

impl Places {
    pub(super) fn of(r: &Review) -> Places {
        let reading = r.reading;
        let mut places = Places { group_of: vec![None; reading.statements.len()], ..Places::default() };
        for g in &reading.groups {
            let at = At::Span(g.first, g.last);
            places.rebuilt.entry(fold(&reading.final_name(g.last, &g.table))).or_insert(at);
            for &i in &g.parts {
                places.group_of[i] = Some(at);
            }
        }
        for (i, s) in reading.statements.iter().enumerate() {
            let final_of = |t: &str| fold(&reading.final_name(i, t));
            if let Some(table) = super::touched(&s.kind) {
                places.touched.entry(final_of(table)).or_insert(i);
            }
            match &s.kind {
                Statement::DropColumn { table, column } => {
                    places.dropped_column.entry((final_of(table), fold(column))).or_insert(i);
                }
                Statement::RenameColumn { table, from, .. } => {
                    places.renamed_column.entry((final_of(table), fold(from))).or_insert(i);
                }
                Statement::RenameTable { from, .. } => {
                    if let Some(origin) = reading.origin(i, from, r.before) {
                        places.renamed_table.entry(fold(&origin)).or_insert(i);
                    }
                }
                Statement::CreateIndex { name, .. } => {
                    places.created_index.entry(fold(name)).or_insert(i);
                }
                _ => {}
            }
        }
        places
    }

    /// Where the section changes `table` (its name after the section): its
    /// rebuild, else the first statement that names it.
    pub(super) fn table(&self, table: &str) -> At {
        let key = fold(table);
        self.rebuilt
            .get(&key)
            .copied()
            .or_else(|| self.touched.get(&key).map(|&i| At::Statement(i)))
            .unwrap_or(At::Nowhere)
    }

    /// Statement `i`, or the rebuild it is part of; `fallback` for none.
    fn statement(&self, i: Option<&usize>, fallback: At) -> At {
        i.map_or(fallback, |&i| self.group_of[i].unwrap_or(At::Statement(i)))
    }

    pub(super) fn dropped_column(&self, table: &str, column: &str) -> At {
        self.statement(self.dropped_column.get(&(fold(table), fold(column))), self.table(table))
    }

    pub(super) fn renamed_column(&self, table: &str, from: &str) -> At {
        self.statement(self.renamed_column.get(&(fold(table), fold(from))), self.table(table))
    }

    /// A rename of the table named `from` before the section (now `to`).
    pub(super) fn renamed_table(&self, from: &str, to: &str) -> At {
        self.statement(self.renamed_table.get(&fold(from)), self.table(to))
    }

    pub(super) fn created_index(&self, name: &str, table: &str) -> At {
        self.statement(self.created_index.get(&fold(name)), self.table(table))
    }
}
