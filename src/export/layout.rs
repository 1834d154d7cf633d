//! The shapes of the value tables: long (one row per report and key, in the template's
//! printed order) and wide (one row per report, one column per key). The keys, their
//! order, labels and wide column names are those of the database's `keys` table and its
//! `report_wide` view ([`crate::sinks::sqlite::views::key_rows`]), made from the same
//! templates.

use super::query::{ReportHead, ValueRow};
use super::rows::{Cell, Column, Kind};
use crate::sinks::sqlite::views::key_rows;
use crate::template::Templates;
use std::collections::{HashMap, HashSet};

/// Columns every value table starts with: which report, where it was last seen, what it is.
const REPORT_COLUMNS: &[(&str, Kind)] = &[
    ("report_id", Kind::Int),
    ("sha256", Kind::Text),
    ("path", Kind::Text),
    ("agency", Kind::Text),
    ("year", Kind::Int),
    ("status", Kind::Text),
    ("template", Kind::Text),
];

/// The long form's columns after the report's.
const LONG_COLUMNS: &[(&str, Kind)] = &[
    ("key", Kind::Text),
    ("table_name", Kind::Text),
    ("row_key", Kind::Text),
    ("col_key", Kind::Text),
    ("row_label", Kind::Text),
    ("col_label", Kind::Text),
    ("value", Kind::Number),
    // `extracted`, or the correction applied (`confirm`, `correct`, `fill`) with --reviewed.
    ("source", Kind::Text),
    ("extracted_value", Kind::Number),
    ("origin", Kind::Text),
    ("confidence", Kind::Float),
    ("page", Kind::Int),
];

struct KeyInfo {
    /// Position in printed order over all templates (table, row, column).
    order: usize,
    row_label: String,
    col_label: String,
}

/// Turns a report's values into rows of the long or the wide table.
pub struct Shaper {
    wide: bool,
    /// (template, key) → where and how the template prints it.
    keys: HashMap<(String, String), KeyInfo>,
    /// The template of reports whose template was not detected (the newest, as the views).
    default_template: String,
    /// The wide table's value columns: key and column name, in printed order.
    wide_columns: Vec<(String, String)>,
    wide_index: HashMap<String, usize>,
    /// Values whose key no template has, which the wide table has no column for.
    pub left_out_of_wide: usize,
}

impl Shaper {
    /// The shape of `table_name`'s values (`None`: every table's) in `templates`.
    pub fn new(templates: &Templates, table_name: Option<&str>, wide: bool) -> Shaper {
        let rows = key_rows(templates);
        let names = wide_names(&rows);
        let mut keys = HashMap::new();
        let mut wide_columns = Vec::new();
        let mut wide_index = HashMap::new();
        for (order, k) in rows.iter().enumerate() {
            if table_name.is_some_and(|t| t != k.table_name) {
                continue;
            }
            keys.insert(
                (k.template.clone(), k.key.clone()),
                KeyInfo {
                    order,
                    row_label: k.row_label.clone(),
                    col_label: k.col_label.clone(),
                },
            );
            if !wide_index.contains_key(&k.key) {
                if let Some(name) = names.get(&k.key) {
                    wide_index.insert(k.key.clone(), wide_columns.len());
                    wide_columns.push((k.key.clone(), name.clone()));
                }
            }
        }
        Shaper {
            wide,
            keys,
            default_template: templates
                .list
                .first()
                .map(|t| t.id.clone())
                .unwrap_or_default(),
            wide_columns,
            wide_index,
            left_out_of_wide: 0,
        }
    }

    pub fn columns(&self) -> Vec<Column> {
        let mut out: Vec<Column> = REPORT_COLUMNS
            .iter()
            .map(|(n, k)| Column::new(*n, *k))
            .collect();
        if self.wide {
            out.extend(
                self.wide_columns
                    .iter()
                    .map(|(_, name)| Column::new(name.clone(), Kind::Number)),
            );
        } else {
            out.extend(LONG_COLUMNS.iter().map(|(n, k)| Column::new(*n, *k)));
        }
        out
    }

    /// Writes the rows of one report: one (wide), or one per value in printed order (long).
    pub fn rows(
        &mut self,
        head: &ReportHead,
        values: Vec<ValueRow>,
        out: &mut dyn FnMut(&[Cell]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let report = [
            Cell::Int(head.id),
            Cell::Text(head.sha256.clone()),
            Cell::Text(head.path.clone()),
            Cell::text(head.agency.clone()),
            head.year.map(Cell::Int).unwrap_or(Cell::Null),
            Cell::Text(head.status.clone()),
            Cell::text(head.template.clone()),
        ];
        if self.wide {
            let mut row: Vec<Cell> = report.to_vec();
            row.resize(report.len() + self.wide_columns.len(), Cell::Null);
            for v in &values {
                match self.wide_index.get(&v.key) {
                    Some(&i) => row[report.len() + i] = number(head, &v.key, &v.value_text)?,
                    None => self.left_out_of_wide += 1,
                }
            }
            return out(&row);
        }
        let template = head
            .template
            .clone()
            .unwrap_or_else(|| self.default_template.clone());
        let mut values: Vec<(Option<&KeyInfo>, ValueRow)> = values
            .into_iter()
            .map(|v| (self.keys.get(&(template.clone(), v.key.clone())), v))
            .collect();
        // Printed order; keys no template has go last, by name.
        values.sort_by(|(a, va), (b, vb)| {
            (a.map_or(usize::MAX, |k| k.order), &va.key)
                .cmp(&(b.map_or(usize::MAX, |k| k.order), &vb.key))
        });
        let mut row: Vec<Cell> = Vec::with_capacity(REPORT_COLUMNS.len() + LONG_COLUMNS.len());
        for (info, v) in values {
            row.clear();
            row.extend_from_slice(&report);
            let value = number(head, &v.key, &v.value_text)?;
            let extracted = match &v.extracted_text {
                Some(t) => number(head, &v.key, t)?,
                None => Cell::Null,
            };
            row.extend([
                Cell::Text(v.key),
                Cell::Text(v.table_name),
                Cell::Text(v.row_key),
                Cell::Text(v.col_key),
                Cell::text(info.map(|k| k.row_label.clone())),
                Cell::text(info.map(|k| k.col_label.clone())),
                value,
                Cell::Text(v.source),
                extracted,
                Cell::text(v.origin),
                v.confidence.map(Cell::Float).unwrap_or(Cell::Null),
                v.page.map(Cell::Int).unwrap_or(Cell::Null),
            ]);
            out(&row)?;
        }
        Ok(())
    }
}

/// A stored value as a number, or an error naming it: only a damaged database holds text
/// that is no number, and the export does not guess one.
fn number(head: &ReportHead, key: &str, text: &str) -> anyhow::Result<Cell> {
    Cell::number(text).ok_or_else(|| {
        anyhow::anyhow!(
            "report {} ({}): the value of {key} is stored as '{text}', which is no number",
            head.id,
            head.sha256
        )
    })
}

/// The wide column of every key: `report_wide`'s names for tables 三 and 四
/// (`new_total`, `requests_total_total`), and `rules_issued` for table 二's keys, which
/// that view leaves out; a table 二 name another key or a report column already has
/// takes the table as a prefix (`active_…`).
fn wide_names(rows: &[crate::sinks::sqlite::views::KeyRow]) -> HashMap<String, String> {
    let mut names: HashMap<String, String> = HashMap::new();
    for k in rows {
        if let Some(name) = &k.wide_column {
            names.insert(k.key.clone(), name.clone());
        }
    }
    let taken: HashSet<String> = names
        .values()
        .cloned()
        .chain(REPORT_COLUMNS.iter().map(|(n, _)| n.to_string()))
        .collect();
    let short = |k: &crate::sinks::sqlite::views::KeyRow| {
        format!("{}_{}", k.row_key, k.col_key).replace(['.', '-'], "_")
    };
    let mut active_keys: HashMap<String, HashSet<&str>> = HashMap::new();
    for k in rows.iter().filter(|k| k.wide_column.is_none()) {
        active_keys.entry(short(k)).or_default().insert(&k.key);
    }
    for k in rows.iter().filter(|k| k.wide_column.is_none()) {
        let name = short(k);
        let shared = active_keys.get(&name).is_some_and(|keys| keys.len() > 1);
        let name = if shared || taken.contains(&name) {
            format!("{}_{name}", k.table_name)
        } else {
            name
        };
        names.entry(k.key.clone()).or_insert(name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_names_are_those_of_report_wide_and_unique() {
        let templates = Templates::builtin().expect("templates");
        let shaper = Shaper::new(&templates, None, true);
        let columns = shaper.columns();
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let unique: HashSet<&&str> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        let position = |n: &str| names.iter().position(|c| *c == n);
        // report_wide's names, table 二 first as printed, then 三 and 四.
        assert!(position("rules_issued") < position("new_natural_person"));
        assert!(position("new_total") < position("carried_forward_total"));
        assert!(position("carried_forward_total") < position("review_upheld"));
        assert!(position("fees_amount_wan").is_some());
        // The requests table alone: its keys only, in the template's order.
        let requests = Shaper::new(&templates, Some("requests"), true);
        let cols = requests.columns();
        assert_eq!(cols[7].name, "new_natural_person");
        assert!(cols.iter().all(|c| c.name != "rules_issued"));
    }
}
