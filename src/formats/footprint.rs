//! What decoding a document will hold in memory, estimated from its bytes before it is
//! decoded, so the run's memory budget (`limits.memory_mb`) admits it for what it will
//! take and not for its file size alone.
//!
//! Most formats hold about their file size while decoded (pictures are counted when found,
//! see `extract::decode`). Two do not, and a hostile file makes either large:
//! - plain text becomes one paragraph per line: the file's bytes, the list of its lines
//!   and the paragraphs (each a string and a block) are held at once, about
//!   [`TEXT_TIMES_SIZE`] times the file (a 200 MB text file of short lines peaked at
//!   600 MB, with its valid UTF-8 borrowed rather than copied; 900 MB before);
//! - an HTML page becomes a tree of one node per element, whose size follows the number
//!   of tags, not of bytes: 6.5 MB of unclosed `<span><b><i>` made a 300 MB tree. Each `<`
//!   is counted as [`HTML_BYTES_PER_TAG`] (closing tags make no node, so pages with
//!   closed elements are counted twice over, which leaves room).

use super::Format;

/// Bytes held while a text file is decoded and interpreted, per byte of the file
/// (measured: 2.8 on a 200 MB file of 130-byte lines, above the process's own).
pub const TEXT_TIMES_SIZE: u64 = 3;
/// Bytes of the parsed tree per `<` of an HTML page (measured: 200 for deeply nested
/// unclosed inline elements, 170 for nested tables).
pub const HTML_BYTES_PER_TAG: u64 = 256;

/// What a document will hold while decoded: bytes, and how that was reckoned (for the
/// message of a document refused for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    pub bytes: u64,
    pub basis: String,
}

/// The memory decoding the file `name` of `bytes` will take, at least its size. Zip
/// containers (DOCX, OFD) and PDFs are not sniffed further: they count their size.
pub fn of(name: &str, bytes: &[u8]) -> Footprint {
    let format = if bytes.starts_with(b"PK") || bytes.starts_with(b"%PDF") {
        Format::Unknown
    } else {
        super::sniff(name, bytes)
    };
    estimate(format, bytes)
}

/// The memory decoding `bytes` of `format` will take, at least its size.
pub fn estimate(format: Format, bytes: &[u8]) -> Footprint {
    let size = bytes.len() as u64;
    match format {
        Format::Text => Footprint {
            bytes: size.saturating_mul(TEXT_TIMES_SIZE),
            basis: format!(
                "a text file's lines become paragraphs: about {TEXT_TIMES_SIZE} times its \
                 {} MB",
                size >> 20
            ),
        },
        Format::Html | Format::Mht => {
            let tags = bytes.iter().filter(|&&b| b == b'<').count() as u64;
            Footprint {
                bytes: size.saturating_add(tags.saturating_mul(HTML_BYTES_PER_TAG)),
                basis: format!(
                    "a web page of {tags} tags becomes a tree of as many nodes \
                     (about {HTML_BYTES_PER_TAG} bytes each)"
                ),
            }
        }
        _ => Footprint {
            bytes: size,
            basis: format!("its size, {} MB", size >> 20),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_web_pages_count_more_than_their_size() {
        let text = vec![b'a'; 1000];
        assert_eq!(estimate(Format::Text, &text).bytes, 1000 * TEXT_TIMES_SIZE);
        let page = b"<b><i>x</i></b>";
        assert_eq!(
            estimate(Format::Html, page).bytes,
            page.len() as u64 + 4 * HTML_BYTES_PER_TAG
        );
        let pdf = b"%PDF-1.4 ...";
        assert_eq!(estimate(Format::Pdf, pdf).bytes, pdf.len() as u64);
    }
}
