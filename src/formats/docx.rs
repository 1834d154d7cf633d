//! DOCX decoder: the bytes of a `.docx` file → [`Document`].
//!
//! The main part (`word/document.xml`) is read with a streaming XML parser (quick-xml)
//! rather than through `docx-rs`: `docx_rs::read_docx` takes ~25 ms per typical report
//! (it also parses the ~350 KB `styles.xml` into a full model), which is too slow for the
//! pipeline's throughput target, and it can panic on damaged archives. This parser needs
//! ~1 ms and extracts exactly what the IR needs:
//!
//! - paragraphs (text of runs, also inside hyperlinks, insertions, smart tags, SDTs,
//!   custom XML, fields' results and text boxes; tabs → ' ', breaks → '\n'), headings by
//!   direct outline level or by paragraph style (resolved through `styles.xml`);
//! - tables on the real grid (`gridBefore`, `gridSpan`, `vMerge`, legacy `hMerge`), built
//!   with [`Table::from_spanned_rows`]; nested tables become text of their cell;
//! - pictures (`a:blip r:embed`, `v:imagedata r:id`), resolved through the part's
//!   relationships and read from the zip, emitted where they occur (after the paragraph's
//!   text, or after the table that holds them);
//! - `dc:title` from the core properties as `title_hint`.
//!
//! Deleted text (`w:del`, `w:moveFrom`), property-change history, field codes and the
//! VML fallback of `mc:AlternateContent` are ignored. Headers, footers, footnotes and
//! comments are not read.

use super::DecodeError;
use crate::document::{Block, Cell, Document, Picture, Table, TableOrigin};
use quick_xml::events::Event;
use std::collections::HashMap;
use std::io::Cursor;

#[path = "docx_parts.rs"]
mod parts;
pub(crate) use parts::{
    attr, event_text, find_entry, heading_number, join_path, local, new_reader, read_part,
    PartError,
};
use parts::{parse_core_title, parse_rels, parse_styles, Styles};

/// Largest main document part we unpack.
const MAX_DOCUMENT_XML: u64 = 200 << 20;
/// Largest single picture we keep; bigger ones are skipped.
const MAX_PICTURE: u64 = 64 << 20;
/// Budget for all pictures of one document together; pictures past it are skipped.
const MAX_ALL_PICTURES: u64 = 512 << 20;
/// Largest auxiliary part (relationships, styles, core properties) we read.
const MAX_SMALL_PART: u64 = 32 << 20;
/// Spans beyond this are nonsense; `from_spanned_rows` clamps to the same value.
const MAX_SPAN: u32 = 64;

/// Decodes a DOCX file into blocks in document order. Never panics.
pub fn decode_docx(bytes: &[u8]) -> Result<Document, DecodeError> {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(DecodeError::new(
            "not a DOCX: the file is an OLE compound file (an old binary .doc, or a \
             password-protected DOCX), not a zip archive",
        ));
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(DecodeError::new(
            "not a DOCX: the file is not a zip archive",
        ));
    }
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_inner(bytes))) {
        Ok(result) => result,
        Err(_) => Err(DecodeError::new(
            "DOCX could not be decoded: the reader failed on this file (internal error)",
        )),
    }
}

pub(crate) type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

fn decode_inner(bytes: &[u8]) -> Result<Document, DecodeError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        let e = e.to_string();
        DecodeError::new(if e.contains("EOCD") {
            format!("DOCX is damaged: the zip archive is incomplete, probably cut off ({e})")
        } else {
            format!("DOCX is damaged: the zip archive cannot be read ({e})")
        })
    })?;

    // Package relationships name the main part and the core properties.
    let pkg_rels = match read_part(&mut zip, "_rels/.rels", MAX_SMALL_PART) {
        Ok(Some(xml)) => parse_rels(&xml, ""),
        _ => HashMap::new(),
    };
    let rel_of_type = |suffix: &str| {
        pkg_rels
            .values()
            .filter(|r| !r.external && r.kind.ends_with(suffix))
            .map(|r| r.target.clone())
            .min()
    };
    let mut doc_path = rel_of_type("/officeDocument").unwrap_or_default();
    if doc_path.is_empty() || find_entry(&zip, &doc_path).is_none() {
        doc_path = "word/document.xml".to_string();
    }
    let core_path = rel_of_type("/core-properties").unwrap_or_else(|| "docProps/core.xml".into());

    let doc_xml = match read_part(&mut zip, &doc_path, MAX_DOCUMENT_XML) {
        Ok(Some(xml)) => xml,
        Ok(None) => return Err(DecodeError::new(format!("DOCX has no {doc_path}"))),
        Err(PartError::TooLarge(n)) => {
            return Err(DecodeError::new(format!(
                "DOCX is too large: {doc_path} unpacks to {} MiB or more (limit {} MiB)",
                n >> 20,
                MAX_DOCUMENT_XML >> 20
            )))
        }
        Err(PartError::Damaged(e)) => {
            return Err(DecodeError::new(format!(
                "DOCX is damaged: {doc_path} cannot be unpacked ({e})"
            )))
        }
    };

    let pending = parse_document(&doc_xml).map_err(|e| {
        DecodeError::new(format!(
            "DOCX is damaged: {doc_path} is cut off or not well-formed XML ({e})"
        ))
    })?;
    drop(doc_xml);

    let (doc_dir, doc_file) = match doc_path.rfind('/') {
        Some(i) => (&doc_path[..i], &doc_path[i + 1..]),
        None => ("", doc_path.as_str()),
    };
    let rels_path = if doc_dir.is_empty() {
        format!("_rels/{doc_file}.rels")
    } else {
        format!("{doc_dir}/_rels/{doc_file}.rels")
    };
    let needs_rels = pending.iter().any(|p| matches!(p, Pending::Picture(_)));
    let doc_rels = match needs_rels {
        true => match read_part(&mut zip, &rels_path, MAX_SMALL_PART) {
            Ok(Some(xml)) => parse_rels(&xml, doc_dir),
            _ => HashMap::new(),
        },
        false => HashMap::new(),
    };

    // Styles are only needed when some paragraph has a style and no direct outline level.
    let needs_styles = pending.iter().any(|p| {
        matches!(
            p,
            Pending::Para {
                style: Some(_),
                outline: None,
                ..
            }
        )
    });
    let styles = if needs_styles {
        let path = doc_rels
            .values()
            .find(|r| !r.external && r.kind.ends_with("/styles"))
            .map(|r| r.target.clone())
            .unwrap_or_else(|| join_path(doc_dir, "styles.xml"));
        match read_part(&mut zip, &path, MAX_SMALL_PART) {
            Ok(Some(xml)) => parse_styles(&xml),
            _ => Styles::default(),
        }
    } else {
        Styles::default()
    };

    let mut blocks = Vec::with_capacity(pending.len());
    let mut picture_budget = MAX_ALL_PICTURES;
    for p in pending {
        match p {
            Pending::Para {
                text,
                style,
                outline,
            } => {
                let level = match outline {
                    Some(o) if o < 9 => Some(o + 1),
                    Some(_) => None,
                    None => style.as_deref().and_then(|s| styles.heading_level(s)),
                };
                blocks.push(match level {
                    Some(level) => Block::Heading { text, level },
                    None => Block::Paragraph(text),
                });
            }
            Pending::Table(t) => blocks.push(Block::Table(t)),
            Pending::Picture(rid) => {
                let Some(rel) = doc_rels.get(&rid) else {
                    continue;
                };
                if rel.external {
                    continue;
                }
                let limit = MAX_PICTURE.min(picture_budget);
                if let Ok(Some(bytes)) = read_part(&mut zip, &rel.target, limit) {
                    picture_budget -= bytes.len() as u64;
                    blocks.push(Block::Picture(Picture {
                        name: Some(rel.target.clone()),
                        bytes,
                        dpi: None,
                        page: None,
                        whole_page: false,
                    }));
                }
            }
        }
    }

    let title_hint = match read_part(&mut zip, &core_path, MAX_SMALL_PART) {
        Ok(Some(xml)) => parse_core_title(&xml),
        _ => None,
    };
    Ok(Document {
        blocks,
        title_hint,
        problems: Vec::new(),
        ocr_text: false,
        decode_warnings: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------
// The main document part

/// A block before styles and pictures are resolved.
enum Pending {
    Para {
        text: String,
        style: Option<String>,
        outline: Option<u8>,
    },
    Table(Table),
    /// Relationship id of an embedded picture.
    Picture(String),
}

#[derive(Default)]
struct ParaAcc {
    text: String,
    style: Option<String>,
    outline: Option<u8>,
    pics: Vec<String>,
}

#[derive(Default, Clone, Copy, PartialEq)]
enum Merge {
    #[default]
    None,
    Restart,
    Continue,
}

#[derive(Default)]
struct CellAcc {
    paras: Vec<String>,
    grid_span: u32,
    vmerge: Merge,
    hmerge: Merge,
    pics: Vec<String>,
}

#[derive(Default)]
struct RowAcc {
    grid_before: u32,
    cells: Vec<CellAcc>,
    pics: Vec<String>,
}

#[derive(Default)]
struct TableAcc {
    rows: Vec<RowAcc>,
    pics: Vec<String>,
}

enum Frame {
    Para(ParaAcc),
    Table(TableAcc),
    Row(RowAcc),
    Cell(CellAcc),
}

impl Frame {
    fn pics(&mut self) -> &mut Vec<String> {
        match self {
            Frame::Para(p) => &mut p.pics,
            Frame::Table(t) => &mut t.pics,
            Frame::Row(r) => &mut r.pics,
            Frame::Cell(c) => &mut c.pics,
        }
    }
}

#[derive(Clone, Copy)]
enum Props {
    Para,
    Row,
    Cell,
}

/// Elements whose whole subtree carries nothing we want.
fn is_skipped(name: &[u8]) -> bool {
    matches!(
        name,
        b"del"
            | b"moveFrom"
            | b"delText"
            | b"instrText"
            | b"delInstrText"
            | b"sdtPr"
            | b"sdtEndPr"
            | b"Fallback"
            | b"sectPr"
            | b"tblPr"
            | b"tblGrid"
            | b"tblPrEx"
            | b"rPr"
            | b"fldData"
    ) || name.ends_with(b"Change")
}

fn parse_span(v: Option<String>) -> u32 {
    v.and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(1)
        .clamp(1, MAX_SPAN)
}

fn parse_merge(e: &quick_xml::events::BytesStart<'_>) -> Merge {
    match attr(e, b"val", false).as_deref() {
        Some("restart") => Merge::Restart,
        _ => Merge::Continue,
    }
}

struct DocParser {
    stack: Vec<Frame>,
    out: Vec<Pending>,
}

fn parse_document(xml: &[u8]) -> Result<Vec<Pending>, String> {
    let xml = xml.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(xml);
    let mut reader = new_reader(xml);
    let mut p = DocParser {
        stack: Vec::new(),
        out: Vec::new(),
    };
    let mut depth = 0usize;
    let mut skip = 0usize;
    let mut props: Option<(Props, usize)> = None;
    let mut in_t = false;
    let mut root: Option<String> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("{e} near byte {}", reader.error_position()))?;
        match &event {
            Event::Start(e) => {
                depth += 1;
                if skip > 0 {
                    skip += 1;
                    continue;
                }
                let qname = e.name();
                let name = local(qname.as_ref());
                if root.is_none() {
                    root = Some(String::from_utf8_lossy(name).into_owned());
                }
                if is_skipped(name) {
                    skip = 1;
                    continue;
                }
                if let Some((kind, _)) = props {
                    p.prop(kind, name, e);
                    continue;
                }
                match name {
                    b"p" => p.stack.push(Frame::Para(ParaAcc::default())),
                    b"tbl" => p.stack.push(Frame::Table(TableAcc::default())),
                    b"tr" => p.stack.push(Frame::Row(RowAcc::default())),
                    b"tc" => p.stack.push(Frame::Cell(CellAcc {
                        grid_span: 1,
                        ..CellAcc::default()
                    })),
                    b"pPr" => props = Some((Props::Para, depth)),
                    b"trPr" => props = Some((Props::Row, depth)),
                    b"tcPr" => props = Some((Props::Cell, depth)),
                    b"t" => in_t = true,
                    b"tab" | b"ptab" => p.push_text(" "),
                    b"br" | b"cr" => p.push_text("\n"),
                    b"noBreakHyphen" => p.push_text("-"),
                    b"blip" => {
                        if let Some(rid) = attr(e, b"embed", true) {
                            p.push_pic(rid);
                        }
                    }
                    b"imagedata" => {
                        if let Some(rid) = attr(e, b"id", true) {
                            p.push_pic(rid);
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                if depth == 0 {
                    return Err("unexpected closing tag".into());
                }
                depth -= 1;
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                if let Some((_, d)) = props {
                    if depth < d {
                        props = None;
                    }
                    continue;
                }
                match local(e.name().as_ref()) {
                    b"t" => in_t = false,
                    b"p" => p.end_para(),
                    b"tc" => p.end_cell(),
                    b"tr" => p.end_row(),
                    b"tbl" => p.end_table(),
                    _ => {}
                }
            }
            Event::Eof => break,
            ev => {
                if in_t && skip == 0 {
                    if let Some(t) = event_text(ev) {
                        p.push_text(&t);
                    }
                }
            }
        }
    }
    if depth != 0 {
        return Err(format!("the file ends with {depth} elements still open"));
    }
    match root.as_deref() {
        Some("document") => Ok(p.out),
        Some(other) => Err(format!(
            "the root element is <{other}>, not a WordprocessingML <w:document>"
        )),
        None => Err("the part is empty".into()),
    }
}

impl DocParser {
    fn push_text(&mut self, s: &str) {
        if let Some(Frame::Para(para)) = self.stack.last_mut() {
            para.text.push_str(s);
        }
    }

    fn push_pic(&mut self, rid: String) {
        match self.stack.last_mut() {
            Some(frame) => frame.pics().push(rid),
            None => self.out.push(Pending::Picture(rid)),
        }
    }

    fn prop(&mut self, kind: Props, name: &[u8], e: &quick_xml::events::BytesStart<'_>) {
        match (kind, self.stack.last_mut()) {
            (Props::Para, Some(Frame::Para(para))) => match name {
                b"pStyle" => para.style = attr(e, b"val", false),
                b"outlineLvl" => {
                    para.outline = attr(e, b"val", false).and_then(|v| v.trim().parse().ok())
                }
                _ => {}
            },
            (Props::Row, Some(Frame::Row(row))) if name == b"gridBefore" => {
                row.grid_before = parse_span(attr(e, b"val", false));
            }
            (Props::Cell, Some(Frame::Cell(cell))) => match name {
                b"gridSpan" => cell.grid_span = parse_span(attr(e, b"val", false)),
                b"vMerge" => cell.vmerge = parse_merge(e),
                b"hMerge" => cell.hmerge = parse_merge(e),
                _ => {}
            },
            _ => {}
        }
    }

    fn end_para(&mut self) {
        let Some(Frame::Para(para)) = self.stack.pop() else {
            return;
        };
        let text = clean_text(&para.text);
        match self.stack.last_mut() {
            None => {
                if !text.is_empty() {
                    self.out.push(Pending::Para {
                        text,
                        style: para.style,
                        outline: para.outline,
                    });
                }
                self.out.extend(para.pics.into_iter().map(Pending::Picture));
            }
            Some(Frame::Cell(cell)) => {
                cell.paras.push(text);
                cell.pics.extend(para.pics);
            }
            Some(Frame::Para(outer)) => {
                // A paragraph of a text box anchored in `outer`.
                append_line(&mut outer.text, &text);
                outer.pics.extend(para.pics);
            }
            Some(frame) => frame.pics().extend(para.pics),
        }
    }

    fn end_cell(&mut self) {
        let Some(Frame::Cell(cell)) = self.stack.pop() else {
            return;
        };
        match self.stack.last_mut() {
            Some(Frame::Row(row)) => row.cells.push(cell),
            Some(frame) => frame.pics().extend(cell.pics),
            None => self.out.extend(cell.pics.into_iter().map(Pending::Picture)),
        }
    }

    fn end_row(&mut self) {
        let Some(Frame::Row(row)) = self.stack.pop() else {
            return;
        };
        match self.stack.last_mut() {
            Some(Frame::Table(table)) => table.rows.push(row),
            Some(frame) => frame.pics().extend(row.pics),
            None => self.out.extend(row.pics.into_iter().map(Pending::Picture)),
        }
    }

    fn end_table(&mut self) {
        let Some(Frame::Table(acc)) = self.stack.pop() else {
            return;
        };
        let (anchors, pics) = table_anchors(acc);
        match self.stack.last_mut() {
            None => {
                self.out.push(Pending::Table(Table::from_spanned_rows(
                    anchors,
                    TableOrigin::DocxTable,
                    None,
                )));
                self.out.extend(pics.into_iter().map(Pending::Picture));
            }
            Some(Frame::Cell(cell)) => {
                cell.paras.push(nested_table_text(&anchors));
                cell.pics.extend(pics);
            }
            Some(Frame::Para(para)) => {
                append_line(&mut para.text, &nested_table_text(&anchors));
                para.pics.extend(pics);
            }
            Some(frame) => frame.pics().extend(pics),
        }
    }
}

fn append_line(text: &mut String, line: &str) {
    if line.is_empty() {
        return;
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(line);
}

/// Trims the paragraph and each of its lines' trailing spaces; drops empty lines at the ends.
fn clean_text(text: &str) -> String {
    let text = text.trim();
    if !text.contains('\n') {
        return text.to_string();
    }
    text.split('\n')
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text of a table nested in a cell: each row's cell texts joined by ' ', rows by '\n'.
fn nested_table_text(rows: &[Vec<Cell>]) -> String {
    rows.iter()
        .map(|row| {
            row.iter()
                .map(|c| c.text.as_str())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Turns the raw rows into rows of anchor cells with spans for `from_spanned_rows`:
/// vertically merged continuation cells are folded into the row span of the cell above at
/// the same grid column; `gridBefore` becomes empty leading cells. Also collects the
/// table's pictures in document order.
fn table_anchors(acc: TableAcc) -> (Vec<Vec<Cell>>, Vec<String>) {
    let mut pics = acc.pics;
    let mut anchors: Vec<Vec<Cell>> = Vec::with_capacity(acc.rows.len());
    // Grid column where an anchor starts → (row, index in row), for the previous row.
    let mut above: HashMap<usize, (usize, usize)> = HashMap::new();
    for row in acc.rows {
        let r = anchors.len();
        let mut cells: Vec<Cell> = Vec::with_capacity(row.cells.len());
        let mut here: HashMap<usize, (usize, usize)> = HashMap::new();
        let mut g = 0usize;
        for _ in 0..row.grid_before {
            cells.push(Cell::new(""));
            g += 1;
        }
        for cell in row.cells {
            pics.extend(cell.pics);
            let span = cell.grid_span.clamp(1, MAX_SPAN);
            if cell.hmerge == Merge::Continue {
                if let Some(last) = cells.last_mut() {
                    last.col_span = (last.col_span + span).min(MAX_SPAN);
                    g = g.saturating_add(span as usize);
                    continue;
                }
            }
            if cell.vmerge == Merge::Continue {
                if let Some(&(ar, ai)) = above.get(&g) {
                    if let Some(anchor) = anchors.get_mut(ar).and_then(|row| row.get_mut(ai)) {
                        anchor.row_span = anchor.row_span.saturating_add(1);
                        here.insert(g, (ar, ai));
                        g = g.saturating_add(span as usize);
                        continue;
                    }
                }
            }
            let text = cell
                .paras
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            let mut c = Cell::new(text);
            c.col_span = span;
            here.insert(g, (r, cells.len()));
            cells.push(c);
            g = g.saturating_add(span as usize);
        }
        pics.extend(row.pics);
        anchors.push(cells);
        above = here;
    }
    (anchors, pics)
}

#[cfg(test)]
#[path = "docx_tests.rs"]
mod tests;
