//! The CREATE-text reader and the tokenizer on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = autogen::sql::ddl::parse_create(text);
        let _ = autogen::sql::lexer::split_statements(text);
        let _ = autogen::sql::lexer::normalize_expr(text);
    }
});
