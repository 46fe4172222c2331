//! Models that live in code (cli.md, "Models that live in code: model
//! programs"): a program prints the model as CREATE statements and is run
//! afresh by every command that reads the model, so the model can never go
//! stale. The SQLAlchemy and Django dumpers are carried inside the binary
//! and run in the app's own Python; any other program is run as given.
//!
//! A program that fails, hangs or prints no tables is an error, never an
//! empty model: read as a model, empty output would plan "drop every table"
//! (atlas-provider-sqlalchemy #16 did exactly that).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::process::Ran;
use super::sql_model::{self, Excluded};
use crate::source::model::renames::{Place, RenameHint};
use crate::source::model::{Model, ModelError};

/// What the dumpers share: how they fail and where an exception came from.
const COMMON: &str = include_str!("dumpers/common.py");
/// The SQLAlchemy dumper, run as `python -c` after [`COMMON`].
const SQLALCHEMY_DUMPER: &str = include_str!("dumpers/sqlalchemy.py");
/// The Django dumper, run as `python -c` after [`COMMON`].
const DJANGO_DUMPER: &str = include_str!("dumpers/django.py");

/// How long a model program may take before it is taken to hang.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How many lines of a failed program's standard error an error shows.
const STDERR_LINES: usize = 15;

/// What prints the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgramKind {
    /// `sqlalchemy:MODULE:ATTR`: a declarative Base, a MetaData or SQLModel.
    SqlAlchemy { module: String, attr: String },
    /// `django:SETTINGS[:app,app]`: every installed app, or those named.
    Django { settings: String, apps: Vec<String> },
    /// `drizzle:CONFIG`: `drizzle-kit export --config CONFIG`.
    Drizzle { config: String },
    /// `{program: [argv...]}`: any program (no shell).
    Command { argv: Vec<String> },
}

/// A model program as the config names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelProgram {
    pub kind: ProgramKind,
    /// As written in the config (`sqlalchemy:app.models:Base`), for messages.
    pub spelled: String,
    /// Where it runs: the config's folder, or `cwd:` resolved against it.
    pub cwd: PathBuf,
    /// `allow_empty: true`: output without tables is an empty model.
    pub allow_empty: bool,
    pub timeout: Duration,
    /// `python:` from the config, resolved; `None`: `$VIRTUAL_ENV`'s, else `python3`.
    pub python: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    #[error("model program `{spelled}` (`schema:` in autogen.yaml) could not start `{program}`: {why}. {hint}")]
    NotStarted { spelled: String, program: String, why: String, hint: String },
    #[error(
        "model program `{spelled}` failed ({status}){}; nothing was compared or written{}",
        said(.stderr).map(|s| format!(": {s}")).unwrap_or_default(),
        tail(.stderr)
    )]
    Failed { spelled: String, status: String, stderr: String },
    #[error(
        "model program `{spelled}` did not finish within {} s and was stopped; nothing was compared or written \
         (a program that waits for input or a database hangs here; `timeout:` beside `program:` sets the limit){}",
        .timeout.as_secs_f64(), tail(.stderr)
    )]
    TimedOut { spelled: String, timeout: Duration, stderr: String },
    #[error(
        "model program `{spelled}` printed no tables: read as the model, that would drop every table, so it is \
         refused. {hint}{}",
        tail(.stderr)
    )]
    NoTables { spelled: String, hint: String, stderr: String },
    #[error("model program `{spelled}` printed text that is not UTF-8")]
    NotText { spelled: String },
    /// What it printed is not a model (the error names the statement).
    #[error(transparent)]
    Sql(#[from] ModelError),
}

/// What a dumper says went wrong: its last `autogen: ` line (the
/// exception and the app's file:line), which heads the error.
fn said(stderr: &str) -> Option<&str> {
    stderr.lines().rev().find_map(|l| l.strip_prefix("autogen: "))
}

/// The end of a program's standard error, as an error's last lines (the
/// dumper's own summary line is in the message already).
fn tail(stderr: &str) -> String {
    // The dumper's own frames (`<string>`) and Python's import machinery
    // (`<frozen ...>`) say nothing about the app.
    let noise = |l: &str| {
        let t = l.trim_start();
        t.is_empty()
            || l.starts_with("autogen: ")
            || t.starts_with("File \"<string>\"")
            || t.starts_with("File \"<frozen ")
    };
    let lines: Vec<&str> = stderr.lines().filter(|l| !noise(l)).collect();
    if lines.is_empty() {
        return String::new();
    }
    let from = lines.len().saturating_sub(STDERR_LINES);
    let skipped = if from > 0 { "  ...\n" } else { "" };
    format!(
        "\nits standard error ends:\n{skipped}{}",
        lines[from..].iter().map(|l| format!("  {l}\n")).collect::<String>()
    )
    .trim_end()
    .to_string()
}

/// What a model program printed, and how long it took.
pub struct Printed {
    pub sql: String,
    pub took: Duration,
}

impl ModelProgram {
    /// Runs the program and reads what it prints as a `.sql` model; tables
    /// `exclude` matches are left out of it (an ORM's models may hold
    /// tables the project leaves alone).
    pub fn load(&self, exclude: &[String]) -> Result<(Model, Duration), ProgramError> {
        let printed = self.run()?;
        let label = PathBuf::from(format!("{} (its printed SQL)", self.spelled));
        let mut model = sql_model::load_text(&printed.sql, &label, exclude, Excluded::Dropped)?;
        let mut hints = printed_renames(&printed.sql, &label)?;
        let table_of = |h: &RenameHint| h.new.split('.').next().unwrap_or_default().to_string();
        hints.retain(|h| !exclude.iter().any(|g| crate::source::introspect::glob_match(g, &table_of(h))));
        crate::source::model::renames::apply(&mut model.schema, &hints)?;
        if model.schema.tables.is_empty() && !self.allow_empty {
            // It printed tables, and `exclude:` left none of them.
            let hint = "Every table it printed matches `exclude:` in autogen.yaml".to_string();
            return Err(ProgramError::NoTables { spelled: self.spelled.clone(), hint, stderr: String::new() });
        }
        Ok((model, printed.took))
    }

    /// Runs the program: its standard output, or why there is none.
    pub fn run(&self) -> Result<Printed, ProgramError> {
        let (mut command, program) = self.command()?;
        if !self.cwd.is_dir() {
            return Err(ProgramError::NotStarted {
                spelled: self.spelled.clone(),
                program,
                why: format!("the folder it runs in, `{}`, does not exist", self.cwd.display()),
                hint: "Check `cwd:` beside `program:` in autogen.yaml (relative to the config's folder)".into(),
            });
        }
        command.current_dir(&self.cwd).stdin(Stdio::null());
        let started = Instant::now();
        let output =
            super::process::run_with_deadline(&mut command, self.timeout).map_err(|e| ProgramError::NotStarted {
                spelled: self.spelled.clone(),
                program: program.clone(),
                why: e.to_string(),
                hint: self.missing_hint(),
            })?;
        let took = started.elapsed();
        let output = match output {
            Ran::Finished(output) => output,
            Ran::Stopped { stderr } => {
                return Err(ProgramError::TimedOut {
                    spelled: self.spelled.clone(),
                    timeout: self.timeout,
                    stderr: String::from_utf8_lossy(&stderr).into_owned(),
                })
            }
        };
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !output.status.success() {
            let status = match output.status.code() {
                Some(code) => format!("exit status {code}"),
                None => "killed by a signal".to_string(),
            };
            return Err(ProgramError::Failed { spelled: self.spelled.clone(), status, stderr });
        }
        let sql =
            String::from_utf8(output.stdout).map_err(|_| ProgramError::NotText { spelled: self.spelled.clone() })?;
        if !self.allow_empty && !mentions_create_table(&sql) {
            return Err(ProgramError::NoTables { spelled: self.spelled.clone(), hint: self.empty_hint(), stderr });
        }
        Ok(Printed { sql, took })
    }

    /// The command to run, and the program's name for errors.
    fn command(&self) -> Result<(Command, String), ProgramError> {
        match &self.kind {
            ProgramKind::SqlAlchemy { module, attr } => {
                let python = self.python();
                let mut c = Command::new(&python);
                c.arg("-c").arg(format!("{COMMON}\n{SQLALCHEMY_DUMPER}")).arg(module).arg(attr);
                Ok((c, python.display().to_string()))
            }
            ProgramKind::Django { settings, apps } => {
                let python = self.python();
                let mut c = Command::new(&python);
                c.arg("-c").arg(format!("{COMMON}\n{DJANGO_DUMPER}")).arg(settings).arg(apps.join(","));
                Ok((c, python.display().to_string()))
            }
            ProgramKind::Drizzle { config } => {
                let kit = self.cwd.join("node_modules").join(".bin").join("drizzle-kit");
                let mut c = Command::new(&kit);
                c.args(["export", "--dialect", "sqlite", "--config"]).arg(config);
                Ok((c, kit.display().to_string()))
            }
            ProgramKind::Command { argv } => {
                let mut c = Command::new(&argv[0]);
                c.args(&argv[1..]);
                Ok((c, argv[0].clone()))
            }
        }
    }

    /// The app's Python: `python:`, else the active virtual environment's,
    /// else `python3` on PATH.
    fn python(&self) -> PathBuf {
        if let Some(python) = &self.python {
            return python.clone();
        }
        if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
            let bin = if cfg!(windows) { "Scripts" } else { "bin" };
            let python = Path::new(&venv).join(bin).join("python");
            if python.exists() {
                return python;
            }
        }
        PathBuf::from("python3")
    }

    fn missing_hint(&self) -> String {
        match &self.kind {
            ProgramKind::SqlAlchemy { .. } | ProgramKind::Django { .. } => {
                "Set `python:` in autogen.yaml to the app's Python (such as .venv/bin/python), or activate its \
                 virtual environment"
                    .to_string()
            }
            ProgramKind::Drizzle { .. } => format!(
                "drizzle-kit is looked for in `{}`: install it there (npm install -D drizzle-kit)",
                self.cwd.join("node_modules").join(".bin").display()
            ),
            ProgramKind::Command { .. } => {
                "Check `program:` in autogen.yaml: the first word is the program (no shell), found on PATH or \
                 relative to `cwd:`"
                    .to_string()
            }
        }
    }

    fn empty_hint(&self) -> String {
        match &self.kind {
            ProgramKind::SqlAlchemy { module, attr } => format!(
                "`{attr}` of `{module}` holds no tables: SQLAlchemy knows a model only once its module is imported, \
                 so name the module that defines the models (such as `sqlalchemy:app.models:{attr}`), or import \
                 them in `{module}`"
            ),
            ProgramKind::Django { settings, .. } => {
                format!("the apps of `{settings}` have no managed models: check INSTALLED_APPS")
            }
            ProgramKind::Drizzle { config } => format!("check the `schema` that `{config}` names"),
            ProgramKind::Command { .. } => {
                "If the model is empty on purpose, set `allow_empty: true` beside `program:`".to_string()
            }
        }
    }
}

/// The rename hints a dumper prints: `-- autogen:renames {"NEW": "OLD"}`
/// (SQLAlchemy's `info={"renamed_from": ...}`). Hints of excluded tables
/// are left out with them.
fn printed_renames(sql: &str, label: &Path) -> Result<Vec<RenameHint>, ModelError> {
    let mut out = Vec::new();
    for (n, line) in sql.lines().enumerate() {
        let Some(json) = line.trim_start().strip_prefix("-- autogen:renames ") else { continue };
        let at = Place { file: label.to_path_buf(), line: (n + 1) as u32, column: 1 };
        let map: std::collections::BTreeMap<String, String> = serde_json::from_str(json).map_err(|e| ModelError {
            file: label.to_path_buf(),
            line: at.line,
            column: 1,
            message: format!("`-- autogen:renames` is not a JSON object of NEW: OLD names: {e}"),
        })?;
        out.extend(map.into_iter().map(|(new, old)| RenameHint { new, old, at: at.clone() }));
    }
    Ok(out)
}

/// Whether the text holds `CREATE TABLE` outside comments: a quick test
/// before the statements are read, so that an empty output says so.
fn mentions_create_table(sql: &str) -> bool {
    let words: Vec<String> = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .map(str::to_ascii_uppercase)
        .collect();
    words.windows(2).any(|w| w[0] == "CREATE" && w[1] == "TABLE")
}

/// The kind of program a `schema:` string names, if it names one:
/// `sqlalchemy:MODULE:ATTR`, `django:SETTINGS[:apps]`, `drizzle:CONFIG`.
pub fn parse_spelled(spelled: &str) -> Option<Result<ProgramKind, String>> {
    let (scheme, rest) = spelled.split_once(':')?;
    let kind = match scheme {
        "sqlalchemy" => match rest.split_once(':') {
            Some((module, attr)) if !module.is_empty() && !attr.is_empty() && !attr.contains(':') => {
                Ok(ProgramKind::SqlAlchemy { module: module.into(), attr: attr.into() })
            }
            _ => Err(format!(
                "`{spelled}`: write `sqlalchemy:MODULE:ATTR`, such as `sqlalchemy:app.models:Base` (a declarative \
                 Base, a MetaData, or `SQLModel`)"
            )),
        },
        "django" => {
            let (settings, apps) = rest.split_once(':').unwrap_or((rest, ""));
            if settings.is_empty() {
                Err(format!("`{spelled}`: write `django:SETTINGS_MODULE`, such as `django:mysite.settings`"))
            } else {
                let apps = apps.split(',').map(str::trim).filter(|a| !a.is_empty()).map(String::from).collect();
                Ok(ProgramKind::Django { settings: settings.into(), apps })
            }
        }
        "drizzle" if !rest.is_empty() => Ok(ProgramKind::Drizzle { config: rest.into() }),
        "drizzle" => Err(format!("`{spelled}`: write `drizzle:CONFIG`, such as `drizzle:drizzle.config.ts`")),
        _ => return None,
    };
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_strings_name_programs_or_files() {
        assert_eq!(
            parse_spelled("sqlalchemy:app.models:Base"),
            Some(Ok(ProgramKind::SqlAlchemy { module: "app.models".into(), attr: "Base".into() }))
        );
        assert_eq!(
            parse_spelled("django:mysite.settings:blog, shop"),
            Some(Ok(ProgramKind::Django {
                settings: "mysite.settings".into(),
                apps: vec!["blog".into(), "shop".into()]
            }))
        );
        assert!(parse_spelled("sqlalchemy:app.models").unwrap().is_err());
        assert!(parse_spelled("drizzle:").unwrap().is_err());
        assert_eq!(parse_spelled("schemas/app.yaml"), None);
        assert_eq!(parse_spelled("C:/schemas/app.yaml"), None);
    }

    #[test]
    fn output_without_a_table_is_seen() {
        assert!(!mentions_create_table("-- CREATE TABLE t (a)\n"));
        assert!(mentions_create_table("create table t (a);"));
        assert!(mentions_create_table("CREATE\n  TABLE t (a);"));
        assert!(!mentions_create_table(""));
    }

    #[test]
    fn the_end_of_standard_error_is_shown() {
        let long: String = (1..=40).map(|n| format!("line {n}\n")).collect();
        let shown = tail(&long);
        assert!(shown.contains("line 40") && shown.contains("line 26") && !shown.contains("line 25\n"), "{shown}");
        assert_eq!(tail("  \n"), "");
        let traceback = "Traceback (most recent call last):\n  File \"<string>\", line 46, in main\n  File \"<frozen \
                         importlib._bootstrap>\", line 1204, in _gcd_import\n  File \"/app/models.py\", line 1\nImportError: x\n\
                         autogen: importing failed\n";
        let shown = tail(traceback);
        assert!(!shown.contains("<string>") && !shown.contains("<frozen") && !shown.contains("autogen: "), "{shown}");
        assert!(shown.contains("/app/models.py") && shown.contains("ImportError: x"), "{shown}");
    }
}
