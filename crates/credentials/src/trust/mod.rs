//! Trust: what a verifier needs to believe a credential, in the EU DCC
//! Gateway's shapes. The trust lists (document signers, root certificates),
//! the revocation list (hashes of revoked UVCIs, never the UVCIs: the list
//! is public), how a list is signed by the root (ES256 over
//! `<issued-at>\n<body>`), the trust bundle the scanner keeps (one signed
//! JSON payload with signers, revocations, rules and the age limit), and
//! the checks on a foreign document signer an administrator imports.
//! Rules only; the tables, the signing key and the lists are in `store`.

pub mod http;
pub mod store;
pub mod verify;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::rules::Rules;

/// The kind of certificate in a trust list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum CertificateType {
    /// A document signer: signs credentials.
    #[serde(rename = "DSC")]
    Dsc,
    /// A root (country signing certificate authority): signs document signers and the lists.
    #[serde(rename = "CSCA")]
    Csca,
}

/// One certificate in a trust list (the EU DCC Gateway's `TrustListItem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrustListEntry {
    /// The DCC key identifier: base64 of the first 8 bytes of the SHA-256 of `rawData`.
    #[schema(example = "ZDdwmFQ8JYI=")]
    pub kid: String,
    /// ISO 3166-1 alpha-2 country of the issuer.
    #[schema(example = "HK")]
    pub country: String,
    pub certificate_type: CertificateType,
    /// Hex SHA-256 of the DER certificate.
    pub thumbprint: String,
    /// When the certificate entered the list (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: OffsetDateTime,
    /// The DER certificate, base64.
    pub raw_data: String,
}

impl TrustListEntry {
    /// The entry for a DER certificate.
    pub fn new(der: &[u8], country: &str, certificate_type: CertificateType, timestamp: OffsetDateTime) -> Self {
        TrustListEntry {
            kid: STANDARD.encode(hcert::Kid::of_certificate(der).0),
            country: country.to_owned(),
            certificate_type,
            thumbprint: thumbprint(der),
            timestamp: timestamp.replace_nanosecond(0).unwrap_or(timestamp),
            raw_data: STANDARD.encode(der),
        }
    }
}

/// One revoked credential in the revocation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Revocation {
    /// Base64 of the first 16 bytes of the SHA-256 of the UVCI (UTF-8).
    pub uvci_hash: String,
    /// When it was revoked (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub revoked_at: OffsetDateTime,
}

/// Hex SHA-256 of a certificate.
pub fn thumbprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02x}")).collect()
}

/// What the revocation list publishes for a UVCI.
pub fn uvci_hash(uvci: &str) -> String {
    STANDARD.encode(&Sha256::digest(uvci.as_bytes())[..16])
}

/// A list's strong ETag: the quoted hex SHA-256 of its body.
pub fn etag(body: &[u8]) -> String {
    format!("\"{}\"", thumbprint(body))
}

/// The bytes a list's `X-Signature` covers: the `X-Issued-At` value, a line
/// feed, and the body exactly as sent.
pub fn signed_message(issued_at: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(issued_at.len() + 1 + body.len());
    message.extend_from_slice(issued_at.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(body);
    message
}

/// An RFC 3339 time to the second, as lists carry it.
pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// ES256 (r‖s, 64 bytes) by a PKCS#8 P-256 key.
pub fn sign(pkcs8: &[u8], message: &[u8]) -> Result<[u8; 64], String> {
    use p256::pkcs8::DecodePrivateKey;
    let key = p256::ecdsa::SigningKey::from_pkcs8_der(pkcs8).map_err(|e| format!("root key: {e}"))?;
    let signature: p256::ecdsa::Signature = key.sign(message);
    Ok(signature.to_bytes().into())
}

/// Whether `signature` (r‖s) over `message` verifies with the P-256 key of
/// the DER certificate `certificate`.
pub fn verify_signature(certificate: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = hcert::TrustedKey::from_certificate(certificate) else { return false };
    let hcert::PublicKey::Es256(key) = key.key else { return false };
    let Ok(signature) = p256::ecdsa::Signature::from_slice(signature) else { return false };
    key.verify(message, &signature).is_ok()
}

/// The payload of the trust bundle: everything the scanner needs to check
/// a credential offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BundlePayload {
    /// When the server made it (RFC 3339): verifiers show its age.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: OffsetDateTime,
    /// This installation's country (`locale.country`).
    pub country: String,
    /// Every document signer: ours and the imported foreign ones.
    pub dsc: Vec<TrustListEntry>,
    /// Revoked UVCIs' hashes (as `uvciHash` in the revocation list).
    pub revoked: Vec<String>,
    /// The validity rules in force.
    pub rules: Rules,
    /// Hours after which a verifier calls the bundle stale.
    pub stale_after_hours: u32,
}

/// The trust bundle: the payload's JSON bytes, their ES256 signature by the
/// root, and the root's certificate (which the scanner pins on first use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bundle {
    /// The payload's UTF-8 JSON bytes, base64url without padding (a `BundlePayload`).
    pub payload: String,
    /// ES256 (r‖s, 64 bytes) by the root over exactly those bytes, base64url without padding.
    pub signature: String,
    /// The root (CSCA) certificate, DER, standard base64.
    pub csca: String,
}

/// Why a saved trust bundle is not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("the trust bundle is malformed: {0}")]
    Malformed(String),
    #[error("the trust bundle's signature does not verify with its root certificate")]
    BadSignature,
}

impl Bundle {
    /// Signs `payload` with the root's PKCS#8 key; `csca` is its certificate.
    pub fn sign(payload: &BundlePayload, root_pkcs8: &[u8], csca: &[u8]) -> Result<Bundle, String> {
        let bytes = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
        let signature = sign(root_pkcs8, &bytes)?;
        Ok(Bundle {
            payload: URL_SAFE_NO_PAD.encode(&bytes),
            signature: URL_SAFE_NO_PAD.encode(signature),
            csca: STANDARD.encode(csca),
        })
    }

    /// Checks the signature against the bundle's own root certificate and
    /// reads the payload; returns it with the root's DER certificate.
    pub fn open(&self) -> Result<(BundlePayload, Vec<u8>), BundleError> {
        let b64 = |field: &str, text: &str| {
            let trimmed = text.trim_end_matches('=');
            URL_SAFE_NO_PAD
                .decode(trimmed.replace('+', "-").replace('/', "_"))
                .map_err(|_| BundleError::Malformed(format!("{field} is not base64")))
        };
        let payload = b64("payload", &self.payload)?;
        let signature = b64("signature", &self.signature)?;
        let csca = b64("csca", &self.csca)?;
        if !verify_signature(&csca, &payload, &signature) {
            return Err(BundleError::BadSignature);
        }
        let parsed = serde_json::from_slice(&payload).map_err(|e| BundleError::Malformed(e.to_string()))?;
        Ok((parsed, csca))
    }
}

/// Why a foreign document signer is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportProblem {
    /// The country is not two capital letters.
    Country,
    /// Neither base64 DER nor PEM.
    Encoding,
    /// Not an X.509 certificate.
    NotCertificate(String),
    /// The key is neither P-256 nor RSA.
    UnsupportedKey,
    /// Its validity ended.
    Expired(OffsetDateTime),
    /// Its validity has not begun.
    NotYetValid(OffsetDateTime),
}

impl ImportProblem {
    /// The field it concerns (JSON pointer) and the Fluent key saying why.
    pub fn field_and_key(&self) -> (&'static str, &'static str) {
        match self {
            ImportProblem::Country => ("/country", "credentials-trust-country-invalid"),
            ImportProblem::Encoding => ("/certificate", "credentials-trust-certificate-encoding"),
            ImportProblem::NotCertificate(_) => ("/certificate", "credentials-trust-certificate-malformed"),
            ImportProblem::UnsupportedKey => ("/certificate", "credentials-trust-certificate-key"),
            ImportProblem::Expired(_) => ("/certificate", "credentials-trust-certificate-expired"),
            ImportProblem::NotYetValid(_) => ("/certificate", "credentials-trust-certificate-not-yet-valid"),
        }
    }

    /// In English, for the API's `detail` and the CLI.
    pub fn describe(&self) -> String {
        match self {
            ImportProblem::Country => "country: must be an ISO 3166-1 alpha-2 code such as DE".to_owned(),
            ImportProblem::Encoding => "certificate: neither base64 DER nor PEM".to_owned(),
            ImportProblem::NotCertificate(why) => format!("certificate: not an X.509 certificate ({why})"),
            ImportProblem::UnsupportedKey => "certificate: the key is neither P-256 (ES256) nor RSA (PS256)".to_owned(),
            ImportProblem::Expired(at) => format!("certificate: expired on {}", rfc3339(*at)),
            ImportProblem::NotYetValid(at) => format!("certificate: not valid before {}", rfc3339(*at)),
        }
    }
}

/// A foreign document signer, checked and ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignSigner {
    pub country: String,
    pub der: Vec<u8>,
    pub not_after: OffsetDateTime,
}

/// A certificate as base64 DER or PEM (`-----BEGIN CERTIFICATE-----`).
pub fn certificate_bytes(text: &str) -> Result<Vec<u8>, ImportProblem> {
    let text = text.trim();
    let body: String = if text.starts_with("-----BEGIN CERTIFICATE-----") {
        let inner = text
            .strip_prefix("-----BEGIN CERTIFICATE-----")
            .and_then(|rest| rest.split("-----END CERTIFICATE-----").next())
            .ok_or(ImportProblem::Encoding)?;
        inner.split_whitespace().collect()
    } else {
        text.split_whitespace().collect()
    };
    STANDARD.decode(body).map_err(|_| ImportProblem::Encoding)
}

/// Checks a foreign document signer: country code, certificate (base64 DER
/// or PEM), a key hcert can verify with, and valid at `now`.
pub fn check_foreign(country: &str, certificate: &str, now: OffsetDateTime) -> Result<ForeignSigner, ImportProblem> {
    let country = country.trim();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ImportProblem::Country);
    }
    let der = certificate_bytes(certificate)?;
    hcert::TrustedKey::from_certificate(&der).map_err(|e| match e {
        hcert::CertificateError::Malformed(why) => ImportProblem::NotCertificate(why),
        hcert::CertificateError::UnsupportedKey => ImportProblem::UnsupportedKey,
    })?;
    let (not_before, not_after) = validity(&der).map_err(ImportProblem::NotCertificate)?;
    if now > not_after {
        return Err(ImportProblem::Expired(not_after));
    }
    if now < not_before {
        return Err(ImportProblem::NotYetValid(not_before));
    }
    Ok(ForeignSigner { country: country.to_owned(), der, not_after })
}

/// A certificate's validity period.
fn validity(der: &[u8]) -> Result<(OffsetDateTime, OffsetDateTime), String> {
    use x509_cert::der::Decode as _;
    let certificate = x509_cert::Certificate::from_der(der).map_err(|e| e.to_string())?;
    let validity = certificate.tbs_certificate().validity();
    let at = |t: x509_cert::time::Time| {
        let seconds = t.to_unix_duration().as_secs();
        OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    };
    Ok((at(validity.not_before)?, at(validity.not_after)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvci_hashes_are_16_bytes_of_sha256_in_base64() {
        let hash = uvci_hash("URN:UVCI:01:HK:ABC#D");
        assert_eq!(STANDARD.decode(&hash).unwrap().len(), 16);
        assert_ne!(hash, uvci_hash("URN:UVCI:01:HK:ABC#E"));
        // SHA-256("") starts e3b0c442 98fc1c14 9afbf4c8 996fb924.
        assert_eq!(
            uvci_hash(""),
            STANDARD.encode([
                0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24
            ])
        );
    }

    #[test]
    fn the_signed_message_is_issued_at_a_line_feed_and_the_body() {
        assert_eq!(signed_message("2026-11-30T12:00:00Z", b"[]"), b"2026-11-30T12:00:00Z\n[]");
        assert_eq!(etag(b"[]"), format!("\"{}\"", thumbprint(b"[]")));
    }

    #[test]
    fn foreign_signers_need_a_country_and_a_certificate() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(check_foreign("de", "MIIB", now), Err(ImportProblem::Country));
        assert_eq!(check_foreign("DE", "not base64!", now), Err(ImportProblem::Encoding));
        assert!(matches!(check_foreign("DE", "AAAA", now), Err(ImportProblem::NotCertificate(_))));
        assert_eq!(
            certificate_bytes("-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n"),
            Ok(vec![0, 1, 2])
        );
    }
}
