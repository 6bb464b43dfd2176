//! The typed errors of encoding and decoding: each variant names the step of the pipeline that failed.

use crate::dcc::RecordKind;

/// Why an `HC1:` text was refused, or could not be made. The variants follow
/// the decoding pipeline in order: prefix, Base45, zlib, CBOR, COSE structure,
/// CWT claims, key identifier, signature, validity period, key usage, schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The text does not start with the context identifier `HC1:`.
    #[error("prefix: the text does not start with `HC1:`")]
    Prefix,
    /// What follows the prefix is not Base45.
    #[error("Base45: {0}")]
    Base45(String),
    /// The Base45 bytes are not a zlib stream (or inflate past the size limit).
    #[error("zlib: {0}")]
    Zlib(String),
    /// The bytes are not one well-formed CBOR item.
    #[error("CBOR: {0}")]
    Cbor(String),
    /// The CBOR item is not a COSE_Sign1 (tag 18, optionally inside CWT tag 61) as HCERT needs it.
    #[error("COSE structure: {0}")]
    CoseStructure(String),
    /// The signed payload is not a CWT claims set with issued-at, expiry and the HCERT claim.
    #[error("CWT claims: {0}")]
    Claims(String),
    /// No trusted document signer has this key identifier (or the message names none).
    #[error("unknown key identifier {kid}")]
    UnknownKid {
        /// The key identifier in hexadecimal, empty when the message has none.
        kid: String,
    },
    /// No trusted key with that identifier verifies the signature.
    #[error("bad signature")]
    BadSignature,
    /// `now` is after the expiry claim.
    #[error("expired: expiry {expires_at} is before now {now} (seconds since 1970)")]
    Expired {
        /// The expiry claim (4), seconds since 1970.
        expires_at: i64,
        /// The clock the caller gave.
        now: i64,
    },
    /// `now` is before the issued-at claim.
    #[error("not yet valid: issued at {issued_at}, after now {now} (seconds since 1970)")]
    NotYetValid {
        /// The issued-at claim (6), seconds since 1970.
        issued_at: i64,
        /// The clock the caller gave.
        now: i64,
    },
    /// The document signer's certificate restricts it to other kinds of record.
    #[error("key usage: this document signer may not sign {0} records")]
    KeyUsage(RecordKind),
    /// The payload breaks the DCC schema (or a value set, or our exemption extension's rules).
    #[error("schema: {}", list(.0))]
    Schema(Vec<Violation>),
    /// Encoding only: the signer could not sign.
    #[error("signing: {0}")]
    Signing(String),
}

/// One broken rule of the payload, with the path of the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field, as a path into the payload (`v[0].dn`); empty for the payload as a whole.
    pub path: String,
    /// What is wrong, in English.
    pub problem: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() { f.write_str(&self.problem) } else { write!(f, "{}: {}", self.path, self.problem) }
    }
}

fn list(violations: &[Violation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}
