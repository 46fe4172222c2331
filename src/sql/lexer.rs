//! A tokenizer for SQLite's SQL, after SQLite's own tokenize.c. It never
//! panics: text it cannot read is an error with a byte offset.

use std::fmt;

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
    /// Operators and `( ) , ; .`.
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

    pub fn is_punct(&self, p: &str) -> bool {
        self.kind == TokenKind::Punct && self.text == p
    }

    /// The name this token stands for used as an identifier: quoted forms
    /// dequoted (SQLite also takes a string literal as a name in DDL).
    pub fn name(&self) -> Option<String> {
        match self.kind {
            TokenKind::Word => Some(self.text.to_string()),
            TokenKind::Quoted | TokenKind::String => Some(dequote(self.text)),
            _ => None,
        }
    }

    pub fn is_name(&self) -> bool {
        matches!(self.kind, TokenKind::Word | TokenKind::Quoted | TokenKind::String)
    }
}

/// `"a""b"` is `a"b`; `[x]` has no escapes; `` `a``b` `` is ``a`b``.
pub fn dequote(text: &str) -> String {
    let Some(first) = text.chars().next() else {
        return String::new();
    };
    let close = match first {
        '"' => '"',
        '\'' => '\'',
        '`' => '`',
        '[' => return text.get(1..text.len().saturating_sub(1)).unwrap_or("").to_string(),
        _ => return text.to_string(),
    };
    let inner = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
    let doubled: String = [close, close].iter().collect();
    inner.replace(&doubled, &close.to_string())
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

/// The tokens of `sql`, white space and comments left out.
pub fn tokenize(sql: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let mut tokens = Vec::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < sql.len() {
        let c = sql[i..].chars().next().unwrap_or(' ');
        let start = i;
        let kind;
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        } else if sql[i..].starts_with("--") {
            i = sql[i..].find('\n').map(|n| i + n + 1).unwrap_or(sql.len());
            continue;
        } else if sql[i..].starts_with("/*") {
            // An unterminated comment runs to the end, as in SQLite.
            i = sql[i + 2..].find("*/").map(|n| i + 2 + n + 2).unwrap_or(sql.len());
            continue;
        } else if c == '\'' || c == '"' || c == '`' {
            i = quoted_end(sql, i, c)?;
            kind = if c == '\'' { TokenKind::String } else { TokenKind::Quoted };
        } else if c == '[' {
            i = match sql[i..].find(']') {
                Some(n) => i + n + 1,
                None => return error("unterminated `[` identifier", start),
            };
            kind = TokenKind::Quoted;
        } else if (c == 'x' || c == 'X') && bytes.get(i + 1) == Some(&b'\'') {
            i = quoted_end(sql, i + 1, '\'')?;
            kind = TokenKind::Blob;
        } else if c.is_ascii_digit() || (c == '.' && bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit())) {
            i = number_end(sql, i);
            kind = TokenKind::Number;
        } else if is_ident_start(c) {
            i += c.len_utf8();
            while let Some(n) = sql[i..].chars().next().filter(|n| is_ident_char(*n)) {
                i += n.len_utf8();
            }
            kind = TokenKind::Word;
        } else if c == '?' {
            i += 1;
            while bytes.get(i).is_some_and(|b| b.is_ascii_digit()) {
                i += 1;
            }
            kind = TokenKind::Variable;
        } else if matches!(c, ':' | '@' | '$' | '#') && sql[i + 1..].chars().next().is_some_and(is_ident_char) {
            i += 1;
            while let Some(n) = sql[i..].chars().next().filter(|n| is_ident_char(*n) || *n == ':') {
                i += n.len_utf8();
            }
            kind = TokenKind::Variable;
        } else {
            const OPS: [&str; 11] = ["->>", "||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->", "!"];
            let op = OPS.iter().find(|op| sql[i..].starts_with(**op));
            i += op.map(|o| o.len()).unwrap_or(c.len_utf8());
            kind = TokenKind::Punct;
        }
        tokens.push(Token { kind, text: &sql[start..i], start });
    }
    Ok(tokens)
}

/// The end of a quoted token starting at `start`; a doubled quote is part of it.
fn quoted_end(sql: &str, start: usize, quote: char) -> Result<usize, ParseError> {
    let mut i = start + 1;
    loop {
        match sql[i..].find(quote) {
            None => return error(format!("unterminated {quote}quoted{quote} text"), start),
            Some(n) => {
                i += n + 1;
                if sql[i..].starts_with(quote) {
                    i += 1;
                } else {
                    return Ok(i);
                }
            }
        }
    }
}

fn number_end(sql: &str, start: usize) -> usize {
    let b = sql.as_bytes();
    let mut i = start;
    let digits = |i: &mut usize, hex: bool| {
        while b.get(*i).is_some_and(|c| c.is_ascii_digit() || *c == b'_' || (hex && c.is_ascii_hexdigit())) {
            *i += 1;
        }
    };
    if b[i] == b'0' && b.get(i + 1).is_some_and(|c| *c == b'x' || *c == b'X') {
        i += 2;
        digits(&mut i, true);
        return i;
    }
    digits(&mut i, false);
    if b.get(i) == Some(&b'.') {
        i += 1;
        digits(&mut i, false);
    }
    if b.get(i).is_some_and(|c| *c == b'e' || *c == b'E') {
        let mut j = i + 1;
        if b.get(j).is_some_and(|c| *c == b'+' || *c == b'-') {
            j += 1;
        }
        if b.get(j).is_some_and(|c| c.is_ascii_digit()) {
            i = j;
            digits(&mut i, false);
        }
    }
    // SQLite reads `123abc` as an error; we let the letters start a word.
    i
}

/// Canonical text for comparing SQL: white space and comments do not
/// count, identifiers compare ASCII-case-insensitively whether quoted or
/// not, literals stay exact; `<>` is `!=` and `==` is `=`.
pub fn normalize(sql: &str) -> Result<String, ParseError> {
    let tokens = tokenize(sql)?;
    Ok(canonical(&tokens))
}

fn canonical(tokens: &[Token]) -> String {
    let mut out = String::new();
    for t in tokens {
        if !out.is_empty() {
            out.push(' ');
        }
        match t.kind {
            TokenKind::Word | TokenKind::Quoted => {
                let name = t.name().unwrap_or_default().to_ascii_uppercase();
                out.push('"');
                out.push_str(&name.replace('"', "\"\""));
                out.push('"');
            }
            TokenKind::Punct if t.text == "<>" => out.push_str("!="),
            TokenKind::Punct if t.text == "==" => out.push('='),
            _ => out.push_str(t.text),
        }
    }
    out
}

/// Like [`normalize`], after removing redundant parentheses around the
/// whole expression: `((0))` is `0`, but `(a) + (b)` keeps its own.
pub fn normalize_expr(sql: &str) -> Result<String, ParseError> {
    let tokens = tokenize(sql)?;
    let mut slice = tokens.as_slice();
    while slice.len() >= 2 && slice[0].is_punct("(") && closing_paren(slice, 0) == Some(slice.len() - 1) {
        slice = &slice[1..slice.len() - 1];
    }
    Ok(canonical(slice))
}

/// The index of the `)` that closes the `(` at `open`.
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

/// A model expression must tokenize, balance its parentheses and not end a
/// statement early; SQLite judges the rest when the model is built.
pub fn check_expression(sql: &str) -> Result<(), ParseError> {
    let tokens = tokenize(sql)?;
    let mut depth: i64 = 0;
    for t in &tokens {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth -= 1;
            if depth < 0 {
                return error("unbalanced `)`", t.start);
            }
        } else if t.is_punct(";") {
            return error("`;` ends the statement inside an expression", t.start);
        }
    }
    if depth != 0 {
        return error("unclosed `(`", sql.len());
    }
    Ok(())
}

/// Splits a script into statements at top-level `;`, as sqlite3_complete()
/// would: inside `CREATE TRIGGER ... BEGIN ... END` a `;` does not end the
/// statement (a CASE ... END inside the body does not close it).
pub fn split_statements(sql: &str) -> Result<Vec<&str>, ParseError> {
    let tokens = tokenize(sql)?;
    let mut out = Vec::new();
    let mut first: Option<usize> = None;
    let mut in_trigger = false;
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        let begin = *first.get_or_insert(i);
        if i == begin {
            in_trigger = false;
            depth = 0;
        }
        if !in_trigger && is_create_trigger(&tokens[begin..=i]) {
            in_trigger = true;
        }
        if in_trigger {
            if t.is_keyword("BEGIN") || t.is_keyword("CASE") {
                depth += 1;
            } else if t.is_keyword("END") {
                depth = depth.saturating_sub(1);
            }
        }
        if t.is_punct(";") && (!in_trigger || depth == 0) {
            if i > begin {
                out.push(sql[tokens[begin].start..tokens[i - 1].end()].trim());
            }
            first = None;
        }
    }
    if let Some(begin) = first {
        if let Some(last) = tokens.last() {
            out.push(sql[tokens[begin].start..last.end()].trim());
        }
    }
    Ok(out)
}

fn is_create_trigger(tokens: &[Token]) -> bool {
    let words: Vec<&Token> = tokens.iter().take(3).collect();
    match words.as_slice() {
        [c, t, ..] if c.is_keyword("CREATE") && t.is_keyword("TRIGGER") => true,
        [c, tmp, t] if c.is_keyword("CREATE") && (tmp.is_keyword("TEMP") || tmp.is_keyword("TEMPORARY")) && t.is_keyword("TRIGGER") => true,
        _ => false,
    }
}

/// Whether an identifier in `sql` names `name` (ASCII case-insensitive).
/// Unreadable SQL answers yes: callers use this to stay on the safe side.
pub fn mentions(sql: &str, name: &str) -> bool {
    match tokenize(sql) {
        Ok(tokens) => tokens.iter().any(|t| matches!(t.kind, TokenKind::Word | TokenKind::Quoted) && t.name().is_some_and(|n| n.eq_ignore_ascii_case(name))),
        Err(_) => true,
    }
}

/// `sql` with some tokens replaced and everything else kept byte for byte;
/// unreadable SQL comes back as it is.
fn rewrite(sql: &str, replace: impl Fn(&Token) -> Option<String>) -> String {
    let Ok(tokens) = tokenize(sql) else { return sql.to_string() };
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for t in &tokens {
        if let Some(new) = replace(t) {
            out.push_str(&sql[last..t.start]);
            out.push_str(&new);
            last = t.end();
        }
    }
    out.push_str(&sql[last..]);
    out
}

/// `sql` with every identifier naming an old name replaced by the new one,
/// double-quoted. Mirrors what SQLite's RENAME does to the text of views
/// and triggers.
pub fn rename_identifiers(sql: &str, renames: &[(String, String)]) -> String {
    rewrite(sql, |t| {
        let name = t.name().filter(|_| matches!(t.kind, TokenKind::Word | TokenKind::Quoted))?;
        let (_, new) = renames.iter().find(|(old, _)| old.eq_ignore_ascii_case(&name))?;
        Some(format!("\"{}\"", new.replace('"', "\"\"")))
    })
}

/// SQLite reads a double-quoted token that names nothing as a string
/// literal (the "DQS" misfeature), and its RENAME rewrites such tokens to
/// single quotes. This does that rewrite: `"x"` becomes `'x'` unless
/// `is_name(x)`.
pub fn dqs_to_strings(sql: &str, is_name: &dyn Fn(&str) -> bool) -> String {
    rewrite(sql, |t| {
        let name = dequote(t.text);
        (t.kind == TokenKind::Quoted && t.text.starts_with('"') && !is_name(&name)).then(|| format!("'{}'", name.replace('\'', "''")))
    })
}

/// [`normalize_expr`] after [`dqs_to_strings`]: the form two expressions
/// compare in when the names they may refer to are known.
pub fn normalize_in(sql: &str, is_name: &dyn Fn(&str) -> bool) -> Result<String, ParseError> {
    normalize_expr(&dqs_to_strings(sql, is_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(TokenKind, &str)> {
        tokenize(sql).unwrap().iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn tokens_of_every_kind() {
        use TokenKind::*;
        assert_eq!(
            kinds("SELECT \"a\"\"b\", [x y], `c``d`, 'it''s', x'00ff', 1.5e-3, .5, 0x1F, ?1, :n, a->>'$' -- c\n/* d */ <> !="),
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
                (Number, "1.5e-3"),
                (Punct, ","),
                (Number, ".5"),
                (Punct, ","),
                (Number, "0x1F"),
                (Punct, ","),
                (Variable, "?1"),
                (Punct, ","),
                (Variable, ":n"),
                (Punct, ","),
                (Word, "a"),
                (Punct, "->>"),
                (String, "'$'"),
                (Punct, "<>"),
                (Punct, "!=")
            ]
        );
        assert_eq!(kinds("ünï ß"), vec![(Word, "ünï"), (Word, "ß")]);
        assert!(tokenize("'open").is_err());
        assert!(tokenize("[open").is_err());
        assert_eq!(kinds("a /* unterminated"), vec![(Word, "a")]);
    }

    #[test]
    fn names_are_dequoted() {
        let t = tokenize("\"a\"\"b\" [x\"y] `c``d` 'e''f'").unwrap();
        let names: Vec<String> = t.iter().filter_map(|t| t.name()).collect();
        assert_eq!(names, vec!["a\"b", "x\"y", "c`d", "e'f"]);
    }

    #[test]
    fn normal_forms_ignore_what_does_not_count() {
        assert_eq!(normalize_expr("(0)").unwrap(), normalize_expr("0").unwrap());
        assert_eq!(normalize_expr("((0))").unwrap(), "0");
        assert_eq!(normalize_expr("current_timestamp").unwrap(), normalize_expr("CURRENT_TIMESTAMP").unwrap());
        assert_ne!(normalize("'a'").unwrap(), normalize("\"a\"").unwrap());
        assert_eq!(normalize("a  <>  b").unwrap(), normalize("A != [b]").unwrap());
        assert_eq!(normalize_expr("(a) + (b)").unwrap(), "( \"A\" ) + ( \"B\" )");
        assert_eq!(normalize("x == 1 -- note").unwrap(), normalize("x=1").unwrap());
    }

    #[test]
    fn scripts_split_like_sqlite3_complete() {
        let script = "CREATE TABLE t(a); -- one\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET a = CASE WHEN new.a > 0 THEN 1 ELSE 0 END;\n  DELETE FROM t WHERE a = ';';\nEND;\n;\n/* only a comment */;\nSELECT 1";
        let parts = split_statements(script).unwrap();
        assert_eq!(parts.len(), 3);
        assert!(parts[1].starts_with("CREATE TRIGGER") && parts[1].ends_with("END"));
        assert_eq!(parts[2], "SELECT 1");
    }

    #[test]
    fn renames_rewrite_identifiers_only() {
        let renames = vec![("tasks".to_string(), "todos".to_string())];
        assert_eq!(rename_identifiers("SELECT id, 'tasks' FROM tasks -- tasks", &renames), "SELECT id, 'tasks' FROM \"todos\" -- tasks");
        assert!(mentions("SELECT * FROM [Tasks]", "tasks"));
        assert!(!mentions("SELECT 'tasks'", "tasks"));
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
        assert!(check_expression("lower(title").is_err());
        assert!(check_expression("1); DROP TABLE x; --").is_err());
    }
}
