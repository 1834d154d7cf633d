//! Picture → table grids (+ text lines outside tables) via grid detection and OCR.

use super::cells::{
    drop_specks, faint_minus_before, glyph_count, group_shapes, ink_box, only_specks,
};
use super::cells::{shape_distance, shape_of};
use super::cells::{Shape, SAME_SHAPE};
use super::engine::{OcrEngine, OcrError};
use super::grid::{detect_grids_and_rulings, drop_stray_column_lines, erase_rulings, Grid};
use super::lines::text_lines_outside;
pub use super::lines::LineSelection;
use super::prep::{self, Bin, DecodeError};
use super::read::{
    confirm_number, engine_confirms, han_count, number_like, read_cell, read_text, Reading,
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
        .map(|g| drop_stray_column_lines(g, has_ink))
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
        let rd = read_cell(gray, bin, inked[lead].2, row_h, engine, false, false)?;
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
            let r2 = read_cell(gray, bin, inked[far].2, row_h, engine, false, false)?;
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
                        gray, bin, inked[m].2, row_h, engine, false, false,
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
            result[k] = Some(read_cell(gray, bin, b, row_h, engine, false, true)?);
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
    for (k, &(r, c, b)) in inked.iter().enumerate() {
        let Some(mut rd) = result[k].take() else {
            continue;
        };
        if unread[k] {
            rows[r][c].text = UNREAD.to_string();
            rows[r][c].confidence = None;
            continue;
        }
        let numeric_col = mostly_numbers(col_num[c]) || mostly_numbers(row_num[r]);
        let zh = rd.chinese.as_ref().map(|z| han_count(&z.0)).unwrap_or(0);
        let digits_left = !rd.tried_digits || rd.empty_grey;
        if !rd.numeric && numeric_col && rows[r][c].col_span == 1 && zh < 2 && digits_left {
            // Shaped like text (noise made it look wide or two-lined), or read empty and
            // not read again, among numbers, and chi_sim saw no words: try the digits
            // engine after all.
            let again = read_cell(gray, bin, b, row_h, engine, true, true)?;
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
        // value columns is a misread number too (a label's "1." is left of them).
        let right_of_number = first_value[r].is_some_and(|f| c > f) && zh <= 2;
        let where_number = (numeric_col && rows[r][c].col_span == 1 && zh < 2) || right_of_number;
        // chi_sim reading digits is no reading of a number: the digits engine must
        // see the same number, or the cell is unreadable (a "0" read by chi_sim as
        // "9" would otherwise reach the values through the label matcher).
        let chinese_number = !rd.numeric && rd.chinese.as_ref().is_some_and(|z| number_like(&z.0));
        if chinese_number {
            rd.digits.0 = rd.chinese.as_ref().map(|z| z.0.clone()).unwrap_or_default();
        }
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
            // A number a seal's ring crossed lost the strokes under the ring: what the
            // reads agree on is a candidate only.
            if cut_by_ring(bin, b, seals) {
                if let Some(n) = seen.take() {
                    if !reads.contains(&n) {
                        reads.insert(0, n);
                    }
                }
            }
            // A number the engine itself barely believed (a blurred 0 read as a weak 8,
            // a 3 as a 5 at a fifth of its confidence) is not made sure by reading it
            // again with the same engine, nor by our classifier misled by the same
            // blur: a candidate only.
            if conf < LOW_CONFIDENCE {
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

/// The number our digit classifier reads in a cell the engine could not read, when it
/// reads every glyph of it clearly: a candidate only.
fn classifier_candidate(gray: &GrayImage, bin: &Bin, b: PxBox) -> Vec<String> {
    classifier_reading(gray, bin, b).into_iter().collect()
}

/// What our digit classifier reads in a cell: every glyph a clear digit, no minus.
fn classifier_reading(gray: &GrayImage, bin: &Bin, b: PxBox) -> Option<String> {
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
fn drop_numbers_too_small(inked: &[(usize, usize, PxBox)], result: &mut [Option<Reading>]) {
    let is_digits = |rd: &Reading| rd.numeric && rd.digits.0.chars().any(|c| c.is_ascii_digit());
    let mut heights: Vec<usize> = inked
        .iter()
        .zip(result.iter())
        .filter(|(_, rd)| rd.as_ref().is_some_and(is_digits))
        .map(|(&(_, _, b), _)| b.3 - b.1)
        .collect();
    if heights.len() < 3 {
        return;
    }
    heights.sort_unstable();
    let digit_h = heights[heights.len() / 2];
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

/// Per column and per row of a grid: (cells read as numbers, single cells read).
type NumberCounts = (Vec<(usize, usize)>, Vec<(usize, usize)>);

fn number_counts(
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
fn mostly_numbers((numeric, all): (usize, usize)) -> bool {
    all >= 3 && numeric * 2 >= all
}

#[cfg(test)]
mod tests {
    use super::super::cells::is_dash_bar;
    use super::super::digits::hollow_in_the_grey;
    use super::super::engine::OcrMode;
    use super::super::engine::Word;
    use super::super::lines::{otsu, LinePart};
    use super::*;
    use image::Luma;
    use std::io::Cursor;

    /// A binary image with the given rectangles inked.
    /// A "0" as the four 2-px sides of the box (x0, y0)–(x1, y1).
    fn ring(x0: usize, y0: usize, x1: usize, y1: usize) -> [(usize, usize, usize, usize); 4] {
        [
            (x0, y0, x1, y0 + 2),
            (x0, y1 - 2, x1, y1),
            (x0, y0, x0 + 2, y1),
            (x1 - 2, y0, x1, y1),
        ]
    }

    #[test]
    fn stub_of_a_border_beside_a_number_is_not_its_ink() {
        // A "0" (a ring) centred in an 80×40 cell, and the top of the left border that a
        // residual skew left inside it: thin, short, set apart.
        let b = Bin::with_rects(
            80,
            40,
            &[ring(34, 10, 46, 30).as_slice(), &[(1, 0, 3, 14)]].concat(),
        );
        assert_eq!(ink_box(&b, 0, 0, 80, 40, 40), Some((34, 10, 46, 30)));
    }

    #[test]
    fn specks_beside_a_number_go_and_its_decimal_point_stays() {
        // "0.0": two rings 20 high with a 3×3 point between them on the baseline, and
        // specks of noise above and to the right.
        let mut b = Bin::with_rects(
            100,
            40,
            &[
                ring(10, 10, 22, 30).as_slice(),
                &[(25, 27, 28, 30)],
                &ring(31, 10, 43, 30),
                &[(26, 2, 28, 4), (60, 20, 62, 22)],
            ]
            .concat(),
        );
        assert_eq!(drop_specks(&mut b, (10, 2, 62, 30)), Some((10, 10, 43, 30)));
        assert_eq!(b.count(25, 27, 28, 30), 9, "the point");
        assert_eq!(
            b.count(26, 2, 28, 4) + b.count(60, 20, 62, 22),
            0,
            "the specks"
        );
    }

    #[test]
    fn a_number_only_the_classifier_read_stands_when_the_engine_sees_it_too() {
        let b = Bin::with_rects(60, 40, &[(28, 10, 32, 30)]);
        let gray = GrayImage::from_pixel(60, 40, Luma([255]));
        let seen = engine_confirms(&gray, &b, (28, 10, 32, 30), &mut Reads("1"), "1").unwrap();
        assert_eq!(seen.number.as_deref(), Some("1"));
        // The engine sees another number: no number, both candidates.
        let seen = engine_confirms(&gray, &b, (28, 10, 32, 30), &mut Reads("7"), "1").unwrap();
        assert_eq!(seen.number, None);
        assert_eq!(seen.reads, vec!["1", "7"]);
        // Nothing again: the classifier's reading is a candidate only.
        let seen = engine_confirms(&gray, &b, (28, 10, 32, 30), &mut Reads(""), "1").unwrap();
        assert_eq!((seen.number, seen.reads), (None, vec!["1".to_string()]));
    }

    /// A 60 × 40 grey picture of paper (240) with `b`'s ink dark (40).
    fn inked_gray(b: &Bin) -> GrayImage {
        let mut gray = GrayImage::from_pixel(60, 40, Luma([240]));
        for (x, y, p) in gray.enumerate_pixels_mut() {
            if b.get(x as usize, y as usize) {
                p.0[0] = 40;
            }
        }
        gray
    }

    #[test]
    fn a_zero_broken_into_two_arcs_is_one_glyph_where_the_grey_joins_them() {
        use super::super::cells::glyph_count_joined;
        // A Kai "0": thick sides inked, its thin top and bottom grey only.
        let b = Bin::with_rects(60, 40, &[(20, 10, 24, 30), (30, 10, 34, 30)]);
        let mut gray = inked_gray(&b);
        let two_ones = gray.clone();
        for x in 24..30u32 {
            gray.put_pixel(x, 10, Luma([150]));
            gray.put_pixel(x, 29, Luma([150]));
        }
        assert_eq!(glyph_count_joined(&gray, &b, (20, 10, 34, 30)).0, 1);
        // "11": paper between them.
        assert_eq!(glyph_count_joined(&two_ones, &b, (20, 10, 34, 30)).0, 2);
    }

    #[test]
    fn a_short_dash_among_specks_of_its_size_is_a_dash() {
        // A 120-dpi scan's hyphen (9 × 5, a fifth of a 44-px glyph) with JPEG specks
        // of 3 × 4 round it, in a 96 × 51 cell.
        let mut b = Bin::with_rects(
            96,
            51,
            &[
                (40, 24, 49, 29),
                (22, 8, 25, 12),
                (60, 30, 63, 34),
                (30, 32, 33, 35),
            ],
        );
        let dash = drop_specks(&mut b, (22, 8, 63, 35));
        assert_eq!(dash, Some((40, 24, 49, 29)));
        assert!(is_dash_bar(&b, (40, 24, 49, 29), 51));
        assert!(!only_specks(&b, (40, 24, 49, 29), 44.0));
    }

    #[test]
    fn what_the_classifier_reads_in_a_cell_the_engine_missed_is_a_candidate() {
        // A lone bar: the engine sees nothing in a thin "1"; the classifier reads it.
        let b = Bin::with_rects(60, 40, &[(28, 10, 32, 30)]);
        let gray = inked_gray(&b);
        assert_eq!(classifier_candidate(&gray, &b, (28, 10, 32, 30)), vec!["1"]);
        // The faint diagonal and bar of a 4 the binarisation lost: no "1".
        let mut broken = gray.clone();
        for k in 0..12u32 {
            broken.put_pixel(27 - k, 12 + k, Luma([170]));
            broken.put_pixel(26 - k, 12 + k, Luma([170]));
            broken.put_pixel(16 + k, 25, Luma([170]));
            broken.put_pixel(16 + k, 24, Luma([170]));
        }
        assert!(classifier_candidate(&broken, &b, (28, 10, 32, 30)).is_empty());
        // A bar before it is a minus sign, which the classifier does not read.
        let b = Bin::with_rects(60, 40, &[(14, 19, 22, 22), (28, 10, 32, 30)]);
        assert!(classifier_candidate(&gray, &b, (14, 10, 32, 30)).is_empty());
    }

    #[test]
    fn a_reading_with_fewer_digits_than_glyphs_or_without_its_minus_is_not_confirmed() {
        // "11": two bars; the engine reads "7" every time, one digit for two glyphs.
        let b = Bin::with_rects(60, 40, &[(10, 10, 14, 30), (30, 10, 34, 30)]);
        let gray = GrayImage::from_pixel(60, 40, Luma([255]));
        let mut e = Fake(0);
        assert_eq!(
            confirm_number(&gray, &b, (10, 10, 34, 30), &mut e, "7", &[])
                .unwrap()
                .number,
            None
        );
        assert_eq!(e.0, 0, "no read needed to refuse it");
        // "-7": a bar before the glyph, read as "7" without its sign.
        let b = Bin::with_rects(60, 40, &[(4, 19, 12, 22), (20, 10, 24, 30)]);
        assert_eq!(
            confirm_number(&gray, &b, (4, 10, 24, 30), &mut e, "7", &[])
                .unwrap()
                .number,
            None
        );
        // A blot our digit classifier does not read (wider than high), read "7" twice
        // more by the engine: confirmed by the engine's reads of other crops.
        let b = Bin::with_rects(60, 40, &[(20, 10, 44, 30)]);
        let seen = confirm_number(&gray, &b, (20, 10, 44, 30), &mut e, "7", &[]).unwrap();
        assert_eq!(seen.number.as_deref(), Some("7"));
        // A bar, which the classifier clearly reads as "1": the engine's three "7"s
        // against it are no number, and both readings are candidates.
        let b = Bin::with_rects(60, 40, &[(20, 10, 24, 30)]);
        let seen = confirm_number(&gray, &b, (20, 10, 24, 30), &mut e, "7", &[]).unwrap();
        assert_eq!(seen.number, None);
        assert_eq!(seen.reads, vec!["7".to_string(), "1".to_string()]);
        // The engine's "1" that the classifier reads alike is confirmed without another
        // read of the engine.
        let calls = e.0;
        let seen = confirm_number(&gray, &b, (20, 10, 24, 30), &mut e, "1", &[]).unwrap();
        assert_eq!(seen.number.as_deref(), Some("1"));
        assert_eq!(e.0, calls, "no further read");
    }

    #[test]
    fn a_number_the_engine_read_otherwise_in_another_crop_is_a_candidate() {
        // A blot the classifier does not read, read "7" by every crop of the confirming
        // reads, but "5" by the grey crop of the first read: two numbers, no value.
        let b = Bin::with_rects(60, 40, &[(20, 10, 44, 30)]);
        let gray = GrayImage::from_pixel(60, 40, Luma([255]));
        let mut e = Fake(0);
        let seen =
            confirm_number(&gray, &b, (20, 10, 44, 30), &mut e, "7", &["5".to_string()]).unwrap();
        assert_eq!(seen.number, None);
        assert_eq!(seen.reads, vec!["7".to_string(), "5".to_string()]);
    }

    #[test]
    fn a_one_read_over_a_zero_the_binarisation_broke_or_filled_is_a_candidate() {
        // A "0" fallen into two arcs, joined at top and bottom by grey: the engine's "1"
        // (three times over) is one of its arcs.
        let b = Bin::with_rects(60, 40, &[(20, 10, 24, 30), (30, 10, 34, 30)]);
        let mut gray = inked_gray(&b);
        for x in 24..30u32 {
            gray.put_pixel(x, 10, Luma([150]));
            gray.put_pixel(x, 29, Luma([150]));
        }
        let seen = confirm_number(&gray, &b, (20, 10, 34, 30), &mut Reads("1"), "1", &[]).unwrap();
        assert_eq!(seen.number, None);
        // Our classifier reads the two arcs as "11": a candidate too.
        assert_eq!(seen.reads, vec!["1".to_string(), "11".to_string()]);
        // Two arcs with paper between them are "11", read so.
        let apart = inked_gray(&b);
        let seen =
            confirm_number(&apart, &b, (20, 10, 34, 30), &mut Reads("11"), "11", &[]).unwrap();
        assert_eq!(seen.number.as_deref(), Some("11"));
        // A 0 whose hole the binarisation filled: one solid blot in the binary ink, two
        // strokes with paper between them in the grey.
        let blot = Bin::with_rects(60, 40, &[(20, 10, 34, 30)]);
        let mut hollow = GrayImage::from_pixel(60, 40, Luma([240]));
        for y in 10..30u32 {
            for x in 20..34u32 {
                let stroke = !(24..30).contains(&x) || !(12..28).contains(&y);
                hollow.put_pixel(x, y, Luma([if stroke { 40 } else { 200 }]));
            }
        }
        assert!(hollow_in_the_grey(&hollow, &blot, (20, 10, 34, 30)));
        let seen =
            confirm_number(&hollow, &blot, (20, 10, 34, 30), &mut Reads("1"), "1", &[]).unwrap();
        assert_eq!(seen.number, None);
        // A "1" stem, blurred at both edges: one stroke, darkest in its middle.
        let stem = Bin::with_rects(60, 40, &[(26, 10, 31, 30)]);
        let mut one = GrayImage::from_pixel(60, 40, Luma([240]));
        for y in 10..30u32 {
            for (x, v) in [(26u32, 150u8), (27, 60), (28, 40), (29, 60), (30, 150)] {
                one.put_pixel(x, y, Luma([v]));
            }
        }
        assert!(!hollow_in_the_grey(&one, &stem, (26, 10, 31, 30)));
    }

    #[test]
    fn lone_one_beside_a_speck_is_kept() {
        // "1" near the left edge, a speck at the right edge: the speck goes, the 1 stays.
        let b = Bin::with_rects(80, 40, &[(4, 10, 7, 30), (75, 20, 77, 22)]);
        assert_eq!(ink_box(&b, 0, 0, 80, 40, 40), Some((4, 10, 7, 30)));
    }

    #[test]
    fn a_low_solid_bar_is_a_zero_sign_a_digit_is_not() {
        let b = Bin::with_rects(80, 40, &[(30, 18, 50, 22), (10, 10, 12, 30)]);
        assert!(is_dash_bar(&b, (30, 18, 50, 22), 40));
        // A "1" (tall), and a bar in a row too low for the bar to be a dash in it.
        assert!(!is_dash_bar(&b, (10, 10, 12, 30), 40));
        assert!(!is_dash_bar(&b, (30, 18, 50, 22), 12));
        // Read without the engine, as a printed zero.
        let mut never = Fake(0);
        let gray = GrayImage::from_pixel(80, 40, Luma([255]));
        let rd = read_cell(&gray, &b, (30, 18, 50, 22), 40, &mut never, false, true).unwrap();
        assert!(rd.numeric && rd.digits.0 == "-" && never.0 == 0);
    }

    /// Digits: "348". Chinese: "标签" for a wide crop (a label), "348" otherwise.
    struct Labels;
    impl OcrEngine for Labels {
        fn recognise(&mut self, img: &GrayImage, mode: OcrMode) -> Result<Vec<Word>, OcrError> {
            let (w, h) = img.dimensions();
            let label = mode != OcrMode::Digits && w as f32 > 2.5 * h as f32;
            Ok(vec![Word {
                text: if label { "标签" } else { "348" }.into(),
                bbox: [0.0, 0.0, w as f32, h as f32],
                confidence: 0.95,
            }])
        }
    }

    #[test]
    fn a_number_read_as_text_on_an_edge_row_makes_every_label_read() {
        // Four rows: a label (wide) and two numbers (narrow bars); the top row's last
        // number is a solid block, as touching digits look, which is judged text.
        let (xs, ys) = ([20u32, 220, 320, 420], [20u32, 80, 140, 200, 260]);
        let mut g = GrayImage::from_pixel(440, 280, Luma([255]));
        for &y in &ys {
            for x in xs[0]..=xs[3] + 1 {
                g.put_pixel(x, y, Luma([0]));
                g.put_pixel(x, y + 1, Luma([0]));
            }
        }
        for &x in &xs {
            for y in ys[0]..=ys[4] + 1 {
                g.put_pixel(x, y, Luma([0]));
                g.put_pixel(x + 1, y, Luma([0]));
            }
        }
        let mut ink = |x0: u32, y0: u32, w: u32| {
            for y in y0..y0 + 24 {
                for x in x0..x0 + w {
                    g.put_pixel(x, y, Luma([0]));
                }
            }
        };
        for (r, &y) in ys[..4].iter().enumerate() {
            ink(40, y + 18, 130);
            ink(265, y + 18, 6);
            if r == 0 {
                ink(350, y + 18, 40);
            } else {
                ink(365, y + 18, 6);
            }
        }
        let blocks = recognise_picture(
            &png(&g),
            None,
            &mut Labels,
            LineSelection::NONE,
            &[vec![2; 4]],
        )
        .unwrap();
        let Some(Block::Table(t)) = blocks.first() else {
            panic!("no table: {blocks:?}")
        };
        assert_eq!((t.rows.len(), t.n_cols()), (4, 3));
        for row in &t.rows {
            assert_eq!(row[0].text, "标签", "every label read: {:?}", t.rows);
        }
        // The block is read as the number it is, by the digits engine after all.
        assert_eq!(t.rows[0][2].text, "348");
    }

    /// Chinese lines told apart by their width: each bar width reads as one text.
    struct Lines(Vec<(u32, &'static str)>, Vec<&'static str>);
    impl OcrEngine for Lines {
        fn recognise(&mut self, img: &GrayImage, _mode: OcrMode) -> Result<Vec<Word>, OcrError> {
            let (w, h) = img.dimensions();
            // The crop is a 30-px-high bar scaled to half the crop's height and padded
            // by half that on each side: undo both.
            let bar = (w - h / 2) * 60 / h;
            let text = self
                .0
                .iter()
                .min_by_key(|(bw, _)| bw.abs_diff(bar))
                .map(|t| t.1);
            self.1.extend(text);
            Ok(vec![Word {
                text: text.unwrap_or_default().into(),
                bbox: [0.0, 0.0, w as f32, h as f32],
                confidence: 0.9,
            }])
        }
    }

    #[test]
    fn tail_lines_stop_at_the_agency_above_the_date() {
        // Five lines of text, no table; the last one is a page number under the date.
        let texts = [
            (500, "正文最后一行"),
            (420, "又一行正文"),
            (300, "某某市某某局"),
            (260, "2024年1月25日"),
            (60, "- 5 -"),
        ];
        let mut g = GrayImage::from_pixel(700, 560, Luma([255]));
        for (k, &(w, _)) in texts.iter().enumerate() {
            let y0 = 40 + 100 * k as u32;
            for y in y0..y0 + 30 {
                for x in 60..60 + w {
                    g.put_pixel(x, y, Luma([0]));
                }
            }
        }
        let mut e = Lines(texts.iter().map(|&(w, t)| (w, t)).collect(), Vec::new());
        let sel = LineSelection {
            head: 0,
            tail: 4,
            all: false,
        };
        let blocks = recognise_gray(&g, &mut e, sel, &[]).unwrap();
        assert_eq!(e.1, ["- 5 -", "2024年1月25日", "某某市某某局"]);
        let paras: Vec<&str> = blocks.iter().filter_map(Block::text).collect();
        assert_eq!(paras, ["某某市某某局", "2024年1月25日", "- 5 -"]);
    }

    #[test]
    fn head_lines_then_tail_lines_upwards_each_once() {
        let sel = LineSelection {
            head: 2,
            tail: 2,
            all: false,
        };
        use LinePart::{Head, Tail};
        assert_eq!(sel.order(3), vec![(0, Head), (1, Head), (2, Tail)]);
        assert_eq!(
            sel.order(6),
            vec![(0, Head), (1, Head), (5, Tail), (4, Tail)]
        );
        assert!(LineSelection::NONE.order(5).is_empty());
        assert_eq!(LineSelection::ALL.order(2).len(), 2);
    }

    /// Reads every crop as "7" with high confidence.
    /// One confident word covering the whole crop.
    fn whole_crop_word(img: &GrayImage, text: &str) -> Vec<Word> {
        let (w, h) = img.dimensions();
        vec![Word {
            text: text.into(),
            bbox: [0.0, 0.0, w as f32, h as f32],
            confidence: 0.95,
        }]
    }

    /// An engine that reads every crop as "7", counting its calls.
    struct Fake(usize);
    impl OcrEngine for Fake {
        fn recognise(&mut self, img: &GrayImage, _mode: OcrMode) -> Result<Vec<Word>, OcrError> {
            self.0 += 1;
            Ok(whole_crop_word(img, "7"))
        }
    }

    /// An engine that reads every crop as the same text.
    struct Reads(&'static str);
    impl OcrEngine for Reads {
        fn recognise(&mut self, img: &GrayImage, _mode: OcrMode) -> Result<Vec<Word>, OcrError> {
            Ok(whole_crop_word(img, self.0))
        }
    }

    fn png(g: &GrayImage) -> Vec<u8> {
        let mut v = Vec::new();
        image::DynamicImage::ImageLuma8(g.clone())
            .write_to(&mut Cursor::new(&mut v), image::ImageFormat::Png)
            .unwrap();
        v
    }

    #[test]
    fn blank_picture_gives_nothing_without_ocr() {
        let g = GrayImage::from_pixel(400, 300, Luma([255]));
        let mut e = Fake(0);
        assert!(
            recognise_picture(&png(&g), None, &mut e, LineSelection::ALL, &[])
                .unwrap()
                .is_empty()
        );
        assert_eq!(e.0, 0);
    }

    #[test]
    fn a_row_of_dashes_reads_as_printed_zeros_without_the_engine() {
        // One row of three cells, each with a solid dash: one group of one rendering,
        // read from its shape. The engine would read "7"; it must not be asked.
        let mut g = GrayImage::from_pixel(640, 200, Luma([255]));
        for &y in &[20u32, 80] {
            for x in 20..=620 {
                g.put_pixel(x, y, Luma([0]));
                g.put_pixel(x, y + 1, Luma([0]));
            }
        }
        for &x in &[20u32, 220, 420, 620] {
            for y in 20..=81 {
                g.put_pixel(x, y, Luma([0]));
                g.put_pixel(x + 1, y, Luma([0]));
            }
        }
        for x0 in [110u32, 310, 510] {
            for y in 48..53 {
                for x in x0..x0 + 20 {
                    g.put_pixel(x, y, Luma([0]));
                }
            }
        }
        let mut e = Fake(0);
        let blocks = recognise_picture(&png(&g), None, &mut e, LineSelection::NONE, &[]).unwrap();
        let Some(Block::Table(t)) = blocks.first() else {
            panic!("no table: {blocks:?}")
        };
        let texts: Vec<&str> = t.rows[0].iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["-", "-", "-"]);
        assert_eq!(e.0, 0);
    }

    #[test]
    fn a_seals_lighter_ink_is_told_from_the_texts() {
        // Text ink around 30, a grey seal's around 160: the threshold falls between.
        let mut hist = [0u64; 256];
        hist[20..40].fill(10);
        hist[150..170].fill(6);
        let t = otsu(&hist).expect("two classes");
        assert!((39..150).contains(&(t as usize)), "{t}");
        // One class of ink (text only, anti-aliased edges a little lighter): no split.
        let mut one = [0u64; 256];
        one[20..60].fill(10);
        assert_eq!(otsu(&one), None);
    }

    /// An engine that reads every crop as the same text, barely believing it.
    struct WeakReads(&'static str);
    impl OcrEngine for WeakReads {
        fn recognise(&mut self, img: &GrayImage, _mode: OcrMode) -> Result<Vec<Word>, OcrError> {
            let mut words = whole_crop_word(img, self.0);
            for w in &mut words {
                w.confidence = 0.3;
            }
            Ok(words)
        }
    }

    #[test]
    fn a_number_the_engine_barely_believed_is_a_candidate_however_often_read() {
        let mut e = WeakReads("1");
        let blocks = recognise_picture(
            &png(&one_inked_cell()),
            None,
            &mut e,
            LineSelection::ALL,
            &[],
        )
        .unwrap();
        let Some(Block::Table(t)) = blocks.first() else {
            panic!("no table: {blocks:?}")
        };
        assert_eq!(t.rows[1][1].text, "\u{FFFD}");
        assert_eq!(t.rows[1][1].alternatives, vec!["1"]);
    }

    /// A 2 × 2 ruled grid whose cell (1, 1) holds a 6 × 24 bar: a "1" to our classifier.
    fn one_inked_cell() -> GrayImage {
        let mut g = GrayImage::from_pixel(420, 200, Luma([255]));
        for &y in &[20u32, 80, 140] {
            for x in 20..=400 {
                g.put_pixel(x, y, Luma([0]));
                g.put_pixel(x, y + 1, Luma([0]));
            }
        }
        for &x in &[20u32, 210, 400] {
            for y in 20..=141 {
                g.put_pixel(x, y, Luma([0]));
                g.put_pixel(x + 1, y, Luma([0]));
            }
        }
        for y in 98..122 {
            for x in 300..306 {
                g.put_pixel(x, y, Luma([0]));
            }
        }
        g
    }

    #[test]
    fn ruled_grid_with_one_inked_cell() {
        // The engine reads the bar in cell (1, 1) as our classifier does: "1".
        let g = one_inked_cell();
        let mut e = Reads("1");
        let blocks = recognise_picture(&png(&g), None, &mut e, LineSelection::ALL, &[]).unwrap();
        let Some(Block::Table(t)) = blocks.first() else {
            panic!("no table: {blocks:?}")
        };
        assert_eq!((t.rows.len(), t.n_cols()), (2, 2));
        assert_eq!(t.rows[1][1].text, "1");
        assert_eq!(t.rows[0][0].text, "");
        assert_eq!(t.origin, TableOrigin::Ocr);
        assert!(t.rows[1][1].bbox.is_some());
    }
}
