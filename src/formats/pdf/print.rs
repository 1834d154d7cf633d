//! What a browser's "print to PDF" adds to a page, and takes from its tables.
//!
//! Chromium prints a header line (the print date and time, the page title) and a footer
//! line (the page's address, `n/N`) in the margins; they are not the report's text (the
//! date glued to the title made `2024/6/1010:38平潭综合实验区` an agency). And it cuts a
//! table row that does not fit at the page's end: the rest of the row stands at the top
//! of the next page with its column rules but without the rule above it, so no grid holds
//! it. [`close_cut_rows`] draws that missing rule.

use super::content::{PageContent, Seg};
use once_cell::sync::Lazy;
use regex::Regex;

/// Rules closer than this (points) meet.
const TOL: f32 = 2.0;
/// A column rule this far past the outermost row rule it crosses sticks out of the grid.
const STICK_OUT: f32 = 3.0;
/// Pages with more rules than this are not searched for cut rows (quadratic).
const MAX_PAIRS: usize = 4_000_000;

static PRINT_DATE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"^(\d{1,2}/\d{1,2}/\d{2,4},?\s*\d{1,2}:\d{2}(:\d{2})?\s*([AaPp][Mm])?|\d{4}/\d{1,2}/\d{1,2}\s*\d{1,2}:\d{2}(:\d{2})?)",
    )
    .expect("print date pattern")
});

static PRINT_FOOTER: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^(https?|file)://\S+\s*\d{1,4}\s*/\s*\d{1,4}$").expect("print footer pattern")
});

/// Whether a line in a page margin is a browser's print header (date and time first)
/// or footer (an address and `n/N`).
pub fn is_print_furniture(text: &str) -> bool {
    let t = text.trim();
    PRINT_DATE.is_match(t) || PRINT_FOOTER.is_match(t)
}

/// Adds the rule above (below) a table row cut by a page break: three or more column
/// rules that run past the topmost (bottommost) row rule they cross and end level with
/// each other are closed by a rule across their ends.
pub fn close_cut_rows(pc: &mut PageContent) {
    if pc.vsegs.len().saturating_mul(pc.hsegs.len()) > MAX_PAIRS {
        return;
    }
    let crosses = |v: &Seg, h: &Seg| {
        v.pos >= h.a - TOL && v.pos <= h.b + TOL && h.pos >= v.a - TOL && h.pos <= v.b + TOL
    };
    let mut added = Vec::new();
    for top in [true, false] {
        let mut ends: Vec<(f32, f32)> = Vec::new(); // (end, x)
        for v in &pc.vsegs {
            let rows = pc.hsegs.iter().filter(|h| crosses(v, h)).map(|h| h.pos);
            let (end, outer) = if top {
                (v.a, rows.fold(f32::MAX, f32::min))
            } else {
                (v.b, rows.fold(f32::MIN, f32::max))
            };
            if outer == f32::MAX || outer == f32::MIN {
                continue;
            }
            let sticks = if top {
                end < outer - STICK_OUT
            } else {
                end > outer + STICK_OUT
            };
            if sticks {
                ends.push((end, v.pos));
            }
        }
        let Some(edge) = ends
            .iter()
            .map(|e| e.0)
            .reduce(if top { f32::min } else { f32::max })
        else {
            continue;
        };
        let level: Vec<f32> = ends
            .iter()
            .filter(|(end, _)| (end - edge).abs() <= TOL)
            .map(|(_, x)| *x)
            .collect();
        if level.len() >= 3 {
            let a = level.iter().copied().fold(f32::MAX, f32::min);
            let b = level.iter().copied().fold(f32::MIN, f32::max);
            added.push(Seg { pos: edge, a, b });
        }
    }
    pc.hsegs.extend(added);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_headers_and_footers_are_known() {
        assert!(is_print_furniture(
            "12/2/26, 7:24 AM兰州市七里河区…年度报告_七里河区人民政府"
        ));
        assert!(is_print_furniture("2024/6/10 10:38 平潭综合实验区…"));
        assert!(is_print_furniture(
            "http://www.lanzhou.gov.cn/zwgk/ndbg/t1.html 1/5"
        ));
        assert!(!is_print_furniture("2023年1月1日至2023年12月31日"));
        assert!(!is_print_furniture("（一）主动公开方面"));
    }

    #[test]
    fn a_row_cut_at_the_page_top_gets_its_rule() {
        let mut pc = PageContent::default();
        for x in [50.0, 150.0, 250.0, 350.0] {
            pc.vsegs.push(Seg {
                pos: x,
                a: 40.0,
                b: 200.0,
            });
        }
        for y in [80.0, 120.0, 200.0] {
            pc.hsegs.push(Seg {
                pos: y,
                a: 50.0,
                b: 350.0,
            });
        }
        close_cut_rows(&mut pc);
        assert_eq!(pc.hsegs.len(), 4);
        assert_eq!(pc.hsegs[3].pos, 40.0);
        // A whole grid is left alone.
        let before = pc.hsegs.len();
        close_cut_rows(&mut pc);
        assert_eq!(pc.hsegs.len(), before);
    }
}
