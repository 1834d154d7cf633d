//! Grid detection: ruling lines by long-run morphology, clustered into row and column
//! lines; tables as connected groups of lines; merged cells from missing boundaries.

use super::grid_glyph_strokes::glyph_strokes_across_rulings;
use super::grid_seal::without_seal_strokes;
use super::prep::Bin;
use super::scale::WORK_GLYPH_PX;
use super::seal::{without_runs_inside, Seal};

/// A straight ruling segment. For a horizontal segment `pos` is its y and
/// `[start, end)` its x extent; for a vertical one `pos` is x and the extent is in y.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub pos: f32,
    pub start: usize,
    pub end: usize,
    pub thick: usize,
}

impl Segment {
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Sizes of ruling lines, as fractions of the picture's glyph height ([`super::scale`]):
/// the same on every picture, whatever its resolution.
#[derive(Debug, Clone, Copy)]
pub struct GridParams {
    /// Minimum run length of a ruling line: longer than any glyph stroke.
    pub min_len: usize,
    /// Gaps up to this long inside a run are closed (broken / faint lines).
    pub gap: usize,
    /// Lines thicker than this are not rulings: filled areas, glyph strokes, strongly
    /// curved strokes (a curve drifts across many scanlines).
    pub max_thick: usize,
    /// Positions closer than this are one line.
    pub tol: f32,
}

impl GridParams {
    /// For a picture whose glyphs are `glyph` pixels high. A ruling is longer than two
    /// glyphs (the vertical strokes of a label's two lines, joined over the gap between
    /// them, are not); thinner than half of one.
    pub fn for_glyph(glyph: f32) -> GridParams {
        GridParams {
            min_len: (glyph * 2.2) as usize,
            gap: ((glyph / 6.0) as usize).max(2),
            max_thick: ((glyph / 2.0) as usize).max(4),
            tol: (glyph / 3.0).max(3.0),
        }
    }
}

/// Long runs along rows (horizontal = true) or columns, closing short gaps and
/// tolerating ±1 px of residual skew; returns segments (runs merged across adjacent
/// scanlines).
pub fn find_segments(bin: &Bin, horizontal: bool, p: &GridParams) -> Vec<Segment> {
    let (n_lines, n_along) = bin.lines(horizontal);
    // Runs per scanline.
    let mut runs: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n_lines];
    for (line, out) in runs.iter_mut().enumerate() {
        let mut i = 0;
        while i < n_along {
            if !bin.get_along(horizontal, line, i) {
                i += 1;
                continue;
            }
            let start = i;
            let (end, ink) = bin.ink_run(horizontal, line, start, p.gap);
            let len = end - start;
            if len >= p.min_len && ink * 100 >= len * 80 {
                out.push((start, end));
            }
            i = end + 1;
        }
    }
    // Link runs of consecutive scanlines that overlap into segments.
    struct Open {
        seg_start: usize,
        seg_end: usize,
        first: usize,
        last: usize,
        wsum: f64,
        n: f64,
    }
    let mut open: Vec<Open> = Vec::new();
    let mut done: Vec<Open> = Vec::new();
    for (line, line_runs) in runs.iter().enumerate() {
        let mut next_open: Vec<Open> = Vec::new();
        let mut used = vec![false; open.len()];
        for &(s, e) in line_runs {
            let mut merged = false;
            for (k, o) in open.iter_mut().enumerate() {
                if used[k] {
                    continue;
                }
                if o.last + 1 >= line && s < o.seg_end && e > o.seg_start {
                    used[k] = true;
                    let len = (e - s) as f64;
                    next_open.push(Open {
                        seg_start: o.seg_start.min(s),
                        seg_end: o.seg_end.max(e),
                        first: o.first,
                        last: line,
                        wsum: o.wsum + line as f64 * len,
                        n: o.n + len,
                    });
                    merged = true;
                    break;
                }
            }
            if !merged {
                let len = (e - s) as f64;
                next_open.push(Open {
                    seg_start: s,
                    seg_end: e,
                    first: line,
                    last: line,
                    wsum: line as f64 * len,
                    n: len,
                });
            }
        }
        for (k, o) in open.into_iter().enumerate() {
            if !used[k] {
                done.push(o);
            }
        }
        open = next_open;
    }
    done.extend(open);
    done.into_iter()
        // A ruling crosses few scanlines: its width, and the drift of a residual skew
        // (under 0.3°). Strokes of glyphs stacked over each other, linked into one
        // run, wander over many more.
        .filter(|o| o.last - o.first < p.max_thick + (o.seg_end - o.seg_start) / 200)
        .map(|o| Segment {
            pos: (o.wsum / o.n) as f32,
            start: o.seg_start,
            end: o.seg_end,
            thick: o.last - o.first + 1,
        })
        .collect()
}

pub(super) fn crosses(h: &Segment, v: &Segment, tol: f32) -> bool {
    let t = tol as i64 + 2;
    let (hy, vx) = (h.pos as i64, v.pos as i64);
    vx >= h.start as i64 - t
        && vx <= h.end as i64 + t
        && hy >= v.start as i64 - t
        && hy <= v.end as i64 + t
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

/// One table's lines: horizontal and vertical segments that touch each other.
#[derive(Debug, Clone, Default)]
pub struct LineGroup {
    pub h: Vec<Segment>,
    pub v: Vec<Segment>,
}

/// Groups segments into tables (connected by crossings); groups with fewer than two
/// horizontal and two vertical lines are dropped (not a ruled table).
pub fn group_tables(h: &[Segment], v: &[Segment], tol: f32) -> Vec<LineGroup> {
    let n = h.len() + v.len();
    let mut parent: Vec<usize> = (0..n).collect();
    for (i, hs) in h.iter().enumerate() {
        for (j, vs) in v.iter().enumerate() {
            if crosses(hs, vs, tol) {
                union(&mut parent, i, h.len() + j);
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, LineGroup> = Default::default();
    for i in 0..n {
        let r = find(&mut parent, i);
        let g = groups.entry(r).or_default();
        if i < h.len() {
            g.h.push(h[i]);
        } else {
            g.v.push(v[i - h.len()]);
        }
    }
    let mut out: Vec<LineGroup> = groups
        .into_values()
        .filter(|g| g.h.len() >= 2 && g.v.len() >= 2)
        .collect();
    out.sort_by(|a, b| {
        let ya = a.h.iter().map(|s| s.pos).fold(f32::MAX, f32::min);
        let yb = b.h.iter().map(|s| s.pos).fold(f32::MAX, f32::min);
        ya.total_cmp(&yb)
    });
    out
}

/// Clusters positions (weighted by segment length) into line positions.
pub fn cluster_positions(mut items: Vec<(f32, f32)>, tol: f32) -> Vec<f32> {
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<f32> = Vec::new();
    let mut acc: Option<(f32, f32, f32)> = None; // (sum pos*w, sum w, last pos)
    for (p, w) in items {
        match acc {
            Some((s, ws, last)) if p - last <= tol => acc = Some((s + p * w, ws + w, p)),
            Some((s, ws, _)) => {
                out.push(s / ws);
                acc = Some((p * w, w, p));
            }
            None => acc = Some((p * w, w, p)),
        }
    }
    if let Some((s, ws, _)) = acc {
        out.push(s / ws);
    }
    out
}

/// A detected grid: line positions and, per grid position, the merged cell it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Row line y positions (n_rows + 1).
    pub ys: Vec<f32>,
    /// Column line x positions (n_cols + 1).
    pub xs: Vec<f32>,
    /// Merged cells as (row, col, row_span, col_span), row-major by anchor.
    pub cells: Vec<(usize, usize, usize, usize)>,
}

impl Grid {
    pub fn n_rows(&self) -> usize {
        self.ys.len().saturating_sub(1)
    }
    pub fn n_cols(&self) -> usize {
        self.xs.len().saturating_sub(1)
    }
    /// The median height of its rows in pixels: the size cell ink is judged by.
    pub fn median_row_height(&self) -> usize {
        let mut heights: Vec<usize> = self
            .ys
            .windows(2)
            .map(|w| (w[1] - w[0]).max(0.0) as usize)
            .collect();
        heights.sort_unstable();
        heights.get(heights.len() / 2).copied().unwrap_or(20)
    }

    /// Pixel box (x0, y0, x1, y1) of a merged cell.
    pub fn cell_box(&self, r: usize, c: usize, rs: usize, cs: usize) -> (f32, f32, f32, f32) {
        (self.xs[c], self.ys[r], self.xs[c + cs], self.ys[r + rs])
    }
}

/// Fraction of [a, b) covered by the union of segments' extents.
fn coverage(segs: &[&Segment], a: f32, b: f32) -> f32 {
    if b <= a {
        return 0.0;
    }
    let mut iv: Vec<(f32, f32)> = segs
        .iter()
        .map(|s| ((s.start as f32).max(a), (s.end as f32).min(b)))
        .filter(|(s, e)| e > s)
        .collect();
    iv.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut total = 0.0;
    let mut cur: Option<(f32, f32)> = None;
    for (s, e) in iv {
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = cur {
        total += ce - cs;
    }
    total / (b - a)
}

/// Builds the grid of one table: clustered line positions (plus the outer extent when
/// the border is missing), then merged cells from boundaries with no ruling.
pub fn build_grid(g: &LineGroup, tol: f32) -> Option<Grid> {
    let min_x = g.h.iter().map(|s| s.start as f32).fold(f32::MAX, f32::min);
    let max_x = g.h.iter().map(|s| s.end as f32).fold(0.0, f32::max);
    let min_y = g.v.iter().map(|s| s.start as f32).fold(f32::MAX, f32::min);
    let max_y = g.v.iter().map(|s| s.end as f32).fold(0.0, f32::max);
    let mut ys_items: Vec<(f32, f32)> = g.h.iter().map(|s| (s.pos, s.len() as f32)).collect();
    let mut xs_items: Vec<(f32, f32)> = g.v.iter().map(|s| (s.pos, s.len() as f32)).collect();
    // Open borders: the extent of the perpendicular lines is a virtual line.
    ys_items.push((min_y, 1.0));
    ys_items.push((max_y, 1.0));
    xs_items.push((min_x, 1.0));
    xs_items.push((max_x, 1.0));
    let min_gap = tol * 1.5;
    let ys = drop_close(cluster_positions(ys_items, tol), min_gap);
    let xs = drop_close(cluster_positions(xs_items, tol), min_gap);
    if ys.len() < 2 || xs.len() < 2 {
        return None;
    }
    let (nr, nc) = (ys.len() - 1, xs.len() - 1);
    if nr > 400 || nc > 100 {
        return None;
    }
    // Segments near each line.
    let near = |segs: &'_ [Segment], p: f32| -> Vec<Segment> {
        segs.iter()
            .filter(|s| (s.pos - p).abs() <= tol + s.thick as f32 / 2.0)
            .copied()
            .collect()
    };
    let vlines: Vec<Vec<Segment>> = xs.iter().map(|&x| near(&g.v, x)).collect();
    let hlines: Vec<Vec<Segment>> = ys.iter().map(|&y| near(&g.h, y)).collect();
    // right_open[r][c]: no ruling between (r,c) and (r,c+1); down_open likewise.
    let idx = |r: usize, c: usize| r * nc + c;
    let mut parent: Vec<usize> = (0..nr * nc).collect();
    for r in 0..nr {
        for c in 0..nc {
            if c + 1 < nc {
                let refs: Vec<&Segment> = vlines[c + 1].iter().collect();
                // Check the middle part of the boundary only (ends meet other lines).
                let (a, b) = (ys[r], ys[r + 1]);
                let m = (b - a) * 0.15;
                if coverage(&refs, a + m, b - m) < 0.5 {
                    union(&mut parent, idx(r, c), idx(r, c + 1));
                }
            }
            if r + 1 < nr {
                let refs: Vec<&Segment> = hlines[r + 1].iter().collect();
                let (a, b) = (xs[c], xs[c + 1]);
                let m = (b - a) * 0.15;
                if coverage(&refs, a + m, b - m) < 0.5 {
                    union(&mut parent, idx(r, c), idx(r + 1, c));
                }
            }
        }
    }
    // Bounding rectangles of components.
    let mut rect: std::collections::HashMap<usize, (usize, usize, usize, usize)> =
        Default::default();
    for r in 0..nr {
        for c in 0..nc {
            let k = find(&mut parent, idx(r, c));
            let e = rect.entry(k).or_insert((r, c, r, c));
            e.0 = e.0.min(r);
            e.1 = e.1.min(c);
            e.2 = e.2.max(r);
            e.3 = e.3.max(c);
        }
    }
    let mut taken = vec![false; nr * nc];
    let mut cells = Vec::new();
    for r in 0..nr {
        for c in 0..nc {
            if taken[idx(r, c)] {
                continue;
            }
            let k = find(&mut parent, idx(r, c));
            let (_, _, r1, c1) = rect.get(&k).copied().unwrap_or((r, c, r, c));
            // Extend only over positions not yet taken (keeps cells disjoint).
            let mut cs = 1;
            while c + cs <= c1 && !taken[idx(r, c + cs)] {
                cs += 1;
            }
            let mut rs = 1;
            'grow: while r + rs <= r1 {
                for cc in c..c + cs {
                    if taken[idx(r + rs, cc)] {
                        break 'grow;
                    }
                }
                rs += 1;
            }
            for rr in r..r + rs {
                for cc in c..c + cs {
                    taken[idx(rr, cc)] = true;
                }
            }
            cells.push((r, c, rs, cs));
        }
    }
    Some(Grid { ys, xs, cells })
}

/// The grid with column line `k` (an inner one) removed: the cells either side of it
/// in a row become one. `None` when they cannot (their row spans differ).
pub fn without_column_line(g: &Grid, k: usize) -> Option<Grid> {
    let nc = g.n_cols();
    if k == 0 || k >= nc {
        return None;
    }
    let to_new = |c: usize| if c >= k { c - 1 } else { c };
    // New extents (row, first col, row span, last col) of each old cell, merged when two
    // meet at the removed line.
    let mut merged: Vec<(usize, usize, usize, usize)> = Vec::new();
    for &(r, c, rs, cs) in &g.cells {
        let (c0, c1) = (to_new(c), to_new(c + cs - 1));
        match merged
            .iter_mut()
            .find(|m| m.0 < r + rs && r < m.0 + m.2 && m.1 <= c1 && c0 <= m.3)
        {
            Some(m) if m.0 == r && m.2 == rs => {
                m.1 = m.1.min(c0);
                m.3 = m.3.max(c1);
            }
            Some(_) => return None,
            None => merged.push((r, c0, rs, c1)),
        }
    }
    let mut cells: Vec<(usize, usize, usize, usize)> = merged
        .into_iter()
        .map(|(r, c0, rs, c1)| (r, c0, rs, c1 - c0 + 1))
        .collect();
    cells.sort_unstable();
    let mut xs = g.xs.clone();
    xs.remove(k);
    Some(Grid {
        ys: g.ys.clone(),
        xs,
        cells,
    })
}

/// Removes column lines that are drawn in fewer than half of a grid's rows and leave,
/// for half the cells they part or more, one side without ink once the rulings are erased:
/// not a ruling but a stroke across the table (the arc of a seal over it, whose ring
/// may ink a header cell), which would split a cell into a number and a blank (a blank
/// reads as zero). A real column's ruling runs the table's height, even where all its
/// cells are blank; a section's own columns (table 二) have header text on both sides.
pub fn drop_stray_column_lines(
    mut g: Grid,
    has_ink: impl Fn((f32, f32, f32, f32), usize) -> bool,
) -> Grid {
    let row_h = g.median_row_height();
    let mut k = 1;
    while k < g.n_cols() {
        let (nr, nc) = (g.n_rows(), g.n_cols());
        let mut at = vec![usize::MAX; nr * nc];
        for (i, &(r, c, rs, cs)) in g.cells.iter().enumerate() {
            for rr in r..r + rs {
                for cc in c..c + cs {
                    at[rr * nc + cc] = i;
                }
            }
        }
        // Rows where the line is drawn, and the pairs of cells it parts there.
        let mut drawn = 0;
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for r in 0..nr {
            let (left, right) = (at[r * nc + k - 1], at[r * nc + k]);
            if left != right && left != usize::MAX && right != usize::MAX {
                drawn += 1;
                if !pairs.contains(&(left, right)) {
                    pairs.push((left, right));
                }
            }
        }
        let inked = |i: usize| {
            let (cr, cc, rs, cs) = g.cells[i];
            has_ink(g.cell_box(cr, cc, rs, cs), row_h)
        };
        let one_sided = pairs
            .iter()
            .filter(|&&(l, r)| !(inked(l) && inked(r)))
            .count();
        let stray = drawn * 2 < nr && one_sided > 0 && one_sided * 2 >= pairs.len();
        match stray.then(|| without_column_line(&g, k)).flatten() {
            Some(merged) => g = merged,
            None => k += 1,
        }
    }
    g
}

/// Drops positions closer than `min_gap` to the previous one (double rulings).
fn drop_close(v: Vec<f32>, min_gap: f32) -> Vec<f32> {
    let mut out: Vec<f32> = Vec::new();
    for p in v {
        match out.last_mut() {
            Some(last) if p - *last < min_gap => *last = (*last + p) / 2.0,
            _ => out.push(p),
        }
    }
    out
}

/// Full grid detection on a binary image: all ruled tables, top to bottom.
pub fn detect_grids(bin: &Bin) -> Vec<Grid> {
    detect_grids_and_rulings(bin, WORK_GLYPH_PX, &[]).0
}

/// [`detect_grids`], with the segments that are the grids' rulings: (grids,
/// horizontal, vertical). Other long runs (strokes of a bold title) are left out.
pub fn detect_grids_and_rulings(
    bin: &Bin,
    glyph: f32,
    seals: &[Seal],
) -> (Vec<Grid>, Vec<Segment>, Vec<Segment>) {
    let p = GridParams::for_glyph(glyph);
    let segments = |horizontal: bool| {
        if seals.is_empty() {
            find_segments(bin, horizontal, &p)
        } else {
            let clear = without_runs_inside(bin, seals, horizontal, p.gap);
            find_segments(&clear, horizontal, &p)
        }
    };
    let (h, mut v) = without_seal_strokes(segments(true), segments(false), seals, p.tol);
    v.retain(|s| {
        let drop = glyph_strokes_across_rulings(bin, s, &h, &p);
        if drop {
            ocr_trace!(
                "glyph strokes dropped: x {} y {}..{} thick {}",
                s.pos,
                s.start,
                s.end,
                s.thick
            );
        }
        !drop
    });
    let usable =
        |g: &Grid| g.n_rows() >= 1 && g.n_cols() >= 1 && !(g.n_rows() == 1 && g.n_cols() == 1);
    let mut grids: Vec<Grid> = Vec::new();
    for mut group in group_tables(&h, &v, p.tol) {
        let Some(mut g) = build_grid(&group, p.tol) else {
            continue;
        };
        // Column lines too short for a ruling: those of a short piece of a table
        // spanning two rows, then those of its first or last row alone. Each set found
        // rebuilds the grid with them.
        for end_rows in [false, true] {
            let extra = match (end_rows, g.n_rows()) {
                (false, 2..=3) => short_column_lines(bin, &g, &p),
                (true, 2..) => end_row_column_lines(bin, &g, &p, glyph),
                _ => Vec::new(),
            };
            if extra.is_empty() {
                continue;
            }
            group.v.extend(extra.iter().copied());
            if let Some(again) = build_grid(&group, p.tol) {
                ocr_trace!("short column lines: {:?}", extra);
                v.extend(extra);
                g = again;
            }
        }
        if usable(&g) {
            grids.push(g);
        }
    }
    // A table's last row alone at the top of a page has column lines shorter than a
    // ruling's minimum: looked for between the two rulings left over.
    let spare: Vec<Segment> = h
        .iter()
        .filter(|s| !grids.iter().any(|g| on_grid_line(s, &g.ys, &g.xs, p.tol)))
        .copied()
        .collect();
    for (top, bottom, cols) in one_row_bands(bin, &spare, glyph, &p) {
        let group = LineGroup {
            h: vec![top, bottom],
            v: cols.clone(),
        };
        if let Some(g) = build_grid(&group, p.tol).filter(usable) {
            v.extend(cols);
            grids.push(g);
        }
    }
    grids.sort_by(|a, b| {
        let (ya, yb) = (a.ys.first().copied(), b.ys.first().copied());
        ya.unwrap_or(0.0).total_cmp(&yb.unwrap_or(0.0))
    });
    let tol = p.tol;
    // On one of a grid's lines and within its extent.
    let h = h
        .into_iter()
        .filter(|s| grids.iter().any(|g| on_grid_line(s, &g.ys, &g.xs, tol)))
        .collect();
    let v = v
        .into_iter()
        .filter(|s| grids.iter().any(|g| on_grid_line(s, &g.xs, &g.ys, tol)))
        .collect();
    (grids, h, v)
}

/// True when `s` lies on one of `lines` within the extent of `across` (with `tol`).
fn on_grid_line(s: &Segment, lines: &[f32], across: &[f32], tol: f32) -> bool {
    let (Some(&a), Some(&b)) = (across.first(), across.last()) else {
        return false;
    };
    lines.iter().any(|&l| (s.pos - l).abs() <= tol)
        && s.start as f32 >= a - tol
        && s.end as f32 <= b + tol
}

/// Bands of one table row: two long horizontal rulings (`h`, none of a grid), one above
/// the other at a row's height (too close for column lines of [`GridParams::min_len`]),
/// with nothing ruled between them, and at least three column lines joining them: ink
/// down a column from ruling to ruling, at most a ruling's thickness wide. Strokes of
/// text do not touch both rulings of a padded cell.
fn one_row_bands(
    bin: &Bin,
    h: &[Segment],
    glyph: f32,
    p: &GridParams,
) -> Vec<(Segment, Segment, Vec<Segment>)> {
    // A ruling broken in pieces (a seal, a faint stretch) is one line again.
    let mut pieces: Vec<Segment> = h.to_vec();
    pieces.sort_by_key(|s| s.start);
    let mut joined: Vec<Segment> = Vec::new();
    for s in pieces {
        let same = joined.iter_mut().find(|j| {
            (j.pos - s.pos).abs() <= p.tol && s.start <= j.end + glyph as usize && s.end >= j.start
        });
        match same {
            Some(j) => {
                let (a, b) = (j.len() as f32, s.len() as f32);
                j.pos = (j.pos * a + s.pos * b) / (a + b).max(1.0);
                j.start = j.start.min(s.start);
                j.end = j.end.max(s.end);
                j.thick = j.thick.max(s.thick);
            }
            None => joined.push(s),
        }
    }
    let mut h: Vec<&Segment> = joined
        .iter()
        .filter(|s| s.len() as f32 >= glyph * 8.0)
        .collect();
    h.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    let mut out = Vec::new();
    for (i, top) in h.iter().enumerate() {
        let Some(bottom) = h[i + 1..]
            .iter()
            .find(|b| b.start < top.end && top.start < b.end && b.pos - top.pos > p.tol)
        else {
            continue;
        };
        let height = bottom.pos - top.pos;
        let (x0, x1) = (top.start.max(bottom.start), top.end.min(bottom.end));
        if height < glyph * 0.6 || height >= p.min_len as f32 || x1 < x0 + (glyph * 8.0) as usize {
            continue;
        }
        let y0 = (top.pos - top.thick as f32 / 2.0).max(0.0) as usize;
        let y1 = ((bottom.pos + bottom.thick as f32 / 2.0) as usize + 1).min(bin.h);
        let cols = column_lines_between(bin, (x0, y0, x1, y1), p);
        if cols.len() >= 3 {
            out.push((**top, **bottom, cols));
        }
    }
    out
}

/// Column lines inside box `b` that join its top to its bottom: ink down a column over
/// nine tenths of the height, no gap longer than a ruling's, at most a ruling's
/// thickness wide.
fn column_lines_between(
    bin: &Bin,
    b: (usize, usize, usize, usize),
    p: &GridParams,
) -> Vec<Segment> {
    let (x0, y0, x1, y1) = b;
    let x1 = x1.min(bin.w);
    let joins = |x: usize| {
        let (mut gap, mut ink) = (0usize, 0usize);
        for y in y0..y1 {
            if bin.get(x, y) {
                ink += 1;
                gap = 0;
            } else {
                gap += 1;
                if gap > p.gap {
                    return false;
                }
            }
        }
        ink * 10 >= (y1 - y0) * 9
    };
    let mut cols: Vec<Segment> = Vec::new();
    let mut run: Option<usize> = None;
    for x in x0..=x1 {
        match (x < x1 && joins(x), run) {
            (true, None) => run = Some(x),
            (false, Some(start)) => {
                run = None;
                if x - start <= p.max_thick {
                    cols.push(Segment {
                        pos: (start + x - 1) as f32 / 2.0,
                        start: y0,
                        end: y1,
                        thick: x - start,
                    });
                }
            }
            _ => {}
        }
    }
    cols
}

/// Column lines of a short piece of a table (two or three rows: a section of table 二,
/// the head of a table cut by a page) that span two of its rows, too short for
/// [`GridParams::min_len`] and not yet among the grid's `xs`. Two rows high, they are no
/// strokes of text.
fn short_column_lines(bin: &Bin, g: &Grid, p: &GridParams) -> Vec<Segment> {
    let bands: Vec<(f32, f32)> = g.ys.windows(3).map(|w| (w[0], w[2])).collect();
    new_column_lines_in(bin, g, p, &bands, |_| true)
}

/// Column lines joining the top to the bottom of each band `(y0, y1)` of grid `g`, within
/// its outer columns, that are not yet among its `xs` and that `keep` accepts.
fn new_column_lines_in(
    bin: &Bin,
    g: &Grid,
    p: &GridParams,
    bands: &[(f32, f32)],
    keep: impl Fn(&Segment) -> bool,
) -> Vec<Segment> {
    let (Some(&x0), Some(&x1)) = (g.xs.first(), g.xs.last()) else {
        return Vec::new();
    };
    let mut out: Vec<Segment> = Vec::new();
    for &(top, bottom) in bands {
        let (y0, y1) = (top.max(0.0) as usize, (bottom as usize + 1).min(bin.h));
        let b = (
            x0 as usize + p.max_thick,
            y0,
            (x1 as usize).saturating_sub(p.max_thick),
            y1,
        );
        for line in column_lines_between(bin, b, p) {
            let known = g.xs.iter().chain(out.iter().map(|s| &s.pos));
            if known.clone().all(|&x| (x - line.pos).abs() > p.tol) && keep(&line) {
                out.push(line);
            }
        }
    }
    out
}

/// Column lines of a grid's first or last row only: a table's row cut off by a page
/// (行政规范性文件 with its three values at the top of the next page, under a table
/// ruled for one value) keeps its own column lines, one row high, too short for
/// [`GridParams::min_len`]. One row high, ink from ruling to ruling could be a stroke of
/// text; a column line also has paper on both sides ([`paper_beside`]).
fn end_row_column_lines(bin: &Bin, g: &Grid, p: &GridParams, glyph: f32) -> Vec<Segment> {
    if g.ys.len() < 2 {
        return Vec::new();
    }
    let last = g.n_rows() - 1;
    let bands = [(g.ys[0], g.ys[1]), (g.ys[last], g.ys[last + 1])];
    new_column_lines_in(bin, g, p, &bands, |line| paper_beside(bin, line, glyph))
}

/// True when a third of a glyph either side of column line `s` (two pixels off its
/// edges, for a skewed line's steps) is paper over the middle three fifths of its
/// height: a stroke of a character has the rest of the character beside it, a digit's
/// stem its flag or foot, and a cell's text keeps a padding from its column lines.
fn paper_beside(bin: &Bin, s: &Segment, glyph: f32) -> bool {
    let w = ((glyph / 3.0) as usize).max(2);
    let h = s.end.saturating_sub(s.start);
    let (y0, y1) = (s.start + h / 5, (s.end - h / 5).min(bin.h));
    let half = s.thick.div_ceil(2) + 2;
    let centre = s.pos.round() as usize;
    let sides = [
        (centre.saturating_sub(half + w), centre.saturating_sub(half)),
        (
            (centre + half + 1).min(bin.w),
            (centre + half + 1 + w).min(bin.w),
        ),
    ];
    sides.iter().all(|&(a, b)| {
        let area = (b - a) * (y1.saturating_sub(y0));
        let ink = (y0..y1)
            .flat_map(|y| (a..b).map(move |x| (x, y)))
            .filter(|&(x, y)| bin.get(x, y))
            .count();
        area > 0 && ink * 50 <= area
    })
}

/// The segments without the strokes of seals.
///
/// Clears the ink of ruling segments, and of what sticks to their sides within two
/// pixels (the steps a rotated, faint line leaves): cells are then read without the
/// stubs of their borders, which a residual skew pushes inside them.
pub fn erase_rulings(bin: &mut Bin, horizontal: &[Segment], vertical: &[Segment]) {
    let margin = 2.0;
    let span = |s: &Segment, limit: usize| {
        let half = s.thick as f32 / 2.0 + margin;
        let a = (s.pos - half).floor().max(0.0) as usize;
        let b = ((s.pos + half).ceil().max(0.0) as usize + 1).min(limit);
        (a, b)
    };
    for s in horizontal {
        let (y0, y1) = span(s, bin.h);
        let (x0, x1) = (s.start.min(bin.w), s.end.min(bin.w));
        for y in y0..y1 {
            bin.px[y * bin.w + x0..y * bin.w + x1].fill(false);
        }
    }
    for s in vertical {
        let (x0, x1) = span(s, bin.w);
        for y in s.start.min(bin.h)..s.end.min(bin.h) {
            bin.px[y * bin.w + x0..y * bin.w + x1].fill(false);
        }
    }
}

#[cfg(test)]
#[path = "grid_tests.rs"]
mod tests;
