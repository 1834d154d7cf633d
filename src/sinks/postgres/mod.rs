//! PostgreSQL sink (`--postgres URL` or `NIANBAO_POSTGRES`): the schema and views of the
//! SQLite sink in a server many machines write to at once, with numbered migrations
//! ([`schema`]), records written a batch per transaction ([`writes`]) and the work queue's
//! table. Identity is the content sha256, as in SQLite: a run that meets a stored document
//! again adds its path and stores nothing twice.

pub mod corrections;
pub mod schema;
pub mod writes;

use crate::record::{Record, RecordError, Status};
use crate::sinks::sink::{RunInfo, RunTotals, SeenAgain, Sink};
use crate::sinks::sqlite::writes::with_path;
use crate::sinks::sqlite::SinkOptions;
use crate::template::Templates;
use postgres::{Client, NoTls};
use std::collections::HashSet;

/// The environment variable that names the server when `--postgres` is not given.
pub const URL_ENV: &str = "NIANBAO_POSTGRES";

pub struct PostgresSink {
    client: Client,
    options: SinkOptions,
    run_id: Option<i64>,
}

/// Connects to `url`: `postgresql://user:password@host:port/db` or the key=value form
/// (`host=/run/postgresql dbname=nianbao`), a unix socket when `host` is a folder.
pub fn connect(url: &str) -> anyhow::Result<Client> {
    // The context keeps the cause (`{:#}` prints it): a bare postgres error says only
    // "error connecting to server".
    Client::connect(url, NoTls)
        .map_err(|e| anyhow::Error::new(e).context("cannot connect to PostgreSQL"))
}

impl PostgresSink {
    /// Connects, applies the migrations the database lacks, and writes `keys` and the
    /// views from `templates`.
    pub fn open(
        url: &str,
        templates: &Templates,
        options: SinkOptions,
    ) -> anyhow::Result<PostgresSink> {
        let mut client = connect(url)?;
        let mut tx = client.transaction()?;
        schema::migrate(&mut tx, templates)?;
        tx.commit()?;
        Ok(PostgresSink {
            client,
            options,
            run_id: None,
        })
    }

    /// The connection, for queries (and the queue, which shares it).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    pub fn run_id(&self) -> Option<i64> {
        self.run_id
    }

    pub fn options(&self) -> SinkOptions {
        self.options
    }
}

impl Sink for PostgresSink {
    fn begin_run(&mut self, info: &RunInfo) -> anyhow::Result<()> {
        let row = self.client.query_one(
            "INSERT INTO runs (started_at, tool_version, git_commit, tesseract_version, tessdata,
                 fingerprint)
             VALUES (now(), $1, $2, $3, $4, $5) RETURNING id",
            &[
                &info.tool_version,
                &info.git_commit,
                &info.tesseract_version,
                &info.tessdata,
                &info.fingerprint,
            ],
        )?;
        self.run_id = Some(row.get(0));
        Ok(())
    }

    fn finish_run(&mut self, totals: RunTotals) -> anyhow::Result<()> {
        let Some(id) = self.run_id else {
            return Ok(());
        };
        let n = |x: usize| i64::try_from(x).unwrap_or(i64::MAX);
        self.client.execute(
            "UPDATE runs SET finished_at = now(), documents = $2, ok = $3, partial = $4,
                 failed = $5, already_stored = $6
             WHERE id = $1",
            &[
                &id,
                &n(totals.documents),
                &n(totals.ok),
                &n(totals.partial),
                &n(totals.failed),
                &n(totals.already_stored),
            ],
        )?;
        Ok(())
    }

    fn known_hashes(&mut self, need_record_json: bool) -> anyhow::Result<HashSet<String>> {
        // Failed documents are not "known": a later run (or version) may read them.
        let sql = if need_record_json {
            "SELECT sha256 FROM reports WHERE status <> 'failed' AND record_json IS NOT NULL"
        } else {
            "SELECT sha256 FROM reports WHERE status <> 'failed'"
        };
        Ok(self
            .client
            .query(sql, &[])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn current_hashes(
        &mut self,
        need_record_json: bool,
        fingerprint: &str,
    ) -> anyhow::Result<HashSet<String>> {
        let json = if need_record_json {
            " AND r.record_json IS NOT NULL"
        } else {
            ""
        };
        let sql = format!(
            "SELECT r.sha256 FROM reports r JOIN runs u ON u.id = r.run_id
             WHERE r.status <> 'failed' AND u.fingerprint = $1{json}"
        );
        Ok(self
            .client
            .query(&sql, &[&fingerprint])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn write_batch(&mut self, records: &[Record], seen: &[SeenAgain]) -> anyhow::Result<()> {
        if records.is_empty() && seen.is_empty() {
            return Ok(());
        }
        let mut tx = self.client.transaction()?;
        writes::write_records(
            &mut tx,
            records,
            self.run_id,
            self.options.store_record_json,
        )?;
        let seen: Vec<(String, String)> = seen
            .iter()
            .map(|s| (s.sha256.clone(), s.path.clone()))
            .collect();
        writes::seen_again(&mut tx, &seen)?;
        tx.commit()?;
        Ok(())
    }

    fn record_json(&mut self, sha256: &str, path: &str) -> anyhow::Result<Option<String>> {
        let row = self.client.query_opt(
            "SELECT record_json FROM reports WHERE sha256 = $1",
            &[&sha256],
        )?;
        let json: Option<String> = row.and_then(|r| r.get(0));
        Ok(json.and_then(|j| with_path(&j, path)))
    }

    fn stored_problems(
        &mut self,
        sha256: &str,
    ) -> anyhow::Result<Option<(Status, Vec<RecordError>)>> {
        let Some(row) = self.client.query_opt(
            "SELECT id, status FROM reports WHERE sha256 = $1 AND status <> 'ok'",
            &[&sha256],
        )?
        else {
            return Ok(None);
        };
        let (id, status): (i64, String) = (row.get(0), row.get(1));
        let status = match status.as_str() {
            "partial" => Status::Partial,
            _ => Status::Failed,
        };
        let errors = self
            .client
            .query(
                "SELECT stage, message FROM errors WHERE report_id = $1 ORDER BY ordinal",
                &[&id],
            )?
            .iter()
            .map(|r| RecordError {
                stage: r.get(0),
                message: r.get(1),
            })
            .collect();
        Ok(Some((status, errors)))
    }
}
