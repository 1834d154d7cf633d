//! What the statistics and reprocessing tests share: a copy of born-digital sample
//! folders with their truth files, and the real binary run on it.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Sample folders whose documents read without OCR (quick) but for one picture in a DOCX.
pub const FOLDERS: [&str; 5] = ["docx", "html", "pdf", "doc", "txt"];

/// Copies `folders` of `samples/` (documents and truth files) under `dest`.
pub fn copy_samples(folders: &[&str], dest: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for folder in folders {
        let to = dest.join(folder);
        std::fs::create_dir_all(&to).expect("mkdir");
        for entry in std::fs::read_dir(root.join(folder)).expect("samples folder") {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("name");
            std::fs::copy(&path, to.join(name)).expect("copy sample");
        }
    }
}

/// The documents (not truth files) under `dir`, recursively, counted by extension.
pub fn documents_by_extension(dir: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for path in documents(dir) {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        *out.entry(ext).or_default() += 1;
    }
    out
}

/// The documents under `dir` (truth files and other sidecars left out), sorted.
pub fn documents(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if !path.to_string_lossy().ends_with(".json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `nianbao extract ARGS…`, asserted to exit 0; its output.
pub fn extract(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("extract")
        .arg("--quiet")
        .args(args)
        .output()
        .expect("run nianbao");
    assert!(
        out.status.success(),
        "nianbao extract {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The JSON a `--stats FILE` run wrote.
pub fn read_stats(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("stats file")).expect("stats JSON")
}
