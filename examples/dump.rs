//! Prints the document model of a file, after picture recognition:
//! `cargo run --release --example dump -- FILE...`
use nianbao::document::Block;
use nianbao::formats;

fn main() {
    // NB_OCR_TRACE=1 / RUST_LOG show the picture reader's trace here too.
    nianbao::logging::init(0);
    let mut engine = nianbao::ocr::LazyEngine::new();
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let format = formats::sniff(&path, &bytes);
        match formats::decode(format, &bytes) {
            Err(e) => println!("{path}: {e}"),
            Ok(mut doc) => {
                engine.recognise(&mut doc);
                for p in &doc.problems {
                    println!("PROBLEM {p}");
                }
                println!(
                    "{path}: {} blocks, title hint {:?}",
                    doc.blocks.len(),
                    doc.title_hint
                );
                for b in &doc.blocks {
                    match b {
                        Block::Heading { text, level } => println!("H{level} {text}"),
                        Block::Paragraph(t) => println!("P  {t}"),
                        Block::Picture(p) => println!("IMG {:?} {} bytes", p.name, p.bytes.len()),
                        Block::Table(t) => {
                            println!("TABLE {}x{} {:?}", t.rows.len(), t.n_cols(), t.origin);
                            for row in &t.rows {
                                let cells: Vec<String> = row
                                    .iter()
                                    .map(|c| {
                                        if c.is_continuation() {
                                            "^".into()
                                        } else {
                                            let t = c.text.replace('\n', "⏎");
                                            match c.confidence {
                                                Some(x) if x < 0.6 => format!("{t}[?{x:.2}]"),
                                                _ => t,
                                            }
                                        }
                                    })
                                    .collect();
                                println!("  | {}", cells.join(" | "));
                            }
                        }
                    }
                }
            }
        }
    }
}
