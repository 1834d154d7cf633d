//! The tables, and the migrations that bring a database made by an earlier version up to
//! [`SCHEMA_VERSION`] (kept in `PRAGMA user_version`).

use rusqlite::{Connection, Transaction};

/// The schema version stored in `PRAGMA user_version`. History:
/// 1. reports keyed by sha256 (deleted and inserted again on `--force`), values REAL,
///    row labels in a hard-coded `row_labels` table.
/// 2. stable report ids (updated in place), `sources` (every path a content was seen at),
///    `runs` (tool, commit, tesseract and tessdata versions), values INTEGER when whole,
///    `record_json` optional, `keys` and the views generated from the templates,
///    deletes cascading without `PRAGMA foreign_keys` too (triggers).
/// 3. `corrections` (a person's confirmations, corrections and filled cells) and the view
///    `reviewed_values` ([`super::corrections`]); `runs.fingerprint` (the pipeline that
///    made a run's reports), added to any version-3 database that lacks it: older
///    versions write runs without it, and their reports then count as outdated.
pub const SCHEMA_VERSION: i32 = 3;

/// `{name}`: `reports`, or the new table of a rebuild.
const REPORTS_TABLE_SQL: &str = "
CREATE TABLE {name} (
    id                     INTEGER PRIMARY KEY,
    sha256                 TEXT NOT NULL UNIQUE,
    path                   TEXT NOT NULL,
    format                 TEXT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'failed')),
    template               TEXT,
    agency                 TEXT,
    year                   INTEGER,
    published              TEXT,
    address                TEXT,
    postcode               TEXT,
    phone                  TEXT,
    email                  TEXT,
    website                TEXT,
    active_disclosed_total INTEGER,
    requests_received      INTEGER,
    appeals_total          INTEGER,
    n_values               INTEGER NOT NULL,
    n_checks               INTEGER NOT NULL,
    n_checks_failed        INTEGER NOT NULL,
    n_errors               INTEGER NOT NULL,
    extracted_at           TEXT NOT NULL,
    tool_version           TEXT NOT NULL,
    run_id                 INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    record_json            TEXT
);";
const REPORTS_INDEX_SQL: &str = "
CREATE INDEX IF NOT EXISTS reports_agency_year ON reports(agency, year);
CREATE INDEX IF NOT EXISTS reports_year ON reports(year);
CREATE INDEX IF NOT EXISTS reports_status ON reports(status);";

// `value` has NUMERIC affinity: a whole number is stored as INTEGER (348, not 348.0),
// a decimal as REAL.
const REPORT_VALUES_SQL: &str = "
CREATE TABLE {name} (
    report_id   INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    row_key     TEXT NOT NULL,
    col_key     TEXT NOT NULL,
    value       NUMERIC NOT NULL,
    value_text  TEXT NOT NULL,
    origin      TEXT,
    confidence  REAL,
    page        INTEGER,
    raw         TEXT,
    bbox        TEXT,
    cell_table  INTEGER,
    cell_row    INTEGER,
    cell_col    INTEGER,
    PRIMARY KEY (report_id, key)
) WITHOUT ROWID;";

const CHILD_TABLES_SQL: &str = "
CREATE TABLE IF NOT EXISTS checks (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ordinal   INTEGER NOT NULL,
    rule_id   TEXT NOT NULL,
    rule      TEXT NOT NULL,
    ok        INTEGER NOT NULL,
    detail    TEXT NOT NULL,
    PRIMARY KEY (report_id, ordinal)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS errors (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ordinal   INTEGER NOT NULL,
    stage     TEXT NOT NULL,
    message   TEXT NOT NULL,
    PRIMARY KEY (report_id, ordinal)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS sections (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ordinal   INTEGER NOT NULL,
    heading   TEXT NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (report_id, ordinal)
) WITHOUT ROWID;";

/// Added in version 2.
const V2_TABLES_SQL: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id                INTEGER PRIMARY KEY,
    started_at        TEXT NOT NULL,
    finished_at       TEXT,
    tool_version      TEXT NOT NULL,
    git_commit        TEXT NOT NULL,
    tesseract_version TEXT,
    tessdata          TEXT,
    documents         INTEGER,
    ok                INTEGER,
    partial           INTEGER,
    failed            INTEGER,
    already_stored    INTEGER
);

CREATE TABLE IF NOT EXISTS sources (
    report_id  INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    PRIMARY KEY (report_id, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sources_path ON sources(path);";

/// `ON DELETE CASCADE` acts only on connections that turned `PRAGMA foreign_keys` on,
/// which the sqlite3 shell and most clients do not: these triggers delete a report's rows
/// whatever the client (with the pragma on, the cascade has already done it).
const DELETE_TRIGGERS_SQL: &str = "
DROP TRIGGER IF EXISTS reports_delete_children;
CREATE TRIGGER reports_delete_children AFTER DELETE ON reports
BEGIN
    DELETE FROM report_values WHERE report_id = OLD.id;
    DELETE FROM checks WHERE report_id = OLD.id;
    DELETE FROM errors WHERE report_id = OLD.id;
    DELETE FROM sections WHERE report_id = OLD.id;
    DELETE FROM sources WHERE report_id = OLD.id;
END;";

/// Brings the schema from `found` (0: a new database) to [`SCHEMA_VERSION`]. Runs inside
/// `tx`; the caller turned `foreign_keys` off for it, as SQLite's table rebuilds require.
pub fn migrate(tx: &Transaction, found: i32) -> rusqlite::Result<()> {
    match found {
        0 if !table_exists(tx, "reports")? => {
            tx.execute_batch(V2_TABLES_SQL)?;
            tx.execute_batch(&REPORTS_TABLE_SQL.replace("{name}", "reports"))?;
            tx.execute_batch(REPORTS_INDEX_SQL)?;
            tx.execute_batch(&REPORT_VALUES_SQL.replace("{name}", "report_values"))?;
            tx.execute_batch(CHILD_TABLES_SQL)?;
        }
        // A database of version 1 (or one made before versions were kept).
        0 | 1 => migrate_1_to_2(tx)?,
        _ => {}
    }
    tx.execute_batch(DELETE_TRIGGERS_SQL)?;
    add_missing_column(tx, "runs", "fingerprint", "TEXT")?;
    // pass | fail | explained (`ok` is true for pass only); NULL in rows written before.
    add_missing_column(tx, "checks", "outcome", "TEXT")?;
    super::corrections::migrate(tx)
}

/// Adds a nullable column that a table made before it lacks.
fn add_missing_column(
    conn: &Connection,
    table: &str,
    column: &str,
    sql_type: &str,
) -> rusqlite::Result<()> {
    let present: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
        [column],
        |r| r.get(0),
    )?;
    if present == 0 {
        conn.execute_batch(&format!(
            "ALTER TABLE {table} ADD COLUMN {column} {sql_type}"
        ))?;
    }
    Ok(())
}

fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// Version 1 → 2: `reports` and `report_values` rebuilt (record_json nullable, run_id;
/// values re-typed: NUMERIC affinity turns 348.0 into 348), each report's path its first
/// source, rows orphaned by clients without `foreign_keys` dropped, the hard-coded
/// `row_labels` replaced by `keys`.
fn migrate_1_to_2(tx: &Transaction) -> rusqlite::Result<()> {
    const REPORT_COLUMNS: &str = "id, sha256, path, format, status, template, agency, year, \
        published, address, postcode, phone, email, website, active_disclosed_total, \
        requests_received, appeals_total, n_values, n_checks, n_checks_failed, n_errors, \
        extracted_at, tool_version, record_json";
    const VALUE_COLUMNS: &str = "report_id, key, table_name, row_key, col_key, value, \
        value_text, origin, confidence, page, raw, bbox, cell_table, cell_row, cell_col";
    tx.execute_batch(
        "DROP VIEW IF EXISTS requests_table;
         DROP VIEW IF EXISTS appeals_table;
         DROP TABLE IF EXISTS row_labels;",
    )?;
    tx.execute_batch(V2_TABLES_SQL)?;
    tx.execute_batch(CHILD_TABLES_SQL)?;
    // SQLite's way to change a table: make the new one, copy, drop the old, rename the
    // new (renaming the old instead would rewrite the children's REFERENCES to it).
    let reports_v2 = REPORTS_TABLE_SQL.replace("{name}", "reports_v2");
    let values_v2 = REPORT_VALUES_SQL.replace("{name}", "report_values_v2");
    tx.execute_batch(&format!(
        "{reports_v2}
         INSERT INTO reports_v2 ({REPORT_COLUMNS}) SELECT {REPORT_COLUMNS} FROM reports;
         DROP TABLE reports;
         ALTER TABLE reports_v2 RENAME TO reports;
         {REPORTS_INDEX_SQL}

         {values_v2}
         INSERT INTO report_values_v2 ({VALUE_COLUMNS}) SELECT {VALUE_COLUMNS} FROM report_values
             WHERE report_id IN (SELECT id FROM reports);
         DROP TABLE report_values;
         ALTER TABLE report_values_v2 RENAME TO report_values;

         DELETE FROM checks WHERE report_id NOT IN (SELECT id FROM reports);
         DELETE FROM errors WHERE report_id NOT IN (SELECT id FROM reports);
         DELETE FROM sections WHERE report_id NOT IN (SELECT id FROM reports);
         INSERT OR IGNORE INTO sources (report_id, path, first_seen, last_seen)
             SELECT id, path, extracted_at, extracted_at FROM reports;"
    ))?;
    Ok(())
}

/// Version 1's schema, to test the migration from it.
#[cfg(test)]
pub const VERSION_1_SQL: &str = "
CREATE TABLE reports (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
    format TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'failed')),
    template TEXT, agency TEXT, year INTEGER, published TEXT, address TEXT, postcode TEXT,
    phone TEXT, email TEXT, website TEXT, active_disclosed_total INTEGER,
    requests_received INTEGER, appeals_total INTEGER, n_values INTEGER NOT NULL,
    n_checks INTEGER NOT NULL, n_checks_failed INTEGER NOT NULL, n_errors INTEGER NOT NULL,
    extracted_at TEXT NOT NULL, tool_version TEXT NOT NULL, record_json TEXT NOT NULL);
CREATE INDEX reports_agency_year ON reports(agency, year);
CREATE INDEX reports_year ON reports(year);
CREATE INDEX reports_status ON reports(status);
CREATE TABLE report_values (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE, key TEXT NOT NULL,
    table_name TEXT NOT NULL, row_key TEXT NOT NULL, col_key TEXT NOT NULL,
    value REAL NOT NULL, value_text TEXT NOT NULL, origin TEXT, confidence REAL,
    page INTEGER, raw TEXT, bbox TEXT, cell_table INTEGER, cell_row INTEGER,
    cell_col INTEGER, PRIMARY KEY (report_id, key)) WITHOUT ROWID;
CREATE TABLE checks (report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, rule_id TEXT NOT NULL, rule TEXT NOT NULL, ok INTEGER NOT NULL,
    detail TEXT NOT NULL, PRIMARY KEY (report_id, ordinal)) WITHOUT ROWID;
CREATE TABLE errors (report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, stage TEXT NOT NULL, message TEXT NOT NULL,
    PRIMARY KEY (report_id, ordinal)) WITHOUT ROWID;
CREATE TABLE sections (report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, heading TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (report_id, ordinal)) WITHOUT ROWID;
CREATE TABLE row_labels (table_name TEXT NOT NULL, row_key TEXT NOT NULL,
    row_order INTEGER NOT NULL, label_zh TEXT NOT NULL,
    PRIMARY KEY (table_name, row_key)) WITHOUT ROWID;
CREATE VIEW requests_table AS SELECT * FROM report_values;
CREATE VIEW appeals_table AS SELECT * FROM report_values;
PRAGMA user_version = 1;";
