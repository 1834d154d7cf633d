//! Which of two rows the label lines between them belong to, read from the lines
//! themselves.
//!
//! A label cell wraps its text at the cell's right edge, so every line of a wrapped
//! label but its last reaches (nearly) the right edge of the label zone, and a line that
//! stops short of it ends its label. Between two rows whose values stand beside a line of
//! their labels, the lines without values finish the row above or begin the row below:
//! the split that leaves no short line in front of more of the same label is the one the
//! layout drew. A row whose values stand on its label's last line (cells aligned to the
//! bottom) then keeps the lines above them, and one whose values stand on its first line
//! (aligned to the top) the lines below. Where the lines do not tell (all of them full,
//! or a row with no label beside its values, as a vertically centred cell prints), the
//! caller's rule of the nearer row stands.

use super::Piece;

/// How far short of the label zone's right edge a line may stop and still be full: a
/// line may end one character early where a mark may not begin the next (避头尾). A
/// centred two-character line in a five-character cell stops one and a half short.
const FULL_SLACK_EM: f32 = 1.2;

/// How many of the label lines between two rows finish the row above; the rest begin
/// the row below. `lines` are the right ends of the lines between the rows, top to
/// bottom; `above` and `below` the right ends of the label text beside the two rows'
/// values (`None` where a row has none); `right` the label zone's right edge. Returns
/// `nearer` (the caller's split) unless another split breaks fewer labels after a short
/// line.
pub(super) fn lines_above(
    lines: &[f32],
    above: Option<f32>,
    below: Option<f32>,
    right: f32,
    em: f32,
    nearer: usize,
) -> usize {
    let full = |x1: f32| x1 >= right - FULL_SLACK_EM * em;
    // Lines of one label, top to bottom: each but the last must be full.
    let breaks = |label: &mut dyn Iterator<Item = f32>| -> usize {
        let label: Vec<f32> = label.collect();
        label
            .iter()
            .take(label.len().saturating_sub(1))
            .filter(|&&x1| !full(x1))
            .count()
    };
    let cost = |s: usize| {
        breaks(&mut above.into_iter().chain(lines[..s].iter().copied()))
            + breaks(&mut lines[s..].iter().copied().chain(below))
    };
    let nearer = nearer.min(lines.len());
    let mut best = (cost(nearer), nearer);
    for s in 0..=lines.len() {
        let c = cost(s);
        if c < best.0 {
            best = (c, s);
        }
    }
    best.1
}

/// [`lines_above`] for label pieces: `pieces` are the pieces between two rows, top to
/// bottom (the pieces of one line side by side), `nearer` how many go to the row above
/// by the caller's rule; `beside` the right ends of the label text beside the two rows'
/// values. Returns how many pieces go to the row above.
pub(super) fn split_pieces(
    pieces: &[Piece],
    nearer: usize,
    beside: [Option<f32>; 2],
    right: f32,
    em: f32,
) -> usize {
    // The lines: where each starts among the pieces, and its right end.
    let mut starts: Vec<usize> = Vec::new();
    let mut ends: Vec<f32> = Vec::new();
    for (i, p) in pieces.iter().enumerate() {
        match ends.last_mut() {
            Some(end) if pieces[i - 1].y == p.y => *end = end.max(p.x1),
            _ => {
                starts.push(i);
                ends.push(p.x1);
            }
        }
    }
    // The caller's split falls between lines (pieces of one line share their y).
    let nearer_lines = starts.iter().take_while(|&&s| s < nearer).count();
    let k = lines_above(&ends, beside[0], beside[1], right, em, nearer_lines);
    starts.get(k).copied().unwrap_or(pieces.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RIGHT: f32 = 26.0;
    const EM: f32 = 2.0;

    #[test]
    fn values_on_the_last_line_keep_the_lines_above() {
        // 规章 (short) / 行政规范性 (full) / 文件 + values: the full line begins the row below.
        assert_eq!(
            lines_above(&[26.0], Some(22.0), Some(22.0), RIGHT, EM, 1),
            0
        );
    }

    #[test]
    fn values_on_the_first_line_keep_the_lines_below() {
        // 行政规范性 + values (full) / 文件 (short) / 规章 + values.
        assert_eq!(
            lines_above(&[22.0], Some(26.0), Some(22.0), RIGHT, EM, 0),
            1
        );
    }

    #[test]
    fn lines_that_do_not_tell_keep_the_nearer_row() {
        // Centred values with no label beside them: any split is as good.
        assert_eq!(lines_above(&[26.0, 20.0], None, None, RIGHT, EM, 1), 1);
        // Every line full: nothing tells either.
        assert_eq!(
            lines_above(&[26.0], Some(26.0), Some(26.0), RIGHT, EM, 1),
            1
        );
        assert_eq!(lines_above(&[], Some(20.0), Some(20.0), RIGHT, EM, 0), 0);
    }

    #[test]
    fn a_three_line_label_with_values_on_its_last_line() {
        // 规章 / 行政事业性收 / 费用项目清 / 单 + values.
        assert_eq!(
            lines_above(&[26.0, 25.0], Some(18.0), Some(18.0), RIGHT, EM, 1),
            0
        );
    }
}
