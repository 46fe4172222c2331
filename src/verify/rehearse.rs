//! Rehearsal: before a generated revision is written, it is run on a
//! scratch copy of the database: upgrade, then the diff against the model
//! must be empty, then downgrade, then the schema must equal the start. A
//! revision that does not converge is never written.

use crate::diff::{self, Change, Renames};
use crate::engine::{Engine, EngineError, RunError, ScratchCopy, Stop, Unit};
use crate::schema::Schema;
use crate::source::introspect::Filter;

#[derive(Debug, thiserror::Error)]
pub enum RehearsalError {
    #[error("cannot make the scratch copy for the rehearsal: {0}")]
    Copy(EngineError),
    #[error("rehearsal of the {direction} failed, so no revision was written:\n{source}")]
    Failed { direction: &'static str, source: Box<RunError> },
    #[error(
        "rehearsal: after the upgrade the database still differs from the model, so no revision was written:\n{}",
        list(.0)
    )]
    UpgradeDiverges(Vec<String>),
    #[error("rehearsal: the downgrade does not restore the starting schema, so no revision was written:\n{}", list(.0))]
    DowngradeDiverges(Vec<String>),
    #[error("rehearsal: cannot read the scratch schema: {0}")]
    Introspect(EngineError),
}

fn list(items: &[String]) -> String {
    items.iter().map(|s| format!("  - {s}")).collect::<Vec<_>>().join("\n")
}

/// The upgrade and downgrade of one revision, and the two schemas they lead to.
pub struct Rehearsal<'a> {
    pub up: &'a str,
    pub down: &'a str,
    /// The schema the database has now, as introspected with `filter`: the
    /// scratch copy has the same CREATE text, so it reads the same, and is
    /// not read again.
    pub start: &'a Schema,
    pub model: &'a Schema,
    pub filter: &'a Filter,
}

impl Rehearsal<'_> {
    /// Runs the rehearsal on a scratch copy of `database` (`stop` ends it
    /// early when its result is no longer wanted).
    pub fn on_copy_of(&self, database: &mut dyn Engine, copy: ScratchCopy, stop: &Stop) -> Result<(), RehearsalError> {
        let mut scratch = database.scratch(copy, stop).map_err(RehearsalError::Copy)?;
        self.on(scratch.as_mut())
    }

    /// Runs `up` then `down` on `scratch` and checks both ends.
    pub fn on(&self, scratch: &mut dyn Engine) -> Result<(), RehearsalError> {
        run(scratch, self.up, "upgrade")?;
        let after = scratch.introspect(self.filter).map_err(RehearsalError::Introspect)?;
        let remaining = diff::diff_with_renames(&after, self.model, Renames::default());
        if !remaining.is_empty() {
            return Err(RehearsalError::UpgradeDiverges(describe(&remaining.changes)));
        }
        run(scratch, self.down, "downgrade")?;
        let back = scratch.introspect(self.filter).map_err(RehearsalError::Introspect)?;
        let remaining = diff::diff_with_renames(&back, self.start, Renames::default());
        if !remaining.is_empty() {
            return Err(RehearsalError::DowngradeDiverges(describe(&remaining.changes)));
        }
        Ok(())
    }
}

fn describe(changes: &[Change]) -> Vec<String> {
    changes.iter().map(Change::to_string).collect()
}

fn run(scratch: &mut dyn Engine, script: &str, direction: &'static str) -> Result<(), RehearsalError> {
    let name = format!("the new revision's {direction}");
    let unit = Unit { revision: &name, file: "", script, version: None };
    scratch.run(&unit).map(drop).map_err(|source| RehearsalError::Failed { direction, source: Box::new(source) })
}
