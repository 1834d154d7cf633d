//! Born-digital throughput (samples whose tables are pictures left out), end to end: `cargo bench --bench throughput [-- N [FORMATS]]`.
//!
//! Builds a folder of N report files (copies of the samples of FORMATS, a comma list of
//! samples/ folders, default `docx,html` and 5,000 files; `pdf` for text-layer PDFs), runs the release `nianbao extract` on it into a fresh SQLite database, and
//! prints documents per second and the peak resident memory of the run. Each copy is made
//! unique (see `unique_copy`), so the database holds one report per copy. A benchmark,
//! not a test: it asserts nothing but that every document was extracted.

mod common;

use std::process::Command;
use std::time::Instant;

/// Peak resident memory (MB) and CPU seconds (user + system) of the finished children.
fn children_usage() -> (f64, f64) {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if rc != 0 {
        return (f64::NAN, f64::NAN);
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        usage.ru_maxrss as f64 / 1024.0, // kilobytes on Linux
        secs(usage.ru_utime) + secs(usage.ru_stime),
    )
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
    let docs = tmp.path().join("docs");
    std::fs::create_dir(&docs).expect("mkdir");
    let mut bytes_total = 0u64;
    for i in 0..n {
        let src = &sources[i % sources.len()];
        let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("bin");
        let dst = docs.join(format!("r{i:06}.{ext}"));
        let bytes = common::unique_copy(&std::fs::read(src).expect("sample"), ext, i);
        std::fs::write(&dst, &bytes).expect("copy");
        bytes_total += bytes.len() as u64;
    }
    let db = tmp.path().join("bench.sqlite");
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("extract")
        .arg(&docs)
        .arg("--db")
        .arg(&db)
        .arg("--quiet")
        .output()
        .expect("run nianbao");
    let secs = start.elapsed().as_secs_f64();
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{summary}");
    let (rss, cpu) = children_usage();
    println!(
        "throughput: {n} documents ({} samples of {}, {:.0} MB) in {secs:.2} s = {:.0} docs/s; \
         {:.2} ms CPU per document (so {:.0} docs/s on 2 idle cores); peak RSS {rss:.0} MB",
        sources.len(),
        formats.join(","),
        bytes_total as f64 / 1e6,
        n as f64 / secs,
        cpu * 1000.0 / n as f64,
        2.0 * n as f64 / cpu,
    );
    println!("nianbao: {}", summary.trim());
    let reports: i64 = rusqlite::Connection::open(&db)
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0)))
        .unwrap_or(-1);
    println!("database: {reports} reports");
}
