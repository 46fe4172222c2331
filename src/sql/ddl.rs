//! A reader for the CREATE statements SQLite stores in `sqlite_schema`,
//! after the grammar in SQLite's parse.y. It takes what SQLite takes (type
//! names like `UNSIGNED BIG INT`, any quoting, comments anywhere, `ON
//! CONFLICT` on constraints, keywords as names) and keeps expressions as
//! the text they were written as. It never panics: what it cannot read is
//! a [`ParseError`] with a byte offset.
//!
//! Only what a schema differ needs is read closely (tables, index keys);
//! view and trigger bodies are kept or skipped as text, checked only as far
//! as finding where they end.

use super::lexer::{self, error, ParseError, Token, TokenKind};

#[derive(Debug, Clone, PartialEq, Eq)]
/// One CREATE statement, read.
pub enum Create {
    Table(CreateTable),
    Index(CreateIndex),
    View(CreateView),
    Trigger(CreateTrigger),
    VirtualTable(CreateVirtualTable),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateTable {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub constraints: Vec<TableConstraint>,
    pub without_rowid: bool,
    pub strict: bool,
    /// `CREATE TABLE t AS SELECT ...`: no columns are read. (SQLite stores
    /// such a table as a plain column list, so `sqlite_schema` never has it.)
    pub as_select: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    /// The declared type's tokens joined by one space, with no space before
    /// `(`, `,`, `)` or after `(`: `UNSIGNED BIG INT`, `DECIMAL(10,-2)`;
    /// empty when there is none.
    pub type_name: String,
    pub constraints: Vec<ColumnConstraint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnConstraint {
    /// `CONSTRAINT name` before it.
    pub name: Option<String>,
    pub kind: ColumnConstraintKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnConstraintKind {
    PrimaryKey {
        order: Option<Order>,
        on_conflict: Option<Conflict>,
        autoincrement: bool,
    },
    NotNull {
        on_conflict: Option<Conflict>,
    },
    /// An explicit `NULL`: a no-op constraint SQLite accepts.
    Null,
    Unique {
        on_conflict: Option<Conflict>,
    },
    /// The expression inside the parentheses, as written.
    Check(String),
    /// As written: `0`, `-1`, `'it''s'`, `(0)` (parentheses kept), `CURRENT_TIMESTAMP`.
    Default(String),
    /// The collation name, dequoted.
    Collate(String),
    References(ForeignKeyClause),
    /// `[GENERATED ALWAYS] AS (expr) [STORED|VIRTUAL]`; the expression as written.
    Generated {
        expr: String,
        stored: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    const ALL: [Conflict; 5] =
        [Conflict::Rollback, Conflict::Abort, Conflict::Fail, Conflict::Ignore, Conflict::Replace];

    pub fn as_sql(&self) -> &'static str {
        match self {
            Conflict::Rollback => "ROLLBACK",
            Conflict::Abort => "ABORT",
            Conflict::Fail => "FAIL",
            Conflict::Ignore => "IGNORE",
            Conflict::Replace => "REPLACE",
        }
    }

    /// `" replace "` is `Some(Replace)`; case and surrounding spaces do not count.
    pub fn parse(s: &str) -> Option<Conflict> {
        Conflict::ALL.into_iter().find(|c| c.as_sql().eq_ignore_ascii_case(s.trim()))
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
    const ALL: [FkAction; 5] =
        [FkAction::SetNull, FkAction::SetDefault, FkAction::Cascade, FkAction::Restrict, FkAction::NoAction];

    pub fn as_sql(&self) -> &'static str {
        match self {
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
            FkAction::Cascade => "CASCADE",
            FkAction::Restrict => "RESTRICT",
            FkAction::NoAction => "NO ACTION",
        }
    }

    /// `"set  null"` is `Some(SetNull)`; case and runs of white space do not count.
    pub fn parse(s: &str) -> Option<FkAction> {
        let words = s.split_whitespace().collect::<Vec<_>>().join(" ");
        FkAction::ALL.into_iter().find(|a| a.as_sql().eq_ignore_ascii_case(&words))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyClause {
    pub table: String,
    /// Empty when the parent's primary key is meant.
    pub columns: Vec<String>,
    pub on_delete: Option<FkAction>,
    pub on_update: Option<FkAction>,
    /// `MATCH name`: SQLite parses it and ignores it.
    pub match_name: Option<String>,
    pub deferrable: Option<Deferrable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deferrable {
    /// `NOT DEFERRABLE [INITIALLY ...]`.
    NotDeferrable,
    /// `DEFERRABLE` alone and `DEFERRABLE INITIALLY IMMEDIATE` are not
    /// initially deferred; `DEFERRABLE INITIALLY DEFERRED` is.
    Deferrable { initially_deferred: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableConstraint {
    PrimaryKey {
        name: Option<String>,
        /// In declared order.
        columns: Vec<IndexedColumn>,
        on_conflict: Option<Conflict>,
        autoincrement: bool,
    },
    Unique {
        name: Option<String>,
        columns: Vec<IndexedColumn>,
        on_conflict: Option<Conflict>,
    },
    Check {
        name: Option<String>,
        expr: String,
    },
    ForeignKey {
        name: Option<String>,
        columns: Vec<String>,
        clause: ForeignKeyClause,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedColumn {
    /// The key expression as written, without its trailing COLLATE and ASC/DESC.
    pub expr: String,
    /// The dequoted name when the key is a single identifier (or string) token.
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
    /// The partial index's condition, as written.
    pub where_clause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateView {
    pub name: String,
    pub columns: Vec<String>,
    /// The text after AS, trimmed, without a trailing `;`.
    pub select: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTrigger {
    pub name: String,
    pub table: String,
    pub event: TriggerEvent,
}

/// What fires a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerEvent {
    Insert,
    Update,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateVirtualTable {
    pub name: String,
    pub module: String,
}

/// Reads one CREATE TABLE, INDEX, VIEW, TRIGGER or VIRTUAL TABLE
/// statement; trailing `;` are allowed, anything else after it is not.
pub fn parse_create(sql: &str) -> Result<Create, ParseError> {
    let mut p = Parser { sql, tokens: lexer::tokenize(sql)?, pos: 0 };
    let statement = p.create()?;
    p.finish()?;
    Ok(statement)
}

/// Words that start a column constraint (parse.y's `ccons`), and so end a
/// type name. GENERATED is missing on purpose: it is a %fallback ID word,
/// and SQLite's parser shifts it into the type name (see `type_name`).
const COLUMN_CONSTRAINT_START: [&str; 11] =
    ["CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES", "AS", "DEFERRABLE"];

/// Words that start a table constraint (parse.y's `tcons`). All are
/// reserved words in SQLite, so none can be a bare column name.
const TABLE_CONSTRAINT_START: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

/// Words that may start a command in a trigger body (parse.y's `trigger_cmd`).
const TRIGGER_COMMAND_START: [&str; 7] = ["SELECT", "VALUES", "WITH", "INSERT", "REPLACE", "UPDATE", "DELETE"];

/// One thing a column definition's constraint list can hold.
enum ColumnItem {
    Constraint(ColumnConstraint),
    /// parse.y's `ccons ::= defer_subclause`: a DEFERRABLE clause standing
    /// on its own, which SQLite applies to the table's latest foreign key.
    Defer(Deferrable),
    /// A `CONSTRAINT name` with no constraint after it.
    Nothing,
}

struct Parser<'a> {
    sql: &'a str,
    tokens: Vec<Token<'a>>,
    pos: usize,
}

/// Token access and the small matching helpers everything else uses.
impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Token<'a>> {
        self.tokens.get(self.pos + n)
    }

    fn at_keywords(&self, kws: &[&str]) -> bool {
        for (i, kw) in kws.iter().enumerate() {
            if !self.peek_at(i).is_some_and(|t| t.is_keyword(kw)) {
                return false;
            }
        }
        true
    }

    fn at_punct(&self, p: &str) -> bool {
        self.peek().is_some_and(|t| t.is_punct(p))
    }

    fn at_any_keyword(&self, kws: &[&str]) -> bool {
        self.peek().is_some_and(|t| t.is_any_keyword(kws))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        self.eat_keywords(&[kw])
    }

    fn eat_keywords(&mut self, kws: &[&str]) -> bool {
        let yes = self.at_keywords(kws);
        if yes {
            self.pos += kws.len();
        }
        yes
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        let yes = self.at_punct(p);
        if yes {
            self.pos += 1;
        }
        yes
    }

    /// The end of a list item: `,`, `)` or the end of input.
    fn at_item_end(&self) -> bool {
        self.peek().is_none() || self.at_punct(",") || self.at_punct(")")
    }

    /// "expected {what}, found `x`", at the current token.
    fn fail<T>(&self, what: &str) -> Result<T, ParseError> {
        match self.peek() {
            Some(t) => error(format!("expected {what}, found `{}`", t.text), t.start),
            None => error(format!("expected {what}, found end of input"), self.sql.len()),
        }
    }

    fn expect_keyword(&mut self, kw: &str, context: &str) -> Result<(), ParseError> {
        if self.eat_keyword(kw) {
            return Ok(());
        }
        self.fail(&format!("{kw} {context}"))
    }

    fn expect_punct(&mut self, p: &str, context: &str) -> Result<(), ParseError> {
        if self.eat_punct(p) {
            return Ok(());
        }
        self.fail(&format!("`{p}` {context}"))
    }

    /// parse.y's `nm`: a word, a quoted identifier or a string, dequoted.
    fn name(&mut self, what: &str) -> Result<String, ParseError> {
        match self.peek().filter(|t| t.is_name()).and_then(|t| t.name()) {
            Some(name) => {
                self.pos += 1;
                Ok(name)
            }
            None => self.fail(what),
        }
    }

    /// `[schema.]name` (parse.y's `nm dbnm`); only the name is kept.
    fn qualified_name(&mut self, what: &str) -> Result<String, ParseError> {
        let first = self.name(what)?;
        if self.eat_punct(".") {
            return self.name(what);
        }
        Ok(first)
    }

    fn if_not_exists(&mut self) {
        self.eat_keywords(&["IF", "NOT", "EXISTS"]);
    }

    /// The input text from token `from` to the token before `to`, as written.
    fn text(&self, from: usize, to: usize) -> String {
        match (self.tokens.get(from), to.checked_sub(1).and_then(|last| self.tokens.get(last))) {
            (Some(a), Some(b)) if from < to => self.sql.get(a.start..b.end()).unwrap_or_default().to_string(),
            _ => String::new(),
        }
    }

    /// From the `(` at the current token to its matching `)`, which must
    /// exist: returns the token range inside and moves past the `)`.
    /// Working on tokens, a `)` inside a string or quoted name cannot
    /// confuse it.
    fn parenthesized(&mut self, what: &str) -> Result<(usize, usize), ParseError> {
        if !self.at_punct("(") {
            return self.fail(&format!("`(` {what}"));
        }
        let open = self.pos;
        let Some(close) = lexer::closing_paren(&self.tokens, open) else {
            return error(format!("`(` {what} is never closed"), self.tokens[open].start);
        };
        self.pos = close + 1;
        Ok((open + 1, close))
    }

    /// A parenthesized expression's text (CHECK, AS): it must not be empty.
    fn parenthesized_expr(&mut self, what: &str) -> Result<String, ParseError> {
        let (from, to) = self.parenthesized(what)?;
        if from == to {
            return error(format!("expected an expression inside the parentheses {what}"), self.tokens[from].start);
        }
        Ok(self.text(from, to))
    }

    /// The tokens from here to the first `;` (or the end) as text, which
    /// must not be empty.
    fn rest_of_statement(&mut self, what: &str) -> Result<String, ParseError> {
        let from = self.pos;
        while self.peek().is_some_and(|t| !t.is_punct(";")) {
            self.pos += 1;
        }
        if from == self.pos {
            return self.fail(what);
        }
        Ok(self.text(from, self.pos))
    }

    /// After the statement only `;` may follow.
    fn finish(&mut self) -> Result<(), ParseError> {
        while self.eat_punct(";") {}
        match self.peek() {
            Some(t) => error(format!("unexpected `{}` after the end of the statement", t.text), t.start),
            None => Ok(()),
        }
    }
}

/// The statements: `CREATE [TEMP|TEMPORARY] ...`.
impl Parser<'_> {
    fn create(&mut self) -> Result<Create, ParseError> {
        self.expect_keyword("CREATE", "at the start of the statement")?;
        // TEMP changes where the object lives, not what it is.
        if !self.eat_keyword("TEMP") {
            self.eat_keyword("TEMPORARY");
        }
        if self.eat_keyword("TABLE") {
            return self.create_table().map(Create::Table);
        }
        if self.eat_keywords(&["VIRTUAL", "TABLE"]) {
            return self.create_virtual_table().map(Create::VirtualTable);
        }
        if self.eat_keywords(&["UNIQUE", "INDEX"]) {
            return self.create_index(true).map(Create::Index);
        }
        if self.eat_keyword("INDEX") {
            return self.create_index(false).map(Create::Index);
        }
        if self.eat_keyword("VIEW") {
            return self.create_view().map(Create::View);
        }
        if self.eat_keyword("TRIGGER") {
            return self.create_trigger().map(Create::Trigger);
        }
        self.fail("TABLE, INDEX, VIEW, TRIGGER or VIRTUAL TABLE after CREATE")
    }

    fn create_virtual_table(&mut self) -> Result<CreateVirtualTable, ParseError> {
        self.if_not_exists();
        let name = self.qualified_name("a table name")?;
        self.expect_keyword("USING", "after the virtual table's name")?;
        let module = self.name("a module name after USING")?;
        // The module's arguments are its own business; they only need to
        // balance their parentheses (parse.y's vtabarg).
        if self.at_punct("(") {
            self.parenthesized("of the module arguments")?;
        }
        Ok(CreateVirtualTable { name, module })
    }

    fn create_index(&mut self, unique: bool) -> Result<CreateIndex, ParseError> {
        self.if_not_exists();
        let name = self.qualified_name("an index name")?;
        self.expect_keyword("ON", "after the index name")?;
        let table = self.qualified_name("a table name after ON")?;
        let (columns, _) = self.indexed_columns(false)?;
        let where_clause =
            if self.eat_keyword("WHERE") { Some(self.rest_of_statement("an expression after WHERE")?) } else { None };
        Ok(CreateIndex { name, table, unique, columns, where_clause })
    }

    fn create_view(&mut self) -> Result<CreateView, ParseError> {
        self.if_not_exists();
        let name = self.qualified_name("a view name")?;
        let columns = if self.at_punct("(") { self.name_list("in the view's column list")? } else { Vec::new() };
        self.expect_keyword("AS", "before the view's SELECT")?;
        let select = self.rest_of_statement("a SELECT after AS")?;
        Ok(CreateView { name, columns, select })
    }

    /// `CREATE TRIGGER name [BEFORE|AFTER|INSTEAD OF] event ON table [FOR
    /// EACH ROW] [WHEN expr] BEGIN cmd; ... END`. Only the names are kept;
    /// the body is checked no further than finding its end.
    fn create_trigger(&mut self) -> Result<CreateTrigger, ParseError> {
        self.if_not_exists();
        let name = self.qualified_name("a trigger name")?;
        self.trigger_time();
        let event = self.trigger_event()?;
        self.expect_keyword("ON", "after the trigger event")?;
        let table = self.qualified_name("a table name after ON")?;
        self.eat_keywords(&["FOR", "EACH", "ROW"]);
        if self.eat_keyword("WHEN") {
            self.skip_to_trigger_body()?;
        }
        self.expect_keyword("BEGIN", "before the trigger body")?;
        self.skip_trigger_body()?;
        Ok(CreateTrigger { name, table, event })
    }

    /// parse.y's `trigger_time`: BEFORE, AFTER, INSTEAD OF or nothing.
    fn trigger_time(&mut self) {
        for time in [&["BEFORE"][..], &["AFTER"], &["INSTEAD", "OF"]] {
            if self.eat_keywords(time) {
                return;
            }
        }
    }

    /// parse.y's `trigger_event`: DELETE, INSERT, or UPDATE [OF col, ...].
    fn trigger_event(&mut self) -> Result<TriggerEvent, ParseError> {
        if self.eat_keyword("DELETE") {
            return Ok(TriggerEvent::Delete);
        }
        if self.eat_keyword("INSERT") {
            return Ok(TriggerEvent::Insert);
        }
        if !self.eat_keyword("UPDATE") {
            return self.fail("DELETE, INSERT or UPDATE in the trigger");
        }
        if self.eat_keyword("OF") {
            loop {
                self.name("a column name after UPDATE OF")?;
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        Ok(TriggerEvent::Update)
    }

    /// Past the WHEN expression to the BEGIN that opens the body. BEGIN is
    /// a %fallback ID word, so `WHEN begin > 0` names a column: the body's
    /// BEGIN is the first top-level one followed by a command's first word.
    fn skip_to_trigger_body(&mut self) -> Result<(), ParseError> {
        let from = self.pos;
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            let opens_body = depth == 0
                && t.is_keyword("BEGIN")
                && self.peek_at(1).is_some_and(|n| n.is_any_keyword(&TRIGGER_COMMAND_START));
            if opens_body && self.pos > from {
                return Ok(());
            }
            if t.is_punct("(") {
                depth += 1;
            } else if t.is_punct(")") {
                depth = depth.saturating_sub(1);
            }
            self.pos += 1;
        }
        self.pos = from;
        self.fail("an expression after WHEN, then BEGIN")
    }

    /// The body is `cmd ; ... END`; as in sqlite3_complete(), it ends at the
    /// first END that directly follows a `;` (a CASE ... END cannot).
    fn skip_trigger_body(&mut self) -> Result<(), ParseError> {
        let from = self.pos;
        while let Some(t) = self.peek() {
            if t.is_punct(";") && self.peek_at(1).is_some_and(|n| n.is_keyword("END")) && self.pos > from {
                self.pos += 2;
                return Ok(());
            }
            self.pos += 1;
        }
        self.pos = from;
        self.fail("trigger commands ending with `; END`")
    }
}

/// CREATE TABLE.
impl Parser<'_> {
    fn create_table(&mut self) -> Result<CreateTable, ParseError> {
        self.if_not_exists();
        let mut table = CreateTable { name: self.qualified_name("a table name")?, ..CreateTable::default() };
        if self.eat_keyword("AS") {
            table.as_select = true;
            self.rest_of_statement("a SELECT after AS")?;
            return Ok(table);
        }
        let open = self.peek().map_or(self.sql.len(), |t| t.start);
        self.expect_punct("(", "after the table name")?;
        self.table_elements(&mut table)?;
        if table.columns.is_empty() {
            return error("a table needs at least one column", open);
        }
        self.table_options(&mut table)?;
        Ok(table)
    }

    /// The column definitions and table constraints up to the closing `)`.
    /// SQLite wants every column before the first table constraint; this
    /// takes them in any order after a comma, which reads the same for
    /// everything SQLite accepts.
    fn table_elements(&mut self, table: &mut CreateTable) -> Result<(), ParseError> {
        loop {
            if !self.at_any_keyword(&TABLE_CONSTRAINT_START) {
                let column = self.column_def(&mut table.columns)?;
                table.columns.push(column);
                if self.eat_punct(")") {
                    return Ok(());
                }
                self.expect_punct(",", "or `)` after the column definition")?;
                continue;
            }
            if let Some(constraint) = self.table_constraint()? {
                table.constraints.push(constraint);
            }
            if self.eat_punct(")") {
                return Ok(());
            }
            // parse.y's `tconscomma` may be empty: table constraints need
            // no comma between them.
            if !self.eat_punct(",") && !self.at_any_keyword(&TABLE_CONSTRAINT_START) {
                return self.fail("`,` or `)` after the table constraint");
            }
        }
    }

    /// parse.y's `table_option_set`: WITHOUT ROWID and STRICT, comma separated.
    fn table_options(&mut self, table: &mut CreateTable) -> Result<(), ParseError> {
        if self.peek().is_none() || self.at_punct(";") {
            return Ok(());
        }
        loop {
            if self.eat_keywords(&["WITHOUT", "ROWID"]) {
                table.without_rowid = true;
            } else if self.eat_keyword("STRICT") {
                table.strict = true;
            } else {
                return self.fail("WITHOUT ROWID or STRICT after the column list");
            }
            if !self.eat_punct(",") {
                return Ok(());
            }
        }
    }

    /// `name [type] constraint...`. `earlier` are the table's columns so
    /// far, where a stray DEFERRABLE clause may land.
    fn column_def(&mut self, earlier: &mut [ColumnDef]) -> Result<ColumnDef, ParseError> {
        let name = self.name("a column name or a table constraint")?;
        let type_name = self.type_name()?;
        let mut constraints: Vec<ColumnConstraint> = Vec::new();
        while !self.at_item_end() {
            match self.column_constraint()? {
                ColumnItem::Constraint(c) => constraints.push(c),
                ColumnItem::Defer(d) => defer_latest_foreign_key(earlier, &mut constraints, d),
                ColumnItem::Nothing => {}
            }
        }
        Ok(ColumnDef { name, type_name, constraints })
    }

    /// parse.y's `typetoken`: a run of words and strings, then optionally
    /// `(n)` or `(n, m)` with signed numbers. The run ends at a word that
    /// starts a constraint.
    fn type_name(&mut self) -> Result<String, ParseError> {
        let from = self.pos;
        while self.peek().is_some_and(|t| t.is_name() && !t.is_any_keyword(&COLUMN_CONSTRAINT_START)) {
            self.pos += 1;
        }
        let mut words: Vec<&str> = self.tokens[from..self.pos].iter().map(|t| t.text).collect();
        if !words.is_empty() && self.at_punct("(") {
            let size = self.type_size()?;
            return Ok(format!("{}{size}", words.join(" ")));
        }
        // GENERATED and ALWAYS are %fallback ID words, so in `x INT
        // GENERATED ALWAYS AS (...)` SQLite's parser takes them as part of
        // the type, and sqlite3AddColumn() (build.c) cuts them off again:
        // a type text of 16+ bytes ending in "always" loses that word, and
        // then a trailing "generated".
        let span_len = if from < self.pos { self.tokens[self.pos - 1].end() - self.tokens[from].start } else { 0 };
        if span_len >= 16 && words.last().is_some_and(|w| w.eq_ignore_ascii_case("ALWAYS")) {
            words.pop();
            if words.last().is_some_and(|w| w.eq_ignore_ascii_case("GENERATED")) {
                words.pop();
            }
        }
        Ok(words.join(" "))
    }

    /// `(signed)` or `(signed, signed)`, written without spaces.
    fn type_size(&mut self) -> Result<String, ParseError> {
        self.expect_punct("(", "after the type name")?;
        let mut text = format!("({}", self.signed_number()?);
        if self.eat_punct(",") {
            text.push(',');
            text.push_str(&self.signed_number()?);
        }
        self.expect_punct(")", "after the type's size")?;
        text.push(')');
        Ok(text)
    }

    /// parse.y's `signed`: `[+|-] number`.
    fn signed_number(&mut self) -> Result<String, ParseError> {
        let sign = if self.eat_punct("-") {
            "-"
        } else if self.eat_punct("+") {
            "+"
        } else {
            ""
        };
        match self.peek() {
            Some(t) if t.kind == TokenKind::Number => {
                let number = format!("{sign}{}", t.text);
                self.pos += 1;
                Ok(number)
            }
            _ => self.fail("a number in the type's size"),
        }
    }

    /// `CONSTRAINT name`. SQLite also takes a name with nothing after it
    /// (parse.y: `ccons ::= CONSTRAINT nm`, `tcons ::= CONSTRAINT nm`); when
    /// several come in a row the last one names what follows.
    fn constraint_name(&mut self) -> Result<Option<String>, ParseError> {
        let mut name = None;
        while self.eat_keyword("CONSTRAINT") {
            name = Some(self.name("a constraint name after CONSTRAINT")?);
        }
        Ok(name)
    }

    /// parse.y's `ccons`.
    fn column_constraint(&mut self) -> Result<ColumnItem, ParseError> {
        let name = self.constraint_name()?;
        if name.is_some() && self.at_item_end() {
            return Ok(ColumnItem::Nothing);
        }
        if let Some(d) = self.deferrable()? {
            return Ok(ColumnItem::Defer(d));
        }
        let kind = self.column_constraint_kind()?;
        Ok(ColumnItem::Constraint(ColumnConstraint { name, kind }))
    }

    fn column_constraint_kind(&mut self) -> Result<ColumnConstraintKind, ParseError> {
        use ColumnConstraintKind as K;
        if self.eat_keywords(&["PRIMARY", "KEY"]) {
            let order = self.order();
            let on_conflict = self.on_conflict()?;
            let autoincrement = self.eat_keyword("AUTOINCREMENT");
            return Ok(K::PrimaryKey { order, on_conflict, autoincrement });
        }
        if self.eat_keywords(&["NOT", "NULL"]) {
            return Ok(K::NotNull { on_conflict: self.on_conflict()? });
        }
        if self.eat_keyword("NULL") {
            // `NULL ON CONFLICT ...` parses; SQLite ignores the clause.
            self.on_conflict()?;
            return Ok(K::Null);
        }
        if self.eat_keyword("UNIQUE") {
            return Ok(K::Unique { on_conflict: self.on_conflict()? });
        }
        if self.eat_keyword("CHECK") {
            return Ok(K::Check(self.parenthesized_expr("after CHECK")?));
        }
        if self.eat_keyword("DEFAULT") {
            return Ok(K::Default(self.default_value()?));
        }
        if self.eat_keyword("COLLATE") {
            return Ok(K::Collate(self.name("a collation name after COLLATE")?));
        }
        if self.eat_keyword("REFERENCES") {
            return Ok(K::References(self.foreign_key_clause()?));
        }
        if self.eat_keywords(&["GENERATED", "ALWAYS", "AS"]) || self.eat_keyword("AS") {
            return self.generated();
        }
        self.fail("a column constraint")
    }

    /// parse.y's `generated`: `(expr)` then optionally STORED or VIRTUAL
    /// (the default).
    fn generated(&mut self) -> Result<ColumnConstraintKind, ParseError> {
        let expr = self.parenthesized_expr("after AS")?;
        let stored = self.eat_keyword("STORED");
        if !stored {
            self.eat_keyword("VIRTUAL");
        }
        Ok(ColumnConstraintKind::Generated { expr, stored })
    }

    /// parse.y's DEFAULT forms: `(expr)`, a signed literal, a literal, or a
    /// bare identifier (which SQLite takes as a string); kept as written.
    fn default_value(&mut self) -> Result<String, ParseError> {
        let from = self.pos;
        if self.at_punct("(") {
            let (inner_from, inner_to) = self.parenthesized("after DEFAULT")?;
            if inner_from == inner_to {
                return error("expected an expression inside the parentheses after DEFAULT", self.tokens[from].start);
            }
            return Ok(self.text(from, self.pos));
        }
        let signed = self.eat_punct("-") || self.eat_punct("+");
        let ok = match self.peek() {
            Some(t) => match t.kind {
                // After a sign parse.y wants a `term`: a number, a string, a
                // blob, NULL or CURRENT_TIME/DATE/TIMESTAMP.
                TokenKind::Number | TokenKind::String | TokenKind::Blob => true,
                TokenKind::Word if signed => {
                    t.is_any_keyword(&["NULL", "CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"])
                }
                TokenKind::Word => t.is_keyword("NULL") || !t.is_any_keyword(&COLUMN_CONSTRAINT_START),
                TokenKind::Quoted => !signed,
                _ => false,
            },
            None => false,
        };
        if !ok {
            return self.fail("a default value");
        }
        self.pos += 1;
        Ok(self.text(from, self.pos))
    }

    /// After `REFERENCES`: `table [(col, ...)]` and any of ON DELETE, ON
    /// UPDATE, ON INSERT (parsed, ignored by SQLite), MATCH and a
    /// DEFERRABLE clause.
    fn foreign_key_clause(&mut self) -> Result<ForeignKeyClause, ParseError> {
        let table = self.name("a table name after REFERENCES")?;
        let columns = if self.at_punct("(") { self.name_list("in the referenced column list")? } else { Vec::new() };
        let mut clause =
            ForeignKeyClause { table, columns, on_delete: None, on_update: None, match_name: None, deferrable: None };
        loop {
            if self.eat_keyword("ON") {
                self.foreign_key_action(&mut clause)?;
            } else if self.eat_keyword("MATCH") {
                clause.match_name = Some(self.name("a name after MATCH")?);
            } else if let Some(d) = self.deferrable()? {
                clause.deferrable = Some(d);
            } else {
                return Ok(clause);
            }
        }
    }

    /// After ON: `DELETE action`, `UPDATE action` or `INSERT action`.
    fn foreign_key_action(&mut self, clause: &mut ForeignKeyClause) -> Result<(), ParseError> {
        let slot = if self.eat_keyword("DELETE") {
            &mut clause.on_delete
        } else if self.eat_keyword("UPDATE") {
            &mut clause.on_update
        } else if self.eat_keyword("INSERT") {
            self.fk_action()?;
            return Ok(());
        } else {
            return self.fail("DELETE or UPDATE after ON");
        };
        *slot = Some(self.fk_action()?);
        Ok(())
    }

    /// parse.y's `refact`.
    fn fk_action(&mut self) -> Result<FkAction, ParseError> {
        let action = FkAction::ALL.into_iter().find(|a| {
            let words: Vec<&str> = a.as_sql().split(' ').collect();
            self.at_keywords(&words)
        });
        match action {
            Some(a) => {
                self.pos += a.as_sql().split(' ').count();
                Ok(a)
            }
            None => self.fail("SET NULL, SET DEFAULT, CASCADE, RESTRICT or NO ACTION"),
        }
    }

    /// parse.y's `defer_subclause`, if one is here.
    fn deferrable(&mut self) -> Result<Option<Deferrable>, ParseError> {
        let not = self.eat_keywords(&["NOT", "DEFERRABLE"]);
        if !not && !self.eat_keyword("DEFERRABLE") {
            return Ok(None);
        }
        let initially_deferred = if self.eat_keyword("INITIALLY") {
            if self.eat_keyword("DEFERRED") {
                true
            } else if self.eat_keyword("IMMEDIATE") {
                false
            } else {
                return self.fail("DEFERRED or IMMEDIATE after INITIALLY");
            }
        } else {
            false
        };
        Ok(Some(if not { Deferrable::NotDeferrable } else { Deferrable::Deferrable { initially_deferred } }))
    }

    /// parse.y's `onconf`: `ON CONFLICT resolution`, if here.
    fn on_conflict(&mut self) -> Result<Option<Conflict>, ParseError> {
        if !self.eat_keywords(&["ON", "CONFLICT"]) {
            return Ok(None);
        }
        let conflict = self.peek().filter(|t| t.kind == TokenKind::Word).and_then(|t| Conflict::parse(t.text));
        match conflict {
            Some(c) => {
                self.pos += 1;
                Ok(Some(c))
            }
            None => self.fail("ROLLBACK, ABORT, FAIL, IGNORE or REPLACE after ON CONFLICT"),
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

    /// parse.y's `eidlist`: `(name, ...)`. Each name may carry COLLATE and
    /// ASC/DESC: SQLite rejects them in new statements but accepts them
    /// while loading a schema (parserAddExprIdListTerm checks
    /// `db->init.busy`), so old schemas may hold them. They are dropped.
    fn name_list(&mut self, context: &str) -> Result<Vec<String>, ParseError> {
        self.expect_punct("(", context)?;
        let mut names = Vec::new();
        loop {
            names.push(self.name(&format!("a column name {context}"))?);
            if self.eat_keyword("COLLATE") {
                self.name("a collation name after COLLATE")?;
            }
            self.order();
            if self.eat_punct(")") {
                return Ok(names);
            }
            self.expect_punct(",", &format!("or `)` {context}"))?;
        }
    }

    /// parse.y's `tcons`, or None for a lone `CONSTRAINT name`.
    fn table_constraint(&mut self) -> Result<Option<TableConstraint>, ParseError> {
        let name = self.constraint_name()?;
        if name.is_some() && !self.at_any_keyword(&["PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]) {
            return Ok(None);
        }
        if self.eat_keywords(&["PRIMARY", "KEY"]) {
            let (columns, autoincrement) = self.indexed_columns(true)?;
            let on_conflict = self.on_conflict()?;
            return Ok(Some(TableConstraint::PrimaryKey { name, columns, on_conflict, autoincrement }));
        }
        if self.eat_keyword("UNIQUE") {
            let (columns, _) = self.indexed_columns(false)?;
            let on_conflict = self.on_conflict()?;
            return Ok(Some(TableConstraint::Unique { name, columns, on_conflict }));
        }
        if self.eat_keyword("CHECK") {
            let expr = self.parenthesized_expr("after CHECK")?;
            // `CHECK (...) ON CONFLICT ...` parses; SQLite ignores the clause.
            self.on_conflict()?;
            return Ok(Some(TableConstraint::Check { name, expr }));
        }
        if self.eat_keywords(&["FOREIGN", "KEY"]) {
            let columns = self.name_list("in the FOREIGN KEY column list")?;
            self.expect_keyword("REFERENCES", "after FOREIGN KEY (...)")?;
            let clause = self.foreign_key_clause()?;
            return Ok(Some(TableConstraint::ForeignKey { name, columns, clause }));
        }
        self.fail("PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY")
    }

    /// parse.y's `sortlist` in parentheses: keys separated by `,`. A table
    /// PRIMARY KEY may end with AUTOINCREMENT before its `)`.
    fn indexed_columns(&mut self, primary_key: bool) -> Result<(Vec<IndexedColumn>, bool), ParseError> {
        self.expect_punct("(", "before the indexed columns")?;
        let mut columns = Vec::new();
        loop {
            columns.push(self.indexed_column()?);
            let autoincrement = primary_key && self.eat_keyword("AUTOINCREMENT");
            if self.eat_punct(")") {
                return Ok((columns, autoincrement));
            }
            if autoincrement {
                return self.fail("`)` after AUTOINCREMENT");
            }
            self.expect_punct(",", "or `)` after the indexed column")?;
        }
    }

    /// One key: an expression up to a top-level `,` or `)`, whose trailing
    /// `COLLATE name` and ASC/DESC are the key's, not the expression's.
    /// ASC and DESC are %fallback ID words, so a lone `desc` is a column.
    fn indexed_column(&mut self) -> Result<IndexedColumn, ParseError> {
        let from = self.pos;
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            if depth == 0 && (t.is_punct(",") || t.is_punct(")") || t.is_keyword("AUTOINCREMENT")) {
                break;
            }
            if t.is_punct("(") {
                depth += 1;
            } else if t.is_punct(")") {
                depth -= 1;
            }
            self.pos += 1;
        }
        if self.peek().is_none() {
            return self.fail("`)` after the indexed columns");
        }
        let mut end = self.pos;
        if end == from {
            return self.fail("an indexed column");
        }
        let order = match &self.tokens[end - 1] {
            t if end - from >= 2 && t.is_keyword("ASC") => Some(Order::Asc),
            t if end - from >= 2 && t.is_keyword("DESC") => Some(Order::Desc),
            _ => None,
        };
        if order.is_some() {
            end -= 1;
        }
        let mut collate = None;
        if end - from >= 3 && self.tokens[end - 2].is_keyword("COLLATE") && self.tokens[end - 1].is_name() {
            collate = self.tokens[end - 1].name();
            end -= 2;
        }
        let column = if end - from == 1 { self.tokens[from].name() } else { None };
        Ok(IndexedColumn { expr: self.text(from, end), column, collate, order })
    }
}

/// parse.y's `ccons ::= defer_subclause` calls sqlite3DeferForeignKey(),
/// which sets the deferral of the table's most recent foreign key, if any:
/// the column's own latest REFERENCES, else an earlier column's.
fn defer_latest_foreign_key(earlier: &mut [ColumnDef], current: &mut [ColumnConstraint], d: Deferrable) {
    let latest =
        current.iter_mut().rev().chain(earlier.iter_mut().rev().flat_map(|c| c.constraints.iter_mut().rev())).find_map(
            |c| match &mut c.kind {
                ColumnConstraintKind::References(fk) => Some(fk),
                _ => None,
            },
        );
    if let Some(fk) = latest {
        fk.deferrable = Some(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColumnConstraintKind as K;

    pub(super) fn table(sql: &str) -> CreateTable {
        match parse_create(sql) {
            Ok(Create::Table(t)) => t,
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn index(sql: &str) -> CreateIndex {
        match parse_create(sql) {
            Ok(Create::Index(i)) => i,
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn view(sql: &str) -> CreateView {
        match parse_create(sql) {
            Ok(Create::View(v)) => v,
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn trigger(sql: &str) -> CreateTrigger {
        match parse_create(sql) {
            Ok(Create::Trigger(t)) => t,
            other => panic!("{sql}: {other:?}"),
        }
    }

    pub(super) fn names(t: &CreateTable) -> Vec<&str> {
        t.columns.iter().map(|c| c.name.as_str()).collect()
    }

    fn types(t: &CreateTable) -> Vec<&str> {
        t.columns.iter().map(|c| c.type_name.as_str()).collect()
    }

    fn kinds(c: &ColumnDef) -> Vec<&ColumnConstraintKind> {
        c.constraints.iter().map(|c| &c.kind).collect()
    }

    fn key(expr: &str, column: Option<&str>, collate: Option<&str>, order: Option<Order>) -> IndexedColumn {
        IndexedColumn { expr: expr.into(), column: column.map(Into::into), collate: collate.map(Into::into), order }
    }

    fn fk(table: &str, columns: &[&str]) -> ForeignKeyClause {
        ForeignKeyClause {
            table: table.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            on_delete: None,
            on_update: None,
            match_name: None,
            deferrable: None,
        }
    }

    fn error_of(sql: &str) -> ParseError {
        match parse_create(sql) {
            Err(e) => e,
            Ok(s) => panic!("{sql} parsed: {s:?}"),
        }
    }

    #[test]
    fn names_in_every_quoting() {
        assert_eq!(table("CREATE TABLE t3102b -- comment\n (y)").name, "t3102b");
        let t = table("CREATE TABLE [t1'x1](c UNIQUE, b PRIMARY KEY)");
        assert_eq!((t.name.as_str(), names(&t)), ("t1'x1", vec!["c", "b"]));
        assert_eq!(kinds(&t.columns[0]), [&K::Unique { on_conflict: None }]);
        assert_eq!(kinds(&t.columns[1]), [&K::PrimaryKey { order: None, on_conflict: None, autoincrement: false }]);
        assert_eq!(table("CREATE TABLE \"fuzzer [x] rules table\"(a, b, c, d)").name, "fuzzer [x] rules table");
        assert_eq!(table("CREATE TABLE [x2 \"rules] (a, b, c, d)").name, "x2 \"rules");
        let t = table("CREATE TABLE `my``t`(`a b` INT, 'q' TEXT, \"x\"\"y\" BLOB, [z] `INT`)");
        assert_eq!((t.name.as_str(), names(&t)), ("my`t", vec!["a b", "q", "x\"y", "z"]));
        assert_eq!(types(&t), ["INT", "TEXT", "BLOB", "`INT`"]);
        let t = table("CREATE TABLE \"ünïcödé\"(ß INTEGER, 日本 TEXT)");
        assert_eq!((t.name.as_str(), names(&t)), ("ünïcödé", vec!["ß", "日本"]));
        let t = table("CREATE TABLE \"a;b\"(\"c--d\" INT, \"e /* f */\", \" \", [g\"h], \"i\"\"\")");
        assert_eq!((t.name.as_str(), names(&t)), ("a;b", vec!["c--d", "e /* f */", " ", "g\"h", "i\""]));
        assert_eq!(table("CREATE TEMP TABLE IF NOT EXISTS main.'t'(a)").name, "t");
        assert_eq!(table("CREATE TEMPORARY TABLE \"temp\".[t](a)").name, "t");
    }

    #[test]
    fn keywords_that_sqlite_allows_as_names() {
        let t = table(
            "CREATE TABLE replace(key, action, replace, temp, view, match, desc, asc, end, begin, \
            generated, always, if, left, rowid)",
        );
        assert_eq!(t.name, "replace");
        assert_eq!(
            names(&t),
            [
                "key",
                "action",
                "replace",
                "temp",
                "view",
                "match",
                "desc",
                "asc",
                "end",
                "begin",
                "generated",
                "always",
                "if",
                "left",
                "rowid"
            ]
        );
        assert!(t.columns.iter().all(|c| c.type_name.is_empty() && c.constraints.is_empty()));
        let i = index("CREATE INDEX desc ON asc(desc, asc DESC, key ASC)");
        assert_eq!((i.name.as_str(), i.table.as_str()), ("desc", "asc"));
        assert_eq!(
            i.columns,
            [
                key("desc", Some("desc"), None, None),
                key("asc", Some("asc"), None, Some(Order::Desc)),
                key("key", Some("key"), None, Some(Order::Asc))
            ]
        );
        assert_eq!(trigger("CREATE TRIGGER after AFTER INSERT ON before BEGIN SELECT 1; END").table, "before");
    }

    #[test]
    fn comments_between_every_token() {
        let t = table(
            "CREATE /*1*/ TABLE /*2*/ t /*3*/ ( /*4*/ a /*5*/ INT /*6*/ NOT /*7*/ NULL /*8*/ DEFAULT /*9*/ - /*10*/ 1 \
                /*11*/ , -- 12\n b /*13*/ CHECK /*14*/ ( /*15*/ b > 0 /*16*/ ) /*17*/ ) /*18*/ WITHOUT /*19*/ ROWID \
                    /*20*/ ; /*21*/",
        );
        assert_eq!(names(&t), ["a", "b"]);
        assert_eq!(types(&t), ["INT", ""]);
        assert_eq!(kinds(&t.columns[0]), [&K::NotNull { on_conflict: None }, &K::Default("- /*10*/ 1".into())]);
        assert_eq!(kinds(&t.columns[1]), [&K::Check("b > 0".into())]);
        assert!(t.without_rowid);
        let t = table(
            "CREATE TABLE t4(a DEFAULT 'abc' /* comment */, b DEFAULT -1 -- comment\n , c DEFAULT +4.0 /* \
            another */\n)",
        );
        assert_eq!(kinds(&t.columns[2]), [&K::Default("+4.0".into())]);
    }

    #[test]
    fn type_names_of_any_shape() {
        let t = table(
            "CREATE TABLE t(a UNSIGNED BIG INT, b, c FLOATING POINT(5,10), d VARCHAR( 123 , 456 ), e DECIMAL(10, -2), \
                f NATIONAL CHARACTER(15) NOT NULL, \
             g character varying (8), h DOUBLE PRECISION, i INT(+0x10), j 'text' 'more', k \"INTEGER\" PRIMARY KEY, l \
                 INTEGER KEY)",
        );
        assert_eq!(
            types(&t),
            [
                "UNSIGNED BIG INT",
                "",
                "FLOATING POINT(5,10)",
                "VARCHAR(123,456)",
                "DECIMAL(10,-2)",
                "NATIONAL CHARACTER(15)",
                "character varying(8)",
                "DOUBLE PRECISION",
                "INT(+0x10)",
                "'text' 'more'",
                "\"INTEGER\"",
                "INTEGER KEY",
            ]
        );
        assert_eq!(kinds(&t.columns[5]), [&K::NotNull { on_conflict: None }]);
        assert_eq!(
            error_of("CREATE TABLE t(a VARCHAR(max))").message,
            "expected a number in the type's size, found `max`"
        );
        assert_eq!(
            error_of("CREATE TABLE t(a VARCHAR(1,2,3))").message,
            "expected `)` after the type's size, found `,`"
        );
    }

    #[test]
    fn generated_always_in_the_type_is_cut_off_as_sqlite_does() {
        // sqlite3AddColumn() strips a trailing "generated always" from the type.
        let t = table(
            "CREATE TABLE t(a INT GENERATED ALWAYS AS (1), b Generated\n Always\n AS ('x'), c int           \
            Always default(5), d generated always, e x always, f GENERATED NOT NULL)",
        );
        // The cut needs 16 bytes of type text, so `x always` keeps its word.
        assert_eq!(types(&t), ["INT", "", "int", "", "x always", "GENERATED"]);
        assert_eq!(kinds(&t.columns[0]), [&K::Generated { expr: "1".into(), stored: false }]);
        assert_eq!(kinds(&t.columns[1]), [&K::Generated { expr: "'x'".into(), stored: false }]);
        assert_eq!(kinds(&t.columns[2]), [&K::Default("(5)".into())]);
        assert_eq!(kinds(&t.columns[5]), [&K::NotNull { on_conflict: None }]);
    }

    #[test]
    fn generated_columns_both_forms() {
        let t = table(
            "CREATE TABLE t(a INT, b INT GENERATED ALWAYS AS (a * 2) STORED, c AS (lower(\"x)\")) VIRTUAL, d TEXT AS \
                (a || ')') NOT NULL, e CONSTRAINT g GENERATED ALWAYS AS (1) stored)",
        );
        assert_eq!(kinds(&t.columns[1]), [&K::Generated { expr: "a * 2".into(), stored: true }]);
        assert_eq!(kinds(&t.columns[2]), [&K::Generated { expr: "lower(\"x)\")".into(), stored: false }]);
        assert_eq!(
            kinds(&t.columns[3]),
            [&K::Generated { expr: "a || ')'".into(), stored: false }, &K::NotNull { on_conflict: None }]
        );
        assert_eq!(
            t.columns[4].constraints,
            [ColumnConstraint { name: Some("g".into()), kind: K::Generated { expr: "1".into(), stored: true } }]
        );
        assert_eq!(types(&t), ["INT", "INT", "", "TEXT", ""]);
    }

    #[test]
    fn conflict_clauses_and_table_options() {
        let t = table(
            "CREATE TABLE t1(a UNIQUE ON CONFLICT REPLACE, b UNIQUE ON CONFLICT IGNORE, c PRIMARY KEY ON \
            CONFLICT FAIL) WITHOUT ROWID",
        );
        assert!(t.without_rowid && !t.strict);
        assert_eq!(kinds(&t.columns[0]), [&K::Unique { on_conflict: Some(Conflict::Replace) }]);
        assert_eq!(kinds(&t.columns[1]), [&K::Unique { on_conflict: Some(Conflict::Ignore) }]);
        assert_eq!(
            kinds(&t.columns[2]),
            [&K::PrimaryKey { order: None, on_conflict: Some(Conflict::Fail), autoincrement: false }]
        );
        let t = table(
            "CREATE TABLE t(a INT NOT NULL ON CONFLICT ROLLBACK NULL ON CONFLICT ABORT, b TEXT, UNIQUE (a, \
            b) ON CONFLICT REPLACE, PRIMARY KEY(b DESC) ON CONFLICT IGNORE) STRICT, WITHOUT ROWID",
        );
        assert!(t.strict && t.without_rowid);
        assert_eq!(kinds(&t.columns[0]), [&K::NotNull { on_conflict: Some(Conflict::Rollback) }, &K::Null]);
        assert_eq!(
            t.constraints,
            [
                TableConstraint::Unique {
                    name: None,
                    columns: vec![key("a", Some("a"), None, None), key("b", Some("b"), None, None)],
                    on_conflict: Some(Conflict::Replace)
                },
                TableConstraint::PrimaryKey {
                    name: None,
                    columns: vec![key("b", Some("b"), None, Some(Order::Desc))],
                    on_conflict: Some(Conflict::Ignore),
                    autoincrement: false
                },
            ]
        );
        let t = table("CREATE TABLE t(a) STRICT");
        assert!(t.strict && !t.without_rowid);
        assert!(table("create table t(a) without rowid, strict;").strict);
        assert_eq!(
            error_of("CREATE TABLE t(a) WITHOUT OIDS").message,
            "expected WITHOUT ROWID or STRICT after the column list, found `WITHOUT`"
        );
        assert_eq!(
            error_of("CREATE TABLE t(a) STRICT,").message,
            "expected WITHOUT ROWID or STRICT after the column list, found end of input"
        );
        assert_eq!(
            error_of("CREATE TABLE t(a UNIQUE ON CONFLICT maybe)").message,
            "expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE after ON CONFLICT, found `maybe`"
        );
    }

    #[test]
    fn defaults_keep_their_text() {
        let t = table(
            "CREATE TABLE t(a DEFAULT (0), b DEFAULT -1, c DEFAULT 'it''s', d DEFAULT CURRENT_TIMESTAMP, e DEFAULT \
                x'00', f DEFAULT +1.5, g DEFAULT NULL, \
             h DEFAULT abc, i INT DEFAULT (datetime('now', 'localtime')) NOT NULL, j DEFAULT TRUE, k DEFAULT \"dq\", \
                 l DEFAULT -'x', m DEFAULT 0x1F, n DEFAULT ((1) + (2)))",
        );
        let defaults: Vec<&str> = t
            .columns
            .iter()
            .map(|c| match &c.constraints[0].kind {
                K::Default(d) => d.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            defaults,
            [
                "(0)",
                "-1",
                "'it''s'",
                "CURRENT_TIMESTAMP",
                "x'00'",
                "+1.5",
                "NULL",
                "abc",
                "(datetime('now', 'localtime'))",
                "TRUE",
                "\"dq\"",
                "-'x'",
                "0x1F",
                "((1) + (2))"
            ]
        );
        assert_eq!(kinds(&t.columns[8])[1], &K::NotNull { on_conflict: None });
        assert_eq!(error_of("CREATE TABLE t(a DEFAULT)").message, "expected a default value, found `)`");
        assert_eq!(error_of("CREATE TABLE t(a DEFAULT NOT NULL)").message, "expected a default value, found `NOT`");
        assert_eq!(error_of("CREATE TABLE t(a DEFAULT -abc)").message, "expected a default value, found `abc`");
        assert_eq!(
            error_of("CREATE TABLE t(a DEFAULT ())").message,
            "expected an expression inside the parentheses after DEFAULT"
        );
    }

    #[test]
    fn named_constraints_of_every_kind() {
        let t = table(
            "CREATE TABLE c(id INTEGER CONSTRAINT pk PRIMARY KEY DESC ON CONFLICT ABORT AUTOINCREMENT, \
             p INT CONSTRAINT nn NOT NULL CONSTRAINT fk REFERENCES parent(id) CONSTRAINT u UNIQUE CONSTRAINT n NULL, \
             q INT CONSTRAINT ck CHECK (q > 0) CONSTRAINT co COLLATE \"nocase\" CONSTRAINT df DEFAULT 1 CONSTRAINT \
                 dangling, \
             r, s, CONSTRAINT tpk PRIMARY KEY (r), CONSTRAINT tu UNIQUE (s), CONSTRAINT tck CHECK (r <> s), \
                 CONSTRAINT tfk FOREIGN KEY (r) REFERENCES other, CONSTRAINT alone)",
        );
        let named =
            |c: &ColumnDef| c.constraints.iter().map(|c| c.name.clone().unwrap_or_default()).collect::<Vec<_>>();
        assert_eq!(named(&t.columns[0]), ["pk"]);
        assert_eq!(
            kinds(&t.columns[0]),
            [&K::PrimaryKey { order: Some(Order::Desc), on_conflict: Some(Conflict::Abort), autoincrement: true }]
        );
        assert_eq!(named(&t.columns[1]), ["nn", "fk", "u", "n"]);
        assert_eq!(kinds(&t.columns[1])[1], &K::References(fk("parent", &["id"])));
        assert_eq!(named(&t.columns[2]), ["ck", "co", "df"]);
        assert_eq!(
            kinds(&t.columns[2]),
            [&K::Check("q > 0".into()), &K::Collate("nocase".into()), &K::Default("1".into())]
        );
        let table_names: Vec<Option<&str>> = t
            .constraints
            .iter()
            .map(|c| match c {
                TableConstraint::PrimaryKey { name, .. }
                | TableConstraint::Unique { name, .. }
                | TableConstraint::Check { name, .. }
                | TableConstraint::ForeignKey { name, .. } => name.as_deref(),
            })
            .collect();
        assert_eq!(table_names, [Some("tpk"), Some("tu"), Some("tck"), Some("tfk")]);
        assert_eq!(t.constraints[2], TableConstraint::Check { name: Some("tck".into()), expr: "r <> s".into() });
    }

    #[test]
    fn foreign_keys_with_every_clause() {
        let t = table(
            "CREATE TABLE c(a, b, x REFERENCES p ON DELETE SET NULL ON UPDATE SET DEFAULT MATCH FULL NOT DEFERRABLE \
                INITIALLY DEFERRED, \
             y REFERENCES p(k) ON INSERT CASCADE DEFERRABLE, \
             CONSTRAINT fab FOREIGN KEY (a, b) REFERENCES \"pa rent\" (k1, [k2]) ON DELETE CASCADE ON UPDATE RESTRICT \
                 MATCH SIMPLE DEFERRABLE INITIALLY DEFERRED \
             FOREIGN KEY (b) REFERENCES p ON DELETE NO ACTION DEFERRABLE INITIALLY IMMEDIATE)",
        );
        let x = ForeignKeyClause {
            on_delete: Some(FkAction::SetNull),
            on_update: Some(FkAction::SetDefault),
            match_name: Some("FULL".into()),
            deferrable: Some(Deferrable::NotDeferrable),
            ..fk("p", &[])
        };
        assert_eq!(kinds(&t.columns[2]), [&K::References(x)]);
        let y = ForeignKeyClause {
            deferrable: Some(Deferrable::Deferrable { initially_deferred: false }),
            ..fk("p", &["k"])
        };
        assert_eq!(kinds(&t.columns[3]), [&K::References(y)]);
        let ab = ForeignKeyClause {
            on_delete: Some(FkAction::Cascade),
            on_update: Some(FkAction::Restrict),
            match_name: Some("SIMPLE".into()),
            deferrable: Some(Deferrable::Deferrable { initially_deferred: true }),
            ..fk("pa rent", &["k1", "k2"])
        };
        let b = ForeignKeyClause {
            on_delete: Some(FkAction::NoAction),
            deferrable: Some(Deferrable::Deferrable { initially_deferred: false }),
            ..fk("p", &[])
        };
        assert_eq!(
            t.constraints,
            [
                TableConstraint::ForeignKey {
                    name: Some("fab".into()),
                    columns: vec!["a".into(), "b".into()],
                    clause: ab
                },
                TableConstraint::ForeignKey { name: None, columns: vec!["b".into()], clause: b },
            ]
        );
        assert_eq!(
            error_of("CREATE TABLE t(a REFERENCES p ON DELETE EXPLODE)").message,
            "expected SET NULL, SET DEFAULT, CASCADE, RESTRICT or NO ACTION, found `EXPLODE`"
        );
        assert_eq!(
            error_of("CREATE TABLE t(a REFERENCES p DEFERRABLE INITIALLY LATER)").message,
            "expected DEFERRED or IMMEDIATE after INITIALLY, found `LATER`"
        );
    }

    #[test]
    fn a_stray_deferrable_clause_defers_the_latest_foreign_key() {
        // parse.y: `ccons ::= defer_subclause` calls sqlite3DeferForeignKey().
        let t = table("CREATE TABLE c(a REFERENCES p, b INT NOT NULL DEFERRABLE INITIALLY DEFERRED, c INT DEFERRABLE)");
        let deferred =
            ForeignKeyClause { deferrable: Some(Deferrable::Deferrable { initially_deferred: true }), ..fk("p", &[]) };
        assert_eq!(
            kinds(&t.columns[0]),
            [&K::References(ForeignKeyClause {
                deferrable: Some(Deferrable::Deferrable { initially_deferred: false }),
                ..deferred.clone()
            })]
        );
        assert_eq!(kinds(&t.columns[1]), [&K::NotNull { on_conflict: None }]);
        let t = table("CREATE TABLE c(a REFERENCES p NOT NULL DEFERRABLE INITIALLY DEFERRED)");
        assert_eq!(kinds(&t.columns[0]), [&K::References(deferred), &K::NotNull { on_conflict: None }]);
        // Schema loading accepts COLLATE and ASC/DESC in the parent column list.
        let t = table("CREATE TABLE c(a REFERENCES p(x COLLATE nocase DESC))");
        assert_eq!(kinds(&t.columns[0]), [&K::References(fk("p", &["x"]))]);
    }

    #[test]
    fn autoincrement_in_both_places() {
        let t = table("CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, x)");
        assert_eq!(
            kinds(&t.columns[0]),
            [&K::PrimaryKey { order: None, on_conflict: None, autoincrement: true }, &K::NotNull { on_conflict: None }]
        );
        let t = table("CREATE TABLE t(id INTEGER, PRIMARY KEY(id AUTOINCREMENT))");
        assert_eq!(
            t.constraints,
            [TableConstraint::PrimaryKey {
                name: None,
                columns: vec![key("id", Some("id"), None, None)],
                on_conflict: None,
                autoincrement: true
            }]
        );
        let t = table("CREATE TABLE t(id INTEGER, PRIMARY KEY(id DESC AUTOINCREMENT) ON CONFLICT REPLACE)");
        assert_eq!(
            t.constraints,
            [TableConstraint::PrimaryKey {
                name: None,
                columns: vec![key("id", Some("id"), None, Some(Order::Desc))],
                on_conflict: Some(Conflict::Replace),
                autoincrement: true
            }]
        );
        assert_eq!(
            error_of("CREATE TABLE t(id, PRIMARY KEY(id AUTOINCREMENT, x))").message,
            "expected `)` after AUTOINCREMENT, found `,`"
        );
        assert_eq!(
            error_of("CREATE TABLE t(id, UNIQUE(id AUTOINCREMENT))").message,
            "expected `,` or `)` after the indexed column, found `AUTOINCREMENT`"
        );
    }

    #[test]
    fn table_constraints_need_no_commas() {
        let t = table(
            "CREATE TABLE t301(id INTEGER PRIMARY KEY, c1 INTEGER NOT NULL, c2 INTEGER NOT NULL,\n FOREIGN KEY(c1) \
                REFERENCES t300(id) ON DELETE CASCADE ON UPDATE RESTRICT\n /* no comma */\n FOREIGN KEY(c2) \
                    REFERENCES t300(id) UNIQUE(c1) CHECK(c1 > 0))",
        );
        assert_eq!(t.constraints.len(), 4);
        // SQLite wants columns first; a column after a constraint and a comma is read anyway.
        let t = table("CREATE TABLE t(a, UNIQUE(a), b)");
        assert_eq!((names(&t), t.constraints.len()), (vec!["a", "b"], 1));
        assert_eq!(
            error_of("CREATE TABLE t(a, UNIQUE(a) b)").message,
            "expected `,` or `)` after the table constraint, found `b`"
        );
        assert_eq!(error_of("CREATE TABLE t(PRIMARY KEY(a))").message, "a table needs at least one column");
    }

    #[test]
    fn constraint_names_standing_alone() {
        // parse.y: `ccons ::= CONSTRAINT nm` and `tcons ::= CONSTRAINT nm`.
        let t = table("CREATE TABLE a(a,h CONSTRAINT a UNIQUE ON CONFLICT FAIL,CONSTRAINT a)");
        assert_eq!((names(&t), t.constraints.len()), (vec!["a", "h"], 0));
        assert_eq!(
            t.columns[1].constraints,
            [ColumnConstraint { name: Some("a".into()), kind: K::Unique { on_conflict: Some(Conflict::Fail) } }]
        );
        let t = table(
            "CREATE TABLE t2b(x INTEGER CHECK( typeof(coalesce(x,0))=='integer' ) CONSTRAINT one, y TEXT \
            PRIMARY KEY constraint two, z INTEGER, UNIQUE(x,z) constraint three)",
        );
        assert_eq!(t.columns.iter().map(|c| c.constraints.len()).collect::<Vec<_>>(), [1, 1, 0]);
        assert_eq!(t.constraints.len(), 1);
        let t = table(
            "CREATE TABLE t1(a,b,c, CONSTRAINT one PRIMARY KEY(a) CONSTRAINT two CHECK(b<10) UNIQUE(b) \
            CONSTRAINT three)",
        );
        assert_eq!(t.constraints[1], TableConstraint::Check { name: Some("two".into()), expr: "b<10".into() });
        assert!(matches!(&t.constraints[2], TableConstraint::Unique { name: None, .. }));
    }

    #[test]
    fn indexes_partial_and_on_expressions() {
        let i = index(
            "CREATE UNIQUE INDEX IF NOT EXISTS main.i ON t(a COLLATE nocase DESC, lower(b) COLLATE \
            \"rtrim\", c || ',' ASC, (d), 'e', \"f\" COLLATE binary) WHERE a > 0 AND b IS NOT NULL;",
        );
        assert!(i.unique);
        assert_eq!((i.name.as_str(), i.table.as_str()), ("i", "t"));
        assert_eq!(
            i.columns,
            [
                key("a", Some("a"), Some("nocase"), Some(Order::Desc)),
                key("lower(b)", None, Some("rtrim"), None),
                key("c || ','", None, None, Some(Order::Asc)),
                key("(d)", None, None, None),
                key("'e'", Some("e"), None, None),
                key("\"f\"", Some("f"), Some("binary"), None),
            ]
        );
        assert_eq!(i.where_clause.as_deref(), Some("a > 0 AND b IS NOT NULL"));
        let i = index(
            "CREATE INDEX abc2 ON abc(('x' || x) COLLATE nocase, CAST(a AS text), substr(c,1,3)) WHERE \
            x='xyz' COLLATE nocase",
        );
        assert!(!i.unique);
        assert_eq!(i.columns[0], key("('x' || x)", None, Some("nocase"), None));
        assert_eq!(i.columns[1].expr, "CAST(a AS text)");
        assert_eq!(i.where_clause.as_deref(), Some("x='xyz' COLLATE nocase"));
        assert_eq!(
            error_of("CREATE INDEX i ON t(a").message,
            "expected `)` after the indexed columns, found end of input"
        );
        assert_eq!(
            error_of("CREATE INDEX i ON t(a) WHERE").message,
            "expected an expression after WHERE, found end of input"
        );
        assert_eq!(error_of("CREATE INDEX i ON t()").message, "expected an indexed column, found `)`");
    }

    #[test]
    fn views_with_column_lists_and_ctes() {
        let v = view("CREATE VIEW IF NOT EXISTS v1(a, \"b c\") AS WITH x(n) AS (SELECT 1) SELECT n, n FROM x;");
        assert_eq!(v.name, "v1");
        assert_eq!(v.columns, ["a", "b c"]);
        assert_eq!(v.select, "WITH x(n) AS (SELECT 1) SELECT n, n FROM x");
        let v = view("CREATE TEMP VIEW v2 AS SELECT x+1 AS y FROM t1\n/* v2(y) */");
        assert_eq!((v.name.as_str(), v.columns.len(), v.select.as_str()), ("v2", 0, "SELECT x+1 AS y FROM t1"));
        assert_eq!(
            error_of("CREATE VIEW v AS SELECT 1; SELECT 2").message,
            "unexpected `SELECT` after the end of the statement"
        );
        assert_eq!(error_of("CREATE VIEW v AS").message, "expected a SELECT after AS, found end of input");
    }

    #[test]
    fn triggers_with_case_in_the_body() {
        let t = trigger(
            "CREATE TRIGGER IF NOT EXISTS main.tr BEFORE UPDATE OF a, \"b\" ON main.t FOR EACH ROW WHEN new.a > \
                (SELECT CASE WHEN 1 THEN 2 END) BEGIN\n\
               UPDATE t SET a = CASE WHEN new.a > 0 THEN 1 ELSE 0 END;\n\
               SELECT RAISE(ABORT, 'no; END');\n\
             END;",
        );
        assert_eq!((t.name.as_str(), t.table.as_str()), ("tr", "t"));
        assert_eq!(
            trigger("CREATE TEMP TRIGGER r INSTEAD OF DELETE ON v BEGIN DELETE FROM t WHERE end = old.end; END").table,
            "v"
        );
        assert_eq!(
            trigger("CREATE TRIGGER r AFTER INSERT ON t WHEN begin > 0 BEGIN INSERT INTO log VALUES(new.begin); END")
                .table,
            "t"
        );
        assert_eq!(trigger("create trigger r insert on [t t] begin select 1; end").table, "t t");
        assert_eq!(
            error_of("CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT 1 END").message,
            "expected trigger commands ending with `; END`, found `SELECT`"
        );
        assert_eq!(
            error_of("CREATE TRIGGER r AFTER TRUNCATE ON t BEGIN SELECT 1; END").message,
            "expected DELETE, INSERT or UPDATE in the trigger, found `TRUNCATE`"
        );
        assert_eq!(
            error_of("CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT 1; END; x").message,
            "unexpected `x` after the end of the statement"
        );
    }

    #[test]
    fn create_table_as_select_and_virtual_tables() {
        let t = table("CREATE TABLE t2 AS SELECT a, b FROM t1 WHERE a > 0;");
        assert!(t.as_select && t.columns.is_empty());
        assert_eq!(t.name, "t2");
        match parse_create("CREATE VIRTUAL TABLE IF NOT EXISTS main.ft USING fts5(a, b, tokenize = 'porter (x')") {
            Ok(Create::VirtualTable(v)) => assert_eq!((v.name.as_str(), v.module.as_str()), ("ft", "fts5")),
            other => panic!("{other:?}"),
        }
        match parse_create("CREATE VIRTUAL TABLE s USING series") {
            Ok(Create::VirtualTable(v)) => assert_eq!(v.module, "series"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = error_of("CREATE TABLE t(a INT, b TEXT,, c)");
        assert_eq!((e.message.as_str(), e.offset), ("expected a column name or a table constraint, found `,`", 29));
        assert_eq!(error_of("CREATE TABLE t(a INT 5)").message, "expected a column constraint, found `5`");
        assert_eq!(error_of("CREATE TABLE t(a INT PRIMARY)").message, "expected a column constraint, found `PRIMARY`");
        assert_eq!(
            error_of("CREATE TABLE t(a INT").message,
            "expected `,` or `)` after the column definition, found end of input"
        );
        assert_eq!(error_of("CREATE TABLE t(a CHECK (a > 0)").offset, 30);
        assert_eq!(error_of("CREATE TABLE t(a CHECK (a > 0").message, "`(` after CHECK is never closed");
        assert_eq!(error_of("CREATE TABLE t").message, "expected `(` after the table name, found end of input");
        assert_eq!(
            error_of("CREATE TABLE t(a) x").message,
            "expected WITHOUT ROWID or STRICT after the column list, found `x`"
        );
        assert_eq!(error_of("CREATE TABLE t(a 'open)").message, "unterminated string literal");
        assert_eq!(error_of("DROP TABLE t").message, "expected CREATE at the start of the statement, found `DROP`");
        assert_eq!(
            error_of("CREATE SEQUENCE s").message,
            "expected TABLE, INDEX, VIEW, TRIGGER or VIRTUAL TABLE after CREATE, found `SEQUENCE`"
        );
        assert_eq!(error_of("").offset, 0);
        let e = ParseError { message: "boom".into(), offset: 3 };
        assert_eq!(e.to_string(), "boom (at byte 3)");
    }

    #[test]
    fn conflict_and_action_names_parse_back() {
        for c in Conflict::ALL {
            assert_eq!(Conflict::parse(&format!("  {}  ", c.as_sql().to_lowercase())), Some(c));
        }
        for a in FkAction::ALL {
            assert_eq!(FkAction::parse(&a.as_sql().to_lowercase().replace(' ', " \t ")), Some(a));
        }
        assert_eq!(Conflict::parse("explode"), None);
        assert_eq!(FkAction::parse("SETNULL"), None);
        assert_eq!(FkAction::SetDefault.as_sql(), "SET DEFAULT");
    }

    mod corpus {
        //! The parser against SQLite itself: every CREATE statement SQLite
        //! stored for the shared corpus (see testdata/dump_corpus.py), with
        //! the columns `PRAGMA table_xinfo` reported.

        use super::super::*;
        use crate::sql::lexer::{normalize, split_statements, tokenize};

        struct Object {
            file: String,
            kind: String,
            name: String,
            tbl_name: String,
            sql: String,
            columns: Vec<Column>,
        }

        struct Column {
            name: String,
            decltype: String,
            default: Option<String>,
        }

        const FIXTURE: &str = include_str!("testdata/corpus_schema.txt");

        /// Reads the `KEY LEN:VALUE\n` fields of the fixture.
        fn fields(mut text: &str) -> Vec<(&str, &str)> {
            let mut out = Vec::new();
            while !text.is_empty() {
                if text.starts_with('#') {
                    text = text.split_once('\n').map_or("", |(_, rest)| rest);
                    continue;
                }
                let (key, rest) = text.split_once(' ').expect("a key");
                let (len, rest) = rest.split_once(':').expect("a length");
                let len: usize = len.parse().expect("a number");
                let (value, rest) = rest.split_at(len);
                text = rest.strip_prefix('\n').expect("a newline after the value");
                out.push((key, value));
            }
            out
        }

        fn objects() -> Vec<Object> {
            let mut objects = Vec::new();
            let mut current: Vec<(&str, &str)> = Vec::new();
            for (key, value) in fields(FIXTURE) {
                if key != "end" {
                    current.push((key, value));
                    continue;
                }
                let get =
                    |k: &str| current.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string()).unwrap_or_default();
                let mut columns: Vec<Column> = Vec::new();
                for (key, value) in &current {
                    match *key {
                        "column" => {
                            columns.push(Column { name: value.to_string(), decltype: String::new(), default: None })
                        }
                        "decltype" => columns.last_mut().expect("a column").decltype = value.to_string(),
                        "default" => columns.last_mut().expect("a column").default = Some(value.to_string()),
                        _ => {}
                    }
                }
                objects.push(Object {
                    file: get("file"),
                    kind: get("type"),
                    name: get("name"),
                    tbl_name: get("tbl_name"),
                    sql: get("sql"),
                    columns,
                });
                current.clear();
            }
            objects
        }

        /// The shared corpus scripts, beside the project as the integration tests expect.
        fn corpus_scripts() -> Vec<(String, String)> {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
            let mut paths = vec![dir.join("chinook.sql"), dir.join("northwind.sql")];
            let mut tests: Vec<_> = std::fs::read_dir(dir.join("sqlite_tests"))
                .expect("the corpus folder")
                .map(|e| e.expect("an entry").path())
                .collect();
            tests.sort();
            paths.extend(tests.into_iter().filter(|p| p.extension().is_some_and(|x| x == "sql")));
            paths
                .into_iter()
                .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("a readable script")))
                .collect()
        }

        /// Type texts compare without white space, quotes and case: SQLite keeps
        /// the declared span, uppercasing the standard names, and dequotes
        /// a quoted one (`"INTEGER"`).
        fn squeeze(s: &str) -> String {
            s.chars().filter(|c| !c.is_whitespace() && !"\"[]`".contains(*c)).collect::<String>().to_ascii_uppercase()
        }

        /// What `table_xinfo.dflt_value` holds for a DEFAULT: the text
        /// without the outer parentheses of `DEFAULT (expr)`, trimmed.
        fn stored_default(text: &str) -> String {
            match text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
                Some(inner) => inner.trim().to_string(),
                None => text.to_string(),
            }
        }

        #[test]
        fn the_fixture_covers_the_corpus() {
            let objects = objects();
            let count = |kind: &str| objects.iter().filter(|o| o.kind == kind).count();
            assert_eq!(objects.len(), 881);
            assert_eq!((count("table"), count("index"), count("view"), count("trigger")), (572, 75, 128, 106));
            assert_eq!(objects.iter().map(|o| o.file.as_str()).collect::<std::collections::BTreeSet<_>>().len(), 278);
        }

        #[test]
        fn every_stored_statement_parses_and_agrees_with_sqlite() {
            let mut failures = Vec::new();
            for o in objects() {
                let what = format!("{} {} `{}`", o.file, o.kind, o.name);
                match (o.kind.as_str(), parse_create(&o.sql)) {
                    (_, Err(e)) => failures.push(format!("{what}: {e}\n{}", o.sql)),
                    ("table", Ok(Create::Table(t))) => failures.extend(check_table(&what, &o, &t)),
                    ("table", Ok(Create::VirtualTable(v))) if v.name.eq_ignore_ascii_case(&o.name) => {}
                    ("index", Ok(Create::Index(i)))
                        if i.name.eq_ignore_ascii_case(&o.name) && i.table.eq_ignore_ascii_case(&o.tbl_name) =>
                    {
                        assert!(!i.columns.is_empty(), "{what}");
                    }
                    ("view", Ok(Create::View(v))) if v.name.eq_ignore_ascii_case(&o.name) => {
                        assert!(v.select.len() > 6 && !v.select.ends_with(';'), "{what}");
                    }
                    ("trigger", Ok(Create::Trigger(t)))
                        if t.name.eq_ignore_ascii_case(&o.name) && t.table.eq_ignore_ascii_case(&o.tbl_name) => {}
                    (_, Ok(other)) => failures.push(format!("{what}: read as {other:?}")),
                }
            }
            assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n\n"));
        }

        fn check_table(what: &str, o: &Object, t: &CreateTable) -> Vec<String> {
            let mut failures = Vec::new();
            if !t.name.eq_ignore_ascii_case(&o.name) || t.as_select {
                failures.push(format!("{what}: read as table `{}`", t.name));
            }
            let parsed: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
            let stored: Vec<&str> = o.columns.iter().map(|c| c.name.as_str()).collect();
            if parsed.len() != stored.len() || parsed.iter().zip(&stored).any(|(a, b)| !a.eq_ignore_ascii_case(b)) {
                failures.push(format!("{what}: columns {parsed:?}, SQLite says {stored:?}"));
                return failures;
            }
            for (c, x) in t.columns.iter().zip(&o.columns) {
                let comment = |s: &str| s.contains("/*") || s.contains("--");
                if !comment(&x.decltype) && squeeze(&c.type_name) != squeeze(&x.decltype) {
                    failures.push(format!(
                        "{what}: column `{}` type `{}`, SQLite says `{}`",
                        c.name, c.type_name, x.decltype
                    ));
                }
                let default = c.constraints.iter().rev().find_map(|k| match &k.kind {
                    ColumnConstraintKind::Default(d) => Some(stored_default(d)),
                    _ => None,
                });
                if x.default.as_deref().is_none_or(|d| !comment(d)) && default != x.default {
                    failures
                        .push(format!("{what}: column `{}` default {default:?}, SQLite says {:?}", c.name, x.default));
                }
            }
            failures
        }

        #[test]
        fn every_corpus_script_splits_into_statements_that_start_with_a_keyword() {
            let scripts = corpus_scripts();
            assert_eq!(scripts.len(), 278);
            let mut creates = 0;
            for (file, script) in &scripts {
                let statements = split_statements(script).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert!(!statements.is_empty(), "{file}");
                for s in statements {
                    let first = tokenize(s).unwrap_or_else(|e| panic!("{file}: {e}")).first().copied();
                    assert!(
                        first.is_some_and(
                            |t| t.kind == TokenKind::Word && t.text.chars().all(|c| c.is_ascii_alphabetic())
                        ),
                        "{file}: {s}"
                    );
                    assert!(!s.ends_with(';') && s.trim() == s, "{file}: {s}");
                    if s.get(..6).is_some_and(|w| w.eq_ignore_ascii_case("CREATE")) {
                        parse_create(s).unwrap_or_else(|e| panic!("{file}: {e}\n{s}"));
                        creates += 1;
                    }
                }
            }
            // The README counts 817 in sqlite_tests, plus 11 + 11 in chinook and 13 + 17 in northwind.
            assert_eq!(creates, 817 + 22 + 30);
        }

        /// The entry points on text that may be unreadable: none may panic,
        /// tokens must be slices of the input in order, and errors must
        /// point into the input.
        fn run_entry_points(sql: &str) {
            let tokens = tokenize(sql);
            if let Ok(tokens) = &tokens {
                assert!(tokens.iter().all(|t| sql.get(t.start..t.end()) == Some(t.text)));
                assert!(tokens.windows(2).all(|w| w[0].end() <= w[1].start));
            }
            for e in [tokens.err(), normalize(sql).err(), split_statements(sql).err(), parse_create(sql).err()]
                .into_iter()
                .flatten()
            {
                assert!(e.offset <= sql.len() && !e.message.is_empty(), "{e:?} for {sql:?}");
            }
        }

        /// Also the helpers the rest of the crate calls on such text.
        fn run_everything(sql: &str) {
            run_entry_points(sql);
            if let Err(e) = lexer::normalize_expr(sql) {
                assert!(e.offset <= sql.len(), "{e:?} for {sql:?}");
            }
            let _ = lexer::mentions(sql, "a");
            let _ = lexer::check_expression(sql);
            let _ = lexer::rename_identifiers(sql, &[("a".into(), "b".into())]);
            let _ = lexer::normalize_in(sql, &|n| n == "a");
        }

        #[test]
        fn no_prefix_of_a_corpus_statement_panics() {
            let mut seen = std::collections::HashSet::new();
            for o in objects().into_iter().filter(|o| seen.insert(o.sql.clone())) {
                for (i, _) in o.sql.char_indices().skip(1) {
                    run_entry_points(&o.sql[..i]);
                }
            }
        }

        /// A xorshift64 generator: deterministic, no dependencies.
        struct Rng(u64);

        impl Rng {
            fn next(&mut self) -> u64 {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                self.0
            }

            fn below(&mut self, n: usize) -> usize {
                (self.next() % n.max(1) as u64) as usize
            }
        }

        const SNIPPETS: [&str; 24] = [
            "(",
            ")",
            "'",
            "\"",
            "[",
            "]",
            "`",
            "--",
            "/*",
            "*/",
            ";",
            ",",
            "END",
            "BEGIN",
            "CASE",
            "CONSTRAINT",
            "x'",
            "0x",
            "1e",
            "$a(",
            "ü",
            "日",
            "\u{a0}",
            "\\",
        ];

        fn mutate(rng: &mut Rng, sql: &str) -> String {
            let mut chars: Vec<char> = sql.chars().collect();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(chars.len() + 1);
                match rng.below(4) {
                    0 if at < chars.len() => {
                        let end = (at + 1 + rng.below(8)).min(chars.len());
                        chars.drain(at..end);
                    }
                    1 => chars.splice(at..at, SNIPPETS[rng.below(SNIPPETS.len())].chars()).for_each(drop),
                    2 if at < chars.len() => {
                        let end = (at + 1 + rng.below(16)).min(chars.len());
                        let copy: Vec<char> = chars[at..end].to_vec();
                        let to = rng.below(chars.len() + 1);
                        chars.splice(to..to, copy).for_each(drop);
                    }
                    _ => {
                        let c = char::from_u32(rng.below(0x80) as u32).unwrap_or('?');
                        chars.insert(at, c);
                    }
                }
            }
            chars.into_iter().collect()
        }

        #[test]
        fn random_mutations_of_corpus_statements_do_not_panic() {
            let objects = objects();
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
            let mut parsed = 0;
            for _ in 0..600 {
                let o = &objects[rng.below(objects.len())];
                let sql = mutate(&mut rng, &o.sql);
                run_everything(&sql);
                parsed += usize::from(parse_create(&sql).is_ok());
            }
            // Some mutations leave valid SQL, most do not; both paths ran.
            assert!(parsed > 0 && parsed < 600, "{parsed}");
        }
    }
}

#[cfg(test)]
mod quirks;
