//! `nianbao work --postgres URL`: claims jobs, extracts them, stores their records and
//! marks them done, in one transaction per claimed batch, until the queue is empty (or,
//! with `--wait`, forever). Each thread has its own connection and OCR engine.

use super::executor::Executor;
use super::{claim, fail_exhausted, running, ClaimPolicy, Job};
use crate::config::Config;
use crate::pipeline::stats::{RunStats, Span, Stage};
use crate::record::{Record, Source, Status};
use crate::select::{Selection, SkipCounts};
use crate::sinks::postgres::writes;
use crate::sinks::sqlite::SinkOptions;
use crate::sinks::{PostgresSink, Sink};
use crate::sources::{ReadItem, Reader};
use crate::template::Templates;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct WorkOptions {
    pub url: String,
    /// Worker threads in this process, each claiming on its own.
    pub threads: usize,
    pub lease_s: f64,
    pub max_attempts: i32,
    pub batch: i64,
    /// Keep polling an empty queue instead of exiting.
    pub wait: bool,
    /// Extract again the stored documents another pipeline made, of every job (not only
    /// of those `enqueue --reprocess-outdated` queued again).
    pub reprocess_outdated: bool,
    pub config: Config,
    pub templates: Arc<Templates>,
    /// The statistics of this process's threads (`nianbao work --stats FILE`).
    pub stats: Arc<RunStats>,
}

/// What this process did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Worked {
    pub jobs: usize,
    pub documents: usize,
    pub ok: usize,
    pub partial: usize,
    pub failed: usize,
    pub already_stored: usize,
    /// Of the extracted, those stored by another pipeline and extracted again.
    pub reprocessed: usize,
    /// Jobs failed for good by this process (their attempts used up).
    pub jobs_failed: usize,
}

impl Worked {
    fn add(&mut self, o: Worked) {
        self.jobs += o.jobs;
        self.documents += o.documents;
        self.ok += o.ok;
        self.partial += o.partial;
        self.failed += o.failed;
        self.already_stored += o.already_stored;
        self.reprocessed += o.reprocessed;
        self.jobs_failed += o.jobs_failed;
    }
}

/// Runs the worker threads until the queue is empty; the first thread that cannot reach
/// the database stops the others.
pub fn work(opts: WorkOptions) -> anyhow::Result<Worked> {
    let opts = Arc::new(opts);
    let stop = Arc::new(AtomicBool::new(false));
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".to_string());
    let handles: Vec<_> = (0..opts.threads.max(1))
        .map(|i| {
            let (opts, stop) = (Arc::clone(&opts), Arc::clone(&stop));
            let worker = format!("{host}:{}:{i}", std::process::id());
            std::thread::Builder::new()
                .name(format!("work-{i}"))
                .spawn(move || {
                    let r = work_thread(&opts, worker, &stop);
                    if r.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    r
                })
        })
        .collect::<Result<_, _>>()?;
    let mut total = Worked::default();
    let mut first_error = None;
    for h in handles {
        match h.join() {
            Ok(Ok(w)) => total.add(w),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(_) => {
                first_error.get_or_insert(anyhow::anyhow!("a worker thread panicked"));
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

fn work_thread(opts: &WorkOptions, worker: String, stop: &AtomicBool) -> anyhow::Result<Worked> {
    let options = SinkOptions {
        store_record_json: opts.config.sqlite.store_record_json,
    };
    let mut sink = PostgresSink::open(&opts.url, &opts.templates, options)?;
    let mut info = crate::version::run_info();
    let fingerprint = crate::fingerprint::fingerprint(&opts.templates, &opts.config, &info);
    info.fingerprint = Some(fingerprint.clone());
    sink.begin_run(&info)?;
    let policy = ClaimPolicy {
        worker,
        lease_s: opts.lease_s,
        max_attempts: opts.max_attempts,
        batch: opts.batch.max(1),
    };
    let reader = Reader {
        max_file: opts.config.limits.max_file_mb << 20,
        max_member: opts.config.limits.max_member_mb << 20,
        max_members: opts.config.limits.max_archive_members,
        // A worker extracts one document at a time: the budget bounds that one.
        memory: crate::budget::MemoryBudget::new(opts.config.limits.memory_mb << 20),
        selection: Arc::new(Selection::new(&[], &[], &[]).map_err(|e| anyhow::anyhow!(e))?),
        skipped: Arc::new(SkipCounts::default()),
    };
    let limit = match opts.config.limits.doc_timeout_s {
        0 => Duration::MAX,
        s => Duration::from_secs(s),
    };
    let mut executor = Executor::new(
        Arc::clone(&opts.templates),
        opts.config.ocr.page_text,
        limit,
        Arc::clone(&opts.stats),
    );
    let mut done = Worked::default();
    let mut idle_since: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        let exhausted = fail_exhausted(sink.client(), policy.max_attempts)?;
        if !exhausted.is_empty() {
            done.jobs_failed += exhausted.len();
            let records: Vec<Record> = exhausted
                .into_iter()
                .map(|(path, sha256, reason)| {
                    let source = Source {
                        path,
                        sha256,
                        format: "unknown".to_string(),
                    };
                    Record::failed(source, "queue", reason)
                })
                .collect();
            sink.write_batch(&records, &[])?;
        }
        let jobs = claim(sink.client(), &policy)?;
        if jobs.is_empty() {
            // Done when nothing is queued or running; a running job may yet be abandoned
            // (its lease runs out), so wait for it.
            if !opts.wait && running(sink.client())? == 0 {
                break;
            }
            let idle = idle_since.get_or_insert_with(Instant::now);
            let pause = if idle.elapsed() < Duration::from_secs(2) {
                Duration::from_millis(100)
            } else {
                Duration::from_secs(1)
            };
            std::thread::sleep(pause);
            continue;
        }
        idle_since = None;
        let current = Current {
            fingerprint: &fingerprint,
            every_job: opts.reprocess_outdated,
        };
        let outcome = process(
            &mut sink,
            &reader,
            &mut executor,
            &jobs,
            (&policy, current),
            &opts.stats,
        )?;
        done.add(outcome);
    }
    let totals = crate::sinks::sink::RunTotals {
        documents: done.documents,
        ok: done.ok,
        partial: done.partial,
        failed: done.failed,
        already_stored: done.already_stored,
    };
    sink.finish_run(totals)?;
    Ok(done)
}

/// Extracts the claimed jobs and stores their records, marking them done, in one
/// transaction.
fn process(
    sink: &mut PostgresSink,
    reader: &Reader,
    executor: &mut Executor,
    jobs: &[Job],
    (policy, current): (&ClaimPolicy, Current),
    stats: &RunStats,
) -> anyhow::Result<Worked> {
    let max_attempts = policy.max_attempts;
    let mut out = Worked {
        jobs: jobs.len(),
        ..Worked::default()
    };
    let mut records = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut per_job: Vec<(i64, i32)> = Vec::with_capacity(jobs.len());
    let mut renewed = Instant::now();
    for job in jobs {
        // A batch of slow documents may outlast the lease: hold it while working.
        if renewed.elapsed().as_secs_f64() > policy.lease_s / 3.0 {
            super::renew(sink.client(), jobs, policy)?;
            renewed = Instant::now();
        }
        let mut items = Vec::new();
        let span = Span::start();
        match &job.bytes {
            Some(bytes) => reader.read_bytes(&job.path, bytes.clone(), &mut |i| items.push(i)),
            None => reader.read(std::path::Path::new(&job.path), &mut |i| items.push(i)),
        }
        stats.add_batch(Stage::Read, items.len(), 0, span.end());
        per_job.push((job.id, i32::try_from(items.len()).unwrap_or(i32::MAX)));
        let reprocess = job.reprocess || current.every_job;
        for item in items {
            out.documents += 1;
            let stored = match &item {
                ReadItem::Input(input) => stored_by(sink, &input.sha256, current.fingerprint)?,
                ReadItem::Unreadable { .. } => Stored::No,
            };
            match item {
                ReadItem::Input(input)
                    if stored == Stored::ByCurrent(true)
                        || (stored == Stored::ByCurrent(false) && !reprocess) =>
                {
                    out.already_stored += 1;
                    seen.push((input.sha256, input.path));
                }
                ReadItem::Input(input) => {
                    out.reprocessed += usize::from(stored == Stored::ByCurrent(false));
                    let rec = executor.extract(input);
                    stats.document_done(&rec);
                    stats.add_outcome(&rec);
                    match rec.status {
                        Status::Ok => out.ok += 1,
                        Status::Partial => out.partial += 1,
                        Status::Failed => out.failed += 1,
                    }
                    records.push(rec);
                }
                ReadItem::Unreadable { path, message } => {
                    out.failed += 1;
                    let source = Source {
                        path,
                        sha256: String::new(),
                        format: "unknown".to_string(),
                    };
                    let rec = Record::failed(source, "read", message);
                    stats.document_done(&rec);
                    stats.add_outcome(&rec);
                    records.push(rec);
                }
            }
        }
    }
    let span = Span::start();
    let stored = store(sink, &records, &seen, &per_job);
    stats.add_batch(Stage::Write, records.len(), seen.len(), span.end());
    match stored {
        Ok(()) => Ok(out),
        Err(e) if sink.client().is_closed() => Err(e),
        // The database refused this batch (not the connection): its jobs go back to the
        // queue with the reason, failed once their attempts are used up.
        Err(e) => {
            let reason = format!("storing the records: {e:#}");
            tracing::warn!("{} jobs: {reason}", jobs.len());
            let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
            sink.client().execute(
                "UPDATE queue SET lease_until = NULL, last_error = $3,
                     state = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'queued' END,
                     finished_at = CASE WHEN attempts >= $2 THEN now() END
                 WHERE id = ANY($1)",
                &[&ids, &max_attempts, &reason],
            )?;
            Ok(Worked::default())
        }
    }
}

/// The batch's records, the paths of stored documents seen again, and its jobs marked
/// done: one transaction.
fn store(
    sink: &mut PostgresSink,
    records: &[Record],
    seen: &[(String, String)],
    per_job: &[(i64, i32)],
) -> anyhow::Result<()> {
    let run_id = sink.run_id();
    let store_json = sink.options().store_record_json;
    let mut tx = sink.client().transaction()?;
    writes::write_records(&mut tx, records, run_id, store_json)?;
    writes::seen_again(&mut tx, seen)?;
    let ids: Vec<i64> = per_job.iter().map(|j| j.0).collect();
    let counts: Vec<i32> = per_job.iter().map(|j| j.1).collect();
    tx.execute(
        "UPDATE queue q SET state = 'done', finished_at = now(), documents = n.documents,
             last_error = NULL, lease_until = NULL
         FROM unnest($1::bigint[], $2::int[]) AS n(id, documents)
         WHERE q.id = n.id",
        &[&ids, &counts],
    )?;
    tx.commit()?;
    Ok(())
}

/// Which pipeline's reports are current, and for which jobs outdated ones are extracted
/// again.
#[derive(Clone, Copy)]
struct Current<'a> {
    fingerprint: &'a str,
    /// Every job's (`work --reprocess-outdated`), not only those queued again for it.
    every_job: bool,
}

/// Whether a document is stored (not failed), and if so whether by this pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    No,
    ByCurrent(bool),
}

/// Stored already and not failed: seen again, not extracted again, unless another
/// pipeline made it and the job is to reprocess it.
fn stored_by(sink: &mut PostgresSink, sha256: &str, fingerprint: &str) -> anyhow::Result<Stored> {
    let row = sink.client().query_opt(
        "SELECT u.fingerprint IS NOT DISTINCT FROM $2 FROM reports r
             LEFT JOIN runs u ON u.id = r.run_id
         WHERE r.sha256 = $1 AND r.status <> 'failed'",
        &[&sha256, &fingerprint],
    )?;
    Ok(row.map_or(Stored::No, |r| Stored::ByCurrent(r.get(0))))
}
