//! The PWA shell every module shares: a web app manifest per language (so
//! a resident can add lionrock to a phone's home screen and open it like an
//! app, e.g. to approve "sign in with the app"), a service worker, and an
//! offline page.
//!
//! The service worker never stores a personal page. It keeps the offline
//! page of each language, and each page a module marks as working offline
//! (`Module::offline`), all fetched without cookies, so they hold no
//! session or CSRF token, and the content-hashed assets they load; page
//! loads go to the network first and fall back, only when the network
//! fails, to the kept copy of that page, else to the offline page.
//! Everything else (forms, APIs, long polls) passes through untouched.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::app::AppState;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::page::PageContext;

/// Language-prefixed pages: `/{lang}/manifest.webmanifest`, `/{lang}/offline`.
pub(crate) fn pages() -> Router<AppState> {
    Router::new().route("/manifest.webmanifest", get(manifest)).route("/offline", get(offline))
}

/// The colour of the browser bar and splash screen (the brand colour of app.css).
pub const THEME_COLOUR: &str = "#0b4f6c";

async fn manifest(State(state): State<AppState>, ctx: PageContext) -> Response {
    let name = ctx.t("site-name");
    let body = json!({
        "name": name,
        "short_name": name,
        "description": ctx.t("home-intro"),
        "lang": ctx.lang.tag(),
        "dir": "ltr",
        "id": "/",
        "start_url": ctx.href("/"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            { "src": state.assets.url("favicon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any" },
            { "src": state.assets.url("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any" },
            { "src": state.assets.url("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any" },
            // The same squares: full-bleed, the mountain inside the safe zone.
            { "src": state.assets.url("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable" },
        ],
    });
    let mut response = Json(body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/manifest+json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

#[derive(Template)]
#[template(path = "offline.html")]
struct OfflinePage<'a> {
    ctx: &'a PageContext,
}

async fn offline(ctx: PageContext) -> Result<Response, AppError> {
    ctx.page(StatusCode::OK, "offline-title", &OfflinePage { ctx: &ctx })
}

/// `GET /sw.js`: the service worker, with this build's asset URLs in it
/// (a new build is a new worker, which replaces the old cache).
pub(crate) async fn service_worker(State(state): State<AppState>) -> Response {
    let offline: Vec<String> = Lang::ALL.iter().map(|l| format!("/{}/offline", l.prefix())).collect();
    let pages: Vec<String> = state
        .offline
        .iter()
        .flat_map(|page| Lang::ALL.iter().map(move |l| format!("/{}{}", l.prefix(), page.path)))
        .collect();
    // What every page loads, so the offline page shows as any other, and
    // what the offline pages load besides (with the scripts they import).
    let names = state
        .styles
        .iter()
        .chain(&state.scripts)
        .map(String::as_str)
        .chain(["favicon.svg"])
        .chain(state.offline.iter().flat_map(|page| page.assets.iter().copied()));
    let mut assets: Vec<String> = Vec::new();
    for url in state.assets.with_imports(names).iter().map(|a| state.assets.url(a)) {
        if !assets.contains(&url) {
            assets.push(url);
        }
    }
    assets.sort();
    let version = assets.iter().map(|a| a.rsplit('/').next().unwrap_or_default()).collect::<Vec<_>>().join("+");
    let script = format!(
        "const CACHE = {cache};\nconst OFFLINE = {offline};\nconst PAGES = {pages};\nconst ASSETS = {assets};\n{SW_BODY}",
        cache = json!(format!("lionrock-{version}")),
        offline = json!(offline),
        pages = json!(pages),
        assets = json!(assets),
    );
    let mut response = script.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    // Browsers check for a new worker on each visit; never serve a stale one.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

const SW_BODY: &str = r#"
self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) =>
        cache.addAll([...[...OFFLINE, ...PAGES].map((url) => new Request(url, { credentials: "omit" })), ...ASSETS]),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("lionrock-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The offline page in the language of the page that failed to load.
const offlineFor = (url) => OFFLINE.find((page) => url.pathname.startsWith(page.slice(0, page.lastIndexOf("/") + 1))) || OFFLINE[0];

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    // A page kept for offline use, else the offline page.
    const kept = PAGES.includes(url.pathname) ? url.pathname : offlineFor(url);
    event.respondWith(
      fetch(request).catch(() =>
        caches
          .match(kept, { ignoreVary: true })
          .then((page) => page || caches.match(offlineFor(url), { ignoreVary: true }))
          .then((page) => page || Response.error()),
      ),
    );
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((cached) => cached || fetch(request)));
  }
});
"#;
