//! Identity's errors: every variant has a stable problem type, a status and
//! a translated title and detail (`error-<slug>-title`/`-detail` in
//! `i18n/*/identity.ftl`). The API answers them as problem+json; forms show
//! the same detail in their error summary.

use axum::http::StatusCode;
use platform::error::{DomainError, ProblemType};

const PASSKEYS_UNAVAILABLE: ProblemType = ProblemType::new("identity-passkeys-unavailable", StatusCode::NOT_FOUND);
const REAUTHENTICATION_REQUIRED: ProblemType =
    ProblemType::new("identity-reauthentication-required", StatusCode::FORBIDDEN);
const PASSKEY_LIMIT: ProblemType = ProblemType::new("identity-passkey-limit", StatusCode::CONFLICT);
const NO_SECOND_STEP: ProblemType = ProblemType::new("identity-no-second-step", StatusCode::NOT_FOUND);
const NO_PASSKEY: ProblemType = ProblemType::new("identity-no-passkey", StatusCode::NOT_FOUND);
const BAD_DECISION: ProblemType = ProblemType::new("identity-bad-decision", StatusCode::BAD_REQUEST);
const BAD_AUTHORIZATION_REQUEST: ProblemType =
    ProblemType::new("identity-bad-authorization-request", StatusCode::BAD_REQUEST);
const ASSERTION_REJECTED: ProblemType = ProblemType::new("identity-assertion-rejected", StatusCode::UNAUTHORIZED);
const UNTRUSTED_SOURCE: ProblemType = ProblemType::new("identity-untrusted-source", StatusCode::FORBIDDEN);
const NO_SUCH_ACCOUNT: ProblemType = ProblemType::new("identity-no-such-account", StatusCode::NOT_FOUND);
const DOCUMENT_TAKEN: ProblemType = ProblemType::new("identity-document-taken", StatusCode::CONFLICT);
const ALREADY_REAL_NAME: ProblemType = ProblemType::new("identity-already-real-name", StatusCode::CONFLICT);
const SELF_VERIFICATION: ProblemType = ProblemType::new("identity-self-verification", StatusCode::FORBIDDEN);

/// Every problem type identity can answer with (the module lists them).
pub const PROBLEMS: [ProblemType; 13] = [
    PASSKEYS_UNAVAILABLE,
    REAUTHENTICATION_REQUIRED,
    PASSKEY_LIMIT,
    NO_SECOND_STEP,
    NO_PASSKEY,
    BAD_DECISION,
    BAD_AUTHORIZATION_REQUEST,
    ASSERTION_REJECTED,
    UNTRUSTED_SOURCE,
    NO_SUCH_ACCOUNT,
    DOCUMENT_TAKEN,
    ALREADY_REAL_NAME,
    SELF_VERIFICATION,
];

/// What can go wrong in identity that the person or client can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityError {
    /// The public URL is an IP address, which cannot be a relying-party ID.
    PasskeysUnavailable,
    /// Changing sign-in methods needs a recent sign-in.
    ReauthenticationRequired,
    PasskeyLimit {
        max: u64,
    },
    NoSecondStepWaiting,
    NoPasskey,
    /// An app sign-in decision other than approve or deny.
    BadDecision,
    /// The consent form's copy of the authorization request does not parse.
    BadAuthorizationRequest,
    /// A trusted source's signed assertion failed verification.
    AssertionRejected,
    UntrustedSource,
    NoSuchAccount,
    /// The identity document already backs another person.
    DocumentTaken,
    AlreadyRealName,
    /// An officer named their own account: someone else must check them.
    SelfVerification,
}

impl DomainError for IdentityError {
    fn problem(&self) -> ProblemType {
        match self {
            IdentityError::PasskeysUnavailable => PASSKEYS_UNAVAILABLE,
            IdentityError::ReauthenticationRequired => REAUTHENTICATION_REQUIRED,
            IdentityError::PasskeyLimit { .. } => PASSKEY_LIMIT,
            IdentityError::NoSecondStepWaiting => NO_SECOND_STEP,
            IdentityError::NoPasskey => NO_PASSKEY,
            IdentityError::BadDecision => BAD_DECISION,
            IdentityError::BadAuthorizationRequest => BAD_AUTHORIZATION_REQUEST,
            IdentityError::AssertionRejected => ASSERTION_REJECTED,
            IdentityError::UntrustedSource => UNTRUSTED_SOURCE,
            IdentityError::NoSuchAccount => NO_SUCH_ACCOUNT,
            IdentityError::DocumentTaken => DOCUMENT_TAKEN,
            IdentityError::AlreadyRealName => ALREADY_REAL_NAME,
            IdentityError::SelfVerification => SELF_VERIFICATION,
        }
    }

    fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            IdentityError::PasskeyLimit { max } => vec![("max", max.to_string())],
            _ => Vec::new(),
        }
    }
}
