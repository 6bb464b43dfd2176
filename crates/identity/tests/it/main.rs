//! Identity integration tests: the real server over HTTP, on SQLite and
//! (when configured) PostgreSQL, plus the browser suite.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod account;
mod app_sign_in;
mod bearer;
mod browser;
mod browser_rp;
mod deletion;
mod dependants;
mod guesses;
mod oidc;
mod oidc_rp;
mod passkeys;
mod people;
mod phone;
mod profile;
mod real_name;
mod recover;
mod register;
mod round_trips;
mod security;
mod sign_in;
mod support;
mod two_step;
