//! Static assets embedded in the binary, served under content-hashed names
//! (`app.3f9a1c2b.css`) with year-long immutable caching.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

use crate::app::AppState;
use crate::error::AppError;

#[derive(Embed)]
#[folder = "assets/"]
struct Files;

/// The asset table: logical name (`app.css`) to hashed name and back.
#[derive(Debug)]
pub struct Assets {
    hashed: HashMap<String, String>,
    logical: HashMap<String, String>,
}

impl Assets {
    pub fn load() -> Self {
        let mut hashed = HashMap::new();
        let mut logical = HashMap::new();
        for name in Files::iter() {
            let Some(file) = Files::get(&name) else { continue };
            let hash = hex::encode(&file.metadata.sha256_hash()[..4]);
            let served = match name.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
                None => format!("{name}.{hash}"),
            };
            hashed.insert(name.to_string(), served.clone());
            logical.insert(served, name.to_string());
        }
        Self { hashed, logical }
    }

    /// The URL of an asset, e.g. `/assets/app.3f9a1c2b.css`.
    pub fn url(&self, name: &str) -> String {
        match self.hashed.get(name) {
            Some(served) => format!("/assets/{served}"),
            None => {
                tracing::warn!(name, "unknown asset");
                format!("/assets/{name}")
            }
        }
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("webmanifest") => "application/manifest+json",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// `GET /assets/{name}`: only names in the table are served, so no path
/// (`..`, encoded slashes, absolute paths) can reach anything else.
pub(crate) async fn serve(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, AppError> {
    let logical = state.assets.logical.get(&name).ok_or_else(AppError::not_found)?;
    let file = Files::get(logical).ok_or_else(AppError::not_found)?;
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(logical)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(response)
}
