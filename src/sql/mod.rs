//! Reading SQLite's own SQL text: a tokenizer ([`lexer`]) and a reader for
//! the CREATE statements stored in `sqlite_schema` ([`ddl`]). That text is
//! whatever any tool ever wrote, and general SQL parsers reject some of
//! what SQLite accepts (`UNSIGNED BIG INT`, `UNIQUE (...) ON CONFLICT
//! REPLACE`), so this follows SQLite's tokenize.c and parse.y, and is
//! tested on ugly DDL and on what SQLite stored for the shared corpus.
//! Nothing here panics on any input.

pub mod ddl;
pub mod lexer;
pub mod quote;

pub use ddl::{
    parse_create, ColumnConstraint, ColumnConstraintKind, ColumnDef, Conflict, Create, CreateIndex, CreateTable,
    CreateTrigger, CreateView, CreateVirtualTable, Deferrable, FkAction, ForeignKeyClause, IndexedColumn, Order,
    TableConstraint,
};
pub use lexer::{mentions, normalize, normalize_expr, split_statements, tokenize, ParseError, Token, TokenKind};

/// SQLite's own words for an error, without the SQL text rusqlite appends
/// (the messages here name the object instead).
pub fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}
