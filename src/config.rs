//! The run configuration (`pipeline.toml`): worker counts per stage, channel sizes, limits.

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub stages: Stages,
    pub limits: Limits,
    pub sqlite: SqliteConfig,
    pub ocr: OcrConfig,
    /// Folder of template files to use instead of the built-in ones.
    pub templates_dir: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Stages {
    /// Threads reading files and hashing them (I/O bound).
    pub read: usize,
    /// Threads decoding bytes into the document model (CPU bound; 0 = one per core).
    pub decode: usize,
    /// Threads recognising pictures (OCR of table images and scanned pages), each with
    /// its own OCR engine. It dominates the run time of picture documents; 0 = one per
    /// core. Documents without pictures pass through at once.
    pub recognise: usize,
    /// Threads matching tables and reading the text (CPU bound; 0 = one per core).
    pub interpret: usize,
    /// Threads running the arithmetic checks (cheap).
    pub check: usize,
    /// Documents waiting between two stages, per worker of the next stage. Bounds memory:
    /// at most about (stages × capacity) documents are in flight, however many files.
    pub channel_capacity: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Files larger than this are recorded as failed without being read.
    pub max_file_mb: u64,
    /// Archive members larger than this (uncompressed) are recorded as failed.
    pub max_member_mb: u64,
    /// Seconds one document may spend in a stage (decode, recognise, interpret); past it
    /// the document is recorded as failed (timeout) and its worker replaced. 0: no limit.
    pub doc_timeout_s: u64,
    /// Bytes of documents in flight at once, in MiB: the read stage waits while the
    /// documents being decoded, recognised and interpreted hold this much.
    pub memory_mb: u64,
    /// Members read from one archive; past it, one failed record says the rest were not.
    pub max_archive_members: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcrConfig {
    /// How much running text of scanned pages to read: `edges` (title and closing lines:
    /// the metadata), `all` (also sections and stated numbers; seconds per page), `none`.
    pub page_text: crate::ocr::PageText,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqliteConfig {
    /// Records written per transaction batch (each record stays atomic).
    pub batch: usize,
    /// Keep each record's JSON in `reports.record_json`, so that a re-run writing
    /// `--jsonl` re-emits stored documents without extracting them again. Without it,
    /// such a run extracts them again.
    pub store_record_json: bool,
}

impl Default for Stages {
    fn default() -> Stages {
        Stages {
            read: 1,
            decode: 0,
            recognise: 0,
            interpret: 0,
            check: 1,
            channel_capacity: 8,
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_mb: 256,
            max_member_mb: 256,
            doc_timeout_s: 120,
            memory_mb: 512,
            max_archive_members: 100_000,
        }
    }
}

impl Default for SqliteConfig {
    fn default() -> SqliteConfig {
        SqliteConfig {
            batch: 64,
            store_record_json: true,
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("config {} is invalid: {e}", path.display()))
    }

    /// Resolves 0 ("one per core") and applies `--jobs`, which caps the CPU-bound stages.
    pub fn resolved(mut self, jobs: Option<usize>) -> Config {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let cpu = jobs.unwrap_or(cores).max(1);
        if self.stages.decode == 0 || jobs.is_some() {
            self.stages.decode = cpu;
        }
        if self.stages.recognise == 0 || jobs.is_some() {
            self.stages.recognise = cpu;
        }
        if self.stages.interpret == 0 || jobs.is_some() {
            self.stages.interpret = cpu;
        }
        self.stages.read = self.stages.read.max(1);
        self.stages.check = self.stages.check.max(1);
        self.stages.channel_capacity = self.stages.channel_capacity.max(1);
        self.sqlite.batch = self.sqlite.batch.max(1);
        self
    }
}
