//! `--errors FILE`: every failed or partial document with its reasons, one JSON object a
//! line (`path`, `sha256`, `status`, `errors`), for a user to work through or a script
//! to act on, without opening the database.

use crate::record::{RecordError, Status};
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::Path;

pub struct ErrorsSink {
    out: BufWriter<std::fs::File>,
}

#[derive(Serialize)]
struct Line<'a> {
    path: &'a str,
    sha256: &'a str,
    status: &'a str,
    errors: &'a [RecordError],
}

impl ErrorsSink {
    pub fn create(path: &Path) -> std::io::Result<ErrorsSink> {
        Ok(ErrorsSink {
            out: BufWriter::new(std::fs::File::create(path)?),
        })
    }

    /// Writes the document's line when it failed or is partial; ok documents are not listed.
    pub fn write(
        &mut self,
        path: &str,
        sha256: &str,
        status: Status,
        errors: &[RecordError],
    ) -> std::io::Result<()> {
        if status == Status::Ok {
            return Ok(());
        }
        let line = Line {
            path,
            sha256,
            status: status.as_str(),
            errors,
        };
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
