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

pub mod bookings;
mod cli;
pub mod errors;
mod migrations;
pub mod people;
pub mod programmes;
pub mod setup;

use platform::i18n::{Ftl, Lang};
use platform::module::Module;

/// The module's name: its configuration section, and the prefix of its
/// problem types and asset names.
pub const NAME: &str = "booking";

const TRANSLATIONS: [Ftl; 3] = [
    Ftl { lang: Lang::En, origin: "booking/en", source: include_str!("../i18n/en/booking.ftl") },
    Ftl { lang: Lang::ZhHk, origin: "booking/zh-HK", source: include_str!("../i18n/zh-HK/booking.ftl") },
    Ftl { lang: Lang::ZhCn, origin: "booking/zh-CN", source: include_str!("../i18n/zh-CN/booking.ftl") },
];

/// The JSON API under `/api/v1/booking`.
fn api() -> platform::openapi::ApiRouter {
    platform::openapi::ApiRouter::new()
        .routes(utoipa_axum::routes!(programmes::http::list))
        .routes(utoipa_axum::routes!(programmes::http::availability))
        .routes(utoipa_axum::routes!(bookings::http::book, bookings::http::list))
        .routes(utoipa_axum::routes!(bookings::http::cancel))
}

/// Booking's contribution to the binary.
pub fn module() -> Module {
    Module {
        migrations: migrations::all,
        translations: &TRANSLATIONS,
        problems: &errors::PROBLEMS,
        api,
        commands: &cli::COMMANDS,
        ..Module::named(NAME)
    }
}
