//! Booking integration tests: the real server over HTTP, on SQLite and
//! (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod admin;
mod admin_pages;
mod api;
mod browser;
mod concurrency;
mod live;
mod notices;
mod officers;
mod pages;
mod queue_pages;
mod quotas;
mod reschedule;
mod support;
mod waiting;
