//! Text lines outside a picture's tables: found by the ink profile of the rows around
//! the grids and read with chi_sim, as far as a [`LineSelection`] asks (the title at the
//! head of a report, the agency and the date at its tail). A seal over them that a grey
//! scan prints lighter than the text is dropped first.

use super::cells::ocr_crop;
use super::engine::{OcrEngine, OcrMode};
use super::grid::Grid;
use super::prep::Bin;
use super::read::join_words;
use super::recognise::{PxBox, RecogniseError};
use super::scale::without_specks;
use super::seal::Seal;
use image::GrayImage;

/// Which text lines outside the tables of a picture are read (Chinese OCR costs about
/// 7 ms per character, so a page of running text costs seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSelection {
    /// At most this many first lines, stopping at the one that completes the report's
    /// title (a report's first page).
    pub head: usize,
    /// At most this many last lines, read upwards, stopping at the one above the date
    /// (the last page: the agency signs above the date).
    pub tail: usize,
    /// Every line (sections and the numbers they state).
    pub all: bool,
}

impl LineSelection {
    pub const NONE: LineSelection = LineSelection {
        head: 0,
        tail: 0,
        all: false,
    };
    pub const ALL: LineSelection = LineSelection {
        head: 0,
        tail: 0,
        all: true,
    };

    /// The lines to read out of `n`, in reading order: every line, or the head lines
    /// then the tail lines upwards (a short page's lines are read once).
    pub(crate) fn order(&self, n: usize) -> Vec<(usize, LinePart)> {
        if self.all {
            return (0..n).map(|i| (i, LinePart::All)).collect();
        }
        let head = self.head.min(n);
        let tail = (n - self.tail.min(n)..n).rev().filter(|&i| i >= head);
        (0..head)
            .map(|i| (i, LinePart::Head))
            .chain(tail.map(|i| (i, LinePart::Tail)))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinePart {
    All,
    Head,
    Tail,
}

/// Text lines outside the table grids of a page whose rulings are erased from `bin`,
/// OCR'd with chi_sim: (y, text).
pub(crate) fn text_lines_outside(
    gray: &GrayImage,
    mut bin: Bin,
    glyph: f32,
    grids: &[Grid],
    seals: &[Seal],
    which: LineSelection,
    engine: &mut dyn OcrEngine,
) -> Result<Vec<(f32, String)>, RecogniseError> {
    // A seal over the signature and the date: on a grey scan its ink is often lighter
    // than the text's, and only the darker class is read.
    for seal in seals {
        // Its ring and star first, by their shape: on a blurred 120-dpi scan the text's
        // thin strokes are as light as the seal's ink, and only where text lies under the
        // seal is it darker (the seal's ink is translucent).
        super::seal_text::lift_seal(gray, &mut bin, seal, glyph);
        let reach = seal.outer() + 2.0;
        let px = |v: f32| v.max(0.0) as usize;
        let area = (
            px(seal.cx - reach),
            px(seal.cy - reach),
            px(seal.cx + reach),
            px(seal.cy + reach),
        );
        keep_darkest_ink_in(gray, &mut bin, area);
    }
    // Lines are found and read without specks: on a noisy scan every row of the page
    // has a few, and the lines of the title drown in them.
    let bin = &without_specks(&bin, glyph);
    // A band of rows too tall for a line of text is lines run together by something
    // printed over them: a seal over the signature and the date, which on a grey scan
    // is not red and stays. Its ink is lighter than the text's: keep only the darker
    // class of the band's ink (Otsu) and look for the lines again.
    let min_row_ink = 2;
    let (mut prof, mut xr) = row_profile(bin, grids);
    let tall = (glyph * 4.0) as usize;
    let too_tall: Vec<(usize, usize)> = bands_of(&prof, min_row_ink)
        .into_iter()
        .filter(|&(a, b)| b - a > tall)
        .collect();
    let mut bin = std::borrow::Cow::Borrowed(bin);
    if !too_tall.is_empty() {
        let own = bin.to_mut();
        for &(a, b) in &too_tall {
            keep_darkest_ink(gray, own, a, b);
        }
        (prof, xr) = row_profile(&bin, grids);
    }
    let mut boxes: Vec<PxBox> = Vec::new();
    for (start, end) in split_at_valleys(&prof, bands_of(&prof, min_row_ink), glyph) {
        let hgt = end - start;
        if hgt < 8 || hgt > bin.h / 8 {
            continue;
        }
        let x0 = xr[start..end].iter().map(|r| r.0).min().unwrap_or(0);
        let x1 = xr[start..end].iter().map(|r| r.1).max().unwrap_or(0) + 1;
        if x1 <= x0 + 4 {
            continue;
        }
        let ink: usize = prof[start..end].iter().sum();
        if ink < hgt * 4 {
            continue;
        }
        boxes.push((x0, start, x1, end));
    }
    // Bands within a seal narrower than a short line are no signature nor date but what
    // the seal leaves (its inner characters, the star's points). At the tail they would
    // take the places of the lines sought.
    if !which.all {
        let head = which.head.min(boxes.len());
        let narrowest = glyph * MIN_TAIL_LINE_GLYPHS;
        let mut i = 0;
        boxes.retain(|b| {
            i += 1;
            let (cx, cy) = ((b.0 + b.2) as f32 / 2.0, (b.1 + b.3) as f32 / 2.0);
            let in_seal = seals.iter().any(|s| s.covers(cx, cy, 0.0));
            i <= head || !in_seal || (b.2 - b.0) as f32 >= narrowest
        });
    }
    let mut out = Vec::new();
    // The head reads until the title is complete (it wraps: "…工作年度" then "报告");
    // the tail upwards until the line above the date (the agency) has been read.
    let (mut head_open, mut date_seen, mut tail_done) = (true, false, false);
    let mut head_text = String::new();
    for (i, part) in which.order(boxes.len()) {
        match part {
            LinePart::Head if !head_open => continue,
            LinePart::Tail if tail_done => break,
            _ => {}
        }
        let b = boxes[i];
        let crop = ocr_crop(&bin, b, 36.0);
        let words = engine.recognise(&crop, OcrMode::Chinese)?;
        let (mut text, _) = join_words(&words, "");
        // The date line (the last line, or among the last of a page read whole) is
        // read again and stands only when the readings agree.
        let at_foot = match part {
            LinePart::Tail => !date_seen,
            LinePart::All => i + FOOT_LINES >= boxes.len(),
            LinePart::Head => false,
        };
        if at_foot && super::date_line::is_date_like(&text) {
            text = super::date_line::settle_date_line(gray, &bin, b, &text, glyph, seals, engine)?;
        }
        if part != LinePart::All {
            // The title's and the signature's agency: a misread place name is read
            // again by its glyphs, among the characters the divisions allow.
            text = super::place_text::repair_places(&bin, b, &text);
        }
        match part {
            LinePart::Head => {
                head_text.push_str(&text);
                head_open = !crate::report::is_title_line(&head_text);
            }
            LinePart::Tail if date_seen => tail_done = true,
            LinePart::Tail => date_seen = crate::report::has_ocr_date(&text),
            LinePart::All => {}
        }
        if !text.trim().is_empty() {
            out.push((b.1 as f32, text));
        }
    }
    Ok(out)
}

/// Runs of rows of a profile with at least `min` ink each: [start, end).
fn bands_of(prof: &[usize], min: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut y = 0;
    while y < prof.len() {
        if prof[y] < min {
            y += 1;
            continue;
        }
        let start = y;
        while y < prof.len() && prof[y] >= min {
            y += 1;
        }
        out.push((start, y));
    }
    out
}

/// Lines at the foot of a page read whole among which the date line is sought.
const FOOT_LINES: usize = 6;

/// Narrowest signature or date line read at a page's tail, in glyph heights (an agency
/// of three characters; a date is twice as wide).
const MIN_TAIL_LINE_GLYPHS: f32 = 3.0;

/// A band taller than a line of text holds no valley between lines only when something
/// bridges them: what is left of a seal (its inner characters, the star's points).
const TWO_LINES_GLYPHS: f32 = 1.8;

/// A row is a valley between lines when its ink is under this share of the band's
/// well-inked rows (its 80th percentile).
const VALLEY_SHARE: f32 = 0.15;

/// Bands taller than [`TWO_LINES_GLYPHS`] split at their valleys: rows with little ink
/// against the band's lines, where specks or a seal's remains joined two lines of text.
fn split_at_valleys(prof: &[usize], bands: Vec<(usize, usize)>, glyph: f32) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (a, b) in bands {
        if ((b - a) as f32) <= glyph * TWO_LINES_GLYPHS {
            out.push((a, b));
            continue;
        }
        let mut rows: Vec<usize> = prof[a..b].to_vec();
        rows.sort_unstable();
        let high = rows[(rows.len() * 4 / 5).min(rows.len() - 1)];
        let valley = (high as f32 * VALLEY_SHARE) as usize;
        let mut y = a;
        while y < b {
            if prof[y] <= valley {
                y += 1;
                continue;
            }
            let start = y;
            while y < b && prof[y] > valley {
                y += 1;
            }
            out.push((start, y));
        }
    }
    out
}

/// Clears the lighter ink of rows [a, b): ink pixels whose grey is above the Otsu
/// threshold of the band's ink and that border no darker ink, when the band's ink has
/// two classes well apart.
fn keep_darkest_ink(gray: &GrayImage, bin: &mut Bin, a: usize, b: usize) {
    let w = bin.w;
    keep_darkest_ink_in(gray, bin, (0, a, w, b));
}

/// [`keep_darkest_ink`] within the box (x0, y0, x1, y1).
fn keep_darkest_ink_in(gray: &GrayImage, bin: &mut Bin, (x0, a, x1, b): PxBox) {
    let (x1, b) = (x1.min(bin.w), b.min(bin.h));
    let mut hist = [0u64; 256];
    for y in a..b {
        for x in x0..x1 {
            if bin.px[y * bin.w + x] {
                hist[gray.get_pixel(x as u32, y as u32).0[0] as usize] += 1;
            }
        }
    }
    let Some(t) = otsu(&hist) else {
        return;
    };
    // A text stroke's edges are as light as the seal's ink on a blurred scan, but they
    // border the stroke's dark core: light ink within two pixels of dark ink stays.
    let dark = |x: usize, y: usize| gray.get_pixel(x as u32, y as u32).0[0] <= t;
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let mut clear: Vec<(usize, usize)> = Vec::new();
    for y in a..b {
        for x in x0..x1 {
            if !bin.px[y * bin.w + x] || dark(x, y) {
                continue;
            }
            let (ya, yb) = (y.saturating_sub(2), (y + 3).min(h));
            let (xa, xb) = (x.saturating_sub(2), (x + 3).min(w));
            if !(ya..yb).any(|yy| (xa..xb).any(|xx| dark(xx, yy))) {
                clear.push((x, y));
            }
        }
    }
    for (x, y) in clear {
        bin.px[y * bin.w + x] = false;
    }
}

/// Otsu's threshold of a histogram, when its two classes' means are 40 levels apart or
/// more and the lighter holds a tenth of the pixels at least; else `None`.
pub(crate) fn otsu(hist: &[u64; 256]) -> Option<u8> {
    let n: u64 = hist.iter().sum();
    if n == 0 {
        return None;
    }
    let total: f64 = hist
        .iter()
        .enumerate()
        .map(|(v, &c)| v as f64 * c as f64)
        .sum();
    let (mut w0, mut s0) = (0f64, 0f64);
    let mut best = (0usize, 0f64, 0f64, 0f64, 0f64);
    for (t, &c) in hist.iter().enumerate() {
        w0 += c as f64;
        s0 += t as f64 * c as f64;
        let w1 = n as f64 - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let (m0, m1) = (s0 / w0, (total - s0) / w1);
        let between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if between > best.1 {
            best = (t, between, m0, m1, w1);
        }
    }
    let (t, _, m0, m1, w1) = best;
    (m1 - m0 >= 40.0 && w1 * 10.0 >= n as f64).then_some(t as u8)
}

/// Per row: ink pixels outside the table areas (4 px beyond their outer rulings) and
/// a margin at the page edges, and the x range of that ink.
fn row_profile(bin: &Bin, grids: &[Grid]) -> (Vec<usize>, Vec<(usize, usize)>) {
    let areas: Vec<(f32, f32, f32, f32)> = grids
        .iter()
        .map(|g| {
            let (x0, y0) = (g.xs[0] - 4.0, g.ys[0] - 4.0);
            let (x1, y1) = (g.xs[g.xs.len() - 1] + 4.0, g.ys[g.ys.len() - 1] + 4.0);
            (x0, y0, x1, y1)
        })
        .collect();
    let mx = bin.w / 50;
    let mut prof = vec![0usize; bin.h];
    let mut xr = vec![(usize::MAX, 0usize); bin.h];
    for (y, p) in prof.iter_mut().enumerate() {
        let yf = y as f32;
        let row_areas: Vec<_> = areas.iter().filter(|a| yf >= a.1 && yf <= a.3).collect();
        let row = &bin.px[y * bin.w..(y + 1) * bin.w];
        let inner = row
            .iter()
            .enumerate()
            .take(bin.w.saturating_sub(mx))
            .skip(mx);
        for (x, &ink) in inner {
            let xf = x as f32;
            if ink && !row_areas.iter().any(|a| xf >= a.0 && xf <= a.2) {
                *p += 1;
                xr[y].0 = xr[y].0.min(x);
                xr[y].1 = xr[y].1.max(x);
            }
        }
    }
    (prof, xr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_lines_bridged_by_a_seals_remains_are_split_and_one_line_is_not() {
        // Glyphs 20 px: a 20-row line, 10 rows of a star's point (3 px a row), a
        // second line.
        let mut prof = vec![0usize; 60];
        prof[5..25].iter_mut().for_each(|p| *p = 120);
        prof[25..35].iter_mut().for_each(|p| *p = 3);
        prof[35..55].iter_mut().for_each(|p| *p = 90);
        let bands = bands_of(&prof, 2);
        assert_eq!(bands, vec![(5, 55)]);
        assert_eq!(
            split_at_valleys(&prof, bands, 20.0),
            vec![(5, 25), (35, 55)]
        );
        // A title line twice the body's height, with thin rows inside its glyphs,
        // stays one band.
        let mut line = vec![0usize; 50];
        line[2..44].iter_mut().for_each(|p| *p = 80);
        line[20] = 15;
        assert_eq!(
            split_at_valleys(&line, bands_of(&line, 2), 20.0),
            vec![(2, 44)]
        );
    }
}
