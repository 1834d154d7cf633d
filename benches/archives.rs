//! Archives end to end: `cargo bench --bench archives [-- N [FORMATS]]`.
//!
//! Builds a zip (deflated) and a tar.gz of N unique copies of the born-digital samples of
//! FORMATS (a comma list of samples/ folders, default `docx,html`, N default 5,000), runs
//! the release `nianbao extract` on each into a fresh SQLite database, and prints per
//! archive: documents per second, CPU per document and the run's peak resident memory
//! (the child's own rusage, as `/usr/bin/time -v` reports it). A benchmark, not a test:
//! it asserts only that every document was stored.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Runs `nianbao extract ARCHIVE --db DB --quiet`; wall seconds, CPU seconds and peak
/// RSS (MB) of that run alone, and its summary line.
fn run(archive: &Path, db: &Path) -> (f64, f64, f64, String) {
    let start = Instant::now();
    // Reaped by wait4 below, which gives this run's own rusage (Child::wait would not).
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("extract")
        .arg(archive)
        .arg("--db")
        .arg(db)
        .arg("--quiet")
        .stdout(Stdio::null())
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

fn main() {
    nianbao::ocr::limit_openmp_threads();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(5000);
    let formats: Vec<String> = args
        .iter()
        .find(|a| a.parse::<usize>().is_err())
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
}
