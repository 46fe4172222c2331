//! Comparing two schemas (model.md, "Comparison rules"): the typed
//! [`Change`]s from what is to what is wanted.
//!
//! Renames come first: the hints of the wanted schema (`to`) are resolved
//! against `from`, and `from` is rewritten as SQLite's native `RENAME TO` /
//! `RENAME COLUMN` would leave it (they also rewrite foreign keys, indexes,
//! views and triggers that name the object). Everything after that compares
//! by name, so the planner can start from that renamed state.

mod change;
mod compare;
mod names;
mod renames;

pub use change::{Change, ColumnChange, Constraint, TableChange};
pub use compare::same_index;
pub use names::{canon, Names};
pub use renames::{apply_renames, resolve_renames, Renames};

use crate::schema::*;

/// The result of comparing two schemas.
#[derive(Debug, Clone)]
pub struct Diff {
    pub renames: Renames,
    /// `from` as it stands after the renames: the planner's starting point.
    pub renamed: Schema,
    pub changes: Vec<Change>,
    /// Loud hints: drops and adds that look like renames.
    pub suggestions: Vec<String>,
    /// A downgrade ([`reverse`]): columns it brings back that cannot be
    /// refilled get placeholders instead of failing the revision.
    pub restores: bool,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Compares `from` (what is) with `to` (what is wanted), taking renames from
/// `to`'s `renamed_from` hints.
///
/// ```
/// use std::path::Path;
/// let parse = |yaml: &str| autogen::parse_model(yaml, Path::new("m.yaml")).unwrap().schema;
/// let before = parse("tables: [{name: t, columns: [{name: a, type: TEXT}]}]");
/// let after = parse("tables: [{name: t, columns: [{name: b, type: TEXT, renamed_from: a}]}]");
/// let changes = autogen::diff(&before, &after);
/// let ops: Vec<String> = changes.changes.iter().map(ToString::to_string).collect();
/// assert_eq!(ops, ["rename column `t.a` to `b`"]);
/// assert!(autogen::diff(&after, &after).is_empty());
/// ```
pub fn diff(from: &Schema, to: &Schema) -> Diff {
    let renames = resolve_renames(from, to);
    diff_with_renames(from, to, renames)
}

/// [`diff`] that takes `from` by value: without renames it becomes the
/// diff's `renamed` as it is, where [`diff`] copies it (on a large schema
/// the copy costs a third of the comparison).
pub fn diff_owned(from: Schema, to: &Schema) -> Diff {
    let renames = resolve_renames(&from, to);
    let renamed = if renames.is_empty() { from } else { apply_renames(&from, &renames) };
    compare_renamed(renamed, to, renames)
}

/// Compares with explicit renames (a downgrade passes the inverse of the
/// upgrade's).
pub fn diff_with_renames(from: &Schema, to: &Schema, renames: Renames) -> Diff {
    compare_renamed(apply_renames(from, &renames), to, renames)
}

/// Compares `renamed`, the database with `renames` applied, with `to`.
fn compare_renamed(renamed: Schema, to: &Schema, renames: Renames) -> Diff {
    let names = Names::of(&[&renamed, to]);
    let mut found = compare::Found { names: &names, changes: rename_changes(&renames), suggestions: Vec::new() };
    compare::tables(&renamed, to, &mut found);
    compare::views(&renamed, to, &mut found);
    compare::triggers(&renamed, to, &mut found);
    let (changes, mut suggestions) = (found.changes, found.suggestions);
    suggestions.extend(swap_warnings(&renames));
    Diff { renames, renamed, changes, suggestions, restores: false }
}

/// Hints that name each other (a swap) move data whenever both names are
/// there, and a swap done cannot always be told from one to do (two
/// columns alike): once it has run, the hints must go, or the next
/// revision swaps the data back.
fn swap_warnings(renames: &Renames) -> Vec<String> {
    let mut warned: Vec<&String> = Vec::new();
    let mut out = Vec::new();
    for (table, old, new) in &renames.columns {
        let swap = renames.columns.iter().any(|(t, o, _)| same_name(t, table) && same_name(o, new));
        if swap && !warned.iter().any(|w| same_name(w, table)) {
            warned.push(table);
            out.push(format!(
                "the `renamed_from` hints of `{table}` swap columns (`{old}` becomes `{new}`, and `{new}` is renamed \
                 too): this moves their data. Once the revision that does it has run, remove the hints: a swap done \
                 and one to do can look alike, and the next revision would swap the data back"
            ));
        }
    }
    out
}

fn rename_changes(renames: &Renames) -> Vec<Change> {
    let tables = renames.tables.iter().map(|(old, new)| Change::RenameTable { from: old.clone(), to: new.clone() });
    let columns = renames.columns.iter().map(|(t, old, new)| Change::RenameColumn {
        table: t.clone(),
        from: old.clone(),
        to: new.clone(),
    });
    tables.chain(columns).collect()
}

/// The downgrade of `up` (which went from `from` to `to`): the same
/// comparison the other way, with the renames reversed.
pub fn reverse(up: &Diff, from: &Schema, to: &Schema) -> Diff {
    Diff { restores: true, ..diff_with_renames(to, from, up.renames.inverse()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::model::parse;

    fn schema(yaml: &str) -> Schema {
        parse(yaml, std::path::Path::new("m.yaml")).unwrap().schema
    }

    #[test]
    fn changes_carry_the_objects_before_and_after() {
        let from = schema(
            "tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}, {name: a, type: TEXT}]}]",
        );
        let to = schema(
            "tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}, {name: a, type: INT, \
             nullable: false, server_default: 0}], check_constraints: [{sql: a > 0}]}]",
        );
        let d = diff(&from, &to);
        let column = |change| Change::ModifyColumn { table: "t".into(), column: "a".into(), change };
        assert_eq!(
            d.changes[..3],
            [
                column(ColumnChange::Type { from: "TEXT".into(), to: "INT".into() }),
                column(ColumnChange::Nullable { from: true, to: false }),
                column(ColumnChange::Default { from: None, to: Some("0".into()) }),
            ]
        );
        let Change::AddConstraint { constraint: Constraint::Check(check), .. } = &d.changes[3] else {
            panic!("{:?}", d.changes)
        };
        assert_eq!((check.name.as_deref(), check.expr.as_str()), (None, "a > 0"));
        assert_eq!(d.changes.len(), 4);
    }

    #[test]
    fn the_reverse_diff_undoes_the_renames() {
        let from = schema("tables: [{name: old, columns: [{name: a, type: TEXT}]}]");
        let to = schema("tables: [{name: new, renamed_from: old, columns: [{name: b, type: TEXT, renamed_from: a}]}]");
        let up = diff(&from, &to);
        assert_eq!(
            up.changes,
            [
                Change::RenameTable { from: "old".into(), to: "new".into() },
                Change::RenameColumn { table: "new".into(), from: "a".into(), to: "b".into() },
            ]
        );
        let down = reverse(&up, &from, &to);
        assert_eq!(
            down.changes,
            [
                Change::RenameTable { from: "new".into(), to: "old".into() },
                Change::RenameColumn { table: "old".into(), from: "b".into(), to: "a".into() },
            ]
        );
        assert!(diff(&apply_renames(&to, &down.renames), &from).is_empty());
    }

    #[test]
    fn a_dropped_and_added_table_with_the_same_columns_is_a_suggestion() {
        let from = schema("tables: [{name: a, columns: [{name: x, type: TEXT}]}]");
        let to = schema("tables: [{name: b, columns: [{name: x, type: TEXT}]}]");
        let d = diff(&from, &to);
        let names = |c: &Change| match c {
            Change::AddTable(t) => format!("+{}", t.name),
            Change::RemoveTable(t) => format!("-{}", t.name),
            other => format!("{other}"),
        };
        assert_eq!(d.changes.iter().map(names).collect::<Vec<_>>(), ["+b", "-a"]);
        assert!(d.suggestions[0].contains("add `renamed_from: a` to table `b`"), "{:?}", d.suggestions);
    }
}
