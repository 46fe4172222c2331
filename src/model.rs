//! The YAML model file (`../shared/spec/model.md`) into a [`Schema`].
//!
//! Loading has two passes. Serde reads the file into `raw` structs that keep
//! the line and column of every value that can be wrong. Then `build` turns
//! them into the normalized schema, checking what the YAML grammar cannot
//! (duplicates, unknown columns, foreign-key targets), and each error points
//! at the value at fault.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::yaml::{self, Node, Value};

use crate::error::sqlite_message;
use crate::schema::*;
use crate::sql;
use crate::types::resolve_type;

/// A mistake in a model file, with where it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct ModelError {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Where each named thing of a model came from, for errors found after
/// loading (for example when SQLite itself rejects an expression).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub file: PathBuf,
    /// Keyed by folded table name, index name, view name, trigger name.
    pub tables: HashMap<String, (u32, u32)>,
    pub indexes: HashMap<String, (u32, u32)>,
    pub views: HashMap<String, (u32, u32)>,
    pub triggers: HashMap<String, (u32, u32)>,
    /// (folded table, folded column) to the column's entry.
    pub columns: HashMap<(String, String), (u32, u32)>,
}

impl SourceMap {
    pub fn error(&self, at: Option<(u32, u32)>, message: impl Into<String>) -> ModelError {
        let (line, column) = at.unwrap_or((1, 1));
        ModelError { file: self.file.clone(), line, column, message: message.into() }
    }
}

/// Reads and checks a model file.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("model.yaml");
/// std::fs::write(&path, "tables:\n  - name: notes\n    columns:\n      - {name: id, type: Integer, primary_key: true}\n")?;
/// let (schema, _) = autogen::model::load(&path)?;
/// assert_eq!(schema.tables["notes"].columns[0].ty, "INTEGER");
///
/// // Errors name the file, line and column.
/// std::fs::write(&path, "tables:\n  - name: notes\n    colums: []\n")?;
/// let error = autogen::model::load(&path).unwrap_err().to_string();
/// assert!(error.contains("model.yaml:3:5"), "{error}");
/// # Ok(()) }
/// ```
pub fn load(path: &Path) -> Result<(Schema, SourceMap), ModelError> {
    let text = std::fs::read_to_string(path).map_err(|e| ModelError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the model file: {e}"),
    })?;
    parse(&text, path)
}

/// Parses model text; `path` is only used in messages.
///
/// ```
/// use std::path::Path;
/// let yaml = "
/// tables:
///   - name: users
///     columns:
///       - {name: id, type: Integer, primary_key: true}
///       - {name: email, type: String(255), nullable: false, unique: true}
/// ";
/// let (schema, _) = autogen::model::parse(yaml, Path::new("model.yaml")).unwrap();
/// let email = &schema.tables["users"].columns[1];
/// assert_eq!((email.ty.as_str(), email.nullable), ("VARCHAR(255)", false));
/// ```
pub fn parse(text: &str, path: &Path) -> Result<(Schema, SourceMap), ModelError> {
    let located = |(line, column): (u32, u32), message: String| ModelError { file: path.to_path_buf(), line, column, message };
    let root = yaml::parse(text).map_err(|e| located((e.line, e.column), e.message))?;
    let raw = match root {
        None => raw::ModelFile::default(),
        Some(node) => raw::ModelFile::read(&node).map_err(|(at, message)| located(at, message))?,
    };
    Builder::new(path).build(raw)
}

/// A value of the model file and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub line: u32,
    pub column: u32,
}

impl<T> Spanned<T> {
    fn new(value: T, (line, column): (u32, u32)) -> Self {
        Spanned { value, line, column }
    }
}

fn pos<T>(s: &Spanned<T>) -> (u32, u32) {
    (s.line, s.column)
}

struct Builder {
    map: SourceMap,
}

impl Builder {
    fn new(path: &Path) -> Self {
        Builder { map: SourceMap { file: path.to_path_buf(), ..SourceMap::default() } }
    }

    fn err(&self, at: (u32, u32), message: impl Into<String>) -> ModelError {
        self.map.error(Some(at), message)
    }

    fn build(mut self, raw: raw::ModelFile) -> Result<(Schema, SourceMap), ModelError> {
        if let Some(v) = &raw.version {
            if v.value != 1 {
                return Err(self.err(pos(v), format!("unsupported model `version: {}`: 1 is the only version", v.value)));
            }
        }
        let mut schema = Schema::default();
        let mut raw_tables = Vec::new();
        for t in raw.tables {
            let table = self.table(&t)?;
            let key = fold(&table.name);
            if schema.tables.contains_key(&key) {
                return Err(self.err(pos(&t.value.name), format!("two tables named `{}`", table.name)));
            }
            self.map.tables.insert(key.clone(), pos(&t.value.name));
            schema.tables.insert(key, table);
            raw_tables.push(t);
        }
        for t in &raw_tables {
            self.check_foreign_keys(&schema, t)?;
        }
        for v in raw.views {
            let view = self.view(&v)?;
            let key = fold(&view.name);
            if schema.views.contains_key(&key) || schema.tables.contains_key(&key) {
                return Err(self.err(pos(&v.value.name), format!("the name `{}` is already used by a table or view", view.name)));
            }
            self.map.views.insert(key.clone(), pos(&v.value.name));
            schema.views.insert(key, view);
        }
        for t in raw.triggers {
            let trigger = self.trigger(&t, &schema)?;
            let key = fold(&trigger.name);
            if schema.triggers.contains_key(&key) {
                return Err(self.err(pos(&t.value.name), format!("two triggers named `{}`", trigger.name)));
            }
            self.map.triggers.insert(key.clone(), pos(&t.value.name));
            schema.triggers.insert(key, trigger);
        }
        self.check_index_names(&schema)?;
        crate::normalize::normalize(&mut schema);
        Ok((schema, self.map))
    }

    /// Names may be any string, even empty (SQLite takes `""` as a name);
    /// a missing name is an error at its entry.
    fn name(&self, s: &Spanned<String>, _what: &str) -> Result<String, ModelError> {
        Ok(s.value.clone())
    }

    fn table(&mut self, t: &Spanned<raw::Table>) -> Result<Table, ModelError> {
        let r = &t.value;
        let name = self.name(&r.name, "table")?;
        if name.to_ascii_lowercase().starts_with("sqlite_") {
            return Err(self.err(pos(&r.name), format!("table name `{name}` is reserved: names beginning with `sqlite_` belong to SQLite")));
        }
        if r.columns.is_empty() {
            return Err(self.err(pos(&r.name), format!("table `{name}` has no columns")));
        }
        let mut table = Table {
            name: name.clone(),
            strict: r.strict,
            without_rowid: r.without_rowid,
            renamed_from: r.renamed_from.as_ref().map(|s| s.value.clone()),
            ..Table::default()
        };
        let mut pk_columns = Vec::new();
        let mut pk_conflict = None;
        let mut autoincrement = None;
        for c in &r.columns {
            let col = self.column(&name, c)?;
            if table.column(&col.name).is_some() {
                return Err(self.err(pos(&c.value.name), format!("table `{name}` has two columns named `{}`", col.name)));
            }
            self.map.columns.insert((fold(&name), fold(&col.name)), pos(&c.value.name));
            let rc = &c.value;
            let conflict = self.conflict(rc.on_conflict.as_ref())?;
            if rc.primary_key {
                pk_columns.push(col.name.clone());
                pk_conflict = pk_conflict.or(conflict);
            }
            if rc.autoincrement {
                autoincrement = Some(c);
            }
            if rc.unique {
                table.uniques.push(UniqueConstraint { name: None, columns: vec![col.name.clone()], on_conflict: conflict });
            }
            if rc.index {
                table.indexes.push(Index {
                    name: format!("ix_{name}_{}", col.name),
                    unique: false,
                    columns: vec![IndexColumn { key: IndexKey::Column(col.name.clone()), collate: None, desc: false }],
                    where_clause: None,
                });
            }
            if let Some(refs) = &rc.references {
                let fk = self.column_reference(&col.name, rc, refs)?;
                table.foreign_keys.push(fk);
            }
            table.columns.push(col);
        }
        table.primary_key = self.primary_key(&table, r, pk_columns, pk_conflict)?;
        if let Some(c) = autoincrement {
            let ok = table.integer_primary_key().is_some_and(|ipk| same_name(&ipk.name, &c.value.name.value));
            if !ok {
                return Err(self.err(
                    pos(&c.value.name),
                    format!("`{}.{}`: AUTOINCREMENT is only allowed on a single INTEGER PRIMARY KEY column of a rowid table", name, c.value.name.value),
                ));
            }
            if let Some(pk) = &mut table.primary_key {
                pk.autoincrement = true;
            }
        }
        if table.without_rowid && table.primary_key.is_none() {
            return Err(self.err(pos(&r.name), format!("table `{name}` is WITHOUT ROWID and so needs a primary key")));
        }
        for u in &r.unique_constraints {
            let columns = self.column_list(&table, &u.value.columns, pos(u))?;
            let on_conflict = self.conflict(u.value.on_conflict.as_ref())?;
            table.uniques.push(UniqueConstraint { name: u.value.name.clone(), columns, on_conflict });
        }
        for c in &r.check_constraints {
            self.expression(&c.value.sql, "check constraint")?;
            table.checks.push(CheckConstraint { name: c.value.name.clone(), expr: c.value.sql.value.trim().to_string() });
        }
        for f in &r.foreign_keys {
            let columns = self.column_list(&table, &f.value.columns, pos(f))?;
            let target = &f.value.references.value;
            table.foreign_keys.push(ForeignKey {
                name: f.value.name.clone(),
                columns,
                ref_table: target.table.clone(),
                ref_columns: target.columns.clone(),
                on_delete: self.action(f.value.on_delete.as_ref())?,
                on_update: self.action(f.value.on_update.as_ref())?,
                deferrable: f.value.deferrable,
            });
        }
        for i in &r.indexes {
            let index = self.index(&table, i)?;
            self.map.indexes.insert(fold(&index.name), pos(i));
            table.indexes.push(index);
        }
        if table.strict {
            self.check_strict_types(&table, r)?;
        }
        Ok(table)
    }

    fn column(&self, table: &str, c: &Spanned<raw::Column>) -> Result<Column, ModelError> {
        let r = &c.value;
        let name = self.name(&r.name, "column")?;
        let default = match &r.server_default {
            Some(d) => {
                self.expression(&Spanned::new(d.value.0.clone(), pos(d)), "server_default")?;
                Some(d.value.0.trim().to_string())
            }
            None => None,
        };
        let generated = match &r.generated {
            Some(g) => {
                self.expression(g, "generated expression")?;
                Some(Generated { expr: g.value.trim().to_string(), stored: r.stored.unwrap_or(false) })
            }
            None => {
                if r.stored.is_some() {
                    return Err(self.err(pos(&r.name), format!("`{table}.{name}`: `stored` needs `generated`")));
                }
                None
            }
        };
        if generated.is_some() && (default.is_some() || r.primary_key) {
            return Err(self.err(pos(&r.name), format!("`{table}.{name}`: a generated column cannot have a server_default or be part of the primary key")));
        }
        let conflict = self.conflict(r.on_conflict.as_ref())?;
        let nullable = r.nullable.unwrap_or(!r.primary_key);
        Ok(Column {
            name,
            ty: resolve_type(&r.ty.value),
            nullable,
            not_null_conflict: if nullable { None } else { conflict },
            default,
            collate: r.collate.as_ref().map(|s| s.to_ascii_uppercase()),
            generated,
            renamed_from: r.renamed_from.clone(),
        })
    }

    fn column_reference(&self, column: &str, r: &raw::Column, refs: &Spanned<String>) -> Result<ForeignKey, ModelError> {
        let Some((table, target)) = refs.value.rsplit_once('.') else {
            return Err(self.err(pos(refs), format!("`references: {}` should be `table.column`", refs.value)));
        };
        if table.is_empty() || target.is_empty() {
            return Err(self.err(pos(refs), format!("`references: {}` should be `table.column`", refs.value)));
        }
        Ok(ForeignKey {
            name: None,
            columns: vec![column.to_string()],
            ref_table: table.to_string(),
            ref_columns: vec![target.to_string()],
            on_delete: self.action(r.on_delete.as_ref())?,
            on_update: self.action(r.on_update.as_ref())?,
            deferrable: r.deferrable,
        })
    }

    fn primary_key(&self, table: &Table, r: &raw::Table, from_columns: Vec<String>, conflict: Option<Conflict>) -> Result<Option<PrimaryKey>, ModelError> {
        let Some(decl) = &r.primary_key else {
            return Ok((!from_columns.is_empty()).then_some(PrimaryKey { name: None, columns: from_columns, on_conflict: conflict, autoincrement: false }));
        };
        let (names, name, on_conflict) = match &decl.value {
            raw::PrimaryKeyDecl::Columns(c) => (c.clone(), None, None),
            raw::PrimaryKeyDecl::Full(f) => (f.columns.clone(), f.name.clone(), f.on_conflict.clone()),
        };
        let columns = self.column_list(table, &names, pos(decl))?;
        if columns.is_empty() {
            return Err(self.err(pos(decl), format!("table `{}`: `primary_key` lists no columns", table.name)));
        }
        let flagged: HashSet<String> = from_columns.iter().map(|c| fold(c)).collect();
        let listed: HashSet<String> = columns.iter().map(|c| fold(c)).collect();
        if !from_columns.is_empty() && flagged != listed {
            return Err(self.err(
                pos(decl),
                format!("table `{}`: `primary_key: [{}]` disagrees with the columns marked `primary_key: true`", table.name, columns.join(", ")),
            ));
        }
        let on_conflict = match on_conflict {
            Some(s) => Some(self.conflict(Some(&s))?.expect("given")),
            None => conflict,
        };
        Ok(Some(PrimaryKey { name, columns, on_conflict, autoincrement: false }))
    }

    fn column_list(&self, table: &Table, names: &[String], at: (u32, u32)) -> Result<Vec<String>, ModelError> {
        names
            .iter()
            .map(|n| match table.column(n) {
                Some(c) => Ok(c.name.clone()),
                None => Err(self.err(at, format!("table `{}` has no column `{n}`", table.name))),
            })
            .collect()
    }

    fn index(&self, table: &Table, i: &Spanned<raw::Index>) -> Result<Index, ModelError> {
        let r = &i.value;
        if r.columns.is_empty() {
            return Err(self.err(pos(i), format!("an index on `{}` lists no columns", table.name)));
        }
        let mut columns = Vec::new();
        for c in &r.columns {
            let (key, order, collate) = match &c.value {
                raw::IndexColumn::Name(n) => (raw::Key::Column(n.clone()), None, None),
                raw::IndexColumn::Full(f) => match (&f.column, &f.expression) {
                    (Some(n), None) => (raw::Key::Column(n.clone()), f.order.clone(), f.collate.clone()),
                    (None, Some(e)) => (raw::Key::Expression(e.clone()), f.order.clone(), f.collate.clone()),
                    _ => return Err(self.err(pos(c), "an index key needs exactly one of `column` or `expression`")),
                },
            };
            let key = match key {
                raw::Key::Column(n) => match table.column(&n) {
                    Some(col) => IndexKey::Column(col.name.clone()),
                    None => return Err(self.err(pos(c), format!("table `{}` has no column `{n}`", table.name))),
                },
                raw::Key::Expression(e) => {
                    self.expression(&Spanned::new(e.clone(), pos(c)), "index expression")?;
                    IndexKey::Expression(e.trim().to_string())
                }
            };
            let desc = match order.as_deref().map(str::to_ascii_lowercase).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(o) => return Err(self.err(pos(c), format!("index order `{o}` should be `asc` or `desc`"))),
            };
            columns.push(IndexColumn { key, collate: collate.map(|s| s.to_ascii_uppercase()), desc });
        }
        let name = match &r.name {
            Some(n) => self.name(n, "index")?,
            None => default_index_name(&table.name, &columns).ok_or_else(|| self.err(pos(i), "an index on an expression needs a `name`"))?,
        };
        if let Some(w) = &r.r#where {
            self.expression(w, "index `where`")?;
        }
        Ok(Index { name, unique: r.unique, columns, where_clause: r.r#where.as_ref().map(|w| w.value.trim().to_string()) })
    }

    fn view(&self, v: &Spanned<raw::View>) -> Result<View, ModelError> {
        let name = self.name(&v.value.name, "view")?;
        let sql = v.value.sql.value.trim().trim_end_matches(';').trim().to_string();
        if sql.is_empty() {
            return Err(self.err(pos(&v.value.sql), format!("view `{name}` has an empty `sql`")));
        }
        self.tokens(&v.value.sql, "view `sql`")?;
        Ok(View { name, columns: v.value.columns.clone(), sql })
    }

    fn trigger(&self, t: &Spanned<raw::Trigger>, schema: &Schema) -> Result<Trigger, ModelError> {
        let name = self.name(&t.value.name, "trigger")?;
        let sql = t.value.sql.value.trim().trim_end_matches(';').trim().to_string();
        let parsed = sql::ddl::parse_create(&sql).map_err(|e| self.err(pos(&t.value.sql), format!("trigger `{name}`: {e}")))?;
        let sql::ddl::Statement::CreateTrigger(ct) = parsed else {
            return Err(self.err(pos(&t.value.sql), format!("trigger `{name}`: `sql` should be a CREATE TRIGGER statement")));
        };
        if !same_name(&ct.name, &name) {
            return Err(self.err(pos(&t.value.sql), format!("trigger `{name}`: its `sql` creates a trigger named `{}`", ct.name)));
        }
        if schema.table(&ct.table).is_none() && !schema.views.contains_key(&fold(&ct.table)) {
            return Err(self.err(pos(&t.value.sql), format!("trigger `{name}` is on `{}`, which is not a table or view of the model", ct.table)));
        }
        Ok(Trigger { name, table: ct.table, sql })
    }

    /// A foreign key must name a table and columns of the model that form its
    /// primary key or a unique key: SQLite reports "foreign key mismatch" on
    /// every write to the child otherwise.
    fn check_foreign_keys(&self, schema: &Schema, t: &Spanned<raw::Table>) -> Result<(), ModelError> {
        let table = schema.table(&t.value.name.value).expect("just built");
        let places = fk_places(&t.value);
        for (fk, at) in table.foreign_keys.iter().zip(places) {
            let Some(parent) = schema.table(&fk.ref_table) else {
                return Err(self.err(at, format!("foreign key on `{}` references table `{}`, which the model does not have", table.name, fk.ref_table)));
            };
            for c in &fk.ref_columns {
                if parent.column(c).is_none() {
                    return Err(self.err(at, format!("foreign key on `{}` references `{}.{c}`, which does not exist", table.name, parent.name)));
                }
            }
            let target: Vec<String> =
                if fk.ref_columns.is_empty() { parent.primary_key.as_ref().map(|pk| pk.columns.clone()).unwrap_or_default() } else { fk.ref_columns.clone() };
            if target.len() != fk.columns.len() {
                return Err(self.err(
                    at,
                    format!("foreign key on `{}` has {} column(s) but references {} in `{}`", table.name, fk.columns.len(), target.len(), parent.name),
                ));
            }
            if !is_unique_key(parent, &target) {
                return Err(self.err(
                    at,
                    format!(
                        "foreign key on `{}` references `{}({})`, which is not the primary key or a unique key of `{}`",
                        table.name,
                        parent.name,
                        target.join(", "),
                        parent.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Tables, views and indexes share one namespace in SQLite.
    fn check_index_names(&self, schema: &Schema) -> Result<(), ModelError> {
        let mut seen = HashSet::new();
        for table in schema.tables.values() {
            for index in &table.indexes {
                let key = fold(&index.name);
                let at = self.map.indexes.get(&key).copied().or_else(|| self.map.tables.get(&fold(&table.name)).copied());
                if !seen.insert(key.clone()) || schema.tables.contains_key(&key) || schema.views.contains_key(&key) {
                    return Err(self.map.error(at, format!("the index name `{}` is used twice (tables, views and indexes share one namespace)", index.name)));
                }
                if key.starts_with("sqlite_") {
                    return Err(self.map.error(at, format!("index name `{}` is reserved: names beginning with `sqlite_` belong to SQLite", index.name)));
                }
            }
        }
        Ok(())
    }

    fn check_strict_types(&self, table: &Table, r: &raw::Table) -> Result<(), ModelError> {
        for (col, rc) in table.columns.iter().zip(&r.columns) {
            if !matches!(col.ty.as_str(), "INT" | "INTEGER" | "REAL" | "TEXT" | "BLOB" | "ANY") {
                return Err(self.err(
                    pos(&rc.value.ty),
                    format!("`{}.{}`: a STRICT table allows only the types INT, INTEGER, REAL, TEXT, BLOB and ANY, not `{}`", table.name, col.name, col.ty),
                ));
            }
        }
        Ok(())
    }

    /// SQL text from the model must at least tokenize and balance its
    /// parentheses; SQLite judges the rest when the model is built in memory.
    fn expression(&self, s: &Spanned<String>, what: &str) -> Result<(), ModelError> {
        if s.value.trim().is_empty() {
            return Err(self.err(pos(s), format!("{what} is empty")));
        }
        self.tokens(s, what)?;
        sql::lexer::check_expression(&s.value)
            .map_err(|e| self.err(pos(s), format!("{what} `{}` is not a valid SQL expression: {}", s.value.trim(), e.message)))
    }

    fn tokens(&self, s: &Spanned<String>, what: &str) -> Result<(), ModelError> {
        sql::lexer::tokenize(&s.value).map(|_| ()).map_err(|e| self.err(pos(s), format!("{what} is not valid SQL: {}", e.message)))
    }

    fn conflict(&self, s: Option<&Spanned<String>>) -> Result<Option<Conflict>, ModelError> {
        let Some(s) = s else { return Ok(None) };
        Conflict::parse(&s.value)
            .map(Some)
            .ok_or_else(|| self.err(pos(s), format!("`on_conflict: {}` should be one of ROLLBACK, ABORT, FAIL, IGNORE, REPLACE", s.value)))
    }

    fn action(&self, s: Option<&Spanned<String>>) -> Result<FkAction, ModelError> {
        let Some(s) = s else {
            return Ok(FkAction::NoAction);
        };
        FkAction::parse(&s.value)
            .ok_or_else(|| self.err(pos(s), format!("`{}` is not a foreign-key action: use NO ACTION, RESTRICT, CASCADE, SET NULL or SET DEFAULT", s.value)))
    }
}

/// Where each foreign key of a raw table was declared, in the order
/// `Builder::table` pushes them (column shorthands first, then the list).
fn fk_places(t: &raw::Table) -> Vec<(u32, u32)> {
    let columns = t.columns.iter().filter_map(|c| c.value.references.as_ref().map(pos));
    columns.chain(t.foreign_keys.iter().map(pos)).collect()
}

fn is_unique_key(table: &Table, columns: &[String]) -> bool {
    let wanted: HashSet<String> = columns.iter().map(|c| fold(c)).collect();
    let same = |cols: &mut dyn Iterator<Item = &String>| {
        let set: HashSet<String> = cols.map(|c| fold(c)).collect();
        set == wanted && set.len() == columns.len()
    };
    if let Some(pk) = &table.primary_key {
        if same(&mut pk.columns.iter()) {
            return true;
        }
    }
    if table.uniques.iter().any(|u| same(&mut u.columns.iter())) {
        return true;
    }
    table.indexes.iter().any(|i| {
        i.unique
            && i.where_clause.is_none()
            && i.columns.iter().all(|c| matches!(c.key, IndexKey::Column(_)))
            && same(&mut i.columns.iter().filter_map(|c| match &c.key {
                IndexKey::Column(n) => Some(n),
                IndexKey::Expression(_) => None,
            }))
    })
}

/// SQLAlchemy's naming convention: `ix_<table>_<col>_<col>`.
fn default_index_name(table: &str, columns: &[IndexColumn]) -> Option<String> {
    let mut name = format!("ix_{table}");
    for c in columns {
        match &c.key {
            IndexKey::Column(n) => {
                name.push('_');
                name.push_str(n);
            }
            IndexKey::Expression(_) => return None,
        }
    }
    Some(name)
}

/// The keys each kind of model object accepts: the model file itself
/// (`"model"`), then each object kind, named as the JSON Schema for model
/// files (`schemas/model.schema.json`) names its definitions.
pub use raw::OBJECT_KEYS;

/// The shapes of the file, read from YAML nodes. Every mapping refuses keys
/// it does not know, so that `nulable: true` is an error rather than
/// silently ignored.
mod raw {
    use super::*;

    type Read<T> = Result<T, ((u32, u32), String)>;

    #[derive(Debug, Default)]
    pub struct ModelFile {
        pub version: Option<Spanned<u32>>,
        pub tables: Vec<Spanned<Table>>,
        pub views: Vec<Spanned<View>>,
        pub triggers: Vec<Spanned<Trigger>>,
    }

    #[derive(Debug)]
    pub struct Table {
        pub name: Spanned<String>,
        pub renamed_from: Option<Spanned<String>>,
        pub columns: Vec<Spanned<Column>>,
        pub indexes: Vec<Spanned<Index>>,
        pub unique_constraints: Vec<Spanned<Unique>>,
        pub foreign_keys: Vec<Spanned<ForeignKey>>,
        pub check_constraints: Vec<Spanned<Check>>,
        pub primary_key: Option<Spanned<PrimaryKeyDecl>>,
        pub strict: bool,
        pub without_rowid: bool,
    }

    #[derive(Debug)]
    pub struct Column {
        pub name: Spanned<String>,
        pub ty: Spanned<String>,
        pub nullable: Option<bool>,
        pub primary_key: bool,
        pub autoincrement: bool,
        pub unique: bool,
        pub index: bool,
        pub server_default: Option<Spanned<SqlLiteral>>,
        pub collate: Option<String>,
        pub references: Option<Spanned<String>>,
        pub on_delete: Option<Spanned<String>>,
        pub on_update: Option<Spanned<String>>,
        pub deferrable: bool,
        pub generated: Option<Spanned<String>>,
        pub stored: Option<bool>,
        pub renamed_from: Option<String>,
        pub on_conflict: Option<Spanned<String>>,
    }

    #[derive(Debug)]
    pub struct Index {
        pub name: Option<Spanned<String>>,
        pub columns: Vec<Spanned<IndexColumn>>,
        pub unique: bool,
        pub r#where: Option<Spanned<String>>,
    }

    #[derive(Debug)]
    pub enum IndexColumn {
        Name(String),
        Full(IndexColumnFull),
    }

    pub enum Key {
        Column(String),
        Expression(String),
    }

    #[derive(Debug)]
    pub struct IndexColumnFull {
        pub column: Option<String>,
        pub expression: Option<String>,
        pub order: Option<String>,
        pub collate: Option<String>,
    }

    #[derive(Debug)]
    pub struct Unique {
        pub name: Option<String>,
        pub columns: Vec<String>,
        pub on_conflict: Option<Spanned<String>>,
    }

    #[derive(Debug)]
    pub struct ForeignKey {
        pub name: Option<String>,
        pub columns: Vec<String>,
        pub references: Spanned<FkTarget>,
        pub on_delete: Option<Spanned<String>>,
        pub on_update: Option<Spanned<String>>,
        pub deferrable: bool,
    }

    #[derive(Debug)]
    pub struct FkTarget {
        pub table: String,
        pub columns: Vec<String>,
    }

    #[derive(Debug)]
    pub struct Check {
        pub name: Option<String>,
        pub sql: Spanned<String>,
    }

    #[derive(Debug)]
    pub enum PrimaryKeyDecl {
        Columns(Vec<String>),
        Full(PrimaryKeyFull),
    }

    #[derive(Debug)]
    pub struct PrimaryKeyFull {
        pub name: Option<String>,
        pub columns: Vec<String>,
        pub on_conflict: Option<Spanned<String>>,
    }

    #[derive(Debug)]
    pub struct View {
        pub name: Spanned<String>,
        pub columns: Vec<String>,
        pub sql: Spanned<String>,
    }

    #[derive(Debug)]
    pub struct Trigger {
        pub name: Spanned<String>,
        pub sql: Spanned<String>,
    }

    /// `server_default` text: a string verbatim, and YAML numbers and
    /// booleans as SQL literals (true is 1), as the spec says.
    #[derive(Debug, Clone)]
    pub struct SqlLiteral(pub String);

    /// The keys of one mapping, taken one by one; whatever is left is an
    /// unknown key.
    // The keys each kind of object accepts. `OBJECT_KEYS` names them as
    // `schemas/model.schema.json` names its definitions, and a test keeps
    // the two in step.
    const MODEL: &[&str] = &["version", "tables", "views", "triggers"];
    const TABLE: &[&str] =
        &["name", "renamed_from", "columns", "indexes", "unique_constraints", "foreign_keys", "check_constraints", "primary_key", "strict", "without_rowid"];
    const COLUMN: &[&str] = &[
        "name",
        "type",
        "nullable",
        "primary_key",
        "autoincrement",
        "unique",
        "index",
        "server_default",
        "collate",
        "references",
        "on_delete",
        "on_update",
        "deferrable",
        "generated",
        "stored",
        "renamed_from",
        "on_conflict",
    ];
    const INDEX: &[&str] = &["name", "columns", "unique", "where"];
    const INDEX_COLUMN: &[&str] = &["column", "expression", "order", "collate"];
    const UNIQUE: &[&str] = &["name", "columns", "on_conflict"];
    const FOREIGN_KEY: &[&str] = &["name", "columns", "references", "on_delete", "on_update", "deferrable"];
    const FOREIGN_KEY_TARGET: &[&str] = &["table", "columns"];
    const CHECK: &[&str] = &["name", "sql"];
    const PRIMARY_KEY: &[&str] = &["name", "columns", "on_conflict"];
    const VIEW: &[&str] = &["name", "columns", "sql"];
    const TRIGGER: &[&str] = &["name", "sql"];

    pub const OBJECT_KEYS: &[(&str, &[&str])] = &[
        ("model", MODEL),
        ("table", TABLE),
        ("column", COLUMN),
        ("index", INDEX),
        ("index_column", INDEX_COLUMN),
        ("unique", UNIQUE),
        ("foreign_key", FOREIGN_KEY),
        ("foreign_key_target", FOREIGN_KEY_TARGET),
        ("check", CHECK),
        ("primary_key", PRIMARY_KEY),
        ("view", VIEW),
        ("trigger", TRIGGER),
    ];

    struct Fields<'a> {
        node: &'a Node,
        pairs: &'a [(Node, Node)],
        used: Vec<bool>,
        known: &'static [&'static str],
    }

    impl<'a> Fields<'a> {
        fn of(node: &'a Node, known: &'static [&'static str]) -> Read<Self> {
            match &node.value {
                Value::Map(pairs) => Ok(Fields { node, pairs, used: vec![false; pairs.len()], known }),
                _ => Err((node.at(), format!("expected a mapping with keys {}, found {}", list(known), node.kind()))),
            }
        }

        fn get(&mut self, key: &str) -> Option<&'a Node> {
            let i = self.pairs.iter().position(|(k, _)| matches!(&k.value, Value::Scalar(t, _) if t == key))?;
            self.used[i] = true;
            Some(&self.pairs[i].1).filter(|v| v.value != Value::Null)
        }

        fn required(&mut self, key: &str) -> Read<&'a Node> {
            let at = self.node.at();
            self.get(key).ok_or_else(|| (at, format!("missing field `{key}`")))
        }

        fn string(&mut self, key: &str) -> Read<Option<Spanned<String>>> {
            self.get(key).map(string).transpose()
        }

        fn text(&mut self, key: &str) -> Read<Option<String>> {
            Ok(self.string(key)?.map(|s| s.value))
        }

        fn flag(&mut self, key: &str) -> Read<bool> {
            Ok(self.get(key).map(boolean).transpose()?.unwrap_or(false))
        }

        fn names(&mut self, key: &str) -> Read<Vec<String>> {
            self.get(key).map(names).transpose().map(Option::unwrap_or_default)
        }

        fn each<T>(&mut self, key: &str, read: impl Fn(&Node) -> Read<T>) -> Read<Vec<Spanned<T>>> {
            let Some(node) = self.get(key) else { return Ok(Vec::new()) };
            let Value::Seq(items) = &node.value else {
                return Err((node.at(), format!("`{key}` should be a list, found {}", node.kind())));
            };
            items.iter().map(|n| Ok(Spanned::new(read(n)?, n.at()))).collect()
        }

        fn finish(self) -> Read<()> {
            match self.pairs.iter().zip(&self.used).find(|(_, used)| !**used) {
                None => Ok(()),
                Some(((key, _), _)) => {
                    let name = match &key.value {
                        Value::Scalar(t, _) => t.clone(),
                        _ => key.kind().to_string(),
                    };
                    Err((key.at(), format!("unknown field `{name}`, expected one of {}", list(self.known))))
                }
            }
        }
    }

    fn list(known: &[&str]) -> String {
        known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
    }

    fn string(node: &Node) -> Read<Spanned<String>> {
        match &node.value {
            Value::Scalar(text, _) => Ok(Spanned::new(text.clone(), node.at())),
            _ => Err((node.at(), format!("expected a string, found {}", node.kind()))),
        }
    }

    /// YAML 1.2's booleans (core schema).
    fn boolean(node: &Node) -> Read<bool> {
        match &node.value {
            Value::Scalar(t, true) if matches!(t.as_str(), "true" | "True" | "TRUE") => Ok(true),
            Value::Scalar(t, true) if matches!(t.as_str(), "false" | "False" | "FALSE") => Ok(false),
            _ => Err((node.at(), format!("expected true or false, found {}", describe(node)))),
        }
    }

    fn describe(node: &Node) -> String {
        match &node.value {
            Value::Scalar(t, _) => format!("`{t}`"),
            _ => node.kind().to_string(),
        }
    }

    fn names(node: &Node) -> Read<Vec<String>> {
        match &node.value {
            Value::Seq(items) => items.iter().map(|n| string(n).map(|s| s.value)).collect(),
            _ => Err((node.at(), format!("expected a list of names, found {}", node.kind()))),
        }
    }

    fn sql_literal(node: &Node) -> Read<SqlLiteral> {
        match &node.value {
            Value::Scalar(t, true) if matches!(t.as_str(), "true" | "True" | "TRUE") => Ok(SqlLiteral("1".into())),
            Value::Scalar(t, true) if matches!(t.as_str(), "false" | "False" | "FALSE") => Ok(SqlLiteral("0".into())),
            Value::Scalar(t, _) => Ok(SqlLiteral(t.clone())),
            _ => Err((node.at(), format!("expected an SQL expression, a number or a boolean, found {}", node.kind()))),
        }
    }

    impl ModelFile {
        pub fn read(node: &Node) -> Read<ModelFile> {
            let mut f = Fields::of(node, MODEL)?;
            let version = match f.get("version") {
                Some(n) => {
                    let s = string(n)?;
                    let v = s.value.parse().map_err(|_| (n.at(), format!("`version: {}` should be a number", s.value)))?;
                    Some(Spanned::new(v, n.at()))
                }
                None => None,
            };
            let file = ModelFile {
                version,
                tables: f.each("tables", Table::read)?,
                views: f.each("views", View::read)?,
                triggers: f.each("triggers", Trigger::read)?,
            };
            f.finish()?;
            Ok(file)
        }
    }

    impl Table {
        fn read(node: &Node) -> Read<Table> {
            let mut f = Fields::of(node, TABLE)?;
            let table = Table {
                name: string(f.required("name")?)?,
                renamed_from: f.string("renamed_from")?,
                columns: f.each("columns", Column::read)?,
                indexes: f.each("indexes", Index::read)?,
                unique_constraints: f.each("unique_constraints", Unique::read)?,
                foreign_keys: f.each("foreign_keys", ForeignKey::read)?,
                check_constraints: f.each("check_constraints", Check::read)?,
                primary_key: f.get("primary_key").map(|n| Ok(Spanned::new(PrimaryKeyDecl::read(n)?, n.at()))).transpose()?,
                strict: f.flag("strict")?,
                without_rowid: f.flag("without_rowid")?,
            };
            f.finish()?;
            Ok(table)
        }
    }

    impl Column {
        fn read(node: &Node) -> Read<Column> {
            let mut f = Fields::of(node, COLUMN)?;
            let name = string(f.required("name")?)?;
            // `type: ""` is a column without a type; `type:` alone (null) too.
            let ty = match f.get("type") {
                Some(n) => string(n)?,
                None => {
                    let present = f.pairs.iter().any(|(k, _)| matches!(&k.value, Value::Scalar(t, _) if t == "type"));
                    if !present {
                        return Err((node.at(), "missing field `type`".into()));
                    }
                    Spanned::new(String::new(), node.at())
                }
            };
            let column = Column {
                name,
                ty,
                nullable: f.get("nullable").map(boolean).transpose()?,
                primary_key: f.flag("primary_key")?,
                autoincrement: f.flag("autoincrement")?,
                unique: f.flag("unique")?,
                index: f.flag("index")?,
                server_default: f.get("server_default").map(|n| Ok(Spanned::new(sql_literal(n)?, n.at()))).transpose()?,
                collate: f.text("collate")?,
                references: f.string("references")?,
                on_delete: f.string("on_delete")?,
                on_update: f.string("on_update")?,
                deferrable: f.flag("deferrable")?,
                generated: f.string("generated")?,
                stored: f.get("stored").map(boolean).transpose()?,
                renamed_from: f.text("renamed_from")?,
                on_conflict: f.string("on_conflict")?,
            };
            f.finish()?;
            Ok(column)
        }
    }

    impl Index {
        fn read(node: &Node) -> Read<Index> {
            let mut f = Fields::of(node, INDEX)?;
            let index =
                Index { name: f.string("name")?, columns: f.each("columns", IndexColumn::read)?, unique: f.flag("unique")?, r#where: f.string("where")? };
            f.finish()?;
            Ok(index)
        }
    }

    impl IndexColumn {
        fn read(node: &Node) -> Read<IndexColumn> {
            if let Value::Scalar(name, _) = &node.value {
                return Ok(IndexColumn::Name(name.clone()));
            }
            let mut f = Fields::of(node, INDEX_COLUMN)?;
            let full = IndexColumnFull { column: f.text("column")?, expression: f.text("expression")?, order: f.text("order")?, collate: f.text("collate")? };
            f.finish()?;
            Ok(IndexColumn::Full(full))
        }
    }

    impl Unique {
        fn read(node: &Node) -> Read<Unique> {
            let mut f = Fields::of(node, UNIQUE)?;
            let u = Unique { name: f.text("name")?, columns: names(f.required("columns")?)?, on_conflict: f.string("on_conflict")? };
            f.finish()?;
            Ok(u)
        }
    }

    impl ForeignKey {
        fn read(node: &Node) -> Read<ForeignKey> {
            let mut f = Fields::of(node, FOREIGN_KEY)?;
            let target = f.required("references")?;
            let mut t = Fields::of(target, FOREIGN_KEY_TARGET)?;
            let references = Spanned::new(FkTarget { table: string(t.required("table")?)?.value, columns: t.names("columns")? }, target.at());
            t.finish()?;
            let fk = ForeignKey {
                name: f.text("name")?,
                columns: names(f.required("columns")?)?,
                references,
                on_delete: f.string("on_delete")?,
                on_update: f.string("on_update")?,
                deferrable: f.flag("deferrable")?,
            };
            f.finish()?;
            Ok(fk)
        }
    }

    impl Check {
        fn read(node: &Node) -> Read<Check> {
            let mut f = Fields::of(node, CHECK)?;
            let c = Check { name: f.text("name")?, sql: string(f.required("sql")?)? };
            f.finish()?;
            Ok(c)
        }
    }

    impl PrimaryKeyDecl {
        fn read(node: &Node) -> Read<PrimaryKeyDecl> {
            if let Value::Seq(_) = node.value {
                return names(node).map(PrimaryKeyDecl::Columns);
            }
            let mut f = Fields::of(node, PRIMARY_KEY)?;
            let pk = PrimaryKeyFull { name: f.text("name")?, columns: names(f.required("columns")?)?, on_conflict: f.string("on_conflict")? };
            f.finish()?;
            Ok(PrimaryKeyDecl::Full(pk))
        }
    }

    impl View {
        fn read(node: &Node) -> Read<View> {
            let mut f = Fields::of(node, VIEW)?;
            let v = View { name: string(f.required("name")?)?, columns: f.names("columns")?, sql: string(f.required("sql")?)? };
            f.finish()?;
            Ok(v)
        }
    }

    impl Trigger {
        fn read(node: &Node) -> Read<Trigger> {
            let mut f = Fields::of(node, TRIGGER)?;
            let t = Trigger { name: string(f.required("name")?)?, sql: string(f.required("sql")?)? };
            f.finish()?;
            Ok(t)
        }
    }
}

/// Which objects of a model to check with SQLite: those that differ from the
/// database (what matches the database is SQL that SQLite already took).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub all: bool,
    pub tables: HashSet<String>,
    pub views: HashSet<String>,
    pub triggers: HashSet<String>,
}

impl Selection {
    pub fn everything() -> Selection {
        Selection { all: true, ..Selection::default() }
    }

    /// The model objects a diff adds or changes.
    pub fn changed_by(diff: &crate::diff::Diff) -> Selection {
        use crate::diff::Change;
        let mut sel = Selection::default();
        for change in &diff.changes {
            match change {
                Change::RemoveTable { .. } | Change::RemoveView { .. } => {}
                Change::AddView { view } => {
                    sel.views.insert(fold(view));
                }
                Change::AddTrigger { trigger, .. } => {
                    sel.triggers.insert(fold(trigger));
                }
                Change::RemoveTrigger { .. } => {}
                other => {
                    sel.tables.insert(fold(other.subject()));
                }
            }
        }
        sel
    }

    fn table(&self, key: &str) -> bool {
        self.all || self.tables.contains(key)
    }

    fn view(&self, key: &str) -> bool {
        self.all || self.views.contains(key)
    }

    fn trigger(&self, key: &str) -> bool {
        self.all || self.triggers.contains(key)
    }
}

/// Builds the selected objects of the model in an in-memory SQLite: what
/// SQLite itself rejects (an expression it cannot parse, a default that is
/// not constant, a view over a missing column, a compound SELECT whose
/// sides differ) is an error at the model entry that holds it, before
/// anything is planned or written.
pub fn check_with_sqlite(schema: &Schema, map: &SourceMap, selection: &Selection) -> Result<(), ModelError> {
    let check = Check::new(schema, map, selection);
    check.work();
    check.finish()
}

/// [`check_with_sqlite`] in parts, so that several threads can share it:
/// each thread that calls [`Check::work`] builds tables until none are
/// left, then [`Check::finish`] builds the views and triggers and gives
/// the first error in file order, whichever thread found it.
///
/// Tables are built with only what they need: every CREATE makes SQLite
/// rescan `sqlite_schema`, so building the whole model in one database
/// would take time quadratic in its size. A table's CHECKs, defaults and
/// generated columns cannot name another table, so tables are built side
/// by side and thrown away in batches (a rollback is cheaper than a DROP).
pub struct Check<'a> {
    schema: &'a Schema,
    map: &'a SourceMap,
    selection: &'a Selection,
    tables: Vec<(&'a String, &'a Table)>,
    /// The next table to build.
    next: std::sync::atomic::AtomicUsize,
    /// The lowest failing table so far (`usize::MAX` for none): tables
    /// after it need not be built.
    failed: std::sync::atomic::AtomicUsize,
    errors: std::sync::Mutex<Vec<(usize, ModelError)>>,
}

impl<'a> Check<'a> {
    pub fn new(schema: &'a Schema, map: &'a SourceMap, selection: &'a Selection) -> Check<'a> {
        Check {
            schema,
            map,
            selection,
            tables: in_file_order(schema.tables.iter().filter(|(k, _)| selection.table(k)), &map.tables),
            next: 0.into(),
            failed: usize::MAX.into(),
            errors: Default::default(),
        }
    }

    /// Builds tables until there are none left or one before them failed.
    pub fn work(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        // Tables taken from here since the last rollback.
        const BATCH: usize = 32;
        let conn = match in_memory(self.map) {
            Ok(conn) => conn,
            Err(e) => return self.fail(0, e),
        };
        let mut built = 0;
        loop {
            // Taken in order, so every table before a failure is built by someone.
            let i = self.next.fetch_add(1, Relaxed);
            if i >= self.tables.len() || i > self.failed.load(Relaxed) {
                return;
            }
            let (key, table) = self.tables[i];
            if let Err(e) = self.build_table(&conn, key, table) {
                self.fail(i, e);
            }
            built += 1;
            if built % BATCH == 0 {
                let _ = conn.execute_batch("ROLLBACK TO batch");
            }
        }
    }

    /// Whether a table has failed so far.
    pub fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::Relaxed) != usize::MAX
    }

    fn fail(&self, i: usize, e: ModelError) {
        self.failed.fetch_min(i, std::sync::atomic::Ordering::Relaxed);
        self.errors.lock().unwrap_or_else(|p| p.into_inner()).push((i, e));
    }

    fn build_table(&self, conn: &rusqlite::Connection, key: &str, table: &Table) -> Result<(), ModelError> {
        use crate::render;
        let map = self.map;
        let to_compile: Vec<&Index> = table.indexes.iter().filter(|i| !plain_index(i)).collect();
        // SQLite checks a CREATE TABLE while compiling it (sqlite3EndTable
        // resolves CHECKs, defaults and generated columns); running it only
        // stores the table, which only an index to compile needs.
        let sql = render::create_table(table, &table.name);
        let built = if to_compile.is_empty() { conn.prepare(&sql).map(|_| ()) } else { conn.execute_batch(&sql) };
        if let Err(e) = built {
            return Err(column_error(table, map)
                .unwrap_or_else(|| map.error(map.tables.get(key).copied(), format!("table `{}`: SQLite rejects it: {}", table.name, sqlite_message(&e)))));
        }
        // Compiling a CREATE INDEX resolves its columns and expressions;
        // running it would only build an empty index.
        for index in to_compile {
            if let Err(e) = conn.prepare(&render::create_index(index, table)) {
                let at = map.indexes.get(&fold(&index.name)).or(map.tables.get(key)).copied();
                return Err(map.error(at, format!("index `{}` on `{}`: SQLite rejects it: {}", index.name, table.name, sqlite_message(&e))));
            }
        }
        Ok(())
    }

    /// The first table error in file order, else the views and triggers
    /// built, each with the tables and views it reads.
    pub fn finish(self) -> Result<(), ModelError> {
        use crate::render;
        let errors = self.errors.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Some((_, e)) = errors.into_iter().min_by_key(|(i, _)| *i) {
            return Err(e);
        }
        let (schema, map, selection) = (self.schema, self.map, self.selection);
        if !selection.all && selection.views.is_empty() && selection.triggers.is_empty() {
            return Ok(());
        }
        let conn = in_memory(map)?;
        for (key, view) in in_file_order(schema.views.iter().filter(|(k, _)| selection.view(k)), &map.views) {
            let at = map.views.get(key).copied();
            let built = build_with_dependencies(&conn, schema, &view.sql).and_then(|created| {
                let result = conn
                    .execute_batch(&render::create_view(view))
                    .and_then(|_| conn.prepare(&format!("SELECT * FROM {} LIMIT 0", render::ident(&view.name))).map(|_| ()));
                let _ = conn.execute_batch(&render::drop_view(&view.name));
                drop_all(&conn, created);
                result
            });
            if let Err(e) = built {
                return Err(map.error(at, format!("view `{}`: SQLite rejects it: {}", view.name, sqlite_message(&e))));
            }
        }
        for (key, trigger) in in_file_order(schema.triggers.iter().filter(|(k, _)| selection.trigger(k)), &map.triggers) {
            let at = map.triggers.get(key).copied();
            let built = build_with_dependencies(&conn, schema, &trigger.table).and_then(|created| {
                let result = conn.execute_batch(&trigger.sql);
                let _ = conn.execute_batch(&render::drop_trigger(&trigger.name));
                drop_all(&conn, created);
                result
            });
            if let Err(e) = built {
                return Err(map.error(at, format!("trigger `{}`: SQLite rejects it: {}", trigger.name, sqlite_message(&e))));
            }
        }
        Ok(())
    }
}

/// Entries in the order the model file gives them (the schema keeps them
/// by name), so that the first error reported is the first in the file.
fn in_file_order<'a, T>(entries: impl Iterator<Item = (&'a String, &'a T)>, at: &HashMap<String, (u32, u32)>) -> Vec<(&'a String, &'a T)> {
    let mut entries: Vec<_> = entries.collect();
    entries.sort_by_key(|(k, _)| at.get(*k).copied().unwrap_or((u32::MAX, u32::MAX)));
    entries
}

/// An index SQLite has nothing to say about once the model's own checks
/// passed: named columns of its table (checked by name when the model is
/// read), built-in collations, no WHERE. Expressions, other collations and
/// WHERE clauses are compiled by SQLite.
fn plain_index(index: &Index) -> bool {
    index.where_clause.is_none()
        && index.columns.iter().all(|c| matches!(c.key, IndexKey::Column(_)) && c.collate.as_deref().is_none_or(|c| matches!(c, "BINARY" | "NOCASE" | "RTRIM")))
}

/// An in-memory database inside a transaction that is never committed (the
/// database is thrown away, so a commit after every statement would be
/// wasted work), with a savepoint `batch` to roll back to.
fn in_memory(map: &SourceMap) -> Result<rusqlite::Connection, ModelError> {
    let conn = rusqlite::Connection::open_in_memory().map_err(|e| map.error(None, format!("cannot open an in-memory database: {e}")))?;
    conn.execute_batch("BEGIN; SAVEPOINT batch").map_err(|e| map.error(None, format!("cannot use an in-memory database: {e}")))?;
    Ok(conn)
}

/// Creates the tables and views that `sql` names (views through what they
/// read in turn); returns what it created, views last.
fn build_with_dependencies(conn: &rusqlite::Connection, schema: &Schema, sql: &str) -> rusqlite::Result<Vec<(bool, String)>> {
    use crate::render;
    let mut tables: Vec<&Table> = Vec::new();
    let mut views: Vec<&View> = Vec::new();
    let mut todo = vec![sql.to_string()];
    while let Some(text) = todo.pop() {
        for t in schema.tables.values().filter(|t| crate::sql::lexer::mentions(&text, &t.name)) {
            if !tables.iter().any(|x| std::ptr::eq(*x, t)) {
                tables.push(t);
            }
        }
        for v in schema.views.values().filter(|v| crate::sql::lexer::mentions(&text, &v.name)) {
            if !views.iter().any(|x| std::ptr::eq(*x, v)) {
                views.push(v);
                todo.push(v.sql.clone());
            }
        }
    }
    let mut created = Vec::new();
    for t in tables {
        conn.execute_batch(&render::create_table(t, &t.name))?;
        created.push((true, t.name.clone()));
    }
    for v in crate::plan::views_in_order(views.into_iter()) {
        if conn.execute_batch(&render::create_view(v)).is_ok() {
            created.push((false, v.name.clone()));
        }
    }
    Ok(created)
}

fn drop_all(conn: &rusqlite::Connection, created: Vec<(bool, String)>) {
    for (is_table, name) in created.into_iter().rev() {
        let sql = if is_table { crate::render::drop_table(&name) } else { crate::render::drop_view(&name) };
        let _ = conn.execute_batch(&sql);
    }
}

/// When a table is refused, the column whose default or generated
/// expression SQLite refuses on its own, if one is.
fn column_error(table: &Table, map: &SourceMap) -> Option<ModelError> {
    let conn = rusqlite::Connection::open_in_memory().ok()?;
    for column in &table.columns {
        let alone = Table {
            name: "t".into(),
            columns: vec![Column { name: column.name.clone(), ty: column.ty.clone(), nullable: true, default: column.default.clone(), ..Column::default() }],
            ..Table::default()
        };
        // Compiled, not run: compiling checks the column, and nothing is
        // stored to clash with the next column's table.
        if let Err(e) = conn.prepare(&crate::render::create_table(&alone, "t")) {
            let at = map.columns.get(&(fold(&table.name), fold(&column.name))).copied();
            let what = match &column.default {
                Some(d) => {
                    format!("`{}.{}`: server_default `{d}` is not a valid SQL expression: {}", table.name, column.name, crate::error::sqlite_message(&e))
                }
                None => format!("`{}.{}`: SQLite rejects the column: {}", table.name, column.name, crate::error::sqlite_message(&e)),
            };
            return Some(map.error(at, what));
        }
    }
    None
}
