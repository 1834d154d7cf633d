//! Archives end to end: `cargo bench --bench archives [-- N [FORMATS]]`.
//!
//! Builds a zip (deflated) and a tar.gz of N unique copies of the born-digital samples of
//! FORMATS (a comma list of samples/ folders, default `docx,html`, N default 5,000), runs
//! the release `nianbao extract` on each into a fresh SQLite database, and prints per
//! archive: documents per second, CPU per document and the run's peak resident memory
//! (the child's own rusage, as `/usr/bin/time -v` reports it). A benchmark, not a test:
//! it asserts only that every document was stored.
//!
//! With `kill` among the arguments (`-- 20000 docx,html kill`), it then runs the zip into
//! a fresh database once more, kills that run with SIGKILL once a third of the documents
//! are stored, runs it again to the end, and prints the row counts: every document stored
//! once (reports, sources and distinct sha256 equal to N), no duplicate values.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// `nianbao extract ARCHIVE --db DB --quiet`, its output thrown away.
fn extract_command(archive: &Path, db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nianbao"));
    c.arg("extract")
        .arg(archive)
        .arg("--db")
        .arg(db)
        .arg("--quiet")
        .stdout(Stdio::null());
    c
}

/// Runs `nianbao extract ARCHIVE --db DB --quiet`; wall seconds, CPU seconds and peak
/// RSS (MB) of that run alone, and its summary line.
fn run(archive: &Path, db: &Path) -> (f64, f64, f64, String) {
    let start = Instant::now();
    // Reaped by wait4 below, which gives this run's own rusage (Child::wait would not).
    #[allow(clippy::zombie_processes)]
    let child = extract_command(archive, db)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nianbao");
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let (mut status, mut usage): (libc::c_int, libc::rusage) = (0, unsafe { std::mem::zeroed() });
    // SAFETY: wait4 writes only the status and the struct we pass, for our own child.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = start.elapsed().as_secs_f64();
    let summary = reader.join().unwrap_or_default();
    assert!(rc == pid && status == 0, "nianbao failed: {summary}");
    let t = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = t(usage.ru_utime) + t(usage.ru_stime);
    (secs, cpu, usage.ru_maxrss as f64 / 1024.0, summary)
}

/// Reports stored in `db` now (0 while it cannot be read).
fn stored(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0)))
        .unwrap_or(0)
}

/// The zip run killed with SIGKILL once `n / 3` documents are stored, then run again to
/// the end: prints what each run stored and the final counts, and asserts that every
/// document is stored exactly once.
fn kill_and_resume(archive: &Path, db: &Path, n: usize) {
    let _ = std::fs::remove_file(db);
    let start = Instant::now();
    let mut child = extract_command(archive, db)
        .stderr(Stdio::null())
        .spawn()
        .expect("run nianbao");
    let mut before_kill = 0;
    while child.try_wait().expect("wait").is_none() {
        before_kill = stored(db);
        if before_kill >= (n / 3) as i64 {
            // SIGKILL: no chance to commit or clean up, as a crash or an OOM kill.
            child.kill().expect("kill -9");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.wait();
    let killed_at = start.elapsed().as_secs_f64();
    let after_kill = stored(db);
    let (secs, cpu, rss, summary) = run(archive, db);
    let conn = rusqlite::Connection::open(db).expect("open");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap_or(-1) };
    let reports = count("SELECT COUNT(*) FROM reports");
    let distinct = count("SELECT COUNT(DISTINCT sha256) FROM reports");
    let sources = count("SELECT COUNT(*) FROM sources");
    let source_paths = count("SELECT COUNT(DISTINCT path) FROM sources");
    let duplicate_values = count(
        "SELECT COUNT(*) FROM (SELECT 1 FROM report_values GROUP BY report_id, key \
         HAVING COUNT(*) > 1)",
    );
    let runs = count("SELECT COUNT(*) FROM runs");
    println!(
        "kill -9 and resume ({}): killed after {killed_at:.1} s with {after_kill} reports \
         stored (last seen {before_kill}); the re-run took {secs:.2} s, {:.2} ms CPU per \
         document it extracted, peak RSS {rss:.0} MB",
        archive.file_name().and_then(|f| f.to_str()).unwrap_or("?"),
        cpu * 1000.0 / (n as i64 - after_kill).max(1) as f64,
    );
    println!("  re-run: {}", summary.trim().lines().last().unwrap_or(""));
    println!(
        "  final: {reports} reports ({distinct} distinct sha256), {sources} sources \
         ({source_paths} distinct paths), {duplicate_values} duplicated values, {runs} runs; \
         {n} documents"
    );
    let n = n as i64;
    assert!(
        reports == n && distinct == n && sources == n && source_paths == n,
        "not every document stored exactly once"
    );
    assert_eq!(duplicate_values, 0, "values stored twice");
}

fn main() {
    nianbao::ocr::limit_openmp_threads();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(5000);
    let formats: Vec<String> = args
        .iter()
        .find(|a| a.parse::<usize>().is_err() && *a != "kill")
        .map(|a| a.split(',').map(str::to_string).collect())
        .unwrap_or_else(|| vec!["docx".to_string(), "html".to_string()]);
    let sources = common::born_digital_samples(&formats);
    let tmp = tempfile::tempdir().expect("tempdir");
    let zip_path = tmp.path().join("reports.zip");
    let tgz_path = tmp.path().join("reports.tar.gz");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("create"));
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&tgz_path).expect("create"),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    let mut bytes_total = 0u64;
    for i in 0..n {
        let src = &sources[i % sources.len()];
        let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("bin");
        let bytes = common::unique_copy(&std::fs::read(src).expect("sample"), ext, i);
        let name = format!("{}/r{i:06}.{ext}", 2000 + i % 25);
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .expect("zip");
        zip.write_all(&bytes).expect("zip");
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, &name, bytes.as_slice())
            .expect("tar");
        bytes_total += bytes.len() as u64;
    }
    zip.finish().expect("zip");
    tar.into_inner().and_then(|gz| gz.finish()).expect("tar.gz");
    let kill = args.iter().any(|a| a == "kill");
    for archive in [&zip_path, &tgz_path] {
        let db = tmp.path().join("bench.sqlite");
        let _ = std::fs::remove_file(&db);
        let (secs, cpu, rss, summary) = run(archive, &db);
        let reports: i64 = rusqlite::Connection::open(&db)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0)))
            .unwrap_or(-1);
        assert_eq!(reports, n as i64, "{summary}");
        let size = std::fs::metadata(archive).map(|m| m.len()).unwrap_or(0);
        println!(
            "{}: {n} documents ({} samples of {}, {:.0} MB, archive {:.0} MB) in {secs:.2} s \
             = {:.0} docs/s; {:.2} ms CPU per document (so {:.0} docs/s on 2 idle cores); \
             peak RSS {rss:.0} MB; {reports} reports stored",
            archive.file_name().and_then(|f| f.to_str()).unwrap_or("?"),
            sources.len(),
            formats.join(","),
            bytes_total as f64 / 1e6,
            size as f64 / 1e6,
            n as f64 / secs,
            cpu * 1000.0 / n as f64,
            2.0 * n as f64 / cpu,
        );
        println!("  nianbao: {}", summary.trim().lines().last().unwrap_or(""));
    }
    if kill {
        kill_and_resume(&zip_path, &tmp.path().join("resumed.sqlite"), n);
    }
}
