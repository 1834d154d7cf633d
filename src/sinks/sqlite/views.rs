//! The `keys` table and the views, generated from the loaded templates at every open, so
//! that labels edited in `models/templates/*.toml` (or a `templates_dir`) reach the
//! database without a line of SQL changing.

use crate::template::{TableSpec, Templates};
use rusqlite::{params, Transaction};

/// Columns every view starts with: which report, where it was last seen, what it is.
const REPORT_COLUMNS: &[&str] = &["report_id", "path", "agency", "year", "status", "template"];

/// One value key of one template, with its printed labels and order.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRow {
    pub template: String,
    pub key: String,
    pub table_name: &'static str,
    pub row_key: String,
    pub col_key: String,
    /// 1-based printed order of the row within its table, and of the column within its row.
    pub row_order: usize,
    pub col_order: usize,
    pub table_label: String,
    pub row_label: String,
    pub col_label: String,
    /// The key's column in the wide view `report_wide` (tables 三 and 四 only).
    pub wide_column: Option<String>,
}

/// Every key of every loaded template, in printed order.
pub fn key_rows(templates: &Templates) -> Vec<KeyRow> {
    let mut out = Vec::new();
    for t in &templates.list {
        for (table_name, spec) in [
            ("active", &t.active),
            ("requests", &t.requests),
            ("appeals", &t.appeals),
        ] {
            push_table_keys(&mut out, &t.id, table_name, spec);
        }
    }
    assign_wide_columns(&mut out);
    out
}

fn push_table_keys(
    out: &mut Vec<KeyRow>,
    template: &str,
    table_name: &'static str,
    spec: &TableSpec,
) {
    for (r, row) in spec.rows.iter().enumerate() {
        // Table 二 has columns per row; tables 三 and 四 share the table's columns.
        let cols = if row.cols.is_empty() {
            &spec.cols
        } else {
            &row.cols
        };
        for (c, col) in cols.iter().enumerate() {
            out.push(KeyRow {
                template: template.to_string(),
                key: format!("{table_name}/{}/{}", row.key, col.key),
                table_name,
                row_key: row.key.clone(),
                col_key: col.key.clone(),
                row_order: r + 1,
                col_order: c + 1,
                table_label: spec.title.clone(),
                row_label: row.label.clone(),
                col_label: col.label.clone(),
                wide_column: None,
            });
        }
    }
}

/// Names the wide view's columns: `new_total`, `withheld_state_secret_business`,
/// `review_upheld` (row and column keys, dots as underscores: plain identifiers, so a
/// misspelt column is an error in SQL, not a string literal). A name two keys would share
/// takes its table as a prefix (`requests_total_total`).
fn assign_wide_columns(rows: &mut [KeyRow]) {
    use std::collections::HashMap;
    let short = |k: &KeyRow| format!("{}_{}", k.row_key, k.col_key).replace(['.', '-'], "_");
    let mut keys_by_name: HashMap<String, std::collections::HashSet<&str>> = HashMap::new();
    for k in rows.iter().filter(|k| k.table_name != "active") {
        keys_by_name
            .entry(short(k))
            .or_default()
            .insert(k.key.as_str());
    }
    let ambiguous: std::collections::HashSet<String> = keys_by_name
        .into_iter()
        .filter(|(name, keys)| keys.len() > 1 || REPORT_COLUMNS.contains(&name.as_str()))
        .map(|(name, _)| name)
        .collect();
    for k in rows.iter_mut().filter(|k| k.table_name != "active") {
        let name = short(k);
        k.wide_column = Some(if ambiguous.contains(&name) {
            format!("{}_{name}", k.table_name)
        } else {
            name
        });
    }
}

const KEYS_TABLE_SQL: &str = "
CREATE TABLE IF NOT EXISTS keys (
    template    TEXT NOT NULL,
    key         TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    row_key     TEXT NOT NULL,
    col_key     TEXT NOT NULL,
    row_order   INTEGER NOT NULL,
    col_order   INTEGER NOT NULL,
    table_label TEXT NOT NULL,
    row_label   TEXT NOT NULL,
    col_label   TEXT NOT NULL,
    wide_column TEXT,
    PRIMARY KEY (template, key)
) WITHOUT ROWID;";

/// The names of the generated views (dropped and made again at every open).
pub const VIEWS: &[&str] = &[
    "active_table",
    "requests_table",
    "appeals_table",
    "report_wide",
];

/// Rewrites the `keys` table and the views from `templates`.
pub fn regenerate(tx: &Transaction, templates: &Templates) -> rusqlite::Result<()> {
    let keys = key_rows(templates);
    tx.execute_batch(KEYS_TABLE_SQL)?;
    tx.execute("DELETE FROM keys", [])?;
    {
        let mut st = tx.prepare(
            "INSERT INTO keys (template, key, table_name, row_key, col_key, row_order, col_order,
                 table_label, row_label, col_label, wide_column)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for k in &keys {
            st.execute(params![
                k.template,
                k.key,
                k.table_name,
                k.row_key,
                k.col_key,
                k.row_order as i64,
                k.col_order as i64,
                k.table_label,
                k.row_label,
                k.col_label,
                k.wide_column,
            ])?;
        }
    }
    for view in VIEWS {
        tx.execute_batch(&format!("DROP VIEW IF EXISTS {view};"))?;
    }
    // Reports whose template was not detected (a lone picture of table 四) take the
    // labels of the newest template.
    let default_template = templates.list.first().map(|t| t.id.as_str()).unwrap_or("");
    for table in ["active", "requests", "appeals"] {
        let view = format!("{table}_table");
        tx.execute_batch(&table_view_sql(&view, table, &keys, default_template))?;
    }
    tx.execute_batch(&wide_view_sql(&keys))?;
    Ok(())
}

/// Distinct values in first-seen order.
fn ordered_unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// A table as printed: one row per report and table row, a column per column key (table
/// 二's rows have different columns; each row fills its own). The same SQL serves PostgreSQL,
/// which allows the report's columns beside `GROUP BY r.id` (its primary key).
pub(crate) fn table_view_sql(
    view: &str,
    table: &str,
    keys: &[KeyRow],
    default_template: &str,
) -> String {
    let cols = ordered_unique(
        keys.iter()
            .filter(|k| k.table_name == table)
            .map(|k| k.col_key.as_str()),
    );
    let pivot: Vec<String> = cols
        .iter()
        .map(|c| {
            format!(
                "MAX(CASE WHEN v.col_key = {} THEN v.value END) AS {}",
                literal(c),
                ident(c)
            )
        })
        .collect();
    format!(
        "CREATE VIEW {view} AS
SELECT r.id AS report_id, r.path, r.agency, r.year, r.status, r.template,
       MIN(k.row_order) AS row_order, v.row_key, MAX(k.row_label) AS row_label,
       {pivot}
FROM report_values v
JOIN reports r ON r.id = v.report_id
LEFT JOIN keys k ON k.template = COALESCE(r.template, {default}) AND k.key = v.key
WHERE v.table_name = {table_lit}
GROUP BY r.id, v.row_key
ORDER BY r.id, row_order;",
        pivot = pivot.join(",\n       "),
        default = literal(default_template),
        table_lit = literal(table),
    )
}

/// One row per report, a column per key of tables 三 and 四 (each a primary-key lookup).
pub(crate) fn wide_view_sql(keys: &[KeyRow]) -> String {
    let mut columns: Vec<(&str, &str)> = Vec::new();
    for k in keys {
        if let Some(name) = &k.wide_column {
            if !columns.iter().any(|(key, _)| *key == k.key) {
                columns.push((k.key.as_str(), name.as_str()));
            }
        }
    }
    let lookups: Vec<String> = columns
        .iter()
        .map(|(key, name)| {
            format!(
                "(SELECT value FROM report_values WHERE report_id = r.id AND key = {}) AS {}",
                literal(key),
                ident(name)
            )
        })
        .collect();
    format!(
        "CREATE VIEW report_wide AS
SELECT r.id AS report_id, r.path, r.agency, r.year, r.status, r.template,
       {}
FROM reports r;",
        lookups.join(",\n       ")
    )
}

/// An SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// An SQL identifier, quoted.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_templates() {
        let templates = Templates::builtin().expect("templates");
        let keys = key_rows(&templates);
        // spec/keys.tsv: 200 keys for gov-2021, 198 for gov-2019.
        assert_eq!(
            keys.iter().filter(|k| k.template == "gov-2021").count(),
            200
        );
        assert_eq!(
            keys.iter().filter(|k| k.template == "gov-2019").count(),
            198
        );
        let k = keys
            .iter()
            .find(|k| k.template == "gov-2021" && k.key == "requests/carried_forward/total")
            .expect("key");
        assert_eq!(k.row_label, "四、结转下年度继续办理");
        assert_eq!(k.col_label, "总计");
        assert_eq!(k.wide_column.as_deref(), Some("carried_forward_total"));
        let k = keys
            .iter()
            .find(|k| k.key == "requests/withheld.state_secret/business")
            .expect("key");
        assert_eq!(
            k.wide_column.as_deref(),
            Some("withheld_state_secret_business")
        );
        assert_eq!(k.row_order, 5);
        assert!(keys
            .iter()
            .filter(|k| k.table_name == "active")
            .all(|k| k.wide_column.is_none()));
    }

    #[test]
    fn wide_column_names_never_collide() {
        let templates = Templates::builtin().expect("templates");
        let keys = key_rows(&templates);
        let mut by_name = std::collections::HashMap::new();
        for k in &keys {
            if let Some(name) = &k.wide_column {
                let key = by_name.entry(name.clone()).or_insert(k.key.clone());
                assert_eq!(*key, k.key, "{name}");
            }
        }
        assert!(!by_name.contains_key("total"));
    }
}
