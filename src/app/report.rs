//! `autogen diff` output: readable text grouped by table with a unified
//! diff of each changed table's DDL, or JSON ops in Alembic's names.
//! Styles are always written; the binary's stream strips them when colour
//! is off (`--color`, NO_COLOR, not a terminal).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};

use crate::diff::{Change, Diff};
use crate::plan::describe;
use crate::schema::ddl as render;
use crate::schema::*;

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

pub fn write_json(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    let text = serde_json::to_string_pretty(&diff.changes).map_err(io::Error::other)?;
    writeln!(out, "{text}")
}

pub fn write_text(diff: &Diff, to: &Schema, out: &mut dyn Write) -> io::Result<()> {
    if diff.is_empty() {
        writeln!(out, "No changes: the database matches the model.")?;
        return Ok(());
    }
    let groups = group(&diff.changes);
    writeln!(out, "{} change{} in {} object{}:", diff.changes.len(), plural(diff.changes.len()), groups.len(), plural(groups.len()))?;
    for (title, changes) in &groups {
        writeln!(out)?;
        writeln!(out, "{HEAD}{title}{HEAD:#}")?;
        for change in changes {
            let (mark, style) = match change {
                Change::AddTable { .. }
                | Change::AddColumn { .. }
                | Change::AddIndex { .. }
                | Change::AddConstraint { .. }
                | Change::AddFk { .. }
                | Change::AddView { .. }
                | Change::AddTrigger { .. } => ("+", ADD),
                Change::RemoveTable { .. }
                | Change::RemoveColumn { .. }
                | Change::RemoveIndex { .. }
                | Change::RemoveConstraint { .. }
                | Change::RemoveFk { .. }
                | Change::RemoveView { .. }
                | Change::RemoveTrigger { .. } => ("-", REMOVE),
                _ => ("~", WARN),
            };
            let loss = if change.loses_data() { format!(" {WARN}(its data is lost){WARN:#}") } else { String::new() };
            writeln!(out, "  {style}{mark}{style:#} {}{loss}", describe(change))?;
        }
        if let Some(name) = title.strip_prefix("table ") {
            write_table_preview(diff, to, unquote(name), out)?;
        }
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn unquote(s: &str) -> &str {
    s.trim_matches('`')
}

/// Changes grouped under the object they touch, in first-seen order.
fn group(changes: &[Change]) -> Vec<(String, Vec<&Change>)> {
    let mut groups: Vec<(String, Vec<&Change>)> = Vec::new();
    for change in changes {
        let title = match change {
            Change::AddView { view } | Change::RemoveView { view } => format!("view `{view}`"),
            other => format!("table `{}`", other.subject()),
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
    let mut text = render::create_table(t, &t.name);
    text.push_str(";\n");
    for i in &t.indexes {
        text.push_str(&render::create_index(i, t));
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
