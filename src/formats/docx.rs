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
use quick_xml::Reader;
use std::collections::HashMap;
use std::io::{Cursor, Read};

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
// Zip access

pub(crate) enum PartError {
    TooLarge(u64),
    Damaged(String),
}

/// Index of an entry, tolerating a leading '/', Windows separators and letter case.
pub(crate) fn find_entry(zip: &Zip<'_>, name: &str) -> Option<usize> {
    let name = name.trim_start_matches('/');
    if let Some(i) = zip.index_for_name(name) {
        return Some(i);
    }
    let norm = |s: &str| s.replace('\\', "/").trim_start_matches('/').to_lowercase();
    let want = norm(name);
    (0..zip.len()).find(|&i| zip.name_for_index(i).is_some_and(|n| norm(n) == want))
}

/// Reads an entry fully if it exists and unpacks to at most `limit` bytes.
pub(crate) fn read_part(
    zip: &mut Zip<'_>,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, PartError> {
    let Some(index) = find_entry(zip, name) else {
        return Ok(None);
    };
    let file = zip
        .by_index(index)
        .map_err(|e| PartError::Damaged(e.to_string()))?;
    let size = file.size();
    if size > limit {
        return Err(PartError::TooLarge(size));
    }
    let mut data = Vec::with_capacity(size.min(8 << 20) as usize);
    // The declared size may lie: never read more than limit + 1 bytes.
    file.take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| PartError::Damaged(e.to_string()))?;
    if data.len() as u64 > limit {
        return Err(PartError::TooLarge(data.len() as u64));
    }
    let is_xml = name.ends_with(".xml") || name.ends_with(".rels");
    if is_xml && data.starts_with(&[0xEF, 0xBB, 0xBF]) {
        data.drain(..3);
    }
    Ok(Some(data))
}

/// `base` + `target` with "." and ".." segments resolved; absolute targets start at the root.
pub(crate) fn join_path(base: &str, target: &str) -> String {
    let target = target.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    if !target.starts_with('/') {
        parts.extend(base.split('/').filter(|s| !s.is_empty()));
    }
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

// ---------------------------------------------------------------------------------------
// Small XML helpers

pub(crate) fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// Resolves the predefined and numeric entities of XML text; invalid UTF-8 is replaced.
pub(crate) fn unescape(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    if !s.contains('&') {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest: &str = &s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match rest.find(';').filter(|&j| j <= 12) {
            Some(j) => {
                match entity(&rest[1..j]) {
                    Some(c) => out.push(c),
                    None => out.push_str(&rest[..=j]),
                }
                rest = &rest[j + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')
        }
    }
}

/// Value of the first attribute whose local name is `name` (any prefix when `prefixed`
/// is false; only a prefixed one such as `r:id` when it is true).
pub(crate) fn attr(
    e: &quick_xml::events::BytesStart<'_>,
    name: &[u8],
    prefixed: bool,
) -> Option<String> {
    e.attributes().with_checks(false).flatten().find_map(|a| {
        let key = a.key.as_ref();
        let ok = local(key) == name && (!prefixed || key.len() > name.len());
        ok.then(|| unescape(&a.value))
    })
}

pub(crate) fn new_reader(xml: &[u8]) -> Reader<&[u8]> {
    let mut reader = Reader::from_reader(xml);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    reader
}

/// Text of an event inside an element, or None for other events.
pub(crate) fn event_text(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Text(t) => Some(unescape(t.as_ref())),
        Event::CData(t) => Some(String::from_utf8_lossy(t.as_ref()).into_owned()),
        Event::GeneralRef(r) => {
            let name = String::from_utf8_lossy(r.as_ref());
            Some(match entity(&name) {
                Some(c) => c.to_string(),
                None => format!("&{name};"),
            })
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Relationships, styles, core properties

struct Rel {
    kind: String,
    /// Zip path of the target (resolved against the source part's folder).
    target: String,
    external: bool,
}

fn parse_rels(xml: &[u8], base_dir: &str) -> HashMap<String, Rel> {
    let mut rels = HashMap::new();
    let mut reader = new_reader(xml);
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) if local(e.name().as_ref()) == b"Relationship" => {
                let (Some(id), Some(target)) = (attr(&e, b"Id", false), attr(&e, b"Target", false))
                else {
                    continue;
                };
                let external = attr(&e, b"TargetMode", false).is_some_and(|m| m == "External");
                let kind = attr(&e, b"Type", false).unwrap_or_default();
                let target = if external {
                    target
                } else {
                    join_path(base_dir, &target)
                };
                rels.entry(id).or_insert(Rel {
                    kind,
                    target,
                    external,
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    rels
}

#[derive(Default)]
struct StyleInfo {
    name: String,
    based_on: Option<String>,
    outline: Option<u8>,
}

#[derive(Default)]
struct Styles {
    by_id: HashMap<String, StyleInfo>,
}

/// "heading 2", "Heading2", "标题 2", "标题2" → 2.
fn heading_number(name: &str) -> Option<u8> {
    let lower = name.trim().to_lowercase();
    let rest = lower
        .strip_prefix("heading")
        .or_else(|| lower.strip_prefix("标题"))?;
    let n: u8 = rest.trim().parse().ok()?;
    (1..=9).contains(&n).then_some(n)
}

impl Styles {
    fn heading_level(&self, id: &str) -> Option<u8> {
        let mut id = id.to_string();
        for _ in 0..16 {
            let Some(info) = self.by_id.get(&id) else {
                return heading_number(&id);
            };
            if let Some(n) = heading_number(&info.name).or_else(|| heading_number(&id)) {
                return Some(n);
            }
            if let Some(o) = info.outline {
                return (o < 9).then_some(o + 1);
            }
            id = info.based_on.clone()?;
        }
        None
    }
}

fn parse_styles(xml: &[u8]) -> Styles {
    let mut styles = Styles::default();
    let mut reader = new_reader(xml);
    let mut current: Option<(String, StyleInfo)> = None;
    let mut in_ppr = false;
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) => match local(e.name().as_ref()) {
                b"style" => {
                    let is_para = attr(&e, b"type", false).is_none_or(|t| t == "paragraph");
                    current = match (is_para, attr(&e, b"styleId", false)) {
                        (true, Some(id)) => Some((id, StyleInfo::default())),
                        _ => None,
                    };
                }
                b"pPr" => in_ppr = true,
                b"name" => {
                    if let Some((_, info)) = current.as_mut() {
                        info.name = attr(&e, b"val", false).unwrap_or_default();
                    }
                }
                b"basedOn" => {
                    if let Some((_, info)) = current.as_mut() {
                        info.based_on = attr(&e, b"val", false);
                    }
                }
                b"outlineLvl" if in_ppr => {
                    if let Some((_, info)) = current.as_mut() {
                        info.outline = attr(&e, b"val", false).and_then(|v| v.trim().parse().ok());
                    }
                }
                _ => {}
            },
            Event::End(e) => match local(e.name().as_ref()) {
                b"style" => {
                    if let Some((id, info)) = current.take() {
                        styles.by_id.entry(id).or_insert(info);
                    }
                }
                b"pPr" => in_ppr = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    styles
}

fn parse_core_title(xml: &[u8]) -> Option<String> {
    let mut reader = new_reader(xml);
    let mut in_title = false;
    let mut title = String::new();
    while let Ok(event) = reader.read_event() {
        match &event {
            Event::Start(e) if local(e.name().as_ref()) == b"title" => in_title = true,
            Event::End(e) if local(e.name().as_ref()) == b"title" => break,
            Event::Eof => break,
            ev if in_title => {
                if let Some(t) = event_text(ev) {
                    title.push_str(&t);
                }
            }
            _ => {}
        }
    }
    let title = title.trim();
    (!title.is_empty()).then(|| title.to_string())
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
mod tests {
    use super::*;
    use std::io::Write;

    /// Real reports shipped in samples/ (copies from the development corpus).
    const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/docx");

    fn corpus(name: &str) -> Vec<u8> {
        std::fs::read(format!("{CORPUS}/{name}")).expect("sample file")
    }

    /// Rebuilds a zip from `src`, letting `edit` replace or drop entries.
    fn rezip(src: &[u8], edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) -> Vec<u8> {
        let mut zin = zip::ZipArchive::new(Cursor::new(src)).unwrap();
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).unwrap();
            let name = f.name().to_string();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            if let Some(data) = edit(&name, data) {
                w.start_file(name, opts).unwrap();
                w.write_all(&data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn native_tables_of_dev_005() {
        let doc = decode_docx(&corpus("dev-005.docx")).unwrap();
        let ts = doc.tables().collect::<Vec<_>>();
        assert_eq!(ts.len(), 3);
        for t in &ts {
            assert_eq!(t.origin, TableOrigin::DocxTable);
            assert!(t.rows.iter().all(|r| r.len() == t.n_cols()));
        }
        // The requests table: 自然人 + legal persons (5 kinds) + others + total = 10 columns.
        let req = ts
            .iter()
            .find(|t| t.all_text().contains("自然人"))
            .expect("requests table");
        assert_eq!(req.n_cols(), 10);
        // vMerge: the row header "三、本年度办理结果" spans many rows; below it continuation cells.
        let (r, c) = (0..req.rows.len())
            .flat_map(|r| (0..req.n_cols()).map(move |c| (r, c)))
            .find(|&(r, c)| req.rows[r][c].text.starts_with("三、本年度办理结果"))
            .expect("results header");
        let anchor = &req.rows[r][c];
        assert!(anchor.row_span > 1);
        assert_eq!(req.rows[r + 1][c].continuation_of, Some((r, c)));
        assert_eq!(req.shown_text(r + 1, c), anchor.text);
        // Numbers sit in the last 7 columns of every data row.
        let row = req
            .rows
            .iter()
            .find(|row| {
                row.iter()
                    .any(|c| c.text.contains("本年新收政府信息公开申请数量"))
            })
            .expect("new requests row");
        assert!(row[3..].iter().all(|c| c.text.parse::<u64>().is_ok()));
        // Paragraphs come through, in order with the tables.
        assert!(matches!(&doc.blocks[0], Block::Paragraph(t) if t.contains("年度报告")));
        assert!(!doc.blocks.iter().any(|b| matches!(b, Block::Picture(_))));
    }

    #[test]
    fn pictures_of_dev_012() {
        let doc = decode_docx(&corpus("dev-012.docx")).unwrap();
        assert!(doc.tables().collect::<Vec<_>>().is_empty());
        let pics: Vec<&Picture> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Picture(p) => Some(p),
                _ => None,
            })
            .collect();
        assert_eq!(pics.len(), 3);
        assert_eq!(pics[0].name.as_deref(), Some("word/media/image1.png"));
        for p in &pics {
            let png = p.bytes.starts_with(b"\x89PNG\r\n\x1a\n");
            let jpeg = p.bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
            assert!(png || jpeg);
        }
        // The requests picture follows the heading of section three.
        let i = doc
            .blocks
            .iter()
            .position(|b| {
                b.text()
                    .is_some_and(|t| t.ends_with("收到和处理政府信息公开申请情况"))
            })
            .unwrap();
        assert!(matches!(&doc.blocks[i + 1], Block::Picture(p)
            if p.name.as_deref() == Some("word/media/image2.png")));
    }

    #[test]
    fn every_corpus_docx_decodes() {
        let mut n = 0;
        for entry in std::fs::read_dir(CORPUS).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "docx") {
                let doc = decode_docx(&std::fs::read(&path).unwrap()).unwrap();
                assert!(!doc.blocks.is_empty(), "{}", path.display());
                n += 1;
            }
        }
        assert!(n >= 5);
    }

    #[test]
    fn damaged_inputs_are_errors() {
        let real = corpus("dev-005.docx");
        let msg = |b: &[u8]| decode_docx(b).unwrap_err().message;

        assert!(msg(b"").contains("not a zip archive"));
        let junk: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert!(msg(&junk).contains("not a zip archive"));
        let mut pk_junk = b"PK\x03\x04".to_vec();
        pk_junk.extend(&junk);
        assert!(msg(&pk_junk).contains("damaged"));
        assert!(msg(&real[..real.len() / 2]).contains("damaged"));

        let no_doc = rezip(&real, |n, d| (n != "word/document.xml").then_some(d));
        assert_eq!(msg(&no_doc), "DOCX has no word/document.xml");

        let cut = rezip(&real, |n, d| {
            Some(if n == "word/document.xml" {
                d[..d.len() / 3].to_vec()
            } else {
                d
            })
        });
        let m = msg(&cut);
        assert!(m.contains("word/document.xml is cut off"), "{m}");

        let not_xml = rezip(&real, |n, d| {
            Some(if n == "word/document.xml" {
                b"<w:document><w:body><w:p></w:r></w:body>".to_vec()
            } else {
                d
            })
        });
        assert!(msg(&not_xml).contains("not well-formed"));

        // Flipped bytes inside the compressed data: an error or a document, never a panic.
        for step in [97usize, 1013, 4099] {
            let mut bad = real.clone();
            for i in (200..bad.len() - 200).step_by(step) {
                bad[i] ^= 0x5A;
            }
            let _ = decode_docx(&bad);
        }
    }

    #[test]
    fn paragraph_features() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="w" xmlns:r="r" xmlns:mc="mc"><w:body>
<w:p><w:pPr><w:pStyle w:val="2"/><w:tabs><w:tab w:val="left" w:pos="1"/></w:tabs></w:pPr><w:r><w:t>二、主动公开</w:t></w:r></w:p>
<w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>Top</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">a </w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c &amp; d</w:t></w:r>
<w:hyperlink r:id="rId1"><w:r><w:t>link</w:t></w:r></w:hyperlink><w:ins><w:r><w:t>+ins</w:t></w:r></w:ins>
<w:del><w:r><w:delText>gone</w:delText></w:r></w:del><w:sdt><w:sdtPr><w:alias w:val="x"/></w:sdtPr><w:sdtContent><w:r><w:t>+sdt</w:t></w:r></w:sdtContent></w:sdt>
<w:smartTag><w:r><w:t>+tag</w:t></w:r></w:smartTag><w:r><w:instrText>PAGE</w:instrText></w:r></w:p>
<w:p/><w:p><w:r><w:t>  </w:t></w:r></w:p>
<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid>
<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>h</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>m</w:t></w:r></w:p><w:p><w:r><w:t>n</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc><w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>in</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>ner</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p/></w:tc></w:tr>
<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p><w:r><w:t>2</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:drawing><a:blip xmlns:a="a" r:embed="rId9"/></w:drawing></w:r></w:p></w:tc></w:tr>
</w:tbl>
<w:p><w:r><w:t>after</w:t></w:r></w:p>
<w:sectPr><w:pgSz/></w:sectPr></w:body></w:document>"#;
        let styles = br#"<w:styles xmlns:w="w"><w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/></w:style></w:styles>"#;
        let rels = br#"<Relationships><Relationship Id="rId9" Type="x/image" Target="media/image9.jpeg"/></Relationships>"#;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        for (name, data) in [
            ("word/document.xml", xml.as_bytes()),
            ("word/styles.xml", &styles[..]),
            ("word/_rels/document.xml.rels", &rels[..]),
            ("word/media/image9.jpeg", b"\xFF\xD8\xFFjpeg"),
            (
                "docProps/core.xml",
                b"<cp:coreProperties xmlns:dc=\"dc\"><dc:title> T &amp; T </dc:title></cp:coreProperties>",
            ),
        ] {
            w.start_file(name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        let bytes = w.finish().unwrap().into_inner();
        let doc = decode_docx(&bytes).unwrap();
        assert_eq!(doc.title_hint.as_deref(), Some("T & T"));
        let b = &doc.blocks;
        assert_eq!(b.len(), 6, "{b:#?}");
        assert!(matches!(&b[0], Block::Heading { text, level: 2 } if text == "二、主动公开"));
        assert!(matches!(&b[1], Block::Heading { text, level: 1 } if text == "Top"));
        assert_eq!(b[2].text(), Some("a  b\nc & dlink+ins+sdt+tag"));
        let Block::Table(t) = &b[3] else {
            panic!("{:?}", b[3])
        };
        assert_eq!(t.n_cols(), 3);
        assert_eq!(t.rows[0][0].text, "");
        assert_eq!(t.rows[0][1].text, "h");
        assert_eq!(t.rows[0][2].continuation_of, Some((0, 1)));
        assert_eq!(t.rows[1][0].text, "m\nn");
        assert_eq!(t.rows[1][0].row_span, 2);
        assert_eq!(t.rows[1][2].text, "in ner");
        assert_eq!(t.rows[2][0].continuation_of, Some((1, 0)));
        assert_eq!(t.rows[2][1].text, "2");
        assert!(matches!(&b[4], Block::Picture(p)
            if p.name.as_deref() == Some("word/media/image9.jpeg") && p.bytes.starts_with(b"\xFF\xD8")));
        assert_eq!(b[5].text(), Some("after"));
    }

    /// Cross-check against docx-rs (dev-dependency only): the same paragraph texts and the
    /// same non-empty cell texts in the same order, for every corpus DOCX.
    #[test]
    fn agrees_with_docx_rs_on_corpus() {
        fn run_text(p: &docx_rs::Paragraph) -> String {
            let mut s = String::new();
            for child in &p.children {
                if let docx_rs::ParagraphChild::Run(r) = child {
                    for rc in &r.children {
                        match rc {
                            docx_rs::RunChild::Text(t) => s.push_str(&t.text),
                            docx_rs::RunChild::Tab(_) => s.push(' '),
                            docx_rs::RunChild::Break(_) => s.push('\n'),
                            _ => {}
                        }
                    }
                }
            }
            s.trim().to_string()
        }
        let opts = docx_rs::ReadDocxOptions::default().with_image_previews(false);
        for entry in std::fs::read_dir(CORPUS).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "docx") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let theirs = docx_rs::read_docx_with_options(&bytes, opts).unwrap();
            let mut want: Vec<String> = Vec::new();
            for child in &theirs.document.children {
                match child {
                    docx_rs::DocumentChild::Paragraph(p) => {
                        let t = run_text(p);
                        if !t.is_empty() {
                            want.push(t);
                        }
                    }
                    docx_rs::DocumentChild::Table(t) => {
                        for docx_rs::TableChild::TableRow(row) in &t.rows {
                            for docx_rs::TableRowChild::TableCell(cell) in &row.cells {
                                let text = cell
                                    .children
                                    .iter()
                                    .filter_map(|c| match c {
                                        docx_rs::TableCellContent::Paragraph(p) => {
                                            Some(run_text(p))
                                        }
                                        _ => None,
                                    })
                                    .filter(|t| !t.is_empty())
                                    .collect::<Vec<_>>()
                                    .join("\n");
                                if !text.is_empty() {
                                    want.push(text);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            let ours = decode_docx(&bytes).unwrap();
            let mut got: Vec<String> = Vec::new();
            for b in &ours.blocks {
                match b {
                    Block::Table(t) => {
                        for row in &t.rows {
                            for c in row {
                                if !c.is_continuation() && !c.text.is_empty() {
                                    got.push(c.text.clone());
                                }
                            }
                        }
                    }
                    Block::Picture(_) => {}
                    b => got.push(b.text().unwrap_or_default().to_string()),
                }
            }
            assert_eq!(got, want, "{}", path.display());
        }
    }

    /// Run with `cargo test --release -- --ignored --nocapture timing`.
    #[test]
    #[ignore]
    fn timing() {
        let files: Vec<Vec<u8>> = std::fs::read_dir(CORPUS)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "docx"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        let rounds = 50;
        let t = std::time::Instant::now();
        for _ in 0..rounds {
            for f in &files {
                std::hint::black_box(decode_docx(f).unwrap());
            }
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0 / (rounds * files.len()) as f64;
        println!(
            "decode_docx: {ms:.3} ms per document ({} files)",
            files.len()
        );
    }
}
