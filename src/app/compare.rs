//! The model against the database: `diff`, `check`, `check --replay`, and
//! `inspect` (the database as a model).

use super::error::Result;
use super::{
    checked_then, data_warnings, diff_checked, diff_then, report, write_error, write_warnings, Context, Io, Outcome,
    Read,
};
use crate::engine::sqlite::Sqlite;
use crate::engine::{Engine, Unit};
use crate::migrate::history::{describe_heads, Direction};
use crate::migrate::revision::RevisionError;
use crate::plan::{self, Capabilities};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    /// The model as an ER diagram, the changes marked.
    Mermaid,
    /// One report for a pull request: the changes, the SQL, lint, a diagram.
    Markdown,
}

/// What `inspect` prints the schema as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InspectFormat {
    #[default]
    Yaml,
    Sql,
    Mermaid,
}

#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    pub sql: bool,
    pub format: Format,
    pub exit_code: bool,
}

/// `autogen diff`: the model against the database.
pub fn diff(ctx: &Context, opts: &DiffOptions, io: &mut Io) -> Result<Outcome> {
    let Read { model, db, mut engine } = ctx.model_and_database(|_| Ok(()))?;
    if engine.is_none() {
        note_missing(ctx, io)?;
    }
    let caps = engine.as_ref().map_or(Capabilities::SQLITE, |e| e.capabilities());
    // The comparison takes the database's schema over; `--sql` plans from a copy.
    let markdown = matches!(opts.format, Format::Markdown);
    let kept = (opts.sql || markdown).then(|| db.clone());
    let compare = || crate::diff::diff_owned(db, &model.schema);
    let (d, (warnings, upgrade, text)) = checked_then(&model, compare, |d, _| {
        let warnings = data_warnings(&mut engine, d, &model.schema);
        let upgrade = kept.as_ref().map(|db| {
            let sizes = super::sizes(engine.as_mut().map(|e| &mut **e as &mut dyn Engine), d, db);
            plan::section(d, db, &model.schema, &caps, &plan::Options { sizes, ..Default::default() })
        });
        // The report is drawn while SQLite checks the model on the other
        // thread; it is written only once the check has passed.
        let mut text = Vec::new();
        if markdown {
            let findings = match (&upgrade, &kept) {
                (Some(up), Some(db)) if !d.is_empty() => super::lint::findings_of_new(ctx, caps, up, db, d)?,
                _ => Vec::new(),
            };
            let md = super::markdown::Report::comparison(
                "diff",
                (d, &model.schema),
                upgrade.as_deref(),
                &findings,
                &warnings,
                false,
            );
            super::markdown::write(&md, &mut text).map_err(write_error)?;
        } else if upgrade.is_none() && matches!(opts.format, Format::Text) {
            report::write_text(d, &model.schema, &mut text).map_err(write_error)?;
        }
        Ok((warnings, upgrade, text))
    })?;
    write_warnings(&d, &warnings, io)?;
    match (upgrade, opts.format) {
        (_, Format::Markdown) | (None, Format::Text) => io.out.write_all(&text),
        (Some(upgrade), _) => io.out.write_all(upgrade.as_bytes()),
        (None, Format::Json) => report::write_json(&d, io.out),
        (None, Format::Mermaid) => io.out.write_all(report::mermaid(&model.schema, Some(&d)).as_bytes()),
    }
    .map_err(write_error)?;
    let outcome = if opts.exit_code && !d.is_empty() { Outcome::Differences } else { Outcome::Done };
    ctx.release((model, d));
    if engine.as_ref().is_some_and(|e| e.holds_only_memory()) {
        ctx.release(engine);
    }
    Ok(outcome)
}

fn note_missing(ctx: &Context, io: &mut Io) -> Result<()> {
    let path = ctx.database_path()?;
    io.note(&format!(
        "note: database `{}` does not exist yet; comparing the model with an empty database (nothing was created)",
        path.display()
    ))
}

/// `autogen check`: exit 0 when the database (at head) matches the model.
pub fn check(ctx: &Context, format: Format, io: &mut Io) -> Result<Outcome> {
    let markdown = matches!(format, Format::Markdown);
    let history = ctx.history()?;
    let mut want = history.heads();
    want.sort();
    let at_head = |db: &mut dyn Engine| -> Result<()> {
        // A database behind its revisions would show their changes as
        // differences, so say that instead.
        let heads = db.versions(&ctx.config.version_table)?.heads;
        if !history.is_empty() && heads != want {
            return Err(RevisionError::CheckNotAtHead { current: describe_heads(&heads), head: want.join(", ") }.into());
        }
        Ok(())
    };
    let Read { model, db, mut engine } = ctx.model_and_database(at_head)?;
    if engine.is_none() {
        if !history.is_empty() {
            return Err(RevisionError::CheckNotAtHead { current: describe_heads(&[]), head: want.join(", ") }.into());
        }
        note_missing(ctx, io)?;
    }
    let caps = engine.as_ref().map_or(Capabilities::SQLITE, |e| e.capabilities());
    // While SQLite checks the model on one thread, the revision `revision
    // --autogenerate` would write is planned and linted on another, and the
    // report drawn on this one; what they make is used only once the check
    // has passed. Planned without the database's row estimates: the finish
    // a rebuild takes changes its SQL, not what lint finds in it.
    let (d, (warnings, text, findings)) = diff_then(&model, &db, |d, _| {
        let warnings = data_warnings(&mut engine, d, &model.schema);
        if d.is_empty() {
            return Ok((warnings, Ok(Vec::new()), Ok(Ok((String::new(), Vec::new())))));
        }
        let (text, findings) = std::thread::scope(|s| {
            let lint = s.spawn(|| {
                let up = plan::section(d, &db, &model.schema, &caps, &plan::Options::default());
                super::lint::findings_of_new(ctx, caps, &up, &db, d).map(|f| (up, f))
            });
            let mut text = Vec::new();
            let written = match markdown {
                // Drawn once the SQL is planned.
                true => Ok(text),
                false => report::write_text(d, &model.schema, &mut text).map(|()| text),
            };
            (written, lint.join())
        });
        Ok((warnings, text, findings))
    })?;
    let history_findings = super::lint::history_findings(ctx, &history, &mut engine)?;
    let errors = crate::verify::lint::tally(&history_findings).0;
    if markdown {
        let (up, mut found) = match findings {
            Ok(found) => found?,
            Err(_) => return Err(super::error::Error::Internal("linting the planned revision failed".into())),
        };
        found.extend(history_findings);
        let errors = crate::verify::lint::tally(&found).0;
        let sql = (!up.is_empty()).then_some(up.as_str());
        let md = super::markdown::Report::comparison("check", (&d, &model.schema), sql, &found, &warnings, true);
        super::markdown::write(&md, io.out).map_err(write_error)?;
        return Ok(if errors > 0 || !d.is_empty() { Outcome::Differences } else { Outcome::Done });
    }
    if d.is_empty() {
        writeln!(io.out, "No changes: the database matches the model.").map_err(write_error)?;
        if !history_findings.is_empty() {
            writeln!(io.out, "\nLint of the revisions:").map_err(write_error)?;
            super::lint::write_brief(&history_findings, 0, io.out)?;
        }
        return Ok(if errors > 0 { Outcome::Differences } else { Outcome::Done });
    }
    write_warnings(&d, &warnings, io)?;
    io.out.write_all(&text.map_err(write_error)?).map_err(write_error)?;
    let (_, mut findings) =
        findings.map_err(|_| super::error::Error::Internal("linting the planned revision failed".into()))??;
    findings.extend(history_findings);
    if !findings.is_empty() {
        writeln!(io.out, "\nLint of the revision `autogen revision --autogenerate` would write:")
            .map_err(write_error)?;
        super::lint::write_brief(&findings, 0, io.out)?;
    }
    writeln!(
        io.out,
        "\nThe database and the model differ: run `autogen revision --autogenerate -m MESSAGE`, then \
        `autogen upgrade head`."
    )
    .map_err(write_error)?;
    Ok(Outcome::Differences)
}

/// The schema the revisions build from base to head, in an in-memory
/// database (`check --replay`, `revision --autogenerate --replay`).
pub(crate) fn replay(history: &crate::migrate::history::History) -> Result<Sqlite> {
    let mut scratch = Sqlite::memory()?;
    for id in &history.order {
        let rev = &history.revisions[id];
        let file = rev.path.display().to_string();
        let up = Unit {
            revision: id,
            file: &file,
            script: rev.script(Direction::Up),
            line: rev.script_line(Direction::Up),
            version: None,
            online: &[],
        };
        scratch.run(&up)?;
    }
    Ok(scratch)
}

/// `autogen check --replay`: base to head in an in-memory database, compared
/// with the model. Needs no database file. With `stairway`, each revision
/// also runs up, down and up again there (pytest-alembic's stairway test),
/// and several heads fail the check.
pub fn check_replay(ctx: &Context, stairway: bool, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    let model = ctx.model()?;
    let filter = ctx.filter();
    let mut scratch = if stairway { Sqlite::memory()? } else { replay(&history)? };
    let mut failures = Vec::new();
    if stairway && history.heads().len() > 1 {
        failures
            .push(format!("error[AG501]: {}", crate::verify::lint::rules::history::several_heads(&history.heads())));
    }
    // Without the stairway, `replay` ran the revisions already.
    let walked: &[String] = if stairway { &history.order } else { &[] };
    for id in walked {
        let rev = &history.revisions[id];
        let file = rev.path.display().to_string();
        let unit = |direction: Direction| Unit {
            revision: id,
            file: &file,
            script: rev.script(direction),
            line: rev.script_line(direction),
            version: None,
            online: &[],
        };
        let start = Stair::of(&mut scratch, &filter)?;
        scratch.run(&unit(Direction::Up))?;
        let up = Stair::of(&mut scratch, &filter)?;
        scratch.run(&unit(Direction::Down))?;
        let down = Stair::of(&mut scratch, &filter)?;
        if let Some(why) = down.differs_from(&start) {
            failures.push(format!("revision `{id}` (`{file}`): after its downgrade {why}"));
            break;
        }
        scratch.run(&unit(Direction::Up))?;
        let again = Stair::of(&mut scratch, &filter)?;
        if let Some(why) = again.differs_from(&up) {
            failures.push(format!("revision `{id}` (`{file}`): upgraded a second time, {why}"));
            break;
        }
    }
    for failure in &failures {
        writeln!(io.out, "{failure}").map_err(write_error)?;
    }
    if !failures.is_empty() && (failures.len() > 1 || !failures[0].starts_with("error[AG501]")) {
        writeln!(io.out, "\nThe stairway (each revision up, down and up again) failed: fix the revision named above.")
            .map_err(write_error)?;
        return Ok(Outcome::Differences);
    }
    let replayed = scratch.introspect(&filter)?;
    let d = diff_checked(&model, &replayed)?;
    if d.is_empty() && failures.is_empty() {
        let walked = if stairway { ", each up, down and up again," } else { "" };
        writeln!(
            io.out,
            "No changes: replaying {} from base{walked} gives the model.",
            crate::words::count(history.order.len() as i64, "revision")
        )
        .map_err(write_error)?;
        return Ok(Outcome::Done);
    }
    if !d.is_empty() {
        report::write_text(&d, &model.schema, io.out).map_err(write_error)?;
        writeln!(
            io.out,
            "\nReplaying the revisions does not give the model: run `autogen revision --autogenerate -m MESSAGE`."
        )
        .map_err(write_error)?;
    }
    Ok(Outcome::Differences)
}

/// The scratch database between two runs of the stairway: its schema and
/// how many rows each table holds (the rows a data revision seeds).
struct Stair {
    schema: crate::schema::Schema,
    rows: Vec<(String, Option<i64>)>,
}

impl Stair {
    fn of(scratch: &mut Sqlite, filter: &crate::source::introspect::Filter) -> Result<Stair> {
        let schema = scratch.introspect(filter)?;
        let names: Vec<String> = schema.tables.values().map(|t| t.name.clone()).collect();
        let queries: Vec<String> =
            names.iter().map(|t| format!("SELECT count(*) FROM {}", crate::sql::quote::ident(t))).collect();
        let rows = names.into_iter().zip(scratch.counts(&queries)).collect();
        Ok(Stair { schema, rows })
    }

    /// What is not as it was, in words.
    fn differs_from(&self, was: &Stair) -> Option<String> {
        let d = crate::diff::diff_with_renames(&was.schema, &self.schema, Default::default());
        if !d.is_empty() {
            let changes: Vec<String> = d.changes.iter().map(|c| format!("\n  - {c}")).collect();
            return Some(format!("the schema is not what it was:{}", changes.concat()));
        }
        let moved: Vec<String> = self
            .rows
            .iter()
            .zip(&was.rows)
            .filter(|((_, now), (_, then))| now != then)
            .map(|((t, now), (_, then))| {
                let n = |c: &Option<i64>| c.map_or("?".to_string(), |c| crate::words::count(c, "row"));
                format!("`{t}` holds {} where it held {}", n(now), n(then))
            })
            .collect();
        (!moved.is_empty()).then(|| moved.join(", "))
    }
}

/// `autogen inspect`: the database as a model file.
pub fn inspect(ctx: &Context, format: InspectFormat, io: &mut Io) -> Result<Outcome> {
    let mut db = match ctx.read_database()? {
        Some(db) => db,
        None => return Err(crate::engine::DbError::Missing(ctx.database_path()?.to_path_buf()).into()),
    };
    let schema = db.introspect(&ctx.filter())?;
    let text = match format {
        InspectFormat::Yaml => crate::source::model::write::model_yaml(&schema),
        InspectFormat::Sql => crate::schema::ddl::schema_ddl(&schema).iter().map(|s| format!("{s};\n")).collect(),
        InspectFormat::Mermaid => report::mermaid(&schema, None),
    };
    io.out.write_all(text.as_bytes()).map_err(write_error)?;
    Ok(Outcome::Done)
}

/// `autogen edit REV`: the revision file in `$VISUAL` or `$EDITOR` (as
/// `alembic edit`).
pub fn edit(ctx: &Context, target: &crate::migrate::history::Target, io: &mut Io) -> Result<Outcome> {
    use crate::migrate::history::Target;
    let history = ctx.history()?;
    let id = match target {
        Target::Head => {
            history.single_head()?.ok_or_else(|| super::error::Error::Refused("there are no revisions yet".into()))?
        }
        Target::Revision(spec) => history.resolve(spec)?.id.clone(),
        other => return Err(super::error::Error::Usage(format!("`edit {other}`: name a revision, or head"))),
    };
    let path = &history.revisions[&id].path;
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).map_err(|_| {
        super::error::Error::Refused(format!(
            "set $EDITOR (or $VISUAL) to the editor to open `{}` with",
            path.display()
        ))
    })?;
    // The variable may carry arguments and quotes (`code --wait`), as a
    // shell reads them.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("autogen")
        .arg(path)
        .status()
        .map_err(|e| super::error::Error::io("run the editor", &editor, e))?;
    if !status.success() {
        return Err(super::error::Error::Refused(format!("the editor `{editor}` exited with {status}")));
    }
    io.note(&format!("Edited {}", path.display()))?;
    Ok(Outcome::Done)
}
