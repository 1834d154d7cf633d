//! Fonts: how a shown string splits into codes, what text each code stands for and how
//! far each glyph advances.

use super::cmap::{code_len, CMap, CodeRange};
use super::objects::{deref, dict_get, name_of, num_of, stream_bytes};
use lopdf::{Dictionary, Document, Object};

/// How the bytes of a string split into codes.
#[derive(Debug, Clone)]
enum Codes {
    One,
    Two,
    /// UTF-16BE: 2 bytes, 4 for a surrogate pair.
    Utf16,
    /// Legacy double-byte encodings: a lead byte ≥ 0x81 starts a 2-byte code.
    DoubleByte,
    Ranges(Vec<CodeRange>),
}

/// Where text comes from when there is no ToUnicode entry for a code.
#[derive(Debug, Clone)]
enum Fallback {
    /// Simple font: a 256-entry table from its encoding.
    Table(Box<[Option<char>; 256]>),
    /// Codes are UCS-2 / UTF-16 code units.
    Unicode,
    /// Codes are bytes of a legacy encoding (GBK, Big5, Shift_JIS, EUC-KR).
    Legacy(&'static encoding_rs::Encoding),
    None,
}

/// How a code finds its CID for the width lookup of a composite font.
#[derive(Debug, Clone)]
enum CidOf {
    Identity,
    /// A predefined Unicode or legacy CMap over an Adobe CJK collection: ASCII maps to
    /// the proportional Roman CIDs 1..=95, everything else uses the default width.
    AsciiRoman,
    Map(Box<CMap>),
}

#[derive(Debug, Clone)]
enum Widths {
    Simple {
        first: u32,
        widths: Vec<f32>,
        missing: f32,
    },
    Cid {
        /// (first CID, last CID, width), sorted by first CID.
        ranges: Vec<(u32, u32, f32)>,
        default: f32,
        cid_of: CidOf,
    },
}

#[derive(Debug, Clone)]
pub struct Font {
    codes: Codes,
    to_unicode: Option<CMap>,
    fallback: Fallback,
    widths: Widths,
    /// Glyph space to text space (1/1000, or a Type 3 font's FontMatrix).
    scale: f32,
}

/// One code of a shown string.
pub struct Code {
    pub code: u32,
    pub len: usize,
}

impl Font {
    /// A font that maps nothing; used when a font resource is missing or unreadable.
    pub fn unknown() -> Font {
        Font {
            codes: Codes::One,
            to_unicode: None,
            fallback: Fallback::None,
            widths: Widths::Simple {
                first: 0,
                widths: Vec::new(),
                missing: 500.0,
            },
            scale: 0.001,
        }
    }

    pub fn load(doc: &Document, dict: &Dictionary) -> Font {
        let subtype = dict_get(doc, dict, b"Subtype")
            .and_then(name_of)
            .unwrap_or(b"");
        let to_unicode = dict_get(doc, dict, b"ToUnicode")
            .and_then(|o| stream_bytes(doc, o))
            .map(|d| CMap::parse(&d))
            .filter(|c| c.has_unicode() || !c.codespace.is_empty());
        if subtype == b"Type0" {
            Font::load_composite(doc, dict, to_unicode)
        } else {
            Font::load_simple(doc, dict, subtype == b"Type3", to_unicode)
        }
    }

    fn load_simple(
        doc: &Document,
        dict: &Dictionary,
        type3: bool,
        to_unicode: Option<CMap>,
    ) -> Font {
        let base_font = dict_get(doc, dict, b"BaseFont")
            .and_then(name_of)
            .unwrap_or(b"");
        let truetype = dict_get(doc, dict, b"Subtype").and_then(name_of) == Some(b"TrueType");
        let mut table: [Option<char>; 256] = if truetype { win_ansi() } else { standard() };
        if is_symbolic_name(base_font) {
            table = [None; 256];
        }
        match dict_get(doc, dict, b"Encoding") {
            Some(Object::Name(n)) => {
                if let Some(t) = named_encoding(n) {
                    table = t;
                }
            }
            Some(Object::Dictionary(enc)) => {
                if let Some(t) = dict_get(doc, enc, b"BaseEncoding")
                    .and_then(name_of)
                    .and_then(named_encoding)
                {
                    table = t;
                }
                if let Some(Object::Array(diffs)) = dict_get(doc, enc, b"Differences") {
                    let mut code: i64 = 0;
                    for item in diffs {
                        match deref(doc, item) {
                            Some(Object::Integer(i)) => code = *i,
                            Some(Object::Real(r)) => code = *r as i64,
                            Some(Object::Name(n)) => {
                                if (0..256).contains(&code) {
                                    table[code as usize] =
                                        std::str::from_utf8(n).ok().and_then(glyph_name_to_unicode);
                                }
                                code += 1;
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
        let first = dict_get(doc, dict, b"FirstChar")
            .and_then(num_of)
            .unwrap_or(0.0)
            .max(0.0) as u32;
        let widths: Vec<f32> = match dict_get(doc, dict, b"Widths") {
            Some(Object::Array(a)) => a
                .iter()
                .take(65536)
                .map(|o| deref(doc, o).and_then(num_of).unwrap_or(0.0))
                .collect(),
            _ => Vec::new(),
        };
        let missing = dict_get(doc, dict, b"FontDescriptor")
            .and_then(|o| o.as_dict().ok())
            .and_then(|fd| dict_get(doc, fd, b"MissingWidth"))
            .and_then(num_of)
            .filter(|w| *w > 0.0)
            .unwrap_or(if widths.is_empty() { 500.0 } else { 0.0 });
        let mut scale = 0.001;
        if type3 {
            if let Some(Object::Array(m)) = dict_get(doc, dict, b"FontMatrix") {
                if let Some(a) = m.first().and_then(|o| deref(doc, o)).and_then(num_of) {
                    if a.is_finite() && a.abs() > 1e-6 && a.abs() < 10.0 {
                        scale = a.abs();
                    }
                }
            }
        }
        let codes = Codes::One;
        Font {
            codes,
            to_unicode,
            fallback: Fallback::Table(Box::new(table)),
            widths: Widths::Simple {
                first,
                widths,
                missing,
            },
            scale,
        }
    }

    fn load_composite(doc: &Document, dict: &Dictionary, to_unicode: Option<CMap>) -> Font {
        let descendant = match dict_get(doc, dict, b"DescendantFonts") {
            Some(Object::Array(a)) => a
                .first()
                .and_then(|o| deref(doc, o))
                .and_then(|o| o.as_dict().ok()),
            Some(Object::Dictionary(d)) => Some(d),
            _ => None,
        };
        let ordering = descendant
            .and_then(|d| dict_get(doc, d, b"CIDSystemInfo"))
            .and_then(|o| o.as_dict().ok())
            .and_then(|si| dict_get(doc, si, b"Ordering"))
            .and_then(|o| match o {
                Object::String(s, _) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let (codes, fallback, cid_of) = match dict_get(doc, dict, b"Encoding") {
            Some(Object::Name(n)) => predefined_cmap(n, &ordering),
            Some(o @ Object::Stream(_)) => match stream_bytes(doc, o) {
                Some(data) => {
                    let cmap = CMap::parse(&data);
                    let codes = if cmap.codespace.is_empty() {
                        Codes::Two
                    } else {
                        Codes::Ranges(cmap.codespace.clone())
                    };
                    (codes, Fallback::None, CidOf::Map(Box::new(cmap)))
                }
                None => (Codes::Two, Fallback::None, CidOf::Identity),
            },
            _ => (Codes::Two, Fallback::None, CidOf::Identity),
        };
        let default = descendant
            .and_then(|d| dict_get(doc, d, b"DW"))
            .and_then(num_of)
            .unwrap_or(1000.0);
        let mut ranges = Vec::new();
        if let Some(Object::Array(w)) = descendant.and_then(|d| dict_get(doc, d, b"W")) {
            let items: Vec<&Object> = w.iter().filter_map(|o| deref(doc, o)).collect();
            let mut i = 0;
            while i < items.len() && ranges.len() < 200_000 {
                let first = match num_of(items[i]) {
                    Some(f) if f >= 0.0 => f as u32,
                    _ => {
                        i += 1;
                        continue;
                    }
                };
                match items.get(i + 1) {
                    Some(Object::Array(ws)) => {
                        for (k, wo) in ws.iter().enumerate().take(65536) {
                            if let Some(wv) = deref(doc, wo).and_then(num_of) {
                                ranges.push((first + k as u32, first + k as u32, wv));
                            }
                        }
                        i += 2;
                    }
                    Some(o) => {
                        let last = num_of(o).unwrap_or(-1.0);
                        let wv = items.get(i + 2).and_then(|o| num_of(o));
                        if let (true, Some(wv)) = (last >= first as f32, wv) {
                            ranges.push((first, last as u32, wv));
                        }
                        i += 3;
                    }
                    None => break,
                }
            }
        }
        ranges.sort_by_key(|r| r.0);
        // Without an encoding of its own, the ToUnicode code space says how codes split.
        let codes = match (&codes, &to_unicode) {
            (Codes::Two, Some(tu))
                if !tu.codespace.is_empty() && !matches!(cid_of, CidOf::Identity) =>
            {
                Codes::Ranges(tu.codespace.clone())
            }
            _ => codes,
        };
        Font {
            codes,
            to_unicode,
            fallback,
            widths: Widths::Cid {
                ranges,
                default,
                cid_of,
            },
            scale: 0.001,
        }
    }

    /// Splits a shown string into codes.
    pub fn codes(&self, bytes: &[u8], out: &mut Vec<Code>) {
        out.clear();
        let mut i = 0;
        while i < bytes.len() {
            let rest = &bytes[i..];
            let len = match &self.codes {
                Codes::One => 1,
                Codes::Two => 2,
                Codes::Utf16 => {
                    if rest.len() >= 4 && (0xD8..=0xDB).contains(&rest[0]) {
                        4
                    } else {
                        2
                    }
                }
                Codes::DoubleByte => {
                    if rest[0] >= 0x81 && rest[0] != 0xFF {
                        2
                    } else {
                        1
                    }
                }
                Codes::Ranges(r) => code_len(r, rest),
            }
            .min(rest.len())
            .max(1);
            let code = rest[..len].iter().fold(0u32, |a, &b| a << 8 | b as u32);
            out.push(Code { code, len });
            i += len;
        }
    }

    /// The text of a code, U+FFFD when it cannot be known.
    pub fn text(&self, c: &Code, out: &mut String) {
        if let Some(tu) = &self.to_unicode {
            if let Some(s) = tu.lookup(c.code) {
                if !s.is_empty() && !s.contains('\0') {
                    out.push_str(&s);
                    return;
                }
            }
        }
        match &self.fallback {
            Fallback::Table(t) => {
                let ch = t.get(c.code as usize).copied().flatten();
                out.push(ch.unwrap_or('\u{FFFD}'));
            }
            Fallback::Unicode => {
                let units: Vec<u16> = if c.len == 4 {
                    vec![(c.code >> 16) as u16, c.code as u16]
                } else {
                    vec![c.code as u16]
                };
                for r in char::decode_utf16(units) {
                    out.push(r.unwrap_or('\u{FFFD}'));
                }
            }
            Fallback::Legacy(enc) => {
                let bytes: Vec<u8> = if c.len == 2 {
                    vec![(c.code >> 8) as u8, c.code as u8]
                } else {
                    vec![c.code as u8]
                };
                let (s, _) = enc.decode_without_bom_handling(&bytes);
                out.push_str(&s);
            }
            Fallback::None => out.push('\u{FFFD}'),
        }
    }

    /// Advance of a code in text space units (before font size scaling).
    pub fn width(&self, c: &Code, text: &str) -> f32 {
        let w = match &self.widths {
            Widths::Simple {
                first,
                widths,
                missing,
            } => {
                if c.code >= *first {
                    widths
                        .get((c.code - first) as usize)
                        .copied()
                        .unwrap_or(*missing)
                } else {
                    *missing
                }
            }
            Widths::Cid {
                ranges,
                default,
                cid_of,
            } => {
                let cid = match cid_of {
                    CidOf::Identity => Some(c.code),
                    CidOf::Map(m) => m.cid(c.code),
                    CidOf::AsciiRoman => {
                        let mut chars = text.chars();
                        match (chars.next(), chars.next()) {
                            (Some(ch), None) if (' '..='~').contains(&ch) => Some(ch as u32 - 0x1F),
                            _ => None,
                        }
                    }
                };
                match cid {
                    Some(cid) => {
                        let idx = ranges.partition_point(|r| r.0 <= cid);
                        if idx > 0 && ranges[idx - 1].1 >= cid {
                            ranges[idx - 1].2
                        } else {
                            *default
                        }
                    }
                    None => *default,
                }
            }
        };
        let w = if w.is_finite() { w } else { 0.0 };
        w * self.scale
    }
}

fn predefined_cmap(name: &[u8], _ordering: &[u8]) -> (Codes, Fallback, CidOf) {
    let n = String::from_utf8_lossy(name);
    let n = n.as_ref();
    if n == "Identity-H" || n == "Identity-V" {
        return (Codes::Two, Fallback::None, CidOf::Identity);
    }
    if n.contains("UCS2") {
        return (Codes::Two, Fallback::Unicode, CidOf::AsciiRoman);
    }
    if n.contains("UTF16") {
        return (Codes::Utf16, Fallback::Unicode, CidOf::AsciiRoman);
    }
    let legacy = if n.starts_with("GB") {
        Some(encoding_rs::GBK)
    } else if n.starts_with("B5") || n.starts_with("ETen") || n.starts_with("HKscs") {
        Some(encoding_rs::BIG5)
    } else if n.starts_with("90ms") || n.starts_with("90pv") || n.contains("RKSJ") {
        Some(encoding_rs::SHIFT_JIS)
    } else if n.starts_with("KSC") {
        Some(encoding_rs::EUC_KR)
    } else if n.starts_with("EUC") {
        Some(encoding_rs::EUC_JP)
    } else {
        None
    };
    match legacy {
        Some(enc) => (Codes::DoubleByte, Fallback::Legacy(enc), CidOf::AsciiRoman),
        None => (Codes::Two, Fallback::None, CidOf::Identity),
    }
}

fn is_symbolic_name(base: &[u8]) -> bool {
    let b = String::from_utf8_lossy(base);
    b.contains("Symbol") || b.contains("Dingbats") || b.contains("Wingdings")
}

fn latin1() -> [Option<char>; 256] {
    let mut t = [None; 256];
    for (i, slot) in t.iter_mut().enumerate() {
        if (0x20..0x7F).contains(&i) || i >= 0xA0 {
            *slot = char::from_u32(i as u32);
        }
    }
    t
}

fn standard() -> [Option<char>; 256] {
    let mut t = latin1();
    t[0x27] = Some('\u{2019}');
    t[0x60] = Some('\u{2018}');
    t
}

const WIN_ANSI_80: [u32; 32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
    0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
];

fn win_ansi() -> [Option<char>; 256] {
    let mut t = latin1();
    for (k, &u) in WIN_ANSI_80.iter().enumerate() {
        t[0x80 + k] = if u == 0 { None } else { char::from_u32(u) };
    }
    t
}

fn named_encoding(name: &[u8]) -> Option<[Option<char>; 256]> {
    match name {
        b"WinAnsiEncoding" => Some(win_ansi()),
        b"StandardEncoding" => Some(standard()),
        // Mac Roman's upper half is rare in these reports; Latin-1 stands in for it.
        b"MacRomanEncoding" | b"MacExpertEncoding" | b"PDFDocEncoding" => Some(latin1()),
        _ => None,
    }
}

/// Unicode for an Adobe glyph name: uniXXXX, uXXXX[XX], and the common Latin names.
pub fn glyph_name_to_unicode(name: &str) -> Option<char> {
    let base = name.split('.').next().unwrap_or(name);
    if let Some(hex) = base.strip_prefix("uni") {
        if hex.len() >= 4 {
            return u32::from_str_radix(&hex[..4], 16)
                .ok()
                .and_then(char::from_u32);
        }
    }
    if let Some(hex) = base.strip_prefix('u') {
        if (4..=6).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
        }
    }
    if base.len() == 1 {
        let c = base.chars().next()?;
        if c.is_ascii_alphabetic() {
            return Some(c);
        }
    }
    let c = match base {
        "space" | "nbspace" | "uni00A0" => ' ',
        "zero" => '0',
        "one" => '1',
        "two" => '2',
        "three" => '3',
        "four" => '4',
        "five" => '5',
        "six" => '6',
        "seven" => '7',
        "eight" => '8',
        "nine" => '9',
        "exclam" => '!',
        "quotedbl" => '"',
        "numbersign" => '#',
        "dollar" => '$',
        "percent" => '%',
        "ampersand" => '&',
        "quotesingle" => '\'',
        "parenleft" => '(',
        "parenright" => ')',
        "asterisk" => '*',
        "plus" => '+',
        "comma" => ',',
        "hyphen" | "minus" => '-',
        "period" => '.',
        "slash" => '/',
        "colon" => ':',
        "semicolon" => ';',
        "less" => '<',
        "equal" => '=',
        "greater" => '>',
        "question" => '?',
        "at" => '@',
        "bracketleft" => '[',
        "backslash" => '\\',
        "bracketright" => ']',
        "asciicircum" => '^',
        "underscore" => '_',
        "grave" => '`',
        "braceleft" => '{',
        "bar" => '|',
        "braceright" => '}',
        "asciitilde" => '~',
        "quoteleft" => '\u{2018}',
        "quoteright" => '\u{2019}',
        "quotedblleft" => '\u{201C}',
        "quotedblright" => '\u{201D}',
        "bullet" => '\u{2022}',
        "endash" => '\u{2013}',
        "emdash" => '\u{2014}',
        "ellipsis" => '\u{2026}',
        "periodcentered" | "middot" => '\u{00B7}',
        "degree" => '\u{00B0}',
        "yen" => '\u{00A5}',
        "section" => '\u{00A7}',
        "multiply" => '\u{00D7}',
        "divide" => '\u{00F7}',
        _ => return None,
    };
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyph_names() {
        assert_eq!(glyph_name_to_unicode("uni4E00"), Some('一'));
        assert_eq!(glyph_name_to_unicode("u20000"), Some('\u{20000}'));
        assert_eq!(glyph_name_to_unicode("space"), Some(' '));
        assert_eq!(glyph_name_to_unicode("zero"), Some('0'));
        assert_eq!(glyph_name_to_unicode("g123"), None);
    }

    #[test]
    fn gbk_codes_split_and_decode() {
        let (codes, fallback, cid_of) = predefined_cmap(b"GBK-EUC-H", b"GB1");
        let font = Font {
            codes,
            to_unicode: None,
            fallback,
            widths: Widths::Cid {
                ranges: vec![],
                default: 1000.0,
                cid_of,
            },
            scale: 0.001,
        };
        let mut out = Vec::new();
        font.codes(b"1\xd2\xbb", &mut out);
        assert_eq!(out.len(), 2);
        let mut s = String::new();
        for c in &out {
            font.text(c, &mut s);
        }
        assert_eq!(s, "1一");
    }

    #[test]
    fn ucs2_codes_are_unicode() {
        let (codes, fallback, cid_of) = predefined_cmap(b"UniGB-UCS2-H", b"GB1");
        let font = Font {
            codes,
            to_unicode: None,
            fallback,
            widths: Widths::Cid {
                ranges: vec![(1, 1, 207.0)],
                default: 1000.0,
                cid_of,
            },
            scale: 0.001,
        };
        let mut out = Vec::new();
        font.codes(b"\x4e\x00\x00\x20", &mut out);
        let mut s = String::new();
        for c in &out {
            font.text(c, &mut s);
        }
        assert_eq!(s, "一 ");
        assert!((font.width(&out[1], " ") - 0.207).abs() < 1e-6);
        assert!((font.width(&out[0], "一") - 1.0).abs() < 1e-6);
    }
}
