//! HCERT, the EU Digital COVID Certificate's signed QR format: encoding and decoding, with no I/O and no clock of its own.
//!
//! An HCERT is `HC1:` + Base45 + zlib + COSE_Sign1 + CWT, the payload (a DCC,
//! schema 1.3) under claim -260, key 1. [`encode`] signs a typed payload;
//! [`decode`] checks every step and returns the verified [`Credential`] or an
//! [`Error`] naming the step that failed. The steps are public too
//! ([`envelope`], [`cose`], [`cwt`], [`schema`]) for tools that report on each.
//!
//! Nothing here reads files, the network or the clock: keys, trust lists and
//! value sets come in as values, and "now" is an argument. The only thing
//! taken from outside the process is the random salt of a PS256 signature.
//!
//! Schema validation is written as Rust checks ([`schema`]) rather than with a
//! JSON Schema engine: the schema is small, the value sets and a few checks
//! verifiers apply are outside JSON Schema, and the exemption group is ours.
//! A runtime JSON Schema engine would also bring its regex and URL stacks into
//! every user of this crate.

pub mod cose;
pub mod cwt;
mod date;
pub mod dcc;
pub mod envelope;
mod error;
pub mod schema;
pub mod trust;
pub mod valuesets;

pub use cwt::Claims;
pub use dcc::{Dcc, Exemption, ExemptionReason, Name, RecordKind, Recovery, Test, Vaccination};
pub use error::{Error, Violation};
pub use trust::{CertificateError, KeyUsage, Kid, PublicKey, Signer, TrustList, TrustedKey};
pub use valuesets::{ValueSet, ValueSets};

/// The schema version new payloads carry.
pub const SCHEMA_VERSION: &str = "1.3.0";

/// A decoded HCERT whose signature, validity period, key usage and schema were checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    /// Issuer, issued-at and expiry.
    pub claims: Claims,
    /// The payload, typed.
    pub dcc: Dcc,
    /// The payload exactly as signed (in JSON terms), fields this crate does not know included.
    pub payload_json: serde_json::Value,
    /// The document signer that signed it.
    pub kid: Kid,
}

/// Signs a payload: the `HC1:` text for a QR code.
///
/// The payload must pass the schema (value sets are the issuer's to check
/// with [`schema::validate`] beforehand), the issuer must be a country code
/// of two capital letters, and the expiry must follow the issue time.
pub fn encode(dcc: &Dcc, claims: &Claims, signer: &Signer) -> Result<String, Error> {
    schema::validate(dcc, &ValueSets::unchecked(), Some(claims.issued_at))?;
    if let Some(issuer) = &claims.issuer
        && (issuer.len() != 2 || !issuer.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(Error::Claims(format!("issuer `{issuer}` is not a country code such as HK")));
    }
    if claims.expires_at <= claims.issued_at {
        return Err(Error::Claims("the expiry is not after the issue time".into()));
    }
    let payload = serde_json::to_value(dcc).map_err(|e| Error::Signing(e.to_string()))?;
    let cose = cose::Sign1::sign(cwt::encode(claims, &payload)?, signer)?;
    Ok(envelope::seal(&cose))
}

/// Decodes and verifies an `HC1:` text at time `now` (seconds since 1970).
///
/// In order: prefix, Base45, zlib, CBOR, COSE_Sign1 structure, key identifier
/// (looked up in `trust`), signature, CWT claims, issued-at ≤ now ≤ expiry,
/// the signer's key usage, and the schema with `value_sets`.
pub fn decode(text: &str, trust: &TrustList, value_sets: &ValueSets, now: i64) -> Result<Credential, Error> {
    let sign1 = cose::Sign1::parse(&envelope::open(text)?)?;
    let candidates = trust.keys(sign1.kid());
    if candidates.is_empty() {
        return Err(Error::UnknownKid { kid: sign1.kid().iter().map(|b| format!("{b:02x}")).collect() });
    }
    let signer = candidates.iter().find(|key| sign1.verify(&key.key).is_ok()).ok_or(Error::BadSignature)?;
    let (claims, payload_json) = cwt::decode(sign1.payload())?;
    if now < claims.issued_at {
        return Err(Error::NotYetValid { issued_at: claims.issued_at, now });
    }
    if now > claims.expires_at {
        return Err(Error::Expired { expires_at: claims.expires_at, now });
    }
    let dcc = schema::parse(&payload_json)?;
    if let Some(kind) = dcc.kinds().into_iter().find(|kind| !signer.usage.allows(*kind)) {
        return Err(Error::KeyUsage(kind));
    }
    schema::validate(&dcc, value_sets, Some(claims.issued_at))?;
    Ok(Credential { claims, dcc, payload_json, kid: signer.kid })
}
