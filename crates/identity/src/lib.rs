//! Identity: one account per person, e-mail verification by one-time code,
//! password sign-in with throttling, and the principal every other module
//! consumes. (Second factors, passkeys, QR sign-in, real-name levels, the
//! e-ME profile and the OpenID Connect provider build on this.)

pub mod accounts;
pub mod app_sign_in;
mod cli;
mod contact;
pub mod deletion;
mod demo;
pub mod dependants;
mod devices;
pub mod errors;
mod guesses;
mod migrations;
pub mod model;
mod notices;
pub mod oidc;
mod pages;
pub mod passkeys;
pub mod password;
mod people;
mod places;
pub mod profile;
pub mod real_name;
mod security;
pub mod settings;
mod sign_in;
pub mod sms;
pub mod store;
pub mod two_step;

use platform::i18n::{Ftl, Lang};
use platform::module::{Module, NavLink, Show};

/// The module's name: its configuration section, and the prefix of its
/// problem types and asset names.
pub const NAME: &str = "identity";

/// Identity's browser files: `identity.js` (waiting for an app sign-in,
/// passkeys, the QR scanner) and `identity.css`.
#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

const TRANSLATIONS: [Ftl; 3] = [
    Ftl { lang: Lang::En, origin: "identity/en", source: include_str!("../i18n/en/identity.ftl") },
    Ftl { lang: Lang::ZhHk, origin: "identity/zh-HK", source: include_str!("../i18n/zh-HK/identity.ftl") },
    Ftl { lang: Lang::ZhCn, origin: "identity/zh-CN", source: include_str!("../i18n/zh-CN/identity.ftl") },
];

/// Machine-to-machine endpoints: they authenticate the caller themselves
/// (client credentials, tokens or signed assertions), so no CSRF token.
///
/// `/oauth/logout`'s POST is a service's logout request sent as a form: it
/// only redirects to the GET, which asks before it signs anyone out.
const CSRF_EXEMPT: [&str; 7] = [
    "/oauth/token",
    "/oauth/par",
    "/oauth/userinfo",
    "/oauth/revoke",
    "/oauth/introspect",
    "/oauth/logout",
    real_name::ASSERTION_PATH,
];

/// The pages, under each language prefix: every feature's own.
fn pages() -> axum::Router<platform::app::AppState> {
    axum::Router::new()
        .merge(sign_in::pages())
        .merge(accounts::http::pages())
        .merge(two_step::http::pages())
        .merge(app_sign_in::http::pages())
        .merge(passkeys::http::pages())
        .merge(security::http::pages())
        .merge(profile::http::pages())
        .merge(contact::http::pages())
        .merge(dependants::http::pages())
        .merge(deletion::http::pages())
        .merge(real_name::http::pages())
        .merge(oidc::admin::pages())
}

/// Routes outside the language prefix: the OpenID provider and the app
/// sign-in status.
fn routes() -> axum::Router<platform::app::AppState> {
    oidc::http::routes().merge(app_sign_in::http::routes())
}

/// The JSON API: trusted sources' real-name assertions.
fn api() -> platform::openapi::ApiRouter {
    platform::openapi::ApiRouter::new().routes(utoipa_axum::routes!(real_name::http::assert))
}

/// Identity's contribution to the binary.
pub fn module() -> Module {
    Module {
        migrations: migrations::all,
        translations: &TRANSLATIONS,
        config: Some(settings::SECTION),
        assets: platform::assets::embedded::<Assets>,
        styles: &["identity.css"],
        scripts: &["identity.js"],
        pages,
        routes,
        csrf_exempt: &CSRF_EXEMPT,
        problems: &errors::PROBLEMS,
        api,
        nav: &[
            NavLink { title_key: "sign-in-title", path: "/sign-in", show: Show::SignedOut },
            NavLink { title_key: "account-title", path: "/account", show: Show::SignedIn },
        ],
        commands: &cli::COMMANDS,
        demo: Some(|state| Box::pin(demo::load(state))),
        job: Some(|state| Box::pin(deletion::store::job(state))),
        contracts: platform::contracts::Contracts {
            people: Some(&people::People),
            bearers: Some(&oidc::Bearers),
            ..platform::contracts::Contracts::default()
        },
        oauth_scopes: &oidc::SCOPES,
        officer_scopes: &[platform::module::OfficerScope {
            name: real_name::VERIFIER_SCOPE,
            about: "check residents' identity documents in person and raise them to the real-name level",
        }],
        ..Module::named(NAME)
    }
}
