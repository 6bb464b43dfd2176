//! Two-step verification: an authenticator app (TOTP, RFC 6238) enrolled
//! with a QR code, single-use recovery codes, and the second step of
//! sign-in, by code or passkey. Here are the rules without I/O: what each
//! operation answers, and the authenticator's codes; the operations (every
//! change audited and told to the account holder, in its transaction) are
//! in `store`, the second-step and two-step pages in `http`.

pub(crate) mod http;
pub(crate) mod store;

use platform::error::AppError;
use platform::principal::Principal;
use totp_rs::{Builder, Totp};

use crate::model::RecoveryCode;
use crate::store::account;

/// The sealing context of an authenticator's secret.
pub(crate) const SEAL_CONTEXT: &str = "identity.totp";
const ISSUER: &str = "Lionrock";

/// What the resident needs to add lionrock to an authenticator app.
pub struct Enrolment {
    /// The secret in base32, for typing in by hand.
    pub secret_base32: String,
    /// `otpauth://` URL (what the QR code holds).
    pub url: String,
}

/// The authenticator for `secret`, labelled with the account's name.
pub(crate) fn totp(secret: Vec<u8>, email: &str) -> Result<Totp, AppError> {
    Builder::new()
        .with_secret(secret)
        .with_account_name(email.replace(':', ""))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AppError::internal(format!("TOTP: {e}")))
}

pub(crate) fn unix_now() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

/// The result of confirming enrolment with a first code.
pub enum ConfirmOutcome {
    Enabled(Vec<RecoveryCode>),
    Wrong,
    NotStarted,
}

/// What turning two-step verification off did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disabled {
    Off,
    /// The code was wrong (counted with the second step's guesses).
    Wrong,
    /// Too many wrong second-step codes lately: try again in this many minutes.
    Throttled {
        minutes: i64,
    },
}

/// The ways the account a sign-in waits for can take its second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Methods {
    /// An authenticator app (its codes and the recovery codes work).
    pub(crate) code: bool,
    /// Passkeys, which this server offers.
    pub(crate) passkeys: bool,
}

/// A second step owed: the sign-in challenge's row key and its account.
pub(crate) struct Owed {
    pub(crate) key: String,
    pub(crate) account: account::Model,
}

/// The result of the second step of sign-in.
pub enum SecondStep {
    SignedIn(Principal),
    Wrong {
        tries_left: i32,
    },
    /// Too many wrong second steps for the account lately, across sign-ins
    /// (a right password does not reset them): nothing was checked or counted.
    Throttled {
        minutes: i64,
    },
    Ended,
}

/// What the resident offers for the second step.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Proof<'a> {
    /// A code from the authenticator app, or a recovery code.
    Code(&'a str),
    /// An answer from a passkey, checked against the ceremony this browser
    /// started (`passkeys::store::check_second_step`, where the ceremony's
    /// cookie is): the proof only that check makes, or None.
    Passkey(Option<crate::passkeys::SecondStepProven>),
}

/// The current code for a secret (tests and tools).
pub fn current_code(secret_base32: &str) -> Option<String> {
    let secret = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret_base32)?;
    let totp = Builder::new().with_secret(secret).with_account_name("x").build().ok()?;
    Some(totp.generate(unix_now()).to_string())
}
