//! The review page's source view in headless Chromium (as tests/review.rs): a
//! born-digital DOCX inside a zip is extracted by the real pipeline; from its document
//! page a value is clicked, its link followed, and the source view (the file decoded
//! again, from inside the archive) opens on the value's table and row, whose cell holds
//! the value of the sample's truth file. With the archive gone the view says so.

mod browser;

use browser::{browser, runtime, start_chromedriver, text_of, wait_for, CHROMEDRIVER, CHROMIUM};
use fantoccini::Locator;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_nianbao")
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// `dir/docs/reports.zip` holding the sample at `2022/<name>`, extracted into
/// `dir/db.sqlite`.
fn extract_zipped(dir: &Path, sample: &str) -> PathBuf {
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).expect("mkdir");
    let from = samples().join(sample);
    let name = from
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(
        format!("2022/{name}"),
        zip::write::SimpleFileOptions::default(),
    )
    .expect("start");
    std::io::Write::write_all(&mut w, &std::fs::read(&from).expect("sample")).expect("write");
    let zip = w.finish().expect("finish").into_inner();
    std::fs::write(docs.join("reports.zip"), zip).expect("write zip");
    let db = dir.join("db.sqlite");
    browser::extract_into(&db, &docs);
    db
}

#[test]
fn a_born_digital_value_opens_its_row_in_the_source() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        println!(
            "skipped: {CHROMIUM} or {CHROMEDRIVER} missing (apt-get install chromium chromium-driver)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = extract_zipped(dir.path(), "docx/dev-014.docx");
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(samples().join("docx/dev-014.truth.json")).expect("truth"),
    )
    .expect("truth json");
    let values = truth["values"].as_object().expect("values");
    // In each of the three tables, the first value that is not 0 (a 0 would match many
    // cells of its row).
    let keys: Vec<(&String, i64)> = ["active/", "requests/", "appeals/"]
        .iter()
        .filter_map(|t| {
            values
                .iter()
                .filter(|(k, _)| k.starts_with(t))
                .find_map(|(k, v)| v.as_i64().filter(|n| *n != 0).map(|n| (k, n)))
        })
        .collect();
    assert!(keys.len() >= 2, "{keys:?}");

    let mut review = Command::new(bin());
    review.args(["review", "--port", "0", "--db"]).arg(&db);
    let (_server, url) = browser::start_review(review);
    let base = browser::base_of(&url);
    let (_driver, driver_port) = start_chromedriver();
    let profile = dir.path().join("profile");
    let rt = runtime();
    rt.block_on(async {
        let c = browser(driver_port, &profile).await;
        // Without the token: 403.
        c.goto(&format!("{base}/doc/1/source")).await.expect("goto");
        assert!(text_of(&c, "h1").await.contains("403"));
        // The printed address sets the cookie.
        c.goto(&url).await.expect("goto overview");
        for (key, value) in &keys {
            c.goto(&format!("{base}/doc/1"))
                .await
                .expect("document page");
            let cell = format!("td.v[data-key=\"{key}\"]");
            assert_eq!(text_of(&c, &cell).await, value.to_string(), "{key}");
            c.find(Locator::Css(&cell))
                .await
                .expect("cell")
                .click()
                .await
                .expect("click the value");
            c.find(Locator::Id("p-source"))
                .await
                .unwrap_or_else(|e| panic!("no source link for {key}: {e}"))
                .click()
                .await
                .expect("follow the source link");
            assert!(
                wait_for(&c, "return !!document.getElementById('source-title');").await,
                "the source view did not open for {key}"
            );
            let at = c.current_url().await.expect("url");
            assert!(at.path().ends_with("/doc/1/source"), "{at}");
            let anchor = at.fragment().expect("an anchor").to_string();
            // The row the anchor names is the highlighted one, and the cell outlined in
            // it is the value's, reading the truth file's value.
            let row = c
                .find(Locator::Css("tr.target-row"))
                .await
                .expect("a highlighted row");
            assert_eq!(row.attr("id").await.expect("id"), Some(anchor.clone()));
            assert_eq!(
                c.find_all(Locator::Css("td.target-cell"))
                    .await
                    .expect("cells")
                    .len(),
                1
            );
            let marked = text_of(&c, &format!("tr#{anchor} td.target-cell")).await;
            assert_eq!(marked, value.to_string(), "{key} at #{anchor}");
            assert_eq!(
                text_of(&c, "td.target-cell")
                    .await
                    .parse::<i64>()
                    .expect("a number"),
                *value
            );
            assert!(
                text_of(&c, "#source-target")
                    .await
                    .starts_with(key.as_str()),
                "{key}"
            );
            // Every value of the report is marked in the source, back-linked by its key.
            let marked = c
                .find_all(Locator::Css("td.value"))
                .await
                .expect("value cells")
                .len();
            assert!(marked >= values.len() * 9 / 10, "{marked} marked");
        }
        // The archive gone: the view says so.
        std::fs::remove_file(dir.path().join("docs/reports.zip")).expect("remove the zip");
        c.refresh().await.expect("reload");
        let gone = text_of(&c, "#source-gone").await;
        assert!(gone.starts_with("file gone: nothing at "), "{gone}");
        assert!(gone.contains("reports.zip!2022/dev-014.docx"), "{gone}");
        c.close().await.expect("close browser");
    });
}
