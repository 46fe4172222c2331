//! Schema objects as SQL text: the DDL writer. Every name goes through
//! [`ident`], or [`push_ident`] where a statement is built in one string
//! (sqlite.md, "Identifiers"). SQL expressions from the model
//! (defaults, checks, WHERE, views, triggers) are the user's SQL and are
//! written verbatim.

use super::*;
use crate::sql::lexer::{self, TokenKind};
use crate::sql::quote::{ident, push_ident};

fn idents(names: &[String]) -> String {
    let mut s = String::new();
    push_idents(&mut s, names);
    s
}

fn push_idents(out: &mut String, names: &[String]) {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_ident(out, name);
    }
}

/// `CREATE TABLE` for `table`, under `name` (a rebuild creates the new
/// definition under a temporary name first). Written into one string: a
/// `diff` of a large schema draws thousands.
pub fn create_table(table: &Table, name: &str) -> String {
    let mut sql = String::with_capacity(64 + 48 * table.columns.len());
    sql.push_str("CREATE TABLE ");
    push_ident(&mut sql, name);
    sql.push_str(" (\n");
    let mut first = true;
    let mut line = |sql: &mut String| {
        sql.push_str(if first { "    " } else { ",\n    " });
        first = false;
    };
    for c in &table.columns {
        line(&mut sql);
        push_column_definition(&mut sql, table, c);
    }
    for constraint in table_constraints(table) {
        line(&mut sql);
        sql.push_str(&constraint);
    }
    for fk in &table.foreign_keys {
        line(&mut sql);
        push_fk_definition(&mut sql, fk);
    }
    sql.push_str("\n)");
    match (table.strict, table.without_rowid) {
        (true, true) => sql.push_str(" STRICT, WITHOUT ROWID"),
        (true, false) => sql.push_str(" STRICT"),
        (false, true) => sql.push_str(" WITHOUT ROWID"),
        (false, false) => {}
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
    let mut s = String::new();
    push_column_definition(&mut s, table, c);
    s
}

fn push_column_definition(s: &mut String, table: &Table, c: &Column) {
    push_ident(s, &c.name);
    if !c.ty.is_empty() {
        s.push(' ');
        if is_plain_type(&c.ty) {
            s.push_str(&c.ty);
        } else {
            push_ident(s, &c.ty);
        }
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
            push_ident(s, name);
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
        push_ident(s, coll);
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
    let mut s = String::new();
    push_fk_definition(&mut s, f);
    s
}

fn push_fk_definition(s: &mut String, f: &ForeignKey) {
    if let Some(name) = &f.name {
        s.push_str("CONSTRAINT ");
        push_ident(s, name);
        s.push(' ');
    }
    s.push_str("FOREIGN KEY (");
    push_idents(s, &f.columns);
    s.push_str(") ");
    push_references_clause(s, f);
}

fn references_clause(f: &ForeignKey) -> String {
    let mut s = String::new();
    push_references_clause(&mut s, f);
    s
}

fn push_references_clause(s: &mut String, f: &ForeignKey) {
    s.push_str("REFERENCES ");
    push_ident(s, &f.ref_table);
    if !f.ref_columns.is_empty() {
        s.push_str(" (");
        push_idents(s, &f.ref_columns);
        s.push(')');
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
    let mut sql = String::with_capacity(64);
    sql.push_str(if index.unique { "CREATE UNIQUE INDEX " } else { "CREATE INDEX " });
    push_ident(&mut sql, &index.name);
    sql.push_str(" ON ");
    push_ident(&mut sql, &table.name);
    sql.push(' ');
    // Expressions as the table reads them (see `table_expr`).
    let plain = index.where_clause.is_none() && index.columns.iter().all(|c| matches!(c.key, IndexKey::Column(_)));
    if plain {
        push_index_definition(&mut sql, index);
        return sql;
    }
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
    push_index_definition(&mut sql, &index);
    sql
}

/// The key list and WHERE of an index: `("a", lower(title) DESC) WHERE ...`.
pub fn index_definition(index: &Index) -> String {
    let mut s = String::new();
    push_index_definition(&mut s, index);
    s
}

fn push_index_definition(s: &mut String, index: &Index) {
    s.push('(');
    for (i, c) in index.columns.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        match &c.key {
            IndexKey::Column(n) => push_ident(s, n),
            IndexKey::Expression(e) => s.push_str(e),
        }
        if let Some(coll) = &c.collate {
            s.push_str(" COLLATE ");
            push_ident(s, coll);
        }
        if c.desc {
            s.push_str(" DESC");
        }
    }
    s.push(')');
    if let Some(w) = &index.where_clause {
        s.push_str(" WHERE ");
        s.push_str(w);
    }
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
