//! Content stream tokens: numbers, names, strings, arrays, dictionaries skipped over,
//! keywords, and inline images (BI … ID … EI) read as streams. Malformed input gives
//! `Other` operands or ends the stream; nothing here fails.

use lopdf::{Dictionary, Object};
use std::borrow::Cow;

#[derive(Debug)]
pub(super) enum Operand<'a> {
    Num(f32),
    Name(Cow<'a, [u8]>),
    Str(Vec<u8>),
    Arr(Vec<Operand<'a>>),
    Other,
}

pub(super) enum Tok<'a> {
    Operand(Operand<'a>),
    Keyword(&'a [u8]),
    ArrEnd,
    DictEnd,
}

/// PDF delimiter or white-space byte (ISO 32000-1, 7.2.2): ends a name or a number.
pub fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\r'
            | b'\n'
            | b'\x0c'
            | 0
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | 0)
}

/// Parses a literal string starting at `data[start] == b'('`; returns its bytes and the
/// position after it.
pub fn parse_literal_string(data: &[u8], start: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = start;
    let n = data.len();
    while i < n {
        let b = data[i];
        match b {
            b'(' => {
                if depth > 0 {
                    out.push(b);
                }
                depth += 1;
                i += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
                if depth == 0 {
                    return (out, i);
                }
                out.push(b);
            }
            b'\\' => {
                i += 1;
                if i >= n {
                    break;
                }
                let e = data[i];
                i += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'\r' => {
                        if i < n && data[i] == b'\n' {
                            i += 1;
                        }
                    }
                    b'\n' => {}
                    b'0'..=b'7' => {
                        let mut v = (e - b'0') as u32;
                        for _ in 0..2 {
                            if i < n && (b'0'..=b'7').contains(&data[i]) {
                                v = v * 8 + (data[i] - b'0') as u32;
                                i += 1;
                            } else {
                                break;
                            }
                        }
                        out.push(v as u8);
                    }
                    other => out.push(other),
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    (out, n)
}

pub(super) struct Lexer<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Lexer<'a> {
    fn skip_ws(&mut self) {
        let d = self.data;
        while self.pos < d.len() {
            let b = d[self.pos];
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self.pos < d.len() && d[self.pos] != b'\n' && d[self.pos] != b'\r' {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    pub(super) fn next(&mut self, depth: usize) -> Option<Tok<'a>> {
        self.skip_ws();
        let d = self.data;
        if self.pos >= d.len() {
            return None;
        }
        let b = d[self.pos];
        match b {
            b'/' => {
                let start = self.pos + 1;
                self.pos += 1;
                while self.pos < d.len() && !is_delim(d[self.pos]) {
                    self.pos += 1;
                }
                let raw = &d[start..self.pos];
                let name = if raw.contains(&b'#') {
                    Cow::Owned(decode_name(raw))
                } else {
                    Cow::Borrowed(raw)
                };
                Some(Tok::Operand(Operand::Name(name)))
            }
            b'(' => {
                let (s, next) = parse_literal_string(d, self.pos);
                self.pos = next;
                Some(Tok::Operand(Operand::Str(s)))
            }
            b'<' => {
                if d.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    // Dictionaries (marked-content properties) are read and dropped.
                    loop {
                        match self.next(depth + 1) {
                            None | Some(Tok::DictEnd) => break,
                            _ if depth > 32 => break,
                            _ => {}
                        }
                    }
                    return Some(Tok::Operand(Operand::Other));
                }
                self.pos += 1;
                let mut bytes = Vec::new();
                let mut hi: Option<u8> = None;
                while self.pos < d.len() && d[self.pos] != b'>' {
                    if let Some(v) = super::cmap::hex_val(d[self.pos]) {
                        match hi.take() {
                            Some(h) => bytes.push(h << 4 | v),
                            None => hi = Some(v),
                        }
                    }
                    self.pos += 1;
                }
                if let Some(h) = hi {
                    bytes.push(h << 4);
                }
                self.pos += 1;
                Some(Tok::Operand(Operand::Str(bytes)))
            }
            b'>' => {
                self.pos += 1;
                if d.get(self.pos) == Some(&b'>') {
                    self.pos += 1;
                }
                Some(Tok::DictEnd)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if depth > 32 {
                        break;
                    }
                    match self.next(depth + 1) {
                        None | Some(Tok::ArrEnd) => break,
                        Some(Tok::Operand(o)) => {
                            if items.len() < 100_000 {
                                items.push(o)
                            }
                        }
                        Some(Tok::Keyword(_)) | Some(Tok::DictEnd) => {}
                    }
                }
                Some(Tok::Operand(Operand::Arr(items)))
            }
            b']' => {
                self.pos += 1;
                Some(Tok::ArrEnd)
            }
            b')' | b'{' | b'}' => {
                self.pos += 1;
                Some(Tok::Operand(Operand::Other))
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                let start = self.pos;
                while self.pos < d.len() && matches!(d[self.pos], b'0'..=b'9' | b'+' | b'-' | b'.')
                {
                    self.pos += 1;
                }
                Some(Tok::Operand(Operand::Num(parse_num(&d[start..self.pos]))))
            }
            _ => {
                let start = self.pos;
                while self.pos < d.len() && !is_delim(d[self.pos]) {
                    self.pos += 1;
                }
                if self.pos == start {
                    self.pos += 1;
                    return Some(Tok::Operand(Operand::Other));
                }
                Some(Tok::Keyword(&d[start..self.pos]))
            }
        }
    }

    /// Reads an inline image after `BI`: its dictionary up to `ID`, then the data up to
    /// `EI` (the exact length when the samples are unfiltered, else the first `EI` set
    /// apart by white space). The abbreviated keys and names are spelt out, so the
    /// image reads like an image XObject. `None` when the content ends first.
    pub(super) fn inline_image(&mut self) -> Option<lopdf::Stream> {
        let mut dict = Dictionary::new();
        let mut key: Option<Vec<u8>> = None;
        loop {
            match self.next(0)? {
                Tok::Keyword(b"ID") => break,
                Tok::Operand(op) => match key.take() {
                    None => {
                        if let Operand::Name(n) = op {
                            key = Some(n.into_owned());
                        }
                    }
                    Some(k) => {
                        if let Some(v) = inline_value(op) {
                            dict.set(inline_key(&k), v);
                        }
                    }
                },
                _ => key = None,
            }
        }
        let d = self.data;
        // One white-space byte separates ID from the data.
        let start = (self.pos + 1).min(d.len());
        let num = |k: &[u8]| match dict.get(k) {
            Ok(Object::Integer(n)) => usize::try_from(*n).ok(),
            _ => None,
        };
        let unfiltered_len = match (dict.has(b"Filter"), num(b"Width"), num(b"Height")) {
            (false, Some(w), Some(h)) => {
                let bpc = num(b"BitsPerComponent").unwrap_or(8);
                let comps = match dict.get(b"ColorSpace") {
                    Ok(Object::Name(n)) if n == b"DeviceRGB" => 3,
                    Ok(Object::Name(n)) if n == b"DeviceCMYK" => 4,
                    _ => 1,
                };
                w.checked_mul(comps * bpc)
                    .map(|bits| bits.div_ceil(8))
                    .and_then(|row| row.checked_mul(h))
            }
            _ => None,
        };
        let end = match unfiltered_len {
            Some(n) if start + n <= d.len() => start + n,
            _ => {
                let mut i = start;
                loop {
                    if i + 1 >= d.len() {
                        break d.len();
                    }
                    if d[i] == b'E'
                        && d[i + 1] == b'I'
                        && i > 0
                        && is_ws(d[i - 1])
                        && (i + 2 >= d.len() || is_ws(d[i + 2]))
                    {
                        break i - 1;
                    }
                    i += 1;
                }
            }
        };
        let data = d[start..end.max(start)].to_vec();
        // Past the data and its EI.
        let mut i = end;
        while i + 1 < d.len() && !(d[i] == b'E' && d[i + 1] == b'I') {
            i += 1;
        }
        self.pos = (i + 2).min(d.len());
        Some(lopdf::Stream::new(dict, data))
    }
}

/// An inline image's abbreviated key, spelt out.
fn inline_key(k: &[u8]) -> Vec<u8> {
    let full: &[u8] = match k {
        b"W" => b"Width",
        b"H" => b"Height",
        b"BPC" => b"BitsPerComponent",
        b"CS" => b"ColorSpace",
        b"F" => b"Filter",
        b"DP" => b"DecodeParms",
        b"D" => b"Decode",
        b"IM" => b"ImageMask",
        b"I" => b"Interpolate",
        other => other,
    };
    full.to_vec()
}

/// An inline image's value as an object, abbreviated names spelt out.
fn inline_value(op: Operand) -> Option<Object> {
    Some(match op {
        Operand::Num(n) if n.fract() == 0.0 && n.abs() < 1e9 => Object::Integer(n as i64),
        Operand::Num(n) => Object::Real(n),
        Operand::Name(n) => {
            let full: &[u8] = match n.as_ref() {
                b"G" => b"DeviceGray",
                b"RGB" => b"DeviceRGB",
                b"CMYK" => b"DeviceCMYK",
                b"AHx" => b"ASCIIHexDecode",
                b"A85" => b"ASCII85Decode",
                b"LZW" => b"LZWDecode",
                b"Fl" => b"FlateDecode",
                b"RL" => b"RunLengthDecode",
                b"CCF" => b"CCITTFaxDecode",
                b"DCT" => b"DCTDecode",
                other => other,
            };
            Object::Name(full.to_vec())
        }
        Operand::Arr(items) => Object::Array(items.into_iter().filter_map(inline_value).collect()),
        Operand::Str(_) | Operand::Other => return None,
    })
}

fn decode_name(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'#' && i + 2 < raw.len() {
            if let (Some(h), Some(l)) = (
                super::cmap::hex_val(raw[i + 1]),
                super::cmap::hex_val(raw[i + 2]),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

fn parse_num(t: &[u8]) -> f32 {
    if let Some(v) = std::str::from_utf8(t)
        .ok()
        .and_then(|s| s.parse::<f32>().ok())
    {
        return if v.is_finite() { v } else { 0.0 };
    }
    // Lenient: "--5", "1.2.3", "5-" — keep the longest valid prefix after one sign.
    let mut s = String::new();
    let mut seen_dot = false;
    for &b in t {
        match b {
            b'-' | b'+' if s.chars().all(|c| c == '-') => {
                if b == b'-' && s.is_empty() {
                    s.push('-');
                }
            }
            b'.' if !seen_dot => {
                seen_dot = true;
                s.push('.');
            }
            b'0'..=b'9' => s.push(b as char),
            _ => break,
        }
    }
    s.parse::<f32>()
        .ok()
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

#[cfg(test)]
#[path = "lexer_tests.rs"]
mod tests;
