//! Many databases, one history (cli.md, "Many databases: fleets"): a
//! database per tenant. Each member is migrated on its own, through its own
//! engine, one revision per transaction with its version-table update, so a
//! run that is killed leaves every member at a revision boundary and the
//! next run carries on from where each one stands. Before any member is
//! touched the members are grouped by what they hold (the stored schema and
//! the heads) and the revisions are rehearsed once per group on a scratch
//! copy of one member.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::apply::{self, ApplyError, Event};
use super::history::{describe_heads, Direction, History, Target};
use crate::engine::{Engine, EngineError, ScratchCopy, Stop};

/// Opens a member: for writing (`true`) or to read.
pub type Open<'a> = dyn Fn(&Path, bool) -> Result<Box<dyn Engine>, EngineError> + Sync + 'a;

/// What a fleet run works with.
pub struct Fleet<'a> {
    pub history: &'a History,
    pub version_table: &'a str,
    pub open: &'a Open<'a>,
    /// Members migrated at once.
    pub jobs: usize,
}

/// Members that hold the same schema at the same heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub heads: Vec<String>,
    /// Indexes into the member list, in order.
    pub members: Vec<usize>,
}

/// How one member's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This many revisions ran.
    Migrated(usize),
    /// It was at the target already.
    Unchanged,
    Failed(String),
}

/// One member's run.
#[derive(Debug, Clone)]
pub struct Report {
    pub member: usize,
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

impl Fleet<'_> {
    /// The members grouped by fingerprint and heads, read `jobs` at a time;
    /// a member that cannot be read is in `unreadable` with its error.
    pub fn groups(&self, members: &[PathBuf]) -> (Vec<Group>, Vec<(usize, String)>) {
        let mut groups: BTreeMap<(Vec<String>, u64), Vec<usize>> = BTreeMap::new();
        let mut unreadable = Vec::new();
        let read = |i: usize| -> Result<(Vec<String>, u64), EngineError> {
            let mut engine = (self.open)(&members[i], false)?;
            Ok((engine.versions(self.version_table)?.heads, engine.fingerprint()?))
        };
        parallel(self.jobs, members.len(), &AtomicBool::new(false), read, |i, key| match key {
            Ok(key) => groups.entry(key).or_default().push(i),
            Err(e) => unreadable.push((i, e.to_string())),
        });
        let mut out: Vec<Group> = groups
            .into_iter()
            .map(|((heads, _), mut members)| {
                members.sort_unstable();
                Group { heads, members }
            })
            .collect();
        out.sort_by_key(|g| g.members[0]);
        unreadable.sort();
        (out, unreadable)
    }

    /// `target` as one place for every member: a step (`-1`, `+1`) is taken
    /// from where the members stand, which must then be one place.
    pub fn fixed_target(&self, groups: &[Group], target: &Target, direction: Direction) -> Result<Target, String> {
        if !matches!(target, Target::Relative(_)) {
            return Ok(target.clone());
        }
        let mut places: Vec<(&Vec<String>, usize)> = Vec::new();
        for g in groups {
            match places.iter_mut().find(|(h, _)| **h == g.heads) {
                Some((_, n)) => *n += g.members.len(),
                None => places.push((&g.heads, g.members.len())),
            }
        }
        if places.is_empty() {
            // No member could be read: each fails on its own.
            return Ok(target.clone());
        }
        let [(heads, _)] = places.as_slice() else {
            let list: Vec<String> = places
                .iter()
                .map(|(h, n)| format!("{} at {}", crate::words::count(*n as i64, "database"), describe_heads(h)))
                .collect();
            return Err(format!(
                "`{target}` is a step from where a database stands, and the fleet's stand at different revisions \
                 ({}): name the revision to go to (`autogen {} REVISION --fleet ...`), so that every database \
                 arrives at the same one",
                list.join(", "),
                if direction == Direction::Up { "upgrade" } else { "downgrade" }
            ));
        };
        let start = self.history.applied_set(heads).map_err(|e| e.to_string())?;
        let steps = self.history.steps_to(&start, target, direction).map_err(|e| e.to_string())?;
        let mut goal = start;
        match direction {
            Direction::Up => goal.extend(steps),
            Direction::Down => steps.iter().for_each(|s| {
                goal.remove(s);
            }),
        }
        match self.history.heads_of(&goal).as_slice() {
            [] => Ok(Target::Base),
            [one] => Ok(Target::Revision(one.clone())),
            many => Err(format!(
                "`{target}` leads the fleet to several heads ({}): name them, or use `heads`",
                many.join(", ")
            )),
        }
    }

    /// Runs the revisions to `target` on a scratch copy of the group's
    /// first member, rows and all. Where that fails on the member's rows,
    /// the revisions are run again on its schema alone: when that passes,
    /// the revisions are sound for the group and the rows are that member's
    /// own, which its own run refuses (rolled back) without holding back
    /// the others.
    pub fn rehearse(
        &self,
        members: &[PathBuf],
        group: &Group,
        target: &Target,
        direction: Direction,
    ) -> Result<(), String> {
        let first = &members[group.members[0]];
        let mut engine = (self.open)(first, false).map_err(|e| e.to_string())?;
        let mut on = |copy| -> Result<(), String> {
            let mut scratch = engine.scratch(copy, &Stop::default()).map_err(|e| e.to_string())?;
            if copy == ScratchCopy::Empty {
                // No rows, the version table's neither: where the group stands.
                apply::stamp(scratch.as_mut(), self.history, self.version_table, &group.heads, true)
                    .map_err(|e| e.to_string())?;
            }
            apply::migrate(scratch.as_mut(), self.history, self.version_table, target, direction, &mut |_| {})
                .map_err(|e| e.to_string())
        };
        let with_rows = on(ScratchCopy::Rows);
        if with_rows.is_err() && on(ScratchCopy::Empty).is_ok() {
            return Ok(());
        }
        with_rows
    }

    /// Migrates the members in `order`, `jobs` at a time, telling `on` of
    /// each as it ends. With `keep_going` false the first failure stops
    /// new members from starting; those running finish whole.
    pub fn run(
        &self,
        members: &[PathBuf],
        order: &[usize],
        target: &Target,
        direction: Direction,
        keep_going: bool,
        on: &mut dyn FnMut(Report),
    ) {
        let stop = AtomicBool::new(false);
        let one = |k: usize| {
            let report = self.migrate_one(order[k], &members[order[k]], target, direction);
            // Set by the worker itself, before it takes another member.
            if matches!(report.outcome, Outcome::Failed(_)) && !keep_going {
                stop.store(true, Ordering::Relaxed);
            }
            report
        };
        parallel(self.jobs, order.len(), &stop, one, |_, report| on(report));
    }

    fn migrate_one(&self, member: usize, path: &Path, target: &Target, direction: Direction) -> Report {
        let started = Instant::now();
        let mut from = Vec::new();
        let mut ran = 0;
        let result = (|| -> Result<Vec<String>, ApplyError> {
            // A fleet never creates a member: one gone since it was listed is a failure.
            if !path.exists() {
                return Err(EngineError::Db(crate::engine::DbError::Missing(path.to_path_buf())).into());
            }
            let mut engine = (self.open)(path, true)?;
            from = engine.versions(self.version_table)?.heads;
            apply::migrate(engine.as_mut(), self.history, self.version_table, target, direction, &mut |e| {
                if matches!(e, Event::Ran { .. }) {
                    ran += 1;
                }
            })?;
            Ok(if ran > 0 { engine.versions(self.version_table)?.heads } else { from.clone() })
        })();
        let (to, outcome) = match result {
            Ok(to) if ran > 0 => (to, Outcome::Migrated(ran)),
            Ok(to) => (to, Outcome::Unchanged),
            Err(e) => (Vec::new(), Outcome::Failed(e.to_string())),
        };
        Report { member, from, to, outcome, elapsed: started.elapsed() }
    }
}

/// Runs `work(0..n)` on `jobs` threads, handing each result to `done` on
/// this thread as it comes; once `stop` is set no new item starts.
pub fn parallel<T: Send>(
    jobs: usize,
    n: usize,
    stop: &AtomicBool,
    work: impl Fn(usize) -> T + Sync,
    mut done: impl FnMut(usize, T),
) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, n.max(1)) {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            s.spawn(move || loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || tx.send((i, work(i))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            done(i, result);
        }
    });
}
