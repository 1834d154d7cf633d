//! `nianbao doctor`: checks what a run needs (libtesseract, its `eng` and `chi_sim`
//! language data, the database, the configuration and templates) and says what to install
//! or fix for each problem.

use crate::config::Config;
use crate::sinks::sqlite::SCHEMA_VERSION;
use crate::template::Templates;
use crate::version::{self, Tessdata};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// One check's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub what: String,
    pub ok: bool,
    /// What was found, or what is wrong.
    pub detail: String,
    /// What to do about a problem.
    pub fix: Option<String>,
}

impl Finding {
    fn ok(what: &str, detail: impl Into<String>) -> Finding {
        Finding {
            what: what.to_string(),
            ok: true,
            detail: detail.into(),
            fix: None,
        }
    }

    fn problem(what: &str, detail: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            what: what.to_string(),
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Debian/Ubuntu packages of the language data.
fn package_of(lang: &str) -> String {
    format!("tesseract-ocr-{}", lang.replace('_', "-"))
}

/// Runs every check. `db` is the database a run would write; `config` the `--config`
/// file, if one is given (else `./pipeline.toml` when present).
pub fn diagnose(db: &Path, config: Option<&Path>) -> Vec<Finding> {
    let mut out = vec![Finding::ok(
        "nianbao",
        format!("{} (commit {})", version::TOOL_VERSION, version::GIT_COMMIT),
    )];
    out.extend(check_tesseract());
    out.push(check_database(db));
    out.extend(check_config(config));
    out
}

fn check_tesseract() -> Vec<Finding> {
    let mut out = Vec::new();
    let v = version::tesseract_version();
    let major: u32 = v
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    out.push(if major >= 4 {
        Finding::ok("libtesseract", v)
    } else {
        Finding::problem(
            "libtesseract",
            format!("version {v}: the LSTM engine of version 4 or later is needed"),
            "install tesseract 5: apt-get install libtesseract-dev tesseract-ocr",
        )
    });
    let data = Tessdata::probe(true);
    let prefix = std::env::var_os("TESSDATA_PREFIX").map(std::path::PathBuf::from);
    out.push(match &data.dir {
        Some(d) if d.is_dir() => Finding::ok("tessdata folder", d.display().to_string()),
        Some(d) => Finding::problem(
            "tessdata folder",
            match &prefix {
                Some(p) => format!(
                    "{} is not a folder (TESSDATA_PREFIX={})",
                    d.display(),
                    p.display()
                ),
                None => format!("{} is not a folder", d.display()),
            },
            "unset TESSDATA_PREFIX or set it to the folder holding eng.traineddata and \
             chi_sim.traineddata; or apt-get install tesseract-ocr-eng tesseract-ocr-chi-sim",
        ),
        None => Finding::problem(
            "tessdata folder",
            "not found (TESSDATA_PREFIX unset, no default folder)",
            "apt-get install tesseract-ocr-eng tesseract-ocr-chi-sim, or set TESSDATA_PREFIX \
             to the folder holding eng.traineddata and chi_sim.traineddata",
        ),
    });
    for l in &data.languages {
        let what = format!("language data {}", l.lang);
        let role = if l.lang == "eng" {
            "numbers in pictures"
        } else {
            "labels and text in pictures"
        };
        out.push(match (l.loads, &l.version) {
            (Some(true), v) => Finding::ok(
                &what,
                format!(
                    "{} ({})",
                    l.path.display(),
                    v.as_deref().unwrap_or("no version string")
                ),
            ),
            _ if !l.path.is_file() => Finding::problem(
                &what,
                format!("{} missing: {role} cannot be read", l.path.display()),
                match &prefix {
                    Some(p) => format!(
                        "put {}.traineddata in TESSDATA_PREFIX={}, or unset it and apt-get \
                         install {}",
                        l.lang,
                        p.display(),
                        package_of(l.lang)
                    ),
                    None => format!("apt-get install {}", package_of(l.lang)),
                },
            ),
            _ => Finding::problem(
                &what,
                format!("{} does not load: {role} cannot be read", l.path.display()),
                format!(
                    "reinstall it (apt-get install --reinstall {}); a tessdata_fast or \
                     tessdata_best file of version 4 or later also works",
                    package_of(l.lang)
                ),
            ),
        });
    }
    out
}

fn check_database(db: &Path) -> Finding {
    const WHAT: &str = "database";
    let shown = db.display();
    if !db.exists() {
        let dir = match db.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let probe = dir.join(".nianbao-doctor-probe");
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe);
        if created.is_ok() {
            let _ = std::fs::remove_file(&probe);
        }
        return match created {
            Ok(_) => Finding::ok(
                WHAT,
                format!("{shown} does not exist yet; {} is writable", dir.display()),
            ),
            Err(e) => Finding::problem(
                WHAT,
                format!("{shown} cannot be created in {}: {e}", dir.display()),
                "give another path with --db, or make the folder writable",
            ),
        };
    }
    let conn = match Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY) {
        Ok(c) => c,
        Err(e) => {
            return Finding::problem(
                WHAT,
                format!("{shown} cannot be opened: {e}"),
                "check the path and its permissions",
            )
        }
    };
    let probe = || -> rusqlite::Result<(i32, String, Option<i64>)> {
        let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        let reports = conn
            .query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))
            .ok();
        Ok((version, check, reports))
    };
    match probe() {
        Err(e) => Finding::problem(
            WHAT,
            format!("{shown} is not a readable SQLite database: {e}"),
            "give another path with --db (nianbao never overwrites a file it cannot read)",
        ),
        Ok((_, check, _)) if check != "ok" => Finding::problem(
            WHAT,
            format!("{shown} is damaged: {check}"),
            "restore it from a copy, or extract again into a new file",
        ),
        Ok((v, _, _)) if v > SCHEMA_VERSION => Finding::problem(
            WHAT,
            format!(
                "{shown} has schema version {v}, newer than this nianbao reads ({SCHEMA_VERSION})"
            ),
            "use the newer nianbao that wrote it",
        ),
        Ok((v, _, reports)) => {
            let reports =
                reports.map_or("no reports table".to_string(), |n| format!("{n} reports"));
            let migration = if v < SCHEMA_VERSION {
                format!("; the next run migrates it from schema {v} to {SCHEMA_VERSION}")
            } else {
                String::new()
            };
            let writable = std::fs::OpenOptions::new().append(true).open(db).is_ok();
            if writable {
                Finding::ok(WHAT, format!("{shown}: {reports}, schema {v}{migration}"))
            } else {
                Finding::problem(
                    WHAT,
                    format!("{shown}: {reports}, but the file is not writable"),
                    "make it writable, or give another path with --db",
                )
            }
        }
    }
}

fn check_config(config: Option<&Path>) -> Vec<Finding> {
    let default = Path::new("pipeline.toml");
    let path = match config {
        Some(p) => Some(p),
        None if default.is_file() => Some(default),
        None => None,
    };
    let loaded = match path {
        None => Ok(Config::default()),
        Some(p) => Config::load(p),
    };
    let shown = path.map_or("built-in defaults (no ./pipeline.toml)".to_string(), |p| {
        p.display().to_string()
    });
    let config = match loaded {
        Ok(c) => c,
        Err(e) => {
            return vec![Finding::problem(
                "configuration",
                format!("{e:#}"),
                "fix the file: the shipped pipeline.toml documents every key",
            )]
        }
    };
    let mut out = vec![Finding::ok("configuration", shown)];
    let templates = match &config.templates_dir {
        Some(dir) => Templates::from_dir(Path::new(dir)),
        None => Templates::builtin(),
    };
    out.push(match templates {
        Ok(t) => Finding::ok(
            "templates",
            format!(
                "{} ({})",
                t.list
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                config.templates_dir.as_deref().unwrap_or("built in")
            ),
        ),
        Err(e) => Finding::problem(
            "templates",
            format!("{e:#}"),
            "fix templates_dir in the configuration, or remove it to use the built-in ones",
        ),
    });
    out
}

/// The findings as lines for a terminal: `ok`/`PROBLEM`, and the fix under a problem.
pub fn render(findings: &[Finding]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for f in findings {
        let mark = if f.ok { "ok     " } else { "PROBLEM" };
        let _ = writeln!(s, "{mark} {}: {}", f.what, f.detail);
        if let Some(fix) = &f.fix {
            let _ = writeln!(s, "        → {fix}");
        }
    }
    let problems = findings.iter().filter(|f| !f.ok).count();
    let _ = match problems {
        0 => writeln!(s, "everything nianbao needs is in place"),
        n => writeln!(s, "{n} problem{} found", if n == 1 { "" } else { "s" }),
    };
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_is_not_one_is_a_problem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let not_db = dir.path().join("notes.sqlite");
        std::fs::write(&not_db, "hello, this is text and no database at all").expect("write");
        let f = check_database(&not_db);
        assert!(!f.ok, "{f:?}");
        assert!(f.detail.contains("not a readable SQLite database"), "{f:?}");
        let fresh = check_database(&dir.path().join("new.sqlite"));
        assert!(fresh.ok, "{fresh:?}");
        assert!(fresh.detail.contains("does not exist yet"));
    }

    #[test]
    fn a_bad_config_says_which_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("pipeline.toml");
        std::fs::write(&cfg, "[sqlite]\nstore_json = true\n").expect("write");
        let f = check_config(Some(&cfg));
        assert_eq!(f.len(), 1);
        assert!(!f[0].ok);
        assert!(f[0].detail.contains("store_json"), "{:?}", f[0]);
    }

    #[test]
    fn missing_language_data_names_its_package() {
        assert_eq!(package_of("chi_sim"), "tesseract-ocr-chi-sim");
    }
}
