//! `nianbao review`: a local web page where a person checks doubtful cells against their
//! picture and corrects them, and `nianbao correct`, the same from scripts. Corrections
//! go to their own table (`src/sinks/sqlite/corrections.rs`); extracted values are never
//! overwritten.
//!
//! - [`store`]: what the pages read and write, as a trait ([`store::ReviewStore`]);
//!   [`sqlite_store`] implements it on the SQLite database.
//! - [`server`]: routes, the access token, handlers.
//! - [`pages`]: the HTML.
//! - [`recheck`]: the checks run again on the reviewed values.
//! - [`crops`]: a cell's picture cut from the source file; [`cell_place`]: where a cell
//!   is in it, a cell left out placed by its row and column.
//! - [`source_view`]: the report's file decoded again, its tables as the decoders read
//!   them, for the page that shows a born-digital value in its table and row.

pub mod cell_place;
pub mod crops;
pub mod digest;
pub mod pages;
pub mod pg_store;
pub mod recheck;
pub mod server;
pub mod source_view;
pub mod sqlite_store;
pub mod store;

use crate::record::Number;
use crate::sinks::sqlite::corrections::NewCorrection;
use crate::template::Templates;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use store::ReviewStore;

/// The database to review: the SQLite file or the PostgreSQL server `extract` wrote.
#[derive(Debug, Clone)]
pub enum ReviewDb {
    Sqlite(PathBuf),
    Postgres(String),
}

impl ReviewDb {
    /// Opens the store (migrating the database to the current schema, as `extract` does).
    pub fn open(&self, templates: &Templates) -> anyhow::Result<Box<dyn ReviewStore>> {
        Ok(match self {
            ReviewDb::Sqlite(path) => {
                Box::new(sqlite_store::SqliteReviewStore::open(path, templates)?)
            }
            ReviewDb::Postgres(url) => Box::new(pg_store::PgReviewStore::open(url, templates)?),
        })
    }

    /// How the database is named in messages (a server's URL without its password).
    pub fn describe(&self) -> String {
        match self {
            ReviewDb::Sqlite(path) => path.display().to_string(),
            ReviewDb::Postgres(_) => "the PostgreSQL database".to_string(),
        }
    }
}

pub struct ReviewOptions {
    pub db: ReviewDb,
    pub listen: IpAddr,
    pub port: u16,
    pub templates: Templates,
}

/// The name corrections are made under unless the person gives one.
pub fn default_who() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "reviewer".to_string())
}

/// A random access token: 128 bits from the operating system, as hex.
pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness for the access token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Serves the review page until the process is stopped. Prints the address with its
/// token on stdout (one line), as Jupyter does.
pub fn run(opts: ReviewOptions) -> anyhow::Result<()> {
    let mut store = opts.db.open(&opts.templates)?;
    // The overview's per-report sums, made now for a database seen the first time.
    store.prepare_overview()?;
    let token = new_token()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(opts.listen, opts.port))
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", opts.listen, opts.port))?;
        let addr = listener.local_addr()?;
        let app = Arc::new(server::App::new(
            store,
            opts.templates,
            token.clone(),
            addr.port(),
            default_who(),
        ));
        let shown = if addr.ip().is_unspecified() {
            SocketAddr::new(IpAddr::from([127, 0, 0, 1]), addr.port())
        } else {
            addr
        };
        if !opts.listen.is_loopback() {
            eprintln!(
                "nianbao review: listening on {addr} for other machines too: plain HTTP, \
                 the token is the only lock; share the address only with your team"
            );
        }
        println!("nianbao review: http://{shown}/?token={token}");
        std::io::stdout().flush()?;
        axum::serve(listener, server::router(app))
            .await
            .map_err(|e| anyhow::anyhow!("serving: {e}"))
    })
}

/// `nianbao correct`: stores a correction of `key` in the report with content `sha256`
/// and returns what was done, with the checks on the key after it.
pub fn correct(
    db: &ReviewDb,
    templates: &Templates,
    sha256: &str,
    key: &str,
    value: &str,
    note: Option<&str>,
    who: &str,
) -> anyhow::Result<String> {
    let mut store = db.open(templates)?;
    let id = store
        .report_id(sha256)?
        .ok_or_else(|| anyhow::anyhow!("no report with sha256 {sha256} in {}", db.describe()))?;
    let action = store.add_correction(&NewCorrection {
        report_id: id,
        key,
        value,
        note,
        who,
    })?;
    let mut out = format!("{} {key} = {}\n", action.as_str(), value.trim());
    if let Some(doc) = store.document(id)? {
        let template = doc
            .template
            .as_deref()
            .and_then(|t| templates.get(t))
            .or_else(|| templates.list.first());
        let values: BTreeMap<String, Number> = doc
            .values
            .iter()
            .map(|v| (v.key.clone(), v.reviewed))
            .collect();
        for c in template
            .map(|t| recheck::recheck(t, &values, &doc.facts))
            .unwrap_or_default()
            .iter()
            .filter(|c| c.keys.iter().any(|k| k == key))
        {
            out.push_str(&format!(
                "  {} {} {}: {}\n",
                c.outcome.as_str(),
                c.id,
                c.place,
                c.detail
            ));
        }
    }
    Ok(out)
}
