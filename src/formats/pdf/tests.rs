//! Tests on real report PDFs shipped in samples/ (copies from the development corpus);
//! the per-file evaluator also covers every pdf-text file of the full corpus when it sits
//! beside the checkout (../shared/corpus).

use super::decode_pdf;
use crate::document::{Block, Document, Table};
use std::path::{Path, PathBuf};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");
const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/spec/keys.tsv");

/// A sample file; every id the tests below name is shipped in samples/.
fn corpus_file(name: &str) -> Option<PathBuf> {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let found = ["pdf", "pdf-scan", "negative"]
        .iter()
        .map(|d| samples.join(d).join(name))
        .chain(std::iter::once(Path::new(CORPUS).join(name)))
        .find(|p| p.exists());
    assert!(found.is_some(), "sample {name} is missing from samples/");
    found
}

fn decode_file(id: &str) -> Option<Document> {
    let p = corpus_file(&format!("{id}.pdf"))?;
    let bytes = std::fs::read(p).ok()?;
    Some(decode_pdf(&bytes).unwrap_or_else(|e| panic!("{id}: {e}")))
}

fn truth(id: &str) -> Option<serde_json::Value> {
    let p = corpus_file(&format!("{id}.truth.json"))?;
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

fn truth_num(t: &serde_json::Value, key: &str) -> Option<f64> {
    t["values"][key].as_f64()
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn row_texts(t: &Table, r: usize) -> Vec<String> {
    (0..t.n_cols())
        .map(|c| t.shown_text(r, c).to_string())
        .collect()
}

fn parse_num(s: &str) -> Option<f64> {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect();
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>().ok()
}

const GROUPS: [&str; 7] = [
    "natural_person",
    "business",
    "research",
    "social_welfare",
    "legal_services",
    "other_org",
    "total",
];

#[test]
fn new_requests_row_matches_truth() {
    for id in ["dev-006", "dev-011", "dev-030", "dev-045"] {
        let (Some(doc), Some(t)) = (decode_file(id), truth(id)) else {
            continue;
        };
        let table = doc
            .tables()
            .collect::<Vec<_>>()
            .into_iter()
            .find(|t| t.all_text().contains("自然人"))
            .unwrap_or_else(|| panic!("{id}: no table with 自然人"));
        let r = (0..table.rows.len())
            .find(|&r| row_texts(table, r).iter().any(|s| s.contains("本年新收")))
            .unwrap_or_else(|| panic!("{id}: no row with 本年新收"));
        let cells = row_texts(table, r);
        let last7 = &cells[cells.len() - 7..];
        let want: Vec<String> = GROUPS
            .iter()
            .map(|g| fmt_num(truth_num(&t, &format!("requests/new/{g}")).unwrap_or(f64::NAN)))
            .collect();
        assert_eq!(last7, &want[..], "{id}");
        // Cells know where they are.
        let cell = &table.rows[r][table.n_cols() - 1];
        assert!(cell.bbox.is_some() && cell.page.is_some(), "{id}");
    }
}

fn is_footer_like(s: &str) -> bool {
    let t = s.trim();
    (t.starts_with(['-', '—', '－']) && t.ends_with(['-', '—', '－']) && t.len() > 1)
        || (t.starts_with('第') && t.ends_with('页'))
}

#[test]
fn title_present_and_no_page_furniture() {
    for id in ["dev-006", "dev-011", "dev-030", "dev-045", "dev-050"] {
        let Some(doc) = decode_file(id) else {
            continue;
        };
        let paras: Vec<&str> = doc.blocks.iter().filter_map(|b| b.text()).collect();
        assert!(
            paras.iter().any(|p| p.contains("政府信息公开工作年度报告")),
            "{id}: no title paragraph"
        );
        for p in &paras {
            assert!(
                !is_footer_like(p) && !super::layout::is_page_number(p),
                "{id}: footer paragraph {p:?}"
            );
        }
        for t in doc.tables().collect::<Vec<_>>() {
            for row in &t.rows {
                for c in row {
                    assert!(!is_footer_like(&c.text), "{id}: footer cell {:?}", c.text);
                }
            }
        }
    }
}

#[test]
fn reportlab_footers_exist_in_source_but_are_dropped() {
    // dev-030 draws "- 1 -" … at the page bottom; none of them may survive.
    let Some(doc) = decode_file("dev-030") else {
        return;
    };
    for b in &doc.blocks {
        if let Some(t) = b.text() {
            assert!(!t.contains("- 1 -") && !t.contains("-1-"), "{t}");
        }
    }
}

#[test]
fn scanned_pdf_gives_pictures_only() {
    let Some(doc) = decode_file("dev-008") else {
        return;
    };
    assert!(!doc.blocks.is_empty());
    for (k, b) in doc.blocks.iter().enumerate() {
        match b {
            Block::Picture(p) => {
                assert_eq!(p.page, Some(k as u32 + 1));
                assert_eq!(p.name.as_deref(), Some(format!("page {}", k + 1).as_str()));
                assert!(p.bytes.starts_with(&[0xFF, 0xD8]), "JPEG bytes expected");
                assert!(p.dpi.is_some_and(|d| d > 100.0));
            }
            other => panic!("dev-008: unexpected block {other:?}"),
        }
    }
}

#[test]
fn negatives_are_errors() {
    // dev-054 is truncated, dev-055 is empty (0 bytes): both are errors.
    for id in ["dev-054", "dev-055"] {
        let Some(p) = corpus_file(&format!("{id}.pdf")) else {
            continue;
        };
        let bytes = std::fs::read(p).unwrap_or_default();
        let e = decode_pdf(&bytes).expect_err(id);
        assert!(e.message.contains("PDF is damaged"), "{id}: {e}");
    }
}

#[test]
fn junk_and_truncations_do_not_panic() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let junk: Vec<u8> = (0..5000).map(|_| rnd() as u8).collect();
    assert!(decode_pdf(&junk).is_err());
    let mut fake = b"%PDF-1.4\n".to_vec();
    fake.extend_from_slice(&junk);
    fake.extend_from_slice(b"\n%%EOF\n");
    let _ = decode_pdf(&fake);
    assert!(decode_pdf(b"").is_err());
    if let Some(p) = corpus_file("dev-006.pdf") {
        let bytes = std::fs::read(p).unwrap_or_default();
        let e = decode_pdf(&bytes[..bytes.len() / 2]).expect_err("truncated copy");
        assert!(e.message.starts_with("PDF is damaged"), "{e}");
        // Flipped bytes inside the body: any result, but no panic.
        for k in 0..20 {
            let mut b = bytes.clone();
            let n = b.len();
            for _ in 0..50 {
                let i = (rnd() as usize) % n;
                b[i] = rnd() as u8;
            }
            let _ = decode_pdf(&b);
            let _ = k;
        }
    }
}

#[test]
fn garbage_operators_are_skipped() {
    // A minimal hand-made PDF whose content stream mixes junk with real text.
    let content =
        b"BT /F1 12 Tf 14 TL 1 0 0 1 72 700 Tm foo ]] (Hello) Tj 3 4 5 bar (World) ' ET zz Q Q";
    let pdf = minimal_pdf(content);
    let doc = decode_pdf(&pdf).expect("minimal pdf");
    let text: Vec<&str> = doc.blocks.iter().filter_map(|b| b.text()).collect();
    assert!(text.iter().any(|t| t.contains("Hello")), "{text:?}");
}

fn stream_obj(dict: &str, content: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", content.len()).into_bytes();
    s.extend_from_slice(content);
    s.extend_from_slice(b"\nendstream");
    s
}

fn minimal_pdf(content: &[u8]) -> Vec<u8> {
    build_pdf(vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream_obj("", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
    ])
}

fn build_pdf(objs: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The requests table's data rows, in order: rows of the tables from the one holding
/// 本年新收 up to (not including) the 行政复议 table whose last 7 cells are numbers.
fn request_rows(doc: &Document) -> Vec<Vec<f64>> {
    let ts = doc.tables().collect::<Vec<_>>();
    let Some(start) = ts.iter().position(|t| t.all_text().contains("本年新收")) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for (k, t) in ts.iter().enumerate().skip(start) {
        let all = t.all_text();
        if k > start && (all.contains("行政复议") || all.contains("行政诉讼")) {
            break;
        }
        for r in 0..t.rows.len() {
            let cells = row_texts(t, r);
            if cells.len() < 8 {
                continue;
            }
            let nums: Option<Vec<f64>> = cells[cells.len() - 7..]
                .iter()
                .map(|s| parse_num(s))
                .collect();
            if let Some(v) = nums {
                rows.push(v);
            }
        }
    }
    rows
}

fn pdf_text_ids() -> Vec<(String, String)> {
    let Ok(m) = std::fs::read_to_string(Path::new(CORPUS).join("MANIFEST.tsv")) else {
        return Vec::new();
    };
    m.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 3 && f[1] == "pdf-text").then(|| (f[0].to_string(), f[2].to_string()))
        })
        .collect()
}

fn request_keys(template: &str) -> Vec<String> {
    std::fs::read_to_string(KEYS)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 3 && f[0] == template && f[1] == "requests").then(|| f[2].to_string())
        })
        .collect()
}

/// Per-file accuracy of the requests table (all 7 values of every data row).
#[test]
fn requests_table_accuracy() {
    let mut ids = pdf_text_ids();
    if ids.is_empty() {
        // Without the full corpus: the shipped samples.
        ids = ["dev-006", "dev-011", "dev-030", "dev-045", "dev-050"]
            .iter()
            .filter_map(|id| {
                let t = truth(id)?;
                Some((id.to_string(), t["template"].as_str()?.to_string()))
            })
            .collect();
    }
    assert!(ids.len() >= 5);
    let (mut total_ok, mut total) = (0usize, 0usize);
    let mut report = String::new();
    for (id, template) in &ids {
        let (Some(doc), Some(t)) = (decode_file(id), truth(id)) else {
            continue;
        };
        let keys = request_keys(template);
        let rows = request_rows(&doc);
        let mut ok = 0;
        for (k, key) in keys.iter().enumerate() {
            let got = rows.get(k / 7).and_then(|r| r.get(k % 7));
            if got.is_some() && got.copied() == truth_num(&t, key) {
                ok += 1;
            }
        }
        report.push_str(&format!(
            "{id} ({template}): {ok}/{} values, {} data rows found (want {})\n",
            keys.len(),
            rows.len(),
            keys.len() / 7
        ));
        total_ok += ok;
        total += keys.len();
    }
    eprintln!("{report}total: {total_ok}/{total}");
    assert_eq!(total_ok, total, "\n{report}");
}

/// Timing over the corpus: `cargo test --release -- --ignored --nocapture timing`.
#[test]
#[ignore]
fn timing() {
    let Ok(dir) = std::fs::read_dir(CORPUS) else {
        return;
    };
    let mut files: Vec<(String, Vec<u8>)> = dir
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(&p).unwrap_or_default(),
            )
        })
        .collect();
    files.sort();
    let text_ids: Vec<String> = pdf_text_ids().into_iter().map(|(id, _)| id).collect();
    let rounds = 20;
    let (mut text_ms, mut text_n) = (0.0, 0);
    for (name, bytes) in &files {
        let t0 = std::time::Instant::now();
        for _ in 0..rounds {
            let _ = decode_pdf(bytes);
        }
        let ms = t0.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
        eprintln!("{name}: {ms:.2} ms");
        if text_ids.iter().any(|id| name.contains(id.as_str())) {
            text_ms += ms;
            text_n += 1;
        }
    }
    eprintln!(
        "pdf-text mean: {:.2} ms/document",
        text_ms / text_n.max(1) as f64
    );
}

/// Dumps a decoded corpus file: `PDF_DUMP=dev-011 cargo test dump -- --ignored --nocapture`.
#[test]
#[ignore]
fn dump() {
    let id = std::env::var("PDF_DUMP").unwrap_or_else(|_| "dev-011".into());
    let Some(doc) = decode_file(&id) else {
        return;
    };
    for b in &doc.blocks {
        match b {
            Block::Table(t) => {
                eprintln!("TABLE page {:?} {}x{}", t.page, t.rows.len(), t.n_cols());
                for r in 0..t.rows.len() {
                    eprintln!("  | {}", row_texts(t, r).join(" | "));
                }
            }
            Block::Picture(p) => eprintln!("PICTURE {:?} {} bytes", p.name, p.bytes.len()),
            other => eprintln!("P: {}", other.text().unwrap_or("")),
        }
    }
}

#[test]
#[ignore]
fn dump_lines() {
    let id = std::env::var("PDF_DUMP").unwrap_or_else(|_| "dev-011".into());
    let bytes = std::fs::read(format!("{CORPUS}/{id}.pdf")).unwrap_or_default();
    let doc = lopdf::Document::load_mem(&bytes).expect("load");
    let mut fonts = std::collections::HashMap::new();
    for (_, pid) in doc.get_pages() {
        let page = doc.get_dictionary(pid).expect("page");
        let attrs = super::PageAttrs::of(&doc, page);
        let data = doc.get_page_content(pid);
        let (ctm, w, h) = attrs.base_matrix();
        let mut it = super::content::Interp::new(&doc, &mut fonts, (w, h));
        it.run(&data, attrs.resources, ctm);
        let mut pc = it.finish();
        let (w, h) = super::layout::upright(&mut pc, w, h);
        eprintln!("=== page {w}x{h}");
        super::layout::debug_lines(&pc);
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pdf")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn new_row_of(doc: &Document) -> Option<Vec<String>> {
    let table = doc.tables().find(|t| t.all_text().contains("自然人"))?;
    let r = (0..table.rows.len())
        .find(|&r| row_texts(table, r).iter().any(|s| s.contains("本年新收")))?;
    Some(row_texts(table, r))
}

#[test]
fn encrypted_with_empty_user_password_opens() {
    for name in ["dev-030-rc4.pdf", "dev-030-aes256.pdf"] {
        let doc = decode_pdf(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let row = new_row_of(&doc).unwrap_or_else(|| panic!("{name}: no 本年新收 row"));
        assert_eq!(row.last().map(String::as_str), Some("0"), "{name}");
    }
}

#[test]
fn encrypted_with_user_password_is_a_clear_error() {
    let e = decode_pdf(&fixture("dev-030-userpw.pdf")).expect_err("needs a password");
    assert!(
        e.message.contains("encrypted") || e.message.contains("damaged"),
        "{e}"
    );
}

#[test]
fn broken_xref_and_object_streams_and_rotation() {
    for name in [
        "dev-030-badxref.pdf",
        "dev-011-objstm.pdf",
        "dev-030-rot90.pdf",
    ] {
        let doc = decode_pdf(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let row = new_row_of(&doc).unwrap_or_else(|| panic!("{name}: no 本年新收 row"));
        assert_eq!(row.len(), 10, "{name}: {row:?}");
        assert!(
            doc.blocks
                .iter()
                .filter_map(|b| b.text())
                .any(|p| p.contains("政府信息公开工作年度报告")),
            "{name}"
        );
    }
}

#[test]
fn form_xobject_table_with_gbk_font() {
    // A 2×2 ruled table drawn inside a Form XObject (with its own /Matrix), text in a
    // non-embedded Type0 font with the predefined GBK-EUC-H CMap and no ToUnicode.
    let form = b"0.5 w 0 0 m 200 0 l S 0 40 m 200 40 l S 0 80 m 200 80 l S \
        0 0 m 0 80 l S 100 0 m 100 80 l S 200 0 m 200 80 l S \
        BT /F1 10 Tf 10 55 Td <d2bb> Tj 100 0 Td (12) Tj ET \
        BT /F1 10 Tf 10 15 Td <b6fe> Tj 100 0 Td [(3) -200 (4)] TJ ET";
    let page = b"BT /F1 12 Tf 72 780 Td <c4eab6c8b1a8b8e6> Tj ET q 1 0 0 1 100 500 cm /X1 Do Q \
        BT /F1 12 Tf 72 300 Td <cdea> Tj ET";
    let pdf = build_pdf(vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream_obj("", page),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /GBK-EUC-H /DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /DW 1000 >>] >>".to_vec(),
        stream_obj(
            "/Type /XObject /Subtype /Form /BBox [0 0 200 100] /Matrix [1 0 0 1 10 0] /Resources << /Font << /F1 5 0 R >> >>",
            form,
        ),
    ]);
    let doc = decode_pdf(&pdf).expect("decodes");
    assert_eq!(doc.blocks.len(), 3, "{:?}", doc.blocks);
    assert_eq!(doc.blocks[0].text(), Some("年度报告"));
    let Block::Table(t) = &doc.blocks[1] else {
        panic!("table expected: {:?}", doc.blocks[1]);
    };
    assert_eq!(row_texts(t, 0), vec!["一", "12"]);
    assert_eq!(row_texts(t, 1), vec!["二", "34"]);
    let bbox = t.rows[0][0].bbox.expect("bbox");
    // Form origin (110, 500) user space → x 110, top of the table at 842 - 580 = 262.
    assert!(
        (bbox[0] - 110.0).abs() < 0.5 && (bbox[1] - 262.0).abs() < 0.5,
        "{bbox:?}"
    );
    assert_eq!(doc.blocks[2].text(), Some("完"));
}

/// A one-page scan whose page image is `image_dict` + `samples`, drawn over the page.
fn scan_pdf(image_dict: &str, samples: &[u8]) -> Vec<u8> {
    let content = b"q 595 0 0 842 0 0 cm /Im1 Do Q";
    build_pdf(vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream_obj("", content),
        stream_obj(&format!("/Type /XObject /Subtype /Image {image_dict}"), samples),
    ])
}

fn page_picture(pdf: &[u8]) -> crate::document::Picture {
    let doc = decode_pdf(pdf).expect("scan pdf");
    let pics: Vec<_> = doc.pictures().cloned().collect();
    assert_eq!(pics.len(), 1, "{:?}", doc.blocks);
    pics[0].clone()
}

#[test]
fn flate_and_bilevel_page_images_are_handed_to_recognition() {
    use std::io::Write;
    // 8-bit grey, Flate-compressed: a gradient the PNG must carry pixel for pixel.
    let (w, h) = (64u32, 32u32);
    let grey: Vec<u8> = (0..w * h).map(|i| (i % 251) as u8).collect();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&grey).expect("deflate");
    let flate = z.finish().expect("deflate");
    let pdf = scan_pdf(
        &format!("/Width {w} /Height {h} /BitsPerComponent 8 /ColorSpace /DeviceGray /Filter /FlateDecode"),
        &flate,
    );
    let pic = page_picture(&pdf);
    assert_eq!(pic.page, Some(1));
    let img = image::load_from_memory(&pic.bytes).expect("png").to_luma8();
    assert_eq!(img.dimensions(), (w, h));
    assert_eq!(img.as_raw(), &grey);
    // 1-bit grey, unfiltered: set bits are white, clear bits black.
    let bits = [0b1010_0000u8, 0b0101_0000];
    let pdf = scan_pdf(
        "/Width 4 /Height 2 /BitsPerComponent 1 /ColorSpace /DeviceGray",
        &bits,
    );
    let img = image::load_from_memory(&page_picture(&pdf).bytes)
        .expect("png")
        .to_luma8();
    assert_eq!(img.as_raw(), &[255, 0, 255, 0, 0, 255, 0, 255]);
    // CCITT (fax) is not decoded: the picture comes without bytes, which the record names.
    let pdf = scan_pdf(
        "/Width 8 /Height 8 /BitsPerComponent 1 /ColorSpace /DeviceGray /Filter /CCITTFaxDecode",
        &[0u8; 8],
    );
    assert!(page_picture(&pdf).bytes.is_empty());
}

/// A text page with `Im1` (the grey `png` as Flate samples) drawn at `w`×`h` points, its
/// bottom left at (40, 250), between two lines of text.
fn mixed_pdf(png: &[u8], w: f32, h: f32) -> Vec<u8> {
    use std::io::Write;
    let img = image::load_from_memory(png).expect("png").to_luma8();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(img.as_raw()).expect("deflate");
    let samples = z.finish().expect("deflate");
    let content = format!(
        "BT /F1 12 Tf 50 800 Td (The text layer above the picture) Tj ET \
         q {w} 0 0 {h} 40 250 cm /Im1 Do Q \
         BT /F1 12 Tf 50 200 Td (The text layer below the picture) Tj ET"
    );
    build_pdf(vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream_obj("", content.as_bytes()),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        stream_obj(
            &format!(
                "/Type /XObject /Subtype /Image /Width {} /Height {} /BitsPerComponent 8 \
                 /ColorSpace /DeviceGray /Filter /FlateDecode",
                img.width(),
                img.height()
            ),
            &samples,
        ),
    ])
}

fn sample_png(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples/png")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_large_picture_on_a_text_page_is_kept_in_reading_order() {
    let png = sample_png("dev-004.png");
    let doc = decode_pdf(&mixed_pdf(&png, 500.0, 484.0)).expect("mixed pdf");
    let kinds: Vec<String> = doc
        .blocks
        .iter()
        .map(|b| match b {
            Block::Picture(p) => format!("picture {:?} {}", p.page, p.whole_page),
            other => other.text().unwrap_or("table").to_string(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "The text layer above the picture",
            "picture Some(1) false",
            "The text layer below the picture"
        ]
    );
    let pic = doc.pictures().next().expect("picture");
    // 1370 pixels over 500 points.
    assert!(
        pic.dpi.is_some_and(|d| (d - 197.3).abs() < 1.0),
        "{:?}",
        pic.dpi
    );
    // A logo-sized picture (under 8 % of the page) is not a table: left out.
    let doc = decode_pdf(&mixed_pdf(&png, 120.0, 116.0)).expect("mixed pdf");
    assert_eq!(doc.pictures().count(), 0, "{:?}", doc.blocks);
}

#[test]
fn the_table_pictured_on_a_text_page_is_read() {
    let truth: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/png/dev-004.truth.json"),
        )
        .expect("truth"),
    )
    .expect("truth json");
    let pdf = mixed_pdf(&sample_png("dev-004.png"), 500.0, 484.0);
    let templates = crate::template::Templates::builtin().expect("templates");
    let mut engine = crate::ocr::LazyEngine::new();
    let rec = crate::extract::extract_bytes("mixed.pdf", pdf, &templates, &mut engine);
    let want = truth["values"].as_object().expect("values");
    assert!(!want.is_empty());
    for (key, v) in want {
        let got = rec.values.get(key).map(|n| n.as_f64());
        assert_eq!(got, v.as_f64(), "{key}: {:?}", rec.errors);
    }
    let cell = rec
        .cells
        .iter()
        .find(|c| c.key.starts_with("requests/"))
        .expect("cell");
    assert_eq!((cell.origin.as_str(), cell.page), ("ocr", Some(1)));
}

/// A one-page scan whose page image is inline: `BI` + `dict` + `ID` + `samples` + `EI`.
fn inline_scan_pdf(dict: &str, samples: &[u8]) -> Vec<u8> {
    let mut content = format!("q 595 0 0 842 0 0 cm BI {dict} ID ").into_bytes();
    content.extend_from_slice(samples);
    content.extend_from_slice(b"\nEI Q");
    build_pdf(vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream_obj("", &content),
    ])
}

#[test]
fn inline_page_images_are_handed_to_recognition() {
    use std::io::Write;
    // Flate-compressed grey samples, abbreviated keys and names.
    let (w, h) = (40u32, 20u32);
    let grey: Vec<u8> = (0..w * h).map(|i| (i * 7 % 256) as u8).collect();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&grey).expect("deflate");
    let flate = z.finish().expect("deflate");
    let pdf = inline_scan_pdf(&format!("/W {w} /H {h} /BPC 8 /CS /G /F /Fl"), &flate);
    let pic = page_picture(&pdf);
    assert!(pic.whole_page && pic.page == Some(1));
    let img = image::load_from_memory(&pic.bytes).expect("png").to_luma8();
    assert_eq!((img.dimensions(), img.as_raw()), ((w, h), &grey));
    // Unfiltered samples holding the bytes "EI" are read by their length, not cut there.
    let raw: Vec<u8> = b" EI EI ".iter().copied().cycle().take(8 * 4).collect();
    let pdf = inline_scan_pdf("/W 8 /H 4 /BPC 8 /CS /G", &raw);
    let img = image::load_from_memory(&page_picture(&pdf).bytes)
        .expect("png")
        .to_luma8();
    assert_eq!(img.as_raw(), &raw);
}
