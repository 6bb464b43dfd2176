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
use sha2::Digest;

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

/// The QR decoder pages load where the browser has no BarcodeDetector
/// (jsQR, from npm; `build.rs`); `qr-camera.js` uses it when present.
pub const QR_DECODER: &str = "qr-decoder.js";

/// jsQR as `build.rs` embedded it, else empty (the build did not find it).
const QR_DECODER_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/qr-decoder.js"));
const QR_DECODER_SHA256: [u8; 32] = include!(concat!(env!("OUT_DIR"), "/qr-decoder.sha256"));

/// Platform's own files: the base stylesheet and script, icons, the QR
/// camera module, and the QR decoder when the build has it.
pub(crate) fn platform_assets() -> Vec<Asset> {
    let mut all = embedded::<Files>();
    if !QR_DECODER_JS.is_empty() {
        all.push(Asset { name: QR_DECODER.to_owned(), data: Cow::Borrowed(QR_DECODER_JS), sha256: QR_DECODER_SHA256 });
    }
    all
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
///
/// Script modules may import one another by logical name, as a relative
/// string literal (`import { x } from "./credentials-cbor.js"`); the table
/// rewrites each such literal to the hashed name, and hashes the importer
/// after the rewrite, so a change in an imported file gives its importers
/// new names too and year-long caching stays right. Imports must not form
/// a cycle (a file's name would depend on itself).
pub struct Assets {
    hashed: HashMap<String, String>,
    served: HashMap<String, Served>,
    imports: HashMap<String, Vec<String>>,
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assets").field("hashed", &self.hashed).finish()
    }
}

/// The logical names a script imports as `"./name"` or `'./name'`.
fn imports_of(data: &[u8], known: &HashMap<String, Asset>) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(data) else { return Vec::new() };
    let mut names: Vec<String> = known
        .keys()
        .filter(|name| name.ends_with(".js"))
        .filter(|name| text.contains(&format!("\"./{name}\"")) || text.contains(&format!("'./{name}'")))
        .cloned()
        .collect();
    names.sort();
    names
}

fn hashed_name(name: &str, sha256: &[u8; 32]) -> String {
    let hash = hex::encode(&sha256[..4]);
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

impl Assets {
    /// Every module's files, each under a name carrying its content hash.
    pub fn load(modules: &[crate::module::Module]) -> Result<Self, DuplicateAsset> {
        let mut files: HashMap<String, Asset> = HashMap::new();
        let mut owner: HashMap<String, &'static str> = HashMap::new();
        for module in modules {
            for asset in (module.assets)() {
                if let Some(first) = owner.insert(asset.name.clone(), module.name) {
                    return Err(DuplicateAsset { name: asset.name, first, second: module.name });
                }
                files.insert(asset.name.clone(), asset);
            }
        }
        let imports: HashMap<String, Vec<String>> = files
            .iter()
            .filter(|(name, _)| name.ends_with(".js"))
            .map(|(name, asset)| (name.clone(), imports_of(&asset.data, &files)))
            .filter(|(_, deps)| !deps.is_empty())
            .collect();
        let mut table = Self { hashed: HashMap::new(), served: HashMap::new(), imports };
        let mut names: Vec<String> = files.keys().cloned().collect();
        names.sort();
        for name in names {
            table.place(&name, &mut files, &mut Vec::new());
        }
        Ok(table)
    }

    /// Gives `name` its hashed name, after the files it imports (depth
    /// first; a cycle is left unrewritten and logged).
    fn place(&mut self, name: &str, files: &mut HashMap<String, Asset>, visiting: &mut Vec<String>) {
        if self.hashed.contains_key(name) {
            return;
        }
        if visiting.iter().any(|v| v == name) {
            tracing::error!(name, "script imports form a cycle; left unrewritten");
            return;
        }
        let Some(mut asset) = files.remove(name) else { return };
        let deps = self.imports.get(name).cloned().unwrap_or_default();
        if !deps.is_empty() {
            visiting.push(name.to_owned());
            for dep in &deps {
                self.place(dep, files, visiting);
            }
            visiting.pop();
            let mut text = String::from_utf8_lossy(&asset.data).into_owned();
            for dep in &deps {
                if let Some(hashed) = self.hashed.get(dep) {
                    for quote in ['"', '\''] {
                        text = text.replace(&format!("{quote}./{dep}{quote}"), &format!("{quote}./{hashed}{quote}"));
                    }
                }
            }
            asset.sha256 = sha2::Sha256::digest(text.as_bytes()).into();
            asset.data = Cow::Owned(text.into_bytes());
        }
        let served = hashed_name(&asset.name, &asset.sha256);
        self.hashed.insert(asset.name.clone(), served.clone());
        self.served.insert(served, Served { logical: asset.name, data: asset.data });
    }

    /// `names` and every script they import, however deep (logical names).
    pub fn with_imports<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut todo: Vec<String> = names.into_iter().map(str::to_owned).collect();
        while let Some(name) = todo.pop() {
            if out.contains(&name) {
                continue;
            }
            todo.extend(self.imports.get(&name).into_iter().flatten().cloned());
            out.push(name);
        }
        out
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
    use sha2::Sha256;

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
    fn platform_scripts_import_nothing_of_their_own_name() {
        // A comment quoting a module's own relative name reads as an import
        // of itself: a cycle, left unrewritten and logged at every start.
        let all: HashMap<String, Asset> = platform_assets().into_iter().map(|a| (a.name.clone(), a)).collect();
        for (name, asset) in all.iter().filter(|(n, _)| n.ends_with(".js")) {
            assert!(!imports_of(&asset.data, &all).contains(name), "{name} imports itself");
        }
        assert!(all.contains_key("qr-camera.js"));
    }

    fn file(name: &str, text: &'static str) -> Asset {
        Asset { name: name.to_owned(), data: Cow::Borrowed(text.as_bytes()), sha256: Sha256::digest(text).into() }
    }

    fn scripts(dep: &'static str) -> Vec<Asset> {
        vec![
            file("t-main.js", "import { a } from \"./t-lib.js\";\nimport './t-lib.js';\n"),
            file("t-lib.js", dep),
            file("t-alone.js", "export const b = \"./t-lib.jsx\";"),
        ]
    }

    fn table(assets: fn() -> Vec<Asset>) -> Assets {
        Assets::load(&[crate::module::Module { assets, ..crate::module::Module::named("t") }]).unwrap()
    }

    fn text_of(table: &Assets, name: &str) -> String {
        let url = table.url(name);
        String::from_utf8(table.served[url.trim_start_matches("/assets/")].data.to_vec()).unwrap()
    }

    #[test]
    fn imports_between_scripts_name_the_hashed_files_and_change_the_importers_hash() {
        let one = table(|| scripts("export const a = 1;"));
        let two = table(|| scripts("export const a = 2;"));
        let lib = one.url("t-lib.js").trim_start_matches("/assets/").to_owned();
        assert_eq!(text_of(&one, "t-main.js"), format!("import {{ a }} from \"./{lib}\";\nimport './{lib}';\n"));
        assert_ne!(one.url("t-lib.js"), two.url("t-lib.js"));
        // The importer's name follows what it imports.
        assert_ne!(one.url("t-main.js"), two.url("t-main.js"));
        assert_eq!(one.url("t-alone.js"), two.url("t-alone.js"));
        assert_eq!(text_of(&one, "t-alone.js"), "export const b = \"./t-lib.jsx\";");
        let mut closure = one.with_imports(["t-main.js"]);
        closure.sort();
        assert_eq!(closure, ["t-lib.js", "t-main.js"]);
    }

    #[test]
    fn every_embedded_asset_has_a_known_type() {
        for name in Files::iter() {
            assert_ne!(content_type(&name), "application/octet-stream", "{name}");
        }
    }
}
