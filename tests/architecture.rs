//! The layout rule (README, "Architecture"): each stage folder of `src/`
//! uses only the stages before it in the pipeline, so that the import graph
//! has no cycles and nothing reaches forward. Test code inside a module
//! (after its `#[cfg(test)]`) may use any stage.

use std::path::{Path, PathBuf};

/// The stages in pipeline order; `words` (English for messages) is a leaf
/// every stage may use.
const STAGES: &[&str] = &["words", "sql", "schema", "source", "diff", "plan", "engine", "verify", "migrate", "app"];

fn rank(stage: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == stage)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The stage a file of `src/` belongs to: its folder, or its own name.
fn stage_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// `crate::<stage>` paths in the code before the first `#[cfg(test)]`.
fn uses(text: &str) -> Vec<(usize, String)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            out.push((n + 1, name));
            rest = after;
        }
    }
    out
}

#[test]
fn stages_use_only_the_stages_before_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut checked = 0;
    for file in &files {
        let stage = stage_of(&src, file);
        // The crate root and the binary (main, cli, meter) sit above every stage.
        let Some(own) = rank(&stage) else { continue };
        checked += 1;
        let text = std::fs::read_to_string(file).unwrap();
        for (line, used) in uses(&text) {
            match rank(&used) {
                Some(r) if r > own => {
                    violations.push(format!("{}:{line}: stage `{stage}` uses the later stage `{used}`", file.display()))
                }
                None => violations.push(format!("{}:{line}: `crate::{used}` is not a stage", file.display())),
                _ => {}
            }
        }
    }
    assert!(checked > 30, "only {checked} files were checked");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The rule above is only as good as its reading of the code: a file that
/// reaches forward is caught.
#[test]
fn a_forward_use_is_caught() {
    let text = "use crate::schema::Schema;\nfn f() { crate::app::run(); } // crate::migrate in a \
        comment\n#[cfg(test)]\nuse crate::app;";
    let used: Vec<String> = uses(text).into_iter().map(|(_, s)| s).collect();
    assert_eq!(used, ["schema", "app"]);
    assert!(rank("app") > rank("schema"));
}
