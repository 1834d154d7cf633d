//! Picture → table grids (+ text lines outside tables) via grid detection and OCR.

use super::cells::{drop_specks, faint_minus_before, group_shapes, ink_box, only_specks};
use super::cells::{shape_distance, shape_of};
use super::cells::{Shape, SAME_SHAPE};
use super::dark_core::{number_in_dark_ink, shown_in};
use super::digits::lone_stem_one;
use super::engine::{OcrEngine, OcrError};
use super::faint_ink::number_in_faint_ink;
use super::grid::{detect_grids_and_rulings, drop_stray_column_lines, erase_rulings, Grid};
use super::grid_faint_rulings::split_at_faint_rulings;
use super::grid_readings::{
    classifier_candidate, classifier_reading, digit_height, drop_numbers_too_small, mostly_numbers,
    number_counts,
};
use super::lines::text_lines_outside;
pub use super::lines::LineSelection;
use super::prep::{self, Bin, DecodeError};
use super::read::{
    confirm_number, engine_confirms, han_count, number_like, read_cell, read_text, CellSizes,
    Reading,
};
use super::seal::{cut_by_ring, ring_crosses, Seal};
use crate::document::{Block, Cell, Table, TableOrigin, UNREAD};
use image::GrayImage;

#[derive(Debug, thiserror::Error)]
pub enum RecogniseError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Ocr(#[from] OcrError),
}

/// A pixel box (x0, y0, x1, y1).
pub type PxBox = (usize, usize, usize, usize);

/// Confidence below which a cell's text is marked as doubtful.
pub const LOW_CONFIDENCE: f32 = 0.6;

/// A picture → zero or more table grids, plus text lines outside the tables as
/// paragraphs (for scanned pages: title, agency, date), in top-to-bottom order.
/// Blank or tiny pictures give `Ok(vec![])`; oversized or corrupt ones an error.
/// `lines`: which text lines outside the tables to read (pages and standalone pictures
/// carry the title and date there; a picture pasted into a text does not).
/// `layouts`: value counts per data row of the tables whose row labels need not be read
/// when a grid has exactly that shape ([`crate::template::Templates::row_layouts`]);
/// empty: read every label.
/// `dpi`: the picture's resolution when known (a PDF page's image): it is worked at
/// [`prep::WORK_DPI`].
pub fn recognise_picture(
    bytes: &[u8],
    dpi: Option<f32>,
    engine: &mut dyn OcrEngine,
    lines: LineSelection,
    layouts: &[Vec<usize>],
) -> Result<Vec<Block>, RecogniseError> {
    let Some(img) = prep::decode_bounded(bytes)? else {
        return Ok(Vec::new());
    };
    let mut gray = prep::to_gray_without_seal(&img);
    drop(img);
    let measured = super::scale::glyph_height(&gray);
    let factor = super::scale::work_factor(&gray, dpi, measured);
    if factor != 1.0 {
        gray = super::scale::resample(&gray, factor);
    }
    let glyph = super::scale::work_glyph(measured, factor);
    recognise_at(&gray, glyph, engine, lines, layouts)
}

/// The pipeline after decoding, on a picture already at the working scale (exposed for
/// tests on synthetic images).
pub fn recognise_gray(
    gray: &GrayImage,
    engine: &mut dyn OcrEngine,
    lines: LineSelection,
    layouts: &[Vec<usize>],
) -> Result<Vec<Block>, RecogniseError> {
    let glyph = super::scale::work_glyph(super::scale::glyph_height(gray), 1.0);
    recognise_at(gray, glyph, engine, lines, layouts)
}

/// [`recognise_gray`] with the glyph height of `gray` in pixels known.
fn recognise_at(
    gray: &GrayImage,
    glyph: f32,
    engine: &mut dyn OcrEngine,
    lines: LineSelection,
    layouts: &[Vec<usize>],
) -> Result<Vec<Block>, RecogniseError> {
    if is_blank(gray) {
        return Ok(Vec::new());
    }
    let trace = super::tracing();
    let t0 = std::time::Instant::now();
    let win = sauvola_window(gray.width(), gray.height());
    let skew = prep::estimate_skew_gray(gray, win, 5.0);
    if trace {
        ocr_debug!("skew {:?}", t0.elapsed());
    }
    let rotated;
    let gray = if skew.abs() >= 0.04 {
        rotated = prep::rotate(gray, skew);
        if trace {
            ocr_debug!("rotate {:?}", t0.elapsed());
        }
        &rotated
    } else {
        gray
    };
    let mut bin = prep::sauvola(gray, win, 0.2);
    if trace {
        ocr_debug!(
            "prep+skew({skew:.2}) {:?} {}x{}",
            t0.elapsed(),
            gray.width(),
            gray.height()
        );
    }
    let seals = super::seal::find_seals(&bin, glyph);
    if trace {
        ocr_debug!("seals {seals:?} {:?}", t0.elapsed());
    }
    let (grids, h_rulings, v_rulings) =
        detect_grids_and_rulings(&super::scale::without_glyphs(&bin, glyph), glyph, &seals);
    if trace {
        for g in &grids {
            ocr_debug!(
                "GRID ys {:?}",
                g.ys.iter().map(|v| *v as i32).collect::<Vec<_>>()
            );
            ocr_debug!(
                "GRID xs {:?}",
                g.xs.iter().map(|v| *v as i32).collect::<Vec<_>>()
            );
        }
    }
    if let Some(dir) = std::env::var_os("NB_OCR_DUMP") {
        dump_debug(std::path::Path::new(&dir), gray, &bin, &grids);
    }
    erase_rulings(&mut bin, &h_rulings, &v_rulings);
    for g in &grids {
        let (Some(&x0), Some(&x1), Some(&y0), Some(&y1)) =
            (g.xs.first(), g.xs.last(), g.ys.first(), g.ys.last())
        else {
            continue;
        };
        super::seal::erase_rings(&mut bin, &seals, (x0, y0, x1, y1));
    }
    let has_ink = |(x0, y0, x1, y1): (f32, f32, f32, f32), row_h: usize| {
        let inset = 3.0;
        let px = |v: f32, limit: usize| (v.max(0.0) as usize).min(limit);
        let (x0, y0) = (px(x0 + inset, bin.w), px(y0 + inset, bin.h));
        let (x1, y1) = (px(x1 - inset, bin.w), px(y1 - inset, bin.h));
        x1 > x0 && y1 > y0 && ink_box(&bin, x0, y0, x1, y1, row_h).is_some()
    };
    let grids: Vec<Grid> = grids
        .into_iter()
        .map(|g| split_at_faint_rulings(drop_stray_column_lines(g, has_ink), gray))
        .collect();
    if trace {
        ocr_debug!("grids {:?}", t0.elapsed());
    }
    let mut placed: Vec<(f32, Block)> = Vec::new();
    // Numbers are read from a copy whose cells lose their specks (grids' cells are
    // disjoint, so one copy serves them all); text from the ink as it is (the dots of
    // 计 and 为 are specks by size).
    let mut numbers_bin = if grids.is_empty() {
        None
    } else {
        Some(bin.clone())
    };
    for g in &grids {
        let Some(clean) = numbers_bin.as_mut() else {
            break;
        };
        let marks = PictureMarks {
            glyph,
            seals: &seals,
        };
        let t = ocr_grid(gray, &bin, clean, g, layouts, &marks, engine)?;
        placed.push((g.ys[0], Block::Table(t)));
    }
    if trace {
        ocr_debug!("cells {:?}", t0.elapsed());
    }
    if lines != LineSelection::NONE {
        let found = text_lines_outside(gray, bin, glyph, &grids, &seals, lines, engine)?;
        for (y, text) in found {
            placed.push((y, Block::Paragraph(text)));
        }
    }
    placed.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(placed.into_iter().map(|(_, b)| b).collect())
}

/// What recognition knows of a picture beside its grids: its glyph height at the working
/// scale and the seals found on it.
struct PictureMarks<'a> {
    glyph: f32,
    seals: &'a [Seal],
}

/// Writes the working picture and its binarisation with the grids drawn in red, one
/// numbered pair per picture, to `dir` (`NB_OCR_DUMP`, a debugging aid).
fn dump_debug(dir: &std::path::Path, gray: &GrayImage, bin: &Bin, grids: &[Grid]) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut rgb = image::RgbImage::from_fn(bin.w as u32, bin.h as u32, |x, y| {
        if bin.get(x as usize, y as usize) {
            image::Rgb([0, 0, 0])
        } else {
            image::Rgb([255, 255, 255])
        }
    });
    for g in grids {
        let (x0, x1) = (g.xs[0] as u32, *g.xs.last().unwrap_or(&0.0) as u32);
        let (y0, y1) = (g.ys[0] as u32, *g.ys.last().unwrap_or(&0.0) as u32);
        for &y in &g.ys {
            for x in x0..x1.min(rgb.width()) {
                rgb.put_pixel(
                    x,
                    (y as u32).min(rgb.height().saturating_sub(1)),
                    image::Rgb([255, 0, 0]),
                );
            }
        }
        for &x in &g.xs {
            for y in y0..y1.min(rgb.height()) {
                rgb.put_pixel(
                    (x as u32).min(rgb.width().saturating_sub(1)),
                    y,
                    image::Rgb([255, 0, 0]),
                );
            }
        }
    }
    let _ = gray.save(dir.join(format!("{n:03}-gray.png")));
    let _ = rgb.save(dir.join(format!("{n:03}-grid.png")));
}

pub fn sauvola_window(w: u32, h: u32) -> usize {
    ((w.max(h) / 40) as usize).clamp(15, 61) | 1
}

/// True when the picture has (almost) no contrast.
pub fn is_blank(g: &GrayImage) -> bool {
    let mut hist = [0u32; 256];
    for p in g.pixels() {
        hist[p.0[0] as usize] += 1;
    }
    let n: u32 = hist.iter().sum();
    let dark: u32 = hist[..128].iter().sum();
    n == 0 || dark * 10_000 < n.max(1) // fewer than 0.01 % dark pixels
}

/// Interior of a merged cell in pixels after removing the ruling lines: (x0, y0, x1, y1).
fn cell_interior(
    g: &Grid,
    r: usize,
    c: usize,
    rs: usize,
    cs: usize,
    bin: &Bin,
) -> (usize, usize, usize, usize) {
    let (x0, y0, x1, y1) = g.cell_box(r, c, rs, cs);
    let inset = 3.0;
    let x0 = (x0 + inset).max(0.0) as usize;
    let y0 = (y0 + inset).max(0.0) as usize;
    let x1 = ((x1 - inset).max(0.0) as usize).min(bin.w);
    let y1 = ((y1 - inset).max(0.0) as usize).min(bin.h);
    (x0, y0, x1.max(x0), y1.max(y0))
}

/// What a grid position holds, after the numbers are read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Number,
    /// Ink that is not a number (a label or a header), not read yet.
    Text,
    Blank,
    /// Covered by a merged cell from another row (a label spanning rows).
    Covered,
    /// Covered by a merged cell of the same row: part of the cell to its left.
    Spanned,
}

/// The data rows of a grid, top to bottom: (row, number of value cells, the column where
/// its values start). A data row is a label (text or a merged label cell) followed by a
/// run of number or blank cells holding at least one number, or a row of numbers only
/// (table 四's one row of fifteen).
fn data_rows(slots: &[Vec<Slot>]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for (r, row) in slots.iter().enumerate() {
        let mut count = 0;
        let mut numbers = 0;
        let mut values_at = row.len();
        for (c, slot) in row.iter().enumerate().rev() {
            match slot {
                Slot::Number => numbers += 1,
                Slot::Blank => {}
                Slot::Spanned => continue,
                Slot::Text | Slot::Covered => break,
            }
            count += 1;
            values_at = c;
        }
        if numbers > 0 {
            out.push((r, count, values_at));
        }
    }
    out
}

/// True when `counts` (value cells per data row) is a run of consecutive rows of one
/// of `layouts`: a whole table, or the part of a table split over pictures or pages.
fn fits_layout(counts: &[usize], layouts: &[Vec<usize>]) -> bool {
    !counts.is_empty()
        && layouts
            .iter()
            .any(|l| l.windows(counts.len()).any(|w| w == counts))
}

/// OCRs every merged cell of a grid into a `Table`. Cells of identical rendering (the
/// many "0" cells) are grouped by shape and read once, with a check on the farthest
/// member; a group whose check disagrees is read cell by cell.
///
/// Labels are read only as far as the matcher needs them: when the grid's data rows have
/// exactly the value counts of one of `layouts` (a statistics table's fixed printed
/// order), only the labels of its first and last data rows are read (they name the
/// table and anchor the order); the other text cells are left [`UNREAD`] and the matcher
/// places their rows by position. Otherwise every cell is read.
fn ocr_grid(
    gray: &GrayImage,
    bin: &Bin,
    clean: &mut Bin,
    g: &Grid,
    layouts: &[Vec<usize>],
    marks: &PictureMarks,
    engine: &mut dyn OcrEngine,
) -> Result<Table, RecogniseError> {
    let seals = marks.seals;
    let (nr, nc) = (g.n_rows(), g.n_cols());
    let mut rows: Vec<Vec<Cell>> = vec![vec![Cell::new(""); nc]; nr];
    let mut inked: Vec<(usize, usize, PxBox)> = Vec::new();
    let row_h = g.median_row_height();
    let sizes = CellSizes {
        row_h,
        glyph: marks.glyph,
    };
    let mut text_box: Vec<PxBox> = Vec::new();
    // Cells whose ink is specks only, and blank cells a seal's ring crosses (judged
    // once the numbers are read).
    let mut specks: Vec<(usize, usize)> = Vec::new();
    let mut under_ring: Vec<(usize, usize)> = Vec::new();
    for &(r, c, rs, cs) in &g.cells {
        let (x0, y0, x1, y1) = g.cell_box(r, c, rs, cs);
        let mut cell = Cell::new("");
        cell.row_span = rs as u32;
        cell.col_span = cs as u32;
        cell.bbox = Some([x0, y0, x1 - x0, y1 - y0]);
        cell.confidence = Some(1.0);
        let (ix0, iy0, ix1, iy1) = cell_interior(g, r, c, rs, cs, bin);
        if let Some(b) = ink_box(bin, ix0, iy0, ix1, iy1, row_h) {
            match drop_specks(clean, b) {
                Some(clean_box) if only_specks(clean, clean_box, marks.glyph) => {
                    specks.push((r, c));
                }
                Some(clean_box) => {
                    inked.push((r, c, clean_box));
                    text_box.push(b);
                }
                None => {}
            }
        } else if ring_crosses(seals, (ix0, iy0, ix1, iy1)) {
            under_ring.push((r, c));
        }
        for (rr, row) in rows.iter_mut().enumerate().skip(r).take(rs) {
            for (cc, slot) in row.iter_mut().enumerate().skip(c).take(cs) {
                if rr != r || cc != c {
                    *slot = Cell {
                        continuation_of: Some((r, c)),
                        row_span: 1,
                        col_span: 1,
                        ..Cell::default()
                    };
                }
            }
        }
        rows[r][c] = cell;
    }
    let (text_bin, bin) = (bin, &*clean);
    let shapes: Vec<Shape> = inked.iter().map(|&(_, _, b)| shape_of(bin, b)).collect();
    let groups = group_shapes(&shapes, SAME_SHAPE);
    let mut result: Vec<Option<Reading>> = vec![None; inked.len()];
    // First the numbers: every cell through the digits engine (text-shaped ones skip it).
    for grp in &groups {
        let lead = grp[0];
        let rd = read_cell(gray, bin, inked[lead].2, sizes, engine, false, false)?;
        let numeric = rd.numeric;
        result[lead] = Some(rd.clone());
        if grp.len() == 1 {
            continue;
        }
        let mut agreed = false;
        if numeric {
            let far = grp[1..]
                .iter()
                .copied()
                .max_by(|&a, &b| {
                    let da = shape_distance(&shapes[lead], &shapes[a]).unwrap_or(1.0);
                    let db = shape_distance(&shapes[lead], &shapes[b]).unwrap_or(1.0);
                    da.total_cmp(&db)
                })
                .unwrap_or(lead);
            let r2 = read_cell(gray, bin, inked[far].2, sizes, engine, false, false)?;
            if r2.numeric && r2.digits.0 == rd.digits.0 {
                agreed = true;
                let c = rd.digits.1.min(r2.digits.1);
                // Two cells of one rendering read alike are one read twice: the group's
                // number is confirmed only by reads of other crops.
                // A dash read from its shape needs no other read.
                let confirmed = rd.confirmed
                    || confirm_number(
                        gray,
                        bin,
                        inked[lead].2,
                        engine,
                        &rd.digits.0,
                        &rd.also_read,
                    )?
                    .number
                    .as_deref()
                        == Some(rd.digits.0.as_str());
                for &m in grp {
                    let mut x = rd.clone();
                    x.digits.1 = c;
                    x.confirmed = confirmed;
                    result[m] = Some(x);
                }
            } else {
                result[far] = Some(r2);
            }
        }
        if !agreed {
            for &m in grp {
                if result[m].is_none() {
                    result[m] = Some(read_cell(
                        gray, bin, inked[m].2, sizes, engine, false, false,
                    )?);
                }
            }
        }
    }
    drop_numbers_too_small(&inked, &mut result);
    // Crops the grey reading left empty get the binary readings where numbers belong:
    // in a column (or row) that is mostly numbers, on a row with a number (a row of
    // column headers has none). A row whose every number read empty is caught below.
    let (col_num, row_num) = number_counts(&inked, &rows, &result, nr, nc);
    for (k, &(r, c, b)) in inked.iter().enumerate() {
        let empty = result[k].as_ref().is_some_and(|rd| rd.empty_grey);
        let among_numbers = mostly_numbers(col_num[c]) || mostly_numbers(row_num[r]);
        if empty && among_numbers && row_num[r].0 > 0 {
            result[k] = Some(read_cell(gray, bin, b, sizes, engine, false, true)?);
        }
    }
    // Ink the engine read as nothing that our classifier reads clearly as a number is a
    // number's place (a lone "0" at 100 dpi): counted so for the layout, its number
    // still to be confirmed by the engine.
    for (k, &(_, _, b)) in inked.iter().enumerate() {
        let Some(rd) = result[k].as_mut() else {
            continue;
        };
        if rd.numeric || !rd.tried_digits || !rd.digits.0.is_empty() {
            continue;
        }
        if let Some(n) = classifier_reading(gray, bin, b) {
            rd.digits = (n, LOW_CONFIDENCE);
            rd.numeric = true;
            rd.by_classifier = true;
        }
    }
    // Then the text: all of it, or only the labels that anchor a known layout.
    let mut slots: Vec<Vec<Slot>> = rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            row.iter()
                .map(|c| match c.continuation_of {
                    Some((ar, _)) if ar == r => Slot::Spanned,
                    Some(_) => Slot::Covered,
                    None => Slot::Blank,
                })
                .collect()
        })
        .collect();
    for (k, &(r, c, _)) in inked.iter().enumerate() {
        let numeric = result[k].as_ref().is_some_and(|rd| rd.numeric);
        slots[r][c] = if numeric { Slot::Number } else { Slot::Text };
    }
    if super::tracing() {
        for (k, &(r, c, b)) in inked.iter().enumerate() {
            let rd = result[k].as_ref();
            let digits = rd.map(|x| (x.digits.0.as_str(), x.digits.1, x.numeric));
            let own = super::digits::DigitModel::builtin()
                .and_then(|m| m.read_number_checked(gray, bin, b));
            ocr_trace!("cell {r},{c} ink {b:?}: digits {digits:?} own {own:?}");
        }
    }
    let data = data_rows(&slots);
    let counts: Vec<usize> = data.iter().map(|d| d.1).collect();
    // A cell that did not read as a number where numbers belong is a misread number
    // (its row then looks like a header, or is not counted at all): the layout cannot
    // be trusted, and every label is read. Where numbers belong: in the value columns,
    // on a row with numbers there, or between the first and last data rows when the
    // cell is number-shaped (header cells there, 本年处理决定数量, are text-shaped).
    let values_at = data.iter().map(|d| d.2).min().unwrap_or(0);
    let rows_between = match (data.first(), data.last()) {
        (Some(first), Some(last)) => first.0..last.0 + 1,
        _ => 0..0,
    };
    let mut numbers_in_row = vec![false; nr];
    let mut first_number: Vec<Option<usize>> = vec![None; nr];
    let mut first_value: Vec<Option<usize>> = vec![None; nr];
    for (k, &(r, c, _)) in inked.iter().enumerate() {
        if result[k].as_ref().is_some_and(|rd| rd.numeric) {
            numbers_in_row[r] |= c >= values_at;
            first_number[r] = Some(first_number[r].map_or(c, |f| f.min(c)));
            if c >= values_at {
                first_value[r] = Some(first_value[r].map_or(c, |f| f.min(c)));
            }
        }
    }
    // Labels stand left of a row's values: text right of a number is a misread number,
    // and a column of them shortens every row's count of values to a known layout's
    // (a table 三 read as rows of one value).
    // Between data rows, a value cell that may be a number (tried as one, or a blob
    // no wider than two digits: "38" blurred into one square glyph) and did not read as
    // one may be a data row lost: the count of rows cannot be trusted either.
    let clean = !inked.iter().enumerate().any(|(k, &(r, c, b))| {
        let Some(rd) = result[k].as_ref() else {
            return false;
        };
        let may_be_number = rd.tried_digits || (b.2 - b.0) * 2 <= (b.3 - b.1) * 3;
        !rd.numeric
            && (first_number[r].is_some_and(|f| c > f)
                || (c >= values_at
                    && (numbers_in_row[r] || (rows_between.contains(&r) && may_be_number))))
    });
    let known_layout = clean && fits_layout(&counts, layouts);
    if super::tracing() {
        ocr_debug!("data rows {counts:?}: known layout {known_layout}");
    }
    // The labels of the first and last data rows; rows without labels (table 四) are
    // named by the grid's top row.
    let mut anchors: Vec<usize> = match (data.first(), data.last()) {
        (Some(first), Some(last)) if known_layout => vec![first.0, last.0],
        _ => Vec::new(),
    };
    if known_layout && data.iter().any(|d| d.2 == 0) {
        anchors.push(0);
    }
    let mut unread = vec![false; inked.len()];
    for (k, &(r, _, _)) in inked.iter().enumerate() {
        let Some(rd) = result[k].as_mut() else {
            continue;
        };
        if rd.numeric {
            continue;
        }
        if known_layout && !anchors.contains(&r) {
            unread[k] = true;
            continue;
        }
        read_text(rd, gray, text_bin, text_box[k], engine)?;
    }
    // Columns that are mostly numbers: a cell there whose digits reading failed keeps
    // its digits reading (low confidence) unless chi_sim clearly saw words.
    // Rows too: table 四 has one row of fifteen numbers and columns of one.
    let (col_num, row_num) = number_counts(&inked, &rows, &result, nr, nc);
    let digit_h = digit_height(&inked, &result);
    for (k, &(r, c, b)) in inked.iter().enumerate() {
        let Some(mut rd) = result[k].take() else {
            continue;
        };
        if unread[k] {
            rows[r][c].text = UNREAD.to_string();
            rows[r][c].confidence = None;
            continue;
        }
        // A label's place: left of the value columns and of every number in its row.
        let label_place = c < values_at && first_number[r].is_none_or(|f| c < f);
        // A row of numbers makes its value cells numbers' places, not its label (a
        // "3.其他" read as "3他" is a label misread, not a number).
        let numeric_col =
            mostly_numbers(col_num[c]) || (mostly_numbers(row_num[r]) && !label_place);
        let zh = rd.chinese.as_ref().map(|z| han_count(&z.0)).unwrap_or(0);
        let digits_left = !rd.tried_digits || rd.empty_grey;
        if !rd.numeric && numeric_col && rows[r][c].col_span == 1 && zh < 2 && digits_left {
            // Shaped like text (noise made it look wide or two-lined), or read empty and
            // not read again, among numbers, and chi_sim saw no words: try the digits
            // engine after all.
            let again = read_cell(gray, bin, b, sizes, engine, true, true)?;
            if again.numeric {
                rd = again;
            } else {
                // What this read saw still disagrees with the first (a blurred 5 read
                // as 5 here, as 3 in the group its shape joined).
                let seen = std::iter::once(&again.digits.0).chain(&again.also_read);
                for n in seen {
                    if number_like(n) && *n != rd.digits.0 && !rd.also_read.contains(n) {
                        rd.also_read.push(n.clone());
                    }
                }
            }
        }
        let (mut text, mut conf) = rd.best();
        // Labels stand left of a row's values: a glyph or two right of a number in the
        // value columns is a misread number too (a label's "1." is left of them). So is
        // any reading in a column of numbers on a row with numbers in the value columns
        // (a faint "1" read as 到汉王): no table prints words among its numbers.
        let right_of_number = first_value[r].is_some_and(|f| c > f) && zh <= 2;
        let among_values = numbers_in_row[r] && !label_place;
        let where_number = (numeric_col && rows[r][c].col_span == 1 && (zh < 2 || among_values))
            || right_of_number;
        // chi_sim reading digits is no reading of a number: the digits engine must
        // see the same number, or the cell is unreadable (a "0" read by chi_sim as
        // "9" would otherwise reach the values through the label matcher).
        let chinese_number = !rd.numeric && rd.chinese.as_ref().is_some_and(|z| number_like(&z.0));
        if chinese_number {
            rd.digits.0 = rd.chinese.as_ref().map(|z| z.0.clone()).unwrap_or_default();
        }
        // The number was held back from the values (a seal's ring, a weak or disputed
        // reading): no other read of the same ink makes it sure.
        let mut held_back = false;
        // Unread ink that is a lone stem of the digits' height ([`lone_stem_one`]).
        let mut lone_stem = false;
        if rd.numeric || chinese_number || (where_number && number_like(&rd.digits.0)) {
            // A number goes out only when a second, independent read sees it too: one
            // read of a blurred "0" can be a confident "9".
            let (mut seen, mut reads) = if rd.confirmed {
                (Some(rd.digits.0.clone()), Vec::new())
            } else if rd.by_classifier {
                let c = engine_confirms(gray, bin, b, engine, &rd.digits.0)?;
                (c.number, c.reads)
            } else {
                let c = confirm_number(gray, bin, b, engine, &rd.digits.0, &rd.also_read)?;
                (c.number, c.reads)
            };
            // Reads that saw two numbers disagree: the report's sums may choose
            // between them, not one more read of the same ink.
            held_back |= seen.is_none() && reads.len() > 1;
            // A number a seal's ring crossed lost the strokes under the ring: what the
            // reads agree on is a candidate only.
            let ringed = cut_by_ring(bin, b, seals);
            held_back |= ringed;
            if ringed {
                if let Some(n) = seen.take() {
                    if !reads.contains(&n) {
                        reads.insert(0, n);
                    }
                }
            }
            // A number the engine itself barely believed (a blurred 0 read as a weak 8,
            // a 3 as a 5 at a fifth of its confidence) is not made sure by reading it
            // again with the same engine, nor by our classifier misled by the same
            // blur: a candidate only. Ones are the exception: the engine doubts a lone
            // thin "1" however clear, and a plain upright stem is one.
            let barely_believed = conf < LOW_CONFIDENCE
                && !seen
                    .as_deref()
                    .is_some_and(|n| super::digits::plain_ones(gray, bin, b, n));
            held_back |= barely_believed;
            if barely_believed {
                if let Some(n) = seen.take() {
                    if !reads.contains(&n) {
                        reads.insert(0, n);
                    }
                }
            }
            // The readings that disagreed stay with the cell: candidates the report's
            // arithmetic may choose between, never values by themselves.
            rows[r][c].alternatives = reads
                .into_iter()
                .filter(|n| seen.as_ref() != Some(n))
                .collect();
            match seen {
                Some(n) => {
                    if n != rd.digits.0 {
                        conf = conf.min(LOW_CONFIDENCE - 0.05);
                    }
                    let cell = &rows[r][c];
                    let (rs, cs) = (cell.row_span as usize, cell.col_span as usize);
                    let interior = cell_interior(g, r, c, rs, cs, bin);
                    text = if !n.starts_with('-') && faint_minus_before(gray, interior, b) {
                        // Seen in the grey only: the number is that, marked doubtful.
                        conf = conf.min(LOW_CONFIDENCE - 0.05);
                        format!("-{n}")
                    } else {
                        n
                    };
                }
                None => {
                    text = "\u{FFFD}".to_string();
                    conf = conf.min(LOW_CONFIDENCE - 0.1);
                }
            }
        } else if where_number {
            // Ink where a number belongs, but no number read: say so (U+FFFD, the
            // IR's "unreadable"), rather than let garbage pass for a label.
            text = "\u{FFFD}".to_string();
            conf = conf.min(rd.digits.1).min(LOW_CONFIDENCE - 0.1);
            // The engine sees nothing in a lone thin "1" at low resolution; what our
            // classifier reads there is a candidate for the sums, never a value.
            rows[r][c].alternatives = classifier_candidate(gray, bin, b);
            lone_stem = digit_h.is_some_and(|h| lone_stem_one(gray, bin, b, h));
        }
        // Where numbers belong, a cell left unread or read as words (not a phrase: a
        // header over the value columns) may be a number with a seal's lighter strokes
        // across it: read again from its darkest ink. Not a number held back (under a
        // seal's ring, weak, disputed): its dark ink is the same ink.
        let numbers_belong = c >= values_at && !label_place && (where_number || numeric_col);
        if numbers_belong
            && !held_back
            && !number_like(&text)
            && han_count(&text) < 4
            && !cut_by_ring(bin, b, seals)
        {
            if let Some(n) = number_in_dark_ink(gray, bin, b, sizes, engine)? {
                // It stands when a reading of the whole cell shows it too.
                let mut whole = vec![rd.digits.0.clone()];
                whole.extend(rd.also_read.iter().cloned());
                whole.extend(rd.chinese.iter().map(|z| z.0.clone()));
                if !shown_in(&whole, &n) && !rd.tried_digits {
                    let forced = read_cell(gray, bin, b, sizes, engine, true, true)?;
                    whole.push(forced.digits.0);
                    whole.extend(forced.also_read);
                }
                ocr_trace!("dark ink of {b:?}: {n}, whole reads {whole:?}");
                if shown_in(&whole, &n) {
                    text = n;
                    conf = LOW_CONFIDENCE - 0.05;
                    rows[r][c].alternatives.clear();
                }
            }
            // Nothing read and nothing seen: the number's hairlines may be paler than
            // the page's threshold (a blurred screenshot's "0" binarised as "()").
            if !number_like(&text) && rows[r][c].alternatives.is_empty() {
                let cell = &rows[r][c];
                let (rs, cs) = (cell.row_span as usize, cell.col_span as usize);
                let interior = cell_interior(g, r, c, rs, cs, bin);
                if let Some(n) = number_in_faint_ink(gray, bin, b, interior, sizes, engine)? {
                    text = n;
                    conf = LOW_CONFIDENCE - 0.05;
                }
            }
        }
        // Nor does the classifier always read a blurred serif "1" clearly: when no
        // reading came of the ink, a lone stem of the digits' height is a candidate 1.
        if lone_stem && !number_like(&text) && rows[r][c].alternatives.is_empty() {
            ocr_trace!("{r},{c} {b:?}: a lone stem, a candidate 1");
            rows[r][c].alternatives = vec!["1".to_string()];
        }
        if text.trim().is_empty() && !where_number && label_place {
            // Ink left of the values that no engine read is a label not read (规章 read
            // as nothing): its row is placed by the template's order, and the cell is
            // not taken for a value.
            ocr_trace!("final {r},{c}: label not read");
            rows[r][c].text = UNREAD.to_string();
            rows[r][c].confidence = None;
            continue;
        }
        if text.trim().is_empty() {
            // Ink that no engine read is not a blank cell: a blank reads as zero, and
            // this one may hold any number (a faint 38).
            text = "\u{FFFD}".to_string();
            conf = conf.min(LOW_CONFIDENCE - 0.1);
        }
        ocr_trace!(
            "final {r},{c}: {text:?} ({conf:.2}), candidates {:?}",
            rows[r][c].alternatives
        );
        rows[r][c].text = text;
        rows[r][c].confidence = Some(conf);
    }
    // Where numbers belong, a blank a seal's ring crosses (its ink erased) may hide a
    // number, and specks beside numbers in a row are speckle or what is left of a faint
    // number: unread, with the blank (a zero) a candidate that only the report's sums
    // may confirm. A row without numbers (a heading, a label carried over from the last
    // page) is blank there.
    let specks_beside_numbers = specks.into_iter().filter(|&(r, _)| numbers_in_row[r]);
    for (r, c) in under_ring.into_iter().chain(specks_beside_numbers) {
        if c >= values_at {
            let cell = &mut rows[r][c];
            cell.text = "\u{FFFD}".to_string();
            cell.confidence = Some(LOW_CONFIDENCE - 0.1);
            cell.alternatives = vec!["0".to_string()];
        }
    }
    Ok(Table {
        rows,
        origin: TableOrigin::Ocr,
        page: None,
    })
}

#[cfg(test)]
#[path = "recognise_tests.rs"]
mod tests;
