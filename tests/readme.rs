//! The README's walkthrough, run for real: every `$ command` in its
//! `console` blocks runs, in order, in one fresh folder, and must print what
//! the README shows; every `diff` block is an edit applied to the file it
//! names before the next command. So the walkthrough cannot drift from what
//! autogen does.
//!
//! Revision ids are random, so each distinct id is compared by the order it
//! first appears in; the folder is shown as `/home/me/todo`.
//! `README_UPDATE=1 cargo test --test readme` rewrites the outputs in
//! README.md from a run.

mod support;

use std::collections::HashMap;
use std::path::Path;

/// The walkthroughs, each run in a fresh folder: the YAML model, then the
/// SQLAlchemy models as the model (needs a Python with SQLAlchemy, named by
/// `AUTOGEN_TEST_PYTHON` as for tests/model_programs.rs; its venv is the
/// "activated" one).
const SECTIONS: [&str; 2] = [
    "## Walkthrough: the Alembic guide's todo app, its SQLAlchemy models",
    "## Walkthrough: a YAML model, step by step",
];
const SHOWN_DIR: &str = "/home/me/todo";

enum Block {
    /// `$ command` lines, each followed by its expected output; `range` is
    /// where the block's body sits in README.md.
    Console { commands: Vec<(String, String)>, range: std::ops::Range<usize> },
    /// An edit: the file (a glob) and its hunks as (before, after).
    Edit { file: String, hunks: Vec<(String, String)> },
}

/// The fenced blocks of a walkthrough section.
fn blocks(readme: &str, section: &str) -> Vec<Block> {
    let start = readme.find(section).unwrap_or_else(|| panic!("README has `{section}`"));
    let end = readme[start + section.len()..].find("\n## ").map_or(readme.len(), |i| start + section.len() + i);
    let mut out = Vec::new();
    let mut at = start;
    while let Some(open) = readme[at..end].find("\n```").map(|i| at + i + 1) {
        let info_end = open + readme[open..].find('\n').unwrap();
        let info = readme[open + 3..info_end].trim();
        let body_start = info_end + 1;
        let body_end = body_start + readme[body_start..].find("```\n").expect("closed fence");
        let body = &readme[body_start..body_end];
        match info {
            "console" => out.push(Block::Console { commands: console(body), range: body_start..body_end }),
            "diff" => out.push(edit(body)),
            _ => {}
        }
        at = body_end + 3;
    }
    out
}

fn console(body: &str) -> Vec<(String, String)> {
    let mut commands: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        match line.strip_prefix("$ ") {
            Some(command) => commands.push((command.to_string(), String::new())),
            None => {
                let (_, output) = commands.last_mut().expect("a console block starts with `$ `");
                output.push_str(line);
                output.push('\n');
            }
        }
    }
    commands
}

fn edit(body: &str) -> Block {
    let mut lines = body.lines();
    let file =
        lines.next().and_then(|l| l.strip_prefix("--- ")).expect("a diff block starts with `--- FILE`").to_string();
    let new = lines.next().and_then(|l| l.strip_prefix("+++ ")).expect("then `+++ FILE`").to_string();
    // `--- /dev/null`: a new file.
    let file = if file == "/dev/null" { new } else { file };
    let mut hunks: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with("@@") {
            hunks.push(Default::default());
            continue;
        }
        let (before, after) = hunks.last_mut().expect("a hunk starts with `@@`");
        let (mark, text) = line.split_at(1.min(line.len()));
        if mark != "+" {
            before.push_str(text);
            before.push('\n');
        }
        if mark != "-" {
            after.push_str(text);
            after.push('\n');
        }
    }
    Block::Edit { file, hunks }
}

fn apply(dir: &Path, file: &str, hunks: &[(String, String)]) {
    let pattern = dir.join(file);
    if !file.contains('*') && !pattern.exists() {
        std::fs::create_dir_all(pattern.parent().unwrap()).unwrap();
        std::fs::write(&pattern, "").unwrap();
    }
    let matches: Vec<_> = glob(&pattern);
    assert_eq!(matches.len(), 1, "`{file}` names {} files", matches.len());
    let mut text = std::fs::read_to_string(&matches[0]).unwrap();
    for (before, after) in hunks {
        assert_eq!(
            text.matches(before.as_str()).count(),
            1,
            "in `{file}`, this does not occur exactly once:\n{before}"
        );
        text = text.replacen(before.as_str(), after, 1);
    }
    std::fs::write(&matches[0], text).unwrap();
}

/// `*` in the last path component only, which is all the README needs.
fn glob(pattern: &Path) -> Vec<std::path::PathBuf> {
    let name = pattern.file_name().unwrap().to_string_lossy().into_owned();
    let Some((prefix, suffix)) = name.split_once('*') else {
        return vec![pattern.to_path_buf()];
    };
    let mut found: Vec<_> = std::fs::read_dir(pattern.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix) && n.to_string_lossy().ends_with(suffix))
        })
        .collect();
    found.sort();
    found
}

/// Runs `command` with `autogen` on PATH: in a venv (the SQLAlchemy
/// walkthrough), the one `pip install` put there, as its reader has it.
fn run(dir: &Path, command: &str, venv: Option<&Path>) -> String {
    let mut sh = support::in_project(std::process::Command::new("sh"), dir);
    let autogen = match venv {
        Some(venv) => {
            sh.env("VIRTUAL_ENV", venv);
            support::installed_autogen()
        }
        None => env!("CARGO_BIN_EXE_autogen").into(),
    };
    let bin = autogen.parent().unwrap();
    let out = sh
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .args(["-c", &format!("{command} 2>&1")])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().replace(&dir.display().to_string(), SHOWN_DIR)
}

/// Revision ids (12 lowercase hex characters) replaced by `<id N>`, N the
/// order of first appearance, so two runs compare equal.
struct Ids(HashMap<String, usize>);

impl Ids {
    fn normalize(&mut self, text: &str) -> String {
        let bytes = text.as_bytes();
        let is_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        let mut out = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let run = bytes[i..].iter().take_while(|b| is_hex(**b)).count();
            // An id can be all digits (about one in 300 is), so a run of
            // 12 is an id whatever it holds; the README has no other.
            if run == 12 {
                let next = self.0.len() + 1;
                let n = *self.0.entry(text[i..i + 12].to_string()).or_insert(next);
                out.push_str(&format!("<id {n}>"));
            } else {
                out.push_str(&text[i..i + run.max(1)]);
            }
            i += run.max(1);
            while i < bytes.len() && !text.is_char_boundary(i) {
                i += 1;
            }
        }
        out
    }
}

/// The venv of the test Python when it has SQLAlchemy (CI's does).
fn sqlalchemy_venv() -> Option<std::path::PathBuf> {
    let python = std::env::var("AUTOGEN_TEST_PYTHON").ok()?;
    let has = std::process::Command::new(&python)
        .args(["-c", "import sqlalchemy"])
        .output()
        .is_ok_and(|o| o.status.success());
    has.then(|| Path::new(&python).parent()?.parent().map(Path::to_path_buf)).flatten()
}

#[test]
fn the_walkthrough_in_the_readme_is_what_autogen_does() {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let mut updated = readme.clone();
    // Replace from the end so earlier ranges stay valid.
    let mut replacements = Vec::new();
    for section in SECTIONS {
        let venv = match section.contains("SQLAlchemy") {
            false => None,
            true => match sqlalchemy_venv() {
                Some(venv) => Some(venv),
                None => {
                    assert!(std::env::var_os("CI").is_none(), "CI runs `{section}`: set AUTOGEN_TEST_PYTHON");
                    eprintln!("skipped `{section}`: no AUTOGEN_TEST_PYTHON with SQLAlchemy");
                    continue;
                }
            },
        };
        let dir = tempfile::tempdir().unwrap();
        let (mut shown_ids, mut actual_ids) = (Ids(HashMap::new()), Ids(HashMap::new()));
        let mut commands_run = 0;
        for block in &blocks(&readme, section) {
            match block {
                Block::Edit { file, hunks } => apply(dir.path(), file, hunks),
                Block::Console { commands, range } => {
                    let mut body = String::new();
                    for (command, shown) in commands {
                        let actual = run(dir.path(), command, venv.as_deref());
                        commands_run += 1;
                        body.push_str(&format!("$ {command}\n{actual}"));
                        if std::env::var_os("README_UPDATE").is_none() {
                            assert_eq!(
                                actual_ids.normalize(&actual),
                                shown_ids.normalize(shown),
                                "README `{section}`: `$ {command}` printed (right: the README)"
                            );
                        }
                    }
                    replacements.push((range.clone(), body));
                }
            }
        }
        assert!(commands_run >= 10, "`{section}` runs only {commands_run} commands");
    }
    if std::env::var_os("README_UPDATE").is_some() {
        replacements.sort_by_key(|(range, _)| range.start);
        for (range, body) in replacements.into_iter().rev() {
            updated.replace_range(range, &body);
        }
        std::fs::write(&readme_path, updated).unwrap();
    }
}
