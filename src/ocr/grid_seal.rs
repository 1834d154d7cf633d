//! Rulings where a seal lies over the table: the seal's own strokes (ring, star) are
//! not rulings, and a ruling that meets the ring is not drawn on along it.

use super::grid::{crosses, Segment};
use super::seal::Seal;

/// A segment that lies within a seal's ring (with a margin of the ring's thickness and
/// `tol`) is a stroke of the seal, the ring's extreme or the star's arms, unless a
/// ruling outside the seal continues it (same line position), or both its ends stop on
/// rulings that reach outside the seal (a short ruling of the table under the seal, such
/// as a section's column line).
///
/// A ruling that ends on a ring runs on along the ring's ink where they meet at a shallow
/// angle: its end is brought back to the last ruling it crosses, or a table border
/// would be drawn where the ring is.
pub(super) fn without_seal_strokes(
    h: Vec<Segment>,
    v: Vec<Segment>,
    seals: &[Seal],
    tol: f32,
) -> (Vec<Segment>, Vec<Segment>) {
    if seals.is_empty() {
        return (h, v);
    }
    let h_in: Vec<bool> = h.iter().map(|s| within_seal(s, true, seals, tol)).collect();
    let v_in: Vec<bool> = v
        .iter()
        .map(|s| within_seal(s, false, seals, tol))
        .collect();
    let outside = |segs: &[Segment], is_in: &[bool]| -> Vec<Segment> {
        segs.iter()
            .zip(is_in)
            .filter(|(_, &i)| !i)
            .map(|(s, _)| *s)
            .collect()
    };
    let (h_out, v_out) = (outside(&h, &h_in), outside(&v, &v_in));
    let kept = |segs: &[Segment], is_in: &[bool], horizontal: bool| -> Vec<Segment> {
        let (same, across) = if horizontal {
            (&h_out, &v_out)
        } else {
            (&v_out, &h_out)
        };
        segs.iter()
            .zip(is_in)
            .filter(|(s, &i)| {
                !i || same.iter().any(|o| (o.pos - s.pos).abs() <= tol)
                    || segment_ends(s, horizontal)
                        .iter()
                        .all(|&e| stops_on(e, horizontal, across, tol))
            })
            .map(|(s, _)| trimmed_at_rings(*s, horizontal, across, seals, tol))
            .collect()
    };
    (kept(&h, &h_in, true), kept(&v, &v_in, false))
}

/// Both ends of a segment, as (x, y).
fn segment_ends(s: &Segment, horizontal: bool) -> [(f32, f32); 2] {
    if horizontal {
        [(s.start as f32, s.pos), (s.end as f32, s.pos)]
    } else {
        [(s.pos, s.start as f32), (s.pos, s.end as f32)]
    }
}

/// Whether the segment lies within a seal's ring, with a margin of the ring's
/// thickness and `tol` (a tangent's ends lie a little outside the ring's ink).
fn within_seal(s: &Segment, horizontal: bool, seals: &[Seal], tol: f32) -> bool {
    seals.iter().any(|seal| {
        segment_ends(s, horizontal)
            .iter()
            .all(|&(x, y)| seal.covers(x, y, seal.thick + tol))
    })
}

/// Whether a segment's end (x, y) stops on one of the rulings `across` it: within
/// that ruling's ink and half of `tol`, and within its extent.
fn stops_on(end: (f32, f32), horizontal: bool, across: &[Segment], tol: f32) -> bool {
    let (along, at) = if horizontal {
        (end.0, end.1)
    } else {
        (end.1, end.0)
    };
    across.iter().any(|o| {
        (o.pos - along).abs() <= o.thick as f32 / 2.0 + tol / 2.0
            && at >= o.start as f32 - tol
            && at <= o.end as f32 + tol
    })
}

/// `s` with each end that lies on a seal's ring brought back to the last ruling of
/// `across` it crosses (unchanged when it crosses none).
fn trimmed_at_rings(
    mut s: Segment,
    horizontal: bool,
    across: &[Segment],
    seals: &[Seal],
    tol: f32,
) -> Segment {
    let [a, b] = segment_ends(&s, horizontal);
    let on_ring = |(x, y): (f32, f32)| seals.iter().any(|seal| seal.on_ring(x, y, tol));
    // Positions along `s` of the rulings it crosses, with their half widths.
    let crossings: Vec<(f32, f32)> = across
        .iter()
        .filter(|o| {
            if horizontal {
                crosses(&s, o, tol)
            } else {
                crosses(o, &s, tol)
            }
        })
        .map(|o| (o.pos, o.thick as f32 / 2.0))
        .collect();
    if on_ring(b) {
        if let Some(&(p, half)) = crossings.iter().max_by(|x, y| x.0.total_cmp(&y.0)) {
            let end = (p + half).ceil().max(0.0) as usize + 1;
            if end > s.start && end < s.end {
                s.end = end;
            }
        }
    }
    if on_ring(a) {
        if let Some(&(p, half)) = crossings.iter().min_by(|x, y| x.0.total_cmp(&y.0)) {
            let start = (p - half).floor().max(0.0) as usize;
            if start > s.start && start < s.end {
                s.start = start;
            }
        }
    }
    s
}
