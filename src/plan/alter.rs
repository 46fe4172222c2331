//! What SQLite's ALTER TABLE can do natively (sqlite.md, "What ALTER TABLE
//! can do"): why it refuses to add or drop a column, decided from the
//! schemas alone, never from whether the table happens to be empty.

use std::fmt;

use super::Capabilities;
use crate::diff::Names;
use crate::schema::ddl as render;
use crate::schema::*;
use crate::sql::lexer;

/// Why `ADD COLUMN` or `DROP COLUMN` cannot make a change.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    NotSupported,
    PrimaryKey,
    Unique,
    Stored,
    NonConstantDefault(String),
    NotNullWithoutDefault,
    ReferencesWithDefault,
    InUnique,
    /// SQLite 3.54 refuses to add or drop (the verb) a column named `rowid`, `_rowid_` or `oid`.
    RowidName {
        name: String,
        verb: &'static str,
    },
    NamedByCheck,
    IndexUses(String),
    DoubleQuotedIndex(String),
    InForeignKey,
    GeneratedUses,
    TriggerMayUse(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotSupported => write!(f, "the database's SQLite does not have this form of ALTER TABLE"),
            Refusal::PrimaryKey => write!(f, "it is part of the PRIMARY KEY"),
            Refusal::Unique => write!(f, "it is UNIQUE"),
            Refusal::Stored => write!(f, "it is a STORED generated column"),
            Refusal::NonConstantDefault(d) => write!(f, "its default `{d}` is not a constant"),
            Refusal::NotNullWithoutDefault => write!(f, "it is NOT NULL without a non-NULL default"),
            Refusal::ReferencesWithDefault => write!(f, "it has a REFERENCES clause and a non-NULL default"),
            Refusal::InUnique => write!(f, "it is in a UNIQUE constraint"),
            Refusal::RowidName { name, verb } => write!(f, "SQLite 3.54 refuses to {verb} a column named `{name}`"),
            Refusal::NamedByCheck => write!(f, "a CHECK constraint names it"),
            Refusal::IndexUses(index) => write!(f, "index `{index}` uses it"),
            Refusal::DoubleQuotedIndex(index) => {
                write!(f, "index `{index}` uses a double-quoted string, which DROP COLUMN cannot re-read")
            }
            Refusal::InForeignKey => write!(f, "it is in a foreign key"),
            Refusal::GeneratedUses => write!(f, "a generated column uses it"),
            Refusal::TriggerMayUse(trigger) => write!(f, "trigger `{trigger}` may use it"),
        }
    }
}

/// Why SQLite's ADD COLUMN cannot add `c` to `table`, if it cannot
/// (sqlite.org/lang_altertable.html#altertabaddcol, and sqlite.md).
pub(super) fn add_column_refusal(table: &Table, c: &Column) -> Option<Refusal> {
    if table.in_primary_key(&c.name) {
        return Some(Refusal::PrimaryKey);
    }
    if table.uniques.iter().any(|u| u.column_names().any(|n| same_name(n, &c.name))) {
        return Some(Refusal::Unique);
    }
    if c.generated.as_ref().is_some_and(|g| g.stored) {
        return Some(Refusal::Stored);
    }
    if let Some(d) = &c.default {
        if !is_constant_literal(d) {
            return Some(Refusal::NonConstantDefault(d.clone()));
        }
    }
    let null_default = c.default.as_deref().is_none_or(is_null_literal);
    // A VIRTUAL generated column stores nothing, so NOT NULL is checked on
    // reading, and ADD COLUMN takes it (sqlite.md).
    if !c.nullable && null_default && c.generated.is_none() {
        return Some(Refusal::NotNullWithoutDefault);
    }
    let referenced = table.foreign_keys.iter().any(|f| f.columns.iter().any(|n| same_name(n, &c.name)));
    if referenced && !null_default {
        return Some(Refusal::ReferencesWithDefault);
    }
    if !table.without_rowid && is_rowid_name(&c.name) {
        return Some(Refusal::RowidName { name: c.name.clone(), verb: "add" });
    }
    if table.checks.iter().any(|k| lexer::mentions(&k.expr, &c.name)) {
        return Some(Refusal::NamedByCheck);
    }
    None
}

/// Why SQLite's DROP COLUMN cannot drop `column` from `have`, if it cannot
/// (sqlite.org/lang_altertable.html#altertabdropcol, and sqlite.md).
pub(super) fn drop_column_refusal(
    caps: &Capabilities,
    from: &Schema,
    to: &Schema,
    have: &Table,
    want: &Table,
    column: &str,
) -> Option<Refusal> {
    if !caps.drop_column {
        return Some(Refusal::NotSupported);
    }
    let names = &Names::of(&[from, to]);
    if have.in_primary_key(column) {
        return Some(Refusal::PrimaryKey);
    }
    if have.uniques.iter().any(|u| u.column_names().any(|n| same_name(n, column))) {
        return Some(Refusal::InUnique);
    }
    let kept_indexes = have
        .indexes
        .iter()
        .filter(|i| want.indexes.iter().any(|w| same_name(&w.name, &i.name) && crate::diff::same_index(i, w, names)));
    for index in kept_indexes {
        if index_mentions(index, column) {
            return Some(Refusal::IndexUses(index.name.clone()));
        }
    }
    // DROP COLUMN re-reads the whole schema without the DQS fallback, and
    // fails on any index that uses a double-quoted string.
    for t in from.tables.values() {
        for index in &t.indexes {
            if index.columns.iter().any(|c| matches!(&c.key, IndexKey::Expression(e) if render::table_expr(t, e) != *e))
            {
                return Some(Refusal::DoubleQuotedIndex(index.name.clone()));
            }
        }
    }
    let other_columns_checks = have.columns.iter().filter(|c| !same_name(&c.name, column)).flat_map(|c| &c.checks);
    if have.checks.iter().chain(other_columns_checks).any(|k| lexer::mentions(&k.expr, column)) {
        return Some(Refusal::NamedByCheck);
    }
    if have.foreign_keys.iter().any(|f| f.columns.iter().any(|n| same_name(n, column))) {
        return Some(Refusal::InForeignKey);
    }
    if have.columns.iter().any(|c| c.generated.as_ref().is_some_and(|g| lexer::mentions(&g.expr, column))) {
        return Some(Refusal::GeneratedUses);
    }
    if !have.without_rowid && is_rowid_name(column) {
        return Some(Refusal::RowidName { name: column.to_string(), verb: "drop" });
    }
    let kept_trigger = from.triggers.values().find(|t| {
        to.triggers.get(&fold(&t.name)) == Some(*t)
            && (same_name(&t.table, &have.name) || lexer::mentions(&t.sql, &have.name))
            && lexer::mentions(&t.sql, column)
    });
    if let Some(t) = kept_trigger {
        return Some(Refusal::TriggerMayUse(t.name.clone()));
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
