//! The statistics of a finished run, as `--stats FILE` writes them (JSON) and as the
//! end-of-run summary prints them.

use crate::outcomes::Outcomes;
use crate::record::Status;
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Clone, Serialize)]
pub struct StageStats {
    pub stage: String,
    /// Workers the stage had (a worker replaced after a timeout counts again).
    pub workers: u64,
    /// Documents worked on.
    pub documents: u64,
    /// Documents stored already that passed through untouched.
    pub passed: u64,
    /// Wall time the workers spent on items, summed over workers.
    pub busy_s: f64,
    /// CPU time of the workers' threads on those items.
    pub cpu_s: f64,
    /// Time the workers waited between items: for input, or for room in the next stage's
    /// queue (summed over workers).
    pub wait_s: f64,
    /// Documents per second of one worker's busy time.
    pub docs_per_busy_s: f64,
    /// busy / (busy + wait): near 1 for the stage that holds the run back.
    pub utilisation: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FormatStats {
    pub format: String,
    pub documents: u64,
    /// Wall time spent on the documents in the stages read to check (not the writer's).
    pub busy_s: f64,
    /// CPU time of those stages' threads on the documents.
    pub cpu_s: f64,
    pub cpu_ms_per_doc: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlowDocument {
    pub path: String,
    pub format: String,
    pub status: String,
    /// Wall time spent on the document in the stages read to check, queue waits left out.
    pub seconds: f64,
    pub cpu_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailureGroup {
    /// The first error, with value keys and numbers taken out.
    pub reason: String,
    pub count: usize,
    /// The first few paths.
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    /// The pipeline fingerprint of the run ([`crate::fingerprint`]), when it has one.
    pub fingerprint: Option<String>,
    pub elapsed_s: f64,
    /// Every document met, extracted or stored already.
    pub documents: usize,
    pub extracted: usize,
    pub already_stored: usize,
    /// Of the extracted, those stored by another pipeline (`--reprocess-outdated`).
    pub reprocessed: usize,
    pub ok: usize,
    pub partial: usize,
    pub failed: usize,
    /// Documents extracted per second of the run.
    pub docs_per_s: f64,
    pub stages: Vec<StageStats>,
    pub formats: Vec<FormatStats>,
    pub slowest: Vec<SlowDocument>,
    /// Failed documents by reason, most first.
    pub failures: Vec<FailureGroup>,
    /// Partial documents by reason, most first.
    pub partial_reasons: Vec<FailureGroup>,
}

/// The groups of one status, most documents first.
pub fn groups(outcomes: &Outcomes, status: Status) -> Vec<FailureGroup> {
    let mut out: Vec<FailureGroup> = outcomes
        .groups(status)
        .into_iter()
        .map(|g| FailureGroup {
            reason: g.reason.clone(),
            count: g.count,
            paths: g.paths.clone(),
        })
        .collect();
    out.sort_by_key(|g| std::cmp::Reverse(g.count));
    out
}

impl StatsReport {
    /// The stage, format and slowest-document tables for the end-of-run summary (the
    /// failures are the summary's own).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if !self.stages.is_empty() {
            let _ = writeln!(
                out,
                "stage       workers    docs   busy s    cpu s   wait s  docs/busy-s  busy %"
            );
            for s in &self.stages {
                let _ = writeln!(
                    out,
                    "  {:<10}{:>6}{:>8}{:>9.2}{:>9.2}{:>9.2}{:>13.1}{:>7.0}",
                    s.stage,
                    s.workers,
                    s.documents,
                    s.busy_s,
                    s.cpu_s,
                    s.wait_s,
                    s.docs_per_busy_s,
                    s.utilisation * 100.0
                );
            }
        }
        if !self.formats.is_empty() {
            let _ = writeln!(out, "format          docs    cpu s  cpu ms/doc");
            for f in &self.formats {
                let _ = writeln!(
                    out,
                    "  {:<12}{:>6}{:>9.2}{:>12.1}",
                    f.format, f.documents, f.cpu_s, f.cpu_ms_per_doc
                );
            }
        }
        if !self.slowest.is_empty() {
            let _ = writeln!(out, "slowest documents (s, cpu s):");
            for d in &self.slowest {
                let _ = writeln!(
                    out,
                    "  {:>7.2} {:>7.2}  {:<10} {}",
                    d.seconds, d.cpu_s, d.format, d.path
                );
            }
        }
        out
    }
}
