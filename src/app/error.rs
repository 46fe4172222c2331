//! The library's error: each variant names the thing at fault and where.

use std::path::PathBuf;

use crate::engine::open::DbError;
use crate::source::introspect::IntrospectError;
use crate::source::model::ModelError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("database `{}`: {}", .path.display(), .source)]
    Introspect { path: PathBuf, source: IntrospectError },
    #[error(transparent)]
    Revision(#[from] crate::migrate::revision::RevisionError),
    /// Boxed: a failed statement carries its text and a hint.
    #[error(transparent)]
    Run(Box<crate::migrate::run::RunError>),
    #[error(transparent)]
    Rehearsal(#[from] crate::verify::rehearse::RehearsalError),
    #[error("no {what} is configured: {hint}")]
    NotConfigured { what: &'static str, hint: &'static str },
    #[error("cannot {action} `{}`: {}", .path.display(), .source)]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

impl From<crate::migrate::run::RunError> for Error {
    fn from(e: crate::migrate::run::RunError) -> Self {
        Error::Run(Box::new(e))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
