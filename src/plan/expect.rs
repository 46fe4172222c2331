//! What a revision expects of the database it runs on.
//!
//! A revision is planned on one database and run on others: production
//! with a column or an index added by hand, a tenant, D1. A rebuild writes
//! the table anew from what it was planned with, so a column, an index or
//! a trigger the planning database did not have would be dropped, and
//! where foreign keys stay enforced a referencing table it did not know
//! would be emptied by the rebuild's `DROP TABLE`. So a generated section
//! records, for each table whose rows it moves, the shape that table had
//! when it was planned:
//!
//! ```sql
//! -- autogen:expect {"table":"t","columns":["k","a"],"indexes":["ix_t_a"],"triggers":[]}
//! ```
//!
//! and every runner checks it against the live database before the first
//! statement: the local engine inside the revision's transaction, D1 and
//! offline scripts through a guard statement ([`guard`]). A difference
//! stops the revision, named, and nothing runs. A hand-written revision
//! opts in by writing such lines (a list left out is not checked) and a
//! generated one opts out by deleting them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Plan, Step};
use crate::diff::Diff;
use crate::schema::*;
use crate::sql::quote::literal;

/// The comment that starts an expectation line.
pub const DIRECTIVE: &str = "autogen:expect";

/// One table as a section expects to find it. Names are as stored; a list
/// that is `None` is not checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub table: String,
    /// Every column, generated ones included, in the table's order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// The indexes made by CREATE INDEX (a UNIQUE or PRIMARY KEY
    /// constraint's own index is part of the table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Vec<String>>,
    /// The tables with a foreign key to this one, recorded where foreign
    /// keys stay enforced: the plan holds exactly these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referenced_by: Option<Vec<String>>,
}

/// An expectation line that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: `-- {DIRECTIVE}` {message}")]
pub struct ExpectError {
    /// The line within the section (1-based).
    pub line: usize,
    pub message: String,
}

/// A table as the live database has it: what [`shape_query`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shape {
    pub columns: Vec<String>,
    pub indexes: Vec<String>,
    pub triggers: Vec<String>,
    pub referenced_by: Vec<String>,
}

/// The expectations of a section planned as `plan` from `start` (the
/// database before the section, before its renames) through `diff`:
/// every table the plan rebuilds or holds. A table only ALTERed needs none:
/// ALTER changes it in place and keeps what it does not name, and SQLite
/// refuses an ALTER that meets something it does not expect.
pub fn expectations(start: &Schema, diff: &Diff, plan: &Plan, foreign_keys_on: bool) -> Vec<Expectation> {
    // The step's table (after the section's renames) by its name before them.
    let before = |name: &str| -> String {
        diff.renames
            .tables
            .iter()
            .find(|(_, new)| same_name(new, name))
            .map_or(name.to_string(), |(old, _)| old.clone())
    };
    let mut out: Vec<Expectation> = Vec::new();
    let mut seen = BTreeSet::new();
    for step in &plan.steps {
        let (name, rebuilt) = match step {
            Step::Rebuild(r) => (before(&r.from.name), true),
            Step::Hold(h) | Step::SetAside(h) => (before(&h.table), false),
            _ => continue,
        };
        if !seen.insert(fold(&name)) {
            // Held, then rebuilt: the rebuild's expectation says more.
            if let Some(e) = out.iter_mut().find(|e| same_name(&e.table, &name)).filter(|_| rebuilt) {
                e.indexes = shape_of(start, &name).map(|t| t.indexes.iter().map(|i| i.name.clone()).collect());
            }
            continue;
        }
        let Some(table) = shape_of(start, &name) else { continue };
        out.push(Expectation {
            table: table.name.clone(),
            columns: Some(table.columns.iter().map(|c| c.name.clone()).collect()),
            indexes: rebuilt.then(|| table.indexes.iter().map(|i| i.name.clone()).collect()),
            triggers: Some(triggers_on(start, &table.name)),
            referenced_by: foreign_keys_on.then(|| referencing(start, &table.name)),
        });
    }
    out
}

/// A table of the database, managed or excluded.
fn shape_of<'a>(start: &'a Schema, name: &str) -> Option<&'a Table> {
    start.table(name).or_else(|| start.outside.tables.get(&fold(name)))
}

fn triggers_on(start: &Schema, table: &str) -> Vec<String> {
    let mut names: Vec<String> = start
        .triggers
        .values()
        .chain(start.outside.triggers.values())
        .filter(|t| same_name(&t.table, table))
        .map(|t| t.name.clone())
        .collect();
    names.sort_by_key(|n| fold(n));
    names
}

/// Every table, excluded ones included, with a foreign key to `table`.
fn referencing(start: &Schema, table: &str) -> Vec<String> {
    let mut names: Vec<String> = start
        .tables
        .values()
        .chain(start.outside.tables.values())
        .filter(|t| t.foreign_keys.iter().any(|fk| same_name(&fk.ref_table, table)))
        .map(|t| t.name.clone())
        .collect();
    names.sort_by_key(|n| fold(n));
    names
}

/// The expectations as the first lines of a section, after a line saying
/// what they are for. Nothing when there are none.
pub fn render(expectations: &[Expectation]) -> String {
    if expectations.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "-- The tables whose rows this section moves, as they were when it was planned: autogen checks them \
         before the\n-- first statement and runs nothing on a database where they differ.\n",
    );
    for e in expectations {
        // serde_json escapes line breaks, so one line holds any name.
        let json = serde_json::to_string(e).unwrap_or_default();
        out.push_str(&format!("-- {DIRECTIVE} {json}\n"));
    }
    out.push('\n');
    out
}

/// The expectations a section's text holds, each with its line in the
/// section. A comment that starts `autogen:expect` and does not read is an
/// error (a check silently skipped would be worse than none written).
pub fn parse(section: &str) -> Result<Vec<Expectation>, ExpectError> {
    let mut out = Vec::new();
    for (i, line) in section.lines().enumerate() {
        let Some(comment) = line.trim().strip_prefix("--").map(str::trim) else { continue };
        let Some(rest) = comment.get(..DIRECTIVE.len()).filter(|h| h.eq_ignore_ascii_case(DIRECTIVE)) else {
            continue;
        };
        let rest = &comment[rest.len()..];
        let error = |message: String| ExpectError { line: i + 1, message };
        if !rest.starts_with([' ', '\t']) {
            return Err(error("must be followed by a space and one JSON object".into()));
        }
        let expectation: Expectation = serde_json::from_str(rest.trim()).map_err(|e| {
            error(format!(
                "is not a JSON object of `table` and the lists `columns`, `indexes`, `triggers`, \
                 `referenced_by`: {e}"
            ))
        })?;
        out.push(expectation);
    }
    Ok(out)
}

/// The queries that read the live [`Shape`] of every expected table at
/// once (one per table would scan `sqlite_schema` once each: quadratic in
/// a revision that rebuilds every table). Each row is a table (`t`), a kind
/// (`k`: `column`, `index`, `trigger`, `child`) and a name (`n`), columns
/// in their order. Plain SQL and table-valued PRAGMA functions, so that
/// every engine (D1 included) answers them; tables D1 keeps for itself
/// (`_cf_*`) and virtual tables are left out before a PRAGMA function meets
/// them; who references a table is read only where it is checked.
pub fn shape_queries(expected: &[Expectation]) -> Vec<String> {
    let names: Vec<&str> = expected.iter().map(|e| e.table.as_str()).collect();
    let list = literal(&serde_json::to_string(&names).unwrap_or_default());
    let mut queries = vec![
        format!(
            "SELECT j.value AS t, 'column' AS k, x.name AS n FROM json_each({list}) AS j JOIN pragma_table_xinfo(j.value) \
             AS x ORDER BY j.key, x.cid"
        ),
        // An online rebuild's mirror triggers and shadow tables are
        // autogen's own (`upgrade --online`), never the app's.
        "SELECT tbl_name AS t, type AS k, name AS n FROM sqlite_schema WHERE type IN ('index', 'trigger') AND sql IS \
         NOT NULL AND name NOT LIKE '\\_autogen\\_online\\_%' ESCAPE '\\'"
            .to_string(),
    ];
    if expected.iter().any(|e| e.referenced_by.is_some()) {
        queries.push(format!(
            "SELECT f.\"table\" AS t, 'child' AS k, m.name AS n FROM ({PLAIN_TABLES}) AS m JOIN \
             pragma_foreign_key_list(m.name) AS f"
        ));
    }
    queries
}

/// The tables whose PRAGMA functions can be called on every engine.
const PLAIN_TABLES: &str = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE \
                            '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE '\\_autogen\\_online\\_%' \
                            ESCAPE '\\' AND upper(substr(ltrim(sql), 1, 14)) <> \
                            'CREATE VIRTUAL'";

impl Shape {
    /// The shape of each expected table from the rows of
    /// [`shape_queries`] (table, kind, name), in `expected`'s order.
    pub fn all_from_rows<'a>(
        expected: &[Expectation],
        rows: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> Vec<Shape> {
        let mut shapes = vec![Shape::default(); expected.len()];
        let index: std::collections::HashMap<String, usize> =
            expected.iter().enumerate().map(|(i, e)| (fold(&e.table), i)).collect();
        for (table, kind, name) in rows {
            let Some(&i) = index.get(&fold(table)) else { continue };
            let shape = &mut shapes[i];
            let list = match kind {
                "column" => &mut shape.columns,
                "index" => &mut shape.indexes,
                "trigger" => &mut shape.triggers,
                _ => &mut shape.referenced_by,
            };
            if !list.iter().any(|n| same_name(n, name)) {
                list.push(name.to_string());
            }
        }
        shapes
    }
}

/// How the live table differs from what the section expects, one sentence
/// each, naming the object and what running would do to it.
pub fn differences(e: &Expectation, live: &Shape) -> Vec<String> {
    let t = &e.table;
    if live.columns.is_empty() {
        return vec![format!("table `{t}` is not there")];
    }
    let mut out = Vec::new();
    if let Some(columns) = &e.columns {
        let (extra, missing) = compare(columns, &live.columns);
        out.extend(extra.iter().map(|c| {
            format!(
                "`{t}` has a column `{c}` the revision was not planned with: the rebuild would drop it and its values"
            )
        }));
        out.extend(missing.iter().map(|c| format!("`{t}` has no column `{c}`, which the revision was planned with")));
        let same_order =
            columns.len() == live.columns.len() && columns.iter().zip(&live.columns).all(|(a, b)| same_name(a, b));
        if extra.is_empty() && missing.is_empty() && !same_order {
            out.push(format!(
                "`{t}` has its columns in another order ({}) than the revision was planned with ({}): a copy by \
                 position would put values in the wrong columns",
                live.columns.join(", "),
                columns.join(", ")
            ));
        }
    }
    if let Some(indexes) = &e.indexes {
        let (extra, missing) = compare(indexes, &live.indexes);
        out.extend(
            extra.iter().map(|i| {
                format!("`{t}` has an index `{i}` the revision was not planned with: the rebuild would drop it")
            }),
        );
        out.extend(missing.iter().map(|i| format!("`{t}` has no index `{i}`, which the revision was planned with")));
    }
    if let Some(triggers) = &e.triggers {
        let (extra, missing) = compare(triggers, &live.triggers);
        out.extend(extra.iter().map(|g| {
            format!(
                "`{t}` has a trigger `{g}` the revision was not planned with: the revision would drop it, or fire it \
                 while it moves the rows"
            )
        }));
        out.extend(missing.iter().map(|g| format!("`{t}` has no trigger `{g}`, which the revision was planned with")));
    }
    if let Some(children) = &e.referenced_by {
        let (extra, missing) = compare(children, &live.referenced_by);
        out.extend(extra.iter().map(|c| {
            format!(
                "`{c}` references `{t}` and the revision was not planned with it: foreign keys stay enforced here, \
                 so the rebuild of `{t}` would delete or change its rows"
            )
        }));
        out.extend(
            missing.iter().map(|c| format!("`{c}` does not reference `{t}`, as the revision was planned with it")),
        );
    }
    out
}

/// What `live` has that `expected` lacks, and what it lacks.
fn compare<'a>(expected: &'a [String], live: &'a [String]) -> (Vec<&'a String>, Vec<&'a String>) {
    let has = |list: &[String], n: &str| list.iter().any(|x| same_name(x, n));
    (live.iter().filter(|n| !has(expected, n)).collect(), expected.iter().filter(|n| !has(live, n)).collect())
}

/// A statement that stops the script it is in when the live table is not
/// as `e` expects (where no runner checks first: D1's one-file run, an
/// offline script), with `message`. Counts and memberships rather than an
/// ordered `group_concat`, which needs SQLite 3.44 (sqlite.md: `--sql`
/// output may meet an older `sqlite3`). Names compare ASCII
/// case-insensitively, as SQLite's do.
pub fn guard(e: &Expectation, message: &str) -> String {
    let t = literal(&e.table);
    let names = |list: &[String]| list.iter().map(|n| literal(&fold(n))).collect::<Vec<_>>().join(", ");
    let set = |from: &str, list: &[String]| {
        format!(
            "(SELECT count(*) FROM {from}) <> {} OR EXISTS (SELECT 1 FROM {from} WHERE lower(n) NOT IN ({}))",
            list.len(),
            names(list)
        )
    };
    // The table is there at all.
    let mut differs = vec![format!("NOT EXISTS (SELECT 1 FROM pragma_table_xinfo({t}))")];
    if let Some(columns) = &e.columns {
        let at: Vec<String> =
            columns.iter().enumerate().map(|(i, c)| format!("WHEN {i} THEN {}", literal(&fold(c)))).collect();
        let case = if at.is_empty() { "NULL".to_string() } else { format!("CASE cid {} END", at.join(" ")) };
        differs.push(format!(
            "(SELECT count(*) FROM pragma_table_xinfo({t})) <> {} OR EXISTS (SELECT 1 FROM pragma_table_xinfo({t}) \
             WHERE lower(name) IS NOT {case})",
            columns.len()
        ));
    }
    let objects = |kind: &str| {
        format!(
            "(SELECT name AS n FROM sqlite_schema WHERE type = '{kind}' AND sql IS NOT NULL AND tbl_name = {t} \
             COLLATE NOCASE)"
        )
    };
    if let Some(indexes) = &e.indexes {
        differs.push(set(&objects("index"), indexes));
    }
    if let Some(triggers) = &e.triggers {
        differs.push(set(&objects("trigger"), triggers));
    }
    if let Some(children) = &e.referenced_by {
        let from = format!(
            "(SELECT DISTINCT m.name AS n FROM (SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE \
             'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND upper(substr(ltrim(sql), 1, 14)) \
             <> 'CREATE VIRTUAL') AS m JOIN pragma_foreign_key_list(m.name) AS f ON f.\"table\" = {t} COLLATE NOCASE)"
        );
        differs.push(set(&from, children));
    }
    format!(
        "SELECT json_extract('{{}}', {}) WHERE {}",
        literal(&format!("{}{message}", crate::sql::GUARD_PREFIX)),
        differs.join(" OR ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expectation() -> Expectation {
        Expectation {
            table: "t".into(),
            columns: Some(vec!["k".into(), "a".into()]),
            indexes: Some(vec!["ix_a".into()]),
            triggers: Some(vec![]),
            referenced_by: None,
        }
    }

    #[test]
    fn a_rendered_expectation_reads_back_and_near_misses_are_errors() {
        let e = Expectation { table: "we\"ird\nname".into(), ..expectation() };
        let text = render(std::slice::from_ref(&e));
        assert_eq!(text.lines().filter(|l| l.contains(DIRECTIVE)).count(), 1, "{text}");
        assert_eq!(parse(&text).unwrap(), [e]);
        let bad = parse("SELECT 1;\n-- autogen:expect {\"table\": \"t\", \"colums\": []}").unwrap_err();
        assert_eq!(bad.line, 2);
        assert!(bad.message.contains("unknown field `colums`"), "{bad}");
        assert!(parse("-- autogen:expect{}").is_err());
        // A list left out is not checked.
        let partial = parse("-- autogen:expect {\"table\": \"t\", \"triggers\": []}").unwrap();
        assert_eq!((partial[0].columns.as_ref(), partial[0].triggers.as_deref()), (None, Some(&[][..])));
    }

    /// The guard and the live shape agree on a table as expected, and on
    /// each kind of drift.
    #[test]
    fn the_guard_and_the_shape_find_the_same_drift() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (k INT PRIMARY KEY, A TEXT); CREATE INDEX ix_a ON t (a);").unwrap();
        let shape = |conn: &rusqlite::Connection, e: &Expectation| {
            let mut rows: Vec<(String, String, String)> = Vec::new();
            for query in shape_queries(std::slice::from_ref(e)) {
                let mut stmt = conn.prepare(&query).unwrap();
                let found = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
                rows.extend(found.map(Result::unwrap));
            }
            let shapes = Shape::all_from_rows(
                std::slice::from_ref(e),
                rows.iter().map(|(t, k, n)| (t.as_str(), k.as_str(), n.as_str())),
            );
            shapes.into_iter().next().unwrap()
        };
        let fires = |conn: &rusqlite::Connection| conn.execute_batch(&guard(&expectation(), "drift")).is_err();
        assert_eq!(differences(&expectation(), &shape(&conn, &expectation())), Vec::<String>::new());
        assert!(!fires(&conn));
        for (drift, said) in [
            ("ALTER TABLE t ADD COLUMN extra TEXT", "has a column `extra`"),
            ("CREATE INDEX ix_extra ON t (k, a)", "has an index `ix_extra`"),
            ("CREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT 1; END", "has a trigger `g`"),
            ("DROP INDEX ix_a", "has no index `ix_a`"),
            ("DROP INDEX ix_a; ALTER TABLE t DROP COLUMN a; CREATE INDEX ix_a ON t (k)", "has no column `a`"),
            ("DROP TABLE t; CREATE TABLE t (a TEXT, k INT PRIMARY KEY); CREATE INDEX ix_a ON t (a)", "another order"),
            ("DROP TABLE t", "is not there"),
        ] {
            let conn = rusqlite::Connection::open_in_memory().unwrap();
            conn.execute_batch("CREATE TABLE t (k INT PRIMARY KEY, a TEXT); CREATE INDEX ix_a ON t (a);").unwrap();
            conn.execute_batch(drift).unwrap();
            let found = differences(&expectation(), &shape(&conn, &expectation()));
            assert!(found.iter().any(|d| d.contains(said)), "{drift}: {found:?}");
            assert!(fires(&conn), "{drift}: the guard lets it through");
        }
        // Children, where foreign keys stay on.
        let e = Expectation { referenced_by: Some(vec!["c".into()]), ..expectation() };
        conn.execute_batch("CREATE TABLE c (t_k INT REFERENCES t (k))").unwrap();
        assert!(differences(&e, &shape(&conn, &e)).is_empty() && conn.execute_batch(&guard(&e, "x")).is_ok());
        conn.execute_batch("CREATE TABLE d (t_k INT REFERENCES T)").unwrap();
        assert!(differences(&e, &shape(&conn, &e))[0].contains("`d` references `t`"));
        assert!(conn.execute_batch(&guard(&e, "x")).is_err());
    }
}
