//! Writing records: a report is its content (one row per sha256, its id kept when it is
//! written again), seen at one or more paths (`sources`).

use crate::record::{CellProvenance, Number, Record};
use crate::sinks::sink::REPORT_UPSERT;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// The time of a write, as stored in `extracted_at`, `first_seen`, `last_seen`.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// The `reports.sha256` of a record: its content hash, or for a file that could not even
/// be read (no content to hash) its path, so that its failure is the path's.
pub fn report_key(record: &Record) -> String {
    if record.source.sha256.is_empty() {
        format!("unread:{}", record.source.path)
    } else {
        record.source.sha256.clone()
    }
}

/// Writes one record: its report row updated in place (same id) or inserted, its child
/// rows replaced, the path it was read at recorded as a source.
pub fn write_record(
    conn: &Connection,
    record: &Record,
    run_id: Option<i64>,
    store_record_json: bool,
) -> rusqlite::Result<()> {
    let sha = report_key(record);
    let contact = record.contact.clone().unwrap_or_default();
    let record_json = store_record_json.then(|| serde_json::to_string(record).unwrap_or_default());
    let id: i64 = conn
        .prepare_cached(&format!(
            "INSERT INTO reports (sha256, path, format, status, template, agency, year, published,
                 address, postcode, phone, email, website,
                 active_disclosed_total, requests_received, appeals_total,
                 n_values, n_checks, n_checks_failed, n_errors, extracted_at, tool_version,
                 run_id, record_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18, ?19, ?20, {NOW}, ?21, ?22, ?23)
             {REPORT_UPSERT} RETURNING id"
        ))?
        .query_row(
            params![
                sha,
                record.source.path,
                record.source.format,
                record.status.as_str(),
                record.template,
                record.agency,
                record.year,
                record.published,
                contact.address,
                contact.postcode,
                contact.phone,
                contact.email,
                contact.website,
                record.facts.active_disclosed_total,
                record.facts.requests_received,
                record.facts.appeals_total,
                record.values.len() as i64,
                record.checks.len() as i64,
                record.checks_failed() as i64,
                record.errors.len() as i64,
                env!("CARGO_PKG_VERSION"),
                run_id,
                record_json,
            ],
            |r| r.get(0),
        )?;
    for table in ["report_values", "checks", "errors", "sections"] {
        conn.prepare_cached(&format!("DELETE FROM {table} WHERE report_id = ?1"))?
            .execute([id])?;
    }
    insert_values(conn, id, record)?;
    insert_children(conn, id, record)?;
    see_at(conn, id, &record.source.path)
}

/// Records that the stored content `sha256` was seen again at `path` (a run that skipped
/// it as already stored). Returns false when no such report is stored.
pub fn seen_again(conn: &Connection, sha256: &str, path: &str) -> rusqlite::Result<bool> {
    let id: Option<i64> = conn
        .prepare_cached("UPDATE reports SET path = ?2 WHERE sha256 = ?1 RETURNING id")?
        .query_row(params![sha256, path], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => see_at(conn, id, path).map(|()| true),
        None => Ok(false),
    }
}

/// Adds `path` to the report's sources (or moves its `last_seen`), and drops the failures
/// that other content left at the same path: the file changed, its old failure is gone.
fn see_at(conn: &Connection, id: i64, path: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO sources (report_id, path, first_seen, last_seen) VALUES (?1, ?2, {NOW}, {NOW})
         ON CONFLICT (report_id, path) DO UPDATE SET last_seen = excluded.last_seen"
    ))?
    .execute(params![id, path])?;
    let stale: Vec<i64> = conn
        .prepare_cached(
            "SELECT s.report_id FROM sources s JOIN reports r ON r.id = s.report_id
             WHERE s.path = ?1 AND s.report_id != ?2 AND r.status = 'failed'",
        )?
        .query_map(params![path, id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for old in stale {
        conn.prepare_cached("DELETE FROM sources WHERE report_id = ?1 AND path = ?2")?
            .execute(params![old, path])?;
        // Content still seen elsewhere keeps its failure there.
        conn.prepare_cached(
            "DELETE FROM reports WHERE id = ?1
             AND NOT EXISTS (SELECT 1 FROM sources WHERE report_id = ?1)",
        )?
        .execute([old])?;
    }
    Ok(())
}

fn insert_values(conn: &Connection, id: i64, record: &Record) -> rusqlite::Result<()> {
    // Provenance joined to values by key; the first cell for a key wins.
    let mut cells: HashMap<&str, &CellProvenance> = HashMap::with_capacity(record.cells.len());
    for c in &record.cells {
        cells.entry(c.key.as_str()).or_insert(c);
    }
    let mut st = conn.prepare_cached(
        "INSERT INTO report_values (report_id, key, table_name, row_key, col_key, value,
             value_text, origin, confidence, page, raw, bbox, cell_table, cell_row, cell_col)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for (key, number) in &record.values {
        let (table, row, col) = split_key(key);
        let cell = cells.get(key.as_str());
        let value = match *number {
            Number::Int(i) => rusqlite::types::Value::Integer(i),
            Number::Dec(d) => rusqlite::types::Value::Real(d),
        };
        st.execute(params![
            id,
            key,
            table,
            row,
            col,
            value,
            number.to_string(),
            cell.map(|c| c.origin.as_str()),
            cell.and_then(|c| c.confidence).map(f32_to_f64),
            cell.and_then(|c| c.page),
            cell.map(|c| c.raw.as_str()),
            cell.and_then(|c| c.bbox)
                .map(|b| format!("[{},{},{},{}]", b[0], b[1], b[2], b[3])),
            cell.map(|c| c.table as i64),
            cell.map(|c| c.row as i64),
            cell.map(|c| c.col as i64),
        ])?;
    }
    Ok(())
}

fn insert_children(conn: &Connection, id: i64, record: &Record) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(
        "INSERT INTO checks (report_id, ordinal, rule_id, rule, ok, detail, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (i, c) in record.checks.iter().enumerate() {
        st.execute(params![
            id,
            i as i64,
            c.id,
            c.rule,
            c.ok,
            c.detail,
            c.outcome.as_str()
        ])?;
    }
    let mut st = conn.prepare_cached(
        "INSERT INTO errors (report_id, ordinal, stage, message) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, e) in record.errors.iter().enumerate() {
        st.execute(params![id, i as i64, e.stage, e.message])?;
    }
    let mut st = conn.prepare_cached(
        "INSERT INTO sections (report_id, ordinal, heading, text) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, s) in record.sections.iter().enumerate() {
        st.execute(params![id, i as i64, s.heading, s.text])?;
    }
    Ok(())
}

/// `table/row/col` → its three parts; a malformed key keeps what it has (missing parts empty,
/// extra slashes stay in the row part).
pub fn split_key(key: &str) -> (&str, &str, &str) {
    match key.split_once('/') {
        None => (key, "", ""),
        Some((table, rest)) => match rest.rsplit_once('/') {
            None => (table, rest, ""),
            Some((row, col)) => (table, row, col),
        },
    }
}

/// f32 → f64 through its shortest decimal form, so 0.97f32 is stored as 0.97.
fn f32_to_f64(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(x as f64)
}

/// A stored record's JSON with `source.path` set to `path`: a re-emitted record says where
/// this run found the document. The record's fields keep their order (the path is the
/// first value of every record we write); JSON of another shape is rewritten whole.
pub fn with_path(json: &str, path: &str) -> Option<String> {
    const HEAD: &str = r#"{"source":{"path":"#;
    if let Some(rest) = json.strip_prefix(HEAD) {
        let mut old = serde_json::Deserializer::from_str(rest).into_iter::<String>();
        if let Some(Ok(_)) = old.next() {
            let tail = &rest[old.byte_offset()..];
            let new = serde_json::to_string(path).ok()?;
            return Some(format!("{HEAD}{new}{tail}"));
        }
    }
    let mut value: serde_json::Value = serde_json::from_str(json).ok()?;
    *value.get_mut("source")?.get_mut("path")? = serde_json::Value::from(path);
    serde_json::to_string(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keys() {
        assert_eq!(
            split_key("requests/withheld.third_party/business"),
            ("requests", "withheld.third_party", "business")
        );
        assert_eq!(split_key("odd"), ("odd", "", ""));
        assert_eq!(split_key("a/b"), ("a", "b", ""));
    }

    #[test]
    fn path_replaced_in_place() {
        let json = r#"{"source":{"path":"old \"dir\"/a.docx","sha256":"ab"},"status":"ok"}"#;
        assert_eq!(
            with_path(json, "新/b.docx").as_deref(),
            Some(r#"{"source":{"path":"新/b.docx","sha256":"ab"},"status":"ok"}"#)
        );
        let other = r#"{"status":"ok","source":{"sha256":"ab","path":"x"}}"#;
        let v: serde_json::Value =
            serde_json::from_str(&with_path(other, "y").expect("rewritten")).expect("json");
        assert_eq!(v["source"]["path"], "y");
        assert_eq!(with_path("not json", "y"), None);
    }
}
