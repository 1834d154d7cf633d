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

/// Runs `nianbao ARGS…`; its stderr, after asserting it succeeded.
fn nianbao(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(args)
        .output()
        .expect("run nianbao");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "nianbao {args:?}: {said}");
    said
}

/// The queue: `enqueue --reprocess-outdated` queues again the finished jobs whose reports
/// another pipeline made, and the workers extract those again and see the current ones
/// again; `work --reprocess-outdated` does the same for jobs enqueued the ordinary way.
#[test]
fn queue_reprocesses_only_documents_of_another_pipeline() {
    let Some(server) =
        pg_server::PgServer::start("queue_reprocesses_only_documents_of_another_pipeline")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    copy_samples(&["docx", "html", "pdf", "txt"], &input);
    let total = documents(&input).len();
    let html = documents_by_extension(&input)["html"];
    let (builtin, edited) = configs(dir.path());
    let url = server.url.as_str();
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let (builtin, edited) = (path(&builtin), path(&edited));
    let work = |config: &str, extra: &[&str], name: &str| -> Value {
        let stats = path(&dir.path().join(format!("{name}.json")));
        let mut args = vec!["work", "--quiet", "-j", "1", "--postgres", url];
        args.extend(["--config", config, "--stats", &stats]);
        args.extend(extra);
        nianbao(&args);
        read_stats(Path::new(&stats))
    };
    let enqueue = |paths: &[&Path], config: &str, extra: &[&str]| -> String {
        let mut args = vec!["enqueue", "--postgres", url, "--config", config];
        args.extend(extra);
        let paths: Vec<String> = paths.iter().map(|p| path(p)).collect();
        args.extend(paths.iter().map(String::as_str));
        nianbao(&args)
    };
    let mut db = server.client();
    let fingerprints = |db: &mut postgres::Client| -> Vec<String> {
        db.query(
            "SELECT DISTINCT u.fingerprint FROM reports r JOIN runs u ON u.id = r.run_id
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    };

    // The HTML samples by the edited pipeline, then the rest by the shipped one.
    enqueue(&[&input.join("html")], &edited, &[]);
    let first = work(&edited, &[], "first");
    assert_eq!(count(&first["extracted"]), html, "{first}");
    let said = enqueue(&[&input], &builtin, &[]);
    assert!(
        said.contains(&format!("{} jobs added", total - html)),
        "{said}"
    );
    let second = work(&builtin, &[], "second");
    assert_eq!(count(&second["extracted"]), total - html, "{second}");
    assert_eq!(fingerprints(&mut db).len(), 2);

    // The edited pipeline rolled over everything: only the shipped pipeline's jobs are
    // queued again, and only their documents extracted again.
    let said = enqueue(&[&input], &edited, &["--reprocess-outdated"]);
    assert!(
        said.contains(&format!(
            "0 jobs added, {total} queued already ({} of them queued again",
            total - html
        )),
        "{said}"
    );
    let third = work(&edited, &[], "third");
    assert_eq!(count(&third["documents"]), total - html, "{third}");
    assert_eq!(count(&third["reprocessed"]), total - html, "{third}");
    assert_eq!(count(&third["already_stored"]), 0, "{third}");
    let made_by = fingerprints(&mut db);
    assert_eq!(made_by.len(), 1, "{made_by:?}");
    let reports: i64 = db
        .query_one("SELECT count(*) FROM reports", &[])
        .unwrap()
        .get(0);
    assert_eq!(reports as usize, total);
    let values: i64 = db
        .query_one("SELECT count(*) FROM report_values", &[])
        .unwrap()
        .get(0);
    let distinct: i64 = db
        .query_one(
            "SELECT count(*) FROM (SELECT DISTINCT report_id, key FROM report_values) v",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(values, distinct, "a value stored twice");
    // Each report holds its truth's values (those the truth lists).
    let mut compared = 0;
    for doc in documents(&input) {
        let Some(truth) = truth_of(&doc) else {
            continue;
        };
        let Some(want) = truth["values"].as_object() else {
            continue;
        };
        if truth["expect_status"] == "failed" || truth["values_unavailable"] == true {
            continue;
        }
        let rows = db
            .query(
                "SELECT v.key, v.value::float8 FROM report_values v
                 JOIN reports r ON r.id = v.report_id
                 JOIN sources s ON s.report_id = r.id WHERE s.path = $1",
                &[&path(&doc)],
            )
            .unwrap();
        for row in rows {
            let (key, value): (String, f64) = (row.get(0), row.get(1));
            assert_eq!(
                Some(value),
                want.get(&key).and_then(Value::as_f64),
                "{doc:?}: {key}"
            );
            compared += 1;
        }
    }
    assert!(compared > 1000, "only {compared} values compared");

    // Nothing is outdated now.
    let said = enqueue(&[&input], &edited, &["--reprocess-outdated"]);
    assert!(said.contains("(0 of them queued again"), "{said}");

    // The same HTML content at new paths, enqueued the ordinary way, by the shipped
    // pipeline with `work --reprocess-outdated`: extracted again, not only seen again.
    let copy = dir.path().join("copy");
    copy_samples(&["html"], &copy);
    enqueue(&[&copy], &builtin, &[]);
    let fourth = work(&builtin, &["--reprocess-outdated"], "fourth");
    assert_eq!(count(&fourth["reprocessed"]), html, "{fourth}");
    assert_eq!(fingerprints(&mut db).len(), 2);
}
