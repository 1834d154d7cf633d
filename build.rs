//! Build script: the git commit the binary is built from, for `nianbao --version` and the
//! `runs` table (NB_GIT_COMMIT; "unknown" when built outside git, e.g. from a crate
//! tarball, or without git installed).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    // Uncommitted changes to tracked files mark the build: results made with it cannot be
    // traced to a commit alone.
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
    let value = match commit {
        Some(c) if dirty => format!("{c}-dirty"),
        Some(c) => c,
        None => "unknown".to_string(),
    };
    println!("cargo:rustc-env=NB_GIT_COMMIT={value}");
    // Run again when HEAD moves (a commit, a checkout) or a source changes (dirty or not).
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={head}");
    }
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&["rev-parse", "--git-path", &reference]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    for path in ["src", "models", "Cargo.toml", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
