use std::time::Instant;
fn main() {
    let text = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    for (label, budget) in [("default budget", true), ("no budget", false)] {
        let mut o = serde_saphyr::Options::default();
        if !budget {
            o.budget = None;
        }
        o.with_snippet = false;
        let t = Instant::now();
        let v: serde_json::Value = serde_saphyr::from_str_with_options(&text, o).unwrap();
        println!("{label:16} {:>8.1} ms {}", t.elapsed().as_secs_f64() * 1e3, v.is_object());
    }
    let t = Instant::now();
    let _: serde::de::IgnoredAny = serde_saphyr::from_str(&text).unwrap();
    println!("ignored any     {:>8.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    let n = events(&text);
    println!("granit events   {:>8.1} ms {n}", t.elapsed().as_secs_f64() * 1e3);
    let block: String = text.lines().map(|l| l.to_string()).collect::<Vec<_>>().join("\n");
    let t = Instant::now();
    let _: serde_json::Value = serde_json::from_str("{}").unwrap();
    let _ = (block, t);
}

#[allow(dead_code)]
fn events(text: &str) -> usize {
    let mut p = serde_saphyr::granit_parser::Parser::new_from_str(text);
    let mut n = 0;
    while let Some(e) = p.next_event() {
        e.unwrap();
        n += 1;
    }
    n
}
