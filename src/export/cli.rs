//! The command line of `nianbao export`: where from, where to, and its exit statuses.

use super::query::Database;
use super::{export, validate, ExportOptions, Format, Table};
use crate::config::Config;
use crate::sinks::postgres::URL_ENV;
use crate::template::Templates;
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub const EXPORT_HELP: &str = "\
Tables:
  values    every value, long: one row per report and key (report_id, sha256, path, agency,
            year, status, template, key, table_name, row_key, col_key, row_label,
            col_label, value, source, extracted_value, origin, confidence, page), in the
            template's printed order; --wide: one row per report, one column per key
  active, requests, appeals
            the same for table 二, 三 or 四 alone (--wide: the columns of report_wide)
  reports   one row per report (facts, totals, counts of values, checks and errors)
  checks    one row per check (rule_id, rule, ok, detail, outcome: pass, fail or explained)

--reviewed exports values with the corrections of `nianbao review` / `nianbao correct`
applied (source: confirm, correct, fill; extracted_value keeps what was extracted).

Exit status: 0 written; 2 bad options, no database, or the output could not be written
(a partial output file is removed).";

#[derive(Args)]
pub struct ExportArgs {
    /// The output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// What to export.
    #[arg(long, value_enum, default_value = "values")]
    pub table: Table,
    /// SQLite database to read (default: nianbao.sqlite, or $NIANBAO_POSTGRES when set).
    #[arg(long, value_name = "FILE", conflicts_with = "postgres")]
    pub db: Option<PathBuf>,
    /// Read this PostgreSQL server instead (default: $NIANBAO_POSTGRES when set and no
    /// --db).
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Write to FILE (`-`: stdout, the default).
    #[arg(long, short = 'o', value_name = "FILE", default_value = "-")]
    pub out: PathBuf,
    /// Values with the corrections a person made applied, not as extracted.
    #[arg(long)]
    pub reviewed: bool,
    /// Value tables: one row per report and one column per key.
    #[arg(long)]
    pub wide: bool,
    /// CSV: start with the UTF-8 byte-order mark, without which Excel set to Chinese
    /// reads the file as GBK.
    #[arg(long)]
    pub bom: bool,
    /// Run configuration, for its templates_dir (default: ./pipeline.toml when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// No summary line on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn templates(config: Option<&Path>) -> anyhow::Result<Templates> {
    let config = match config {
        Some(p) => Config::load(p)?,
        None if Path::new("pipeline.toml").is_file() => Config::load(Path::new("pipeline.toml"))?,
        None => Config::default(),
    };
    match &config.templates_dir {
        Some(dir) => Templates::from_dir(Path::new(dir)),
        None => Templates::builtin(),
    }
}

/// A write error that is only the reader going away (`| head`): not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|csv| {
                matches!(csv.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
            || c.downcast_ref::<parquet::errors::ParquetError>()
                .is_some_and(|p| p.to_string().contains("Broken pipe"))
    })
}

pub fn run(args: ExportArgs) -> ExitCode {
    let to_stdout = args.out.as_os_str() == "-";
    let started = std::time::Instant::now();
    // Whether this run made the output file (a partial one is removed; another's is not).
    let mut created = false;
    let result = (|| -> anyhow::Result<super::ExportSummary> {
        let opts = ExportOptions {
            format: args.format,
            table: args.table,
            reviewed: args.reviewed,
            wide: args.wide,
            bom: args.bom,
        };
        validate(&opts)?;
        if to_stdout && opts.format == Format::Parquet && std::io::stdout().is_terminal() {
            anyhow::bail!("parquet is binary: give --out FILE, or send stdout to a file");
        }
        let templates = templates(args.config.as_deref())?;
        let postgres = match (&args.db, &args.postgres) {
            (_, Some(url)) => Some(url.clone()),
            (Some(_), None) => None,
            (None, None) => std::env::var(URL_ENV).ok().filter(|u| !u.is_empty()),
        };
        let mut db = match postgres {
            Some(url) => Database::open_postgres(&url)?,
            None => Database::open_sqlite(
                args.db.as_deref().unwrap_or(Path::new("nianbao.sqlite")),
                &templates,
            )?,
        };
        let out: Box<dyn Write + Send> = if to_stdout {
            Box::new(std::io::BufWriter::with_capacity(
                1 << 16,
                std::io::stdout(),
            ))
        } else {
            let file = std::fs::File::create(&args.out)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", args.out.display()))?;
            created = true;
            Box::new(std::io::BufWriter::with_capacity(1 << 16, file))
        };
        export(&mut db, &templates, &opts, out)
    })();
    match result {
        Ok(summary) => {
            if !args.quiet {
                let secs = started.elapsed().as_secs_f64();
                eprintln!(
                    "nianbao export: {} rows to {} in {secs:.1} s ({:.0} rows/s)",
                    summary.rows,
                    if to_stdout {
                        "stdout".to_string()
                    } else {
                        args.out.display().to_string()
                    },
                    summary.rows as f64 / secs.max(1e-9)
                );
                if summary.left_out_of_wide > 0 {
                    eprintln!(
                        "nianbao export: {} values left out of the wide table: no template has their key (the long form has them)",
                        summary.left_out_of_wide
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) if to_stdout && is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            if created {
                // A partial file would read as a complete, shorter table.
                let _ = std::fs::remove_file(&args.out);
            }
            eprintln!("nianbao export: {e:#}");
            ExitCode::from(2)
        }
    }
}
