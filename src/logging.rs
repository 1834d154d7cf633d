//! Logging through `tracing`: `-v` (info), `-vv` (debug), `-vvv` (trace) for nianbao's
//! own targets, `RUST_LOG` for anything finer (it replaces the `-v` levels), and
//! `NB_OCR_TRACE=1`, the old switch for the picture reader's trace, as a shortcut for
//! `RUST_LOG=nianbao::ocr=trace`. Without any of them only warnings are shown.
//!
//! Log lines go to stderr. While progress bars are drawn, a line is written with the
//! bars suspended, so the two never garble each other.

use indicatif::MultiProgress;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The bars on screen, if any (set by the pipeline's progress display).
static BARS: Mutex<Option<MultiProgress>> = Mutex::new(None);

/// Tells the log writer which bars to suspend while it writes (`None`: no bars).
pub fn set_progress_bars(bars: Option<MultiProgress>) {
    if let Ok(mut b) = BARS.lock() {
        *b = bars;
    }
}

/// The filter for a verbosity (`-v` count) and the environment.
pub fn filter(verbosity: u8) -> EnvFilter {
    let base = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => spec,
        _ => match verbosity {
            0 => "warn".to_string(),
            1 => "warn,nianbao=info".to_string(),
            2 => "warn,nianbao=debug".to_string(),
            _ => "warn,nianbao=trace".to_string(),
        },
    };
    let ocr_trace = std::env::var("NB_OCR_TRACE").is_ok_and(|v| !v.is_empty() && v != "0");
    let spec = if ocr_trace {
        format!("{base},nianbao::ocr=trace")
    } else {
        base
    };
    // parse_lossy: a malformed RUST_LOG directive is reported and skipped, never fatal.
    EnvFilter::builder().parse_lossy(spec)
}

/// Installs the subscriber (once; later calls do nothing).
pub fn init(verbosity: u8) {
    let detailed = verbosity >= 2 || std::env::var_os("RUST_LOG").is_some();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(verbosity))
        .with_writer(LogWriter)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .with_target(detailed)
        .try_init();
}

/// Makes one [`LogLine`] per event.
struct LogWriter;

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine(Vec::new())
    }
}

/// One event's text, written to stderr in one piece when dropped.
struct LogLine(Vec<u8>);

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let write = || {
            let _ = std::io::stderr().lock().write_all(&self.0);
        };
        match BARS.lock().ok().and_then(|b| b.clone()) {
            Some(bars) => bars.suspend(write),
            None => write(),
        }
    }
}
