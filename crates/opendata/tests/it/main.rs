//! Open data integration tests: the real server over HTTP, on SQLite and
//! (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod api;
mod browser;
mod ckanapi;
mod datastore;
mod dcat;
mod files;
mod harvest;
mod pages;
mod search;
mod support;
mod writes;
