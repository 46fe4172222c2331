//! A live database into a [`Schema`] (sqlite.md, "Introspection").
//!
//! The stored CREATE text, read by `sql::ddl`, gives the columns and every
//! constraint (names, CHECKs, collations, generated expressions, index
//! expressions and WHERE, AUTOINCREMENT, conflict clauses). PRAGMAs give
//! what only SQLite knows for sure: which tables are virtual or shadow
//! tables, and how many columns and foreign keys each table has. The two are
//! cross-checked: a reader that disagrees with SQLite is an error, never a
//! silent guess. Debug builds (every test) also compare each column with
//! `pragma_table_xinfo`; release builds skip that query, which cost as much
//! as the rest of introspection (one PRAGMA statement compiled per table).
//!
//! Reading is split in two: an engine runs the [`Catalog`] queries (each
//! PRAGMA once for all tables, as a table-valued function joined on
//! `sqlite_schema`: one statement per kind, not one per table), and
//! [`from_catalog`] turns their rows into a schema without touching a
//! database.

use std::collections::HashMap;

use crate::schema::types::normalize_type;
use crate::schema::*;
use crate::sql::ddl::{self, ColumnConstraintKind, Create, TableConstraint};

#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    #[error("cannot read the schema: {0}")]
    Query(String),
    #[error("cannot read the CREATE statement of {kind} `{name}`: {message}\n  statement: {sql}")]
    Unreadable { kind: &'static str, name: String, message: String, sql: String },
    #[error("the CREATE statement of table `{table}` disagrees with SQLite: {message}")]
    Mismatch { table: String, message: String },
}

/// What introspection leaves out, besides `sqlite_*` objects.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Exact names (the version tables).
    pub ignore: Vec<String>,
    /// Glob patterns from `exclude` (`*`, `?`, `[...]`), matched case-insensitively.
    pub exclude: Vec<String>,
}

/// What the names of an online rebuild's objects start with (its shadow
/// and old tables, its mirror triggers): autogen's own while the rebuild
/// runs, never part of a diff or `check` (cli.md, "Online upgrades").
pub const ONLINE_PREFIX: &str = "_autogen_online_";

/// Whether `name` is one of an online rebuild's objects.
pub fn is_online_object(name: &str) -> bool {
    name.get(..ONLINE_PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(ONLINE_PREFIX))
}

impl Filter {
    pub fn skips(&self, name: &str) -> bool {
        name.to_ascii_lowercase().starts_with("sqlite_")
            || is_online_object(name)
            || self.ignore.iter().any(|n| same_name(n, name))
            || self.exclude.iter().any(|g| glob_match(g, name))
    }

    /// Whether `name` is a user's table that `exclude` keeps out (not
    /// SQLite's own, not autogen's version tables).
    pub fn excludes(&self, name: &str) -> bool {
        !name.to_ascii_lowercase().starts_with("sqlite_")
            && !is_online_object(name)
            && !self.ignore.iter().any(|n| same_name(n, name))
            && self.exclude.iter().any(|g| glob_match(g, name))
    }
}

/// [`wildcard_match`], ASCII case-insensitive like SQLite names.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    wildcard_match(&pattern.to_ascii_lowercase(), &name.to_ascii_lowercase())
}

/// `*` any run, `?` one character, `[abc]`, `[a-z]` and `[!abc]` one
/// character of (or not of) a set, as the shell's globs; case as it is
/// (file names). A `[` with no closing `]` is itself.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // The star to go back to, and where in the name it last stopped.
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        let one = match p.get(pi) {
            Some('?') => Some(1),
            Some('[') => class(&p[pi..], n[ni]),
            Some(c) if *c != '*' && *c == n[ni] => Some(1),
            _ => None,
        };
        if let Some(width) = one {
            pi += width;
            ni += 1;
        } else if p.get(pi) == Some(&'*') {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The width of the `[...]` class at the start of `p` when `c` is in it;
/// a `[` without its `]` matches only itself.
fn class(p: &[char], c: char) -> Option<usize> {
    let Some(close) = p.iter().skip(2).position(|x| *x == ']').map(|i| i + 2) else {
        return (c == '[').then_some(1);
    };
    let negated = p[1] == '!' || p[1] == '^';
    let set = &p[if negated { 2 } else { 1 }..close];
    let mut found = false;
    let mut i = 0;
    while i < set.len() {
        if i + 2 < set.len() && set[i + 1] == '-' {
            found |= set[i] <= c && c <= set[i + 2];
            i += 3;
        } else {
            found |= set[i] == c;
            i += 1;
        }
    }
    (found != negated).then_some(close + 1)
}

/// A row of `sqlite_schema`.
#[derive(Debug, Clone)]
pub struct SchemaRow {
    pub kind: String,
    pub name: String,
    pub table: String,
    pub sql: Option<String>,
}

/// A column as `pragma_table_xinfo` reports it.
#[derive(Debug, Clone)]
pub struct XColumn {
    pub name: String,
    pub ty: String,
    pub notnull: bool,
    pub default: Option<String>,
    pub pk: i64,
    pub hidden: i64,
}

/// A table as `PRAGMA table_list` (3.37+) reports it.
#[derive(Debug, Clone)]
pub struct ListedTable {
    pub name: String,
    /// `table`, `view`, `virtual` or `shadow`.
    pub kind: String,
    pub ncol: i64,
}

/// What the catalog queries return: all an engine needs to fetch.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// `sqlite_schema` in rowid order ([`Catalog::SCHEMA`]).
    pub rows: Vec<SchemaRow>,
    /// [`Catalog::TABLE_LIST`].
    pub listed: Vec<ListedTable>,
    /// (table, number of foreign keys), [`Catalog::foreign_key_counts_query`]:
    /// fetched where the reader is to be checked against SQLite (debug
    /// builds, every test; D1, where a call costs the same with it), like
    /// `columns`. One PRAGMA call per table, it was a tenth of a large
    /// `diff`.
    pub foreign_keys: Option<Vec<(String, i64)>>,
    /// Every column by table ([`Catalog::COLUMNS`]): fetched by debug
    /// builds, which check the columns read from the CREATE text against
    /// it; release builds skip that query, which cost as much as the rest
    /// of introspection.
    pub columns: Option<Vec<(String, XColumn)>>,
}

/// The tables whose PRAGMA functions can be called: a virtual table whose
/// module is missing would fail the whole join.
const PLAIN_TABLES: &str = "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' \
    ESCAPE '\\' AND upper(substr(ltrim(sql), 1, 14)) <> 'CREATE VIRTUAL'";

impl Catalog {
    /// `type, name, tbl_name, sql`.
    pub const SCHEMA: &'static str = "SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY rowid";
    /// `name, type, ncol`.
    pub const TABLE_LIST: &'static str = "SELECT name, type, ncol FROM pragma_table_list WHERE schema = 'main'";

    /// `table, count`.
    pub fn foreign_key_counts_query() -> String {
        format!(
            "SELECT m.name, count(DISTINCT f.id) FROM ({PLAIN_TABLES}) AS m JOIN pragma_foreign_key_list(m.name) \
            AS f GROUP BY m.name"
        )
    }

    /// `table, name, type, notnull, dflt_value, pk, hidden`, in column order.
    pub fn columns_query() -> String {
        format!(
            "SELECT m.name, x.name, x.type, x.\"notnull\", x.dflt_value, x.pk, x.hidden FROM ({PLAIN_TABLES}) AS \
            m JOIN pragma_table_xinfo(m.name, 'main') AS x ORDER BY m.name, x.cid"
        )
    }
}

/// The schema the catalog describes.
///
/// Through the local engine ([`crate::introspect`]):
///
/// ```
/// use autogen::{introspect, Filter};
/// let conn = rusqlite::Connection::open_in_memory().unwrap();
/// conn.execute_batch(
///     "CREATE TABLE [users] (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE);
///      CREATE VIRTUAL TABLE notes USING fts5(body);",
/// ).unwrap();
/// let schema = introspect(&conn, &Filter::default()).unwrap();
/// let users = &schema.tables["users"];
/// assert_eq!(users.name, "users");
/// assert_eq!(users.columns[1].collate.as_deref(), Some("NOCASE"));
/// // The FTS5 table and its shadow tables are listed, never managed.
/// assert!(schema.unmanaged.iter().any(|u| u == "notes"));
/// ```
pub fn from_catalog(catalog: &Catalog, filter: &Filter) -> Result<Schema, IntrospectError> {
    let rows = &catalog.rows;
    let listed = table_list(catalog);
    let mut schema = Schema::default();
    let mut managed: Vec<(&SchemaRow, i64)> = Vec::new();
    // Excluded plain tables are read too, into `outside`: never diffed, but
    // a rebuild of a table they reference must keep their rows.
    let mut excluded: Vec<(&SchemaRow, i64)> = Vec::new();
    for row in rows.iter().filter(|r| r.kind == "table") {
        let outside = filter.excludes(&row.name);
        if filter.skips(&row.name) && !outside {
            continue;
        }
        match listed.get(&fold(&row.name)) {
            Some(Listed { kind: Kind::Virtual | Kind::Shadow, .. }) if outside => {}
            Some(Listed { kind: Kind::Virtual | Kind::Shadow, .. }) => schema.unmanaged.push(row.name.clone()),
            Some(Listed { ncol, .. }) if outside => excluded.push((row, *ncol)),
            Some(Listed { ncol, .. }) => managed.push((row, *ncol)),
            None => {
                return Err(IntrospectError::Mismatch {
                    table: row.name.clone(),
                    message: "PRAGMA table_list does not list it".into(),
                })
            }
        }
    }
    let fk_counts: HashMap<String, usize> =
        catalog.foreign_keys.iter().flatten().map(|(t, n)| (fold(t), (*n).max(0) as usize)).collect();
    let mut columns: HashMap<String, Vec<&XColumn>> = HashMap::new();
    for (table, column) in catalog.columns.iter().flatten() {
        columns.entry(fold(table)).or_default().push(column);
    }
    // CREATE INDEX statements, by table. Autoindexes of UNIQUE and PRIMARY
    // KEY constraints have no SQL: they are the constraints, read below.
    let mut index_sql: HashMap<String, Vec<&SchemaRow>> = HashMap::with_capacity(managed.len());
    for row in rows.iter().filter(|r| r.kind == "index" && r.sql.is_some()) {
        index_sql.entry(fold(&row.table)).or_default().push(row);
    }
    let read = |row: &SchemaRow, ncol: i64| {
        let key = fold(&row.name);
        let counted = catalog.foreign_keys.is_some();
        let reported =
            Reported { columns: ncol, foreign_keys: counted.then(|| fk_counts.get(&key).copied().unwrap_or(0)) };
        let table = read_table(
            row,
            reported,
            columns.get(&key).map(Vec::as_slice),
            index_sql.get(&key).map(Vec::as_slice).unwrap_or(&[]),
        );
        table.map(|t| (key, t))
    };
    // Reading the CREATE text of a big schema is half the work: on two
    // cores, half on each (the other core is otherwise idle by then, the
    // model read).
    const SPLIT_FROM: usize = 256;
    let read_all = |rows: &[(&SchemaRow, i64)]| -> Result<Vec<(String, Table)>, IntrospectError> {
        rows.iter().map(|(row, ncol)| read(row, *ncol)).collect()
    };
    let tables = if managed.len() >= SPLIT_FROM {
        let (first, second) = managed.split_at(managed.len() / 2);
        std::thread::scope(|s| {
            let other = s.spawn(|| read_all(second));
            let mine = read_all(first);
            let theirs =
                other.join().unwrap_or_else(|_| Err(IntrospectError::Query("reading the schema failed".into())));
            mine.and_then(|mut mine| {
                mine.extend(theirs?);
                Ok(mine)
            })
        })?
    } else {
        read_all(&managed)?
    };
    schema.tables.extend(tables);
    // An excluded table autogen cannot read stays out: excluding is how a
    // user keeps such a table away. Where its rows would need holding, the
    // run-time check of what references a rebuilt table finds it.
    for (key, table) in excluded.into_iter().filter_map(|(row, ncol)| read(row, ncol).ok()) {
        schema.outside.tables.insert(key, table);
    }
    for row in rows.iter().filter(|r| r.kind == "view" && !filter.skips(&r.name)) {
        let view = read_view(row)?;
        schema.views.insert(fold(&view.name), view);
    }
    let skipped_table = |t: &str| filter.skips(t) || schema.unmanaged.iter().any(|u| same_name(u, t));
    // An online rebuild's mirror triggers sit on the live table.
    for row in rows.iter().filter(|r| r.kind == "trigger" && !is_online_object(&r.name)) {
        let trigger =
            || Trigger { name: row.name.clone(), table: row.table.clone(), sql: row.sql.clone().unwrap_or_default() };
        if !skipped_table(&row.table) {
            schema.triggers.insert(fold(&row.name), trigger());
        } else if schema.outside.tables.contains_key(&fold(&row.table)) {
            schema.outside.triggers.insert(fold(&row.name), trigger());
        }
    }
    // The names of what the schema does not hold (the managed ones it
    // knows): a temporary name must avoid them too.
    let held = |r: &SchemaRow| match r.kind.as_str() {
        "table" => schema.tables.contains_key(&fold(&r.name)),
        "view" => schema.views.contains_key(&fold(&r.name)),
        "trigger" => schema.triggers.contains_key(&fold(&r.name)),
        _ => schema.tables.contains_key(&fold(&r.table)) && r.sql.is_some(),
    };
    let others: std::collections::BTreeSet<String> = rows.iter().filter(|r| !held(r)).map(|r| fold(&r.name)).collect();
    schema.outside.names = others;
    schema.unmanaged.sort();
    crate::schema::normalize::normalize(&mut schema);
    Ok(schema)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Virtual,
    Shadow,
}

/// A table as `PRAGMA table_list` (3.37+) reports it: its kind, which only
/// SQLite knows for certain for shadow tables, and its column count.
struct Listed {
    kind: Kind,
    ncol: i64,
}

fn table_list(catalog: &Catalog) -> HashMap<String, Listed> {
    let mut tables: HashMap<String, Listed> = catalog
        .listed
        .iter()
        .map(|l| {
            let kind = match l.kind.as_str() {
                "virtual" => Kind::Virtual,
                "shadow" => Kind::Shadow,
                _ => Kind::Plain,
            };
            (fold(&l.name), Listed { kind, ncol: l.ncol })
        })
        .collect();
    // A virtual table whose module this build lacks may be listed as a plain
    // table: its CREATE text says what it is.
    for row in catalog.rows.iter().filter(|r| r.kind == "table") {
        if row
            .sql
            .as_deref()
            .is_some_and(|s| s.trim_start().get(..14).is_some_and(|p| p.eq_ignore_ascii_case("create virtual")))
        {
            tables.entry(fold(&row.name)).or_insert(Listed { kind: Kind::Virtual, ncol: 0 }).kind = Kind::Virtual;
        }
    }
    tables
}

/// The columns as `pragma_table_xinfo` would report them, from the parsed
/// statement: SQLite fills that pragma from the same text.
fn declared_columns(parsed: &ddl::CreateTable) -> Vec<XColumn> {
    let mut table_key: Vec<&str> = parsed
        .constraints
        .iter()
        .find_map(|c| match c {
            TableConstraint::PrimaryKey { columns, .. } => {
                Some(columns.iter().map(|k| k.column.as_deref().unwrap_or(&k.expr)).collect())
            }
            _ => None,
        })
        .unwrap_or_default();
    if parsed.without_rowid {
        // SQLite drops repeated key columns of a WITHOUT ROWID table.
        let mut seen: Vec<&str> = Vec::new();
        table_key.retain(|k| {
            !seen.iter().any(|s| same_name(s, k)) && {
                seen.push(k);
                true
            }
        });
    }
    let mut columns: Vec<XColumn> = parsed
        .columns
        .iter()
        .map(|def| {
            let mut x = XColumn {
                name: def.name.clone(),
                ty: declared_type(&def.type_name),
                notnull: false,
                default: None,
                pk: 0,
                hidden: 0,
            };
            for c in &def.constraints {
                match &c.kind {
                    ColumnConstraintKind::NotNull { .. } => x.notnull = true,
                    // A later DEFAULT replaces an earlier one, as in SQLite.
                    ColumnConstraintKind::Default(text) => x.default = Some(default_text(text)),
                    ColumnConstraintKind::PrimaryKey { .. } => x.pk = 1,
                    ColumnConstraintKind::Generated { stored, .. } => x.hidden = if *stored { 3 } else { 2 },
                    _ => {}
                }
            }
            if let Some(at) = table_key.iter().position(|k| same_name(k, &def.name)) {
                x.pk = at as i64 + 1;
            }
            x
        })
        .collect();
    // SQLite makes key columns NOT NULL in a WITHOUT ROWID table (the key is
    // its storage key) and in a STRICT table, except a rowid alias there.
    let keyed = columns.iter().filter(|x| x.pk > 0).count();
    let alias = |x: &XColumn, def: &ddl::ColumnDef| {
        let desc = def
            .constraints
            .iter()
            .any(|c| matches!(c.kind, ColumnConstraintKind::PrimaryKey { order: Some(ddl::Order::Desc), .. }));
        keyed == 1 && !parsed.without_rowid && x.ty.eq_ignore_ascii_case("INTEGER") && !desc
    };
    for (x, def) in columns.iter_mut().zip(&parsed.columns) {
        if x.pk > 0 && (parsed.without_rowid || (parsed.strict && !alias(x, def))) {
            x.notnull = true;
        }
    }
    columns
}

/// The type as SQLite keeps it: the quotes of a type written as one
/// quoted token go (`sqlite3DequoteToken`), and then a type that starts
/// with a quote is cut at its closing quote (`sqlite3Dequote`), so
/// `"VARCHAR"(10)` is VARCHAR and `[TEXT]` is TEXT.
fn declared_type(type_name: &str) -> String {
    let is_quote = |c: char| matches!(c, '"' | '\'' | '`' | '[');
    let mut t = type_name;
    if t.len() >= 3 && t.starts_with(is_quote) {
        if let Some(inner) = t.get(1..t.len() - 1).filter(|i| !i.contains(is_quote)) {
            t = inner;
        }
    }
    let Some(open) = t.chars().next().filter(|c| is_quote(*c)) else {
        return t.to_string();
    };
    let close = if open == '[' { ']' } else { open };
    let mut out = String::new();
    let mut rest = t[1..].chars().peekable();
    while let Some(c) = rest.next() {
        if c != close {
            out.push(c);
        } else if rest.next_if_eq(&close).is_some() {
            out.push(close);
        } else {
            break;
        }
    }
    out
}

/// The default as SQLite keeps it: `DEFAULT (expr)` without its
/// parentheses and the blanks inside them (`sqlite3DbSpanDup`).
fn default_text(text: &str) -> String {
    match text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) => inner.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b').to_string(),
        None => text.to_string(),
    }
}

/// Debug builds (and so every test) check the columns read from the text
/// against `pragma_table_xinfo`, field by field.
fn cross_check_columns(table: &str, declared: &[XColumn], reported: &[&XColumn]) -> Result<(), IntrospectError> {
    let key = |x: &XColumn| (x.name.clone(), normalize_type(&x.ty), x.notnull, x.default.clone(), x.pk, x.hidden);
    let (ours, theirs): (Vec<_>, Vec<_>) =
        (declared.iter().map(key).collect(), reported.iter().filter(|x| x.hidden != 1).map(|x| key(x)).collect());
    if ours != theirs {
        return Err(IntrospectError::Mismatch {
            table: table.to_string(),
            message: format!("the columns read {ours:?}, SQLite reports {theirs:?}"),
        });
    }
    Ok(())
}

fn unreadable(kind: &'static str, name: &str, sql: &str, message: impl Into<String>) -> IntrospectError {
    IntrospectError::Unreadable { kind, name: name.to_string(), message: message.into(), sql: sql.to_string() }
}

/// What SQLite's PRAGMAs say of a table, to check the reader against.
struct Reported {
    columns: i64,
    /// `None` where they were not counted.
    foreign_keys: Option<usize>,
}

fn read_table(
    row: &SchemaRow,
    reported: Reported,
    pragma: Option<&[&XColumn]>,
    index_rows: &[&SchemaRow],
) -> Result<Table, IntrospectError> {
    let sql = row.sql.as_deref().unwrap_or_default();
    let parsed = match ddl::parse_create(sql) {
        Ok(Create::Table(t)) => t,
        Ok(_) => return Err(unreadable("table", &row.name, sql, "it is not a CREATE TABLE statement")),
        Err(e) => return Err(unreadable("table", &row.name, sql, e.to_string())),
    };
    let mismatch = |message: String| IntrospectError::Mismatch { table: row.name.clone(), message };
    // `AS SELECT` never reaches sqlite_schema (SQLite stores a column list),
    // but should it, the pragma knows the columns.
    let xcolumns = match (parsed.as_select, pragma) {
        (false, _) => declared_columns(&parsed),
        (true, Some(reported)) => reported.iter().map(|x| (*x).clone()).collect(),
        (true, None) => return Err(unreadable("table", &row.name, sql, "it is a CREATE TABLE ... AS SELECT")),
    };
    if !parsed.as_select && xcolumns.len() as i64 != reported.columns {
        return Err(mismatch(format!(
            "the statement declares {} columns, SQLite reports {}",
            xcolumns.len(),
            reported.columns
        )));
    }
    if let (Some(reported), false) = (pragma, parsed.as_select) {
        cross_check_columns(&row.name, &xcolumns, reported)?;
    }
    let visible: Vec<&XColumn> = xcolumns.iter().filter(|c| c.hidden != 1).collect();
    let declared = |name: &str| parsed.columns.iter().find(|c| same_name(&c.name, name));
    let mut table = Table {
        name: row.name.clone(),
        strict: parsed.strict,
        without_rowid: parsed.without_rowid,
        columns: Vec::with_capacity(visible.len()),
        ..Table::default()
    };
    for x in &visible {
        let def = declared(&x.name);
        if def.is_none() && !parsed.as_select {
            return Err(mismatch(format!("SQLite reports a column `{}` that the statement does not declare", x.name)));
        }
        table.columns.push(read_column(x, def));
    }
    let column_names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let canonical =
        |name: &str| column_names.iter().find(|c| same_name(c, name)).cloned().unwrap_or_else(|| name.to_string());
    table.primary_key = read_primary_key(&visible, &parsed, &canonical);
    for def in &parsed.columns {
        for c in &def.constraints {
            match &c.kind {
                ColumnConstraintKind::Unique { on_conflict } => table.uniques.push(UniqueConstraint {
                    name: c.name.clone(),
                    columns: vec![KeyColumn::plain(canonical(&def.name))],
                    on_conflict: *on_conflict,
                }),
                ColumnConstraintKind::Check(expr) => {
                    let check = CheckConstraint { name: c.name.clone(), expr: expr.clone() };
                    if let Some(column) = table.columns.iter_mut().find(|col| same_name(&col.name, &def.name)) {
                        column.checks.push(check);
                    }
                }
                ColumnConstraintKind::References(fk) => {
                    table.foreign_keys.push(foreign_key(c.name.clone(), vec![canonical(&def.name)], fk))
                }
                _ => {}
            }
        }
    }
    for c in &parsed.constraints {
        match c {
            TableConstraint::Unique { name, columns, on_conflict } => {
                let columns = columns
                    .iter()
                    .map(|k| KeyColumn {
                        name: canonical(k.column.as_deref().unwrap_or(&k.expr)),
                        collate: k.collate.as_ref().map(|c| c.to_ascii_uppercase()),
                        desc: k.order == Some(ddl::Order::Desc),
                    })
                    .collect();
                table.uniques.push(UniqueConstraint { name: name.clone(), columns, on_conflict: *on_conflict });
            }
            TableConstraint::Check { name, expr } => {
                table.checks.push(CheckConstraint { name: name.clone(), expr: expr.clone() })
            }
            TableConstraint::ForeignKey { name, columns, clause } => {
                table.foreign_keys.push(foreign_key(
                    name.clone(),
                    columns.iter().map(|c| canonical(c)).collect(),
                    clause,
                ));
            }
            TableConstraint::PrimaryKey { .. } => {}
        }
    }
    if let Some(reported) = reported.foreign_keys.filter(|n| *n != table.foreign_keys.len()) {
        return Err(mismatch(format!(
            "the statement declares {} foreign keys, SQLite reports {reported}",
            table.foreign_keys.len(),
        )));
    }
    for row in index_rows {
        table.indexes.push(read_index(row, &table)?);
    }
    Ok(table)
}

fn read_column(x: &XColumn, def: Option<&ddl::ColumnDef>) -> Column {
    let constraints = def.map(|d| d.constraints.as_slice()).unwrap_or(&[]);
    let mut column = Column {
        name: x.name.clone(),
        ty: normalize_type(&x.ty),
        nullable: !x.notnull,
        // `DEFAULT pending` is the string 'pending' to SQLite (a legacy
        // quirk): the schema says so, as the model must.
        default: x.default.as_deref().map(|d| {
            if crate::sql::lexer::is_bare_word(d) {
                crate::sql::quote::literal(d)
            } else {
                d.to_string()
            }
        }),
        ..Column::default()
    };
    for c in constraints {
        match &c.kind {
            ColumnConstraintKind::NotNull { on_conflict } => column.not_null_conflict = *on_conflict,
            ColumnConstraintKind::Collate(name) => column.collate = Some(name.to_ascii_uppercase()),
            ColumnConstraintKind::Generated { expr, stored } => {
                column.generated = Some(Generated { expr: expr.clone(), stored: *stored })
            }
            _ => {}
        }
    }
    if column.generated.is_none() && (x.hidden == 2 || x.hidden == 3) {
        // SQLite says generated; keep its kind even if the text was unusual.
        column.generated = Some(Generated { expr: String::new(), stored: x.hidden == 3 });
    }
    if column.nullable {
        column.not_null_conflict = None;
    }
    column
}

fn read_primary_key(
    columns: &[&XColumn],
    parsed: &ddl::CreateTable,
    canonical: &dyn Fn(&str) -> String,
) -> Option<PrimaryKey> {
    let mut keyed: Vec<&&XColumn> = columns.iter().filter(|c| c.pk > 0).collect();
    if keyed.is_empty() {
        return None;
    }
    keyed.sort_by_key(|c| c.pk);
    let mut pk = PrimaryKey {
        name: None,
        columns: keyed.iter().map(|c| c.name.clone()).collect(),
        on_conflict: None,
        autoincrement: false,
        desc: false,
    };
    for def in &parsed.columns {
        for c in &def.constraints {
            if let ColumnConstraintKind::PrimaryKey { on_conflict, autoincrement, order } = &c.kind {
                pk.name = c.name.clone();
                pk.on_conflict = *on_conflict;
                pk.autoincrement = *autoincrement;
                pk.desc = *order == Some(ddl::Order::Desc);
            }
        }
    }
    for c in &parsed.constraints {
        if let TableConstraint::PrimaryKey { name, on_conflict, autoincrement, columns } = c {
            pk.name = name.clone();
            pk.on_conflict = *on_conflict;
            pk.autoincrement = *autoincrement;
            // The declared order, which table_xinfo's pk positions follow too.
            let declared: Vec<String> =
                columns.iter().map(|k| canonical(k.column.as_deref().unwrap_or(&k.expr))).collect();
            if declared.len() == pk.columns.len() {
                pk.columns = declared;
            }
        }
    }
    Some(pk)
}

fn foreign_key(name: Option<String>, columns: Vec<String>, clause: &ddl::ForeignKeyClause) -> ForeignKey {
    ForeignKey {
        name,
        columns,
        ref_table: clause.table.clone(),
        ref_columns: clause.columns.clone(),
        on_delete: clause.on_delete.unwrap_or(FkAction::NoAction),
        on_update: clause.on_update.unwrap_or(FkAction::NoAction),
        deferrable: matches!(clause.deferrable, Some(ddl::Deferrable::Deferrable { initially_deferred: true })),
    }
}

/// An index from its CREATE INDEX text: a key that names a column of the
/// table is that column, anything else an expression (as `index_xinfo`'s
/// cid -2 would say; a lone `"x"` naming no column is SQLite's DQS string).
fn read_index(row: &SchemaRow, table: &Table) -> Result<Index, IntrospectError> {
    let sql = row.sql.as_deref().unwrap_or_default();
    let parsed = match ddl::parse_create(sql) {
        Ok(Create::Index(i)) => i,
        Ok(_) => return Err(unreadable("index", &row.name, sql, "it is not a CREATE INDEX statement")),
        Err(e) => return Err(unreadable("index", &row.name, sql, e.to_string())),
    };
    let columns = parsed
        .columns
        .iter()
        .map(|k| {
            let named = k.column.as_deref().and_then(|n| table.column(n)).map(|c| c.name.clone());
            let rowid = k
                .column
                .as_deref()
                .filter(|n| table.column(n).is_none() && !table.without_rowid && crate::schema::is_rowid_name(n));
            let key = match (named, rowid) {
                (Some(name), _) => IndexKey::Column(name),
                (None, Some(r)) => IndexKey::Column(r.to_string()),
                (None, None) => IndexKey::Expression(k.expr.clone()),
            };
            IndexColumn {
                key,
                collate: k.collate.as_ref().map(|c| c.to_ascii_uppercase()),
                desc: k.order == Some(ddl::Order::Desc),
            }
        })
        .collect();
    Ok(Index { name: row.name.clone(), unique: parsed.unique, columns, where_clause: parsed.where_clause })
}

fn read_view(row: &SchemaRow) -> Result<View, IntrospectError> {
    let sql = row.sql.as_deref().unwrap_or_default();
    match ddl::parse_create(sql) {
        Ok(Create::View(v)) => Ok(View { name: row.name.clone(), columns: v.columns, sql: v.select }),
        Ok(_) => Err(unreadable("view", &row.name, sql, "it is not a CREATE VIEW statement")),
        Err(e) => Err(unreadable("view", &row.name, sql, e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_exclude_patterns() {
        assert!(glob_match("spatial_*", "spatial_ref_sys"));
        assert!(glob_match("legacy_*", "LEGACY_users"));
        assert!(glob_match("t?", "t1"));
        assert!(!glob_match("t?", "t12"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "ac"));
        assert!(wildcard_match("t[12].db", "t1.db") && wildcard_match("t[12].db", "t2.db"));
        assert!(!wildcard_match("t[12].db", "t3.db") && !wildcard_match("t[12].db", "t12.db"));
        assert!(wildcard_match("t[0-9]*", "t42") && !wildcard_match("t[0-9]*", "tx"));
        assert!(wildcard_match("t[!0-9]", "tx") && !wildcard_match("t[!0-9]", "t4"));
        assert!(wildcard_match("*[ab]", "xxb") && wildcard_match("a[b", "a[b") && !wildcard_match("a[b", "ab"));
        assert!(glob_match("a*b*c", "aXbYc"));
    }
}
