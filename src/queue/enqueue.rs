//! `nianbao enqueue PATH... --postgres URL`: registers the files to extract. Paths are
//! chosen by the rules of `extract` (folders walked, hidden and OS files skipped); each is
//! hashed, and with `--store-bytes` its bytes go into the database for workers that do not
//! share the disk. Enqueuing a path and content twice adds nothing; with
//! `--reprocess-outdated` it queues the finished job again when an older pipeline made
//! what it stored (see [`Enqueued::requeued`]).

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
    /// Finished jobs queued again (`--reprocess-outdated`): all but a document's whose
    /// report this pipeline made already. A worker extracts again only the documents of
    /// the job whose report another pipeline made (an archive's members are checked one
    /// by one there, so an archive's job is always queued again).
    pub requeued: u64,
}

/// `--reprocess-outdated`: the pipeline (fingerprint) whose reports are current.
#[derive(Debug, Clone, Copy)]
pub struct Reprocess<'a> {
    pub fingerprint: &'a str,
}

/// Registers `paths` (files and folders) in the queue.
pub fn enqueue(
    client: &mut Client,
    paths: &[PathBuf],
    store_bytes: bool,
    max_file: u64,
    reprocess: Option<Reprocess>,
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
            insert(client, &mut rows, reprocess, &mut out)?;
        }
    }
    insert(client, &mut rows, reprocess, &mut out)?;
    Ok(out)
}

/// Inserts the rows' jobs (and with `reprocess`, queues their finished jobs again), in
/// one transaction; counts them into `out`.
fn insert(
    client: &mut Client,
    rows: &mut Vec<(String, String, Option<Vec<u8>>)>,
    reprocess: Option<Reprocess>,
    out: &mut Enqueued,
) -> Result<(), postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let paths: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let shas: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let bytes: Vec<Option<&[u8]>> = rows.iter().map(|r| r.2.as_deref()).collect();
    let mut tx = client.transaction()?;
    out.added += tx.execute(
        "INSERT INTO queue (path, sha256, bytes, reprocess)
         SELECT p, s, b, $4 FROM unnest($1::text[], $2::text[], $3::bytea[]) AS n(p, s, b)
         ON CONFLICT (path, sha256) DO NOTHING",
        &[&paths, &shas, &bytes, &reprocess.is_some()],
    )?;
    if let Some(r) = reprocess {
        // A finished job whose content is a document (a report has its sha256) made by
        // this pipeline stays done; any other (outdated, failed, or an archive whose
        // members the worker checks) is queued again with its attempts reset.
        out.requeued += tx.execute(
            "UPDATE queue q SET state = 'queued', attempts = 0, reprocess = true,
                 worker = NULL, lease_until = NULL, started_at = NULL, finished_at = NULL,
                 last_error = NULL
             FROM unnest($1::text[], $2::text[]) AS n(p, s)
             WHERE q.path = n.p AND q.sha256 = n.s AND q.state IN ('done', 'failed')
               AND NOT EXISTS (
                   SELECT 1 FROM reports r JOIN runs u ON u.id = r.run_id
                   WHERE r.sha256 = q.sha256 AND r.status <> 'failed'
                     AND u.fingerprint = $3)",
            &[&paths, &shas, &r.fingerprint],
        )?;
    }
    tx.commit()?;
    rows.clear();
    Ok(())
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
