//! Server time of the review pages on a large PostgreSQL database: `cargo bench --bench
//! review_postgres [-- N]`. A benchmark, not a test.
//!
//! Starts a throwaway server (as the tests do, `tests/pg_server`), extracts the
//! born-digital samples and the scans of samples/harsh with the release `nianbao extract
//! --postgres` (OCR included), then copies its reports in SQL until it holds N (default
//! 20,000), each copy with its own sha256, path, values, checks, errors and sections, and
//! a correction on one copy in twenty. Then times what the handlers do (query, re-run of
//! the checks, HTML), without the HTTP framing: the overview (the first call also builds
//! `review_digest` for every report, timed apart) and document pages of reports drawn
//! across the database. Prints median, 95th percentile and worst.

#[path = "../tests/pg_server/mod.rs"]
mod pg_server;

use nianbao::review::pg_store::PgReviewStore;
use nianbao::review::server::App;
use nianbao::template::Templates;
use std::path::Path;
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

/// Copies of the stored reports, with their child rows, until the database holds `n`:
/// set-based, a statement per table.
fn grow(client: &mut postgres::Client, n: i64) -> anyhow::Result<i64> {
    let have: i64 = client
        .query_one("SELECT count(*) FROM reports", &[])?
        .get(0);
    if have == 0 || n <= have {
        return Ok(have);
    }
    let mut tx = client.transaction()?;
    tx.batch_execute(&format!(
        "CREATE TEMP TABLE copies ON COMMIT DROP AS
         SELECT b.id AS from_id, g AS i, b.sha256 || '-copy-' || g AS sha256
         FROM (SELECT id, sha256, row_number() OVER (ORDER BY id) - 1 AS k FROM reports) b
         JOIN generate_series({have}, {last}) g ON g % {have} = b.k;
         INSERT INTO reports (sha256, path, format, status, template, agency, year,
             published, address, postcode, phone, email, website, active_disclosed_total,
             requests_received, appeals_total, n_values, n_checks, n_checks_failed,
             n_errors, extracted_at, tool_version, run_id, record_json)
         SELECT c.sha256, r.path || '.copy-' || c.i, r.format, r.status, r.template,
             r.agency, r.year, r.published, r.address, r.postcode, r.phone, r.email,
             r.website, r.active_disclosed_total, r.requests_received, r.appeals_total,
             r.n_values, r.n_checks, r.n_checks_failed, r.n_errors, r.extracted_at,
             r.tool_version, r.run_id, r.record_json
         FROM copies c JOIN reports r ON r.id = c.from_id ORDER BY c.i;
         CREATE TEMP TABLE id_map ON COMMIT DROP AS
         SELECT c.from_id, r.id AS new_id, c.i FROM copies c JOIN reports r ON r.sha256 = c.sha256;
         INSERT INTO report_values SELECT m.new_id, v.key, v.table_name, v.row_key, v.col_key,
             v.value, v.value_text, v.origin, v.confidence, v.page, v.raw, v.bbox,
             v.cell_table, v.cell_row, v.cell_col
         FROM id_map m JOIN report_values v ON v.report_id = m.from_id;
         INSERT INTO checks (report_id, ordinal, rule_id, rule, ok, detail, outcome)
         SELECT m.new_id, c.ordinal, c.rule_id, c.rule, c.ok, c.detail, c.outcome
         FROM id_map m JOIN checks c ON c.report_id = m.from_id;
         INSERT INTO errors SELECT m.new_id, e.ordinal, e.stage, e.message
         FROM id_map m JOIN errors e ON e.report_id = m.from_id;
         INSERT INTO sections SELECT m.new_id, s.ordinal, s.heading, s.text
         FROM id_map m JOIN sections s ON s.report_id = m.from_id;
         INSERT INTO sources (report_id, path, first_seen, last_seen)
         SELECT r.id, r.path, r.extracted_at, r.extracted_at
         FROM id_map m JOIN reports r ON r.id = m.new_id;
         INSERT INTO corrections (report_id, key, table_name, row_key, col_key, action,
             old_value, new_value, new_text, note, who)
         SELECT DISTINCT ON (m.new_id) m.new_id, v.key, v.table_name, v.row_key, v.col_key,
             'confirm', v.value_text, v.value, v.value_text, 'benchmark', 'bench'
         FROM id_map m JOIN report_values v ON v.report_id = m.new_id
         WHERE m.i % 20 = 0 ORDER BY m.new_id, v.key;
         ANALYZE;",
        last = n - 1
    ))?;
    tx.commit()?;
    Ok(client
        .query_one("SELECT count(*) FROM reports", &[])?
        .get(0))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let n: i64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(20_000);
    let Some(server) = pg_server::PgServer::start("bench review_postgres") else {
        return Ok(());
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/nianbao");
    if !bin.exists() {
        anyhow::bail!("build the release binary first: cargo build --release");
    }
    let t = Instant::now();
    let folders = ["docx", "html", "txt", "pdf", "harsh", "checks"];
    let out = Command::new(bin)
        .args(["extract", "--quiet", "--postgres", &server.url])
        .args(folders.iter().map(|f| root.join("samples").join(f)))
        .output()?;
    if !out.status.success() {
        anyhow::bail!("extract: {}", String::from_utf8_lossy(&out.stderr));
    }
    println!(
        "extracted samples/{{{}}} in {:.1} s",
        folders.join(","),
        t.elapsed().as_secs_f64()
    );
    let templates = Templates::builtin()?;
    let store = PgReviewStore::open(&server.url, &templates)?;
    let mut client = server.client();
    let t = Instant::now();
    let total = grow(&mut client, n)?;
    let size: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])?
        .get(0);
    println!(
        "database: {total} reports ({:.1} s to copy), {:.0} MB",
        t.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );
    let ids: Vec<i64> = client
        .query("SELECT id FROM reports ORDER BY id", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();

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
        let id = ids[(k * 7919) % ids.len()];
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
