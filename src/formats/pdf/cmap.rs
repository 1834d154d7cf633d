//! CMap parsing: ToUnicode maps (bfchar/bfrange), code space ranges and CID ranges of
//! embedded encoding CMaps. Tolerant: anything it does not understand is skipped.

use super::content::is_delim;
use std::collections::HashMap;

/// A code space range: codes of `len` bytes whose bytes lie between `lo` and `hi`
/// byte-wise.
#[derive(Debug, Clone)]
pub struct CodeRange {
    pub len: usize,
    pub lo: [u8; 4],
    pub hi: [u8; 4],
}

#[derive(Debug, Clone)]
enum RangeDst {
    /// UTF-16 units of the first code's text; the last unit is incremented per code.
    Base(Vec<u16>),
    Array(Vec<String>),
}

/// What a CMap stream says: code lengths, code → Unicode and code → CID.
#[derive(Debug, Clone, Default)]
pub struct CMap {
    pub codespace: Vec<CodeRange>,
    single: HashMap<u32, String>,
    ranges: Vec<(u32, u32, RangeDst)>,
    cid_single: HashMap<u32, u32>,
    cid_ranges: Vec<(u32, u32, u32)>,
}

#[derive(Debug)]
enum Tok {
    Hex(Vec<u8>),
    Num(i64),
    Name(String),
    ArrStart,
    ArrEnd,
    Word(String),
    Str,
}

/// Upper bound on tokens read from one CMap, so a hostile stream cannot take forever.
const MAX_TOKENS: usize = 2_000_000;

fn tokenize(data: &[u8]) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut i = 0;
    let n = data.len();
    while i < n && toks.len() < MAX_TOKENS {
        let b = data[i];
        match b {
            b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | 0 => i += 1,
            b'%' => {
                while i < n && data[i] != b'\n' && data[i] != b'\r' {
                    i += 1;
                }
            }
            b'<' => {
                if i + 1 < n && data[i + 1] == b'<' {
                    i += 2;
                    continue;
                }
                i += 1;
                let mut bytes = Vec::new();
                let mut hi: Option<u8> = None;
                while i < n && data[i] != b'>' {
                    if let Some(v) = hex_val(data[i]) {
                        match hi.take() {
                            Some(h) => bytes.push(h << 4 | v),
                            None => hi = Some(v),
                        }
                    }
                    i += 1;
                }
                if let Some(h) = hi {
                    bytes.push(h << 4);
                }
                i += 1;
                toks.push(Tok::Hex(bytes));
            }
            b'>' => i += 1,
            b'[' => {
                toks.push(Tok::ArrStart);
                i += 1;
            }
            b']' => {
                toks.push(Tok::ArrEnd);
                i += 1;
            }
            b'{' | b'}' => i += 1,
            b'(' => {
                let (s, next) = super::content::parse_literal_string(data, i);
                let _ = s;
                toks.push(Tok::Str);
                i = next;
            }
            b'/' => {
                let start = i + 1;
                i += 1;
                while i < n && !is_delim(data[i]) {
                    i += 1;
                }
                toks.push(Tok::Name(
                    String::from_utf8_lossy(&data[start..i]).into_owned(),
                ));
            }
            _ => {
                let start = i;
                while i < n && !is_delim(data[i]) {
                    i += 1;
                }
                if i == start {
                    i += 1;
                    continue;
                }
                let w = &data[start..i];
                if let Some(v) = std::str::from_utf8(w)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                {
                    toks.push(Tok::Num(v));
                } else {
                    toks.push(Tok::Word(String::from_utf8_lossy(w).into_owned()));
                }
            }
        }
    }
    toks
}

pub fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn code_of(bytes: &[u8]) -> u32 {
    bytes.iter().take(4).fold(0u32, |a, &b| a << 8 | b as u32)
}

fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|c| {
            if c.len() == 2 {
                (c[0] as u16) << 8 | c[1] as u16
            } else {
                c[0] as u16
            }
        })
        .collect()
}

fn utf16_string(bytes: &[u8]) -> String {
    char::decode_utf16(utf16_units(bytes))
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect()
}

/// Text of a bfchar destination given as a glyph name (rare).
fn name_dst(name: &str) -> String {
    super::fonts::glyph_name_to_unicode(name)
        .map(|c| c.to_string())
        .unwrap_or_default()
}

impl CMap {
    pub fn parse(data: &[u8]) -> CMap {
        let toks = tokenize(data);
        let mut cmap = CMap::default();
        let mut i = 0;
        while i < toks.len() {
            let word = match &toks[i] {
                Tok::Word(w) => w.as_str(),
                _ => {
                    i += 1;
                    continue;
                }
            };
            i += 1;
            match word {
                "begincodespacerange" => {
                    while i + 1 < toks.len() {
                        match (&toks[i], &toks[i + 1]) {
                            (Tok::Hex(lo), Tok::Hex(hi)) => {
                                let len = lo.len().clamp(1, 4);
                                let mut r = CodeRange {
                                    len,
                                    lo: [0; 4],
                                    hi: [0xFF; 4],
                                };
                                for k in 0..len {
                                    r.lo[k] = lo.get(k).copied().unwrap_or(0);
                                    r.hi[k] = hi.get(k).copied().unwrap_or(0xFF);
                                }
                                cmap.codespace.push(r);
                                i += 2;
                            }
                            _ => break,
                        }
                    }
                }
                "beginbfchar" => {
                    while i + 1 < toks.len() {
                        match (&toks[i], &toks[i + 1]) {
                            (Tok::Hex(src), Tok::Hex(dst)) => {
                                cmap.single.insert(code_of(src), utf16_string(dst));
                                i += 2;
                            }
                            (Tok::Hex(src), Tok::Name(n)) => {
                                cmap.single.insert(code_of(src), name_dst(n));
                                i += 2;
                            }
                            _ => break,
                        }
                    }
                }
                "beginbfrange" => {
                    while i + 2 < toks.len() {
                        let (lo, hi) = match (&toks[i], &toks[i + 1]) {
                            (Tok::Hex(lo), Tok::Hex(hi)) => (code_of(lo), code_of(hi)),
                            _ => break,
                        };
                        match &toks[i + 2] {
                            Tok::Hex(dst) => {
                                if hi >= lo {
                                    cmap.ranges.push((lo, hi, RangeDst::Base(utf16_units(dst))));
                                }
                                i += 3;
                            }
                            Tok::ArrStart => {
                                let mut j = i + 3;
                                let mut items = Vec::new();
                                while j < toks.len() {
                                    match &toks[j] {
                                        Tok::Hex(d) => items.push(utf16_string(d)),
                                        Tok::Name(n) => items.push(name_dst(n)),
                                        Tok::ArrEnd => break,
                                        _ => {}
                                    }
                                    j += 1;
                                }
                                if hi >= lo {
                                    cmap.ranges.push((lo, hi, RangeDst::Array(items)));
                                }
                                i = j + 1;
                            }
                            _ => break,
                        }
                    }
                }
                "begincidrange" => {
                    while i + 2 < toks.len() {
                        match (&toks[i], &toks[i + 1], &toks[i + 2]) {
                            (Tok::Hex(lo), Tok::Hex(hi), Tok::Num(cid)) => {
                                let (lo, hi) = (code_of(lo), code_of(hi));
                                if hi >= lo && *cid >= 0 {
                                    cmap.cid_ranges.push((lo, hi, *cid as u32));
                                }
                                i += 3;
                            }
                            _ => break,
                        }
                    }
                }
                "begincidchar" => {
                    while i + 1 < toks.len() {
                        match (&toks[i], &toks[i + 1]) {
                            (Tok::Hex(src), Tok::Num(cid)) => {
                                if *cid >= 0 {
                                    cmap.cid_single.insert(code_of(src), *cid as u32);
                                }
                                i += 2;
                            }
                            _ => break,
                        }
                    }
                }
                _ => {}
            }
        }
        // Small ranges with a base destination are expanded for fast lookup.
        let mut kept = Vec::new();
        for (lo, hi, dst) in std::mem::take(&mut cmap.ranges) {
            match &dst {
                RangeDst::Base(units) if hi - lo < 256 => {
                    for code in lo..=hi {
                        cmap.single
                            .entry(code)
                            .or_insert_with(|| range_text(units, code - lo));
                    }
                }
                _ => kept.push((lo, hi, dst)),
            }
        }
        cmap.ranges = kept;
        cmap
    }

    pub fn has_unicode(&self) -> bool {
        !self.single.is_empty() || !self.ranges.is_empty()
    }

    pub fn has_cids(&self) -> bool {
        !self.cid_single.is_empty() || !self.cid_ranges.is_empty()
    }

    /// The text a code maps to, if the map knows it.
    pub fn lookup(&self, code: u32) -> Option<String> {
        if let Some(s) = self.single.get(&code) {
            return Some(s.clone());
        }
        for (lo, hi, dst) in &self.ranges {
            if code >= *lo && code <= *hi {
                let off = code - lo;
                return match dst {
                    RangeDst::Base(units) => Some(range_text(units, off)),
                    RangeDst::Array(items) => items.get(off as usize).cloned(),
                };
            }
        }
        None
    }

    pub fn cid(&self, code: u32) -> Option<u32> {
        if let Some(c) = self.cid_single.get(&code) {
            return Some(*c);
        }
        self.cid_ranges
            .iter()
            .find(|(lo, hi, _)| code >= *lo && code <= *hi)
            .map(|(lo, _, cid)| cid + (code - lo))
    }
}

fn range_text(units: &[u16], off: u32) -> String {
    let mut u = units.to_vec();
    if let Some(last) = u.last_mut() {
        *last = last.wrapping_add(off as u16);
    }
    char::decode_utf16(u)
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect()
}

/// Splits off the next code from `bytes` by the code space ranges; returns its length.
pub fn code_len(ranges: &[CodeRange], bytes: &[u8]) -> usize {
    if ranges.is_empty() {
        return 1;
    }
    for len in 1..=4 {
        if bytes.len() < len {
            break;
        }
        for r in ranges.iter().filter(|r| r.len == len) {
            if (0..len).all(|k| bytes[k] >= r.lo[k] && bytes[k] <= r.hi[k]) {
                return len;
            }
        }
    }
    // No range matches: use the shortest length that exists.
    ranges
        .iter()
        .map(|r| r.len)
        .min()
        .unwrap_or(1)
        .min(bytes.len())
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bfchar_bfrange_and_codespace() {
        let data = b"1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfchar <0001> <4E00> <0002> <D840DC00> endbfchar
2 beginbfrange <0010> <0012> <0041> <0020> <0021> [<0061> <00660069>] endbfrange";
        let c = CMap::parse(data);
        assert_eq!(c.codespace.len(), 1);
        assert_eq!(c.codespace[0].len, 2);
        assert_eq!(c.lookup(1).as_deref(), Some("一"));
        assert_eq!(c.lookup(2).as_deref(), Some("\u{20000}"));
        assert_eq!(c.lookup(0x11).as_deref(), Some("B"));
        assert_eq!(c.lookup(0x21).as_deref(), Some("fi"));
        assert_eq!(c.lookup(0x30), None);
        assert_eq!(code_len(&c.codespace, &[0, 1, 2]), 2);
    }

    #[test]
    fn mixed_codespace_lengths() {
        let c = CMap::parse(b"begincodespacerange <00> <80> <8140> <FEFE> endcodespacerange");
        assert_eq!(code_len(&c.codespace, b"A\x81\x40"), 1);
        assert_eq!(code_len(&c.codespace, b"\x81\x40"), 2);
    }
}
