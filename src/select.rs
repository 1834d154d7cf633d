//! Which files a run reads, the way ripgrep chooses what to search.
//!
//! A folder as people keep it holds more than reports: the truth files and notes beside
//! them, what the operating system drops (`.DS_Store`, `Thumbs.db`, `__MACOSX/`), the
//! lock files an open Word document leaves (`~$report.docx`), and our own database.
//! Reading those would only add failed records, so they are skipped by default and
//! counted, with the reason, in the run's summary:
//!
//! - hidden files and folders (a name starting with `.`);
//! - OS droppings: `.DS_Store`, `Thumbs.db`, `desktop.ini`, AppleDouble `._*` files,
//!   `__MACOSX/` and the like, also inside zip archives;
//! - office lock files: `~$*` (Word, Excel) and `.~lock.*#` (LibreOffice, WPS);
//! - sidecars: `*.json` (truth files), `*.tsv`, `*.md`;
//! - our own outputs: the database being written with its `-wal`/`-shm`/`-journal`
//!   files, the JSONL and `--errors` files being written, and any `nianbao.sqlite*`.
//!
//! `--exclude GLOB` skips more, `--include GLOB` reads only what matches (and reads a
//! match even where a default rule would skip it, as ripgrep's `-g` does). A glob without
//! a `/` matches a file's name anywhere; one with a `/` matches the path below the folder
//! given (ripgrep's rule). Globs ignore case: archives of reports mix `.PDF` and `.pdf`.
//! A path named on the command line is read whatever the default rules say: the user
//! chose it. Only `--exclude` and the own-output rule skip it.
//!
//! `.gitignore` and `.ignore` files in the user's folders are *not* obeyed, unlike
//! ripgrep: folders of reports are archives, not git repositories, and a stray
//! `.gitignore` silently leaving documents out would surprise their owner.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Why a file was left out of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// Matched `--exclude`.
    Excluded,
    /// `--include` was given and the file matches none of its globs.
    NotIncluded,
    /// Written by this run (the database, its journal, the JSONL or errors file).
    OwnOutput,
    /// `.DS_Store`, `Thumbs.db`, `__MACOSX/`, `._*` and the like.
    OsFile,
    /// `~$*`, `.~lock.*#`: an office program's lock file beside an open document.
    LockFile,
    /// A name starting with `.`.
    Hidden,
    /// `*.json`, `*.tsv`, `*.md`: truth files, manifests and notes beside documents.
    Sidecar,
    /// Neither a file nor a folder (a FIFO, a socket, a device).
    NotAFile,
}

impl SkipReason {
    pub const ALL: [SkipReason; 8] = [
        SkipReason::Sidecar,
        SkipReason::Hidden,
        SkipReason::OsFile,
        SkipReason::LockFile,
        SkipReason::OwnOutput,
        SkipReason::Excluded,
        SkipReason::NotIncluded,
        SkipReason::NotAFile,
    ];

    /// Words for the summary: "3 sidecar files (*.json, *.tsv, *.md)".
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::Excluded => "matched --exclude",
            SkipReason::NotIncluded => "matched no --include",
            SkipReason::OwnOutput => "our own output (database, JSONL, errors file)",
            SkipReason::OsFile => "OS files (.DS_Store, Thumbs.db, __MACOSX, ._*)",
            SkipReason::LockFile => "office lock files (~$*, .~lock.*#)",
            SkipReason::Hidden => "hidden (name starts with .)",
            SkipReason::Sidecar => "sidecars (*.json, *.tsv, *.md)",
            SkipReason::NotAFile => "not regular files (FIFO, socket, device)",
        }
    }

    fn index(self) -> usize {
        SkipReason::ALL
            .iter()
            .position(|r| *r == self)
            .unwrap_or_default()
    }
}

/// How many paths were skipped for each reason; shared by the walk and the read stage
/// (zip members are judged as they are read).
#[derive(Debug, Default)]
pub struct SkipCounts {
    counts: [AtomicUsize; SkipReason::ALL.len()],
}

impl SkipCounts {
    /// Counts `path` as skipped (and logs it at debug level).
    pub fn add(&self, reason: SkipReason, path: &dyn std::fmt::Display) {
        tracing::debug!(%path, reason = reason.describe(), "skipped");
        self.counts[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// "5 sidecars (*.json, *.tsv, *.md), 1 hidden (name starts with .)"; "" for none.
    pub fn describe(counts: &[(SkipReason, usize)]) -> String {
        counts
            .iter()
            .map(|(r, n)| format!("{n} {}", r.describe()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The reasons met, with their counts, in the order of [`SkipReason::ALL`].
    pub fn snapshot(&self) -> Vec<(SkipReason, usize)> {
        SkipReason::ALL
            .iter()
            .map(|r| (*r, self.counts[r.index()].load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// User globs, ripgrep style: without `/` they match a name, with `/` the relative path.
struct UserGlobs {
    by_name: GlobSet,
    by_path: GlobSet,
    any: bool,
}

impl UserGlobs {
    fn new(globs: &[String], option: &str) -> Result<UserGlobs, String> {
        let (mut by_name, mut by_path) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for g in globs {
            let compiled = GlobBuilder::new(g.trim_start_matches("./"))
                .case_insensitive(true)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("{option} {g:?}: {e}"))?;
            if g.contains('/') {
                by_path.add(compiled);
            } else {
                by_name.add(compiled);
            }
        }
        let build = |b: GlobSetBuilder| b.build().map_err(|e| format!("{option}: {e}"));
        Ok(UserGlobs {
            by_name: build(by_name)?,
            by_path: build(by_path)?,
            any: !globs.is_empty(),
        })
    }

    fn matches(&self, rel: &Path) -> bool {
        self.any
            && (rel.file_name().is_some_and(|n| self.by_name.is_match(n))
                || self.by_path.is_match(rel))
    }
}

fn glob_set(globs: &[&str]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        // The patterns are ours and fixed: a failure would be a typo caught by the tests.
        if let Ok(g) = GlobBuilder::new(g).case_insensitive(true).build() {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Folders an operating system leaves behind: never documents.
const OS_FOLDERS: &[&str] = &[
    "__MACOSX",
    ".Spotlight-V100",
    ".Trashes",
    ".fseventsd",
    ".TemporaryItems",
    "$RECYCLE.BIN",
    "System Volume Information",
];
const OS_FILES: &[&str] = &[
    ".DS_Store",
    "._*",
    "Thumbs.db",
    "ehthumbs.db",
    "desktop.ini",
    ".directory",
    "Icon\r",
];
const LOCK_FILES: &[&str] = &["~$*", ".~lock.*#"];
const SIDECARS: &[&str] = &["*.json", "*.tsv", "*.md"];
/// Databases of other nianbao runs (`nianbao.sqlite`, `-wal`, `-shm`, `-journal`).
const OUR_DATABASES: &[&str] = &["nianbao.sqlite", "nianbao.sqlite-*"];

/// The selection rules of one run.
pub struct Selection {
    include: UserGlobs,
    exclude: UserGlobs,
    os_folders: GlobSet,
    os_files: GlobSet,
    lock_files: GlobSet,
    sidecars: GlobSet,
    our_databases: GlobSet,
    /// This run's outputs, absolute, and their names for a quick first test.
    outputs: Vec<PathBuf>,
    output_names: HashSet<OsString>,
}

impl Selection {
    /// `outputs`: the files this run writes (the database's journal files are added).
    /// Fails only on a glob that does not parse.
    pub fn new(
        include: &[String],
        exclude: &[String],
        outputs: &[PathBuf],
    ) -> Result<Selection, String> {
        let mut all = Vec::new();
        for o in outputs {
            all.push(absolute(o));
        }
        let output_names = all
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_os_string()))
            .collect();
        Ok(Selection {
            include: UserGlobs::new(include, "--include")?,
            exclude: UserGlobs::new(exclude, "--exclude")?,
            os_folders: glob_set(OS_FOLDERS),
            os_files: glob_set(OS_FILES),
            lock_files: glob_set(LOCK_FILES),
            sidecars: glob_set(SIDECARS),
            our_databases: glob_set(OUR_DATABASES),
            outputs: all,
            output_names,
        })
    }

    /// The database's own files beside it: what SQLite writes next to `db`.
    pub fn database_files(db: &Path) -> Vec<PathBuf> {
        let mut out = vec![db.to_path_buf()];
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut name = db.as_os_str().to_os_string();
            name.push(suffix);
            out.push(PathBuf::from(name));
        }
        out
    }

    fn is_own_output(&self, path: &Path) -> bool {
        path.file_name()
            .is_some_and(|n| self.output_names.contains(n))
            && self.outputs.contains(&absolute(path))
    }

    /// A path named on the command line: only `--exclude` and our own outputs skip it
    /// (reading the database being written is never meant, e.g. `nianbao extract *`).
    pub fn judge_named(&self, path: &Path) -> Option<SkipReason> {
        if self.exclude.matches(path) {
            Some(SkipReason::Excluded)
        } else if self.is_own_output(path) {
            Some(SkipReason::OwnOutput)
        } else {
            None
        }
    }

    /// A folder met while walking: skipped folders are not descended into.
    /// `rel` is its path below the folder given.
    pub fn judge_folder(&self, rel: &Path) -> Option<SkipReason> {
        let name = rel.file_name()?;
        if self.exclude.matches(rel) {
            Some(SkipReason::Excluded)
        } else if self.os_folders.is_match(name) {
            Some(SkipReason::OsFile)
        } else if is_hidden(name) {
            Some(SkipReason::Hidden)
        } else {
            None
        }
    }

    /// A file met while walking, or listed by `--files-from`. `rel` is its path below
    /// the folder given; `path` the path to open.
    pub fn judge_file(&self, rel: &Path, path: &Path) -> Option<SkipReason> {
        if self.exclude.matches(rel) {
            return Some(SkipReason::Excluded);
        }
        if self.is_own_output(path) {
            return Some(SkipReason::OwnOutput);
        }
        if self.include.matches(rel) {
            return None;
        }
        if let Some(reason) = self.default_rule(rel) {
            return Some(reason);
        }
        // An archive is a container, like a folder: --include judges its members.
        if self.include.any && !is_archive(rel) {
            return Some(SkipReason::NotIncluded);
        }
        None
    }

    /// A member of a zip archive, by its path inside the archive (`2023/report.docx`).
    pub fn judge_member(&self, member: &str) -> Option<SkipReason> {
        let rel = Path::new(member);
        let mut folders: Vec<&std::ffi::OsStr> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s),
                _ => None,
            })
            .collect();
        folders.pop();
        for (i, _) in folders.iter().enumerate() {
            let folder: PathBuf = folders[..=i].iter().collect();
            if let Some(reason) = self.judge_folder(&folder) {
                return Some(reason);
            }
        }
        if self.exclude.matches(rel) {
            return Some(SkipReason::Excluded);
        }
        if self.include.matches(rel) {
            return None;
        }
        if let Some(reason) = self.default_rule(rel) {
            return Some(reason);
        }
        if self.include.any {
            return Some(SkipReason::NotIncluded);
        }
        None
    }

    fn default_rule(&self, rel: &Path) -> Option<SkipReason> {
        let name = rel.file_name()?;
        if self.os_files.is_match(name) {
            Some(SkipReason::OsFile)
        } else if self.lock_files.is_match(name) {
            Some(SkipReason::LockFile)
        } else if self.our_databases.is_match(name) {
            Some(SkipReason::OwnOutput)
        } else if is_hidden(name) {
            Some(SkipReason::Hidden)
        } else if self.sidecars.is_match(name) {
            Some(SkipReason::Sidecar)
        } else {
            None
        }
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.') && name != "." && name != ".."
}

/// Whether a name is an archive's (`.zip`, `.tar`, `.tar.gz`, `.tgz`, `.tar.xz`, `.txz`,
/// `.7z`, `.rar`): a container, judged by its members rather than by `--include`. The
/// read stage goes by the bytes; this is for choosing by name before reading.
pub fn is_archive(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    [
        ".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".7z", ".rar",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

/// An absolute form to compare paths by, with symbolic links in the folder resolved when
/// the folder exists (the file itself may not exist yet: an output about to be created).
fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => match dir.canonicalize() {
            Ok(dir) => dir.join(name),
            Err(_) => abs.clone(),
        },
        _ => abs.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(include: &[&str], exclude: &[&str]) -> Selection {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Selection::new(&s(include), &s(exclude), &[]).expect("globs")
    }

    fn file(s: &Selection, rel: &str) -> Option<SkipReason> {
        s.judge_file(Path::new(rel), Path::new(rel))
    }

    #[test]
    fn default_rules_skip_what_is_not_a_document() {
        let s = sel(&[], &[]);
        for (rel, want) in [
            ("a/dev-001.truth.json", Some(SkipReason::Sidecar)),
            ("MANIFEST.tsv", Some(SkipReason::Sidecar)),
            ("README.MD", Some(SkipReason::Sidecar)),
            ("a/.DS_Store", Some(SkipReason::OsFile)),
            ("Thumbs.db", Some(SkipReason::OsFile)),
            ("desktop.ini", Some(SkipReason::OsFile)),
            ("._report.html", Some(SkipReason::OsFile)),
            ("~$report.docx", Some(SkipReason::LockFile)),
            (".~lock.report.docx#", Some(SkipReason::LockFile)),
            (".hidden.pdf", Some(SkipReason::Hidden)),
            ("nianbao.sqlite-wal", Some(SkipReason::OwnOutput)),
            ("a/report.docx", None),
            ("报告.PDF", None),
            ("reports.zip", None),
        ] {
            assert_eq!(file(&s, rel), want, "{rel}");
        }
        assert_eq!(
            s.judge_folder(Path::new("x/__MACOSX")),
            Some(SkipReason::OsFile)
        );
        assert_eq!(s.judge_folder(Path::new(".git")), Some(SkipReason::Hidden));
        assert_eq!(s.judge_folder(Path::new("2023")), None);
    }

    #[test]
    fn include_and_exclude_follow_ripgrep() {
        let s = sel(&["*.docx", "*.json"], &["drafts", "old/*.docx"]);
        assert_eq!(file(&s, "a/b.docx"), None);
        assert_eq!(file(&s, "a/B.DOCX"), None);
        assert_eq!(file(&s, "a/b.pdf"), Some(SkipReason::NotIncluded));
        // An include overrides the sidecar rule, as -g does in ripgrep.
        assert_eq!(file(&s, "a/b.truth.json"), None);
        // Archives are containers: their members are judged.
        assert_eq!(file(&s, "a/b.zip"), None);
        assert_eq!(s.judge_member("2023/x.pdf"), Some(SkipReason::NotIncluded));
        assert_eq!(file(&s, "old/b.docx"), Some(SkipReason::Excluded));
        // A glob with a slash is anchored at the folder given.
        assert_eq!(file(&s, "x/old/b.docx"), None);
        assert_eq!(
            s.judge_folder(Path::new("x/drafts")),
            Some(SkipReason::Excluded)
        );
        assert!(Selection::new(&["a[".to_string()], &[], &[]).is_err());
    }

    #[test]
    fn zip_members_are_judged_by_every_folder_of_their_path() {
        let s = sel(&[], &[]);
        assert_eq!(
            s.judge_member("__MACOSX/2023/._a.html"),
            Some(SkipReason::OsFile)
        );
        assert_eq!(s.judge_member("2023/._a.html"), Some(SkipReason::OsFile));
        assert_eq!(s.judge_member("2023/.git/x"), Some(SkipReason::Hidden));
        assert_eq!(
            s.judge_member("2023/a.truth.json"),
            Some(SkipReason::Sidecar)
        );
        assert_eq!(s.judge_member("2023/a.html"), None);
    }

    #[test]
    fn named_paths_are_skipped_only_when_excluded_or_our_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("out.sqlite");
        let outputs = Selection::database_files(&db);
        let s = Selection::new(&[], &["*.tmp".to_string()], &outputs).expect("globs");
        assert_eq!(s.judge_named(Path::new("notes.md")), None);
        assert_eq!(
            s.judge_named(Path::new("x.tmp")),
            Some(SkipReason::Excluded)
        );
        assert_eq!(
            s.judge_named(&dir.path().join("out.sqlite-wal")),
            Some(SkipReason::OwnOutput)
        );
        assert_eq!(
            s.judge_file(
                Path::new("out.sqlite"),
                &dir.path().join(".").join("out.sqlite")
            ),
            Some(SkipReason::OwnOutput)
        );
    }
}
