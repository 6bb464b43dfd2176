//! Accounts: register by e-mail address or mobile number (with a one-time
//! code), verify, resend, sign in with throttling, recover, and accounts
//! made by operators. Here are the rules without I/O: what each operation
//! answers and which verifications are whose; the operations (one
//! transaction each, with their audit rows and outbox messages) are in
//! `store`, the registration, verification, recovery and account pages in
//! `http`.

pub(crate) mod http;
pub mod store;

use platform::principal::Principal;
use time::OffsetDateTime;

use crate::model::Identifier;
use crate::sms::Cap;
use crate::store::account;
use crate::store::verification::Purpose;

/// The verifications a registration's code finishes (so does a pending
/// account's new code at sign-in).
pub(crate) const REGISTRATION: [Purpose; 2] = [Purpose::Email, Purpose::Phone];

/// The verifications a recovery's code finishes.
pub(crate) const RECOVERY: [Purpose; 2] = [Purpose::Recover, Purpose::RecoverPhone];

/// The verifications whose codes are sent again on request: registration's
/// and recovery's. A new code for a change of address or number would go to
/// the old one, proving the new one without reaching it.
pub(crate) const RESENDABLE: [Purpose; 4] = [Purpose::Email, Purpose::Phone, Purpose::Recover, Purpose::RecoverPhone];

/// What registering `id` proves: the e-mail address or the mobile number.
pub(crate) fn registration_purpose(id: &Identifier) -> Purpose {
    match id {
        Identifier::Email(_) => Purpose::Email,
        Identifier::Phone(_) => Purpose::Phone,
    }
}

/// What recovering an account through `id` proves.
pub(crate) fn recovery_purpose(id: &Identifier) -> Purpose {
    match id {
        Identifier::Email(_) => Purpose::Recover,
        Identifier::Phone(_) => Purpose::RecoverPhone,
    }
}

/// What registration or recovery answers: the verification to continue
/// with, or that a cap on SMS codes was reached (nothing was sent).
#[derive(Debug, PartialEq, Eq)]
pub enum Started {
    Verification(String),
    Capped(Cap),
}

/// The result of entering a code.
#[derive(Debug)]
pub enum VerifyOutcome {
    Verified(Box<account::Model>),
    Wrong {
        tries_left: i32,
    },
    NoTriesLeft,
    /// Too many wrong codes for the account or the address or number
    /// lately (across verifications): nothing was checked or counted.
    Throttled {
        minutes: i64,
    },
    Expired,
    Unknown,
}

/// The result of finishing recovery.
#[derive(Debug)]
pub enum RecoverOutcome {
    /// The password is changed and every session ended; two-step
    /// verification, if on, is still asked at the next sign-in.
    Done,
    Code(VerifyOutcome),
}

/// The result of asking for a new code.
#[derive(Debug, PartialEq, Eq)]
pub enum ResendOutcome {
    Sent,
    TooSoon,
    Capped(Cap),
    Unknown,
}

/// Whether a registration's or a recovery's codes go by SMS (a change's
/// are `contact`'s to say).
pub(crate) fn by_sms(purpose: Purpose) -> bool {
    matches!(purpose, Purpose::Phone | Purpose::RecoverPhone)
}

/// The result of a sign-in attempt. `Failed` never says why.
#[derive(Debug)]
pub enum SignInOutcome {
    SignedIn(Principal),
    /// The password was right; an authenticator code is owed (the token goes in a cookie).
    SecondFactor {
        challenge: String,
    },
    NeedsVerification {
        verification_id: String,
    },
    Failed,
    Throttled {
        minutes: i64,
    },
    /// A pending account's new code could not be sent by SMS today.
    Capped(Cap),
}

/// The back-off for a count of failures (`model::throttle_until` and its kin).
pub(crate) type WaitRule = fn(i32, OffsetDateTime) -> Option<OffsetDateTime>;

/// What claiming a sign-in guess found.
pub(crate) enum Guess {
    /// Counted; the network address's wait this guess set, if any (a right
    /// password takes it back).
    Counted { ip_wait: Option<OffsetDateTime> },
    /// Not counted: a wait runs until then.
    Throttled(OffsetDateTime),
}

/// What checking a signed-in resident's current password found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    Right,
    Wrong,
    /// Too many wrong guesses (here or at sign-in): try again in this many minutes.
    Throttled {
        minutes: i64,
    },
}

/// Why an operator's `users create` failed.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("--email: not a valid e-mail address")]
    Email,
    #[error("--phone: not a mobile number in an allowed country (identity.allowed_country_codes)")]
    Phone,
    #[error("password: {0}")]
    Password(&'static str),
    #[error("an account with this e-mail address or mobile number exists")]
    Exists,
    #[error("{0}")]
    Internal(String),
}

/// What an operator names a new account by.
#[derive(Debug, Clone, Copy)]
pub enum NewUser<'a> {
    Email(&'a str),
    Phone(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Email, Phone};

    fn ids() -> [Identifier; 2] {
        [Identifier::Email(Email::parse("chan@example.org").unwrap()), Identifier::Phone(Phone::stored("+85291234567"))]
    }

    #[test]
    fn codes_go_by_sms_exactly_to_numbers() {
        for id in ids() {
            let phone = matches!(id, Identifier::Phone(_));
            assert_eq!(by_sms(registration_purpose(&id)), phone);
            assert_eq!(by_sms(recovery_purpose(&id)), phone);
        }
    }

    #[test]
    fn each_flow_finishes_only_its_own_verifications() {
        for id in ids() {
            assert!(REGISTRATION.contains(&registration_purpose(&id)));
            assert!(!RECOVERY.contains(&registration_purpose(&id)));
            assert!(RECOVERY.contains(&recovery_purpose(&id)));
            assert!(!REGISTRATION.contains(&recovery_purpose(&id)));
        }
    }

    #[test]
    fn a_change_of_address_or_number_is_never_resent() {
        assert!(!RESENDABLE.contains(&Purpose::ChangeEmail));
        assert!(!RESENDABLE.contains(&Purpose::ChangePhone));
        assert!(REGISTRATION.iter().chain(&RECOVERY).all(|p| RESENDABLE.contains(p)));
    }
}
