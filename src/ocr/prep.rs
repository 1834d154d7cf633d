//! Image clean-up: bounded decoding, red seal suppression, greyscale, adaptive
//! binarisation, skew estimation and rotation. All pure functions over pixel buffers.

use image::{DynamicImage, GrayImage, ImageReader, Luma, RgbImage};
use std::io::Cursor;

/// Largest accepted side and pixel count (declared, checked before allocating).
pub const MAX_SIDE: u32 = 12_000;
pub const MAX_PIXELS: u64 = 100_000_000;
/// Larger pictures are scaled down to this many pixels before clean-up (A4 at 340 dpi):
/// binarisation keeps two integral images of 8 bytes a pixel, and no table needs more.
pub const MAX_WORK_PIXELS: u64 = 12_000_000;
/// Images smaller than this on either side hold no table.
pub const MIN_SIDE: u32 = 16;

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unrecognised or corrupt image: {0}")]
    Format(String),
    #[error("image too large: {0}x{1} (limit {MAX_SIDE} per side, {MAX_PIXELS} pixels)")]
    TooLarge(u32, u32),
}

/// A binary image: `true` = ink. Row-major, `w * h`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bin {
    pub w: usize,
    pub h: usize,
    pub px: Vec<bool>,
}

impl Bin {
    pub fn new(w: usize, h: usize) -> Bin {
        Bin {
            w,
            h,
            px: vec![false; w * h],
        }
    }
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> bool {
        self.px[y * self.w + x]
    }
    #[inline]
    pub fn set(&mut self, x: usize, y: usize, v: bool) {
        self.px[y * self.w + x] = v;
    }
    /// Ink pixels in the rectangle [x0, x1) × [y0, y1) (clamped).
    pub fn count(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> usize {
        let (x1, y1) = (x1.min(self.w), y1.min(self.h));
        let mut n = 0;
        for y in y0.min(y1)..y1 {
            let row = &self.px[y * self.w..(y + 1) * self.w];
            n += row[x0.min(x1)..x1].iter().filter(|&&b| b).count();
        }
        n
    }
}

/// Reads the declared dimensions first and refuses oversized images before decoding.
/// Returns `Ok(None)` for images too small to hold a table.
pub fn decode_bounded(bytes: &[u8]) -> Result<Option<DynamicImage>, DecodeError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DecodeError::Format(e.to_string()))?;
    if reader.format().is_none() {
        return Err(DecodeError::Format("unknown image format".into()));
    }
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| DecodeError::Format(e.to_string()))?;
    if w > MAX_SIDE || h > MAX_SIDE || (w as u64) * (h as u64) > MAX_PIXELS {
        return Err(DecodeError::TooLarge(w, h));
    }
    if w < MIN_SIDE || h < MIN_SIDE {
        return Ok(None);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DecodeError::Format(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| DecodeError::Format(e.to_string()))?;
    Ok(Some(img))
}

/// Scales `img` down by a whole factor (averaging k×k blocks, no intermediate buffers)
/// until it has at most `max_pixels` pixels.
pub fn shrink_to(img: GrayImage, max_pixels: u64) -> GrayImage {
    let (w, h) = img.dimensions();
    let pixels = w as u64 * h as u64;
    if pixels <= max_pixels {
        return img;
    }
    let k = ((pixels as f64 / max_pixels as f64).sqrt().ceil() as u32).max(2);
    let (nw, nh) = ((w / k).max(1), (h / k).max(1));
    let mut out = GrayImage::new(nw, nh);
    let raw = img.as_raw();
    let mut sums = vec![0u32; nw as usize];
    for oy in 0..nh {
        sums.iter_mut().for_each(|s| *s = 0);
        for y in oy * k..(oy * k + k).min(h) {
            let row = &raw[(y * w) as usize..((y + 1) * w) as usize];
            for (ox, s) in sums.iter_mut().enumerate() {
                let x0 = ox * k as usize;
                *s += row[x0..(x0 + k as usize).min(w as usize)]
                    .iter()
                    .map(|&v| v as u32)
                    .sum::<u32>();
            }
        }
        for (ox, s) in sums.iter().enumerate() {
            out.put_pixel(ox as u32, oy, Luma([(s / (k * k)) as u8]));
        }
    }
    out
}

/// True for a strongly red (seal) pixel: red dominant and saturated.
#[inline]
pub fn is_seal_red(r: u8, g: u8, b: u8) -> bool {
    let (r, g, b) = (r as i32, g as i32, b as i32);
    let mx = g.max(b);
    // Hue near red and saturation: red channel well above both others.
    r > 110 && r - mx > 50 && (r - mx) * 100 > r * 30
}

/// Greyscale with red seal pixels turned white (digits are black or grey, not red).
pub fn to_gray_without_seal(img: &DynamicImage) -> GrayImage {
    match img {
        DynamicImage::ImageLuma8(g) => g.clone(),
        _ => {
            let rgb: RgbImage = img.to_rgb8();
            let (w, h) = rgb.dimensions();
            let mut out = GrayImage::new(w, h);
            for (o, p) in out.pixels_mut().zip(rgb.pixels()) {
                let [r, g, b] = p.0;
                *o = if is_seal_red(r, g, b) {
                    Luma([255])
                } else {
                    // Luma; for pinkish seal fringes the green channel is the faithful one.
                    let y = (299 * r as u32 + 587 * g as u32 + 114 * b as u32) / 1000;
                    Luma([y as u8])
                };
            }
            out
        }
    }
}

/// Sauvola binarisation over integral images: ink where
/// `v < mean * (1 + k * (sd / 128 - 1))`, window `win` (odd, pixels).
pub fn sauvola(img: &GrayImage, win: usize, k: f64) -> Bin {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut bin = Bin::new(w, h);
    if w == 0 || h == 0 {
        return bin;
    }
    let stride = w + 1;
    let mut s1 = vec![0u64; stride * (h + 1)];
    let mut s2 = vec![0u64; stride * (h + 1)];
    let raw = img.as_raw();
    for y in 0..h {
        let (mut r1, mut r2) = (0u64, 0u64);
        for x in 0..w {
            let v = raw[y * w + x] as u64;
            r1 += v;
            r2 += v * v;
            s1[(y + 1) * stride + x + 1] = s1[y * stride + x + 1] + r1;
            s2[(y + 1) * stride + x + 1] = s2[y * stride + x + 1] + r2;
        }
    }
    let half = win / 2;
    for y in 0..h {
        let y0 = y.saturating_sub(half);
        let y1 = (y + half + 1).min(h);
        for x in 0..w {
            let v = raw[y * w + x];
            if v > 235 {
                continue;
            }
            let x0 = x.saturating_sub(half);
            let x1 = (x + half + 1).min(w);
            let n = ((y1 - y0) * (x1 - x0)) as f64;
            let a = s1[y1 * stride + x1] + s1[y0 * stride + x0]
                - s1[y0 * stride + x1]
                - s1[y1 * stride + x0];
            let b = s2[y1 * stride + x1] + s2[y0 * stride + x0]
                - s2[y0 * stride + x1]
                - s2[y1 * stride + x0];
            let mean = a as f64 / n;
            let var = (b as f64 / n - mean * mean).max(0.0);
            let t = mean * (1.0 + k * (var.sqrt() / 128.0 - 1.0));
            // Also an absolute floor so flat dark areas (dark page edges) stay background
            // unless clearly darker than their surroundings.
            if (v as f64) < t && (v as f64) < mean - 12.0 {
                bin.set(x, y, true);
            }
        }
    }
    bin
}

/// Downscales a binary image by an integer factor (a block is ink if any pixel is).
pub fn downscale(bin: &Bin, f: usize) -> Bin {
    let f = f.max(1);
    let (w, h) = (bin.w.div_ceil(f), bin.h.div_ceil(f));
    let mut out = Bin::new(w, h);
    for y in 0..bin.h {
        for x in 0..bin.w {
            if bin.get(x, y) {
                out.set(x / f, y / f, true);
            }
        }
    }
    out
}

/// Estimates page skew in degrees (positive = content rotated clockwise, i.e. a line
/// going down to the right) within ±`max_deg`, by maximising the variance of the
/// horizontal projection profile of the ink after shearing by each candidate angle.
pub fn estimate_skew(bin: &Bin, max_deg: f64) -> f64 {
    let f = (bin.w.max(bin.h) / 800).max(1);
    let small = downscale(bin, f);
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for y in 0..small.h {
        for x in 0..small.w {
            if small.get(x, y) {
                pts.push((x as f64, y as f64));
            }
        }
    }
    if pts.len() < 50 {
        return 0.0;
    }
    // Subsample very dense images.
    if pts.len() > 200_000 {
        let step = pts.len() / 200_000 + 1;
        pts = pts.into_iter().step_by(step).collect();
    }
    let h = small.h as f64;
    let w = small.w as f64;
    let score = |deg: f64| -> f64 {
        let t = deg.to_radians().tan();
        let off = w * t.abs() + 2.0;
        let n = (h + 2.0 * off) as usize + 2;
        let mut hist = vec![0u32; n];
        for &(x, y) in &pts {
            let yy = y - x * t + off;
            let i = yy as usize;
            if i < n {
                hist[i] += 1;
            }
        }
        hist.iter().map(|&c| (c as f64) * (c as f64)).sum()
    };
    let mut best = (0.0, score(0.0));
    let mut a = -max_deg;
    while a <= max_deg + 1e-9 {
        let s = score(a);
        if s > best.1 {
            best = (a, s);
        }
        a += 0.25;
    }
    let centre = best.0;
    let mut a = centre - 0.25;
    while a <= centre + 0.25 + 1e-9 {
        let s = score(a);
        if s > best.1 {
            best = (a, s);
        }
        a += 0.02;
    }
    best.0
}

/// Rotates a greyscale image by `deg` about its centre (bilinear, white fill), undoing a
/// skew of `deg` as reported by [`estimate_skew`].
pub fn rotate(img: &GrayImage, deg: f64) -> GrayImage {
    let (w, h) = img.dimensions();
    let (wu, wi, hi) = (w as usize, w as i64, h as i64);
    let mut out = vec![255u8; wu * h as usize];
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let raw = img.as_raw();
    // Source positions in 16.16 fixed point, stepped along each output row: the source
    // of output pixel (x, y) is the pixel rotated forward by the skew, read bilinearly.
    const ONE: f64 = 65536.0;
    let (step_x, step_y) = ((c * ONE).round() as i64, (s * ONE).round() as i64);
    for (y, row) in out.chunks_exact_mut(wu.max(1)).enumerate() {
        let dy = y as f64 - cy;
        let mut sx = ((-c * cx - s * dy + cx) * ONE).round() as i64;
        let mut sy = ((-s * cx + c * dy + cy) * ONE).round() as i64;
        for o in row.iter_mut() {
            let (x0, y0) = (sx >> 16, sy >> 16);
            if x0 >= 0 && y0 >= 0 && x0 + 1 < wi && y0 + 1 < hi {
                let (fx, fy) = (sx & 0xFFFF, sy & 0xFFFF);
                let i = (y0 * wi + x0) as usize;
                let p = |k: usize| raw[k] as i64;
                let top = p(i) * (65536 - fx) + p(i + 1) * fx;
                let bottom = p(i + wu) * (65536 - fx) + p(i + wu + 1) * fx;
                let v = (top * (65536 - fy) + bottom * fy + (1 << 31)) >> 32;
                *o = v.clamp(0, 255) as u8;
            }
            sx += step_x;
            sy += step_y;
        }
    }
    GrayImage::from_raw(w, h, out).unwrap_or_else(|| img.clone())
}

/// Rotates by a multiple of 90° (clockwise quarter turns).
pub fn rotate_quarter(img: &GrayImage, quarters: u8) -> GrayImage {
    match quarters % 4 {
        1 => image::imageops::rotate90(img),
        2 => image::imageops::rotate180(img),
        3 => image::imageops::rotate270(img),
        _ => img.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(img: &DynamicImage) -> Vec<u8> {
        let mut v = Vec::new();
        img.write_to(&mut Cursor::new(&mut v), image::ImageFormat::Png)
            .unwrap();
        v
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    #[test]
    fn huge_declared_dimensions_are_refused_before_decoding() {
        // A PNG header declaring 20000x20000 with no real data.
        let small = DynamicImage::ImageLuma8(GrayImage::new(20, 20));
        let mut bytes = png_bytes(&small);
        // IHDR width/height at bytes 16..24.
        bytes[16..20].copy_from_slice(&20000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&20000u32.to_be_bytes());
        // Fix the IHDR CRC (over type + data, bytes 12..29).
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        match decode_bounded(&bytes) {
            Err(DecodeError::TooLarge(20000, 20000)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn corrupt_and_tiny_images() {
        assert!(decode_bounded(b"not an image at all").is_err());
        let tiny = DynamicImage::ImageLuma8(GrayImage::new(4, 4));
        assert!(decode_bounded(&png_bytes(&tiny)).unwrap().is_none());
    }

    #[test]
    fn red_seal_pixels_become_white_black_stays() {
        let mut rgb = RgbImage::from_pixel(3, 1, image::Rgb([255, 255, 255]));
        rgb.put_pixel(0, 0, image::Rgb([220, 40, 50]));
        rgb.put_pixel(1, 0, image::Rgb([20, 20, 20]));
        rgb.put_pixel(2, 0, image::Rgb([120, 110, 115]));
        let g = to_gray_without_seal(&DynamicImage::ImageRgb8(rgb));
        assert_eq!(g.get_pixel(0, 0).0[0], 255);
        assert!(g.get_pixel(1, 0).0[0] < 40);
        assert!(g.get_pixel(2, 0).0[0] < 130);
    }

    #[test]
    fn sauvola_survives_uneven_lighting() {
        // Background ramps from 255 to 150; ink is 60 darker than its background.
        let mut g = GrayImage::new(200, 50);
        for (x, y, p) in g.enumerate_pixels_mut() {
            let bg = 255 - (x as i32 * 105 / 200);
            let ink = (20..30).contains(&y) && x % 20 < 4;
            p.0[0] = if ink { (bg - 80) as u8 } else { bg as u8 };
        }
        let b = sauvola(&g, 31, 0.2);
        assert!(b.get(1, 25) && b.get(181, 25));
        assert!(!b.get(10, 25) && !b.get(190, 5));
    }

    #[test]
    fn skew_of_a_rotated_line_pattern_is_found() {
        let mut g = GrayImage::from_pixel(600, 400, Luma([255]));
        for k in 0..8 {
            let y = 40 + k * 40;
            for x in 50..550 {
                for t in 0..2 {
                    g.put_pixel(x, y + t, Luma([0]));
                }
            }
        }
        let rotated = rotate(&g, -2.0);
        let bin = sauvola(&rotated, 31, 0.2);
        let est = estimate_skew(&bin, 5.0);
        assert!((est - 2.0).abs() < 0.15, "estimated {est}");
        let back = rotate(&rotated, est);
        let est2 = estimate_skew(&sauvola(&back, 31, 0.2), 5.0);
        assert!(est2.abs() < 0.25, "residual {est2}");
    }
}
