//! A work queue in PostgreSQL for many machines: `nianbao enqueue` registers files (path
//! and sha256, and with `--store-bytes` their bytes), `nianbao work` on any number of
//! machines claims them with `SELECT … FOR UPDATE SKIP LOCKED` under a lease, extracts them
//! and stores the records in the same database, and `nianbao status` counts them.
//!
//! A claimed job whose worker dies keeps its lease until it runs out; then another worker
//! claims it again. Every claim counts an attempt; a job whose lease ran out on its last
//! attempt is failed with the reason, and its path gets a failed record. Records are
//! written and their jobs marked done in one transaction, and reports are keyed by content
//! sha256, so a document extracted twice (a worker thought dead that was only slow) is
//! still stored once.

pub mod cli;
pub mod enqueue;
pub mod executor;
pub mod status;
pub mod work;

use postgres::Client;

/// A claimed job.
pub struct Job {
    pub id: i64,
    pub path: String,
    pub sha256: String,
    /// The file's bytes, when enqueued with `--store-bytes`.
    pub bytes: Option<Vec<u8>>,
    pub attempts: i32,
    /// Queued again by `enqueue --reprocess-outdated`: its documents stored by another
    /// pipeline are extracted again.
    pub reprocess: bool,
}

/// How jobs are claimed.
#[derive(Debug, Clone)]
pub struct ClaimPolicy {
    /// Who claims: `host:pid:thread`, stored in `queue.worker`.
    pub worker: String,
    /// How long a claim holds before another worker may take the job.
    pub lease_s: f64,
    /// Claims a job may have; the one whose lease runs out on its last is failed.
    pub max_attempts: i32,
    /// Jobs claimed (and written) together.
    pub batch: i64,
}

/// Claims up to `policy.batch` jobs: queued ones, and running ones whose lease ran out
/// (their worker died) with attempts left. Workers never wait on each other's rows.
pub fn claim(client: &mut Client, policy: &ClaimPolicy) -> Result<Vec<Job>, postgres::Error> {
    let rows = client.query(
        "UPDATE queue q SET state = 'running', attempts = q.attempts + 1, worker = $1,
             lease_until = now() + make_interval(secs => $2), started_at = now()
         WHERE q.id IN (
             SELECT id FROM queue
             WHERE (state = 'queued' OR (state = 'running' AND lease_until < now()))
               AND attempts < $3
             ORDER BY id
             LIMIT $4
             FOR UPDATE SKIP LOCKED)
         RETURNING q.id, q.path, q.sha256, q.bytes, q.attempts, q.reprocess",
        &[
            &policy.worker,
            &policy.lease_s,
            &policy.max_attempts,
            &policy.batch,
        ],
    )?;
    let mut jobs: Vec<Job> = rows
        .iter()
        .map(|r| Job {
            id: r.get(0),
            path: r.get(1),
            sha256: r.get(2),
            bytes: r.get(3),
            attempts: r.get(4),
            reprocess: r.get(5),
        })
        .collect();
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Jobs whose lease ran out on their last attempt: failed, with the reason. Returns them
/// (path, sha256, reason) so that their paths get failed records.
pub fn fail_exhausted(
    client: &mut Client,
    max_attempts: i32,
) -> Result<Vec<(String, String, String)>, postgres::Error> {
    let rows = client.query(
        "UPDATE queue SET state = 'failed', finished_at = now(),
             last_error = format('no result after %s attempts: each worker that claimed it died or ran past its lease (last: %s)',
                 attempts, COALESCE(worker, '?'))
         WHERE id IN (
             SELECT id FROM queue
             WHERE state = 'running' AND lease_until < now() AND attempts >= $1
             FOR UPDATE SKIP LOCKED)
         RETURNING path, sha256, last_error",
        &[&max_attempts],
    )?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// Extends the lease on `jobs` (still ours) by `policy.lease_s` from now.
pub fn renew(
    client: &mut Client,
    jobs: &[Job],
    policy: &ClaimPolicy,
) -> Result<(), postgres::Error> {
    let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    client.execute(
        "UPDATE queue SET lease_until = now() + make_interval(secs => $2)
         WHERE id = ANY($1) AND state = 'running' AND worker = $3",
        &[&ids, &policy.lease_s, &policy.worker],
    )?;
    Ok(())
}

/// Jobs still running under a live lease (another worker may yet finish or abandon them).
pub fn running(client: &mut Client) -> Result<i64, postgres::Error> {
    Ok(client
        .query_one("SELECT count(*) FROM queue WHERE state = 'running'", &[])?
        .get(0))
}
