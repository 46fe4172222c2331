//! A fast reader for the YAML that model files are made of: block mappings
//! and sequences, one-line flow collections, and one-line plain, single- and
//! double-quoted scalars, with comments.
//!
//! It exists for speed (README, "Performance"). It never decides anything the full
//! parser would decide differently: whatever it does not know for certain
//! (anchors, aliases, tags, block scalars, multi-line scalars, empty values,
//! escapes beyond the simple ones, non-ASCII text, tabs, several documents,
//! a duplicate key, anything malformed) makes it give up, and the caller
//! parses the text with the full parser, which also reports the errors. The
//! tests check that both readers give the same tree, positions included.

use std::borrow::Cow;

use super::{check_duplicates, Node, Value, MAX_DEPTH};

/// The document's tree, or `None` when the text is outside what this
/// reader knows.
pub(super) fn parse(text: &str) -> Option<Node<'_>> {
    if !text.is_ascii() || text.contains('\t') || text.contains('\r') {
        return None;
    }
    let mut lines = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let content = raw.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if raw.starts_with("---") || raw.starts_with("...") || content.starts_with('%') {
            return None;
        }
        let indent = raw.len() - content.len();
        lines.push(Line { number: i as u32 + 1, indent, text: raw.trim_end_matches(' ') });
    }
    let mut reader = Reader { lines, at: 0, depth: 0 };
    let first = reader.lines.first()?.indent;
    if first != 0 {
        return None;
    }
    let root = reader.block(0)?;
    (reader.at == reader.lines.len()).then_some(root)
}

struct Line<'a> {
    number: u32,
    indent: usize,
    /// The whole line, indentation included, trailing spaces removed.
    text: &'a str,
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn current(&self) -> Option<&Line<'a>> {
        self.lines.get(self.at)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth < MAX_DEPTH).then_some(())
    }

    /// A block node whose first line is the current one, at `indent`.
    fn block(&mut self, indent: usize) -> Option<Node<'a>> {
        self.enter()?;
        let line = self.current()?;
        let node = if is_entry(&line.text[indent..]) { self.sequence(indent, false) } else { self.mapping(indent) };
        self.depth -= 1;
        node
    }

    /// `- item` lines at `indent`. An indentless sequence (a mapping's
    /// value at the key's own indentation) is placed, as the full parser
    /// places it, at its first item rather than its first `-`.
    fn sequence(&mut self, indent: usize, indentless: bool) -> Option<Node<'a>> {
        let first = self.current()?;
        let (line, mut column) = (first.number, indent as u32 + 1);
        if indentless {
            let item = first.text[indent + 1..].trim_start_matches(' ');
            if item.is_empty() || item.starts_with('#') {
                return None;
            }
            column = (first.text.len() - item.len()) as u32 + 1;
        }
        let mut items = Vec::new();
        while let Some(l) = self.current() {
            if l.indent != indent || !is_entry(&l.text[indent..]) {
                break;
            }
            let after_dash = &l.text[indent + 1..];
            let rest = after_dash.trim_start_matches(' ');
            let item_indent = l.text.len() - rest.len();
            if rest.is_empty() || rest.starts_with('#') {
                // The item is the block below, more indented.
                self.at += 1;
                let below = self.current()?.indent;
                if below <= indent {
                    return None;
                }
                items.push(self.block(below)?);
            } else if is_entry(rest) {
                return None;
            } else if key_end(rest).is_some() {
                // `- key: value` starts a mapping whose keys line up with `key`.
                self.lines[self.at].indent = item_indent;
                items.push(self.mapping(item_indent)?);
            } else {
                let number = l.number;
                let node = self.inline_value(number, l.text, item_indent)?;
                self.at += 1;
                self.no_continuation(indent)?;
                items.push(node);
            }
        }
        Some(Node { value: Value::Seq(items), line, column })
    }

    /// `key: value` lines at `indent`.
    fn mapping(&mut self, indent: usize) -> Option<Node<'a>> {
        let first = self.current()?;
        let (line, column) = (first.number, indent as u32 + 1);
        let mut pairs = Vec::new();
        while let Some(l) = self.current() {
            if l.indent != indent || is_entry(&l.text[indent..]) {
                break;
            }
            let (number, text) = (l.number, l.text);
            let (key, after) = block_key(number, text, indent)?;
            let rest_start = after + text[after..].len() - text[after..].trim_start_matches(' ').len();
            let rest = &text[rest_start..];
            // `block_key` ends a key only at `: ` or the end of the line, so
            // a value or comment here is always after a space.
            let value = if rest.is_empty() || rest.starts_with('#') {
                self.at += 1;
                let next = self.current()?;
                if next.indent > indent {
                    let below = next.indent;
                    self.block(below)?
                } else if next.indent == indent && is_entry(&next.text[indent..]) {
                    self.enter()?;
                    let node = self.sequence(indent, true)?;
                    self.depth -= 1;
                    node
                } else {
                    return None; // an empty value: left to the full parser
                }
            } else {
                let node = self.inline_value(number, text, rest_start)?;
                self.at += 1;
                self.no_continuation(indent)?;
                node
            };
            pairs.push((key, value));
        }
        check_duplicates(&pairs).ok()?;
        Some(Node { value: Value::Map(pairs), line, column })
    }

    /// After a one-line value, a more indented line would continue it (a
    /// multi-line scalar) or be an error: both are the full parser's.
    fn no_continuation(&self, indent: usize) -> Option<()> {
        match self.current() {
            Some(next) if next.indent > indent => None,
            _ => Some(()),
        }
    }

    /// A scalar or flow collection filling `text[start..]`, maybe followed
    /// by a comment.
    fn inline_value(&mut self, number: u32, text: &'a str, start: usize) -> Option<Node<'a>> {
        let mut cursor = Cursor { text, pos: start, line: number };
        let node = match text.as_bytes()[start] {
            b'{' | b'[' => {
                let node = cursor.flow(self)?;
                cursor.end_of_line()?;
                node
            }
            b'"' | b'\'' => {
                let node = cursor.quoted()?;
                cursor.end_of_line()?;
                node
            }
            _ => {
                let end = plain_end(text, start, false)?;
                if end != text.len() && !text[end..].trim_start_matches(' ').starts_with('#') {
                    return None;
                }
                scalar(&text[start..end], number, start)?
            }
        };
        Some(node)
    }
}

/// `-` alone or followed by a space: a block sequence entry.
fn is_entry(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// Where a block mapping key ends (the `:`), when `content` starts with a
/// plain one followed by `: ` or a final `:`.
fn key_end(content: &str) -> Option<usize> {
    if content.starts_with(['"', '\'']) {
        return None;
    }
    let colon = content.find(": ").or_else(|| content.ends_with(':').then(|| content.len() - 1))?;
    let key = &content[..colon];
    (!key.is_empty() && plain_start_ok(key) && !key.contains(" #") && !key.ends_with(' ')).then_some(colon)
}

/// The key node of a block mapping line and where its value starts (after
/// the `:`). Keys are plain or quoted.
fn block_key(number: u32, text: &str, indent: usize) -> Option<(Node<'_>, usize)> {
    let content = &text[indent..];
    if content.starts_with(['"', '\'']) {
        let mut cursor = Cursor { text, pos: indent, line: number };
        let key = cursor.quoted()?;
        let after = cursor.pos;
        if !text[after..].starts_with(':') || !(text[after + 1..].is_empty() || text[after + 1..].starts_with(' ')) {
            return None;
        }
        return Some((key, after + 1));
    }
    let colon = key_end(content)?;
    let key = scalar(&content[..colon], number, indent)?;
    Some((key, indent + colon + 1))
}

/// Whether a plain scalar may start like this: not with an indicator that
/// would make it something else, nor with one this reader leaves alone.
fn plain_start_ok(s: &str) -> bool {
    let Some(first) = s.bytes().next() else { return false };
    if b"&*!|>%@`'\"{}[],#?:".contains(&first) {
        return false;
    }
    // `-` starts a plain scalar only before a character that could go on
    // one; in flow context `,[]{}` cannot.
    !(first == b'-' && s.as_bytes().get(1).is_none_or(|b| b" ,[]{}".contains(b)))
}

/// The end of a plain scalar starting at `start`: in block context, before
/// ` #` or the end of the line; in flow context also before `,`, `]`, `}`
/// and `: `. `None` for text that is not a plain scalar this reader knows.
fn plain_end(text: &str, start: usize, flow: bool) -> Option<usize> {
    if !plain_start_ok(&text[start..]) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'#' && bytes[i - 1] == b' ' {
            break;
        }
        if b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ' || (flow && b",[]{}".contains(&bytes[i + 1]))) {
            if flow {
                break;
            }
            return None; // `a: b` where a value was expected
        }
        if flow && b",[]{}".contains(&b) {
            break;
        }
        i += 1;
    }
    let end = start + text[start..i].trim_end_matches(' ').len();
    (end > start).then_some(end)
}

/// A plain scalar's node: the core schema's null spellings are null.
fn scalar(s: &str, number: u32, start: usize) -> Option<Node<'_>> {
    let value =
        if matches!(s, "~" | "null" | "Null" | "NULL") { Value::Null } else { Value::Scalar(Cow::Borrowed(s), true) };
    Some(Node { value, line: number, column: start as u32 + 1 })
}

/// A position inside one line, for flow collections and quoted scalars.
struct Cursor<'t> {
    text: &'t str,
    pos: usize,
    line: u32,
}

impl<'t> Cursor<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// Nothing but spaces and a comment up to the end of the line.
    fn end_of_line(&mut self) -> Option<()> {
        let rest = &self.text[self.pos..];
        let trimmed = rest.trim_start_matches(' ');
        (trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())).then_some(())
    }

    fn quoted(&mut self) -> Option<Node<'t>> {
        let start = self.pos;
        let quote = self.peek()?;
        self.pos += 1;
        // Borrowed from the line until an escape makes the value differ
        // from its spelling.
        let mut escaped: Option<String> = None;
        loop {
            let b = self.peek()?; // no closing quote on this line: a multi-line scalar
            let here = self.pos;
            self.pos += 1;
            let unescaped = match (quote, b) {
                (b'\'', b'\'') if self.peek() == Some(b'\'') => {
                    self.pos += 1;
                    '\''
                }
                (b'"', b'\\') => {
                    let c = match self.peek()? {
                        b'\\' => '\\',
                        b'"' => '"',
                        b'/' => '/',
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        _ => return None,
                    };
                    self.pos += 1;
                    c
                }
                (q, b) if q == b => break,
                (_, b) => {
                    if let Some(out) = &mut escaped {
                        out.push(b as char);
                    }
                    continue;
                }
            };
            escaped.get_or_insert_with(|| self.text[start + 1..here].to_string()).push(unescaped);
        }
        let value = match escaped {
            Some(out) => Cow::Owned(out),
            None => Cow::Borrowed(&self.text[start + 1..self.pos - 1]),
        };
        Some(Node { value: Value::Scalar(value, false), line: self.line, column: start as u32 + 1 })
    }

    /// `{...}` or `[...]`, all on this line.
    fn flow(&mut self, reader: &mut Reader<'_>) -> Option<Node<'t>> {
        reader.enter()?;
        let (line, column) = (self.line, self.pos as u32 + 1);
        let open = self.peek()?;
        self.pos += 1;
        let close = if open == b'{' { b'}' } else { b']' };
        let mut items = Vec::new();
        let mut pairs = Vec::new();
        loop {
            self.spaces();
            if self.peek()? == close {
                self.pos += 1;
                break;
            }
            if open == b'{' {
                let key = self.flow_scalar()?;
                self.spaces();
                if self.peek()? != b':' {
                    return None;
                }
                self.pos += 1;
                if !matches!(self.peek(), Some(b' ')) {
                    return None;
                }
                self.spaces();
                let value = self.flow_item(reader)?;
                pairs.push((key, value));
            } else {
                items.push(self.flow_item(reader)?);
                self.spaces();
                if self.peek() == Some(b':') {
                    return None; // `[a: b]`, a one-pair mapping
                }
            }
            self.spaces();
            match self.peek()? {
                b',' => self.pos += 1,
                b if b == close => {}
                _ => return None,
            }
        }
        reader.depth -= 1;
        let value = if open == b'{' {
            check_duplicates(&pairs).ok()?;
            Value::Map(pairs)
        } else {
            Value::Seq(items)
        };
        Some(Node { value, line, column })
    }

    fn flow_item(&mut self, reader: &mut Reader<'_>) -> Option<Node<'t>> {
        match self.peek()? {
            b'{' | b'[' => self.flow(reader),
            _ => self.flow_scalar(),
        }
    }

    fn flow_scalar(&mut self) -> Option<Node<'t>> {
        match self.peek()? {
            b'"' | b'\'' => self.quoted(),
            _ => {
                let start = self.pos;
                let end = plain_end(self.text, start, true)?;
                self.pos = end;
                scalar(&self.text[start..end], self.line, start)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_events;
    use super::*;
    use std::path::Path;

    /// Model texts from everywhere: the examples, the fixtures, `inspect`
    /// of every corpus schema, and hand-written corners.
    fn samples() -> Vec<(String, String)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(root.join("schemas"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.extend(std::fs::read_dir(root.join("fixtures")).unwrap().map(|e| e.unwrap().path().join("model.yaml")));
        for f in files {
            out.push((f.display().to_string(), std::fs::read_to_string(&f).unwrap()));
        }
        let corpus = root.join("../shared/corpus/sqlite_tests");
        let mut scripts: Vec<_> = std::fs::read_dir(&corpus).unwrap().map(|e| e.unwrap().path()).collect();
        scripts.sort();
        scripts.extend([root.join("../shared/corpus/chinook.sql"), root.join("../shared/corpus/northwind.sql")]);
        for script in scripts {
            let conn = rusqlite::Connection::open_in_memory().unwrap();
            if conn.execute_batch(&std::fs::read_to_string(&script).unwrap()).is_ok() {
                let schema = crate::engine::sqlite::introspect(&conn, &Default::default()).unwrap();
                out.push((script.display().to_string(), crate::source::model::write::model_yaml(&schema)));
            }
        }
        for (i, text) in CORNERS.iter().enumerate() {
            out.push((format!("corner {i}"), text.to_string()));
        }
        out
    }

    const CORNERS: &[&str] = &[
        "a: 1\nb:\n- x\n- y\nc: {d: [1, 2, {e: f}], g: 'it''s', h: \"q\\\"t\\\\\"}\n",
        "- a\n-   b: 1\n    c: 2\n- [x, y]\n-\n  k: v\n",
        "k: v # comment\n# full line\n  # indented comment\nl: 'a # not a comment'\n",
        "k: a:b\nl: http://x/y\nm: -1\nn: ~\no: null\np: \"\"\nq: ''\n",
        "k:\n  - a\n  -  b\nl:\n    m: n\n",
        "k: {}\nl: []\nm: {a: [], b: {}}\n",
        "key: value\nkey: again\n",
        "k: {a: 1, a: 2}\n",
        "k: &x 1\nl: *x\n",
        "k: |\n  text\n",
        "k: >\n  text\n",
        "k: plain\n  continued\n",
        "k: 'multi\n  line'\n",
        "k:\nl: 1\n",
        "k: {a: 1,}\n",
        "k: [a, b,]\n",
        "k: [a: b]\n",
        "k: {a}\n",
        "k: {a:1}\n",
        "k: !!str 1\n",
        "--- \nk: 1\n",
        "k: 1\n---\nl: 2\n",
        "k: \"\\u00e9\"\n",
        "k: 'é'\n",
        "k:\t1\n",
        "  k: 1\n",
        "k: 1\n l: 2\n",
        "k: - a\n",
        "k: a: b\n",
        "? k\n: v\n",
        "\"quoted key\": 1\n'single': 2\n",
        "k: [1, [2, [3, [4]]]]\n",
        "k: x #c\nl: y#notc\n",
        "k: {a: b} # c\n",
        "k: {a: b}#c\n",
        "- - a\n",
        "k: \"a\" b\n",
        "k: 'a'b'\n",
        "k: [a, b\n  , c]\n",
        "",
        "# only a comment\n",
        "k: v\n...\n",
        "k: %x\n",
        "k: @x\n",
        "k: `x`\n",
        "k: {a: b, c: [d, e], f: {g: h}}\n",
        "k: {\"a\": 'b'}\n",
        "-1: x\n",
        "k: true\nl: FALSE\nm: 0x1F\nn: 1e3\n",
    ];

    fn same_as_full_parser(name: &str, text: &str) -> bool {
        let Some(fast) = parse(text) else { return false };
        match parse_events(text) {
            Ok(Some(full)) => assert_eq!(fast, full, "{name}: the fast reader differs from the full parser on\n{text}"),
            other => panic!("{name}: the fast reader took what the full parser gives as {other:?}:\n{text}"),
        }
        true
    }

    #[test]
    fn gives_the_full_parsers_tree_or_gives_up() {
        for (name, text) in samples() {
            let taken = same_as_full_parser(&name, &text);
            // The fast path is the usual path: every model without a block
            // scalar (`sql: |`, which `inspect` writes for multi-line views
            // and triggers) or non-ASCII text is in its subset.
            let usual = !name.starts_with("corner") && text.is_ascii() && !text.contains(": |");
            assert!(taken || !usual, "{name}: the fast reader gave up on\n{text}");
        }
    }

    /// Small random edits of real models: whatever the fast reader takes,
    /// the full parser reads the same way.
    #[test]
    fn edited_models_read_the_same_or_fall_back() {
        let samples = samples();
        let cases: usize = std::env::var("FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(3000);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        const BITS: &[&str] = &[
            " ", "  ", "\n", "- ", ": ", ":", "#", " #", "'", "\"", "{", "}", "[", "]", ",", "&a ", "*a", "!", "|",
            ">", "?", "~", "\\", "\\n", "-", "a", "null",
        ];
        let (mut taken, mut changed) = (0, 0);
        for i in 0..cases {
            let (name, text) = &samples[next() as usize % samples.len()];
            let text = if text.len() > 4000 {
                &text[..text.char_indices().take_while(|(i, _)| *i < 4000).last().map_or(0, |(i, _)| i)]
            } else {
                text.as_str()
            };
            let mut edited = text.to_string();
            for _ in 0..1 + next() % 3 {
                let at = (next() as usize) % (edited.len() + 1);
                let at = (0..=at).rev().find(|i| edited.is_char_boundary(*i)).unwrap_or(0);
                match next() % 3 {
                    0 => edited.insert_str(at, BITS[next() as usize % BITS.len()]),
                    1 => {
                        let end = (at + 1 + next() as usize % 3).min(edited.len());
                        if let Some(end) = (end..=edited.len()).find(|i| edited.is_char_boundary(*i)) {
                            edited.replace_range(at..end, "");
                        }
                    }
                    _ => edited.insert_str(at, BITS[next() as usize % BITS.len()].trim()),
                }
            }
            changed += (edited != text) as usize;
            taken += same_as_full_parser(&format!("{name}, edit {i}"), &edited) as usize;
        }
        assert!(
            changed > cases / 2 && taken > cases / 10,
            "{taken} of {cases} edits taken by the fast reader, {changed} changed"
        );
    }
}
