//! Where documents come from: files, folders walked recursively, and zip archives whose
//! members are documents (`archive.zip!2023/report.docx`).

use crate::extract::Input;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Every file under the given paths, in a stable order (folders sorted by name).
pub fn list_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            for entry in walkdir::WalkDir::new(p)
                .follow_links(true)
                .sort_by_file_name()
            {
                match entry {
                    Ok(e) if e.file_type().is_file() => out.push(e.into_path()),
                    Ok(_) => {}
                    Err(e) => return Err(format!("walking {}: {e}", p.display())),
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// One item the read stage produces: a document's bytes, or a failure to read it.
pub enum ReadItem {
    Input(Input),
    Unreadable { path: String, message: String },
}

fn is_archive(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Reads a file (or, for a `.zip`, each member) and hands the items to `emit`.
pub fn read_path(path: &Path, max_file: u64, max_member: u64, emit: &mut dyn FnMut(ReadItem)) {
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
    if size > max_file {
        emit(ReadItem::Unreadable {
            path: shown,
            message: format!(
                "file is {} MB, over the limit of {} MB (limits.max_file_mb in pipeline.toml)",
                size >> 20,
                max_file >> 20
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
        read_archive(&shown, bytes, max_member, emit);
    } else {
        emit(ReadItem::Input(Input::new(shown, bytes)));
    }
}

fn read_archive(shown: &str, bytes: Vec<u8>, max_member: u64, emit: &mut dyn FnMut(ReadItem)) {
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
            Ok(_) if buf.len() as u64 <= max_member => emit(ReadItem::Input(Input::new(name, buf))),
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
