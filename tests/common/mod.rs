//! What the sample tests share (`tests/samples.rs`, `tests/formats.rs`): the samples of
//! some folders of `samples/` extracted once with their truth, and the check that a
//! record flags exactly the arithmetic errors its truth planted.

use nianbao::extract::extract_bytes;
use nianbao::ocr::LazyEngine;
use nianbao::record::Record;
use nianbao::template::Templates;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub struct Sample {
    pub path: PathBuf,
    pub truth: Value,
    pub record: Record,
}

/// Every sample of the folders `dirs` of `samples/` (in name order) with its truth file
/// and its record, extracted with one engine (picture samples go through the real OCR
/// engine, which takes seconds each: callers keep the result for all their tests).
pub fn extract_samples(dirs: &[&str]) -> Vec<Sample> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let templates = Templates::builtin().expect("templates");
    let mut engine = LazyEngine::new();
    let mut out = Vec::new();
    for dir in dirs {
        let mut truths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("samples folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.to_string_lossy().ends_with(".truth.json"))
            .collect();
        truths.sort();
        for truth_path in truths {
            let truth: Value =
                serde_json::from_str(&std::fs::read_to_string(&truth_path).expect("truth"))
                    .expect("truth json");
            let path = root
                .join(dir)
                .join(truth["file"].as_str().expect("truth.file"));
            let bytes = std::fs::read(&path).expect("sample");
            let record = extract_bytes(&path.display().to_string(), bytes, &templates, &mut engine);
            out.push(Sample {
                path,
                truth,
                record,
            });
        }
    }
    out
}

/// Asserts that the sample's record fails every check its truth planted an error for,
/// and none where the truth planted none; returns how many were planted.
pub fn assert_planted_errors_flagged(s: &Sample) -> usize {
    let failed: Vec<&str> = s
        .record
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.id.as_str())
        .collect();
    let expected: Vec<&str> = s.truth["inconsistent"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["rule"].as_str()).collect())
        .unwrap_or_default();
    for rule in &expected {
        assert!(
            failed.contains(rule),
            "{}: {rule} not flagged ({failed:?})",
            s.path.display()
        );
    }
    if expected.is_empty() {
        assert!(
            failed.is_empty(),
            "{}: false alarm {failed:?}",
            s.path.display()
        );
    }
    expected.len()
}
