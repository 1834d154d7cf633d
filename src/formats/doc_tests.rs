use super::*;
use std::io::Write;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/doc/");

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{SAMPLES}{name}")).expect("sample file")
}

/// A number from the truth file, found by its key (no JSON parser needed).
fn truth_value(id: &str, key: &str) -> f64 {
    let json = std::fs::read_to_string(format!("{SAMPLES}{id}.truth.json")).unwrap();
    let at = json.find(&format!("\"{key}\":")).expect("key in truth") + key.len() + 3;
    let rest = json[at..].trim_start();
    let end = rest.find([',', '\n', '}']).unwrap();
    rest[..end].trim().parse().unwrap()
}

fn paragraphs(doc: &Document) -> Vec<&str> {
    doc.blocks.iter().filter_map(Block::text).collect()
}

/// The non-empty cells of the first row whose first cell contains `label`.
fn row_with<'a>(doc: &'a Document, label: &str) -> Vec<&'a str> {
    row_at(doc, 0, label)
}

/// The non-empty cells of the first row whose cell `col` contains `label`.
fn row_at<'a>(doc: &'a Document, col: usize, label: &str) -> Vec<&'a str> {
    for t in doc.tables().collect::<Vec<_>>() {
        for r in 0..t.rows.len() {
            if t.shown_text(r, col).contains(label) {
                return (0..t.n_cols())
                    .map(|c| t.shown_text(r, c))
                    .filter(|s| !s.is_empty())
                    .collect();
            }
        }
    }
    panic!("no row labelled {label}");
}

const NEW_KEYS: [&str; 7] = [
    "natural_person",
    "business",
    "research",
    "social_welfare",
    "legal_services",
    "other_org",
    "total",
];

fn check_new_requests(id: &str, doc: &Document) {
    let row = row_with(doc, "本年新收");
    assert_eq!(row.len(), 8, "{row:?}");
    for (cell, key) in row[row.len() - 7..].iter().zip(NEW_KEYS) {
        let want = truth_value(id, &format!("requests/new/{key}"));
        assert_eq!(cell.parse::<f64>().unwrap(), want, "{key} in {row:?}");
    }
}

#[test]
fn dev_001_text_and_tables() {
    let doc = decode_doc(&sample("dev-001.doc")).unwrap();
    let paras = paragraphs(&doc);
    assert_eq!(paras[0], "烟台市莱山区统计局2023年政府信息公开工作年度报告");
    assert_eq!(paras.last(), Some(&"2024年2月21日"));
    assert!(paras.contains(&"一、总体情况"));
    let tables = doc.tables().collect::<Vec<_>>();
    assert_eq!(tables.len(), 3);
    assert_eq!(tables[0].rows.len(), 14);
    assert_eq!(tables[1].rows.len(), 28);
    assert_eq!(tables[2].rows.len(), 4);
    assert!(tables.iter().all(|t| t.origin == TableOrigin::DocxTable));
    check_new_requests("dev-001", &doc);
    // A row under a vertically merged cell keeps its empty leading cell.
    let row = row_at(&doc, 1, "五、不予处理");
    assert_eq!(row[1], "1、信访举报投诉类申请");
    assert_eq!(row.last(), Some(&"1"));
    let fees = row_with(&doc, "行政事业性收费");
    assert_eq!(fees, ["行政事业性收费", "148.32"]);
}

#[test]
fn dev_015_text_and_tables() {
    let doc = decode_doc(&sample("dev-015.doc")).unwrap();
    let paras = paragraphs(&doc);
    assert_eq!(paras[0], "新乡市卫滨区商务局");
    assert_eq!(paras[1], "2023年政府信息公开工作年度报告");
    assert_eq!(paras.last(), Some(&"2024年2月15日"));
    let tables = doc.tables().collect::<Vec<_>>();
    assert_eq!(tables.len(), 3);
    check_new_requests("dev-015", &doc);
    let in_force = row_with(&doc, "行政规范性文件");
    assert_eq!(
        in_force.last().unwrap().parse::<f64>().unwrap(),
        truth_value("dev-015", "active/normative_docs/in_force")
    );
}

/// Rewrites a compound file, letting `edit` change each stream.
fn rebuild(bytes: &[u8], edit: impl Fn(&str, &mut Vec<u8>)) -> Vec<u8> {
    let mut src = cfb::CompoundFile::open(Cursor::new(bytes)).unwrap();
    let names: Vec<String> = src
        .walk()
        .filter(|e| e.is_stream())
        .map(|e| e.path().to_string_lossy().into_owned())
        .collect();
    let mut dst = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    for name in names {
        let mut data = Vec::new();
        src.open_stream(&name)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        edit(name.trim_start_matches('/'), &mut data);
        if let Some(parent) = std::path::Path::new(&name).parent() {
            if parent != std::path::Path::new("/") {
                dst.create_storage_all(parent).unwrap();
            }
        }
        dst.create_stream(&name).unwrap().write_all(&data).unwrap();
    }
    dst.flush().unwrap();
    dst.into_inner().into_inner()
}

#[test]
fn rebuilt_copy_still_decodes() {
    let bytes = rebuild(&sample("dev-001.doc"), |_, _| {});
    let doc = decode_doc(&bytes).unwrap();
    assert_eq!(doc.tables().collect::<Vec<_>>().len(), 3);
}

#[test]
fn encrypted_flag_gives_a_clear_error() {
    let bytes = rebuild(&sample("dev-001.doc"), |name, data| {
        if name == "WordDocument" {
            data[0x0B] |= 0x01; // fEncrypted
        }
    });
    let err = decode_doc(&bytes).unwrap_err();
    assert_eq!(
        err.message,
        "encrypted .doc: cannot be read without the password"
    );
}

#[test]
fn bad_inputs_give_errors() {
    for junk in [
        Vec::new(),
        b"hello".to_vec(),
        vec![0u8; 4096],
        b"PK\x03\x04 not a doc".repeat(100),
    ] {
        let err = decode_doc(&junk).unwrap_err();
        assert!(err.message.starts_with("not a Word 97-2003 .doc"), "{err}");
    }
    let full = sample("dev-001.doc");
    for cut in [512, 1024, full.len() / 3, full.len() / 2, full.len() - 1000] {
        let err = decode_doc(&full[..cut]).unwrap_err();
        assert!(err.message.starts_with("damaged .doc"), "{cut}: {err}");
    }
    // An OLE file without a WordDocument stream, as an .xls is.
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    cf.create_stream("Workbook")
        .unwrap()
        .write_all(&[0u8; 8192])
        .unwrap();
    cf.flush().unwrap();
    let xls = cf.into_inner().into_inner();
    let err = decode_doc(&xls).unwrap_err();
    assert!(err.message.contains("Excel"), "{err}");
    // A WordDocument stream that is not a FIB.
    let bad_fib = rebuild(&full, |name, data| {
        if name == "WordDocument" {
            data[0] = 0;
        }
    });
    assert!(decode_doc(&bad_fib).unwrap_err().message.contains("FIB"));
}

#[test]
fn damaged_streams_never_panic() {
    // Corrupt the FIB, the CLX and the PAPX pages; call the inner decoder so that a
    // panic would fail the test instead of being caught.
    let full = sample("dev-001.doc");
    for seed in 0u32..150 {
        let bytes = rebuild(&full, |name, data| {
            if name == "WordDocument" || name == "1Table" || name == "0Table" {
                let mut x = seed
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(name.len() as u32);
                for _ in 0..8 {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    let limit = if seed % 2 == 0 {
                        data.len().min(0x400)
                    } else {
                        data.len()
                    };
                    let at = x as usize % limit.max(1);
                    if let Some(b) = data.get_mut(at) {
                        *b = (x >> 24) as u8;
                    }
                }
            }
        });
        let _ = decode_inner(&bytes);
    }
}
