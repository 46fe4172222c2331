//! A model given as a `.sql` file of CREATE statements (cli.md, "Config"):
//! what `sqlite3 app.db .schema`, SQLAlchemy's `metadata.create_all` on a
//! mock engine or any ORM's DDL export prints. It is built in an in-memory
//! database and read back exactly as a live one is, so an app whose models
//! live in its ORM keeps one source of truth.
//!
//! Rename hints are comments on the line of the column (or of `CREATE
//! TABLE`): `-- autogen: renamed_from old_name`. Errors name the file and
//! line.

use std::path::Path;

use rusqlite::Connection;

use crate::schema::fold;
use crate::source::introspect::Filter;
use crate::source::model::{Model, ModelError, SourceMap};
use crate::sql::lexer::{self, Token, TokenKind};

/// What a table of the model that `exclude:` matches means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Excluded {
    /// An error: a model file the user writes should not hold it.
    Refused,
    /// Left out: an ORM's models may hold tables the project leaves alone.
    Dropped,
}

/// Reads a `.sql` model; `exclude` are the project's `exclude:` globs.
pub fn load(path: &Path, exclude: &[String]) -> Result<Model, ModelError> {
    load_text(&crate::source::model::read_file(path)?, path, exclude, Excluded::Refused)
}

/// Reads CREATE statements as a model; `path` names where they came from
/// in errors (a file, or the program that printed them).
pub fn load_text(text: &str, path: &Path, exclude: &[String], excluded: Excluded) -> Result<Model, ModelError> {
    let error =
        |line: u32, column: u32, message: String| ModelError { file: path.to_path_buf(), line, column, message };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let conn =
        Connection::open_in_memory().map_err(|e| error(0, 0, format!("cannot open an in-memory database: {e}")))?;
    // Foreign keys are the ORM's business at run time; here the statements
    // only have to be SQLite's.
    conn.execute_batch("PRAGMA foreign_keys = OFF").map_err(|e| error(0, 0, e.to_string()))?;
    let lines = Lines::of(text);
    let mut statements = Vec::new();
    for part in split_at_create(text) {
        let found = lexer::split_statements(part).map_err(|e| {
            let (line, column) = lines.position(offset_in(text, part, e.offset));
            error(line, column, format!("cannot be read as SQL statements: {}", e.message))
        })?;
        statements.extend(found);
    }
    let mut map = SourceMap { file: path.to_path_buf(), ..SourceMap::default() };
    for stmt in &statements {
        let offset = (stmt.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let (line, column) = lines.position(offset);
        let tokens = lexer::tokenize(stmt).unwrap_or_default();
        match kind(&tokens) {
            Kind::Ignored => continue,
            Kind::Unsupported(word) if word == "VIRTUAL" => {
                return Err(error(
                    line,
                    column,
                    "a virtual table is never managed by autogen (its module owns it and its shadow tables, and \
                     autogen leaves the database's alone): remove it and its shadow tables from the model, and \
                     create it in a hand-written revision"
                        .into(),
                ))
            }
            Kind::Unsupported(word) => {
                return Err(error(
                    line,
                    column,
                    format!(
                        "`CREATE {word}` makes an object of one connection, which no database file holds: a model \
                         holds what the database keeps (remove `{word}`, or the statement)"
                    ),
                ))
            }
            Kind::Other(first) => {
                return Err(error(
                    line,
                    column,
                    format!("a .sql model holds CREATE TABLE, INDEX, VIEW and TRIGGER statements, not `{first}`"),
                ))
            }
            Kind::Create(object, name) => {
                if name.to_ascii_lowercase().starts_with("sqlite_") {
                    // `.schema` prints SQLite's own tables; SQLite makes them.
                    continue;
                }
                let excluded_by = exclude.iter().find(|g| crate::source::introspect::glob_match(g, &name));
                if excluded == Excluded::Dropped {
                    // An index or trigger goes with its table.
                    let table = if matches!(object, "index" | "trigger") { on_table(&tokens) } else { None };
                    let is_excluded = |n: &str| exclude.iter().any(|g| crate::source::introspect::glob_match(g, n));
                    if excluded_by.is_some() || table.is_some_and(|t| is_excluded(&t)) {
                        continue;
                    }
                }
                if let Some(glob) = excluded_by {
                    return Err(error(
                        line,
                        column,
                        format!(
                            "table `{name}` is excluded by `{glob}` in autogen.yaml: \
                        remove it from the model or from `exclude`"
                        ),
                    ));
                }
                // Only a table has column defaults (a trigger body may say `DEFAULT VALUES`).
                if let Some(word) = bare_default(&tokens).filter(|_| object == "table") {
                    let (line, column) = lines.position(offset_in(text, stmt, word.start));
                    return Err(error(
                        line,
                        column,
                        format!(
                            "{object} `{name}`: `DEFAULT {0}` is a bare word, which SQLite reads as a string only \
                             by a legacy quirk: for the text, write `DEFAULT '{0}'`",
                            word.text
                        ),
                    ));
                }
                conn.execute_batch(stmt).map_err(|e| {
                    error(
                        line,
                        column,
                        format!("{object} `{name}`: SQLite rejects it: {}", crate::sql::sqlite_message(&e)),
                    )
                })?;
                let at = (line, column);
                match object {
                    "table" => {
                        map.tables.insert(fold(&name), at);
                        for (column_name, offset) in column_starts(&tokens) {
                            map.columns.insert(
                                (fold(&name), fold(&column_name)),
                                lines.position(offset_in(text, stmt, offset)),
                            );
                        }
                    }
                    "index" => drop(map.indexes.insert(fold(&name), at)),
                    "view" => drop(map.views.insert(fold(&name), at)),
                    _ => drop(map.triggers.insert(fold(&name), at)),
                }
            }
        }
    }
    let filter = Filter { ignore: Vec::new(), exclude: exclude.to_vec() };
    let mut schema = super::sqlite::introspect(&conn, &filter).map_err(|e| error(0, 0, e.to_string()))?;
    apply_hints(text, &map, &mut schema);
    check_model_rules(&schema, &map, exclude)?;
    Ok(Model { schema, map })
}

/// The model's rule that SQLite does not apply when it creates a table
/// (model.md, "Bad input"): a foreign key must reach a table and key the
/// model has.
fn check_model_rules(schema: &crate::schema::Schema, map: &SourceMap, exclude: &[String]) -> Result<(), ModelError> {
    let excluded = |name: &str| exclude.iter().any(|g| crate::source::introspect::glob_match(g, name));
    for table in crate::schema::order::parents_first(schema) {
        let key = fold(&table.name);
        let column_at = |c: &str| map.columns.get(&(key.clone(), fold(c))).or(map.tables.get(&key)).copied();
        for fk in &table.foreign_keys {
            if let Some(problem) = crate::source::model::foreign_key_problem(schema, table, fk, excluded) {
                let at = fk.columns.first().map_or_else(|| map.tables.get(&key).copied(), |c| column_at(c));
                return Err(map.error(at, problem));
            }
        }
    }
    Ok(())
}

/// The text cut where each `CREATE` begins, before it is split into
/// statements: SQLAlchemy's DDL on a mock engine (cli.md names it as a
/// `.sql` model) prints its statements with no `;` between them, and a
/// trigger after such a statement would otherwise be read from that
/// statement's start, its body's first `;` ending it. `CREATE` is a
/// reserved word, so outside quotes it only ever begins a statement: no
/// table, index, view or trigger body holds one.
fn split_at_create(stmt: &str) -> Vec<&str> {
    let Ok(tokens) = lexer::tokenize(stmt) else { return vec![stmt] };
    let mut cuts: Vec<usize> = tokens.iter().skip(1).filter(|t| t.is_keyword("CREATE")).map(|t| t.start).collect();
    cuts.push(stmt.len());
    let mut parts = Vec::new();
    let mut from = 0;
    for to in cuts {
        let part = stmt[from..to].trim_end();
        if !part.is_empty() {
            parts.push(part);
        }
        from = to;
    }
    parts
}

/// A `DEFAULT` followed by a bare word (model.md, "Bad input").
fn bare_default<'a>(tokens: &'a [Token<'a>]) -> Option<&'a Token<'a>> {
    tokens.windows(2).find_map(|pair| {
        let [default, word] = pair else { return None };
        let unquoted = word.text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        (default.is_keyword("DEFAULT") && unquoted && lexer::is_bare_word(word.text)).then_some(word)
    })
}

/// What a statement is, by its first words.
enum Kind {
    /// `CREATE <object> [IF NOT EXISTS] <name>`.
    Create(&'static str, String),
    /// Transaction control and PRAGMAs, which DDL exports carry.
    Ignored,
    /// `CREATE TEMP ...`, `CREATE VIRTUAL TABLE`.
    Unsupported(String),
    Other(String),
}

fn kind(tokens: &[Token]) -> Kind {
    let Some(first) = tokens.first() else { return Kind::Ignored };
    if first.is_any_keyword(&["BEGIN", "COMMIT", "END", "PRAGMA", "ROLLBACK"]) {
        return Kind::Ignored;
    }
    if !first.is_keyword("CREATE") {
        return Kind::Other(first.text.to_string());
    }
    // A TEMP object lives in a connection, never in a database file; a
    // virtual table is never managed (its module owns it and its shadow
    // tables). Taken silently, either would be a model entry that does
    // nothing.
    if let Some(t) = tokens.get(1).filter(|t| t.is_any_keyword(&["TEMP", "TEMPORARY", "VIRTUAL"])) {
        return Kind::Unsupported(t.text.to_ascii_uppercase());
    }
    let mut rest = tokens[1..].iter().skip_while(|t| t.is_keyword("UNIQUE"));
    let object = match rest.next() {
        Some(t) if t.is_keyword("TABLE") => "table",
        Some(t) if t.is_keyword("INDEX") => "index",
        Some(t) if t.is_keyword("VIEW") => "view",
        Some(t) if t.is_keyword("TRIGGER") => "trigger",
        _ => return Kind::Other("CREATE".into()),
    };
    let mut names = rest.skip_while(|t| t.is_any_keyword(&["IF", "NOT", "EXISTS"])).filter_map(|t| t.name());
    // `main.t`: the last name before the body.
    let name = names.next().unwrap_or_default();
    Kind::Create(object, name)
}

/// The table a CREATE INDEX or CREATE TRIGGER is `ON` (`main.t`: `t`).
fn on_table(tokens: &[Token]) -> Option<String> {
    let mut i = tokens.iter().position(|t| t.is_keyword("ON"))? + 1;
    let mut name = tokens.get(i)?.name()?;
    while tokens.get(i + 1).is_some_and(|t| t.is_punct(".")) {
        i += 2;
        name = tokens.get(i)?.name()?;
    }
    Some(name)
}

/// The columns of a CREATE TABLE and where each definition starts (byte
/// offset in the statement): the names that open each top-level item of
/// the column list.
fn column_starts(tokens: &[Token]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut item_start = false;
    for t in tokens {
        if t.is_punct("(") {
            depth += 1;
            item_start = depth == 1;
            continue;
        }
        if t.is_punct(")") {
            depth -= 1;
            continue;
        }
        if depth == 1 && t.is_punct(",") {
            item_start = true;
            continue;
        }
        if item_start && depth == 1 {
            item_start = false;
            let constraint =
                t.is_any_keyword(&["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]) && t.kind == TokenKind::Word;
            if let (false, Some(name)) = (constraint, t.name()) {
                out.push((name, t.start));
            }
        }
    }
    out
}

fn offset_in(text: &str, stmt: &str, offset: usize) -> usize {
    (stmt.as_ptr() as usize).saturating_sub(text.as_ptr() as usize) + offset
}

/// A text's line starts, to place byte offsets on lines without counting
/// from the start each time (a model of 10,000 tables has 100,000 columns).
struct Lines<'t> {
    text: &'t str,
    /// The byte offset where each line starts.
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn of(text: &'t str) -> Lines<'t> {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { text, starts }
    }

    /// (line, column), 1-based, of a byte offset.
    fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line - 1];
        let column = self.text.get(start..offset).map_or(0, |l| l.chars().count()) + 1;
        (line as u32, column as u32)
    }
}

/// `-- autogen: renamed_from old` on the line of a column (or of `CREATE
/// TABLE`) is that column's (or table's) rename hint.
fn apply_hints(text: &str, map: &SourceMap, schema: &mut crate::schema::Schema) {
    for (n, line) in text.lines().enumerate() {
        let Some(hint) = line.split("--").skip(1).find_map(|c| c.trim().strip_prefix("autogen:")) else { continue };
        let Some(old) = hint.trim().strip_prefix("renamed_from") else { continue };
        let old = old.trim().trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']').to_string();
        let line_no = (n + 1) as u32;
        // The column whose definition starts last before the comment on its
        // line: a line may hold several.
        let comment_at = line[..line.find("--").unwrap_or(0)].chars().count() as u32 + 1;
        let column =
            map.columns.iter().filter(|(_, at)| at.0 == line_no && at.1 < comment_at).max_by_key(|(_, at)| at.1);
        if let Some(((table, column), _)) = column {
            if let Some(c) =
                schema.tables.get_mut(table).and_then(|t| t.columns.iter_mut().find(|c| fold(&c.name) == *column))
            {
                c.renamed_from = Some(old);
            }
        } else if let Some((table, _)) = map.tables.iter().find(|(_, at)| at.0 == line_no) {
            if let Some(t) = schema.tables.get_mut(table) {
                t.renamed_from = Some(old);
            }
        }
    }
}
