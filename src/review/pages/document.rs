//! A document: its three tables as printed, each value coloured by confidence, the checks
//! run again on the reviewed values (a failure outlines the cells it adds up), the
//! errors, the doubtful cells with their crops, and the form that corrects a cell.

use super::{esc, page, pct};
use crate::ocr::LOW_CONFIDENCE;
use crate::record::CheckOutcome;
use crate::review::cell_place;
use crate::review::pages::source::row_anchor;
use crate::review::recheck::{CheckResult, Outcome};
use crate::review::source_view::is_born_digital;
use crate::review::store::{DocumentData, StoredValue};
use crate::sinks::sqlite::views::KeyRow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// Confidence from which an OCR'd value is shown as sure.
const HIGH_CONFIDENCE: f64 = 0.9;
/// Doubtful cells shown with their crops at most.
const MAX_CROPS: usize = 80;

/// What the page needs beside the stored document.
pub struct DocumentView<'a> {
    pub doc: &'a DocumentData,
    /// The keys of the report's template, in printed order.
    pub keys: &'a [KeyRow],
    pub checks: &'a [CheckResult],
    /// Why no crops can be cut (the file is gone), or `None`.
    pub no_crops: Option<String>,
    /// The form's access token and default reviewer name.
    pub token: &'a str,
    pub who: &'a str,
    /// A message from the last action (correction saved or refused).
    pub flash: Option<(bool, String)>,
}

fn confidence_class(v: &StoredValue) -> &'static str {
    match (v.origin.as_deref(), v.confidence) {
        (None, _) => "reviewed",
        (Some("ocr"), Some(c)) if c >= HIGH_CONFIDENCE => "c-hi",
        (Some("ocr"), Some(c)) if c >= f64::from(LOW_CONFIDENCE) => "c-mid",
        (Some("ocr"), _) => "c-lo",
        _ => "c-exact",
    }
}

fn is_doubtful(v: &StoredValue) -> bool {
    v.origin.as_deref() == Some("ocr") && v.confidence.is_none_or(|c| c < HIGH_CONFIDENCE)
}

fn crop_url(id: i64, key: &str) -> String {
    format!("/doc/{id}/crop?key={}", pct(key))
}

/// The source view opened on a born-digital value, at its table and row.
fn source_url(id: i64, v: &StoredValue) -> Option<String> {
    let (t, r, _) = v.cell.filter(|_| is_born_digital(v))?;
    Some(format!(
        "/doc/{id}/source?key={}#{}",
        pct(&v.key),
        row_anchor(usize::try_from(t).ok()?, usize::try_from(r).ok()?)
    ))
}

fn value_cell(
    out: &mut String,
    view: &DocumentView,
    k: &KeyRow,
    v: Option<&StoredValue>,
    failing: &HashMap<&str, Vec<String>>,
) {
    let mut classes = vec!["v"];
    let mut title = format!("{} · {} · {}", k.key, k.row_label, k.col_label);
    let mut data = format!(
        " data-key=\"{}\" data-row-label=\"{}\" data-col-label=\"{}\"",
        esc(&k.key),
        esc(&k.row_label),
        esc(&k.col_label)
    );
    // A cell without a box of its own (left out, or filled by a person) is cut where its
    // row and column cross in the picture.
    if v.is_none_or(|v| v.extracted.is_none())
        && view.no_crops.is_none()
        && cell_place::locate(&view.doc.values, &k.key).is_some()
    {
        let _ = write!(
            data,
            " data-crop=\"{}\" data-crop-from=\"its row and column\"",
            esc(&crop_url(view.doc.id, &k.key))
        );
    }
    let shown = match v {
        None => {
            classes.push("left-out");
            title.push_str(" · left out by the extraction");
            "?".to_string()
        }
        Some(v) => {
            classes.push(confidence_class(v));
            if v.source != "extracted" {
                classes.push("reviewed");
            }
            if v.extracted_changed {
                classes.push("changed");
                title.push_str(" · the extracted value changed since it was reviewed");
            }
            let _ = write!(
                data,
                " data-extracted=\"{}\" data-reviewed=\"{}\" data-source=\"{}\"",
                esc(v.extracted.as_deref().unwrap_or("")),
                esc(&v.reviewed_text),
                esc(&v.source)
            );
            if let Some(o) = &v.origin {
                let _ = write!(data, " data-origin=\"{}\"", esc(o));
            }
            if let Some(c) = v.confidence {
                let _ = write!(data, " data-conf=\"{c:.2}\"");
            }
            if let Some(p) = v.page {
                let _ = write!(data, " data-page=\"{p}\"");
            }
            if let Some(r) = &v.raw {
                let _ = write!(data, " data-raw=\"{}\"", esc(r));
            }
            if let Some((t, r, c)) = v.cell {
                let _ = write!(
                    data,
                    " data-cell=\"table {} row {} col {}\"",
                    t + 1,
                    r + 1,
                    c + 1
                );
            }
            if let Some(url) = source_url(view.doc.id, v) {
                let _ = write!(data, " data-source-view=\"{}\"", esc(&url));
            }
            if v.origin.as_deref() == Some("ocr") && v.bbox.is_some() && view.no_crops.is_none() {
                let _ = write!(
                    data,
                    " data-crop=\"{}\"",
                    esc(&crop_url(view.doc.id, &v.key))
                );
            }
            v.reviewed_text.clone()
        }
    };
    if let Some(details) = failing.get(k.key.as_str()) {
        classes.push("in-fail");
        for d in details {
            let _ = write!(title, " · FAILS {d}");
        }
    } else if v.is_none() && !view.checks.is_empty() {
        // Left-out cells are already grey; nothing more to mark.
    }
    let _ = write!(
        out,
        "<td class=\"{}\" title=\"{}\"{data}>{}</td>",
        classes.join(" "),
        esc(&title),
        esc(&shown)
    );
}

/// The three tables, rows grouped where their columns are the same (table 二 prints
/// sections with their own columns).
fn tables(view: &DocumentView, values: &HashMap<&str, &StoredValue>) -> String {
    let mut failing: HashMap<&str, Vec<String>> = HashMap::new();
    for c in view.checks.iter().filter(|c| c.outcome == Outcome::Fail) {
        for k in &c.keys {
            failing
                .entry(k.as_str())
                .or_default()
                .push(format!("{} {}: {}", c.id, c.place, c.detail));
        }
    }
    let mut out = String::new();
    for table in ["active", "requests", "appeals"] {
        let keys: Vec<&KeyRow> = view.keys.iter().filter(|k| k.table_name == table).collect();
        let Some(first) = keys.first() else { continue };
        // A table the document did not yield is folded: its cells can still be filled.
        let found = keys.iter().any(|k| values.contains_key(k.key.as_str()));
        if !found {
            let _ = write!(
                out,
                "<details class=\"not-found\"><summary>{}: not found in the document \
                 (open to fill it in)</summary>",
                esc(&first.table_label)
            );
        } else {
            let _ = write!(out, "<h2>{}</h2>", esc(&first.table_label));
        }
        let _ = write!(out, "<table class=\"printed\" id=\"table-{table}\">");
        // Rows in printed order, each with its keys in column order.
        let mut rows: Vec<(&str, &str, Vec<&KeyRow>)> = Vec::new();
        for k in &keys {
            match rows.last_mut() {
                Some((row, _, ks)) if *row == k.row_key => ks.push(k),
                _ => rows.push((&k.row_key, &k.row_label, vec![k])),
            }
        }
        let mut header: Vec<&str> = Vec::new();
        for (row_key, label, ks) in &rows {
            let cols: Vec<&str> = ks.iter().map(|k| k.col_label.as_str()).collect();
            if cols != header {
                out.push_str("<tr><th></th>");
                for c in &cols {
                    let _ = write!(out, "<th>{}</th>", esc(c));
                }
                out.push_str("</tr>");
                header = cols;
            }
            let _ = write!(
                out,
                "<tr data-row=\"{}\"><td class=\"label\">{}</td>",
                esc(row_key),
                esc(label)
            );
            for k in ks {
                value_cell(
                    &mut out,
                    view,
                    k,
                    values.get(k.key.as_str()).copied(),
                    &failing,
                );
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
        if !found {
            out.push_str("</details>");
        }
    }
    out
}

fn checks_section(view: &DocumentView) -> String {
    let n = |o: &str| {
        view.checks
            .iter()
            .filter(|c| c.outcome.as_str() == o)
            .count()
    };
    let stored = |o: CheckOutcome| view.doc.checks.iter().filter(|c| c.outcome == o).count();
    let mut out = format!(
        "<h2>Checks on the reviewed values: <span id=\"n-fail\">{}</span> fail, \
         <span id=\"n-missing\">{}</span> cannot run (cells missing), {} explained, {} pass</h2>\
         <p class=\"meta\">As extracted: {} checks ran, {} failed, {} explained.</p>\
         <table class=\"list\" id=\"checks\">",
        n("fail"),
        n("missing"),
        n("explained"),
        n("pass"),
        view.doc.checks.len(),
        stored(CheckOutcome::Fail),
        stored(CheckOutcome::Explained),
    );
    // The extraction's own failures and explained discrepancies: a reading it withdrew
    // from the values (it broke every sum) still fails its checks there, while here its
    // cell is left out.
    for c in view
        .doc
        .checks
        .iter()
        .filter(|c| c.outcome != CheckOutcome::Pass)
    {
        let _ = write!(
            out,
            "<tr class=\"extracted-{o}\"><td class=\"outcome-{o}\">{o} as extracted</td>\
             <td>{}</td><td colspan=\"3\">{}</td></tr>",
            esc(&c.rule_id),
            esc(&c.detail),
            o = c.outcome.as_str(),
        );
    }
    let mut ordered: Vec<&CheckResult> = view.checks.iter().collect();
    ordered.sort_by_key(|c| match c.outcome {
        Outcome::Fail => 0,
        Outcome::Explained => 1,
        Outcome::Missing(_) => 2,
        Outcome::Pass => 3,
    });
    let mut passing_open = false;
    for c in ordered {
        if c.outcome == Outcome::Pass && !passing_open {
            // Passing checks below a fold: the page opens on what needs a look.
            out.push_str(
                "</table><details id=\"passing\"><summary>passing checks</summary>\
                 <table class=\"list\">",
            );
            passing_open = true;
        }
        let missing = match &c.outcome {
            Outcome::Missing(keys) => format!(" (missing: {})", esc(&keys.join(", "))),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<tr class=\"outcome-{o}\" data-check=\"{id} {place}\" data-keys=\"{keys}\">\
             <td class=\"outcome-{o}\">{o}</td><td>{id}</td><td>{place}</td><td>{rule}</td>\
             <td>{detail}{missing}</td></tr>",
            o = c.outcome.as_str(),
            id = esc(&c.id),
            place = esc(&c.place),
            keys = esc(&c.keys.join(" ")),
            rule = esc(&c.rule),
            detail = esc(&c.detail),
        );
    }
    if passing_open {
        out.push_str("</table></details>");
        return out;
    }
    out.push_str("</table>");
    out
}

fn crops_section(view: &DocumentView, values: &[&StoredValue]) -> String {
    let mut doubtful: Vec<&&StoredValue> = values.iter().filter(|v| is_doubtful(v)).collect();
    if doubtful.is_empty() {
        return String::new();
    }
    doubtful.sort_by(|a, b| {
        a.confidence
            .unwrap_or(0.0)
            .total_cmp(&b.confidence.unwrap_or(0.0))
    });
    let mut out = format!(
        "<h2>Doubtful OCR readings ({}), least sure first</h2>",
        doubtful.len()
    );
    if let Some(why) = &view.no_crops {
        let _ = write!(out, "<p class=\"gone\" id=\"file-gone\">{}</p>", esc(why));
    }
    out.push_str("<div class=\"crops\" id=\"crops\">");
    for v in doubtful.iter().take(MAX_CROPS) {
        let img = if view.no_crops.is_none() && v.bbox.is_some() {
            format!(
                "<img loading=\"lazy\" src=\"{}\" alt=\"crop of {}\">",
                esc(&crop_url(view.doc.id, &v.key)),
                esc(&v.key)
            )
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<div class=\"crop\" data-for=\"{k}\">{img}<span>{k} = <b>{val}</b> ({c})</span></div>",
            k = esc(&v.key),
            val = esc(&v.reviewed_text),
            c = v.confidence.map(|c| format!("{c:.2}")).unwrap_or_default(),
        );
    }
    out.push_str("</div>");
    out
}

const SCRIPT: &str = r#"
const panel = document.getElementById('panel');
function show(td) {
  document.querySelectorAll('td.sel').forEach(e => e.classList.remove('sel'));
  td.classList.add('sel');
  const d = td.dataset;
  document.getElementById('p-key').textContent = d.key;
  document.getElementById('p-labels').textContent = d.rowLabel + ' · ' + d.colLabel;
  let info = [];
  if (d.extracted !== undefined) info.push('extracted: ' + (d.extracted || '(left out)'));
  else info.push('left out by the extraction');
  if (d.reviewed !== undefined && d.source !== 'extracted') info.push('reviewed: ' + d.reviewed + ' (' + d.source + ')');
  if (d.origin) info.push('from: ' + d.origin + (d.page ? ', page ' + d.page : '') + (d.cell ? ', ' + d.cell : ''));
  if (d.conf) info.push('confidence: ' + d.conf);
  if (d.raw !== undefined) info.push('printed: ' + d.raw);
  document.getElementById('p-info').innerHTML = info.map(t => '<div></div>').join('');
  document.querySelectorAll('#p-info div').forEach((e, i) => e.textContent = info[i]);
  const crop = document.getElementById('p-crop');
  crop.innerHTML = '';
  if (d.sourceView) {
    // A born-digital value: its table and row in the file, as the decoders read it.
    const a = document.createElement('a');
    a.id = 'p-source';
    a.href = d.sourceView;
    a.textContent = 'show in the source file' + (d.cell ? ': ' + d.cell : '');
    crop.appendChild(a);
  }
  if (d.crop) {
    const img = document.createElement('img');
    img.id = 'p-crop-img';
    img.alt = 'crop of ' + d.key;
    img.onerror = () => { crop.textContent = 'no crop: the source file could not be read'; };
    img.src = d.crop;
    crop.appendChild(img);
    if (d.cropFrom) {
      const note = document.createElement('div');
      note.id = 'p-crop-from';
      note.textContent = 'not read: the picture where ' + d.cropFrom + ' cross';
      crop.appendChild(note);
    }
  }
  document.getElementById('f-key').value = d.key;
  document.getElementById('f-value').value = d.reviewed || '';
  document.getElementById('f-extracted').value = d.extracted || '';
  document.getElementById('f-confirm').disabled = !d.extracted;
  document.getElementById('correct-form').hidden = false;
  document.getElementById('f-value').focus({preventScroll: true});
}
document.querySelectorAll('td.v').forEach(td => td.addEventListener('click', () => show(td)));
document.querySelectorAll('.crop').forEach(c => c.addEventListener('click', () => {
  const td = document.querySelector('td.v[data-key="' + c.dataset.for + '"]');
  if (td) { show(td); td.scrollIntoView({block: 'center'}); }
}));
const who = document.getElementById('f-who');
if (localStorage.getItem('nianbao-who')) who.value = localStorage.getItem('nianbao-who');
document.getElementById('correct-form').addEventListener('submit', () => localStorage.setItem('nianbao-who', who.value));
// `#cell=KEY` in the address opens the page on that cell (links to a value).
const wanted = location.hash.match(/^#cell=(.+)$/);
if (wanted) {
  const td = document.querySelector('td.v[data-key="' + CSS.escape(decodeURIComponent(wanted[1])) + '"]');
  if (td) { show(td); td.scrollIntoView({block: 'nearest'}); }
}
document.getElementById('f-confirm').addEventListener('click', () => {
  document.getElementById('f-value').value = document.getElementById('f-extracted').value;
  document.getElementById('correct-form').requestSubmit();
});
"#;

pub fn render(view: &DocumentView) -> String {
    let doc = view.doc;
    let values: HashMap<&str, &StoredValue> =
        doc.values.iter().map(|v| (v.key.as_str(), v)).collect();
    let mut b = String::new();
    let title = format!(
        "{} {}",
        doc.agency.as_deref().unwrap_or("(agency not found)"),
        doc.year.map(|y| y.to_string()).unwrap_or_default()
    );
    let _ = write!(
        b,
        "<h1 id=\"doc-title\">{}</h1><p class=\"meta\">{} · {} · <span id=\"doc-status\">{}</span> · \
         template {} · published {} · sha256 {}</p>",
        esc(&title),
        esc(&doc.path),
        esc(&doc.format),
        esc(&doc.status),
        esc(doc.template.as_deref().unwrap_or("none")),
        esc(doc.published.as_deref().unwrap_or("?")),
        esc(&doc.sha256)
    );
    if doc.sources.len() > 1 {
        let _ = write!(
            b,
            "<p class=\"meta\">also seen at: {}</p>",
            esc(&doc.sources[1..].join(", "))
        );
    }
    if let Some((ok, msg)) = &view.flash {
        let _ = write!(
            b,
            "<div class=\"flash{}\" id=\"flash\">{}</div>",
            if *ok { "" } else { " err" },
            esc(msg)
        );
    }
    let n = |o: &str| {
        view.checks
            .iter()
            .filter(|c| c.outcome.as_str() == o)
            .count()
    };
    let _ = write!(
        b,
        "<p id=\"summary\"><a href=\"#checks\">checks on the reviewed values</a>: \
         <b class=\"outcome-fail\">{} fail</b>, <span class=\"outcome-missing\">{} cannot run</span>, \
         <span class=\"outcome-explained\">{} explained</span>, \
         <span class=\"outcome-pass\">{} pass</span> · {} errors · {} corrections</p>",
        n("fail"),
        n("missing"),
        n("explained"),
        n("pass"),
        doc.errors.len(),
        doc.corrections.len()
    );
    let mut sorted: Vec<&StoredValue> = doc.values.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    b.push_str(LEGEND);
    b.push_str("<div id=\"layout\"><div id=\"tables\">");
    b.push_str(&tables(view, &values));
    b.push_str("</div>");
    let _ = write!(b, "{}</div>", panel(view));
    b.push_str(&crops_section(view, &sorted));
    b.push_str(&checks_section(view));
    if !doc.errors.is_empty() {
        b.push_str("<h2>Errors</h2><ul id=\"errors\">");
        for (stage, msg) in &doc.errors {
            let _ = write!(b, "<li><b>{}</b>: {}</li>", esc(stage), esc(msg));
        }
        b.push_str("</ul>");
    }
    if !doc.corrections.is_empty() {
        b.push_str(
            "<h2>Corrections, newest first</h2><table class=\"list\" id=\"corrections\">\
             <tr><th>key</th><th>action</th><th>extracted then</th><th>value</th><th>note</th><th>who</th><th>when</th></tr>",
        );
        let changed: HashSet<&str> = doc
            .values
            .iter()
            .filter(|v| v.extracted_changed)
            .map(|v| v.key.as_str())
            .collect();
        for c in &doc.corrections {
            let _ = write!(
                b,
                "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.key),
                if changed.contains(c.key.as_str()) { " ⚑" } else { "" },
                esc(&c.action),
                esc(c.old_value.as_deref().unwrap_or("(left out)")),
                esc(&c.new_value),
                esc(c.note.as_deref().unwrap_or("")),
                esc(&c.who),
                esc(&c.made_at)
            );
        }
        b.push_str("</table>");
    }
    let _ = write!(b, "<script>{SCRIPT}</script>");
    page(&title, &b)
}

const LEGEND: &str = "<p class=\"legend\"><span style=\"background:#fff\">born-digital</span>\
     <span style=\"background:#e3f4e1\">OCR ≥ 0.9</span><span style=\"background:#fff4c9\">OCR 0.6-0.9</span>\
     <span style=\"background:#ffd9c9\">OCR &lt; 0.6</span><span style=\"background:#eceff3\">? left out</span>\
     <span style=\"box-shadow:inset 0 0 0 2px #d23b3b\">in a failed check</span>\
     <span style=\"color:#1546a0;font-weight:bold\">reviewed</span><span>⚑ extraction changed since review</span></p>";

/// The cell panel: what is known of the selected cell, its crop, the correction form.
fn panel(view: &DocumentView) -> String {
    format!(
        "<aside id=\"panel\"><h2>Cell</h2><div id=\"p-key\">Click a value to review it.</div>\
         <div id=\"p-labels\" class=\"meta\"></div><div id=\"p-info\" class=\"meta\"></div>\
         <div id=\"p-crop\"></div>\
         <form method=\"post\" action=\"/doc/{id}/correct\" id=\"correct-form\" hidden>\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <input type=\"hidden\" name=\"key\" id=\"f-key\">\
         <input type=\"hidden\" id=\"f-extracted\">\
         <p><label>value as printed<br><input type=\"text\" name=\"value\" id=\"f-value\" autocomplete=\"off\"></label></p>\
         <p><label>note<br><input type=\"text\" name=\"note\" id=\"f-note\" maxlength=\"2000\"></label></p>\
         <p><label>who<br><input type=\"text\" name=\"who\" id=\"f-who\" value=\"{who}\" maxlength=\"100\"></label></p>\
         <button type=\"submit\" id=\"f-save\">Save value</button> \
         <button type=\"button\" id=\"f-confirm\">Confirm extracted</button></form></aside>",
        id = view.doc.id,
        token = esc(view.token),
        who = esc(view.who),
    )
}
