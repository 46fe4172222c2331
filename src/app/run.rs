//! Running revisions: `upgrade` (also `--online`), `downgrade` (on the
//! database, and as a script with `--sql`), `stamp`.

use std::collections::BTreeSet;

use super::error::Result;
use super::{write_error, Context, Io, Outcome};
use crate::migrate::apply::{self, offline_script, Event};
use crate::migrate::history::{describe_heads, Direction, MigrateError, Range, Target};
use crate::plan::Capabilities;

/// Upgrade or downgrade the configured database to `target`.
pub fn migrate(ctx: &Context, target: &Target, direction: Direction, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    let mut failed_write = None;
    let err = &mut *io.err;
    ctx.on_write_database(io.progress.clone(), |db| {
        Ok(apply::migrate(db, &history, &ctx.config.version_table, target, direction, &mut |event| {
            if failed_write.is_none() {
                failed_write = writeln!(err, "{}", event.message()).err();
            }
        })?)
    })?;
    match failed_write {
        Some(e) => Err(write_error(e)),
        None => Ok(Outcome::Done),
    }
}

/// `upgrade --online` (cli.md, "Online upgrades"): the revisions up to
/// `target`, the big rebuilds copied while the app keeps writing. Progress
/// goes to standard error at most every two seconds a table; with `json`,
/// standard output gets the figures of each table rebuilt online.
pub fn migrate_online(ctx: &Context, target: &Target, json: bool, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    let settings = ctx.config.online;
    let mut failed_write = None;
    let mut figures: Vec<serde_json::Value> = Vec::new();
    let err = &mut *io.err;
    let mut shown = std::time::Instant::now();
    ctx.on_write_database(io.progress.clone(), |db| {
        // Refused before anything is read on an engine without it (D1).
        db.online()?;
        Ok(apply::migrate_with(
            db,
            &history,
            &ctx.config.version_table,
            target,
            Direction::Up,
            Some(&settings),
            &mut |event| {
                match &event {
                    Event::Copying { chunk, .. } if !chunk.done && shown.elapsed().as_secs() < 2 => return,
                    Event::Copying { .. } => shown = std::time::Instant::now(),
                    Event::Copied { table, copied, elapsed } => figures.push(serde_json::json!({
                        "table": table,
                        "rows": copied.rows,
                        "chunks": copied.chunks,
                        "longest_chunk_ms": copied.longest.as_secs_f64() * 1e3,
                        "copy_s": elapsed.as_secs_f64(),
                    })),
                    Event::Swapped { revision, tables, held } => {
                        for figure in figures.iter_mut().filter(|f| tables.iter().any(|t| f["table"] == t.as_str())) {
                            figure["revision"] = serde_json::json!(revision.id);
                            figure["swap_ms"] = serde_json::json!(held.as_secs_f64() * 1e3);
                        }
                    }
                    _ => {}
                }
                if failed_write.is_none() {
                    failed_write = writeln!(err, "{}", event.message()).err();
                }
            },
        )?)
    })?;
    if let Some(e) = failed_write {
        return Err(write_error(e));
    }
    if json {
        let text = serde_json::to_string_pretty(&figures).unwrap_or_default();
        writeln!(io.out, "{text}").map_err(write_error)?;
    }
    Ok(Outcome::Done)
}

/// `upgrade --online --abort`: every online rebuild under way removed, and
/// the old tables swaps left aside; the revisions stay where they are.
pub fn abort_online(ctx: &Context, io: &mut Io) -> Result<Outcome> {
    let pace = ctx.config.online.pace;
    let tables = ctx.on_write_database(io.progress.clone(), |db| Ok(db.online()?.abort(pace)?))?;
    let line = if tables.is_empty() {
        "No online rebuild was under way.".to_string()
    } else {
        let names: Vec<String> = tables.iter().map(|t| format!("`{t}`")).collect();
        format!(
            "Removed what online rebuilds of {} had made (shadow tables, mirror triggers, progress); the tables are as \
             the app left them.",
            names.join(", ")
        )
    };
    io.note(&line)?;
    Ok(Outcome::Done)
}

/// `upgrade/downgrade [FROM:]TO --sql`: the script, with no database read.
/// Without FROM an upgrade starts at base, as Alembic's offline mode does;
/// a downgrade needs FROM.
pub fn offline(ctx: &Context, range: &Range, direction: Direction, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    let start: BTreeSet<String> = match (&range.from, direction) {
        (None, Direction::Up) => BTreeSet::new(),
        (None, Direction::Down) => {
            let to = &range.to;
            return Err(MigrateError::Usage(format!(
                "`downgrade {to} --sql` needs the starting revision: give a range such as `head:{to}`"
            ))
            .into());
        }
        (Some(from), _) => history.applied_at(from, &[])?,
    };
    let steps = history.steps_to(&start, &range.to, direction)?;
    let caps = if ctx.config.d1.is_some() { Capabilities::D1 } else { Capabilities::SQLITE };
    let script = offline_script(&history, &start, &steps, direction, &ctx.config.version_table, &caps)?;
    io.out.write_all(script.as_bytes()).map_err(write_error)?;
    Ok(Outcome::Done)
}

/// `autogen stamp REV`: the version table set without running anything
/// (`base` empties it; `--purge` first clears whatever is there, even ids
/// no file has).
pub fn stamp(ctx: &Context, target: &Target, purge: bool, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    let heads: Vec<String> = match target {
        Target::Base => Vec::new(),
        Target::Head => history.single_head()?.into_iter().collect(),
        Target::Heads => history.heads(),
        Target::Revision(spec) => vec![history.resolve(spec)?.id.clone()],
        Target::Current | Target::Relative(_) => {
            return Err(MigrateError::Usage(format!("`stamp {target}`: name a revision, head, heads or base")).into());
        }
    };
    ctx.on_write_database(None, |db| Ok(apply::stamp(db, &history, &ctx.config.version_table, &heads, purge)?))?;
    io.note(&format!("Stamped the database at {}.", describe_heads(&heads)))?;
    Ok(Outcome::Done)
}
