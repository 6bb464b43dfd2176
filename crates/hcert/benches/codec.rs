//! How fast hcert issues and verifies a credential on one core, beside the
//! raw ES256 signing and verifying rates of the same crypto library measured
//! in the same run, so the codec's own cost (CBOR, zlib, Base45, schema)
//! shows as a ratio. `cargo bench -p hcert`; results go in BENCHMARKS.md.
#![allow(clippy::expect_used, reason = "a benchmark stops at its first failure, with the reason")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use hcert::{Claims, KeyUsage, Kid, Signer, TrustList, TrustedKey, ValueSets};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey};

#[path = "../tests/it/sample.rs"]
mod sample;

/// Runs `f` for about `for_how_long` (after a short warm-up) and returns its rate per second.
fn rate(for_how_long: Duration, mut f: impl FnMut()) -> f64 {
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(200) {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < for_how_long {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let seconds = std::env::var("HCERT_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let each = Duration::from_secs(seconds);
    let key = SigningKey::random(&mut rand_core::OsRng);
    let kid = Kid([1, 2, 3, 4, 5, 6, 7, 8]);
    let signer = Signer::Es256 { key: key.clone(), kid };
    let mut trust = TrustList::new();
    trust.add(TrustedKey { kid, key: signer.public_key(), usage: KeyUsage::ANY });
    let claims = Claims { issuer: Some("HK".into()), issued_at: 1_622_505_600, expires_at: 1_654_041_600 };
    let dcc = sample::vaccination();
    let value_sets = ValueSets::unchecked();
    let text = hcert::encode(&dcc, &claims, &signer).expect("encode");
    let now = 1_630_000_000;
    hcert::decode(&text, &trust, &value_sets, now).expect("the credential verifies");

    // The raw rates: ES256 over a message the size of a DCC's signed structure.
    let message = vec![0x5au8; 300];
    let signature: Signature = key.sign(&message);
    let verifying = *key.verifying_key();

    let issue = rate(each, || {
        black_box(hcert::encode(black_box(&dcc), &claims, &signer).expect("encode"));
    });
    let sign = rate(each, || {
        let s: Signature = key.sign(black_box(&message));
        black_box(s);
    });
    let verify = rate(each, || {
        black_box(hcert::decode(black_box(&text), &trust, &value_sets, now).expect("decode"));
    });
    let raw_verify = rate(each, || {
        verifying.verify(black_box(&message), &signature).expect("raw verify");
    });

    println!("hcert on one core, {seconds} s per figure, QR text {} characters", text.len());
    println!("| figure | per second | against raw ES256 |");
    println!("|---|---:|---:|");
    println!("| issue (encode + sign, ES256) | {issue:.0} | {:.2}x of raw sign ({sign:.0}/s) |", issue / sign);
    println!(
        "| verify (decode + verify + schema) | {verify:.0} | {:.2}x of raw verify ({raw_verify:.0}/s) |",
        verify / raw_verify
    );
}
