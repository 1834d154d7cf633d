//! The overview: counts, failed checks by rule, charts, and the reports to review first.

use super::{chart, esc, page};
use crate::review::store::Overview;
use std::fmt::Write;

fn counts_table(title: &str, rows: &[(String, usize)]) -> String {
    let mut s = format!(
        "<div class=\"card\"><h2>{}</h2><table class=\"counts\">",
        esc(title)
    );
    for (k, n) in rows {
        let _ = write!(s, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", esc(k));
    }
    s.push_str("</table></div>");
    s
}

pub fn render(o: &Overview) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{} reports</h1><p class=\"meta\">{} corrections made</p><div class=\"cards\" id=\"counts\">",
        o.reports, o.corrections
    );
    b.push_str(&counts_table("status", &o.by_status));
    b.push_str(&counts_table("format", &o.by_format));
    b.push_str(&counts_table("template", &o.by_template));
    let years: Vec<(String, usize)> = o
        .by_year
        .iter()
        .map(|(y, n)| (y.map_or("unknown".to_string(), |y| y.to_string()), *n))
        .collect();
    b.push_str(&counts_table("year", &years));
    let rules: Vec<(String, usize)> = o.failed_by_rule.clone();
    b.push_str(&counts_table(
        "failed checks by rule (reports)",
        if rules.is_empty() { &[] } else { &rules },
    ));
    b.push_str("</div><div class=\"cards\" id=\"charts\"><div class=\"card\">");
    b.push_str(&chart::bars("documents per year", &years, 420, 170));
    b.push_str("</div><div class=\"card\">");
    let conf: Vec<(String, usize)> = o
        .confidence
        .iter()
        .enumerate()
        .map(|(i, n)| (format!(".{i}"), *n))
        .collect();
    b.push_str(&chart::bars(
        "OCR'd values by confidence (tenths)",
        &conf,
        420,
        170,
    ));
    b.push_str("</div></div>");
    let _ = write!(
        b,
        "<h2>To review first ({} shown): failed checks, then cells left out, then low-confidence cells</h2>\
         <table class=\"list\" id=\"worst\"><tr><th>document</th><th>agency</th><th>year</th>\
         <th>format</th><th>status</th><th>failed checks</th><th>left out</th>\
         <th>low confidence</th><th>corrected</th></tr>",
        o.worst.len()
    );
    for r in &o.worst {
        let name = r.path.rsplit(['/', '\\']).next().unwrap_or(&r.path);
        let _ = write!(
            b,
            "<tr><td><a href=\"/doc/{id}\" title=\"{p}\">{n}</a></td><td>{a}</td><td>{y}</td>\
             <td>{f}</td><td>{s}</td><td class=\"n\">{cf}</td><td class=\"n\">{lo}</td>\
             <td class=\"n\">{low}</td><td class=\"n\">{c}</td></tr>",
            id = r.id,
            p = esc(&r.path),
            n = esc(name),
            a = esc(r.agency.as_deref().unwrap_or("")),
            y = r.year.map(|y| y.to_string()).unwrap_or_default(),
            f = esc(&r.format),
            s = esc(&r.status),
            cf = r.checks_failed,
            lo = r.left_out,
            low = r.low_confidence,
            c = r.corrected,
        );
    }
    b.push_str("</table>");
    page("overview", &b)
}
