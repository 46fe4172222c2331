//! Times each phase of `autogen diff` on a model and a database:
//! `cargo run --release --example phases -- MODEL DB`.
//! With REHEARSE=1 it also times the parts of a revision's rehearsal.
use std::path::Path;
use std::time::Instant;

// The allocator of the `autogen` binary, so that the figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn lap(label: &str, t: &mut Instant, extra: impl std::fmt::Display) {
    println!("{label:<18}{:>8.1} ms {extra}", t.elapsed().as_secs_f64() * 1e3);
    *t = Instant::now();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (model_path, db_path) = (Path::new(&args[1]), Path::new(&args[2]));
    let mut t = Instant::now();
    let text = std::fs::read_to_string(model_path).unwrap();
    let loaded = autogen::parse_model(&text, model_path).unwrap();
    lap("load model", &mut t, "");
    if std::env::var("CHECK").is_ok() {
        autogen::check_model(&loaded, &autogen::Selection::everything()).unwrap();
        lap("check with sqlite", &mut t, "");
    }
    let model = loaded.schema;
    let conn = rusqlite::Connection::open(db_path).unwrap();
    let filter = Default::default();
    let db = autogen::introspect(&conn, &filter).unwrap();
    lap("introspect", &mut t, "");
    let d = autogen::diff(&db, &model);
    lap("diff", &mut t, format!("({} changes)", d.changes.len()));
    let caps = autogen::Capabilities::SQLITE;
    let up = autogen::script(&autogen::plan(&d, &model, &caps));
    lap("plan + render", &mut t, format!("({} bytes)", up.len()));
    if std::env::var("REHEARSE").is_err() {
        return;
    }
    let down_diff = autogen::reverse(&d, &db, &autogen::built(&d, &model));
    let down = autogen::script(&autogen::plan(&down_diff, &db, &caps));
    lap("downgrade sql", &mut t, "");
    let engine = autogen::Sqlite::scratch_of(&conn, autogen::ScratchCopy::Schema).unwrap();
    let scratch = engine.connection();
    lap("scratch copy", &mut t, "");
    let start = autogen::introspect(scratch, &filter).unwrap();
    lap("introspect start", &mut t, "");
    autogen::apply_script(scratch, &up, "up", "").unwrap();
    lap("apply upgrade", &mut t, "");
    let after = autogen::introspect(scratch, &filter).unwrap();
    lap("introspect after", &mut t, "");
    assert!(autogen::diff(&after, &model).is_empty());
    lap("diff after", &mut t, "");
    autogen::apply_script(scratch, &down, "down", "").unwrap();
    lap("apply downgrade", &mut t, "");
    let back = autogen::introspect(scratch, &filter).unwrap();
    lap("introspect back", &mut t, "");
    assert!(autogen::diff(&back, &start).is_empty());
    lap("diff back", &mut t, "");
}
