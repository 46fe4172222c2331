//! Rehearsal: before a generated revision is written, it is run on a
//! scratch copy of the database: upgrade, then the diff against the model
//! must be empty, then downgrade, then the schema must equal the start. A
//! revision that does not converge is never written.

use crate::diff::{self, Change, ColumnChange, Diff, Renames};
use crate::engine::{Digest, DigestRequest, Engine, EngineError, RunError, ScratchCopy, Stop, Unit};
use crate::schema::*;
use crate::source::introspect::Filter;
use crate::words;

#[derive(Debug, thiserror::Error)]
pub enum RehearsalError {
    #[error("cannot make the scratch copy for the rehearsal: {0}")]
    Copy(EngineError),
    #[error(
        "rehearsal of the {direction} failed, so no revision was written:\n{source}\nWhat to do: {}",
        advice(source)
    )]
    Failed { direction: &'static str, source: Box<RunError> },
    #[error("rehearsal: after the {}, {}, so no revision was written", .0.direction, changed(.0))]
    RowsChanged(Box<Changed>),
    #[error(
        "rehearsal: after the upgrade the database still differs from the model, so no revision was written:\n{}",
        list(.0)
    )]
    UpgradeDiverges(Vec<String>),
    #[error("rehearsal: the downgrade does not restore the starting schema, so no revision was written:\n{}", list(.0))]
    DowngradeDiverges(Vec<String>),
    #[error("rehearsal: cannot read the scratch schema: {0}")]
    Introspect(EngineError),
}

/// What to do about a failed rehearsal: rows to fix where the data is to
/// blame, the model where SQLite refuses what it asks for.
fn advice(source: &RunError) -> &'static str {
    match source {
        RunError::Statement(failure) if failure.hint.is_some() || on_rows(&failure.message) => {
            "fill or fix those rows first, in a revision of their own (`autogen revision -m MESSAGE`, then `autogen \
             upgrade head`), or write this revision anyway with `--no-rehearse`."
        }
        RunError::ForeignKeys { .. } => {
            "fix those rows first, in a revision of their own (`autogen revision -m MESSAGE`, then `autogen upgrade \
             head`), or write this revision anyway with `--no-rehearse`."
        }
        RunError::Drift { .. } => "plan the revision again (`autogen revision --autogenerate`).",
        _ => {
            "SQLite refuses what the model asks for on this database (a default a STRICT column cannot store, an \
             expression it cannot run): fix the model, or write the revision anyway with `--no-rehearse` and edit \
             its SQL."
        }
    }
}

/// Whether SQLite's message (or a guard's) is about rows that do not fit.
fn on_rows(message: &str) -> bool {
    ["constraint failed", "cannot store", "rows", "row of"].iter().any(|m| message.contains(m))
}

/// A table whose rows did not come through a rehearsed revision as they
/// were.
#[derive(Debug)]
pub struct Changed {
    pub direction: &'static str,
    /// The table as the database names it before the revision.
    pub table: String,
    /// Rows before and after.
    pub rows: (i64, i64),
    /// The columns whose values changed (`the rowid` for rowids given anew).
    pub columns: Vec<String>,
    /// The same rows read before and after, to find one that changed.
    requests: (DigestRequest, DigestRequest),
    /// The first row that changed, before and after, once found.
    pub example: Option<String>,
}

/// What a digest comparison found: rows gone (or added), or as many rows
/// with other values, by column, with a row that shows it and the way on.
fn changed(c: &Changed) -> String {
    let (before, after) = c.rows;
    if before != after {
        return format!(
            "`{}` holds {} where it held {}: the revision would lose or add rows",
            c.table,
            words::count(after, "row"),
            words::count(before, "row")
        );
    }
    let names: Vec<String> = c.columns.iter().map(|n| format!("`{n}`")).collect();
    let mut out = format!(
        "`{}` still holds {}, but the values of {} are not all as they were: the revision converts them (a new type \
         or STRICT changes how a value is stored, as '000123' becomes 123), or gives rows new rowids",
        c.table,
        words::count(after, "row"),
        names.join(", ")
    );
    if let Some(example) = &c.example {
        out.push_str(&format!("\n  {example}"));
    }
    let columns: Vec<String> = c.columns.iter().filter(|n| *n != ROWID).map(|n| format!("{}.{n}", c.table)).collect();
    if !columns.is_empty() && c.direction == "upgrade" {
        out.push_str(&format!(
            "\nIf that conversion is what you want, accept exactly it: `autogen revision --autogenerate {}` (the \
             revision says so in its header).",
            columns.iter().map(|c| format!("--accept-conversion {c}")).collect::<Vec<_>>().join(" ")
        ));
    }
    out
}

/// How a changed rowid is named.
const ROWID: &str = "the rowid";

impl Changed {
    /// Finds a row that changed: the rows before from `before` (a database
    /// as the revision starts from), after from `after`, in key order.
    fn find_example(&mut self, before: &mut dyn Engine, after: &mut dyn Engine) {
        const LOOKED_AT: usize = 10_000;
        let (Ok(old), Ok(new)) = (before.rows(&self.requests.0, LOOKED_AT), after.rows(&self.requests.1, LOOKED_AT))
        else {
            return;
        };
        let mut names: Vec<String> = self.requests.0.columns.clone();
        if self.requests.0.rowid.is_some() {
            names.insert(0, ROWID.into());
        }
        for (o, n) in old.iter().zip(&new) {
            if o == n {
                continue;
            }
            let (o, n) = (crate::engine::quoted_values(o), crate::engine::quoted_values(n));
            let key = format!("{} {}", names.first().map_or("row", String::as_str), o.first().unwrap_or(&"?"));
            let differs: Vec<String> = names
                .iter()
                .zip(o.iter().zip(&n))
                .filter(|(_, (a, b))| a != b)
                .map(|(name, (a, b))| format!("`{name}` {a} before, {b} after"))
                .collect();
            self.example = Some(format!("for example, the row with {key}: {}", differs.join("; ")));
            return;
        }
    }
}

fn list(items: &[String]) -> String {
    items.iter().map(|s| format!("  - {s}")).collect::<Vec<_>>().join("\n")
}

/// The upgrade and downgrade of one revision, and the two schemas they lead to.
pub struct Rehearsal<'a> {
    pub up: &'a str,
    pub down: &'a str,
    /// The comparison the upgrade comes from: which tables and columns
    /// carry rows across, under which names.
    pub diff: &'a Diff,
    /// The schema the database has now, as introspected with `filter`: the
    /// scratch copy has the same CREATE text, so it reads the same, and is
    /// not read again.
    pub start: &'a Schema,
    pub model: &'a Schema,
    pub filter: &'a Filter,
    /// Conversions the user accepted (`--accept-conversion t.c`): (table,
    /// column) as the model names them, whose values may change.
    pub accepted: &'a [(String, String)],
}

impl Rehearsal<'_> {
    /// Runs the rehearsal on a scratch copy of `database` (`stop` ends it
    /// early when its result is no longer wanted).
    pub fn on_copy_of(&self, database: &mut dyn Engine, copy: ScratchCopy, stop: &Stop) -> Result<(), RehearsalError> {
        let mut scratch = database.scratch(copy, stop).map_err(RehearsalError::Copy)?;
        match self.on(scratch.as_mut()) {
            // A row that shows the change, from a fresh copy as it was.
            Err(RehearsalError::RowsChanged(mut changed)) => {
                if let Ok(mut fresh) = database.scratch(copy, stop) {
                    changed.find_example(fresh.as_mut(), scratch.as_mut());
                }
                Err(RehearsalError::RowsChanged(changed))
            }
            other => other,
        }
    }

    /// Runs `up` then `down` on `scratch` and checks both ends: the
    /// schemas, and the rows of every table the revision touches.
    pub fn on(&self, scratch: &mut dyn Engine) -> Result<(), RehearsalError> {
        let accounts = self.accounts();
        let start = digests(scratch, &accounts, Side::Old)?;
        run(scratch, self.up, "upgrade")?;
        let after = scratch.introspect(self.filter).map_err(RehearsalError::Introspect)?;
        let remaining = diff::diff_with_renames(&after, self.model, Renames::default());
        if !remaining.is_empty() {
            return Err(RehearsalError::UpgradeDiverges(describe(&remaining.changes)));
        }
        compare(&accounts, &start, &digests(scratch, &accounts, Side::New)?, "upgrade")?;
        run(scratch, self.down, "downgrade")?;
        let back = scratch.introspect(self.filter).map_err(RehearsalError::Introspect)?;
        let remaining = diff::diff_with_renames(&back, self.start, Renames::default());
        if !remaining.is_empty() {
            return Err(RehearsalError::DowngradeDiverges(describe(&remaining.changes)));
        }
        compare(&accounts, &start, &digests(scratch, &accounts, Side::Old)?, "downgrade")
    }

    /// The tables the revision touches that exist before and after it, with
    /// the columns whose values must come through unchanged: kept under the
    /// same type (a new type may convert a value by affinity), stored (not
    /// generated). Rowids count where both sides have them.
    fn accounts(&self) -> Vec<Account> {
        // Looked up for every table and column: sets, not scans of the
        // changes (4,000 changes on 1,000 tables).
        let touched: std::collections::HashSet<String> = self.diff.changes.iter().map(|c| fold(c.subject())).collect();
        let retyped_columns: std::collections::HashSet<(String, String)> = self
            .diff
            .changes
            .iter()
            .filter_map(|ch| match ch {
                Change::ModifyColumn {
                    table,
                    column,
                    change: ColumnChange::Type { .. } | ColumnChange::Generated { .. },
                } => Some((fold(table), fold(column))),
                _ => None,
            })
            .collect();
        let mut out = Vec::new();
        for (old, new_name) in self.start.tables.values().map(|t| (t, renamed(self.diff, &t.name))) {
            let Some(new) = self.model.table(&new_name) else { continue };
            if !touched.contains(&fold(&new.name)) {
                continue;
            }
            let retyped = |c: &str| retyped_columns.contains(&(fold(&new.name), fold(c)));
            let accepted = |c: &str| self.accepted.iter().any(|(t, a)| same_name(t, &new.name) && same_name(a, c));
            let mut columns = Vec::new();
            for c in old.columns.iter().filter(|c| c.generated.is_none()) {
                let name = renamed_column(self.diff, &new.name, &c.name);
                match new.column(&name) {
                    Some(n) if n.generated.is_none() && n.ty == c.ty && !retyped(&name) && !accepted(&name) => {
                        columns.push((c.name.clone(), n.name.clone()))
                    }
                    _ => {}
                }
            }
            // A key that becomes the rowid (INTEGER PRIMARY KEY, ASC) makes
            // each row's rowid its key value, by design: the key is followed.
            let becomes_alias = new.integer_primary_key().is_some() && old.integer_primary_key().is_none();
            let rowid = if old.without_rowid || new.without_rowid || becomes_alias {
                None
            } else {
                // Read by a name no column of either table takes: a column
                // named `_rowid_` hides the rowid under that name.
                free_rowid_name(&[old, new])
            };
            out.push(Account { old: old.name.clone(), new: new.name.clone(), columns, rowid });
        }
        out
    }
}

/// One table whose rows the rehearsal follows.
struct Account {
    old: String,
    new: String,
    /// (old name, new name)
    columns: Vec<(String, String)>,
    /// The name the rowid is read by in both tables.
    rowid: Option<&'static str>,
}

#[derive(Clone, Copy)]
enum Side {
    Old,
    New,
}

impl Account {
    /// What to digest of the table on one side of the revision.
    fn request(&self, side: Side) -> DigestRequest {
        let (table, columns): (&str, Vec<String>) = match side {
            Side::Old => (&self.old, self.columns.iter().map(|(o, _)| o.clone()).collect()),
            Side::New => (&self.new, self.columns.iter().map(|(_, n)| n.clone()).collect()),
        };
        DigestRequest { table: table.to_string(), columns, rowid: self.rowid }
    }
}

fn digests(scratch: &mut dyn Engine, accounts: &[Account], side: Side) -> Result<Vec<Digest>, RehearsalError> {
    let requests: Vec<DigestRequest> = accounts.iter().map(|a| a.request(side)).collect();
    scratch.digests(&requests).map_err(RehearsalError::Introspect)
}

fn compare(
    accounts: &[Account],
    before: &[Digest],
    after: &[Digest],
    direction: &'static str,
) -> Result<(), RehearsalError> {
    for ((account, before), after) in accounts.iter().zip(before).zip(after) {
        if before != after {
            let mut names: Vec<String> = account.columns.iter().map(|(o, _)| o.clone()).collect();
            if account.rowid.is_some() {
                names.insert(0, ROWID.into());
            }
            let columns = names
                .into_iter()
                .enumerate()
                .filter(|(i, _)| before.columns.get(*i) != after.columns.get(*i))
                .map(|(_, n)| n)
                .collect();
            // The downgrade is compared with the start, read as the old side.
            let side = if direction == "upgrade" { Side::New } else { Side::Old };
            return Err(RehearsalError::RowsChanged(Box::new(Changed {
                direction,
                table: account.old.clone(),
                rows: (before.rows, after.rows),
                columns,
                requests: (account.request(Side::Old), account.request(side)),
                example: None,
            })));
        }
    }
    Ok(())
}

/// A table's name after the diff's renames.
fn renamed(diff: &Diff, table: &str) -> String {
    diff.renames.tables.iter().find(|(old, _)| same_name(old, table)).map_or(table.to_string(), |(_, new)| new.clone())
}

/// A column's name after the diff's renames (`table` is the new table name).
fn renamed_column(diff: &Diff, table: &str, column: &str) -> String {
    diff.renames
        .columns
        .iter()
        .find(|(t, old, _)| same_name(t, table) && same_name(old, column))
        .map_or(column.to_string(), |(_, _, new)| new.clone())
}

fn describe(changes: &[Change]) -> Vec<String> {
    changes.iter().map(Change::to_string).collect()
}

fn run(scratch: &mut dyn Engine, script: &str, direction: &'static str) -> Result<(), RehearsalError> {
    let name = format!("the new revision's {direction}");
    let unit = Unit { revision: &name, file: "", script, line: 0, version: None, online: &[] };
    scratch.run(&unit).map(drop).map_err(|source| RehearsalError::Failed { direction, source: Box::new(source) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::sqlite::Sqlite;
    use crate::plan::{plan, script, Capabilities};

    /// A revision that converges on the model but changes a value is
    /// caught by the rows, not the schema.
    #[test]
    fn a_revision_that_changes_a_value_fails_the_rehearsal() {
        let mut db = Sqlite::memory().unwrap();
        db.connection()
            .execute_batch(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT); INSERT INTO t VALUES (1, 'x', 'y');",
            )
            .unwrap();
        let filter = Filter::default();
        let start = db.introspect(&filter).unwrap();
        let mut model = start.clone();
        model.tables.get_mut("t").unwrap().columns[2].default = Some("'z'".into());
        let d = diff::diff(&start, &model);
        let caps = Capabilities::SQLITE;
        let up = script(&plan(&d, &model, &caps));
        let down = script(&plan(&diff::reverse(&d, &start, &model), &start, &caps));
        let honest =
            Rehearsal { up: &up, down: &down, diff: &d, start: &start, model: &model, filter: &filter, accepted: &[] };
        honest.on(&mut Sqlite::scratch_of(db.connection(), ScratchCopy::Rows).unwrap()).unwrap();
        let lying = format!("{up}\nUPDATE t SET a = 'changed';");
        let rehearsal = Rehearsal { up: &lying, ..honest };
        let error = rehearsal.on_copy_of(&mut db, ScratchCopy::Rows, &Stop::default()).unwrap_err();
        assert!(matches!(&error, RehearsalError::RowsChanged(c) if c.table == "t"), "{error}");
        // The column that changed, a row that shows it, and the way on.
        let said = error.to_string();
        assert!(said.contains("`t` still holds 1 row, but the values of `a` are not all as they were"), "{said}");
        assert!(said.contains("the row with the rowid 1: `a` 'x' before, 'changed' after"), "{said}");
        assert!(said.contains("--accept-conversion t.a"), "{said}");
        // Accepted, exactly that conversion passes; another does not.
        let accepted = [("t".to_string(), "a".to_string())];
        Rehearsal { accepted: &accepted, ..rehearsal }
            .on_copy_of(&mut db, ScratchCopy::Rows, &Stop::default())
            .unwrap();
        let other = [("t".to_string(), "b".to_string())];
        let rehearsal = Rehearsal { accepted: &other, ..rehearsal };
        assert!(rehearsal.on_copy_of(&mut db, ScratchCopy::Rows, &Stop::default()).is_err());
    }
}
