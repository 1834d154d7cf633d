//! OCR engine abstraction and the Tesseract implementation.
//!
//! The pipeline talks to OCR only through [`OcrEngine`]: a greyscale image in, words with
//! boxes and confidences out, so the engine can change (or be faked in tests).
//!
//! [`TesseractEngine`] drives the system libtesseract through `tesseract-sys` (the C API):
//! the safe `tesseract` crate consumes its handle on every call and has no word iterator,
//! so it cannot be reused per cell nor give word confidences. Two handles are kept: one
//! `eng` handle with a digits whitelist in single-line mode, and one `chi_sim` handle
//! (created on first use) for labels and text lines. Create one engine per worker thread
//! and reuse it: initialisation costs tens of milliseconds, a recognition call a few.

use image::GrayImage;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::raw::c_int;
use tesseract::plumbing::tesseract_sys as sys;

/// What a crop holds, which picks the engine configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OcrMode {
    /// Numbers: whitelist `0123456789.-/`, one text line.
    Digits,
    /// Labels and text lines in Chinese (chi_sim), one text line.
    Chinese,
    /// Chinese text block of several lines (scanned-page paragraphs).
    ChineseBlock,
}

/// One recognised word; `bbox` is (x, y, w, h) in the pixels of the image passed in.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub bbox: [f32; 4],
    /// 0..1
    pub confidence: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error(
        "tesseract could not start with language '{0}': install tesseract-ocr, \
         tesseract-ocr-chi-sim and libtesseract5 (scripts/setup.sh does)"
    )]
    Init(String),
    #[error("tesseract recognition failed")]
    Recognise,
    #[error("image too large for OCR: {0}x{1}")]
    ImageTooLarge(u32, u32),
}

/// OCR engine abstraction: words with boxes and confidences, so the engine can change.
pub trait OcrEngine {
    fn recognise(&mut self, img: &GrayImage, mode: OcrMode) -> Result<Vec<Word>, OcrError>;
}

/// One libtesseract handle.
struct Api {
    ptr: *mut sys::TessBaseAPI,
}

impl Api {
    fn new(lang: &str, vars: &[(&str, &str)]) -> Result<Api, OcrError> {
        let c_lang = CString::new(lang).map_err(|_| OcrError::Init(lang.to_string()))?;
        // Tesseract prints diagnostics ("Line cannot be recognized!!") to stderr, which
        // would break a run's progress display: send them nowhere.
        let vars: Vec<(&str, &str)> = [("debug_file", "/dev/null")]
            .into_iter()
            .chain(vars.iter().copied())
            .collect();
        let vars = vars.as_slice();
        // SAFETY: TessBaseAPICreate returns a fresh handle owned by `Api` (deleted in Drop).
        let ptr = unsafe { sys::TessBaseAPICreate() };
        if ptr.is_null() {
            return Err(OcrError::Init(lang.to_string()));
        }
        let api = Api { ptr };
        // Init-time variables (dictionaries) must be passed to Init4; others are set after.
        let keys: Vec<CString> = vars
            .iter()
            .filter_map(|(k, _)| CString::new(*k).ok())
            .collect();
        let vals: Vec<CString> = vars
            .iter()
            .filter_map(|(_, v)| CString::new(*v).ok())
            .collect();
        if keys.len() != vars.len() || vals.len() != vars.len() {
            return Err(OcrError::Init(lang.to_string()));
        }
        let mut kp: Vec<*mut std::os::raw::c_char> =
            keys.iter().map(|k| k.as_ptr() as *mut _).collect();
        let mut vp: Vec<*mut std::os::raw::c_char> =
            vals.iter().map(|v| v.as_ptr() as *mut _).collect();
        // SAFETY: valid handle; all strings are NUL-terminated and outlive the call;
        // tesseract only reads the arrays.
        let rc = unsafe {
            sys::TessBaseAPIInit4(
                api.ptr,
                std::ptr::null(),
                c_lang.as_ptr(),
                sys::TessOcrEngineMode_OEM_LSTM_ONLY,
                std::ptr::null_mut(),
                0,
                kp.as_mut_ptr(),
                vp.as_mut_ptr(),
                kp.len(),
                0,
            )
        };
        if rc != 0 {
            return Err(OcrError::Init(lang.to_string()));
        }
        Ok(api)
    }

    fn set_psm(&self, psm: sys::TessPageSegMode) {
        // SAFETY: valid handle.
        unsafe { sys::TessBaseAPISetPageSegMode(self.ptr, psm) }
    }

    /// Recognises `img` and returns its words.
    fn words(&mut self, img: &GrayImage) -> Result<Vec<Word>, OcrError> {
        let (w, h) = img.dimensions();
        if w == 0 || h == 0 {
            return Ok(Vec::new());
        }
        if w > 30_000 || h > 30_000 {
            return Err(OcrError::ImageTooLarge(w, h));
        }
        let data = img.as_raw();
        let mut out = Vec::new();
        // SAFETY: `data` holds exactly w*h bytes (1 byte per pixel, stride w) and outlives
        // the recognition; tesseract copies the image into its own Pix in SetImage.
        unsafe {
            sys::TessBaseAPISetImage(
                self.ptr,
                data.as_ptr(),
                w as c_int,
                h as c_int,
                1,
                w as c_int,
            );
            sys::TessBaseAPISetSourceResolution(self.ptr, 300);
            if sys::TessBaseAPIRecognize(self.ptr, std::ptr::null_mut()) != 0 {
                sys::TessBaseAPIClear(self.ptr);
                return Err(OcrError::Recognise);
            }
            let it = sys::TessBaseAPIGetIterator(self.ptr);
            if !it.is_null() {
                let level = sys::TessPageIteratorLevel_RIL_WORD;
                loop {
                    let txt = sys::TessResultIteratorGetUTF8Text(it, level);
                    if !txt.is_null() {
                        let text = CStr::from_ptr(txt).to_string_lossy().into_owned();
                        sys::TessDeleteText(txt);
                        let conf = sys::TessResultIteratorConfidence(it, level);
                        let pit = sys::TessResultIteratorGetPageIteratorConst(it);
                        let (mut l, mut t, mut r, mut b) = (0, 0, 0, 0);
                        sys::TessPageIteratorBoundingBox(
                            pit, level, &mut l, &mut t, &mut r, &mut b,
                        );
                        let text = text.trim().to_string();
                        if !text.is_empty() {
                            out.push(Word {
                                text,
                                bbox: [l as f32, t as f32, (r - l) as f32, (b - t) as f32],
                                confidence: (conf / 100.0).clamp(0.0, 1.0),
                            });
                        }
                    }
                    if sys::TessResultIteratorNext(it, level) == 0 {
                        break;
                    }
                }
                sys::TessResultIteratorDelete(it);
            }
            sys::TessBaseAPIClear(self.ptr);
        }
        Ok(out)
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        // SAFETY: the handle was created by TessBaseAPICreate and is deleted once.
        unsafe {
            sys::TessBaseAPIEnd(self.ptr);
            sys::TessBaseAPIDelete(self.ptr);
        }
    }
}

/// Tesseract: `eng` with a digits whitelist for numbers, `chi_sim` for labels.
/// Not `Send`: create one per worker thread and reuse it.
pub struct TesseractEngine {
    digits: Api,
    chinese: Option<Api>,
    chinese_psm: sys::TessPageSegMode,
    read: ReadCache,
}

/// The words of the crops read lately, by mode and pixels. A cell is read again from
/// the very crop an earlier pass read (a number retried where numbers belong, a check
/// that rebuilds the first read's crop), and tesseract's LSTM reads the same pixels the
/// same way every time: the second read is a look-up, not a recognition.
#[derive(Default)]
struct ReadCache {
    /// By mode, size and a hash of the pixels: the pixels (compared on a hit) and words.
    words: HashMap<CropKey, (Vec<u8>, Vec<Word>)>,
    /// Pixels held, to keep the cache a few megabytes.
    bytes: usize,
}

/// A crop's mode, width, height and a hash of its pixels.
type CropKey = (OcrMode, u32, u32, u64);

/// Most crop pixels the cache holds before it starts again (a table's cells are a few
/// hundred crops of a few kilobytes).
const READ_CACHE_BYTES: usize = 8 << 20;

impl ReadCache {
    fn key(img: &GrayImage, mode: OcrMode) -> CropKey {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        img.as_raw().hash(&mut h);
        (mode, img.width(), img.height(), h.finish())
    }

    fn get(&self, img: &GrayImage, mode: OcrMode) -> Option<&Vec<Word>> {
        self.words
            .get(&Self::key(img, mode))
            .filter(|(px, _)| px == img.as_raw())
            .map(|(_, words)| words)
    }

    fn put(&mut self, img: &GrayImage, mode: OcrMode, words: &[Word]) {
        let n = img.as_raw().len();
        if n > READ_CACHE_BYTES / 8 {
            return;
        }
        if self.bytes + n > READ_CACHE_BYTES {
            self.words.clear();
            self.bytes = 0;
        }
        let value = (img.as_raw().clone(), words.to_vec());
        if let Some((old, _)) = self.words.insert(Self::key(img, mode), value) {
            self.bytes -= old.len();
        }
        self.bytes += n;
    }
}

impl TesseractEngine {
    /// Initialises the digits handle now; the chi_sim handle is created on first use.
    pub fn new() -> Result<TesseractEngine, OcrError> {
        let digits = Api::new(
            "eng",
            &[
                ("tessedit_char_whitelist", "0123456789.-/"),
                ("load_system_dawg", "0"),
                ("load_freq_dawg", "0"),
                ("classify_bln_numeric_mode", "1"),
            ],
        )?;
        digits.set_psm(sys::TessPageSegMode_PSM_SINGLE_LINE);
        Ok(TesseractEngine {
            digits,
            chinese: None,
            chinese_psm: sys::TessPageSegMode_PSM_SINGLE_LINE,
            read: ReadCache::default(),
        })
    }

    fn chinese(&mut self, psm: sys::TessPageSegMode) -> Result<&mut Api, OcrError> {
        if self.chinese.is_none() {
            let api = Api::new(
                "chi_sim",
                &[
                    ("load_system_dawg", "0"),
                    ("load_freq_dawg", "0"),
                    ("preserve_interword_spaces", "1"),
                ],
            )?;
            api.set_psm(psm);
            self.chinese_psm = psm;
            self.chinese = Some(api);
        }
        match self.chinese.as_mut() {
            Some(api) => {
                if self.chinese_psm != psm {
                    api.set_psm(psm);
                    self.chinese_psm = psm;
                }
                Ok(api)
            }
            None => Err(OcrError::Init("chi_sim".into())),
        }
    }
}

impl OcrEngine for TesseractEngine {
    fn recognise(&mut self, img: &GrayImage, mode: OcrMode) -> Result<Vec<Word>, OcrError> {
        let t0 = std::time::Instant::now();
        let cached = self.read.get(img, mode).cloned();
        let hit = cached.is_some();
        let r = match cached {
            Some(words) => Ok(words),
            None => self.recognise_inner(img, mode),
        };
        if let (false, Ok(words)) = (hit, &r) {
            self.read.put(img, mode, words);
        }
        if super::tracing() {
            let txt: String = r
                .as_ref()
                .map(|w| {
                    w.iter()
                        .map(|w| w.text.as_str())
                        .collect::<Vec<_>>()
                        .join("")
                })
                .unwrap_or_default();
            ocr_trace!(
                "{mode:?} {}x{} {:?}{} {txt}",
                img.width(),
                img.height(),
                t0.elapsed(),
                if hit { " (read before)" } else { "" }
            );
        }
        r
    }
}

impl TesseractEngine {
    fn recognise_inner(&mut self, img: &GrayImage, mode: OcrMode) -> Result<Vec<Word>, OcrError> {
        match mode {
            OcrMode::Digits => self.digits.words(img),
            OcrMode::Chinese => self
                .chinese(sys::TessPageSegMode_PSM_SINGLE_LINE)?
                .words(img),
            OcrMode::ChineseBlock => self
                .chinese(sys::TessPageSegMode_PSM_SINGLE_BLOCK)?
                .words(img),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    fn word(text: &str) -> Word {
        Word {
            text: text.to_string(),
            bbox: [1.0, 2.0, 3.0, 4.0],
            confidence: 0.9,
        }
    }

    #[test]
    fn read_cache_knows_a_crop_by_its_mode_and_pixels() {
        let mut cache = ReadCache::default();
        let a = GrayImage::from_pixel(30, 20, Luma([255]));
        let mut b = a.clone();
        b.put_pixel(3, 4, Luma([0]));
        cache.put(&a, OcrMode::Digits, &[word("7")]);
        assert_eq!(cache.get(&a, OcrMode::Digits), Some(&vec![word("7")]));
        // One pixel, another mode or another shape of the same pixels: not read yet.
        assert_eq!(cache.get(&b, OcrMode::Digits), None);
        assert_eq!(cache.get(&a, OcrMode::Chinese), None);
        let c = GrayImage::from_pixel(20, 30, Luma([255]));
        assert_eq!(cache.get(&c, OcrMode::Digits), None);
        // It stays within its budget: when full, it starts again.
        let big = GrayImage::from_pixel(1000, 1000, Luma([255]));
        for k in 0..20u8 {
            let mut img = big.clone();
            img.put_pixel(0, 0, Luma([k]));
            cache.put(&img, OcrMode::Digits, &[]);
            assert!(cache.bytes <= READ_CACHE_BYTES);
        }
    }
}
