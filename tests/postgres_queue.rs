//! The PostgreSQL work queue with real processes against a real server: three workers,
//! one killed with SIGKILL while it holds jobs, and every document still ends up stored
//! exactly once; bytes stored in the database for workers without the files; a document
//! past the time limit gets a failed record; a job whose attempts run out is failed with
//! its reason and its path gets a failed record.

mod pg_server;

use pg_server::PgServer;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
}

fn ok(o: Output) -> String {
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{stderr}");
    stderr + &String::from_utf8_lossy(&o.stdout)
}

fn count(db: &mut postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).expect(sql).get(0)
}

/// `n` distinct HTML reports (the samples, each copy with its own comment, so its own
/// content), and the value count each must have (from its truth file).
fn make_documents(dir: &Path, n: usize) -> Vec<(PathBuf, usize)> {
    let html = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/html");
    let mut originals: Vec<(Vec<u8>, usize)> = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&html)
        .expect("samples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    names.sort();
    for p in names {
        let truth_path = p.with_extension("truth.json");
        let truth: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(truth_path).expect("truth"))
                .expect("json");
        let values = truth["values"].as_object().map_or(0, |v| v.len());
        originals.push((std::fs::read(&p).expect("sample"), values));
    }
    std::fs::create_dir_all(dir).expect("mkdir");
    (0..n)
        .map(|i| {
            let (bytes, values) = &originals[i % originals.len()];
            let mut bytes = bytes.clone();
            bytes.extend_from_slice(format!("\n<!-- copy {i} -->\n").as_bytes());
            let path = dir.join(format!("d{i:04}.html"));
            std::fs::write(&path, bytes).expect("write");
            (path, *values)
        })
        .collect()
}

fn worker(url: &str, batch: &str) -> Child {
    bin()
        .args([
            "work",
            "--quiet",
            "-j",
            "1",
            "--lease-s",
            "3",
            "--batch",
            batch,
        ])
        .args(["--postgres", url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a worker")
}

fn wait(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("a worker ran past {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn three_workers_one_killed_store_every_document_exactly_once() {
    let Some(server) =
        PgServer::start("three_workers_one_killed_store_every_document_exactly_once")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = make_documents(&dir.path().join("docs"), 240);
    let n = docs.len() as i64;
    let said = ok(bin()
        .args(["enqueue", "--postgres", &server.url])
        .arg(dir.path().join("docs"))
        .output()
        .expect("enqueue"));
    assert!(said.contains(&format!("{n} jobs added")), "{said}");
    let said = ok(bin()
        .args(["enqueue", "--postgres", &server.url])
        .arg(dir.path().join("docs"))
        .output()
        .expect("enqueue"));
    assert!(said.contains("0 jobs added"), "{said}");

    let mut db = server.client();
    // The victim claims 8 jobs at a time, so it holds some most of the time it works.
    let mut victim = worker(&server.url, "8");
    let others = [worker(&server.url, "2"), worker(&server.url, "2")];
    let holds = format!(
        "SELECT count(*) FROM queue WHERE state = 'running' AND worker LIKE '%:{}:%'",
        victim.id()
    );
    let start = Instant::now();
    let held: Vec<i64> = loop {
        if count(&mut db, "SELECT count(*) FROM queue WHERE state = 'done'") >= 16
            && count(&mut db, &holds) > 0
        {
            victim.kill().expect("SIGKILL");
            let _ = victim.wait();
            break db
                .query(&holds.replace("count(*)", "id"), &[])
                .expect("held")
                .iter()
                .map(|r| r.get(0))
                .collect();
        }
        assert!(
            victim.try_wait().expect("wait").is_none(),
            "the worker to kill finished before it was caught holding jobs"
        );
        assert!(start.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(!held.is_empty(), "the killed worker held no job");
    for w in others {
        ok(wait(w, Duration::from_secs(180)));
    }

    // Every job done; those the killed worker held were claimed again after its lease.
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM queue WHERE state = 'done'"),
        n
    );
    let reclaimed = count(
        &mut db,
        &format!(
            "SELECT count(*) FROM queue WHERE attempts = 2 AND id IN ({})",
            held.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
    );
    assert_eq!(reclaimed, held.len() as i64);
    // Every document stored once, at its one path, with all its values.
    assert_eq!(count(&mut db, "SELECT count(*) FROM reports"), n);
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM reports WHERE status = 'ok'"),
        n
    );
    assert_eq!(count(&mut db, "SELECT count(*) FROM sources"), n);
    for (path, values) in &docs {
        let row = db
            .query_one(
                "SELECT count(*), min(r.n_values)::bigint,
                     (SELECT count(*) FROM report_values v WHERE v.report_id = min(r.id))
                 FROM reports r JOIN sources s ON s.report_id = r.id WHERE s.path = $1",
                &[&path.display().to_string()],
            )
            .expect("report");
        let (reports, n_values, stored): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(reports, 1, "{}", path.display());
        assert_eq!(n_values, *values as i64, "{}", path.display());
        assert_eq!(stored, *values as i64, "{}", path.display());
    }
    let status = ok(bin()
        .args(["status", "--postgres", &server.url])
        .output()
        .expect("status"));
    assert!(
        status.contains(&format!("queued 0  running 0  done {n}  failed 0")),
        "{status}"
    );
}

#[test]
fn stored_bytes_need_no_files_and_exhausted_jobs_fail_with_a_reason() {
    let Some(server) =
        PgServer::start("stored_bytes_need_no_files_and_exhausted_jobs_fail_with_a_reason")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = make_documents(&dir.path().join("docs"), 6);
    // A document whose parsing takes many seconds (100,000 nested <div>s), past the limit
    // of 1 s the worker is given: a failed record, and the worker goes on.
    let depth = 100_000;
    let deep = dir.path().join("docs/deep.html");
    std::fs::write(
        &deep,
        format!("<p>{}x{}", "<div>".repeat(depth), "</div>".repeat(depth)),
    )
    .expect("write");
    let config = dir.path().join("pipeline.toml");
    std::fs::write(&config, "[limits]\ndoc_timeout_s = 1\n").expect("config");
    ok(bin()
        .args(["enqueue", "--store-bytes", "--postgres", &server.url])
        .arg(dir.path().join("docs"))
        .output()
        .expect("enqueue"));
    // The files are gone: the workers read the bytes the database holds.
    std::fs::remove_dir_all(dir.path().join("docs")).expect("rm");
    let mut db = server.client();
    // One job's worker "died" on its last attempt: its lease ran out.
    let victim = docs[0].0.display().to_string();
    db.execute(
        "UPDATE queue SET state = 'running', attempts = 3, worker = 'gone:1:0',
             lease_until = now() - interval '1 second' WHERE path = $1",
        &[&victim],
    )
    .expect("update");
    let stats_file = dir.path().join("stats.json");
    let said = ok(bin()
        .args(["work", "-j", "2", "--postgres", &server.url, "--config"])
        .arg(&config)
        .arg("--stats")
        .arg(&stats_file)
        .output()
        .expect("work"));
    assert!(said.contains("1 jobs failed for good"), "{said}");
    // The worker's statistics: the six documents it extracted, all HTML, the deep one
    // failed by its timeout.
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats_file).expect("stats")).expect("json");
    assert_eq!(stats["documents"], 6, "{stats}");
    assert_eq!(stats["formats"][0]["format"], "html", "{stats}");
    assert_eq!(stats["formats"][0]["documents"], 6, "{stats}");
    assert_eq!(stats["failures"][0]["count"], 1, "{stats}");
    assert!(
        stats["failures"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("timeout")),
        "{stats}"
    );
    assert_eq!(stats["slowest"][0]["path"], deep.display().to_string());
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM queue WHERE state = 'done'"),
        6
    );
    let timeout: String = db
        .query_one(
            "SELECT e.message FROM reports r JOIN errors e ON e.report_id = r.id
             JOIN sources s ON s.report_id = r.id WHERE s.path = $1 AND r.status = 'failed'",
            &[&deep.display().to_string()],
        )
        .expect("the deep document's record")
        .get(0);
    assert!(
        timeout.starts_with("timeout: extraction ran past the time limit of 1 s"),
        "{timeout}"
    );
    let reason: String = db
        .query_one(
            "SELECT last_error FROM queue WHERE state = 'failed' AND path = $1",
            &[&victim],
        )
        .expect("failed job")
        .get(0);
    assert!(reason.contains("no result after 3 attempts"), "{reason}");
    let (status, message): (String, String) = {
        let r = db
            .query_one(
                "SELECT r.status, e.message FROM reports r JOIN errors e ON e.report_id = r.id
                 JOIN sources s ON s.report_id = r.id WHERE s.path = $1",
                &[&victim],
            )
            .expect("failed record");
        (r.get(0), r.get(1))
    };
    assert_eq!(status, "failed");
    assert_eq!(message, reason);
    for (path, values) in &docs[1..] {
        let n: i64 = db
            .query_one(
                "SELECT r.n_values::bigint FROM reports r JOIN sources s ON s.report_id = r.id
                 WHERE s.path = $1 AND r.status = 'ok'",
                &[&path.display().to_string()],
            )
            .expect("stored")
            .get(0);
        assert_eq!(n, *values as i64);
    }
    let status = ok(bin()
        .args(["status", "--postgres", &server.url])
        .output()
        .expect("status"));
    assert!(
        status.contains("queued 0  running 0  done 6  failed 1"),
        "{status}"
    );
    assert!(
        status.contains("1 failed: no result after 3 attempts"),
        "{status}"
    );
}
