//! RTF (`.rtf`, and `.doc` files whose content is RTF, as Word, WPS and OA systems save
//! them): paragraphs, headings (`\outlinelevel`, heading styles), tables (`\trowd` rows
//! with `\clmgf`/`\clvmgf` merges, [`table`]), text as `\uN` escapes or as `\'xx` bytes
//! in the document's code page (`\ansicpg936`: GBK) or a font's charset, and PNG/JPEG
//! pictures (`\pict`), handed to recognition.
//!
//! Our own tokenizer ([`tokens`]): the RTF crates on crates.io (rtf-parser) give styled
//! text runs but drop the table structure (`\cellx` edges, merges) and picture data,
//! which are what a report's statistics need.
//!
//! Read partly, and said so in the record: pictures in formats recognition cannot
//! decode (WMF/EMF metafiles, PICT). Not read: headers, footers, footnotes, comments,
//! text boxes inside drawing shapes.

pub mod table;
pub mod tokens;

use super::DecodeError;
use crate::document::{Block, Document, Picture};
use encoding_rs::{Encoding, BIG5, EUC_KR, GB18030, SHIFT_JIS, WINDOWS_1252};
use std::collections::HashMap;
use table::{CellDef, Merge, Row};
use tokens::{Token, Tokens};

/// Groups nested deeper than this are damage or an attack, not a document.
const MAX_DEPTH: usize = 512;
/// Largest picture kept, and all pictures together (bytes, decoded).
const MAX_PICTURE: usize = 64 << 20;
const MAX_ALL_PICTURES: usize = 512 << 20;
/// Cells in one row's definition (Word allows 63).
const MAX_ROW_CELLS: usize = 256;

/// Decodes an RTF file.
pub fn decode_rtf(bytes: &[u8]) -> Result<Document, DecodeError> {
    let start = bytes
        .windows(5)
        .take(1024)
        .position(|w| w == b"{\\rtf")
        .ok_or_else(|| DecodeError::new("not an RTF file: it does not start with {\\rtf"))?;
    let mut reader = Reader::new();
    for tok in Tokens::new(&bytes[start..]) {
        reader.token(tok)?;
    }
    Ok(reader.finish())
}

/// What a group's text is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Body,
    /// Skipped: headers, footers, document info, unknown `\*` destinations, …
    Skip,
    FontTable,
    StyleSheet,
    Picture,
}

#[derive(Debug, Clone)]
struct Group {
    dest: Dest,
    /// Characters to skip after a `\uN` (`\ucN`).
    uc: usize,
    /// Encoding of `\'xx` bytes here: the current font's charset or the code page.
    font: Option<i32>,
    /// A `\*` was just met: an unknown destination that follows is skipped.
    starred: bool,
    /// The group's first control word has been seen (destinations are named by it).
    first: bool,
}

/// A picture being read: its format and its hex digits.
struct PictureData {
    format: Option<&'static str>,
    hex: Vec<u8>,
    bin: Vec<u8>,
    goal_width_twips: Option<i32>,
}

struct Reader {
    stack: Vec<Group>,
    code_page: &'static Encoding,
    font_charsets: HashMap<i32, &'static Encoding>,
    style_names: HashMap<i32, String>,
    /// The font or style entry being read in the font table or style sheet.
    entry_no: Option<i32>,
    entry_charset: Option<&'static Encoding>,
    entry_text: String,
    /// Bytes of `\'xx` and text waiting to be decoded in the current encoding.
    pending: Vec<u8>,
    pending_enc: &'static Encoding,
    skip_chars: usize,
    // Paragraph state.
    text: String,
    in_table: bool,
    outline: Option<u8>,
    style: Option<i32>,
    // Table state.
    row_def: Row,
    cell_pending: Option<CellDef>,
    cell_texts: Vec<String>,
    cell_text: String,
    rows: Vec<Row>,
    // Output.
    blocks: Vec<Block>,
    picture: Option<PictureData>,
    picture_budget: usize,
    problems: Vec<String>,
    warnings: Vec<String>,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            stack: vec![Group {
                dest: Dest::Body,
                uc: 1,
                font: None,
                starred: false,
                first: true,
            }],
            code_page: WINDOWS_1252,
            font_charsets: HashMap::new(),
            style_names: HashMap::new(),
            entry_no: None,
            entry_charset: None,
            entry_text: String::new(),
            pending: Vec::new(),
            pending_enc: WINDOWS_1252,
            skip_chars: 0,
            text: String::new(),
            in_table: false,
            outline: None,
            style: None,
            row_def: Row::default(),
            cell_pending: None,
            cell_texts: Vec::new(),
            cell_text: String::new(),
            rows: Vec::new(),
            blocks: Vec::new(),
            picture: None,
            picture_budget: MAX_ALL_PICTURES,
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn group(&self) -> &Group {
        // The stack always holds the document's own group.
        &self.stack[self.stack.len() - 1]
    }

    fn group_mut(&mut self) -> &mut Group {
        let n = self.stack.len() - 1;
        &mut self.stack[n]
    }

    fn encoding(&self) -> &'static Encoding {
        self.group()
            .font
            .and_then(|f| self.font_charsets.get(&f).copied())
            .unwrap_or(self.code_page)
    }

    fn token(&mut self, tok: Token<'_>) -> Result<(), DecodeError> {
        match tok {
            Token::Open => {
                self.flush_bytes();
                if self.stack.len() >= MAX_DEPTH {
                    return Err(DecodeError::new(format!(
                        "RTF is damaged: groups are nested more than {MAX_DEPTH} deep"
                    )));
                }
                let mut g = self.group().clone();
                g.starred = false;
                g.first = true;
                self.stack.push(g);
                self.skip_chars = 0;
            }
            Token::Close => {
                self.flush_bytes();
                self.skip_chars = 0;
                if self.stack.len() > 1 {
                    let g = self.stack.pop();
                    if let Some(g) = g {
                        self.group_closed(g.dest);
                    }
                }
            }
            Token::Word(word, param) => {
                let first = std::mem::replace(&mut self.group_mut().first, false);
                if self.skip_chars > 0 && !matches!(word, "par" | "cell" | "row") {
                    self.skip_chars -= 1;
                    return Ok(());
                }
                self.word(word, param, first);
            }
            Token::Symbol(c) => {
                let first = std::mem::replace(&mut self.group_mut().first, false);
                if c == b'*' {
                    self.group_mut().starred = first || self.group().starred;
                    self.group_mut().first = first;
                    return Ok(());
                }
                if self.skip_chars > 0 {
                    self.skip_chars -= 1;
                    return Ok(());
                }
                match c {
                    b'~' => self.push_char('\u{a0}'),
                    b'_' => self.push_char('-'),
                    b'\\' | b'{' | b'}' => self.push_bytes(&[c]),
                    b'|' | b'-' | b':' => {}
                    _ => {}
                }
            }
            Token::Byte(b) => {
                if self.skip_chars > 0 {
                    self.skip_chars -= 1;
                    return Ok(());
                }
                self.push_bytes(&[b]);
            }
            Token::Binary(data) => {
                self.skip_chars = 0;
                let in_picture = self.group().dest == Dest::Picture;
                if let (Some(p), true) = (self.picture.as_mut(), in_picture) {
                    p.bin
                        .extend_from_slice(&data[..data.len().min(MAX_PICTURE)]);
                }
            }
            Token::Text(t) => {
                let mut t = t;
                while self.skip_chars > 0 && !t.is_empty() {
                    self.skip_chars -= 1;
                    t = &t[1..];
                }
                if self.group().dest == Dest::Picture {
                    if let Some(p) = self.picture.as_mut() {
                        if p.hex.len() < MAX_PICTURE * 2 {
                            p.hex.extend(t.iter().filter(|b| b.is_ascii_hexdigit()));
                        }
                    }
                    return Ok(());
                }
                self.push_bytes(t);
            }
        }
        Ok(())
    }

    /// A control word; `first`: it opens its group (destinations are named so).
    fn word(&mut self, word: &str, param: Option<i32>, first: bool) {
        let dest = self.group().dest;
        if first {
            // The picture inside `\*\shppict` is read (its `\nonshppict` copy is not).
            if word == "shppict" {
                return;
            }
            if let Some(d) = destination(word, self.group().starred) {
                self.flush_bytes();
                self.group_mut().dest = match (dest, d) {
                    (Dest::Skip, _) => Dest::Skip,
                    (_, Dest::Picture) => {
                        self.picture = Some(PictureData {
                            format: None,
                            hex: Vec::new(),
                            bin: Vec::new(),
                            goal_width_twips: None,
                        });
                        Dest::Picture
                    }
                    (_, d) => d,
                };
                return;
            }
            if self.group().starred && dest != Dest::FontTable && dest != Dest::StyleSheet {
                self.group_mut().dest = Dest::Skip;
                return;
            }
        }
        let p = param.unwrap_or(0);
        match dest {
            Dest::Skip => return,
            Dest::FontTable => {
                match word {
                    "f" => {
                        self.entry_no = Some(p);
                        self.entry_charset = None;
                    }
                    "fcharset" => self.entry_charset = charset_encoding(p),
                    _ => {}
                }
                return;
            }
            Dest::StyleSheet => {
                if word == "s" {
                    self.entry_no = Some(p);
                    self.entry_text.clear();
                }
                return;
            }
            Dest::Picture => {
                if let Some(pic) = self.picture.as_mut() {
                    match word {
                        "pngblip" => pic.format = Some("png"),
                        "jpegblip" => pic.format = Some("jpeg"),
                        "wmetafile" => pic.format = Some("WMF"),
                        "emfblip" => pic.format = Some("EMF"),
                        "macpict" => pic.format = Some("PICT"),
                        "dibitmap" | "wbitmap" => pic.format = Some("bitmap"),
                        "picwgoal" => pic.goal_width_twips = param,
                        _ => {}
                    }
                }
                return;
            }
            Dest::Body => {}
        }
        match word {
            "ansicpg" => {
                if let Some(e) = code_page_encoding(p) {
                    self.code_page = e;
                }
            }
            "f" => {
                self.flush_bytes();
                self.group_mut().font = Some(p);
            }
            "uc" => self.group_mut().uc = p.clamp(0, 8) as usize,
            "u" => {
                let code = if p < 0 { p + 65536 } else { p };
                let c = char::from_u32(code as u32).unwrap_or('\u{FFFD}');
                self.push_char(c);
                self.skip_chars = self.group().uc;
            }
            "par" | "sect" | "page" => self.end_paragraph(),
            "line" => self.push_char('\n'),
            "tab" => self.push_char('\t'),
            "emdash" => self.push_char('—'),
            "endash" => self.push_char('–'),
            "bullet" => self.push_char('•'),
            "lquote" => self.push_char('‘'),
            "rquote" => self.push_char('’'),
            "ldblquote" => self.push_char('“'),
            "rdblquote" => self.push_char('”'),
            "emspace" | "enspace" | "qmspace" => self.push_char(' '),
            "pard" => {
                self.in_table = false;
                self.outline = None;
                self.style = None;
            }
            "intbl" => self.in_table = true,
            "outlinelevel" => self.outline = u8::try_from(p.clamp(0, 8)).ok(),
            "s" => self.style = Some(p),
            "trowd" => {
                self.row_def.cells.clear();
                self.row_def.left = 0;
                self.cell_pending = None;
            }
            "trleft" => self.row_def.left = p,
            "clvmgf" => self.cell_def().vmerge = Merge::First,
            "clvmrg" => self.cell_def().vmerge = Merge::Cont,
            "clmgf" => self.cell_def().hmerge = Merge::First,
            "clmrg" => self.cell_def().hmerge = Merge::Cont,
            "cellx" => {
                let mut def = self.cell_pending.take().unwrap_or_default();
                def.right = p;
                if self.row_def.cells.len() < MAX_ROW_CELLS {
                    self.row_def.cells.push(def);
                }
            }
            "cell" | "nestcell" => self.end_cell(),
            "row" | "nestrow" => self.end_row(),
            _ => {}
        }
    }

    fn cell_def(&mut self) -> &mut CellDef {
        self.cell_pending.get_or_insert_with(CellDef::default)
    }

    fn push_bytes(&mut self, b: &[u8]) {
        let enc = self.encoding();
        if !self.pending.is_empty() && enc != self.pending_enc {
            self.flush_bytes();
        }
        self.pending_enc = enc;
        self.pending.extend_from_slice(b);
    }

    fn flush_bytes(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let enc = if self.pending_enc == encoding_rs::GBK {
            GB18030
        } else {
            self.pending_enc
        };
        let (s, _) = enc.decode_without_bom_handling(&self.pending);
        let s = s.into_owned();
        self.pending.clear();
        self.push_str(&s);
    }

    fn push_char(&mut self, c: char) {
        self.flush_bytes();
        let mut buf = [0u8; 4];
        self.push_str(c.encode_utf8(&mut buf));
    }

    fn push_str(&mut self, s: &str) {
        match self.group().dest {
            Dest::Body => self.text.push_str(s),
            Dest::FontTable | Dest::StyleSheet => self.entry_text.push_str(s),
            _ => {}
        }
    }

    fn group_closed(&mut self, dest: Dest) {
        let parent = self.group().dest;
        match dest {
            Dest::FontTable if parent == Dest::FontTable || self.entry_no.is_some() => {
                if let (Some(no), Some(enc)) = (self.entry_no, self.entry_charset) {
                    self.font_charsets.insert(no, enc);
                }
                if parent != Dest::FontTable {
                    self.entry_no = None;
                }
                self.entry_text.clear();
            }
            Dest::StyleSheet => {
                if let Some(no) = self.entry_no.take() {
                    let name = self
                        .entry_text
                        .trim()
                        .trim_end_matches(';')
                        .trim()
                        .to_string();
                    self.style_names.insert(no, name);
                }
                self.entry_text.clear();
            }
            Dest::Picture if parent != Dest::Picture => self.picture_done(),
            _ => {}
        }
    }

    fn picture_done(&mut self) {
        let Some(p) = self.picture.take() else {
            return;
        };
        let bytes = if p.bin.is_empty() {
            hex_bytes(&p.hex)
        } else {
            p.bin
        };
        match p.format {
            Some(f @ ("png" | "jpeg")) if !bytes.is_empty() => {
                if bytes.len() > self.picture_budget {
                    self.problems.push(format!(
                        "RTF picture ({f}) skipped: the document's pictures are over {} MiB",
                        MAX_ALL_PICTURES >> 20
                    ));
                    return;
                }
                self.picture_budget -= bytes.len();
                let dpi = p.goal_width_twips.and_then(|tw| picture_dpi(&bytes, tw));
                let n = self.blocks.iter().filter(|b| matches!(b, Block::Picture(_))).count();
                self.end_paragraph_text_only();
                self.blocks.push(Block::Picture(Picture {
                    name: Some(format!("rtf picture {} ({f})", n + 1)),
                    bytes,
                    dpi,
                    page: None,
                    whole_page: false,
                }));
            }
            Some(f) => self.warnings.push(format!(
                "an RTF picture in {f} format was skipped: recognition reads PNG and JPEG pictures only"
            )),
            None => self
                .warnings
                .push("an RTF picture of unknown format was skipped".to_string()),
        }
    }

    fn end_cell(&mut self) {
        self.flush_bytes();
        let mut text = std::mem::take(&mut self.cell_text);
        let para = std::mem::take(&mut self.text);
        join_line(&mut text, para.trim());
        self.cell_texts.push(text);
    }

    fn end_row(&mut self) {
        self.flush_bytes();
        if !self.text.trim().is_empty() || !self.cell_text.is_empty() {
            self.end_cell();
        }
        self.text.clear();
        let mut row = self.row_def.clone();
        row.texts = std::mem::take(&mut self.cell_texts);
        self.rows.push(row);
        self.in_table = false;
    }

    /// A paragraph mark: inside a table cell it is a line of the cell, else a block.
    fn end_paragraph(&mut self) {
        self.flush_bytes();
        if self.in_table {
            let para = std::mem::take(&mut self.text);
            join_line(&mut self.cell_text, para.trim());
            return;
        }
        self.flush_table();
        self.end_paragraph_text_only();
    }

    fn end_paragraph_text_only(&mut self) {
        self.flush_bytes();
        let text = std::mem::take(&mut self.text);
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let level = self.outline.map(|l| l + 1).or_else(|| {
            self.style
                .and_then(|s| self.style_names.get(&s))
                .and_then(|name| heading_level(name))
        });
        self.blocks.push(match level {
            Some(level) => Block::Heading {
                text: text.to_string(),
                level,
            },
            None => Block::Paragraph(text.to_string()),
        });
    }

    fn flush_table(&mut self) {
        if self.rows.is_empty() {
            return;
        }
        let rows = std::mem::take(&mut self.rows);
        self.blocks.push(Block::Table(table::build_table(&rows)));
    }

    fn finish(mut self) -> Document {
        self.end_paragraph();
        self.in_table = false;
        if !self.cell_texts.is_empty() {
            self.end_row();
        }
        self.flush_table();
        Document {
            blocks: self.blocks,
            problems: self.problems,
            decode_warnings: self.warnings,
            ..Document::default()
        }
    }
}

/// The destination a group's first control word names, if it is one.
fn destination(word: &str, starred: bool) -> Option<Dest> {
    Some(match word {
        "fonttbl" => Dest::FontTable,
        "stylesheet" => Dest::StyleSheet,
        "pict" => Dest::Picture,
        "colortbl" | "info" | "header" | "headerl" | "headerr" | "headerf" | "footer"
        | "footerl" | "footerr" | "footerf" | "footnote" | "listtable" | "listoverridetable"
        | "pgdsctbl" | "revtbl" | "rsidtbl" | "xmlnstbl" | "nonshppict" | "fldinst" | "object"
        | "objdata" | "annotation" | "atnid" | "atnauthor" | "txe" | "xe" | "tc" | "themedata"
        | "colorschememapping" | "datastore" | "latentstyles" | "generator" | "filetbl"
        | "stylerestrictions" | "mmathPr" | "userprops" | "docvar" => Dest::Skip,
        _ if starred => Dest::Skip,
        _ => return None,
    })
}

/// Heading level of a style named "heading N" (Word, LibreOffice) or "标题 N" (Chinese Word).
fn heading_level(name: &str) -> Option<u8> {
    let lower = name.to_lowercase();
    let rest = lower
        .strip_prefix("heading")
        .or_else(|| lower.strip_prefix("标题"))?;
    let n: u8 = rest.trim().parse().ok()?;
    (1..=9).contains(&n).then_some(n)
}

fn code_page_encoding(cp: i32) -> Option<&'static Encoding> {
    Some(match cp {
        936 | 54936 => GB18030,
        950 => BIG5,
        932 => SHIFT_JIS,
        949 => EUC_KR,
        65001 => encoding_rs::UTF_8,
        1250..=1258 => Encoding::for_label(format!("windows-{cp}").as_bytes())?,
        _ => return None,
    })
}

/// `\fcharsetN` → encoding; 0 (ANSI) and 1 (default) mean the document's code page.
fn charset_encoding(charset: i32) -> Option<&'static Encoding> {
    Some(match charset {
        134 => GB18030,
        136 => BIG5,
        128 => SHIFT_JIS,
        129 => EUC_KR,
        _ => return None,
    })
}

fn hex_bytes(hex: &[u8]) -> Vec<u8> {
    let val = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
    hex.chunks_exact(2)
        .map(|p| val(p[0]) << 4 | val(p[1]))
        .collect()
}

/// Pixels per inch of a picture shown `goal_twips` wide.
fn picture_dpi(bytes: &[u8], goal_twips: i32) -> Option<f32> {
    let (px, _) = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()?;
    let inches = goal_twips as f32 / 1440.0;
    let dpi = px as f32 / inches;
    (dpi.is_finite() && dpi > 10.0 && dpi < 5000.0).then_some(dpi)
}

fn join_line(a: &mut String, b: &str) {
    if b.is_empty() {
        return;
    }
    if !a.is_empty() {
        a.push('\n');
    }
    a.push_str(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_bytes_unicode_escapes_and_a_merged_table() {
        let rtf = b"{\\rtf1\\ansi\\ansicpg936{\\fonttbl{\\f0\\fcharset134 SimSun;}}\
            {\\*\\generator x;}{\\header skip me\\par}\
            \\pard\\'b9\\'fa\\u21153?\\par\
            \\trowd\\clvmgf\\cellx1000\\cellx3000\\pard\\intbl A\\cell 1\\cell\\row\
            \\trowd\\clvmrg\\cellx1000\\cellx3000\\pard\\intbl\\cell 2\\cell\\row\
            \\pard after\\par}";
        let doc = decode_rtf(rtf).unwrap();
        let texts: Vec<String> = doc
            .blocks
            .iter()
            .map(|b| match b {
                Block::Paragraph(t) => t.clone(),
                Block::Table(t) => format!("T{}x{}", t.rows.len(), t.n_cols()),
                _ => String::new(),
            })
            .collect();
        assert_eq!(texts, vec!["国务", "T2x2", "after"]);
        let Block::Table(t) = &doc.blocks[1] else {
            unreachable!()
        };
        assert_eq!(t.rows[0][0].row_span, 2);
        assert_eq!(t.shown_text(1, 0), "A");
        assert_eq!(t.shown_text(1, 1), "2");
    }

    #[test]
    fn a_metafile_picture_is_named_as_skipped() {
        let doc = decode_rtf(b"{\\rtf1{\\pict\\wmetafile8 0102}\\par text\\par}").unwrap();
        assert!(doc.decode_warnings[0].contains("WMF"));
        assert!(decode_rtf(b"not rtf").is_err());
    }
}
