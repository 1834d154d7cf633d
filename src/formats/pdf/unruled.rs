//! Tables without a ruled grid: 三线表 (only the top, header and bottom rules) and tables
//! with no rules at all, whose columns are known by alignment only.
//!
//! On a page where the rulings make no grid, the glyphs are grouped into lines by their
//! baselines and each line cut into tokens where a gap wider than most of a character
//! parts its text; [`crate::formats::aligned`] finds the tables among those lines. The
//! glyphs of the lines a table takes are taken off the page, so that the page's running
//! text is what is left, and the tables go back among its blocks at their top edge.

use super::content::{Glyph, PageContent};
use super::layout::{baseline_groups, is_page_number};
use crate::document::{Block, TableOrigin};
use crate::formats::aligned::{self, AlignedLine, Scale, Token};

/// A gap wider than this share of the font size parts two tokens of a line.
const TOKEN_GAP: f32 = 0.5;
/// Pages with more glyphs than this are not searched (the layout pass bounds them too).
const MAX_GLYPHS: usize = 60_000;

/// A line of glyphs: the indices of its glyphs in the page, left to right.
struct GlyphLine {
    glyphs: Vec<usize>,
    baseline: f32,
    size: f32,
}

/// Finds the page's tables without rulings, takes their glyphs off the page, and
/// returns them with their top edge, and what could not be placed.
pub fn take_tables(pc: &mut PageContent, page: u32) -> (Vec<(f32, Block)>, Vec<String>) {
    if pc.glyphs.len() > MAX_GLYPHS || super::layout::has_ruled_table(pc) {
        return (Vec::new(), Vec::new());
    }
    let glines = group_lines(&pc.glyphs);
    let mut lines: Vec<AlignedLine> = Vec::new();
    let mut of_line: Vec<usize> = Vec::new();
    for (k, gl) in glines.iter().enumerate() {
        let tokens = tokens(&pc.glyphs, &gl.glyphs);
        let joined: String = tokens.iter().map(|t| t.text.as_str()).collect();
        if tokens.is_empty() || is_page_number(&joined) {
            continue;
        }
        lines.push(AlignedLine {
            y: gl.baseline - 0.85 * gl.size,
            h: gl.size,
            tokens,
        });
        of_line.push(k);
    }
    let scale = page_scale(&glines);
    let found = aligned::find_tables(&lines, scale, TableOrigin::PdfText, Some(page));
    if found.tables.is_empty() {
        return (Vec::new(), found.problems);
    }
    let mut taken = vec![false; pc.glyphs.len()];
    for (i, used) in found.used.iter().enumerate() {
        if *used {
            for &g in &glines[of_line[i]].glyphs {
                taken[g] = true;
            }
        }
    }
    let mut k = 0;
    pc.glyphs.retain(|_| {
        k += 1;
        !taken[k - 1]
    });
    let tables = found
        .tables
        .into_iter()
        .map(|t| (lines[t.first_line].y, Block::Table(t.table)))
        .collect();
    (tables, found.problems)
}

/// The page's units: the median font size, and the median distance of two lines.
fn page_scale(lines: &[GlyphLine]) -> Scale {
    let mut sizes: Vec<f32> = lines.iter().map(|l| l.size).collect();
    sizes.sort_by(f32::total_cmp);
    let em = sizes.get(sizes.len() / 2).copied().unwrap_or(10.0).max(1.0);
    let mut steps: Vec<f32> = lines
        .windows(2)
        .map(|w| w[1].baseline - w[0].baseline)
        .filter(|d| *d > 0.3 * em)
        .collect();
    steps.sort_by(f32::total_cmp);
    let pitch = steps
        .get(steps.len() / 2)
        .copied()
        .unwrap_or(1.4 * em)
        .clamp(em, 2.5 * em);
    Scale { em, pitch }
}

/// Groups glyphs into lines by baseline ([`baseline_groups`], as the layout pass does),
/// top to bottom, each as indices into `glyphs`. Spaces take no part: tokens are cut at
/// gaps.
fn group_lines(glyphs: &[Glyph]) -> Vec<GlyphLine> {
    let inked: Vec<usize> = (0..glyphs.len())
        .filter(|&i| !glyphs[i].ch.is_whitespace() && !glyphs[i].ch.is_control())
        .collect();
    let refs: Vec<&Glyph> = inked.iter().map(|&i| &glyphs[i]).collect();
    baseline_groups(&refs)
        .into_iter()
        .map(|grp| GlyphLine {
            // The first glyph by baseline set the line's; its size is the largest.
            baseline: grp.iter().map(|&k| refs[k].y).fold(f32::MAX, f32::min),
            size: grp.iter().map(|&k| refs[k].size).fold(0.0, f32::max),
            glyphs: grp.into_iter().map(|k| inked[k]).collect(),
        })
        .collect()
}

/// Cuts a line's glyphs into tokens at wide gaps.
fn tokens(glyphs: &[Glyph], line: &[usize]) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut prev: Option<&Glyph> = None;
    for &i in line {
        let g = &glyphs[i];
        if let Some(p) = prev {
            // Fake bold: the same glyph drawn again at (nearly) the same place.
            if p.ch == g.ch && (g.x - p.x).abs() < 0.3 * g.size {
                continue;
            }
        }
        let gap = prev.map(|p| g.x - (p.x + p.w));
        let size = prev.map_or(g.size, |p| p.size.min(g.size)).max(1.0);
        match (out.last_mut(), gap) {
            (Some(t), Some(d)) if d <= TOKEN_GAP * size => {
                if d > 0.2 * size && !t.text.ends_with(' ') {
                    t.text.push(' ');
                }
                t.text.push(g.ch);
                t.x1 = t.x1.max(g.x + g.w);
            }
            _ => out.push(Token {
                x0: g.x,
                x1: g.x + g.w,
                text: g.ch.to_string(),
            }),
        }
        prev = Some(g);
    }
    for t in &mut out {
        t.text = t.text.trim().to_string();
    }
    out
}
