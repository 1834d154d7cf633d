//! Layout: ruling lines → table grids (with spans), glyphs → cells and visual lines,
//! lines → paragraphs, page furniture (page numbers) dropped.

use super::content::{Glyph, PageContent, Seg};
use crate::document::{Block, Cell, Table, TableOrigin};

/// Distance within which two rules count as the same grid line (points).
const TOL: f32 = 2.0;
/// More segments than this on a page are thinned to the longest ones.
const MAX_TABLE_SEGS: usize = 3000;

#[derive(Debug, Clone)]
pub struct Line {
    pub x0: f32,
    pub x1: f32,
    pub top: f32,
    pub bottom: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
    /// Width of the Latin word the line starts with (0 if it starts otherwise).
    pub lead_word_w: f32,
}

#[derive(Debug)]
struct Region {
    r0: usize,
    c0: usize,
    r1: usize,
    c1: usize,
}

#[derive(Debug)]
struct Grid {
    xs: Vec<f32>,
    ys: Vec<f32>,
    /// Region index of each grid cell, row-major.
    region_of: Vec<usize>,
    regions: Vec<Region>,
}

impl Grid {
    fn ncols(&self) -> usize {
        self.xs.len() - 1
    }

    fn contains(&self, x: f32, y: f32) -> bool {
        let (Some(x0), Some(x1), Some(y0), Some(y1)) = (
            self.xs.first(),
            self.xs.last(),
            self.ys.first(),
            self.ys.last(),
        ) else {
            return false;
        };
        x >= *x0 && x <= *x1 && y >= *y0 && y <= *y1
    }

    fn region_at(&self, x: f32, y: f32) -> Option<usize> {
        let c = self.xs.partition_point(|v| *v <= x).checked_sub(1)?;
        let r = self.ys.partition_point(|v| *v <= y).checked_sub(1)?;
        let c = c.min(self.ncols().saturating_sub(1));
        let r = r.min(self.ys.len().saturating_sub(2));
        self.region_of.get(r * self.ncols() + c).copied()
    }
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind((0..n).collect())
    }
    fn find(&mut self, mut a: usize) -> usize {
        while self.0[a] != a {
            self.0[a] = self.0[self.0[a]];
            a = self.0[a];
        }
        a
    }
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        self.0[ra.max(rb)] = ra.min(rb);
        true
    }
}

/// Clusters sorted values that lie within TOL of their neighbour; returns the means.
fn cluster(mut v: Vec<f32>) -> Vec<f32> {
    v.sort_by(f32::total_cmp);
    let mut out: Vec<f32> = Vec::new();
    let mut group: Vec<f32> = Vec::new();
    for x in v {
        if let Some(last) = group.last() {
            if x - last > TOL {
                out.push(group.iter().sum::<f32>() / group.len() as f32);
                group.clear();
            }
        }
        group.push(x);
    }
    if !group.is_empty() {
        out.push(group.iter().sum::<f32>() / group.len() as f32);
    }
    out
}

/// Merged intervals of the segments lying on one grid line.
fn merged_intervals(segs: &[&Seg], pos: f32) -> Vec<(f32, f32)> {
    let mut iv: Vec<(f32, f32)> = segs
        .iter()
        .filter(|s| (s.pos - pos).abs() <= TOL * 1.5)
        .map(|s| (s.a, s.b))
        .collect();
    iv.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f32, f32)> = Vec::new();
    for (a, b) in iv {
        match out.last_mut() {
            Some(last) if a <= last.1 + TOL => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn covered(iv: &[(f32, f32)], a: f32, b: f32) -> bool {
    let len = b - a;
    if len <= 0.0 {
        return true;
    }
    let overlap: f32 = iv.iter().map(|(s, e)| (e.min(b) - s.max(a)).max(0.0)).sum();
    overlap >= 0.5 * len
}

fn find_tables(hsegs: &[Seg], vsegs: &[Seg]) -> Vec<Grid> {
    let mut h: Vec<&Seg> = hsegs.iter().filter(|s| s.b - s.a >= 3.0).collect();
    let mut v: Vec<&Seg> = vsegs.iter().filter(|s| s.b - s.a >= 3.0).collect();
    if h.len() + v.len() > MAX_TABLE_SEGS {
        h.sort_by(|a, b| (b.b - b.a).total_cmp(&(a.b - a.a)));
        v.sort_by(|a, b| (b.b - b.a).total_cmp(&(a.b - a.a)));
        h.truncate(MAX_TABLE_SEGS / 2);
        v.truncate(MAX_TABLE_SEGS / 2);
    }
    let nh = h.len();
    let n = nh + v.len();
    let mut uf = UnionFind::new(n);
    for (i, hs) in h.iter().enumerate() {
        for (j, vs) in v.iter().enumerate() {
            if vs.pos >= hs.a - TOL
                && vs.pos <= hs.b + TOL
                && hs.pos >= vs.a - TOL
                && hs.pos <= vs.b + TOL
            {
                uf.union(i, nh + j);
            }
        }
    }
    for (list, off) in [(&h, 0usize), (&v, nh)] {
        for i in 0..list.len() {
            for j in i + 1..list.len() {
                let (s, t) = (list[i], list[j]);
                if (s.pos - t.pos).abs() <= TOL && s.a <= t.b + TOL && t.a <= s.b + TOL {
                    uf.union(off + i, off + j);
                }
            }
        }
    }
    let mut comps: std::collections::BTreeMap<usize, (Vec<&Seg>, Vec<&Seg>)> = Default::default();
    for i in 0..n {
        let r = uf.find(i);
        let e = comps.entry(r).or_default();
        if i < nh {
            e.0.push(h[i]);
        } else {
            e.1.push(v[i - nh]);
        }
    }
    let mut grids = Vec::new();
    for (_, (hs, vs)) in comps {
        if hs.len() < 2 || vs.len() < 2 {
            continue;
        }
        if let Some(g) = build_grid(&hs, &vs) {
            grids.push(g);
        }
    }
    grids.sort_by(|a, b| a.ys[0].total_cmp(&b.ys[0]));
    grids
}

fn build_grid(hs: &[&Seg], vs: &[&Seg]) -> Option<Grid> {
    let ys = cluster(hs.iter().map(|s| s.pos).collect());
    let xs = cluster(vs.iter().map(|s| s.pos).collect());
    if ys.len() < 2 || xs.len() < 2 {
        return None;
    }
    let (nr, nc) = (ys.len() - 1, xs.len() - 1);
    if nr * nc < 2 || nr > 1000 || nc > 200 {
        return None;
    }
    let vline: Vec<Vec<(f32, f32)>> = xs.iter().map(|x| merged_intervals(vs, *x)).collect();
    let hline: Vec<Vec<(f32, f32)>> = ys.iter().map(|y| merged_intervals(hs, *y)).collect();
    let idx = |r: usize, c: usize| r * nc + c;
    let mut uf = UnionFind::new(nr * nc);
    for r in 0..nr {
        for c in 0..nc {
            if c + 1 < nc && !covered(&vline[c + 1], ys[r], ys[r + 1]) {
                uf.union(idx(r, c), idx(r, c + 1));
            }
            if r + 1 < nr && !covered(&hline[r + 1], xs[c], xs[c + 1]) {
                uf.union(idx(r, c), idx(r + 1, c));
            }
        }
    }
    // Make every merged region a rectangle: merge whatever lies in its bounding box.
    for _ in 0..64 {
        let mut bbox: std::collections::HashMap<usize, (usize, usize, usize, usize)> =
            Default::default();
        for r in 0..nr {
            for c in 0..nc {
                let root = uf.find(idx(r, c));
                let e = bbox.entry(root).or_insert((r, c, r, c));
                e.0 = e.0.min(r);
                e.1 = e.1.min(c);
                e.2 = e.2.max(r);
                e.3 = e.3.max(c);
            }
        }
        let mut changed = false;
        for (root, (r0, c0, r1, c1)) in bbox {
            for r in r0..=r1 {
                for c in c0..=c1 {
                    changed |= uf.union(root, idx(r, c));
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut region_of = vec![usize::MAX; nr * nc];
    let mut regions: Vec<Region> = Vec::new();
    let mut root_region: std::collections::HashMap<usize, usize> = Default::default();
    for r in 0..nr {
        for c in 0..nc {
            let root = uf.find(idx(r, c));
            let k = *root_region.entry(root).or_insert_with(|| {
                regions.push(Region {
                    r0: r,
                    c0: c,
                    r1: r,
                    c1: c,
                });
                regions.len() - 1
            });
            let reg = &mut regions[k];
            reg.r1 = reg.r1.max(r);
            reg.c1 = reg.c1.max(c);
            region_of[idx(r, c)] = k;
        }
    }
    if regions.len() < 2 {
        return None;
    }
    Some(Grid {
        xs,
        ys,
        region_of,
        regions,
    })
}

/// Whether the page's rulings make a table grid (else its tables, if any, are unruled).
pub fn has_ruled_table(pc: &PageContent) -> bool {
    !find_tables(&pc.hsegs, &pc.vsegs).is_empty()
}

pub fn is_cjk(c: char) -> bool {
    let u = c as u32;
    (0x2E80..=0x9FFF).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFE30..=0xFE4F).contains(&u)
        || (0xFF00..=0xFFEF).contains(&u)
        || (0x20000..=0x3FFFF).contains(&u)
}

fn is_wordish(c: char) -> bool {
    !c.is_whitespace() && !is_cjk(c)
}

/// Groups glyphs into visual lines, top to bottom, each left to right, as indices into
/// `glyphs`: a glyph whose baseline lies within 0.4 of the smaller size below the line's
/// first is on that line. (The unruled-table pass groups a page's glyphs the same way.)
pub fn baseline_groups(glyphs: &[&Glyph]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..glyphs.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (glyphs[a], glyphs[b]);
        a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x))
    });
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut base = 0.0f32;
    let mut size = 0.0f32;
    for i in order {
        let g = glyphs[i];
        if !cur.is_empty() && (g.y - base) > 0.4 * size.min(g.size).max(1.0) {
            groups.push(std::mem::take(&mut cur));
        }
        if cur.is_empty() {
            base = g.y;
            size = g.size;
        }
        size = size.max(g.size);
        cur.push(i);
    }
    if !cur.is_empty() {
        groups.push(cur);
    }
    for grp in &mut groups {
        grp.sort_by(|&a, &b| glyphs[a].x.total_cmp(&glyphs[b].x));
    }
    groups
}

/// Groups glyphs into visual lines (top to bottom) and joins each line's text.
pub fn build_lines(glyphs: &[&Glyph]) -> Vec<Line> {
    let mut lines = Vec::new();
    for grp in baseline_groups(glyphs) {
        let grp: Vec<&Glyph> = grp.into_iter().map(|i| glyphs[i]).collect();
        let mut text = String::new();
        let mut prev: Option<&Glyph> = None;
        let (mut x0, mut x1, mut top, mut bottom, mut sz) =
            (f32::MAX, f32::MIN, f32::MAX, f32::MIN, 0.0f32);
        let mut ysum = 0.0;
        let mut n_used = 0usize;
        let mut lead_word_w = 0.0f32;
        let mut in_lead = true;
        for g in &grp {
            if let Some(p) = prev {
                // Fake bold and shadows: the same glyph drawn again at (nearly) the same place.
                if p.ch == g.ch
                    && (g.x - p.x).abs() < 0.3 * g.size
                    && (g.y - p.y).abs() < 0.3 * g.size
                {
                    continue;
                }
            }
            if g.ch.is_whitespace() || g.ch.is_control() {
                if !text.is_empty() && !text.ends_with(' ') {
                    text.push(' ');
                }
                prev = Some(g);
                continue;
            }
            if let Some(p) = prev {
                let gap = g.x - (p.x + p.w);
                let last = text.chars().last();
                if gap > 0.25 * g.size.min(p.size)
                    && last.is_some_and(is_wordish)
                    && is_wordish(g.ch)
                    && !text.ends_with(' ')
                {
                    text.push(' ');
                }
            }
            if in_lead && g.ch.is_ascii() && !text.ends_with(' ') {
                lead_word_w = g.x + g.w - x0.min(g.x);
            } else {
                in_lead = false;
            }
            text.push(g.ch);
            x0 = x0.min(g.x);
            x1 = x1.max(g.x + g.w);
            top = top.min(g.y - g.size * 0.85);
            bottom = bottom.max(g.y + g.size * 0.15);
            sz = sz.max(g.size);
            ysum += g.y;
            n_used += 1;
            prev = Some(g);
        }
        let text = tidy_spaces(&text);
        if text.is_empty() {
            continue;
        }
        let n = n_used.max(1) as f32;
        lines.push(Line {
            x0,
            x1,
            top,
            bottom,
            y: ysum / n,
            size: sz,
            text,
            lead_word_w,
        });
    }
    lines
}

/// Trims, and drops spaces that stand between two CJK characters (or a CJK character
/// and CJK punctuation), which are layout, not words.
fn tidy_spaces(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.get(i + 1).copied();
            if let (Some(p), Some(n)) = (prev, next) {
                if is_cjk(p) && is_cjk(n) {
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// Joins two pieces of running text: a space only between two Latin letters or digits.
pub fn join_text(a: &mut String, b: &str) {
    let last = a.chars().last();
    let first = b.chars().next();
    if let (Some(l), Some(f)) = (last, first) {
        if l.is_ascii_alphabetic() && f.is_ascii_alphabetic() {
            a.push(' ');
        }
    }
    a.push_str(b);
}

/// "- 3 -", "—3—", "3", "第 3 页", "第3页 共5页", "3/5", "Page 3 of 5".
pub fn is_page_number(text: &str) -> bool {
    let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let dashes = |c: char| "-－—–‐‑_~·•.．".contains(c);
    let core = s.trim_matches(dashes);
    let all_digits =
        |t: &str| !t.is_empty() && t.len() <= 4 && t.chars().all(|c| c.is_ascii_digit());
    if all_digits(core) {
        return true;
    }
    if let Some((a, b)) = core.split_once('/') {
        return all_digits(a) && all_digits(b);
    }
    let lower = core.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("page") {
        let rest = rest.split("of").next().unwrap_or("");
        return all_digits(rest);
    }
    if let Some(rest) = core.strip_prefix('第') {
        let mut parts = rest.splitn(2, '页');
        let num = parts.next().unwrap_or("");
        let tail = parts.next().unwrap_or("");
        let tail = tail.trim_start_matches([',', '，', '/']);
        let tail_ok = tail.is_empty()
            || tail
                .strip_prefix('共')
                .and_then(|t| t.strip_suffix('页'))
                .is_some_and(all_digits);
        return all_digits(num) && tail_ok;
    }
    false
}

/// A line that begins a new block: 一、 （一） (1) 1. 1、 第一章 …
fn starts_new_block(text: &str) -> bool {
    let t = text.trim_start();
    let mut chars = t.chars();
    let first = match chars.next() {
        Some(c) => c,
        None => return false,
    };
    let numeral = |c: char| "一二三四五六七八九十".contains(c);
    if numeral(first) {
        let rest: String = chars.clone().take(3).collect();
        let after = rest.trim_start_matches(numeral);
        return after.starts_with('、');
    }
    if first == '（' || first == '(' {
        let rest: String = chars.take(4).collect();
        let inner = rest.trim_start_matches(|c: char| numeral(c) || c.is_ascii_digit());
        return inner.len() < rest.len() && (inner.starts_with('）') || inner.starts_with(')'));
    }
    if first.is_ascii_digit() || ('０'..='９').contains(&first) {
        let rest = t.trim_start_matches(|c: char| c.is_ascii_digit() || ('０'..='９').contains(&c));
        return rest.starts_with(['.', '．', '、'])
            && !rest[1..].starts_with(|c: char| c.is_ascii_digit());
    }
    if first == '第' {
        let rest: String = chars.take(4).collect();
        let after = rest.trim_start_matches(numeral);
        return after.len() < rest.len()
            && (after.starts_with('章') || after.starts_with('条') || after.starts_with("部分"));
    }
    false
}

/// Whether `b` starts with a Latin word (an e-mail address, a URL) too wide for the
/// room left at the end of `a`, so that `a` ended early only because the word wrapped.
fn ascii_word_wrapped(a: &Line, b: &Line, right: f32) -> bool {
    b.lead_word_w > 0.0 && b.lead_word_w > right - a.x1
}

enum Item {
    Table(usize),
    Line(Line),
    /// A block from outside the text layer (a picture), at its top edge.
    Placed(f32, usize),
}

fn item_top(it: &Item, grids: &[Grid]) -> f32 {
    match it {
        Item::Table(k) => grids[*k].ys[0],
        Item::Line(l) => l.top,
        Item::Placed(top, _) => *top,
    }
}

/// Turns the page so that most text runs left to right, and gives every glyph its left
/// edge and width along the line. Returns the turned page's width and height.
pub fn upright(pc: &mut PageContent, pw: f32, ph: f32) -> (f32, f32) {
    let mut votes = [0usize; 4]; // +x, +y, -x, -y
    for g in &pc.glyphs {
        if g.ch.is_whitespace() || (g.dx == 0.0 && g.dy == 0.0) {
            continue;
        }
        let k = if g.dx.abs() >= g.dy.abs() {
            if g.dx >= 0.0 {
                0
            } else {
                2
            }
        } else if g.dy >= 0.0 {
            1
        } else {
            3
        };
        votes[k] += 1;
    }
    let dir = (0..4).max_by_key(|&k| (votes[k], k == 0)).unwrap_or(0);
    // Point map and new page size for each direction.
    let map = move |x: f32, y: f32| -> (f32, f32) {
        match dir {
            1 => (y, pw - x),
            2 => (pw - x, ph - y),
            3 => (ph - y, x),
            _ => (x, y),
        }
    };
    let size = if dir == 1 || dir == 3 {
        (ph, pw)
    } else {
        (pw, ph)
    };
    for g in &mut pc.glyphs {
        let (x, y) = map(g.x, g.y);
        let (ex, ey) = map(g.x + g.dx, g.y + g.dy);
        let (dx, dy) = (ex - x, ey - y);
        g.x = x;
        g.y = y;
        g.dx = dx;
        g.dy = dy;
        if dx.abs() >= dy.abs() * 0.5 {
            if dx < 0.0 {
                g.x += dx;
            }
            g.w = dx.abs();
        } else {
            g.w = g.size;
        }
    }
    if dir != 0 {
        let mut hs = Vec::new();
        let mut vs = Vec::new();
        let segs = pc
            .hsegs
            .iter()
            .map(|s| ((s.a, s.pos), (s.b, s.pos)))
            .chain(pc.vsegs.iter().map(|s| ((s.pos, s.a), (s.pos, s.b))));
        for (p, q) in segs {
            let (p, q) = (map(p.0, p.1), map(q.0, q.1));
            if (p.1 - q.1).abs() < 0.5 {
                hs.push(Seg {
                    pos: p.1,
                    a: p.0.min(q.0),
                    b: p.0.max(q.0),
                });
            } else {
                vs.push(Seg {
                    pos: p.0,
                    a: p.1.min(q.1),
                    b: p.1.max(q.1),
                });
            }
        }
        pc.hsegs = hs;
        pc.vsegs = vs;
    }
    size
}

/// The blocks of one page in reading order.
/// `placed`: blocks from outside the text layer with their top edge (pictures of a
/// page that has text), put in reading order among the page's own.
pub fn page_blocks(
    pc: &PageContent,
    page: u32,
    pw: f32,
    ph: f32,
    placed: Vec<(f32, Block)>,
) -> Vec<Block> {
    let grids = find_tables(&pc.hsegs, &pc.vsegs);
    let mut cell_glyphs: Vec<Vec<Vec<&Glyph>>> = grids
        .iter()
        .map(|g| vec![Vec::new(); g.regions.len()])
        .collect();
    let mut free: Vec<&Glyph> = Vec::new();
    'glyphs: for g in &pc.glyphs {
        let cx = g.x + g.w / 2.0;
        let cy = g.y - g.size * 0.35;
        for (k, grid) in grids.iter().enumerate() {
            if grid.contains(cx, cy) {
                if let Some(r) = grid.region_at(cx, cy) {
                    cell_glyphs[k][r].push(g);
                    continue 'glyphs;
                }
            }
        }
        free.push(g);
    }

    let mut tables: Vec<Option<Table>> = Vec::new();
    for (k, grid) in grids.iter().enumerate() {
        let nr = grid.ys.len() - 1;
        let mut order: Vec<usize> = (0..grid.regions.len()).collect();
        order.sort_by_key(|&i| (grid.regions[i].r0, grid.regions[i].c0));
        let mut rows: Vec<Vec<Cell>> = vec![Vec::new(); nr];
        let mut any_text = false;
        for i in order {
            let reg = &grid.regions[i];
            let mut text = String::new();
            for line in build_lines(&cell_glyphs[k][i]) {
                join_text(&mut text, &line.text);
            }
            any_text |= !text.is_empty();
            let x0 = grid.xs[reg.c0];
            let y0 = grid.ys[reg.r0];
            let mut cell = Cell::new(text);
            cell.row_span = (reg.r1 - reg.r0 + 1) as u32;
            cell.col_span = (reg.c1 - reg.c0 + 1) as u32;
            cell.bbox = Some([x0, y0, grid.xs[reg.c1 + 1] - x0, grid.ys[reg.r1 + 1] - y0]);
            cell.page = Some(page);
            rows[reg.r0].push(cell);
        }
        tables.push(if any_text {
            Some(Table::from_spanned_rows(
                rows,
                TableOrigin::PdfText,
                Some(page),
            ))
        } else {
            None
        });
    }

    // Free text: visual lines, less page numbers in the top and bottom margins.
    let lines: Vec<Line> = build_lines(&free)
        .into_iter()
        .filter(|l| {
            let in_margin = l.top > ph * 0.85 || l.bottom < ph * 0.12;
            !(in_margin && (is_page_number(&l.text) || super::print::is_print_furniture(&l.text)))
        })
        .collect();
    // The text block's right edge: the median right end of the longer lines (justified
    // lines end there; a few overhang it with punctuation).
    let mut ends: Vec<f32> = lines
        .iter()
        .filter(|l| l.text.chars().count() >= 15)
        .map(|l| l.x1)
        .collect();
    ends.sort_by(f32::total_cmp);
    let right = ends.get(ends.len() / 2).copied().unwrap_or(pw);
    let left = lines
        .iter()
        .filter(|l| l.text.chars().count() >= 15)
        .map(|l| l.x0)
        .fold(f32::MAX, f32::min);
    let left = if left == f32::MAX { 0.0 } else { left };

    let mut items: Vec<Item> = lines.into_iter().map(Item::Line).collect();
    for (k, t) in tables.iter().enumerate() {
        if t.is_some() {
            items.push(Item::Table(k));
        }
    }
    let mut placed: Vec<Option<Block>> = placed
        .into_iter()
        .enumerate()
        .map(|(k, (top, b))| {
            items.push(Item::Placed(top, k));
            Some(b)
        })
        .collect();
    items.sort_by(|a, b| item_top(a, &grids).total_cmp(&item_top(b, &grids)));

    let mut blocks = Vec::new();
    let mut para: Option<(String, Line)> = None;
    for it in items {
        match it {
            Item::Table(k) => {
                if let Some((text, _)) = para.take() {
                    blocks.push(Block::Paragraph(text));
                }
                if let Some(t) = tables[k].take() {
                    blocks.push(Block::Table(t));
                }
            }
            Item::Placed(_, k) => {
                if let Some((text, _)) = para.take() {
                    blocks.push(Block::Paragraph(text));
                }
                blocks.extend(placed[k].take());
            }
            Item::Line(b) => {
                if let Some((text, a)) = para.as_mut() {
                    let size = a.size.max(1.0);
                    let joins = (b.size - a.size).abs() <= 0.15 * size
                        && b.top >= a.top + 0.5 * size
                        && b.y - a.y <= 2.2 * size
                        && (a.x1 >= right - 2.0 * size || ascii_word_wrapped(a, &b, right))
                        && a.x0 <= left + 3.0 * size
                        && b.x0 <= a.x0 + 0.5 * size
                        && !starts_new_block(&b.text);
                    if joins {
                        join_text(text, &b.text);
                        *a = b;
                        continue;
                    }
                }
                if let Some((text, _)) = para.take() {
                    blocks.push(Block::Paragraph(text));
                }
                para = Some((b.text.clone(), b));
            }
        }
    }
    if let Some((text, _)) = para.take() {
        blocks.push(Block::Paragraph(text));
    }
    blocks
}

#[cfg(test)]
pub fn debug_lines(pc: &PageContent) {
    let all: Vec<&Glyph> = pc.glyphs.iter().collect();
    for l in build_lines(&all) {
        eprintln!(
            "{:7.1} {:7.1} top {:7.1} y {:7.1} sz {:5.1} {}",
            l.x0, l.x1, l.top, l.y, l.size, l.text
        );
    }
}

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
