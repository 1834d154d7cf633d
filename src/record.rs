//! The record of `spec/RECORD.md`: what the pipeline writes for each input document.

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Partial,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Partial => "partial",
            Status::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// The path as given (inside an archive: `archive.zip!inner/path`).
    pub path: String,
    pub sha256: String,
    /// The detected format: `docx`, `html`, `txt`, `pdf`, `png`, … or `unknown`.
    pub format: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Contact {
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        *self == Contact::default()
    }
}

/// A number as printed: integers stay integers, decimals stay decimals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Number {
    Int(i64),
    Dec(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Dec(d) => d,
        }
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Dec(d) => write!(f, "{d}"),
        }
    }
}

/// Provenance of one value: the raw text, where it was found, how sure we are.
#[derive(Debug, Clone, Serialize)]
pub struct CellProvenance {
    pub key: String,
    pub raw: String,
    pub origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f32; 4]>,
    /// Table index in the document and grid (row, col) of the cell.
    pub table: usize,
    pub row: usize,
    pub col: usize,
    /// `"arithmetic"` when the report's sums chose this value among the cell's
    /// disagreeing OCR readings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub heading: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    /// Total actively disclosed items stated in the text.
    pub active_disclosed_total: Option<i64>,
    /// Requests received stated in the text (未收到 → 0).
    pub requests_received: Option<i64>,
    /// Appeals and lawsuits stated in the text (未产生/未发生 → 0).
    pub appeals_total: Option<i64>,
}

/// What a check found. `ok` is true only for [`CheckOutcome::Pass`]: an explained
/// discrepancy is still a discrepancy, which a reader of `ok` alone must see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckOutcome {
    /// The numbers agree.
    Pass,
    /// They disagree, and nothing the template knows explains it.
    Fail,
    /// The text's number is not the table's, but is another sum of the table that the
    /// template names (75 received = 74 new + 1 carried in); `detail` says which.
    Explained,
}

impl CheckOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Pass => "pass",
            CheckOutcome::Fail => "fail",
            CheckOutcome::Explained => "explained",
        }
    }

    /// The outcome a stored check had: its `outcome` column, or, in rows written before
    /// there was one, its `ok`.
    pub fn from_stored(outcome: Option<&str>, ok: bool) -> CheckOutcome {
        match outcome {
            Some("explained") => CheckOutcome::Explained,
            Some("fail") => CheckOutcome::Fail,
            Some("pass") => CheckOutcome::Pass,
            _ if ok => CheckOutcome::Pass,
            _ => CheckOutcome::Fail,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub rule: String,
    /// Stable identifier of the rule (e.g. `requests.row_sum`).
    pub id: String,
    /// True only when the check passes (`outcome: pass`).
    pub ok: bool,
    pub detail: String,
    /// `pass`, `fail` or `explained` (added to the contract's `ok`, which it refines).
    pub outcome: CheckOutcome,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordError {
    pub stage: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub source: Source,
    pub status: Status,
    pub template: Option<String>,
    pub agency: Option<String>,
    pub year: Option<i32>,
    pub published: Option<String>,
    pub contact: Option<Contact>,
    pub values: BTreeMap<String, Number>,
    pub cells: Vec<CellProvenance>,
    pub sections: Vec<Section>,
    pub facts: Facts,
    pub checks: Vec<Check>,
    /// Cells whose value the report's arithmetic chose among their OCR readings.
    pub decided_by_arithmetic: usize,
    pub errors: Vec<RecordError>,
    /// OCR readings left out of `values` because they break every sum they are in: the
    /// checks still run on them, so a report's own arithmetic error is still reported.
    #[serde(skip)]
    pub withdrawn: BTreeMap<String, Number>,
}

impl Record {
    /// An empty record for `source`, to be filled by the stages.
    pub fn new(source: Source) -> Record {
        Record {
            source,
            status: Status::Ok,
            template: None,
            agency: None,
            year: None,
            published: None,
            contact: None,
            values: BTreeMap::new(),
            cells: Vec::new(),
            sections: Vec::new(),
            facts: Facts::default(),
            checks: Vec::new(),
            decided_by_arithmetic: 0,
            errors: Vec::new(),
            withdrawn: BTreeMap::new(),
        }
    }

    /// A failed record carrying one error.
    pub fn failed(source: Source, stage: &str, message: impl Into<String>) -> Record {
        let mut r = Record::new(source);
        r.fail(stage, message);
        r
    }

    pub fn fail(&mut self, stage: &str, message: impl Into<String>) {
        self.status = Status::Failed;
        self.error(stage, message);
    }

    pub fn error(&mut self, stage: &str, message: impl Into<String>) {
        self.errors.push(RecordError {
            stage: stage.to_string(),
            message: message.into(),
        });
    }

    pub fn checks_failed(&self) -> usize {
        self.checks.iter().filter(|c| !c.ok).count()
    }
}
