//! Server time of the review pages on a large database: `cargo bench --bench review
//! [-- N [--db FILE]]`.
//!
//! Extracts samples/ with the release `nianbao extract` (OCR included) into a fresh
//! database (or starts from `--db FILE`, copied), then re-inserts its reports until it
//! holds N (default 20,000), each copy with its own sha256, path, values, checks, errors
//! and sections, and a correction on one copy in twenty. Then times what the handlers do
//! (query, re-run of the checks, HTML), without the HTTP framing: the overview (the
//! first call also builds `review_digest` for every report, timed apart) and document
//! pages of reports drawn across the database. Prints median, 95th percentile and worst.

use nianbao::review::server::App;
use nianbao::review::sqlite_store::SqliteReviewStore;
use nianbao::template::Templates;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn percentiles(mut t: Vec<Duration>) -> String {
    t.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| t[((t.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:.1} ms, p95 {:.1} ms, worst {:.1} ms ({} requests)",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(1.0)),
        t.len()
    )
}

/// Copies of the stored reports, with their child rows, until the database holds `n`.
fn grow(db: &Path, n: usize) -> rusqlite::Result<usize> {
    let conn = Connection::open(db)?;
    let base: Vec<i64> = conn
        .prepare("SELECT id FROM reports ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let have = base.len();
    if have == 0 {
        return Ok(0);
    }
    let tx = conn.unchecked_transaction()?;
    for i in have..n {
        let from = base[i % have];
        let id: i64 = tx.query_row(
            "INSERT INTO reports (sha256, path, format, status, template, agency, year,
                 published, address, postcode, phone, email, website, active_disclosed_total,
                 requests_received, appeals_total, n_values, n_checks, n_checks_failed,
                 n_errors, extracted_at, tool_version, run_id, record_json)
             SELECT sha256 || '-copy-' || ?2, path || '.copy-' || ?2, format, status,
                 template, agency, year, published, address, postcode, phone, email,
                 website, active_disclosed_total, requests_received, appeals_total,
                 n_values, n_checks, n_checks_failed, n_errors, extracted_at, tool_version,
                 run_id, record_json
             FROM reports WHERE id = ?1 RETURNING id",
            rusqlite::params![from, i as i64],
            |r| r.get(0),
        )?;
        for (table, cols) in [
            (
                "report_values",
                "key, table_name, row_key, col_key, value, value_text, origin, confidence, \
                 page, raw, bbox, cell_table, cell_row, cell_col",
            ),
            ("checks", "ordinal, rule_id, rule, ok, detail"),
            ("errors", "ordinal, stage, message"),
            ("sections", "ordinal, heading, text"),
        ] {
            tx.execute(
                &format!(
                    "INSERT INTO {table} (report_id, {cols})
                     SELECT ?1, {cols} FROM {table} WHERE report_id = ?2"
                ),
                [id, from],
            )?;
        }
        tx.execute(
            "INSERT INTO sources (report_id, path, first_seen, last_seen)
             SELECT id, path, extracted_at, extracted_at FROM reports WHERE id = ?1",
            [id],
        )?;
        if i % 20 == 0 {
            tx.execute(
                "INSERT INTO corrections (report_id, key, table_name, row_key, col_key, action,
                     old_value, new_value, new_text, note, who, made_at)
                 SELECT report_id, key, table_name, row_key, col_key, 'confirm', value_text,
                     value, value_text, 'benchmark', 'bench', '2026-12-07T00:00:00Z'
                 FROM report_values WHERE report_id = ?1 LIMIT 1",
                [id],
            )?;
        }
    }
    tx.commit()?;
    conn.query_row("SELECT COUNT(*) FROM reports", [], |r| r.get::<_, i64>(0))
        .map(|n| n as usize)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(20_000);
    let from_db: Option<PathBuf> = args
        .iter()
        .position(|a| a == "--db")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("review.sqlite");
    match from_db {
        Some(src) => {
            std::fs::copy(&src, &db)?;
        }
        None => {
            let bin = root.join("target/release/nianbao");
            if !bin.exists() {
                anyhow::bail!("build the release binary first: cargo build --release");
            }
            let t = Instant::now();
            let out = Command::new(bin)
                .args(["extract", "--quiet", "--db"])
                .arg(&db)
                .arg(root.join("samples"))
                .output()?;
            if !out.status.success() {
                anyhow::bail!("extract: {}", String::from_utf8_lossy(&out.stderr));
            }
            println!("extracted samples/ in {:.1} s", t.elapsed().as_secs_f64());
        }
    }
    let templates = Templates::builtin()?;
    // Opening migrates (corrections, review_digest) before copies are made.
    drop(SqliteReviewStore::open(&db, &templates)?);
    let t = Instant::now();
    let total = grow(&db, n)?;
    println!(
        "database: {total} reports ({:.1} s to copy), {:.0} MB",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&db)?.len() as f64 / 1e6
    );

    let store = SqliteReviewStore::open(&db, &templates)?;
    let app = App::new(
        Box::new(store),
        templates,
        "bench".to_string(),
        0,
        "bench".to_string(),
    );
    let t = Instant::now();
    let first = app.overview_html()?;
    println!(
        "first overview (builds review_digest for every report): {:.0} ms, {} KB",
        t.elapsed().as_secs_f64() * 1000.0,
        first.len() / 1024
    );
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let html = app.overview_html()?;
        times.push(t.elapsed());
        assert!(html.contains(&format!("{total} reports")));
    }
    println!("overview: {}", percentiles(times));

    let mut times = Vec::new();
    let mut bytes = 0;
    // Reports across the database: a stride prime to the number of samples.
    for k in 0..300usize {
        let id = 1 + ((k * 7919) % total) as i64;
        let t = Instant::now();
        let html = app.document_html(id, None)?;
        times.push(t.elapsed());
        bytes += html.map_or(0, |h| h.len());
    }
    println!(
        "document page: {} ({} KB a page on average)",
        percentiles(times),
        bytes / 300 / 1024
    );
    Ok(())
}
