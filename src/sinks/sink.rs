//! What every database sink does, so that the pipeline's writer loop, its batching and the
//! re-emission of stored documents are written once for SQLite and PostgreSQL.

use crate::record::{Record, RecordError, Status};
use std::collections::HashSet;

/// What made a run's records: stored in the `runs` table, which every report points at.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    pub tool_version: String,
    pub git_commit: String,
    pub tesseract_version: Option<String>,
    /// The language data used, e.g. `chi_sim 4.00.00alpha:chi_sim:synth20170629; eng …`.
    pub tessdata: Option<String>,
    /// The pipeline fingerprint ([`crate::fingerprint`]): the reports of this run were
    /// made by it.
    pub fingerprint: Option<String>,
}

/// A run's totals, stored when it ends.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunTotals {
    pub documents: usize,
    pub ok: usize,
    pub partial: usize,
    pub failed: usize,
    pub already_stored: usize,
}

/// A stored document seen again by a run that did not extract it again.
#[derive(Debug, Clone)]
pub struct SeenAgain {
    pub sha256: String,
    pub path: String,
}

/// A database that stores records: one report per content sha256, a source per path.
pub trait Sink {
    /// Starts a run: its row in `runs`, which the reports it writes point at.
    fn begin_run(&mut self, info: &RunInfo) -> anyhow::Result<()>;

    /// Ends the run begun by [`begin_run`](Self::begin_run) with its totals.
    fn finish_run(&mut self, totals: RunTotals) -> anyhow::Result<()>;

    /// sha256 values of documents stored and not failed, to skip them on re-runs. With
    /// `need_record_json`, those stored without their JSON are left out (a `--jsonl` run
    /// extracts them again to emit them).
    fn known_hashes(&mut self, need_record_json: bool) -> anyhow::Result<HashSet<String>>;

    /// Of [`known_hashes`](Self::known_hashes), those whose report a run of `fingerprint`
    /// made (`reports.run_id → runs.fingerprint`); the others are outdated.
    fn current_hashes(
        &mut self,
        need_record_json: bool,
        fingerprint: &str,
    ) -> anyhow::Result<HashSet<String>>;

    /// Writes records, and the paths where stored documents were seen again, in one
    /// transaction: a failure rolls back the whole batch.
    fn write_batch(&mut self, records: &[Record], seen: &[SeenAgain]) -> anyhow::Result<()>;

    /// The stored record (as JSON) of a document, with `source.path` set to `path`, to
    /// re-emit it without extracting again; `None` when not stored or stored without JSON.
    fn record_json(&mut self, sha256: &str, path: &str) -> anyhow::Result<Option<String>>;

    /// The status and errors of a stored document that is not `ok` (`None` for an ok or
    /// unknown one), so that a re-run still lists its partial documents.
    fn stored_problems(
        &mut self,
        sha256: &str,
    ) -> anyhow::Result<Option<(Status, Vec<RecordError>)>>;
}

/// What a report row already stored under its sha256 takes from a new extraction: every
/// column but its id (kept, so a re-extraction updates the report in place). The same
/// clause in SQLite and PostgreSQL.
pub(crate) const REPORT_UPSERT: &str = "ON CONFLICT (sha256) DO UPDATE SET
    path = excluded.path, format = excluded.format, status = excluded.status,
    template = excluded.template, agency = excluded.agency, year = excluded.year,
    published = excluded.published, address = excluded.address,
    postcode = excluded.postcode, phone = excluded.phone, email = excluded.email,
    website = excluded.website,
    active_disclosed_total = excluded.active_disclosed_total,
    requests_received = excluded.requests_received,
    appeals_total = excluded.appeals_total, n_values = excluded.n_values,
    n_checks = excluded.n_checks, n_checks_failed = excluded.n_checks_failed,
    n_errors = excluded.n_errors, extracted_at = excluded.extracted_at,
    tool_version = excluded.tool_version, run_id = excluded.run_id,
    record_json = excluded.record_json";
