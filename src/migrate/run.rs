//! Running revisions (cli.md, "Running revisions").
//!
//! - Each revision runs in one `BEGIN IMMEDIATE` transaction together with
//!   its version-table update, and the version is read inside it, so that
//!   several processes apply each revision exactly once.
//! - Foreign-key enforcement is switched off before the transaction and
//!   restored after: the pragma is a no-op inside a transaction, and with it
//!   on a rebuild's DROP TABLE would fire ON DELETE actions on other tables.
//!   `PRAGMA foreign_key_check` runs before every commit instead.

use std::collections::BTreeSet;

use rusqlite::Connection;
use sea_query::{Alias, ColumnDef, Expr, ExprTrait, Order, Query, SqliteQueryBuilder, Table};

use crate::app::{write_error, Context, Io, Outcome};
use crate::engine::open::DbError;
use crate::app::error::{Error, Result};
use crate::engine::progress::{self, Watcher};
use crate::migrate::revision::{History, Revision, RevisionError};
use crate::sql::lexer;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Statement(Box<StatementFailure>),
    #[error(
        "{} leaves rows that break foreign keys:\n{violations}\nThe revision was rolled back; the database is as it was before it.",
        subject(revision, file)
    )]
    ForeignKeys { revision: String, file: String, violations: String },
    #[error("{} controls transactions itself (`{statement}`): autogen runs each revision in its own transaction, so remove it", subject(revision, file))]
    TransactionControl { revision: String, file: String, statement: String },
    #[error("{} cannot be split into statements: {message}", subject(revision, file))]
    Unsplittable { revision: String, file: String, message: String },
    #[error("{0}")]
    Target(String),
    #[error("{0}")]
    Db(#[from] DbError),
}

/// A statement of a revision that SQLite refused, with the rows to blame
/// where they can be counted.
#[derive(Debug, thiserror::Error)]
#[error("{} failed at statement {index}: {message}\n  statement: {statement}\n{}The revision was rolled back; the database is as it was before it.", subject(revision, file), hint.as_ref().map(|h| format!("  {h}\n")).unwrap_or_default())]
pub struct StatementFailure {
    pub revision: String,
    pub file: String,
    pub index: usize,
    pub statement: String,
    pub message: String,
    pub hint: Option<String>,
}

/// What failed: a revision and its file, or (with no file) a script the
/// caller has named, such as the rehearsal's "the new revision's upgrade".
fn subject(revision: &str, file: &str) -> String {
    if file.is_empty() {
        revision.to_string()
    } else {
        format!("revision `{revision}` (`{file}`)")
    }
}

/// The tables autogen keeps for itself: the version table (heads, as
/// Alembic's) and the checksums of applied files.
pub fn own_tables(version_table: &str) -> Vec<String> {
    vec![version_table.to_string(), checksum_table(version_table)]
}

fn checksum_table(version_table: &str) -> String {
    format!("{version_table}_checksums")
}

fn sql_err(path: &std::path::Path, e: rusqlite::Error) -> DbError {
    DbError::classify(path, std::time::Duration::ZERO, e)
}

/// The heads recorded in the database; none when the version table is not there.
pub fn current_heads(conn: &Connection, version_table: &str) -> rusqlite::Result<Vec<String>> {
    let exists: bool =
        conn.query_row("SELECT count(*) FROM main.sqlite_schema WHERE type = 'table' AND name = ?1", [version_table], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
    if !exists {
        return Ok(Vec::new());
    }
    let (sql, _) = Query::select()
        .column(Alias::new("version_num"))
        .from(Alias::new(version_table))
        .order_by(Alias::new("version_num"), Order::Asc)
        .build(SqliteQueryBuilder);
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

fn stored_checksums(conn: &Connection, version_table: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let table = checksum_table(version_table);
    let exists: bool =
        conn.query_row("SELECT count(*) FROM main.sqlite_schema WHERE type = 'table' AND name = ?1", [&table], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
    if !exists {
        return Ok(Vec::new());
    }
    let (sql, _) = Query::select().columns([Alias::new("revision"), Alias::new("checksum")]).from(Alias::new(&table)).build(SqliteQueryBuilder);
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// The version table statements, built with sea-query.
fn create_version_tables(version_table: &str) -> Vec<String> {
    let heads = Table::create()
        .table(Alias::new(version_table))
        .if_not_exists()
        .col(ColumnDef::new(Alias::new("version_num")).text().not_null().primary_key())
        .build(SqliteQueryBuilder);
    let sums = Table::create()
        .table(Alias::new(checksum_table(version_table)))
        .if_not_exists()
        .col(ColumnDef::new(Alias::new("revision")).text().not_null().primary_key())
        .col(ColumnDef::new(Alias::new("checksum")).text().not_null())
        .build(SqliteQueryBuilder);
    vec![heads, sums]
}

/// Statements that set the version table to `heads`. Values are inlined
/// (sea-query renders them as quoted literals), so the same text serves the
/// runner and `--sql` scripts.
fn head_rows(version_table: &str, heads: &[String]) -> Vec<String> {
    let mut out = vec![Query::delete().from_table(Alias::new(version_table)).to_string(SqliteQueryBuilder)];
    for h in heads {
        let mut insert = Query::insert();
        insert.into_table(Alias::new(version_table)).columns([Alias::new("version_num")]);
        if insert.values([h.as_str().into()]).is_ok() {
            out.push(insert.to_string(SqliteQueryBuilder));
        }
    }
    out
}

/// Statements that forget checksums (one revision's, or all with None)
/// and record others.
fn checksum_rows(version_table: &str, forget: Option<&str>, record: &[(&str, &str)]) -> Vec<String> {
    let sums = Alias::new(checksum_table(version_table));
    let mut delete = Query::delete();
    delete.from_table(sums.clone());
    if let Some(id) = forget {
        delete.and_where(Expr::col(Alias::new("revision")).eq(id));
    }
    let mut out = vec![delete.to_string(SqliteQueryBuilder)];
    for (id, sum) in record {
        let mut insert = Query::insert();
        insert.into_table(sums.clone()).columns([Alias::new("revision"), Alias::new("checksum")]);
        if insert.values([(*id).into(), (*sum).into()]).is_ok() {
            out.push(insert.to_string(SqliteQueryBuilder));
        }
    }
    out
}

/// The version-table statements after running `rev` one way.
fn version_statements(version_table: &str, heads: &[String], rev: &Revision, applied: bool) -> Vec<String> {
    let record: &[(&str, &str)] = if applied { &[(rev.id.as_str(), rev.checksum.as_str())] } else { &[] };
    let mut out = head_rows(version_table, heads);
    out.extend(checksum_rows(version_table, Some(&rev.id), record));
    out
}

/// Which way a revision runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// A target as the user wrote it (cli.md, "Commands").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Head,
    Heads,
    Base,
    Relative(i64),
    Revision(String),
}

impl Target {
    pub fn parse(s: &str) -> Target {
        match s {
            "head" => Target::Head,
            "heads" => Target::Heads,
            "base" => Target::Base,
            _ => match s.strip_prefix('+').or_else(|| s.starts_with('-').then_some(s)).and_then(|n| n.parse::<i64>().ok()) {
                Some(n) => Target::Relative(n),
                None => Target::Revision(s.to_string()),
            },
        }
    }
}

/// The revisions to run, in order, to go from `applied` to `target`.
pub fn steps_to(history: &History, applied: &BTreeSet<String>, target: &Target, direction: Direction) -> Result<Vec<String>> {
    let wanted: BTreeSet<String> = match (target, direction) {
        (Target::Head, _) => {
            let heads = history.heads();
            if heads.len() > 1 {
                return Err(RevisionError::SeveralHeads(heads).into());
            }
            heads.iter().flat_map(|h| history.ancestors_of(h)).collect()
        }
        (Target::Heads, _) => history.heads().iter().flat_map(|h| history.ancestors_of(h)).collect(),
        (Target::Base, _) => BTreeSet::new(),
        (Target::Revision(spec), _) => history.ancestors_of(&history.resolve(spec)?.id),
        (Target::Relative(n), Direction::Up) if *n >= 0 => return next_up(history, applied, *n as usize),
        (Target::Relative(n), Direction::Down) if *n <= 0 => return next_down(history, applied, n.unsigned_abs() as usize),
        (Target::Relative(n), _) => {
            return Err(RunError::Target(format!("`{n:+}` goes the wrong way for this command: upgrade takes +N, downgrade takes -N")).into())
        }
    };
    match direction {
        Direction::Up => Ok(history.order.iter().filter(|id| wanted.contains(*id) && !applied.contains(*id)).cloned().collect()),
        Direction::Down => {
            if wanted.iter().any(|w| !applied.contains(w)) {
                return Err(RunError::Target(format!("the target is not below the current revision: use `autogen upgrade {}`", target_text(target))).into());
            }
            Ok(history.order.iter().rev().filter(|id| applied.contains(*id) && !wanted.contains(*id)).cloned().collect())
        }
    }
}

fn target_text(t: &Target) -> String {
    match t {
        Target::Head => "head".into(),
        Target::Heads => "heads".into(),
        Target::Base => "base".into(),
        Target::Relative(n) => format!("{n:+}"),
        Target::Revision(s) => s.clone(),
    }
}

/// `+N`: N revisions, each the one whose parents are all applied. Several
/// candidates at a step is a branch: the user must name the target.
fn next_up(history: &History, applied: &BTreeSet<String>, n: usize) -> Result<Vec<String>> {
    let mut done = applied.clone();
    let mut out = Vec::new();
    for _ in 0..n {
        let ready: Vec<&String> =
            history.order.iter().filter(|id| !done.contains(*id) && history.revisions[*id].parents.iter().all(|p| done.contains(p))).collect();
        match ready.as_slice() {
            [] => return Err(RunError::Target(format!("cannot upgrade {n} revision(s): only {} are not applied yet", out.len())).into()),
            [one] => {
                done.insert((*one).clone());
                out.push((*one).clone());
            }
            many => {
                return Err(RunError::Target(format!(
                    "`+{n}` is ambiguous at a branch ({}): name the revision to upgrade to",
                    many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ))
                .into())
            }
        }
    }
    Ok(out)
}

/// `-N`: N revisions off the top, one current head at a time.
fn next_down(history: &History, applied: &BTreeSet<String>, n: usize) -> Result<Vec<String>> {
    if n > applied.len() {
        return Err(RunError::Target(format!(
            "cannot downgrade {n} revision(s): only {} applied (use `autogen downgrade base` to undo them all)",
            applied.len()
        ))
        .into());
    }
    let mut done = applied.clone();
    let mut out = Vec::new();
    for _ in 0..n {
        let heads = history.heads_of(&done);
        match heads.as_slice() {
            [one] => {
                done.remove(one);
                out.push(one.clone());
            }
            many => {
                return Err(RunError::Target(format!(
                    "`-{n}` is ambiguous with several current heads ({}): name the revision to downgrade to",
                    many.join(", ")
                ))
                .into())
            }
        }
    }
    Ok(out)
}

/// Upgrade or downgrade the configured database to `target`.
pub fn migrate(ctx: &Context, target: &Target, direction: Direction, io: &mut Io) -> Result<Outcome> {
    let history = History::load(&ctx.config.versions)?;
    let path = ctx.database_path()?;
    let mut conn = crate::engine::open::open_write(path, ctx.config.busy_timeout)?;
    let watcher = io.progress.clone().map(|sink| Watcher::install(&mut conn, sink)).transpose().map_err(|e| sql_err(path, e))?;
    warn_edited(&conn, &history, &ctx.config.version_table, io)?;
    let heads = current_heads(&conn, &ctx.config.version_table).map_err(|e| sql_err(path, e))?;
    let applied = history.applied_set(&heads)?;
    let steps = steps_to(&history, &applied, target, direction)?;
    if steps.is_empty() {
        writeln!(io.err, "Nothing to do: the database is already at {}.", describe_heads(&heads)).map_err(write_error)?;
        return Ok(Outcome::Done);
    }
    let _off = ForeignKeysOff::new(&conn).map_err(|e| sql_err(path, e))?;
    for id in &steps {
        let rev = &history.revisions[id];
        let ran = run_one(&conn, &history, rev, direction, &ctx.config.version_table, watcher.as_ref()).map_err(|e| match e {
            Error::Run(run) => match *run {
                RunError::Db(DbError::Sqlite { source, .. }) => Error::Db(sql_err(path, source)),
                other => Error::from(other),
            },
            other => other,
        })?;
        if ran {
            let arrow = if direction == Direction::Up { "upgrade" } else { "downgrade" };
            writeln!(
                io.err,
                "Running {arrow} {} -> {}: {}",
                if direction == Direction::Up { describe_heads(&rev.parents) } else { rev.id.clone() },
                if direction == Direction::Up { rev.id.clone() } else { describe_heads(&rev.parents) },
                rev.message.lines().next().unwrap_or("")
            )
            .map_err(write_error)?;
        }
    }
    Ok(Outcome::Done)
}

fn describe_heads(heads: &[String]) -> String {
    if heads.is_empty() {
        "<base>".to_string()
    } else {
        heads.join(", ")
    }
}

/// Reports applied revisions whose files changed since they ran.
fn warn_edited(conn: &Connection, history: &History, version_table: &str, io: &mut Io) -> Result<()> {
    for (id, sum) in stored_checksums(conn, version_table).unwrap_or_default() {
        if let Some(rev) = history.revisions.get(&id) {
            if rev.checksum != sum {
                writeln!(io.err, "warning: revision `{id}` (`{}`) was edited after it was applied; the database ran the earlier text", rev.path.display())
                    .map_err(write_error)?;
            }
        }
    }
    Ok(())
}

/// Switches foreign-key enforcement off outside any transaction and puts
/// the connection's setting back when dropped, however the run ends.
pub struct ForeignKeysOff<'c> {
    conn: &'c Connection,
    was_on: bool,
}

impl<'c> ForeignKeysOff<'c> {
    pub fn new(conn: &'c Connection) -> rusqlite::Result<Self> {
        let was_on: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get::<_, i64>(0).map(|v| v != 0))?;
        conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        Ok(ForeignKeysOff { conn, was_on })
    }
}

impl Drop for ForeignKeysOff<'_> {
    fn drop(&mut self) {
        let sql = if self.was_on { "PRAGMA foreign_keys = ON" } else { "PRAGMA foreign_keys = OFF" };
        let _ = self.conn.execute_batch(sql);
    }
}

/// Runs `body` in one `BEGIN IMMEDIATE` transaction: committed when it
/// succeeds, rolled back when it fails, so a failure changes nothing.
fn in_transaction<T, E: From<RunError>>(conn: &Connection, body: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| RunError::Db(sql_db(e)))?;
    match body() {
        Ok(value) => {
            conn.execute_batch("COMMIT").map_err(|e| RunError::Db(sql_db(e)))?;
            Ok(value)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// After a rollback, the offending rows of a statement that failed on the
/// data, counted in the table as it still is.
fn with_hint(conn: &Connection, script: &str, error: RunError) -> RunError {
    match error {
        RunError::Statement(mut failure) if failure.hint.is_none() => {
            let statements = lexer::split_statements(script).unwrap_or_default();
            failure.hint = crate::engine::diagnose::rows_hint(conn, &failure.message, &statements);
            RunError::Statement(failure)
        }
        other => other,
    }
}

/// Runs one revision in its own transaction. Returns false when another
/// process applied (or undid) it first.
fn run_one(conn: &Connection, history: &History, rev: &Revision, direction: Direction, version_table: &str, progress: Option<&Watcher>) -> Result<bool> {
    let script = if direction == Direction::Up { &rev.up } else { &rev.down };
    in_transaction(conn, || run_in_transaction(conn, history, rev, direction, version_table, progress)).map_err(|e| match e {
        Error::Run(run) => Error::from(with_hint(conn, script, *run)),
        other => other,
    })
}

fn sql_db(e: rusqlite::Error) -> DbError {
    DbError::Sqlite { path: Default::default(), source: e }
}

fn run_in_transaction(
    conn: &Connection,
    history: &History,
    rev: &Revision,
    direction: Direction,
    version_table: &str,
    progress: Option<&Watcher>,
) -> Result<bool> {
    for stmt in create_version_tables(version_table) {
        conn.execute_batch(&stmt).map_err(|e| RunError::Db(sql_db(e)))?;
    }
    // Read inside the write transaction: what another process did is seen.
    let heads = current_heads(conn, version_table).map_err(|e| RunError::Db(sql_db(e)))?;
    let mut applied = history.applied_set(&heads)?;
    let is_applied = applied.contains(&rev.id);
    if (direction == Direction::Up) == is_applied {
        return Ok(false);
    }
    let sql = if direction == Direction::Up { &rev.up } else { &rev.down };
    let file = rev.path.display().to_string();
    execute_script(conn, sql, &rev.id, &file, progress)?;
    check_foreign_keys(conn, &rev.id, &file)?;
    if direction == Direction::Up {
        applied.insert(rev.id.clone());
    } else {
        applied.remove(&rev.id);
    }
    for stmt in version_statements(version_table, &history.heads_of(&applied), rev, direction == Direction::Up) {
        conn.execute_batch(&stmt).map_err(|e| RunError::Db(sql_db(e)))?;
    }
    Ok(true)
}

/// Runs a revision's SQL statement by statement, so a failure names the
/// statement. Transaction control inside a revision is refused: it would
/// end the revision's own transaction half way.
pub fn execute_script(conn: &Connection, sql: &str, revision: &str, file: &str, progress: Option<&Watcher>) -> Result<(), RunError> {
    let statements =
        lexer::split_statements(sql).map_err(|e| RunError::Unsplittable { revision: revision.into(), file: file.into(), message: e.to_string() })?;
    for (i, stmt) in statements.iter().enumerate() {
        if is_transaction_control(stmt) {
            return Err(RunError::TransactionControl { revision: revision.into(), file: file.into(), statement: stmt.to_string() });
        }
        progress::around(progress, conn, stmt, || conn.execute_batch(stmt)).map_err(|e| {
            RunError::Statement(Box::new(StatementFailure {
                revision: revision.into(),
                file: file.into(),
                index: i + 1,
                statement: stmt.to_string(),
                message: crate::sql::sqlite_message(&e),
                hint: None,
            }))
        })?;
    }
    Ok(())
}

fn is_transaction_control(stmt: &str) -> bool {
    let Ok(tokens) = lexer::tokenize(stmt) else {
        return false;
    };
    tokens.first().is_some_and(|t| ["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"].iter().any(|k| t.is_keyword(k)))
}

/// `PRAGMA foreign_key_check` before commit: violations abort, listed.
fn check_foreign_keys(conn: &Connection, revision: &str, file: &str) -> Result<(), RunError> {
    let violations = foreign_key_violations(conn).map_err(|e| RunError::Db(sql_db(e)))?;
    if violations.is_empty() {
        return Ok(());
    }
    Err(RunError::ForeignKeys { revision: revision.into(), file: file.into(), violations: violations.join("\n") })
}

/// `PRAGMA foreign_key_check`, grouped per child table and parent, with the
/// first few rowids of each.
pub fn foreign_key_violations(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")?;
    let mut groups: Vec<(String, String, Vec<Option<i64>>)> = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (table, rowid, parent): (String, Option<i64>, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        match groups.iter_mut().find(|(t, p, _)| *t == table && *p == parent) {
            Some((_, _, ids)) => ids.push(rowid),
            None => groups.push((table, parent, vec![rowid])),
        }
    }
    Ok(groups
        .into_iter()
        .map(|(table, parent, ids)| {
            let first: Vec<String> = ids.iter().take(5).map(|i| i.map(|v| v.to_string()).unwrap_or_else(|| "?".into())).collect();
            format!(
                "  {} row{} in `{table}` reference missing rows in `{parent}`; first rowids: {}",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                first.join(", ")
            )
        })
        .collect())
}

/// `check` compares the model with the database at head: a database behind
/// its revisions would show their changes as differences, so say that.
pub fn require_head(ctx: &Context) -> Result<()> {
    let history = History::load(&ctx.config.versions)?;
    if history.is_empty() {
        return Ok(());
    }
    let heads = ctx.database_heads()?;
    let mut want = history.heads();
    want.sort();
    let mut have = heads.clone();
    have.sort();
    if have != want {
        return Err(RevisionError::NotAtHead { current: describe_heads(&heads), head: want.join(", ") }.into());
    }
    Ok(())
}

/// The offline script for running `steps` (cli.md: `--sql`): the pragma,
/// the version tables, and each revision in its transaction with its
/// version update.
pub fn offline_script(history: &History, start: &BTreeSet<String>, steps: &[String], direction: Direction, version_table: &str) -> String {
    let mut out = String::from("-- autogen offline script: foreign-key enforcement is off while revisions run\n-- (it cannot change inside a transaction; a rebuild's DROP TABLE would fire ON DELETE actions)\nPRAGMA foreign_keys = OFF;\n\n");
    for stmt in create_version_tables(version_table) {
        out.push_str(&stmt);
        out.push_str(";\n");
    }
    let mut applied = start.clone();
    for id in steps {
        let rev = &history.revisions[id];
        let (sql, verb) = match direction {
            Direction::Up => (&rev.up, "upgrade"),
            Direction::Down => (&rev.down, "downgrade"),
        };
        out.push_str(&format!("\n-- Running {verb} {}: {}\nBEGIN;\n\n", rev.id, rev.message.lines().next().unwrap_or("")));
        out.push_str(sql.trim());
        out.push_str("\n\n");
        if direction == Direction::Up {
            applied.insert(id.clone());
        } else {
            applied.remove(id);
        }
        for stmt in version_statements(version_table, &history.heads_of(&applied), rev, direction == Direction::Up) {
            out.push_str(&stmt);
            out.push_str(";\n");
        }
        out.push_str("COMMIT;\n");
    }
    out.push_str("\nPRAGMA foreign_keys = ON;\n");
    out
}

/// Runs one script as the runner runs a revision, without the version
/// table: foreign keys off outside one transaction, `foreign_key_check`
/// before commit, rollback on any failure. The rehearsal uses it.
///
/// ```
/// use autogen::runner::apply_sql;
/// let conn = rusqlite::Connection::open_in_memory().unwrap();
/// conn.execute_batch("CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('x'), (NULL);").unwrap();
/// // The second statement fails: the first is rolled back with it, and the
/// // error names the statement and the rows to blame.
/// let sql = "CREATE TABLE u (a TEXT NOT NULL); INSERT INTO u SELECT a FROM t;";
/// let error = apply_sql(&conn, sql, "r1", "r1.sql").unwrap_err().to_string();
/// assert!(error.contains("failed at statement 2"), "{error}");
/// let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).unwrap();
/// assert_eq!(tables, 1);
/// ```
pub fn apply_sql(conn: &Connection, sql: &str, revision: &str, file: &str) -> Result<(), RunError> {
    let _off = ForeignKeysOff::new(conn).map_err(|e| RunError::Db(sql_db(e)))?;
    in_transaction(conn, || {
        execute_script(conn, sql, revision, file, None)?;
        check_foreign_keys(conn, revision, file)
    })
    .map_err(|e| with_hint(conn, sql, e))
}

/// `upgrade/downgrade [FROM:]TO --sql`: the script, with no database read.
/// Without FROM an upgrade starts at base, as Alembic's offline mode does;
/// a downgrade needs FROM.
pub fn offline(ctx: &Context, range: &str, direction: Direction, io: &mut Io) -> Result<Outcome> {
    let history = History::load(&ctx.config.versions)?;
    let (from, to) = match range.split_once(':') {
        Some((f, t)) => (Some(f), t),
        None => (None, range),
    };
    let start = match (from, direction) {
        (None, Direction::Up) | (Some("base"), _) => BTreeSet::new(),
        (None, Direction::Down) => {
            return Err(RunError::Target(format!("`downgrade {range} --sql` needs the starting revision: give a range such as `head:{range}`")).into())
        }
        (Some(spec), _) => match Target::parse(spec) {
            Target::Head => {
                let heads = history.heads();
                if heads.len() > 1 {
                    return Err(RevisionError::SeveralHeads(heads).into());
                }
                heads.iter().flat_map(|h| history.ancestors_of(h)).collect()
            }
            Target::Heads => history.heads().iter().flat_map(|h| history.ancestors_of(h)).collect(),
            _ => history.ancestors_of(&history.resolve(spec)?.id),
        },
    };
    let steps = steps_to(&history, &start, &Target::parse(to), direction)?;
    let script = offline_script(&history, &start, &steps, direction, &ctx.config.version_table);
    io.out.write_all(script.as_bytes()).map_err(write_error)?;
    Ok(Outcome::Done)
}

/// `autogen stamp REV`: the version table set without running anything
/// (`base` empties it; `--purge` first clears whatever is there, even ids
/// no file has).
pub fn stamp(ctx: &Context, spec: &str, purge: bool, io: &mut Io) -> Result<Outcome> {
    let history = History::load(&ctx.config.versions)?;
    let heads: Vec<String> = match spec {
        "base" => Vec::new(),
        "head" | "heads" => history.heads(),
        other => vec![history.resolve(other)?.id.clone()],
    };
    if spec == "head" && heads.len() > 1 {
        return Err(RevisionError::SeveralHeads(heads).into());
    }
    let path = ctx.database_path()?;
    let conn = crate::engine::open::open_write(path, ctx.config.busy_timeout)?;
    let fail = |e: rusqlite::Error| Error::Db(DbError::classify(path, ctx.config.busy_timeout, e));
    let vt = &ctx.config.version_table;
    in_transaction(&conn, || -> Result<()> {
        for stmt in create_version_tables(vt) {
            conn.execute_batch(&stmt).map_err(fail)?;
        }
        if !purge {
            // Fails on ids that no file has, unless --purge says to drop them.
            history.applied_set(&current_heads(&conn, vt).map_err(fail)?)?;
        }
        let applied: BTreeSet<String> = heads.iter().flat_map(|h| history.ancestors_of(h)).collect();
        let record: Vec<(&str, &str)> = applied.iter().map(|id| (id.as_str(), history.revisions[id].checksum.as_str())).collect();
        let mut sql = head_rows(vt, &heads);
        sql.extend(checksum_rows(vt, None, &record));
        for stmt in sql {
            conn.execute_batch(&stmt).map_err(fail)?;
        }
        Ok(())
    })?;
    writeln!(io.err, "Stamped the database at {}.", describe_heads(&heads)).map_err(write_error)?;
    Ok(Outcome::Done)
}
