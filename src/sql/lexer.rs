//! A tokenizer for SQLite's SQL, after `sqlite3GetToken()` in SQLite's
//! tokenize.c, and the text utilities built on it: canonical forms for
//! comparing SQL, splitting scripts into statements, finding identifiers.
//!
//! It never panics. Text SQLite could not tokenize either (an unterminated
//! string, a malformed number or blob) is a [`ParseError`] with a byte
//! offset; a stray character SQLite would reject (`#`, `!`, `\`, a control
//! character) becomes a one-character [`TokenKind::Punct`] so that callers
//! that only compare or search text keep working, and the DDL parser then
//! rejects it where the grammar has no place for it.

use std::fmt;

/// What went wrong, and where: `offset` is a byte offset into the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub offset: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

pub(crate) fn error<T>(message: impl Into<String>, offset: usize) -> Result<T, ParseError> {
    Err(ParseError { message: message.into(), offset })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare identifier or keyword.
    Word,
    /// `"x"`, `[x]` or `` `x` ``.
    Quoted,
    /// `'x'`.
    String,
    /// `x'AB'`.
    Blob,
    Number,
    /// `?`, `?1`, `:a`, `@a`, `$a`.
    Variable,
    /// Operators, `( ) , ; .`, and stray characters.
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: TokenKind,
    pub text: &'a str,
    pub start: usize,
}

impl<'a> Token<'a> {
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }

    pub fn is_keyword(&self, kw: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(kw)
    }

    /// Whether the token is one of the keywords `kws`.
    pub fn is_any_keyword(&self, kws: &[&str]) -> bool {
        if self.kind != TokenKind::Word {
            return false;
        }
        for kw in kws {
            if self.text.len() == kw.len() && self.text.eq_ignore_ascii_case(kw) {
                return true;
            }
        }
        false
    }

    pub fn is_punct(&self, p: &str) -> bool {
        self.kind == TokenKind::Punct && self.text == p
    }

    /// Whether the token can stand for a name: SQLite's `nm` takes an
    /// identifier, a quoted identifier or (a legacy quirk) a string.
    pub fn is_name(&self) -> bool {
        matches!(self.kind, TokenKind::Word | TokenKind::Quoted | TokenKind::String)
    }

    /// The name this token stands for when used as an identifier: a word as
    /// is, quoted forms dequoted (`"a""b"` is `a"b`; `[x]` has no escapes).
    pub fn name(&self) -> Option<String> {
        match self.kind {
            TokenKind::Word => Some(self.text.to_string()),
            TokenKind::Quoted | TokenKind::String => Some(dequote(self.text)),
            _ => None,
        }
    }
}

/// The text inside a quoted token: `"a""b"` is `a"b`, `'it''s'` is
/// `it's`, `` `a``b` `` is ``a`b``, and `[x]` is `x` (brackets, a
/// Microsoft form SQLite copies, have no escape). Other text is returned
/// as it is.
pub fn dequote(text: &str) -> String {
    let quote = match text.as_bytes().first() {
        Some(b'"') => '"',
        Some(b'\'') => '\'',
        Some(b'`') => '`',
        Some(b'[') => return text.get(1..text.len().saturating_sub(1)).unwrap_or_default().to_string(),
        _ => return text.to_string(),
    };
    let inner = text.get(1..text.len().saturating_sub(1)).unwrap_or_default();
    inner.replace(&format!("{quote}{quote}"), &quote.to_string())
}

// Character classes, bits of `CLASSES`.
const SPACE: u8 = 1;
const ID: u8 = 2;
const ID_START: u8 = 4;
const DIGIT: u8 = 8;
const HEX: u8 = 16;

/// The classes of every byte: one table lookup per byte, as SQLite does
/// with `sqlite3CtypeMap` (a `static`, so debug builds do not copy it).
static CLASSES: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        // tokenize.c's CC_SPACE: a vertical tab is not white space to the
        // tokenizer, and neither is Unicode white space.
        if matches!(c, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r') {
            class |= SPACE;
        }
        // `IdChar()`: letters, digits, `_`, `$`, and every byte >= 0x80,
        // which is how non-ASCII names work without Unicode tables. All
        // bytes of a multi-byte UTF-8 character are >= 0x80, so every token
        // boundary lands on an ASCII byte and slices stay valid UTF-8.
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 {
            class |= ID;
        }
        // CC_ID/CC_KYWD: what may start a bare identifier.
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            class |= ID_START;
        }
        if c.is_ascii_digit() {
            class |= DIGIT;
        }
        if c.is_ascii_hexdigit() {
            class |= HEX;
        }
        table[b] = class;
        b += 1;
    }
    table
}

#[inline(always)]
fn is(b: u8, class: u8) -> bool {
    CLASSES[b as usize] & class != 0
}

/// The first `n` tokens of `sql` (fewer where it has fewer).
pub fn tokenize_head(sql: &str, n: usize) -> Result<Vec<Token<'_>>, ParseError> {
    let mut lexer = Lexer { sql, bytes: sql.as_bytes(), pos: 0 };
    let mut tokens = Vec::with_capacity(n);
    while tokens.len() < n {
        match lexer.next_token()? {
            Some(token) => tokens.push(token),
            None => break,
        }
    }
    Ok(tokens)
}

/// The tokens of `sql`, white space and comments left out.
pub fn tokenize(sql: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let mut lexer = Lexer { sql, bytes: sql.as_bytes(), pos: 0 };
    let mut tokens = Vec::new();
    while let Some(token) = lexer.next_token()? {
        tokens.push(token);
    }
    Ok(tokens)
}

struct Lexer<'a> {
    sql: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// The byte at `i`, or 0 past the end (SQLite's input is NUL-terminated).
    #[inline(always)]
    fn at(&self, i: usize) -> u8 {
        if i < self.bytes.len() {
            self.bytes[i]
        } else {
            0
        }
    }

    /// The first index from `i` whose byte is not in `class`.
    #[inline(always)]
    fn skip(&self, mut i: usize, class: u8) -> usize {
        while i < self.bytes.len() && is(self.bytes[i], class) {
            i += 1;
        }
        i
    }

    fn next_token(&mut self) -> Result<Option<Token<'a>>, ParseError> {
        self.skip_space_and_comments();
        let start = self.pos;
        if start >= self.bytes.len() {
            return Ok(None);
        }
        let (kind, end) = self.scan(start)?;
        self.pos = end.max(start + 1);
        match self.sql.get(start..self.pos) {
            Some(text) => Ok(Some(Token { kind, text, start })),
            // Unreachable by the boundary argument in `classes`; an error
            // keeps the promise never to panic.
            None => error("token does not end on a character boundary", start),
        }
    }

    fn skip_space_and_comments(&mut self) {
        loop {
            let b = self.at(self.pos);
            if is(b, SPACE) {
                self.pos = self.skip(self.pos, SPACE);
            } else if b == b'-' && self.at(self.pos + 1) == b'-' {
                self.pos = self.find(self.pos + 2, b'\n').map_or(self.bytes.len(), |i| i + 1);
            } else if b == b'/' && self.at(self.pos + 1) == b'*' {
                // tokenize.c: an unterminated comment runs to the end of input.
                self.pos = self.find_comment_end(self.pos + 2);
            } else {
                return;
            }
        }
    }

    /// The index of the first `byte` at or after `from`.
    fn find(&self, mut from: usize, byte: u8) -> Option<usize> {
        while from < self.bytes.len() {
            if self.bytes[from] == byte {
                return Some(from);
            }
            from += 1;
        }
        None
    }

    /// Just past the `*/` closing a block comment, or the end of input.
    fn find_comment_end(&self, mut from: usize) -> usize {
        while let Some(star) = self.find(from, b'*') {
            if self.at(star + 1) == b'/' {
                return star + 2;
            }
            from = star + 1;
        }
        self.bytes.len()
    }

    /// The kind and end of the token starting at `start`, which is not
    /// white space or a comment.
    fn scan(&self, start: usize) -> Result<(TokenKind, usize), ParseError> {
        let b = self.at(start);
        let next = self.at(start + 1);
        let punct = |len: usize| Ok((TokenKind::Punct, start + len));
        match b {
            b'\'' => self.quoted(start, b'\'').map(|end| (TokenKind::String, end)),
            b'"' | b'`' => self.quoted(start, b).map(|end| (TokenKind::Quoted, end)),
            b'[' => match self.find(start + 1, b']') {
                Some(close) => Ok((TokenKind::Quoted, close + 1)),
                None => error("unterminated bracketed identifier", start),
            },
            b'x' | b'X' if next == b'\'' => self.blob(start),
            b'0'..=b'9' => self.number(start),
            b'.' if next.is_ascii_digit() => self.number(start),
            b'?' => Ok((TokenKind::Variable, self.skip(start + 1, DIGIT))),
            b'$' | b'@' | b':' => Ok(self.named_variable(start)),
            _ if is(b, ID_START) => Ok((TokenKind::Word, self.skip(start, ID))),
            b'-' if next == b'>' => punct(if self.at(start + 2) == b'>' { 3 } else { 2 }),
            b'<' if matches!(next, b'=' | b'>' | b'<') => punct(2),
            b'>' if matches!(next, b'=' | b'>') => punct(2),
            b'=' | b'!' if next == b'=' => punct(2),
            b'|' if next == b'|' => punct(2),
            // Everything else is one ASCII character: an operator, `( ) , ; .`,
            // or a character SQLite rejects (`#`, `\`, control characters).
            _ => punct(1),
        }
    }

    /// A quoted token ends at the first unpaired closing quote; a doubled
    /// quote stands for one quote character (tokenize.c, CC_QUOTE).
    fn quoted(&self, start: usize, quote: u8) -> Result<usize, ParseError> {
        let mut i = start + 1;
        while let Some(close) = self.find(i, quote) {
            if self.at(close + 1) == quote {
                i = close + 2;
            } else {
                return Ok(close + 1);
            }
        }
        let what = match quote {
            b'\'' => "string literal",
            b'"' => "double-quoted identifier",
            _ => "backquoted identifier",
        };
        error(format!("unterminated {what}"), start)
    }

    /// `x'…'`: an even number of hex digits, else SQLite says
    /// "unrecognized token" (tokenize.c, CC_X).
    fn blob(&self, start: usize) -> Result<(TokenKind, usize), ParseError> {
        let digits_end = self.skip(start + 2, HEX);
        if self.at(digits_end) != b'\'' {
            return match self.find(start + 2, b'\'') {
                Some(_) => error("malformed blob literal: it takes an even number of hex digits", start),
                None => error("unterminated blob literal", start),
            };
        }
        if (digits_end - start - 2) % 2 == 1 {
            return error("malformed blob literal: it takes an even number of hex digits", start);
        }
        Ok((TokenKind::Blob, digits_end + 1))
    }

    /// Decimal, real and hex numbers with optional `_` digit separators
    /// (SQLite 3.46+), as tokenize.c's CC_DIGIT case scans them.
    fn number(&self, start: usize) -> Result<(TokenKind, usize), ParseError> {
        let is_hex = self.at(start) == b'0' && matches!(self.at(start + 1), b'x' | b'X') && is(self.at(start + 2), HEX);
        let mut i;
        if is_hex {
            i = start + 2;
            while is(self.at(i), HEX) || self.at(i) == b'_' {
                i += 1;
            }
        } else {
            i = self.digits_end(start);
            if self.at(i) == b'.' {
                i = self.digits_end(i + 1);
            }
            let e = self.at(i);
            let sign = matches!(self.at(i + 1), b'+' | b'-');
            let exponent_digit = if sign { self.at(i + 2) } else { self.at(i + 1) };
            if matches!(e, b'e' | b'E') && is(exponent_digit, DIGIT) {
                i = self.digits_end(i + if sign { 2 } else { 1 });
            }
        }
        // tokenize.c: identifier characters glued to a number make the whole
        // thing one illegal token (`123abc`), not a number and a word.
        if is(self.at(i), ID) {
            let end = self.skip(i, ID);
            let text = self.sql.get(start..end).unwrap_or_default();
            return error(format!("malformed number `{text}`"), start);
        }
        Ok((TokenKind::Number, i))
    }

    /// Digits and `_` separators from `i`.
    fn digits_end(&self, mut i: usize) -> usize {
        while is(self.at(i), DIGIT) || self.at(i) == b'_' {
            i += 1;
        }
        i
    }

    /// `:name`, `@name`, `$name`, with the TCL forms `$a::b` and `$a(x)`
    /// (tokenize.c, CC_DOLLAR/CC_VARALPHA). With no name after it the
    /// character is not a variable; it is left as punctuation.
    fn named_variable(&self, start: usize) -> (TokenKind, usize) {
        let mut i = start + 1;
        let mut name_len = 0;
        while i < self.bytes.len() {
            let c = self.at(i);
            if is(c, ID) {
                name_len += 1;
                i += 1;
            } else if c == b'(' && name_len > 0 {
                let close = (i + 1..self.bytes.len()).find(|&j| is(self.at(j), SPACE) || self.at(j) == b')');
                return match close {
                    Some(j) if self.at(j) == b')' => (TokenKind::Variable, j + 1),
                    _ => (TokenKind::Variable, i),
                };
            } else if c == b':' && self.at(i + 1) == b':' {
                i += 2;
            } else {
                break;
            }
        }
        if name_len == 0 {
            return (TokenKind::Punct, start + 1);
        }
        (TokenKind::Variable, i)
    }
}

/// Canonical text for comparing two pieces of SQL: white space and
/// comments do not count; a bare word and a quoted identifier are the same
/// identifier, compared ASCII-case-insensitively, so both become the
/// uppercased name in double quotes; literals stay exact (`'a'` is not
/// `"a"`); `<>` is `!=` and `==` is `=`, as SQLite's tokenizer makes them
/// the same token.
pub fn normalize(sql: &str) -> Result<String, ParseError> {
    Ok(canonical(&tokenize(sql)?))
}

fn canonical(tokens: &[Token]) -> String {
    let mut out = String::with_capacity(tokens.iter().map(|t| t.text.len() + 3).sum());
    for t in tokens {
        if !out.is_empty() {
            out.push(' ');
        }
        match t.kind {
            TokenKind::Word => push_identifier(&mut out, t.text),
            TokenKind::Quoted => push_identifier(&mut out, &dequote(t.text)),
            TokenKind::Punct if t.text == "<>" => out.push_str("!="),
            TokenKind::Punct if t.text == "==" => out.push('='),
            _ => out.push_str(t.text),
        }
    }
    out
}

/// `name` uppercased in double quotes, inner `"` doubled.
fn push_identifier(out: &mut String, name: &str) {
    out.push('"');
    let start = out.len();
    if name.contains('"') {
        out.push_str(&name.replace('"', "\"\""));
    } else {
        out.push_str(name);
    }
    if let Some(pushed) = out.get_mut(start..) {
        pushed.make_ascii_uppercase();
    }
    out.push('"');
}

/// Like [`normalize`], after removing redundant parentheses around the
/// whole expression, repeatedly: `((0))` is `0`, but `(a) + (b)` keeps its
/// own because the first `(` closes before the end.
pub fn normalize_expr(sql: &str) -> Result<String, ParseError> {
    let tokens = tokenize(sql)?;
    let mut slice = tokens.as_slice();
    while slice.len() >= 2 && slice[0].is_punct("(") && closing_paren(slice, 0) == Some(slice.len() - 1) {
        slice = &slice[1..slice.len() - 1];
    }
    Ok(canonical(slice))
}

/// The index of the `)` that closes the `(` at `open`, if any.
pub fn closing_paren(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// A model expression must tokenize, balance its parentheses and not end
/// the statement early; SQLite judges the rest when the model is built.
pub fn check_expression(sql: &str) -> Result<(), ParseError> {
    let tokens = tokenize(sql)?;
    let mut open: Vec<usize> = Vec::new();
    for t in &tokens {
        if t.is_punct("(") {
            open.push(t.start);
        } else if t.is_punct(")") && open.pop().is_none() {
            return error("unbalanced `)`", t.start);
        } else if t.is_punct(";") {
            return error("`;` ends the statement inside an expression", t.start);
        }
    }
    match open.last() {
        Some(&start) => error("unclosed `(`", start),
        None => Ok(()),
    }
}

/// Splits a script into statements at top-level `;`, deciding exactly as
/// `sqlite3_complete()` (complete.c) does. After `CREATE [TEMP|TEMPORARY]
/// TRIGGER` a `;` ends the statement only in the sequence `; END ;` (or
/// `; END` at the end of input): a trigger body is a list of `cmd ;`
/// closed by END, so an END that does not follow a `;` (CASE ... END, a
/// column named `end`) cannot close it. Returns each statement's text from
/// its first token to its last, without the `;`; empty statements and
/// ones made only of comments are left out.
pub fn split_statements(sql: &str) -> Result<Vec<&str>, ParseError> {
    // Token by token, none kept: a revision that rebuilds 1,000 tables has
    // half a million tokens, and a vector of them all cost a third of lint.
    let mut lexer = Lexer { sql, bytes: sql.as_bytes(), pos: 0 };
    let mut statements = Vec::new();
    let mut state = Complete::Start;
    // The current statement's first byte, and the end of its last token.
    let mut first: Option<usize> = None;
    let mut end = 0;
    while let Some(t) = lexer.next_token()? {
        state = state.next(&t);
        if state == Complete::Start && t.is_punct(";") {
            if let Some(f) = first.take() {
                statements.push(sql.get(f..end).unwrap_or_default());
            }
        } else {
            first.get_or_insert(t.start);
            end = t.end();
        }
    }
    if let Some(f) = first {
        statements.push(sql.get(f..end).unwrap_or_default());
    }
    Ok(statements)
}

/// Whether `sql` is one bare word that is not a keyword SQLite gives a
/// meaning in an expression (`pending`, not `NULL` or `CURRENT_TIMESTAMP`):
/// SQLite reads such a DEFAULT as a string only by a legacy quirk.
pub fn is_bare_word(sql: &str) -> bool {
    let Ok(tokens) = tokenize(sql) else { return false };
    const MEANINGFUL: [&str; 6] = ["NULL", "TRUE", "FALSE", "CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"];
    matches!(tokens.as_slice(), [t] if t.kind == TokenKind::Word && !MEANINGFUL.iter().any(|k| t.is_keyword(k)))
}

/// Whether `sql` ends in a `--` comment, which would swallow whatever is
/// written after it on the same line: SQL text from the model is written
/// with a newline after it then (model.md allows such comments).
pub fn ends_in_line_comment(sql: &str) -> bool {
    // Most statements hold no `--` at all: no need to read them.
    if !sql.contains("--") {
        return false;
    }
    let end = match tokenize(sql) {
        Ok(tokens) => tokens.last().map_or(0, |t| t.end()),
        Err(_) => return sql.contains("--"),
    };
    let tail = sql.get(end..).unwrap_or_default();
    tail.rfind("--").is_some_and(|at| !tail[at..].contains('\n'))
}

/// Whether `sql` ends at the end of a statement, as `sqlite3_complete()`
/// says: its last statement is terminated by a `;` (empty text is).
pub fn is_complete(sql: &str) -> bool {
    let mut lexer = Lexer { sql, bytes: sql.as_bytes(), pos: 0 };
    let mut state = Complete::Start;
    loop {
        match lexer.next_token() {
            Ok(Some(t)) => state = state.next(&t),
            Ok(None) => return state == Complete::Start,
            Err(_) => return false,
        }
    }
}

/// The states of complete.c's state machine; `Start` means "at the start
/// of a statement", reached after a `;` that completes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Complete {
    Start,
    Normal,
    Explain,
    Create,
    Trigger,
    Semi,
    End,
}

impl Complete {
    /// complete.c's `trans[][]` table, one row per state.
    fn next(self, t: &Token) -> Complete {
        use Complete::*;
        let semi = t.is_punct(";");
        let word = |kw: &str| t.is_keyword(kw);
        let temp = word("TEMP") || word("TEMPORARY");
        match self {
            _ if semi && !matches!(self, Trigger | Semi) => Start,
            Start if word("EXPLAIN") => Explain,
            Start | Explain if word("CREATE") => Create,
            Start => Normal,
            Normal => Normal,
            // EXPLAIN QUERY PLAN CREATE ...: other words keep the state.
            Explain if word("EXPLAIN") || temp || word("TRIGGER") || word("END") => Normal,
            Explain => Explain,
            Create if temp => Create,
            Create if word("TRIGGER") => Trigger,
            Create => Normal,
            Trigger | Semi if semi => Semi,
            Semi if word("END") => End,
            Trigger | Semi | End => Trigger,
        }
    }
}

/// True when some identifier token (a word or quoted identifier, not a
/// string) in `sql` names `name`, ASCII case-insensitively. SQL that does
/// not tokenize answers true: callers use this to stay on the safe side.
pub fn mentions(sql: &str, name: &str) -> bool {
    match tokenize(sql) {
        Ok(tokens) => tokens.iter().any(|t| names(t, name)),
        Err(_) => true,
    }
}

fn names(t: &Token, name: &str) -> bool {
    matches!(t.kind, TokenKind::Word | TokenKind::Quoted) && t.name().is_some_and(|n| n.eq_ignore_ascii_case(name))
}

/// `sql` with every identifier naming an old name replaced by the new one,
/// double-quoted; everything else kept byte for byte. Mirrors what SQLite's
/// RENAME does to the text of views and triggers. Text that does not
/// tokenize is returned unchanged.
pub fn rename_identifiers(sql: &str, renames: &[(String, String)]) -> String {
    let Ok(tokens) = tokenize(sql) else {
        return sql.to_string();
    };
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for t in &tokens {
        let Some((_, new)) = renames.iter().find(|(old, _)| names(t, old)) else {
            continue;
        };
        out.push_str(sql.get(last..t.start).unwrap_or_default());
        out.push_str(&super::quote::ident(new));
        last = t.end();
    }
    out.push_str(sql.get(last..).unwrap_or_default());
    out
}

/// SQLite reads a double-quoted token that names nothing as a string
/// literal (the "DQS" misfeature), and its RENAME rewrites such tokens to
/// single quotes. This does that rewrite: `"x"` becomes `'x'` unless
/// `is_name(x)`.
pub fn dqs_to_strings(sql: &str, is_name: &dyn Fn(&str) -> bool) -> String {
    let Ok(tokens) = tokenize(sql) else {
        return sql.to_string();
    };
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for t in tokens.iter().filter(|t| t.kind == TokenKind::Quoted && t.text.starts_with('"')) {
        let name = dequote(t.text);
        if is_name(&name) {
            continue;
        }
        out.push_str(sql.get(last..t.start).unwrap_or_default());
        out.push_str(&super::quote::literal(&name));
        last = t.end();
    }
    out.push_str(sql.get(last..).unwrap_or_default());
    out
}

/// [`normalize_expr`] after [`dqs_to_strings`]: the form two expressions
/// compare in when the names they may refer to are known.
pub fn normalize_in(sql: &str, is_name: &dyn Fn(&str) -> bool) -> Result<String, ParseError> {
    normalize_expr(&dqs_to_strings(sql, is_name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(sql: &str) -> Vec<(TokenKind, &str)> {
        tokenize(sql).unwrap().iter().map(|t| (t.kind, t.text)).collect()
    }

    fn err(sql: &str) -> ParseError {
        tokenize(sql).unwrap_err()
    }

    #[test]
    fn tokens_of_every_kind() {
        assert_eq!(
            kinds(
                "SELECT \"a\"\"b\", [x y], `c``d`, 'it''s', x'00ff', X'', 1.5e-3, .5, 0x1F, 1_000, ?, ?12, :n, @m, \
                $v, $a::b(c), a->>'$'"
            ),
            vec![
                (Word, "SELECT"),
                (Quoted, "\"a\"\"b\""),
                (Punct, ","),
                (Quoted, "[x y]"),
                (Punct, ","),
                (Quoted, "`c``d`"),
                (Punct, ","),
                (String, "'it''s'"),
                (Punct, ","),
                (Blob, "x'00ff'"),
                (Punct, ","),
                (Blob, "X''"),
                (Punct, ","),
                (Number, "1.5e-3"),
                (Punct, ","),
                (Number, ".5"),
                (Punct, ","),
                (Number, "0x1F"),
                (Punct, ","),
                (Number, "1_000"),
                (Punct, ","),
                (Variable, "?"),
                (Punct, ","),
                (Variable, "?12"),
                (Punct, ","),
                (Variable, ":n"),
                (Punct, ","),
                (Variable, "@m"),
                (Punct, ","),
                (Variable, "$v"),
                (Punct, ","),
                (Variable, "$a::b(c)"),
                (Punct, ","),
                (Word, "a"),
                (Punct, "->>"),
                (String, "'$'"),
            ]
        );
    }

    #[test]
    fn operators_take_the_longest_match() {
        let ops: Vec<&str> = kinds("|| <= >= == != <> << >> -> ->> < > = ! | - / * % & ~ + ( ) , ; .")
            .into_iter()
            .map(|(k, t)| if k == Punct { t } else { "?" })
            .collect();
        assert_eq!(
            ops,
            [
                "||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->", "->>", "<", ">", "=", "!", "|", "-", "/", "*",
                "%", "&", "~", "+", "(", ")", ",", ";", "."
            ]
        );
        assert_eq!(kinds("a-->b\n-b"), vec![(Word, "a"), (Punct, "-"), (Word, "b")]);
        assert_eq!(kinds("1.5.3"), vec![(Number, "1.5"), (Number, ".3")]);
        assert_eq!(
            kinds("1e+5 2E3 3.e1 4."),
            vec![(Number, "1e+5"), (Number, "2E3"), (Number, "3.e1"), (Number, "4.")]
        );
    }

    #[test]
    fn comments_and_white_space_are_skipped() {
        assert_eq!(kinds("a/* x */b-- y\nc--"), vec![(Word, "a"), (Word, "b"), (Word, "c")]);
        // tokenize.c: an unterminated block comment runs to the end of input.
        assert_eq!(kinds("a /* unterminated"), vec![(Word, "a")]);
        assert_eq!(kinds("a/**/b/*/c*/d"), vec![(Word, "a"), (Word, "b"), (Word, "d")]);
        assert!(tokenize(" \t\r\n\x0c -- only comments\n/* */").unwrap().is_empty());
    }

    #[test]
    fn non_ascii_is_an_identifier_character() {
        assert_eq!(kinds("ünï ß a$b_1 _x"), vec![(Word, "ünï"), (Word, "ß"), (Word, "a$b_1"), (Word, "_x")]);
        // U+00A0 is not white space to SQLite: it is part of the name.
        assert_eq!(kinds("a\u{a0}b"), vec![(Word, "a\u{a0}b")]);
        assert_eq!(kinds("\"日本\"(x)")[0], (Quoted, "\"日本\""));
    }

    #[test]
    fn stray_characters_are_punctuation() {
        assert_eq!(
            kinds("# \\ \x0b @ : $"),
            vec![(Punct, "#"), (Punct, "\\"), (Punct, "\x0b"), (Punct, "@"), (Punct, ":"), (Punct, "$")]
        );
    }

    #[test]
    fn what_sqlite_cannot_tokenize_is_an_error() {
        assert_eq!(err("a 'open").offset, 2);
        assert_eq!(err("\"open").message, "unterminated double-quoted identifier");
        assert_eq!(err("[open").message, "unterminated bracketed identifier");
        assert_eq!((err("`open").message.as_str(), err("`open").offset), ("unterminated backquoted identifier", 0));
        assert_eq!(err("'it''").message, "unterminated string literal");
        assert_eq!(err("x'abc'").message, "malformed blob literal: it takes an even number of hex digits");
        assert_eq!(err("x'zz'").offset, 0);
        assert_eq!(err("x'00").message, "unterminated blob literal");
        assert_eq!(err("1 + 123abc").message, "malformed number `123abc`");
        assert!(tokenize("0x").is_err());
        assert!(tokenize("1e").is_err());
    }

    #[test]
    fn token_helpers() {
        let t = tokenize("\"a\"\"b\" [x\"y] `c``d` 'e''f' word 1").unwrap();
        let names: Vec<Option<std::string::String>> = t.iter().map(|t| t.name()).collect();
        assert_eq!(
            names,
            [
                Some("a\"b".into()),
                Some("x\"y".into()),
                Some("c`d".into()),
                Some("e'f".into()),
                Some("word".into()),
                None
            ]
        );
        assert!(t[4].is_keyword("WORD") && !t[0].is_keyword("a\"b"));
        assert_eq!(t[5].end(), t[5].start + 1);
        assert!(tokenize(")").unwrap()[0].is_punct(")"));
        assert_eq!(dequote("[a]]"), "a]");
    }

    #[test]
    fn normal_forms_ignore_what_does_not_count() {
        assert_eq!(normalize_expr("(0)").unwrap(), normalize_expr("0").unwrap());
        assert_eq!(normalize_expr("((0))").unwrap(), "0");
        assert_eq!(normalize_expr("current_timestamp").unwrap(), normalize_expr("CURRENT_TIMESTAMP").unwrap());
        assert_eq!(normalize("current_timestamp").unwrap(), "\"CURRENT_TIMESTAMP\"");
        assert_ne!(normalize("'a'").unwrap(), normalize("\"a\"").unwrap());
        assert_eq!(normalize("a  <>  b").unwrap(), normalize("A != [b]").unwrap());
        assert_eq!(normalize("`x` == 1 -- note").unwrap(), normalize("X=1").unwrap());
        assert_eq!(normalize("\"a\"\"b\" + x'0A'").unwrap(), "\"A\"\"B\" + x'0A'");
        assert_eq!(normalize_expr("(a) + (b)").unwrap(), "( \"A\" ) + ( \"B\" )");
        assert_eq!(normalize_expr("((a) + (b))").unwrap(), "( \"A\" ) + ( \"B\" )");
        assert_eq!(normalize_expr("( /* c */ 1 )").unwrap(), "1");
        assert_eq!(normalize_expr("()").unwrap(), "");
        assert!(normalize("'open").is_err());
    }

    #[test]
    fn scripts_split_like_sqlite3_complete() {
        let script = "CREATE TABLE t(a, \"end\"); -- one\n\
            CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN\n  \
              UPDATE t SET a = CASE WHEN new.a > 0 THEN 1 ELSE 0 END;\n  \
              DELETE FROM t WHERE a = ';' AND end = 1;\n\
            END;\n;\n/* only a comment */;\n\
            SELECT 1";
        let parts = split_statements(script).unwrap();
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert_eq!(parts[0], "CREATE TABLE t(a, \"end\")");
        assert!(parts[1].starts_with("CREATE TEMP TRIGGER") && parts[1].ends_with("END"), "{}", parts[1]);
        assert!(parts[1].contains("DELETE FROM t"));
        assert_eq!(parts[2], "SELECT 1");
        assert_eq!(
            split_statements("EXPLAIN CREATE TRIGGER x AFTER DELETE ON t BEGIN SELECT 1; END; SELECT 2;")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            split_statements("CREATE TABLE trigger(a); SELECT 1").unwrap(),
            ["CREATE TABLE trigger(a)", "SELECT 1"]
        );
        assert!(split_statements(" ;; -- x\n").unwrap().is_empty());
        assert!(split_statements("'open").is_err());
    }

    #[test]
    fn mentions_looks_at_identifiers_only() {
        assert!(mentions("SELECT * FROM [Tasks]", "tasks"));
        assert!(mentions("SELECT \"a b\".x FROM t AS \"a b\"", "A B"));
        assert!(!mentions("SELECT 'tasks'", "tasks"));
        assert!(!mentions("SELECT taskss FROM t", "tasks"));
        assert!(mentions("SELECT 'open", "anything"));
    }

    #[test]
    fn renames_rewrite_identifiers_only() {
        let renames = vec![("tasks".to_string(), "to\"dos".to_string())];
        assert_eq!(
            rename_identifiers("SELECT id, 'tasks' FROM tasks -- tasks", &renames),
            "SELECT id, 'tasks' FROM \"to\"\"dos\" -- tasks"
        );
        assert_eq!(rename_identifiers("'open tasks", &renames), "'open tasks");
    }

    #[test]
    fn double_quoted_strings_are_strings_when_they_name_nothing() {
        let is_col = |n: &str| n.eq_ignore_ascii_case("one");
        assert_eq!(dqs_to_strings("\"four\" != \"one\"", &is_col), "'four' != \"one\"");
        assert_eq!(normalize_in("a || \"it's\"", &is_col).unwrap(), normalize_in("a || 'it''s'", &is_col).unwrap());
    }

    #[test]
    fn expressions_are_checked_for_balance() {
        assert!(check_expression("lower(title)").is_ok());
        assert_eq!(check_expression("lower(title").unwrap_err().offset, 5);
        assert!(check_expression("a)").is_err());
        assert!(check_expression("1); DROP TABLE x; --").is_err());
    }
}
