//! Rename hints given beside the model rather than in it (cli.md, "Models
//! that live in code"): `renames:` in autogen.yaml (NEW: OLD) for every
//! kind of model, and the hints an ORM's models carry (SQLAlchemy's
//! `info={"renamed_from": ...}`), which its dumper prints. They set the
//! same `renamed_from` a YAML model writes, so the diff treats them alike:
//! a hint whose old name the database no longer has is inert.

use std::path::PathBuf;

use crate::schema::{same_name, Schema};

use super::ModelError;

/// Where a hint was written, for its errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
}

/// `NEW: OLD`: the table `NEW` (or the column `TABLE.COLUMN`) of the model
/// was called `OLD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameHint {
    pub new: String,
    pub old: String,
    pub at: Place,
}

/// Sets each hint's `renamed_from` on the model's table or column. A hint
/// naming what the model lacks is an error (a typo would otherwise plan a
/// drop and an add); so are two different old names for one object.
pub fn apply(schema: &mut Schema, hints: &[RenameHint]) -> Result<(), ModelError> {
    for hint in hints {
        let error = |message: String| ModelError {
            file: hint.at.file.clone(),
            line: hint.at.line,
            column: hint.at.column,
            message,
        };
        let conflict = |what: &str, before: &str| {
            error(format!(
                "conflicting rename hints for {what}: renamed from `{before}` and from `{}`; keep one",
                hint.old
            ))
        };
        // A table whose own name holds a dot is named whole; else TABLE.COLUMN.
        let (table_name, column_name) = match schema.table(&hint.new) {
            Some(_) => (hint.new.as_str(), None),
            None => match hint.new.split_once('.') {
                Some((t, c)) => (t.trim(), Some(c.trim())),
                None => (hint.new.as_str(), None),
            },
        };
        let key = crate::schema::fold(table_name);
        let Some(table) = schema.tables.get_mut(&key) else {
            return Err(error(format!(
                "rename hint `{}: {}` names the table `{table_name}`, which the model does not have (hints are \
                 NEW: OLD, with NEW as the model names it)",
                hint.new, hint.old
            )));
        };
        match column_name {
            None => match table.renamed_from.clone() {
                Some(before) if !same_name(&before, &hint.old) => {
                    return Err(conflict(&format!("table `{}`", table.name), &before))
                }
                _ => table.renamed_from = Some(hint.old.clone()),
            },
            Some(column_name) => {
                let table_shown = table.name.clone();
                let Some(column) = table.columns.iter_mut().find(|c| same_name(&c.name, column_name)) else {
                    return Err(error(format!(
                        "rename hint `{}: {}` names the column `{column_name}` of `{table_shown}`, which the model \
                         does not have (hints are NEW: OLD, with NEW as the model names it)",
                        hint.new, hint.old
                    )));
                };
                match column.renamed_from.clone() {
                    Some(before) if !same_name(&before, &hint.old) => {
                        let what = format!("column `{table_shown}.{}`", column.name);
                        return Err(conflict(&what, &before));
                    }
                    _ => column.renamed_from = Some(hint.old.clone()),
                }
            }
        }
    }
    Ok(())
}
