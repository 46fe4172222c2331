//! `--format markdown` for `diff`, `check` and `lint` (cli.md, "Installing,
//! and checks in CI"): one report to post as a pull request comment or to
//! append to `$GITHUB_STEP_SUMMARY`. What differs, the SQL of the revision
//! in a fenced block, lint findings as a table, and a mermaid ER diagram of
//! the tables that change. Plain text in fences, no colours: the report is
//! read on GitHub, not in a terminal.

use std::io::Write;

use crate::diff::Diff;
use crate::schema::{fold, Schema};
use crate::verify::lint::Finding;

/// Above this many changed tables the diagram is left out: GitHub's
/// mermaid gives up on very large diagrams, and nobody reads them.
const MAX_DIAGRAM_TABLES: usize = 40;

/// What a markdown report holds.
pub struct Report<'a> {
    /// The heading: what the command found.
    pub title: String,
    /// The model against the database, when there is a comparison.
    pub diff: Option<(&'a Diff, &'a Schema)>,
    /// The upgrade `revision --autogenerate` would write.
    pub sql: Option<&'a str>,
    pub findings: &'a [Finding],
    /// What the rows make of the change (data warnings).
    pub warnings: &'a [String],
    /// Revisions linted: (id, file, upgrade SQL).
    pub revisions: Vec<(String, String, String)>,
    /// The last line: what to do next.
    pub next: Option<String>,
}

impl<'a> Report<'a> {
    /// `diff`'s and `check`'s report: the model against the database, with
    /// the upgrade `revision --autogenerate` would write; `advise` ends a
    /// report of differences with what to run.
    pub fn comparison(
        command: &str,
        (d, model): (&'a Diff, &'a Schema),
        sql: Option<&'a str>,
        findings: &'a [Finding],
        warnings: &'a [String],
        advise: bool,
    ) -> Report<'a> {
        let (title, next) = match d.is_empty() {
            true => (format!("autogen {command}: the database matches the model"), None),
            false => (
                format!("autogen {command}: the database and the model differ"),
                advise.then(|| "Run `autogen revision --autogenerate -m MESSAGE`, then `autogen upgrade head`.".into()),
            ),
        };
        Report { title, diff: Some((d, model)), sql, findings, warnings, revisions: Vec::new(), next }
    }
}

pub fn write(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "## {}\n", r.title)?;
    if let Some((d, model)) = r.diff.filter(|(d, _)| !d.is_empty()) {
        let mut text = Vec::new();
        super::report::write_text(d, model, &mut text)?;
        let text = anstream::adapter::strip_str(&String::from_utf8_lossy(&text)).to_string();
        writeln!(out, "{}", fenced("text", &text))?;
        for w in r.warnings {
            writeln!(out, "> **warning:** {}\n", cell(w))?;
        }
        if let Some(sql) = r.sql {
            writeln!(
                out,
                "<details><summary>The upgrade <code>autogen revision --autogenerate</code> would write</summary>\n"
            )?;
            writeln!(out, "{}", fenced("sql", sql))?;
            writeln!(out, "</details>\n")?;
        }
    }
    for (id, file, sql) in &r.revisions {
        writeln!(out, "<details><summary>Revision <code>{id}</code> (<code>{}</code>)</summary>\n", html(file))?;
        writeln!(out, "{}", fenced("sql", sql))?;
        writeln!(out, "</details>\n")?;
    }
    if !r.findings.is_empty() {
        writeln!(out, "### Lint\n")?;
        writeln!(out, "| severity | code | where | finding |")?;
        writeln!(out, "|---|---|---|---|")?;
        for f in r.findings {
            let place = match (f.file.as_str(), f.line) {
                ("", 0) => "the new revision".to_string(),
                ("", line) => format!("the new revision, line {line}"),
                (file, 0) => format!("`{file}`"),
                (file, line) => format!("`{file}:{line}`"),
            };
            writeln!(out, "| {} | {} | {place} | {} |", f.severity, f.code, cell(&f.message))?;
        }
        writeln!(out)?;
    }
    if let Some((d, model)) = r.diff.filter(|(d, _)| !d.is_empty()) {
        write_diagram(d, model, out)?;
    }
    if let Some(next) = &r.next {
        writeln!(out, "{next}")?;
    }
    Ok(())
}

/// The ER diagram of the model's tables that change (with those dropped).
fn write_diagram(d: &Diff, model: &Schema, out: &mut dyn Write) -> std::io::Result<()> {
    let changed: std::collections::BTreeSet<String> = d.changes.iter().map(|c| fold(c.subject())).collect();
    let tables: std::collections::BTreeMap<String, crate::schema::Table> =
        model.tables.iter().filter(|(k, _)| changed.contains(*k)).map(|(k, t)| (k.clone(), t.clone())).collect();
    if tables.len() > MAX_DIAGRAM_TABLES {
        return writeln!(
            out,
            "_{} tables change: the diagram is left out above {MAX_DIAGRAM_TABLES}._\n",
            tables.len()
        );
    }
    let part = Schema { tables, ..Schema::default() };
    writeln!(out, "### Tables that change\n")?;
    writeln!(out, "{}", fenced("mermaid", &super::report::mermaid(&part, Some(d))))
}

/// `text` in a fence longer than any run of backticks it holds.
fn fenced(info: &str, text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{info}\n{}\n{fence}\n", text.trim_end())
}

/// A table cell: no line breaks or pipes to break the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_the_backticks_inside() {
        assert_eq!(fenced("sql", "SELECT 1;\n"), "```sql\nSELECT 1;\n```\n");
        assert!(fenced("text", "a ```` b").starts_with("`````text\n"));
        assert_eq!(cell("a | b\nc"), "a \\| b c");
    }
}
