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

/// The `Content-Type` of an asset, from its extension; text is UTF-8.
fn content_type(name: &str) -> HeaderValue {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let value =
        if mime.type_() == mime_guess::mime::TEXT { format!("{mime}; charset=utf-8") } else { mime.to_string() };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
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
    headers.insert(header::CONTENT_TYPE, content_type(&file.logical));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_the_extension() {
        for (name, expected) in [
            ("app.css", "text/css; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("favicon.svg", "image/svg+xml"),
            ("icon-192.png", "image/png"),
            ("favicon.ico", "image/x-icon"),
            ("font.woff2", "font/woff2"),
            ("app.webmanifest", "application/manifest+json"),
            ("data.json", "application/json"),
            ("README", "application/octet-stream"),
            ("archive.unknownext", "application/octet-stream"),
        ] {
            assert_eq!(content_type(name), expected, "{name}");
        }
    }

    #[test]
    fn every_embedded_asset_has_a_known_type() {
        for name in Files::iter() {
            assert_ne!(content_type(&name), "application/octet-stream", "{name}");
        }
    }
}
