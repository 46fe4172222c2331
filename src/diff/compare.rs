//! Comparing two schemas object by object (model.md, "Comparison rules").
//! Both sides are in normal form and `from` already carries the renames, so
//! everything here compares by name.

use std::collections::{BTreeMap, HashSet};

use super::change::*;
use super::names::{same_sql, Names};
use crate::schema::order::parents_first;
use crate::schema::*;

/// What a comparison finds: the changes, and loud hints about drops and
/// adds that look like renames.
pub(super) struct Found<'n> {
    pub names: &'n Names<'n>,
    pub changes: Vec<Change>,
    pub suggestions: Vec<String>,
}

impl Found<'_> {
    fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    fn column(&mut self, table: &str, column: &str, change: ColumnChange) {
        self.push(Change::ModifyColumn { table: table.to_string(), column: column.to_string(), change });
    }

    fn table(&mut self, table: &str, change: TableChange) {
        self.push(Change::ModifyTable { table: table.to_string(), change });
    }
}

fn same_names(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_name(x, y))
}

pub(super) fn tables(from: &Schema, to: &Schema, found: &mut Found) {
    // Added tables parents first, removed ones children first: the order
    // they are created and dropped in. The dependency sort runs only when
    // a table comes or goes: on a large schema it costs as much as
    // comparing every table.
    let gains = |from: &Schema, to: &Schema| to.tables.keys().any(|k| !from.tables.contains_key(k));
    let added: Vec<&Table> = if gains(from, to) {
        parents_first(to).into_iter().filter(|t| !from.tables.contains_key(&fold(&t.name))).collect()
    } else {
        Vec::new()
    };
    let removed: Vec<&Table> = if gains(to, from) {
        parents_first(from).into_iter().rev().filter(|t| !to.tables.contains_key(&fold(&t.name))).collect()
    } else {
        Vec::new()
    };
    suggest_table_renames(&added, &removed, &mut found.suggestions);
    for table in &added {
        found.push(Change::AddTable((*table).clone()));
    }
    for (key, want) in &to.tables {
        if let Some(have) = from.tables.get(key) {
            table(have, want, found);
        }
    }
    for table in removed {
        found.push(Change::RemoveTable(table.clone()));
    }
}

fn suggest_table_renames(added: &[&Table], removed: &[&Table], suggestions: &mut Vec<String>) {
    for new in added {
        for old in removed {
            let new_cols: HashSet<String> = new.columns.iter().map(|c| fold(&c.name)).collect();
            let old_cols: HashSet<String> = old.columns.iter().map(|c| fold(&c.name)).collect();
            if !new_cols.is_empty() && new_cols == old_cols {
                suggestions.push(format!(
                    "table `{}` is dropped and `{}` is added with the same columns: if this is a rename, add \
                        `renamed_from: {}` to table `{}` (in a .sql model: `-- autogen: renamed_from {}` on its line), \
                        or its rows are lost",
                    old.name, new.name, old.name, new.name, old.name
                ));
            }
        }
    }
}

fn table(have: &Table, want: &Table, found: &mut Found) {
    let t = &want.name;
    let added: Vec<&Column> = want.columns.iter().filter(|c| have.column(&c.name).is_none()).collect();
    let removed: Vec<&Column> = have.columns.iter().filter(|c| want.column(&c.name).is_none()).collect();
    for new in &added {
        for old in &removed {
            if old.ty == new.ty {
                found.suggestions.push(format!(
                    "column `{t}.{}` is dropped and `{t}.{}` is added with the same type: if this is a rename, add \
                        `renamed_from: {}` to column `{}` (in a .sql model: `-- autogen: renamed_from {}` on its \
                        line), or its values are lost",
                    old.name, new.name, old.name, new.name, old.name
                ));
            }
        }
    }
    for c in added {
        found.push(Change::AddColumn { table: t.clone(), column: c.clone() });
    }
    for c in removed {
        found.push(Change::RemoveColumn { table: t.clone(), column: c.clone() });
    }
    // The rowid in both: it never holds NULL, NOT NULL or not.
    let is_rowid = |name: &str| {
        let rowid = |t: &Table| t.integer_primary_key().is_some_and(|c| same_name(&c.name, name));
        rowid(have) && rowid(want)
    };
    for w in &want.columns {
        if let Some(h) = have.column(&w.name) {
            column(t, h, w, is_rowid(&w.name), found);
        }
    }
    table_properties(have, want, found);
    indexes(have, want, found);
    constraints(have, want, found);
}

fn column(t: &str, h: &Column, w: &Column, rowid: bool, found: &mut Found) {
    let c = &w.name;
    if h.ty != w.ty {
        found.column(t, c, ColumnChange::Type { from: h.ty.clone(), to: w.ty.clone() });
    }
    if h.nullable != w.nullable && !rowid {
        found.column(t, c, ColumnChange::Nullable { from: h.nullable, to: w.nullable });
    }
    let same_default = match (&h.default, &w.default) {
        (Some(a), Some(b)) => same_sql(a, b, &Names::none()),
        (a, b) => a.is_none() && b.is_none(),
    };
    if !same_default {
        found.column(t, c, ColumnChange::Default { from: h.default.clone(), to: w.default.clone() });
    }
    if h.collate != w.collate {
        found.column(t, c, ColumnChange::Collation { from: h.collate.clone(), to: w.collate.clone() });
    }
    let same_generated = match (&h.generated, &w.generated) {
        (Some(a), Some(b)) => a.stored == b.stored && same_sql(&a.expr, &b.expr, found.names),
        (a, b) => a.is_none() && b.is_none(),
    };
    if !same_generated {
        found.column(t, c, ColumnChange::Generated { from: h.generated.clone(), to: w.generated.clone() });
    }
    if !w.nullable && !h.nullable && h.not_null_conflict != w.not_null_conflict && !rowid {
        found.column(t, c, ColumnChange::OnConflict { from: h.not_null_conflict, to: w.not_null_conflict });
    }
    let names = found.names;
    let (gone, new) = match_up(&h.checks, &w.checks, |x, y| same_check(names, x, y));
    for check in gone {
        let constraint = Constraint::ColumnCheck { column: c.clone(), check: check.clone() };
        found.push(Change::RemoveConstraint { table: t.to_string(), constraint });
    }
    for check in new {
        let constraint = Constraint::ColumnCheck { column: c.clone(), check: check.clone() };
        found.push(Change::AddConstraint { table: t.to_string(), constraint });
    }
}

fn table_properties(have: &Table, want: &Table, found: &mut Found) {
    let t = &want.name;
    if have.strict != want.strict {
        found.table(t, TableChange::Strict { from: have.strict, to: want.strict });
    }
    if have.without_rowid != want.without_rowid {
        found.table(t, TableChange::WithoutRowid { from: have.without_rowid, to: want.without_rowid });
    }
    if !same_primary_key(have.primary_key.as_ref(), want.primary_key.as_ref()) {
        found.table(t, TableChange::PrimaryKey { from: have.primary_key.clone(), to: want.primary_key.clone() });
    }
    if have.is_autoincrement() != want.is_autoincrement() {
        found.table(t, TableChange::Autoincrement { from: have.is_autoincrement(), to: want.is_autoincrement() });
    }
}

fn same_primary_key(have: Option<&PrimaryKey>, want: Option<&PrimaryKey>) -> bool {
    match (have, want) {
        (None, None) => true,
        (Some(h), Some(w)) => {
            same_names(&h.columns, &w.columns)
                && h.on_conflict == w.on_conflict
                // DESC decides whether an INTEGER key is the rowid (model.md, `order`).
                && h.desc == w.desc
                && name_matches(h.name.as_deref(), w.name.as_deref())
        }
        _ => false,
    }
}

/// Names count: an unnamed constraint matches only an unnamed one, so
/// naming or unnaming a constraint is a difference, both ways (model.md).
fn name_matches(have: Option<&str>, want: Option<&str>) -> bool {
    match (have, want) {
        (None, None) => true,
        (Some(h), Some(w)) => same_name(h, w),
        _ => false,
    }
}

fn same_keys(a: &[KeyColumn], b: &[KeyColumn]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| same_name(&x.name, &y.name) && x.collate == y.collate && x.desc == y.desc)
}

fn same_check(names: &Names, h: &CheckConstraint, w: &CheckConstraint) -> bool {
    same_sql(&h.expr, &w.expr, names) && name_matches(h.name.as_deref(), w.name.as_deref())
}

fn indexes(have: &Table, want: &Table, found: &mut Found) {
    let t = &want.name;
    let kept = |index: &Index, other: &[Index]| {
        other.iter().any(|o| same_name(&o.name, &index.name) && same_index(index, o, found.names))
    };
    let gone: Vec<Index> = have.indexes.iter().filter(|h| !kept(h, &want.indexes)).cloned().collect();
    let new: Vec<Index> = want.indexes.iter().filter(|w| !kept(w, &have.indexes)).cloned().collect();
    for index in gone {
        found.push(Change::RemoveIndex { table: t.clone(), index });
    }
    for index in new {
        found.push(Change::AddIndex { table: t.clone(), index });
    }
}

/// Two indexes that SQLite would build alike (the names aside).
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

fn constraints(have: &Table, want: &Table, found: &mut Found) {
    let t = &want.name;
    let names = found.names;
    let same_unique = |h: &UniqueConstraint, w: &UniqueConstraint| {
        same_keys(&h.columns, &w.columns)
            && h.on_conflict == w.on_conflict
            && name_matches(h.name.as_deref(), w.name.as_deref())
    };
    // Uniques removed then added, then checks: the order the report lists them in.
    let (gone, new) = match_up(&have.uniques, &want.uniques, same_unique);
    for u in gone {
        found.push(Change::RemoveConstraint { table: t.clone(), constraint: Constraint::Unique(u.clone()) });
    }
    for u in new {
        found.push(Change::AddConstraint { table: t.clone(), constraint: Constraint::Unique(u.clone()) });
    }
    let (gone, new) = match_up(&have.checks, &want.checks, |h, w| same_check(names, h, w));
    for c in gone {
        found.push(Change::RemoveConstraint { table: t.clone(), constraint: Constraint::Check(c.clone()) });
    }
    for c in new {
        found.push(Change::AddConstraint { table: t.clone(), constraint: Constraint::Check(c.clone()) });
    }
    let (gone, new) = match_up(&have.foreign_keys, &want.foreign_keys, same_fk);
    for foreign_key in gone.into_iter().cloned() {
        found.push(Change::RemoveForeignKey { table: t.clone(), foreign_key });
    }
    for foreign_key in new.into_iter().cloned() {
        found.push(Change::AddForeignKey { table: t.clone(), foreign_key });
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
/// exists unpaired (to remove) and what is wanted unpaired (to add).
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

pub(super) fn views(from: &Schema, to: &Schema, found: &mut Found) {
    let same = |a: &View, b: &View| same_names(&a.columns, &b.columns) && same_sql(&a.sql, &b.sql, found.names);
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for (key, h) in &from.views {
        match to.views.get(key) {
            Some(w) if same(h, w) => {}
            Some(_) => {
                removed.push(h.clone());
                added.push(key.clone());
            }
            None => removed.push(h.clone()),
        }
    }
    added.extend(to.views.keys().filter(|k| !from.views.contains_key(*k)).cloned());
    added.sort();
    for v in removed {
        found.push(Change::RemoveView(v));
    }
    for k in added {
        found.push(Change::AddView(to.views[&k].clone()));
    }
}

pub(super) fn triggers(from: &Schema, to: &Schema, found: &mut Found) {
    let mut removed: BTreeMap<&String, &Trigger> = BTreeMap::new();
    let mut added: BTreeMap<&String, &Trigger> = BTreeMap::new();
    for (key, h) in &from.triggers {
        match to.triggers.get(key) {
            Some(w) if same_sql(&h.sql, &w.sql, found.names) && same_name(&h.table, &w.table) => {}
            Some(w) => {
                removed.insert(key, h);
                added.insert(key, w);
            }
            None => {
                removed.insert(key, h);
            }
        }
    }
    for (key, w) in &to.triggers {
        if !from.triggers.contains_key(key) {
            added.insert(key, w);
        }
    }
    for t in removed.into_values() {
        found.push(Change::RemoveTrigger(t.clone()));
    }
    for t in added.into_values() {
        found.push(Change::AddTrigger(t.clone()));
    }
}
