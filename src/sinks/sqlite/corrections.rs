//! Corrections made by a person (`nianbao review`, `nianbao correct`): their own table,
//! never a change to the extracted values, and the view `reviewed_values` that applies
//! them. Added in schema version 3.
//!
//! A correction names a report and a value key: it confirms the extracted value, corrects
//! it, or fills a cell the extraction left out. The latest correction of a key is the one
//! that applies; earlier ones stay as its history. A re-extraction (`--force`) replaces
//! `report_values` but never touches `corrections` (the report keeps its id), and
//! `reviewed_values.extracted_changed` says where the extracted value is no longer the
//! one the person saw (`corrections.old_value`).

use super::writes::split_key;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

const CORRECTIONS_SQL: &str = "
CREATE TABLE IF NOT EXISTS corrections (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    row_key     TEXT NOT NULL,
    col_key     TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('confirm', 'correct', 'fill')),
    old_value   TEXT,
    new_value   NUMERIC NOT NULL,
    new_text    TEXT NOT NULL,
    note        TEXT,
    who         TEXT NOT NULL,
    made_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS corrections_report_key ON corrections(report_id, key);

-- What the review page's overview sums, per report, so that it reads one row per report
-- instead of every value: refreshed by the page for reports extracted since.
CREATE TABLE IF NOT EXISTS review_digest (
    report_id       INTEGER PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
    extracted_at    TEXT NOT NULL,
    ocr_values      INTEGER NOT NULL,
    low_confidence  INTEGER NOT NULL,
    left_out        INTEGER NOT NULL,
    confidence_hist TEXT NOT NULL,
    failed_rules    TEXT NOT NULL
);

DROP TRIGGER IF EXISTS reports_delete_corrections;
CREATE TRIGGER reports_delete_corrections AFTER DELETE ON reports
BEGIN
    DELETE FROM corrections WHERE report_id = OLD.id;
    DELETE FROM review_digest WHERE report_id = OLD.id;
END;";

/// Extracted values with the latest correction of each key applied, plus the cells a
/// person filled in. `source`: `extracted`, or the correction's action.
const REVIEWED_VALUES_SQL: &str = "
DROP VIEW IF EXISTS reviewed_values;
CREATE VIEW reviewed_values AS
WITH latest AS (
    SELECT c.* FROM corrections c
    WHERE c.id = (SELECT MAX(c2.id) FROM corrections c2
                  WHERE c2.report_id = c.report_id AND c2.key = c.key)
)
SELECT v.report_id, v.key, v.table_name, v.row_key, v.col_key,
       COALESCE(l.new_value, v.value) AS value,
       COALESCE(l.new_text, v.value_text) AS value_text,
       v.value_text AS extracted_text,
       COALESCE(l.action, 'extracted') AS source,
       l.id AS correction_id,
       (l.id IS NOT NULL AND l.old_value IS NOT v.value_text) AS extracted_changed
FROM report_values v LEFT JOIN latest l ON l.report_id = v.report_id AND l.key = v.key
UNION ALL
SELECT l.report_id, l.key, l.table_name, l.row_key, l.col_key, l.new_value, l.new_text,
       NULL, l.action, l.id, (l.old_value IS NOT NULL)
FROM latest l
WHERE NOT EXISTS (SELECT 1 FROM report_values v
                  WHERE v.report_id = l.report_id AND v.key = l.key);";

/// Version 2 → 3: the `corrections` table. The view is made at every open (it reads
/// `report_values`, which a migration from version 1 rebuilds).
pub fn migrate(tx: &Transaction) -> rusqlite::Result<()> {
    tx.execute_batch(CORRECTIONS_SQL)?;
    tx.execute_batch(REVIEWED_VALUES_SQL)
}

/// What a person did to a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The extracted value is right.
    Confirm,
    /// The extracted value is wrong; here is the printed one.
    Correct,
    /// The extraction left the cell out; here is the printed value.
    Fill,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Confirm => "confirm",
            Action::Correct => "correct",
            Action::Fill => "fill",
        }
    }
}

/// A correction to store. `value` is the number as text (`348`, `214.3`), checked by
/// [`parse_value`].
#[derive(Debug, Clone)]
pub struct NewCorrection<'a> {
    pub report_id: i64,
    pub key: &'a str,
    pub value: &'a str,
    pub note: Option<&'a str>,
    pub who: &'a str,
}

/// Longest note kept, in characters: a note is a sentence, not a document.
pub const MAX_NOTE_CHARS: usize = 2000;

/// A value a person typed, as stored: a whole number or a decimal (table 二's amounts),
/// at most 15 digits, no sign but a leading minus. `None` for anything else.
pub fn parse_value(text: &str) -> Option<rusqlite::types::Value> {
    let t = text.trim();
    if t.is_empty() || t.len() > 16 {
        return None;
    }
    let digits = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty()
        || !all_digits(int)
        || !all_digits(frac)
        || (digits.contains('.') && frac.is_empty())
    {
        return None;
    }
    if frac.is_empty() {
        t.parse::<i64>().ok().map(rusqlite::types::Value::Integer)
    } else {
        t.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(rusqlite::types::Value::Real)
    }
}

/// The number as the database prints it (`value_text`): `7`, `214.3`.
pub fn value_text(v: &rusqlite::types::Value) -> String {
    match v {
        rusqlite::types::Value::Integer(i) => i.to_string(),
        rusqlite::types::Value::Real(r) => r.to_string(),
        _ => String::new(),
    }
}

/// What a correction does to the extracted value `old` (as printed): fills a cell left
/// out, confirms the same number, or corrects another. Every sink decides so.
pub fn action_for(old: Option<&str>, text: &str) -> Action {
    match old {
        None => Action::Fill,
        Some(o) if o == text => Action::Confirm,
        Some(_) => Action::Correct,
    }
}

/// A correction's note as stored: trimmed, none when empty, NUL-free (PostgreSQL's text
/// refuses it) and at most [`MAX_NOTE_CHARS`] characters.
pub fn stored_note(note: Option<&str>) -> Option<String> {
    note.map(str::trim).filter(|n| !n.is_empty()).map(|n| {
        n.chars()
            .filter(|ch| *ch != '\0')
            .take(MAX_NOTE_CHARS)
            .collect()
    })
}

/// Why a correction was refused.
#[derive(Debug)]
pub enum CorrectionError {
    NoReport,
    /// Not a value key of any loaded template (see the `keys` table).
    UnknownKey(String),
    BadValue(String),
    Sqlite(rusqlite::Error),
    /// Another database's error (PostgreSQL), as its text.
    Database(String),
}

impl std::fmt::Display for CorrectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CorrectionError::NoReport => write!(f, "no such report in the database"),
            CorrectionError::UnknownKey(k) => write!(
                f,
                "'{k}' is no value key of the templates (the `keys` table lists them, e.g. requests/new/total)"
            ),
            CorrectionError::BadValue(v) => write!(
                f,
                "'{v}' is not a number as a report prints it (digits, a decimal point, a leading minus)"
            ),
            CorrectionError::Sqlite(e) => write!(f, "sqlite: {e}"),
            CorrectionError::Database(e) => write!(f, "database: {e}"),
        }
    }
}

impl std::error::Error for CorrectionError {}

impl From<rusqlite::Error> for CorrectionError {
    fn from(e: rusqlite::Error) -> Self {
        CorrectionError::Sqlite(e)
    }
}

/// Stores a correction: `confirm` when the value is the extracted one, `correct` when it
/// differs, `fill` when the key has no extracted value. Returns the action taken.
pub fn add_correction(conn: &Connection, c: &NewCorrection) -> Result<Action, CorrectionError> {
    let value = parse_value(c.value).ok_or_else(|| CorrectionError::BadValue(c.value.into()))?;
    let exists: Option<i64> = conn
        .query_row("SELECT id FROM reports WHERE id = ?1", [c.report_id], |r| {
            r.get(0)
        })
        .optional()?;
    if exists.is_none() {
        return Err(CorrectionError::NoReport);
    }
    let known: Option<i64> = conn
        .query_row("SELECT 1 FROM keys WHERE key = ?1 LIMIT 1", [c.key], |r| {
            r.get(0)
        })
        .optional()?;
    if known.is_none() {
        return Err(CorrectionError::UnknownKey(c.key.into()));
    }
    let old: Option<String> = conn
        .query_row(
            "SELECT value_text FROM report_values WHERE report_id = ?1 AND key = ?2",
            params![c.report_id, c.key],
            |r| r.get(0),
        )
        .optional()?;
    let text = value_text(&value);
    let action = action_for(old.as_deref(), &text);
    let (table, row, col) = split_key(c.key);
    let note = stored_note(c.note);
    conn.execute(
        "INSERT INTO corrections (report_id, key, table_name, row_key, col_key, action,
             old_value, new_value, new_text, note, who, made_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
             strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        params![
            c.report_id,
            c.key,
            table,
            row,
            col,
            action.as_str(),
            old,
            value,
            text,
            note,
            c.who
        ],
    )?;
    Ok(action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::sqlite::{SinkOptions, SqliteSink, SCHEMA_VERSION};
    use crate::template::Templates;

    #[test]
    fn a_version_2_database_gains_the_review_tables() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v2.sqlite");
        let templates = Templates::builtin().expect("templates");
        drop(SqliteSink::open(&path, &templates, SinkOptions::default()).expect("open"));
        // What version 2 had: no review tables.
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(
            "DROP VIEW reviewed_values; DROP TRIGGER reports_delete_corrections;
             DROP TABLE corrections; DROP TABLE review_digest; PRAGMA user_version = 2;",
        )
        .expect("make version 2");
        drop(conn);
        let sink = SqliteSink::open(&path, &templates, SinkOptions::default()).expect("migrate");
        let conn = sink.connection();
        let version: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, SCHEMA_VERSION);
        for name in ["corrections", "review_digest", "reviewed_values"] {
            let n: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM sqlite_master WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .expect("count");
            assert_eq!(n, 1, "{name}");
        }
    }

    #[test]
    fn values_a_person_may_type() {
        use rusqlite::types::Value;
        assert_eq!(parse_value(" 7 "), Some(Value::Integer(7)));
        assert_eq!(parse_value("-3"), Some(Value::Integer(-3)));
        assert_eq!(parse_value("214.3"), Some(Value::Real(214.3)));
        for bad in [
            "",
            "7.",
            ".5",
            "1e5",
            "七",
            "1,000",
            "+4",
            "12345678901234567",
        ] {
            assert_eq!(parse_value(bad), None, "{bad}");
        }
    }
}
