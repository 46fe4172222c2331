//! Rehearsal: before a generated revision is written, it is run on a
//! scratch copy: upgrade, then the diff against the model must be empty,
//! then downgrade, then the schema must equal the start. A revision that
//! does not converge is never written.

use rusqlite::Connection;

use crate::diff::{self, Change, Renames};
use crate::source::introspect::{self, Filter};
use crate::migrate::run::RunError;
use crate::schema::Schema;

#[derive(Debug, thiserror::Error)]
pub enum RehearsalError {
    #[error("cannot make the scratch copy for the rehearsal: {0}")]
    Copy(rusqlite::Error),
    #[error("rehearsal of the {direction} failed, so no revision was written:\n{source}")]
    Failed { direction: &'static str, source: Box<RunError> },
    #[error("rehearsal: after the upgrade the database still differs from the model, so no revision was written:\n{}", list(.0))]
    UpgradeDiverges(Vec<String>),
    #[error("rehearsal: the downgrade does not restore the starting schema, so no revision was written:\n{}", list(.0))]
    DowngradeDiverges(Vec<String>),
    #[error("rehearsal: cannot read the scratch schema: {0}")]
    Introspect(#[from] introspect::IntrospectError),
}

fn list(items: &[String]) -> String {
    items.iter().map(|s| format!("  - {s}")).collect::<Vec<_>>().join("\n")
}

/// What the rehearsal copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copy {
    /// The schema only: fast, finds SQL that SQLite refuses.
    Schema,
    /// Every row too (the backup API): finds NOT NULL, UNIQUE and CHECK
    /// failures that depend on the data.
    Data,
}

/// An in-memory copy of `source`'s main database.
pub fn scratch_copy(source: Option<&Connection>, copy: Copy) -> rusqlite::Result<Connection> {
    let mut scratch = Connection::open_in_memory()?;
    let Some(source) = source else {
        return Ok(scratch);
    };
    // Replaying the schema costs time quadratic in its size (each CREATE
    // rescans sqlite_schema); the backup API copies pages in linear time.
    // Below this size a whole copy is the faster one, and rehearses the rows too.
    const SMALL: i64 = 64 * 1024 * 1024;
    let size: i64 = source.query_row("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size", [], |r| r.get(0))?;
    if copy == Copy::Data || size <= SMALL {
        let backup = rusqlite::backup::Backup::new(source, &mut scratch)?;
        backup.run_to_completion(1000, std::time::Duration::ZERO, None)?;
    } else {
        copy_schema(source, &scratch)?;
    }
    Ok(scratch)
}

/// Replays the stored CREATE statements in the order SQLite stored them.
/// Shadow tables are made by their virtual table; internal objects by SQLite.
fn copy_schema(source: &Connection, scratch: &Connection) -> rusqlite::Result<()> {
    let mut stmt = source.prepare(
        "SELECT s.type, s.sql FROM main.sqlite_schema AS s LEFT JOIN pragma_table_list AS l ON l.schema = 'main' AND l.name = s.name \
         WHERE s.sql IS NOT NULL AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND coalesce(l.type, '') <> 'shadow' ORDER BY s.rowid",
    )?;
    let rows: Vec<(String, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    scratch.execute_batch("BEGIN")?;
    for (kind, sql) in rows {
        let result = scratch.execute_batch(&sql);
        // A virtual table whose module this build lacks cannot be copied;
        // autogen never touches those, so the rehearsal goes on without it.
        if result.is_err() && kind == "table" && sql.trim_start().get(..14).is_some_and(|p| p.eq_ignore_ascii_case("create virtual")) {
            continue;
        }
        result?;
    }
    scratch.execute_batch("COMMIT")
}

/// Runs `up` then `down` on `scratch` and checks both ends. `start` is the
/// schema the scratch was copied from, as introspected with `filter`: the
/// copy has the same CREATE text, so it reads the same, and is not read again.
pub fn rehearse(scratch: &Connection, up: &str, down: &str, start: &Schema, model: &Schema, filter: &Filter) -> Result<(), RehearsalError> {
    run(scratch, up, "upgrade")?;
    let after = introspect::introspect(scratch, filter)?;
    let remaining = diff::diff_with_renames(&after, model, Renames::default());
    if !remaining.is_empty() {
        return Err(RehearsalError::UpgradeDiverges(describe(&remaining.changes)));
    }
    run(scratch, down, "downgrade")?;
    let back = introspect::introspect(scratch, filter)?;
    let remaining = diff::diff_with_renames(&back, start, Renames::default());
    if !remaining.is_empty() {
        return Err(RehearsalError::DowngradeDiverges(describe(&remaining.changes)));
    }
    Ok(())
}

fn describe(changes: &[Change]) -> Vec<String> {
    changes.iter().map(crate::plan::describe).collect()
}

fn run(conn: &Connection, sql: &str, direction: &'static str) -> Result<(), RehearsalError> {
    crate::migrate::run::apply_sql(conn, sql, &format!("the new revision's {direction}"), "")
        .map_err(|source| RehearsalError::Failed { direction, source: Box::new(source) })
}
