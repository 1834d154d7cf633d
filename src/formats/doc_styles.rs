//! The style sheet of a Word 97-2003 `.doc` ([MS-DOC] 2.9.271 STSH): which paragraph
//! styles are headings, so that a `.doc` paragraph in 标题 1 / Heading 1 becomes a heading
//! block as it does in a DOCX.
//!
//! A style is a heading of level n when it is one of Word's built-in heading styles (its
//! `sti` is n, whatever the language of its name), when its name says so (`标题 2`,
//! `heading 2`, as DOCX style names are read), or when the style it is based on is one.

use super::docx::heading_number;

/// Styles past this many are not read (an istd is 12 bits).
const MAX_STYLES: usize = 0x0FFE;
/// Steps followed up a chain of based-on styles.
const MAX_BASE_DEPTH: usize = 16;
/// "No style": the istdBase of a style that is based on none.
const ISTD_NIL: u16 = 0x0FFF;

/// What each style index says: its own heading level, if any, and its base style.
#[derive(Debug, Default)]
pub struct HeadingStyles {
    styles: Vec<Option<(Option<u8>, u16)>>,
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

impl HeadingStyles {
    /// Reads the STSH at `fc`, `lcb` bytes long, of the table stream; a damaged or missing
    /// style sheet gives no headings.
    pub fn parse(table: &[u8], fc: u32, lcb: u32) -> HeadingStyles {
        let start = fc as usize;
        let Some(stsh) = start
            .checked_add(lcb as usize)
            .and_then(|end| table.get(start..end))
        else {
            return HeadingStyles::default();
        };
        Self::parse_stsh(stsh).unwrap_or_default()
    }

    fn parse_stsh(stsh: &[u8]) -> Option<HeadingStyles> {
        let cb_stshi = u16_at(stsh, 0)? as usize;
        let cstd = (u16_at(stsh, 2)? as usize).min(MAX_STYLES);
        // Where a style's name starts: after its fixed part, as long as the file says.
        let cb_base = u16_at(stsh, 4)? as usize;
        let mut styles = Vec::with_capacity(cstd);
        let mut p = 2 + cb_stshi;
        for _ in 0..cstd {
            let Some(cb) = u16_at(stsh, p) else {
                break;
            };
            let std = stsh.get(p + 2..p + 2 + cb as usize);
            p += 2 + cb as usize;
            styles.push(
                std.filter(|s| !s.is_empty())
                    .and_then(|s| style(s, cb_base)),
            );
        }
        Some(HeadingStyles { styles })
    }

    /// The heading level of paragraph style `istd`, following its base styles.
    pub fn level(&self, istd: u16) -> Option<u8> {
        let mut istd = istd;
        for _ in 0..MAX_BASE_DEPTH {
            let (own, base) = (*self.styles.get(istd as usize)?)?;
            if own.is_some() {
                return own;
            }
            if base == ISTD_NIL {
                return None;
            }
            istd = base;
        }
        None
    }
}

/// One style's own heading level and its base, from its STD.
fn style(std: &[u8], cb_base: usize) -> Option<(Option<u8>, u16)> {
    let sti = u16_at(std, 0)? & 0x0FFF;
    let base = u16_at(std, 2)? >> 4;
    let by_sti = (1..=9).contains(&sti).then_some(sti as u8);
    let name = u16_at(std, cb_base).and_then(|cch| {
        let from = cb_base + 2;
        let units: Vec<u16> = std
            .get(from..from + 2 * cch as usize)?
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    });
    Some((
        by_sti.or_else(|| name.as_deref().and_then(heading_number)),
        base,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An STSH of the given styles (sti, base, name) with a 10-byte fixed part.
    fn stsh(styles: &[(u16, u16, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        let stshi: [u16; 3] = [styles.len() as u16, 10, 0];
        out.extend_from_slice(&6u16.to_le_bytes());
        for v in stshi {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for (sti, base, name) in styles {
            let units: Vec<u16> = name.encode_utf16().collect();
            let mut std = Vec::new();
            std.extend_from_slice(&sti.to_le_bytes());
            std.extend_from_slice(&((base << 4) | 1).to_le_bytes());
            std.extend_from_slice(&[0u8; 6]);
            std.extend_from_slice(&(units.len() as u16).to_le_bytes());
            for u in units {
                std.extend_from_slice(&u.to_le_bytes());
            }
            std.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(std.len() as u16).to_le_bytes());
            out.extend_from_slice(&std);
        }
        out
    }

    #[test]
    fn headings_by_built_in_style_by_name_and_by_base() {
        let bytes = stsh(&[
            (0, ISTD_NIL, "Normal"),
            (1, 0, "标题 1"),
            (2, 0, "Überschrift 2"),
            (4094, 0, "标题 3"),
            (4094, 1, "报告大标题"),
            (4094, 0, "正文缩进"),
        ]);
        let styles = HeadingStyles::parse(&bytes, 0, bytes.len() as u32);
        let levels: Vec<Option<u8>> = (0..7).map(|i| styles.level(i)).collect();
        assert_eq!(
            levels,
            [None, Some(1), Some(2), Some(3), Some(1), None, None]
        );
    }

    #[test]
    fn a_damaged_style_sheet_gives_no_headings() {
        let bytes = stsh(&[(0, ISTD_NIL, "Normal"), (1, 0, "Heading 1")]);
        assert_eq!(
            HeadingStyles::parse(&bytes, 0, bytes.len() as u32).level(1),
            Some(1)
        );
        for cut in 0..bytes.len() {
            let styles = HeadingStyles::parse(&bytes[..cut], 0, cut as u32);
            assert_eq!(styles.level(1), None, "cut at {cut}");
        }
        // A style sheet said to run past its stream is not read.
        assert_eq!(HeadingStyles::parse(&bytes, 5, u32::MAX).level(1), None);
        // A style based on itself does not loop.
        let looped = stsh(&[(4094, 0, "a")]);
        let styles = HeadingStyles::parse(&looped, 0, looped.len() as u32);
        assert_eq!(styles.level(0), None);
    }
}
