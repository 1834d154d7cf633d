//! Round seals on a picture, found by their ring.
//!
//! A red seal is made white before binarisation ([`super::prep::to_gray_without_seal`]),
//! but a greyscale scan prints it as grey ink as dark as the text's, and a seal pressed
//! over a table then draws lines of its own: the ring's extremes are short straight runs
//! (a vertical at its left and right, a horizontal at its top and bottom) and the star's
//! upper arms a horizontal edge. Those split cells into columns and rows the table does
//! not have. Government seals are round, so the ring is found as a circle: a Hough vote
//! of the ink's edges for the centres they face, then a check that ink runs round at one
//! radius, far more than just inside or outside it.
//!
//! Sizes are fractions of the picture's glyph height: an official seal is 38–50 mm
//! across, and the glyphs of a report's tables and text 3–6 mm high.

use super::prep::{downscale, Bin};

/// A round seal: the centre and the middle radius of its ring, and the ring's thickness
/// (pixels of the picture it was found in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seal {
    pub cx: f32,
    pub cy: f32,
    pub r: f32,
    pub thick: f32,
}

impl Seal {
    /// The radius of the ring's outer edge.
    pub fn outer(&self) -> f32 {
        self.r + self.thick / 2.0
    }

    /// Whether the point lies within the ring's outer edge plus `margin`.
    pub fn covers(&self, x: f32, y: f32, margin: f32) -> bool {
        let (dx, dy) = (x - self.cx, y - self.cy);
        (dx * dx + dy * dy).sqrt() <= self.outer() + margin
    }

    /// Half the width of the band of the ring that is erased: its measured ink and
    /// [`FRINGE`] of its thickness either side, with a pixel to spare.
    pub fn erased_half_band(&self) -> f32 {
        self.thick / 2.0 + self.thick * FRINGE + 1.0
    }

    /// Whether the point lies on the ring (within `margin` of its ink).
    pub fn on_ring(&self, x: f32, y: f32, margin: f32) -> bool {
        let (dx, dy) = (x - self.cx, y - self.cy);
        ((dx * dx + dy * dy).sqrt() - self.r).abs() <= self.thick / 2.0 + margin
    }
}

/// The band of a ring that is erased: its measured ink and this share of its thickness
/// either side, the grey fringe a blur leaves.
const FRINGE: f32 = 0.3;

/// Clears the ink of the seals' rings from `bin` within the box (x0, y0, x1, y1): a
/// table's cells are read without the arc (a "0" beside an arc reads "07"). Text lines
/// keep it: a date under the ring reads better whole than cut.
pub fn erase_rings(bin: &mut Bin, seals: &[Seal], within: (f32, f32, f32, f32)) {
    for seal in seals {
        let half = seal.erased_half_band();
        let reach = seal.r + half + 1.0;
        let clamp = |v: f32, n: usize| (v.max(0.0) as usize).min(n);
        let x0 = clamp((seal.cx - reach).max(within.0), bin.w);
        let x1 = clamp((seal.cx + reach + 1.0).min(within.2), bin.w);
        let y0 = clamp((seal.cy - reach).max(within.1), bin.h);
        let y1 = clamp((seal.cy + reach + 1.0).min(within.3), bin.h);
        for y in y0..y1 {
            for x in x0..x1 {
                let d = (x as f32 + 0.5 - seal.cx).hypot(y as f32 + 0.5 - seal.cy);
                if (d - seal.r).abs() <= half {
                    bin.set(x, y, false);
                }
            }
        }
    }
}

/// Whether ink of `bin` in the box (x0, y0, x1, y1) borders a ring erased by
/// [`erase_rings`]: a glyph the ring crossed, which lost the strokes under it and may
/// read as another.
pub fn cut_by_ring(
    bin: &Bin,
    (x0, y0, x1, y1): (usize, usize, usize, usize),
    seals: &[Seal],
) -> bool {
    seals.iter().any(|seal| {
        let half = seal.erased_half_band();
        let (near, far) = (seal.r - half - 2.0, seal.r + half + 2.0);
        (y0..y1.min(bin.h)).any(|y| {
            (x0..x1.min(bin.w)).any(|x| {
                let d = (x as f32 + 0.5 - seal.cx).hypot(y as f32 + 0.5 - seal.cy);
                bin.get(x, y) && d >= near && d <= far
            })
        })
    })
}

/// `bin` without the runs of ink (along rows when `horizontal`, else along columns) that
/// lie wholly within a seal's ring: its star and its characters, whose filled strokes
/// would join a ruling under them into one thick stroke that is no line. A ruling that
/// crosses the seal runs out of it (over gaps up to `gap` pixels) and stays whole.
pub fn without_runs_inside(bin: &Bin, seals: &[Seal], horizontal: bool, gap: usize) -> Bin {
    let mut out = bin.clone();
    let (n_lines, n_along) = bin.lines(horizontal);
    let at = |line: usize, i: usize| bin.get_along(horizontal, line, i);
    for seal in seals {
        let inner = seal.r - seal.thick / 2.0 - 1.0;
        let (c_line, c_along) = if horizontal {
            (seal.cy, seal.cx)
        } else {
            (seal.cx, seal.cy)
        };
        let first = (c_line - inner).ceil().max(0.0) as usize;
        let last = ((c_line + inner).floor().max(0.0) as usize).min(n_lines.saturating_sub(1));
        for line in first..=last {
            let half = (inner * inner - (line as f32 - c_line).powi(2))
                .max(0.0)
                .sqrt();
            let (lo, hi) = (c_along - half, c_along + half);
            let mut i = (lo.max(0.0) as usize).min(n_along);
            let end = ((hi.max(0.0) as usize) + 1).min(n_along);
            // Runs that start inside the chord; one that starts before it is a ruling's.
            while i < end {
                if !at(line, i) {
                    i += 1;
                    continue;
                }
                let start = i;
                let (run_end, _) = bin.ink_run(horizontal, line, start, gap);
                let run_starts_inside = start as f32 >= lo
                    && !(start.saturating_sub(gap + 1)..start).any(|k| at(line, k));
                if run_starts_inside && (run_end - 1) as f32 <= hi {
                    for k in start..run_end {
                        out.set_along(horizontal, line, k, false);
                    }
                }
                i = run_end;
            }
        }
    }
    out
}

/// Whether a seal's ring passes through the box (x0, y0, x1, y1).
pub fn ring_crosses(seals: &[Seal], (x0, y0, x1, y1): (usize, usize, usize, usize)) -> bool {
    let (x0, y0, x1, y1) = (x0 as f32, y0 as f32, x1 as f32, y1 as f32);
    if x1 <= x0 || y1 <= y0 {
        return false;
    }
    seals.iter().any(|seal| {
        // Nearest and farthest points of the box from the centre.
        let near_x = seal.cx.clamp(x0, x1) - seal.cx;
        let near_y = seal.cy.clamp(y0, y1) - seal.cy;
        let far_x = (x0 - seal.cx).abs().max((x1 - seal.cx).abs());
        let far_y = (y0 - seal.cy).abs().max((y1 - seal.cy).abs());
        let half = seal.thick / 2.0;
        near_x.hypot(near_y) <= seal.r + half && far_x.hypot(far_y) >= seal.r - half
    })
}

/// Ring radii searched, in glyph heights: a 38-mm seal beside 6-mm glyphs to a 50-mm
/// one beside 3-mm glyphs, with a margin either side.
const MIN_RADIUS_GLYPHS: f32 = 2.5;
const MAX_RADIUS_GLYPHS: f32 = 10.0;

/// Angles the ring is sampled at.
const ANGLES: usize = 360;

/// Share of the angles at which a seal's ring shows ink. A stamp's ink is uneven and a
/// scan fades it, so gaps are allowed; what else shows ink round a circle (text, a
/// table's rulings) leaves far more angles blank at any one radius.
const MIN_RING_COVERAGE: f32 = 0.7;

/// How much more of the ring is inked than of the circles a glyph's height inside and
/// outside it: a ring is a line, a dense text block is ink at every radius.
const MIN_RING_CONTRAST: f32 = 0.35;

/// Most seals looked for on one picture.
const MAX_SEALS: usize = 3;

/// Round seals on `bin`, whose glyphs are `glyph` pixels high.
pub fn find_seals(bin: &Bin, glyph: f32) -> Vec<Seal> {
    if bin.w < 16 || bin.h < 16 || glyph < 4.0 {
        return Vec::new();
    }
    // The vote runs on a map about a quarter of a glyph per cell: the ring stays a line
    // of a cell or two, and a page costs a few million votes.
    let f = ((glyph / 4.0).round() as usize).max(1);
    let density = ink_density(bin, f);
    let (w, h) = (bin.w.div_ceil(f), bin.h.div_ceil(f));
    let (r_min, r_max) = (
        (glyph * MIN_RADIUS_GLYPHS / f as f32).max(4.0),
        glyph * MAX_RADIUS_GLYPHS / f as f32,
    );
    let votes = vote_centres(&density, w, h, r_min as usize, r_max.ceil() as usize);
    let small = downscale(bin, f);
    let mut seals: Vec<Seal> = Vec::new();
    let mut taken: Vec<(f32, f32)> = Vec::new();
    // The strongest centres, each checked on the full picture; a seal's votes form one
    // peak, and text or a grid's crossings give weaker, scattered ones.
    for (cx, cy) in peaks(&votes, w, h, r_min, 2 * MAX_SEALS) {
        if taken.iter().any(|&(x, y)| (x - cx).hypot(y - cy) < r_min) {
            continue;
        }
        taken.push((cx, cy));
        let Some((centre, r)) = best_circle(&small, (cx, cy), (r_min, r_max)) else {
            continue;
        };
        let to_full = |v: f32| (v + 0.5) * f as f32;
        let centre = (to_full(centre.0), to_full(centre.1));
        if let Some(seal) = ring_at(bin, centre, r * f as f32, f as f32, glyph) {
            if !seals
                .iter()
                .any(|s| (s.cx - seal.cx).hypot(s.cy - seal.cy) < s.r)
            {
                seals.push(seal);
            }
        }
        if seals.len() == MAX_SEALS {
            break;
        }
    }
    seals
}

/// Ink per `f`×`f` block, 0–1, smoothed over 3×3 blocks.
fn ink_density(bin: &Bin, f: usize) -> Vec<f32> {
    let (w, h) = (bin.w.div_ceil(f), bin.h.div_ceil(f));
    let mut d = vec![0f32; w * h];
    for y in 0..bin.h {
        let row = &bin.px[y * bin.w..(y + 1) * bin.w];
        for (x, &ink) in row.iter().enumerate() {
            if ink {
                d[(y / f) * w + x / f] += 1.0;
            }
        }
    }
    let area = (f * f) as f32;
    let mut s = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            for yy in y.saturating_sub(1)..(y + 2).min(h) {
                for xx in x.saturating_sub(1)..(x + 2).min(w) {
                    sum += d[yy * w + xx];
                }
            }
            s[y * w + x] = sum / (9.0 * area);
        }
    }
    s
}

/// Hough votes for circle centres: every edge of the density map votes along its
/// gradient, both ways, at each radius in [r_min, r_max].
fn vote_centres(d: &[f32], w: usize, h: usize, r_min: usize, r_max: usize) -> Vec<u32> {
    let mut acc = vec![0u32; w * h];
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let at = |dx: isize, dy: isize| {
                d[(y as isize + dy) as usize * w + (x as isize + dx) as usize]
            };
            let gx =
                at(1, -1) + 2.0 * at(1, 0) + at(1, 1) - at(-1, -1) - 2.0 * at(-1, 0) - at(-1, 1);
            let gy =
                at(-1, 1) + 2.0 * at(0, 1) + at(1, 1) - at(-1, -1) - 2.0 * at(0, -1) - at(1, -1);
            let mag = (gx * gx + gy * gy).sqrt();
            // A clear edge: a third of the step from paper to a solid line.
            if mag < 0.6 {
                continue;
            }
            let (ux, uy) = (gx / mag, gy / mag);
            for r in r_min..=r_max {
                for sign in [-1.0f32, 1.0] {
                    let cx = x as f32 + sign * r as f32 * ux;
                    let cy = y as f32 + sign * r as f32 * uy;
                    if cx >= 0.0 && cy >= 0.0 && (cx as usize) < w && (cy as usize) < h {
                        acc[cy as usize * w + cx as usize] += 1;
                    }
                }
            }
        }
    }
    acc
}

/// Up to `n` local maxima of the votes (summed over 3×3 cells), strongest first, at
/// least `apart` cells from each other.
fn peaks(acc: &[u32], w: usize, h: usize, apart: f32, n: usize) -> Vec<(f32, f32)> {
    let mut summed = vec![0u32; w * h];
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let mut s = 0;
            for yy in y - 1..=y + 1 {
                s += acc[yy * w + x - 1] + acc[yy * w + x] + acc[yy * w + x + 1];
            }
            summed[y * w + x] = s;
        }
    }
    // Local maxima only: a peak's neighbours are not candidates of their own.
    let mut sums: Vec<(u32, usize, usize)> = Vec::new();
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let s = summed[y * w + x];
            let top = (y - 1..=y + 1).all(|yy| (x - 1..=x + 1).all(|xx| summed[yy * w + xx] <= s));
            if s > 0 && top {
                sums.push((s, x, y));
            }
        }
    }
    sums.sort_unstable_by_key(|s| std::cmp::Reverse(s.0));
    let mut out: Vec<(f32, f32)> = Vec::new();
    for (_, x, y) in sums {
        let (x, y) = (x as f32, y as f32);
        if out.iter().all(|&(px, py)| (px - x).hypot(py - y) >= apart) {
            out.push((x, y));
            if out.len() == n {
                break;
            }
        }
    }
    out
}

/// Share of the angles at which a circle round `c` shows ink within ±`band` px of radius
/// `r` (angles off the picture do not count; `None` when most are off it).
fn coverage(bin: &Bin, c: (f32, f32), r: f32, band: f32) -> Option<f32> {
    coverage_at(bin, c, r, band, ANGLES)
}

/// [`coverage`] sampled at `angles` angles.
fn coverage_at(bin: &Bin, c: (f32, f32), r: f32, band: f32, angles: usize) -> Option<f32> {
    let (mut inked, mut seen) = (0usize, 0usize);
    for k in 0..angles {
        let a = k as f32 * std::f32::consts::TAU / angles as f32;
        let (s, co) = a.sin_cos();
        let mut on = false;
        let mut inside = false;
        for dr in [-band, 0.0, band] {
            let (x, y) = (c.0 + (r + dr) * co, c.1 + (r + dr) * s);
            if x >= 0.0 && y >= 0.0 && (x as usize) < bin.w && (y as usize) < bin.h {
                inside = true;
                on |= bin.get(x as usize, y as usize);
            }
        }
        if inside {
            seen += 1;
            inked += on as usize;
        }
    }
    (seen * 3 >= angles * 2).then(|| inked as f32 / seen as f32)
}

/// The best circle near a voted centre on the vote map's binary (`small`): the centre
/// within a cell of it and the radius whose circle shows ink at most angles, when that
/// is a ring's share.
fn best_circle(
    small: &Bin,
    c: (f32, f32),
    (r_min, r_max): (f32, f32),
) -> Option<((f32, f32), f32)> {
    let mut best: Option<(f32, (f32, f32), f32)> = None;
    for dy in [-1.0f32, 0.0, 1.0] {
        for dx in [-1.0f32, 0.0, 1.0] {
            let centre = (c.0 + dx, c.1 + dy);
            let mut r = r_min;
            while r <= r_max {
                // A cell of the map is a quarter of a glyph: 120 angles sample a
                // ring of the smallest radius at about every cell.
                if let Some(cov) = coverage_at(small, centre, r, 0.0, 120) {
                    if best.is_none_or(|b| cov > b.0) {
                        best = Some((cov, centre, r));
                    }
                }
                r += 1.0;
            }
        }
    }
    let (cov, centre, r) = best?;
    (cov >= MIN_RING_COVERAGE).then_some((centre, r))
}

/// The seal ring found near centre `c` and radius `r` on the vote map (`f` pixels a
/// cell), on the full picture: centre and radius refined pixel by pixel, its coverage
/// and its contrast with the circles beside it checked.
fn ring_at(bin: &Bin, c: (f32, f32), r: f32, f: f32, glyph: f32) -> Option<Seal> {
    // The vote map's centre and radius are within a cell of the ring's; the first fit
    // finds the ring's ink within that, the second from its own, closer, circle.
    let (centre, r, _) = fit_ring(bin, c, r, f + 2.0)?;
    let (centre, r, thick) = fit_ring(bin, centre, r, 2.0)?;
    let cov = coverage(bin, centre, r, 1.0).unwrap_or(0.0);
    if cov < MIN_RING_COVERAGE {
        return None;
    }
    // Just clear of the ring's ink on either side, by a glyph.
    let around = |d: f32| coverage(bin, centre, d, 1.0).unwrap_or(1.0);
    let off = around(r - thick / 2.0 - glyph).max(around(r + thick / 2.0 + glyph));
    if cov - off < MIN_RING_CONTRAST {
        return None;
    }
    Some(Seal {
        cx: centre.0,
        cy: centre.1,
        r,
        thick,
    })
}

/// The ring fitted to its ink near centre `c` and radius `r` (within `reach` pixels of
/// that circle): along each ray the run of ink nearest the circle gives a point in the
/// ring's middle and its thickness there; a least-squares circle through the middles (runs much thicker than most, where a
/// ruling or a glyph touches the ring, left out) gives the centre and radius, the
/// median run the thickness. `(centre, radius, thickness)`.
fn fit_ring(bin: &Bin, c: (f32, f32), r: f32, reach: f32) -> Option<((f32, f32), f32, f32)> {
    let mut points: Vec<(f32, f32, f32)> = Vec::new(); // x, y, run
    for k in (0..ANGLES).step_by(2) {
        let a = k as f32 * std::f32::consts::TAU / ANGLES as f32;
        let (s, co) = a.sin_cos();
        let ink = |d: f32| {
            let (x, y) = (c.0 + d * co, c.1 + d * s);
            x >= 0.0
                && y >= 0.0
                && (x as usize) < bin.w
                && (y as usize) < bin.h
                && bin.get(x as usize, y as usize)
        };
        // The ink nearest the circle, within `reach` of it.
        let Some(start) = (0..=reach.round() as i32)
            .flat_map(|d| [d, -d])
            .map(|d| d as f32)
            .find(|&d| ink(r + d))
        else {
            continue;
        };
        let limit = r / 4.0;
        let mut lo = 0.0;
        while lo < limit && ink(r + start - lo - 1.0) {
            lo += 1.0;
        }
        let mut hi = 0.0;
        while hi < limit && ink(r + start + hi + 1.0) {
            hi += 1.0;
        }
        let mid = r + start + (hi - lo) / 2.0;
        points.push((c.0 + mid * co, c.1 + mid * s, lo + hi + 1.0));
    }
    if points.len() < ANGLES / 4 {
        return None;
    }
    let mut runs: Vec<f32> = points.iter().map(|p| p.2).collect();
    runs.sort_by(|a, b| a.total_cmp(b));
    let thick = runs[runs.len() / 2];
    let ring: Vec<(f32, f32)> = points
        .iter()
        .filter(|p| p.2 <= thick * 1.5 + 1.0)
        .map(|p| (p.0, p.1))
        .collect();
    let (centre, radius) = fit_circle(&ring)?;
    // Once more without the points off that circle: ink of a glyph beside the ring
    // where the ring itself is faint.
    let on: Vec<(f32, f32)> = ring
        .iter()
        .copied()
        .filter(|p| ((p.0 - centre.0).hypot(p.1 - centre.1) - radius).abs() <= thick)
        .collect();
    let (centre, radius) = if on.len() * 2 >= ring.len() {
        fit_circle(&on)?
    } else {
        (centre, radius)
    };
    ((centre.0 - c.0).hypot(centre.1 - c.1) <= r / 4.0 && (radius - r).abs() <= r / 4.0)
        .then_some((centre, radius, thick))
}

/// The least-squares circle through `points` (Kåsa's algebraic fit): `(centre, radius)`.
fn fit_circle(points: &[(f32, f32)]) -> Option<((f32, f32), f32)> {
    if points.len() < 3 {
        return None;
    }
    // Relative to the mean, in f64: the normal equations of x² + y² + Dx + Ey + F = 0.
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1 as f64).sum::<f64>() / n;
    let (mut suu, mut svv, mut suv, mut suuu, mut svvv, mut suvv, mut svuu) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y) in points {
        let (u, v) = (x as f64 - mx, y as f64 - my);
        suu += u * u;
        svv += v * v;
        suv += u * v;
        suuu += u * u * u;
        svvv += v * v * v;
        suvv += u * v * v;
        svuu += v * u * u;
    }
    let det = suu * svv - suv * suv;
    if det.abs() < 1e-9 {
        return None;
    }
    let (b1, b2) = ((suuu + suvv) / 2.0, (svvv + svuu) / 2.0);
    let uc = (b1 * svv - b2 * suv) / det;
    let vc = (suu * b2 - suv * b1) / det;
    let radius = (uc * uc + vc * vc + (suu + svv) / n).sqrt();
    Some((((uc + mx) as f32, (vc + my) as f32), radius as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw_ring(bin: &mut Bin, cx: f32, cy: f32, r: f32, thick: f32) {
        for y in 0..bin.h {
            for x in 0..bin.w {
                let d = (x as f32 - cx).hypot(y as f32 - cy);
                if (d - r).abs() <= thick / 2.0 {
                    bin.set(x, y, true);
                }
            }
        }
    }

    fn draw_grid(bin: &mut Bin, step: usize) {
        for y in 0..bin.h {
            for x in 0..bin.w {
                if x % step < 2 || y % (step / 3) < 2 {
                    bin.set(x, y, true);
                }
            }
        }
    }

    #[test]
    fn a_ring_over_a_grid_is_found_with_its_size() {
        let mut bin = Bin::new(900, 700);
        draw_grid(&mut bin, 120);
        draw_ring(&mut bin, 500.0, 330.0, 170.0, 8.0);
        let seals = find_seals(&bin, 25.0);
        assert_eq!(seals.len(), 1, "{seals:?}");
        let s = seals[0];
        assert!(
            (s.cx - 500.0).abs() <= 2.0 && (s.cy - 330.0).abs() <= 2.0,
            "{s:?}"
        );
        assert!((s.r - 170.0).abs() <= 2.0, "{s:?}");
        assert!((6.0..=11.0).contains(&s.thick), "{s:?}");
    }

    #[test]
    fn a_grid_alone_has_no_seal() {
        let mut bin = Bin::new(900, 700);
        draw_grid(&mut bin, 120);
        assert!(find_seals(&bin, 25.0).is_empty());
    }
}
