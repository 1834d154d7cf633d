//! Image clean-up: bounded decoding, red seal suppression, greyscale, adaptive
//! binarisation, skew estimation and rotation. All pure functions over pixel buffers.

use image::{DynamicImage, GrayImage, ImageReader, Luma, RgbImage};
use std::io::Cursor;

/// Largest accepted side and pixel count (declared, checked before allocating).
pub const MAX_SIDE: u32 = 12_000;
pub const MAX_PIXELS: u64 = 100_000_000;
/// Larger pictures are scaled down to this many pixels before clean-up (A4 at 340 dpi):
/// no table needs more, and every pass over the page costs in proportion.
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
    /// A picture of the given filled rectangles (x0, y0, x1, y1), for tests.
    #[cfg(test)]
    pub(crate) fn with_rects(w: usize, h: usize, rects: &[(usize, usize, usize, usize)]) -> Bin {
        let mut b = Bin::new(w, h);
        for &(x0, y0, x1, y1) in rects {
            for y in y0..y1 {
                for x in x0..x1 {
                    b.set(x, y, true);
                }
            }
        }
        b
    }

    pub fn get(&self, x: usize, y: usize) -> bool {
        self.px[y * self.w + x]
    }
    #[inline]
    pub fn set(&mut self, x: usize, y: usize, v: bool) {
        self.px[y * self.w + x] = v;
    }
    /// Lines of the picture along rows (`horizontal`) or columns: (how many, how long).
    pub fn lines(&self, horizontal: bool) -> (usize, usize) {
        if horizontal {
            (self.h, self.w)
        } else {
            (self.w, self.h)
        }
    }
    /// The pixel at position `i` of row (`horizontal`) or column `line`.
    #[inline]
    pub fn get_along(&self, horizontal: bool, line: usize, i: usize) -> bool {
        if horizontal {
            self.get(i, line)
        } else {
            self.get(line, i)
        }
    }
    /// Sets the pixel at position `i` of row (`horizontal`) or column `line`.
    #[inline]
    pub fn set_along(&mut self, horizontal: bool, line: usize, i: usize, v: bool) {
        if horizontal {
            self.set(i, line, v)
        } else {
            self.set(line, i, v)
        }
    }
    /// The run of ink that starts at ink position `start` of row (`horizontal`) or column
    /// `line`, across gaps of up to `gap` blank pixels: (end, one past its last ink; how
    /// many of its pixels are ink).
    pub fn ink_run(
        &self,
        horizontal: bool,
        line: usize,
        start: usize,
        gap: usize,
    ) -> (usize, usize) {
        let n = self.lines(horizontal).1;
        let (mut i, mut last_ink, mut ink) = (start, start, 0usize);
        while i < n && i - last_ink <= gap + 1 {
            if self.get_along(horizontal, line, i) {
                last_ink = i;
                ink += 1;
            }
            i += 1;
        }
        (last_ink + 1, ink)
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

/// Resolution scanned pages are worked at ([`super::scale::work_factor`]): enough for
/// 8-point digits in a table, and a 300-dpi scan costs half as much at it.
pub const WORK_DPI: f64 = 220.0;
/// Pixel budget of a picture whose scale cannot be measured (an A4 page at about 215 dpi).
pub const WORK_PIXELS_UNKNOWN_DPI: u64 = 4_500_000;

/// Scales `img` down by `scale` (< 1), each output pixel the area-weighted mean of the
/// input pixels it covers; separable, streaming one input row at a time.
pub fn shrink_by(img: &GrayImage, scale: f64) -> GrayImage {
    let (w, h) = img.dimensions();
    let nw = ((w as f64 * scale).round() as u32).clamp(1, w.max(1));
    let nh = ((h as f64 * scale).round() as u32).clamp(1, h.max(1));
    if (nw, nh) == (w, h) || w == 0 || h == 0 {
        return img.clone();
    }
    let xt = area_taps(w as usize, nw as usize);
    let yt = area_taps(h as usize, nh as usize);
    let raw = img.as_raw();
    let (w, nw) = (w as usize, nw as usize);
    let mut out = vec![0u8; nw * nh as usize];
    let mut row = vec![0u32; nw];
    let mut acc = vec![0u32; nw];
    for (oy, (y0, wy)) in yt.iter().enumerate() {
        acc.fill(0);
        for (j, &weight_y) in wy.iter().enumerate() {
            let src = &raw[(y0 + j) * w..(y0 + j + 1) * w];
            for (r, (x0, wx)) in row.iter_mut().zip(&xt) {
                *r = wx
                    .iter()
                    .zip(&src[*x0..*x0 + wx.len()])
                    .map(|(&a, &v)| a * v as u32)
                    .sum();
            }
            for (a, &r) in acc.iter_mut().zip(&row) {
                *a += r * weight_y;
            }
        }
        // Weights sum to 256 each way: the value is scaled by 65536.
        for (o, &a) in out[oy * nw..(oy + 1) * nw].iter_mut().zip(&acc) {
            *o = ((a + 32768) >> 16).min(255) as u8;
        }
    }
    GrayImage::from_raw(nw as u32, nh, out).unwrap_or_else(|| img.clone())
}

/// For each of `m` output pixels over `n` input ones (m ≤ n): the first input pixel it
/// covers and the weights of the ones it covers, in 1/256, summing to 256.
fn area_taps(n: usize, m: usize) -> Vec<(usize, Vec<u32>)> {
    let step = n as f64 / m as f64;
    (0..m)
        .map(|i| {
            let (a, b) = (i as f64 * step, ((i + 1) as f64 * step).min(n as f64));
            let first = a.floor() as usize;
            let last = (b.ceil() as usize).clamp(first + 1, n);
            let mut weights: Vec<u32> = (first..last)
                .map(|j| {
                    let cover = (b.min(j as f64 + 1.0) - a.max(j as f64)).max(0.0);
                    (cover / step * 256.0).round() as u32
                })
                .collect();
            let sum: u32 = weights.iter().sum();
            // Rounding: the largest weight takes up the difference.
            if let Some(big) = weights.iter_mut().max() {
                *big = (*big + 256).saturating_sub(sum);
            }
            (first, weights)
        })
        .collect()
}

/// Scales `img` down by a whole factor (averaging k×k blocks; a partial block at the
/// right or bottom edge is dropped).
pub fn shrink_whole(img: &GrayImage, k: u32) -> GrayImage {
    let (w, h) = img.dimensions();
    let k = k.max(1) as usize;
    let (nw, nh) = ((w as usize / k).max(1), (h as usize / k).max(1));
    let (w, h) = (w as usize, h as usize);
    let raw = img.as_raw();
    let mut out = vec![0u8; nw * nh];
    let mut sums = vec![0u32; nw];
    let area = (k * k) as u32;
    for (oy, out_row) in out.chunks_exact_mut(nw).enumerate() {
        sums.fill(0);
        for y in oy * k..(oy * k + k).min(h) {
            let row = &raw[y * w..(y + 1) * w];
            for (s, block) in sums.iter_mut().zip(row.chunks_exact(k)) {
                *s += block.iter().map(|&v| v as u32).sum::<u32>();
            }
        }
        for (o, &s) in out_row.iter_mut().zip(&sums) {
            *o = (s / area) as u8;
        }
    }
    GrayImage::from_raw(nw as u32, nh as u32, out).unwrap_or_else(|| img.clone())
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
                } else if r > g.max(b) {
                    // A reddish pixel is seal ink faded by the scan or the JPEG fringe of
                    // a stroke: the red channel shows it light, and black text printed
                    // over the seal stays dark in it.
                    Luma([r])
                } else {
                    let y = (299 * r as u32 + 587 * g as u32 + 114 * b as u32) / 1000;
                    Luma([y as u8])
                };
            }
            out
        }
    }
}

/// Sauvola binarisation: ink where `v < mean * (1 + k * (sd / 128 - 1))` over a window
/// `win` (odd, pixels) clipped at the borders, and `v < mean - 12`. The window sums come
/// from column sums slid down the page and a prefix sum along each row, so memory stays
/// a few rows wide, and rows of background only are skipped.
pub fn sauvola(img: &GrayImage, win: usize, k: f64) -> Bin {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut bin = Bin::new(w, h);
    if w == 0 || h == 0 {
        return bin;
    }
    let raw = img.as_raw();
    let half = win / 2;
    // Sums of v and v² down each column over the window's rows [top, bottom).
    let mut col1 = vec![0u64; w];
    let mut col2 = vec![0u64; w];
    // Prefix sums of those along the row: p[x] = sum of col[..x].
    let mut p1 = vec![0u64; w + 1];
    let mut p2 = vec![0u64; w + 1];
    let (mut top, mut bottom) = (0usize, 0usize);
    for y in 0..h {
        let y0 = y.saturating_sub(half);
        let y1 = (y + half + 1).min(h);
        while bottom < y1 {
            for (x, &v) in raw[bottom * w..(bottom + 1) * w].iter().enumerate() {
                col1[x] += v as u64;
                col2[x] += (v as u64) * (v as u64);
            }
            bottom += 1;
        }
        while top < y0 {
            for (x, &v) in raw[top * w..(top + 1) * w].iter().enumerate() {
                col1[x] -= v as u64;
                col2[x] -= (v as u64) * (v as u64);
            }
            top += 1;
        }
        let row = &raw[y * w..(y + 1) * w];
        if row.iter().all(|&v| v > 235) {
            continue;
        }
        for x in 0..w {
            p1[x + 1] = p1[x] + col1[x];
            p2[x + 1] = p2[x] + col2[x];
        }
        let rows_in = (y1 - y0) as u64;
        for (x, &v) in row.iter().enumerate() {
            if v > 235 {
                continue;
            }
            let x0 = x.saturating_sub(half);
            let x1 = (x + half + 1).min(w);
            let n = rows_in * (x1 - x0) as u64;
            let a = p1[x1] - p1[x0];
            // Cheap test first: v < mean - 12, i.e. (v + 12) n < a.
            if (v as u64 + 12) * n >= a {
                continue;
            }
            let b = p2[x1] - p2[x0];
            let nf = n as f64;
            let mean = a as f64 / nf;
            let var = (b as f64 / nf - mean * mean).max(0.0);
            let t = mean * (1.0 + k * (var.sqrt() / 128.0 - 1.0));
            // The floor keeps flat dark areas (dark page edges) background unless
            // clearly darker than their surroundings.
            if (v as f64) < t {
                bin.px[y * w + x] = true;
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
    if bin.w == 0 {
        return out;
    }
    for (y, row) in bin.px.chunks_exact(bin.w).enumerate() {
        let block_row = &mut out.px[(y / f) * w..(y / f + 1) * w];
        for (x, &ink) in row.iter().enumerate() {
            if ink {
                block_row[x / f] = true;
            }
        }
    }
    out
}

/// Estimates the skew of a greyscale page (see [`estimate_skew`]) on a copy scaled down
/// to 1000–2000 pixels a side, binarised with window `win` scaled alike: text lines
/// and rulings stay lines at that size, and it costs a fraction of the full page.
pub fn estimate_skew_gray(gray: &GrayImage, win: usize, max_deg: f64) -> f64 {
    let (g, k) = shrunk_by_whole(gray, 1000);
    estimate_skew(&sauvola(&g, (win / k as usize).max(7) | 1, 0.2), max_deg)
}

/// `gray` shrunk by the whole factor `k` that brings its longer side under `2 × side`
/// ([`shrink_whole`]), with `k`; itself when it is small enough already.
pub fn shrunk_by_whole(gray: &GrayImage, side: u32) -> (std::borrow::Cow<'_, GrayImage>, u32) {
    let k = (gray.width().max(gray.height()) / side.max(1)).max(1);
    if k > 1 {
        (std::borrow::Cow::Owned(shrink_whole(gray, k)), k)
    } else {
        (std::borrow::Cow::Borrowed(gray), 1)
    }
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
    let score = |pts: &[(f64, f64)], deg: f64| -> f64 {
        let t = deg.to_radians().tan();
        let off = w * t.abs() + 2.0;
        let n = (h + 2.0 * off) as usize + 2;
        let mut hist = vec![0u32; n];
        for &(x, y) in pts {
            let yy = y - x * t + off;
            let i = yy as usize;
            if i < n {
                hist[i] += 1;
            }
        }
        hist.iter().map(|&c| (c as f64) * (c as f64)).sum()
    };
    // Coarse steps over a sample of the points, then fine steps around the best.
    let step = pts.len() / 40_000 + 1;
    let sample: Vec<(f64, f64)> = pts.iter().copied().step_by(step).collect();
    let mut coarse = (0.0, score(&sample, 0.0));
    let mut a = -max_deg;
    while a <= max_deg + 1e-9 {
        let s = score(&sample, a);
        if s > coarse.1 {
            coarse = (a, s);
        }
        a += 0.25;
    }
    let centre = coarse.0;
    let mut best = (centre, score(&pts, centre));
    let mut a = centre - 0.25;
    while a <= centre + 0.25 + 1e-9 {
        let s = score(&pts, a);
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
                // 8-bit fractions are plenty for 8-bit pixels, and keep the sums in u32.
                let (fx, fy) = (((sx >> 8) & 0xFF) as u32, ((sy >> 8) & 0xFF) as u32);
                let i = (y0 * wi + x0) as usize;
                let p = |k: usize| raw[k] as u32;
                let top = p(i) * (256 - fx) + p(i + 1) * fx;
                let bottom = p(i + wu) * (256 - fx) + p(i + wu + 1) * fx;
                *o = ((top * (256 - fy) + bottom * fy + (1 << 15)) >> 16) as u8;
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
        // The faded, pinkish fringe of a seal stroke reads light; black over red dark.
        let mut rgb = RgbImage::from_pixel(2, 1, image::Rgb([230, 160, 165]));
        rgb.put_pixel(1, 0, image::Rgb([40, 10, 12]));
        let g = to_gray_without_seal(&DynamicImage::ImageRgb8(rgb));
        assert!(g.get_pixel(0, 0).0[0] >= 230);
        assert!(g.get_pixel(1, 0).0[0] <= 40);
    }

    #[test]
    fn area_shrink_keeps_means_and_edges() {
        // Black up to x = 151, white after, 300×90 → 220×66.
        let mut g = GrayImage::from_pixel(300, 90, Luma([255]));
        for y in 0..90 {
            for x in 0..151 {
                g.put_pixel(x, y, Luma([0]));
            }
        }
        let s = shrink_by(&g, 220.0 / 300.0);
        assert_eq!(s.dimensions(), (220, 66));
        assert_eq!(s.get_pixel(10, 30).0[0], 0);
        assert_eq!(s.get_pixel(200, 30).0[0], 255);
        // Output column 110 covers input [150, 151.36): 0.36 of it white, 255 × 0.27.
        let edge = s.get_pixel(110, 30).0[0];
        assert!((60..=76).contains(&edge), "edge {edge}");
        // A flat grey stays exactly that grey.
        let flat = shrink_by(&GrayImage::from_pixel(97, 41, Luma([137])), 0.61);
        assert!(flat.pixels().all(|p| p.0[0] == 137));
    }

    /// The definition, over whole-image integral images.
    fn sauvola_reference(img: &GrayImage, win: usize, k: f64) -> Bin {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let mut bin = Bin::new(w, h);
        let stride = w + 1;
        let mut s1 = vec![0u64; stride * (h + 1)];
        let mut s2 = vec![0u64; stride * (h + 1)];
        for y in 0..h {
            let (mut r1, mut r2) = (0u64, 0u64);
            for x in 0..w {
                let v = img.get_pixel(x as u32, y as u32).0[0] as u64;
                r1 += v;
                r2 += v * v;
                s1[(y + 1) * stride + x + 1] = s1[y * stride + x + 1] + r1;
                s2[(y + 1) * stride + x + 1] = s2[y * stride + x + 1] + r2;
            }
        }
        let half = win / 2;
        for y in 0..h {
            let (y0, y1) = (y.saturating_sub(half), (y + half + 1).min(h));
            for x in 0..w {
                let v = img.get_pixel(x as u32, y as u32).0[0] as f64;
                if v > 235.0 {
                    continue;
                }
                let (x0, x1) = (x.saturating_sub(half), (x + half + 1).min(w));
                let n = ((y1 - y0) * (x1 - x0)) as f64;
                let sum = |s: &[u64]| {
                    (s[y1 * stride + x1] + s[y0 * stride + x0]
                        - s[y0 * stride + x1]
                        - s[y1 * stride + x0]) as f64
                };
                let mean = sum(&s1) / n;
                let var = (sum(&s2) / n - mean * mean).max(0.0);
                let t = mean * (1.0 + k * (var.sqrt() / 128.0 - 1.0));
                bin.set(x, y, v < t && v < mean - 12.0);
            }
        }
        bin
    }

    #[test]
    fn sliding_sauvola_matches_its_definition() {
        // Text-like strokes over noise and a lighting ramp, with white rows between.
        let mut g = GrayImage::from_pixel(173, 91, Luma([255]));
        let mut seed = 12345u32;
        for (x, y, p) in g.enumerate_pixels_mut() {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let noise = (seed >> 16) % 40;
            if y % 30 < 22 {
                let bg = 250 - x * 60 / 173;
                let ink = (x / 3 + y / 5) % 7 == 0;
                p.0[0] = (if ink { bg - 120 } else { bg } - noise) as u8;
            }
        }
        for win in [15, 31, 61] {
            assert_eq!(sauvola(&g, win, 0.2), sauvola_reference(&g, win, 0.2));
        }
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
