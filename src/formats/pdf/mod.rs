//! PDF text-layer decoder: PDF bytes → [`Document`].
//!
//! lopdf is the object layer only (parsing, xref repair, decryption with the empty
//! password, stream filters). Page content streams are interpreted here
//! ([`content`]), fonts decoded to Unicode ([`fonts`], [`cmap`]), and glyphs and ruling
//! lines laid out into paragraphs and tables ([`layout`]). Coordinates are page points
//! with the origin at the top left of the displayed page, y growing downwards.
//!
//! Pages without usable text (scans, or glyphs that cannot be mapped to Unicode) become
//! a [`Block::Picture`] holding the page's largest image, for the recognise stage; pages
//! with text keep their large pictures (tables pasted as pictures) among their blocks.

pub mod cmap;
pub mod content;
pub mod cut_labels;
pub mod fonts;
pub mod layout;
pub mod lexer;
pub mod objects;
pub mod print;
pub mod radicals;
pub mod unruled;

#[cfg(test)]
mod tests;

use crate::document::{Block, Document, Picture};
use crate::formats::DecodeError;
use content::{Interp, Matrix, PageContent};
use lopdf::{Dictionary, Object, ObjectId};
use objects::{deref, dict_get, name_of, nums_of};
use std::collections::HashMap;
use std::rc::Rc;

/// Documents with more pages than this are refused.
pub const MAX_PAGES: usize = 500;
/// Most decoded bytes of one page's content streams.
const MAX_PAGE_CONTENT: usize = 64 << 20;

/// Decodes a PDF's text layer into the document model. Never panics.
pub fn decode_pdf(bytes: &[u8]) -> Result<Document, DecodeError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode(bytes))) {
        Ok(r) => r,
        Err(_) => Err(DecodeError::new(
            "PDF is damaged: reading it failed unexpectedly; re-export or re-download the file",
        )),
    }
}

fn decode(bytes: &[u8]) -> Result<Document, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::new(
            "PDF is damaged: the file is empty (0 bytes)",
        ));
    }
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(DecodeError::new(
            "not a PDF: the file does not start with a %PDF- header",
        ));
    }
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(DecodeError::new(format!(
            "PDF is damaged: the file is truncated (no %%EOF marker at its end after {} bytes); \
             download it again",
            bytes.len()
        )));
    }
    let doc = lopdf::Document::load_mem(bytes)
        .map_err(|e| DecodeError::new(format!("PDF is damaged: {e}")))?;
    let pages = doc.get_pages();
    if pages.is_empty() {
        if doc.is_encrypted() {
            return Err(DecodeError::new(
                "PDF is encrypted and cannot be opened without a password",
            ));
        }
        return Err(DecodeError::new("PDF is damaged: no pages could be found"));
    }
    if pages.len() > MAX_PAGES {
        return Err(DecodeError::new(format!(
            "PDF has {} pages, more than the {MAX_PAGES} an annual report can have; \
             split it or check that it is the right file",
            pages.len()
        )));
    }
    let mut fonts: HashMap<ObjectId, Rc<fonts::Font>> = HashMap::new();
    let mut out = Document {
        blocks: Vec::new(),
        title_hint: info_title(&doc),
        problems: Vec::new(),
        ocr_text: false,
        decode_warnings: Vec::new(),
    };
    // The previous page's glyphs, to join a row label that the page break cut.
    let mut prev_glyphs = Vec::new();
    for (&no, &id) in &pages {
        let Ok(page) = doc.get_dictionary(id) else {
            continue;
        };
        let attrs = PageAttrs::of(&doc, page);
        let data = doc
            .get_page_content_with_limit(id, MAX_PAGE_CONTENT)
            .unwrap_or_default();
        let (ctm, w, h) = attrs.base_matrix();
        let mut interp = Interp::new(&doc, &mut fonts, (w, h));
        interp.run(&data, attrs.resources, ctm);
        let mut pc = interp.finish();
        let (w, h) = layout::upright(&mut pc, w, h);
        print::close_cut_rows(&mut pc);
        let start = out.blocks.len();
        page_out(&doc, &mut pc, no, w, h, &mut out);
        cut_labels::join_cut_labels(&mut out.blocks, start, &prev_glyphs);
        prev_glyphs = std::mem::take(&mut pc.glyphs);
    }
    Ok(out)
}

/// Pictures on a page with text that cover at least this share of it are handed to
/// recognition (a table pasted as a picture); smaller ones are logos and seals.
const MIXED_PICTURE_SHARE: f32 = 0.08;

/// Emits a page's blocks, or a picture of it when its text is not usable. A page with
/// text keeps its large pictures too, in reading order, for their tables.
fn page_out(
    doc: &lopdf::Document,
    pc: &mut PageContent,
    no: u32,
    w: f32,
    h: f32,
    out: &mut Document,
) {
    let blocks = &mut out.blocks;
    let (good, bad) = pc.glyphs.iter().fold((0usize, 0usize), |(g, b), gl| {
        let c = gl.ch;
        if c.is_whitespace() || c.is_control() {
            (g, b)
        } else if c == '\u{FFFD}' || ('\u{E000}'..='\u{F8FF}').contains(&c) {
            (g, b + 1)
        } else {
            (g + 1, b)
        }
    });
    let usable = good >= 10 && bad * 2 <= good;
    if usable {
        let mut placed: Vec<(f32, Block)> = pc
            .images
            .iter()
            .filter(|img| img.area >= MIXED_PICTURE_SHARE * w * h)
            .enumerate()
            .map(|(k, img)| {
                let name = format!("page {no} picture {}", k + 1);
                (
                    img.top,
                    Block::Picture(image_picture(doc, img, name, no, false)),
                )
            })
            .collect();
        // Tables without a ruled grid (三线表, none at all): by alignment.
        let (tables, problems) = unruled::take_tables(pc, no);
        placed.extend(tables);
        out.problems.extend(problems);
        out.blocks.extend(layout::page_blocks(pc, no, w, h, placed));
        return;
    }
    if pc.images.is_empty() && bad == 0 {
        // Nothing at all on the page (or a few stray characters).
        if good > 0 {
            blocks.extend(layout::page_blocks(pc, no, w, h, Vec::new()));
        }
        return;
    }
    let pic = match pc.images.iter().max_by(|a, b| a.area.total_cmp(&b.area)) {
        Some(img) => image_picture(doc, img, format!("page {no}"), no, true),
        None => Picture {
            name: Some(format!("page {no}")),
            bytes: Vec::new(),
            dpi: None,
            page: Some(no),
            whole_page: true,
        },
    };
    blocks.push(Block::Picture(pic));
}

/// A page image as a picture for recognition: JPEG bytes as they are, raw samples as
/// PNG; no bytes for an encoding this version cannot decode (the record names it).
fn image_picture(
    doc: &lopdf::Document,
    img: &content::ImageUse,
    name: String,
    no: u32,
    whole_page: bool,
) -> Picture {
    let mut pic = Picture {
        name: Some(name),
        bytes: Vec::new(),
        dpi: None,
        page: Some(no),
        whole_page,
    };
    let s = match (&img.inline, img.id.and_then(|id| doc.get_object(id).ok())) {
        (Some(inline), _) => inline.as_ref(),
        (None, Some(Object::Stream(s))) => s,
        _ => return pic,
    };
    let is_dct = match dict_get(doc, &s.dict, b"Filter") {
        Some(Object::Name(n)) => n == b"DCTDecode",
        Some(Object::Array(a)) => {
            a.len() == 1 && deref(doc, &a[0]).and_then(name_of) == Some(b"DCTDecode")
        }
        _ => false,
    };
    if is_dct {
        pic.bytes = s.content.clone();
    } else if let Some(png) = page_image_png(doc, s) {
        pic.bytes = png;
    }
    if !pic.bytes.is_empty() {
        let px = dict_get(doc, &s.dict, b"Width").and_then(objects::num_of);
        if let (Some(px), true) = (px, img.width_pt > 1.0) {
            let dpi = px / (img.width_pt / 72.0);
            if dpi.is_finite() && dpi > 10.0 && dpi < 5000.0 {
                pic.dpi = Some(dpi);
            }
        }
    }
    pic
}

/// Largest page image decoded from raw samples (pixels); larger ones are reported.
const MAX_PAGE_IMAGE_PIXELS: u64 = 100_000_000;

/// A page image that is not a JPEG, as PNG bytes for recognition: unfiltered, Flate or
/// LZW samples (lopdf undoes the filters and their predictors, within a size limit),
/// 8-bit grey or RGB (an ICC profile's component count decides), or 1-bit grey, as
/// bilevel scans are stored. `None` for other encodings (JBIG2, CCITT, JPX, indexed
/// colours), which the page's record then names.
fn page_image_png(doc: &lopdf::Document, s: &lopdf::Stream) -> Option<Vec<u8>> {
    let num = |key: &[u8]| dict_get(doc, &s.dict, key).and_then(objects::num_of);
    let (w, h) = (num(b"Width")? as u32, num(b"Height")? as u32);
    let bpc = num(b"BitsPerComponent").unwrap_or(8.0) as u32;
    if w == 0 || h == 0 || w as u64 * h as u64 > MAX_PAGE_IMAGE_PIXELS {
        return None;
    }
    let filters: Vec<&[u8]> = match dict_get(doc, &s.dict, b"Filter") {
        None => Vec::new(),
        Some(Object::Name(n)) => vec![n.as_slice()],
        Some(Object::Array(a)) => a
            .iter()
            .filter_map(|f| deref(doc, f).and_then(name_of))
            .collect(),
        Some(_) => return None,
    };
    if !filters
        .iter()
        .all(|f| matches!(*f, b"FlateDecode" | b"Fl" | b"LZWDecode" | b"LZW"))
    {
        return None;
    }
    let components = match dict_get(doc, &s.dict, b"ColorSpace") {
        Some(Object::Name(n)) if n == b"DeviceGray" || n == b"G" => 1,
        Some(Object::Name(n)) if n == b"DeviceRGB" || n == b"RGB" => 3,
        Some(Object::Array(a)) if a.first().and_then(name_of) == Some(b"ICCBased") => {
            match a.get(1).and_then(|o| deref(doc, o)) {
                Some(Object::Stream(icc)) => {
                    dict_get(doc, &icc.dict, b"N").and_then(objects::num_of)? as u32
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    let row_bytes = ((w as u64 * components as u64 * bpc as u64).div_ceil(8)) as usize;
    let size = row_bytes * h as usize;
    let data = s.decompressed_content_with_limit(size + 1024).ok()?;
    if data.len() < size {
        return None;
    }
    let img = match (components, bpc) {
        (1, 8) => image::DynamicImage::ImageLuma8(image::GrayImage::from_raw(
            w,
            h,
            data[..size].to_vec(),
        )?),
        (3, 8) => {
            image::DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, data[..size].to_vec())?)
        }
        (1, 1) => {
            // A set bit is white in DeviceGray, unless /Decode [1 0] inverts it.
            let inverted = matches!(dict_get(doc, &s.dict, b"Decode"), Some(Object::Array(d))
                if d.first().and_then(objects::num_of) == Some(1.0));
            let mut px = Vec::with_capacity(w as usize * h as usize);
            for row in data[..size].chunks_exact(row_bytes) {
                for x in 0..w as usize {
                    let bit = row[x / 8] >> (7 - x % 8) & 1 == 1;
                    px.push(if bit != inverted { 255 } else { 0 });
                }
            }
            image::DynamicImage::ImageLuma8(image::GrayImage::from_raw(w, h, px)?)
        }
        _ => return None,
    };
    let mut png = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    );
    img.write_with_encoder(encoder).ok()?;
    Some(png)
}

struct PageAttrs<'a> {
    resources: Option<&'a Dictionary>,
    bbox: [f32; 4],
    rotate: i64,
}

impl<'a> PageAttrs<'a> {
    /// Reads the page's own or inherited /Resources, /MediaBox, /CropBox and /Rotate.
    fn of(doc: &'a lopdf::Document, page: &'a Dictionary) -> PageAttrs<'a> {
        let mut resources = None;
        let mut media: Option<Vec<f32>> = None;
        let mut crop: Option<Vec<f32>> = None;
        let mut rotate: Option<i64> = None;
        let mut node = Some(page);
        let mut seen = 0;
        while let Some(d) = node {
            if resources.is_none() {
                resources = dict_get(doc, d, b"Resources").and_then(|o| o.as_dict().ok());
            }
            if media.is_none() {
                media = d
                    .get(b"MediaBox")
                    .ok()
                    .map(|o| nums_of(doc, o))
                    .filter(|v| v.len() == 4);
            }
            if crop.is_none() {
                crop = d
                    .get(b"CropBox")
                    .ok()
                    .map(|o| nums_of(doc, o))
                    .filter(|v| v.len() == 4);
            }
            if rotate.is_none() {
                rotate = dict_get(doc, d, b"Rotate").and_then(|o| o.as_i64().ok());
            }
            seen += 1;
            if seen > 32 {
                break;
            }
            node = dict_get(doc, d, b"Parent").and_then(|o| o.as_dict().ok());
        }
        let b = crop
            .or(media)
            .unwrap_or_else(|| vec![0.0, 0.0, 595.0, 842.0]);
        let (x0, x1) = (b[0].min(b[2]), b[0].max(b[2]));
        let (y0, y1) = (b[1].min(b[3]), b[1].max(b[3]));
        let bbox = if x1 - x0 < 1.0 || y1 - y0 < 1.0 || x1 - x0 > 20000.0 || y1 - y0 > 20000.0 {
            [0.0, 0.0, 595.0, 842.0]
        } else {
            [x0, y0, x1, y1]
        };
        PageAttrs {
            resources,
            bbox,
            rotate: rotate.unwrap_or(0).rem_euclid(360),
        }
    }

    /// The initial CTM mapping user space to displayed-page coordinates (y down), and
    /// the displayed page's width and height.
    fn base_matrix(&self) -> (Matrix, f32, f32) {
        let [x0, y0, x1, y1] = self.bbox;
        let (w, h) = (x1 - x0, y1 - y0);
        match self.rotate {
            90 => ([0.0, 1.0, 1.0, 0.0, -y0, -x0], h, w),
            180 => ([-1.0, 0.0, 0.0, 1.0, x1, -y0], w, h),
            270 => ([0.0, -1.0, -1.0, 0.0, y1, x1], h, w),
            _ => ([1.0, 0.0, 0.0, -1.0, -x0, y1], w, h),
        }
    }
}

/// The document information dictionary's /Title, if any.
fn info_title(doc: &lopdf::Document) -> Option<String> {
    let info = doc.trailer.get(b"Info").ok().and_then(|o| deref(doc, o))?;
    let info = info.as_dict().ok()?;
    let Object::String(s, _) = dict_get(doc, info, b"Title")? else {
        return None;
    };
    let text = if s.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> = s[2..]
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0] as u16) << 8 | c[1] as u16)
            .collect();
        String::from_utf16_lossy(&units)
    } else if s.starts_with(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(&s[3..]).into_owned()
    } else {
        s.iter().map(|&b| b as char).collect()
    };
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}
