//! The PostgreSQL sink against a real server the test starts (see `pg_server`): the
//! samples' records are stored with the values of their truth files, the views answer as
//! in SQLite, a re-run stores nothing twice, and a deleted report leaves no rows behind.

mod pg_server;

use pg_server::PgServer;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// The born-digital sample folders (no OCR: seconds each would slow the test down).
const FOLDERS: &[&str] = &["docx", "doc", "html", "txt", "pdf", "negative"];

fn extract_into(url: &str, paths: &[PathBuf]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["extract", "--quiet", "--postgres", url])
        .args(paths)
        .output()
        .expect("run nianbao");
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{stderr}");
    stderr
}

fn count(client: &mut postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).expect(sql).get(0)
}

/// Truth files of the folders, by the path their document is stored at.
fn truths() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for folder in FOLDERS {
        let dir = samples().join(folder);
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("samples")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.to_string_lossy().ends_with(".truth.json"))
            .collect();
        entries.sort();
        for t in entries {
            let truth: Value =
                serde_json::from_str(&std::fs::read_to_string(&t).expect("truth")).expect("json");
            let file = truth["file"].as_str().expect("file").to_string();
            out.push((dir.join(file).display().to_string(), truth));
        }
    }
    out
}

#[test]
fn samples_stored_in_postgres_hold_their_truth_values() {
    let Some(server) = PgServer::start("samples_stored_in_postgres_hold_their_truth_values") else {
        return;
    };
    let folders: Vec<PathBuf> = FOLDERS.iter().map(|f| samples().join(f)).collect();
    extract_into(&server.url, &folders);
    let mut db = server.client();
    let truths = truths();
    assert!(truths.len() >= 15, "samples are missing");
    let mut checked = 0;
    for (path, truth) in &truths {
        let row = db
            .query_one(
                "SELECT r.id, r.status, r.agency, r.year, r.published, r.template
                 FROM reports r JOIN sources s ON s.report_id = r.id WHERE s.path = $1",
                &[path],
            )
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let id: i64 = row.get(0);
        let status: String = row.get(1);
        if truth["expect_status"] == "failed" {
            assert_eq!(status, "failed", "{path}");
            assert!(
                count(
                    &mut db,
                    &format!("SELECT count(*) FROM errors WHERE report_id = {id}")
                ) > 0
            );
            continue;
        }
        let picture =
            ["docx-image", "pdf-scan", "png"].contains(&truth["format"].as_str().unwrap_or(""));
        if picture || truth["values_unavailable"] == true {
            continue;
        }
        assert_eq!(status, "ok", "{path}");
        assert_eq!(
            row.get::<_, Option<String>>(2).as_deref(),
            truth["agency"].as_str(),
            "{path}"
        );
        assert_eq!(
            row.get::<_, Option<i32>>(3).map(i64::from),
            truth["year"].as_i64(),
            "{path}"
        );
        assert_eq!(
            row.get::<_, Option<String>>(4).as_deref(),
            truth["published"].as_str(),
            "{path}"
        );
        assert_eq!(
            row.get::<_, Option<String>>(5).as_deref(),
            truth["template"].as_str(),
            "{path}"
        );
        // numeric keeps the number as printed: compared as text and as a number.
        let stored: BTreeMap<String, (String, String)> = db
            .query(
                "SELECT key, value::text, value_text FROM report_values WHERE report_id = $1",
                &[&id],
            )
            .expect("values")
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2))))
            .collect();
        let want = truth["values"].as_object().expect("values");
        assert_eq!(stored.len(), want.len(), "{path}: value count");
        for (key, v) in want {
            let (value, text) = stored
                .get(key)
                .unwrap_or_else(|| panic!("{path}: {key} missing"));
            assert_eq!(value, text, "{path}: {key}");
            let n: f64 = value.parse().expect("number");
            assert_eq!(Some(n), v.as_f64(), "{path}: {key}");
            checked += 1;
        }
        // The wide view and a table view answer with the same numbers.
        if let Some(v) = want.get("requests/new/total") {
            let wide: String = db
                .query_one(
                    "SELECT new_total::text FROM report_wide WHERE report_id = $1",
                    &[&id],
                )
                .expect("report_wide")
                .get(0);
            assert_eq!(wide.parse::<f64>().ok(), v.as_f64(), "{path}: report_wide");
            let printed: String = db
                .query_one(
                    "SELECT total::text FROM requests_table WHERE report_id = $1 AND row_key = 'new'",
                    &[&id],
                )
                .expect("requests_table")
                .get(0);
            assert_eq!(
                printed.parse::<f64>().ok(),
                v.as_f64(),
                "{path}: requests_table"
            );
        }
    }
    assert!(checked > 2000, "only {checked} values checked");
    // Migrations are recorded; the keys table follows the templates (spec/keys.tsv).
    assert_eq!(
        count(
            &mut db,
            "SELECT max(version)::bigint FROM schema_migrations"
        ),
        i64::from(nianbao::sinks::postgres::schema::schema_version())
    );
    // Every migration was applied: 3 added runs.fingerprint.
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM schema_migrations"),
        nianbao::sinks::postgres::schema::MIGRATIONS.len() as i64
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM keys WHERE template = 'gov-2021'"
        ),
        200
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL"
        ),
        1
    );
}

#[test]
fn a_rerun_into_postgres_stores_nothing_twice() {
    let Some(server) = PgServer::start("a_rerun_into_postgres_stores_nothing_twice") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let html = samples().join("html");
    let copy = dir.path().join("copy of dev-002.html");
    std::fs::copy(html.join("dev-002.html"), &copy).expect("copy");
    let first = extract_into(&server.url, std::slice::from_ref(&html));
    let mut db = server.client();
    let tables = [
        "reports",
        "sources",
        "report_values",
        "checks",
        "errors",
        "sections",
    ];
    let counts = |db: &mut postgres::Client| -> Vec<i64> {
        tables
            .iter()
            .map(|t| count(db, &format!("SELECT count(*) FROM {t}")))
            .collect()
    };
    let before = counts(&mut db);
    let n_html = std::fs::read_dir(&html)
        .expect("html")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "html"))
        })
        .count() as i64;
    assert_eq!(before[0], n_html, "{first}");
    let ids_before: Vec<i64> = db
        .query("SELECT id FROM reports ORDER BY id", &[])
        .expect("ids")
        .iter()
        .map(|r| r.get(0))
        .collect();

    // The same folder again: nothing extracted, nothing added.
    let again = extract_into(&server.url, std::slice::from_ref(&html));
    assert!(
        again.contains(&format!("{n_html} already stored")),
        "{again}"
    );
    assert_eq!(counts(&mut db), before);

    // The same content at a new path: one more source, no new report; --force keeps ids.
    extract_into(&server.url, std::slice::from_ref(&copy));
    let after = counts(&mut db);
    assert_eq!(after[0], before[0]);
    assert_eq!(after[1], before[1] + 1);
    assert_eq!(after[2..], before[2..]);
    let o = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["extract", "--quiet", "--force", "--postgres", &server.url])
        .arg(&html)
        .arg(&copy)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(counts(&mut db), after);
    let ids_after: Vec<i64> = db
        .query("SELECT id FROM reports ORDER BY id", &[])
        .expect("ids")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids_after, ids_before);
    // The environment variable names the server as --postgres does.
    let o = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["extract", "--quiet"])
        .arg(&html)
        .env("NIANBAO_POSTGRES", &server.url)
        .current_dir(dir.path())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{n_html} already stored")),
        "{stderr}"
    );
    assert!(!dir.path().join("nianbao.sqlite").exists());
    assert_eq!(count(&mut db, "SELECT count(*) FROM runs"), 5);

    // Deleting a report, from any client, deletes its rows in every table.
    let id = ids_after[0];
    db.execute("DELETE FROM reports WHERE id = $1", &[&id])
        .expect("delete");
    for t in &tables[1..] {
        let left = count(
            &mut db,
            &format!("SELECT count(*) FROM {t} WHERE report_id = {id}"),
        );
        assert_eq!(left, 0, "{t}");
    }
    assert!(count(&mut db, "SELECT count(*) FROM report_values") > 0);
}
