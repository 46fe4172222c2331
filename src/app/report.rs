//! `autogen diff` output: readable text grouped by table with a unified
//! diff of each changed table's DDL, or JSON ops in Alembic's names.
//! Styles are always written; the binary's stream strips them when colour
//! is off (`--color`, NO_COLOR, not a terminal).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};

use serde_json::{json, Value};

use crate::diff::{Change, ColumnChange, Diff};
use crate::schema::ddl;
use crate::schema::*;
use crate::words::plural;

const ADD: Style = AnsiColor::Green.on_default();
const REMOVE: Style = AnsiColor::Red.on_default();
const HEAD: Style = Style::new().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();
const DIM: Style = Style::new().dimmed();

/// Data-loss warnings and rename suggestions, for standard error.
pub fn write_warnings(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    for s in &diff.suggestions {
        writeln!(out, "{WARN}warning:{WARN:#} {s}")?;
    }
    Ok(())
}

/// `diff --format json`: one object per change, named as Alembic's
/// autogenerate names its ops (cli.md).
pub fn write_json(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    let ops: Vec<Value> = diff.changes.iter().map(json_op).collect();
    let text = serde_json::to_string_pretty(&ops).map_err(io::Error::other)?;
    writeln!(out, "{text}")
}

/// One change as a JSON op: `op`, the object it concerns, and the values
/// before and after.
pub fn json_op(change: &Change) -> Value {
    match change {
        Change::AddTable(t) => json!({"op": "add_table", "table": t.name}),
        Change::RemoveTable(t) => json!({"op": "remove_table", "table": t.name}),
        Change::RenameTable { from, to } => json!({"op": "rename_table", "table": to, "from": from}),
        Change::AddColumn { table, column: c } => {
            let (column, ty, nullable, default) = (&c.name, &c.ty, c.nullable, &c.default);
            json!({
                "op": "add_column", "table": table, "column": column,
                "type": ty, "nullable": nullable, "default": default
            })
        }
        Change::RemoveColumn { table, column } => json!({"op": "remove_column", "table": table, "column": column.name}),
        Change::RenameColumn { table, from, to } => {
            json!({"op": "rename_column", "table": table, "column": to, "from": from})
        }
        Change::ModifyColumn { table, column, change } => {
            let (op, from, to) = match change {
                ColumnChange::Type { from, to } => ("modify_type", json!(from), json!(to)),
                ColumnChange::Nullable { from, to } => ("modify_nullable", json!(from), json!(to)),
                ColumnChange::Default { from, to } => ("modify_default", json!(from), json!(to)),
                ColumnChange::Collation { from, to } => ("modify_collation", json!(from), json!(to)),
                ColumnChange::Generated { from, to } => {
                    let text = |g: &Option<Generated>| {
                        g.as_ref().map(|g| format!("{} {}", g.expr, if g.stored { "STORED" } else { "VIRTUAL" }))
                    };
                    ("modify_generated", json!(text(from)), json!(text(to)))
                }
                ColumnChange::OnConflict { from, to } => {
                    ("modify_on_conflict", json!(from.map(|c| c.as_sql())), json!(to.map(|c| c.as_sql())))
                }
            };
            json!({"op": op, "table": table, "column": column, "from": from, "to": to})
        }
        Change::AddIndex { table, index } => {
            let definition = ddl::index_definition(index);
            json!({
                "op": "add_index", "table": table, "index": index.name, "unique": index.unique, "definition": definition
            })
        }
        Change::RemoveIndex { table, index } => {
            let definition = ddl::index_definition(index);
            json!({
                "op": "remove_index", "table": table, "index": index.name,
                "unique": index.unique, "definition": definition
            })
        }
        Change::AddConstraint { table, constraint: c } | Change::RemoveConstraint { table, constraint: c } => {
            let op =
                if matches!(change, Change::AddConstraint { .. }) { "add_constraint" } else { "remove_constraint" };
            json!({"op": op, "table": table, "constraint": c.name(), "kind": c.kind(), "definition": c.definition()})
        }
        Change::AddForeignKey { table, foreign_key: f } | Change::RemoveForeignKey { table, foreign_key: f } => {
            let op = if matches!(change, Change::AddForeignKey { .. }) { "add_fk" } else { "remove_fk" };
            json!({"op": op, "table": table, "constraint": f.name, "definition": ddl::fk_definition(f)})
        }
        Change::ModifyTable { table, change } => {
            let (property, from, to) = change.parts();
            json!({"op": "modify_table", "table": table, "property": property, "from": from, "to": to})
        }
        Change::AddView(v) => json!({"op": "add_view", "view": v.name}),
        Change::RemoveView(v) => json!({"op": "remove_view", "view": v.name}),
        Change::AddTrigger(t) => json!({"op": "add_trigger", "trigger": t.name, "table": t.table}),
        Change::RemoveTrigger(t) => json!({"op": "remove_trigger", "trigger": t.name, "table": t.table}),
    }
}

pub fn write_text(diff: &Diff, to: &Schema, out: &mut dyn Write) -> io::Result<()> {
    if diff.is_empty() {
        writeln!(out, "No changes: the database matches the model.")?;
        return Ok(());
    }
    let groups = group(&diff.changes);
    writeln!(
        out,
        "{} change{} in {} object{}:",
        diff.changes.len(),
        plural(diff.changes.len() as i64),
        groups.len(),
        plural(groups.len() as i64)
    )?;
    for (title, changes) in &groups {
        writeln!(out)?;
        writeln!(out, "{HEAD}{title}{HEAD:#}")?;
        for change in changes {
            let (mark, style) = match change.sign() {
                Some(true) => ("+", ADD),
                Some(false) => ("-", REMOVE),
                None => ("~", WARN),
            };
            let loss = if change.loses_data() { format!(" {WARN}(its data is lost){WARN:#}") } else { String::new() };
            writeln!(out, "  {style}{mark}{style:#} {change}{loss}")?;
        }
        if let Group::Table(name) = *title {
            write_table_preview(diff, to, name, out)?;
        }
    }
    Ok(())
}

/// The object a group of changes is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group<'a> {
    Table(&'a str),
    View(&'a str),
}

impl std::fmt::Display for Group<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Group::Table(name) => write!(f, "table `{name}`"),
            Group::View(name) => write!(f, "view `{name}`"),
        }
    }
}

/// Changes grouped under the object they touch, in first-seen order.
fn group(changes: &[Change]) -> Vec<(Group<'_>, Vec<&Change>)> {
    let mut groups: Vec<(Group, Vec<&Change>)> = Vec::new();
    for change in changes {
        let title = match change {
            Change::AddView(view) | Change::RemoveView(view) => Group::View(&view.name),
            other => Group::Table(other.subject()),
        };
        match groups.iter_mut().find(|(t, _)| *t == title) {
            Some((_, list)) => list.push(change),
            None => groups.push((title, vec![change])),
        }
    }
    groups
}

fn table_ddl(table: Option<&Table>) -> String {
    let Some(t) = table else { return String::new() };
    let mut text = ddl::create_table(t, &t.name);
    text.push_str(";\n");
    for i in &t.indexes {
        text.push_str(&ddl::create_index(i, t));
        text.push_str(";\n");
    }
    text
}

fn write_table_preview(diff: &Diff, to: &Schema, name: &str, out: &mut dyn Write) -> io::Result<()> {
    let old = table_ddl(diff.renamed.table(name));
    let new = table_ddl(to.table(name));
    if old == new {
        return Ok(());
    }
    writeln!(out, "    {DIM}--- database{DIM:#}")?;
    writeln!(out, "    {DIM}+++ model{DIM:#}")?;
    let text = TextDiff::from_lines(&old, &new);
    for hunk in text.unified_diff().context_radius(3).iter_hunks() {
        for change in hunk.iter_changes() {
            let line = change.value().trim_end_matches('\n');
            match change.tag() {
                ChangeTag::Delete => writeln!(out, "    {REMOVE}-{line}{REMOVE:#}")?,
                ChangeTag::Insert => writeln!(out, "    {ADD}+{line}{ADD:#}")?,
                ChangeTag::Equal => writeln!(out, "     {line}")?,
            }
        }
    }
    Ok(())
}
