//! Declared column types: SQLAlchemy-style aliases and the normal form that
//! comparisons use.

/// The declared type a model's `type:` stands for, normalized.
///
/// Aliases are case-insensitive (model.md, "Type aliases"); anything that is
/// not an alias is the declared type itself.
pub fn resolve_type(declared: &str) -> String {
    let text = normalize_type(declared);
    let (name, args) = match text.find('(') {
        Some(i) if text.ends_with(')') => (&text[..i], Some(&text[i..])),
        _ => (text.as_str(), None),
    };
    let base = match (name, args.is_some()) {
        ("STRING" | "UNICODE", _) => "VARCHAR",
        ("TEXT" | "UNICODETEXT", false) => "TEXT",
        ("INTEGER", false) => "INTEGER",
        ("BIGINTEGER", false) => "BIGINT",
        ("SMALLINTEGER", false) => "SMALLINT",
        ("BOOLEAN", false) => "BOOLEAN",
        ("DATETIME", false) => "DATETIME",
        ("DATE", false) => "DATE",
        ("TIME", false) => "TIME",
        ("FLOAT", _) => "FLOAT",
        ("NUMERIC", _) => "NUMERIC",
        ("LARGEBINARY", false) => "BLOB",
        ("JSON", false) => "JSON",
        ("UUID", false) => return "CHAR(32)".to_string(),
        _ => return text,
    };
    format!("{base}{}", args.unwrap_or(""))
}

/// Type text in the form comparisons use: ASCII upper case, runs of white
/// space as one space, none around `(`, `)` and `,`. So `varchar( 50 )`
/// equals `VARCHAR(50)` (model.md, "Comparison rules").
pub fn normalize_type(declared: &str) -> String {
    let mut out = String::with_capacity(declared.len());
    let mut pending_space = false;
    for ch in declared.trim().chars() {
        if ch.is_whitespace() {
            pending_space = true;
            continue;
        }
        let tight = matches!(ch, '(' | ')' | ',');
        let after_tight = out.ends_with(['(', ',']);
        if pending_space && !tight && !after_tight && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(ch.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_case_insensitively() {
        assert_eq!(resolve_type("String(200)"), "VARCHAR(200)");
        assert_eq!(resolve_type("string"), "VARCHAR");
        assert_eq!(resolve_type("Unicode(10)"), "VARCHAR(10)");
        assert_eq!(resolve_type("UnicodeText"), "TEXT");
        assert_eq!(resolve_type("Text"), "TEXT");
        assert_eq!(resolve_type("BigInteger"), "BIGINT");
        assert_eq!(resolve_type("SmallInteger"), "SMALLINT");
        assert_eq!(resolve_type("Boolean"), "BOOLEAN");
        assert_eq!(resolve_type("DateTime"), "DATETIME");
        assert_eq!(resolve_type("Numeric(10, 2)"), "NUMERIC(10,2)");
        assert_eq!(resolve_type("LargeBinary"), "BLOB");
        assert_eq!(resolve_type("Uuid"), "CHAR(32)");
        assert_eq!(resolve_type("json"), "JSON");
    }

    #[test]
    fn other_types_are_themselves_normalized() {
        assert_eq!(resolve_type("varchar( 50 )"), "VARCHAR(50)");
        assert_eq!(resolve_type("unsigned   big int"), "UNSIGNED BIG INT");
        assert_eq!(resolve_type(""), "");
        assert_eq!(resolve_type("FLOATING POINT(5,10)"), "FLOATING POINT(5,10)");
        assert_eq!(normalize_type("character varying (8)"), "CHARACTER VARYING(8)");
        assert_eq!(normalize_type("DECIMAL( 10 , -2 )"), "DECIMAL(10,-2)");
    }
}
