//! The one schema value that both sources (the YAML model and a live database)
//! become. Everything downstream (diff, plan, render) works on this alone:
//! its normal form ([`normalize`]), type aliases ([`types`]), dependency
//! order ([`order`]) and its objects written as DDL ([`ddl`]).
//!
//! Values here are *normalized*: two schemas that SQLite would treat the same
//! compare equal field by field, except for the few comparisons that need
//! context (names that only count when the wanted side gives them), which
//! live in `diff`.

use std::collections::{BTreeMap, BTreeSet};

pub mod ddl;
pub mod normalize;
pub mod order;
pub mod types;

pub use crate::sql::ddl::{Conflict, FkAction};

/// A whole database schema: the managed tables, views and triggers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    /// Keyed by the folded (ASCII-lowercase) name: SQLite names are
    /// case-insensitive, so `Users` and `users` are one table.
    pub tables: BTreeMap<String, Table>,
    pub views: BTreeMap<String, View>,
    pub triggers: BTreeMap<String, Trigger>,
    /// Objects that exist but are never touched (virtual tables and their
    /// shadow tables). Reported, never diffed.
    pub unmanaged: Vec<String>,
    /// What the database holds beyond the managed schema and the planner
    /// must still respect. Never diffed; a model has none of it.
    pub outside: Outside,
}

/// The database around the managed schema: tables that `exclude` keeps
/// out, which no diff touches but whose rows a rebuild of a table they
/// reference must keep where foreign keys stay enforced (sqlite.md, "D1"),
/// their triggers, and every name taken in `sqlite_schema` (a rebuild's
/// temporary table needs one that is free).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outside {
    /// Excluded tables, by folded name.
    pub tables: BTreeMap<String, Table>,
    /// Triggers on excluded tables, by folded name.
    pub triggers: BTreeMap<String, Trigger>,
    /// The names in `sqlite_schema` of what the schema does not manage
    /// (excluded tables, their indexes and triggers, SQLite's and autogen's
    /// own tables, virtual tables), folded. [`Schema::taken_names`] adds the
    /// managed ones.
    pub names: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub name: String,
    /// In declaration order (the order a rebuild writes them).
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<UniqueConstraint>,
    pub checks: Vec<CheckConstraint>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub strict: bool,
    pub without_rowid: bool,
    /// A hint from the model: the table's earlier name.
    pub renamed_from: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Column {
    pub name: String,
    /// Declared type, normalized (upper case, single spaces, no spaces
    /// around parentheses and commas). Empty when the column has none.
    pub ty: String,
    pub nullable: bool,
    /// `ON CONFLICT` of the column's NOT NULL clause.
    pub not_null_conflict: Option<Conflict>,
    /// The DEFAULT expression, as written (compared normalized).
    pub default: Option<String>,
    /// Collation name, upper case (collation names are case-insensitive).
    pub collate: Option<String>,
    pub generated: Option<Generated>,
    /// CHECK constraints written on the column (`a INT CHECK (a > 0)`):
    /// kept there, where the database has them; table-level ones are
    /// [`Table::checks`].
    pub checks: Vec<CheckConstraint>,
    pub renamed_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub expr: String,
    pub stored: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrimaryKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub on_conflict: Option<Conflict>,
    pub autoincrement: bool,
    /// `PRIMARY KEY DESC` on the key's one column. SQLite does not take
    /// such a column as a rowid alias, whatever its type
    /// (sqlite.org/lang_createtable.html#rowid).
    pub desc: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UniqueConstraint {
    pub name: Option<String>,
    pub columns: Vec<KeyColumn>,
    pub on_conflict: Option<Conflict>,
}

/// A column of a UNIQUE key: SQLite keeps its collation and order, and the
/// key means something else without them (`UNIQUE (email COLLATE NOCASE)`).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyColumn {
    pub name: String,
    /// An explicit `COLLATE`, upper case; without one the column's own applies.
    pub collate: Option<String>,
    pub desc: bool,
}

impl KeyColumn {
    pub fn plain(name: impl Into<String>) -> KeyColumn {
        KeyColumn { name: name.into(), collate: None, desc: false }
    }
}

impl UniqueConstraint {
    /// The key's column names.
    pub fn column_names(&self) -> impl Iterator<Item = &String> {
        self.columns.iter().map(|c| &c.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckConstraint {
    pub name: Option<String>,
    pub expr: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub ref_table: String,
    /// Empty means "the parent's primary key" (`REFERENCES t` without a
    /// column list); normalization fills it in where the parent is known.
    pub ref_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    /// `DEFERRABLE INITIALLY DEFERRED`.
    pub deferrable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub columns: Vec<IndexColumn>,
    pub where_clause: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexColumn {
    pub key: IndexKey,
    pub collate: Option<String>,
    pub desc: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IndexKey {
    Column(String),
    Expression(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub name: String,
    /// Optional column list: `CREATE VIEW v(a, b) AS ...`.
    pub columns: Vec<String>,
    /// The SELECT text after `AS`, verbatim.
    pub sql: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub name: String,
    /// The table (or view) the trigger is on.
    pub table: String,
    /// The whole `CREATE TRIGGER` statement, verbatim.
    pub sql: String,
}

/// The names SQLite reads as the rowid, unless a column takes one
/// (sqlite.org/lang_createtable.html#rowid).
pub const ROWID_NAMES: [&str; 3] = ["rowid", "_rowid_", "oid"];

/// Whether `name` is one of SQLite's names for the rowid.
pub fn is_rowid_name(name: &str) -> bool {
    ROWID_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// The first name of the rowid that no column of `tables` takes: the name
/// to read or copy a rowid by in all of them.
pub fn free_rowid_name(tables: &[&Table]) -> Option<&'static str> {
    ROWID_NAMES.into_iter().find(|alias| tables.iter().all(|t| t.column(alias).is_none()))
}

/// The folded form of a SQLite name, for lookups: SQLite compares
/// identifiers case-insensitively for ASCII letters only.
pub fn fold(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// SQLite names compare equal when they fold alike.
pub fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(&fold(name))
    }

    /// Every name an object takes, folded: those this schema manages, and
    /// those the database holds outside it.
    pub fn taken_names(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self.outside.names.clone();
        names.extend(self.tables.keys().chain(self.views.keys()).chain(self.triggers.keys()).cloned());
        names.extend(self.tables.values().flat_map(|t| t.indexes.iter().map(|i| fold(&i.name))));
        names
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| same_name(&c.name, name))
    }

    /// The column that aliases the rowid, if any: a rowid table whose primary
    /// key is one column declared exactly `INTEGER`, and not `PRIMARY KEY
    /// DESC` on the column (sqlite.org/lang_createtable.html#rowid).
    /// This definition with its rowid column declared as `current` declares
    /// its own (`NOT NULL` or not, and its conflict clause), when both have
    /// an INTEGER PRIMARY KEY and the two differ (`None` otherwise): the
    /// rowid never holds NULL either way, so an upgrade's rebuild keeps
    /// what the table says rather than the model's default.
    pub fn rowid_declared_as(&self, current: &Table) -> Option<Table> {
        let (now, new) = (current.integer_primary_key()?, self.integer_primary_key()?);
        // The key moving to another column is a change of its own: the new
        // column is declared as the model says.
        if !same_name(&now.name, &new.name)
            || (now.nullable, now.not_null_conflict) == (new.nullable, new.not_null_conflict)
        {
            return None;
        }
        let mut out = self.clone();
        let column = out.columns.iter_mut().find(|c| same_name(&c.name, &new.name))?;
        column.nullable = now.nullable;
        column.not_null_conflict = now.not_null_conflict;
        Some(out)
    }

    pub fn integer_primary_key(&self) -> Option<&Column> {
        if self.without_rowid {
            return None;
        }
        let pk = self.primary_key.as_ref().filter(|pk| !pk.desc)?;
        let [only] = pk.columns.as_slice() else {
            return None;
        };
        self.column(only).filter(|c| c.ty == "INTEGER")
    }

    pub fn is_autoincrement(&self) -> bool {
        self.primary_key.as_ref().is_some_and(|pk| pk.autoincrement)
    }

    pub fn in_primary_key(&self, column: &str) -> bool {
        self.primary_key.as_ref().is_some_and(|pk| pk.columns.iter().any(|c| same_name(c, column)))
    }
}
