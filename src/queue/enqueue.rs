//! `nianbao enqueue PATH... --postgres URL`: registers the files to extract. Paths are
//! chosen by the rules of `extract` (folders walked, hidden and OS files skipped); each is
//! hashed, and with `--store-bytes` its bytes go into the database for workers that do not
//! share the disk. Enqueuing a path and content twice adds nothing.

use crate::select::{Selection, SkipCounts};
use crate::sources::{self, Listed};
use postgres::Client;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows inserted per statement.
const INSERT_BATCH: usize = 256;

#[derive(Debug, Default)]
pub struct Enqueued {
    /// Files listed.
    pub files: usize,
    /// Jobs added (the rest were queued already with the same content).
    pub added: u64,
    /// Paths that could not be read; queued all the same, so a worker records their failure.
    pub unreadable: usize,
}

/// Registers `paths` (files and folders) in the queue.
pub fn enqueue(
    client: &mut Client,
    paths: &[PathBuf],
    store_bytes: bool,
    max_file: u64,
) -> anyhow::Result<Enqueued> {
    let selection = Arc::new(Selection::new(&[], &[], &[]).map_err(|e| anyhow::anyhow!(e))?);
    let skipped = Arc::new(SkipCounts::default());
    let files = sources::list_inputs(paths, &[], &selection, &skipped);
    let mut out = Enqueued {
        files: files.len(),
        ..Enqueued::default()
    };
    let mut rows: Vec<(String, String, Option<Vec<u8>>)> = Vec::with_capacity(INSERT_BATCH);
    for listed in files {
        let row = match listed {
            Listed::File(path) => match hash_file(&path, store_bytes, max_file) {
                Ok((sha, bytes)) => (path.display().to_string(), sha, bytes),
                Err(e) => {
                    tracing::warn!("{}: {e}", path.display());
                    out.unreadable += 1;
                    (path.display().to_string(), String::new(), None)
                }
            },
            Listed::Failed { path, message } => {
                tracing::warn!("{path}: {message}");
                out.unreadable += 1;
                (path, String::new(), None)
            }
        };
        rows.push(row);
        if rows.len() == INSERT_BATCH {
            out.added += insert(client, &mut rows)?;
        }
    }
    out.added += insert(client, &mut rows)?;
    Ok(out)
}

fn insert(
    client: &mut Client,
    rows: &mut Vec<(String, String, Option<Vec<u8>>)>,
) -> Result<u64, postgres::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let paths: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let shas: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let bytes: Vec<Option<&[u8]>> = rows.iter().map(|r| r.2.as_deref()).collect();
    let n = client.execute(
        "INSERT INTO queue (path, sha256, bytes)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
         ON CONFLICT (path, sha256) DO NOTHING",
        &[&paths, &shas, &bytes],
    )?;
    rows.clear();
    Ok(n)
}

/// The file's sha256 (streamed), and its bytes when they are to be stored. A file over
/// `max_file` is hashed but its bytes are not stored (the worker records it as too large).
fn hash_file(path: &Path, keep: bool, max_file: u64) -> std::io::Result<(String, Option<Vec<u8>>)> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut hasher = Sha256::new();
    let mut kept = Vec::new();
    let keep = keep && size <= max_file;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if keep {
            kept.extend_from_slice(&buf[..n]);
        }
    }
    let sha = hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            use std::fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        });
    Ok((sha, keep.then_some(kept)))
}
