//! Export speed and memory on a large database: `cargo bench --bench export [-- N]`.
//!
//! Extracts the born-digital samples with the release `nianbao extract` into a fresh
//! SQLite database, copies its reports (values, checks) until it holds N (default
//! 20,000), each copy with its own id, sha256 and path, and a correction on one report in
//! twenty; then runs the release `nianbao export` on it in each format and shape, one
//! process each, and prints rows/s, CPU and the process's peak RSS.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Copies the stored reports and their values and checks, in bulk, until the database
/// holds at least `n`: copy k of report `id` is report `id + k * step`.
fn grow(db: &Path, n: usize) -> rusqlite::Result<usize> {
    let conn = rusqlite::Connection::open(db)?;
    let (have, step): (i64, i64) =
        conn.query_row("SELECT COUNT(*), MAX(id) FROM reports", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    if have == 0 {
        return Ok(0);
    }
    let tx = conn.unchecked_transaction()?;
    let copies = (n as i64 + have - 1) / have;
    for k in 1..copies {
        let off = k * step;
        tx.execute(
            "INSERT INTO reports (id, sha256, path, format, status, template, agency, year,
                 published, address, postcode, phone, email, website, active_disclosed_total,
                 requests_received, appeals_total, n_values, n_checks, n_checks_failed,
                 n_errors, extracted_at, tool_version, run_id, record_json)
             SELECT id + ?1, sha256 || '-copy-' || ?2, path || '.copy-' || ?2, format, status,
                 template, agency, year, published, address, postcode, phone, email, website,
                 active_disclosed_total, requests_received, appeals_total, n_values, n_checks,
                 n_checks_failed, n_errors, extracted_at, tool_version, run_id, NULL
             FROM reports WHERE id <= ?3",
            rusqlite::params![off, k, step],
        )?;
        tx.execute(
            "INSERT INTO report_values SELECT report_id + ?1, key, table_name, row_key, col_key,
                 value, value_text, origin, confidence, page, raw, bbox, cell_table, cell_row,
                 cell_col
             FROM report_values WHERE report_id <= ?2",
            [off, step],
        )?;
        tx.execute(
            "INSERT INTO checks SELECT report_id + ?1, ordinal, rule_id, rule, ok, detail
             FROM checks WHERE report_id <= ?2",
            [off, step],
        )?;
    }
    // One report in twenty corrected: its first value one more than extracted.
    tx.execute(
        "INSERT INTO corrections (report_id, key, table_name, row_key, col_key, action,
             old_value, new_value, new_text, note, who, made_at)
         SELECT v.report_id, v.key, v.table_name, v.row_key, v.col_key, 'correct',
             v.value_text, v.value + 1, CAST(v.value + 1 AS TEXT), 'benchmark', 'bench',
             '2026-12-07T00:00:00Z'
         FROM report_values v
         WHERE v.report_id % 20 = 0
           AND v.key = (SELECT MIN(key) FROM report_values WHERE report_id = v.report_id)",
        [],
    )?;
    tx.commit()?;
    conn.query_row("SELECT COUNT(*) FROM reports", [], |r| r.get::<_, i64>(0))
        .map(|n| n as usize)
}

/// Runs the command, and returns its wall seconds, CPU seconds and peak RSS (MB).
fn run_measured(cmd: &mut Command) -> anyhow::Result<(f64, f64, f64, String)> {
    let t = Instant::now();
    let child = cmd.stderr(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.ok_or_else(|| anyhow::anyhow!("no stderr"))?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut text)?;
    let mut status = 0;
    // SAFETY: wait4 writes the child's status and usage into the structs we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = t.elapsed().as_secs_f64();
    if rc != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        anyhow::bail!("export failed: {text}");
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok((
        wall,
        secs(usage.ru_utime) + secs(usage.ru_stime),
        usage.ru_maxrss as f64 / 1024.0,
        text,
    ))
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/nianbao");
    if !bin.exists() {
        anyhow::bail!("build the release binary first: cargo build --release");
    }
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("export.sqlite");
    let out = Command::new(&bin)
        .args(["extract", "--quiet", "--db"])
        .arg(&db)
        .args(["html", "txt", "pdf", "doc"].map(|f| root.join("samples").join(f)))
        .output()?;
    if !out.status.success() {
        anyhow::bail!("extract: {}", String::from_utf8_lossy(&out.stderr));
    }
    let t = Instant::now();
    let total = grow(&db, n)?;
    let conn = rusqlite::Connection::open(&db)?;
    let values: i64 = conn.query_row("SELECT COUNT(*) FROM report_values", [], |r| r.get(0))?;
    println!(
        "database: {total} reports, {values} values ({:.1} s to copy), {:.0} MB",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&db)?.len() as f64 / 1e6
    );
    let cases: &[(&str, &str, &[&str])] = &[
        ("values", "csv", &[]),
        ("values", "jsonl", &[]),
        ("values", "parquet", &[]),
        ("values", "parquet", &["--reviewed"]),
        ("values", "parquet", &["--wide"]),
        ("values", "csv", &["--wide"]),
        ("requests", "csv", &["--wide", "--bom"]),
        ("reports", "csv", &[]),
        ("checks", "parquet", &[]),
    ];
    println!(
        "{:<34} {:>10} {:>8} {:>11} {:>8} {:>9} {:>9}",
        "export", "rows", "wall s", "rows/s", "CPU s", "peak MB", "file MB"
    );
    for (table, format, extra) in cases {
        let file = dir.path().join(format!("out.{format}"));
        let mut cmd = Command::new(&bin);
        cmd.args(["export", "--db"])
            .arg(&db)
            .args(["--table", table, "--format", format])
            .args(*extra)
            .arg("--out")
            .arg(&file);
        let (wall, cpu, rss, stderr) = run_measured(&mut cmd)?;
        // "nianbao export: N rows to …"
        let rows: u64 = stderr
            .split_whitespace()
            .nth(2)
            .and_then(|w| w.parse().ok())
            .unwrap_or(0);
        println!(
            "{:<34} {:>10} {:>8.2} {:>11.0} {:>8.2} {:>9.1} {:>9.1}",
            format!("{table} {format} {}", extra.join(" ")),
            rows,
            wall,
            rows as f64 / wall,
            cpu,
            rss,
            std::fs::metadata(&file)?.len() as f64 / 1e6
        );
    }
    Ok(())
}
