//! What a diff will do to the rows that exist, counted in the live
//! database before anything runs: values a drop discards, and rows that will
//! make a NOT NULL, UNIQUE, CHECK or foreign key fail. Best effort: a count
//! that cannot be made gives no warning, never an error.

use crate::diff::{Change, ColumnChange, Constraint, Diff, TableChange};
use crate::engine::Engine;
use crate::schema::ddl;
use crate::schema::*;
use crate::sql::quote::ident;
use crate::words::count;

/// One count to make in the database, and the warning it gives when it is
/// more than zero.
struct Probe {
    /// What is counted, as JSON names it (`non_null_values`).
    what: &'static str,
    query: String,
    warning: Box<dyn Fn(i64) -> String>,
}

/// One sentence per change that touches existing data; the counts are
/// made together, in one request to the engine.
pub fn data_warnings(engine: &mut dyn Engine, diff: &Diff, to: &Schema) -> Vec<String> {
    measures(engine, diff, to).into_iter().filter(|m| m.count > 0).map(|m| m.warning).collect()
}

/// One count made for a change of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    /// The change's index in `diff.changes`.
    pub change: usize,
    /// What was counted, as JSON names it (`non_null_values`).
    pub what: &'static str,
    pub count: i64,
    /// The sentence the count gives when it is more than zero.
    pub warning: String,
}

/// Every count the changes of `diff` call for, made together in one
/// request to the engine; a count that cannot be made is left out.
pub fn measures(engine: &mut dyn Engine, diff: &Diff, to: &Schema) -> Vec<Measure> {
    let probes: Vec<(usize, Probe)> = diff
        .changes
        .iter()
        .enumerate()
        .flat_map(|(i, change)| probe(diff, to, change).into_iter().map(move |p| (i, p)))
        .collect();
    let queries: Vec<String> = probes.iter().map(|(_, p)| p.query.clone()).collect();
    let counts = engine.counts(&queries);
    probes
        .iter()
        .zip(counts)
        .filter_map(|((change, p), n)| {
            n.map(|count| Measure { change: *change, what: p.what, count, warning: (p.warning)(count) })
        })
        .collect()
}

/// The table's name in the database as it is now (before any rename).
fn stored_name(diff: &Diff, table: &str) -> String {
    diff.renames
        .tables
        .iter()
        .find(|(_, new)| same_name(new, table))
        .map(|(old, _)| old.clone())
        .unwrap_or_else(|| table.to_string())
}

/// A column's name in the database as it is now.
fn stored_column(diff: &Diff, table: &str, column: &str) -> String {
    diff.renames
        .columns
        .iter()
        .find(|(t, _, new)| same_name(t, table) && same_name(new, column))
        .map(|(_, old, _)| old.clone())
        .unwrap_or_else(|| column.to_string())
}

/// The collation a column gets from this diff, when the diff changes it.
fn new_collation(diff: &Diff, table: &str, column: &str) -> Option<String> {
    diff.changes.iter().find_map(|c| match c {
        Change::ModifyColumn { table: t, column: c, change: ColumnChange::Collation { to, .. } }
            if same_name(t, table) && same_name(c, column) =>
        {
            to.clone()
        }
        _ => None,
    })
}

fn probe(diff: &Diff, to: &Schema, change: &Change) -> Vec<Probe> {
    let one =
        |what: &'static str, query: String, warning: Box<dyn Fn(i64) -> String>| vec![Probe { what, query, warning }];
    match change {
        Change::RemoveTable(table) => {
            let name = table.name.clone();
            one(
                "rows",
                format!("SELECT count(*) FROM {}", ident(&name)),
                Box::new(move |n| format!("dropping table `{name}` discards {}", count(n, "row"))),
            )
        }
        Change::RemoveColumn { table, column } => {
            let t = ident(&stored_name(diff, table));
            // A NOT NULL column without a default comes back filled with
            // placeholders in the downgrade: its values are gone for good.
            let comes_back = if !column.nullable && column.default.is_none() && column.generated.is_none() {
                "; a downgrade brings the column back with placeholder values"
            } else {
                ""
            };
            let (table, name) = (table.clone(), column.name.clone());
            one(
                "non_null_values",
                format!("SELECT count(*) FROM {t} WHERE {} IS NOT NULL", ident(&name)),
                Box::new(move |n| {
                    format!("dropping `{table}.{name}` discards {}{comes_back}", count(n, "non-null value"))
                }),
            )
        }
        Change::ModifyColumn { table, column, change: ColumnChange::Nullable { to: false, .. } } => {
            let (t, c) = (ident(&stored_name(diff, table)), ident(&stored_column(diff, table, column)));
            let (table, column) = (table.clone(), column.clone());
            one(
                "null_rows",
                format!("SELECT count(*) FROM {t} WHERE {c} IS NULL"),
                Box::new(move |n| {
                    format!(
                        "`{table}.{column}` becomes NOT NULL but {} NULL: the upgrade will fail until they are filled",
                        count_verb(n, "row", "holds", "hold")
                    )
                }),
            )
        }
        Change::ModifyColumn { table, column, change: ColumnChange::Generated { from: None, to: Some(g) } } => {
            let (t, c) = (ident(&stored_name(diff, table)), ident(&stored_column(diff, table, column)));
            let (table, column, expr) = (table.clone(), column.clone(), g.expr.clone());
            one(
                "stored_values",
                format!("SELECT count(*) FROM {t} WHERE {c} IS NOT NULL"),
                Box::new(move |n| {
                    format!(
                        "`{table}.{column}` becomes a generated column: the {} it holds are replaced by `{expr}`",
                        count(n, "stored value")
                    )
                }),
            )
        }
        Change::ModifyColumn { table, column, change: ColumnChange::Type { from, to: new } } => {
            converted(diff, table, column, from, new)
                .into_iter()
                .chain(respelled(diff, table, column, from, new))
                .collect()
        }
        Change::AddColumn { table, column }
            if !column.nullable && column.default.is_none() && column.generated.is_none() =>
        {
            let (table, column) = (table.clone(), column.name.clone());
            one(
                "rows",
                format!("SELECT count(*) FROM {}", ident(&stored_name(diff, &table))),
                Box::new(move |n| {
                    format!(
                        "`{table}.{column}` is added NOT NULL without a default, but `{table}` has {}: the upgrade \
                            will fail unless they get a one-off value (`--fill {table}.{column}=VALUE`)",
                        count(n, "row")
                    )
                }),
            )
        }
        Change::AddConstraint { table, constraint: Constraint::Unique(u) } => {
            let keys: Vec<(String, Option<String>)> =
                u.columns.iter().map(|k| (k.name.clone(), k.collate.clone())).collect();
            duplicates(diff, table, &keys, "the new UNIQUE will fail").into_iter().collect()
        }
        Change::AddIndex { table, index } if index.unique && diff.renamed.table(table).is_some() => {
            // A partial index or one over expressions is counted by SQLite
            // when it is built; plain columns are counted here.
            let keys: Option<Vec<(String, Option<String>)>> = index
                .columns
                .iter()
                .map(|c| match &c.key {
                    IndexKey::Column(name) if index.where_clause.is_none() => Some((name.clone(), c.collate.clone())),
                    _ => None,
                })
                .collect();
            let outcome = "the new UNIQUE index will fail";
            keys.and_then(|keys| duplicates(diff, table, &keys, outcome)).into_iter().collect()
        }
        Change::ModifyTable { table, change: TableChange::PrimaryKey { to: Some(pk), .. } } => {
            let keys: Vec<(String, Option<String>)> = pk.columns.iter().map(|c| (c.clone(), None)).collect();
            let mut probes: Vec<Probe> =
                duplicates(diff, table, &keys, "the new PRIMARY KEY will fail").into_iter().collect();
            let must_hold =
                to.table(table).is_some_and(|t| t.without_rowid || (t.integer_primary_key().is_none() && t.strict));
            let not_null: Vec<&String> = pk
                .columns
                .iter()
                .filter(|c| to.table(table).and_then(|t| t.column(c)).is_some_and(|c| !c.nullable) || must_hold)
                .collect();
            if !not_null.is_empty() {
                let t = ident(&stored_name(diff, table));
                let any_null: Vec<String> =
                    not_null.iter().map(|c| format!("{} IS NULL", ident(&stored_column(diff, table, c)))).collect();
                let (table, names) =
                    (table.clone(), not_null.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "));
                probes.push(Probe {
                    what: "null_rows",
                    query: format!("SELECT count(*) FROM {t} WHERE {}", any_null.join(" OR ")),
                    warning: Box::new(move |n| {
                        format!(
                            "{} of `{table}` {} a NULL in the new PRIMARY KEY ({names}): the upgrade will fail",
                            count(n, "row"),
                            if n == 1 { "has" } else { "have" }
                        )
                    }),
                });
            }
            probes
        }
        Change::ModifyTable { table, change: TableChange::Strict { to: true, .. } } => {
            to.table(table).map(|t| strict_failures(diff, t)).unwrap_or_default()
        }
        Change::ModifyTable { table, change: TableChange::WithoutRowid { to: true, .. } } => {
            let keyed_by_rowid = diff.renamed.table(table).is_some_and(|t| t.integer_primary_key().is_some());
            if keyed_by_rowid {
                return Vec::new();
            }
            let table = table.clone();
            one(
                "rows",
                format!("SELECT count(*) FROM {}", ident(&stored_name(diff, &table))),
                Box::new(move |n| {
                    format!(
                        "`{table}` becomes WITHOUT ROWID: the rowids of its {} are discarded (its key is not the \
                        rowid)",
                        count(n, "row")
                    )
                }),
            )
        }
        Change::AddConstraint {
            table,
            constraint: Constraint::Check(check) | Constraint::ColumnCheck { check, .. },
        } => {
            let t = ident(&stored_name(diff, table));
            let (table, expr) = (table.clone(), check.expr.clone());
            one(
                "failing_rows",
                format!("SELECT count(*) FROM {t} WHERE NOT ({})", ddl::sql_text(&expr)),
                Box::new(move |n| {
                    format!(
                        "{} of `{table}` {} the new CHECK ({expr}): the upgrade will fail",
                        count(n, "row"),
                        if n == 1 { "fails" } else { "fail" }
                    )
                }),
            )
        }
        Change::AddForeignKey { table, foreign_key: fk } => foreign_key(diff, table, fk).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Stored values a new declared type converts, by the affinity it gives
/// (datatype3.html, "Type Affinity"): text that reads as a number goes to a
/// numeric affinity, numbers go to TEXT, integral reals to INTEGER or
/// NUMERIC, integers to REAL. A CAST has the affinity of its type, so
/// `CAST(c AS NUMERIC) = c` compares as that affinity would store `c`.
fn converted(diff: &Diff, table: &str, column: &str, from: &str, to: &str) -> Option<Probe> {
    use crate::schema::types::{affinity, Affinity};
    let (old, new) = (affinity(from), affinity(to));
    if old == new || new == Affinity::Blob {
        return None;
    }
    let (t, c) = (ident(&stored_name(diff, table)), ident(&stored_column(diff, table, column)));
    let text_as = |ty: &str| format!("(typeof({c}) = 'text' AND CAST({c} AS {ty}) = {c})");
    let condition = match new {
        Affinity::Text => format!("typeof({c}) IN ('integer', 'real')"),
        Affinity::Real => format!("typeof({c}) = 'integer' OR {}", text_as("REAL")),
        Affinity::Integer | Affinity::Numeric => {
            format!("(typeof({c}) = 'real' AND {c} = CAST({c} AS INTEGER)) OR {}", text_as("NUMERIC"))
        }
        Affinity::Blob => return None,
    };
    let (table, column, to) = (table.to_string(), column.to_string(), to.to_string());
    Some(Probe {
        what: "converted_values",
        query: format!("SELECT count(*) FROM {t} WHERE {condition}"),
        warning: Box::new(move |n| {
            format!(
                "`{table}.{column}` becomes {to}: {} stored in it {} to the new type's affinity",
                count(n, "value"),
                if n == 1 { "converts" } else { "convert" }
            )
        }),
    })
}

/// Text values a numeric affinity stores as the number they spell, and
/// that then read back as other text: `'007'` and `' 12'` become 7 and 12,
/// `'1e2'` becomes 100 (datatype3.html, "Type Affinity"). The conversion
/// is SQLite's and the change asks for it; what it costs is said, since a
/// downgrade cannot give the spelling back.
fn respelled(diff: &Diff, table: &str, column: &str, from: &str, to: &str) -> Option<Probe> {
    use crate::schema::types::{affinity, Affinity};
    let ty = match (affinity(from), affinity(to)) {
        (old, new) if old == new => return None,
        (_, Affinity::Integer | Affinity::Numeric) => "NUMERIC",
        (_, Affinity::Real) => "REAL",
        _ => return None,
    };
    let (t, c) = (ident(&stored_name(diff, table)), ident(&stored_column(diff, table, column)));
    let (table, column, to) = (table.to_string(), column.to_string(), to.to_string());
    Some(Probe {
        what: "respelled_values",
        query: format!(
            "SELECT count(*) FROM {t} WHERE typeof({c}) = 'text' AND CAST({c} AS {ty}) = {c} \
             AND CAST(CAST({c} AS {ty}) AS TEXT) <> {c}"
        ),
        warning: Box::new(move |n| {
            format!(
                "`{table}.{column}` becomes {to}: {n} of its text values {} spelled differently (`007` as `7`, \
                 `1e2` as `100`): SQLite stores text that spells a number as that number, and a downgrade cannot \
                 give the spelling back",
                if n == 1 { "reads back" } else { "read back" }
            )
        }),
    })
}

/// "`n` `noun`(s) `verb`", the verb agreeing with the count.
fn count_verb(n: i64, noun: &str, one: &str, many: &str) -> String {
    format!("{} {}", count(n, noun), if n == 1 { one } else { many })
}

/// Groups of rows that share the values of `keys` (compared under each
/// key's collation, else the column's after this diff): a new UNIQUE or
/// PRIMARY KEY over them fails.
fn duplicates(diff: &Diff, table: &str, keys: &[(String, Option<String>)], outcome: &'static str) -> Option<Probe> {
    let cols: Vec<String> = keys.iter().map(|(c, _)| ident(&stored_column(diff, table, c))).collect();
    let t = ident(&stored_name(diff, table));
    let not_null = cols.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
    let grouped: Vec<String> = keys
        .iter()
        .zip(&cols)
        .map(|((name, collate), c)| match collate.clone().or_else(|| new_collation(diff, table, name)) {
            Some(coll) => format!("{c} COLLATE {}", ident(&coll)),
            None => c.clone(),
        })
        .collect();
    let names = keys.iter().map(|(c, _)| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    let table = table.to_string();
    Some(Probe {
        what: "duplicate_groups",
        query: format!(
            "SELECT count(*) FROM (SELECT 1 FROM {t} WHERE {not_null} GROUP BY {} HAVING count(*) > 1)",
            grouped.join(", ")
        ),
        warning: Box::new(move |n| {
            format!(
                "{} of rows in `{table}` {} a value of {names}: {outcome}",
                count(n, "group"),
                if n == 1 { "shares" } else { "share" }
            )
        }),
    })
}

/// Rows whose values a STRICT table refuses to store: what its declared
/// types cannot take without loss (sqlite.org/stricttables.html).
fn strict_failures(diff: &Diff, table: &Table) -> Vec<Probe> {
    let t = ident(&stored_name(diff, &table.name));
    let mut out = Vec::new();
    for column in table.columns.iter().filter(|c| c.generated.is_none()) {
        let stored = stored_column(diff, &table.name, &column.name);
        if diff.renamed.table(&table.name).and_then(|t| t.column(&stored)).is_none() {
            continue;
        }
        let c = ident(&stored);
        let refused = match column.ty.as_str() {
            "INT" | "INTEGER" => format!(
                "typeof({c}) = 'blob' OR (typeof({c}) IN ('text', 'real') AND CAST(CAST({c} AS INTEGER) AS TEXT) <> \
                    trim(CAST({c} AS TEXT)) \
                 AND CAST(CAST({c} AS INTEGER) AS REAL) <> {c})"
            ),
            "REAL" => format!(
                "typeof({c}) = 'blob' OR (typeof({c}) = 'text' AND CAST({c} AS REAL) = 0 AND trim({c}) \
                NOT GLOB '*[0-9]*')"
            ),
            "TEXT" => format!("typeof({c}) = 'blob'"),
            "BLOB" => format!("typeof({c}) NOT IN ('blob', 'null')"),
            _ => continue,
        };
        let (name, column_name, ty) = (table.name.clone(), column.name.clone(), column.ty.clone());
        out.push(Probe {
            what: "refused_values",
            query: format!("SELECT count(*) FROM {t} WHERE {refused}"),
            warning: Box::new(move |n| {
                format!(
                    "`{name}` becomes STRICT but {} of `{column_name}` {} not store as {ty}: the upgrade will fail",
                    count(n, "value"),
                    if n == 1 { "does" } else { "do" }
                )
            }),
        });
    }
    out
}

/// Rows that a new foreign key will find without a parent. A column the
/// diff adds holds its default (or NULL) in every existing row.
fn foreign_key(diff: &Diff, table: &str, fk: &ForeignKey) -> Option<Probe> {
    let ([col], [parent_col]) = (fk.columns.as_slice(), fk.ref_columns.as_slice()) else { return None };
    let t = ident(&stored_name(diff, table));
    let parent = ident(&stored_name(diff, &fk.ref_table));
    let added = diff.changes.iter().find_map(|c| match c {
        Change::AddColumn { table: tt, column } if same_name(tt, table) && same_name(&column.name, col) => Some(column),
        _ => None,
    });
    let value = match added {
        Some(column) => match &column.default {
            None => return None,
            Some(d) => format!("({})", ddl::sql_text(d)),
        },
        None => ident(&stored_column(diff, table, col)),
    };
    let query = format!(
        "SELECT count(*) FROM {t} WHERE {value} IS NOT NULL AND {value} NOT IN (SELECT {} FROM {parent})",
        ident(parent_col)
    );
    let (table, col, parent_table, parent_col) =
        (table.to_string(), col.clone(), fk.ref_table.clone(), parent_col.clone());
    Some(Probe {
        what: "orphan_rows",
        query,
        warning: Box::new(move |n| {
            format!(
                "{} of `{table}` {} a `{col}` with no `{parent_table}.{parent_col}`: the new foreign key will fail",
                count(n, "row"),
                if n == 1 { "has" } else { "have" }
            )
        }),
    })
}
