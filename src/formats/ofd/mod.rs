//! OFD (GB/T 33190, 版式文档): a zip of XML. `OFD.xml` names the document's root
//! (`Doc_N/Document.xml`), which lists the pages (`Pages/Page_N/Content.xml`) and the
//! resource files (`PublicRes.xml` fonts, `DocumentRes.xml` pictures). Each page's text
//! runs and rulings become the PDF decoder's positioned glyphs and segments
//! ([`page::parse_page`]), and the PDF layout pass builds lines, paragraphs and ruled
//! tables from them, so OFD and PDF tables come out of one table builder. A page without
//! usable text hands its largest picture to recognition as a scanned page. A page's
//! template pages (`TemplatePage`: running headers, a 红头) are drawn with it.
//!
//! Read partly, and said so in the record: pages past a bound, text drawn through glyph
//! index transforms (`CGTransform`, read as the codes it maps), characters in a font's
//! private-use area, pictures in a format recognition cannot decode. Not read:
//! annotations and signatures (seals), templates of templates.

pub mod page;

use super::docx::{attr, event_text, join_path, local, new_reader, read_part};
use super::docx::{PartError, Zip};
use super::pdf::content::{PageContent, Seg};
use super::pdf::radicals::unify_radical;
use super::pdf::{cut_labels, layout};
use super::DecodeError;
use crate::document::{Block, Document, Picture};
use page::{ImagePlace, PageObjects, PT_PER_MM};
use quick_xml::events::Event;
use std::collections::HashMap;
use std::io::Cursor;

/// Largest XML part read (a page's content, the document's root).
const MAX_XML_PART: u64 = 32 << 20;
/// Largest picture read, and all pictures together.
const MAX_PICTURE: u64 = 64 << 20;
const MAX_ALL_PICTURES: u64 = 512 << 20;
/// As for PDFs: more pages than an annual report can have.
const MAX_PAGES: usize = 500;
/// Pictures on a page with text that cover at least this share of it are handed to
/// recognition (a table pasted as a picture); smaller ones are logos and seals.
const MIXED_PICTURE_SHARE: f32 = 0.08;
/// Template pages a document may define.
const MAX_TEMPLATE_PAGES: usize = 64;
/// A4 in millimetres, for a document that gives no page size.
const A4_MM: [f32; 4] = [0.0, 0.0, 210.0, 297.0];

/// Decodes an OFD file.
pub fn decode_ofd(bytes: &[u8]) -> Result<Document, DecodeError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        DecodeError::new(format!(
            "OFD is damaged: it is not a readable zip archive ({e})"
        ))
    })?;
    let root = read_xml(&mut zip, "OFD.xml")?.ok_or_else(|| {
        DecodeError::new("not an OFD: the zip archive has no OFD.xml at its root")
    })?;
    let entry = parse_entry(&root);
    let doc_path = entry
        .doc_roots
        .first()
        .map(|p| join_path("", p))
        .ok_or_else(|| DecodeError::new("OFD is damaged: OFD.xml names no DocRoot"))?;
    let doc_xml = read_xml(&mut zip, &doc_path)?.ok_or_else(|| {
        DecodeError::new(format!(
            "OFD is damaged: its document {doc_path} is missing"
        ))
    })?;
    let doc_dir = parent(&doc_path);
    let index = parse_document(&doc_xml, &doc_dir);
    if index.pages.is_empty() {
        return Err(DecodeError::new(format!(
            "OFD is damaged: {doc_path} lists no pages"
        )));
    }
    let mut out = Document {
        title_hint: entry.title,
        ..Document::default()
    };
    if entry.doc_roots.len() > 1 {
        out.decode_warnings.push(format!(
            "OFD holds {} documents; only the first ({doc_path}) was read",
            entry.doc_roots.len()
        ));
    }
    if index.pages.len() > MAX_PAGES {
        out.decode_warnings.push(format!(
            "OFD has {} pages; only the first {MAX_PAGES} were read",
            index.pages.len()
        ));
    }
    let mut media = HashMap::new();
    for res in &index.resources {
        if let Some(xml) = read_xml(&mut zip, res)? {
            parse_resources(&xml, &parent(res), &mut media);
        }
    }
    let mut pictures = PictureBudget {
        left: MAX_ALL_PICTURES,
        media,
    };
    // The previous page's glyphs, to join a row label that the page break cut.
    let mut prev_glyphs = Vec::new();
    for (k, page_path) in index.pages.iter().take(MAX_PAGES).enumerate() {
        let no = k as u32 + 1;
        let Some(xml) = read_xml(&mut zip, page_path)? else {
            out.decode_warnings
                .push(format!("OFD page {no}: its content {page_path} is missing"));
            continue;
        };
        let mut objects = page::parse_page(&xml);
        drop(xml);
        for id in std::mem::take(&mut objects.templates) {
            let Some(path) = index.templates.get(&id) else {
                continue;
            };
            if let Some(xml) = read_xml(&mut zip, path)? {
                objects.add_template(page::parse_page(&xml));
            }
        }
        let area = objects.physical_box.or(index.page_box).unwrap_or(A4_MM);
        page_notes(&objects, no, &mut out.decode_warnings);
        let start = out.blocks.len();
        page_out(&mut zip, &mut pictures, &mut objects, no, area, &mut out);
        cut_labels::join_cut_labels(&mut out.blocks, start, &prev_glyphs);
        prev_glyphs = std::mem::take(&mut objects.content.glyphs);
    }
    Ok(out)
}

fn read_xml(zip: &mut Zip<'_>, name: &str) -> Result<Option<Vec<u8>>, DecodeError> {
    match read_part(zip, name, MAX_XML_PART) {
        Ok(x) => Ok(x),
        Err(PartError::TooLarge(n)) => Err(DecodeError::new(format!(
            "OFD is too large: {name} unpacks to {} MiB or more (limit {} MiB)",
            n >> 20,
            MAX_XML_PART >> 20
        ))),
        Err(PartError::Damaged(e)) => Err(DecodeError::new(format!(
            "OFD is damaged: {name} cannot be unpacked ({e})"
        ))),
    }
}

fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => path[..i].to_string(),
        None => String::new(),
    }
}

/// What `OFD.xml` says: the documents' roots and the first one's title.
struct Entry {
    doc_roots: Vec<String>,
    title: Option<String>,
}

fn parse_entry(xml: &[u8]) -> Entry {
    let mut entry = Entry {
        doc_roots: Vec::new(),
        title: None,
    };
    let texts = element_texts(xml, &[b"DocRoot", b"Title"]);
    for (name, text) in texts {
        match name {
            0 => entry.doc_roots.push(text),
            _ if entry.title.is_none() && !text.is_empty() => entry.title = Some(text),
            _ => {}
        }
    }
    entry
}

/// The trimmed text of every element whose local name is one of `names`, with the
/// index of the name, in document order.
fn element_texts(xml: &[u8], names: &[&[u8]]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut reader = new_reader(xml);
    let mut open: Option<(usize, String)> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(Event::Start(e)) => {
                let n = local(e.name().as_ref()).to_vec();
                if let Some(k) = names.iter().position(|x| *x == n.as_slice()) {
                    open = Some((k, String::new()));
                }
            }
            Ok(Event::End(_)) => {
                if let Some((k, s)) = open.take() {
                    out.push((k, s.trim().to_string()));
                }
            }
            Ok(other) => {
                if let (Some((_, s)), Some(t)) = (open.as_mut(), event_text(&other)) {
                    s.push_str(&t);
                }
            }
        }
    }
    out
}

/// What `Document.xml` says: its pages' content paths, resource files and page size.
struct DocIndex {
    pages: Vec<String>,
    resources: Vec<String>,
    page_box: Option<[f32; 4]>,
    /// Template pages by ID: their content paths.
    templates: HashMap<String, String>,
}

fn parse_document(xml: &[u8], dir: &str) -> DocIndex {
    let mut index = DocIndex {
        pages: Vec::new(),
        resources: Vec::new(),
        page_box: None,
        templates: HashMap::new(),
    };
    // Paths are relative to the document's folder, or absolute from the package root.
    let resolve = |p: &str| join_path(dir, p.trim());
    let mut reader = new_reader(xml);
    let mut in_page_area = false;
    let mut open: Option<(&'static str, String)> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(Event::Start(e)) => match local(e.name().as_ref()) {
                b"Page" => {
                    if let Some(loc) = attr(&e, b"BaseLoc", false) {
                        if index.pages.len() <= MAX_PAGES {
                            index.pages.push(resolve(&loc));
                        } else {
                            // Counted only, to say how many were left.
                            index.pages.push(String::new());
                        }
                    }
                }
                b"PageArea" => in_page_area = true,
                b"TemplatePage" => {
                    let id = attr(&e, b"ID", false);
                    let loc = attr(&e, b"BaseLoc", false);
                    if let (Some(id), Some(loc)) = (id, loc) {
                        if index.templates.len() < MAX_TEMPLATE_PAGES {
                            index.templates.insert(id.trim().to_string(), resolve(&loc));
                        }
                    }
                }
                b"PhysicalBox" if in_page_area => open = Some(("box", String::new())),
                b"PublicRes" | b"DocumentRes" => open = Some(("res", String::new())),
                _ => {}
            },
            Ok(Event::End(e)) => {
                if local(e.name().as_ref()) == b"PageArea" {
                    in_page_area = false;
                }
                match open.take() {
                    Some(("box", s)) => {
                        let v: Vec<f32> = s
                            .split_ascii_whitespace()
                            .filter_map(|t| t.parse().ok())
                            .collect();
                        if let [x, y, w, h] = v[..] {
                            if w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite() {
                                index.page_box = Some([x, y, w, h]);
                            }
                        }
                    }
                    Some((_, s)) if !s.trim().is_empty() => index.resources.push(resolve(&s)),
                    _ => {}
                }
            }
            Ok(other) => {
                if let (Some((_, s)), Some(t)) = (open.as_mut(), event_text(&other)) {
                    s.push_str(&t);
                }
            }
        }
    }
    index
}

/// A picture resource: its zip path and declared format.
struct Media {
    path: String,
    format: String,
}

/// Reads a resource file's pictures (`MultiMedia` of type Image) into `media` by ID.
/// Media files are relative to the resource file's `BaseLoc` folder.
fn parse_resources(xml: &[u8], dir: &str, media: &mut HashMap<String, Media>) {
    let mut reader = new_reader(xml);
    let mut base = dir.to_string();
    let mut current: Option<(String, String)> = None;
    let mut file: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(Event::Start(e)) => match local(e.name().as_ref()) {
                b"Res" => {
                    if let Some(loc) = attr(&e, b"BaseLoc", false) {
                        base = join_path(dir, loc.trim());
                    }
                }
                b"MultiMedia" => {
                    let id = attr(&e, b"ID", false).unwrap_or_default();
                    let format = attr(&e, b"Format", false).unwrap_or_default();
                    current = Some((id.trim().to_string(), format));
                }
                b"MediaFile" if current.is_some() => file = Some(String::new()),
                _ => {}
            },
            Ok(Event::End(e)) => match local(e.name().as_ref()) {
                b"MediaFile" => {
                    if let (Some((id, format)), Some(f)) = (&current, file.take()) {
                        media.insert(
                            id.clone(),
                            Media {
                                path: join_path(&base, f.trim()),
                                format: format.clone(),
                            },
                        );
                    }
                }
                b"MultiMedia" => current = None,
                _ => {}
            },
            Ok(other) => {
                if let (Some(s), Some(t)) = (file.as_mut(), event_text(&other)) {
                    s.push_str(&t);
                }
            }
        }
    }
}

/// What a page's reading skipped, for the record.
fn page_notes(objects: &PageObjects, no: u32, notes: &mut Vec<String>) {
    if objects.truncated {
        notes.push(format!(
            "OFD page {no}: more objects than a page can hold; the rest of the page was not read"
        ));
    }
    if objects.glyph_transforms > 0 {
        notes.push(format!(
            "OFD page {no}: {} text runs drawn through glyph index transforms (CGTransform) \
             were read as their character codes",
            objects.glyph_transforms
        ));
    }
    let unmapped = objects
        .content
        .glyphs
        .iter()
        .filter(|g| unmapped_char(g.ch))
        .count();
    if unmapped > 0 {
        notes.push(format!(
            "OFD page {no}: {unmapped} characters in a font's private codes (no Unicode) \
             were skipped"
        ));
    }
}

fn unmapped_char(c: char) -> bool {
    c == '\u{FFFD}' || ('\u{E000}'..='\u{F8FF}').contains(&c)
}

struct PictureBudget {
    left: u64,
    media: HashMap<String, Media>,
}

/// Emits a page's blocks through the PDF layout pass, or, when it has no usable text,
/// its largest picture as a scanned page.
fn page_out(
    zip: &mut Zip<'_>,
    pictures: &mut PictureBudget,
    objects: &mut PageObjects,
    no: u32,
    area: [f32; 4],
    out: &mut Document,
) {
    let (w, h) = (area[2] * PT_PER_MM, area[3] * PT_PER_MM);
    // The page's origin may not be 0 0: place everything relative to its box.
    let (ox, oy) = (area[0] * PT_PER_MM, area[1] * PT_PER_MM);
    shift(&mut objects.content, ox, oy);
    for img in &mut objects.images {
        img.bbox[0] -= ox;
        img.bbox[1] -= oy;
    }
    // As the PDF interpreter does: only what lands on the page, at a sane size.
    let on_page = |x: f32, y: f32| x > -20.0 && y > -20.0 && x < w + 20.0 && y < h + 20.0;
    objects.content.glyphs.retain(|g| {
        !unmapped_char(g.ch)
            && g.size.is_finite()
            && g.size > 0.5
            && g.size < h
            && g.w.is_finite()
            && on_page(g.x, g.y)
    });
    let finite = |s: &Seg| s.pos.is_finite() && s.a.is_finite() && s.b.is_finite();
    objects.content.hsegs.retain(finite);
    objects.content.vsegs.retain(finite);
    for g in &mut objects.content.glyphs {
        g.ch = unify_radical(g.ch);
    }
    let good = objects
        .content
        .glyphs
        .iter()
        .filter(|g| !g.ch.is_whitespace() && !g.ch.is_control())
        .count();
    if good >= 10 {
        let mut placed = Vec::new();
        for (k, img) in objects
            .images
            .iter()
            .filter(|img| img.bbox[2] * img.bbox[3] >= MIXED_PICTURE_SHARE * w * h)
            .enumerate()
        {
            let name = format!("page {no} picture {}", k + 1);
            let pic = picture(zip, pictures, img, name, no, false, &mut out.problems);
            placed.push((img.bbox[1], Block::Picture(pic)));
        }
        let (w, h) = layout::upright(&mut objects.content, w, h);
        out.blocks
            .extend(layout::page_blocks(&objects.content, no, w, h, placed));
        return;
    }
    let largest = objects
        .images
        .iter()
        .max_by(|a, b| (a.bbox[2] * a.bbox[3]).total_cmp(&(b.bbox[2] * b.bbox[3])));
    match largest {
        Some(img) => {
            let img = img.clone();
            let pic = picture(
                zip,
                pictures,
                &img,
                format!("page {no}"),
                no,
                true,
                &mut out.problems,
            );
            out.blocks.push(Block::Picture(pic));
        }
        None if good > 0 => {
            let (w, h) = layout::upright(&mut objects.content, w, h);
            out.blocks
                .extend(layout::page_blocks(&objects.content, no, w, h, Vec::new()));
        }
        None => {}
    }
}

fn shift(pc: &mut PageContent, ox: f32, oy: f32) {
    if ox == 0.0 && oy == 0.0 {
        return;
    }
    for g in &mut pc.glyphs {
        g.x -= ox;
        g.y -= oy;
    }
    for s in &mut pc.hsegs {
        s.pos -= oy;
        s.a -= ox;
        s.b -= ox;
    }
    for s in &mut pc.vsegs {
        s.pos -= ox;
        s.a -= oy;
        s.b -= oy;
    }
}

/// Picture formats recognition decodes.
fn decodable(format: &str, path: &str) -> bool {
    let f = format.to_ascii_lowercase();
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    ["png", "jpeg", "jpg", "bmp", "tif", "tiff", "gif"]
        .iter()
        .any(|k| f == *k || (f.is_empty() && ext == *k))
}

/// A picture resource as a picture block; without bytes, and named in `problems`, when
/// it is missing, too large or in a format recognition cannot decode (JBIG2, OFD's
/// own `JB2`).
fn picture(
    zip: &mut Zip<'_>,
    budget: &mut PictureBudget,
    img: &ImagePlace,
    name: String,
    no: u32,
    whole_page: bool,
    problems: &mut Vec<String>,
) -> Picture {
    let mut pic = Picture {
        name: Some(name),
        bytes: Vec::new(),
        dpi: None,
        page: Some(no),
        whole_page,
    };
    let Some(media) = budget.media.get(&img.resource) else {
        problems.push(format!(
            "OFD page {no}: picture resource {} is not in the document's resources",
            img.resource
        ));
        return pic;
    };
    if !decodable(&media.format, &media.path) {
        problems.push(format!(
            "OFD page {no}: picture {} is {}, a format recognition cannot read; skipped",
            media.path, media.format
        ));
        return pic;
    }
    let limit = MAX_PICTURE.min(budget.left);
    match read_part(zip, &media.path, limit) {
        Ok(Some(bytes)) => {
            budget.left -= bytes.len() as u64;
            pic.dpi = picture_dpi(&bytes, img.bbox[2]);
            pic.bytes = bytes;
        }
        Ok(None) => problems.push(format!(
            "OFD page {no}: picture {} is missing from the package",
            media.path
        )),
        Err(_) => problems.push(format!(
            "OFD page {no}: picture {} is damaged or over the size limit; skipped",
            media.path
        )),
    }
    pic
}

/// Pixels per inch of a picture drawn `width_pt` wide.
fn picture_dpi(bytes: &[u8], width_pt: f32) -> Option<f32> {
    let (px, _) = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()?;
    let dpi = px as f32 / (width_pt / 72.0);
    (dpi.is_finite() && dpi > 10.0 && dpi < 5000.0).then_some(dpi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn ofd(files: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        for (name, text) in files {
            w.start_file(*name, opts).unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_page_is_read_with_its_template_and_a_missing_picture_is_named() {
        let text = |y: f32, s: &str| {
            format!(
                r#"<ofd:TextObject Boundary="20 {y} 170 6" Size="5"><ofd:TextCode X="0" Y="5" DeltaX="g {} 5">{s}</ofd:TextCode></ofd:TextObject>"#,
                s.chars().count()
            )
        };
        let page = format!(
            r#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Template TemplateID="7"/><ofd:Content><ofd:Layer>{}<ofd:ImageObject Boundary="20 100 170 100" CTM="170 0 0 100 0 0" ResourceID="9"/></ofd:Layer></ofd:Content></ofd:Page>"#,
            text(
                60.0,
                "本报告中所列数据的统计期限为2023年1月1日至2023年12月31日。"
            )
        );
        let template = format!(
            r#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer>{}</ofd:Layer></ofd:Content></ofd:Page>"#,
            text(20.0, "某某市某某区人民政府办公室文件")
        );
        let bytes = ofd(&[
            (
                "OFD.xml",
                r#"<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocInfo><ofd:Title>年报</ofd:Title></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#,
            ),
            (
                "Doc_0/Document.xml",
                r#"<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:TemplatePage ID="7" BaseLoc="Tpls/Tpl_0/Content.xml"/></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>"#,
            ),
            ("Doc_0/Pages/Page_0/Content.xml", &page),
            ("Doc_0/Tpls/Tpl_0/Content.xml", &template),
        ]);
        let doc = decode_ofd(&bytes).unwrap();
        assert_eq!(doc.title_hint.as_deref(), Some("年报"));
        let texts: Vec<&str> = doc.blocks.iter().filter_map(|b| b.text()).collect();
        assert_eq!(texts[0], "某某市某某区人民政府办公室文件");
        assert!(texts[1].starts_with("本报告中所列数据"));
        // The picture's resource is not declared: an empty picture, and the reason.
        assert_eq!(doc.pictures().count(), 1);
        assert!(doc.problems[0].contains("resource 9"), "{:?}", doc.problems);
        assert!(decode_ofd(b"PK\x03\x04 not a zip").is_err());
    }
}
