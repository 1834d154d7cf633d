//! A number whose thin strokes the binarisation dropped: a blurred screenshot at
//! 90-100 dpi leaves a serif "0" as its two stems, "()", with the hairlines above and
//! below them a pale grey the page's threshold (set by the dark stems and rulings round
//! them) does not reach. Neither the digits engine nor our classifier reads "()". The
//! number is read again from the cell's own grey, cut 60 % of the way from its darkest
//! ink to its paper, and stands only when two independent reads of that ink agree
//! ([`confirm_number`]).

use super::cells::drop_specks;
use super::dark_core::{confirmed, one_line};
use super::digits::DigitModel;
use super::engine::OcrEngine;
use super::prep::Bin;
use super::read::{engine_confirms, read_cell, CellSizes};
use super::recognise::{PxBox, RecogniseError};
use image::{GrayImage, Luma};

/// Share of the way from the cell's darkest ink to its paper below which a pixel is
/// ink. The page's binarisation keeps about the darkest third on a blurred picture;
/// a hairline of the same glyph lies 45-60 % of the way, JPEG ringing and paper grain
/// beyond 80 %.
const FAINT_SHARE: f32 = 0.6;

/// Least contrast (grey levels) between ink and paper for the cell to be read so: on
/// less, the cut would fall in the paper's own grain.
const LEAST_CONTRAST: f32 = 50.0;

/// The number in box `b` (the binary ink of a number cell, inside the cell's
/// `interior`) read from the grey ink down to a cut [`FAINT_SHARE`] of the way to the
/// paper, with a margin round `b` for strokes its binary ink lost. `None` when the cut
/// adds no ink, the ink is not one line, or the reads do not agree.
pub(crate) fn number_in_faint_ink(
    gray: &GrayImage,
    bin: &Bin,
    b: PxBox,
    interior: PxBox,
    sizes: CellSizes,
    engine: &mut dyn OcrEngine,
) -> Result<Option<String>, RecogniseError> {
    let (x0, y0, x1, y1) = b;
    let (ix0, iy0, ix1, iy1) = interior;
    if x1 <= x0 || y1 <= y0 || x1 > bin.w || y1 > bin.h {
        return Ok(None);
    }
    if ix1 > gray.width() as usize || iy1 > gray.height() as usize {
        return Ok(None);
    }
    // The strokes lost are the glyph's own, at its edge: a margin of a fifth of a
    // glyph, two pixels clear of the cell's edge (a blurred ruling's halo is pale too).
    let m = ((sizes.glyph * 0.2).round() as usize).max(2);
    let (fx0, fy0) = (
        x0.saturating_sub(m).max(ix0 + 2),
        y0.saturating_sub(m).max(iy0 + 2),
    );
    let (fx1, fy1) = (
        (x1 + m).min(ix1.saturating_sub(2)),
        (y1 + m).min(iy1.saturating_sub(2)),
    );
    if fx1 <= fx0 + 2 || fy1 <= fy0 + 2 || fx0 > x0 || fy0 > y0 || fx1 < x1 || fy1 < y1 {
        return Ok(None);
    }
    let level = |x: usize, y: usize| gray.get_pixel(x as u32, y as u32).0[0];
    let mut ink: Vec<u8> = Vec::new();
    let mut paper: Vec<u8> = Vec::new();
    for y in iy0..iy1 {
        for x in ix0..ix1 {
            if bin.get(x, y) {
                ink.push(level(x, y));
            } else {
                paper.push(level(x, y));
            }
        }
    }
    if ink.len() < 10 || paper.len() < 10 {
        return Ok(None);
    }
    ink.sort_unstable();
    paper.sort_unstable();
    let darkest = f32::from(ink[ink.len() / 20]);
    let paper = f32::from(paper[paper.len() / 2]);
    if paper - darkest < LEAST_CONTRAST {
        return Ok(None);
    }
    let cut = darkest + FAINT_SHARE * (paper - darkest);
    // The ink under the cut, in pictures of the box with a margin of paper.
    let pad = 4;
    let (w, h) = (fx1 - fx0 + 2 * pad, fy1 - fy0 + 2 * pad);
    let mut faint = Bin::new(w, h);
    let mut grey = GrayImage::from_pixel(w as u32, h as u32, Luma([255]));
    let mut added = 0usize;
    for y in fy0..fy1 {
        for x in fx0..fx1 {
            let v = level(x, y);
            grey.put_pixel((x - fx0 + pad) as u32, (y - fy0 + pad) as u32, Luma([v]));
            if f32::from(v) < cut {
                faint.set(x - fx0 + pad, y - fy0 + pad, true);
                added += usize::from(!bin.get(x, y));
            }
        }
    }
    // Nothing the page's threshold dropped: the same ink, already read.
    if added * 10 < ink.len() {
        return Ok(None);
    }
    let Some(core) = drop_specks(&mut faint, (pad, pad, w - pad, h - pad)) else {
        return Ok(None);
    };
    if !one_line(&faint, core, sizes) {
        return Ok(None);
    }
    let rd = read_cell(&grey, &faint, core, sizes, engine, true, true)?;
    ocr_trace!("faint ink of {b:?} (cut {cut:.0}): {:?}", rd.digits);
    if !rd.numeric && rd.digits.0.is_empty() {
        // The engine sees nothing in a blurred lone "0" even so; a clear reading of
        // our classifier stands when the engine reads it too in another crop.
        let own = DigitModel::builtin().and_then(|m| m.read_number_checked(&grey, &faint, core));
        let Some(own) = own else {
            return Ok(None);
        };
        return Ok(engine_confirms(&grey, &faint, core, engine, &own)?.number);
    }
    confirmed(&grey, &faint, core, engine, &rd)
}
