//! Server-rendered HTML of the review pages: the frame and its style ([`page`]),
//! the overview ([`overview`]), a document ([`document`]), the tables of its source file
//! ([`source`]) and the inline SVG charts ([`chart`]).

pub mod chart;
pub mod document;
pub mod overview;
pub mod source;

use std::fmt::Write;

/// Text for HTML: `&`, `<`, `>`, `"` and `'` escaped (safe in elements and attributes).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Text for a URL's query value: everything but unreserved characters percent-encoded.
pub fn pct(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const STYLE: &str = r#"
body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:0;color:#1d2330;background:#f6f7f9;font-size:14px}
header{background:#1d2a44;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:baseline}
header a{color:#cfe0ff;text-decoration:none}header b{font-size:16px}
main{padding:12px 16px}
h1{font-size:18px;margin:6px 0}h2{font-size:15px;margin:16px 0 6px}
.meta{color:#555;font-size:12px;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px 12px;min-width:160px}
table.counts td,table.counts th{padding:2px 8px;text-align:left}table.counts td.n{text-align:right}
table.list{border-collapse:collapse;background:#fff;width:100%}
table.list td,table.list th{border-bottom:1px solid #e6e8ec;padding:3px 6px;text-align:left;font-size:13px}
table.list td.n{text-align:right}
table.printed{border-collapse:collapse;background:#fff;margin-bottom:10px;font-size:12px}
table.printed th,table.printed td{border:1px solid #b8bec9;padding:2px 4px}
table.printed th{background:#eef0f4;font-weight:normal;max-width:140px}
table.printed td.label{max-width:220px;background:#fafbfc}
td.v{text-align:right;min-width:34px;cursor:pointer;font-variant-numeric:tabular-nums}
td.v:hover{outline:2px solid #3a6fd8}
td.sel{outline:3px solid #3a6fd8}
td.c-exact{background:#fff}td.c-hi{background:#e3f4e1}td.c-mid{background:#fff4c9}td.c-lo{background:#ffd9c9}
td.left-out{background:#eceff3;color:#8a93a3}
td.none{background:#f4f5f7}
td.in-fail{box-shadow:inset 0 0 0 2px #d23b3b}
td.reviewed{font-weight:bold;color:#1546a0}
td.changed::after{content:" ⚑";color:#d23b3b}
.legend span{display:inline-block;padding:1px 6px;margin-right:6px;border:1px solid #ccc}
.outcome-pass{color:#1c7a2b}.outcome-fail{color:#c22c2c;font-weight:bold}.outcome-missing{color:#8a6d00}.outcome-explained{color:#6a3fb0;font-weight:bold}
tr.outcome-fail td{background:#fff0f0}
#layout{display:flex;gap:16px;align-items:flex-start}
#tables{flex:1;min-width:0;overflow-x:auto}
#panel{width:300px;position:sticky;top:8px;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px}
#panel img{max-width:280px;border:1px solid #ccc;image-rendering:auto}
#panel input[type=text]{width:95%}
.crops{display:flex;flex-wrap:wrap;gap:8px}
.crop{background:#fff;border:1px solid #dde1e7;padding:4px;font-size:12px;cursor:pointer}
.crop img{display:block;max-height:60px}
.gone{color:#c22c2c}
.flash{background:#e3f4e1;border:1px solid #9ccf98;padding:6px 10px;margin:6px 0}
.flash.err{background:#ffe3e3;border-color:#e0a0a0}
"#;

/// A whole page: the frame, `title`, and `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\">\
         <title>{t} · nianbao review</title><style>{STYLE}</style></head><body>\
         <header><b>nianbao review</b><a href=\"/\">overview</a></header><main>{body}</main>\
         </body></html>",
        t = esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(pct("requests/new/total"), "requests%2Fnew%2Ftotal");
        assert_eq!(pct("年"), "%E5%B9%B4");
    }
}
