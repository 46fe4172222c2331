//! `autogen lint`: the review of a revision's SQL, generated or written by
//! hand, by rule code (cli.md, "Lint rules"). A revision is read statement
//! by statement ([`reading`]) and run on a scratch copy: the schemas before
//! and after it give the typed changes it makes, and the rules (one module
//! each, under [`rules`]) turn the risky ones into findings. Where the
//! scratch copy holds a database's rows, a finding carries the numbers.

mod reading;
pub(crate) use reading::{Group, Reading};
pub mod rules;

use std::collections::BTreeSet;
use std::fmt;

use crate::diff::{self, Diff};
use crate::engine::{Engine, EngineError, RunError, Unit};
use crate::plan::Capabilities;
use crate::schema::Schema;
use crate::source::introspect::Filter;
use crate::verify::warnings::{self, Measure};

/// A rule (cli.md, "Lint rules"); `AG000` is a revision that fails to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    AG000,
    AG101,
    AG102,
    AG201,
    AG202,
    AG203,
    AG204,
    AG301,
    AG302,
    AG401,
    AG402,
    AG403,
    AG501,
    AG502,
}

impl Code {
    pub const ALL: [Code; 14] = [
        Code::AG000,
        Code::AG101,
        Code::AG102,
        Code::AG201,
        Code::AG202,
        Code::AG203,
        Code::AG204,
        Code::AG301,
        Code::AG302,
        Code::AG401,
        Code::AG402,
        Code::AG403,
        Code::AG501,
        Code::AG502,
    ];

    /// What the rule finds, for the rules table and `lint --help`.
    pub fn summary(self) -> &'static str {
        match self {
            Code::AG000 => "the revision fails to run on the scratch copy (always an error)",
            Code::AG101 => "drops a table that holds data (destructive)",
            Code::AG102 => "drops a column that holds data (destructive)",
            Code::AG201 => "adds a UNIQUE or PRIMARY KEY over existing rows",
            Code::AG202 => "makes an existing column NOT NULL",
            Code::AG203 => "changes a type so that stored values convert (affinity)",
            Code::AG204 => "adds a CHECK or FOREIGN KEY that existing rows must satisfy",
            Code::AG301 => "renames a table (running app code breaks)",
            Code::AG302 => "renames a column (running app code breaks)",
            Code::AG401 => "rebuilds a table that other tables reference with ON DELETE/UPDATE actions",
            Code::AG402 => "holds BEGIN/COMMIT/SAVEPOINT or `PRAGMA foreign_keys` (no-op or forbidden)",
            Code::AG403 => "a statement over 100 KB (D1 refuses it)",
            Code::AG501 => "several heads",
            Code::AG502 => "an applied revision file was edited",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::str::FromStr for Code {
    type Err = String;

    fn from_str(s: &str) -> Result<Code, String> {
        let s = s.trim();
        Code::ALL.into_iter().find(|c| c.to_string().eq_ignore_ascii_case(s)).ok_or_else(|| {
            let known: Vec<String> = Code::ALL[1..].iter().map(ToString::to_string).collect();
            format!("`{s}` is not a lint rule: the rules are {}", known.join(", "))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// What the config says of each rule (`lint:` in autogen.yaml): every rule
/// warns unless listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub error: BTreeSet<Code>,
    pub warn: BTreeSet<Code>,
    pub ignore: BTreeSet<Code>,
}

impl Policy {
    /// The severity of `code` for an engine with `caps`, or `None` when it
    /// is ignored. What the engine refuses outright is an error unless the
    /// config says otherwise: D1 runs no BEGIN, keeps foreign keys on (so a
    /// rebuild's DROP TABLE fires the children's actions) and takes
    /// statements of at most 100 KB (sqlite.md, "D1").
    pub fn severity(&self, code: Code, caps: &Capabilities) -> Option<Severity> {
        if code == Code::AG000 {
            return Some(Severity::Error);
        }
        if self.ignore.contains(&code) {
            return None;
        }
        if self.error.contains(&code) {
            return Some(Severity::Error);
        }
        if self.warn.contains(&code) {
            return Some(Severity::Warning);
        }
        let refused = match code {
            Code::AG401 => !caps.foreign_keys_off,
            Code::AG402 => !caps.transactions,
            Code::AG403 => caps.max_statement_bytes.is_some(),
            _ => false,
        };
        Some(if refused { Severity::Error } else { Severity::Warning })
    }
}

/// One finding: the rule, where, and what it risks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub revision: String,
    /// The revision file; empty for a revision not written yet.
    pub file: String,
    /// The statement's line in the file; 0 for none.
    pub line: usize,
    pub message: String,
    /// What was counted in the database: (`non_null_values`, 3).
    pub numbers: Vec<(&'static str, i64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error("cannot make the scratch copy to lint on: {0}")]
    Scratch(EngineError),
    #[error("cannot read the scratch schema while linting: {0}")]
    Introspect(EngineError),
    #[error(transparent)]
    Run(Box<RunError>),
    #[error("{place}: {message}")]
    IgnoreComment { place: String, message: String },
}

/// One revision section to review.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub revision: &'a str,
    /// Its file; empty for a revision not written yet.
    pub file: &'a str,
    pub script: &'a str,
    /// The file's line where `script` begins; 0 for none.
    pub line: usize,
}

/// Where revisions are run while they are reviewed: `shape` has the schema
/// (and maybe rows), `rows` a copy of a real database's rows, which gives
/// the numbers. Both move forward one revision at a time.
pub struct Scratch {
    pub shape: Box<dyn Engine>,
    pub rows: Option<Box<dyn Engine>>,
    /// How findings name the database the numbers come from.
    pub database: String,
}

/// What a review runs with.
pub struct Lint<'a> {
    pub filter: &'a Filter,
    pub caps: Capabilities,
    pub policy: &'a Policy,
}

/// What one rule found, before the policy and the ignore comments.
pub(crate) struct Hit {
    /// What the runner refuses on every engine: an error unless the config
    /// says `warn` (or `ignore`) for its code.
    pub refused: bool,
    pub code: Code,
    pub at: At,
    pub message: String,
    pub numbers: Vec<(&'static str, i64)>,
}

/// Which statements a hit is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum At {
    Statement(usize),
    /// A rebuild: its statements, first to last.
    Span(usize, usize),
    Nowhere,
}

/// A revision as the rules see it.
pub(crate) struct Review<'a> {
    pub reading: &'a Reading<'a>,
    pub before: &'a Schema,
    pub diff: &'a Diff,
    /// The database's counts for the changes of `diff` (in the order of
    /// their change), and the rows of each dropped table (by statement);
    /// empty without a database.
    pub measures: &'a [Measure],
    pub dropped_rows: &'a [(usize, i64)],
    pub caps: &'a Capabilities,
    pub database: &'a str,
}

impl Lint<'_> {
    /// Runs `subject` on the scratch without reviewing it (revisions before
    /// the range under review).
    pub fn replay(&self, scratch: &mut Scratch, subject: &Subject) -> Result<(), LintError> {
        let reading = Reading::of(subject).map_err(|e| LintError::Run(Box::new(e)))?;
        let runnable = reading.runnable(subject.script);
        let unit = unit(subject, &runnable);
        scratch.shape.run(&unit).map_err(|e| LintError::Run(Box::new(e)))?;
        if let Some(rows) = scratch.rows.as_mut() {
            if rows.run(&unit).is_err() {
                scratch.rows = None;
            }
        }
        Ok(())
    }

    /// Reviews `subject` and moves the scratch past it. The flag is false
    /// when the revision could not run on the schema: its AG000 finding is
    /// then the last, as no later revision can be read.
    pub fn review(&self, scratch: &mut Scratch, subject: &Subject) -> Result<(Vec<Finding>, bool), LintError> {
        let reading = Reading::of(subject).map_err(|e| LintError::Run(Box::new(e)))?;
        reading.check_ignores(subject)?;
        let before = scratch.shape.introspect(self.filter).map_err(LintError::Introspect)?;
        let runnable = reading.runnable(subject.script);
        let unit = unit(subject, &runnable);
        let mut hits = Vec::new();
        let mut goes_on = true;
        let (after, diff) = match scratch.shape.run(&unit) {
            Ok(_) => {
                let after = scratch.shape.introspect(self.filter).map_err(LintError::Introspect)?;
                let renames = reading.renames(&before, &after);
                let d = diff::diff_with_renames(&before, &after, renames);
                (after, d)
            }
            Err(e) => {
                hits.push(failure(&reading, &e, "on the schema"));
                goes_on = false;
                (before.clone(), diff::diff_with_renames(&before, &before, Default::default()))
            }
        };
        let (mut measures, mut dropped_rows) = (Vec::new(), Vec::new());
        if let (Some(rows), true) = (scratch.rows.as_mut(), goes_on) {
            measures = warnings::measures(rows.as_mut(), &diff, &after);
            // By change, for `Review::measured`.
            measures.sort_by_key(|m| m.change);
            let drops = reading.dropped_tables(&before);
            let queries: Vec<String> =
                drops.iter().map(|(_, t)| format!("SELECT count(*) FROM {}", crate::sql::quote::ident(t))).collect();
            dropped_rows = drops.iter().zip(rows.counts(&queries)).filter_map(|((i, _), n)| Some((*i, n?))).collect();
            if let Err(e) = rows.run(&unit) {
                hits.push(failure(&reading, &e, &format!("on a copy of {}", scratch.database)));
                scratch.rows = None;
            }
        }
        let review = Review {
            reading: &reading,
            before: &before,
            diff: &diff,
            measures: &measures,
            dropped_rows: &dropped_rows,
            caps: &self.caps,
            database: &scratch.database,
        };
        if goes_on {
            hits.extend(rules::all(&review));
        }
        Ok((self.findings(subject, &reading, hits), goes_on))
    }

    /// Reviews a revision not written yet, whose changes are known: `diff`
    /// from `before` is what `subject` was planned from, so nothing runs
    /// (`check` and `revision --autogenerate` show these before the file
    /// exists; the rehearsal runs it).
    pub fn review_planned(&self, subject: &Subject, before: &Schema, diff: &Diff) -> Result<Vec<Finding>, LintError> {
        let reading = Reading::of(subject).map_err(|e| LintError::Run(Box::new(e)))?;
        reading.check_ignores(subject)?;
        let review = Review {
            reading: &reading,
            before,
            diff,
            measures: &[],
            dropped_rows: &[],
            caps: &self.caps,
            database: "",
        };
        Ok(self.findings(subject, &reading, rules::all(&review)))
    }

    /// Hits as findings: placed on their line, silenced by the comments
    /// over their statements, weighed by the policy, in file order.
    fn findings(&self, subject: &Subject, reading: &Reading, hits: Vec<Hit>) -> Vec<Finding> {
        let mut out: Vec<Finding> = hits
            .into_iter()
            .filter(|h| h.code == Code::AG000 || !reading.ignored(h.code, h.at))
            .filter_map(|h| {
                let severity = match self.policy.severity(h.code, &self.caps)? {
                    Severity::Warning if h.refused && !self.policy.warn.contains(&h.code) => Severity::Error,
                    severity => severity,
                };
                Some(Finding {
                    code: h.code,
                    severity,
                    revision: subject.revision.to_string(),
                    file: subject.file.to_string(),
                    line: reading.line(h.at),
                    message: h.message,
                    numbers: h.numbers,
                })
            })
            .collect();
        out.sort_by_key(|f| (f.line, f.code));
        out
    }

    /// A finding about the revisions as a whole (AG501, AG502), unless the
    /// policy ignores it.
    pub fn about_history(&self, code: Code, revision: &str, file: &str, message: String) -> Option<Finding> {
        Some(Finding {
            code,
            severity: self.policy.severity(code, &self.caps)?,
            revision: revision.to_string(),
            file: file.to_string(),
            line: usize::from(!file.is_empty()),
            message,
            numbers: Vec::new(),
        })
    }
}

fn unit<'a>(subject: &Subject<'a>, runnable: &'a str) -> Unit<'a> {
    Unit {
        revision: subject.revision,
        file: subject.file,
        script: runnable,
        line: subject.line,
        version: None,
        online: &[],
    }
}

/// AG000: where the revision failed and SQLite's words.
fn failure(reading: &Reading, e: &RunError, place: &str) -> Hit {
    let (at, message) = match e {
        RunError::Statement(f) => (
            reading.at_line(f.line).map_or(At::Nowhere, At::Statement),
            format!("the upgrade fails {place}: {}", crate::sql::guard_message(&f.message)),
        ),
        other => (At::Nowhere, format!("the upgrade fails {place}: {}", first_line(&other.to_string()))),
    };
    Hit { refused: false, code: Code::AG000, at, message, numbers: Vec::new() }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// The severity counts of `findings`: (errors, warnings).
pub fn tally(findings: &[Finding]) -> (usize, usize) {
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    (errors, findings.len() - errors)
}
