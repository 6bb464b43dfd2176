//! Open data: a catalogue of datasets in English, Traditional and
//! Simplified Chinese, published by organisations in the 19 categories of
//! Hong Kong's portal, served as pages and through CKAN's Action API, so
//! every CKAN client works against it unchanged.
//!
//! Features follow identity's shape (ARCHITECTURE.md): `<feature>/mod.rs`
//! rules without I/O, `store.rs` tables and operations, `http.rs` handlers.
//! - `catalogue`: organisations, categories, datasets, tags, resources;
//!   the change sequence; every write audited.
//! - `search`: `package_search`'s parameters, each server's full-text
//!   index (tantivy, jieba, Traditional folded to Simplified) following the
//!   change sequence, facets.
//! - `files`: uploaded files as content-addressed blobs, every version of a
//!   resource's file, downloads, data.gov.hk's historical archive API, and
//!   link resources fetched into it daily (when configured).
//! - `settings`: the `[opendata]` section (where the index lives, the upload
//!   limit, fetching links).
//! - `publishers`: who publishes for which organisation; API tokens.
//! - `datastore`: a resource's data as a typed table (CKAN's `datastore_*`
//!   actions), loaded from CSV or JSON files with per-row reports.
//! - `ckan`: the Action API at `/api/3/action/{name}` and `/api/action/{name}`.
//! - `dcat`: the public catalogue as DCAT-AP (`/catalog.ttl`, `/catalog.jsonld`)
//!   and DCAT-US (`/data.json`).
//! - `harvest`: copying another CKAN instance's datasets (`lionrock opendata
//!   harvest URL`), incrementally, each dataset linked to its source.
//! - `portal`: the pages (home, search, dataset, organisation, category).
//! - `demo`: `serve --demo`'s generated catalogue.
//! - `cli`: `lionrock opendata …` (organisations, publishers, tokens, reindex).

pub mod catalogue;
pub mod ckan;
mod cli;
pub mod datastore;
pub mod dcat;
pub mod demo;
pub mod files;
pub mod harvest;
mod migrations;
pub mod portal;
pub mod publishers;
pub mod search;
pub mod settings;

use platform::i18n::{Ftl, Lang};
use platform::module::{Module, NavLink, ServiceLink, Show};

/// The module's name: the prefix of its asset names and audit actions.
pub const NAME: &str = "opendata";

const TRANSLATIONS: [Ftl; 3] = [
    Ftl { lang: Lang::En, origin: "opendata/en", source: include_str!("../i18n/en/opendata.ftl") },
    Ftl { lang: Lang::ZhHk, origin: "opendata/zh-HK", source: include_str!("../i18n/zh-HK/opendata.ftl") },
    Ftl { lang: Lang::ZhCn, origin: "opendata/zh-CN", source: include_str!("../i18n/zh-CN/opendata.ftl") },
];

/// The catalogue's stylesheet.
#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

/// CKAN's Action API, under both paths CKAN clients call, and the
/// historical archive API.
fn api() -> platform::openapi::ApiRouter {
    platform::openapi::ApiRouter::new()
        .routes(utoipa_axum::routes!(ckan::http::get_v3, ckan::http::post_v3))
        .routes(utoipa_axum::routes!(ckan::http::get_unversioned, ckan::http::post_unversioned))
        // The actions read their own bodies: JSON up to the server's limit, files up to `max_upload_mb`.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .routes(utoipa_axum::routes!(files::http::list_files))
        .routes(utoipa_axum::routes!(files::http::list_file_versions))
        .routes(utoipa_axum::routes!(files::http::get_file))
}

/// Routes outside the language prefixes and `/api/v1`: CKAN's download
/// paths and the DCAT exports at the root.
fn routes() -> axum::Router<platform::app::AppState> {
    files::http::routes().merge(dcat::http::routes())
}

/// Open data's contribution to the binary.
pub fn module() -> Module {
    Module {
        migrations: migrations::all,
        config: Some(settings::SECTION),
        worker: Some(|state, shutdown| Box::pin(search::node::follow(state, shutdown))),
        job: Some(|state| {
            Box::pin(async move {
                files::fetch::job(state.clone()).await;
                datastore::pusher::take_up_stalled(&state).await;
            })
        }),
        routes,
        // Uploads stream past the server's body limit; the actions enforce their own.
        own_body_limit: &["/api/3", "/api/action"],
        translations: &TRANSLATIONS,
        api,
        // CKAN's API authenticates by its token and never reads the session
        // cookie, so a forged cross-site request carries no power to check.
        csrf_exempt: &["/api/3", "/api/action"],
        pages: portal::http::pages,
        commands: &cli::COMMANDS,
        demo: Some(|state| Box::pin(demo::load(state))),
        assets: platform::assets::embedded::<Assets>,
        styles: &["opendata.css"],
        nav: &[NavLink { title_key: "opendata-nav", path: portal::HOME, show: Show::Always }],
        services: &[ServiceLink {
            title_key: "opendata-title",
            summary_key: "opendata-service-summary",
            path: portal::HOME,
        }],
        ..Module::named(NAME)
    }
}
