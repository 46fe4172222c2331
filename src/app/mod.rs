//! The commands, as library functions that write to the writers they are
//! given (so their output can be snapshotted) and return an [`Outcome`]
//! rather than exiting.

use std::io::Write;
use std::path::{Path, PathBuf};

pub mod config;
pub mod error;
pub mod report;

use config::Config;
use crate::engine::open;
use crate::diff::{self, Diff};
use error::{Error, Result};
use crate::source::introspect::{self, Filter};
use crate::source::model;
use crate::schema::Schema;

/// What a command found, for the exit code: `Differences` is exit 1 for
/// `check` and `diff --exit-code` (cli.md, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Differences,
}

/// The settings a command runs with, and where relative paths start.
#[derive(Debug, Clone)]
pub struct Context {
    pub config: Config,
    pub cwd: PathBuf,
}

/// A loaded model and where its entries are in the file.
pub struct Model {
    pub schema: Schema,
    pub map: model::SourceMap,
}

impl Model {
    /// The model compared with `db`, after SQLite has checked what differs
    /// (errors point at the model entry).
    pub fn diff_from(&self, db: &Schema) -> Result<Diff> {
        self.diff_then(db, |_, _| Ok(())).map(|(d, ())| d)
    }

    /// The model compared with `db`, and `then` run on that comparison
    /// while SQLite checks what differs on another thread. The check's
    /// error wins over `then`'s: it points at the model entry, and `then`
    /// (rendering, the rehearsal) only fails on a model SQLite refuses if
    /// the check fails too. On 1000 changed tables the check is about as
    /// long as everything else after the reading, and the machine has a
    /// second core. `then` is told through [`Abandoned`] when a table has
    /// failed the check, so that a long rehearsal can stop early.
    pub fn diff_then<T>(&self, db: &Schema, then: impl FnOnce(&Diff, &Abandoned) -> Result<T>) -> Result<(Diff, T)> {
        let d = diff::diff(db, &self.schema);
        let selection = crate::verify::model_check::Selection::changed_by(&d);
        let check = crate::verify::model_check::Check::new(&self.schema, &self.map, &selection);
        let abandoned = Abandoned::default();
        let out = std::thread::scope(|s| {
            let helper = s.spawn(|| {
                check.work();
                if check.failed() {
                    abandoned.0.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            });
            let out = then(&d, &abandoned);
            // Done with its own work, this thread builds what tables are left.
            check.work();
            helper.join().map(|()| out)
        })
        .map_err(|_| Error::Usage("checking the model with SQLite failed".into()))?;
        check.finish()?;
        Ok((d, out?))
    }
}

/// Set once the model has failed SQLite's check: whatever runs beside the
/// check is wasted work from then on, and its result will not be used.
#[derive(Default)]
pub struct Abandoned(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Abandoned {
    /// Makes `conn` stop what it runs, with an "interrupted" error, once
    /// this is set (polled every few thousand SQLite instructions).
    fn stop(&self, conn: &mut rusqlite::Connection) -> rusqlite::Result<()> {
        let flag = self.0.clone();
        conn.progress_handler(10_000, Some(move || flag.load(std::sync::atomic::Ordering::Relaxed)))
    }
}

/// Standard output and standard error, as the command sees them.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Told how long row copies go while revisions run; `None` for quiet.
    pub progress: Option<crate::engine::progress::ProgressSink>,
}

impl Context {
    pub fn schema_path(&self) -> Result<&Path> {
        self.config.schema.as_deref().ok_or(Error::NotConfigured { what: "model file", hint: "set `schema:` in autogen.yaml or pass --schema PATH" })
    }

    pub fn database_path(&self) -> Result<&Path> {
        self.config
            .database
            .as_deref()
            .ok_or(Error::NotConfigured { what: "database", hint: "set `database:` in autogen.yaml, set AUTOGEN_DATABASE_URL, or pass --database PATH" })
    }

    /// What autogen never touches: `sqlite_*`, its own version tables and
    /// the `exclude` globs.
    pub fn filter(&self) -> Filter {
        Filter { ignore: crate::migrate::run::own_tables(&self.config.version_table), exclude: self.config.exclude.clone() }
    }

    /// The heads recorded in the database; none when it does not exist yet
    /// (which is not created).
    pub fn database_heads(&self) -> Result<Vec<String>> {
        let path = self.database_path()?;
        if !path.exists() {
            return Ok(Vec::new());
        }
        let conn = open::open_read(path, self.config.busy_timeout)?;
        Ok(crate::migrate::run::current_heads(&conn, &self.config.version_table).map_err(|e| crate::engine::open::DbError::classify(path, self.config.busy_timeout, e))?)
    }

    /// What the diff will do to the rows that exist (nothing when there is
    /// no database yet), to be written once the model has been checked.
    pub fn data_warnings(conn: Option<&rusqlite::Connection>, d: &Diff, to: &Schema) -> Vec<String> {
        match conn {
            Some(conn) if !d.is_empty() => crate::verify::warnings::data_warnings(conn, d, to),
            _ => Vec::new(),
        }
    }

    /// The model, with excluded tables left out like the database's.
    pub fn model(&self) -> Result<Model> {
        let (mut schema, map) = model::load(self.schema_path()?)?;
        let filter = self.filter();
        schema.tables.retain(|_, t| !filter.skips(&t.name));
        Ok(Model { schema, map })
    }

    /// The database, open for reading, and its schema; `None` when the file
    /// does not exist (read-only commands never create one). `check` runs
    /// on the connection before the schema is read.
    pub fn database(&self, check: impl FnOnce(&rusqlite::Connection) -> Result<()>) -> Result<Option<(rusqlite::Connection, Schema)>> {
        let path = self.database_path()?;
        if !path.exists() {
            return Ok(None);
        }
        let conn = open::open_read(path, self.config.busy_timeout)?;
        check(&conn)?;
        let schema = introspect::introspect(&conn, &self.filter()).map_err(|source| Error::Introspect { path: path.to_path_buf(), source })?;
        Ok(Some((conn, schema)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    pub sql: bool,
    pub format: Format,
    pub exit_code: bool,
}

/// The model and the database as a command reads them.
pub struct Read {
    pub model: Model,
    /// The database's schema (empty when there is no database yet).
    pub db: Schema,
    /// The open database; `None` when the file does not exist.
    pub conn: Option<rusqlite::Connection>,
}

impl Context {
    /// The model and the database, read side by side: parsing the model
    /// and introspecting the database are independent and each takes
    /// about half the time of a large `diff`. `check` runs on the database
    /// connection before it is introspected; a model error is reported
    /// before the database's.
    pub fn model_and_database(&self, check: impl FnOnce(&rusqlite::Connection) -> Result<()>) -> Result<Read> {
        let (model, database) = std::thread::scope(|s| {
            let model = s.spawn(|| self.model());
            let database = self.database(check);
            (model.join().unwrap_or_else(|_| Err(Error::Usage("reading the model failed".into()))), database)
        });
        let model = model?;
        Ok(match database? {
            Some((conn, db)) => Read { model, db, conn: Some(conn) },
            None => Read { model, db: Schema::default(), conn: None },
        })
    }
}

/// Writes the diff's own warnings, then those about the rows.
fn write_warnings(d: &Diff, data: &[String], io: &mut Io) -> Result<()> {
    crate::app::report::write_warnings(d, io.err).map_err(write_error)?;
    for w in data {
        writeln!(io.err, "{}warning:{} {w}", anstyle::AnsiColor::Yellow.on_default().bold().render(), anstyle::Reset.render()).map_err(write_error)?;
    }
    Ok(())
}

/// `autogen diff`: the model against the database.
pub fn diff(ctx: &Context, opts: &DiffOptions, io: &mut Io) -> Result<Outcome> {
    let read = ctx.model_and_database(|_| Ok(()))?;
    if read.conn.is_none() {
        note_missing(ctx, io)?;
    }
    let model = &read.model.schema;
    let (d, (warnings, upgrade)) = read.model.diff_then(&read.db, |d, _| {
        let warnings = Context::data_warnings(read.conn.as_ref(), d, model);
        Ok((warnings, opts.sql.then(|| crate::migrate::revision::upgrade_sql(d, model))))
    })?;
    write_warnings(&d, &warnings, io)?;
    if let Some(upgrade) = upgrade {
        io.out.write_all(upgrade.as_bytes()).map_err(write_error)?;
    } else {
        match opts.format {
            Format::Text => crate::app::report::write_text(&d, model, io.out),
            Format::Json => crate::app::report::write_json(&d, io.out),
        }
        .map_err(write_error)?;
    }
    Ok(if opts.exit_code && !d.is_empty() { Outcome::Differences } else { Outcome::Done })
}

fn note_missing(ctx: &Context, io: &mut Io) -> Result<()> {
    let path = ctx.database_path()?;
    writeln!(io.err, "note: database `{}` does not exist yet; comparing the model with an empty database (nothing was created)", path.display())
        .map_err(write_error)
}

pub(crate) fn write_error(e: std::io::Error) -> Error {
    Error::io("write output to", "standard output", e)
}

/// `autogen check`: exit 0 when the database (at head) matches the model.
pub fn check(ctx: &Context, io: &mut Io) -> Result<Outcome> {
    let read = ctx.model_and_database(|_| Ok(()))?;
    if read.conn.is_none() {
        note_missing(ctx, io)?;
    }
    crate::migrate::run::require_head(ctx)?;
    let model = &read.model.schema;
    let (d, warnings) = read.model.diff_then(&read.db, |d, _| Ok(Context::data_warnings(read.conn.as_ref(), d, model)))?;
    if d.is_empty() {
        writeln!(io.out, "No changes: the database matches the model.").map_err(write_error)?;
        return Ok(Outcome::Done);
    }
    write_warnings(&d, &warnings, io)?;
    crate::app::report::write_text(&d, model, io.out).map_err(write_error)?;
    writeln!(io.out, "\nThe database and the model differ: run `autogen revision --autogenerate -m MESSAGE`, then `autogen upgrade head`.")
        .map_err(write_error)?;
    Ok(Outcome::Differences)
}

/// `autogen inspect`: the database as a model file.
pub fn inspect(ctx: &Context, io: &mut Io) -> Result<Outcome> {
    let path = ctx.database_path()?;
    let conn = open::open_read(path, ctx.config.busy_timeout)?;
    let schema = introspect::introspect(&conn, &ctx.filter()).map_err(|source| Error::Introspect { path: path.to_path_buf(), source })?;
    io.out.write_all(crate::source::model::write::model_yaml(&schema).as_bytes()).map_err(write_error)?;
    Ok(Outcome::Done)
}

#[derive(Debug, Clone, Default)]
pub struct RevisionOptions {
    pub message: String,
    pub autogenerate: bool,
    pub rev_id: Option<String>,
    pub allow_empty: bool,
    pub rehearse_data: bool,
}

/// `autogen revision`: a new revision file on top of the head.
pub fn revision(ctx: &Context, opts: &RevisionOptions, io: &mut Io) -> Result<Outcome> {
    use crate::migrate::revision::{History, NewRevision, RevisionError};
    let history = History::load(&ctx.config.versions)?;
    let heads = history.heads();
    if heads.len() > 1 {
        return Err(RevisionError::SeveralHeads(heads).into());
    }
    let id = match &opts.rev_id {
        Some(id) if !crate::migrate::revision::is_valid_id(id) => return Err(RevisionError::InvalidNewId(id.clone()).into()),
        Some(id) => id.clone(),
        None => crate::migrate::revision::random_id(),
    };
    if history.revisions.contains_key(&id) {
        return Err(RevisionError::Taken(id).into());
    }
    let (up, down) = if opts.autogenerate {
        match autogenerate(ctx, &history, opts, io)? {
            Some(sql) => sql,
            None => return Ok(Outcome::Done),
        }
    } else {
        ("-- Write the upgrade SQL here.".to_string(), "-- Write the downgrade SQL here.".to_string())
    };
    let new = NewRevision { id: &id, parents: &heads, message: &opts.message, up: &up, down: &down, epoch: crate::migrate::revision::now_epoch() };
    let dir = &ctx.config.versions;
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create the versions folder", dir, e))?;
    let path = dir.join(new.file_name());
    write_new_file(&path, &new.text()).map_err(|source| RevisionError::Write { path: path.clone(), source })?;
    writeln!(io.out, "Generating {} ... done", path.display()).map_err(write_error)?;
    Ok(Outcome::Done)
}

/// Creates the file, refusing to overwrite one that exists.
fn write_new_file(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(text.as_bytes())
}

/// The upgrade and downgrade SQL for the model, rehearsed; None when there
/// is nothing to do (and it said so).
fn autogenerate(ctx: &Context, history: &crate::migrate::revision::History, opts: &RevisionOptions, io: &mut Io) -> Result<Option<(String, String)>> {
    use crate::migrate::revision::RevisionError;
    let mut want = history.heads();
    want.sort();
    let show = |h: &[String]| if h.is_empty() { "base".to_string() } else { h.join(", ") };
    let path = ctx.database_path()?;
    let at_head = |conn: &rusqlite::Connection| -> Result<()> {
        let heads =
            crate::migrate::run::current_heads(conn, &ctx.config.version_table).map_err(|e| crate::engine::open::DbError::classify(path, ctx.config.busy_timeout, e))?;
        if heads != want {
            return Err(RevisionError::NotAtHead { current: show(&heads), head: show(&want) }.into());
        }
        Ok(())
    };
    let read = ctx.model_and_database(at_head)?;
    if read.conn.is_none() && !want.is_empty() {
        return Err(RevisionError::NotAtHead { current: show(&[]), head: show(&want) }.into());
    }
    let (model, db) = (&read.model.schema, &read.db);
    // The warnings come back even when the rehearsal fails: they often say why.
    let (up_diff, (warnings, generated)) = read.model.diff_then(db, |d, abandoned| {
        let warnings = Context::data_warnings(read.conn.as_ref(), d, model);
        if d.is_empty() && !opts.allow_empty {
            return Ok((warnings, Ok(None)));
        }
        Ok((warnings, rehearsed_sql(ctx, opts, &read, d, abandoned).map(Some)))
    })?;
    write_warnings(&up_diff, &warnings, io)?;
    let generated = generated?;
    if generated.is_none() {
        writeln!(io.out, "No changes detected: the database matches the model, so no revision was written (--allow-empty writes one anyway).")
            .map_err(write_error)?;
    }
    Ok(generated)
}

/// The upgrade and downgrade SQL for `d`, run on a scratch copy first.
fn rehearsed_sql(ctx: &Context, opts: &RevisionOptions, read: &Read, d: &Diff, abandoned: &Abandoned) -> Result<(String, String)> {
    use crate::verify::rehearse::{self, Copy};
    use crate::migrate::revision::{downgrade_diff, upgrade_sql};
    let (model, db) = (&read.model.schema, &read.db);
    let up = upgrade_sql(d, model);
    let down = upgrade_sql(&downgrade_diff(d, db, model), db);
    let copy = if opts.rehearse_data { Copy::Data } else { Copy::Schema };
    let mut scratch = rehearse::scratch_copy(read.conn.as_ref(), copy).map_err(rehearse::RehearsalError::Copy)?;
    // The scratch is thrown away: stopping it midway loses nothing.
    abandoned.stop(&mut scratch).map_err(rehearse::RehearsalError::Copy)?;
    rehearse::rehearse(&scratch, &up, &down, db, model, &ctx.filter())?;
    Ok((up, down))
}

/// `autogen current`: the revision(s) the database is at.
pub fn current(ctx: &Context, verbose: bool, io: &mut Io) -> Result<Outcome> {
    let history = crate::migrate::revision::History::load(&ctx.config.versions)?;
    let path = ctx.database_path()?;
    if !path.exists() {
        writeln!(io.err, "note: database `{}` does not exist yet (nothing was created)", path.display()).map_err(write_error)?;
        return Ok(Outcome::Done);
    }
    let heads = ctx.database_heads()?;
    let tips = history.heads();
    for id in &heads {
        let head = if tips.contains(id) { " (head)" } else { "" };
        match history.revisions.get(id) {
            Some(rev) if verbose => writeln!(io.out, "{id}{head}\n  Path: {}\n  Message: {}\n  Create Date: {}", rev.path.display(), rev.message, rev.date),
            _ => writeln!(io.out, "{id}{head}"),
        }
        .map_err(write_error)?;
    }
    Ok(Outcome::Done)
}

/// `autogen history`: the revisions, newest first, marking head and current;
/// `range` (`START:END`, either side may be empty, `base`, `head`,
/// `current` or a revision) keeps what lies between, both ends included.
pub fn history(ctx: &Context, verbose: bool, range: Option<&str>, io: &mut Io) -> Result<Outcome> {
    let history = crate::migrate::revision::History::load(&ctx.config.versions)?;
    // History needs no database; where there is one, it marks the current.
    let current = if ctx.config.database.is_some() { ctx.database_heads()? } else { Vec::new() };
    let heads = history.heads();
    let (start, end) = match range {
        Some(r) => {
            let (s, e) = r.split_once(':').ok_or_else(|| Error::Usage(format!("`-r {r}` should be START:END, either side may be empty")))?;
            (range_end(&history, s, &current)?, range_end(&history, e, &current)?)
        }
        None => (None, None),
    };
    let below_end = |id: &String| end.as_ref().is_none_or(|e| e.iter().any(|e| history.ancestors_of(e).contains(id)));
    let above_start = |id: &String| start.as_ref().is_none_or(|s| s.iter().any(|s| history.ancestors_of(id).contains(s)));
    for id in history.order.iter().rev().filter(|id| below_end(id) && above_start(id)) {
        let rev = &history.revisions[id];
        let parents = if rev.parents.is_empty() { "<base>".to_string() } else { rev.parents.join(", ") };
        let mut marks = Vec::new();
        if heads.contains(id) {
            marks.push("head");
        }
        if current.contains(id) {
            marks.push("current");
        }
        let marks = if marks.is_empty() { String::new() } else { format!(" ({})", marks.join(", ")) };
        let first_line = rev.message.lines().next().unwrap_or("");
        writeln!(io.out, "{parents} -> {id}{marks}, {first_line}").map_err(write_error)?;
        if verbose {
            writeln!(io.out, "  Path: {}\n  Create Date: {}", rev.path.display(), rev.date).map_err(write_error)?;
        }
    }
    Ok(Outcome::Done)
}

/// The starter model `init` writes: the todo app of the Alembic guide.
pub const STARTER_MODEL: &str = include_str!("../../schemas/todo.yaml");

/// The JSON Schema for model files, which `init` writes beside the starter
/// model: its first line points editors (yaml-language-server) at it.
pub const MODEL_SCHEMA: &str = include_str!("../../schemas/model.schema.json");

/// `autogen init`: `autogen.yaml`, the versions folder and, if there is
/// none, a starter model. Refuses to overwrite anything.
pub fn init(cwd: &Path, io: &mut Io) -> Result<Outcome> {
    let config = cwd.join(crate::app::config::FILE_NAME);
    if config.exists() {
        return Err(Error::Usage(format!("`{}` exists already; init writes nothing over it", config.display())));
    }
    let versions = cwd.join(crate::app::config::DEFAULT_VERSIONS);
    let model = cwd.join("schemas/todo.yaml");
    std::fs::create_dir_all(&versions).map_err(|e| Error::io("create the versions folder", &versions, e))?;
    writeln!(io.out, "Creating directory {} ... done", versions.display()).map_err(write_error)?;
    if model.exists() {
        writeln!(io.out, "Keeping the existing model {}", model.display()).map_err(write_error)?;
    } else {
        std::fs::create_dir_all(cwd.join("schemas")).map_err(|e| Error::io("create the schemas folder", cwd.join("schemas"), e))?;
        write_new_file(&model, STARTER_MODEL).map_err(|e| Error::io("write the starter model", &model, e))?;
        writeln!(io.out, "Generating {} ... done", model.display()).map_err(write_error)?;
    }
    let json_schema = cwd.join("schemas/model.schema.json");
    if !json_schema.exists() {
        write_new_file(&json_schema, MODEL_SCHEMA).map_err(|e| Error::io("write the model's JSON Schema", &json_schema, e))?;
        writeln!(io.out, "Generating {} ... done", json_schema.display()).map_err(write_error)?;
    }
    let text = format!(
        "# autogen configuration: see `autogen --help`.\ndatabase: sqlite:///./database.db   # AUTOGEN_DATABASE_URL, then DATABASE_URL, override it\nschema: schemas/todo.yaml\nversions: {}\nversion_table: {}\n# exclude: [\"legacy_*\"]            # tables autogen never touches\n# busy_timeout: 5                   # seconds to wait for a locked database\n",
        crate::app::config::DEFAULT_VERSIONS,
        crate::app::config::DEFAULT_VERSION_TABLE
    );
    write_new_file(&config, &text).map_err(|e| Error::io("write", &config, e))?;
    writeln!(io.out, "Generating {} ... done", config.display()).map_err(write_error)?;
    writeln!(io.out, "Next: autogen revision --autogenerate -m initial, then autogen upgrade head").map_err(write_error)?;
    Ok(Outcome::Done)
}

/// One end of a history range: None for "no bound" (empty or `base`).
fn range_end(history: &crate::migrate::revision::History, spec: &str, current: &[String]) -> Result<Option<Vec<String>>> {
    Ok(match spec.trim() {
        "" | "base" => None,
        "head" | "heads" => Some(history.heads()),
        "current" => Some(current.to_vec()),
        other => Some(vec![history.resolve(other)?.id.clone()]),
    })
}

/// `autogen heads`.
pub fn heads(ctx: &Context, io: &mut Io) -> Result<Outcome> {
    let history = crate::migrate::revision::History::load(&ctx.config.versions)?;
    for id in history.heads() {
        let rev = &history.revisions[&id];
        writeln!(io.out, "{id} (head), {}", rev.message.lines().next().unwrap_or("")).map_err(write_error)?;
    }
    Ok(Outcome::Done)
}

/// `autogen show REV`: one revision whole (REV may be `head` or `current`).
pub fn show(ctx: &Context, spec: &str, io: &mut Io) -> Result<Outcome> {
    let history = crate::migrate::revision::History::load(&ctx.config.versions)?;
    let ids: Vec<String> = match spec {
        "head" | "heads" => history.heads(),
        "current" => ctx.database_heads()?,
        other => vec![history.resolve(other)?.id.clone()],
    };
    for id in ids {
        let rev = &history.revisions[&id];
        let text = std::fs::read_to_string(&rev.path).map_err(|e| Error::io("read", &rev.path, e))?;
        writeln!(
            io.out,
            "Rev: {id}\nParent: {}\nPath: {}\n\n{text}",
            if rev.parents.is_empty() { "<base>".into() } else { rev.parents.join(", ") },
            rev.path.display()
        )
        .map_err(write_error)?;
    }
    Ok(Outcome::Done)
}

/// `autogen merge -m MSG REV REV...`: a revision with several parents.
pub fn merge(ctx: &Context, message: &str, revs: &[String], rev_id: Option<&str>, io: &mut Io) -> Result<Outcome> {
    use crate::migrate::revision::{History, NewRevision, RevisionError};
    let history = History::load(&ctx.config.versions)?;
    let mut parents = Vec::new();
    for spec in revs {
        let ids = if spec == "heads" { history.heads() } else { vec![history.resolve(spec)?.id.clone()] };
        for id in ids {
            if !parents.contains(&id) {
                parents.push(id);
            }
        }
    }
    if parents.len() < 2 {
        return Err(Error::Usage("merge joins two or more revisions: name them, or say `heads`".into()));
    }
    let id = match rev_id {
        Some(id) if !crate::migrate::revision::is_valid_id(id) => return Err(RevisionError::InvalidNewId(id.to_string()).into()),
        Some(id) => id.to_string(),
        None => crate::migrate::revision::random_id(),
    };
    if history.revisions.contains_key(&id) {
        return Err(RevisionError::Taken(id).into());
    }
    let new = NewRevision {
        id: &id,
        parents: &parents,
        message,
        up: "-- A merge point: nothing to run.",
        down: "-- A merge point: nothing to run.",
        epoch: crate::migrate::revision::now_epoch(),
    };
    let path = ctx.config.versions.join(new.file_name());
    std::fs::create_dir_all(&ctx.config.versions).map_err(|e| Error::io("create the versions folder", &ctx.config.versions, e))?;
    write_new_file(&path, &new.text()).map_err(|source| RevisionError::Write { path: path.clone(), source })?;
    writeln!(io.out, "Generating {} ... done", path.display()).map_err(write_error)?;
    Ok(Outcome::Done)
}

/// `autogen check --replay`: base to head in an in-memory database, compared
/// with the model. Needs no database file.
pub fn check_replay(ctx: &Context, io: &mut Io) -> Result<Outcome> {
    let history = crate::migrate::revision::History::load(&ctx.config.versions)?;
    let loaded = ctx.model()?;
    let conn = rusqlite::Connection::open_in_memory().map_err(|e| Error::Db(crate::engine::open::DbError::Sqlite { path: ":memory:".into(), source: e }))?;
    for id in &history.order {
        let rev = &history.revisions[id];
        crate::migrate::run::apply_sql(&conn, &rev.up, id, &rev.path.display().to_string())?;
    }
    let replayed = introspect::introspect(&conn, &ctx.filter()).map_err(|source| Error::Introspect { path: ":memory:".into(), source })?;
    let d = loaded.diff_from(&replayed)?;
    if d.is_empty() {
        writeln!(io.out, "No changes: replaying {} revision(s) from base gives the model.", history.order.len()).map_err(write_error)?;
        return Ok(Outcome::Done);
    }
    crate::app::report::write_text(&d, &loaded.schema, io.out).map_err(write_error)?;
    writeln!(io.out, "\nReplaying the revisions does not give the model: run `autogen revision --autogenerate -m MESSAGE`.").map_err(write_error)?;
    Ok(Outcome::Differences)
}
