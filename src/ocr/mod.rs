//! Tables in pictures (issue #3): picture → clean binary image → ruling-line grid →
//! per-cell OCR → the same [`Table`](crate::document::Table) grid a DOCX table gives.
//!
//! - [`prep`]: bounded decoding, red-seal suppression, Sauvola binarisation, skew.
//! - [`scale`]: the picture's glyph height measured from its ink, and the resampling to
//!   one working scale, so every later pixel size is a fraction of a glyph.
//! - [`grid`]: ruling lines by long runs, intersections, merged cells from missing lines.
//! - [`cells`]: one cell's ink (stubs and specks dropped), its OCR crops and shape.
//! - [`read`]: one cell read by OCR; a number goes out only when independent reads agree.
//! - [`engine`]: the OCR trait (words with boxes and confidences) and libtesseract.
//! - [`seal`]: round seals found by their ring, so a grey seal draws no table lines.
//! - [`lines`]: the text lines outside the tables (title, agency, date).
//! - [`recognise`]: the whole way from picture bytes to blocks, and the grid walk.
//!
//! `NB_OCR_DUMP=DIR` writes each working picture and its binarisation with the grids
//! drawn in red to `DIR` (a debugging aid).
//!
//! `NB_OCR_TRACE=1` (or `RUST_LOG=nianbao::ocr=trace`) logs every OCR call (mode, crop
//! size, time, text) and the timing of each step, through `tracing` with target
//! `nianbao::ocr` (debug: steps, trace: calls and cells).

/// A log line of the picture reader's steps (target `nianbao::ocr`, debug).
macro_rules! ocr_debug {
    ($($t:tt)*) => { ::tracing::debug!(target: "nianbao::ocr", $($t)*) };
}
/// A log line per OCR call or cell (target `nianbao::ocr`, trace).
macro_rules! ocr_trace {
    ($($t:tt)*) => { ::tracing::trace!(target: "nianbao::ocr", $($t)*) };
}

pub mod cells;
mod dark_core;
mod date_fields;
mod date_glyphs;
mod date_line;
mod date_seal;
pub mod digits;
pub mod engine;
mod faint_ink;
pub mod grid;
mod grid_faint_rulings;
mod grid_glyph_strokes;
mod grid_readings;
mod grid_seal;
pub mod lines;
mod place_glyphs;
mod place_text;
pub mod prep;
pub mod read;
pub mod recognise;
mod resize;
pub mod scale;
pub mod seal;
mod seal_text;

pub use date_fields::date_by_fields;
pub use engine::{OcrEngine, OcrError, OcrMode, TesseractEngine, Word};
pub use recognise::{recognise_picture, LineSelection, RecogniseError, LOW_CONFIDENCE};

use crate::document::{Block, Document};
use crate::template::Templates;
use serde::Deserialize;

/// Whether the `nianbao::ocr` log target is on (`NB_OCR_TRACE=1`, `RUST_LOG`): OCR calls
/// and step timings are logged.
pub(crate) fn tracing() -> bool {
    ::tracing::enabled!(target: "nianbao::ocr", ::tracing::Level::DEBUG)
}

/// How much of a scanned page's running text (outside its tables) is read. Chinese OCR
/// costs about 7 ms per character: a page of text takes seconds, its tables much less.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PageText {
    /// The first page's lines down to the end of the title, the last page's up to the
    /// agency above the date: title, agency, year and date (the record's metadata).
    #[default]
    Edges,
    /// Every line: also the sections and the numbers the text states (slow).
    All,
    /// No running text: tables only.
    None,
}

/// Most lines read at each end in [`PageText::Edges`]: a title may wrap over three
/// lines, and the agency and the date close the report, sometimes above a page number.
const EDGE_LINES: usize = 4;

/// Replaces every picture block of `doc` by what recognition finds in it: its table
/// grids, and for scanned pages and picture-only documents also the text lines outside
/// the tables. A picture that cannot be read is dropped and named in `doc.problems`; a
/// picture without a table (a logo, a photo) is dropped silently. Returns the number of
/// pictures that held at least one table.
pub fn recognise_document(
    doc: &mut Document,
    engine: &mut dyn OcrEngine,
    page_text: PageText,
    layouts: &[Vec<usize>],
) -> usize {
    if doc.pictures().next().is_none() {
        return 0;
    }
    let picture_only = doc
        .blocks
        .iter()
        .all(|b| matches!(b, Block::Picture(_)) || b.text().is_some_and(|t| t.trim().is_empty()));
    let wants_text = |b: &Block| matches!(b, Block::Picture(p) if picture_only || p.whole_page);
    let first = doc.blocks.iter().position(wants_text);
    let last = doc.blocks.iter().rposition(wants_text);
    let mut with_tables = 0;
    let blocks = std::mem::take(&mut doc.blocks);
    for (i, block) in blocks.into_iter().enumerate() {
        let Block::Picture(pic) = block else {
            doc.blocks.push(block);
            continue;
        };
        let name = pic
            .name
            .clone()
            .unwrap_or_else(|| "the picture".to_string());
        if pic.bytes.is_empty() {
            doc.problems.push(format!(
                "{name}: its image data is in an encoding this version cannot read, so it was not recognised"
            ));
            continue;
        }
        let lines = match page_text {
            _ if !(picture_only || pic.whole_page) => LineSelection::NONE,
            PageText::All => LineSelection::ALL,
            PageText::None => LineSelection::NONE,
            PageText::Edges => LineSelection {
                head: if Some(i) == first { EDGE_LINES } else { 0 },
                tail: if Some(i) == last { EDGE_LINES } else { 0 },
                all: false,
            },
        };
        let outcome = crate::extract::guarded("recognising a picture", || {
            recognise_picture(&pic.bytes, pic.dpi, engine, lines, layouts)
        });
        match outcome {
            Ok(Ok(found)) => {
                let mut any_table = false;
                for mut b in found {
                    match &mut b {
                        Block::Table(t) => {
                            t.page = pic.page;
                            any_table = true;
                        }
                        Block::Paragraph(_) => doc.ocr_text = true,
                        _ => {}
                    }
                    doc.blocks.push(b);
                }
                with_tables += usize::from(any_table);
            }
            Ok(Err(e)) => doc.problems.push(format!("{name}: not recognised: {e}")),
            Err(panic) => doc.problems.push(format!("{name}: {panic}")),
        }
    }
    with_tables
}

/// One worker's OCR engine, started on the first picture it meets: documents without
/// pictures never pay for it, and a worker reuses it for every later document. When it
/// cannot start (tesseract or its chi_sim data missing), each document's pictures are
/// reported with the reason instead.
pub struct LazyEngine {
    state: Option<Result<TesseractEngine, String>>,
    page_text: PageText,
    /// Table shapes whose row labels need not be read ([`Templates::row_layouts`]).
    layouts: Vec<Vec<usize>>,
}

impl Default for LazyEngine {
    fn default() -> LazyEngine {
        LazyEngine::new()
    }
}

impl LazyEngine {
    /// For the built-in templates, with the default reading of page text.
    pub fn new() -> LazyEngine {
        let layouts = Templates::builtin()
            .map(|t| t.row_layouts())
            .unwrap_or_default();
        LazyEngine {
            state: None,
            page_text: PageText::default(),
            layouts,
        }
    }

    pub fn with(templates: &Templates, page_text: PageText) -> LazyEngine {
        LazyEngine {
            state: None,
            page_text,
            layouts: templates.row_layouts(),
        }
    }

    /// [`recognise_document`] with this worker's engine.
    pub fn recognise(&mut self, doc: &mut Document) -> usize {
        if doc.pictures().next().is_none() {
            return 0;
        }
        let state = self
            .state
            .get_or_insert_with(|| TesseractEngine::new().map_err(|e| e.to_string()));
        match state {
            Ok(engine) => recognise_document(doc, engine, self.page_text, &self.layouts),
            Err(why) => {
                let n = doc.pictures().count();
                doc.blocks.retain(|b| !matches!(b, Block::Picture(_)));
                doc.problems.push(format!(
                    "{n} picture(s) not recognised: the OCR engine did not start: {why}"
                ));
                0
            }
        }
    }
}

/// Makes this process run OpenMP single-threaded, by starting it again with
/// `OMP_THREAD_LIMIT=1` unless that is set already. libtesseract's OpenMP build would
/// otherwise spin extra threads inside every recognition call, on top of the pipeline's
/// own workers: measured here, that doubles wall time and adds as much system time as
/// the work itself. libgomp reads the variable when it is loaded, before `main`, so
/// setting it from inside the process is too late. Call first thing in `main`; returns
/// (and changes nothing) when the variable is set or the restart is not possible.
pub fn limit_openmp_threads() {
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if let Ok(exe) = std::env::current_exe() {
            // `exec` returns only when it failed: then go on as we are.
            let _ = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("OMP_THREAD_LIMIT", "1")
                .exec();
        }
    }
}
