//! The library's error: each variant names the thing at fault and where.

use std::path::PathBuf;

use crate::db::DbError;
use crate::introspect::IntrospectError;
use crate::model::ModelError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Model(#[from] ModelError),
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("database `{}`: {source}", .path.display())]
    Introspect { path: PathBuf, source: IntrospectError },
    #[error("{0}")]
    Revision(#[from] crate::revisions::RevisionError),
    #[error("{0}")]
    Run(#[from] crate::runner::RunError),
    #[error("{0}")]
    Rehearsal(#[from] crate::rehearse::RehearsalError),
    #[error("no {what} is configured: {hint}")]
    NotConfigured { what: &'static str, hint: &'static str },
    #[error("cannot {action} `{}`: {source}", .path.display())]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
