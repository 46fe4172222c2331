//! The graph the revision files form, and where a target leaves it.
//! The order comes from the headers (`Revises:`), never from file names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::revision::{parse, Revision, RevisionError};

/// All revisions of a versions folder.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub revisions: BTreeMap<String, Revision>,
    /// Parents before children; ties by id. Stable.
    pub order: Vec<String>,
}

impl History {
    /// Reads every `*.sql` file of `dir`; a missing folder is no history.
    pub fn load(dir: &Path) -> Result<History, RevisionError> {
        let mut history = History::default();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(history),
            Err(source) => return Err(RevisionError::Folder { path: dir.to_path_buf(), source }),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql") && p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let text =
                std::fs::read_to_string(&path).map_err(|source| RevisionError::Read { path: path.clone(), source })?;
            let rev = parse(&text, &path)?;
            if let Some(first) = history.revisions.get(&rev.id) {
                return Err(RevisionError::DuplicateId { id: rev.id.clone(), first: first.path.clone(), second: path });
            }
            history.revisions.insert(rev.id.clone(), rev);
        }
        for rev in history.revisions.values() {
            if let Some(parent) = rev.parents.iter().find(|p| !history.revisions.contains_key(*p)) {
                return Err(RevisionError::UnknownParent {
                    id: rev.id.clone(),
                    path: rev.path.clone(),
                    parent: parent.clone(),
                });
            }
        }
        history.order = topological(&history.revisions)?;
        Ok(history)
    }

    /// The applied revisions whose file is not what it was when it ran:
    /// `checksums` as the version table recorded them.
    pub fn edited<'h>(&'h self, checksums: &'h [(String, String)]) -> impl Iterator<Item = &'h Revision> {
        checksums.iter().filter_map(|(id, sum)| self.revisions.get(id).filter(|r| r.checksum != *sum))
    }

    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }

    /// Revisions no other revision revises, by id.
    pub fn heads(&self) -> Vec<String> {
        let parents: BTreeSet<&String> = self.revisions.values().flat_map(|r| &r.parents).collect();
        self.revisions.keys().filter(|id| !parents.contains(id)).cloned().collect()
    }

    /// A revision by full id or unique prefix.
    pub fn resolve(&self, spec: &str) -> Result<&Revision, RevisionError> {
        if let Some(r) = self.revisions.get(spec) {
            return Ok(r);
        }
        let matches: Vec<&Revision> = self.revisions.values().filter(|r| r.id.starts_with(spec)).collect();
        match matches.as_slice() {
            [one] if !spec.is_empty() => Ok(one),
            [] | [_] => Err(RevisionError::Unknown(spec.to_string())),
            many => Err(RevisionError::Ambiguous {
                spec: spec.to_string(),
                matches: many.iter().map(|r| r.id.clone()).collect(),
            }),
        }
    }

    /// `id` and everything it builds on.
    pub fn ancestors_of(&self, id: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![id.to_string()];
        while let Some(next) = todo.pop() {
            if seen.insert(next.clone()) {
                if let Some(r) = self.revisions.get(&next) {
                    todo.extend(r.parents.iter().cloned());
                }
            }
        }
        seen
    }

    /// Everything applied when the database is at `heads`.
    pub fn applied_set(&self, heads: &[String]) -> Result<BTreeSet<String>, RevisionError> {
        let mut all = BTreeSet::new();
        for h in heads {
            if !self.revisions.contains_key(h) {
                return Err(RevisionError::UnknownCurrent(h.clone()));
            }
            all.extend(self.ancestors_of(h));
        }
        Ok(all)
    }

    /// The heads of an applied set: applied revisions no applied revision revises.
    pub fn heads_of(&self, applied: &BTreeSet<String>) -> Vec<String> {
        let parents: BTreeSet<&String> =
            applied.iter().filter_map(|id| self.revisions.get(id)).flat_map(|r| &r.parents).collect();
        applied.iter().filter(|id| !parents.contains(id)).cloned().collect()
    }
}

fn topological(revisions: &BTreeMap<String, Revision>) -> Result<Vec<String>, RevisionError> {
    let mut order = Vec::with_capacity(revisions.len());
    let mut placed = BTreeSet::new();
    let mut remaining: Vec<&Revision> = revisions.values().collect();
    while !remaining.is_empty() {
        let Some(i) = remaining.iter().position(|r| r.parents.iter().all(|p| placed.contains(p))) else {
            let mut cycle: Vec<String> = remaining.iter().map(|r| r.id.clone()).collect();
            cycle.sort();
            return Err(RevisionError::Cycle(cycle));
        };
        let r = remaining.remove(i);
        placed.insert(r.id.clone());
        order.push(r.id.clone());
    }
    Ok(order)
}

impl History {
    /// The one head; several are an error that says to merge them.
    pub fn single_head(&self) -> Result<Option<String>, RevisionError> {
        let heads = self.heads();
        match heads.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            _ => Err(RevisionError::SeveralHeads(heads)),
        }
    }

    /// Everything applied at `target` (a place in the graph, not a step).
    pub fn applied_at(&self, target: &Target, current: &[String]) -> Result<BTreeSet<String>, MigrateError> {
        Ok(match target {
            Target::Head => self.single_head()?.map(|h| self.ancestors_of(&h)).unwrap_or_default(),
            Target::Heads => self.heads().iter().flat_map(|h| self.ancestors_of(h)).collect(),
            Target::Base => BTreeSet::new(),
            Target::Current => self.applied_set(current)?,
            Target::Revision(spec) => self.ancestors_of(&self.resolve(spec)?.id),
            Target::Relative(n) => {
                return Err(MigrateError::Usage(format!(
                    "`{n:+}` is a step, not a revision: name a revision, head or base here"
                )))
            }
        })
    }

    /// The revisions to run, in order, to go from `applied` to `target`.
    pub fn steps_to(
        &self,
        applied: &BTreeSet<String>,
        target: &Target,
        direction: Direction,
    ) -> Result<Vec<String>, MigrateError> {
        let wanted = match (target, direction) {
            (Target::Relative(n), Direction::Up) if *n >= 0 => return self.next_up(applied, *n as usize),
            (Target::Relative(n), Direction::Down) if *n <= 0 => {
                return self.next_down(applied, n.unsigned_abs() as usize)
            }
            (Target::Relative(n), _) => {
                return Err(MigrateError::Usage(format!(
                    "`{n:+}` goes the wrong way for this command: upgrade takes +N, downgrade takes -N"
                )))
            }
            (other, _) => self.applied_at(other, &self.heads_of(applied))?,
        };
        match direction {
            Direction::Up => {
                if applied.iter().any(|a| !wanted.contains(a)) && wanted.iter().all(|w| applied.contains(w)) {
                    return Err(MigrateError::Target(format!(
                        "the target `{target}` is below the current revision: use `autogen downgrade {target}`"
                    )));
                }
                Ok(self.order.iter().filter(|id| wanted.contains(*id) && !applied.contains(*id)).cloned().collect())
            }
            Direction::Down => {
                if wanted.iter().any(|w| !applied.contains(w)) {
                    return Err(MigrateError::Target(format!(
                        "the target `{target}` is not below the current revision: use `autogen upgrade {target}`"
                    )));
                }
                Ok(self
                    .order
                    .iter()
                    .rev()
                    .filter(|id| applied.contains(*id) && !wanted.contains(*id))
                    .cloned()
                    .collect())
            }
        }
    }

    /// `+N`: N revisions, each the one whose parents are all applied. Several
    /// candidates at a step is a branch: the user must name the target.
    fn next_up(&self, applied: &BTreeSet<String>, n: usize) -> Result<Vec<String>, MigrateError> {
        let mut done = applied.clone();
        let mut out = Vec::new();
        for _ in 0..n {
            let ready: Vec<&String> = self
                .order
                .iter()
                .filter(|id| !done.contains(*id) && self.revisions[*id].parents.iter().all(|p| done.contains(p)))
                .collect();
            match ready.as_slice() {
                [] => {
                    return Err(MigrateError::Target(format!(
                        "cannot upgrade {}: only {} not applied yet",
                        crate::words::count(n as i64, "revision"),
                        match out.len() {
                            1 => "1 is".to_string(),
                            k => format!("{k} are"),
                        }
                    )))
                }
                [one] => {
                    done.insert((*one).clone());
                    out.push((*one).clone());
                }
                many => {
                    let many: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
                    return Err(MigrateError::Target(format!(
                        "`+{n}` is ambiguous at a branch ({}): name the revision to upgrade to",
                        many.join(", ")
                    )));
                }
            }
        }
        Ok(out)
    }

    /// `-N`: N revisions off the top, one current head at a time.
    fn next_down(&self, applied: &BTreeSet<String>, n: usize) -> Result<Vec<String>, MigrateError> {
        if n > applied.len() {
            return Err(MigrateError::Target(format!(
                "cannot downgrade {}: only {} applied (use `autogen downgrade base` to undo them all)",
                crate::words::count(n as i64, "revision"),
                match applied.len() {
                    1 => "1 is".to_string(),
                    k => format!("{k} are"),
                }
            )));
        }
        let mut done = applied.clone();
        let mut out = Vec::new();
        for _ in 0..n {
            match self.heads_of(&done).as_slice() {
                [one] => {
                    done.remove(one);
                    out.push(one.clone());
                }
                many => {
                    return Err(MigrateError::Target(format!(
                        "`-{n}` is ambiguous with several current heads ({}): name the revision to downgrade to",
                        many.join(", ")
                    )))
                }
            }
        }
        Ok(out)
    }
}

/// Which way a revision runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// A target as the user wrote it (cli.md, "Commands"), parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Head,
    Heads,
    Base,
    /// Where the database is (`history -r`, `show`).
    Current,
    /// `+N` or `-N`.
    Relative(i64),
    /// A revision id or a unique prefix of one.
    Revision(String),
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Target, String> {
        let s = s.trim();
        Ok(match s {
            "head" => Target::Head,
            "heads" => Target::Heads,
            "base" => Target::Base,
            "current" => Target::Current,
            "" => return Err("a target cannot be empty: use head, base, +N, -N or a revision id".into()),
            _ => match s
                .strip_prefix('+')
                .or_else(|| s.starts_with('-').then_some(s))
                .and_then(|n| n.parse::<i64>().ok())
            {
                Some(n) => Target::Relative(n),
                None if s.starts_with(['+', '-']) => {
                    return Err(format!("`{s}` is not a step: write +N or -N with a whole number"))
                }
                None => Target::Revision(s.to_string()),
            },
        })
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Head => write!(f, "head"),
            Target::Heads => write!(f, "heads"),
            Target::Base => write!(f, "base"),
            Target::Current => write!(f, "current"),
            Target::Relative(n) => write!(f, "{n:+}"),
            Target::Revision(s) => write!(f, "{s}"),
        }
    }
}

/// `[FROM:]TO`, as `upgrade ... --sql` and `history -r` take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub from: Option<Target>,
    pub to: Target,
}

impl std::str::FromStr for Range {
    type Err = String;

    /// An open side reads as `history -r` reads it: `:X` from base, `X:`
    /// to the heads.
    fn from_str(s: &str) -> Result<Range, String> {
        let side = |t: &str, open: Target| if t.trim().is_empty() { Ok(open) } else { t.parse() };
        match s.split_once(':') {
            Some((from, to)) => Ok(Range { from: Some(side(from, Target::Base)?), to: side(to, Target::Heads)? }),
            None => Ok(Range { from: None, to: s.parse()? }),
        }
    }
}

/// `START:END` for `history -r`: either side may be empty (no bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: Option<Target>,
    pub end: Option<Target>,
}

impl std::str::FromStr for Span {
    type Err = String;

    fn from_str(s: &str) -> Result<Span, String> {
        let (start, end) =
            s.split_once(':').ok_or_else(|| format!("`{s}` should be START:END, either side may be empty"))?;
        let side = |t: &str| if t.trim().is_empty() { Ok(None) } else { t.parse().map(Some) };
        Ok(Span { start: side(start)?, end: side(end)? })
    }
}

impl History {
    /// The revisions a span keeps, newest first, both ends included.
    pub fn within(&self, span: &Span, current: &[String]) -> Result<Vec<&Revision>, MigrateError> {
        let bound = |t: &Option<Target>| -> Result<Option<Vec<String>>, MigrateError> {
            Ok(match t {
                None | Some(Target::Base) => None,
                Some(Target::Head | Target::Heads) => Some(self.heads()),
                Some(Target::Current) => Some(current.to_vec()),
                Some(Target::Revision(spec)) => Some(vec![self.resolve(spec)?.id.clone()]),
                Some(Target::Relative(n)) => {
                    return Err(MigrateError::Usage(format!("`{n:+}` cannot bound a history range: name a revision")))
                }
            })
        };
        // An empty end is the heads (as Alembic reads `-r abc:`); an empty
        // start, like `base`, bounds nothing.
        let end = match &span.end {
            None => Some(self.heads()),
            given => bound(given)?,
        };
        let (mut start, mut end) = (bound(&span.start)?, end);
        // `head:base` means the same revisions as `base:head`.
        let above = |a: &Option<Vec<String>>, b: &Option<Vec<String>>| match (a, b) {
            (Some(_), None) => true,
            (Some(a), Some(b)) => a.iter().all(|a| b.iter().any(|b| a != b && self.ancestors_of(a).contains(b))),
            _ => false,
        };
        if above(&start, &end) {
            std::mem::swap(&mut start, &mut end);
        }
        let below_end = |id: &String| end.as_ref().is_none_or(|e| e.iter().any(|e| self.ancestors_of(e).contains(id)));
        let above_start =
            |id: &String| start.as_ref().is_none_or(|s| s.iter().any(|s| self.ancestors_of(id).contains(s)));
        Ok(self
            .order
            .iter()
            .rev()
            .filter(|id| below_end(id) && above_start(id))
            .map(|id| &self.revisions[id])
            .collect())
    }
}

/// A target that cannot be reached from where the database is.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Revision(#[from] RevisionError),
    #[error("{0}")]
    Target(String),
    /// A target the command cannot take at all, whatever the revisions:
    /// a step the wrong way, a step where a revision goes (exit 2).
    #[error("{0}")]
    Usage(String),
}

/// Heads as messages show them: `<base>` for none.
pub fn describe_heads(heads: &[String]) -> String {
    if heads.is_empty() {
        "<base>".to_string()
    } else {
        heads.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_once() {
        assert_eq!("head".parse(), Ok(Target::Head));
        assert_eq!("-1".parse(), Ok(Target::Relative(-1)));
        assert_eq!("+2".parse(), Ok(Target::Relative(2)));
        assert_eq!("5c3f".parse(), Ok(Target::Revision("5c3f".into())));
        assert!("-x".parse::<Target>().is_err());
        assert!("".parse::<Target>().is_err());
        assert_eq!("base:head".parse(), Ok(Range { from: Some(Target::Base), to: Target::Head }));
        assert_eq!("head".parse(), Ok(Range { from: None, to: Target::Head }));
    }
}
