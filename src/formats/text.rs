//! Plain text, the way reports look after copy-paste or a text export.
//!
//! Two table shapes occur in the wild:
//! - *cell per line*: each cell on its own line starting with a tab, rows separated by a
//!   blank line, a cell's wrapped text continuing on lines without the tab (Word's "save
//!   as text" and docx-to-text tools);
//! - *row per line*: cells separated by tabs on one line (copied from a browser or WPS).
//!
//! Everything else is paragraphs. Tool artefacts such as `[bookmark: _Hlk…]` are removed.

use super::DecodeError;
use crate::document::{Block, Cell, Document, Table, TableOrigin};
use once_cell::sync::Lazy;
use regex::Regex;

static ARTEFACT: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"\[bookmark: [^\]]*\]").unwrap_or_else(|_| unreachable!("static regex"))
});

/// Decodes text bytes (UTF-8, UTF-16 with BOM, or GB18030) into the document model.
pub fn decode_text(bytes: &[u8]) -> Result<Document, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::new("empty text file (0 bytes)"));
    }
    let text = decode_charset(bytes)?;
    let text = ARTEFACT.replace_all(&text, "");
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    Ok(Document {
        blocks: blocks_from_lines(&lines),
        title_hint: None,
    })
}

fn decode_charset(bytes: &[u8]) -> Result<String, DecodeError> {
    let (enc, bom_len) = encoding_rs::Encoding::for_bom(bytes).unwrap_or((encoding_rs::UTF_8, 0));
    let body = &bytes[bom_len..];
    let text = if enc == encoding_rs::UTF_8 {
        match std::str::from_utf8(body) {
            Ok(s) => s.to_string(),
            Err(_) => {
                let (s, _, had_errors) = encoding_rs::GB18030.decode(body);
                if had_errors {
                    return Err(DecodeError::new(
                        "not a text file: bytes are neither UTF-8 nor GB18030",
                    ));
                }
                s.into_owned()
            }
        }
    } else {
        enc.decode(body).0.into_owned()
    };
    let controls = text
        .chars()
        .take(4096)
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if controls > 8 {
        return Err(DecodeError::new("not a text file: binary data"));
    }
    Ok(text)
}

fn is_cell_line(line: &str) -> bool {
    line.starts_with('\t')
}

fn is_row_line(line: &str) -> bool {
    let inner = line.trim_start_matches('\t');
    inner.contains('\t')
}

/// Headings of the report's sections and numbered sub-items: never a wrapped cell line.
fn looks_like_heading(line: &str) -> bool {
    static H: Lazy<Regex> = Lazy::new(|| {
        Regex::new(r"^\s*([一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十0-9]+[)）]|[0-9]+\s*[、.．])")
            .unwrap_or_else(|_| unreachable!("static regex"))
    });
    H.is_match(line) && line.chars().count() > 6
}

fn blocks_from_lines(lines: &[&str]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_row_line(line) {
            let (table, next) = read_row_table(lines, i);
            blocks.push(Block::Table(table));
            i = next;
        } else if is_cell_line(line) {
            let (table, next) = read_cell_table(lines, i);
            blocks.push(Block::Table(table));
            i = next;
        } else {
            let t = line.trim();
            if !t.is_empty() {
                blocks.push(Block::Paragraph(t.to_string()));
            }
            i += 1;
        }
    }
    blocks
}

/// Cell-per-line table starting at `start`; returns it and the index after it.
fn read_cell_table(lines: &[&str], start: usize) -> (Table, usize) {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut row: Vec<Cell> = Vec::new();
    let mut i = start;
    let mut blank_run = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() && !is_cell_line(line) {
            blank_run += 1;
            if !row.is_empty() {
                rows.push(std::mem::take(&mut row));
            }
            if blank_run >= 2 {
                i += 1;
                break;
            }
            i += 1;
            continue;
        }
        if is_row_line(line) {
            break;
        }
        if is_cell_line(line) {
            blank_run = 0;
            row.push(Cell::new(line.trim()));
        } else if blank_run == 0 && !row.is_empty() && !looks_like_heading(line) {
            // A wrapped cell: its text continues on the next line without the tab.
            if let Some(last) = row.last_mut() {
                last.text.push_str(line.trim());
            }
        } else {
            break;
        }
        i += 1;
    }
    if !row.is_empty() {
        rows.push(row);
    }
    (Table::from_spanned_rows(rows, TableOrigin::Text, None), i)
}

/// Row-per-line table (tab-separated) starting at `start`.
fn read_row_table(lines: &[&str], start: usize) -> (Table, usize) {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut i = start;
    while i < lines.len() && is_row_line(lines[i]) {
        rows.push(lines[i].split('\t').map(|c| Cell::new(c.trim())).collect());
        i += 1;
    }
    (Table::from_spanned_rows(rows, TableOrigin::Text, None), i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_per_line_rows_and_wrapped_cells() {
        let text = "二、主动公开政府信息情况\n\t信息内容\n\t本年新\n制作数量\n\n\t规章\n\t0\n\t3\n\n\n五、其他\n";
        let doc = decode_text(text.as_bytes()).expect("decodes");
        let tables: Vec<&Table> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
            .collect();
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].rows[0][1].text, "本年新制作数量");
        assert_eq!(tables[0].rows[1][2].text, "3");
        assert!(matches!(doc.blocks.last(), Some(Block::Paragraph(p)) if p == "五、其他"));
    }

    #[test]
    fn tab_separated_rows() {
        let text = "标题\n规章\t0\t1\t2\n行政许可\t5\t\t\n正文";
        let doc = decode_text(text.as_bytes()).expect("decodes");
        let Some(Block::Table(t)) = doc.blocks.get(1) else {
            panic!("no table");
        };
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1][1].text, "5");
    }

    #[test]
    fn empty_and_binary_input_fail_clearly() {
        assert!(decode_text(b"").is_err());
        let junk: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert!(decode_text(&junk).is_err());
    }
}
