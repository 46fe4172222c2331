//! The YAML model file (`../shared/spec/model.md`) into a [`Schema`].
//!
//! Loading has two passes. Serde reads the file into `raw` structs that keep
//! the line and column of every value that can be wrong. Then `build` turns
//! them into the normalized schema, checking what the YAML grammar cannot
//! (duplicates, unknown columns, foreign-key targets), and each error points
//! at the value at fault.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::schema::types::resolve_type;
use crate::schema::*;
use crate::sql;

pub mod renames;
pub mod write;
pub mod yaml;

use yaml::{Node, Value};

/// A mistake in a model file, with where it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{}: {message}", file.display(), if *line > 0 { format!(":{line}:{column}") } else { String::new() })]
pub struct ModelError {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// A model: the wanted schema, and where each of its entries is in the file.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub schema: Schema,
    pub map: SourceMap,
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
    /// (folded table, place in its `checks`) to a `check_constraints` entry.
    pub checks: HashMap<(String, usize), (u32, u32)>,
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
/// let text = "tables:\n  - name: notes\n    columns:\n      - {name: id, type: Integer, primary_key: true}\n";
/// std::fs::write(&path, text)?;
/// let model = autogen::load_model(&path)?;
/// assert_eq!(model.schema.tables["notes"].columns[0].ty, "INTEGER");
///
/// // Errors name the file, line and column.
/// std::fs::write(&path, "tables:\n  - name: notes\n    colums: []\n")?;
/// let error = autogen::load_model(&path).unwrap_err().to_string();
/// assert!(error.contains("model.yaml:3:5"), "{error}");
/// # Ok(()) }
/// ```
pub fn load(path: &Path) -> Result<Model, ModelError> {
    load_excluding(path, &[])
}

/// [`load`] for a project whose `exclude:` globs keep tables out of autogen's
/// hands: a model table that one matches is an error, and a foreign key may
/// name such a table (model.md, "Bad input").
pub fn load_excluding(path: &Path, exclude: &[String]) -> Result<Model, ModelError> {
    parse_excluding(&read_file(path)?, path, exclude)
}

/// A model file's text (YAML or `.sql`), or why it cannot be read.
pub fn read_file(path: &Path) -> Result<String, ModelError> {
    std::fs::read_to_string(path).map_err(|e| ModelError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the model file: {e}"),
    })
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
/// let model = autogen::parse_model(yaml, Path::new("model.yaml")).unwrap();
/// let email = &model.schema.tables["users"].columns[1];
/// assert_eq!((email.ty.as_str(), email.nullable), ("VARCHAR(255)", false));
/// ```
pub fn parse(text: &str, path: &Path) -> Result<Model, ModelError> {
    parse_excluding(text, path, &[])
}

/// [`parse`] with the project's `exclude:` globs (see [`load_excluding`]).
pub fn parse_excluding(text: &str, path: &Path, exclude: &[String]) -> Result<Model, ModelError> {
    let located =
        |(line, column): (u32, u32), message: String| ModelError { file: path.to_path_buf(), line, column, message };
    let root = yaml::parse(text).map_err(|e| located((e.line, e.column), e.message))?;
    let raw = match root {
        None => raw::ModelFile::default(),
        Some(node) => raw::ModelFile::read(&node).map_err(|(at, message)| located(at, message))?,
    };
    Builder { map: SourceMap { file: path.to_path_buf(), ..SourceMap::default() }, exclude }.build(raw)
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

struct Builder<'a> {
    map: SourceMap,
    /// `exclude:` globs from autogen.yaml.
    exclude: &'a [String],
}

impl Builder<'_> {
    fn excluded(&self, table: &str) -> Option<&str> {
        self.exclude.iter().find(|g| super::introspect::glob_match(g, table)).map(String::as_str)
    }

    fn err(&self, at: (u32, u32), message: impl Into<String>) -> ModelError {
        self.map.error(Some(at), message)
    }

    fn build(mut self, raw: raw::ModelFile) -> Result<Model, ModelError> {
        if let Some(v) = &raw.version {
            if v.value != 1 {
                return Err(
                    self.err(pos(v), format!("unsupported model `version: {}`: 1 is the only version", v.value))
                );
            }
        }
        // Sized up front: grown entry by entry, the maps of a large model
        // were rehashed a dozen times each.
        let columns = raw.tables.iter().map(|t| t.value.columns.len()).sum();
        let indexes = raw.tables.iter().map(|t| t.value.indexes.len() + t.value.columns.len()).sum();
        self.map.columns.reserve(columns);
        self.map.indexes.reserve(indexes);
        self.map.tables.reserve(raw.tables.len());
        let mut schema = Schema::default();
        let mut raw_tables = Vec::with_capacity(raw.tables.len());
        for t in raw.tables {
            let table = self.table(&t)?;
            let key = fold(&table.name);
            if schema.tables.contains_key(&key) {
                return Err(self.err(pos(&t.value.name), format!("two tables named `{}`", table.name)));
            }
            if let Some(glob) = self.excluded(&table.name) {
                return Err(self.err(
                    pos(&t.value.name),
                    format!(
                        "table `{}` is excluded by `{glob}` in autogen.yaml, so autogen never touches it: remove it \
                         from the model or from `exclude`",
                        table.name
                    ),
                ));
            }
            self.map.tables.insert(key.clone(), pos(&t.value.name));
            schema.tables.insert(key, table);
            raw_tables.push(t);
        }
        for t in &raw_tables {
            self.check_foreign_keys(&schema, t)?;
        }
        let hints =
            raw_tables.iter().filter_map(|t| Some((t.value.renamed_from.as_ref()?, t.value.name.value.as_str())));
        self.check_hints(hints, |n| schema.table(n).map(|t| t.renamed_from.is_some()), "table")?;
        for v in raw.views {
            let view = self.view(&v)?;
            let key = fold(&view.name);
            if schema.views.contains_key(&key) || schema.tables.contains_key(&key) {
                return Err(self
                    .err(pos(&v.value.name), format!("the name `{}` is already used by a table or view", view.name)));
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
        crate::schema::normalize::normalize(&mut schema);
        Ok(Model { schema, map: self.map })
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
            return Err(self.err(
                pos(&r.name),
                format!("table name `{name}` is reserved: names beginning with `sqlite_` belong to SQLite"),
            ));
        }
        if r.columns.is_empty() {
            return Err(self.err(pos(&r.name), format!("table `{name}` has no columns")));
        }
        let mut table = Table {
            name: name.clone(),
            strict: r.strict,
            without_rowid: r.without_rowid,
            renamed_from: r.renamed_from.as_ref().map(|s| s.value.clone()),
            columns: Vec::with_capacity(r.columns.len()),
            ..Table::default()
        };
        let mut pk_columns = Vec::new();
        let mut pk_conflict = None;
        let mut autoincrement = None;
        for c in &r.columns {
            let col = self.column(&name, c)?;
            if table.column(&col.name).is_some() {
                return Err(
                    self.err(pos(&c.value.name), format!("table `{name}` has two columns named `{}`", col.name))
                );
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
                table.uniques.push(UniqueConstraint {
                    name: None,
                    columns: vec![KeyColumn::plain(col.name.clone())],
                    on_conflict: conflict,
                });
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
        let hints =
            r.columns.iter().filter_map(|c| Some((c.value.renamed_from.as_ref()?, c.value.name.value.as_str())));
        self.check_hints(hints, |n| table.column(n).map(|c| c.renamed_from.is_some()), "column")?;
        table.primary_key = self.primary_key(&table, r, pk_columns, pk_conflict)?;
        // Key columns default to NOT NULL in whichever form the key is given
        // (model.md, "nullable").
        let key: Vec<String> = table.primary_key.iter().flat_map(|pk| pk.columns.clone()).collect();
        for (col, rc) in table.columns.iter_mut().zip(&r.columns) {
            if rc.value.nullable.is_none() && key.iter().any(|k| same_name(k, &col.name)) {
                col.nullable = false;
                col.not_null_conflict = self.conflict(rc.value.on_conflict.as_ref())?;
            }
        }
        if let Some(c) = autoincrement {
            let ok = table.integer_primary_key().is_some_and(|ipk| same_name(&ipk.name, &c.value.name.value));
            if !ok {
                return Err(self.err(
                    pos(&c.value.name),
                    format!(
                        "`{}.{}`: AUTOINCREMENT is only allowed on a single INTEGER PRIMARY KEY column of a rowid \
                        table",
                        name, c.value.name.value
                    ),
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
            let columns = self.key_columns(&table, &u.value.columns, pos(u))?;
            let on_conflict = self.conflict(u.value.on_conflict.as_ref())?;
            table.uniques.push(UniqueConstraint { name: u.value.name.clone(), columns, on_conflict });
        }
        for c in &r.check_constraints {
            self.expression(&c.value.sql, "check constraint")?;
            self.map.checks.insert((fold(&name), table.checks.len()), pos(c));
            table
                .checks
                .push(CheckConstraint { name: c.value.name.clone(), expr: c.value.sql.value.trim().to_string() });
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
                let text = d.value.0.trim();
                if sql::lexer::is_bare_word(text) {
                    // SQLite takes `DEFAULT pending` for the string 'pending'
                    // only by a legacy quirk (model.md, "Bad input").
                    return Err(self.err(
                        pos(d),
                        format!(
                            "`{table}.{name}`: `server_default: {text}` is a bare word, which SQLite reads as a string \
                             only by a legacy quirk: for the text, write `server_default: \"'{text}'\"`"
                        ),
                    ));
                }
                Some(text.to_string())
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
            return Err(self.err(
                pos(&r.name),
                format!(
                    "`{table}.{name}`: a generated column cannot have a server_default or be part of the primary key"
                ),
            ));
        }
        if r.references.is_none() {
            let stray = [("on_delete", r.on_delete.as_ref()), ("on_update", r.on_update.as_ref())];
            if let Some((key, Some(at))) = stray.into_iter().find(|(_, v)| v.is_some()) {
                return Err(self.err(
                    pos(at),
                    format!("`{table}.{name}`: `{key}` needs `references` beside it (or a `foreign_keys` entry)"),
                ));
            }
        }
        if let Some(order) = &r.order {
            match order.value.to_ascii_lowercase().as_str() {
                "asc" | "desc" if r.primary_key => {}
                "asc" | "desc" => {
                    return Err(self.err(pos(order), format!("`{table}.{name}`: `order` is for a primary-key column")))
                }
                other => {
                    return Err(
                        self.err(pos(order), format!("`{table}.{name}`: order `{other}` should be `asc` or `desc`"))
                    )
                }
            }
        }
        let mut checks = Vec::new();
        for check in &r.check {
            self.expression(&check.value.sql, "check")?;
            checks.push(CheckConstraint {
                name: check.value.name.clone(),
                expr: check.value.sql.value.trim().to_string(),
            });
        }
        let conflict = self.conflict(r.on_conflict.as_ref())?;
        // A key column is NOT NULL unless it says otherwise; a table-level
        // `primary_key:` makes it so later.
        let nullable = r.nullable.unwrap_or(!r.primary_key);
        Ok(Column {
            name,
            ty: resolve_type(&r.ty.value),
            nullable,
            not_null_conflict: if nullable { None } else { conflict },
            default,
            collate: r.collate.as_ref().map(|s| s.to_ascii_uppercase()),
            generated,
            checks,
            renamed_from: r.renamed_from.as_ref().map(|s| s.value.clone()),
        })
    }

    fn column_reference(
        &self,
        column: &str,
        r: &raw::Column,
        refs: &Spanned<String>,
    ) -> Result<ForeignKey, ModelError> {
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

    fn primary_key(
        &self,
        table: &Table,
        r: &raw::Table,
        from_columns: Vec<String>,
        conflict: Option<Conflict>,
    ) -> Result<Option<PrimaryKey>, ModelError> {
        let Some(decl) = &r.primary_key else {
            let desc = r.columns.iter().any(|c| {
                c.value.primary_key && c.value.order.as_ref().is_some_and(|o| o.value.eq_ignore_ascii_case("desc"))
            });
            if desc && from_columns.len() > 1 {
                return Err(self.err(
                    pos(&r.name),
                    format!("table `{}`: `order: desc` is for a primary key of one column", table.name),
                ));
            }
            return Ok((!from_columns.is_empty()).then_some(PrimaryKey {
                name: None,
                columns: from_columns,
                on_conflict: conflict,
                autoincrement: false,
                desc,
            }));
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
                format!(
                    "table `{}`: `primary_key: [{}]` disagrees with the columns marked `primary_key: true`",
                    table.name,
                    columns.join(", ")
                ),
            ));
        }
        let on_conflict = match on_conflict {
            Some(s) => Some(self.conflict(Some(&s))?.expect("given")),
            None => conflict,
        };
        Ok(Some(PrimaryKey { name, columns, on_conflict, autoincrement: false, desc: false }))
    }

    /// A unique key's columns: names, or `{column, collate, order}`.
    fn key_columns(
        &self,
        table: &Table,
        keys: &[Spanned<raw::IndexColumn>],
        at: (u32, u32),
    ) -> Result<Vec<KeyColumn>, ModelError> {
        if keys.is_empty() {
            return Err(self.err(at, format!("a unique constraint on `{}` lists no columns", table.name)));
        }
        keys.iter()
            .map(|k| {
                let (name, order, collate) = match &k.value {
                    raw::IndexColumn::Name(n) => (n.clone(), None, None),
                    raw::IndexColumn::Full(raw::IndexColumnFull {
                        column: Some(n),
                        expression: None,
                        order,
                        collate,
                    }) => (n.clone(), order.clone(), collate.clone()),
                    raw::IndexColumn::Full(_) => {
                        return Err(self.err(
                            pos(k),
                            "a unique constraint's key is a `column` (an expression needs a unique index)",
                        ))
                    }
                };
                let column = table
                    .column(&name)
                    .ok_or_else(|| self.err(pos(k), format!("table `{}` has no column `{name}`", table.name)))?;
                let desc = match order.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    None | Some("asc") => false,
                    Some("desc") => true,
                    Some(o) => return Err(self.err(pos(k), format!("order `{o}` should be `asc` or `desc`"))),
                };
                Ok(KeyColumn { name: column.name.clone(), collate: collate.map(|c| c.to_ascii_uppercase()), desc })
            })
            .collect()
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
            None => default_index_name(&table.name, &columns)
                .ok_or_else(|| self.err(pos(i), "an index on an expression needs a `name`"))?,
        };
        if let Some(w) = &r.r#where {
            self.expression(w, "index `where`")?;
        }
        Ok(Index {
            name,
            unique: r.unique,
            columns,
            where_clause: r.r#where.as_ref().map(|w| w.value.trim().to_string()),
        })
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
        let parsed =
            sql::ddl::parse_create(&sql).map_err(|e| self.err(pos(&t.value.sql), format!("trigger `{name}`: {e}")))?;
        let sql::ddl::Create::Trigger(ct) = parsed else {
            return Err(
                self.err(pos(&t.value.sql), format!("trigger `{name}`: `sql` should be a CREATE TRIGGER statement"))
            );
        };
        if !same_name(&ct.name, &name) {
            return Err(self
                .err(pos(&t.value.sql), format!("trigger `{name}`: its `sql` creates a trigger named `{}`", ct.name)));
        }
        if schema.table(&ct.table).is_none() && !schema.views.contains_key(&fold(&ct.table)) {
            return Err(self.err(
                pos(&t.value.sql),
                format!("trigger `{name}` is on `{}`, which is not a table or view of the model", ct.table),
            ));
        }
        Ok(Trigger { name, table: ct.table, sql })
    }

    /// A foreign key must name a table and columns of the model that form its
    /// Rename hints that cannot all hold are errors (model.md, "Renames"):
    /// two entries from one old name, or a hint from a name the model also
    /// keeps, unless that entry is renamed in turn (a swap). `kept` says
    /// whether the model has an entry of a name, and whether it has a hint.
    fn check_hints<'h>(
        &self,
        hints: impl Iterator<Item = (&'h Spanned<String>, &'h str)>,
        kept: impl Fn(&str) -> Option<bool>,
        what: &str,
    ) -> Result<(), ModelError> {
        // (old name, the entry renamed from it)
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (old, new) in hints {
            if let Some((_, first)) = seen.iter().find(|(s, _)| same_name(s, &old.value)) {
                return Err(self.err(
                    pos(old),
                    format!("two {what}s are renamed from `{}` (`{first}` and `{new}`): one at most can be", old.value),
                ));
            }
            seen.push((&old.value, new));
            if !same_name(&old.value, new) && kept(&old.value) == Some(false) {
                return Err(self.err(
                    pos(old),
                    format!(
                        "{what} `{new}` is renamed from `{}`, which the model also keeps: drop one of them, or give \
                         `{}` a `renamed_from` too if the two swap",
                        old.value, old.value
                    ),
                ));
            }
        }
        Ok(())
    }

    /// primary key or a unique key: SQLite reports "foreign key mismatch" on
    /// every write to the child otherwise.
    fn check_foreign_keys(&self, schema: &Schema, t: &Spanned<raw::Table>) -> Result<(), ModelError> {
        let table = schema.table(&t.value.name.value).expect("just built");
        let places = fk_places(&t.value);
        for (fk, at) in table.foreign_keys.iter().zip(places) {
            if let Some(problem) = foreign_key_problem(schema, table, fk, |name| self.excluded(name).is_some()) {
                return Err(self.err(at, problem));
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
                // Where to point is looked up only for an error: this loop
                // runs for every index of a big model.
                let at =
                    || self.map.indexes.get(&key).copied().or_else(|| self.map.tables.get(&fold(&table.name)).copied());
                if schema.tables.contains_key(&key) || schema.views.contains_key(&key) || seen.contains(&key) {
                    return Err(self.map.error(
                        at(),
                        format!(
                            "the index name `{}` is used twice (tables, views and indexes share one namespace)",
                            index.name
                        ),
                    ));
                }
                if key.starts_with("sqlite_") {
                    return Err(self.map.error(
                        at(),
                        format!(
                            "index name `{}` is reserved: names beginning with `sqlite_` belong to SQLite",
                            index.name
                        ),
                    ));
                }
                seen.insert(key);
            }
        }
        Ok(())
    }

    fn check_strict_types(&self, table: &Table, r: &raw::Table) -> Result<(), ModelError> {
        for (col, rc) in table.columns.iter().zip(&r.columns) {
            if !matches!(col.ty.as_str(), "INT" | "INTEGER" | "REAL" | "TEXT" | "BLOB" | "ANY") {
                return Err(self.err(
                    pos(&rc.value.ty),
                    format!(
                        "`{}.{}`: a STRICT table allows only the types INT, INTEGER, REAL, TEXT, BLOB and ANY, \
                        not `{}`",
                        table.name, col.name, col.ty
                    ),
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
        sql::lexer::check_expression(&s.value).map_err(|e| {
            self.err(pos(s), format!("{what} `{}` is not a valid SQL expression: {}", s.value.trim(), e.message))
        })
    }

    fn tokens(&self, s: &Spanned<String>, what: &str) -> Result<(), ModelError> {
        sql::lexer::tokenize(&s.value)
            .map(|_| ())
            .map_err(|e| self.err(pos(s), format!("{what} is not valid SQL: {}", e.message)))
    }

    fn conflict(&self, s: Option<&Spanned<String>>) -> Result<Option<Conflict>, ModelError> {
        let Some(s) = s else { return Ok(None) };
        Conflict::parse(&s.value).map(Some).ok_or_else(|| {
            self.err(
                pos(s),
                format!("`on_conflict: {}` should be one of ROLLBACK, ABORT, FAIL, IGNORE, REPLACE", s.value),
            )
        })
    }

    fn action(&self, s: Option<&Spanned<String>>) -> Result<FkAction, ModelError> {
        let Some(s) = s else {
            return Ok(FkAction::NoAction);
        };
        FkAction::parse(&s.value).ok_or_else(|| {
            self.err(
                pos(s),
                format!(
                    "`{}` is not a foreign-key action: use NO ACTION, RESTRICT, CASCADE, SET NULL or SET DEFAULT",
                    s.value
                ),
            )
        })
    }
}

/// What is wrong with a foreign key of the model, if anything: a target
/// table the model lacks (unless `exclude` keeps it out), a target column
/// that does not exist, or a target that is not a primary or unique key
/// (SQLite reports "foreign key mismatch" on every write to the child).
pub fn foreign_key_problem(
    schema: &Schema,
    table: &Table,
    fk: &ForeignKey,
    excluded: impl Fn(&str) -> bool,
) -> Option<String> {
    let Some(parent) = schema.table(&fk.ref_table) else {
        // autogen does not know an excluded table's columns.
        return (!excluded(&fk.ref_table)).then(|| {
            format!(
                "foreign key on `{}` references table `{}`, which the model does not have",
                table.name, fk.ref_table
            )
        });
    };
    if let Some(c) = fk.ref_columns.iter().find(|c| parent.column(c).is_none()) {
        return Some(format!("foreign key on `{}` references `{}.{c}`, which does not exist", table.name, parent.name));
    }
    let target: Vec<String> = if fk.ref_columns.is_empty() {
        parent.primary_key.as_ref().map(|pk| pk.columns.clone()).unwrap_or_default()
    } else {
        fk.ref_columns.clone()
    };
    if target.len() != fk.columns.len() {
        return Some(format!(
            "foreign key on `{}` has {} but references {} in `{}`",
            table.name,
            crate::words::count(fk.columns.len() as i64, "column"),
            target.len(),
            parent.name
        ));
    }
    if !is_unique_key(parent, &target) {
        return Some(format!(
            "foreign key on `{}` references `{}({})`, which is not the primary key or a unique key of `{}`",
            table.name,
            parent.name,
            target.join(", "),
            parent.name
        ));
    }
    None
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
    if table.uniques.iter().any(|u| same(&mut u.column_names())) {
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

mod raw;
