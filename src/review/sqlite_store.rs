//! [`ReviewStore`] on the SQLite database that `nianbao extract` writes.

use super::digest::{confidence_bin, parse_bbox, parse_number, rule_label, TemplateKeys};
use super::store::{
    CorrectionRow, DocumentData, Overview, ReportSummary, ReviewStore, StoredCheck, StoredValue,
};
use crate::ocr::LOW_CONFIDENCE;
use crate::record::{CheckOutcome, Facts};
use crate::sinks::sqlite::corrections::{self, Action, CorrectionError, NewCorrection};
use crate::sinks::sqlite::{SinkOptions, SqliteSink};
use crate::template::Templates;
use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

pub struct SqliteReviewStore {
    conn: Connection,
    keys: TemplateKeys,
}

impl SqliteReviewStore {
    /// Opens an existing database (migrating it to the current schema, as `extract` does).
    pub fn open(path: &Path, templates: &Templates) -> anyhow::Result<SqliteReviewStore> {
        if !path.is_file() {
            anyhow::bail!(
                "no database at {}: run `nianbao extract --db {} ...` first",
                path.display(),
                path.display()
            );
        }
        // Opening through the sink migrates an older schema and makes the views.
        drop(
            SqliteSink::open(path, templates, SinkOptions::default())
                .with_context(|| format!("opening {}", path.display()))?,
        );
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;")?;
        Ok(SqliteReviewStore {
            conn,
            keys: TemplateKeys::new(templates),
        })
    }

    /// The connection, for tests and benchmarks that fill the database.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Brings `review_digest` up to date: a row per report, made again for reports
    /// extracted since it was made. Returns how many rows were made.
    pub fn refresh_digest(&mut self) -> anyhow::Result<usize> {
        let stale: Vec<(i64, String, Option<String>)> = self
            .conn
            .prepare(
                "SELECT r.id, r.extracted_at, r.template FROM reports r
                 LEFT JOIN review_digest d ON d.report_id = r.id
                 WHERE d.report_id IS NULL OR d.extracted_at != r.extracted_at",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        if stale.is_empty() {
            return Ok(0);
        }
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut values = tx.prepare(
                "SELECT key, table_name, origin, confidence FROM report_values WHERE report_id = ?1",
            )?;
            let mut failed = tx.prepare(
                "SELECT rule_id, outcome = 'explained' FROM checks WHERE report_id = ?1 AND ok = 0",
            )?;
            let mut put = tx.prepare(
                "INSERT OR REPLACE INTO review_digest (report_id, extracted_at, ocr_values,
                     low_confidence, left_out, confidence_hist, failed_rules)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (id, extracted_at, template) in &stale {
                let mut hist = [0usize; 10];
                let (mut ocr, mut low) = (0usize, 0usize);
                let mut present: HashSet<String> = HashSet::new();
                let mut tables: HashSet<String> = HashSet::new();
                let rows = values.query_map([id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<f64>>(3)?,
                    ))
                })?;
                for row in rows {
                    let (key, table, origin, confidence) = row?;
                    if origin.as_deref() == Some("ocr") {
                        ocr += 1;
                        if let Some(c) = confidence {
                            hist[confidence_bin(c)] += 1;
                            low += usize::from(c < f64::from(LOW_CONFIDENCE));
                        }
                    }
                    present.insert(key);
                    tables.insert(table);
                }
                let left_out = self
                    .keys
                    .left_out(template.as_deref(), &tables, &present)
                    .len();
                let rules: Vec<String> = failed
                    .query_map([id], |r| {
                        Ok(rule_label(
                            &r.get::<_, String>(0)?,
                            r.get::<_, Option<bool>>(1)?.unwrap_or(false),
                        ))
                    })?
                    .collect::<Result<_, _>>()?;
                let hist_text: Vec<String> = hist.iter().map(|n| n.to_string()).collect();
                put.execute(params![
                    id,
                    extracted_at,
                    ocr as i64,
                    low as i64,
                    left_out as i64,
                    hist_text.join(","),
                    rules.join(",")
                ])?;
            }
        }
        tx.commit()?;
        Ok(stale.len())
    }

    fn counts<T: rusqlite::types::FromSql>(&self, sql: &str) -> anyhow::Result<Vec<(T, usize)>> {
        let rows = self
            .conn
            .prepare_cached(sql)?
            .query_map([], |r| {
                Ok((r.get::<_, T>(0)?, r.get::<_, i64>(1)? as usize))
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

impl ReviewStore for SqliteReviewStore {
    fn overview(&mut self, worst: usize) -> anyhow::Result<Overview> {
        self.refresh_digest()?;
        let mut o = Overview {
            reports: self
                .conn
                .query_row("SELECT COUNT(*) FROM reports", [], |r| r.get::<_, i64>(0))?
                as usize,
            by_status: self
                .counts("SELECT status, COUNT(*) FROM reports GROUP BY status ORDER BY 2 DESC")?,
            by_format: self
                .counts("SELECT format, COUNT(*) FROM reports GROUP BY format ORDER BY 2 DESC")?,
            by_template: self.counts(
                "SELECT COALESCE(template, 'none'), COUNT(*) FROM reports GROUP BY 1 ORDER BY 2 DESC",
            )?,
            by_year: self.counts("SELECT year, COUNT(*) FROM reports GROUP BY year ORDER BY year")?,
            corrections: self
                .conn
                .query_row("SELECT COUNT(*) FROM corrections", [], |r| {
                    r.get::<_, i64>(0)
                })? as usize,
            ..Overview::default()
        };
        let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
        {
            let mut st = self
                .conn
                .prepare_cached("SELECT confidence_hist, failed_rules FROM review_digest")?;
            let mut rows = st.query([])?;
            while let Some(row) = rows.next()? {
                let hist: String = row.get(0)?;
                for (i, n) in hist.split(',').take(10).enumerate() {
                    o.confidence[i] += n.parse::<usize>().unwrap_or(0);
                }
                let rules: String = row.get(1)?;
                for rule in rules.split(',').filter(|r| !r.is_empty()) {
                    *by_rule.entry(rule.to_string()).or_default() += 1;
                }
            }
        }
        o.failed_by_rule = by_rule.into_iter().collect();
        o.failed_by_rule
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        o.worst = self
            .conn
            .prepare_cached(
                "SELECT r.id, r.path, r.format, r.status, r.agency, r.year, r.n_checks_failed,
                        d.left_out, d.low_confidence,
                        (SELECT COUNT(DISTINCT c.key) FROM corrections c WHERE c.report_id = r.id)
                 FROM reports r JOIN review_digest d ON d.report_id = r.id
                 WHERE r.n_checks_failed + d.left_out + d.low_confidence > 0
                    OR r.status != 'ok'
                 ORDER BY r.n_checks_failed DESC, d.left_out DESC, d.low_confidence DESC,
                          r.status = 'ok', r.id
                 LIMIT ?1",
            )?
            .query_map([worst as i64], |r| {
                Ok(ReportSummary {
                    id: r.get(0)?,
                    path: r.get(1)?,
                    format: r.get(2)?,
                    status: r.get(3)?,
                    agency: r.get(4)?,
                    year: r.get(5)?,
                    checks_failed: r.get::<_, i64>(6)? as usize,
                    left_out: r.get::<_, i64>(7)? as usize,
                    low_confidence: r.get::<_, i64>(8)? as usize,
                    corrected: r.get::<_, i64>(9)? as usize,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(o)
    }

    fn document(&mut self, id: i64) -> anyhow::Result<Option<DocumentData>> {
        type Head = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
            [Option<i64>; 3],
        );
        let head: Option<Head> = self
            .conn
            .prepare_cached(
                "SELECT sha256, path, format, status, template, agency, year, published,
                        active_disclosed_total, requests_received, appeals_total
                 FROM reports WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    [r.get(8)?, r.get(9)?, r.get(10)?],
                ))
            })
            .optional()?;
        let Some((sha256, path, format, status, template, agency, year, published, facts)) = head
        else {
            return Ok(None);
        };
        let sources: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT path FROM sources WHERE report_id = ?1 ORDER BY last_seen DESC, path",
            )?
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut values: Vec<StoredValue> = Vec::new();
        {
            let mut st = self.conn.prepare_cached(
                "SELECT rv.key, rv.extracted_text, rv.value_text, rv.source, rv.extracted_changed,
                        v.origin, v.confidence, v.page, v.bbox, v.raw,
                        v.cell_table, v.cell_row, v.cell_col
                 FROM reviewed_values rv
                 LEFT JOIN report_values v ON v.report_id = rv.report_id AND v.key = rv.key
                 WHERE rv.report_id = ?1",
            )?;
            let mut rows = st.query([id])?;
            while let Some(r) = rows.next()? {
                let reviewed_text: String = r.get(2)?;
                let Some(reviewed) = parse_number(&reviewed_text) else {
                    continue;
                };
                let cell = match (r.get(10)?, r.get(11)?, r.get(12)?) {
                    (Some(t), Some(row), Some(col)) => Some((t, row, col)),
                    _ => None,
                };
                values.push(StoredValue {
                    key: r.get(0)?,
                    extracted: r.get(1)?,
                    reviewed,
                    reviewed_text,
                    source: r.get(3)?,
                    extracted_changed: r.get::<_, Option<bool>>(4)?.unwrap_or(false),
                    origin: r.get(5)?,
                    confidence: r.get(6)?,
                    page: r
                        .get::<_, Option<i64>>(7)?
                        .and_then(|p| u32::try_from(p).ok()),
                    bbox: r
                        .get::<_, Option<String>>(8)?
                        .as_deref()
                        .and_then(parse_bbox),
                    raw: r.get(9)?,
                    cell,
                });
            }
        }
        let checks = self
            .conn
            .prepare_cached(
                "SELECT rule_id, ok, detail, outcome FROM checks WHERE report_id = ?1
                 ORDER BY ordinal",
            )?
            .query_map([id], |r| {
                let ok: bool = r.get(1)?;
                Ok(StoredCheck {
                    rule_id: r.get(0)?,
                    ok,
                    detail: r.get(2)?,
                    outcome: CheckOutcome::from_stored(
                        r.get::<_, Option<String>>(3)?.as_deref(),
                        ok,
                    ),
                })
            })?
            .collect::<Result<_, _>>()?;
        let errors = self
            .conn
            .prepare_cached(
                "SELECT stage, message FROM errors WHERE report_id = ?1 ORDER BY ordinal",
            )?
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let corrections = self
            .conn
            .prepare_cached(
                "SELECT key, action, old_value, new_text, note, who, made_at FROM corrections
                 WHERE report_id = ?1 ORDER BY id DESC",
            )?
            .query_map([id], |r| {
                Ok(CorrectionRow {
                    key: r.get(0)?,
                    action: r.get(1)?,
                    old_value: r.get(2)?,
                    new_value: r.get(3)?,
                    note: r.get(4)?,
                    who: r.get(5)?,
                    made_at: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(Some(DocumentData {
            id,
            sha256,
            path,
            sources,
            format,
            status,
            template,
            agency,
            year,
            published,
            facts: Facts {
                active_disclosed_total: facts[0],
                requests_received: facts[1],
                appeals_total: facts[2],
            },
            values,
            checks,
            errors,
            corrections,
        }))
    }

    fn report_id(&mut self, sha256: &str) -> anyhow::Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM reports WHERE sha256 = ?1")?
            .query_row([sha256], |r| r.get(0))
            .optional()?)
    }

    fn add_correction(&mut self, c: &NewCorrection) -> Result<Action, CorrectionError> {
        corrections::add_correction(&self.conn, c)
    }

    fn prepare_overview(&mut self) -> anyhow::Result<usize> {
        self.refresh_digest()
    }
}
