//! One OFD page (`Content.xml`) → the positioned glyphs and ruling segments of the PDF
//! decoder's [`PageContent`], so that the PDF layout pass builds its lines, paragraphs
//! and ruled tables; and the page's pictures with their place.
//!
//! OFD coordinates are millimetres, y down, each object placed by its `Boundary`
//! (`x y w h`) with an optional `CTM` for what is drawn inside it. Everything is turned
//! into points here, the unit the layout pass's tolerances are set in.

use crate::formats::docx::{attr, event_text, local, new_reader};
use crate::formats::pdf::content::{apply, mul, Glyph, Matrix, PageContent, Seg, IDENTITY};
use quick_xml::events::{BytesStart, Event};

/// Points per millimetre.
pub const PT_PER_MM: f32 = 72.0 / 25.4;
/// Bounds on what one page may hold (as the PDF interpreter's).
const MAX_GLYPHS: usize = 300_000;
const MAX_SEGS: usize = 100_000;
const MAX_IMAGES: usize = 1_000;
const MAX_EVENTS: usize = 5_000_000;
/// Template pages one page may be drawn on.
const MAX_TEMPLATES: usize = 8;
/// A filled rectangle thinner than this (points) is a rule, as in PDFs.
const THIN_RULE: f32 = 2.0;

/// A picture drawn on the page.
#[derive(Debug, Clone)]
pub struct ImagePlace {
    pub resource: String,
    /// Its box on the page in points (x, y, w, h).
    pub bbox: [f32; 4],
}

/// What a page's content draws.
#[derive(Debug, Default)]
pub struct PageObjects {
    pub content: PageContent,
    pub images: Vec<ImagePlace>,
    /// Text runs a font draws as glyph indexes (`CGTransform`): their codes were read as
    /// the characters they name, which the glyphs may not show.
    pub glyph_transforms: usize,
    /// The page's own size in millimetres, when it gives one.
    pub physical_box: Option<[f32; 4]>,
    /// A bound was reached and the rest of the page was not read.
    pub truncated: bool,
    /// The template pages it is drawn on (`Template TemplateID`): running headers,
    /// a 红头 with the agency's name.
    pub templates: Vec<String>,
}

impl PageObjects {
    /// Adds what a template page draws (the page's own size and notes stay).
    pub fn add_template(&mut self, t: PageObjects) {
        self.content.glyphs.extend(t.content.glyphs);
        self.content.hsegs.extend(t.content.hsegs);
        self.content.vsegs.extend(t.content.vsegs);
        self.images.extend(t.images);
        self.glyph_transforms += t.glyph_transforms;
        self.truncated |= t.truncated;
    }
}

/// Text object state while its `TextCode`s are read.
struct TextRun {
    /// Object space (mm) → page (mm).
    to_page: Matrix,
    size: f32,
}

/// Parses a page's `Content.xml`. Malformed XML ends the page where it breaks: what was
/// read before is kept.
pub fn parse_page(xml: &[u8]) -> PageObjects {
    let mut out = PageObjects::default();
    let mut reader = new_reader(xml);
    let mut text: Option<TextRun> = None;
    // The TextCode being read: its attributes and its text so far.
    let mut code: Option<(BytesStartOwned, String)> = None;
    let mut path: Option<(Matrix, PathStyle)> = None;
    let mut path_data: Option<String> = None;
    let mut in_box = false;
    let mut box_text = String::new();
    let mut events = 0usize;
    loop {
        events += 1;
        if events > MAX_EVENTS {
            out.truncated = true;
            break;
        }
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(e) => e,
        };
        match &event {
            Event::Start(e) => match local(e.name().as_ref()) {
                b"PhysicalBox" => {
                    in_box = true;
                    box_text.clear();
                }
                b"Template" if out.templates.len() < MAX_TEMPLATES => {
                    if let Some(id) = attr(e, b"TemplateID", false) {
                        out.templates.push(id.trim().to_string());
                    }
                }
                b"TextObject" => {
                    let size = num_attr(e, b"Size").unwrap_or(3.5);
                    text = Some(TextRun {
                        to_page: object_matrix(e),
                        size,
                    });
                }
                b"TextCode" if text.is_some() => {
                    code = Some((BytesStartOwned::of(e), String::new()));
                }
                b"CGTransform" => out.glyph_transforms += 1,
                b"PathObject" => {
                    path = Some((object_matrix(e), PathStyle::of(e)));
                }
                b"AbbreviatedData" if path.is_some() => path_data = Some(String::new()),
                b"ImageObject" => {
                    if out.images.len() < MAX_IMAGES {
                        if let Some(img) = image_place(e) {
                            out.images.push(img);
                        }
                    } else {
                        out.truncated = true;
                    }
                }
                _ => {}
            },
            Event::End(e) => match local(e.name().as_ref()) {
                b"PhysicalBox" => {
                    in_box = false;
                    out.physical_box = parse_box(&box_text);
                }
                b"TextObject" => text = None,
                b"TextCode" => {
                    if let (Some(run), Some((attrs, s))) = (&text, code.take()) {
                        if !add_text_code(&mut out.content, run, &attrs, &s) {
                            out.truncated = true;
                        }
                    }
                }
                b"AbbreviatedData" => {
                    if let (Some((m, style)), Some(d)) = (&path, path_data.take()) {
                        if !add_path(&mut out.content, m, *style, &d) {
                            out.truncated = true;
                        }
                    }
                }
                b"PathObject" => path = None,
                _ => {}
            },
            other => {
                if let Some(t) = event_text(other) {
                    if let Some((_, s)) = code.as_mut() {
                        s.push_str(&t);
                    } else if let Some(d) = path_data.as_mut() {
                        d.push_str(&t);
                    } else if in_box {
                        box_text.push_str(&t);
                    }
                }
            }
        }
    }
    out
}

/// The attributes of a `TextCode`, kept until its text has been read.
struct BytesStartOwned {
    x: Option<f32>,
    y: Option<f32>,
    delta_x: Option<String>,
    delta_y: Option<String>,
}

impl BytesStartOwned {
    fn of(e: &BytesStart<'_>) -> BytesStartOwned {
        BytesStartOwned {
            x: num_attr(e, b"X"),
            y: num_attr(e, b"Y"),
            delta_x: attr(e, b"DeltaX", false),
            delta_y: attr(e, b"DeltaY", false),
        }
    }
}

fn num_attr(e: &BytesStart<'_>, name: &[u8]) -> Option<f32> {
    attr(e, name, false)
        .and_then(|v| v.trim().parse::<f32>().ok())
        .filter(|v| v.is_finite())
}

fn parse_nums(s: &str) -> Vec<f32> {
    s.split_ascii_whitespace()
        .filter_map(|t| t.parse::<f32>().ok())
        .filter(|v| v.is_finite())
        .collect()
}

fn parse_box(s: &str) -> Option<[f32; 4]> {
    match parse_nums(s).as_slice() {
        [x, y, w, h] if *w > 0.0 && *h > 0.0 => Some([*x, *y, *w, *h]),
        _ => None,
    }
}

/// Object space → page, both in mm: the object's `CTM`, then its `Boundary` origin.
fn object_matrix(e: &BytesStart<'_>) -> Matrix {
    let origin = attr(e, b"Boundary", false)
        .and_then(|b| {
            parse_box(&b).or_else(|| parse_nums(&b).get(..2).map(|v| [v[0], v[1], 0.0, 0.0]))
        })
        .unwrap_or([0.0; 4]);
    let ctm = attr(e, b"CTM", false)
        .map(|c| parse_nums(&c))
        .and_then(|v| <[f32; 6]>::try_from(v.as_slice()).ok())
        .unwrap_or(IDENTITY);
    mul(&ctm, &[1.0, 0.0, 0.0, 1.0, origin[0], origin[1]])
}

/// The `DeltaX`/`DeltaY` list of a text code: numbers, with `g N v` for N times v.
fn expand_deltas(s: &str, needed: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(needed);
    let mut toks = s.split_ascii_whitespace();
    while out.len() < needed {
        let Some(t) = toks.next() else { break };
        if t == "g" {
            let n = toks
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            let v = toks
                .next()
                .and_then(|v| v.parse::<f32>().ok())
                .unwrap_or(0.0);
            let n = n.min(needed - out.len());
            out.extend(std::iter::repeat_n(v, n));
        } else if let Ok(v) = t.parse::<f32>() {
            out.push(v);
        }
    }
    out
}

/// The advance of a character with no `DeltaX` after it (the run's last): a full em
/// for ideographs, half for Latin, in the run's units.
fn natural_advance(c: char, size: f32) -> f32 {
    if c.is_ascii() {
        size * 0.5
    } else {
        size
    }
}

/// Places a `TextCode`'s characters. False when the page's glyph bound is reached.
fn add_text_code(pc: &mut PageContent, run: &TextRun, a: &BytesStartOwned, s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return true;
    }
    let need = chars.len() - 1;
    let dx = a
        .delta_x
        .as_deref()
        .map(|d| expand_deltas(d, need))
        .unwrap_or_default();
    let dy = a
        .delta_y
        .as_deref()
        .map(|d| expand_deltas(d, need))
        .unwrap_or_default();
    let (mut x, mut y) = (a.x.unwrap_or(0.0), a.y.unwrap_or(0.0));
    let m = run.to_page;
    // The size on the page: the object's size through its matrix's vertical scale.
    let scale = (m[2] * m[2] + m[3] * m[3]).sqrt();
    let size_pt = run.size * scale * PT_PER_MM;
    for (i, &c) in chars.iter().enumerate() {
        if pc.glyphs.len() >= MAX_GLYPHS {
            return false;
        }
        let step_x = match (dx.get(i), dx.last()) {
            (Some(v), _) => *v,
            (None, Some(last)) if i < need => *last,
            _ => natural_advance(c, run.size),
        };
        let step_y = dy.get(i).copied().unwrap_or(0.0);
        let (px, py) = apply(&m, x, y);
        let (ex, ey) = apply(&m, x + step_x, y);
        pc.glyphs.push(Glyph {
            ch: c,
            x: px * PT_PER_MM,
            y: py * PT_PER_MM,
            w: (ex - px).abs() * PT_PER_MM,
            size: size_pt,
            dx: (ex - px) * PT_PER_MM,
            dy: (ey - py) * PT_PER_MM,
        });
        x += step_x;
        y += step_y;
    }
    true
}

#[derive(Debug, Clone, Copy)]
struct PathStyle {
    stroke: bool,
    fill: bool,
}

impl PathStyle {
    fn of(e: &BytesStart<'_>) -> PathStyle {
        let flag = |name: &[u8], default: bool| {
            attr(e, name, false).map_or(default, |v| v.trim() == "true")
        };
        PathStyle {
            stroke: flag(b"Stroke", true),
            fill: flag(b"Fill", false),
        }
    }
}

/// Adds a path's straight horizontal and vertical pieces as rules (stroked lines), or
/// its outline as one rule when it is a thin filled box. False when the page's segment
/// bound is reached.
fn add_path(pc: &mut PageContent, m: &Matrix, style: PathStyle, data: &str) -> bool {
    let toks: Vec<&str> = data.split_ascii_whitespace().collect();
    let num = |i: usize| {
        toks.get(i)
            .and_then(|t| t.parse::<f32>().ok())
            .filter(|v| v.is_finite())
    };
    let mut pieces: Vec<((f32, f32), (f32, f32))> = Vec::new();
    let mut points: Vec<(f32, f32)> = Vec::new();
    let (mut cur, mut start) = ((0.0f32, 0.0f32), (0.0f32, 0.0f32));
    let mut i = 0;
    while i < toks.len() {
        let args = match toks[i] {
            "M" | "S" | "L" => 2,
            "Q" => 4,
            "B" => 6,
            "A" => 7,
            "C" => 0,
            _ => {
                i += 1;
                continue;
            }
        };
        let vals: Option<Vec<f32>> = (1..=args).map(|k| num(i + k)).collect();
        let Some(vals) = vals else { break };
        let to_pt = |x: f32, y: f32| {
            let (px, py) = apply(m, x, y);
            (px * PT_PER_MM, py * PT_PER_MM)
        };
        match toks[i] {
            "M" | "S" => {
                cur = to_pt(vals[0], vals[1]);
                start = cur;
            }
            "L" => {
                let p = to_pt(vals[0], vals[1]);
                pieces.push((cur, p));
                cur = p;
            }
            "C" => {
                pieces.push((cur, start));
                cur = start;
            }
            _ => {
                // Curves: their end point only (they draw no rules).
                cur = to_pt(vals[args - 2], vals[args - 1]);
            }
        }
        points.push(cur);
        i += args + 1;
    }
    if style.stroke {
        for (p, q) in pieces {
            if !push_rule(pc, p, q) {
                return false;
            }
        }
    } else if style.fill && !points.is_empty() {
        let (x0, x1, y0, y1) = points.iter().fold(
            (f32::MAX, f32::MIN, f32::MAX, f32::MIN),
            |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
        );
        let (w, h) = (x1 - x0, y1 - y0);
        if h <= THIN_RULE && w > h * 4.0 {
            return push_rule(pc, (x0, (y0 + y1) / 2.0), (x1, (y0 + y1) / 2.0));
        } else if w <= THIN_RULE && h > w * 4.0 {
            return push_rule(pc, ((x0 + x1) / 2.0, y0), ((x0 + x1) / 2.0, y1));
        }
    }
    true
}

fn push_rule(pc: &mut PageContent, p: (f32, f32), q: (f32, f32)) -> bool {
    if pc.hsegs.len() + pc.vsegs.len() >= MAX_SEGS {
        return false;
    }
    if (p.1 - q.1).abs() < 0.5 && (p.0 - q.0).abs() >= 0.5 {
        pc.hsegs.push(Seg {
            pos: (p.1 + q.1) / 2.0,
            a: p.0.min(q.0),
            b: p.0.max(q.0),
        });
    } else if (p.0 - q.0).abs() < 0.5 && (p.1 - q.1).abs() >= 0.5 {
        pc.vsegs.push(Seg {
            pos: (p.0 + q.0) / 2.0,
            a: p.1.min(q.1),
            b: p.1.max(q.1),
        });
    }
    true
}

/// An `ImageObject`'s resource and box: the unit square through its `CTM`, placed at
/// its `Boundary`.
fn image_place(e: &BytesStart<'_>) -> Option<ImagePlace> {
    let resource = attr(e, b"ResourceID", false)?.trim().to_string();
    let m = object_matrix(e);
    let corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(x, y)| apply(&m, x, y));
    let (x0, x1, y0, y1) = corners.iter().fold(
        (f32::MAX, f32::MIN, f32::MAX, f32::MIN),
        |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
    );
    let bbox = [x0, y0, x1 - x0, y1 - y0].map(|v| v * PT_PER_MM);
    (bbox[2] > 0.0 && bbox[3] > 0.0).then_some(ImagePlace { resource, bbox })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_shorthand_expands_and_stops_at_what_is_needed() {
        assert_eq!(expand_deltas("g 3 2 1.5", 4), vec![2.0, 2.0, 2.0, 1.5]);
        assert_eq!(expand_deltas("g 100 1", 2), vec![1.0, 1.0]);
        assert_eq!(expand_deltas("", 2), Vec::<f32>::new());
    }

    #[test]
    fn text_codes_are_placed_in_points_and_paths_give_rules() {
        let xml = r#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer>
          <ofd:PathObject Boundary="20 50 100 0.2" LineWidth="0.2"><ofd:AbbreviatedData>M 0 0.1 L 100 0.1</ofd:AbbreviatedData></ofd:PathObject>
          <ofd:PathObject Boundary="20 40 0.2 20"><ofd:AbbreviatedData>M 0.1 0 L 0.1 20</ofd:AbbreviatedData></ofd:PathObject>
          <ofd:TextObject Boundary="10 20 50 5" Size="4"><ofd:TextCode X="0" Y="3.5" DeltaX="g 2 4">年报12</ofd:TextCode></ofd:TextObject>
          <ofd:ImageObject Boundary="0 0 210 297" CTM="210 0 0 297 0 0" ResourceID="6"/>
        </ofd:Layer></ofd:Content></ofd:Page>"#;
        let p = parse_page(xml.as_bytes());
        let g = &p.content.glyphs;
        assert_eq!(g.iter().map(|g| g.ch).collect::<String>(), "年报12");
        assert!((g[0].x - 10.0 * PT_PER_MM).abs() < 0.01);
        assert!((g[1].x - 14.0 * PT_PER_MM).abs() < 0.01);
        assert!((g[0].y - 23.5 * PT_PER_MM).abs() < 0.01);
        // The third delta is missing: the last one given goes on.
        assert!((g[3].x - 22.0 * PT_PER_MM).abs() < 0.01);
        assert_eq!(p.content.hsegs.len(), 1);
        assert!((p.content.hsegs[0].pos - 50.1 * PT_PER_MM).abs() < 0.01);
        assert_eq!(p.content.vsegs.len(), 1);
        assert_eq!(p.images.len(), 1);
        assert!((p.images[0].bbox[2] - 210.0 * PT_PER_MM).abs() < 0.1);
    }
}
