//! What the browser-driven review tests share: the system Chromium and chromedriver, the
//! processes a test starts, and the page helpers over fantoccini.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A process this test started, ended when the test ends (by its own id).
pub struct Started(pub Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `review` (the command with its arguments), ended with the test; returns it
/// with the address it prints first, token included.
pub fn start_review(mut review: Command) -> (Started, String) {
    let mut child = review
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start review");
    let stdout = child.stdout.take().expect("stdout");
    let guard = Started(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read url");
    let address = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address printed: {line:?}"))
        .to_string();
    (guard, address)
}

/// Waits until the panel's cell crop has loaded as a picture.
pub async fn crop_loaded(c: &Client) -> bool {
    wait_for(
        c,
        "const i = document.getElementById('p-crop-img'); \
         return !!i && i.complete && i.naturalWidth > 20 && i.naturalHeight > 10;",
    )
    .await
}

/// Extracts the documents of `docs` into the SQLite database `db` with the release
/// binary (the real pipeline, tesseract included), asserted to succeed.
pub fn extract_into(db: &Path, docs: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["extract", "--quiet", "--db"])
        .arg(db)
        .arg(docs)
        .output()
        .expect("run extract");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The server's address without the page and token of a printed review URL.
pub fn base_of(url: &str) -> String {
    url.split("/?token=").next().expect("base").to_string()
}

/// Starts the system chromedriver on a free port, ended with the test; with the port.
pub fn start_chromedriver() -> (Started, u16) {
    let port = free_port();
    let driver = Started(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    (driver, port)
}

/// The single-threaded runtime the tests drive the browser from.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub async fn browser(port: u16, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_string(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,800",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return c,
            Err(e) if Instant::now() > deadline => panic!("chromedriver: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

pub async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

pub async fn class_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .attr("class")
        .await
        .expect("class")
        .unwrap_or_default()
}

/// Waits until `script` returns true in the page.
pub async fn wait_for(c: &Client, script: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if c.execute(script, vec![]).await.ok() == Some(Value::Bool(true)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Clicks the cell at `cell` (a CSS selector), types `value` and `note` in the page's
/// correction form, saves, and waits for the page to confirm the value.
pub async fn save_correction(c: &Client, cell: &str, value: &str, note: &str) {
    c.find(Locator::Css(cell))
        .await
        .expect("cell")
        .click()
        .await
        .expect("click");
    let input = c.find(Locator::Id("f-value")).await.expect("value input");
    input.clear().await.expect("clear");
    input.send_keys(value).await.expect("type");
    let n = c.find(Locator::Id("f-note")).await.expect("note");
    n.clear().await.expect("clear");
    n.send_keys(note).await.expect("type");
    c.find(Locator::Id("f-save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("save");
    assert!(
        wait_for(
            c,
            &format!(
                "const f = document.getElementById('flash'); \
                 return !!f && f.textContent.endsWith('= {value}');"
            )
        )
        .await,
        "no confirmation of {cell} = {value}"
    );
}
