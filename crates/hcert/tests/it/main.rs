//! The hcert integration tests, one binary: conformance vectors, round trips, and each typed error.

mod conformance;
mod support;
