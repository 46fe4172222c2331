//! `autogen init`: the config, the versions folder and a starter model.

use std::path::Path;

use super::error::{Error, Result};
use super::{config, write_error, write_new_file, Io, Outcome};

/// The starter model `init` writes: the todo app of the Alembic guide.
pub const STARTER_MODEL: &str = include_str!("../../schemas/todo.yaml");

/// The JSON Schema for model files, which `init` writes beside the starter
/// model: its first line points editors (yaml-language-server) at it.
pub const MODEL_SCHEMA: &str = include_str!("../../schemas/model.schema.json");

/// `autogen init`: `autogen.yaml`, the versions folder and, if there is
/// none, a starter model. Refuses to overwrite anything.
pub fn init(cwd: &Path, io: &mut Io) -> Result<Outcome> {
    let config = cwd.join(config::FILE_NAME);
    if config.exists() {
        return Err(Error::Usage(format!("`{}` exists already; init writes nothing over it", config.display())));
    }
    let versions = cwd.join(config::DEFAULT_VERSIONS);
    let model = cwd.join("schemas/todo.yaml");
    std::fs::create_dir_all(&versions).map_err(|e| Error::io("create the versions folder", &versions, e))?;
    writeln!(io.out, "Creating directory {} ... done", versions.display()).map_err(write_error)?;
    if model.exists() {
        writeln!(io.out, "Keeping the existing model {}", model.display()).map_err(write_error)?;
    } else {
        std::fs::create_dir_all(cwd.join("schemas"))
            .map_err(|e| Error::io("create the schemas folder", cwd.join("schemas"), e))?;
        write_new_file(&model, STARTER_MODEL).map_err(|e| Error::io("write the starter model", &model, e))?;
        writeln!(io.out, "Generating {} ... done", model.display()).map_err(write_error)?;
    }
    let json_schema = cwd.join("schemas/model.schema.json");
    if !json_schema.exists() {
        write_new_file(&json_schema, MODEL_SCHEMA)
            .map_err(|e| Error::io("write the model's JSON Schema", &json_schema, e))?;
        writeln!(io.out, "Generating {} ... done", json_schema.display()).map_err(write_error)?;
    }
    let text = format!(
        "# autogen configuration: see `autogen --help`.\ndatabase: sqlite:///./database.db   # AUTOGEN_DATABASE_URL, \
            then DATABASE_URL, override it\nschema: schemas/todo.yaml\nversions: {}\nversion_table: {}\n# exclude: \
                [\"legacy_*\"]            # tables autogen never touches\n# busy_timeout: 5                   # \
                    seconds to wait for a locked database\n",
        config::DEFAULT_VERSIONS,
        config::DEFAULT_VERSION_TABLE
    );
    write_new_file(&config, &text).map_err(|e| Error::io("write", &config, e))?;
    writeln!(io.out, "Generating {} ... done", config.display()).map_err(write_error)?;
    writeln!(io.out, "Next: autogen revision --autogenerate -m initial, then autogen upgrade head")
        .map_err(write_error)?;
    Ok(Outcome::Done)
}
