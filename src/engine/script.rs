//! A revision's SQL as the statements an engine runs, and how a run fails.

use crate::plan::expect::{self, Expectation, Shape};
use crate::sql::lexer;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Statement(Box<StatementFailure>),
    #[error(
        "{} leaves rows that break foreign keys:\n{violations}\nThe revision was rolled back; the database is as it \
            was before it.",
        subject(revision, file)
    )]
    ForeignKeys { revision: String, file: String, violations: String },
    #[error(
        "{} controls transactions itself (`{statement}`): autogen runs each revision in its own transaction, so \
        remove it",
        subject(revision, file)
    )]
    TransactionControl { revision: String, file: String, statement: String },
    #[error("{} cannot be split into statements: {message}", subject(revision, file))]
    Unsplittable { revision: String, file: String, message: String },
    /// The database is not as the revision was planned on: nothing ran.
    #[error(
        "{} was planned on a database whose tables differ from {database}:\n{}\nNothing ran; the database is as \
         it was.\nWhat to do: plan the revision again against this database (`autogen revision --autogenerate` \
         with `--database` naming it), or add what differs to the model (or to `exclude`) and plan again. If the \
         difference is harmless, edit the revision's `-- autogen:expect` line.",
        subject(revision, file),
        .differences.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n")
    )]
    Drift { revision: String, file: String, database: String, differences: Vec<String> },
    #[error("{} line {line}: {message}", subject(revision, file))]
    BadExpectation { revision: String, file: String, line: usize, message: String },
    #[error(transparent)]
    Db(#[from] super::DbError),
    #[error(transparent)]
    D1(Box<super::EngineError>),
    /// An engine that runs a revision as one batch and does not say which
    /// statement failed (D1).
    #[error(
        "{} failed on {database}: {message}\n{database} does not say which statement; it rolled the whole revision \
         back, so the database is as it was before it.",
        subject(revision, file)
    )]
    Batch { revision: String, file: String, database: String, message: String },
    /// An online rebuild's copy or swap failed: the app's table is as it
    /// was, the shadow kept for another run (or `--abort`).
    #[error("{}, rebuilding online: {source}", subject(revision, file))]
    Online { revision: String, file: String, source: Box<super::online::OnlineError> },
}

/// A statement of a revision that SQLite refused, with the rows to blame
/// where they can be counted.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} failed at {}: {message}\n  statement: {statement}\n{}The revision was rolled back; the database is as it \
     was before it.",
    subject(revision, file),
    place(*line, *index),
    hint.as_ref().map(|h| format!("  {h}\n")).unwrap_or_default()
)]
pub struct StatementFailure {
    pub revision: String,
    pub file: String,
    pub index: usize,
    /// The statement's line in the file; 0 without one.
    pub line: usize,
    pub statement: String,
    pub message: String,
    pub hint: Option<String>,
}

/// Where in the revision: the file's line where there is one.
fn place(line: usize, index: usize) -> String {
    if line > 0 {
        format!("line {line} (statement {index})")
    } else {
        format!("statement {index}")
    }
}

/// The line of `part`, a slice of `script`, in the file where `script`
/// begins on line `first` (0: no file).
pub fn line_of(script: &str, part: &str, first: usize) -> usize {
    if first == 0 {
        return 0;
    }
    let offset = (part.as_ptr() as usize).saturating_sub(script.as_ptr() as usize).min(script.len());
    first + script[..offset].matches('\n').count()
}

/// What failed: a revision and its file, or (with no file) a script the
/// caller has named, such as the rehearsal's "the new revision's upgrade".
fn subject(revision: &str, file: &str) -> String {
    if file.is_empty() {
        revision.to_string()
    } else {
        format!("revision `{revision}` (`{file}`)")
    }
}

/// The statements of `sql`, in order. Transaction control inside a
/// revision is refused: it would end the revision's own transaction half
/// way (and D1 refuses it outright).
pub fn statements<'a>(sql: &'a str, revision: &str, file: &str, first_line: usize) -> Result<Vec<&'a str>, RunError> {
    let statements = lexer::split_statements(sql).map_err(|e| {
        let message = match first_line {
            0 => e.to_string(),
            n => format!("{} (line {})", e.message, n + sql[..e.offset.min(sql.len())].matches('\n').count()),
        };
        RunError::Unsplittable { revision: revision.into(), file: file.into(), message }
    })?;
    if let Some(stmt) = statements.iter().find(|s| is_transaction_control(s)) {
        return Err(RunError::TransactionControl {
            revision: revision.into(),
            file: file.into(),
            statement: stmt.to_string(),
        });
    }
    Ok(statements)
}

fn is_transaction_control(stmt: &str) -> bool {
    matches!(crate::sql::statement::classify(stmt), crate::sql::statement::Statement::Transaction(_))
}

/// What the unit's script expects of the database (its `-- autogen:expect`
/// lines), refused at the file's line when one does not read.
pub fn expectations(unit: &super::Unit) -> Result<Vec<Expectation>, RunError> {
    expectations_of(unit.script, unit.revision, unit.file, unit.line)
}

/// [`expectations`] of a section that begins on the file's line `first`
/// (0: no file).
pub fn expectations_of(section: &str, revision: &str, file: &str, first: usize) -> Result<Vec<Expectation>, RunError> {
    expect::parse(section).map_err(|e| RunError::BadExpectation {
        revision: revision.into(),
        file: file.into(),
        line: if first > 0 { first + e.line - 1 } else { e.line },
        message: format!("`-- {}` {}", expect::DIRECTIVE, e.message),
    })
}

/// The unit's expectations against the live shapes (`shapes[i]` is
/// `expected[i]`'s table): every difference, or nothing.
pub fn drift(unit: &super::Unit, database: String, expected: &[Expectation], shapes: &[Shape]) -> Result<(), RunError> {
    let differences: Vec<String> =
        expected.iter().zip(shapes).flat_map(|(e, shape)| expect::differences(e, shape)).collect();
    if differences.is_empty() {
        return Ok(());
    }
    Err(RunError::Drift { revision: unit.revision.into(), file: unit.file.into(), database, differences })
}

/// The message of a guard made from a unit's expectations ([`expect::guard`]).
pub fn drift_guard_message(revision: &str) -> String {
    format!("revision `{revision}` was planned on a database whose tables differ from this one; nothing ran")
}
