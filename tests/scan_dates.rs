//! The publication date of a scan whose date line lies under the seal (issue #9, item
//! 6): an OFD scan where the star covers 月 and the ring crosses 日, so that no two
//! readings of the line agree on the whole date, but they agree field by field (the
//! year, the month and the day each given by two readings). Values from the truth file.
//! And a grey 150-dpi scan whose seal's star lies over the day and its ring over the
//! year (hv-013): read only once the seal is divided out of the line's grey picture.
//! And one whose ring turns a reading's day into 44 (hv-011): no day, so no vote
//! against the three readings of the day that agree.

use nianbao::extract::extract_bytes;
use nianbao::ocr::LazyEngine;
use nianbao::record::Record;
use nianbao::template::Templates;
use serde_json::Value;
use std::path::Path;

/// The record of a sample and its truth file.
fn extract_sample(dir: &str, file: &str) -> (Record, Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let bytes = std::fs::read(dir.join(file)).expect("sample");
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{stem}.truth.json"))).expect("truth"),
    )
    .expect("truth json");
    let templates = Templates::builtin().expect("templates");
    let mut engine = LazyEngine::new();
    (extract_bytes(file, bytes, &templates, &mut engine), truth)
}

#[test]
fn a_date_under_the_seal_is_read_field_by_field() {
    let (rec, truth) = extract_sample("samples/scan-dates", "fm-003.ofd");
    assert_eq!(rec.year.map(i64::from), truth["year"].as_i64());
    assert_eq!(
        rec.published.as_deref(),
        truth["published"].as_str(),
        "{:?}",
        rec.errors
    );
}

#[test]
fn a_date_under_a_grey_seals_star_is_read_with_the_seal_divided_out() {
    year_and_published_as_in_truth("hv-013.pdf");
}

/// The year and the publication date of a harsh sample, as its truth gives them.
fn year_and_published_as_in_truth(file: &str) {
    let (rec, truth) = extract_sample("samples/harsh", file);
    assert_eq!(rec.year.map(i64::from), truth["year"].as_i64());
    assert!(truth["published"].as_str().is_some());
    assert_eq!(
        rec.published.as_deref(),
        truth["published"].as_str(),
        "{file}: {:?}",
        rec.errors
    );
}

#[test]
fn a_day_no_month_has_is_no_vote_against_the_day_read() {
    year_and_published_as_in_truth("hv-011.pdf");
}
