use ocr::document::Block;
use std::time::Instant;

fn main() {
    let mut eng = ocr::TesseractEngine::new().expect("engine");
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("read");
        let t = Instant::now();
        let blocks = ocr::recognise_picture(&bytes, None, &mut eng);
        let ms = t.elapsed().as_millis();
        println!("== {path} {ms} ms");
        match blocks {
            Err(e) => println!("error: {e}"),
            Ok(blocks) => {
                for b in blocks {
                    match b {
                        Block::Table(t) => {
                            println!("TABLE {}x{}", t.rows.len(), t.n_cols());
                            for row in &t.rows {
                                let cells: Vec<String> = row
                                    .iter()
                                    .map(|c| {
                                        if c.is_continuation() {
                                            "^".to_string()
                                        } else {
                                            format!(
                                                "{}[{:.2}]",
                                                c.text,
                                                c.confidence.unwrap_or(0.0)
                                            )
                                        }
                                    })
                                    .collect();
                                println!("  {}", cells.join(" | "));
                            }
                        }
                        Block::Paragraph(p) => println!("PARA {p}"),
                        _ => {}
                    }
                }
            }
        }
    }
}
