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
    if let Some(pk) = table.primary_key.clone().filter(|_| table.without_rowid) {
        for column in &mut table.columns {
            // A WITHOUT ROWID table's key columns are NOT NULL whatever
            // their DDL says. Rowid tables' keys keep what they declare:
            // other keys do accept NULL (a documented SQLite quirk), and an
            // INTEGER PRIMARY KEY, the rowid, never holds one either way, so
            // the diff does not compare its NULL-ability and a rebuild
            // writes back what the table declared (`id INTEGER PRIMARY KEY`
            // stays without NOT NULL after a downgrade).
            if pk.columns.iter().any(|c| same_name(c, &column.name)) {
                column.nullable = false;
            }
        }
    }
    table.indexes.sort_by_key(|i| fold(&i.name));
}
