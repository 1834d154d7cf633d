//! The publication date of a scan whose date line lies under the seal (issue #9, item
//! 6): an OFD scan where the star covers 月 and the ring crosses 日, so that no two
//! readings of the line agree on the whole date, but they agree field by field (the
//! year, the month and the day each given by two readings). Values from the truth file.

use nianbao::extract::extract_bytes;
use nianbao::ocr::LazyEngine;
use nianbao::template::Templates;
use serde_json::Value;
use std::path::Path;

#[test]
fn a_date_under_the_seal_is_read_field_by_field() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/scan-dates");
    let bytes = std::fs::read(dir.join("fm-003.ofd")).expect("sample");
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("fm-003.truth.json")).expect("truth"),
    )
    .expect("truth json");
    let templates = Templates::builtin().expect("templates");
    let mut engine = LazyEngine::new();
    let rec = extract_bytes("fm-003.ofd", bytes, &templates, &mut engine);
    assert_eq!(rec.year.map(i64::from), truth["year"].as_i64());
    assert_eq!(
        rec.published.as_deref(),
        truth["published"].as_str(),
        "{:?}",
        rec.errors
    );
}
