//! Property test: random pairs of schemas, a database of the first with
//! rows, migrated to the second and back. Every generated migration must
//! converge (empty re-diff), keep the rows, leave a healthy database, and
//! come back to the start. The schemas mix rowid-alias and other integer
//! keys, conflict clauses, named and unnamed constraints, column- and
//! table-level CHECKs, and UNIQUE keys with collations and orders.
//! PROPTEST_CASES sets the count (CI runs 48).

mod support;

use autogen::schema::*;
use proptest::prelude::*;

const TYPES: [&str; 4] = ["INTEGER", "TEXT", "BLOB", ""];
const STRICT_TYPES: [&str; 2] = ["INTEGER", "TEXT"];

#[derive(Debug, Clone)]
struct ColumnSpec {
    ty: usize,
    not_null_default: Option<usize>,
    unique: bool,
    indexed: bool,
    collate: bool,
    check: bool,
    /// Bits: the constraints named, the CHECK on the column, the UNIQUE key
    /// DESC and NOCASE, a conflict clause on UNIQUE and NOT NULL.
    style: u8,
}

#[derive(Debug, Clone)]
struct TableSpec {
    columns: Vec<Option<ColumnSpec>>,
    strict: bool,
    without_rowid: bool,
    autoincrement: bool,
    fk_to_parent: bool,
    /// 0: INTEGER PRIMARY KEY (the rowid); 1: INT PRIMARY KEY; 2: INTEGER
    /// PRIMARY KEY DESC (neither is a rowid alias).
    key: usize,
}

const DEFAULTS: [&str; 4] = ["0", "'x'", "(1 + 1)", "CURRENT_TIMESTAMP"];

fn column_spec() -> impl Strategy<Value = ColumnSpec> {
    (
        0..TYPES.len(),
        proptest::option::of(0..DEFAULTS.len()),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(|(ty, not_null_default, unique, indexed, collate, check, style)| ColumnSpec {
            ty,
            not_null_default,
            unique,
            indexed,
            collate,
            check,
            style,
        })
}

fn table_spec() -> impl Strategy<Value = TableSpec> {
    (
        proptest::collection::vec(proptest::option::of(column_spec()), 4),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0usize..3,
    )
        .prop_map(|(columns, strict, without_rowid, autoincrement, fk_to_parent, key)| TableSpec {
            columns,
            strict,
            without_rowid,
            autoincrement,
            fk_to_parent,
            key,
        })
}

fn schema_spec() -> impl Strategy<Value = Vec<Option<TableSpec>>> {
    proptest::collection::vec(proptest::option::of(table_spec()), 3)
}

/// A schema from a spec: tables t0..t2 (absent where None), each with an
/// `id` key and columns c0..c3 (absent where None). Constraints are chosen
/// so that the generated rows satisfy both sides of any pair: NOT NULL only
/// with a default, UNIQUE only without one (new rows get NULL), CHECKs that
/// any seeded value passes, foreign keys that are NULL in the rows.
fn build(spec: &[Option<TableSpec>]) -> Schema {
    let mut schema = Schema::default();
    for (i, t) in spec.iter().enumerate() {
        let Some(t) = t else { continue };
        let name = format!("t{i}");
        let alias = t.key == 0;
        let without_rowid = t.without_rowid && !(t.autoincrement && alias);
        let mut table = Table { name: name.clone(), strict: t.strict, without_rowid, ..Table::default() };
        let key_type = if t.key == 1 { "INT" } else { "INTEGER" };
        table.columns.push(Column { name: "id".into(), ty: key_type.into(), nullable: false, ..Column::default() });
        table.primary_key = Some(PrimaryKey {
            name: None,
            columns: vec!["id".into()],
            on_conflict: None,
            autoincrement: t.autoincrement && alias && !without_rowid,
            desc: t.key == 2,
        });
        for (j, c) in t.columns.iter().enumerate() {
            let Some(c) = c else { continue };
            let col = format!("c{j}");
            let ty = if t.strict { STRICT_TYPES[c.ty % STRICT_TYPES.len()] } else { TYPES[c.ty] };
            // A STRICT INTEGER column takes only integer defaults.
            let default = c.not_null_default.map(|d| {
                if t.strict && ty == "INTEGER" {
                    "0".to_string()
                } else {
                    DEFAULTS[d].to_string()
                }
            });
            let unique = c.unique && default.is_none();
            let named = c.style & 1 != 0;
            let conflict = (c.style & 16 != 0).then_some(Conflict::Abort);
            table.columns.push(Column {
                name: col.clone(),
                ty: ty.into(),
                nullable: default.is_none(),
                not_null_conflict: if default.is_some() { conflict } else { None },
                default,
                collate: (c.collate && ty == "TEXT").then(|| "NOCASE".into()),
                ..Column::default()
            });
            if unique {
                let key = KeyColumn {
                    name: col.clone(),
                    collate: (c.style & 8 != 0).then(|| "NOCASE".into()),
                    desc: c.style & 4 != 0,
                };
                let name = named.then(|| format!("uq_{name}_{col}"));
                table.uniques.push(UniqueConstraint { name, columns: vec![key], on_conflict: conflict });
            }
            if c.indexed {
                table.indexes.push(Index {
                    name: format!("ix_{name}_{col}"),
                    unique: false,
                    columns: vec![IndexColumn { key: IndexKey::Column(col.clone()), collate: None, desc: j % 2 == 1 }],
                    where_clause: None,
                });
            }
            if c.check {
                let check = CheckConstraint {
                    name: named.then(|| format!("ck_{name}_{col}")),
                    expr: format!("{col} IS NULL OR length({col}) < 1000"),
                };
                match table.columns.last_mut() {
                    Some(column) if c.style & 2 != 0 => column.checks.push(check),
                    _ => table.checks.push(check),
                }
            }
        }
        if t.fk_to_parent && i > 0 && spec[i - 1].is_some() {
            table.columns.push(Column {
                name: "parent_id".into(),
                ty: "INTEGER".into(),
                nullable: true,
                ..Column::default()
            });
            table.foreign_keys.push(ForeignKey {
                name: None,
                columns: vec!["parent_id".into()],
                ref_table: format!("t{}", i - 1),
                ref_columns: vec!["id".into()],
                on_delete: FkAction::Cascade,
                on_update: FkAction::NoAction,
                deferrable: false,
            });
        }
        schema.tables.insert(name, table);
    }
    autogen::schema::normalize::normalize(&mut schema);
    schema
}

/// Rows in every table: ids 1..=n, every column the row number (unique,
/// non-null, passes the checks), foreign keys NULL.
fn seed(conn: &rusqlite::Connection, schema: &Schema, rows: usize) {
    for table in schema.tables.values() {
        for n in 1..=rows as i64 {
            let cols: Vec<&Column> = table.columns.iter().filter(|c| c.name != "parent_id").collect();
            let names: Vec<String> = cols.iter().map(|c| autogen::sql::quote::ident(&c.name)).collect();
            let values: Vec<String> =
                cols.iter().map(|c| if c.ty == "TEXT" { format!("'{n}'") } else { n.to_string() }).collect();
            conn.execute(
                &format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    autogen::sql::quote::ident(&table.name),
                    names.join(", "),
                    values.join(", ")
                ),
                [],
            )
            .unwrap();
        }
        if table.is_autoincrement() && rows > 0 {
            // Deleted ids must never come back: leave the counter above the rows.
            conn.execute(&format!("INSERT INTO {} (id) VALUES (1000)", autogen::sql::quote::ident(&table.name)), [])
                .ok();
            conn.execute(&format!("DELETE FROM {} WHERE id = 1000", autogen::sql::quote::ident(&table.name)), []).ok();
        }
    }
}

/// `PROPTEST_CASES`, else 48.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_schema_pairs_migrate_both_ways(from in schema_spec(), to in schema_spec(), rows in 0usize..4) {
        let start = build(&from);
        let target = build(&to);
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        for stmt in autogen::schema::ddl::schema_ddl(&start) {
            conn.execute_batch(&stmt).unwrap_or_else(|e| panic!("{e}: {stmt}"));
        }
        seed(&conn, &start, rows);
        let m = support::generate(&conn, &target);
        let mut scratch = autogen::Sqlite::scratch_of(&conn, autogen::ScratchCopy::Rows).unwrap();
        let start_schema = support::schema_of(&conn);
        let filter = autogen::Filter::default();
        let (up, down) = (&m.up, &m.down);
        let (diff, start) = (&m.diff, &start_schema);
        let rehearsal = autogen::Rehearsal { up, down, diff, start, model: &target, filter: &filter, accepted: &[] };
        rehearsal.on(&mut scratch).unwrap_or_else(|e| panic!("rehearsal: {e}\n--- up\n{}\n--- down\n{}", m.up, m.down));
        support::assert_round_trip(&conn, &target, &m, "property");
    }
}

/// What a database the revision was not planned on may have besides
/// (issue 25): a column, an index or a trigger added by hand on one table,
/// or only more rows.
#[derive(Debug, Clone, Copy)]
enum Drift {
    Column,
    Index,
    Trigger,
    MoreRows,
}

fn drift() -> impl Strategy<Value = (Drift, usize)> {
    (prop_oneof![Just(Drift::Column), Just(Drift::Index), Just(Drift::Trigger), Just(Drift::MoreRows)], 0usize..8)
}

/// The name `drift_*` of the object a drift added, and its table.
fn apply_drift(
    conn: &rusqlite::Connection,
    schema: &Schema,
    (kind, pick): (Drift, usize),
    rows: usize,
) -> Option<String> {
    let table = schema.tables.values().nth(pick % schema.tables.len().max(1))?;
    let t = autogen::sql::quote::ident(&table.name);
    let first = autogen::sql::quote::ident(&table.columns[0].name);
    match kind {
        Drift::Column => conn.execute_batch(&format!("ALTER TABLE {t} ADD COLUMN drift_col TEXT DEFAULT 'kept'")),
        Drift::Index => conn.execute_batch(&format!("CREATE INDEX drift_ix ON {t} ({first})")),
        Drift::Trigger => conn.execute_batch(&format!(
            "CREATE TRIGGER drift_tr AFTER DELETE ON {t} BEGIN SELECT RAISE(ABORT, 'a row was deleted'); END"
        )),
        Drift::MoreRows => {
            // Rows numbered after the ones already there.
            seed_from(conn, schema, rows + 1, rows + 3);
            return None;
        }
    }
    .unwrap_or_else(|e| panic!("drift {kind:?} on {t}: {e}"));
    Some(table.name.clone())
}

/// [`seed`]'s rows `from..=to`.
fn seed_from(conn: &rusqlite::Connection, schema: &Schema, from: usize, to: usize) {
    for table in schema.tables.values() {
        for n in from as i64..=to as i64 {
            let cols: Vec<&Column> = table.columns.iter().filter(|c| c.name != "parent_id").collect();
            let names: Vec<String> = cols.iter().map(|c| autogen::sql::quote::ident(&c.name)).collect();
            let values: Vec<String> =
                cols.iter().map(|c| if c.ty == "TEXT" { format!("'{n}'") } else { n.to_string() }).collect();
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                autogen::sql::quote::ident(&table.name),
                names.join(", "),
                values.join(", ")
            );
            conn.execute(&sql, []).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Planned on one database, run on another that drifted: every run
    /// either refuses, changing nothing, or keeps every row and what the
    /// drift added.
    #[test]
    fn planned_on_one_database_run_on_a_drifted_one(
        from in schema_spec(), to in schema_spec(), rows in 0usize..4, drift in drift()
    ) {
        let start = build(&from);
        let target = build(&to);
        let open = || {
            let conn = rusqlite::Connection::open_in_memory().unwrap();
            for stmt in autogen::schema::ddl::schema_ddl(&start) {
                conn.execute_batch(&stmt).unwrap();
            }
            seed(&conn, &start, rows);
            conn
        };
        let dev = open();
        let m = support::generate(&dev, &target);
        let prod = open();
        let drifted = apply_drift(&prod, &start, drift, rows);
        let before = (support::dump(&prod), support::stored_sql(&prod));
        let counts = support::row_counts(&prod);
        match autogen::apply_script(&prod, &m.up, "up", "") {
            Err(e) => {
                // A refusal changes nothing.
                prop_assert_eq!((support::dump(&prod), support::stored_sql(&prod)), before, "{}", e);
            }
            Ok(()) => {
                support::assert_healthy(&prod, "the drifted database after the upgrade");
                let renamed = |t: &str| {
                    m.diff.renames.tables.iter().find(|(o, _)| o.eq_ignore_ascii_case(t)).map_or(t.to_string(), |(_, n)| n.clone())
                };
                let after = support::row_counts(&prod);
                for (table, n) in &counts {
                    if let Some((_, now)) = after.iter().find(|(t, _)| t.eq_ignore_ascii_case(&renamed(table))) {
                        prop_assert_eq!(now, n, "rows of `{}`\n{}", table, m.up);
                    }
                }
                // What the drift added is still there, where its table is.
                if let Some(table) = drifted.filter(|t| target.table(&renamed(t)).is_some()) {
                    let table = renamed(&table);
                    let has = |sql: &str| prod.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() > 0;
                    let kept = match drift.0 {
                        Drift::Column => has(&format!(
                            "SELECT count(*) FROM pragma_table_info('{table}') WHERE name = 'drift_col'"
                        )),
                        Drift::Index => has("SELECT count(*) FROM sqlite_schema WHERE name = 'drift_ix'"),
                        Drift::Trigger => has("SELECT count(*) FROM sqlite_schema WHERE name = 'drift_tr'"),
                        Drift::MoreRows => true,
                    };
                    prop_assert!(kept, "{:?} on `{}` was lost by an upgrade that ran:\n{}", drift.0, table, m.up);
                }
            }
        }
    }
}
