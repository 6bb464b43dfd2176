//! Tests of the `lionrock` binary as an operator uses it, and of the
//! composition of all modules.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod api;
mod booking_bearer;
mod booking_import;
mod booking_people;
mod booking_sigkill;
mod cli;
mod composition;
mod credentials_cli;
mod credentials_issue;
mod opendata_cli;
mod people_contact;
mod records;
mod serve;
mod support;
mod tidy;
