//! AG101, AG102: a drop that discards rows or values.

use super::super::{At, Code, Hit, Review};
use crate::diff::Change;
use crate::schema::same_name;
use crate::sql::statement::Statement;
use crate::words::count;

pub(super) fn hits(r: &Review, places: &super::places::Places) -> Vec<Hit> {
    let mut hits = Vec::new();
    // AG101 reads the statements, not the diff: `DROP TABLE t` followed by
    // `CREATE TABLE t` leaves the same schema and no row.
    for (i, origin) in r.reading.dropped_tables(r.before) {
        let rows = r.dropped_rows.iter().find(|(s, _)| *s == i).map(|(_, n)| *n);
        let table = match &r.reading.statements[i].kind {
            Statement::DropTable { name } if !same_name(name, &origin) => {
                format!("{name}` (`{origin}` before the revision)")
            }
            _ => format!("{origin}`"),
        };
        let message = match rows {
            Some(0) => format!("drops table `{table} (empty in {})", r.database),
            Some(n) => format!("drops table `{table} and the {} it holds", count(n, "row")),
            None => format!("drops table `{table} and every row it holds"),
        };
        hits.push(Hit {
            refused: false,
            code: Code::AG101,
            at: At::Statement(i),
            message,
            numbers: rows.map(|n| ("rows", n)).into_iter().collect(),
        });
    }
    for (index, change) in r.diff.changes.iter().enumerate() {
        let Change::RemoveColumn { table, column } = change else { continue };
        let name = &column.name;
        let at = places.dropped_column(table, name);
        let measured = r.measured(index);
        let base = match measured.first() {
            Some(m) if m.count > 0 => {
                format!("drops column `{table}.{name}` and the {} it holds", count(m.count, "non-null value"))
            }
            Some(_) => format!("drops column `{table}.{name}` (empty in {})", r.database),
            None => format!("drops column `{table}.{name}` and every value it holds"),
        };
        let numbers = measured.iter().map(|m| (m.what, m.count)).collect();
        hits.push(Hit { refused: false, code: Code::AG102, at, message: base, numbers });
    }
    hits
}
