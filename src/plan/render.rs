//! Steps as SQL: each statement with a short comment saying what it does
//! and why SQLite needs it, and the plan as the text of a revision section.

use super::{cost, CopyBackWhy, Finish, Held, Plan, Rebuild, Step};
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
            Step::Hold(h) => out.extend(hold_statements(h)),
            Step::SetAside(h) => {
                let mut set = set_aside(h, true);
                if let Some(first) = set.first_mut() {
                    first.comment = Some(format!(
                        "`{}` is rebuilt below by copying its rows back: they wait in a TEMP table meanwhile (every \
                         table so rebuilt is set aside and dropped before the first is created again: each DROP \
                         and CREATE scans the schema, smaller then)\n{}",
                        h.table,
                        first.comment.take().unwrap_or_default()
                    ));
                }
                out.extend(set);
            }
            Step::DropOld(s) => {
                if s.keeps_counter {
                    out.push(Statement::new(
                        "keep the AUTOINCREMENT counter from DROP TABLE (which deletes it), so ids of deleted rows \
                         are never reused",
                        format!(
                            "UPDATE sqlite_sequence SET name = {} WHERE name = {}",
                            literal(&s.temp),
                            literal(&s.table)
                        ),
                    ));
                }
                out.push(Statement::new(
                    format!(
                        "drop the old `{}` (its rows wait in the holding table; foreign-key enforcement is off, so no \
                         ON DELETE action fires): it is created again below",
                        s.table
                    ),
                    ddl::drop_table(&s.table),
                ));
            }
            Step::Restore(h) => out.extend(restore_statements(h)),
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
    let mut why: Vec<String> = r.reasons.iter().map(|reason| format!("  - {reason}")).collect();
    why.extend(
        r.renamed_columns.iter().map(|(o, n)| format!("  - column `{o}` is renamed to `{n}` by the copy below")),
    );
    why.extend(r.placeholders.iter().map(|(c, value)| {
        // An upgrade's values are the user's (`--fill`); a downgrade's
        // stand for values the upgrade dropped.
        if r.keeps_counter {
            format!("  - column `{c}` is new, NOT NULL without a default: the rows already there get {value} (--fill)")
        } else if is_rowid_name(value) {
            format!("  - column `{c}` comes back as the rowid: its values are the rowids the table kept")
        } else {
            format!(
                "  - column `{c}` comes back NOT NULL without a default: its rows get the placeholder {value} (the \
                values it held are gone)"
            )
        }
    }));
    let cheaper = r.reasons.iter().any(|reason| matches!(reason, super::Reason::Cheaper { .. }));
    let head = if cheaper {
        format!("rebuild `{name}` rather than ALTER it:")
    } else {
        format!("rebuild `{name}`: SQLite's ALTER TABLE cannot do this:")
    };
    match r.finish {
        Finish::Rename => rename_finish(r, format!("{head}\n{}", why.join("\n"))),
        Finish::CopyBack { why: because, held, temp, staged } => {
            let header = format!("{head}\n{}\n{}", why.join("\n"), copy_back_reason(name, because));
            copy_back_finish(r, header, held, temp, staged)
        }
    }
}

/// Why a rebuild copies back, for the comment over it.
fn copy_back_reason(name: &str, why: CopyBackWhy) -> String {
    match why {
        CopyBackWhy::Cheaper { copy_us, reread_us } => format!(
            "The rows go to a holding table and come back into the new `{name}` instead of a RENAME:\nRENAME \
             re-reads the whole schema ({}), more than copying the rows twice ({}).",
            cost::millis(reread_us),
            cost::millis(copy_us)
        ),
        CopyBackWhy::Forced => {
            format!("The rows come back into the new `{name}` instead of a RENAME: this finish was asked for.")
        }
        CopyBackWhy::ForeignKeysOn => format!(
            "The rows wait in a holding table and come back into the new `{name}` instead of a RENAME:\nforeign \
             keys stay enforced on this database, and the tables that reference `{name}` were emptied above,\nso \
             DROP TABLE cascades into nothing."
        ),
    }
}

/// The textbook finish: the new table built under the temporary name,
/// filled, the old one dropped, the new one renamed onto its name.
fn rename_finish(r: &Rebuild, header: String) -> Vec<Statement> {
    let name = &r.to.name;
    let mut out = build_under_temp_name(
        r,
        format!(
            "{header}\nThe new definition is built under a temporary name, filled from the old table and renamed \
             onto `{name}`,\nso foreign keys in other tables keep pointing at `{name}`."
        ),
    );
    out.push(Statement::new(
        format!(
            "swap: drop the old `{name}` (foreign-key enforcement is off, so no ON DELETE action fires) and \
            rename the new one onto its name"
        ),
        ddl::drop_table(&r.from.name),
    ));
    // RENAME moves whatever counter bears the temporary name.
    out.push(Statement::bare(ddl::rename_table(&r.temp, name)));
    out.extend(recreated_indexes(r));
    out
}

/// The new definition built under the temporary name and filled from the
/// old table, every row accounted for, the AUTOINCREMENT counter prepared
/// under the temporary name: the first half of both finishes.
fn build_under_temp_name(r: &Rebuild, header: String) -> Vec<Statement> {
    let name = &r.to.name;
    let tmp = r.temp.clone();
    let mut out = Vec::new();
    let appended = appended_columns(r);
    let built = match appended {
        Some(kept) if kept < r.to.columns.len() => {
            let mut core = r.to.clone();
            core.columns.truncate(kept);
            ddl::create_table(&core, &tmp)
        }
        _ => ddl::create_table(&r.to, &tmp),
    };
    out.push(Statement::new(header, built));
    if let Some(guard) = invented_keys_guard(r, &r.from.name) {
        out.push(guard);
    }
    if let Some(kept) = appended {
        out.push(Statement::new(
            "copy the rows: the same columns in the same order, so `SELECT *` lets SQLite move each row as it is \
             stored where the columns' affinities and constraints allow (its transfer optimization), the \
             rowids included; OR ABORT: the new table's own ON CONFLICT clauses must not drop or replace a row",
            format!("INSERT OR ABORT INTO {} SELECT * FROM {}", ident(&tmp), ident(name)),
        ));
        for column in &r.to.columns[kept..] {
            out.push(Statement::new(
                format!(
                    "add `{}` after the copy: ADD COLUMN gives every row its default without rewriting one",
                    column.name
                ),
                format!("ALTER TABLE {} ADD COLUMN {}", ident(&tmp), ddl::add_column_definition(&r.to, column)),
            ));
        }
    } else {
        let (targets, sources) = copy_lists(r, rowid_alias(r).map(|alias| (alias, alias)));
        if !targets.is_empty() {
            out.push(Statement::new(
                copy_comment(r),
                format!(
                    "INSERT OR ABORT INTO {} ({}) SELECT {} FROM {}",
                    ident(&tmp),
                    targets.join(", "),
                    sources.join(", "),
                    ident(name)
                ),
            ));
        }
    }
    out.push(Statement::new(
        format!("row accounting: the new `{name}` holds every row of the old one, or the revision stops here"),
        row_accounting(name, &ident(&tmp), &ident(&r.from.name)),
    ));
    out.extend(counter_under_temp_name(r));
    out
}

/// The AUTOINCREMENT counter the new table will have, set under the
/// temporary name (the finish moves it onto the table's): DROP TABLE
/// deletes an AUTOINCREMENT table's counter, and ids of deleted rows must
/// never be reused.
fn counter_under_temp_name(r: &Rebuild) -> Vec<Statement> {
    let (old, new) = (literal(&r.from.name), literal(&r.temp));
    let mut out = Vec::new();
    match (r.from.is_autoincrement(), r.to.is_autoincrement()) {
        (true, true) => {
            out.push(Statement::new(
                "carry the AUTOINCREMENT counter over, so ids of deleted rows are never reused",
                format!("DELETE FROM sqlite_sequence WHERE name = {new}"),
            ));
            out.push(Statement::bare(format!(
                "INSERT INTO sqlite_sequence (name, seq) SELECT {new}, seq FROM sqlite_sequence WHERE name = {old}"
            )));
        }
        // Kept, the counter is there for a downgrade that brings
        // AUTOINCREMENT back (SQLite reads it only then).
        (true, false) if r.keeps_counter => out.push(Statement::new(
            "keep the AUTOINCREMENT counter, though the table loses AUTOINCREMENT: a downgrade that brings it back \
             must not reuse ids",
            format!("UPDATE sqlite_sequence SET name = {new} WHERE name = {old}"),
        )),
        // A counter kept when AUTOINCREMENT went: the larger of it and the
        // copy's own, one row (SQLite reads the first row of a name).
        (false, true) => {
            out.push(Statement::new(
                "AUTOINCREMENT comes back: its counter is the larger of the one kept and the copy's",
                format!(
                    "DELETE FROM sqlite_sequence WHERE name = {new} AND seq <= (SELECT seq FROM sqlite_sequence WHERE \
                     name = {old})"
                ),
            ));
            out.push(Statement::bare(format!(
                "UPDATE sqlite_sequence SET name = {new} WHERE name = {old} AND NOT EXISTS (SELECT 1 FROM \
                 sqlite_sequence WHERE name = {new})"
            )));
            out.push(Statement::bare(format!("DELETE FROM sqlite_sequence WHERE name = {old}")));
            // An INSERT into an AUTOINCREMENT table writes a counter of 0
            // even when it copies no row; none is the same to SQLite, and
            // it is what the table had.
            out.push(Statement::bare(format!("DELETE FROM sqlite_sequence WHERE name = {new} AND seq = 0")));
        }
        _ => {}
    }
    out
}

/// The finish without RENAME, which re-reads the whole schema: the rows
/// set aside in an untyped holding table (which stores every value as it
/// is: no affinity), the old table dropped, the new one created under its
/// own name and filled back. With `held`, a [`Step::Hold`] has already set
/// the rows aside (where foreign keys stay enforced); with `temp` the
/// holding table is a TEMP table: written outside the database file and its
/// journal, and dropped without a scan of the database's schema (the
/// runner keeps TEMP tables in a file, so a table grown big since the
/// revision was planned is bounded by the disk, not by memory).
fn copy_back_finish(r: &Rebuild, header: String, held: bool, temp: bool, staged: bool) -> Vec<Statement> {
    let name = &r.to.name;
    let tmp = &r.temp;
    let columns = stored_columns(r);
    let holding = Held {
        table: r.from.name.clone(),
        temp: tmp.clone(),
        rowid: super::hold_rowid(&r.from, &columns),
        columns,
        restore: Vec::new(),
        restore_rowid: false,
    };
    let source_rowid = holding.rowid;
    let mut out = Vec::new();
    if !held && !staged {
        out.extend(set_aside(&holding, temp));
    }
    if let Some(guard) = invented_keys_guard(r, tmp) {
        out.push(guard);
    }
    // Kept from DROP TABLE (which deletes an AUTOINCREMENT table's counter)
    // whether or not the new table is AUTOINCREMENT: a downgrade that brings
    // it back must not reuse ids. A counter kept from an earlier such
    // upgrade is the first row SQLite reads when AUTOINCREMENT comes back.
    let sequence = r.from.is_autoincrement() && (r.to.is_autoincrement() || r.keeps_counter);
    if sequence && !staged {
        out.push(Statement::new(
            "keep the AUTOINCREMENT counter from DROP TABLE (which deletes it), so ids of deleted rows are never \
             reused",
            format!("UPDATE sqlite_sequence SET name = {} WHERE name = {}", literal(tmp), literal(&r.from.name)),
        ));
    }
    let drop = if held {
        format!("drop the old `{name}` (emptied above) and create the new one")
    } else {
        format!(
            "drop the old `{name}` (foreign-key enforcement is off, so no ON DELETE action fires) and create the new \
             one"
        )
    };
    if !staged {
        out.push(Statement::new(drop, ddl::drop_table(&r.from.name)));
    }
    if let Some(first) = out.first_mut() {
        first.comment = Some(format!("{header}\n{}", first.comment.take().unwrap_or_default()));
    }
    if out.is_empty() {
        out.push(Statement::new(header, ddl::create_table(&r.to, name)));
    } else {
        out.push(Statement::bare(ddl::create_table(&r.to, name)));
    }
    let (targets, sources) = copy_lists(r, rowid_alias(r).zip(source_rowid));
    if !targets.is_empty() {
        out.push(Statement::new(
            copy_comment(r),
            format!(
                "INSERT OR ABORT INTO {} ({}) SELECT {} FROM {}",
                ident(name),
                targets.join(", "),
                sources.join(", "),
                ident(tmp)
            ),
        ));
    }
    out.push(Statement::new(
        format!("row accounting: the new `{name}` holds every row of the old one, or the revision stops here"),
        row_accounting(name, &ident(name), &ident(tmp)),
    ));
    if sequence {
        out.push(Statement::new(
            "the counter comes back: at least the largest id copied, so it replaces the one the copy made",
            format!("DELETE FROM sqlite_sequence WHERE name = {}", literal(name)),
        ));
        out.push(Statement::bare(format!(
            "UPDATE sqlite_sequence SET name = {} WHERE name = {}",
            literal(name),
            literal(tmp)
        )));
    }
    if r.to.is_autoincrement() && !r.from.is_autoincrement() {
        out.push(Statement::new(
            "AUTOINCREMENT comes back: a counter of 0 (what copying no row writes) is none, as the table had",
            format!("DELETE FROM sqlite_sequence WHERE name = {} AND seq = 0", literal(name)),
        ));
    }
    out.push(Statement::new("drop the holding table", ddl::drop_table(tmp)));
    out.extend(recreated_indexes(r));
    out
}

/// The stored columns of the table being rebuilt, under the names it has
/// when the rebuild starts (a column this rebuild renames, by its old name).
fn stored_columns(r: &Rebuild) -> Vec<String> {
    r.from
        .columns
        .iter()
        .filter(|c| c.generated.is_none())
        .map(|c| {
            r.renamed_columns.iter().find(|(_, new)| same_name(new, &c.name)).map_or(c.name.clone(), |(o, _)| o.clone())
        })
        .collect()
}

/// The rows of a table copied, exactly, into an untyped holding table.
fn set_aside(h: &Held, temp: bool) -> Vec<Statement> {
    let columns: Vec<String> = h.columns.iter().map(|c| ident(c)).collect();
    let mut copied = columns.clone();
    if let Some(alias) = h.rowid {
        copied.insert(0, ident(alias));
    }
    vec![
        Statement::new(
            format!(
                "set the rows of `{}` aside, rowids included, in a holding table without types (so every value is \
                 kept as it is)",
                h.table
            ),
            format!("CREATE {}TABLE {} ({})", if temp { "TEMP " } else { "" }, ident(&h.temp), columns.join(", ")),
        ),
        Statement::bare(format!(
            "INSERT INTO {} ({}) SELECT {} FROM {}",
            ident(&h.temp),
            copied.join(", "),
            copied.join(", "),
            ident(&h.table)
        )),
    ]
}

/// A held table: its rows set aside, then the table emptied (its triggers
/// were dropped above, and what references it was emptied before it).
fn hold_statements(h: &Held) -> Vec<Statement> {
    let mut out = set_aside(h, false);
    if let Some(first) = out.first_mut() {
        first.comment = Some(format!(
            "hold `{}`: foreign keys stay enforced on this database, so the DROP TABLE of a rebuild below would \
             fire\nthe ON DELETE actions (CASCADE, SET NULL, SET DEFAULT) or the RESTRICT and NO ACTION checks \
             of what references it.\nIts rows wait in a holding table and come back unchanged; its triggers are \
             set aside meanwhile.\n{}",
            h.table,
            first.comment.take().unwrap_or_default()
        ));
    }
    out.push(Statement::new(
        format!("empty `{}` (what references it is already empty, so nothing cascades)", h.table),
        format!("DELETE FROM {}", ident(&h.table)),
    ));
    out
}

/// A held table that is not rebuilt: its rows back, as they were.
fn restore_statements(h: &Held) -> Vec<Statement> {
    let mut targets: Vec<String> = h.restore.iter().map(|c| ident(c)).collect();
    let mut sources = targets.clone();
    if let (true, Some(alias)) = (h.restore_rowid, h.rowid) {
        targets.insert(0, ident(alias));
        sources.insert(0, ident(alias));
    }
    let mut out = Vec::new();
    if !targets.is_empty() {
        out.push(Statement::new(
            format!("put the rows of `{}` back, unchanged", h.table),
            format!(
                "INSERT OR ABORT INTO {} ({}) SELECT {} FROM {}",
                ident(&h.table),
                targets.join(", "),
                sources.join(", "),
                ident(&h.temp)
            ),
        ));
    }
    out.push(Statement::new(
        format!("row accounting: `{}` holds every row it held, or the revision stops here", h.table),
        row_accounting(&h.table, &ident(&h.table), &ident(&h.temp)),
    ));
    out.push(Statement::new("drop the holding table", ddl::drop_table(&h.temp)));
    out
}

fn copy_comment(r: &Rebuild) -> &'static str {
    if rowid_alias(r).is_some() {
        "copy the rows, rowids included (the table has no INTEGER PRIMARY KEY, so rowids would otherwise be \
            renumbered); no CAST: the new column affinity converts what it can without loss; OR ABORT: the \
            new table's own ON CONFLICT clauses must not drop or replace a row here"
    } else {
        "copy the rows; no CAST: the new column affinity converts what it can without loss; OR ABORT: the \
            new table's own ON CONFLICT clauses must not drop or replace a row here"
    }
}

fn recreated_indexes(r: &Rebuild) -> Vec<Statement> {
    r.to.indexes
        .iter()
        .map(|index| Statement::new(format!("recreate index `{}`", index.name), ddl::create_index(index, &r.to)))
        .collect()
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
fn invented_keys_guard(r: &Rebuild, source: &str) -> Option<Statement> {
    let key = r.to.integer_primary_key()?;
    let old = r.from.column(&key.name)?;
    // The same rowid column on both sides holds no NULL; a NOT NULL column
    // holds none either. Any other column that becomes the rowid may.
    let same_rowid = r.from.integer_primary_key().is_some_and(|k| same_name(&k.name, &key.name));
    if same_rowid || !old.nullable {
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
    let count = format!("(SELECT count(*) AS n FROM {} WHERE {} IS NULL)", ident(source), ident(stored));
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
    free_rowid_name(&[&r.from, &r.to])
}

/// How many of the new table's columns the copy fills with `SELECT *`, when
/// it can: the old table's columns, unchanged in name and order, followed
/// only by new columns that ADD COLUMN can add after the copy. A row then
/// goes across as SQLite stores it (insert.c's transfer optimization, when
/// affinities, collations and constraints match), a quarter faster on a
/// million rows than building each row again. Rowids must come across
/// either way, so the table keeps an INTEGER PRIMARY KEY (or has no rowid);
/// `SELECT *` would name generated columns, so there are none.
fn appended_columns(r: &Rebuild) -> Option<usize> {
    let kept = r.from.columns.len();
    let same_start =
        r.to.columns.len() >= kept && r.from.columns.iter().zip(&r.to.columns).all(|(a, b)| a.name == b.name);
    let rowids_kept = (r.from.without_rowid && r.to.without_rowid)
        || (r.from.integer_primary_key().is_some() && r.to.integer_primary_key().is_some());
    let generated = r.from.columns.iter().chain(&r.to.columns).any(|c| c.generated.is_some());
    let addable = r.to.columns[kept.min(r.to.columns.len())..].iter().all(|c| {
        super::alter::add_column_refusal(&r.to, c).is_none()
            && c.checks.is_empty()
            && !r.to.foreign_keys.iter().any(|f| f.columns.iter().any(|n| same_name(n, &c.name)))
    });
    let plain = r.renamed_columns.is_empty() && r.placeholders.is_empty() && !r.names_columns;
    (same_start && rowids_kept && !generated && addable && plain).then_some(kept)
}

/// The INSERT column list and the SELECT list: columns kept by name (the
/// renames already ran), generated columns left to recompute, new columns
/// left to their defaults.
fn copy_lists(r: &Rebuild, rowid: Option<(&str, &str)>) -> (Vec<String>, Vec<String>) {
    let mut targets = Vec::new();
    let mut sources = Vec::new();
    if let Some((target, source)) = rowid {
        targets.push(ident(target));
        sources.push(ident(source));
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
    let statements = statements(plan);
    let size = statements.iter().map(|s| s.sql.len() + s.comment.as_ref().map_or(0, |c| c.len() + 8) + 4).sum();
    let mut out = String::with_capacity(size);
    for stmt in statements {
        if !out.is_empty() {
            out.push('\n');
        }
        if let Some(c) = &stmt.comment {
            for line in c.lines() {
                out.push_str("-- ");
                out.push_str(line);
                out.push('\n');
            }
        }
        // A statement that ends in a `--` comment (model SQL may) gets its
        // `;` on the next line, where the comment cannot swallow it.
        out.push_str(&stmt.sql);
        out.push_str(if crate::sql::lexer::ends_in_line_comment(&stmt.sql) { "\n;\n" } else { ";\n" });
    }
    out
}
