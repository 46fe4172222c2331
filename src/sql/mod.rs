//! Reading SQLite's own SQL text: a tokenizer ([`lexer`]) and a reader for
//! the CREATE statements stored in `sqlite_schema` ([`ddl`]). General SQL
//! parsers reject some of what SQLite accepts, so this one follows SQLite's
//! grammar and is tested on ugly DDL and on SQLite's own test suite.

pub mod ddl;
pub mod lexer;

pub use lexer::ParseError;
