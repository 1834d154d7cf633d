//! A report's source view: the tables of its file as the decoders read them (the
//! document model's grids, merged cells as spans), each row with an anchor
//! (`#t2r5`: table 2, row 5, as the record counts them), the cells values were taken
//! from marked and linked back to the document page, and the value the reviewer came
//! from outlined in its highlighted row.

use super::{esc, page, pct};
use crate::document::{Table, UNREAD};
use crate::review::source_view::{cell_text, is_born_digital, same_text, SourceItem, SourceTables};
use crate::review::store::{DocumentData, StoredValue};
use std::collections::HashMap;
use std::fmt::Write;

/// Cells written at most: a hostile file's grid stays a page a browser can show.
const MAX_CELLS_SHOWN: usize = 60_000;
/// Characters of a cell's text shown at most.
const MAX_CELL_CHARS: usize = 500;

/// What the page shows.
pub struct SourceView<'a> {
    pub doc: &'a DocumentData,
    /// The decoded file, or why there is none.
    pub source: Result<&'a SourceTables, String>,
    /// The value the reviewer came from (`?key=`), if any.
    pub key: Option<&'a str>,
}

/// The anchor of a row: 1-based table and row, as the document page's links name them.
pub fn row_anchor(table: usize, row: usize) -> String {
    format!("t{}r{}", table + 1, row + 1)
}

const STYLE: &str = r#"
table.source{border-collapse:collapse;background:#fff;margin-bottom:14px;font-size:12px}
table.source td,table.source th{border:1px solid #b8bec9;padding:2px 5px;vertical-align:top;white-space:pre-wrap}
table.source th.rn{background:#eef0f4;color:#6a7280;font-weight:normal;text-align:right;min-width:22px}
table.source td.value{background:#e3f4e1;cursor:pointer}
table.source td.unread{color:#8a93a3}
table.source tr:target td,table.source tr.target-row td{background:#fff4c9}
table.source tr.target-row td.value{background:#ffe28a}
table.source td.target-cell{outline:3px solid #d23b3b;outline-offset:-2px;font-weight:bold}
.picture{color:#6a7280;font-style:italic;margin:4px 0 10px}
"#;

const SCRIPT: &str = r#"
// The value the reviewer came from, in view; a value's cell leads back to it.
const target = document.querySelector('td.target-cell') || document.querySelector('tr:target');
if (target) target.scrollIntoView({block: 'center'});
document.querySelectorAll('td.value').forEach(td => td.addEventListener('click', () => {
  location.href = td.dataset.back;
}));
"#;

/// Where the value the page was opened on sits in the decoded file.
struct Target<'a> {
    value: &'a StoredValue,
    /// Decoded table index, row and column.
    at: Option<(usize, usize, usize)>,
}

pub fn render(view: &SourceView) -> String {
    let doc = view.doc;
    let title = format!(
        "{} {}",
        doc.agency.as_deref().unwrap_or("(agency not found)"),
        doc.year.map(|y| y.to_string()).unwrap_or_default()
    );
    let mut b = format!("<style>{STYLE}</style>");
    let _ = write!(
        b,
        "<h1 id=\"source-title\">Source of {}</h1><p class=\"meta\"><a id=\"back\" href=\"/doc/{}\">\
         back to the document page</a> · {} · sha256 {}</p>",
        esc(&title),
        doc.id,
        esc(&doc.path),
        esc(&doc.sha256)
    );
    let src = match &view.source {
        Ok(src) => *src,
        Err(why) => {
            let _ = write!(b, "<p class=\"gone\" id=\"source-gone\">{}</p>", esc(why));
            return page(&format!("source · {title}"), &b);
        }
    };
    let numbers = src.place_tables(&doc.values);
    let tables: Vec<&Table> = src.tables().collect();
    // Record (table, row, col) → the value read there, for the born-digital values.
    let by_cell: HashMap<(usize, usize, usize), &StoredValue> = doc
        .values
        .iter()
        .filter(|v| is_born_digital(v))
        .filter_map(|v| {
            let (t, r, c) = v.cell?;
            Some((
                (
                    usize::try_from(t).ok()?,
                    usize::try_from(r).ok()?,
                    usize::try_from(c).ok()?,
                ),
                v,
            ))
        })
        .collect();
    let target = view
        .key
        .and_then(|k| doc.values.iter().find(|v| v.key == k))
        .map(|value| Target {
            value,
            at: value
                .cell
                .filter(|_| is_born_digital(value))
                .and_then(|(t, r, c)| {
                    let t = usize::try_from(t).ok()?;
                    let i = numbers.iter().position(|&n| n == t)?;
                    Some((i, usize::try_from(r).ok()?, usize::try_from(c).ok()?))
                }),
        });
    let _ = write!(
        b,
        "<p class=\"meta\" id=\"source-summary\">decoded again as {}: {} tables, {} pictures</p>",
        esc(&src.format),
        tables.len(),
        src.pictures()
    );
    if src.pictures() > 0 {
        b.push_str(
            "<p class=\"meta\">The pictures' tables were read by OCR: the record counts them \
             among its tables, so the file's tables are numbered here as the record numbers \
             them (found by the values' printed text); see the OCR'd cells' crops on the \
             document page.</p>",
        );
    }
    if let Some(t) = &target {
        b.push_str(&target_note(t, &tables));
    }
    let mut cells_left = MAX_CELLS_SHOWN;
    let mut table_i = 0;
    for item in &src.items {
        match item {
            SourceItem::Picture(p) => {
                let _ = write!(
                    b,
                    "<p class=\"picture\">picture{}{}: read by OCR, not shown here</p>",
                    p.name
                        .as_deref()
                        .map(|n| format!(" {}", esc(n)))
                        .unwrap_or_default(),
                    p.page.map(|n| format!(" on page {n}")).unwrap_or_default()
                );
            }
            SourceItem::Table(t) => {
                let number = numbers.get(table_i).copied().unwrap_or(table_i);
                let marked = target
                    .as_ref()
                    .and_then(|x| x.at)
                    .filter(|a| a.0 == table_i);
                let shown = table_html(
                    &mut b,
                    t,
                    number,
                    doc.id,
                    &by_cell,
                    marked.map(|(_, r, c)| (r, c)),
                    cells_left,
                );
                cells_left = cells_left.saturating_sub(shown);
                table_i += 1;
                if cells_left == 0 {
                    let _ = write!(
                        b,
                        "<p class=\"gone\" id=\"source-cut\">cut here: only the first \
                         {MAX_CELLS_SHOWN} cells are shown</p>"
                    );
                    break;
                }
            }
        }
    }
    let _ = write!(b, "<script>{SCRIPT}</script>");
    page(&format!("source · {title}"), &b)
}

/// The line above the tables naming the value the page was opened on and where it is.
fn target_note(t: &Target, tables: &[&Table]) -> String {
    let v = t.value;
    let mut out = format!(
        "<p id=\"source-target\"><b>{}</b> = <b>{}</b>",
        esc(&v.key),
        esc(&v.reviewed_text)
    );
    match (t.at, v.cell) {
        (Some((i, r, c)), Some((rt, _, _))) => {
            let _ = write!(
                out,
                ": <a href=\"#{a}\">table {} row {} col {}</a>",
                rt + 1,
                r + 1,
                c + 1,
                a = row_anchor(usize::try_from(rt).unwrap_or(i), r)
            );
            let now = tables.get(i).and_then(|tb| cell_text(tb, r, c));
            let printed = v.raw.as_deref().unwrap_or("");
            match now {
                Some(text) if same_text(text, printed) => {}
                Some(text) => {
                    let _ = write!(
                        out,
                        " <span class=\"gone\">(the cell now reads “{}”, the record “{}”: \
                         the decoders changed since the extraction)</span>",
                        esc(text),
                        esc(printed)
                    );
                }
                None => out.push_str(
                    " <span class=\"gone\">(the decoded table has no such cell: the \
                     decoders changed since the extraction)</span>",
                ),
            }
        }
        _ if v.origin.as_deref() == Some("ocr") => {
            out.push_str(": read by OCR from a picture (its crop is on the document page)")
        }
        (None, Some((rt, r, c))) => {
            let _ = write!(
                out,
                ": table {} row {} col {} of the record is not among the file's tables as \
                 decoded now",
                rt + 1,
                r + 1,
                c + 1
            );
        }
        _ => out.push_str(": not taken from a table of the file"),
    }
    out.push_str("</p>");
    out
}

/// Writes table `t` (numbered `number` as the record counts) with a row number column;
/// returns the cells written.
fn table_html(
    b: &mut String,
    t: &Table,
    number: usize,
    doc_id: i64,
    by_cell: &HashMap<(usize, usize, usize), &StoredValue>,
    marked: Option<(usize, usize)>,
    budget: usize,
) -> usize {
    let cols = t.rows.iter().map(Vec::len).max().unwrap_or(0);
    let _ = write!(
        b,
        "<h2 id=\"t{n}\">table {n} · {} · {}×{}{}</h2><table class=\"source\" data-table=\"{n}\">",
        t.origin.as_str(),
        t.rows.len(),
        cols,
        t.page.map(|p| format!(" · page {p}")).unwrap_or_default(),
        n = number + 1
    );
    let mut written = 0;
    for (r, row) in t.rows.iter().enumerate() {
        if written >= budget {
            break;
        }
        let row_class = if marked.is_some_and(|(mr, _)| mr == r) {
            " class=\"target-row\""
        } else {
            ""
        };
        let _ = write!(
            b,
            "<tr id=\"{}\"{row_class}><th class=\"rn\">{}</th>",
            row_anchor(number, r),
            r + 1
        );
        for (c, cell) in row.iter().enumerate() {
            if cell.is_continuation() {
                continue;
            }
            written += 1;
            let mut classes: Vec<&str> = Vec::new();
            let mut attrs = String::new();
            // A value taken at any grid position this cell covers.
            let value = (r..r + cell.row_span.max(1) as usize)
                .flat_map(|rr| (c..c + cell.col_span.max(1) as usize).map(move |cc| (rr, cc)))
                .find_map(|(rr, cc)| by_cell.get(&(number, rr, cc)));
            if let Some(v) = value {
                classes.push("value");
                let _ = write!(
                    attrs,
                    " data-key=\"{k}\" data-back=\"/doc/{doc_id}#cell={}\" title=\"{k}\"",
                    pct(&v.key),
                    k = esc(&v.key)
                );
            }
            if marked.is_some_and(|(mr, mc)| {
                (r..r + cell.row_span.max(1) as usize).contains(&mr)
                    && (c..c + cell.col_span.max(1) as usize).contains(&mc)
            }) {
                classes.push("target-cell");
            }
            if cell.text.contains(UNREAD) {
                classes.push("unread");
            }
            if cell.row_span > 1 {
                let _ = write!(attrs, " rowspan=\"{}\"", cell.row_span);
            }
            if cell.col_span > 1 {
                let _ = write!(attrs, " colspan=\"{}\"", cell.col_span);
            }
            if !classes.is_empty() {
                let _ = write!(attrs, " class=\"{}\"", classes.join(" "));
            }
            let text: String = cell.text.chars().take(MAX_CELL_CHARS).collect();
            let cut = if text.len() < cell.text.len() {
                "…"
            } else {
                ""
            };
            let _ = write!(b, "<td{attrs}>{}{cut}</td>", esc(text.trim()));
        }
        b.push_str("</tr>");
    }
    b.push_str("</table>");
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Cell, TableOrigin};
    use crate::record::Facts;
    use crate::review::source_view::tests::value;

    fn doc(values: Vec<StoredValue>) -> DocumentData {
        DocumentData {
            id: 7,
            sha256: "ab".into(),
            path: "/x/r.docx".into(),
            sources: vec![],
            format: "docx".into(),
            status: "ok".into(),
            template: None,
            agency: Some("某局".into()),
            year: Some(2023),
            published: None,
            facts: Facts::default(),
            values,
            checks: vec![],
            errors: vec![],
            corrections: vec![],
        }
    }

    #[test]
    fn the_value_s_row_is_highlighted_its_cell_outlined_and_spans_kept() {
        let mut head = Cell::new("申请人情况");
        head.col_span = 2;
        let rows = vec![
            vec![head],
            vec![Cell::new("一、本年新收"), Cell::new("12")],
            vec![Cell::new("二、上年结转"), Cell::new("<3>")],
        ];
        let src = SourceTables {
            format: "docx".into(),
            items: vec![SourceItem::Table(Table::from_spanned_rows(
                rows,
                TableOrigin::DocxTable,
                None,
            ))],
        };
        let d = doc(vec![
            value("requests/new/total", (0, 1, 1), "12"),
            value("requests/carried_in/total", (0, 2, 1), "<3>"),
        ]);
        let html = render(&SourceView {
            doc: &d,
            source: Ok(&src),
            key: Some("requests/new/total"),
        });
        assert!(html.contains("<td colspan=\"2\">申请人情况</td>"), "{html}");
        assert!(
            html.contains("<tr id=\"t1r2\" class=\"target-row\">"),
            "{html}"
        );
        assert!(html.contains(
            "data-key=\"requests/new/total\" data-back=\"/doc/7#cell=requests%2Fnew%2Ftotal\" \
             title=\"requests/new/total\" class=\"value target-cell\">12</td>"
        ));
        // Other values are marked, not outlined; text is escaped.
        assert!(html.contains("class=\"value\">&lt;3&gt;</td>"), "{html}");
        assert!(html.contains("<a href=\"#t1r2\">table 1 row 2 col 2</a>"));

        let gone = render(&SourceView {
            doc: &d,
            source: Err("file gone: nothing at /x/r.docx".into()),
            key: Some("requests/new/total"),
        });
        assert!(gone
            .contains("<p class=\"gone\" id=\"source-gone\">file gone: nothing at /x/r.docx</p>"));
    }
}
