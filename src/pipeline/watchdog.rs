//! The per-document time limit (`limits.doc_timeout_s`). A stage's worker that spends
//! longer than the limit on one document cannot be stopped (decoders and the OCR engine
//! have no cancellation points), so it is abandoned: the document gets a failed record
//! at once, a new worker takes the abandoned one's place, and whatever the abandoned
//! worker produces when (if ever) it finishes is dropped. An abandoned worker holds no
//! sender of the next channel, so the run ends without waiting for it.

use super::Work;
use crate::extract::Decoded;
use crate::formats;
use crate::record::{Record, Source};
use crate::sources::ReadItem;
use crossbeam_channel::{Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What a timed stage does besides mapping items: how long one may take, which document
/// an item is (`None`: no limit, e.g. a stored document passing through), and the output
/// that stands for a document abandoned after `limit`.
pub(super) struct Limit<I, O> {
    pub limit: Duration,
    pub document: DocumentOf<I>,
    pub timed_out: Box<dyn Fn(Source, Duration) -> O + Send + Sync>,
}

/// Which document an item is.
pub(super) type DocumentOf<I> = Box<dyn Fn(&I) -> Option<Source> + Send + Sync>;

/// One worker's current document.
#[derive(Default)]
struct Slot {
    busy: Option<(Instant, Source)>,
    abandoned: bool,
}

struct Stage<I, O, N, F> {
    name: String,
    rx: Receiver<I>,
    /// Taken (dropped) when the stage ends, so the next stage sees its input close even
    /// while abandoned workers still run.
    tx: Mutex<Option<Sender<O>>>,
    init: N,
    f: F,
    limit: Limit<I, O>,
    slots: Mutex<Vec<Slot>>,
    /// Workers not abandoned that have not finished.
    alive: Mutex<usize>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A worker panicking while holding the lock leaves data that is still consistent
    // (plain counters and slots).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Like `spawn_stage_with`, with every document held to `limit`. Returns the handle of
/// the stage's supervisor, which ends when every worker not abandoned has.
pub(super) fn spawn_timed<I, O, S, N, F>(
    name: &str,
    n: usize,
    rx: Receiver<I>,
    tx: Sender<O>,
    init: N,
    f: F,
    limit: Limit<I, O>,
) -> Vec<std::thread::JoinHandle<()>>
where
    I: Send + 'static,
    O: Send + 'static,
    S: 'static,
    N: Fn() -> S + Send + Sync + 'static,
    F: Fn(&mut S, I) -> O + Send + Sync + 'static,
{
    let n = n.max(1);
    let stage = Arc::new(Stage {
        name: name.to_string(),
        rx,
        tx: Mutex::new(Some(tx)),
        init,
        f,
        limit,
        slots: Mutex::new((0..n).map(|_| Slot::default()).collect()),
        alive: Mutex::new(n),
    });
    for i in 0..n {
        start_worker(&stage, i);
    }
    let supervisor = Arc::clone(&stage);
    let handle = std::thread::Builder::new()
        .name(format!("{name}-watchdog"))
        .spawn(move || supervise(&supervisor))
        .unwrap_or_else(|e| panic!("cannot start a {name} thread: {e}"));
    vec![handle]
}

fn start_worker<I, O, S, N, F>(stage: &Arc<Stage<I, O, N, F>>, slot: usize)
where
    I: Send + 'static,
    O: Send + 'static,
    S: 'static,
    N: Fn() -> S + Send + Sync + 'static,
    F: Fn(&mut S, I) -> O + Send + Sync + 'static,
{
    let stage_for_thread = Arc::clone(stage);
    let spawned = std::thread::Builder::new()
        .name(format!("{}-{slot}", stage.name))
        .spawn(move || work(&stage_for_thread, slot));
    if let Err(e) = spawned {
        // No thread: the stage goes on with one worker fewer (the last one failing to
        // start would leave the stage without workers, as any thread failure would).
        tracing::error!("cannot start a {} thread: {e}", stage.name);
        *lock(&stage.alive) -= 1;
    }
}

fn work<I, O, S, N, F>(stage: &Stage<I, O, N, F>, slot: usize)
where
    N: Fn() -> S,
    F: Fn(&mut S, I) -> O,
{
    let mut state = (stage.init)();
    while let Ok(item) = stage.rx.recv() {
        let document = (stage.limit.document)(&item);
        lock(&stage.slots)[slot].busy = document.map(|d| (Instant::now(), d));
        let out = (stage.f)(&mut state, item);
        {
            let mut slots = lock(&stage.slots);
            if slots[slot].abandoned {
                // Its document has its failed record, and another worker its place.
                return;
            }
            slots[slot].busy = None;
        }
        let tx = lock(&stage.tx).clone();
        if tx.is_none_or(|tx| tx.send(out).is_err()) {
            break;
        }
    }
    *lock(&stage.alive) -= 1;
}

fn supervise<I, O, S, N, F>(stage: &Arc<Stage<I, O, N, F>>)
where
    I: Send + 'static,
    O: Send + 'static,
    S: 'static,
    N: Fn() -> S + Send + Sync + 'static,
    F: Fn(&mut S, I) -> O + Send + Sync + 'static,
{
    let tick = (stage.limit.limit / 8).clamp(Duration::from_millis(20), Duration::from_millis(250));
    loop {
        if *lock(&stage.alive) == 0 {
            break;
        }
        let mut overdue = Vec::new();
        {
            let mut slots = lock(&stage.slots);
            for s in slots.iter_mut() {
                if s.abandoned {
                    continue;
                }
                if let Some((started, _)) = &s.busy {
                    if started.elapsed() > stage.limit.limit {
                        s.abandoned = true;
                        if let Some((started, source)) = s.busy.take() {
                            overdue.push((started.elapsed(), source));
                        }
                    }
                }
            }
        }
        for (took, source) in overdue {
            tracing::warn!(
                "{}: {} ran past the time limit ({:.0} s); its worker is replaced",
                stage.name,
                source.path,
                stage.limit.limit.as_secs_f64()
            );
            let record = (stage.limit.timed_out)(source, took);
            let tx = lock(&stage.tx).clone();
            if let Some(tx) = tx {
                let _ = tx.send(record);
            }
            // The replacement works in a new slot; the abandoned one stays marked.
            let slot = {
                let mut slots = lock(&stage.slots);
                slots.push(Slot::default());
                slots.len() - 1
            };
            start_worker(stage, slot);
        }
        std::thread::sleep(tick);
    }
    lock(&stage.tx).take();
}

/// The failed record of a document abandoned in `stage` after `took`.
fn timed_out_record(source: Source, stage: &str, took: Duration, limit: Duration) -> Record {
    Record::failed(
        source,
        stage,
        format!(
            "timeout: {stage} ran past the time limit of {} s for one document \
             (limits.doc_timeout_s in pipeline.toml) and was abandoned after {:.0} s",
            limit.as_secs(),
            took.as_secs_f64()
        ),
    )
}

/// `limits.doc_timeout_s` as a duration; 0 is no limit.
pub(super) fn doc_limit(seconds: u64) -> Duration {
    if seconds == 0 {
        Duration::MAX
    } else {
        Duration::from_secs(seconds)
    }
}

/// The decode stage's limit: a document read from a file.
pub(super) fn decode_limit(limit: Duration) -> Limit<Work<ReadItem>, Work<Decoded>> {
    Limit {
        limit,
        document: Box::new(|w| match w {
            Work::Doc(ReadItem::Input(input)) => Some(Source {
                path: input.path.clone(),
                sha256: input.sha256.clone(),
                format: formats::sniff(&input.path, &input.bytes)
                    .as_str()
                    .to_string(),
            }),
            _ => None,
        }),
        timed_out: Box::new(move |source, took| {
            let rec = timed_out_record(source, "decode", took, limit);
            Work::Doc(Decoded::Failed(Box::new(rec)))
        }),
    }
}

/// The recognise stage's limit: a decoded document.
pub(super) fn recognise_limit(limit: Duration) -> Limit<Work<Decoded>, Work<Decoded>> {
    Limit {
        limit,
        document: Box::new(decoded_source),
        timed_out: Box::new(move |source, took| {
            let rec = timed_out_record(source, "recognise", took, limit);
            Work::Doc(Decoded::Failed(Box::new(rec)))
        }),
    }
}

/// The interpret stage's limit: a decoded document.
pub(super) fn interpret_limit(limit: Duration) -> Limit<Work<Decoded>, Work<Record>> {
    Limit {
        limit,
        document: Box::new(decoded_source),
        timed_out: Box::new(move |source, took| {
            Work::Doc(timed_out_record(source, "interpret", took, limit))
        }),
    }
}

fn decoded_source(w: &Work<Decoded>) -> Option<Source> {
    match w {
        Work::Doc(Decoded::Document(source, _, _)) => Some(source.clone()),
        _ => None,
    }
}
