//! Tables in pictures: grid detection and OCR (issue #3).

#[allow(clippy::needless_range_loop)]
// The project's IR itself, so this crate produces exactly its Table grid.
#[path = "../../../src/document.rs"]
pub mod document;
pub mod engine;
pub mod grid;
pub mod prep;
pub mod recognise;

pub use engine::{OcrEngine, OcrError, OcrMode, TesseractEngine, Word};
pub use recognise::{RecogniseError, recognise_picture};
