//! Schema objects as SQL text: the DDL writer. Every name goes through
//! [`ident`] (sqlite.md, "Identifiers"). SQL expressions from the model
//! (defaults, checks, WHERE, views, triggers) are the user's SQL and are
//! written verbatim.

use super::*;
use crate::sql::lexer::{self, TokenKind};
use crate::sql::quote::ident;

fn idents(names: &[String]) -> String {
    names.iter().map(|n| ident(n)).collect::<Vec<_>>().join(", ")
}

/// `CREATE TABLE` for `table`, under `name` (a rebuild creates the new
/// definition under a temporary name first).
pub fn create_table(table: &Table, name: &str) -> String {
    let mut lines: Vec<String> = table.columns.iter().map(|c| format!("    {}", column_definition(table, c))).collect();
    lines.extend(table_constraints(table).into_iter().map(|c| format!("    {c}")));
    let mut sql = format!("CREATE TABLE {} (\n{}\n)", ident(name), lines.join(",\n"));
    let options: Vec<&str> = [(table.strict, "STRICT"), (table.without_rowid, "WITHOUT ROWID")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, s)| *s)
        .collect();
    if !options.is_empty() {
        sql.push(' ');
        sql.push_str(&options.join(", "));
    }
    sql
}

/// A single-column primary key is written on its column: that is the only
/// place AUTOINCREMENT may go, and it reads as users write it.
fn column_primary_key<'a>(table: &'a Table, column: &Column) -> Option<&'a PrimaryKey> {
    table.primary_key.as_ref().filter(|pk| pk.columns.len() == 1 && same_name(&pk.columns[0], &column.name))
}

/// One column as it stands in CREATE TABLE or ADD COLUMN.
pub fn column_definition(table: &Table, c: &Column) -> String {
    let mut s = ident(&c.name);
    if !c.ty.is_empty() {
        s.push(' ');
        s.push_str(&type_sql(&c.ty));
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
        if let Some(conflict) = c.not_null_conflict {
            s.push_str(" ON CONFLICT ");
            s.push_str(conflict.as_sql());
        }
    }
    if let Some(pk) = column_primary_key(table, c) {
        if let Some(name) = &pk.name {
            s.push_str(" CONSTRAINT ");
            s.push_str(&ident(name));
        }
        s.push_str(" PRIMARY KEY");
        if pk.desc {
            s.push_str(" DESC");
        }
        if let Some(conflict) = pk.on_conflict {
            s.push_str(" ON CONFLICT ");
            s.push_str(conflict.as_sql());
        }
        if pk.autoincrement {
            s.push_str(" AUTOINCREMENT");
        }
    }
    if let Some(d) = &c.default {
        s.push_str(" DEFAULT ");
        // In a DEFAULT, SQLite reads every double-quoted token as a string.
        s.push_str(&default_sql(&lexer::dqs_to_strings(d, &|_| false)));
    }
    if let Some(coll) = &c.collate {
        s.push_str(" COLLATE ");
        s.push_str(&ident(coll));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(
            " GENERATED ALWAYS AS ({}) {}",
            sql_text(&g.expr),
            if g.stored { "STORED" } else { "VIRTUAL" }
        ));
    }
    for check in &c.checks {
        s.push(' ');
        s.push_str(&check_definition(&CheckConstraint {
            name: check.name.clone(),
            expr: table_expr(table, &check.expr),
        }));
    }
    s
}

/// A column for `ALTER TABLE ... ADD COLUMN`, with its foreign key written
/// as a column REFERENCES clause (the only form ADD COLUMN takes).
pub fn add_column_definition(table: &Table, c: &Column) -> String {
    let mut s = column_definition(table, c);
    for fk in table.foreign_keys.iter().filter(|f| f.columns.len() == 1 && same_name(&f.columns[0], &c.name)) {
        if let Some(name) = &fk.name {
            s.push_str(" CONSTRAINT ");
            s.push_str(&ident(name));
        }
        s.push(' ');
        s.push_str(&references_clause(fk));
    }
    s
}

fn table_constraints(table: &Table) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(pk) = table.primary_key.as_ref().filter(|pk| pk.columns.len() > 1) {
        let mut s = named(pk.name.as_deref());
        s.push_str(&format!("PRIMARY KEY ({})", idents(&pk.columns)));
        if let Some(c) = pk.on_conflict {
            s.push_str(" ON CONFLICT ");
            s.push_str(c.as_sql());
        }
        out.push(s);
    }
    out.extend(table.uniques.iter().map(unique_definition));
    out.extend(
        table
            .checks
            .iter()
            .map(|c| check_definition(&CheckConstraint { name: c.name.clone(), expr: table_expr(table, &c.expr) })),
    );
    out.extend(table.foreign_keys.iter().map(fk_definition));
    out
}

/// An expression of `table` as SQLite's RENAME would leave it: a
/// double-quoted token that names no column is a string literal (the DQS
/// misfeature), and is written as one, so that what we write is what stays.
pub fn table_expr(table: &Table, expr: &str) -> String {
    lexer::dqs_to_strings(expr, &|n| table.column(n).is_some() || same_name(n, &table.name) || is_rowid_name(n))
}

/// A declared type: written as is when it is words with an optional
/// `(n)` or `(n, m)`, else quoted, which SQLite dequotes back.
pub fn type_sql(ty: &str) -> String {
    if is_plain_type(ty) {
        ty.to_string()
    } else {
        ident(ty)
    }
}

/// parse.y's typetoken: names, then nothing, `(n)` or `(n, m)` with signed numbers.
fn is_plain_type(ty: &str) -> bool {
    // The usual case, plain words (`TEXT`, `UNSIGNED BIG INT`), needs no tokenizer.
    let word = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if ty.split(' ').all(word) {
        return true;
    }
    let Ok(tokens) = lexer::tokenize(ty) else { return false };
    let words = tokens.iter().take_while(|t| t.kind == TokenKind::Word).count();
    let rest = &tokens[words..];
    if words == 0 || rest.is_empty() {
        return words > 0;
    }
    let [open, args @ .., close] = rest else { return false };
    if !open.is_punct("(") || !close.is_punct(")") {
        return false;
    }
    let mut numbers = 0;
    for part in args.split(|t| t.is_punct(",")) {
        match part {
            [n] | [_, n]
                if n.kind == TokenKind::Number
                    && (part.len() == 1 || part[0].is_punct("-") || part[0].is_punct("+")) =>
            {
                numbers += 1
            }
            _ => return false,
        }
    }
    (1..=2).contains(&numbers)
}

fn named(name: Option<&str>) -> String {
    name.map(|n| format!("CONSTRAINT {} ", ident(n))).unwrap_or_default()
}

/// SQL text from the model, made safe to write something after: one that
/// ends in a `--` comment gets a newline.
pub fn sql_text(expr: &str) -> String {
    if lexer::ends_in_line_comment(expr) {
        format!("{expr}\n")
    } else {
        expr.to_string()
    }
}

pub fn unique_definition(u: &UniqueConstraint) -> String {
    let keys: Vec<String> = u.columns.iter().map(key_column).collect();
    let mut s = format!("{}UNIQUE ({})", named(u.name.as_deref()), keys.join(", "));
    if let Some(c) = u.on_conflict {
        s.push_str(" ON CONFLICT ");
        s.push_str(c.as_sql());
    }
    s
}

/// A key column with its collation and order: `"email" COLLATE "NOCASE" DESC`.
fn key_column(c: &KeyColumn) -> String {
    let mut s = ident(&c.name);
    if let Some(coll) = &c.collate {
        s.push_str(" COLLATE ");
        s.push_str(&ident(coll));
    }
    if c.desc {
        s.push_str(" DESC");
    }
    s
}

pub fn check_definition(c: &CheckConstraint) -> String {
    format!("{}CHECK ({})", named(c.name.as_deref()), sql_text(&c.expr))
}

pub fn fk_definition(f: &ForeignKey) -> String {
    format!("{}FOREIGN KEY ({}) {}", named(f.name.as_deref()), idents(&f.columns), references_clause(f))
}

fn references_clause(f: &ForeignKey) -> String {
    let mut s = format!("REFERENCES {}", ident(&f.ref_table));
    if !f.ref_columns.is_empty() {
        s.push_str(&format!(" ({})", idents(&f.ref_columns)));
    }
    if f.on_delete != FkAction::NoAction {
        s.push_str(" ON DELETE ");
        s.push_str(f.on_delete.as_sql());
    }
    if f.on_update != FkAction::NoAction {
        s.push_str(" ON UPDATE ");
        s.push_str(f.on_update.as_sql());
    }
    if f.deferrable {
        s.push_str(" DEFERRABLE INITIALLY DEFERRED");
    }
    s
}

/// A DEFAULT value: SQLite takes a literal, a signed number or a bare word
/// as is, and any other expression only in parentheses
/// (sqlite.org/lang_createtable.html#the_default_clause).
pub fn default_sql(expr: &str) -> String {
    let expr = expr.trim();
    if lexer::ends_in_line_comment(expr) {
        format!("({expr}\n)")
    } else if is_plain_default(expr) {
        expr.to_string()
    } else {
        format!("({expr})")
    }
}

fn is_plain_default(expr: &str) -> bool {
    let Ok(tokens) = lexer::tokenize(expr) else {
        return false;
    };
    match tokens.as_slice() {
        [t] => matches!(t.kind, TokenKind::Number | TokenKind::String | TokenKind::Blob | TokenKind::Word),
        [sign, n] => (sign.is_punct("-") || sign.is_punct("+")) && n.kind == TokenKind::Number,
        [open, .., close] if open.is_punct("(") && close.is_punct(")") => {
            lexer::closing_paren(&tokens, 0) == Some(tokens.len() - 1)
        }
        _ => false,
    }
}

pub fn create_index(index: &Index, table: &Table) -> String {
    let mut index = index.clone();
    for c in &mut index.columns {
        // A key that is one quoted token stays as it is: SQLite reads a lone
        // string literal key as a column name, and takes `"x"` as the string.
        if let IndexKey::Expression(e) = &mut c.key {
            if !lexer::tokenize(e).is_ok_and(|t| t.len() == 1) {
                *e = table_expr(table, e);
            }
        }
    }
    index.where_clause = index.where_clause.as_deref().map(|w| table_expr(table, w));
    format!(
        "CREATE {}INDEX {} ON {} {}",
        if index.unique { "UNIQUE " } else { "" },
        ident(&index.name),
        ident(&table.name),
        index_definition(&index)
    )
}

/// The key list and WHERE of an index: `("a", lower(title) DESC) WHERE ...`.
pub fn index_definition(index: &Index) -> String {
    let keys: Vec<String> = index
        .columns
        .iter()
        .map(|c| {
            let mut s = match &c.key {
                IndexKey::Column(n) => ident(n),
                IndexKey::Expression(e) => e.clone(),
            };
            if let Some(coll) = &c.collate {
                s.push_str(" COLLATE ");
                s.push_str(&ident(coll));
            }
            if c.desc {
                s.push_str(" DESC");
            }
            s
        })
        .collect();
    let mut s = format!("({})", keys.join(", "));
    if let Some(w) = &index.where_clause {
        s.push_str(" WHERE ");
        s.push_str(w);
    }
    s
}

pub fn create_view(view: &View) -> String {
    let columns = if view.columns.is_empty() { String::new() } else { format!(" ({})", idents(&view.columns)) };
    format!("CREATE VIEW {}{columns} AS\n{}", ident(&view.name), view.sql)
}

pub fn drop_table(name: &str) -> String {
    format!("DROP TABLE {}", ident(name))
}

pub fn drop_index(name: &str) -> String {
    format!("DROP INDEX {}", ident(name))
}

pub fn drop_view(name: &str) -> String {
    format!("DROP VIEW {}", ident(name))
}

pub fn drop_trigger(name: &str) -> String {
    format!("DROP TRIGGER {}", ident(name))
}

pub fn rename_table(from: &str, to: &str) -> String {
    format!("ALTER TABLE {} RENAME TO {}", ident(from), ident(to))
}

pub fn rename_column(table: &str, from: &str, to: &str) -> String {
    format!("ALTER TABLE {} RENAME COLUMN {} TO {}", ident(table), ident(from), ident(to))
}

pub fn add_column(table: &Table, column: &Column) -> String {
    format!("ALTER TABLE {} ADD COLUMN {}", ident(&table.name), add_column_definition(table, column))
}

pub fn drop_column(table: &str, column: &str) -> String {
    format!("ALTER TABLE {} DROP COLUMN {}", ident(table), ident(column))
}

/// The whole schema as DDL, parents before children: what `inspect --sql`
/// prints and what the rehearsal and `check --replay` build.
pub fn schema_ddl(schema: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for table in crate::schema::order::parents_first(schema) {
        out.push(create_table(table, &table.name));
        out.extend(table.indexes.iter().map(|i| create_index(i, table)));
    }
    for view in crate::schema::order::views_in_order(schema.views.values()) {
        out.push(create_view(view));
    }
    out.extend(schema.triggers.values().map(|t| t.sql.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_quoted_and_doubled() {
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("my \"col\""), "\"my \"\"col\"\"\"");
        assert_eq!(ident("ünï; --x"), "\"ünï; --x\"");
        assert_eq!(crate::sql::quote::literal("it's"), "'it''s'");
    }

    #[test]
    fn types_are_quoted_unless_sqlite_reads_them_as_written() {
        assert_eq!(type_sql("VARCHAR(10)"), "VARCHAR(10)");
        assert_eq!(type_sql("UNSIGNED BIG INT"), "UNSIGNED BIG INT");
        assert_eq!(type_sql("DECIMAL(+1,-10)"), "DECIMAL(+1,-10)");
        assert_eq!(type_sql("VARCHAR(+1,-10,5)"), "\"VARCHAR(+1,-10,5)\"");
        assert_eq!(type_sql("CHAR.3"), "\"CHAR.3\"");
        assert_eq!(type_sql("_T2 X"), "_T2 X");
        assert_eq!(type_sql("INT 9"), "\"INT 9\"");
        assert_eq!(type_sql("9X"), "\"9X\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn defaults_get_parentheses_only_when_sqlite_needs_them() {
        assert_eq!(default_sql("0"), "0");
        assert_eq!(default_sql("-1"), "-1");
        assert_eq!(default_sql("'it''s'"), "'it''s'");
        assert_eq!(default_sql("CURRENT_TIMESTAMP"), "CURRENT_TIMESTAMP");
        assert_eq!(default_sql("(0)"), "(0)");
        assert_eq!(default_sql("datetime('now')"), "(datetime('now'))");
        assert_eq!(default_sql("(1) + (2)"), "((1) + (2))");
        assert_eq!(default_sql("x'00'"), "x'00'");
    }
}
