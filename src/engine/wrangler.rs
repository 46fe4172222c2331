//! Running Cloudflare's `wrangler d1 execute` (docs/d1-research.md has the
//! measured behaviour this follows): one call per batch of statements, each
//! call one atomic D1 batch, about 1.7 s whatever it holds, so callers send
//! what they can at once.
//!
//! wrangler splits the text into statements itself, naively ([`split`]
//! does the same, so that what it will send is known before it is sent):
//! a statement it glues to the next is still run, but its result is lost
//! and the glued text counts as one statement against D1's size limit.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

/// One row as D1 returns it: column name to value.
pub type Row = Map<String, Value>;

/// D1's limit on one statement, in UTF-8 bytes (docs/d1-research.md, §9).
pub const MAX_STATEMENT_BYTES: usize = match crate::plan::Capabilities::D1.max_statement_bytes {
    Some(bytes) => bytes,
    None => usize::MAX,
};

/// How to reach one D1 database through wrangler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrangler {
    /// The command that runs wrangler, as words (`["npx", "--no-install", "wrangler"]`).
    pub program: Vec<String>,
    /// wrangler's config file (`wrangler.toml`, `.json` or `.jsonc`).
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
    #[error(
        "wrangler would send {found} statements to D1 database `{name}` where autogen wrote {expected}: its \
         splitter reads from `BEGIN` or `CASE` to an upper-case `END` followed by a space or `;`, and `[...]` as no \
         quoting; write those keywords in upper case, quote names with `\"`; nothing was sent"
    )]
    Split { name: String, found: usize, expected: usize },
    #[error(
        "a statement of {bytes} bytes for D1 database `{name}` (`{start}`): D1 refuses statements over \
         {MAX_STATEMENT_BYTES} bytes; split it in smaller ones; nothing was sent"
    )]
    TooLong { name: String, bytes: usize, start: String },
    #[error(
        "the SQL for D1 database `{name}` says `BEGIN TRANSACTION`: wrangler then deletes the first `BEGIN \
         TRANSACTION;` and `COMMIT;` from the text (even inside a string or a comment) or refuses it; take the \
         words out (D1 runs each file in a transaction of its own); nothing was sent"
    )]
    Transaction { name: String },
    #[error(
        "wrangler did not answer for D1 database `{name}` within {seconds} s and was stopped: D1 runs each file \
         whole or not at all, so `autogen current` says where the database is"
    )]
    Hung { name: String, seconds: u64 },
}

/// How long one wrangler call may take: a D1 query may run 30 s, and a
/// revision is one file of queries; past this wrangler is taken to hang.
const CALL_DEADLINE: std::time::Duration = std::time::Duration::from_secs(600);

impl Wrangler {
    /// wrangler's local state folder for this database.
    pub fn state_dir(&self) -> PathBuf {
        match &self.persist_to {
            Some(dir) => absolute(dir),
            None => absolute(&self.config).parent().unwrap_or(Path::new(".")).join(".wrangler").join("state"),
        }
    }

    /// The same database in another local state folder (a scratch copy).
    pub fn persisted_to(&self, dir: &Path) -> Wrangler {
        Wrangler { remote: false, persist_to: Some(dir.to_path_buf()), ..self.clone() }
    }

    /// Runs `sql` (statements separated by `;`) as one D1 batch, atomic:
    /// the rows each statement returned, in order. `expected` is how many
    /// statements the caller wrote: when wrangler would split the text
    /// otherwise (its splitter reads a lower-case `end` as no end), nothing
    /// is sent, rather than results coming back in the wrong places.
    pub fn execute(&self, sql: &str, expected: Option<usize>) -> Result<Vec<Vec<Row>>, WranglerError> {
        let name = || self.database.clone();
        if sql.contains("BEGIN TRANSACTION") {
            return Err(WranglerError::Transaction { name: name() });
        }
        let pieces = split(sql);
        if let Some(n) = expected.filter(|n| *n != pieces.len()) {
            return Err(WranglerError::Split { name: name(), found: pieces.len(), expected: n });
        }
        if let Some(long) = pieces.iter().find(|p| p.text.len() > MAX_STATEMENT_BYTES) {
            return Err(WranglerError::TooLong { name: name(), bytes: long.text.len(), start: start_of(&long.text) });
        }
        let (program, args) = self.program.split_first().ok_or_else(|| WranglerError::Missing {
            program: String::new(),
            reason: "`d1.wrangler` is empty".into(),
        })?;
        let call = CallDir::new(sql).map_err(|e| self.failed(format!("cannot write the SQL file: {e}")))?;
        let config = absolute(&self.config);
        let mut command = Command::new(program);
        command
            .args(args)
            .args(["d1", "execute", &self.database, "--json", "--config"])
            .arg(&config)
            .arg(if self.remote { "--remote" } else { "--local" })
            .arg("--file")
            .arg(call.sql())
            // No prompts, no telemetry, no update check, no log files in the
            // user's home (the call's own folder, removed after it); with
            // WRANGLER_LOG set `--json` prints nothing.
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_SEND_ERROR_REPORTS", "false")
            .env("WRANGLER_HIDE_BANNER", "true")
            .env("XDG_CONFIG_HOME", call.config_home())
            .env("WRANGLER_LOG_PATH", call.log())
            .env_remove("WRANGLER_LOG")
            .stdin(Stdio::null());
        if let Some(dir) = &self.persist_to {
            command.arg("--persist-to").arg(absolute(dir));
        }
        if let Some(dir) = config.parent().filter(|d| !d.as_os_str().is_empty()) {
            command.current_dir(dir);
        }
        let ran =
            super::process::run_with_deadline(&mut command, CALL_DEADLINE).map_err(|e| WranglerError::Missing {
                program: self.program.join(" "),
                reason: if e.kind() == std::io::ErrorKind::NotFound { "not found".into() } else { e.to_string() },
            })?;
        let super::process::Ran::Finished(output) = ran else {
            return Err(WranglerError::Hung { name: self.database.clone(), seconds: CALL_DEADLINE.as_secs() });
        };
        drop(call);
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(self.classify(&stdout, &String::from_utf8_lossy(&output.stderr)));
        }
        // Standard error may carry workerd's warnings on success: ignored.
        let results = parse_results(&stdout).map_err(|e| self.answer(format!("{e}: {}", first_lines(&stdout))))?;
        // (Only where the caller reads them: a write that went through is
        // not reported as failed for want of a result.)
        if expected.is_some() && results.len() != pieces.len() {
            return Err(self.answer(format!("{} results for {} statements", results.len(), pieces.len())));
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
            // `npx --no-install wrangler` (the last resort) when no wrangler
            // is installed: npm's own words, not wrangler's.
            if message.contains("npx canceled due to missing packages")
                || message.contains("could not determine executable")
            {
                return WranglerError::Missing {
                    program: self.program.join(" "),
                    reason: "no wrangler is installed here, in the project or on PATH".into(),
                };
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

/// The JSON array of results; should a line come before it, from its
/// first line that starts with `[`.
fn parse_results(stdout: &str) -> serde_json::Result<Vec<Value>> {
    serde_json::from_str(stdout.trim()).or_else(|e| match stdout.find("\n[") {
        Some(at) => serde_json::from_str(stdout[at..].trim()),
        None => Err(e),
    })
}

/// A path as the running process sees it, made absolute: wrangler runs in
/// its config's folder and would read a relative one from there.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The first characters of a statement, to recognise it by.
fn start_of(statement: &str) -> String {
    let mut start: String = statement.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(60).collect();
    start.push('…');
    start
}

/// A statement as wrangler will send it to D1: its text, trimmed and
/// without comments, and the byte offset in the SQL where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub offset: usize,
    pub text: String,
}

/// The statements wrangler 4 makes of `sql` (`splitSqlQuery` in
/// wrangler-dist/cli.js, followed step by step, its quirks included): a
/// text with no `;` but at its end is one statement as it is; else the
/// text is cut at each `;` outside quotes, comments and a compound
/// statement, which starts at whitespace, `BEGIN` or `CASE` (any case),
/// whitespace, and ends at whitespace, `END` (upper case only), then `;`
/// or whitespace. Comments are left out, `$tag$` quotes are understood,
/// `[...]` names are not.
pub fn split(sql: &str) -> Vec<Piece> {
    let trimmed = sql.trim_end();
    let multiple = trimmed.find(';').is_some_and(|i| i != trimmed.len() - 1);
    let whole = || vec![Piece { offset: sql.len() - sql.trim_start().len(), text: sql.to_string() }];
    if !multiple {
        return whole();
    }
    let pieces = split_statements(sql);
    if pieces.is_empty() {
        whole()
    } else {
        pieces
    }
}

fn split_statements(sql: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    // Where the current statement's first non-blank character is.
    let mut start: Option<usize> = None;
    // How many compound statements are open (each closes on `END`).
    let mut open = 0usize;
    let mut chars = sql.char_indices().peekable();
    let mut push = |current: &mut String, start: &mut Option<usize>| {
        let text = current.trim().to_string();
        if !text.is_empty() {
            pieces.push(Piece { offset: start.unwrap_or(0), text });
        }
        current.clear();
        *start = None;
    };
    while let Some((at, c)) = chars.next() {
        if open > 0 && compound_end(&current, c) {
            open -= 1;
        }
        match c {
            '\'' | '"' | '`' => {
                note(&mut start, at, c);
                current.push(c);
                consume_until(&mut chars, &mut current, &c.to_string());
            }
            '$' => {
                note(&mut start, at, c);
                let mut tag = String::from("$");
                // Identifier characters, and the one after them.
                for (_, c) in chars.by_ref() {
                    tag.push(c);
                    if !dollar_identifier(c) {
                        break;
                    }
                }
                current.push_str(&tag);
                if tag.len() > 1 && tag.ends_with('$') {
                    consume_until(&mut chars, &mut current, &tag);
                }
            }
            '-' if chars.peek().is_some_and(|(_, n)| *n == '-') => {
                chars.next();
                let mut skipped = String::new();
                consume_until(&mut chars, &mut skipped, "\n");
                current.push('\n');
            }
            '/' if chars.peek().is_some_and(|(_, n)| *n == '*') => {
                chars.next();
                let mut skipped = String::new();
                consume_until(&mut chars, &mut skipped, "*/");
            }
            ';' if open == 0 => push(&mut current, &mut start),
            _ => {
                note(&mut start, at, c);
                current.push(c);
            }
        }
        if compound_start(&current) {
            open += 1;
        }
    }
    push(&mut current, &mut start);
    pieces
}

/// Where a statement starts: its first non-blank character.
fn note(start: &mut Option<usize>, at: usize, c: char) {
    if start.is_none() && !c.is_whitespace() {
        *start = Some(at);
    }
}

/// Appends characters up to and including `marker` (or the end).
fn consume_until(chars: &mut std::iter::Peekable<std::str::CharIndices>, into: &mut String, marker: &str) {
    let mut run = String::new();
    for (_, c) in chars.by_ref() {
        run.push(c);
        if run.ends_with(marker) {
            break;
        }
    }
    into.push_str(&run);
}

/// wrangler's `isDollarQuoteIdentifier`: a digit, `_` or a letter with case.
fn dollar_identifier(c: char) -> bool {
    c != '$'
        && (c.is_ascii_digit()
            || c == '_'
            // JavaScript looks at UTF-16 units: a character beyond them never counts.
            || (u32::from(c) <= 0xFFFF && c.to_lowercase().ne(c.to_uppercase())))
}

/// `/\s(BEGIN|CASE)\s$/i`
fn compound_start(text: &str) -> bool {
    let mut rev = text.chars().rev();
    if !rev.next().is_some_and(char::is_whitespace) {
        return false;
    }
    let word: String = rev.clone().take(5).collect::<String>().chars().rev().collect();
    let four: String = rev.clone().take(4).collect::<String>().chars().rev().collect();
    let before = |n: usize| rev.clone().nth(n).is_some_and(char::is_whitespace);
    (word.eq_ignore_ascii_case("BEGIN") && before(5)) || (four.eq_ignore_ascii_case("CASE") && before(4))
}

/// `/\sEND[;\s]$/` on the text with the next character added.
fn compound_end(text: &str, next: char) -> bool {
    (next == ';' || next.is_whitespace())
        && text.strip_suffix("END").is_some_and(|rest| rest.chars().next_back().is_some_and(char::is_whitespace))
}

/// A call's own folder, removed after it: the SQL file, and wrangler's
/// config home and log (so that nothing accumulates anywhere).
struct CallDir(PathBuf);

impl CallDir {
    fn new(sql: &str) -> std::io::Result<CallDir> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("autogen-d1-call-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("config"))?;
        let call = CallDir(dir);
        std::fs::write(call.sql(), sql)?;
        Ok(call)
    }

    fn sql(&self) -> PathBuf {
        self.0.join("statements.sql")
    }

    fn config_home(&self) -> PathBuf {
        self.0.join("config")
    }

    /// A name ending in `.log`: wrangler appends to it (a folder would get a
    /// new file per call).
    fn log(&self) -> PathBuf {
        self.0.join("wrangler.log")
    }
}

impl Drop for CallDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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
        let npx = "npm error npx canceled due to missing packages and no YES option: [\"wrangler@4.86.0\"]";
        assert!(matches!(w.classify("", npx), WranglerError::Missing { .. }), "npx found no wrangler");
    }

    fn texts(sql: &str) -> Vec<String> {
        split(sql).into_iter().map(|p| p.text).collect()
    }

    /// The cases docs/d1-research.md (§3) measured on wrangler 4.86.0.
    #[test]
    fn statements_are_split_as_wrangler_splits_them() {
        assert_eq!(texts("SELECT 1 AS a; SELECT 2 AS b"), ["SELECT 1 AS a", "SELECT 2 AS b"]);
        assert_eq!(texts("SELECT 1;"), ["SELECT 1;"], "one statement is sent as it is");
        assert_eq!(texts("  SELECT 1 -- c;\n"), ["  SELECT 1 -- c;\n"]);
        assert_eq!(
            texts("SELECT 'a;b' AS x; -- c;\n/* x; */ SELECT \"q;\" AS y;"),
            ["SELECT 'a;b' AS x", "SELECT \"q;\" AS y"]
        );
        let trigger =
            "CREATE TRIGGER t AFTER INSERT ON p BEGIN SELECT 'a;b'; SELECT 2; END;\nINSERT INTO p VALUES (1);";
        assert_eq!(split(trigger).len(), 2);
        let lower = "CREATE TABLE p (a);\ncreate trigger t after insert on p begin select 1; end;\nINSERT INTO p VALUES (1);\nSELECT 1;";
        assert_eq!(split(lower).len(), 2, "a lower-case `end` glues the rest into one");
        assert_eq!(texts("SELECT case when 1 then 2 end AS x; SELECT 3 AS y; SELECT 4 AS z").len(), 1);
        assert_eq!(texts("SELECT ifnull( CASE WHEN 1 THEN 2 END, 0) AS x; SELECT 3 AS y; SELECT 4 AS z").len(), 1);
        assert_eq!(texts("SELECT ifnull( CASE WHEN 1 THEN 2 END , 0) AS x; SELECT 3 AS y; SELECT 4 AS z").len(), 3);
        assert_eq!(texts("SELECT 1 AS begin ; SELECT 2; SELECT 3").len(), 1);
        assert_eq!(texts("SELECT [x;y]; SELECT 1").len(), 3, "brackets are no quotes to wrangler");
        assert_eq!(texts("SELECT $a$ ; $a$; SELECT 1"), ["SELECT $a$ ; $a$", "SELECT 1"]);
        assert_eq!(texts(";;"), [";;"], "nothing but `;`: sent as it is");
    }

    #[test]
    fn pieces_know_where_they_start() {
        let sql = "SELECT 1;\n  -- note\n  SELECT 'é';\nSELECT 3";
        let pieces = split(sql);
        assert_eq!(
            pieces.iter().map(|p| p.offset).collect::<Vec<_>>(),
            [0, sql.find("SELECT 'é'").unwrap(), sql.find("SELECT 3").unwrap()]
        );
    }
}
