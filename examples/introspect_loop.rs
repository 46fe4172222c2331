fn main() {
    let path = std::env::args().nth(1).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    for _ in 0..10 {
        let t = std::time::Instant::now();
        let s = autogen::introspect(&conn, &Default::default()).unwrap();
        eprintln!("{:.1} ms {}", t.elapsed().as_secs_f64() * 1e3, s.tables.len());
    }
}
