//! RAR archives (RAR 1.3 to 7), through the pure-Rust `rars` (Apache-2.0). Its reader
//! pushes each member into a writer we give it; a member's bytes are kept up to the
//! member limit and then read like any archive member.

use super::archive::{decode_name, member_limit, Members, Next, MAX_RATIO};
use rars::{ArchiveMember, ArchiveReadOptions, ArchiveReader, ExtractionDecision};
use std::cell::RefCell;
use std::io::{Read, Seek, Write};
use std::rc::Rc;

/// The largest RAR5 dictionary allocated, whatever the header asks (RAR 7 allows 64 GB).
const DICTIONARY_LIMIT: u64 = 256 << 20;
/// Whatever the ratio, an archive may expand to this much before it is judged a bomb.
const OUTPUT_FLOOR: u64 = 1 << 30;

/// A member's bytes as rars writes them, kept up to `cap` (what the member may be read
/// to and one byte, which says it was over); the rest is not kept.
struct Capped {
    bytes: Rc<RefCell<Vec<u8>>>,
    cap: usize,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.bytes.borrow_mut();
        let room = self.cap.saturating_sub(bytes.len());
        bytes.extend_from_slice(&buf[..buf.len().min(room)]);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A member being written by rars, read by us once the next one starts (or the end).
struct Pending {
    name: String,
    declared: u64,
    packed: u64,
    bytes: Rc<RefCell<Vec<u8>>>,
}

impl Pending {
    fn finish(self, members: &mut Members) {
        let bytes = self.bytes.take();
        let mut content = std::io::Cursor::new(bytes);
        members.member(
            &self.name,
            Some(self.declared),
            Some(self.packed),
            &mut content,
        );
    }
}

/// Passing over a member: skipped where rars can skip it, decoded into nothing in a
/// solid archive (the members after it need its history).
fn pass_over(member: &ArchiveMember) -> ExtractionDecision {
    if member.is_solid() {
        ExtractionDecision::Extract(Box::new(std::io::sink()))
    } else {
        ExtractionDecision::Skip
    }
}

/// Reads every member of a RAR archive, `len` bytes long, into `members`.
pub fn read<R: Read + Seek + Send + 'static>(src: R, len: u64, members: &mut Members) {
    let max = members.reader.max_member;
    let options = ArchiveReadOptions::new()
        .with_max_header_count(members.reader.max_members.saturating_mul(4).max(64))
        .with_rar50_dictionary_size_limit(DICTIONARY_LIMIT)
        .with_max_total_output_bytes(len.saturating_mul(MAX_RATIO).max(OUTPUT_FLOOR));
    let archive = match ArchiveReader::read_reader_with_options(src, options) {
        Ok(a) => a,
        Err(e) => {
            return members.archive_failed(format!("damaged or unsupported RAR archive: {e}"))
        }
    };
    let mut pending: Option<Pending> = None;
    let result = archive.extract_with_control(options, |member| {
        if let Some(done) = pending.take() {
            done.finish(members);
        }
        if members.count() == Next::Stop {
            return Ok(ExtractionDecision::Stop);
        }
        let meta = &member.meta;
        let name = decode_name(&meta.name, false);
        if meta.is_directory {
            return Ok(pass_over(member));
        }
        if meta.is_redirection {
            members.not_a_file(&name);
            return Ok(pass_over(member));
        }
        let Some(name) = members.admit_name(&name) else {
            return Ok(pass_over(member));
        };
        if meta.is_encrypted {
            members.failed(
                &name,
                "archive member is encrypted: nianbao reads no passwords".to_string(),
            );
            return Ok(pass_over(member));
        }
        if meta.unpacked_size > max {
            members.failed(
                &name,
                format!(
                    "archive member is {} MB uncompressed, over the limit of {} MB \
                     (limits.max_member_mb)",
                    meta.unpacked_size >> 20,
                    max >> 20
                ),
            );
            return Ok(pass_over(member));
        }
        let bytes = Rc::new(RefCell::new(Vec::new()));
        pending = Some(Pending {
            name,
            declared: meta.unpacked_size,
            packed: meta.packed_size,
            bytes: Rc::clone(&bytes),
        });
        let limit = member_limit(max, Some(meta.packed_size));
        Ok(ExtractionDecision::Extract(Box::new(Capped {
            bytes,
            cap: usize::try_from(limit)
                .unwrap_or(usize::MAX)
                .saturating_add(1),
        })))
    });
    match (result, pending.take()) {
        (Ok(_), Some(done)) => done.finish(members),
        (Ok(_), None) => {}
        (Err(e), Some(cut)) => members.failed(
            &cut.name,
            format!("damaged RAR archive at this member: {e}; the members after it were not read"),
        ),
        (Err(e), None) => members.archive_failed(format!(
            "damaged RAR archive: {e}; the members after this point were not read"
        )),
    }
}
