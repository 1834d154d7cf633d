//! Metadata of a scanned report (issue #9, item 6): the agency, year and publication
//! date read from the title and the signature lines of a 120-dpi scan, whose place
//! names hold 赣, a character chi_sim reads as others (总, 赢, 加); the glyphs are
//! compared with the characters the divisions allow there. Values from the truth file.

use nianbao::extract::extract_bytes;
use nianbao::ocr::LazyEngine;
use nianbao::template::Templates;
use serde_json::Value;
use std::path::Path;

#[test]
fn a_120_dpi_scan_gives_its_agency_year_and_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/harsh");
    let bytes = std::fs::read(dir.join("hv-010.pdf")).expect("sample");
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("hv-010.truth.json")).expect("truth"),
    )
    .expect("truth json");
    let templates = Templates::builtin().expect("templates");
    let mut engine = LazyEngine::new();
    let rec = extract_bytes("hv-010.pdf", bytes, &templates, &mut engine);
    assert_eq!(
        rec.agency.as_deref(),
        truth["agency"].as_str(),
        "{:?}",
        rec.errors
    );
    assert_eq!(rec.year.map(i64::from), truth["year"].as_i64());
    assert_eq!(rec.published.as_deref(), truth["published"].as_str());
}

/// A 150-dpi grey scan whose date line lies under the seal's star and ring: the date is
/// the truth's or left out with an error naming the readings that disagreed, never
/// another date (a misread digit with its 年/月/日 intact must not pass).
#[test]
fn a_date_under_a_seal_is_right_or_left_out_never_wrong() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/harsh");
    let templates = Templates::builtin().expect("templates");
    let mut engine = LazyEngine::new();
    for name in ["hv-011", "hv-013"] {
        let bytes = std::fs::read(dir.join(format!("{name}.pdf"))).expect("sample");
        let truth: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.truth.json"))).expect("truth"),
        )
        .expect("truth json");
        let rec = extract_bytes(&format!("{name}.pdf"), bytes, &templates, &mut engine);
        assert_eq!(rec.year.map(i64::from), truth["year"].as_i64(), "{name}");
        match rec.published.as_deref() {
            Some(date) => assert_eq!(Some(date), truth["published"].as_str(), "{name}"),
            None => assert!(
                rec.errors
                    .iter()
                    .any(|e| e.message.starts_with("published left out")),
                "{name}: no date and no reason: {:?}",
                rec.errors
            ),
        }
    }
}
