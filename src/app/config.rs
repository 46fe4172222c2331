//! `autogen.yaml` (cli.md, "Config"): found in the current folder or a
//! parent, or named with `-c`. Relative paths in it are relative to the
//! file; `AUTOGEN_DATABASE_URL`, then `DATABASE_URL`, override `database`,
//! and the global flags override everything.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::engine::model_program::{self, ModelProgram, ProgramKind};
use crate::source::model::renames::{Place, RenameHint};
use crate::source::model::ModelError as ConfigError;
use crate::verify::lint::{Code, Policy};

pub const FILE_NAME: &str = "autogen.yaml";
pub const DEFAULT_VERSION_TABLE: &str = "autogen_version";
pub const DEFAULT_VERSIONS: &str = "migrations/versions";
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file the settings came from, if any.
    pub file: Option<PathBuf>,
    pub database: Option<PathBuf>,
    /// `schema:`: a model file, or a program that prints the model.
    pub schema: Option<ModelSource>,
    /// `renames:` (NEW: OLD), for every kind of model, in the file's order.
    pub renames: Vec<RenameHint>,
    pub versions: PathBuf,
    pub version_table: String,
    pub exclude: Vec<String>,
    pub busy_timeout: Duration,
    /// What `-v` tells about how the settings were chosen.
    pub notes: Vec<String>,
    /// Where autogen looked for `autogen.yaml` when there is none.
    pub searched: PathBuf,
    /// Whether the versions folder was named (config or `--versions`) rather
    /// than defaulted.
    pub versions_named: bool,
    /// `lint:`: which rules are errors, warnings, or ignored.
    pub lint: Policy,
    /// `fleet:`: the default fleet, a glob or `@FILE`, its path resolved
    /// against the config's folder.
    pub fleet: Option<String>,
    /// `database: d1://NAME`: a Cloudflare D1 database through wrangler
    /// (then `database` is `None`).
    pub d1: Option<D1Settings>,
    /// `online:`: how `upgrade --online` copies.
    pub online: crate::migrate::online::Settings,
}

/// Where the model comes from (cli.md, "Config" and "Models that live in code").
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSource {
    /// A YAML model or a `.sql` file of CREATE statements.
    File(PathBuf),
    /// A program that prints CREATE statements, run afresh each time.
    Program(ModelProgram),
}

/// A D1 database and how to reach it (cli.md, "Other engines").
#[derive(Debug, Clone, PartialEq)]
pub struct D1Settings {
    /// The `database_name` (or binding) in wrangler's config.
    pub name: String,
    /// `d1.wrangler`, split into words; `None`: the project's own
    /// `node_modules/.bin/wrangler`, else `wrangler` on PATH, else `npx wrangler`.
    pub wrangler: Option<Vec<String>>,
    /// wrangler's config: `d1.config`, else the first of `wrangler.toml`,
    /// `wrangler.json`, `wrangler.jsonc` beside autogen.yaml; `None` when
    /// there is none.
    pub config: Option<PathBuf>,
    /// Where wrangler's config was looked for, for the error when it is missing.
    pub searched: PathBuf,
    /// `d1.remote: true`: the real database (`--remote`), not the local one.
    pub remote: bool,
}

impl Config {
    /// Whether a database is named at all (a file or D1).
    pub fn has_database(&self) -> bool {
        self.database.is_some() || self.d1.is_some()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    database: Option<String>,
    schema: Option<RawSchema>,
    /// The Python that runs the `sqlalchemy:` and `django:` dumpers.
    python: Option<String>,
    /// NEW: OLD, for tables (`tasks: todos`) and columns (`todos.label: title`).
    #[serde(default)]
    renames: std::collections::BTreeMap<String, String>,
    versions: Option<String>,
    version_table: Option<String>,
    #[serde(default)]
    exclude: Vec<String>,
    /// Seconds to wait for a lock held by another connection.
    busy_timeout: Option<f64>,
    lint: Option<RawLint>,
    fleet: Option<String>,
    d1: Option<RawD1>,
    online: Option<RawOnline>,
}

/// `online: {min_rows: 100000, chunk_ms: 50}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOnline {
    min_rows: Option<u64>,
    chunk_ms: Option<u64>,
}

/// `schema: PATH`, `schema: sqlalchemy:MODULE:ATTR` (and `django:`,
/// `drizzle:`), or `schema: {program: [argv], cwd: DIR}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawSchema {
    Spelled(String),
    Program(RawProgram),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    program: Vec<String>,
    cwd: Option<String>,
    #[serde(default)]
    allow_empty: bool,
    /// Seconds before the program is taken to hang (default 60).
    timeout: Option<f64>,
}

/// `d1: {wrangler: npx wrangler, config: wrangler.toml, remote: false}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawD1 {
    wrangler: Option<String>,
    config: Option<String>,
    #[serde(default)]
    remote: bool,
}

/// `lint: {error: [AG101], warn: [AG401], ignore: [AG301]}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLint {
    #[serde(default)]
    error: Vec<String>,
    #[serde(default)]
    warn: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
}

/// What the command line and the environment say, applied over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub database: Option<String>,
    /// `--schema`: a model file, or a program as `schema:` spells one.
    pub schema: Option<String>,
    pub versions: Option<PathBuf>,
    /// `AUTOGEN_DATABASE_URL`: stronger than the config.
    pub autogen_database_url: Option<String>,
    /// `DATABASE_URL`: weaker than the config, and only a SQLite URL counts.
    pub database_url: Option<String>,
}

impl Overrides {
    /// Reads the two database variables from the process environment.
    pub fn with_env(mut self) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        self.autogen_database_url = var("AUTOGEN_DATABASE_URL");
        self.database_url = var("DATABASE_URL");
        self
    }
}

/// Finds and reads the configuration, then applies the overrides. `cwd` is
/// where relative command-line paths start.
pub fn load(overrides: &Overrides, cwd: &Path) -> Result<Config, ConfigError> {
    let file = match &overrides.config {
        Some(p) => {
            let p = cwd.join(p);
            if !p.is_file() {
                return Err(error(&p, 0, 0, "config file not found"));
            }
            Some(p)
        }
        None => discover(cwd),
    };
    let raw = match &file {
        Some(p) => read(p)?,
        None => RawConfig::default(),
    };
    let base = file.as_deref().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(|| cwd.to_path_buf());
    let raw_versions_named = file.is_some();
    let config_file = file.as_deref().unwrap_or(Path::new(FILE_NAME));
    let text = file.as_deref().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    let at = |key: &str| position_of(&text, key);
    // Strongest first (cli.md, "Config"): --database, AUTOGEN_DATABASE_URL,
    // `database:`, then DATABASE_URL when it is a SQLite URL: a leftover
    // `postgres://` from another app never overrides a config.
    let mut notes = Vec::new();
    let named = if let Some(url) = &overrides.database {
        Some(parse_named(url, cwd).map_err(|m| error(Path::new("--database"), 0, 0, m))?)
    } else if let Some(url) = &overrides.autogen_database_url {
        Some(parse_named(url, cwd).map_err(|m| error(Path::new("AUTOGEN_DATABASE_URL"), 0, 0, m))?)
    } else if let Some(url) = raw.database.as_deref() {
        let (line, column) = at("database");
        Some(parse_named(url, &base).map_err(|m| error(config_file, line, column, m))?)
    } else {
        None
    };
    let (database, d1_name) = match named {
        Some(Named::File(path)) => (Some(path), None),
        Some(Named::D1(name)) => (None, Some(name)),
        None => (None, None),
    };
    let named_strongly = database.is_some() || d1_name.is_some();
    let database = if named_strongly {
        database
    } else if let Some(url) = &overrides.database_url {
        match parse_database(url, cwd) {
            Ok(path) => Some(path),
            Err(why) => {
                notes.push(format!("DATABASE_URL is ignored: {why}"));
                None
            }
        }
    } else {
        None
    };
    if let (Some(url), false) = (&overrides.database_url, notes.iter().any(|n| n.starts_with("DATABASE_URL"))) {
        if overrides.database.is_some() || overrides.autogen_database_url.is_some() || raw.database.is_some() {
            let why = parse_database(url, cwd).err().map_or(String::new(), |e| format!(" (and {e})"));
            notes.push(format!("DATABASE_URL is ignored: the database is named more strongly{why}"));
        }
    }
    // SQLite takes the timeout as milliseconds in a 32-bit int.
    const MAX_BUSY_SECONDS: f64 = i32::MAX as f64 / 1000.0;
    let busy_timeout = match raw.busy_timeout {
        Some(s) if s.is_finite() && (0.0..=MAX_BUSY_SECONDS).contains(&s) => Duration::from_secs_f64(s),
        Some(s) if s.is_finite() && s > MAX_BUSY_SECONDS => {
            let (line, column) = at("busy_timeout");
            return Err(error(
                config_file,
                line,
                column,
                format!("`busy_timeout: {s}` is more than SQLite can wait ({MAX_BUSY_SECONDS} seconds, about 24 days)"),
            ));
        }
        Some(s) => {
            let (line, column) = at("busy_timeout");
            return Err(error(
                config_file,
                line,
                column,
                format!("`busy_timeout: {s}` should be a number of seconds, 0 or more"),
            ));
        }
        None => DEFAULT_BUSY_TIMEOUT,
    };
    let version_table = raw.version_table.unwrap_or_else(|| DEFAULT_VERSION_TABLE.to_string());
    if version_table.is_empty() {
        let (line, column) = at("version_table");
        return Err(error(config_file, line, column, "`version_table` is empty"));
    }
    // SQLite keeps `sqlite_*` names for itself, D1 `_cf_*`, and a rebuild
    // builds under `_autogen_*`.
    let reserved = ["sqlite_", "_cf_", "_autogen_"]
        .into_iter()
        .find(|p| version_table.get(..p.len()).is_some_and(|head| head.eq_ignore_ascii_case(p)));
    if let Some(prefix) = reserved {
        let (line, column) = at("version_table");
        return Err(error(
            config_file,
            line,
            column,
            format!("`version_table: {version_table}`: names beginning `{prefix}` are reserved; choose another name"),
        ));
    }
    let lint = lint_policy(raw.lint.unwrap_or_default(), config_file, &text)?;
    let d1 = d1_name.map(|name| d1_settings(name, raw.d1.unwrap_or_default(), &base));
    let fleet = raw.fleet.map(|f| match f.strip_prefix('@') {
        Some(list) => format!("@{}", base.join(list).display()),
        None => base.join(&f).display().to_string(),
    });
    let python = raw.python.as_deref().map(|p| resolve_program(p, &base));
    let schema = match (&overrides.schema, raw.schema) {
        (Some(spelled), _) => Some(
            model_source(RawSchema::Spelled(spelled.clone()), cwd, python.clone())
                .map_err(|m| error(Path::new("--schema"), 0, 0, m))?,
        ),
        (None, Some(raw_schema)) => {
            let (line, column) = at("schema");
            Some(model_source(raw_schema, &base, python.clone()).map_err(|m| error(config_file, line, column, m))?)
        }
        (None, None) => None,
    };
    let renames = renames(raw.renames, config_file, &text)?;
    let online = {
        let raw_online = raw.online.unwrap_or_default();
        let mut online = crate::migrate::online::Settings::default();
        online.min_rows = raw_online.min_rows.unwrap_or(online.min_rows);
        if let Some(ms) = raw_online.chunk_ms {
            // A chunk of no time copies nothing; one of minutes is the
            // offline rebuild's stall again.
            if !(1..=10_000).contains(&ms) {
                let (line, column) = at("online");
                return Err(error(
                    config_file,
                    line,
                    column,
                    format!("`online.chunk_ms: {ms}` should be between 1 and 10000 milliseconds (50 by default)"),
                ));
            }
            online.pace.chunk = Duration::from_millis(ms);
            online.pace.pause = Duration::from_millis(ms);
        }
        online
    };
    Ok(Config {
        online,
        lint,
        fleet,
        schema,
        renames,
        versions: overrides
            .versions
            .as_ref()
            .map(|p| cwd.join(p))
            .unwrap_or_else(|| base.join(raw.versions.as_deref().unwrap_or(DEFAULT_VERSIONS))),
        file,
        database,
        d1,
        version_table,
        exclude: raw.exclude,
        busy_timeout,
        notes,
        searched: cwd.to_path_buf(),
        versions_named: overrides.versions.is_some() || raw_versions_named,
    })
}

/// What `schema:` names, its paths resolved against `base`.
fn model_source(raw: RawSchema, base: &Path, python: Option<PathBuf>) -> Result<ModelSource, String> {
    let program = |kind: ProgramKind, spelled: String, cwd: PathBuf, allow_empty: bool, timeout: Duration| {
        ModelSource::Program(ModelProgram { kind, spelled, cwd, allow_empty, timeout, python: python.clone() })
    };
    match raw {
        RawSchema::Spelled(spelled) => {
            let spelled = spelled.trim().to_string();
            if spelled.is_empty() {
                return Err("`schema:` is empty: name the model file, or a model program".into());
            }
            match model_program::parse_spelled(&spelled) {
                Some(kind) => Ok(program(kind?, spelled, base.to_path_buf(), false, model_program::DEFAULT_TIMEOUT)),
                None => Ok(ModelSource::File(base.join(spelled))),
            }
        }
        RawSchema::Program(p) => {
            if p.program.first().is_none_or(|w| w.trim().is_empty()) {
                return Err("`schema: {program: [...]}` names no program: give the command as a list of words, \
                            such as [node, scripts/print-schema.js]"
                    .into());
            }
            let timeout = match p.timeout {
                None => model_program::DEFAULT_TIMEOUT,
                Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Duration::from_secs_f64(s),
                Some(s) => return Err(format!("`timeout: {s}` should be a number of seconds, more than 0")),
            };
            let cwd = p.cwd.as_deref().map_or_else(|| base.to_path_buf(), |c| base.join(c));
            let spelled = p.program.join(" ");
            Ok(program(ProgramKind::Command { argv: p.program }, spelled, cwd, p.allow_empty, timeout))
        }
    }
}

/// A program path from the config: relative to the config's folder when
/// it names a folder (`.venv/bin/python`), else looked up on PATH (`python3`).
fn resolve_program(spelled: &str, base: &Path) -> PathBuf {
    let spelled = spelled.trim();
    if spelled.contains('/') || spelled.contains(std::path::MAIN_SEPARATOR) {
        base.join(spelled)
    } else {
        PathBuf::from(spelled)
    }
}

/// `renames:`, each entry with its place in the config.
fn renames(
    raw: std::collections::BTreeMap<String, String>,
    file: &Path,
    text: &str,
) -> Result<Vec<RenameHint>, ConfigError> {
    let mut out = Vec::new();
    for (new, old) in raw {
        // The entry's own line, else the `renames:` key's.
        let found = text.lines().enumerate().find_map(|(n, l)| {
            let trimmed = l.trim_start();
            let key = trimmed.strip_prefix(new.as_str()).or_else(|| {
                trimmed.strip_prefix(&format!("\"{new}\"")).or_else(|| trimmed.strip_prefix(&format!("'{new}'")))
            })?;
            key.trim_start().starts_with(':').then_some((n, l.len() - trimmed.len()))
        });
        let (line, column) = match found {
            Some((n, at)) => ((n + 1) as u32, (at + 1) as u32),
            None => position_of(text, "renames"),
        };
        if new.trim().is_empty() || old.trim().is_empty() {
            return Err(error(file, line, column, "`renames:` entries are `NEW: OLD`, neither empty"));
        }
        out.push(RenameHint {
            new: new.trim().to_string(),
            old: old.trim().to_string(),
            at: Place { file: file.to_path_buf(), line, column },
        });
    }
    Ok(out)
}

/// The rule codes of `lint:`, each in one list at most.
fn lint_policy(raw: RawLint, file: &Path, text: &str) -> Result<Policy, ConfigError> {
    let mut policy = Policy::default();
    let lists = [("error", raw.error), ("warn", raw.warn), ("ignore", raw.ignore)];
    let mut seen: Vec<(Code, &str)> = Vec::new();
    for (list, codes) in &lists {
        for written in codes {
            // The code's own line, else the `lint:` key's.
            let found = text.lines().enumerate().find_map(|(n, l)| Some((n, l.find(written.as_str())?)));
            let (line, column) = match found {
                Some((n, at)) => ((n + 1) as u32, (at + 1) as u32),
                None => position_of(text, "lint"),
            };
            let code: Code =
                written.parse().map_err(|m: String| error(file, line, column, format!("`lint.{list}`: {m}")))?;
            if let Some((_, other)) = seen.iter().find(|(c, _)| *c == code) {
                let message = format!("`{code}` is in both `lint.{other}` and `lint.{list}`: keep it in one");
                return Err(error(file, line, column, message));
            }
            seen.push((code, list));
            match *list {
                "error" => policy.error.insert(code),
                "warn" => policy.warn.insert(code),
                _ => policy.ignore.insert(code),
            };
        }
    }
    Ok(policy)
}

fn error(file: &Path, line: u32, column: u32, message: impl Into<String>) -> ConfigError {
    ConfigError { file: file.to_path_buf(), line, column, message: message.into() }
}

/// Where `key:` is in the config text, value first (line, column), both
/// 1-based; (0, 0) when it is not found.
fn position_of(text: &str, key: &str) -> (u32, u32) {
    for (n, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) {
            let value = rest.len() - rest.trim_start().len();
            return ((n + 1) as u32, (key.len() + 1 + value + 1) as u32);
        }
    }
    (0, 0)
}

/// `autogen.yaml` in `dir` or the nearest parent that has one.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().map(|d| d.join(FILE_NAME)).find(|p| p.is_file())
}

fn read(path: &Path) -> Result<RawConfig, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| error(path, 0, 0, format!("cannot read the config file: {e}")))?;
    if text.trim().is_empty() {
        return Ok(RawConfig::default());
    }
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    serde_saphyr::from_str_with_options(&text, options).map_err(|e| {
        let (line, column) = e.location().map(|l| (l.line() as u32, l.column() as u32)).unwrap_or((0, 0));
        let message = first_line(&e.to_string());
        let message = if message.contains("RawSchema") {
            "`schema:` is a model file (a path), `sqlalchemy:MODULE:ATTR`, `django:SETTINGS[:apps]`, \
             `drizzle:CONFIG`, or `{program: [words...], cwd: DIR}`"
                .to_string()
        } else {
            message
        };
        error(path, line, column, message)
    })
}

/// serde-saphyr's Display carries a snippet and advice about its own API;
/// a message here is one line about the YAML.
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or(s).trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let line = line.find(" at line ").map(|i| &line[..i]).unwrap_or(line);
    let line = line.find(", set DuplicateKeyPolicy").map(|i| &line[..i]).unwrap_or(line);
    line.to_string()
}

/// What a database setting names.
pub enum Named {
    File(PathBuf),
    D1(String),
}

/// `d1://NAME`, or a SQLite file ([`parse_database`]).
pub fn parse_named(url: &str, base: &Path) -> Result<Named, String> {
    match url.trim().strip_prefix("d1://") {
        Some(name) if name.is_empty() || name.contains('/') => Err(format!(
            "database `{url}` names no D1 database: write d1://NAME, with NAME the `database_name` in wrangler's \
             config"
        )),
        Some(name) => Ok(Named::D1(name.to_string())),
        None => parse_database(url, base).map(Named::File),
    }
}

/// A D1 database with the `d1:` block's defaults, beside `base`.
pub fn d1_defaults(name: String, base: &Path) -> D1Settings {
    d1_settings(name, RawD1::default(), base)
}

/// The `d1:` block, its paths resolved against the config's folder.
fn d1_settings(name: String, raw: RawD1, base: &Path) -> D1Settings {
    let config = match raw.config {
        Some(c) => Some(base.join(c)),
        None => ["wrangler.toml", "wrangler.json", "wrangler.jsonc"].iter().map(|f| base.join(f)).find(|p| p.is_file()),
    };
    let wrangler = raw.wrangler.map(|w| w.split_whitespace().map(str::to_string).collect::<Vec<_>>());
    D1Settings {
        name,
        wrangler: wrangler.filter(|w| !w.is_empty()),
        config,
        searched: base.to_path_buf(),
        remote: raw.remote,
    }
}

/// A database setting: `sqlite:///relative.db`, `sqlite:////absolute.db`
/// (SQLAlchemy's URL forms) or a plain path, relative to `base`.
pub fn parse_database(url: &str, base: &Path) -> Result<PathBuf, String> {
    let url = url.trim();
    let path = if let Some(rest) = url.strip_prefix("sqlite:///") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if url.contains("://") {
        return Err(format!(
            "database URL `{url}` is not SQLite: autogen works on SQLite databases (sqlite:///path.db or a plain path)"
        ));
    } else {
        url
    };
    // Dropped, a `?mode=ro` would leave the database written; kept, a
    // `file:` URI would be taken for a file of that name. Neither is read.
    if let Some((_, query)) = path.split_once('?') {
        return Err(format!(
            "database URL `{url}` has query parameters (`?{query}`), which autogen does not read: give the path alone \
             (commands that only read, such as `diff`, `check` and `current`, never write the database)"
        ));
    }
    if path.starts_with("file:") {
        return Err(format!(
            "database `{url}` is a `file:` URI, which autogen does not read: give the path alone (sqlite:///app.db)"
        ));
    }
    if path.is_empty() || path == ":memory:" {
        return Err(format!("database `{url}` names no file: give a path such as sqlite:///./database.db"));
    }
    if path.ends_with(['/', std::path::MAIN_SEPARATOR]) {
        return Err(format!("database `{url}` names a folder: name the database file in it (such as db/app.db)"));
    }
    Ok(base.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_resolve_like_sqlalchemy() {
        let base = Path::new("/proj");
        assert_eq!(parse_database("sqlite:///./database.db", base).unwrap(), Path::new("/proj/./database.db"));
        assert_eq!(parse_database("sqlite:////abs/x.db", base).unwrap(), Path::new("/abs/x.db"));
        assert_eq!(parse_database("data/app.db", base).unwrap(), Path::new("/proj/data/app.db"));
        assert!(parse_database("postgresql://localhost/db", base).unwrap_err().contains("not SQLite"));
        assert!(parse_database("sqlite:///:memory:", base).is_err());
        // Neither dropped nor taken for a file name.
        assert!(parse_database("sqlite:///app.db?mode=ro", base).unwrap_err().contains("`?mode=ro`"));
        assert!(parse_database("file:app.db?mode=ro", base).is_err());
        assert!(parse_database("file:app.db", base).unwrap_err().contains("`file:` URI"));
        assert!(parse_database("sqlite:///db/", base).unwrap_err().contains("names a folder"));
    }
}
