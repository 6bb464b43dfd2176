//! The module contract: everything a domain contributes to the one binary.
//! A domain crate exposes `pub fn module() -> Module`; the binary lists the
//! modules (`lionrock::modules()`), and platform composes them: migrations,
//! translations, configuration sections, assets, routes, error types,
//! landing-page links, CLI commands, demo data and periodic jobs. Platform
//! itself is a module built the same way, and names no domain.

use std::future::Future;
use std::pin::Pin;

use axum::Router;
use sea_orm_migration::MigrationTrait;

use crate::app::AppState;
use crate::assets::Asset;
use crate::error::ProblemType;
use crate::i18n::Ftl;

/// A link on the landing page to a service a module offers.
#[derive(Debug, Clone, Copy)]
pub struct ServiceLink {
    pub title_key: &'static str,
    pub summary_key: &'static str,
    /// Path without the language prefix, e.g. `/bookings`.
    pub path: &'static str,
}

/// A link in the site's main navigation.
#[derive(Debug, Clone, Copy)]
pub struct NavLink {
    pub title_key: &'static str,
    /// Path without the language prefix.
    pub path: &'static str,
    pub show: Show,
}

/// A page that works offline: the service worker keeps a copy of it in
/// every language, fetched without cookies (so it must hold no personal
/// data: it is the page anyone gets), with the scripts it loads (and what
/// they import) and the files it fetches. A navigation to it that fails on
/// the network gets the kept copy. Its scripts must do the rest (keep what
/// they fetch for later, say how old it is).
#[derive(Debug, Clone, Copy)]
pub struct OfflinePage {
    /// Path without the language prefix, e.g. `/credentials/scan`.
    pub path: &'static str,
    /// Asset names the page loads beyond what every page loads.
    pub assets: &'static [&'static str],
}

/// Who sees a navigation link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Always,
    SignedIn,
    SignedOut,
    /// Officers holding any of these scopes (`Principal::has_scope`).
    OfficerWith(&'static [&'static str]),
}

/// Loads a module's demo data (idempotently) and returns lines to show the
/// person trying lionrock (e.g. demo sign-in details).
pub type DemoLoader = fn(AppState) -> Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send>>;

/// A module's periodic work (clean-up, deadlines), run once a minute.
pub type Job = fn(AppState) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a domain contributes to the one binary. Start from
/// [`Module::named`] and set what the domain has:
///
/// ```ignore
/// Module { migrations: migrations::all, pages: http::pages, ..Module::named("booking") }
/// ```
#[derive(Clone, Copy)]
pub struct Module {
    /// Short and lower-case; prefixes its problem slugs, asset and
    /// translation names, and names its configuration section.
    pub name: &'static str,
    pub migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    pub translations: &'static [Ftl],
    /// Its configuration section `[<name>]`, strict like the rest.
    pub config: Option<crate::config::Section>,
    /// Its embedded files (`assets::embedded::<Files>`), served hashed.
    pub assets: fn() -> Vec<Asset>,
    /// Stylesheets and script modules (asset names) every page loads.
    pub styles: &'static [&'static str],
    pub scripts: &'static [&'static str],
    /// Page routes, mounted under each language prefix (`/en`, `/zh-hk`, `/zh-cn`).
    pub pages: fn() -> Router<AppState>,
    /// Pages among them that the service worker keeps for offline use.
    pub offline: &'static [OfflinePage],
    /// Other routes (OAuth endpoints, …), mounted at the root; none under `/api`.
    pub routes: fn() -> Router<AppState>,
    /// JSON API routes under `/api/v1`, each with its OpenAPI operation
    /// (merged into `/api/v1/openapi.json`), mounted at the root.
    pub api: fn() -> crate::openapi::ApiRouter,
    /// Path prefixes whose unsafe requests authenticate otherwise than by cookie.
    pub csrf_exempt: &'static [&'static str],
    /// POST routes under `/api` that create nothing (searches, checks), by
    /// route pattern: they ignore `Idempotency-Key`, which every other one
    /// honours (see `idempotency`).
    ///
    /// A request with no credential outside its body (no session, no
    /// `Authorization`: one that authenticates by a signed assertion in its
    /// body) is scoped by the whole request: for 24 hours, anyone who holds
    /// the same body and key gets the stored answer, without authenticating
    /// again. A route whose answer carries a secret (a token, a one-time
    /// code) must not rely on that scope: list it here, or authenticate it
    /// by header.
    pub idempotency_exempt: &'static [&'static str],
    /// The problem types of its errors (each needs a title and a detail in
    /// every language; slugs are unique across modules).
    pub problems: &'static [ProblemType],
    /// Links on the landing page.
    pub services: &'static [ServiceLink],
    /// Links in the header's navigation.
    pub nav: &'static [NavLink],
    /// Its commands: `lionrock <command> …`.
    pub commands: &'static [crate::cli::Command],
    /// Demo data for `serve --demo`.
    pub demo: Option<DemoLoader>,
    /// Periodic work, run by the housekeeping task.
    pub job: Option<Job>,
    /// The services it offers other modules (`contracts`).
    pub contracts: crate::contracts::Contracts,
}

fn no_routes() -> Router<AppState> {
    Router::new()
}

impl Module {
    /// A module that contributes nothing yet.
    pub fn named(name: &'static str) -> Module {
        Module {
            name,
            migrations: Vec::new,
            translations: &[],
            config: None,
            assets: Vec::new,
            styles: &[],
            scripts: &[],
            pages: no_routes,
            offline: &[],
            routes: no_routes,
            api: crate::openapi::ApiRouter::new,
            csrf_exempt: &[],
            idempotency_exempt: &[],
            problems: &[],
            services: &[],
            nav: &[],
            commands: &[],
            demo: None,
            job: None,
            contracts: crate::contracts::Contracts { people: None, health_records: None },
        }
    }
}
