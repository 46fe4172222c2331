//! Running revisions: `upgrade`, `downgrade` (online and `--sql`), `stamp`.

use std::collections::BTreeSet;

use super::error::Result;
use super::{write_error, Context, Io, Outcome};
use crate::migrate::apply::{self, offline_script};
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
