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
use crate::document::{Block, Cell, Document, Picture, Table, TableOrigin};
use once_cell::sync::Lazy;
use regex::Regex;
use std::borrow::Cow;

static ARTEFACT: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"\[bookmark: [^\]]*\]").unwrap_or_else(|_| unreachable!("static regex"))
});

/// Decodes text bytes (UTF-8, UTF-16 with BOM, or GB18030) into the document model.
/// A few damaged bytes do not lose the document: they are replaced by U+FFFD and the
/// document says how many in `decode_warnings`.
pub fn decode_text(bytes: &[u8]) -> Result<Document, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::new("empty text file (0 bytes)"));
    }
    let decoded = decode_charset(bytes)?;
    let text = ARTEFACT.replace_all(&decoded.text, "");
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let decode_warnings = match decoded.replaced {
        0 => Vec::new(),
        n => {
            let (bytes, are, were, them) = match n {
                1 => ("byte", "is", "was", "it"),
                _ => ("bytes", "are", "were", "them"),
            };
            vec![format!(
                "{n} {bytes} that {are} not valid {} {were} replaced by U+FFFD (\u{fffd}); \
                 the text around {them} may read wrong",
                decoded.encoding.name()
            )]
        }
    };
    // Text laid out with spaces for columns (`pdftotext -layout`) has its own reader.
    let (blocks, problems) = if super::text_layout::is_layout(&lines) {
        super::text_layout::blocks_from_layout(&lines)
    } else {
        (blocks_from_lines(&lines), Vec::new())
    };
    Ok(Document {
        blocks,
        title_hint: None,
        problems,
        ocr_text: false,
        decode_warnings,
    })
}

/// Text as decoded, with its encoding and the count of bytes replaced by U+FFFD. Valid
/// UTF-8 is borrowed from the file's bytes, not copied: a large text file is held once.
struct Decoded<'a> {
    text: Cow<'a, str>,
    encoding: &'static encoding_rs::Encoding,
    replaced: usize,
}

/// Decodes `body` as `encoding`, every malformed byte sequence replaced by U+FFFD and
/// its bytes counted.
fn decode_counting<'a>(encoding: &'static encoding_rs::Encoding, body: &'a [u8]) -> Decoded<'a> {
    use encoding_rs::DecoderResult;
    if encoding == encoding_rs::UTF_8 {
        if let Ok(text) = std::str::from_utf8(body) {
            return Decoded {
                text: Cow::Borrowed(text),
                encoding,
                replaced: 0,
            };
        }
    }
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut text = String::with_capacity(body.len() + body.len() / 2 + 16);
    let (mut src, mut replaced) = (body, 0usize);
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(src, &mut text, true);
        src = &src[read..];
        match result {
            DecoderResult::InputEmpty => break,
            DecoderResult::OutputFull => text.reserve(src.len() * 3 + 16),
            DecoderResult::Malformed(bad, _) => {
                replaced += usize::from(bad);
                text.push('\u{fffd}');
            }
        }
    }
    Decoded {
        text: Cow::Owned(text),
        encoding,
        replaced,
    }
}

/// A file is damaged UTF-8 when its valid non-ASCII bytes outnumber the invalid ones ten
/// to one: GB18030 text read as UTF-8 forms hardly any valid multi-byte sequence, UTF-8
/// text with a few bad bytes almost nothing else.
const UTF8_VALID_PER_BAD: usize = 10;
/// The same for GB18030 (1 in 100): it accepts most byte pairs, so damage shows less.
const GB18030_DAMAGE_LIMIT: usize = 100;

fn decode_charset(bytes: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    let decoded = match encoding_rs::Encoding::for_bom(bytes) {
        // A byte order mark says what the text is: damage in it is only damage.
        Some((enc, bom_len)) => decode_counting(enc, &bytes[bom_len..]),
        None => {
            let non_ascii = bytes.iter().filter(|b| !b.is_ascii()).count();
            let utf8 = decode_counting(encoding_rs::UTF_8, bytes);
            let valid = non_ascii.saturating_sub(utf8.replaced);
            if utf8.replaced == 0 || utf8.replaced * UTF8_VALID_PER_BAD <= valid {
                utf8
            } else {
                // Dropped before the second reading, so the text is never held twice.
                drop(utf8);
                let gb = decode_counting(encoding_rs::GB18030, bytes);
                if gb.replaced * GB18030_DAMAGE_LIMIT > non_ascii {
                    return Err(DecodeError::new(
                        "not a text file: bytes are neither UTF-8 nor GB18030",
                    ));
                }
                gb
            }
        }
    };
    let controls = decoded
        .text
        .chars()
        .take(4096)
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if controls > 8 {
        return Err(DecodeError::new("not a text file: binary data"));
    }
    Ok(decoded)
}

/// What a line is, as far as tables go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    /// Empty or whitespace only.
    Blank,
    /// Only tabs: an empty cell (cell-per-line) or a row of empty cells (row-per-line).
    Tabs,
    /// A tab, then one cell's text (trailing tabs ignored).
    Cell,
    /// Cells separated by tabs.
    Row,
    /// Ordinary text.
    Text,
}

fn line_kind(line: &str) -> LineKind {
    if !line.contains('\t') {
        return if line.trim().is_empty() {
            LineKind::Blank
        } else {
            LineKind::Text
        };
    }
    let body = line.trim_end_matches(['\t', ' ', '\r']);
    if body.trim().is_empty() {
        return LineKind::Tabs;
    }
    match body.strip_prefix('\t') {
        Some(rest) if !rest.contains('\t') => LineKind::Cell,
        _ => LineKind::Row,
    }
}

/// Headings of the report's sections and numbered sub-items: never a wrapped cell line.
fn looks_like_heading(line: &str) -> bool {
    static H: Lazy<Regex> = Lazy::new(|| {
        Regex::new(r"^\s*([一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十0-9]+[)）]|[0-9]+\s*[、.．])")
            .unwrap_or_else(|_| unreachable!("static regex"))
    });
    H.is_match(line) && line.chars().count() > 6
}

/// A line holding a section title of the report starts text, never a table cell.
fn is_section_title(line: &str) -> bool {
    crate::report::section_index(line).is_some()
}

fn blocks_from_lines(lines: &[&str]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        match line_kind(line) {
            LineKind::Row => {
                let (table, next) = read_row_table(lines, i);
                blocks.push(Block::Table(table));
                i = next;
            }
            LineKind::Cell => {
                let (table, next) = read_cell_table(lines, i);
                blocks.push(Block::Table(table));
                i = next;
            }
            LineKind::Text
                if !is_section_title(line)
                    && line.chars().count() <= 40
                    && lines
                        .get(i + 1)
                        .is_some_and(|n| line_kind(n) == LineKind::Row) =>
            {
                // A row-per-line table whose first label wrapped before the first tab.
                let (table, next) = read_row_table(lines, i);
                blocks.push(Block::Table(table));
                i = next;
            }
            LineKind::Text => {
                push_text_line(&mut blocks, line);
                i += 1;
            }
            LineKind::Blank | LineKind::Tabs => i += 1,
        }
    }
    blocks
}

/// A line of running text; `[image: name]` markers of text exports become picture blocks
/// (the picture itself is not in the text) and the rest of the line stays text.
pub(super) fn push_text_line(blocks: &mut Vec<Block>, line: &str) {
    static IMAGE: Lazy<Regex> = Lazy::new(|| {
        Regex::new(r"\[image: ?([^\]]*)\]").unwrap_or_else(|_| unreachable!("static regex"))
    });
    let mut rest = line;
    while let Some(m) = IMAGE.captures(rest) {
        let (Some(all), Some(name)) = (m.get(0), m.get(1)) else {
            break;
        };
        let before = rest[..all.start()].trim();
        if !before.is_empty() {
            blocks.push(Block::Paragraph(before.to_string()));
        }
        blocks.push(Block::Picture(Picture {
            name: Some(name.as_str().to_string()),
            bytes: Vec::new(),
            dpi: None,
            page: None,
            whole_page: false,
        }));
        rest = &rest[all.end()..];
    }
    let rest = rest.trim();
    if !rest.is_empty() {
        blocks.push(Block::Paragraph(rest.to_string()));
    }
}

/// Cell-per-line table starting at `start`; returns it and the index after it.
fn read_cell_table(lines: &[&str], start: usize) -> (Table, usize) {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut row: Vec<Cell> = Vec::new();
    let mut i = start;
    let mut blank_run = 0;
    while i < lines.len() {
        let line = lines[i];
        match line_kind(line) {
            LineKind::Blank => {
                blank_run += 1;
                if !row.is_empty() {
                    rows.push(std::mem::take(&mut row));
                }
                i += 1;
                if blank_run >= 2 {
                    break;
                }
                continue;
            }
            LineKind::Row => break,
            LineKind::Cell | LineKind::Tabs => {
                blank_run = 0;
                row.push(Cell::new(line.trim()));
            }
            LineKind::Text => {
                if blank_run == 0 && !row.is_empty() && !looks_like_heading(line) {
                    // A wrapped cell: its text continues on the next line without the tab.
                    if let Some(last) = row.last_mut() {
                        last.text.push_str(line.trim());
                    }
                } else {
                    break;
                }
            }
        }
        i += 1;
    }
    if !row.is_empty() {
        rows.push(row);
    }
    (Table::from_spanned_rows(rows, TableOrigin::Text, None), i)
}

/// Row-per-line table (tab-separated) starting at `start`. A short line without tabs
/// right before a row is the start of that row's first cell, wrapped.
fn read_row_table(lines: &[&str], start: usize) -> (Table, usize) {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut i = start;
    let mut carry = String::new();
    while i < lines.len() {
        let line = lines[i];
        match line_kind(line) {
            // Inside a row-per-line table a tab-led line is a row with an empty first cell.
            LineKind::Row | LineKind::Tabs | LineKind::Cell => {
                let mut cells: Vec<Cell> = line
                    .trim_end_matches('\r')
                    .split('\t')
                    .map(|c| Cell::new(c.trim()))
                    .collect();
                if !carry.is_empty() {
                    if let Some(first) = cells.iter_mut().find(|c| !c.text.is_empty()) {
                        first.text.insert_str(0, &carry);
                    } else if let Some(first) = cells.first_mut() {
                        first.text = carry.clone();
                    }
                    carry.clear();
                }
                rows.push(cells);
            }
            LineKind::Text
                if carry.is_empty()
                    && !is_section_title(line)
                    && line.chars().count() <= 40
                    && lines
                        .get(i + 1)
                        .is_some_and(|n| line_kind(n) == LineKind::Row) =>
            {
                carry = line.trim().to_string();
            }
            _ => break,
        }
        i += 1;
    }
    (Table::from_spanned_rows(rows, TableOrigin::Text, None), i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_bad_bytes_are_replaced_and_counted() {
        let mut bytes = "二、主动公开政府信息情况\n规章\t0\t1\t2\n"
            .as_bytes()
            .to_vec();
        bytes.splice(3..3, [0xFF, 0xFE, 0x80]);
        let doc = decode_text(&bytes).expect("decodes");
        assert_eq!(doc.decode_warnings.len(), 1);
        assert!(
            doc.decode_warnings[0].starts_with("3 bytes that are not valid UTF-8 were replaced"),
            "{:?}",
            doc.decode_warnings
        );
        assert_eq!(doc.tables().count(), 1);
        // GB18030 text stays GB18030, without warnings.
        let (gb, _, _) = encoding_rs::GB18030.encode("二、主动公开政府信息情况\n规章\t0\t1\n");
        let doc = decode_text(&gb).expect("decodes");
        assert!(doc.decode_warnings.is_empty());
        assert!(matches!(&doc.blocks[0], Block::Paragraph(p) if p.starts_with("二、主动公开")));
        // Bytes that are neither are no text.
        let junk: Vec<u8> = (0..4000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(decode_text(&junk).is_err());
    }

    #[test]
    fn cell_per_line_rows_and_wrapped_cells() {
        let text = "二、主动公开政府信息情况\n\t信息内容\n\t本年新\n制作数量\n\n\t规章\n\t0\n\t3\n\n\n五、其他\n";
        let doc = decode_text(text.as_bytes()).expect("decodes");
        let tables: Vec<&Table> = doc.tables().collect();
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].rows[0][1].text, "本年新制作数量");
        assert_eq!(tables[0].rows[1][2].text, "3");
        assert!(matches!(doc.blocks.last(), Some(Block::Paragraph(p)) if p == "五、其他"));
    }

    #[test]
    fn tab_separated_rows() {
        let text = "二、主动公开政府信息情况\n规章\t0\t1\t2\n行政许可\t5\t\t\n正文";
        let doc = decode_text(text.as_bytes()).expect("decodes");
        let Some(Block::Table(t)) = doc.blocks.get(1) else {
            panic!("no table");
        };
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1][1].text, "5");
    }

    #[test]
    fn trailing_tabs_keep_the_cell_per_line_shape() {
        let text = "\t规章\t\n\t0\t\n\t\t\n\t3\t\n\n\t行政许可\t\n\t5\t\n\n\n";
        let doc = decode_text(text.as_bytes()).expect("decodes");
        let t = doc.tables().collect::<Vec<_>>();
        assert_eq!(t.len(), 1);
        let texts: Vec<&str> = t[0].rows[0].iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["规章", "0", "", "3"]);
        assert_eq!(t[0].rows[1][1].text, "5");
    }

    #[test]
    fn wrapped_first_label_and_rows_of_empty_cells() {
        let text = "四、政府信息公开行政复议、行政诉讼情况\n一、本年新收政府\n信息公开申请数量\t\t1\t2\n二、上年结转\t\t0\t0\n行政复议\t行政诉讼\n\t\t\t\t\n正文。";
        let doc = decode_text(text.as_bytes()).expect("decodes");
        assert!(matches!(&doc.blocks[0], Block::Paragraph(p) if p.ends_with("行政诉讼情况")));
        let t = doc.tables().collect::<Vec<_>>();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].rows[0][0].text, "一、本年新收政府信息公开申请数量");
        assert_eq!(t[0].rows[0][2].text, "1");
        assert_eq!(t[0].rows.len(), 4, "the row of empty cells is a row");
        assert!(t[0].rows[3].iter().all(|c| c.text.is_empty()));
    }

    #[test]
    fn image_markers_become_pictures() {
        let doc =
            decode_text("[image: 表格_03]四、政府信息公开行政复议、行政诉讼情况\n".as_bytes())
                .expect("decodes");
        assert!(
            matches!(&doc.blocks[0], Block::Picture(p) if p.name.as_deref() == Some("表格_03"))
        );
        assert!(matches!(&doc.blocks[1], Block::Paragraph(t) if t.starts_with("四、")));
    }

    #[test]
    fn empty_and_binary_input_fail_clearly() {
        assert!(decode_text(b"").is_err());
        let junk: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert!(decode_text(&junk).is_err());
    }
}
