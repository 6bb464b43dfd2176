//! Deleting an account, with a grace period: the resident asks (proving it
//! with their password), every session ends, and fourteen days later the
//! periodic job deletes the person and everything that hangs off them.
//! Signing in again during the grace period cancels it. The audit log keeps
//! only opaque IDs, so its chain survives the deletion.
//!
//! Here, the rules: the grace period and what asking does. The
//! `account_deletion` rows, asking, cancelling and the periodic job are in
//! `store`; the page in `http`.

use time::{Date, Duration, OffsetDateTime};

use crate::accounts::PasswordCheck;

pub(crate) mod http;
pub mod store;

/// How long an account waits to be deleted; signing in meanwhile cancels it.
pub const GRACE: Duration = Duration::days(14);

/// The day an account asked for at `asked_at` is deleted (UTC).
pub(crate) fn deleted_on(asked_at: OffsetDateTime) -> Date {
    (asked_at + GRACE).date()
}

/// What asking for the deletion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asked {
    /// The password was not right (or guesses wait): nothing happened.
    Refused(PasswordCheck),
    /// Every session ended; the account is deleted on this day.
    Scheduled { on: Date },
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    #[test]
    fn an_account_is_deleted_fourteen_days_after_asking() {
        assert_eq!(super::deleted_on(datetime!(2025-02-20 23:59 UTC)).to_string(), "2025-03-06");
    }
}
