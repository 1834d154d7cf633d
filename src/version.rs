//! What a result was made with: this crate's version, the git commit it was built from
//! (build.rs), the libtesseract it is linked to and the language data it reads. Printed
//! by `nianbao --version` and stored per run in the database (`runs`), since the record
//! contract has no field for them.

use crate::sinks::sqlite::RunInfo;
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use tesseract::plumbing::tesseract_sys as sys;

pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
/// `git rev-parse --short=12 HEAD` at build time, `-dirty` with uncommitted changes,
/// `unknown` outside git.
pub const GIT_COMMIT: &str = env!("NB_GIT_COMMIT");

/// The languages the picture reader uses: digits with `eng`, labels and text with `chi_sim`.
pub const LANGUAGES: [&str; 2] = ["eng", "chi_sim"];

/// The version of the linked libtesseract (`5.3.0`).
pub fn tesseract_version() -> String {
    // SAFETY: TessVersion returns a pointer to a static NUL-terminated string.
    let ptr = unsafe { sys::TessVersion() };
    if ptr.is_null() {
        return "unknown".to_string();
    }
    // SAFETY: non-null, static, NUL-terminated (above).
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// One language's data file as libtesseract finds it.
#[derive(Debug, Clone)]
pub struct LanguageData {
    pub lang: &'static str,
    pub path: PathBuf,
    /// The version string the file carries (`4.00.00alpha:chi_sim:synth20170629`), when
    /// the file is there and carries one.
    pub version: Option<String>,
    /// Whether libtesseract initialised with it (`None`: not tried).
    pub loads: Option<bool>,
}

/// The folder libtesseract reads language data from, and each language's file there.
#[derive(Debug, Clone)]
pub struct Tessdata {
    pub dir: Option<PathBuf>,
    pub languages: Vec<LanguageData>,
}

impl Tessdata {
    /// Finds the data folder where libtesseract looks (it says so after an init) and
    /// reads each of [`LANGUAGES`]' version; with `load_each`, initialises the library
    /// with each (a `chi_sim` init takes a fraction of a second), else with `eng` only.
    pub fn probe(load_each: bool) -> Tessdata {
        let mut dir = None;
        let mut loads = Vec::new();
        for (i, lang) in LANGUAGES.iter().enumerate() {
            if i > 0 && !load_each {
                loads.push(None);
                continue;
            }
            let (ok, path) = try_init(lang);
            loads.push(Some(ok));
            if dir.is_none() {
                dir = path;
            }
        }
        let dir = dir.or_else(fallback_dir);
        let languages = LANGUAGES
            .iter()
            .zip(loads)
            .map(|(lang, loads)| {
                let path = dir
                    .as_deref()
                    .unwrap_or(Path::new("."))
                    .join(format!("{lang}.traineddata"));
                LanguageData {
                    lang,
                    version: std::fs::read(&path)
                        .ok()
                        .and_then(|b| traineddata_version(&b, lang)),
                    path,
                    loads,
                }
            })
            .collect();
        Tessdata { dir, languages }
    }

    /// `chi_sim 4.00.00alpha:chi_sim:synth20170629; eng …` (`missing` for a file not found).
    pub fn summary(&self) -> String {
        self.languages
            .iter()
            .map(|l| match (&l.version, l.path.is_file()) {
                (Some(v), _) => format!("{} {v}", l.lang),
                (None, true) => format!("{} (no version string)", l.lang),
                (None, false) => format!("{} missing", l.lang),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Initialises a throwaway libtesseract handle with `lang`: whether it loads, and the data
/// folder the library looked in.
fn try_init(lang: &str) -> (bool, Option<PathBuf>) {
    let Ok(c_lang) = CString::new(lang) else {
        return (false, None);
    };
    // SAFETY: a fresh handle, used on this thread only and deleted below.
    let handle = unsafe { sys::TessBaseAPICreate() };
    if handle.is_null() {
        return (false, None);
    }
    // The library prints a missing file's error to stderr unless its debug file is set at
    // init: what is missing is for the caller to say.
    let (key, value) = (c"debug_file", c"/dev/null");
    let mut keys = [key.as_ptr() as *mut std::os::raw::c_char];
    let mut values = [value.as_ptr() as *mut std::os::raw::c_char];
    // SAFETY: valid handle; a null datapath means the library's default (TESSDATA_PREFIX
    // or its compiled-in folder); all strings are NUL-terminated and outlive the call,
    // and tesseract only reads the arrays.
    let rc = unsafe {
        sys::TessBaseAPIInit4(
            handle,
            std::ptr::null(),
            c_lang.as_ptr(),
            sys::TessOcrEngineMode_OEM_LSTM_ONLY,
            std::ptr::null_mut(),
            0,
            keys.as_mut_ptr(),
            values.as_mut_ptr(),
            1,
            0,
        )
    };
    // SAFETY: valid handle; the returned string belongs to it and is copied before End.
    let dir = unsafe {
        let p = sys::TessBaseAPIGetDatapath(handle);
        (!p.is_null()).then(|| PathBuf::from(CStr::from_ptr(p).to_string_lossy().into_owned()))
    };
    // SAFETY: valid handle, not used after this.
    unsafe {
        sys::TessBaseAPIEnd(handle);
        sys::TessBaseAPIDelete(handle);
    }
    (rc == 0, dir)
}

/// Where libtesseract looks when no init told us: TESSDATA_PREFIX when set (existing or
/// not), else the first folder where Debian/Ubuntu and other installs keep the data.
fn fallback_dir() -> Option<PathBuf> {
    if let Some(prefix) = std::env::var_os("TESSDATA_PREFIX") {
        return Some(PathBuf::from(prefix));
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    candidates.extend(
        [
            "/usr/share/tesseract-ocr/5/tessdata",
            "/usr/share/tesseract-ocr/4.00/tessdata",
            "/usr/share/tessdata",
            "/usr/local/share/tessdata",
            "/opt/homebrew/share/tessdata",
        ]
        .map(PathBuf::from),
    );
    candidates.into_iter().find(|d| d.is_dir())
}

/// The version string a `.traineddata` file carries (`4.00.00alpha:chi_sim:synth20170629`),
/// found by the `:lang:` it contains; its network spec after the next colon is left out.
pub fn traineddata_version(bytes: &[u8], lang: &str) -> Option<String> {
    let needle = format!(":{lang}:");
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())?;
    let printable = |b: &u8| b.is_ascii_graphic();
    let start = bytes[..at]
        .iter()
        .rposition(|b| !printable(b))
        .map_or(0, |i| i + 1);
    let end = bytes[at..]
        .iter()
        .position(|b| !printable(b))
        .map_or(bytes.len(), |i| at + i);
    let text = std::str::from_utf8(&bytes[start..end]).ok()?;
    // version:lang:date[:spec]
    let parts: Vec<&str> = text.splitn(4, ':').collect();
    Some(parts[..parts.len().min(3)].join(":"))
}

/// What this run's records are made with, for the `runs` table.
pub fn run_info() -> RunInfo {
    let tessdata = Tessdata::probe(false);
    RunInfo {
        tool_version: TOOL_VERSION.to_string(),
        git_commit: GIT_COMMIT.to_string(),
        tesseract_version: Some(tesseract_version()),
        tessdata: Some(tessdata.summary()),
        fingerprint: None,
    }
}

/// `nianbao --version`: crate version and commit, libtesseract and language data.
pub fn long_version() -> String {
    let tessdata = Tessdata::probe(false);
    let dir = tessdata
        .dir
        .as_ref()
        .map_or("not found".to_string(), |d| d.display().to_string());
    format!(
        "{TOOL_VERSION} (commit {GIT_COMMIT})\ntesseract {}\ntessdata {dir}: {}",
        tesseract_version(),
        tessdata.summary()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_string_of_a_traineddata_file() {
        let mut bytes = vec![0u8, 7, 200];
        bytes.extend_from_slice(b"4.00.00alpha:chi_sim:synth20170629:[1,48,0,1Ct3]");
        bytes.extend_from_slice(&[0, 1, 2]);
        assert_eq!(
            traineddata_version(&bytes, "chi_sim").as_deref(),
            Some("4.00.00alpha:chi_sim:synth20170629")
        );
        assert_eq!(traineddata_version(&bytes, "eng"), None);
    }

    #[test]
    fn the_installed_engine_and_data_are_named() {
        // The tests read pictures with the real engine, so it and its data are installed.
        assert!(tesseract_version().starts_with(|c: char| c.is_ascii_digit()));
        let data = Tessdata::probe(true);
        assert!(
            data.languages.iter().all(|l| l.loads == Some(true)),
            "{data:?}"
        );
        assert!(data.summary().contains("chi_sim"), "{}", data.summary());
        assert!(!GIT_COMMIT.is_empty());
    }
}
