//! The normal form both sources are brought to before they are compared, so
//! that what SQLite treats as the same is the same value.

use crate::schema::*;

pub fn normalize(schema: &mut Schema) {
    let parents: std::collections::HashMap<String, Vec<String>> =
        schema.tables.iter().filter_map(|(k, t)| Some((k.clone(), t.primary_key.as_ref()?.columns.clone()))).collect();
    for table in schema.tables.values_mut() {
        normalize_table(table);
        for fk in &mut table.foreign_keys {
            // `REFERENCES t` without columns means t's primary key
            // (sqlite.org/foreignkeys.html#fk_indexes).
            if fk.ref_columns.is_empty() {
                if let Some(pk) = parents.get(&fold(&fk.ref_table)) {
                    fk.ref_columns = pk.clone();
                }
            }
        }
    }
}

fn normalize_table(table: &mut Table) {
    let not_null_pk = table.without_rowid || table.integer_primary_key().is_some();
    if let Some(pk) = table.primary_key.clone() {
        for column in &mut table.columns {
            // An INTEGER PRIMARY KEY is the rowid and can never hold NULL,
            // whatever its DDL says; a WITHOUT ROWID table's key columns are
            // NOT NULL too. Other rowid tables' keys do accept NULL (a
            // documented SQLite quirk), so those keep what they declare.
            if not_null_pk && pk.columns.iter().any(|c| same_name(c, &column.name)) {
                column.nullable = false;
            }
        }
    }
    table.indexes.sort_by_key(|i| fold(&i.name));
}
