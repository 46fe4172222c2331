//! The model against the database: `diff`, `check`, `check --replay`, and
//! `inspect` (the database as a model).

use super::error::Result;
use super::{data_warnings, diff_checked, diff_then, report, write_error, write_warnings, Context, Io, Outcome, Read};
use crate::engine::sqlite::Sqlite;
use crate::engine::{Engine, Unit};
use crate::migrate::history::describe_heads;
use crate::migrate::revision::RevisionError;
use crate::plan::{self, Capabilities};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    /// The model as an ER diagram, the changes marked.
    Mermaid,
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
    let (d, (warnings, upgrade)) = diff_then(&model, &db, |d, _| {
        let warnings = data_warnings(&mut engine, d, &model.schema);
        Ok((warnings, opts.sql.then(|| plan::script(&plan::plan(d, &model.schema, &caps)))))
    })?;
    write_warnings(&d, &warnings, io)?;
    if let Some(upgrade) = upgrade {
        io.out.write_all(upgrade.as_bytes()).map_err(write_error)?;
    } else {
        match opts.format {
            Format::Text => report::write_text(&d, &model.schema, io.out),
            Format::Json => report::write_json(&d, io.out),
            Format::Mermaid => io.out.write_all(report::mermaid(&model.schema, Some(&d)).as_bytes()),
        }
        .map_err(write_error)?;
    }
    Ok(if opts.exit_code && !d.is_empty() { Outcome::Differences } else { Outcome::Done })
}

fn note_missing(ctx: &Context, io: &mut Io) -> Result<()> {
    let path = ctx.database_path()?;
    io.note(&format!(
        "note: database `{}` does not exist yet; comparing the model with an empty database (nothing was created)",
        path.display()
    ))
}

/// `autogen check`: exit 0 when the database (at head) matches the model.
pub fn check(ctx: &Context, io: &mut Io) -> Result<Outcome> {
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
    let (d, warnings) = diff_then(&model, &db, |d, _| Ok(data_warnings(&mut engine, d, &model.schema)))?;
    if d.is_empty() {
        writeln!(io.out, "No changes: the database matches the model.").map_err(write_error)?;
        return Ok(Outcome::Done);
    }
    write_warnings(&d, &warnings, io)?;
    report::write_text(&d, &model.schema, io.out).map_err(write_error)?;
    writeln!(
        io.out,
        "\nThe database and the model differ: run `autogen revision --autogenerate -m MESSAGE`, then \
        `autogen upgrade head`."
    )
    .map_err(write_error)?;
    Ok(Outcome::Differences)
}

/// `autogen check --replay`: base to head in an in-memory database, compared
/// with the model. Needs no database file.
pub fn check_replay(ctx: &Context, io: &mut Io) -> Result<Outcome> {
    let history = ctx.history()?;
    let model = ctx.model()?;
    let mut scratch = Sqlite::memory()?;
    for id in &history.order {
        let rev = &history.revisions[id];
        let file = rev.path.display().to_string();
        scratch.run(&Unit { revision: id, file: &file, script: &rev.up, line: rev.up_line, version: None })?;
    }
    let replayed = scratch.introspect(&ctx.filter())?;
    let d = diff_checked(&model, &replayed)?;
    if d.is_empty() {
        writeln!(io.out, "No changes: replaying {} revision(s) from base gives the model.", history.order.len())
            .map_err(write_error)?;
        return Ok(Outcome::Done);
    }
    report::write_text(&d, &model.schema, io.out).map_err(write_error)?;
    writeln!(
        io.out,
        "\nReplaying the revisions does not give the model: run `autogen revision --autogenerate -m MESSAGE`."
    )
    .map_err(write_error)?;
    Ok(Outcome::Differences)
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
