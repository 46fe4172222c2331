//! Quoting: the one function that writes identifiers into the SQL autogen
//! builds ([`push_ident`], which [`ident`] returns as a string), and the one
//! that writes text values (sqlite.md, "Identifiers").

/// A name as a double-quoted SQLite identifier, inner `"` doubled.
///
/// ```
/// assert_eq!(autogen::sql::quote::ident(r#"say "hi"; --"#), r#""say ""hi""; --""#);
/// ```
pub fn ident(name: &str) -> String {
    let mut quoted = String::with_capacity(name.len() + 2);
    push_ident(&mut quoted, name);
    quoted
}

/// [`ident`] written at the end of `out`, for the DDL writer, which builds
/// a statement in one string.
pub fn push_ident(out: &mut String, name: &str) {
    out.push('"');
    for (i, part) in name.split('"').enumerate() {
        if i > 0 {
            out.push_str("\"\"");
        }
        out.push_str(part);
    }
    out.push('"');
}

/// A text value as an SQL string literal, inner `'` doubled.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
