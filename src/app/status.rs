//! Where things stand: `current`, `history`, `heads`, `show`.

use super::error::{Error, Result};
use super::{write_error, Context, Io, Outcome};
use crate::migrate::history::{describe_heads, Span, Target};

/// `autogen current`: the revision(s) the database is at.
pub fn current(ctx: &Context, verbose: bool, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    if ctx.config.d1.is_none() {
        let path = ctx.database_path()?;
        if !path.exists() {
            io.note(&format!("note: database `{}` does not exist yet (nothing was created)", path.display()))?;
            return Ok(Outcome::Done);
        }
    }
    let heads = ctx.database_heads()?;
    let tips = history.heads();
    if heads.is_empty() {
        io.note("note: the database is at <base>: no revision has been applied")?;
    }
    for id in &heads {
        let head = if tips.contains(id) { " (head)" } else { "" };
        match history.revisions.get(id) {
            Some(rev) if verbose => writeln!(
                io.out,
                "{id}{head}\n  Path: {}\n  Message: {}\n  Create Date: {}",
                rev.path.display(),
                rev.message,
                rev.date
            ),
            _ => writeln!(io.out, "{id}{head}"),
        }
        .map_err(write_error)?;
    }
    Ok(Outcome::Done)
}

/// `autogen history`: the revisions, newest first, marking head and current;
/// a span (`START:END`) keeps what lies between, both ends included.
pub fn history(ctx: &Context, verbose: bool, span: Option<&Span>, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    // History needs no database; where there is one, it marks the current.
    let current = if ctx.config.has_database() { ctx.database_heads()? } else { Vec::new() };
    let heads = history.heads();
    let all = Span { start: None, end: None };
    let revisions = history.within(span.unwrap_or(&all), &current)?;
    if history.is_empty() {
        io.note("note: there are no revisions yet")?;
    }
    for rev in revisions {
        let id = &rev.id;
        let mut marks = Vec::new();
        if heads.contains(id) {
            marks.push("head");
        }
        if current.contains(id) {
            marks.push("current");
        }
        let marks = if marks.is_empty() { String::new() } else { format!(" ({})", marks.join(", ")) };
        let first_line = rev.message.lines().next().unwrap_or("");
        writeln!(io.out, "{} -> {id}{marks}, {first_line}", describe_heads(&rev.parents)).map_err(write_error)?;
        if verbose {
            writeln!(io.out, "  Path: {}\n  Create Date: {}", rev.path.display(), rev.date).map_err(write_error)?;
        }
    }
    Ok(Outcome::Done)
}

/// `autogen heads`.
pub fn heads(ctx: &Context, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    if history.is_empty() {
        io.note("note: there are no revisions yet")?;
    }
    for id in history.heads() {
        let rev = &history.revisions[&id];
        writeln!(io.out, "{id} (head), {}", rev.message.lines().next().unwrap_or("")).map_err(write_error)?;
    }
    Ok(Outcome::Done)
}

/// `autogen show REV`: one revision whole (REV may be `head` or `current`).
pub fn show(ctx: &Context, target: &Target, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    let ids: Vec<String> = match target {
        Target::Head | Target::Heads => history.heads(),
        Target::Current => ctx.database_heads()?,
        Target::Revision(spec) => vec![history.resolve(spec)?.id.clone()],
        Target::Base | Target::Relative(_) => {
            return Err(Error::Usage(format!("`show {target}`: name a revision, head or current")))
        }
    };
    if ids.is_empty() {
        let what =
            if matches!(target, Target::Current) { "the database is at <base>" } else { "there are no revisions yet" };
        io.note(&format!("note: {what}: nothing to show"))?;
    }
    for id in ids {
        let rev = &history.revisions[&id];
        let text = std::fs::read_to_string(&rev.path).map_err(|e| Error::io("read", &rev.path, e))?;
        writeln!(io.out, "Rev: {id}\nParent: {}\nPath: {}\n\n{text}", describe_heads(&rev.parents), rev.path.display())
            .map_err(write_error)?;
    }
    Ok(Outcome::Done)
}
