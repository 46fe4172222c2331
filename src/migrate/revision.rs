//! Revision files (cli.md, "Revision files"): reading one, and writing a
//! new one. The graph they form is in [`super::history`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    #[error("cannot read the versions folder `{}`: {source}", .path.display())]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("cannot read revision file `{}`: {source}", .path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("revision file `{}` has no `-- Revision ID:` header line", .0.display())]
    NoHeader(PathBuf),
    #[error("revision file `{}` has no `-- migrate:up` line", .0.display())]
    NoUpSection(PathBuf),
    /// A comment that reads like a section marker but is not one: taken
    /// for a comment, the downgrade would run as part of the upgrade.
    #[error(
        "revision file `{}` line {line}: `{text}` looks like a section marker but is not one: write `-- {wanted}` \
         exactly (a line of its own, no space after the colon), or reword the comment",
        .path.display()
    )]
    NearMarker { path: PathBuf, line: usize, text: String, wanted: &'static str },
    #[error(
        "revision file `{}` line {line}: a second `-- {marker}`: a revision has one upgrade section \
         (`-- migrate:up`) followed by one downgrade section (`-- migrate:down`)",
        .path.display()
    )]
    SecondMarker { path: PathBuf, line: usize, marker: &'static str },
    #[error(
        "revision file `{}` line {line}: `-- migrate:down` comes before `-- migrate:up`: the upgrade section comes \
         first",
        .path.display()
    )]
    DownBeforeUp { path: PathBuf, line: usize },
    #[error("revision file `{}` line {line}: {message}", .path.display())]
    BadExpectation { path: PathBuf, line: usize, message: String },
    #[error("revision file `{}`: revision id `{id}` may use only letters, digits, `_` and `-`", .path.display())]
    BadId { path: PathBuf, id: String },
    #[error(
        "revision file `{}`: `{id}` cannot be a revision id, since targets use the word (head, heads, base, \
         current): give the revision another id",
        .path.display()
    )]
    ReservedId { path: PathBuf, id: String },
    #[error("revision id `{id}` is in two files: `{}` and `{}`", .first.display(), .second.display())]
    DuplicateId { id: String, first: PathBuf, second: PathBuf },
    #[error("revision `{id}` (`{}`) revises `{parent}`, which no file in the versions folder has", .path.display())]
    UnknownParent { id: String, path: PathBuf, parent: String },
    #[error("the revisions form a cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    #[error("no revision `{0}` (see `autogen history`)")]
    Unknown(String),
    #[error("`{spec}` is ambiguous: it starts {}", .matches.join(", "))]
    Ambiguous { spec: String, matches: Vec<String> },
    #[error("revision id `{0}` is taken")]
    Taken(String),
    #[error(
        "SOURCE_DATE_EPOCH is `{0}`: it must be whole seconds since 1970-01-01 (0 to 253402300799); unset it to use \
         the clock"
    )]
    SourceDateEpoch(String),
    #[error(
        "`{0}` cannot be a revision id: use letters, digits, `_` and `-` (at most 64), and not head, heads, base \
        or current"
    )]
    InvalidNewId(String),
    #[error(
        "there are several heads ({}): join them with `autogen merge -m MESSAGE {}` first",
        .0.join(", "),
        .0.join(" ")
    )]
    SeveralHeads(Vec<String>),
    #[error(
        "the database is at {current}, not at the head {head}: run `autogen upgrade head` first, so that the new \
        revision builds on the latest schema"
    )]
    NotAtHead { current: String, head: String },
    #[error(
        "the database is at {current}, not at the head {head}: run `autogen upgrade head` first, so that check \
        compares the model with the schema the revisions give"
    )]
    CheckNotAtHead { current: String, head: String },
    #[error("the database is at revision `{0}`, which no file in the versions folder has")]
    UnknownCurrent(String),
    #[error("cannot write revision file `{}`: {source}", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// One revision file.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub id: String,
    pub parents: Vec<String>,
    pub message: String,
    pub date: String,
    pub path: PathBuf,
    pub up: String,
    pub down: String,
    /// The lines of the file where `up` and `down` begin (1-based), so that
    /// a failure names the file's line.
    pub up_line: usize,
    pub down_line: usize,
    /// Of the file text with line endings normalized: edits after applying are reported.
    pub checksum: String,
}

impl Revision {
    /// The line of the file where the section that runs in `direction` begins.
    pub fn script_line(&self, direction: super::history::Direction) -> usize {
        match direction {
            super::history::Direction::Up => self.up_line,
            super::history::Direction::Down => self.down_line,
        }
    }

    /// The section that runs in `direction`.
    pub fn script(&self, direction: super::history::Direction) -> &str {
        match direction {
            super::history::Direction::Up => &self.up,
            super::history::Direction::Down => &self.down,
        }
    }
}

/// Whether `id` may name a new revision.
pub fn is_valid_id(id: &str) -> bool {
    // It must read as a revision wherever a target is taken: `-1` is a step.
    id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !["head", "heads", "base", "current"].contains(&id)
}

/// FNV-1a, 64 bits, over the text with `\r\n` as `\n`: enough to notice an
/// edit, and stable across platforms.
pub fn checksum(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.replace("\r\n", "\n").bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Reads one revision file.
pub fn parse(text: &str, path: &Path) -> Result<Revision, RevisionError> {
    // An editor's byte-order mark is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut id = None;
    let mut parents = Vec::new();
    let mut date = String::new();
    let mut message = Vec::new();
    let mut in_message = true;
    let comments: Vec<&str> = text.lines().map_while(|l| l.trim().strip_prefix("--").map(str::trim)).collect();
    // What autogen writes: the message, a bare `--`, then the headers. Lines
    // before that separator are the message, whatever they look like.
    let separator = comments.iter().position(|c| c.is_empty());
    // The header ends at the `Revision ID` line: a message may say
    // anything, `migrate: ...` included, but below it markers are strict.
    let mut header_end = 0;
    for (i, comment) in comments.iter().copied().enumerate() {
        if comment.eq_ignore_ascii_case("migrate:up") {
            break;
        }
        if separator.is_some_and(|s| i < s) {
            message.push(comment.to_string());
            continue;
        }
        if let Some(v) = header_value(comment, "Revision ID").filter(|_| id.is_none()) {
            id = Some(v.to_string());
            in_message = false;
            header_end = i + 1;
        } else if let Some(v) = header_value(comment, "Revises") {
            parents = v.split(',').map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect();
        } else if let Some(v) = header_value(comment, "Create Date") {
            date = v.to_string();
        } else if comment.is_empty() {
            in_message = false;
        } else if in_message {
            message.push(comment.to_string());
        }
    }
    let id = id.filter(|i| !i.is_empty()).ok_or_else(|| RevisionError::NoHeader(path.to_path_buf()))?;
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(RevisionError::BadId { path: path.to_path_buf(), id });
    }
    // A target word as an id could never be named: `base` always means base.
    if ["head", "heads", "base", "current"].iter().any(|w| w.eq_ignore_ascii_case(&id)) {
        return Err(RevisionError::ReservedId { path: path.to_path_buf(), id });
    }
    let ((up, up_line), (down, down_line)) = sections(text, path, header_end)?;
    // What a section expects of the database is checked when it runs; one
    // that does not read is refused now, where the file is named.
    for (section, first) in [(&up, up_line), (&down, down_line)] {
        crate::plan::expect::parse(section).map_err(|e| RevisionError::BadExpectation {
            path: path.to_path_buf(),
            line: first + e.line - 1,
            message: format!("`-- {}` {}", crate::plan::expect::DIRECTIVE, e.message),
        })?;
    }
    Ok(Revision {
        id,
        parents,
        message: message.join("\n"),
        date,
        path: path.to_path_buf(),
        up,
        down,
        up_line,
        down_line,
        checksum: checksum(text),
    })
}

fn header_value<'a>(comment: &'a str, key: &str) -> Option<&'a str> {
    let (k, v) = comment.split_once(':')?;
    k.trim().eq_ignore_ascii_case(key).then(|| v.trim())
}

/// What a line is, as far as the sections go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Up,
    Down,
    /// A comment that reads like a marker (`-- migrate: down`,
    /// `-- migrate:downgrade`, `/* migrate:down */`), and the marker meant.
    NearMiss(&'static str),
}

/// The marker a line is: exactly `-- migrate:up` or `-- migrate:down` (any
/// case, white space around), or a comment that looks like one.
fn marker(line: &str) -> Option<Marker> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("--") {
        let rest = rest.trim();
        if rest.eq_ignore_ascii_case("migrate:up") {
            return Some(Marker::Up);
        }
        if rest.eq_ignore_ascii_case("migrate:down") {
            return Some(Marker::Down);
        }
        return near_miss(rest);
    }
    let inner = line.strip_prefix("/*")?;
    near_miss(inner.trim_end().strip_suffix("*/").unwrap_or(inner).trim())
}

/// `migrate` then `:` (spaces allowed around it), in any case: a comment
/// written as a marker, which one it meant by its first letter after the colon.
fn near_miss(comment: &str) -> Option<Marker> {
    let head = comment.get(..7).filter(|h| h.eq_ignore_ascii_case("migrate"))?;
    let rest = comment[head.len()..].trim_start().strip_prefix(':')?.trim_start();
    let wanted = if rest.get(..1).is_some_and(|c| c.eq_ignore_ascii_case("d")) { "migrate:down" } else { "migrate:up" };
    Some(Marker::NearMiss(wanted))
}

/// The text between `-- migrate:up` and `-- migrate:down`, and after it,
/// each with the file line (1-based) its text begins on. Markers are
/// strict: a comment that looks like one but is not, a second marker, or a
/// downgrade before the upgrade is an error at its line, since a
/// downgrade read as a comment would run in the upgrade. Lines before
/// `header_end` (the message and headers) are not markers.
type Sections = ((String, usize), (String, usize));

fn sections(text: &str, path: &Path, header_end: usize) -> Result<Sections, RevisionError> {
    let lines: Vec<&str> = text.lines().collect();
    let (mut up_at, mut down_at) = (None, None);
    for (i, line) in lines.iter().enumerate().skip(header_end) {
        let at = i + 1;
        match marker(line) {
            None => {}
            Some(Marker::NearMiss(wanted)) => {
                let text = line.trim().to_string();
                return Err(RevisionError::NearMarker { path: path.to_path_buf(), line: at, text, wanted });
            }
            Some(Marker::Up) if up_at.is_some() => {
                return Err(RevisionError::SecondMarker { path: path.to_path_buf(), line: at, marker: "migrate:up" })
            }
            Some(Marker::Down) if down_at.is_some() => {
                return Err(RevisionError::SecondMarker { path: path.to_path_buf(), line: at, marker: "migrate:down" })
            }
            Some(Marker::Down) if up_at.is_none() => {
                return Err(RevisionError::DownBeforeUp { path: path.to_path_buf(), line: at })
            }
            Some(Marker::Up) => up_at = Some(i),
            Some(Marker::Down) => down_at = Some(i),
        }
    }
    let up_at = up_at.ok_or_else(|| RevisionError::NoUpSection(path.to_path_buf()))?;
    let up_end = down_at.unwrap_or(lines.len());
    let section = |from: usize, to: usize| {
        let first = (from..to).find(|i| !lines[*i].trim().is_empty()).unwrap_or(from);
        (lines[from..to].join("\n").trim().to_string(), first + 1)
    };
    let up = section(up_at + 1, up_end);
    let down = match down_at {
        Some(d) => section(d + 1, lines.len()),
        None => (String::new(), lines.len()),
    };
    Ok((up, down))
}

/// A slug for file names: lower case `[a-z0-9_]`, at most 40 characters,
/// never a path.
pub fn slug(message: &str) -> String {
    let mut s = String::new();
    for c in message.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
    }
    let mut s: String = s.trim_end_matches('_').chars().take(40).collect();
    while s.ends_with('_') {
        s.pop();
    }
    if s.is_empty() {
        "revision".to_string()
    } else {
        s
    }
}

/// A new random 12-hex-digit id. Randomness from the standard library's
/// per-process hasher keys, the time and a counter: ids only need to be
/// unlikely to collide.
pub fn random_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.write_u32(std::process::id());
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// Seconds since the epoch for file names and headers: `SOURCE_DATE_EPOCH`
/// when set (reproducible output), else the clock. A malformed value is an
/// error, as reproducible-builds.org/specs/source-date-epoch asks: a
/// silently ignored one would put the clock in a file meant to be
/// reproducible.
pub fn now_epoch() -> Result<i64, RevisionError> {
    // The last second of year 9999: file names and headers have four-digit years.
    const LAST: i64 = 253_402_300_799;
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => match v.trim().parse::<i64>() {
            Ok(n) if (0..=LAST).contains(&n) => Ok(n),
            _ => Err(RevisionError::SourceDateEpoch(v)),
        },
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)),
    }
}

/// (year, month, day, hour, minute, second) in UTC; days-from-civil after
/// Howard Hinnant's algorithm.
pub fn utc(epoch: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, (secs / 3600) as u32, (secs % 3600 / 60) as u32, (secs % 60) as u32)
}

/// A new revision's file name and text.
pub struct NewRevision<'a> {
    pub id: &'a str,
    pub parents: &'a [String],
    pub message: &'a str,
    pub up: &'a str,
    pub down: &'a str,
    pub epoch: i64,
    /// More header lines, `Key: value` (`Rehearsal: skipped (--no-rehearse)`).
    pub notes: &'a [String],
}

impl NewRevision<'_> {
    pub fn file_name(&self) -> String {
        let (y, mo, d, h, mi, _) = utc(self.epoch);
        format!("{y:04}{mo:02}{d:02}_{h:02}{mi:02}_{}_{}.sql", self.id, slug(self.message))
    }

    pub fn text(&self) -> String {
        let (y, mo, d, h, mi, s) = utc(self.epoch);
        let mut out = String::new();
        let message = if self.message.trim().is_empty() { "(no message)" } else { self.message.trim() };
        for line in message.lines() {
            let _ = writeln!(out, "-- {}", line.trim_end());
        }
        out.push_str("--\n");
        let _ = writeln!(out, "-- Revision ID: {}", self.id);
        let _ = writeln!(out, "-- Revises: {}", self.parents.join(", "));
        let _ = writeln!(out, "-- Create Date: {y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
        for note in self.notes {
            let _ = writeln!(out, "-- {note}");
        }
        out.push_str("\n-- migrate:up\n");
        out.push_str(self.up.trim_end());
        out.push_str("\n\n-- migrate:down\n");
        out.push_str(self.down.trim_end());
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_never_leave_the_folder() {
        assert_eq!(slug("add soft delete to todos"), "add_soft_delete_to_todos");
        assert_eq!(slug("../../etc/passwd"), "etc_passwd");
        assert_eq!(slug("/"), "revision");
        assert_eq!(slug("Ünïcode & Friends!!"), "n_code_friends");
        assert!(slug(&"x".repeat(100)).len() <= 40);
        assert_eq!(slug("a_____b"), "a_b");
    }

    #[test]
    fn dates_are_utc_civil_dates() {
        assert_eq!(utc(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(utc(1_795_602_600), (2026, 11, 25, 10, 30, 0));
        assert_eq!(utc(951_782_400), (2000, 2, 29, 0, 0, 0));
    }

    #[test]
    fn a_written_revision_reads_back() {
        let parents = vec!["1a2b3c4d5e6f".to_string()];
        let new = NewRevision {
            id: "5c3f0a9e2b71",
            parents: &parents,
            message: "add soft delete to todos",
            up: "ALTER TABLE \"todos\" ADD COLUMN \"deleted_at\" DATETIME;",
            down: "ALTER TABLE \"todos\" DROP COLUMN \"deleted_at\";",
            epoch: 1_795_602_600,
            notes: &[],
        };
        assert_eq!(new.file_name(), "20261125_1030_5c3f0a9e2b71_add_soft_delete_to_todos.sql");
        let rev = parse(&new.text(), Path::new("x.sql")).unwrap();
        assert_eq!(rev.id, "5c3f0a9e2b71");
        assert_eq!(rev.parents, parents);
        assert_eq!(rev.message, "add soft delete to todos");
        assert_eq!(rev.date, "2026-11-25 10:30:00");
        assert_eq!(rev.up, "ALTER TABLE \"todos\" ADD COLUMN \"deleted_at\" DATETIME;");
        assert_eq!(rev.down, "ALTER TABLE \"todos\" DROP COLUMN \"deleted_at\";");
    }

    #[test]
    fn a_file_without_header_is_refused() {
        let err = parse("-- migrate:up\nSELECT 1;\n", Path::new("v/x.sql")).unwrap_err();
        assert_eq!(err.to_string(), "revision file `v/x.sql` has no `-- Revision ID:` header line");
        let reserved = parse("-- x\n--\n-- Revision ID: base\n-- migrate:up\nSELECT 1;\n", Path::new("v/x.sql"));
        assert!(matches!(reserved, Err(RevisionError::ReservedId { .. })), "{reserved:?}");
    }
}
