//! Platform integration tests: the real server over HTTP, on SQLite and
//! (when configured) PostgreSQL, plus the browser suite.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod audit;
mod browser;
mod db;
mod errors;
mod events;
mod http_core;
mod idempotency;
mod keys;
mod openapi;
mod outbox;
mod pages;
mod security;
mod support;
mod tls;
mod writer;
