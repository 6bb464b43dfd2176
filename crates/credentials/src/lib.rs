//! Credentials: signed health records in the EU Digital COVID Certificate
//! format (HCERT, through the `hcert` crate), the trust lists that let any
//! verifier check them, residents' downloads, and the verifier.
//!
//! Features follow identity's shape (ARCHITECTURE.md): `<feature>/mod.rs`
//! rules without I/O, `store.rs` tables and operations, `http.rs` handlers
//! and the feature's `pages()`.

pub mod errors;
mod migrations;
pub mod records;
pub mod settings;
pub mod render;

use platform::i18n::{Ftl, Lang};
use platform::module::Module;

/// The module's name: its configuration section, and the prefix of its
/// problem types and asset names.
pub const NAME: &str = "credentials";

/// Credentials' browser files (the scanner).
#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

const TRANSLATIONS: [Ftl; 3] = [
    Ftl { lang: Lang::En, origin: "credentials/en", source: include_str!("../i18n/en/credentials.ftl") },
    Ftl { lang: Lang::ZhHk, origin: "credentials/zh-HK", source: include_str!("../i18n/zh-HK/credentials.ftl") },
    Ftl { lang: Lang::ZhCn, origin: "credentials/zh-CN", source: include_str!("../i18n/zh-CN/credentials.ftl") },
];

/// The pages, under each language prefix: every feature's own.
fn pages() -> axum::Router<platform::app::AppState> {
    axum::Router::new()
}

/// The JSON API under `/api/v1/credentials`.
fn api() -> platform::openapi::ApiRouter {
    platform::openapi::ApiRouter::new()
}

/// Credentials' contribution to the binary.
pub fn module() -> Module {
    Module {
        migrations: migrations::all,
        translations: &TRANSLATIONS,
        config: Some(settings::SECTION),
        problems: &errors::PROBLEMS,
        assets: platform::assets::embedded::<Assets>,
        styles: &["credentials.css"],
        pages,
        api,
        contracts: platform::contracts::Contracts { people: None, health_records: Some(&records::store::Service) },
        ..Module::named(NAME)
    }
}
