//! Trust: what a verifier needs to believe a credential, in the EU DCC
//! Gateway's shapes. The trust lists (document signers, root certificates),
//! the revocation list (hashes of revoked UVCIs, never the UVCIs: the list
//! is public), how a list is signed by the root (ES256 over
//! `<path>\n<issued-at>\n<body>`), the trust bundle the scanner keeps (one
//! signed JSON payload with signers, revocations, rules, the time zone and
//! the age limit, signed by every published root so that verifiers which
//! pinned a retired root move to the active one), and the checks on a
//! foreign document signer an administrator imports.
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

/// The bytes a list's `X-Signature` covers: the list's path (which list it
/// is), a line feed, the `X-Issued-At` value, a line feed, and the body
/// exactly as sent.
pub fn signed_message(path: &str, issued_at: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(path.len() + issued_at.len() + 2 + body.len());
    message.extend_from_slice(path.as_bytes());
    message.push(b'\n');
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
    /// This installation's time zone (`locale.timezone`, an IANA name): the
    /// rules count days by its calendar, whatever the verifier's own zone.
    #[schema(example = "Asia/Hong_Kong")]
    pub time_zone: String,
    /// Hex SHA-256 of the active root's DER certificate: the root a verifier
    /// pins once a root it trusts has signed this payload.
    pub active_root: String,
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
/// active root and its certificate (which the scanner pins on first use),
/// and the signatures by every published root (the active one and retired
/// ones still kept), so that a scanner which pinned a retired root accepts
/// the bundle and moves its pin to the active root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bundle {
    /// The payload's UTF-8 JSON bytes, base64url without padding (a `BundlePayload`).
    pub payload: String,
    /// ES256 (r‖s, 64 bytes) by the active root over exactly those bytes, base64url without padding.
    pub signature: String,
    /// The active root (CSCA) certificate, DER, standard base64.
    pub csca: String,
    /// A signature by each published root, the active one first.
    #[serde(default)]
    pub signatures: Vec<RootSignature>,
}

/// One root's signature of a bundle's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RootSignature {
    /// The root (CSCA) certificate, DER, standard base64.
    pub csca: String,
    /// ES256 (r‖s, 64 bytes) by its key over exactly the payload's bytes, base64url without padding.
    pub signature: String,
}

/// Why a saved trust bundle is not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("the trust bundle is malformed: {0}")]
    Malformed(String),
    #[error("the trust bundle's signature does not verify with its root certificate")]
    BadSignature,
    #[error("the trust bundle's root certificate is not the active root its payload names")]
    RootMismatch,
}

impl Bundle {
    /// Signs `payload` with each root's PKCS#8 key, given with its
    /// certificate, the active root first.
    pub fn sign(payload: &BundlePayload, roots: &[(&[u8], &[u8])]) -> Result<Bundle, String> {
        let bytes = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
        let mut signatures = Vec::with_capacity(roots.len());
        for (pkcs8, certificate) in roots {
            signatures.push(RootSignature {
                csca: STANDARD.encode(certificate),
                signature: URL_SAFE_NO_PAD.encode(sign(pkcs8, &bytes)?),
            });
        }
        let active = signatures.first().cloned().ok_or("no root to sign with")?;
        Ok(Bundle {
            payload: URL_SAFE_NO_PAD.encode(&bytes),
            signature: active.signature,
            csca: active.csca,
            signatures,
        })
    }

    /// Checks the signature against the bundle's own (active) root
    /// certificate, which must be the one the payload names, and reads the
    /// payload; returns it with the root's DER certificate.
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
        let parsed: BundlePayload =
            serde_json::from_slice(&payload).map_err(|e| BundleError::Malformed(e.to_string()))?;
        if parsed.active_root != thumbprint(&csca) {
            return Err(BundleError::RootMismatch);
        }
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
    /// A certificate authority's (basic constraints `cA`), not a document signer's.
    Authority,
    /// Its key usage lacks (or it has no key usage with) digitalSignature.
    KeyUsage,
    /// Its subject's country (`C=`) is not the country given, or it has none.
    CountryMismatch(Option<String>),
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
            ImportProblem::Authority => ("/certificate", "credentials-trust-certificate-authority"),
            ImportProblem::KeyUsage => ("/certificate", "credentials-trust-certificate-key-usage"),
            ImportProblem::CountryMismatch(_) => ("/country", "credentials-trust-country-mismatch"),
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
            ImportProblem::Authority => {
                "certificate: a certificate authority's (basic constraints cA), not a document signer's".to_owned()
            }
            ImportProblem::KeyUsage => "certificate: its key usage does not include digitalSignature".to_owned(),
            ImportProblem::CountryMismatch(Some(c)) => format!("country: the certificate's subject is in {c}"),
            ImportProblem::CountryMismatch(None) => "country: the certificate's subject names no country".to_owned(),
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
/// or PEM), a key hcert can verify with, an end entity (not a CA) whose key
/// usage includes digitalSignature, issued in that country (subject `C=`),
/// and valid at `now`.
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
    let profile = profile(&der).map_err(ImportProblem::NotCertificate)?;
    if profile.authority {
        return Err(ImportProblem::Authority);
    }
    if !profile.digital_signature {
        return Err(ImportProblem::KeyUsage);
    }
    if profile.country.as_deref() != Some(country) {
        return Err(ImportProblem::CountryMismatch(profile.country));
    }
    let (not_before, not_after) = (profile.not_before, profile.not_after);
    if now > not_after {
        return Err(ImportProblem::Expired(not_after));
    }
    if now < not_before {
        return Err(ImportProblem::NotYetValid(not_before));
    }
    Ok(ForeignSigner { country: country.to_owned(), der, not_after })
}

/// What an import checks of a certificate beyond its key.
struct Profile {
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    /// Basic constraints say `cA`.
    authority: bool,
    /// A key usage extension with digitalSignature.
    digital_signature: bool,
    /// The subject's country (`C=`).
    country: Option<String>,
}

fn profile(der: &[u8]) -> Result<Profile, String> {
    use x509_cert::der::Decode as _;
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage};
    let certificate = x509_cert::Certificate::from_der(der).map_err(|e| e.to_string())?;
    let tbs = certificate.tbs_certificate();
    let validity = tbs.validity();
    let at = |t: x509_cert::time::Time| {
        let seconds = t.to_unix_duration().as_secs();
        OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    };
    let authority = tbs.get_extension::<BasicConstraints>().map_err(|e| e.to_string())?.is_some_and(|(_, b)| b.ca);
    let digital_signature =
        tbs.get_extension::<KeyUsage>().map_err(|e| e.to_string())?.is_some_and(|(_, usage)| usage.digital_signature());
    let country = tbs.subject().country().map_err(|e| e.to_string())?.map(|c| c.as_str().to_owned());
    Ok(Profile {
        not_before: at(validity.not_before)?,
        not_after: at(validity.not_after)?,
        authority,
        digital_signature,
        country,
    })
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
    fn the_signed_message_is_the_path_the_issue_time_and_the_body() {
        assert_eq!(
            signed_message("/api/v1/credentials/trust-list/dsc", "2026-11-30T12:00:00Z", b"[]"),
            b"/api/v1/credentials/trust-list/dsc\n2026-11-30T12:00:00Z\n[]"
        );
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

    // P-256 certificates (openssl, valid until 2125) that differ in one thing each.
    const GOOD: &str = "MIIBpDCCAUqgAwIBAgIUaKl8D9afLOD1EJqwgVDQzBtX5+4wCgYIKoZIzj0EAwIwIDELMAkGA1UEBhMCREUxETAPBgNVBAMMCHRlc3QgZHNjMCAXDTI2MTEzMDIwNDUwNloYDzIxMjYxMTA2MjA0NTA2WjAgMQswCQYDVQQGEwJERTERMA8GA1UEAwwIdGVzdCBkc2MwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR+T483FA1Yxp7QT1WpWE3ixltow+mlQ3yotXmZ1HeHm6Sbv2E1uqx0YBbTMFyzGX9tNZzfEE7NbTeT249HdeLpo2AwXjAdBgNVHQ4EFgQUqp5UsbLcJltSZ+yqCDFpKOdf/jgwHwYDVR0jBBgwFoAUqp5UsbLcJltSZ+yqCDFpKOdf/jgwDgYDVR0PAQH/BAQDAgeAMAwGA1UdEwEB/wQCMAAwCgYIKoZIzj0EAwIDSAAwRQIgDAwv/U229L0Ewg22OasY8s7PKAO9o1Bq/ROVKYR8S9wCIQCKsYxnz1xw9xhnP4eCYLE8pvgqU8lzGCIeAjgGB0j/2w==";
    const AUTHORITY: &str = "MIIBqjCCAU+gAwIBAgIUNxS+2PondeNHY2Nk2q30pnWs09MwCgYIKoZIzj0EAwIwITELMAkGA1UEBhMCREUxEjAQBgNVBAMMCXRlc3QgY3NjYTAgFw0yNjExMzAyMDQ1MDZaGA8yMTI2MTEwNjIwNDUwNlowITELMAkGA1UEBhMCREUxEjAQBgNVBAMMCXRlc3QgY3NjYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABH5PjzcUDVjGntBPValYTeLGW2jD6aVDfKi1eZnUd4ebpJu/YTW6rHRgFtMwXLMZf201nN8QTs1tN5Pbj0d14umjYzBhMB0GA1UdDgQWBBSqnlSxstwmW1Jn7KoIMWko51/+ODAfBgNVHSMEGDAWgBSqnlSxstwmW1Jn7KoIMWko51/+ODAOBgNVHQ8BAf8EBAMCAoQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA3q5QpoeWlczZZ0zCNeDRto9sAbp1sbiZIoXXO2Jd0qsCIQDDXTYAoPUWHDGhcw7bt7O/F20QHSp8OJ1KLN4hxyafXA==";
    const NO_DIGITAL_SIGNATURE: &str = "MIIBozCCAUqgAwIBAgIUPcnG5uJvyiFcH3WxIq58oPxs3FkwCgYIKoZIzj0EAwIwIDELMAkGA1UEBhMCREUxETAPBgNVBAMMCHRlc3QgZHNjMCAXDTI2MTEzMDIwNDUwNloYDzIxMjYxMTA2MjA0NTA2WjAgMQswCQYDVQQGEwJERTERMA8GA1UEAwwIdGVzdCBkc2MwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR+T483FA1Yxp7QT1WpWE3ixltow+mlQ3yotXmZ1HeHm6Sbv2E1uqx0YBbTMFyzGX9tNZzfEE7NbTeT249HdeLpo2AwXjAdBgNVHQ4EFgQUqp5UsbLcJltSZ+yqCDFpKOdf/jgwHwYDVR0jBBgwFoAUqp5UsbLcJltSZ+yqCDFpKOdf/jgwDgYDVR0PAQH/BAQDAgUgMAwGA1UdEwEB/wQCMAAwCgYIKoZIzj0EAwIDRwAwRAIgaVJPZQZnHopVU0o5DOArrLYxrWMMiYv0z/H5BPAlXbQCIDSlwqQ3Biped8gGPLoFcizlsXO6XonH0easaTXmPrq6";
    const NO_KEY_USAGE: &str = "MIIBlTCCATqgAwIBAgIUdyVTTjGSnULWkVaix+LBkR3fdTswCgYIKoZIzj0EAwIwIDELMAkGA1UEBhMCREUxETAPBgNVBAMMCHRlc3QgZHNjMCAXDTI2MTEzMDIwNDUwNloYDzIxMjYxMTA2MjA0NTA2WjAgMQswCQYDVQQGEwJERTERMA8GA1UEAwwIdGVzdCBkc2MwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR+T483FA1Yxp7QT1WpWE3ixltow+mlQ3yotXmZ1HeHm6Sbv2E1uqx0YBbTMFyzGX9tNZzfEE7NbTeT249HdeLpo1AwTjAdBgNVHQ4EFgQUqp5UsbLcJltSZ+yqCDFpKOdf/jgwHwYDVR0jBBgwFoAUqp5UsbLcJltSZ+yqCDFpKOdf/jgwDAYDVR0TAQH/BAIwADAKBggqhkjOPQQDAgNJADBGAiEA6B94oJ3ybbPlmpL0/HF6T7N/hpqK2B7Or4wECj5tFM8CIQDgBuozWqayDQBGp8E7KnpCEQzqJEsdyJ0EBUikjnF+zg==";
    const NO_COUNTRY: &str = "MIIBizCCATCgAwIBAgIUF+PACFKKKehDxbqUACz0O+KxkVMwCgYIKoZIzj0EAwIwEzERMA8GA1UEAwwIdGVzdCBkc2MwIBcNMjYxMTMwMjA0NTEyWhgPMjEyNjExMDYyMDQ1MTJaMBMxETAPBgNVBAMMCHRlc3QgZHNjMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfk+PNxQNWMae0E9VqVhN4sZbaMPppUN8qLV5mdR3h5ukm79hNbqsdGAW0zBcsxl/bTWc3xBOzW03k9uPR3Xi6aNgMF4wHQYDVR0OBBYEFKqeVLGy3CZbUmfsqggxaSjnX/44MB8GA1UdIwQYMBaAFKqeVLGy3CZbUmfsqggxaSjnX/44MA4GA1UdDwEB/wQEAwIHgDAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMCA0kAMEYCIQCfeOV9XKSPI8QOIids3CS0gKbB9nOJ/A0sXnLVVW8otwIhAInviw1mfPT63ADHVtzcyQJkVtELhdG429TFtA9Pwv5v";

    #[test]
    fn foreign_signers_are_end_entities_that_sign_for_the_country_given() {
        let now = OffsetDateTime::now_utc();
        let signer = check_foreign("DE", GOOD, now).unwrap();
        assert_eq!(signer.country, "DE");
        assert_eq!(check_foreign("DE", AUTHORITY, now), Err(ImportProblem::Authority));
        assert_eq!(check_foreign("DE", NO_DIGITAL_SIGNATURE, now), Err(ImportProblem::KeyUsage));
        assert_eq!(check_foreign("DE", NO_KEY_USAGE, now), Err(ImportProblem::KeyUsage));
        assert_eq!(check_foreign("FR", GOOD, now), Err(ImportProblem::CountryMismatch(Some("DE".into()))));
        assert_eq!(check_foreign("DE", NO_COUNTRY, now), Err(ImportProblem::CountryMismatch(None)));
        assert_eq!(ImportProblem::CountryMismatch(None).field_and_key().0, "/country");
        assert!(ImportProblem::CountryMismatch(Some("DE".into())).describe().contains("DE"));
    }
}
