//! Builds `models/digits/prototypes.txt` from the sheets `tools/digit_sheets.py` renders:
//! each sheet is binarised by the pipeline's own Sauvola pass, each slot's glyph cut
//! out as the classifier cuts it, and every digit's glyphs reduced by k-means to a few
//! dozen prototypes.
//!
//! `cargo run --release --example digit_model -- SHEETS_DIR OUT [--validate]`
//! `--validate` holds out one font family at a time and prints how often the clear
//! matches of its glyphs were wrong, and how many were clear (nothing is written).
//! `--check MODEL` judges a model already written on every sheet, and how the grey
//! check of a "1" ([`faint_strokes_beside`]) does on its clear readings of a 1.

use std::collections::BTreeMap;
use std::path::Path;

use nianbao::ocr::cells::drop_specks;
use nianbao::ocr::digits::{
    faint_strokes_beside, glyph_feature, segment_glyphs, DigitModel, Feature, FEATURES,
    MAX_DISTANCE,
};
use nianbao::ocr::prep::sauvola;
use nianbao::ocr::recognise::sauvola_window;

const SLOT: usize = 48;
const PROTOS_PER_DIGIT: usize = 40;

struct Sample {
    /// The sheet and slot it was cut from (for looking at a misread).
    origin: String,
    /// Faint strokes in the grey beside it (the check a "1" must pass).
    faint_beside: bool,
    family: String,
    digit: u8,
    f: Feature,
}

/// Per font family: glyphs, clear matches, wrong clear matches, (true, read) counts.
type FamilyTally = (usize, usize, usize, BTreeMap<(u8, u8), usize>);

fn family_of(name: &str) -> String {
    let font = name.split("__").next().unwrap_or(name);
    font.split('-').next().unwrap_or(font).to_string()
}

fn load(dir: &Path) -> anyhow::Result<Vec<Sample>> {
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    paths.sort();
    // The window a table picture at the working scale gets (about 1150 x 1600 px).
    let win = sauvola_window(1150, 1600);
    for p in paths {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let gray = image::open(&p)?.to_luma8();
        let mut bin = sauvola(&gray, win, 0.2);
        let (cols, rows) = (gray.width() as usize / SLOT, gray.height() as usize / SLOT);
        for r in 0..rows {
            for c in 0..cols {
                let (sx, sy) = (c * SLOT, r * SLOT);
                let mut bb: Option<(usize, usize, usize, usize)> = None;
                for y in sy..sy + SLOT {
                    for x in sx..sx + SLOT {
                        if bin.get(x, y) {
                            bb = Some(match bb {
                                None => (x, y, x + 1, y + 1),
                                Some(b) => (b.0.min(x), b.1.min(y), b.2.max(x + 1), b.3.max(y + 1)),
                            });
                        }
                    }
                }
                // The cell reader's speck removal first, as in a run.
                let glyphs = bb
                    .and_then(|b| drop_specks(&mut bin, b))
                    .and_then(|b| segment_glyphs(&bin, b));
                match glyphs.as_deref() {
                    Some([g]) => out.push(Sample {
                        origin: format!("{name} row {r} col {c}"),
                        faint_beside: faint_strokes_beside(&gray, &bin, *g, &[*g]),
                        family: family_of(&name),
                        digit: (c % 10) as u8,
                        f: glyph_feature(&bin, *g),
                    }),
                    _ => skipped += 1,
                }
            }
        }
    }
    eprintln!(
        "{} glyphs, {skipped} slots skipped (speckle or a broken glyph)",
        out.len()
    );
    Ok(out)
}

fn dist(a: &Feature, b: &Feature) -> f32 {
    a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// k-means with a fixed seed: deterministic prototypes.
fn kmeans(points: &[&Feature], k: usize) -> Vec<Feature> {
    if points.len() <= k {
        return points.iter().map(|p| **p).collect();
    }
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // k-means++ seeding.
    let mut centres: Vec<Feature> = vec![*points[(next() as usize) % points.len()]];
    let mut d: Vec<f32> = points.iter().map(|p| dist(p, &centres[0])).collect();
    while centres.len() < k {
        let total: f32 = d.iter().sum();
        let mut t = (next() % 1_000_000) as f32 / 1_000_000.0 * total;
        let mut pick = 0;
        for (i, v) in d.iter().enumerate() {
            t -= v;
            if t <= 0.0 {
                pick = i;
                break;
            }
        }
        centres.push(*points[pick]);
        let c = centres[centres.len() - 1];
        for (i, p) in points.iter().enumerate() {
            d[i] = d[i].min(dist(p, &c));
        }
    }
    for _ in 0..12 {
        let mut sums = vec![[0f32; FEATURES]; k];
        let mut counts = vec![0usize; k];
        for p in points {
            let (best, _) = centres
                .iter()
                .enumerate()
                .map(|(i, c)| (i, dist(p, c)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, 0.0));
            counts[best] += 1;
            for (s, v) in sums[best].iter_mut().zip(p.iter()) {
                *s += v;
            }
        }
        for (i, c) in centres.iter_mut().enumerate() {
            if counts[i] > 0 {
                for (cv, s) in c.iter_mut().zip(sums[i].iter()) {
                    *cv = s / counts[i] as f32;
                }
            }
        }
    }
    centres
}

fn train(samples: &[&Sample]) -> DigitModel {
    let mut protos = Vec::new();
    for d in 0..10u8 {
        let pts: Vec<&Feature> = samples
            .iter()
            .filter(|s| s.digit == d)
            .map(|s| &s.f)
            .collect();
        for c in kmeans(&pts, PROTOS_PER_DIGIT) {
            protos.push((d, c));
        }
    }
    // Through the text form: validation sees the quantised model a run loads.
    DigitModel::parse(&DigitModel::new(protos).to_text()).unwrap_or_else(|e| panic!("{e}"))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(out)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: digit_model SHEETS_DIR OUT [--validate]");
    };
    let samples = load(Path::new(dir))?;
    if let Some(i) = args.iter().position(|a| a == "--check") {
        // A model already written, judged on every sheet (fonts it may not have seen).
        let path = args
            .get(i + 1)
            .map(String::as_str)
            .unwrap_or("models/digits/prototypes.txt");
        let model =
            DigitModel::parse(&std::fs::read_to_string(path)?).map_err(anyhow::Error::msg)?;
        let mut per: BTreeMap<&str, FamilyTally> = BTreeMap::new();
        for s in &samples {
            let e = per.entry(s.family.as_str()).or_default();
            e.0 += 1;
            if let Some(m) = model.classify(&s.f).filter(|m| m.clear()) {
                e.1 += 1;
                if m.digit != s.digit {
                    if e.2 < 6 {
                        eprintln!("{} read {} ({m:?})", s.origin, m.digit);
                    }
                    e.2 += 1;
                    *e.3.entry((s.digit, m.digit)).or_default() += 1;
                }
            }
        }
        // The grey check on every clear "1": true ones it refuses, false ones it stops.
        let ones: Vec<(bool, bool)> = samples
            .iter()
            .filter_map(|s| {
                let m = model.classify(&s.f).filter(|m| m.clear() && m.digit == 1)?;
                Some((s.digit == m.digit, s.faint_beside))
            })
            .collect();
        let count =
            |right: bool, faint: bool| ones.iter().filter(|o| **o == (right, faint)).count();
        println!(
            "clear 1s: true {} (refused by the grey check {}), false {} (stopped {})",
            count(true, false) + count(true, true),
            count(true, true),
            count(false, false) + count(false, true),
            count(false, true)
        );
        for (fam, (n, clear, wrong, conf)) in per {
            println!(
                "{fam:24} n {n:6} clear {:5.1}% wrong {wrong:4} ({:.3}%) {conf:?}",
                100.0 * clear as f32 / n.max(1) as f32,
                100.0 * wrong as f32 / clear.max(1) as f32
            );
        }
        return Ok(());
    }
    if args.iter().any(|a| a == "--validate") {
        let families: BTreeMap<&str, usize> = samples.iter().fold(BTreeMap::new(), |mut m, s| {
            *m.entry(s.family.as_str()).or_default() += 1;
            m
        });
        let (mut all_wrong, mut all_clear, mut all_n) = (0, 0, 0);
        // Clear and wrong matches at other ratio limits, for choosing MAX_RATIO.
        let limits = [0.6f32, 0.7, 0.8, 0.85, 0.9];
        let mut at = [(0usize, 0usize); 5];
        for fam in families.keys() {
            // Training on every other sheet of the other families keeps this quick.
            let rest: Vec<&Sample> = samples
                .iter()
                .enumerate()
                .filter(|(i, s)| s.family != *fam && i % 3 == 0)
                .map(|(_, s)| s)
                .collect();
            let model = train(&rest);
            let (mut wrong, mut clear, mut n) = (0, 0, 0);
            let mut confusions: BTreeMap<(u8, u8), usize> = BTreeMap::new();
            for s in samples.iter().filter(|s| s.family == *fam) {
                n += 1;
                if let Some(m) = model.classify(&s.f) {
                    for (i, l) in limits.iter().enumerate() {
                        if m.ratio <= *l && m.distance <= MAX_DISTANCE {
                            at[i].0 += 1;
                            at[i].1 += usize::from(m.digit != s.digit);
                        }
                    }
                }
                if let Some(m) = model.classify(&s.f).filter(|m| m.clear()) {
                    clear += 1;
                    if m.digit != s.digit {
                        wrong += 1;
                        *confusions.entry((s.digit, m.digit)).or_default() += 1;
                    }
                }
            }
            println!(
                "{fam:24} n {n:6} clear {:5.1}% wrong {wrong:4} ({:.3}%) {confusions:?}",
                100.0 * clear as f32 / n.max(1) as f32,
                100.0 * wrong as f32 / clear.max(1) as f32
            );
            all_wrong += wrong;
            all_clear += clear;
            all_n += n;
        }
        println!(
            "ALL n {all_n} clear {:.1}% wrong {all_wrong} ({:.3}%)",
            100.0 * all_clear as f32 / all_n.max(1) as f32,
            100.0 * all_wrong as f32 / all_clear.max(1) as f32
        );
        for (l, (c, w)) in limits.iter().zip(at) {
            println!(
                "ratio <= {l}: clear {:.1}% wrong {w}",
                100.0 * c as f32 / all_n.max(1) as f32
            );
        }
        return Ok(());
    }
    let all: Vec<&Sample> = samples.iter().collect();
    let model = train(&all);
    std::fs::write(out, model.to_text())?;
    eprintln!("{} prototypes written to {out}", model.prototypes().len());
    Ok(())
}
