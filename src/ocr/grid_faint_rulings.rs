//! Rulings too pale for the binary image: a blurred screenshot's thin rule between two
//! rows of a value column, greyed to a third of the ink's darkness, leaves no segment
//! long enough to close the boundary, and the grid merges the two cells (two stacked
//! zeros then read as nothing, and the row has a value cell too few). The grey still
//! shows the rule: a thin line darker than the paper along the whole boundary, with
//! paper just above and below it, which text crossing the boundary never is.

use super::grid::Grid;
use image::GrayImage;

/// Darker than the cell's paper by this many grey levels is ink (a blurred 1-px rule
/// at 100 dpi is 50-60 levels under the paper, JPEG noise on paper under 15).
const DARKER: f32 = 25.0;

/// Share of the boundary's middle that must be dark for a rule, and share of the
/// rows a few pixels off it that must be paper.
const DARK_ALONG: f32 = 0.9;
const PAPER_BESIDE: f32 = 0.7;

/// `g` with its merged cells split where the grey shows a rule along an inner
/// boundary of theirs ([`rule_along`]).
pub(crate) fn split_at_faint_rulings(g: Grid, gray: &GrayImage) -> Grid {
    if g.cells.iter().all(|&(_, _, rs, cs)| rs == 1 && cs == 1) {
        return g;
    }
    let mut cells = Vec::with_capacity(g.cells.len());
    for &(r, c, rs, cs) in &g.cells {
        if rs == 1 && cs == 1 {
            cells.push((r, c, rs, cs));
            continue;
        }
        let paper = paper_of(gray, &g, (r, c, rs, cs));
        // Rows first: a rule across the whole cell between two of its rows.
        let mut row_cuts = vec![r];
        for k in r + 1..r + rs {
            if rule_along(gray, g.ys[k], (g.xs[c], g.xs[c + cs]), paper, true) {
                row_cuts.push(k);
            }
        }
        row_cuts.push(r + rs);
        for rows in row_cuts.windows(2) {
            let (r0, r1) = (rows[0], rows[1]);
            let mut col_cuts = vec![c];
            for k in c + 1..c + cs {
                if rule_along(gray, g.xs[k], (g.ys[r0], g.ys[r1]), paper, false) {
                    col_cuts.push(k);
                }
            }
            col_cuts.push(c + cs);
            for cols in col_cuts.windows(2) {
                cells.push((r0, cols[0], r1 - r0, cols[1] - cols[0]));
            }
        }
    }
    cells.sort_unstable();
    Grid { cells, ..g }
}

/// The paper's grey in cell `(r, c, rs, cs)`: the median of its inner pixels.
fn paper_of(gray: &GrayImage, g: &Grid, (r, c, rs, cs): (usize, usize, usize, usize)) -> f32 {
    let (x0, y0, x1, y1) = g.cell_box(r, c, rs, cs);
    let (w, h) = (gray.width() as f32, gray.height() as f32);
    let (x0, x1) = (
        (x0 + 3.0).clamp(0.0, w) as u32,
        (x1 - 3.0).clamp(0.0, w) as u32,
    );
    let (y0, y1) = (
        (y0 + 3.0).clamp(0.0, h) as u32,
        (y1 - 3.0).clamp(0.0, h) as u32,
    );
    let mut hist = [0u32; 256];
    let mut n = 0u32;
    // Every other pixel each way: the median of a cell needs no more.
    for y in (y0..y1).step_by(2) {
        for x in (x0..x1).step_by(2) {
            hist[gray.get_pixel(x, y).0[0] as usize] += 1;
            n += 1;
        }
    }
    let mut acc = 0;
    for (v, k) in hist.iter().enumerate() {
        acc += k;
        if acc * 2 >= n.max(1) {
            return v as f32;
        }
    }
    255.0
}

/// True when the grey shows a rule at `at` (a y when `horizontal`, else an x) along
/// `span` (its middle 70 %): the darkest of the pixels within 2 of it is darker than
/// `paper` along [`DARK_ALONG`] of it, and 6 pixels off it on both sides is paper
/// along [`PAPER_BESIDE`] of it (a text line crossing the boundary is dark there too).
fn rule_along(gray: &GrayImage, at: f32, span: (f32, f32), paper: f32, horizontal: bool) -> bool {
    let (a, b) = span;
    let m = (b - a) * 0.15;
    let (a, b) = ((a + m).max(0.0) as i64, (b - m).max(0.0) as i64);
    let (w, h) = (i64::from(gray.width()), i64::from(gray.height()));
    let along_len = if horizontal { w } else { h };
    let across_len = if horizontal { h } else { w };
    let at = at.round() as i64;
    if b <= a + 4 || at < 7 || at + 7 >= across_len || b > along_len {
        return false;
    }
    let px = |along: i64, across: i64| -> f32 {
        let (x, y) = if horizontal {
            (along, across)
        } else {
            (across, along)
        };
        f32::from(gray.get_pixel(x as u32, y as u32).0[0])
    };
    let ink = paper - DARKER;
    let (mut dark, mut beside, mut n) = (0usize, 0usize, 0usize);
    for t in a..b {
        n += 1;
        let core = (at - 2..=at + 2).map(|s| px(t, s)).fold(f32::MAX, f32::min);
        dark += usize::from(core < ink);
        beside += usize::from(px(t, at - 6) >= ink && px(t, at + 6) >= ink);
    }
    n > 0 && dark as f32 >= DARK_ALONG * n as f32 && beside as f32 >= PAPER_BESIDE * n as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// Paper 245 with a 2-row by 2-column grid of 60 px cells, every cell boundary
    /// a rule of grey `rule` one pixel wide.
    fn page(rule: u8) -> GrayImage {
        let mut img = GrayImage::from_pixel(160, 160, Luma([245]));
        for at in [20u32, 80, 140] {
            for t in 20..=140 {
                img.put_pixel(t, at, Luma([rule]));
                img.put_pixel(at, t, Luma([rule]));
            }
        }
        img
    }

    fn grid(cells: Vec<(usize, usize, usize, usize)>) -> Grid {
        Grid {
            ys: vec![20.0, 80.0, 140.0],
            xs: vec![20.0, 80.0, 140.0],
            cells,
        }
    }

    #[test]
    fn a_pale_rule_the_grid_merged_over_splits_the_cell() {
        // The grid merged column 1's two rows: the rule between them is pale (200 on
        // 245 paper), but the grey shows it.
        let g = grid(vec![(0, 0, 1, 1), (0, 1, 2, 1), (1, 0, 1, 1)]);
        let split = split_at_faint_rulings(g, &page(200));
        assert_eq!(
            split.cells,
            vec![(0, 0, 1, 1), (0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 1, 1)]
        );
    }

    #[test]
    fn a_merged_cell_without_a_rule_or_with_text_across_it_stays_merged() {
        let merged = vec![(0, 0, 1, 1), (0, 1, 2, 1), (1, 0, 1, 1)];
        // No rule at all between the rows (paper there).
        let mut img = page(200);
        for x in 81..140 {
            img.put_pixel(x, 80, Luma([245]));
        }
        let g = split_at_faint_rulings(grid(merged.clone()), &img);
        assert_eq!(g.cells, merged);
        // A line of text centred on the boundary: dark along it, but dark above and
        // below it too, which a rule is not.
        for y in 70..90 {
            for x in 81..140 {
                if x % 13 != 0 {
                    img.put_pixel(x, y, Luma([40]));
                }
            }
        }
        let g = split_at_faint_rulings(grid(merged.clone()), &img);
        assert_eq!(g.cells, merged);
    }
}
