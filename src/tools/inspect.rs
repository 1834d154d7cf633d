//! `nianbao inspect FILE`: the document model of a file after picture recognition, its
//! tables cell by cell as read, OCR'd cells below [`DOUBTFUL`] confidence marked.

use crate::document::{Block, Cell, Document};
use crate::formats;
use crate::ocr::LazyEngine;
use std::io::Write;
use std::path::Path;

/// Cells read with less confidence than this are marked `[?0.42]`.
pub const DOUBTFUL: f32 = 0.6;

/// Reads `path` and writes what it reads as to `out`; returns whether it could be read
/// and decoded. A file that cannot is said in `out` too (one bad file among several does
/// not stop the others); only a failed write to `out` is an error.
pub fn inspect(
    path: &Path,
    engine: &mut LazyEngine,
    out: &mut impl Write,
) -> std::io::Result<bool> {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return writeln!(out, "{name}: cannot read: {e}").map(|()| false),
    };
    let format = formats::sniff(&name, &bytes);
    match formats::decode(format, &bytes) {
        Err(e) => writeln!(out, "{name}: {e}").map(|()| false),
        Ok(mut doc) => {
            engine.recognise(&mut doc);
            write_document(&name, &formats::format_name(&name, format), &doc, out).map(|()| true)
        }
    }
}

/// The document model as text: `H1`/`P`/`IMG`/`TABLE` lines, a table's rows as `| … |`.
pub fn write_document(
    name: &str,
    format: &str,
    doc: &Document,
    out: &mut impl Write,
) -> std::io::Result<()> {
    for p in &doc.problems {
        writeln!(out, "PROBLEM {p}")?;
    }
    writeln!(
        out,
        "{name}: {format}, {} blocks, title hint {:?}",
        doc.blocks.len(),
        doc.title_hint
    )?;
    for b in &doc.blocks {
        match b {
            Block::Heading { text, level } => writeln!(out, "H{level} {text}")?,
            Block::Paragraph(t) => writeln!(out, "P  {t}")?,
            Block::Picture(p) => writeln!(out, "IMG {:?} {} bytes", p.name, p.bytes.len())?,
            Block::Table(t) => {
                writeln!(out, "TABLE {}x{} {:?}", t.rows.len(), t.n_cols(), t.origin)?;
                for row in &t.rows {
                    let cells: Vec<String> = row.iter().map(cell_text).collect();
                    writeln!(out, "  | {}", cells.join(" | "))?;
                }
            }
        }
    }
    Ok(())
}

/// A cell as read: `^` for the continuation of a merged cell, line breaks as `⏎`, and a
/// doubtful reading with its confidence.
fn cell_text(c: &Cell) -> String {
    if c.is_continuation() {
        return "^".into();
    }
    let t = c.text.replace('\n', "⏎");
    match c.confidence {
        Some(x) if x < DOUBTFUL => format!("{t}[?{x:.2}]"),
        _ => t,
    }
}
