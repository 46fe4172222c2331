//! What one statement of a revision does, as far as reviewing it needs:
//! which table it creates, drops, renames, alters or fills, and whether it
//! controls transactions or foreign keys. Read from SQLite's grammar
//! (lang_createtable, lang_altertable, lang_insert, lang_transaction); a
//! statement this does not know is [`Statement::Other`], never an error.

use super::lexer::{closing_paren, tokenize, Token, TokenKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    CreateTable {
        name: String,
        /// `CREATE TABLE x AS SELECT ... FROM source`: the table it copies.
        as_select_from: Option<String>,
    },
    DropTable {
        name: String,
    },
    RenameTable {
        from: String,
        to: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
    },
    DropColumn {
        table: String,
        column: String,
    },
    /// `INSERT INTO table [(columns)] SELECT items FROM source`, or with VALUES.
    Insert {
        table: String,
        /// The column list; empty when the statement has none.
        columns: Vec<String>,
        copy: Option<Copy>,
    },
    CreateIndex {
        name: String,
        table: String,
        unique: bool,
    },
    /// `DELETE FROM table` without a WHERE: every row.
    DeleteAll {
        table: String,
    },
    /// BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE.
    Transaction(String),
    Pragma {
        name: String,
    },
    Other,
}

/// The SELECT an INSERT copies from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub source: String,
    /// Each result column: `Some(name)` when it is a plain column name,
    /// `None` for any other expression. `SELECT *` is [`Items::All`].
    pub items: Items,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Items {
    All,
    Each(Vec<Option<String>>),
}

/// Reads one statement (without its `;`).
pub fn classify(sql: &str) -> Statement {
    // Most of a big revision is CREATE TABLE and guard SELECTs: what they
    // are shows in their first tokens, so those are all that is read.
    const HEAD: usize = 12;
    let Ok(head) = crate::sql::lexer::tokenize_head(sql, HEAD) else { return Statement::Other };
    let first = head.first();
    if first.is_some_and(|f| f.is_any_keyword(&["SELECT", "WITH", "UPDATE", "VALUES"])) {
        return Statement::Other;
    }
    if first.is_some_and(|f| f.is_keyword("CREATE")) && (head.len() < HEAD || !creates_as_select(&head)) {
        return read(&head);
    }
    let Ok(tokens) = tokenize(sql) else { return Statement::Other };
    read(&tokens)
}

/// Whether a CREATE's head may be `CREATE TABLE ... AS SELECT`, which
/// needs the whole statement.
fn creates_as_select(head: &[Token]) -> bool {
    head.iter().any(|t| t.is_keyword("AS")) || !head.iter().any(|t| t.is_punct("("))
}

/// The statement from its tokens (all of them, or a head that says it all).
fn read(t: &[Token]) -> Statement {
    let kw = |i: usize, k: &str| t.get(i).is_some_and(|tok| tok.is_keyword(k));
    let Some(first) = t.first() else { return Statement::Other };
    if first.is_any_keyword(&["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"]) {
        return Statement::Transaction(first.text.to_ascii_uppercase());
    }
    if first.is_keyword("PRAGMA") {
        let (name, _) = qualified(t, 1);
        return name.map_or(Statement::Other, |name| Statement::Pragma { name });
    }
    if first.is_keyword("CREATE") {
        let mut i = 1;
        if t.get(i).is_some_and(|x| x.is_any_keyword(&["TEMP", "TEMPORARY"])) {
            i += 1;
        }
        let unique = kw(i, "UNIQUE");
        if unique {
            i += 1;
        }
        if kw(i, "TABLE") {
            let (name, next) = qualified(t, skip_if_not_exists(t, i + 1));
            let Some(name) = name else { return Statement::Other };
            let as_select_from = kw(next, "AS").then(|| from_table(t, next + 1)).flatten();
            return Statement::CreateTable { name, as_select_from };
        }
        if kw(i, "INDEX") {
            let (name, next) = qualified(t, skip_if_not_exists(t, i + 1));
            let (Some(name), true) = (name, kw(next, "ON")) else { return Statement::Other };
            let (table, _) = qualified(t, next + 1);
            return table.map_or(Statement::Other, |table| Statement::CreateIndex { name, table, unique });
        }
        return Statement::Other;
    }
    if first.is_keyword("DROP") && kw(1, "TABLE") {
        let at = if kw(2, "IF") && kw(3, "EXISTS") { 4 } else { 2 };
        return qualified(t, at).0.map_or(Statement::Other, |name| Statement::DropTable { name });
    }
    if first.is_keyword("ALTER") && kw(1, "TABLE") {
        return alter(t);
    }
    if first.is_any_keyword(&["INSERT", "REPLACE"]) {
        return insert(t);
    }
    if first.is_keyword("DELETE") && kw(1, "FROM") {
        let (name, next) = qualified(t, 2);
        if let (Some(table), true) = (name, next == t.len()) {
            return Statement::DeleteAll { table };
        }
    }
    Statement::Other
}

fn skip_if_not_exists(t: &[Token], i: usize) -> usize {
    let kw = |i: usize, k: &str| t.get(i).is_some_and(|tok| tok.is_keyword(k));
    if kw(i, "IF") && kw(i + 1, "NOT") && kw(i + 2, "EXISTS") {
        i + 3
    } else {
        i
    }
}

/// A name at `i`, `schema.name` read as `name`; and where the tokens after it start.
fn qualified(t: &[Token], i: usize) -> (Option<String>, usize) {
    let Some(first) = t.get(i).filter(|x| x.is_name()) else { return (None, i) };
    if t.get(i + 1).is_some_and(|x| x.is_punct(".")) {
        if let Some(second) = t.get(i + 2).filter(|x| x.is_name()) {
            return (second.name(), i + 3);
        }
    }
    (first.name(), i + 1)
}

fn alter(t: &[Token]) -> Statement {
    let kw = |i: usize, k: &str| t.get(i).is_some_and(|tok| tok.is_keyword(k));
    let (Some(table), i) = qualified(t, 2) else { return Statement::Other };
    if kw(i, "RENAME") && kw(i + 1, "TO") {
        return qualified(t, i + 2).0.map_or(Statement::Other, |to| Statement::RenameTable { from: table, to });
    }
    if kw(i, "RENAME") {
        let at = if kw(i + 1, "COLUMN") { i + 2 } else { i + 1 };
        let from = t.get(at).and_then(Token::name);
        let to = kw(at + 1, "TO").then(|| t.get(at + 2).and_then(Token::name)).flatten();
        return match (from, to) {
            (Some(from), Some(to)) => Statement::RenameColumn { table, from, to },
            _ => Statement::Other,
        };
    }
    if kw(i, "ADD") {
        return Statement::AddColumn { table };
    }
    if kw(i, "DROP") {
        let at = if kw(i + 1, "COLUMN") { i + 2 } else { i + 1 };
        return t
            .get(at)
            .and_then(Token::name)
            .map_or(Statement::Other, |column| Statement::DropColumn { table, column });
    }
    Statement::Other
}

fn insert(t: &[Token]) -> Statement {
    let Some(into) = t.iter().position(|x| x.is_keyword("INTO")) else { return Statement::Other };
    let (Some(table), mut i) = qualified(t, into + 1) else { return Statement::Other };
    if t.get(i).is_some_and(|x| x.is_keyword("AS")) {
        i += 2;
    }
    let mut columns = Vec::new();
    if t.get(i).is_some_and(|x| x.is_punct("(")) {
        let Some(close) = closing_paren(t, i) else { return Statement::Other };
        columns = t[i + 1..close].iter().filter(|x| !x.is_punct(",")).filter_map(Token::name).collect();
        i = close + 1;
    }
    let copy = t.get(i).filter(|x| x.is_keyword("SELECT")).and_then(|_| select(t, i + 1));
    Statement::Insert { table, columns, copy }
}

/// `SELECT [DISTINCT|ALL] items FROM source` at `i` (after SELECT).
fn select(t: &[Token], mut i: usize) -> Option<Copy> {
    if t.get(i).is_some_and(|x| x.is_any_keyword(&["DISTINCT", "ALL"])) {
        i += 1;
    }
    let from = top_level(t, i).find(|&j| t[j].is_keyword("FROM"))?;
    let list = &t[i..from];
    let (source, next) = qualified(t, from + 1);
    let source = source?;
    // A join, a second table or an alias is not a plain copy of one table.
    if t.get(next).is_some_and(|x| !x.is_any_keyword(&["WHERE", "ORDER", "GROUP", "LIMIT", "ON"])) {
        return None;
    }
    if matches!(list, [star] if star.is_punct("*")) {
        return Some(Copy { source, items: Items::All });
    }
    let mut items = Vec::new();
    let mut start = 0;
    for j in top_level(list, 0).filter(|&j| list[j].is_punct(",")).chain([list.len()]) {
        items.push(plain_column(&list[start..j], &source));
        start = j + 1;
    }
    Some(Copy { source, items: Items::Each(items) })
}

/// A result column that is one column of `source` (`c`, `source.c`, `"c"`).
fn plain_column(item: &[Token], source: &str) -> Option<String> {
    match item {
        [c] if matches!(c.kind, TokenKind::Word | TokenKind::Quoted) => c.name(),
        [t, dot, c] if dot.is_punct(".") && t.name().is_some_and(|n| n.eq_ignore_ascii_case(source)) => c.name(),
        _ => None,
    }
}

/// The source table of `SELECT ... FROM name` starting at `i`.
fn from_table(t: &[Token], i: usize) -> Option<String> {
    if !t.get(i).is_some_and(|x| x.is_keyword("SELECT")) {
        return None;
    }
    select(t, i + 1).map(|c| c.source)
}

/// The indexes from `i` on of tokens outside any parentheses.
fn top_level<'t>(t: &'t [Token], i: usize) -> impl Iterator<Item = usize> + 't {
    let mut depth = 0i32;
    (i..t.len()).filter(move |&j| {
        if t[j].is_punct("(") {
            depth += 1;
        } else if t[j].is_punct(")") {
            depth -= 1;
            return false;
        }
        depth == 0 && !t[j].is_punct("(")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_read_for_what_they_do() {
        assert_eq!(
            classify(r#"CREATE TABLE IF NOT EXISTS main."_tmp" (a INT)"#),
            Statement::CreateTable { name: "_tmp".into(), as_select_from: None }
        );
        assert_eq!(
            classify("CREATE TABLE t2 AS SELECT * FROM t"),
            Statement::CreateTable { name: "t2".into(), as_select_from: Some("t".into()) }
        );
        assert_eq!(classify("drop table if exists [t]"), Statement::DropTable { name: "t".into() });
        assert_eq!(
            classify(r#"ALTER TABLE "a" RENAME TO "b""#),
            Statement::RenameTable { from: "a".into(), to: "b".into() }
        );
        assert_eq!(
            classify("ALTER TABLE t RENAME x TO y"),
            Statement::RenameColumn { table: "t".into(), from: "x".into(), to: "y".into() }
        );
        assert_eq!(
            classify("ALTER TABLE t DROP COLUMN c"),
            Statement::DropColumn { table: "t".into(), column: "c".into() }
        );
        assert_eq!(classify("ALTER TABLE t ADD c INT"), Statement::AddColumn { table: "t".into() });
        assert_eq!(
            classify("CREATE UNIQUE INDEX i ON t (a)"),
            Statement::CreateIndex { name: "i".into(), table: "t".into(), unique: true }
        );
        assert_eq!(classify("begin immediate"), Statement::Transaction("BEGIN".into()));
        assert_eq!(classify("PRAGMA foreign_keys = OFF"), Statement::Pragma { name: "foreign_keys".into() });
        assert_eq!(classify("UPDATE t SET a = 1"), Statement::Other);
    }

    #[test]
    fn a_copy_names_its_columns() {
        let Statement::Insert { table, columns, copy } =
            classify(r#"INSERT OR ABORT INTO "tmp" ("id", "b") SELECT "id", t.a FROM "t" WHERE x > (1, 2)"#)
        else {
            panic!("not an insert")
        };
        assert_eq!((table.as_str(), columns), ("tmp", vec!["id".to_string(), "b".to_string()]));
        let copy = copy.unwrap();
        assert_eq!(copy.source, "t");
        assert_eq!(copy.items, Items::Each(vec![Some("id".into()), Some("a".into())]));
        let Statement::Insert { copy, .. } = classify("INSERT INTO tmp SELECT * FROM t") else { panic!() };
        assert_eq!(copy.unwrap().items, Items::All);
        let Statement::Insert { copy, .. } = classify("INSERT INTO tmp SELECT a + 1, b FROM t JOIN u") else {
            panic!()
        };
        assert_eq!(copy, None);
        let Statement::Insert { copy, .. } = classify("INSERT INTO t VALUES (1)") else { panic!() };
        assert_eq!(copy, None);
    }
}
