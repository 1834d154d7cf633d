//! Born-digital throughput (samples whose tables are pictures left out), end to end: `cargo bench --bench throughput [-- N [FORMATS]]`.
//!
//! Builds a folder of N report files (copies of the samples of FORMATS, a comma list of
//! samples/ folders, default `docx,html` and 5,000 files; `pdf` for text-layer PDFs;
//! `formats:ofd` for the files of samples/formats with that extension), runs the release `nianbao extract` on it into a fresh SQLite database, and
//! prints documents per second and the peak resident memory of the run. Each copy is made
//! unique (see `unique_copy`), so the database holds one report per copy. A benchmark,
//! not a test: it asserts nothing but that every document was extracted.

mod common;

use common::{children_usage, tables_are_pictures, unique_copy};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

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
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut sources = Vec::new();
    for dir in &formats {
        let (dir, ext) = dir.split_once(':').unwrap_or((dir, ""));
        let mut files: Vec<_> = std::fs::read_dir(samples.join(dir))
            .expect("samples")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| !p.to_string_lossy().ends_with(".json"))
            .filter(|p| ext.is_empty() || p.extension().is_some_and(|e| e == ext))
            .filter(|p| !tables_are_pictures(p))
            .collect();
        files.sort();
        sources.extend(files);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let docs = tmp.path().join("docs");
    std::fs::create_dir(&docs).expect("mkdir");
    let mut bytes_total = 0u64;
    for i in 0..n {
        let src = &sources[i % sources.len()];
        let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("bin");
        let dst = docs.join(format!("r{i:06}.{ext}"));
        let bytes = unique_copy(&std::fs::read(src).expect("sample"), ext, i);
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
