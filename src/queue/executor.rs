//! A queue worker's extraction thread, held to the per-document time limit
//! (`limits.doc_timeout_s`): the worker hands it one document at a time and waits at
//! most the limit. Past it, the thread is abandoned (nothing can stop a decoder midway;
//! its result is dropped), the document gets a failed record, and a new thread with its
//! own OCR engine takes over.

use crate::extract::{self, guarded, Decoded, Input};
use crate::ocr::{LazyEngine, PageText};
use crate::pipeline::stats::{Item, RunStats, Span, Stage};
use crate::record::{Record, Source};
use crate::template::Templates;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Executor {
    templates: Arc<Templates>,
    page_text: PageText,
    limit: Duration,
    thread: Option<(Sender<Input>, Receiver<Record>)>,
    /// Each stage's time on each document, measured on the extraction thread.
    stats: Arc<RunStats>,
}

impl Executor {
    pub fn new(
        templates: Arc<Templates>,
        page_text: PageText,
        limit: Duration,
        stats: Arc<RunStats>,
    ) -> Executor {
        Executor {
            templates,
            page_text,
            limit,
            thread: None,
            stats,
        }
    }

    /// The record of `input`, or a failed one when its extraction ran past the limit.
    pub fn extract(&mut self, input: Input) -> Record {
        let source = Source {
            path: input.path.clone(),
            sha256: input.sha256.clone(),
            format: crate::formats::sniff(&input.path, &input.bytes)
                .as_str()
                .to_string(),
        };
        let Some((tx, rx)) = self.thread() else {
            return Record::failed(source, "extract", "cannot start an extraction thread");
        };
        let start = Instant::now();
        if tx.send(input).is_err() {
            self.thread = None;
            return Record::failed(source, "extract", "the extraction thread stopped");
        }
        match rx.recv_timeout(self.limit) {
            Ok(record) => record,
            Err(RecvTimeoutError::Timeout) => {
                // Dropping the channels lets the abandoned thread end when it is done.
                self.thread = None;
                self.stats.add_abandoned(&source.path, start.elapsed());
                tracing::warn!(
                    "{} ran past the time limit; its extraction thread is replaced",
                    source.path
                );
                Record::failed(
                    source,
                    "extract",
                    format!(
                        "timeout: extraction ran past the time limit of {} s for one document \
                         (limits.doc_timeout_s in pipeline.toml) and was abandoned after {:.0} s",
                        self.limit.as_secs(),
                        start.elapsed().as_secs_f64()
                    ),
                )
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.thread = None;
                Record::failed(source, "extract", "the extraction thread stopped")
            }
        }
    }

    /// The live extraction thread's channels, started when there is none.
    fn thread(&mut self) -> Option<(Sender<Input>, Receiver<Record>)> {
        if self.thread.is_none() {
            let (in_tx, in_rx) = bounded::<Input>(1);
            let (out_tx, out_rx) = bounded::<Record>(1);
            let templates = Arc::clone(&self.templates);
            let stats = Arc::clone(&self.stats);
            let page_text = self.page_text;
            std::thread::Builder::new()
                .name("extract".to_string())
                .spawn(move || {
                    // The engine is made on this thread and never leaves it.
                    let mut engine = LazyEngine::with(&templates, page_text);
                    for input in in_rx {
                        if out_tx
                            .send(extract_one(input, &mut engine, &templates, &stats))
                            .is_err()
                        {
                            break;
                        }
                    }
                })
                .ok()?;
            self.thread = Some((in_tx, out_rx));
        }
        self.thread.clone()
    }
}

/// One document through every stage, a panic anywhere turned into a failed record.
fn extract_one(
    input: Input,
    engine: &mut LazyEngine,
    templates: &Templates,
    stats: &RunStats,
) -> Record {
    let fallback = Source {
        path: input.path.clone(),
        sha256: input.sha256.clone(),
        format: "unknown".to_string(),
    };
    let path = fallback.path.as_str();
    guarded("extracting", || {
        let mut decoded = timed(stats, Stage::Decode, path, || extract::decode(input));
        timed(stats, Stage::Recognise, path, || {
            extract::recognise(&mut decoded, engine)
        });
        match decoded {
            Decoded::Failed(rec) => *rec,
            Decoded::Document(source, doc, _hold) => {
                let mut rec = timed(stats, Stage::Interpret, path, || {
                    extract::interpret(source, &doc, templates)
                });
                timed(stats, Stage::Check, path, || {
                    extract::check(&mut rec, templates)
                });
                rec
            }
        }
    })
    .unwrap_or_else(|e| Record::failed(fallback, "extract", e))
}

/// Runs one stage on the document at `path`, its time added to the statistics (on this
/// thread, with no queue between the stages: there are no waits to count).
fn timed<T>(stats: &RunStats, stage: Stage, path: &str, f: impl FnOnce() -> T) -> T {
    let span = Span::start();
    let out = f();
    stats.add_work(stage, Item::Doc(path.to_string()), span.end());
    out
}
