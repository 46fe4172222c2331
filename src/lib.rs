//! autogen: Alembic-style autogenerate migrations for SQLite, from a
//! declarative YAML model.

pub mod app;
pub mod diff;
pub mod engine;
pub mod migrate;
pub mod plan;
pub mod schema;
pub mod source;
pub mod sql;
pub mod verify;

pub use app::error::{Error, Result};
