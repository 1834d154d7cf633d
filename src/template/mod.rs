//! Report templates as data (`models/templates/*.toml`) and the matcher that maps table
//! grids onto their keys.

mod matcher;
mod value;

pub use matcher::{
    match_tables, missing_cells, CellRef, MatchResult, MatchedValue, TableKind, UnreadValue,
    MISSING_CELLS,
};
pub use value::{parse_value, ValueToken};

use serde::Deserialize;
use std::path::Path;

/// One column (or result) of a table: key segment, printed label, words that identify it.
#[derive(Debug, Clone, Deserialize)]
pub struct ColumnSpec {
    pub key: String,
    pub label: String,
    #[serde(rename = "match")]
    pub words: Vec<String>,
}

/// One row of a table.
#[derive(Debug, Clone, Deserialize)]
pub struct RowSpec {
    pub key: String,
    pub label: String,
    #[serde(rename = "match")]
    pub words: Vec<String>,
    /// A word so common that it only counts where nothing else matches (e.g. 其他).
    #[serde(default)]
    pub weak: bool,
    /// Columns of this row (table 二 has different columns per row); empty: the table's.
    #[serde(default)]
    pub cols: Vec<ColumnSpec>,
    /// The printed label's own words (after its numbering), derived at load: matched
    /// approximately against labels read by OCR, where a short `match` word may carry
    /// the one misread character.
    #[serde(skip)]
    pub label_words: Option<String>,
    /// The numbering of the printed label's last part ("(七)", "四、", "3."), derived at
    /// load: it confirms the place of a row whose words OCR garbled.
    #[serde(skip)]
    pub numbering: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TableSpec {
    pub title: String,
    /// Words of the section heading that introduces the table.
    pub heading: Vec<String>,
    /// Words whose presence marks a table (or a piece of a split table) as this one.
    pub detect: Vec<String>,
    /// Words of header rows (rows that carry labels of columns, not numbers).
    #[serde(default)]
    pub header_words: Vec<String>,
    /// A numberless row with this many header words starts this table (0: never).
    #[serde(default)]
    pub start_hits: usize,
    #[serde(default)]
    pub cols: Vec<ColumnSpec>,
    pub rows: Vec<RowSpec>,
}

/// An arithmetic rule: sum(lhs) == sum(rhs), repeated over rows or columns.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckSpec {
    pub id: String,
    pub rule: String,
    pub table: String,
    /// `row`, `col` or absent.
    #[serde(default)]
    pub each: Option<String>,
    pub lhs: Vec<String>,
    pub rhs: Vec<String>,
}

/// A number stated in the text that must agree with the table.
#[derive(Debug, Clone, Deserialize)]
pub struct TextCheckSpec {
    pub id: String,
    pub rule: String,
    pub fact: String,
    pub keys: Vec<String>,
    /// Other sums of keys the text may legitimately mean.
    #[serde(default)]
    pub alt: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Template {
    pub id: String,
    pub issued_by: String,
    /// First and last report year the template is used for.
    pub years: [i32; 2],
    /// Words printed only in this template's tables.
    pub signals: Vec<String>,
    pub active: TableSpec,
    pub requests: TableSpec,
    pub appeals: TableSpec,
    #[serde(default)]
    pub checks: Vec<CheckSpec>,
    #[serde(default)]
    pub text_checks: Vec<TextCheckSpec>,
}

impl Template {
    pub fn table(&self, kind: TableKind) -> &TableSpec {
        match kind {
            TableKind::Active => &self.active,
            TableKind::Requests => &self.requests,
            TableKind::Appeals => &self.appeals,
        }
    }

    /// Every key this template defines, in printed order.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for row in &self.active.rows {
            for col in &row.cols {
                keys.push(format!("active/{}/{}", row.key, col.key));
            }
        }
        for (name, spec) in [("requests", &self.requests), ("appeals", &self.appeals)] {
            for row in &spec.rows {
                for col in &spec.cols {
                    keys.push(format!("{name}/{}/{}", row.key, col.key));
                }
            }
        }
        keys
    }
}

impl Templates {
    /// For every template, the value cells of each data row of its tables in printed
    /// order (table 四 as its one wide row). Picture recognition compares a grid with
    /// these before deciding that its row labels need not all be read: the matcher
    /// places the unread rows by the fixed order between the rows it reads.
    pub fn row_layouts(&self) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        for t in &self.list {
            out.push(t.active.rows.iter().map(|r| r.cols.len()).collect());
            out.push(vec![t.requests.cols.len(); t.requests.rows.len()]);
            out.push(vec![t.appeals.cols.len() * t.appeals.rows.len()]);
        }
        out.sort();
        out.dedup();
        out
    }
}

/// The set of templates a run knows, most recent first.
#[derive(Debug, Clone)]
pub struct Templates {
    pub list: Vec<Template>,
}

/// The templates shipped in `models/templates/`, compiled in so the binary works anywhere.
const BUILTIN: &[(&str, &str)] = &[
    (
        "gov-2021.toml",
        include_str!("../../models/templates/gov-2021.toml"),
    ),
    (
        "gov-2019.toml",
        include_str!("../../models/templates/gov-2019.toml"),
    ),
];

impl Templates {
    /// The built-in templates.
    pub fn builtin() -> anyhow::Result<Templates> {
        let mut list = Vec::new();
        for (name, text) in BUILTIN {
            list.push(parse_template(name, text)?);
        }
        Ok(Templates::sorted(list))
    }

    /// Loads every `*.toml` of a folder (a researcher's own or edited templates).
    pub fn from_dir(dir: &Path) -> anyhow::Result<Templates> {
        let mut list = Vec::new();
        let entries = std::fs::read_dir(dir)
            .map_err(|e| anyhow::anyhow!("cannot read templates folder {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path)?;
                list.push(parse_template(&path.display().to_string(), &text)?);
            }
        }
        if list.is_empty() {
            anyhow::bail!("no *.toml templates in {}", dir.display());
        }
        Ok(Templates::sorted(list))
    }

    fn sorted(mut list: Vec<Template>) -> Templates {
        list.sort_by(|a, b| b.years[0].cmp(&a.years[0]));
        Templates { list }
    }

    pub fn get(&self, id: &str) -> Option<&Template> {
        self.list.iter().find(|t| t.id == id)
    }

    /// The template in force for a report year.
    pub fn for_year(&self, year: i32) -> Option<&Template> {
        self.list
            .iter()
            .find(|t| t.years[0] <= year && year <= t.years[1])
    }
}

/// Brings every match word into the form labels are compared in, once, at load time.
fn normalise_words(t: &mut Template) {
    let norm = |words: &mut Vec<String>| {
        for w in words.iter_mut() {
            *w = crate::text::norm_label(w);
        }
        words.retain(|w| !w.is_empty());
    };
    norm(&mut t.signals);
    for spec in [&mut t.active, &mut t.requests, &mut t.appeals] {
        norm(&mut spec.heading);
        norm(&mut spec.detect);
        norm(&mut spec.header_words);
        for col in spec.cols.iter_mut() {
            norm(&mut col.words);
        }
        for row in spec.rows.iter_mut() {
            norm(&mut row.words);
            row.label_words = leaf_label(&row.label);
            row.numbering = last_numbering(&row.label);
            for col in row.cols.iter_mut() {
                norm(&mut col.words);
            }
        }
    }
}

static NUMBERING: once_cell::sync::Lazy<regex::Regex> = once_cell::sync::Lazy::new(|| {
    regex::Regex::new(r"[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、]")
        .unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

/// The last numbering in a label, normalised ("(七)", "四、", "3."): `None` without one.
pub fn last_numbering(label: &str) -> Option<String> {
    let label = crate::text::norm_label(label);
    NUMBERING
        .find_iter(&label)
        .last()
        .map(|m| m.as_str().replace('．', "."))
}

/// The last numbered part of a printed label, without its numbering and notes in
/// brackets: "（三）不予公开 1.属于国家秘密" → "属于国家秘密". `None` when under four characters.
fn leaf_label(label: &str) -> Option<String> {
    let label = crate::text::norm_label(label);
    let last = NUMBERING.split(&label).filter(|p| !p.is_empty()).last()?;
    let plain = match last.find(['（', '(']) {
        Some(i) if i > 0 => &last[..i],
        _ => last,
    };
    (plain.chars().count() >= 4).then(|| plain.to_string())
}

fn parse_template(name: &str, text: &str) -> anyhow::Result<Template> {
    let mut t: Template =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("template {name} is invalid: {e}"))?;
    normalise_words(&mut t);
    for row in &t.active.rows {
        if row.cols.is_empty() {
            anyhow::bail!("template {name}: active row {} has no cols", row.key);
        }
    }
    if t.requests.cols.is_empty() || t.appeals.cols.is_empty() {
        anyhow::bail!("template {name}: requests and appeals need cols");
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped templates define exactly the canonical keys of the record contract
    /// (a copy of spec/keys.tsv is kept in samples/ so the project stands alone).
    #[test]
    fn builtin_templates_define_the_canonical_keys() {
        let templates = Templates::builtin().expect("builtin templates parse");
        let tsv = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/spec/keys.tsv"
        ))
        .expect("samples/spec/keys.tsv");
        for t in &templates.list {
            let expected: Vec<String> = tsv
                .lines()
                .skip(1)
                .filter_map(|l| {
                    let f: Vec<&str> = l.split('\t').collect();
                    (f.first() == Some(&t.id.as_str())).then(|| f[2].to_string())
                })
                .collect();
            let mut got = t.keys();
            let mut exp = expected.clone();
            got.sort();
            exp.sort();
            assert_eq!(got, exp, "keys of {}", t.id);
        }
        assert_eq!(templates.get("gov-2021").map(|t| t.keys().len()), Some(200));
        assert_eq!(templates.get("gov-2019").map(|t| t.keys().len()), Some(198));
    }
}
