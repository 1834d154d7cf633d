//! What both review stores compute the same way: the cells a report's extraction left
//! out (by its template's keys), the confidence histogram's bins, and the parsing of the
//! stored provenance.

use crate::record::Number;
use crate::sinks::sqlite::views;
use crate::template::Templates;
use std::collections::{HashMap, HashSet};

/// The value keys of each template, per table: a table found in a report whose keys
/// have no value there are its cells left out.
pub struct TemplateKeys {
    by_template: HashMap<String, HashMap<String, Vec<String>>>,
    /// The template whose keys a report without a detected template is judged by.
    newest: Option<String>,
}

impl TemplateKeys {
    pub fn new(templates: &Templates) -> TemplateKeys {
        let mut by_template: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
        for k in views::key_rows(templates) {
            by_template
                .entry(k.template)
                .or_default()
                .entry(k.table_name.to_string())
                .or_default()
                .push(k.key);
        }
        TemplateKeys {
            by_template,
            newest: templates.list.first().map(|t| t.id.clone()),
        }
    }

    /// The keys of the report's template, in the tables it has values of, that have no
    /// value: the cells the extraction left out.
    pub fn left_out(
        &self,
        template: Option<&str>,
        tables: &HashSet<String>,
        present: &HashSet<String>,
    ) -> Vec<String> {
        let Some(by_table) = template
            .or(self.newest.as_deref())
            .and_then(|t| self.by_template.get(t))
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for table in tables {
            for key in by_table.get(table).into_iter().flatten() {
                if !present.contains(key) {
                    out.push(key.clone());
                }
            }
        }
        out
    }
}

/// The tenth of [0, 1] a confidence falls in (1.0 in the last).
pub fn confidence_bin(c: f64) -> usize {
    ((c.clamp(0.0, 1.0) * 10.0) as usize).min(9)
}

pub fn parse_bbox(text: &str) -> Option<[f32; 4]> {
    let v: Vec<f32> = serde_json::from_str(text).ok()?;
    let b: [f32; 4] = v.try_into().ok()?;
    b.iter().all(|x| x.is_finite()).then_some(b)
}

pub fn parse_number(text: &str) -> Option<Number> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Number::Int(i));
    }
    text.parse::<f64>()
        .ok()
        .filter(|d| d.is_finite())
        .map(Number::Dec)
}

/// How a non-passing check is listed in the overview's failed checks by rule: an
/// explained discrepancy apart from the rule's failures.
pub fn rule_label(rule_id: &str, explained: bool) -> String {
    if explained {
        format!("{rule_id} (explained)")
    } else {
        rule_id.to_string()
    }
}
