//! A digit classifier of our own, independent of tesseract: each glyph of a number
//! cell's binary ink is cut out, brought to a fixed grid, and matched against
//! prototypes of digits rendered in many fonts and degraded as real pictures are
//! (`models/digits/prototypes.txt`, made by `tools/digit_sheets.py` and the
//! `digit_model` example). It reads only what it is sure of: a number whose every glyph
//! is a clear match, else nothing. Tesseract misreads a lone blurred "1" as nothing and
//! a "0" as "9"; a second engine that errs otherwise is the independent evidence a
//! number needs before it goes out confidently.

use std::sync::OnceLock;

use image::GrayImage;

use super::cells::{components_in, faint_ink_threshold};
use super::prep::Bin;
use super::recognise::PxBox;

/// Feature grid: a glyph's height fills it, its width keeps its aspect ratio.
pub const GRID_W: usize = 12;
pub const GRID_H: usize = 16;
/// The grid's cells and one more: the glyph's aspect ratio.
pub const FEATURES: usize = GRID_W * GRID_H + 1;
/// Weight of the aspect ratio against the grid's 192 densities.
const ASPECT_WEIGHT: f32 = 3.0;
/// A match is clear when the nearest prototype of the best digit is at most this
/// fraction of the distance to the nearest prototype of any other digit.
pub const MAX_RATIO: f32 = 0.7;
/// And not farther than this from it at all (a CJK glyph or a blot is no digit).
pub const MAX_DISTANCE: f32 = 3.2;

/// A glyph's feature vector.
pub type Feature = [f32; FEATURES];

/// Digit prototypes.
pub struct DigitModel {
    protos: Vec<(u8, Feature)>,
}

/// A glyph's reading: the digit, and how clear the match was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GlyphMatch {
    pub digit: u8,
    /// Distance to the digit's nearest prototype.
    pub distance: f32,
    /// That distance over the distance to any other digit's nearest prototype.
    pub ratio: f32,
}

impl GlyphMatch {
    pub fn clear(&self) -> bool {
        self.ratio <= MAX_RATIO && self.distance <= MAX_DISTANCE
    }
}

static BUILTIN: OnceLock<Option<DigitModel>> = OnceLock::new();

impl DigitModel {
    /// The model shipped in `models/digits/` (compiled in: a run needs no file).
    pub fn builtin() -> Option<&'static DigitModel> {
        BUILTIN
            .get_or_init(|| {
                DigitModel::parse(include_str!("../../models/digits/prototypes.txt")).ok()
            })
            .as_ref()
    }

    pub fn new(protos: Vec<(u8, Feature)>) -> DigitModel {
        DigitModel { protos }
    }

    pub fn prototypes(&self) -> &[(u8, Feature)] {
        &self.protos
    }

    /// The text format: a header line `nianbao-digits 1 W H`, then one prototype per
    /// line, its digit and its features as two hex digits each (0..=255 for 0..=1; the
    /// aspect ratio scaled by 1/2).
    pub fn parse(text: &str) -> Result<DigitModel, String> {
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        if header.trim() != format!("nianbao-digits 1 {GRID_W} {GRID_H}") {
            return Err(format!("digit model: unknown header {header:?}"));
        }
        let mut protos = Vec::new();
        for (n, line) in lines.enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (label, hex) = line
                .split_once(' ')
                .ok_or_else(|| format!("digit model line {}: no features", n + 2))?;
            let digit: u8 = label
                .parse()
                .ok()
                .filter(|d| *d < 10)
                .ok_or_else(|| format!("digit model line {}: bad digit {label:?}", n + 2))?;
            if hex.len() != FEATURES * 2 || !hex.is_ascii() {
                return Err(format!("digit model line {}: wrong length", n + 2));
            }
            let mut f = [0f32; FEATURES];
            for (i, v) in f.iter_mut().enumerate() {
                let b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                    .map_err(|_| format!("digit model line {}: bad hex", n + 2))?;
                *v = b as f32 / 255.0;
            }
            f[FEATURES - 1] *= 2.0 * ASPECT_WEIGHT;
            protos.push((digit, f));
        }
        if protos.is_empty() {
            return Err("digit model: no prototypes".to_string());
        }
        Ok(DigitModel { protos })
    }

    /// The text form [`DigitModel::parse`] reads.
    pub fn to_text(&self) -> String {
        let mut out = format!("nianbao-digits 1 {GRID_W} {GRID_H}\n");
        for (d, f) in &self.protos {
            out.push_str(&d.to_string());
            out.push(' ');
            for (i, v) in f.iter().enumerate() {
                let v = if i == FEATURES - 1 {
                    v / (2.0 * ASPECT_WEIGHT)
                } else {
                    *v
                };
                out.push_str(&format!(
                    "{:02x}",
                    (v.clamp(0.0, 1.0) * 255.0).round() as u8
                ));
            }
            out.push('\n');
        }
        out
    }

    /// The nearest digit to a glyph's features.
    pub fn classify(&self, f: &Feature) -> Option<GlyphMatch> {
        let mut best = [f32::INFINITY; 10];
        for (d, p) in &self.protos {
            let dist: f32 = p.iter().zip(f.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
            let slot = &mut best[*d as usize];
            if dist < *slot {
                *slot = dist;
            }
        }
        let (digit, d1) = best
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map(|(d, v)| (d as u8, *v))?;
        let d2 = best
            .iter()
            .enumerate()
            .filter(|(d, _)| *d as u8 != digit)
            .map(|(_, v)| *v)
            .fold(f32::INFINITY, f32::min);
        if !d1.is_finite() {
            return None;
        }
        let (d1, d2) = (d1.sqrt(), d2.sqrt());
        Some(GlyphMatch {
            digit,
            distance: d1,
            ratio: if d2 > 0.0 { d1 / d2 } else { 1.0 },
        })
    }

    /// The number in a cell's ink box when every glyph of it is a clear digit; `None`
    /// for anything else (a decimal point, a minus, touching digits, text, a doubt).
    pub fn read_number(&self, bin: &Bin, b: PxBox) -> Option<String> {
        let glyphs = segment_glyphs(bin, b)?;
        let mut out = String::new();
        for g in glyphs {
            let m = self.classify(&glyph_feature(bin, g))?;
            if !m.clear() {
                return None;
            }
            out.push(char::from(b'0' + m.digit));
        }
        Some(out)
    }
}

/// Share of a "1"'s own ink that faint ink beside it may reach before the "1" is taken
/// for what is left of a broken digit (see [`faint_strokes_beside`]).
/// Measured on 96,000 rendered glyphs of 21 families (`digit_model --check`): of 43
/// broken digits read as a clear "1" it stops 33, of 9,319 true ones it refuses 12.
const FAINT_SHARE: f32 = 0.1;

impl DigitModel {
    /// [`DigitModel::read_number`], refusing a "1" with faint strokes beside it in the
    /// grey (`gray` at the scale of `bin`): at low resolution the thin strokes of a Ming
    /// face's 3, 4 or 5 drop out of the binary ink and leave its stem, a clear "1".
    pub fn read_number_checked(&self, gray: &GrayImage, bin: &Bin, b: PxBox) -> Option<String> {
        let n = self.read_number(bin, b)?;
        (!one_is_broken_digit(gray, bin, b, &n)).then_some(n)
    }
}

/// True when a "1" of `number`, read from the ink box `b` one glyph a digit, has faint
/// strokes beside it in the grey ([`faint_strokes_beside`]): the stem of a broken 3, 4
/// or 5, whoever read it (our classifier or the engine, which sees the same binary ink).
/// False when the glyphs cannot be paired with the digits.
pub fn one_is_broken_digit(gray: &GrayImage, bin: &Bin, b: PxBox, number: &str) -> bool {
    if !number.contains('1') {
        return false;
    }
    let Some(glyphs) = segment_glyphs(bin, b) else {
        return false;
    };
    if glyphs.len() != number.chars().count() {
        return false;
    }
    number.chars().zip(&glyphs).any(|(d, g)| {
        d == '1'
            && (faint_strokes_beside(gray, bin, *g, &glyphs) || hollow_in_the_grey(gray, bin, *g))
    })
}

/// True when `number` is ones only, each a plain stem: our classifier reads the same
/// ones, clear, in the ink box `b`, no grey strokes beside them make them what is left
/// of a broken digit ([`one_is_broken_digit`]), and each glyph's middle half is one
/// upright stroke ([`is_upright_stem`]). The engine reads a lone thin "1" with little
/// confidence in any font (it could be an l or a bracket, were its alphabet not
/// digits), so its confidence says nothing there; the shape does.
pub fn plain_ones(gray: &GrayImage, bin: &Bin, b: PxBox, number: &str) -> bool {
    if number.is_empty() || number.chars().any(|c| c != '1') {
        return false;
    }
    let Some(glyphs) = segment_glyphs(bin, b) else {
        return false;
    };
    glyphs.len() == number.len()
        && glyphs.iter().all(|g| is_upright_stem(bin, *g))
        && DigitModel::builtin()
            .and_then(|m| m.read_number_checked(gray, bin, b))
            .as_deref()
            == Some(number)
}

/// True when the ink box `b` is one glyph that can only be a "1", though our classifier
/// does not read it clearly: an upright stem ([`is_upright_stem`]) of the table's digit
/// height `digit_h` (within a quarter: a ruling's stub spans the row, a speck is short),
/// nearest to the classifier's ones, with no faint strokes beside it and no hole in its
/// grey ([`one_is_broken_digit`]). A serif "1" at 100 dpi binarises with a lopsided foot
/// and flag that keep it from the clear ones, and the engine reads nothing in a lone thin
/// "1": this is a candidate for the report's sums, never a value by itself.
pub fn lone_stem_one(gray: &GrayImage, bin: &Bin, b: PxBox, digit_h: usize) -> bool {
    let Some(glyphs) = segment_glyphs(bin, b) else {
        return false;
    };
    let [g] = glyphs[..] else {
        return false;
    };
    let h = g.3.saturating_sub(g.1);
    if h * 4 < digit_h * 3 || h * 4 > digit_h * 5 {
        return false;
    }
    let nearest_one = DigitModel::builtin()
        .and_then(|m| m.classify(&glyph_feature(bin, g)))
        .is_some_and(|m| m.digit == 1);
    nearest_one
        && is_upright_stem(bin, g)
        && !faint_strokes_beside(gray, bin, g, &glyphs)
        && !hollow_in_the_grey(gray, bin, g)
}

/// True when glyph `g`'s middle half (between a 1's flag and its foot) is one stroke,
/// upright and narrow: every row one run of ink at most a third of the glyph's height
/// wide, the runs' centres within a tenth of it of their median. A 4's bar, a 7's or
/// 2's slant and the two sides of a 0 fail.
pub fn is_upright_stem(bin: &Bin, g: PxBox) -> bool {
    let (x0, y0, x1, y1) = g;
    let h = y1.saturating_sub(y0);
    if h < 8 || x1 <= x0 || x1 > bin.w || y1 > bin.h {
        return false;
    }
    let widest = (h as f32 / 3.0).max(2.0);
    let mut centres = Vec::new();
    for y in (y0 + h / 4)..(y1 - h / 4) {
        let inked: Vec<usize> = (x0..x1).filter(|&x| bin.get(x, y)).collect();
        let (Some(&l), Some(&r)) = (inked.first(), inked.last()) else {
            return false;
        };
        // One run: no paper between the first and the last ink of the row.
        if inked.len() != r - l + 1 || (r - l + 1) as f32 > widest {
            return false;
        }
        centres.push((l + r) as f32 / 2.0);
    }
    let mut sorted = centres.clone();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[sorted.len() / 2];
    let drift = (h as f32 / 10.0).max(1.0);
    centres.iter().all(|c| (c - median).abs() <= drift)
}

/// True when the grey of glyph `g`'s middle rows is two strokes with paper between
/// them, where the binary ink is one: a blurred or JPEG-smeared 0 whose hole the
/// binarisation filled. A "1" is one stem there, darkest in its middle (its flag is
/// above the middle rows, its foot below).
pub fn hollow_in_the_grey(gray: &GrayImage, bin: &Bin, g: PxBox) -> bool {
    let (x0, y0, x1, y1) = g;
    if x1 > gray.width() as usize || y1 > gray.height() as usize || x1 < x0 + 5 || y1 < y0 + 8 {
        return false;
    }
    let Some((_, _, contrast)) = faint_ink_threshold(gray, bin, g, (x0, x1)) else {
        return false;
    };
    if contrast < 16.0 {
        return false;
    }
    let h = y1 - y0;
    let rows = (y0 + h / 4)..(y1 - h / 4);
    let n = rows.len() as f32;
    // The mean level of each column over the middle rows: lower is darker.
    let profile: Vec<f32> = (x0..x1)
        .map(|x| {
            rows.clone()
                .map(|y| f32::from(gray.get_pixel(x as u32, y as u32).0[0]))
                .sum::<f32>()
                / n
        })
        .collect();
    let w = profile.len();
    let side = (w * 9 / 20).max(1);
    let darkest = |r: std::ops::Range<usize>| {
        r.map(|i| (i, profile[i]))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    };
    let (Some((l, left)), Some((r, right))) = (darkest(0..side), darkest(w - side..w)) else {
        return false;
    };
    if r <= l + 1 {
        return false;
    }
    let lighter_stroke = left.max(right);
    let valley = profile[l..=r].iter().copied().fold(f32::MIN, f32::max);
    valley - lighter_stroke > HOLLOW_SHARE * contrast
}

/// How much lighter than the lighter of its two strokes the middle of a glyph must be,
/// as a share of the glyph's contrast, to be a hole: paper between the strokes of a 0,
/// not the blur along the two edges of a stem.
const HOLLOW_SHARE: f32 = 0.35;

/// True when the grey beside glyph `g` (a digit's width either side of its centre,
/// outside its box, its blur and the other `glyphs`) holds ink darker than a quarter of
/// the way from paper to the glyph's own ink, amounting to [`FAINT_SHARE`] of its ink:
/// strokes the binarisation lost. A "1" stands alone in its column of paper.
pub fn faint_strokes_beside(gray: &GrayImage, bin: &Bin, g: PxBox, glyphs: &[PxBox]) -> bool {
    let (x0, y0, x1, y1) = g;
    let (gw, gh) = (gray.width() as usize, gray.height() as usize);
    if x1 > gw || y1 > gh || x1 <= x0 || y1 <= y0 {
        return false;
    }
    let h = y1 - y0;
    let (cx, half, halo) = ((x0 + x1) / 2, (h * 9 / 20).max(3), (h / 10).max(2));
    let (bx0, bx1) = (cx.saturating_sub(half), (cx + half + 1).min(gw));
    let Some((dark, ink_n, contrast)) = faint_ink_threshold(gray, bin, g, (bx0, bx1)) else {
        return false;
    };
    // Too little contrast to tell faint ink from paper.
    if contrast < 16.0 {
        return false;
    }
    let level = |x: usize, y: usize| gray.get_pixel(x as u32, y as u32).0[0] as f32;
    let apart = |x: usize| x + halo < x0 || x >= x1 + halo;
    let in_other = |x: usize, y: usize| {
        glyphs.iter().any(|o| {
            *o != g
                && (o.0.saturating_sub(halo)..o.2 + halo).contains(&x)
                && (o.1..o.3).contains(&y)
        })
    };
    let faint = (y0..y1)
        .flat_map(|y| (bx0..bx1).map(move |x| (x, y)))
        .filter(|&(x, y)| apart(x) && !in_other(x, y) && level(x, y) < dark)
        .count();
    faint as f32 > FAINT_SHARE * ink_n as f32
}

/// The glyph boxes of a one-line number, left to right: the 8-connected components of
/// the box's ink, those overlapping across joined (a broken stroke). `None` when the
/// ink is not a row of whole digits: a glyph under 55 % of the tallest (a point, a
/// minus, a speck inside the number), one wider than high (touching digits), or more
/// than eight.
pub fn segment_glyphs(bin: &Bin, b: PxBox) -> Option<Vec<PxBox>> {
    let (x0, y0, x1, y1) = b;
    if x1 <= x0 || y1 <= y0 || x1 > bin.w || y1 > bin.h {
        return None;
    }
    let comps = components_in(bin, b);
    let tallest = comps.iter().map(|c| c.y1 - c.y0).max()?;
    // Specks well away from the digits' span are noise the crop kept; small ink among
    // the digits is a decimal point or a broken digit, not ours to guess.
    let mut boxes: Vec<(usize, usize, usize, usize)> = Vec::new();
    let speck =
        |c: &super::scale::Component| (c.y1 - c.y0) * 4 < tallest && (c.x1 - c.x0) * 4 < tallest;
    for c in comps.iter().filter(|c| !speck(c)) {
        boxes.push((c.x0, c.y0, c.x1, c.y1));
    }
    boxes.sort_by_key(|b| b.0);
    let mut merged: Vec<(usize, usize, usize, usize)> = Vec::new();
    for bx in boxes {
        match merged.last_mut() {
            Some(m) if bx.0 < m.2 => {
                *m = (m.0.min(bx.0), m.1.min(bx.1), m.2.max(bx.2), m.3.max(bx.3));
            }
            _ => merged.push(bx),
        }
    }
    let (span0, span1) = (merged.first()?.0, merged.last()?.2);
    if comps
        .iter()
        .any(|c| speck(c) && c.x1 > span0 && c.x0 < span1)
    {
        return None;
    }
    let tallest = merged.iter().map(|m| m.3 - m.1).max()?;
    if merged.len() > 8
        || merged
            .iter()
            .any(|m| (m.3 - m.1) * 100 < tallest * 55 || (m.2 - m.0) > (m.3 - m.1))
    {
        return None;
    }
    Some(
        merged
            .into_iter()
            .map(|(a, b0, c, d)| (x0 + a, y0 + b0, x0 + c, y0 + d))
            .collect(),
    )
}

/// A glyph's features: its ink brought to [`GRID_H`] rows (its width scaled alike,
/// centred, squeezed only past [`GRID_W`]), each cell the share of it inked, and the
/// aspect ratio.
pub fn glyph_feature(bin: &Bin, g: PxBox) -> Feature {
    let (x0, y0, x1, y1) = g;
    let (w, h) = ((x1 - x0).max(1) as f32, (y1 - y0).max(1) as f32);
    let s = GRID_H as f32 / h;
    let sx = if w * s > GRID_W as f32 {
        GRID_W as f32 / w
    } else {
        s
    };
    let off = (GRID_W as f32 - w * sx) / 2.0;
    let mut f = [0f32; FEATURES];
    const SUB: usize = 4;
    for gy in 0..GRID_H {
        for gx in 0..GRID_W {
            let mut hit = 0;
            for sy in 0..SUB {
                for sxx in 0..SUB {
                    let fx = gx as f32 + (sxx as f32 + 0.5) / SUB as f32;
                    let fy = gy as f32 + (sy as f32 + 0.5) / SUB as f32;
                    let px = (fx - off) / sx;
                    let py = fy / s;
                    if px < 0.0 || px >= w {
                        continue;
                    }
                    let (ix, iy) = (x0 + px as usize, y0 + py as usize);
                    if ix < x1 && iy < y1 && bin.get(ix, iy) {
                        hit += 1;
                    }
                }
            }
            f[gy * GRID_W + gx] = hit as f32 / (SUB * SUB) as f32;
        }
    }
    f[FEATURES - 1] = (w / h).min(2.0) * ASPECT_WEIGHT;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_are_cut_left_to_right_and_a_point_is_refused() {
        // Two digit-high bars with a gap: two glyphs.
        let b = Bin::with_rects(40, 30, &[(5, 5, 9, 25), (15, 5, 22, 25)]);
        let g = segment_glyphs(&b, (0, 0, 40, 30));
        assert_eq!(g, Some(vec![(5, 5, 9, 25), (15, 5, 22, 25)]));
        // A point between them: a decimal number, not read.
        let b = Bin::with_rects(40, 30, &[(5, 5, 9, 25), (11, 22, 13, 25), (15, 5, 22, 25)]);
        assert_eq!(segment_glyphs(&b, (0, 0, 40, 30)), None);
        // A wide blot is touching digits (or no digit): not read.
        let b = Bin::with_rects(40, 30, &[(5, 5, 35, 25)]);
        assert_eq!(segment_glyphs(&b, (0, 0, 40, 30)), None);
    }

    #[test]
    fn an_upright_stem_is_a_one_and_bars_slants_and_two_sides_are_not() {
        // A 1: flag at the top left, stem, foot; 20 px high.
        let one = Bin::with_rects(30, 30, &[(8, 5, 12, 8), (11, 5, 14, 25), (8, 23, 17, 25)]);
        assert!(is_upright_stem(&one, (8, 5, 17, 25)));
        // A 4: the same stem with a bar across its middle half.
        let four = Bin::with_rects(30, 30, &[(11, 5, 14, 25), (4, 15, 18, 17)]);
        assert!(!is_upright_stem(&four, (4, 5, 18, 25)));
        // A 0: two sides with paper between them.
        let zero = Bin::with_rects(30, 30, &[(6, 5, 9, 25), (15, 5, 18, 25), (6, 5, 18, 7)]);
        assert!(!is_upright_stem(&zero, (6, 5, 18, 25)));
        // A 7's slant: a stroke drifting across the middle rows, one pixel a row.
        let slant: Vec<_> = (5..25)
            .map(|y| (20 - (y - 5) / 2, y, 23 - (y - 5) / 2, y + 1))
            .collect();
        let seven = Bin::with_rects(30, 30, &slant);
        assert!(!is_upright_stem(&seven, (10, 5, 23, 25)));
        // A speck is no glyph to judge.
        let speck = Bin::with_rects(30, 30, &[(10, 10, 12, 15)]);
        assert!(!is_upright_stem(&speck, (10, 10, 12, 15)));
    }

    #[test]
    fn the_model_text_round_trips() {
        let mut f = [0f32; FEATURES];
        f[3] = 1.0;
        f[FEATURES - 1] = 0.4 * ASPECT_WEIGHT;
        let m = DigitModel::new(vec![(7, f)]);
        let back = DigitModel::parse(&m.to_text()).unwrap();
        assert_eq!(back.prototypes().len(), 1);
        assert_eq!(back.prototypes()[0].0, 7);
        assert!((back.prototypes()[0].1[FEATURES - 1] - 0.4 * ASPECT_WEIGHT).abs() < 0.03);
        assert!(DigitModel::parse("nianbao-digits 1 3 3\n").is_err());
    }

    #[test]
    fn the_shipped_model_loads_and_knows_every_digit() {
        let m = DigitModel::builtin().expect("models/digits/prototypes.txt parses");
        for d in 0..10u8 {
            assert!(
                m.prototypes().iter().filter(|p| p.0 == d).count() >= 10,
                "{d}"
            );
        }
        // Every prototype is nearest to a prototype of its own digit (itself).
        for (d, f) in m.prototypes() {
            assert_eq!(m.classify(f).map(|g| g.digit), Some(*d));
        }
    }
}
