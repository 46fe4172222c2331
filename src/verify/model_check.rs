//! The model checked by SQLite itself: each model object that differs from
//! the database is built in an in-memory SQLite, and what SQLite refuses is
//! an error at the model entry that holds it.

use std::collections::{HashMap, HashSet};

use crate::schema::ddl;
use crate::schema::*;
use crate::source::model::{Model, ModelError, SourceMap};
use crate::sql::sqlite_message;

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

    /// The model objects a diff adds or changes, and the model's views and
    /// triggers that read a table it changes, renames or removes (or a view
    /// so selected): SQLite took them over the database's tables, and
    /// checks a view's columns or a trigger's body only when it is built
    /// over the model's (a dropped column that a kept view still names).
    pub fn changed_by(diff: &crate::diff::Diff, model: &Schema) -> Selection {
        use crate::diff::Change;
        let mut sel = Selection::default();
        // Tables whose columns or existence the diff changes, by name.
        let mut touched: Vec<String> = Vec::new();
        for change in &diff.changes {
            match change {
                Change::RemoveTable(table) => touched.push(table.name.clone()),
                Change::RemoveView(_) | Change::RemoveTrigger(_) => {}
                Change::AddView(view) => {
                    sel.views.insert(fold(&view.name));
                }
                Change::AddTrigger(trigger) => {
                    sel.triggers.insert(fold(&trigger.name));
                }
                Change::RenameTable { from, to } => touched.extend([from.clone(), to.clone()]),
                other => {
                    sel.tables.insert(fold(other.subject()));
                    touched.push(other.subject().to_string());
                }
            }
        }
        if model.views.is_empty() && model.triggers.is_empty() || touched.is_empty() && sel.views.is_empty() {
            return sel;
        }
        let mut touched: HashSet<String> = touched.iter().map(|n| fold(n)).collect();
        // Each view's and trigger's names, read once.
        let view_names: Vec<(&String, &View, HashSet<String>)> =
            model.views.iter().map(|(k, v)| (k, v, identifiers(&v.sql))).collect();
        // Views over views: until no more are found; a view read is touched too.
        loop {
            let before = sel.views.len();
            for (key, view, names) in &view_names {
                if sel.views.contains(*key) || names.iter().any(|n| n == "*" || touched.contains(n)) {
                    sel.views.insert((*key).clone());
                    touched.insert(fold(&view.name));
                }
            }
            if sel.views.len() == before {
                break;
            }
        }
        for (key, trigger) in &model.triggers {
            let reads = identifiers(&trigger.sql).iter().any(|n| n == "*" || touched.contains(n));
            if reads || touched.contains(&fold(&trigger.table)) {
                sel.triggers.insert(key.clone());
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

/// The names `sql` uses, folded (every identifier; SQL that does not read
/// names everything, which selects it).
fn identifiers(sql: &str) -> HashSet<String> {
    use crate::sql::lexer::{tokenize, TokenKind};
    match tokenize(sql) {
        Ok(tokens) => tokens
            .iter()
            .filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::Quoted))
            .filter_map(|t| t.name())
            .map(|n| fold(&n))
            .collect(),
        Err(_) => HashSet::from(["*".to_string()]),
    }
}

/// Builds the selected objects of the model in an in-memory SQLite: what
/// SQLite itself rejects (an expression it cannot parse, a default that is
/// not constant, a view over a missing column, a compound SELECT whose
/// sides differ) is an error at the model entry that holds it, before
/// anything is planned or written.
///
/// ```
/// use std::path::Path;
/// let yaml = "tables: [{name: t, columns: [{name: a, type: TEXT, server_default: \"a + 1\"}]}]";
/// let model = autogen::parse_model(yaml, Path::new("m.yaml")).unwrap();
/// let error = autogen::check_model(&model, &autogen::Selection::everything()).unwrap_err().to_string();
/// assert!(error.starts_with("m.yaml:1:"), "{error}");
/// ```
pub fn check_model(model: &Model, selection: &Selection) -> Result<(), ModelError> {
    let check = Check::new(&model.schema, &model.map);
    check.select(selection.clone());
    check.work();
    check.finish()
}

/// [`check_model`] in parts, so that several threads can share it:
/// each thread that calls [`Check::work`] builds tables until none are
/// left, then [`Check::finish`] builds the views and triggers and gives
/// the first error in file order, whichever thread found it.
///
/// The work may start before the selection is known ([`Check::select`]):
/// a core that would wait for the comparison builds tables in file order
/// meanwhile, and an error in a table that turns out not to be selected is
/// dropped.
///
/// Tables are built with only what they need: every CREATE makes SQLite
/// rescan `sqlite_schema`, so building the whole model in one database
/// would take time quadratic in its size. A table's CHECKs, defaults and
/// generated columns cannot name another table, so tables are built side
/// by side and thrown away in batches (a rollback is cheaper than a DROP).
pub struct Check<'a> {
    schema: &'a Schema,
    map: &'a SourceMap,
    /// Set once, under the `errors` lock.
    selection: std::sync::OnceLock<Selection>,
    /// Every table, in file order.
    tables: Vec<(&'a String, &'a Table)>,
    /// The next table to build.
    next: std::sync::atomic::AtomicUsize,
    /// The lowest selected table that failed so far (`usize::MAX` for
    /// none): tables after it need not be built.
    failed: std::sync::atomic::AtomicUsize,
    /// Errors by table, selected or not; `None` for one that is no table's.
    errors: std::sync::Mutex<Vec<(Option<usize>, ModelError)>>,
}

impl<'a> Check<'a> {
    pub fn new(schema: &'a Schema, map: &'a SourceMap) -> Check<'a> {
        Check {
            schema,
            map,
            selection: std::sync::OnceLock::new(),
            tables: in_file_order(schema.tables.iter(), &map.tables),
            next: 0.into(),
            failed: usize::MAX.into(),
            errors: Default::default(),
        }
    }

    /// Says which objects are checked; the errors found so far in
    /// selected tables count from here on.
    pub fn select(&self, selection: Selection) {
        let errors = self.lock_errors();
        let selection = self.selection.get_or_init(|| selection);
        for (i, _) in errors.iter() {
            if let Some(i) = *i {
                if selection.table(self.tables[i].0) {
                    self.failed.fetch_min(i, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    }

    /// Builds tables until there are none left or one before them failed.
    pub fn work(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        // Tables taken from here since the last rollback.
        const BATCH: usize = 32;
        let conn = match in_memory(self.map) {
            Ok(conn) => conn,
            Err(e) => return self.fail(None, e),
        };
        let mut built = 0;
        loop {
            // Taken in order, so every table before a failure is built by someone.
            let i = self.next.fetch_add(1, Relaxed);
            if i >= self.tables.len() || i > self.failed.load(Relaxed) {
                return;
            }
            let (key, table) = self.tables[i];
            if self.selection.get().is_some_and(|s| !s.table(key)) {
                continue;
            }
            if let Err(e) = self.build_table(&conn, key, table) {
                self.fail(Some(i), e);
            }
            built += 1;
            if built % BATCH == 0 {
                let _ = conn.execute_batch("ROLLBACK TO batch");
            }
        }
    }

    /// Whether a selected table has failed so far.
    pub fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::Relaxed) != usize::MAX
    }

    fn lock_errors(&self) -> std::sync::MutexGuard<'_, Vec<(Option<usize>, ModelError)>> {
        self.errors.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fail(&self, table: Option<usize>, e: ModelError) {
        let mut errors = self.lock_errors();
        let counts = match (table, self.selection.get()) {
            (Some(i), Some(selection)) => selection.table(self.tables[i].0),
            // Counted by `select` if the table is selected.
            (Some(_), None) => false,
            (None, _) => true,
        };
        if counts {
            self.failed.fetch_min(table.unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
        }
        errors.push((table, e));
    }

    fn build_table(&self, conn: &rusqlite::Connection, key: &str, table: &Table) -> Result<(), ModelError> {
        let map = self.map;
        let to_compile: Vec<&Index> = table.indexes.iter().filter(|i| !plain_index(i)).collect();
        // SQLite checks a CREATE TABLE while compiling it (sqlite3EndTable
        // resolves CHECKs, defaults and generated columns); running it only
        // stores the table, which only an index to compile needs.
        let sql = ddl::create_table(table, &table.name);
        let built = if to_compile.is_empty() { conn.prepare(&sql).map(|_| ()) } else { conn.execute_batch(&sql) };
        if let Err(e) = built {
            return Err(column_error(table, map).unwrap_or_else(|| {
                map.error(
                    map.tables.get(key).copied(),
                    format!("table `{}`: SQLite rejects it: {}", table.name, sqlite_message(&e)),
                )
            }));
        }
        // Compiling a CREATE INDEX resolves its columns and expressions;
        // running it would only build an empty index.
        for index in to_compile {
            if let Err(e) = conn.prepare(&ddl::create_index(index, table)) {
                let at = map.indexes.get(&fold(&index.name)).or(map.tables.get(key)).copied();
                return Err(map.error(
                    at,
                    format!("index `{}` on `{}`: SQLite rejects it: {}", index.name, table.name, sqlite_message(&e)),
                ));
            }
        }
        Ok(())
    }

    /// The first table error in file order, else the views and triggers
    /// built, each with the tables and views it reads.
    pub fn finish(self) -> Result<(), ModelError> {
        let selection = self.selection.into_inner().unwrap_or_else(Selection::everything);
        let tables = self.tables;
        let errors = self.errors.into_inner().unwrap_or_else(|p| p.into_inner());
        let counted = errors.into_iter().filter(|(i, _)| i.is_none_or(|i| selection.table(tables[i].0)));
        if let Some((_, e)) = counted.min_by_key(|(i, _)| i.unwrap_or(0)) {
            return Err(e);
        }
        let (schema, map, selection) = (self.schema, self.map, &selection);
        if !selection.all && selection.views.is_empty() && selection.triggers.is_empty() {
            return Ok(());
        }
        let conn = in_memory(map)?;
        for (key, view) in in_file_order(schema.views.iter().filter(|(k, _)| selection.view(k)), &map.views) {
            let at = map.views.get(key).copied();
            let built = build_with_dependencies(&conn, schema, &view.sql).and_then(|created| {
                let result = conn.execute_batch(&ddl::create_view(view)).and_then(|_| {
                    conn.prepare(&format!("SELECT * FROM {} LIMIT 0", crate::sql::quote::ident(&view.name))).map(|_| ())
                });
                let _ = conn.execute_batch(&ddl::drop_view(&view.name));
                drop_all(&conn, created);
                result
            });
            if let Err(e) = built {
                return Err(map.error(at, format!("view `{}`: SQLite rejects it: {}", view.name, sqlite_message(&e))));
            }
        }
        for (key, trigger) in in_file_order(schema.triggers.iter().filter(|(k, _)| selection.trigger(k)), &map.triggers)
        {
            let at = map.triggers.get(key).copied();
            let built = build_with_dependencies(&conn, schema, &format!("{} {}", trigger.table, trigger.sql)).and_then(
                |created| {
                    let result = conn.execute_batch(&trigger.sql).and_then(|()| compile_body(&conn, trigger));
                    let _ = conn.execute_batch(&ddl::drop_trigger(&trigger.name));
                    drop_all(&conn, created);
                    result
                },
            );
            if let Err(e) = built {
                return Err(
                    map.error(at, format!("trigger `{}`: SQLite rejects it: {}", trigger.name, sqlite_message(&e)))
                );
            }
        }
        Ok(())
    }
}

/// SQLite checks a trigger's body only when a statement that fires it is
/// compiled: compiling one on its table (or view) finds a body that names
/// a missing column or table.
fn compile_body(conn: &rusqlite::Connection, trigger: &Trigger) -> rusqlite::Result<()> {
    use crate::sql::ddl::{Create, TriggerEvent};
    let Ok(Create::Trigger(parsed)) = crate::sql::ddl::parse_create(&trigger.sql) else { return Ok(()) };
    let target = crate::sql::quote::ident(&trigger.table);
    let sql = match parsed.event {
        TriggerEvent::Insert => format!("INSERT INTO {target} DEFAULT VALUES"),
        TriggerEvent::Delete => format!("DELETE FROM {target}"),
        TriggerEvent::Update => {
            // Every column but generated ones, which no UPDATE may set.
            let mut probe = conn.prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden = 0 ORDER BY cid")?;
            let columns: Vec<String> =
                probe.query_map([&trigger.table], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            let set: Vec<String> = columns.iter().map(|c| format!("{0} = {0}", crate::sql::quote::ident(c))).collect();
            if set.is_empty() {
                return Ok(());
            }
            format!("UPDATE {target} SET {}", set.join(", "))
        }
    };
    conn.prepare(&sql).map(drop)
}

/// Entries in the order the model file gives them (the schema keeps them
/// by name), so that the first error reported is the first in the file.
fn in_file_order<'a, T>(
    entries: impl Iterator<Item = (&'a String, &'a T)>,
    at: &HashMap<String, (u32, u32)>,
) -> Vec<(&'a String, &'a T)> {
    let mut entries: Vec<_> = entries.collect();
    entries.sort_by_cached_key(|(k, _)| at.get(*k).copied().unwrap_or((u32::MAX, u32::MAX)));
    entries
}

/// An index SQLite has nothing to say about once the model's own checks
/// passed: named columns of its table (checked by name when the model is
/// read), built-in collations, no WHERE. Expressions, other collations and
/// WHERE clauses are compiled by SQLite.
fn plain_index(index: &Index) -> bool {
    index.where_clause.is_none()
        && index.columns.iter().all(|c| {
            matches!(c.key, IndexKey::Column(_))
                && c.collate.as_deref().is_none_or(|c| matches!(c, "BINARY" | "NOCASE" | "RTRIM"))
        })
}

/// An in-memory database inside a transaction that is never committed (the
/// database is thrown away, so a commit after every statement would be
/// wasted work), with a savepoint `batch` to roll back to.
fn in_memory(map: &SourceMap) -> Result<rusqlite::Connection, ModelError> {
    let conn = rusqlite::Connection::open_in_memory()
        .map_err(|e| map.error(None, format!("cannot open an in-memory database: {e}")))?;
    // Without foreign-key enforcement, compiling a statement on a child table
    // (a trigger's check) does not need its parent built too.
    conn.execute_batch("PRAGMA foreign_keys = OFF; BEGIN; SAVEPOINT batch")
        .map_err(|e| map.error(None, format!("cannot use an in-memory database: {e}")))?;
    Ok(conn)
}

/// Creates the tables and views that `sql` names (views through what they
/// read in turn); returns what it created, views last.
fn build_with_dependencies(
    conn: &rusqlite::Connection,
    schema: &Schema,
    sql: &str,
) -> rusqlite::Result<Vec<(bool, String)>> {
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
        conn.execute_batch(&ddl::create_table(t, &t.name))?;
        created.push((true, t.name.clone()));
    }
    for v in crate::schema::order::views_in_order(views.into_iter()) {
        if conn.execute_batch(&ddl::create_view(v)).is_ok() {
            created.push((false, v.name.clone()));
        }
    }
    Ok(created)
}

fn drop_all(conn: &rusqlite::Connection, created: Vec<(bool, String)>) {
    for (is_table, name) in created.into_iter().rev() {
        let sql = if is_table { ddl::drop_table(&name) } else { ddl::drop_view(&name) };
        let _ = conn.execute_batch(&sql);
    }
}

/// When a table is refused, the column whose default or generated
/// expression SQLite refuses on its own, if one is.
/// The part of a table SQLite rejects, found by compiling each part alone
/// beside every column's bare name and type (a default, a collation, a
/// generated expression or a CHECK may name the other columns): the error
/// then points at that part's entry and names it.
fn column_error(table: &Table, map: &SourceMap) -> Option<ModelError> {
    let conn = rusqlite::Connection::open_in_memory().ok()?;
    let bare: Vec<Column> = table
        .columns
        .iter()
        .map(|c| Column { name: c.name.clone(), ty: c.ty.clone(), nullable: true, ..Column::default() })
        .collect();
    let with = |i: usize, column: Column, checks: Vec<CheckConstraint>| {
        let mut columns = bare.clone();
        columns[i] = column;
        Table { name: "t".into(), columns, checks, ..Table::default() }
    };
    // Compiled, not run: compiling checks the table, and nothing is stored.
    let rejects = |t: &Table| conn.prepare(&ddl::create_table(t, "t")).err().map(|e| crate::sql::sqlite_message(&e));
    let key = fold(&table.name);
    for (i, column) in table.columns.iter().enumerate() {
        let at = map.columns.get(&(key.clone(), fold(&column.name))).copied();
        let name = format!("`{}.{}`", table.name, column.name);
        let part = |f: &dyn Fn(&mut Column)| {
            let mut c = bare[i].clone();
            f(&mut c);
            c
        };
        let parts: Vec<(String, Column)> = [
            column.default.as_ref().map(|d| {
                (format!("server_default `{d}` is not a valid SQL expression"), part(&|c| c.default = Some(d.clone())))
            }),
            column
                .collate
                .as_ref()
                .map(|k| (format!("collation `{k}`: SQLite rejects it"), part(&|c| c.collate = Some(k.clone())))),
            column.generated.as_ref().map(|g| {
                let what = format!("generated expression `{}`: SQLite rejects it", g.expr);
                (what, part(&|c| c.generated = Some(g.clone())))
            }),
        ]
        .into_iter()
        .flatten()
        .chain(
            column
                .checks
                .iter()
                .map(|k| (format!("check `{}`: SQLite rejects it", k.expr), part(&|c| c.checks = vec![k.clone()]))),
        )
        .collect();
        for (what, alone) in parts {
            if let Some(message) = rejects(&with(i, alone, Vec::new())) {
                return Some(map.error(at, format!("{name}: {what}: {message}")));
            }
        }
        if let Some(message) = rejects(&with(i, column.clone(), Vec::new())) {
            return Some(map.error(at, format!("{name}: SQLite rejects the column: {message}")));
        }
    }
    for (n, check) in table.checks.iter().enumerate() {
        let alone = Table { name: "t".into(), columns: bare.clone(), checks: vec![check.clone()], ..Table::default() };
        if let Some(message) = rejects(&alone) {
            let at = map.checks.get(&(key.clone(), n)).or(map.tables.get(&key)).copied();
            let named = check.name.as_ref().map(|c| format!(" `{c}`")).unwrap_or_default();
            let what = format!("table `{}`: check{named} `{}`: SQLite rejects it: {message}", table.name, check.expr);
            return Some(map.error(at, what));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::model::parse;

    fn check(yaml: &str) -> Result<(), ModelError> {
        let model = parse(yaml, std::path::Path::new("m.yaml")).unwrap();
        check_model(&model, &Selection::everything())
    }

    /// Work started before the comparison is done counts only for the
    /// tables it selects, whichever thread built them and when.
    #[test]
    fn tables_checked_before_the_selection_count_only_if_selected() {
        let yaml = "tables:
  - {name: ok, columns: [{name: a, type: TEXT}]}
  - {name: bad, columns: [{name: a, type: TEXT, server_default: \"a + 1\"}]}
  - {name: worse, columns: [{name: b, type: TEXT, server_default: \"b + 1\"}]}
";
        let model = parse(yaml, std::path::Path::new("m.yaml")).unwrap();
        let only =
            |names: &[&str]| Selection { tables: names.iter().map(|n| n.to_string()).collect(), ..Default::default() };
        for before in [true, false] {
            let outcome = |selection: Selection| {
                let check = Check::new(&model.schema, &model.map);
                if before {
                    check.work();
                    assert!(!check.failed(), "nothing is selected yet");
                }
                check.select(selection);
                check.work();
                let failed = check.failed();
                (failed, check.finish().map_err(|e| e.to_string()))
            };
            assert_eq!(outcome(only(&["ok"])), (false, Ok(())));
            let (failed, error) = outcome(only(&["ok", "worse"]));
            assert!(failed, "selected before: {before}");
            assert!(error.unwrap_err().starts_with("m.yaml:4:"), "selected before: {before}");
            let (_, error) = outcome(Selection::everything());
            assert!(error.unwrap_err().starts_with("m.yaml:3:"), "the first in the file, selected before: {before}");
        }
    }

    #[test]
    fn a_trigger_body_is_checked_against_the_columns() {
        let table =
            "tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}, {name: a, type: TEXT}]}, \
                     {name: log, columns: [{name: msg, type: TEXT}]}]\ntriggers:\n  - name: tr\n    sql: ";
        check(&format!(
            "{table}\"CREATE TRIGGER tr AFTER UPDATE OF a ON t BEGIN INSERT INTO log (msg) VALUES (new.a); END\""
        ))
        .unwrap();
        let error = check(&format!(
            "{table}\"CREATE TRIGGER tr AFTER UPDATE ON t BEGIN INSERT INTO log (msg) VALUES (new.b); END\""
        ))
        .unwrap_err()
        .to_string();
        assert!(error.contains("trigger `tr`: SQLite rejects it: no such column: new.b"), "{error}");
        let error =
            check(&format!("{table}\"CREATE TRIGGER tr AFTER DELETE ON t BEGIN INSERT INTO nope VALUES (1); END\""))
                .unwrap_err()
                .to_string();
        assert!(error.contains("no such table: main.nope"), "{error}");
    }
}
