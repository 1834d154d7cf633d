//! The command lines of `enqueue`, `work` and `status`: their options and exit statuses.

use crate::config::Config;
use crate::sinks::postgres::{connect, URL_ENV};
use crate::sinks::sqlite::SinkOptions;
use crate::sinks::PostgresSink;
use crate::template::Templates;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct EnqueueArgs {
    /// Files or folders to register (walked as `extract` walks them). Workers read these
    /// paths, so give paths every worker can reach (shared storage), or --store-bytes.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The PostgreSQL server (default: $NIANBAO_POSTGRES), e.g. postgresql://user@host/db.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Store each file's bytes in the database, for workers that do not share the disk.
    #[arg(long)]
    pub store_bytes: bool,
    /// Queue finished jobs again when another pipeline (an older version, other
    /// templates or OCR settings; the fingerprint of this --config) made their reports:
    /// workers extract again only those documents, and see the current ones again.
    #[arg(long)]
    pub reprocess_outdated: bool,
    /// Run configuration (default: ./pipeline.toml when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Args)]
pub struct WorkArgs {
    /// The PostgreSQL server (default: $NIANBAO_POSTGRES).
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Worker threads in this process (default: one per core).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Seconds a claim holds: a job whose worker died is claimed again after it.
    #[arg(long, default_value_t = 600.0)]
    pub lease_s: f64,
    /// Claims a job may have; one whose lease runs out on its last is failed.
    #[arg(long, default_value_t = 3)]
    pub max_attempts: i32,
    /// Jobs claimed and written together.
    #[arg(long, default_value_t = 16)]
    pub batch: i64,
    /// Keep waiting for new jobs when the queue is empty, instead of exiting.
    #[arg(long)]
    pub wait: bool,
    /// Extract again the documents of every job (not only of those queued by `enqueue
    /// --reprocess-outdated`) whose stored report another pipeline made.
    #[arg(long)]
    pub reprocess_outdated: bool,
    /// Run configuration (default: ./pipeline.toml when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// No summary line.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Write this process's statistics to FILE as JSON when it ends (as `extract --stats`:
    /// per stage, per format, the slowest documents, failures by reason).
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
}

#[derive(Args)]
pub struct StatusArgs {
    /// The PostgreSQL server (default: $NIANBAO_POSTGRES).
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
}

/// `--postgres`, else `$NIANBAO_POSTGRES`.
pub fn postgres_url(given: Option<String>) -> anyhow::Result<String> {
    given
        .or_else(|| std::env::var(URL_ENV).ok().filter(|u| !u.is_empty()))
        .ok_or_else(|| {
            anyhow::anyhow!("no PostgreSQL server: give --postgres URL or set {URL_ENV}")
        })
}

fn load(config: Option<&Path>) -> anyhow::Result<(Config, Templates)> {
    let config = match config {
        Some(p) => Config::load(p)?,
        None if Path::new("pipeline.toml").is_file() => Config::load(Path::new("pipeline.toml"))?,
        None => Config::default(),
    };
    let templates = match &config.templates_dir {
        Some(dir) => Templates::from_dir(Path::new(dir))?,
        None => Templates::builtin()?,
    };
    Ok((config, templates))
}

fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nianbao: {e:#}");
            ExitCode::from(2)
        }
    }
}

pub fn enqueue(args: EnqueueArgs) -> ExitCode {
    exit((|| {
        let url = postgres_url(args.postgres)?;
        let (config, templates) = load(args.config.as_deref())?;
        // Opening the sink applies the migrations: the queue table exists after it.
        let mut sink = PostgresSink::open(&url, &templates, SinkOptions::default())?;
        let max_file = config.limits.max_file_mb << 20;
        let fingerprint = args.reprocess_outdated.then(|| {
            let info = crate::version::run_info();
            crate::fingerprint::fingerprint(&templates, &config, &info)
        });
        let reprocess = fingerprint
            .as_deref()
            .map(|fingerprint| super::enqueue::Reprocess { fingerprint });
        let e = super::enqueue::enqueue(
            sink.client(),
            &args.paths,
            args.store_bytes,
            max_file,
            reprocess,
        )?;
        eprintln!(
            "{} files: {} jobs added, {} queued already{}{}",
            e.files,
            e.added,
            e.files as u64 - e.added.min(e.files as u64),
            match reprocess {
                Some(_) => format!(
                    " ({} of them queued again to re-extract what another pipeline made)",
                    e.requeued
                ),
                None => String::new(),
            },
            match e.unreadable {
                0 => String::new(),
                n => format!("; {n} could not be read (a worker records each as failed)"),
            }
        );
        Ok(())
    })())
}

pub fn work(args: WorkArgs) -> ExitCode {
    exit((|| {
        let url = postgres_url(args.postgres)?;
        let (config, templates) = load(args.config.as_deref())?;
        let threads = args.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        let start = std::time::Instant::now();
        let stats = crate::pipeline::stats::RunStats::new();
        let w = super::work::work(super::work::WorkOptions {
            url,
            threads,
            lease_s: args.lease_s,
            max_attempts: args.max_attempts,
            batch: args.batch,
            wait: args.wait,
            reprocess_outdated: args.reprocess_outdated,
            config: config.resolved(Some(threads)),
            templates: std::sync::Arc::new(templates),
            stats: std::sync::Arc::clone(&stats),
        })?;
        let report = stats.queue_report(crate::pipeline::stats::Counts {
            documents: w.documents,
            already_stored: w.already_stored,
            reprocessed: w.reprocessed,
            ok: w.ok,
            partial: w.partial,
            failed: w.failed,
        });
        if let Some(path) = &args.stats {
            crate::pipeline::stats::write_json(path, &report).map_err(|e| {
                anyhow::anyhow!("writing the statistics file {}: {e}", path.display())
            })?;
        }
        if !args.quiet {
            eprint!("{}", report.render());
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "{} jobs, {} documents: {} ok, {} partial, {} failed, {} already stored, \
                 {} outdated extracted again; {} jobs failed for good; {secs:.1} s, {:.0} docs/s",
                w.jobs,
                w.documents,
                w.ok,
                w.partial,
                w.failed,
                w.already_stored,
                w.reprocessed,
                w.jobs_failed,
                w.documents as f64 / secs.max(1e-9)
            );
        }
        Ok(())
    })())
}

pub fn status(args: StatusArgs) -> ExitCode {
    exit((|| {
        let url = postgres_url(args.postgres)?;
        let mut client = connect(&url)?;
        let s = super::status::status(&mut client).map_err(|e| {
            anyhow::Error::new(e)
                .context("reading the queue (has anything been enqueued into this database?)")
        })?;
        print!("{}", s.render());
        Ok(())
    })())
}
