//! Bar charts as inline SVG: no script, no library, readable without the page's style.

use super::esc;
use std::fmt::Write;

/// A vertical bar chart of `bars` (label, count), `width` × `height` pixels.
pub fn bars(title: &str, bars: &[(String, usize)], width: u32, height: u32) -> String {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let n = bars.len().max(1) as f64;
    let (top, bottom, left) = (18.0, 30.0, 6.0);
    let plot_h = height as f64 - top - bottom;
    let slot = (width as f64 - 2.0 * left) / n;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         role=\"img\" aria-label=\"{t}\"><text x=\"{left}\" y=\"12\" font-size=\"12\">{t}</text>",
        t = esc(title)
    );
    for (i, (label, count)) in bars.iter().enumerate() {
        let h = plot_h * (*count as f64) / max as f64;
        let x = left + slot * i as f64;
        let y = top + plot_h - h;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"#4a78c2\">\
             <title>{l}: {count}</title></rect>\
             <text x=\"{cx:.1}\" y=\"{ty:.1}\" font-size=\"10\" text-anchor=\"middle\">{count}</text>\
             <text x=\"{cx:.1}\" y=\"{ly:.1}\" font-size=\"10\" text-anchor=\"middle\">{l}</text>",
            w = (slot * 0.8).max(1.0),
            cx = x + slot * 0.4,
            ty = (y - 2.0).max(top),
            ly = height as f64 - bottom + 14.0,
            l = esc(label),
        );
    }
    svg.push_str("</svg>");
    svg
}
