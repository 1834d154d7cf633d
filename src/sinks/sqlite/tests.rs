//! The sink against truth files of samples/: values, views, identity, migration.

use super::*;
use crate::record::{CellProvenance, Number};
use crate::record::{Check, Contact, Section, Source, Status};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Truth files shipped in samples/ (copies of the development corpus).
fn truth_path(name: &str) -> PathBuf {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    ["docx", "html", "txt"]
        .iter()
        .map(|d| samples.join(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| samples.join(name))
}

fn truth_values(name: &str) -> (serde_json::Value, BTreeMap<String, Number>) {
    let text = std::fs::read_to_string(truth_path(name)).expect("truth file");
    let truth: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut values = BTreeMap::new();
    for (k, v) in truth["values"].as_object().unwrap() {
        let n = match v.as_i64() {
            Some(i) => Number::Int(i),
            None => Number::Dec(v.as_f64().unwrap()),
        };
        values.insert(k.clone(), n);
    }
    (truth, values)
}

fn record_from_truth(name: &str, sha: &str) -> Record {
    let (truth, values) = truth_values(name);
    let mut r = Record::new(Source {
        path: format!("corpus/{name}"),
        sha256: sha.to_string(),
        format: "docx".into(),
    });
    r.template = truth["template"].as_str().map(String::from);
    r.agency = truth["agency"].as_str().map(String::from);
    r.year = truth["year"].as_i64().map(|y| y as i32);
    r.published = truth["published"].as_str().map(String::from);
    let c = &truth["contact"];
    r.contact = Some(Contact {
        address: c["address"].as_str().map(String::from),
        postcode: c["postcode"].as_str().map(String::from),
        phone: c["phone"].as_str().map(String::from),
        email: c["email"].as_str().map(String::from),
        website: c["website"].as_str().map(String::from),
    });
    r.facts.active_disclosed_total = truth["facts"]["active_disclosed_total"].as_i64();
    r.facts.requests_received = truth["facts"]["requests_received"].as_i64();
    r.facts.appeals_total = truth["facts"]["appeals_total"].as_i64();
    for (i, (k, v)) in values.iter().enumerate() {
        r.cells.push(CellProvenance {
            key: k.clone(),
            raw: v.to_string(),
            origin: "docx-table".into(),
            confidence: Some(0.97),
            page: Some(2),
            bbox: None,
            table: 1,
            row: i / 7,
            col: i % 7,
            decided_by: None,
        });
    }
    r.values = values;
    r.sections.push(Section {
        heading: "一、总体情况".into(),
        text: "……".into(),
    });
    r.checks.push(Check {
        rule: "requests: total column = sum of applicant columns".into(),
        id: "requests.row_sum".into(),
        ok: true,
        detail: String::new(),
        outcome: crate::record::CheckOutcome::Pass,
    });
    r
}

fn stored_values(sink: &SqliteSink, sha: &str) -> BTreeMap<String, (f64, String)> {
    let mut st = sink
        .connection()
        .prepare(
            "SELECT v.key, v.value, v.value_text FROM report_values v
             JOIN reports r ON r.id = v.report_id WHERE r.sha256 = ?1",
        )
        .unwrap();
    st.query_map([sha], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn count(sink: &SqliteSink, sql: &str) -> i64 {
    sink.connection().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn open(path: &Path) -> SqliteSink {
    let templates = Templates::builtin().expect("templates");
    SqliteSink::open(path, &templates, SinkOptions::default()).expect("open")
}

fn report_id(sink: &SqliteSink, sha: &str) -> i64 {
    sink.connection()
        .query_row("SELECT id FROM reports WHERE sha256 = ?1", [sha], |r| {
            r.get(0)
        })
        .expect("report")
}

fn strings(sink: &SqliteSink, sql: &str) -> Vec<String> {
    sink.connection()
        .prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn orphans(conn: &Connection) -> i64 {
    ["report_values", "checks", "errors", "sections", "sources"]
        .iter()
        .map(|t| {
            conn.query_row(
                &format!(
                    "SELECT COUNT(*) FROM {t} WHERE report_id NOT IN (SELECT id FROM reports)"
                ),
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
        })
        .sum()
}

#[test]
fn round_trip_truth_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(&dir.path().join("t.db"));
    for name in ["dev-005.truth.json", "dev-023.truth.json"] {
        let rec = record_from_truth(name, name);
        sink.write(&rec).unwrap();
        let (_, truth) = truth_values(name);
        let got = stored_values(&sink, name);
        assert_eq!(got.len(), truth.len(), "{name}");
        for (k, n) in &truth {
            let (v, text) = &got[k];
            assert_eq!(*v, n.as_f64(), "{name} {k}");
            assert_eq!(*text, n.to_string(), "{name} {k}");
        }
    }
    // Contact, facts and provenance landed.
    let (agency, year, postcode, active, conf, origin): (String, i32, String, i64, f64, String) =
        sink.connection()
            .query_row(
                "SELECT r.agency, r.year, r.postcode, r.active_disclosed_total, v.confidence,
                        v.origin
                 FROM reports r JOIN report_values v ON v.report_id = r.id
                 WHERE r.sha256 = 'dev-005.truth.json' AND v.key = 'requests/new/total'",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .unwrap();
    assert_eq!(agency, "坊子区水利局");
    assert_eq!(year, 2022);
    assert_eq!(postcode, "261082");
    assert_eq!(active, 133);
    assert_eq!(conf, 0.97);
    assert_eq!(origin, "docx-table");
    // Whole numbers are INTEGER, the decimal stays a decimal.
    let types = strings(
        &sink,
        "SELECT DISTINCT typeof(v.value) || ':' || v.key FROM report_values v
         JOIN reports r ON r.id = v.report_id
         WHERE r.sha256 = 'dev-023.truth.json'
           AND v.key IN ('active/fees/amount_wan', 'requests/new/total')
         ORDER BY 1",
    );
    assert_eq!(
        types,
        ["integer:requests/new/total", "real:active/fees/amount_wan"]
    );
    let fee: f64 = sink
        .connection()
        .query_row(
            "SELECT value FROM report_values WHERE key = 'active/fees/amount_wan'
             AND report_id = (SELECT id FROM reports WHERE sha256 = 'dev-023.truth.json')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fee, 214.3);
}

fn requests_row(sink: &SqliteSink, sha: &str, row: &str) -> (i64, String, String, Vec<i64>) {
    sink.connection()
        .query_row(
            "SELECT q.row_order, q.row_label, q.status || ' ' || q.path, q.natural_person,
                    q.business, q.research, q.social_welfare, q.legal_services, q.other_org,
                    q.total
             FROM requests_table q JOIN reports r ON r.id = q.report_id
             WHERE r.sha256 = ?1 AND q.row_key = ?2",
            [sha, row],
            |r| {
                let mut v = Vec::new();
                for i in 3..10 {
                    v.push(r.get::<_, i64>(i)?);
                }
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, v))
            },
        )
        .unwrap()
}

#[test]
fn views_print_the_tables_with_template_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(&dir.path().join("t.db"));
    sink.write_batch(
        &[
            record_from_truth("dev-005.truth.json", "a"),
            record_from_truth("dev-012.truth.json", "b"),
        ],
        &[],
    )
    .unwrap();

    let (order, label, status_path, nums) = requests_row(&sink, "a", "new");
    assert_eq!(order, 1);
    assert_eq!(label, "一、本年新收政府信息公开申请数量");
    assert_eq!(status_path, "ok corpus/dev-005.truth.json");
    assert_eq!(nums, vec![0, 0, 0, 0, 0, 0, 0]);
    let (order, label, _, _) = requests_row(&sink, "a", "withheld.state_secret");
    assert_eq!(order, 5);
    assert_eq!(label, "（三）不予公开 1.属于国家秘密");
    let (_, _, _, nums) = requests_row(&sink, "b", "new");
    assert_eq!(nums, vec![191, 12, 1, 1, 7, 2, 214]);

    // Whole numbers come out as integers, the rows in printed order.
    let ty: String = sink
        .connection()
        .query_row(
            "SELECT typeof(total) FROM requests_table
             WHERE report_id = (SELECT id FROM reports WHERE sha256 = 'b') AND row_key = 'new'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ty, "integer");
    let a = report_id(&sink, "a");
    let rows = strings(
        &sink,
        &format!("SELECT row_key FROM requests_table WHERE report_id = {a}"),
    );
    assert_eq!(rows.len(), 25); // gov-2021: every row but the gov-2019 `other`
    assert_eq!(rows[0], "new");
    assert_eq!(rows[1], "carried_in");
    assert_eq!(rows.last().unwrap(), "carried_forward");

    let appeals = strings(
        &sink,
        &format!("SELECT row_key || '=' || total FROM appeals_table WHERE report_id = {a}"),
    );
    let (truth, _) = truth_values("dev-005.truth.json");
    let want: Vec<String> = ["review", "litigation_direct", "litigation_after_review"]
        .iter()
        .map(|row| format!("{row}={}", truth["values"][format!("appeals/{row}/total")]))
        .collect();
    assert_eq!(appeals, want);

    // Table 二 too, each row with its own columns.
    let active = strings(
        &sink,
        &format!(
            "SELECT row_label || ' ' || COALESCE(issued, '-') || ' ' || COALESCE(decisions, '-')
             FROM active_table WHERE report_id = {a} ORDER BY row_order"
        ),
    );
    assert_eq!(active.len(), 6);
    assert_eq!(
        active[0],
        format!(
            "第二十条第（一）项 规章 {} -",
            truth["values"]["active/rules/issued"]
        )
    );
    assert_eq!(
        active[2],
        format!(
            "第二十条第（五）项 行政许可 - {}",
            truth["values"]["active/licensing/decisions"]
        )
    );
}

#[test]
fn wide_view_has_a_column_per_key_of_tables_three_and_four() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(&dir.path().join("t.db"));
    sink.write(&record_from_truth("dev-012.truth.json", "b"))
        .unwrap();
    let (truth, values) = truth_values("dev-012.truth.json");
    let columns: Vec<(String, String)> = sink
        .connection()
        .prepare(
            "SELECT key, wide_column FROM keys WHERE template = ?1 AND wide_column IS NOT NULL",
        )
        .unwrap()
        .query_map([truth["template"].as_str().unwrap()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(columns.len(), 25 * 7 + 15);
    for (key, column) in &columns {
        let got: Option<f64> = sink
            .connection()
            .query_row(&format!("SELECT {column} FROM report_wide"), [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(got, values.get(key).map(|n| n.as_f64()), "{key}");
    }
    let (path, status, year): (String, String, i64) = sink
        .connection()
        .query_row("SELECT path, status, year FROM report_wide", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(path, "corpus/dev-012.truth.json");
    assert_eq!(status, "ok");
    assert_eq!(Some(year), truth["year"].as_i64());
}

#[test]
fn content_is_the_identity_and_force_keeps_the_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut sink = open(&path);
    assert!(sink.known_hashes(false).unwrap().is_empty());
    let mut rec = record_from_truth("dev-005.truth.json", "same");
    sink.write(&rec).unwrap();
    let id = report_id(&sink, "same");
    rec.agency = Some("改名".into());
    rec.source.path = "elsewhere/copy.docx".into();
    sink.write(&rec).unwrap();
    sink.write_batch(&[rec.clone(), rec.clone()], &[]).unwrap();
    sink.write(&record_from_truth("dev-012.truth.json", "other"))
        .unwrap();
    sink.write_batch(
        &[],
        &[SeenAgain {
            sha256: "same".into(),
            path: "third/place.docx".into(),
        }],
    )
    .unwrap();

    assert_eq!(report_id(&sink, "same"), id);
    assert_eq!(count(&sink, "SELECT COUNT(*) FROM reports"), 2);
    assert_eq!(
        strings(
            &sink,
            &format!("SELECT path FROM sources WHERE report_id = {id} ORDER BY path")
        ),
        [
            "corpus/dev-005.truth.json",
            "elsewhere/copy.docx",
            "third/place.docx"
        ]
    );
    assert_eq!(
        strings(
            &sink,
            "SELECT path || ' ' || agency FROM reports WHERE sha256 = 'same'"
        ),
        ["third/place.docx 改名"]
    );
    assert_eq!(
        count(
            &sink,
            &format!("SELECT COUNT(*) FROM report_values WHERE report_id = {id}")
        ),
        rec.values.len() as i64
    );
    assert_eq!(orphans(sink.connection()), 0);
    assert_eq!(count(&sink, "SELECT COUNT(*) FROM checks"), 2);

    drop(sink);
    // Reopening is idempotent and sees the stored hashes.
    let sink = open(&path);
    assert_eq!(
        sink.known_hashes(false).unwrap(),
        HashSet::from(["same".to_string(), "other".to_string()])
    );
    assert_eq!(count(&sink, "PRAGMA user_version"), SCHEMA_VERSION as i64);
    assert_eq!(count(&sink, "SELECT COUNT(*) FROM keys"), 398);
    // The re-emitted JSON carries the path asked for.
    let json = sink.record_json("same", "now/here.docx").unwrap().unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["source"]["path"], "now/here.docx");
    assert_eq!(v["agency"], "改名");
}

fn failed(path: &str, sha: &str) -> Record {
    Record::failed(
        Source {
            path: path.into(),
            sha256: sha.into(),
            format: "unknown".into(),
        },
        "detect",
        "not a report: unknown format",
    )
}

#[test]
fn failed_record_is_stored_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(&dir.path().join("t.db"));
    let rec = failed("x.zip!bad.bin", "deadbeef");
    assert_eq!(rec.status, Status::Failed);
    sink.write(&rec).unwrap();
    let (status, n_errors, stage, message): (String, i64, String, String) = sink
        .connection()
        .query_row(
            "SELECT r.status, r.n_errors, e.stage, e.message
             FROM reports r JOIN errors e ON e.report_id = r.id WHERE r.sha256 = 'deadbeef'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(status, "failed");
    assert_eq!(n_errors, 1);
    assert_eq!(stage, "detect");
    assert_eq!(message, "not a report: unknown format");
    // Failed documents are retried on the next run, so they are not "known".
    assert!(!sink.known_hashes(false).unwrap().contains("deadbeef"));
    let (st, errors) = sink.stored_problems("deadbeef").unwrap().unwrap();
    assert_eq!(st, Status::Failed);
    assert_eq!(errors[0].message, "not a report: unknown format");
}

#[test]
fn a_path_whose_content_changed_replaces_its_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(&dir.path().join("t.db"));
    // Unreadable first (keyed by path), then broken content, then a good document.
    sink.write(&failed("d/report.docx", "")).unwrap();
    assert_eq!(
        strings(&sink, "SELECT sha256 FROM reports"),
        ["unread:d/report.docx"]
    );
    sink.write(&failed("d/report.docx", "broken")).unwrap();
    // The same broken bytes under another name keep their failure there.
    sink.write(&failed("d/copy.docx", "broken")).unwrap();
    assert_eq!(strings(&sink, "SELECT sha256 FROM reports"), ["broken"]);
    let mut good = record_from_truth("dev-005.truth.json", "good");
    good.source.path = "d/report.docx".into();
    sink.write(&good).unwrap();
    assert_eq!(
        strings(
            &sink,
            "SELECT r.sha256 || ' ' || s.path FROM sources s JOIN reports r ON r.id = s.report_id
             ORDER BY 1"
        ),
        ["broken d/copy.docx", "good d/report.docx"]
    );
    // Once the copy is fixed too, the failure is gone.
    good.source.path = "d/copy.docx".into();
    sink.write(&good).unwrap();
    assert_eq!(strings(&sink, "SELECT sha256 FROM reports"), ["good"]);
    assert_eq!(orphans(sink.connection()), 0);
}

#[test]
fn record_json_is_optional() {
    let dir = tempfile::tempdir().unwrap();
    let templates = Templates::builtin().unwrap();
    let options = SinkOptions {
        store_record_json: false,
    };
    let mut sink = SqliteSink::open(&dir.path().join("t.db"), &templates, options).unwrap();
    sink.write(&record_from_truth("dev-005.truth.json", "a"))
        .unwrap();
    assert_eq!(
        count(
            &sink,
            "SELECT COUNT(*) FROM reports WHERE record_json IS NULL"
        ),
        1
    );
    assert_eq!(sink.record_json("a", "x").unwrap(), None);
    // A run that must emit JSON extracts it again; one that need not skips it.
    assert!(sink.known_hashes(true).unwrap().is_empty());
    assert_eq!(sink.known_hashes(false).unwrap().len(), 1);
}

#[test]
fn failed_batch_rolls_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(&dir.path().join("t.db"));
    sink.write(&record_from_truth("dev-005.truth.json", "keep"))
        .unwrap();
    // A trigger that fails on the third record stands in for a crash mid-batch.
    sink.connection()
        .execute_batch(
            "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.reports
             WHEN NEW.sha256 = 'bad' BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        )
        .unwrap();
    let good = record_from_truth("dev-012.truth.json", "new");
    let mut bad = record_from_truth("dev-012.truth.json", "bad");
    bad.status = Status::Partial;
    let replace = record_from_truth("dev-012.truth.json", "keep");
    assert!(sink.write_batch(&[good, replace, bad], &[]).is_err());
    assert_eq!(
        sink.known_hashes(false).unwrap(),
        HashSet::from(["keep".to_string()])
    );
    // The replaced report is still the original one, children intact.
    assert_eq!(
        count(&sink, "SELECT COUNT(*) FROM report_values"),
        record_from_truth("dev-005.truth.json", "keep").values.len() as i64
    );
}

#[test]
fn a_client_without_foreign_keys_deletes_without_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut sink = open(&path);
    sink.write_batch(
        &[
            record_from_truth("dev-005.truth.json", "a"),
            record_from_truth("dev-012.truth.json", "b"),
        ],
        &[],
    )
    .unwrap();
    drop(sink);
    // A connection as the sqlite3 shell opens it: foreign keys off (SQLite's default;
    // rusqlite's bundled build turns them on, so say it).
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 0);
    conn.execute("DELETE FROM reports WHERE sha256 = 'a'", [])
        .unwrap();
    assert_eq!(orphans(&conn), 0);
    let left: i64 = conn
        .query_row("SELECT COUNT(*) FROM report_values", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        left,
        record_from_truth("dev-012.truth.json", "b").values.len() as i64
    );
}

#[test]
fn a_version_1_database_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        // Written as a client without foreign keys could: with orphaned rows.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        conn.execute_batch(schema::VERSION_1_SQL).unwrap();
        conn.execute_batch(
            "INSERT INTO reports (id, sha256, path, format, status, template, n_values, n_checks,
                 n_checks_failed, n_errors, extracted_at, tool_version, record_json)
             VALUES (7, 'abc', 'old/a.docx', 'docx', 'ok', 'gov-2021', 2, 0, 0, 0,
                 '2026-11-01T00:00:00Z', '0.1.0', '{}');
             INSERT INTO report_values (report_id, key, table_name, row_key, col_key, value,
                 value_text) VALUES
                 (7, 'requests/new/total', 'requests', 'new', 'total', 348.0, '348'),
                 (7, 'active/fees/amount_wan', 'active', 'fees', 'amount_wan', 2.5, '2.5'),
                 (9, 'requests/new/total', 'requests', 'new', 'total', 1.0, '1');
             INSERT INTO checks VALUES (9, 0, 'x', 'x', 1, '');",
        )
        .unwrap();
    }
    let sink = open(&path);
    assert_eq!(count(&sink, "PRAGMA user_version"), SCHEMA_VERSION as i64);
    assert_eq!(report_id(&sink, "abc"), 7);
    assert_eq!(
        strings(
            &sink,
            "SELECT typeof(value) || ' ' || value FROM report_values ORDER BY key"
        ),
        ["real 2.5", "integer 348"]
    );
    // Orphans of the old schema are gone, the path is the first source.
    assert_eq!(orphans(sink.connection()), 0);
    assert_eq!(
        strings(&sink, "SELECT path || ' ' || first_seen FROM sources"),
        ["old/a.docx 2026-11-01T00:00:00Z"]
    );
    assert_eq!(
        strings(&sink, "SELECT row_label FROM requests_table"),
        ["一、本年新收政府信息公开申请数量"]
    );
    let tables = strings(
        &sink,
        "SELECT name FROM sqlite_master WHERE name = 'row_labels'",
    );
    assert!(tables.is_empty());
    // Every reference still points at `reports`.
    let bad_refs = strings(
        &sink,
        "SELECT name FROM sqlite_master WHERE sql LIKE '%reports_v%' OR sql LIKE '%_v1%'",
    );
    assert!(bad_refs.is_empty(), "{bad_refs:?}");
    let fk_problems = strings(&sink, "SELECT \"table\" FROM pragma_foreign_key_check");
    assert!(fk_problems.is_empty(), "{fk_problems:?}");
}

#[test]
fn runs_record_what_made_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(&dir.path().join("t.db"));
    let run = sink
        .begin_run(&RunInfo {
            tool_version: "0.1.0".into(),
            git_commit: "abc1234".into(),
            tesseract_version: Some("5.3.0".into()),
            tessdata: Some("eng 4.00.00alpha".into()),
            ..RunInfo::default()
        })
        .unwrap();
    sink.write(&record_from_truth("dev-005.truth.json", "a"))
        .unwrap();
    sink.finish_run(RunTotals {
        documents: 1,
        ok: 1,
        ..RunTotals::default()
    })
    .unwrap();
    assert_eq!(
        strings(
            &sink,
            "SELECT u.git_commit || ' ' || u.tesseract_version || ' ' || u.ok
             FROM reports r JOIN runs u ON u.id = r.run_id"
        ),
        ["abc1234 5.3.0 1"]
    );
    assert_eq!(
        count(&sink, "SELECT run_id FROM reports WHERE sha256 = 'a'"),
        run
    );
}

/// On-CPU time of this thread (Linux), to measure apart from a loaded machine.
fn thread_cpu() -> Option<std::time::Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(std::time::Duration::from_nanos(ns))
}

/// `cargo test --release throughput -- --ignored --nocapture`
#[test]
#[ignore]
fn throughput() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(&dir.path().join("t.db"));
    let base = record_from_truth("dev-012.truth.json", "x");
    let n = 4000;
    let recs: Vec<Record> = (0..n)
        .map(|i| {
            let mut r = base.clone();
            r.source.sha256 = format!("{i:064x}");
            r
        })
        .collect();
    let passes: [(&str, &[Record], usize); 3] = [
        ("write()", &recs[..n / 2], 1),
        ("write_batch(100)", &recs[n / 2..], 100),
        ("replace all, write_batch(100)", &recs, 100),
    ];
    for (name, slice, bs) in passes {
        let (t, c) = (std::time::Instant::now(), thread_cpu());
        for chunk in slice.chunks(bs) {
            sink.write_batch(chunk, &[]).unwrap();
        }
        let wall = slice.len() as f64 / t.elapsed().as_secs_f64();
        let cpu = match (c, thread_cpu()) {
            (Some(a), Some(b)) => slice.len() as f64 / (b - a).as_secs_f64(),
            _ => f64::NAN,
        };
        eprintln!(
            "{name}: {wall:.0} reports/s wall, {cpu:.0} reports per CPU-second \
             ({} values each)",
            base.values.len()
        );
    }
    assert_eq!(count(&sink, "SELECT COUNT(*) FROM reports"), n as i64);
    assert_eq!(
        count(&sink, "SELECT COUNT(*) FROM report_values"),
        (n * base.values.len()) as i64
    );
}

#[test]
fn key_query_uses_primary_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(&dir.path().join("t.db"));
    sink.write(&record_from_truth("dev-012.truth.json", "b"))
        .unwrap();
    let q = "SELECT r.agency, r.year, v.value FROM reports r
             CROSS JOIN report_values v ON v.report_id = r.id AND v.key = 'requests/new/total'";
    let plan: Vec<String> = sink
        .connection()
        .prepare(&format!("EXPLAIN QUERY PLAN {q}"))
        .unwrap()
        .query_map([], |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter()
            .any(|p| p.contains("PRIMARY KEY (report_id=? AND key=?)")),
        "{plan:?}"
    );
    let v: i64 = sink.connection().query_row(q, [], |r| r.get(2)).unwrap();
    assert_eq!(v, 214);
    sink.create_key_index().unwrap();
    sink.create_key_index().unwrap();
}

#[test]
fn edited_template_labels_reach_the_keys_and_views() {
    let dir = tempfile::tempdir().unwrap();
    let templates_dir = dir.path().join("templates");
    std::fs::create_dir(&templates_dir).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/templates");
    for name in ["gov-2021.toml", "gov-2019.toml"] {
        let text = std::fs::read_to_string(shipped.join(name)).unwrap();
        let edited = text.replace(
            "label = \"四、结转下年度继续办理\"",
            "label = \"四、结转下年度继续办理（改）\"",
        );
        std::fs::write(templates_dir.join(name), edited).unwrap();
    }
    let templates = Templates::from_dir(&templates_dir).unwrap();
    let path = dir.path().join("t.db");
    let mut sink = SqliteSink::open(&path, &templates, SinkOptions::default()).unwrap();
    sink.write(&record_from_truth("dev-005.truth.json", "a"))
        .unwrap();
    assert_eq!(
        strings(
            &sink,
            "SELECT row_label FROM requests_table WHERE row_key = 'carried_forward'"
        ),
        ["四、结转下年度继续办理（改）"]
    );
    assert_eq!(
        count(
            &sink,
            "SELECT COUNT(*) FROM keys WHERE row_label = '四、结转下年度继续办理（改）'"
        ),
        14
    );
    drop(sink);
    // Opened again with the shipped templates, the shipped label is back.
    let sink = open(&path);
    assert_eq!(
        strings(
            &sink,
            "SELECT row_label FROM requests_table WHERE row_key = 'carried_forward'"
        ),
        ["四、结转下年度继续办理"]
    );
}
