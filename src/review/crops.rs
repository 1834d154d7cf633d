//! The picture of an OCR'd cell, cut on demand from the source file: the record's
//! provenance gives the page and the cell's box in the working picture that recognition
//! read (resampled to its working scale and straightened), so the crop redoes those steps
//! with the same functions (`src/ocr/prep.rs`, `src/ocr/scale.rs`) and cuts the box.
//! The file is found at the report's paths (inside its archive for `archive!member`: zip,
//! tar, 7z, RAR, one archive in another, read as extraction reads them) and
//! must still hold the same content (sha256); otherwise the page says why there is none.

use crate::budget::MemoryBudget;
use crate::document::{Block, Picture};
use crate::formats;
use crate::ocr::{prep, recognise, scale};
use crate::select::{Selection, SkipCounts};
use crate::sources::{ReadItem, Reader};
use image::{DynamicImage, GrayImage};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::sync::Arc;

/// Largest source file read for a crop (as `limits.max_file_mb`'s default).
const MAX_SOURCE_BYTES: u64 = 256 << 20;
/// Members an archive is read up to for a crop (as `limits.max_archive_members`).
const MAX_ARCHIVE_MEMBERS: u64 = 100_000;
/// Working pictures kept between requests: a document page asks for many cells of the
/// same few pages.
const CACHED_PICTURES: usize = 4;

/// Why a cell has no crop.
#[derive(Debug, Clone, PartialEq)]
pub enum CropError {
    /// No file at any of the report's paths.
    FileGone(Vec<String>),
    /// Files are there, but with other content than the report's.
    FileChanged(Vec<String>),
    /// The value did not come from OCR, or has no box.
    NotOcr,
    /// The source holds no picture that the cell can be placed in.
    NoPicture(String),
}

impl std::fmt::Display for CropError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CropError::FileGone(p) => write!(f, "file gone: nothing at {}", p.join(", ")),
            CropError::FileChanged(p) => write!(
                f,
                "file changed: {} no longer holds the content this report was read from",
                p.join(", ")
            ),
            CropError::NotOcr => write!(f, "the value was not read by OCR: no picture to cut"),
            CropError::NoPicture(why) => write!(f, "no picture for this cell: {why}"),
        }
    }
}

/// Where a cell is: what the crop needs from the stored value.
#[derive(Debug, Clone)]
pub struct CellPlace {
    pub page: Option<u32>,
    /// (x, y, w, h) in the working picture.
    pub bbox: [f32; 4],
    /// The cell's table in the document.
    pub table: i64,
    /// The document's OCR'd tables on the same page (or in a document without pages), in
    /// order: pictures and their tables are matched one to one when a page holds several.
    pub ocr_tables_on_page: Vec<i64>,
}

/// A picture as recognition worked it, and how to go back to the source's pixels.
struct WorkPicture {
    /// The source picture in colour (used when no straightening was needed).
    source: DynamicImage,
    /// The straightened working picture (used when it was turned).
    rotated: Option<GrayImage>,
    factor: f64,
}

#[derive(Default)]
pub struct CropCache {
    entries: Vec<((String, usize), Arc<WorkPicture>)>,
}

impl CropCache {
    fn get(&mut self, key: &(String, usize)) -> Option<Arc<WorkPicture>> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        let e = self.entries.remove(i);
        let pic = e.1.clone();
        self.entries.push(e);
        Some(pic)
    }

    fn put(&mut self, key: (String, usize), pic: Arc<WorkPicture>) {
        if self.entries.len() >= CACHED_PICTURES {
            self.entries.remove(0);
        }
        self.entries.push((key, pic));
    }
}

/// The file's bytes at one of `paths` whose content hashes to `sha256`.
pub fn find_source(paths: &[String], sha256: &str) -> Result<Vec<u8>, CropError> {
    let mut changed = Vec::new();
    for p in paths {
        let Some(bytes) = read_path(p) else { continue };
        if hex_sha256(&bytes) == sha256 {
            return Ok(bytes);
        }
        changed.push(p.clone());
    }
    if changed.is_empty() {
        Err(CropError::FileGone(paths.to_vec()))
    } else {
        Err(CropError::FileChanged(changed))
    }
}

/// Whether any of `paths` names a file (or an archive) that exists: the cheap test the
/// document page makes before offering crops.
pub fn any_exists(paths: &[String]) -> bool {
    paths
        .iter()
        .any(|p| std::path::Path::new(archive_part(p).0).is_file())
}

/// `archive!member` → (`archive`, Some(`member`)): the shortest prefix before a `!` that
/// is a file is the outer archive (`a.tar.gz!b.zip!c.docx` → `a.tar.gz`); a plain path →
/// (path, None). A path that is a file as it stands is never split (a name may hold a `!`).
fn archive_part(path: &str) -> (&str, Option<&str>) {
    if std::path::Path::new(path).is_file() {
        return (path, None);
    }
    path.match_indices('!')
        .map(|(i, _)| (&path[..i], &path[i + 1..]))
        .find(|(archive, _)| std::path::Path::new(archive).is_file())
        .map_or((path, None), |(archive, member)| (archive, Some(member)))
}

fn read_path(path: &str) -> Option<Vec<u8>> {
    let (file, member) = archive_part(path);
    let f = std::fs::File::open(file).ok()?;
    let Some(member) = member else {
        if f.metadata().ok()?.len() > MAX_SOURCE_BYTES {
            return None;
        }
        let mut bytes = Vec::new();
        f.take(MAX_SOURCE_BYTES).read_to_end(&mut bytes).ok()?;
        return Some(bytes);
    };
    // A zip's member is read by name; any other archive (tar, 7z, RAR, an archive in an
    // archive) is read as extraction read it, keeping the one member.
    if let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(f)) {
        if let Ok(m) = zip.by_name(member) {
            if m.size() > MAX_SOURCE_BYTES {
                return None;
            }
            let mut out = Vec::new();
            // take() bounds what a lying header can make us allocate.
            m.take(MAX_SOURCE_BYTES).read_to_end(&mut out).ok()?;
            return Some(out);
        }
    }
    read_member(file, path)
}

/// The bytes of the member `path` (`archive!member`, as extraction named it) of
/// `archive`, read through extraction's own reader with its default rules.
fn read_member(archive: &str, path: &str) -> Option<Vec<u8>> {
    let reader = Reader {
        max_file: MAX_SOURCE_BYTES,
        max_member: MAX_SOURCE_BYTES,
        max_members: MAX_ARCHIVE_MEMBERS,
        memory: MemoryBudget::new(MAX_SOURCE_BYTES),
        selection: Arc::new(Selection::new(&[], &[], &[]).ok()?),
        skipped: Arc::new(SkipCounts::default()),
    };
    let mut found = None;
    reader.read(std::path::Path::new(archive), &mut |item| {
        if let ReadItem::Input(mut input) = item {
            if found.is_none() && input.path == path {
                found = Some(std::mem::take(&mut input.bytes));
            }
        }
    });
    found
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The pictures of a source, as the pipeline's decoders hand them to recognition.
fn pictures(name: &str, bytes: &[u8]) -> Result<Vec<Picture>, CropError> {
    let doc = formats::decode(formats::sniff(name, bytes), bytes)
        .map_err(|e| CropError::NoPicture(format!("the file does not decode: {}", e.message)))?;
    Ok(doc
        .blocks
        .into_iter()
        .filter_map(|b| match b {
            Block::Picture(p) => Some(p),
            _ => None,
        })
        .collect())
}

/// The picture the cell was read from: the only one on its page, or, where a page holds
/// several, the one whose rank among them is the rank of the cell's table among the
/// page's OCR'd tables (one table per picture); otherwise none can be told.
fn choose(pics: &[Picture], place: &CellPlace) -> Result<usize, CropError> {
    let on_page: Vec<usize> = (0..pics.len())
        .filter(|&i| pics[i].page == place.page)
        .collect();
    match on_page.len() {
        0 => Err(CropError::NoPicture(match place.page {
            Some(p) => format!("page {p} of the file holds no picture"),
            None => "the file holds no picture".to_string(),
        })),
        1 => Ok(on_page[0]),
        n if n == place.ocr_tables_on_page.len() => place
            .ocr_tables_on_page
            .iter()
            .position(|&t| t == place.table)
            .map(|rank| on_page[rank])
            .ok_or_else(|| CropError::NoPicture("its table is not among the OCR'd ones".into())),
        n => Err(CropError::NoPicture(format!(
            "{n} pictures where {} tables were read: which one holds the cell cannot be told",
            place.ocr_tables_on_page.len()
        ))),
    }
}

/// Redoes recognition's first steps (`recognise_picture` and `recognise_at`): grey
/// without the red seal, resampled to the working scale, straightened.
fn work_picture(pic: &Picture) -> Result<WorkPicture, CropError> {
    let img = prep::decode_bounded(&pic.bytes)
        .map_err(|e| CropError::NoPicture(e.to_string()))?
        .ok_or_else(|| CropError::NoPicture("the picture is too small to hold a table".into()))?;
    let mut gray = prep::to_gray_without_seal(&img);
    let measured = scale::glyph_height(&gray);
    let factor = scale::work_factor(&gray, pic.dpi, measured);
    if factor != 1.0 {
        gray = scale::resample(&gray, factor);
    }
    let win = recognise::sauvola_window(gray.width(), gray.height());
    let skew = prep::estimate_skew_gray(&gray, win, 5.0);
    // The same threshold as recognition's: below it the picture was read unturned.
    let rotated = (skew.abs() >= 0.04).then(|| prep::rotate(&gray, skew));
    Ok(WorkPicture {
        source: img,
        rotated,
        factor,
    })
}

/// A PNG of the cell at `place` in the source `bytes` (named `name`), with a margin of
/// ink around it so the reader sees the cell's rulings.
pub fn crop_cell(
    cache: &mut CropCache,
    sha256: &str,
    name: &str,
    load: impl FnOnce() -> Result<Vec<u8>, CropError>,
    place: &CellPlace,
) -> Result<Vec<u8>, CropError> {
    // The picture index is known only after decoding; the cache is keyed by the page's
    // pictures and the chosen one, so a page already worked needs no decoding.
    let page_key = (
        format!("{sha256}#{:?}#{}", place.page, place.table),
        usize::MAX,
    );
    let work = match cache.get(&page_key) {
        Some(w) => w,
        None => {
            let bytes = load()?;
            let pics = pictures(name, &bytes)?;
            let i = choose(&pics, place)?;
            let pic_key = (sha256.to_string(), i);
            let w = match cache.get(&pic_key) {
                Some(w) => w,
                None => {
                    let w = Arc::new(work_picture(&pics[i])?);
                    cache.put(pic_key, w.clone());
                    w
                }
            };
            cache.put(page_key, w.clone());
            w
        }
    };
    let [x, y, w, h] = place.bbox;
    let margin = (w.min(h) * 0.25).max(6.0);
    let cut = |img_w: u32, img_h: u32, k: f64| -> Option<(u32, u32, u32, u32)> {
        let x0 = (((x - margin) as f64) / k).max(0.0) as u32;
        let y0 = (((y - margin) as f64) / k).max(0.0) as u32;
        let x1 = ((((x + w + margin) as f64) / k).ceil() as u32).min(img_w);
        let y1 = ((((y + h + margin) as f64) / k).ceil() as u32).min(img_h);
        (x1 > x0 && y1 > y0).then(|| (x0, y0, x1 - x0, y1 - y0))
    };
    let out = match &work.rotated {
        Some(g) => {
            let (x0, y0, cw, ch) = cut(g.width(), g.height(), 1.0)
                .ok_or_else(|| CropError::NoPicture("the box lies outside the picture".into()))?;
            DynamicImage::ImageLuma8(image::imageops::crop_imm(g, x0, y0, cw, ch).to_image())
        }
        None => {
            let s = &work.source;
            let (x0, y0, cw, ch) = cut(s.width(), s.height(), work.factor)
                .ok_or_else(|| CropError::NoPicture("the box lies outside the picture".into()))?;
            s.crop_imm(x0, y0, cw, ch)
        }
    };
    let mut png = Vec::new();
    out.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| CropError::NoPicture(format!("encoding the crop: {e}")))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar.gz holding `2023/r.pdf` and a zip that holds `inner/r.pdf`.
    fn tar_gz(path: &std::path::Path, pdf: &[u8], zip: &[u8]) {
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(path).expect("create"),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        for (name, bytes) in [("2023/r.pdf", pdf), ("2023/in.zip", zip)] {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, name, bytes).expect("append");
        }
        tar.into_inner()
            .expect("tar")
            .finish()
            .expect("gz")
            .sync_all()
            .expect("sync");
    }

    fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start");
        std::io::Write::write_all(&mut w, bytes).expect("write");
        w.finish().expect("finish").into_inner()
    }

    #[test]
    fn archive_members_are_read_from_any_archive_extraction_reads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pdf = b"%PDF-1.4 the outer member".to_vec();
        let inner = b"%PDF-1.4 the inner member".to_vec();
        let archive = dir.path().join("a.tar.gz");
        tar_gz(&archive, &pdf, &zip_of("inner/r.pdf", &inner));
        let a = archive.display().to_string();
        let member = format!("{a}!2023/r.pdf");
        assert_eq!(archive_part(&member), (a.as_str(), Some("2023/r.pdf")));
        assert_eq!(read_path(&member), Some(pdf));
        assert_eq!(
            read_path(&format!("{a}!2023/in.zip!inner/r.pdf")),
            Some(inner)
        );
        assert_eq!(read_path(&format!("{a}!2023/none.pdf")), None);
        assert!(any_exists(&[member]));
        // A zip's member, by name.
        let z = dir.path().join("b.zip");
        std::fs::write(&z, zip_of("x/r.pdf", b"%PDF zipped")).expect("write");
        let zm = format!("{}!x/r.pdf", z.display());
        assert_eq!(read_path(&zm), Some(b"%PDF zipped".to_vec()));
        // Nothing there: not split, and gone.
        assert_eq!(
            archive_part("/nowhere/a.zip!2023/r.pdf"),
            ("/nowhere/a.zip!2023/r.pdf", None)
        );
        assert!(!any_exists(&["/nowhere/a.zip!2023/r.pdf".to_string()]));
        assert_eq!(archive_part("/nowhere/a.pdf"), ("/nowhere/a.pdf", None));
    }

    #[test]
    fn a_missing_file_is_gone_and_another_content_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("x.png");
        std::fs::write(&f, b"other bytes").expect("write");
        let gone = dir.path().join("gone.png").display().to_string();
        assert_eq!(
            find_source(std::slice::from_ref(&gone), "ab"),
            Err(CropError::FileGone(vec![gone]))
        );
        let here = f.display().to_string();
        assert_eq!(
            find_source(std::slice::from_ref(&here), "ab"),
            Err(CropError::FileChanged(vec![here.clone()]))
        );
        let sha = hex_sha256(b"other bytes");
        assert_eq!(find_source(&[here], &sha), Ok(b"other bytes".to_vec()));
    }
}
