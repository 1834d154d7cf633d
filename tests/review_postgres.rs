//! `nianbao review --postgres` and `nianbao correct --postgres` against a real PostgreSQL
//! server the test starts (see `pg_server`), the page driven by headless Chromium (Debian's
//! `chromium` and `chromium-driver`, over WebDriver with fantoccini); corrections kept
//! through a re-extraction with `--force`, and exported with `export --reviewed`. Values
//! are the samples' truth files'.

mod browser;
mod pg_server;

use browser::{
    browser, class_of, runtime, start_chromedriver, text_of, Started, CHROMEDRIVER, CHROMIUM,
};
use fantoccini::{Client, Locator};
use pg_server::PgServer;
use serde_json::Value;
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

/// Copies the samples into `dir/docs` and extracts them into the server.
fn extract(url: &str, dir: &Path, samples_rel: &[&str], force: bool) -> PathBuf {
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).expect("mkdir");
    for rel in samples_rel {
        let from = samples().join(rel);
        std::fs::copy(&from, docs.join(from.file_name().expect("name"))).expect("copy sample");
    }
    let mut cmd = Command::new(bin());
    cmd.args(["extract", "--quiet", "--postgres", url]);
    if force {
        cmd.arg("--force");
    }
    let out = cmd.arg(&docs).output().expect("run extract");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    docs
}

fn nianbao(args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("run nianbao")
}

/// Starts `nianbao review --postgres` on a free port as a team server (`--listen
/// 0.0.0.0`: every interface, the token still required); returns it with its printed
/// address.
fn serve(url: &str) -> (Started, String) {
    let mut review = Command::new(bin());
    review.args([
        "review",
        "--port",
        "0",
        "--listen",
        "0.0.0.0",
        "--postgres",
        url,
    ]);
    browser::start_review(review)
}

/// Saves `value` for the cell `key` through the page's form.
async fn save(c: &Client, key: &str, value: &str, note: &str) {
    let cell = format!("td.v[data-key=\"{key}\"]");
    browser::save_correction(c, &cell, value, note).await;
}

/// The planted misprint of dev-009 (its truth's `inconsistent`): the key, the printed
/// value and the intended one, with the check it fails.
fn planted(t: &Value) -> (String, i64, i64, String) {
    let first = &t["inconsistent"][0];
    let p = &first["planted"];
    (
        p["key"].as_str().expect("key").to_string(),
        p["printed"].as_i64().expect("printed"),
        p["intended"].as_i64().expect("intended"),
        format!(
            "{} {}",
            first["rule"].as_str().expect("rule"),
            first["where"].as_str().expect("where")
        ),
    )
}

#[test]
fn review_page_on_postgres_in_chromium() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        println!(
            "skipped: {CHROMIUM} or {CHROMEDRIVER} missing (apt-get install chromium chromium-driver)"
        );
        return;
    }
    let Some(server) = PgServer::start("review_page_on_postgres_in_chromium") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    extract(
        &server.url,
        dir.path(),
        &["html/dev-009.html", "checks/explained-001.html"],
        false,
    );
    let t = truth("html/dev-009.truth.json");
    let explained = truth("checks/explained-001.truth.json");
    let (key, printed, intended, check) = planted(&t);
    assert_eq!(t["values"][&key].as_i64(), Some(printed));
    let (_review, url) = serve(&server.url);
    let base = browser::base_of(&url);
    let (_driver, driver_port) = start_chromedriver();
    let profile = dir.path().join("profile");
    let rt = runtime();
    rt.block_on(async {
        let c = browser(driver_port, &profile).await;
        // Listening on every interface, the token is still required: without it, or
        // with another, 403.
        c.goto(&format!("{base}/")).await.expect("goto");
        assert!(text_of(&c, "h1").await.contains("403"));
        let token = url.split("token=").nth(1).expect("token");
        let other: String = token
            .chars()
            .map(|ch| if ch == '0' { '1' } else { '0' })
            .collect();
        c.goto(&format!("{base}/doc/1?token={other}"))
            .await
            .expect("goto");
        assert!(text_of(&c, "h1").await.contains("403"));

        // The overview, from PostgreSQL: dev-009's misprint heads the list to review;
        // the explained discrepancy is listed apart from the failures.
        c.goto(&url).await.expect("goto overview");
        assert_eq!(text_of(&c, "h1").await, "2 reports");
        let first = text_of(&c, "#worst tr:nth-child(2) td:first-child").await;
        assert_eq!(first, "dev-009.html");
        let page = text_of(&c, "body").await;
        assert!(
            page.contains("text.requests_received (explained)"),
            "{page}"
        );

        // The document: the check the misprint breaks fails, on the printed value.
        c.find(Locator::LinkText("dev-009.html"))
            .await
            .expect("link")
            .click()
            .await
            .expect("click");
        let title = text_of(&c, "#doc-title").await;
        assert!(
            title.contains(t["agency"].as_str().expect("agency")),
            "{title}"
        );
        let cell = format!("td.v[data-key=\"{key}\"]");
        let row =
            format!("#checks tr[data-check=\"{check}\"], #passing tr[data-check=\"{check}\"]");
        assert_eq!(text_of(&c, &cell).await, printed.to_string());
        assert_eq!(class_of(&c, &row).await, "outcome-fail");

        // Corrected to the intended value, the check passes; reloaded, it is kept.
        save(&c, &key, &intended.to_string(), "misprint in the table").await;
        assert_eq!(
            text_of(&c, "#flash").await,
            format!("correct {key} = {intended}")
        );
        assert_eq!(class_of(&c, &row).await, "outcome-pass");
        c.refresh().await.expect("reload");
        assert_eq!(text_of(&c, &cell).await, intended.to_string());
        assert!(class_of(&c, &cell).await.contains("reviewed"));
        assert_eq!(class_of(&c, &row).await, "outcome-pass");
        assert!(text_of(&c, "#corrections")
            .await
            .contains("misprint in the table"));

        // The explained sample: the text's number is shown as a discrepancy with its
        // explanation, not as a pass.
        c.goto(&url).await.expect("goto overview");
        c.find(Locator::LinkText("explained-001.html"))
            .await
            .expect("link")
            .click()
            .await
            .expect("click");
        let row = "#checks tr[data-check^=\"text.requests_received\"]";
        assert_eq!(class_of(&c, row).await, "outcome-explained");
        let e = &explained["checks_explained"][0];
        let (stated, table) = (
            e["stated"].as_i64().expect("n"),
            e["table"].as_i64().expect("n"),
        );
        let carried = explained["values"]["requests/carried_in/total"]
            .as_i64()
            .expect("carried in");
        assert_eq!(
            explained["values"]["requests/new/total"].as_i64(),
            Some(table)
        );
        let detail = text_of(&c, row).await;
        assert!(
            detail.contains(&format!(
                "{stated} = {table} requests/new/total + {carried} requests/carried_in/total"
            )),
            "{detail}"
        );
        assert!(text_of(&c, "#checks")
            .await
            .contains("explained as extracted"));
        c.close().await.expect("close browser");
    });

    // Stored apart: the extracted value is untouched, the view applies the correction.
    let mut db = server.client();
    let row = db
        .query_one(
            "SELECT v.value_text, rv.value_text, rv.source, c.old_value, c.note
             FROM corrections c
             JOIN report_values v ON v.report_id = c.report_id AND v.key = c.key
             JOIN reviewed_values rv ON rv.report_id = c.report_id AND rv.key = c.key",
            &[],
        )
        .expect("one correction");
    let got: (String, String, String, Option<String>, Option<String>) =
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    assert_eq!(
        got,
        (
            printed.to_string(),
            intended.to_string(),
            "correct".to_string(),
            Some(printed.to_string()),
            Some("misprint in the table".to_string())
        )
    );
}

#[test]
fn correct_on_postgres_survives_force_and_exports_reviewed() {
    let Some(server) = PgServer::start("correct_on_postgres_survives_force_and_exports_reviewed")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    extract(&server.url, dir.path(), &["html/dev-009.html"], false);
    let t = truth("html/dev-009.truth.json");
    let printed = |k: &str| t["values"][k].to_string();
    let mut db = server.client();
    let sha: String = db
        .query_one("SELECT sha256 FROM reports", &[])
        .expect("sha")
        .get(0);
    // As an earlier version might have read it: new/total one off.
    let (changed, kept) = ("requests/new/total", "requests/new/business");
    let wrong = (t["values"][changed].as_i64().expect("number") + 1).to_string();
    db.execute(
        "UPDATE report_values SET value = $1::text::numeric, value_text = $1 WHERE key = $2",
        &[&wrong, &changed],
    )
    .expect("simulate an older extraction");

    let url = server.url.as_str();
    let out = nianbao(&[
        "correct",
        "--postgres",
        url,
        &sha,
        changed,
        &printed(changed),
        "--note",
        "as printed",
        "--who",
        "tester",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with(&format!("correct {changed} = {}\n", printed(changed))),
        "{stdout}"
    );
    assert!(stdout.contains("pass requests.row_sum row new"), "{stdout}");
    let out = nianbao(&["correct", "--postgres", url, &sha, kept, &printed(kept)]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("confirm {kept} = ")));
    // Refused, with the reason.
    for (args, why) in [
        (
            vec![sha.as_str(), "requests/new/nobody", "3"],
            "no value key",
        ),
        (vec![sha.as_str(), kept, "七"], "not a number"),
        (vec!["0000", kept, "3"], "no report with sha256 0000"),
    ] {
        let mut all = vec!["correct", "--postgres", url];
        all.extend(args.iter().copied());
        let out = nianbao(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(why),
            "{args:?}"
        );
    }

    // Extracted again with --force: the corrections stay, and the one whose extracted
    // value has changed since is flagged.
    extract(&server.url, dir.path(), &[], true);
    let flags: Vec<(String, String, String, bool)> = db
        .query(
            "SELECT key, value_text, source, extracted_changed FROM reviewed_values
             WHERE correction_id IS NOT NULL ORDER BY key",
            &[],
        )
        .expect("reviewed values")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
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
    let extracted: String = db
        .query_one(
            "SELECT value_text FROM report_values WHERE key = $1",
            &[&changed],
        )
        .expect("extracted")
        .get(0);
    assert_eq!(extracted, printed(changed));

    // A correction to another value than the extracted one: `export --reviewed` has it,
    // the plain export has the extracted value.
    let intended = (t["values"][kept].as_i64().expect("number") + 2).to_string();
    let out = nianbao(&["correct", "--postgres", url, &sha, kept, &intended]);
    assert!(out.status.success());
    let export = |reviewed: bool| -> Vec<Value> {
        let mut args = vec!["export", "--postgres", url, "--format", "jsonl", "--quiet"];
        if reviewed {
            args.push("--reviewed");
        }
        let out = nianbao(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    };
    let value_of = |rows: &[Value], key: &str| -> (String, String) {
        let r = rows
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("no {key}"));
        (
            r["value"].to_string(),
            r["source"].as_str().unwrap_or("").to_string(),
        )
    };
    let plain = export(false);
    let reviewed = export(true);
    assert_eq!(plain.len(), reviewed.len());
    assert_eq!(
        value_of(&plain, kept),
        (printed(kept), "extracted".to_string())
    );
    assert_eq!(value_of(&reviewed, kept), (intended, "correct".to_string()));
    assert_eq!(
        value_of(&reviewed, changed),
        (printed(changed), "correct".to_string())
    );
}
