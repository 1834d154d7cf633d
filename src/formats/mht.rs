//! MHT/MHTML web archives ("Save as single file": Chrome, IE, Word's "Single File Web
//! Page"): a MIME `multipart/related` message. Its HTML part (quoted-printable or
//! base64, GB2312 or UTF-8) goes to the HTML decoder; the pictures the page shows are
//! taken from the archive's parts (by `Content-Location`, resolved against the page's
//! own location, or `cid:`) and handed to recognition like any HTML picture.
//!
//! The MIME reading is our own (headers, boundaries, two transfer encodings): `mail-parser`
//! reads whole e-mail (addresses, dates, RFC 2047 words, its own charset tables beside
//! encoding_rs), none of which an archive of a web page needs.

use super::html::decode_html;
use super::DecodeError;
use crate::document::{Block, Document};
use encoding_rs::{Encoding, GB18030, GBK};

/// Parts nested in parts deeper than this are not read (a page archive has one level).
const MAX_DEPTH: usize = 4;
/// More parts than this are not read.
const MAX_PARTS: usize = 10_000;

/// One MIME part: its headers (names lower case) and its decoded body.
struct Part {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Part {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn content_type(&self) -> String {
        self.header("content-type")
            .and_then(|v| v.split(';').next())
            .unwrap_or("text/plain")
            .trim()
            .to_ascii_lowercase()
    }
}

/// Decodes a web archive.
pub fn decode_mht(bytes: &[u8]) -> Result<Document, DecodeError> {
    let (headers, body) = split_headers(bytes);
    let mut parts = Vec::new();
    let mut skipped = 0usize;
    collect_parts(&headers, body, 0, &mut parts, &mut skipped);
    let html_at = parts
        .iter()
        .position(|p| p.content_type() == "text/html")
        .ok_or_else(|| {
            DecodeError::new("MHT web archive holds no HTML page (no text/html part)")
        })?;
    let html = &parts[html_at];
    let page_bytes = html_as_utf8(html);
    let base = html
        .header("content-location")
        .unwrap_or("")
        .trim()
        .to_string();
    let mut doc = decode_html(&page_bytes)?;
    if skipped > 0 {
        doc.decode_warnings.push(format!(
            "MHT web archive: {skipped} parts nested too deep or past the limit were not read"
        ));
    }
    let mut problems = Vec::new();
    doc.blocks.retain_mut(|b| {
        let Block::Picture(pic) = b else {
            return true;
        };
        if !pic.bytes.is_empty() {
            return true;
        }
        let src = pic.name.clone().unwrap_or_default();
        match find_part(&parts, &base, &src) {
            Some(p) => {
                pic.bytes = p.body.clone();
                true
            }
            None => {
                problems.push(format!(
                    "picture {src} is not in the web archive; it was not recognised"
                ));
                false
            }
        }
    });
    doc.problems.extend(problems);
    Ok(doc)
}

/// The HTML part's bytes for the HTML decoder: transcoded to UTF-8 (with a BOM, which
/// the decoder obeys) when the part's headers name its charset; as they are otherwise,
/// so that the page's own `<meta>` decides.
fn html_as_utf8(part: &Part) -> Vec<u8> {
    let charset = part
        .header("content-type")
        .and_then(|v| param(v, "charset"))
        .and_then(|c| Encoding::for_label(c.as_bytes()));
    match charset {
        Some(enc) => {
            let enc = if enc == GBK { GB18030 } else { enc };
            let (s, _) = enc.decode_without_bom_handling(&part.body);
            let mut out = b"\xEF\xBB\xBF".to_vec();
            out.extend_from_slice(s.as_bytes());
            out
        }
        None => part.body.clone(),
    }
}

/// The part a picture's `src` names.
fn find_part<'a>(parts: &'a [Part], base: &str, src: &str) -> Option<&'a Part> {
    let images = || {
        parts
            .iter()
            .filter(|p| p.content_type().starts_with("image/"))
    };
    if let Some(cid) = src.strip_prefix("cid:") {
        let want = format!("<{cid}>");
        return images().find(|p| {
            p.header("content-id")
                .is_some_and(|id| id.trim() == want || id.trim() == cid)
        });
    }
    let wanted = resolve(base, src);
    let location = |p: &Part| {
        p.header("content-location")
            .unwrap_or("")
            .trim()
            .to_string()
    };
    if let Some(p) = images().find(|p| location(p) == wanted || location(p) == src) {
        return Some(p);
    }
    // A location spelt otherwise (escaped, another host): the file name, when only one
    // picture has it.
    let name = src.rsplit(['/', '\\']).next().unwrap_or(src);
    if name.is_empty() {
        return None;
    }
    let mut same = images().filter(|p| location(p).rsplit(['/', '\\']).next() == Some(name));
    match (same.next(), same.next()) {
        (Some(p), None) => Some(p),
        _ => None,
    }
}

/// `src` resolved against the page's location (absolute URLs, `/path` from the host,
/// relative paths with `.` and `..`).
fn resolve(base: &str, src: &str) -> String {
    if src.contains("://") {
        return src.to_string();
    }
    let (origin, path) = match base.find("://") {
        Some(i) => {
            let after = i + 3;
            match base[after..].find('/') {
                Some(j) => (&base[..after + j], &base[after + j..]),
                None => (base, "/"),
            }
        }
        None => ("", base),
    };
    let dir = if src.starts_with('/') {
        ""
    } else {
        path.rfind('/').map_or("", |k| &path[..k])
    };
    let mut segs: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in src.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    format!("{origin}/{}", segs.join("/"))
}

/// Reads a message's parts into `parts`: a multipart body's parts, recursively, or the
/// body itself.
fn collect_parts(
    headers: &[(String, String)],
    body: &[u8],
    depth: usize,
    parts: &mut Vec<Part>,
    skipped: &mut usize,
) {
    let ctype = headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let boundary = ctype
        .trim()
        .to_ascii_lowercase()
        .starts_with("multipart/")
        .then(|| param(ctype, "boundary"))
        .flatten();
    let Some(boundary) = boundary else {
        if parts.len() < MAX_PARTS {
            let encoding = headers
                .iter()
                .find(|(n, _)| n == "content-transfer-encoding")
                .map(|(_, v)| v.trim().to_ascii_lowercase())
                .unwrap_or_default();
            parts.push(Part {
                headers: headers.to_vec(),
                body: decode_body(body, &encoding),
            });
        } else {
            *skipped += 1;
        }
        return;
    };
    if depth >= MAX_DEPTH {
        *skipped += 1;
        return;
    }
    for chunk in split_multipart(body, &boundary) {
        let (h, b) = split_headers(chunk);
        collect_parts(&h, b, depth + 1, parts, skipped);
    }
}

/// The parts between `--boundary` lines (the preamble before the first and whatever
/// follows the closing `--boundary--` are dropped).
fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let mut starts: Vec<(usize, usize, bool)> = Vec::new(); // (line start, line end, closing)
    let mut pos = 0;
    while pos < body.len() {
        let end = body[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.len(), |k| pos + k + 1);
        let line = trim_line_end(&body[pos..end]);
        if line.starts_with(delim) {
            let rest = &line[delim.len()..];
            let closing = rest.starts_with(b"--");
            if closing || rest.iter().all(|b| b.is_ascii_whitespace()) {
                starts.push((pos, end, closing));
                if closing {
                    break;
                }
            }
        }
        pos = end;
    }
    starts
        .windows(2)
        .filter(|w| !w[0].2)
        .map(|w| {
            let part = &body[w[0].1..w[1].0];
            // The line end before a delimiter belongs to the delimiter.
            let part = part.strip_suffix(b"\n").unwrap_or(part);
            part.strip_suffix(b"\r").unwrap_or(part)
        })
        .chain(
            // An archive cut off before its closing delimiter: the last part still counts.
            starts.last().filter(|l| !l.2).map(|l| &body[l.1..]),
        )
        .collect()
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A part's headers (unfolded, names lower case) and its body after the blank line.
fn split_headers(data: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let end = data[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |k| pos + k + 1);
        let line = trim_line_end(&data[pos..end]);
        pos = end;
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(line);
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(text.trim());
            }
            continue;
        }
        match text.split_once(':') {
            Some((name, value)) => {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()))
            }
            // Not a header: the part has no headers, and this is its body.
            None if headers.is_empty() => return (headers, data),
            None => {}
        }
    }
    (headers, &data[pos.min(data.len())..])
}

/// A header parameter (`boundary="…"`, `charset=gb2312`).
fn param(value: &str, name: &str) -> Option<String> {
    for piece in value.split(';').skip(1) {
        let (k, v) = piece.split_once('=')?;
        if k.trim().eq_ignore_ascii_case(name) {
            let v = v.trim().trim_matches('"').trim();
            return (!v.is_empty()).then(|| v.to_string());
        }
    }
    None
}

fn decode_body(body: &[u8], encoding: &str) -> Vec<u8> {
    match encoding {
        "base64" => base64(body),
        "quoted-printable" => quoted_printable(body),
        _ => body.to_vec(),
    }
}

fn base64(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn quoted_printable(data: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        // `=` at a line end is a soft break; `=XX` a byte; anything else stays.
        match (data.get(i + 1), data.get(i + 2)) {
            (Some(b'\n'), _) => i += 2,
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_encodings_decode() {
        assert_eq!(
            quoted_printable(b"a=3Db=\r\nc=E9=95=BF"),
            b"a=bc\xE9\x95\xBF"
        );
        assert_eq!(base64(b"5bm0\r\n5oql"), "年报".as_bytes());
    }

    #[test]
    fn relative_sources_resolve_against_the_page() {
        let base = "http://x.gov.cn/zwgk/ndbg/a.html";
        assert_eq!(resolve(base, "b.png"), "http://x.gov.cn/zwgk/ndbg/b.png");
        assert_eq!(
            resolve(base, "/images/c.png"),
            "http://x.gov.cn/images/c.png"
        );
        assert_eq!(
            resolve("file:///C:/X/file1.htm", "file1.files/image001.png"),
            "file:///C:/X/file1.files/image001.png"
        );
    }

    #[test]
    fn the_html_part_and_its_picture_are_read() {
        let mht = "MIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\tboundary=\"B\"\r\n\r\n\
            preamble\r\n--B\r\nContent-Type: text/html; charset=\"gb2312\"\r\n\
            Content-Transfer-Encoding: quoted-printable\r\nContent-Location: http://h/p/a.html\r\n\r\n\
            <html><body><p>=C4=EA=B1=A8</p><img src=3D\"t.png\"><img src=3D\"gone.png\"></body></html>\r\n\
            --B\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\
            Content-Location: http://h/p/t.png\r\n\r\niVBORw0K\r\n--B--\r\n";
        let doc = decode_mht(mht.as_bytes()).unwrap();
        assert!(doc
            .blocks
            .iter()
            .any(|b| b.text().is_some_and(|t| t.contains("年报"))));
        let pics: Vec<_> = doc.pictures().collect();
        assert_eq!(pics.len(), 1);
        assert_eq!(pics[0].bytes, b"\x89PNG\r\n");
        assert!(doc.problems[0].contains("gone.png"));
    }
}
