//! The shapes of the file, read from YAML nodes. Every mapping refuses keys
//! it does not know, so that `nulable: true` is an error rather than
//! silently ignored.
use super::*;

type Read<T> = Result<T, ((u32, u32), String)>;

#[derive(Debug, Default)]
pub struct ModelFile {
    pub version: Option<Spanned<u32>>,
    pub tables: Vec<Spanned<Table>>,
    pub views: Vec<Spanned<View>>,
    pub triggers: Vec<Spanned<Trigger>>,
}

#[derive(Debug)]
pub struct Table {
    pub name: Spanned<String>,
    pub renamed_from: Option<Spanned<String>>,
    pub columns: Vec<Spanned<Column>>,
    pub indexes: Vec<Spanned<Index>>,
    pub unique_constraints: Vec<Spanned<Unique>>,
    pub foreign_keys: Vec<Spanned<ForeignKey>>,
    pub check_constraints: Vec<Spanned<Check>>,
    pub primary_key: Option<Spanned<PrimaryKeyDecl>>,
    pub strict: bool,
    pub without_rowid: bool,
}

#[derive(Debug)]
pub struct Column {
    pub name: Spanned<String>,
    pub ty: Spanned<String>,
    pub nullable: Option<bool>,
    pub primary_key: bool,
    pub autoincrement: bool,
    pub unique: bool,
    pub index: bool,
    pub server_default: Option<Spanned<SqlLiteral>>,
    pub collate: Option<String>,
    pub references: Option<Spanned<String>>,
    pub on_delete: Option<Spanned<String>>,
    pub on_update: Option<Spanned<String>>,
    pub deferrable: bool,
    pub generated: Option<Spanned<String>>,
    pub stored: Option<bool>,
    pub renamed_from: Option<Spanned<String>>,
    pub on_conflict: Option<Spanned<String>>,
    /// `asc` or `desc`, on a single-column primary key.
    pub order: Option<Spanned<String>>,
    /// Column-level CHECKs: SQL text, `{name, sql}`, or a list of either.
    pub check: Vec<Spanned<Check>>,
}

#[derive(Debug)]
pub struct Index {
    pub name: Option<Spanned<String>>,
    pub columns: Vec<Spanned<IndexColumn>>,
    pub unique: bool,
    pub r#where: Option<Spanned<String>>,
}

#[derive(Debug)]
pub enum IndexColumn {
    Name(String),
    Full(IndexColumnFull),
}

pub enum Key {
    Column(String),
    Expression(String),
}

#[derive(Debug)]
pub struct IndexColumnFull {
    pub column: Option<String>,
    pub expression: Option<String>,
    pub order: Option<String>,
    pub collate: Option<String>,
}

#[derive(Debug)]
pub struct Unique {
    pub name: Option<String>,
    pub columns: Vec<Spanned<IndexColumn>>,
    pub on_conflict: Option<Spanned<String>>,
}

#[derive(Debug)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub references: Spanned<FkTarget>,
    pub on_delete: Option<Spanned<String>>,
    pub on_update: Option<Spanned<String>>,
    pub deferrable: bool,
}

#[derive(Debug)]
pub struct FkTarget {
    pub table: String,
    pub columns: Vec<String>,
}

#[derive(Debug)]
pub struct Check {
    pub name: Option<String>,
    pub sql: Spanned<String>,
}

#[derive(Debug)]
pub enum PrimaryKeyDecl {
    Columns(Vec<String>),
    Full(PrimaryKeyFull),
}

#[derive(Debug)]
pub struct PrimaryKeyFull {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub on_conflict: Option<Spanned<String>>,
}

#[derive(Debug)]
pub struct View {
    pub name: Spanned<String>,
    pub columns: Vec<String>,
    pub sql: Spanned<String>,
}

#[derive(Debug)]
pub struct Trigger {
    pub name: Spanned<String>,
    pub sql: Spanned<String>,
}

/// `server_default` text: a string verbatim, and YAML numbers and
/// booleans as SQL literals (true is 1), as the spec says.
#[derive(Debug, Clone)]
pub struct SqlLiteral(pub String);

/// The keys of one mapping, taken one by one; whatever is left is an
/// unknown key.
// The keys each kind of object accepts. `OBJECT_KEYS` names them as
// `schemas/model.schema.json` names its definitions, and a test keeps
// the two in step.
const MODEL: &[&str] = &["version", "tables", "views", "triggers"];
const TABLE: &[&str] = &[
    "name",
    "renamed_from",
    "columns",
    "indexes",
    "unique_constraints",
    "foreign_keys",
    "check_constraints",
    "primary_key",
    "strict",
    "without_rowid",
];
const COLUMN: &[&str] = &[
    "name",
    "type",
    "nullable",
    "primary_key",
    "autoincrement",
    "unique",
    "index",
    "server_default",
    "collate",
    "references",
    "on_delete",
    "on_update",
    "deferrable",
    "generated",
    "stored",
    "renamed_from",
    "on_conflict",
    "order",
    "check",
];
const INDEX: &[&str] = &["name", "columns", "unique", "where"];
const INDEX_COLUMN: &[&str] = &["column", "expression", "order", "collate"];
const UNIQUE: &[&str] = &["name", "columns", "on_conflict"];
const FOREIGN_KEY: &[&str] = &["name", "columns", "references", "on_delete", "on_update", "deferrable"];
const FOREIGN_KEY_TARGET: &[&str] = &["table", "columns"];
const CHECK: &[&str] = &["name", "sql"];
const PRIMARY_KEY: &[&str] = &["name", "columns", "on_conflict"];
const VIEW: &[&str] = &["name", "columns", "sql"];
const TRIGGER: &[&str] = &["name", "sql"];

pub const OBJECT_KEYS: &[(&str, &[&str])] = &[
    ("model", MODEL),
    ("table", TABLE),
    ("column", COLUMN),
    ("index", INDEX),
    ("index_column", INDEX_COLUMN),
    ("unique", UNIQUE),
    ("foreign_key", FOREIGN_KEY),
    ("foreign_key_target", FOREIGN_KEY_TARGET),
    ("check", CHECK),
    ("primary_key", PRIMARY_KEY),
    ("view", VIEW),
    ("trigger", TRIGGER),
];

struct Fields<'a> {
    node: &'a Node<'a>,
    pairs: &'a [(Node<'a>, Node<'a>)],
    used: Vec<bool>,
    known: &'static [&'static str],
}

impl<'a> Fields<'a> {
    fn of(node: &'a Node<'a>, known: &'static [&'static str]) -> Read<Self> {
        match &node.value {
            Value::Map(pairs) => Ok(Fields { node, pairs, used: vec![false; pairs.len()], known }),
            _ => Err((node.at(), format!("expected a mapping with keys {}, found {}", list(known), node.kind()))),
        }
    }

    fn get(&mut self, key: &str) -> Option<&'a Node<'a>> {
        let i = self.pairs.iter().position(|(k, _)| matches!(&k.value, Value::Scalar(t, _) if t == key))?;
        self.used[i] = true;
        Some(&self.pairs[i].1).filter(|v| v.value != Value::Null)
    }

    fn required(&mut self, key: &str) -> Read<&'a Node<'a>> {
        let at = self.node.at();
        self.get(key).ok_or_else(|| (at, format!("missing field `{key}`")))
    }

    fn string(&mut self, key: &str) -> Read<Option<Spanned<String>>> {
        self.get(key).map(string).transpose()
    }

    fn text(&mut self, key: &str) -> Read<Option<String>> {
        Ok(self.string(key)?.map(|s| s.value))
    }

    fn flag(&mut self, key: &str) -> Read<bool> {
        Ok(self.get(key).map(boolean).transpose()?.unwrap_or(false))
    }

    fn names(&mut self, key: &str) -> Read<Vec<String>> {
        self.get(key).map(names).transpose().map(Option::unwrap_or_default)
    }

    fn each<T>(&mut self, key: &str, read: impl Fn(&Node) -> Read<T>) -> Read<Vec<Spanned<T>>> {
        let Some(node) = self.get(key) else { return Ok(Vec::new()) };
        let Value::Seq(items) = &node.value else {
            return Err((node.at(), format!("`{key}` should be a list, found {}", node.kind())));
        };
        // Sized from the list: collected through a `Result`, the vector
        // would grow by doubling, each step a copy of entries of hundreds
        // of bytes.
        let mut read_items = Vec::with_capacity(items.len());
        for n in items {
            read_items.push(Spanned::new(read(n)?, n.at()));
        }
        Ok(read_items)
    }

    fn finish(self) -> Read<()> {
        match self.pairs.iter().zip(&self.used).find(|(_, used)| !**used) {
            None => Ok(()),
            Some(((key, _), _)) => {
                let name = match &key.value {
                    Value::Scalar(t, _) => t.to_string(),
                    _ => key.kind().to_string(),
                };
                // `{type: NUMERIC(10, 2)}`: a comma ends a flow value, and
                // the rest reads as a key.
                if name.contains(')') || name.starts_with(|c: char| c.is_ascii_digit() || c == ' ') {
                    return Err((
                        key.at(),
                        format!(
                            "`{name}` reads as a key because a comma in a `{{...}}` mapping ends the value before \
                             it: quote that value (for example `type: \"NUMERIC(10, 2)\"`)"
                        ),
                    ));
                }
                Err((key.at(), format!("unknown field `{name}`, expected one of {}", list(self.known))))
            }
        }
    }
}

fn list(known: &[&str]) -> String {
    known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
}

fn string(node: &Node) -> Read<Spanned<String>> {
    match &node.value {
        Value::Scalar(text, _) => Ok(Spanned::new(text.to_string(), node.at())),
        _ => Err((node.at(), format!("expected a string, found {}", node.kind()))),
    }
}

/// YAML 1.2's booleans (core schema).
fn boolean(node: &Node) -> Read<bool> {
    match &node.value {
        Value::Scalar(t, true) if matches!(t.as_ref(), "true" | "True" | "TRUE") => Ok(true),
        Value::Scalar(t, true) if matches!(t.as_ref(), "false" | "False" | "FALSE") => Ok(false),
        _ => Err((node.at(), format!("expected true or false, found {}", describe(node)))),
    }
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Scalar(t, _) => format!("`{t}`"),
        _ => node.kind().to_string(),
    }
}

fn names(node: &Node) -> Read<Vec<String>> {
    match &node.value {
        Value::Seq(items) => items.iter().map(|n| string(n).map(|s| s.value)).collect(),
        _ => Err((node.at(), format!("expected a list of names, found {}", node.kind()))),
    }
}

fn sql_literal(node: &Node) -> Read<SqlLiteral> {
    match &node.value {
        Value::Scalar(t, true) if matches!(t.as_ref(), "true" | "True" | "TRUE") => Ok(SqlLiteral("1".into())),
        Value::Scalar(t, true) if matches!(t.as_ref(), "false" | "False" | "FALSE") => Ok(SqlLiteral("0".into())),
        Value::Scalar(t, _) => Ok(SqlLiteral(t.to_string())),
        _ => Err((node.at(), format!("expected an SQL expression, a number or a boolean, found {}", node.kind()))),
    }
}

impl ModelFile {
    pub fn read(node: &Node) -> Read<ModelFile> {
        let mut f = Fields::of(node, MODEL)?;
        let version = match f.get("version") {
            Some(n) => {
                let s = string(n)?;
                let v = s.value.parse().map_err(|_| (n.at(), format!("`version: {}` should be a number", s.value)))?;
                Some(Spanned::new(v, n.at()))
            }
            None => None,
        };
        let file = ModelFile {
            version,
            tables: f.each("tables", Table::read)?,
            views: f.each("views", View::read)?,
            triggers: f.each("triggers", Trigger::read)?,
        };
        f.finish()?;
        Ok(file)
    }
}

impl Table {
    fn read(node: &Node) -> Read<Table> {
        let mut f = Fields::of(node, TABLE)?;
        let table = Table {
            name: string(f.required("name")?)?,
            renamed_from: f.string("renamed_from")?,
            columns: f.each("columns", Column::read)?,
            indexes: f.each("indexes", Index::read)?,
            unique_constraints: f.each("unique_constraints", Unique::read)?,
            foreign_keys: f.each("foreign_keys", ForeignKey::read)?,
            check_constraints: f.each("check_constraints", Check::read)?,
            primary_key: f
                .get("primary_key")
                .map(|n| Ok(Spanned::new(PrimaryKeyDecl::read(n)?, n.at())))
                .transpose()?,
            strict: f.flag("strict")?,
            without_rowid: f.flag("without_rowid")?,
        };
        f.finish()?;
        Ok(table)
    }
}

impl Column {
    fn read(node: &Node) -> Read<Column> {
        let mut f = Fields::of(node, COLUMN)?;
        let name = string(f.required("name")?)?;
        // `type: ""` is a column without a type; `type:` alone (null) too.
        let ty = match f.get("type") {
            Some(n) => string(n)?,
            None => {
                let present = f.pairs.iter().any(|(k, _)| matches!(&k.value, Value::Scalar(t, _) if t == "type"));
                if !present {
                    return Err((node.at(), "missing field `type`".into()));
                }
                Spanned::new(String::new(), node.at())
            }
        };
        let column = Column {
            name,
            ty,
            nullable: f.get("nullable").map(boolean).transpose()?,
            primary_key: f.flag("primary_key")?,
            autoincrement: f.flag("autoincrement")?,
            unique: f.flag("unique")?,
            index: f.flag("index")?,
            server_default: f.get("server_default").map(|n| Ok(Spanned::new(sql_literal(n)?, n.at()))).transpose()?,
            collate: f.text("collate")?,
            references: f.string("references")?,
            on_delete: f.string("on_delete")?,
            on_update: f.string("on_update")?,
            deferrable: f.flag("deferrable")?,
            generated: f.string("generated")?,
            stored: f.get("stored").map(boolean).transpose()?,
            renamed_from: f.string("renamed_from")?,
            on_conflict: f.string("on_conflict")?,
            order: f.string("order")?,
            check: match f.get("check") {
                None => Vec::new(),
                Some(Node { value: Value::Seq(items), .. }) => {
                    items.iter().map(|i| Ok(Spanned::new(Check::read_short(i)?, i.at()))).collect::<Read<_>>()?
                }
                Some(n) => vec![Spanned::new(Check::read_short(n)?, n.at())],
            },
        };
        f.finish()?;
        Ok(column)
    }
}

impl Index {
    fn read(node: &Node) -> Read<Index> {
        let mut f = Fields::of(node, INDEX)?;
        let index = Index {
            name: f.string("name")?,
            columns: f.each("columns", IndexColumn::read)?,
            unique: f.flag("unique")?,
            r#where: f.string("where")?,
        };
        f.finish()?;
        Ok(index)
    }
}

impl IndexColumn {
    fn read(node: &Node) -> Read<IndexColumn> {
        if let Value::Scalar(name, _) = &node.value {
            return Ok(IndexColumn::Name(name.to_string()));
        }
        let mut f = Fields::of(node, INDEX_COLUMN)?;
        let full = IndexColumnFull {
            column: f.text("column")?,
            expression: f.text("expression")?,
            order: f.text("order")?,
            collate: f.text("collate")?,
        };
        f.finish()?;
        Ok(IndexColumn::Full(full))
    }
}

impl Unique {
    fn read(node: &Node) -> Read<Unique> {
        let mut f = Fields::of(node, UNIQUE)?;
        let u = Unique {
            name: f.text("name")?,
            columns: f.each("columns", IndexColumn::read)?,
            on_conflict: f.string("on_conflict")?,
        };
        if u.columns.is_empty() && f.get("columns").is_none() {
            return Err((node.at(), "missing field `columns`".into()));
        }
        f.finish()?;
        Ok(u)
    }
}

impl ForeignKey {
    fn read(node: &Node) -> Read<ForeignKey> {
        let mut f = Fields::of(node, FOREIGN_KEY)?;
        let target = f.required("references")?;
        let mut t = Fields::of(target, FOREIGN_KEY_TARGET)?;
        let references = Spanned::new(
            FkTarget { table: string(t.required("table")?)?.value, columns: t.names("columns")? },
            target.at(),
        );
        t.finish()?;
        let fk = ForeignKey {
            name: f.text("name")?,
            columns: names(f.required("columns")?)?,
            references,
            on_delete: f.string("on_delete")?,
            on_update: f.string("on_update")?,
            deferrable: f.flag("deferrable")?,
        };
        f.finish()?;
        Ok(fk)
    }
}

impl Check {
    /// A column's `check`: the SQL text alone, or `{name, sql}`.
    fn read_short(node: &Node) -> Read<Check> {
        match &node.value {
            Value::Scalar(..) => Ok(Check { name: None, sql: string(node)? }),
            _ => Check::read(node),
        }
    }

    fn read(node: &Node) -> Read<Check> {
        let mut f = Fields::of(node, CHECK)?;
        let c = Check { name: f.text("name")?, sql: string(f.required("sql")?)? };
        f.finish()?;
        Ok(c)
    }
}

impl PrimaryKeyDecl {
    fn read(node: &Node) -> Read<PrimaryKeyDecl> {
        if let Value::Seq(_) = node.value {
            return names(node).map(PrimaryKeyDecl::Columns);
        }
        let mut f = Fields::of(node, PRIMARY_KEY)?;
        let pk = PrimaryKeyFull {
            name: f.text("name")?,
            columns: names(f.required("columns")?)?,
            on_conflict: f.string("on_conflict")?,
        };
        f.finish()?;
        Ok(PrimaryKeyDecl::Full(pk))
    }
}

impl View {
    fn read(node: &Node) -> Read<View> {
        let mut f = Fields::of(node, VIEW)?;
        let v =
            View { name: string(f.required("name")?)?, columns: f.names("columns")?, sql: string(f.required("sql")?)? };
        f.finish()?;
        Ok(v)
    }
}

impl Trigger {
    fn read(node: &Node) -> Read<Trigger> {
        let mut f = Fields::of(node, TRIGGER)?;
        let t = Trigger { name: string(f.required("name")?)?, sql: string(f.required("sql")?)? };
        f.finish()?;
        Ok(t)
    }
}
