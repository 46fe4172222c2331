//! The version table (the current heads, as Alembic's `alembic_version`)
//! and the checksums of applied files, as the DML autogen builds at run
//! time: through sea-query, whose SQLite quoting a test checks against
//! [`crate::sql::quote::ident`]. Values are inlined as literals, so the
//! same text serves the runner and `--sql` scripts.

use sea_query::{Alias, ColumnDef, Expr, ExprTrait, Order, Query, SqliteQueryBuilder, Table};

use crate::sql::quote::{ident, literal};

/// The tables autogen keeps for itself: the version table, the
/// checksums of applied files, and the progress of online rebuilds.
pub fn own_tables(version_table: &str) -> Vec<String> {
    vec![version_table.to_string(), checksum_table(version_table), super::online::PROGRESS_TABLE.to_string()]
}

pub fn checksum_table(version_table: &str) -> String {
    format!("{version_table}_checksums")
}

/// `CREATE TABLE IF NOT EXISTS` for both tables.
pub fn create(version_table: &str) -> Vec<String> {
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

/// A statement that stops the script it is part of, with `message`, when
/// the version table does not hold exactly `expect`: where a revision and
/// its version update go as one atomic batch with no transaction to read
/// in (D1, an offline script), this is how a second run of the same
/// revision is refused.
/// (SQLite's `RAISE()` exists only in triggers; a JSON path error carries
/// the message, as the planner's guards do.)
pub fn heads_guard(version_table: &str, expect: &[String], message: &str) -> String {
    // A count and a membership test rather than an ordered group_concat:
    // `group_concat(... ORDER BY ...)` needs SQLite 3.44, and `--sql`
    // output may be fed to an older `sqlite3` (sqlite.md).
    let table = ident(version_table);
    let mut moved = format!("(SELECT count(*) FROM {table}) <> {}", expect.len());
    if !expect.is_empty() {
        let list: Vec<String> = expect.iter().map(|h| literal(h)).collect();
        moved.push_str(&format!(" OR EXISTS (SELECT 1 FROM {table} WHERE version_num NOT IN ({}))", list.join(", ")));
    }
    format!("SELECT json_extract('{{}}', {}) WHERE {moved}", literal(&format!("{}{message}", crate::sql::GUARD_PREFIX)))
}

/// A statement that fails when any row breaks a foreign key, naming the
/// first: where no runner reads `PRAGMA foreign_key_check` (one D1 file,
/// an offline script), it is what stops the commit.
pub fn foreign_key_guard() -> String {
    foreign_key_guard_except(&[])
}

/// How [`foreign_key_guard`]'s message begins.
pub const FOREIGN_KEY_GUARD: &str = "the revision leaves rows that break foreign keys";

/// [`foreign_key_guard`], leaving out the violations `predating` names
/// ([`violation_key`]): rows that broke a foreign key before the revision.
pub fn foreign_key_guard_except(predating: &[String]) -> String {
    let except = if predating.is_empty() {
        String::new()
    } else {
        let keys: Vec<String> = predating.iter().map(|k| literal(k)).collect();
        format!(" WHERE {} NOT IN ({})", VIOLATION_KEY, keys.join(", "))
    };
    format!(
        "SELECT json_extract('{{}}', {} || \"table\" || '` (rowid ' || coalesce(rowid, 'NULL') || ') references a \
         missing row of `' || parent || '`') FROM pragma_foreign_key_check{except} LIMIT 1",
        literal(&format!("{}{FOREIGN_KEY_GUARD}: a row of `", crate::sql::GUARD_PREFIX))
    )
}

/// A row of `pragma_foreign_key_check` as one text, in SQL.
pub const VIOLATION_KEY: &str = "(\"table\" || ',' || coalesce(rowid, 'NULL') || ',' || parent)";

/// The query of every violation: its key (`v`), table (`t`), rowid (`r`)
/// and parent (`p`), one a row.
pub fn violation_keys_query() -> String {
    format!("SELECT {VIOLATION_KEY} AS v, \"table\" AS t, rowid AS r, parent AS p FROM pragma_foreign_key_check")
}

/// The heads, sorted.
pub fn select_heads(version_table: &str) -> String {
    Query::select()
        .column(Alias::new("version_num"))
        .from(Alias::new(version_table))
        .order_by(Alias::new("version_num"), Order::Asc)
        .to_string(SqliteQueryBuilder)
}

pub fn select_checksums(version_table: &str) -> String {
    Query::select()
        .columns([Alias::new("revision"), Alias::new("checksum")])
        .from(Alias::new(checksum_table(version_table)))
        .order_by(Alias::new("revision"), Order::Asc)
        .to_string(SqliteQueryBuilder)
}

/// Which recorded checksums an update forgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forget<'a> {
    /// One revision's (it runs again, or is undone).
    One(&'a str),
    /// All of them (`stamp`).
    All,
}

/// What a unit changes in the version tables.
#[derive(Debug, Clone)]
pub struct Update<'a> {
    /// The heads after the unit.
    pub heads: &'a [String],
    pub forget: Forget<'a>,
    /// (revision, checksum) to record.
    pub record: &'a [(&'a str, &'a str)],
}

impl Update<'_> {
    /// The statements, in order: the heads replaced, the checksums
    /// forgotten and recorded.
    pub fn statements(&self, version_table: &str) -> Vec<String> {
        let mut out = vec![Query::delete().from_table(Alias::new(version_table)).to_string(SqliteQueryBuilder)];
        out.extend(self.heads.iter().map(|h| insert(version_table, &["version_num"], &[h.as_str()])));
        let sums = checksum_table(version_table);
        let mut delete = Query::delete();
        delete.from_table(Alias::new(&sums));
        if let Forget::One(id) = self.forget {
            delete.and_where(Expr::col(Alias::new("revision")).eq(id));
        }
        out.push(delete.to_string(SqliteQueryBuilder));
        out.extend(self.record.iter().map(|(id, sum)| insert(&sums, &["revision", "checksum"], &[id, sum])));
        out
    }
}

/// One row inserted. The column and value lists come from the callers
/// above, always of equal length, so building the statement cannot fail.
fn insert(table: &str, columns: &[&str], values: &[&str]) -> String {
    let mut insert = Query::insert();
    insert.into_table(Alias::new(table)).columns(columns.iter().map(|c| Alias::new(*c)));
    insert.values_panic(values.iter().map(|v| (*v).into()));
    insert.to_string(SqliteQueryBuilder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::quote::ident;

    /// sea-query's SQLite quoting is ours: double quotes, inner quotes
    /// doubled, whatever the name.
    #[test]
    fn sea_query_quotes_identifiers_as_autogen_does() {
        for name in ["autogen_version", "order", "my \"v\" table", "ünï; --x", "a'b", ""] {
            let sql = Query::select().column(Alias::new("c")).from(Alias::new(name)).to_string(SqliteQueryBuilder);
            assert_eq!(sql, format!("SELECT {} FROM {}", ident("c"), ident(name)), "{name}");
        }
    }

    #[test]
    fn values_are_literals_that_sqlite_reads_back() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let vt = "v \"t\"";
        for stmt in create(vt) {
            conn.execute_batch(&stmt).unwrap();
        }
        let heads = vec!["a'b".to_string(), "c".to_string()];
        let update = Update { heads: &heads, forget: Forget::All, record: &[("a'b", "00ff")] };
        for stmt in update.statements(vt) {
            conn.execute_batch(&stmt).unwrap();
        }
        let read: Vec<String> =
            conn.prepare(&select_heads(vt)).unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(read, heads);
        let sums: Vec<(String, String)> = conn
            .prepare(&select_checksums(vt))
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(sums, [("a'b".to_string(), "00ff".to_string())]);
    }
}
