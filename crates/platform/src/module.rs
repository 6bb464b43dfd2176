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

/// An OAuth scope a module's API grants apps acting for a resident (the
/// route demands it with `principal::Granted`). Identity offers it to
/// registered clients, lists it in its discovery document, asks the
/// resident on its consent page, and grants it in access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthScope {
    /// The scope as apps ask for it (`booking`): lower-case letters, digits,
    /// `-` and `_`; unique across modules.
    pub name: &'static str,
    /// Fluent key of what the resident allows, a line on the consent page
    /// ("book and cancel appointments for you and the people you look after").
    pub consent_key: &'static str,
}

/// A permission an administrator grants an officer (`lionrock users create
/// --role officer --scope NAME`), which the module's routes demand
/// (`RequireScope`, `Show::OfficerWith`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficerScope {
    /// As granted and stored (`booking-staff`): lower-case letters, digits,
    /// `-` and `_`; unique across modules.
    pub name: &'static str,
    /// What it lets an officer do, in English for the operator's command line.
    pub about: &'static str,
}

/// Two modules declare the same scope, or one declares a name that could
/// not be asked for plainly.
#[derive(Debug, thiserror::Error)]
pub enum OAuthScopeError {
    #[error("both {first} and {second} declare the {kind} {scope:?}; scopes must be unique")]
    Duplicate { kind: &'static str, scope: &'static str, first: &'static str, second: &'static str },
    #[error("{module} declares the {kind} {scope:?}: a scope is 1 to 64 lower-case letters, digits, '-' and '_'")]
    Name { kind: &'static str, scope: &'static str, module: &'static str },
}

/// Every module's scopes of one kind, in module order, checked plain and unique.
fn declared<T: Copy + 'static>(
    modules: &[Module],
    kind: &'static str,
    of: impl Fn(&Module) -> &'static [T],
    name: impl Fn(&T) -> &'static str,
) -> Result<Vec<T>, OAuthScopeError> {
    let mut out: Vec<(T, &'static str)> = Vec::new();
    for m in modules {
        for scope in of(m) {
            let scope_name = name(scope);
            let plain = (1..=64).contains(&scope_name.len())
                && scope_name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            if !plain {
                return Err(OAuthScopeError::Name { kind, scope: scope_name, module: m.name });
            }
            if let Some((_, first)) = out.iter().find(|(s, _)| name(s) == scope_name) {
                return Err(OAuthScopeError::Duplicate { kind, scope: scope_name, first, second: m.name });
            }
            out.push((*scope, m.name));
        }
    }
    Ok(out.into_iter().map(|(s, _)| s).collect())
}

/// Every module's OAuth scopes, in module order: the one list identity offers.
pub fn oauth_scopes(modules: &[Module]) -> Result<Vec<OAuthScope>, OAuthScopeError> {
    declared(modules, "OAuth scope", |m| m.oauth_scopes, |s| s.name)
}

/// Every module's officer scopes, in module order: what an officer may be granted.
pub fn officer_scopes(modules: &[Module]) -> Result<Vec<OfficerScope>, OAuthScopeError> {
    declared(modules, "officer scope", |m| m.officer_scopes, |s| s.name)
}

/// Who sees a navigation link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Always,
    SignedIn,
    SignedOut,
    /// Officers holding any of these scopes (`Principal::has_scope`).
    OfficerWith(&'static [&'static str]),
    /// Administrators (`Role::Admin`).
    Admin,
}

/// Loads a module's demo data (idempotently) and returns lines to show the
/// person trying lionrock (e.g. demo sign-in details).
pub type DemoLoader = fn(AppState) -> Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send>>;

/// A module's periodic work (clean-up, deadlines), run once a minute.
pub type Job = fn(AppState) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// A module's long-running work on each server (say, keeping a local index
/// up to date), run under a supervisor that restarts it until shutdown.
pub type Worker = fn(AppState, crate::app::Shutdown) -> Pin<Box<dyn Future<Output = ()> + Send>>;

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
    /// Path prefixes whose handlers read large bodies themselves (file
    /// uploads) and enforce their own limits there: neither
    /// `server.body_limit_bytes` nor `server.request_timeout_secs` is applied
    /// to them by the platform.
    pub own_body_limit: &'static [&'static str],
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
    /// Work that runs as long as the server does, on every server.
    pub worker: Option<Worker>,
    /// The services it offers other modules (`contracts`).
    pub contracts: crate::contracts::Contracts,
    /// OAuth scopes its API grants apps acting for a resident.
    pub oauth_scopes: &'static [OAuthScope],
    /// Permissions its officers' pages and API demand.
    pub officer_scopes: &'static [OfficerScope],
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
            own_body_limit: &[],
            problems: &[],
            services: &[],
            nav: &[],
            commands: &[],
            demo: None,
            job: None,
            worker: None,
            contracts: crate::contracts::Contracts::default(),
            oauth_scopes: &[],
            officer_scopes: &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOKING: OAuthScope = OAuthScope { name: "booking", consent_key: "booking-consent-scope" };

    fn declaring(name: &'static str, scopes: &'static [OAuthScope]) -> Module {
        Module { oauth_scopes: scopes, ..Module::named(name) }
    }

    #[test]
    fn oauth_scopes_are_unique_and_plain() {
        let found = oauth_scopes(&[Module::named("a"), declaring("booking", &[BOOKING])]).unwrap();
        assert_eq!(found, [BOOKING]);
        let err = oauth_scopes(&[declaring("b", &[BOOKING]), declaring("c", &[BOOKING])]).err().unwrap();
        assert_eq!(err.to_string(), "both b and c declare the OAuth scope \"booking\"; scopes must be unique");
        for bad in ["", "Booking", "book ing", "book\"ing", "booking:read"] {
            let scope: &'static [OAuthScope] = Box::leak(Box::new([OAuthScope { name: bad, consent_key: "k" }]));
            assert!(matches!(oauth_scopes(&[declaring("d", scope)]), Err(OAuthScopeError::Name { .. })), "{bad:?}");
        }
    }

    #[test]
    fn officer_scopes_are_unique_and_plain_too() {
        const STAFF: OfficerScope = OfficerScope { name: "booking-staff", about: "check people in" };
        let officers = |name, scopes| Module { officer_scopes: scopes, ..Module::named(name) };
        assert_eq!(officer_scopes(&[officers("booking", &[STAFF])]).unwrap(), [STAFF]);
        let err = officer_scopes(&[officers("a", &[STAFF]), officers("b", &[STAFF])]).err().unwrap();
        assert_eq!(err.to_string(), "both a and b declare the officer scope \"booking-staff\"; scopes must be unique");
        let bad: &'static [OfficerScope] = &[OfficerScope { name: "Staff", about: "" }];
        assert!(matches!(officer_scopes(&[officers("c", bad)]), Err(OAuthScopeError::Name { .. })));
    }
}
