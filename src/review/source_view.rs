//! The source view's data: the report's file decoded again by extraction's own decoders,
//! its tables as they read them (the document model's grids, spans included), so that a
//! born-digital value can be shown in the table and row it was taken from. The file is
//! found as the crops find it ([`crops::find_source`]: the report's paths, inside their
//! archives, only while it still hashes to the report's sha256).
//!
//! A value's place is stored as (table, row, col) in the document *after* recognition,
//! which puts the tables read from pictures where the pictures were. The decoded file
//! has the pictures instead, so where it holds pictures the record's table is found
//! among the decoded ones by the values' printed text ([`SourceTables::place_tables`]).

use super::crops::{self, CropError};
use super::store::StoredValue;
use crate::document::{Block, Table};
use crate::formats;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Decoded files kept between requests: a reviewer follows several values of one report.
const CACHED_SOURCES: usize = 4;

/// A picture of the file, where it was: recognition turned it into tables (or nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct PictureNote {
    pub name: Option<String>,
    pub page: Option<u32>,
}

/// One block of the source as the view shows it.
#[derive(Debug, Clone)]
pub enum SourceItem {
    Table(Table),
    Picture(PictureNote),
}

/// The file's tables and pictures, in document order.
#[derive(Debug, Clone, Default)]
pub struct SourceTables {
    /// The format the file was decoded as (`docx`, `pdf`, …).
    pub format: String,
    pub items: Vec<SourceItem>,
}

/// Why the view has no tables to show.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceError {
    /// The file is gone or holds other content ([`CropError::FileGone`], `FileChanged`).
    File(CropError),
    /// The file is there but the decoders cannot read it (any more).
    Undecodable(String),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::File(e) => write!(f, "{e}"),
            SourceError::Undecodable(why) => write!(f, "the file cannot be decoded: {why}"),
        }
    }
}

impl SourceTables {
    /// The file's tables in document order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.items.iter().filter_map(|i| match i {
            SourceItem::Table(t) => Some(t),
            SourceItem::Picture(_) => None,
        })
    }

    pub fn pictures(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i, SourceItem::Picture(_)))
            .count()
    }

    /// For each decoded table, its number in the record (the record's table index):
    /// the same index when the file holds no pictures; else each record table that
    /// born-digital `values` name is looked for among the decoded tables at or before
    /// its index (pictures before it may have become tables), as the one whose cells
    /// hold most of its values' printed text, and tables between take the offset of
    /// the last one found.
    pub fn place_tables(&self, values: &[StoredValue]) -> Vec<usize> {
        let tables: Vec<&Table> = self.tables().collect();
        let pictures = self.pictures();
        // No tables decoded (a file the decoders now read otherwise): nothing to place,
        // and no index to look among.
        if pictures == 0 || tables.is_empty() {
            return (0..tables.len()).collect();
        }
        let mut probes: BTreeMap<usize, Vec<(usize, usize, &str)>> = BTreeMap::new();
        for v in values.iter().filter(|v| is_born_digital(v)) {
            if let (Some((t, r, c)), Some(raw)) = (v.cell, v.raw.as_deref()) {
                if let (Ok(t), Ok(r), Ok(c)) =
                    (usize::try_from(t), usize::try_from(r), usize::try_from(c))
                {
                    probes.entry(t).or_default().push((r, c, raw));
                }
            }
        }
        // Decoded table → offset to the record's numbering, where a record table was found.
        let mut found: BTreeMap<usize, usize> = BTreeMap::new();
        for (&t, cells) in &probes {
            let best = (t.saturating_sub(pictures)..=t.min(tables.len().saturating_sub(1)))
                .rev()
                .filter(|i| !found.contains_key(i))
                .map(|i| {
                    let hits = cells
                        .iter()
                        .filter(|(r, c, raw)| {
                            cell_text(tables[i], *r, *c).is_some_and(|text| same_text(text, raw))
                        })
                        .count();
                    (hits, i)
                })
                // Most hits; among equals the nearest to the record's index (the
                // candidates run downwards and a tie keeps the first).
                .filter(|(hits, _)| *hits > 0)
                .fold(None, |best: Option<(usize, usize)>, (hits, i)| match best {
                    Some((h, _)) if h >= hits => best,
                    _ => Some((hits, i)),
                });
            if let Some((_, i)) = best {
                found.insert(i, t - i);
            }
        }
        let mut offset = 0;
        (0..tables.len())
            .map(|i| {
                // Numbers only grow: a later table never takes an earlier one's number.
                offset = offset.max(found.get(&i).copied().unwrap_or(0));
                i + offset
            })
            .collect()
    }
}

/// A value the decoders read from a table of the file (not OCR, not a person's).
pub fn is_born_digital(v: &StoredValue) -> bool {
    v.extracted.is_some() && v.cell.is_some() && v.origin.as_deref().is_some_and(|o| o != "ocr")
}

/// The text of the cell at (`row`, `col`) of `t`, the spanning cell's for a position it
/// covers.
pub fn cell_text(t: &Table, row: usize, col: usize) -> Option<&str> {
    let cell = t.rows.get(row)?.get(col)?;
    match cell.continuation_of {
        Some((r, c)) => t.rows.get(r)?.get(c).map(|a| a.text.as_str()),
        None => Some(cell.text.as_str()),
    }
}

/// Whether a cell's text is the printed text a value was read from (spaces aside: the
/// record keeps the cell's text trimmed and its lines joined).
pub fn same_text(cell: &str, raw: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let (cell, raw) = (squeeze(cell), squeeze(raw));
    !raw.is_empty() && cell.contains(&raw)
}

/// Decodes `bytes` (the file named `name`) and keeps its tables and where its pictures
/// were. A decoder's panic is an undecodable file, not a failed request.
pub fn decode(name: &str, bytes: &[u8]) -> Result<SourceTables, SourceError> {
    let format = formats::sniff(name, bytes);
    let doc = crate::extract::guarded("decoding", || formats::decode(format, bytes))
        .map_err(SourceError::Undecodable)?
        .map_err(|e| SourceError::Undecodable(e.message))?;
    let items = doc
        .blocks
        .into_iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(SourceItem::Table(t)),
            Block::Picture(p) => Some(SourceItem::Picture(PictureNote {
                name: p.name,
                page: p.page,
            })),
            _ => None,
        })
        .collect();
    Ok(SourceTables {
        format: formats::format_name(name, format),
        items,
    })
}

/// The last few files decoded, by sha256.
#[derive(Default)]
pub struct SourceCache {
    entries: Vec<(String, Arc<SourceTables>)>,
}

impl SourceCache {
    /// The decoded file of the report with content `sha256`, found at one of `paths`
    /// (`name` is the report's path, which names its format). A file gone or
    /// undecodable is not kept: it may be put back. A kept file is served while one of
    /// `paths` still exists (a stat, not the hash: a page of a big PDF stays quick).
    pub fn get(
        &mut self,
        sha256: &str,
        name: &str,
        paths: &[String],
    ) -> Result<Arc<SourceTables>, SourceError> {
        if let Some(i) = self.entries.iter().position(|(k, _)| k == sha256) {
            let e = self.entries.remove(i);
            // Kept only while a file is still there: one removed since is said gone.
            if crops::any_exists(paths) {
                let tables = e.1.clone();
                self.entries.push(e);
                return Ok(tables);
            }
        }
        let bytes = crops::find_source(paths, sha256).map_err(SourceError::File)?;
        let tables = Arc::new(decode(name, &bytes)?);
        if self.entries.len() >= CACHED_SOURCES {
            self.entries.remove(0);
        }
        self.entries.push((sha256.to_string(), tables.clone()));
        Ok(tables)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::document::{Cell, TableOrigin};
    use crate::record::Number;

    fn table(rows: &[&[&str]]) -> Table {
        Table::from_spanned_rows(
            rows.iter()
                .map(|r| r.iter().map(|t| Cell::new(*t)).collect())
                .collect(),
            TableOrigin::DocxTable,
            None,
        )
    }

    /// A born-digital value as the store gives it: `key`, read as `raw` from `cell`
    /// (table, row, column).
    pub(crate) fn value(key: &str, cell: (i64, i64, i64), raw: &str) -> StoredValue {
        StoredValue {
            key: key.to_string(),
            extracted: Some(raw.to_string()),
            reviewed: Number::Int(0),
            reviewed_text: raw.to_string(),
            source: "extracted".to_string(),
            extracted_changed: false,
            origin: Some("docx-table".to_string()),
            confidence: None,
            page: None,
            bbox: None,
            raw: Some(raw.to_string()),
            cell: Some(cell),
        }
    }

    fn picture() -> SourceItem {
        SourceItem::Picture(PictureNote {
            name: None,
            page: None,
        })
    }

    #[test]
    fn tables_after_a_picture_that_became_a_table_take_the_record_s_numbers() {
        // The record: table 0 the file's first, table 1 read from the picture, table 2
        // the file's second (holding 17 at row 1, col 1).
        let src = SourceTables {
            format: "docx".into(),
            items: vec![
                SourceItem::Table(table(&[&["a", "b"], &["c", "5"]])),
                picture(),
                SourceItem::Table(table(&[&["x", "y"], &["z", "1 7"]])),
            ],
        };
        assert_eq!(
            src.place_tables(&[value("requests/new/total", (2, 1, 1), "17")]),
            vec![0, 2]
        );
        // Without a value to tell by, the file's own order.
        assert_eq!(src.place_tables(&[]), vec![0, 1]);
        // Pictures and no table (a file the decoders now read otherwise): nothing.
        let pictures_only = SourceTables {
            format: "docx".into(),
            items: vec![picture()],
        };
        let nothing: Vec<usize> = Vec::new();
        assert_eq!(
            pictures_only.place_tables(&[value("requests/new/total", (0, 1, 1), "3")]),
            nothing
        );
        // No pictures: the file's order is the record's.
        let plain = SourceTables {
            format: "docx".into(),
            items: vec![SourceItem::Table(table(&[&["1"]]))],
        };
        assert_eq!(
            plain.place_tables(&[value("requests/new/total", (0, 0, 0), "9")]),
            vec![0]
        );
    }

    #[test]
    fn a_spanned_position_reads_its_anchor_and_text_is_compared_without_spaces() {
        let mut rows = vec![
            vec![Cell::new("合计"), Cell::new("3")],
            vec![Cell::new("x")],
        ];
        rows[0][0].row_span = 2;
        let t = Table::from_spanned_rows(rows, TableOrigin::HtmlTable, None);
        assert_eq!(cell_text(&t, 1, 0), Some("合计"));
        assert_eq!(cell_text(&t, 1, 1), Some("x"));
        assert_eq!(cell_text(&t, 5, 0), None);
        assert!(same_text(" 1 234\n", "1234"));
        assert!(!same_text("12", ""));
    }

    fn sha(bytes: &[u8]) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn a_kept_file_removed_since_is_gone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("r.html");
        let html = "<html><body><p>x</p><table><tr><td>本年新收</td><td>12</td></tr></table></body></html>";
        std::fs::write(&f, html).expect("write");
        let path = f.display().to_string();
        let paths = std::slice::from_ref(&path);
        let mut cache = SourceCache::default();
        let src = cache
            .get(&sha(html.as_bytes()), &path, paths)
            .expect("decoded");
        let tables: Vec<&Table> = src.tables().collect();
        assert_eq!(tables.len(), 1);
        assert_eq!(cell_text(tables[0], 0, 1), Some("12"));
        assert_eq!(src.format, "html");
        std::fs::remove_file(&f).expect("remove");
        let err = cache
            .get(&sha(html.as_bytes()), &path, paths)
            .expect_err("gone");
        assert_eq!(err, SourceError::File(CropError::FileGone(paths.to_vec())));
    }

    #[test]
    fn a_file_that_does_not_decode_is_said_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("r.docx");
        // A zip that is no Word document.
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("x.txt", zip::write::SimpleFileOptions::default())
            .expect("start");
        std::io::Write::write_all(&mut w, b"not a document").expect("write");
        let bytes = w.finish().expect("finish").into_inner();
        std::fs::write(&f, &bytes).expect("write");
        let sha = sha(&bytes);
        let path = f.display().to_string();
        let mut cache = SourceCache::default();
        let err = cache
            .get(&sha, &path, std::slice::from_ref(&path))
            .expect_err("undecodable");
        assert!(
            matches!(err, SourceError::Undecodable(_)),
            "{err:?} ({err})"
        );
        assert!(err.to_string().starts_with("the file cannot be decoded: "));
        let gone = dir.path().join("gone.docx").display().to_string();
        let err = cache
            .get(&sha, &gone, std::slice::from_ref(&gone))
            .expect_err("gone");
        assert!(
            err.to_string().starts_with("file gone: nothing at "),
            "{err}"
        );
    }
}
