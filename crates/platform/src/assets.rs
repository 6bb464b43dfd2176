//! Static assets embedded in the binary, served under content-hashed names
//! (`app.3f9a1c2b.css`) with year-long immutable caching. Each module
//! brings its own files (a rust-embed folder, see [`embedded`]); names are
//! one namespace, so a module prefixes its own (`identity.js`).

use std::borrow::Cow;
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

/// One embedded file a module brings.
pub struct Asset {
    pub name: String,
    pub data: Cow<'static, [u8]>,
    pub sha256: [u8; 32],
}

/// Every file of a rust-embed folder, for `Module::assets`.
pub fn embedded<E: Embed>() -> Vec<Asset> {
    E::iter()
        .filter_map(|name| {
            let file = E::get(&name)?;
            Some(Asset { name: name.into_owned(), sha256: file.metadata.sha256_hash(), data: file.data })
        })
        .collect()
}

/// Platform's own files: the base stylesheet and script, icons.
pub(crate) fn platform_assets() -> Vec<Asset> {
    embedded::<Files>()
}

/// Two modules brought a file of the same name.
#[derive(Debug, thiserror::Error)]
#[error("asset {name} is brought by both {first} and {second}; prefix each module's file names")]
pub struct DuplicateAsset {
    pub name: String,
    pub first: &'static str,
    pub second: &'static str,
}

struct Served {
    logical: String,
    data: Cow<'static, [u8]>,
}

/// The asset table: logical name (`app.css`) to hashed name and back.
pub struct Assets {
    hashed: HashMap<String, String>,
    served: HashMap<String, Served>,
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assets").field("hashed", &self.hashed).finish()
    }
}

impl Assets {
    /// Every module's files, each under a name carrying its content hash.
    pub fn load(modules: &[crate::module::Module]) -> Result<Self, DuplicateAsset> {
        let mut hashed = HashMap::new();
        let mut served = HashMap::new();
        let mut owner: HashMap<String, &'static str> = HashMap::new();
        for module in modules {
            for asset in (module.assets)() {
                if let Some(first) = owner.insert(asset.name.clone(), module.name) {
                    return Err(DuplicateAsset { name: asset.name, first, second: module.name });
                }
                let hash = hex::encode(&asset.sha256[..4]);
                let name = match asset.name.rsplit_once('.') {
                    Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
                    None => format!("{}.{hash}", asset.name),
                };
                hashed.insert(asset.name.clone(), name.clone());
                served.insert(name, Served { logical: asset.name, data: asset.data });
            }
        }
        Ok(Self { hashed, served })
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

    /// Whether an asset of this logical name exists.
    pub fn has(&self, name: &str) -> bool {
        self.hashed.contains_key(name)
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
    let file = state.assets.served.get(&name).ok_or_else(AppError::not_found)?;
    let body = match &file.data {
        Cow::Borrowed(bytes) => axum::body::Body::from(axum::body::Bytes::from_static(bytes)),
        Cow::Owned(bytes) => axum::body::Body::from(bytes.clone()),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&file.logical)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(response)
}
