//! Embedded SQLite sink: one database file holding every record of `spec/RECORD.md`.
//!
//! A report is its content: one `reports` row per sha256, whose id stays when the
//! document is extracted again (`--force` updates it in place), and a `sources` row for
//! every path the content was seen at. Each batch of records is one transaction, so an
//! interrupted run never leaves half a report behind. The tables are in [`schema`], the
//! `keys` table and the views (generated from the loaded templates) in [`views`], the
//! writes in [`writes`]; README.md documents them for analysts.

pub mod corrections;
pub mod schema;
pub mod views;
pub mod writes;

pub use schema::SCHEMA_VERSION;

pub use crate::sinks::sink::{RunInfo, RunTotals, SeenAgain};

use crate::record::{Record, RecordError, Status};
use crate::template::Templates;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashSet;
use std::fmt;
use std::path::Path;

#[derive(Debug)]
pub enum SinkError {
    Sqlite(rusqlite::Error),
    /// The database was written by a newer version of the tool.
    SchemaVersion {
        found: i32,
        supported: i32,
    },
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinkError::Sqlite(e) => write!(f, "sqlite: {e}"),
            SinkError::SchemaVersion { found, supported } => write!(
                f,
                "database schema version {found} is newer than this tool supports ({supported})"
            ),
        }
    }
}

impl std::error::Error for SinkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SinkError::Sqlite(e) => Some(e),
            SinkError::SchemaVersion { .. } => None,
        }
    }
}

impl From<rusqlite::Error> for SinkError {
    fn from(e: rusqlite::Error) -> Self {
        SinkError::Sqlite(e)
    }
}

/// How records are stored (`[sqlite]` in `pipeline.toml`).
#[derive(Debug, Clone, Copy)]
pub struct SinkOptions {
    /// Keep each record's JSON in `reports.record_json` (to re-emit it to `--jsonl`
    /// without extracting again).
    pub store_record_json: bool,
}

impl Default for SinkOptions {
    fn default() -> SinkOptions {
        SinkOptions {
            store_record_json: true,
        }
    }
}

pub struct SqliteSink {
    conn: Connection,
    options: SinkOptions,
    run_id: Option<i64>,
}

impl SqliteSink {
    /// Opens or creates the database, migrates an older schema (see [`schema`]), and
    /// writes the `keys` table and the views from `templates`.
    pub fn open(
        path: &Path,
        templates: &Templates,
        options: SinkOptions,
    ) -> Result<SqliteSink, SinkError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // The writes keep ~40 statements prepared (multi-row inserts of several sizes).
        conn.set_prepared_statement_cache_capacity(64);
        // journal_mode returns a row, so query it rather than execute it.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;
             PRAGMA wal_autocheckpoint = 4000;",
        )?;
        let found: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(SinkError::SchemaVersion {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        // Table rebuilds need foreign keys off (they cannot change inside a transaction).
        conn.execute_batch("PRAGMA foreign_keys = OFF;")?;
        let mut sink = SqliteSink {
            conn,
            options,
            run_id: None,
        };
        let tx = sink
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        schema::migrate(&tx, found)?;
        views::regenerate(&tx, templates)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        // Our connection enforces the references; other clients get the same deletes
        // from the schema's triggers.
        sink.conn.execute_batch("PRAGMA foreign_keys = ON;")?;
        Ok(sink)
    }

    /// Starts a run: its row in `runs`, which the reports it writes point at.
    pub fn begin_run(&mut self, info: &RunInfo) -> Result<i64, SinkError> {
        let id = self.conn.query_row(
            "INSERT INTO runs (started_at, tool_version, git_commit, tesseract_version, tessdata,
                 fingerprint)
             VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?1, ?2, ?3, ?4, ?5) RETURNING id",
            params![
                info.tool_version,
                info.git_commit,
                info.tesseract_version,
                info.tessdata,
                info.fingerprint
            ],
            |r| r.get(0),
        )?;
        self.run_id = Some(id);
        Ok(id)
    }

    /// Ends the run begun by [`begin_run`](Self::begin_run) with its totals.
    pub fn finish_run(&mut self, totals: RunTotals) -> Result<(), SinkError> {
        let Some(id) = self.run_id else {
            return Ok(());
        };
        self.conn.execute(
            "UPDATE runs SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                 documents = ?2, ok = ?3, partial = ?4, failed = ?5, already_stored = ?6
             WHERE id = ?1",
            params![
                id,
                totals.documents as i64,
                totals.ok as i64,
                totals.partial as i64,
                totals.failed as i64,
                totals.already_stored as i64
            ],
        )?;
        Ok(())
    }

    /// sha256 values of documents already stored, to skip them on re-runs. With
    /// `need_record_json` (a run writing `--jsonl`), documents stored without their JSON
    /// are left out: they are extracted again to be emitted.
    pub fn known_hashes(&self, need_record_json: bool) -> Result<HashSet<String>, SinkError> {
        // Failed documents are not "known": a later run (or version) may read them.
        let sql = if need_record_json {
            "SELECT sha256 FROM reports WHERE status != 'failed' AND record_json IS NOT NULL"
        } else {
            "SELECT sha256 FROM reports WHERE status != 'failed'"
        };
        let mut st = self.conn.prepare(sql)?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = HashSet::new();
        for h in rows {
            out.insert(h?);
        }
        Ok(out)
    }

    /// Of [`known_hashes`](Self::known_hashes), those a run of `fingerprint` made.
    pub fn current_hashes(
        &self,
        need_record_json: bool,
        fingerprint: &str,
    ) -> Result<HashSet<String>, SinkError> {
        let json = if need_record_json {
            " AND r.record_json IS NOT NULL"
        } else {
            ""
        };
        let sql = format!(
            "SELECT r.sha256 FROM reports r JOIN runs u ON u.id = r.run_id
             WHERE r.status != 'failed' AND u.fingerprint = ?1{json}"
        );
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map([fingerprint], |r| r.get::<_, String>(0))?;
        let mut out = HashSet::new();
        for h in rows {
            out.insert(h?);
        }
        Ok(out)
    }

    /// Writes one record in one transaction.
    pub fn write(&mut self, record: &Record) -> Result<(), SinkError> {
        self.write_batch(std::slice::from_ref(record), &[])
    }

    /// Writes records, and the paths where stored documents were seen again, in one
    /// transaction: a failure rolls back the whole batch.
    pub fn write_batch(&mut self, records: &[Record], seen: &[SeenAgain]) -> Result<(), SinkError> {
        if records.is_empty() && seen.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for record in records {
            writes::write_record(&tx, record, self.run_id, self.options.store_record_json)?;
        }
        for s in seen {
            writes::seen_again(&tx, &s.sha256, &s.path)?;
        }
        // Dropping `tx` on an early `?` return rolls back.
        tx.commit()?;
        Ok(())
    }

    /// The stored record (as JSON) of a document, with `source.path` set to `path` (where
    /// this run found it), to re-emit it without extracting again. `None` when it is not
    /// stored, or stored without its JSON (`store_record_json = false`).
    pub fn record_json(&self, sha256: &str, path: &str) -> Result<Option<String>, SinkError> {
        let json: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT record_json FROM reports WHERE sha256 = ?1")?
            .query_row([sha256], |r| r.get(0))
            .optional()?;
        Ok(json.flatten().and_then(|j| writes::with_path(&j, path)))
    }

    /// The status and errors of a stored document that is not `ok` (`None` for an ok or
    /// unknown one), so that a re-run still lists its partial documents.
    pub fn stored_problems(
        &self,
        sha256: &str,
    ) -> Result<Option<(Status, Vec<RecordError>)>, SinkError> {
        let found: Option<(i64, String)> = self
            .conn
            .prepare_cached("SELECT id, status FROM reports WHERE sha256 = ?1 AND status != 'ok'")?
            .query_row([sha256], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((id, status)) = found else {
            return Ok(None);
        };
        let status = match status.as_str() {
            "partial" => Status::Partial,
            _ => Status::Failed,
        };
        let errors = self
            .conn
            .prepare_cached(
                "SELECT stage, message FROM errors WHERE report_id = ?1 ORDER BY ordinal",
            )?
            .query_map([id], |r| {
                Ok(RecordError {
                    stage: r.get(0)?,
                    message: r.get(1)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(Some((status, errors)))
    }

    /// Adds the index `report_values_key ON report_values(key)` for queries by key over
    /// all reports without a join from `reports`. Call it after bulk ingestion: with it,
    /// every commit touches one index page per key, and writes are ~4x slower.
    pub fn create_key_index(&self) -> Result<(), SinkError> {
        self.conn
            .execute_batch("CREATE INDEX IF NOT EXISTS report_values_key ON report_values(key)")?;
        Ok(())
    }

    /// The underlying connection, for queries.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

impl crate::sinks::Sink for SqliteSink {
    fn begin_run(&mut self, info: &RunInfo) -> anyhow::Result<()> {
        SqliteSink::begin_run(self, info)?;
        Ok(())
    }

    fn finish_run(&mut self, totals: RunTotals) -> anyhow::Result<()> {
        Ok(SqliteSink::finish_run(self, totals)?)
    }

    fn known_hashes(&mut self, need_record_json: bool) -> anyhow::Result<HashSet<String>> {
        Ok(SqliteSink::known_hashes(self, need_record_json)?)
    }

    fn current_hashes(
        &mut self,
        need_record_json: bool,
        fingerprint: &str,
    ) -> anyhow::Result<HashSet<String>> {
        Ok(SqliteSink::current_hashes(
            self,
            need_record_json,
            fingerprint,
        )?)
    }

    fn write_batch(&mut self, records: &[Record], seen: &[SeenAgain]) -> anyhow::Result<()> {
        Ok(SqliteSink::write_batch(self, records, seen)?)
    }

    fn record_json(&mut self, sha256: &str, path: &str) -> anyhow::Result<Option<String>> {
        Ok(SqliteSink::record_json(self, sha256, path)?)
    }

    fn stored_problems(
        &mut self,
        sha256: &str,
    ) -> anyhow::Result<Option<(Status, Vec<RecordError>)>> {
        Ok(SqliteSink::stored_problems(self, sha256)?)
    }
}

#[cfg(test)]
mod tests;
