//! Progress display: a bar and a line per stage on a terminal, plain log lines elsewhere.

use super::Summary;
use crate::record::{Record, Status};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counters shown on the progress lines.
#[derive(Default)]
pub(super) struct StageCounters {
    pub read: AtomicUsize,
    pub decoded: AtomicUsize,
    pub recognised: AtomicUsize,
    pub interpreted: AtomicUsize,
    pub checked: AtomicUsize,
}

/// Progress display: bars on a terminal, plain lines elsewhere, nothing with --quiet.
pub(super) struct Progress {
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
    pub(super) fn new(quiet: bool, counters: Arc<StageCounters>, total: u64) -> Progress {
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

    pub(super) fn document(&self, rec: &Record) {
        if let ProgressMode::Plain = self.mode {
            if rec.status == Status::Failed {
                let msg = rec.errors.first().map(|e| e.message.as_str()).unwrap_or("");
                eprintln!("failed: {}: {msg}", rec.source.path);
            }
        }
    }

    pub(super) fn tick(&self, s: &Summary) {
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

    pub(super) fn finish(&self, s: &Summary) {
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
