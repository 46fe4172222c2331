//! A [`Schema`] as a model file: what `autogen inspect` prints. Loading the
//! output gives back the same schema, so `inspect` then `check` is empty.

use std::fmt::Write;

use crate::schema::*;

/// The schema as model YAML, tables parents first.
///
/// ```
/// let conn = rusqlite::Connection::open_in_memory().unwrap();
/// conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'x' CHECK (a <> ''))").unwrap();
/// let db = autogen::introspect(&conn, &autogen::Filter::default()).unwrap();
/// let yaml = autogen::model_yaml(&db);
/// let again = autogen::parse_model(&yaml, std::path::Path::new("inspected.yaml")).unwrap();
/// assert!(autogen::diff(&db, &again.schema).is_empty());
/// ```
pub fn model_yaml(schema: &Schema) -> String {
    let mut out = String::new();
    out.push_str("# A model file for autogen (written by `autogen inspect`).\n");
    if !schema.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "# not managed by autogen (virtual tables and their shadow tables): {}",
            schema.unmanaged.join(", ")
        );
    }
    out.push_str("version: 1\n");
    if schema.tables.is_empty() {
        out.push_str("tables: []\n");
    } else {
        out.push_str("tables:\n");
        for table in crate::schema::order::parents_first(schema) {
            write_table(&mut out, table);
        }
    }
    if !schema.views.is_empty() {
        out.push_str("views:\n");
        for view in crate::schema::order::views_in_order(schema.views.values()) {
            let _ = writeln!(out, "  - name: {}", scalar(&view.name));
            if !view.columns.is_empty() {
                let _ = writeln!(out, "    columns: {}", list(&view.columns));
            }
            let _ = writeln!(out, "    sql: {}", block(&view.sql, 6));
        }
    }
    if !schema.triggers.is_empty() {
        out.push_str("triggers:\n");
        for trigger in schema.triggers.values() {
            let _ = writeln!(out, "  - name: {}", scalar(&trigger.name));
            let _ = writeln!(out, "    sql: {}", block(&trigger.sql, 6));
        }
    }
    out
}

/// The primary key goes on its column (`primary_key: true`) when that says
/// all of it; otherwise at table level.
fn column_form_pk(table: &Table) -> Option<&str> {
    let pk = table.primary_key.as_ref()?;
    let [only] = pk.columns.as_slice() else {
        return None;
    };
    let column = table.column(only)?;
    (pk.name.is_none() && pk.on_conflict.is_none() && column.not_null_conflict.is_none()).then_some(only.as_str())
}

fn write_table(out: &mut String, table: &Table) {
    let _ = writeln!(out, "  - name: {}", scalar(&table.name));
    out.push_str("    columns:\n");
    let flagged_pk = column_form_pk(table);
    for c in &table.columns {
        let is_flagged = flagged_pk.is_some_and(|p| same_name(p, &c.name));
        let mut fields = vec![format!("name: {}", scalar(&c.name)), format!("type: {}", scalar(&c.ty))];
        if is_flagged {
            fields.push("primary_key: true".into());
            if table.primary_key.as_ref().is_some_and(|pk| pk.desc) {
                fields.push("order: desc".into());
            }
        }
        // The model's default nullability is "not null for a key column".
        // The rowid never holds NULL: what its DDL says is not the model's concern.
        let rowid = table.integer_primary_key().is_some_and(|k| same_name(&k.name, &c.name));
        if c.nullable == table.in_primary_key(&c.name) && !rowid {
            fields.push(format!("nullable: {}", c.nullable));
        }
        if table.is_autoincrement() && table.primary_key.as_ref().is_some_and(|pk| same_name(&pk.columns[0], &c.name)) {
            fields.push("autoincrement: true".into());
        }
        if let Some(d) = &c.default {
            fields.push(format!("server_default: {}", scalar(d)));
        }
        if let Some(coll) = &c.collate {
            fields.push(format!("collate: {}", scalar(coll)));
        }
        if let Some(g) = &c.generated {
            fields.push(format!("generated: {}", scalar(&g.expr)));
            fields.push(format!("stored: {}", g.stored));
        }
        if let Some(conflict) = c.not_null_conflict {
            fields.push(format!("on_conflict: {}", conflict.as_sql()));
        }
        match c.checks.as_slice() {
            [] => {}
            [CheckConstraint { name: None, expr }] => fields.push(format!("check: {}", scalar(expr))),
            checks => {
                let each: Vec<String> = checks.iter().map(check_entry).collect();
                fields.push(format!("check: [{}]", each.join(", ")));
            }
        }
        let _ = writeln!(out, "      - {{{}}}", fields.join(", "));
    }
    if let Some(pk) = table.primary_key.as_ref().filter(|_| flagged_pk.is_none()) {
        let mut fields = vec![format!("columns: {}", list(&pk.columns))];
        if let Some(n) = &pk.name {
            fields.insert(0, format!("name: {}", scalar(n)));
        }
        if let Some(c) = pk.on_conflict {
            fields.push(format!("on_conflict: {}", c.as_sql()));
        }
        let _ = writeln!(out, "    primary_key: {{{}}}", fields.join(", "));
    }
    if table.strict {
        out.push_str("    strict: true\n");
    }
    if table.without_rowid {
        out.push_str("    without_rowid: true\n");
    }
    if !table.uniques.is_empty() {
        out.push_str("    unique_constraints:\n");
        for u in &table.uniques {
            let mut fields = name_field(u.name.as_deref());
            let keys: Vec<String> = u.columns.iter().map(key_column).collect();
            fields.push(format!("columns: [{}]", keys.join(", ")));
            if let Some(c) = u.on_conflict {
                fields.push(format!("on_conflict: {}", c.as_sql()));
            }
            let _ = writeln!(out, "      - {{{}}}", fields.join(", "));
        }
    }
    if !table.checks.is_empty() {
        out.push_str("    check_constraints:\n");
        for c in &table.checks {
            let _ = writeln!(out, "      - {}", check_entry(c));
        }
    }
    if !table.foreign_keys.is_empty() {
        out.push_str("    foreign_keys:\n");
        for f in &table.foreign_keys {
            let mut fields = name_field(f.name.as_deref());
            fields.push(format!("columns: {}", list(&f.columns)));
            let mut target = format!("table: {}", scalar(&f.ref_table));
            if !f.ref_columns.is_empty() {
                let _ = write!(target, ", columns: {}", list(&f.ref_columns));
            }
            fields.push(format!("references: {{{target}}}"));
            if f.on_delete != FkAction::NoAction {
                fields.push(format!("on_delete: {}", f.on_delete.as_sql()));
            }
            if f.on_update != FkAction::NoAction {
                fields.push(format!("on_update: {}", f.on_update.as_sql()));
            }
            if f.deferrable {
                fields.push("deferrable: true".into());
            }
            let _ = writeln!(out, "      - {{{}}}", fields.join(", "));
        }
    }
    if !table.indexes.is_empty() {
        out.push_str("    indexes:\n");
        for i in &table.indexes {
            let keys: Vec<String> = i.columns.iter().map(index_key).collect();
            let mut fields = vec![format!("name: {}", scalar(&i.name)), format!("columns: [{}]", keys.join(", "))];
            if i.unique {
                fields.push("unique: true".into());
            }
            if let Some(w) = &i.where_clause {
                fields.push(format!("where: {}", scalar(w)));
            }
            let _ = writeln!(out, "      - {{{}}}", fields.join(", "));
        }
    }
}

fn index_key(c: &IndexColumn) -> String {
    let mut fields = match &c.key {
        IndexKey::Column(n) if !c.desc && c.collate.is_none() => return scalar(n),
        IndexKey::Column(n) => vec![format!("column: {}", scalar(n))],
        IndexKey::Expression(e) => vec![format!("expression: {}", scalar(e))],
    };
    if c.desc {
        fields.push("order: desc".into());
    }
    if let Some(coll) = &c.collate {
        fields.push(format!("collate: {}", scalar(coll)));
    }
    format!("{{{}}}", fields.join(", "))
}

/// `{name: ck, sql: "a > 0"}`.
fn check_entry(c: &CheckConstraint) -> String {
    let mut fields = name_field(c.name.as_deref());
    fields.push(format!("sql: {}", scalar(&c.expr)));
    format!("{{{}}}", fields.join(", "))
}

/// A unique key's column: its name, or `{column, collate, order}`.
fn key_column(c: &KeyColumn) -> String {
    if c.collate.is_none() && !c.desc {
        return scalar(&c.name);
    }
    let mut fields = vec![format!("column: {}", scalar(&c.name))];
    if let Some(coll) = &c.collate {
        fields.push(format!("collate: {}", scalar(coll)));
    }
    if c.desc {
        fields.push("order: desc".into());
    }
    format!("{{{}}}", fields.join(", "))
}

fn name_field(name: Option<&str>) -> Vec<String> {
    name.map(|n| vec![format!("name: {}", scalar(n))]).unwrap_or_default()
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| scalar(s)).collect::<Vec<_>>().join(", "))
}

/// A YAML scalar that reads back as exactly `s`: plain where that is
/// unambiguous in flow context, otherwise double-quoted (JSON string syntax
/// is valid YAML).
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    const RESERVED: [&str; 12] =
        ["true", "false", "yes", "no", "on", "off", "null", "y", "n", "nan", "inf", "infinity"];
    first.is_ascii_alphabetic()
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '(' | ')' | '.' | ' '))
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

/// Multi-line SQL as a literal block when it can be one exactly, which keeps
/// views and triggers readable; otherwise a quoted scalar.
fn block(s: &str, indent: usize) -> String {
    let fits = s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && !s.ends_with(['\n', ' ', '\t'])
        && !s.contains('\r')
        && s.lines().all(|l| !l.ends_with([' ', '\t']) && !l.contains('\t'));
    if !fits {
        return scalar(s);
    }
    let pad = " ".repeat(indent);
    let mut out = String::from("|-");
    for line in s.lines() {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_quote_what_yaml_would_misread() {
        assert_eq!(scalar("users"), "users");
        assert_eq!(scalar("VARCHAR(255)"), "VARCHAR(255)");
        assert_eq!(scalar("NUMERIC(10,2)"), "\"NUMERIC(10,2)\"");
        assert_eq!(scalar("0"), "\"0\"");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("No"), "\"No\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("'it''s'"), "\"'it''s'\"");
        assert_eq!(scalar("my \"col\""), "\"my \\\"col\\\"\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
    }
}
