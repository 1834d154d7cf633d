//! `nianbao extract --reprocess-outdated`: after a template edit, only the documents whose
//! stored report another pipeline (fingerprint) made are extracted again, and their
//! values still match the truth. The pipeline is changed the way a user changes it: a
//! copy of the templates with one edited, named by `templates_dir` in a config file.
//! SQLite, and PostgreSQL on a real server the test starts.

mod pg_server;
mod run_cli;

use run_cli::{copy_samples, documents, documents_by_extension, extract, read_stats, FOLDERS};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The truth file beside a sample document.
fn truth_of(doc: &Path) -> Option<Value> {
    let stem = doc.file_stem()?.to_string_lossy().into_owned();
    let text = std::fs::read_to_string(doc.with_file_name(format!("{stem}.truth.json"))).ok()?;
    serde_json::from_str(&text).ok()
}

fn count(v: &Value) -> usize {
    v.as_u64().expect("a count") as usize
}

/// Config files for the built-in templates and for a copy with gov-2021 edited.
fn configs(dir: &Path) -> (PathBuf, PathBuf) {
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/templates");
    for name in ["gov-2019.toml", "gov-2021.toml"] {
        std::fs::copy(shipped.join(name), templates.join(name)).unwrap();
    }
    let edited = templates.join("gov-2021.toml");
    let text = std::fs::read_to_string(&edited).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("issued_by = "))
        .expect("issued_by line");
    let revised = format!("{}（修订）\"", line.trim_end_matches('"'));
    std::fs::write(&edited, text.replacen(line, &revised, 1)).unwrap();

    let builtin = dir.join("builtin.toml");
    std::fs::write(&builtin, "").unwrap();
    let changed = dir.join("edited.toml");
    std::fs::write(&changed, format!("templates_dir = {:?}\n", templates)).unwrap();
    (builtin, changed)
}

/// Runs the scenario against the database that `sink` names (`--db FILE` or
/// `--postgres URL`); returns the fingerprint of the last pipeline.
fn reprocess_only_the_outdated(dir: &Path, sink: &[&str]) -> String {
    let input = dir.join("in");
    copy_samples(&FOLDERS, &input);
    let total = documents(&input).len();
    let html = documents_by_extension(&input)["html"];
    let (builtin, edited) = configs(dir);
    let run = |paths: &[&Path], config: &Path, extra: &[&str], name: &str| -> Value {
        let stats = dir.join(format!("{name}.json"));
        let mut args: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
        args.extend(sink);
        args.extend(["--config", config.to_str().unwrap()]);
        args.extend(["--stats", stats.to_str().unwrap()]);
        args.extend(extra);
        extract(&args);
        read_stats(&stats)
    };

    // The HTML samples by the edited pipeline, then everything by the shipped one: the
    // HTML reports are stored already and stay the edited pipeline's.
    let first = run(&[&input.join("html")], &edited, &[], "first");
    assert_eq!(count(&first["extracted"]), html);
    let second = run(&[&input], &builtin, &[], "second");
    assert_eq!(count(&second["already_stored"]), html);
    assert_eq!(count(&second["extracted"]), total - html);
    assert_ne!(first["fingerprint"], second["fingerprint"]);

    // The edited pipeline over everything: all but the HTML reports are outdated.
    let jsonl = dir.join("out.jsonl");
    let third = run(
        &[&input],
        &edited,
        &["--reprocess-outdated", "--jsonl", jsonl.to_str().unwrap()],
        "third",
    );
    assert_eq!(third["fingerprint"], first["fingerprint"]);
    assert_eq!(count(&third["documents"]), total);
    assert_eq!(count(&third["already_stored"]), html, "{third}");
    assert_eq!(count(&third["extracted"]), total - html, "{third}");
    assert_eq!(count(&third["reprocessed"]), total - html, "{third}");
    let formats: Vec<&str> = third["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    assert!(!formats.contains(&"html"), "{formats:?}");

    // Every record, extracted again or re-emitted, holds its truth's values.
    let mut compared = 0;
    for line in std::fs::read_to_string(&jsonl).unwrap().lines() {
        let rec: Value = serde_json::from_str(line).unwrap();
        let path = PathBuf::from(rec["source"]["path"].as_str().unwrap());
        let truth = truth_of(&path).unwrap_or_else(|| panic!("no truth for {path:?}"));
        if truth["expect_status"] == "failed" || truth["values_unavailable"] == true {
            continue;
        }
        let Some(want) = truth["values"].as_object() else {
            continue;
        };
        let got = rec["values"].as_object().unwrap();
        for (key, value) in got {
            assert_eq!(
                value.as_f64(),
                want.get(key).and_then(Value::as_f64),
                "{path:?}: {key}"
            );
            compared += 1;
        }
        if rec["status"] == "ok" {
            assert_eq!(got.len(), want.len(), "{path:?}");
        }
    }
    assert!(compared > 1000, "only {compared} values compared");

    // Once more: nothing is outdated now.
    let fourth = run(&[&input], &edited, &["--reprocess-outdated"], "fourth");
    assert_eq!(count(&fourth["already_stored"]), total, "{fourth}");
    assert_eq!(count(&fourth["reprocessed"]), 0);
    third["fingerprint"].as_str().unwrap().to_string()
}

#[test]
fn sqlite_reprocesses_only_documents_of_another_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.sqlite");
    let fingerprint = reprocess_only_the_outdated(dir.path(), &["--db", db.to_str().unwrap()]);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let made_by: Vec<String> = conn
        .prepare("SELECT DISTINCT u.fingerprint FROM reports r JOIN runs u ON u.id = r.run_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(made_by, [fingerprint]);
}

#[test]
fn postgres_reprocesses_only_documents_of_another_pipeline() {
    let Some(server) =
        pg_server::PgServer::start("postgres_reprocesses_only_documents_of_another_pipeline")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let fingerprint = reprocess_only_the_outdated(dir.path(), &["--postgres", &server.url]);
    let made_by: Vec<String> = server
        .client()
        .query(
            "SELECT DISTINCT u.fingerprint FROM reports r JOIN runs u ON u.id = r.run_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(made_by, [fingerprint]);
}
