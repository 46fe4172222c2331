//! Ugly-DDL cases kept from the first reader: they must hold for this one too.
use super::tests::{names, table};
use super::*;

#[test]
fn quoting_and_comments_anywhere() {
    assert_eq!(table("CREATE TABLE t3102b -- comment\n    (y)").name, "t3102b");
    let t = table("CREATE TABLE [t1'x1](c UNIQUE, b PRIMARY KEY)");
    assert_eq!(t.name, "t1'x1");
    assert_eq!(names(&t), ["c", "b"]);
    assert_eq!(table("CREATE TABLE \"fuzzer [x] rules table\"(a, b, c, d)").name, "fuzzer [x] rules table");
    assert_eq!(table("CREATE TABLE [x2 \"rules] (a, b, c, d)").name, "x2 \"rules");
    let t =
        table("CREATE /*a*/ TABLE /*b*/ `my``t` /*c*/ ( /*d*/ `a b` /*e*/ INT /*f*/ NOT /*g*/ NULL /*h*/ , 'q' TEXT)");
    assert_eq!(t.name, "my`t");
    assert_eq!(names(&t), ["a b", "q"]);
    assert_eq!(t.columns[0].type_name, "INT");
    let t = table("CREATE TABLE \"ünïcödé\"(ß INTEGER, \"a;b--c\" TEXT, \"x\"\"y\" BLOB)");
    assert_eq!(names(&t), ["ß", "a;b--c", "x\"y"]);
}

#[test]
fn odd_types() {
    let t = table(
        "CREATE TABLE t(a UNSIGNED BIG INT, b, c FLOATING POINT(5,10), d VARCHAR( 123 , 456 ), e \
        DECIMAL(10, -2), f NATIONAL CHARACTER(15) NOT NULL, g character varying (8))",
    );
    let types: Vec<&str> = t.columns.iter().map(|c| c.type_name.as_str()).collect();
    assert_eq!(
        types,
        [
            "UNSIGNED BIG INT",
            "",
            "FLOATING POINT(5,10)",
            "VARCHAR(123,456)",
            "DECIMAL(10,-2)",
            "NATIONAL CHARACTER(15)",
            "character varying(8)"
        ]
    );
    assert_eq!(t.columns[5].constraints[0].kind, ColumnConstraintKind::NotNull { on_conflict: None });
}

#[test]
fn conflict_clauses_and_without_rowid() {
    let t = table(
        "CREATE TABLE t1(\n    a UNIQUE ON CONFLICT REPLACE, \n    b UNIQUE ON CONFLICT IGNORE,\n    c PRIMARY \
            KEY ON CONFLICT FAIL\n  ) WITHOUT ROWID",
    );
    assert!(t.without_rowid);
    assert_eq!(t.columns[0].constraints[0].kind, ColumnConstraintKind::Unique { on_conflict: Some(Conflict::Replace) });
    assert_eq!(
        t.columns[2].constraints[0].kind,
        ColumnConstraintKind::PrimaryKey { order: None, on_conflict: Some(Conflict::Fail), autoincrement: false }
    );
    let t = table("CREATE TABLE t(a INT, b TEXT, UNIQUE (a, b) ON CONFLICT REPLACE) STRICT, WITHOUT ROWID");
    assert!(t.strict && t.without_rowid);
    match &t.constraints[0] {
        TableConstraint::Unique { columns, on_conflict, .. } => {
            assert_eq!(columns.iter().map(|c| c.column.clone().unwrap()).collect::<Vec<_>>(), ["a", "b"]);
            assert_eq!(*on_conflict, Some(Conflict::Replace));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn defaults_keep_their_text() {
    let t = table(
        "CREATE TABLE t(a DEFAULT (0), b DEFAULT -1, c DEFAULT 'it''s', d DEFAULT CURRENT_TIMESTAMP, e \
        DEFAULT x'00', f DEFAULT +1.5, g DEFAULT NULL, h DEFAULT abc, i INT DEFAULT (datetime('now', 'localtime')) \
            NOT NULL)",
    );
    let defaults: Vec<String> = t
        .columns
        .iter()
        .map(|c| match &c.constraints[0].kind {
            ColumnConstraintKind::Default(d) => d.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        defaults,
        ["(0)", "-1", "'it''s'", "CURRENT_TIMESTAMP", "x'00'", "+1.5", "NULL", "abc", "(datetime('now', 'localtime'))"]
    );
    assert_eq!(t.columns[8].constraints[1].kind, ColumnConstraintKind::NotNull { on_conflict: None });
}

#[test]
fn named_constraints_of_every_kind() {
    let t = table(
        "CREATE TABLE c(id INTEGER CONSTRAINT pk PRIMARY KEY DESC AUTOINCREMENT, p INT CONSTRAINT nn NOT NULL \
            CONSTRAINT fk REFERENCES parent(id) ON DELETE CASCADE ON UPDATE SET NULL MATCH FULL DEFERRABLE INITIALLY \
                DEFERRED, \
         q INT CONSTRAINT ck CHECK (q > 0) CONSTRAINT co COLLATE nocase, r, s, CONSTRAINT tfk FOREIGN KEY (r, s) \
             REFERENCES other (x, y) NOT DEFERRABLE, CONSTRAINT tck CHECK (r <> s) ON CONFLICT ABORT, CONSTRAINT tu \
                 UNIQUE (r COLLATE nocase DESC, s))",
    );
    let id = &t.columns[0].constraints[0];
    assert_eq!(id.name.as_deref(), Some("pk"));
    assert_eq!(
        id.kind,
        ColumnConstraintKind::PrimaryKey { order: Some(Order::Desc), on_conflict: None, autoincrement: true }
    );
    let fk = &t.columns[1].constraints[1];
    assert_eq!(fk.name.as_deref(), Some("fk"));
    assert_eq!(
        fk.kind,
        ColumnConstraintKind::References(ForeignKeyClause {
            table: "parent".into(),
            columns: vec!["id".into()],
            on_delete: Some(FkAction::Cascade),
            on_update: Some(FkAction::SetNull),
            match_name: Some("FULL".into()),
            deferrable: Some(Deferrable::Deferrable { initially_deferred: true }),
        })
    );
    assert_eq!(t.columns[2].constraints[0].kind, ColumnConstraintKind::Check("q > 0".into()));
    assert_eq!(t.columns[2].constraints[1].kind, ColumnConstraintKind::Collate("nocase".into()));
    assert_eq!(t.constraints.len(), 3);
    match &t.constraints[0] {
        TableConstraint::ForeignKey { name, columns, clause } => {
            assert_eq!(name.as_deref(), Some("tfk"));
            assert_eq!(columns, &["r", "s"]);
            assert_eq!(clause.deferrable, Some(Deferrable::NotDeferrable));
        }
        other => panic!("{other:?}"),
    }
    match &t.constraints[2] {
        TableConstraint::Unique { columns, .. } => {
            assert_eq!(columns[0].collate.as_deref(), Some("nocase"));
            assert_eq!(columns[0].order, Some(Order::Desc));
            assert_eq!(columns[0].column.as_deref(), Some("r"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn generated_columns_both_forms() {
    let t = table(
        "CREATE TABLE t(a INT, b INT GENERATED ALWAYS AS (a * 2) STORED, c AS (lower(a)) VIRTUAL, d TEXT AS \
        (a || 'x'))",
    );
    assert_eq!(
        t.columns[1].constraints[0].kind,
        ColumnConstraintKind::Generated { expr: "a * 2".into(), stored: true }
    );
    assert_eq!(
        t.columns[2].constraints[0].kind,
        ColumnConstraintKind::Generated { expr: "lower(a)".into(), stored: false }
    );
    assert_eq!(t.columns[3].type_name, "TEXT");
    assert_eq!(
        t.columns[3].constraints[0].kind,
        ColumnConstraintKind::Generated { expr: "a || 'x'".into(), stored: false }
    );
}

#[test]
fn table_level_primary_key_with_autoincrement() {
    let t = table("CREATE TABLE t(id INTEGER, PRIMARY KEY(id AUTOINCREMENT))");
    assert!(matches!(&t.constraints[0], TableConstraint::PrimaryKey { autoincrement: true, .. }));
}

#[test]
fn create_table_as_select() {
    let t = table("CREATE TABLE t2 AS SELECT a, b FROM t1");
    assert!(t.as_select);
    assert_eq!(t.name, "t2");
}

#[test]
fn indexes_partial_and_on_expressions() {
    let Ok(Create::Index(i)) = parse_create(
        "CREATE UNIQUE INDEX IF NOT EXISTS main.\"ix\" ON t (lower(title) COLLATE NOCASE DESC, [b] ASC, \
            a+b) WHERE done = 0 AND (x IS NOT NULL)",
    ) else {
        panic!()
    };
    assert!(i.unique);
    assert_eq!(i.name, "ix");
    assert_eq!(i.table, "t");
    assert_eq!(i.columns[0].expr, "lower(title)");
    assert_eq!(i.columns[0].column, None);
    assert_eq!(i.columns[0].collate.as_deref(), Some("NOCASE"));
    assert_eq!(i.columns[0].order, Some(Order::Desc));
    assert_eq!(i.columns[1].column.as_deref(), Some("b"));
    assert_eq!(i.columns[2].expr, "a+b");
    assert_eq!(i.where_clause.as_deref(), Some("done = 0 AND (x IS NOT NULL)"));
}

#[test]
fn views_with_column_lists_and_ctes() {
    let Ok(Create::View(v)) = parse_create("CREATE VIEW v1(x, \"y z\") AS WITH c(a) AS (SELECT 1) SELECT a, a FROM c;")
    else {
        panic!()
    };
    assert_eq!(v.columns, ["x", "y z"]);
    assert_eq!(v.select, "WITH c(a) AS (SELECT 1) SELECT a, a FROM c");
}

#[test]
fn triggers_find_their_table() {
    let Ok(Create::Trigger(t)) = parse_create(
        "CREATE TRIGGER IF NOT EXISTS r1 BEFORE UPDATE OF a, b ON \"my t\" FOR \
        EACH ROW WHEN new.a > 0 BEGIN SELECT CASE WHEN 1 THEN RAISE(ABORT, 'x') END; UPDATE t SET a = 1; END",
    ) else {
        panic!()
    };
    assert_eq!(t.name, "r1");
    assert_eq!(t.table, "my t");
    let Ok(Create::Trigger(t)) = parse_create("CREATE TRIGGER r2 INSTEAD OF DELETE ON v BEGIN DELETE FROM t; END")
    else {
        panic!()
    };
    assert_eq!(t.table, "v");
}

#[test]
fn virtual_tables_are_recognized() {
    let Ok(Create::VirtualTable(v)) =
        parse_create("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter')")
    else {
        panic!()
    };
    assert_eq!((v.name.as_str(), v.module.as_str()), ("docs", "fts5"));
}

#[test]
fn broken_text_is_an_error_not_a_panic() {
    for sql in [
        "CREATE TABLE",
        "CREATE TABLE t(",
        "CREATE TABLE t(a",
        "CREATE TABLE t(a CHECK (",
        "CREATE INDEX i ON",
        "CREATE VIEW v AS",
        "CREATE TRIGGER x ON t",
        "DROP TABLE t",
        "",
        "CREATE TABLE t(a) garbage",
        "CREATE TABLE t(a DEFAULT)",
    ] {
        assert!(parse_create(sql).is_err(), "{sql}");
    }
}

#[test]
fn every_prefix_of_ugly_ddl_is_handled_without_panic() {
    let samples = [
        "CREATE TABLE c(id INTEGER CONSTRAINT pk PRIMARY KEY DESC AUTOINCREMENT, p INT REFERENCES parent(id) ON \
            DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, q 'x' CHECK (q > 0) COLLATE nocase, \"ü\" DEFAULT (1), \
                UNIQUE (p, q) ON CONFLICT REPLACE) STRICT, WITHOUT ROWID",
        "CREATE UNIQUE INDEX ix ON t (lower(title) COLLATE NOCASE DESC, [b]) WHERE done = 0",
        "CREATE TRIGGER r1 BEFORE UPDATE OF a ON t BEGIN SELECT CASE WHEN 1 THEN RAISE(ABORT, 'x;') END; END",
    ];
    for s in samples {
        for (i, _) in s.char_indices() {
            let prefix = &s[..i];
            let _ = parse_create(prefix);
            let _ = lexer::split_statements(prefix);
            let _ = lexer::normalize(prefix);
        }
    }
}

#[test]
fn sqlite_grammar_quirks() {
    // Table constraints without commas between them (parse.y: tconscomma may be empty).
    let t = table(
        "CREATE TABLE t301(id INTEGER PRIMARY KEY, c1 INT, c2 INT, FOREIGN KEY(c1) REFERENCES t300(id) /* \
        no comma */ FOREIGN KEY(c2) REFERENCES t300(id) UNIQUE(c1, c2))",
    );
    assert_eq!(t.constraints.len(), 3);
    // A CONSTRAINT name with no constraint after it.
    let t = table("CREATE TABLE a(a,h CONSTRAINT a UNIQUE ON CONFLICT FAIL,CONSTRAINT a)");
    assert_eq!(names(&t), ["a", "h"]);
    assert!(t.constraints.is_empty());
    let t = table(
        "CREATE TABLE t2b(x INTEGER CHECK( typeof(coalesce(x,0))=='integer' ) CONSTRAINT one, y TEXT \
        PRIMARY KEY constraint two, z INTEGER, UNIQUE(x,z) constraint three)",
    );
    assert_eq!(t.columns[0].constraints.len(), 1);
    assert_eq!(t.constraints.len(), 1);
    let t = table(
        "CREATE TABLE t1(a,b,c, CONSTRAINT one PRIMARY KEY(a) CONSTRAINT two CHECK(b<10) UNIQUE(b) CONSTRAINT three)",
    );
    assert_eq!(t.constraints.len(), 3);
}
