//! Decoders: pure functions from a file's bytes to the document model.

pub mod doc;
pub mod docx;
pub mod html;
pub mod pdf;
pub mod text;

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
            Format::Image => "image",
            Format::Zip => "zip",
            Format::Unknown => "unknown",
        }
    }
}

fn extension(name: &str) -> String {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Decides a file's format from its name and its first bytes. The bytes win where they
/// are unambiguous (a PDF named .docx is a PDF); a zip named .docx stays a DOCX so that
/// the decoder can say what is missing from it.
pub fn sniff(name: &str, bytes: &[u8]) -> Format {
    let ext = extension(name);
    let head = &bytes[..bytes.len().min(1024)];
    if head.starts_with(b"%PDF") {
        return Format::Pdf;
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Format::Doc;
    }
    if head.starts_with(b"\x89PNG")
        || head.starts_with(&[0xFF, 0xD8, 0xFF])
        || head.starts_with(b"II*\0")
        || head.starts_with(b"MM\0*")
        || head.starts_with(b"GIF87a")
        || head.starts_with(b"GIF89a")
        || (head.starts_with(b"BM") && matches!(ext.as_str(), "bmp" | "dib"))
    {
        return Format::Image;
    }
    match ext.as_str() {
        "docx" | "docm" | "wps" => return Format::Docx,
        "html" | "htm" | "shtml" | "xhtml" => return Format::Html,
        "txt" | "text" => return Format::Text,
        "pdf" => return Format::Pdf,
        "doc" => return Format::Doc,
        "png" | "jpg" | "jpeg" | "tif" | "tiff" | "bmp" | "gif" => return Format::Image,
        // The read stage hands on a zip as a document only when it holds a DOCX's parts.
        "zip" if !head.starts_with(b"PK") => return Format::Zip,
        _ => {}
    }
    if head.starts_with(b"PK\x03\x04") {
        return Format::Docx;
    }
    let lower: String = String::from_utf8_lossy(head).to_ascii_lowercase();
    if lower.contains("<!doctype html") || lower.contains("<html") {
        return Format::Html;
    }
    Format::Unknown
}

/// What an unsupported file is told: every type nianbao reads.
pub const UNSUPPORTED: &str = "unsupported file type: nianbao reads .docx, .doc, .pdf, \
     .html/.htm, .txt, pictures (.png, .jpg/.jpeg, .tif/.tiff, .bmp, .gif) and archives \
     of them (.zip, .tar, .tar.gz, .tar.xz, .7z, .rar)";

/// Decodes a file of a document format. Formats without a decoder yet get a clear error.
pub fn decode(format: Format, bytes: &[u8]) -> Result<Document, DecodeError> {
    match format {
        Format::Docx => docx::decode_docx(bytes),
        Format::Html => html::decode_html(bytes),
        Format::Text => text::decode_text(bytes),
        Format::Pdf => pdf::decode_pdf(bytes),
        Format::Doc => doc::decode_doc(bytes),
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
            ".docx", ".doc", ".pdf", ".html", ".txt", ".png", ".jpg", ".tif", ".bmp", ".gif",
            ".zip",
        ] {
            assert!(message.contains(ext), "{ext} missing from {message:?}");
        }
    }
}
