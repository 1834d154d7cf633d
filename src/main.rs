//! The `nianbao` command line: a thin layer over the library.

use clap::{Parser, Subcommand};
use nianbao::config::Config;
use nianbao::pipeline::{self, RunOptions};
use nianbao::template::Templates;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "nianbao",
    version,
    about = "Turns Chinese government information-disclosure annual reports (政府信息公开工作年度报告) into checked, structured records"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract records from report files, folders (walked recursively) and .zip archives.
    Extract {
        /// Files or folders to read.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// SQLite database to write (created if missing).
        #[arg(long, default_value = "nianbao.sqlite")]
        db: PathBuf,
        /// Do not write a database (with --jsonl).
        #[arg(long)]
        no_db: bool,
        /// Also write one JSON record per document to FILE (`-` for stdout).
        #[arg(long, value_name = "FILE")]
        jsonl: Option<PathBuf>,
        /// Run configuration (default: ./pipeline.toml when present, else built-in defaults).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Worker threads for the CPU-bound stages (default: one per core).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Extract again documents already in the database (same content sha256).
        #[arg(long)]
        force: bool,
        /// No progress output; only the summary.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Exit non-zero when any document failed.
        #[arg(long)]
        strict: bool,
    },
}

fn main() -> ExitCode {
    nianbao::ocr::limit_openmp_threads();
    let cli = Cli::parse();
    match cli.command {
        Command::Extract {
            paths,
            db,
            no_db,
            jsonl,
            config,
            jobs,
            force,
            quiet,
            strict,
        } => {
            let run = || -> anyhow::Result<pipeline::Summary> {
                let config = match &config {
                    Some(p) => Config::load(p)?,
                    None if std::path::Path::new("pipeline.toml").is_file() => {
                        Config::load(std::path::Path::new("pipeline.toml"))?
                    }
                    None => Config::default(),
                };
                let templates = match &config.templates_dir {
                    Some(dir) => Templates::from_dir(std::path::Path::new(dir))?,
                    None => Templates::builtin()?,
                };
                pipeline::run(RunOptions {
                    paths,
                    db: (!no_db).then_some(db),
                    jsonl,
                    force,
                    quiet,
                    config: config.resolved(jobs),
                    templates,
                })
            };
            match run() {
                Ok(s) => {
                    eprintln!(
                        "{} documents: {} ok, {} partial, {} failed, {} skipped (already stored); \
                         {} failed checks in {} documents; {:.1} s, {:.0} docs/s",
                        s.documents,
                        s.ok,
                        s.partial,
                        s.failed,
                        s.skipped,
                        s.checks_failed,
                        s.documents_with_failed_checks,
                        s.elapsed.as_secs_f64(),
                        s.docs_per_second()
                    );
                    if strict && s.failed > 0 {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("nianbao: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
