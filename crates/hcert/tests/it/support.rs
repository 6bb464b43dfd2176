//! Shared test helpers: the conformance data folder, signing keys made once, and sample payloads.

use std::path::PathBuf;
use std::sync::OnceLock;

use hcert::{Claims, Kid, Signer, TrustList, TrustedKey};

/// The EU conformance data (`../shared/testdata/dcc` beside the clone), or
/// `LIONROCK_TEST_DCC_DIR`. `None` (with the reason printed) when absent
/// outside CI; under `CI=true` a missing folder fails the test.
pub(crate) fn dcc_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LIONROCK_TEST_DCC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/dcc"));
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "no DCC conformance data at {}", dir.display());
    println!("skipped: no DCC conformance data at {} (set LIONROCK_TEST_DCC_DIR)", dir.display());
    None
}

/// An ES256 key, made once per test binary.
pub(crate) fn es256_key() -> &'static p256::ecdsa::SigningKey {
    static KEY: OnceLock<p256::ecdsa::SigningKey> = OnceLock::new();
    KEY.get_or_init(|| p256::ecdsa::SigningKey::random(&mut rand_core::OsRng))
}

/// An RSA 2048 key, made once per test binary (key generation is slow).
pub(crate) fn rsa_key() -> &'static rsa::RsaPrivateKey {
    static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap())
}

pub(crate) const ES256_KID: Kid = Kid([1, 2, 3, 4, 5, 6, 7, 8]);
pub(crate) const PS256_KID: Kid = Kid([8, 7, 6, 5, 4, 3, 2, 1]);

pub(crate) fn es256() -> Signer {
    Signer::Es256 { key: es256_key().clone(), kid: ES256_KID }
}

pub(crate) fn ps256() -> Signer {
    Signer::Ps256 { key: Box::new(rsa_key().clone()), kid: PS256_KID }
}

/// A trust list holding both test signers, unrestricted.
pub(crate) fn trust_both() -> TrustList {
    let mut trust = TrustList::new();
    for signer in [es256(), ps256()] {
        trust.add(TrustedKey { kid: signer.kid(), key: signer.public_key(), usage: hcert::KeyUsage::ANY });
    }
    trust
}

/// 2021-06-01T00:00:00Z.
pub(crate) const ISSUED_AT: i64 = 1_622_505_600;
/// A year later.
pub(crate) const EXPIRES_AT: i64 = ISSUED_AT + 365 * 86_400;

pub(crate) fn claims() -> Claims {
    Claims { issuer: Some("HK".into()), issued_at: ISSUED_AT, expires_at: EXPIRES_AT }
}

pub(crate) use crate::sample::{name, vaccination};
