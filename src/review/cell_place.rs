//! Where a cell sits in the OCR'd picture it was read from. A value read by OCR carries
//! its own box; a cell the extraction left out (or a person filled) has none, yet it is
//! the cell a reviewer most needs to see. Its row and its column do: the box is the
//! column's left and width from an OCR'd value of the same column, and the row's top and
//! height from one of the same row, both in the same table of the same page (the same
//! picture, straightened the same way).

use super::store::StoredValue;
use crate::sinks::sqlite::writes::split_key;

/// A cell's place in a working picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub page: Option<u32>,
    /// (x, y, w, h) in the working picture.
    pub bbox: [f32; 4],
    /// The cell's table in the document.
    pub table: i64,
}

/// The place of the value `key` read by OCR, as stored.
fn own(v: &StoredValue) -> Option<Located> {
    match (v.origin.as_deref(), v.bbox, v.cell) {
        (Some("ocr"), Some(bbox), Some((table, _, _))) => Some(Located {
            page: v.page,
            bbox,
            table,
        }),
        _ => None,
    }
}

/// Where the cell of `key` is: its own box when OCR read it, else the box its row's and
/// column's OCR'd neighbours in one table of one page make. `None` when neither is known
/// (a born-digital report, or a row or column with no OCR'd value).
pub fn locate(values: &[StoredValue], key: &str) -> Option<Located> {
    if let Some(v) = values.iter().find(|v| v.key == key) {
        if let Some(place) = own(v) {
            return Some(place);
        }
        if v.extracted.is_some() {
            // Extracted, but not by OCR: born-digital, no picture.
            return None;
        }
    }
    let (table, row, col) = split_key(key);
    let read: Vec<(&str, &str, Located)> = values
        .iter()
        .filter_map(|v| {
            let (t, r, c) = split_key(&v.key);
            (t == table).then(|| own(v).map(|p| (r, c, p))).flatten()
        })
        .collect();
    read.iter()
        .filter(|(r, _, _)| *r == row)
        .find_map(|(_, _, in_row)| {
            read.iter()
                .filter(|(_, c, _)| *c == col)
                .map(|(_, _, in_col)| in_col)
                .find(|in_col| in_col.page == in_row.page && in_col.table == in_row.table)
                .map(|in_col| Located {
                    page: in_row.page,
                    bbox: [
                        in_col.bbox[0],
                        in_row.bbox[1],
                        in_col.bbox[2],
                        in_row.bbox[3],
                    ],
                    table: in_row.table,
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Number;

    fn value(key: &str, origin: Option<&str>, place: Option<(u32, [f32; 4], i64)>) -> StoredValue {
        StoredValue {
            key: key.to_string(),
            extracted: Some("1".to_string()),
            reviewed: Number::Int(1),
            reviewed_text: "1".to_string(),
            source: "extracted".to_string(),
            extracted_changed: false,
            origin: origin.map(str::to_string),
            confidence: Some(0.9),
            page: place.map(|p| p.0),
            bbox: place.map(|p| p.1),
            raw: None,
            cell: place.map(|p| (p.2, 0, 0)),
        }
    }

    #[test]
    fn a_left_out_cell_takes_its_column_across_and_its_row_down() {
        let values = vec![
            // Row new, column total is left out; the row's other cell and the column's
            // other cell are on page 2, table 1.
            value(
                "requests/new/natural",
                Some("ocr"),
                Some((2, [100.0, 200.0, 50.0, 20.0], 1)),
            ),
            value(
                "requests/disclosed/total",
                Some("ocr"),
                Some((2, [400.0, 260.0, 60.0, 22.0], 1)),
            ),
            // The same column in another picture: not used.
            value(
                "requests/carried_in/total",
                Some("ocr"),
                Some((3, [10.0, 10.0, 10.0, 10.0], 2)),
            ),
        ];
        assert_eq!(
            locate(&values, "requests/new/total"),
            Some(Located {
                page: Some(2),
                bbox: [400.0, 200.0, 60.0, 20.0],
                table: 1
            })
        );
        // A value read by OCR keeps its own box.
        assert_eq!(
            locate(&values, "requests/new/natural").map(|l| l.bbox),
            Some([100.0, 200.0, 50.0, 20.0])
        );
        // No OCR'd value in the row: nowhere.
        assert_eq!(locate(&values, "requests/granted/total"), None);
        // Born-digital neighbours have no boxes.
        let digital = vec![
            value("requests/new/natural", None, None),
            value("requests/disclosed/total", Some("table"), None),
        ];
        assert_eq!(locate(&digital, "requests/new/total"), None);
        // A value extracted from text beside OCR'd ones is not given their picture.
        let mut mixed = values.clone();
        mixed.push(value("requests/new/total", Some("table"), None));
        assert_eq!(locate(&mixed, "requests/new/total"), None);
        // A cell a person filled (no extracted value) is placed like a left-out one.
        let mut filled = values.clone();
        let mut f = value("requests/new/total", None, None);
        f.extracted = None;
        filled.push(f);
        assert_eq!(
            locate(&filled, "requests/new/total").map(|l| l.bbox),
            Some([400.0, 200.0, 60.0, 20.0])
        );
    }
}
