//! Finds the three statistics tables in a document and maps their number cells to keys.
//!
//! The matcher works on rows, not on fixed grid positions, because real reports wrap,
//! split, shift and re-word their tables: a row is identified by the words of its label,
//! its numbers are the value cells after the label, and a table split over several grids
//! (a page break, a paste in two parts, repeated header rows) is read as one sequence of
//! rows. Column positions from header rows are used only where a row's count of value
//! cells is ambiguous.

use super::value::{parse_value, ValueToken};
use super::{last_numbering, ColumnSpec, RowSpec, TableSpec, Template, Templates};
use crate::document::{Block, Document, Table, TableOrigin, UNREAD};
use crate::record::Number;
use crate::text::{fold_width, han_count, norm_label};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Active,
    Requests,
    Appeals,
}

impl TableKind {
    pub const ALL: [TableKind; 3] = [TableKind::Active, TableKind::Requests, TableKind::Appeals];

    pub fn name(self) -> &'static str {
        match self {
            TableKind::Active => "active",
            TableKind::Requests => "requests",
            TableKind::Appeals => "appeals",
        }
    }
}

/// Where a value's cell is, and how it was read.
#[derive(Debug, Clone)]
pub struct CellRef {
    pub raw: String,
    /// Index of the table among the document's tables.
    pub table: usize,
    pub row: usize,
    pub col: usize,
    pub origin: &'static str,
    pub confidence: Option<f32>,
    pub page: Option<u32>,
    pub bbox: Option<[f32; 4]>,
    /// Other numbers recognition read in the cell (its doubtful readings).
    pub alternatives: Vec<Number>,
}

/// One value found for a key, with where it came from.
#[derive(Debug, Clone)]
pub struct MatchedValue {
    pub key: String,
    pub value: Number,
    pub at: CellRef,
}

/// A cell placed on a key whose reading recognition refused (unconfirmed), with the
/// numbers it saw there: candidates for the report's arithmetic to choose between.
#[derive(Debug, Clone)]
pub struct UnreadValue {
    pub key: String,
    pub at: CellRef,
}

#[derive(Debug, Clone, Default)]
pub struct MatchResult {
    /// Id of the template detected from the tables (or the year when tables say nothing).
    pub template: Option<String>,
    pub values: Vec<MatchedValue>,
    /// Which of the three tables were found.
    pub found: Vec<TableKind>,
    /// Problems worth telling the user: unreadable rows, missing keys.
    pub errors: Vec<String>,
    /// Cells placed on a key but not read, with the numbers OCR saw there (if any).
    pub unread: Vec<UnreadValue>,
    /// Keys of the tables found that got no value.
    pub missing: usize,
}

/// A value cell: grid column, what it reads as, its raw text.
type ValueCell = (usize, ValueToken, String);
/// Value cells found in a row: table index, row index, the cells.
type LocatedRow = (usize, usize, Vec<ValueCell>);
/// Value cells paired with the columns they belong to.
type Mapped<C> = Vec<(C, ValueCell)>;

/// A row as the matcher sees it.
struct RowView {
    /// Label text of the cells that start in this row (normalised).
    own_label: String,
    /// Label text including labels merged down from rows above (normalised).
    full_label: String,
    /// Value cells after the label: (grid column, token, raw text).
    values: Vec<ValueCell>,
    /// The labels were read by OCR: words may match with a few wrong characters.
    fuzzy: bool,
    /// Its label cells hold ink that recognition chose not to read ([`UNREAD`]): the row
    /// is placed by its position among rows whose labels were read.
    unread: bool,
    /// Its last label cell spans other rows too: a ruling between two rows' labels was
    /// not found, and the merged text names both rows, or neither clearly.
    shared_label: bool,
    /// A label cell that its full label takes in spans other rows with values too (the
    /// ruling between two rows' labels was lost left of their own label cells): its
    /// words may name any of those rows, so they do not name this one.
    full_label_shared: bool,
}

impl RowView {
    fn has_printed_number(&self) -> bool {
        self.values
            .iter()
            .any(|(_, t, raw)| matches!(t, ValueToken::Number(_)) && !raw.trim().is_empty())
    }

    /// With more value cells than `cols`, the table's value columns: drops those in
    /// other columns when they hold no number (ink of a label recognition could not
    /// read, a blank left of the values), so a row is not lost for them.
    fn keep_value_columns(&mut self, cols: &[usize]) {
        if self.values.len() <= cols.len()
            || !cols.iter().all(|c| self.values.iter().any(|v| v.0 == *c))
        {
            return;
        }
        let extra_hold_numbers = self.values.iter().any(|(c, t, raw)| {
            let no_number = matches!(t, ValueToken::Unreadable) || raw.is_empty();
            !cols.contains(c) && !no_number
        });
        if !extra_hold_numbers {
            self.values.retain(|v| cols.contains(&v.0));
        }
    }

    /// The first of the table's value columns `cols` when this row's label cells reach
    /// into them while it prints values in the others: a misread number there (a blurred
    /// "2" read as 人加) made a label of it, and the row has a value cell too few.
    fn label_reaching_into(&self, cols: &[usize]) -> Option<usize> {
        let first = *cols.iter().min()?;
        let label_end = self.values.first().map_or(usize::MAX, |v| v.0);
        let prints = self.values.iter().any(|(c, t, raw)| {
            cols.contains(c) && (prints_value(t, raw) || matches!(t, ValueToken::Unreadable))
        });
        (self.fuzzy && prints && label_end > first).then_some(first)
    }

    /// Of an OCR'd label cell spanning rows that each have values, which words name
    /// which row is not known: such a row is placed by its position.
    fn label_names_no_single_row(&self) -> bool {
        self.fuzzy && self.shared_label && self.has_printed_value()
    }

    /// An OCR'd label of a row of values that names no row of the template is misread,
    /// not absent: the row is placed by its position like an unread one (the printed
    /// order is fixed; labels only confirm it). A labelled row of blank cells is such a
    /// row too in a table that prints its zeros as blanks (`blank_zeros`); elsewhere a
    /// blank row is a row cut in two.
    fn misread_label(&self, blank_zeros: bool) -> bool {
        let blank_row = blank_zeros && !self.own_label.is_empty() && !self.values.is_empty();
        self.fuzzy && (self.has_printed_value() || blank_row)
    }

    /// Most of its OCR'd value cells hold ink recognition could not read: below a row
    /// of values, a row too blurred to read, which still holds its place in the printed
    /// order (the rows around it would not line up without it). Above the first row of
    /// values it may be the header, its words blurred or under a seal.
    fn unread_values(&self) -> bool {
        if !self.fuzzy {
            return false;
        }
        let unread = self
            .values
            .iter()
            .filter(|(_, t, _)| matches!(t, ValueToken::Unreadable))
            .count();
        unread > 0 && unread * 2 >= self.values.len()
    }

    /// Whether its cells are values: a number or zero sign, a cell that could not be
    /// read, or blanks in a table that prints its zeros as blanks (`blank_zeros`).
    fn holds_values(&self, blank_zeros: bool) -> bool {
        self.has_printed_value()
            || self
                .values
                .iter()
                .any(|(_, t, _)| matches!(t, ValueToken::Unreadable))
            || (blank_zeros && !self.values.is_empty())
    }

    /// A number or a printed zero sign ("-", "—"): a row of values, even all zero.
    fn has_printed_value(&self) -> bool {
        self.values.iter().any(|(_, t, raw)| prints_value(t, raw))
    }
}

/// A number or a printed zero sign, not a blank.
fn prints_value(token: &ValueToken, raw: &str) -> bool {
    matches!(token, ValueToken::Number(_) | ValueToken::Zero) && !raw.trim().is_empty()
}

fn is_label(text: &str) -> bool {
    parse_value(text).is_none()
}

fn analyze_row(table: &Table, r: usize) -> RowView {
    analyze_row_within(table, r, None)
}

/// [`analyze_row`], with the columns from `values_from` on known to hold values: text
/// read there is a value OCR could not read, not a label.
fn analyze_row_within(table: &Table, r: usize, values_from: Option<usize>) -> RowView {
    let row = &table.rows[r];
    let label_cols = values_from.unwrap_or(row.len()).min(row.len());
    let mut last_label: Option<usize> = None;
    for c in 0..label_cols {
        if is_label(table.shown_text(r, c)) {
            last_label = Some(c);
        }
    }
    let fuzzy = table.origin == TableOrigin::Ocr;
    let mut own = String::new();
    let mut full = String::new();
    let mut full_label_shared = false;
    let mut last_anchor: Option<(usize, usize)> = None;
    let label_end = last_label.map(|l| l + 1).unwrap_or(0);
    for (c, cell) in row.iter().enumerate().take(label_end) {
        let anchor = cell.continuation_of.unwrap_or((r, c));
        if last_anchor == Some(anchor) {
            continue; // the same merged cell spanning columns
        }
        last_anchor = Some(anchor);
        let text = table.shown_text(r, c);
        if !is_label(text) {
            continue;
        }
        let n = norm_label(text);
        full.push_str(&n);
        // An OCR'd cell spanning other rows of values names no one of them (a ruling
        // between two rows' labels was lost): its words are not this row's own.
        let shared = fuzzy && spans_other_value_rows(table, r, anchor);
        full_label_shared |= shared;
        if !cell.is_continuation() && !shared {
            own.push_str(&n);
        }
    }
    let mut values = Vec::new();
    for (c, cell) in row.iter().enumerate().skip(label_end) {
        if cell.is_continuation() {
            continue;
        }
        match parse_value(&cell.text) {
            Some(tok) => values.push((c, tok, cell.text.trim().to_string())),
            None if c >= label_cols => {
                values.push((c, ValueToken::Unreadable, cell.text.trim().to_string()))
            }
            None => {}
        }
    }
    // Its own label cells unread; a merged group label above may have been read.
    let unread = !own.is_empty() && own.chars().all(|c| c == UNREAD);
    let shared_label = last_label.is_some_and(|l| {
        let anchor = row[l].continuation_of.unwrap_or((r, l));
        anchor.0 != r || table.rows[anchor.0][anchor.1].row_span > 1
    });
    RowView {
        own_label: own,
        full_label: full,
        values,
        fuzzy,
        unread,
        shared_label,
        full_label_shared,
    }
}

/// True when the cell anchored at `anchor` spans rows other than `r` that print values.
fn spans_other_value_rows(table: &Table, r: usize, anchor: (usize, usize)) -> bool {
    let span = table.rows[anchor.0][anchor.1].row_span as usize;
    (anchor.0..anchor.0 + span.max(1)).any(|rr| rr != r && row_prints_value(table, rr))
}

/// True when row `r` holds a printed number or zero sign in a cell of its own.
fn row_prints_value(table: &Table, r: usize) -> bool {
    table.rows.get(r).is_some_and(|row| {
        row.iter().any(|cell| {
            !cell.is_continuation()
                && parse_value(&cell.text).is_some_and(|t| prints_value(&t, &cell.text))
        })
    })
}

/// How well `word` (normalised at load) occurs in `text`: its length in characters when
/// it occurs as it is. With `fuzzy` (text read by OCR), a stretch of `text` a few edits
/// away from a word of four or more characters also counts, two less per edit, so an
/// exact word of the same length still wins.
fn word_score(word: &str, text: &str, fuzzy: bool) -> Option<usize> {
    let n = word.chars().count();
    if text.contains(word) {
        return Some(n);
    }
    let allowed = match n {
        0..=3 => 0,
        4..=6 => 1,
        7..=11 => 2,
        _ => 3,
    };
    if !fuzzy || allowed == 0 {
        return None;
    }
    let w: Vec<char> = word.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let edits = substring_edits(&w, &t);
    (edits <= allowed).then(|| n.saturating_sub(2 * edits).max(1))
}

/// The fewest edits (insert, delete, replace) that turn some stretch of `text` into
/// `word` (Sellers' approximate substring matching).
fn substring_edits(word: &[char], text: &[char]) -> usize {
    // prev[j]: edits to match the first i characters of `word` ending at text[..j].
    let mut prev = vec![0usize; text.len() + 1];
    let mut cur = vec![0usize; text.len() + 1];
    for (i, wc) in word.iter().enumerate() {
        cur[0] = i + 1;
        for (j, tc) in text.iter().enumerate() {
            let replace = prev[j] + usize::from(wc != tc);
            cur[j + 1] = replace.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.into_iter().min().unwrap_or(word.len())
}

/// Score of the best of `words` found in `label` (see [`word_score`]).
fn best_word_len(words: &[String], label: &str, fuzzy: bool) -> Option<usize> {
    words
        .iter()
        .filter_map(|w| word_score(w, label, fuzzy))
        .max()
}

fn count_words(words: &[String], text: &str, fuzzy: bool) -> usize {
    words
        .iter()
        .filter(|w| word_score(w, text, fuzzy).is_some())
        .count()
}

/// Trims blank cells at the edges until `want` remain, if that is possible.
fn fit_values(mut vals: Vec<ValueCell>, want: usize) -> Option<Vec<ValueCell>> {
    while vals.len() > want && vals.last().is_some_and(|v| v.2.is_empty()) {
        vals.pop();
    }
    while vals.len() > want && vals.first().is_some_and(|v| v.2.is_empty()) {
        vals.remove(0);
    }
    (vals.len() == want).then_some(vals)
}

/// Maps value cells to columns using header positions: each value's grid column is looked
/// up in the header texts above it.
fn map_by_header<'a>(
    vals: &[ValueCell],
    cols: &'a [ColumnSpec],
    header: &[(usize, String)],
) -> Option<Mapped<&'a ColumnSpec>> {
    if header.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    let mut used = vec![false; cols.len()];
    for v in vals {
        let Some((_, htext)) = header.iter().find(|(c, _)| *c == v.0) else {
            if v.2.is_empty() {
                continue;
            }
            return None;
        };
        // Prefer exact header equality (其他 vs 法人或其他组织), then containment.
        let pick = cols
            .iter()
            .enumerate()
            .find(|(i, col)| !used[*i] && col.words.iter().any(|w| w == htext))
            .or_else(|| {
                cols.iter().enumerate().find(|(i, col)| {
                    !used[*i] && col.words.iter().any(|w| htext.contains(w.as_str()))
                })
            });
        match pick {
            Some((i, col)) => {
                used[i] = true;
                out.push((col, v.clone()));
            }
            None if v.2.is_empty() => {}
            None => return None,
        }
    }
    used.iter().all(|u| *u).then_some(out)
}

/// A run of rows of one grid that holds (part of) one statistics table. A grid usually is
/// one segment; a grid holding several tables (one big table with full-width section
/// rows such as 三、收到和处理政府信息公开申请情况) is cut at those rows.
#[derive(Debug, Clone)]
struct Segment {
    table: usize,
    rows: std::ops::Range<usize>,
    kind: Option<TableKind>,
}

fn text_of_rows(table: &Table, rows: std::ops::Range<usize>) -> String {
    let mut s = String::new();
    for row in &table.rows[rows] {
        for cell in row {
            if !cell.is_continuation() && !cell.text.is_empty() {
                s.push_str(&norm_label(&cell.text));
            }
        }
    }
    s
}

/// Which table some rows are, by their words; `None` when none of the three.
fn classify(text: &str, fuzzy: bool, t: &Template) -> Option<(TableKind, usize)> {
    TableKind::ALL
        .iter()
        .map(|k| (*k, count_words(&t.table(*k).detect, text, fuzzy)))
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n >= 2)
}

/// For a piece of an OCR'd table whose labels recognition left unread, or read so
/// badly that no table's words are in them (`words_failed`): the one table whose rows,
/// in printed order, have the piece's counts of value cells (a 7-value run is table 三,
/// 3-3-1-1-1-1 table 二, one row of 15 table 四). `None` for a piece with its labels
/// read, or whose shape more than one table has.
fn kind_by_shape(
    table: &Table,
    rows: &std::ops::Range<usize>,
    t: &Template,
    words_failed: bool,
) -> Option<TableKind> {
    // Never a born-digital table: its labels are what is printed.
    if table.origin != TableOrigin::Ocr
        || !(words_failed || text_of_rows(table, rows.clone()).contains(UNREAD))
    {
        return None;
    }
    let views: Vec<RowView> = rows
        .clone()
        .map(|r| analyze_row(table, r))
        .filter(|v| v.has_printed_value())
        .collect();
    let counts: Vec<usize> = views.iter().map(|v| v.values.len()).collect();
    if counts.is_empty() {
        return None;
    }
    let layout = |k: TableKind| -> Vec<usize> {
        let spec = t.table(k);
        match k {
            TableKind::Active => spec.rows.iter().map(|r| r.cols.len()).collect(),
            TableKind::Requests => vec![spec.cols.len(); spec.rows.len()],
            TableKind::Appeals => vec![spec.cols.len() * spec.rows.len()],
        }
    };
    // Rows in step with a table's printed order, at the best offset: one misread row
    // (a "0." taken for a label) does not hide a table's shape.
    let in_step = |k: TableKind| -> usize {
        layout(k)
            .windows(counts.len())
            .map(|w| w.iter().zip(&counts).filter(|(a, b)| a == b).count())
            .max()
            .unwrap_or(0)
    };
    let mut scores: Vec<(usize, TableKind)> = TableKind::ALL
        .into_iter()
        .map(|k| (in_step(k), k))
        .collect();
    scores.sort_by_key(|s| std::cmp::Reverse(s.0));
    let (best, kind) = scores[0];
    let runner_up = scores.get(1).map_or(0, |s| s.0);
    let all_fit = best == counts.len();
    let mostly = counts.len() >= 4 && best * 4 >= counts.len() * 3;
    ((all_fit || mostly) && best > runner_up).then_some(kind)
}

/// The table a row introduces when it is a section heading inside a grid: one cell of
/// text (usually spanning the grid) naming a section, and no numbers.
fn heading_row_kind(table: &Table, r: usize, t: &Template) -> Option<TableKind> {
    let mut anchors = table.rows[r]
        .iter()
        .filter(|c| !c.is_continuation() && !c.text.trim().is_empty());
    let only = anchors.next()?;
    if anchors.next().is_some() || parse_value(&only.text).is_some() {
        return None;
    }
    let text = norm_label(&only.text);
    if text.chars().count() > 40 {
        return None;
    }
    TableKind::ALL.into_iter().find(|k| {
        t.table(*k)
            .heading
            .iter()
            .any(|h| text.contains(h.as_str()))
    })
}

/// The table a header row starts (its own words, no numbers), if any.
fn start_row_kind(table: &Table, r: usize, t: &Template) -> Option<TableKind> {
    let view = analyze_row(table, r);
    if view.has_printed_number() || view.own_label.is_empty() {
        return None;
    }
    TableKind::ALL.into_iter().find(|k| {
        let spec = t.table(*k);
        spec.start_hits > 0
            && count_words(&spec.header_words, &view.own_label, view.fuzzy) >= spec.start_hits
    })
}

/// Cuts a grid at its section-heading rows, and where the header rows of a different
/// table begin (several tables pasted as one grid).
fn split_segments(ti: usize, table: &Table, t: &Template) -> Vec<(Segment, bool)> {
    let mut out: Vec<(Segment, bool)> = Vec::new();
    let mut start = 0;
    let mut forced: Option<TableKind> = None;
    let mut current: Option<TableKind> = None;
    for r in 0..table.rows.len() {
        let cut = if let Some(k) = heading_row_kind(table, r, t) {
            Some((k, r + 1))
        } else {
            match start_row_kind(table, r, t) {
                Some(k) if current.is_some_and(|c| c != k) => Some((k, r)),
                Some(k) => {
                    current = Some(k);
                    None
                }
                None => None,
            }
        };
        if let Some((k, next_start)) = cut {
            if r > start {
                out.push((
                    Segment {
                        table: ti,
                        rows: start..r,
                        kind: forced,
                    },
                    forced.is_some(),
                ));
            }
            start = next_start;
            forced = Some(k);
            current = Some(k);
        }
    }
    if start < table.rows.len() || out.is_empty() {
        out.push((
            Segment {
                table: ti,
                rows: start..table.rows.len(),
                kind: forced,
            },
            forced.is_some(),
        ));
    }
    out
}

/// For each piece of each table of the document, the statistics table it holds: a
/// heading row inside the grid decides; else its words; else the section heading above
/// it; else it continues the table before (a table split over pages or pastes).
fn classify_tables(doc: &Document, t: &Template) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut heading_kind: Option<TableKind> = None;
    let mut prev_kind: Option<TableKind> = None;
    let mut text_since_table = false;
    let mut idx = 0;
    for block in &doc.blocks {
        match block {
            Block::Table(table) => {
                for (mut seg, forced) in split_segments(idx, table, t) {
                    if !forced {
                        let fuzzy = table.origin == TableOrigin::Ocr;
                        let by_words = classify(&text_of_rows(table, seg.rows.clone()), fuzzy, t);
                        let by_shape = kind_by_shape(table, &seg.rows, t, by_words.is_none());
                        seg.kind = match by_words {
                            _ if by_shape.is_some() => by_shape,
                            Some((k, n)) if n >= 3 => Some(k),
                            Some((k, _)) if heading_kind.is_none() || heading_kind == Some(k) => {
                                Some(k)
                            }
                            _ => {
                                if !text_since_table && prev_kind.is_some() {
                                    prev_kind
                                } else {
                                    heading_kind.or(by_words.map(|(k, _)| k))
                                }
                            }
                        };
                    }
                    prev_kind = seg.kind;
                    text_since_table = false;
                    out.push(seg);
                }
                idx += 1;
            }
            Block::Heading { text, .. } | Block::Paragraph(text) => {
                let n = norm_label(text);
                if n.chars().count() <= 40 {
                    for k in TableKind::ALL {
                        if t.table(k).heading.iter().any(|h| n.contains(h.as_str())) {
                            heading_kind = Some(k);
                        }
                    }
                }
                if n.chars().count() > 3 {
                    text_since_table = true;
                }
            }
            Block::Picture(_) => {}
        }
    }
    out
}

/// Picks the template whose signal words the tables print most; the year decides a tie.
/// `None` when neither decides (a picture of table 三 alone, without a year).
fn detect_template<'a>(
    doc: &Document,
    templates: &'a Templates,
    year: Option<i32>,
) -> Option<&'a Template> {
    // Each table's text once; a word counts once however many tables print it.
    let texts: Vec<(String, bool)> = doc
        .tables()
        .map(|t| (norm_label(&t.all_text()), t.origin == TableOrigin::Ocr))
        .collect();
    let scored: Vec<(&Template, usize)> = templates
        .list
        .iter()
        .map(|t| {
            let found = t.signals.iter().filter(|w| {
                texts
                    .iter()
                    .any(|(text, fuzzy)| word_score(w, text, *fuzzy).is_some())
            });
            (t, found.count())
        })
        .collect();
    let best = scored.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let leaders: Vec<&Template> = scored
        .iter()
        .filter(|(_, n)| *n == best)
        .map(|(t, _)| *t)
        .collect();
    if best > 0 && leaders.len() == 1 {
        return leaders.first().copied();
    }
    if let Some(y) = year {
        if let Some(t) = templates.for_year(y) {
            return Some(t);
        }
    }
    if best > 0 {
        return leaders.first().copied();
    }
    None
}

struct Ctx<'a> {
    tables: Vec<&'a Table>,
    out: MatchResult,
}

impl Ctx<'_> {
    fn push(&mut self, key: String, ti: usize, r: usize, v: &ValueCell) {
        let table = self.tables[ti];
        let cell = &table.rows[r][v.0];
        let at = CellRef {
            raw: v.2.clone(),
            table: ti,
            row: r,
            col: v.0,
            origin: table.origin.as_str(),
            confidence: cell.confidence,
            page: cell.page.or(table.page),
            bbox: cell.bbox,
            alternatives: cell
                .alternatives
                .iter()
                .filter_map(|a| parse_value(a).and_then(|t| t.number()))
                .collect(),
        };
        let Some(value) = v.1.number() else {
            self.out.unread.push(UnreadValue { key, at });
            return;
        };
        self.out.values.push(MatchedValue { key, value, at });
    }
}

impl Ctx<'_> {
    /// Maps a row's value cells to `cols` and records them as `table/row/col`; when the
    /// cells cannot be mapped, records why instead. True when the row was read.
    fn push_row(
        &mut self,
        table: &str,
        row: &RowSpec,
        cols: &[ColumnSpec],
        header: &[(usize, String)],
        view: &RowView,
        (ti, r): (usize, usize),
    ) -> bool {
        match map_row_values(view, cols, header) {
            Some(pairs) => {
                for (col, v) in pairs {
                    self.push(format!("{table}/{}/{}", row.key, col.key), ti, r, &v);
                }
                true
            }
            None => {
                self.out.errors.push(format!(
                    "{table}: row {} ('{}') has {} value cells where {} are expected; its values are left out",
                    row.key,
                    view.own_label,
                    view.values.len(),
                    cols.len()
                ));
                false
            }
        }
    }
}

/// Finds the row of `rows` a label names: strong words first (longest match wins), then
/// a weak word for the next row in printed order. `expected`: the template row this one
/// takes by the printed order of the rows met before it, where that is known.
fn pick_row(
    rows: &[RowSpec],
    assigned: &[bool],
    last: Option<usize>,
    expected: Option<usize>,
    view: &RowView,
) -> Option<usize> {
    // Words of an OCR'd label cell shared with other rows of values name none of them.
    let full = (!(view.fuzzy && view.full_label_shared)).then_some(&view.full_label);
    for label in [Some(&view.own_label), full].into_iter().flatten() {
        if label.is_empty() {
            continue;
        }
        let mut best: Option<(usize, usize)> = None;
        for (j, row) in rows.iter().enumerate() {
            if assigned[j] || row.weak {
                continue;
            }
            let by_label = row
                .label_words
                .as_ref()
                .filter(|_| view.fuzzy)
                .and_then(|w| word_score(w, label, true));
            if let Some(len) = best_word_len(&row.words, label, view.fuzzy).max(by_label) {
                if best.is_none_or(|(_, l)| len > l) {
                    best = Some((j, len));
                }
            }
        }
        if let Some((j, len)) = best {
            // A word of two characters in a long garbled OCR'd label is chance (保护第三方
            // 合法权益 read as …合计…): it names a row only where the printed order allows,
            // not one that skips rows of the template ahead of the row expected.
            let skips_ahead = expected.is_some_and(|e| j > e + 1);
            if len <= 2 && by_chance(view, label, len) && skips_ahead {
                return None;
            }
            return Some(j);
        }
    }
    // A weak row (3.其他) is named by its short word alone; in a long OCR'd label that
    // word is chance: the 其他情形 of (二)部分公开's note.
    let start = last.map(|l| l + 1).unwrap_or(0);
    rows.iter().enumerate().skip(start).find_map(|(j, row)| {
        let len = best_word_len(&row.words, &view.own_label, view.fuzzy)?;
        (row.weak && !assigned[j] && !by_chance(view, &view.own_label, len)).then_some(j)
    })
}

/// True when a word of `len` characters found in an OCR'd `label` may be chance: the
/// label holds more than three other characters that name nothing (garbled text).
fn by_chance(view: &RowView, label: &str, len: usize) -> bool {
    view.fuzzy && han_count(label) > len + 3
}

/// A row with values whose label was not read, kept until the rows around it are placed.
struct UnreadRow {
    at: (usize, usize),
    view: RowView,
    header: Vec<(usize, String)>,
}

/// The rows of a table as they were met: placed by their label, or waiting for their
/// position (label not read).
enum Met {
    Placed(usize),
    Unread(UnreadRow),
}

impl Met {
    /// A row waiting for its position, with the header read above it.
    fn unread(at: (usize, usize), view: RowView, header: &[(usize, String)]) -> Met {
        Met::Unread(UnreadRow {
            at,
            view,
            header: header.to_vec(),
        })
    }
}

/// Places each run of rows whose labels were not read on the template rows between the
/// rows read before and after it, when the run fills that gap exactly (the table's
/// printed order is fixed); otherwise its values are left out and the reason recorded.
fn place_unread(
    ctx: &mut Ctx,
    name: &str,
    rows: &[RowSpec],
    table_cols: &[ColumnSpec],
    met: Vec<Met>,
    assigned: &mut [bool],
) {
    let mut prev: Option<usize> = None;
    let mut run: Vec<UnreadRow> = Vec::new();
    let mut met = met.into_iter().peekable();
    while let Some(m) = met.next() {
        match m {
            Met::Placed(j) => prev = Some(j),
            Met::Unread(u) => run.push(u),
        }
        let run_ends = !matches!(met.peek(), Some(Met::Unread(_)));
        if run.is_empty() || !run_ends {
            continue;
        }
        let next = match met.peek() {
            Some(Met::Placed(j)) => *j,
            _ => rows.len(),
        };
        let first = prev.map_or(0, |p| p + 1);
        let fits =
            next >= first && next - first == run.len() && assigned[first..next].iter().all(|a| !a);
        let start = if fits {
            Some(first)
        } else {
            start_by_numbering(rows, &run, first, next, assigned)
        };
        let Some(first) = start else {
            ctx.out.errors.push(format!(
                "{name}: {} rows whose labels were not read do not line up with the template \
                 between the rows read around them; their values are left out",
                run.len()
            ));
            run.clear();
            continue;
        };
        for (k, u) in run.drain(..).enumerate() {
            let j = first + k;
            let row = &rows[j];
            let cols = if row.cols.is_empty() {
                table_cols
            } else {
                &row.cols
            };
            if ctx.push_row(name, row, cols, &u.header, &u.view, u.at) {
                assigned[j] = true;
                prev = Some(j);
            }
        }
    }
}

/// Where a run of rows whose words were not read starts when it is shorter than the gap
/// between the rows read around it (a row of the gap lost, or cut off by a page break):
/// at the gap's start or at its end, when every row of the run reads the numbering of
/// the template's row it would take ("(七)总六" is (七)总计's) and one place alone fits
/// so. Numbering confirms a place the printed order offers; it never picks one.
fn start_by_numbering(
    rows: &[RowSpec],
    run: &[UnreadRow],
    first: usize,
    next: usize,
    assigned: &[bool],
) -> Option<usize> {
    if run.is_empty() || next < first + run.len() || next > rows.len() {
        return None;
    }
    let numbered_alike = |start: usize| {
        run.iter().enumerate().all(|(k, u)| {
            let row = &rows[start + k];
            !assigned[start + k]
                && row.numbering.is_some()
                && last_numbering(&u.view.own_label) == row.numbering
        })
    };
    let (at_start, at_end) = (first, next - run.len());
    match (numbered_alike(at_start), numbered_alike(at_end)) {
        (true, false) => Some(at_start),
        (false, true) => Some(at_end),
        (true, true) if at_start == at_end => Some(at_start),
        _ => None,
    }
}

/// True when a piece of a table prints no "0": its zeros are blank cells.
fn prints_zeros_as_blanks(table: &Table, rows: &std::ops::Range<usize>) -> bool {
    !table.rows[rows.clone()]
        .iter()
        .flatten()
        .any(|c| fold_width(c.text.trim()) == "0")
}

/// The grid columns most rows of an OCR'd piece hold their `want` values in, when
/// most of its rows with that many values agree on them.
fn common_value_columns(views: &[RowView], want: usize) -> Option<Vec<usize>> {
    let mut seen: Vec<(Vec<usize>, usize)> = Vec::new();
    let mut total = 0;
    for view in views {
        if !view.fuzzy || view.values.len() != want || !view.has_printed_value() {
            continue;
        }
        total += 1;
        let cols: Vec<usize> = view.values.iter().map(|v| v.0).collect();
        match seen.iter_mut().find(|(c, _)| *c == cols) {
            Some((_, n)) => *n += 1,
            None => seen.push((cols, 1)),
        }
    }
    let (cols, n) = seen.into_iter().max_by_key(|(_, n)| *n)?;
    (n >= 3 && n * 2 > total).then_some(cols)
}

fn match_matrix(ctx: &mut Ctx, kind: TableKind, spec: &TableSpec, members: &[Segment]) {
    let name = kind.name();
    let mut assigned = vec![false; spec.rows.len()];
    let mut last: Option<usize> = None;
    let mut header: Vec<(usize, String)> = Vec::new();
    let mut met: Vec<Met> = Vec::new();
    for seg in members {
        let (ti, table) = (seg.table, ctx.tables[seg.table]);
        let views: Vec<RowView> = seg.rows.clone().map(|r| analyze_row(table, r)).collect();
        let value_cols = common_value_columns(&views, spec.cols.len());
        let blank_zeros = prints_zeros_as_blanks(table, &seg.rows);
        let mut values_met = false;
        for (r, mut view) in seg.rows.clone().zip(views) {
            if let Some(cols) = &value_cols {
                if let Some(first) = view.label_reaching_into(cols) {
                    view = analyze_row_within(table, r, Some(first));
                }
                view.keep_value_columns(cols);
            }
            let hdr_hits = count_words(&spec.header_words, &view.own_label, view.fuzzy);
            if hdr_hits > 0 && !view.has_printed_number() {
                collect_header(table, r, &spec.cols, &mut header);
                continue;
            }
            if view.values.is_empty() {
                continue;
            }
            // An unread label beside blanks, in a table that prints its zeros, is the
            // rest of a row cut in two (its label wrapped onto the next page).
            let unread_row = view.unread && view.holds_values(blank_zeros);
            let by_position = unread_row || view.label_names_no_single_row();
            let picked = (!by_position)
                .then(|| {
                    let expected = last.map_or(met.len(), |l| l + 1);
                    pick_row(&spec.rows, &assigned, last, Some(expected), &view)
                })
                .flatten();
            let in_body = values_met;
            values_met |= view.has_printed_value();
            let Some(j) = picked else {
                let unread_values = in_body && view.unread_values();
                if by_position || view.misread_label(blank_zeros) || unread_values {
                    met.push(Met::unread((ti, r), view, &header));
                    continue;
                }
                if view.has_printed_number() && !view.own_label.is_empty() {
                    ctx.out.errors.push(format!(
                        "{name}: a row labelled '{}' matches no row of the template",
                        view.own_label
                    ));
                }
                continue;
            };
            let row = &spec.rows[j];
            // A row its label names holds its place in the printed order even when its
            // values cannot be mapped (a ruling lost splits or joins its cells): the rows
            // whose labels were not read around it are placed by that order.
            ctx.push_row(name, row, &spec.cols, &header, &view, (ti, r));
            assigned[j] = true;
            last = Some(j);
            met.push(Met::Placed(j));
        }
    }
    place_unread(ctx, name, &spec.rows, &spec.cols, met, &mut assigned);
}

fn map_row_values(
    view: &RowView,
    cols: &[ColumnSpec],
    header: &[(usize, String)],
) -> Option<Mapped<ColumnSpec>> {
    if view.values.len() == cols.len() {
        return Some(
            cols.iter()
                .cloned()
                .zip(view.values.iter().cloned())
                .collect(),
        );
    }
    if let Some(pairs) = map_by_header(&view.values, cols, header) {
        return Some(pairs.into_iter().map(|(c, v)| (c.clone(), v)).collect());
    }
    let fitted = fit_values(view.values.clone(), cols.len())?;
    Some(cols.iter().cloned().zip(fitted).collect())
}

/// Remembers, per grid column, the header text that names one of `cols`.
fn collect_header(table: &Table, r: usize, cols: &[ColumnSpec], header: &mut Vec<(usize, String)>) {
    for c in 0..table.n_cols() {
        let cell = &table.rows[r][c];
        // A header cell spanning several columns (法人或其他组织) names none of them.
        let anchor = cell.continuation_of.unwrap_or((r, c));
        let span = table.rows[anchor.0][anchor.1].col_span;
        if span > 1 {
            continue;
        }
        let text = norm_label(table.shown_text(r, c));
        if text.is_empty() {
            continue;
        }
        if cols
            .iter()
            .any(|col| col.words.iter().any(|w| text.contains(w.as_str())))
        {
            header.retain(|(hc, _)| *hc != c);
            header.push((c, text));
        }
    }
}

fn match_active(ctx: &mut Ctx, spec: &TableSpec, members: &[Segment]) {
    let mut assigned = vec![false; spec.rows.len()];
    let mut met: Vec<Met> = Vec::new();
    let col_words: Vec<String> = spec
        .rows
        .iter()
        .flat_map(|r| r.cols.iter().flat_map(|c| c.words.iter().cloned()))
        .chain(["信息内容".to_string()])
        .collect();
    for seg in members {
        let (ti, table) = (seg.table, ctx.tables[seg.table]);
        let mut header: Vec<(usize, String)> = Vec::new();
        for r in seg.rows.clone() {
            let view = analyze_row(table, r);
            if !view.has_printed_number()
                && count_words(&col_words, &view.own_label, view.fuzzy) > 0
            {
                header.clear();
                for c in 0..table.n_cols() {
                    let text = norm_label(table.shown_text(r, c));
                    if !text.is_empty() {
                        header.push((c, text));
                    }
                }
                continue;
            }
            if view.values.is_empty() {
                continue;
            }
            let by_position = view.unread || view.label_names_no_single_row();
            let picked = (!by_position)
                .then(|| pick_row(&spec.rows, &assigned, None, None, &view))
                .flatten();
            let Some(j) = picked else {
                // Table 二's heading rows hold blanks beside their label: no row of zeros.
                if by_position || view.misread_label(false) {
                    met.push(Met::unread((ti, r), view, &header));
                }
                continue;
            };
            let row = &spec.rows[j];
            // Its place holds even when its values cannot be mapped (see `match_matrix`).
            ctx.push_row("active", row, &row.cols, &header, &view, (ti, r));
            assigned[j] = true;
            met.push(Met::Placed(j));
        }
    }
    place_unread(ctx, "active", &spec.rows, &[], met, &mut assigned);
}

/// Table 四: one wide row of groups × results, or one row per group.
fn match_appeals(ctx: &mut Ctx, spec: &TableSpec, members: &[Segment]) {
    let n_cols = spec.cols.len();
    let wide = spec.rows.len() * n_cols;
    let mut best: Option<LocatedRow> = None;
    let mut per_group: Vec<Option<LocatedRow>> = vec![None; spec.rows.len()];
    for seg in members {
        let (ti, table) = (seg.table, ctx.tables[seg.table]);
        for r in seg.rows.clone() {
            let view = analyze_row(table, r);
            if view.values.len() >= wide {
                if let Some(vals) = fit_values(view.values.clone(), wide) {
                    let better = match &best {
                        None => true,
                        Some((_, _, prev)) => {
                            !prev.iter().any(|v| !v.2.is_empty())
                                && vals.iter().any(|v| !v.2.is_empty())
                        }
                    };
                    if better {
                        best = Some((ti, r, vals));
                    }
                }
            } else if !view.own_label.is_empty() && view.values.len() >= n_cols {
                let assigned = vec![false; spec.rows.len()];
                if let Some(j) = pick_row(&spec.rows, &assigned, None, None, &view) {
                    if let Some(vals) = fit_values(view.values.clone(), n_cols) {
                        if per_group[j].is_none() {
                            per_group[j] = Some((ti, r, vals));
                        }
                    }
                }
            }
        }
    }
    if let Some((ti, r, vals)) = best {
        for (i, v) in vals.iter().enumerate() {
            let row = &spec.rows[i / n_cols];
            let col = &spec.cols[i % n_cols];
            ctx.push(format!("appeals/{}/{}", row.key, col.key), ti, r, v);
        }
        return;
    }
    for (j, found) in per_group.into_iter().enumerate() {
        if let Some((ti, r, vals)) = found {
            for (col, v) in spec.cols.iter().zip(vals.iter()) {
                ctx.push(
                    format!("appeals/{}/{}", spec.rows[j].key, col.key),
                    ti,
                    r,
                    v,
                );
            }
        }
    }
}

/// Maps the document's statistics tables onto the keys of the detected template. When
/// neither the tables' words nor the year tell the template, each is tried and the one
/// that reads more of the tables wins; on a tie (table 四 is the same in all) the values
/// are kept but no template is claimed.
/// How a table's cells that got no value are said in `errors` (the first eight named).
pub fn missing_cells(table: &str, keys: &[&str]) -> String {
    let shown: Vec<&str> = keys.iter().take(8).copied().collect();
    format!(
        "{table}: {}{MISSING_CELLS}{}{}",
        keys.len(),
        shown.join(", "),
        if keys.len() > 8 { ", …" } else { "" }
    )
}

/// What [`missing_cells`] says between the count and the keys.
pub const MISSING_CELLS: &str = " cells not found or unreadable: ";

pub fn match_tables(doc: &Document, templates: &Templates, year: Option<i32>) -> MatchResult {
    if let Some(template) = detect_template(doc, templates, year) {
        return match_with(doc, template);
    }
    let mut results: Vec<MatchResult> = templates.list.iter().map(|t| match_with(doc, t)).collect();
    // The template the tables fit best: most values less the keys it expects but did
    // not find. A 2019 table 三 read as 2021 puts its one (六)其他处理 row on 2021's
    // 3.其他 and misses 2021's two other (六) rows: more values is not a better fit.
    let score = |r: &MatchResult| {
        (
            r.values.len() as i64 - r.missing as i64,
            usize::MAX - r.errors.len(),
        )
    };
    let best = results.iter().map(score).max();
    let leaders = results.iter().filter(|r| Some(score(r)) == best).count();
    // Templates are listed newest first: a tie goes to the newest.
    let Some(i) = results.iter().position(|r| Some(score(r)) == best) else {
        return MatchResult::default();
    };
    let mut out = results.swap_remove(i);
    if leaders > 1 {
        out.template = None;
    }
    out
}

fn match_with(doc: &Document, template: &Template) -> MatchResult {
    let tables: Vec<&Table> = doc.tables().collect();
    let mut ctx = Ctx {
        tables,
        out: MatchResult::default(),
    };
    let kinds = classify_tables(doc, template);
    for kind in TableKind::ALL {
        let members: Vec<Segment> = kinds
            .iter()
            .filter(|s| s.kind == Some(kind))
            .cloned()
            .collect();
        if members.is_empty() {
            continue;
        }
        let before = ctx.out.values.len();
        let spec = template.table(kind);
        match kind {
            TableKind::Active => match_active(&mut ctx, spec, &members),
            TableKind::Requests => match_matrix(&mut ctx, kind, spec, &members),
            TableKind::Appeals => match_appeals(&mut ctx, spec, &members),
        }
        if ctx.out.values.len() > before {
            ctx.out.found.push(kind);
        }
    }
    // Keep the first value of a key; a later duplicate is a repeated row, not a new number.
    let mut seen = std::collections::HashSet::new();
    ctx.out.values.retain(|v| seen.insert(v.key.clone()));
    if !ctx.out.found.is_empty() {
        ctx.out.template = Some(template.id.clone());
        let expected = template.keys();
        for kind in ctx.out.found.clone() {
            let prefix = format!("{}/", kind.name());
            let missing: Vec<&String> = expected
                .iter()
                .filter(|k| k.starts_with(&prefix) && !seen.contains(*k))
                .collect();
            ctx.out.missing += missing.len();
            if !missing.is_empty() {
                let missing: Vec<&str> = missing.iter().map(|k| k.as_str()).collect();
                ctx.out.errors.push(missing_cells(kind.name(), &missing));
            }
        }
    }
    ctx.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Cell, TableOrigin};

    fn row(cells: &[&str]) -> Vec<Cell> {
        cells.iter().map(|t| Cell::new(*t)).collect()
    }

    /// Rows of a gov-2021 report: table 二, 三 and 四 with distinct numbers per cell so a
    /// shifted or swapped value cannot pass.
    type Rows = Vec<Vec<Cell>>;

    fn report_rows(t: &Template) -> (Rows, Rows, Rows, Vec<(String, i64)>) {
        let mut want = Vec::new();
        let mut n = 1i64;
        let mut active = vec![
            row(&["第二十条第（一）项"]),
            row(&["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]),
        ];
        for r in &t.active.rows {
            let mut cells = vec![r.label.rsplit(' ').next().unwrap_or("").to_string()];
            for c in &r.cols {
                cells.push(n.to_string());
                want.push((format!("active/{}/{}", r.key, c.key), n));
                n += 1;
            }
            active.push(cells.iter().map(|s| Cell::new(s.as_str())).collect());
        }
        let mut requests = vec![
            row(&[
                "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
                "申请人情况",
            ]),
            row(&["", "自然人", "法人或其他组织", "总计"]),
            row(&[
                "",
                "商业企业",
                "科研机构",
                "社会公益组织",
                "法律服务机构",
                "其他",
            ]),
        ];
        for r in &t.requests.rows {
            let mut cells = vec![Cell::new(r.label.as_str())];
            for c in &t.requests.cols {
                cells.push(Cell::new(n.to_string()));
                want.push((format!("requests/{}/{}", r.key, c.key), n));
                n += 1;
            }
            requests.push(cells);
        }
        let appeals_hdr = row(&["行政复议", "行政诉讼"]);
        let mut values = Vec::new();
        for r in &t.appeals.rows {
            for c in &t.appeals.cols {
                values.push(Cell::new(n.to_string()));
                want.push((format!("appeals/{}/{}", r.key, c.key), n));
                n += 1;
            }
        }
        (active, requests, vec![appeals_hdr, values], want)
    }

    fn assert_all(result: &MatchResult, want: &[(String, i64)]) {
        for (key, n) in want {
            let got = result
                .values
                .iter()
                .find(|v| &v.key == key)
                .map(|v| v.value);
            assert_eq!(got, Some(Number::Int(*n)), "{key}");
        }
        assert_eq!(result.values.len(), want.len());
    }

    /// A document of one OCR'd table.
    fn ocr_doc(rows: Vec<Vec<Cell>>) -> Document {
        Document {
            blocks: vec![Block::Table(Table::from_spanned_rows(
                rows,
                TableOrigin::Ocr,
                None,
            ))],
            ..Document::default()
        }
    }

    /// The expected values of one table (`prefix` "requests/").
    fn only(want: Vec<(String, i64)>, prefix: &str) -> Vec<(String, i64)> {
        want.into_iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .collect()
    }

    fn table(rows: Vec<Vec<Cell>>) -> Block {
        Block::Table(Table::from_spanned_rows(rows, TableOrigin::HtmlTable, None))
    }

    #[test]
    fn three_tables_pasted_as_one_grid() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (mut all, requests, appeals, want) = report_rows(t);
        all.extend(requests);
        all.extend(appeals);
        let doc = Document {
            blocks: vec![table(all)],
            title_hint: None,
            ..Document::default()
        };
        let result = match_tables(&doc, &templates, Some(2023));
        assert_eq!(result.template.as_deref(), Some("gov-2021"));
        assert_all(&result, &want);
    }

    #[test]
    fn requests_table_split_with_repeated_header_and_a_note_between() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (active, requests, appeals, want) = report_rows(t);
        let header: Vec<Vec<Cell>> = requests[..3].to_vec();
        let mut second = header.clone();
        second.extend(requests[15..].iter().cloned());
        let doc = Document {
            blocks: vec![
                Block::Paragraph("二、主动公开政府信息情况".into()),
                table(active),
                Block::Paragraph("三、收到和处理政府信息公开申请情况".into()),
                table(requests[..15].to_vec()),
                Block::Paragraph("续表".into()),
                table(second),
                Block::Paragraph("四、政府信息公开行政复议、行政诉讼情况".into()),
                table(appeals),
            ],
            title_hint: None,
            ..Document::default()
        };
        assert_all(&match_tables(&doc, &templates, Some(2023)), &want);
    }

    /// Table 三 as OCR leaves it when its shape is the template's: only the first and
    /// last rows' labels read, the others [`UNREAD`]. Rows are placed by their order.
    fn ocr_requests_with_unread_labels(t: &Template, drop_row: Option<usize>) -> Document {
        let (_, requests, _, _) = report_rows(t);
        let n = requests.len();
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        for (i, mut r) in requests.into_iter().enumerate() {
            if i < 3 {
                continue; // header rows: not read either
            }
            if i != 3 && i != n - 1 {
                r[0] = Cell::new(UNREAD.to_string());
            }
            if Some(i) != drop_row {
                rows.push(r);
            }
        }
        ocr_doc(rows)
    }

    #[test]
    fn rows_with_unread_labels_are_placed_by_order_between_read_ones() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, _, _, want) = report_rows(t);
        let want = only(want, "requests/");
        let result = match_tables(&ocr_requests_with_unread_labels(t, None), &templates, None);
        assert_eq!(result.template.as_deref(), Some("gov-2021"));
        assert_all(&result, &want);
    }

    /// Table 三 as OCR of a poor picture leaves it: every label read, the labels of
    /// `garbled` rows turned to nonsense.
    fn ocr_requests_with_garbled_labels(t: &Template, garbled: &[&str]) -> Document {
        let (_, requests, _, _) = report_rows(t);
        let mut rows = requests;
        for (n, word) in garbled.iter().enumerate() {
            let at = rows
                .iter()
                .position(|r| r[0].text.contains(word))
                .expect("row of the template");
            // Nonsense of the kind OCR makes of a blurred label, no template word in it.
            let junk: String = "年下收府AAi并伐旺凡"
                .chars()
                .cycle()
                .skip(n)
                .take(9)
                .collect();
            rows[at][0] = Cell::new(junk);
        }
        ocr_doc(rows)
    }

    #[test]
    fn a_long_garbled_label_does_not_land_on_the_row_named_by_its_stray_qita() {
        // Every label of table 三 read by OCR; (二)部分公开's label garbled past matching,
        // except for the 其他 of its note (其他情形). Its numbers must not become
        // 3.其他's (a weak row, named by that word alone): it is placed by its order.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, requests, _, want) = report_rows(t);
        let mut rows = requests;
        let partly = rows
            .iter()
            .position(|r| r[0].text.contains("部分公开"))
            .expect("partly disclosed row");
        rows[partly][0] = Cell::new("二、媳分公才《区分处理的另计这一情形，不计其他情");
        let doc = ocr_doc(rows);
        let want = only(want, "requests/");
        assert_all(&match_tables(&doc, &templates, None), &want);
    }

    #[test]
    fn rows_with_garbled_labels_are_placed_by_order_between_read_ones() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, _, _, want) = report_rows(t);
        let want = only(want, "requests/");
        // Three neighbouring rows and two lone ones garbled past matching.
        let doc = ocr_requests_with_garbled_labels(
            t,
            &[
                "本年新收",
                "国家秘密",
                "行政法规禁止",
                "三安全一稳定",
                "本机关不掌握",
            ],
        );
        assert_all(&match_tables(&doc, &templates, None), &want);
    }

    #[test]
    fn a_row_of_unreadable_values_keeps_its_place_among_the_rows() {
        // A blurred picture: 1.属于国家秘密's label garbled and every one of its values
        // unreadable. Its row still stands between (二)部分公开 and 2.其他法律行政法规禁止
        // 公开 (garbled too), so the rows after it are placed on theirs, and its own
        // keys are left out, not given its neighbours' numbers.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, _, _, want) = report_rows(t);
        let mut doc = ocr_requests_with_garbled_labels(t, &["国家秘密", "行政法规禁止"]);
        let Some(Block::Table(table)) = doc.blocks.first_mut() else {
            panic!("one table");
        };
        let secret = table
            .rows
            .iter()
            .position(|r| r[0].text == "年下收府AAi并伐")
            .expect("garbled row");
        for cell in table.rows[secret].iter_mut().skip(1) {
            cell.text = "\u{FFFD}".into();
        }
        let result = match_tables(&doc, &templates, None);
        let want: Vec<(String, i64)> = only(want, "requests/")
            .into_iter()
            .filter(|(k, _)| !k.starts_with("requests/withheld.state_secret/"))
            .collect();
        assert_all(&result, &want);
    }

    #[test]
    fn a_label_cell_spanning_two_rows_of_values_names_neither() {
        // OCR missed the ruling between 一、本年新收 and 二、上年结转: one label cell spans
        // both rows, and 新收 was misread, so its text names only 上年结转. The first row's
        // numbers must not become carried_in's: both rows are placed by their order.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, requests, _, want) = report_rows(t);
        let mut rows = requests;
        let new = rows
            .iter()
            .position(|r| r[0].text.contains("新收"))
            .expect("row 一");
        let mut merged =
            Cell::new("一、本年狐收政府信息公开申请数量二、上年结转政府信息公开申请数量");
        merged.row_span = 2;
        rows[new][0] = merged;
        rows[new + 1].remove(0);
        let doc = ocr_doc(rows);
        let want = only(want, "requests/");
        assert_all(&match_tables(&doc, &templates, None), &want);
    }

    #[test]
    fn a_merged_label_left_of_two_rows_own_label_cells_names_neither() {
        // A spurious column line split each label in two, and the ruling between 一 and 二
        // was lost in the left part only: one cell there spans both rows, naming 新收 (as
        // 禁收, misread) and 上年结转; the right parts, one per row, are misread. The first
        // row's numbers must not become carried_in's by the shared cell's words.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, requests, _, want) = report_rows(t);
        let mut rows = requests;
        for row in rows.iter_mut() {
            row.insert(1, Cell::new("·"));
        }
        let new = rows
            .iter()
            .position(|r| r[0].text.contains("新收"))
            .expect("row 一");
        let mut merged = Cell::new("一、本年禁收政府信息公开二、上上年结转政府们朋公开");
        merged.row_span = 2;
        rows[new][0] = merged;
        rows[new][1] = Cell::new("ii青致重");
        rows[new + 1].remove(0);
        rows[new + 1][0] = Cell::new("请数量");
        let doc = ocr_doc(rows);
        let want = only(want, "requests/");
        assert_all(&match_tables(&doc, &templates, None), &want);
    }

    #[test]
    fn a_misread_number_in_a_value_column_is_an_unread_value_not_part_of_the_label() {
        // A blurred "2" read as 人加 in 3.其他's first value column made a label cell of
        // it: the row must keep its seven value cells, that one unread (with the number
        // OCR saw there as its candidate), and every row after it its own place.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, requests, _, want) = report_rows(t);
        let mut rows = requests;
        let other = rows
            .iter()
            .rposition(|r| r[0].text.contains("其他"))
            .expect("row 3.其他");
        let key = want
            .iter()
            .map(|(k, _)| k.clone())
            .find(|k| k.contains("/other.other/"))
            .expect("key of 3.其他");
        rows[other][1] = Cell::new("人加");
        rows[other][1].alternatives = vec!["2".to_string()];
        let result = match_tables(&ocr_doc(rows), &templates, None);
        let want: Vec<(String, i64)> = only(want, "requests/")
            .into_iter()
            .filter(|(k, _)| *k != key)
            .collect();
        assert_all(&result, &want);
        let unread = result.unread.iter().find(|u| u.key == key).expect("unread");
        assert_eq!(unread.at.alternatives, vec![Number::Int(2)]);
    }

    #[test]
    fn a_garbled_row_short_of_its_gap_is_placed_by_its_numbering() {
        // The page ended after (七)总计, whose words OCR garbled to 总六: 四、结转 is lost.
        // The one unread row does not fill the gap of two rows, but its numbering (七)
        // is that of the gap's first row and not of its last: it is 总计.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, requests, _, want) = report_rows(t);
        let mut rows = requests;
        let total = rows
            .iter()
            .position(|r| r[0].text.contains("总计"))
            .expect("row (七)总计");
        rows[total][0] = Cell::new("(七)总六");
        rows.truncate(total + 1);
        let want: Vec<(String, i64)> = only(want, "requests/")
            .into_iter()
            .filter(|(k, _)| !k.contains("/carried_forward/"))
            .collect();
        assert_all(
            &match_tables(&ocr_doc(rows.clone()), &templates, None),
            &want,
        );
        // Read as (六), the numbering of no row there, it is left out.
        rows[total][0] = Cell::new("(六)总六");
        let result = match_tables(&ocr_doc(rows), &templates, None);
        assert!(result
            .values
            .iter()
            .all(|v| !v.key.starts_with("requests/total/")));
    }

    #[test]
    fn a_short_word_in_a_long_garbled_label_names_no_row_far_ahead() {
        // Every label of table 三 garbled past matching; 4.保护第三方合法权益's read as
        // …合计…, the word of (七)总计. Its numbers must not become the totals: it is
        // placed by its order like the rest.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, requests, _, want) = report_rows(t);
        let mut rows = requests;
        let junk: Vec<char> = "年下收府AAi并伐旺凡".chars().collect();
        let mut n = 0;
        for row in rows.iter_mut().skip(3) {
            let label = if row[0].text.contains("第三方合法权益") {
                "4保护和-万合计权兰".to_string()
            } else {
                n += 1;
                junk.iter().cycle().skip(n).take(9).collect()
            };
            row[0] = Cell::new(label);
        }
        let result = match_tables(&ocr_doc(rows), &templates, None);
        let want = only(want, "requests/");
        assert!(result.values.len() >= 21, "{} values", result.values.len());
        for v in &result.values {
            let truth = want.iter().find(|(k, _)| *k == v.key).map(|(_, n)| *n);
            assert_eq!(
                Some(Number::Int(truth.unwrap_or(-1))),
                Some(v.value),
                "{}",
                v.key
            );
        }
    }

    #[test]
    fn a_picture_of_table_two_with_every_label_garbled_is_known_by_its_shape() {
        // A 90-dpi picture of table 二 alone: chi_sim read no word of any label or header,
        // the numbers were read. Its rows' counts of values (3-3-1-1-1-1) are table 二's.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (active, _, _, want) = report_rows(t);
        let rows: Vec<Vec<Cell>> = active
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let single = row.len() == 2;
                row.into_iter()
                    .map(|c| match parse_value(&c.text) {
                        // A row of one value: its cell spans the three value columns.
                        Some(ValueToken::Number(_)) if single => Cell { col_span: 3, ..c },
                        Some(ValueToken::Number(_)) => c,
                        _ => Cell::new(format!("人{i}凡门刀")),
                    })
                    .collect()
            })
            .collect();
        let doc = ocr_doc(rows);
        let want = only(want, "active/");
        assert_all(&match_tables(&doc, &templates, Some(2023)), &want);
    }

    #[test]
    fn an_unreadable_cell_left_of_a_rows_values_does_not_lose_the_row() {
        // A label column split in two by a ruling OCR found; in row 一 its right half
        // holds ink recognition could not read (U+FFFD). The values are in the columns
        // every other row has them in: the row keeps its seven values.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, requests, _, want) = report_rows(t);
        let rows: Vec<Vec<Cell>> = requests
            .into_iter()
            .skip(3)
            .map(|mut row| {
                if row[0].text.contains("新收") {
                    row.insert(1, Cell::new("\u{FFFD}"));
                } else {
                    row[0].col_span = 2;
                }
                row
            })
            .collect();
        let doc = ocr_doc(rows);
        let want = only(want, "requests/");
        assert_all(&match_tables(&doc, &templates, Some(2023)), &want);
    }

    #[test]
    fn a_piece_of_table_three_is_known_by_its_shape_despite_one_misread_row() {
        // Every label unread, and in one row a "0." that is no number: that row shows
        // two values, the other rows table 三's seven.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, requests, _, _) = report_rows(t);
        let mut rows: Vec<Vec<Cell>> = requests[3..15].to_vec();
        for row in rows.iter_mut() {
            row[0] = Cell::new(UNREAD.to_string());
        }
        rows[6][3] = Cell::new("0.");
        let doc = ocr_doc(rows);
        let result = match_tables(&doc, &templates, Some(2023));
        // Taken as table 三; with no label read, no row has its place, so none is kept.
        assert!(result.values.is_empty());
        assert!(
            !result.errors.is_empty() && result.errors.iter().all(|e| e.starts_with("requests:")),
            "{:?}",
            result.errors
        );
    }

    #[test]
    fn a_garbled_row_of_blanks_is_placed_where_zeros_print_as_blanks() {
        // Table 三 printing its zeros as blank cells: 属于国家秘密's row all blank, its
        // label garbled past matching. It is placed by its order: seven zeros.
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, mut rows, _, want) = report_rows(t);
        let at = rows
            .iter()
            .position(|r| r[0].text.contains("国家秘密"))
            .expect("row");
        rows[at] = std::iter::once(Cell::new("年下收府AAi并伐"))
            .chain((0..7).map(|_| Cell::new("")))
            .collect();
        let want: Vec<(String, i64)> = only(want, "requests/")
            .into_iter()
            .map(|(k, n)| {
                let zero = k.starts_with("requests/withheld.state_secret/");
                (k, if zero { 0 } else { n })
            })
            .collect();
        assert_all(&match_tables(&ocr_doc(rows), &templates, None), &want);
    }

    #[test]
    fn unread_rows_that_do_not_fill_the_gap_are_left_out() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        // One row fewer than the template between the first and last: no row can be
        // placed safely, so none of them is.
        let doc = ocr_requests_with_unread_labels(t, Some(10));
        let result = match_tables(&doc, &templates, Some(2023));
        let keys: Vec<&str> = result.values.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(keys.len(), 14, "{keys:?}");
        assert!(keys
            .iter()
            .all(|k| k.starts_with("requests/new/") || k.starts_with("requests/carried_forward/")));
        assert!(result
            .errors
            .iter()
            .any(|e| e.contains("labels were not read")));
    }

    #[test]
    fn a_read_row_whose_values_do_not_map_still_holds_its_place() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let (_, requests, _, want) = report_rows(t);
        let n = requests.len();
        // Table 三 as OCR leaves it when its shape is not the template's: the labels of
        // the first and last rows read, and of one row in the middle, whose value cells
        // the strokes of its glyphs split (two column lines too many). That row's values
        // are left out; the unread rows on either side of it are still placed by order.
        let middle = 3 + 8;
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        for (i, mut r) in requests.into_iter().enumerate().skip(3) {
            if i == middle {
                // Two spurious column lines: nine value cells.
                r.insert(2, Cell::new("1"));
                r.insert(4, Cell::new("1"));
            } else if i != 3 && i != n - 1 {
                r[0] = Cell::new(UNREAD.to_string());
            }
            rows.push(r);
        }
        let result = match_tables(&ocr_doc(rows), &templates, Some(2023));
        let lost = format!("requests/{}/", t.requests.rows[middle - 3].key);
        let want: Vec<(String, i64)> = only(want, "requests/")
            .into_iter()
            .filter(|(k, _)| !k.starts_with(&lost))
            .collect();
        assert_all(&result, &want);
        assert!(result
            .errors
            .iter()
            .any(|e| e.contains("9 value cells where 7 are expected")));
    }

    #[test]
    fn a_row_of_dashes_is_table_four_and_a_piece_without_values_is_nothing() {
        let templates = Templates::builtin().expect("templates");
        let ocr = |rows: Vec<Vec<Cell>>| ocr_doc(rows);
        // Table 四 as OCR leaves it: headers unread, a printed zero sign in every cell.
        let headers = vec![Cell::new(UNREAD.to_string()); 15];
        let dashes = vec![Cell::new("-"); 15];
        let result = match_tables(&ocr(vec![headers.clone(), dashes]), &templates, Some(2023));
        let appeals: Vec<&MatchedValue> = result
            .values
            .iter()
            .filter(|v| v.key.starts_with("appeals/"))
            .collect();
        assert_eq!(appeals.len(), 15, "{:?}", result.values);
        assert!(appeals.iter().all(|v| v.value == Number::Int(0)));
        // Unread labels and no value at all: no table is guessed (and nothing panics).
        let result = match_tables(&ocr(vec![headers.clone(), headers]), &templates, Some(2023));
        assert!(result.values.is_empty());
    }
}
