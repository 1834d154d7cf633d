//! The scale of a picture, measured from its own ink: how high its glyphs are in pixels.
//!
//! Table pictures come at any resolution: a 90-dpi screenshot prints a digit 10 px high,
//! a 600-dpi scan 70 px. Nothing downstream should care, so every picture is resampled to
//! one working scale (its glyphs [`WORK_GLYPH_PX`] high) before grid detection and OCR,
//! and the pixel sizes of the later passes (insets, gaps, crop heights) then mean the
//! same fraction of a glyph on every input. A declared resolution (a PDF page's) is only
//! a fallback: screenshots and re-saved pictures carry none or a wrong one.

use super::prep::{shrink_by, shrunk_by_whole, Bin};
use image::GrayImage;

/// Glyph height the pictures are worked at: a 10.5-point glyph at about 220 dpi, where
/// tesseract reads table digits reliably and a page costs little.
pub const WORK_GLYPH_PX: f32 = 25.0;

/// Fewest glyph-like components a measurement is trusted on.
const MIN_GLYPHS: usize = 12;

/// The typical glyph height of `gray` in pixels, or `None` when it shows too few glyphs
/// (a blank or a photo). Components of dark ink (a threshold two thirds of the way from its
/// darkest ink to the paper) are taken as glyphs when they are neither lines (far wider than
/// high, or a thin vertical) nor specks; the height is their median weighted by box
/// area, so the full-height glyphs that carry most ink decide it, not the fragments a
/// high resolution splits characters into, nor noise.
pub fn glyph_height(gray: &GrayImage) -> Option<f32> {
    // Large pictures are measured on a copy with whole-pixel blocks averaged: a glyph
    // stays far above the 4-px floor at any resolution that needs the shrink.
    let (g, k) = shrunk_by_whole(gray, 2500);
    let (w, h) = (g.width() as usize, g.height() as usize);
    if w < 8 || h < 8 {
        return None;
    }
    let mut hist = [0u32; 256];
    for p in g.pixels() {
        hist[p.0[0] as usize] += 1;
    }
    let n = (w * h) as u64;
    let quantile = |q: f64| -> u8 {
        let want = (n as f64 * q) as u64;
        let mut acc = 0u64;
        for (v, &c) in hist.iter().enumerate() {
            acc += c as u64;
            if acc > want {
                return v as u8;
            }
        }
        255
    };
    let (ink, paper) = (quantile(0.005) as u32, quantile(0.6) as u32);
    if paper < ink + 50 {
        return None;
    }
    // Nearer the paper than the ink: the strokes of a blurred small glyph are mid-grey,
    // and a glyph should come out whole, not in pieces.
    let threshold = (ink + (paper - ink) * 2 / 3) as u8;
    let raw = g.as_raw();
    let boxes = components(raw, w, h, |v| v < threshold);
    let mut glyphs: Vec<(f32, f32)> = boxes
        .iter()
        .filter_map(|b| {
            let (bw, bh) = (b.x1 - b.x0, b.y1 - b.y0);
            let glyph_like = bh >= 4 && bh * 6 <= h && bw <= bh * 5 / 2 && bw * 5 >= bh;
            // Ink must fill some of the box: a ring of broken rulings around a cell does not.
            let filled = b.ink * 20 >= bw * bh;
            (glyph_like && filled).then_some((bh as f32, (bw * bh) as f32))
        })
        .collect();
    if glyphs.len() < MIN_GLYPHS {
        return None;
    }
    glyphs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f32 = glyphs.iter().map(|g| g.1).sum();
    let mut acc = 0.0;
    for &(gh, weight) in &glyphs {
        acc += weight;
        if acc * 2.0 >= total {
            return Some(gh * k as f32);
        }
    }
    None
}

/// The factor a picture is resampled by to reach the working scale. A scanned page's
/// resolution is exact (its image's pixels over the page's size), so it decides:
/// [`super::prep::WORK_DPI`]. A picture without one (a screenshot, a picture pasted into
/// a document) is measured by its glyph height. Factors within 12 % of 1 are not worth a
/// pass; the result is kept to what a sane picture needs: at most 4× up, never above
/// [`super::prep::MAX_WORK_PIXELS`], and no picture shrunk below 600 px a side.
pub fn work_factor(gray: &GrayImage, dpi: Option<f32>, glyph: Option<f32>) -> f64 {
    let by_dpi = dpi
        .filter(|d| d.is_finite() && *d > 0.0)
        .map(|d| super::prep::WORK_DPI / d as f64);
    let f = match by_dpi {
        Some(f) => f,
        None => match glyph {
            Some(gh) => WORK_GLYPH_PX as f64 / gh as f64,
            None => {
                // No glyphs to measure: only a huge picture is brought down.
                let px = gray.width() as f64 * gray.height() as f64;
                (super::prep::WORK_PIXELS_UNKNOWN_DPI as f64 / px.max(1.0))
                    .sqrt()
                    .min(1.0)
            }
        },
    };
    let (w, h) = (gray.width().max(1) as f64, gray.height().max(1) as f64);
    let cap = (super::prep::MAX_WORK_PIXELS as f64 / (w * h)).sqrt();
    let floor = (600.0 / w.max(h)).min(1.0);
    let f = f.min(4.0).min(cap).max(floor.min(cap));
    if (0.88..=1.12).contains(&f) {
        1.0
    } else {
        f
    }
}

/// The glyph height at the working scale, from the one measured before resampling by
/// `factor`: [`WORK_GLYPH_PX`] when none was measured, and within what any table's
/// text can be (a measurement thrown by a seal or a photo is not believed).
pub fn work_glyph(measured: Option<f32>, factor: f64) -> f32 {
    match measured {
        Some(gh) => (gh * factor as f32).clamp(WORK_GLYPH_PX * 0.6, WORK_GLYPH_PX * 2.0),
        None => WORK_GLYPH_PX,
    }
}

/// `gray` resampled by `factor`: area averaging down, bilinear interpolation up (blurred,
/// JPEG-blocked low-resolution glyphs gain nothing from a sharper kernel, and a bilinear
/// 1-px line stays one connected dark line).
pub fn resample(gray: &GrayImage, factor: f64) -> GrayImage {
    if factor < 1.0 {
        return shrink_by(gray, factor);
    }
    let (w, h) = gray.dimensions();
    let nw = ((w as f64 * factor).round() as u32).max(1);
    let nh = ((h as f64 * factor).round() as u32).max(1);
    super::resize::resize_triangle(gray, nw, nh)
}

/// Erases from `bin` the connected components shaped like glyphs: no side longer than
/// 1.6 glyphs, and both sides at least a quarter of one (a fragment of a broken ruling
/// is thin, and stays). What is left holds the rulings without the strokes of text,
/// which would otherwise join up with them: the vertical strokes of labels set on the
/// same character grid in row after row, bridged over the rulings between the rows,
/// read as one long vertical line.
pub fn without_glyphs(bin: &Bin, glyph: f32) -> Bin {
    let (big, thin) = ((glyph * 1.6) as usize, (glyph / 4.0) as usize);
    without_components(bin, |cw, ch| cw <= big && ch <= big && cw.min(ch) >= thin)
}

/// `bin` without specks: components under a sixth of a glyph on both sides (scanner
/// speckle, JPEG debris). Text lines are found and read on it: on a noisy scan every
/// row of the page has a few specks, and the lines of the title drown in them.
pub fn without_specks(bin: &Bin, glyph: f32) -> Bin {
    let speck = (glyph / 6.0).max(2.0) as usize;
    without_components(bin, |cw, ch| cw < speck && ch < speck)
}

/// `bin` with the boxes of the components whose (width, height) `erase` accepts
/// cleared. Boxes, not pixels: what such a box overlaps of another component is small
/// beside a ruling or a glyph.
fn without_components(bin: &Bin, erase: impl Fn(usize, usize) -> bool) -> Bin {
    let mut out = bin.clone();
    for c in components(&bin.px, bin.w, bin.h, |v| v) {
        if erase(c.x1 - c.x0, c.y1 - c.y0) {
            for y in c.y0..c.y1 {
                out.px[y * bin.w + c.x0..y * bin.w + c.x1].fill(false);
            }
        }
    }
    out
}

/// The bounding box of one connected component and its ink pixel count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
    pub ink: usize,
}

/// 8-connected components of the pixels `is_ink` accepts, by runs: each row's runs are
/// joined to the overlapping runs of the row above with a union-find.
pub fn components<T: Copy>(
    raw: &[T],
    w: usize,
    h: usize,
    is_ink: impl Fn(T) -> bool,
) -> Vec<Component> {
    // (x0, x1, label) per run, for the previous and current row.
    let mut parent: Vec<u32> = Vec::new();
    let mut boxes: Vec<Component> = Vec::new();
    let mut prev: Vec<(usize, usize, u32)> = Vec::new();
    let mut cur: Vec<(usize, usize, u32)> = Vec::new();
    fn root(parent: &mut [u32], mut i: u32) -> u32 {
        while parent[i as usize] != i {
            parent[i as usize] = parent[parent[i as usize] as usize];
            i = parent[i as usize];
        }
        i
    }
    for y in 0..h {
        let row = &raw[y * w..(y + 1) * w];
        cur.clear();
        let mut x = 0;
        while x < w {
            if !is_ink(row[x]) {
                x += 1;
                continue;
            }
            let x0 = x;
            while x < w && is_ink(row[x]) {
                x += 1;
            }
            let label = parent.len() as u32;
            parent.push(label);
            boxes.push(Component {
                x0,
                y0: y,
                x1: x,
                y1: y + 1,
                ink: x - x0,
            });
            cur.push((x0, x, label));
        }
        // Join with the runs above that touch (diagonals count: 8-connectivity).
        let mut j = 0;
        for &(a0, a1, la) in &cur {
            while j < prev.len() && prev[j].1 < a0 {
                j += 1;
            }
            let mut k = j;
            while k < prev.len() && prev[k].0 <= a1 {
                let (ra, rb) = (root(&mut parent, la), root(&mut parent, prev[k].2));
                if ra != rb {
                    let (lo, hi) = (ra.min(rb), ra.max(rb));
                    parent[hi as usize] = lo;
                }
                k += 1;
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    // Fold every run's box into its root's.
    let mut merged: std::collections::HashMap<u32, Component> = Default::default();
    for i in 0..parent.len() as u32 {
        let r = root(&mut parent, i);
        let b = boxes[i as usize];
        merged
            .entry(r)
            .and_modify(|m| {
                m.x0 = m.x0.min(b.x0);
                m.y0 = m.y0.min(b.y0);
                m.x1 = m.x1.max(b.x1);
                m.y1 = m.y1.max(b.y1);
                m.ink += b.ink;
            })
            .or_insert(b);
    }
    let mut out: Vec<Component> = merged.into_values().collect();
    out.sort_by_key(|c| (c.y0, c.x0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// Ten rows of "glyphs": filled 0.6-em boxes with a hole (digits), 1-em boxes.
    fn text_page(glyph: u32) -> GrayImage {
        let mut g = GrayImage::from_pixel(glyph * 40, glyph * 30, Luma([250]));
        for row in 0..10 {
            let y0 = glyph * (2 + row * 2);
            for k in 0..20 {
                let w = if k % 2 == 0 { glyph * 6 / 10 } else { glyph };
                let x0 = glyph * 2 + k * glyph * 3 / 2;
                for y in y0..y0 + glyph {
                    for x in x0..x0 + w {
                        let edge = y < y0 + glyph / 6 || y + glyph / 6 >= y0 + glyph;
                        if edge || x < x0 + w / 4 || x + w / 4 >= x0 + w {
                            g.put_pixel(x, y, Luma([20]));
                        }
                    }
                }
            }
        }
        g
    }

    #[test]
    fn glyph_height_follows_the_resolution() {
        // The same page drawn at 10, 17 and 34 px a glyph (90, 150 and 300 dpi at 8 pt).
        for glyph in [10u32, 17, 34] {
            let gh = glyph_height(&text_page(glyph)).expect("glyphs");
            assert!((gh - glyph as f32).abs() <= 1.0, "{glyph}: {gh}");
        }
        // A blank picture has no scale.
        assert_eq!(
            glyph_height(&GrayImage::from_pixel(300, 200, Luma([255]))),
            None
        );
    }

    #[test]
    fn pictures_are_brought_to_the_working_glyph_and_pages_to_the_working_dpi() {
        let small = text_page(10);
        let f = work_factor(&small, None, glyph_height(&small));
        assert!((f - WORK_GLYPH_PX as f64 / 10.0).abs() < 0.05, "{f}");
        let big = text_page(50);
        let f = work_factor(&big, None, glyph_height(&big));
        assert!((f - WORK_GLYPH_PX as f64 / 50.0).abs() < 0.05, "{f}");
        // Already at the working scale: left alone.
        let near = text_page(WORK_GLYPH_PX as u32);
        assert_eq!(work_factor(&near, None, glyph_height(&near)), 1.0);
        // A scanned page's resolution decides, up or down.
        assert!((work_factor(&small, Some(120.0), Some(10.0)) - 220.0 / 120.0).abs() < 1e-6);
        assert!((work_factor(&big, Some(300.0), Some(50.0)) - 220.0 / 300.0).abs() < 1e-6);
        // Never more than 4× up.
        assert_eq!(work_factor(&small, None, Some(2.0)), 4.0);
    }

    #[test]
    fn glyphs_are_erased_and_rulings_kept() {
        let mut b = Bin::new(200, 100);
        for x in 0..200 {
            b.set(x, 50, true);
        }
        // A 20-px glyph (a ring) away from the line, and a short thin fragment.
        for y in 10..30 {
            for x in 10..30 {
                if !(14..26).contains(&x) || !(14..26).contains(&y) {
                    b.set(x, y, true);
                }
            }
        }
        for x in 100..112 {
            b.set(x, 80, true);
        }
        let out = without_glyphs(&b, 20.0);
        assert_eq!(out.count(0, 0, 200, 40), 0);
        assert_eq!(out.count(0, 50, 200, 51), 200);
        assert_eq!(out.count(100, 80, 112, 81), 12);
    }

    #[test]
    fn specks_go_glyphs_and_their_dots_stay() {
        let mut b = Bin::new(100, 60);
        // A 2×2 speck, a 30-px glyph, and its 6×6 dot (a fifth of a glyph).
        for (x0, y0, x1, y1) in [(5, 5, 7, 7), (40, 20, 70, 50), (50, 8, 56, 14)] {
            for y in y0..y1 {
                for x in x0..x1 {
                    b.set(x, y, true);
                }
            }
        }
        let out = without_specks(&b, 30.0);
        assert_eq!(out.count(0, 0, 10, 10), 0);
        assert_eq!(out.count(40, 20, 70, 50), 900);
        assert_eq!(out.count(50, 8, 56, 14), 36);
    }

    #[test]
    fn components_join_diagonals_and_keep_boxes() {
        // An "L" with a diagonal tail, and a separate dot.
        let mut g = GrayImage::from_pixel(10, 6, Luma([255]));
        for (x, y) in [(1, 0), (1, 1), (1, 2), (2, 2), (3, 3), (7, 4)] {
            g.put_pixel(x, y, Luma([0]));
        }
        let c = components(g.as_raw(), 10, 6, |v| v < 128);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].x0, c[0].y0, c[0].x1, c[0].y1, c[0].ink),
            (1, 0, 4, 4, 5)
        );
        assert_eq!((c[1].x0, c[1].y0, c[1].ink), (7, 4, 1));
    }
}
