//! Reading one cell with OCR: the digits engine on the cleaned crops, a number confirmed
//! by independent reads, text read by chi_sim.

use super::cells::{
    count_lines, glyph_count, glyph_count_joined, glyph_parts_joined, gray_crop, gray_text_crop,
    is_dash_bar, ocr_crop, widest_glyph,
};
use super::digits::{one_is_broken_digit, DigitModel};
use super::engine::{OcrEngine, OcrMode, Word};
use super::prep::Bin;
use super::recognise::{PxBox, RecogniseError, LOW_CONFIDENCE};
use image::GrayImage;

/// Joins words into a cell text and its confidence (the lowest word confidence).
pub fn join_words(words: &[Word], sep: &str) -> (String, f32) {
    let text = words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(sep);
    let conf = words.iter().map(|w| w.confidence).fold(1.0f32, f32::min);
    (text, if words.is_empty() { 0.0 } else { conf })
}

/// How sure chi_sim is of a text as a whole: its words' confidence, weighted by their
/// length. ([`join_words`] gives the least, which one stray word brings to nothing.)
fn text_confidence(words: &[Word]) -> f32 {
    let (sum, n) = words.iter().fold((0.0, 0usize), |(s, n), w| {
        let k = w.text.chars().count();
        (s + w.confidence * k as f32, n + k)
    });
    if n == 0 {
        0.0
    } else {
        sum / n as f32
    }
}

/// True when a digits-mode reading looks like a number (not a forced reading of CJK).
pub fn looks_numeric(text: &str, conf: f32) -> bool {
    conf >= 0.5 && number_like(text)
}

/// Digits, with the dots, dashes and slashes numbers are printed with.
pub(crate) fn number_like(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '/'))
}

/// Confidence of a dash read from its shape alone: a solid bar is a bar.
pub(crate) const DASH_CONFIDENCE: f32 = 0.9;

/// The readings of one cell crop.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reading {
    pub(crate) digits: (String, f32),
    /// Whether the digits engine read the crop at all (text-shaped crops skip it).
    pub(crate) tried_digits: bool,
    /// The grey crop gave no digits and the binary crops were not read yet.
    pub(crate) empty_grey: bool,
    pub(crate) numeric: bool,
    /// The number was seen by two independent reads (two crops, two scales, or two
    /// cells of the same rendering), or is a dash read from its shape.
    pub(crate) confirmed: bool,
    /// The number is our classifier's, where the engine read nothing: it goes out only
    /// when the engine, reading other crops, sees it too ([`engine_confirms`]).
    pub(crate) by_classifier: bool,
    pub(crate) chinese: Option<(String, f32)>,
    /// Other numbers the digits engine read in this crop (the grey and the binary ink
    /// can disagree: a blurred 5 whose faint top bar the binarisation lost reads 3).
    pub(crate) also_read: Vec<String>,
}

impl Reading {
    pub(crate) fn best(&self) -> (String, f32) {
        match (&self.chinese, self.numeric) {
            (Some(c), false) => c.clone(),
            _ => self.digits.clone(),
        }
    }
}

/// True when the words read cover the crop's ink and their count fits its width: a
/// digits-mode reading that dropped CJK glyphs (e.g. "2." of "2.其他法律…") fails.
pub(crate) fn digits_fit(
    words: &[Word],
    text: &str,
    crop_ink: (f32, f32),
    box_w: f32,
    box_h: f32,
    lines: usize,
) -> bool {
    let (l, r) = words.iter().fold((f32::MAX, 0f32), |(l, r), w| {
        (l.min(w.bbox[0]), r.max(w.bbox[0] + w.bbox[2]))
    });
    let covered = if r > l {
        (r - l) / (crop_ink.1 - crop_ink.0).max(1.0)
    } else {
        0.0
    };
    covered >= 0.5 && width_fits(text, box_w, box_h, lines) && lines == 1
}

/// True when a box is no wider than `text`'s characters can be: a digit is at most
/// ~0.75 of the line height wide ('.' and '1' less).
fn width_fits(text: &str, box_w: f32, box_h: f32, lines: usize) -> bool {
    let n = text.chars().count() as f32;
    let line_h = box_h / lines.max(1) as f32;
    box_w <= line_h * (0.8 * n + 0.6)
}

/// Reads one crop with the digits engine: the grey crop, then when doubtful the binary
/// one at two scales, keeping the most confident number. Not a number: see [`read_text`].
/// `retry_empty`: read the binary crops too when the grey one gave no digits at all.
/// Most such crops are labels (the digits engine sees nothing in 规章), so the first
/// pass over a grid leaves them for [`ocr_grid`] to retry where numbers belong.
/// The sizes a table's cells are judged by: its median row height, and the glyph
/// height of its picture at the working scale.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CellSizes {
    pub(crate) row_h: usize,
    pub(crate) glyph: f32,
}

pub(crate) fn read_cell(
    gray: &GrayImage,
    bin: &Bin,
    b: (usize, usize, usize, usize),
    sizes: CellSizes,
    engine: &mut dyn OcrEngine,
    force_digits: bool,
    retry_empty: bool,
) -> Result<Reading, RecogniseError> {
    if is_dash_bar(bin, b, sizes.row_h) {
        return Ok(Reading {
            digits: ("-".to_string(), DASH_CONFIDENCE),
            tried_digits: true,
            numeric: true,
            confirmed: true,
            ..Reading::default()
        });
    }
    let target = 36.0;
    let (bw, bh) = ((b.2 - b.0) as f32, (b.3 - b.1) as f32);
    let lines = count_lines(bin, b, sizes.glyph);
    // Word boxes of every reading are mapped onto the first crop's scale for the fit test.
    let scale_of = |t: f32| (t / bh.max(1.0)).clamp(1.0, 4.0);
    let pad_of = |t: f32| ((bh * scale_of(t)).round() as u32 / 2).max(10) as f32;
    let (scale, pad) = (scale_of(target), pad_of(target));
    let ink = (pad, pad + bw * scale);
    // Numbers in these tables are single lines of at most ~8 characters (an amount
    // such as 222.49 is 4.7 times as wide as high): a wider or multi-line cell is text,
    // read by chi_sim without trying digits first. So is a
    // line with a glyph as wide as it is high: a digit is at most ~0.8 of its height
    // (a dash is wider, but not a line's height: boxes under 10 px are not judged).
    let square_glyph = bh >= 10.0 && widest_glyph(bin, b) > 0.9;
    let maybe_number = force_digits || (lines == 1 && bw <= bh * 6.0 && !square_glyph);
    let attempts: &[(bool, f32)] = if maybe_number {
        &[(true, target), (false, target), (false, 56.0)]
    } else {
        &[]
    };
    let mut best: Option<(Vec<Word>, String, f32)> = None;
    let mut also_read: Vec<String> = Vec::new();
    let mut rd_empty_grey = false;
    for (k, &(grey, t)) in attempts.iter().enumerate() {
        if k > 0 {
            // Read again only a doubtful number, not text the digits engine garbled.
            let doubtful_number = best.as_ref().is_some_and(|(_, t, c)| {
                *c < 0.8 && ((t.is_empty() && retry_empty) || number_like(t))
            });
            if !doubtful_number {
                rd_empty_grey = best.as_ref().is_some_and(|(_, t, _)| t.is_empty());
                break;
            }
        }
        let crop = if grey {
            gray_crop(gray, bin, b, t)
        } else {
            ocr_crop(bin, b, t)
        };
        let words = engine.recognise(&crop, OcrMode::Digits)?;
        let (text, conf) = join_words(&words, "");
        if number_like(&text) && !also_read.contains(&text) {
            also_read.push(text.clone());
        }
        let better = match &best {
            None => true,
            Some((_, bt, bc)) => {
                looks_numeric(&text, conf) && (conf > *bc || !looks_numeric(bt, *bc))
            }
        };
        if better {
            let (s2, p2) = (scale_of(t), pad_of(t));
            let words = words
                .into_iter()
                .map(|mut w| {
                    w.bbox[0] = (w.bbox[0] - p2) / s2 * scale + pad;
                    w.bbox[2] = w.bbox[2] / s2 * scale;
                    w
                })
                .collect();
            best = Some((words, text, conf));
        }
    }
    let (words, text, conf) = best.unwrap_or_default();
    let (text, conf) = trim_stray_marks(text, conf);
    also_read.retain(|n| *n != text);
    let mut rd = Reading {
        digits: (text.clone(), conf),
        tried_digits: maybe_number,
        empty_grey: rd_empty_grey,
        also_read,
        ..Reading::default()
    };
    // The engine's word box can be a blurred glyph's core, half its width; a reading
    // with one digit per glyph of the crop dropped nothing either.
    let one_per_glyph = || {
        let digits = text.chars().filter(|c| c.is_ascii_digit()).count();
        lines == 1 && glyph_count(bin, b).0 == digits && width_fits(&text, bw, bh, lines)
    };
    if looks_numeric(&text, conf)
        && (digits_fit(&words, &text, ink, bw, bh, lines) || one_per_glyph())
    {
        rd.numeric = true;
    }
    Ok(rd)
}

/// What the reads of a number cell agreed on, and every number they saw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Confirmation {
    /// The number two of the reads agree on.
    pub(crate) number: Option<String>,
    /// The distinct numbers read, the first read's first.
    pub(crate) reads: Vec<String>,
}

/// Reads a number cell again, from crops unlike the first read's (the binary ink at
/// another size, the grey at a third), and with our own digit classifier, which matches
/// glyph shapes and shares nothing with the engine but the ink. The number is what two
/// independent reads agree on, unless the classifier clearly reads another: then the
/// cell is doubtful, with every reading a candidate (`None` when no two agree).
/// `also_read`: the other numbers the first read's crops gave ([`Reading::also_read`]).
/// Such a disagreement of the engine with itself is settled only by the classifier
/// reading the first read's number; otherwise each is a candidate. So is a "1" that is
/// the stem of a broken digit ([`one_is_broken_digit`]) or an arc of a broken 0.
pub(crate) fn confirm_number(
    gray: &GrayImage,
    bin: &Bin,
    b: PxBox,
    engine: &mut dyn OcrEngine,
    first: &str,
    also_read: &[String],
) -> Result<Confirmation, RecogniseError> {
    let mut read = |crop: GrayImage| -> Result<Option<String>, RecogniseError> {
        let (text, conf) = join_words(&engine.recognise(&crop, OcrMode::Digits)?, "");
        let (text, _) = trim_stray_marks(text, conf);
        Ok(number_like(&text).then_some(text))
    };
    // Each digit is a glyph of its own (touching ones may be one): a reading with
    // fewer digits than the crop has glyphs dropped one ("11" read as "1").
    // A bar before them is a minus sign (table 二's change column), which the engine
    // drops from "-2" as easily as it reads it.
    let (glyphs, minus) = glyph_count_joined(gray, bin, b);
    let whole = |n: &str| {
        n.chars().filter(|c| c.is_ascii_digit()).count().max(1) >= glyphs
            && (!minus || n.starts_with('-'))
    };
    let mut reads = vec![first.to_string()];
    let seen = |n: &Option<String>, reads: &mut Vec<String>| {
        if let Some(n) = n.as_ref().filter(|n| !reads.contains(n)) {
            reads.push(n.clone());
        }
    };
    // The classifier reads only whole numbers of clear digits (no sign, no point): a
    // minus before them is the engine's to see.
    let own = if minus {
        None
    } else {
        DigitModel::builtin().and_then(|m| m.read_number_checked(gray, bin, b))
    };
    if !whole(first) {
        ocr_trace!("confirm {first} in {b:?}: {glyphs} glyphs (minus {minus}), a digit dropped");
        // The engine dropped a digit; what the classifier read is a candidate only.
        let reads = own.into_iter().filter(|n| whole(n)).collect();
        return Ok(Confirmation {
            number: None,
            reads,
        });
    }
    // Readings the first read's other crops gave, whole ones only (a digit dropped by
    // one crop is no disagreement about the number).
    let disagreed: Vec<String> = also_read
        .iter()
        .filter(|n| whole(n) && n.as_str() != first)
        .cloned()
        .collect();
    if own.as_deref() == Some(first) {
        return Ok(Confirmation {
            number: Some(first.to_string()),
            reads,
        });
    }
    seen(&own, &mut reads);
    for n in &disagreed {
        seen(&Some(n.clone()), &mut reads);
    }
    let second = read(ocr_crop(bin, b, 46.0))?;
    seen(&second, &mut reads);
    let contradicted = |n: &str| own.as_deref().is_some_and(|o| o != n);
    let number = if second.as_deref() == Some(first) {
        Some(first.to_string())
    } else {
        let third = read(gray_crop(gray, bin, b, 28.0))?;
        seen(&third, &mut reads);
        let by_own = own
            .as_ref()
            .filter(|o| second.as_ref() == Some(*o) || third.as_ref() == Some(*o));
        match (second, third) {
            (_, Some(t)) if t == first => Some(t),
            (Some(s), Some(t)) if s == t && whole(&s) => Some(s),
            _ => by_own.cloned(),
        }
    };
    // Two reads of the engine that agree against a clear reading of the classifier are
    // no number: one of two ways of reading is wrong, and nothing says which.
    let number = number.filter(|n| !contradicted(n));
    // The engine read another number in another crop of the first read, and the
    // classifier did not read `first` (that returned above): no number.
    let number = number.filter(|n| disagreed.iter().all(|d| d == n));
    // A glyph the grey joined from two arcs is a 0 the binarisation broke: a "1" read
    // there is one of its arcs.
    let on_joined_arcs = |n: &str| {
        glyph_parts_joined(gray, bin, b).is_some_and(|parts| {
            let digits: Vec<char> = n.chars().filter(|c| c.is_ascii_digit()).collect();
            digits.len() == parts.len()
                && digits.iter().zip(&parts).any(|(&d, &p)| d == '1' && p > 1)
        })
    };
    let number = number.filter(|n| !one_is_broken_digit(gray, bin, b, n) && !on_joined_arcs(n));
    ocr_trace!(
        "confirm {first} in {b:?}: {glyphs} glyphs, reads {reads:?} (also {also_read:?}) -> {number:?}"
    );
    // A reading with a digit too few is no candidate either.
    reads.retain(|n| whole(n));
    Ok(Confirmation { number, reads })
}

/// Confirms a number our classifier read where the engine's first reads saw nothing:
/// the engine reads the binary ink at another size and the grey at a third, and the
/// number stands when one of them is `own`. Otherwise every number seen is a candidate.
pub(crate) fn engine_confirms(
    gray: &GrayImage,
    bin: &Bin,
    b: PxBox,
    engine: &mut dyn OcrEngine,
    own: &str,
) -> Result<Confirmation, RecogniseError> {
    let mut reads = vec![own.to_string()];
    for crop in [ocr_crop(bin, b, 46.0), gray_crop(gray, bin, b, 28.0)] {
        let (text, conf) = join_words(&engine.recognise(&crop, OcrMode::Digits)?, "");
        let (text, _) = trim_stray_marks(text, conf);
        if text == own {
            return Ok(Confirmation {
                number: Some(text),
                reads: Vec::new(),
            });
        }
        if number_like(&text) && !reads.contains(&text) {
            reads.push(text);
        }
    }
    Ok(Confirmation {
        number: None,
        reads,
    })
}

/// Reads a crop that is not a number with chi_sim (labels, headers), unless the digits
/// engine's number is what chi_sim sees too, with dashes beside it.
pub(crate) fn read_text(
    rd: &mut Reading,
    gray: &GrayImage,
    bin: &Bin,
    b: (usize, usize, usize, usize),
    engine: &mut dyn OcrEngine,
) -> Result<(), RecogniseError> {
    let crop = ocr_crop(bin, b, 36.0);
    let words = engine.recognise(&crop, OcrMode::ChineseBlock)?;
    let (mut zh, mut zh_conf) = join_words(&words, "");
    // Small or blurred ideographs binarise into blobs that chi_sim barely reads (an
    // 84-dpi JPEG's 本年新收政府信息公开申请数量 as 率证晰收瑟村全下公开外清加关, at a
    // seventh of full confidence); their grey keeps the strokes apart. The surer
    // reading of the two stands.
    let sureness = text_confidence(&words);
    if sureness < LOW_CONFIDENCE {
        let grey = engine.recognise(&gray_text_crop(gray, b, 36.0), OcrMode::ChineseBlock)?;
        let grey_sureness = text_confidence(&grey);
        ocr_trace!(
            "text {zh:?} ({sureness:.2}), in the grey {:?} ({grey_sureness:.2})",
            join_words(&grey, "").0
        );
        if grey_sureness > sureness {
            (zh, zh_conf) = join_words(&grey, "");
        }
    }
    // The digits engine dropped what chi_sim sees as dashes beside the number ("-0",
    // "0—": a fragment of a ruling line): both agree on the digits, so it is the number,
    // marked doubtful.
    let (text, conf) = rd.digits.clone();
    let digits_only: String = zh.chars().filter(|c| !is_dash(*c)).collect();
    if looks_numeric(&text, conf) && digits_only == text && digits_only.len() < zh.len() {
        rd.numeric = true;
        rd.digits.1 = conf.min(zh_conf).min(LOW_CONFIDENCE - 0.05);
        return Ok(());
    }
    rd.chinese = Some((zh, zh_conf));
    Ok(())
}

/// A dash after the digits ("12-"), or before a zero ("-0"), is a fragment of a ruling
/// line, not part of the number (a change column of table 二 can be negative, "-1", and
/// keeps its sign). A point after the digits ("0.") is a speck: no number is printed
/// ending in its decimal point (a "0.5" whose 5 was lost still shows the 5's glyph, and
/// the glyph count catches it). Either is dropped, and the reading marked doubtful.
pub(crate) fn trim_stray_marks(text: String, conf: f32) -> (String, f32) {
    let mut trimmed = text.trim_end_matches(['-', '.']);
    let unsigned = trimmed.trim_start_matches('-');
    if !unsigned.is_empty() && unsigned.chars().all(|c| c == '0') {
        trimmed = unsigned;
    }
    if trimmed.len() == text.len() || !trimmed.chars().any(|c| c.is_ascii_digit()) {
        return (text, conf);
    }
    (trimmed.to_string(), conf.min(LOW_CONFIDENCE - 0.05))
}

pub(crate) fn is_dash(c: char) -> bool {
    matches!(c, '-' | '—' | '–' | '－' | '一' | '_' | '~' | '|')
}

pub(crate) use crate::text::han_count;
