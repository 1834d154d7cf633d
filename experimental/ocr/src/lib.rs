//! Tables in pictures: grid detection and OCR (issue #3).

#[allow(clippy::needless_range_loop)]
pub mod document;
pub mod engine;
pub mod grid;
pub mod prep;
pub mod recognise;

pub use engine::{OcrEngine, OcrError, OcrMode, TesseractEngine, Word};
pub use recognise::{RecogniseError, recognise_picture};
