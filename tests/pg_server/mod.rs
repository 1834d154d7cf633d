//! A throwaway PostgreSQL server for the tests: Debian's `postgresql` binaries
//! (`/usr/lib/postgresql/*/bin`), a cluster made by `initdb` in a temporary folder, served
//! by `pg_ctl` on a unix socket in that folder only (no TCP port, nothing shared). The
//! server refuses to run as root, so as root (CI) it runs as `nobody` through `runuser`.
//! Stopped and deleted when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// `host=… port=… user=postgres dbname=postgres`
    pub url: String,
}

/// The newest installed server's binaries, or `None`.
fn server_binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The uid and gid of `nobody`.
fn nobody() -> (u32, u32) {
    let name = std::ffi::CString::new("nobody").expect("name");
    // SAFETY: getpwnam returns a pointer to static storage or null, read at once.
    unsafe {
        let pw = libc::getpwnam(name.as_ptr());
        assert!(
            !pw.is_null(),
            "no user nobody to run the PostgreSQL server as"
        );
        ((*pw).pw_uid, (*pw).pw_gid)
    }
}

impl PgServer {
    /// Starts a server, or returns `None` after printing why the test is skipped (the
    /// server binaries are not installed).
    pub fn start(test: &str) -> Option<PgServer> {
        let Some(bin) = server_binaries() else {
            eprintln!(
                "SKIPPED {test}: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin \
                 (apt-get install postgresql; scripts/setup.sh does)"
            );
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("nianbao-pg")
            .tempdir()
            .expect("tempdir");
        if is_root() {
            let (uid, gid) = nobody();
            let c =
                std::ffi::CString::new(dir.path().as_os_str().as_encoded_bytes()).expect("path");
            // SAFETY: a valid NUL-terminated path.
            let rc = unsafe { libc::chown(c.as_ptr(), uid, gid) };
            assert_eq!(rc, 0, "chown {}", dir.path().display());
        }
        let server = PgServer {
            url: format!(
                "host={} port=5432 user=postgres dbname=postgres",
                dir.path().display()
            ),
            dir,
            bin,
        };
        let data = server.dir.path().join("data");
        server.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        );
        let options = format!(
            "-k {} -c listen_addresses='' -p 5432 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=40",
            server.dir.path().display()
        );
        let log = server.dir.path().join("server.log");
        server.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-w".as_ref(),
                "start".as_ref(),
            ],
        );
        Some(server)
    }

    /// Runs a server program, as `nobody` when we are root.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) {
        let exe = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        assert!(
            out.status.success(),
            "{program} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect")
    }

    #[allow(dead_code)]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let _ = cmd
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .current_dir(self.dir.path())
            .output();
    }
}
