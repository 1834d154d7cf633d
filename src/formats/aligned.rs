//! Tables without rulings: columns by alignment, rows by lines.
//!
//! PDFs drawn as 三线表 (only the top, header and bottom rules) or with no rules at all,
//! and text laid out with spaces (`pdftotext -layout`), hold tables whose cells are known
//! only by where their text stands. Both decoders hand this module the same thing: the
//! page's lines, top to bottom, each cut into tokens where a wide gap parts the text,
//! with their horizontal extent. It finds the runs of lines that are a table and builds
//! the grid the ruled path builds, one table per section (a header block and the rows
//! below it); the template matcher stitches sections and page parts as it does for grids.
//!
//! A line is a *value line* when it ends in number tokens (digits, full-width digits,
//! decimals, dashes); those are the row's values, the tokens before them its label.
//! A line without values inside a table is either a *header* (some of its text stands
//! over the value columns) or a piece of a wrapped *label* (all of it left of them), which
//! joins the nearest row. The columns of a section are where its full rows put their
//! values; a shorter row's values go to the column they stand under, and a row whose
//! values stand under no column unambiguously gets none (never a guessed column).

use crate::document::{Cell, Table, TableOrigin, UNREAD};
use crate::formats::pdf::layout::is_cjk;
use crate::text::fold_width;

/// A piece of a line's text between wide gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub x0: f32,
    pub x1: f32,
    pub text: String,
}

/// One visual line: its vertical position and its tokens, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignedLine {
    /// Top of the line (page points, or the line's index in text).
    pub y: f32,
    /// Height of the line, for bounding boxes.
    pub h: f32,
    pub tokens: Vec<Token>,
}

/// The units of a page: the width of one CJK character and the distance of two lines.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub em: f32,
    pub pitch: f32,
}

/// A table found among the lines.
#[derive(Debug)]
pub struct FoundTable {
    pub table: Table,
    /// Index of its first line (where it stands in reading order).
    pub first_line: usize,
}

/// What [`find_tables`] found on a page.
#[derive(Debug, Default)]
pub struct PageTables {
    pub tables: Vec<FoundTable>,
    /// Lines that belong to a table (their text is in it); the rest is running text.
    pub used: Vec<bool>,
    /// Values that could not be placed in a column, for the record's errors.
    pub problems: Vec<String>,
}

/// Most lines one page can have looked at (a bound on work, not a limit in practice).
const MAX_LINES: usize = 5000;
/// Most value columns a section can have (the widest table has 15).
const MAX_COLS: usize = 40;
/// A line with one token at least this long (characters) is running text.
const PARAGRAPH_CHARS: usize = 20;
/// Most header lines above a table's first row.
const MAX_HEADER_LINES: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Ends in values: `n` value tokens.
    Value(usize),
    /// A section title or running text: never part of a table.
    Text,
    /// Short text: a header or a piece of a label.
    Short,
}

/// Whether a token is a printed value: an integer or decimal (full-width digits too),
/// or a dash printed for zero.
pub fn is_value(text: &str) -> bool {
    let t = fold_width(text.trim());
    if t.is_empty() {
        return false;
    }
    if is_dash(&t) {
        return true;
    }
    let body = t.strip_prefix('-').unwrap_or(&t);
    let mut dots = 0;
    let mut digits = 0;
    for c in body.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => dots += 1,
            ',' => {}
            _ => return false,
        }
    }
    digits > 0 && dots <= 1 && !body.starts_with('.') && !body.ends_with('.')
}

fn is_dash(t: &str) -> bool {
    t.chars().count() <= 3 && t.chars().all(|c| "-－—–―‐".contains(c))
}

fn has_digit(text: &str) -> bool {
    fold_width(text).chars().any(|c| c.is_ascii_digit())
}

fn line_text(line: &AlignedLine) -> String {
    line.tokens
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn kind_of(line: &AlignedLine) -> Kind {
    let n_values = line
        .tokens
        .iter()
        .rev()
        .take_while(|t| is_value(&t.text))
        .count();
    let values = &line.tokens[line.tokens.len() - n_values..];
    let digits = values.iter().any(|t| has_digit(&t.text));
    // A lone dash is punctuation; dashes alone count as a row of zeros from two on.
    if n_values > 0 && (digits || n_values >= 2) && n_values <= MAX_COLS {
        return Kind::Value(n_values);
    }
    let text = line_text(line);
    if crate::report::section_index(&text).is_some() {
        return Kind::Text;
    }
    if line.tokens.len() == 1 && text.chars().count() >= PARAGRAPH_CHARS {
        return Kind::Text;
    }
    Kind::Short
}

/// A label piece that starts a row's label: 1. 2、 （三） 四、.
fn starts_numbered(text: &str) -> bool {
    let t = fold_width(text.trim_start());
    let t = t.trim_start_matches(['(', '（']);
    let rest =
        t.trim_start_matches(|c: char| c.is_ascii_digit() || "一二三四五六七八九十".contains(c));
    rest.len() < t.len() && rest.starts_with(['.', '、', ')', '）', '．'])
}

/// Finds the tables among a page's lines (top to bottom).
pub fn find_tables(
    lines: &[AlignedLine],
    scale: Scale,
    origin: TableOrigin,
    page: Option<u32>,
) -> PageTables {
    let mut out = PageTables {
        used: vec![false; lines.len()],
        ..PageTables::default()
    };
    if lines.len() > MAX_LINES {
        return out;
    }
    let mut kinds: Vec<Kind> = lines.iter().map(kind_of).collect();
    // A long label piece between two rows (a merged label beside a wrapped one, joined
    // by a single space) is no running text.
    for k in 1..lines.len().saturating_sub(1) {
        let near = |a: usize, b: usize, most: f32| lines[b].y - lines[a].y <= most * scale.pitch;
        if kinds[k] == Kind::Text
            && crate::report::section_index(&line_text(&lines[k])).is_none()
            && matches!(kinds[k - 1], Kind::Value(_))
            && near(k - 1, k, 1.5)
            && (k + 1..lines.len().min(k + 3))
                .any(|n| matches!(kinds[n], Kind::Value(_)) && near(k, n, 2.5))
        {
            kinds[k] = Kind::Short;
        }
    }
    let mut i = 0;
    while i < lines.len() {
        // A run of lines that are not running text, without a wide vertical gap.
        if kinds[i] == Kind::Text {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        while end < lines.len()
            && kinds[end] != Kind::Text
            && lines[end].y - lines[end - 1].y <= 3.5 * scale.pitch
        {
            end += 1;
        }
        i = end;
        let values: Vec<usize> = (start..end)
            .filter(|&k| matches!(kinds[k], Kind::Value(_)))
            .collect();
        let (Some(&first_v), Some(&last_v)) = (values.first(), values.last()) else {
            continue;
        };
        let wide = values
            .iter()
            .any(|&k| matches!(kinds[k], Kind::Value(n) if n >= 2));
        if !wide && values.len() < 2 {
            continue;
        }
        let head = first_v.saturating_sub(MAX_HEADER_LINES).max(start);
        region(
            lines, &kinds, head, first_v, last_v, end, scale, origin, page, &mut out,
        );
    }
    out
}

/// The left edge of the values of a run: the label zone lies left of it.
fn value_left(lines: &[AlignedLine], kinds: &[Kind], from: usize, to: usize) -> f32 {
    (from..to)
        .filter_map(|k| match kinds[k] {
            Kind::Value(n) => lines[k].tokens.get(lines[k].tokens.len() - n).map(|t| t.x0),
            _ => None,
        })
        .fold(f32::MAX, f32::min)
}

/// Whether a line without values is a piece of a label: all of it starts left of the
/// values (a long label may run on over them in text laid out by a converter; a header
/// has text that starts over them).
fn is_label_piece(line: &AlignedLine, left: f32, scale: Scale) -> bool {
    line.tokens.iter().all(|t| t.x0 < left - 0.5 * scale.em)
}

/// One run of table lines: headers from `head`, rows from `first_v` to `last_v`, label
/// pieces after the last row up to `end`.
#[allow(clippy::too_many_arguments)]
fn region(
    lines: &[AlignedLine],
    kinds: &[Kind],
    head: usize,
    first_v: usize,
    last_v: usize,
    end: usize,
    scale: Scale,
    origin: TableOrigin,
    page: Option<u32>,
    out: &mut PageTables,
) {
    let left = value_left(lines, kinds, first_v, last_v + 1);
    // Label pieces right below the last row belong to it; more lines do not.
    let mut stop = last_v + 1;
    while stop < end
        && kinds[stop] == Kind::Short
        && is_label_piece(&lines[stop], left, scale)
        && lines[stop].y - lines[stop - 1].y <= 1.6 * scale.pitch
        && stop - last_v <= 2
    {
        stop += 1;
    }
    // Above the first row: label pieces of its label, then the header block.
    let mut top = first_v;
    while top > head
        && kinds[top - 1] == Kind::Short
        && is_label_piece(&lines[top - 1], left, scale)
        && first_v - top < 4
    {
        top -= 1;
    }
    let mut header_top = top;
    while header_top > head
        && kinds[header_top - 1] == Kind::Short
        && !is_label_piece(&lines[header_top - 1], left, scale)
    {
        header_top -= 1;
    }
    // Each line's role: header (true) or label piece / value line (false).
    let mut sections: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    let mut headers: Vec<usize> = (header_top..top).collect();
    let mut body: Vec<usize> = Vec::new();
    for k in top..stop {
        let header = kinds[k] == Kind::Short && !is_label_piece(&lines[k], left, scale);
        if header {
            if body.iter().any(|&b| matches!(kinds[b], Kind::Value(_))) {
                sections.push((std::mem::take(&mut headers), std::mem::take(&mut body)));
            }
            headers.push(k);
        } else {
            body.push(k);
        }
    }
    if body.iter().any(|&b| matches!(kinds[b], Kind::Value(_))) {
        sections.push((headers, body));
    }
    for (headers, body) in sections {
        let first_line = headers.first().or(body.first()).copied().unwrap_or(top);
        if let Some(table) = section_table(lines, kinds, &headers, &body, scale, origin, page, out)
        {
            out.tables.push(FoundTable { table, first_line });
        }
        for &k in headers.iter().chain(&body) {
            out.used[k] = true;
        }
    }
}

/// The value columns of a section: the centres of the values of its fullest rows.
fn columns(lines: &[AlignedLine], kinds: &[Kind], body: &[usize]) -> Vec<f32> {
    let k = body
        .iter()
        .filter_map(|&b| match kinds[b] {
            Kind::Value(n) => Some(n),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let mut sums = vec![0.0f32; k];
    let mut n = 0.0f32;
    for &b in body {
        if kinds[b] != Kind::Value(k) {
            continue;
        }
        let toks = &lines[b].tokens[lines[b].tokens.len() - k..];
        for (s, t) in sums.iter_mut().zip(toks) {
            *s += (t.x0 + t.x1) / 2.0;
        }
        n += 1.0;
    }
    sums.iter().map(|s| s / n.max(1.0)).collect()
}

/// Places a short row's values under the columns they stand under; `None` when one
/// stands under none, or two under the same.
fn place(values: &[Token], cols: &[f32], scale: Scale) -> Option<Vec<Option<usize>>> {
    let spacing = cols
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f32::MAX, f32::min);
    let reach = if spacing == f32::MAX {
        3.0 * scale.em
    } else {
        (0.4 * spacing).min(4.0 * scale.em)
    };
    let mut at: Vec<Option<usize>> = vec![None; cols.len()];
    let mut last: Option<usize> = None;
    for (v, t) in values.iter().enumerate() {
        let c = (t.x0 + t.x1) / 2.0;
        let mut by_distance: Vec<(usize, f32)> = cols
            .iter()
            .enumerate()
            .map(|(i, x)| (i, (x - c).abs()))
            .collect();
        by_distance.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, d) = *by_distance.first()?;
        // Right-aligned numbers of other widths stand off the centre by their width.
        let slack = (t.x1 - t.x0) / 2.0;
        let clear = by_distance.get(1).is_none_or(|&(_, d2)| d < 0.6 * d2);
        if d > reach + slack || !clear || last.is_some_and(|l| l >= best) {
            return None;
        }
        at[best] = Some(v);
        last = Some(best);
    }
    Some(at)
}

fn cell_of(tok: &Token, line: &AlignedLine, page: Option<u32>, boxed: bool) -> Cell {
    let mut cell = Cell::new(tok.text.trim());
    cell.page = page;
    if boxed {
        cell.bbox = Some([tok.x0, line.y, tok.x1 - tok.x0, line.h]);
    }
    cell
}

/// Joins label pieces: no space between CJK text, one between Latin words.
fn join_label(parts: &[&str]) -> String {
    let mut s = String::new();
    for p in parts {
        crate::formats::pdf::layout::join_text(&mut s, p.trim());
    }
    s
}

/// A label piece: where it stands and its text.
#[derive(Debug, Clone)]
struct Piece {
    y: f32,
    x0: f32,
    x1: f32,
    text: String,
}

impl Piece {
    fn of(line: &AlignedLine, t: &Token) -> Piece {
        Piece {
            y: line.y,
            x0: t.x0,
            x1: t.x1,
            text: t.text.trim().to_string(),
        }
    }
}

/// A header line's cells: each text spans the columns up to the next one, so that no
/// empty cell after it reads as a blank value.
fn header_row(texts: Vec<String>) -> Vec<Cell> {
    let width = texts.len();
    let at: Vec<usize> = (0..width).filter(|&c| !texts[c].is_empty()).collect();
    let mut row = Vec::new();
    let first = at.first().copied().unwrap_or(width);
    if first > 0 {
        let mut lead = Cell::new("");
        lead.col_span = first as u32;
        row.push(lead);
    }
    for (i, &c) in at.iter().enumerate() {
        let next = at.get(i + 1).copied().unwrap_or(width);
        let mut cell = Cell::new(texts[c].clone());
        cell.col_span = (next - c) as u32;
        row.push(cell);
    }
    row
}

/// Cuts label pieces at a space where a numbered label starts (`度办理结 二、部分公开`: a
/// merged label beside the row's own) or between two CJK characters (text inside one
/// cell has no such space: `（五）不予 物` is two cells' text), each part placed by its
/// share of the text.
fn split_numbered(piece: Piece) -> Vec<Piece> {
    let text = &piece.text;
    let n = text.chars().count().max(1) as f32;
    let x_at =
        |byte: usize| piece.x0 + (piece.x1 - piece.x0) * text[..byte].chars().count() as f32 / n;
    let mut starts = vec![0usize];
    for (i, c) in text.char_indices() {
        if c != ' ' || i == 0 {
            continue;
        }
        let (before, after) = (&text[..i], &text[i + 1..]);
        let cjk_both = before.chars().next_back().is_some_and(is_cjk)
            && after.chars().next().is_some_and(is_cjk);
        if cjk_both || starts_numbered(after) {
            starts.push(i + 1);
        }
    }
    let mut out: Vec<Piece> = Vec::new();
    for (k, &st) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let part = text[st..end].trim();
        if !part.is_empty() {
            out.push(Piece {
                y: piece.y,
                x0: x_at(st),
                x1: x_at(end),
                text: part.to_string(),
            });
        }
    }
    out
}

/// Whether a piece starts a row's own label: numbered (1. （三） 四、), with nothing
/// right of it on its line (a numbered piece with text right of it is the merged label
/// of a row group, 五、不予处理, beside the row's own).
fn starts_row_label(p: &Piece, all: &[Piece]) -> bool {
    starts_numbered(&p.text) && !all.iter().any(|q| q.y == p.y && q.x0 > p.x0)
}

/// A row's label from its pieces, top to bottom. Where its own numbered label starts
/// (1. （三） 四、), the pieces wholly left of it are the merged labels of the row groups
/// (三、本年度办理结果) that the layout cut among the rows: left out.
fn compose_label(parts: Vec<Piece>, scale: Scale) -> String {
    let mut parts: Vec<Piece> = parts.into_iter().flat_map(split_numbered).collect();
    let main = parts
        .iter()
        .filter(|p| starts_numbered(&p.text))
        .map(|p| p.x0)
        .fold(f32::MIN, f32::max);
    if main > f32::MIN {
        parts.retain(|p| p.x0 >= main - 0.5 * scale.em || p.x1 > main + 0.5 * scale.em);
    }
    parts.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x0.total_cmp(&b.x0)));
    join_label(&parts.iter().map(|p| p.text.as_str()).collect::<Vec<_>>())
}

/// Gives each label piece of a section (the tokens of its lines without values) to a
/// row. Between two rows, pieces up to the first that starts a row's own label finish
/// the row above and the rest begin the row below; without such a piece they finish
/// the row above when the row below starts its own numbered label, and otherwise go to
/// the nearer row (a label wrapped round its centred values). Pieces above the first
/// row begin it, unless it starts its own numbered label: then they end a row of the
/// page before and are left out.
fn assign_pieces(
    lines: &[AlignedLine],
    kinds: &[Kind],
    body: &[usize],
    value_lines: &[usize],
    scale: Scale,
) -> Vec<Vec<Piece>> {
    let mut pieces: Vec<Vec<Piece>> = vec![Vec::new(); value_lines.len()];
    // The right end of the label text beside a row's values, and the label zone's right
    // edge (the furthest any label text of the section reaches).
    let label_end = |v: usize| -> Option<f32> {
        let n = match kinds[v] {
            Kind::Value(n) => n,
            _ => 0,
        };
        let toks = &lines[v].tokens;
        toks[..toks.len() - n].iter().map(|t| t.x1).reduce(f32::max)
    };
    let right = body
        .iter()
        .filter_map(|&b| label_end(b))
        .fold(f32::MIN, f32::max);
    let own_numbered = |v: usize| -> bool {
        let Kind::Value(n) = kinds[v] else {
            return false;
        };
        let toks = &lines[v].tokens;
        let own: Vec<Piece> = toks[..toks.len() - n]
            .iter()
            .flat_map(|t| split_numbered(Piece::of(&lines[v], t)))
            .collect();
        own.iter().any(|p| starts_row_label(p, &own))
    };
    // Gaps: before the first row (index 0), between rows r-1 and r (index r), after the
    // last row (index len).
    let mut gaps: Vec<Vec<Piece>> = vec![Vec::new(); value_lines.len() + 1];
    for &b in body {
        if matches!(kinds[b], Kind::Value(_)) {
            continue;
        }
        let gap = value_lines.iter().take_while(|&&v| v < b).count();
        gaps[gap].extend(
            lines[b]
                .tokens
                .iter()
                .flat_map(|t| split_numbered(Piece::of(&lines[b], t))),
        );
    }
    let last_gap = value_lines.len();
    for (g, toks) in gaps.into_iter().enumerate() {
        let starts = toks.iter().position(|p| starts_row_label(p, &toks));
        if g == 0 {
            let keep = match starts {
                Some(k) => k,
                None if value_lines.first().is_some_and(|&v| own_numbered(v)) => toks.len(),
                None => 0,
            };
            if let Some(first) = pieces.first_mut() {
                first.extend(toks.into_iter().skip(keep));
            }
            continue;
        }
        if g == last_gap {
            if let Some(last) = pieces.last_mut() {
                last.extend(toks);
            }
            continue;
        }
        let (p, n) = (g - 1, g);
        let split = match starts {
            Some(k) => k,
            None if own_numbered(value_lines[n]) => toks.len(),
            None => {
                let yp = lines[value_lines[p]].y;
                let yn = lines[value_lines[n]].y;
                let nearer = toks
                    .iter()
                    .position(|q| yn - q.y < q.y - yp)
                    .unwrap_or(toks.len());
                wrap::split_pieces(
                    &toks,
                    nearer,
                    [label_end(value_lines[p]), label_end(value_lines[n])],
                    right,
                    scale.em,
                )
            }
        };
        let mut toks = toks;
        let below = toks.split_off(split);
        pieces[p].extend(toks);
        pieces[n].extend(below);
    }
    pieces
}

/// A value line of a section, on its way to a row.
struct BodyRow {
    line: usize,
    label: String,
    has_label: bool,
    /// For each column, which of the line's values stands under it; `None` when its
    /// values stand under no column unambiguously.
    at: Option<Vec<Option<usize>>>,
    /// A column's number as wrapped over lines by a narrow cell, pieces by line.
    glued: Vec<Vec<(f32, String)>>,
}

/// A number too wide for its cell wraps: a converter prints its digits on lines above
/// and below the row (`３０` / row with that column empty / `６`). Lines holding only
/// such digits, next to a row whose cell under them is empty, are joined into that
/// cell, top to bottom; the lines themselves are no rows.
fn glue_wrapped_numbers(lines: &[AlignedLine], rows: &mut Vec<BodyRow>, scale: Scale) {
    let mut gone = vec![false; rows.len()];
    for i in 0..rows.len() {
        let Some(at) = rows[i].at.clone() else {
            continue;
        };
        if rows[i].has_label || at.iter().all(|a| a.is_some()) {
            continue;
        }
        let y = lines[rows[i].line].y;
        // The row it belongs to: the nearest one, a line away, with those cells empty.
        let target = [i.checked_sub(1), Some(i + 1)]
            .into_iter()
            .flatten()
            .filter(|&j| j < rows.len() && !gone[j] && (rows[j].has_label || j != i))
            .filter(|&j| (lines[rows[j].line].y - y).abs() <= 1.2 * scale.pitch)
            .filter(|&j| {
                rows[j].has_label
                    && rows[j].at.as_ref().is_some_and(|ta| {
                        at.iter()
                            .zip(ta)
                            .all(|(mine, theirs)| mine.is_none() || theirs.is_none())
                    })
            })
            .min_by(|&a, &b| {
                let da = (lines[rows[a].line].y - y).abs();
                let db = (lines[rows[b].line].y - y).abs();
                da.total_cmp(&db)
            });
        let Some(j) = target else { continue };
        let line = &lines[rows[i].line];
        let first = line.tokens.len() - at.iter().flatten().count();
        let target_line = &lines[rows[j].line];
        for (c, a) in at.iter().enumerate() {
            let Some(k) = a else { continue };
            let glued = &mut rows[j].glued[c];
            if glued.is_empty() {
                glued.push((target_line.y, String::new()));
            }
            glued.push((y, line.tokens[first + k].text.trim().to_string()));
            glued.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        gone[i] = true;
    }
    let mut k = 0;
    rows.retain(|_| {
        k += 1;
        !gone[k - 1]
    });
}

#[allow(clippy::too_many_arguments)]
fn section_table(
    lines: &[AlignedLine],
    kinds: &[Kind],
    headers: &[usize],
    body: &[usize],
    scale: Scale,
    origin: TableOrigin,
    page: Option<u32>,
    out: &mut PageTables,
) -> Option<Table> {
    let cols = columns(lines, kinds, body);
    if cols.is_empty() {
        return None;
    }
    let boxed = origin == TableOrigin::PdfText;
    let width = cols.len() + 1;
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    // Header lines: each token over the column nearest its centre, label-zone text first.
    let left = cols[0] - scale.em * 2.0;
    for &h in headers {
        let mut texts: Vec<String> = vec![String::new(); width];
        for t in &lines[h].tokens {
            let c = (t.x0 + t.x1) / 2.0;
            let col = if t.x1 <= left {
                0
            } else {
                1 + cols
                    .iter()
                    .enumerate()
                    .min_by(|a, b| (a.1 - c).abs().total_cmp(&(b.1 - c).abs()))
                    .map(|(i, _)| i)
                    .unwrap_or(0)
            };
            crate::formats::pdf::layout::join_text(&mut texts[col], t.text.trim());
        }
        rows.push(header_row(texts));
    }
    // Rows: value lines with their label pieces.
    let value_lines: Vec<usize> = body
        .iter()
        .copied()
        .filter(|&b| matches!(kinds[b], Kind::Value(_)))
        .collect();
    let pieces = assign_pieces(lines, kinds, body, &value_lines, scale);
    // Each row's label and the column of each of its values.
    let mut body_rows: Vec<BodyRow> = Vec::new();
    for (r, &v) in value_lines.iter().enumerate() {
        let line = &lines[v];
        let Kind::Value(n) = kinds[v] else { continue };
        let split = line.tokens.len() - n;
        let (label_toks, vals) = line.tokens.split_at(split);
        let mut parts: Vec<Piece> = pieces[r].clone();
        parts.extend(label_toks.iter().map(|t| Piece::of(line, t)));
        let at = if n == cols.len() {
            Some((0..n).map(Some).collect())
        } else {
            place(vals, &cols, scale)
        };
        body_rows.push(BodyRow {
            line: v,
            label: compose_label(parts, scale),
            has_label: !label_toks.is_empty() || !pieces[r].is_empty(),
            at,
            glued: vec![Vec::new(); cols.len()],
        });
    }
    glue_wrapped_numbers(lines, &mut body_rows, scale);
    for br in body_rows {
        let line = &lines[br.line];
        let Kind::Value(n) = kinds[br.line] else {
            continue;
        };
        let vals = &line.tokens[line.tokens.len() - n..];
        let mut row = vec![Cell::new(br.label)];
        row[0].page = page;
        match br.at {
            Some(at) => {
                for (c, a) in at.into_iter().enumerate() {
                    let mut cell = match a {
                        Some(k) => cell_of(&vals[k], line, page, boxed),
                        None => Cell::new(""),
                    };
                    if let Some(g) = br.glued.get(c).filter(|g| !g.is_empty()) {
                        // Pieces above and below the row's line: the number is whole.
                        let y = line.y;
                        if g.iter().any(|p| p.0 < y) && g.iter().any(|p| p.0 > y) {
                            cell.text = g.iter().map(|p| p.1.as_str()).collect();
                        } else {
                            cell.text = UNREAD.to_string();
                            out.problems.push(format!(
                                "a number of a table without rulings{} wraps over lines \
                                 and may be cut ({}); it was left out",
                                page.map(|p| format!(" on page {p}")).unwrap_or_default(),
                                g.iter().map(|p| p.1.as_str()).collect::<String>()
                            ));
                        }
                    }
                    row.push(cell);
                }
            }
            None => {
                out.problems.push(format!(
                    "a row of a table without rulings{} has values that stand under no \
                     column ({}); they were left out",
                    page.map(|p| format!(" on page {p}")).unwrap_or_default(),
                    vals.iter()
                        .map(|t| t.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
                row.extend((0..cols.len()).map(|_| Cell::new(UNREAD.to_string())));
            }
        }
        rows.push(row);
    }
    Some(Table::from_spanned_rows(rows, origin, page))
}

#[path = "aligned_wrap.rs"]
mod wrap;

#[cfg(test)]
#[path = "aligned_tests.rs"]
mod tests;
