//! The end-of-run summary: counts by status, failures by reason, what was skipped.

use crate::outcomes::Outcomes;
use crate::select::SkipReason;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Summary {
    pub documents: usize,
    pub ok: usize,
    pub partial: usize,
    pub failed: usize,
    /// Already in the database (same sha256), not extracted again.
    pub skipped: usize,
    /// Extracted again because another pipeline made their stored report
    /// (`--reprocess-outdated`).
    pub reprocessed: usize,
    /// Of those, stored as partial by an earlier run (listed among the partial ones).
    pub skipped_partial: usize,
    pub checks_failed: usize,
    pub documents_with_failed_checks: usize,
    pub elapsed: Duration,
    /// Files the selection rules left out, per reason.
    pub skipped_by_rule: Vec<(SkipReason, usize)>,
    /// Failed and partial documents by reason.
    pub outcomes: Outcomes,
    /// Why the JSONL output stopped early (a closed pipe), if it did.
    pub jsonl_stopped: Option<String>,
    /// An output that could not be written in full (the JSONL file's disk filled up, the
    /// errors file): the run finished, but what it wrote is incomplete.
    pub output_error: Option<String>,
    /// Where `--errors` wrote its list.
    pub errors_file: Option<String>,
    /// The run's statistics per stage and format, and its slowest documents.
    pub stats: Option<super::stats::StatsReport>,
}

impl Summary {
    /// The end-of-run report for stderr: failed and partial documents by reason, what the
    /// selection skipped, outputs that stopped early, and the totals as the last line.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = self.outcomes.render(self.errors_file.as_deref());
        if !self.skipped_by_rule.is_empty() {
            let n: usize = self.skipped_by_rule.iter().map(|(_, n)| n).sum();
            let _ = writeln!(
                out,
                "skipped {n} file{}, by rule:",
                if n == 1 { "" } else { "s" }
            );
            for (reason, n) in &self.skipped_by_rule {
                let _ = writeln!(out, "  {n:>4} × {}", reason.describe());
            }
            let _ = writeln!(
                out,
                "         → to read one anyway, name it on the command line or use --include GLOB"
            );
        }
        if let Some(stats) = &self.stats {
            out.push_str(&stats.render());
        }
        if let Some(why) = &self.jsonl_stopped {
            let _ = writeln!(out, "JSONL output stopped early: {why}");
        }
        if let Some(e) = &self.output_error {
            let _ = writeln!(out, "incomplete output: {e}");
        }
        let mut stored = match self.skipped_partial {
            0 => format!("{} already stored", self.skipped),
            p => format!("{} already stored ({p} of them partial)", self.skipped),
        };
        if self.reprocessed > 0 {
            let _ = write!(stored, ", {} outdated extracted again", self.reprocessed);
        }
        let _ = writeln!(
            out,
            "{} documents: {} ok, {} partial, {} failed, {stored}; \
             {} failed checks in {} documents; {:.1} s, {:.0} docs/s",
            self.documents,
            self.ok,
            self.partial,
            self.failed,
            self.checks_failed,
            self.documents_with_failed_checks,
            self.elapsed.as_secs_f64(),
            self.docs_per_second()
        );
        out
    }

    pub fn docs_per_second(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            (self.documents - self.skipped) as f64 / s
        } else {
            0.0
        }
    }
}
