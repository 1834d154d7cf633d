//! Tar archives, plain or compressed (gzip, xz), read as one stream front to back; and
//! a lone gzip- or xz-compressed document (`report.html.gz`).

use super::archive::{decode_name, Container, Members, Next, MAX_RATIO};
use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

/// Whatever the ratio, a compressed stream may expand to this much before it is judged.
const STREAM_FLOOR: u64 = 1 << 30;

/// The largest xz dictionary allocated, in KiB, whatever the stream's header asks
/// (`xz -9` uses 64 MiB).
const DICTIONARY_LIMIT_KB: u32 = 256 << 10;

/// Bytes the tar crate may read on its own between two members (headers, long names,
/// pax records, which it keeps in memory whole): a 10 GB "long name" is a bomb.
const BETWEEN_MEMBERS: u64 = 1 << 20;

/// A reader that fails once more than `limit` bytes have come through, with `what` as
/// its error. The limit can be moved while reading (see [`Window`]).
struct Bounded<R> {
    inner: R,
    used: Rc<Cell<u64>>,
    limit: Rc<Cell<u64>>,
    what: &'static str,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.used.set(self.used.get().saturating_add(n as u64));
        if self.used.get() > self.limit.get() {
            return Err(std::io::Error::other(self.what));
        }
        Ok(n)
    }
}

/// The counter and limit of a [`Bounded`] reader, kept by its owner.
#[derive(Clone, Default)]
struct Window {
    used: Rc<Cell<u64>>,
    limit: Rc<Cell<u64>>,
}

impl Window {
    fn wrap<R: Read>(&self, inner: R, limit: u64, what: &'static str) -> Bounded<R> {
        self.limit.set(limit);
        Bounded {
            inner,
            used: Rc::clone(&self.used),
            limit: Rc::clone(&self.limit),
            what,
        }
    }

    fn restart(&self, limit: u64) {
        self.used.set(0);
        self.limit.set(limit);
    }
}

/// Reads a gzip or xz stream `len` bytes long: the tar archive inside, or the one
/// document it compresses (named as the file without `.gz`/`.xz`).
pub fn read_compressed<R: Read>(kind: Container, src: R, len: u64, members: &mut Members) {
    let limit = len.saturating_mul(MAX_RATIO).max(STREAM_FLOOR);
    let window = Window::default();
    let what = "the compressed stream expands more than 100 times its size: \
                a compression bomb, not read further";
    let stream: Box<dyn Read> = match kind {
        Container::Gzip => Box::new(window.wrap(
            flate2::read::MultiGzDecoder::new(std::io::BufReader::new(src)),
            limit,
            what,
        )),
        _ => Box::new(window.wrap(
            lzma_rust2::XzReader::new_mem_limit(
                std::io::BufReader::new(src),
                true,
                DICTIONARY_LIMIT_KB,
            ),
            limit,
            what,
        )),
    };
    let mut stream = stream;
    let mut head = Vec::with_capacity(512);
    if let Err(e) = stream.by_ref().take(512).read_to_end(&mut head) {
        return members.archive_failed(format!("damaged {} stream: {e}", kind.as_str()));
    }
    let rest = std::io::Cursor::new(head.clone()).chain(stream);
    // An old (v7) tar has no magic: its name says it.
    let lower = members.archive.to_ascii_lowercase();
    let named_tar = [".tar.gz", ".tgz", ".tar.xz", ".txz"]
        .iter()
        .any(|ext| lower.ends_with(ext));
    if named_tar || head.get(257..262) == Some(b"ustar") {
        return read_tar(rest, members);
    }
    // Not a tar: one compressed document.
    let base = members
        .archive
        .rsplit(['/', '\\', '!'])
        .next()
        .unwrap_or("")
        .to_string();
    let lower = base.to_ascii_lowercase();
    let name = if lower.ends_with(".gz") || lower.ends_with(".xz") {
        base[..base.len() - 3].to_string()
    } else {
        format!("{base}.unpacked")
    };
    if members.count() == Next::Stop {
        return;
    }
    if let Some(name) = members.admit_name(&name) {
        let mut rest = rest;
        members.member(&name, None, Some(len), &mut rest);
    }
}

/// Reads every member of a tar stream into `members`.
pub fn read_tar<R: Read>(src: R, members: &mut Members) {
    let window = Window::default();
    let bounded = window.wrap(
        src,
        BETWEEN_MEMBERS,
        "a tar header, long name or pax record larger than 1 MB: not read further",
    );
    let mut archive = tar::Archive::new(bounded);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return members.archive_failed(format!("damaged tar archive: {e}")),
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                return members.archive_failed(format!(
                    "damaged tar archive: {e}; the members after this point were not read"
                ))
            }
        };
        // What the member's own bytes take is bounded by its reading (take), and the
        // rest of it is skipped by its declared size, which places the next header.
        window.restart(u64::MAX);
        if members.count() == Next::Stop {
            return;
        }
        let name = decode_name(&entry.path_bytes(), false);
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() {
        } else if !kind.is_file() {
            members.not_a_file(&name);
        } else if let Some(name) = members.admit_name(&name) {
            let declared = entry.header().size().ok();
            members.member(&name, declared, None, &mut entry);
        }
        if let Err(e) = std::io::copy(&mut entry, &mut std::io::sink()) {
            return members.archive_failed(format!(
                "damaged tar archive: {e}; the members after this point were not read"
            ));
        }
        window.restart(BETWEEN_MEMBERS);
    }
}
