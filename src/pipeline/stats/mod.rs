//! Run statistics, for the end-of-run summary and `--stats FILE`: per stage its documents,
//! busy time, CPU time and the time its workers waited; per format the documents and
//! their CPU time; the slowest documents; failures by reason (from the summary).
//!
//! Each stage's workers keep a [`WorkerClock`] and add to shared atomics once per item;
//! a document's own time is summed under its path until the writer takes it with its
//! record. That costs a few atomic adds and one map insert per document and stage.

mod clock;
mod report;

pub use clock::{thread_cpu, Span, Took};
pub use report::{FailureGroup, FormatStats, SlowDocument, StageStats, StatsReport};

use crate::outcomes::Outcomes;
use crate::record::{Record, Status};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How many of the slowest documents are kept.
pub const SLOWEST: usize = 10;

/// The stages, in the order a document passes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Read,
    Decode,
    Recognise,
    Interpret,
    Check,
    Write,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Read,
        Stage::Decode,
        Stage::Recognise,
        Stage::Interpret,
        Stage::Check,
        Stage::Write,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Read => "read",
            Stage::Decode => "decode",
            Stage::Recognise => "recognise",
            Stage::Interpret => "interpret",
            Stage::Check => "check",
            Stage::Write => "write",
        }
    }
}

/// One stage's totals over all its workers, in nanoseconds.
#[derive(Default)]
struct StageTotals {
    workers: AtomicU64,
    documents: AtomicU64,
    passed: AtomicU64,
    busy_ns: AtomicU64,
    cpu_ns: AtomicU64,
    wait_ns: AtomicU64,
}

/// What one item was, for the counts.
#[derive(Debug, Clone)]
pub enum Item {
    /// A document being worked on, by its path (its `source.path`).
    Doc(String),
    /// A document stored already, passing through to the writer.
    Passed,
    /// Work that is no document's (an archive's reading after its last member).
    Overhead,
}

#[derive(Debug, Default)]
struct FormatTotals {
    documents: u64,
    wall: Duration,
    cpu: Duration,
}

#[derive(Default)]
struct Finished {
    formats: BTreeMap<String, FormatTotals>,
    /// At most [`SLOWEST`], slowest first.
    slowest: Vec<SlowDocument>,
}

/// The collector shared by a run's threads.
pub struct RunStats {
    started: Instant,
    stages: [StageTotals; 6],
    /// Time spent on documents not yet written, by path.
    in_flight: Mutex<HashMap<String, Took>>,
    finished: Mutex<Finished>,
    /// Failed and partial documents by reason, for a run without a summary of its own
    /// (a queue worker's).
    outcomes: Mutex<Outcomes>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain sums: a panic while holding the lock leaves nothing half-updated that matters.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl RunStats {
    pub fn new() -> Arc<RunStats> {
        Arc::new(RunStats {
            started: Instant::now(),
            stages: Default::default(),
            in_flight: Mutex::new(HashMap::new()),
            finished: Mutex::new(Finished::default()),
            outcomes: Mutex::new(Outcomes::default()),
        })
    }

    /// A clock for one worker of `stage`, made on the worker's thread.
    pub fn worker(self: &Arc<Self>, stage: Stage) -> WorkerClock {
        self.totals(stage).workers.fetch_add(1, Ordering::Relaxed);
        WorkerClock {
            stats: Arc::clone(self),
            stage,
            idle_since: Instant::now(),
            cpu_mark: thread_cpu(),
        }
    }

    fn totals(&self, stage: Stage) -> &StageTotals {
        &self.stages[stage as usize]
    }

    fn add(&self, stage: Stage, item: Item, took: Took) {
        let t = self.totals(stage);
        t.busy_ns.fetch_add(nanos(took.wall), Ordering::Relaxed);
        t.cpu_ns.fetch_add(nanos(took.cpu), Ordering::Relaxed);
        match item {
            Item::Doc(path) => {
                t.documents.fetch_add(1, Ordering::Relaxed);
                *lock(&self.in_flight).entry(path).or_default() += took;
            }
            Item::Passed => {
                t.passed.fetch_add(1, Ordering::Relaxed);
            }
            Item::Overhead => {}
        }
    }

    /// Work measured apart from a [`WorkerClock`] (a queue worker's stages): `item`'s.
    pub fn add_work(&self, stage: Stage, item: Item, took: Took) {
        self.totals(stage).workers.fetch_max(1, Ordering::Relaxed);
        self.add(stage, item, took);
    }

    /// Work on `documents` and `passed` items together, measured apart.
    pub fn add_batch(&self, stage: Stage, documents: usize, passed: usize, took: Took) {
        let t = self.totals(stage);
        t.workers.fetch_max(1, Ordering::Relaxed);
        t.documents.fetch_add(documents as u64, Ordering::Relaxed);
        t.passed.fetch_add(passed as u64, Ordering::Relaxed);
        self.add(stage, Item::Overhead, took);
    }

    /// Time a document took that no stage measured: the wait for a stage abandoned past
    /// the time limit (its CPU time unknown).
    pub fn add_abandoned(&self, path: &str, wall: Duration) {
        let took = Took {
            wall,
            cpu: Duration::ZERO,
        };
        *lock(&self.in_flight).entry(path.to_string()).or_default() += took;
    }

    /// Counts a record's reason when it failed or is partial (a queue worker's records).
    pub fn add_outcome(&self, rec: &Record) {
        lock(&self.outcomes).add(rec.status, &rec.source.path, &rec.errors);
    }

    /// The report of a queue worker, from the outcomes [`add_outcome`](Self::add_outcome)
    /// counted.
    pub fn queue_report(&self, counts: Counts) -> StatsReport {
        build(self, counts, &lock(&self.outcomes), self.elapsed())
    }

    /// The writer has a document's record: its time joins its format's, and the slowest.
    pub fn document_done(&self, rec: &Record) {
        let took = lock(&self.in_flight)
            .remove(&rec.source.path)
            .unwrap_or_default();
        self.finish(
            &rec.source.path,
            &rec.source.format,
            rec.status.as_str(),
            took,
        );
    }

    /// A document's time, measured elsewhere (a queue worker's extraction thread).
    pub fn finish(&self, path: &str, format: &str, status: &str, took: Took) {
        let mut f = lock(&self.finished);
        let totals = f.formats.entry(format.to_string()).or_default();
        totals.documents += 1;
        totals.wall += took.wall;
        totals.cpu += took.cpu;
        let seconds = took.wall.as_secs_f64();
        let full = f.slowest.len() >= SLOWEST;
        if full && f.slowest.last().is_some_and(|s| s.seconds >= seconds) {
            return;
        }
        let at = f.slowest.partition_point(|s| s.seconds >= seconds);
        f.slowest.insert(
            at,
            SlowDocument {
                path: path.to_string(),
                format: format.to_string(),
                status: status.to_string(),
                seconds,
                cpu_s: took.cpu.as_secs_f64(),
            },
        );
        f.slowest.truncate(SLOWEST);
    }

    /// Time since the collector was made.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The stages that saw any work, in order.
    pub fn stage_stats(&self) -> Vec<StageStats> {
        let secs = |a: &AtomicU64| Duration::from_nanos(a.load(Ordering::Relaxed)).as_secs_f64();
        Stage::ALL
            .iter()
            .filter_map(|&stage| {
                let t = self.totals(stage);
                let workers = t.workers.load(Ordering::Relaxed);
                (workers > 0).then(|| {
                    let documents = t.documents.load(Ordering::Relaxed);
                    let busy_s = secs(&t.busy_ns);
                    let wait_s = secs(&t.wait_ns);
                    StageStats {
                        stage: stage.name().to_string(),
                        workers,
                        documents,
                        passed: t.passed.load(Ordering::Relaxed),
                        busy_s,
                        cpu_s: secs(&t.cpu_ns),
                        wait_s,
                        docs_per_busy_s: ratio(documents as f64, busy_s),
                        utilisation: ratio(busy_s, busy_s + wait_s),
                    }
                })
            })
            .collect()
    }

    pub fn format_stats(&self) -> Vec<FormatStats> {
        lock(&self.finished)
            .formats
            .iter()
            .map(|(format, t)| FormatStats {
                format: format.clone(),
                documents: t.documents,
                busy_s: t.wall.as_secs_f64(),
                cpu_s: t.cpu.as_secs_f64(),
                cpu_ms_per_doc: ratio(t.cpu.as_secs_f64() * 1000.0, t.documents as f64),
            })
            .collect()
    }

    pub fn slowest(&self) -> Vec<SlowDocument> {
        lock(&self.finished).slowest.clone()
    }
}

/// A run's document counts, for its report.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub documents: usize,
    pub already_stored: usize,
    pub reprocessed: usize,
    pub ok: usize,
    pub partial: usize,
    pub failed: usize,
}

/// The report of a run whose totals are `counts` and whose failed and partial documents
/// are `outcomes`, `elapsed` long.
pub fn build(
    stats: &RunStats,
    counts: Counts,
    outcomes: &Outcomes,
    elapsed: Duration,
) -> StatsReport {
    let extracted = counts.documents.saturating_sub(counts.already_stored);
    let elapsed_s = elapsed.as_secs_f64();
    StatsReport {
        fingerprint: None,
        elapsed_s,
        documents: counts.documents,
        extracted,
        already_stored: counts.already_stored,
        reprocessed: counts.reprocessed,
        ok: counts.ok,
        partial: counts.partial,
        failed: counts.failed,
        docs_per_s: ratio(extracted as f64, elapsed_s),
        stages: stats.stage_stats(),
        formats: stats.format_stats(),
        slowest: stats.slowest(),
        failures: report::groups(outcomes, Status::Failed),
        partial_reasons: report::groups(outcomes, Status::Partial),
    }
}

/// The report of an `extract` run.
pub fn report(stats: &RunStats, s: &super::Summary) -> StatsReport {
    let counts = Counts {
        documents: s.documents,
        already_stored: s.skipped,
        reprocessed: s.reprocessed,
        ok: s.ok,
        partial: s.partial,
        failed: s.failed,
    };
    build(stats, counts, &s.outcomes, s.elapsed)
}

/// Writes the report as pretty JSON.
pub fn write_json(path: &std::path::Path, report: &StatsReport) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    std::fs::write(path, json)
}

/// `a / b`, 0 when `b` is 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// One worker's view of its stage: the time it works on items, and the time between
/// (waiting for input, or for room in the next stage's queue). Made on the worker's thread.
///
/// The thread's CPU clock is read once per item (a system call, unlike the wall clock):
/// an item's CPU time is the thread's since the previous item ended, which adds the
/// little a thread blocked on a channel spends to the item after the wait.
pub struct WorkerClock {
    stats: Arc<RunStats>,
    stage: Stage,
    idle_since: Instant,
    cpu_mark: Duration,
}

impl WorkerClock {
    /// Runs `f` on one item, timed, and counts the wait before it.
    pub fn time<T>(&mut self, item: Item, f: impl FnOnce() -> T) -> T {
        let started = self.start();
        let out = f();
        self.finish(item, started);
        out
    }

    /// Starts a piece of work: the time since the last one ended counts as waiting.
    pub fn start(&mut self) -> Instant {
        let now = Instant::now();
        let t = self.stats.totals(self.stage);
        t.wait_ns
            .fetch_add(nanos(now - self.idle_since), Ordering::Relaxed);
        now
    }

    /// Ends the piece of work begun at `started`: it was `item`'s.
    pub fn finish(&mut self, item: Item, started: Instant) {
        let took = self.took(started);
        self.stats.add(self.stage, item, took);
    }

    /// Ends the piece of work begun at `started`: a batch of `documents` and `passed`
    /// items together (the writer's).
    pub fn finish_batch(&mut self, documents: usize, passed: usize, started: Instant) {
        let took = self.took(started);
        let t = self.stats.totals(self.stage);
        t.documents.fetch_add(documents as u64, Ordering::Relaxed);
        t.passed.fetch_add(passed as u64, Ordering::Relaxed);
        self.stats.add(self.stage, Item::Overhead, took);
    }

    fn took(&mut self, started: Instant) -> Took {
        let cpu = thread_cpu();
        let took = Took {
            wall: started.elapsed(),
            cpu: cpu.saturating_sub(self.cpu_mark),
        };
        self.cpu_mark = cpu;
        self.idle_since = Instant::now();
        took
    }

    pub fn stats(&self) -> &Arc<RunStats> {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Source;

    fn took(ms: u64) -> Took {
        Took {
            wall: Duration::from_millis(ms),
            cpu: Duration::from_millis(ms / 2),
        }
    }

    fn record(path: &str, format: &str) -> Record {
        let source = Source {
            path: path.to_string(),
            sha256: String::new(),
            format: format.to_string(),
        };
        Record::failed(source, "decode", "not a report")
    }

    #[test]
    fn a_documents_stage_times_add_up_under_its_format() {
        let stats = RunStats::new();
        let _decode = stats.worker(Stage::Decode);
        let _interpret = stats.worker(Stage::Interpret);
        stats.add(Stage::Decode, Item::Doc("a.docx".into()), took(10));
        stats.add(Stage::Interpret, Item::Doc("a.docx".into()), took(30));
        stats.add(Stage::Decode, Item::Doc("b.pdf".into()), took(100));
        stats.add(Stage::Decode, Item::Passed, took(1));
        stats.document_done(&record("a.docx", "docx"));
        stats.document_done(&record("b.pdf", "pdf"));

        let formats = stats.format_stats();
        assert_eq!(formats.len(), 2);
        let docx = formats.iter().find(|f| f.format == "docx").unwrap();
        assert_eq!(docx.documents, 1);
        assert!((docx.busy_s - 0.040).abs() < 1e-9);
        assert!((docx.cpu_s - 0.020).abs() < 1e-9);

        let stages = stats.stage_stats();
        let d = stages.iter().find(|s| s.stage == "decode").unwrap();
        assert_eq!((d.documents, d.passed, d.workers), (2, 1, 1));
        assert!((d.busy_s - 0.111).abs() < 1e-9);
        // Stages without workers are left out.
        assert!(stages.iter().all(|s| s.stage != "recognise"));

        let slow = stats.slowest();
        assert_eq!(slow[0].path, "b.pdf");
        assert_eq!(slow[1].path, "a.docx");
        assert!(lock(&stats.in_flight).is_empty());
    }

    #[test]
    fn only_the_slowest_ten_are_kept_slowest_first() {
        let stats = RunStats::new();
        for i in 0..25u64 {
            // 0, 7, 14, … ms in a scrambled order.
            let ms = (i * 7) % 25 * 3;
            stats.finish(&format!("d{ms}"), "html", "ok", took(ms));
        }
        let slow = stats.slowest();
        assert_eq!(slow.len(), SLOWEST);
        let seconds: Vec<f64> = slow.iter().map(|s| s.seconds).collect();
        assert!(seconds.windows(2).all(|w| w[0] >= w[1]), "{seconds:?}");
        assert_eq!(slow[0].path, "d72");
        assert_eq!(slow[SLOWEST - 1].path, "d45");
    }
}
