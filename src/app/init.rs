//! `autogen init`: the config, the versions folder and a model.

use std::path::{Path, PathBuf};

use super::error::{Error, Result};
use super::{config, write_error, write_new_file, Io, Outcome};
use crate::engine::sqlite::{Access, Sqlite};
use crate::engine::Engine;
use crate::schema::Schema;

/// The starter model `init` writes: the todo app of the Alembic guide.
pub const STARTER_MODEL: &str = include_str!("../../schemas/todo.yaml");

/// The JSON Schema for model files, which `init` writes beside the model:
/// its first line points editors (yaml-language-server) at it.
pub const MODEL_SCHEMA: &str = include_str!("../../schemas/model.schema.json");

/// Where `init` puts things; `None` takes the default.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The project folder (`autogen init DIR`, as `alembic init`).
    pub dir: PathBuf,
    pub database: Option<String>,
    pub schema: Option<PathBuf>,
    pub versions: Option<PathBuf>,
    pub version_table: Option<String>,
}

const DEFAULT_DATABASE: &str = "sqlite:///./database.db";

/// `autogen init`: `autogen.yaml`, the versions folder and, if there is
/// none, a model: the database's own schema when the database exists with
/// tables (so that the first revision does not drop them), else the starter
/// model. Refuses to overwrite anything.
pub fn init(opts: &InitOptions, io: &mut Io) -> Result<Outcome> {
    let dir = &opts.dir;
    let config_path = dir.join(config::FILE_NAME);
    if config_path.exists() {
        return Err(Error::Refused(format!("`{}` exists already; init writes nothing over it", config_path.display())));
    }
    let database = opts.database.clone().unwrap_or_else(|| DEFAULT_DATABASE.to_string());
    let named = config::parse_named(&database, dir).map_err(Error::Usage)?;
    let (existing, shown) = match &named {
        config::Named::File(path) => (existing_schema(path)?, format!("database `{}`", path.display())),
        // A D1 database is read when wrangler's config is already there.
        config::Named::D1(name) => {
            let d1 = config::d1_defaults(name.clone(), dir);
            let existing = match d1.config {
                Some(_) => schema_as_model(super::d1_engine(&d1)?.as_mut())?,
                None => None,
            };
            (existing, format!("D1 database `{name}`"))
        }
    };
    let default_model = if existing.is_some() { "schemas/model.yaml" } else { "schemas/todo.yaml" };
    let schema = opts.schema.clone().unwrap_or_else(|| PathBuf::from(default_model));
    let versions = opts.versions.clone().unwrap_or_else(|| PathBuf::from(config::DEFAULT_VERSIONS));
    let version_table = opts.version_table.clone().unwrap_or_else(|| config::DEFAULT_VERSION_TABLE.to_string());

    let versions_dir = dir.join(&versions);
    std::fs::create_dir_all(&versions_dir).map_err(|e| Error::io("create the versions folder", &versions_dir, e))?;
    note(io, &format!("Creating directory {} ... done", versions_dir.display()))?;
    // A model program (`sqlalchemy:app.models:Base`) is the app's own
    // models: nothing to write, every command runs it.
    let program = schema.to_str().and_then(crate::engine::model_program::parse_spelled);
    if let Some(Err(message)) = &program {
        return Err(Error::Usage(message.clone()));
    }
    let model = dir.join(&schema);
    if program.is_some() {
        note(io, &format!("Using the model program {} (run by every command that reads the model)", schema.display()))?;
    } else if model.exists() {
        note(io, &format!("Keeping the existing model {}", model.display()))?;
    } else {
        let folder = model.parent().unwrap_or(dir);
        std::fs::create_dir_all(folder).map_err(|e| Error::io("create the model's folder", folder, e))?;
        let (text, from) = match &existing {
            Some((schema, tables)) => (
                model_text(schema, &model),
                format!(" from {shown} ({})", crate::words::count(*tables as i64, "table")),
            ),
            None if super::is_sql_model(&model) => {
                let starter = crate::source::model::parse_excluding(STARTER_MODEL, Path::new("todo.yaml"), &[])
                    .map_err(|e| Error::Internal(format!("the starter model: {e}")))?;
                (model_text(&starter.schema, &model), String::new())
            }
            None => (STARTER_MODEL.to_string(), String::new()),
        };
        write_new_file(&model, &text).map_err(|e| Error::io("write the model", &model, e))?;
        note(io, &format!("Generating {}{from} ... done", model.display()))?;
        let json_schema = folder.join("model.schema.json");
        if !json_schema.exists() && !super::is_sql_model(&model) {
            write_new_file(&json_schema, MODEL_SCHEMA)
                .map_err(|e| Error::io("write the model's JSON Schema", &json_schema, e))?;
            note(io, &format!("Generating {} ... done", json_schema.display()))?;
        }
    }
    let text = format!(
        "# autogen configuration: see `autogen --help`.\n\
         database: {database}   # --database or AUTOGEN_DATABASE_URL override it\n\
         schema: {}\nversions: {}\nversion_table: {version_table}\n\
         # exclude: [\"legacy_*\"]            # tables autogen never touches\n\
         # busy_timeout: 5                   # seconds to wait for a locked database\n{}",
        schema.display(),
        versions.display(),
        match named {
            config::Named::D1(_) => "# d1:                               # how to reach D1 (README, \"Cloudflare D1\")\n\
                                     #   wrangler: npx wrangler          # default: node_modules/.bin/wrangler, wrangler, npx\n\
                                     #   config: wrangler.toml           # default: wrangler.toml/.json/.jsonc here\n\
                                     #   remote: false                   # true: the real database\n",
            config::Named::File(_) => "",
        }
    );
    write_new_file(&config_path, &text).map_err(|e| Error::io("write", &config_path, e))?;
    note(io, &format!("Generating {} ... done", config_path.display()))?;
    let next = match existing {
        Some(_) if program.is_some() => "Next: autogen check shows what the models change in the database; then \
                                          autogen revision --autogenerate -m MESSAGE, then autogen upgrade head"
            .to_string(),
        Some(_) => format!(
            "Next: the model is the database as it is, so `autogen check` finds no changes. Edit {}, then \
             autogen revision --autogenerate -m MESSAGE, then autogen upgrade head",
            schema.display()
        ),
        None => "Next: autogen revision --autogenerate -m initial, then autogen upgrade head".to_string(),
    };
    note(io, &next)?;
    Ok(Outcome::Done)
}

fn note(io: &mut Io, line: &str) -> Result<()> {
    writeln!(io.out, "{line}").map_err(write_error)
}

/// The database's schema as a model file and its number of tables, when
/// the database exists and has tables.
fn existing_schema(path: &Path) -> Result<Option<(Schema, usize)>> {
    if !path.is_file() {
        return Ok(None);
    }
    let mut db = Sqlite::open(path, Access::Read, config::DEFAULT_BUSY_TIMEOUT, None)?;
    schema_as_model(&mut db)
}

/// `db`'s schema as a model file and its number of tables, when it has tables.
fn schema_as_model(db: &mut dyn Engine) -> Result<Option<(Schema, usize)>> {
    let filter = crate::source::introspect::Filter {
        ignore: crate::engine::version::own_tables(config::DEFAULT_VERSION_TABLE),
        exclude: Vec::new(),
    };
    let schema = db.introspect(&filter)?;
    if schema.tables.is_empty() {
        return Ok(None);
    }
    let tables = schema.tables.len();
    Ok(Some((schema, tables)))
}

/// A model file's text for `schema`: YAML, or CREATE statements for a
/// `.sql` model (cli.md, "the model").
fn model_text(schema: &Schema, path: &Path) -> String {
    if super::is_sql_model(path) {
        let statements = crate::schema::ddl::schema_ddl(schema);
        statements.iter().map(|s| format!("{s};\n")).collect::<Vec<_>>().join("\n")
    } else {
        with_modeline(&crate::source::model::write::model_yaml(schema))
    }
}

/// The model text with the editor modeline the starter model has.
fn with_modeline(yaml: &str) -> String {
    let modeline = STARTER_MODEL.lines().next().filter(|l| l.starts_with("# yaml-language-server")).unwrap_or("");
    if modeline.is_empty() {
        yaml.to_string()
    } else {
        format!("{modeline}\n{yaml}")
    }
}
