//! A reader for the CREATE statements SQLite stores in `sqlite_schema`,
//! after the grammar in SQLite's parse.y. It takes what SQLite takes (type
//! names like `UNSIGNED BIG INT`, any quoting, comments anywhere, `ON
//! CONFLICT` on constraints) and keeps expressions as the text they were
//! written as. It never panics.

use super::lexer::{self, error, ParseError, Token, TokenKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    CreateTable(CreateTable),
    CreateIndex(CreateIndex),
    CreateView(CreateView),
    CreateTrigger(CreateTrigger),
    CreateVirtualTable(CreateVirtualTable),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateTable {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub constraints: Vec<TableConstraint>,
    pub without_rowid: bool,
    pub strict: bool,
    pub as_select: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    /// Tokens of the declared type joined by one space, none around parentheses and commas.
    pub type_name: String,
    pub constraints: Vec<ColumnConstraint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnConstraint {
    pub name: Option<String>,
    pub kind: ColumnConstraintKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnConstraintKind {
    PrimaryKey { order: Option<Order>, on_conflict: Option<Conflict>, autoincrement: bool },
    NotNull { on_conflict: Option<Conflict> },
    Null,
    Unique { on_conflict: Option<Conflict> },
    Check(String),
    Default(String),
    Collate(String),
    References(ForeignKeyClause),
    Generated { expr: String, stored: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Conflict {
    Rollback,
    Abort,
    Fail,
    Ignore,
    Replace,
}

impl Conflict {
    pub fn as_sql(&self) -> &'static str {
        match self {
            Conflict::Rollback => "ROLLBACK",
            Conflict::Abort => "ABORT",
            Conflict::Fail => "FAIL",
            Conflict::Ignore => "IGNORE",
            Conflict::Replace => "REPLACE",
        }
    }

    pub fn parse(s: &str) -> Option<Conflict> {
        [Conflict::Rollback, Conflict::Abort, Conflict::Fail, Conflict::Ignore, Conflict::Replace]
            .into_iter()
            .find(|c| c.as_sql().eq_ignore_ascii_case(s.trim()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FkAction {
    SetNull,
    SetDefault,
    Cascade,
    Restrict,
    NoAction,
}

impl FkAction {
    pub fn as_sql(&self) -> &'static str {
        match self {
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
            FkAction::Cascade => "CASCADE",
            FkAction::Restrict => "RESTRICT",
            FkAction::NoAction => "NO ACTION",
        }
    }

    pub fn parse(s: &str) -> Option<FkAction> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let s = words.join(" ");
        [FkAction::SetNull, FkAction::SetDefault, FkAction::Cascade, FkAction::Restrict, FkAction::NoAction]
            .into_iter()
            .find(|a| a.as_sql().eq_ignore_ascii_case(&s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyClause {
    pub table: String,
    pub columns: Vec<String>,
    pub on_delete: Option<FkAction>,
    pub on_update: Option<FkAction>,
    pub match_name: Option<String>,
    pub deferrable: Option<Deferrable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deferrable {
    NotDeferrable,
    Deferrable { initially_deferred: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableConstraint {
    PrimaryKey { name: Option<String>, columns: Vec<IndexedColumn>, on_conflict: Option<Conflict>, autoincrement: bool },
    Unique { name: Option<String>, columns: Vec<IndexedColumn>, on_conflict: Option<Conflict> },
    Check { name: Option<String>, expr: String },
    ForeignKey { name: Option<String>, columns: Vec<String>, clause: ForeignKeyClause },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedColumn {
    /// The key expression's text, without COLLATE and ASC/DESC.
    pub expr: String,
    /// The name, when the key is a single identifier.
    pub column: Option<String>,
    pub collate: Option<String>,
    pub order: Option<Order>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateIndex {
    pub name: String,
    pub table: String,
    pub unique: bool,
    pub columns: Vec<IndexedColumn>,
    pub where_clause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateView {
    pub name: String,
    pub columns: Vec<String>,
    pub select: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTrigger {
    pub name: String,
    pub table: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateVirtualTable {
    pub name: String,
    pub module: String,
}

/// Reads one CREATE statement.
pub fn parse_create(sql: &str) -> Result<Statement, ParseError> {
    let tokens = lexer::tokenize(sql)?;
    let mut p = Parser { sql, tokens, pos: 0 };
    let stmt = p.create()?;
    while p.eat_punct(";") {}
    if let Some(t) = p.peek() {
        return error(format!("unexpected `{}` after the statement", t.text), t.start);
    }
    Ok(stmt)
}

/// Words that start a column constraint, and so end a type name.
const CONSTRAINT_START: [&str; 11] = ["CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES", "GENERATED", "AS"];
/// Words that start a table constraint (reserved in SQLite, so never a bare column name).
const TABLE_CONSTRAINT_START: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

struct Parser<'a> {
    sql: &'a str,
    tokens: Vec<Token<'a>>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Token<'a>> {
        self.tokens.get(self.pos + n)
    }

    fn at_keyword(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_keyword(kw))
    }

    fn at_punct(&self, p: &str) -> bool {
        self.peek().is_some_and(|t| t.is_punct(p))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let yes = self.at_keyword(kw);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn eat_keywords(&mut self, kws: &[&str]) -> bool {
        let all = kws.iter().enumerate().all(|(i, k)| self.peek_at(i).is_some_and(|t| t.is_keyword(k)));
        if all {
            self.pos += kws.len();
        }
        all
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        let yes = self.at_punct(p);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn fail<T>(&self, expected: &str) -> Result<T, ParseError> {
        match self.peek() {
            Some(t) => error(format!("expected {expected}, found `{}`", t.text), t.start),
            None => error(format!("expected {expected}, found the end of the statement"), self.sql.len()),
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            self.fail(&format!("`{kw}`"))
        }
    }

    fn expect_punct(&mut self, p: &str) -> Result<(), ParseError> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            self.fail(&format!("`{p}`"))
        }
    }

    fn name(&mut self, what: &str) -> Result<String, ParseError> {
        match self.peek() {
            Some(t) if t.is_name() && !t.is_punct("(") => {
                let n = t.name().unwrap_or_default();
                self.pos += 1;
                Ok(n)
            }
            _ => self.fail(what),
        }
    }

    /// `[schema.]name`; only the name is kept.
    fn qualified_name(&mut self, what: &str) -> Result<String, ParseError> {
        let first = self.name(what)?;
        if self.at_punct(".") {
            self.pos += 1;
            return self.name(what);
        }
        Ok(first)
    }

    fn if_not_exists(&mut self) {
        self.eat_keywords(&["IF", "NOT", "EXISTS"]);
    }

    /// The source text from token `from` up to (not including) the current one.
    fn text_since(&self, from: usize) -> String {
        if from >= self.pos {
            return String::new();
        }
        let start = self.tokens[from].start;
        let end = self.tokens[self.pos - 1].end();
        self.sql[start..end].trim().to_string()
    }

    /// Skips a balanced `( ... )` and returns the text inside.
    fn parenthesized(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        if !self.at_punct("(") {
            return self.fail("`(`");
        }
        let Some(close) = lexer::closing_paren(&self.tokens, open) else {
            return error("unclosed `(`", self.tokens[open].start);
        };
        let inner = if close > open + 1 { self.sql[self.tokens[open + 1].start..self.tokens[close - 1].end()].trim().to_string() } else { String::new() };
        self.pos = close + 1;
        Ok(inner)
    }

    fn create(&mut self) -> Result<Statement, ParseError> {
        self.expect_keyword("CREATE")?;
        let _temp = self.eat_keyword("TEMP") || self.eat_keyword("TEMPORARY");
        if self.eat_keyword("TABLE") {
            return self.create_table().map(Statement::CreateTable);
        }
        if self.eat_keyword("VIRTUAL") {
            self.expect_keyword("TABLE")?;
            self.if_not_exists();
            let name = self.qualified_name("a table name")?;
            self.expect_keyword("USING")?;
            let module = self.name("a module name")?;
            if self.at_punct("(") {
                self.parenthesized()?;
            }
            return Ok(Statement::CreateVirtualTable(CreateVirtualTable { name, module }));
        }
        let unique = self.eat_keyword("UNIQUE");
        if self.eat_keyword("INDEX") {
            return self.create_index(unique).map(Statement::CreateIndex);
        }
        if unique {
            return self.fail("`INDEX`");
        }
        if self.eat_keyword("VIEW") {
            return self.create_view().map(Statement::CreateView);
        }
        if self.eat_keyword("TRIGGER") {
            return self.create_trigger().map(Statement::CreateTrigger);
        }
        self.fail("TABLE, INDEX, VIEW or TRIGGER")
    }

    fn create_table(&mut self) -> Result<CreateTable, ParseError> {
        self.if_not_exists();
        let mut table = CreateTable { name: self.qualified_name("a table name")?, ..CreateTable::default() };
        if self.eat_keyword("AS") {
            // CREATE TABLE ... AS SELECT: columns only, no constraints.
            table.as_select = true;
            self.pos = self.tokens.len();
            return Ok(table);
        }
        self.expect_punct("(")?;
        loop {
            let starts_constraint = self.peek().is_some_and(|t| TABLE_CONSTRAINT_START.iter().any(|k| t.is_keyword(k)));
            if starts_constraint {
                if let Some(c) = self.table_constraint()? {
                    table.constraints.push(c);
                }
                // parse.y's tconscomma may be empty: table constraints
                // need no comma between them.
                if self.eat_punct(")") {
                    break;
                }
                self.eat_punct(",");
                continue;
            }
            if !table.constraints.is_empty() {
                return self.fail("a table constraint");
            }
            let c = self.column_def()?;
            table.columns.push(c);
            if self.eat_punct(")") {
                break;
            }
            self.expect_punct(",")?;
        }
        self.table_options(&mut table)?;
        Ok(table)
    }

    fn table_options(&mut self, table: &mut CreateTable) -> Result<(), ParseError> {
        loop {
            if self.eat_keywords(&["WITHOUT", "ROWID"]) {
                table.without_rowid = true;
            } else if self.eat_keyword("STRICT") {
                table.strict = true;
            } else {
                return Ok(());
            }
            if !self.eat_punct(",") {
                return Ok(());
            }
        }
    }

    fn column_def(&mut self) -> Result<ColumnDef, ParseError> {
        let name = self.name("a column name")?;
        let type_name = self.type_name()?;
        let mut constraints = Vec::new();
        while !self.at_punct(",") && !self.at_punct(")") && self.peek().is_some() {
            if let Some(c) = self.column_constraint()? {
                constraints.push(c);
            }
        }
        Ok(ColumnDef { name, type_name, constraints })
    }

    /// A run of names, then optionally `(n)` or `(n, m)` (parse.y: typetoken).
    fn type_name(&mut self) -> Result<String, ParseError> {
        let mut words: Vec<String> = Vec::new();
        while let Some(t) = self.peek() {
            let ends = t.kind == TokenKind::Punct || CONSTRAINT_START.iter().any(|k| t.is_keyword(k)) || !t.is_name();
            if ends {
                break;
            }
            words.push(t.text.to_string());
            self.pos += 1;
        }
        let mut text = words.join(" ");
        if !words.is_empty() && self.at_punct("(") {
            let from = self.pos;
            self.parenthesized()?;
            let args: Vec<&str> = self.tokens[from + 1..self.pos - 1].iter().map(|t| t.text).collect();
            text.push('(');
            let mut prev_sign = false;
            for a in args {
                if a == "," {
                    text.push(',');
                    prev_sign = false;
                } else {
                    if !prev_sign && !text.ends_with('(') && !text.ends_with(',') {
                        text.push(' ');
                    }
                    text.push_str(a);
                    prev_sign = a == "-" || a == "+";
                }
            }
            text.push(')');
        }
        Ok(text)
    }

    /// `CONSTRAINT name`; SQLite also takes a name with no constraint
    /// after it (parse.y: `ccons ::= CONSTRAINT nm`), and the last one wins.
    fn constraint_name(&mut self) -> Result<Option<String>, ParseError> {
        let mut name = None;
        while self.eat_keyword("CONSTRAINT") {
            name = Some(self.name("a constraint name")?);
        }
        Ok(name)
    }

    fn at_list_end(&self) -> bool {
        self.peek().is_none() || self.at_punct(",") || self.at_punct(")")
    }

    fn conflict(&mut self) -> Result<Option<Conflict>, ParseError> {
        if !self.eat_keywords(&["ON", "CONFLICT"]) {
            return Ok(None);
        }
        let Some(t) = self.peek() else {
            return self.fail("a conflict resolution");
        };
        match Conflict::parse(t.text).filter(|_| t.kind == TokenKind::Word) {
            Some(c) => {
                self.pos += 1;
                Ok(Some(c))
            }
            None => self.fail("ROLLBACK, ABORT, FAIL, IGNORE or REPLACE"),
        }
    }

    fn order(&mut self) -> Option<Order> {
        if self.eat_keyword("ASC") {
            Some(Order::Asc)
        } else if self.eat_keyword("DESC") {
            Some(Order::Desc)
        } else {
            None
        }
    }

    fn column_constraint(&mut self) -> Result<Option<ColumnConstraint>, ParseError> {
        let name = self.constraint_name()?;
        if name.is_some() && self.at_list_end() {
            return Ok(None);
        }
        let kind = if self.eat_keywords(&["PRIMARY", "KEY"]) {
            let order = self.order();
            let on_conflict = self.conflict()?;
            let autoincrement = self.eat_keyword("AUTOINCREMENT");
            ColumnConstraintKind::PrimaryKey { order, on_conflict, autoincrement }
        } else if self.eat_keywords(&["NOT", "NULL"]) {
            ColumnConstraintKind::NotNull { on_conflict: self.conflict()? }
        } else if self.eat_keyword("NULL") {
            self.conflict()?;
            ColumnConstraintKind::Null
        } else if self.eat_keyword("UNIQUE") {
            ColumnConstraintKind::Unique { on_conflict: self.conflict()? }
        } else if self.eat_keyword("CHECK") {
            ColumnConstraintKind::Check(self.parenthesized()?)
        } else if self.eat_keyword("DEFAULT") {
            ColumnConstraintKind::Default(self.default_value()?)
        } else if self.eat_keyword("COLLATE") {
            ColumnConstraintKind::Collate(self.name("a collation name")?)
        } else if self.eat_keyword("REFERENCES") {
            ColumnConstraintKind::References(self.foreign_key_clause()?)
        } else if self.at_keyword("GENERATED") || self.at_keyword("AS") {
            if self.eat_keyword("GENERATED") {
                self.expect_keyword("ALWAYS")?;
            }
            self.expect_keyword("AS")?;
            let expr = self.parenthesized()?;
            let stored = if self.eat_keyword("STORED") {
                true
            } else {
                self.eat_keyword("VIRTUAL");
                false
            };
            ColumnConstraintKind::Generated { expr, stored }
        } else {
            return self.fail("a column constraint");
        };
        Ok(Some(ColumnConstraint { name, kind }))
    }

    /// DEFAULT takes a signed number, a literal, a bare word or `(expr)`.
    fn default_value(&mut self) -> Result<String, ParseError> {
        let from = self.pos;
        if self.at_punct("(") {
            self.parenthesized()?;
            return Ok(self.text_since(from));
        }
        if self.at_punct("-") || self.at_punct("+") {
            self.pos += 1;
        }
        match self.peek() {
            Some(t) if matches!(t.kind, TokenKind::Number | TokenKind::String | TokenKind::Blob | TokenKind::Word | TokenKind::Quoted) => {
                self.pos += 1;
                Ok(self.text_since(from))
            }
            _ => self.fail("a default value"),
        }
    }

    fn foreign_key_clause(&mut self) -> Result<ForeignKeyClause, ParseError> {
        let table = self.name("a table name")?;
        let columns = if self.at_punct("(") { self.name_list()? } else { Vec::new() };
        let mut clause = ForeignKeyClause { table, columns, on_delete: None, on_update: None, match_name: None, deferrable: None };
        loop {
            if self.eat_keyword("ON") {
                let delete = if self.eat_keyword("DELETE") {
                    true
                } else if self.eat_keyword("UPDATE") {
                    false
                } else {
                    return self.fail("DELETE or UPDATE");
                };
                let action = self.fk_action()?;
                if delete {
                    clause.on_delete = Some(action);
                } else {
                    clause.on_update = Some(action);
                }
            } else if self.eat_keyword("MATCH") {
                clause.match_name = Some(self.name("a MATCH name")?);
            } else if self.at_keyword("NOT") && self.peek_at(1).is_some_and(|t| t.is_keyword("DEFERRABLE")) {
                self.pos += 2;
                self.initially();
                clause.deferrable = Some(Deferrable::NotDeferrable);
            } else if self.eat_keyword("DEFERRABLE") {
                let initially_deferred = self.initially() == Some(true);
                clause.deferrable = Some(Deferrable::Deferrable { initially_deferred });
            } else {
                return Ok(clause);
            }
        }
    }

    /// `INITIALLY DEFERRED` is Some(true), `INITIALLY IMMEDIATE` Some(false).
    fn initially(&mut self) -> Option<bool> {
        if self.eat_keywords(&["INITIALLY", "DEFERRED"]) {
            Some(true)
        } else if self.eat_keywords(&["INITIALLY", "IMMEDIATE"]) {
            Some(false)
        } else {
            None
        }
    }

    fn fk_action(&mut self) -> Result<FkAction, ParseError> {
        if self.eat_keywords(&["SET", "NULL"]) {
            Ok(FkAction::SetNull)
        } else if self.eat_keywords(&["SET", "DEFAULT"]) {
            Ok(FkAction::SetDefault)
        } else if self.eat_keyword("CASCADE") {
            Ok(FkAction::Cascade)
        } else if self.eat_keyword("RESTRICT") {
            Ok(FkAction::Restrict)
        } else if self.eat_keywords(&["NO", "ACTION"]) {
            Ok(FkAction::NoAction)
        } else {
            self.fail("a foreign-key action")
        }
    }

    fn name_list(&mut self) -> Result<Vec<String>, ParseError> {
        self.expect_punct("(")?;
        let mut names = Vec::new();
        loop {
            names.push(self.name("a column name")?);
            if self.eat_punct(")") {
                return Ok(names);
            }
            self.expect_punct(",")?;
        }
    }

    fn table_constraint(&mut self) -> Result<Option<TableConstraint>, ParseError> {
        let name = self.constraint_name()?;
        if name.is_some() && (self.at_list_end() || self.peek().is_some_and(|t| t.is_keyword("CONSTRAINT"))) {
            return Ok(None);
        }
        self.table_constraint_body(name).map(Some)
    }

    fn table_constraint_body(&mut self, name: Option<String>) -> Result<TableConstraint, ParseError> {
        if self.eat_keywords(&["PRIMARY", "KEY"]) {
            let (columns, autoincrement) = self.indexed_columns()?;
            let on_conflict = self.conflict()?;
            Ok(TableConstraint::PrimaryKey { name, columns, on_conflict, autoincrement })
        } else if self.eat_keyword("UNIQUE") {
            let (columns, _) = self.indexed_columns()?;
            let on_conflict = self.conflict()?;
            Ok(TableConstraint::Unique { name, columns, on_conflict })
        } else if self.eat_keyword("CHECK") {
            let expr = self.parenthesized()?;
            self.conflict()?;
            Ok(TableConstraint::Check { name, expr })
        } else if self.eat_keywords(&["FOREIGN", "KEY"]) {
            let columns = self.name_list()?;
            self.expect_keyword("REFERENCES")?;
            let clause = self.foreign_key_clause()?;
            Ok(TableConstraint::ForeignKey { name, columns, clause })
        } else {
            self.fail("PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY")
        }
    }

    /// `( key [COLLATE c] [ASC|DESC], ... )`; a table PRIMARY KEY may also
    /// carry AUTOINCREMENT after its one key.
    fn indexed_columns(&mut self) -> Result<(Vec<IndexedColumn>, bool), ParseError> {
        self.expect_punct("(")?;
        let mut columns = Vec::new();
        let mut autoincrement = false;
        loop {
            columns.push(self.indexed_column()?);
            if self.eat_keyword("AUTOINCREMENT") {
                autoincrement = true;
            }
            if self.eat_punct(")") {
                return Ok((columns, autoincrement));
            }
            self.expect_punct(",")?;
        }
    }

    fn indexed_column(&mut self) -> Result<IndexedColumn, ParseError> {
        let from = self.pos;
        let mut depth = 0usize;
        let mut collate = None;
        let mut expr_end = None;
        // The key runs to a top-level `,` or `)`; a trailing COLLATE and
        // ASC/DESC belong to the key, not to its expression.
        while let Some(t) = self.peek() {
            if depth == 0 && (t.is_punct(",") || t.is_punct(")")) {
                break;
            }
            if depth == 0 && (t.is_keyword("ASC") || t.is_keyword("DESC") || t.is_keyword("AUTOINCREMENT")) {
                break;
            }
            if depth == 0 && t.is_keyword("COLLATE") && self.pos > from {
                expr_end.get_or_insert(self.pos);
                self.pos += 1;
                collate = Some(self.name("a collation name")?);
                continue;
            }
            if t.is_punct("(") {
                depth += 1;
            } else if t.is_punct(")") {
                depth = depth.saturating_sub(1);
            }
            self.pos += 1;
        }
        let end = expr_end.unwrap_or(self.pos);
        if end == from {
            return self.fail("an indexed column");
        }
        let expr = self.sql[self.tokens[from].start..self.tokens[end - 1].end()].trim().to_string();
        let column = (end == from + 1 && self.tokens[from].is_name()).then(|| self.tokens[from].name()).flatten();
        let order = self.order();
        Ok(IndexedColumn { expr, column, collate, order })
    }

    fn create_index(&mut self, unique: bool) -> Result<CreateIndex, ParseError> {
        self.if_not_exists();
        let name = self.qualified_name("an index name")?;
        self.expect_keyword("ON")?;
        let table = self.name("a table name")?;
        let (columns, _) = self.indexed_columns()?;
        let where_clause = if self.eat_keyword("WHERE") {
            let from = self.pos;
            while self.peek().is_some_and(|t| !t.is_punct(";")) {
                self.pos += 1;
            }
            Some(self.text_since(from))
        } else {
            None
        };
        Ok(CreateIndex { name, table, unique, columns, where_clause })
    }

    fn create_view(&mut self) -> Result<CreateView, ParseError> {
        self.if_not_exists();
        let name = self.qualified_name("a view name")?;
        let columns = if self.at_punct("(") { self.name_list()? } else { Vec::new() };
        self.expect_keyword("AS")?;
        let from = self.pos;
        if self.peek().is_none() {
            return self.fail("a SELECT");
        }
        let mut end = self.tokens.len();
        while end > from && self.tokens[end - 1].is_punct(";") {
            end -= 1;
        }
        self.pos = end;
        let select = self.text_since(from);
        Ok(CreateView { name, columns, select })
    }

    fn create_trigger(&mut self) -> Result<CreateTrigger, ParseError> {
        self.if_not_exists();
        let name = self.qualified_name("a trigger name")?;
        // [BEFORE|AFTER|INSTEAD OF] event [OF cols] ON table ...: the table
        // follows the first top-level ON.
        while let Some(t) = self.peek() {
            if t.is_keyword("ON") {
                break;
            }
            self.pos += 1;
        }
        self.expect_keyword("ON")?;
        let table = self.qualified_name("a table name")?;
        let body = self.tokens[self.pos..].iter().position(|t| t.is_keyword("BEGIN"));
        if body.is_none() {
            return self.fail("`BEGIN`");
        }
        let mut end = self.tokens.len();
        while end > self.pos && self.tokens[end - 1].is_punct(";") {
            end -= 1;
        }
        if !self.tokens[end.saturating_sub(1)].is_keyword("END") {
            return error("a trigger body must end with `END`", self.tokens[end.saturating_sub(1)].start);
        }
        self.pos = end;
        Ok(CreateTrigger { name, table })
    }
}

#[cfg(test)]
mod tests;
