//! X.509 certificates for signing keys that others must be able to import:
//! a self-signed root (a CSCA, in the EU Digital COVID Certificate's terms)
//! and document-signer certificates (DSCs) issued under it (DESIGN.md §8).
//!
//! The structures and their encoding come from `x509-cert` (RFC 5280); this
//! module only puts the to-be-signed parts in order and signs them with
//! P-256 (ECDSA with SHA-256). `x509-cert`'s own builder needs the next
//! major version of the signature traits, which our `p256` does not have.

use std::time::SystemTime;

use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::{DecodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::asn1::{Any, BitString, ObjectIdentifier, OctetString};
use x509_cert::der::{Decode, Encode, Tag, TagNumber};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

/// ecdsa-with-SHA256 (RFC 5758).
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");

/// Why a certificate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("certificate encoding: {0}")]
    Encoding(String),
    #[error("signing key: {0}")]
    Key(String),
}

fn enc(e: impl std::fmt::Display) -> CertificateError {
    CertificateError::Encoding(e.to_string())
}

/// What a new certificate says about its key.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The subject's country (ISO 3166-1 alpha-2).
    pub country: &'a str,
    pub organisation: &'a str,
    pub common_name: &'a str,
    /// A root signs certificates; a document signer signs documents.
    pub root: bool,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

/// The issuer of a certificate: itself (for a root), or a root's
/// certificate and its PKCS#8 private key.
#[derive(Debug, Clone, Copy)]
pub enum Issuer<'a> {
    SelfSigned,
    Root { certificate: &'a [u8], key_pkcs8: &'a [u8] },
}

/// The key identifier of RFC 5280 §4.2.1.2 (method 1: SHA-1 there; we use
/// the first 20 bytes of SHA-256, which the RFC allows).
fn key_id(spki_der: &[u8]) -> Result<Vec<u8>, CertificateError> {
    let spki = x509_cert::spki::SubjectPublicKeyInfoRef::from_der(spki_der).map_err(enc)?;
    Ok(Sha256::digest(spki.subject_public_key.raw_bytes())[..20].to_vec())
}

fn name(country: &str, organisation: &str, common_name: &str) -> Result<Name, CertificateError> {
    // RFC 4514 string form; escape the characters it reserves.
    let escape = |s: &str| {
        s.chars()
            .flat_map(|c| {
                let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' | '#');
                special.then_some('\\').into_iter().chain(std::iter::once(c))
            })
            .collect::<String>()
    };
    format!("CN={},O={},C={}", escape(common_name), escape(organisation), escape(country)).parse().map_err(enc)
}

fn extension(id: ObjectIdentifier, critical: bool, value: &impl Encode) -> Result<Extension, CertificateError> {
    Ok(Extension { extn_id: id, critical, extn_value: OctetString::new(value.to_der().map_err(enc)?).map_err(enc)? })
}

/// Wraps `content` (already DER) in one tag.
fn wrap(tag: Tag, content: &[u8]) -> Result<Vec<u8>, CertificateError> {
    Any::new(tag, content.to_vec()).map_err(enc)?.to_der().map_err(enc)
}

fn explicit(number: u32, content: &[u8]) -> Result<Vec<u8>, CertificateError> {
    wrap(Tag::ContextSpecific { constructed: true, number: TagNumber(number) }, content)
}

/// Makes a certificate for the P-256 key whose SubjectPublicKeyInfo is
/// `spki_der`, signed by `issuer` (or by `self_key_pkcs8` when self-signed).
/// Returns the certificate's DER.
pub fn issue(
    request: &Request<'_>,
    spki_der: &[u8],
    self_key_pkcs8: &[u8],
    issuer: Issuer<'_>,
) -> Result<Vec<u8>, CertificateError> {
    let subject = name(request.country, request.organisation, request.common_name)?;
    let subject_key_id = key_id(spki_der)?;
    let (issuer_name, issuer_key_id, signing_pkcs8) = match issuer {
        Issuer::SelfSigned => (subject.clone(), subject_key_id.clone(), self_key_pkcs8),
        Issuer::Root { certificate, key_pkcs8 } => {
            let root = Certificate::from_der(certificate).map_err(enc)?;
            let root_spki = root.tbs_certificate().subject_public_key_info().to_der().map_err(enc)?;
            (root.tbs_certificate().subject().clone(), key_id(&root_spki)?, key_pkcs8)
        }
    };
    let signing_key =
        p256::ecdsa::SigningKey::from_pkcs8_der(signing_pkcs8).map_err(|e| CertificateError::Key(e.to_string()))?;

    let algorithm = AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA256, parameters: None }.to_der().map_err(enc)?;
    let mut serial = crate::crypto::random_bytes::<16>();
    serial[0] &= 0x7f; // positive, and at most 20 octets (RFC 5280 §4.1.2.2)
    serial[0] |= 0x01; // no leading zero to strip
    let validity = [
        Time::try_from(request.not_before).map_err(enc)?.to_der().map_err(enc)?,
        Time::try_from(request.not_after).map_err(enc)?.to_der().map_err(enc)?,
    ]
    .concat();
    let usage = if request.root {
        KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)
    } else {
        KeyUsage(KeyUsages::DigitalSignature.into())
    };
    let constraints = BasicConstraints { ca: request.root, path_len_constraint: request.root.then_some(0) };
    let authority = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(issuer_key_id).map_err(enc)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let extensions = [
        extension(BASIC_CONSTRAINTS, true, &constraints)?,
        extension(KEY_USAGE, true, &usage)?,
        extension(SUBJECT_KEY_ID, false, &SubjectKeyIdentifier(OctetString::new(subject_key_id).map_err(enc)?))?,
        extension(AUTHORITY_KEY_ID, false, &authority)?,
    ];
    let extensions = extensions.to_vec().to_der().map_err(enc)?;

    let tbs_parts = [
        explicit(0, &2u8.to_der().map_err(enc)?)?, // v3
        SerialNumber::<x509_cert::certificate::Rfc5280>::new(&serial).map_err(enc)?.to_der().map_err(enc)?,
        algorithm.clone(),
        issuer_name.to_der().map_err(enc)?,
        wrap(Tag::Sequence, &validity)?,
        subject.to_der().map_err(enc)?,
        spki_der.to_vec(),
        explicit(3, &extensions)?,
    ]
    .concat();
    let tbs = wrap(Tag::Sequence, &tbs_parts)?;
    let signature: p256::ecdsa::Signature = signing_key.sign(&tbs);
    let signature = BitString::from_bytes(signature.to_der().as_bytes()).map_err(enc)?.to_der().map_err(enc)?;
    let der = wrap(Tag::Sequence, &[tbs, algorithm, signature].concat())?;
    // Parse what we made: a malformed certificate must never be published.
    Certificate::from_der(&der).map_err(enc)?;
    Ok(der)
}

/// The SubjectPublicKeyInfo (DER) of a P-256 private key in PKCS#8.
pub fn public_key_info(pkcs8: &[u8]) -> Result<Vec<u8>, CertificateError> {
    let key = p256::SecretKey::from_pkcs8_der(pkcs8).map_err(|e| CertificateError::Key(e.to_string()))?;
    Ok(key.public_key().to_public_key_der().map_err(|e| CertificateError::Key(e.to_string()))?.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use p256::ecdsa::signature::Verifier as _;
    use p256::pkcs8::DecodePublicKey;

    use super::*;

    fn key() -> Vec<u8> {
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        secret.to_pkcs8_der().unwrap().as_bytes().to_vec()
    }

    fn request(common_name: &str, root: bool) -> Request<'_> {
        let now = SystemTime::now();
        Request {
            country: "HK",
            organisation: "Lionrock, test",
            common_name,
            root,
            not_before: now,
            not_after: now + Duration::from_secs(86_400),
        }
    }

    /// The signature of `cert` checks with the key in `signer`'s certificate.
    fn signed_by(cert: &[u8], signer: &[u8]) -> bool {
        let cert = Certificate::from_der(cert).unwrap();
        let signer = Certificate::from_der(signer).unwrap();
        let spki = signer.tbs_certificate().subject_public_key_info().to_der().unwrap();
        let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).unwrap();
        let tbs = cert.tbs_certificate().to_der().unwrap();
        let sig = p256::ecdsa::Signature::from_der(cert.signature().raw_bytes()).unwrap();
        key.verify(&tbs, &sig).is_ok()
    }

    #[test]
    fn a_root_signs_itself_and_the_document_signers_under_it() {
        let root_key = key();
        let root =
            issue(&request("Root", true), &public_key_info(&root_key).unwrap(), &root_key, Issuer::SelfSigned).unwrap();
        let dsc_key = key();
        let dsc = issue(
            &request("DSC", false),
            &public_key_info(&dsc_key).unwrap(),
            &dsc_key,
            Issuer::Root { certificate: &root, key_pkcs8: &root_key },
        )
        .unwrap();
        assert!(signed_by(&root, &root));
        assert!(signed_by(&dsc, &root));
        assert!(!signed_by(&dsc, &dsc));

        let parsed = Certificate::from_der(&dsc).unwrap();
        let tbs = parsed.tbs_certificate();
        assert_eq!(tbs.issuer(), Certificate::from_der(&root).unwrap().tbs_certificate().subject());
        assert_eq!(tbs.subject().to_string(), "CN=DSC,O=Lionrock\\, test,C=HK");
        let constraints = tbs.get_extension::<BasicConstraints>().unwrap().unwrap().1;
        assert!(!constraints.ca);
        let usage = tbs.get_extension::<KeyUsage>().unwrap().unwrap().1;
        assert!(usage.digital_signature() && !usage.key_cert_sign());
        let root_usage = Certificate::from_der(&root).unwrap().tbs_certificate().get_extension::<KeyUsage>().unwrap();
        assert!(root_usage.unwrap().1.key_cert_sign());
    }
}
