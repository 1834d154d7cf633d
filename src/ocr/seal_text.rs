//! A seal's own ink taken off the text lines it is pressed over (the signature and the
//! date), on a scan that prints the seal grey.
//!
//! Binarisation marks a grey seal as ink like the text: its ring and its star join the
//! agency's line and the date's into one band, and the star's solid body buries the
//! digits under it. Seal ink is translucent: where it lies over text the text stays
//! darker than the seal, and where a stroke and the seal only meet the stroke's core is
//! dark. So within the ring's band and the star, ink stays only within reach of pixels
//! clearly darker than the seal's own ink there; elsewhere the seal's thin inner
//! characters are left (they are small and read as noise beside the lines).

use super::prep::Bin;
use super::seal::Seal;
use image::GrayImage;

/// A pixel under seal ink is text when it is darker than this share of the seal ink's
/// median grey (translucent ink over black text multiplies their greys).
const DARKER_THAN_SEAL: f32 = 0.75;

/// Reach, in pixels, from a dark pixel within which lighter ink stays: the blurred edges
/// of a stroke whose core is dark.
const STROKE_EDGE: usize = 2;

/// The star's body is solid: it holds a square this share of a glyph's height wide,
/// which no text stroke does.
const STAR_CORE_GLYPHS: f32 = 0.3;

/// Clears `seal`'s ring and star from `bin` (a text binarisation of `gray`) except
/// where text lies under them.
pub(crate) fn lift_seal(gray: &GrayImage, bin: &mut Bin, seal: &Seal, glyph: f32) {
    let reach = seal.outer() + 2.0;
    let clamp = |v: f32, n: usize| (v.max(0.0) as usize).min(n);
    let (x0, y0) = (clamp(seal.cx - reach, bin.w), clamp(seal.cy - reach, bin.h));
    let (x1, y1) = (
        clamp(seal.cx + reach + 1.0, bin.w),
        clamp(seal.cy + reach + 1.0, bin.h),
    );
    if x1 <= x0 + 2 || y1 <= y0 + 2 || gray.width() as usize != bin.w {
        return;
    }
    let (w, h) = (x1 - x0, y1 - y0);
    let dist = |x: usize, y: usize| (x as f32 + 0.5 - seal.cx).hypot(y as f32 + 0.5 - seal.cy);
    let half_ring = seal.erased_half_band();
    let inner = seal.r - seal.thick / 2.0 - 1.0;
    let region: Vec<bool> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| bin.get(x0 + x, y0 + y))
        .collect();
    let ink = |x: usize, y: usize| region[y * w + x];
    let grey = |x: usize, y: usize| gray.get_pixel((x0 + x) as u32, (y0 + y) as u32).0[0];
    let on_ring = |x: usize, y: usize| (dist(x0 + x, y0 + y) - seal.r).abs() <= half_ring;
    let inside = |x: usize, y: usize| dist(x0 + x, y0 + y) < inner;

    // The star: the solid ink inside the ring (an opening by a square), widened to take
    // in its tapering points.
    let k = ((glyph * STAR_CORE_GLYPHS) as usize).max(3) | 1;
    let inner_ink: Vec<bool> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| ink(x, y) && inside(x, y))
        .collect();
    let core = dilate(&erode(&inner_ink, w, h, k), w, h, k);
    let star: Vec<bool> = dilate(&core, w, h, 2 * k + 1)
        .into_iter()
        .enumerate()
        .map(|(i, s)| s && inside(i % w, i / w))
        .collect();

    let median = |pick: &dyn Fn(usize, usize) -> bool| {
        let mut hist = [0u32; 256];
        let mut n = 0u32;
        for y in 0..h {
            for x in 0..w {
                if pick(x, y) {
                    hist[grey(x, y) as usize] += 1;
                    n += 1;
                }
            }
        }
        let mut seen = 0;
        (n > 0).then(|| {
            hist.iter()
                .position(|&c| {
                    seen += c;
                    seen * 2 >= n
                })
                .unwrap_or(255) as f32
        })
    };
    let ring_level = median(&|x, y| ink(x, y) && on_ring(x, y));
    let star_level = median(&|x, y| core[y * w + x]);

    // Dark: clearly darker than the seal ink at that place.
    let mut dark = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let level = if star[i] {
                star_level
            } else if on_ring(x, y) {
                ring_level
            } else {
                None
            };
            dark[i] = match level {
                Some(l) => ink(x, y) && (grey(x, y) as f32) < l * DARKER_THAN_SEAL,
                None => ink(x, y),
            };
        }
    }
    let near_dark = dilate(&dark, w, h, 2 * STROKE_EDGE + 1);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if (star[i] || on_ring(x, y)) && ink(x, y) && !near_dark[i] {
                bin.set(x0 + x, y0 + y, false);
            }
        }
    }
}

/// Per pixel, the count of set pixels in the k×k box centred on it (k odd).
fn box_counts(a: &[bool], w: usize, h: usize, k: usize) -> Vec<u32> {
    let p = k / 2;
    // Summed-area table with a zero first row and column.
    let mut sat = vec![0u32; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u32;
        for x in 0..w {
            row += u32::from(a[y * w + x]);
            sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
        }
    }
    let mut out = vec![0u32; w * h];
    for y in 0..h {
        let (ya, yb) = (y.saturating_sub(p), (y + p + 1).min(h));
        for x in 0..w {
            let (xa, xb) = (x.saturating_sub(p), (x + p + 1).min(w));
            out[y * w + x] = sat[yb * (w + 1) + xb] + sat[ya * (w + 1) + xa]
                - sat[ya * (w + 1) + xb]
                - sat[yb * (w + 1) + xa];
        }
    }
    out
}

/// Pixels whose whole k×k box is set (boxes reaching past the edge are not whole).
fn erode(a: &[bool], w: usize, h: usize, k: usize) -> Vec<bool> {
    let full = (k * k) as u32;
    box_counts(a, w, h, k)
        .into_iter()
        .map(|c| c == full)
        .collect()
}

/// Pixels whose k×k box holds a set pixel.
fn dilate(a: &[bool], w: usize, h: usize, k: usize) -> Vec<bool> {
    box_counts(a, w, h, k).into_iter().map(|c| c > 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// A page with a grey ring and a grey solid square (the star) at its centre, and a
    /// dark text stroke across both.
    fn page() -> (GrayImage, Bin, Seal) {
        let (w, h) = (200usize, 200usize);
        let seal = Seal {
            cx: 100.0,
            cy: 100.0,
            r: 60.0,
            thick: 6.0,
        };
        let mut gray = GrayImage::from_pixel(w as u32, h as u32, Luma([240]));
        for y in 0..h {
            for x in 0..w {
                let d = (x as f32 + 0.5 - 100.0).hypot(y as f32 + 0.5 - 100.0);
                let seal_ink =
                    (d - 60.0).abs() <= 3.0 || (85..115).contains(&x) && (85..115).contains(&y);
                let text = (96..100).contains(&y) && (20..180).contains(&x);
                let v = match (seal_ink, text) {
                    (true, true) => 40,
                    (false, true) => 60,
                    (true, false) => 140,
                    (false, false) => 240,
                };
                gray.put_pixel(x as u32, y as u32, Luma([v]));
            }
        }
        let mut bin = Bin::new(w, h);
        for y in 0..h {
            for x in 0..w {
                bin.set(x, y, gray.get_pixel(x as u32, y as u32).0[0] < 200);
            }
        }
        (gray, bin, seal)
    }

    #[test]
    fn the_seal_goes_and_the_text_under_it_stays() {
        let (gray, mut bin, seal) = page();
        lift_seal(&gray, &mut bin, &seal, 20.0);
        // The ring and the star's body are gone, away from the stroke.
        assert!(!bin.get(100, 40) && !bin.get(40, 100 - 20) && !bin.get(160, 120));
        assert!(!bin.get(100, 110) && !bin.get(90, 88));
        // The stroke stays whole, under the star, across the ring and beside them.
        for x in (20..180).step_by(7) {
            assert!(bin.get(x, 97), "stroke lost at x={x}");
        }
    }

    #[test]
    fn morphology_on_a_small_square() {
        let (w, h) = (9, 9);
        let mut a = vec![false; w * h];
        for y in 2..7 {
            for x in 2..7 {
                a[y * w + x] = true;
            }
        }
        a[8] = true; // a lone speck at (8, 0)
        let opened = dilate(&erode(&a, w, h, 3), w, h, 3);
        assert!(opened[4 * w + 4] && opened[2 * w + 2] && !opened[8]);
        assert_eq!(opened.iter().filter(|&&v| v).count(), 25);
    }
}
