//! 7z archives, through the pure-Rust `sevenz-rust2`: members are decoded in order (a
//! solid block front to back), each read like any archive member.

use super::archive::{Members, Next};
use sevenz_rust2::{ArchiveReader, EntryDecision, Password};
use std::io::{Read, Seek};

/// The largest header buffer or decoder dictionary allocated, in KiB, whatever the
/// archive's header asks (7-Zip's ultra level uses 64 MiB).
const MEMORY_LIMIT_KB: usize = 256 << 10;

/// Reads every member of a 7z archive into `members`.
pub fn read<R: Read + Seek>(src: R, members: &mut Members) {
    let mut archive =
        match ArchiveReader::new_with_memory_limit(src, Password::empty(), MEMORY_LIMIT_KB) {
            Ok(a) => a,
            Err(e) => {
                return members.archive_failed(format!("damaged or unsupported 7z archive: {e}"))
            }
        };
    archive.set_thread_count(1);
    let declared = archive.archive().files.len() as u64;
    let max = members.reader.max_members;
    if declared > max {
        return members.archive_failed(format!(
            "the 7z archive declares {declared} members, more than {max} \
             (limits.max_archive_members): not read"
        ));
    }
    let max_member = members.reader.max_member;
    let mut stopped = false;
    let result = archive.for_each_entries_with_decision(|entry, content| {
        if members.count() == Next::Stop {
            stopped = true;
            return Ok(EntryDecision::Stop);
        }
        if entry.is_directory || entry.is_anti_item {
            return Ok(EntryDecision::Continue);
        }
        let Some(name) = members.admit_name(&entry.name) else {
            return Ok(EntryDecision::Continue);
        };
        // Decoding a member we refuse would still cost its whole declared size: in a
        // solid block, the members after it cannot be reached without it.
        if entry.size > max_member {
            members.failed(
                &name,
                format!(
                    "archive member is {} MB uncompressed, over the limit of {} MB \
                     (limits.max_member_mb)",
                    entry.size >> 20,
                    max_member >> 20
                ),
            );
            members.archive_failed(format!(
                "the 7z archive was not read past its member {name}, which is over the \
                 size limit"
            ));
            stopped = true;
            return Ok(EntryDecision::Stop);
        }
        members.member(&name, Some(entry.size), None, content);
        Ok(EntryDecision::Continue)
    });
    if let Err(e) = result {
        if !stopped {
            members.archive_failed(format!(
                "damaged 7z archive: {e}; the members after this point were not read"
            ));
        }
    }
}
