//! HTML decoder: the bytes of a published web page → [`Document`].
//!
//! Handles pages as Chinese government sites publish them: legacy charsets (GB2312/GBK
//! declared in a `<meta>`, or undeclared), site chrome around the article, Word-exported
//! markup (`MsoNormalTable`, `<p class=MsoNormal>` in cells, `<span>` fragments, `&nbsp;`,
//! `<o:p>`), row/col spans and tables nested for page layout. Nothing is fetched.

use scraper::{ElementRef, Html, Node};

#[path = "html_charset.rs"]
mod charset;
use charset::decode_bytes;
#[path = "html_depth.rs"]
mod depth;

use super::DecodeError;
use crate::document::{Block, Cell, Document, Picture, Table, TableOrigin};

/// Decodes an HTML page into blocks in document order.
pub fn decode_html(bytes: &[u8]) -> Result<Document, DecodeError> {
    let text = decode_bytes(bytes)?;
    // html5ever's time is quadratic in the nesting depth: a deep page is refused unparsed.
    if let Err(reached) = depth::check(&text, depth::MAX_DEPTH) {
        return Err(DecodeError::new(format!(
            "elements nested at least {reached} deep (the limit is {}): refused unparsed, \
             as parsing takes time growing with the square of the depth",
            depth::MAX_DEPTH
        )));
    }
    let html = Html::parse_document(&text);
    let root = html.root_element();

    let mut title = None;
    let mut article_title = None;
    let mut site_name = None;
    let mut has_content_root = false;
    for el in root.descendent_elements() {
        let v = el.value();
        match v.name() {
            "title" if title.is_none() => {
                let t = normalize_line(&el.text().collect::<String>());
                if !t.is_empty() {
                    title = Some(t);
                }
            }
            "meta" => {
                let name = v.attr("name").unwrap_or("");
                let content = || normalize_line(v.attr("content").unwrap_or(""));
                if name.eq_ignore_ascii_case("ArticleTitle") && article_title.is_none() {
                    article_title = Some(content()).filter(|s| !s.is_empty());
                } else if name.eq_ignore_ascii_case("SiteName") && site_name.is_none() {
                    site_name = Some(content()).filter(|s| !s.is_empty());
                }
            }
            _ => {}
        }
        if !has_content_root && is_content_candidate(el) {
            has_content_root = true;
        }
    }
    let title_hint = article_title.or_else(|| title.map(|t| clean_title(&t, site_name.as_deref())));

    let mut w = Walker {
        blocks: Vec::new(),
        lines: Vec::new(),
        cur: String::new(),
        pending_pictures: Vec::new(),
        has_content_root,
    };
    let ctx = Ctx {
        heading: None,
        in_content: false,
        depth: 0,
    };
    w.element(root, ctx);
    w.flush(None);
    Ok(Document {
        blocks: w.blocks,
        title_hint,
        problems: Vec::new(),
        ocr_text: false,
        decode_warnings: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------
// Text normalisation

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c' | '\u{a0}')
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}'
        | '\u{f900}'..='\u{faff}' | '\u{ff00}'..='\u{ffef}')
}

/// Collapses runs of ASCII whitespace and NBSP to one space and trims (also U+3000 at
/// the ends). A run that contains a source line break between two CJK characters is
/// dropped instead: it is markup formatting, not a word gap (Word wraps its HTML so).
/// Zero-width characters are removed.
fn normalize_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending: Option<bool> = None; // Some(run contains a line break)
    let mut prev: Option<char> = None;
    for c in s.chars() {
        if is_space(c) {
            let nl = c == '\n' || c == '\r';
            pending = Some(pending.unwrap_or(false) || nl);
            continue;
        }
        if matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}') {
            continue;
        }
        if let Some(nl) = pending.take() {
            let cjk_join = nl && prev.is_some_and(is_cjk) && is_cjk(c);
            if prev.is_some() && !cjk_join {
                out.push(' ');
            }
        }
        out.push(c);
        prev = Some(c);
    }
    let trimmed = out.trim_matches(|c: char| c.is_whitespace());
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

/// Normalises each line, drops empty ones and joins them with '\n'.
fn join_lines(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        let n = normalize_line(l);
        if !n.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&n);
        }
    }
    out
}

/// Strips a trailing site name from a `<title>` ("报告_某某市人民政府" → "报告").
fn clean_title(title: &str, site_name: Option<&str>) -> String {
    const SEPS: &[char] = &['_', '|', '｜', '—', '－', '-', '–'];
    const SITE_SUFFIXES: &[&str] = &["人民政府", "政府网", "门户网站", "网站", "政务网", "门户网"];
    let mut t = title.trim();
    for _ in 0..3 {
        let Some(pos) = t.rfind(SEPS) else { break };
        let head = t[..pos].trim_end_matches(SEPS).trim();
        let tail = t[pos..].trim_start_matches(SEPS).trim();
        let is_site = site_name.is_some_and(|s| s == tail)
            || SITE_SUFFIXES.iter().any(|suf| tail.ends_with(suf));
        if head.is_empty() || !is_site {
            break;
        }
        t = head;
    }
    t.to_string()
}

// ---------------------------------------------------------------------------------------
// Classifying elements

const MAX_DEPTH: u32 = 256;

fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "head"
            | "script"
            | "style"
            | "noscript"
            | "template"
            | "iframe"
            | "object"
            | "embed"
            | "svg"
            | "math"
            | "select"
            | "option"
            | "textarea"
            | "button"
            | "input"
            | "map"
            | "canvas"
            | "audio"
            | "video"
    )
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "html"
            | "body"
            | "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "caption"
            | "dd"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "header"
            | "hgroup"
            | "hr"
            | "legend"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "ul"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
    )
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Class/id names of the article body on government sites.
fn is_content_candidate(el: ElementRef) -> bool {
    const WORDS: &[&str] = &[
        "content",
        "article",
        "trs_editor",
        "zoom",
        "detail",
        "artibody",
        "maintext",
        "main_text",
        "zhengwen",
    ];
    let v = el.value();
    if v.name() == "article" {
        return true;
    }
    let matches = |s: &str| {
        let s = s.to_ascii_lowercase();
        WORDS.iter().any(|w| s.contains(w))
    };
    v.id().is_some_and(matches) || v.attr("class").is_some_and(matches)
}

/// Site chrome (header, navigation, breadcrumb, footer, share bar) that is not content.
fn is_chrome(el: ElementRef, in_content: bool) -> bool {
    const WORDS: &[&str] = &[
        "header",
        "nav",
        "navbar",
        "navigation",
        "menu",
        "footer",
        "crumb",
        "crumbs",
        "breadcrumb",
        "breadcrumbs",
        "share",
        "bdsharebuttonbox",
        "logo",
        "copyright",
        "sidebar",
    ];
    let v = el.value();
    let by_tag = match v.name() {
        "nav" => true,
        "header" | "footer" | "aside" => !in_content,
        "div" | "ul" | "ol" | "section" | "dl" | "span" | "p" => false,
        _ => return false,
    };
    let word_hit = |s: &str| {
        s.split(|c: char| c.is_ascii_whitespace() || c == '-' || c == '_')
            .any(|tok| WORDS.iter().any(|w| tok.eq_ignore_ascii_case(w)))
    };
    let chrome = by_tag || v.id().is_some_and(word_hit) || v.attr("class").is_some_and(word_hit);
    // Never drop a table or the article's main heading on a guess.
    chrome
        && !el
            .descendent_elements()
            .any(|d| matches!(d.value().name(), "table" | "h1" | "h2"))
}

fn looks_like_icon(src: &str, el: ElementRef) -> bool {
    const WORDS: &[&str] = &[
        "logo",
        "icon",
        "favicon",
        "qrcode",
        "erweima",
        "ewm",
        "weixin",
        "weibo",
        "share",
        "spacer",
        "blank.gif",
        "dot.gif",
        "arrow",
        "bullet",
        "btn",
        "button",
        "banner",
    ];
    let s = src.to_ascii_lowercase();
    if WORDS.iter().any(|w| s.contains(w)) || s.ends_with(".ico") {
        return true;
    }
    let v = el.value();
    let class = v.attr("class").unwrap_or("").to_ascii_lowercase();
    if class.contains("logo") || class.contains("icon") {
        return true;
    }
    let small = |a: &str| {
        v.attr(a)
            .and_then(|x| x.trim().trim_end_matches("px").parse::<u32>().ok())
            .is_some_and(|n| n <= 32)
    };
    small("width") || small("height")
}

fn parse_span(v: Option<&str>) -> u32 {
    const MAX: u32 = 1000; // from_spanned_rows clamps further
    let Some(v) = v else { return 1 };
    let digits: &str = {
        let t = v.trim();
        let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        &t[..end]
    };
    if digits.is_empty() {
        return 1;
    }
    match digits.parse::<u64>() {
        Ok(0) => 1,
        Ok(n) => n.min(MAX as u64) as u32,
        Err(_) => MAX,
    }
}

// ---------------------------------------------------------------------------------------
// Walking the tree

#[derive(Clone, Copy)]
struct Ctx {
    heading: Option<u8>,
    in_content: bool,
    depth: u32,
}

struct Walker {
    blocks: Vec<Block>,
    /// Finished lines (ended by `<br>`) of the block being collected.
    lines: Vec<String>,
    cur: String,
    /// Pictures met inside the text being collected; emitted after it.
    pending_pictures: Vec<Picture>,
    has_content_root: bool,
}

impl Walker {
    fn flush(&mut self, heading: Option<u8>) {
        if !self.cur.is_empty() || !self.lines.is_empty() {
            self.lines.push(std::mem::take(&mut self.cur));
            let text = join_lines(&self.lines);
            self.lines.clear();
            if !text.is_empty() {
                self.blocks.push(match heading {
                    Some(level) => Block::Heading { text, level },
                    None => Block::Paragraph(text),
                });
            }
        }
        for p in self.pending_pictures.drain(..) {
            self.blocks.push(Block::Picture(p));
        }
    }

    fn children(&mut self, el: ElementRef, ctx: Ctx) {
        for child in el.children() {
            match child.value() {
                Node::Text(t) => self.cur.push_str(t),
                Node::Element(_) => {
                    if let Some(ce) = ElementRef::wrap(child) {
                        self.element(ce, ctx);
                    }
                }
                _ => {}
            }
        }
    }

    fn element(&mut self, el: ElementRef, ctx: Ctx) {
        let name = el.value().name();
        if is_skipped(name) {
            return;
        }
        if ctx.depth >= MAX_DEPTH {
            // Pathologically deep markup: keep the text, forget the structure.
            for d in el.descendants() {
                if let Node::Text(t) = d.value() {
                    self.cur.push_str(t);
                }
            }
            return;
        }
        let ctx = Ctx {
            depth: ctx.depth + 1,
            in_content: ctx.in_content || is_content_candidate(el),
            ..ctx
        };
        match name {
            "br" => self.lines.push(std::mem::take(&mut self.cur)),
            "img" => self.picture(el, ctx),
            "table" => {
                self.flush(ctx.heading);
                self.table(el, ctx);
            }
            _ => {
                if let Some(level) = heading_level(name) {
                    self.flush(ctx.heading);
                    self.children(
                        el,
                        Ctx {
                            heading: Some(level),
                            ..ctx
                        },
                    );
                    self.flush(Some(level));
                } else if is_block(name) {
                    self.flush(ctx.heading);
                    if !is_chrome(el, ctx.in_content) {
                        self.children(el, ctx);
                    }
                    self.flush(ctx.heading);
                } else if is_chrome(el, ctx.in_content) {
                    // e.g. a <span class="share"> inside a line: drop it.
                } else {
                    self.children(el, ctx);
                }
            }
        }
    }

    fn picture(&mut self, el: ElementRef, ctx: Ctx) {
        if self.has_content_root && !ctx.in_content {
            return;
        }
        if let Some(p) = make_picture(el) {
            self.pending_pictures.push(p);
        }
    }

    fn table(&mut self, el: ElementRef, ctx: Ctx) {
        let rows = table_rows(el);
        let n_cells: usize = rows.iter().map(|r| r.len()).sum();
        let nested = rows
            .iter()
            .flatten()
            .any(|c| c.descendent_elements().any(|d| d.value().name() == "table"));
        if nested || n_cells <= 1 {
            // Layout table: its cells are page regions; walk them as ordinary blocks.
            self.children(el, ctx);
            self.flush(ctx.heading);
            return;
        }
        for child in el.child_elements() {
            if child.value().name() == "caption" {
                self.children(child, ctx);
                self.flush(None);
            }
        }
        let mut grid = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut cells = Vec::with_capacity(row.len());
            for &td in row {
                let v = td.value();
                let mut cell = Cell::new(cell_text(td));
                cell.row_span = parse_span(v.attr("rowspan"));
                cell.col_span = parse_span(v.attr("colspan"));
                cells.push(cell);
                if !self.has_content_root || ctx.in_content {
                    for img in td.descendent_elements() {
                        if img.value().name() == "img" {
                            if let Some(p) = make_picture(img) {
                                self.pending_pictures.push(p);
                            }
                        }
                    }
                }
            }
            grid.push(cells);
        }
        if n_cells > 0 {
            self.blocks.push(Block::Table(Table::from_spanned_rows(
                grid,
                TableOrigin::HtmlTable,
                None,
            )));
        }
        self.flush(ctx.heading);
    }
}

fn make_picture(el: ElementRef) -> Option<Picture> {
    let src = el.value().attr("src")?.trim();
    if src.is_empty() {
        return None;
    }
    if let Some(rest) = src.strip_prefix("data:") {
        // Inline image (Word exports, editors): decode it here, no fetching needed.
        let (meta, data) = rest.split_once(',')?;
        let mime = meta.split(';').next().unwrap_or("");
        if !meta.ends_with(";base64") || !mime.starts_with("image/") {
            return None;
        }
        let bytes = base64_decode(data)?;
        return Some(Picture {
            name: Some(format!("data:{mime}")),
            bytes,
            dpi: None,
            page: None,
            whole_page: false,
        });
    }
    if looks_like_icon(src, el) {
        return None;
    }
    Some(Picture {
        name: Some(src.to_string()),
        bytes: Vec::new(),
        dpi: None,
        page: None,
        whole_page: false,
    })
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b if b.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The table's own rows (direct, or in thead/tbody/tfoot, in document order) as their
/// td/th cells.
fn table_rows(table: ElementRef<'_>) -> Vec<Vec<ElementRef<'_>>> {
    fn cells<'a>(tr: ElementRef<'a>) -> Vec<ElementRef<'a>> {
        tr.child_elements()
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .collect()
    }
    let mut rows = Vec::new();
    for child in table.child_elements() {
        match child.value().name() {
            "tr" => rows.push(cells(child)),
            "thead" | "tbody" | "tfoot" => {
                for tr in child.child_elements() {
                    if tr.value().name() == "tr" {
                        rows.push(cells(tr));
                    }
                }
            }
            _ => {}
        }
    }
    rows
}

/// A cell's text: paragraphs/divs/`<br>` as line breaks, inline fragments joined.
fn cell_text(td: ElementRef) -> String {
    fn walk(el: ElementRef, lines: &mut Vec<String>, cur: &mut String, depth: u32) {
        for child in el.children() {
            match child.value() {
                Node::Text(t) => cur.push_str(t),
                Node::Element(e) => {
                    let name = e.name();
                    if is_skipped(name) {
                        continue;
                    }
                    let Some(ce) = ElementRef::wrap(child) else {
                        continue;
                    };
                    if name == "br" {
                        lines.push(std::mem::take(cur));
                    } else if depth >= MAX_DEPTH {
                        cur.extend(ce.text());
                    } else if is_block(name) {
                        lines.push(std::mem::take(cur));
                        walk(ce, lines, cur, depth + 1);
                        lines.push(std::mem::take(cur));
                    } else {
                        walk(ce, lines, cur, depth + 1);
                    }
                }
                _ => {}
            }
        }
    }
    let mut lines = Vec::new();
    let mut cur = String::new();
    walk(td, &mut lines, &mut cur, 0);
    lines.push(cur);
    join_lines(&lines)
}

// ---------------------------------------------------------------------------------------

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
