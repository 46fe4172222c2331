//! The binary, driven as a user (and the outside tests) drive it: exit
//! codes, errors that name the file and place, nothing created or changed
//! when it should not be, and the revision workflow end to end.

mod support;

use std::path::Path;

use support::{text, Project};

const TODO: &str = "tables:
  - name: users
    columns:
      - {name: id, type: INTEGER, primary_key: true}
      - {name: email, type: TEXT, nullable: false, unique: true}
  - name: todos
    columns:
      - {name: id, type: INTEGER, primary_key: true}
      - {name: title, type: TEXT, nullable: false}
      - {name: owner_id, type: INTEGER, references: users.id, on_delete: CASCADE}
";

#[test]
fn every_bad_model_names_file_line_and_column() {
    let cases: &[(&str, &str)] = &[
        ("tables:\n  - name: t\n    columns:\n      - {name: a, type: INT, nulable: true}\n", "model.yaml:4:30: \
            unknown field `nulable`"),
        ("tables:\n  - name: t\n    columns:\n      - {name: a}\n", "model.yaml:4:9: missing field `type`"),
        ("tables:\n  - columns:\n      - {name: a, type: INT}\n", "model.yaml:2:5: missing field `name`"),
        (
            "tables:\n  - name: t\n    columns:\n      - {name: a, type: INT}\n      - {name: A, type: INT}\n",
            "model.yaml:5:16: table `t` has two columns named `A`",
        ),
        ("tables:\n  - name: t\n    columns:\n      - {name: a, type: INT}\n  - name: T\n    columns:\n      - {name: \
            a, type: INT}\n", "model.yaml:5:11: two tables named `T`"),
        ("tables:\n  - name: t\n    columns:\n      - {name: a, type: INT}\n    indexes:\n      - {name: ix, columns: \
            [b]}\n", "model.yaml:6:30: table `t` has no column `b`"),
        ("tables:\n  - name: t\n    columns:\n      - {name: a, type: INT, references: u.id}\n", "model.yaml:4:42: \
            foreign key on `t` references table `u`, which the model does not have"),
        ("tables:\n  - name: u\n    columns:\n      - {name: id, type: INT, primary_key: true}\n  - name: t\n    \
            columns:\n      - {name: a, type: INT, references: u.nope}\n", "model.yaml:7:42: foreign key on `t` \
                references `u.nope`, which does not exist"),
        (
            "tables:\n  - name: t\n    columns:\n      - {name: a, type: INT, server_default: \"1 +\"}\n",
            "model.yaml:4:16: `t.a`: server_default `1 +` is not a valid SQL expression",
        ),
        ("tables:\n  - name: t\n    columns:\n      - {name: a, type: INT}\n    indexes:\n      - {name: ix, columns: \
            [a], where: \"a >\"}\n", "model.yaml:6:9: index `ix` on `t`: SQLite rejects it"),
        // Caught when SQLite compiles the index, not when it parses it.
        ("tables:\n  - name: t\n    columns:\n      - {name: a, type: INT}\n    indexes:\n      - {name: ix, columns: \
            [{expression: \"lower(b)\"}]}\n", "model.yaml:6:9: index `ix` on `t`: SQLite rejects it: no such column: \
                b"),
        ("tables:\n  - name: t\n    columns:\n      - {name: a, type: INT}\n    indexes:\n      - {name: ix, columns: \
            [{expression: \"a + random()\"}]}\n", "model.yaml:6:9: index `ix` on `t`: SQLite rejects it: \
                non-deterministic functions prohibited in index expressions"),
        ("tables:\n  - name: t\n    columns: [\n", "model.yaml:3:14: unclosed bracket"),
        ("tables:\n  - name: t\n    name: u\n    columns:\n      - {name: a, type: INT}\n", "model.yaml:3:5: \
            duplicate mapping key: name"),
        (
            "tables:\n  - name: t\n    columns:\n      - {name: a, type: TEXT, primary_key: true, \
                autoincrement: true}\n",
            "model.yaml:4:16: `t.a`: AUTOINCREMENT is only allowed",
        ),
    ];
    for (yaml, expected) in cases {
        let p = Project::new(yaml);
        let out = p.run(&["diff"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{yaml}");
        assert!(err.contains(expected), "for\n{yaml}\nexpected `{expected}` in:\n{err}");
        assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
        assert!(!p.path("app.db").exists(), "a bad model must not create the database");
    }
}

/// SQLite checks the changed tables on two threads, in batches; whichever
/// finds an error, the one reported is the first in the file (the schema
/// keeps tables by name, where `t60` comes before `t7`).
#[test]
fn the_first_error_in_the_file_is_the_one_reported() {
    let mut model = String::from("tables:\n");
    for i in 0..100 {
        model.push_str(&format!("  - name: t{i}\n    columns:\n      - {{name: a, type: INT}}\n"));
        if i == 7 || i == 60 {
            model.push_str("      - {name: b, type: INT, server_default: \"a + 1\"}\n");
        }
    }
    let p = Project::new(&model);
    let first = "model.yaml:26:16: `t7.b`: server_default `a + 1` is not a valid SQL expression: default value of \
        column [b] is not constant";
    for args in [&["diff"][..], &["revision", "--autogenerate", "-m", "x"]] {
        let out = p.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(text(&out.stderr).contains(first), "{args:?}: {}", text(&out.stderr));
    }
    assert!(p.revisions().is_empty() && !p.path("app.db").exists(), "nothing may be written");
}

#[test]
fn a_bad_config_is_named_with_its_place() {
    let p = Project::new(TODO);
    std::fs::write(p.path("autogen.yaml"), "database: app.db\nschemas: model.yaml\n").unwrap();
    let out = p.run(&["diff"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("autogen.yaml:2:1: unknown field `schemas`"), "{}", text(&out.stderr));
    let out = p.run(&["-c", "nowhere.yaml", "diff"]);
    assert!(
        text(&out.stderr).contains("nowhere.yaml") && text(&out.stderr).contains("config file not found"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_file_that_is_not_a_database_is_named_and_untouched() {
    let p = Project::new(TODO);
    let bytes = b"this is not a database, just some text\n".repeat(100);
    std::fs::write(p.path("app.db"), &bytes).unwrap();
    for args in [&["diff"][..], &["check"], &["inspect"], &["upgrade"], &["revision", "--autogenerate", "-m", "x"]] {
        let out = p.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(text(&out.stderr).contains("app.db` is not a SQLite database"), "{args:?}: {}", text(&out.stderr));
        assert_eq!(std::fs::read(p.path("app.db")).unwrap(), bytes, "{args:?} changed the file");
    }
}

#[test]
fn read_only_commands_never_create_the_database() {
    let p = Project::new(TODO);
    assert_eq!(p.run(&["diff"]).status.code(), Some(0));
    assert_eq!(p.run(&["diff", "--exit-code"]).status.code(), Some(1));
    assert_eq!(p.run(&["check"]).status.code(), Some(1));
    let out = p.run(&["inspect"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("does not exist"));
    assert_eq!(p.run(&["current"]).status.code(), Some(0));
    assert_eq!(p.run(&["history"]).status.code(), Some(0));
    assert!(!p.path("app.db").exists());
}

#[test]
fn hostile_yaml_is_refused_with_limits() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12u8 {
        let (name, prev) = ((b'a' + i) as char, (b'a' + i - 1) as char);
        bomb.push_str(&format!(
            "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, \
            *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    let deep = format!("tables: {}{}\n", "[".repeat(500), "]".repeat(500));
    for (yaml, expected) in [(bomb, "aliases expand to more than"), (deep, "nesting deeper than 64 levels")] {
        let p = Project::new(&yaml);
        let started = std::time::Instant::now();
        let out = p.run(&["diff"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains(expected), "{}", text(&out.stderr));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "a hostile file took {:?}", started.elapsed());
    }
}

#[test]
fn usage_errors_exit_2_and_negative_targets_parse() {
    let p = Project::new(TODO);
    assert_eq!(p.run(&["diff", "--bogus"]).status.code(), Some(2));
    assert_eq!(p.run(&["frobnicate"]).status.code(), Some(2));
    // `-1` is a target, not a flag: it parses and fails for a real reason.
    let out = p.run(&["downgrade", "-1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("only 0 are applied"), "{}", text(&out.stderr));
}

#[test]
fn diff_json_uses_alembic_op_names() {
    let p = Project::new(TODO);
    p.ok(&["revision", "--autogenerate", "-m", "initial"]);
    p.ok(&["upgrade", "head"]);
    p.set_model(&TODO.replace(
        "      - {name: title, type: TEXT, nullable: false}\n",
        "      - {name: title, type: VARCHAR(200), nullable: false}\n      - {name: deleted_at, type: DateTime}\n",
    ));
    let json: serde_json::Value = serde_json::from_str(&p.ok(&["diff", "--format", "json"])).unwrap();
    let ops: Vec<&str> = json.as_array().unwrap().iter().map(|o| o["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["add_column", "modify_type"]);
    assert_eq!(json[0]["table"], "todos");
    assert_eq!(json[0]["column"], "deleted_at");
    assert_eq!(json[1]["from"], "TEXT");
    assert_eq!(json[1]["to"], "VARCHAR(200)");
}

/// Colour follows `--color` and NO_COLOR: piped output carries no
/// styles at all, and is the coloured text with its styles taken out.
#[test]
fn colour_is_written_only_when_asked_for() {
    let p = Project::new(TODO);
    let diff = |args: &[&str], no_color: bool| {
        let mut cmd = support::autogen(&p.path(""));
        cmd.args(args).arg("diff");
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let piped = diff(&[], false);
    assert!(piped.contains("+ add table `todos`") && !piped.contains('\x1b'), "{piped}");
    let coloured = diff(&["--color", "always"], false);
    assert!(coloured.contains("\x1b["), "{coloured}");
    assert_eq!(anstream::adapter::strip_str(&coloured).to_string(), piped);
    assert_eq!(diff(&["--color", "never"], false), piped);
    assert_eq!(diff(&["--color", "auto"], true), piped);
}

#[test]
fn the_alembic_workflow_end_to_end() {
    let p = Project::new(TODO);
    p.ok(&["revision", "--autogenerate", "-m", "initial"]);
    assert_eq!(p.revisions().len(), 1);
    assert!(p.revisions()[0].starts_with("20261125_1030_") && p.revisions()[0].ends_with("_initial.sql"));
    assert!(!p.path("app.db").exists(), "autogenerate against a missing database must not create it");
    p.ok(&["upgrade", "head"]);
    assert_eq!(p.run(&["check"]).status.code(), Some(0));
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert!(out.contains("No changes"), "{out}");
    assert_eq!(p.revisions().len(), 1, "no changes means no file");

    p.db()
        .execute_batch(
            "INSERT INTO users (id, email) VALUES (1, 'a@x'), (2, 'b@x'); INSERT INTO todos (id, title, \
        owner_id) VALUES (1, 't1', 1), (2, 't2', 2), (3, 't3', 2);",
        )
        .unwrap();
    let before = support::dump(&p.db());
    p.set_model(
        &TODO
            .replace(
                "{name: email, type: TEXT, nullable: false, unique: true}",
                "{name: email, type: VARCHAR(320), nullable: false, unique: true}",
            )
            .replace(
                "references: users.id, on_delete: CASCADE}\n",
                "references: users.id, on_delete: CASCADE}\n      - {name: deleted_at, type: DateTime}\n",
            ),
    );
    assert_eq!(p.run(&["check"]).status.code(), Some(1));
    p.ok(&["revision", "--autogenerate", "-m", "soft delete and wider email", "--rev-id", "second"]);
    let file = std::fs::read_to_string(
        p.path(&format!("migrations/versions/{}", p.revisions().iter().find(|f| f.contains("second")).unwrap())),
    )
    .unwrap();
    assert!(file.contains("-- Revision ID: second") && file.contains("-- migrate:down"), "{file}");
    // A revision on top of a database that is not at head is refused.
    let out = p.run(&["revision", "--autogenerate", "-m", "too early"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not at the head"), "{}", text(&out.stderr));

    p.ok(&["upgrade", "head"]);
    assert_eq!(p.run(&["check"]).status.code(), Some(0));
    assert_eq!(p.ok(&["current"]).trim(), "second (head)");
    let history = p.ok(&["history"]);
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 2, "{history}");
    assert!(lines[0].ends_with("-> second (head, current), soft delete and wider email"), "{history}");
    assert!(lines[1].starts_with("<base> -> ") && lines[1].ends_with(", initial"), "{history}");
    support::assert_healthy(&p.db(), "after upgrade");
    assert_eq!(
        support::row_counts(&p.db()),
        [
            ("autogen_version".to_string(), 1),
            ("autogen_version_checksums".to_string(), 2),
            ("todos".to_string(), 3),
            ("users".to_string(), 2)
        ]
    );
    p.ok(&["downgrade", "-1"]);
    assert!(!p.ok(&["current"]).trim().ends_with("(head)"), "after downgrade -1 the database is not at head");
    let after = support::dump(&p.db());
    assert_eq!(
        after.iter().filter(|(t, _)| t == "users" || t == "todos").collect::<Vec<_>>(),
        before.iter().filter(|(t, _)| t == "users" || t == "todos").collect::<Vec<_>>()
    );
    p.ok(&["upgrade", "sec"]);
    assert_eq!(p.run(&["check"]).status.code(), Some(0));
    p.ok(&["downgrade", "base"]);
    let tables: i64 = p
        .db()
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name IN ('users', 'todos')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 0);
}

/// A migration that fails on the data rolls back whole: schema and rows as
/// they were, version unchanged, and the error names the revision and the
/// statement.
#[test]
fn a_failing_migration_changes_nothing() {
    let cases = [
        (
            "NOT NULL over NULL rows",
            "{name: title, type: TEXT}",
            "{name: title, type: TEXT, nullable: false}",
            "INSERT INTO t (id, title) VALUES (1, 'a'), (2, NULL), (4, NULL)",
            "2 rows in `t` have NULL `title`; first rowids: 2, 4",
        ),
        (
            "UNIQUE over duplicates",
            "{name: title, type: TEXT}",
            "{name: title, type: TEXT, unique: true}",
            "INSERT INTO t (id, title) VALUES (1, 'a'), (2, 'a')",
            "1 group of rows in `t` shares a value of `title`; first: 'a'",
        ),
        (
            "CHECK over violating rows",
            "{name: title, type: TEXT}",
            "{name: title, type: TEXT}\n    check_constraints:\n      - {sql: \"length(title) > 3\"}",
            "INSERT INTO t (id, title) VALUES (1, 'a'), (2, 'long enough')",
            "1 row in `t` fails CHECK (length(title) > 3); first rowids: 1",
        ),
        (
            "FK that rows violate",
            "{name: title, type: TEXT}",
            "{name: title, type: TEXT, references: p.name}",
            "INSERT INTO t (id, title) VALUES (1, 'orphan')",
            "1 row in `t` references missing rows in `p`",
        ),
    ];
    for (what, before, after, rows, expected) in cases {
        let model = |col: &str| {
            format!(
                "tables:\n  - name: p\n    columns:\n      - {{name: name, type: TEXT, primary_key: true}}\n  - \
                name: t\n    columns:\n      - {{name: id, type: INTEGER, primary_key: true}}\n      - {col}\n"
            )
        };
        let p = Project::new(&model(before));
        p.ok(&["revision", "--autogenerate", "-m", "initial"]);
        p.ok(&["upgrade"]);
        p.set_model(&model(after));
        // Written while the table is empty, so its rehearsal passes; the rows
        // that break it arrive before it runs.
        p.ok(&["revision", "--autogenerate", "-m", "tighten"]);
        p.db().execute_batch(rows).unwrap();
        let schema_before = support::stored_sql(&p.db());
        let rows_before = support::dump(&p.db());
        let out = p.run(&["upgrade"]);
        assert_eq!(out.status.code(), Some(1), "{what}");
        let err = text(&out.stderr);
        assert!(err.contains(expected) && err.contains("rolled back") && err.contains("tighten"), "{what}: {err}");
        let schema_after = support::stored_sql(&p.db());
        assert_eq!(schema_after, schema_before, "{what}: schema changed");
        assert_eq!(support::dump(&p.db()), rows_before, "{what}: rows changed");
        support::assert_healthy(&p.db(), what);
        // Rehearsed on a copy with the rows, the revision is refused before it
        // is written (a small database is always copied whole).
        std::fs::remove_file(
            p.path(&format!("migrations/versions/{}", p.revisions().iter().find(|f| f.contains("tighten")).unwrap())),
        )
        .unwrap();
        let out = p.run(&["revision", "--autogenerate", "-m", "tighten"]);
        assert_eq!(out.status.code(), Some(1), "{what}");
        let out = p.run(&["revision", "--autogenerate", "-m", "tighten", "--rehearse-data"]);
        assert_eq!(out.status.code(), Some(1), "{what}");
        assert!(
            text(&out.stderr).contains("rehearsal") && text(&out.stderr).contains(expected),
            "{what}: {}",
            text(&out.stderr)
        );
        assert_eq!(p.revisions().len(), 1, "{what}: a failed rehearsal writes nothing");
    }
}

#[test]
fn inspect_output_is_a_model_that_checks_clean() {
    let p = Project::new(TODO);
    let conn = p.db();
    conn.execute_batch(&std::fs::read_to_string(support::shared().join("corpus/chinook.sql")).unwrap()).unwrap();
    drop(conn);
    let model = p.ok(&["inspect"]);
    p.set_model(&model);
    let out = p.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
}

const COMMANDS: [&str; 17] = [
    "init",
    "diff",
    "check",
    "lint",
    "inspect",
    "revision",
    "upgrade",
    "downgrade",
    "current",
    "history",
    "heads",
    "show",
    "stamp",
    "merge",
    "edit",
    "completions",
    "help",
];

/// `lint --help` lists every rule with the words the library gives it.
#[test]
fn lint_help_lists_every_rule() {
    let p = Project::new("tables: []\n");
    let help = p.ok(&["lint", "--help"]);
    for code in autogen::Code::ALL {
        let line = format!("  {code}  {}", code.summary());
        assert!(help.contains(&line), "`lint --help` lacks `{line}`:\n{help}");
    }
}

#[test]
fn help_has_an_example_for_every_command() {
    let p = Project::new(TODO);
    let mut all = p.ok(&["--help"]);
    for cmd in COMMANDS.iter().filter(|c| **c != "help") {
        let help = p.ok(&[cmd, "--help"]);
        assert!(help.contains("Examples:") && help.contains(&format!("autogen {cmd}")), "{cmd}: {help}");
        // Every argument and option says what it is.
        let lines: Vec<&str> = help.lines().collect();
        for (i, line) in lines.iter().enumerate().filter(|(_, l)| l.starts_with("  ")) {
            let words: Vec<&str> = line.split("  ").map(str::trim).filter(|w| !w.is_empty()).collect();
            let names_something = words.first().is_some_and(|w| w.starts_with(['-', '<', '[']) && !w.starts_with("- "));
            let indent = |l: &str| l.len() - l.trim_start().len();
            // clap puts a description on the next line, further in, when the list is long.
            let below = lines.get(i + 1).is_some_and(|next| indent(next) > indent(line) && !next.trim().is_empty());
            let option_line = indent(line) <= 6;
            assert!(
                !option_line || !names_something || words.len() > 1 || below,
                "{cmd}: `{}` has no description",
                line.trim()
            );
        }
        all.push_str(&format!("\n===== autogen {cmd} --help =====\n{help}"));
    }
    let settings = "../snapshots";
    insta::with_settings!({snapshot_path => settings, prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("help", all);
    });
    let _ = Path::new(".");
}

/// `diff` counts, in the live database, what each change does to the rows.
#[test]
fn diff_warns_about_the_data_each_change_touches() {
    let before = "tables:
  - name: users
    columns:
      - {name: id, type: INTEGER, primary_key: true}
      - {name: email, type: TEXT}
      - {name: bio, type: TEXT}
      - {name: age, type: INTEGER}
      - {name: team_id, type: INTEGER}
  - name: teams
    columns:
      - {name: id, type: INTEGER, primary_key: true}
  - name: old_logs
    columns:
      - {name: msg, type: TEXT}
";
    let p = Project::new(before);
    p.ok(&["revision", "--autogenerate", "-m", "initial"]);
    p.ok(&["upgrade"]);
    p.db()
        .execute_batch(
            "INSERT INTO teams VALUES (1);
             INSERT INTO users VALUES (1, 'a@x', 'hi', 30, 1), (2, NULL, 'yo', -1, 7), (3, 'a@x', NULL, 5, 9), (4,
                 NULL, NULL, 40, NULL);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1234) INSERT INTO old_logs
                 SELECT 'm' || i FROM n;",
        )
        .unwrap();
    p.set_model(
        "tables:
  - name: users
    columns:
      - {name: id, type: INTEGER, primary_key: true}
      - {name: email, type: TEXT, nullable: false, unique: true}
      - {name: age, type: INTEGER}
      - {name: team_id, type: INTEGER, references: teams.id}
    check_constraints:
      - {sql: \"age >= 0\"}
  - name: teams
    columns:
      - {name: id, type: INTEGER, primary_key: true}
",
    );
    let out = p.run(&["diff"]);
    let err = text(&out.stderr);
    for expected in [
        "dropping table `old_logs` discards 1,234 rows",
        "dropping `users.bio` discards 2 non-null values",
        "`users.email` becomes NOT NULL but 2 rows hold NULL",
        "1 group of rows in `users` shares a value of `email`",
        "1 row of `users` fails the new CHECK (age >= 0)",
        "2 rows of `users` have a `team_id` with no `teams.id`",
    ] {
        assert!(err.contains(expected), "expected `{expected}` in:\n{err}");
    }
}

#[test]
fn more_usage_errors_exit_2_and_create_nothing() {
    let p = Project::new(TODO);
    p.ok(&["revision", "-m", "one", "--rev-id", "aaa111"]);
    p.ok(&["revision", "-m", "two", "--rev-id", "bbb222"]);
    for args in [
        &["upgrade", "-1"][..],
        &["downgrade", "+1"],
        &["upgrade", "aaa111:bbb222"],
        &["downgrade", "-1", "--sql"],
        &["stamp", "+1"],
        &["revision", "-m", "x", "--rev-id", "../evil"],
        &["history", "-r", "+1:"],
    ] {
        let out = p.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).starts_with("error: "), "{args:?}: {}", text(&out.stderr));
    }
    assert!(!p.path("app.db").exists(), "a refused command creates no database");
    assert_eq!(p.revisions().len(), 2);
    // A malformed SOURCE_DATE_EPOCH is an error, not the clock in disguise.
    let out = support::autogen(p.dir.path()).env("SOURCE_DATE_EPOCH", "soon").args(["revision", "-m", "x"]).output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("SOURCE_DATE_EPOCH is `soon`"), "{}", text(&out.stderr));
    assert_eq!(p.revisions().len(), 2);
}

#[test]
fn history_with_an_open_end_runs_to_the_heads() {
    let p = Project::new(TODO);
    for (id, m) in [("aaa111", "one"), ("bbb222", "two"), ("ccc333", "three")] {
        p.ok(&["revision", "-m", m, "--rev-id", id]);
    }
    let ids = |out: String| -> Vec<String> {
        out.lines().filter_map(|l| l.split(" -> ").nth(1)).map(|r| r[..6].to_string()).collect()
    };
    assert_eq!(ids(p.ok(&["history", "-r", "bbb222:"])), ["ccc333", "bbb222"]);
    assert_eq!(ids(p.ok(&["history", "-r", ":bbb222"])), ["bbb222", "aaa111"]);
    assert_eq!(ids(p.ok(&["history", "-r", "base:"])), ["ccc333", "bbb222", "aaa111"]);
}

#[test]
fn a_failed_first_upgrade_leaves_no_database_file() {
    let p = Project::new(TODO);
    p.ok(&["revision", "-m", "bad", "--rev-id", "aaa111"]);
    let file = p.path("migrations/versions").join(&p.revisions()[0]);
    let text_of = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text_of.replacen("-- migrate:up\n", "-- migrate:up\nINSERT INTO nope VALUES (1);\n", 1))
        .unwrap();
    let out = p.run(&["upgrade"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no such table: nope"), "{}", text(&out.stderr));
    assert!(!p.path("app.db").exists(), "the failed upgrade created the database file");
}

#[test]
fn quiet_prints_nothing_when_all_goes_well() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::autogen(dir.path()).args(["-q", "init"]).output().unwrap();
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(), "{}", text(&out.stdout));
    let out = support::autogen(dir.path()).args(["-q", "revision", "--autogenerate", "-m", "init"]).output().unwrap();
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn sql_models_from_init_and_from_dot_schema_check_clean() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| support::autogen(dir.path()).args(args).output().unwrap();
    assert!(run(&["init", "--schema", "schema.sql"]).status.success());
    let sql = std::fs::read_to_string(dir.path().join("schema.sql")).unwrap();
    assert!(sql.starts_with("CREATE TABLE \"users\""), "init writes a .sql starter as SQL: {sql}");
    assert!(run(&["revision", "--autogenerate", "-m", "init"]).status.success());
    assert!(run(&["upgrade"]).status.success());
    assert_eq!(run(&["check"]).status.code(), Some(0));
    // `sqlite3 app.db .schema` of the managed database, version tables and all.
    let conn = rusqlite::Connection::open(dir.path().join("database.db")).unwrap();
    let mut stmt = conn.prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid").unwrap();
    let dump: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert!(dump.iter().any(|s| s.contains("autogen_version")));
    std::fs::write(dir.path().join("dump.sql"), dump.join(";\n") + ";\n").unwrap();
    let out = run(&["--schema", "dump.sql", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn sql_model_mistakes_name_the_file_and_line() {
    let p = Project::new(TODO);
    let cases = [
        (
            "CREATE TABLE a (id INTEGER PRIMARY KEY,\n  o INT REFERENCES nope(id));\n",
            "m.sql:2:3: foreign key on `a` references table `nope`",
        ),
        (
            "CREATE TABLE a (id INTEGER PRIMARY KEY, o INT REFERENCES a(nope));\n",
            "m.sql:1:41: foreign key on `a` references `a.nope`",
        ),
        (
            "CREATE TABLE a (id INTEGER PRIMARY KEY,\n  s TEXT DEFAULT pending);\n",
            "m.sql:2:18: table `a`: `DEFAULT pending` is a bare word",
        ),
    ];
    for (sql, expected) in cases {
        std::fs::write(p.path("m.sql"), sql).unwrap();
        let out = p.run(&["--schema", "m.sql", "diff"]);
        assert_eq!(out.status.code(), Some(1), "{sql}");
        assert!(text(&out.stderr).contains(expected), "{sql}: {}", text(&out.stderr));
    }
    assert!(!p.path("app.db").exists());
}

#[test]
fn a_rejected_check_or_collation_is_named_at_its_entry() {
    let cases = [
        (
            "tables:\n  - name: t\n    columns:\n      - {name: a, type: TEXT}\n    check_constraints:\n      - {name: \
             ok, sql: \"a = 'x'\"}\n      - {name: bad, sql: \"a >\"}\n",
            "model.yaml:7:9: table `t`: check `bad` `a >`: SQLite rejects it",
        ),
        (
            "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER}\n      - {name: a, type: TEXT, \
             collate: NOPE}\n",
            "model.yaml:5:16: `t.a`: collation `NOPE`: SQLite rejects it: no such collation sequence: NOPE",
        ),
        (
            "tables:\n  - name: t\n    columns:\n      - {name: a, type: TEXT, check: \"b > 1\"}\n",
            "model.yaml:4:16: `t.a`: check `b > 1`: SQLite rejects it: no such column: b",
        ),
        (
            "tables:\n  - name: t\n    columns:\n      - {name: a, type: TEXT}\n      - {name: b, type: TEXT, \
             renamed_from: x}\n      - {name: c, type: TEXT, renamed_from: x}\n",
            "two columns are renamed from `x` (`b` and `c`)",
        ),
    ];
    for (model, expected) in cases {
        let p = Project::new(model);
        let out = p.run(&["diff"]);
        assert_eq!(out.status.code(), Some(1), "{model}");
        assert!(text(&out.stderr).contains(expected), "{model}: {}", text(&out.stderr));
    }
}

#[test]
fn sqlalchemy_mock_engine_ddl_without_semicolons_is_a_model() {
    // What `metadata.create_all(create_mock_engine("sqlite://", dump))` prints.
    let ddl = "\nCREATE TABLE users (\n\tid INTEGER NOT NULL, \n\temail VARCHAR(255) NOT NULL, \n\tPRIMARY KEY (id), \
               \n\tUNIQUE (email)\n)\n\n\nCREATE TABLE todos (\n\tid INTEGER NOT NULL, \n\ttitle VARCHAR(200) NOT \
               NULL, \n\towner_id INTEGER, \n\tPRIMARY KEY (id), \n\tFOREIGN KEY(owner_id) REFERENCES users (id) ON \
               DELETE CASCADE\n)\n\n\nCREATE INDEX ix_todos_owner_id ON todos (owner_id)\n\n";
    let p = Project::new(TODO);
    std::fs::write(p.path("model.sql"), ddl).unwrap();
    p.ok(&["--schema", "model.sql", "revision", "--autogenerate", "-m", "init"]);
    p.ok(&["--schema", "model.sql", "upgrade"]);
    let out = p.run(&["--schema", "model.sql", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let indexes: i64 = p
        .db()
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'ix_todos_owner_id'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(indexes, 1);
}

#[test]
fn open_ended_lint_ranges_and_sql_with_a_format() {
    let p = Project::new(TODO);
    p.ok(&["revision", "--autogenerate", "-m", "one", "--rev-id", "aaa111"]);
    p.ok(&["revision", "-m", "two", "--rev-id", "bbb222"]);
    let linted = |range: &str| {
        let out = p.run(&["lint", range]);
        assert_eq!(out.status.code(), Some(0), "{range}: {}", text(&out.stderr));
        text(&out.stdout) + &text(&out.stderr)
    };
    assert!(linted(":aaa111").contains("Linted 1 revision"), "{}", linted(":aaa111"));
    assert!(linted("aaa111:").contains("Linted 1 revision"), "{}", linted("aaa111:"));
    let out = p.run(&["diff", "--sql", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn a_type_change_says_which_text_reads_back_spelled_differently() {
    let p = Project::new(
        "tables:\n  - name: t\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      - {name: a, \
         type: INTEGER}\n",
    );
    let conn = p.db();
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t VALUES (1, '007'), (2, '12'), (3, 'x');",
    )
    .unwrap();
    let out = p.run(&["diff"]);
    let err = text(&out.stderr);
    assert!(err.contains("`t.a` becomes INTEGER: 2 values stored in it convert"), "{err}");
    assert!(err.contains("`t.a` becomes INTEGER: 1 of its text values reads back spelled differently"), "{err}");
}

#[test]
fn merge_refuses_a_revision_and_its_own_ancestor() {
    let p = Project::new(TODO);
    p.ok(&["revision", "-m", "one", "--rev-id", "aaa111"]);
    p.ok(&["revision", "-m", "two", "--rev-id", "bbb222"]);
    let out = p.run(&["merge", "-m", "m", "bbb222", "aaa111"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("`aaa111` is an ancestor of `bbb222`"), "{}", text(&out.stderr));
    assert_eq!(p.revisions().len(), 2);
}

#[test]
fn offline_scripts_refuse_broken_foreign_keys_and_a_second_run() {
    let p = Project::new(TODO);
    let dir = p.path("migrations/versions");
    std::fs::create_dir_all(&dir).unwrap();
    let rev = |id: &str, parent: &str, up: &str| {
        let text = format!(
            "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {parent}\n\n-- migrate:up\n{up}\n\n-- migrate:down\nSELECT 1;\n"
        );
        std::fs::write(dir.join(format!("{id}.sql")), text).unwrap();
    };
    rev("a1", "", "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (id INTEGER PRIMARY KEY, p_id INT REFERENCES p (id));");
    rev("b2", "a1", "INSERT INTO c VALUES (11, 99);");
    p.ok(&["upgrade", "a1"]);
    let script = p.ok(&["upgrade", "a1:head", "--sql"]);
    assert!(script.starts_with("-- autogen offline script: run it with `sqlite3 -bail"), "{script}");
    // execute_batch stops at the first error, as `sqlite3 -bail` does.
    let conn = p.db();
    let e = conn.execute_batch(&script).unwrap_err().to_string();
    assert!(e.contains("the revision leaves rows that break foreign keys: a row of `c` (rowid 11)"), "{e}");
    let _ = conn.execute_batch("ROLLBACK");
    let heads: String =
        conn.query_row("SELECT group_concat(version_num) FROM autogen_version", [], |r| r.get(0)).unwrap();
    assert_eq!(heads, "a1");
    assert_eq!(conn.query_row("SELECT count(*) FROM c", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
    // A script already applied fails at its guard instead of running twice.
    rev("b2", "a1", "INSERT INTO p VALUES (1);");
    let script = p.ok(&["upgrade", "a1:head", "--sql"]);
    conn.execute_batch(&script).unwrap();
    let e = conn.execute_batch(&script).unwrap_err().to_string();
    assert!(e.contains("revision `b2` does not start where the database is"), "{e}");
    let _ = conn.execute_batch("ROLLBACK");
    assert_eq!(conn.query_row("SELECT count(*) FROM p", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
}
