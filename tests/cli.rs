//! The `nianbao` binary end to end: samples into SQLite and JSONL, re-runs, bad input.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("record json"))
        .collect()
}

fn truth(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(samples().join(rel)).expect("truth"))
        .expect("truth json")
}

#[test]
fn samples_into_sqlite_and_jsonl_then_rerun_skips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("n.sqlite");
    let out = dir.path().join("out.jsonl");
    let status = bin()
        .args(["extract", "--quiet", "--db"])
        .arg(&db)
        .arg("--jsonl")
        .arg(&out)
        .arg(samples().join("docx"))
        .arg(samples().join("html"))
        .status()
        .expect("run");
    assert!(status.success());
    let records = read_jsonl(&out);
    // Truth files are not documents, but they are files: they get failed records too.
    let docs: Vec<&Value> = records
        .iter()
        .filter(|r| {
            !r["source"]["path"]
                .as_str()
                .unwrap_or("")
                .ends_with(".json")
        })
        .collect();
    assert_eq!(docs.len(), 10);

    // The database holds the printed values, and the view prints table 三 as in the report.
    let conn = rusqlite::Connection::open(&db).expect("db");
    let t = truth("html/dev-009.truth.json");
    let (np, total): (i64, i64) = conn
        .query_row(
            "SELECT q.natural_person, q.total FROM requests_table q JOIN reports r ON r.id = q.report_id
             WHERE r.path LIKE '%dev-009.html' AND q.row_key = 'not_processed.confirm'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row");
    assert_eq!(
        np,
        t["values"]["requests/not_processed.confirm/natural_person"]
            .as_i64()
            .unwrap_or(-1)
    );
    assert_eq!(
        total,
        t["values"]["requests/not_processed.confirm/total"]
            .as_i64()
            .unwrap_or(-1)
    );
    let failed_checks: i64 = conn
        .query_row(
            "SELECT count(*) FROM checks c JOIN reports r ON r.id = c.report_id
             WHERE r.path LIKE '%dev-009.html' AND c.ok = 0",
            [],
            |r| r.get(0),
        )
        .expect("checks");
    assert!(failed_checks >= 1);

    // A second run skips what is stored, and still writes every record to JSONL.
    let out2 = dir.path().join("out2.jsonl");
    let o = bin()
        .args(["extract", "--db"])
        .arg(&db)
        .arg("--jsonl")
        .arg(&out2)
        .arg(samples().join("docx"))
        .arg(samples().join("html"))
        .output()
        .expect("run");
    assert!(o.status.success());
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(summary.contains("10 skipped"), "{summary}");
    let again = read_jsonl(&out2);
    assert_eq!(again.len(), records.len());
    let n_reports: i64 = conn
        .query_row(
            "SELECT count(*) FROM reports WHERE status != 'failed'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(n_reports, 10);

    // --force extracts again and replaces, never duplicates.
    let status = bin()
        .args(["extract", "--quiet", "--force", "--db"])
        .arg(&db)
        .arg(samples().join("html"))
        .status()
        .expect("run");
    assert!(status.success());
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM reports WHERE path LIKE '%.html'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(n, 5);
}

fn write(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::File::create(path).expect("create");
    f.write_all(bytes).expect("write");
}

/// A DOCX whose word/document.xml is cut in the middle.
fn truncated_docx(src: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(src)).expect("zip");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).expect("member");
        let name = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).expect("read");
        if name == "word/document.xml" {
            data.truncate(data.len() / 2);
        }
        w.start_file(name, opts).expect("start");
        w.write_all(&data).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

#[test]
fn bad_files_get_failed_records_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).expect("mkdir");
    let good = std::fs::read(samples().join("docx/dev-005.docx")).expect("sample");
    std::fs::copy(samples().join("html/dev-002.html"), docs.join("good.html")).expect("copy");
    write(&docs.join("good.docx"), &good);
    write(&docs.join("empty.docx"), b"");
    write(&docs.join("empty.html"), b"");
    // A zip that is not a DOCX, renamed .docx.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .expect("zip");
    w.write_all(b"hello").expect("zip");
    write(
        &docs.join("renamed.docx"),
        &w.finish().expect("zip").into_inner(),
    );
    let junk: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    write(&docs.join("junk.bin"), &junk);
    write(&docs.join("junk.html"), &junk);
    write(&docs.join("cut.docx"), &truncated_docx(&good));

    let out = dir.path().join("out.jsonl");
    let run = |strict: bool| {
        let mut c = bin();
        c.args(["extract", "--quiet", "--no-db", "--jsonl"])
            .arg(&out)
            .arg(&docs);
        if strict {
            c.arg("--strict");
        }
        c.status().expect("run")
    };
    assert!(run(false).success(), "bad files must not fail the batch");
    let records = read_jsonl(&out);
    assert_eq!(records.len(), 8);
    for r in &records {
        let path = r["source"]["path"].as_str().unwrap_or("");
        let status = r["status"].as_str().unwrap_or("");
        if path.ends_with("good.docx") || path.ends_with("good.html") {
            assert_eq!(status, "ok", "{path}");
            assert!(r["values"].as_object().is_some_and(|v| v.len() == 200));
        } else {
            assert_eq!(status, "failed", "{path}");
            let msg = r["errors"][0]["message"].as_str().unwrap_or("");
            assert!(msg.len() > 10, "{path}: unclear error {msg:?}");
        }
    }
    let by_name = |name: &str| -> String {
        records
            .iter()
            .find(|r| r["source"]["path"].as_str().unwrap_or("").ends_with(name))
            .map(|r| r["errors"][0]["message"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert!(by_name("empty.docx").contains("empty"));
    assert!(
        by_name("renamed.docx").contains("document.xml"),
        "{}",
        by_name("renamed.docx")
    );
    assert!(by_name("cut.docx").contains("cut off") || by_name("cut.docx").contains("damaged"));
    assert!(by_name("junk.bin").contains("unsupported"));
    assert_eq!(
        run(true).code(),
        Some(1),
        "--strict fails when a document failed"
    );
}

#[test]
fn zip_archives_are_read_member_by_member() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("reports.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&archive).expect("create"));
    let opts = zip::write::SimpleFileOptions::default();
    for rel in ["html/dev-031.html", "txt/001_15c2044e02e4a21d.txt"] {
        w.start_file(
            format!("2023/{}", rel.rsplit('/').next().unwrap_or(rel)),
            opts,
        )
        .expect("zip");
        w.write_all(&std::fs::read(samples().join(rel)).expect("sample"))
            .expect("zip");
    }
    w.finish().expect("zip");
    let out = dir.path().join("out.jsonl");
    let status = bin()
        .args(["extract", "--quiet", "--no-db", "--jsonl"])
        .arg(&out)
        .arg(&archive)
        .status()
        .expect("run");
    assert!(status.success());
    let records = read_jsonl(&out);
    assert_eq!(records.len(), 2);
    let t = truth("html/dev-031.truth.json");
    let r = records
        .iter()
        .find(|r| {
            r["source"]["path"]
                .as_str()
                .unwrap_or("")
                .ends_with("reports.zip!2023/dev-031.html")
        })
        .expect("member record");
    assert_eq!(
        r["values"]["requests/new/total"],
        t["values"]["requests/new/total"]
    );
    assert_eq!(r["agency"], t["agency"]);
}
