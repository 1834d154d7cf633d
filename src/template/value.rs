//! Reading one table cell as a number, the way reports print them.

use crate::record::Number;
use crate::text::fold_width;

/// What a cell holds, as far as numbers go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueToken {
    /// A printed number.
    Number(Number),
    /// A printed zero sign: blank, `-`, `/`, `—`, `无`; reads as 0.
    Zero,
    /// Something is printed but could not be read (OCR marks such a cell with U+FFFD):
    /// a value cell without a value, never a number.
    Unreadable,
}

impl ValueToken {
    /// The value, `None` for an unreadable cell.
    pub fn number(self) -> Option<Number> {
        match self {
            ValueToken::Number(n) => Some(n),
            ValueToken::Zero => Some(Number::Int(0)),
            ValueToken::Unreadable => None,
        }
    }

    pub fn is_blank_like(self) -> bool {
        matches!(self, ValueToken::Zero)
    }
}

/// Units sometimes printed after a count or an amount.
const UNITS: &[&str] = &["万元", "元", "件", "个", "项", "条", "次", "宗"];

/// Parses a cell's text as a value: a number (full-width digits, thousands separators,
/// a sign and decimals allowed) or a zero sign. Anything else is `None` (a label).
pub fn parse_value(raw: &str) -> Option<ValueToken> {
    let folded = fold_width(raw);
    let s: String = folded
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{200b}')
        .collect();
    if s.is_empty() {
        return Some(ValueToken::Zero);
    }
    if s.contains('\u{FFFD}')
        && s.chars()
            .all(|c| c == '\u{FFFD}' || c.is_ascii_digit() || matches!(c, '.' | ',' | '-'))
    {
        return Some(ValueToken::Unreadable);
    }
    if s.chars()
        .all(|c| matches!(c, '-' | '—' | '–' | '－' | '/' | '\\' | '一' | '─' | '━'))
        && s.chars().count() <= 3
    {
        // 一 here only when it stands alone as a dash-like mark within a run of dashes.
        if s == "一" {
            return None;
        }
        return Some(ValueToken::Zero);
    }
    if s == "无" {
        return Some(ValueToken::Zero);
    }
    let mut body = s.as_str();
    for unit in UNITS {
        if let Some(b) = body.strip_suffix(unit) {
            body = b;
            break;
        }
    }
    let body = body.replace([',', '，'], "");
    let (neg, digits) = match body.chars().next() {
        Some('-') | Some('−') => (true, &body[body.char_indices().nth(1)?.0..]),
        Some('+') => (false, &body[1..]),
        _ => (false, body.as_str()),
    };
    if digits.is_empty()
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        || digits.starts_with('.')
        || digits.ends_with('.')
        || digits.matches('.').count() > 1
    {
        return None;
    }
    if digits.contains('.') {
        let v: f64 = digits.parse().ok()?;
        Some(ValueToken::Number(Number::Dec(if neg { -v } else { v })))
    } else {
        if digits.len() > 15 {
            return None;
        }
        let v: i64 = digits.parse().ok()?;
        Some(ValueToken::Number(Number::Int(if neg { -v } else { v })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_numbers_and_zero_signs() {
        assert_eq!(parse_value("12"), Some(ValueToken::Number(Number::Int(12))));
        assert_eq!(
            parse_value("１２"),
            Some(ValueToken::Number(Number::Int(12)))
        );
        assert_eq!(parse_value(" 0 "), Some(ValueToken::Number(Number::Int(0))));
        assert_eq!(parse_value("-3"), Some(ValueToken::Number(Number::Int(-3))));
        assert_eq!(
            parse_value("－3"),
            Some(ValueToken::Number(Number::Int(-3)))
        );
        assert_eq!(
            parse_value("3.5"),
            Some(ValueToken::Number(Number::Dec(3.5)))
        );
        assert_eq!(
            parse_value("1,234"),
            Some(ValueToken::Number(Number::Int(1234)))
        );
        assert_eq!(parse_value(""), Some(ValueToken::Zero));
        assert_eq!(parse_value("—"), Some(ValueToken::Zero));
        assert_eq!(parse_value("--"), Some(ValueToken::Zero));
        assert_eq!(parse_value("/"), Some(ValueToken::Zero));
        assert_eq!(parse_value("\u{a0}"), Some(ValueToken::Zero));
        assert_eq!(parse_value("自然人"), None);
        assert_eq!(parse_value("1.属于国家秘密"), None);
        assert_eq!(parse_value("一"), None);
        assert_eq!(parse_value("1."), None);
    }
}
