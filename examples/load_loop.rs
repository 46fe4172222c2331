fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let s = autogen::parse_model(&text, std::path::Path::new(&path)).unwrap().schema;
        eprintln!("{:.1} ms {}", t.elapsed().as_secs_f64() * 1e3, s.tables.len());
    }
}
