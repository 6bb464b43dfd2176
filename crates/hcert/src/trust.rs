//! Keys: document signers (ES256 or PS256) that sign, and the trust list of public keys and certificates that verifies, with key usage.

use std::collections::HashMap;

use p256::pkcs8::DecodePublicKey as _;
use sha2::{Digest as _, Sha256};
use x509_cert::der::{Decode as _, Encode as _};

use crate::dcc::RecordKind;

/// A key identifier: the first 8 bytes of the SHA-256 of the document
/// signer's DER certificate.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kid(pub [u8; 8]);

impl Kid {
    /// The key identifier of a DER certificate.
    pub fn of_certificate(der: &[u8]) -> Kid {
        let digest = Sha256::digest(der);
        let mut kid = [0; 8];
        kid.copy_from_slice(&digest[..8]);
        Kid(kid)
    }
}

impl std::fmt::Debug for Kid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kid({self})")
    }
}

impl std::fmt::Display for Kid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A document signer's public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// ECDSA on P-256 with SHA-256 (COSE algorithm -7).
    Es256(p256::ecdsa::VerifyingKey),
    /// RSASSA-PSS with SHA-256 (COSE algorithm -37).
    Ps256(rsa::RsaPublicKey),
}

impl PublicKey {
    /// A public key from its DER SubjectPublicKeyInfo (as in a certificate or a JWK's `x5c`).
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, CertificateError> {
        if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey::Es256(key));
        }
        rsa::RsaPublicKey::from_public_key_der(der).map(PublicKey::Ps256).map_err(|_| CertificateError::UnsupportedKey)
    }
}

/// What a document signer may sign, from its certificate's extended key usage.
///
/// The DCC marks a signer restricted to some kinds of record with the OIDs
/// `1.3.6.1.4.1.1847.2021.1.1` (test), `.2` (vaccination) and `.3` (recovery),
/// also spelt `1.3.6.1.4.1.0.1847.2021.1.*`. A certificate whose extended key
/// usage names at least one of them may sign only those kinds. One without
/// an extended key usage, with an empty one, or with one that names only other
/// purposes (TLS client, e-mail: several countries' signers carry those) is
/// unrestricted, as the EU's national verifier apps treat it, and may sign
/// every kind, our exemptions included. An exemption, for which the DCC has
/// no OID, may be signed only by an unrestricted signer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage {
    restricted: bool,
    test: bool,
    vaccination: bool,
    recovery: bool,
}

impl KeyUsage {
    /// A signer that may sign every kind of record.
    pub const ANY: KeyUsage = KeyUsage { restricted: false, test: true, vaccination: true, recovery: true };

    /// A signer restricted to the given kinds (exemptions are never among them).
    pub fn only(kinds: &[RecordKind]) -> KeyUsage {
        KeyUsage {
            restricted: true,
            test: kinds.contains(&RecordKind::Test),
            vaccination: kinds.contains(&RecordKind::Vaccination),
            recovery: kinds.contains(&RecordKind::Recovery),
        }
    }

    /// Whether the signer may sign this kind of record.
    pub fn allows(&self, kind: RecordKind) -> bool {
        match kind {
            RecordKind::Test => self.test,
            RecordKind::Vaccination => self.vaccination,
            RecordKind::Recovery => self.recovery,
            RecordKind::Exemption => !self.restricted,
        }
    }

    /// From the extended key usage OIDs, in dotted form (none when the
    /// certificate has no such extension).
    pub fn from_extended_key_usage<S: AsRef<str>>(oids: &[S]) -> KeyUsage {
        let has = |n: char| {
            oids.iter().any(|oid| {
                let oid = oid.as_ref();
                [EKU_ARC, EKU_ARC_ALTERNATIVE]
                    .iter()
                    .any(|arc| oid.strip_prefix(arc).is_some_and(|rest| rest.len() == 1 && rest.starts_with(n)))
            })
        };
        let (test, vaccination, recovery) = (has('1'), has('2'), has('3'));
        if !(test || vaccination || recovery) {
            return KeyUsage::ANY;
        }
        KeyUsage { restricted: true, test, vaccination, recovery }
    }
}

const EKU_ARC: &str = "1.3.6.1.4.1.1847.2021.1.";
const EKU_ARC_ALTERNATIVE: &str = "1.3.6.1.4.1.0.1847.2021.1.";

/// A certificate or key the trust list cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// Not a DER X.509 certificate.
    #[error("not a DER X.509 certificate: {0}")]
    Malformed(String),
    /// The key is neither P-256 nor RSA.
    #[error("the key is neither P-256 (ES256) nor RSA (PS256)")]
    UnsupportedKey,
}

/// A public key the verifier trusts, with what it may sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// Its key identifier.
    pub kid: Kid,
    /// The key.
    pub key: PublicKey,
    /// What it may sign.
    pub usage: KeyUsage,
}

impl TrustedKey {
    /// A document signer from its DER X.509 certificate (an EU gateway trust
    /// list's `rawData`): the key, the kid (SHA-256 of the DER) and the key
    /// usage. The certificate's own signature and validity dates are the trust
    /// list's business, not checked here.
    pub fn from_certificate(der: &[u8]) -> Result<TrustedKey, CertificateError> {
        let certificate =
            x509_cert::Certificate::from_der(der).map_err(|e| CertificateError::Malformed(e.to_string()))?;
        let tbs = certificate.tbs_certificate();
        let spki = tbs.subject_public_key_info().to_der().map_err(|e| CertificateError::Malformed(e.to_string()))?;
        let key = PublicKey::from_spki_der(&spki)?;
        let eku = tbs
            .get_extension::<x509_cert::ext::pkix::ExtendedKeyUsage>()
            .map_err(|e| CertificateError::Malformed(e.to_string()))?
            .map(|(_, eku)| eku.0.iter().map(ToString::to_string).collect::<Vec<_>>());
        Ok(TrustedKey {
            kid: Kid::of_certificate(der),
            key,
            usage: KeyUsage::from_extended_key_usage(&eku.unwrap_or_default()),
        })
    }
}

/// The document signers a verifier trusts, looked up by key identifier.
/// Several keys may share a kid (8 bytes can collide); each is tried.
#[derive(Debug, Clone, Default)]
pub struct TrustList {
    keys: HashMap<Kid, Vec<TrustedKey>>,
}

impl TrustList {
    /// An empty trust list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts a key.
    pub fn add(&mut self, key: TrustedKey) {
        self.keys.entry(key.kid).or_default().push(key);
    }

    /// Trusts a document signer's DER certificate; returns its kid.
    pub fn add_certificate(&mut self, der: &[u8]) -> Result<Kid, CertificateError> {
        let key = TrustedKey::from_certificate(der)?;
        let kid = key.kid;
        self.add(key);
        Ok(kid)
    }

    /// The trusted keys with this identifier.
    pub fn keys(&self, kid: &[u8]) -> &[TrustedKey] {
        <[u8; 8]>::try_from(kid).ok().and_then(|kid| self.keys.get(&Kid(kid))).map_or(&[], Vec::as_slice)
    }
}

/// A document signer's private key and key identifier.
pub enum Signer {
    /// ECDSA P-256 with SHA-256.
    Es256 {
        /// The private key.
        key: p256::ecdsa::SigningKey,
        /// The kid of its certificate.
        kid: Kid,
    },
    /// RSASSA-PSS with SHA-256 (salt of 32 bytes, from the operating system's random source).
    Ps256 {
        /// The private key.
        key: Box<rsa::RsaPrivateKey>,
        /// The kid of its certificate.
        kid: Kid,
    },
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        match self {
            Signer::Es256 { kid, .. } => write!(f, "Signer::Es256({kid})"),
            Signer::Ps256 { kid, .. } => write!(f, "Signer::Ps256({kid})"),
        }
    }
}

impl Signer {
    /// The key identifier.
    pub fn kid(&self) -> Kid {
        match self {
            Signer::Es256 { kid, .. } | Signer::Ps256 { kid, .. } => *kid,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            Signer::Es256 { key, .. } => PublicKey::Es256(*key.verifying_key()),
            Signer::Ps256 { key, .. } => PublicKey::Ps256(key.to_public_key()),
        }
    }
}
