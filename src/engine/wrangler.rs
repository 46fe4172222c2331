//! Running Cloudflare's `wrangler d1 execute` (docs/d1-research.md has the
//! measured behaviour this follows): one call per batch of statements, each
//! call one atomic D1 batch, about 1.7 s whatever it holds, so callers send
//! what they can at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

/// One row as D1 returns it: column name to value.
pub type Row = Map<String, Value>;

/// How to reach one D1 database through wrangler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrangler {
    /// The command that runs wrangler, as words (`["npx", "--no-install", "wrangler"]`).
    pub program: Vec<String>,
    /// wrangler's config file (`wrangler.toml`, `.json` or `.jsonc`), absolute.
    pub config: PathBuf,
    /// The `database_name` or binding in that config.
    pub database: String,
    /// `--remote` (the real database) rather than `--local`.
    pub remote: bool,
    /// `--persist-to`: the local state folder of a scratch copy; `None` for
    /// wrangler's own (`.wrangler/state` beside its config).
    pub persist_to: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum WranglerError {
    #[error(
        "cannot run wrangler (`{program}`): {reason}; install it in the project (`npm install --save-dev \
         wrangler`) or say how to run it with `d1: {{wrangler: ...}}` in autogen.yaml; nothing was changed"
    )]
    Missing { program: String, reason: String },
    #[error(
        "D1 database `{name}` is not in wrangler's config `{}`: add it under `d1_databases` (as `database_name` or \
         `binding`), or name one that is there in `database: d1://NAME`; nothing was changed",
        .config.display()
    )]
    UnknownDatabase { name: String, config: PathBuf },
    #[error(
        "D1 database `{name}` (remote): wrangler has no credentials: set CLOUDFLARE_API_TOKEN (and \
         CLOUDFLARE_ACCOUNT_ID), or work on the local database (`d1: {{remote: false}}`); nothing was changed"
    )]
    Credentials { name: String },
    #[error("D1 database `{name}` refused it: {message}")]
    Sql { name: String, message: String },
    #[error("wrangler failed on D1 database `{name}`: {message}")]
    Failed { name: String, message: String },
    #[error("wrangler's answer for D1 database `{name}` is not what autogen expects: {message}")]
    Answer { name: String, message: String },
}

impl Wrangler {
    /// wrangler's local state folder for this database.
    pub fn state_dir(&self) -> PathBuf {
        match &self.persist_to {
            Some(dir) => dir.clone(),
            None => self.config.parent().unwrap_or(Path::new(".")).join(".wrangler").join("state"),
        }
    }

    /// The same database in another local state folder (a scratch copy).
    pub fn persisted_to(&self, dir: &Path) -> Wrangler {
        Wrangler { remote: false, persist_to: Some(dir.to_path_buf()), ..self.clone() }
    }

    /// Runs `sql` (statements separated by `;`) as one D1 batch, atomic:
    /// the rows each statement returned, in order. `expected` is how many
    /// statements were sent: wrangler splits the text itself, and a split
    /// that disagrees (its splitter reads a lower-case `end` as no end) is
    /// an error rather than results in the wrong places.
    pub fn execute(&self, sql: &str, expected: Option<usize>) -> Result<Vec<Vec<Row>>, WranglerError> {
        let file = TempFile::write(sql).map_err(|e| self.failed(format!("cannot write the SQL file: {e}")))?;
        let (program, args) = self.program.split_first().ok_or_else(|| WranglerError::Missing {
            program: String::new(),
            reason: "`d1.wrangler` is empty".into(),
        })?;
        let config_home = std::env::temp_dir().join("autogen-wrangler");
        let _ = std::fs::create_dir_all(&config_home);
        let mut command = Command::new(program);
        command
            .args(args)
            .args(["d1", "execute", &self.database, "--json", "--config"])
            .arg(&self.config)
            .arg(if self.remote { "--remote" } else { "--local" })
            .arg("--file")
            .arg(&file.0)
            // No prompts, no telemetry, no update check, no log files in the
            // user's home; with WRANGLER_LOG set `--json` prints nothing.
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_SEND_ERROR_REPORTS", "false")
            .env("WRANGLER_HIDE_BANNER", "true")
            .env("XDG_CONFIG_HOME", &config_home)
            .env("WRANGLER_LOG_PATH", config_home.join("wrangler.log"))
            .env_remove("WRANGLER_LOG")
            .stdin(Stdio::null());
        if let Some(dir) = &self.persist_to {
            command.arg("--persist-to").arg(dir);
        }
        if let Some(dir) = self.config.parent().filter(|d| !d.as_os_str().is_empty()) {
            command.current_dir(dir);
        }
        let output = command.output().map_err(|e| WranglerError::Missing {
            program: self.program.join(" "),
            reason: if e.kind() == std::io::ErrorKind::NotFound { "not found".into() } else { e.to_string() },
        })?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(self.classify(&stdout, &String::from_utf8_lossy(&output.stderr)));
        }
        let results: Vec<Value> =
            serde_json::from_str(stdout.trim()).map_err(|e| self.answer(format!("{e}: {}", first_lines(&stdout))))?;
        if let Some(n) = expected.filter(|n| *n != results.len()) {
            return Err(self.answer(format!(
                "{} results for {n} statements: wrangler split the SQL differently (write `CASE`, `BEGIN` and `END` \
                 in upper case, followed by a space or `;`)",
                results.len()
            )));
        }
        results
            .into_iter()
            .map(|result| match result.get("results") {
                Some(Value::Array(rows)) => {
                    Ok(rows.iter().map(|r| r.as_object().cloned().unwrap_or_default()).collect::<Vec<Row>>())
                }
                _ => Err(self.answer(format!("a result without rows: {result}"))),
            })
            .collect()
    }

    /// A failed call, named: the JSON error on standard output when there
    /// is one, else wrangler's own words on standard error.
    fn classify(&self, stdout: &str, stderr: &str) -> WranglerError {
        let name = self.database.clone();
        let text = serde_json::from_str::<Value>(stdout.trim())
            .ok()
            .and_then(|v| v.pointer("/error/text").and_then(Value::as_str).map(str::to_string));
        let Some(text) = text else {
            let stderr = strip_ansi(stderr);
            let message = if stderr.trim().is_empty() { first_lines(stdout) } else { first_lines(&stderr) };
            if message.contains("Couldn't find a D1 DB") {
                return WranglerError::UnknownDatabase { name, config: self.config.clone() };
            }
            return self.failed(message);
        };
        if text.contains("Couldn't find a D1 DB") {
            WranglerError::UnknownDatabase { name, config: self.config.clone() }
        } else if text.contains("CLOUDFLARE_API_TOKEN") {
            WranglerError::Credentials { name }
        } else if text.contains("SQLITE_") {
            WranglerError::Sql { name, message: text }
        } else {
            self.failed(text)
        }
    }

    fn failed(&self, message: String) -> WranglerError {
        WranglerError::Failed { name: self.database.clone(), message }
    }

    fn answer(&self, message: String) -> WranglerError {
        WranglerError::Answer { name: self.database.clone(), message }
    }
}

/// A SQL file for `--file`, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn write(sql: &str) -> std::io::Result<TempFile> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("autogen-d1-{}-{n}.sql", std::process::id()));
        std::fs::write(&path, sql)?;
        Ok(TempFile(path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// wrangler colours its errors whatever NO_COLOR says.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The first few non-empty lines, joined: enough to say what went wrong.
fn first_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).take(4).collect();
    if lines.is_empty() {
        "(no output)".into()
    } else {
        lines.join(" / ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_stripped_from_wrangler_errors() {
        assert_eq!(strip_ansi("\u{1b}[31m✘ \u{1b}[41;31m[\u{1b}[41;97mERROR\u{1b}[41;31m]\u{1b}[0m x"), "✘ [ERROR] x");
    }

    #[test]
    fn a_failed_call_is_named_by_what_wrangler_said() {
        let w = Wrangler {
            program: vec!["wrangler".into()],
            config: PathBuf::from("/p/wrangler.toml"),
            database: "app".into(),
            remote: false,
            persist_to: None,
        };
        let json = |t: &str| format!("\n{{\"error\": {{\"text\": {}}}}}", serde_json::to_string(t).unwrap());
        let unknown = json("Couldn't find a D1 DB with the name or binding 'app' in your wrangler.toml file.");
        assert!(matches!(w.classify(&unknown, ""), WranglerError::UnknownDatabase { .. }));
        let token = json("In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN ...");
        assert!(matches!(w.classify(&token, ""), WranglerError::Credentials { .. }));
        let sql = json("no such table: nope: SQLITE_ERROR");
        assert!(matches!(w.classify(&sql, ""), WranglerError::Sql { .. }));
        let other = w.classify("\n", "\u{1b}[31m✘ [ERROR] Could not read file: /p/wrangler.toml\u{1b}[0m");
        assert!(other.to_string().contains("Could not read file"), "{other}");
    }
}
