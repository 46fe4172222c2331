//! SQL text compared as SQLite reads it: normalized, with double-quoted
//! tokens that name nothing read as the strings SQLite takes them for.

use std::collections::HashSet;

use crate::schema::*;
use crate::sql::lexer;

/// The names SQL text may refer to (tables, views, columns of both sides,
/// folded): a double-quoted token that is none of them is a string literal
/// to SQLite, and is compared as one.
///
/// The set is built on first use: most comparisons find the two texts
/// identical and never need it.
#[derive(Debug, Clone, Default)]
pub struct Names<'a> {
    schemas: Vec<&'a Schema>,
    set: std::cell::OnceCell<HashSet<String>>,
}

impl<'a> Names<'a> {
    pub fn of(schemas: &[&'a Schema]) -> Names<'a> {
        Names { schemas: schemas.to_vec(), set: std::cell::OnceCell::new() }
    }

    fn build(schemas: &[&Schema]) -> HashSet<String> {
        let mut set = HashSet::new();
        for s in schemas {
            for t in s.tables.values() {
                set.insert(fold(&t.name));
                set.extend(t.columns.iter().map(|c| fold(&c.name)));
            }
            set.extend(s.views.values().map(|v| fold(&v.name)));
            set.extend(s.views.values().flat_map(|v| v.columns.iter().map(|c| fold(c))));
        }
        set.extend(["rowid", "oid", "_rowid_", "new", "old", "excluded"].map(String::from));
        set
    }

    /// No names at all: in a DEFAULT every double-quoted token is a string.
    pub fn none() -> Names<'static> {
        Names { schemas: Vec::new(), set: HashSet::new().into() }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.set.get_or_init(|| Names::build(&self.schemas)).contains(&fold(name))
    }
}

/// Canonical SQL for comparisons; text that does not tokenize compares as
/// itself.
pub fn canon(sql: &str, names: &Names) -> String {
    lexer::normalize_in(sql, &|n| names.contains(n)).unwrap_or_else(|_| sql.trim().to_string())
}

pub(crate) fn same_sql(a: &str, b: &str, names: &Names) -> bool {
    a == b || canon(a, names) == canon(b, names)
}
