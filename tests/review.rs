//! `nianbao review` driven in the real page by headless Chromium (Debian's `chromium` and
//! `chromium-driver`, over WebDriver with fantoccini), on a database the real extraction
//! wrote from samples/; and `nianbao correct` with a re-extraction. Values are the
//! samples' truth files'.

mod browser;

use browser::{
    browser, class_of, runtime, start_chromedriver, text_of, wait_for, Started, CHROMEDRIVER,
    CHROMIUM,
};
use fantoccini::Locator;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_nianbao")
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn truth(rel: &str) -> Value {
    let text = std::fs::read_to_string(samples().join(rel)).expect("truth file");
    serde_json::from_str(&text).expect("truth json")
}

/// Copies the samples into `dir` and extracts them into `dir/db.sqlite` with the real
/// pipeline (tesseract included).
fn extract(dir: &Path, samples_rel: &[&str]) -> PathBuf {
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).expect("mkdir");
    for rel in samples_rel {
        let from = samples().join(rel);
        let name = from.file_name().expect("name");
        std::fs::copy(&from, docs.join(name)).expect("copy sample");
    }
    let db = dir.join("db.sqlite");
    browser::extract_into(&db, &docs);
    db
}

/// Starts `nianbao review` on a free port; returns it with its printed address.
fn serve(db: &Path) -> (Started, String) {
    let mut review = Command::new(bin());
    review.args(["review", "--port", "0", "--db"]).arg(db);
    browser::start_review(review)
}

#[test]
fn review_page_in_chromium() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        println!(
            "skipped: {CHROMIUM} or {CHROMEDRIVER} missing (apt-get install chromium chromium-driver)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // A scanned PDF (OCR), a DOCX whose tables are pictures (OCR) with a misprint in a
    // cell, and a born-digital report with failed checks.
    let db = extract(
        dir.path(),
        &["harsh/hv-011.pdf", "docx/dev-012.docx", "html/dev-009.html"],
    );
    let scan_truth = truth("harsh/hv-011.truth.json");
    let picture_truth = truth("docx/dev-012.truth.json");
    let (misprint_key, misprinted, intended, misprint_checks) = planted(&picture_truth);
    let (_server, url) = serve(&db);
    let base = browser::base_of(&url);
    let (_driver, driver_port) = start_chromedriver();
    let profile = dir.path().join("profile");
    let rt = runtime();
    let filled = rt.block_on(async {
        let c = browser(driver_port, &profile).await;

        // Without the token: 403, and nothing of the database shown.
        c.goto(&format!("{base}/")).await.expect("goto");
        assert!(text_of(&c, "h1").await.contains("403"));
        c.goto(&format!("{base}/doc/1")).await.expect("goto");
        assert!(text_of(&c, "h1").await.contains("403"));

        // The overview, through the printed address.
        c.goto(&url).await.expect("goto overview");
        assert_eq!(text_of(&c, "h1").await, "3 reports");
        let counts = text_of(&c, "#counts").await;
        assert!(
            counts.contains("pdf") && counts.contains("docx") && counts.contains("html"),
            "{counts}"
        );
        let charts = c
            .find_all(Locator::Css("#charts svg rect"))
            .await
            .expect("bars");
        assert!(!charts.is_empty());
        // dev-012's misprint fails three checks, dev-009's two: the list to review
        // starts with them, most failed checks first.
        for (n, name) in [(2, "dev-012.docx"), (3, "dev-009.html")] {
            let css = format!("#worst tr:nth-child({n}) td:first-child");
            assert_eq!(text_of(&c, &css).await, name);
        }

        // The misprint in dev-012's picture of table 三: OCR read the printed value,
        // which breaks every sum it is in, so the extraction failed those checks and left
        // the cell out, saying what it read. The page shows the checks failed as
        // extracted, the cell with its crop (placed by its row and column), and the
        // checks that cannot run without it; filled with the intended value, they pass.
        c.find(Locator::LinkText("dev-012.docx"))
            .await
            .expect("link to the picture report")
            .click()
            .await
            .expect("click");
        assert!(text_of(&c, "#errors")
            .await
            .contains(&format!("{misprint_key}: read as {misprinted}")));
        let failed_as_extracted = c
            .find_all(Locator::Css("#checks tr.extracted-fail"))
            .await
            .expect("rows");
        assert_eq!(failed_as_extracted.len(), misprint_checks.len());
        let cell = format!("td.v[data-key=\"{misprint_key}\"]");
        let check_rows: Vec<String> = misprint_checks
            .iter()
            .map(|id| format!("#checks tr[data-check=\"{id}\"], #passing tr[data-check=\"{id}\"]"))
            .collect();
        assert_eq!(text_of(&c, &cell).await, "?");
        for row in &check_rows {
            assert_eq!(class_of(&c, row).await, "outcome-missing", "{row}");
        }
        c.find(Locator::Css(&cell))
            .await
            .expect("cell")
            .click()
            .await
            .expect("click cell");
        assert_eq!(text_of(&c, "#p-key").await, misprint_key);
        assert!(
            browser::crop_loaded(&c).await,
            "the crop of {misprint_key} did not load"
        );
        assert!(text_of(&c, "#p-crop-from").await.contains("row and column"));
        save_on(
            &c,
            &cell,
            intended.to_string(),
            "misprint: the row adds up to 7",
        )
        .await;
        assert_eq!(
            text_of(&c, "#flash").await,
            format!("fill {misprint_key} = {intended}")
        );
        c.refresh().await.expect("reload");
        assert_eq!(text_of(&c, &cell).await, intended.to_string());
        for row in &check_rows {
            assert_eq!(class_of(&c, row).await, "outcome-pass", "{row}");
        }
        c.goto(&url).await.expect("back to the overview");

        // The scanned sample, from the list (the cookie now carries the token).
        c.find(Locator::LinkText("hv-011.pdf"))
            .await
            .expect("link to the scan")
            .click()
            .await
            .expect("click");
        let title = text_of(&c, "#doc-title").await;
        let agency = scan_truth["agency"].as_str().expect("agency");
        assert!(title.contains(agency), "{title}");
        assert!(title.contains(&scan_truth["year"].to_string()), "{title}");

        // A low-confidence cell shows its crop, cut from the PDF's page.
        // (The least sure band the page has: OCR improvements may leave none under 0.6.)
        let mut lows = c.find_all(Locator::Css("td.v.c-lo")).await.expect("cells");
        if lows.is_empty() {
            lows = c.find_all(Locator::Css("td.v.c-mid")).await.expect("cells");
        }
        let low = lows.into_iter().next().expect("a low-confidence cell");
        let low_key = low.attr("data-key").await.expect("key").expect("data-key");
        let low_value = low.text().await.expect("text");
        assert_eq!(
            scan_truth["values"][&low_key].to_string(),
            low_value,
            "{low_key}"
        );
        low.click().await.expect("click cell");
        assert_eq!(text_of(&c, "#p-key").await, low_key);
        assert!(
            browser::crop_loaded(&c).await,
            "the crop of {low_key} did not load"
        );
        let crop_in_list = format!(".crop[data-for=\"{low_key}\"] img");
        assert!(
            wait_for(
                &c,
                &format!(
                    "const i = document.querySelector('{crop_in_list}'); \
                     i && i.scrollIntoView(); return !!i && i.complete && i.naturalWidth > 20;"
                )
            )
            .await
        );

        // A cell the extraction left out, whose filling completes a check: filled with
        // the printed value (the truth file's), the check runs and passes.
        let left_out = c
            .find_all(Locator::Css("td.v.left-out"))
            .await
            .expect("left-out cells");
        let mut target: Option<(String, String)> = None;
        for td in &left_out {
            let key = td.attr("data-key").await.expect("key").expect("data-key");
            if scan_truth["values"].get(&key).is_none() {
                continue;
            }
            let rows = c
                .find_all(Locator::Css("#checks tr.outcome-missing"))
                .await
                .expect("checks");
            for row in rows {
                let text = row.text().await.expect("text");
                if text.ends_with(&format!("(missing: {key})")) {
                    let check = row.attr("data-check").await.expect("attr").expect("check");
                    target = Some((key.clone(), check));
                    break;
                }
            }
            if target.is_some() {
                break;
            }
        }
        // Else (the OCR read every cell a check needs): the low-confidence cell, in a
        // check it passes.
        let filled = target.is_some();
        let (key, check) = match target {
            Some(t) => t,
            None => {
                let mut found = None;
                for row in c
                    .find_all(Locator::Css("#passing tr.outcome-pass"))
                    .await
                    .expect("checks")
                {
                    let keys = row
                        .attr("data-keys")
                        .await
                        .expect("attr")
                        .unwrap_or_default();
                    if keys.split(' ').any(|k| k == low_key) {
                        found = row.attr("data-check").await.expect("attr");
                        break;
                    }
                }
                (
                    low_key.clone(),
                    found.expect("a passing check on the low-confidence cell"),
                )
            }
        };
        let check_row =
            format!("#checks tr[data-check=\"{check}\"], #passing tr[data-check=\"{check}\"]");
        let printed = scan_truth["values"][&key].to_string();
        let cell = format!("td.v[data-key=\"{key}\"]");
        let save = |value: String| save_on(&c, &cell, value, "read from the scan");
        if filled {
            // The left-out cell filled with the printed value: its check runs and passes.
            assert_eq!(class_of(&c, &check_row).await, "outcome-missing");
            save(printed.clone()).await;
            assert_eq!(
                text_of(&c, "#flash").await,
                format!("fill {key} = {printed}")
            );
            assert_eq!(class_of(&c, &check_row).await, "outcome-pass");
            assert_eq!(text_of(&c, &cell).await, printed);
            assert!(class_of(&c, &cell).await.contains("reviewed"));
        }

        // A mistyped correction fails the check, and outlines the cell; corrected to
        // the printed value, the check turns from fail to pass.
        let wrong = (scan_truth["values"][&key].as_i64().expect("whole number") + 1).to_string();
        for (value, outcome) in [(wrong, "outcome-fail"), (printed.clone(), "outcome-pass")] {
            save(value.clone()).await;
            assert_eq!(class_of(&c, &check_row).await, outcome, "{key} = {value}");
            assert_eq!(
                class_of(&c, &cell).await.contains("in-fail"),
                outcome == "outcome-fail"
            );
        }

        // Reloaded, the correction is still there.
        c.refresh().await.expect("reload");
        assert_eq!(text_of(&c, &cell).await, printed);
        assert!(class_of(&c, &cell).await.contains("reviewed"));
        assert_eq!(class_of(&c, &check_row).await, "outcome-pass");
        assert!(text_of(&c, "#corrections")
            .await
            .contains("read from the scan"));

        // The source file gone: the page says so instead of showing crops.
        std::fs::remove_file(dir.path().join("docs/hv-011.pdf")).expect("remove the scan");
        c.refresh().await.expect("reload");
        assert!(text_of(&c, "#file-gone")
            .await
            .starts_with("file gone: nothing at "));
        assert!(c
            .find_all(Locator::Css("#crops img"))
            .await
            .expect("imgs")
            .is_empty());
        c.close().await.expect("close browser");
        filled
    });

    // Stored apart: the extracted values are untouched, the view applies the correction.
    let conn = Connection::open(&db).expect("open db");
    let (extracted, reviewed, corrections): (i64, String, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM report_values v WHERE v.key = c.key
                        AND v.report_id = c.report_id),
                    (SELECT value_text FROM reviewed_values r WHERE r.key = c.key
                        AND r.report_id = c.report_id),
                    (SELECT COUNT(*) FROM corrections)
             FROM corrections c ORDER BY c.id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("correction stored");
    // A filled cell has no extracted value; a corrected one keeps it.
    assert_eq!(
        (extracted, corrections),
        if filled { (0, 4) } else { (1, 3) }
    );
    let key: String = conn
        .query_row(
            "SELECT key FROM corrections ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("key");
    assert_eq!(reviewed, scan_truth["values"][&key].to_string());
    // The misprint: left out by the extraction, filled by review.
    let (extracted, reviewed, source): (Option<String>, String, String) = conn
        .query_row(
            "SELECT rv.extracted_text, rv.value_text, rv.source FROM reviewed_values rv
             JOIN reports r ON r.id = rv.report_id
             WHERE r.path LIKE '%dev-012.docx' AND rv.key = ?1",
            [&misprint_key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("the misprint's values");
    assert_eq!(
        (extracted, reviewed, source),
        (None, intended.to_string(), "fill".to_string())
    );
}

/// The planted misprint of a truth file (its `inconsistent`): the key, the printed value
/// and the intended one, with the checks it fails (`rule where`, as the page names them).
fn planted(t: &Value) -> (String, i64, i64, Vec<String>) {
    let all = t["inconsistent"].as_array().expect("inconsistent");
    let p = &all[0]["planted"];
    let key = p["key"].as_str().expect("key").to_string();
    let checks = all
        .iter()
        .filter(|i| i["planted"]["key"].as_str() == Some(key.as_str()))
        .map(|i| {
            format!(
                "{} {}",
                i["rule"].as_str().expect("rule"),
                i["where"].as_str().expect("where")
            )
        })
        .collect();
    (
        key,
        p["printed"].as_i64().expect("printed"),
        p["intended"].as_i64().expect("intended"),
        checks,
    )
}

/// Saves `value` for the cell at `cell` through the page's form.
async fn save_on(c: &fantoccini::Client, cell: &str, value: String, note: &str) {
    browser::save_correction(c, cell, &value, note).await;
}

fn correct(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(["correct", "--db"])
        .arg(db)
        .args(args)
        .output()
        .expect("run correct")
}

#[test]
fn correct_from_scripts_survives_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = extract(dir.path(), &["html/dev-009.html"]);
    let t = truth("html/dev-009.truth.json");
    let printed = |k: &str| t["values"][k].to_string();
    let conn = Connection::open(&db).expect("open");
    let sha: String = conn
        .query_row("SELECT sha256 FROM reports", [], |r| r.get(0))
        .expect("sha");
    // As an earlier version might have read it: new/total one off.
    let (changed, kept) = ("requests/new/total", "requests/new/business");
    let wrong = t["values"][changed].as_i64().expect("number") + 1;
    conn.execute(
        "UPDATE report_values SET value = ?1, value_text = ?1 WHERE key = ?2",
        rusqlite::params![wrong, changed],
    )
    .expect("simulate an older extraction");

    let out = correct(
        &db,
        &[
            &sha,
            changed,
            &printed(changed),
            "--note",
            "as printed",
            "--who",
            "tester",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!("correct {changed} = {}\n", printed(changed))),
        "{stdout}"
    );
    // The checks on the key, after the correction: row new adds up again.
    assert!(stdout.contains("pass requests.row_sum row new"), "{stdout}");
    let out = correct(&db, &[&sha, kept, &printed(kept)]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("confirm {kept} = ")));

    // Refused, with the reason: no such key, not a number, no such report.
    for (args, why) in [
        (
            vec![sha.as_str(), "requests/new/nobody", "3"],
            "no value key",
        ),
        (vec![sha.as_str(), kept, "七"], "not a number"),
        (vec!["0000", kept, "3"], "no report with sha256 0000"),
    ] {
        let out = correct(&db, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(why),
            "{args:?}"
        );
    }

    // Extracted again with --force: the corrections stay, and the one whose extracted
    // value has changed since (the wrong read is now the printed value) is flagged.
    let out = Command::new(bin())
        .args(["extract", "--quiet", "--force", "--db"])
        .arg(&db)
        .arg(dir.path().join("docs"))
        .output()
        .expect("extract --force");
    assert!(out.status.success());
    let flags: Vec<(String, String, String, bool)> = conn
        .prepare(
            "SELECT key, value_text, source, extracted_changed FROM reviewed_values
             WHERE correction_id IS NOT NULL ORDER BY key",
        )
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        flags,
        vec![
            (
                kept.to_string(),
                printed(kept),
                "confirm".to_string(),
                false
            ),
            (
                changed.to_string(),
                printed(changed),
                "correct".to_string(),
                true
            ),
        ]
    );
    let extracted: String = conn
        .query_row(
            "SELECT value_text FROM report_values WHERE key = ?1",
            [changed],
            |r| r.get(0),
        )
        .expect("extracted");
    assert_eq!(extracted, printed(changed));
}

/// A check with three outcomes: the text of samples/checks/explained-001 states 47
/// requests received, the table 42 new and 5 carried in (its truth file). That is not a
/// pass: the record says `ok: false`, `outcome: explained` and the explanation; the
/// database and the export of checks keep the outcome.
#[test]
fn a_stated_number_met_by_new_plus_carried_in_is_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = truth("checks/explained-001.truth.json");
    let e = &t["checks_explained"][0];
    let (stated, table) = (
        e["stated"].as_i64().expect("stated"),
        e["table"].as_i64().expect("table"),
    );
    assert_eq!(t["facts"]["requests_received"].as_i64(), Some(stated));
    assert_eq!(t["values"]["requests/new/total"].as_i64(), Some(table));
    let carried = t["values"]["requests/carried_in/total"]
        .as_i64()
        .expect("carried in");
    assert_eq!(stated, table + carried);

    let db = dir.path().join("db.sqlite");
    let jsonl = dir.path().join("out.jsonl");
    let out = Command::new(bin())
        .args(["extract", "--quiet", "--db"])
        .arg(&db)
        .arg("--jsonl")
        .arg(&jsonl)
        .arg(samples().join("checks/explained-001.html"))
        .output()
        .expect("run extract");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record: Value =
        serde_json::from_str(std::fs::read_to_string(&jsonl).expect("jsonl").trim())
            .expect("record");
    for (k, v) in t["values"].as_object().expect("values") {
        assert_eq!(&record["values"][k], v, "{k}");
    }
    let checks = record["checks"].as_array().expect("checks");
    let text = checks
        .iter()
        .find(|c| c["id"] == "text.requests_received")
        .expect("the text check");
    assert_eq!(text["ok"], Value::Bool(false));
    assert_eq!(text["outcome"], "explained");
    let explanation =
        format!("{stated} = {table} requests/new/total + {carried} requests/carried_in/total");
    let detail = text["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with(&format!("text states {stated}, table has {table}")),
        "{detail}"
    );
    assert!(
        detail.ends_with(&format!("explained: {explanation}")),
        "{detail}"
    );
    // Every other check passes, and says so in both fields.
    for c in checks
        .iter()
        .filter(|c| c["id"] != "text.requests_received")
    {
        assert_eq!(
            (&c["ok"], &c["outcome"]),
            (&Value::Bool(true), &json!("pass")),
            "{c}"
        );
    }
    assert_eq!(record["status"], "ok");

    let conn = Connection::open(&db).expect("open");
    let (ok, outcome, failed): (bool, String, i64) = conn
        .query_row(
            "SELECT c.ok, c.outcome, r.n_checks_failed FROM checks c
             JOIN reports r ON r.id = c.report_id WHERE c.rule_id = 'text.requests_received'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("stored check");
    assert_eq!((ok, outcome.as_str(), failed), (false, "explained", 1));
    let out = Command::new(bin())
        .args([
            "export", "--quiet", "--table", "checks", "--format", "jsonl", "--db",
        ])
        .arg(&db)
        .output()
        .expect("export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows.len(), checks.len());
    let row = rows
        .iter()
        .find(|r| r["rule_id"] == "text.requests_received")
        .expect("exported check");
    assert_eq!(row["outcome"], "explained");
    assert_eq!(
        rows.iter().filter(|r| r["outcome"] == "pass").count(),
        checks.len() - 1
    );
}
