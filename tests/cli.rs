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
    // Truth files beside the documents are sidecars: skipped, no records.
    assert_eq!(records.len(), 10);

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
    assert!(summary.contains("10 already stored"), "{summary}");
    assert!(
        summary.contains("skipped 10 files, by rule:\n    10 × sidecars"),
        "{summary}"
    );
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
    // A zip that is not a DOCX, renamed .docx: an archive, whose member is read.
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
        by_name("renamed.docx!readme.txt").contains("not a government"),
        "{}",
        by_name("renamed.docx!readme.txt")
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

fn path_of(r: &Value) -> &str {
    r["source"]["path"].as_str().unwrap_or("")
}

fn count_reports(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .expect("db")
        .query_row("SELECT count(*) FROM reports", [], |r| r.get(0))
        .expect("count")
}

/// A zip as a Mac makes it: the document, its truth file, a .DS_Store, and the
/// AppleDouble twin of the document under __MACOSX/.
fn mac_zip(path: &Path) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    let opts = zip::write::SimpleFileOptions::default();
    let html = std::fs::read(samples().join("html/dev-031.html")).expect("sample");
    let members: [(&str, &[u8]); 4] = [
        ("2022/dev-031.html", &html),
        ("2022/dev-031.truth.json", b"{}"),
        ("2022/.DS_Store", b"\0\0\0\x01Bud1"),
        (
            "__MACOSX/2022/._dev-031.html",
            b"\0\x05\x16\x07\0\x02\0\0Mac OS X",
        ),
    ];
    for (name, bytes) in members {
        w.start_file(name, opts).expect("zip");
        w.write_all(bytes).expect("zip");
    }
    w.finish().expect("zip");
}

#[cfg(unix)]
#[test]
fn a_messy_folder_gives_records_only_for_its_documents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(docs.join("2023")).expect("mkdir");
    std::fs::create_dir_all(docs.join(".git")).expect("mkdir");
    std::fs::create_dir_all(docs.join("links")).expect("mkdir");
    std::fs::copy(
        samples().join("html/dev-002.html"),
        docs.join("2023/dev-002.html"),
    )
    .expect("copy");
    std::fs::copy(
        samples().join("docx/dev-005.docx"),
        docs.join("dev-005.docx"),
    )
    .expect("copy");
    // Sidecars, OS files, lock files, hidden ones (a file and a folder).
    std::fs::copy(
        samples().join("html/dev-002.truth.json"),
        docs.join("2023/dev-002.truth.json"),
    )
    .expect("copy");
    write(&docs.join("MANIFEST.tsv"), b"id\tformat\n");
    write(&docs.join("README.md"), b"# reports\n");
    write(&docs.join(".DS_Store"), b"\0\0\0\x01Bud1");
    write(&docs.join("2023/Thumbs.db"), b"thumbs");
    write(&docs.join("desktop.ini"), b"[.ShellClassInfo]");
    write(&docs.join("~$dev-005.docx"), b"lock");
    write(&docs.join(".~lock.dev-005.docx#"), b"lock");
    write(&docs.join(".hidden.html"), b"<html></html>");
    write(&docs.join(".git/config"), b"[core]");
    mac_zip(&docs.join("archive.zip"));
    // A broken link and a loop: each its own failed record, the run goes on.
    std::os::unix::fs::symlink(dir.path().join("nowhere.pdf"), docs.join("links/old.pdf"))
        .expect("symlink");
    std::os::unix::fs::symlink("..", docs.join("links/up")).expect("symlink");
    // The database is written into the folder being read: never read as input.
    let db = docs.join("nianbao.sqlite");
    let out = dir.path().join("out.jsonl");
    let run = || {
        bin()
            .args(["extract", "--quiet", "--db"])
            .arg(&db)
            .arg("--jsonl")
            .arg(&out)
            .arg(&docs)
            .output()
            .expect("run")
    };
    let o = run();
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{summary}");
    let records = read_jsonl(&out);
    let mut paths: Vec<String> = records
        .iter()
        .map(|r| {
            path_of(r)
                .strip_prefix(docs.to_str().unwrap_or(""))
                .unwrap_or("")
                .to_string()
        })
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/2023/dev-002.html",
            "/archive.zip!2022/dev-031.html",
            "/dev-005.docx",
            "/links/old.pdf",
            "/links/up",
        ],
        "{summary}"
    );
    for r in &records {
        let (path, status) = (path_of(r), r["status"].as_str().unwrap_or(""));
        let message = r["errors"][0]["message"].as_str().unwrap_or("");
        if path.ends_with("old.pdf") {
            assert_eq!(status, "failed");
            assert!(message.contains("broken symbolic link"), "{message}");
        } else if path.ends_with("up") {
            assert_eq!(status, "failed");
            assert!(message.contains("symbolic link loop"), "{message}");
        } else {
            assert_eq!(status, "ok", "{path}: {message}");
        }
    }
    // The zip's truth file, .DS_Store and __MACOSX twin are counted with the folder's;
    // the database (with its -wal/-shm files, as SQLite keeps them) is our own output.
    for counted in [
        "   4 × sidecars (*.json, *.tsv, *.md)",
        "   2 × hidden (name starts with .)",
        "   5 × OS files (.DS_Store, Thumbs.db, __MACOSX, ._*)",
        "   2 × office lock files (~$*, .~lock.*#)",
        "our own output (database, JSONL, errors file)",
    ] {
        assert!(summary.contains(counted), "{counted}: {summary}");
    }
    assert!(
        summary.contains("failed 2 documents, by reason:"),
        "{summary}"
    );
    // A second run reads the same documents: its own database (now beside them, with
    // its journal files) is not among them.
    let o = run();
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(
        summary.contains("5 documents: 0 ok, 0 partial, 2 failed, 3 already stored"),
        "{summary}"
    );
    assert_eq!(count_reports(&db), 5);
}

#[test]
fn include_exclude_files_from_and_named_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).expect("mkdir");
    std::fs::copy(samples().join("html/dev-002.html"), docs.join("a.html")).expect("copy");
    std::fs::copy(samples().join("docx/dev-005.docx"), docs.join("B.DOCX")).expect("copy");
    write(&docs.join("notes.md"), b"# notes\n");
    let records_of = |args: &[&str], stdin: Option<&str>| -> Vec<String> {
        let out = dir.path().join("out.jsonl");
        let mut c = bin();
        c.args(["extract", "--quiet", "--no-db", "--jsonl"])
            .arg(&out)
            .args(args)
            .current_dir(&docs);
        if stdin.is_some() {
            c.stdin(std::process::Stdio::piped());
        }
        let mut child = c.spawn().expect("run");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).expect("stdin");
        }
        assert!(child.wait().expect("wait").success());
        let mut paths: Vec<String> = read_jsonl(&out)
            .iter()
            .map(|r| path_of(r).to_string())
            .collect();
        paths.sort();
        paths
    };
    assert_eq!(
        records_of(&[".", "--include", "*.docx"], None),
        ["./B.DOCX"]
    );
    assert_eq!(
        records_of(&[".", "--exclude", "*.docx"], None),
        ["./a.html"]
    );
    // A named sidecar is read (and fails: it is no report); --exclude still skips it.
    assert_eq!(
        records_of(&["notes.md", "a.html"], None),
        ["a.html", "notes.md"]
    );
    assert_eq!(
        records_of(&["notes.md", "a.html", "--exclude", "*.md"], None),
        ["a.html"]
    );
    // --files-from: listed paths are judged like files in a folder.
    assert_eq!(
        records_of(&["--files-from", "-"], Some("a.html\nnotes.md\n\nB.DOCX\n")),
        ["B.DOCX", "a.html"]
    );
    // A glob that does not parse stops the run before any work, with status 2.
    let o = bin()
        .args(["extract", "--no-db", "--include", "[oops"])
        .arg(&docs)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--include"));
}

#[test]
fn a_missing_path_beside_a_good_one_fails_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.html");
    std::fs::copy(samples().join("html/dev-009.html"), &good).expect("copy");
    let missing = dir.path().join("missing.docx");
    let (db, errors) = (dir.path().join("n.sqlite"), dir.path().join("errors.jsonl"));
    let run = |strict: bool| {
        let mut c = bin();
        c.args(["extract", "--quiet", "--db"])
            .arg(&db)
            .arg("--errors")
            .arg(&errors)
            .arg(&missing)
            .arg(&good);
        if strict {
            c.arg("--strict");
        }
        c.output().expect("run")
    };
    let o = run(false);
    let summary = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{summary}");
    assert!(
        summary.contains("2 documents: 1 ok, 0 partial, 1 failed"),
        "{summary}"
    );
    assert!(summary.contains("no such file or folder"), "{summary}");
    let conn = rusqlite::Connection::open(&db).expect("db");
    let status: String = conn
        .query_row(
            "SELECT status FROM reports WHERE path LIKE '%good.html'",
            [],
            |r| r.get(0),
        )
        .expect("good stored");
    assert_eq!(status, "ok");
    // --errors lists the failure with its reason, and nothing else.
    let listed = read_jsonl(&errors);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["path"], missing.display().to_string());
    assert_eq!(listed[0]["status"], "failed");
    assert!(listed[0]["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .starts_with("no such file or folder"));
    assert_eq!(run(true).status.code(), Some(1), "--strict: a path failed");
}

#[cfg(unix)]
#[test]
fn a_closed_jsonl_pipe_still_stores_every_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("n.sqlite");
    let o = Command::new("sh")
        .arg("-c")
        .arg(r#""$0" extract "$1" "$2" --db "$3" --jsonl - | head -1"#)
        .arg(env!("CARGO_BIN_EXE_nianbao"))
        .arg(samples().join("docx"))
        .arg(samples().join("html"))
        .arg(&db)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let first: Value = serde_json::from_slice(&o.stdout).expect("one record on stdout");
    assert!(first["source"]["path"].is_string());
    assert_eq!(count_reports(&db), 10, "{stderr}");
    assert_eq!(
        stderr.matches("JSONL output stopped after").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("10 documents: "), "{stderr}");
}

#[test]
fn a_txt_with_three_bad_bytes_is_extracted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rel = "txt/001_15c2044e02e4a21d.txt";
    let mut bytes = std::fs::read(samples().join(rel)).expect("sample");
    let at = bytes.len() / 2;
    let at = at + bytes[at..].iter().position(|b| *b == b'\n').unwrap_or(0) + 1;
    bytes.splice(at..at, [0xFF, 0xFE, 0x80]);
    let damaged = dir.path().join("damaged.txt");
    write(&damaged, &bytes);
    let out = dir.path().join("out.jsonl");
    let status = bin()
        .args(["extract", "--quiet", "--no-db", "--jsonl"])
        .arg(&out)
        .arg(&damaged)
        .status()
        .expect("run");
    assert!(status.success());
    let r = &read_jsonl(&out)[0];
    // A record with errors is partial (spec/RECORD.md); every value is still there.
    assert_eq!(r["status"], "partial");
    assert_eq!(r["errors"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["errors"][0]["stage"], "decode");
    assert!(r["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .starts_with("3 bytes that are not valid UTF-8 were replaced"));
    let t = truth("txt/001_15c2044e02e4a21d.truth.json");
    assert_eq!(r["values"], t["values"]);
    assert_eq!(r["agency"], t["agency"]);
}

#[test]
fn doctor_checks_the_engine_data_database_and_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = bin()
        .arg("doctor")
        .arg("--db")
        .arg(dir.path().join("new.sqlite"))
        .current_dir(dir.path())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&fresh.stdout);
    assert!(fresh.status.success(), "{text}");
    for what in [
        "libtesseract",
        "language data eng",
        "language data chi_sim",
        "templates",
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("ok      {what}"))),
            "{what}: {text}"
        );
    }
    // A file that is no database, and a configuration with a misspelt key.
    let not_db = dir.path().join("notes.sqlite");
    write(
        &not_db,
        b"these are notes, not a database; nothing to overwrite here",
    );
    let cfg = dir.path().join("pipeline.toml");
    write(&cfg, b"[sqlite]\nstore_json = false\n");
    let bad = bin()
        .arg("doctor")
        .arg("--db")
        .arg(&not_db)
        .arg("--config")
        .arg(&cfg)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(text.contains("PROBLEM database"), "{text}");
    assert!(text.contains("PROBLEM configuration"), "{text}");
    assert!(text.contains("store_json"), "{text}");
    assert!(text.contains("2 problems found"), "{text}");
}
