//! Server time of the review page's source view on born-digital DOCX reports:
//! `cargo bench --bench review_source [-- N]`.
//!
//! Extracts samples/docx's born-digital reports with the release `nianbao extract`, then
//! times what the handler does (the report's rows, the file found and hashed, decoded
//! again, the tables as HTML), without the HTTP framing: N first visits (a fresh server
//! each, so the file is read and decoded) and N visits of a report already decoded. The
//! document page is timed alongside for comparison. Prints median, 95th percentile and
//! worst.

use nianbao::review::server::App;
use nianbao::review::sqlite_store::SqliteReviewStore;
use nianbao::template::Templates;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The born-digital DOCX samples (dev-012's tables are pictures).
const SAMPLES: [&str; 4] = [
    "docx/dev-005.docx",
    "docx/dev-014.docx",
    "docx/dev-018.docx",
    "docx/dev-021.docx",
];

fn percentiles(mut t: Vec<Duration>) -> String {
    t.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| t[((t.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:.2} ms, p95 {:.2} ms, worst {:.2} ms ({} requests)",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(1.0)),
        t.len()
    )
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/nianbao");
    if !bin.exists() {
        anyhow::bail!("build the release binary first: cargo build --release");
    }
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("review.sqlite");
    let out = Command::new(bin)
        .args(["extract", "--quiet", "--db"])
        .arg(&db)
        .args(SAMPLES.iter().map(|s| root.join("samples").join(s)))
        .output()?;
    if !out.status.success() {
        anyhow::bail!("extract: {}", String::from_utf8_lossy(&out.stderr));
    }
    let templates = Templates::builtin()?;
    let app = || -> anyhow::Result<App> {
        Ok(App::new(
            Box::new(SqliteReviewStore::open(&db, &templates)?),
            templates.clone(),
            "bench".to_string(),
            0,
            "bench".to_string(),
        ))
    };
    let key = Some("requests/new/total");
    let ids = 1..=SAMPLES.len() as i64;

    let (mut cold, mut bytes) = (Vec::new(), 0);
    for k in 0..n {
        let id = 1 + (k % SAMPLES.len()) as i64;
        let fresh = app()?;
        let t = Instant::now();
        let html = fresh.source_html(id, key)?;
        cold.push(t.elapsed());
        let html = html.ok_or_else(|| anyhow::anyhow!("no report {id}"))?;
        if !html.contains("class=\"target-row\"") {
            anyhow::bail!("report {id}: the value's row is not highlighted");
        }
        bytes += html.len();
    }
    let served = app()?;
    for id in ids.clone() {
        served.source_html(id, key)?;
    }
    let mut warm = Vec::new();
    let mut page = Vec::new();
    for k in 0..n {
        let id = 1 + (k % SAMPLES.len()) as i64;
        let t = Instant::now();
        served.source_html(id, key)?;
        warm.push(t.elapsed());
        let t = Instant::now();
        served.document_html(id, None)?;
        page.push(t.elapsed());
    }
    println!(
        "source view, first visit (file read, hashed, decoded): {} ({} KB a page)",
        percentiles(cold),
        bytes / n.max(1) / 1024
    );
    println!("source view, file already decoded: {}", percentiles(warm));
    println!("document page, for comparison: {}", percentiles(page));
    Ok(())
}
