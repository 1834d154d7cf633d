//! Row labels that a page break cut in two.
//!
//! When a table row whose label wraps over several lines does not fit at a page's end,
//! Word, LibreOffice and browsers print the lines that fit and carry the rest of the
//! label to the top of the next page: there it stands in a row of its own, in the label
//! column, with the value cells empty (the values were printed beside the label's first
//! line). Read page by page, the first page's row keeps a truncated label
//! (`2.其他法律行政法规禁止公`), which matches no row of the template, and the next page's
//! table starts with a row holding only `开`. [`join_cut_labels`] gives each piece back
//! to the label it was cut from and drops the emptied row.
//!
//! A first row is taken for such a piece only when every text in it
//! - is words without a digit and does not start a numbered item (a row of its own, with
//!   its zeros left blank, does);
//! - lies within the column of a label (words, not a number) of the row above the break,
//!   so a repeated header or a title row, which reach over value columns, never is;
//! - continues a label whose last printed line fills its cell from edge to edge (the
//!   label wrapped there and went on), which a complete label, centred or short, does not.

use super::content::Glyph;
use super::layout::{baseline_groups, is_cjk};
use crate::document::{Block, Cell, Table};

/// Stitches label pieces at the top of the first table of a page, whose blocks start at
/// `start`, to the last row of the previous page's table, when the two tables follow each
/// other with nothing between. `prev_glyphs`: the previous page's glyphs, to tell whether
/// a label's last line fills its cell.
pub fn join_cut_labels(blocks: &mut Vec<Block>, start: usize, prev_glyphs: &[Glyph]) {
    let Some(i) = start.checked_sub(1) else {
        return;
    };
    let (before, after) = blocks.split_at_mut(start);
    let (Some(Block::Table(above)), Some(Block::Table(below))) =
        (before.get_mut(i), after.first_mut())
    else {
        return;
    };
    let next_page = matches!((above.page, below.page), (Some(a), Some(b)) if b == a + 1);
    if next_page && stitch(above, below, prev_glyphs) && below.rows.is_empty() {
        blocks.remove(start);
    }
}

fn has_digit(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
}

fn is_label(s: &str) -> bool {
    s.chars().any(is_cjk)
}

/// Whether a piece starts a numbered item: 一、 （一） (1) 1. …
fn starts_item(s: &str) -> bool {
    let t = s.trim_start();
    let numeral = |c: char| "一二三四五六七八九十".contains(c);
    let rest = t.trim_start_matches(['（', '(']);
    let after = rest.trim_start_matches(numeral);
    after.len() < rest.len() && after.starts_with(['、', '）', ')', '.', '．'])
}

/// Left and right edge of a cell's box.
fn x_range(cell: &Cell) -> Option<(f32, f32)> {
    cell.bbox.map(|b| (b[0], b[0] + b[2]))
}

/// Whether the last line of text inside `bbox` runs from the cell's left edge to its
/// right one, but for the cell's padding and less than a character.
fn last_line_fills(bbox: [f32; 4], glyphs: &[Glyph]) -> bool {
    let [x0, y0, w, h] = bbox;
    let inside: Vec<&Glyph> = glyphs
        .iter()
        .filter(|g| !g.ch.is_whitespace())
        .filter(|g| {
            let (cx, cy) = (g.x + g.w / 2.0, g.y - g.size * 0.35);
            cx >= x0 && cx <= x0 + w && cy >= y0 && cy <= y0 + h
        })
        .collect();
    let Some(line) = baseline_groups(&inside).pop() else {
        return false;
    };
    let left = line.iter().map(|&k| inside[k].x).fold(f32::MAX, f32::min);
    let right = line
        .iter()
        .map(|&k| inside[k].x + inside[k].w)
        .fold(f32::MIN, f32::max);
    let size = line.iter().map(|&k| inside[k].size).fold(0.0f32, f32::max);
    size > 0.0 && (left - x0) + (x0 + w - right) <= 2.2 * size
}

/// Moves the label pieces of `below`'s first row into `above`'s last row; whether it did.
fn stitch(above: &mut Table, below: &mut Table, prev_glyphs: &[Glyph]) -> bool {
    let (Some(last), Some(first)) = (above.rows.len().checked_sub(1), below.rows.first()) else {
        return false;
    };
    // The anchors of the last row above the break, with their boxes.
    let mut labels: Vec<((usize, usize), [f32; 4])> = Vec::new();
    for (c, cell) in above.rows[last].iter().enumerate() {
        let at = cell.continuation_of.unwrap_or((last, c));
        if labels.iter().any(|(a, _)| *a == at) {
            continue;
        }
        let Some(bbox) = above
            .rows
            .get(at.0)
            .and_then(|r| r.get(at.1))
            .and_then(|c| c.bbox)
        else {
            return false;
        };
        labels.push((at, bbox));
    }
    // Each text of the first row below, and the anchor above whose column holds it.
    let mut moves: Vec<(usize, (usize, usize))> = Vec::new();
    for (c, cell) in first.iter().enumerate() {
        let piece = cell.text.trim();
        if cell.is_continuation() || piece.is_empty() {
            continue;
        }
        if has_digit(piece) || !is_label(piece) || starts_item(piece) {
            return false;
        }
        let Some((x0, x1)) = x_range(cell) else {
            return false;
        };
        const TOL: f32 = 2.0;
        let Some((at, bbox)) = labels
            .iter()
            .find(|(_, b)| x0 >= b[0] - TOL && x1 <= b[0] + b[2] + TOL)
        else {
            return false;
        };
        let target = &above.rows[at.0][at.1].text;
        if !is_label(target) || !last_line_fills(*bbox, prev_glyphs) {
            return false;
        }
        moves.push((c, *at));
    }
    if moves.is_empty() {
        return false;
    }
    for (c, (r, ac)) in moves {
        let piece = std::mem::take(&mut below.rows[0][c].text);
        let label = &mut above.rows[r][ac].text;
        label.push_str(piece.trim());
        // The piece's cell goes on down the next page (a section label spanning rows):
        // there it carries the whole label.
        if below.rows[0][c].row_span > 1 {
            below.rows[0][c].text = label.clone();
        }
    }
    drop_first_row(below);
    true
}

/// Removes a table's first row; its cells that span rows below start one row lower.
fn drop_first_row(table: &mut Table) {
    if table.rows.len() < 2 {
        table.rows.clear();
        return;
    }
    let first = table.rows.remove(0);
    for (c, cell) in first.into_iter().enumerate() {
        if cell.is_continuation() || cell.row_span < 2 {
            continue;
        }
        if let Some(slot) = table.rows[0].get_mut(c) {
            *slot = Cell {
                row_span: cell.row_span - 1,
                continuation_of: None,
                ..cell
            };
        }
    }
    for row in &mut table.rows {
        for cell in row.iter_mut() {
            if let Some((r, c)) = cell.continuation_of {
                cell.continuation_of = Some((r.saturating_sub(1), c));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::TableOrigin;

    /// A cell at columns `x0..x1` of a 20-point-high row `r`, spanning `rows` rows.
    fn cell(text: &str, x0: f32, x1: f32, r: usize, rows: u32) -> Cell {
        Cell {
            row_span: rows,
            bbox: Some([x0, r as f32 * 20.0, x1 - x0, 20.0 * rows as f32]),
            ..Cell::new(text)
        }
    }

    /// The glyphs of `n` characters of size 8 set from `x0` on the baseline of row `r`.
    fn line(n: usize, x0: f32, r: usize) -> Vec<Glyph> {
        (0..n)
            .map(|k| Glyph {
                ch: '字',
                x: x0 + 8.0 * k as f32,
                y: r as f32 * 20.0 + 15.0,
                w: 8.0,
                size: 8.0,
                dx: 8.0,
                dy: 0.0,
            })
            .collect()
    }

    fn table(rows: Vec<Vec<Cell>>, page: u32) -> Block {
        Block::Table(Table::from_spanned_rows(
            rows,
            TableOrigin::PdfText,
            Some(page),
        ))
    }

    fn texts(b: &Block) -> Vec<Vec<String>> {
        let Block::Table(t) = b else {
            panic!("not a table")
        };
        (0..t.rows.len())
            .map(|r| (0..t.n_cols()).map(|c| t.shown_text(r, c).into()).collect())
            .collect()
    }

    #[test]
    fn a_label_piece_on_the_next_page_goes_back_to_its_row() {
        let above = table(
            vec![
                vec![
                    cell("（三）不予公开", 0.0, 50.0, 0, 2),
                    cell("1.属于国家秘密", 50.0, 150.0, 0, 1),
                    cell("0", 150.0, 200.0, 0, 1),
                ],
                vec![
                    cell("2.其他法律行政法规禁止公", 50.0, 150.0, 1, 1),
                    cell("0", 150.0, 200.0, 1, 1),
                ],
            ],
            2,
        );
        let below = table(
            vec![
                vec![
                    cell("", 0.0, 50.0, 0, 2),
                    cell("开", 50.0, 150.0, 0, 1),
                    cell("", 150.0, 200.0, 0, 1),
                ],
                vec![
                    cell("3.危及“三安全一稳定”", 50.0, 150.0, 1, 1),
                    cell("1", 150.0, 200.0, 1, 1),
                ],
            ],
            3,
        );
        let mut blocks = vec![Block::Paragraph("三、".into()), above, below];
        join_cut_labels(&mut blocks, 2, &line(12, 52.0, 1));
        assert_eq!(blocks.len(), 3);
        assert_eq!(texts(&blocks[1])[1][1], "2.其他法律行政法规禁止公开");
        assert_eq!(
            texts(&blocks[2]),
            [["", "3.危及“三安全一稳定”", "1"]].map(|r| r.map(String::from))
        );
    }

    #[test]
    fn a_section_label_cut_in_two_is_whole_on_both_pages() {
        let above = table(
            vec![vec![
                cell("（六）其他处", 0.0, 50.0, 0, 1),
                cell("1.申请人无正当理由逾期不补正、行政机", 50.0, 150.0, 0, 1),
                cell("2", 150.0, 200.0, 0, 1),
            ]],
            3,
        );
        let below = table(
            vec![
                vec![
                    cell("理", 0.0, 50.0, 0, 3),
                    cell("关不再处理其政府信息公开申请", 50.0, 150.0, 0, 1),
                    cell("", 150.0, 200.0, 0, 1),
                ],
                vec![
                    cell("2.申请人逾期未按收费通知", 50.0, 150.0, 1, 1),
                    cell("0", 150.0, 200.0, 1, 1),
                ],
                vec![
                    cell("3.其他", 50.0, 150.0, 2, 1),
                    cell("0", 150.0, 200.0, 2, 1),
                ],
            ],
            4,
        );
        let mut blocks = vec![above, below];
        let glyphs = [line(6, 1.0, 0), line(12, 51.0, 0)].concat();
        join_cut_labels(&mut blocks, 1, &glyphs);
        assert_eq!(
            texts(&blocks[0])[0][..2],
            [
                "（六）其他处理",
                "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"
            ]
        );
        let below = texts(&blocks[1]);
        assert_eq!(below.len(), 2);
        assert_eq!(
            below[0],
            ["（六）其他处理", "2.申请人逾期未按收费通知", "0"]
        );
        assert_eq!(below[1], ["（六）其他处理", "3.其他", "0"]);
    }

    #[test]
    fn rows_of_their_own_headers_and_other_pages_are_left_alone() {
        let above = || {
            table(
                vec![vec![
                    cell("行政许可", 0.0, 100.0, 0, 1),
                    cell("160", 100.0, 200.0, 0, 1),
                ]],
                1,
            )
        };
        let filled = line(12, 2.0, 0);
        let centred = line(4, 34.0, 0);
        let row = |a: &str, b: &str| vec![cell(a, 0.0, 100.0, 0, 1), cell(b, 100.0, 200.0, 0, 1)];
        let cases = [
            // A repeated header reaches over the value column.
            (row("信息内容", "本年处理决定数量"), 2, &filled),
            // A row of its own has numbers, or a number of its own.
            (row("行政处罚", "0"), 2, &filled),
            (row("（二）其他", ""), 2, &filled),
            // A complete label (its line does not fill the cell), zeros left blank below.
            (row("行政强制", ""), 2, &centred),
            // A title row across the whole table.
            (
                vec![Cell {
                    col_span: 2,
                    ..cell("第二十条第（八）项", 0.0, 200.0, 0, 1)
                }],
                2,
                &filled,
            ),
            // Not the next page.
            (row("可", ""), 3, &filled),
        ];
        for (row, page, glyphs) in cases {
            let mut blocks = vec![above(), table(vec![row.clone()], page)];
            join_cut_labels(&mut blocks, 1, glyphs);
            assert_eq!(blocks.len(), 2, "{row:?}");
            assert_eq!(texts(&blocks[0])[0][0], "行政许可", "{row:?}");
        }
        // The same piece under a filled label is taken.
        let mut blocks = vec![above(), table(vec![row("可", "")], 2)];
        join_cut_labels(&mut blocks, 1, &filled);
        assert_eq!(blocks.len(), 1);
        assert_eq!(texts(&blocks[0])[0][0], "行政许可可");
    }
}
