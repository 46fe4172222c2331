//! Declared column types: SQLAlchemy-style aliases and the normal form that
//! comparisons use.

/// The declared type a model's `type:` stands for, normalized.
///
/// Aliases are case-insensitive (model.md, "Type aliases"); anything that is
/// not an alias is the declared type itself.
pub fn resolve_type(declared: &str) -> String {
    let text = normalize_type(declared);
    let (name, raw_args) = match text.find('(') {
        Some(i) if text.ends_with(')') => (&text[..i], Some(&text[i..])),
        _ => (text.as_str(), None),
    };
    // SQLAlchemy's keyword arguments (`DateTime(timezone=True)`,
    // `String(length=50)`) say nothing SQLite keeps but a length or a
    // precision: those stay, the rest go.
    let kept = raw_args.filter(|a| a.contains('=')).map(|a| {
        let values: Vec<&str> = a[1..a.len() - 1]
            .split(',')
            .filter_map(|arg| match arg.split_once('=') {
                Some((k, v)) if ["LENGTH", "PRECISION", "SCALE"].contains(&k.trim()) => Some(v.trim()),
                Some(_) => None,
                None => Some(arg.trim()),
            })
            .collect();
        if values.is_empty() {
            String::new()
        } else {
            format!("({})", values.join(","))
        }
    });
    let args = match &kept {
        Some(k) => (!k.is_empty()).then_some(k.as_str()),
        None => raw_args,
    };
    let alias = matches!(
        name,
        "STRING"
            | "UNICODE"
            | "TEXT"
            | "UNICODETEXT"
            | "INTEGER"
            | "BIGINTEGER"
            | "SMALLINTEGER"
            | "BOOLEAN"
            | "DATETIME"
            | "DATE"
            | "TIME"
            | "FLOAT"
            | "NUMERIC"
            | "LARGEBINARY"
            | "JSON"
            | "UUID"
    );
    if kept.is_some() && !alias {
        return text;
    }
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
/// equals `VARCHAR(50)` (model.md, "Comparison rules"). Quoted text inside
/// (`ENUM('a', 'b')`) is kept as written.
pub fn normalize_type(declared: &str) -> String {
    let mut out = String::with_capacity(declared.len());
    let mut pending_space = false;
    let mut quote: Option<char> = None;
    for ch in declared.trim().chars() {
        if let Some(q) = quote {
            out.push(ch);
            if ch == q {
                quote = None;
            }
            continue;
        }
        if ch == '\'' || ch == '"' {
            if pending_space && !out.is_empty() && !out.ends_with(['(', ',']) {
                out.push(' ');
            }
            pending_space = false;
            quote = Some(ch);
            out.push(ch);
            continue;
        }
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
        // SQLAlchemy's keyword arguments (the Alembic guide's own DateTime).
        assert_eq!(resolve_type("DateTime(timezone=True)"), "DATETIME");
        assert_eq!(resolve_type("String(length=50)"), "VARCHAR(50)");
        assert_eq!(resolve_type("Numeric(precision=10, scale=2)"), "NUMERIC(10,2)");
    }

    #[test]
    fn quoted_text_in_a_type_keeps_its_case() {
        assert_eq!(resolve_type("enum('a', 'B')"), "ENUM('a','B')");
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

/// The five column affinities (datatype3.html, "Type Affinity").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Text,
    Numeric,
    Integer,
    Real,
    Blob,
}

/// The affinity SQLite gives a declared type, by its five rules in order:
/// INT, then CHAR/CLOB/TEXT, then BLOB or no type, then REAL/FLOA/DOUB,
/// else NUMERIC.
pub fn affinity(declared: &str) -> Affinity {
    let upper = declared.to_ascii_uppercase();
    let has = |s: &str| upper.contains(s);
    if has("INT") {
        Affinity::Integer
    } else if has("CHAR") || has("CLOB") || has("TEXT") {
        Affinity::Text
    } else if has("BLOB") || upper.trim().is_empty() {
        Affinity::Blob
    } else if has("REAL") || has("FLOA") || has("DOUB") {
        Affinity::Real
    } else {
        Affinity::Numeric
    }
}

#[cfg(test)]
mod affinity_tests {
    use super::*;

    #[test]
    fn affinity_follows_sqlites_rules_in_order() {
        assert_eq!(affinity("VARCHAR(20)"), Affinity::Text);
        assert_eq!(affinity("CHARINT"), Affinity::Integer);
        assert_eq!(affinity("FLOATING POINT"), Affinity::Integer);
        assert_eq!(affinity(""), Affinity::Blob);
        assert_eq!(affinity("DOUBLE PRECISION"), Affinity::Real);
        assert_eq!(affinity("DATETIME"), Affinity::Numeric);
        assert_eq!(affinity("STRING"), Affinity::Numeric);
    }
}
