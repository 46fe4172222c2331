fn main() {
    let path = std::env::args().nth(1).unwrap();
    let conn = autogen::engine::open::open_read(std::path::Path::new(&path), std::time::Duration::from_secs(1)).unwrap();
    for _ in 0..10 {
        let t = std::time::Instant::now();
        let s = autogen::source::introspect::introspect(&conn, &Default::default()).unwrap();
        eprintln!("{:.1} ms {}", t.elapsed().as_secs_f64() * 1e3, s.tables.len());
    }
}
