//! Running revisions through an [`Engine`] (cli.md, "Running revisions"),
//! and the same runs as an offline script (`--sql`).
//!
//! Each revision is one [`Unit`]: its SQL and the version-table update,
//! atomic on every engine. The heads it expects to start from go with it;
//! when another process moved the database first, the engine says so and
//! the remaining steps are planned again from where the database now is,
//! so every revision runs exactly once.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::history::{describe_heads, Direction, History, MigrateError, Target};
use super::online::{Candidate, Settings};
use super::revision::Revision;
use crate::engine::online::{Chunk, Copied, OnlineError, Swap};
use crate::engine::version::{self, Forget, Update};
use crate::engine::{Bookkeeping, Engine, EngineError, Ran, RunError, Unit};
use crate::plan::Capabilities;
use crate::words::{count, thousands};

/// What happens while revisions run, for the caller to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// An applied revision whose file changed since it ran.
    Edited { revision: &'a Revision },
    /// A revision ran.
    Ran { revision: &'a Revision, direction: Direction },
    /// The database was already at the target.
    NothingToDo { heads: Vec<String> },
    /// A revision ran over rows that broke foreign keys before it.
    Orphans { revision: &'a Revision, rows: Vec<String> },
    /// `--online`: a rebuild of the revision that runs in its transaction.
    Offline { revision: &'a Revision, table: String, why: String },
    /// `--online`: a table's copy starts (or carries on).
    Copy { revision: &'a Revision, table: String, rows: u64, pace: crate::engine::online::Pace },
    /// `--online`: a chunk of a table's copy is done.
    Copying { table: String, rows: u64, copied: Copied, chunk: Chunk, elapsed: Duration },
    /// `--online`: every row of a table is in its shadow.
    Copied { table: String, copied: Copied, elapsed: Duration },
    /// `--online`: the revision's transaction swapped these tables in.
    Swapped { revision: &'a Revision, tables: Vec<String>, held: Duration },
    /// `--online`: the old copy of a table, left aside by a swap, is gone.
    Removed { table: String, rows: u64 },
}

impl Event<'_> {
    /// The event as Alembic words it.
    pub fn message(&self) -> String {
        match self {
            Event::Edited { revision } => {
                format!(
                    "warning: revision `{}` (`{}`) was edited after it was applied; the database ran the earlier text",
                    revision.id,
                    revision.path.display()
                )
            }
            Event::Ran { revision: rev, direction } => {
                let parents = describe_heads(&rev.parents);
                let (verb, from, to) = match direction {
                    Direction::Up => ("upgrade", parents.as_str(), rev.id.as_str()),
                    Direction::Down => ("downgrade", rev.id.as_str(), parents.as_str()),
                };
                format!("Running {verb} {from} -> {to}: {}", rev.message.lines().next().unwrap_or(""))
            }
            Event::NothingToDo { heads } => {
                format!("Nothing to do: the database is already at {}.", describe_heads(heads))
            }
            Event::Offline { revision, table, why } => {
                format!("  `{table}` is rebuilt in the transaction of revision `{}`: {why}", revision.id)
            }
            Event::Copy { revision, table, rows, pace } => format!(
                "Copying `{table}` ({}) online for revision `{}`: chunks of {} ms, the app's writes in between",
                count(*rows as i64, "row"),
                revision.id,
                pace.chunk.as_millis()
            ),
            Event::Copying { table, rows, copied, elapsed, .. } => {
                let rate = copied.rows as f64 / elapsed.as_secs_f64().max(1e-3);
                let left = rows.saturating_sub(copied.rows) as f64 / rate.max(1.0);
                let share = (copied.rows as f64 * 100.0 / (*rows).max(1) as f64).min(100.0);
                format!(
                    "  copying `{table}`: {} of {} rows ({share:.0}%), {} rows/s, about {} left",
                    thousands(copied.rows as i64),
                    thousands(*rows as i64),
                    thousands(rate as i64),
                    seconds(left)
                )
            }
            Event::Copied { table, copied, elapsed } => format!(
                "  copied `{table}` online: {} in {} chunks over {}, the longest holding the write lock {} ms",
                count(copied.rows as i64, "row"),
                thousands(copied.chunks as i64),
                seconds(elapsed.as_secs_f64()),
                copied.longest.as_millis()
            ),
            Event::Swapped { revision, tables, held } => format!(
                "  swapped {} in with revision `{}`: its transaction held the write lock {} ms",
                tables.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
                revision.id,
                held.as_millis()
            ),
            Event::Removed { table, rows } => {
                format!("  removed the old copy of `{table}` ({}), in chunks", count(*rows as i64, "row"))
            }
            Event::Orphans { revision, rows } => format!(
                "warning: rows broke foreign keys before revision `{}` and still do (it ran, and left them as they \
                 were):\n{}\nFix them in a revision of their own (delete them, or add the rows they reference).",
                revision.id,
                rows.join("\n")
            ),
        }
    }
}

/// A duration as a person reads it: `42 s`, `3 min 5 s`.
fn seconds(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// Why revisions could not run.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    #[error(transparent)]
    Online(#[from] OnlineError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Run(#[from] Box<RunError>),
}

impl From<RunError> for ApplyError {
    fn from(e: RunError) -> Self {
        ApplyError::Run(Box::new(e))
    }
}

/// Upgrades or downgrades the database to `target`, telling `on` what
/// happens as it happens.
pub fn migrate(
    engine: &mut dyn Engine,
    history: &History,
    version_table: &str,
    target: &Target,
    direction: Direction,
    on: &mut dyn FnMut(Event),
) -> Result<(), ApplyError> {
    migrate_with(engine, history, version_table, target, direction, None, on)
}

/// [`migrate`]; with `online`, the upgrade's big rebuilds copy their rows
/// before each revision's transaction, while the app keeps writing, and
/// the transaction swaps them in (cli.md, "Online upgrades").
pub fn migrate_with(
    engine: &mut dyn Engine,
    history: &History,
    version_table: &str,
    target: &Target,
    direction: Direction,
    online: Option<&Settings>,
    on: &mut dyn FnMut(Event),
) -> Result<(), ApplyError> {
    let online = online.filter(|_| direction == Direction::Up);
    match (online, engine.online()) {
        (Some(settings), engine) => {
            // What a killed run left after its swap goes first.
            for (table, rows) in engine?.remove_old(settings.pace)? {
                on(Event::Removed { table, rows });
            }
        }
        // A revision run without --online over a copy a stopped online run
        // left would rebuild the table in its transaction and leave the
        // shadow and its progress behind, or run another revision's
        // rebuild beside the mirror: finished or aborted first.
        (None, Ok(engine)) => {
            let tables = engine.under_way()?;
            if !tables.is_empty() {
                return Err(OnlineError::UnderWay(tables).into());
            }
        }
        // An engine without online rebuilds (D1) has none under way.
        (None, Err(_)) => {}
    }
    let versions = engine.versions(version_table)?;
    for revision in history.edited(&versions.checksums) {
        on(Event::Edited { revision });
    }
    let start = history.applied_set(&versions.heads).map_err(MigrateError::from)?;
    // `+1` and `-1` are steps from where the database is now: the place
    // they lead to is fixed once, so that a rerun after another process
    // moved the database aims at the same place.
    let steps = history.steps_to(&start, target, direction)?;
    if steps.is_empty() {
        on(Event::NothingToDo { heads: versions.heads });
        return Ok(());
    }
    let mut goal = start.clone();
    match direction {
        Direction::Up => goal.extend(steps.iter().cloned()),
        Direction::Down => steps.iter().for_each(|s| {
            goal.remove(s);
        }),
    }
    let mut applied = start;
    while let Some(id) = next_step(history, &applied, &goal, direction) {
        let revision = &history.revisions[&id];
        let expect = history.heads_of(&applied);
        let after = after(&applied, &id, direction);
        let heads = history.heads_of(&after);
        let record: Vec<(&str, &str)> =
            if direction == Direction::Up { vec![(id.as_str(), revision.checksum.as_str())] } else { Vec::new() };
        let update = Update { heads: &heads, forget: Forget::One(&id), record: &record }.statements(version_table);
        let file = revision.path.display().to_string();
        let version = Bookkeeping { table: version_table, expect: Some(&expect), record: &update };
        let (script, line) = (revision.script(direction), revision.script_line(direction));
        let unit = Unit { revision: &id, file: &file, script, line, version: Some(version), online: &[] };
        let swaps = match online {
            Some(settings) => copy_online(engine, &unit, revision, settings, on)?,
            None => Vec::new(),
        };
        let unit = Unit { online: &swaps, ..unit };
        let started = Instant::now();
        let ran = engine.run(&unit)?;
        let held = started.elapsed();
        let moved = matches!(ran, Ran::Moved(_));
        match ran {
            Ran::Applied => {
                on(Event::Ran { revision, direction });
                applied = after;
            }
            Ran::AppliedOverOrphans(rows) => {
                on(Event::Ran { revision, direction });
                on(Event::Orphans { revision, rows });
                applied = after;
            }
            Ran::Moved(heads) => applied = history.applied_set(&heads).map_err(MigrateError::from)?,
        }
        if let (Some(settings), false) = (online, swaps.is_empty()) {
            if moved {
                // Another process ran the revision first: the copies are
                // of no use, and their mirrors would slow the app down.
                engine.online()?.abort(settings.pace)?;
            } else {
                let tables = swaps.iter().map(|s| s.rebuild.table.clone()).collect();
                on(Event::Swapped { revision, tables, held });
                for (table, rows) in engine.online()?.remove_old(settings.pace)? {
                    on(Event::Removed { table, rows });
                }
            }
        }
    }
    Ok(())
}

/// The revision's rebuilds of big tables copied online, each shadow ready
/// for the swap; the others are said to run in the transaction.
fn copy_online(
    engine: &mut dyn Engine,
    unit: &Unit,
    revision: &Revision,
    settings: &Settings,
    on: &mut dyn FnMut(Event),
) -> Result<Vec<Swap>, ApplyError> {
    let subject =
        crate::verify::lint::Subject { revision: unit.revision, file: unit.file, script: unit.script, line: unit.line };
    let mut swaps = Vec::new();
    for candidate in super::online::candidates(&subject)? {
        let swap = match candidate {
            Candidate::Offline { table, why } => {
                on(Event::Offline { revision, table, why });
                continue;
            }
            Candidate::Online(swap) => swap,
        };
        let engine = engine.online()?;
        let table = swap.rebuild.table.clone();
        let rows = engine.rows(&table)?;
        if rows < settings.min_rows {
            let why = format!("{}, fewer than `online.min_rows` ({})", count(rows as i64, "row"), settings.min_rows);
            on(Event::Offline { revision, table, why });
            continue;
        }
        on(Event::Copy { revision, table: table.clone(), rows, pace: settings.pace });
        let started = Instant::now();
        let copied = engine.copy(unit, &swap.rebuild, settings.pace, &mut |copied, chunk| {
            on(Event::Copying {
                table: table.clone(),
                rows,
                copied: *copied,
                chunk: *chunk,
                elapsed: started.elapsed(),
            })
        })?;
        on(Event::Copied { table, copied, elapsed: started.elapsed() });
        swaps.push(swap);
    }
    Ok(swaps)
}

/// The next revision towards `goal`: parents before children going up,
/// children before parents going down.
fn next_step(
    history: &History,
    applied: &BTreeSet<String>,
    goal: &BTreeSet<String>,
    direction: Direction,
) -> Option<String> {
    match direction {
        Direction::Up => history.order.iter().find(|id| goal.contains(*id) && !applied.contains(*id)).cloned(),
        Direction::Down => history.order.iter().rev().find(|id| applied.contains(*id) && !goal.contains(*id)).cloned(),
    }
}

fn after(applied: &BTreeSet<String>, id: &str, direction: Direction) -> BTreeSet<String> {
    let mut after = applied.clone();
    match direction {
        Direction::Up => after.insert(id.to_string()),
        Direction::Down => after.remove(id),
    };
    after
}

/// Sets the version table to `heads` without running anything (`stamp`);
/// `purge` clears whatever is there first, even ids no file has.
pub fn stamp(
    engine: &mut dyn Engine,
    history: &History,
    version_table: &str,
    heads: &[String],
    purge: bool,
) -> Result<(), ApplyError> {
    let current = engine.versions(version_table)?.heads;
    if !purge {
        // Fails on ids that no file has, unless --purge says to drop them.
        history.applied_set(&current).map_err(MigrateError::from)?;
    }
    let applied: BTreeSet<String> = heads.iter().flat_map(|h| history.ancestors_of(h)).collect();
    let record: Vec<(&str, &str)> =
        applied.iter().map(|id| (id.as_str(), history.revisions[id].checksum.as_str())).collect();
    let update = Update { heads, forget: Forget::All, record: &record }.statements(version_table);
    let expect = (!purge).then_some(current);
    let version = Bookkeeping { table: version_table, expect: expect.as_deref(), record: &update };
    let unit = Unit { revision: "stamp", file: "", script: "", line: 0, version: Some(version), online: &[] };
    match engine.run(&unit)? {
        Ran::Applied | Ran::AppliedOverOrphans(_) => Ok(()),
        Ran::Moved(now) => Err(MigrateError::Target(format!(
            "the database moved to {} while stamping: run the command again",
            describe_heads(&now)
        ))
        .into()),
    }
}

/// The offline script for running `steps` from `start` (cli.md: `--sql`):
/// what the engine would run, each revision atomic with its version
/// update. Every statement is terminated, whatever the revision's last line.
pub fn offline_script(
    history: &History,
    start: &BTreeSet<String>,
    steps: &[String],
    direction: Direction,
    version_table: &str,
    caps: &Capabilities,
) -> Result<String, RunError> {
    let mut out = String::new();
    if caps.transactions {
        // sqlite3 goes on after a failed statement unless told to bail, and
        // the COMMIT that follows would keep what ran before it.
        out.push_str(
            "-- autogen offline script: run it with `sqlite3 -bail DATABASE < FILE`, so that a failed statement \
             stops it\n-- before its revision's COMMIT (each revision is one transaction; the guards below fail \
             it where it\n-- would not start where the database is, or would leave rows that break foreign keys).\n",
        );
    }
    if caps.foreign_keys_off {
        out.push_str(
            "-- Foreign-key enforcement is off while revisions run\n-- (it cannot \
            change inside a transaction; a rebuild's DROP TABLE would fire ON DELETE actions)\nPRAGMA foreign_keys = \
                OFF;\n\n",
        );
    }
    for stmt in version::create(version_table) {
        out.push_str(&stmt);
        out.push_str(";\n");
    }
    let mut applied = start.clone();
    for id in steps {
        let rev = &history.revisions[id];
        let verb = if direction == Direction::Up { "upgrade" } else { "downgrade" };
        out.push_str(&format!("\n-- Running {verb} {}: {}\n", rev.id, rev.message.lines().next().unwrap_or("")));
        let moved = format!(
            "revision `{}` does not start where the database is: it ran already, or one before it has not",
            rev.id
        );
        let mut heads_guard = version::heads_guard(version_table, &history.heads_of(&applied), &moved);
        // What the revision expects of the tables, checked by the script
        // itself: no runner reads them first.
        let drifted = crate::engine::script::drift_guard_message(&rev.id);
        let file = rev.path.display().to_string();
        let expected =
            crate::engine::script::expectations_of(rev.script(direction), &rev.id, &file, rev.script_line(direction))?;
        for e in &expected {
            heads_guard.push_str(&format!(";\n{}", crate::plan::expect::guard(e, &drifted)));
        }
        if caps.transactions {
            out.push_str(&format!("BEGIN;\n{heads_guard};\n\n"));
        } else {
            // D1: each revision is one `wrangler d1 execute --file` (or one
            // `wrangler d1 migrations apply` file), atomic on its own;
            // foreign keys stay on, so their checks wait for the end of the
            // file (the rebuilds have held what they reach). The guard
            // refuses the file unless the version table holds the heads it
            // starts from: applied twice, by autogen and by wrangler, it
            // fails instead of running twice.
            out.push_str(&format!(
                "-- one D1 execute (one file, atomic): no BEGIN/COMMIT\nPRAGMA defer_foreign_keys = ON;\n{heads_guard};\n\n"
            ));
        }
        out.push_str(&terminated(rev.script(direction), id, &file)?);
        out.push('\n');
        applied = after(&applied, id, direction);
        let heads = history.heads_of(&applied);
        let record: Vec<(&str, &str)> =
            if direction == Direction::Up { vec![(id.as_str(), rev.checksum.as_str())] } else { Vec::new() };
        for stmt in (Update { heads: &heads, forget: Forget::One(id), record: &record }).statements(version_table) {
            out.push_str(&stmt);
            out.push_str(";\n");
        }
        if caps.transactions {
            if caps.foreign_keys_off {
                // What the runner's `PRAGMA foreign_key_check` does before
                // its commit (with enforcement off nothing else would).
                out.push_str(&format!("{};\n", version::foreign_key_guard()));
            }
            out.push_str("COMMIT;\n");
        }
    }
    if caps.foreign_keys_off {
        out.push_str("\nPRAGMA foreign_keys = ON;\n");
    }
    Ok(out)
}

/// A revision's SQL with every statement ending in `;`: a last statement
/// without one would otherwise run into the version-table update after it.
/// The `;` goes on a line of its own, where a trailing `--` comment cannot
/// swallow it.
fn terminated(sql: &str, revision: &str, file: &str) -> Result<String, RunError> {
    let sql = sql.trim();
    crate::engine::script::statements(sql, revision, file, 0)?;
    let mut out = sql.to_string();
    if !crate::sql::lexer::is_complete(sql) {
        out.push_str("\n;");
    }
    if !out.is_empty() {
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::sqlite::{Access, Sqlite};
    use crate::migrate::revision::NewRevision;
    use std::time::Duration;

    /// Three revisions, r1 <- r2 <- r3, each creating a table, in a folder.
    fn chain(dir: &std::path::Path) -> History {
        let mut parents: Vec<String> = Vec::new();
        for id in ["r1", "r2", "r3"] {
            let up = format!("CREATE TABLE {id} (a)");
            let down = format!("DROP TABLE {id}");
            let new = NewRevision { id, parents: &parents, message: id, up: &up, down: &down, epoch: 0, notes: &[] };
            std::fs::write(dir.join(new.file_name()), new.text()).unwrap();
            parents = vec![id.to_string()];
        }
        History::load(dir).unwrap()
    }

    fn open(path: &std::path::Path) -> Sqlite {
        Sqlite::open(path, Access::Write, Duration::from_secs(1), None).unwrap()
    }

    fn heads(db: &mut Sqlite) -> Vec<String> {
        db.versions("v").unwrap().heads
    }

    #[test]
    fn upgrades_and_downgrades_by_step_and_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let history = chain(dir.path());
        let mut db = open(&dir.path().join("app.db"));
        let mut ran = Vec::new();
        migrate(&mut db, &history, "v", &Target::Relative(2), Direction::Up, &mut |e| ran.push(e.message())).unwrap();
        assert_eq!(ran, ["Running upgrade <base> -> r1: r1", "Running upgrade r1 -> r2: r2"]);
        assert_eq!(heads(&mut db), ["r2"]);
        migrate(&mut db, &history, "v", &Target::Head, Direction::Up, &mut |_| {}).unwrap();
        assert_eq!(heads(&mut db), ["r3"]);
        let mut ran = Vec::new();
        migrate(&mut db, &history, "v", &Target::Revision("r1".into()), Direction::Down, &mut |e| {
            ran.push(e.message())
        })
        .unwrap();
        assert_eq!(ran, ["Running downgrade r3 -> r2: r3", "Running downgrade r2 -> r1: r2"]);
        let error = migrate(&mut db, &history, "v", &Target::Head, Direction::Down, &mut |_| {}).unwrap_err();
        assert!(error.to_string().contains("use `autogen upgrade head`"), "{error}");
        let error = migrate(&mut db, &history, "v", &Target::Base, Direction::Up, &mut |_| {}).unwrap_err();
        assert!(error.to_string().contains("use `autogen downgrade base`"), "{error}");
    }

    /// Another process applies r2 while this one is between r1 and r2:
    /// the engine reports the move, and the run carries on from r3, so
    /// every revision runs once.
    #[test]
    fn a_database_moved_by_another_process_is_planned_again() {
        let dir = tempfile::tempdir().unwrap();
        let history = chain(dir.path());
        let path = dir.path().join("app.db");
        let mut db = open(&path);
        let mut other = open(&path);
        let mut ran = Vec::new();
        migrate(&mut db, &history, "v", &Target::Head, Direction::Up, &mut |e| {
            if ran.is_empty() {
                migrate(&mut other, &history, "v", &Target::Relative(1), Direction::Up, &mut |_| {}).unwrap();
            }
            ran.push(e.message());
        })
        .unwrap();
        assert_eq!(ran, ["Running upgrade <base> -> r1: r1", "Running upgrade r2 -> r3: r3"]);
        assert_eq!(heads(&mut db), ["r3"]);
        let tables: i64 = db
            .connection()
            .query_row("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'r_'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 3);
    }

    #[test]
    fn the_offline_script_terminates_every_statement() {
        let dir = tempfile::tempdir().unwrap();
        let history = chain(dir.path());
        let steps = history.steps_to(&BTreeSet::new(), &Target::Head, Direction::Up).unwrap();
        let script =
            offline_script(&history, &BTreeSet::new(), &steps, Direction::Up, "v", &Capabilities::SQLITE).unwrap();
        assert!(script.contains("CREATE TABLE r1 (a)\n;\n"), "{script}");
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(&script).unwrap();
        let head: String = conn.query_row("SELECT version_num FROM v", [], |r| r.get(0)).unwrap();
        assert_eq!(head, "r3");
    }
}
