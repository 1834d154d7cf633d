//! Bad pictures through the whole pipeline with the real OCR engine (libtesseract): a
//! blank, tiny, oversized, corrupt or off-topic picture gives a record with a clear
//! error (or simply no values), within bounded memory and time, and never a panic.
//!
//! Every document runs on its own thread under a deadline, so a hang fails the test
//! instead of stalling the run, and a counting allocator records the largest single
//! allocation the extraction made on that thread (the pixel buffer of a decoded picture
//! is one allocation), so a picture that would be decoded at its declared size shows up.

use image::{GrayImage, ImageFormat, Luma};
use nianbao::extract::extract_bytes;
use nianbao::ocr::LazyEngine;
use nianbao::record::{Record, Status};
use nianbao::template::Templates;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Cursor, Write};
use std::path::Path;
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Bounded runs

/// The system allocator, noting on each thread the largest block it was asked for.
struct Counting;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    // A const-initialised `Cell` needs no destructor, so this never allocates itself.
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

// SAFETY: every call is forwarded unchanged to `System`; only a thread-local is updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: usize = 1 << 20;
/// Longest any of these documents may take before the test calls it a hang.
const DEADLINE: Duration = Duration::from_secs(120);

fn templates() -> &'static Templates {
    static T: OnceLock<Templates> = OnceLock::new();
    T.get_or_init(|| Templates::builtin().expect("built-in templates"))
}

/// One document's record, with how long it took and its largest allocation.
struct Run {
    record: Record,
    elapsed: Duration,
    largest_alloc: usize,
}

/// Extracts `bytes` as the file `path` with a fresh real engine on a thread of its own.
/// Fails the test when the extraction panics out of `extract_bytes` or passes the deadline.
fn run(path: &str, bytes: Vec<u8>) -> Run {
    let templates = templates();
    let (tx, rx) = mpsc::channel();
    let path = path.to_string();
    let name = path.clone();
    std::thread::spawn(move || {
        let mut engine = LazyEngine::new();
        LARGEST.with(|l| l.set(0));
        let start = Instant::now();
        let record = extract_bytes(&path, bytes, templates, &mut engine);
        let elapsed = start.elapsed();
        let largest_alloc = LARGEST.with(|l| l.get());
        let _ = tx.send(Run {
            record,
            elapsed,
            largest_alloc,
        });
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: no record after {DEADLINE:?} (hang)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("{name}: extract_bytes panicked instead of returning a record")
        }
    }
}

/// What every record of a bad picture must show: no values and no cells, no panic
/// caught on the way, and a real OCR engine (not the "did not start" fallback).
fn assert_sane(r: &Run) {
    let rec = &r.record;
    assert!(rec.values.is_empty(), "values from a bad picture: {rec:#?}");
    assert!(rec.cells.is_empty(), "cells from a bad picture: {rec:#?}");
    for e in &rec.errors {
        let m = e.message.to_lowercase();
        assert!(
            !m.contains("internal error") && !m.contains("panic"),
            "a panic was caught: {e:?}"
        );
        assert!(
            !m.contains("did not start"),
            "the OCR engine is not available, these tests need it: {e:?}"
        );
        assert!(
            !e.message.trim().is_empty(),
            "an empty error message: {rec:#?}"
        );
    }
    assert!(
        r.largest_alloc < 256 * MIB,
        "an allocation of {} MiB for {}",
        r.largest_alloc / MIB,
        rec.source.path
    );
}

/// The record is failed, says so in at least one error, and has no report data.
fn assert_failed(rec: &Record) {
    assert_eq!(rec.status, Status::Failed, "{rec:#?}");
    assert!(!rec.errors.is_empty(), "failed without an error: {rec:#?}");
    assert!(rec.template.is_none() && rec.year.is_none(), "{rec:#?}");
    assert!(rec.sections.is_empty(), "{rec:#?}");
    assert!(
        rec.checks.is_empty(),
        "checks ran on a failed record: {rec:#?}"
    );
}

/// The error of stage `stage` whose message contains all of `words` (case-insensitive).
fn find_error<'a>(rec: &'a Record, stage: &str, words: &[&str]) -> &'a str {
    rec.errors
        .iter()
        .find(|e| {
            let m = e.message.to_lowercase();
            e.stage == stage && words.iter().all(|w| m.contains(&w.to_lowercase()))
        })
        .map(|e| e.message.as_str())
        .unwrap_or_else(|| panic!("no {stage} error mentioning {words:?}: {:#?}", rec.errors))
}

// ---------------------------------------------------------------------------------------
// Pictures

fn png_of(g: &GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    g.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .expect("encode png");
    out
}

/// CRC-32 (IEEE, reflected, as PNG chunks use it).
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for part in parts {
        for &b in *part {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// A well-formed PNG header declaring a `w`×`h` 8-bit greyscale image, followed by an
/// IDAT of one stored zlib block (a single scanline's worth of zeros) and IEND: every
/// chunk has a correct CRC, so only the declared size is wrong with it.
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // depth 8, grey, deflate, filter 0, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    let raw = [0u8; 64];
    let mut zlib = vec![0x78, 0x01, 0x01]; // zlib header; final stored block
    zlib.extend_from_slice(&(raw.len() as u16).to_le_bytes());
    zlib.extend_from_slice(&(!(raw.len() as u16)).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The dimensions the `image` crate reads from the header (proves the bytes are a PNG
/// the decoder accepts up to the size check).
fn declared_size(bytes: &[u8]) -> (u32, u32) {
    image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .expect("guess format")
        .into_dimensions()
        .expect("a readable PNG header")
}

fn fill(g: &mut GrayImage, x0: u32, y0: u32, x1: u32, y1: u32) {
    for y in y0..y1 {
        for x in x0..x1 {
            g.put_pixel(x, y, Luma([0]));
        }
    }
}

/// An 800×600 page with a ruled 3×4 grid (3 px black lines) and nothing else.
fn ruled_grid() -> GrayImage {
    let mut g = GrayImage::from_pixel(800, 600, Luma([255]));
    let (x0, x1, y0, y1) = (80u32, 720u32, 120u32, 480u32);
    for r in 0..=3 {
        let y = y0 + r * (y1 - y0) / 3;
        fill(&mut g, x0, y, x1 + 3, y + 3);
    }
    for c in 0..=4 {
        let x = x0 + c * (x1 - x0) / 4;
        fill(&mut g, x, y0, x + 3, y1 + 3);
    }
    g
}

fn sample(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------
// 1–2: blank and tiny pictures: no tables, nothing to report

#[test]
fn blank_white_png_is_failed_without_values() {
    let bytes = png_of(&GrayImage::from_pixel(800, 600, Luma([255])));
    let r = run("blank.png", bytes);
    assert_sane(&r);
    assert_failed(&r.record);
    assert_eq!(r.record.source.format, "image");
    // Nothing was read from it, so the record says this is no annual report.
    find_error(&r.record, "interpret", &["not a government"]);
}

#[test]
fn tiny_png_is_failed_without_values() {
    let mut g = GrayImage::from_pixel(5, 5, Luma([255]));
    g.put_pixel(2, 2, Luma([0]));
    let r = run("tiny.png", png_of(&g));
    assert_sane(&r);
    assert_failed(&r.record);
    find_error(&r.record, "interpret", &["not a government"]);
}

// ---------------------------------------------------------------------------------------
// 3: a header declaring a huge picture is refused before any pixel buffer exists

#[test]
fn png_declaring_20000_by_20000_is_refused_quickly_and_small() {
    let bytes = png_declaring(20_000, 20_000);
    assert_eq!(declared_size(&bytes), (20_000, 20_000));
    assert!(bytes.len() < 200, "the file itself is tiny");
    let r = run("huge.png", bytes);
    assert_sane(&r);
    assert_failed(&r.record);
    let msg = find_error(&r.record, "recognise", &["too large", "20000x20000"]);
    assert!(msg.contains("the image"), "the picture is not named: {msg}");
    // Decoded at its size it would need 400 MB (grey) to 1.6 GB (RGBA).
    assert!(
        r.largest_alloc < 16 * MIB,
        "largest allocation {} MiB for a refused picture",
        r.largest_alloc / MIB
    );
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);
}

#[test]
fn png_within_side_limit_but_over_pixel_limit_is_refused() {
    // 11000 per side is allowed, but 121 million pixels are more than 100 million.
    let bytes = png_declaring(11_000, 11_000);
    assert_eq!(declared_size(&bytes), (11_000, 11_000));
    let r = run("wide.png", bytes);
    assert_sane(&r);
    assert_failed(&r.record);
    find_error(&r.record, "recognise", &["too large", "11000x11000"]);
    assert!(r.largest_alloc < 16 * MIB, "{} MiB", r.largest_alloc / MIB);
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);
}

// ---------------------------------------------------------------------------------------
// 4: corrupt and truncated pictures

#[test]
fn png_signature_followed_by_garbage_is_corrupt() {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let r = run("garbage.png", bytes);
    assert_sane(&r);
    assert_failed(&r.record);
    let msg = find_error(&r.record, "recognise", &["unrecognised or corrupt image"]);
    assert!(msg.contains("the image"), "the picture is not named: {msg}");
}

#[test]
fn truncated_real_png_is_corrupt() {
    let full = sample("png/dev-029.png");
    assert!(full.len() > 3000);
    let cut = full[..3000].to_vec();
    let r = run("dev-029-cut.png", cut);
    assert_sane(&r);
    assert_failed(&r.record);
    find_error(&r.record, "recognise", &["unrecognised or corrupt image"]);
    assert!(r.elapsed < Duration::from_secs(30), "took {:?}", r.elapsed);
}

// ---------------------------------------------------------------------------------------
// 5: a ruled table that is none of the statistics tables

#[test]
fn empty_ruled_grid_is_not_a_report() {
    let r = run("grid.png", png_of(&ruled_grid()));
    assert_sane(&r);
    assert_failed(&r.record);
    find_error(&r.record, "interpret", &["not a government"]);
}

#[test]
fn ruled_grid_with_filled_boxes_is_not_a_report() {
    let mut g = ruled_grid();
    // Solid blocks in a few cells (cell size 160×120): ink the OCR has to look at.
    fill(&mut g, 130, 150, 190, 200); // row 0, col 0
    fill(&mut g, 420, 290, 440, 330); // row 1, col 2
    fill(&mut g, 600, 400, 680, 440); // row 2, col 3
    fill(&mut g, 260, 410, 300, 450); // row 2, col 1
    let r = run("grid-boxes.png", png_of(&g));
    assert_sane(&r);
    assert_failed(&r.record);
    find_error(&r.record, "interpret", &["not a government"]);
}

// ---------------------------------------------------------------------------------------
// 6: a report in DOCX whose one picture is corrupt

const REPORT_PARAGRAPHS: &[&str] = &[
    "张店区测试局2023年政府信息公开工作年度报告",
    "本年度报告中所列数据的统计期限自2023年1月1日起，至2023年12月31日止。",
    "一、总体情况",
    "2023年，张店区测试局认真贯彻落实政府信息公开工作的部署要求，主动公开政府信息45条。",
    "二、主动公开政府信息情况",
    // The picture goes here, where a report's first table would be.
    "三、收到和处理政府信息公开申请情况",
    "2023年，本机关未收到政府信息公开申请。",
    "四、政府信息公开行政复议、行政诉讼情况",
    "2023年，未发生政府信息公开行政复议、行政诉讼。",
    "五、存在的主要问题及改进情况",
    "公开内容还不够全面，下一步将进一步规范公开工作。",
    "六、其他需要报告的事项",
    "本机关无其他需要报告的事项。",
];

const PICTURE_RUN: &str = r#"<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="5400000" cy="3600000"/><wp:docPr id="1" name="Picture 1"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="1" name="image1.png"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="rId7"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="5400000" cy="3600000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"#;

/// A minimal DOCX of the report text; with `picture`, a picture paragraph after
/// section 二 embeds `word/media/image1.png` holding those bytes.
fn report_docx(picture: Option<&[u8]>) -> Vec<u8> {
    let mut body = String::new();
    for (i, p) in REPORT_PARAGRAPHS.iter().enumerate() {
        body.push_str(&format!("<w:p><w:r><w:t>{p}</w:t></w:r></w:p>"));
        if i == 4 && picture.is_some() {
            body.push_str(&format!("<w:p>{PICTURE_RUN}</w:p>"));
        }
    }
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    let content_types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let package_rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    let document_rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/></Relationships>"#;

    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", content_types.as_bytes()),
        ("_rels/.rels", package_rels.as_bytes()),
        ("word/document.xml", document.as_bytes()),
    ];
    if let Some(bytes) = picture {
        parts.push(("word/_rels/document.xml.rels", document_rels.as_bytes()));
        parts.push(("word/media/image1.png", bytes));
    }
    for (name, data) in parts {
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(data).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

/// Errors of the record other than those of stage `recognise`, as (stage, message).
fn other_errors(rec: &Record) -> Vec<(String, String)> {
    rec.errors
        .iter()
        .filter(|e| e.stage != "recognise")
        .map(|e| (e.stage.clone(), e.message.clone()))
        .collect()
}

#[test]
fn report_docx_with_corrupt_picture_names_the_picture_and_is_not_failed() {
    // The same report without its picture: the baseline the picture must not spoil.
    let plain = run("report-plain.docx", report_docx(None));
    assert_sane(&plain);
    assert_ne!(plain.record.status, Status::Failed, "{:#?}", plain.record);
    assert_eq!(plain.record.year, Some(2023), "{:#?}", plain.record);
    assert!(plain.record.sections.len() >= 6, "{:#?}", plain.record);
    assert!(
        plain.record.errors.iter().all(|e| e.stage != "recognise"),
        "{:#?}",
        plain.record.errors
    );

    let garbage: Vec<u8> = b"this is not a picture, just some bytes \x00\x01\x02\xff"
        .iter()
        .copied()
        .cycle()
        .take(2048)
        .collect();
    let r = run("report-bad-picture.docx", report_docx(Some(&garbage)));
    assert_sane(&r);
    let rec = &r.record;
    assert_eq!(rec.source.format, "docx");
    assert_ne!(
        rec.status,
        Status::Failed,
        "failed for its picture: {rec:#?}"
    );
    assert_eq!(rec.status, plain.record.status, "{rec:#?}");
    assert_eq!(rec.year, plain.record.year);
    assert_eq!(rec.agency, plain.record.agency);
    assert_eq!(rec.sections.len(), plain.record.sections.len());
    let msg = find_error(
        rec,
        "recognise",
        &["word/media/image1.png", "unrecognised or corrupt image"],
    );
    assert_eq!(
        rec.errors.iter().filter(|e| e.stage == "recognise").count(),
        1,
        "one picture, one error: {:#?}",
        rec.errors
    );
    // Apart from the picture's own error, the record is the one without the picture.
    assert_eq!(other_errors(rec), other_errors(&plain.record), "{msg}");
}

#[test]
fn report_docx_with_oversized_picture_names_the_picture_and_is_not_failed() {
    let r = run(
        "report-huge-picture.docx",
        report_docx(Some(&png_declaring(20_000, 20_000))),
    );
    assert_sane(&r);
    let rec = &r.record;
    assert_ne!(
        rec.status,
        Status::Failed,
        "failed for its picture: {rec:#?}"
    );
    find_error(
        rec,
        "recognise",
        &["word/media/image1.png", "too large", "20000x20000"],
    );
    assert!(r.largest_alloc < 16 * MIB, "{} MiB", r.largest_alloc / MIB);
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);
}

// ---------------------------------------------------------------------------------------
// Memory for a large picture that passes the size limits

/// A picture within the limits of `decode_bounded` (MAX_SIDE 12000, MAX_PIXELS 100
/// million) but far larger than any table needs: a 10000×10000 page (a 0.5 MB PNG of a
/// ruled grid). It is scaled down before binarisation (whose integral images take 16
/// bytes a pixel), so no allocation exceeds what the decoder itself is allowed.
#[test]
fn large_picture_within_limits_stays_within_the_decoder_budget() {
    let mut g = GrayImage::from_pixel(10_000, 10_000, Luma([255]));
    for r in 0..=3 {
        let y = 1000 + r * 2000;
        fill(&mut g, 1000, y, 9008, y + 8);
    }
    for c in 0..=4 {
        let x = 1000 + c * 2000;
        fill(&mut g, x, 1000, x + 8, 7008);
    }
    let bytes = png_of(&g);
    drop(g);
    let size = bytes.len();
    let r = run("large.png", bytes);
    assert!(r.record.values.is_empty(), "{:#?}", r.record);
    assert_eq!(r.record.status, Status::Failed, "{:#?}", r.record);
    assert!(r.elapsed < Duration::from_secs(60), "took {:?}", r.elapsed);
    // The decoder's own allowance for one picture (`decode_bounded`'s max_alloc).
    let budget = 100_000_000 * 4 + 64 * MIB;
    assert!(
        r.largest_alloc <= budget,
        "one allocation of {} MiB for a {}-byte picture (decoder budget {} MiB)",
        r.largest_alloc / MIB,
        size,
        budget / MIB
    );
}
