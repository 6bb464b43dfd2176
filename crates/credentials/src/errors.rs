//! Credentials' errors: every variant has a stable problem type, a status
//! and a translated title and detail (`error-<slug>-title`/`-detail` in
//! `i18n/*/credentials.ftl`).

use axum::http::StatusCode;
use platform::error::{DomainError, ProblemType};

const NOT_SIGNABLE: ProblemType = ProblemType::new("credentials-not-signable", StatusCode::UNPROCESSABLE_ENTITY);
const REVOKED: ProblemType = ProblemType::new("credentials-revoked", StatusCode::CONFLICT);
const NOT_REAL_NAME: ProblemType = ProblemType::new("credentials-not-real-name", StatusCode::FORBIDDEN);
const SIGNER_KNOWN: ProblemType = ProblemType::new("credentials-signer-known", StatusCode::CONFLICT);

/// Every problem type credentials can answer with (the module lists them).
pub const PROBLEMS: [ProblemType; 4] = [NOT_SIGNABLE, REVOKED, NOT_REAL_NAME, SIGNER_KNOWN];

/// What can go wrong in credentials that the person or client can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsError {
    /// The record passed our checks but not the DCC schema's (the API's
    /// `detail` gives the reason, in English).
    NotSignable,
    /// The record was revoked or re-issued already.
    Revoked,
    /// Residents' records need an account whose identity document was checked.
    NotRealName,
    /// The document signer is in the trust list already.
    SignerKnown,
}

impl DomainError for CredentialsError {
    fn problem(&self) -> ProblemType {
        match self {
            CredentialsError::NotSignable => NOT_SIGNABLE,
            CredentialsError::Revoked => REVOKED,
            CredentialsError::NotRealName => NOT_REAL_NAME,
            CredentialsError::SignerKnown => SIGNER_KNOWN,
        }
    }
}
