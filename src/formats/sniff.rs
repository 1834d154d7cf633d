//! Which decoder reads a file: its content first, its name only where the content does
//! not say. Archives hold `.doc` files that are web pages, DOCX or RTF (a CMS's "download
//! as Word", a user's rename, an OA system's export), and `.wps` files that are Word 97
//! binaries; each goes to the decoder of what it is, and the record's `source.format`
//! says what it was (`doc-html`, `wps-doc`, …).

use super::Format;
use std::io::Cursor;

/// How far into a file its kind is looked for.
const HEAD: usize = 1024;
/// More members than this and a zip is not looked into for its kind (a DOCX has tens,
/// an OFD one per page and picture).
const MAX_SNIFF_MEMBERS: usize = 100_000;

/// The file's extension, lower case ("" when it has none).
pub(crate) fn extension(name: &str) -> String {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Decides a file's format from its first bytes, and from its name where they do not
/// say (a zip named .docx stays a DOCX so that the decoder can say what is missing).
pub fn sniff(name: &str, bytes: &[u8]) -> Format {
    let ext = extension(name);
    let head = &bytes[..bytes.len().min(HEAD)];
    if let Some(f) = by_magic(head, &ext) {
        return f;
    }
    // The read stage hands on a zip (whatever its name) as a document only when it is
    // one (a DOCX's or an OFD's parts): its parts say which.
    if head.starts_with(b"PK\x03\x04") {
        if let Some(f) = zip_kind(bytes) {
            return f;
        }
    }
    // A web page saved under a Word name: Word opens it, so sites publish it so.
    if matches!(ext.as_str(), "doc" | "wps" | "docx" | "rtf") && looks_like_html(head) {
        return Format::Html;
    }
    match ext.as_str() {
        "docx" | "docm" | "wps" => return Format::Docx,
        "html" | "htm" | "shtml" | "xhtml" => return Format::Html,
        "txt" | "text" => return Format::Text,
        "pdf" => return Format::Pdf,
        "doc" => return Format::Doc,
        "rtf" => return Format::Rtf,
        "mht" | "mhtml" => return Format::Mht,
        "ofd" => return Format::Ofd,
        "png" | "jpg" | "jpeg" | "tif" | "tiff" | "bmp" | "gif" => return Format::Image,
        "zip" if !head.starts_with(b"PK") => return Format::Zip,
        _ => {}
    }
    if head.starts_with(b"PK\x03\x04") {
        return Format::Docx;
    }
    if looks_like_html(head) {
        return Format::Html;
    }
    Format::Unknown
}

/// Formats whose first bytes are unambiguous.
fn by_magic(head: &[u8], ext: &str) -> Option<Format> {
    if head.starts_with(b"%PDF") {
        return Some(Format::Pdf);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Some(Format::Doc);
    }
    if head.starts_with(b"\x89PNG")
        || head.starts_with(&[0xFF, 0xD8, 0xFF])
        || head.starts_with(b"II*\0")
        || head.starts_with(b"MM\0*")
        || head.starts_with(b"GIF87a")
        || head.starts_with(b"GIF89a")
        || (head.starts_with(b"BM") && matches!(ext, "bmp" | "dib"))
    {
        return Some(Format::Image);
    }
    let text = skip_bom_and_space(head);
    if text.starts_with(b"{\\rtf") {
        return Some(Format::Rtf);
    }
    if is_mime_multipart(text) {
        return Some(Format::Mht);
    }
    None
}

fn skip_bom_and_space(head: &[u8]) -> &[u8] {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    &head[start..]
}

/// A MIME message whose top headers (before the first blank line) declare a multipart
/// body: what "Save as single file" writes (Chrome, IE, Word).
fn is_mime_multipart(text: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(text).to_ascii_lowercase();
    let headers = lower
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .split("\n\n")
        .next()
        .unwrap_or("");
    // The first line is a header (`Name: value`), whichever: From (Chrome, IE),
    // MIME-Version (Word), Content-Location or X-… (other savers).
    let first = headers.lines().next().unwrap_or("");
    let starts_as_mail = first.split_once(':').is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    starts_as_mail
        && (headers.contains("content-type: multipart/")
            || headers.contains("content-type:multipart/"))
}

fn looks_like_html(head: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(skip_bom_and_space(head)).to_ascii_lowercase();
    lower.starts_with('<') && (lower.contains("<!doctype html") || lower.contains("<html"))
}

/// What a zip archive holds: an OFD (`OFD.xml` at its root) or a DOCX
/// (`word/document.xml` or `[Content_Types].xml`); None for other archives.
fn zip_kind(bytes: &[u8]) -> Option<Format> {
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    if zip.len() > MAX_SNIFF_MEMBERS {
        return None;
    }
    let mut docx = false;
    for name in zip.file_names() {
        if name.eq_ignore_ascii_case("OFD.xml") {
            return Some(Format::Ofd);
        }
        docx |= name.eq_ignore_ascii_case("word/document.xml")
            || name.eq_ignore_ascii_case("[Content_Types].xml");
    }
    docx.then_some(Format::Docx)
}

/// The format the record names: the decoder's format, prefixed by the extension when
/// the file's name says something else (`doc-html`: a web page named .doc; `wps-doc`: a
/// Word 97 binary named .wps).
pub fn format_name(name: &str, format: Format) -> String {
    let ext = extension(name);
    let named = match ext.as_str() {
        "doc" => Format::Doc,
        "docx" | "docm" => Format::Docx,
        "wps" => Format::Unknown, // WPS's own name: whatever it holds is worth saying
        "rtf" => Format::Rtf,
        "mht" | "mhtml" => Format::Mht,
        "ofd" => Format::Ofd,
        "pdf" => Format::Pdf,
        "html" | "htm" | "shtml" | "xhtml" => Format::Html,
        _ => return format.as_str().to_string(),
    };
    if named == format || format == Format::Unknown {
        format.as_str().to_string()
    } else {
        format!("{ext}-{}", format.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doc_is_read_as_what_it_holds_and_named_so() {
        let html = b"<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>";
        assert_eq!(sniff("a.doc", html), Format::Html);
        assert_eq!(format_name("a.doc", Format::Html), "doc-html");
        let word_html = b"<html xmlns:v=\"urn:schemas-microsoft-com:vml\"";
        assert_eq!(sniff("a.doc", word_html), Format::Html);
        assert_eq!(sniff("a.doc", b"{\\rtf1\\ansi\\ansicpg936"), Format::Rtf);
        assert_eq!(format_name("x/a.DOC", Format::Rtf), "doc-rtf");
        assert_eq!(sniff("a.wps", b"\xD0\xCF\x11\xE0\xA1\xB1"), Format::Doc);
        assert_eq!(format_name("a.wps", Format::Doc), "wps-doc");
        assert_eq!(format_name("a.doc", Format::Doc), "doc");
        assert_eq!(format_name("a.rtf", Format::Rtf), "rtf");
        assert_eq!(format_name("a.png", Format::Image), "image");
        assert_eq!(format_name("noext", Format::Html), "html");
    }

    #[test]
    fn web_archives_are_known_by_their_mime_headers() {
        let mht = b"From: <Saved by Blink>\r\nSnapshot-Content-Location: x\r\n\
            MIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\ttype=\"text/html\"\r\n\r\n";
        assert_eq!(sniff("page.mht", mht), Format::Mht);
        assert_eq!(sniff("page.doc", mht), Format::Mht);
        let other = b"X-Saved-By: some tool\nContent-Type: multipart/related; boundary=b\n\n";
        assert_eq!(sniff("page.mhtml", other), Format::Mht);
        assert_eq!(
            sniff("page.doc", b"Note: this is text\nsecond line"),
            Format::Doc
        );
        assert_eq!(
            sniff(
                "mail.txt",
                b"MIME-Version: 1.0\nContent-Type: text/plain\n\nhi"
            ),
            Format::Text
        );
    }
}
