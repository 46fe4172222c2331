//! Which rebuilds of a revision run online, and reading them out of its
//! SQL (cli.md, "Online upgrades").
//!
//! A revision is SQL that people review and edit, so the online plan is
//! read from the statements themselves, the way lint reads a rebuild: the
//! local form `CREATE TABLE tmp`, a copy of every row of the table into
//! it, its row accounting, `DROP TABLE t`, `ALTER TABLE tmp RENAME TO t`,
//! then the `CREATE INDEX` statements of the new table. The copy's
//! expressions are kept as written, so the shadow is filled exactly as the
//! revision would fill it offline. A rebuild written any other way runs
//! offline, in the revision's transaction, and the run says why.

use std::time::Duration;

use crate::engine::online::{Pace, Rebuild, ShadowIndex, Swap};
use crate::engine::RunError;
use crate::schema::same_name;
use crate::sql::statement::Statement;
use crate::verify::lint::{Reading, Subject};

/// `online:` in autogen.yaml.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Tables with fewer rows are rebuilt in the revision's transaction.
    pub min_rows: u64,
    pub pace: Pace,
}

impl Default for Settings {
    /// cli.md, "Online upgrades": 100,000 rows; chunks of 50 ms.
    fn default() -> Settings {
        Settings {
            min_rows: 100_000,
            pace: Pace { chunk: Duration::from_millis(50), pause: Duration::from_millis(50) },
        }
    }
}

/// A rebuild of the section, with how it can run.
#[derive(Debug, Clone)]
pub enum Candidate {
    Online(Swap),
    /// Rebuilt in the revision's transaction, and why.
    Offline {
        table: String,
        why: String,
    },
}

/// The rebuilds of a revision's section, in order.
pub fn candidates(subject: &Subject) -> Result<Vec<Candidate>, RunError> {
    let reading = Reading::of(subject)?;
    let expected =
        crate::engine::script::expectations_of(subject.script, subject.revision, subject.file, subject.line)?;
    let mut found = Vec::new();
    for group in &reading.groups {
        let planned = expected.iter().find(|e| same_name(&e.table, &group.table)).and_then(|e| e.columns.clone());
        found.push(match online_form(&reading, group, planned) {
            Ok(swap) => Candidate::Online(swap),
            Err(why) => Candidate::Offline { table: group.table.clone(), why },
        });
    }
    Ok(found)
}

/// The rebuild as an online one, or why it cannot be: `planned` is the
/// old table's columns as its `autogen:expect` line lists them.
fn online_form(
    reading: &Reading,
    group: &crate::verify::lint::Group,
    planned: Option<Vec<String>>,
) -> Result<Swap, String> {
    let s = &reading.statements;
    let table = &group.table;
    let not_local = || {
        "its statements are not the local rebuild (a new table under another name, one copy of every row, DROP \
         TABLE, RENAME onto the name)"
            .to_string()
    };
    let [create, copy, drop, rename] = group.parts[..] else { return Err(not_local()) };
    let (Statement::CreateTable { name: temp, as_select_from: None }, Statement::DropTable { .. }) =
        (&s[create].kind, &s[drop].kind)
    else {
        return Err(not_local());
    };
    if !matches!(&s[rename].kind, Statement::RenameTable { from, to } if same_name(from, temp) && same_name(to, table))
    {
        return Err(not_local());
    }
    let whole = crate::sql::rewrite::whole_copy(s[copy].text)
        .filter(|c| same_name(&c.target, temp) && same_name(&c.source, table))
        .ok_or_else(|| "its copy is not one of every row of the table (a WHERE, a join or a VALUES)".to_string())?;
    let Ok(crate::sql::Create::Table(new)) = crate::sql::parse_create(s[create].text) else { return Err(not_local()) };
    if new.without_rowid {
        return Err("the new table is WITHOUT ROWID, and an online copy goes by rowid".into());
    }
    let definition = crate::sql::rewrite::table_body(s[create].text).ok_or_else(not_local)?.to_string();
    let columns =
        if whole.columns.is_empty() { new.columns.iter().map(|c| c.name.clone()).collect() } else { whole.columns };
    // `SELECT *` copies the old table's columns in their order.
    let values = if whole.values.is_empty() {
        let old = planned.unwrap_or_else(|| columns.clone());
        old.iter().map(|c| crate::sql::quote::ident(c)).collect()
    } else {
        whole.values
    };
    if values.len() != columns.len() {
        return Err(format!("its copy fills {} columns with {} values", columns.len(), values.len()));
    }
    // Between the copy and the DROP only its row accounting (a SELECT
    // over the new table) may stand: anything else was written to run on
    // the new table before the swap, which an online run cannot honour.
    let mut replaces = group.parts.clone();
    for (i, between) in s.iter().enumerate().take(group.last + 1).skip(group.first) {
        if replaces.contains(&i) || !crate::sql::mentions(between.text, temp) {
            continue;
        }
        let guard = crate::sql::tokenize(between.text).ok().and_then(|t| t.first().map(|f| f.is_keyword("SELECT")));
        if guard != Some(true) {
            return Err(format!("statement {} writes to the new table before the swap", i + 1));
        }
        replaces.push(i);
    }
    // The AUTOINCREMENT counter moved under the new table's name before
    // the DROP (which deletes it): the swap carries it over itself, so
    // the revision's moves, which name the temporary table, do not run.
    // Any other use of the counter keeps the rebuild in the transaction.
    let (quoted_temp, quoted_table) = (crate::sql::quote::literal(temp), crate::sql::quote::literal(table));
    let carry = [
        format!("DELETE FROM sqlite_sequence WHERE name = {quoted_temp}"),
        format!("INSERT INTO sqlite_sequence (name, seq) SELECT {quoted_temp}, seq FROM sqlite_sequence WHERE name = {quoted_table}"),
    ];
    for (i, statement) in s.iter().enumerate() {
        if replaces.contains(&i) || !names_in_a_string(statement.text, temp) {
            continue;
        }
        if !carry.iter().any(|c| c == statement.text.trim()) {
            return Err(format!(
                "statement {} uses the new table's name (its AUTOINCREMENT counter, or otherwise) in a way an online \
                 swap does not take over",
                i + 1
            ));
        }
        replaces.push(i);
    }
    // The new table's indexes, built on the shadow before the copy.
    let mut indexes = Vec::new();
    for (i, later) in s.iter().enumerate().skip(group.last + 1) {
        match &later.kind {
            Statement::CreateIndex { name, table: on, .. } if same_name(on, table) => {
                indexes.push(ShadowIndex { name: name.clone(), sql: later.text.to_string() });
                replaces.push(i);
            }
            Statement::DropTable { name } if same_name(name, table) => break,
            Statement::RenameTable { from, .. } if same_name(from, table) => break,
            _ => {}
        }
    }
    replaces.sort_unstable();
    replaces.dedup();
    Ok(Swap { rebuild: Rebuild { table: table.clone(), columns, values, definition, indexes }, at: drop, replaces })
}

/// Whether a string literal of `sql` is `name` (as the counter's moves
/// name a table in `sqlite_sequence`).
fn names_in_a_string(sql: &str, name: &str) -> bool {
    let Ok(tokens) = crate::sql::tokenize(sql) else { return true };
    tokens
        .iter()
        .any(|t| t.kind == crate::sql::TokenKind::String && t.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
}
