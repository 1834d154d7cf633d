//! The staged pipeline: read → decode → recognise → interpret → check → write, each stage its own
//! threads, connected by bounded crossbeam channels so memory stays flat however many
//! files a run has. Every document reaches the writer as a record, failed or not.

use crate::budget::MemoryBudget;
use crate::config::Config;
use crate::document::Document;
use crate::extract::{self, guarded, Decoded};
use crate::ocr::LazyEngine;
use crate::outcomes::Outcomes;
use crate::record::{Record, Source, Status};
use crate::select::{Selection, SkipCounts, SkipReason};
use crate::sinks::sqlite::{RunTotals, SeenAgain, SinkOptions};
use crate::sinks::{ErrorsSink, JsonlSink, SqliteSink};
use crate::sources::{self, Listed, ReadItem, Reader};
use crate::template::Templates;
use crossbeam_channel::{bounded, Receiver, Sender};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    pub jsonl: Option<PathBuf>,
    /// `--errors`: every failed or partial document with its reasons, as JSON lines.
    pub errors: Option<PathBuf>,
    /// Re-extract documents already stored (by content sha256).
    pub force: bool,
    pub quiet: bool,
    pub config: Config,
    pub templates: Templates,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub documents: usize,
    pub ok: usize,
    pub partial: usize,
    pub failed: usize,
    /// Already in the database (same sha256), not extracted again.
    pub skipped: usize,
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
        if let Some(why) = &self.jsonl_stopped {
            let _ = writeln!(out, "JSONL output stopped early: {why}");
        }
        if let Some(e) = &self.output_error {
            let _ = writeln!(out, "incomplete output: {e}");
        }
        let stored = match self.skipped_partial {
            0 => format!("{} already stored", self.skipped),
            p => format!("{} already stored ({p} of them partial)", self.skipped),
        };
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

/// What travels between stages.
enum Work<T> {
    Doc(T),
    /// Stored already: passed through to the writer, which may re-emit it to JSONL.
    Skipped {
        sha256: String,
        path: String,
    },
}

/// Counters shown on the progress lines.
#[derive(Default)]
struct StageCounters {
    read: AtomicUsize,
    decoded: AtomicUsize,
    recognised: AtomicUsize,
    interpreted: AtomicUsize,
    checked: AtomicUsize,
}

/// Starts `n` workers that map every item of `rx` through `f` into `tx`.
fn spawn_stage<I, O, F>(
    name: &str,
    n: usize,
    rx: Receiver<I>,
    tx: Sender<O>,
    f: F,
) -> Vec<std::thread::JoinHandle<()>>
where
    I: Send + 'static,
    O: Send + 'static,
    F: Fn(I) -> O + Send + Sync + 'static,
{
    spawn_stage_with(name, n, rx, tx, || (), move |_, item| f(item))
}

/// Like [`spawn_stage`], with state each worker makes for itself on its own thread
/// (`init`) and reuses for every item, such as an OCR engine that must not cross threads.
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
    let mut db = match &opts.db {
        Some(p) => {
            let mut db = SqliteSink::open(p, &opts.templates, sink_options)
                .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", p.display()))?;
            db.begin_run(&crate::version::run_info())
                .map_err(|e| anyhow::anyhow!("writing the database: {e}"))?;
            Some(db)
        }
        None => None,
    };
    // Stored documents are skipped; with --jsonl, only those whose record can be re-emitted.
    let known: Arc<HashSet<String>> = Arc::new(match (&db, opts.force) {
        (Some(db), false) => db
            .known_hashes(opts.jsonl.is_some())
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        _ => HashSet::new(),
    });
    let mut jsonl = match &opts.jsonl {
        Some(p) => Some(
            JsonlSink::create(p)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        ),
        None => None,
    };
    let mut errors_out = match &opts.errors {
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
    let selection = Arc::new(
        Selection::new(&opts.include, &opts.exclude, &outputs).map_err(|e| anyhow::anyhow!(e))?,
    );
    let listed_paths = match &opts.files_from {
        Some(f) => read_path_list(f)?,
        None => Vec::new(),
    };
    let skipped_by_rule = Arc::new(SkipCounts::default());
    let files = sources::list_inputs(&opts.paths, &listed_paths, &selection, &skipped_by_rule);
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
            let (rx, tx, known, counters, reader) = (
                path_rx.clone(),
                read_tx.clone(),
                Arc::clone(&known),
                Arc::clone(&counters),
                Arc::clone(&reader),
            );
            handles.push(
                std::thread::Builder::new()
                    .name(format!("read-{i}"))
                    .spawn(move || {
                        // Set when the writer has stopped: reading on would be wasted.
                        let mut stopped = false;
                        for listed in rx {
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
                                stopped |= tx.send(work).is_err();
                            };
                            match listed {
                                Listed::File(path) => reader.read(&path, &mut emit),
                                Listed::Failed { path, message } => {
                                    emit(ReadItem::Unreadable { path, message })
                                }
                            }
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

    let c = Arc::clone(&counters);
    handles.extend(spawn_stage(
        "decode",
        stages.decode,
        read_rx,
        dec_tx,
        move |w| {
            let out = match w {
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
            };
            c.decoded.fetch_add(1, Ordering::Relaxed);
            out
        },
    ));
    let (c, t) = (Arc::clone(&counters), Arc::clone(&templates));
    let page_text = cfg.ocr.page_text;
    handles.extend(spawn_stage_with(
        "recognise",
        stages.recognise,
        dec_rx,
        rec_tx,
        move || LazyEngine::with(&t, page_text),
        move |engine, mut w| {
            if let Work::Doc(decoded) = &mut w {
                extract::recognise(decoded, engine);
            }
            c.recognised.fetch_add(1, Ordering::Relaxed);
            w
        },
    ));
    let (c, t) = (Arc::clone(&counters), Arc::clone(&templates));
    handles.extend(spawn_stage(
        "interpret",
        stages.interpret,
        rec_rx,
        int_tx,
        move |w| {
            let out = match w {
                // The document's memory hold is given back as its record is made.
                Work::Doc(Decoded::Document(source, doc, _hold)) => {
                    Work::Doc(interpret_guarded(source, doc, &t))
                }
                Work::Doc(Decoded::Failed(rec)) => Work::Doc(*rec),
                Work::Skipped { sha256, path } => Work::Skipped { sha256, path },
            };
            c.interpreted.fetch_add(1, Ordering::Relaxed);
            out
        },
    ));
    let (c, t) = (Arc::clone(&counters), Arc::clone(&templates));
    handles.extend(spawn_stage(
        "check",
        stages.check,
        int_rx,
        chk_tx,
        move |w| {
            let out = match w {
                Work::Doc(mut rec) => {
                    match guarded("checking", || extract::checks_for(&rec, &t)) {
                        Ok(checks) => rec.checks = checks,
                        Err(e) => rec.error("check", e),
                    }
                    Work::Doc(rec)
                }
                Work::Skipped { sha256, path } => Work::Skipped { sha256, path },
            };
            c.checked.fetch_add(1, Ordering::Relaxed);
            out
        },
    ));

    // write: this thread, so the database connection never crosses threads.
    let progress = Progress::new(opts.quiet, Arc::clone(&counters), n_files_for_bar);
    let mut summary = Summary {
        errors_file: opts.errors.as_ref().map(|p| p.display().to_string()),
        ..Summary::default()
    };
    let mut batch: Vec<Record> = Vec::with_capacity(cfg.sqlite.batch);
    // Stored documents this run found again: their paths join the report's sources.
    let mut seen: Vec<SeenAgain> = Vec::new();
    let mut result: anyhow::Result<()> = Ok(());
    let flush = |batch: &mut Vec<Record>,
                 seen: &mut Vec<SeenAgain>,
                 db: &mut Option<SqliteSink>|
     -> anyhow::Result<()> {
        if let Some(db) = db.as_mut() {
            db.write_batch(batch, seen)
                .map_err(|e| anyhow::anyhow!("writing the database: {e}"))?;
        }
        batch.clear();
        seen.clear();
        Ok(())
    };
    // A JSONL write that fails closes the JSONL output: said once, and the batch goes on
    // into the database (a reader such as `head -1` that went away is no error of ours).
    let has_db = db.is_some();
    let jsonl_failed = |e: std::io::Error, written: usize, summary: &mut Summary| {
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
    };
    loop {
        let first = match chk_rx.recv_timeout(Duration::from_millis(200)) {
            Ok(w) => Some(w),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                progress.tick(&summary);
                continue;
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => None,
        };
        let Some(first) = first else { break };
        let mut items = vec![first];
        while items.len() < cfg.sqlite.batch {
            match chk_rx.try_recv() {
                Ok(w) => items.push(w),
                Err(_) => break,
            }
        }
        for w in items {
            summary.documents += 1;
            match w {
                Work::Skipped { sha256, path } => {
                    summary.skipped += 1;
                    let Some(db) = db.as_ref() else { continue };
                    if let Some(j) = jsonl.as_mut().filter(|j| j.closed().is_none()) {
                        if let Ok(Some(json)) = db.record_json(&sha256, &path) {
                            if let Err(e) = j.write_raw(&json) {
                                jsonl_failed(e, j.written(), &mut summary);
                            }
                        }
                    }
                    // A partial document stored by an earlier run is still partial.
                    if let Ok(Some((status, errors))) = db.stored_problems(&sha256) {
                        summary.skipped_partial += usize::from(status == Status::Partial);
                        summary.outcomes.add(status, &path, &errors);
                        if let Some(out) = errors_out.as_mut() {
                            if let Err(e) = out.write(&path, &sha256, status, &errors) {
                                result = Err(anyhow::anyhow!("writing the errors file: {e}"));
                            }
                        }
                    }
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
                    tracing::debug!(
                        path = %rec.source.path,
                        status = rec.status.as_str(),
                        errors = rec.errors.len(),
                        "extracted"
                    );
                    progress.document(&rec);
                    if let Some(j) = jsonl.as_mut().filter(|j| j.closed().is_none()) {
                        if let Err(e) = j.write(&rec) {
                            jsonl_failed(e, j.written(), &mut summary);
                        }
                    }
                    if let Some(out) = errors_out.as_mut() {
                        let (p, sha) = (&rec.source.path, &rec.source.sha256);
                        if let Err(e) = out.write(p, sha, rec.status, &rec.errors) {
                            result = Err(anyhow::anyhow!("writing the errors file: {e}"));
                        }
                    }
                    batch.push(rec);
                }
            }
        }
        if result.is_ok() {
            if let Err(e) = flush(&mut batch, &mut seen, &mut db) {
                result = Err(e);
            }
        }
        if result.is_err() || (db.is_none() && summary.jsonl_stopped.is_some()) {
            break;
        }
        progress.tick(&summary);
    }
    drop(chk_rx);
    // A reader waiting for memory held by documents nobody will finish must not wait.
    memory.close();
    let _ = feeder.join();
    for h in handles {
        let _ = h.join();
    }
    if result.is_ok() && !(batch.is_empty() && seen.is_empty()) {
        result = flush(&mut batch, &mut seen, &mut db);
    }
    if let (Ok(()), Some(db)) = (&result, db.as_mut()) {
        let totals = RunTotals {
            documents: summary.documents,
            ok: summary.ok,
            partial: summary.partial,
            failed: summary.failed,
            already_stored: summary.skipped,
        };
        if let Err(e) = db.finish_run(totals) {
            result = Err(anyhow::anyhow!("writing the database: {e}"));
        }
    }
    if let Some(j) = jsonl.as_mut() {
        if let Err(e) = j.flush() {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                summary
                    .jsonl_stopped
                    .get_or_insert_with(|| "its reader closed the pipe".into());
            } else {
                summary.output_error = Some(format!("writing JSONL: {e}"));
            }
        }
    }
    if let Some(out) = errors_out.as_mut() {
        if let Err(e) = out.flush() {
            summary.output_error = Some(format!("writing the errors file: {e}"));
        }
    }
    result?;
    summary.skipped_by_rule = skipped_by_rule.snapshot();
    summary.elapsed = start.elapsed();
    progress.finish(&summary);
    Ok(summary)
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

/// Progress display: bars on a terminal, plain lines elsewhere, nothing with --quiet.
struct Progress {
    mode: ProgressMode,
    counters: Arc<StageCounters>,
    start: Instant,
    last_line: std::cell::Cell<Instant>,
}

enum ProgressMode {
    Quiet,
    Plain,
    Bars {
        _multi: MultiProgress,
        main: ProgressBar,
        stages: ProgressBar,
    },
}

impl Progress {
    fn new(quiet: bool, counters: Arc<StageCounters>, total: u64) -> Progress {
        let mode = if quiet {
            ProgressMode::Quiet
        } else if std::io::stderr().is_terminal() {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
            let main = multi.add(ProgressBar::new(total));
            main.set_style(
                ProgressStyle::with_template(
                    "[{elapsed_precise}] {bar:30} {pos}/{len} files  ETA {eta}  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let stages = multi.add(ProgressBar::new_spinner());
            stages.set_style(
                ProgressStyle::with_template("  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            crate::logging::set_progress_bars(Some(multi.clone()));
            ProgressMode::Bars {
                _multi: multi,
                main,
                stages,
            }
        } else {
            ProgressMode::Plain
        };
        Progress {
            mode,
            counters,
            start: Instant::now(),
            last_line: std::cell::Cell::new(Instant::now()),
        }
    }

    fn stage_line(&self) -> String {
        let c = &self.counters;
        format!(
            "read {}  decoded {}  recognised {}  interpreted {}  checked {}",
            c.read.load(Ordering::Relaxed),
            c.decoded.load(Ordering::Relaxed),
            c.recognised.load(Ordering::Relaxed),
            c.interpreted.load(Ordering::Relaxed),
            c.checked.load(Ordering::Relaxed)
        )
    }

    fn document(&self, rec: &Record) {
        if let ProgressMode::Plain = self.mode {
            if rec.status == Status::Failed {
                let msg = rec.errors.first().map(|e| e.message.as_str()).unwrap_or("");
                eprintln!("failed: {}: {msg}", rec.source.path);
            }
        }
    }

    fn tick(&self, s: &Summary) {
        match &self.mode {
            ProgressMode::Quiet => {}
            ProgressMode::Plain => {
                if self.last_line.get().elapsed() >= Duration::from_secs(5) {
                    self.last_line.set(Instant::now());
                    let secs = self.start.elapsed().as_secs_f64().max(1e-9);
                    eprintln!(
                        "{} documents ({} ok, {} partial, {} failed, {} already stored), {:.0} docs/s; {}",
                        s.documents,
                        s.ok,
                        s.partial,
                        s.failed,
                        s.skipped,
                        s.documents as f64 / secs,
                        self.stage_line()
                    );
                }
            }
            ProgressMode::Bars { main, stages, .. } => {
                // Archives expand into more documents than there were files.
                if s.documents as u64 > main.length().unwrap_or(0) {
                    main.set_length(s.documents as u64);
                }
                main.set_position(s.documents as u64);
                let secs = self.start.elapsed().as_secs_f64().max(1e-9);
                main.set_message(format!(
                    "{:.0} docs/s  {} ok, {} partial, {} failed, {} stored",
                    s.documents as f64 / secs,
                    s.ok,
                    s.partial,
                    s.failed,
                    s.skipped
                ));
                stages.set_message(self.stage_line());
                main.tick();
            }
        }
    }

    fn finish(&self, s: &Summary) {
        if let ProgressMode::Bars { main, stages, .. } = &self.mode {
            self.tick(s);
            stages.finish_and_clear();
            main.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let ProgressMode::Bars { .. } = self.mode {
            crate::logging::set_progress_bars(None);
        }
    }
}
