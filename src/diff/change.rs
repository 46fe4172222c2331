//! One difference between two schemas, as a value: the objects before and
//! after, never rendered text. Reports, JSON and the planner's comments are
//! views of it.

use std::fmt;

use crate::schema::ddl;
use crate::schema::*;

/// One difference, in the kinds Alembic's autogenerate names (cli.md).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    AddTable(Table),
    RemoveTable(Table),
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    RemoveColumn {
        table: String,
        column: Column,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// A column kept under its name whose definition changes in one respect.
    ModifyColumn {
        table: String,
        column: String,
        change: ColumnChange,
    },
    AddIndex {
        table: String,
        index: Index,
    },
    RemoveIndex {
        table: String,
        index: Index,
    },
    AddConstraint {
        table: String,
        constraint: Constraint,
    },
    RemoveConstraint {
        table: String,
        constraint: Constraint,
    },
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    RemoveForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    ModifyTable {
        table: String,
        change: TableChange,
    },
    AddView(View),
    RemoveView(View),
    AddTrigger(Trigger),
    RemoveTrigger(Trigger),
}

/// What changes in a column, before and after.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnChange {
    /// Declared types, normalized; empty for none.
    Type {
        from: String,
        to: String,
    },
    Nullable {
        from: bool,
        to: bool,
    },
    Default {
        from: Option<String>,
        to: Option<String>,
    },
    Collation {
        from: Option<String>,
        to: Option<String>,
    },
    Generated {
        from: Option<Generated>,
        to: Option<Generated>,
    },
    /// The conflict clause of the column's NOT NULL.
    OnConflict {
        from: Option<Conflict>,
        to: Option<Conflict>,
    },
}

/// A table-level constraint other than the primary key and foreign keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    Unique(UniqueConstraint),
    Check(CheckConstraint),
    /// A CHECK written on a column.
    ColumnCheck {
        column: String,
        check: CheckConstraint,
    },
}

/// What changes in a table as a whole.
#[derive(Debug, Clone, PartialEq)]
pub enum TableChange {
    Strict { from: bool, to: bool },
    WithoutRowid { from: bool, to: bool },
    PrimaryKey { from: Option<PrimaryKey>, to: Option<PrimaryKey> },
    Autoincrement { from: bool, to: bool },
}

impl Change {
    /// The table (or view, or trigger's table) a change belongs to, for grouping.
    pub fn subject(&self) -> &str {
        use Change::*;
        match self {
            AddTable(t) | RemoveTable(t) => &t.name,
            RenameTable { to, .. } => to,
            AddColumn { table, .. }
            | RemoveColumn { table, .. }
            | RenameColumn { table, .. }
            | ModifyColumn { table, .. } => table,
            AddIndex { table, .. }
            | RemoveIndex { table, .. }
            | AddConstraint { table, .. }
            | RemoveConstraint { table, .. } => table,
            AddForeignKey { table, .. } | RemoveForeignKey { table, .. } | ModifyTable { table, .. } => table,
            AddView(v) | RemoveView(v) => &v.name,
            AddTrigger(t) | RemoveTrigger(t) => &t.table,
        }
    }

    /// Whether the change destroys data that exists only in the database.
    pub fn loses_data(&self) -> bool {
        matches!(self, Change::RemoveTable(_) | Change::RemoveColumn { .. })
    }

    /// Whether the change adds something (`+` in reports), removes
    /// something (`-`), or neither.
    pub fn sign(&self) -> Option<bool> {
        use Change::*;
        match self {
            AddTable(_)
            | AddColumn { .. }
            | AddIndex { .. }
            | AddConstraint { .. }
            | AddForeignKey { .. }
            | AddView(_)
            | AddTrigger(_) => Some(true),
            RemoveTable(_)
            | RemoveColumn { .. }
            | RemoveIndex { .. }
            | RemoveConstraint { .. }
            | RemoveForeignKey { .. }
            | RemoveView(_)
            | RemoveTrigger(_) => Some(false),
            _ => None,
        }
    }
}

impl Constraint {
    /// The constraint as it stands in CREATE TABLE.
    pub fn definition(&self) -> String {
        match self {
            Constraint::Unique(u) => ddl::unique_definition(u),
            Constraint::Check(c) | Constraint::ColumnCheck { check: c, .. } => ddl::check_definition(c),
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Constraint::Unique(u) => u.name.as_deref(),
            Constraint::Check(c) | Constraint::ColumnCheck { check: c, .. } => c.name.as_deref(),
        }
    }

    /// What it is on: `table`, or `table.column` for a column's CHECK.
    pub fn on(&self, table: &str) -> String {
        match self {
            Constraint::ColumnCheck { column, .. } => format!("{table}.{column}"),
            _ => table.to_string(),
        }
    }

    /// `unique` or `check`, as Alembic's ops name the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Constraint::Unique(_) => "unique",
            Constraint::Check(_) | Constraint::ColumnCheck { .. } => "check",
        }
    }
}

/// A change in words, for `diff` and for the comment over a rebuild.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::AddTable(t) => write!(f, "add table `{}`", t.name),
            Change::RemoveTable(t) => write!(f, "drop table `{}`", t.name),
            Change::RenameTable { from, to } => write!(f, "rename table `{from}` to `{to}`"),
            Change::AddColumn { table, column: c } => {
                write!(
                    f,
                    "add column `{table}.{}` {}{}",
                    c.name,
                    type_or_none(&c.ty),
                    if c.nullable { "" } else { " NOT NULL" }
                )?;
                match &c.default {
                    Some(d) => write!(f, " DEFAULT {d}"),
                    None => Ok(()),
                }
            }
            Change::RemoveColumn { table, column } => write!(f, "drop column `{table}.{}`", column.name),
            Change::RenameColumn { table, from, to } => write!(f, "rename column `{table}.{from}` to `{to}`"),
            Change::ModifyColumn { table, column, change } => column_change(f, &format!("`{table}.{column}`"), change),
            Change::AddIndex { table, index } => {
                write!(f, "add index `{}` on `{table}` {}", index.name, ddl::index_definition(index))
            }
            Change::RemoveIndex { table, index } => write!(f, "drop index `{}` on `{table}`", index.name),
            Change::AddConstraint { table, constraint } => {
                write!(f, "add to `{}`: {}", constraint.on(table), constraint.definition())
            }
            Change::RemoveConstraint { table, constraint } => {
                write!(f, "remove from `{}`: {}", constraint.on(table), constraint.definition())
            }
            Change::AddForeignKey { table, foreign_key } => {
                write!(f, "add to `{table}`: {}", ddl::fk_definition(foreign_key))
            }
            Change::RemoveForeignKey { table, foreign_key } => {
                write!(f, "remove from `{table}`: {}", ddl::fk_definition(foreign_key))
            }
            Change::ModifyTable { table, change } => {
                let (property, from, to) = change.parts();
                write!(f, "{} of `{table}` changes from {from} to {to}", property.replace('_', " "))
            }
            Change::AddView(v) => write!(f, "add view `{}`", v.name),
            Change::RemoveView(v) => write!(f, "drop view `{}`", v.name),
            Change::AddTrigger(t) => write!(f, "add trigger `{}` on `{}`", t.name, t.table),
            Change::RemoveTrigger(t) => write!(f, "drop trigger `{}` on `{}`", t.name, t.table),
        }
    }
}

fn column_change(f: &mut fmt::Formatter<'_>, column: &str, change: &ColumnChange) -> fmt::Result {
    let (_, from, to) = change.parts();
    match change {
        ColumnChange::Type { .. } => write!(f, "type of {column} changes from {from} to {to}"),
        ColumnChange::Nullable { to, .. } => {
            write!(f, "{column} becomes {}", if *to { "nullable" } else { "NOT NULL" })
        }
        ColumnChange::Default { .. } => write!(f, "default of {column} changes from {from} to {to}"),
        ColumnChange::Collation { .. } => write!(f, "collation of {column} changes from {from} to {to}"),
        ColumnChange::Generated { .. } => write!(f, "generated expression of {column} changes from {from} to {to}"),
        ColumnChange::OnConflict { .. } => {
            write!(f, "NOT NULL conflict clause of {column} changes from {from} to {to}")
        }
    }
}

fn type_or_none(ty: &str) -> &str {
    if ty.is_empty() {
        "(no type)"
    } else {
        ty
    }
}

fn or_none(value: Option<&str>) -> String {
    value.unwrap_or("none").to_string()
}

impl ColumnChange {
    /// The op name (Alembic's where it has one), and the two sides as text.
    pub fn parts(&self) -> (&'static str, String, String) {
        let generated = |g: &Option<Generated>| {
            g.as_ref().map(|g| format!("{} {}", g.expr, if g.stored { "STORED" } else { "VIRTUAL" }))
        };
        let conflict = |c: &Option<Conflict>| c.map(|c| c.as_sql().to_string());
        match self {
            ColumnChange::Type { from, to } => {
                ("modify_type", type_or_none(from).to_string(), type_or_none(to).to_string())
            }
            ColumnChange::Nullable { from, to } => ("modify_nullable", from.to_string(), to.to_string()),
            ColumnChange::Default { from, to } => ("modify_default", or_none(from.as_deref()), or_none(to.as_deref())),
            ColumnChange::Collation { from, to } => {
                ("modify_collation", or_none(from.as_deref()), or_none(to.as_deref()))
            }
            ColumnChange::Generated { from, to } => {
                ("modify_generated", or_none(generated(from).as_deref()), or_none(generated(to).as_deref()))
            }
            ColumnChange::OnConflict { from, to } => {
                ("modify_on_conflict", or_none(conflict(from).as_deref()), or_none(conflict(to).as_deref()))
            }
        }
    }
}

impl TableChange {
    /// The property's name and the two sides as text.
    pub fn parts(&self) -> (&'static str, String, String) {
        match self {
            TableChange::Strict { from, to } => ("strict", from.to_string(), to.to_string()),
            TableChange::WithoutRowid { from, to } => ("without_rowid", from.to_string(), to.to_string()),
            TableChange::PrimaryKey { from, to } => {
                ("primary_key", describe_pk(from.as_ref()), describe_pk(to.as_ref()))
            }
            TableChange::Autoincrement { from, to } => ("autoincrement", from.to_string(), to.to_string()),
        }
    }
}

fn describe_pk(pk: Option<&PrimaryKey>) -> String {
    match pk {
        None => "none".to_string(),
        Some(pk) => {
            let mut s = format!("({})", pk.columns.join(", "));
            if pk.desc {
                s.push_str(" DESC");
            }
            if let Some(c) = pk.on_conflict {
                s.push_str(" ON CONFLICT ");
                s.push_str(c.as_sql());
            }
            s
        }
    }
}
