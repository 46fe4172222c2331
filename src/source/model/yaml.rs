//! A YAML document as a tree of nodes that know their line and column,
//! read from the event stream of serde-saphyr's own parser (granit-parser,
//! which serde-saphyr re-exports).
//!
//! Why not serde-saphyr's deserializer for the model: on a large model it
//! costs more than all of `diff` (README, "Performance"). The tree keeps
//! the guarantees we use serde-saphyr for: line and column on every value
//! and error, duplicate keys rejected, and limits on nesting and alias
//! expansion (billion laughs).
//!
//! The usual shapes of a model file (block collections, one-line flow
//! collections and scalars) are read first by [`fast`], which gives up on
//! anything else; the event parser then reads the file, errors included.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};

/// Deeper than this is not a model; it is an attack or a mistake.
pub const MAX_DEPTH: usize = 64;
/// Nodes that aliases may add in all, counting nested expansions.
pub const MAX_ALIAS_NODES: usize = 100_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    pub value: Value<'a>,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    /// The text, and whether it was plain (unquoted): only plain scalars
    /// can be booleans, numbers or null. The text is borrowed from the
    /// document where it is spelled as it reads (most of a model file).
    Scalar(Cow<'a, str>, bool),
    Seq(Vec<Node<'a>>),
    Map(Vec<(Node<'a>, Node<'a>)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl Node<'_> {
    pub fn at(&self) -> (u32, u32) {
        (self.line, self.column)
    }

    /// What kind of value this is, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar(..) => "a scalar",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    fn count(&self) -> usize {
        match &self.value {
            Value::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            Value::Map(pairs) => 1 + pairs.iter().map(|(k, v)| k.count() + v.count()).sum::<usize>(),
            _ => 1,
        }
    }
}

fn position(span: &Span) -> (u32, u32) {
    (span.start.line() as u32, span.start.col() as u32 + 1)
}

enum Open<'a> {
    Seq(Node<'a>, Vec<Node<'a>>),
    /// The mapping, its pairs, and a key waiting for its value.
    Map(Node<'a>, Vec<(Node<'a>, Node<'a>)>, Option<Node<'a>>),
}

mod fast;

/// Parses one YAML document; `None` for an empty one.
pub fn parse(text: &str) -> Result<Option<Node<'_>>, YamlError> {
    match fast::parse(text) {
        Some(node) => Ok(Some(node)),
        None => parse_events(text),
    }
}

/// The full parser: serde-saphyr's event stream made into a tree.
fn parse_events(text: &str) -> Result<Option<Node<'_>>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<(Open, usize)> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut alias_nodes = 0usize;
    let mut documents = 0;
    let mut root: Option<Node> = None;
    let err = |(line, column): (u32, u32), message: String| YamlError { line, column, message };
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            let m = e.marker();
            // The parser's own guard against deep flow nesting says it in its terms.
            let info = e.info();
            let message =
                if info.contains("recursion limit") { format!("nesting deeper than {MAX_DEPTH} levels") } else { info };
            err((m.line() as u32, m.col() as u32 + 1), message)
        })?;
        let (line, column) = position(&span);
        let (node, anchor) = match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(err((line, column), "a model file holds one YAML document, this is a second".into()));
                }
                continue;
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err((line, column), format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                let node = Node { value: Value::Null, line, column };
                let open = if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(node, Vec::new())
                } else {
                    Open::Map(node, Vec::new(), None)
                };
                stack.push((open, anchor));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((open, anchor)) = stack.pop() else { continue };
                let node = match open {
                    Open::Seq(mut node, items) => {
                        node.value = Value::Seq(items);
                        node
                    }
                    Open::Map(mut node, pairs, _) => {
                        check_duplicates(&pairs)?;
                        node.value = Value::Map(pairs);
                        node
                    }
                };
                (node, anchor)
            }
            Event::Scalar(text, style, anchor, _) => {
                let plain = style == ScalarStyle::Plain;
                let value = if plain && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                    Value::Null
                } else {
                    Value::Scalar(Cow::Owned(text.into_owned()), plain)
                };
                (Node { value, line, column }, anchor)
            }
            Event::Alias(id) => {
                let Some(target) = anchors.get(&id) else {
                    return Err(err((line, column), "an alias to an unknown anchor".into()));
                };
                alias_nodes += target.count();
                if alias_nodes > MAX_ALIAS_NODES {
                    return Err(err((line, column), format!("aliases expand to more than {MAX_ALIAS_NODES} nodes")));
                }
                let mut node = target.clone();
                (node.line, node.column) = (line, column);
                (node, 0)
            }
            _ => continue,
        };
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some((Open::Seq(_, items), _)) => items.push(node),
            Some((Open::Map(_, pairs, key), _)) => match key.take() {
                None => *key = Some(node),
                Some(k) => pairs.push((k, node)),
            },
        }
    }
    Ok(root)
}

/// YAML forbids a key twice in one mapping; a silent last-one-wins would
/// hide a mistake.
fn check_duplicates(pairs: &[(Node<'_>, Node<'_>)]) -> Result<(), YamlError> {
    let key = |i: usize| match &pairs[i].0.value {
        Value::Scalar(text, _) => Some(text.as_ref()),
        _ => None,
    };
    let duplicate = if pairs.len() <= 16 {
        // The usual mapping is small: comparing pairs beats hashing them.
        (1..pairs.len()).find(|&i| key(i).is_some() && (0..i).any(|j| key(j) == key(i)))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(pairs.len());
        (0..pairs.len()).find(|&i| key(i).is_some_and(|k| !seen.insert(k)))
    };
    match duplicate {
        None => Ok(()),
        Some(i) => {
            let node = &pairs[i].0;
            Err(YamlError {
                line: node.line,
                column: node.column,
                message: format!("duplicate mapping key: {}", key(i).unwrap_or_default()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_where_they_are() {
        let doc = parse("tables:\n  - {name: a, type: INT}\n").unwrap().unwrap();
        let Value::Map(pairs) = &doc.value else { panic!() };
        assert_eq!(pairs[0].0.at(), (1, 1));
        let Value::Seq(items) = &pairs[0].1.value else { panic!() };
        let Value::Map(fields) = &items[0].value else { panic!() };
        assert_eq!(fields[1].1.value, Value::Scalar("INT".into(), true));
        assert_eq!(fields[1].1.at(), (2, 21));
    }

    #[test]
    fn duplicates_depth_and_alias_bombs_are_refused() {
        assert_eq!(parse("a: 1\nb: 2\na: 3\n").unwrap_err().message, "duplicate mapping key: a");
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep).unwrap_err().message.contains("nesting deeper"));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            bomb.push_str(&format!(
                "{}: &{} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
                (b'a' + i) as char,
                (b'a' + i) as char,
                p = (b'a' + i - 1) as char
            ));
        }
        assert!(parse(&bomb).unwrap_err().message.contains("aliases expand"));
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
        assert_eq!(parse("").unwrap(), None);
        assert!(parse("a: [1, 2\n").is_err());
    }

    #[test]
    fn quoted_and_plain_scalars_differ() {
        let doc = parse("a: true\nb: 'true'\nc: ~\nd: \"\"\n").unwrap().unwrap();
        let Value::Map(p) = doc.value else { panic!() };
        assert_eq!(p[0].1.value, Value::Scalar("true".into(), true));
        assert_eq!(p[1].1.value, Value::Scalar("true".into(), false));
        assert_eq!(p[2].1.value, Value::Null);
        assert_eq!(p[3].1.value, Value::Scalar("".into(), false));
    }
}
