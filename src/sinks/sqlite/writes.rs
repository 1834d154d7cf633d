//! Writing records: a report is its content (one row per sha256, its id kept when it is
//! written again), seen at one or more paths (`sources`).

use crate::record::{CellProvenance, Number, Record};
use crate::sinks::sink::REPORT_UPSERT;
use rusqlite::{params, Connection, OptionalExtension, Statement};
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
    // Serialised into a buffer kept by the thread: a record's JSON is ~40 KB, and growing a
    // new string to it every time cost a tenth of the writer's CPU.
    // (Taken out and put back: an early return leaves a new one for the next record.)
    let mut json = JSON_BUFFER.take();
    json.clear();
    if store_record_json && serde_json::to_writer(&mut json, record).is_err() {
        json.clear();
    }
    let record_json: Option<&str> = store_record_json
        .then(|| std::str::from_utf8(&json).ok())
        .flatten();
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
    JSON_BUFFER.set(json);
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

/// Rows per multi-row INSERT: a chunk of the largest of these that fits, so a record's
/// 200 values take 7 statements instead of 200, and the cached statements are these six.
/// One statement per row cost as much CPU as the rest of a document's writing.
const CHUNKS: [usize; 6] = [32, 16, 8, 4, 2, 1];

thread_local! {
    static JSON_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The statements of [`multi_row_sql`], by table head and row count.
    static MULTI_ROW_SQL: std::cell::RefCell<HashMap<(&'static str, usize), std::rc::Rc<str>>> =
        std::cell::RefCell::new(HashMap::new());
}

/// `INSERT INTO {head} VALUES (?, …), …`: `rows` rows of `cols` parameters (made once).
fn multi_row_sql(head: &'static str, cols: usize, rows: usize) -> std::rc::Rc<str> {
    MULTI_ROW_SQL.with_borrow_mut(|made| {
        made.entry((head, rows))
            .or_insert_with(|| {
                let one = format!("({})", vec!["?"; cols].join(", "));
                format!("INSERT INTO {head} VALUES {}", vec![one; rows].join(", ")).into()
            })
            .clone()
    })
}

/// Inserts `n` rows of `cols` columns into `head` (`table (columns…)`) in multi-row
/// statements; `bind(statement, first_parameter, row)` binds row `row`'s columns from
/// parameter `first_parameter` (1-based) on.
fn insert_rows(
    conn: &Connection,
    head: &'static str,
    cols: usize,
    n: usize,
    mut bind: impl FnMut(&mut Statement, usize, usize) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let mut row = 0;
    while row < n {
        let take = CHUNKS.into_iter().find(|&k| k <= n - row).unwrap_or(1);
        let mut st = conn.prepare_cached(&multi_row_sql(head, cols, take))?;
        for k in 0..take {
            bind(&mut st, k * cols + 1, row + k)?;
        }
        st.raw_execute()?;
        row += take;
    }
    Ok(())
}

fn insert_values(conn: &Connection, id: i64, record: &Record) -> rusqlite::Result<()> {
    // Provenance joined to values by key; the first cell for a key wins.
    let mut cells: HashMap<&str, &CellProvenance> = HashMap::with_capacity(record.cells.len());
    for c in &record.cells {
        cells.entry(c.key.as_str()).or_insert(c);
    }
    let values: Vec<(&String, &Number)> = record.values.iter().collect();
    // Confidences repeat (1.0 for every born-digital cell): the last conversion is kept.
    let mut last_confidence: Option<(f32, f64)> = None;
    insert_rows(
        conn,
        "report_values (report_id, key, table_name, row_key, col_key, value, value_text,
             origin, confidence, page, raw, bbox, cell_table, cell_row, cell_col)",
        15,
        values.len(),
        |st, at, i| {
            let (key, number) = values[i];
            let (table, row, col) = split_key(key);
            let cell = cells.get(key.as_str());
            let value = match *number {
                Number::Int(i) => rusqlite::types::Value::Integer(i),
                Number::Dec(d) => rusqlite::types::Value::Real(d),
            };
            let confidence = cell
                .and_then(|c| c.confidence)
                .map(|x| match last_confidence {
                    Some((f, d)) if f.to_bits() == x.to_bits() => d,
                    _ => {
                        let d = f32_to_f64(x);
                        last_confidence = Some((x, d));
                        d
                    }
                });
            st.raw_bind_parameter(at, id)?;
            st.raw_bind_parameter(at + 1, key)?;
            st.raw_bind_parameter(at + 2, table)?;
            st.raw_bind_parameter(at + 3, row)?;
            st.raw_bind_parameter(at + 4, col)?;
            st.raw_bind_parameter(at + 5, value)?;
            st.raw_bind_parameter(at + 6, number.to_string())?;
            st.raw_bind_parameter(at + 7, cell.map(|c| c.origin.as_str()))?;
            st.raw_bind_parameter(at + 8, confidence)?;
            st.raw_bind_parameter(at + 9, cell.and_then(|c| c.page))?;
            st.raw_bind_parameter(at + 10, cell.map(|c| c.raw.as_str()))?;
            st.raw_bind_parameter(
                at + 11,
                cell.and_then(|c| c.bbox)
                    .map(|b| format!("[{},{},{},{}]", b[0], b[1], b[2], b[3])),
            )?;
            st.raw_bind_parameter(at + 12, cell.map(|c| c.table as i64))?;
            st.raw_bind_parameter(at + 13, cell.map(|c| c.row as i64))?;
            st.raw_bind_parameter(at + 14, cell.map(|c| c.col as i64))
        },
    )
}

fn insert_children(conn: &Connection, id: i64, record: &Record) -> rusqlite::Result<()> {
    let checks = &record.checks;
    insert_rows(
        conn,
        "checks (report_id, ordinal, rule_id, rule, ok, detail, outcome)",
        7,
        checks.len(),
        |st, at, i| {
            let c = &checks[i];
            st.raw_bind_parameter(at, id)?;
            st.raw_bind_parameter(at + 1, i as i64)?;
            st.raw_bind_parameter(at + 2, &c.id)?;
            st.raw_bind_parameter(at + 3, &c.rule)?;
            st.raw_bind_parameter(at + 4, c.ok)?;
            st.raw_bind_parameter(at + 5, &c.detail)?;
            st.raw_bind_parameter(at + 6, c.outcome.as_str())
        },
    )?;
    let errors = &record.errors;
    insert_rows(
        conn,
        "errors (report_id, ordinal, stage, message)",
        4,
        errors.len(),
        |st, at, i| {
            st.raw_bind_parameter(at, id)?;
            st.raw_bind_parameter(at + 1, i as i64)?;
            st.raw_bind_parameter(at + 2, &errors[i].stage)?;
            st.raw_bind_parameter(at + 3, &errors[i].message)
        },
    )?;
    let sections = &record.sections;
    insert_rows(
        conn,
        "sections (report_id, ordinal, heading, text)",
        4,
        sections.len(),
        |st, at, i| {
            st.raw_bind_parameter(at, id)?;
            st.raw_bind_parameter(at + 1, i as i64)?;
            st.raw_bind_parameter(at + 2, &sections[i].heading)?;
            st.raw_bind_parameter(at + 3, &sections[i].text)
        },
    )
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
