//! A number with lighter strokes across it: the text of a seal on a grey scan (its red
//! turned mid-grey), which the binarisation keeps as ink beside and touching the digits.
//! The digits engine then reads "792.-" in a crop twice the number's width, or chi_sim
//! a wide cell as words. Printed digits are the darkest ink of the page; the number is
//! read again from the ink much darker than the rest, and stands only when those reads
//! agree with each other and with a reading of the whole cell.

use super::cells::{count_lines, drop_specks};
use super::engine::OcrEngine;
use super::prep::Bin;
use super::read::{confirm_number, read_cell, CellSizes, Reading};
use super::recognise::{PxBox, RecogniseError};
use image::{GrayImage, Luma};

/// Share of the way from the darkest ink to the paper below which ink is the printed
/// text's. Seal strokes on the grey scans are mid-grey, 35-60 % of the way; the cores
/// of printed digits, blurred 1-px stems included, under 25 %.
const DARK_SHARE: f32 = 0.4;

/// Least share of the cell's ink that must be lighter than the text's for the cell to
/// hold anything else.
const LIGHT_INK_SHARE: f32 = 0.15;

/// The number in the darkest ink of box `b`, when lighter ink is a good part of the
/// box's and lies beside the number: read by the digits engine from that ink alone and
/// confirmed by a second read ([`confirm_number`]). The caller holds it against a
/// reading of the whole box ([`shown_in`]) before it stands. `None` otherwise.
pub(crate) fn number_in_dark_ink(
    gray: &GrayImage,
    bin: &Bin,
    b: PxBox,
    sizes: CellSizes,
    engine: &mut dyn OcrEngine,
) -> Result<Option<String>, RecogniseError> {
    let (x0, y0, x1, y1) = b;
    if x1 <= x0 || y1 <= y0 || x1 > bin.w || y1 > bin.h {
        return Ok(None);
    }
    if x1 > gray.width() as usize || y1 > gray.height() as usize {
        return Ok(None);
    }
    let level = |x: usize, y: usize| gray.get_pixel(x as u32, y as u32).0[0];
    let mut ink: Vec<u8> = Vec::new();
    let mut all: Vec<u8> = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        for x in x0..x1 {
            let v = level(x, y);
            all.push(v);
            if bin.get(x, y) {
                ink.push(v);
            }
        }
    }
    if ink.len() < 20 {
        return Ok(None);
    }
    ink.sort_unstable();
    all.sort_unstable();
    let darkest = f32::from(ink[ink.len() / 50]);
    let paper = f32::from(all[all.len() * 9 / 10]);
    if paper - darkest < 60.0 {
        ocr_trace!("dark ink of {b:?}: no contrast ({darkest} on {paper})");
        return Ok(None);
    }
    let cut = darkest + DARK_SHARE * (paper - darkest);
    let light = ink.iter().filter(|&&v| f32::from(v) >= cut).count();
    if (light as f32) < LIGHT_INK_SHARE * ink.len() as f32 {
        ocr_trace!(
            "dark ink of {b:?}: little light ink ({light} of {})",
            ink.len()
        );
        return Ok(None);
    }
    // The dark ink alone, in pictures of the box with a margin of paper.
    let m = 4;
    let (w, h) = (x1 - x0 + 2 * m, y1 - y0 + 2 * m);
    let mut dark = Bin::new(w, h);
    let mut grey = GrayImage::from_pixel(w as u32, h as u32, Luma([255]));
    for y in y0..y1 {
        for x in x0..x1 {
            let v = level(x, y);
            if f32::from(v) < cut {
                grey.put_pixel((x - x0 + m) as u32, (y - y0 + m) as u32, Luma([v]));
                if bin.get(x, y) {
                    dark.set(x - x0 + m, y - y0 + m, true);
                }
            }
        }
    }
    let Some(core) = drop_specks(&mut dark, (m, m, w - m, h - m)) else {
        return Ok(None);
    };
    let (cw, ch) = (core.2 - core.0, core.3 - core.1);
    // The lighter ink must lie beside the number, half a glyph at least, not only
    // round its strokes: a blurred number's soft edges are lighter too, and a number
    // its reads disagreed on is not settled by reading its own core again.
    let beside = (x1 - x0).saturating_sub(cw) as f32 >= sizes.glyph * 0.5
        || (y1 - y0).saturating_sub(ch) as f32 >= sizes.glyph * 0.5;
    if !beside || !one_line(&dark, core, sizes) {
        ocr_trace!("dark ink of {b:?}: core {core:?} beside {beside}, not one line or alone");
        return Ok(None);
    }
    let rd = read_cell(&grey, &dark, core, sizes, engine, true, true)?;
    ocr_trace!("dark ink of {b:?}: core {core:?} reads {:?}", rd.digits);
    confirmed(&grey, &dark, core, engine, &rd)
}

/// Whether the ink `core` of a re-cut picture is a number's shape: one line, at least
/// half a glyph high, at most six times as wide.
pub(super) fn one_line(ink: &Bin, core: PxBox, sizes: CellSizes) -> bool {
    let (cw, ch) = (core.2 - core.0, core.3 - core.1);
    (ch as f32) >= sizes.glyph * 0.5 && cw <= ch * 6 && count_lines(ink, core, sizes.glyph) == 1
}

/// The number `rd` (a reading of `core` in a re-cut picture) when it is one and a
/// second read of the same picture confirms it ([`confirm_number`]).
pub(super) fn confirmed(
    grey: &GrayImage,
    ink: &Bin,
    core: PxBox,
    engine: &mut dyn OcrEngine,
    rd: &Reading,
) -> Result<Option<String>, RecogniseError> {
    if !rd.numeric {
        return Ok(None);
    }
    Ok(confirm_number(grey, ink, core, engine, &rd.digits.0, &rd.also_read)?.number)
}

/// True when one of `whole_reads` (readings of a whole cell) shows `number` as a run of
/// digits with no other digit touching it. A faint digit of the number that the
/// darkness cut away is still in the whole cell's reading ("18" against "8"), and
/// refuses the number.
pub(crate) fn shown_in(whole_reads: &[String], number: &str) -> bool {
    whole_reads
        .iter()
        .any(|r| digit_runs(r).any(|run| run == number))
}

/// The maximal runs of digits (with a decimal point inside) of a reading.
fn digit_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|run| run.trim_matches('.'))
        .filter(|run| !run.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_of_the_whole_box_gives_its_runs_of_digits() {
        let runs: Vec<&str> = digit_runs("792.-").collect();
        assert_eq!(runs, vec!["792"]);
        let runs: Vec<&str> = digit_runs("人和38性:|").collect();
        assert_eq!(runs, vec!["38"]);
        let runs: Vec<&str> = digit_runs("-360.5259 1").collect();
        assert_eq!(runs, vec!["360.5259", "1"]);
        // A faint digit the darkness cut is in the whole reading: "18" is no "8".
        assert!(!digit_runs("18").any(|r| r == "8"));
    }
}
