//! Where documents come from: files, folders walked recursively, and zip archives whose
//! members are documents (`archive.zip!2023/report.docx`).

use crate::extract::Input;
use crate::select::{is_archive, Selection, SkipCounts, SkipReason};
use std::io::Read;
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

/// The read stage's rules: size limits, and the selection that judges zip members.
pub struct Reader {
    pub max_file: u64,
    pub max_member: u64,
    pub selection: Arc<Selection>,
    pub skipped: Arc<SkipCounts>,
}

impl Reader {
    /// Reads a file (or, for a `.zip`, each member) and hands the items to `emit`.
    pub fn read(&self, path: &Path, emit: &mut dyn FnMut(ReadItem)) {
        let shown = path.display().to_string();
        let size = match std::fs::metadata(path) {
            Ok(m) => m.len(),
            Err(e) => {
                emit(ReadItem::Unreadable {
                    path: shown,
                    message: format!("cannot read file: {e}"),
                });
                return;
            }
        };
        if size > self.max_file {
            emit(ReadItem::Unreadable {
                path: shown,
                message: format!(
                    "file is {} MB, over the limit of {} MB (limits.max_file_mb in pipeline.toml)",
                    size >> 20,
                    self.max_file >> 20
                ),
            });
            return;
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                emit(ReadItem::Unreadable {
                    path: shown,
                    message: format!("cannot read file: {e}"),
                });
                return;
            }
        };
        if is_archive(path) && bytes.starts_with(b"PK") {
            self.read_archive(&shown, bytes, emit);
        } else {
            emit(ReadItem::Input(Input::new(shown, bytes)));
        }
    }

    /// Reads a file's bytes already in memory (a queue's stored copy) as [`read`](Self::read)
    /// reads the file at `shown`: an archive member by member.
    pub fn read_bytes(&self, shown: &str, bytes: Vec<u8>, emit: &mut dyn FnMut(ReadItem)) {
        if bytes.len() as u64 > self.max_file {
            emit(ReadItem::Unreadable {
                path: shown.to_string(),
                message: format!(
                    "file is {} MB, over the limit of {} MB (limits.max_file_mb in pipeline.toml)",
                    bytes.len() >> 20,
                    self.max_file >> 20
                ),
            });
        } else if is_archive(Path::new(shown)) && bytes.starts_with(b"PK") {
            self.read_archive(shown, bytes, emit);
        } else {
            emit(ReadItem::Input(Input::new(shown.to_string(), bytes)));
        }
    }

    fn read_archive(&self, shown: &str, bytes: Vec<u8>, emit: &mut dyn FnMut(ReadItem)) {
        let max_member = self.max_member;
        let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
            Ok(a) => a,
            Err(e) => {
                emit(ReadItem::Unreadable {
                    path: shown.to_string(),
                    message: format!("damaged zip archive: {e}"),
                });
                return;
            }
        };
        for i in 0..archive.len() {
            let mut member = match archive.by_index(i) {
                Ok(m) => m,
                Err(e) => {
                    emit(ReadItem::Unreadable {
                        path: format!("{shown}!#{i}"),
                        message: format!("damaged archive member: {e}"),
                    });
                    continue;
                }
            };
            if member.is_dir() {
                continue;
            }
            // `__MACOSX/._report.html`, a truth file zipped with its report: not documents.
            if let Some(reason) = self.selection.judge_member(member.name()) {
                self.skipped
                    .add(reason, &format_args!("{shown}!{}", member.name()));
                continue;
            }
            let name = format!("{shown}!{}", member.name());
            if member.size() > max_member {
                emit(ReadItem::Unreadable {
                    path: name,
                    message: format!(
                    "archive member is {} MB uncompressed, over the limit (limits.max_member_mb)",
                    member.size() >> 20
                ),
                });
                continue;
            }
            let mut buf = Vec::with_capacity(member.size() as usize);
            // take() bounds what a lying header can make us allocate.
            match (&mut member).take(max_member + 1).read_to_end(&mut buf) {
                Ok(_) if buf.len() as u64 <= max_member => {
                    emit(ReadItem::Input(Input::new(name, buf)))
                }
                Ok(_) => emit(ReadItem::Unreadable {
                    path: name,
                    message: "archive member is larger than its header says (limits.max_member_mb)"
                        .to_string(),
                }),
                Err(e) => emit(ReadItem::Unreadable {
                    path: name,
                    message: format!("damaged archive member: {e}"),
                }),
            }
        }
    }
}
