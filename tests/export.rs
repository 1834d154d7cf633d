//! `nianbao export` end to end: the born-digital samples extracted into a SQLite database
//! (and a real PostgreSQL server) by the binary, every table exported in every format,
//! the files read back (CSV with the csv crate, parquet with the parquet crate's reader)
//! and their values compared with the samples' truth files; a correction made with
//! `nianbao correct` shows in the reviewed export and not in the extracted one.

mod pg_server;

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn nianbao(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(args)
        .output()
        .expect("run nianbao")
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn extract(target: &[&str], folders: &[&str]) {
    let paths: Vec<String> = folders
        .iter()
        .map(|f| samples().join(f).display().to_string())
        .collect();
    let mut args = vec!["extract", "--quiet"];
    args.extend_from_slice(target);
    args.extend(paths.iter().map(String::as_str));
    ok(nianbao(&args));
}

/// A sample whose values the extraction must give exactly (born digital, not failed).
struct Truth {
    path: String,
    truth: Value,
}

fn truths(folders: &[&str]) -> Vec<Truth> {
    let mut out = Vec::new();
    for folder in folders {
        let dir = samples().join(folder);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("samples")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.to_string_lossy().ends_with(".truth.json"))
            .collect();
        files.sort();
        for t in files {
            let truth: Value =
                serde_json::from_str(&std::fs::read_to_string(&t).expect("truth")).expect("json");
            let picture =
                ["docx-image", "pdf-scan", "png"].contains(&truth["format"].as_str().unwrap_or(""));
            if picture || truth["values_unavailable"] == true || truth["expect_status"] == "failed"
            {
                continue;
            }
            let file = truth["file"].as_str().expect("file").to_string();
            out.push(Truth {
                path: dir.join(file).display().to_string(),
                truth,
            });
        }
    }
    out
}

/// A cell read back from any format, as comparable text: none for empty/null, numbers in
/// one spelling (348, 214.3), the rest as written.
type Row = BTreeMap<String, Option<String>>;

fn norm(s: &str) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    match s.parse::<f64>() {
        Ok(n) if n.is_finite() && !s.starts_with('+') => Some(format!("{n}")),
        _ => Some(s.to_string()),
    }
}

fn read_jsonl(path: &Path) -> Vec<Row> {
    std::fs::read_to_string(path)
        .expect("jsonl")
        .lines()
        .map(|l| {
            let v: serde_json::Map<String, Value> = serde_json::from_str(l).expect("json line");
            v.into_iter()
                .map(|(k, v)| {
                    let cell = match v {
                        Value::Null => None,
                        Value::String(s) => norm(&s),
                        Value::Number(n) => norm(&n.to_string()),
                        Value::Bool(b) => Some(b.to_string()),
                        other => panic!("{k}: {other}"),
                    };
                    (k, cell)
                })
                .collect()
        })
        .collect()
}

/// Reads a CSV export; returns its rows and whether it started with the UTF-8 BOM.
fn read_csv(path: &Path) -> (Vec<Row>, bool) {
    let bytes = std::fs::read(path).expect("csv");
    let bom = bytes.starts_with(b"\xEF\xBB\xBF");
    let body = if bom { &bytes[3..] } else { &bytes[..] };
    // RFC 4180: CRLF after every record.
    assert!(body.ends_with(b"\r\n"), "{}", path.display());
    let mut reader = csv::Reader::from_reader(body);
    let headers: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            assert_eq!(r.len(), headers.len());
            headers.iter().cloned().zip(r.iter().map(norm)).collect()
        })
        .collect();
    (rows, bom)
}

fn read_parquet(path: &Path) -> Vec<Row> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let reader =
        SerializedFileReader::new(std::fs::File::open(path).expect("parquet")).expect("reader");
    reader
        .get_row_iter(None)
        .expect("rows")
        .map(|row| {
            row.expect("row")
                .get_column_iter()
                .map(|(name, field)| {
                    let cell = match field {
                        Field::Null => None,
                        Field::Str(s) => norm(s),
                        Field::Long(i) => Some(i.to_string()),
                        Field::Double(d) => Some(format!("{d}")),
                        Field::Bool(b) => Some(b.to_string()),
                        other => panic!("{name}: unexpected parquet field {other:?}"),
                    };
                    (name.clone(), cell)
                })
                .collect()
        })
        .collect()
}

/// Exports `table` in every format into `dir`, checks that the three files hold the same
/// rows, and returns them.
fn export_all(source: &[&str], dir: &Path, table: &str, extra: &[&str]) -> Vec<Row> {
    let name = format!("{table}{}", extra.join("").replace('-', "_"));
    let mut read = Vec::new();
    for format in ["jsonl", "csv", "parquet"] {
        let out = dir.join(format!("{name}.{format}"));
        let out_s = out.display().to_string();
        let mut args = vec!["export", "--quiet", "--format", format, "--table", table];
        args.extend_from_slice(source);
        args.extend_from_slice(extra);
        args.extend(["--out", out_s.as_str()]);
        ok(nianbao(&args));
        read.push(match format {
            "jsonl" => read_jsonl(&out),
            "csv" => read_csv(&out).0,
            _ => read_parquet(&out),
        });
    }
    assert_eq!(read[0], read[1], "{name}: jsonl and csv differ");
    assert_eq!(read[0], read[2], "{name}: jsonl and parquet differ");
    read.swap_remove(0)
}

fn cell<'a>(row: &'a Row, column: &str) -> Option<&'a str> {
    row.get(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .as_deref()
}

fn truth_number(v: &Value) -> String {
    format!("{}", v.as_f64().expect("number"))
}

/// Asserts that the long value rows hold every truth value of every sample (those of
/// `table_name` only, when given), nothing more, and returns how many were compared.
fn assert_long_values(rows: &[Row], truths: &[Truth], table_name: Option<&str>) -> usize {
    let mut by_path: HashMap<&str, BTreeMap<&str, &Row>> = HashMap::new();
    for r in rows {
        by_path
            .entry(cell(r, "path").expect("path"))
            .or_default()
            .insert(cell(r, "key").expect("key"), r);
    }
    let mut compared = 0;
    for t in truths {
        let got = by_path.get(t.path.as_str());
        let want: Vec<(&String, &Value)> = t.truth["values"]
            .as_object()
            .expect("values")
            .iter()
            .filter(|(k, _)| table_name.is_none_or(|n| k.starts_with(&format!("{n}/"))))
            .collect();
        assert_eq!(
            got.map_or(0, |g| g.len()),
            want.len(),
            "{}: value count",
            t.path
        );
        for (key, v) in want {
            let row = got
                .and_then(|g| g.get(key.as_str()))
                .unwrap_or_else(|| panic!("{}: {key} missing", t.path));
            assert_eq!(
                cell(row, "value"),
                Some(truth_number(v).as_str()),
                "{}: {key}",
                t.path
            );
            assert_eq!(cell(row, "source"), Some("extracted"));
            assert_eq!(cell(row, "extracted_value"), cell(row, "value"));
            assert_eq!(
                cell(row, "agency"),
                t.truth["agency"].as_str(),
                "{}",
                t.path
            );
            compared += 1;
        }
    }
    compared
}

/// The wide column of each key, as the database's `keys` table names it.
fn wide_columns(db: &Path) -> HashMap<String, String> {
    let conn = rusqlite::Connection::open(db).expect("db");
    let mut st = conn
        .prepare("SELECT DISTINCT key, wide_column FROM keys WHERE wide_column IS NOT NULL")
        .expect("keys");
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("keys");
    rows.map(|r| r.expect("key")).collect()
}

fn assert_wide_values(
    rows: &[Row],
    truths: &[Truth],
    table_name: &str,
    names: &HashMap<String, String>,
) -> usize {
    let by_path: HashMap<&str, &Row> = rows
        .iter()
        .map(|r| (cell(r, "path").expect("path"), r))
        .collect();
    let mut compared = 0;
    for t in truths {
        let row = by_path
            .get(t.path.as_str())
            .unwrap_or_else(|| panic!("{}: no wide row", t.path));
        for (key, v) in t.truth["values"].as_object().expect("values") {
            if !key.starts_with(&format!("{table_name}/")) {
                continue;
            }
            let column = &names[key];
            assert_eq!(
                cell(row, column),
                Some(truth_number(v).as_str()),
                "{}: {key} ({column})",
                t.path
            );
            compared += 1;
        }
    }
    compared
}

const FOLDERS: &[&str] = &["docx", "doc", "html", "txt", "pdf", "negative"];

#[test]
fn every_table_in_every_format_holds_the_truth_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("export.sqlite");
    let db_s = db.display().to_string();
    extract(&["--db", &db_s], FOLDERS);
    let source = ["--db", db_s.as_str()];
    let truths = truths(FOLDERS);
    assert!(truths.len() >= 12, "samples are missing");
    let conn = rusqlite::Connection::open(&db).expect("db");
    let count = |sql: &str| -> usize {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0)).expect(sql) as usize
    };

    // Long form: every value, and each table's.
    let values = export_all(&source, dir.path(), "values", &[]);
    assert_eq!(values.len(), count("SELECT COUNT(*) FROM report_values"));
    assert!(assert_long_values(&values, &truths, None) > 2000);
    for table in ["active", "requests", "appeals"] {
        let rows = export_all(&source, dir.path(), table, &[]);
        assert!(rows.iter().all(|r| cell(r, "table_name") == Some(table)));
        assert!(
            assert_long_values(&rows, &truths, Some(table)) > 200,
            "{table}"
        );
    }
    // The template's printed order within a report: table 二, 三, 四; rows as printed.
    let first: Vec<&str> = values
        .iter()
        .filter(|r| cell(r, "path") == Some(truths[0].path.as_str()))
        .map(|r| cell(r, "key").expect("key"))
        .collect();
    let pos = |k: &str| first.iter().position(|x| *x == k).expect(k);
    assert!(pos("active/rules/issued") < pos("requests/new/natural_person"));
    assert!(pos("requests/new/total") < pos("requests/carried_in/natural_person"));
    assert!(pos("requests/carried_forward/total") < pos("appeals/review/upheld"));
    // Labels as printed, from the template.
    let label = values
        .iter()
        .find(|r| cell(r, "key") == Some("requests/carried_forward/total"))
        .expect("carried_forward");
    assert_eq!(cell(label, "row_label"), Some("四、结转下年度继续办理"));
    assert_eq!(cell(label, "col_label"), Some("总计"));

    // Wide: one row per report, a column per key, named as in report_wide.
    let names = wide_columns(&db);
    let reports = count("SELECT COUNT(*) FROM reports");
    for table in ["requests", "appeals"] {
        let rows = export_all(&source, dir.path(), table, &["--wide"]);
        assert_eq!(rows.len(), reports, "{table}");
        assert!(
            assert_wide_values(&rows, &truths, table, &names) > 100,
            "{table}"
        );
    }
    let wide = export_all(&source, dir.path(), "values", &["--wide"]);
    assert_eq!(wide.len(), reports);
    assert!(assert_wide_values(&wide, &truths, "requests", &names) > 100);
    let active = export_all(&source, dir.path(), "active", &["--wide"]);
    for t in &truths {
        let row = active
            .iter()
            .find(|r| cell(r, "path") == Some(t.path.as_str()))
            .expect("row");
        let v = &t.truth["values"]["active/fees/amount_wan"];
        if !v.is_null() {
            assert_eq!(cell(row, "fees_amount_wan"), Some(truth_number(v).as_str()));
        }
    }

    // Reports: their facts.
    let report_rows = export_all(&source, dir.path(), "reports", &[]);
    assert_eq!(report_rows.len(), reports);
    let mut sha_of: HashMap<String, String> = HashMap::new();
    for t in &truths {
        let r = report_rows
            .iter()
            .find(|r| cell(r, "path") == Some(t.path.as_str()))
            .unwrap_or_else(|| panic!("{}: no report row", t.path));
        assert_eq!(cell(r, "agency"), t.truth["agency"].as_str());
        assert_eq!(
            cell(r, "year").map(String::from),
            t.truth["year"].as_i64().map(|y| y.to_string())
        );
        assert_eq!(cell(r, "template"), t.truth["template"].as_str());
        assert_eq!(cell(r, "status"), Some("ok"));
        sha_of.insert(t.path.clone(), cell(r, "sha256").expect("sha").to_string());
    }

    // Checks: every one, and the planted errors failed.
    let checks = export_all(&source, dir.path(), "checks", &[]);
    assert_eq!(checks.len(), count("SELECT COUNT(*) FROM checks"));
    let mut planted = 0;
    for t in &truths {
        for rule in t.truth["inconsistent"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["rule"].as_str())
        {
            assert!(
                checks
                    .iter()
                    .any(|c| cell(c, "sha256") == Some(sha_of[&t.path].as_str())
                        && cell(c, "rule_id") == Some(rule)
                        && cell(c, "ok") == Some("false")),
                "{}: {rule} not failed in the export",
                t.path
            );
            planted += 1;
        }
    }
    assert!(planted > 0, "no sample plants an arithmetic error");
}

#[test]
fn csv_has_the_bom_only_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("bom.sqlite");
    let db_s = db.display().to_string();
    extract(&["--db", &db_s], &["txt"]);
    for (extra, want_bom) in [(None, false), (Some("--bom"), true)] {
        let out = dir.path().join(format!("reports{want_bom}.csv"));
        let out_s = out.display().to_string();
        let mut args = vec!["export", "--quiet", "--db", &db_s, "--table", "reports"];
        args.extend(extra);
        args.extend(["--out", out_s.as_str()]);
        ok(nianbao(&args));
        let (rows, bom) = read_csv(&out);
        assert_eq!(bom, want_bom);
        // The header is read as the header with the BOM too: the first column's name is
        // `report_id`, not `\u{feff}report_id`.
        assert!(rows[0].contains_key("report_id"));
        let agencies: Vec<&str> = rows.iter().filter_map(|r| cell(r, "agency")).collect();
        for t in truths(&["txt"]) {
            assert!(
                agencies.contains(&t.truth["agency"].as_str().expect("agency")),
                "{}",
                t.path
            );
        }
    }
}

#[test]
fn reviewed_export_applies_a_correction_and_the_extracted_one_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("reviewed.sqlite");
    let db_s = db.display().to_string();
    extract(&["--db", &db_s], &["html"]);
    let truths = truths(&["html"]);
    let t = truths
        .iter()
        .find(|t| t.truth["values"]["requests/new/total"].is_number())
        .expect("an html sample with requests/new/total");
    let truth = t.truth["values"]["requests/new/total"]
        .as_i64()
        .expect("count");
    let corrected = (truth + 1).to_string();
    let conn = rusqlite::Connection::open(&db).expect("db");
    let sha: String = conn
        .query_row(
            "SELECT r.sha256 FROM reports r JOIN sources s ON s.report_id = r.id WHERE s.path = ?1",
            [&t.path],
            |r| r.get(0),
        )
        .expect("report");
    drop(conn);
    ok(nianbao(&[
        "correct",
        "--db",
        &db_s,
        &sha,
        "requests/new/total",
        &corrected,
        "--note",
        "printed value",
    ]));
    // A second report corrected, later in the database: the export merges the corrected
    // reports' values with the others report by report.
    let last = truths.last().expect("samples");
    let conn = rusqlite::Connection::open(&db).expect("db");
    let (last_sha, last_value): (String, String) = conn
        .query_row(
            "SELECT r.sha256, v.value_text FROM reports r JOIN sources s ON s.report_id = r.id
             JOIN report_values v ON v.report_id = r.id
             WHERE s.path = ?1 AND v.key = 'appeals/review/upheld'",
            [&last.path],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("last report");
    drop(conn);
    ok(nianbao(&[
        "correct",
        "--db",
        &db_s,
        &last_sha,
        "appeals/review/upheld",
        &last_value,
    ]));
    let source = ["--db", db_s.as_str()];
    // Every reviewed value is the view's, with its source.
    let all = export_all(&source, dir.path(), "values", &["--reviewed"]);
    let conn = rusqlite::Connection::open(&db).expect("db");
    let mut st = conn
        .prepare("SELECT r.sha256, v.key, v.value_text, v.source FROM reviewed_values v JOIN reports r ON r.id = v.report_id")
        .expect("view");
    let mut view: Vec<(String, String, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("view")
        .map(|r| r.expect("row"))
        .collect();
    view.sort();
    let mut exported: Vec<(String, String, String, String)> = all
        .iter()
        .map(|r| {
            (
                cell(r, "sha256").expect("sha").to_string(),
                cell(r, "key").expect("key").to_string(),
                cell(r, "value").expect("value").to_string(),
                cell(r, "source").expect("source").to_string(),
            )
        })
        .collect();
    exported.sort();
    assert_eq!(exported, view);
    assert_eq!(
        exported.iter().filter(|r| r.3 != "extracted").count(),
        2,
        "one correct, one confirm"
    );
    assert!(exported
        .iter()
        .any(|r| r.0 == last_sha && r.1 == "appeals/review/upheld" && r.3 == "confirm"));
    let find = |rows: &[Row]| -> Row {
        rows.iter()
            .find(|r| {
                cell(r, "sha256") == Some(sha.as_str())
                    && cell(r, "key") == Some("requests/new/total")
            })
            .cloned()
            .expect("row")
    };
    let reviewed = find(&export_all(
        &source,
        dir.path(),
        "requests",
        &["--reviewed"],
    ));
    assert_eq!(cell(&reviewed, "value"), Some(corrected.as_str()));
    assert_eq!(cell(&reviewed, "source"), Some("correct"));
    assert_eq!(
        cell(&reviewed, "extracted_value"),
        Some(truth.to_string().as_str())
    );
    let extracted = find(&export_all(&source, dir.path(), "requests", &[]));
    assert_eq!(cell(&extracted, "value"), Some(truth.to_string().as_str()));
    assert_eq!(cell(&extracted, "source"), Some("extracted"));
    let wide = export_all(&source, dir.path(), "requests", &["--wide", "--reviewed"]);
    let row = wide
        .iter()
        .find(|r| cell(r, "sha256") == Some(sha.as_str()))
        .expect("wide row");
    assert_eq!(cell(row, "new_total"), Some(corrected.as_str()));
    // The other values are the extracted ones.
    assert_eq!(
        cell(row, "carried_forward_total"),
        Some(truth_number(&t.truth["values"]["requests/carried_forward/total"]).as_str())
    );
}

#[test]
fn bad_requests_get_a_clear_error_and_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.csv");
    let out_s = out.display().to_string();
    let missing = dir.path().join("missing.sqlite");
    let o = nianbao(&[
        "export",
        "--db",
        &missing.display().to_string(),
        "--out",
        &out_s,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no database at"));
    assert!(!out.exists() && !missing.exists());
    for (args, says) in [
        (
            &["--table", "checks", "--wide"][..],
            "--wide is for the value tables",
        ),
        (
            &["--table", "reports", "--reviewed"][..],
            "--reviewed applies corrections to values",
        ),
        (&["--format", "jsonl", "--bom"][..], "--bom is for CSV"),
    ] {
        let mut all = vec!["export", "--out", &out_s];
        all.extend_from_slice(args);
        let o = nianbao(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(says),
            "{args:?}"
        );
        assert!(!out.exists());
    }
}

#[test]
fn postgres_exports_hold_the_truth_values() {
    let Some(server) = pg_server::PgServer::start("postgres_exports_hold_the_truth_values") else {
        return;
    };
    let folders = ["html", "txt", "pdf"];
    extract(&["--postgres", &server.url], &folders);
    let dir = tempfile::tempdir().expect("tempdir");
    let source = ["--postgres", server.url.as_str()];
    let truths = truths(&folders);
    let values = export_all(&source, dir.path(), "values", &[]);
    assert!(assert_long_values(&values, &truths, None) > 1000);
    // The same wide names as SQLite's report_wide: the PostgreSQL keys table says.
    let mut client = server.client();
    let names: HashMap<String, String> = client
        .query(
            "SELECT DISTINCT key, wide_column FROM keys WHERE wide_column IS NOT NULL",
            &[],
        )
        .expect("keys")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let reports: i64 = client
        .query_one("SELECT COUNT(*) FROM reports", &[])
        .expect("count")
        .get(0);
    let wide = export_all(&source, dir.path(), "requests", &["--wide"]);
    assert_eq!(wide.len() as i64, reports);
    assert!(assert_wide_values(&wide, &truths, "requests", &names) > 100);
    let report_rows = export_all(&source, dir.path(), "reports", &[]);
    for t in &truths {
        let r = report_rows
            .iter()
            .find(|r| cell(r, "path") == Some(t.path.as_str()))
            .expect("report row");
        assert_eq!(cell(r, "agency"), t.truth["agency"].as_str());
        // Times spelt as SQLite spells them.
        let at = cell(r, "extracted_at").expect("extracted_at");
        assert!(at.ends_with('Z') && at.contains('T'), "{at}");
    }
    let checks: i64 = client
        .query_one("SELECT COUNT(*) FROM checks", &[])
        .expect("count")
        .get(0);
    assert_eq!(
        export_all(&source, dir.path(), "checks", &[]).len() as i64,
        checks
    );
    // No corrections yet: the reviewed values are the extracted ones (migration 4 made
    // the view; tests/review_postgres.rs exports corrections).
    let reviewed = export_all(&source, dir.path(), "values", &["--reviewed"]);
    assert_eq!(reviewed.len(), values.len());
    assert!(reviewed
        .iter()
        .all(|r| cell(r, "source") == Some("extracted")));
}
