//! Lionrock's shared machinery: configuration, storage, the HTTP core and
//! its error catalogue, i18n and page layout, sessions and principals, rate
//! limits, the audit log, the notification outbox, crypto helpers, and the
//! test kit every domain's tests use. Domains depend on this crate only.

pub mod admin;
pub mod app;
pub mod assets;
pub mod audit;
pub mod certificate;
pub mod cli;
pub mod config;
pub mod contracts;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod extract;
pub mod form;
pub mod i18n;
pub mod idempotency;
pub mod ids;
pub mod keys;
pub mod migrations;
pub mod module;
pub mod openapi;
pub mod outbox;
pub mod page;
pub mod paging;
pub mod principal;
pub mod pwa;
pub mod ratelimit;
pub mod session;
pub mod tls;
pub mod web;

#[cfg(feature = "testkit")]
pub mod testkit;

/// Re-exported so domains build their schema with the same version.
pub use sea_orm;
pub use sea_orm_migration;

/// Installs the process-wide TLS crypto provider (ring) once; HTTPS clients
/// (SMS gateway, SMTP with TLS) need it.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
