//! Content stream interpreter: text state and matrices, the CTM, paths (for ruling
//! lines), Form XObjects and image placements. Unknown or malformed operators are
//! skipped; nothing here fails.

use super::fonts::{Code, Font};
pub use super::lexer::{is_delim, parse_literal_string};
use super::lexer::{Lexer, Operand, Tok};
use super::objects::{deref, dict_get, dict_of, name_of, nums_of, stream_bytes};
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::HashMap;
use std::rc::Rc;

pub type Matrix = [f32; 6];

pub const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a` then `b`.
pub fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

pub fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// One glyph in page coordinates (points, origin top left, y down).
#[derive(Debug, Clone)]
pub struct Glyph {
    pub ch: char,
    /// Left edge.
    pub x: f32,
    /// Baseline.
    pub y: f32,
    /// Advance width.
    pub w: f32,
    /// Font size in page units.
    pub size: f32,
    /// Advance vector (for finding the page's text direction).
    pub dx: f32,
    pub dy: f32,
}

/// A horizontal (`y`, from `a` to `b` in x) or vertical (`x`, from `a` to `b` in y) rule.
#[derive(Debug, Clone, Copy)]
pub struct Seg {
    pub pos: f32,
    pub a: f32,
    pub b: f32,
}

#[derive(Debug, Clone)]
pub struct ImageUse {
    pub id: Option<ObjectId>,
    /// Area covered on the page, in square points.
    pub area: f32,
    /// Width on the page, in points.
    pub width_pt: f32,
    /// Its top edge on the displayed page (y down), in points.
    pub top: f32,
    /// An inline image (`BI … ID … EI`): its dictionary, keys and names spelt out, and
    /// its data.
    pub inline: Option<Rc<lopdf::Stream>>,
}

#[derive(Debug, Default)]
pub struct PageContent {
    pub glyphs: Vec<Glyph>,
    pub hsegs: Vec<Seg>,
    pub vsegs: Vec<Seg>,
    pub images: Vec<ImageUse>,
}

const MAX_OPS: usize = 3_000_000;
const MAX_GLYPHS: usize = 300_000;
const MAX_SEGS: usize = 100_000;
const MAX_FORM_DEPTH: usize = 10;
const MAX_GSTACK: usize = 256;

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f32,
    tc: f32,
    tw: f32,
    th: f32,
    tl: f32,
    rise: f32,
    fill_white: bool,
    stroke_white: bool,
}

struct Sub {
    pts: Vec<(f32, f32)>,
    closed: bool,
}

pub struct Interp<'d> {
    doc: &'d Document,
    fonts: &'d mut HashMap<ObjectId, Rc<Font>>,
    out: PageContent,
    ops: usize,
    /// Page box in page coordinates, to drop text placed far outside it.
    bounds: (f32, f32),
    forms_active: Vec<ObjectId>,
    codes: Vec<Code>,
    text: String,
}

fn is_white(vals: &[f32]) -> bool {
    match vals.len() {
        1 => vals[0] >= 0.95,
        3 => vals.iter().all(|v| *v >= 0.95),
        4 => vals.iter().all(|v| *v <= 0.05),
        _ => false,
    }
}

impl<'d> Interp<'d> {
    pub fn new(
        doc: &'d Document,
        fonts: &'d mut HashMap<ObjectId, Rc<Font>>,
        bounds: (f32, f32),
    ) -> Interp<'d> {
        Interp {
            doc,
            fonts,
            out: PageContent::default(),
            ops: 0,
            bounds,
            forms_active: Vec::new(),
            codes: Vec::new(),
            text: String::new(),
        }
    }

    pub fn finish(self) -> PageContent {
        self.out
    }

    /// Runs one content stream with the given resources and initial CTM.
    pub fn run(&mut self, data: &[u8], resources: Option<&'d Dictionary>, ctm: Matrix) {
        let mut gs = GState {
            ctm,
            font: None,
            size: 0.0,
            tc: 0.0,
            tw: 0.0,
            th: 1.0,
            tl: 0.0,
            rise: 0.0,
            fill_white: false,
            stroke_white: false,
        };
        let mut stack: Vec<GState> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        let mut path: Vec<Sub> = Vec::new();
        let mut operands: Vec<Operand> = Vec::new();
        let mut lex = Lexer { data, pos: 0 };

        while let Some(tok) = lex.next(0) {
            let op = match tok {
                Tok::Operand(o) => {
                    if operands.len() > 64 {
                        operands.clear();
                    }
                    operands.push(o);
                    continue;
                }
                Tok::Keyword(k) => k,
                Tok::ArrEnd | Tok::DictEnd => continue,
            };
            self.ops += 1;
            if self.ops > MAX_OPS {
                break;
            }
            let nums = |n: usize| -> Option<Vec<f32>> {
                if operands.len() < n {
                    return None;
                }
                operands[operands.len() - n..]
                    .iter()
                    .map(|o| match o {
                        Operand::Num(v) => Some(*v),
                        _ => None,
                    })
                    .collect()
            };
            match op {
                b"q" if stack.len() < MAX_GSTACK => stack.push(gs.clone()),
                b"Q" => {
                    if let Some(g) = stack.pop() {
                        gs = g;
                    }
                }
                b"cm" => {
                    if let Some(v) = nums(6) {
                        let m = [v[0], v[1], v[2], v[3], v[4], v[5]];
                        gs.ctm = mul(&m, &gs.ctm);
                    }
                }
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"ET" => {}
                b"Tf" if operands.len() >= 2 => {
                    if let (Operand::Name(n), Operand::Num(sz)) =
                        (&operands[operands.len() - 2], &operands[operands.len() - 1])
                    {
                        gs.font = Some(self.font(resources, n));
                        gs.size = *sz;
                    }
                }
                b"Tc" => {
                    if let Some(v) = nums(1) {
                        gs.tc = v[0];
                    }
                }
                b"Tw" => {
                    if let Some(v) = nums(1) {
                        gs.tw = v[0];
                    }
                }
                b"Tz" => {
                    if let Some(v) = nums(1) {
                        gs.th = v[0] / 100.0;
                    }
                }
                b"TL" => {
                    if let Some(v) = nums(1) {
                        gs.tl = v[0];
                    }
                }
                b"Ts" => {
                    if let Some(v) = nums(1) {
                        gs.rise = v[0];
                    }
                }
                b"Td" | b"TD" => {
                    if let Some(v) = nums(2) {
                        if op == b"TD" {
                            gs.tl = -v[1];
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, v[0], v[1]], &tlm);
                        tm = tlm;
                    }
                }
                b"Tm" => {
                    if let Some(v) = nums(6) {
                        tlm = [v[0], v[1], v[2], v[3], v[4], v[5]];
                        tm = tlm;
                    }
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.tl], &tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" => {
                    if op != b"Tj" {
                        if op == b"\"" {
                            if let Some(v) = operands.len().checked_sub(3).and_then(|i| {
                                match (&operands[i], &operands[i + 1]) {
                                    (Operand::Num(a), Operand::Num(b)) => Some((*a, *b)),
                                    _ => None,
                                }
                            }) {
                                gs.tw = v.0;
                                gs.tc = v.1;
                            }
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.tl], &tlm);
                        tm = tlm;
                    }
                    if let Some(Operand::Str(s)) = operands.last() {
                        self.show(&gs, &mut tm, s);
                    }
                }
                b"TJ" => {
                    if let Some(Operand::Arr(items)) = operands.last() {
                        for it in items {
                            match it {
                                Operand::Str(s) => self.show(&gs, &mut tm, s),
                                Operand::Num(n) => {
                                    let tx = -n / 1000.0 * gs.size * gs.th;
                                    tm[4] += tx * tm[0];
                                    tm[5] += tx * tm[1];
                                }
                                _ => {}
                            }
                        }
                    }
                }
                b"m" => {
                    if let Some(v) = nums(2) {
                        let p = apply(&gs.ctm, v[0], v[1]);
                        if path.len() < 10_000 {
                            path.push(Sub {
                                pts: vec![p],
                                closed: false,
                            });
                        }
                    }
                }
                b"l" => {
                    if let Some(v) = nums(2) {
                        let p = apply(&gs.ctm, v[0], v[1]);
                        match path.last_mut() {
                            Some(s) if !s.closed => {
                                if s.pts.len() < 10_000 {
                                    s.pts.push(p)
                                }
                            }
                            _ => path.push(Sub {
                                pts: vec![p],
                                closed: false,
                            }),
                        }
                    }
                }
                b"c" | b"v" | b"y" => {
                    // Curves are not rules: end the current straight run at the endpoint.
                    let n = if op == b"c" { 6 } else { 4 };
                    if let Some(v) = nums(n) {
                        let p = apply(&gs.ctm, v[n - 2], v[n - 1]);
                        if path.len() < 10_000 {
                            path.push(Sub {
                                pts: vec![p],
                                closed: false,
                            });
                        }
                    }
                }
                b"h" => {
                    if let Some(s) = path.last_mut() {
                        s.closed = true;
                    }
                }
                b"re" => {
                    if let Some(v) = nums(4) {
                        let (x, y, w, h) = (v[0], v[1], v[2], v[3]);
                        let pts = vec![
                            apply(&gs.ctm, x, y),
                            apply(&gs.ctm, x + w, y),
                            apply(&gs.ctm, x + w, y + h),
                            apply(&gs.ctm, x, y + h),
                        ];
                        if path.len() < 10_000 {
                            path.push(Sub { pts, closed: true });
                        }
                    }
                }
                b"S" | b"s" => {
                    if op == b"s" {
                        if let Some(s) = path.last_mut() {
                            s.closed = true;
                        }
                    }
                    if !gs.stroke_white {
                        self.stroke(&path);
                    }
                    path.clear();
                }
                b"f" | b"F" | b"f*" => {
                    if !gs.fill_white {
                        self.fill(&path);
                    }
                    path.clear();
                }
                b"B" | b"B*" | b"b" | b"b*" => {
                    if op[0] == b'b' {
                        if let Some(s) = path.last_mut() {
                            s.closed = true;
                        }
                    }
                    if !gs.fill_white {
                        self.fill(&path);
                    }
                    if !gs.stroke_white {
                        self.stroke(&path);
                    }
                    path.clear();
                }
                b"n" => path.clear(),
                b"g" | b"rg" | b"k" | b"sc" | b"scn" => {
                    gs.fill_white = is_white(&trailing_nums(&operands));
                }
                b"G" | b"RG" | b"K" | b"SC" | b"SCN" => {
                    gs.stroke_white = is_white(&trailing_nums(&operands));
                }
                b"cs" => gs.fill_white = false,
                b"CS" => gs.stroke_white = false,
                b"Do" => {
                    if let Some(Operand::Name(n)) = operands.last() {
                        self.do_xobject(resources, n, &gs);
                    }
                }
                b"BI" => {
                    if let Some(stream) = lex.inline_image() {
                        self.place_image(None, Some(Rc::new(stream)), &gs);
                    }
                }
                _ => {}
            }
            operands.clear();
        }
    }

    fn font(&mut self, resources: Option<&'d Dictionary>, name: &[u8]) -> Rc<Font> {
        let doc = self.doc;
        let entry = resources
            .and_then(|r| dict_get(doc, r, b"Font"))
            .and_then(|o| o.as_dict().ok())
            .and_then(|fd| fd.get(name).ok());
        let Some(entry) = entry else {
            return Rc::new(Font::unknown());
        };
        if let Object::Reference(id) = entry {
            if let Some(f) = self.fonts.get(id) {
                return f.clone();
            }
            let font = Rc::new(match dict_of(doc, entry) {
                Some(d) => Font::load(doc, d),
                None => Font::unknown(),
            });
            self.fonts.insert(*id, font.clone());
            return font;
        }
        Rc::new(match dict_of(doc, entry) {
            Some(d) => Font::load(doc, d),
            None => Font::unknown(),
        })
    }

    fn show(&mut self, gs: &GState, tm: &mut Matrix, s: &[u8]) {
        let Some(font) = gs.font.clone() else {
            return;
        };
        let mut codes = std::mem::take(&mut self.codes);
        font.codes(s, &mut codes);
        let trm_base = [gs.size * gs.th, 0.0, 0.0, gs.size, 0.0, gs.rise];
        for c in &codes {
            self.text.clear();
            font.text(c, &mut self.text);
            let w0 = font.width(c, &self.text);
            let trm = mul(&mul(&trm_base, tm), &gs.ctm);
            let (x0, y0) = (trm[4], trm[5]);
            let (x1, y1) = apply(&trm, w0, 0.0);
            let size = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt();
            if self.out.glyphs.len() < MAX_GLYPHS
                && size.is_finite()
                && size > 0.5
                && x0.is_finite()
                && y0.is_finite()
                && x0 > -20.0
                && y0 > -20.0
                && x0 < self.bounds.0 + 20.0
                && y0 < self.bounds.1 + 20.0
            {
                let n = self.text.chars().count().max(1) as f32;
                let (dx, dy) = ((x1 - x0) / n, (y1 - y0) / n);
                for (k, ch) in self.text.chars().enumerate() {
                    self.out.glyphs.push(Glyph {
                        ch: super::radicals::unify_radical(ch),
                        x: x0 + dx * k as f32,
                        y: y0 + dy * k as f32,
                        w: (dx * dx + dy * dy).sqrt(),
                        size,
                        dx,
                        dy,
                    });
                }
            }
            let mut tx = w0 * gs.size + gs.tc;
            if c.len == 1 && c.code == 32 {
                tx += gs.tw;
            }
            tx *= gs.th;
            tm[4] += tx * tm[0];
            tm[5] += tx * tm[1];
        }
        self.codes = codes;
    }

    fn stroke(&mut self, path: &[Sub]) {
        for s in path {
            let n = s.pts.len();
            if n < 2 {
                continue;
            }
            for k in 0..n - 1 {
                self.add_seg(s.pts[k], s.pts[k + 1]);
            }
            if s.closed && n > 2 {
                self.add_seg(s.pts[n - 1], s.pts[0]);
            }
        }
    }

    fn add_seg(&mut self, p: (f32, f32), q: (f32, f32)) {
        if self.out.hsegs.len() + self.out.vsegs.len() >= MAX_SEGS {
            return;
        }
        let (dx, dy) = ((q.0 - p.0).abs(), (q.1 - p.1).abs());
        if !(dx.is_finite() && dy.is_finite()) {
            return;
        }
        if dy <= 1.0 && dx >= 2.0 {
            self.out.hsegs.push(Seg {
                pos: (p.1 + q.1) / 2.0,
                a: p.0.min(q.0),
                b: p.0.max(q.0),
            });
        } else if dx <= 1.0 && dy >= 2.0 {
            self.out.vsegs.push(Seg {
                pos: (p.0 + q.0) / 2.0,
                a: p.1.min(q.1),
                b: p.1.max(q.1),
            });
        }
    }

    fn fill(&mut self, path: &[Sub]) {
        for s in path {
            let n = s.pts.len();
            if !(4..=5).contains(&n) {
                continue;
            }
            // Axis-aligned rectangle? Every edge must be horizontal or vertical.
            let axis = (0..n).all(|k| {
                let p = s.pts[k];
                let q = s.pts[(k + 1) % n];
                (p.0 - q.0).abs() < 0.5 || (p.1 - q.1).abs() < 0.5
            });
            if !axis {
                continue;
            }
            let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
            for p in &s.pts {
                x0 = x0.min(p.0);
                y0 = y0.min(p.1);
                x1 = x1.max(p.0);
                y1 = y1.max(p.1);
            }
            let (w, h) = (x1 - x0, y1 - y0);
            if h <= 2.5 && w > 2.0 * h && w >= 2.0 {
                let y = (y0 + y1) / 2.0;
                self.add_seg((x0, y), (x1, y));
            } else if w <= 2.5 && h > 2.0 * w && h >= 2.0 {
                let x = (x0 + x1) / 2.0;
                self.add_seg((x, y0), (x, y1));
            }
        }
    }

    /// Notes an image drawn with the current CTM (it maps the unit square onto it).
    fn place_image(
        &mut self,
        id: Option<ObjectId>,
        inline: Option<Rc<lopdf::Stream>>,
        gs: &GState,
    ) {
        let m = gs.ctm;
        let area = (m[0] * m[3] - m[1] * m[2]).abs();
        let width_pt = (m[0] * m[0] + m[1] * m[1]).sqrt();
        // The unit square's corners on the page: the image's top is the least y.
        let top = [m[5], m[1] + m[5], m[3] + m[5], m[1] + m[3] + m[5]]
            .into_iter()
            .fold(f32::INFINITY, f32::min);
        if area.is_finite() && top.is_finite() {
            self.out.images.push(ImageUse {
                id,
                area,
                width_pt,
                top,
                inline,
            });
        }
    }

    fn do_xobject(&mut self, resources: Option<&'d Dictionary>, name: &[u8], gs: &GState) {
        let doc = self.doc;
        let Some(entry) = resources
            .and_then(|r| dict_get(doc, r, b"XObject"))
            .and_then(|o| o.as_dict().ok())
            .and_then(|xd| xd.get(name).ok())
        else {
            return;
        };
        let id = match entry {
            Object::Reference(id) => Some(*id),
            _ => None,
        };
        let Some(Object::Stream(stream)) = deref(doc, entry) else {
            return;
        };
        let subtype = dict_get(doc, &stream.dict, b"Subtype").and_then(name_of);
        match subtype {
            Some(b"Image") => self.place_image(id, None, gs),
            Some(b"Form") => {
                if self.forms_active.len() >= MAX_FORM_DEPTH {
                    return;
                }
                if let Some(id) = id {
                    if self.forms_active.contains(&id) {
                        return;
                    }
                }
                let Some(data) = stream_bytes(doc, entry) else {
                    return;
                };
                let m = stream
                    .dict
                    .get(b"Matrix")
                    .ok()
                    .map(|o| nums_of(doc, o))
                    .filter(|v| v.len() == 6)
                    .map(|v| [v[0], v[1], v[2], v[3], v[4], v[5]])
                    .unwrap_or(IDENTITY);
                let res = dict_get(doc, &stream.dict, b"Resources")
                    .and_then(|o| o.as_dict().ok())
                    .or(resources);
                let ctm = mul(&m, &gs.ctm);
                self.forms_active.push(id.unwrap_or((0, 0)));
                self.run(&data, res, ctm);
                self.forms_active.pop();
            }
            _ => {}
        }
    }
}

fn trailing_nums(ops: &[Operand]) -> Vec<f32> {
    ops.iter()
        .rev()
        .take_while(|o| matches!(o, Operand::Num(_)))
        .filter_map(|o| match o {
            Operand::Num(v) => Some(*v),
            _ => None,
        })
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}
