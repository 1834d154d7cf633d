//! The HTTP side of `nianbao review`: routes, the access token, and the handlers, which
//! hand their (blocking) database and picture work to tokio's blocking pool.

use super::cell_place;
use super::crops::{self, CellPlace, CropCache, CropError};
use super::pages::{self, document::DocumentView};
use super::recheck::recheck;
use super::source_view::SourceCache;
use super::store::{DocumentData, ReviewStore};
use crate::record::Number;
use crate::sinks::sqlite::corrections::NewCorrection;
use crate::sinks::sqlite::views::{self, KeyRow};
use crate::template::{Template, Templates};
use axum::body::Body;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Reports listed on the overview, worst first.
const WORST_LISTED: usize = 200;

/// What every request shares.
pub struct App {
    store: Mutex<Box<dyn ReviewStore>>,
    templates: Templates,
    keys: HashMap<String, Vec<KeyRow>>,
    token: String,
    cookie: String,
    who: String,
    crops: Mutex<CropCache>,
    sources: Mutex<SourceCache>,
}

impl App {
    pub fn new(
        store: Box<dyn ReviewStore>,
        templates: Templates,
        token: String,
        port: u16,
        who: String,
    ) -> App {
        let mut keys: HashMap<String, Vec<KeyRow>> = HashMap::new();
        for k in views::key_rows(&templates) {
            keys.entry(k.template.clone()).or_default().push(k);
        }
        App {
            store: Mutex::new(store),
            templates,
            keys,
            token,
            // Cookies are shared by every port of a host: the name keeps servers apart.
            cookie: format!("nianbao_review_{port}"),
            who,
            crops: Mutex::new(CropCache::default()),
            sources: Mutex::new(SourceCache::default()),
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Box<dyn ReviewStore>> {
        // A handler that panicked left the store as SQLite left it: still usable.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The report's template, or the newest for a report whose template was not found.
    fn template(&self, id: Option<&str>) -> Option<&Template> {
        id.and_then(|t| self.templates.get(t))
            .or_else(|| self.templates.list.first())
    }

    /// The overview page's HTML.
    pub fn overview_html(&self) -> anyhow::Result<String> {
        let o = self.store().overview(WORST_LISTED)?;
        Ok(pages::overview::render(&o))
    }

    /// The document page's HTML; `None` when there is no such report.
    pub fn document_html(
        &self,
        id: i64,
        flash: Option<(bool, String)>,
    ) -> anyhow::Result<Option<String>> {
        let Some(doc) = self.store().document(id)? else {
            return Ok(None);
        };
        let template = self.template(doc.template.as_deref());
        let values: BTreeMap<String, Number> = doc
            .values
            .iter()
            .map(|v| (v.key.clone(), v.reviewed))
            .collect();
        let checks = template
            .map(|t| recheck(t, &values, &doc.facts))
            .unwrap_or_default();
        let keys = template
            .and_then(|t| self.keys.get(&t.id))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut paths = doc.sources.clone();
        if !paths.contains(&doc.path) {
            paths.insert(0, doc.path.clone());
        }
        let no_crops =
            (!crops::any_exists(&paths)).then(|| CropError::FileGone(paths.clone()).to_string());
        Ok(Some(pages::document::render(&DocumentView {
            doc: &doc,
            keys,
            checks: &checks,
            no_crops,
            token: &self.token,
            who: &self.who,
            flash,
        })))
    }

    /// The source view's HTML: the tables of the report's file as decoded, opened on the
    /// value `key` when given; `None` when there is no such report.
    pub fn source_html(&self, id: i64, key: Option<&str>) -> anyhow::Result<Option<String>> {
        let Some(doc) = self.store().document(id)? else {
            return Ok(None);
        };
        let mut paths = doc.sources.clone();
        if !paths.contains(&doc.path) {
            paths.insert(0, doc.path.clone());
        }
        let source = self.sources.lock().unwrap_or_else(|e| e.into_inner()).get(
            &doc.sha256,
            &doc.path,
            &paths,
        );
        Ok(Some(pages::source::render(&pages::source::SourceView {
            doc: &doc,
            source: source.as_deref().map_err(|e| e.to_string()),
            key,
        })))
    }

    /// The PNG crop of a value's cell.
    pub fn crop_png(&self, id: i64, key: &str) -> anyhow::Result<Result<Vec<u8>, CropError>> {
        let Some(doc) = self.store().document(id)? else {
            return Ok(Err(CropError::NotOcr));
        };
        Ok(crop_of(
            &doc,
            key,
            &mut self.crops.lock().unwrap_or_else(|e| e.into_inner()),
        ))
    }

    fn token_ok(&self, given: &str) -> bool {
        // Compared in constant time: the token is the only lock.
        given.len() == self.token.len()
            && given
                .bytes()
                .zip(self.token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

fn crop_of(doc: &DocumentData, key: &str, cache: &mut CropCache) -> Result<Vec<u8>, CropError> {
    // A cell left out (or filled by a person) is placed by its row and column.
    let at = cell_place::locate(&doc.values, key).ok_or(CropError::NotOcr)?;
    let mut ocr_tables: Vec<i64> = doc
        .values
        .iter()
        .filter(|o| o.origin.as_deref() == Some("ocr") && o.page == at.page)
        .filter_map(|o| o.cell.map(|c| c.0))
        .collect();
    ocr_tables.sort_unstable();
    ocr_tables.dedup();
    let place = CellPlace {
        page: at.page,
        bbox: at.bbox,
        table: at.table,
        ocr_tables_on_page: ocr_tables,
    };
    let mut paths = doc.sources.clone();
    if !paths.contains(&doc.path) {
        paths.insert(0, doc.path.clone());
    }
    crops::crop_cell(
        cache,
        &doc.sha256,
        &doc.path,
        || crops::find_source(&paths, &doc.sha256),
        &place,
    )
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/doc/{id}", get(document))
        .route("/doc/{id}/crop", get(crop))
        .route("/doc/{id}/source", get(source))
        .route("/doc/{id}/correct", post(correct))
        .layer(middleware::from_fn_with_state(app.clone(), require_token))
        .with_state(app)
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html(
            "<!DOCTYPE html><title>403</title><h1>403: access token needed</h1>\
             <p>Open the address that <code>nianbao review</code> printed, with its \
             <code>?token=…</code>.</p>",
        ),
    )
        .into_response()
}

/// Lets a request through with the token in its query (and then sets the cookie, so
/// that links need not carry it) or in its cookie; anything else gets 403.
async fn require_token(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let from_query = req
        .uri()
        .query()
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|p| p.strip_prefix("token="))
        .any(|t| app.token_ok(t));
    let from_cookie = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().strip_prefix(app.cookie.as_str()))
        .filter_map(|c| c.strip_prefix('='))
        .any(|t| app.token_ok(t));
    if !(from_query || from_cookie) {
        return forbidden();
    }
    let mut resp = next.run(req).await;
    if from_query && !from_cookie {
        let cookie = format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict",
            app.cookie, app.token
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

fn server_error(e: impl std::fmt::Display) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("nianbao review: {e}"),
    )
        .into_response()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(server_error(format!("{e:#}"))),
        Err(e) => Err(server_error(e)),
    }
}

async fn overview(State(app): State<Arc<App>>) -> Response {
    match blocking(move || app.overview_html()).await {
        Ok(html) => Html(html).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct DocQuery {
    saved: Option<String>,
    refused: Option<String>,
}

async fn document(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Query(q): Query<DocQuery>,
) -> Response {
    let flash = match (q.saved, q.refused) {
        (_, Some(why)) => Some((false, format!("not saved: {why}"))),
        (Some(what), None) => Some((true, what)),
        _ => None,
    };
    match blocking(move || app.document_html(id, flash)).await {
        Ok(Some(html)) => Html(html).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, Html("no such report".to_string())).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct SourceQuery {
    key: Option<String>,
}

async fn source(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Query(q): Query<SourceQuery>,
) -> Response {
    match blocking(move || app.source_html(id, q.key.as_deref())).await {
        Ok(Some(html)) => Html(html).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, Html("no such report".to_string())).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct CropQuery {
    key: String,
}

async fn crop(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Query(q): Query<CropQuery>,
) -> Response {
    match blocking(move || app.crop_png(id, &q.key)).await {
        Ok(Ok(png)) => Response::builder()
            .header(header::CONTENT_TYPE, "image/png")
            .header(header::CACHE_CONTROL, "private, max-age=3600")
            .body(Body::from(png))
            .unwrap_or_else(server_error),
        Ok(Err(why)) => (StatusCode::NOT_FOUND, why.to_string()).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct CorrectForm {
    token: String,
    key: String,
    value: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    who: String,
}

/// Stores a correction and goes back to the document (POST, then redirect: a reload
/// does not post it again).
async fn correct(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Form(f): Form<CorrectForm>,
) -> Response {
    // The form carries the token too: a page elsewhere cannot post with the cookie alone.
    if !app.token_ok(&f.token) {
        return forbidden();
    }
    let outcome = blocking(move || {
        let who: String = f.who.trim().chars().take(100).collect();
        let who = if who.is_empty() { app.who.clone() } else { who };
        let c = NewCorrection {
            report_id: id,
            key: f.key.trim(),
            value: &f.value,
            note: Some(f.note.as_str()),
            who: &who,
        };
        Ok(app
            .store()
            .add_correction(&c)
            .map(|action| format!("{} {} = {}", action.as_str(), c.key, c.value.trim()))
            .map_err(|e| e.to_string()))
    })
    .await;
    let query = match outcome {
        Ok(Ok(saved)) => format!("saved={}", pages::pct(&saved)),
        Ok(Err(why)) => format!("refused={}", pages::pct(&why)),
        Err(r) => return r,
    };
    Redirect::to(&format!("/doc/{id}?{query}")).into_response()
}
