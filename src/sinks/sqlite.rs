//! Embedded SQLite sink: one database file holding every record of `spec/RECORD.md`.
//!
//! See [`SCHEMA_DOC`] for the tables and views. Each record is written in one
//! transaction that first deletes any earlier row with the same `sha256` (its child rows
//! go with it through `ON DELETE CASCADE`), so re-runs with `--force` replace rather than
//! duplicate, and an interrupted run never leaves half a report behind.

use crate::record::{CellProvenance, Number, Record, RecordError, Status};
use rusqlite::{params, Connection, TransactionBehavior};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// The schema version stored in `PRAGMA user_version`.
pub const SCHEMA_VERSION: i32 = 1;

/// The schema, for the README.
pub const SCHEMA_DOC: &str = r#"SQLite sink schema (version 1, stored in PRAGMA user_version)

reports          one row per input document
  id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE NOT NULL, path, format,
  status ('ok' | 'partial' | 'failed'), template ('gov-2019' | 'gov-2021'), agency, year,
  published (YYYY-MM-DD), address, postcode, phone, email, website,
  active_disclosed_total, requests_received, appeals_total   (facts stated in the text),
  n_values, n_checks, n_checks_failed, n_errors,
  extracted_at (UTC, ISO 8601), tool_version, record_json (the full record as written to JSONL)
report_values    the statistical tables in long form, one row per value key
  report_id -> reports.id, key ('requests/new/total'), table_name ('active' | 'requests' |
  'appeals'), row_key ('new'), col_key ('total'), value REAL, value_text (as printed: '12',
  '3.5'), provenance of the cell: origin ('docx-table', 'html-table', 'pdf-text', 'ocr',
  'text'), confidence, page, raw, bbox (JSON '[x,y,w,h]'), cell_table, cell_row, cell_col;
  PRIMARY KEY (report_id, key)
checks           report_id, ordinal, rule_id ('requests.row_sum'), rule, ok (0/1), detail
errors           report_id, ordinal, stage, message
sections         report_id, ordinal, heading, text
row_labels       table_name, row_key, row_order, label_zh: printed order and Chinese label
                 of the rows of tables 三 (requests) and 四 (appeals)

Child tables reference reports(id) ON DELETE CASCADE (PRAGMA foreign_keys=ON): deleting a
report deletes its values, checks, errors and sections.

Views
requests_table   table 三 as printed: report_id, sha256, agency, year, template, row_order,
                 row_key, row_label, natural_person, business, research, social_welfare,
                 legal_services, other_org, total
appeals_table    table 四 as printed: report_id, sha256, agency, year, template, row_order,
                 row_key, row_label, upheld, corrected, other, pending, total
(numbers in the views are INTEGER when they are whole, REAL otherwise)

Indexes: reports(agency, year), reports(year), reports(status), reports(sha256) (UNIQUE),
report_values(report_id, key) (the primary key: one value by key per report, and the values
of a key across reports through a join from `reports`, as below). A standalone index on
report_values(key) costs ~4x in write speed (each commit touches one index page per key),
so it is not made at ingestion; SqliteSink::create_key_index() adds it for analysis.

Example: requests received per agency and year (CROSS JOIN makes SQLite loop over reports
and look each value up by the primary key, instead of scanning report_values)
  SELECT r.agency, r.year, v.value FROM reports r
  CROSS JOIN report_values v ON v.report_id = r.id AND v.key = 'requests/new/total';
"#;

/// Printed order and labels of the rows of table 三 and table 四.
const ROW_LABELS: &[(&str, &str, &str)] = &[
    ("requests", "new", "一、本年新收政府信息公开申请数量"),
    ("requests", "carried_in", "二、上年结转政府信息公开申请数量"),
    ("requests", "disclosed", "三、本年度办理结果（一）予以公开"),
    (
        "requests",
        "partly_disclosed",
        "三（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    ),
    (
        "requests",
        "withheld.state_secret",
        "三（三）不予公开 1.属于国家秘密",
    ),
    (
        "requests",
        "withheld.prohibited",
        "三（三）2.其他法律行政法规禁止公开",
    ),
    (
        "requests",
        "withheld.security",
        "三（三）3.危及“三安全一稳定”",
    ),
    (
        "requests",
        "withheld.third_party",
        "三（三）4.保护第三方合法权益",
    ),
    (
        "requests",
        "withheld.internal",
        "三（三）5.属于三类内部事务信息",
    ),
    (
        "requests",
        "withheld.process",
        "三（三）6.属于四类过程性信息",
    ),
    (
        "requests",
        "withheld.enforcement",
        "三（三）7.属于行政执法案卷",
    ),
    ("requests", "withheld.query", "三（三）8.属于行政查询事项"),
    (
        "requests",
        "unavailable.not_held",
        "三（四）无法提供 1.本机关不掌握相关政府信息",
    ),
    (
        "requests",
        "unavailable.needs_creation",
        "三（四）2.没有现成信息需要另行制作",
    ),
    (
        "requests",
        "unavailable.unclear",
        "三（四）3.补正后申请内容仍不明确",
    ),
    (
        "requests",
        "not_processed.petition",
        "三（五）不予处理 1.信访举报投诉类申请",
    ),
    ("requests", "not_processed.duplicate", "三（五）2.重复申请"),
    (
        "requests",
        "not_processed.publication",
        "三（五）3.要求提供公开出版物",
    ),
    (
        "requests",
        "not_processed.excessive",
        "三（五）4.无正当理由大量反复申请",
    ),
    (
        "requests",
        "not_processed.confirm",
        "三（五）5.要求行政机关确认或重新出具已获取信息",
    ),
    ("requests", "other", "三（六）其他处理"),
    (
        "requests",
        "other.no_correction",
        "三（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    ),
    (
        "requests",
        "other.no_fee",
        "三（六）2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    ),
    ("requests", "other.other", "三（六）3.其他"),
    ("requests", "total", "三（七）总计"),
    ("requests", "carried_forward", "四、结转下年度继续办理"),
    ("appeals", "review", "行政复议"),
    ("appeals", "litigation_direct", "行政诉讼 未经复议直接起诉"),
    ("appeals", "litigation_after_review", "行政诉讼 复议后起诉"),
];

const SCHEMA_SQL: &str = r#"
CREATE TABLE IF NOT EXISTS reports (
    id                     INTEGER PRIMARY KEY,
    sha256                 TEXT NOT NULL UNIQUE,
    path                   TEXT NOT NULL,
    format                 TEXT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'failed')),
    template               TEXT,
    agency                 TEXT,
    year                   INTEGER,
    published              TEXT,
    address                TEXT,
    postcode               TEXT,
    phone                  TEXT,
    email                  TEXT,
    website                TEXT,
    active_disclosed_total INTEGER,
    requests_received      INTEGER,
    appeals_total          INTEGER,
    n_values               INTEGER NOT NULL,
    n_checks               INTEGER NOT NULL,
    n_checks_failed        INTEGER NOT NULL,
    n_errors               INTEGER NOT NULL,
    extracted_at           TEXT NOT NULL,
    tool_version           TEXT NOT NULL,
    record_json            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_agency_year ON reports(agency, year);
CREATE INDEX IF NOT EXISTS reports_year ON reports(year);
CREATE INDEX IF NOT EXISTS reports_status ON reports(status);

CREATE TABLE IF NOT EXISTS report_values (
    report_id   INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    row_key     TEXT NOT NULL,
    col_key     TEXT NOT NULL,
    value       REAL NOT NULL,
    value_text  TEXT NOT NULL,
    origin      TEXT,
    confidence  REAL,
    page        INTEGER,
    raw         TEXT,
    bbox        TEXT,
    cell_table  INTEGER,
    cell_row    INTEGER,
    cell_col    INTEGER,
    PRIMARY KEY (report_id, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS checks (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ordinal   INTEGER NOT NULL,
    rule_id   TEXT NOT NULL,
    rule      TEXT NOT NULL,
    ok        INTEGER NOT NULL,
    detail    TEXT NOT NULL,
    PRIMARY KEY (report_id, ordinal)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS errors (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ordinal   INTEGER NOT NULL,
    stage     TEXT NOT NULL,
    message   TEXT NOT NULL,
    PRIMARY KEY (report_id, ordinal)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS sections (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ordinal   INTEGER NOT NULL,
    heading   TEXT NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (report_id, ordinal)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS row_labels (
    table_name TEXT NOT NULL,
    row_key    TEXT NOT NULL,
    row_order  INTEGER NOT NULL,
    label_zh   TEXT NOT NULL,
    PRIMARY KEY (table_name, row_key)
) WITHOUT ROWID;

CREATE VIEW IF NOT EXISTS requests_table AS
SELECT r.id AS report_id, r.sha256, r.agency, r.year, r.template,
       l.row_order, v.row_key, l.label_zh AS row_label,
       MAX(CASE WHEN v.col_key = 'natural_person' THEN v.n END) AS natural_person,
       MAX(CASE WHEN v.col_key = 'business'       THEN v.n END) AS business,
       MAX(CASE WHEN v.col_key = 'research'       THEN v.n END) AS research,
       MAX(CASE WHEN v.col_key = 'social_welfare' THEN v.n END) AS social_welfare,
       MAX(CASE WHEN v.col_key = 'legal_services' THEN v.n END) AS legal_services,
       MAX(CASE WHEN v.col_key = 'other_org'      THEN v.n END) AS other_org,
       MAX(CASE WHEN v.col_key = 'total'          THEN v.n END) AS total
FROM (SELECT report_id, row_key, col_key,
             CASE WHEN value = CAST(value AS INTEGER) THEN CAST(value AS INTEGER)
                  ELSE value END AS n
      FROM report_values WHERE table_name = 'requests') AS v
JOIN reports r ON r.id = v.report_id
LEFT JOIN row_labels l ON l.table_name = 'requests' AND l.row_key = v.row_key
GROUP BY v.report_id, v.row_key
ORDER BY v.report_id, l.row_order;

CREATE VIEW IF NOT EXISTS appeals_table AS
SELECT r.id AS report_id, r.sha256, r.agency, r.year, r.template,
       l.row_order, v.row_key, l.label_zh AS row_label,
       MAX(CASE WHEN v.col_key = 'upheld'    THEN v.n END) AS upheld,
       MAX(CASE WHEN v.col_key = 'corrected' THEN v.n END) AS corrected,
       MAX(CASE WHEN v.col_key = 'other'     THEN v.n END) AS other,
       MAX(CASE WHEN v.col_key = 'pending'   THEN v.n END) AS pending,
       MAX(CASE WHEN v.col_key = 'total'     THEN v.n END) AS total
FROM (SELECT report_id, row_key, col_key,
             CASE WHEN value = CAST(value AS INTEGER) THEN CAST(value AS INTEGER)
                  ELSE value END AS n
      FROM report_values WHERE table_name = 'appeals') AS v
JOIN reports r ON r.id = v.report_id
LEFT JOIN row_labels l ON l.table_name = 'appeals' AND l.row_key = v.row_key
GROUP BY v.report_id, v.row_key
ORDER BY v.report_id, l.row_order;
"#;

#[derive(Debug)]
pub enum SinkError {
    Sqlite(rusqlite::Error),
    /// The database was written by a newer version of the tool.
    SchemaVersion {
        found: i32,
        supported: i32,
    },
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinkError::Sqlite(e) => write!(f, "sqlite: {e}"),
            SinkError::SchemaVersion { found, supported } => write!(
                f,
                "database schema version {found} is newer than this tool supports ({supported})"
            ),
        }
    }
}

impl std::error::Error for SinkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SinkError::Sqlite(e) => Some(e),
            SinkError::SchemaVersion { .. } => None,
        }
    }
}

impl From<rusqlite::Error> for SinkError {
    fn from(e: rusqlite::Error) -> Self {
        SinkError::Sqlite(e)
    }
}

pub struct SqliteSink {
    conn: Connection,
}

impl SqliteSink {
    /// Opens or creates the database and its schema (idempotent; the schema version is kept
    /// in `PRAGMA user_version`).
    pub fn open(path: &Path) -> Result<SqliteSink, SinkError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // journal_mode returns a row, so query it rather than execute it.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;
             PRAGMA wal_autocheckpoint = 4000;",
        )?;
        let found: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(SinkError::SchemaVersion {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let mut sink = SqliteSink { conn };
        let tx = sink
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA_SQL)?;
        {
            let mut st = tx.prepare(
                "INSERT OR REPLACE INTO row_labels (table_name, row_key, row_order, label_zh)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut order = HashMap::new();
            for (table, row, label) in ROW_LABELS {
                let n = order.entry(*table).or_insert(0i64);
                *n += 1;
                st.execute(params![table, row, *n, label])?;
            }
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(sink)
    }

    /// sha256 values of documents already stored (to skip them on re-runs).
    pub fn known_hashes(&self) -> Result<HashSet<String>, SinkError> {
        // Failed documents are not "known": a later run (or version) may read them.
        let mut st = self
            .conn
            .prepare("SELECT sha256 FROM reports WHERE status != 'failed'")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = HashSet::new();
        for h in rows {
            out.insert(h?);
        }
        Ok(out)
    }

    /// Writes one record in one transaction, replacing any earlier row with the same sha256
    /// (and its child rows).
    pub fn write(&mut self, record: &Record) -> Result<(), SinkError> {
        self.write_batch(std::slice::from_ref(record))
    }

    /// Writes several records in one transaction: a failure rolls back the whole batch.
    pub fn write_batch(&mut self, records: &[Record]) -> Result<(), SinkError> {
        if records.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for record in records {
            insert_record(&tx, record)?;
        }
        // Dropping `tx` on an early `?` return rolls back.
        tx.commit()?;
        Ok(())
    }

    /// The stored record (as JSON) of a document, to re-emit it without extracting again.
    pub fn record_json(&self, sha256: &str) -> Result<Option<String>, SinkError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT record_json FROM reports WHERE sha256 = ?1")?;
        let mut rows = st.query([sha256])?;
        match rows.next()? {
            Some(r) => Ok(Some(r.get(0)?)),
            None => Ok(None),
        }
    }

    /// The status and errors of a stored document that is not `ok` (`None` for an ok or
    /// unknown one), so that a re-run still lists its partial documents.
    pub fn stored_problems(
        &self,
        sha256: &str,
    ) -> Result<Option<(Status, Vec<RecordError>)>, SinkError> {
        let mut st = self.conn.prepare_cached(
            "SELECT status, record_json FROM reports WHERE sha256 = ?1 AND status != 'ok'",
        )?;
        let mut rows = st.query([sha256])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let status = match row.get::<_, String>(0)?.as_str() {
            "partial" => Status::Partial,
            _ => Status::Failed,
        };
        let json: String = row.get(1)?;
        let record: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let errors = record["errors"]
            .as_array()
            .map(|errs| {
                errs.iter()
                    .map(|e| RecordError {
                        stage: e["stage"].as_str().unwrap_or_default().to_string(),
                        message: e["message"].as_str().unwrap_or_default().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some((status, errors)))
    }

    /// Adds the index `report_values_key ON report_values(key)` for queries by key over
    /// all reports without a join from `reports`. Call it after bulk ingestion: with it,
    /// every commit touches one index page per key, and writes are ~4x slower.
    pub fn create_key_index(&self) -> Result<(), SinkError> {
        self.conn
            .execute_batch("CREATE INDEX IF NOT EXISTS report_values_key ON report_values(key)")?;
        Ok(())
    }

    /// The underlying connection, for queries.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

fn insert_record(conn: &Connection, record: &Record) -> rusqlite::Result<()> {
    // A file that could not even be read has no content hash: key it by its path.
    let sha = if record.source.sha256.is_empty() {
        format!("unread:{}", record.source.path)
    } else {
        record.source.sha256.clone()
    };
    conn.prepare_cached("DELETE FROM reports WHERE sha256 = ?1")?
        .execute([&sha])?;

    let contact = record.contact.clone().unwrap_or_default();
    let mut st = conn.prepare_cached(
        "INSERT INTO reports (sha256, path, format, status, template, agency, year, published,
             address, postcode, phone, email, website,
             active_disclosed_total, requests_received, appeals_total,
             n_values, n_checks, n_checks_failed, n_errors, extracted_at, tool_version, record_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
             ?17, ?18, ?19, ?20, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?21, ?22)",
    )?;
    st.execute(params![
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
        serde_json::to_string(record).unwrap_or_default(),
    ])?;
    let id = conn.last_insert_rowid();

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
        st.execute(params![
            id,
            key,
            table,
            row,
            col,
            number.as_f64(),
            number_text(*number),
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

    let mut st = conn.prepare_cached(
        "INSERT INTO checks (report_id, ordinal, rule_id, rule, ok, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, c) in record.checks.iter().enumerate() {
        st.execute(params![id, i as i64, c.id, c.rule, c.ok, c.detail])?;
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
fn split_key(key: &str) -> (&str, &str, &str) {
    match key.split_once('/') {
        None => (key, "", ""),
        Some((table, rest)) => match rest.rsplit_once('/') {
            None => (table, rest, ""),
            Some((row, col)) => (table, row, col),
        },
    }
}

/// The number as printed: `12`, `3.5`.
fn number_text(n: Number) -> String {
    n.to_string()
}

/// f32 → f64 through its shortest decimal form, so 0.97f32 is stored as 0.97.
fn f32_to_f64(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(x as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Check, Contact, Section, Source, Status};
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    /// Truth files shipped in samples/ (copies of the development corpus).
    fn truth_path(name: &str) -> PathBuf {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        ["docx", "html", "txt"]
            .iter()
            .map(|d| samples.join(d).join(name))
            .find(|p| p.exists())
            .unwrap_or_else(|| samples.join(name))
    }

    fn truth_values(name: &str) -> (serde_json::Value, BTreeMap<String, Number>) {
        let text = std::fs::read_to_string(truth_path(name)).expect("truth file");
        let truth: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut values = BTreeMap::new();
        for (k, v) in truth["values"].as_object().unwrap() {
            let n = match v.as_i64() {
                Some(i) => Number::Int(i),
                None => Number::Dec(v.as_f64().unwrap()),
            };
            values.insert(k.clone(), n);
        }
        (truth, values)
    }

    fn record_from_truth(name: &str, sha: &str) -> Record {
        let (truth, values) = truth_values(name);
        let mut r = Record::new(Source {
            path: format!("corpus/{name}"),
            sha256: sha.to_string(),
            format: "docx".into(),
        });
        r.template = truth["template"].as_str().map(String::from);
        r.agency = truth["agency"].as_str().map(String::from);
        r.year = truth["year"].as_i64().map(|y| y as i32);
        r.published = truth["published"].as_str().map(String::from);
        let c = &truth["contact"];
        r.contact = Some(Contact {
            address: c["address"].as_str().map(String::from),
            postcode: c["postcode"].as_str().map(String::from),
            phone: c["phone"].as_str().map(String::from),
            email: c["email"].as_str().map(String::from),
            website: c["website"].as_str().map(String::from),
        });
        r.facts.active_disclosed_total = truth["facts"]["active_disclosed_total"].as_i64();
        r.facts.requests_received = truth["facts"]["requests_received"].as_i64();
        r.facts.appeals_total = truth["facts"]["appeals_total"].as_i64();
        for (i, (k, v)) in values.iter().enumerate() {
            r.cells.push(CellProvenance {
                key: k.clone(),
                raw: v.to_string(),
                origin: "docx-table".into(),
                confidence: Some(0.97),
                page: Some(2),
                bbox: None,
                table: 1,
                row: i / 7,
                col: i % 7,
                decided_by: None,
            });
        }
        r.values = values;
        r.sections.push(Section {
            heading: "一、总体情况".into(),
            text: "……".into(),
        });
        r.checks.push(Check {
            rule: "requests: total column = sum of applicant columns".into(),
            id: "requests.row_sum".into(),
            ok: true,
            detail: String::new(),
        });
        r
    }

    fn stored_values(sink: &SqliteSink, sha: &str) -> BTreeMap<String, (f64, String)> {
        let mut st = sink
            .connection()
            .prepare(
                "SELECT v.key, v.value, v.value_text FROM report_values v
                 JOIN reports r ON r.id = v.report_id WHERE r.sha256 = ?1",
            )
            .unwrap();
        st.query_map([sha], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn count(sink: &SqliteSink, sql: &str) -> i64 {
        sink.connection().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn round_trip_truth_values() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = SqliteSink::open(&dir.path().join("t.db")).unwrap();
        for name in ["dev-005.truth.json", "dev-023.truth.json"] {
            let rec = record_from_truth(name, name);
            sink.write(&rec).unwrap();
            let (_, truth) = truth_values(name);
            let got = stored_values(&sink, name);
            assert_eq!(got.len(), truth.len(), "{name}");
            for (k, n) in &truth {
                let (v, text) = &got[k];
                assert_eq!(*v, n.as_f64(), "{name} {k}");
                assert_eq!(*text, n.to_string(), "{name} {k}");
            }
        }
        // Contact, facts and provenance landed.
        let (agency, year, postcode, active, conf, origin): (
            String,
            i32,
            String,
            i64,
            f64,
            String,
        ) = sink
            .connection()
            .query_row(
                "SELECT r.agency, r.year, r.postcode, r.active_disclosed_total, v.confidence,
                        v.origin
                 FROM reports r JOIN report_values v ON v.report_id = r.id
                 WHERE r.sha256 = 'dev-005.truth.json' AND v.key = 'requests/new/total'",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(agency, "坊子区水利局");
        assert_eq!(year, 2022);
        assert_eq!(postcode, "261082");
        assert_eq!(active, 133);
        assert_eq!(conf, 0.97);
        assert_eq!(origin, "docx-table");
        // The decimal stays a decimal.
        let text: String = sink
            .connection()
            .query_row(
                "SELECT value_text FROM report_values v JOIN reports r ON r.id = v.report_id
                 WHERE r.sha256 = 'dev-023.truth.json' AND v.key = 'active/fees/amount_wan'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(text, "214.3");
    }

    fn requests_row(sink: &SqliteSink, sha: &str, row: &str) -> (i64, String, Vec<i64>) {
        sink.connection()
            .query_row(
                "SELECT row_order, row_label, natural_person, business, research,
                        social_welfare, legal_services, other_org, total
                 FROM requests_table WHERE sha256 = ?1 AND row_key = ?2",
                [sha, row],
                |r| {
                    let mut v = Vec::new();
                    for i in 2..9 {
                        v.push(r.get::<_, i64>(i)?);
                    }
                    Ok((r.get(0)?, r.get(1)?, v))
                },
            )
            .unwrap()
    }

    #[test]
    fn requests_and_appeals_views() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = SqliteSink::open(&dir.path().join("t.db")).unwrap();
        sink.write_batch(&[
            record_from_truth("dev-005.truth.json", "a"),
            record_from_truth("dev-012.truth.json", "b"),
        ])
        .unwrap();

        let (order, label, nums) = requests_row(&sink, "a", "new");
        assert_eq!(order, 1);
        assert_eq!(label, "一、本年新收政府信息公开申请数量");
        assert_eq!(nums, vec![0, 0, 0, 0, 0, 0, 0]);
        let (_, _, nums) = requests_row(&sink, "b", "new");
        assert_eq!(nums, vec![191, 12, 1, 1, 7, 2, 214]);

        // Whole numbers come out as integers, the rows in printed order.
        let ty: String = sink
            .connection()
            .query_row(
                "SELECT typeof(total) FROM requests_table WHERE sha256 = 'b' AND row_key = 'new'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(ty, "integer");
        let rows: Vec<String> = sink
            .connection()
            .prepare("SELECT row_key FROM requests_table WHERE sha256 = 'a'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 25); // gov-2021: every row but the gov-2019 `other`
        assert_eq!(rows[0], "new");
        assert_eq!(rows[1], "carried_in");
        assert_eq!(rows.last().unwrap(), "carried_forward");

        let appeals: Vec<(String, i64)> = sink
            .connection()
            .prepare("SELECT row_key, total FROM appeals_table WHERE sha256 = 'a'")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let keys: Vec<&str> = appeals.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            vec!["review", "litigation_direct", "litigation_after_review"]
        );
    }

    #[test]
    fn rewrite_replaces_and_known_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut sink = SqliteSink::open(&path).unwrap();
        assert!(sink.known_hashes().unwrap().is_empty());
        let mut rec = record_from_truth("dev-005.truth.json", "same");
        sink.write(&rec).unwrap();
        rec.agency = Some("改名".into());
        sink.write(&rec).unwrap();
        sink.write_batch(&[rec.clone(), rec.clone()]).unwrap();
        sink.write(&record_from_truth("dev-012.truth.json", "other"))
            .unwrap();

        assert_eq!(count(&sink, "SELECT COUNT(*) FROM reports"), 2);
        assert_eq!(
            count(
                &sink,
                "SELECT COUNT(*) FROM report_values v JOIN reports r ON r.id = v.report_id
                 WHERE r.sha256 = 'same'"
            ),
            rec.values.len() as i64
        );
        // No orphans left by the replacements.
        for t in ["report_values", "checks", "errors", "sections"] {
            let sql =
                format!("SELECT COUNT(*) FROM {t} WHERE report_id NOT IN (SELECT id FROM reports)");
            assert_eq!(count(&sink, &sql), 0, "{t}");
        }
        assert_eq!(count(&sink, "SELECT COUNT(*) FROM checks"), 2);
        assert_eq!(count(&sink, "SELECT COUNT(*) FROM sections"), 2);
        let agency: String = sink
            .connection()
            .query_row(
                "SELECT agency FROM reports WHERE sha256 = 'same'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(agency, "改名");

        drop(sink);
        // Reopening is idempotent and sees the stored hashes.
        let sink = SqliteSink::open(&path).unwrap();
        let hashes = sink.known_hashes().unwrap();
        assert_eq!(
            hashes,
            HashSet::from(["same".to_string(), "other".to_string()])
        );
        assert_eq!(count(&sink, "PRAGMA user_version"), SCHEMA_VERSION as i64);
        assert_eq!(count(&sink, "SELECT COUNT(*) FROM row_labels"), 29);
    }

    #[test]
    fn failed_record_is_stored_with_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = SqliteSink::open(&dir.path().join("t.db")).unwrap();
        let rec = Record::failed(
            Source {
                path: "x.zip!bad.bin".into(),
                sha256: "deadbeef".into(),
                format: "unknown".into(),
            },
            "detect",
            "not a report: unknown format",
        );
        assert_eq!(rec.status, Status::Failed);
        sink.write(&rec).unwrap();
        let (status, n_errors, stage, message): (String, i64, String, String) = sink
            .connection()
            .query_row(
                "SELECT r.status, r.n_errors, e.stage, e.message
                 FROM reports r JOIN errors e ON e.report_id = r.id WHERE r.sha256 = 'deadbeef'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(status, "failed");
        assert_eq!(n_errors, 1);
        assert_eq!(stage, "detect");
        assert_eq!(message, "not a report: unknown format");
        // Failed documents are retried on the next run, so they are not "known".
        assert!(!sink.known_hashes().unwrap().contains("deadbeef"));
    }

    #[test]
    fn failed_batch_rolls_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = SqliteSink::open(&dir.path().join("t.db")).unwrap();
        sink.write(&record_from_truth("dev-005.truth.json", "keep"))
            .unwrap();
        // A trigger that fails on the second record stands in for a crash mid-batch.
        sink.connection()
            .execute_batch(
                "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.reports
                 WHEN NEW.sha256 = 'bad' BEGIN SELECT RAISE(ABORT, 'boom'); END;",
            )
            .unwrap();
        let good = record_from_truth("dev-012.truth.json", "new");
        let mut bad = record_from_truth("dev-012.truth.json", "bad");
        bad.status = Status::Partial;
        let replace = record_from_truth("dev-012.truth.json", "keep");
        assert!(sink.write_batch(&[good, replace, bad]).is_err());
        assert_eq!(
            sink.known_hashes().unwrap(),
            HashSet::from(["keep".to_string()])
        );
        // The replaced report is still the original one, children intact.
        assert_eq!(
            count(&sink, "SELECT COUNT(*) FROM report_values"),
            record_from_truth("dev-005.truth.json", "keep").values.len() as i64
        );
    }

    /// On-CPU time of this thread (Linux), to measure apart from a loaded machine.
    fn thread_cpu() -> Option<std::time::Duration> {
        let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
        Some(std::time::Duration::from_nanos(ns))
    }

    /// `cargo test --release throughput -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn throughput() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = SqliteSink::open(&dir.path().join("t.db")).unwrap();
        let base = record_from_truth("dev-012.truth.json", "x");
        let n = 4000;
        let recs: Vec<Record> = (0..n)
            .map(|i| {
                let mut r = base.clone();
                r.source.sha256 = format!("{i:064x}");
                r
            })
            .collect();
        let mut rates = Vec::new();
        let passes: [(&str, &[Record], usize); 3] = [
            ("write()", &recs[..n / 2], 1),
            ("write_batch(100)", &recs[n / 2..], 100),
            ("replace all, write_batch(100)", &recs, 100),
        ];
        for (name, slice, bs) in passes {
            let (t, c) = (std::time::Instant::now(), thread_cpu());
            for chunk in slice.chunks(bs) {
                sink.write_batch(chunk).unwrap();
            }
            let wall = slice.len() as f64 / t.elapsed().as_secs_f64();
            let cpu = match (c, thread_cpu()) {
                (Some(a), Some(b)) => slice.len() as f64 / (b - a).as_secs_f64(),
                _ => f64::NAN,
            };
            eprintln!(
                "{name}: {wall:.0} reports/s wall, {cpu:.0} reports per CPU-second \
                 ({} values each)",
                base.values.len()
            );
            rates.push(wall);
        }
        assert_eq!(count(&sink, "SELECT COUNT(*) FROM reports"), n as i64);
        assert_eq!(
            count(&sink, "SELECT COUNT(*) FROM report_values"),
            (n * base.values.len()) as i64
        );
    }

    #[test]
    fn key_query_uses_primary_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = SqliteSink::open(&dir.path().join("t.db")).unwrap();
        sink.write(&record_from_truth("dev-012.truth.json", "b"))
            .unwrap();
        let q = "SELECT r.agency, r.year, v.value FROM reports r
                 CROSS JOIN report_values v ON v.report_id = r.id AND v.key = 'requests/new/total'";
        let plan: Vec<String> = sink
            .connection()
            .prepare(&format!("EXPLAIN QUERY PLAN {q}"))
            .unwrap()
            .query_map([], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|p| p.contains("PRIMARY KEY (report_id=? AND key=?)")),
            "{plan:?}"
        );
        let v: f64 = sink.connection().query_row(q, [], |r| r.get(2)).unwrap();
        assert_eq!(v, 214.0);
        sink.create_key_index().unwrap();
        sink.create_key_index().unwrap();
    }

    #[test]
    fn split_keys() {
        assert_eq!(
            split_key("requests/withheld.third_party/business"),
            ("requests", "withheld.third_party", "business")
        );
        assert_eq!(split_key("odd"), ("odd", "", ""));
        assert_eq!(split_key("a/b"), ("a", "b", ""));
    }
}
