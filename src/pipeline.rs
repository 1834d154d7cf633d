//! The staged pipeline: read → decode → recognise → interpret → check → write, each stage its own
//! threads, connected by bounded crossbeam channels so memory stays flat however many
//! files a run has. Every document reaches the writer as a record, failed or not.

mod progress;
mod reemit;
mod shard;
pub mod stats;
mod summary;
mod watchdog;
mod writer;

pub use shard::Shard;
pub use summary::Summary;

use crate::budget::MemoryBudget;
use crate::config::Config;
use crate::document::Document;
use crate::extract::{self, guarded, Decoded};
use crate::ocr::LazyEngine;
use crate::record::{Record, Source};
use crate::select::{Selection, SkipCounts};
use crate::sinks::sink::RunInfo;
use crate::sinks::sqlite::SinkOptions;
use crate::sinks::{ErrorsSink, JsonlSink, PostgresSink, Sink, SqliteSink};
use crate::sources::{self, Listed, ReadItem, Reader};
use crate::template::Templates;
use crate::version::run_info;
use crossbeam_channel::{bounded, Receiver, Sender};
use progress::{Progress, StageCounters};
use stats::{Item, RunStats, Stage};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

pub struct RunOptions {
    /// Paths named on the command line: read whatever the default skip rules say.
    pub paths: Vec<PathBuf>,
    /// `--files-from`: a file listing paths one per line (`-` for stdin); they are judged
    /// by the skip rules like files met in a folder.
    pub files_from: Option<PathBuf>,
    /// `--include` / `--exclude` globs (see [`crate::select`]).
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// The SQLite database; `None` writes no database.
    pub db: Option<PathBuf>,
    /// `--postgres URL`: write to this PostgreSQL server instead of SQLite.
    pub postgres: Option<String>,
    /// `--shard I/N`: read only the files of shard I of N.
    pub shard: Option<Shard>,
    pub jsonl: Option<PathBuf>,
    /// `--errors`: every failed or partial document with its reasons, as JSON lines.
    pub errors: Option<PathBuf>,
    /// Re-extract documents already stored (by content sha256).
    pub force: bool,
    /// `--reprocess-outdated`: re-extract the stored documents whose report another
    /// pipeline made (another [`crate::fingerprint`]); skip the others.
    pub reprocess_outdated: bool,
    /// `--stats FILE`: write the run's statistics there as JSON.
    pub stats: Option<PathBuf>,
    pub quiet: bool,
    pub config: Config,
    pub templates: Templates,
}

/// What travels between stages.
enum Work<T> {
    Doc(T),
    /// Stored already: passed through to the writer, which may re-emit it to JSONL.
    Skipped {
        sha256: String,
        path: String,
    },
}

/// Starts `n` workers that map every item of `rx` through `f` into `tx`, with state each
/// worker makes for itself on its own thread (`init`) and reuses for every item, such as
/// an OCR engine that must not cross threads.
fn spawn_stage_with<I, O, S, N, F>(
    name: &str,
    n: usize,
    rx: Receiver<I>,
    tx: Sender<O>,
    init: N,
    f: F,
) -> Vec<std::thread::JoinHandle<()>>
where
    I: Send + 'static,
    O: Send + 'static,
    N: Fn() -> S + Send + Sync + 'static,
    F: Fn(&mut S, I) -> O + Send + Sync + 'static,
{
    let shared = Arc::new((init, f));
    (0..n)
        .map(|i| {
            let (rx, tx, shared) = (rx.clone(), tx.clone(), Arc::clone(&shared));
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    let (init, f) = &*shared;
                    let mut state = init();
                    for item in rx {
                        if tx.send(f(&mut state, item)).is_err() {
                            break;
                        }
                    }
                })
                .unwrap_or_else(|e| panic!("cannot start a {name} thread: {e}"))
        })
        .collect()
}

/// Runs the whole job; returns the summary, or an error only when the run itself cannot
/// go on (a bad glob, an unreadable `--files-from`, the database cannot be opened or
/// written). Per-document and per-path problems are records.
pub fn run(opts: RunOptions) -> anyhow::Result<Summary> {
    let start = Instant::now();
    let cfg = opts.config.clone();
    let stages = &cfg.stages;

    let sink_options = SinkOptions {
        store_record_json: cfg.sqlite.store_record_json,
    };
    let mut info = run_info();
    let fingerprint = crate::fingerprint::fingerprint(&opts.templates, &cfg, &info);
    info.fingerprint = Some(fingerprint.clone());
    let mut db = open_sink(&opts, sink_options, &info)?;
    // Stored documents are skipped; with --jsonl, only those whose record can be re-emitted;
    // with --reprocess-outdated, only those this pipeline made.
    let (known, outdated) =
        stored_to_skip(db.as_mut(), &opts, &fingerprint).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let known = Arc::new(known);
    let run_stats = RunStats::new();
    let jsonl = match &opts.jsonl {
        Some(p) => Some(
            JsonlSink::create(p)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        ),
        None => None,
    };
    let errors_out = match &opts.errors {
        Some(p) => Some(
            ErrorsSink::create(p)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        ),
        None => None,
    };

    // What this run writes is never read as input.
    let mut outputs: Vec<PathBuf> = opts
        .db
        .as_deref()
        .map(Selection::database_files)
        .unwrap_or_default();
    outputs.extend(opts.jsonl.iter().filter(|p| p.as_os_str() != "-").cloned());
    outputs.extend(opts.errors.iter().cloned());
    outputs.extend(opts.stats.iter().cloned());
    let selection = Arc::new(
        Selection::new(&opts.include, &opts.exclude, &outputs).map_err(|e| anyhow::anyhow!(e))?,
    );
    let listed_paths = match &opts.files_from {
        Some(f) => read_path_list(f)?,
        None => Vec::new(),
    };
    let skipped_by_rule = Arc::new(SkipCounts::default());
    let mut files = sources::list_inputs(&opts.paths, &listed_paths, &selection, &skipped_by_rule);
    if let Some(shard) = opts.shard {
        files.retain(|f| match f {
            Listed::File(path) => shard.owns(&path.display().to_string()),
            Listed::Failed { path, .. } => shard.owns(path),
        });
    }
    tracing::info!(
        "{} paths to read; skipped: {}",
        files.len(),
        SkipCounts::describe(&skipped_by_rule.snapshot())
    );
    let n_files_for_bar = files.len() as u64;

    let counters = Arc::new(StageCounters::default());
    let templates = Arc::new(opts.templates.clone());
    let cap = stages.channel_capacity;

    // read: paths → bytes (archives expand to several documents)
    let (path_tx, path_rx) = bounded::<Listed>(cap * stages.read);
    let (read_tx, read_rx) = bounded::<Work<ReadItem>>(cap * stages.decode);
    let (dec_tx, dec_rx) = bounded::<Work<Decoded>>(cap * stages.recognise);
    let (rec_tx, rec_rx) = bounded::<Work<Decoded>>(cap * stages.interpret);
    let (int_tx, int_rx) = bounded::<Work<Record>>(cap * stages.check);
    let (chk_tx, chk_rx) = bounded::<Work<Record>>(cap * 4);

    let feeder = std::thread::spawn(move || {
        for f in files {
            if path_tx.send(f).is_err() {
                break;
            }
        }
    });
    let mut handles = Vec::new();
    // Documents in flight hold their bytes of it from read until their record is made.
    let memory = MemoryBudget::new(cfg.limits.memory_mb << 20);
    {
        let reader = Arc::new(Reader {
            max_file: cfg.limits.max_file_mb << 20,
            max_member: cfg.limits.max_member_mb << 20,
            max_members: cfg.limits.max_archive_members,
            memory: Arc::clone(&memory),
            selection: Arc::clone(&selection),
            skipped: Arc::clone(&skipped_by_rule),
        });
        for i in 0..stages.read {
            let (rx, tx, known, counters, reader, run_stats) = (
                path_rx.clone(),
                read_tx.clone(),
                Arc::clone(&known),
                Arc::clone(&counters),
                Arc::clone(&reader),
                Arc::clone(&run_stats),
            );
            handles.push(
                std::thread::Builder::new()
                    .name(format!("read-{i}"))
                    .spawn(move || {
                        let mut clock = run_stats.worker(Stage::Read);
                        // Set when the writer has stopped: reading on would be wasted.
                        let mut stopped = false;
                        for listed in rx {
                            // A member's reading is the time since the previous one was
                            // handed on (an archive emits many).
                            let mut started = clock.start();
                            let mut emit = |item: ReadItem| {
                                counters.read.fetch_add(1, Ordering::Relaxed);
                                let work = match item {
                                    ReadItem::Input(inp) if known.contains(&inp.sha256) => {
                                        Work::Skipped {
                                            sha256: inp.sha256,
                                            path: inp.path,
                                        }
                                    }
                                    other => Work::Doc(other),
                                };
                                clock.finish(read_item(&work), started);
                                stopped |= tx.send(work).is_err();
                                started = clock.start();
                            };
                            match listed {
                                Listed::File(path) => reader.read(&path, &mut emit),
                                Listed::Failed { path, message } => {
                                    emit(ReadItem::Unreadable { path, message })
                                }
                            }
                            clock.finish(Item::Overhead, started);
                            if stopped {
                                break;
                            }
                        }
                    })?,
            );
        }
    }
    drop(read_tx);
    drop(path_rx);

    // Each document is held to the time limit in the stages that can run long.
    let limit = watchdog::doc_limit(cfg.limits.doc_timeout_s);
    let (c, st) = (Arc::clone(&counters), Arc::clone(&run_stats));
    handles.extend(watchdog::spawn_timed(
        "decode",
        stages.decode,
        read_rx,
        dec_tx,
        move || st.worker(Stage::Decode),
        move |clock, w| {
            let item = read_item(&w);
            let out = clock.time(item, || match w {
                Work::Doc(ReadItem::Input(input)) => Work::Doc(extract::decode(input)),
                Work::Doc(ReadItem::Unreadable { path, message }) => {
                    let source = Source {
                        path,
                        sha256: String::new(),
                        format: "unknown".to_string(),
                    };
                    Work::Doc(Decoded::Failed(Box::new(Record::failed(
                        source, "read", message,
                    ))))
                }
                Work::Skipped { sha256, path } => Work::Skipped { sha256, path },
            });
            c.decoded.fetch_add(1, Ordering::Relaxed);
            out
        },
        counted(watchdog::decode_limit(limit), &run_stats),
    ));
    let (c, t, st) = (
        Arc::clone(&counters),
        Arc::clone(&templates),
        Arc::clone(&run_stats),
    );
    let page_text = cfg.ocr.page_text;
    handles.extend(watchdog::spawn_timed(
        "recognise",
        stages.recognise,
        dec_rx,
        rec_tx,
        move || (LazyEngine::with(&t, page_text), st.worker(Stage::Recognise)),
        move |(engine, clock), mut w| {
            if let Work::Doc(decoded) = &mut w {
                clock.time(decoded_item(decoded), || {
                    extract::recognise(decoded, engine)
                });
            } else {
                clock.time(Item::Passed, || ());
            }
            c.recognised.fetch_add(1, Ordering::Relaxed);
            w
        },
        counted(watchdog::recognise_limit(limit), &run_stats),
    ));
    let (c, t, st) = (
        Arc::clone(&counters),
        Arc::clone(&templates),
        Arc::clone(&run_stats),
    );
    handles.extend(watchdog::spawn_timed(
        "interpret",
        stages.interpret,
        rec_rx,
        int_tx,
        move || st.worker(Stage::Interpret),
        move |clock, w| {
            let item = match &w {
                Work::Doc(decoded) => decoded_item(decoded),
                Work::Skipped { .. } => Item::Passed,
            };
            let out = clock.time(item, || match w {
                // The document's memory hold is given back as its record is made.
                Work::Doc(Decoded::Document(source, doc, _hold)) => {
                    Work::Doc(interpret_guarded(source, doc, &t))
                }
                Work::Doc(Decoded::Failed(rec)) => Work::Doc(*rec),
                Work::Skipped { sha256, path } => Work::Skipped { sha256, path },
            });
            c.interpreted.fetch_add(1, Ordering::Relaxed);
            out
        },
        counted(watchdog::interpret_limit(limit), &run_stats),
    ));
    let (c, t, st) = (
        Arc::clone(&counters),
        Arc::clone(&templates),
        Arc::clone(&run_stats),
    );
    handles.extend(spawn_stage_with(
        "check",
        stages.check,
        int_rx,
        chk_tx,
        move || st.worker(Stage::Check),
        move |clock, w| {
            let item = match &w {
                Work::Doc(rec) => Item::Doc(rec.source.path.clone()),
                Work::Skipped { .. } => Item::Passed,
            };
            let out = clock.time(item, || match w {
                Work::Doc(mut rec) => {
                    match guarded("checking", || extract::checks_for(&rec, &t)) {
                        Ok(checks) => rec.checks = checks,
                        Err(e) => rec.error("check", e),
                    }
                    Work::Doc(rec)
                }
                Work::Skipped { sha256, path } => Work::Skipped { sha256, path },
            });
            c.checked.fetch_add(1, Ordering::Relaxed);
            out
        },
    ));

    // write: this thread, so the database connection never crosses threads.
    let progress = Progress::new(opts.quiet, Arc::clone(&counters), n_files_for_bar);
    let mut writer = writer::Writer {
        sink: db,
        jsonl,
        errors_out,
        batch_size: cfg.sqlite.batch.max(1),
        clock: run_stats.worker(Stage::Write),
        outdated,
        summary: Summary {
            errors_file: opts.errors.as_ref().map(|p| p.display().to_string()),
            ..Summary::default()
        },
    };
    let drained = writer.drain(&chk_rx, &progress);
    drop(chk_rx);
    // A reader waiting for memory held by documents nobody will finish must not wait.
    memory.close();
    let _ = feeder.join();
    for h in handles {
        let _ = h.join();
    }
    let result = writer.finish(drained);
    let mut summary = std::mem::take(&mut writer.summary);
    result?;
    summary.skipped_by_rule = skipped_by_rule.snapshot();
    summary.elapsed = start.elapsed();
    let mut report = stats::report(&run_stats, &summary);
    report.fingerprint = Some(fingerprint);
    if let Some(path) = &opts.stats {
        if let Err(e) = stats::write_json(path, &report) {
            summary.output_error = Some(format!("writing the statistics file: {e}"));
        }
    }
    summary.stats = Some(report);
    progress.finish(&summary);
    Ok(summary)
}

/// `limit`, with the time of a document abandoned past it added to its statistics (the
/// stage never ends to measure it).
fn counted<I, O: 'static>(
    limit: watchdog::Limit<I, O>,
    stats: &Arc<RunStats>,
) -> watchdog::Limit<I, O> {
    let stats = Arc::clone(stats);
    let timed_out = limit.timed_out;
    watchdog::Limit {
        timed_out: Box::new(move |source, took| {
            stats.add_abandoned(&source.path, took);
            timed_out(source, took)
        }),
        ..limit
    }
}

/// What a read item is for the statistics: a document by its path, or one passing through.
fn read_item(w: &Work<ReadItem>) -> Item {
    match w {
        Work::Doc(ReadItem::Input(input)) => Item::Doc(input.path.clone()),
        Work::Doc(ReadItem::Unreadable { path, .. }) => Item::Doc(path.clone()),
        Work::Skipped { .. } => Item::Passed,
    }
}

fn decoded_item(d: &Decoded) -> Item {
    match d {
        Decoded::Document(source, _, _) => Item::Doc(source.path.clone()),
        Decoded::Failed(rec) => Item::Doc(rec.source.path.clone()),
    }
}

/// The sha256 values a run skips, and (with `--reprocess-outdated`) those of stored
/// documents another pipeline made, which it extracts again.
fn stored_to_skip(
    db: Option<&mut Box<dyn Sink>>,
    opts: &RunOptions,
    fingerprint: &str,
) -> anyhow::Result<(HashSet<String>, HashSet<String>)> {
    let Some(db) = db.filter(|_| !opts.force) else {
        return Ok(Default::default());
    };
    let need_json = opts.jsonl.is_some();
    if !opts.reprocess_outdated {
        return Ok((db.known_hashes(need_json)?, HashSet::new()));
    }
    let current = db.current_hashes(need_json, fingerprint)?;
    let made_here = db.current_hashes(false, fingerprint)?;
    let outdated = db
        .known_hashes(false)?
        .into_iter()
        .filter(|h| !made_here.contains(h))
        .collect();
    Ok((current, outdated))
}

/// The run's database, its run begun: PostgreSQL with `--postgres`, else the SQLite file,
/// else none.
fn open_sink(
    opts: &RunOptions,
    options: SinkOptions,
    info: &RunInfo,
) -> anyhow::Result<Option<Box<dyn Sink>>> {
    let mut sink: Box<dyn Sink> = match (&opts.postgres, &opts.db) {
        (Some(url), _) => Box::new(
            PostgresSink::open(url, &opts.templates, options)
                .map_err(|e| anyhow::anyhow!("cannot open the PostgreSQL database: {e:#}"))?,
        ),
        (None, Some(p)) => Box::new(
            SqliteSink::open(p, &opts.templates, options)
                .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", p.display()))?,
        ),
        (None, None) => return Ok(None),
    };
    sink.begin_run(info)
        .map_err(|e| anyhow::anyhow!("writing the database: {e:#}"))?;
    Ok(Some(sink))
}

/// The paths of `--files-from`: one a line (`-`: stdin), blank lines ignored.
fn read_path_list(file: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| anyhow::anyhow!("reading the path list from stdin: {e}"))?
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("reading the path list {}: {e}", file.display()))?
    };
    Ok(text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .collect())
}

fn interpret_guarded(source: Source, doc: Document, templates: &Templates) -> Record {
    let fallback = source.clone();
    guarded("interpreting", || {
        extract::interpret(source, &doc, templates)
    })
    .unwrap_or_else(|e| Record::failed(fallback, "interpret", e))
}
