//! A date line read glyph by glyph by shape, without tesseract: the second, independent
//! reading a date needs before it is believed ([`super::date_line`]).
//!
//! The line's ink is cut into runs of inked columns. A run about as wide as a Han glyph
//! is one of the few characters a date holds (年, 月, 日 and the Chinese numerals),
//! chosen by the glyph prototypes of [`super::place_glyphs`] (〇 and 一, which have
//! none or no shape inside their box, by their ink); narrower runs are Arabic digits,
//! read by the digit classifier of [`super::digits`]. Any glyph that matches nothing
//! clearly makes the reading `None`: this reader says what it is sure of or nothing.

use super::digits::DigitModel;
use super::place_glyphs::{shape_of, PlaceGlyphs};
use super::prep::Bin;
use super::recognise::PxBox;

/// The Han characters of a date, bar 〇 and 一 (told by their ink).
const DATE_HAN: &[char] = &[
    '年', '月', '日', '二', '三', '四', '五', '六', '七', '八', '九', '十',
];

/// A run at least this share of the glyph height wide is a Han glyph; narrower ink is
/// Arabic digits (about half a glyph wide each, touching or apart).
const HAN_WIDTH_OF_GLYPH: f32 = 0.7;

/// The widest a Han glyph is, in glyph heights: runs are joined while no wider (八's
/// two strokes).
const HAN_MAX_WIDTH_OF_GLYPH: f32 = 1.15;

/// Ink narrower and lower than this share of the glyph height is a speck.
const SPECK_OF_GLYPH: f32 = 0.15;

/// Least correlation with a prototype for a Han glyph to be taken, and how far it must
/// lead the next character.
const MIN_MATCH: f32 = 0.55;
const MARGIN: f32 = 0.06;

/// The reading of the date line in box `b` of `bin` (glyphs `glyph` px high), or
/// `None` when a glyph is not clearly one of a date's.
pub(crate) fn read_date_glyphs(bin: &Bin, b: PxBox, glyph: f32) -> Option<String> {
    let (x0, y0, x1, y1) = (b.0, b.1, b.2.min(bin.w), b.3.min(bin.h));
    if x1 <= x0 + 4 || y1 <= y0 + 4 || glyph < 6.0 {
        return None;
    }
    let runs = column_runs(bin, (x0, y0, x1, y1), glyph);
    let model = DigitModel::builtin()?;
    let protos = PlaceGlyphs::builtin();
    let mut out = String::new();
    let mut sure = true;
    let mut i = 0;
    while i < runs.len() {
        let (a, e) = runs[i];
        if (e - a) as f32 >= glyph * HAN_WIDTH_OF_GLYPH {
            let c = han_glyph(bin, (a, y0, e, y1), glyph, protos);
            sure &= c.is_some();
            out.push(c.unwrap_or('?'));
            i += 1;
            continue;
        }
        // Narrow runs side by side are one number, up to the next Han glyph.
        let mut end = e;
        let mut j = i + 1;
        while j < runs.len() && ((runs[j].1 - runs[j].0) as f32) < glyph * HAN_WIDTH_OF_GLYPH {
            end = runs[j].1;
            j += 1;
        }
        let n = model.read_number(bin, (a, y0, end, y1));
        sure &= n.is_some();
        out.push_str(n.as_deref().unwrap_or("#"));
        i = j;
    }
    ocr_trace!(
        "date glyphs: glyph {glyph:.1} line {}px, runs {:?}: {out}",
        y1 - y0,
        runs.iter().map(|r| r.1 - r.0).collect::<Vec<_>>()
    );
    (sure && !out.is_empty()).then_some(out)
}

/// Runs of inked columns (two ink pixels at least) of box `b`, specks left out, and
/// narrow runs joined where together they make one Han glyph (八's two strokes).
fn column_runs(bin: &Bin, (x0, y0, x1, y1): PxBox, glyph: f32) -> Vec<(usize, usize)> {
    let inked = |x: usize| (y0..y1).filter(|&y| bin.get(x, y)).count() >= 2;
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut x = x0;
    while x < x1 {
        if !inked(x) {
            x += 1;
            continue;
        }
        let start = x;
        while x < x1 && inked(x) {
            x += 1;
        }
        // A speck: narrow and low.
        let tall = (y0..y1)
            .filter(|&y| (start..x).any(|xx| bin.get(xx, y)))
            .count();
        if ((x - start) as f32) < glyph * SPECK_OF_GLYPH && (tall as f32) < glyph * SPECK_OF_GLYPH {
            continue;
        }
        runs.push((start, x));
    }
    // 八's two strokes, 月's or 日's parts broken by a seal's lifting: narrow runs that
    // together make one glyph's width with a gap under a fifth of a glyph are joined
    // when either alone is too narrow for a digit pair and the whole is Han-wide.
    let mut joined: Vec<(usize, usize)> = Vec::new();
    for r in runs {
        if let Some(last) = joined.last_mut() {
            let gap = (r.0 - last.1) as f32;
            let whole = (r.1 - last.0) as f32;
            let parts_narrow =
                ((last.1 - last.0) as f32) < glyph * 0.35 && ((r.1 - r.0) as f32) < glyph * 0.35;
            if parts_narrow
                && gap < glyph * 0.2
                && whole >= glyph * HAN_WIDTH_OF_GLYPH
                && whole <= glyph * HAN_MAX_WIDTH_OF_GLYPH
            {
                last.1 = r.1;
                continue;
            }
        }
        joined.push(r);
    }
    joined
}

/// Which date character the Han glyph in box `b` is, when clearly one.
fn han_glyph(bin: &Bin, b: PxBox, glyph: f32, protos: &PlaceGlyphs) -> Option<char> {
    let (x0, y0, x1, y1) = b;
    let (mut ay, mut by) = (usize::MAX, 0);
    let mut ink = 0usize;
    for y in y0..y1 {
        for x in x0..x1 {
            if bin.get(x, y) {
                (ay, by) = (ay.min(y), by.max(y + 1));
                ink += 1;
            }
        }
    }
    if ink == 0 {
        return None;
    }
    // 一: one bar, low and wide.
    if ((by - ay) as f32) < glyph * 0.3 {
        return Some('一');
    }
    // 〇: a ring, its middle empty.
    let (w, h) = (x1 - x0, by - ay);
    let (mx0, mx1) = (x0 + w * 3 / 10, x1 - w * 3 / 10);
    let (my0, my1) = (ay + h * 3 / 10, by - h * 3 / 10);
    let middle = (my0..my1)
        .flat_map(|y| (mx0..mx1).map(move |x| (x, y)))
        .filter(|&(x, y)| bin.get(x, y))
        .count();
    let shape = shape_of(bin, b)?;
    let mut scored: Vec<(f32, char)> = DATE_HAN
        .iter()
        .filter_map(|&c| protos.score(&shape, c).map(|s| (s, c)))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let ring = middle == 0 && ((h as f32) / (w as f32)).clamp(0.0, 2.0) > 0.8;
    match scored.as_slice() {
        [(s, c), rest @ ..]
            if *s >= MIN_MATCH && rest.first().is_none_or(|r| s - r.0 >= MARGIN) =>
        {
            (!ring).then_some(*c)
        }
        _ => ring.then_some('〇'),
    }
}
