//! Steps as SQL: each statement with a short comment saying what it does
//! and why SQLite needs it, and the plan as the text of a revision section.

use std::fmt::Write as _;

use super::{Plan, Rebuild, Step};
use crate::schema::ddl;
use crate::schema::*;
use crate::sql::quote::{ident, literal};

/// One SQL statement with the comment that explains it.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub comment: Option<String>,
    pub sql: String,
}

impl Statement {
    fn new(comment: impl Into<String>, sql: String) -> Self {
        Statement { comment: Some(comment.into()), sql }
    }

    fn bare(sql: String) -> Self {
        Statement { comment: None, sql }
    }
}

/// The plan as statements, each with a short comment saying what it does
/// and why SQLite needs it.
///
/// ```
/// use std::path::Path;
/// let parse = |yaml: &str| autogen::parse_model(yaml, Path::new("m.yaml")).unwrap().schema;
/// let before = parse("tables: [{name: t, columns: [{name: a, type: TEXT}]}]");
/// let after = parse("tables: [{name: t, columns: [{name: a, type: TEXT, nullable: false, server_default: \"''\"}]}]");
/// let plan = autogen::plan(&autogen::diff(&before, &after), &after, &autogen::Capabilities::SQLITE);
/// let statements = autogen::statements(&plan);
/// let sql: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
/// assert_eq!(sql[0], "CREATE TABLE \"_autogen_tmp_t\" (\n    \"a\" TEXT NOT NULL DEFAULT ''\n)");
/// assert!(sql.contains(&r#"ALTER TABLE "_autogen_tmp_t" RENAME TO "t""#));
/// assert!(statements[0].comment.as_deref().unwrap().contains("rebuild"));
/// ```
pub fn statements(plan: &Plan) -> Vec<Statement> {
    let mut out = Vec::new();
    for step in &plan.steps {
        match step {
            Step::DropTrigger(t) => out.push(Statement::new(
                format!("drop trigger `{}` (created again below if the model keeps it)", t.name),
                ddl::drop_trigger(&t.name),
            )),
            Step::DropView(v) => out.push(Statement::new(
                format!("drop view `{}` (created again below if the model keeps it)", v.name),
                ddl::drop_view(&v.name),
            )),
            Step::DropIndex(i) => {
                out.push(Statement::new(format!("drop index `{}`", i.name), ddl::drop_index(&i.name)))
            }
            Step::DropTable(t) => {
                out.push(Statement::new(format!("drop table `{}` and its rows", t.name), ddl::drop_table(&t.name)))
            }
            Step::RenameTable { from, to } => out.push(Statement::new(
                format!(
                    "rename table `{from}` to `{to}` (SQLite rewrites foreign keys, triggers and views that name it)"
                ),
                ddl::rename_table(from, to),
            )),
            Step::RenameColumn { table, from, to } => out.push(Statement::new(
                format!("rename column `{table}.{from}` to `{to}`"),
                ddl::rename_column(table, from, to),
            )),
            Step::CreateTable(t) => {
                out.push(Statement::new(format!("create table `{}`", t.name), ddl::create_table(t, &t.name)))
            }
            Step::AddColumn { table, column } => out.push(Statement::new(
                format!("add column `{}.{}`", table.name, column.name),
                ddl::add_column(table, column),
            )),
            Step::DropColumn { table, column } => {
                out.push(Statement::new(format!("drop column `{table}.{column}`"), ddl::drop_column(table, column)))
            }
            Step::Rebuild(r) => out.extend(rebuild_statements(r)),
            Step::CreateIndex { table, index } => {
                out.push(Statement::new(format!("create index `{}`", index.name), ddl::create_index(index, table)))
            }
            Step::CreateView(v) => out.push(Statement::new(format!("create view `{}`", v.name), ddl::create_view(v))),
            Step::CreateTrigger(t) => out.push(Statement::new(format!("create trigger `{}`", t.name), t.sql.clone())),
        }
    }
    out
}

/// The temporary name a rebuild builds under.
pub fn temp_name(table: &str) -> String {
    format!("_autogen_tmp_{table}")
}

fn rebuild_statements(r: &Rebuild) -> Vec<Statement> {
    let name = &r.to.name;
    let tmp = r.temp.clone();
    let mut out = Vec::new();
    let mut why: Vec<String> = r.reasons.iter().map(|reason| format!("  - {reason}")).collect();
    why.extend(
        r.renamed_columns.iter().map(|(o, n)| format!("  - column `{o}` is renamed to `{n}` by the copy below")),
    );
    why.extend(r.placeholders.iter().map(|(c, value)| {
        format!(
            "  - column `{c}` comes back NOT NULL without a default: its rows get the placeholder {value} (the \
            values it held are gone)"
        )
    }));
    out.push(Statement::new(
        format!(
            "rebuild `{name}`: SQLite's ALTER TABLE cannot do this:\n{}\nThe new definition is built under a \
            temporary name, filled from the old table and renamed onto `{name}`,\nso foreign keys in other tables \
                keep pointing at `{name}`.",
            why.join("\n")
        ),
        ddl::create_table(&r.to, &tmp),
    ));
    if let Some(guard) = invented_keys_guard(r) {
        out.push(guard);
    }
    let (targets, sources) = copy_lists(r);
    if !targets.is_empty() {
        let comment = if rowid_alias(r).is_some() {
            "copy the rows, rowids included (the table has no INTEGER PRIMARY KEY, so rowids would otherwise be \
                renumbered); no CAST: the new column affinity converts what it can without loss; OR ABORT: the \
                new table's own ON CONFLICT clauses must not drop or replace a row here"
        } else {
            "copy the rows; no CAST: the new column affinity converts what it can without loss; OR ABORT: the \
                new table's own ON CONFLICT clauses must not drop or replace a row here"
        };
        out.push(Statement::new(
            comment,
            format!(
                "INSERT OR ABORT INTO {} ({}) SELECT {} FROM {}",
                ident(&tmp),
                targets.join(", "),
                sources.join(", "),
                ident(name)
            ),
        ));
    }
    out.push(Statement::new(
        format!("row accounting: the new `{name}` holds every row of the old one, or the revision stops here"),
        row_accounting(name, &ident(&tmp), &ident(&r.from.name)),
    ));
    if r.from.is_autoincrement() && r.to.is_autoincrement() {
        out.push(Statement::new(
            "carry the AUTOINCREMENT counter over, so ids of deleted rows are never reused",
            format!("DELETE FROM sqlite_sequence WHERE name = {}", literal(&tmp)),
        ));
        out.push(Statement::bare(format!(
            "INSERT INTO sqlite_sequence (name, seq) SELECT {}, seq FROM sqlite_sequence WHERE name = {}",
            literal(&tmp),
            literal(&r.from.name)
        )));
    }
    out.push(Statement::new(
        format!(
            "swap: drop the old `{name}` (foreign-key enforcement is off, so no ON DELETE action fires) and \
            rename the new one onto its name"
        ),
        ddl::drop_table(&r.from.name),
    ));
    out.push(Statement::bare(ddl::rename_table(&tmp, name)));
    for index in &r.to.indexes {
        out.push(Statement::new(format!("recreate index `{}`", index.name), ddl::create_index(index, &r.to)));
    }
    out
}

/// A statement that stops the revision with `message` (SQL text) when
/// `condition` holds, in any SQLite, as a plain statement: SQLite's
/// `RAISE()` exists only in triggers, but a JSON path error quotes the path,
/// so the error carries the message. The runner shows it without the JSON
/// wording ([`crate::sql::guard_message`]).
fn stop_when(message: &str, from: &str, condition: &str) -> String {
    format!("SELECT json_extract('{{}}', {message}) FROM {from} WHERE {condition}")
}

/// The new table must hold as many rows as the old one before the old one
/// is dropped (sqlite.md, the rebuild).
fn row_accounting(name: &str, new: &str, old: &str) -> String {
    let message = format!(
        "{} || new || ' of its ' || old || ' rows'",
        literal(&format!("{}the copy of `{name}` holds ", crate::sql::GUARD_PREFIX))
    );
    stop_when(
        &message,
        &format!("(SELECT (SELECT count(*) FROM {new}) AS new, (SELECT count(*) FROM {old}) AS old)"),
        "new <> old",
    )
}

/// An integer key that becomes a rowid alias would turn a NULL into a new
/// rowid: keys are never invented (sqlite.md), so such rows stop the
/// revision, counted.
fn invented_keys_guard(r: &Rebuild) -> Option<Statement> {
    let key = r.to.integer_primary_key()?;
    let old = r.from.column(&key.name)?;
    if r.from.integer_primary_key().is_some() || !old.nullable {
        return None;
    }
    let stored =
        r.renamed_columns.iter().find(|(_, new)| same_name(new, &old.name)).map_or(old.name.as_str(), |(o, _)| o);
    let message = format!(
        "{} || n || CASE n WHEN 1 THEN ' row of `{}` has' ELSE ' rows of `{}` have' END || {}",
        literal(crate::sql::GUARD_PREFIX),
        r.to.name.replace('\'', "''"),
        r.to.name.replace('\'', "''"),
        literal(&format!(
            " a NULL `{}`, which would become a new rowid as the INTEGER PRIMARY KEY: fill them first",
            key.name
        ))
    );
    let count = format!("(SELECT count(*) AS n FROM {} WHERE {} IS NULL)", ident(&r.from.name), ident(stored));
    Some(Statement::new(
        format!(
            "`{}` becomes the rowid: a NULL in it would be replaced by a new number, so none may be there",
            key.name
        ),
        stop_when(&message, &count, "n > 0"),
    ))
}

/// Which alias names the rowid in both tables, when the rowid must be
/// copied: a rowid table without an INTEGER PRIMARY KEY on both sides.
fn rowid_alias(r: &Rebuild) -> Option<&'static str> {
    if r.from.without_rowid || r.to.without_rowid || r.to.integer_primary_key().is_some() {
        return None;
    }
    ["rowid", "_rowid_", "oid"].into_iter().find(|alias| r.from.column(alias).is_none() && r.to.column(alias).is_none())
}

/// The INSERT column list and the SELECT list: columns kept by name (the
/// renames already ran), generated columns left to recompute, new columns
/// left to their defaults.
fn copy_lists(r: &Rebuild) -> (Vec<String>, Vec<String>) {
    let mut targets = Vec::new();
    let mut sources = Vec::new();
    if let Some(alias) = rowid_alias(r) {
        targets.push(ident(alias));
        sources.push(ident(alias));
    }
    for column in r.to.columns.iter().filter(|c| c.generated.is_none()) {
        if let Some((_, value)) = r.placeholders.iter().find(|(c, _)| same_name(c, &column.name)) {
            targets.push(ident(&column.name));
            sources.push(value.clone());
        } else if let Some(old) = r.from.column(&column.name) {
            // `from` carries the new names; the stored table still has the
            // old one where this rebuild does the rename.
            let stored = r
                .renamed_columns
                .iter()
                .find(|(_, new)| same_name(new, &old.name))
                .map(|(o, _)| o.as_str())
                .unwrap_or(&old.name);
            targets.push(ident(&column.name));
            sources.push(ident(stored));
        }
    }
    (targets, sources)
}

/// The SQL a plan runs, as the text of a revision section: a comment over
/// each step, every statement terminated.
pub fn script(plan: &Plan) -> String {
    let mut out = String::new();
    for stmt in statements(plan) {
        if !out.is_empty() {
            out.push('\n');
        }
        if let Some(c) = &stmt.comment {
            for line in c.lines() {
                let _ = writeln!(out, "-- {line}");
            }
        }
        // A statement that ends in a `--` comment (model SQL may) gets its
        // `;` on the next line, where the comment cannot swallow it.
        let end = if crate::sql::lexer::ends_in_line_comment(&stmt.sql) { "\n;" } else { ";" };
        let _ = writeln!(out, "{}{end}", stmt.sql);
    }
    out
}
