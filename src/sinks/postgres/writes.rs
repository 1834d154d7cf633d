//! Writing records to PostgreSQL a batch at a time: one statement per table for the whole
//! batch (arrays of columns passed to `unnest`), so a batch costs a handful of round trips
//! whatever its size. Identity is the SQLite sink's: one report per content sha256 (its id
//! kept when written again), a source per path.

use crate::record::{CellProvenance, Record};
use crate::sinks::sink::REPORT_UPSERT;
use crate::sinks::sqlite::writes::{report_key, split_key};
use postgres::Transaction;
use std::collections::{BTreeMap, HashMap};

/// PostgreSQL's text holds no NUL character, which a damaged document may carry into a
/// record: it is stored as U+FFFD (the JSON in `record_json` escapes it and keeps it).
fn clean(s: &str) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{FFFD}")
    } else {
        s.to_string()
    }
}

/// A record's `reports.sha256`, as stored.
fn key_of(r: &Record) -> String {
    clean(&report_key(r))
}

fn small(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Writes `records` in `tx`. Two records of one content (the same file at two paths in one
/// batch) make one report, the later one's, with both paths as sources.
pub fn write_records(
    tx: &mut Transaction,
    records: &[Record],
    run_id: Option<i64>,
    store_record_json: bool,
) -> Result<(), postgres::Error> {
    if records.is_empty() {
        return Ok(());
    }
    // Sorted by key: concurrent writers lock reports in one order and cannot deadlock.
    let mut by_key: BTreeMap<String, &Record> = BTreeMap::new();
    for r in records {
        by_key.insert(key_of(r), r);
    }
    let ids = upsert_reports(tx, &by_key, run_id, store_record_json)?;
    let id_list: Vec<i64> = ids.values().copied().collect();
    for table in ["report_values", "checks", "errors", "sections"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE report_id = ANY($1)"),
            &[&id_list],
        )?;
    }
    let unique: Vec<(i64, &Record)> = by_key
        .iter()
        .filter_map(|(k, r)| ids.get(k).map(|id| (*id, *r)))
        .collect();
    insert_values(tx, &unique)?;
    insert_children(tx, &unique)?;
    let seen: Vec<(i64, String)> = records
        .iter()
        .filter_map(|r| ids.get(&key_of(r)).map(|id| (*id, clean(&r.source.path))))
        .collect();
    see_at(tx, &seen)
}

/// Records that stored contents were seen again at these paths (by a run that skipped
/// them as stored). Contents not stored are passed over.
pub fn seen_again(tx: &mut Transaction, seen: &[(String, String)]) -> Result<(), postgres::Error> {
    if seen.is_empty() {
        return Ok(());
    }
    let mut last_path: BTreeMap<&str, &str> = BTreeMap::new();
    for (sha, path) in seen {
        last_path.insert(sha, path);
    }
    let shas: Vec<&str> = last_path.keys().copied().collect();
    let paths: Vec<&str> = last_path.values().copied().collect();
    let rows = tx.query(
        "UPDATE reports r SET path = n.path
         FROM unnest($1::text[], $2::text[]) AS n(sha256, path)
         WHERE r.sha256 = n.sha256
         RETURNING r.id, r.sha256",
        &[&shas, &paths],
    )?;
    let ids: HashMap<String, i64> = rows.iter().map(|r| (r.get(1), r.get(0))).collect();
    let pairs: Vec<(i64, String)> = seen
        .iter()
        .filter_map(|(sha, path)| ids.get(sha).map(|id| (*id, path.clone())))
        .collect();
    see_at(tx, &pairs)
}

/// The reports' rows, inserted or updated in place; their ids by key.
fn upsert_reports(
    tx: &mut Transaction,
    by_key: &BTreeMap<String, &Record>,
    run_id: Option<i64>,
    store_record_json: bool,
) -> Result<HashMap<String, i64>, postgres::Error> {
    let recs: Vec<&Record> = by_key.values().copied().collect();
    let text = |f: &dyn Fn(&Record) -> String| -> Vec<String> {
        recs.iter().map(|r| clean(&f(r))).collect()
    };
    let opt = |f: &dyn Fn(&Record) -> Option<String>| -> Vec<Option<String>> {
        recs.iter().map(|r| f(r).as_deref().map(clean)).collect()
    };
    let count =
        |f: &dyn Fn(&Record) -> usize| -> Vec<i32> { recs.iter().map(|r| small(f(r))).collect() };
    let fact = |f: &dyn Fn(&Record) -> Option<i64>| -> Vec<Option<i64>> {
        recs.iter().map(|r| f(r)).collect()
    };
    let contact = |f: &dyn Fn(&crate::record::Contact) -> Option<String>| -> Vec<Option<String>> {
        recs.iter()
            .map(|r| r.contact.as_ref().and_then(f).as_deref().map(clean))
            .collect()
    };
    let shas: Vec<String> = by_key.keys().cloned().collect();
    let years: Vec<Option<i32>> = recs.iter().map(|r| r.year).collect();
    let json: Vec<Option<String>> = recs
        .iter()
        .map(|r| store_record_json.then(|| serde_json::to_string(r).unwrap_or_default()))
        .collect();
    let rows = tx.query(
        &format!(
        "INSERT INTO reports (sha256, path, format, status, template, agency, year, published,
             address, postcode, phone, email, website,
             active_disclosed_total, requests_received, appeals_total,
             n_values, n_checks, n_checks_failed, n_errors, record_json,
             extracted_at, tool_version, run_id)
         SELECT n.*, now(), $22::text, $23::bigint FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
             $5::text[], $6::text[], $7::int[], $8::text[], $9::text[], $10::text[], $11::text[],
             $12::text[], $13::text[], $14::bigint[], $15::bigint[], $16::bigint[], $17::int[],
             $18::int[], $19::int[], $20::int[], $21::text[]) AS n
         {REPORT_UPSERT} RETURNING id, sha256"
        ),
        &[
            &shas,
            &text(&|r| r.source.path.clone()),
            &text(&|r| r.source.format.clone()),
            &text(&|r| r.status.as_str().to_string()),
            &opt(&|r| r.template.clone()),
            &opt(&|r| r.agency.clone()),
            &years,
            &opt(&|r| r.published.clone()),
            &contact(&|c| c.address.clone()),
            &contact(&|c| c.postcode.clone()),
            &contact(&|c| c.phone.clone()),
            &contact(&|c| c.email.clone()),
            &contact(&|c| c.website.clone()),
            &fact(&|r| r.facts.active_disclosed_total),
            &fact(&|r| r.facts.requests_received),
            &fact(&|r| r.facts.appeals_total),
            &count(&|r| r.values.len()),
            &count(&|r| r.checks.len()),
            &count(&|r| r.checks_failed()),
            &count(&|r| r.errors.len()),
            &json,
            &env!("CARGO_PKG_VERSION"),
            &run_id,
        ],
    )?;
    Ok(rows.iter().map(|r| (r.get(1), r.get(0))).collect())
}

/// Every value of every report, one statement.
fn insert_values(tx: &mut Transaction, reports: &[(i64, &Record)]) -> Result<(), postgres::Error> {
    let mut c = ValueColumns::default();
    for (id, record) in reports {
        // Provenance joined to values by key; the first cell for a key wins.
        let mut cells: HashMap<&str, &CellProvenance> = HashMap::with_capacity(record.cells.len());
        for cell in &record.cells {
            cells.entry(cell.key.as_str()).or_insert(cell);
        }
        for (key, number) in &record.values {
            let (table, row, col) = split_key(key);
            let cell = cells.get(key.as_str());
            c.report_id.push(*id);
            c.key.push(clean(key));
            c.table.push(clean(table));
            c.row.push(clean(row));
            c.col.push(clean(col));
            c.value.push(number.to_string());
            c.origin.push(cell.map(|c| clean(&c.origin)));
            c.confidence
                .push(cell.and_then(|c| c.confidence).map(f32_to_f64));
            c.page.push(
                cell.and_then(|c| c.page)
                    .map(|p| i32::try_from(p).unwrap_or(i32::MAX)),
            );
            c.raw.push(cell.map(|c| clean(&c.raw)));
            c.bbox.push(
                cell.and_then(|c| c.bbox)
                    .map(|b| format!("[{},{},{},{}]", b[0], b[1], b[2], b[3])),
            );
            c.cell_table.push(cell.map(|c| small(c.table)));
            c.cell_row.push(cell.map(|c| small(c.row)));
            c.cell_col.push(cell.map(|c| small(c.col)));
        }
    }
    if c.report_id.is_empty() {
        return Ok(());
    }
    // The number goes in as its text and is cast: `numeric` keeps it as printed.
    tx.execute(
        "INSERT INTO report_values (report_id, key, table_name, row_key, col_key, value,
             value_text, origin, confidence, page, raw, bbox, cell_table, cell_row, cell_col)
         SELECT n.report_id, n.key, n.table_name, n.row_key, n.col_key, n.value_text::numeric,
             n.value_text, n.origin, n.confidence, n.page, n.raw, n.bbox, n.cell_table,
             n.cell_row, n.cell_col
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
             $7::text[], $8::float8[], $9::int[], $10::text[], $11::text[], $12::int[],
             $13::int[], $14::int[])
             AS n(report_id, key, table_name, row_key, col_key, value_text, origin, confidence,
                  page, raw, bbox, cell_table, cell_row, cell_col)",
        &[
            &c.report_id,
            &c.key,
            &c.table,
            &c.row,
            &c.col,
            &c.value,
            &c.origin,
            &c.confidence,
            &c.page,
            &c.raw,
            &c.bbox,
            &c.cell_table,
            &c.cell_row,
            &c.cell_col,
        ],
    )?;
    Ok(())
}

#[derive(Default)]
struct ValueColumns {
    report_id: Vec<i64>,
    key: Vec<String>,
    table: Vec<String>,
    row: Vec<String>,
    col: Vec<String>,
    value: Vec<String>,
    origin: Vec<Option<String>>,
    confidence: Vec<Option<f64>>,
    page: Vec<Option<i32>>,
    raw: Vec<Option<String>>,
    bbox: Vec<Option<String>>,
    cell_table: Vec<Option<i32>>,
    cell_row: Vec<Option<i32>>,
    cell_col: Vec<Option<i32>>,
}

/// Checks, errors and sections of every report, one statement each.
fn insert_children(
    tx: &mut Transaction,
    reports: &[(i64, &Record)],
) -> Result<(), postgres::Error> {
    let mut outcomes: Vec<&str> = Vec::new();
    let (mut ids, mut ords, mut a, mut b, mut oks, mut d) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (id, r) in reports {
        for (i, c) in r.checks.iter().enumerate() {
            ids.push(*id);
            ords.push(small(i));
            a.push(clean(&c.id));
            b.push(clean(&c.rule));
            oks.push(c.ok);
            d.push(clean(&c.detail));
            outcomes.push(c.outcome.as_str());
        }
    }
    if !ids.is_empty() {
        tx.execute(
            "INSERT INTO checks (report_id, ordinal, rule_id, rule, ok, detail, outcome)
             SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[],
                 $5::bool[], $6::text[], $7::text[])",
            &[&ids, &ords, &a, &b, &oks, &d, &outcomes],
        )?;
    }
    let pairs = |f: &dyn Fn(&Record) -> Vec<(String, String)>| {
        let (mut ids, mut ords, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (id, r) in reports {
            for (i, (x, y)) in f(r).into_iter().enumerate() {
                ids.push(*id);
                ords.push(small(i));
                a.push(clean(&x));
                b.push(clean(&y));
            }
        }
        (ids, ords, a, b)
    };
    for (sql, columns) in [
        (
            "INSERT INTO errors (report_id, ordinal, stage, message)
             SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[])",
            pairs(&|r| {
                r.errors
                    .iter()
                    .map(|e| (e.stage.clone(), e.message.clone()))
                    .collect()
            }),
        ),
        (
            "INSERT INTO sections (report_id, ordinal, heading, text)
             SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[])",
            pairs(&|r| {
                r.sections
                    .iter()
                    .map(|s| (s.heading.clone(), s.text.clone()))
                    .collect()
            }),
        ),
    ] {
        let (ids, ords, a, b) = columns;
        if !ids.is_empty() {
            tx.execute(sql, &[&ids, &ords, &a, &b])?;
        }
    }
    Ok(())
}

/// Adds each path to its report's sources (or moves its `last_seen`), and drops the
/// failures other content left at the same path: the file changed, its old failure is
/// gone (a failed report seen nowhere else goes with it).
fn see_at(tx: &mut Transaction, seen: &[(i64, String)]) -> Result<(), postgres::Error> {
    let unique: BTreeMap<(i64, &str), ()> =
        seen.iter().map(|(id, p)| ((*id, p.as_str()), ())).collect();
    let ids: Vec<i64> = unique.keys().map(|k| k.0).collect();
    let paths: Vec<&str> = unique.keys().map(|k| k.1).collect();
    if ids.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO sources (report_id, path, first_seen, last_seen)
         SELECT n.id, n.path, now(), now() FROM unnest($1::bigint[], $2::text[]) AS n(id, path)
         ON CONFLICT (report_id, path) DO UPDATE SET last_seen = excluded.last_seen",
        &[&ids, &paths],
    )?;
    let stale: Vec<i64> = tx
        .query(
            "DELETE FROM sources s
             USING unnest($1::bigint[], $2::text[]) AS n(id, path), reports r
             WHERE s.path = n.path AND s.report_id <> n.id AND r.id = s.report_id
               AND r.status = 'failed'
             RETURNING s.report_id",
            &[&ids, &paths],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if !stale.is_empty() {
        // Content still seen elsewhere keeps its failure there.
        tx.execute(
            "DELETE FROM reports r WHERE r.id = ANY($1)
             AND NOT EXISTS (SELECT 1 FROM sources s WHERE s.report_id = r.id)",
            &[&stale],
        )?;
    }
    Ok(())
}

/// f32 → f64 through its shortest decimal form, so 0.97f32 is stored as 0.97.
fn f32_to_f64(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(x as f64)
}
