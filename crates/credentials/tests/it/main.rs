//! Credentials integration tests: the real server over HTTP, on SQLite and
//! (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod browser;
mod interop;
mod issuance;
mod mine;
mod records;
mod render;
mod rules;
#[path = "../../../hcert/tests/it/sample.rs"]
mod sample;
mod scanner;
mod support;
mod trust;
