//! RTF table rows (`\trowd … \cellxN … \row`) → one grid with spans. A cell's columns
//! come from its left and right edges (`\cellx`, in twips) against the edges of every
//! row of the table, as Word lays them out; `\clmgf`/`\clmrg` merge across, and
//! `\clvmgf`/`\clvmrg` down.

use crate::document::{Cell, Table, TableOrigin};

/// Edges closer than this (twips, 1/20 pt) are the same column line.
const EDGE_TOL: i32 = 30;
/// More columns than this are not a statistics table; the grid builder clamps to it.
const MAX_COLS: usize = 256;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Merge {
    #[default]
    None,
    First,
    Cont,
}

/// A cell's definition in the row's properties.
#[derive(Debug, Clone, Copy, Default)]
pub struct CellDef {
    pub right: i32,
    pub vmerge: Merge,
    pub hmerge: Merge,
}

/// A row: its definition (left edge `\trleft`, cells) and the texts of its cells.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub left: i32,
    pub cells: Vec<CellDef>,
    pub texts: Vec<String>,
}

/// A cell placed in the table's columns.
struct Placed {
    c0: usize,
    c1: usize,
    text: String,
    vmerge: Merge,
}

/// Builds the grid of a table's rows.
pub fn build_table(rows: &[Row]) -> Table {
    let edged: Vec<Vec<(i32, i32, &str, CellDef)>> = rows.iter().map(row_edges).collect();
    let mut edges: Vec<i32> = edged
        .iter()
        .flatten()
        .flat_map(|(l, r, _, _)| [*l, *r])
        .collect();
    edges.sort_unstable();
    edges.dedup_by(|b, a| (*b - *a).abs() <= EDGE_TOL);
    edges.truncate(MAX_COLS + 1);
    let col_of = |x: i32| -> usize {
        let mut best = 0;
        for (i, e) in edges.iter().enumerate() {
            if (e - x).abs() < (edges[best] - x).abs() {
                best = i;
            }
        }
        best
    };
    let ncols = edges.len().saturating_sub(1).max(1);
    // Cells placed, horizontal merges joined.
    let mut placed: Vec<Vec<Placed>> = Vec::with_capacity(rows.len());
    for row in &edged {
        let mut out: Vec<Placed> = Vec::new();
        for &(l, r, text, def) in row {
            let c0 = col_of(l).min(ncols - 1);
            let c1 = col_of(r).saturating_sub(1).max(c0).min(ncols - 1);
            if def.hmerge == Merge::Cont {
                if let Some(prev) = out.last_mut() {
                    prev.c1 = prev.c1.max(c1);
                    join(&mut prev.text, text);
                    continue;
                }
            }
            out.push(Placed {
                c0,
                c1,
                text: text.to_string(),
                vmerge: def.vmerge,
            });
        }
        placed.push(out);
    }
    // Row spans: a merge's first cell spans the rows below that continue it.
    let mut spans: Vec<Vec<u32>> = placed.iter().map(|r| vec![1; r.len()]).collect();
    for r in 0..placed.len() {
        for k in 0..placed[r].len() {
            if placed[r][k].vmerge != Merge::First {
                continue;
            }
            let c0 = placed[r][k].c0;
            let mut n = 1;
            while placed
                .get(r + n)
                .is_some_and(|below| below.iter().any(|p| p.c0 == c0 && p.vmerge == Merge::Cont))
            {
                n += 1;
            }
            spans[r][k] = n as u32;
        }
    }
    // Walk each row's columns as the grid builder will: positions covered from above are
    // skipped, gaps get empty cells, continuation cells are left to the span above.
    let mut covered_until = vec![0usize; ncols];
    let mut grid_rows: Vec<Vec<Cell>> = Vec::with_capacity(placed.len());
    for (r, row) in placed.into_iter().enumerate() {
        let mut cells = Vec::new();
        let mut starts: Vec<Option<(Placed, u32)>> = (0..ncols).map(|_| None).collect();
        for (k, p) in row.into_iter().enumerate() {
            let c0 = p.c0;
            if starts[c0].is_none() {
                starts[c0] = Some((p, spans[r][k]));
            }
        }
        let mut c = 0;
        while c < ncols {
            if covered_until[c] > r {
                c += 1;
                continue;
            }
            match starts[c].take() {
                Some((p, _)) if p.vmerge == Merge::Cont => {
                    // A merge continued with nothing above to continue: an empty cell.
                    let width = p.c1 - p.c0 + 1;
                    let mut cell = Cell::new(p.text);
                    cell.col_span = width as u32;
                    cells.push(cell);
                    c += width;
                }
                Some((p, span)) => {
                    let width = p.c1 - p.c0 + 1;
                    for cov in covered_until.iter_mut().skip(c).take(width) {
                        *cov = r + span as usize;
                    }
                    let mut cell = Cell::new(p.text);
                    cell.col_span = width as u32;
                    cell.row_span = span;
                    cells.push(cell);
                    c += width;
                }
                None => {
                    cells.push(Cell::new(""));
                    c += 1;
                }
            }
        }
        grid_rows.push(cells);
    }
    Table::from_spanned_rows(grid_rows, TableOrigin::DocxTable, None)
}

/// Each cell's left and right edges with its text; texts beyond the definitions get a
/// nominal width, definitions beyond the texts an empty text.
fn row_edges(row: &Row) -> Vec<(i32, i32, &str, CellDef)> {
    let mut out = Vec::new();
    let mut left = row.left;
    let n = row.cells.len().max(row.texts.len());
    for i in 0..n {
        let def = row.cells.get(i).copied().unwrap_or(CellDef {
            right: left.saturating_add(1000),
            ..CellDef::default()
        });
        // A right edge left of the left one (a broken definition) still gets width.
        let right = if def.right > left {
            def.right
        } else {
            left.saturating_add(EDGE_TOL + 1)
        };
        let text = row.texts.get(i).map(String::as_str).unwrap_or("");
        out.push((left, right, text, def));
        left = right;
    }
    out
}

fn join(a: &mut String, b: &str) {
    if b.is_empty() {
        return;
    }
    if !a.is_empty() {
        a.push('\n');
    }
    a.push_str(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(right: i32, vmerge: Merge) -> CellDef {
        CellDef {
            right,
            vmerge,
            hmerge: Merge::None,
        }
    }

    #[test]
    fn vertical_merges_and_uneven_edges_make_one_grid() {
        let rows = vec![
            Row {
                left: 0,
                cells: vec![def(2000, Merge::First), def(6000, Merge::None)],
                texts: vec!["label".into(), "applicants".into()],
            },
            Row {
                left: 0,
                cells: vec![
                    def(2000, Merge::Cont),
                    def(4000, Merge::None),
                    def(6000, Merge::None),
                ],
                texts: vec!["".into(), "a".into(), "b".into()],
            },
        ];
        let t = build_table(&rows);
        assert_eq!(t.n_cols(), 3);
        assert_eq!(t.rows[0][0].row_span, 2);
        assert_eq!(t.rows[0][1].col_span, 2);
        assert_eq!(t.rows[1][0].continuation_of, Some((0, 0)));
        assert_eq!(t.shown_text(1, 1), "a");
        assert_eq!(t.shown_text(1, 2), "b");
    }
}
