//! What a grid's readings say taken together: the height of its digits, how many of
//! each row's and column's cells read as numbers, and what our digit classifier reads
//! where the engine read nothing. The grid walk ([`super::recognise`]) judges single
//! cells by these.

use super::cells::glyph_count;
use super::prep::Bin;
use super::read::Reading;
use super::recognise::PxBox;
use crate::document::Cell;
use image::GrayImage;

/// The number our digit classifier reads in a cell the engine could not read, when it
/// reads every glyph of it clearly: a candidate only.
pub(super) fn classifier_candidate(gray: &GrayImage, bin: &Bin, b: PxBox) -> Vec<String> {
    classifier_reading(gray, bin, b).into_iter().collect()
}

/// What our digit classifier reads in a cell: every glyph a clear digit, no minus.
pub(super) fn classifier_reading(gray: &GrayImage, bin: &Bin, b: PxBox) -> Option<String> {
    let (glyphs, minus) = glyph_count(bin, b);
    if minus {
        return None;
    }
    super::digits::DigitModel::builtin()
        .and_then(|m| m.read_number_checked(gray, bin, b))
        .filter(|n| n.len() == glyphs)
}

/// Numbers read from ink much lower than the grid's digits are no numbers: a fragment
/// of a faint dash read as "4". Their reading is dropped, so the cell ends unreadable
/// where numbers belong. A dash is low by nature and keeps its reading.
pub(super) fn drop_numbers_too_small(
    inked: &[(usize, usize, PxBox)],
    result: &mut [Option<Reading>],
) {
    let Some(digit_h) = digit_height(inked, result) else {
        return;
    };
    for (&(_, _, b), rd) in inked.iter().zip(result.iter_mut()) {
        if let Some(rd) = rd.as_mut().filter(|rd| is_digits(rd)) {
            if (b.3 - b.1) * 2 < digit_h {
                rd.numeric = false;
                rd.confirmed = false;
                rd.digits = (String::new(), 0.0);
            }
        }
    }
}

/// Whether a reading is a number of digits (not a dash).
pub(super) fn is_digits(rd: &Reading) -> bool {
    rd.numeric && rd.digits.0.chars().any(|c| c.is_ascii_digit())
}

/// The median height of the ink read as numbers of digits: the grid's digit height,
/// when three numbers or more were read.
pub(super) fn digit_height(
    inked: &[(usize, usize, PxBox)],
    result: &[Option<Reading>],
) -> Option<usize> {
    let mut heights: Vec<usize> = inked
        .iter()
        .zip(result.iter())
        .filter(|(_, rd)| rd.as_ref().is_some_and(is_digits))
        .map(|(&(_, _, b), _)| b.3 - b.1)
        .collect();
    if heights.len() < 3 {
        return None;
    }
    heights.sort_unstable();
    Some(heights[heights.len() / 2])
}

/// Per column and per row of a grid: (cells read as numbers, single cells read).
pub(super) type NumberCounts = (Vec<(usize, usize)>, Vec<(usize, usize)>);

pub(super) fn number_counts(
    inked: &[(usize, usize, PxBox)],
    rows: &[Vec<Cell>],
    result: &[Option<Reading>],
    nr: usize,
    nc: usize,
) -> NumberCounts {
    let mut col_num = vec![(0usize, 0usize); nc];
    let mut row_num = vec![(0usize, 0usize); nr];
    for (k, &(r, c, _)) in inked.iter().enumerate() {
        if let (1, 1, Some(rd)) = (rows[r][c].col_span, rows[r][c].row_span, &result[k]) {
            col_num[c].1 += 1;
            col_num[c].0 += rd.numeric as usize;
            row_num[r].1 += 1;
            row_num[r].0 += rd.numeric as usize;
        }
    }
    (col_num, row_num)
}

/// A column or row of at least three single cells, half of them numbers or more.
pub(super) fn mostly_numbers((numeric, all): (usize, usize)) -> bool {
    all >= 3 && numeric * 2 >= all
}
