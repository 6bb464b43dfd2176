//! Booking: programmes with quotas (vaccination, community testing, border
//! quotas, or any an administrator defines), their centres and slots, and
//! bookings that never overbook however many servers take them.
//!
//! Features follow identity's shape (ARCHITECTURE.md): `<feature>/mod.rs`
//! rules without I/O, `store.rs` tables and operations, `http.rs` handlers.
//! - `programmes`: programmes, centres, products, slots, eligibility, availability.
//! - `bookings`: taking and giving back places; the residents' API.
//! - `setup`: programmes set up from a file (`lionrock booking import`).
//! - `people`: who a booking is for, through platform's `People` contract.
//! - `officers`: officers at the centre (check-in, walk-ins) and the officer scopes.
//! - `specimens`: specimen labels, the laboratory's results, the results role.
//! - `health`: records asked of credentials through platform's `HealthRecords`.
//! - `jobs`: the periodic work (reminders the day before, no-shows).
//! - `waiting`: the virtual waiting room per programme (queue, admission clock, admission tokens).
//! - `admin`: quotas, holidays, slot generation, closures, statistics (API and pages).
//! - `demo`: `serve --demo`'s programmes (those of `examples/booking.toml`).
//! - `notices`: confirmations, cancellations and reminders through the outbox.
//! - `residents`: the residents' pages (find a centre, book, my bookings).
//! - `live`: the public availability page, kept live by server-sent events.
//! - `settings`: the `[booking]` configuration section (live streams' limits).

pub mod admin;
pub mod bookings;
mod cli;
mod demo;
pub mod errors;
mod health;
pub mod jobs;
pub mod live;
mod migrations;
pub mod notices;
pub mod officers;
pub mod people;
pub mod programmes;
pub mod residents;
pub mod settings;
pub mod setup;
pub mod specimens;
pub mod waiting;

use platform::i18n::{Ftl, Lang};
use platform::module::{Module, NavLink, ServiceLink, Show};

/// The module's name: its configuration section, and the prefix of its
/// problem types and asset names.
pub const NAME: &str = "booking";

const TRANSLATIONS: [Ftl; 3] = [
    Ftl { lang: Lang::En, origin: "booking/en", source: include_str!("../i18n/en/booking.ftl") },
    Ftl { lang: Lang::ZhHk, origin: "booking/zh-HK", source: include_str!("../i18n/zh-HK/booking.ftl") },
    Ftl { lang: Lang::ZhCn, origin: "booking/zh-CN", source: include_str!("../i18n/zh-CN/booking.ftl") },
];

/// Booking's stylesheet and browser scripts.
#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

/// The pages, under each language prefix: every feature's own.
fn pages() -> axum::Router<platform::app::AppState> {
    axum::Router::new()
        .merge(residents::http::pages())
        .route("/booking/{programme}/availability", axum::routing::get(live::http::page))
        .merge(officers::http::pages())
        .merge(specimens::http::pages())
        .merge(waiting::pages::pages())
        .merge(admin::pages::pages())
}

/// The JSON API under `/api/v1/booking`.
fn api() -> platform::openapi::ApiRouter {
    platform::openapi::ApiRouter::new()
        .routes(utoipa_axum::routes!(programmes::http::list))
        .routes(utoipa_axum::routes!(programmes::http::availability))
        .routes(utoipa_axum::routes!(bookings::http::book, bookings::http::list))
        .routes(utoipa_axum::routes!(bookings::http::cancel))
        .routes(utoipa_axum::routes!(officers::http::check_in))
        .routes(utoipa_axum::routes!(officers::http::walk_in))
        .routes(utoipa_axum::routes!(specimens::http::pending))
        .routes(utoipa_axum::routes!(specimens::http::record))
        .routes(utoipa_axum::routes!(specimens::http::results))
        .routes(utoipa_axum::routes!(specimens::http::notify))
        .routes(utoipa_axum::routes!(waiting::http::join, waiting::http::status))
        .routes(utoipa_axum::routes!(waiting::http::settings, waiting::http::set_settings))
        .routes(utoipa_axum::routes!(admin::http::put_programme))
        .routes(utoipa_axum::routes!(admin::http::set_quota))
        .routes(utoipa_axum::routes!(admin::http::generate_slots))
        .routes(utoipa_axum::routes!(admin::http::holidays, admin::http::put_holidays))
        .routes(utoipa_axum::routes!(admin::http::close))
        .routes(utoipa_axum::routes!(admin::http::statistics))
        .routes(utoipa_axum::routes!(admin::http::statistics_csv))
        .routes(utoipa_axum::routes!(officers::http::centre_officers, officers::http::put_centre_officers))
        .routes(utoipa_axum::routes!(bookings::http::reschedule))
        .routes(utoipa_axum::routes!(live::http::events))
}

/// The officer scopes that see the centre's page, the laboratory's, the results role's.
const STAFF: [&str; 1] = [officers::STAFF_SCOPE];
const LAB: [&str; 1] = [officers::LAB_SCOPE];
const RESULTS: [&str; 1] = [officers::RESULTS_SCOPE];

/// The OAuth scope an app needs to book for a resident with an access token.
pub struct BookingScope;

impl platform::principal::GrantScope for BookingScope {
    const SCOPE: &'static str = "booking";
}

/// The scopes booking offers apps (identity's consent page shows each).
const OAUTH_SCOPES: [platform::module::OAuthScope; 1] =
    [platform::module::OAuthScope { name: "booking", consent_key: "booking-oauth-scope" }];

/// The permissions administrators grant booking's officers.
const OFFICER_SCOPES: [platform::module::OfficerScope; 3] = [
    platform::module::OfficerScope {
        name: officers::STAFF_SCOPE,
        about: "check people in at a booking centre, register walk-ins and print specimen labels",
    },
    platform::module::OfficerScope {
        name: officers::LAB_SCOPE,
        about: "record test results against specimen codes only (a laboratory: no personal data)",
    },
    platform::module::OfficerScope {
        name: officers::RESULTS_SCOPE,
        about: "join specimens to people and notify them of their results",
    },
];

/// Booking's contribution to the binary.
pub fn module() -> Module {
    Module {
        migrations: migrations::all,
        translations: &TRANSLATIONS,
        config: Some(settings::SECTION),
        problems: &errors::PROBLEMS,
        oauth_scopes: &OAUTH_SCOPES,
        officer_scopes: &OFFICER_SCOPES,
        api,
        commands: &cli::COMMANDS,
        nav: &[
            NavLink { title_key: "booking-nav", path: residents::PATH, show: Show::Always },
            NavLink { title_key: "booking-mine-title", path: residents::MINE, show: Show::SignedIn },
            NavLink { title_key: "booking-officer-nav", path: "/officer/booking", show: Show::OfficerWith(&STAFF) },
            NavLink { title_key: "booking-lab-nav", path: "/officer/booking/lab", show: Show::OfficerWith(&LAB) },
            NavLink {
                title_key: "booking-results-nav",
                path: "/officer/booking/results",
                show: Show::OfficerWith(&RESULTS),
            },
            NavLink { title_key: "booking-admin-nav", path: admin::pages::PATH, show: Show::Admin },
        ],
        job: Some(|state| Box::pin(jobs::job(state))),
        // Joining a queue is idempotent by itself: the same account always gets its one place.
        idempotency_exempt: &["/api/v1/booking/programmes/{id}/queue"],
        demo: Some(|state| Box::pin(demo::load(state))),
        assets: platform::assets::embedded::<Assets>,
        styles: &["booking.css"],
        pages,
        services: &[ServiceLink {
            title_key: "booking-title",
            summary_key: "booking-service-summary",
            path: residents::PATH,
        }],
        ..Module::named(NAME)
    }
}
