//! The figures on databases we did not design (issue 26): each shape made
//! by another tool (SQLAlchemy's `create_all`, Django's schema editor, the
//! corpus's real schemas copied many times), empty and with rows, with
//! foreign keys and without, and a model that changes every table four
//! ways. Per shape, side by side in one run: `diff` against `sqlite3
//! .schema`, `check` against `diff`, the rehearsed `revision
//! --autogenerate` against Alembic's (where Alembic can run: the SQLAlchemy
//! shapes), and `upgrade head` of that revision against the floor of any
//! rebuild. Then a 10,000-table point, time and peak memory.
//!
//! The generators are the Python scripts in `benches/shapes/`, run with
//! the virtualenv `target/bench-venv` (`python3 -m venv target/bench-venv
//! && target/bench-venv/bin/pip install -r benches/shapes/requirements.txt`;
//! BENCH_PYTHON names another Python). What they make is kept under
//! `target/bench-cache/`, so a second run starts at once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{autogen, have_sqlite3, stats, time};

struct Shape {
    name: &'static str,
    script: &'static str,
    args: &'static [&'static str],
    /// Alembic can run on it (the models are SQLAlchemy's).
    alembic: bool,
}

const SHAPES: &[Shape] = &[
    Shape {
        name: "SQLAlchemy, 1000 tables, FKs, empty",
        script: "sqlalchemy_app.py",
        args: &["--tables", "1000", "--changed", "1000", "--rows", "0"],
        alembic: true,
    },
    Shape {
        name: "SQLAlchemy, 1000 tables, FKs, 10 rows each",
        script: "sqlalchemy_app.py",
        args: &["--tables", "1000", "--changed", "1000", "--rows", "10"],
        alembic: true,
    },
    Shape {
        name: "SQLAlchemy, 1000 tables, no FKs, 10 rows each",
        script: "sqlalchemy_app.py",
        args: &["--tables", "1000", "--changed", "1000", "--rows", "10", "--fk-free"],
        alembic: true,
    },
    Shape {
        name: "Django, 1000 models, FKs, empty",
        script: "django_app.py",
        args: &["--tables", "1000", "--changed", "1000", "--rows", "0"],
        alembic: false,
    },
    Shape {
        name: "Django, 1000 models, FKs, 10 rows each",
        script: "django_app.py",
        args: &["--tables", "1000", "--changed", "1000", "--rows", "10"],
        alembic: false,
    },
    Shape {
        name: "corpus (Chinook + Northwind) x 42, 1008 tables, rows",
        script: "corpus_scaled.py",
        args: &["--copies", "42", "--rows"],
        alembic: false,
    },
];

/// One shape's figures, for the summary: the median of the ratios of runs
/// taken in turn (A, B, A, B: the machine's drift cancels, as in the
/// issue's own measurement), else of medians.
struct Figures {
    name: &'static str,
    diff_per_schema: f64,
    check_per_diff: f64,
    revision: f64,
    alembic: Option<f64>,
    /// `diff` with the SQLAlchemy models themselves as the model
    /// (`schema: sqlalchemy:...`, the dumper's start-up included).
    program_diff: Option<f64>,
    /// `upgrade head` of the revision / the rebuild floor, paired.
    upgrade_per_floor: f64,
}

/// The median of `a[i] / b[i]`.
pub fn paired(a: &[Duration], b: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a.as_secs_f64() / b.as_secs_f64()).collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

pub fn bench_shapes(dir: &Path, runs: usize) {
    let Some(python) = python() else {
        println!(
            "shapes: skipped: no Python with SQLAlchemy, Alembic and Django (python3 -m venv target/bench-venv && \
             target/bench-venv/bin/pip install -r benches/shapes/requirements.txt, or BENCH_PYTHON)"
        );
        return;
    };
    if !have_sqlite3() {
        println!("shapes: skipped: no sqlite3 on PATH to measure against");
        return;
    }
    let mut all = Vec::new();
    for shape in SHAPES {
        println!("shape: {}", shape.name);
        let made = made_by(&python, shape.script, shape.args);
        all.push(measure(dir, &python, shape, &made, runs));
    }
    println!("\nsummary (medians; every goal on every shape):");
    println!(
        "  {:<52} {:>12} {:>12} {:>16} {:>14} {:>18}",
        "shape", "diff/.schema", "check/diff", "rev./Alembic", "upgrade/floor", "ORM diff/Alembic"
    );
    for f in &all {
        let alembic = f.alembic.map_or("-".to_string(), |a| format!("{:.3}", f.revision / a));
        let program = f.program_diff.zip(f.alembic).map_or("-".to_string(), |(p, a)| format!("{:.3}", p / a));
        println!(
            "  {:<52} {:>12.2} {:>12.2} {:>16} {:>14.2} {:>18}",
            f.name, f.diff_per_schema, f.check_per_diff, alembic, f.upgrade_per_floor, program
        );
    }
    println!(
        "  goals: diff/.schema <= 3, check/diff <= 2, revision/Alembic <= 0.25, upgrade/floor <= 2, diff with the \
         SQLAlchemy models as the model / Alembic's revision <= 0.5"
    );
    ten_thousand(dir, &python);
}

/// The Python of `target/bench-venv`, or BENCH_PYTHON.
fn python() -> Option<PathBuf> {
    let python = std::env::var_os("BENCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-venv/bin/python"));
    let ok = Command::new(&python)
        .args(["-c", "import sqlalchemy, alembic, django"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(python)
}

/// The folder a generator wrote (`app.db`, `model.sql`, for SQLAlchemy
/// `alembic/`), made once and kept under `target/bench-cache/`.
fn made_by(python: &Path, script: &str, args: &[&str]) -> PathBuf {
    let key = format!("{}_{}", script.trim_end_matches(".py"), args.join("_").replace("--", ""));
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-cache").join(key);
    if out.join("model.sql").is_file() && out.join("app.db").is_file() {
        return out;
    }
    let _ = std::fs::remove_dir_all(&out);
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/shapes").join(script);
    let made = Command::new(python).arg(&generator).args(args).arg(&out).output().expect("run the generator");
    assert!(made.status.success(), "{script}: {}", String::from_utf8_lossy(&made.stderr));
    out
}

fn measure(dir: &Path, python: &Path, shape: &Shape, made: &Path, runs: usize) -> Figures {
    let work = dir.join("shape");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let template = work.join("template.db");
    std::fs::copy(made.join("app.db"), &template).unwrap();
    let db = work.join("app.db");
    std::fs::copy(&template, &db).unwrap();
    let model = yaml_model(&work, &made.join("model.sql"));
    let with = |c: &mut Command| {
        c.arg("--schema").arg(&model).arg("--database").arg(&db);
    };

    // diff, beside sqlite3's own reading of the schema, and check beside
    // diff, each pair in turn.
    // Thirty pairs at least: a run takes some 50 ms, and on two cores a
    // burst of other work moves a few runs by a third; the median of thirty
    // pairs stays put where that of ten did not.
    let (mut ours, mut schema, mut checks) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..=(runs * 2).max(30) {
        let mut c = autogen();
        with(&mut c);
        let a = time(c.arg("diff"));
        let mut s = Command::new("sqlite3");
        let b = time(s.arg(&db).arg(".schema"));
        let mut c = autogen();
        with(&mut c);
        let k = time(c.arg("--versions").arg(work.join("none")).arg("check"));
        if i > 0 {
            ours.push(a);
            schema.push(b);
            checks.push(k);
        }
    }
    let diff_per_schema = paired(&ours, &schema);
    let check_per_diff = paired(&checks, &ours);
    stats("autogen diff (4 changes a table)", ours);
    stats("sqlite3 DB .schema", schema);
    stats("autogen check (plans and lints the revision)", checks);
    println!("  paired medians: diff / .schema {diff_per_schema:.2}, check / diff {check_per_diff:.2}");
    let sql_model = (0..3.min(runs))
        .map(|_| {
            let mut c = autogen();
            c.arg("--schema").arg(made.join("model.sql")).arg("--database").arg(&db);
            time(c.arg("diff"))
        })
        .collect();
    stats("autogen diff, the ORM's own DDL as the model (.sql)", sql_model);

    let versions = |i: usize| work.join(format!("versions{i}"));
    let revision = (0..3)
        .map(|i| {
            let mut c = autogen();
            with(&mut c);
            time(c.arg("--versions").arg(versions(i)).args(["revision", "--autogenerate", "-m", "four"]))
        })
        .collect();
    let revision = stats("autogen revision --autogenerate (rehearsed)", revision);
    let alembic = shape.alembic.then(|| {
        let alembic = python.with_file_name("alembic");
        let ini = made.join("alembic/alembic.ini");
        let times: Vec<Duration> = (0..4)
            .map(|_| {
                for f in std::fs::read_dir(made.join("alembic/versions")).unwrap().flatten() {
                    let _ = std::fs::remove_file(f.path());
                }
                // Alembic's database is the generator's, its version table its own.
                std::fs::copy(&template, made.join("app.db")).unwrap();
                let mut c = Command::new(&alembic);
                time(c.current_dir(&work).arg("-c").arg(&ini).args(["revision", "--autogenerate", "-m", "four"]))
            })
            .skip(1)
            .collect();
        std::fs::copy(&template, made.join("app.db")).unwrap();
        stats("Alembic revision --autogenerate", times)
    });
    // The app's models as the model: the dumper runs in the app's Python
    // (here the bench venv, through VIRTUAL_ENV), every time.
    let program_diff = shape.alembic.then(|| {
        let venv = python.parent().and_then(Path::parent).unwrap().to_path_buf();
        let program = |verbose: bool| {
            let mut c = autogen();
            c.current_dir(made.join("alembic")).env("VIRTUAL_ENV", &venv);
            if verbose {
                c.arg("-v");
            }
            c.args(["--schema", "sqlalchemy:models:metadata", "--database"]).arg(&db).arg("diff");
            c
        };
        let out = program(true).output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        if let Some(note) = said.lines().find(|l| l.contains("model program")) {
            println!("  ({note})");
        }
        stats("autogen diff, the SQLAlchemy models as the model", (0..5).map(|_| time(program(false))).collect())
    });
    if let (Some(program), Some(alembic)) = (program_diff, alembic) {
        println!(
            "  autogen diff (sqlalchemy: model) / Alembic revision --autogenerate: {:.3} (goal <= 0.5)",
            program / alembic
        );
    }

    // `upgrade head` beside the floor, in turn (each takes a second or
    // so, and five pairs keep one slow run from moving the ratio).
    let upgraded = work.join("upgrade.db");
    let upgrade = || {
        std::fs::copy(&template, &upgraded).unwrap();
        let mut c = autogen();
        c.arg("--schema").arg(&model).arg("--database").arg(&upgraded).arg("--versions").arg(versions(0));
        time(c.args(["upgrade", "head"]))
    };
    let mut upgrades = vec![upgrade()];
    let floor = floor_script(&work, &template, &upgraded);
    let mut floors = vec![floor()];
    for _ in 0..4 {
        upgrades.push(upgrade());
        floors.push(floor());
    }
    let upgrade_per_floor = paired(&upgrades, &floors);
    stats("autogen upgrade head", upgrades);
    stats("floor: sqlite3 builds the target in a fresh file", floors);
    println!("  paired median: upgrade / floor {upgrade_per_floor:.2}");
    Figures { name: shape.name, diff_per_schema, check_per_diff, revision, alembic, program_diff, upgrade_per_floor }
}

/// The model as YAML: `model.sql` built in a database and read back by
/// `autogen inspect` (the same schema; `.sql` models are built by SQLite
/// statement by statement, which the `.sql` line of the figures shows).
fn yaml_model(work: &Path, model_sql: &Path) -> PathBuf {
    let after = work.join("after.db");
    let conn = rusqlite::Connection::open(&after).unwrap();
    conn.execute_batch(&format!("BEGIN; {} COMMIT;", std::fs::read_to_string(model_sql).unwrap())).unwrap();
    drop(conn);
    let out = autogen().arg("--database").arg(&after).arg("inspect").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let model = work.join("model.yaml");
    std::fs::write(&model, out.stdout).unwrap();
    model
}

/// The floor of any rebuild: `sqlite3` creating the upgraded schema in a
/// fresh file and copying every row once (the columns both sides have).
/// The script is written from `upgraded`; each call of what is returned
/// runs it once.
fn floor_script(work: &Path, template: &Path, upgraded: &Path) -> impl Fn() -> Duration {
    let conn = rusqlite::Connection::open(upgraded).unwrap();
    let old = rusqlite::Connection::open(template).unwrap();
    let columns = |conn: &rusqlite::Connection, table: &str| -> Vec<String> {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)").unwrap();
        stmt.query_map([table], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let mut stmt = conn
        .prepare(
            "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'autogen%' AND name NOT \
             LIKE 'sqlite%' ORDER BY rowid",
        )
        .unwrap();
    let rows: Vec<(String, String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let mut floor = format!("ATTACH '{}' AS old;\nBEGIN;\n", template.display());
    for (_, _, sql) in rows.iter().filter(|(kind, _, _)| kind == "table") {
        floor.push_str(&format!("{sql};\n"));
    }
    for (_, name, _) in rows.iter().filter(|(kind, _, _)| kind == "table") {
        let before = columns(&old, name);
        let kept: Vec<String> = columns(&conn, name)
            .into_iter()
            .filter(|c| before.iter().any(|b| b.eq_ignore_ascii_case(c)))
            .map(|c| format!("\"{c}\""))
            .collect();
        if !kept.is_empty() {
            let kept = kept.join(", ");
            floor.push_str(&format!("INSERT INTO main.\"{name}\" ({kept}) SELECT {kept} FROM old.\"{name}\";\n"));
        }
    }
    for (_, _, sql) in rows.iter().filter(|(kind, _, _)| kind != "table") {
        floor.push_str(&format!("{sql};\n"));
    }
    floor.push_str("COMMIT;\n");
    let script = work.join("floor.sql");
    std::fs::write(&script, floor).unwrap();
    let fresh = work.join("floor.db");
    move || {
        let _ = std::fs::remove_file(&fresh);
        let mut s = Command::new("sh");
        time(s.arg("-c").arg(format!("sqlite3 -bail '{}' < '{}'", fresh.display(), script.display())))
    }
}

/// How `diff`, `check` and the rehearsed `revision --autogenerate` grow
/// from 1,000 to 10,000 tables (SQLAlchemy's shape, a tenth of the tables
/// changed four ways, no rows): time and peak memory.
fn ten_thousand(dir: &Path, python: &Path) {
    println!("\ngrowth: SQLAlchemy's shape, a tenth of the tables changed four ways, no rows (time, peak memory)");
    for tables in [1000usize, 10_000] {
        let n = tables.to_string();
        let changed = (tables / 10).to_string();
        let made = made_by(python, "sqlalchemy_app.py", &["--tables", &n, "--changed", &changed, "--rows", "0"]);
        let work = dir.join(format!("growth{tables}"));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let db = work.join("app.db");
        std::fs::copy(made.join("app.db"), &db).unwrap();
        let model = yaml_model(&work, &made.join("model.sql"));
        for (label, args) in [
            ("diff", vec!["diff"]),
            ("check", vec!["--versions", "none", "check"]),
            ("revision --autogenerate", vec!["--versions", "v", "revision", "--autogenerate", "-m", "x"]),
        ] {
            let mut c = Command::new("/usr/bin/time");
            c.current_dir(&work).args(["-f", "%e %M", "-o", "mem.txt"]);
            c.arg(env!("CARGO_BIN_EXE_autogen")).arg("--schema").arg(&model).arg("--database").arg(&db).args(&args);
            let wall = time(c);
            let peak = std::fs::read_to_string(work.join("mem.txt"))
                .ok()
                .and_then(|t| t.lines().last()?.split_whitespace().nth(1)?.parse::<f64>().ok())
                .map_or("?".to_string(), |kb| format!("{:.0} MB", kb / 1024.0));
            println!("  {tables:>6} tables  {label:<26} {:>9.1} ms   peak {peak}", wall.as_secs_f64() * 1e3);
        }
        // SQLite's own DDL grows faster than the schema (each CREATE scans
        // `sqlite_schema`): what building the model's schema costs sqlite3.
        let fresh = work.join("fresh.db");
        let script = work.join("model_in_one.sql");
        let text = std::fs::read_to_string(made.join("model.sql")).unwrap();
        std::fs::write(&script, format!("BEGIN;\n{text}\nCOMMIT;\n")).unwrap();
        let mut s = Command::new("sh");
        let wall = time(s.arg("-c").arg(format!("sqlite3 '{}' < '{}'", fresh.display(), script.display())));
        println!("  {tables:>6} tables  {:<26} {:>9.1} ms", "sqlite3 builds the model", wall.as_secs_f64() * 1e3);
    }
}
