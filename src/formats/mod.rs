//! Decoders: pure functions from a file's bytes to the document model.

pub mod aligned;
pub mod doc;
pub mod doc_pictures;
pub mod doc_styles;
pub mod docx;
pub mod footprint;
pub mod html;
pub mod mht;
pub mod ofd;
pub mod pdf;
pub mod rtf;
pub mod sniff;
pub mod text;
pub mod text_layout;

pub use sniff::{format_name, sniff};

use crate::document::{Block, Document, Picture};

/// Why a file could not be decoded, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub message: String,
}

impl DecodeError {
    pub fn new(message: impl Into<String>) -> DecodeError {
        DecodeError {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

/// The kinds of input the pipeline tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Docx,
    Html,
    Text,
    Pdf,
    Doc,
    Rtf,
    Mht,
    Ofd,
    Image,
    Zip,
    Unknown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Html => "html",
            Format::Text => "txt",
            Format::Pdf => "pdf",
            Format::Doc => "doc",
            Format::Rtf => "rtf",
            Format::Mht => "mht",
            Format::Ofd => "ofd",
            Format::Image => "image",
            Format::Zip => "zip",
            Format::Unknown => "unknown",
        }
    }
}

/// What an unsupported file is told: every type nianbao reads.
pub const UNSUPPORTED: &str = "unsupported file type: nianbao reads .docx, .doc, .wps, .pdf, \
     .ofd, .rtf, .mht/.mhtml, .html/.htm, .txt, pictures (.png, .jpg/.jpeg, .tif/.tiff, .bmp, \
     .gif) and archives of them (.zip, .tar, .tar.gz, .tar.xz, .7z, .rar)";

/// Decodes a file of a document format. Formats without a decoder yet get a clear error.
pub fn decode(format: Format, bytes: &[u8]) -> Result<Document, DecodeError> {
    match format {
        Format::Docx => docx::decode_docx(bytes),
        Format::Html => html::decode_html(bytes),
        Format::Text => text::decode_text(bytes),
        Format::Pdf => pdf::decode_pdf(bytes),
        Format::Doc => doc::decode_doc(bytes),
        Format::Rtf => rtf::decode_rtf(bytes),
        Format::Mht => mht::decode_mht(bytes),
        Format::Ofd => ofd::decode_ofd(bytes),
        // A picture is a document of one picture block; the recognise stage reads it.
        Format::Image => Ok(Document {
            blocks: vec![Block::Picture(Picture {
                name: Some("the image".to_string()),
                bytes: bytes.to_vec(),
                dpi: None,
                page: None,
                whole_page: false,
            })],
            ..Document::default()
        }),
        Format::Zip => Err(DecodeError::new(
            "a zip archive that is not a DOCX: archives are expanded only when given as .zip",
        )),
        Format::Unknown => Err(DecodeError::new(UNSUPPORTED)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gif_pictures_are_pictures_and_the_unsupported_message_names_every_type() {
        assert_eq!(sniff("table.gif", b"GIF89a\x01\x00"), Format::Image);
        assert_eq!(sniff("table", b"GIF87a\x01\x00"), Format::Image);
        let message = decode(Format::Unknown, b"x")
            .map(|_| ())
            .unwrap_err()
            .message;
        for ext in [
            ".docx", ".doc", ".wps", ".pdf", ".ofd", ".rtf", ".mht", ".html", ".txt", ".png",
            ".jpg", ".tif", ".bmp", ".gif", ".zip",
        ] {
            assert!(message.contains(ext), "{ext} missing from {message:?}");
        }
    }
}
