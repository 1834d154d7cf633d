//! The one intermediate representation every decoder produces.
//!
//! A [`Document`] is a sequence of [`Block`]s. Tables are rectangular grids after span
//! expansion: a cell that spans several rows or columns appears once as an *anchor*
//! (with its text and spans) and the grid positions it covers hold *continuation* cells
//! that point back at the anchor. Nothing after decoding needs to know which format a
//! table came from, except through [`TableOrigin`] for provenance.

use serde::Serialize;

/// Where a table's numbers came from; copied into every value's `origin` in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TableOrigin {
    DocxTable,
    HtmlTable,
    PdfText,
    Ocr,
    Text,
}

impl TableOrigin {
    /// The `origin` string of the record contract.
    pub fn as_str(self) -> &'static str {
        match self {
            TableOrigin::DocxTable => "docx-table",
            TableOrigin::HtmlTable => "html-table",
            TableOrigin::PdfText => "pdf-text",
            TableOrigin::Ocr => "ocr",
            TableOrigin::Text => "text",
        }
    }
}

/// The text of a cell with ink that recognition deliberately left unread (OCR reads a
/// table's row labels only as far as the matcher needs them): U+FFFC, the object
/// replacement character. Not the same as an empty cell.
pub const UNREAD: char = '\u{FFFC}';

/// A decoded document: its blocks in reading order.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub blocks: Vec<Block>,
    /// Title found in document metadata (HTML `<title>`, DOCX core properties), if any.
    pub title_hint: Option<String>,
    /// Problems met while reading that do not stop the document (a picture that could
    /// not be recognised); the record lists them among its errors.
    pub problems: Vec<String>,
    /// Whether text blocks were read by OCR (a scanned page's lines): metadata read from
    /// them may hold misread characters and is checked before it is believed.
    pub ocr_text: bool,
    /// What decoding had to repair (bytes of a damaged text file replaced); the record
    /// lists them among its errors (stage `decode`).
    pub decode_warnings: Vec<String>,
}

impl Document {
    /// The table blocks, in document order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
    }

    /// The picture blocks, in document order.
    pub fn pictures(&self) -> impl Iterator<Item = &Picture> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Picture(p) => Some(p),
            _ => None,
        })
    }
}

#[derive(Debug, Clone)]
pub enum Block {
    /// A heading with its outline level (1 = top), when the format says it is one.
    Heading {
        text: String,
        level: u8,
    },
    Paragraph(String),
    Table(Table),
    Picture(Picture),
}

impl Block {
    /// The block's running text, for headings and paragraphs.
    pub fn text(&self) -> Option<&str> {
        match self {
            Block::Heading { text, .. } | Block::Paragraph(text) => Some(text),
            _ => None,
        }
    }
}

/// A rectangular grid of cells (every row has the same number of columns).
#[derive(Debug, Clone)]
pub struct Table {
    pub rows: Vec<Vec<Cell>>,
    pub origin: TableOrigin,
    /// 1-based page number, when the format has pages.
    pub page: Option<u32>,
}

/// One grid position.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    /// The cell's text, paragraphs joined with '\n'. Empty for continuation cells.
    pub text: String,
    pub row_span: u32,
    pub col_span: u32,
    /// For a position covered by a spanning cell: (row, col) of the anchor cell.
    pub continuation_of: Option<(usize, usize)>,
    /// Bounding box in page or image pixels (x, y, w, h), when known.
    pub bbox: Option<[f32; 4]>,
    /// Recognition confidence 0..1, for OCR'd cells.
    pub confidence: Option<f32>,
    pub page: Option<u32>,
    /// Other readings recognition made of the cell, when they disagreed (OCR only).
    pub alternatives: Vec<String>,
}

impl Cell {
    /// An ordinary 1×1 cell holding `text`.
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            row_span: 1,
            col_span: 1,
            ..Cell::default()
        }
    }

    pub fn is_continuation(&self) -> bool {
        self.continuation_of.is_some()
    }
}

/// An embedded picture, kept so that a recognition stage can turn it into a table.
#[derive(Debug, Clone)]
pub struct Picture {
    /// Name as found in the container (e.g. `word/media/image1.png`), if any.
    pub name: Option<String>,
    pub bytes: Vec<u8>,
    pub dpi: Option<f32>,
    /// The PDF page it is on.
    pub page: Option<u32>,
    /// The picture is a whole scanned page: the page's running text is in it too (a
    /// picture on a page with a text layer, or in a DOCX, holds a table at most).
    pub whole_page: bool,
}

impl Table {
    /// Builds a rectangular grid from rows of anchor cells with spans (as in HTML or
    /// DOCX), filling the positions covered by row and column spans with continuation
    /// cells. Spans are clamped so that a malformed input cannot make the grid explode.
    pub fn from_spanned_rows(
        rows: Vec<Vec<Cell>>,
        origin: TableOrigin,
        page: Option<u32>,
    ) -> Table {
        // Row spans are bounded by the rows present; column spans by MAX_COLS.
        const MAX_SPAN: u32 = 4096;
        const MAX_COLS: usize = 256;
        let n_rows = rows.len();
        let mut grid: Vec<Vec<Option<Cell>>> = vec![Vec::new(); n_rows];
        for (r, row) in rows.into_iter().enumerate() {
            let mut c = 0usize;
            for mut cell in row {
                // Skip positions already taken by a row span from above.
                while grid[r].get(c).is_some_and(|x| x.is_some()) {
                    c += 1;
                }
                if c >= MAX_COLS {
                    break;
                }
                cell.row_span = cell.row_span.clamp(1, MAX_SPAN);
                cell.col_span = cell.col_span.clamp(1, MAX_SPAN);
                let rs = (cell.row_span as usize).min(n_rows - r);
                let cs = (cell.col_span as usize).min(MAX_COLS - c);
                cell.row_span = rs as u32;
                cell.col_span = cs as u32;
                for (rr, grid_row) in grid.iter_mut().enumerate().skip(r).take(rs) {
                    for cc in c..c + cs {
                        if grid_row.len() <= cc {
                            grid_row.resize(cc + 1, None);
                        }
                        if rr == r && cc == c {
                            continue;
                        }
                        if grid_row[cc].is_none() {
                            grid_row[cc] = Some(Cell {
                                continuation_of: Some((r, c)),
                                row_span: 1,
                                col_span: 1,
                                page: cell.page,
                                ..Cell::default()
                            });
                        }
                    }
                }
                if grid[r].len() <= c {
                    grid[r].resize(c + 1, None);
                }
                grid[r][c] = Some(cell);
                c += cs;
            }
        }
        let width = grid.iter().map(Vec::len).max().unwrap_or(0);
        let rows = grid
            .into_iter()
            .map(|row| {
                let mut row: Vec<Cell> = row
                    .into_iter()
                    .map(|c| c.unwrap_or_else(|| Cell::new("")))
                    .collect();
                row.resize_with(width, || Cell::new(""));
                row
            })
            .collect();
        Table { rows, origin, page }
    }

    pub fn n_cols(&self) -> usize {
        self.rows.first().map(Vec::len).unwrap_or(0)
    }

    /// The text shown at (r, c): the anchor's text for continuation cells.
    pub fn shown_text(&self, r: usize, c: usize) -> &str {
        match self.rows.get(r).and_then(|row| row.get(c)) {
            Some(cell) => match cell.continuation_of {
                Some((ar, ac)) => self
                    .rows
                    .get(ar)
                    .and_then(|row| row.get(ac))
                    .map(|a| a.text.as_str())
                    .unwrap_or(""),
                None => cell.text.as_str(),
            },
            None => "",
        }
    }

    /// All anchor texts joined, for classifying a table by its words.
    pub fn all_text(&self) -> String {
        let mut s = String::new();
        for row in &self.rows {
            for cell in row {
                if !cell.is_continuation() && !cell.text.is_empty() {
                    s.push_str(&cell.text);
                    s.push(' ');
                }
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_expand_into_a_rectangular_grid() {
        let mut a = Cell::new("a");
        a.row_span = 2;
        let mut b = Cell::new("b");
        b.col_span = 2;
        let rows = vec![vec![a, b], vec![Cell::new("c"), Cell::new("d")]];
        let t = Table::from_spanned_rows(rows, TableOrigin::HtmlTable, None);
        assert_eq!(t.n_cols(), 3);
        assert_eq!(t.rows[1][0].continuation_of, Some((0, 0)));
        assert_eq!(t.rows[0][2].continuation_of, Some((0, 1)));
        assert_eq!(t.rows[1][1].text, "c");
        assert_eq!(t.rows[1][2].text, "d");
        assert_eq!(t.shown_text(1, 0), "a");
    }
}
