//! What the benchmarks share: unique copies of the born-digital samples, and what the
//! finished child processes cost. Each benchmark uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Whether a sample's truth file says its tables are pictures (a DOCX of table pictures):
/// OCR costs a third of a second a table, which is not what the born-digital benchmarks measure
/// (`cargo bench --bench pictures` does).
pub fn tables_are_pictures(sample: &Path) -> bool {
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

/// The born-digital samples of the `samples/` folders named in `formats`, sorted.
pub fn born_digital_samples(formats: &[String]) -> Vec<PathBuf> {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut sources = Vec::new();
    for dir in formats {
        let mut files: Vec<_> = std::fs::read_dir(samples.join(dir))
            .expect("samples")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| !p.to_string_lossy().ends_with(".json"))
            .filter(|p| !tables_are_pictures(p))
            .collect();
        files.sort();
        sources.extend(files);
    }
    sources
}

/// The sample's bytes made unique to copy `i` without changing what they read as, so
/// that every copy is its own document (a report is its content: identical copies would
/// be one report seen at many paths). HTML and text-layer PDF get a comment at the end,
/// DOCX a zip comment, text blank lines, .doc bytes after its last sector.
pub fn unique_copy(bytes: &[u8], ext: &str, i: usize) -> Vec<u8> {
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

/// Peak resident memory (MB) and CPU seconds (user + system) of the finished children.
pub fn children_usage() -> (f64, f64) {
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
