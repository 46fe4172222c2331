//! autogen: Alembic-style autogenerate migrations for SQLite, from a
//! declarative YAML model.
//!
//! One pipeline, one direction: the model file ([`model::load`]) and a live
//! database ([`introspect::introspect`]) each become a [`schema::Schema`];
//! [`diff::diff`] compares two schemas; [`plan::plan`] turns the changes
//! into steps (a native ALTER or one rebuild per table); [`plan::render`]
//! turns the steps into SQL. A downgrade is the same pipeline with the two
//! schemas swapped. [`runner`] applies revision files.
//!
//! ```
//! use autogen::{diff, introspect, model, plan, revisions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let conn = rusqlite::Connection::open_in_memory()?;
//! conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")?;
//! let db = introspect::introspect(&conn, &introspect::Filter::default())?;
//! let yaml = "tables:\n  - name: users\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: name, type: TEXT}\n      - {name: bio, type: TEXT}\n";
//! let (wanted, _) = model::parse(yaml, std::path::Path::new("model.yaml"))?;
//! let changes = diff::diff(&db, &wanted);
//! let sql = revisions::plan_sql(&plan::plan(&changes, &wanted));
//! assert!(sql.contains("ALTER TABLE \"users\" ADD COLUMN \"bio\" TEXT;"));
//! # Ok(()) }
//! ```

pub mod commands;
pub mod config;
pub mod db;
pub mod diagnose;
pub mod diff;
pub mod emit;
pub mod error;
pub mod introspect;
pub mod model;
pub mod normalize;
pub mod plan;
pub mod progress;
pub mod rehearse;
pub mod render;
pub mod report;
pub mod revisions;
pub mod runner;
pub mod schema;
pub mod sql;
pub mod types;
pub mod warnings;
pub mod yaml;

pub use error::{Error, Result};
