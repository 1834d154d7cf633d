//! One cell's ink: its box without ruling stubs and specks, the crops handed to OCR,
//! and the shape features that group cells of identical rendering. Pure functions over
//! the binary and grey pictures; no OCR here.

use super::prep::Bin;
use super::recognise::PxBox;
use super::scale::Component;
use image::{imageops, GrayImage, Luma};

/// Ink bounding box inside a region, ignoring what lies along its edges as rows or
/// columns mostly ink (rulings the grid did not erase) or as thin stubs set apart, and
/// tiny specks; `None` when the region is blank.
pub fn ink_box(
    bin: &Bin,
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    row_h: usize,
) -> Option<(usize, usize, usize, usize)> {
    let (w, h) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
    if w < 3 || h < 3 {
        return None;
    }
    // Residual rulings can only lie in a band along the edges of the interior.
    let band = 5;
    let in_band = |d: usize, n: usize| d < band || d + band >= n;
    let mut row_ok: Vec<bool> = (0..h)
        .map(|dy| !in_band(dy, h) || bin.count(x0, y0 + dy, x1, y0 + dy + 1) * 10 <= w * 6)
        .collect();
    let mut col_ok: Vec<bool> = (0..w)
        .map(|dx| !in_band(dx, w) || bin.count(x0 + dx, y0, x0 + dx + 1, y1) * 10 <= h * 6)
        .collect();
    let mut rows = vec![0usize; h];
    let mut cols = vec![0usize; w];
    let count_ink = |row_ok: &[bool], col_ok: &[bool], rows: &mut [usize], cols: &mut [usize]| {
        rows.fill(0);
        cols.fill(0);
        let mut total = 0;
        for dy in (0..h).filter(|&dy| row_ok[dy]) {
            for dx in (0..w).filter(|&dx| col_ok[dx]) {
                if bin.get(x0 + dx, y0 + dy) {
                    rows[dy] += 1;
                    cols[dx] += 1;
                    total += 1;
                }
            }
        }
        total
    };
    let mut total = count_ink(&row_ok, &col_ok, &mut rows, &mut cols);
    // Vertical stubs first: they would join the rows of a line to a stroke above it.
    if drop_edge_stubs(&cols, &mut col_ok, row_h / 3, row_h) {
        total = count_ink(&row_ok, &col_ok, &mut rows, &mut cols);
    }
    if drop_edge_stubs(&rows, &mut row_ok, row_h / 5, row_h) {
        total = count_ink(&row_ok, &col_ok, &mut rows, &mut cols);
    }
    // Blank: too little ink for a glyph at this cell height.
    // A glyph (even "1" or ".") of a text line in a row `row_h` high has more ink.
    let min_ink = (row_h * row_h / 150).max(10);
    if total < min_ink {
        return None;
    }
    // Trim sparse margins (noise specks): keep rows/cols with ink, cutting from the ends
    // while the cumulative ink there is under 1 %.
    let cut = |v: &[usize]| -> Option<(usize, usize)> {
        let t: usize = v.iter().sum();
        let lim = t / 100;
        let mut a = 0;
        let mut acc = 0;
        while a < v.len() && acc + v[a] <= lim {
            acc += v[a];
            a += 1;
        }
        let mut b = v.len();
        acc = 0;
        while b > a && acc + v[b - 1] <= lim {
            acc += v[b - 1];
            b -= 1;
        }
        (b > a).then_some((a, b))
    };
    let (ry0, ry1) = cut(&rows)?;
    let (cx0, cx1) = cut(&cols)?;
    if ry1 - ry0 < 4 {
        return None;
    }
    Some((x0 + cx0, y0 + ry0, x0 + cx1, y0 + ry1))
}

/// Marks as not ink a thin run of columns (or rows) at either edge of a cell, set apart
/// from the rest of its ink by `gap`: a stub of a ruling line that the skew left inside
/// the cell (short, so the mostly-ink test misses it) or a speck of noise. Read with the
/// number beside it, it becomes "|0" or "10", or a crop twice the digit's height. The
/// digits of one number never leave a gap of a third of the row height between them,
/// nor the lines of a label a fifth. True when a run was dropped.
pub(crate) fn drop_edge_stubs(
    cols: &[usize],
    col_ok: &mut [bool],
    gap: usize,
    row_h: usize,
) -> bool {
    let gap = gap.max(4);
    let thin = (row_h / 8).max(3);
    let edge = (row_h / 4).max(6);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (x, &n) in cols.iter().enumerate() {
        if n == 0 {
            continue;
        }
        match runs.last_mut() {
            Some(run) if x < run.1 + gap => run.1 = x + 1,
            _ => runs.push((x, x + 1)),
        }
    }
    if runs.len() < 2 {
        return false;
    }
    let ink = |r: (usize, usize)| -> usize { cols[r.0..r.1].iter().sum() };
    // What stays must be the cell's main ink: a lone "1" beside a speck is kept.
    let most = runs.iter().map(|&r| ink(r)).max().unwrap_or(0);
    let (first, last) = (runs[0], runs[runs.len() - 1]);
    let stubs = [
        first.0 < edge && first.1 - first.0 <= thin,
        last.1 + edge > cols.len() && last.1 - last.0 <= thin,
    ];
    let mut dropped = false;
    for (run, is_stub) in [first, last].into_iter().zip(stubs) {
        if is_stub && ink(run) < most {
            col_ok[run.0..run.1].fill(false);
            dropped = true;
        }
    }
    dropped
}

/// Erases from `bin` the specks of noise inside a cell's ink box and returns the box
/// of what is left (`None`: nothing but specks). Scanner speckle and JPEG debris beside
/// a number read as dots and commas ("0." "0:"), which make a number a label. A speck
/// is a component under a third of the cell's tallest one on both sides; it is kept
/// where a decimal point or a dash would be: between the glyphs, in the lower part of
/// their band, or as the cell's only ink.
pub fn drop_specks(bin: &mut Bin, b: PxBox) -> Option<PxBox> {
    let (x0, y0, x1, y1) = b;
    let (w, h) = (x1 - x0, y1 - y0);
    let comps = components_in(bin, b);
    let tallest = comps.iter().map(|c| c.y1 - c.y0).max()?;
    // A small picture's dash is hardly bigger than the speckle round it: beside a bar
    // (the most ink, wider than high), a speck is a component with a third of its ink
    // or less, under three fifths of its width either way.
    let bar = comps
        .iter()
        .max_by_key(|c| c.ink)
        .filter(|c| (c.x1 - c.x0) * 2 >= (c.y1 - c.y0) * 3);
    let beside_bar = |c: &Component| {
        bar.is_some_and(|b| {
            let side = (c.x1 - c.x0).max(c.y1 - c.y0);
            c.ink * 3 <= b.ink && side * 5 <= (b.x1 - b.x0) * 3
        })
    };
    let small = |c: &Component| {
        ((c.y1 - c.y0) * 3 < tallest && (c.x1 - c.x0) * 3 < tallest) || beside_bar(c)
    };
    let big: Vec<_> = comps.iter().filter(|c| !small(c)).collect();
    if big.is_empty() {
        return Some(b);
    }
    let left = big.iter().map(|c| c.x0).min().unwrap_or(0);
    let right = big.iter().map(|c| c.x1).max().unwrap_or(w);
    let top = big.iter().map(|c| c.y0).min().unwrap_or(0);
    let bottom = big.iter().map(|c| c.y1).max().unwrap_or(h);
    let decimal_point = |c: &Component| {
        let (cx, cy) = ((c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2);
        cx > left && cx < right && cy * 5 >= top * 5 + (bottom - top) * 3 && c.y1 <= bottom + 2
    };
    let mut kept: Option<PxBox> = None;
    for c in &comps {
        if small(c) && !decimal_point(c) {
            // Its box may reach into a glyph's: only pixels outside every glyph's go.
            for y in c.y0..c.y1 {
                for x in c.x0..c.x1 {
                    let in_glyph = big
                        .iter()
                        .any(|g| (g.x0..g.x1).contains(&x) && (g.y0..g.y1).contains(&y));
                    if !in_glyph {
                        bin.px[(y0 + y) * bin.w + x0 + x] = false;
                    }
                }
            }
            continue;
        }
        kept = Some(match kept {
            None => (c.x0, c.y0, c.x1, c.y1),
            Some(k) => (k.0.min(c.x0), k.1.min(c.y0), k.2.max(c.x1), k.3.max(c.y1)),
        });
    }
    kept.map(|k| (x0 + k.0, y0 + k.1, x0 + k.2, y0 + k.3))
}

/// Whether the ink of box `b` is specks only: every component under a third of a
/// glyph (`glyph` pixels high) on both sides, and none a bar (a small picture's hyphen,
/// a printed zero, is hardly bigger). The speckle of a noisy scan in an empty cell;
/// also all that may be left of a very faint number, so such a cell is not blank.
pub fn only_specks(bin: &Bin, b: PxBox, glyph: f32) -> bool {
    let speck = glyph / 3.0;
    components_in(bin, b).iter().all(|c| {
        let (w, h) = ((c.x1 - c.x0) as f32, (c.y1 - c.y0) as f32);
        // A CJK font's hyphen is short: 0.18 of the glyph in Ming/Song faces.
        let bar = w >= h * 1.5 && w >= glyph / 6.0;
        w < speck && h < speck && !bar
    })
}

/// A clean OCR crop: the binary ink of the box, padded and scaled so that the text is
/// about `target_h` pixels high.
pub fn ocr_crop(bin: &Bin, b: (usize, usize, usize, usize), target_h: f32) -> GrayImage {
    let (x0, y0, x1, y1) = b;
    let (w, h) = ((x1 - x0) as u32, (y1 - y0) as u32);
    let mut crop = GrayImage::from_pixel(w, h, Luma([255]));
    for y in 0..h {
        for x in 0..w {
            if bin.get(x0 + x as usize, y0 + y as usize) {
                crop.put_pixel(x, y, Luma([0]));
            }
        }
    }
    scale_and_pad(crop, target_h)
}

/// Scales a crop so its text is about `target_h` pixels high (up to 4×) and pads it
/// with white on every side by half its height: tesseract reads a line best so.
pub(crate) fn scale_and_pad(crop: GrayImage, target_h: f32) -> GrayImage {
    let (w, h) = crop.dimensions();
    let scale = (target_h / h.max(1) as f32).clamp(1.0, 4.0);
    let crop = if scale > 1.05 {
        let nw = ((w as f32 * scale).round() as u32).max(1);
        let nh = ((h as f32 * scale).round() as u32).max(1);
        super::resize::resize_triangle(&crop, nw, nh)
    } else {
        crop
    };
    let pad = (crop.height() / 2).max(10);
    let mut out =
        GrayImage::from_pixel(crop.width() + 2 * pad, crop.height() + 2 * pad, Luma([255]));
    imageops::replace(&mut out, &crop, pad as i64, pad as i64);
    out
}

/// The grey pixels of the box, contrast-stretched (background white, darkest ink black),
/// scaled and padded exactly as [`ocr_crop`] does. Tesseract reads anti-aliased glyphs
/// better than their binarisation: a clean isolated "5" binarised can read as "2".
/// Pixels farther than two from any ink of `bin` are set to white first: the noise,
/// specks and erased rulings the binarisation dropped do not come back through the grey.
pub fn gray_crop(
    gray: &GrayImage,
    bin: &Bin,
    b: (usize, usize, usize, usize),
    target_h: f32,
) -> GrayImage {
    let (x0, y0, x1, y1) = b;
    let (w, h) = ((x1 - x0) as u32, (y1 - y0) as u32);
    let mut crop = imageops::crop_imm(gray, x0 as u32, y0 as u32, w, h).to_image();
    let near_ink = |x: usize, y: usize| {
        let (ya, yb) = (y.saturating_sub(2), (y + 3).min(bin.h));
        let (xa, xb) = (x.saturating_sub(2), (x + 3).min(bin.w));
        (ya..yb).any(|yy| bin.px[yy * bin.w + xa..yy * bin.w + xb].contains(&true))
    };
    for (x, y, p) in crop.enumerate_pixels_mut() {
        if !near_ink(x0 + x as usize, y0 + y as usize) {
            p.0[0] = 255;
        }
    }
    scale_and_pad(stretched(crop), target_h)
}

/// The grey pixels of a text box, contrast-stretched, scaled and padded as [`ocr_crop`]
/// does, with nothing masked: the binary ink of small ideographs is blobs, and masking
/// the grey by it would keep their blur (no ruling or speck lies inside a text box).
pub fn gray_text_crop(
    gray: &GrayImage,
    b: (usize, usize, usize, usize),
    target_h: f32,
) -> GrayImage {
    let (x0, y0, x1, y1) = b;
    let crop = imageops::crop_imm(
        gray,
        x0 as u32,
        y0 as u32,
        (x1 - x0) as u32,
        (y1 - y0) as u32,
    );
    scale_and_pad(stretched(crop.to_image()), target_h)
}

/// `crop` with its darkest ink (1st percentile) black and its paper (80th) white.
fn stretched(mut crop: GrayImage) -> GrayImage {
    let (w, h) = crop.dimensions();
    let mut hist = [0u32; 256];
    for p in crop.pixels() {
        hist[p.0[0] as usize] += 1;
    }
    let n = (w * h).max(1);
    let quantile = |q: u32| -> u8 {
        let mut acc = 0;
        for (v, c) in hist.iter().enumerate() {
            acc += c;
            if acc * 100 >= n * q {
                return v as u8;
            }
        }
        255
    };
    let (lo, hi) = (quantile(1) as f32, quantile(80) as f32);
    let span = (hi - lo).max(16.0);
    for p in crop.pixels_mut() {
        let v = ((p.0[0] as f32 - lo) / span * 255.0).clamp(0.0, 255.0);
        p.0[0] = v as u8;
    }
    crop
}

/// Fixed-height shape feature of a cell's ink (for grouping identical renderings).
#[derive(Debug, Clone)]
pub struct Shape {
    pub w: usize,
    pub feat: Vec<f32>,
}

pub const SHAPE_H: usize = 20;

/// True when the ink is a printed zero sign "-" or "—" (or two): a solid bar, low
/// (under a fifth of the row) and at least 1.5 times as wide as high (blur thickens a
/// short hyphen of a small picture to 7 × 4 px). The digits engine reads a lone dash
/// with little confidence, and chi_sim as "一" or nothing.
pub(crate) fn is_dash_bar(bin: &Bin, b: (usize, usize, usize, usize), row_h: usize) -> bool {
    let (x0, y0, x1, y1) = b;
    let (bw, bh) = (x1 - x0, y1 - y0);
    bh * 5 <= row_h && bw * 2 >= bh * 3 && bin.count(x0, y0, x1, y1) * 10 >= bw * bh * 6
}

/// The widest run of inked columns in the box (a glyph, or glyphs that touch), over the
/// box's height: about 0.5–0.7 for digits, 0.9–1.0 for most Chinese characters.
pub(crate) fn widest_glyph(bin: &Bin, b: (usize, usize, usize, usize)) -> f32 {
    let (x0, y0, x1, y1) = b;
    let (mut widest, mut run) = (0usize, 0usize);
    for x in x0..x1 {
        if (y0..y1).any(|y| bin.get(x, y)) {
            run += 1;
            widest = widest.max(run);
        } else {
            run = 0;
        }
    }
    widest as f32 / (y1 - y0).max(1) as f32
}

/// Area-averaged ink coverage of the box scaled to height [`SHAPE_H`], width by aspect.
pub fn shape_of(bin: &Bin, b: (usize, usize, usize, usize)) -> Shape {
    let (x0, y0, x1, y1) = b;
    let (bw, bh) = ((x1 - x0).max(1) as f32, (y1 - y0).max(1) as f32);
    let w = ((bw / bh * SHAPE_H as f32).round() as usize).clamp(4, 160);
    let mut feat = vec![0f32; w * SHAPE_H];
    let (sx, sy) = (w as f32 / bw, SHAPE_H as f32 / bh);
    let mut cnt = vec![0f32; w * SHAPE_H];
    for y in y0..y1 {
        let fy = (((y - y0) as f32 + 0.5) * sy) as usize;
        for x in x0..x1 {
            let fx = (((x - x0) as f32 + 0.5) * sx) as usize;
            let i = fy.min(SHAPE_H - 1) * w + fx.min(w - 1);
            cnt[i] += 1.0;
            if bin.get(x, y) {
                feat[i] += 1.0;
            }
        }
    }
    for (f, c) in feat.iter_mut().zip(&cnt) {
        if *c > 0.0 {
            *f /= c;
        }
    }
    Shape { w, feat }
}

/// Mean absolute difference of two shapes of the same width; `None` if widths differ.
pub fn shape_distance(a: &Shape, b: &Shape) -> Option<f32> {
    if a.w != b.w {
        return None;
    }
    let s: f32 = a.feat.iter().zip(&b.feat).map(|(x, y)| (x - y).abs()).sum();
    Some(s / a.feat.len() as f32)
}

/// Cells whose shapes differ by less than this are read once (same rendering).
pub const SAME_SHAPE: f32 = 0.10;

/// Groups shapes greedily around leaders; returns (leader index, members) per group.
pub fn group_shapes(shapes: &[Shape], thr: f32) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, s) in shapes.iter().enumerate() {
        let best = groups
            .iter()
            .enumerate()
            .filter_map(|(gi, g)| shape_distance(&shapes[g[0]], s).map(|d| (gi, d)))
            .filter(|&(_, d)| d < thr)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((gi, _)) => groups[gi].push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

/// Number of text lines in the ink box (row-profile runs separated by blank rows).
/// `glyph`: the picture's glyph height. A box less than one and a half glyphs high holds
/// one line however its rows break: a blurred "5" whose stem the binarisation lost is a
/// bar over a bowl, each a run of its own.
pub(crate) fn count_lines(bin: &Bin, b: (usize, usize, usize, usize), glyph: f32) -> usize {
    let (x0, y0, x1, y1) = b;
    // Runs of inked rows, joined over gaps of one blank row.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for y in y0..y1 {
        if bin.count(x0, y, x1, y + 1) == 0 {
            continue;
        }
        match runs.last_mut() {
            Some(run) if y <= run.1 + 2 => run.1 = y + 1,
            _ => runs.push((y, y + 1)),
        }
    }
    // A speck of noise above or below a number is not a line of its own.
    let tallest = runs.iter().map(|r| r.1 - r.0).max().unwrap_or(0);
    let lines: Vec<&(usize, usize)> = runs.iter().filter(|r| (r.1 - r.0) * 3 >= tallest).collect();
    match (lines.first(), lines.last()) {
        (Some(first), Some(last)) if ((last.1 - first.0) as f32) < glyph * 1.5 => 1,
        _ => lines.len(),
    }
}

/// The glyphs in a box: its connected components, those stacked over each other taken
/// as one, at least half as high as the tallest (a dash or a decimal point is not one);
/// and whether a bar (wider than high, low) stands before them all, as a minus sign does.
pub(crate) fn glyph_count(bin: &Bin, b: PxBox) -> (usize, bool) {
    let comps = components_in(bin, b);
    let stacks = stacked_parts_joined(&comps);
    let tallest = stacks.iter().map(|c| c.y1 - c.y0).max().unwrap_or(0);
    let glyphs: Vec<_> = stacks
        .iter()
        .filter(|c| (c.y1 - c.y0) * 2 >= tallest)
        .collect();
    let first = glyphs.iter().map(|c| c.x0).min().unwrap_or(0);
    let minus = comps.iter().any(|c| {
        let (cw, ch) = (c.x1 - c.x0, c.y1 - c.y0);
        ch * 3 < tallest && cw * 2 >= ch * 3 && c.x1 <= first
    });
    (glyphs.len(), minus)
}

/// Components that overlap in x by half the narrower one's width or more, joined into
/// one box: the digits of a number stand side by side, so parts one above the other are
/// one glyph the binarisation broke (a "2" whose faint diagonal it lost is an arc over a
/// bar, each half the digit's height).
fn stacked_parts_joined(comps: &[Component]) -> Vec<Component> {
    let mut out: Vec<Component> = Vec::new();
    let mut sorted: Vec<&Component> = comps.iter().collect();
    sorted.sort_by_key(|c| c.x0);
    for c in sorted {
        let stacked = out.iter_mut().find(|o| {
            let overlap = o.x1.min(c.x1).saturating_sub(o.x0.max(c.x0));
            let narrower = (o.x1 - o.x0).min(c.x1 - c.x0);
            overlap * 2 >= narrower.max(1)
        });
        match stacked {
            Some(o) => {
                o.x0 = o.x0.min(c.x0);
                o.x1 = o.x1.max(c.x1);
                o.y0 = o.y0.min(c.y0);
                o.y1 = o.y1.max(c.y1);
                o.ink += c.ink;
            }
            None => out.push(*c),
        }
    }
    out
}

/// Grey darker than a quarter of the way from paper to ink, around the binary ink of
/// box `b`: ink lost to the binarisation (thin strokes of a Ming or Kai face) is darker
/// than that, paper and its noise lighter. Paper is the grey the band of columns
/// `cols` (over `b`'s rows) reaches at its 90th percentile, ink the mean grey of `b`'s
/// binary ink. With the count of that ink and the contrast (paper less ink); `None`
/// when `b` holds none.
pub(crate) fn faint_ink_threshold(
    gray: &GrayImage,
    bin: &Bin,
    b: PxBox,
    cols: (usize, usize),
) -> Option<(f32, usize, f32)> {
    let (x0, y0, x1, y1) = b;
    let level = |x: usize, y: usize| f32::from(gray.get_pixel(x as u32, y as u32).0[0]);
    let (mut ink_sum, mut ink_n) = (0.0, 0usize);
    for y in y0..y1 {
        for x in x0..x1 {
            if bin.get(x, y) {
                ink_sum += level(x, y);
                ink_n += 1;
            }
        }
    }
    let mut band: Vec<f32> = (y0..y1)
        .flat_map(|y| (cols.0..cols.1).map(move |x| (x, y)))
        .map(|(x, y)| level(x, y))
        .collect();
    band.sort_by(f32::total_cmp);
    let paper = *band.get(band.len() * 9 / 10)?;
    if ink_n == 0 {
        return None;
    }
    let ink = ink_sum / ink_n as f32;
    Some((paper - (paper - ink) / 4.0, ink_n, paper - ink))
}

/// [`glyph_count`], with two neighbouring glyphs taken for one when the grey joins them
/// at their top and at their bottom: a Kai or Ming "0" whose thin top and bottom strokes
/// the binarisation lost falls apart into two arcs. Two digits side by side ("11") are
/// parted by paper at the top at least.
pub(crate) fn glyph_count_joined(gray: &GrayImage, bin: &Bin, b: PxBox) -> (usize, bool) {
    let (n, minus) = glyph_count(bin, b);
    match glyph_parts_joined(gray, bin, b) {
        Some(parts) => (parts.len(), minus),
        None => (n, minus),
    }
}

/// The glyphs of [`glyph_count_joined`], left to right, each as the number of binary
/// glyphs it was joined from (1 for most, 2 for a 0 fallen into two arcs). `None` when
/// nothing was joined or the grey could not be judged.
pub(crate) fn glyph_parts_joined(gray: &GrayImage, bin: &Bin, b: PxBox) -> Option<Vec<usize>> {
    if b.2 > gray.width() as usize || b.3 > gray.height() as usize {
        return None;
    }
    let comps = components_in(bin, b);
    let tallest = comps.iter().map(|c| c.y1 - c.y0).max().unwrap_or(0);
    let mut glyphs: Vec<_> = comps
        .iter()
        .filter(|c| (c.y1 - c.y0) * 2 >= tallest)
        .collect();
    if glyphs.len() < 2 {
        return None;
    }
    glyphs.sort_by_key(|c| c.x0);
    let (dark, _, _) = faint_ink_threshold(gray, bin, b, (b.0, b.2))?;
    let level = |x: usize, y: usize| gray.get_pixel((b.0 + x) as u32, (b.1 + y) as u32).0[0];
    // A row from one glyph's right edge to the next one's left edge, all of it dark.
    let bridged_in = |l: &Component, r: &Component, ys: std::ops::Range<usize>| {
        ys.into_iter()
            .any(|y| (l.x1..r.x0).all(|x| f32::from(level(x, y)) < dark))
    };
    let mut parts = vec![1usize];
    for pair in glyphs.windows(2) {
        let (l, r) = (pair[0], pair[1]);
        let (top, bottom) = (l.y0.max(r.y0), l.y1.min(r.y1));
        let third = bottom.saturating_sub(top) / 3;
        let joined = bottom > top + 2
            && r.x0 > l.x1
            && bridged_in(l, r, top.saturating_sub(1)..top + third)
            && bridged_in(l, r, bottom - third..(bottom + 1).min(b.3 - b.1));
        match parts.last_mut() {
            Some(last) if joined => *last += 1,
            _ => parts.push(1),
        }
    }
    (parts.len() < glyphs.len()).then_some(parts)
}

/// The connected components of the ink inside box `b`, in the box's coordinates.
/// The 8-connected components of the ink in box `b`, in the box's coordinates.
pub(crate) fn components_in(bin: &Bin, b: PxBox) -> Vec<Component> {
    let (x0, y0, x1, y1) = b;
    let mut local = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        local.extend_from_slice(&bin.px[y * bin.w + x0..y * bin.w + x1]);
    }
    super::scale::components(&local, x1 - x0, y1 - y0, |v| v)
}

/// True when a faint bar stands just left of the number in `ink`, at the digits' middle
/// height, inside the cell `interior`, with nothing else around it: a minus sign whose
/// thin stroke the binarisation dropped (a 1-px "-" of a small picture, enlarged, is
/// mid-grey). Read from the grey picture: darker than paper by 30 % of the ink's
/// contrast, 1/4 to 1 1/4 digit heights long, at most a fifth of one thick.
pub(crate) fn faint_minus_before(gray: &GrayImage, interior: PxBox, ink: PxBox) -> bool {
    let (ix0, iy0, ix1, iy1) = interior;
    let (x0, y0, _, y1) = ink;
    let h = y1.saturating_sub(y0);
    let (gw, gh) = (gray.width() as usize, gray.height() as usize);
    if h < 8 || x0 <= ix0 || ix1 > gw || iy1 > gh || y1 > gh {
        return false;
    }
    let px = |x: usize, y: usize| gray.get_pixel(x as u32, y as u32).0[0];
    let mut hist = [0u32; 256];
    for y in iy0..iy1 {
        for x in ix0..ix1 {
            hist[px(x, y) as usize] += 1;
        }
    }
    let n: u32 = hist.iter().sum();
    let mut acc = 0;
    let paper = hist
        .iter()
        .position(|&c| {
            acc += c;
            acc * 10 >= n * 9
        })
        .unwrap_or(255) as f32;
    let dark = (y0..y1)
        .flat_map(|y| (x0..ink.2.min(gw)).map(move |x| (x, y)))
        .map(|(x, y)| px(x, y))
        .min()
        .unwrap_or(255) as f32;
    if paper - dark < 60.0 {
        return false;
    }
    let t = (paper - 0.3 * (paper - dark)) as u8;
    let xa = ix0.max(x0.saturating_sub(h * 3 / 2));
    // The binary ink box leaves out the digits' anti-aliased fringe: 2 px of it.
    let xb = x0.saturating_sub(2).max(xa);
    // Per row of the digits' height: the darker-than-t pixels left of the digits.
    let mut bar_rows = Vec::new();
    for y in y0..y1 {
        let dark_px: Vec<usize> = (xa..xb).filter(|&x| px(x, y) < t).collect();
        let Some((&first, &last)) = dark_px.first().zip(dark_px.last()) else {
            continue;
        };
        let solid = dark_px.len() == last - first + 1;
        let long = dark_px.len() * 4 >= h && dark_px.len() * 4 <= h * 5;
        let near = x0 - last <= h / 2 + 1;
        if !(solid && long && near) {
            return false; // other ink beside the number: not a clean minus sign
        }
        bar_rows.push(y);
    }
    let (Some(&top), Some(&bottom)) = (bar_rows.first(), bar_rows.last()) else {
        return false;
    };
    let middle = (top + bottom) / 2;
    bottom - top + 1 == bar_rows.len()
        && bar_rows.len() * 5 <= h + 4
        && middle >= y0 + h / 3
        && middle <= y0 + h * 4 / 5
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell 120 × 40 px: a dark "digit" block 12 × 22 at x 70, and, when `bar` is
    /// given, a bar of that grey, 9 × 2 px, ending 5 px left of it at middle height.
    fn cell_with(bar: Option<u8>, extra: Option<(u32, u32, u8)>) -> GrayImage {
        let mut g = GrayImage::from_pixel(120, 40, Luma([255]));
        for y in 9..31 {
            for x in 70..82 {
                if !(73..79).contains(&x) || !(13..27).contains(&y) {
                    g.put_pixel(x, y, Luma([10]));
                }
            }
        }
        if let Some(v) = bar {
            for y in 20..22 {
                for x in 56..65 {
                    g.put_pixel(x, y, Luma([v]));
                }
            }
        }
        if let Some((x, y, v)) = extra {
            g.put_pixel(x, y, Luma([v]));
            g.put_pixel(x + 1, y, Luma([v]));
        }
        g
    }

    /// Inks the rectangle [x0, x1) × [y0, y1).
    fn fill(b: &mut Bin, (x0, y0, x1, y1): (usize, usize, usize, usize)) {
        for y in y0..y1 {
            for x in x0..x1 {
                b.set(x, y, true);
            }
        }
    }

    #[test]
    fn a_digit_broken_top_from_bottom_is_one_glyph_and_digits_side_by_side_are_two() {
        // A "2" whose faint diagonal the binarisation lost in the middle: its arc (11 px)
        // over its foot (the diagonal's end and the bar, 9 px), with paper between them.
        let mut b = Bin::new(60, 40);
        fill(&mut b, (10, 8, 22, 19));
        fill(&mut b, (9, 21, 23, 30));
        assert_eq!(glyph_count(&b, (0, 0, 60, 40)), (1, false));
        // Two digits side by side, the second as high as the first: two glyphs.
        fill(&mut b, (28, 8, 38, 30));
        assert_eq!(glyph_count(&b, (0, 0, 60, 40)).0, 2);
        // A decimal point low between them is still no glyph, nor does it join them.
        let mut p = Bin::new(60, 40);
        fill(&mut p, (10, 8, 20, 30));
        fill(&mut p, (23, 27, 26, 30));
        fill(&mut p, (29, 8, 39, 30));
        assert_eq!(glyph_count(&p, (0, 0, 60, 40)).0, 2);
    }

    #[test]
    fn a_digit_broken_in_two_runs_is_one_line_and_two_glyph_lines_are_two() {
        // A blurred "5" whose stem was lost: its bar (5 rows) over its bowl (12 rows),
        // three blank rows between them, in a picture of 25-px glyphs.
        let mut b = Bin::new(40, 80);
        fill(&mut b, (10, 10, 22, 15));
        fill(&mut b, (10, 18, 24, 30));
        assert_eq!(count_lines(&b, (0, 0, 40, 40), 25.0), 1);
        // Two lines of text, each a glyph high.
        let mut t = Bin::new(40, 80);
        fill(&mut t, (5, 5, 35, 30));
        fill(&mut t, (5, 36, 35, 61));
        assert_eq!(count_lines(&t, (0, 0, 40, 70), 25.0), 2);
    }

    #[test]
    fn a_faint_bar_before_a_number_is_a_minus_and_other_ink_is_not() {
        let (interior, ink) = ((3, 3, 117, 37), (70, 9, 82, 31));
        // A mid-grey 1-px minus enlarged: found.
        assert!(faint_minus_before(
            &cell_with(Some(140), None),
            interior,
            ink
        ));
        // No bar, or one too faint to be ink (JPEG haze): none.
        assert!(!faint_minus_before(&cell_with(None, None), interior, ink));
        assert!(!faint_minus_before(
            &cell_with(Some(225), None),
            interior,
            ink
        ));
        // A speck above the bar's row: the ink beside the number is not a clean bar.
        let specked = cell_with(Some(140), Some((60, 12, 60)));
        assert!(!faint_minus_before(&specked, interior, ink));
        // A bar at the digits' foot is an underline, not a minus.
        let mut low = cell_with(None, None);
        for x in 56..65 {
            low.put_pixel(x, 29, Luma([140]));
        }
        assert!(!faint_minus_before(&low, interior, ink));
    }
}
