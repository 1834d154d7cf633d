//! `--shard I/N`: the shards of a folder read every file once between them.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn paths_read(shard: &str, folder: &Path) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args([
            "extract", "--quiet", "--no-db", "--jsonl", "-", "--shard", shard,
        ])
        .arg(folder)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["source"]["path"].as_str().expect("path").to_string()
        })
        .collect()
}

#[test]
fn three_shards_read_every_file_once() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let folder = samples.join("html");
    let all = paths_read("0/1", &folder);
    assert_eq!(all.len(), 5);
    let shards: Vec<BTreeSet<String>> = (0..3)
        .map(|i| paths_read(&format!("{i}/3"), &folder))
        .collect();
    let total: usize = shards.iter().map(|s| s.len()).sum();
    assert_eq!(total, all.len(), "{shards:?}");
    let union: BTreeSet<String> = shards.into_iter().flatten().collect();
    assert_eq!(union, all);
    let bad = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["extract", "--no-db", "--shard", "3/3"])
        .arg(&folder)
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected I/N"));
}
