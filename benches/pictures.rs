//! Picture recognition cost: `cargo bench --bench pictures [-- DIR...]`.
//!
//! Decodes every picture document of the given folders (default: `samples/png`,
//! `samples/docx`, `samples/pdf-scan`; e.g. `../shared/corpus` for the development set),
//! recognises each picture with one engine on this thread, as one worker of the
//! recognise stage does, and prints the median and worst CPU time per table picture
//! (standalone images and pictures in DOCX), per scanned PDF page and per scanned PDF
//! document, with the peak resident memory of the process. A benchmark, not a test: it
//! asserts nothing.

use nianbao::document::{Block, Document};
use nianbao::formats::{self, Format};
use nianbao::ocr::{recognise_picture, LineSelection, OcrEngine, TesseractEngine};
use std::path::{Path, PathBuf};

/// CPU time of this thread, in milliseconds.
fn thread_cpu_ms() -> f64 {
    // SAFETY: clock_gettime only writes into the struct we pass.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn stats(name: &str, mut ms: Vec<f64>) {
    if ms.is_empty() {
        println!("{name}: none");
        return;
    }
    let n = ms.len();
    ms.sort_by(f64::total_cmp);
    let median = ms[ms.len() / 2];
    let worst = ms[ms.len() - 1];
    let total: f64 = ms.iter().sum();
    println!(
        "{name}: {n}, median {median:.0} ms CPU, worst {worst:.0} ms, total {:.1} s",
        total / 1e3
    );
}

fn main() {
    // NB_OCR_TRACE=1 / RUST_LOG show the picture reader's trace here too.
    nianbao::logging::init(0);
    nianbao::ocr::limit_openmp_threads();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let dirs: Vec<PathBuf> = if args.is_empty() {
        ["png", "docx", "pdf-scan"]
            .iter()
            .map(|d| root.join(d))
            .collect()
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).into_iter().flatten())
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.to_string_lossy().ends_with(".json"))
        .collect();
    files.sort();
    let mut engine = match TesseractEngine::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("pictures bench: {e}");
            return;
        }
    };
    // Warm up: the chi_sim model loads on first use.
    let _ = engine.recognise(
        &image::GrayImage::from_pixel(64, 32, image::Luma([255])),
        nianbao::ocr::OcrMode::Chinese,
    );
    let layouts = nianbao::template::Templates::builtin()
        .map(|t| t.row_layouts())
        .unwrap_or_default();
    let (mut tables, mut pages, mut documents) = (Vec::new(), Vec::new(), Vec::new());
    for path in files {
        let mut document_ms = 0.0;
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let format = formats::sniff(&path.to_string_lossy(), &bytes);
        if !matches!(format, Format::Image | Format::Docx | Format::Pdf) {
            continue;
        }
        let Ok(doc) = formats::decode(format, &bytes) else {
            continue;
        };
        let pictures: Vec<_> = Document::pictures(&doc).cloned().collect();
        let n = pictures.len();
        for (i, pic) in pictures.into_iter().enumerate() {
            // As the recognise stage does by default: a page's title lines on the first
            // page and closing lines on the last; a picture in a DOCX, its tables only.
            let lines = match pic.page.filter(|_| pic.whole_page) {
                Some(_) => LineSelection {
                    head: if i == 0 { 4 } else { 0 },
                    tail: if i + 1 == n { 4 } else { 0 },
                    all: false,
                },
                None if format == Format::Image => LineSelection {
                    head: 4,
                    tail: 4,
                    all: false,
                },
                None => LineSelection::NONE,
            };
            let t0 = thread_cpu_ms();
            let found = recognise_picture(&pic.bytes, pic.dpi, &mut engine, lines, &layouts);
            let ms = thread_cpu_ms() - t0;
            let n_tables = found
                .as_ref()
                .map(|b| b.iter().filter(|b| matches!(b, Block::Table(_))).count())
                .unwrap_or(0);
            println!(
                "{} {}: {ms:.0} ms CPU, {n_tables} table(s){}",
                path.display(),
                pic.name.as_deref().unwrap_or(""),
                if found.is_err() {
                    ", not recognised"
                } else {
                    ""
                }
            );
            if pic.whole_page {
                pages.push(ms);
                document_ms += ms;
            } else if n_tables > 0 {
                tables.push(ms);
            }
        }
        if document_ms > 0.0 {
            documents.push(document_ms);
        }
    }
    stats("table pictures (PNG files, DOCX pictures)", tables);
    let per_page = pages.iter().sum::<f64>() / pages.len().max(1) as f64;
    stats("scanned PDF pages", pages);
    stats("scanned PDF documents", documents);
    println!(
        "a 4-page scanned report at the mean cost per page: {:.0} ms CPU",
        4.0 * per_page
    );
    println!("peak RSS {:.0} MB (one engine, one thread)", peak_rss_mb());
}
