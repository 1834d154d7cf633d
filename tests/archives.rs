//! Archives of every kind a crawl delivers, built here from the samples: a zip with GBK
//! names written without the UTF-8 flag, a tar.gz, a tar.xz, a 7z, a RAR, a nested zip, a DOCX
//! named .zip and a zip named .docx, and a zip of tricks (a bomb, `../`, an absolute
//! name, a duplicate). Every member gets its record under its `!` path, the documents'
//! values equal their truth files, and the tricks get failed records that say why.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn sample(rel: &str) -> Vec<u8> {
    std::fs::read(samples().join(rel)).expect("sample")
}

fn truth(rel: &str) -> Value {
    let stem = rel.rsplit_once('.').map_or(rel, |(stem, _)| stem);
    let path = samples().join(format!("{stem}.truth.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("truth")).expect("truth json")
}

/// One member of a zip written by hand: the `zip` crate's writer sets the UTF-8 flag on
/// every non-ASCII name and refuses duplicates and `../`, which crawled archives have.
struct RawMember {
    name: Vec<u8>,
    /// 0 stored, 8 deflated.
    method: u16,
    data: Vec<u8>,
    crc: u32,
    size: u64,
}

impl RawMember {
    fn stored(name: &[u8], data: &[u8]) -> RawMember {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        RawMember {
            name: name.to_vec(),
            method: 0,
            data: data.to_vec(),
            crc: crc.sum(),
            size: data.len() as u64,
        }
    }

    /// `size` bytes of zeros, deflated (a bomb: about 1,000 to 1), made a MiB at a time.
    fn zeros(name: &[u8], size: u64) -> RawMember {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let (mut crc, chunk) = (flate2::Crc::new(), vec![0u8; 1 << 20]);
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            enc.write_all(&chunk[..n]).expect("deflate");
            crc.update(&chunk[..n]);
            left -= n as u64;
        }
        RawMember {
            name: name.to_vec(),
            method: 8,
            data: enc.finish().expect("deflate"),
            crc: crc.sum(),
            size,
        }
    }
}

/// A zip whose names are written as given, without the UTF-8 flag.
fn raw_zip(members: &[RawMember]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for m in members {
        let offset = out.len() as u32;
        let fixed = |sig: &[u8], central: bool| {
            let mut h = sig.to_vec();
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags: no UTF-8 bit
            h.extend_from_slice(&m.method.to_le_bytes());
            h.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
            h.extend_from_slice(&m.crc.to_le_bytes());
            h.extend_from_slice(&(m.data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(m.size as u32).to_le_bytes());
            h.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            h
        };
        out.extend(fixed(b"PK\x03\x04", false));
        out.extend_from_slice(&m.name);
        out.extend_from_slice(&m.data);
        central.extend(fixed(b"PK\x01\x02", true));
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&m.name);
    }
    let (dir_start, n) = (out.len() as u32, members.len() as u16);
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&dir_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A zip made with the `zip` crate (UTF-8 names).
fn zip_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("zip");
        w.write_all(data).expect("zip");
    }
    w.finish().expect("zip").into_inner()
}

fn tar_of<W: Write>(members: &[(&str, Vec<u8>)], out: W) -> W {
    let mut b = tar::Builder::new(out);
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data.as_slice()).expect("tar");
    }
    b.into_inner().expect("tar")
}

fn gbk(name: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(name).0.into_owned()
}

/// Runs `nianbao extract --no-db --jsonl` on `paths`; the records by `source.path`.
fn extract(dir: &Path, paths: &[PathBuf], config: Option<&str>) -> BTreeMap<String, Value> {
    let out = dir.join("out.jsonl");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nianbao"));
    cmd.args(["extract", "--quiet", "--no-db", "--jsonl"])
        .arg(&out)
        .args(paths);
    if let Some(toml) = config {
        let cfg = dir.join("pipeline.toml");
        std::fs::write(&cfg, toml).expect("config");
        cmd.arg("--config").arg(cfg);
    }
    let status = cmd.status().expect("run nianbao");
    assert!(status.success(), "nianbao extract failed: {status}");
    let mut records = BTreeMap::new();
    for line in std::fs::read_to_string(&out).expect("jsonl").lines() {
        let r: Value = serde_json::from_str(line).expect("record");
        let path = r["source"]["path"].as_str().expect("path").to_string();
        let shown = path
            .strip_prefix(&format!("{}/", dir.display()))
            .unwrap_or(&path)
            .to_string();
        assert!(
            records.insert(shown.clone(), r).is_none(),
            "two records for {shown}"
        );
    }
    records
}

/// The record is ok and holds exactly the truth file's values.
fn assert_values(records: &BTreeMap<String, Value>, path: &str, sample_rel: &str) {
    let r = records
        .get(path)
        .unwrap_or_else(|| panic!("no record for {path}: {:?}", records.keys()));
    assert_eq!(r["status"], "ok", "{path}: {}", r["errors"]);
    let t = truth(sample_rel);
    let want = t["values"].as_object().expect("truth values");
    let got = r["values"].as_object().expect("record values");
    assert_eq!(got.len(), want.len(), "{path}: number of values");
    for (key, v) in want {
        assert_eq!(
            got.get(key).and_then(Value::as_f64),
            v.as_f64(),
            "{path}: {key}"
        );
    }
    assert_eq!(r["agency"], t["agency"], "{path}");
}

fn failed_with<'a>(records: &'a BTreeMap<String, Value>, path: &str) -> &'a str {
    let r = records
        .get(path)
        .unwrap_or_else(|| panic!("no record for {path}: {:?}", records.keys()));
    assert_eq!(r["status"], "failed", "{path}");
    r["errors"][0]["message"].as_str().unwrap_or("")
}

/// Largest resident set of the children waited for so far, in MiB.
fn children_peak_rss_mib() -> i64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    usage.ru_maxrss / 1024
}

#[test]
fn every_member_of_every_archive_kind_gets_its_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let write = |name: &str, bytes: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    let mut paths = Vec::new();

    // GBK names without the UTF-8 flag, as Chinese Windows tools write them.
    paths.push(write(
        "gbk.zip",
        &raw_zip(&[
            RawMember::stored(
                &gbk("2023年/潍坊市寒亭区城市管理局年度报告.html"),
                &sample("html/dev-031.html"),
            ),
            RawMember::stored(&gbk("报告/区政府.docx"), &sample("docx/dev-005.docx")),
        ]),
    ));
    // tar.gz, tar.xz, 7z.
    let tgz = tar_of(
        &[
            ("2023/dev-002.html", sample("html/dev-002.html")),
            ("./dev-021.docx", sample("docx/dev-021.docx")),
            ("pdf/dev-006.pdf", sample("pdf/dev-006.pdf")),
        ],
        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()),
    );
    paths.push(write("reports.tar.gz", &tgz.finish().expect("gzip")));
    let mut xz =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).expect("xz");
    {
        let mut b = tar::Builder::new(&mut xz);
        let data = sample("html/dev-009.html");
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "年报/dev-009.html", data.as_slice())
            .expect("tar");
        b.finish().expect("tar");
    }
    paths.push(write("reports.tar.xz", &xz.finish().expect("xz")));
    {
        let mut w = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).expect("7z");
        let data = sample("html/dev-026.html");
        w.push_archive_entry(
            sevenz_rust2::ArchiveEntry::new_file("2023/dev-026.html"),
            Some(data.as_slice()),
        )
        .expect("7z");
        paths.push(write("reports.7z", &w.finish().expect("7z").into_inner()));
    }
    {
        let mut rar = rars::Builder::new(rars::ArchiveVersion::Rar50);
        rar.add_bytes(
            "年报/dev-031.html".as_bytes().to_vec(),
            sample("html/dev-031.html"),
            None,
            None,
        )
        .expect("rar");
        rar.write_to_path(&d.join("reports.rar"), None)
            .expect("rar");
        paths.push(d.join("reports.rar"));
    }
    // Nested one level: inner.zip is read; deeper.zip inside it is not.
    let deeper = zip_of(&[("x.html", sample("html/dev-023.html"))]);
    let inner = zip_of(&[
        ("dev-014.docx", sample("docx/dev-014.docx")),
        ("deeper.zip", deeper),
    ]);
    paths.push(write(
        "nested.zip",
        &zip_of(&[
            ("inner.zip", inner),
            ("a/dev-023.html", sample("html/dev-023.html")),
        ]),
    ));
    // The bytes decide: a DOCX named .zip is a document, a zip named .docx an archive.
    paths.push(write("docx-named.zip", &sample("docx/dev-018.docx")));
    paths.push(write(
        "zip-named.docx",
        &zip_of(&[("in/dev-031.html", sample("html/dev-031.html"))]),
    ));
    // Tricks: a bomb (200 MB of zeros in about 200 kB, under the member size limit), ../, an absolute name, a
    // duplicate, beside a good member that is read all the same.
    paths.push(write(
        "tricks.zip",
        &raw_zip(&[
            RawMember::zeros(b"bomb.html", 200 << 20),
            RawMember::stored(b"../../escape.html", &sample("html/dev-002.html")),
            RawMember::stored(b"/etc/abs.html", &sample("html/dev-002.html")),
            RawMember::stored(b"dup.html", &sample("html/dev-002.html")),
            RawMember::stored(b"dup.html", &sample("html/dev-009.html")),
            RawMember::stored(b"ok.html", &sample("html/dev-002.html")),
        ]),
    ));

    let records = extract(d, &paths, None);
    let names: Vec<&str> = records.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "docx-named.zip",
            "gbk.zip!2023年/潍坊市寒亭区城市管理局年度报告.html",
            "gbk.zip!报告/区政府.docx",
            "nested.zip!a/dev-023.html",
            "nested.zip!inner.zip!deeper.zip",
            "nested.zip!inner.zip!dev-014.docx",
            "reports.7z!2023/dev-026.html",
            "reports.rar!年报/dev-031.html",
            "reports.tar.gz!2023/dev-002.html",
            "reports.tar.gz!dev-021.docx",
            "reports.tar.gz!pdf/dev-006.pdf",
            "reports.tar.xz!年报/dev-009.html",
            "tricks.zip!../../escape.html",
            "tricks.zip!/etc/abs.html",
            "tricks.zip!bomb.html",
            "tricks.zip!dup.html",
            "tricks.zip!dup.html#1",
            "tricks.zip!ok.html",
            "zip-named.docx!in/dev-031.html",
        ]
    );
    for (path, rel) in [
        ("docx-named.zip", "docx/dev-018.docx"),
        (
            "gbk.zip!2023年/潍坊市寒亭区城市管理局年度报告.html",
            "html/dev-031.html",
        ),
        ("gbk.zip!报告/区政府.docx", "docx/dev-005.docx"),
        ("nested.zip!a/dev-023.html", "html/dev-023.html"),
        ("nested.zip!inner.zip!dev-014.docx", "docx/dev-014.docx"),
        ("reports.7z!2023/dev-026.html", "html/dev-026.html"),
        ("reports.rar!年报/dev-031.html", "html/dev-031.html"),
        ("reports.tar.gz!2023/dev-002.html", "html/dev-002.html"),
        ("reports.tar.gz!dev-021.docx", "docx/dev-021.docx"),
        ("reports.tar.gz!pdf/dev-006.pdf", "pdf/dev-006.pdf"),
        ("reports.tar.xz!年报/dev-009.html", "html/dev-009.html"),
        ("tricks.zip!ok.html", "html/dev-002.html"),
        ("zip-named.docx!in/dev-031.html", "html/dev-031.html"),
    ] {
        assert_values(&records, path, rel);
    }
    let bomb = failed_with(&records, "tricks.zip!bomb.html");
    assert!(bomb.contains("zip bomb"), "{bomb}");
    let escape = failed_with(&records, "tricks.zip!../../escape.html");
    assert!(escape.contains("../"), "{escape}");
    let abs = failed_with(&records, "tricks.zip!/etc/abs.html");
    assert!(abs.contains("absolute"), "{abs}");
    // The zip crate keeps the last of two members of one name; the first is named.
    assert_values(&records, "tricks.zip!dup.html", "html/dev-009.html");
    let dup = failed_with(&records, "tricks.zip!dup.html#1");
    assert!(dup.contains("duplicate"), "{dup}");
    let deep = failed_with(&records, "nested.zip!inner.zip!deeper.zip");
    assert!(deep.contains("one level deep"), "{deep}");
    // The bomb was not inflated: nowhere near its 200 MB (the run takes about 50).
    let peak = children_peak_rss_mib();
    assert!(peak < 150, "peak RSS {peak} MiB");
}

#[test]
fn archives_with_too_many_members_say_so_without_reading_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let many: Vec<RawMember> = (0..120)
        .map(|i| RawMember::stored(format!("f{i}.txt").as_bytes(), b"x"))
        .collect();
    std::fs::write(d.join("many.zip"), raw_zip(&many)).expect("write");
    // A tar is a stream: its first members are read, then the rest is refused.
    let mut b = tar::Builder::new(Vec::new());
    for i in 0..120 {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        h.set_mode(0o755);
        h.set_cksum();
        b.append_data(&mut h, format!("d{i:03}/"), std::io::empty())
            .expect("tar");
    }
    std::fs::write(d.join("many.tar"), b.into_inner().expect("tar")).expect("write");
    let records = extract(
        d,
        &[d.join("many.zip"), d.join("many.tar")],
        Some("[limits]\nmax_archive_members = 100\n"),
    );
    let names: Vec<&str> = records.keys().map(String::as_str).collect();
    assert_eq!(names, ["many.tar", "many.zip"]);
    assert!(failed_with(&records, "many.zip").contains("declares 120 members"));
    assert!(failed_with(&records, "many.tar").contains("more than 100 members"));
}

#[test]
fn a_memory_budget_smaller_than_a_document_still_reads_every_document() {
    // 1 MiB, and two HTML reports of 2 MB (a long comment at the end): each of them
    // is admitted alone, once nothing else is held; none waits forever.
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let padded = |rel: &str| {
        let mut bytes = sample(rel);
        bytes.extend_from_slice(b"\n<!-- ");
        bytes.extend(std::iter::repeat_n(b'x', 2 << 20));
        bytes.extend_from_slice(b" -->\n");
        bytes
    };
    let zip = zip_of(&[
        ("dev-005.docx", sample("docx/dev-005.docx")),
        ("dev-021.docx", sample("docx/dev-021.docx")),
        ("dev-002.html", padded("html/dev-002.html")),
        ("dev-009.html", padded("html/dev-009.html")),
    ]);
    std::fs::write(d.join("small.zip"), zip).expect("write");
    let records = extract(
        d,
        &[d.join("small.zip"), samples().join("pdf/dev-006.pdf")],
        Some("[limits]\nmemory_mb = 1\n"),
    );
    assert_eq!(records.len(), 5);
    assert_values(&records, "small.zip!dev-005.docx", "docx/dev-005.docx");
    assert_values(&records, "small.zip!dev-021.docx", "docx/dev-021.docx");
    assert_values(&records, "small.zip!dev-002.html", "html/dev-002.html");
    assert_values(&records, "small.zip!dev-009.html", "html/dev-009.html");
}
