//! The `nianbao` command line: a thin layer over the library.

use clap::{ArgAction, Parser, Subcommand};
use nianbao::config::Config;
use nianbao::pipeline::{self, RunOptions};
use nianbao::template::Templates;
use std::path::PathBuf;
use std::process::ExitCode;

/// jemalloc rather than the system's malloc (README, "Tests and measurements": a
/// born-digital document costs less CPU with it, its many small allocations above all).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const EXTRACT_HELP: &str = "\
What is read:
  Folders are walked recursively (symbolic links followed); archives (zip, tar, tar.gz,
  tar.xz, 7z, RAR, one level of nesting) are read member by member, as streams; the bytes,
  not the name, say what a file is. Skipped by default, and counted in the summary: hidden files and folders,
  OS files (.DS_Store, Thumbs.db, desktop.ini, __MACOSX/, ._*), office lock files (~$*,
  .~lock.*#), sidecars (*.json, *.tsv, *.md) and this run's own outputs (the database and
  its -wal/-shm/-journal files, the JSONL and errors files). .gitignore files are not
  obeyed. A path named on the command line is always read unless --exclude matches it.
  A glob without '/' matches file names; one with '/' the path below the folder given.

Exit status:
  0  the run finished (documents that failed have failed records; see the summary)
  1  with --strict: the run finished and at least one document failed
  2  the run could not proceed: bad options or configuration, the database cannot be
     opened or written, an output file cannot be created or was left incomplete

Logging: -v (info), -vv (debug), -vvv (trace), or RUST_LOG (e.g. RUST_LOG=nianbao=debug);
NB_OCR_TRACE=1 traces the picture reader (RUST_LOG=nianbao::ocr=trace).";

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
    /// Extract records from report files, folders (walked recursively) and archives (zip,
    /// tar, tar.gz, tar.xz, 7z, RAR).
    #[command(after_help = EXTRACT_HELP)]
    Extract {
        /// Files or folders to read.
        #[arg(required_unless_present = "files_from")]
        paths: Vec<PathBuf>,
        /// Also read the paths listed in FILE, one a line (`-`: stdin); they are judged by
        /// the skip rules like files found in a folder.
        #[arg(long, value_name = "FILE")]
        files_from: Option<PathBuf>,
        /// Read only files matching GLOB (repeatable); a match is read even where a default
        /// rule would skip it. Zip archives are read and their members judged.
        #[arg(long, value_name = "GLOB")]
        include: Vec<String>,
        /// Skip files and folders matching GLOB (repeatable), named ones too.
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
        /// SQLite database to write (created if missing).
        #[arg(long, default_value = "nianbao.sqlite")]
        db: PathBuf,
        /// Do not write a database (with --jsonl).
        #[arg(long)]
        no_db: bool,
        /// Write to this PostgreSQL server instead of the SQLite file (default:
        /// $NIANBAO_POSTGRES when set), e.g. postgresql://user@host/db.
        #[arg(long, value_name = "URL", conflicts_with = "no_db")]
        postgres: Option<String>,
        /// Read only shard I of N (0 <= I < N) of the files, chosen by a hash of their
        /// path: N tasks of a batch scheduler running the same command read every file once.
        #[arg(long, value_name = "I/N")]
        shard: Option<pipeline::Shard>,
        /// Also write one JSON record per document to FILE (`-` for stdout).
        #[arg(long, value_name = "FILE")]
        jsonl: Option<PathBuf>,
        /// Write every failed or partial document with its reasons to FILE, one JSON
        /// object a line: path, sha256, status, errors.
        #[arg(long, value_name = "FILE")]
        errors: Option<PathBuf>,
        /// Run configuration (default: ./pipeline.toml when present, else built-in defaults).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Worker threads for the CPU-bound stages (default: one per core).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Extract again documents already in the database (same content sha256).
        #[arg(long)]
        force: bool,
        /// Extract again only the stored documents whose report another pipeline made (another
        /// version, templates, OCR engine or data, or [ocr] settings: the fingerprint in
        /// `runs.fingerprint`); skip the others.
        #[arg(long, conflicts_with = "force")]
        reprocess_outdated: bool,
        /// Write the run's statistics to FILE as JSON: per stage (documents, busy, CPU and
        /// wait time), per format (documents, CPU), the slowest documents, failures by reason.
        #[arg(long, value_name = "FILE")]
        stats: Option<PathBuf>,
        /// No progress output; only the summary.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Exit with status 1 when any document failed.
        #[arg(long)]
        strict: bool,
        /// More log output on stderr: -v info, -vv debug, -vvv trace (RUST_LOG overrides).
        #[arg(long, short = 'v', action = ArgAction::Count)]
        verbose: u8,
    },
    /// Print what files read as: the document model after picture recognition, the tables
    /// cell by cell, doubtful OCR readings marked [?confidence]. Exit status 1 when a file
    /// could not be read or decoded.
    Inspect {
        /// Files to read.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Register files in a PostgreSQL work queue, for `nianbao work` on any machines.
    Enqueue(nianbao::queue::cli::EnqueueArgs),
    /// Claim queued files from PostgreSQL, extract them and store their records there, until
    /// the queue is empty. Run as many as you like, on as many machines.
    Work(nianbao::queue::cli::WorkArgs),
    /// Print the PostgreSQL work queue's counts (queued, running, done, failed) and throughput.
    Status(nianbao::queue::cli::StatusArgs),
    /// Check that everything a run needs is in place (libtesseract, its eng and chi_sim
    /// language data, the database, the configuration and templates) and say what to
    /// install or fix. Exit status 1 when something is missing.
    Doctor {
        /// The database a run would write.
        #[arg(long, default_value = "nianbao.sqlite")]
        db: PathBuf,
        /// Run configuration (default: ./pipeline.toml when present).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Serve a local web page to review the database: counts, the documents to look at
    /// first, each document's tables coloured by confidence with its failed checks, the
    /// picture of every OCR'd cell, and corrections (stored apart from the extracted
    /// values). Prints the address with its access token; requests without it get 403.
    Review {
        /// The database `nianbao extract` wrote.
        #[arg(long, default_value = "nianbao.sqlite")]
        db: PathBuf,
        /// Review this PostgreSQL database instead (`extract --postgres`), e.g.
        /// postgresql://user@host/db.
        #[arg(long, value_name = "URL", conflicts_with = "db")]
        postgres: Option<String>,
        /// Port to listen on (0: any free port).
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// Address to listen on; another than 127.0.0.1 serves other machines too (the
        /// token still required).
        #[arg(long, default_value = "127.0.0.1")]
        listen: std::net::IpAddr,
        /// Run configuration, for its templates_dir (default: ./pipeline.toml when present).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Export a table of the database for analysts: CSV (Excel), JSON Lines or parquet
    /// (pandas, Polars, DuckDB, R), values long or wide, extracted or reviewed.
    #[command(after_help = nianbao::export::cli::EXPORT_HELP)]
    Export(nianbao::export::cli::ExportArgs),
    /// Correct, confirm or fill in one value of a stored report, as the review page does:
    /// stored in the corrections table, the extracted value kept. Prints the checks on
    /// the key after it.
    Correct {
        /// The database `nianbao extract` wrote.
        #[arg(long, default_value = "nianbao.sqlite")]
        db: PathBuf,
        /// Correct in this PostgreSQL database instead (`extract --postgres`).
        #[arg(long, value_name = "URL", conflicts_with = "db")]
        postgres: Option<String>,
        /// The report's content sha256 (`reports.sha256`).
        sha256: String,
        /// The value key (`requests/new/total`; the `keys` table lists them).
        key: String,
        /// The value as printed in the report.
        value: String,
        /// Why (shown with the correction).
        #[arg(long)]
        note: Option<String>,
        /// Who corrects (default: $USER).
        #[arg(long)]
        who: Option<String>,
        /// Run configuration, for its templates_dir (default: ./pipeline.toml when present).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// The templates of a configuration (`--config`, else ./pipeline.toml when present).
fn templates_of(config: Option<&std::path::Path>) -> anyhow::Result<Templates> {
    let config = match config {
        Some(p) => Config::load(p)?,
        None if std::path::Path::new("pipeline.toml").is_file() => {
            Config::load(std::path::Path::new("pipeline.toml"))?
        }
        None => Config::default(),
    };
    match &config.templates_dir {
        Some(dir) => Templates::from_dir(std::path::Path::new(dir)),
        None => Templates::builtin(),
    }
}

/// The database `review` and `correct` work on: `--postgres URL`, else the SQLite file.
fn review_db(db: PathBuf, postgres: Option<String>) -> nianbao::review::ReviewDb {
    match postgres {
        Some(url) => nianbao::review::ReviewDb::Postgres(url),
        None => nianbao::review::ReviewDb::Sqlite(db),
    }
}

fn main() -> ExitCode {
    nianbao::ocr::limit_openmp_threads();
    // The long form names the engine and data a result is made with; it initialises
    // libtesseract, so it is made only when asked for.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "--version" || a == "-V")
    {
        println!("nianbao {}", nianbao::version::long_version());
        return ExitCode::SUCCESS;
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect { files } => {
            nianbao::logging::init(0);
            let mut engine = nianbao::ocr::LazyEngine::new();
            let mut out = std::io::stdout().lock();
            let mut all_read = true;
            for file in &files {
                match nianbao::tools::inspect::inspect(file, &mut engine, &mut out) {
                    Ok(read) => all_read &= read,
                    // A closed pipe (`| head`) ends the output; nothing else to do.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
                    Err(e) => {
                        eprintln!("nianbao: writing the output: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            if all_read {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Doctor { db, config } => {
            let findings = nianbao::tools::doctor::diagnose(&db, config.as_deref());
            print!("{}", nianbao::tools::doctor::render(&findings));
            if findings.iter().all(|f| f.ok) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Review {
            db,
            postgres,
            port,
            listen,
            config,
        } => {
            nianbao::logging::init(0);
            let run = || -> anyhow::Result<()> {
                nianbao::review::run(nianbao::review::ReviewOptions {
                    db: review_db(db, postgres),
                    listen,
                    port,
                    templates: templates_of(config.as_deref())?,
                })
            };
            match run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("nianbao review: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Correct {
            db,
            postgres,
            sha256,
            key,
            value,
            note,
            who,
            config,
        } => {
            let run = || -> anyhow::Result<String> {
                nianbao::review::correct(
                    &review_db(db, postgres),
                    &templates_of(config.as_deref())?,
                    &sha256,
                    &key,
                    &value,
                    note.as_deref(),
                    &who.unwrap_or_else(nianbao::review::default_who),
                )
            };
            match run() {
                Ok(out) => {
                    print!("{out}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("nianbao correct: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Enqueue(args) => {
            nianbao::logging::init(0);
            nianbao::queue::cli::enqueue(args)
        }
        Command::Work(args) => {
            nianbao::logging::init(0);
            nianbao::queue::cli::work(args)
        }
        Command::Status(args) => nianbao::queue::cli::status(args),
        Command::Export(args) => nianbao::export::cli::run(args),
        Command::Extract {
            paths,
            files_from,
            include,
            exclude,
            db,
            no_db,
            postgres,
            shard,
            jsonl,
            errors,
            config,
            jobs,
            force,
            reprocess_outdated,
            stats,
            quiet,
            strict,
            verbose,
        } => {
            nianbao::logging::init(verbose);
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
                    files_from,
                    include,
                    exclude,
                    db: (!no_db).then_some(db),
                    postgres: (!no_db)
                        .then(|| {
                            postgres.or_else(|| {
                                std::env::var(nianbao::sinks::postgres::URL_ENV)
                                    .ok()
                                    .filter(|u| !u.is_empty())
                            })
                        })
                        .flatten(),
                    shard,
                    jsonl,
                    errors,
                    force,
                    reprocess_outdated,
                    stats,
                    quiet,
                    config: config.resolved(jobs),
                    templates,
                })
            };
            match run() {
                Ok(s) => {
                    eprint!("{}", s.render());
                    if s.output_error.is_some() {
                        ExitCode::from(2)
                    } else if strict && s.failed > 0 {
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
