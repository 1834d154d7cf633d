//! Column lines that are not: strokes of glyphs in rows set one above the other, joined
//! into one vertical run through the row rulings between them.

use super::grid::{GridParams, Segment};
use super::prep::Bin;

/// True when vertical segment `s` is strokes of glyphs in rows one above the other,
/// joined into one run through the row rulings between them: at every ruling it
/// crosses inside its length there is paper just above or just below the ruling, where
/// a column ruling runs on in ink. Rows set tightly (a 28-px glyph in a 35-px row) leave
/// gaps shorter than [`GridParams::gap`] on each side of the ruling, so the run of two
/// such strokes is as long as a short column line.
pub(super) fn glyph_strokes_across_rulings(
    bin: &Bin,
    s: &Segment,
    h: &[Segment],
    p: &GridParams,
) -> bool {
    let x = s.pos.round() as usize;
    // A skewed ruling drifts over its thickness's columns: at each crossing its ink is
    // looked for at every column it spans, and a pixel either side.
    let reach = s.thick / 2 + 2;
    let columns = x.saturating_sub(reach)..(x + reach + 1).min(bin.w);
    let inked_at = |xc: usize, y: usize| {
        y < bin.h && (xc.saturating_sub(1)..(xc + 2).min(bin.w)).any(|xx| bin.get(xx, y))
    };
    let margin = p.tol as usize;
    // A ruling reaches x when a piece of it covers x, or pieces at its height lie on
    // both sides (a scan's ruling broken where a glyph's stroke meets it).
    let reaches = |r: &Segment| {
        let at = |o: &&Segment| (o.pos - r.pos).abs() <= 2.0;
        let covers = |o: &Segment| o.start <= x + 2 && x <= o.end + 2;
        h.iter().filter(at).any(covers)
            || (h.iter().filter(at).any(|o| o.end < x) && h.iter().filter(at).any(|o| o.start > x))
    };
    let mut crossed = 0;
    for r in h {
        let y = r.pos.round() as usize;
        let inside = y > s.start + margin && y + margin < s.end;
        // Each ruling once: its piece nearest x stands for it.
        let nearest = h
            .iter()
            .filter(|o| (o.pos - r.pos).abs() <= 2.0)
            .min_by_key(|o| o.start.abs_diff(x).min(o.end.abs_diff(x)));
        if !inside || !std::ptr::eq(nearest.unwrap_or(r), r) || !reaches(r) {
            continue;
        }
        crossed += 1;
        // A column ruling runs on in ink through the row ruling and a couple of pixels
        // beyond it; glyph strokes stop short of it, with paper between.
        let half = r.thick / 2 + 3;
        let through = |xc: usize| (y.saturating_sub(half)..=y + half).all(|yy| inked_at(xc, yy));
        if columns.clone().any(through) {
            return false;
        }
    }
    crossed > 0
}
