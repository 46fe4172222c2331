//! The commands (cli.md), as functions that write to the writers they are
//! given (so that their output can be snapshotted) and return an
//! [`Outcome`] rather than exiting. The binary parses the command line and
//! calls these; nothing here prints on its own, parses arguments or exits.

pub mod config;
pub mod error;
pub mod report;

mod compare;
pub mod fleet;
mod generate;
mod init;
mod lint;
mod markdown;
mod run;
mod status;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use compare::{check, check_replay, diff, edit, inspect, DiffOptions, Format, InspectFormat};
pub use generate::{merge, revision, RevisionOptions};
pub use init::{init, InitOptions, MODEL_SCHEMA, STARTER_MODEL};
pub use lint::{lint, LintFormat, LintOptions};
pub use run::{abort_online, migrate, migrate_online, offline, stamp};
pub use status::{current, heads, history, show};

pub use crate::engine::progress::{Copying, ProgressSink};
pub use crate::migrate::history::{Direction, Range, Span, Target};
pub use crate::words::thousands;

use config::Config;
use error::{Error, Result};

use crate::diff::Diff;
use crate::engine::sqlite::{Access, Sqlite};
use crate::engine::{Engine, Stop};
use crate::migrate::history::History;
use crate::schema::Schema;
use crate::source::introspect::Filter;
use crate::source::model::{self, Model};
use crate::verify::model_check::{Check, Selection};

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
    /// The process exits once the command is done, as the binary's does:
    /// what a command holds at its end is then left to the operating
    /// system, which takes it back at once, rather than freed allocation by
    /// allocation (a `diff` of a thousand tables holds a million).
    pub exits_after: bool,
    /// What `-v` shows once the command is done ([`Context::note`]).
    pub notes: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// Standard output and standard error, as the command sees them.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Told how long row copies go while revisions run; `None` for quiet.
    pub progress: Option<ProgressSink>,
}

pub(crate) fn write_error(e: std::io::Error) -> Error {
    Error::io("write output to", "standard output", e)
}

impl Io<'_> {
    /// A line on standard error.
    fn note(&mut self, line: &str) -> Result<()> {
        writeln!(self.err, "{line}").map_err(write_error)
    }
}

impl Context {
    pub fn new(config: Config, cwd: PathBuf, exits_after: bool) -> Context {
        Context { config, cwd, exits_after, notes: Default::default() }
    }

    /// Done with `values`: freed now, or left for the process's exit when
    /// one follows ([`Context::exits_after`]). Only memory: a database
    /// connection is always closed, which ends its journal files properly.
    pub(crate) fn release<T>(&self, values: T) {
        if self.exits_after {
            std::mem::forget(values);
        }
    }

    /// Where the model comes from.
    pub fn model_source(&self) -> Result<&config::ModelSource> {
        self.config.schema.as_ref().ok_or_else(|| {
            self.not_configured(
                "model",
                "set `schema:` in autogen.yaml (a model file, or a model program such as \
                 `sqlalchemy:app.models:Base`) or pass --schema",
            )
        })
    }

    /// Something a command says under `-v`, written once it is done.
    pub fn note(&self, line: String) {
        self.notes.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }

    /// The notes gathered so far ([`Context::note`]), taken.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// A file as findings and fleet lines name it: relative to the current
    /// folder when it is under it (GitHub annotations need the repository's path).
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.cwd).unwrap_or(path).display().to_string()
    }

    pub fn database_path(&self) -> Result<&Path> {
        self.config.database.as_deref().ok_or_else(|| {
            let hint = "set `database:` in autogen.yaml, set AUTOGEN_DATABASE_URL, or pass --database PATH";
            self.not_configured("database", hint)
        })
    }

    /// A setting is missing: with no `autogen.yaml` at all, that is the news.
    fn not_configured(&self, what: &'static str, hint: &'static str) -> Error {
        match &self.config.file {
            Some(_) => Error::NotConfigured { what, hint },
            None => Error::NoConfig { searched: self.config.searched.clone() },
        }
    }

    /// What autogen never touches: `sqlite_*`, its own version tables and
    /// the `exclude` globs.
    pub fn filter(&self) -> Filter {
        Filter {
            ignore: crate::engine::version::own_tables(&self.config.version_table),
            exclude: self.config.exclude.clone(),
        }
    }

    pub fn history(&self) -> Result<History> {
        if !self.config.versions_named {
            return Err(Error::NoConfig { searched: self.config.searched.clone() });
        }
        Ok(History::load(&self.config.versions)?)
    }

    /// The database, open for reading; `None` when the file does not exist
    /// (read-only commands never create one).
    pub fn read_database(&self) -> Result<Option<Box<dyn Engine>>> {
        if let Some(d1) = &self.config.d1 {
            return Ok(Some(d1_engine(d1)?));
        }
        let path = self.database_path()?;
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(Box::new(Sqlite::open(path, Access::Read, self.config.busy_timeout, None)?)))
    }

    /// The database, open to migrate (created when missing).
    pub fn write_database(&self, progress: Option<ProgressSink>) -> Result<Box<dyn Engine>> {
        if let Some(d1) = &self.config.d1 {
            return d1_engine(d1);
        }
        let path = self.database_path()?;
        Ok(Box::new(Sqlite::open(path, Access::Write, self.config.busy_timeout, progress)?))
    }

    /// `work` on the database opened to migrate (created when missing).
    /// When it fails on a file it created, the file goes if nothing was ever
    /// committed to it: SQLite writes a new database's first page only when
    /// its first transaction commits, so an empty file is one the failed
    /// command made and nothing else.
    pub fn on_write_database<T>(
        &self,
        progress: Option<ProgressSink>,
        work: impl FnOnce(&mut dyn Engine) -> Result<T>,
    ) -> Result<T> {
        let created = match &self.config.d1 {
            Some(_) => None,
            None => Some(self.database_path()?).filter(|p| !p.exists()).map(Path::to_path_buf),
        };
        let mut db = self.write_database(progress)?;
        let done = work(db.as_mut());
        drop(db);
        if let (Err(_), Some(path)) = (&done, created) {
            if std::fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
                let _ = std::fs::remove_file(&path);
            }
        }
        done
    }

    /// The heads recorded in the database; none when it does not exist yet.
    pub fn database_heads(&self) -> Result<Vec<String>> {
        match self.read_database()? {
            Some(mut db) => Ok(db.versions(&self.config.version_table)?.heads),
            None => Ok(Vec::new()),
        }
    }

    /// The model; a table in it that `exclude` matches, or that has the
    /// version table's name, is an error.
    pub fn model(&self) -> Result<Model> {
        let own_tables = crate::engine::version::own_tables(&self.config.version_table);
        let mut model = match self.model_source()? {
            // A `.sql` model is CREATE statements (an ORM's DDL): built in
            // memory and read back as a database is.
            config::ModelSource::File(path) if is_sql_model(path) => {
                let mut model = crate::engine::sql_model::load(path, &self.config.exclude)?;
                // `sqlite3 app.db .schema` of a database autogen manages prints
                // its version tables too: in a `.sql` model they are autogen's
                // own, not the user's, and are left out.
                for own in &own_tables {
                    model.schema.tables.remove(&crate::schema::fold(own));
                }
                model
            }
            config::ModelSource::File(path) => model::load_excluding(path, &self.config.exclude)?,
            config::ModelSource::Program(program) => {
                let (model, took) = program.load(&self.config.exclude)?;
                self.note(format!(
                    "model program `{}` printed {} in {:.2} s",
                    program.spelled,
                    crate::words::count(model.schema.tables.len() as i64, "table"),
                    took.as_secs_f64()
                ));
                model
            }
        };
        model::renames::apply(&mut model.schema, &self.config.renames)?;
        for own in own_tables {
            if let Some(table) = model.schema.table(&own) {
                let at = model.map.tables.get(&crate::schema::fold(&own)).copied();
                let message = if own == crate::engine::online::PROGRESS_TABLE {
                    format!("table `{}` has the name of autogen's own record of online rebuilds: rename it", table.name)
                } else {
                    format!(
                        "table `{}` has the name of autogen's version table (`version_table: {}` in autogen.yaml): \
                         choose another `version_table`",
                        table.name, self.config.version_table
                    )
                };
                return Err(model.map.error(at, message).into());
            }
        }
        Ok(model)
    }

    /// The model and the database, read side by side: parsing the model
    /// and introspecting the database are independent and each takes
    /// about half the time of a large `diff`. The model is read on this
    /// thread: what the diff and the report allocate next reuses the memory
    /// its parse freed, where a thread of its own would leave it behind.
    /// `check` runs on the database before it is introspected; a model
    /// error is reported before the database's.
    pub fn model_and_database(&self, check: impl FnOnce(&mut dyn Engine) -> Result<()> + Send) -> Result<Read> {
        let (model, database) = std::thread::scope(|s| {
            let database = s.spawn(|| {
                self.read_database().and_then(|db| match db {
                    Some(mut db) => {
                        check(db.as_mut())?;
                        let schema = db.introspect(&self.filter())?;
                        Ok(Some((db, schema)))
                    }
                    None => Ok(None),
                })
            });
            let model = self.model();
            (model, database.join().unwrap_or_else(|_| Err(Error::Internal("reading the database failed".into()))))
        });
        let model = model?;
        Ok(match database? {
            Some((engine, db)) => Read { model, db, engine: Some(engine) },
            None => Read { model, db: Schema::default(), engine: None },
        })
    }
}

/// Whether a model file is CREATE statements (`.sql`) rather than YAML.
pub(crate) fn is_sql_model(path: &Path) -> bool {
    path.extension().is_some_and(|x| x.eq_ignore_ascii_case("sql"))
}

/// A D1 database through wrangler: its config must exist; wrangler is
/// `d1.wrangler`, else the project's own (`node_modules/.bin/wrangler`
/// beside wrangler's config), else `wrangler` on PATH, else `npx`'s
/// (never installing one).
pub(crate) fn d1_engine(d1: &config::D1Settings) -> Result<Box<dyn Engine>> {
    let config = match &d1.config {
        Some(config) if config.is_file() => config.clone(),
        Some(config) => {
            return Err(Error::Refused(format!(
                "wrangler config `{}` (`d1: {{config: ...}}` in autogen.yaml) does not exist; nothing was changed",
                config.display()
            )))
        }
        None => {
            return Err(Error::Refused(format!(
                "D1 database `{}` needs wrangler's config, and there is no wrangler.toml, wrangler.json or \
                 wrangler.jsonc in `{}`: add one, or set `d1: {{config: PATH}}` in autogen.yaml; nothing was changed",
                d1.name,
                d1.searched.display()
            )))
        }
    };
    let local = config.parent().map(|d| d.join("node_modules").join(".bin").join("wrangler"));
    let on_path =
        || std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("wrangler").is_file()));
    let program = match (&d1.wrangler, local) {
        (Some(words), _) => words.clone(),
        (None, Some(local)) if local.is_file() => vec![local.display().to_string()],
        (None, _) if on_path() => vec!["wrangler".to_string()],
        (None, _) => ["npx", "--no-install", "wrangler"].map(String::from).to_vec(),
    };
    let wrangler = crate::engine::wrangler::Wrangler {
        program,
        config,
        database: d1.name.clone(),
        remote: d1.remote,
        persist_to: None,
    };
    Ok(Box::new(crate::engine::d1::D1::open(wrangler)))
}

/// The model and the database as a command reads them.
pub struct Read {
    pub model: Model,
    /// The database's schema (empty when there is no database yet).
    pub db: Schema,
    /// The open database; `None` when the file does not exist.
    pub engine: Option<Box<dyn Engine>>,
}

/// What copying each changed table's rows once more would cost, estimated
/// by the database, so that the planner can weigh a rebuild's finish
/// ([`crate::plan::cost`]). Keyed by the table's name now and in the model.
/// Nothing for an engine that keeps foreign keys on (its rebuilds always
/// copy back) or when there is no database.
pub(crate) fn sizes(engine: Option<&mut dyn Engine>, d: &Diff, db: &Schema) -> crate::plan::Sizes {
    use crate::plan::cost;
    let mut sizes = crate::plan::Sizes::default();
    let Some(engine) = engine.filter(|e| e.capabilities().foreign_keys_off) else { return sizes };
    let limit = cost::weigh_limit(cost::objects(db));
    let renamed = |name: &str| {
        d.renames.tables.iter().find(|(old, _)| crate::schema::same_name(old, name)).map(|(_, new)| new.clone())
    };
    let changed: std::collections::BTreeSet<String> =
        d.changes.iter().map(|c| crate::schema::fold(c.subject())).collect();
    let mut names = Vec::new();
    let mut queries = Vec::new();
    for table in db.tables.values() {
        let now = renamed(&table.name).unwrap_or_else(|| table.name.clone());
        if !changed.contains(&crate::schema::fold(&now)) {
            continue;
        }
        let stored: Vec<String> =
            table.columns.iter().filter(|c| c.generated.is_none()).map(|c| c.name.clone()).collect();
        queries.push(cost::copy_cost_query(&table.name, &stored, limit));
        names.push((table.name.clone(), now));
    }
    for ((old, new), copy_us) in names.into_iter().zip(engine.counts(&queries)) {
        if let Some(copy_us) = copy_us.and_then(|c| u64::try_from(c).ok()) {
            sizes.copy_us.insert(crate::schema::fold(&old), copy_us);
            sizes.copy_us.insert(crate::schema::fold(&new), copy_us);
        }
    }
    sizes
}

/// What the diff will do to the rows that exist (nothing when there is no
/// database yet), to be written once the model has been checked.
fn data_warnings(engine: &mut Option<Box<dyn Engine>>, d: &Diff, to: &Schema) -> Vec<String> {
    match engine {
        Some(engine) if !d.is_empty() => crate::verify::warnings::data_warnings(engine.as_mut(), d, to),
        _ => Vec::new(),
    }
}

/// The model compared with `db`, and `then` run on that comparison while
/// SQLite checks what differs on another thread. The check's error wins
/// over `then`'s: it points at the model entry, and `then` (rendering, the
/// rehearsal) only fails on a model SQLite refuses if the check fails too.
/// `then` is told through [`Stop`] when a table has failed the check, so
/// that a long rehearsal can stop early.
pub fn diff_then<T>(model: &Model, db: &Schema, then: impl FnOnce(&Diff, &Stop) -> Result<T>) -> Result<(Diff, T)> {
    checked_then(model, || crate::diff::diff(db, &model.schema), then)
}

/// [`diff_then`] with the comparison made by `compare`. The check starts
/// with it, on tables in file order, before it is known which differ: the
/// other core would wait for the comparison otherwise.
pub fn checked_then<T>(
    model: &Model,
    compare: impl FnOnce() -> Diff,
    then: impl FnOnce(&Diff, &Stop) -> Result<T>,
) -> Result<(Diff, T)> {
    let check = Check::new(&model.schema, &model.map);
    let stop = Stop::default();
    let out = std::thread::scope(|s| {
        let helper = s.spawn(|| {
            check.work();
            if check.failed() {
                stop.stop();
            }
        });
        let d = compare();
        check.select(Selection::changed_by(&d, &model.schema));
        if check.failed() {
            stop.stop();
        }
        let out = then(&d, &stop);
        // Done with its own work, this thread builds what tables are left.
        check.work();
        helper.join().map(|()| (d, out))
    })
    .map_err(|_| Error::Internal("checking the model with SQLite failed".into()))?;
    check.finish()?;
    let (d, out) = out;
    Ok((d, out?))
}

/// The model compared with `db`, after SQLite has checked what differs.
pub fn diff_checked(model: &Model, db: &Schema) -> Result<Diff> {
    diff_then(model, db, |_, _| Ok(())).map(|(d, ())| d)
}

/// Writes the diff's own warnings, then those about the rows.
fn write_warnings(d: &Diff, data: &[String], io: &mut Io) -> Result<()> {
    report::write_warnings(d, io.err).map_err(write_error)?;
    for w in data {
        writeln!(
            io.err,
            "{}warning:{} {w}",
            anstyle::AnsiColor::Yellow.on_default().bold().render(),
            anstyle::Reset.render()
        )
        .map_err(write_error)?;
    }
    Ok(())
}

/// Creates the file, refusing to overwrite one that exists.
fn write_new_file(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command run in `dir` as the binary runs it, output captured.
    fn run(
        dir: &Path,
        command: impl FnOnce(&Context, &mut Io) -> Result<Outcome>,
    ) -> Result<(Outcome, String, String)> {
        let overrides = config::Overrides {
            database: Some("app.db".into()),
            schema: Some("m.yaml".into()),
            versions: Some("versions".into()),
            ..Default::default()
        };
        let ctx = Context::new(config::load(&overrides, dir)?, dir.to_path_buf(), false);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let outcome = command(&ctx, &mut Io { out: &mut out, err: &mut err, progress: None })?;
        Ok((outcome, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned()))
    }

    #[test]
    fn revision_upgrade_check_and_replay_agree() {
        let dir = tempfile::tempdir().unwrap();
        let model = "tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}]}]";
        std::fs::write(dir.path().join("m.yaml"), model).unwrap();
        let opts = RevisionOptions {
            message: "first".into(),
            autogenerate: true,
            rev_id: Some("r1".into()),
            ..Default::default()
        };
        let (_, out, _) = run(dir.path(), |ctx, io| revision(ctx, &opts, io)).unwrap();
        assert!(out.contains("_r1_first.sql ... done"), "{out}");
        let behind = run(dir.path(), |c, io| check(c, Format::Text, io)).unwrap_err().to_string();
        assert!(behind.contains("not at the head r1"), "{behind}");
        let (_, _, err) = run(dir.path(), |ctx, io| migrate(ctx, &Target::Head, Direction::Up, io)).unwrap();
        assert_eq!(err, "Running upgrade <base> -> r1: first\n");
        assert_eq!(run(dir.path(), |c, io| check(c, Format::Text, io)).unwrap().0, Outcome::Done);
        assert_eq!(run(dir.path(), |ctx, io| check_replay(ctx, false, io)).unwrap().0, Outcome::Done);
        std::fs::write(dir.path().join("m.yaml"), model.replace("}]}]", "}, {name: a, type: TEXT}]}]")).unwrap();
        let (outcome, out, _) = run(dir.path(), |c, io| check(c, Format::Text, io)).unwrap();
        assert_eq!(outcome, Outcome::Differences);
        assert!(anstream::adapter::strip_str(&out).to_string().contains("+ add column `t.a` TEXT"), "{out}");
    }
}
