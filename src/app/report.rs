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
            let generated = generated_text(&c.generated);
            json!({
                "op": "add_column", "table": table, "column": column,
                "type": ty, "nullable": nullable, "default": default,
                "collate": c.collate, "generated": generated
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
                    ("modify_generated", json!(generated_text(from)), json!(generated_text(to)))
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
        Change::AddView(v) => json!({"op": "add_view", "view": v.name, "definition": ddl::create_view(v)}),
        Change::RemoveView(v) => json!({"op": "remove_view", "view": v.name, "definition": ddl::create_view(v)}),
        Change::AddTrigger(t) => json!({"op": "add_trigger", "trigger": t.name, "table": t.table, "definition": t.sql}),
        Change::RemoveTrigger(t) => {
            json!({"op": "remove_trigger", "trigger": t.name, "table": t.table, "definition": t.sql})
        }
    }
}

/// A generated column's expression and kind: `a * 2 STORED`.
fn generated_text(g: &Option<Generated>) -> Option<String> {
    g.as_ref().map(|g| format!("{} {}", g.expr, if g.stored { "STORED" } else { "VIRTUAL" }))
}

pub fn write_text(diff: &Diff, to: &Schema, out: &mut dyn Write) -> io::Result<()> {
    // Drawn in memory and written at once: standard output flushes at every
    // line, and a diff of thousands of changes has tens of thousands.
    let mut text = Vec::new();
    draw_text(diff, to, &mut text)?;
    out.write_all(&text)
}

fn draw_text(diff: &Diff, to: &Schema, out: &mut dyn Write) -> io::Result<()> {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    let mut seen: std::collections::HashMap<Group, usize> = std::collections::HashMap::new();
    for change in changes {
        let title = match change {
            Change::AddView(view) | Change::RemoveView(view) => Group::View(&view.name),
            other => Group::Table(other.subject()),
        };
        let at = *seen.entry(title).or_insert_with(|| {
            groups.push((title, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(change);
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
    // The model's table as the upgrade writes it: a rowid column as the
    // database declares it.
    let before = diff.renamed.table(name);
    let kept = to.table(name).zip(before).and_then(|(t, b)| t.rowid_declared_as(b));
    let old = table_ddl(before);
    let new = table_ddl(kept.as_ref().or(to.table(name)));
    if old == new {
        return Ok(());
    }
    writeln!(out, "    {DIM}--- database{DIM:#}")?;
    writeln!(out, "    {DIM}+++ model{DIM:#}")?;
    // Split here, where a newline is found by `memchr`: `from_lines`
    // reads the text a character at a time.
    let (old, new): (Vec<&str>, Vec<&str>) = (old.split_inclusive('\n').collect(), new.split_inclusive('\n').collect());
    let text = TextDiff::from_slices(&old, &new);
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

/// The schema as a Mermaid ER diagram: tables with their columns (type,
/// PK/FK/UK, NOT NULL), foreign keys as relations. With a diff, what it
/// changes is marked on the columns and tables (and what it drops shown).
pub fn mermaid(schema: &Schema, diff: Option<&Diff>) -> String {
    use std::fmt::Write as _;
    let mut marks = Marks::default();
    let mut dropped: Vec<&Table> = Vec::new();
    if let Some(d) = diff {
        for change in &d.changes {
            marks.note(change);
            if let Change::RemoveTable(t) = change {
                dropped.push(t);
            }
        }
    }
    let mut out = String::from("erDiagram\n");
    let tables = crate::schema::order::parents_first(schema).into_iter().chain(dropped.iter().copied());
    let mut relations = Vec::new();
    for table in tables {
        let gone = dropped.iter().any(|t| std::ptr::eq(*t, table));
        let _ = writeln!(out, "    {} {{", entity(&table.name));
        let mut columns: Vec<(&Column, bool)> = table.columns.iter().map(|c| (c, false)).collect();
        if let Some(Table { columns: old, .. }) = diff.and_then(|d| d.renamed.table(&table.name)).filter(|_| !gone) {
            columns.extend(old.iter().filter(|c| table.column(&c.name).is_none()).map(|c| (c, true)));
        }
        for (column, removed) in columns {
            let mut keys = Vec::new();
            if table.in_primary_key(&column.name) {
                keys.push("PK");
            }
            if table.foreign_keys.iter().any(|f| f.columns.iter().any(|c| same_name(c, &column.name))) {
                keys.push("FK");
            }
            if table.uniques.iter().any(|u| u.columns.len() == 1 && same_name(&u.columns[0].name, &column.name)) {
                keys.push("UK");
            }
            let mut notes = Vec::new();
            if !column.nullable && !table.in_primary_key(&column.name) {
                notes.push("NOT NULL".to_string());
            }
            if gone || removed {
                notes.push("dropped".to_string());
            } else if marks.added_tables.iter().any(|t| same_name(t, &table.name)) {
                notes.push("added".to_string());
            } else {
                notes.extend(
                    marks
                        .columns
                        .iter()
                        .filter(|(t, c, _)| same_name(t, &table.name) && same_name(c, &column.name))
                        .map(|(_, _, n)| n.clone()),
                );
            }
            let keys = if keys.is_empty() { String::new() } else { format!(" {}", keys.join(", ")) };
            let notes =
                if notes.is_empty() { String::new() } else { format!(" \"{}\"", notes.join("; ").replace('"', "'")) };
            let _ = writeln!(out, "        {} {}{keys}{notes}", mermaid_type(&column.ty), entity(&column.name));
        }
        out.push_str("    }\n");
        if !gone {
            for fk in &table.foreign_keys {
                let optional = fk.columns.iter().any(|c| table.column(c).is_none_or(|c| c.nullable));
                let link = if optional { "|o--o{" } else { "||--o{" };
                relations.push(format!(
                    "    {} {link} {} : \"{}\"",
                    entity(&fk.ref_table),
                    entity(&table.name),
                    fk.columns.join(", ")
                ));
            }
        }
    }
    for r in relations {
        out.push_str(&r);
        out.push('\n');
    }
    out
}

/// What a diff changes, per table and column, in a few words.
#[derive(Default)]
struct Marks {
    added_tables: Vec<String>,
    /// (table, column, note)
    columns: Vec<(String, String, String)>,
}

impl Marks {
    fn note(&mut self, change: &Change) {
        let mut column = |t: &str, c: &str, note: String| self.columns.push((t.to_string(), c.to_string(), note));
        match change {
            Change::AddTable(t) => self.added_tables.push(t.name.clone()),
            Change::AddColumn { table, column: c } => column(table, &c.name, "added".into()),
            Change::RenameColumn { table, from, to } => column(table, to, format!("renamed from {from}")),
            Change::ModifyColumn { table, column: c, change } => {
                let (op, from, to) = change.parts();
                column(table, c, format!("{} {from} -> {to}", op.trim_start_matches("modify_")));
            }
            _ => {}
        }
    }
}

/// A name as Mermaid takes it: letters, digits, `_` and `-`.
fn entity(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s.insert(0, '_');
    }
    s
}

/// A type as Mermaid takes it: a word, with `(...)` kept and `,` as `_`.
fn mermaid_type(ty: &str) -> String {
    if ty.is_empty() {
        return "ANY".to_string();
    }
    let s: String =
        ty.chars().map(|c| if c.is_ascii_alphanumeric() || "_()[]-".contains(c) { c } else { '_' }).collect();
    if s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s
    } else {
        format!("T{s}")
    }
}
