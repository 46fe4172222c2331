//! Times each phase of `autogen diff` on a model and a database:
//! `cargo run --release --example phases -- MODEL DB`.
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (model_path, db_path) = (Path::new(&args[1]), Path::new(&args[2]));
    let t = Instant::now();
    let text = std::fs::read_to_string(model_path).unwrap();
    let v = autogen::yaml::parse(&text).unwrap();
    println!("yaml tree         {:>8.1} ms {}", t.elapsed().as_secs_f64() * 1e3, v.is_some());
    let t = Instant::now();
    let (model, map) = autogen::model::parse(&text, model_path).unwrap();
    println!("load model        {:>8.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    if std::env::var("CHECK").is_ok() {
        autogen::model::check_with_sqlite(&model, &map, &autogen::model::Selection::everything()).unwrap();
    }
    println!("check with sqlite {:>8.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    let conn = autogen::db::open_read(db_path, std::time::Duration::from_secs(1)).unwrap();
    let db = autogen::introspect::introspect(&conn, &Default::default()).unwrap();
    println!("introspect        {:>8.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    let d = autogen::diff::diff(&db, &model);
    println!("diff              {:>8.1} ms ({} changes)", t.elapsed().as_secs_f64() * 1e3, d.changes.len());
    let t = Instant::now();
    let sql = autogen::revisions::upgrade_sql(&d, &model);
    println!("plan + render     {:>8.1} ms ({} bytes)", t.elapsed().as_secs_f64() * 1e3, sql.len());
}
