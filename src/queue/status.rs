//! `nianbao status --postgres URL`: the queue's jobs by state, its throughput, and the
//! reasons of failed jobs.

use postgres::Client;
use std::fmt::Write;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct QueueStatus {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
    /// Documents stored by finished jobs (an archive is a job of many documents).
    pub documents_done: i64,
    /// Jobs finished in the last minute, per second.
    pub jobs_per_s_last_minute: f64,
    /// Documents per second from the first claim to the last finish.
    pub documents_per_s_overall: f64,
    /// Workers holding a live lease.
    pub workers: i64,
    /// Failed jobs by reason (most common first, at most 5).
    pub failures: Vec<(String, i64)>,
}

pub fn status(client: &mut Client) -> Result<QueueStatus, postgres::Error> {
    let mut s = QueueStatus::default();
    for row in client.query("SELECT state, count(*) FROM queue GROUP BY state", &[])? {
        let (state, n): (String, i64) = (row.get(0), row.get(1));
        match state.as_str() {
            "queued" => s.queued = n,
            "running" => s.running = n,
            "done" => s.done = n,
            _ => s.failed = n,
        }
    }
    let row = client.query_one(
        "SELECT COALESCE(sum(documents) FILTER (WHERE state = 'done'), 0)::bigint,
             (count(*) FILTER (WHERE finished_at > now() - interval '1 minute'))::float8 / 60,
             COALESCE(sum(documents) FILTER (WHERE state = 'done')::float8
                 / NULLIF(EXTRACT(EPOCH FROM max(finished_at) - min(started_at))::float8, 0), 0),
             count(DISTINCT worker) FILTER (WHERE state = 'running' AND lease_until > now())
         FROM queue",
        &[],
    )?;
    s.documents_done = row.get(0);
    s.jobs_per_s_last_minute = row.get(1);
    s.documents_per_s_overall = row.get(2);
    s.workers = row.get(3);
    s.failures = client
        .query(
            "SELECT COALESCE(last_error, '?'), count(*) FROM queue WHERE state = 'failed'
             GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    Ok(s)
}

impl QueueStatus {
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "queued {}  running {}  done {}  failed {}",
            self.queued, self.running, self.done, self.failed
        );
        let _ = writeln!(
            out,
            "{} documents stored by finished jobs; {:.1} jobs/s over the last minute, \
             {:.1} documents/s overall; {} workers holding a lease",
            self.documents_done,
            self.jobs_per_s_last_minute,
            self.documents_per_s_overall,
            self.workers
        );
        for (reason, n) in &self.failures {
            let _ = writeln!(out, "  {n:>6} failed: {reason}");
        }
        out
    }
}
