//! Bounded fuzzing in CI: the model loader and the CREATE-text reader get
//! arbitrary and mutated input and must answer with a value or an error,
//! never a panic. FUZZ_CASES sets the count (CI runs 256 of each).

mod support;

use std::path::Path;

use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

/// Real inputs to mutate: every corpus statement and the example models,
/// read once.
fn seeds() -> &'static (Vec<String>, Vec<String>) {
    static SEEDS: std::sync::OnceLock<(Vec<String>, Vec<String>)> = std::sync::OnceLock::new();
    SEEDS.get_or_init(read_seeds)
}

fn read_seeds() -> (Vec<String>, Vec<String>) {
    let mut ddl = Vec::new();
    for (_, sql) in support::corpus() {
        if let Ok(parts) = autogen::sql::lexer::split_statements(&sql) {
            ddl.extend(parts.into_iter().filter(|p| p.to_ascii_uppercase().starts_with("CREATE")).map(String::from));
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let models = ["schemas/todo.yaml", "schemas/blog.yaml"]
        .iter()
        .map(|p| std::fs::read_to_string(root.join(p)).unwrap())
        .collect();
    (ddl, models)
}

/// Cuts, splices and byte flips, kept on char boundaries.
fn mutate(text: &str, ops: &[(usize, usize, u8)]) -> String {
    let mut s = text.to_string();
    for &(at, len, byte) in ops {
        if s.is_empty() {
            break;
        }
        let mut i = at % s.len();
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        let mut j = (i + len % 8).min(s.len());
        while !s.is_char_boundary(j) {
            j -= 1;
        }
        let insert = match byte % 8 {
            0 => String::new(),
            1 => "(".into(),
            2 => "'".into(),
            3 => "\"".into(),
            4 => "&a [*a, *a]".into(),
            5 => "\n  - ".into(),
            6 => char::from(byte).to_string(),
            _ => s[i..j].repeat(2),
        };
        s.replace_range(i..j, &insert);
    }
    s
}

/// Up to five random edits: (where, what, byte).
fn edits() -> impl Strategy<Value = Vec<(usize, usize, u8)>> {
    proptest::collection::vec((any::<usize>(), any::<usize>(), any::<u8>()), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_create_reader_never_panics(pick in any::<usize>(), ops in edits()) {
        let (ddl, _) = seeds();
        let input = mutate(&ddl[pick % ddl.len()], &ops);
        let _ = autogen::sql::ddl::parse_create(&input);
        let _ = autogen::sql::lexer::split_statements(&input);
        let _ = autogen::sql::lexer::normalize_expr(&input);
        let _ = autogen::sql::lexer::dqs_to_strings(&input, &|_| false);
    }

    #[test]
    fn the_model_loader_never_panics(pick in any::<usize>(), ops in edits()) {
        let (_, models) = seeds();
        let input = mutate(&models[pick % models.len()], &ops);
        let _ = autogen::parse_model(&input, Path::new("fuzz.yaml"));
    }

    #[test]
    fn arbitrary_text_never_panics(input in ".{0,300}") {
        let _ = autogen::sql::ddl::parse_create(&input);
        let _ = autogen::parse_model(&input, Path::new("fuzz.yaml"));
    }
}
