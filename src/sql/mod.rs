//! Reading SQLite's own SQL text: a tokenizer ([`lexer`]) and a reader for
//! the CREATE statements stored in `sqlite_schema` ([`ddl`]). That text is
//! whatever any tool ever wrote, and general SQL parsers reject some of
//! what SQLite accepts (`UNSIGNED BIG INT`, `UNIQUE (...) ON CONFLICT
//! REPLACE`), so this follows SQLite's tokenize.c and parse.y, and is
//! tested on ugly DDL and on what SQLite stored for the shared corpus.
//! Nothing here panics on any input.

/// How the messages of autogen's own guard statements begin (the row
/// accounting of a rebuild): the runner shows them as they are.
pub const GUARD_PREFIX: &str = "autogen: ";

/// A guard statement's message out of SQLite's JSON path error (see the
/// planner's `stop_when`); any other message as it is.
pub fn guard_message(message: &str) -> std::borrow::Cow<'_, str> {
    // SQLite 3.54 says "JSON path error near '…'"; older ones, D1's 3.47
    // among them, "bad JSON path: '…'".
    let inner = ["JSON path error near '", "bad JSON path: '"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|m| m.strip_suffix('\''));
    match inner.and_then(|m| m.strip_prefix(GUARD_PREFIX)) {
        Some(text) => std::borrow::Cow::Owned(text.to_string()),
        None => std::borrow::Cow::Borrowed(message),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn guard_messages_read_in_either_sqlite_wording() {
        for raw in [
            "JSON path error near 'autogen: the copy of `t` holds 1 of its 2 rows'",
            "bad JSON path: 'autogen: the copy of `t` holds 1 of its 2 rows'",
        ] {
            assert_eq!(super::guard_message(raw), "the copy of `t` holds 1 of its 2 rows");
        }
        assert_eq!(super::guard_message("no such table: x"), "no such table: x");
    }
}

pub mod ddl;
pub mod lexer;
pub mod quote;
pub mod rewrite;
pub mod statement;

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
