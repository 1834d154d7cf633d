//! `limits.doc_timeout_s`: a document that a stage works on past the limit (deeply nested
//! HTML, which the HTML parser takes quadratic time over) gets a failed record with a
//! timeout error, its worker is replaced, and the documents after it are extracted.

use std::path::Path;
use std::process::Command;

#[test]
fn a_document_past_the_time_limit_fails_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).expect("mkdir");
    // 100,000 nested <div>s: many seconds of parsing (200,000 take minutes).
    let depth = 100_000;
    let deep = format!(
        "<html><body>{}x{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    std::fs::write(docs.join("a-deep.html"), deep).expect("write");
    let html = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/html");
    for name in ["dev-002.html", "dev-009.html"] {
        std::fs::copy(html.join(name), docs.join(format!("b-{name}"))).expect("copy");
    }
    // One decode worker: the documents after the deep one wait for its replacement.
    let config = dir.path().join("pipeline.toml");
    std::fs::write(
        &config,
        "[stages]\ndecode = 1\n[limits]\ndoc_timeout_s = 1\n",
    )
    .expect("config");
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["extract", "--quiet", "--no-db", "--jsonl", "-", "--config"])
        .arg(&config)
        .arg(&docs)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(records.len(), 3, "{stderr}");
    for r in &records {
        let path = r["source"]["path"].as_str().expect("path");
        if path.ends_with("a-deep.html") {
            assert_eq!(r["status"], "failed");
            assert_eq!(r["source"]["format"], "html");
            let e = &r["errors"][0];
            assert_eq!(e["stage"], "decode");
            let message = e["message"].as_str().expect("message");
            assert!(
                message.starts_with("timeout: decode ran past the time limit of 1 s"),
                "{message}"
            );
        } else {
            assert_eq!(r["status"], "ok", "{path}: {}", r["errors"]);
            assert!(r["values"].as_object().is_some_and(|v| v.len() > 100));
        }
    }
    assert!(
        stderr.contains("3 documents: 2 ok, 0 partial, 1 failed"),
        "{stderr}"
    );
}
