//! Word 97-2003 binary documents (`.doc`, [MS-DOC]): a pure function from bytes to the
//! document model.
//!
//! - the OLE2 compound file is opened with `cfb`; the `WordDocument` stream's FIB gives
//!   the table stream (`0Table`/`1Table`), `ccpText` and the CLX;
//! - the CLX's piece table maps character positions to text: compressed pieces are
//!   cp1252 bytes, the others UTF-16LE; only the main document (the first `ccpText`
//!   characters) is read, not footnotes, headers, comments or text boxes;
//! - paragraphs end at 0x0D, table cells at 0x07; whether a paragraph is in a table and
//!   whether a 0x07 is a row mark comes from the paragraph's PAPX (`sprmPFInTable`,
//!   `sprmPFTtp`), with a character-stream guess when a file has no usable PAPX;
//! - fields keep their result and lose their code; 0x01 (inline picture anchor) becomes
//!   an empty [`Picture`] named `doc-picture` (after the table that holds it, if any);
//! - rows of 1×1 cells go through [`Table::from_spanned_rows`], which pads them to a
//!   rectangle; nested tables become text of their outer cell.
//!
//! Every size read from the file is bounded, malformed input gives a `DecodeError`, and
//! a panic in a dependency is caught as a last resort.

use std::io::{Cursor, Read};

use super::doc_styles::HeadingStyles;
use super::DecodeError;
use crate::document::{Block, Cell, Document, Picture, Table, TableOrigin};

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// Nesting of fields beyond this is treated as damage (Word itself stops far earlier).
const MAX_FIELD_DEPTH: usize = 64;
/// FKP pages are 512 bytes.
const FKP_SIZE: usize = 512;

/// Decodes a Word 97-2003 `.doc` file.
pub fn decode_doc(bytes: &[u8]) -> Result<Document, DecodeError> {
    match std::panic::catch_unwind(|| decode_inner(bytes)) {
        Ok(result) => result,
        Err(_) => Err(DecodeError::new(
            "damaged .doc: the file's structures are inconsistent",
        )),
    }
}

fn damaged(what: impl std::fmt::Display) -> DecodeError {
    DecodeError::new(format!("damaged .doc: {what}"))
}

fn decode_inner(bytes: &[u8]) -> Result<Document, DecodeError> {
    if bytes.len() < 512 || bytes[..8] != OLE_MAGIC {
        return Err(DecodeError::new(
            "not a Word 97-2003 .doc: not an OLE2 compound file",
        ));
    }
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| damaged(format!("cannot open the compound file ({e})")))?;
    if !cf.is_stream("WordDocument") {
        return Err(DecodeError::new(not_word_message(&cf)));
    }
    let wd = read_stream(&mut cf, "WordDocument", bytes.len())?;
    let fib = Fib::parse(&wd)?;
    let table_name = if fib.which_table_1 {
        "1Table"
    } else {
        "0Table"
    };
    if !cf.is_stream(table_name) {
        return Err(damaged(format!("the {table_name} stream is missing")));
    }
    let table = read_stream(&mut cf, table_name, bytes.len())?;
    let (units, fcs) = main_text(&wd, &table, &fib)?;
    // The Data stream is optional: huge paragraph properties and pictures live there.
    let data = if cf.is_stream("Data") {
        read_stream(&mut cf, "Data", bytes.len())?
    } else {
        Vec::new()
    };
    let papx = PapxIndex::parse(&table, &fib, &wd, &data);
    let styles = HeadingStyles::parse(&table, fib.fc_stshf, fib.lcb_stshf);
    let mut doc = build_document(&units, &fcs, papx.as_ref(), &styles);
    super::doc_pictures::fill(&mut doc, &data);
    Ok(doc)
}

/// Why an OLE file without a `WordDocument` stream is not a .doc.
fn not_word_message<F: Read + std::io::Seek>(cf: &cfb::CompoundFile<F>) -> String {
    if cf.is_stream("EncryptedPackage") || cf.is_stream("EncryptionInfo") {
        "encrypted Office document (password-protected .docx/.xlsx): cannot be read without the password".into()
    } else if cf.is_stream("Workbook") || cf.is_stream("Book") {
        "not a Word 97-2003 .doc: this is an Excel workbook (.xls)".into()
    } else if cf.is_stream("PowerPoint Document") {
        "not a Word 97-2003 .doc: this is a PowerPoint presentation (.ppt)".into()
    } else {
        "not a Word 97-2003 .doc: the compound file has no WordDocument stream".into()
    }
}

fn read_stream<F: Read + std::io::Seek>(
    cf: &mut cfb::CompoundFile<F>,
    name: &str,
    limit: usize,
) -> Result<Vec<u8>, DecodeError> {
    let stream = cf
        .open_stream(name)
        .map_err(|e| damaged(format!("cannot open the {name} stream ({e})")))?;
    let declared = stream.len();
    if declared > limit as u64 {
        return Err(damaged(format!(
            "the {name} stream claims {declared} bytes, more than the file"
        )));
    }
    let mut out = Vec::with_capacity(declared as usize);
    stream
        .take(limit as u64)
        .read_to_end(&mut out)
        .map_err(|e| damaged(format!("cannot read the {name} stream ({e})")))?;
    Ok(out)
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The parts of the File Information Block this decoder needs.
struct Fib {
    which_table_1: bool,
    ccp_text: u32,
    fc_clx: u32,
    lcb_clx: u32,
    fc_plcf_bte_papx: u32,
    lcb_plcf_bte_papx: u32,
    fc_stshf: u32,
    lcb_stshf: u32,
}

impl Fib {
    fn parse(wd: &[u8]) -> Result<Fib, DecodeError> {
        let short = || damaged("the WordDocument stream is too short for a FIB");
        let ident = u16_at(wd, 0).ok_or_else(short)?;
        if ident != 0xA5EC {
            return Err(damaged(format!(
                "bad FIB signature {ident:#06x} (expected 0xa5ec)"
            )));
        }
        let n_fib = u16_at(wd, 2).ok_or_else(short)?;
        let flags = u16_at(wd, 0x0A).ok_or_else(short)?;
        if flags & 0x0100 != 0 || flags & 0x8000 != 0 {
            return Err(DecodeError::new(
                "encrypted .doc: cannot be read without the password",
            ));
        }
        if n_fib < 0x00C0 {
            return Err(DecodeError::new(format!(
                "unsupported .doc: Word 6.0/95 format (nFib {n_fib:#x}); re-save as Word 97-2003 or .docx"
            )));
        }
        let csw = u16_at(wd, 0x20).ok_or_else(short)? as usize;
        let lw_pos = 0x22 + csw * 2;
        let cslw = u16_at(wd, lw_pos).ok_or_else(short)? as usize;
        if cslw < 4 {
            return Err(damaged("the FIB has no ccpText"));
        }
        let lw = lw_pos + 2;
        let ccp_text = u32_at(wd, lw + 3 * 4).ok_or_else(short)?;
        let fc_pos = lw + cslw * 4;
        let cb_rg_fc_lcb = u16_at(wd, fc_pos).ok_or_else(short)? as usize;
        if cb_rg_fc_lcb < 34 {
            return Err(damaged("the FIB has no CLX location"));
        }
        let fclcb = |i: usize| u32_at(wd, fc_pos + 2 + i * 4).ok_or_else(short);
        Ok(Fib {
            which_table_1: flags & 0x0200 != 0,
            ccp_text,
            fc_plcf_bte_papx: fclcb(13 * 2)?,
            lcb_plcf_bte_papx: fclcb(13 * 2 + 1)?,
            fc_stshf: fclcb(2)?,
            lcb_stshf: fclcb(3)?,
            fc_clx: fclcb(33 * 2)?,
            lcb_clx: fclcb(33 * 2 + 1)?,
        })
    }
}

/// `len` bytes at `off` of `b`, or an error naming `what`.
fn slice<'a>(b: &'a [u8], off: u32, len: u32, what: &str) -> Result<&'a [u8], DecodeError> {
    let start = off as usize;
    start
        .checked_add(len as usize)
        .and_then(|end| b.get(start..end))
        .ok_or_else(|| damaged(format!("the {what} lies outside its stream")))
}

/// The main document's text as UTF-16 code units, with each unit's offset in the
/// WordDocument stream (needed to find paragraph properties).
fn main_text(wd: &[u8], table: &[u8], fib: &Fib) -> Result<(Vec<u16>, Vec<u32>), DecodeError> {
    let clx = slice(table, fib.fc_clx, fib.lcb_clx, "CLX")?;
    let mut pos = 0usize;
    let plc = loop {
        match clx.get(pos) {
            Some(0x01) => {
                let cb = u16_at(clx, pos + 1).ok_or_else(|| damaged("truncated CLX"))?;
                pos += 3 + cb as usize;
            }
            Some(0x02) => {
                let lcb = u32_at(clx, pos + 1).ok_or_else(|| damaged("truncated CLX"))?;
                break slice(clx, (pos + 5) as u32, lcb, "piece table")?;
            }
            Some(b) => return Err(damaged(format!("unexpected CLX entry {b:#04x}"))),
            None => return Err(damaged("the CLX has no piece table")),
        }
    };
    if plc.len() < 16 || (plc.len() - 4) % 12 != 0 {
        return Err(damaged("the piece table has a bad size"));
    }
    let n = (plc.len() - 4) / 12;
    let ccp_text = fib.ccp_text;
    // Every character takes at least one byte of the stream.
    if ccp_text as usize > wd.len() {
        return Err(damaged("ccpText is larger than the WordDocument stream"));
    }
    let mut units = Vec::with_capacity(ccp_text as usize);
    let mut fcs = Vec::with_capacity(ccp_text as usize);
    for i in 0..n {
        let bad = || damaged("truncated piece table");
        let cp_start = u32_at(plc, i * 4).ok_or_else(bad)?;
        let cp_end = u32_at(plc, (i + 1) * 4).ok_or_else(bad)?;
        if cp_start >= ccp_text {
            break;
        }
        if cp_end < cp_start {
            return Err(damaged("the piece table's positions go backwards"));
        }
        let count = cp_end.min(ccp_text) - cp_start;
        let pcd = (n + 1) * 4 + i * 8;
        let fc_raw = u32_at(plc, pcd + 2).ok_or_else(bad)?;
        if fc_raw & 0x4000_0000 != 0 {
            let fc = (fc_raw & !0x4000_0000) / 2;
            let bytes = slice(wd, fc, count, "text piece")?;
            for (k, &b) in bytes.iter().enumerate() {
                units.push(cp1252(b));
                fcs.push(fc + k as u32);
            }
        } else {
            let len = count
                .checked_mul(2)
                .ok_or_else(|| damaged("text piece too long"))?;
            let bytes = slice(wd, fc_raw, len, "text piece")?;
            for (k, pair) in bytes.chunks_exact(2).enumerate() {
                units.push(u16::from_le_bytes([pair[0], pair[1]]));
                fcs.push(fc_raw + 2 * k as u32);
            }
        }
    }
    Ok((units, fcs))
}

/// One cp1252 byte as a UTF-16 unit (control bytes stay as they are).
fn cp1252(b: u8) -> u16 {
    if b < 0x80 {
        return b as u16;
    }
    let (s, _, _) = encoding_rs::WINDOWS_1252.decode(std::slice::from_ref(&b));
    s.encode_utf16().next().unwrap_or(0xFFFD)
}

/// Paragraph properties that matter here.
#[derive(Debug, Clone, Copy, Default)]
struct ParaProps {
    in_table: bool,
    ttp: bool,
    /// The paragraph style's index in the style sheet.
    istd: u16,
    /// sprmPOutLvl: a direct outline level (0 = level 1; 9 = body text).
    outline: Option<u8>,
}

/// The PlcBtePapx: which FKP page holds the PAPX of a stream offset.
struct PapxIndex<'a> {
    wd: &'a [u8],
    /// The Data stream, for huge PAPX.
    data: &'a [u8],
    fcs: Vec<u32>,
    pages: Vec<u32>,
}

impl<'a> PapxIndex<'a> {
    fn parse(table: &[u8], fib: &Fib, wd: &'a [u8], data: &'a [u8]) -> Option<PapxIndex<'a>> {
        let plc = slice(table, fib.fc_plcf_bte_papx, fib.lcb_plcf_bte_papx, "PAPX").ok()?;
        if plc.len() < 12 || (plc.len() - 4) % 8 != 0 {
            return None;
        }
        let n = (plc.len() - 4) / 8;
        let fcs = (0..=n)
            .map(|i| u32_at(plc, i * 4))
            .collect::<Option<Vec<_>>>()?;
        let pages = (0..n)
            .map(|i| u32_at(plc, (n + 1) * 4 + i * 4).map(|p| p & 0x003F_FFFF))
            .collect::<Option<Vec<_>>>()?;
        Some(PapxIndex {
            wd,
            data,
            fcs,
            pages,
        })
    }

    /// The properties of the paragraph whose mark is at stream offset `fc`; `None`
    /// when the file does not say.
    fn props(&self, fc: u32) -> Option<ParaProps> {
        // Last bin whose first offset is <= fc.
        let i = self.fcs.partition_point(|&x| x <= fc).checked_sub(1)?;
        let page = *self.pages.get(i)? as usize;
        let start = page.checked_mul(FKP_SIZE)?;
        let fkp = self.wd.get(start..start.checked_add(FKP_SIZE)?)?;
        let crun = fkp[FKP_SIZE - 1] as usize;
        let rgfc = (0..=crun)
            .map(|k| u32_at(fkp, k * 4))
            .collect::<Option<Vec<_>>>()?;
        let j = rgfc.partition_point(|&x| x <= fc).checked_sub(1)?;
        if j >= crun {
            return None;
        }
        let b_offset = *fkp.get((crun + 1) * 4 + j * 13)? as usize * 2;
        if b_offset == 0 {
            return Some(ParaProps::default());
        }
        let cb = *fkp.get(b_offset)? as usize;
        let (from, len) = if cb == 0 {
            (b_offset + 2, *fkp.get(b_offset + 1)? as usize * 2)
        } else {
            (b_offset + 1, cb * 2 - 1)
        };
        let end = (from + len).min(FKP_SIZE - 1);
        // The style index, then the sprms.
        let istd = u16_at(fkp, from)?;
        let grpprl = fkp.get(from + 2..end)?;
        Some(ParaProps {
            istd,
            ..parse_para_sprms(grpprl, self.data)
        })
    }
}

fn parse_para_sprms(grpprl: &[u8], data: &[u8]) -> ParaProps {
    let mut props = ParaProps::default();
    apply_para_sprms(grpprl, data, &mut props, true);
    props
}

/// Applies the paragraph sprms of `grpprl` to `props`; `follow_huge` lets one
/// sprmPHugePapx send the reading to the Data stream.
fn apply_para_sprms(grpprl: &[u8], data: &[u8], props: &mut ParaProps, follow_huge: bool) {
    let mut p = 0usize;
    while let Some(sprm) = u16_at(grpprl, p) {
        p += 2;
        let Some(len) = operand_len(sprm, grpprl, p) else {
            break;
        };
        let first = grpprl.get(p).copied().unwrap_or(0);
        match sprm {
            0x2416 => props.in_table = first != 0,
            0x2417 => props.ttp = first != 0,
            0x2640 => props.outline = Some(first),
            // sprmPItap: depth > 0 means in a table.
            0x6649 if u32_at(grpprl, p).unwrap_or(0) > 0 => props.in_table = true,
            // sprmPHugePapx: the real properties are in the Data stream.
            0x6646 if follow_huge => {
                if let Some(off) = u32_at(grpprl, p) {
                    let off = off as usize;
                    if let Some(cb) = u16_at(data, off) {
                        if let Some(huge) = data.get(off + 2..off + 2 + cb as usize) {
                            apply_para_sprms(huge, data, props, false);
                        }
                    }
                }
            }
            _ => {}
        }
        p += len;
    }
}

/// The operand size of `sprm` whose operand starts at `p`.
fn operand_len(sprm: u16, b: &[u8], p: usize) -> Option<usize> {
    Some(match sprm >> 13 {
        0 | 1 => 1,
        2 | 4 | 5 => 2,
        3 => 4,
        7 => 3,
        _ => match sprm {
            // sprmTDefTable: a 2-byte size, incremented by one.
            0xD608 | 0xD606 => (u16_at(b, p)? as usize).max(1) + 1,
            // sprmPChgTabs with the 255 escape.
            0xC615 if *b.get(p)? == 255 => {
                let del = *b.get(p + 1)? as usize;
                let add = *b.get(p + 2 + del * 4)? as usize;
                3 + del * 4 + add * 3
            }
            _ => 1 + *b.get(p)? as usize,
        },
    })
}

/// How a paragraph ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// 0x0D, or a page/column break.
    Para,
    /// 0x07: a cell end or a row mark.
    Cell,
}

#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    rows: Vec<Vec<Cell>>,
    row: Vec<Cell>,
    cell_paras: Vec<String>,
    table_pics: Vec<Block>,
}

impl Builder {
    fn in_row(&self) -> bool {
        !self.row.is_empty() || !self.cell_paras.is_empty()
    }

    fn end_cell(&mut self, text: String) {
        self.cell_paras.push(text);
        let paras: Vec<&str> = self
            .cell_paras
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        self.row.push(Cell::new(paras.join("\n")));
        self.cell_paras.clear();
    }

    fn end_row(&mut self) {
        if !self.cell_paras.is_empty() {
            self.end_cell(String::new());
        }
        if !self.row.is_empty() {
            self.rows.push(std::mem::take(&mut self.row));
        }
    }

    fn end_table(&mut self) {
        self.end_row();
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            self.blocks.push(Block::Table(Table::from_spanned_rows(
                rows,
                TableOrigin::DocxTable,
                None,
            )));
        }
        self.blocks.append(&mut self.table_pics);
    }

    fn paragraph(&mut self, text: String, pics: usize, level: Option<u8>) {
        self.end_table();
        let t = text.trim();
        if !t.is_empty() {
            self.blocks.push(match level {
                Some(level) => Block::Heading {
                    text: t.to_string(),
                    level,
                },
                None => Block::Paragraph(t.to_string()),
            });
        }
        for _ in 0..pics {
            self.blocks.push(picture());
        }
    }
}

fn picture() -> Block {
    Block::Picture(Picture {
        name: Some("doc-picture".into()),
        bytes: Vec::new(),
        dpi: None,
        page: None,
        whole_page: false,
    })
}

fn build_document(
    units: &[u16],
    fcs: &[u32],
    papx: Option<&PapxIndex>,
    styles: &HeadingStyles,
) -> Document {
    let mut b = Builder::default();
    let mut buf: Vec<u16> = Vec::new();
    let mut pics = 0usize;
    // One entry per open field: false while in its code, true in its result.
    let mut fields: Vec<bool> = Vec::new();
    // For the character-stream guess: was the previous paragraph a cell end?
    let mut prev_cell_end = false;
    for (i, &u) in units.iter().enumerate() {
        let end = match u {
            0x0D => Some(End::Para),
            0x07 => Some(End::Cell),
            0x0C | 0x0E => Some(End::Para),
            _ => None,
        };
        if let Some(end) = end {
            let text = String::from_utf16_lossy(&buf);
            buf.clear();
            let n_pics = std::mem::take(&mut pics);
            let props = if u == 0x0C || u == 0x0E {
                None
            } else {
                papx.and_then(|p| fcs.get(i).and_then(|&fc| p.props(fc)))
            };
            match end {
                End::Cell => {
                    let ttp = match props {
                        Some(p) => p.ttp,
                        // Guess: an empty paragraph right after a cell end is the row mark.
                        None => prev_cell_end && text.trim().is_empty(),
                    };
                    if ttp {
                        b.end_row();
                        prev_cell_end = false;
                    } else {
                        b.end_cell(text);
                        prev_cell_end = true;
                    }
                    for _ in 0..n_pics {
                        b.table_pics.push(picture());
                    }
                }
                End::Para => {
                    let in_table = match props {
                        Some(p) => p.in_table,
                        None => b.in_row(),
                    };
                    if in_table {
                        b.cell_paras.push(text);
                        for _ in 0..n_pics {
                            b.table_pics.push(picture());
                        }
                    } else {
                        // A direct outline level wins over the style's.
                        let level = props.and_then(|p| match p.outline {
                            Some(o) => (o < 9).then_some(o + 1),
                            None => styles.level(p.istd),
                        });
                        b.paragraph(text, n_pics, level);
                    }
                    prev_cell_end = false;
                }
            }
            continue;
        }
        match u {
            0x13 => {
                if fields.len() < MAX_FIELD_DEPTH {
                    fields.push(false);
                }
                continue;
            }
            0x14 => {
                if let Some(top) = fields.last_mut() {
                    *top = true;
                }
                continue;
            }
            0x15 => {
                fields.pop();
                continue;
            }
            _ => {}
        }
        if fields.iter().any(|&in_result| !in_result) {
            continue;
        }
        match u {
            0x01 => pics += 1,
            0x0B => buf.push(u16::from(b'\n')),
            0x09 | 0xA0 => buf.push(u16::from(b' ')),
            0x1E => buf.push(u16::from(b'-')),
            0x00..=0x1F => {}
            _ => buf.push(u),
        }
    }
    if !buf.is_empty() || pics > 0 {
        let text = String::from_utf16_lossy(&buf);
        if b.in_row() {
            b.cell_paras.push(text);
            for _ in 0..pics {
                b.table_pics.push(picture());
            }
        } else {
            b.paragraph(text, pics, None);
        }
    }
    b.end_table();
    Document {
        blocks: b.blocks,
        title_hint: None,
        problems: Vec::new(),
        ocr_text: false,
        decode_warnings: Vec::new(),
    }
}

#[cfg(test)]
#[path = "doc_tests.rs"]
mod tests;
