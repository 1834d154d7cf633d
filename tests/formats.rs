//! The other file forms of real archives (issue #12), one sample each in
//! `samples/formats/` with its truth: OFD, RTF (and a `.doc` that is RTF), MHT web
//! archives (one with a table as a picture part, read by the real OCR engine), a `.doc`
//! that is HTML or DOCX, a `.wps` that is Word 97, a Word 97 `.doc` whose three tables
//! are JPEG pictures (read by OCR), Chromium's print of a report page (header and footer
//! lines, a table row cut by the page break), PDFs whose tables have no ruled grid (a
//! 三线表 with 续表, one without any rules), text laid out with spaces for columns
//! (`pdftotext -layout`, GBK; and the same with its wrapped row labels' values beside the
//! label's first or last line, `fm-012-wrapped`), an unnumbered row label wrapped over
//! two lines with its values beside the last (Chromium's print of an unruled page whose
//! cells are aligned to the bottom, `fm-030`, and laid-out text, `fm-031-wrapped-bottom`),
//! and an OFD that is not a report.
//! Each is extracted from its bytes and held against its truth: every value, the
//! metadata, the planted arithmetic errors, and `source.format` naming what the file was.

use nianbao::record::Status;
use serde_json::Value;
use std::sync::OnceLock;

mod common;
use common::{assert_planted_errors_flagged, extract_samples, Sample};

fn samples() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(|| extract_samples(&["formats"]))
}

/// What `source.format` must say for a truth format and file name.
fn expected_format(truth: &Value) -> &'static str {
    let file = truth["file"].as_str().unwrap_or("");
    match (
        truth["format"].as_str().unwrap_or(""),
        file.rsplit('.').next(),
    ) {
        ("ofd" | "ofd-scan", _) | ("negative", Some("ofd")) => "ofd",
        ("rtf", Some("doc")) => "doc-rtf",
        ("rtf", _) => "rtf",
        ("mht", _) => "mht",
        ("doc-html", _) => "doc-html",
        ("doc-docx", _) => "doc-docx",
        ("wps", _) => "wps-doc",
        ("doc-image", _) => "doc",
        ("pdf-text", _) => "pdf",
        ("txt-layout", _) => "txt",
        (other, _) => panic!("no expected format for {other} ({file})"),
    }
}

#[test]
fn every_format_is_sampled_and_named_for_what_it_is() {
    let mut seen: Vec<&str> = samples()
        .iter()
        .map(|s| {
            assert_eq!(
                s.record.source.format,
                expected_format(&s.truth),
                "{}",
                s.path.display()
            );
            expected_format(&s.truth)
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        ["doc", "doc-docx", "doc-html", "doc-rtf", "mht", "ofd", "pdf", "rtf", "txt", "wps-doc"]
    );
}

#[test]
fn values_and_metadata_match_the_truth() {
    let mut checked = 0;
    for Sample {
        path,
        truth,
        record: rec,
    } in samples()
    {
        if truth["expect_status"] == "failed" {
            continue;
        }
        assert_eq!(
            rec.status,
            Status::Ok,
            "{}: {:?}",
            path.display(),
            rec.errors
        );
        let values = truth["values"].as_object().expect("truth values");
        for (key, want) in values {
            let got = rec.values.get(key).map(|n| n.as_f64());
            assert_eq!(got, want.as_f64(), "{}: {key}", path.display());
            checked += 1;
        }
        assert_eq!(
            rec.values.len(),
            values.len(),
            "{}: extra values",
            path.display()
        );
        let strip = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(
            rec.agency.as_deref().map(strip),
            truth["agency"].as_str().map(strip),
            "{}",
            path.display()
        );
        assert_eq!(
            rec.year.map(i64::from),
            truth["year"].as_i64(),
            "{}",
            path.display()
        );
        assert_eq!(
            rec.template.as_deref(),
            truth["template"].as_str(),
            "{}",
            path.display()
        );
        assert_eq!(
            rec.published.as_deref(),
            truth["published"].as_str(),
            "{}",
            path.display()
        );
    }
    assert!(checked > 1500, "only {checked} values checked");
}

#[test]
fn a_table_picture_in_a_web_archive_is_read_by_ocr() {
    let word_mht = samples()
        .iter()
        .find(|s| {
            s.truth["perturbations"]
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x == "table_picture:appeals"))
        })
        .expect("the Word MHT sample with table 四 as a picture");
    let rec = &word_mht.record;
    let ocr: Vec<_> = rec.cells.iter().filter(|c| c.origin == "ocr").collect();
    assert!(!ocr.is_empty(), "{:?}", rec.errors);
    assert!(ocr.iter().all(|c| c.key.starts_with("appeals/")));
    assert_eq!(
        ocr.len(),
        rec.values
            .keys()
            .filter(|k| k.starts_with("appeals/"))
            .count()
    );
}

#[test]
fn the_table_pictures_of_a_word_97_doc_are_read_by_ocr() {
    let doc = samples()
        .iter()
        .find(|s| s.truth["format"] == "doc-image")
        .expect("the .doc sample with table pictures");
    let values = doc.truth["values"].as_object().expect("values");
    let ocr = doc
        .record
        .cells
        .iter()
        .filter(|c| c.origin == "ocr")
        .count();
    assert_eq!(ocr, values.len(), "{:?}", doc.record.errors);
}

#[test]
fn planted_errors_are_flagged_and_the_non_report_fails() {
    let mut planted = 0;
    let mut negatives = 0;
    for sample in samples() {
        let (path, rec) = (&sample.path, &sample.record);
        if sample.truth["expect_status"] == "failed" {
            assert_eq!(rec.status, Status::Failed, "{}", path.display());
            assert!(rec.values.is_empty());
            negatives += 1;
            continue;
        }
        planted += assert_planted_errors_flagged(sample);
    }
    assert!(
        planted >= 2 && negatives == 1,
        "{planted} planted, {negatives} negatives"
    );
}

#[test]
fn tables_without_rulings_and_space_aligned_text_give_every_value() {
    let mut checked = 0;
    for sample in samples() {
        let perturbations = sample.truth["perturbations"].as_array();
        let unruled = perturbations.is_some_and(|p| {
            p.iter()
                .any(|x| x == "producer:reportlab-threeline" || x == "producer:reportlab-unruled")
        });
        let origin = match sample.truth["format"].as_str() {
            Some("txt-layout") => "text",
            Some("pdf-text") if unruled => "pdf-text",
            _ => continue,
        };
        let values = sample.truth["values"].as_object().expect("truth values");
        for (key, want) in values {
            let cell = sample.record.cells.iter().find(|c| &c.key == key);
            let cell = cell.unwrap_or_else(|| panic!("{}: {key}", sample.path.display()));
            assert_eq!(cell.origin, origin, "{}: {key}", sample.path.display());
            let got = sample.record.values.get(key).map(|n| n.as_f64());
            assert_eq!(got, want.as_f64(), "{}: {key}", sample.path.display());
            checked += 1;
        }
    }
    assert!(checked >= 3 * 190, "only {checked} values checked");
}

/// Chromium's print of fm-017's page, its tables narrowed so that labels wrap, with the
/// page break inside two rows: `2.其他法律行政法规禁止公|开` and
/// `（六）其他处|理` / `1.申请人无正当理由逾期不补正、行政机|关不再处理其政府信息公开申请`
/// have their last piece at the top of the next page, in a row of its own.
#[test]
fn a_row_label_cut_by_a_page_break_is_joined_again() {
    let sample = samples()
        .iter()
        .find(|s| {
            s.truth["perturbations"]
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x == "label_cut_by_page_break"))
        })
        .expect("the sample with a row label cut by a page break");
    let bytes = std::fs::read(&sample.path).expect("sample");
    let doc = nianbao::formats::pdf::decode_pdf(&bytes).expect("decodes");
    let labels: Vec<&str> = doc
        .tables()
        .flat_map(|t| t.rows.iter().flatten())
        .map(|c| c.text.as_str())
        .collect();
    for whole in [
        "2.其他法律行政法规禁止公开",
        "（六）其他处理",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    ] {
        assert!(labels.contains(&whole), "{whole} missing from {labels:?}");
    }
    for piece in ["开", "理", "关不再处理其政府信息公开申请"] {
        assert!(!labels.contains(&piece), "{piece} left on its own");
    }
    let rec = &sample.record;
    assert_eq!(rec.status, Status::Ok, "{:?}", rec.errors);
    assert!(rec.errors.is_empty(), "{:?}", rec.errors);
    let values = sample.truth["values"].as_object().expect("truth values");
    for (key, want) in values
        .iter()
        .filter(|(k, _)| k.starts_with("requests/withheld.prohibited/"))
    {
        assert_eq!(
            rec.values.get(key).map(|n| n.as_f64()),
            want.as_f64(),
            "{key}"
        );
    }
}

/// An unnumbered row label wrapped over two lines with its values beside its last line
/// (`行政规范性` / `文件  0  0  9`): the line above the values begins that row, not the
/// one above it (`规章`), in Chromium's print of an unruled table whose cells are aligned
/// to the bottom and in space-aligned text.
#[test]
fn a_wrapped_label_keeps_the_values_beside_its_last_line() {
    let wrapped: Vec<&Sample> = samples()
        .iter()
        .filter(|s| {
            s.truth["perturbations"].as_array().is_some_and(|p| {
                p.iter()
                    .any(|x| x == "labels:wrapped-unnumbered-values-on-last-line")
            })
        })
        .collect();
    let mut origins: Vec<&str> = Vec::new();
    for sample in wrapped {
        let rec = &sample.record;
        let values = sample.truth["values"].as_object().expect("truth values");
        for key in [
            "active/rules/issued",
            "active/normative_docs/issued",
            "active/normative_docs/repealed",
            "active/normative_docs/in_force",
        ] {
            let cell = rec.cells.iter().find(|c| c.key == key);
            let cell = cell.unwrap_or_else(|| panic!("{}: {key}", sample.path.display()));
            origins.push(cell.origin.as_str());
            assert_eq!(
                rec.values.get(key).map(|n| n.as_f64()),
                values[key].as_f64(),
                "{}: {key}",
                sample.path.display()
            );
        }
    }
    origins.sort();
    origins.dedup();
    assert_eq!(origins, ["pdf-text", "text"]);
}
