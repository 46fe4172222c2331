//! autogen: Alembic-style autogenerate migrations for SQLite, from a
//! declarative model.
//!
//! One pipeline, one direction, one folder per stage:
//!
//! | stage | does |
//! |---|---|
//! | `sql` | SQLite's own text: tokens, statements, the CREATE reader, quoting |
//! | `schema` | the [`Schema`](schema::Schema) value, its normal form, dependency order, its DDL |
//! | `source` | a model file ([`load_model`]) or a database's catalog ([`introspect`]) into a schema |
//! | `diff` | two schemas into typed [`Change`]s ([`diff`]) |
//! | `plan` | changes into [`Step`]s: native ALTER or one rebuild per table ([`plan`]), and their SQL ([`script`]) |
//! | `engine` | everything that touches a database ([`Engine`]; the local SQLite file) |
//! | `verify` | the model checked by SQLite ([`check_model`]), data warnings, the [`Rehearsal`], the [`Lint`] rules |
//! | `migrate` | revision files, their graph and targets, running them through an engine |
//! | [`app`] | the commands, writing to the writers they are given |
//!
//! Each stage uses only the stages above it in this table. A downgrade is
//! the same pipeline with the two schemas swapped.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let conn = rusqlite::Connection::open_in_memory()?;
//! conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")?;
//! let db = autogen::introspect(&conn, &autogen::Filter::default())?;
//! let yaml = "tables:\n  - name: users\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n\
//!     \x20     - {name: name, type: TEXT}\n      - {name: bio, type: TEXT}\n";
//! let model = autogen::parse_model(yaml, std::path::Path::new("model.yaml"))?;
//! let changes = autogen::diff(&db, &model.schema);
//! let plan = autogen::plan(&changes, &model.schema, &autogen::Capabilities::SQLITE);
//! let sql = autogen::script(&plan);
//! assert!(sql.contains("ALTER TABLE \"users\" ADD COLUMN \"bio\" TEXT;"));
//! autogen::apply_script(&conn, &sql, "add bio", "")?;
//! assert!(autogen::diff(&autogen::introspect(&conn, &autogen::Filter::default())?, &model.schema).is_empty());
//! # Ok(()) }
//! ```

pub mod app;
pub(crate) mod diff;
pub(crate) mod engine;
pub(crate) mod migrate;
pub(crate) mod plan;
pub mod schema;
pub(crate) mod source;
pub mod sql;
pub(crate) mod verify;
pub(crate) mod words;

pub use app::error::{Error, Result};
pub use diff::{diff, diff_with_renames, reverse, Change, ColumnChange, Constraint, Diff, Renames, TableChange};
pub use engine::online::{
    Chunk as OnlineChunk, Copied as OnlineCopied, OnlineError, Pace as OnlinePace, Rebuild as OnlineRebuild,
    ShadowIndex,
};
pub use engine::sqlite::{apply_script, foreign_key_violations, introspect, Access, Sqlite};
pub use engine::{Engine, EngineError, RunError, ScratchCopy, Stop};
pub use migrate::revision::{parse as parse_revision, NewRevision, Revision, RevisionError};
pub use plan::{
    built, migration, plan, script, statements, Capabilities, Fill, Forced, Migration, Options as PlanOptions, Plan,
    Reason, Rebuild, Refusal, Sizes, Statement, Step,
};
pub use source::introspect::{Filter, IntrospectError};
pub use source::model::write::model_yaml;
pub use source::model::{
    load as load_model, parse as parse_model, Model, ModelError, SourceMap, OBJECT_KEYS as MODEL_KEYS,
};
pub use verify::lint::{Code, Finding, Lint, LintError, Policy, Scratch, Severity, Subject};
pub use verify::model_check::{check_model, Selection};
pub use verify::rehearse::{Rehearsal, RehearsalError};
