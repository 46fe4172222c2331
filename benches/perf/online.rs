//! `upgrade --online` beside plain `upgrade` (issue 28), on tables of about
//! 200 MB and 2 GB (1M and 10M rows of about 200 bytes, three indexes),
//! with an app writing throughout: its own connection (busy timeout 5 s,
//! foreign keys on) inserting, updating and deleting a few hundred times a
//! second. Printed for each: the app's longest wait for one statement, the
//! total time, the WAL's largest size, and autogen's peak memory.
//! BENCH_ONLINE_ROWS=1000000,10000000 (the default) chooses the sizes.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MODEL: &str = "tables:
  - name: events
    columns:
      - {name: id, type: Integer, primary_key: true}
      - {name: account, type: Integer, nullable: false, index: true}
      - {name: kind, type: Text, nullable: false, index: true}
      - {name: created, type: Integer, nullable: false, index: true}
      - {name: amount, type: Text}
      - {name: payload, type: Text}
";

/// One run's figures.
struct Run {
    total: Duration,
    longest_wait: Duration,
    writes: u64,
    /// The app's statements that failed (busy past its timeout).
    failed: u64,
    wal_peak: u64,
    memory_peak_kb: u64,
}

pub fn bench_online(dir: &Path) {
    let sizes: Vec<u64> = std::env::var("BENCH_ONLINE_ROWS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000_000, 10_000_000]);
    println!(
        "upgrade --online beside upgrade: a rebuild of `events` (`amount` TEXT to REAL), an app writing throughout"
    );
    for rows in sizes {
        let project = dir.join(format!("online_{rows}"));
        let template = make_project(&project, rows);
        let size = std::fs::metadata(&template).unwrap().len();
        println!("  {rows} rows, {} MB:", size >> 20);
        let plain = run(&project, &template, &["upgrade"]);
        let online = run(&project, &template, &["upgrade", "--online"]);
        let line = |label: &str, r: &Run| {
            println!(
                "    {label:22} total {:>8.1} s   app's longest wait {:>7.1} ms ({} writes, {} failed)   WAL peak {:>6} \
                 MB   peak memory {:>4} MB",
                r.total.as_secs_f64(),
                r.longest_wait.as_secs_f64() * 1e3,
                r.writes,
                r.failed,
                r.wal_peak >> 20,
                r.memory_peak_kb >> 10
            )
        };
        line("upgrade", &plain);
        line("upgrade --online", &online);
        println!(
            "    online / plain: total {:.2} (goal <= 3), app's longest wait {:.1} ms (goal <= 100), failed writes {} \
             (goal 0), WAL peak {} MB (goal <= 64)",
            online.total.as_secs_f64() / plain.total.as_secs_f64(),
            online.longest_wait.as_secs_f64() * 1e3,
            online.failed,
            online.wal_peak >> 20
        );
        let _ = std::fs::remove_dir_all(&project);
    }
}

/// The project (first revision applied, rows in, WAL mode, the rebuild
/// planned) and a copy of its database to start each run from.
fn make_project(project: &Path, rows: u64) -> std::path::PathBuf {
    std::fs::create_dir_all(project).unwrap();
    std::fs::write(project.join("model.yaml"), MODEL).unwrap();
    std::fs::write(project.join("autogen.yaml"), "database: app.db\nschema: model.yaml\nversions: versions\n").unwrap();
    let autogen = |args: &[&str]| {
        let out = super::autogen().current_dir(project).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    autogen(&["revision", "--autogenerate", "-m", "events"]);
    autogen(&["upgrade"]);
    let conn = rusqlite::Connection::open(project.join("app.db")).unwrap();
    // About 200 bytes a row: a payload of 150 characters and the rest.
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
         INSERT INTO events SELECT i, i % 5000, 'kind' || (i % 20), 1700000000 + i, (i % 1000) || '.5',
             printf('%.150c', char(97 + i % 26)) FROM n;"
    ))
    .unwrap();
    drop(conn);
    std::fs::write(
        project.join("model.yaml"),
        MODEL.replace("{name: amount, type: Text}", "{name: amount, type: Real}"),
    )
    .unwrap();
    autogen(&["revision", "--autogenerate", "-m", "amount as real"]);
    let template = project.join("template.db");
    std::fs::rename(project.join("app.db"), &template).unwrap();
    template
}

/// `autogen ARGS` on a fresh copy of the template with the app writing.
fn run(project: &Path, template: &Path, args: &[&str]) -> Run {
    let db = project.join("app.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::copy(template, &db).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let app = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || app(&db, &stop))
    };
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let mut child =
        super::autogen().current_dir(project).args(args).stderr(std::process::Stdio::null()).spawn().unwrap();
    let wal = format!("{}-wal", db.display());
    let status = format!("/proc/{}/status", child.id());
    let (mut wal_peak, mut memory_peak_kb) = (0, 0);
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success(), "autogen {args:?} failed");
            break;
        }
        wal_peak = wal_peak.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        if let Ok(text) = std::fs::read_to_string(&status) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            memory_peak_kb = memory_peak_kb.max(hwm.unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let total = started.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let (longest_wait, writes, failed) = app.join().unwrap();
    Run { total, longest_wait, writes, failed, wal_peak, memory_peak_kb }
}

/// The app: an insert, an update and a delete in turn, every 2 ms; the
/// longest any one waited, how many it wrote, and how many failed (a
/// write that waits past the busy timeout fails with "database is
/// locked", as under a plain upgrade of a big table).
fn app(db: &Path, stop: &AtomicBool) -> (Duration, u64, u64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL").unwrap();
    let max: i64 = conn.query_row("SELECT max(id) FROM events", [], |r| r.get(0)).unwrap();
    let (mut longest, mut writes, mut failed) = (Duration::ZERO, 0u64, 0u64);
    let mut i: i64 = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let target = (i * 7919) % max + 1;
        let sql = match i % 3 {
            0 => format!(
                "INSERT INTO events (account, kind, created, amount, payload) VALUES ({}, 'app', {}, '1.5', 'x')",
                i % 5000,
                1800000000 + i
            ),
            1 => format!("UPDATE events SET amount = '{}.25' WHERE id = {target}", i % 100),
            _ => format!("DELETE FROM events WHERE id = {target}"),
        };
        let started = Instant::now();
        match conn.execute_batch(&sql) {
            Ok(()) => writes += 1,
            Err(_) => failed += 1,
        }
        longest = longest.max(started.elapsed());
        std::thread::sleep(Duration::from_millis(2));
    }
    (longest, writes, failed)
}
