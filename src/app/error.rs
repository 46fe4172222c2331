//! The commands' error: each variant names the thing at fault and where.

use std::path::PathBuf;

use crate::engine::{DbError, EngineError, RunError};
use crate::migrate::apply::ApplyError;
use crate::migrate::history::MigrateError;
use crate::migrate::revision::RevisionError;
use crate::source::model::ModelError;
use crate::verify::lint::LintError;
use crate::verify::rehearse::RehearsalError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A model program failed, hung, or printed no model.
    #[error(transparent)]
    Program(#[from] crate::engine::model_program::ProgramError),
    #[error(transparent)]
    Revision(#[from] RevisionError),
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    /// Boxed: a failed statement carries its text and a hint.
    #[error(transparent)]
    Run(Box<RunError>),
    #[error(transparent)]
    Rehearsal(#[from] RehearsalError),
    #[error(transparent)]
    Lint(#[from] LintError),
    /// An online rebuild's copy, removal or abort failed.
    #[error(transparent)]
    Online(#[from] crate::engine::online::OnlineError),
    #[error("no {what} is configured: {hint}")]
    NotConfigured { what: &'static str, hint: &'static str },
    #[error(
        "no autogen.yaml here or in a parent folder (looked from `{}` up): run `autogen init` to make one, or pass \
         --database and --schema",
        .searched.display()
    )]
    NoConfig { searched: PathBuf },
    #[error("cannot {action} `{}`: {}", .path.display(), .source)]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    /// What the command line asks for cannot be done as asked (exit 2).
    #[error("{0}")]
    Usage(String),
    /// What the command would do is refused as it stands (exit 1): the
    /// message says what to change.
    #[error("{0}")]
    Refused(String),
    /// A part of autogen failed where it should not (a helper thread).
    #[error("{0}")]
    Internal(String),
    /// New NOT NULL columns without a default over rows already there:
    /// (table, column, rows). Raised only when the caller can ask for a
    /// one-off value (a terminal), which then goes into `--fill`.
    #[error(
        "{}: give the rows already there a one-off value with `--fill TABLE.COLUMN=EXPR`",
        .0.iter().map(|(t, c, n)| format!("`{t}.{c}` is new, NOT NULL and without a default over {n} rows")).collect::<Vec<_>>().join("; ")
    )]
    NeedsFill(Vec<(String, String, i64)>),
}

impl Error {
    /// Whether the command line asked for something that cannot be done
    /// as asked, whatever the files and the database hold: exit 2, as
    /// clap's own errors (cli.md, "Exit codes").
    pub fn is_usage(&self) -> bool {
        use MigrateError as M;
        use RevisionError as R;
        matches!(
            self,
            Error::Usage(_)
                | Error::Migrate(M::Usage(_))
                | Error::Revision(R::InvalidNewId(_))
                | Error::Migrate(M::Revision(R::InvalidNewId(_)))
        )
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

impl From<RunError> for Error {
    fn from(e: RunError) -> Self {
        Error::Run(Box::new(e))
    }
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        Error::Engine(EngineError::Db(e))
    }
}

impl From<ApplyError> for Error {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::Migrate(e) => Error::Migrate(e),
            ApplyError::Engine(e) => Error::Engine(e),
            ApplyError::Run(e) => Error::Run(e),
            ApplyError::Online(e) => Error::Online(e),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
