//! What the review page reads and writes, behind a trait so that another database (the
//! PostgreSQL sink) can serve the same pages: [`ReviewStore`]. The SQLite implementation
//! is [`super::sqlite_store`].

use crate::record::{CheckOutcome, Facts, Number};
use crate::sinks::sqlite::corrections::{Action, CorrectionError, NewCorrection};

/// Counts for the overview page.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub reports: usize,
    pub by_status: Vec<(String, usize)>,
    pub by_format: Vec<(String, usize)>,
    pub by_template: Vec<(String, usize)>,
    /// `None`: the year was not found.
    pub by_year: Vec<(Option<i64>, usize)>,
    /// Failed checks per rule id, most first (an explained discrepancy as
    /// `rule (explained)`).
    pub failed_by_rule: Vec<(String, usize)>,
    /// OCR'd values per tenth of confidence (0.0-0.1 … 0.9-1.0).
    pub confidence: [usize; 10],
    pub corrections: usize,
    /// The reports to review first: most failed checks, then cells left out, then
    /// low-confidence cells.
    pub worst: Vec<ReportSummary>,
}

/// One report in the list to review.
#[derive(Debug, Clone, Default)]
pub struct ReportSummary {
    pub id: i64,
    pub path: String,
    pub format: String,
    pub status: String,
    pub agency: Option<String>,
    pub year: Option<i64>,
    pub checks_failed: usize,
    pub left_out: usize,
    pub low_confidence: usize,
    pub corrected: usize,
}

/// One stored value with its provenance, and what review made of it.
#[derive(Debug, Clone)]
pub struct StoredValue {
    pub key: String,
    /// The extracted value (`None`: the cell was left out and a person filled it).
    pub extracted: Option<String>,
    /// The value after review (the extracted one when nobody corrected it).
    pub reviewed: Number,
    pub reviewed_text: String,
    /// `extracted`, `confirm`, `correct` or `fill`.
    pub source: String,
    /// A re-extraction changed the value a person had seen when correcting it.
    pub extracted_changed: bool,
    pub origin: Option<String>,
    pub confidence: Option<f64>,
    pub page: Option<u32>,
    pub bbox: Option<[f32; 4]>,
    pub raw: Option<String>,
    /// Where the cell is in the document's table grid (table, row, col).
    pub cell: Option<(i64, i64, i64)>,
}

/// A correction as stored.
#[derive(Debug, Clone)]
pub struct CorrectionRow {
    pub key: String,
    pub action: String,
    pub old_value: Option<String>,
    pub new_value: String,
    pub note: Option<String>,
    pub who: String,
    pub made_at: String,
}

/// A check as the extraction ran it.
#[derive(Debug, Clone)]
pub struct StoredCheck {
    pub rule_id: String,
    pub ok: bool,
    pub detail: String,
    pub outcome: CheckOutcome,
}

/// Everything the document page shows.
#[derive(Debug, Clone)]
pub struct DocumentData {
    pub id: i64,
    pub sha256: String,
    pub path: String,
    /// Every path the content was seen at, newest first.
    pub sources: Vec<String>,
    pub format: String,
    pub status: String,
    pub template: Option<String>,
    pub agency: Option<String>,
    pub year: Option<i64>,
    pub published: Option<String>,
    pub facts: Facts,
    pub values: Vec<StoredValue>,
    pub checks: Vec<StoredCheck>,
    pub errors: Vec<(String, String)>,
    pub corrections: Vec<CorrectionRow>,
}

/// The review page's data access. Implementations are used from one thread at a time.
pub trait ReviewStore: Send {
    fn overview(&mut self, worst: usize) -> anyhow::Result<Overview>;
    fn document(&mut self, id: i64) -> anyhow::Result<Option<DocumentData>>;
    fn report_id(&mut self, sha256: &str) -> anyhow::Result<Option<i64>>;
    fn add_correction(&mut self, c: &NewCorrection) -> Result<Action, CorrectionError>;
    /// Brings the overview's per-report sums up to date; returns how many were made.
    fn prepare_overview(&mut self) -> anyhow::Result<usize>;
}
