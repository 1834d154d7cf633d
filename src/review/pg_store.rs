//! [`ReviewStore`] on the PostgreSQL database that `nianbao extract --postgres` writes:
//! the queries of [`super::sqlite_store`] in PostgreSQL's dialect, with the overview's
//! per-report sums (`review_digest`) made a thousand reports a statement.

use super::digest::{confidence_bin, parse_bbox, parse_number, rule_label, TemplateKeys};
use super::store::{
    CorrectionRow, DocumentData, Overview, ReportSummary, ReviewStore, StoredCheck, StoredValue,
};
use crate::ocr::LOW_CONFIDENCE;
use crate::record::{CheckOutcome, Facts};
use crate::sinks::postgres::{connect, corrections, schema};
use crate::sinks::sqlite::corrections::{Action, CorrectionError, NewCorrection};
use crate::template::Templates;
use postgres::Client;
use std::collections::{HashMap, HashSet};

/// Reports whose digest is made per statement.
const DIGEST_CHUNK: usize = 1000;

pub struct PgReviewStore {
    client: Client,
    keys: TemplateKeys,
}

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

impl PgReviewStore {
    /// Connects to `url`, applying the migrations the database lacks (as `extract` does).
    pub fn open(url: &str, templates: &Templates) -> anyhow::Result<PgReviewStore> {
        let mut client = connect(url)?;
        let mut tx = client.transaction()?;
        schema::migrate(&mut tx, templates)?;
        tx.commit()?;
        Ok(PgReviewStore {
            client,
            keys: TemplateKeys::new(templates),
        })
    }

    /// The connection, for tests and benchmarks that fill the database.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Brings `review_digest` up to date: a row per report, made again for reports
    /// extracted since it was made. Returns how many rows were made.
    pub fn refresh_digest(&mut self) -> anyhow::Result<usize> {
        let stale: Vec<(i64, String, Option<String>)> = self
            .client
            .query(
                "SELECT r.id, r.extracted_at::text, r.template FROM reports r
                 LEFT JOIN review_digest d ON d.report_id = r.id
                 WHERE d.report_id IS NULL OR d.extracted_at <> r.extracted_at
                 ORDER BY r.id",
                &[],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        for chunk in stale.chunks(DIGEST_CHUNK) {
            self.digest_chunk(chunk)?;
        }
        Ok(stale.len())
    }

    fn digest_chunk(&mut self, chunk: &[(i64, String, Option<String>)]) -> anyhow::Result<()> {
        let ids: Vec<i64> = chunk.iter().map(|c| c.0).collect();
        #[derive(Default)]
        struct Sums {
            hist: [i32; 10],
            ocr: i32,
            low: i32,
            present: HashSet<String>,
            tables: HashSet<String>,
            rules: Vec<String>,
        }
        let mut sums: HashMap<i64, Sums> = HashMap::new();
        for row in self.client.query(
            "SELECT report_id, key, table_name, origin, confidence FROM report_values
             WHERE report_id = ANY($1)",
            &[&ids],
        )? {
            let s = sums.entry(row.get(0)).or_default();
            if row.get::<_, Option<&str>>(3) == Some("ocr") {
                s.ocr += 1;
                if let Some(c) = row.get::<_, Option<f64>>(4) {
                    s.hist[confidence_bin(c)] += 1;
                    s.low += i32::from(c < f64::from(LOW_CONFIDENCE));
                }
            }
            s.present.insert(row.get(1));
            s.tables.insert(row.get(2));
        }
        for row in self.client.query(
            "SELECT report_id, rule_id, outcome = 'explained' FROM checks
             WHERE report_id = ANY($1) AND NOT ok ORDER BY report_id, ordinal",
            &[&ids],
        )? {
            let explained: Option<bool> = row.get(2);
            sums.entry(row.get(0))
                .or_default()
                .rules
                .push(rule_label(row.get(1), explained.unwrap_or(false)));
        }
        let (mut at, mut ocr, mut low, mut left_out, mut hists, mut rules) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for (id, extracted_at, template) in chunk {
            let s = sums.remove(id).unwrap_or_default();
            at.push(extracted_at.clone());
            ocr.push(s.ocr);
            low.push(s.low);
            let n = self
                .keys
                .left_out(template.as_deref(), &s.tables, &s.present)
                .len();
            left_out.push(i32::try_from(n).unwrap_or(i32::MAX));
            // An int[] per report, passed as its text: the driver has no 2-d arrays.
            let hist: Vec<String> = s.hist.iter().map(|n| n.to_string()).collect();
            hists.push(format!("{{{}}}", hist.join(",")));
            rules.push(s.rules.join("\n"));
        }
        self.client.execute(
            "INSERT INTO review_digest (report_id, extracted_at, ocr_values, low_confidence,
                 left_out, confidence_hist, failed_rules)
             SELECT n.id, n.at::timestamptz, n.ocr, n.low, n.left_out, n.hist::int[],
                    CASE WHEN n.rules = '' THEN '{}'::text[]
                         ELSE string_to_array(n.rules, E'\\n') END
             FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[], $5::int[],
                  $6::text[], $7::text[]) AS n(id, at, ocr, low, left_out, hist, rules)
             ON CONFLICT (report_id) DO UPDATE SET extracted_at = excluded.extracted_at,
                 ocr_values = excluded.ocr_values, low_confidence = excluded.low_confidence,
                 left_out = excluded.left_out, confidence_hist = excluded.confidence_hist,
                 failed_rules = excluded.failed_rules",
            &[&ids, &at, &ocr, &low, &left_out, &hists, &rules],
        )?;
        Ok(())
    }
}

impl ReviewStore for PgReviewStore {
    fn overview(&mut self, worst: usize) -> anyhow::Result<Overview> {
        self.refresh_digest()?;
        let mut o = Overview {
            corrections: count(
                self.client
                    .query_one("SELECT count(*) FROM corrections", &[])?
                    .get(0),
            ),
            ..Overview::default()
        };
        // The four counts and the total in one pass over the reports.
        for r in self.client.query(
            "SELECT GROUPING(status, format, template, year), status, format,
                    COALESCE(template, 'none'), year, count(*)
             FROM reports GROUP BY GROUPING SETS ((status), (format), (template), (year), ())
             ORDER BY 6 DESC, 2, 3, 4",
            &[],
        )? {
            let n = count(r.get(5));
            // GROUPING's bits, first argument highest: 0b0111 is grouped by status alone.
            match r.get::<_, i32>(0) {
                0b0111 => o.by_status.push((r.get(1), n)),
                0b1011 => o.by_format.push((r.get(2), n)),
                0b1101 => o.by_template.push((r.get(3), n)),
                0b1110 => o
                    .by_year
                    .push((r.get::<_, Option<i32>>(4).map(i64::from), n)),
                _ => o.reports = n,
            }
        }
        o.by_year.sort_by_key(|(y, _)| *y);
        // Summed element by element: unnesting 20,000 arrays costs four times as much.
        let hist = self.client.query_one(
            "SELECT sum(h[1]), sum(h[2]), sum(h[3]), sum(h[4]), sum(h[5]), sum(h[6]),
                    sum(h[7]), sum(h[8]), sum(h[9]), sum(h[10])
             FROM (SELECT confidence_hist AS h FROM review_digest WHERE ocr_values > 0) d",
            &[],
        )?;
        for (bin, n) in o.confidence.iter_mut().enumerate() {
            *n = count(hist.get::<_, Option<i64>>(bin).unwrap_or(0));
        }
        o.failed_by_rule = self
            .client
            .query(
                "SELECT rule, count(*) FROM review_digest d, unnest(d.failed_rules) AS rule
                 WHERE cardinality(d.failed_rules) > 0
                 GROUP BY rule ORDER BY 2 DESC, 1",
                &[],
            )?
            .iter()
            .map(|r| (r.get::<_, String>(0), count(r.get(1))))
            .collect();
        let limit = i64::try_from(worst).unwrap_or(i64::MAX);
        o.worst = self
            .client
            .query(
                "SELECT r.id, r.path, r.format, r.status, r.agency, r.year, r.n_checks_failed,
                        d.left_out, d.low_confidence,
                        (SELECT count(DISTINCT c.key) FROM corrections c WHERE c.report_id = r.id)
                 FROM reports r JOIN review_digest d ON d.report_id = r.id
                 WHERE r.n_checks_failed + d.left_out + d.low_confidence > 0
                    OR r.status <> 'ok'
                 ORDER BY r.n_checks_failed DESC, d.left_out DESC, d.low_confidence DESC,
                          r.status = 'ok', r.id
                 LIMIT $1",
                &[&limit],
            )?
            .iter()
            .map(|r| ReportSummary {
                id: r.get(0),
                path: r.get(1),
                format: r.get(2),
                status: r.get(3),
                agency: r.get(4),
                year: r.get::<_, Option<i32>>(5).map(i64::from),
                checks_failed: count(r.get::<_, i32>(6).into()),
                left_out: count(r.get::<_, i32>(7).into()),
                low_confidence: count(r.get::<_, i32>(8).into()),
                corrected: count(r.get(9)),
            })
            .collect();
        Ok(o)
    }

    fn document(&mut self, id: i64) -> anyhow::Result<Option<DocumentData>> {
        let Some(head) = self.client.query_opt(
            "SELECT sha256, path, format, status, template, agency, year, published,
                    active_disclosed_total, requests_received, appeals_total
             FROM reports WHERE id = $1",
            &[&id],
        )?
        else {
            return Ok(None);
        };
        let sources: Vec<String> = self
            .client
            .query(
                "SELECT path FROM sources WHERE report_id = $1 ORDER BY last_seen DESC, path",
                &[&id],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut values: Vec<StoredValue> = Vec::new();
        for r in self.client.query(
            "SELECT rv.key, rv.extracted_text, rv.value_text, rv.source, rv.extracted_changed,
                    v.origin, v.confidence, v.page, v.bbox, v.raw,
                    v.cell_table, v.cell_row, v.cell_col
             FROM reviewed_values rv
             LEFT JOIN report_values v ON v.report_id = rv.report_id AND v.key = rv.key
             WHERE rv.report_id = $1",
            &[&id],
        )? {
            let reviewed_text: String = r.get(2);
            let Some(reviewed) = parse_number(&reviewed_text) else {
                continue;
            };
            let cell = match (
                r.get::<_, Option<i32>>(10),
                r.get::<_, Option<i32>>(11),
                r.get::<_, Option<i32>>(12),
            ) {
                (Some(t), Some(row), Some(col)) => Some((t.into(), row.into(), col.into())),
                _ => None,
            };
            values.push(StoredValue {
                key: r.get(0),
                extracted: r.get(1),
                reviewed,
                reviewed_text,
                source: r.get(3),
                extracted_changed: r.get::<_, Option<bool>>(4).unwrap_or(false),
                origin: r.get(5),
                confidence: r.get(6),
                page: r
                    .get::<_, Option<i32>>(7)
                    .and_then(|p| u32::try_from(p).ok()),
                bbox: r.get::<_, Option<&str>>(8).and_then(parse_bbox),
                raw: r.get(9),
                cell,
            });
        }
        let checks = self
            .client
            .query(
                "SELECT rule_id, ok, detail, outcome FROM checks WHERE report_id = $1
                 ORDER BY ordinal",
                &[&id],
            )?
            .iter()
            .map(|r| {
                let ok: bool = r.get(1);
                StoredCheck {
                    rule_id: r.get(0),
                    ok,
                    detail: r.get(2),
                    outcome: CheckOutcome::from_stored(r.get(3), ok),
                }
            })
            .collect();
        let errors = self
            .client
            .query(
                "SELECT stage, message FROM errors WHERE report_id = $1 ORDER BY ordinal",
                &[&id],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let corrections = self
            .client
            .query(
                "SELECT key, action, old_value, new_text, note, who,
                        to_char(made_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')
                 FROM corrections WHERE report_id = $1 ORDER BY id DESC",
                &[&id],
            )?
            .iter()
            .map(|r| CorrectionRow {
                key: r.get(0),
                action: r.get(1),
                old_value: r.get(2),
                new_value: r.get(3),
                note: r.get(4),
                who: r.get(5),
                made_at: r.get(6),
            })
            .collect();
        Ok(Some(DocumentData {
            id,
            sha256: head.get(0),
            path: head.get(1),
            sources,
            format: head.get(2),
            status: head.get(3),
            template: head.get(4),
            agency: head.get(5),
            year: head.get::<_, Option<i32>>(6).map(i64::from),
            published: head.get(7),
            facts: Facts {
                active_disclosed_total: head.get(8),
                requests_received: head.get(9),
                appeals_total: head.get(10),
            },
            values,
            checks,
            errors,
            corrections,
        }))
    }

    fn report_id(&mut self, sha256: &str) -> anyhow::Result<Option<i64>> {
        Ok(self
            .client
            .query_opt("SELECT id FROM reports WHERE sha256 = $1", &[&sha256])?
            .map(|r| r.get(0)))
    }

    fn add_correction(&mut self, c: &NewCorrection) -> Result<Action, CorrectionError> {
        corrections::add_correction(&mut self.client, c)
    }

    fn prepare_overview(&mut self) -> anyhow::Result<usize> {
        self.refresh_digest()
    }
}
