//! JSON Lines: one record per line, to a file or stdout.
//!
//! Output that stops being read (`nianbao extract … --jsonl - | head -1`) is not the
//! run's failure: the first write that fails closes this sink, the caller says so once,
//! and the batch goes on into the database.

use crate::record::Record;
use std::io::{BufWriter, Write};
use std::path::Path;

pub struct JsonlSink {
    out: BufWriter<Box<dyn Write + Send>>,
    /// Why writing stopped, once it has.
    closed: Option<std::io::Error>,
    /// Records written (handed to the buffer) so far.
    written: usize,
}

impl JsonlSink {
    /// `-` writes to stdout.
    pub fn create(path: &Path) -> std::io::Result<JsonlSink> {
        let w: Box<dyn Write + Send> = if path.as_os_str() == "-" {
            Box::new(std::io::stdout())
        } else {
            Box::new(std::fs::File::create(path)?)
        };
        Ok(JsonlSink {
            out: BufWriter::new(w),
            closed: None,
            written: 0,
        })
    }

    /// Writes one record. `Err` only for the write that closes the sink (later calls do
    /// nothing): a reader that went away (broken pipe) or a full disk.
    pub fn write(&mut self, record: &Record) -> std::io::Result<()> {
        self.guard(|out| {
            serde_json::to_writer(&mut *out, record)?;
            out.write_all(b"\n")
        })?;
        self.written += 1;
        Ok(())
    }

    /// Writes an already serialised record (re-emitted from the database).
    pub fn write_raw(&mut self, json: &str) -> std::io::Result<()> {
        self.guard(|out| {
            out.write_all(json.trim_end().as_bytes())?;
            out.write_all(b"\n")
        })?;
        self.written += 1;
        Ok(())
    }

    /// Records written so far (some may still sit in the buffer).
    pub fn written(&self) -> usize {
        self.written
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.guard(|out| out.flush())
    }

    /// Whether writing stopped, and why.
    pub fn closed(&self) -> Option<&std::io::Error> {
        self.closed.as_ref()
    }

    fn guard(
        &mut self,
        f: impl FnOnce(&mut BufWriter<Box<dyn Write + Send>>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        if self.closed.is_some() {
            return Ok(());
        }
        let r = f(&mut self.out);
        if let Err(e) = &r {
            self.closed = Some(std::io::Error::new(e.kind(), e.to_string()));
        }
        r
    }
}
