//! `autogen lint`, and the findings `check` and `revision --autogenerate`
//! show of what they would write.

use std::io::Write;

use super::error::Result;
use super::{write_error, Context, Io, Outcome};
use crate::engine::sqlite::Sqlite;
use crate::engine::{Engine, ScratchCopy, Stop};
use crate::migrate::history::{Direction, History, Range, Target};
use crate::plan::Capabilities;
use crate::verify::lint::{self, rules::history as about, Code, Finding, Lint, Scratch, Severity, Subject};

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LintFormat {
    /// `file:line: warning[AG102]: message (revision id)`
    #[default]
    Text,
    /// One JSON array of findings.
    Json,
    /// GitHub Actions workflow commands (`::warning file=…,line=…::…`),
    /// which put each finding on its line of the pull request.
    Github,
    /// One report for a pull request: the revisions' SQL and the findings
    /// as a table.
    Markdown,
}

#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// `[FROM:]TO`; none: what the database has not applied, or every
    /// revision without a database.
    pub range: Option<Range>,
    pub format: LintFormat,
}

/// Above this size a database's rows are not copied to give the numbers
/// (the scratch copies live in memory).
const ROWS_COPY_LIMIT: u64 = 64 * 1024 * 1024;

/// `autogen lint [RANGE]`.
pub fn lint(ctx: &Context, opts: &LintOptions, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    let filter = ctx.filter();
    let stop = Stop::default();
    let database = match (&opts.range, ctx.config.has_database()) {
        (None, true) => ctx.read_database()?,
        _ => None,
    };
    let mut notes = Vec::new();
    let mut checksums = Vec::new();
    let (mut scratch, caps, before, steps) = match database {
        Some(mut db) => {
            let versions = db.versions(&ctx.config.version_table)?;
            checksums = versions.checksums;
            let applied = history.applied_set(&versions.heads)?;
            let steps = history.steps_to(&applied, &Target::Heads, Direction::Up)?;
            let shape = db.scratch(ScratchCopy::Empty, &stop)?;
            // A D1 database's copy is a local D1 state (its rows as they are).
            let small = ctx
                .config
                .database
                .as_ref()
                .is_none_or(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= ROWS_COPY_LIMIT));
            let rows = if small {
                Some(db.scratch(ScratchCopy::Rows, &stop)?)
            } else {
                notes.push(format!(
                    "{} is over 64 MB: its rows were not copied, so findings carry no counts",
                    db.label()
                ));
                None
            };
            let database = match &ctx.config.database {
                Some(path) => format!("database `{}`", ctx.shown(path)),
                None => db.label(),
            };
            (Scratch { shape, rows, database }, db.capabilities(), Vec::new(), steps)
        }
        None => {
            let start = match opts.range.as_ref().and_then(|r| r.from.as_ref()) {
                Some(from) => history.applied_at(from, &[])?,
                None => Default::default(),
            };
            let to = opts.range.as_ref().map_or(Target::Heads, |r| r.to.clone());
            let steps = history.steps_to(&start, &to, Direction::Up)?;
            let before: Vec<String> = history.order.iter().filter(|id| start.contains(*id)).cloned().collect();
            let shape: Box<dyn Engine> = Box::new(Sqlite::memory()?);
            (Scratch { shape, rows: None, database: String::new() }, Capabilities::SQLITE, before, steps)
        }
    };
    let linter = Lint { filter: &filter, caps, policy: &ctx.config.lint };
    let mut findings = edited(ctx, &history, &linter, &checksums);
    for id in &before {
        let rev = &history.revisions[id];
        let file = ctx.shown(&rev.path);
        linter.replay(&mut scratch, &Subject { revision: id, file: &file, script: &rev.up, line: rev.up_line })?;
    }
    for (n, id) in steps.iter().enumerate() {
        let rev = &history.revisions[id];
        let file = ctx.shown(&rev.path);
        let subject = Subject { revision: id, file: &file, script: &rev.up, line: rev.up_line };
        let (found, goes_on) = linter.review(&mut scratch, &subject)?;
        findings.extend(found);
        if !goes_on {
            let left = steps.len() - n - 1;
            if left > 0 {
                notes.push(format!(
                    "{} after `{id}` not linted: their schema depends on it",
                    crate::words::count(left as i64, "revision")
                ));
            }
            break;
        }
    }
    findings.extend(several_heads(ctx, &history, &linter));
    let linted: Vec<(&String, &crate::migrate::revision::Revision)> =
        steps.iter().map(|id| (id, &history.revisions[id])).collect();
    write(ctx, &linted, &findings, opts.format, io)?;
    for note in notes {
        io.note(&format!("note: {note}"))?;
    }
    let (errors, warnings) = lint::tally(&findings);
    let linted = crate::words::count(steps.len() as i64, "revision");
    let summary = match (errors, warnings) {
        (0, 0) => format!("Linted {linted}: no findings."),
        _ => format!(
            "Linted {linted}: {}, {}.",
            crate::words::count(errors as i64, "error"),
            crate::words::count(warnings as i64, "warning")
        ),
    };
    if steps.is_empty() && opts.range.is_none() && ctx.config.has_database() {
        io.note(
            "Nothing to lint: the database has applied every revision (`autogen lint base:heads` lints them all).",
        )?;
    } else {
        io.note(&summary)?;
    }
    Ok(if errors > 0 { Outcome::Differences } else { Outcome::Done })
}

/// AG501 and AG502 as `check` reports them: several heads, and applied
/// revision files edited since (`engine`: the database, when there is one).
pub(crate) fn history_findings(
    ctx: &Context,
    history: &History,
    engine: &mut Option<Box<dyn Engine>>,
) -> Result<Vec<Finding>> {
    let filter = ctx.filter();
    let caps = engine.as_ref().map_or(Capabilities::SQLITE, |e| e.capabilities());
    let linter = Lint { filter: &filter, caps, policy: &ctx.config.lint };
    let checksums = match engine.as_mut() {
        Some(engine) => engine.versions(&ctx.config.version_table)?.checksums,
        None => Vec::new(),
    };
    let mut out = edited(ctx, history, &linter, &checksums);
    out.extend(several_heads(ctx, history, &linter));
    Ok(out)
}

/// AG502, for each applied revision whose file changed since it ran.
fn edited(ctx: &Context, history: &History, linter: &Lint, checksums: &[(String, String)]) -> Vec<Finding> {
    history
        .edited(checksums)
        .filter_map(|rev| {
            let file = ctx.shown(&rev.path);
            linter.about_history(Code::AG502, &rev.id, &file, about::edited(&rev.id, &file))
        })
        .collect()
}

/// AG501, when the revisions have several heads.
pub(crate) fn several_heads(ctx: &Context, history: &History, linter: &Lint) -> Option<Finding> {
    let heads = history.heads();
    if heads.len() < 2 {
        return None;
    }
    let newest = history.order.iter().rev().find(|id| heads.contains(id))?;
    let file = ctx.shown(&history.revisions[newest].path);
    linter.about_history(Code::AG501, newest, &file, about::several_heads(&heads))
}

/// The findings a revision would get before it is written: `up` was
/// planned from `diff` over `before`, so nothing needs to run. Lines count
/// from the section's first line.
pub(crate) fn findings_of_new(
    ctx: &Context,
    caps: Capabilities,
    up: &str,
    before: &crate::schema::Schema,
    diff: &crate::diff::Diff,
) -> Result<Vec<Finding>> {
    let filter = ctx.filter();
    let linter = Lint { filter: &filter, caps, policy: &ctx.config.lint };
    let subject = Subject { revision: "the new revision", file: "", script: up, line: 1 };
    Ok(linter.review_planned(&subject, before, diff)?)
}

/// Findings under a heading, one indented line each, for `check` and
/// `revision`: `line` counts from `first` (0: no line).
pub(crate) fn write_brief(findings: &[Finding], first: usize, out: &mut dyn Write) -> Result<()> {
    for f in findings {
        let line = if first > 0 && f.line > 0 { format!(" line {}", first + f.line - 1) } else { String::new() };
        writeln!(out, "  {}{line}: {}", label(f), f.message).map_err(write_error)?;
    }
    Ok(())
}

/// `warning[AG102]`, coloured by severity.
fn label(f: &Finding) -> String {
    let style = match f.severity {
        Severity::Error => anstyle::AnsiColor::Red.on_default().bold(),
        Severity::Warning => anstyle::AnsiColor::Yellow.on_default().bold(),
    };
    format!("{}{}[{}]{}", style.render(), f.severity, f.code, anstyle::Reset.render())
}

/// The findings in `format`; markdown also shows the `linted` revisions' SQL.
fn write(
    ctx: &Context,
    linted: &[(&String, &crate::migrate::revision::Revision)],
    findings: &[Finding],
    format: LintFormat,
    io: &mut Io,
) -> Result<()> {
    let text = match format {
        LintFormat::Text => findings
            .iter()
            .map(|f| {
                let place = match (f.file.as_str(), f.line) {
                    ("", _) => String::new(),
                    (file, 0) => format!("{file}: "),
                    (file, line) => format!("{file}:{line}: "),
                };
                format!("{place}{}: {} (revision {})\n", label(f), f.message, f.revision)
            })
            .collect::<String>(),
        LintFormat::Json => {
            let list: Vec<serde_json::Value> = findings.iter().map(json).collect();
            format!("{}\n", serde_json::to_string_pretty(&list).unwrap_or_default())
        }
        LintFormat::Github => findings.iter().map(github).collect(),
        LintFormat::Markdown => {
            let (errors, warnings) = lint::tally(findings);
            let md = super::markdown::Report {
                title: format!(
                    "autogen lint: {}, {}, {}",
                    crate::words::count(linted.len() as i64, "revision"),
                    crate::words::count(errors as i64, "error"),
                    crate::words::count(warnings as i64, "warning")
                ),
                diff: None,
                sql: None,
                findings,
                warnings: &[],
                revisions: linted
                    .iter()
                    .map(|(id, rev)| ((*id).clone(), ctx.shown(&rev.path), rev.up.clone()))
                    .collect(),
                next: None,
            };
            return super::markdown::write(&md, io.out).map_err(write_error);
        }
    };
    io.out.write_all(text.as_bytes()).map_err(write_error)
}

fn json(f: &Finding) -> serde_json::Value {
    let numbers: serde_json::Map<String, serde_json::Value> =
        f.numbers.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
    serde_json::json!({
        "code": f.code.to_string(),
        "severity": f.severity.to_string(),
        "revision": f.revision,
        "file": if f.file.is_empty() { serde_json::Value::Null } else { f.file.clone().into() },
        "line": if f.line == 0 { serde_json::Value::Null } else { f.line.into() },
        "message": f.message,
        "numbers": numbers,
    })
}

/// `::warning file=F,line=L,title=AG102::message`, escaped as GitHub's
/// workflow commands require (`%`, CR, LF everywhere; `:` and `,` in
/// properties).
fn github(f: &Finding) -> String {
    let data = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut props = Vec::new();
    if !f.file.is_empty() {
        props.push(format!("file={}", property(&f.file)));
    }
    if f.line > 0 {
        props.push(format!("line={}", f.line));
    }
    props.push(format!("title={}", property(&format!("{} {}", f.code, f.code.summary()))));
    format!("::{} {}::{} (revision {})\n", f.severity, props.join(","), data(&f.message), data(&f.revision))
}
