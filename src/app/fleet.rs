//! `--fleet`: `upgrade`, `downgrade`, `current` and `check` over many
//! databases (cli.md, "Many databases: fleets").

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::error::{Error, Result};
use super::{write_error, Context, Io, Outcome};
use crate::engine::sqlite::{Access, Sqlite};
use crate::engine::{Engine, EngineError};
use crate::migrate::fleet::{parallel, Fleet, Outcome as Ran, Report};
use crate::migrate::history::{describe_heads, Direction, Target};
use crate::source::introspect::wildcard_match;
use crate::words::{count, thousands};

#[derive(Debug, Clone, Default)]
pub struct FleetOptions {
    /// A glob of SQLite files or `@FILE`; `None`: the config's `fleet:`.
    pub pattern: Option<String>,
    /// Members at once (at least 1).
    pub jobs: usize,
    pub keep_going: bool,
    /// Migrate this many members first, and stop if any fails.
    pub canary: usize,
    /// One JSON object a line per member on standard output.
    pub json: bool,
    /// Standard error is a terminal: the progress line redraws itself.
    pub live: bool,
}

/// The members: the files a glob matches, or the lines of `@FILE`, in
/// order, each database once however many times it is named (a path listed
/// twice, a symlink beside its file: migrated twice, a `downgrade -1` would
/// take it two steps). A listed file that does not exist is an error before
/// anything runs, or with `--keep-going` a member that fails.
pub fn members(ctx: &Context, opts: &FleetOptions) -> Result<Vec<PathBuf>> {
    let pattern =
        match opts.pattern.as_deref().filter(|p| !p.is_empty()).or(ctx.config.fleet.as_deref()) {
            Some(p) => p.to_string(),
            None => return Err(Error::Usage(
                "--fleet needs a pattern (`--fleet 'tenants/*.db'` or `--fleet @FILE`), or `fleet:` in autogen.yaml"
                    .into(),
            )),
        };
    let found = match pattern.strip_prefix('@') {
        Some(list) => listed(&ctx.cwd.join(list), &ctx.cwd, opts.keep_going)?,
        None => glob(&ctx.cwd, &pattern)?,
    };
    if found.is_empty() {
        return Err(Error::Refused(format!("no database matches the fleet `{pattern}`")));
    }
    let mut seen = std::collections::BTreeSet::new();
    Ok(found.into_iter().filter(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))).collect())
}

/// `@FILE`: one path or `sqlite:///` URL a line, relative to the current
/// folder; blank lines and `#` comments are skipped.
fn listed(file: &Path, dir: &Path, keep_going: bool) -> Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io("read the fleet list", file, e))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{}:{}", file.display(), n + 1);
        let path = super::config::parse_database(line, dir).map_err(|m| Error::Refused(format!("{at}: {m}")))?;
        if !path.is_file() && !keep_going {
            return Err(Error::Refused(format!(
                "{at}: database `{line}` does not exist (a fleet never creates members: remove the line, or create \
                 the database first)"
            )));
        }
        out.push(path);
    }
    Ok(out)
}

/// The files `pattern` matches (`*` and `?` within a path component),
/// sorted; SQLite's own side files (`-journal`, `-wal`, `-shm`) are not
/// members.
fn glob(cwd: &Path, pattern: &str) -> Result<Vec<PathBuf>> {
    let path = cwd.join(pattern);
    let mut found = vec![PathBuf::new()];
    for component in path.components() {
        let part = component.as_os_str().to_string_lossy();
        if !part.contains(['*', '?', '[']) {
            found.iter_mut().for_each(|p| p.push(component));
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if wildcard_match(&part, &name) {
                    next.push(dir.join(name));
                }
            }
        }
        found = next;
    }
    let side_file = |p: &Path| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        ["-journal", "-wal", "-shm"].iter().any(|s| name.ends_with(s))
    };
    let mut out: Vec<PathBuf> = found.into_iter().filter(|p| p.is_file() && !side_file(p)).collect();
    out.sort();
    Ok(out)
}

/// How members are opened: local SQLite files.
fn opener(ctx: &Context) -> impl Fn(&Path, bool) -> std::result::Result<Box<dyn Engine>, EngineError> + Sync + '_ {
    move |path, write| {
        let access = if write { Access::Write } else { Access::Read };
        Ok(Box::new(Sqlite::open(path, access, ctx.config.busy_timeout, None)?) as Box<dyn Engine>)
    }
}

/// `upgrade --fleet` / `downgrade --fleet`.
pub fn migrate(
    ctx: &Context,
    opts: &FleetOptions,
    target: &Target,
    direction: Direction,
    io: &mut Io,
) -> Result<Outcome> {
    let target_given = target;
    let history = ctx.history()?;
    let members = members(ctx, opts)?;
    let open = opener(ctx);
    let fleet = Fleet { history: &history, version_table: &ctx.config.version_table, open: &open, jobs: opts.jobs };
    let (groups, unreadable) = fleet.groups(&members);
    // `-1` and `+1` are steps from where a database stands: fixed once, for
    // the whole fleet, so that every member goes to the same revision and a
    // rerun after a stop does not take those already there a step further.
    let target = &fleet.fixed_target(&groups, target, direction).map_err(Error::Refused)?;
    if matches!(target_given, Target::Relative(_)) {
        io.note(&format!("Fleet: the target is `{target}` for every database (name it to run again after a stop)."))?;
    }
    if !unreadable.is_empty() && !opts.keep_going {
        let list: Vec<String> = unreadable.iter().map(|(i, e)| format!("  {}: {e}", ctx.shown(&members[*i]))).collect();
        return Err(Error::Refused(format!(
            "{} cannot be read, so no database was touched (--keep-going runs the others):\n{}",
            count(unreadable.len() as i64, "fleet member"),
            list.join("\n")
        )));
    }
    // One rehearsal per group, before the first member is touched.
    let mut refused = Vec::new();
    parallel(
        opts.jobs,
        groups.len(),
        &AtomicBool::new(false),
        |g| fleet.rehearse(&members, &groups[g], target, direction),
        |g, result| {
            if let Err(e) = result {
                refused.push((g, e));
            }
        },
    );
    refused.sort_by_key(|(g, _)| *g);
    if !refused.is_empty() && !opts.keep_going {
        let list: Vec<String> = refused
            .iter()
            .map(|(g, e)| {
                let group = &groups[*g];
                format!(
                    "  {} at {} (for example `{}`): {e}",
                    count(group.members.len() as i64, "database"),
                    describe_heads(&group.heads),
                    ctx.shown(&members[group.members[0]])
                )
            })
            .collect();
        return Err(Error::Refused(format!(
            "the rehearsal failed for {}, so no database was touched (--keep-going runs the other groups):\n{}",
            count(refused.len() as i64, "group"),
            list.join("\n")
        )));
    }
    // With --keep-going, a group whose rehearsal failed is not run: each of
    // its members fails with the rehearsal's error, and the others run.
    let mut skipped: Vec<Report> = unreadable.iter().map(|(i, e)| failed_report(*i, Vec::new(), e)).collect();
    for (g, e) in &refused {
        let group = &groups[*g];
        let why =
            format!("not run: the rehearsal on a copy of `{}` failed: {e}", ctx.shown(&members[group.members[0]]));
        skipped.extend(group.members.iter().map(|m| failed_report(*m, group.heads.clone(), &why)));
    }
    io.note(&format!(
        "Fleet: {} in {} by schema and revision, each rehearsed on a copy of one member; {} at a time.",
        count(members.len() as i64, "database"),
        count(groups.len() as i64, "group"),
        opts.jobs
    ))?;
    let mut order: Vec<usize> = (0..members.len()).filter(|i| !skipped.iter().any(|r| r.member == *i)).collect();
    let mut tally = Tally::new(members.len(), opts.live);
    for report in skipped {
        tally.record(ctx, &members, opts, io, report)?;
    }
    let canary: Vec<usize> = order.drain(..opts.canary.min(order.len())).collect();
    let mut write_failed = None;
    for (stage, batch) in [("canary", canary), ("fleet", order)] {
        if batch.is_empty() || (stage == "fleet" && tally.stopped(opts)) {
            continue;
        }
        fleet.run(&members, &batch, target, direction, opts.keep_going, &mut |report| {
            if write_failed.is_none() {
                write_failed = tally.record(ctx, &members, opts, io, report).err();
            }
        });
        if stage == "canary" && tally.failed > 0 {
            tally.canary_failed = true;
        }
    }
    if let Some(e) = write_failed {
        return Err(e);
    }
    tally.finish(ctx, &members, direction, target, opts, io)
}

fn failed_report(member: usize, heads: Vec<String>, error: &str) -> Report {
    Report { member, from: heads.clone(), to: heads, outcome: Ran::Failed(error.to_string()), elapsed: Duration::ZERO }
}

/// What the run has done so far, and the progress line.
struct Tally {
    total: usize,
    migrated: usize,
    unchanged: usize,
    failed: usize,
    failures: Vec<(usize, String)>,
    started: Instant,
    last_line: Option<Instant>,
    live: bool,
    seen: Vec<bool>,
    canary_failed: bool,
}

impl Tally {
    fn new(total: usize, live: bool) -> Tally {
        Tally {
            total,
            migrated: 0,
            unchanged: 0,
            failed: 0,
            failures: Vec::new(),
            started: Instant::now(),
            last_line: None,
            live,
            seen: vec![false; total],
            canary_failed: false,
        }
    }

    fn done(&self) -> usize {
        self.migrated + self.unchanged + self.failed
    }

    fn stopped(&self, opts: &FleetOptions) -> bool {
        self.canary_failed || (self.failed > 0 && !opts.keep_going)
    }

    fn record(
        &mut self,
        ctx: &Context,
        members: &[PathBuf],
        opts: &FleetOptions,
        io: &mut Io,
        r: Report,
    ) -> Result<()> {
        self.seen[r.member] = true;
        match &r.outcome {
            Ran::Migrated(_) => self.migrated += 1,
            Ran::Unchanged => self.unchanged += 1,
            Ran::Failed(e) => {
                self.failed += 1;
                self.failures.push((r.member, e.clone()));
            }
        }
        if opts.json {
            let (result, error) = match &r.outcome {
                Ran::Migrated(_) => ("migrated", serde_json::Value::Null),
                Ran::Unchanged => ("unchanged", serde_json::Value::Null),
                Ran::Failed(e) => ("failed", e.clone().into()),
            };
            let line = serde_json::json!({
                "path": ctx.shown(&members[r.member]),
                "from": r.from,
                "to": r.to,
                "result": result,
                "error": error,
                "time": (r.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            });
            writeln!(io.out, "{line}").map_err(write_error)?;
        }
        self.progress(io)
    }

    /// Done, failed and left, with the rate: redrawn in place on a
    /// terminal at most ten times a second, else a line every two seconds.
    fn progress(&mut self, io: &mut Io) -> Result<()> {
        let every = if self.live { Duration::from_millis(100) } else { Duration::from_secs(2) };
        let due = self.last_line.is_none_or(|t| t.elapsed() >= every);
        if !due || self.done() == self.total {
            return Ok(());
        }
        self.last_line = Some(Instant::now());
        let line = self.line();
        let written = if self.live { write!(io.err, "\r{line}\x1b[K") } else { writeln!(io.err, "{line}") };
        written.map_err(write_error)
    }

    fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = self.done() as f64 / secs;
        let left = self.total - self.done();
        let eta = if rate > 0.0 { format!(", about {:.0} s left", left as f64 / rate) } else { String::new() };
        format!(
            "fleet: {} done, {} failed, {} left ({}/s{eta})",
            thousands(self.done() as i64),
            thousands(self.failed as i64),
            thousands(left as i64),
            thousands(rate.round() as i64)
        )
    }

    fn finish(
        self,
        ctx: &Context,
        members: &[PathBuf],
        direction: Direction,
        target: &Target,
        opts: &FleetOptions,
        io: &mut Io,
    ) -> Result<Outcome> {
        if self.live && self.last_line.is_some() {
            write!(io.err, "\r\x1b[K").map_err(write_error)?;
        }
        let mut failures = self.failures.clone();
        failures.sort();
        for (i, e) in &failures {
            writeln!(io.err, "failed: {}: {e}", ctx.shown(&members[*i])).map_err(write_error)?;
        }
        let not_started: Vec<usize> = (0..self.total).filter(|i| !self.seen[*i]).collect();
        if opts.json {
            for i in &not_started {
                let line = serde_json::json!({
                    "path": ctx.shown(&members[*i]), "from": null, "to": null, "result": "not started",
                    "error": null, "time": 0.0,
                });
                writeln!(io.out, "{line}").map_err(write_error)?;
            }
        }
        let verb = if direction == Direction::Up { "Upgraded" } else { "Downgraded" };
        let mut summary = format!(
            "{verb} {}, {} already at {target}, {} failed",
            count(self.migrated as i64, "database"),
            thousands(self.unchanged as i64),
            thousands(self.failed as i64)
        );
        if !not_started.is_empty() {
            let why = if self.canary_failed {
                "a canary failed"
            } else {
                "the first failure stops new ones; --keep-going runs them all"
            };
            summary.push_str(&format!(", {} not started ({why})", thousands(not_started.len() as i64)));
        }
        summary.push_str(&format!(" in {:.1} s.", self.started.elapsed().as_secs_f64()));
        io.note(&summary)?;
        Ok(if self.failed > 0 || !not_started.is_empty() { Outcome::Differences } else { Outcome::Done })
    }
}

/// `current --fleet`: where each member stands, counted by heads.
pub fn current(ctx: &Context, opts: &FleetOptions, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    let members = members(ctx, opts)?;
    let open = opener(ctx);
    let fleet = Fleet { history: &history, version_table: &ctx.config.version_table, open: &open, jobs: opts.jobs };
    // The same read as an upgrade's grouping pass: heads per member.
    let (groups, errors) = fleet.groups(&members);
    let mut heads_of: Vec<Option<&Vec<String>>> = vec![None; members.len()];
    let mut at: std::collections::BTreeMap<&Vec<String>, usize> = Default::default();
    for g in &groups {
        g.members.iter().for_each(|&i| heads_of[i] = Some(&g.heads));
        *at.entry(&g.heads).or_default() += g.members.len();
    }
    if opts.json {
        for (i, heads) in heads_of.iter().enumerate() {
            let error = errors.iter().find(|(e, _)| *e == i).map(|(_, e)| e.as_str());
            let line = serde_json::json!({"path": ctx.shown(&members[i]), "heads": heads, "error": error});
            writeln!(io.out, "{line}").map_err(write_error)?;
        }
    } else {
        let tips = history.heads();
        let mut counted: Vec<(&Vec<String>, usize)> = at.into_iter().collect();
        counted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (heads, n) in counted {
            let head = if !heads.is_empty() && heads.iter().all(|h| tips.contains(h)) { " (head)" } else { "" };
            writeln!(io.out, "{} at {}{head}", count(n as i64, "database"), describe_heads(heads))
                .map_err(write_error)?;
        }
    }
    for (i, e) in &errors {
        writeln!(io.err, "failed: {}: {e}", ctx.shown(&members[*i])).map_err(write_error)?;
    }
    Ok(if errors.is_empty() { Outcome::Done } else { Outcome::Differences })
}

/// A member's heads and the differences from the model, described.
type Drift = (Vec<String>, Vec<String>);

/// `check --fleet`: which members differ from the model (or are not at
/// head), and how.
pub fn check(ctx: &Context, opts: &FleetOptions, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    let mut want = history.heads();
    want.sort();
    let model = ctx.model()?;
    let members = members(ctx, opts)?;
    let open = opener(ctx);
    let filter = ctx.filter();
    let inspect = |i: usize| -> std::result::Result<Drift, EngineError> {
        let mut engine = open(&members[i], false)?;
        let heads = engine.versions(&ctx.config.version_table)?.heads;
        let d = crate::diff::diff(&engine.introspect(&filter)?, &model.schema);
        Ok((heads, d.changes.iter().map(ToString::to_string).collect()))
    };
    let mut drifted = 0;
    let mut results: Vec<(usize, std::result::Result<Drift, String>)> = Vec::new();
    parallel(opts.jobs, members.len(), &AtomicBool::new(false), inspect, |i, r| {
        results.push((i, r.map_err(|e| e.to_string())));
    });
    results.sort_by_key(|(i, _)| *i);
    for (i, result) in &results {
        let path = ctx.shown(&members[*i]);
        let (line, differs) = match result {
            Ok((heads, changes)) if *heads == want && changes.is_empty() => (None, false),
            Ok((heads, changes)) => {
                let mut what = Vec::new();
                if *heads != want {
                    what.push(format!("at {}, not at the head {}", describe_heads(heads), describe_heads(&want)));
                }
                if !changes.is_empty() {
                    what.push(format!("{}: {}", count(changes.len() as i64, "difference"), changes.join("; ")));
                }
                (Some(what.join("; ")), true)
            }
            Err(e) => (Some(format!("cannot be read: {e}")), true),
        };
        drifted += usize::from(differs);
        if opts.json {
            let (heads, changes, error) = match result {
                Ok((h, c)) => (serde_json::json!(h), serde_json::json!(c), serde_json::Value::Null),
                Err(e) => (serde_json::Value::Null, serde_json::Value::Null, e.clone().into()),
            };
            let line = serde_json::json!({
                "path": path, "heads": heads, "at_head": result.as_ref().is_ok_and(|(h, _)| *h == want),
                "changes": changes, "error": error,
            });
            writeln!(io.out, "{line}").map_err(write_error)?;
        } else if let Some(line) = line {
            writeln!(io.out, "{path}: {line}").map_err(write_error)?;
        }
    }
    let matching = members.len() - drifted;
    io.note(&format!(
        "{} of {} match the model at head; {} differ.",
        thousands(matching as i64),
        count(members.len() as i64, "database"),
        thousands(drifted as i64)
    ))?;
    Ok(if drifted > 0 { Outcome::Differences } else { Outcome::Done })
}
