//! Glyph prototypes of the characters of place names (`models/places/`), to choose
//! between the few characters the divisions allow where OCR misread one.
//!
//! chi_sim reads a rare character of a place name as a common one of similar outline (赣
//! as 六, 总 or 蒜) with high confidence, and lacks some altogether. Which characters
//! could stand there is known from the gazetteer (六县区: 沙县区, 赣县区 or 梅县区); which
//! of them is printed is a question of shape, among those few only. Each prototype is a
//! character's ink, cut to its box, as shares of ink on a [`GRID`]×[`GRID`] grid, in the
//! Song, Kai, bold Song and Hei faces (`tools/place_glyphs.py` renders them); a glyph is
//! compared with them by correlation, which weighs the layout of the strokes and not
//! their weight (a title's bold face against a regular one).

use super::prep::Bin;
use once_cell::sync::Lazy;
use std::collections::HashMap;

/// Cells a side of a glyph's grid.
pub(crate) const GRID: usize = 12;
const CELLS: usize = GRID * GRID;

/// A glyph's grid of ink shares, centred and scaled to unit variance.
pub(crate) type Shape = [f32; CELLS];

/// Least correlation of a glyph with the prototypes of the character chosen for it.
const MIN_MATCH: f32 = 0.45;

/// How much better the chosen character must match than any rival (the others allowed,
/// and the character OCR read).
const MARGIN: f32 = 0.08;

pub(crate) struct PlaceGlyphs {
    protos: HashMap<char, Vec<Shape>>,
}

impl PlaceGlyphs {
    /// Parses `char<TAB>font<TAB>hex digits` lines (`#` comments); a malformed line is
    /// skipped.
    pub(crate) fn parse(text: &str) -> PlaceGlyphs {
        let mut protos: HashMap<char, Vec<Shape>> = HashMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.split('\t');
            let (Some(c), Some(_font), Some(hex)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let mut chars = c.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                continue;
            };
            let vals: Vec<f32> = hex
                .chars()
                .filter_map(|d| d.to_digit(16))
                .map(|v| v as f32 / 15.0)
                .collect();
            if let Some(shape) = normalised(&vals) {
                protos.entry(c).or_default().push(shape);
            }
        }
        PlaceGlyphs { protos }
    }

    /// The prototypes shipped in `models/places/` (compiled in).
    pub(crate) fn builtin() -> &'static PlaceGlyphs {
        static P: Lazy<PlaceGlyphs> =
            Lazy::new(|| PlaceGlyphs::parse(include_str!("../../models/places/prototypes.txt")));
        &P
    }

    /// The best correlation of `shape` with a prototype of `c`, if `c` has any.
    pub(crate) fn score(&self, shape: &Shape, c: char) -> Option<f32> {
        self.protos.get(&c).map(|ps| {
            ps.iter()
                .map(|p| correlation(shape, p))
                .fold(f32::MIN, f32::max)
        })
    }

    /// Which of `allowed` the glyph `shape` is, when one matches well and clearly
    /// better than the others and than `read` (what OCR read there, a rival when it has
    /// prototypes). `None`: no clear choice, the reading stays.
    pub(crate) fn choose(&self, shape: &Shape, allowed: &[char], read: char) -> Option<char> {
        let mut scored: Vec<(f32, char)> = allowed
            .iter()
            .filter_map(|&c| self.score(shape, c).map(|s| (s, c)))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let &(best, c) = scored.first()?;
        let rival = scored
            .get(1)
            .map(|r| r.0)
            .into_iter()
            .chain(self.score(shape, read))
            .fold(f32::MIN, f32::max);
        (best >= MIN_MATCH && best - rival >= MARGIN && c != read).then_some(c)
    }
}

/// The shape of the ink of `bin` in the box (x0, y0, x1, y1): its ink's own box cut
/// into a [`GRID`]×[`GRID`] grid of ink shares. `None` when the box holds too little
/// ink for a glyph.
pub(crate) fn shape_of(bin: &Bin, (x0, y0, x1, y1): (usize, usize, usize, usize)) -> Option<Shape> {
    let (x1, y1) = (x1.min(bin.w), y1.min(bin.h));
    let (mut ax, mut ay, mut bx, mut by) = (usize::MAX, usize::MAX, 0, 0);
    for y in y0..y1 {
        for x in x0..x1 {
            if bin.get(x, y) {
                (ax, ay, bx, by) = (ax.min(x), ay.min(y), bx.max(x + 1), by.max(y + 1));
            }
        }
    }
    if bx <= ax + 3 || by <= ay + 3 {
        return None;
    }
    let (w, h) = ((bx - ax) as f32, (by - ay) as f32);
    let mut vals = vec![0f32; CELLS];
    for (i, v) in vals.iter_mut().enumerate() {
        let (gx, gy) = ((i % GRID) as f32, (i / GRID) as f32);
        let (cx0, cx1) = (
            ax as f32 + w * gx / GRID as f32,
            ax as f32 + w * (gx + 1.0) / GRID as f32,
        );
        let (cy0, cy1) = (
            ay as f32 + h * gy / GRID as f32,
            ay as f32 + h * (gy + 1.0) / GRID as f32,
        );
        let (px0, px1) = (
            cx0 as usize,
            (cx1.ceil() as usize).max(cx0 as usize + 1).min(bx),
        );
        let (py0, py1) = (
            cy0 as usize,
            (cy1.ceil() as usize).max(cy0 as usize + 1).min(by),
        );
        let (mut n, mut s) = (0u32, 0u32);
        for y in py0..py1 {
            for x in px0..px1 {
                n += 1;
                s += u32::from(bin.get(x, y));
            }
        }
        *v = s as f32 / n.max(1) as f32;
    }
    normalised(&vals)
}

/// `vals` centred on their mean and scaled to unit variance; `None` when flat or not
/// [`CELLS`] long.
fn normalised(vals: &[f32]) -> Option<Shape> {
    if vals.len() != CELLS {
        return None;
    }
    let mean = vals.iter().sum::<f32>() / CELLS as f32;
    let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / CELLS as f32;
    if var <= 1e-6 {
        return None;
    }
    let sd = var.sqrt();
    let mut out = [0f32; CELLS];
    for (o, v) in out.iter_mut().zip(vals) {
        *o = (v - mean) / sd;
    }
    Some(out)
}

fn correlation(a: &Shape, b: &Shape) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / CELLS as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A glyph drawn from a character's first prototype: each cell of ink share over
    /// a half filled, 4 px a cell.
    fn drawn(c: char) -> Bin {
        let p = PlaceGlyphs::builtin().protos[&c][0];
        let mut bin = Bin::new(GRID * 4 + 8, GRID * 4 + 8);
        for (i, v) in p.iter().enumerate() {
            if *v > 0.0 {
                let (gx, gy) = (i % GRID, i / GRID);
                for y in 0..4 {
                    for x in 0..4 {
                        bin.set(4 + gx * 4 + x, 4 + gy * 4 + y, true);
                    }
                }
            }
        }
        bin
    }

    #[test]
    fn a_glyph_is_told_among_the_characters_a_place_allows() {
        let g = PlaceGlyphs::builtin();
        assert!(g.protos.len() > 1000, "{} characters", g.protos.len());
        for (c, others) in [
            ('赣', ['沙', '梅']),
            ('沙', ['赣', '梅']),
            ('梅', ['沙', '赣']),
        ] {
            let bin = drawn(c);
            let shape = shape_of(&bin, (0, 0, bin.w, bin.h)).expect("ink");
            let allowed = [c, others[0], others[1]];
            assert_eq!(g.choose(&shape, &allowed, '六'), Some(c), "{c}");
            // What OCR read stands when it is the glyph's best match.
            assert_eq!(g.choose(&shape, &others, c), None, "{c}");
        }
    }

    #[test]
    fn no_choice_without_ink_or_prototypes() {
        let g = PlaceGlyphs::builtin();
        assert!(shape_of(&Bin::new(20, 20), (0, 0, 20, 20)).is_none());
        let bin = drawn('赣');
        let shape = shape_of(&bin, (0, 0, bin.w, bin.h)).expect("ink");
        assert_eq!(g.choose(&shape, &['a', 'b'], '六'), None);
        assert!(PlaceGlyphs::parse("# x\n赣\t0\t12\nab\t0\t00\n")
            .protos
            .is_empty());
    }
}
