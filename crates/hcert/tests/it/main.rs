//! The hcert integration tests, one binary: conformance vectors, round trips, each typed error, the exemption extension.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod conformance;
mod errors;
mod exemption;
mod roundtrip;
mod sample;
mod support;
