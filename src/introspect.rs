//! A live database into a [`Schema`] (sqlite.md, "Introspection").
//!
//! PRAGMAs give what they expose: columns, declared types, NOT NULL,
//! defaults, key positions, generated-column kinds, index keys and order,
//! foreign-key counts, STRICT and WITHOUT ROWID. The stored CREATE text gives
//! the rest (constraint names, CHECKs, collations, generated expressions,
//! index expressions and WHERE, AUTOINCREMENT, conflict clauses), read by
//! `sql::ddl`. The two are cross-checked: a reader that disagrees with SQLite
//! is an error, never a silent guess.
//!
//! Each PRAGMA is queried once for all tables, as a table-valued function
//! joined on `sqlite_schema`: one statement per kind, not one per table.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::schema::*;
use crate::sql::ddl::{self, ColumnConstraintKind, Statement, TableConstraint};
use crate::types::normalize_type;

#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    #[error("cannot read the schema: {0}")]
    Sqlite(#[from] rusqlite::Error),
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
    /// Glob patterns from `exclude` (`*` and `?`), matched case-insensitively.
    pub exclude: Vec<String>,
}

impl Filter {
    pub fn skips(&self, name: &str) -> bool {
        name.to_ascii_lowercase().starts_with("sqlite_") || self.ignore.iter().any(|n| same_name(n, name)) || self.exclude.iter().any(|g| glob_match(g, name))
    }
}

/// `*` any run, `?` one character; ASCII case-insensitive like SQLite names.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let n: Vec<char> = name.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
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

struct SchemaRow {
    kind: String,
    name: String,
    table: String,
    sql: Option<String>,
}

struct XColumn {
    name: String,
    ty: String,
    notnull: bool,
    default: Option<String>,
    pk: i64,
    hidden: i64,
}

/// Reads the whole schema of `conn`'s main database.
///
/// ```
/// use autogen::introspect::{introspect, Filter};
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
pub fn introspect(conn: &Connection, filter: &Filter) -> Result<Schema, IntrospectError> {
    let rows = schema_rows(conn)?;
    let kinds = table_kinds(conn, &rows)?;
    let mut schema = Schema::default();
    let mut managed: Vec<&SchemaRow> = Vec::new();
    for row in rows.iter().filter(|r| r.kind == "table") {
        if filter.skips(&row.name) {
            continue;
        }
        match kinds.get(&fold(&row.name)).map(String::as_str) {
            Some("virtual") | Some("shadow") => schema.unmanaged.push(row.name.clone()),
            _ => managed.push(row),
        }
    }
    let columns = table_columns(conn)?;
    let fk_counts = foreign_key_counts(conn)?;
    // CREATE INDEX statements, by table. Autoindexes of UNIQUE and PRIMARY
    // KEY constraints have no SQL: they are the constraints, read below.
    let mut index_sql: HashMap<String, Vec<&SchemaRow>> = HashMap::new();
    for row in rows.iter().filter(|r| r.kind == "index" && r.sql.is_some()) {
        index_sql.entry(fold(&row.table)).or_default().push(row);
    }
    for row in managed {
        let key = fold(&row.name);
        let table = read_table(
            row,
            columns.get(&key).map(Vec::as_slice).unwrap_or(&[]),
            index_sql.get(&key).map(Vec::as_slice).unwrap_or(&[]),
            fk_counts.get(&key).copied().unwrap_or(0),
        )?;
        schema.tables.insert(key, table);
    }
    for row in rows.iter().filter(|r| r.kind == "view" && !filter.skips(&r.name)) {
        let view = read_view(row)?;
        schema.views.insert(fold(&view.name), view);
    }
    let skipped_table = |t: &str| filter.skips(t) || schema.unmanaged.iter().any(|u| same_name(u, t));
    for row in rows.iter().filter(|r| r.kind == "trigger" && !skipped_table(&r.table)) {
        let sql = row.sql.clone().unwrap_or_default();
        schema.triggers.insert(fold(&row.name), Trigger { name: row.name.clone(), table: row.table.clone(), sql });
    }
    schema.unmanaged.sort();
    crate::normalize::normalize(&mut schema);
    Ok(schema)
}

fn schema_rows(conn: &Connection) -> rusqlite::Result<Vec<SchemaRow>> {
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY rowid")?;
    let rows = stmt.query_map([], |r| Ok(SchemaRow { kind: r.get(0)?, name: r.get(1)?, table: r.get(2)?, sql: r.get(3)? }))?;
    rows.collect()
}

/// `table`, `virtual` or `shadow` per table, from `PRAGMA table_list`
/// (3.37+), which alone knows shadow tables for certain.
fn table_kinds(conn: &Connection, rows: &[SchemaRow]) -> rusqlite::Result<HashMap<String, String>> {
    let mut stmt = conn.prepare("SELECT name, type FROM pragma_table_list WHERE schema = 'main'")?;
    let listed = stmt.query_map([], |r| Ok((fold(&r.get::<_, String>(0)?), r.get::<_, String>(1)?)))?;
    let mut kinds: HashMap<String, String> = listed.collect::<rusqlite::Result<_>>()?;
    // A virtual table whose module this build lacks may be listed as a plain
    // table: its CREATE text says what it is.
    for row in rows.iter().filter(|r| r.kind == "table") {
        if row.sql.as_deref().is_some_and(|s| s.trim_start().get(..14).is_some_and(|p| p.eq_ignore_ascii_case("create virtual"))) {
            kinds.insert(fold(&row.name), "virtual".to_string());
        }
    }
    Ok(kinds)
}

/// The tables whose PRAGMA functions can be called: a virtual table whose
/// module is missing would fail the whole join.
const PLAIN_TABLES: &str = "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND upper(substr(ltrim(sql), 1, 14)) <> 'CREATE VIRTUAL'";

fn table_columns(conn: &Connection) -> rusqlite::Result<HashMap<String, Vec<XColumn>>> {
    let sql =
        format!("SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden FROM ({PLAIN_TABLES}) AS m JOIN pragma_table_xinfo(m.name) AS p");
    let mut stmt = conn.prepare(&sql)?;
    let mut out: HashMap<String, Vec<XColumn>> = HashMap::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let table: String = r.get(0)?;
        out.entry(fold(&table)).or_default().push(XColumn {
            name: r.get(1)?,
            ty: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            notnull: r.get::<_, i64>(3)? != 0,
            default: r.get(4)?,
            pk: r.get(5)?,
            hidden: r.get(6)?,
        });
    }
    Ok(out)
}

fn foreign_key_counts(conn: &Connection) -> rusqlite::Result<HashMap<String, usize>> {
    let sql = format!("SELECT m.name, count(DISTINCT f.id) FROM ({PLAIN_TABLES}) AS m JOIN pragma_foreign_key_list(m.name) AS f GROUP BY m.name");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| Ok((fold(&r.get::<_, String>(0)?), r.get::<_, i64>(1)? as usize)))?;
    rows.collect()
}

fn unreadable(kind: &'static str, name: &str, sql: &str, message: impl Into<String>) -> IntrospectError {
    IntrospectError::Unreadable { kind, name: name.to_string(), message: message.into(), sql: sql.to_string() }
}

fn read_table(row: &SchemaRow, xcolumns: &[XColumn], index_rows: &[&SchemaRow], fk_count: usize) -> Result<Table, IntrospectError> {
    let sql = row.sql.as_deref().unwrap_or_default();
    let parsed = match ddl::parse_create(sql) {
        Ok(Statement::CreateTable(t)) => t,
        Ok(_) => return Err(unreadable("table", &row.name, sql, "it is not a CREATE TABLE statement")),
        Err(e) => return Err(unreadable("table", &row.name, sql, e.to_string())),
    };
    let mismatch = |message: String| IntrospectError::Mismatch { table: row.name.clone(), message };
    let visible: Vec<&XColumn> = xcolumns.iter().filter(|c| c.hidden != 1).collect();
    if !parsed.as_select && parsed.columns.len() != visible.len() {
        return Err(mismatch(format!("the statement declares {} columns, SQLite reports {}", parsed.columns.len(), visible.len())));
    }
    let declared = |name: &str| parsed.columns.iter().find(|c| same_name(&c.name, name));
    let mut table = Table { name: row.name.clone(), strict: parsed.strict, without_rowid: parsed.without_rowid, ..Table::default() };
    for x in &visible {
        let def = declared(&x.name);
        if def.is_none() && !parsed.as_select {
            return Err(mismatch(format!("SQLite reports a column `{}` that the statement does not declare", x.name)));
        }
        table.columns.push(read_column(x, def));
    }
    let column_names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let canonical = |name: &str| column_names.iter().find(|c| same_name(c, name)).cloned().unwrap_or_else(|| name.to_string());
    table.primary_key = read_primary_key(&visible, &parsed, &canonical);
    for def in &parsed.columns {
        for c in &def.constraints {
            match &c.kind {
                ColumnConstraintKind::Unique { on_conflict } => {
                    table.uniques.push(UniqueConstraint { name: c.name.clone(), columns: vec![canonical(&def.name)], on_conflict: *on_conflict })
                }
                ColumnConstraintKind::Check(expr) => table.checks.push(CheckConstraint { name: c.name.clone(), expr: expr.clone() }),
                ColumnConstraintKind::References(fk) => table.foreign_keys.push(foreign_key(c.name.clone(), vec![canonical(&def.name)], fk)),
                _ => {}
            }
        }
    }
    for c in &parsed.constraints {
        match c {
            TableConstraint::Unique { name, columns, on_conflict } => {
                let columns = columns.iter().map(|k| canonical(k.column.as_deref().unwrap_or(&k.expr))).collect();
                table.uniques.push(UniqueConstraint { name: name.clone(), columns, on_conflict: *on_conflict });
            }
            TableConstraint::Check { name, expr } => table.checks.push(CheckConstraint { name: name.clone(), expr: expr.clone() }),
            TableConstraint::ForeignKey { name, columns, clause } => {
                table.foreign_keys.push(foreign_key(name.clone(), columns.iter().map(|c| canonical(c)).collect(), clause));
            }
            TableConstraint::PrimaryKey { .. } => {}
        }
    }
    if table.foreign_keys.len() != fk_count {
        return Err(mismatch(format!("the statement declares {} foreign keys, SQLite reports {fk_count}", table.foreign_keys.len())));
    }
    for row in index_rows {
        table.indexes.push(read_index(row, &table)?);
    }
    Ok(table)
}

fn read_column(x: &XColumn, def: Option<&ddl::ColumnDef>) -> Column {
    let constraints = def.map(|d| d.constraints.as_slice()).unwrap_or(&[]);
    let mut column = Column { name: x.name.clone(), ty: normalize_type(&x.ty), nullable: !x.notnull, default: x.default.clone(), ..Column::default() };
    for c in constraints {
        match &c.kind {
            ColumnConstraintKind::NotNull { on_conflict } => column.not_null_conflict = *on_conflict,
            ColumnConstraintKind::Collate(name) => column.collate = Some(name.to_ascii_uppercase()),
            ColumnConstraintKind::Generated { expr, stored } => column.generated = Some(Generated { expr: expr.clone(), stored: *stored }),
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

fn read_primary_key(columns: &[&XColumn], parsed: &ddl::CreateTable, canonical: &dyn Fn(&str) -> String) -> Option<PrimaryKey> {
    let mut keyed: Vec<&&XColumn> = columns.iter().filter(|c| c.pk > 0).collect();
    if keyed.is_empty() {
        return None;
    }
    keyed.sort_by_key(|c| c.pk);
    let mut pk = PrimaryKey { name: None, columns: keyed.iter().map(|c| c.name.clone()).collect(), on_conflict: None, autoincrement: false };
    for def in &parsed.columns {
        for c in &def.constraints {
            if let ColumnConstraintKind::PrimaryKey { on_conflict, autoincrement, .. } = &c.kind {
                pk.name = c.name.clone();
                pk.on_conflict = *on_conflict;
                pk.autoincrement = *autoincrement;
            }
        }
    }
    for c in &parsed.constraints {
        if let TableConstraint::PrimaryKey { name, on_conflict, autoincrement, columns } = c {
            pk.name = name.clone();
            pk.on_conflict = *on_conflict;
            pk.autoincrement = *autoincrement;
            // The declared order, which table_xinfo's pk positions follow too.
            let declared: Vec<String> = columns.iter().map(|k| canonical(k.column.as_deref().unwrap_or(&k.expr))).collect();
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
        Ok(Statement::CreateIndex(i)) => i,
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
                .filter(|n| table.column(n).is_none() && !table.without_rowid && ["rowid", "oid", "_rowid_"].iter().any(|r| r.eq_ignore_ascii_case(n)));
            let key = match (named, rowid) {
                (Some(name), _) => IndexKey::Column(name),
                (None, Some(r)) => IndexKey::Column(r.to_string()),
                (None, None) => IndexKey::Expression(k.expr.clone()),
            };
            IndexColumn { key, collate: k.collate.as_ref().map(|c| c.to_ascii_uppercase()), desc: k.order == Some(ddl::Order::Desc) }
        })
        .collect();
    Ok(Index { name: row.name.clone(), unique: parsed.unique, columns, where_clause: parsed.where_clause })
}

fn read_view(row: &SchemaRow) -> Result<View, IntrospectError> {
    let sql = row.sql.as_deref().unwrap_or_default();
    match ddl::parse_create(sql) {
        Ok(Statement::CreateView(v)) => Ok(View { name: row.name.clone(), columns: v.columns, sql: v.select }),
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
        assert!(glob_match("a*b*c", "aXbYc"));
    }
}
