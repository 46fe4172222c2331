//! `schemas/model.schema.json`, the JSON Schema editors use to complete and
//! validate model files, kept in step with what the loader accepts:
//! - each definition lists exactly the keys the loader reads for that kind;
//! - every model the loader accepts (the examples, the fixtures, `inspect`
//!   of every corpus schema) validates;
//! - an unknown or misspelt key, in any kind of object, is refused by both.

mod support;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join("schemas/model.schema.json")).unwrap();
    serde_json::from_str(&text).expect("model.schema.json is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&schema()).expect("model.schema.json is a valid draft-07 schema")
}

/// A YAML document as the JSON an editor validates, scalars resolved by
/// YAML 1.2's core schema (what yaml-language-server uses).
fn yaml_to_json(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Null;
    }
    serde_saphyr::from_str::<Value>(text).expect("YAML")
}

fn loader_accepts(text: &str) -> Result<(), String> {
    autogen::parse_model(text, Path::new("model.yaml")).map(|_| ()).map_err(|e| e.to_string())
}

fn schema_errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn each_definition_lists_exactly_the_keys_the_loader_reads() {
    let schema = schema();
    let definitions = schema["definitions"].as_object().expect("definitions");
    for (kind, keys) in autogen::MODEL_KEYS {
        let object = if *kind == "model" {
            &schema
        } else {
            definitions.get(*kind).unwrap_or_else(|| panic!("no definition `{kind}` in the schema"))
        };
        assert_eq!(object["type"], "object", "`{kind}`");
        assert_eq!(object["additionalProperties"], false, "`{kind}` must refuse unknown keys, as the loader does");
        let mut declared: Vec<&str> = object["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut read: Vec<&str> = keys.to_vec();
        declared.sort();
        read.sort();
        assert_eq!(declared, read, "keys of `{kind}`: the schema's, then the loader's");
        for key in &declared {
            assert!(
                object["properties"][*key]["description"].is_string(),
                "`{kind}.{key}` has no description for hover help"
            );
        }
    }
    let mut kinds: Vec<&str> = definitions.keys().map(String::as_str).collect();
    let mut known: Vec<&str> = autogen::MODEL_KEYS.iter().map(|(k, _)| *k).filter(|k| *k != "model").collect();
    kinds.sort();
    known.sort();
    assert_eq!(kinds, known, "definitions the loader has no kind for");
}

fn model_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("schemas"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .chain(std::fs::read_dir(root().join("fixtures")).unwrap().map(|e| e.unwrap().path().join("model.yaml")))
        .collect();
    files.sort();
    files
}

#[test]
fn every_model_the_loader_accepts_validates() {
    let validator = validator();
    let files = model_files();
    assert!(files.len() > 20, "only {} model files", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        autogen::parse_model(&text, &path).unwrap_or_else(|e| panic!("{e}"));
        let errors = schema_errors(&validator, &yaml_to_json(&text));
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
    // `inspect` of real schemas: every shape the reader meets in the wild.
    let mut checked = 0;
    for (name, sql) in support::corpus() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(&sql).unwrap();
        let text = autogen::model_yaml(&support::schema_of(&conn));
        let errors = schema_errors(&validator, &yaml_to_json(&text));
        assert!(errors.is_empty(), "inspect of {name}: {errors:#?}\n{text}");
        checked += 1;
    }
    assert!(checked > 250);
}

/// A model with one of every kind of object, and where each kind is in it.
fn every_kind() -> (Value, Vec<(&'static str, &'static str)>) {
    let model = json!({
        "version": 1,
        "tables": [
            {
                "name": "users",
                "columns": [
                    {"name": "id", "type": "Integer", "primary_key": true},
                    {"name": "email", "type": "String(255)", "nullable": false}
                ],
                "indexes": [{
                    "name": "ix_users_email",
                    "columns": [{"column": "email", "order": "desc", "collate": "NOCASE"}],
                    "unique": true
                }],
                "check_constraints": [{"name": "ck_email", "sql": "email LIKE '%@%'"}]
            },
            {
                "name": "memberships",
                "columns": [
                    {"name": "user_id", "type": "Integer"},
                    {"name": "team", "type": "Text"}
                ],
                "primary_key": {"name": "pk_memberships", "columns": ["user_id", "team"], "on_conflict": "replace"},
                "unique_constraints": [{"name": "uq_team", "columns": ["team", "user_id"]}],
                "foreign_keys": [{
                    "name": "fk_user",
                    "columns": ["user_id"],
                    "references": {"table": "users", "columns": ["id"]},
                    "on_delete": "cascade"
                }]
            }
        ],
        "views": [{"name": "emails", "columns": ["address"], "sql": "SELECT email FROM users"}],
        "triggers": [{"name": "no_op", "sql": "CREATE TRIGGER no_op AFTER INSERT ON users BEGIN SELECT 1; END"}]
    });
    let places = vec![
        ("model", ""),
        ("table", "/tables/0"),
        ("column", "/tables/0/columns/1"),
        ("index", "/tables/0/indexes/0"),
        ("index_column", "/tables/0/indexes/0/columns/0"),
        ("check", "/tables/0/check_constraints/0"),
        ("primary_key", "/tables/1/primary_key"),
        ("unique", "/tables/1/unique_constraints/0"),
        ("foreign_key", "/tables/1/foreign_keys/0"),
        ("foreign_key_target", "/tables/1/foreign_keys/0/references"),
        ("view", "/views/0"),
        ("trigger", "/triggers/0"),
    ];
    (model, places)
}

#[test]
fn an_unknown_or_misspelt_key_is_refused_by_both() {
    let validator = validator();
    let (model, places) = every_kind();
    // JSON is YAML (flow style), so the same text goes to both.
    loader_accepts(&model.to_string()).unwrap();
    assert_eq!(schema_errors(&validator, &model), Vec::<String>::new());
    let mut kinds: Vec<&str> = places.iter().map(|(k, _)| *k).collect();
    let mut all: Vec<&str> = autogen::MODEL_KEYS.iter().map(|(k, _)| *k).collect();
    kinds.sort();
    all.sort();
    assert_eq!(kinds, all, "every kind has a place in the test model");

    for (kind, pointer) in places {
        let mut unknown = model.clone();
        unknown.pointer_mut(pointer).unwrap().as_object_mut().unwrap().insert("bogus".into(), json!(true));
        let error = loader_accepts(&unknown.to_string()).expect_err(kind);
        assert!(error.contains("bogus"), "`{kind}`: {error}");
        assert!(!schema_errors(&validator, &unknown).is_empty(), "the schema takes `bogus` in `{kind}`");

        // The first key of the object, misspelt.
        let mut misspelt = model.clone();
        let object = misspelt.pointer_mut(pointer).unwrap().as_object_mut().unwrap();
        let (key, value) = object.iter().next().map(|(k, v)| (k.clone(), v.clone())).unwrap();
        object.remove(&key);
        object.insert(format!("{key}x"), value);
        assert!(loader_accepts(&misspelt.to_string()).is_err(), "the loader takes `{key}x` in `{kind}`");
        assert!(!schema_errors(&validator, &misspelt).is_empty(), "the schema takes `{key}x` in `{kind}`");
    }
}

#[test]
fn wrong_values_are_refused_by_both() {
    let validator = validator();
    let (model, _) = every_kind();
    let cases = [
        ("/tables/0/columns/1/nullable", json!("no")),
        ("/tables/1/foreign_keys/0/on_delete", json!("explode")),
        ("/tables/1/primary_key/on_conflict", json!("sometimes")),
        ("/tables/0/indexes/0/columns/0/order", json!("sideways")),
        ("/tables/0/columns", json!("id")),
    ];
    for (pointer, value) in cases {
        let mut bad = model.clone();
        *bad.pointer_mut(pointer).unwrap() = value.clone();
        assert!(loader_accepts(&bad.to_string()).is_err(), "the loader takes {pointer} = {value}");
        assert!(!schema_errors(&validator, &bad).is_empty(), "the schema takes {pointer} = {value}");
    }
}

#[test]
fn the_examples_point_editors_at_the_schema() {
    for name in ["todo.yaml", "blog.yaml"] {
        let text = std::fs::read_to_string(root().join("schemas").join(name)).unwrap();
        assert_eq!(text.lines().next(), Some("# yaml-language-server: $schema=model.schema.json"), "{name}");
    }
}

#[test]
fn init_writes_the_schema_beside_the_starter_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::autogen(dir.path()).arg("init").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = std::fs::read_to_string(dir.path().join("schemas/model.schema.json")).unwrap();
    assert_eq!(written, std::fs::read_to_string(root().join("schemas/model.schema.json")).unwrap());
}
