//! Where documents come from: files, folders walked recursively, and archives whose
//! members are documents (`archive.zip!2023/report.docx`, `a.tar.gz!b.zip!c.docx`):
//! zip, tar, tar.gz, tar.xz, 7z and RAR, read as streams (see [`archive`]).

mod archive;
mod rar;
mod sevenz;
mod tarball;
mod zipfile;

use crate::budget::MemoryBudget;
use crate::extract::Input;
use crate::select::{is_archive, Selection, SkipCounts, SkipReason};
use archive::{Container, Members};
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One entry of the run's list of inputs: a file to read, or a path that could not be
/// listed (missing, a broken link, no permission, a loop), which becomes a failed record
/// of its own while the run goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    File(PathBuf),
    Failed { path: String, message: String },
}

/// Every file to read under the paths named on the command line (`named`, read whatever
/// the default rules say) and the paths of `--files-from` (`listed`, judged like files
/// met in a folder), in a stable order (folders sorted by name). What the selection skips
/// is counted in `skipped`.
pub fn list_inputs(
    named: &[PathBuf],
    listed: &[PathBuf],
    selection: &Arc<Selection>,
    skipped: &Arc<SkipCounts>,
) -> Vec<Listed> {
    let mut out = Vec::new();
    let roots = named
        .iter()
        .map(|p| (p, true))
        .chain(listed.iter().map(|p| (p, false)));
    for (root, is_named) in roots {
        list_root(root, is_named, selection, skipped, &mut out);
    }
    out
}

fn list_root(
    root: &Path,
    named: bool,
    selection: &Arc<Selection>,
    skipped: &Arc<SkipCounts>,
    out: &mut Vec<Listed>,
) {
    let meta = std::fs::metadata(root);
    let is_dir = meta.as_ref().is_ok_and(|m| m.is_dir());
    let verdict = if named {
        selection.judge_named(root)
    } else if is_dir {
        selection.judge_folder(root)
    } else {
        selection.judge_file(root, root)
    };
    if let Some(reason) = verdict {
        skipped.add(reason, &root.display());
        return;
    }
    let meta = match meta {
        Ok(m) => m,
        Err(e) => {
            out.push(Listed::Failed {
                path: root.display().to_string(),
                message: unreachable_path(root, &e),
            });
            return;
        }
    };
    if meta.is_file() {
        out.push(Listed::File(root.to_path_buf()));
    } else if meta.is_dir() {
        walk_folder(root, selection, skipped, out);
    } else {
        skipped.add(SkipReason::NotAFile, &root.display());
    }
}

fn walk_folder(
    root: &Path,
    selection: &Arc<Selection>,
    skipped: &Arc<SkipCounts>,
    out: &mut Vec<Listed>,
) {
    // The folder's entries are judged by our own rules in `filter_entry`, which counts
    // what it skips; the ignore crate's standard filters are all off: no hidden-file rule
    // of its own (ours counts and names them) and no .gitignore/.ignore files, which
    // users' archive folders are not meant to obey (see the module comment of select).
    let (sel, counts, base) = (
        Arc::clone(selection),
        Arc::clone(skipped),
        root.to_path_buf(),
    );
    let walk = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .follow_links(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let rel = entry.path().strip_prefix(&base).unwrap_or(entry.path());
            let verdict = if entry.file_type().is_some_and(|t| t.is_dir()) {
                sel.judge_folder(rel)
            } else {
                sel.judge_file(rel, entry.path())
            };
            match verdict {
                Some(reason) => {
                    counts.add(reason, &entry.path().display());
                    false
                }
                None => true,
            }
        })
        .build();
    for entry in walk {
        match entry {
            Ok(e) => match e.file_type() {
                Some(t) if t.is_file() => out.push(Listed::File(e.into_path())),
                Some(t) if t.is_dir() => {}
                _ => skipped.add(SkipReason::NotAFile, &e.path().display()),
            },
            Err(err) => {
                let (path, message) = walk_error(&err);
                let path = path.unwrap_or_else(|| root.to_path_buf());
                // A link the rules would have skipped is no failure (an editor's
                // `.#report.docx` lock is a hidden broken link).
                let rel = path.strip_prefix(root).unwrap_or(&path);
                if let Some(reason) = selection.judge_file(rel, &path) {
                    skipped.add(reason, &path.display());
                    continue;
                }
                out.push(Listed::Failed {
                    path: path.display().to_string(),
                    message,
                });
            }
        }
    }
}

/// The path a walk error is about, and what it means for the user.
fn walk_error(err: &ignore::Error) -> (Option<PathBuf>, String) {
    match err {
        ignore::Error::WithPath { path, err } => {
            let (_, message) = walk_error(err);
            let message = match err.io_error() {
                Some(io) => unreachable_path(path, io),
                None => message,
            };
            (Some(path.clone()), message)
        }
        ignore::Error::WithDepth { err, .. } => walk_error(err),
        ignore::Error::Loop { ancestor, child } => (
            Some(child.clone()),
            format!(
                "symbolic link loop: it leads back to {}, a folder above it; \
                 remove the link or leave it out with --exclude",
                ancestor.display()
            ),
        ),
        other => (None, format!("cannot list this folder: {other}")),
    }
}

/// Why `path` cannot be reached, in words that say what to do.
fn unreachable_path(path: &Path, e: &std::io::Error) -> String {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match e.kind() {
        std::io::ErrorKind::NotFound if is_link => {
            let target = std::fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".to_string());
            format!(
                "broken symbolic link: it points to {target}, which does not exist; \
                 fix the link or delete it"
            )
        }
        std::io::ErrorKind::NotFound => {
            "no such file or folder: check the path (a relative path starts from the \
             current folder)"
                .to_string()
        }
        std::io::ErrorKind::PermissionDenied => {
            "permission denied: this user may not read it; give read permission \
             (chmod u+r, or u+rx for a folder) or leave it out with --exclude"
                .to_string()
        }
        // ELOOP: io::ErrorKind::FilesystemLoop is not stable yet; its Debug name is.
        kind if format!("{kind:?}") == "FilesystemLoop" => {
            "symbolic link loop: the link leads back to itself; fix the link or leave it \
             out with --exclude"
                .to_string()
        }
        _ => format!("cannot read it: {e}"),
    }
}

/// One item the read stage produces: a document's bytes, or a failure to read it.
pub enum ReadItem {
    Input(Input),
    Unreadable { path: String, message: String },
}

/// The read stage's rules: size and count limits, the memory budget documents are
/// admitted against, and the selection that judges archive members.
pub struct Reader {
    pub max_file: u64,
    pub max_member: u64,
    /// Members read from one archive (`limits.max_archive_members`).
    pub max_members: u64,
    pub memory: Arc<MemoryBudget>,
    pub selection: Arc<Selection>,
    pub skipped: Arc<SkipCounts>,
}

impl Reader {
    /// Reads a file and hands what it holds to `emit`: the file as one document, or,
    /// for an archive (whatever its name says: its bytes decide), each member.
    pub fn read(&self, path: &Path, emit: &mut dyn FnMut(ReadItem)) {
        // Archive parsers meet hostile bytes: a panic in one costs this file's remaining
        // members (said in a record), not the read stage and the run's remaining files.
        let result = crate::extract::guarded("reading", || self.read_file(path, &mut *emit));
        if let Err(message) = result {
            emit(ReadItem::Unreadable {
                path: path.display().to_string(),
                message,
            });
        }
    }

    fn read_file(&self, path: &Path, emit: &mut dyn FnMut(ReadItem)) {
        let shown = path.display().to_string();
        let unreadable = |e: std::io::Error| ReadItem::Unreadable {
            path: shown.clone(),
            message: format!("cannot read file: {e}"),
        };
        let (mut file, size) = match File::open(path).and_then(|f| Ok((f.metadata()?.len(), f))) {
            Ok((size, f)) => (f, size),
            Err(e) => return emit(unreadable(e)),
        };
        let mut head = Vec::with_capacity(512);
        if let Err(e) = file.by_ref().take(512).read_to_end(&mut head) {
            return emit(unreadable(e));
        }
        let container = match Container::sniff(&shown, &head) {
            Some(Container::Zip) => {
                let mut src = BufReader::new(&mut file);
                match zipfile::directory(&mut src, size, self.max_members) {
                    Ok(entries) if zipfile::is_document(&entries) => None,
                    Err(zipfile::DirectoryError::Damaged(_)) if !is_archive(path) => None,
                    _ => Some(Container::Zip),
                }
            }
            other => other,
        };
        if let Some(kind) = container {
            if let Err(e) = file.seek(SeekFrom::Start(0)) {
                return emit(unreadable(e));
            }
            let mut members = Members::new(self, emit, shown.clone(), 0);
            return self.expand(kind, BufReader::new(file), size, &mut members);
        }
        if size > self.max_file {
            return emit(ReadItem::Unreadable {
                path: shown,
                message: format!(
                    "file is {} MB, over the limit of {} MB (limits.max_file_mb in pipeline.toml)",
                    size >> 20,
                    self.max_file >> 20
                ),
            });
        }
        let hold = self.memory.admit(size);
        let mut bytes = Vec::with_capacity(size as usize);
        // The file may have grown since it was measured: what is read stays bounded.
        let read = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| file.take(self.max_file + 1).read_to_end(&mut bytes));
        match read {
            Ok(_) if bytes.len() as u64 > self.max_file => emit(ReadItem::Unreadable {
                path: shown,
                message: format!(
                    "file grew over the limit of {} MB while it was read (limits.max_file_mb)",
                    self.max_file >> 20
                ),
            }),
            Ok(_) => {
                let mut input = Input::new(shown, bytes);
                input.hold = hold;
                emit(self.admitted(input))
            }
            Err(e) => emit(unreadable(e)),
        }
    }

    /// Reads a file's bytes already in memory (a queue's stored copy) as
    /// [`read`](Self::read) reads the file at `shown`: an archive member by member.
    pub fn read_bytes(&self, shown: &str, bytes: Vec<u8>, emit: &mut dyn FnMut(ReadItem)) {
        let result = crate::extract::guarded("reading", || {
            self.read_bytes_unguarded(shown, bytes, &mut *emit)
        });
        if let Err(message) = result {
            emit(ReadItem::Unreadable {
                path: shown.to_string(),
                message,
            });
        }
    }

    fn read_bytes_unguarded(&self, shown: &str, bytes: Vec<u8>, emit: &mut dyn FnMut(ReadItem)) {
        let size = bytes.len() as u64;
        if let Some(kind) = self.container_of(shown, &bytes) {
            let mut members = Members::new(self, emit, shown.to_string(), 0);
            return self.expand(kind, Cursor::new(bytes), size, &mut members);
        }
        if size > self.max_file {
            return emit(ReadItem::Unreadable {
                path: shown.to_string(),
                message: format!(
                    "file is {} MB, over the limit of {} MB (limits.max_file_mb in pipeline.toml)",
                    size >> 20,
                    self.max_file >> 20
                ),
            });
        }
        let mut input = Input::new(shown.to_string(), bytes);
        input.hold = self.memory.admit(size);
        emit(self.admitted(input))
    }

    /// A document read whole, its hold grown to what decoding it will take (waiting for
    /// room in the budget), or refused when that is more than one document may take: the
    /// whole budget, or the file size limit where that is larger (a file the size limit
    /// lets in runs alone however small the budget; one that would grow past both, as a
    /// 200 MB text file to 600 MB, is not decoded).
    pub(crate) fn admitted(&self, mut input: Input) -> ReadItem {
        let need = crate::formats::footprint::of(&input.path, &input.bytes);
        let most = self.memory.capacity().max(self.max_file);
        if need.bytes > most {
            return ReadItem::Unreadable {
                path: input.path,
                message: format!(
                    "decoding it would take about {} MB of memory ({}), more than the {} MB \
                     one document may take (limits.memory_mb in pipeline.toml, or \
                     limits.max_file_mb where larger): not read",
                    need.bytes >> 20,
                    need.basis,
                    most >> 20
                ),
            };
        }
        input.hold.grow_waiting(need.bytes);
        ReadItem::Input(input)
    }

    /// What an archive member's bytes are, when they are an archive: a zip that holds
    /// no DOCX parts, a tar, a compressed stream, a 7z. `None` for a document.
    pub(crate) fn container_of(&self, name: &str, bytes: &[u8]) -> Option<Container> {
        match Container::sniff(name, bytes)? {
            Container::Zip => {
                let mut src = Cursor::new(bytes);
                match zipfile::directory(&mut src, bytes.len() as u64, self.max_members) {
                    Ok(entries) if zipfile::is_document(&entries) => None,
                    Err(zipfile::DirectoryError::Damaged(_)) if !is_archive(Path::new(name)) => {
                        None
                    }
                    _ => Some(Container::Zip),
                }
            }
            other => Some(other),
        }
    }

    /// Reads the members of an archive of `kind`, `len` bytes long, into `members`.
    pub(crate) fn expand<R: Read + Seek + Send + 'static>(
        &self,
        kind: Container,
        src: R,
        len: u64,
        members: &mut Members,
    ) {
        match kind {
            Container::Zip => zipfile::read(src, len, members),
            Container::Tar => tarball::read_tar(src, members),
            Container::Gzip | Container::Xz => tarball::read_compressed(kind, src, len, members),
            Container::SevenZ => sevenz::read(src, members),
            Container::Rar => rar::read(src, len, members),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(memory_mb: u64) -> Reader {
        Reader {
            max_file: memory_mb << 20,
            max_member: 256 << 20,
            max_members: 1000,
            memory: MemoryBudget::new(memory_mb << 20),
            selection: Arc::new(Selection::new(&[], &[], &[]).unwrap_or_else(|e| panic!("{e}"))),
            skipped: Arc::new(SkipCounts::default()),
        }
    }

    fn read(reader: &Reader, name: &str, bytes: Vec<u8>) -> ReadItem {
        let mut got = Vec::new();
        reader.read_bytes(name, bytes, &mut |item| got.push(item));
        assert_eq!(got.len(), 1);
        got.remove(0)
    }

    #[test]
    fn a_document_is_held_for_what_decoding_it_takes_and_refused_past_the_budget() {
        use crate::formats::footprint::{HTML_BYTES_PER_TAG, TEXT_TIMES_SIZE};
        let reader = reader(1);
        // 300 kB of text takes three times that to decode: held so, within 1 MiB.
        match read(&reader, "a.txt", vec![b'x'; 300_000]) {
            ReadItem::Input(input) => assert_eq!(input.hold.bytes(), 300_000 * TEXT_TIMES_SIZE),
            ReadItem::Unreadable { message, .. } => panic!("{message}"),
        }
        // 400 kB of text would take 1.2 MB: refused, and the record says why.
        match read(&reader, "b.txt", vec![b'x'; 400_000]) {
            ReadItem::Unreadable { path, message } => {
                assert_eq!(path, "b.txt");
                assert!(message.contains("about 1 MB of memory"), "{message}");
                assert!(message.contains("limits.memory_mb"), "{message}");
            }
            ReadItem::Input(_) => panic!("admitted past the budget"),
        }
        // A web page counts its tags: 5,000 of them are 1.28 MB of tree.
        let page = b"<i>".repeat(5000);
        const { assert!(5000 * HTML_BYTES_PER_TAG > 1 << 20) };
        assert!(matches!(
            read(&reader, "c.html", page),
            ReadItem::Unreadable { .. }
        ));
        // Other formats count their size.
        match read(&reader, "d.pdf", b"%PDF-1.4\n".repeat(1000)) {
            ReadItem::Input(input) => assert_eq!(input.hold.bytes(), 9000),
            ReadItem::Unreadable { message, .. } => panic!("{message}"),
        }
    }
}
