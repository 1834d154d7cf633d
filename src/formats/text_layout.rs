//! Text with spaces for columns, as `pdftotext -layout` writes it: tables aligned by runs
//! of spaces (no tabs), a form feed between pages, page-number lines.
//!
//! Each line is cut into tokens at runs of two or more spaces (an ideographic space is
//! two), positioned by display column (a CJK or full-width character is two columns
//! wide), and each page's lines go to [`super::aligned`], which finds the tables; the
//! other lines are running text as in plain text.

use super::aligned::{self, AlignedLine, Scale, Token};
use crate::document::{Block, TableOrigin};
use crate::formats::pdf::layout::{is_cjk, is_page_number};

/// Lines ending in this many values or more, parted by spaces, make a text a layout text.
const MIN_VALUES: usize = 3;
/// How many such lines it takes.
const MIN_VALUE_LINES: usize = 3;
/// Longest line looked at, in characters (longer ones are running text).
const MAX_LINE_CHARS: usize = 2000;

/// Whether the text is laid out with spaces for columns: no tabs, and table rows whose
/// values stand apart by runs of spaces.
pub fn is_layout(lines: &[&str]) -> bool {
    if lines.iter().any(|l| l.contains('\t')) {
        return false;
    }
    lines
        .iter()
        .filter(|l| {
            let toks = tokens(l);
            toks.len() > MIN_VALUES
                && toks
                    .iter()
                    .rev()
                    .take_while(|t| aligned::is_value(&t.text))
                    .count()
                    >= MIN_VALUES
        })
        .take(MIN_VALUE_LINES)
        .count()
        >= MIN_VALUE_LINES
}

fn width(c: char) -> f32 {
    if c == '\u{3000}' || is_cjk(c) {
        2.0
    } else {
        1.0
    }
}

/// Cuts a line into tokens at runs of two or more columns of spaces.
fn tokens(line: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut col = 0.0f32;
    let mut cur: Option<Token> = None;
    let mut gap = 0.0f32;
    for c in line.chars().take(MAX_LINE_CHARS) {
        let w = width(c);
        if c.is_whitespace() {
            gap += w;
            col += w;
            continue;
        }
        match cur.as_mut() {
            Some(t) if gap < 2.0 => {
                if gap > 0.0 {
                    t.text.push(' ');
                }
                t.text.push(c);
                t.x1 = col + w;
            }
            _ => {
                out.extend(cur.take());
                cur = Some(Token {
                    x0: col,
                    x1: col + w,
                    text: c.to_string(),
                });
            }
        }
        gap = 0.0;
        col += w;
    }
    out.extend(cur);
    out
}

/// The blocks of a layout text, and what could not be placed.
pub fn blocks_from_layout(lines: &[&str]) -> (Vec<Block>, Vec<String>) {
    let mut blocks = Vec::new();
    let mut problems = Vec::new();
    let mut page_lines: Vec<(usize, &str)> = Vec::new();
    let mut page = 1u32;
    for (i, raw) in lines.iter().enumerate() {
        if raw.contains('\u{c}') {
            page_out(&page_lines, page, &mut blocks, &mut problems);
            page_lines.clear();
            page += 1;
        }
        page_lines.push((i, raw));
    }
    page_out(&page_lines, page, &mut blocks, &mut problems);
    (blocks, problems)
}

fn page_out(
    page_lines: &[(usize, &str)],
    page: u32,
    blocks: &mut Vec<Block>,
    problems: &mut Vec<String>,
) {
    // The page's lines with text, less its page numbers; `y` is the line's index, so
    // blank lines keep their room.
    let mut kept: Vec<&str> = Vec::new();
    let mut lines: Vec<AlignedLine> = Vec::new();
    for (i, raw) in page_lines {
        let text = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{c}');
        if text.is_empty() || is_page_number(text) {
            continue;
        }
        let clean: String = raw.chars().filter(|&c| c != '\u{c}').collect();
        lines.push(AlignedLine {
            y: *i as f32,
            h: 1.0,
            tokens: tokens(&clean),
        });
        kept.push(text);
    }
    let scale = Scale {
        em: 2.0,
        pitch: 1.0,
    };
    let found = aligned::find_tables(&lines, scale, TableOrigin::Text, Some(page));
    problems.extend(found.problems);
    let mut tables = found.tables.into_iter().peekable();
    for (k, text) in kept.iter().enumerate() {
        while let Some(t) = tables.next_if(|t| t.first_line <= k) {
            blocks.push(Block::Table(t.table));
        }
        if !found.used[k] {
            super::text::push_text_line(blocks, text);
        }
    }
    blocks.extend(tables.map(|t| Block::Table(t.table)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_by_display_column() {
        let t = tokens("  规章  0   １２  a b");
        let texts: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["规章", "0", "１２", "a b"]);
        assert_eq!((t[0].x0, t[0].x1), (2.0, 6.0));
        assert_eq!(t[2].x0, 12.0);
    }

    #[test]
    fn layout_text_is_told_from_tabbed_text() {
        let layout = [
            "    一、本年新收      4     0     0",
            "    二、上年结转      1     0     0",
            "    （七）总计        4     0     0",
        ];
        assert!(is_layout(&layout));
        let tabbed = ["一\t4\t0\t0", "二\t1\t0\t0", "三\t4\t0\t0"];
        assert!(!is_layout(&tabbed));
    }
}
