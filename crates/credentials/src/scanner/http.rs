//! The scanner page, `/{lang}/credentials/scan`: anyone may open it (it
//! holds no personal data and checks codes in the browser), and the service
//! worker keeps it for offline use.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use platform::app::AppState;
use platform::error::AppError;
use platform::page::PageContext;

use super::{BUNDLE_URL, PATH, QR_DECODER, SCRIPT, SCRIPT_TEXTS, json_for_script};

pub(crate) fn pages() -> axum::Router<AppState> {
    axum::Router::new().route(PATH, get(scan))
}

#[derive(Template)]
#[template(path = "scanner.html")]
struct ScanPage<'a> {
    ctx: &'a PageContext,
    script: String,
    decoder: Option<String>,
    bundle: &'static str,
    texts: String,
}

/// `GET /{lang}/credentials/scan`: the page; its script does the rest.
async fn scan(State(state): State<AppState>, ctx: PageContext) -> Result<Response, AppError> {
    let texts: serde_json::Map<String, serde_json::Value> = SCRIPT_TEXTS
        .iter()
        .map(|key| {
            let text = ctx.t_with(&format!("credentials-scan-{key}"), &[("hours", "{hours}"), ("limit", "{limit}")]);
            ((*key).to_owned(), serde_json::Value::String(text))
        })
        .collect();
    let page = ScanPage {
        ctx: &ctx,
        script: ctx.asset(SCRIPT),
        decoder: state.assets.has(QR_DECODER).then(|| ctx.asset(QR_DECODER)),
        bundle: BUNDLE_URL,
        texts: json_for_script(&serde_json::Value::Object(texts)),
    };
    ctx.page(StatusCode::OK, "credentials-scan-title", &page)
}
