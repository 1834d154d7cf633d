//! PostgreSQL throughput: `cargo bench --bench postgres [-- N]`. A benchmark, not a test.
//!
//! Starts a throwaway server (as the tests do, `tests/pg_server`), builds N unique report
//! files (copies of the born-digital DOCX and HTML samples, each with its own comment),
//! then measures:
//! 1. `nianbao extract --postgres` of the folder: documents per second, CPU per document
//!    and the peak RSS of nianbao (the server's own CPU is not counted);
//! 2. the queue: `nianbao enqueue`, then 1, 2 and 4 `nianbao work -j 1` processes on a
//!    fresh database each, timed until the queue is empty.

mod common;
#[path = "../tests/pg_server/mod.rs"]
mod pg_server;

use common::{children_usage, unique_copy};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// CPU seconds of the server's backends that have ended (the postmaster's own time and
/// that of its children it has reaped), from `/proc`.
fn server_cpu(data: &Path) -> f64 {
    let pid = std::fs::read_to_string(data.join("postmaster.pid"))
        .ok()
        .and_then(|t| t.lines().next().map(str::to_string))
        .unwrap_or_default();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime is the 14th field of
    // the line, so the 12th after it; then stime, cutime, cstime.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .filter_map(|f| f.parse().ok())
        .collect();
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    fields.iter().sum::<f64>() / ticks
}

fn nianbao(args: &[&str], path: Option<&Path>) -> (f64, String) {
    let start = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nianbao"));
    cmd.args(args);
    if let Some(p) = path {
        cmd.arg(p);
    }
    let out = cmd.output().expect("run nianbao");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{said}");
    (start.elapsed().as_secs_f64(), said)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    let Some(server) = pg_server::PgServer::start("bench postgres") else {
        return;
    };
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut sources = Vec::new();
    for dir in ["docx", "html"] {
        let mut files: Vec<_> = std::fs::read_dir(samples.join(dir))
            .expect("samples")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| !p.to_string_lossy().ends_with(".json"))
            // dev-012.docx: its tables are pictures (OCR), not what this measures.
            .filter(|p| !p.to_string_lossy().ends_with("dev-012.docx"))
            .collect();
        files.sort();
        sources.extend(files);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let docs = tmp.path().join("docs");
    std::fs::create_dir(&docs).expect("mkdir");
    for i in 0..n {
        let src = &sources[i % sources.len()];
        let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("bin");
        let bytes = unique_copy(&std::fs::read(src).expect("sample"), ext, i);
        std::fs::write(docs.join(format!("r{i:06}.{ext}")), bytes).expect("copy");
    }
    let mut admin = server.client();
    let fresh = |admin: &mut postgres::Client, name: &str| -> String {
        // Two statements: neither may run inside the transaction a batch would be.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .expect("drop database");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        server
            .url
            .replace("dbname=postgres", &format!("dbname={name}"))
    };

    let data = server.dir().join("data");
    let url = fresh(&mut admin, "bench_extract");
    let server_before = server_cpu(&data);
    let (secs, said) = nianbao(&["extract", "--quiet", "--postgres", &url], Some(&docs));
    // The run's backend has exited once its client did; give the postmaster a moment to
    // reap it.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let server_secs = server_cpu(&data) - server_before;
    let (rss, cpu) = children_usage();
    println!(
        "extract --postgres: {n} documents (docx,html) in {secs:.2} s = {:.0} docs/s; \
         {:.2} ms CPU per document in nianbao, {:.2} ms in the server's backend; \
         peak RSS {rss:.0} MB",
        n as f64 / secs,
        cpu * 1000.0 / n as f64,
        server_secs * 1000.0 / n as f64
    );
    println!("  nianbao: {}", said.trim().lines().last().unwrap_or(""));

    for workers in [1usize, 2, 4] {
        let url = fresh(&mut admin, &format!("bench_queue_{workers}"));
        let (enq, _) = nianbao(&["enqueue", "--postgres", &url], Some(&docs));
        let start = Instant::now();
        let children: Vec<_> = (0..workers)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_nianbao"))
                    .args(["work", "--quiet", "-j", "1", "--postgres", &url])
                    .spawn()
                    .expect("start a worker")
            })
            .collect();
        for mut c in children {
            assert!(c.wait().expect("worker").success());
        }
        let secs = start.elapsed().as_secs_f64();
        let mut db = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        let stored: i64 = db
            .query_one("SELECT count(*) FROM reports", &[])
            .expect("count")
            .get(0);
        println!(
            "queue, {workers} worker process(es) of one thread: {n} documents in {secs:.2} s = \
             {:.0} docs/s (enqueue {:.2} s); {stored} reports stored",
            n as f64 / secs,
            enq
        );
    }
}
