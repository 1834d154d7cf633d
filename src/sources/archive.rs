//! What every archive kind shares: telling an archive from a document by its bytes, and
//! the rules each member passes before it becomes a document (its name, its count, its
//! size, its compression ratio, nesting).
//!
//! Archives are read as streams and never unpacked to disk. A member is read into
//! memory (it is a document), bounded by `limits.max_member_mb` whatever its header
//! says, and by a compression ratio; an archive inside an archive is opened from
//! memory, one level deep (`a.zip!b.zip!c.docx`).

use super::{ReadItem, Reader};
use crate::extract::Input;
use crate::select::SkipReason;
use std::collections::HashMap;
use std::io::Read;

/// Expanded past this many times its compressed size, a member (or a compressed tar
/// stream) is a bomb. Reports compress 1× (DOCX, PDF) to 15× (HTML); deflate's own
/// ceiling is about 1,030×.
pub const MAX_RATIO: u64 = 100;
/// Below this a member's ratio is not judged: a small file of blanks compresses well.
pub const RATIO_FLOOR: u64 = 4 << 20;

/// The most bytes a member is read to: the member limit, and for one whose compressed
/// size is known, [`MAX_RATIO`] times that (but not below [`RATIO_FLOOR`]).
pub fn member_limit(max_member: u64, compressed: Option<u64>) -> u64 {
    match compressed {
        Some(c) => max_member.min(c.saturating_mul(MAX_RATIO).max(RATIO_FLOOR)),
        None => max_member,
    }
}

/// The kinds of container a file's first bytes (or, for tar, its name) show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A zip: an archive, or an OOXML/ODF document (told apart by its member names).
    Zip,
    Gzip,
    Xz,
    SevenZ,
    Tar,
    Rar,
}

impl Container {
    pub fn sniff(name: &str, head: &[u8]) -> Option<Container> {
        if head.starts_with(b"PK\x03\x04")
            || head.starts_with(b"PK\x05\x06")
            || head.starts_with(b"PK\x07\x08")
        {
            Some(Container::Zip)
        } else if head.starts_with(&[0x1f, 0x8b]) {
            Some(Container::Gzip)
        } else if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0]) {
            Some(Container::Xz)
        } else if head.starts_with(&[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]) {
            Some(Container::SevenZ)
        } else if head.starts_with(b"Rar!\x1a\x07") {
            Some(Container::Rar)
        } else if head.get(257..262) == Some(b"ustar") || is_tar_name(name) && head.len() >= 512 {
            Some(Container::Tar)
        } else {
            None
        }
    }
}

fn is_tar_name(name: &str) -> bool {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    base.to_ascii_lowercase().ends_with(".tar")
}

/// A member's name decoded for the record: UTF-8 where the archive says so or the bytes
/// are valid UTF-8, else GB18030 (a superset of GBK, which Chinese Windows tools write
/// without saying so), else the bytes shown as Latin-1.
pub fn decode_name(raw: &[u8], utf8_flag: bool) -> String {
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.to_string();
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(raw);
    if !had_errors || utf8_flag {
        return text.into_owned();
    }
    raw.iter().map(|&b| b as char).collect()
}

/// Why a member's name may not be used: a path that climbs out (`../`), an absolute one
/// (`/etc/x`, `C:\x`), or a NUL. The member is never written to disk, but such a name
/// is a trick, not a report's name, and the record says so.
fn unsafe_name(name: &str) -> Option<&'static str> {
    let slashed = name.replace('\\', "/");
    if name.contains('\0') {
        Some("its name holds a NUL byte")
    } else if slashed.starts_with('/') {
        Some("its name is an absolute path")
    } else if slashed.as_bytes().get(1) == Some(&b':')
        && slashed.as_bytes()[0].is_ascii_alphabetic()
    {
        Some("its name starts with a drive letter")
    } else if slashed.split('/').any(|c| c == "..") {
        Some("its name climbs out of the archive with ../")
    } else {
        None
    }
}

/// One archive being read: the rules its members pass, and where they go.
pub struct Members<'a> {
    pub reader: &'a Reader,
    pub emit: &'a mut dyn FnMut(ReadItem),
    /// The archive's path as records show it: `a.zip`, or `a.zip!b.zip` inside another.
    pub archive: String,
    /// 0 for an archive that is a file, 1 for one inside an archive.
    pub depth: usize,
    /// Names read so far, with how many times each was met.
    seen: HashMap<String, usize>,
    count: u64,
}

/// What the caller of [`Members::member`] does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Go,
    /// The archive holds more members than allowed; the rest are not read.
    Stop,
}

impl<'a> Members<'a> {
    pub fn new(
        reader: &'a Reader,
        emit: &'a mut dyn FnMut(ReadItem),
        archive: String,
        depth: usize,
    ) -> Members<'a> {
        Members {
            reader,
            emit,
            archive,
            depth,
            seen: HashMap::new(),
            count: 0,
        }
    }

    /// A failed record for the archive itself (damaged, unreadable, cut short).
    pub fn archive_failed(&mut self, message: String) {
        (self.emit)(ReadItem::Unreadable {
            path: self.archive.clone(),
            message,
        });
    }

    /// A failed record for one member.
    pub fn failed(&mut self, name: &str, message: String) {
        (self.emit)(ReadItem::Unreadable {
            path: format!("{}!{name}", self.archive),
            message,
        });
    }

    /// Counts an entry of any kind (folders and links too); past the limit, says once
    /// that the rest are not read and tells the caller to stop.
    pub fn count(&mut self) -> Next {
        self.count += 1;
        let max = self.reader.max_members;
        if self.count > max {
            self.archive_failed(format!(
                "the archive holds more than {max} members (limits.max_archive_members); \
                 those after the {max}th were not read"
            ));
            return Next::Stop;
        }
        Next::Go
    }

    /// A folder, link or other non-file entry: counted as skipped, not a document.
    pub fn not_a_file(&mut self, name: &str) {
        self.reader.skipped.add(
            SkipReason::NotAFile,
            &format_args!("{}!{name}", self.archive),
        );
    }

    /// The name to read a member under, or `None` when it is skipped or failed (a path
    /// trick, a duplicate, a sidecar or OS file).
    pub fn admit_name(&mut self, name: &str) -> Option<String> {
        let name = name.strip_prefix("./").unwrap_or(name).to_string();
        if let Some(why) = unsafe_name(&name) {
            self.failed(
                &name,
                format!("archive member not read: {why} (a path trick, not a report's name)"),
            );
            return None;
        }
        if let Some(reason) = self.reader.selection.judge_member(&name) {
            self.reader
                .skipped
                .add(reason, &format_args!("{}!{name}", self.archive));
            return None;
        }
        let copies = self.seen.entry(name.clone()).or_insert(0);
        *copies += 1;
        if *copies > 1 {
            let copy = *copies;
            self.failed(
                &format!("{name}#{copy}"),
                format!(
                    "archive member not read: copy {copy} of {name} in the archive, which \
                     holds another member of that name, read first (duplicate entry)"
                ),
            );
            return None;
        }
        Some(name)
    }

    /// Reads one member (named by [`Members::admit_name`]) from `content` and hands on
    /// what it is: a document, the members of an archive inside, or a failed record.
    /// `declared` is the size its header states (trusted for nothing but an early
    /// refusal); `compressed` its compressed size where the archive tells it.
    pub fn member(
        &mut self,
        name: &str,
        declared: Option<u64>,
        compressed: Option<u64>,
        content: &mut dyn Read,
    ) {
        let max = self.reader.max_member;
        if let Some(size) = declared.filter(|s| *s > max) {
            self.failed(
                name,
                format!(
                    "archive member is {} MB uncompressed, over the limit of {} MB \
                     (limits.max_member_mb)",
                    size >> 20,
                    max >> 20
                ),
            );
            return;
        }
        // The hold is taken before the bytes are read, on what the header says (at most
        // the member limit), and set to what was read after.
        let mut hold = self
            .reader
            .memory
            .admit(declared.unwrap_or(0).min(max).max(4096));
        let limit = member_limit(max, compressed);
        let mut bytes = Vec::new();
        // take() bounds what a lying header or a bomb can make us hold.
        match content.take(limit + 1).read_to_end(&mut bytes) {
            Ok(_) if bytes.len() as u64 > limit && limit < max => {
                self.failed(
                    name,
                    format!(
                        "archive member expands more than {MAX_RATIO} times its compressed \
                         size of {} bytes: a zip bomb, not read past {} MB",
                        compressed.unwrap_or(0),
                        limit >> 20
                    ),
                );
                return;
            }
            Ok(_) if bytes.len() as u64 > limit => {
                self.failed(
                    name,
                    format!(
                        "archive member is larger than {} MB uncompressed, whatever its \
                         header says (limits.max_member_mb)",
                        max >> 20
                    ),
                );
                return;
            }
            Ok(_) => {}
            Err(e) => {
                self.failed(name, format!("damaged archive member: {e}"));
                return;
            }
        }
        hold.grow_to(bytes.len() as u64);
        let path = format!("{}!{name}", self.archive);
        match self.reader.container_of(&path, &bytes) {
            Some(kind) if self.depth >= 1 => self.failed(
                name,
                format!(
                    "a {} archive inside an archive inside an archive: archives are \
                     opened one level deep only",
                    kind.as_str()
                ),
            ),
            Some(kind) => {
                // The inner archive's bytes are the reader's own while it is read (at
                // most max_member); its members hold the budget, it does not, so that
                // waiting for them cannot wait on itself.
                drop(hold);
                let len = bytes.len() as u64;
                let mut inner = Members::new(self.reader, self.emit, path, self.depth + 1);
                self.reader
                    .expand(kind, std::io::Cursor::new(bytes), len, &mut inner);
            }
            None => {
                let mut input = Input::new(path, bytes);
                input.hold = hold;
                let item = self.reader.admitted(input);
                (self.emit)(item);
            }
        }
    }
}

impl Container {
    pub fn as_str(self) -> &'static str {
        match self {
            Container::Zip => "zip",
            Container::Gzip => "gzip",
            Container::Xz => "xz",
            Container::SevenZ => "7z",
            Container::Tar => "tar",
            Container::Rar => "RAR",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_gbk_without_the_utf8_flag_are_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("2023年/政府信息公开工作年度报告.docx");
        assert_eq!(
            decode_name(&gbk, false),
            "2023年/政府信息公开工作年度报告.docx"
        );
        assert_eq!(decode_name("报告.pdf".as_bytes(), true), "报告.pdf");
        assert_eq!(decode_name(b"plain.html", false), "plain.html");
    }

    #[test]
    fn path_tricks_are_named() {
        assert!(unsafe_name("../../etc/passwd").is_some());
        assert!(unsafe_name("a/..\\..\\x.docx").is_some());
        assert!(unsafe_name("/abs/x.docx").is_some());
        assert!(unsafe_name("C:\\x.docx").is_some());
        assert!(unsafe_name("2023/a..b.docx").is_none());
        assert!(unsafe_name("2023/报告.docx").is_none());
    }

    #[test]
    fn containers_are_told_by_their_bytes() {
        assert_eq!(
            Container::sniff("a.docx", b"PK\x03\x04"),
            Some(Container::Zip)
        );
        assert_eq!(
            Container::sniff("a", &[0x1f, 0x8b, 8]),
            Some(Container::Gzip)
        );
        assert_eq!(
            Container::sniff("a.7z", &[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]),
            Some(Container::SevenZ)
        );
        assert_eq!(Container::sniff("a.pdf", b"%PDF-1.4"), None);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(Container::sniff("x.bin", &tar), Some(Container::Tar));
    }
}
