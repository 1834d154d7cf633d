//! Corpus evaluator (ignored by default; needs /work/shared/corpus):
//! `cargo test --release --test eval -- --ignored --nocapture`
//!
//! For each picture, the data rows of the recognised tables (rows ending in a run of
//! number-or-blank cells) are read in order and compared with the truth values in
//! keys.tsv order. Reports numeric-cell and non-zero-cell accuracy and CPU ms.

use ocr::document::{Block, Table};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const CORPUS: &str = "/work/shared/corpus";
const KEYS: &str = "/work/shared/spec/keys.tsv";

fn cpu_ms() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ut: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    let st: f64 = f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    (ut + st) * 10.0
}

fn peak_rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn parse_num(t: &str) -> Option<f64> {
    let t: String = t
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - 0xFF10 + 0x30).unwrap_or(c),
            '．' => '.',
            _ => c,
        })
        .filter(|c| !c.is_whitespace())
        .collect();
    if t == "-" || t == "--" || t == "—" {
        return Some(0.0);
    }
    t.parse().ok()
}

/// Values of the data rows, in order: trailing runs of number/blank anchors.
fn data_values(t: &Table) -> Vec<Vec<Option<f64>>> {
    let mut out = Vec::new();
    for (r, row) in t.rows.iter().enumerate() {
        let mut run = Vec::new();
        let mut any = false;
        for (c, cell) in row.iter().enumerate().rev() {
            if cell.is_continuation() {
                // Horizontal continuation of a value cell: skip; vertical: row is not data.
                if cell.continuation_of.is_some_and(|(ar, _)| ar != r) && c > 0 {
                    if run.is_empty() {
                        break;
                    }
                    continue;
                }
                continue;
            }
            let txt = cell.text.trim();
            if txt.is_empty() {
                run.push(None);
            } else if let Some(v) = parse_num(txt) {
                run.push(Some(v));
                any = true;
            } else {
                break;
            }
        }
        if any || !run.is_empty() {
            run.reverse();
            out.push(run);
        }
    }
    out
}

fn truth(id: &str) -> (String, String, HashMap<String, f64>) {
    let s = std::fs::read_to_string(format!("{CORPUS}/{id}.truth.json")).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
    let template = v["template"].as_str().unwrap_or("").to_string();
    let table = v["table"].as_str().unwrap_or("").to_string();
    let mut vals = HashMap::new();
    if let Some(m) = v["values"].as_object() {
        for (k, x) in m {
            if let Some(f) = x.as_f64() {
                vals.insert(k.clone(), f);
            }
        }
    }
    (template, table, vals)
}

fn keys(template: &str, table: &str) -> Vec<String> {
    let s = std::fs::read_to_string(KEYS).unwrap_or_default();
    s.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() > 2 && f[0] == template && (table.is_empty() || f[1] == table))
                .then(|| f[2].to_string())
        })
        .collect()
}

struct Score {
    n: usize,
    ok: usize,
    nz: usize,
    nz_ok: usize,
    low_conf: usize,
}

fn compare(got: &[Option<f64>], want: &[f64]) -> Score {
    let mut s = Score {
        n: want.len(),
        ok: 0,
        nz: 0,
        nz_ok: 0,
        low_conf: 0,
    };
    for (i, w) in want.iter().enumerate() {
        let g = got.get(i).copied().flatten().unwrap_or(0.0);
        let hit = got.len() > i && (g - w).abs() < 1e-6;
        s.ok += hit as usize;
        if *w != 0.0 {
            s.nz += 1;
            s.nz_ok += hit as usize;
        }
    }
    s
}

fn recognise_all(files: &[PathBuf], eng: &mut ocr::TesseractEngine) -> (Vec<Table>, f64, Vec<f64>) {
    let mut tables = Vec::new();
    let mut per = Vec::new();
    let t0 = cpu_ms();
    for f in files {
        let bytes = std::fs::read(f).unwrap_or_default();
        let c0 = cpu_ms();
        match ocr::recognise_picture(&bytes, None, eng) {
            Ok(blocks) => {
                for b in blocks {
                    if let Block::Table(t) = b {
                        tables.push(t);
                    }
                }
            }
            Err(e) => eprintln!("{}: {e}", f.display()),
        }
        per.push(cpu_ms() - c0);
    }
    (tables, cpu_ms() - t0, per)
}

fn report(
    name: &str,
    tables: &[Table],
    want: &[f64],
    lows: usize,
    ms: &[f64],
    totals: &mut (usize, usize, usize, usize),
) {
    let got: Vec<Option<f64>> = tables.iter().flat_map(data_values).flatten().collect();
    let mut s = compare(&got, want);
    s.low_conf = lows;
    totals.0 += s.n;
    totals.1 += s.ok;
    totals.2 += s.nz;
    totals.3 += s.nz_ok;
    let msl: Vec<String> = ms.iter().map(|m| format!("{m:.0}")).collect();
    println!(
        "{name}: cells {}/{} = {:.4}  nonzero {}/{} = {:.4}  got {} values  low-conf cells {}  cpu ms [{}]",
        s.ok,
        s.n,
        s.ok as f64 / s.n.max(1) as f64,
        s.nz_ok,
        s.nz,
        s.nz_ok as f64 / s.nz.max(1) as f64,
        got.len(),
        s.low_conf,
        msl.join(", ")
    );
}

fn low_conf(tables: &[Table]) -> usize {
    tables
        .iter()
        .flat_map(|t| t.rows.iter().flatten())
        .filter(|c| {
            !c.text.is_empty() && c.confidence.unwrap_or(1.0) < ocr::recognise::LOW_CONFIDENCE
        })
        .count()
}

#[test]
#[ignore]
fn evaluate_corpus() {
    if !Path::new(CORPUS).exists() {
        return;
    }
    let mut eng = ocr::TesseractEngine::new().expect("engine");
    let mut totals = (0, 0, 0, 0);
    println!("-- png");
    for id in [
        "dev-004", "dev-007", "dev-025", "dev-029", "dev-037", "dev-042",
    ] {
        let (template, table, vals) = truth(id);
        let ks = keys(
            if template.is_empty() || template == "-" {
                "gov-2021"
            } else {
                &template
            },
            &table,
        );
        let want: Vec<f64> = ks.iter().filter_map(|k| vals.get(k).copied()).collect();
        let (tables, _, ms) =
            recognise_all(&[PathBuf::from(format!("{CORPUS}/{id}.png"))], &mut eng);
        let lows = low_conf(&tables);
        report(id, &tables, &want, lows, &ms, &mut totals);
    }
    println!(
        "png total: cells {:.4} nonzero {:.4}",
        totals.1 as f64 / totals.0.max(1) as f64,
        totals.3 as f64 / totals.2.max(1) as f64
    );
    let tmp = std::env::temp_dir().join("nb-ocr-eval");
    println!("-- docx-image");
    let mut totals = (0, 0, 0, 0);
    for id in [
        "dev-010", "dev-012", "dev-017", "dev-020", "dev-043", "dev-046",
    ] {
        let dir = tmp.join(id);
        let _ = std::fs::create_dir_all(&dir);
        let ok = std::process::Command::new("unzip")
            .args([
                "-q",
                "-o",
                &format!("{CORPUS}/{id}.docx"),
                "word/media/*",
                "-d",
            ])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            continue;
        }
        let (template, _, vals) = truth(id);
        let want: Vec<f64> = ["active", "requests", "appeals"]
            .iter()
            .flat_map(|t| keys(&template, t))
            .filter_map(|k| vals.get(&k).copied())
            .collect();
        let files: Vec<PathBuf> = (1..=3)
            .map(|i| dir.join(format!("word/media/image{i}.png")))
            .collect();
        let (tables, _, ms) = recognise_all(&files, &mut eng);
        let lows = low_conf(&tables);
        report(id, &tables, &want, lows, &ms, &mut totals);
    }
    println!(
        "docx total: cells {:.4} nonzero {:.4}",
        totals.1 as f64 / totals.0.max(1) as f64,
        totals.3 as f64 / totals.2.max(1) as f64
    );
    println!("-- pdf-scan (all pages, all tables in order)");
    let mut totals = (0, 0, 0, 0);
    let scans = std::env::var("NB_SCANS").unwrap_or_else(|_| "dev-019,dev-027,dev-035".into());
    for id in scans.split(',') {
        let dir = tmp.join(id);
        let _ = std::fs::create_dir_all(&dir);
        let ok = std::process::Command::new("pdfimages")
            .args(["-j", &format!("{CORPUS}/{id}.pdf")])
            .arg(dir.join("p"))
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        let (template, _, vals) = truth(id);
        let want: Vec<f64> = ["active", "requests", "appeals"]
            .iter()
            .flat_map(|t| keys(&template, t))
            .filter_map(|k| vals.get(&k).copied())
            .collect();
        let (tables, _, ms) = recognise_all(&files, &mut eng);
        let lows = low_conf(&tables);
        report(id, &tables, &want, lows, &ms, &mut totals);
    }
    println!(
        "scan total: cells {:.4} nonzero {:.4}",
        totals.1 as f64 / totals.0.max(1) as f64,
        totals.3 as f64 / totals.2.max(1) as f64
    );
    println!("peak RSS {:.0} MB", peak_rss_mb());
}
