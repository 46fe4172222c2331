//! Quoting: the one function that writes identifiers into the SQL autogen
//! builds, and the one that writes text values (sqlite.md, "Identifiers").

/// A name as a double-quoted SQLite identifier, inner `"` doubled.
///
/// ```
/// assert_eq!(autogen::sql::quote::ident(r#"say "hi"; --"#), r#""say ""hi""; --""#);
/// ```
pub fn ident(name: &str) -> String {
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('"');
    for ch in name.chars() {
        if ch == '"' {
            quoted.push('"');
        }
        quoted.push(ch);
    }
    quoted.push('"');
    quoted
}

/// A text value as an SQL string literal, inner `'` doubled.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
