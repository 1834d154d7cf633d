//! A date line with the seal pressed over it divided out of its grey picture.
//!
//! Seal ink is translucent: where it lies over paper the grey is the seal's, where it
//! lies over text it darkens the text by the same factor. So the page under the seal is
//! the grey picture divided by the seal's own grey: the star's body is found as the
//! background of the picture (a grey closing wider than any text stroke keeps only
//! marks wider than a stroke, the star's body, and the paper), the ring by the seal's
//! geometry and the median grey of its ink. Dividing by them turns the star and the
//! ring into paper and leaves the text under them dark, where contrast stretching or
//! binarising makes the star as dark as the text. Text lighter than the seal's ink does
//! not occur (the seal is pressed over printed text), so no text is lost.

use super::prep::Bin;
use super::recognise::PxBox;
use super::seal::Seal;
use image::{GrayImage, Luma};

/// The closing's window in glyph heights: wider than a text stroke (blurred strokes of a
/// 120-dpi scan reach a sixth of a glyph) and narrower than the star's body.
const BACKGROUND_WINDOW_GLYPHS: f32 = 0.4;

/// A pixel on the ring band darker than this share of the paper is the ring's ink (or
/// text), from which the ring's grey is measured.
const RING_INK_OF_PAPER: f32 = 0.85;

/// Ink of the divided picture: darker than these shares of the way from the ink's grey to
/// the paper's (each a binarisation of its own, read apart).
pub(crate) const INK_SHARES: [f32; 3] = [0.3, 0.4, 0.5];

/// Marks on the line farther than this (in glyph heights) from the line's widest group
/// of ink are specks, not the date.
const GROUP_GAP_GLYPHS: f32 = 1.0;

/// The grey picture of box `b` (two pixels beyond it) with the seals over it divided
/// out, paper white; `None` when no seal reaches the box or the box is too small.
pub(crate) fn seal_divided(
    gray: &GrayImage,
    b: PxBox,
    seals: &[Seal],
    glyph: f32,
) -> Option<GrayImage> {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let (x0, y0) = (b.0.saturating_sub(2), b.1.saturating_sub(2));
    let (x1, y1) = ((b.2 + 2).min(w), (b.3 + 2).min(h));
    if x1 <= x0 + 4 || y1 <= y0 + 4 || glyph < 6.0 {
        return None;
    }
    let over: Vec<&Seal> = seals
        .iter()
        .filter(|s| {
            let nx = (s.cx).clamp(x0 as f32, x1 as f32);
            let ny = (s.cy).clamp(y0 as f32, y1 as f32);
            s.covers(nx, ny, 0.0)
        })
        .collect();
    if over.is_empty() {
        return None;
    }
    let (cw, ch) = (x1 - x0, y1 - y0);
    let grey: Vec<f32> = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .map(|(x, y)| f32::from(gray.get_pixel(x as u32, y as u32).0[0]))
        .collect();
    let k = ((glyph * BACKGROUND_WINDOW_GLYPHS) as usize).max(3) | 1;
    // A grey closing: the lightest in a window, then the darkest of those.
    let lightest = filter(
        &filter(&grey, cw, ch, k, true, f32::max),
        cw,
        ch,
        k,
        false,
        f32::max,
    );
    let background = filter(
        &filter(&lightest, cw, ch, k, true, f32::min),
        cw,
        ch,
        k,
        false,
        f32::min,
    );
    // The star's edges are blurred: its background is widened by a few pixels so that
    // they divide out too, not leave a dark halo that joins the glyphs beside them.
    let edge = (k / 3) | 1;
    let background = filter(
        &filter(&background, cw, ch, edge, true, f32::min),
        cw,
        ch,
        edge,
        false,
        f32::min,
    );
    let mut background = background;
    let paper = median(grey.iter().copied()).unwrap_or(255.0).max(1.0);
    for s in over {
        let half = s.thick / 2.0 + 2.0;
        let band: Vec<usize> = (0..cw * ch)
            .filter(|&i| {
                let (x, y) = ((x0 + i % cw) as f32 + 0.5, (y0 + i / cw) as f32 + 0.5);
                ((x - s.cx).hypot(y - s.cy) - s.r).abs() <= half
            })
            .collect();
        let ink = band
            .iter()
            .map(|&i| grey[i])
            .filter(|&v| v < paper * RING_INK_OF_PAPER);
        let Some(level) = median(ink) else { continue };
        for i in band {
            background[i] = background[i].min(level);
        }
    }
    let img = GrayImage::from_fn(cw as u32, ch as u32, |x, y| {
        let i = y as usize * cw + x as usize;
        Luma([(grey[i] / background[i].max(1.0) * 255.0).clamp(0.0, 255.0) as u8])
    });
    Some(img)
}

/// The ink of a divided picture: darker than `share` of the way from its ink's grey (its
/// tenth darkest ink pixel) to its paper's, marks far from the line's main group of ink
/// dropped (specks on a noisy scan widen a line's box).
pub(crate) fn divided_ink(img: &GrayImage, glyph: f32, share: f32) -> Option<Bin> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let vals: Vec<f32> = img.pixels().map(|p| f32::from(p.0[0])).collect();
    let paper = median(vals.iter().copied())?;
    let mut ink: Vec<f32> = vals.iter().copied().filter(|&v| v < paper * 0.8).collect();
    if ink.len() < 20 {
        return None;
    }
    ink.sort_by(f32::total_cmp);
    let dark = ink[ink.len() / 10];
    let t = dark + (paper - dark) * share;
    let mut bin = Bin::new(w, h);
    for (i, &v) in vals.iter().enumerate() {
        bin.px[i] = v < t;
    }
    let (a, e) = main_group(&bin, glyph)?;
    for y in 0..h {
        for x in (0..a).chain(e..w) {
            bin.set(x, y, false);
        }
    }
    Some(bin)
}

/// The columns [a, e) of the widest group of inked columns (two ink pixels or more)
/// whose gaps are under [`GROUP_GAP_GLYPHS`].
pub(crate) fn main_group(bin: &Bin, glyph: f32) -> Option<(usize, usize)> {
    let inked: Vec<bool> = (0..bin.w)
        .map(|x| (0..bin.h).filter(|&y| bin.get(x, y)).count() >= 2)
        .collect();
    let gap = (glyph * GROUP_GAP_GLYPHS) as usize;
    let mut best: Option<(usize, usize)> = None;
    let mut cur: Option<(usize, usize)> = None;
    for (x, &on) in inked.iter().enumerate() {
        if !on {
            continue;
        }
        cur = match cur {
            Some((a, e)) if x <= e + gap => Some((a, x + 1)),
            _ => Some((x, x + 1)),
        };
        if let Some((a, e)) = cur {
            if best.is_none_or(|(ba, be)| e - a > be - ba) {
                best = Some((a, e));
            }
        }
    }
    best
}

/// A separable running filter (max or min) of window `k` along rows (`along_x`) or
/// columns.
fn filter(
    v: &[f32],
    w: usize,
    h: usize,
    k: usize,
    along_x: bool,
    pick: fn(f32, f32) -> f32,
) -> Vec<f32> {
    let p = k / 2;
    let mut out = vec![0f32; v.len()];
    for y in 0..h {
        for x in 0..w {
            let mut acc = v[y * w + x];
            if along_x {
                for xx in x.saturating_sub(p)..(x + p + 1).min(w) {
                    acc = pick(acc, v[y * w + xx]);
                }
            } else {
                for yy in y.saturating_sub(p)..(y + p + 1).min(h) {
                    acc = pick(acc, v[yy * w + x]);
                }
            }
            out[y * w + x] = acc;
        }
    }
    out
}

fn median(vals: impl Iterator<Item = f32>) -> Option<f32> {
    let mut v: Vec<f32> = vals.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Grey paper, a seal's star (a grey square) and ring (a grey circle) at the centre,
    /// and two dark text strokes: one under the star, one beside it.
    fn page() -> (GrayImage, Seal) {
        let seal = Seal {
            cx: 100.0,
            cy: 30.0,
            r: 60.0,
            thick: 6.0,
        };
        let img = GrayImage::from_fn(200, 60, |x, y| {
            let d = (x as f32 + 0.5 - 100.0).hypot(y as f32 + 0.5 - 30.0);
            let seal_ink =
                (d - 60.0).abs() <= 3.0 || (80..120).contains(&x) && (10..50).contains(&y);
            let text = (20..50).contains(&y) && ((95..99).contains(&x) || (125..129).contains(&x));
            Luma([match (seal_ink, text) {
                (true, true) => 30,
                (false, true) => 60,
                (true, false) => 140,
                (false, false) => 235,
            }])
        });
        (img, seal)
    }

    #[test]
    fn the_seal_divides_out_and_the_text_under_it_stays_dark() {
        let (gray, seal) = page();
        let out = seal_divided(&gray, (0, 0, 200, 60), &[seal], 30.0).expect("a seal");
        // The crop starts at the box (its 2-pixel margin is cut by the page edge).
        let at = |x: u32, y: u32| out.get_pixel(x, y).0[0];
        // The star's body, away from the stroke, and the ring: paper.
        assert!(at(110, 30) > 200, "star {}", at(110, 30));
        assert!(at(40, 30) > 200, "ring {}", at(40, 30));
        // The stroke under the star and the one beside it: dark alike.
        assert!(at(97, 30) < 90 && at(127, 30) < 90);
        let bin = divided_ink(&out, 30.0, 0.5).expect("ink");
        assert!(bin.get(97, 30) && bin.get(127, 30) && !bin.get(110, 30) && !bin.get(40, 30));
    }

    #[test]
    fn no_seal_over_the_line_no_picture() {
        let (gray, _) = page();
        let far = Seal {
            cx: 900.0,
            cy: 900.0,
            r: 60.0,
            thick: 6.0,
        };
        assert!(seal_divided(&gray, (0, 0, 200, 60), &[far], 20.0).is_none());
    }

    #[test]
    fn specks_far_from_the_line_are_not_its_ink() {
        let mut bin = Bin::with_rects(
            300,
            20,
            &[(10, 5, 13, 8), (150, 2, 170, 18), (180, 2, 200, 18)],
        );
        bin.set(0, 0, false);
        assert_eq!(main_group(&bin, 20.0), Some((150, 200)));
    }
}
