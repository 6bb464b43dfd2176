//! COSE_Sign1 (RFC 9052) as HCERT uses it: parsing from CBOR, the key identifier, signing and verifying with ES256 or PS256.

use coset::{AsCborValue as _, TaggedCborSerializable as _, iana};
use p256::ecdsa::signature::{RandomizedSigner as _, Signer as _, Verifier as _};
use rsa::rand_core::OsRng;

use crate::Error;
use crate::trust::{PublicKey, Signer};

/// CBOR tag of a COSE_Sign1.
const TAG_SIGN1: u64 = 18;
/// CBOR tag of a CWT, which some issuers put around the COSE_Sign1.
const TAG_CWT: u64 = 61;

/// A parsed COSE_Sign1 whose signature is not yet checked.
#[derive(Debug, Clone)]
pub struct Sign1 {
    inner: coset::CoseSign1,
}

/// One CBOR item from `bytes`, refusing anything after it.
pub(crate) fn cbor_item(bytes: &[u8]) -> Result<ciborium::Value, Error> {
    let mut rest = bytes;
    let value: ciborium::Value = ciborium::de::from_reader(&mut rest).map_err(|e| Error::Cbor(e.to_string()))?;
    if !rest.is_empty() {
        return Err(Error::Cbor(format!("{} bytes after the CBOR item", rest.len())));
    }
    Ok(value)
}

impl Sign1 {
    /// Parses a COSE_Sign1: tagged 18, untagged, or tag 61 around tag 18.
    pub fn parse(bytes: &[u8]) -> Result<Sign1, Error> {
        let mut value = cbor_item(bytes)?;
        if let ciborium::Value::Tag(TAG_CWT, inner) = value {
            value = *inner;
            if !matches!(value, ciborium::Value::Tag(TAG_SIGN1, _)) {
                return Err(Error::CoseStructure("CWT tag 61 around something other than a COSE_Sign1".into()));
            }
        }
        match value {
            ciborium::Value::Tag(TAG_SIGN1, inner) => value = *inner,
            ciborium::Value::Tag(tag, _) => {
                return Err(Error::CoseStructure(format!("tag {tag} where a COSE_Sign1 (tag 18) was expected")));
            }
            _ => {}
        }
        let inner = coset::CoseSign1::from_cbor_value(value).map_err(|e| Error::CoseStructure(e.to_string()))?;
        if inner.payload.is_none() {
            return Err(Error::CoseStructure("detached payload".into()));
        }
        Ok(Sign1 { inner })
    }

    /// The key identifier: the protected header's, else the unprotected one's
    /// (the HCERT rule), else empty.
    pub fn kid(&self) -> &[u8] {
        let protected = &self.inner.protected.header.key_id;
        if protected.is_empty() { &self.inner.unprotected.key_id } else { protected }
    }

    /// The signed bytes (a CWT claims set, for an HCERT).
    pub fn payload(&self) -> &[u8] {
        self.inner.payload.as_deref().unwrap_or_default()
    }

    /// Checks the signature with one key. The algorithm in the protected
    /// header (or, failing that, the unprotected one) must fit the key.
    pub fn verify(&self, key: &PublicKey) -> Result<(), Error> {
        let alg = self.inner.protected.header.alg.as_ref().or(self.inner.unprotected.alg.as_ref());
        let fits = match (alg, key) {
            (None, _) => true,
            (Some(alg), PublicKey::Es256(_)) => *alg == coset::Algorithm::Assigned(iana::Algorithm::ES256),
            (Some(alg), PublicKey::Ps256(_)) => *alg == coset::Algorithm::Assigned(iana::Algorithm::PS256),
        };
        if !fits {
            return Err(Error::BadSignature);
        }
        self.inner.verify_signature(b"", |signature, data| match key {
            PublicKey::Es256(key) => p256::ecdsa::Signature::from_slice(signature)
                .ok()
                .and_then(|signature| key.verify(data, &signature).ok())
                .ok_or(Error::BadSignature),
            PublicKey::Ps256(key) => rsa::pss::Signature::try_from(signature)
                .ok()
                .and_then(|signature| {
                    rsa::pss::VerifyingKey::<sha2::Sha256>::new(key.clone()).verify(data, &signature).ok()
                })
                .ok_or(Error::BadSignature),
        })
    }

    /// Signs `payload`: protected header with the algorithm and kid, nothing
    /// unprotected; the COSE_Sign1 tagged 18.
    pub fn sign(payload: Vec<u8>, signer: &Signer) -> Result<Vec<u8>, Error> {
        let alg = match signer {
            Signer::Es256 { .. } => iana::Algorithm::ES256,
            Signer::Ps256 { .. } => iana::Algorithm::PS256,
        };
        let protected = coset::HeaderBuilder::new().algorithm(alg).key_id(signer.kid().0.to_vec()).build();
        let signed = coset::CoseSign1Builder::new()
            .protected(protected)
            .payload(payload)
            .try_create_signature(b"", |data| -> Result<Vec<u8>, Error> {
                match signer {
                    Signer::Es256 { key, .. } => {
                        let signature: p256::ecdsa::Signature =
                            key.try_sign(data).map_err(|e| Error::Signing(e.to_string()))?;
                        Ok(signature.to_bytes().to_vec())
                    }
                    Signer::Ps256 { key, .. } => {
                        let key = rsa::pss::BlindedSigningKey::<sha2::Sha256>::new((**key).clone());
                        let signature =
                            key.try_sign_with_rng(&mut OsRng, data).map_err(|e| Error::Signing(e.to_string()))?;
                        Ok(Box::<[u8]>::from(signature).into_vec())
                    }
                }
            })?
            .build();
        signed.to_tagged_vec().map_err(|e| Error::Signing(e.to_string()))
    }
}
