//! `nianbao extract --stats FILE`: the real binary on born-digital samples and damaged
//! copies; the statistics count every document under its format and stage, keep the
//! slowest, and group the failures by reason.

mod run_cli;

use run_cli::{copy_samples, documents, documents_by_extension, extract, read_stats, FOLDERS};
use serde_json::Value;
use std::collections::BTreeMap;

fn count(v: &Value) -> usize {
    v.as_u64().expect("a count") as usize
}

fn seconds(v: &Value) -> f64 {
    v.as_f64().expect("seconds")
}

/// `formats` as format → documents.
fn by_format(stats: &Value) -> BTreeMap<String, usize> {
    stats["formats"]
        .as_array()
        .expect("formats")
        .iter()
        .map(|f| {
            (
                f["format"].as_str().expect("format").to_string(),
                count(&f["documents"]),
            )
        })
        .collect()
}

fn stage<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["stage"] == name)
        .unwrap_or_else(|| panic!("no stage {name}: {stats}"))
}

#[test]
fn stats_count_every_document_by_format_and_stage_and_group_failures() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    copy_samples(&FOLDERS, &input);
    // Two copies of a DOCX cut off at different points: one reason, two documents.
    let docx = std::fs::read(input.join("docx/dev-005.docx")).unwrap();
    std::fs::write(input.join("cut-1.docx"), &docx[..docx.len() / 2]).unwrap();
    std::fs::write(input.join("cut-2.docx"), &docx[..docx.len() / 3]).unwrap();
    // The samples' extensions are their formats (no .doc here is a web page, say).
    let expected = documents_by_extension(&input);
    let total: usize = expected.values().sum();
    let paths: Vec<String> = documents(&input)
        .iter()
        .map(|p| p.display().to_string())
        .collect();

    let db = dir.path().join("t.sqlite");
    let stats_file = dir.path().join("stats.json");
    let out = extract(&[
        input.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--stats",
        stats_file.to_str().unwrap(),
    ]);
    let s = read_stats(&stats_file);

    assert_eq!(count(&s["documents"]), total);
    assert_eq!(count(&s["extracted"]), total);
    assert_eq!(count(&s["already_stored"]), 0);
    assert_eq!(
        count(&s["ok"]) + count(&s["partial"]) + count(&s["failed"]),
        total
    );
    assert_eq!(count(&s["failed"]), 2, "{s}");
    assert_eq!(by_format(&s), expected, "{s}");
    for f in s["formats"].as_array().unwrap() {
        assert!(seconds(&f["cpu_s"]) > 0.0, "{f}");
    }

    // Every stage saw every document, in the order they pass.
    let names: Vec<&str> = s["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| st["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["read", "decode", "recognise", "interpret", "check", "write"]
    );
    for st in s["stages"].as_array().unwrap() {
        assert_eq!(count(&st["documents"]), total, "{st}");
        assert_eq!(count(&st["passed"]), 0, "{st}");
        assert!(count(&st["workers"]) >= 1, "{st}");
        // One thread's CPU time cannot pass the wall time it ran (a little slack for
        // the two clocks being read apart).
        assert!(
            seconds(&st["cpu_s"]) <= seconds(&st["busy_s"]) + 0.01,
            "{st}"
        );
    }

    // The ten slowest, slowest first, each a document of the run under its format.
    let slowest = s["slowest"].as_array().unwrap();
    assert_eq!(slowest.len(), total.min(10));
    let secs: Vec<f64> = slowest.iter().map(|d| seconds(&d["seconds"])).collect();
    assert!(secs.windows(2).all(|w| w[0] >= w[1]), "{secs:?}");
    for d in slowest {
        let path = d["path"].as_str().unwrap();
        assert!(paths.iter().any(|p| p == path), "{path}");
        let ext = path.rsplit('.').next().unwrap();
        assert_eq!(d["format"], ext, "{d}");
    }

    // The two damaged copies fail for one reason.
    let failures = s["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(count(&failures[0]["count"]), 2);
    assert!(
        failures[0]["reason"].as_str().unwrap().contains("damaged"),
        "{failures:?}"
    );
    let mut failed_paths: Vec<&str> = failures[0]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    failed_paths.sort();
    assert!(failed_paths[0].ends_with("cut-1.docx"), "{failed_paths:?}");
    assert!(failed_paths[1].ends_with("cut-2.docx"), "{failed_paths:?}");

    // The summary on stderr carries the same tables.
    let stderr = String::from_utf8_lossy(&out.stderr);
    for heading in ["stage ", "format ", "slowest documents"] {
        assert!(stderr.contains(heading), "{heading}: {stderr}");
    }

    // Again: the stored documents pass through every stage, the failed are read again.
    let again = dir.path().join("again.json");
    extract(&[
        input.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--stats",
        again.to_str().unwrap(),
    ]);
    let s = read_stats(&again);
    assert_eq!(count(&s["documents"]), total);
    assert_eq!(count(&s["already_stored"]), total - 2);
    assert_eq!(count(&s["extracted"]), 2);
    assert_eq!(by_format(&s), BTreeMap::from([("docx".to_string(), 2)]));
    let decode = stage(&s, "decode");
    assert_eq!(count(&decode["documents"]), 2);
    assert_eq!(count(&decode["passed"]), total - 2);
    assert_eq!(s["slowest"].as_array().unwrap().len(), 2);
}
