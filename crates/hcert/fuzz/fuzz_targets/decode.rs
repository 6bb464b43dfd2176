//! Fuzz target: no input makes any decoding step of hcert panic, from the `HC1:` text down to the schema check.

#![no_main]

use std::sync::OnceLock;

use hcert::{KeyUsage, Kid, PublicKey, TrustList, TrustedKey, ValueSets, cose, cwt, envelope, schema};
use libfuzzer_sys::fuzz_target;

/// 2021-06-01T00:00:00Z, inside most of the seed vectors' validity.
const NOW: i64 = 1_622_505_600;

/// Fixed keys (one per algorithm), so that signature checking runs on every parsed COSE_Sign1.
fn keys() -> &'static [PublicKey; 2] {
    static KEYS: OnceLock<[PublicKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let ec = p256::ecdsa::SigningKey::from_slice(&[7; 32]).map(|k| *k.verifying_key());
        let n = rsa::BigUint::from_bytes_be(&[0xc5; 256]);
        let rsa = rsa::RsaPublicKey::new(n, rsa::BigUint::from(65_537u32));
        match (ec, rsa) {
            (Ok(ec), Ok(rsa)) => [PublicKey::Es256(ec), PublicKey::Ps256(rsa)],
            _ => std::process::abort(),
        }
    })
}

fn trust(kid: &[u8]) -> TrustList {
    let mut trust = TrustList::new();
    if let Ok(kid) = <[u8; 8]>::try_from(kid) {
        for key in keys() {
            trust.add(TrustedKey { kid: Kid(kid), key: key.clone(), usage: KeyUsage::ANY });
        }
    }
    trust
}

fn after_signature(claims: &[u8]) {
    if let Ok((claims, payload)) = cwt::decode(claims)
        && let Ok(dcc) = schema::parse(&payload)
    {
        let _ = schema::validate(&dcc, &ValueSets::unchecked(), Some(claims.issued_at));
    }
}

fn cose_steps(bytes: &[u8]) {
    if let Ok(sign1) = cose::Sign1::parse(bytes) {
        for key in keys() {
            let _ = sign1.verify(key);
        }
        after_signature(sign1.payload());
    }
}

fuzz_target!(|data: &[u8]| {
    // The whole pipeline on text, as a verifier gets it from a QR code.
    if let Ok(text) = std::str::from_utf8(data) {
        let kid = envelope::open(text).ok().and_then(|b| cose::Sign1::parse(&b).ok()).map(|s| s.kid().to_vec());
        let _ = hcert::decode(text, &trust(&kid.unwrap_or_default()), &ValueSets::unchecked(), NOW);
        if let Ok(bytes) = envelope::open(text) {
            cose_steps(&bytes);
        }
    }
    // Each later step on raw bytes, so the fuzzer need not get through Base45 and zlib first.
    let _ = envelope::inflate(data);
    cose_steps(data);
    after_signature(data);
    let _ = TrustedKey::from_certificate(data);
});
