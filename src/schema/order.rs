//! Dependency order: tables after the tables their foreign keys reference,
//! views after the views they read. Creation goes in this order, dropping
//! in reverse.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::*;
use crate::sql::lexer;

/// Tables ordered so that every table comes after the tables its foreign
/// keys reference (self-references and cycles aside); ties by name, so the
/// order is stable.
pub fn parents_first(schema: &Schema) -> Vec<&Table> {
    // Kahn's algorithm: a table is ready once all its parents are placed;
    // the ready set is ordered by name, so the result is stable.
    let mut waiting: HashMap<&str, usize> = HashMap::with_capacity(schema.tables.len());
    let mut children: HashMap<String, Vec<&str>> = HashMap::new();
    for (key, table) in &schema.tables {
        let parents: BTreeSet<String> = table
            .foreign_keys
            .iter()
            .map(|f| fold(&f.ref_table))
            .filter(|p| p != key && schema.tables.contains_key(p))
            .collect();
        waiting.insert(key, parents.len());
        for parent in parents {
            children.entry(parent).or_default().push(key);
        }
    }
    let mut ready: BTreeSet<&str> = waiting.iter().filter(|(_, n)| **n == 0).map(|(k, _)| *k).collect();
    let mut placed: HashSet<&str> = HashSet::with_capacity(schema.tables.len());
    let mut out = Vec::with_capacity(schema.tables.len());
    while out.len() < schema.tables.len() {
        // A cycle of foreign keys: break it at the first table by name.
        let key = match ready.pop_first() {
            Some(k) => k,
            None => schema.tables.keys().map(String::as_str).find(|k| !placed.contains(k)).expect("a table is left"),
        };
        if !placed.insert(key) {
            continue;
        }
        out.push(&schema.tables[key]);
        for child in children.get(key).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(n) = waiting.get_mut(child) {
                *n = n.saturating_sub(1);
                if *n == 0 && !placed.contains(child) {
                    ready.insert(child);
                }
            }
        }
    }
    out
}

/// Views ordered so that a view comes after the views it reads.
pub fn views_in_order<'a>(views: impl Iterator<Item = &'a View>) -> Vec<&'a View> {
    let mut remaining: Vec<&View> = views.collect();
    remaining.sort_by_key(|v| fold(&v.name));
    let mut out: Vec<&View> = Vec::with_capacity(remaining.len());
    while !remaining.is_empty() {
        let ready = |v: &View| {
            remaining.iter().all(|other| same_name(&other.name, &v.name) || !lexer::mentions(&v.sql, &other.name))
        };
        let next = remaining.iter().position(|v| ready(v)).unwrap_or(0);
        out.push(remaining.remove(next));
    }
    out
}
