//! Triangle-filter resampling of greyscale pictures, pixel for pixel what
//! `image::imageops::resize(.., FilterType::Triangle)` gives, at a fraction of its cost.
//!
//! The `image` crate resamples every picture as four `f32` channels through per-pixel
//! accessors, and rounds with a call to `roundf` per channel: on a scanned page brought
//! up to the working scale that was a sixth of the recognition's CPU, and its
//! intermediate buffer 16 bytes a pixel. Here the same weights are computed with the same
//! `f32` operations in the same order, for one channel, over whole rows: the sums, and
//! so the pixels, are the same bits (a test holds it to that), which keeps every later
//! step's results unchanged.

use image::GrayImage;

/// The filter's taps for each of `m` output pixels over `n` input pixels: the first
/// input pixel and the normalised weights, computed exactly as `image` 0.25 does.
fn taps(n: u32, m: u32) -> Vec<(usize, Vec<f32>)> {
    let ratio = n as f32 / m as f32;
    let sratio = if ratio < 1.0 { 1.0 } else { ratio };
    // The triangle filter's support (1) in input pixels.
    let src_support = sratio;
    (0..m)
        .map(|out| {
            let input = (out as f32 + 0.5) * ratio;
            let left = ((input - src_support).floor() as i64).clamp(0, n as i64 - 1);
            let right = ((input + src_support).ceil() as i64).clamp(left + 1, n as i64);
            let input = input - 0.5;
            let mut ws: Vec<f32> = Vec::with_capacity((right - left) as usize);
            let mut sum = 0.0f32;
            for i in left..right {
                let x = (i as f32 - input) / sratio;
                let w = if x.abs() < 1.0 { 1.0 - x.abs() } else { 0.0 };
                ws.push(w);
                sum += w;
            }
            for w in ws.iter_mut() {
                *w /= sum;
            }
            (left as usize, ws)
        })
        .collect()
}

/// `v` rounded half away from zero and clamped to 0..=255, as `image` converts a sum
/// to a pixel (`f32::round` is a library call; for a non-negative value its fraction
/// is exact, so comparing it with one half rounds the same).
#[inline]
fn to_pixel(v: f32) -> u8 {
    let v = v.clamp(0.0, 255.0);
    let whole = v as u32;
    let frac = v - whole as f32;
    (whole + u32::from(frac >= 0.5)).min(255) as u8
}

/// `img` resampled to `nw` × `nh` with the triangle (bilinear) filter: the same pixels
/// as `image::imageops::resize(img, nw, nh, FilterType::Triangle)`.
pub fn resize_triangle(img: &GrayImage, nw: u32, nh: u32) -> GrayImage {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 || nw == 0 || nh == 0 {
        return GrayImage::new(nw, nh);
    }
    if (w, h) == (nw, nh) {
        return img.clone();
    }
    let (wu, nwu) = (w as usize, nw as usize);
    let raw = img.as_raw();
    // Columns first (as `image` does): each output row a weighted sum of input rows.
    let mut tmp = vec![0.0f32; wu * nh as usize];
    for ((left, ws), row) in taps(h, nh).iter().zip(tmp.chunks_exact_mut(wu)) {
        for (i, &wt) in ws.iter().enumerate() {
            let src = &raw[(left + i) * wu..(left + i + 1) * wu];
            for (t, &v) in row.iter_mut().zip(src) {
                *t += v as f32 * wt;
            }
        }
    }
    // Then along each row.
    let xt = taps(w, nw);
    let mut out = vec![0u8; nwu * nh as usize];
    for (src, dst) in tmp.chunks_exact(wu).zip(out.chunks_exact_mut(nwu)) {
        for (o, (left, ws)) in dst.iter_mut().zip(&xt) {
            let mut t = 0.0f32;
            for (&v, &wt) in src[*left..*left + ws.len()].iter().zip(ws) {
                t += v * wt;
            }
            *o = to_pixel(t);
        }
    }
    GrayImage::from_raw(nw, nh, out).unwrap_or_else(|| GrayImage::new(nw, nh))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{imageops, Luma};

    fn noisy(w: u32, h: u32, seed: u32) -> GrayImage {
        let mut s = seed;
        GrayImage::from_fn(w, h, |x, y| {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            // Text-like: mostly paper, strokes, and noise in between.
            let v = if (x / 3 + y / 4) % 5 == 0 {
                20
            } else {
                (s >> 16) as u8
            };
            Luma([v])
        })
    }

    #[test]
    fn same_pixels_as_the_image_crate() {
        let sizes = [(1, 1), (7, 3), (40, 25), (123, 77), (300, 41)];
        for (k, &(w, h)) in sizes.iter().enumerate() {
            let img = noisy(w, h, 7 + k as u32);
            for (fx, fy) in [
                (1.83, 1.83),
                (4.0, 4.0),
                (2.37, 1.1),
                (0.73, 0.73),
                (0.4, 2.0),
            ] {
                let nw = ((w as f64 * fx).round() as u32).max(1);
                let nh = ((h as f64 * fy).round() as u32).max(1);
                let ours = resize_triangle(&img, nw, nh);
                let theirs = imageops::resize(&img, nw, nh, imageops::FilterType::Triangle);
                assert_eq!(ours.dimensions(), theirs.dimensions());
                assert!(
                    ours.as_raw() == theirs.as_raw(),
                    "{w}x{h} -> {nw}x{nh} differs"
                );
            }
        }
    }

    #[test]
    fn rounding_matches_round_half_away() {
        for v in [
            0.0f32, 0.49999997, 0.5, 1.5, 2.5, 254.5, 254.49998, 255.0, 300.0, -3.0,
        ] {
            assert_eq!(to_pixel(v), v.clamp(0.0, 255.0).round() as u8, "{v}");
        }
    }
}
