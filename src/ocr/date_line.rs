//! The date line at the foot of a scanned report (the publication date), read more than
//! once and believed only when the readings agree.
//!
//! chi_sim misreads a date's digits with the markers around them intact (2025年 as
//! 2023年 where a seal's star lies over the 5), and one reading cannot tell. So a date
//! line is read again from other pictures of the same ink: the binarisation at another
//! scale, the grey picture itself (another binarisation, tesseract's own), and the grey
//! picture's digit groups by the digits engine. A date stands when two readings give it
//! and no other reading gives another (then the line is written in the canonical form
//! `YYYY年M月D日`); otherwise the readings are written joined by [`DISPUTED`], and the
//! metadata stage leaves the date out naming them.

use super::cells::{ocr_crop, scale_and_pad};
use super::engine::{OcrEngine, OcrMode, Word};
use super::prep::Bin;
use super::read::join_words;
use super::recognise::{PxBox, RecogniseError};
use super::seal::Seal;
use crate::report::{ocr_date, DISPUTED};
use image::{GrayImage, Luma};

/// Height in pixels the line's glyphs are brought to for the first reading.
const LINE_HEIGHT: f32 = 36.0;

/// The second binarised reading's height: another scale, so that tesseract cuts the
/// glyphs anew.
const LINE_HEIGHT_LARGE: f32 = 52.0;

/// Longest line (characters) read as a date line: a date, maybe after the agency.
const MAX_DATE_LINE_CHARS: usize = 24;

/// True when a line read by OCR may be the date line: short, holding a date, or a date
/// marker (年, 月 or 日) among at least three numerals or digits that outnumber the
/// other characters (a misread date; a sentence that begins with a year has more words
/// than numerals), so that the line is read again even when its first reading holds
/// no date.
pub(crate) fn is_date_like(text: &str) -> bool {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() > MAX_DATE_LINE_CHARS {
        return false;
    }
    let markers = chars.iter().filter(|c| "年月日".contains(**c)).count();
    // What chi_sim reads the Chinese numerals as when they are damaged: 〇 as O or D,
    // 一 as a dash, 二 as an equals sign.
    let numerals = chars
        .iter()
        .filter(|c| c.is_ascii_digit() || "〇零○一二三四五六七八九十OoD-=".contains(**c))
        .count();
    let others = chars.len() - markers - numerals;
    crate::report::has_ocr_date(text) || (markers >= 1 && numerals >= 3 && others <= numerals)
}

/// The text to put for the date line in box `b` first read as `first`: the canonical
/// date when readings agree, else the readings joined by [`DISPUTED`].
pub(crate) fn settle_date_line(
    gray: &GrayImage,
    bin: &Bin,
    b: PxBox,
    first: &str,
    glyph: f32,
    seals: &[Seal],
    engine: &mut dyn OcrEngine,
) -> Result<String, RecogniseError> {
    if let Some(dir) = std::env::var_os("NB_OCR_DUMP") {
        dump_date_line(std::path::Path::new(&dir), gray, bin, b, seals);
    }
    let mut readings: Vec<String> = vec![first.to_string()];
    // By the glyphs' shapes, without tesseract: the most independent reading, and free.
    if let Some(shapes) = super::date_glyphs::read_date_glyphs(bin, b, glyph) {
        readings.push(shapes);
        if let Some(date) = agreed(&readings) {
            return Ok(date);
        }
    }
    let large = ocr_crop(bin, b, LINE_HEIGHT_LARGE);
    readings.push(read_text(engine, &large)?);
    if let Some(date) = agreed(&readings) {
        return Ok(date);
    }
    if let Some(grey) = grey_crop(gray, b) {
        let words = engine.recognise(&grey, OcrMode::Chinese)?;
        readings.push(join_words(&words, "").0);
        if let Some(date) = agreed(&readings) {
            return Ok(date);
        }
        // The grey reading's digit groups read again by the digits engine, its markers
        // kept: digits under a seal's ink, which chi_sim takes for Han characters.
        readings.push(with_digits_reread(&grey, &words, engine)?);
        if let Some(date) = agreed(&readings) {
            return Ok(date);
        }
    }
    // The seal over the line divided out of the grey picture: read by chi_sim, by the
    // glyphs' shapes and by the digits engine, as the line itself was.
    // Only when the readings do not agree field by field either: then the metadata
    // stage settles the date from them as they are.
    let divided = if super::date_fields::fields_agreed(&readings) {
        None
    } else {
        super::date_seal::seal_divided(gray, b, seals, glyph)
    };
    if let Some(divided) = divided {
        if let Some(date) = read_divided(&divided, glyph, &mut readings, engine)? {
            return Ok(date);
        }
    }
    let shown: Vec<String> = readings
        .into_iter()
        .map(|r| r.replace(DISPUTED, ""))
        .filter(|r| !r.trim().is_empty())
        .collect();
    Ok(shown.join(&DISPUTED.to_string()))
}

/// Writes the date line's grey picture and binarisation (a glyph beyond its box) to
/// `dir` (`NB_OCR_DUMP`, a debugging aid), with the seals over it traced.
fn dump_date_line(dir: &std::path::Path, gray: &GrayImage, bin: &Bin, b: PxBox, seals: &[Seal]) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let m = (b.3 - b.1) / 2;
    let (x0, y0) = (b.0.saturating_sub(m), b.1.saturating_sub(m));
    let (x1, y1) = ((b.2 + m).min(bin.w), (b.3 + m).min(bin.h));
    let crop = |f: &dyn Fn(usize, usize) -> u8| {
        GrayImage::from_fn((x1 - x0) as u32, (y1 - y0) as u32, |x, y| {
            Luma([f(x0 + x as usize, y0 + y as usize)])
        })
    };
    let _ = crop(&|x, y| gray.get_pixel(x as u32, y as u32).0[0])
        .save(dir.join(format!("date-{n:02}-gray.png")));
    let _ = crop(&|x, y| if bin.get(x, y) { 0 } else { 255 })
        .save(dir.join(format!("date-{n:02}-bin.png")));
    ocr_trace!("date line {n}: box {b:?}, seals {seals:?}");
}

/// Readings of the seal-divided picture of a date line added to `readings`; the date as
/// soon as they agree.
fn read_divided(
    divided: &GrayImage,
    glyph: f32,
    readings: &mut Vec<String>,
    engine: &mut dyn OcrEngine,
) -> Result<Option<String>, RecogniseError> {
    use super::date_seal::{divided_ink, main_group, INK_SHARES};
    let Some(ink) = divided_ink(divided, glyph, INK_SHARES[INK_SHARES.len() - 1]) else {
        return Ok(None);
    };
    let Some((x0, x1)) = main_group(&ink, glyph) else {
        return Ok(None);
    };
    if let Some(shapes) = super::date_glyphs::read_date_glyphs(&ink, (x0, 0, x1, ink.h), glyph) {
        readings.push(shapes);
        if let Some(date) = agreed(readings) {
            return Ok(Some(date));
        }
    }
    // The divided grey of the line's main group of ink (specks beside it left out).
    let cut = image::imageops::crop_imm(divided, x0 as u32, 0, (x1 - x0) as u32, divided.height())
        .to_image();
    if let Some(dir) = std::env::var_os("NB_OCR_DUMP") {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _ = cut.save(std::path::Path::new(&dir).join(format!("date-{n:02}-divided.png")));
    }
    // The grey, then its ink at each darkness (a blurred stroke's edges are kept by the
    // lighter cuts, the seal's leftovers dropped by the darker), then the grey larger.
    let mut pictures = vec![scale_and_pad(cut.clone(), LINE_HEIGHT)];
    for &share in &INK_SHARES {
        if let Some(ink) = divided_ink(&cut, glyph, share) {
            pictures.push(ocr_crop(&ink, (0, 0, ink.w, ink.h), LINE_HEIGHT));
        }
    }
    pictures.push(scale_and_pad(cut, LINE_HEIGHT_LARGE));
    for picture in pictures {
        readings.push(read_text(engine, &picture)?);
        if let Some(date) = agreed(readings) {
            return Ok(Some(date));
        }
    }
    ocr_trace!("date line, seal divided: {readings:?}");
    Ok(None)
}

fn read_text(engine: &mut dyn OcrEngine, img: &GrayImage) -> Result<String, RecogniseError> {
    let words = engine.recognise(img, OcrMode::Chinese)?;
    Ok(join_words(&words, "").0)
}

/// The date the readings agree on, in canonical form: given by two readings at least
/// and by no fewer than twice as many as give any other date.
fn agreed(readings: &[String]) -> Option<String> {
    let dates: Vec<(i32, u32, u32)> = readings.iter().filter_map(|r| ocr_date(r)).collect();
    let (y, m, d) = super::date_fields::voted(&dates)?;
    Some(format!("{y}年{m}月{d}日"))
}

/// The grey picture of box `b` (two pixels beyond it), its contrast stretched from its
/// darkest to its lightest twentieth, brought to [`LINE_HEIGHT`] and padded.
fn grey_crop(gray: &GrayImage, (x0, y0, x1, y1): PxBox) -> Option<GrayImage> {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let (x0, y0) = (x0.saturating_sub(2), y0.saturating_sub(2));
    let (x1, y1) = ((x1 + 2).min(w), (y1 + 2).min(h));
    if x1 <= x0 + 4 || y1 <= y0 + 4 {
        return None;
    }
    let mut vals: Vec<u8> = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        for x in x0..x1 {
            vals.push(gray.get_pixel(x as u32, y as u32).0[0]);
        }
    }
    let mut sorted = vals.clone();
    sorted.sort_unstable();
    let lo = f32::from(sorted[sorted.len() / 20]);
    let hi = f32::from(sorted[sorted.len() - 1 - sorted.len() / 20]);
    if hi - lo < 20.0 {
        return None;
    }
    let cw = (x1 - x0) as u32;
    let crop = GrayImage::from_fn(cw, (y1 - y0) as u32, |x, y| {
        let v = f32::from(vals[(y * cw + x) as usize]);
        Luma([((v - lo) / (hi - lo) * 255.0).clamp(0.0, 255.0) as u8])
    });
    Some(scale_and_pad(crop, LINE_HEIGHT))
}

/// The reading `words` of `img` with every word that holds a digit read again by the
/// digits engine from its box (a little wider): the Han markers stay as chi_sim read
/// them.
fn with_digits_reread(
    img: &GrayImage,
    words: &[Word],
    engine: &mut dyn OcrEngine,
) -> Result<String, RecogniseError> {
    let mut out = String::new();
    for w in words {
        if !w.text.chars().any(|c| c.is_ascii_digit()) {
            out.push_str(&w.text);
            continue;
        }
        let [x, y, bw, bh] = w.bbox;
        let m = (bh * 0.2).max(2.0);
        let x0 = (x - m).max(0.0) as u32;
        let y0 = (y - m).max(0.0) as u32;
        let x1 = ((x + bw + m) as u32).min(img.width());
        let y1 = ((y + bh + m) as u32).min(img.height());
        if x1 <= x0 + 2 || y1 <= y0 + 2 {
            out.push_str(&w.text);
            continue;
        }
        let part = image::imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image();
        let digits = engine.recognise(&scale_and_pad(part, LINE_HEIGHT), OcrMode::Digits)?;
        let text: String = join_words(&digits, "")
            .0
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect();
        // A word that was digits and a Han marker (21日) keeps its marker.
        let han: String = w.text.chars().filter(|c| !c.is_ascii_digit()).collect();
        out.push_str(&text);
        out.push_str(&han);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_date_stands_when_two_readings_give_it_and_none_another() {
        assert_eq!(
            agreed(&s(&["2023色上月21日", "2025年1月21日", "2025年1月21日"])),
            Some("2025年1月21日".to_string())
        );
        // One reading alone, or two against one, is no agreement.
        assert_eq!(agreed(&s(&["2025年1月21日", "2023色上月21日"])), None);
        assert_eq!(
            agreed(&s(&["2025年1月21日", "2023年1月21日", "2025年1月21日"])),
            None
        );
        // The Chinese-numeral and the digit forms of one date agree.
        assert_eq!(
            agreed(&s(&["二〇二一年一月十三日", "2021年1月13日"])),
            Some("2021年1月13日".to_string())
        );
    }

    #[test]
    fn date_like_lines() {
        assert!(is_date_like("2023色上月21日"));
        assert!(is_date_like("二OO了-年雪:上-日"));
        assert!(!is_date_like("武汉市江汉区教育和体育局"));
        assert!(!is_date_like("2024年，我单位无收取信息处理费情况。"));
    }
}
