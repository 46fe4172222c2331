//! A revision section read statement by statement: what each does, the
//! `-- autogen:lint-ignore` comments over it, and the table rebuilds its
//! statements make together. A rebuild is one change, as Atlas reads it:
//! create a new table, copy the rows, drop the old one, and rename the new
//! one onto its name (SQLite's "12 steps", sqlite-utils, Django, Alembic and
//! autogen), or copy them back under the old name, or rename the old one
//! away first.

use crate::diff::Renames;
use crate::engine::RunError;
use std::collections::HashMap;

use crate::schema::{fold, same_name, Schema};
use crate::sql::statement::{classify, Items, Statement};
use crate::sql::{lexer, parse_create, Create};

use super::{At, Code, LintError, Subject};

const MARKER: &str = "autogen:lint-ignore";

/// One statement of the section.
pub(crate) struct Read<'a> {
    pub text: &'a str,
    pub kind: Statement,
    /// Its line in the file (0 without a file).
    pub line: usize,
    /// The comments between the previous statement and this one.
    gap: &'a str,
    gap_line: usize,
}

/// A rebuild of one table, recognised from its statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// The table's name as the rebuild's statements write it.
    pub table: String,
    pub first: usize,
    pub last: usize,
    /// The statements that make the rebuild (the others between first and
    /// last are the user's own).
    pub parts: Vec<usize>,
    /// The statements that copy the rows, in order.
    copies: Vec<usize>,
}

pub(crate) struct Reading<'a> {
    pub statements: Vec<Read<'a>>,
    pub groups: Vec<Group>,
    first_line: usize,
    /// Whether each statement is part of a group, looked up for every
    /// statement of sections thousands of statements long.
    in_group: Vec<bool>,
    /// The section's own renames and creates (not a rebuild's), by name:
    /// what [`Reading::origin`] and [`Reading::final_name`] follow, so that
    /// asking for every statement stays linear in the section's length.
    names: NameEvents,
}

/// Where names come and go in a section, by folded name, each list in
/// statement order.
#[derive(Default)]
struct NameEvents {
    /// A rename's new name: (statement, old name).
    renamed_to: HashMap<String, Vec<(usize, String)>>,
    /// A rename's old name: (statement, new name).
    renamed_from: HashMap<String, Vec<(usize, String)>>,
    created: HashMap<String, Vec<usize>>,
}

impl NameEvents {
    fn of(statements: &[Read], internal: &[bool]) -> NameEvents {
        let mut events = NameEvents::default();
        for (i, s) in statements.iter().enumerate().filter(|(i, _)| !internal.get(*i).copied().unwrap_or(false)) {
            match &s.kind {
                Statement::RenameTable { from, to } => {
                    events.renamed_to.entry(fold(to)).or_default().push((i, from.clone()));
                    events.renamed_from.entry(fold(from)).or_default().push((i, to.clone()));
                }
                Statement::CreateTable { name, .. } => events.created.entry(fold(name)).or_default().push(i),
                _ => {}
            }
        }
        events
    }
}

impl<'a> Reading<'a> {
    pub fn of(subject: &Subject<'a>) -> Result<Reading<'a>, RunError> {
        let script = subject.script;
        let texts = lexer::split_statements(script).map_err(|e| RunError::Unsplittable {
            revision: subject.revision.into(),
            file: subject.file.into(),
            message: e.to_string(),
        })?;
        let mut statements = Vec::new();
        let mut previous_end = 0;
        // Lines counted as the text goes by, not from the start each time
        // (a 1000-table revision has tens of thousands of statements).
        let mut line = subject.line;
        let on = |line: usize| if subject.line == 0 { 0 } else { line };
        for text in texts {
            let start = (text.as_ptr() as usize) - (script.as_ptr() as usize);
            let gap = &script[previous_end..start];
            let gap_line = on(line);
            line += gap.matches('\n').count();
            statements.push(Read { text, kind: classify(text), line: on(line), gap, gap_line });
            line += text.matches('\n').count();
            previous_end = start + text.len();
        }
        let mut reading = Reading {
            statements,
            groups: Vec::new(),
            first_line: subject.line,
            in_group: Vec::new(),
            names: NameEvents::default(),
        };
        (reading.groups, reading.in_group) = reading.find_groups();
        reading.names = NameEvents::of(&reading.statements, &reading.in_group);
        Ok(reading)
    }

    /// Codes named in ignore comments that are not rules are an error: a
    /// typo would silence nothing and say nothing.
    pub fn check_ignores(&self, subject: &Subject) -> Result<(), LintError> {
        for s in &self.statements {
            for (offset, codes) in ignore_comments(s.gap) {
                for code in codes {
                    if let Err(message) = code.parse::<Code>() {
                        let line = if s.gap_line == 0 { 0 } else { s.gap_line + offset };
                        let place = match (subject.file, line) {
                            ("", _) => format!("revision `{}`", subject.revision),
                            (file, 0) => file.to_string(),
                            (file, line) => format!("{file}:{line}"),
                        };
                        return Err(LintError::IgnoreComment { place, message: format!("`{MARKER}`: {message}") });
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether a comment over the statement(s) at `at` names `code`.
    pub fn ignored(&self, code: Code, at: At) -> bool {
        let range = match at {
            At::Statement(i) => i..=i,
            At::Span(a, b) => a..=b,
            At::Nowhere => return false,
        };
        self.statements[range]
            .iter()
            .any(|s| ignore_comments(s.gap).any(|(_, codes)| codes.iter().any(|c| c.parse::<Code>() == Ok(code))))
    }

    /// The line a finding at `at` is reported on.
    pub fn line(&self, at: At) -> usize {
        match at {
            At::Statement(i) | At::Span(i, _) => self.statements[i].line,
            At::Nowhere => self.first_line,
        }
    }

    /// The statement that starts on `line`.
    pub fn at_line(&self, line: usize) -> Option<usize> {
        (line > 0).then(|| self.statements.iter().position(|s| s.line == line)).flatten()
    }

    /// The script as the scratch runs it: what the engine refuses or
    /// ignores inside a revision (transaction control, `PRAGMA
    /// foreign_keys`) is blanked out, lines kept, and reported instead.
    pub fn runnable(&self, script: &str) -> String {
        let mut out = script.to_string();
        for s in self.statements.iter().filter(|s| controls_transactions(&s.kind)) {
            let start = (s.text.as_ptr() as usize) - (script.as_ptr() as usize);
            // Byte for byte, so that the offsets of later statements hold.
            let blank: String =
                s.text.chars().map(|c| if c == '\n' { "\n".to_string() } else { " ".repeat(c.len_utf8()) }).collect();
            out.replace_range(start..start + s.text.len(), &blank);
        }
        out
    }

    fn internal(&self, i: usize) -> bool {
        self.in_group.get(i).copied().unwrap_or(false)
    }

    /// The table `name` (as statement `i` names it) was called before the
    /// section ran; `None` when the section created it.
    pub fn origin(&self, i: usize, name: &str, before: &Schema) -> Option<String> {
        // Back from `i`: the latest rename onto the name, or its creation.
        let (mut name, mut at) = (name.to_string(), i);
        loop {
            let key = fold(&name);
            let renamed = self.names.renamed_to.get(&key).and_then(|v| v[..v.partition_point(|(j, _)| *j < at)].last());
            let created = self.names.created.get(&key).and_then(|v| v[..v.partition_point(|j| *j < at)].last());
            match (renamed, created) {
                (Some((j, _)), Some(c)) if c > j => return None,
                (Some((j, from)), _) => (name, at) = (from.clone(), *j),
                (None, Some(_)) => return None,
                (None, None) => return before.table(&name).map(|t| t.name.clone()),
            }
        }
    }

    /// The name the table `name` (as statement `i` names it) has when the
    /// section is done.
    pub fn final_name(&self, i: usize, name: &str) -> String {
        // Forward from `i`: each next rename away from the name.
        let (mut name, mut at) = (name.to_string(), i);
        while let Some((j, to)) = self.names.renamed_from.get(&fold(&name)).and_then(|v| {
            let next = v.partition_point(|(j, _)| *j <= at);
            v.get(next)
        }) {
            (name, at) = (to.clone(), *j);
        }
        name
    }

    /// The tables the section drops that held rows before it (a rebuild's
    /// drop is not one): (statement, the table's name before the section).
    pub fn dropped_tables(&self, before: &Schema) -> Vec<(usize, String)> {
        self.statements
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.internal(*i))
            .filter_map(|(i, s)| match &s.kind {
                Statement::DropTable { name } => Some((i, self.origin(i, name, before)?)),
                _ => None,
            })
            .collect()
    }

    /// The renames the section makes, as the diff takes them: native
    /// RENAME statements, and columns a rebuild's copy moves to a new name.
    pub fn renames(&self, before: &Schema, after: &Schema) -> Renames {
        let mut renames = Renames::default();
        let mut columns: Vec<(String, String, String)> = Vec::new();
        for (i, s) in self.statements.iter().enumerate() {
            if self.internal(i) {
                continue;
            }
            match &s.kind {
                Statement::RenameTable { from, to } => {
                    if let Some(old) = self.origin(i, from, before) {
                        let new = self.final_name(i, to);
                        if !renames.tables.iter().any(|(o, _)| same_name(o, &old)) {
                            renames.tables.push((old, new));
                        }
                    }
                }
                Statement::RenameColumn { table, from, to } => {
                    if let Some(old) = self.origin(i, table, before) {
                        rename_column(&mut columns, &old, from, to);
                    }
                }
                _ => {}
            }
        }
        for g in &self.groups {
            let Some(origin) = self.origin(g.first, &g.table, before) else { continue };
            for (old, new) in self.copied_columns(g, &origin, before) {
                rename_column(&mut columns, &origin, &old, &new);
            }
        }
        renames.tables.retain(|(old, new)| old != new && before.table(old).is_some() && after.table(new).is_some());
        let final_of = |old: &str| {
            renames.tables.iter().find(|(o, _)| same_name(o, old)).map_or(old.to_string(), |(_, n)| n.clone())
        };
        for (old_table, old, new) in columns {
            let new_table = final_of(&old_table);
            let kept = before.table(&old_table).is_some_and(|t| t.column(&old).is_some() && t.column(&new).is_none())
                && after.table(&new_table).is_some_and(|t| t.column(&new).is_some() && t.column(&old).is_none());
            if kept && old != new {
                renames.columns.push((new_table, old, new));
            }
        }
        renames
    }

    /// The columns a rebuild's copies carry under another name: (old, new).
    fn copied_columns(&self, g: &Group, origin: &str, before: &Schema) -> Vec<(String, String)> {
        let Some(table) = before.table(origin) else { return Vec::new() };
        // Follow each original column through the copies, in order.
        let mut carried: Vec<(String, String)> =
            table.columns.iter().map(|c| (c.name.clone(), c.name.clone())).collect();
        for &c in &g.copies {
            let Statement::Insert { table: target, columns, copy: Some(copy) } = &self.statements[c].kind else {
                continue;
            };
            let targets = if columns.is_empty() { self.created_columns(g, target) } else { columns.clone() };
            let sources: Vec<Option<String>> = match &copy.items {
                Items::All => carried.iter().map(|(_, now)| Some(now.clone())).collect(),
                Items::Each(items) => items.clone(),
            };
            if targets.len() != sources.len() {
                return Vec::new();
            }
            carried = carried
                .iter()
                .filter_map(|(old, now)| {
                    let at = sources.iter().position(|s| s.as_deref().is_some_and(|s| same_name(s, now)))?;
                    Some((old.clone(), targets[at].clone()))
                })
                .collect();
        }
        carried.into_iter().filter(|(old, new)| old != new).collect()
    }

    /// The stored columns of the table the rebuild creates under `name`.
    fn created_columns(&self, g: &Group, name: &str) -> Vec<String> {
        let created = g.parts.iter().find_map(|&i| match &self.statements[i].kind {
            Statement::CreateTable { name: n, .. } if same_name(n, name) => Some(self.statements[i].text),
            _ => None,
        });
        match created.map(parse_create) {
            Some(Ok(Create::Table(t))) => t.columns.iter().map(|c| c.name.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// The groups, and whether each statement is part of one.
    fn find_groups(&self) -> (Vec<Group>, Vec<bool>) {
        let mut groups: Vec<Group> = Vec::new();
        let mut taken = vec![false; self.statements.len()];
        for (j, s) in self.statements.iter().enumerate() {
            if taken[j] {
                continue;
            }
            let group = match &s.kind {
                Statement::DropTable { name } => self.copy_then_drop(j, name),
                Statement::RenameTable { from, to } => self.rename_away(j, from, to),
                _ => None,
            };
            if let Some(g) = group.filter(|g| !g.parts.iter().any(|&i| taken[i])) {
                g.parts.iter().for_each(|&i| taken[i] = true);
                groups.push(g);
            }
        }
        (groups, taken)
    }

    /// `CREATE TABLE x`, a copy of `t` into `x`, then (at `drop`) `DROP
    /// TABLE t`, then either `ALTER TABLE x RENAME TO t`, or `CREATE TABLE
    /// t`, a copy back from `x` and `DROP TABLE x`.
    fn copy_then_drop(&self, drop: usize, table: &str) -> Option<Group> {
        let s = &self.statements;
        let (create, copy, temp) = (0..drop).rev().find_map(|c| {
            let copies_into = |target: &str| match &s[c].kind {
                Statement::Insert { table: t, copy: Some(copy), .. } => {
                    same_name(t, target) && same_name(&copy.source, table)
                }
                _ => false,
            };
            match &s[c].kind {
                Statement::CreateTable { name, as_select_from: Some(src) } if same_name(src, table) => {
                    Some((c, c, name.clone()))
                }
                Statement::Insert { table: target, copy: Some(_), .. } if copies_into(target) => {
                    let create = (0..c).rev().find(
                        |&i| matches!(&s[i].kind, Statement::CreateTable { name, .. } if same_name(name, target)),
                    )?;
                    Some((create, c, target.clone()))
                }
                _ => None,
            }
        })?;
        if same_name(&temp, table) {
            return None;
        }
        let renames_back = |k: &usize| match &s[*k].kind {
            Statement::RenameTable { from, to } => same_name(from, &temp) && same_name(to, table),
            _ => false,
        };
        if let Some(k) = (drop + 1..s.len()).find(renames_back) {
            return Some(Group {
                table: table.to_string(),
                first: create,
                last: k,
                parts: dedup(vec![create, copy, drop, k]),
                copies: vec![copy],
            });
        }
        let (recreate, back, gone) = self.copy_back(drop + 1, table, &temp)?;
        Some(Group {
            table: table.to_string(),
            first: create,
            last: gone,
            parts: dedup(vec![create, copy, drop, recreate, back, gone]),
            copies: vec![copy, back],
        })
    }

    /// `ALTER TABLE t RENAME TO x` (at `rename`), then `CREATE TABLE t`, a
    /// copy from `x` and `DROP TABLE x`.
    fn rename_away(&self, rename: usize, table: &str, temp: &str) -> Option<Group> {
        let (recreate, back, gone) = self.copy_back(rename + 1, table, temp)?;
        Some(Group {
            table: table.to_string(),
            first: rename,
            last: gone,
            parts: vec![rename, recreate, back, gone],
            copies: vec![back],
        })
    }

    /// From `from` on: `CREATE TABLE table`, `INSERT INTO table ... FROM
    /// temp`, `DROP TABLE temp`.
    fn copy_back(&self, from: usize, table: &str, temp: &str) -> Option<(usize, usize, usize)> {
        let s = &self.statements;
        let recreate = (from..s.len())
            .find(|&i| matches!(&s[i].kind, Statement::CreateTable { name, .. } if same_name(name, table)))?;
        let back = (recreate + 1..s.len()).find(|&i| match &s[i].kind {
            Statement::Insert { table: t, copy: Some(c), .. } => same_name(t, table) && same_name(&c.source, temp),
            _ => false,
        })?;
        let gone = (back + 1..s.len())
            .find(|&i| matches!(&s[i].kind, Statement::DropTable { name } if same_name(name, temp)))?;
        Some((recreate, back, gone))
    }
}

fn dedup(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v.dedup();
    v
}

/// Adds a column rename of table `table` (its name before the section),
/// following an earlier rename of the same column.
fn rename_column(columns: &mut Vec<(String, String, String)>, table: &str, from: &str, to: &str) {
    match columns.iter_mut().find(|(t, _, now)| same_name(t, table) && same_name(now, from)) {
        Some(entry) => entry.2 = to.to_string(),
        None => columns.push((table.to_string(), from.to_string(), to.to_string())),
    }
}

/// What the engine refuses or ignores inside a revision (AG402).
pub(crate) fn controls_transactions(kind: &Statement) -> bool {
    match kind {
        Statement::Transaction(_) => true,
        Statement::Pragma { name } => name.eq_ignore_ascii_case("foreign_keys"),
        _ => false,
    }
}

/// The ignore comments in `gap`: (line offset, the codes each names).
fn ignore_comments(gap: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    gap.lines().enumerate().filter_map(|(n, line)| {
        let rest = &line[line.find(MARKER)? + MARKER.len()..];
        let codes = rest
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .take_while(|w| w.len() > 2 && w[..2].eq_ignore_ascii_case("AG"))
            .collect();
        Some((n, codes))
    })
}
