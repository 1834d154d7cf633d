//! Text normalisation shared by the matcher and the report reader.

/// Folds full-width ASCII forms (ＡＢＣ１２３（）：) and the ideographic space to their
/// half-width equivalents; leaves CJK characters alone.
pub fn fold_width(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

pub fn fold_char(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// The form labels are compared in: width folded, whitespace (incl. NBSP and ideographic
/// space) removed, quotes and bracket styles unified so that `（一）`, `(一)` and `一、`
/// all contain the same words.
pub fn norm_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = fold_char(c);
        if c.is_whitespace() || c == '\u{a0}' || c == '\u{200b}' || c == '\u{feff}' {
            continue;
        }
        match c {
            '“' | '”' | '"' | '\'' | '‘' | '’' | '「' | '」' | '『' | '』' => {}
            '【' | '〔' | '［' => out.push('('),
            '】' | '〕' | '］' => out.push(')'),
            _ => out.push(c),
        }
    }
    out
}

/// The number of CJK ideographs in `s` (the basic block, where report labels live).
pub fn han_count(s: &str) -> usize {
    s.chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count()
}

/// Collapses runs of whitespace to one space and trims.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{a0}' || c == '\u{3000}' {
            pending = !out.is_empty();
        } else {
            if pending {
                out.push(' ');
                pending = false;
            }
            out.push(c);
        }
    }
    out
}

/// Removes every whitespace character.
pub fn strip_ws(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{3000}')
        .collect()
}

/// Value of a Chinese numeral 〇一二…九十百千 (as in 二〇二四 or 二十二), or of ASCII digits.
pub fn chinese_number(s: &str) -> Option<u32> {
    let s = fold_width(s.trim());
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let digit = |c: char| -> Option<u32> {
        Some(match c {
            '〇' | '零' | 'O' | 'o' | '○' => 0,
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    };
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return None;
    }
    // Positional form: 二〇二四 (every char a digit, no 十).
    if chars.len() >= 3 && chars.iter().all(|c| digit(*c).is_some()) {
        return chars
            .iter()
            .try_fold(0u32, |acc, c| Some(acc * 10 + digit(*c)?));
    }
    // Counting form: 二十二, 十一, 三十, 九.
    let mut total = 0u32;
    let mut current = 0u32;
    for c in chars {
        if let Some(d) = digit(c) {
            current = d;
        } else if c == '十' {
            total += if current == 0 { 10 } else { current * 10 };
            current = 0;
        } else if c == '百' {
            total += current * 100;
            current = 0;
        } else {
            return None;
        }
    }
    Some(total + current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_compare_without_width_space_or_quotes() {
        assert_eq!(norm_label("（一） 予以公开"), "(一)予以公开");
        assert_eq!(norm_label("自 然 人"), "自然人");
        assert_eq!(norm_label("3.危及“三安全一稳定”"), "3.危及三安全一稳定");
        assert_eq!(norm_label("１．重复申请"), "1.重复申请");
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(chinese_number("二〇二四"), Some(2024));
        assert_eq!(chinese_number("二十二"), Some(22));
        assert_eq!(chinese_number("十一"), Some(11));
        assert_eq!(chinese_number("九"), Some(9));
        assert_eq!(chinese_number("12"), Some(12));
        assert_eq!(chinese_number("甲"), None);
    }
}
