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
    let v = autogen::source::model::yaml::parse(&text).unwrap();
    lap("yaml tree", &mut t, v.is_some());
    let (model, map) = autogen::source::model::parse(&text, model_path).unwrap();
    lap("load model", &mut t, "");
    if std::env::var("CHECK").is_ok() {
        autogen::verify::model_check::check_with_sqlite(&model, &map, &autogen::verify::model_check::Selection::everything()).unwrap();
        lap("check with sqlite", &mut t, "");
    }
    let conn = autogen::engine::open::open_read(db_path, std::time::Duration::from_secs(1)).unwrap();
    let filter = Default::default();
    let db = autogen::source::introspect::introspect(&conn, &filter).unwrap();
    lap("introspect", &mut t, "");
    let d = autogen::diff::diff(&db, &model);
    lap("diff", &mut t, format!("({} changes)", d.changes.len()));
    let up = autogen::migrate::revision::upgrade_sql(&d, &model);
    lap("plan + render", &mut t, format!("({} bytes)", up.len()));
    if std::env::var("REHEARSE").is_err() {
        return;
    }
    let down_diff = autogen::migrate::revision::downgrade_diff(&d, &db, &model);
    let down = autogen::migrate::revision::upgrade_sql(&down_diff, &db);
    lap("downgrade sql", &mut t, "");
    let scratch = autogen::verify::rehearse::scratch_copy(Some(&conn), autogen::verify::rehearse::Copy::Schema).unwrap();
    lap("scratch copy", &mut t, "");
    let start = autogen::source::introspect::introspect(&scratch, &filter).unwrap();
    lap("introspect start", &mut t, "");
    autogen::migrate::run::apply_sql(&scratch, &up, "up", "").unwrap();
    lap("apply upgrade", &mut t, "");
    let after = autogen::source::introspect::introspect(&scratch, &filter).unwrap();
    lap("introspect after", &mut t, "");
    assert!(autogen::diff::diff(&after, &model).is_empty());
    lap("diff after", &mut t, "");
    autogen::migrate::run::apply_sql(&scratch, &down, "down", "").unwrap();
    lap("apply downgrade", &mut t, "");
    let back = autogen::source::introspect::introspect(&scratch, &filter).unwrap();
    lap("introspect back", &mut t, "");
    assert!(autogen::diff::diff(&back, &start).is_empty());
    lap("diff back", &mut t, "");
}
