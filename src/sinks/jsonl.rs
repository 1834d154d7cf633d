//! JSON Lines: one record per line, to a file or stdout.

use crate::record::Record;
use std::io::{BufWriter, Write};
use std::path::Path;

pub struct JsonlSink {
    out: BufWriter<Box<dyn Write + Send>>,
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
        })
    }

    pub fn write(&mut self, record: &Record) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, record)?;
        self.out.write_all(b"\n")
    }

    /// Writes an already serialised record (re-emitted from the database).
    pub fn write_raw(&mut self, json: &str) -> std::io::Result<()> {
        self.out.write_all(json.trim_end().as_bytes())?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
