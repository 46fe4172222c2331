//! From a diff to steps: a native ALTER where SQLite can do the change, and
//! otherwise exactly one rebuild per table (sqlite.md). Decided from the two
//! schemas alone, never from what the data happens to be.

use std::collections::{BTreeMap, BTreeSet};

use crate::diff::{Change, Diff, Names};
use crate::schema::ddl as render;
use crate::sql::quote::{ident, literal};
use crate::schema::order::{parents_first, views_in_order};
use crate::schema::*;
use crate::sql::lexer;

/// One thing the upgrade does. Each renders to one or more statements.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    DropTrigger(Trigger),
    DropView(View),
    DropIndex(Index),
    DropTable(Table),
    RenameTable {
        from: String,
        to: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    CreateTable(Table),
    /// `ALTER TABLE ... ADD COLUMN`; the table is the wanted one, for the
    /// column's REFERENCES clause.
    AddColumn {
        table: Table,
        column: Column,
    },
    DropColumn {
        table: String,
        column: String,
    },
    Rebuild(Rebuild),
    CreateIndex {
        table: Table,
        index: Index,
    },
    CreateView(View),
    CreateTrigger(Trigger),
}

/// The 12-step table rebuild (sqlite.org/lang_altertable.html#otheralter).
#[derive(Debug, Clone, PartialEq)]
pub struct Rebuild {
    pub from: Table,
    pub to: Table,
    /// Why ALTER cannot do it, for the comment over the step.
    pub reasons: Vec<String>,
    /// Columns renamed by this rebuild's copy (old name, new name) rather
    /// than by RENAME COLUMN first.
    pub renamed_columns: Vec<(String, String)>,
}

/// The steps of one direction of a migration, in the order they run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

/// What happens to a table present on both sides.
enum TableAction {
    Keep,
    Alter { drops: Vec<String>, adds: Vec<Column> },
    Rebuild(Vec<String>),
}

/// Plans the migration from `diff.renamed` (the database after the native
/// renames) to `to`.
///
/// A change ALTER TABLE can make stays an ALTER; one it cannot becomes one
/// rebuild of the table:
///
/// ```
/// use std::path::Path;
/// use autogen::{diff, model, plan::{self, Step}};
/// let parse = |yaml: &str| model::parse(yaml, Path::new("m.yaml")).unwrap().0;
/// let before = parse("tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}, {name: a, type: TEXT}]}]");
/// let added = parse("tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}, {name: a, type: TEXT}, {name: b, type: TEXT}]}]");
/// let retyped = parse("tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}, {name: a, type: INTEGER}]}]");
///
/// let p = plan::plan(&diff::diff(&before, &added), &added);
/// assert!(matches!(p.steps.as_slice(), [Step::AddColumn { .. }]));
/// let p = plan::plan(&diff::diff(&before, &retyped), &retyped);
/// assert!(matches!(p.steps.as_slice(), [Step::Rebuild(_)]));
/// ```
pub fn plan(diff: &Diff, to: &Schema) -> Plan {
    let from = &diff.renamed;
    let names = Names::of(&[from, to]);
    let names = &names;
    let actions = table_actions(diff, to);
    let rebuilt: BTreeSet<String> = actions.iter().filter(|(_, a)| matches!(a, TableAction::Rebuild(_))).map(|(k, _)| k.clone()).collect();
    let dropped: BTreeSet<String> = from.tables.keys().filter(|k| !to.tables.contains_key(*k)).cloned().collect();
    // DROP COLUMN re-checks every view and fails on one that a half-done
    // migration has broken (a compound SELECT * whose sides now differ), so
    // views over a table that loses a column are redone like a rebuild's.
    let narrowed = actions.iter().filter(|(_, a)| matches!(a, TableAction::Alter { drops, .. } if !drops.is_empty())).map(|(k, _)| k.clone());
    let disturbed: BTreeSet<String> = rebuilt.union(&dropped).cloned().chain(narrowed).collect();

    let views_redone = views_to_redo(from, to, &disturbed, names);
    let triggers_redone = triggers_to_redo(from, to, &disturbed, &views_redone, names);

    let mut steps = Vec::new();
    // Triggers and views go first: SQLite re-reads every view and trigger
    // when a table is renamed or a column dropped, and fails on one that
    // names a table that is gone for the moment (sqlite.md, rebuild step 3).
    for key in triggers_redone.iter().filter(|k| from.triggers.contains_key(*k)) {
        steps.push(Step::DropTrigger(from.triggers[key].clone()));
    }
    let old_views: Vec<&View> = views_in_order(views_redone.iter().filter_map(|k| from.views.get(k)));
    for view in old_views.into_iter().rev() {
        steps.push(Step::DropView(view.clone()));
    }
    for (key, action) in &actions {
        if let TableAction::Alter { .. } = action {
            for index in dropped_indexes(&from.tables[key], &to.tables[key], names) {
                steps.push(Step::DropIndex(index.clone()));
            }
        }
    }
    for table in parents_first(from).into_iter().rev().filter(|t| dropped.contains(&fold(&t.name))) {
        steps.push(Step::DropTable(table.clone()));
    }
    let folded = folded_renames(diff, &rebuilt);
    steps.extend(rename_steps(diff, &folded));
    let created: Vec<&Table> = parents_first(to).into_iter().filter(|t| !from.tables.contains_key(&fold(&t.name))).collect();
    for table in &created {
        steps.push(Step::CreateTable((*table).clone()));
    }
    for table in parents_first(to) {
        let key = fold(&table.name);
        match actions.get(&key) {
            Some(TableAction::Alter { drops, adds }) => {
                steps.extend(drops.iter().map(|c| Step::DropColumn { table: table.name.clone(), column: c.clone() }));
                steps.extend(adds.iter().map(|c| Step::AddColumn { table: table.clone(), column: c.clone() }));
            }
            Some(TableAction::Rebuild(reasons)) => {
                let renamed_columns = folded.iter().filter(|(t, _, _)| same_name(t, &table.name)).map(|(_, o, n)| (o.clone(), n.clone())).collect();
                steps.push(Step::Rebuild(Rebuild { from: from.tables[&key].clone(), to: table.clone(), reasons: reasons.clone(), renamed_columns }))
            }
            _ => {}
        }
    }
    for table in &created {
        steps.extend(table.indexes.iter().map(|i| Step::CreateIndex { table: (*table).clone(), index: i.clone() }));
    }
    for (key, action) in &actions {
        if let TableAction::Alter { .. } = action {
            let table = &to.tables[key];
            for index in added_indexes(&from.tables[key], table, names) {
                steps.push(Step::CreateIndex { table: table.clone(), index: index.clone() });
            }
        }
    }
    for view in views_in_order(views_redone.iter().filter_map(|k| to.views.get(k))) {
        steps.push(Step::CreateView(view.clone()));
    }
    for key in triggers_redone.iter().filter(|k| to.triggers.contains_key(*k)) {
        steps.push(Step::CreateTrigger(to.triggers[key].clone()));
    }
    Plan { steps }
}

fn table_actions(diff: &Diff, to: &Schema) -> BTreeMap<String, TableAction> {
    let from = &diff.renamed;
    let mut by_table: BTreeMap<String, Vec<&Change>> = BTreeMap::new();
    for change in &diff.changes {
        if let Change::AddTable { .. } | Change::RemoveTable { .. } | Change::RenameTable { .. } | Change::RenameColumn { .. } = change {
            continue;
        }
        if let Change::AddView { .. } | Change::RemoveView { .. } | Change::AddTrigger { .. } | Change::RemoveTrigger { .. } = change {
            continue;
        }
        by_table.entry(fold(change.subject())).or_default().push(change);
    }
    let mut actions = BTreeMap::new();
    for (key, want) in &to.tables {
        let Some(have) = from.tables.get(key) else {
            continue;
        };
        let changes = by_table.get(key).map(Vec::as_slice).unwrap_or(&[]);
        actions.insert(key.clone(), table_action(from, to, have, want, changes));
    }
    actions
}

fn table_action(from: &Schema, to: &Schema, have: &Table, want: &Table, changes: &[&Change]) -> TableAction {
    if changes.is_empty() {
        return TableAction::Keep;
    }
    let mut reasons = Vec::new();
    let mut drops = Vec::new();
    let mut adds = Vec::new();
    for change in changes {
        match change {
            Change::AddColumn { column, .. } => {
                let c = want.column(column).expect("added column exists");
                match add_column_refusal(want, c) {
                    None => adds.push(c.clone()),
                    Some(why) => reasons.push(format!("column `{column}` cannot be added with ADD COLUMN: {why}")),
                }
            }
            Change::RemoveColumn { column, .. } => match drop_column_refusal(from, to, have, want, column) {
                None => drops.push(column.clone()),
                Some(why) => reasons.push(format!("column `{column}` cannot be dropped with DROP COLUMN: {why}")),
            },
            Change::AddIndex { .. } | Change::RemoveIndex { .. } => {}
            Change::AddFk { definition, .. } if fk_rides_on_added_column(want, changes, definition) => {}
            other => reasons.push(describe(other)),
        }
    }
    if reasons.is_empty() {
        TableAction::Alter { drops, adds }
    } else {
        TableAction::Rebuild(reasons)
    }
}

/// A new single-column foreign key on a column that ADD COLUMN adds is
/// written as that column's REFERENCES clause.
fn fk_rides_on_added_column(want: &Table, changes: &[&Change], definition: &str) -> bool {
    want.foreign_keys.iter().any(|fk| {
        render::fk_definition(fk) == definition
            && fk.columns.len() == 1
            && changes.iter().any(|c| matches!(c, Change::AddColumn { column, .. } if same_name(column, &fk.columns[0])))
            && want.column(&fk.columns[0]).is_some_and(|c| c.default.as_deref().is_none_or(|d| lexer::normalize_expr(d).is_ok_and(|n| n == "\"NULL\"")))
    })
}

/// Why SQLite's ADD COLUMN cannot add `c` to `table`, if it cannot
/// (sqlite.org/lang_altertable.html#altertabaddcol, and sqlite.md).
fn add_column_refusal(table: &Table, c: &Column) -> Option<String> {
    if table.in_primary_key(&c.name) {
        return Some("it is part of the PRIMARY KEY".into());
    }
    if table.uniques.iter().any(|u| u.columns.iter().any(|n| same_name(n, &c.name))) {
        return Some("it is UNIQUE".into());
    }
    if c.generated.as_ref().is_some_and(|g| g.stored) {
        return Some("it is a STORED generated column".into());
    }
    if let Some(d) = &c.default {
        if !is_constant_literal(d) {
            return Some(format!("its default `{d}` is not a constant"));
        }
    }
    let null_default = c.default.as_deref().is_none_or(is_null_literal);
    if !c.nullable && null_default {
        return Some("it is NOT NULL without a non-NULL default".into());
    }
    let referenced = table.foreign_keys.iter().any(|f| f.columns.iter().any(|n| same_name(n, &c.name)));
    if referenced && !null_default {
        return Some("it has a REFERENCES clause and a non-NULL default".into());
    }
    if !table.without_rowid && is_rowid_name(&c.name) {
        return Some(format!("SQLite 3.54 refuses to add a column named `{}`", c.name));
    }
    if table.checks.iter().any(|k| lexer::mentions(&k.expr, &c.name)) {
        return Some("a CHECK constraint names it".into());
    }
    None
}

/// Why SQLite's DROP COLUMN cannot drop `column` from `have`, if it cannot
/// (sqlite.org/lang_altertable.html#altertabdropcol, and sqlite.md).
fn drop_column_refusal(from: &Schema, to: &Schema, have: &Table, want: &Table, column: &str) -> Option<String> {
    let names = &Names::of(&[from, to]);
    if have.in_primary_key(column) {
        return Some("it is part of the PRIMARY KEY".into());
    }
    if have.uniques.iter().any(|u| u.columns.iter().any(|n| same_name(n, column))) {
        return Some("it is in a UNIQUE constraint".into());
    }
    let kept_indexes = have.indexes.iter().filter(|i| want.indexes.iter().any(|w| same_name(&w.name, &i.name) && crate::diff::same_index(i, w, names)));
    for index in kept_indexes {
        if index_mentions(index, column) {
            return Some(format!("index `{}` uses it", index.name));
        }
    }
    // DROP COLUMN re-reads the whole schema without the DQS fallback, and
    // fails on any index that uses a double-quoted string.
    for t in from.tables.values() {
        for index in &t.indexes {
            if index.columns.iter().any(|c| matches!(&c.key, IndexKey::Expression(e) if render::table_expr(t, e) != *e)) {
                return Some(format!("index `{}` uses a double-quoted string, which DROP COLUMN cannot re-read", index.name));
            }
        }
    }
    if have.checks.iter().any(|k| lexer::mentions(&k.expr, column)) {
        return Some("a CHECK constraint names it".into());
    }
    if have.foreign_keys.iter().any(|f| f.columns.iter().any(|n| same_name(n, column))) {
        return Some("it is in a foreign key".into());
    }
    if have.columns.iter().any(|c| c.generated.as_ref().is_some_and(|g| lexer::mentions(&g.expr, column))) {
        return Some("a generated column uses it".into());
    }
    if !have.without_rowid && is_rowid_name(column) {
        return Some(format!("SQLite 3.54 refuses to drop a column named `{column}`"));
    }
    let kept_trigger = from.triggers.values().find(|t| {
        to.triggers.get(&fold(&t.name)) == Some(*t)
            && (same_name(&t.table, &have.name) || lexer::mentions(&t.sql, &have.name))
            && lexer::mentions(&t.sql, column)
    });
    if let Some(t) = kept_trigger {
        return Some(format!("trigger `{}` may use it", t.name));
    }
    None
}

fn index_mentions(index: &Index, column: &str) -> bool {
    let in_keys = index.columns.iter().any(|c| match &c.key {
        IndexKey::Column(n) => same_name(n, column),
        IndexKey::Expression(e) => lexer::mentions(e, column),
    });
    in_keys || index.where_clause.as_deref().is_some_and(|w| lexer::mentions(w, column))
}

fn is_rowid_name(name: &str) -> bool {
    ["rowid", "_rowid_", "oid"].iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// ADD COLUMN takes a literal default only: not CURRENT_TIME/DATE/TIMESTAMP
/// and not an expression in parentheses.
fn is_constant_literal(expr: &str) -> bool {
    let Ok(tokens) = lexer::tokenize(expr) else {
        return false;
    };
    use lexer::TokenKind::*;
    match tokens.as_slice() {
        [t] => matches!(t.kind, Number | String | Blob) || ["NULL", "TRUE", "FALSE"].iter().any(|k| t.is_keyword(k)),
        [sign, n] => (sign.is_punct("-") || sign.is_punct("+")) && n.kind == Number,
        _ => false,
    }
}

fn is_null_literal(expr: &str) -> bool {
    lexer::tokenize(expr).is_ok_and(|t| matches!(t.as_slice(), [t] if t.is_keyword("NULL")))
}

fn dropped_indexes<'a>(have: &'a Table, want: &'a Table, names: &'a Names) -> impl Iterator<Item = &'a Index> {
    have.indexes.iter().filter(move |i| !want.indexes.iter().any(|w| same_name(&w.name, &i.name) && crate::diff::same_index(i, w, names)))
}

fn added_indexes<'a>(have: &'a Table, want: &'a Table, names: &'a Names) -> impl Iterator<Item = &'a Index> {
    want.indexes.iter().filter(move |w| !have.indexes.iter().any(|i| same_name(&w.name, &i.name) && crate::diff::same_index(i, w, names)))
}

/// Views dropped before the table steps and created after: those that
/// change, and those that read (directly or through other views) a table
/// that is rebuilt or dropped.
fn views_to_redo(from: &Schema, to: &Schema, disturbed: &BTreeSet<String>, names: &Names) -> BTreeSet<String> {
    let mut redo: BTreeSet<String> = BTreeSet::new();
    for (key, view) in &from.views {
        let same = to
            .views
            .get(key)
            .is_some_and(|w| w == view || (crate::diff::canon(&w.sql, names) == crate::diff::canon(&view.sql, names) && w.columns == view.columns));
        if !same {
            redo.insert(key.clone());
        }
    }
    redo.extend(to.views.keys().filter(|k| !from.views.contains_key(*k)).cloned());
    loop {
        let before = redo.len();
        for (key, view) in &from.views {
            let reads_disturbed =
                disturbed.iter().any(|t| lexer::mentions(&view.sql, &from.tables.get(t).map(|t| t.name.clone()).unwrap_or_else(|| t.clone())));
            let reads_redone =
                redo.iter().any(|v| v != key && lexer::mentions(&view.sql, &from.views.get(v).or(to.views.get(v)).map(|v| v.name.clone()).unwrap_or_default()));
            if reads_disturbed || reads_redone {
                redo.insert(key.clone());
            }
        }
        if redo.len() == before {
            return redo;
        }
    }
}

/// Triggers dropped first and created last: those that change, those on a
/// rebuilt table (DROP TABLE takes them), and those whose body names a
/// rebuilt or dropped table or a view that is redone.
fn triggers_to_redo(from: &Schema, to: &Schema, disturbed: &BTreeSet<String>, views: &BTreeSet<String>, known: &Names) -> BTreeSet<String> {
    let mut names: Vec<String> = disturbed.iter().map(|k| from.tables.get(k).map(|t| t.name.clone()).unwrap_or_else(|| k.clone())).collect();
    names.extend(views.iter().filter_map(|k| from.views.get(k).map(|v| v.name.clone())));
    let mut redo = BTreeSet::new();
    for (key, trigger) in &from.triggers {
        let changed = to.triggers.get(key).is_none_or(|w| crate::diff::canon(&w.sql, known) != crate::diff::canon(&trigger.sql, known));
        let touches = names.iter().any(|n| same_name(&trigger.table, n) || lexer::mentions(&trigger.sql, n));
        if changed || touches {
            redo.insert(key.clone());
        }
    }
    redo.extend(to.triggers.keys().filter(|k| !from.triggers.contains_key(*k)).cloned());
    redo
}

/// Renames in an order where each target name is free when it runs.
/// Column renames that a rebuild of their table can do in its copy (the
/// old column feeds the new one), saving a RENAME COLUMN. Kept native where
/// another table's foreign key names the column: RENAME COLUMN rewrites
/// those references, a rebuild does not.
fn folded_renames(diff: &Diff, rebuilt: &BTreeSet<String>) -> Vec<(String, String, String)> {
    diff.renames
        .columns
        .iter()
        .filter(|(table, _, new)| {
            let referenced = diff.renamed.tables.values().any(|t| {
                !same_name(&t.name, table) && t.foreign_keys.iter().any(|f| same_name(&f.ref_table, table) && f.ref_columns.iter().any(|c| same_name(c, new)))
            });
            rebuilt.contains(&fold(table)) && !referenced
        })
        .cloned()
        .collect()
}

fn rename_steps(diff: &Diff, folded: &[(String, String, String)]) -> Vec<Step> {
    let mut pending: Vec<(String, String)> = diff.renames.tables.clone();
    let mut steps = Vec::new();
    while !pending.is_empty() {
        let free = pending.iter().position(|(_, to)| !pending.iter().any(|(from, _)| same_name(from, to)));
        let (from, to) = pending.remove(free.unwrap_or(0));
        steps.push(Step::RenameTable { from, to });
    }
    for (table, from, to) in diff.renames.columns.iter().filter(|r| !folded.contains(r)) {
        steps.push(Step::RenameColumn { table: table.clone(), from: from.clone(), to: to.clone() });
    }
    steps
}

/// A change in words, for the comment over a rebuild and for `diff`.
pub fn describe(change: &Change) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_string());
    match change {
        Change::AddTable { table } => format!("add table `{table}`"),
        Change::RemoveTable { table } => format!("drop table `{table}`"),
        Change::RenameTable { table, from } => format!("rename table `{from}` to `{table}`"),
        Change::AddColumn { table, column, ty, nullable, default } => {
            let mut s = format!("add column `{table}.{column}` {}{}", if ty.is_empty() { "(no type)" } else { ty }, if *nullable { "" } else { " NOT NULL" });
            if let Some(d) = default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            s
        }
        Change::RemoveColumn { table, column } => format!("drop column `{table}.{column}`"),
        Change::RenameColumn { table, column, from } => format!("rename column `{table}.{from}` to `{column}`"),
        Change::ModifyType { table, column, from, to } => format!("type of `{table}.{column}` changes from {} to {}", or_none(from), or_none(to)),
        Change::ModifyNullable { table, column, to, .. } => format!("`{table}.{column}` becomes {}", if *to { "nullable" } else { "NOT NULL" }),
        Change::ModifyDefault { table, column, from, to } => format!("default of `{table}.{column}` changes from {} to {}", opt(from), opt(to)),
        Change::ModifyCollation { table, column, from, to } => format!("collation of `{table}.{column}` changes from {} to {}", opt(from), opt(to)),
        Change::ModifyGenerated { table, column, from, to } => format!("generated expression of `{table}.{column}` changes from {} to {}", opt(from), opt(to)),
        Change::ModifyOnConflict { table, column, from, to } => {
            format!("NOT NULL conflict clause of `{table}.{column}` changes from {} to {}", opt(from), opt(to))
        }
        Change::AddIndex { table, index, definition, .. } => format!("add index `{index}` on `{table}` {definition}"),
        Change::RemoveIndex { table, index, .. } => format!("drop index `{index}` on `{table}`"),
        Change::AddConstraint { table, definition, .. } => format!("add to `{table}`: {definition}"),
        Change::RemoveConstraint { table, definition, .. } => format!("remove from `{table}`: {definition}"),
        Change::AddFk { table, definition, .. } => format!("add to `{table}`: {definition}"),
        Change::RemoveFk { table, definition, .. } => format!("remove from `{table}`: {definition}"),
        Change::ModifyTable { table, property, from, to } => format!("{} of `{table}` changes from {from} to {to}", property.replace('_', " ")),
        Change::AddView { view } => format!("add view `{view}`"),
        Change::RemoveView { view } => format!("drop view `{view}`"),
        Change::AddTrigger { trigger, table } => format!("add trigger `{trigger}` on `{table}`"),
        Change::RemoveTrigger { trigger, table } => {
            format!("drop trigger `{trigger}` on `{table}`")
        }
    }
}

fn or_none(ty: &str) -> &str {
    if ty.is_empty() {
        "(no type)"
    } else {
        ty
    }
}

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
/// use autogen::{diff, model, plan};
/// let parse = |yaml: &str| model::parse(yaml, Path::new("m.yaml")).unwrap().0;
/// let before = parse("tables: [{name: t, columns: [{name: a, type: TEXT}]}]");
/// let after = parse("tables: [{name: t, columns: [{name: a, type: TEXT, nullable: false, server_default: \"''\"}]}]");
/// let statements = plan::render(&plan::plan(&diff::diff(&before, &after), &after));
/// let sql: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
/// assert_eq!(sql[0], "CREATE TABLE \"_autogen_tmp_t\" (\n    \"a\" TEXT NOT NULL DEFAULT ''\n)");
/// assert!(sql.contains(&r#"ALTER TABLE "_autogen_tmp_t" RENAME TO "t""#));
/// assert!(statements[0].comment.as_deref().unwrap().contains("rebuild"));
/// ```
pub fn render(plan: &Plan) -> Vec<Statement> {
    let mut out = Vec::new();
    for step in &plan.steps {
        match step {
            Step::DropTrigger(t) => {
                out.push(Statement::new(format!("drop trigger `{}` (created again below if the model keeps it)", t.name), render::drop_trigger(&t.name)))
            }
            Step::DropView(v) => {
                out.push(Statement::new(format!("drop view `{}` (created again below if the model keeps it)", v.name), render::drop_view(&v.name)))
            }
            Step::DropIndex(i) => out.push(Statement::new(format!("drop index `{}`", i.name), render::drop_index(&i.name))),
            Step::DropTable(t) => out.push(Statement::new(format!("drop table `{}` and its rows", t.name), render::drop_table(&t.name))),
            Step::RenameTable { from, to } => out.push(Statement::new(
                format!("rename table `{from}` to `{to}` (SQLite rewrites foreign keys, triggers and views that name it)"),
                render::rename_table(from, to),
            )),
            Step::RenameColumn { table, from, to } => {
                out.push(Statement::new(format!("rename column `{table}.{from}` to `{to}`"), render::rename_column(table, from, to)))
            }
            Step::CreateTable(t) => out.push(Statement::new(format!("create table `{}`", t.name), render::create_table(t, &t.name))),
            Step::AddColumn { table, column } => {
                out.push(Statement::new(format!("add column `{}.{}`", table.name, column.name), render::add_column(table, column)))
            }
            Step::DropColumn { table, column } => out.push(Statement::new(format!("drop column `{table}.{column}`"), render::drop_column(table, column))),
            Step::Rebuild(r) => out.extend(rebuild_statements(r)),
            Step::CreateIndex { table, index } => out.push(Statement::new(format!("create index `{}`", index.name), render::create_index(index, table))),
            Step::CreateView(v) => out.push(Statement::new(format!("create view `{}`", v.name), render::create_view(v))),
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
    let tmp = temp_name(name);
    let mut out = Vec::new();
    let mut why: Vec<String> = r.reasons.iter().map(|reason| format!("  - {reason}")).collect();
    why.extend(r.renamed_columns.iter().map(|(o, n)| format!("  - column `{o}` is renamed to `{n}` by the copy below")));
    out.push(Statement::new(
        format!("rebuild `{name}`: SQLite's ALTER TABLE cannot do this:\n{}\nThe new definition is built under a temporary name, filled from the old table and renamed onto `{name}`,\nso foreign keys in other tables keep pointing at `{name}`.", why.join("\n")),
        render::create_table(&r.to, &tmp),
    ));
    let (targets, sources) = copy_lists(r);
    if !targets.is_empty() {
        let comment = if rowid_alias(r).is_some() {
            "copy the rows, rowids included (the table has no INTEGER PRIMARY KEY, so rowids would otherwise be renumbered); no CAST: the new column affinity converts what it can without loss"
        } else {
            "copy the rows; no CAST: the new column affinity converts what it can without loss"
        };
        out.push(Statement::new(comment, format!("INSERT INTO {} ({}) SELECT {} FROM {}", ident(&tmp), targets.join(", "), sources.join(", "), ident(name))));
    }
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
        format!("swap: drop the old `{name}` (foreign-key enforcement is off, so no ON DELETE action fires) and rename the new one onto its name"),
        render::drop_table(&r.from.name),
    ));
    out.push(Statement::bare(render::rename_table(&tmp, name)));
    for index in &r.to.indexes {
        out.push(Statement::new(format!("recreate index `{}`", index.name), render::create_index(index, &r.to)));
    }
    out
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
        if let Some(old) = r.from.column(&column.name) {
            // `from` carries the new names; the stored table still has the
            // old one where this rebuild does the rename.
            let stored = r.renamed_columns.iter().find(|(_, new)| same_name(new, &old.name)).map(|(o, _)| o.as_str()).unwrap_or(&old.name);
            targets.push(ident(&column.name));
            sources.push(ident(stored));
        }
    }
    (targets, sources)
}
