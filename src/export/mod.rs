//! `nianbao export`: the database's tables as files analysts load directly — CSV that
//! Excel opens, JSON Lines, parquet for pandas, Polars, DuckDB and R — from SQLite or
//! PostgreSQL, streamed row by row.
//!
//! Tables: `values` (every value, long: one row per report and key, or `--wide`: one row
//! per report and a column per key), the same for one statistics table (`active` 二,
//! `requests` 三, `appeals` 四), `reports` (one row per report), `checks` (one row per
//! check). `--reviewed` exports the values with a person's corrections applied (the
//! `reviewed_values` view) instead of as extracted.
//!
//! Reading is [`query`], the long and wide shapes [`layout`], the formats one writer each.

pub mod cli;
pub mod csv_writer;
pub mod jsonl_writer;
pub mod layout;
pub mod parquet_writer;
pub mod query;
pub mod rows;

use query::Database;
use rows::{Cell, RowWriter};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Table {
    /// Every value of every table.
    Values,
    /// Table 二 (主动公开).
    Active,
    /// Table 三 (依申请公开).
    Requests,
    /// Table 四 (行政复议、行政诉讼).
    Appeals,
    /// One row per report: its facts and counts.
    Reports,
    /// One row per check of every report.
    Checks,
}

impl Table {
    /// The `table_name` of its values; `None` for every table's.
    fn value_table(self) -> Option<&'static str> {
        match self {
            Table::Active => Some("active"),
            Table::Requests => Some("requests"),
            Table::Appeals => Some("appeals"),
            _ => None,
        }
    }

    fn holds_values(self) -> bool {
        matches!(
            self,
            Table::Values | Table::Active | Table::Requests | Table::Appeals
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    pub format: Format,
    pub table: Table,
    /// Values with corrections applied.
    pub reviewed: bool,
    /// One row per report, one column per key.
    pub wide: bool,
    /// CSV only: start with the UTF-8 byte-order mark.
    pub bom: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub rows: u64,
    /// Values left out of a wide table because no template has their key.
    pub left_out_of_wide: usize,
}

/// Refuses option combinations that mean nothing, before anything is written.
pub fn validate(opts: &ExportOptions) -> anyhow::Result<()> {
    if opts.wide && !opts.table.holds_values() {
        anyhow::bail!("--wide is for the value tables (values, active, requests, appeals)");
    }
    if opts.reviewed && !opts.table.holds_values() {
        anyhow::bail!(
            "--reviewed applies corrections to values; the {} table is exported as extracted \
             (the review page and `nianbao correct` show checks on the reviewed values)",
            match opts.table {
                Table::Reports => "reports",
                _ => "checks",
            }
        );
    }
    if opts.bom && opts.format != Format::Csv {
        anyhow::bail!("--bom is for CSV (--format csv)");
    }
    Ok(())
}

/// Exports `opts.table` from `db` to `out` in `opts.format`.
pub fn export(
    db: &mut Database,
    templates: &crate::template::Templates,
    opts: &ExportOptions,
    out: Box<dyn Write + Send>,
) -> anyhow::Result<ExportSummary> {
    validate(opts)?;
    if opts.reviewed && !db.has_reviewed_values()? {
        anyhow::bail!(
            "this database has no corrections (no reviewed_values view: it was made by an older \
             version; `nianbao review` or `nianbao correct` on it adds the view); export \
             without --reviewed"
        );
    }
    let mut summary = ExportSummary::default();
    if opts.table.holds_values() {
        let mut shaper = layout::Shaper::new(templates, opts.table.value_table(), opts.wide);
        let mut writer = writer(opts, out, &shaper.columns())?;
        db.for_each_report(
            opts.table.value_table(),
            opts.reviewed,
            &mut |head, values| {
                shaper.rows(&head, values, &mut |row: &[Cell]| {
                    summary.rows += 1;
                    writer.write_row(row)
                })
            },
        )?;
        writer.finish()?;
        summary.left_out_of_wide = shaper.left_out_of_wide;
    } else {
        let query = match opts.table {
            Table::Reports => query::reports_query(),
            _ => query::checks_query(),
        };
        let mut writer = writer(opts, out, &query.columns)?;
        db.for_each_row(&query, &mut |row| {
            summary.rows += 1;
            writer.write_row(&row)
        })?;
        writer.finish()?;
    }
    Ok(summary)
}

fn writer(
    opts: &ExportOptions,
    out: Box<dyn Write + Send>,
    columns: &[rows::Column],
) -> anyhow::Result<Box<dyn RowWriter>> {
    Ok(match opts.format {
        Format::Csv => Box::new(csv_writer::CsvWriter::new(out, columns, opts.bom)?),
        Format::Jsonl => Box::new(jsonl_writer::JsonlWriter::new(out, columns)?),
        Format::Parquet => Box::new(parquet_writer::ParquetWriter::new(out, columns)?),
    })
}
