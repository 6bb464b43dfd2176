//! Credentials: signed health records in the EU Digital COVID Certificate
//! format (HCERT, through the `hcert` crate), the trust lists that let any
//! verifier check them, residents' downloads, and the verifier.
//!
//! Features follow identity's shape (ARCHITECTURE.md): `<feature>/mod.rs`
//! rules without I/O, `store.rs` tables and operations, `http.rs` handlers
//! and the feature's `pages()`.

mod cli;
mod demo;
pub mod errors;
pub mod holders;
pub mod issuance;
mod migrations;
pub mod records;
pub mod render;
pub mod rules;
pub mod scanner;
pub mod settings;
pub mod trust;

use platform::i18n::{Ftl, Lang};
use platform::module::{Module, NavLink, OfflinePage, ServiceLink, Show};

/// The module's name: its configuration section, and the prefix of its
/// problem types and asset names.
pub const NAME: &str = "credentials";

/// Credentials' browser files (the scanner).
#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

/// Pages that work offline once loaded.
const OFFLINE: [OfflinePage; 1] = [scanner::OFFLINE];

const TRANSLATIONS: [Ftl; 3] = [
    Ftl { lang: Lang::En, origin: "credentials/en", source: include_str!("../i18n/en/credentials.ftl") },
    Ftl { lang: Lang::ZhHk, origin: "credentials/zh-HK", source: include_str!("../i18n/zh-HK/credentials.ftl") },
    Ftl { lang: Lang::ZhCn, origin: "credentials/zh-CN", source: include_str!("../i18n/zh-CN/credentials.ftl") },
];

/// The pages, under each language prefix: every feature's own.
fn pages() -> axum::Router<platform::app::AppState> {
    axum::Router::new()
        .merge(scanner::http::pages())
        .merge(holders::http::pages())
        .merge(rules::http::pages())
        .merge(issuance::http::pages())
}

/// The JSON API under `/api/v1/credentials`.
fn api() -> platform::openapi::ApiRouter {
    platform::openapi::ApiRouter::new()
        .routes(utoipa_axum::routes!(trust::http::dsc_list, trust::http::import_dsc))
        .routes(utoipa_axum::routes!(trust::http::remove_dsc))
        .routes(utoipa_axum::routes!(trust::http::csca_list))
        .routes(utoipa_axum::routes!(trust::http::revocation_list))
        .routes(utoipa_axum::routes!(trust::http::trust_bundle))
        .routes(utoipa_axum::routes!(rules::http::get_rules, rules::http::put_rules))
        .merge(issuance::http::api())
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
        offline: &OFFLINE,
        api,
        job: Some(|state| Box::pin(records::jobs::job(state))),
        services: &[ServiceLink {
            title_key: "credentials-mine-title",
            summary_key: "credentials-mine-service-summary",
            path: holders::PATH,
        }],
        nav: &[
            NavLink { title_key: "credentials-mine-nav", path: holders::PATH, show: Show::SignedIn },
            NavLink {
                title_key: "credentials-officer-nav",
                path: issuance::http::PATH,
                show: Show::OfficerWith(&issuance::SCOPES),
            },
        ],
        commands: &cli::COMMANDS,
        demo: Some(|state| Box::pin(demo::load(state))),
        contracts: platform::contracts::Contracts {
            health_records: Some(&records::contract::Service),
            ..platform::contracts::Contracts::default()
        },
        officer_scopes: &issuance::OFFICER_SCOPES,
        ..Module::named(NAME)
    }
}
