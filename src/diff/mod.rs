//! Comparing two schemas (model.md, "Comparison rules").
//!
//! Renames come first: the hints of the wanted schema (`to`) are resolved
//! against `from`, and `from` is rewritten as SQLite's native `RENAME TO` /
//! `RENAME COLUMN` would leave it (they also rewrite foreign keys, indexes,
//! views and triggers that name the object). Everything after that compares
//! by name, so the planner can start from that renamed state.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::schema::*;
use crate::sql::lexer;

/// What the hints say moved, in `from`'s names and `to`'s names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Renames {
    /// (old table name, new table name)
    pub tables: Vec<(String, String)>,
    /// (new table name, old column name, new column name)
    pub columns: Vec<(String, String, String)>,
}

impl Renames {
    /// The renames that undo these: what a downgrade applies.
    pub fn inverse(&self) -> Renames {
        let table_back = |new: &str| self.tables.iter().find(|(_, n)| same_name(n, new)).map(|(o, _)| o.clone()).unwrap_or_else(|| new.to_string());
        Renames {
            tables: self.tables.iter().map(|(o, n)| (n.clone(), o.clone())).collect(),
            columns: self.columns.iter().map(|(t, o, n)| (table_back(t), n.clone(), o.clone())).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }
}

/// One difference, named as Alembic's autogenerate names it (cli.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    AddTable {
        table: String,
    },
    RemoveTable {
        table: String,
    },
    RenameTable {
        table: String,
        from: String,
    },
    AddColumn {
        table: String,
        column: String,
        #[serde(rename = "type")]
        ty: String,
        nullable: bool,
        default: Option<String>,
    },
    RemoveColumn {
        table: String,
        column: String,
    },
    RenameColumn {
        table: String,
        column: String,
        from: String,
    },
    ModifyType {
        table: String,
        column: String,
        from: String,
        to: String,
    },
    ModifyNullable {
        table: String,
        column: String,
        from: bool,
        to: bool,
    },
    ModifyDefault {
        table: String,
        column: String,
        from: Option<String>,
        to: Option<String>,
    },
    ModifyCollation {
        table: String,
        column: String,
        from: Option<String>,
        to: Option<String>,
    },
    ModifyGenerated {
        table: String,
        column: String,
        from: Option<String>,
        to: Option<String>,
    },
    ModifyOnConflict {
        table: String,
        column: String,
        from: Option<String>,
        to: Option<String>,
    },
    AddIndex {
        table: String,
        index: String,
        unique: bool,
        definition: String,
    },
    RemoveIndex {
        table: String,
        index: String,
        unique: bool,
        definition: String,
    },
    AddConstraint {
        table: String,
        constraint: Option<String>,
        kind: &'static str,
        definition: String,
    },
    RemoveConstraint {
        table: String,
        constraint: Option<String>,
        kind: &'static str,
        definition: String,
    },
    AddFk {
        table: String,
        constraint: Option<String>,
        definition: String,
    },
    RemoveFk {
        table: String,
        constraint: Option<String>,
        definition: String,
    },
    ModifyTable {
        table: String,
        property: &'static str,
        from: String,
        to: String,
    },
    AddView {
        view: String,
    },
    RemoveView {
        view: String,
    },
    AddTrigger {
        trigger: String,
        table: String,
    },
    RemoveTrigger {
        trigger: String,
        table: String,
    },
}

impl Change {
    /// The table (or view, or trigger's table) a change belongs to, for grouping.
    pub fn subject(&self) -> &str {
        use Change::*;
        match self {
            AddTable { table } | RemoveTable { table } | RenameTable { table, .. } => table,
            AddColumn { table, .. } | RemoveColumn { table, .. } | RenameColumn { table, .. } => table,
            ModifyType { table, .. } | ModifyNullable { table, .. } | ModifyDefault { table, .. } => table,
            ModifyCollation { table, .. } | ModifyGenerated { table, .. } | ModifyOnConflict { table, .. } => table,
            AddIndex { table, .. } | RemoveIndex { table, .. } => table,
            AddConstraint { table, .. } | RemoveConstraint { table, .. } => table,
            AddFk { table, .. } | RemoveFk { table, .. } | ModifyTable { table, .. } => table,
            AddView { view } | RemoveView { view } => view,
            AddTrigger { table, .. } | RemoveTrigger { table, .. } => table,
        }
    }

    /// Whether the change destroys data that exists only in the database.
    pub fn loses_data(&self) -> bool {
        matches!(self, Change::RemoveTable { .. } | Change::RemoveColumn { .. })
    }
}

/// The result of comparing two schemas.
#[derive(Debug, Clone)]
pub struct Diff {
    pub renames: Renames,
    /// `from` as it stands after the renames: the planner's starting point.
    pub renamed: Schema,
    pub changes: Vec<Change>,
    /// Loud hints: drops and adds that look like renames.
    pub suggestions: Vec<String>,
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
/// use autogen::{diff, model};
/// let (before, _) = model::parse("tables: [{name: t, columns: [{name: a, type: TEXT}]}]", Path::new("a.yaml")).unwrap();
/// let (after, _) = model::parse("tables: [{name: t, columns: [{name: b, type: TEXT, renamed_from: a}]}]", Path::new("b.yaml")).unwrap();
/// let changes = diff::diff(&before, &after);
/// let ops: Vec<String> = changes.changes.iter().map(autogen::plan::describe).collect();
/// assert_eq!(ops, ["rename column `t.a` to `b`"]);
/// assert!(diff::diff(&after, &after).is_empty());
/// ```
pub fn diff(from: &Schema, to: &Schema) -> Diff {
    let renames = resolve_renames(from, to);
    diff_with_renames(from, to, renames)
}

/// Compares with explicit renames (a downgrade passes the inverse of the
/// upgrade's).
pub fn diff_with_renames(from: &Schema, to: &Schema, renames: Renames) -> Diff {
    let renamed = apply_renames(from, &renames);
    let names = Names::of(&[&renamed, to]);
    let mut changes = rename_changes(&renames);
    let mut suggestions = Vec::new();
    compare_tables(&renamed, to, &names, &mut changes, &mut suggestions);
    compare_views(&renamed, to, &names, &mut changes);
    compare_triggers(&renamed, to, &names, &mut changes);
    Diff { renames, renamed, changes, suggestions }
}

/// Hints are inert once the database has the new name, and ignored when the
/// old name is not there either (model.md, "Renames").
pub fn resolve_renames(from: &Schema, to: &Schema) -> Renames {
    let mut renames = Renames::default();
    for table in to.tables.values() {
        let mut source = from.table(&table.name);
        if source.is_none() {
            if let Some(old) = table.renamed_from.as_deref().filter(|o| to.table(o).is_none()) {
                if let Some(found) = from.table(old) {
                    renames.tables.push((found.name.clone(), table.name.clone()));
                    source = Some(found);
                }
            }
        }
        let Some(source) = source else { continue };
        for column in &table.columns {
            if source.column(&column.name).is_some() {
                continue;
            }
            let Some(old) = column.renamed_from.as_deref() else {
                continue;
            };
            if table.column(old).is_some() {
                continue;
            }
            if let Some(found) = source.column(old) {
                renames.columns.push((table.name.clone(), found.name.clone(), column.name.clone()));
            }
        }
    }
    renames
}

fn rename_changes(renames: &Renames) -> Vec<Change> {
    let tables = renames.tables.iter().map(|(old, new)| Change::RenameTable { table: new.clone(), from: old.clone() });
    let columns = renames.columns.iter().map(|(t, old, new)| Change::RenameColumn { table: t.clone(), column: new.clone(), from: old.clone() });
    tables.chain(columns).collect()
}

/// `from` as SQLite leaves it after the native renames: RENAME TO and RENAME
/// COLUMN (3.26+, legacy_alter_table off) rewrite every reference in other
/// tables' foreign keys, in indexes, triggers and views.
pub fn apply_renames(from: &Schema, renames: &Renames) -> Schema {
    if renames.is_empty() {
        return from.clone();
    }
    let table_map: Vec<(String, String)> = renames.tables.clone();
    let new_table_name =
        |name: &str| -> String { table_map.iter().find(|(o, _)| same_name(o, name)).map(|(_, n)| n.clone()).unwrap_or_else(|| name.to_string()) };
    let columns_of = |table: &str| -> Vec<(String, String)> {
        renames.columns.iter().filter(|(t, _, _)| same_name(t, table)).map(|(_, o, n)| (o.clone(), n.clone())).collect()
    };
    let mut out = Schema { unmanaged: from.unmanaged.clone(), ..Schema::default() };
    for table in from.tables.values() {
        let mut t = table.clone();
        t.name = new_table_name(&table.name);
        let cols = columns_of(&t.name);
        rename_columns_in_table(&mut t, &cols);
        for fk in &mut t.foreign_keys {
            fk.ref_table = new_table_name(&fk.ref_table);
            let parent_cols = columns_of(&fk.ref_table);
            for c in &mut fk.ref_columns {
                *c = rename_one(c, &parent_cols);
            }
        }
        out.tables.insert(fold(&t.name), t);
    }
    let mut all: Vec<(String, String)> = table_map.clone();
    all.extend(renames.columns.iter().map(|(_, o, n)| (o.clone(), n.clone())));
    for view in from.views.values() {
        let mut v = view.clone();
        v.sql = lexer::rename_identifiers(&v.sql, &all);
        out.views.insert(fold(&v.name), v);
    }
    for trigger in from.triggers.values() {
        let mut t = trigger.clone();
        t.table = new_table_name(&t.table);
        t.sql = lexer::rename_identifiers(&t.sql, &all);
        out.triggers.insert(fold(&t.name), t);
    }
    out
}

fn rename_one(name: &str, map: &[(String, String)]) -> String {
    map.iter().find(|(o, _)| same_name(o, name)).map(|(_, n)| n.clone()).unwrap_or_else(|| name.to_string())
}

fn rename_columns_in_table(t: &mut Table, cols: &[(String, String)]) {
    if cols.is_empty() {
        return;
    }
    let rn = |v: &mut Vec<String>| v.iter_mut().for_each(|c| *c = rename_one(c, cols));
    for c in &mut t.columns {
        c.name = rename_one(&c.name, cols);
        if let Some(g) = &mut c.generated {
            g.expr = lexer::rename_identifiers(&g.expr, cols);
        }
    }
    if let Some(pk) = &mut t.primary_key {
        rn(&mut pk.columns);
    }
    t.uniques.iter_mut().for_each(|u| rn(&mut u.columns));
    t.foreign_keys.iter_mut().for_each(|f| rn(&mut f.columns));
    for check in &mut t.checks {
        check.expr = lexer::rename_identifiers(&check.expr, cols);
    }
    for index in &mut t.indexes {
        for c in &mut index.columns {
            match &mut c.key {
                IndexKey::Column(n) => *n = rename_one(n, cols),
                IndexKey::Expression(e) => *e = lexer::rename_identifiers(e, cols),
            }
        }
        if let Some(w) = &mut index.where_clause {
            *w = lexer::rename_identifiers(w, cols);
        }
    }
}

/// The names SQL text may refer to (tables, views, columns of both sides,
/// folded): a double-quoted token that is none of them is a string literal
/// to SQLite, and is compared as one.
///
/// The set is built on first use: most comparisons find the two texts
/// identical and never need it.
#[derive(Debug, Clone, Default)]
pub struct Names<'a> {
    schemas: Vec<&'a Schema>,
    set: std::cell::OnceCell<HashSet<String>>,
}

impl<'a> Names<'a> {
    pub fn of(schemas: &[&'a Schema]) -> Names<'a> {
        Names { schemas: schemas.to_vec(), set: std::cell::OnceCell::new() }
    }

    fn build(schemas: &[&Schema]) -> HashSet<String> {
        let mut set = HashSet::new();
        for s in schemas {
            for t in s.tables.values() {
                set.insert(fold(&t.name));
                set.extend(t.columns.iter().map(|c| fold(&c.name)));
            }
            set.extend(s.views.values().map(|v| fold(&v.name)));
            set.extend(s.views.values().flat_map(|v| v.columns.iter().map(|c| fold(c))));
        }
        set.extend(["rowid", "oid", "_rowid_", "new", "old", "excluded"].map(String::from));
        set
    }

    /// No names at all: in a DEFAULT every double-quoted token is a string.
    pub fn none() -> Names<'static> {
        Names { schemas: Vec::new(), set: HashSet::new().into() }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.set.get_or_init(|| Names::build(&self.schemas)).contains(&fold(name))
    }
}

/// Canonical SQL for comparisons; text that does not tokenize compares as
/// itself.
pub fn canon(sql: &str, names: &Names) -> String {
    lexer::normalize_in(sql, &|n| names.contains(n)).unwrap_or_else(|_| sql.trim().to_string())
}

fn same_sql(a: &str, b: &str, names: &Names) -> bool {
    a == b || canon(a, names) == canon(b, names)
}

fn same_names(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_name(x, y))
}

fn compare_tables(from: &Schema, to: &Schema, names: &Names, changes: &mut Vec<Change>, suggestions: &mut Vec<String>) {
    // Added tables parents first, removed ones children first: the order
    // they are created and dropped in.
    // The dependency sort runs only when a table comes or goes: on a large
    // schema it costs as much as comparing every table.
    let gains = |from: &Schema, to: &Schema| to.tables.keys().any(|k| !from.tables.contains_key(k));
    let added: Vec<&Table> =
        if gains(from, to) { crate::schema::order::parents_first(to).into_iter().filter(|t| !from.tables.contains_key(&fold(&t.name))).collect() } else { Vec::new() };
    let removed: Vec<&Table> = if gains(to, from) {
        crate::schema::order::parents_first(from).into_iter().rev().filter(|t| !to.tables.contains_key(&fold(&t.name))).collect()
    } else {
        Vec::new()
    };
    suggest_table_renames(&added, &removed, suggestions);
    for table in &added {
        changes.push(Change::AddTable { table: table.name.clone() });
    }
    for (key, want) in &to.tables {
        if let Some(have) = from.tables.get(key) {
            compare_table(have, want, names, changes, suggestions);
        }
    }
    for table in removed {
        changes.push(Change::RemoveTable { table: table.name.clone() });
    }
}

fn suggest_table_renames(added: &[&Table], removed: &[&Table], suggestions: &mut Vec<String>) {
    for new in added {
        for old in removed {
            let new_cols: HashSet<String> = new.columns.iter().map(|c| fold(&c.name)).collect();
            let old_cols: HashSet<String> = old.columns.iter().map(|c| fold(&c.name)).collect();
            if !new_cols.is_empty() && new_cols == old_cols {
                suggestions.push(format!(
                    "table `{}` is dropped and `{}` is added with the same columns: if this is a rename, add `renamed_from: {}` to table `{}`, or its rows are lost",
                    old.name, new.name, old.name, new.name
                ));
            }
        }
    }
}

fn compare_table(have: &Table, want: &Table, names: &Names, changes: &mut Vec<Change>, suggestions: &mut Vec<String>) {
    let t = want.name.clone();
    let added: Vec<&Column> = want.columns.iter().filter(|c| have.column(&c.name).is_none()).collect();
    let removed: Vec<&Column> = have.columns.iter().filter(|c| want.column(&c.name).is_none()).collect();
    for new in &added {
        for old in &removed {
            if old.ty == new.ty {
                suggestions.push(format!(
                    "column `{t}.{}` is dropped and `{t}.{}` is added with the same type: if this is a rename, add `renamed_from: {}` to column `{}`, or its values are lost",
                    old.name, new.name, old.name, new.name
                ));
            }
        }
    }
    for c in &added {
        changes.push(Change::AddColumn { table: t.clone(), column: c.name.clone(), ty: c.ty.clone(), nullable: c.nullable, default: c.default.clone() });
    }
    for c in &removed {
        changes.push(Change::RemoveColumn { table: t.clone(), column: c.name.clone() });
    }
    for w in &want.columns {
        if let Some(h) = have.column(&w.name) {
            compare_column(&t, h, w, names, changes);
        }
    }
    compare_table_properties(have, want, changes);
    compare_indexes(have, want, names, changes);
    compare_constraints(have, want, names, changes);
}

fn compare_column(t: &str, h: &Column, w: &Column, names: &Names, changes: &mut Vec<Change>) {
    let (table, column) = (t.to_string(), w.name.clone());
    if h.ty != w.ty {
        changes.push(Change::ModifyType { table: table.clone(), column: column.clone(), from: h.ty.clone(), to: w.ty.clone() });
    }
    if h.nullable != w.nullable {
        changes.push(Change::ModifyNullable { table: table.clone(), column: column.clone(), from: h.nullable, to: w.nullable });
    }
    let same_default = match (&h.default, &w.default) {
        (Some(a), Some(b)) => same_sql(a, b, &Names::none()),
        (a, b) => a.is_none() && b.is_none(),
    };
    if !same_default {
        changes.push(Change::ModifyDefault { table: table.clone(), column: column.clone(), from: h.default.clone(), to: w.default.clone() });
    }
    if h.collate != w.collate {
        changes.push(Change::ModifyCollation { table: table.clone(), column: column.clone(), from: h.collate.clone(), to: w.collate.clone() });
    }
    let same_generated = match (&h.generated, &w.generated) {
        (Some(a), Some(b)) => a.stored == b.stored && same_sql(&a.expr, &b.expr, names),
        (a, b) => a.is_none() && b.is_none(),
    };
    if !same_generated {
        let show = |g: &Option<Generated>| g.as_ref().map(|g| format!("{} {}", g.expr, if g.stored { "STORED" } else { "VIRTUAL" }));
        changes.push(Change::ModifyGenerated { table: table.clone(), column: column.clone(), from: show(&h.generated), to: show(&w.generated) });
    }
    if !w.nullable && !h.nullable && h.not_null_conflict != w.not_null_conflict {
        let show = |c: Option<Conflict>| c.map(|c| c.as_sql().to_string());
        changes.push(Change::ModifyOnConflict { table, column, from: show(h.not_null_conflict), to: show(w.not_null_conflict) });
    }
}

fn compare_table_properties(have: &Table, want: &Table, changes: &mut Vec<Change>) {
    let t = || want.name.clone();
    if have.strict != want.strict {
        changes.push(Change::ModifyTable { table: t(), property: "strict", from: have.strict.to_string(), to: want.strict.to_string() });
    }
    if have.without_rowid != want.without_rowid {
        changes.push(Change::ModifyTable { table: t(), property: "without_rowid", from: have.without_rowid.to_string(), to: want.without_rowid.to_string() });
    }
    if !same_primary_key(have.primary_key.as_ref(), want.primary_key.as_ref()) {
        changes.push(Change::ModifyTable {
            table: t(),
            property: "primary_key",
            from: describe_pk(have.primary_key.as_ref()),
            to: describe_pk(want.primary_key.as_ref()),
        });
    }
    if have.is_autoincrement() != want.is_autoincrement() {
        changes.push(Change::ModifyTable {
            table: t(),
            property: "autoincrement",
            from: have.is_autoincrement().to_string(),
            to: want.is_autoincrement().to_string(),
        });
    }
}

fn same_primary_key(have: Option<&PrimaryKey>, want: Option<&PrimaryKey>) -> bool {
    match (have, want) {
        (None, None) => true,
        (Some(h), Some(w)) => same_names(&h.columns, &w.columns) && h.on_conflict == w.on_conflict && name_matches(h.name.as_deref(), w.name.as_deref()),
        _ => false,
    }
}

fn describe_pk(pk: Option<&PrimaryKey>) -> String {
    match pk {
        None => "none".to_string(),
        Some(pk) => {
            let mut s = format!("({})", pk.columns.join(", "));
            if let Some(c) = pk.on_conflict {
                s.push_str(" ON CONFLICT ");
                s.push_str(c.as_sql());
            }
            s
        }
    }
}

/// A name counts where the wanted side gives one (model.md).
fn name_matches(have: Option<&str>, want: Option<&str>) -> bool {
    match want {
        None => true,
        Some(w) => have.is_some_and(|h| same_name(h, w)),
    }
}

fn compare_indexes(have: &Table, want: &Table, names: &Names, changes: &mut Vec<Change>) {
    let t = &want.name;
    for h in &have.indexes {
        let kept = want.indexes.iter().any(|w| same_name(&w.name, &h.name) && same_index(h, w, names));
        if !kept {
            changes.push(Change::RemoveIndex { table: t.clone(), index: h.name.clone(), unique: h.unique, definition: crate::schema::ddl::index_definition(h) });
        }
    }
    for w in &want.indexes {
        let kept = have.indexes.iter().any(|h| same_name(&w.name, &h.name) && same_index(h, w, names));
        if !kept {
            changes.push(Change::AddIndex { table: t.clone(), index: w.name.clone(), unique: w.unique, definition: crate::schema::ddl::index_definition(w) });
        }
    }
}

pub fn same_index(a: &Index, b: &Index, names: &Names) -> bool {
    let same_where = match (&a.where_clause, &b.where_clause) {
        (Some(x), Some(y)) => same_sql(x, y, names),
        (x, y) => x.is_none() && y.is_none(),
    };
    a.unique == b.unique
        && same_where
        && a.columns.len() == b.columns.len()
        && a.columns.iter().zip(&b.columns).all(|(x, y)| {
            let key = match (&x.key, &y.key) {
                (IndexKey::Column(p), IndexKey::Column(q)) => same_name(p, q),
                (IndexKey::Expression(p), IndexKey::Expression(q)) => same_sql(p, q, names),
                _ => false,
            };
            key && x.desc == y.desc && x.collate == y.collate
        })
}

fn compare_constraints(have: &Table, want: &Table, names: &Names, changes: &mut Vec<Change>) {
    let t = &want.name;
    let same_unique = |h: &UniqueConstraint, w: &UniqueConstraint| {
        same_names(&h.columns, &w.columns) && h.on_conflict == w.on_conflict && name_matches(h.name.as_deref(), w.name.as_deref())
    };
    let (gone, new) = match_up(&have.uniques, &want.uniques, same_unique);
    for u in gone {
        changes.push(Change::RemoveConstraint {
            table: t.clone(),
            constraint: u.name.clone(),
            kind: "unique",
            definition: crate::schema::ddl::unique_definition(u),
        });
    }
    for u in new {
        changes.push(Change::AddConstraint { table: t.clone(), constraint: u.name.clone(), kind: "unique", definition: crate::schema::ddl::unique_definition(u) });
    }
    let same_check = |h: &CheckConstraint, w: &CheckConstraint| same_sql(&h.expr, &w.expr, names) && name_matches(h.name.as_deref(), w.name.as_deref());
    let (gone, new) = match_up(&have.checks, &want.checks, same_check);
    for c in gone {
        changes.push(Change::RemoveConstraint { table: t.clone(), constraint: c.name.clone(), kind: "check", definition: crate::schema::ddl::check_definition(c) });
    }
    for c in new {
        changes.push(Change::AddConstraint { table: t.clone(), constraint: c.name.clone(), kind: "check", definition: crate::schema::ddl::check_definition(c) });
    }
    let (gone, new) = match_up(&have.foreign_keys, &want.foreign_keys, same_fk);
    for f in gone {
        changes.push(Change::RemoveFk { table: t.clone(), constraint: f.name.clone(), definition: crate::schema::ddl::fk_definition(f) });
    }
    for f in new {
        changes.push(Change::AddFk { table: t.clone(), constraint: f.name.clone(), definition: crate::schema::ddl::fk_definition(f) });
    }
}

fn same_fk(h: &ForeignKey, w: &ForeignKey) -> bool {
    same_names(&h.columns, &w.columns)
        && same_name(&h.ref_table, &w.ref_table)
        && same_names(&h.ref_columns, &w.ref_columns)
        && h.on_delete == w.on_delete
        && h.on_update == w.on_update
        && h.deferrable == w.deferrable
        && name_matches(h.name.as_deref(), w.name.as_deref())
}

/// Pairs each wanted item with an unused equal one that exists; returns what
/// exists unpaired (to remove) and what is wanted unpaired (to add). Items
/// the wanted side names are paired first, so a named constraint is not
/// taken by an unnamed twin.
fn match_up<'a, T>(have: &'a [T], want: &'a [T], same: impl Fn(&T, &T) -> bool) -> (Vec<&'a T>, Vec<&'a T>) {
    let mut used = vec![false; have.len()];
    let mut unmatched_want = Vec::new();
    for w in want {
        match (0..have.len()).find(|&i| !used[i] && same(&have[i], w)) {
            Some(i) => used[i] = true,
            None => unmatched_want.push(w),
        }
    }
    let unmatched_have = have.iter().zip(&used).filter(|(_, u)| !**u).map(|(h, _)| h).collect();
    (unmatched_have, unmatched_want)
}

fn compare_views(from: &Schema, to: &Schema, names: &Names, changes: &mut Vec<Change>) {
    let same = |a: &View, b: &View| same_names(&a.columns, &b.columns) && same_sql(&a.sql, &b.sql, names);
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for (key, h) in &from.views {
        match to.views.get(key) {
            Some(w) if same(h, w) => {}
            Some(_) => {
                removed.push(h.name.clone());
                added.push(key.clone());
            }
            None => removed.push(h.name.clone()),
        }
    }
    added.extend(to.views.keys().filter(|k| !from.views.contains_key(*k)).cloned());
    added.sort();
    for v in removed {
        changes.push(Change::RemoveView { view: v });
    }
    for k in added {
        changes.push(Change::AddView { view: to.views[&k].name.clone() });
    }
}

fn compare_triggers(from: &Schema, to: &Schema, names: &Names, changes: &mut Vec<Change>) {
    let mut removed: BTreeMap<String, &Trigger> = BTreeMap::new();
    let mut added: BTreeMap<String, &Trigger> = BTreeMap::new();
    for (key, h) in &from.triggers {
        match to.triggers.get(key) {
            Some(w) if same_sql(&h.sql, &w.sql, names) && same_name(&h.table, &w.table) => {}
            Some(w) => {
                removed.insert(key.clone(), h);
                added.insert(key.clone(), w);
            }
            None => {
                removed.insert(key.clone(), h);
            }
        }
    }
    for (key, w) in &to.triggers {
        if !from.triggers.contains_key(key) {
            added.insert(key.clone(), w);
        }
    }
    for t in removed.values() {
        changes.push(Change::RemoveTrigger { trigger: t.name.clone(), table: t.table.clone() });
    }
    for t in added.values() {
        changes.push(Change::AddTrigger { trigger: t.name.clone(), table: t.table.clone() });
    }
}
