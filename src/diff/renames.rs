//! Renames: the model's `renamed_from` hints resolved against the database,
//! and the database as SQLite's native RENAME leaves it (model.md, "Renames").

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
        let table_back = |new: &str| {
            self.tables
                .iter()
                .find(|(_, n)| same_name(n, new))
                .map(|(o, _)| o.clone())
                .unwrap_or_else(|| new.to_string())
        };
        Renames {
            tables: self.tables.iter().map(|(o, n)| (n.clone(), o.clone())).collect(),
            columns: self.columns.iter().map(|(t, o, n)| (table_back(t), n.clone(), o.clone())).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }
}

/// Hints are inert once the database has the new name, and ignored when the
/// old name is not there either (model.md, "Renames"). Two more cases move
/// data: a hint that differs from the database's name only in case, and
/// hints that name each other (a swap, or a longer cycle), which apply
/// while the database still has each definition under the other name.
pub fn resolve_renames(from: &Schema, to: &Schema) -> Renames {
    let mut renames = Renames::default();
    let table_like = |a: &Table, b: &Table| {
        let names = |t: &Table| t.columns.iter().map(|c| fold(&c.name)).collect::<std::collections::BTreeSet<_>>();
        names(a) == names(b)
    };
    let hints = to.tables.values().filter_map(|t| Some((t.renamed_from.as_deref()?, t.name.as_str())));
    renames.tables = resolve(
        hints,
        |n| from.table(n).map(|t| t.name.as_str()),
        |n| to.table(n).is_some(),
        |old, new| match (from.table(old), to.table(new)) {
            (Some(a), Some(b)) => table_like(a, b),
            _ => false,
        },
    );
    for table in to.tables.values() {
        let stored = renames.tables.iter().find(|(_, new)| same_name(new, &table.name)).map(|(old, _)| old.as_str());
        let Some(source) = from.table(stored.unwrap_or(&table.name)) else { continue };
        let column_like = |old: &str, new: &str| match (source.column(old), table.column(new)) {
            (Some(a), Some(b)) => a.ty == b.ty && a.nullable == b.nullable,
            _ => false,
        };
        let hints = table.columns.iter().filter_map(|c| Some((c.renamed_from.as_deref()?, c.name.as_str())));
        let moved =
            resolve(hints, |n| source.column(n).map(|c| c.name.as_str()), |n| table.column(n).is_some(), column_like);
        renames.columns.extend(moved.into_iter().map(|(old, new)| (table.name.clone(), old, new)));
    }
    renames
}

/// The renames that `hints` (old name, new name) call for, given what
/// exists before (`stored`: the stored spelling of a name, if there) and
/// after (`wanted`), and whether the definition under an old name is the
/// one wanted under the new name (`alike`).
fn resolve<'a>(
    hints: impl Iterator<Item = (&'a str, &'a str)>,
    stored: impl Fn(&str) -> Option<&'a str>,
    wanted: impl Fn(&str) -> bool,
    alike: impl Fn(&str, &str) -> bool,
) -> Vec<(String, String)> {
    let hints: Vec<(&str, &str)> = hints.collect();
    let mut out = Vec::new();
    let mut cycle = Vec::new();
    for &(old, new) in &hints {
        let Some(old_stored) = stored(old) else { continue };
        match stored(new) {
            // The plain rename: the new name is not there yet, the old one
            // is and the model does not keep it.
            None if !wanted(old) => out.push((old_stored.to_string(), new.to_string())),
            // Only the case differs (`Users` to `users`).
            Some(found) if same_name(found, new) && same_name(old, new) && found != new => {
                out.push((found.to_string(), new.to_string()))
            }
            // Both names are there and the model keeps both: part of a swap.
            Some(_) if wanted(old) && !same_name(old, new) => cycle.push((old_stored, new)),
            _ => {}
        }
    }
    // A swap applies when every name it moves closes the cycle (each old
    // name is itself renamed), unless the database already holds each
    // wanted definition under its new name and not under the old one: then
    // the swap is done and the hints are inert. Definitions alike both ways
    // cannot tell, and the hints are obeyed (README, "Renames").
    let closed = cycle.iter().all(|(old, _)| cycle.iter().any(|(_, new)| same_name(new, old)));
    let done = cycle.iter().all(|(_, new)| alike(new, new)) && !cycle.iter().all(|(old, new)| alike(old, new));
    if closed && !done {
        out.extend(cycle.iter().map(|(old, new)| (old.to_string(), new.to_string())));
    }
    out
}

/// `from` as SQLite leaves it after the native renames: RENAME TO and RENAME
/// COLUMN (3.26+, legacy_alter_table off) rewrite every reference in other
/// tables' foreign keys, in indexes, triggers and views.
pub fn apply_renames(from: &Schema, renames: &Renames) -> Schema {
    if renames.is_empty() {
        return from.clone();
    }
    let table_map: Vec<(String, String)> = renames.tables.clone();
    let new_table_name = |name: &str| -> String {
        table_map.iter().find(|(o, _)| same_name(o, name)).map(|(_, n)| n.clone()).unwrap_or_else(|| name.to_string())
    };
    let columns_of = |table: &str| -> Vec<(String, String)> {
        renames.columns.iter().filter(|(t, _, _)| same_name(t, table)).map(|(_, o, n)| (o.clone(), n.clone())).collect()
    };
    let mut out = Schema { unmanaged: from.unmanaged.clone(), outside: from.outside.clone(), ..Schema::default() };
    // RENAME TO rewrites the references of every table, excluded ones too.
    for table in out.outside.tables.values_mut() {
        for fk in &mut table.foreign_keys {
            fk.ref_table = new_table_name(&fk.ref_table);
        }
    }
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
    for u in &mut t.uniques {
        u.columns.iter_mut().for_each(|c| c.name = rename_one(&c.name, cols));
    }
    t.foreign_keys.iter_mut().for_each(|f| rn(&mut f.columns));
    for check in t.checks.iter_mut().chain(t.columns.iter_mut().flat_map(|c| c.checks.iter_mut())) {
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
