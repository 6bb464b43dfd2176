//! Credentials' errors: every variant has a stable problem type, a status
//! and a translated title and detail (`error-<slug>-title`/`-detail` in
//! `i18n/*/credentials.ftl`).

use axum::http::StatusCode;
use platform::error::{DomainError, ProblemType};

const NOT_SIGNABLE: ProblemType = ProblemType::new("credentials-not-signable", StatusCode::UNPROCESSABLE_ENTITY);
const REVOKED: ProblemType = ProblemType::new("credentials-revoked", StatusCode::CONFLICT);
const NOT_REAL_NAME: ProblemType = ProblemType::new("credentials-not-real-name", StatusCode::FORBIDDEN);
const SIGNER_KNOWN: ProblemType = ProblemType::new("credentials-signer-known", StatusCode::CONFLICT);
const SCOPE_MISSING: ProblemType = ProblemType::new("credentials-scope-missing", StatusCode::FORBIDDEN);
const UNKNOWN_RECORD: ProblemType = ProblemType::new("credentials-unknown-record", StatusCode::NOT_FOUND);
const EXPIRED: ProblemType = ProblemType::new("credentials-expired", StatusCode::CONFLICT);
const REISSUE_LIMIT: ProblemType = ProblemType::new("credentials-reissue-limit", StatusCode::TOO_MANY_REQUESTS);
const KID_TAKEN: ProblemType = ProblemType::new("credentials-kid-taken", StatusCode::CONFLICT);

/// Every problem type credentials can answer with (the module lists them).
pub const PROBLEMS: [ProblemType; 9] = [
    NOT_SIGNABLE,
    REVOKED,
    NOT_REAL_NAME,
    SIGNER_KNOWN,
    SCOPE_MISSING,
    UNKNOWN_RECORD,
    EXPIRED,
    REISSUE_LIMIT,
    KID_TAKEN,
];

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
    /// The officer lacks the scope this kind of record needs (exemptions
    /// need `exemption-issuer`; the others `health-records`).
    ScopeMissing { scope: &'static str },
    /// No record has this UVCI.
    UnknownRecord,
    /// The record's credential has expired (or would expire at once if
    /// re-issued): it is neither downloaded nor re-issued.
    Expired,
    /// The holder had `limit` records re-issued in the last 24 hours.
    ReissueLimit { limit: u64 },
    /// Another document signer in the trust list has the same kid.
    KidTaken,
}

impl DomainError for CredentialsError {
    fn problem(&self) -> ProblemType {
        match self {
            CredentialsError::NotSignable => NOT_SIGNABLE,
            CredentialsError::Revoked => REVOKED,
            CredentialsError::NotRealName => NOT_REAL_NAME,
            CredentialsError::SignerKnown => SIGNER_KNOWN,
            CredentialsError::ScopeMissing { .. } => SCOPE_MISSING,
            CredentialsError::UnknownRecord => UNKNOWN_RECORD,
            CredentialsError::Expired => EXPIRED,
            CredentialsError::ReissueLimit { .. } => REISSUE_LIMIT,
            CredentialsError::KidTaken => KID_TAKEN,
        }
    }

    fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            CredentialsError::ScopeMissing { scope } => vec![("scope", (*scope).to_owned())],
            CredentialsError::ReissueLimit { limit } => vec![("limit", limit.to_string())],
            CredentialsError::Expired
            | CredentialsError::NotSignable
            | CredentialsError::Revoked
            | CredentialsError::NotRealName
            | CredentialsError::SignerKnown
            | CredentialsError::UnknownRecord
            | CredentialsError::KidTaken => Vec::new(),
        }
    }
}
