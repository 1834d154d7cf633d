//! What the report's text says: title, agency, year, publication date, contact, the six
//! sections and the numbers stated in them (facts).

use crate::document::{Block, Document};
use crate::record::{Contact, Facts, Section};
use crate::text::{chinese_number, collapse_ws, fold_width, strip_ws};
use once_cell::sync::Lazy;
use regex::Regex;

fn re(s: &str) -> Regex {
    Regex::new(s).unwrap_or_else(|e| unreachable!("static regex {s}: {e}"))
}

/// Metadata read from the text.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub title: Option<String>,
    pub agency: Option<String>,
    pub year: Option<i32>,
    pub published: Option<String>,
    pub contact: Option<Contact>,
    /// Why a value read by OCR was left out or is in doubt (the record's errors).
    pub doubts: Vec<String>,
}

/// Running text of the document (headings and paragraphs, not tables), one entry a block.
pub fn text_blocks(doc: &Document) -> Vec<&str> {
    doc.blocks.iter().filter_map(Block::text).collect()
}

const YEAR_DIGITS: &str = r"((?:19|20)\d{2}|[〇零○O一二三四五六七八九]{4})";

static TITLE: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"^(.*?){YEAR_DIGITS}年度?(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:报告|年报)"
    ))
});

/// True when a line reads as the report's title (or its second half).
pub fn is_title_line(s: &str) -> bool {
    let s = strip_ws(s);
    (s.contains("信息公开")
        && (s.contains("年度报告") || s.contains("年报") || s.contains("工作报告")))
        || (s.contains("年度报告") && s.chars().count() <= 30)
}

/// Finds the title: the first lines of the document, joined while they build up to one
/// that ends the title (agency and year are often on separate lines).
fn find_title(doc: &Document) -> Option<String> {
    let blocks = text_blocks(doc);
    for (i, b) in blocks.iter().enumerate().take(25) {
        // The end of a wrapped title alone on the next line ("…工作年度" / "报告").
        let tail = blocks
            .get(i + 1)
            .map(|n| strip_ws(n))
            .filter(|n| n.chars().count() <= 4 && !is_title_line(b))
            .filter(|n| is_title_line(&(strip_ws(b) + n)))
            .unwrap_or_default();
        if (is_title_line(b) || !tail.is_empty()) && strip_ws(b).chars().count() <= 80 {
            let mut title = strip_ws(b) + &tail;
            // A title split over lines: prepend up to two short lines above it.
            let mut j = i;
            while j > 0 && i - j < 2 {
                let prev = strip_ws(blocks[j - 1]);
                let n = prev.chars().count();
                if n == 0 || n > 40 || prev.contains('。') || prev.contains('：') {
                    break;
                }
                if TITLE.captures(&title).is_some_and(|c| !c[1].is_empty()) {
                    break;
                }
                title = prev + &title;
                j -= 1;
            }
            return Some(title);
        }
    }
    None
}

/// A title read by OCR whose last character, wrapped alone onto the next line, was
/// misread or lost (…工作年度报 / 告): the line that ends in 信息公开…年度报, completed.
fn ocr_title_cut_short(blocks: &[&str]) -> Option<String> {
    blocks.iter().take(6).find_map(|b| {
        let s = strip_ws(b);
        (s.contains("信息公开") && s.ends_with("年度报") && s.chars().count() <= 80)
            .then(|| s + "告")
    })
}

fn year_value(s: &str) -> Option<i32> {
    chinese_number(s)
        .map(|v| v as i32)
        .filter(|y| (1990..=2100).contains(y))
}

fn clean_agency(s: &str) -> Option<String> {
    // Punctuation never begins or ends a name; OCR adds stray quotes, dots and dashes
    // from specks (a closing bracket is part of a name, as in XX局（XX办）).
    let mut a =
        s.trim_matches(|c: char| c.is_whitespace() || "：:，,、“”\"'‘’.。·`~-—_…|".contains(c));
    for suffix in ["关于", "的"] {
        a = a.strip_suffix(suffix).unwrap_or(a);
    }
    // Stray site or column names before the agency are not part of it.
    (a.chars().count() >= 2 && a.chars().count() <= 40).then(|| a.to_string())
}

/// The agency when the title does not name it: "请与XX联系" or the signature above the date.
fn agency_from_text(blocks: &[&str]) -> Option<String> {
    static CONTACT: Lazy<Regex> = Lazy::new(|| re(r"请与([^，。（(）)；]{2,40}?)(?:办公室)?联系"));
    for b in blocks.iter().take(15) {
        if let Some(c) = CONTACT.captures(&strip_ws(b)) {
            return clean_agency(&c[1]);
        }
    }
    None
}

static DATE: Lazy<Regex> = Lazy::new(|| {
    re(&format!(
        r"{YEAR_DIGITS}\s*年\s*([0-9]{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月\s*([0-9]{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*日"
    ))
});

/// A date read by OCR with one of its markers misread (年 as 和平, 月 as 有): the year's
/// four digits, the month and the day framed by the other markers and 日. Only one
/// marker may be replaced, by Han characters that are no numerals.
static LOOSE_DATE: Lazy<Regex> = Lazy::new(|| {
    let not_numeral = r"[\p{Han}&&[^〇零○一二三四五六七八九十年月日]]";
    let num = r"([0-9]{1,2}|[一二三四五六七八九十]{1,3})";
    re(&format!(
        r"{YEAR_DIGITS}(年|{not_numeral}{{1,2}}){num}(月|{not_numeral}){num}日"
    ))
});

/// A line read by OCR without the specks and stray marks it adds between the glyphs of
/// a date (二@〇二四年): everything but Han characters and digits.
fn ocr_clean(line: &str) -> String {
    fold_width(line)
        .chars()
        .filter(|c| c.is_ascii_digit() || ('\u{3007}'..='\u{9fff}').contains(c))
        .collect()
}

/// True when a line holds a date (年月日, Arabic or Chinese numerals).
pub fn has_date(line: &str) -> bool {
    DATE.is_match(&fold_width(&strip_ws(line)))
}

/// Joins the readings of a date line that did not agree on one date (the OCR stage
/// writes them so; the line is the date line, its date is left out): U+FFFD, the
/// replacement character.
pub const DISPUTED: char = '\u{FFFD}';

/// True when a line read by OCR holds a date, maybe with one marker misread, or is a
/// date line whose readings disagreed.
pub fn has_ocr_date(line: &str) -> bool {
    line.contains(DISPUTED) || has_date(line) || loose_date(line).is_some()
}

/// (year, month, day) of one reading of a date line by OCR: the date with its markers,
/// or with one of them misread ([`LOOSE_DATE`]); the marks chi_sim reads damaged
/// Chinese numerals as (〇 as O or D, 一 as a dash, 二 as an equals sign) are taken for
/// them.
pub fn ocr_date(line: &str) -> Option<(i32, u32, u32)> {
    let line: String = fold_width(line)
        .chars()
        .map(|c| match c {
            'O' | 'o' | 'D' | '○' => '〇',
            '-' | '—' | '_' => '一',
            '=' => '二',
            c => c,
        })
        .collect();
    let s = ocr_clean(&line);
    if let Some(c) = DATE.captures(&s) {
        let (y, m, d) = (
            year_value(&c[1])?,
            chinese_number(&c[2])?,
            chinese_number(&c[3])?,
        );
        return ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d));
    }
    loose_date(&s)
}

/// (year, month, day) of a line read by OCR, by [`LOOSE_DATE`].
fn loose_date(line: &str) -> Option<(i32, u32, u32)> {
    let s = ocr_clean(line);
    let c = LOOSE_DATE.captures(&s)?;
    let exact = usize::from(&c[2] == "年") + usize::from(&c[4] == "月");
    if exact < 1 {
        return None;
    }
    let (y, m, d) = (
        year_value(&c[1])?,
        chinese_number(&c[3])?,
        chinese_number(&c[5])?,
    );
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// The date printed at the end of the report (the signature line), if any.
fn find_published(blocks: &[&str]) -> Option<String> {
    // Web pages end with share bars, site footers and link lists after the signature.
    for b in blocks.iter().rev().take(30) {
        let s = fold_width(&strip_ws(b));
        // A date line whose readings disagreed holds no date, whatever one reading says.
        if s.chars().count() > 60 || s.contains(DISPUTED) {
            continue;
        }
        let Some(c) = DATE.captures(&s) else { continue };
        // Only a line that is the date, maybe with the agency before it: not a labelled
        // date such as 发布时间：… or 更新日期：… of the page around the report.
        let (start, end) = c.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0));
        let before = &s[..start];
        let rest_after = &s[end..];
        if rest_after.chars().count() > 2
            || before.contains([':', '：'])
            || before.ends_with("于")
            || before.contains("时间")
            || before.contains("日期")
        {
            continue;
        }
        let y = year_value(&c[1])?;
        let m = chinese_number(&c[2])?;
        let d = chinese_number(&c[3])?;
        if (1..=12).contains(&m) && (1..=31).contains(&d) {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
    }
    None
}

/// Contact details, from the sentence that gives them (地址/邮编/电话/邮箱/网址).
fn find_contact(blocks: &[&str]) -> Option<Contact> {
    static ADDRESS: Lazy<Regex> = Lazy::new(|| {
        re(r"(?:联系地址|通讯地址|办公地址|地址|地点)[:：]\s*([^；;，,。）)\n]{4,80})")
    });
    static POSTCODE: Lazy<Regex> = Lazy::new(|| re(r"(?:邮编|邮政编码)[:：]?\s*(\d{6})"));
    static PHONE: Lazy<Regex> = Lazy::new(|| {
        re(
            r"(?:联系电话|电话|咨询电话|联系方式)[:：]?\s*(\(?0\d{2,3}\)?\s*[-—–－―]?\s*\d{7,8}|1[3-9]\d{9})",
        )
    });
    static EMAIL: Lazy<Regex> =
        Lazy::new(|| re(r"([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})"));
    static WEBSITE: Lazy<Regex> = Lazy::new(|| {
        re(
            r"(?:网址|网站地址|网站)[:：]\s*((?:https?://)?[A-Za-z0-9][A-Za-z0-9.\-]+\.[A-Za-z]{2,}(?:/[A-Za-z0-9./_\-]*)?)",
        )
    });
    let mut contact = Contact::default();
    for b in blocks {
        let s = fold_width(b);
        if !(s.contains("地址") || s.contains("电话") || s.contains("邮编") || s.contains("邮箱"))
        {
            continue;
        }
        if contact.address.is_none() {
            contact.address = ADDRESS.captures(&s).map(|c| strip_ws(&c[1]));
        }
        if contact.postcode.is_none() {
            contact.postcode = POSTCODE.captures(&s).map(|c| c[1].to_string());
        }
        if contact.phone.is_none() {
            contact.phone = PHONE.captures(&s).map(|c| normalise_phone(&c[1]));
        }
        if contact.email.is_none() {
            contact.email = EMAIL
                .captures(&s)
                .map(|c| c[1].trim_end_matches('.').to_string());
        }
        if contact.website.is_none() {
            contact.website = WEBSITE
                .captures(&s)
                .map(|c| c[1].trim_end_matches('.').to_string());
        }
        if contact.address.is_some() && contact.phone.is_some() {
            break;
        }
    }
    (!contact.is_empty()).then_some(contact)
}

/// Phone numbers with their area code joined by an ASCII hyphen (0537—3413872 → 0537-3413872).
fn normalise_phone(s: &str) -> String {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.starts_with('0') && digits.len() >= 10 {
        let area = if digits.starts_with("01") || digits.starts_with("02") {
            3
        } else {
            4
        };
        format!("{}-{}", &digits[..area], &digits[area..])
    } else {
        digits
    }
}

/// Reads title, agency, year, publication date and contact from the document's text.
pub fn read_meta(doc: &Document) -> Meta {
    let blocks = text_blocks(doc);
    let mut meta = Meta::default();
    let title = find_title(doc)
        .or_else(|| {
            doc.title_hint
                .as_deref()
                .filter(|t| is_title_line(t))
                .map(strip_ws)
        })
        .or_else(|| doc.ocr_text.then(|| ocr_title_cut_short(&blocks)).flatten());
    if let Some(t) = &title {
        let t = fold_width(t);
        if let Some(c) = TITLE.captures(&t) {
            meta.agency = clean_agency(&c[1]);
            meta.year = year_value(&c[2]);
        }
    }
    // The title hint of a web page may name the agency when the body's title does not.
    if meta.agency.is_none() {
        if let Some(hint) = doc.title_hint.as_deref() {
            if let Some(c) = TITLE.captures(&fold_width(&strip_ws(hint))) {
                meta.agency = clean_agency(&c[1]);
                meta.year = meta.year.or_else(|| year_value(&c[2]));
            }
        }
    }
    if meta.agency.is_none() {
        meta.agency = agency_from_text(&blocks);
    }
    if meta.year.is_none() {
        meta.year = year_from_period(&blocks);
    }
    meta.title = title;
    meta.published = find_published(&blocks);
    if doc.ocr_text {
        meta.published =
            believed_ocr_date(meta.published.take(), &blocks, meta.year, &mut meta.doubts);
        let signature = signature_agency(&blocks);
        meta.agency = vote_agency(meta.agency.take(), signature, &mut meta.doubts);
    }
    meta.contact = find_contact(&blocks[..blocks.len().min(40)]);
    meta
}

/// The publication date of a report read by OCR, when it may be believed: the date
/// line's readings agreed (the OCR stage wrote the date in full; when they disagreed it
/// wrote them joined by [`DISPUTED`] and the date is left out, naming them) and the date
/// falls in the report's year or the year after, when reports are published.
fn believed_ocr_date(
    date: Option<String>,
    blocks: &[&str],
    year: Option<i32>,
    doubts: &mut Vec<String>,
) -> Option<String> {
    let Some(date) = date else {
        let disputed = blocks.iter().rev().take(6).find(|b| b.contains(DISPUTED))?;
        // Readings that disagree on the whole date may still agree field by field,
        // each spoilt at another place by the seal.
        let parts: Vec<&str> = disputed.split(DISPUTED).collect();
        if let Some((y, m, d)) = year.and_then(|y| crate::ocr::date_by_fields(&parts, y)) {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
        let readings: Vec<String> = parts.iter().map(|r| format!("'{r}'")).collect();
        doubts.push(format!(
            "published left out: the date line was read as {}, which do not agree on one \
             date (seal ink or damage over its digits)",
            readings.join(", ")
        ));
        return None;
    };
    let published: Option<i32> = date.get(..4).and_then(|y| y.parse().ok());
    match (year, published) {
        (Some(y), Some(p)) if (y..=y + 1).contains(&p) => Some(date),
        (Some(y), _) => {
            doubts.push(format!(
                "published left out: the date read, {date}, is not in the report's year \
                 {y} nor the next, so a digit of it is misread"
            ));
            None
        }
        (None, _) => {
            doubts.push(format!(
                "published left out: the date read, {date}, cannot be checked against the \
                 report's year, which was not found"
            ));
            None
        }
    }
}

/// The agency as signed above the date at the end of a report read by OCR.
fn signature_agency(blocks: &[&str]) -> Option<String> {
    let tail = &blocks[blocks.len().saturating_sub(6)..];
    let at = tail.iter().rposition(|b| has_ocr_date(b))?;
    let line = ocr_clean(tail[at.checked_sub(1)?]);
    (line.chars().count() <= 40)
        .then(|| clean_agency(&line))
        .flatten()
}

/// The agency of a report read by OCR, from the title's reading and the signature's: a
/// title whose place names are known divisions stands; one with a misread place name
/// takes the signature's division in its place when that is one character apart and
/// known; otherwise it is left out and the readings named in `doubts` (a misread name
/// in a database is worse than none).
fn vote_agency(
    title: Option<String>,
    signature: Option<String>,
    doubts: &mut Vec<String>,
) -> Option<String> {
    let g = crate::gazetteer::Gazetteer::builtin();
    let title = title?;
    let bad = g.doubtful(&title);
    if bad.is_empty() {
        return Some(title);
    }
    if let Some(fixed) = signature.as_deref().and_then(|s| g.repair(&title, s)) {
        return Some(fixed);
    }
    if let Some(fixed) = g.repair_by_divisions(&title) {
        doubts.push(format!(
            "agency: the title reads '{title}', and '{fixed}' is the one reading of its \
             place names, a character apart, that lie within each other (GB/T 2260)"
        ));
        return Some(fixed);
    }
    doubts.push(format!(
        "agency left out: the title reads '{title}' and the signature {}; {} no known \
         administrative division (GB/T 2260), so a character of it is misread",
        signature.map_or("was not read".to_string(), |s| format!("'{s}'")),
        bad.iter()
            .map(|b| format!("'{b}' is"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    None
}

/// 统计期限自2023年1月1日起 / 2023年1月1日至2023年12月31日.
fn year_from_period(blocks: &[&str]) -> Option<i32> {
    static PERIOD: Lazy<Regex> = Lazy::new(|| re(r"((?:19|20)\d{2})年1月1日"));
    blocks.iter().take(20).find_map(|b| {
        PERIOD
            .captures(&strip_ws(b))
            .and_then(|c| c[1].parse().ok())
    })
}

/// The six sections of the national format, by the words of their titles.
const SECTION_TITLES: &[&[&str]] = &[
    &["总体情况"],
    &["主动公开政府信息情况"],
    &["收到和处理政府信息公开申请情况"],
    &[
        "行政复议、行政诉讼情况",
        "行政复议和行政诉讼情况",
        "行政复议、行政诉讼",
    ],
    &["存在的主要问题", "主要问题及改进"],
    &["其他需要报告", "其他事项"],
];

/// Which top-level section a line opens, if it is such a heading. Numbering glitches
/// (`2、`, `（1）`, `5、` for 二/五) are tolerated: the title words decide.
pub fn section_index(line: &str) -> Option<usize> {
    static NUMBERING: Lazy<Regex> = Lazy::new(|| {
        re(r"^([一二三四五六七八九十]{1,2}|[0-9]{1,2}|[(（][一二三四五六0-9][)）])?\s*[、.．:：]?")
    });
    let s = strip_ws(line);
    if s.chars().count() > 30 || s.contains('。') {
        return None;
    }
    let body = NUMBERING.replace(&s, "");
    SECTION_TITLES.iter().position(|words| {
        words
            .iter()
            .any(|w| body.starts_with(w) || (body.len() < 60 && body.contains(w)))
    })
}

/// Splits the text into the report's sections (headings 一…六 with their text).
pub fn read_sections(doc: &Document) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut next_expected = 0usize;
    for block in &doc.blocks {
        let Some(text) = block.text() else { continue };
        if let Some(i) = section_index(text) {
            if i >= next_expected {
                sections.push(Section {
                    heading: collapse_ws(text),
                    text: String::new(),
                });
                next_expected = i + 1;
                continue;
            }
        }
        if let Some(s) = sections.last_mut() {
            if !s.text.is_empty() {
                s.text.push('\n');
            }
            s.text.push_str(text.trim());
        }
    }
    sections
}

/// Numbers the text states: items actively disclosed, requests received, appeals.
pub fn read_facts(doc: &Document) -> Facts {
    static ACTIVE: Lazy<Regex> =
        Lazy::new(|| re(r"主动公开[\p{Han}、“”\u0022]{0,28}?(\d+)(?:条|件|篇|项)"));
    static RECEIVED: Lazy<Regex> = Lazy::new(|| {
        re(
            r"(?:收到|受理|新收)[\p{Han}“”\u0022]{0,14}?申请[\p{Han}]{0,4}?(\d+)(?:件|起|个|次|宗|条)",
        )
    });
    static NONE_RECEIVED: Lazy<Regex> =
        Lazy::new(|| re(r"未(?:收到|受理|接到)[\p{Han}“”\u0022]{0,16}?申请"));
    static APPEALS: Lazy<Regex> = Lazy::new(|| {
        re(
            r"行政复议(?:案件)?(\d+)(?:件|起|宗|次)[、，,和及]?(?:[\p{Han}]{0,6}?)行政诉讼(?:案件)?(\d+)(?:件|起|宗|次)",
        )
    });
    // "None" only when the clause denies both reviews and lawsuits, and gives no number:
    // 未发生行政复议，发生行政诉讼1件 is not a zero.
    static NO_APPEALS: Lazy<Regex> = Lazy::new(|| {
        re(
            r"(?:未|没有|无)(?:产生|发生|出现|收到|涉及|因)?[^，。；,;0-9]{0,16}?行政复议[^，。；,;0-9]{0,6}?行政诉讼|(?:未|没有)(?:产生|发生|出现|收到|涉及)[^，。；,;0-9]{0,16}?行政诉讼[^，。；,;0-9]{0,6}?行政复议",
        )
    });
    let mut facts = Facts::default();
    for text in text_blocks(doc) {
        let s = fold_width(&strip_ws(text));
        if facts.active_disclosed_total.is_none() {
            facts.active_disclosed_total = ACTIVE.captures(&s).and_then(|c| c[1].parse().ok());
        }
        if facts.requests_received.is_none() {
            let found = RECEIVED.captures(&s).and_then(|c| {
                let m = c.get(0)?;
                Some((m.start(), c[1].parse::<i64>().ok()?))
            });
            let none = NONE_RECEIVED.find(&s).map(|m| (m.start(), 0i64));
            facts.requests_received = match (found, none) {
                (Some(a), Some(b)) => Some(if a.0 < b.0 { a.1 } else { b.1 }),
                (a, b) => a.or(b).map(|x| x.1),
            };
        }
        if facts.appeals_total.is_none() {
            if let Some(c) = APPEALS.captures(&s) {
                let a: i64 = c[1].parse().unwrap_or(0);
                let b: i64 = c[2].parse().unwrap_or(0);
                facts.appeals_total = Some(a + b);
            } else if NO_APPEALS.is_match(&s) {
                facts.appeals_total = Some(0);
            }
        }
    }
    facts
}

/// True when the text reads as an information-disclosure annual report at all.
pub fn looks_like_report(doc: &Document, meta: &Meta) -> bool {
    if meta.title.is_some() {
        return true;
    }
    let text: String = text_blocks(doc)
        .iter()
        .take(60)
        .map(|s| strip_ws(s))
        .collect();
    text.contains("政府信息公开") && (text.contains("年度报告") || text.contains("工作报告"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(lines: &[&str]) -> Document {
        Document {
            blocks: lines
                .iter()
                .map(|l| Block::Paragraph(l.to_string()))
                .collect(),
            title_hint: None,
            ..Document::default()
        }
    }

    #[test]
    fn title_split_over_two_lines() {
        let d = doc(&[
            "山东张店经济开发区管理委员会",
            "2023年政府信息公开工作年度报告",
            "正文。",
        ]);
        let m = read_meta(&d);
        assert_eq!(m.agency.as_deref(), Some("山东张店经济开发区管理委员会"));
        assert_eq!(m.year, Some(2023));
    }

    #[test]
    fn stray_quotes_and_dashes_of_a_scan_are_no_part_of_the_agency() {
        let d = doc(&[
            "”贵阳市观山湖区人力资源和社会保障局-",
            "2021年政府信息公开工作年度报告",
        ]);
        let m = read_meta(&d);
        assert_eq!(
            m.agency.as_deref(),
            Some("贵阳市观山湖区人力资源和社会保障局")
        );
        assert_eq!(
            clean_agency("某市某局（某办）").as_deref(),
            Some("某市某局（某办）")
        );
    }

    #[test]
    fn title_wrapped_before_its_last_word() {
        // A scanned title line ends "…工作年度"; "报告" sits alone on the next line.
        let d = doc(&[
            "威海市乳山市交通运输局2023年政府信息公开工作年度",
            "报告",
            "本年度报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。",
        ]);
        let m = read_meta(&d);
        assert_eq!(
            m.title.as_deref(),
            Some("威海市乳山市交通运输局2023年政府信息公开工作年度报告")
        );
        assert_eq!(m.agency.as_deref(), Some("威海市乳山市交通运输局"));
        assert_eq!(m.year, Some(2023));
        assert!(is_title_line("…2023年政府信息公开工作年度报告"));
        assert!(has_date("2024 年 1 月 25 日") && !has_date("2024年1月"));
    }

    #[test]
    fn chinese_numeral_date_at_the_end() {
        let d = doc(&[
            "XX局2023年政府信息公开工作年度报告",
            "正文。",
            "XX局",
            "二〇二四年一月二十二日",
        ]);
        assert_eq!(read_meta(&d).published.as_deref(), Some("2024-01-22"));
    }

    fn ocr_doc(lines: &[&str]) -> Document {
        Document {
            ocr_text: true,
            ..doc(lines)
        }
    }

    #[test]
    fn an_ocr_date_with_one_marker_misread() {
        assert_eq!(ocr_date("二@〇二四和平二月十三日"), Some((2024, 2, 13)));
        assert_eq!(loose_date("2024年3有4日"), Some((2024, 3, 4)));
        // Both markers misread: no date.
        assert_eq!(loose_date("2024和3有4日"), None);
        // Damaged Chinese numerals as chi_sim reads them.
        assert_eq!(ocr_date("二O二一年-月十三日"), Some((2021, 1, 13)));
        // Text that is not OCR'd is not read loosely.
        let d = doc(&[
            "XX局2023年政府信息公开工作年度报告",
            "正文。",
            "二〇二四和二月十三日",
        ]);
        assert_eq!(read_meta(&d).published, None);
    }

    #[test]
    fn an_ocr_date_stands_only_agreed_and_in_the_years_it_can_be() {
        // The OCR stage wrote the date its readings agreed on.
        let d = ocr_doc(&[
            "XX局2023年政府信息公开工作年度报告",
            "正文。",
            "2024年2月13日",
        ]);
        assert_eq!(read_meta(&d).published.as_deref(), Some("2024-02-13"));
        // Readings that disagreed: no date, and an error that names them.
        let disputed = format!("2023色上月21日{DISPUTED}2025年1月21日");
        let d = ocr_doc(&["XX局2024年政府信息公开工作年度报告", "正文。", &disputed]);
        let m = read_meta(&d);
        assert_eq!(m.published, None);
        assert!(
            m.doubts.iter().any(|e| e.contains("'2023色上月21日'")),
            "{:?}",
            m.doubts
        );
        // A year the report cannot be published in.
        let d = ocr_doc(&[
            "XX局2023年政府信息公开工作年度报告",
            "正文。",
            "2019年2月13日",
        ]);
        let m = read_meta(&d);
        assert_eq!(m.published, None);
        assert!(m.doubts.iter().any(|e| e.contains("2019-02-13")));
    }

    #[test]
    fn disputed_readings_that_agree_field_by_field_give_the_date() {
        // dev-049's readings: 日 lost in all, the month in two; each field is agreed.
        let line = [
            "2021年2月17吝",
            "2021年2月17吝",
            "2021年7上月17悄",
            "2021年上月174悄",
        ]
        .join(&DISPUTED.to_string());
        let d = ocr_doc(&["XX局2020年政府信息公开工作年度报告", "正文。", &line]);
        let m = read_meta(&d);
        assert_eq!(m.published.as_deref(), Some("2021-02-17"), "{:?}", m.doubts);
        // The same readings for a report of 2022: the year cannot be, no date.
        let d = ocr_doc(&["XX局2022年政府信息公开工作年度报告", "正文。", &line]);
        let m = read_meta(&d);
        assert_eq!(m.published, None);
        assert!(m.doubts.iter().any(|e| e.starts_with("published left out")));
    }

    #[test]
    fn an_ocr_title_whose_last_character_wrapped_and_was_lost() {
        let d = ocr_doc(&[
            "文登区文化和旅游局2023年政府信息公开工作年度报",
            "一",
            "正文。",
        ]);
        let m = read_meta(&d);
        assert_eq!(m.agency.as_deref(), Some("文登区文化和旅游局"));
        assert_eq!(m.year, Some(2023));
    }

    #[test]
    fn a_misread_place_in_the_title_is_repaired_by_the_signature_or_left_out() {
        let d = ocr_doc(&[
            "南宁市兴休区统计局",
            "2020年政府信息公开工作年度报告",
            "正文。",
            "南宁市兴宁区统针局",
            "2021年1月14日",
        ]);
        let m = read_meta(&d);
        assert_eq!(m.agency.as_deref(), Some("南宁市兴宁区统计局"));
        assert!(m.doubts.is_empty());
        let d = ocr_doc(&[
            "总州市生态环境局赢县区分局",
            "2019年政府信息公开工作年度报告",
            "正文。",
            "贺州市生态环境局加县区分局",
            "2020年1月15日",
        ]);
        let m = read_meta(&d);
        assert_eq!(m.agency, None);
        assert_eq!(m.doubts.len(), 1);
        assert!(m.doubts[0].contains("'总州市' is"), "{}", m.doubts[0]);
        // A born-digital document's title is taken as printed.
        let d = doc(&["总州市生态环境局2019年政府信息公开工作年度报告"]);
        assert_eq!(read_meta(&d).agency.as_deref(), Some("总州市生态环境局"));
    }

    #[test]
    fn contact_phone_with_em_dash() {
        let d = doc(&["请与兖州区科学技术局办公室联系（地址：济宁市兖州区九州方圆行政办公中心A座1305室；邮编：272100；电话：0537—3413872；电子邮箱：yzkjj@ji.shandong.cn）。"]);
        let c = read_meta(&d).contact.unwrap_or_default();
        assert_eq!(c.phone.as_deref(), Some("0537-3413872"));
        assert_eq!(c.postcode.as_deref(), Some("272100"));
        assert_eq!(
            c.address.as_deref(),
            Some("济宁市兖州区九州方圆行政办公中心A座1305室")
        );
        assert_eq!(c.email.as_deref(), Some("yzkjj@ji.shandong.cn"));
    }

    #[test]
    fn facts_from_the_text() {
        let d = doc(&[
            "（一）主动公开方面。截止2023年12月31日，主动公开政府信息245条。",
            "2023年张店区科学技术局未收到政府信息公开申请，未产生行政复议和行政诉讼。",
        ]);
        let f = read_facts(&d);
        assert_eq!(f.active_disclosed_total, Some(245));
        assert_eq!(f.requests_received, Some(0));
        assert_eq!(f.appeals_total, Some(0));
        let d = doc(&["全年共收到政府信息公开申请4件，已办结4件。全年因政府信息公开引起行政复议0件、行政诉讼1件。"]);
        let f = read_facts(&d);
        assert_eq!(f.requests_received, Some(4));
        assert_eq!(f.appeals_total, Some(1));
    }

    #[test]
    fn a_denied_review_with_a_counted_lawsuit_is_not_zero() {
        let d = doc(&["全年未发生因政府信息公开引起的行政复议，发生行政诉讼1件。"]);
        assert_eq!(read_facts(&d).appeals_total, None);
        let d = doc(&["全年未产生因政府信息公开引起的行政复议和行政诉讼。"]);
        assert_eq!(read_facts(&d).appeals_total, Some(0));
        let d = doc(&["本年度新收政府信息公开申请5件。"]);
        assert_eq!(read_facts(&d).requests_received, Some(5));
    }

    #[test]
    fn a_labelled_page_date_is_not_the_signature_date() {
        let d = doc(&[
            "XX局2023年政府信息公开工作年度报告",
            "正文。",
            "XX局",
            "2024年1月22日",
            "发布时间：2024年2月1日",
            "分享到：微信",
        ]);
        assert_eq!(read_meta(&d).published.as_deref(), Some("2024-01-22"));
        let d = doc(&[
            "XX局2023年政府信息公开工作年度报告",
            "正文。",
            "更新日期：2024年2月1日",
        ]);
        assert_eq!(read_meta(&d).published, None);
    }

    #[test]
    fn sections_with_numbering_glitches() {
        let d = doc(&[
            "一、总体情况",
            "正文一。",
            "2、 主动公开政府信息情况",
            "3、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况",
            "5、存在的主要问题及改进情况",
            "问题。",
            "六、其他需要报告的事项",
        ]);
        let s = read_sections(&d);
        assert_eq!(s.len(), 6);
        assert_eq!(s[1].heading, "2、 主动公开政府信息情况");
        assert_eq!(s[4].text, "问题。");
    }
}
