//! Born-digital throughput (samples whose tables are pictures left out), end to end: `cargo bench --bench throughput [-- N [FORMATS]]`.
//!
//! Builds a folder of N report files (copies of the samples of FORMATS, a comma list of
//! samples/ folders, default `docx,html` and 5,000 files; `pdf` for text-layer PDFs;
//! `formats:ofd` for the files of samples/formats with that extension), runs the release `nianbao extract` on it into a fresh SQLite database, and
//! prints documents per second and the peak resident memory of the run. Each copy is made
//! unique (see `unique_copy`), so the database holds one report per copy. A benchmark,
//! not a test: it asserts nothing but that every document was extracted.

use std::path::Path;
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

/// Whether a sample's truth file says its tables are pictures (a DOCX of table pictures):
/// OCR costs a third of a second a table, which is not what this benchmark measures
/// (`cargo bench --bench pictures` does).
fn tables_are_pictures(sample: &Path) -> bool {
    let truth = sample.with_extension("truth.json");
    std::fs::read_to_string(truth)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|t| {
            let one_picture = t["perturbations"].as_array().is_some_and(|p| {
                p.iter()
                    .any(|x| x.as_str().is_some_and(|x| x.starts_with("table_picture:")))
            });
            t["format"].as_str().map(|f| {
                one_picture
                    || ["docx-image", "pdf-scan", "png", "ofd-scan", "doc-image"].contains(&f)
            })
        })
        .unwrap_or(false)
}

/// The sample's bytes made unique to copy `i` without changing what they read as, so
/// that every copy is its own document (a report is its content: identical copies would
/// be one report seen at many paths). HTML and text-layer PDF get a comment at the end,
/// DOCX a zip comment, text blank lines, .doc bytes after its last sector.
fn unique_copy(bytes: &[u8], ext: &str, i: usize) -> Vec<u8> {
    let mark = format!("nianbao throughput copy {i}");
    let mut out = bytes.to_vec();
    match ext {
        "html" | "htm" => out.extend_from_slice(format!("\n<!-- {mark} -->\n").as_bytes()),
        "pdf" => out.extend_from_slice(format!("\n%{mark}\n").as_bytes()),
        "docx" | "ofd" => {
            // The end-of-central-directory record is the last 22 bytes of a zip without a
            // comment; its last field is the comment's length.
            let n = out.len();
            if n >= 22 && out[n - 22..n - 18] == [0x50, 0x4b, 0x05, 0x06] && out[n - 2..] == [0, 0]
            {
                out[n - 2..].copy_from_slice(&(mark.len() as u16).to_le_bytes());
                out.extend_from_slice(mark.as_bytes());
            }
        }
        // Blank lines at the end of a text, bytes after the last sector of a .doc are
        // not read.
        // Line ends after an RTF's last brace or a web archive's closing boundary too.
        "txt" | "rtf" | "mht" => out.extend(std::iter::repeat_n(b'\n', i + 1)),
        "doc" => out.extend_from_slice(&(i as u64).to_le_bytes()),
        _ => {}
    }
    out
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
