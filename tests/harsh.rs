//! Pictures and scans at real-world quality (issue #9): low-resolution JPEG table
//! pictures and a 150-dpi greyscale scan with a seal over its table, from `samples/harsh`,
//! and one table rendered at several resolutions. What they must show: no number that
//! disagrees with the truth (a cell left out is an error in the record, a wrong one is
//! the worst defect), and at least the share of the table read today.

use image::{imageops, DynamicImage, ImageFormat};
use nianbao::extract::extract_bytes;
use nianbao::ocr::LazyEngine;
use nianbao::record::Record;
use nianbao::template::Templates;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

fn extract(name: &str, bytes: Vec<u8>) -> Record {
    let templates = Templates::builtin().expect("templates");
    let mut engine = LazyEngine::new();
    extract_bytes(name, bytes, &templates, &mut engine)
}

fn truth(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(rel);
    serde_json::from_str(&std::fs::read_to_string(path).expect("truth")).expect("truth json")
}

/// Every value of `rec` is one of the truth's and equal to it; returns how many there are.
fn no_wrong_number(rec: &Record, truth: &Value, what: &str) -> usize {
    let want = truth["values"].as_object().expect("truth values");
    for (key, got) in &rec.values {
        let Some(w) = want.get(key) else {
            panic!("{what}: {key} is not a key of this report's tables");
        };
        assert_eq!(Some(got.as_f64()), w.as_f64(), "{what}: {key}");
    }
    rec.values.len()
}

#[test]
fn low_resolution_jpegs_and_a_grey_scan_with_a_seal_read_no_wrong_number() {
    // (sample, what it is, values read at least: the truth has 15, 15, 161, 198, 198, 200,
    // 198)
    let cases = [
        ("hv-026.jpg", "91-dpi table 四, JPEG q50", 14),
        (
            "hv-038.jpg",
            "104-dpi table 四 in full-width digits, JPEG q40",
            15,
        ),
        ("hv-039.jpg", "102-dpi table 三, JPEG q45", 150),
        (
            "hv-013.pdf",
            "150-dpi grey scan, seal over table 三, JPEG q39",
            160,
        ),
        (
            "hv-011.pdf",
            "150-dpi grey scan, seal over table 三's totals, JPEG q35",
            185,
        ),
        (
            "hv-002.pdf",
            "120-dpi grey scan, table 三 over two pages, its 3.其他 misread in a row of numbers",
            198,
        ),
        (
            "hv-014.pdf",
            "150-dpi grey scan, a seal's text across table 二's numbers, JPEG q44",
            194,
        ),
    ];
    for (file, what, floor) in cases {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/harsh");
        let bytes = std::fs::read(dir.join(file)).expect("sample");
        let rec = extract(file, bytes);
        let stem = file.rsplit_once('.').map_or(file, |s| s.0);
        let t = truth(&format!("harsh/{stem}.truth.json"));
        let read = no_wrong_number(&rec, &t, what);
        assert!(
            read >= floor,
            "{what}: {read} values read, {floor} expected"
        );
        // What was not read is named in the errors.
        if read < t["values"].as_object().map_or(0, |v| v.len()) {
            assert!(
                !rec.errors.is_empty(),
                "{what}: values missing without an error"
            );
        }
    }
}

#[test]
fn a_number_with_a_seals_text_across_it_is_read_from_its_darkest_ink() {
    // hv-014's table 二: the seal's text, mid-grey on this grey scan, runs through the
    // licensing decisions ("792" touches a stroke of it), so the cell's ink is three
    // times the number's width and its first reads were "792.-" and words.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/harsh");
    let bytes = std::fs::read(dir.join("hv-014.pdf")).expect("sample");
    let rec = extract("hv-014.pdf", bytes);
    let t = truth("harsh/hv-014.truth.json");
    let key = "active/licensing/decisions";
    let got = rec.values.get(key).map(|v| v.as_f64());
    assert_eq!(got, t["values"][key].as_f64(), "{key}");
    // Read again from part of its ink: doubtful, and said so.
    let cell = rec.cells.iter().find(|c| c.key == key).expect("its cell");
    assert!(
        cell.confidence.is_some_and(|c| c < 0.6),
        "{:?}",
        cell.confidence
    );
}

#[test]
fn a_row_cut_off_by_a_page_and_a_lone_thin_one_are_read() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/harsh");
    // hv-036: table 二's 行政规范性文件 row, with its three values, heads the next page,
    // where the table below it is ruled for one value: its column lines are one row high.
    let rec = extract(
        "hv-036.pdf",
        std::fs::read(dir.join("hv-036.pdf")).expect("sample"),
    );
    let t = truth("harsh/hv-036.truth.json");
    no_wrong_number(&rec, &t, "hv-036");
    for col in ["issued", "repealed", "in_force"] {
        let key = format!("active/normative_docs/{col}");
        let got = rec.values.get(&key).map(|v| v.as_f64());
        assert_eq!(got, t["values"][&key].as_f64(), "{key}");
    }
    // hv-033 (104 dpi, Ming face): a serif "1" that neither the engine nor the classifier
    // reads clearly, a candidate that the row's sum confirms.
    let rec = extract(
        "hv-033.png",
        std::fs::read(dir.join("hv-033.png")).expect("sample"),
    );
    let t = truth("harsh/hv-033.truth.json");
    no_wrong_number(&rec, &t, "hv-033");
    let key = "requests/withheld.query/total";
    let got = rec.values.get(key).map(|v| v.as_f64());
    assert_eq!(got, t["values"][key].as_f64(), "{key}");
    let cell = rec.cells.iter().find(|c| c.key == key).expect("its cell");
    assert_eq!(cell.decided_by, Some("arithmetic"), "{key}");
}

/// `png` scaled by `factor`: area averaging down, bilinear up, as a screenshot or a
/// re-scan at another resolution would give it.
fn rescaled(png: &[u8], factor: f64) -> Vec<u8> {
    let img = image::load_from_memory(png).expect("png").to_luma8();
    let (w, h) = img.dimensions();
    let (nw, nh) = (
        (w as f64 * factor).round() as u32,
        (h as f64 * factor).round() as u32,
    );
    let filter = if factor < 1.0 {
        imageops::FilterType::Triangle
    } else {
        imageops::FilterType::CatmullRom
    };
    let out = imageops::resize(&img, nw, nh, filter);
    let mut bytes = Vec::new();
    DynamicImage::ImageLuma8(out)
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .expect("encode");
    bytes
}

#[test]
fn one_table_at_90_150_and_300_dpi_gives_one_grid_and_the_same_numbers() {
    // samples/png/dev-004.png is table 三 at about 180 dpi.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/png");
    let png = std::fs::read(root.join("dev-004.png")).expect("sample");
    let t = truth("png/dev-004.truth.json");
    let all = t["values"].as_object().map_or(0, |v| v.len());
    let mut grids: Vec<BTreeMap<String, (usize, usize, usize)>> = Vec::new();
    // (scale, resolution, values read at least)
    for (factor, dpi, floor) in [(0.5, 90, 110), (0.83, 150, 150), (1.67, 300, all)] {
        let rec = extract("dev-004.png", rescaled(&png, factor));
        let read = no_wrong_number(&rec, &t, &format!("{dpi} dpi"));
        assert!(read >= floor, "{dpi} dpi: {read} of {all} values read");
        grids.push(
            rec.cells
                .iter()
                .map(|c| (c.key.clone(), (c.table, c.row, c.col)))
                .collect(),
        );
    }
    // Every value read at two resolutions sits in the same grid cell at both.
    for g in &grids[..2] {
        for (key, at) in g {
            assert_eq!(grids[2].get(key), Some(at), "{key} moved");
        }
    }
}

/// `bytes` (any picture) scaled by `factor` as [`rescaled`] does, blurred by `sigma`
/// pixels (0: not), and saved as a JPEG of `quality`: a screenshot pasted into a report.
fn degraded(bytes: &[u8], factor: f64, sigma: f32, quality: u8) -> Vec<u8> {
    let png = rescaled(bytes, factor);
    let mut img = image::load_from_memory(&png).expect("png").to_luma8();
    if sigma > 0.0 {
        img = imageops::blur(&img, sigma);
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&DynamicImage::ImageLuma8(img))
        .expect("encode");
    out
}

#[test]
fn blurred_and_coarse_jpeg_variants_of_two_tables_read_no_wrong_number() {
    // Variants (`samples/harsh/variants`, made with PIL) that once gave confidently
    // wrong numbers: a blurred 5 whose faint top bar the binarisation lost read as 3, a
    // faint 3 as 1, a JPEG-smeared 0 as 1. What is not sure is left out (and said),
    // never printed wrong.
    let cases = [
        ("hv-039_d150_q90_b1.jpg", 150),
        ("hv-039_d75_q50_b1.jpg", 115),
        ("dev-004_d75_q20_b0.jpg", 85),
        // 100-dpi screenshots, blurred: the zeros' hairlines are paler than the page's
        // threshold ("0" binarised as "()"), read from each cell's own grey; rows whose
        // every cell was unreadable still hold their place among the rows (60 and 141
        // values read before).
        ("hv-029_d100_q50_b1.jpg", 120),
        ("hv-044_d100_q20_b1.jpg", 160),
        // A rule between two rows of the total column too pale for the binary image:
        // the grid merged the two cells, which the grey splits again (126 read before).
        ("dev-004_d100_q50_b1.jpg", 150),
    ];
    for (file, floor) in cases {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/harsh/variants");
        let rec = extract(file, std::fs::read(dir.join(file)).expect("sample"));
        let stem = file.rsplit_once('.').map_or(file, |s| s.0);
        let t = truth(&format!("harsh/variants/{stem}.truth.json"));
        let read = no_wrong_number(&rec, &t, file);
        assert!(
            read >= floor,
            "{file}: {read} values read, {floor} expected"
        );
    }
    // Made here the same way (scaled, blurred, JPEG): the 150-dpi one again, by other
    // code (the image crate's resampling and encoder).
    let harsh = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/harsh");
    let hv039 = std::fs::read(harsh.join("hv-039.jpg")).expect("sample");
    let rec = extract("variant.jpg", degraded(&hv039, 1.47, 1.0, 90));
    let read = no_wrong_number(&rec, &truth("harsh/hv-039.truth.json"), "hv-039 at 150 dpi");
    assert!(
        read >= 150,
        "hv-039 at 150 dpi, blurred, q90: {read} values read"
    );
}
