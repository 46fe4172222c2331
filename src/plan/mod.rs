//! From a diff to steps: a native ALTER where SQLite can do the change, and
//! otherwise exactly one rebuild per table (sqlite.md). Decided from the two
//! schemas and what the engine allows, never from what the data happens to
//! be.

mod alter;
pub mod cost;
pub mod expect;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};

pub use alter::Refusal;
pub use cost::{Forced, Sizes};
pub use render::{script, statements, temp_name, Statement};

use crate::diff::{Change, Diff, Names};
use crate::schema::order::{parents_first, views_in_order};
use crate::schema::*;
use crate::sql::lexer;

/// What the database that runs the revision allows, as its engine reports
/// it: the planner asks instead of assuming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// `BEGIN`/`COMMIT` around a revision (D1 refuses them: each execute
    /// is atomic on its own).
    pub transactions: bool,
    /// `PRAGMA foreign_keys = OFF` takes effect (D1 accepts and ignores it,
    /// so a rebuild's `DROP TABLE` fires the children's ON DELETE actions).
    pub foreign_keys_off: bool,
    /// `ALTER TABLE ... DROP COLUMN` (3.35+).
    pub drop_column: bool,
    /// `ALTER TABLE ... RENAME COLUMN` (3.25+).
    pub rename_column: bool,
    /// The longest statement the engine takes, in bytes.
    pub max_statement_bytes: Option<usize>,
    /// `CREATE TEMP TABLE` (D1 refuses it): a rebuild's holding table
    /// there is written outside the database file and its journal, and
    /// dropping it scans only the temp schema.
    pub temp_tables: bool,
}

impl Capabilities {
    /// A local SQLite file: revisions may also be fed to any `sqlite3` of
    /// 3.35 or later through `--sql`, so 3.53's `ALTER COLUMN` forms are not
    /// used (sqlite.md).
    pub const SQLITE: Capabilities = Capabilities {
        transactions: true,
        foreign_keys_off: true,
        drop_column: true,
        rename_column: true,
        max_statement_bytes: None,
        temp_tables: true,
    };

    /// Cloudflare D1 (sqlite.md, "D1"): each execute is atomic and refuses
    /// `BEGIN`; `PRAGMA foreign_keys = OFF` is accepted and ignored, so a
    /// rebuild keeps the rows that a `DROP TABLE` would cascade into; a
    /// statement may not exceed 100 KB.
    pub const D1: Capabilities = Capabilities {
        transactions: false,
        foreign_keys_off: false,
        drop_column: true,
        rename_column: true,
        max_statement_bytes: Some(100_000),
        temp_tables: false,
    };
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities::SQLITE
    }
}

/// One thing the upgrade does. Each renders to one or more statements.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    DropTrigger(Trigger),
    DropView(View),
    DropIndex(Index),
    DropTable(Table),
    RenameTable {
        from: String,
        to: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    CreateTable(Table),
    /// `ALTER TABLE ... ADD COLUMN`; the table is the wanted one, for the
    /// column's REFERENCES clause.
    AddColumn {
        table: Table,
        column: Column,
    },
    DropColumn {
        table: String,
        column: String,
    },
    /// Where foreign keys stay enforced (D1): a table's rows set aside in
    /// a holding table and the table emptied, children before parents, so
    /// that no `DROP TABLE` of a rebuild cascades into it.
    Hold(Held),
    Rebuild(Rebuild),
    /// The rows of a held table that is not rebuilt, put back as they were.
    Restore(Held),
    /// A table rebuilt by copying back, its rows set aside in a TEMP
    /// holding table before any such table is dropped ([`Step::DropOld`]):
    /// every `DROP TABLE` and `CREATE` scans `sqlite_schema`, and dropped
    /// together first, then created together, they scan a schema half its
    /// size on average.
    SetAside(Held),
    /// The old table of a staged copy-back rebuild, dropped (its counter
    /// kept under the holding table's name).
    DropOld(Staged),
    CreateIndex {
        table: Table,
        index: Index,
    },
    CreateView(View),
    CreateTrigger(Trigger),
}

/// The 12-step table rebuild (sqlite.org/lang_altertable.html#otheralter).
#[derive(Debug, Clone, PartialEq)]
pub struct Rebuild {
    pub from: Table,
    pub to: Table,
    /// Why ALTER cannot do it, for the comment over the step.
    pub reasons: Vec<Reason>,
    /// Columns renamed by this rebuild's copy (old name, new name) rather
    /// than by RENAME COLUMN first.
    pub renamed_columns: Vec<(String, String)>,
    /// The name the new definition is built under: `_autogen_tmp_<table>`,
    /// or with a `__N` suffix when a table already has that name.
    pub temp: String,
    /// Columns a downgrade brings back NOT NULL without a default, and the
    /// placeholder (SQL) their rows get: the values the upgrade dropped
    /// are gone, and the column comes back as it was.
    pub placeholders: Vec<(String, String)>,
    /// An upgrade that takes AUTOINCREMENT away keeps the table's counter
    /// (a downgrade that brings it back must not reuse ids); a downgrade
    /// builds the start exactly, where no counter was.
    pub keeps_counter: bool,
    pub finish: Finish,
    /// The copy names every column even where `SELECT *` would do.
    pub names_columns: bool,
}

/// How a rebuild puts the new definition in the old table's place
/// (sqlite.md, "The rebuild", step 6).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Finish {
    /// The textbook end: the new table is built under the temporary name,
    /// filled, the old one dropped and the new one renamed onto its name.
    /// `RENAME` re-reads the whole schema.
    Rename,
    /// The rows go to an untyped holding table under the temporary name,
    /// the old table is dropped, the new one created under its own name and
    /// filled back: no schema re-read, the rows copied twice.
    CopyBack {
        why: CopyBackWhy,
        /// A [`Step::Hold`] earlier in the plan has already set the rows
        /// aside (and emptied the table).
        held: bool,
        /// The holding table is a TEMP table.
        temp: bool,
        /// Set aside and dropped by earlier steps ([`Step::SetAside`],
        /// [`Step::DropOld`]).
        staged: bool,
    },
}

/// Why a rebuild copies back instead of renaming.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CopyBackWhy {
    /// Copying the rows once more costs less than the schema re-read
    /// (microseconds, as estimated).
    Cheaper { copy_us: u64, reread_us: u64 },
    /// Foreign keys stay enforced (D1): with the rows held and the
    /// children emptied first, nothing cascades, and no RENAME rewrites the
    /// children's references.
    ForeignKeysOn,
    /// Asked for ([`Forced::CopyBack`]).
    Forced,
}

/// A table dropped ahead of its rebuild ([`Step::DropOld`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Staged {
    pub table: String,
    /// The holding table, whose name keeps the table's AUTOINCREMENT
    /// counter across the drop.
    pub temp: String,
    pub keeps_counter: bool,
}

/// A table whose rows are set aside ([`Step::Hold`]) while tables it
/// references are rebuilt with foreign keys enforced, and put back
/// ([`Step::Restore`]) unless it is rebuilt itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    /// The table's name when its rows are set aside.
    pub table: String,
    /// The holding table.
    pub temp: String,
    /// The stored columns set aside, under their names at that time.
    pub columns: Vec<String>,
    /// The columns put back (those the table still has after the plan's
    /// own ALTERs); empty for a table that is rebuilt.
    pub restore: Vec<String>,
    /// How the holding table's rowid is named: the table's rowid is held
    /// in it (`None` for a WITHOUT ROWID table, or one whose columns take
    /// every alias).
    pub rowid: Option<&'static str>,
    /// The rowid is put back too: a rowid table without an INTEGER
    /// PRIMARY KEY, whose rowids would otherwise be renumbered.
    pub restore_rowid: bool,
}

/// What a plan is made with besides the two schemas.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// The engine's estimate of each changed table's copy cost.
    pub sizes: Sizes,
    /// For tests: how every rebuild finishes, whatever the cost, so that
    /// each form is exercised on every case rather than where the weights
    /// happen to choose it.
    pub force: Option<Forced>,
    /// One-off values for the existing rows of new NOT NULL columns without
    /// a default (`--fill todos.priority=0`), given to the upgrade's copy
    /// only: the schema gets no default.
    pub fills: Vec<Fill>,
}

/// A new column's one-off value for the rows already there: SQL, read in
/// the rebuild's copy from the old row (so it may name its columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    pub table: String,
    pub column: String,
    pub value: String,
}

/// The steps of one direction of a migration, in the order they run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

/// Why a table is rebuilt.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// A change no ALTER TABLE form makes.
    Change(Change),
    /// A new column that `ADD COLUMN` cannot add.
    CannotAdd { column: String, refusal: Refusal },
    /// A column that `DROP COLUMN` cannot drop.
    CannotDrop { column: String, refusal: Refusal },
    /// ALTERs that SQLite can make, but that re-read the whole schema at a
    /// cost (µs, estimated) a rebuild copying the rows twice undercuts.
    Cheaper { alter_us: u64, copy_us: u64 },
    /// A downgrade brings a column back to its place among the others,
    /// where ADD COLUMN would append it.
    Position { column: String },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Change(change) => write!(f, "{change}"),
            Reason::CannotAdd { column, refusal } => {
                write!(f, "column `{column}` cannot be added with ADD COLUMN: {refusal}")
            }
            Reason::CannotDrop { column, refusal } => {
                write!(f, "column `{column}` cannot be dropped with DROP COLUMN: {refusal}")
            }
            Reason::Position { column } => write!(
                f,
                "column `{column}` comes back in its place among the others, where ADD COLUMN would append it"
            ),
            Reason::Cheaper { alter_us, copy_us } => write!(
                f,
                "ALTER TABLE could make these changes, but each ALTER re-reads the whole schema ({}), more than \
                 copying the rows twice ({})",
                cost::millis(*alter_us),
                cost::millis(*copy_us)
            ),
        }
    }
}

impl Plan {
    /// The steps one a line, with what each works on and why: a short
    /// form for reviews and snapshots, where a planner change shows as
    /// itself rather than as churn in the SQL.
    pub fn outline(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            out.push_str(&step.outline());
            out.push('\n');
        }
        out
    }
}

impl Step {
    /// The step in one line (a rebuild adds its reasons below it).
    pub fn outline(&self) -> String {
        match self {
            Step::DropTrigger(t) => format!("DropTrigger({:?})", t.name),
            Step::DropView(v) => format!("DropView({:?})", v.name),
            Step::DropIndex(i) => format!("DropIndex({:?})", i.name),
            Step::DropTable(t) => format!("DropTable({:?})", t.name),
            Step::RenameTable { from, to } => format!("RenameTable {{ from: {from:?}, to: {to:?} }}"),
            Step::RenameColumn { table, from, to } => {
                format!("RenameColumn {{ table: {table:?}, from: {from:?}, to: {to:?} }}")
            }
            Step::CreateTable(t) => format!("CreateTable({:?})", t.name),
            Step::AddColumn { table, column } => {
                format!("AddColumn {{ table: {:?}, column: {:?} }}", table.name, column.name)
            }
            Step::DropColumn { table, column } => format!("DropColumn {{ table: {table:?}, column: {column:?} }}"),
            Step::Hold(h) => format!("Hold({:?})", h.table),
            Step::Restore(h) => format!("Restore({:?})", h.table),
            Step::SetAside(h) => format!("SetAside({:?})", h.table),
            Step::DropOld(s) => format!("DropOld({:?})", s.table),
            Step::Rebuild(r) => {
                let finish = match r.finish {
                    Finish::Rename => String::new(),
                    Finish::CopyBack { why: CopyBackWhy::Cheaper { .. }, held: false, .. } => " copy back".into(),
                    Finish::CopyBack { why, held, .. } => {
                        format!(" copy back ({why:?}{})", if held { ", held" } else { "" })
                    }
                };
                let mut s = format!("Rebuild({:?}){finish}", r.to.name);
                for reason in &r.reasons {
                    s.push_str(&format!("\n    {reason:?}"));
                }
                for (from, to) in &r.renamed_columns {
                    s.push_str(&format!("\n    renames column {from:?} to {to:?}"));
                }
                s
            }
            Step::CreateIndex { table, index } => {
                format!("CreateIndex {{ table: {:?}, index: {:?} }}", table.name, index.name)
            }
            Step::CreateView(v) => format!("CreateView({:?})", v.name),
            Step::CreateTrigger(t) => format!("CreateTrigger({:?})", t.name),
        }
    }
}

/// What happens to a table present on both sides.
enum TableAction {
    Keep,
    Alter { drops: Vec<String>, adds: Vec<Column> },
    Rebuild(Vec<Reason>),
}

/// Plans the migration from `diff.renamed` (the database after the native
/// renames) to `to`.
///
/// A change ALTER TABLE can make stays an ALTER; one it cannot becomes one
/// rebuild of the table:
///
/// ```
/// use std::path::Path;
/// use autogen::{Capabilities, Step};
/// let parse = |yaml: &str| autogen::parse_model(yaml, Path::new("m.yaml")).unwrap().schema;
/// let id = "{name: id, type: INTEGER, primary_key: true}";
/// let before = parse(&format!("tables: [{{name: t, columns: [{id}, {{name: a, type: TEXT}}]}}]"));
/// let (a, b) = ("{name: a, type: TEXT}", "{name: b, type: TEXT}");
/// let added = parse(&format!("tables: [{{name: t, columns: [{id}, {a}, {b}]}}]"));
/// let retyped = parse(&format!("tables: [{{name: t, columns: [{id}, {{name: a, type: INTEGER}}]}}]"));
///
/// let p = autogen::plan(&autogen::diff(&before, &added), &added, &Capabilities::SQLITE);
/// assert!(matches!(p.steps.as_slice(), [Step::AddColumn { .. }]));
/// let p = autogen::plan(&autogen::diff(&before, &retyped), &retyped, &Capabilities::SQLITE);
/// assert!(matches!(p.steps.as_slice(), [Step::Rebuild(_)]));
/// ```
pub fn plan(diff: &Diff, to: &Schema, caps: &Capabilities) -> Plan {
    plan_with(diff, to, caps, &Options::default())
}

/// [`plan`], with the engine's estimate of what copying each changed
/// table's rows costs: where the schema is large and a table small, a
/// rebuild copies the rows twice instead of renaming, and ALTERs that
/// re-read the schema become such a rebuild ([`cost`]).
pub fn plan_with(diff: &Diff, to: &Schema, caps: &Capabilities, options: &Options) -> Plan {
    let sizes = &options.sizes;
    let from = &diff.renamed;
    let names = Names::of(&[from, to]);
    let names = &names;
    let objects = cost::objects(from);
    let mut actions = table_actions(diff, to, caps);
    if caps.foreign_keys_off {
        rebuild_where_cheaper(&mut actions, diff, from, objects, sizes);
    }
    let rebuilt: BTreeSet<String> =
        actions.iter().filter(|(_, a)| matches!(a, TableAction::Rebuild(_))).map(|(k, _)| k.clone()).collect();
    let finishes: BTreeMap<String, Finish> = rebuilt
        .iter()
        .map(|k| {
            let finish = match (options.force, caps.foreign_keys_off) {
                (Some(Forced::CopyBack), true) => {
                    let temp = caps.temp_tables;
                    Finish::CopyBack { why: CopyBackWhy::Forced, held: false, temp, staged: temp }
                }
                (Some(Forced::RenameNamingColumns), true) => Finish::Rename,
                _ => finish(caps, sizes.of(k), objects),
            };
            (k.clone(), finish)
        })
        .collect();
    let dropped: BTreeSet<String> = from.tables.keys().filter(|k| !to.tables.contains_key(*k)).cloned().collect();
    let held = if caps.foreign_keys_off { BTreeSet::new() } else { held_tables(from, &rebuilt, &dropped) };
    let folded = folded_renames(diff, &rebuilt);
    let renames = rename_steps(diff, &folded);

    // What re-reads the schema (RENAME, RENAME COLUMN, ADD and DROP
    // COLUMN) re-checks every view and trigger, and fails on one that a
    // half-done migration has broken: one naming a table that is gone for
    // the moment, or a compound SELECT * whose sides now differ. Views and
    // triggers over such tables are dropped first and created last. A
    // rebuild that copies back re-reads nothing, so when nothing else in
    // the plan does, what reads its table can stay.
    let narrowed = actions
        .iter()
        .filter(|(_, a)| matches!(a, TableAction::Alter { drops, .. } if !drops.is_empty()))
        .map(|(k, _)| k.clone());
    let rereads = !renames.is_empty()
        || actions.values().any(|a| matches!(a, TableAction::Alter { .. }))
        || finishes.values().any(|f| *f == Finish::Rename);
    // A rebuild that renames a column in its copy leaves what reads the
    // old name broken, whatever its finish: nothing rewrites it as RENAME
    // COLUMN would.
    let renames_in_copy = |k: &String| folded.iter().any(|(t, _, _)| same_name(t, &from.tables[k].name));
    let reshaped = rebuilt.iter().filter(|k| rereads || finishes[*k] == Finish::Rename || renames_in_copy(k));
    let disturbed: BTreeSet<String> = dropped.iter().chain(reshaped).cloned().chain(narrowed).collect();
    // DROP TABLE takes a table's triggers with it, and a held table's
    // would fire while its rows are set aside and put back.
    let emptied: BTreeSet<String> = rebuilt.union(&dropped).chain(held.iter()).cloned().collect();

    let views_redone = views_to_redo(from, to, &disturbed, names);
    let triggers_redone = triggers_to_redo(from, to, &emptied, &disturbed, &views_redone, names);

    let mut steps = Vec::new();
    // Triggers and views go first: SQLite re-reads every view and trigger
    // when a table is renamed or a column dropped, and fails on one that
    // names a table that is gone for the moment (sqlite.md, rebuild step 3).
    for key in triggers_redone.iter().filter(|k| from.triggers.contains_key(*k)) {
        steps.push(Step::DropTrigger(from.triggers[key].clone()));
    }
    // A held excluded table's triggers would fire while its rows are set
    // aside and put back: set aside too, and put back as they were.
    let outside_triggers: Vec<&Trigger> =
        from.outside.triggers.values().filter(|t| held.contains(&fold(&t.table))).collect();
    steps.extend(outside_triggers.iter().map(|t| Step::DropTrigger((*t).clone())));
    let old_views: Vec<&View> = views_in_order(views_redone.iter().filter_map(|k| from.views.get(k)));
    for view in old_views.into_iter().rev() {
        steps.push(Step::DropView(view.clone()));
    }
    for (key, action) in &actions {
        if let TableAction::Alter { .. } = action {
            for index in dropped_indexes(&from.tables[key], &to.tables[key], names) {
                steps.push(Step::DropIndex(index.clone()));
            }
        }
    }
    // Each schema's order, found once: it is read four times below.
    let from_order = parents_first(from);
    let to_order = parents_first(to);
    for table in from_order.iter().rev().filter(|t| dropped.contains(&fold(&t.name))) {
        steps.push(Step::DropTable((*table).clone()));
    }
    steps.extend(renames);
    let created: Vec<&Table> = to_order.iter().copied().filter(|t| !from.tables.contains_key(&fold(&t.name))).collect();
    for table in &created {
        steps.push(Step::CreateTable((*table).clone()));
    }
    // Every name in the database is taken, excluded tables' included: a
    // temporary table under an excluded table's name would meet its rows
    // or its AUTOINCREMENT counter.
    let mut taken_names = from.taken_names();
    taken_names.extend(to.taken_names());
    let taken = |n: &str| taken_names.contains(&fold(n));
    let temp_of = |table: &str| {
        std::iter::once(temp_name(table))
            .chain((2..).map(|n| format!("{}__{n}", temp_name(table))))
            .find(|n| !taken(n))
            .unwrap_or_default()
    };
    let stored_name = |table: &str, column: &str| -> String {
        folded
            .iter()
            .find(|(t, _, new)| same_name(t, table) && same_name(new, column))
            .map_or(column.to_string(), |(_, old, _)| old.clone())
    };
    // Children before parents: emptying a table finds nothing that
    // references it still holding rows.
    let hold_order: Vec<&Table> =
        parents_first_with_outside(from).into_iter().rev().filter(|t| held.contains(&fold(&t.name))).collect();
    let mut restores = Vec::new();
    for table in hold_order {
        let key = fold(&table.name);
        let stored: Vec<&Column> = table.columns.iter().filter(|c| c.generated.is_none()).collect();
        let columns: Vec<String> = stored.iter().map(|c| stored_name(&table.name, &c.name)).collect();
        // An excluded table keeps all it has.
        let kept = to.tables.get(&key).or(from.outside.tables.get(&key)).filter(|_| !rebuilt.contains(&key));
        let restore: Vec<String> = kept.map_or(Vec::new(), |t| {
            columns.iter().filter(|c| t.column(c).is_some_and(|c| c.generated.is_none())).cloned().collect()
        });
        let held = Held {
            table: table.name.clone(),
            temp: temp_of(&table.name),
            rowid: hold_rowid(table, &columns),
            restore_rowid: kept.is_some_and(|t| !t.without_rowid && t.integer_primary_key().is_none())
                && table.integer_primary_key().is_none(),
            columns,
            restore,
        };
        if kept.is_some() {
            restores.push(held.clone());
        }
        steps.push(Step::Hold(held));
    }
    // Staged copy-backs: every such table set aside, then every one dropped,
    // before the first is created again.
    let staged: Vec<&Table> = from_order
        .iter()
        .copied()
        .rev()
        .filter(|t| matches!(finishes.get(&fold(&t.name)), Some(Finish::CopyBack { staged: true, .. })))
        .collect();
    let mut drops = Vec::new();
    for table in staged {
        let columns: Vec<String> =
            table.columns.iter().filter(|c| c.generated.is_none()).map(|c| stored_name(&table.name, &c.name)).collect();
        let temp = temp_of(&table.name);
        let rowid = hold_rowid(table, &columns);
        let want = to.tables.get(&fold(&table.name));
        let keeps_counter = table.is_autoincrement() && (want.is_some_and(Table::is_autoincrement) || !diff.restores);
        drops.push(Step::DropOld(Staged { table: table.name.clone(), temp: temp.clone(), keeps_counter }));
        steps.push(Step::SetAside(Held {
            table: table.name.clone(),
            temp,
            rowid,
            columns,
            restore: Vec::new(),
            restore_rowid: false,
        }));
    }
    steps.extend(drops);
    for &table in &to_order {
        let key = fold(&table.name);
        match actions.get(&key) {
            Some(TableAction::Alter { drops, adds }) => {
                steps.extend(drops.iter().map(|c| Step::DropColumn { table: table.name.clone(), column: c.clone() }));
                steps.extend(adds.iter().map(|c| Step::AddColumn { table: table.clone(), column: c.clone() }));
            }
            Some(TableAction::Rebuild(reasons)) => {
                let have = &from.tables[&key];
                let renamed_columns = folded
                    .iter()
                    .filter(|(t, _, _)| same_name(t, &table.name))
                    .map(|(_, o, n)| (o.clone(), n.clone()))
                    .collect();
                let placeholders = if diff.restores {
                    placeholders(have, table)
                } else {
                    let fills = options.fills.iter().filter(|f| same_name(&f.table, &table.name));
                    fills.map(|f| (f.column.clone(), f.value.clone())).collect()
                };
                // A downgrade builds the start exactly. An upgrade keeps the
                // rowid column as the database declares it, and the columns
                // in the database's order, new ones after (model.md: order is
                // not a difference; an app's `INSERT INTO t VALUES (...)`
                // relies on it).
                let to = match diff.restores {
                    true => table.clone(),
                    false => in_kept_order(have, table.rowid_declared_as(have).unwrap_or_else(|| table.clone())),
                };
                steps.push(Step::Rebuild(Rebuild {
                    from: have.clone(),
                    to,
                    temp: temp_of(&have.name),
                    reasons: reasons.clone(),
                    renamed_columns,
                    placeholders,
                    keeps_counter: !diff.restores,
                    finish: finishes[&key],
                    names_columns: options.force == Some(Forced::RenameNamingColumns),
                }))
            }
            _ => {}
        }
    }
    // Parents before children (the checks are deferred, but the order reads well).
    restores.reverse();
    steps.extend(restores.into_iter().map(Step::Restore));
    for table in &created {
        steps.extend(table.indexes.iter().map(|i| Step::CreateIndex { table: (*table).clone(), index: i.clone() }));
    }
    for (key, action) in &actions {
        if let TableAction::Alter { .. } = action {
            let table = &to.tables[key];
            for index in added_indexes(&from.tables[key], table, names) {
                steps.push(Step::CreateIndex { table: table.clone(), index: index.clone() });
            }
        }
    }
    for view in views_in_order(views_redone.iter().filter_map(|k| to.views.get(k))) {
        steps.push(Step::CreateView(view.clone()));
    }
    for key in triggers_redone.iter().filter(|k| to.triggers.contains_key(*k)) {
        steps.push(Step::CreateTrigger(to.triggers[key].clone()));
    }
    steps.extend(outside_triggers.into_iter().map(|t| Step::CreateTrigger(t.clone())));
    Plan { steps }
}

/// The managed tables and the excluded ones, parents before children.
fn parents_first_with_outside(schema: &Schema) -> Vec<&Table> {
    if schema.outside.tables.is_empty() {
        return parents_first(schema);
    }
    let mut all = Schema { tables: schema.tables.clone(), ..Schema::default() };
    all.tables.extend(schema.outside.tables.iter().map(|(k, t)| (k.clone(), t.clone())));
    let order: Vec<String> = parents_first(&all).into_iter().map(|t| fold(&t.name)).collect();
    order.iter().filter_map(|k| schema.tables.get(k).or(schema.outside.tables.get(k))).collect()
}

/// `want` with the columns `have` already has in `have`'s order, and the
/// others after them in `want`'s: what ALTER TABLE would leave, and what a
/// rebuild keeps.
pub fn in_kept_order(have: &Table, want: Table) -> Table {
    let position = |c: &Column| have.columns.iter().position(|h| same_name(&h.name, &c.name));
    let mut out = want;
    // A stable sort: new columns (no position) keep the model's order.
    out.columns.sort_by_key(|c| position(c).unwrap_or(usize::MAX));
    out
}

/// A revision's two sections: each its expectations of the database
/// (`-- autogen:expect` lines) and its SQL.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    pub up: String,
    pub down: String,
}

/// The upgrade from `start` (the database, as read) to `to` through
/// `diff`, and the downgrade that brings `start` back from what the
/// upgrade leaves ([`built`]), as the sections of a revision.
///
/// ```
/// use std::path::Path;
/// use autogen::Capabilities;
/// let parse = |yaml: &str| autogen::parse_model(yaml, Path::new("m.yaml")).unwrap().schema;
/// let start = parse("tables: [{name: t, columns: [{name: b, type: TEXT}, {name: a, type: TEXT}]}]");
/// // A type change rebuilds `t`, keeping its column order (b, a) whatever the model's.
/// let to = parse("tables: [{name: t, columns: [{name: a, type: TEXT}, {name: b, type: INT}]}]");
/// let m = autogen::migration(&autogen::diff(&start, &to), &start, &to, &Capabilities::SQLITE, &Default::default());
/// assert!(m.up.contains("-- autogen:expect {\"table\":\"t\",\"columns\":[\"b\",\"a\"]"));
/// assert!(m.up.contains("\"b\" INT,\n    \"a\" TEXT\n"));
/// assert!(m.down.contains("-- autogen:expect {\"table\":\"t\",\"columns\":[\"b\",\"a\"]"));
/// ```
pub fn migration(diff: &Diff, start: &Schema, to: &Schema, caps: &Capabilities, options: &Options) -> Migration {
    // The two sections are independent once the downgrade's start is
    // known: each is planned on its own core.
    std::thread::scope(|s| {
        let up = s.spawn(|| section(diff, start, to, caps, options));
        let after = built(diff, to);
        let down_diff = crate::diff::reverse(diff, start, &after);
        // The fills are the upgrade's: a downgrade drops those columns.
        let down_options = Options { fills: Vec::new(), ..options.clone() };
        let down = section(&down_diff, &after, start, caps, &down_options);
        let up = up.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        Migration { up, down }
    })
}

/// One section of a revision: the plan from `start` through `diff` to
/// `to`, headed by what it expects of the database.
pub fn section(diff: &Diff, start: &Schema, to: &Schema, caps: &Capabilities, options: &Options) -> String {
    let plan = plan_with(diff, to, caps, options);
    let expected = expect::expectations(start, diff, &plan, !caps.foreign_keys_off);
    format!("{}{}", expect::render(&expected), script(&plan))
}

/// The schema as an upgrade planned from `diff` to `to` leaves it: `to`
/// with every table that was already there in its columns' kept order, and the
/// database's outside kept. A downgrade starts from this.
pub fn built(diff: &Diff, to: &Schema) -> Schema {
    let mut out = to.clone();
    for (key, table) in out.tables.iter_mut() {
        if let Some(have) = diff.renamed.tables.get(key) {
            *table = in_kept_order(have, std::mem::take(table));
        }
    }
    out.outside = diff.renamed.outside.clone();
    out
}

/// How a rebuild of a table whose extra copy costs `copy_us` finishes on a
/// schema of `objects` objects.
fn finish(caps: &Capabilities, copy_us: Option<u64>, objects: u64) -> Finish {
    if !caps.foreign_keys_off {
        return Finish::CopyBack { why: CopyBackWhy::ForeignKeysOn, held: true, temp: false, staged: false };
    }
    let reread_us = cost::reread_us(objects);
    match copy_us {
        Some(copy_us) if cost::copy_back_wins(Some(copy_us), reread_us) => Finish::CopyBack {
            why: CopyBackWhy::Cheaper { copy_us, reread_us },
            held: false,
            temp: caps.temp_tables,
            staged: caps.temp_tables,
        },
        _ => Finish::Rename,
    }
}

/// Tables whose ALTERs would re-read the schema at a cost that a rebuild
/// copying back undercuts become that rebuild.
fn rebuild_where_cheaper(
    actions: &mut BTreeMap<String, TableAction>,
    diff: &Diff,
    from: &Schema,
    objects: u64,
    sizes: &Sizes,
) {
    for (key, action) in actions.iter_mut() {
        let TableAction::Alter { drops, adds } = action else { continue };
        let name = &from.tables[key].name;
        let renames = diff.renames.columns.iter().filter(|(t, _, _)| same_name(t, name)).count();
        let alter_us = cost::alter_us(objects, adds.len(), drops.len(), renames);
        let copy_us = sizes.of(key);
        if let Some(copy_us) = copy_us.filter(|_| cost::copy_back_wins(copy_us, alter_us)) {
            *action = TableAction::Rebuild(vec![Reason::Cheaper { alter_us, copy_us }]);
        }
    }
}

/// Where foreign keys stay enforced, `DROP TABLE` first deletes every row,
/// and each referencing table's ON DELETE action (or RESTRICT, or the
/// deferred NO ACTION check) acts on its rows: the rebuilt tables and
/// every table that references one, directly or through others, are held.
fn held_tables(from: &Schema, rebuilt: &BTreeSet<String>, dropped: &BTreeSet<String>) -> BTreeSet<String> {
    let mut held = rebuilt.clone();
    loop {
        let before = held.len();
        // Excluded tables too: `exclude` keeps a table out of the diff, not
        // out of the reach of a DROP TABLE's foreign-key actions.
        for (key, table) in from.tables.iter().chain(&from.outside.tables) {
            if !dropped.contains(key) && table.foreign_keys.iter().any(|fk| held.contains(&fold(&fk.ref_table))) {
                held.insert(key.clone());
            }
        }
        if held.len() == before {
            return held;
        }
    }
}

/// The name under which a held table's rowid is copied: the first alias no
/// column takes; none for a WITHOUT ROWID table.
fn hold_rowid(table: &Table, columns: &[String]) -> Option<&'static str> {
    if table.without_rowid {
        return None;
    }
    let taken = |alias: &str| columns.iter().any(|c| same_name(c, alias)) || table.column(alias).is_some();
    ROWID_NAMES.into_iter().find(|alias| !taken(alias))
}

fn table_actions(diff: &Diff, to: &Schema, caps: &Capabilities) -> BTreeMap<String, TableAction> {
    let from = &diff.renamed;
    let mut by_table: BTreeMap<String, Vec<&Change>> = BTreeMap::new();
    for change in &diff.changes {
        use Change::*;
        // SQLite 3.54 refuses RENAME COLUMN to or from `rowid`, `_rowid_`
        // or `oid` in a rowid table (sqlite.md): such a rename is made by
        // a rebuild, whose copy moves the column's values.
        if let RenameColumn { table, from: old, to: new } = change {
            let rowid_table = to.table(table).is_some_and(|t| !t.without_rowid);
            if rowid_table && (is_rowid_name(old) || is_rowid_name(new)) {
                by_table.entry(fold(table)).or_default().push(change);
                continue;
            }
        }
        if let AddTable(_)
        | RemoveTable(_)
        | RenameTable { .. }
        | RenameColumn { .. }
        | AddView(_)
        | RemoveView(_)
        | AddTrigger(_)
        | RemoveTrigger(_) = change
        {
            continue;
        }
        by_table.entry(fold(change.subject())).or_default().push(change);
    }
    let mut actions = BTreeMap::new();
    for (key, want) in &to.tables {
        let Some(have) = from.tables.get(key) else {
            continue;
        };
        let changes = by_table.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let mut action = table_action(caps, from, to, have, want, changes);
        // A downgrade puts the start back exactly, columns in their places:
        // ADD COLUMN appends, so a column that went back elsewhere is a rebuild.
        if let TableAction::Alter { drops, adds } = &action {
            if diff.restores && !adds.is_empty() && !appends_in_place(have, want, drops, adds) {
                action = TableAction::Rebuild(vec![Reason::Position { column: adds[0].name.clone() }]);
            }
        }
        actions.insert(key.clone(), action);
    }
    actions
}

/// Whether dropping `drops` and appending `adds` gives `want`'s columns in
/// `want`'s order.
fn appends_in_place(have: &Table, want: &Table, drops: &[String], adds: &[Column]) -> bool {
    let kept = have.columns.iter().map(|c| &c.name).filter(|n| !drops.iter().any(|d| same_name(d, n)));
    let after: Vec<&String> = kept.chain(adds.iter().map(|c| &c.name)).collect();
    after.len() == want.columns.len() && after.iter().zip(&want.columns).all(|(a, w)| same_name(a, &w.name))
}

fn table_action(
    caps: &Capabilities,
    from: &Schema,
    to: &Schema,
    have: &Table,
    want: &Table,
    changes: &[&Change],
) -> TableAction {
    if changes.is_empty() {
        return TableAction::Keep;
    }
    let mut reasons = Vec::new();
    let mut drops = Vec::new();
    let mut adds = Vec::new();
    for change in changes {
        match change {
            Change::AddColumn { column, .. } => match alter::add_column_refusal(want, column) {
                None => adds.push(column.clone()),
                Some(refusal) => reasons.push(Reason::CannotAdd { column: column.name.clone(), refusal }),
            },
            Change::RemoveColumn { column, .. } => {
                match alter::drop_column_refusal(caps, from, to, have, want, &column.name) {
                    None => drops.push(column.name.clone()),
                    Some(refusal) => reasons.push(Reason::CannotDrop { column: column.name.clone(), refusal }),
                }
            }
            Change::AddIndex { .. } | Change::RemoveIndex { .. } => {}
            Change::AddForeignKey { foreign_key, .. } if fk_rides_on_added_column(want, changes, foreign_key) => {}
            other => reasons.push(Reason::Change((*other).clone())),
        }
    }
    if reasons.is_empty() {
        TableAction::Alter { drops, adds }
    } else {
        TableAction::Rebuild(reasons)
    }
}

/// The columns of `to` that `from` lacks and that cannot be filled: NOT NULL,
/// no default, not generated. Each gets a placeholder of its type's
/// affinity (sqlite.org/datatype3.html#determination_of_column_affinity).
/// A column in a primary key, a UNIQUE constraint or a unique index gets a
/// value of its own in every row (`row_number()`), so that the key holds;
/// and a rowid column back in a table that kept its rowids (the upgrade
/// copied them) gets exactly its old values.
fn placeholders(from: &Table, to: &Table) -> Vec<(String, String)> {
    let missing = to.columns.iter().filter(|c| from.column(&c.name).is_none());
    let is = |name: &str, c: &Column| same_name(name, &c.name);
    let unique = |c: &Column| {
        to.in_primary_key(&c.name)
            || to.uniques.iter().any(|u| u.columns.iter().any(|k| is(&k.name, c)))
            || to
                .indexes
                .iter()
                .filter(|i| i.unique)
                .any(|i| i.columns.iter().any(|k| matches!(&k.key, IndexKey::Column(n) if is(n, c))))
    };
    // The rowid by a name no column of the old table takes.
    let alias = free_rowid_name(&[from]);
    missing
        .filter(|c| !c.nullable && c.default.is_none() && c.generated.is_none())
        .map(|c| {
            let ty = c.ty.to_ascii_uppercase();
            let is_rowid = to.integer_primary_key().is_some_and(|k| is(&k.name, c)) && !from.without_rowid;
            let text = ty.contains("CHAR") || ty.contains("CLOB") || ty.contains("TEXT");
            let blob = ty.is_empty() || ty.contains("BLOB");
            let value = match (alias.filter(|_| is_rowid), unique(c)) {
                (Some(alias), _) => alias,
                (None, true) if text => "'autogen ' || row_number() OVER ()",
                (None, true) if blob => "CAST('autogen ' || row_number() OVER () AS BLOB)",
                (None, true) => "row_number() OVER ()",
                (None, false) if ty.contains("INT") => "0",
                (None, false) if text => "''",
                (None, false) if blob => "x''",
                (None, false) => "0",
            };
            (c.name.clone(), value.to_string())
        })
        .collect()
}

/// A new single-column foreign key on a column that ADD COLUMN adds is
/// written as that column's REFERENCES clause.
fn fk_rides_on_added_column(want: &Table, changes: &[&Change], fk: &ForeignKey) -> bool {
    let [column] = fk.columns.as_slice() else { return false };
    changes.iter().any(|c| matches!(c, Change::AddColumn { column: added, .. } if same_name(&added.name, column)))
        && want.column(column).is_some_and(|c| {
            c.default.as_deref().is_none_or(|d| lexer::normalize_expr(d).is_ok_and(|n| n == "\"NULL\""))
        })
}

fn dropped_indexes<'a>(have: &'a Table, want: &'a Table, names: &'a Names) -> impl Iterator<Item = &'a Index> {
    have.indexes.iter().filter(move |i| {
        !want.indexes.iter().any(|w| same_name(&w.name, &i.name) && crate::diff::same_index(i, w, names))
    })
}

fn added_indexes<'a>(have: &'a Table, want: &'a Table, names: &'a Names) -> impl Iterator<Item = &'a Index> {
    want.indexes.iter().filter(move |w| {
        !have.indexes.iter().any(|i| same_name(&w.name, &i.name) && crate::diff::same_index(i, w, names))
    })
}

/// Views dropped before the table steps and created after: those that
/// change, and those that read (directly or through other views) a table
/// that is rebuilt or dropped.
fn views_to_redo(from: &Schema, to: &Schema, disturbed: &BTreeSet<String>, names: &Names) -> BTreeSet<String> {
    let mut redo: BTreeSet<String> = BTreeSet::new();
    for (key, view) in &from.views {
        let same = to.views.get(key).is_some_and(|w| {
            w == view
                || (crate::diff::canon(&w.sql, names) == crate::diff::canon(&view.sql, names)
                    && w.columns == view.columns)
        });
        if !same {
            redo.insert(key.clone());
        }
    }
    redo.extend(to.views.keys().filter(|k| !from.views.contains_key(*k)).cloned());
    loop {
        let before = redo.len();
        for (key, view) in &from.views {
            let reads_disturbed = disturbed.iter().any(|t| {
                lexer::mentions(&view.sql, &from.tables.get(t).map(|t| t.name.clone()).unwrap_or_else(|| t.clone()))
            });
            let reads_redone = redo.iter().any(|v| {
                v != key
                    && lexer::mentions(
                        &view.sql,
                        &from.views.get(v).or(to.views.get(v)).map(|v| v.name.clone()).unwrap_or_default(),
                    )
            });
            if reads_disturbed || reads_redone {
                redo.insert(key.clone());
            }
        }
        if redo.len() == before {
            return redo;
        }
    }
}

/// Triggers dropped first and created last: those that change, those on a
/// table that is rebuilt, dropped or held (DROP TABLE takes them; a held
/// table's would fire), and those whose body names a `disturbed` table or
/// a view that is redone.
fn triggers_to_redo(
    from: &Schema,
    to: &Schema,
    emptied: &BTreeSet<String>,
    disturbed: &BTreeSet<String>,
    views: &BTreeSet<String>,
    known: &Names,
) -> BTreeSet<String> {
    let name_of = |k: &String| from.tables.get(k).map(|t| t.name.clone()).unwrap_or_else(|| k.clone());
    let owners: Vec<String> = emptied.iter().map(name_of).collect();
    let mut names: Vec<String> = disturbed.iter().map(name_of).collect();
    names.extend(views.iter().filter_map(|k| from.views.get(k).map(|v| v.name.clone())));
    let mut redo = BTreeSet::new();
    for (key, trigger) in &from.triggers {
        let changed = to
            .triggers
            .get(key)
            .is_none_or(|w| crate::diff::canon(&w.sql, known) != crate::diff::canon(&trigger.sql, known));
        let touches = owners.iter().chain(&names).any(|n| same_name(&trigger.table, n))
            || names.iter().any(|n| lexer::mentions(&trigger.sql, n));
        if changed || touches {
            redo.insert(key.clone());
        }
    }
    redo.extend(to.triggers.keys().filter(|k| !from.triggers.contains_key(*k)).cloned());
    redo
}

/// Renames in an order where each target name is free when it runs.
/// Column renames that a rebuild of their table can do in its copy (the
/// old column feeds the new one), saving a RENAME COLUMN. Kept native where
/// another table's foreign key names the column: RENAME COLUMN rewrites
/// those references, a rebuild does not.
fn folded_renames(diff: &Diff, rebuilt: &BTreeSet<String>) -> Vec<(String, String, String)> {
    diff.renames
        .columns
        .iter()
        .filter(|(table, old, new)| {
            let referenced = diff.renamed.tables.values().any(|t| {
                !same_name(&t.name, table)
                    && t.foreign_keys
                        .iter()
                        .any(|f| same_name(&f.ref_table, table) && f.ref_columns.iter().any(|c| same_name(c, new)))
            });
            let rowid_name = is_rowid_name(old) || is_rowid_name(new);
            rebuilt.contains(&fold(table)) && (!referenced || rowid_name)
        })
        .cloned()
        .collect()
}

fn rename_steps(diff: &Diff, folded: &[(String, String, String)]) -> Vec<Step> {
    let mut steps: Vec<Step> = in_free_order(diff.renames.tables.clone())
        .into_iter()
        .map(|(from, to)| Step::RenameTable { from, to })
        .collect();
    let columns: Vec<&(String, String, String)> = diff.renames.columns.iter().filter(|r| !folded.contains(r)).collect();
    let mut tables: Vec<&String> = columns.iter().map(|(t, _, _)| t).collect();
    tables.dedup_by(|a, b| same_name(a, b));
    for table in tables {
        let mine = columns.iter().filter(|(t, _, _)| same_name(t, table)).map(|(_, o, n)| (o.clone(), n.clone()));
        for (from, to) in in_free_order(mine.collect()) {
            steps.push(Step::RenameColumn { table: table.clone(), from, to });
        }
    }
    steps
}

/// Renames in an order where each target name is free when it runs. SQLite
/// compares names without case, so a swap, a longer cycle or a change of
/// case alone (`Users` to `users`) first moves a name aside to a
/// temporary one.
fn in_free_order(mut pending: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while !pending.is_empty() {
        let taken = |to: &str, pending: &[(String, String)]| pending.iter().any(|(from, _)| same_name(from, to));
        match pending.iter().position(|(_, to)| !taken(to, &pending)) {
            Some(free) => out.push(pending.remove(free)),
            None => {
                let (from, to) = pending.remove(0);
                let aside = format!("_autogen_rename_{to}");
                out.push((from, aside.clone()));
                pending.push((aside, to));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{diff, ColumnChange};
    use crate::source::model::parse;

    fn schema(yaml: &str) -> Schema {
        parse(yaml, std::path::Path::new("m.yaml")).unwrap().schema
    }

    const BEFORE: &str =
        "tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}, {name: a, type: TEXT}]}]";

    /// A rebuild copies with `SELECT *` only where the columns line up and
    /// every rowid comes across whether or not SQLite transfers the rows,
    /// and adds after the copy only what ADD COLUMN can add.
    #[test]
    fn a_rebuild_copies_with_select_star_only_where_columns_line_up() {
        let sql = |before: &str, after: &str| {
            let to = schema(after);
            script(&plan(&diff(&schema(before), &to), &to, &Capabilities::SQLITE))
        };
        let table = |columns: &str| format!("tables: [{{name: t, columns: [{columns}]}}]");
        let (id, a) = ("{name: id, type: INTEGER, primary_key: true}", "{name: a, type: VARCHAR(5)}");
        let wider = "{name: a, type: TEXT}";
        let before = table(&format!("{id}, {a}"));
        let star = r#"INSERT OR ABORT INTO "_autogen_tmp_t" SELECT * FROM "t";"#;
        // Appended and addable: SELECT *, then ADD COLUMN.
        let up = sql(
            &before,
            &table(&format!("{id}, {wider}, {{name: b, type: TEXT, nullable: false, server_default: \"'x'\"}}")),
        );
        assert!(
            up.contains(star)
                && up.contains(r#"ALTER TABLE "_autogen_tmp_t" ADD COLUMN "b" TEXT NOT NULL DEFAULT 'x';"#),
            "{up}"
        );
        // A new column the model puts first still goes after the others: the
        // table keeps its order (model.md), and the copy stays `SELECT *`.
        let up = sql(&before, &table(&format!("{{name: b, type: TEXT}}, {id}, {wider}")));
        assert!(up.contains(star) && up.contains(r#"ALTER TABLE "_autogen_tmp_t" ADD COLUMN "b" TEXT;"#), "{up}");
        // A new column ADD COLUMN cannot add (no default for NOT NULL), a
        // table without INTEGER PRIMARY KEY, a generated column: the copy
        // names its columns.
        for after in [
            table(&format!("{id}, {wider}, {{name: b, type: TEXT, nullable: false}}")),
            table(&format!("{{name: id, type: INT, primary_key: true}}, {wider}")),
            table(&format!("{id}, {wider}, {{name: g, type: TEXT, generated: \"a || 'x'\"}}")),
        ] {
            let up = sql(&before, &after);
            assert!(up.contains("INSERT OR ABORT INTO") && !up.contains("SELECT *"), "{after}\n{up}");
        }
    }

    #[test]
    fn what_alter_can_do_stays_an_alter() {
        let to = schema(
            "tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}, {name: a, type: TEXT}, \
             {name: b, type: INT, nullable: false, server_default: 0}], indexes: [{name: ix_a, columns: [a]}]}]",
        );
        let p = plan(&diff(&schema(BEFORE), &to), &to, &Capabilities::SQLITE);
        assert_eq!(
            p.outline(),
            "AddColumn { table: \"t\", column: \"b\" }\nCreateIndex { table: \"t\", index: \"ix_a\" }\n"
        );
    }

    #[test]
    fn what_alter_cannot_do_is_one_rebuild_with_its_reasons() {
        let to = schema(
            "tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}, {name: a, type: INT}, \
             {name: b, type: TEXT, nullable: false}]}]",
        );
        let p = plan(&diff(&schema(BEFORE), &to), &to, &Capabilities::SQLITE);
        let [Step::Rebuild(r)] = p.steps.as_slice() else { panic!("{}", p.outline()) };
        assert_eq!(
            r.reasons,
            [
                Reason::CannotAdd { column: "b".into(), refusal: Refusal::NotNullWithoutDefault },
                Reason::Change(Change::ModifyColumn {
                    table: "t".into(),
                    column: "a".into(),
                    change: ColumnChange::Type { from: "TEXT".into(), to: "INT".into() }
                }),
            ]
        );
    }

    #[test]
    fn the_planner_asks_the_engine_before_dropping_a_column() {
        let to = schema("tables: [{name: t, columns: [{name: id, type: INTEGER, primary_key: true}]}]");
        let d = diff(&schema(BEFORE), &to);
        let native = plan(&d, &to, &Capabilities::SQLITE);
        assert_eq!(native.outline(), "DropColumn { table: \"t\", column: \"a\" }\n");
        let old = Capabilities { drop_column: false, ..Capabilities::SQLITE };
        let p = plan(&d, &to, &old);
        let [Step::Rebuild(r)] = p.steps.as_slice() else { panic!("{}", p.outline()) };
        assert_eq!(r.reasons, [Reason::CannotDrop { column: "a".into(), refusal: Refusal::NotSupported }]);
    }

    #[test]
    fn tables_are_created_parents_first_and_dropped_children_first() {
        let parent = "{name: p, columns: [{name: id, type: INTEGER, primary_key: true}]}";
        let child = "{name: c, columns: [{name: id, type: INTEGER, primary_key: true}, {name: p_id, type: INT, \
            references: p.id}]}";
        let both = schema(&format!("tables: [{child}, {parent}]"));
        let none = Schema::default();
        assert_eq!(
            plan(&diff(&none, &both), &both, &Capabilities::SQLITE).outline(),
            "CreateTable(\"p\")\nCreateTable(\"c\")\n"
        );
        assert_eq!(
            plan(&diff(&both, &none), &none, &Capabilities::SQLITE).outline(),
            "DropTable(\"c\")\nDropTable(\"p\")\n"
        );
    }
}
