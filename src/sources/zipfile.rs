//! Zip archives: their central directory read by us first (entry count, duplicate
//! names, the UTF-8 flag of each name, whether the zip is a DOCX), then their members
//! through the `zip` crate, one at a time from the file or from memory.

use super::archive::{decode_name, Members, Next};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

/// One entry of the central directory: its name as stored and its UTF-8 flag.
pub struct Entry {
    pub raw_name: Vec<u8>,
    pub utf8: bool,
}

/// Why a central directory was not read.
pub enum DirectoryError {
    /// More entries than `limits.max_archive_members`, as the directory declares.
    TooMany(u64),
    Damaged(String),
}

const EOCD: &[u8] = b"PK\x05\x06";
const EOCD64_LOCATOR: &[u8] = b"PK\x06\x07";
const EOCD64: &[u8] = b"PK\x06\x06";
const CENTRAL: &[u8] = b"PK\x01\x02";

fn u16_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]) as u64)
}

fn u32_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

fn damaged(what: &str) -> DirectoryError {
    DirectoryError::Damaged(what.to_string())
}

/// The central directory's entries, refused before anything is allocated for them when
/// it declares more than `max_entries`. Reads only the directory, not the members.
pub fn directory<R: Read + Seek>(
    src: &mut R,
    len: u64,
    max_entries: u64,
) -> Result<Vec<Entry>, DirectoryError> {
    let io = |e: std::io::Error| DirectoryError::Damaged(e.to_string());
    // The end record is in the last 22 bytes plus a comment of at most 65,535.
    let tail_len = len.min(22 + 65_535);
    src.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    let mut tail = Vec::new();
    src.by_ref()
        .take(tail_len)
        .read_to_end(&mut tail)
        .map_err(io)?;
    let at = tail
        .windows(4)
        .rposition(|w| w == EOCD)
        .ok_or_else(|| damaged("no end of central directory record (not a zip, or cut short)"))?;
    let eocd = &tail[at..];
    let eocd_pos = len - tail_len + at as u64;
    let (mut count, mut dir_size) = (u16_at(eocd, 10), u32_at(eocd, 12));
    let mut dir_end = eocd_pos;
    if count == 0xFFFF || dir_size == 0xFFFF_FFFF || u32_at(eocd, 16) == 0xFFFF_FFFF {
        // Zip64: a locator just before the end record points at the zip64 end record.
        let loc = tail
            .get(at.saturating_sub(20)..at)
            .filter(|l| l.starts_with(EOCD64_LOCATOR))
            .ok_or_else(|| damaged("zip64 archive without its locator"))?;
        let pos = u64_at(loc, 8);
        src.seek(SeekFrom::Start(pos)).map_err(io)?;
        let mut rec = [0u8; 56];
        src.read_exact(&mut rec).map_err(io)?;
        if !rec.starts_with(EOCD64) {
            return Err(damaged("zip64 end record not where its locator says"));
        }
        count = u64_at(&rec, 32);
        dir_size = u64_at(&rec, 40);
        dir_end = pos;
    }
    if count > max_entries {
        return Err(DirectoryError::TooMany(count));
    }
    // The directory ends where the end record starts (robust to data prepended to the
    // zip, which shifts the offsets the record states).
    let start = dir_end
        .checked_sub(dir_size)
        .ok_or_else(|| damaged("central directory larger than the file"))?;
    src.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut dir = std::io::BufReader::new(src.by_ref().take(dir_size));
    let mut entries = Vec::with_capacity(count.min(4096) as usize);
    for _ in 0..count {
        let mut head = [0u8; 46];
        dir.read_exact(&mut head)
            .map_err(|_| damaged("central directory cut short"))?;
        if !head.starts_with(CENTRAL) {
            return Err(damaged("central directory entry without its signature"));
        }
        let flags = u16_at(&head, 8);
        let (name_len, extra_len, comment_len) =
            (u16_at(&head, 28), u16_at(&head, 30), u16_at(&head, 32));
        let mut raw_name = vec![0u8; name_len as usize];
        dir.read_exact(&mut raw_name)
            .map_err(|_| damaged("central directory cut short"))?;
        std::io::copy(
            &mut dir.by_ref().take(extra_len + comment_len),
            &mut std::io::sink(),
        )
        .map_err(io)?;
        entries.push(Entry {
            raw_name,
            utf8: flags & 0x0800 != 0,
        });
    }
    Ok(entries)
}

/// A zip that is a document, not an archive of documents: OOXML (DOCX, with its
/// `[Content_Types].xml`), ODF (its `mimetype` entry) or OFD (`OFD.xml` at its root).
pub fn is_document(entries: &[Entry]) -> bool {
    entries.iter().any(|e| {
        let n = e.raw_name.as_slice();
        n == b"[Content_Types].xml"
            || n == b"mimetype"
            || n.starts_with(b"word/")
            || n.eq_ignore_ascii_case(b"OFD.xml")
    })
}

/// Reads every member of a zip archive into `members`.
pub fn read<R: Read + Seek>(mut src: R, len: u64, members: &mut Members) {
    let entries = match directory(&mut src, len, members.reader.max_members) {
        Ok(e) => e,
        Err(DirectoryError::TooMany(n)) => {
            return members.archive_failed(format!(
                "the zip archive declares {n} members, more than {} \
                 (limits.max_archive_members): not read",
                members.reader.max_members
            ))
        }
        Err(DirectoryError::Damaged(why)) => {
            return members.archive_failed(format!("damaged zip archive: {why}"))
        }
    };
    // The zip crate keeps one member per name (the last); the others are named here.
    let mut copies: HashMap<&[u8], (usize, bool)> = HashMap::new();
    for e in &entries {
        let c = copies.entry(&e.raw_name).or_insert((0, e.utf8));
        c.0 += 1;
    }
    let mut archive = match zip::ZipArchive::new(src) {
        Ok(a) => a,
        Err(e) => return members.archive_failed(format!("damaged zip archive: {e}")),
    };
    for i in 0..archive.len() {
        if members.count() == Next::Stop {
            return;
        }
        let shown = archive
            .name_for_index(i)
            .map_or_else(|| format!("#{i}"), str::to_string);
        let mut member = match archive.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                let name = shown;
                members.failed(&name, format!("damaged archive member: {e}"));
                continue;
            }
        };
        let (n_copies, utf8) = copies.get(member.name_raw()).copied().unwrap_or((1, false));
        let name = decode_name(member.name_raw(), utf8);
        if member.is_dir() {
            continue;
        }
        if member.is_symlink() {
            members.not_a_file(&name);
            continue;
        }
        // The copies not read get records of their own, told apart by their number.
        for copy in 1..n_copies {
            members.failed(
                &format!("{name}#{copy}"),
                format!(
                    "the zip archive holds {n_copies} members named {name} (duplicate \
                     entries): copy {copy} was not read, only the last one"
                ),
            );
        }
        let Some(name) = members.admit_name(&name) else {
            continue;
        };
        let (size, compressed) = (member.size(), member.compressed_size());
        members.member(&name, Some(size), Some(compressed), &mut member);
    }
}
