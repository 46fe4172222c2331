//! `--format markdown` for `check`, `diff` and `lint` (issue 27; cli.md,
//! "Installing, and checks in CI"): one report for a pull request comment
//! or `$GITHUB_STEP_SUMMARY`, with the SQL fenced, lint as a table and a
//! mermaid diagram of the tables that change.

mod support;

use support::{text, Project};

const START: &str =
    "tables:\n  - name: users\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      \
- {name: email, type: TEXT}\n  - name: legacy\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n";

#[test]
fn check_diff_and_lint_write_one_report_for_a_pull_request() {
    let p = Project::new(START);
    p.ok(&["revision", "--autogenerate", "-m", "start", "--rev-id", "a1"]);
    p.ok(&["upgrade"]);
    p.db().execute_batch("INSERT INTO users VALUES (1, 'a@x'), (2, NULL); INSERT INTO legacy VALUES (7);").unwrap();

    let in_sync = p.run(&["check", "--format", "markdown"]);
    assert_eq!(in_sync.status.code(), Some(0), "{}", text(&in_sync.stderr));
    assert!(text(&in_sync.stdout).starts_with("## autogen check: the database matches the model"));

    // The model changes: a table dropped, a column NOT NULL with rows that hold NULL.
    p.set_model(
        "tables:\n  - name: users\n    columns:\n      - {name: id, type: INTEGER, primary_key: true}\n      \
         - {name: email, type: TEXT, nullable: false}\n",
    );
    let out = p.run(&["check", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    for wanted in [
        "## autogen check: the database and the model differ",
        "```text\n",
        "drop table `legacy` (its data is lost)",
        "> **warning:** dropping table `legacy` discards 1 row",
        "<details><summary>The upgrade <code>autogen revision --autogenerate</code> would write</summary>",
        "```sql\n",
        "DROP TABLE \"legacy\";",
        "### Lint",
        "| severity | code | where | finding |",
        "| warning | AG101 |",
        "```mermaid\nerDiagram",
        "Run `autogen revision --autogenerate -m MESSAGE`",
    ] {
        assert!(md.contains(wanted), "missing {wanted:?} in:\n{md}");
    }
    assert!(!md.contains('\u{1b}'), "colours in markdown:\n{md}");
    // Every fence is closed.
    assert_eq!(md.lines().filter(|l| l.starts_with("```")).count() % 2, 0, "{md}");

    let diff = p.run(&["diff", "--format", "markdown"]);
    assert_eq!(diff.status.code(), Some(0));
    assert!(text(&diff.stdout).starts_with("## autogen diff: the database and the model differ"));

    // lint: the revisions' SQL and the findings as a table.
    p.ok(&["revision", "--autogenerate", "-m", "tighten", "--rev-id", "b2", "--no-rehearse"]);
    let out = p.run(&["lint", "--format", "markdown"]);
    let md = text(&out.stdout);
    assert!(md.starts_with("## autogen lint: 1 revision,"), "{md}");
    assert!(md.contains("Revision <code>b2</code>") && md.contains("| warning | AG101 |"), "{md}");

    // One database only; and not for the commands that migrate.
    for args in [&["check", "--replay", "--format", "markdown"][..], &["upgrade", "--format", "markdown"]] {
        let out = p.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
    }
}
