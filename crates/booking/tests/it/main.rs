//! Booking integration tests: the real server over HTTP, on SQLite and
//! (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod admin;
mod api;
mod concurrency;
mod officers;
mod support;
mod waiting;
