//! The write stage, on the thread that called [`super::run`] so a database connection
//! never crosses threads: records are taken off the last channel in batches, counted,
//! written to JSONL and the errors file, and stored through whichever [`Sink`] the run
//! has (SQLite, PostgreSQL, or none), one transaction per batch.

use super::progress::Progress;
use super::reemit::reemit_stored;
use super::stats::WorkerClock;
use super::{Summary, Work};
use crate::record::{Record, Status};
use crate::sinks::sink::{RunTotals, SeenAgain, Sink};
use crate::sinks::{ErrorsSink, JsonlSink};
use crossbeam_channel::Receiver;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// The longest a record waits in the writer for its batch to fill before it is committed.
const MAX_BATCH_WAIT: Duration = Duration::from_secs(1);

pub(super) struct Writer {
    pub sink: Option<Box<dyn Sink>>,
    pub jsonl: Option<JsonlSink>,
    pub errors_out: Option<ErrorsSink>,
    /// Records per transaction.
    pub batch_size: usize,
    /// The write stage's statistics; documents' times end here.
    pub clock: WorkerClock,
    /// sha256 of stored documents another pipeline made (`--reprocess-outdated`).
    pub outdated: HashSet<String>,
    pub summary: Summary,
}

impl Writer {
    /// Writes everything `rx` delivers until it closes, or until the run cannot go on (the
    /// database or the errors file cannot be written; with no database, a closed JSONL
    /// output). Returns that error, if any; the summary holds the counts either way.
    pub fn drain(
        &mut self,
        rx: &Receiver<Work<Record>>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let mut batch: Vec<Record> = Vec::with_capacity(self.batch_size);
        // Stored documents this run found again: their paths join the report's sources.
        let mut seen: Vec<SeenAgain> = Vec::new();
        let mut result: anyhow::Result<()> = Ok(());
        let mut last_flush = Instant::now();
        loop {
            let first = match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(w) => w,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    // Nothing came for a while: what is waiting is stored now (busy
                    // time of its own, or the next batch would carry its CPU).
                    let started = self.clock.start();
                    result = self.flush(&mut batch, &mut seen);
                    self.clock.finish_batch(0, 0, started);
                    last_flush = Instant::now();
                    if result.is_err() {
                        break;
                    }
                    progress.tick(&self.summary);
                    continue;
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            };
            let started = self.clock.start();
            let mut items = vec![first];
            while items.len() < self.batch_size {
                match rx.try_recv() {
                    Ok(w) => items.push(w),
                    Err(_) => break,
                }
            }
            let passed = items
                .iter()
                .filter(|w| matches!(w, Work::Skipped { .. }))
                .count();
            let documents = items.len() - passed;
            for w in items {
                if let Err(e) = self.accept(w, &mut batch, &mut seen, progress) {
                    result = Err(e);
                }
            }
            // A transaction per batch_size records, not per handful that happened to be
            // waiting: a commit writes every page the records touched (the indexes'
            // shared pages again each time), which cost a third of the writer's CPU when
            // the writer kept up and committed records one or two at a time. Records wait
            // at most MAX_BATCH_WAIT; a kill loses only uncommitted ones, which the next
            // run extracts again (they are not stored).
            if result.is_ok()
                && (batch.len() + seen.len() >= self.batch_size
                    || last_flush.elapsed() >= MAX_BATCH_WAIT)
            {
                result = self.flush(&mut batch, &mut seen);
                last_flush = Instant::now();
            }
            self.clock.finish_batch(documents, passed, started);
            if result.is_err() || (self.sink.is_none() && self.summary.jsonl_stopped.is_some()) {
                break;
            }
            progress.tick(&self.summary);
        }
        if result.is_ok() {
            let started = self.clock.start();
            result = self.flush(&mut batch, &mut seen);
            self.clock.finish_batch(0, 0, started);
        }
        result
    }

    /// Counts one item and writes it to the file outputs; a record joins `batch`, a stored
    /// document seen again joins `seen`.
    fn accept(
        &mut self,
        w: Work<Record>,
        batch: &mut Vec<Record>,
        seen: &mut Vec<SeenAgain>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let has_db = self.sink.is_some();
        let mut jsonl_failed = |e: std::io::Error, written: usize, summary: &mut Summary| {
            jsonl_stopped(e, written, has_db, summary)
        };
        let summary = &mut self.summary;
        summary.documents += 1;
        let mut result = Ok(());
        match w {
            Work::Skipped { sha256, path } => {
                summary.skipped += 1;
                let Some(sink) = self.sink.as_deref_mut() else {
                    return Ok(());
                };
                result = reemit_stored(
                    sink,
                    &sha256,
                    &path,
                    self.jsonl.as_mut(),
                    self.errors_out.as_mut(),
                    summary,
                    &mut jsonl_failed,
                );
                seen.push(SeenAgain { sha256, path });
            }
            Work::Doc(rec) => {
                match rec.status {
                    Status::Ok => summary.ok += 1,
                    Status::Partial => summary.partial += 1,
                    Status::Failed => summary.failed += 1,
                }
                let nf = rec.checks_failed();
                summary.checks_failed += nf;
                summary.documents_with_failed_checks += usize::from(nf > 0);
                summary
                    .outcomes
                    .add(rec.status, &rec.source.path, &rec.errors);
                summary.reprocessed += usize::from(self.outdated.contains(&rec.source.sha256));
                self.clock.stats().document_done(&rec);
                tracing::debug!(
                    path = %rec.source.path,
                    status = rec.status.as_str(),
                    errors = rec.errors.len(),
                    "extracted"
                );
                progress.document(&rec);
                if let Some(j) = self.jsonl.as_mut().filter(|j| j.closed().is_none()) {
                    if let Err(e) = j.write(&rec) {
                        jsonl_failed(e, j.written(), summary);
                    }
                }
                if let Some(out) = self.errors_out.as_mut() {
                    let (p, sha) = (&rec.source.path, &rec.source.sha256);
                    if let Err(e) = out.write(p, sha, rec.status, &rec.errors) {
                        result = Err(anyhow::anyhow!("writing the errors file: {e}"));
                    }
                }
                batch.push(rec);
            }
        }
        result
    }

    fn flush(&mut self, batch: &mut Vec<Record>, seen: &mut Vec<SeenAgain>) -> anyhow::Result<()> {
        if let Some(sink) = self.sink.as_mut() {
            sink.write_batch(batch, seen)
                .map_err(|e| anyhow::anyhow!("writing the database: {e:#}"))?;
        }
        batch.clear();
        seen.clear();
        Ok(())
    }

    /// Ends the run: its totals stored, the file outputs flushed. A failure to flush an
    /// output is noted in the summary (the run finished; what it wrote is incomplete).
    pub fn finish(&mut self, result: anyhow::Result<()>) -> anyhow::Result<()> {
        let mut result = result;
        let s = &self.summary;
        if let (Ok(()), Some(sink)) = (&result, self.sink.as_mut()) {
            let totals = RunTotals {
                documents: s.documents,
                ok: s.ok,
                partial: s.partial,
                failed: s.failed,
                already_stored: s.skipped,
            };
            if let Err(e) = sink.finish_run(totals) {
                result = Err(anyhow::anyhow!("writing the database: {e:#}"));
            }
        }
        if let Some(j) = self.jsonl.as_mut() {
            if let Err(e) = j.flush() {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    self.summary
                        .jsonl_stopped
                        .get_or_insert_with(|| "its reader closed the pipe".into());
                } else {
                    self.summary.output_error = Some(format!("writing JSONL: {e}"));
                }
            }
        }
        if let Some(out) = self.errors_out.as_mut() {
            if let Err(e) = out.flush() {
                self.summary.output_error = Some(format!("writing the errors file: {e}"));
            }
        }
        result
    }
}

/// A JSONL write that fails closes the JSONL output: said once, and the batch goes on
/// into the database (a reader such as `head -1` that went away is no error of ours).
fn jsonl_stopped(e: std::io::Error, written: usize, has_db: bool, summary: &mut Summary) {
    let what = if e.kind() == std::io::ErrorKind::BrokenPipe {
        "its reader closed the pipe".to_string()
    } else {
        summary.output_error = Some(format!("writing JSONL: {e}"));
        e.to_string()
    };
    let rest = if has_db {
        "the run goes on into the database"
    } else {
        "nothing else to write (--no-db): the run stops"
    };
    let records = if written == 1 { "record" } else { "records" };
    tracing::warn!("JSONL output stopped after {written} {records}: {what}; {rest}");
    summary.jsonl_stopped = Some(what);
}
