//! The database as a user meets it, through the binary: a document is its content (one
//! report per sha256, a source per path, a stable id), a changed file replaces its
//! failure, the wide view holds a sample's truth values, deletes leave no orphans in any
//! client, and what made the records is stored per run.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn truth(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(samples().join(rel)).expect("truth"))
        .expect("truth json")
}

fn extract(db: &Path, args: &[&str], paths: &[&Path]) -> std::process::Output {
    let o = bin()
        .args(["extract", "--quiet", "--db"])
        .arg(db)
        .args(args)
        .args(paths)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn strings(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    conn.prepare(sql)
        .expect("sql")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).expect("read");
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn duplicate_content_is_one_report_with_two_sources_and_a_stable_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(docs.join("2023")).expect("mkdir");
    let original = samples().join("docx/dev-005.docx");
    let (a, b) = (docs.join("a.docx"), docs.join("2023/copy of a.docx"));
    std::fs::copy(&original, &a).expect("copy");
    std::fs::copy(&original, &b).expect("copy");
    let db = dir.path().join("n.sqlite");
    extract(&db, &[], &[&docs]);

    let conn = rusqlite::Connection::open(&db).expect("db");
    let sha = sha256_of(&original);
    let ids = strings(&conn, "SELECT id || ' ' || sha256 FROM reports");
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(ids[0].ends_with(&sha));
    let id: i64 = conn
        .query_row("SELECT id FROM reports", [], |r| r.get(0))
        .expect("id");
    let sources = strings(&conn, "SELECT path FROM sources ORDER BY path");
    assert_eq!(
        sources,
        [b.display().to_string(), a.display().to_string()],
        "both paths are sources"
    );

    // --force extracts again and updates the same row: ids downstream stay valid.
    extract(&db, &["--force"], &[&a]);
    let after: i64 = conn
        .query_row("SELECT id FROM reports", [], |r| r.get(0))
        .expect("id");
    assert_eq!(after, id);
    let values: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM report_values WHERE report_id = ?1",
            [id],
            |r| r.get(0),
        )
        .expect("count");
    let t = truth("docx/dev-005.truth.json");
    assert_eq!(
        values as usize,
        t["values"].as_object().expect("values").len()
    );

    // A third name, seen by a run that skips the stored content: a third source, and the
    // re-emitted record carries this run's path.
    let c = dir.path().join("moved.docx");
    std::fs::copy(&original, &c).expect("copy");
    let out = dir.path().join("again.jsonl");
    extract(&db, &["--jsonl", out.to_str().expect("utf-8")], &[&c]);
    let record: Value =
        serde_json::from_str(std::fs::read_to_string(&out).expect("jsonl").trim()).expect("record");
    assert_eq!(record["source"]["path"], c.display().to_string());
    assert_eq!(record["source"]["sha256"], sha.as_str());
    assert_eq!(
        strings(
            &conn,
            "SELECT COUNT(*) || ' ' || MIN(report_id) FROM sources"
        ),
        [format!("3 {id}")]
    );
    assert_eq!(
        strings(&conn, "SELECT path FROM reports"),
        [c.display().to_string()]
    );
}

#[test]
fn a_changed_file_replaces_its_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.docx");
    std::fs::write(&file, b"PK\x03\x04 not really a docx").expect("write");
    let db = dir.path().join("n.sqlite");
    extract(&db, &[], &[&file]);
    let conn = rusqlite::Connection::open(&db).expect("db");
    assert_eq!(strings(&conn, "SELECT status FROM reports"), ["failed"]);

    // The file is fixed: its path now holds a good report, and the failure is gone.
    std::fs::copy(samples().join("docx/dev-005.docx"), &file).expect("copy");
    extract(&db, &[], &[&file]);
    assert_eq!(
        strings(&conn, "SELECT status || ' ' || sha256 FROM reports"),
        [format!("ok {}", sha256_of(&file))]
    );
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM errors"), 0);
    assert_eq!(
        strings(&conn, "SELECT path FROM sources"),
        [file.display().to_string()]
    );
}

#[test]
fn the_wide_view_returns_the_truth_values_of_a_sample() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("n.sqlite");
    let sample = samples().join("html/dev-009.html");
    extract(&db, &[], &[&sample]);
    let conn = rusqlite::Connection::open(&db).expect("db");
    let t = truth("html/dev-009.truth.json");
    let template = t["template"].as_str().expect("template");
    let columns: Vec<(String, String)> = conn
        .prepare(
            "SELECT key, wide_column FROM keys WHERE template = ?1 AND wide_column IS NOT NULL",
        )
        .expect("sql")
        .query_map([template], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(columns.len() >= 25 * 7 + 15, "{}", columns.len());
    let mut compared = 0;
    for (key, column) in &columns {
        let (got, ty): (Option<i64>, String) = conn
            .query_row(
                &format!("SELECT {column}, typeof({column}) FROM report_wide"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("wide row");
        assert_eq!(got, t["values"][key].as_i64(), "{key}");
        assert_eq!(ty, "integer", "{key}: whole numbers are INTEGER");
        compared += 1;
    }
    assert_eq!(compared, columns.len());
    let head: (String, String, i64, String) = conn
        .query_row(
            "SELECT path, agency, year, status FROM report_wide",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("head");
    assert_eq!(head.0, sample.display().to_string());
    assert_eq!(Some(head.1.as_str()), t["agency"].as_str());
    assert_eq!(Some(head.2), t["year"].as_i64());
    assert_eq!(head.3, "ok");
    // The keys table is the list of keys to query by (a guessed `carried_over` is not one).
    assert_eq!(
        strings(
            &conn,
            "SELECT row_label FROM keys WHERE key = 'requests/carried_forward/total' \
             AND template = 'gov-2021'"
        ),
        ["四、结转下年度继续办理"]
    );
}

#[test]
fn deleting_a_report_in_a_fresh_client_leaves_no_orphans() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("n.sqlite");
    extract(
        &db,
        &[],
        &[&samples().join("docx"), &samples().join("html")],
    );
    let orphans = |conn: &rusqlite::Connection| -> i64 {
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
                .expect("count")
            })
            .sum()
    };
    // The sqlite3 shell, when installed: foreign keys off, as in any fresh session.
    let shell = Command::new("sqlite3")
        .arg(&db)
        .arg("PRAGMA foreign_keys; DELETE FROM reports WHERE path LIKE '%dev-005.docx';")
        .output();
    let conn = rusqlite::Connection::open(&db).expect("db");
    if let Some(o) = shell.ok().filter(|o| o.status.success()) {
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "0");
        assert_eq!(orphans(&conn), 0);
    }
    // Without the shell the same with a connection that turned foreign keys off.
    conn.execute_batch("PRAGMA foreign_keys = OFF")
        .expect("pragma");
    conn.execute("DELETE FROM reports WHERE path LIKE '%.html'", [])
        .expect("delete");
    assert_eq!(orphans(&conn), 0);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM reports"), 4);
}

#[test]
fn a_run_records_what_made_its_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("n.sqlite");
    extract(&db, &[], &[&samples().join("png/dev-004.png")]);
    let conn = rusqlite::Connection::open(&db).expect("db");
    let (tool, commit, tesseract, tessdata, ok): (String, String, String, String, i64) = conn
        .query_row(
            "SELECT u.tool_version, u.git_commit, u.tesseract_version, u.tessdata, u.ok
             FROM reports r JOIN runs u ON u.id = r.run_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("run");
    assert_eq!(tool, env!("CARGO_PKG_VERSION"));
    assert!(!commit.is_empty());
    assert!(
        tesseract.starts_with(|c: char| c.is_ascii_digit()),
        "{tesseract}"
    );
    assert!(tessdata.contains("chi_sim"), "{tessdata}");
    // The lone table picture is ok (its metadata does not apply).
    assert_eq!(ok, 1);
    let version = bin().arg("--version").output().expect("run");
    let text = String::from_utf8_lossy(&version.stdout);
    assert!(text.contains(&commit), "{text}");
    assert!(text.contains(&format!("tesseract {tesseract}")), "{text}");
}

#[test]
fn inspect_prints_the_tables_as_read() {
    let o = bin()
        .arg("inspect")
        .arg(samples().join("html/dev-009.html"))
        .output()
        .expect("run");
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(": html, "), "{text}");
    let tables = text.lines().filter(|l| l.starts_with("TABLE ")).count();
    assert!(tables >= 3, "{text}");
    // Table 三's row of 予以公开 as printed, the truth's numbers in it.
    let t = truth("html/dev-009.truth.json");
    let row = text
        .lines()
        .find(|l| l.starts_with("  | ") && l.contains("予以公开") && !l.contains("部分"))
        .expect("row");
    let total = t["values"]["requests/disclosed/total"].to_string();
    assert!(row.ends_with(&format!("| {total}")), "{row}");

    // A file that is not there is said, and the exit status says so.
    let o = bin()
        .arg("inspect")
        .arg(samples().join("no such file.docx"))
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("cannot read"));
}
