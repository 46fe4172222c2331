//! A revision's SQL as the statements an engine runs, and how a run fails.

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
