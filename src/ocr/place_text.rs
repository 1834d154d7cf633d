//! Place names misread in a text line (the title, the signature) read again by their
//! glyphs, among the characters the divisions allow.
//!
//! A line that begins with an agency's name whose place reads as no division but one
//! character from some (六县区, 总州市) has that character's glyph cut from the line and
//! compared with the prototypes of the characters that would make the place a division
//! ([`super::place_glyphs`]). It is replaced only when one of them clearly matches, better
//! than the others and than what OCR read; otherwise the line stays as read and the
//! metadata stage leaves the agency out.

use super::place_glyphs::{shape_of, PlaceGlyphs};
use super::prep::Bin;
use super::recognise::PxBox;
use crate::gazetteer::Gazetteer;

/// A full-width glyph is about as wide as the line is high: at most this share of it.
const GLYPH_WIDTH_OF_HEIGHT: f32 = 1.1;

/// A run of ink this share of the line's height or farther from any other is apart.
const SPECK_APART_OF_HEIGHT: f32 = 0.25;

/// Ink narrower than this share of the line's height is no glyph of a name but a speck.
const SPECK_OF_HEIGHT: f32 = 0.15;

/// `text` (read by OCR from the line in box `b` of `bin`) with the misread characters of
/// its place names replaced where their glyphs say which of the allowed ones they are.
pub(crate) fn repair_places(bin: &Bin, b: PxBox, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    // The agency's name: the Han characters the line begins with (a stray mark before
    // them would shift every glyph's place).
    let han = chars.iter().take_while(|c| is_han(**c)).count();
    if han < 3 {
        return text.to_string();
    }
    let prefix: String = chars[..han].iter().collect();
    let g = Gazetteer::builtin();
    let misread: Vec<(usize, Vec<char>)> = g
        .places(&prefix)
        .into_iter()
        .filter(|p| !p.2)
        .map(|(at, name, _)| (at, name.chars().collect()))
        .collect();
    if misread.is_empty() {
        return text.to_string();
    }
    let glyphs = glyph_boxes(bin, b, han);
    // Every Han character has its glyph, and a line of Han only has no glyph more.
    if glyphs.len() < han || (han == chars.len() && glyphs.len() > han) {
        return text.to_string();
    }
    let protos = PlaceGlyphs::builtin();
    let mut out = chars.clone();
    for (at, name) in misread {
        for j in 0..name.len() {
            let allowed = allowed_at(g, &name, j);
            if allowed.is_empty() {
                continue;
            }
            let Some(shape) = shape_of(bin, glyphs[at + j]) else {
                continue;
            };
            if let Some(c) = protos.choose(&shape, &allowed, name[j]) {
                out[at + j] = c;
                break;
            }
        }
    }
    out.into_iter().collect()
}

/// The characters that make `name` a known division when put at position `j`.
fn allowed_at(g: &Gazetteer, name: &[char], j: usize) -> Vec<char> {
    let mut allowed = Vec::new();
    let mut probe = name.to_vec();
    for c in g.characters_of_names() {
        if c == name[j] {
            continue;
        }
        probe[j] = c;
        if g.knows(&probe.iter().collect::<String>()) {
            allowed.push(c);
        }
    }
    allowed
}

fn is_han(c: char) -> bool {
    ('\u{3400}'..='\u{9fff}').contains(&c)
}

/// The boxes of the first `n` glyphs of the line in box `b` (one more when there are):
/// runs of inked columns, joined while together they are no wider than a full-width
/// glyph (a glyph's parts side by side, 赣's 章 and 贡, make one); a run too narrow for
/// any glyph of a name is a speck.
fn glyph_boxes(bin: &Bin, (x0, y0, x1, y1): PxBox, n: usize) -> Vec<PxBox> {
    let (x1, y1) = (x1.min(bin.w), y1.min(bin.h));
    let h = y1.saturating_sub(y0);
    if h < 6 || x1 <= x0 {
        return Vec::new();
    }
    let ink: Vec<bool> = (x0..x1)
        .map(|x| (y0..y1).filter(|&y| bin.get(x, y)).count() >= 2)
        .collect();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut x = 0;
    while x < ink.len() {
        if !ink[x] {
            x += 1;
            continue;
        }
        let start = x;
        while x < ink.len() && ink[x] {
            x += 1;
        }
        runs.push((start, x));
    }
    // A narrow run far from the runs either side is a speck, not a stroke of a glyph
    // (州's strokes stand close together).
    let (narrow, apart) = (h as f32 * SPECK_OF_HEIGHT, h as f32 * SPECK_APART_OF_HEIGHT);
    let isolated = |i: usize| {
        let left = i
            .checked_sub(1)
            .map_or(f32::MAX, |j| (runs[i].0 - runs[j].1) as f32);
        let right = runs
            .get(i + 1)
            .map_or(f32::MAX, |r| (r.0 - runs[i].1) as f32);
        left >= apart && right >= apart
    };
    let widest = h as f32 * GLYPH_WIDTH_OF_HEIGHT;
    let mut glyphs: Vec<(usize, usize)> = Vec::new();
    for (i, &(start, end)) in runs.iter().enumerate() {
        if ((end - start) as f32) < narrow && isolated(i) {
            continue;
        }
        match glyphs.last_mut() {
            Some(g) if (end - g.0) as f32 <= widest => g.1 = end,
            _ => glyphs.push((start, end)),
        }
    }
    glyphs
        .into_iter()
        .filter(|g| (g.1 - g.0) as f32 >= h as f32 * SPECK_OF_HEIGHT)
        .take(n + 1)
        .map(|(a, e)| (x0 + a, y0, x0 + e, y1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_are_cut_at_the_line_pitch_with_their_parts_together() {
        // A 20-px line: a speck, a glyph of two parts (12-20, 23-31), a gap, a glyph.
        let mut bin = Bin::new(80, 20);
        for y in 0..20 {
            for x in (0..1).chain(12..20).chain(23..31).chain(34..53) {
                bin.set(x, y, true);
            }
        }
        let boxes = glyph_boxes(&bin, (0, 0, 80, 20), 5);
        assert_eq!(boxes, vec![(12, 0, 31, 20), (34, 0, 53, 20)]);
        assert_eq!(glyph_boxes(&bin, (0, 0, 80, 20), 0).len(), 1);
    }

    #[test]
    fn a_line_without_a_misread_place_is_left_as_read() {
        let bin = Bin::new(100, 20);
        for text in [
            "南宁市兴宁区统计局",
            "ab",
            "2021年1月14日",
            "市场监督管理局",
        ] {
            assert_eq!(repair_places(&bin, (0, 0, 100, 20), text), text);
        }
        // A misread place, but no glyphs to judge: as read.
        assert_eq!(
            repair_places(&bin, (0, 0, 100, 20), "六县区司法局"),
            "六县区司法局"
        );
        let g = Gazetteer::builtin();
        let mut allowed = allowed_at(g, &['六', '县', '区'], 0);
        allowed.sort_unstable();
        assert!(
            allowed.contains(&'赣') && allowed.contains(&'沙'),
            "{allowed:?}"
        );
    }
}
