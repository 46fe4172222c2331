//! Statements read for the text of their parts, and written again with a
//! part changed: what an online rebuild needs of a revision's rebuild (its
//! copy's columns and expressions, its indexes under other names).

use super::lexer::{closing_paren, tokenize, Token};
use super::quote::ident;

/// `INSERT [OR ...] INTO target [(columns)] SELECT values FROM source`,
/// the copy of every row of one table, read for its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeCopy {
    pub target: String,
    /// The column list; empty when the statement has none (`SELECT *` and
    /// a list as long as the target's columns).
    pub columns: Vec<String>,
    /// Each result column's SQL text; empty for `SELECT *`.
    pub values: Vec<String>,
    pub source: String,
}

/// The copy a statement makes, when it copies every row of one table into
/// another: no WHERE, join, GROUP BY, ORDER BY or LIMIT (which would make
/// it something else than a copy of the table).
pub fn whole_copy(sql: &str) -> Option<WholeCopy> {
    let t = tokenize(sql).ok()?;
    let into = t.iter().position(|x| x.is_keyword("INTO"))?;
    if !t.first()?.is_any_keyword(&["INSERT", "REPLACE"]) {
        return None;
    }
    let (target, mut i) = name_at(&t, into + 1)?;
    let mut columns = Vec::new();
    if t.get(i)?.is_punct("(") {
        let close = closing_paren(&t, i)?;
        columns = t[i + 1..close].iter().filter(|x| !x.is_punct(",")).filter_map(Token::name).collect();
        i = close + 1;
    }
    if !t.get(i)?.is_keyword("SELECT") {
        return None;
    }
    let first = i + 1;
    let mut depth = 0i32;
    let mut starts = vec![first];
    let mut from = None;
    for (j, token) in t.iter().enumerate().skip(first) {
        if token.is_punct("(") {
            depth += 1;
        } else if token.is_punct(")") {
            depth -= 1;
        } else if depth == 0 && token.is_punct(",") {
            starts.push(j + 1);
        } else if depth == 0 && token.is_keyword("FROM") {
            from = Some(j);
            break;
        }
    }
    let from = from?;
    let (source, end) = name_at(&t, from + 1)?;
    if end != t.len() {
        return None;
    }
    if t.get(first)?.is_any_keyword(&["DISTINCT", "ALL"]) {
        return None;
    }
    let values = if from == first + 1 && t[first].is_punct("*") {
        Vec::new()
    } else {
        let ends = starts.iter().skip(1).map(|s| s - 1).chain([from]);
        let texts: Option<Vec<String>> = starts
            .iter()
            .zip(ends)
            .map(|(&s, e)| (s < e).then(|| sql[t[s].start..t[e - 1].end()].to_string()))
            .collect();
        texts?
    };
    Some(WholeCopy { target, columns, values, source })
}

/// What follows the table's name in a `CREATE TABLE`: its columns,
/// constraints and options, as written.
pub fn table_body(sql: &str) -> Option<&str> {
    let t = tokenize(sql).ok()?;
    let at = created_name(&t, "TABLE")?;
    let (_, body) = name_at(&t, at)?;
    Some(sql[t.get(body)?.start..].trim_end())
}

/// Where the name of a `CREATE [UNIQUE|TEMP] kind [IF NOT EXISTS] name`
/// starts.
fn created_name(t: &[Token], kind: &str) -> Option<usize> {
    let keyword = t.iter().take(3).position(|x| x.is_keyword(kind))?;
    if !t.first()?.is_keyword("CREATE") {
        return None;
    }
    let at = keyword + 1;
    Some(if t.get(at).is_some_and(|x| x.is_keyword("IF")) { at + 3 } else { at })
}

/// A name at `i` (`schema.name` read as `name`) and where the next token is.
fn name_at(t: &[Token], i: usize) -> Option<(String, usize)> {
    let first = t.get(i).filter(|x| x.is_name())?;
    if t.get(i + 1).is_some_and(|x| x.is_punct(".")) {
        let second = t.get(i + 2).filter(|x| x.is_name())?;
        return Some((second.name()?, i + 3));
    }
    Some((first.name()?, i + 1))
}

/// A `CREATE [UNIQUE] INDEX` statement with its index named `name` and,
/// when given, on `table`: the rest (columns, WHERE) as written. `None`
/// for text that is not a CREATE INDEX.
pub fn index_renamed(sql: &str, name: &str, table: Option<&str>) -> Option<String> {
    let t = tokenize(sql).ok()?;
    let at = created_name(&t, "INDEX")?;
    let (_, on) = name_at(&t, at)?;
    if !t.get(on)?.is_keyword("ON") {
        return None;
    }
    let (_, rest) = name_at(&t, on + 1)?;
    let head = &sql[t[0].start..t[at].start];
    let target = match table {
        Some(table) => ident(table),
        None => sql[t[on + 1].start..t[rest - 1].end()].to_string(),
    };
    let tail = t.get(rest).map_or("", |x| &sql[x.start..]);
    Some(format!("{head}{} ON {target} {tail}", ident(name)).trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_copy_is_read_with_the_text_of_each_value() {
        let copy = whole_copy(r#"INSERT OR ABORT INTO "tmp" ("id", "b") SELECT "id", CAST(a AS REAL) FROM main."t""#);
        assert_eq!(
            copy,
            Some(WholeCopy {
                target: "tmp".into(),
                columns: vec!["id".into(), "b".into()],
                values: vec![r#""id""#.into(), "CAST(a AS REAL)".into()],
                source: "t".into(),
            })
        );
        let star = whole_copy(r#"INSERT OR ABORT INTO "tmp" SELECT * FROM "t""#).unwrap();
        assert_eq!((star.columns.len(), star.values.len(), star.source.as_str()), (0, 0, "t"));
        for partial in [
            "INSERT INTO tmp SELECT a FROM t WHERE a > 1",
            "INSERT INTO tmp SELECT a FROM t JOIN u",
            "INSERT INTO tmp SELECT DISTINCT a FROM t",
            "INSERT INTO tmp VALUES (1)",
            "INSERT INTO tmp SELECT a, FROM t",
        ] {
            assert_eq!(whole_copy(partial), None, "{partial}");
        }
    }

    #[test]
    fn a_table_body_is_what_follows_its_name() {
        assert_eq!(table_body("CREATE TABLE IF NOT EXISTS main.\"t\" (a INT, b) STRICT\n"), Some("(a INT, b) STRICT"));
        assert_eq!(table_body("CREATE INDEX i ON t (a)"), None);
    }

    #[test]
    fn an_index_is_renamed_in_its_text() {
        assert_eq!(
            index_renamed(
                r#"CREATE UNIQUE INDEX IF NOT EXISTS "ix" ON "t" ("a" DESC) WHERE a > 0"#,
                "new ix",
                Some("s")
            )
            .as_deref(),
            Some(r#"CREATE UNIQUE INDEX IF NOT EXISTS "new ix" ON "s" ("a" DESC) WHERE a > 0"#)
        );
        assert_eq!(
            index_renamed("CREATE INDEX main.ix ON t(a)", "j", None).as_deref(),
            Some(r#"CREATE INDEX "j" ON t (a)"#)
        );
        assert_eq!(index_renamed("CREATE TABLE t (a)", "j", None), None);
    }
}
