//! The bytes of a web page → its text: a BOM, a `<meta charset>` within the first
//! [`SNIFF_LEN`] bytes, or a guess (UTF-8 when it nearly is, else GB18030); files that are
//! not HTML at all (a PDF, a zip, binary data) are told apart first.

use encoding_rs::{Encoding, BIG5, GB18030, GBK, UTF_16BE, UTF_16LE, UTF_8};

use super::DecodeError;

/// How far into the file a `<meta charset>` is looked for.
const SNIFF_LEN: usize = 8192;

pub(super) fn decode_bytes(bytes: &[u8]) -> Result<String, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::new("empty HTML file (0 bytes)"));
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (s, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok(s.into_owned());
    }
    check_magic(bytes)?;
    check_binary(bytes)?;

    let declared = sniff_meta_charset(&bytes[..bytes.len().min(SNIFF_LEN)]).map(|e| {
        if e == UTF_16LE || e == UTF_16BE {
            UTF_8 // a <meta> cannot truthfully declare UTF-16 (HTML spec: use UTF-8)
        } else if e == GBK {
            GB18030
        } else {
            e
        }
    });
    match declared {
        Some(e) if e != UTF_8 => {
            // Mirrors often re-encode a page to UTF-8 and keep the old gb2312 <meta>.
            if (e == GB18030 || e == BIG5) && looks_like_utf8(bytes) {
                return Ok(lossy_utf8(bytes));
            }
            let (s, _) = e.decode_without_bom_handling(bytes);
            Ok(s.into_owned())
        }
        // Declared UTF-8 or undeclared: UTF-8 unless it is clearly not.
        _ => {
            if looks_like_utf8(bytes) {
                Ok(lossy_utf8(bytes))
            } else {
                let (s, _) = GB18030.decode_without_bom_handling(bytes);
                Ok(s.into_owned())
            }
        }
    }
}

fn lossy_utf8(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Valid UTF-8, or nearly so (a couple of bad sequences, e.g. a truncated last
/// character, among plenty of good multi-byte ones).
fn looks_like_utf8(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    let mut errors = 0usize;
    let mut good_multibyte = 0usize;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                good_multibyte += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                // SAFETY-free: `valid` bytes were just checked to be UTF-8.
                if let Ok(s) = std::str::from_utf8(&rest[..valid]) {
                    good_multibyte += s.chars().filter(|c| !c.is_ascii()).count();
                }
                errors += 1;
                if errors > 2 {
                    return false;
                }
                let skip = valid + e.error_len().unwrap_or(rest.len() - valid);
                rest = rest.get(skip..).unwrap_or(&[]);
            }
        }
    }
    errors == 0 || good_multibyte >= 20 * errors
}

/// Finds `charset=LABEL` (from `<meta charset>` or `http-equiv` content) in `head`.
fn sniff_meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    const NEEDLE: &[u8] = b"charset";
    let mut i = 0;
    while i + NEEDLE.len() <= head.len() {
        if !head[i..i + NEEDLE.len()].eq_ignore_ascii_case(NEEDLE) {
            i += 1;
            continue;
        }
        let mut j = i + NEEDLE.len();
        i = j;
        while j < head.len() && head[j].is_ascii_whitespace() {
            j += 1;
        }
        if head.get(j) != Some(&b'=') {
            continue;
        }
        j += 1;
        while j < head.len()
            && (head[j].is_ascii_whitespace() || head[j] == b'"' || head[j] == b'\'')
        {
            j += 1;
        }
        let start = j;
        while j < head.len()
            && (head[j].is_ascii_alphanumeric() || matches!(head[j], b'-' | b'_' | b'.' | b':'))
        {
            j += 1;
        }
        if let Some(enc) = Encoding::for_label(&head[start..j]) {
            return Some(enc);
        }
    }
    None
}

fn check_magic(bytes: &[u8]) -> Result<(), DecodeError> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF-", "a PDF file"),
        (b"PK\x03\x04", "a ZIP archive (DOCX/XLSX?)"),
        (b"\xD0\xCF\x11\xE0", "an OLE2 file (DOC/XLS?)"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"{\\rtf", "an RTF document"),
    ];
    for (magic, what) in MAGIC {
        if bytes.starts_with(magic) {
            return Err(DecodeError::new(format!("not HTML: this is {what}")));
        }
    }
    Ok(())
}

fn check_binary(bytes: &[u8]) -> Result<(), DecodeError> {
    let head = &bytes[..bytes.len().min(1024)];
    let ctrl = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    if ctrl >= 16 || ctrl * 10 > head.len() {
        return Err(DecodeError::new("not HTML: binary data"));
    }
    Ok(())
}
