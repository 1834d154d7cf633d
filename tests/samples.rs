//! Every sample in `samples/` is extracted and compared with its truth file: values,
//! metadata, status, and the planted arithmetic errors.

use nianbao::record::Status;
use serde_json::Value;
use std::sync::OnceLock;

mod common;
use common::{assert_planted_errors_flagged, extract_samples, Sample};

/// Every sample with its truth and its record, extracted once for all tests.
fn samples() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let out = extract_samples(&[
            "docx", "doc", "html", "txt", "pdf", "pdf-scan", "png", "negative",
        ]);
        assert!(out.len() >= 12, "samples are missing");
        out
    })
}

/// Formats whose tables are pictures, read by OCR.
fn is_picture_format(truth: &Value) -> bool {
    ["docx-image", "pdf-scan", "png"].contains(&truth["format"].as_str().unwrap_or(""))
}

fn num(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

#[test]
fn values_match_the_truth() {
    let mut checked = 0;
    let mut by_ocr = 0;
    for Sample {
        path,
        truth,
        record: rec,
    } in samples()
    {
        if truth["expect_status"] == "failed" || truth["values_unavailable"] == true {
            continue;
        }
        let Some(values) = truth["values"].as_object() else {
            continue;
        };
        assert_ne!(
            rec.status,
            Status::Failed,
            "{}: {:?}",
            path.display(),
            rec.errors
        );
        // A scan or a picture inside a document may lose a cell to OCR: partial then (a
        // lone table picture's status has its own test below).
        if !is_picture_format(truth) {
            assert_eq!(
                rec.status,
                Status::Ok,
                "{}: {:?}",
                path.display(),
                rec.errors
            );
        }
        let mut withdrawn = 0;
        for (key, want) in values {
            let got = rec.values.get(key).map(|n| n.as_f64());
            // A picture's misprint (dev-012's grand total) breaks every sum it is in, as
            // a misread would: it is left out, read right, and its checks still fail.
            let left_out_as_read = format!("{key}: read as {want}, which breaks every sum");
            if got.is_none() && is_picture_format(truth) {
                assert!(
                    rec.errors
                        .iter()
                        .any(|e| e.message.starts_with(&left_out_as_read)),
                    "{}: {key} missing: {:?}",
                    path.display(),
                    rec.errors
                );
                assert!(rec.checks.iter().any(|c| !c.ok), "{}", path.display());
                withdrawn += 1;
                continue;
            }
            assert_eq!(got, Some(num(want)), "{}: {key}", path.display());
            checked += 1;
        }
        assert_eq!(
            rec.values.len() + withdrawn,
            values.len(),
            "{}: extra values",
            path.display()
        );
        if is_picture_format(truth) {
            let ocr = rec.cells.iter().filter(|c| c.origin == "ocr").count();
            assert_eq!(
                ocr + withdrawn,
                values.len(),
                "{}: origin of values",
                path.display()
            );
            // Every OCR'd value says how sure it is and where it was read.
            assert!(rec
                .cells
                .iter()
                .all(|c| c.confidence.is_some() && c.bbox.is_some()));
            by_ocr += ocr;
        }
    }
    assert!(checked > 3000, "only {checked} values checked");
    assert!(by_ocr > 600, "only {by_ocr} values read from pictures");
}

#[test]
fn metadata_matches_the_truth() {
    for Sample {
        path,
        truth,
        record: rec,
    } in samples()
    {
        if truth["expect_status"] == "failed" {
            continue;
        }
        let strip = |s: &str| s.split_whitespace().collect::<String>();
        // Null in a truth file: the document does not print it (a picture of one table).
        if let Some(agency) = truth["agency"].as_str() {
            assert_eq!(
                rec.agency.as_deref().map(strip),
                Some(strip(agency)),
                "{}",
                path.display()
            );
        }
        if let Some(year) = truth["year"].as_i64() {
            assert_eq!(rec.year.map(i64::from), Some(year), "{}", path.display());
        }
        if let Some(template) = truth["template"].as_str() {
            assert_eq!(
                rec.template.as_deref(),
                Some(template),
                "{}",
                path.display()
            );
        }
        if truth["format"] == "png" {
            continue;
        }
        assert_eq!(
            rec.published.as_deref(),
            truth["published"].as_str(),
            "{}",
            path.display()
        );
        // Facts and contact come from running text, which a scan gives only through OCR
        // of whole pages; the bars for them are the born-digital formats'.
        if is_picture_format(truth) {
            continue;
        }
        let facts = &truth["facts"];
        for (name, got) in [
            ("active_disclosed_total", rec.facts.active_disclosed_total),
            ("requests_received", rec.facts.requests_received),
        ] {
            assert_eq!(got, facts[name].as_i64(), "{}: fact {name}", path.display());
        }
        if let Some(contact) = truth["contact"].as_object() {
            let c = rec.contact.clone().unwrap_or_default();
            for (name, got) in [
                ("postcode", &c.postcode),
                ("phone", &c.phone),
                ("email", &c.email),
            ] {
                assert_eq!(
                    got.as_deref(),
                    contact[name].as_str(),
                    "{}: {name}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn planted_errors_are_flagged_and_consistent_reports_pass() {
    let mut planted = 0;
    let mut in_pictures = 0;
    for sample in samples() {
        let (path, truth, rec) = (&sample.path, &sample.truth, &sample.record);
        if truth["expect_status"] == "failed" {
            continue;
        }
        let n = assert_planted_errors_flagged(sample);
        planted += n;
        if is_picture_format(truth) {
            in_pictures += n;
        }
        // The failed check names the row or column and both sides.
        for c in rec.checks.iter().filter(|c| !c.ok) {
            assert!(c.detail.contains("!="), "{}: {}", path.display(), c.detail);
        }
    }
    assert!(planted >= 4);
    assert!(
        in_pictures >= 1,
        "no planted error in a picture table was seen"
    );
}

#[test]
fn negatives_are_reported_not_guessed() {
    let mut negatives = 0;
    for Sample {
        path,
        truth,
        record: rec,
    } in samples()
    {
        if truth["expect_status"] == "failed" {
            assert_eq!(rec.status, Status::Failed, "{}", path.display());
            assert!(!rec.errors.is_empty());
            assert!(rec.values.is_empty());
            negatives += 1;
        } else if truth["values_unavailable"] == true {
            // The tables are not in the document: no number may be invented.
            assert!(rec.values.is_empty(), "{}", path.display());
            assert_eq!(rec.status, Status::Partial, "{}", path.display());
            assert!(
                rec.errors.iter().any(|e| e.message.contains("not found")),
                "{}: {:?}",
                path.display(),
                rec.errors
            );
        }
    }
    assert!(negatives >= 3);
}

/// A picture file of one table read whole is `ok`: the title, agency, year and the other
/// tables are not missing from it, they do not apply, and its record says so.
#[test]
fn a_lone_table_picture_read_whole_is_ok() {
    let mut seen = 0;
    for Sample {
        path,
        truth,
        record: rec,
    } in samples()
    {
        if truth["format"] != "png" {
            continue;
        }
        seen += 1;
        let values = truth["values"].as_object().expect("truth values");
        let read_whole = values
            .iter()
            .all(|(k, v)| rec.values.get(k).map(|n| n.as_f64()) == v.as_f64());
        let note = rec
            .errors
            .iter()
            .find(|e| e.message.starts_with(nianbao::extract::LONE_TABLE_NOTE));
        assert!(note.is_some(), "{}: {:?}", path.display(), rec.errors);
        assert!(
            rec.errors
                .iter()
                .all(|e| !e.message.contains("agency not found")
                    && !e.message.contains("table(s) not found")),
            "{}: {:?}",
            path.display(),
            rec.errors
        );
        // A value the report's sums chose between OCR's readings is a doubt the record
        // states: such a record is partial, read whole or not.
        if read_whole && rec.decided_by_arithmetic == 0 {
            assert_eq!(
                rec.status,
                Status::Ok,
                "{}: {:?}",
                path.display(),
                rec.errors
            );
            assert_eq!(rec.errors.len(), 1, "{}: {:?}", path.display(), rec.errors);
        }
    }
    assert_eq!(seen, 3, "the three png samples");
}
