//! Reading what an export needs from the database, as streams: SQLite (the file `extract`
//! writes) or PostgreSQL (`--postgres`). Values come a report at a time with the report's
//! own columns ([`Database::for_each_report`]); `reports` and `checks` row by row
//! ([`Database::for_each_row`]). Nothing holds more than one report's values, or a
//! PostgreSQL cursor's batch of rows.

use super::rows::{Cell, Column, Kind};
use crate::sinks::sqlite::{SinkOptions, SqliteSink, SCHEMA_VERSION};
use crate::template::Templates;
use anyhow::Context;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Rows fetched from a PostgreSQL cursor at a time.
const PG_BATCH_ROWS: i32 = 2000;

/// The report a group of values belongs to: the columns every value table starts with.
#[derive(Debug, Clone)]
pub struct ReportHead {
    pub id: i64,
    pub sha256: String,
    pub path: String,
    pub agency: Option<String>,
    pub year: Option<i64>,
    pub status: String,
    pub template: Option<String>,
}

/// One value of a report, extracted or reviewed.
#[derive(Debug, Clone)]
pub struct ValueRow {
    pub key: String,
    pub table_name: String,
    pub row_key: String,
    pub col_key: String,
    /// The value as stored (`348`, `214.3`): reviewed, or extracted.
    pub value_text: String,
    pub origin: Option<String>,
    pub confidence: Option<f64>,
    pub page: Option<i64>,
    /// `extracted`, or the correction applied: `confirm`, `correct`, `fill`.
    pub source: String,
    /// The extracted value's text (none for a cell a person filled in).
    pub extracted_text: Option<String>,
}

pub enum Database {
    Sqlite(Connection),
    Postgres(postgres::Client),
}

impl Database {
    /// Opens an existing SQLite database for reading. One of an older schema is first
    /// brought up to date, as `extract` and `review` do (it has no `reviewed_values` yet).
    pub fn open_sqlite(path: &Path, templates: &Templates) -> anyhow::Result<Database> {
        if !path.is_file() {
            anyhow::bail!(
                "no database at {}: run `nianbao extract --db {} ...` first",
                path.display(),
                path.display()
            );
        }
        let open = || -> anyhow::Result<(Connection, i32)> {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            Ok((conn, version))
        };
        let (mut conn, version) = open().with_context(|| format!("opening {}", path.display()))?;
        if version > SCHEMA_VERSION {
            anyhow::bail!(
                "{}: database schema version {version} is newer than this tool supports ({SCHEMA_VERSION})",
                path.display()
            );
        }
        if version < SCHEMA_VERSION {
            drop(conn);
            drop(
                SqliteSink::open(path, templates, SinkOptions::default())
                    .with_context(|| format!("bringing {} up to date", path.display()))?,
            );
            conn = open()?.0;
        }
        Ok(Database::Sqlite(conn))
    }

    pub fn open_postgres(url: &str) -> anyhow::Result<Database> {
        Ok(Database::Postgres(crate::sinks::postgres::connect(url)?))
    }

    /// Whether the database has corrections to apply (the view `reviewed_values`). A
    /// PostgreSQL database has none: the review page works on SQLite.
    pub fn has_reviewed_values(&mut self) -> anyhow::Result<bool> {
        Ok(match self {
            Database::Sqlite(conn) => conn.query_row(
                "SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = 'reviewed_values'",
                [],
                |r| r.get(0),
            )?,
            Database::Postgres(client) => client
                .query_one("SELECT to_regclass('reviewed_values') IS NOT NULL", &[])?
                .get(0),
        })
    }

    /// Every report, in id order, with its values of `table` (all tables when `None`),
    /// reviewed (corrections applied) or as extracted. Reports without values come with
    /// none.
    pub fn for_each_report(
        &mut self,
        table: Option<&str>,
        reviewed: bool,
        f: &mut dyn FnMut(ReportHead, Vec<ValueRow>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match self {
            Database::Sqlite(conn) => sqlite_reports(conn, table, reviewed, f),
            Database::Postgres(client) => postgres_reports(client, table, reviewed, f),
        }
    }

    /// The rows of `query`, each converted to its columns' kinds.
    pub fn for_each_row(
        &mut self,
        query: &FlatQuery,
        f: &mut dyn FnMut(Vec<Cell>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let kinds: Vec<Kind> = query.columns.iter().map(|c| c.kind).collect();
        match self {
            Database::Sqlite(conn) => {
                let mut st = conn.prepare(query.sqlite)?;
                let mut rows = st.query([])?;
                while let Some(row) = rows.next()? {
                    let mut cells = Vec::with_capacity(kinds.len());
                    for (i, kind) in kinds.iter().enumerate() {
                        cells.push(coerce(sqlite_cell(row.get_ref(i)?), *kind));
                    }
                    f(cells)?;
                }
                Ok(())
            }
            Database::Postgres(client) => postgres_stream(client, query.postgres, &mut |row| {
                let mut cells = Vec::with_capacity(kinds.len());
                for (i, kind) in kinds.iter().enumerate() {
                    cells.push(coerce(postgres_cell(row, i)?, *kind));
                }
                f(cells)
            }),
        }
    }
}

/// A query whose rows are exported as they come: its columns, and its SQL for each
/// database (PostgreSQL's types differ: booleans, timestamps).
pub struct FlatQuery {
    pub columns: Vec<Column>,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// `reports`: one row per report, its record's facts and counts (not its JSON).
pub fn reports_query() -> FlatQuery {
    use Kind::*;
    let columns = [
        ("report_id", Int),
        ("sha256", Text),
        ("path", Text),
        ("format", Text),
        ("status", Text),
        ("template", Text),
        ("agency", Text),
        ("year", Int),
        ("published", Text),
        ("address", Text),
        ("postcode", Text),
        ("phone", Text),
        ("email", Text),
        ("website", Text),
        ("active_disclosed_total", Int),
        ("requests_received", Int),
        ("appeals_total", Int),
        ("n_values", Int),
        ("n_checks", Int),
        ("n_checks_failed", Int),
        ("n_errors", Int),
        ("extracted_at", Text),
        ("tool_version", Text),
    ];
    FlatQuery {
        columns: columns.iter().map(|(n, k)| Column::new(*n, *k)).collect(),
        sqlite: "SELECT id, sha256, path, format, status, template, agency, year, published,
                     address, postcode, phone, email, website, active_disclosed_total,
                     requests_received, appeals_total, n_values, n_checks, n_checks_failed,
                     n_errors, extracted_at, tool_version
                 FROM reports ORDER BY id",
        // Times in SQLite's spelling, so that both databases export the same text.
        postgres: "SELECT id, sha256, path, format, status, template, agency, year, published,
                       address, postcode, phone, email, website, active_disclosed_total,
                       requests_received, appeals_total, n_values, n_checks, n_checks_failed,
                       n_errors,
                       to_char(extracted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                       tool_version
                   FROM reports ORDER BY id",
    }
}

/// `checks`: one row per check of every report, as extracted, in the record's order, with
/// its outcome (`pass`, `fail`, `explained`).
pub fn checks_query() -> FlatQuery {
    use Kind::*;
    let columns = [
        ("report_id", Int),
        ("sha256", Text),
        ("ordinal", Int),
        ("rule_id", Text),
        ("rule", Text),
        ("ok", Bool),
        ("detail", Text),
        ("outcome", Text),
    ];
    // `outcome` is NULL in rows written before it was stored: then `ok` says it.
    const SQL: &str = "SELECT c.report_id, r.sha256, c.ordinal, c.rule_id, c.rule, c.ok, c.detail,
             COALESCE(c.outcome, CASE WHEN c.ok THEN 'pass' ELSE 'fail' END)
         FROM checks c JOIN reports r ON r.id = c.report_id
         ORDER BY c.report_id, c.ordinal";
    FlatQuery {
        columns: columns.iter().map(|(n, k)| Column::new(*n, *k)).collect(),
        sqlite: SQL,
        postgres: SQL,
    }
}

/// A cell as its column's kind: SQLite's integers for booleans, whole numbers in a float
/// column, numbers in a text column.
fn coerce(cell: Cell, kind: Kind) -> Cell {
    match (cell, kind) {
        (Cell::Int(i), Kind::Bool) => Cell::Bool(i != 0),
        (Cell::Int(i), Kind::Float) => Cell::Float(i as f64),
        (Cell::Int(i), Kind::Text) => Cell::Text(i.to_string()),
        (Cell::Float(f), Kind::Text) => Cell::Text(f.to_string()),
        (Cell::Text(t), Kind::Int | Kind::Number | Kind::Float) => {
            // A number stored as text (SQLite's affinity lets a column hold one).
            match Cell::number(&t) {
                Some(Cell::Int(i)) if kind == Kind::Float => Cell::Float(i as f64),
                Some(n) if kind != Kind::Int || matches!(n, Cell::Int(_)) => n,
                _ => Cell::Text(t),
            }
        }
        (cell, _) => cell,
    }
}

fn sqlite_cell(v: rusqlite::types::ValueRef) -> Cell {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Int(i),
        ValueRef::Real(f) => Cell::Float(f),
        ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Cell::Text(format!("<{} bytes>", b.len())),
    }
}

fn postgres_cell(row: &postgres::Row, i: usize) -> anyhow::Result<Cell> {
    use postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    Ok(match ty {
        Type::INT2 => row.get::<_, Option<i16>>(i).map(|v| Cell::Int(v.into())),
        Type::INT4 => row.get::<_, Option<i32>>(i).map(|v| Cell::Int(v.into())),
        Type::INT8 => row.get::<_, Option<i64>>(i).map(Cell::Int),
        Type::FLOAT4 => row.get::<_, Option<f32>>(i).map(|v| Cell::Float(v.into())),
        Type::FLOAT8 => row.get::<_, Option<f64>>(i).map(Cell::Float),
        Type::BOOL => row.get::<_, Option<bool>>(i).map(Cell::Bool),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            row.get::<_, Option<String>>(i).map(Cell::Text)
        }
        other => anyhow::bail!(
            "column {} has type {other}, which the export does not read",
            row.columns()[i].name()
        ),
    }
    .unwrap_or(Cell::Null))
}

/// Runs `sql` through a cursor in a read-only transaction, a batch of rows at a time:
/// the client never holds the whole result.
fn postgres_stream(
    client: &mut postgres::Client,
    sql: &str,
    f: &mut dyn FnMut(&postgres::Row) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .start()?;
    let portal = tx.bind(sql, &[])?;
    loop {
        let rows = tx.query_portal(&portal, PG_BATCH_ROWS)?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            f(row)?;
        }
    }
    tx.commit()?;
    Ok(())
}

const SQLITE_REPORTS: &str =
    "SELECT id, sha256, path, agency, year, status, template FROM reports ORDER BY id";
const SQLITE_VALUES: &str = "
SELECT key, table_name, row_key, col_key, value_text, origin, confidence, page,
       'extracted', value_text
FROM report_values WHERE report_id = ?1 AND (?2 IS NULL OR table_name = ?2)";
// The values of the reports a person corrected, through the view, in one pass: the view
// materialises the latest corrections once per query, so asking it report by report
// would cost every report a scan of all corrections. Reports without corrections read
// `report_values` (SQLITE_VALUES), which is what the view gives them.
const SQLITE_REVIEWED_VALUES: &str = "
SELECT v.report_id, v.key, v.table_name, v.row_key, v.col_key, v.value_text, e.origin,
       e.confidence, e.page, v.source, v.extracted_text
FROM reviewed_values v
LEFT JOIN report_values e ON e.report_id = v.report_id AND e.key = v.key
WHERE v.report_id IN (SELECT report_id FROM corrections) AND (?1 IS NULL OR v.table_name = ?1)
ORDER BY v.report_id";

fn value_row(v: &rusqlite::Row, first: usize) -> rusqlite::Result<ValueRow> {
    Ok(ValueRow {
        key: v.get(first)?,
        table_name: v.get(first + 1)?,
        row_key: v.get(first + 2)?,
        col_key: v.get(first + 3)?,
        value_text: v.get(first + 4)?,
        origin: v.get(first + 5)?,
        confidence: v.get(first + 6)?,
        page: v.get(first + 7)?,
        source: v.get(first + 8)?,
        extracted_text: v.get(first + 9)?,
    })
}

fn sqlite_reports(
    conn: &Connection,
    table: Option<&str>,
    reviewed: bool,
    f: &mut dyn FnMut(ReportHead, Vec<ValueRow>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    // One read transaction: the reports and their values are one snapshot.
    conn.execute_batch("BEGIN")?;
    let result = (|| {
        let mut reports = conn.prepare(SQLITE_REPORTS)?;
        let mut values = conn.prepare(SQLITE_VALUES)?;
        // With --reviewed, the corrected reports' values, by report id: merged with the
        // reports (also by id) as both streams go.
        let mut reviewed_stmt = if reviewed {
            Some(conn.prepare(SQLITE_REVIEWED_VALUES)?)
        } else {
            None
        };
        let mut reviewed_rows = match reviewed_stmt.as_mut() {
            Some(st) => Some(st.query([table])?),
            None => None,
        };
        let mut pending: Option<(i64, ValueRow)> = None;
        let next_reviewed =
            |rows: &mut rusqlite::Rows| -> rusqlite::Result<Option<(i64, ValueRow)>> {
                match rows.next()? {
                    Some(r) => Ok(Some((r.get(0)?, value_row(r, 1)?))),
                    None => Ok(None),
                }
            };
        if let Some(rows) = reviewed_rows.as_mut() {
            pending = next_reviewed(rows)?;
        }
        let mut rows = reports.query([])?;
        while let Some(r) = rows.next()? {
            let head = ReportHead {
                id: r.get(0)?,
                sha256: r.get(1)?,
                path: r.get(2)?,
                agency: r.get(3)?,
                year: r.get(4)?,
                status: r.get(5)?,
                template: r.get(6)?,
            };
            let mut corrected = Vec::new();
            if let Some(rows) = reviewed_rows.as_mut() {
                while let Some((id, row)) = pending.take() {
                    if id > head.id {
                        pending = Some((id, row));
                        break;
                    }
                    if id == head.id {
                        corrected.push(row);
                    }
                    pending = next_reviewed(rows)?;
                }
            }
            // A report with corrections has every value in the view (corrected or not).
            let vals = if !corrected.is_empty() {
                corrected
            } else {
                values
                    .query_map(rusqlite::params![head.id, table], |v| value_row(v, 0))?
                    .collect::<Result<Vec<_>, _>>()?
            };
            f(head, vals)?;
        }
        Ok(())
    })();
    conn.execute_batch("COMMIT")?;
    result
}

fn postgres_reports(
    client: &mut postgres::Client,
    table: Option<&str>,
    reviewed: bool,
    f: &mut dyn FnMut(ReportHead, Vec<ValueRow>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let table_filter = match table {
        // The table names are ours (`Table`), never the user's text.
        Some(t) => format!(" AND v.table_name = '{}'", t.replace('\'', "''")),
        None => String::new(),
    };
    let (from, extra) = if reviewed {
        (
            format!(
                "reviewed_values v ON v.report_id = r.id{table_filter}
                 LEFT JOIN report_values e ON e.report_id = v.report_id AND e.key = v.key"
            ),
            "e.origin, e.confidence, e.page, v.source, v.extracted_text",
        )
    } else {
        (
            format!("report_values v ON v.report_id = r.id{table_filter}"),
            "v.origin, v.confidence, v.page, 'extracted'::text, v.value_text",
        )
    };
    let sql = format!(
        "SELECT r.id, r.sha256, r.path, r.agency, r.year, r.status, r.template,
                v.key, v.table_name, v.row_key, v.col_key, v.value_text, {extra}
         FROM reports r LEFT JOIN {from}
         ORDER BY r.id"
    );
    let mut current: Option<(ReportHead, Vec<ValueRow>)> = None;
    postgres_stream(client, &sql, &mut |row| {
        let id: i64 = row.try_get(0)?;
        if current.as_ref().is_some_and(|(h, _)| h.id != id) {
            if let Some((head, values)) = current.take() {
                f(head, values)?;
            }
        }
        if current.is_none() {
            let head = ReportHead {
                id,
                sha256: row.try_get(1)?,
                path: row.try_get(2)?,
                agency: row.try_get(3)?,
                year: row.try_get::<_, Option<i32>>(4)?.map(i64::from),
                status: row.try_get(5)?,
                template: row.try_get(6)?,
            };
            current = Some((head, Vec::new()));
        }
        let Some((_, values)) = current.as_mut() else {
            return Ok(());
        };
        // A report without values has one row of NULLs from the LEFT JOIN.
        if let Some(key) = row.try_get::<_, Option<String>>(7)? {
            values.push(ValueRow {
                key,
                table_name: row.try_get(8)?,
                row_key: row.try_get(9)?,
                col_key: row.try_get(10)?,
                value_text: row.try_get(11)?,
                origin: row.try_get(12)?,
                confidence: row.try_get(13)?,
                page: row.try_get::<_, Option<i32>>(14)?.map(i64::from),
                source: row.try_get(15)?,
                extracted_text: row.try_get(16)?,
            });
        }
        Ok(())
    })?;
    if let Some((head, values)) = current {
        f(head, values)?;
    }
    Ok(())
}
