//! A software WebAuthn authenticator for tests and benchmarks: one P-256
//! credential that answers `navigator.credentials.create` and `.get`
//! options (the server's JSON) as a platform authenticator would, with
//! "none" attestation. The server side it talks to is the real one; the
//! browser suite uses Chromium's own virtual authenticator instead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Just enough CBOR (RFC 8949) for an attestation object and a COSE key.
enum Cbor {
    Int(i64),
    Bytes(Vec<u8>),
    Text(&'static str),
    Map(Vec<(Cbor, Cbor)>),
}

fn cbor_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let major = major << 5;
    match n {
        0..=23 => out.push(major | n as u8),
        24..=0xff => out.extend([major | 24, n as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend((n as u16).to_be_bytes());
        }
        _ => {
            out.push(major | 26);
            out.extend((n as u32).to_be_bytes());
        }
    }
}

fn cbor(value: &Cbor, out: &mut Vec<u8>) {
    match value {
        Cbor::Int(i) if *i >= 0 => cbor_head(out, 0, *i as u64),
        Cbor::Int(i) => cbor_head(out, 1, (-1 - *i) as u64),
        Cbor::Bytes(b) => {
            cbor_head(out, 2, b.len() as u64);
            out.extend(b);
        }
        Cbor::Text(t) => {
            cbor_head(out, 3, t.len() as u64);
            out.extend(t.as_bytes());
        }
        Cbor::Map(entries) => {
            cbor_head(out, 5, entries.len() as u64);
            for (k, v) in entries {
                cbor(k, out);
                cbor(v, out);
            }
        }
    }
}

/// A software passkey: one credential on one "device".
pub struct SoftAuthenticator {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    /// The account's user handle, learnt at registration.
    pub user_handle: Vec<u8>,
    /// The signature counter; stays 0 for a synced passkey (`synced`).
    pub counter: u32,
    counts: bool,
    /// The origin the "browser" reports (the relying party's).
    pub origin: String,
}

impl SoftAuthenticator {
    /// A new credential for the relying party at `origin`
    /// (`http://localhost:PORT` for a server on loopback).
    pub fn new(origin: impl Into<String>) -> Self {
        let key = loop {
            if let Ok(k) = SigningKey::from_slice(&crate::crypto::random_bytes::<32>()) {
                break k;
            }
        };
        Self {
            key,
            credential_id: crate::crypto::random_bytes::<16>().to_vec(),
            user_handle: Vec::new(),
            counter: 0,
            counts: true,
            origin: origin.into(),
        }
    }

    /// A passkey that keeps no signature counter (as synced passkeys do),
    /// so answers may be checked in any order.
    pub fn synced(mut self) -> Self {
        self.counts = false;
        self
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({ "type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false })
            .to_string()
            .into_bytes()
    }

    /// Answers `navigator.credentials.create` options (the server's JSON).
    pub fn create(&mut self, options: &Value) -> Value {
        let o = &options["publicKey"];
        let rp_id = o["rp"]["id"].as_str().unwrap();
        assert_eq!(rp_id, "localhost", "loopback serves as localhost");
        self.user_handle = B64.decode(o["user"]["id"].as_str().unwrap()).unwrap();
        let client_data = self.client_data("webauthn.create", o["challenge"].as_str().unwrap());
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut cose = Vec::new();
        cbor(
            &Cbor::Map(vec![
                (Cbor::Int(1), Cbor::Int(2)),
                (Cbor::Int(3), Cbor::Int(-7)),
                (Cbor::Int(-1), Cbor::Int(1)),
                (Cbor::Int(-2), Cbor::Bytes(point.x().unwrap().to_vec())),
                (Cbor::Int(-3), Cbor::Bytes(point.y().unwrap().to_vec())),
            ]),
            &mut cose,
        );
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(0x45); // user present, user verified, attested credential data
        auth_data.extend(self.counter.to_be_bytes());
        auth_data.extend([0u8; 16]); // AAGUID
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        auth_data.extend(cose);
        let mut attestation = Vec::new();
        cbor(
            &Cbor::Map(vec![
                (Cbor::Text("fmt"), Cbor::Text("none")),
                (Cbor::Text("attStmt"), Cbor::Map(vec![])),
                (Cbor::Text("authData"), Cbor::Bytes(auth_data)),
            ]),
            &mut attestation,
        );
        json!({
            "id": B64.encode(&self.credential_id),
            "rawId": B64.encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": B64.encode(attestation),
                "clientDataJSON": B64.encode(client_data),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
    }

    /// Answers `navigator.credentials.get` options; `verified` says whether
    /// the person was checked on the device (fingerprint, PIN…).
    pub fn get(&mut self, options: &Value, verified: bool) -> Value {
        let o = &options["publicKey"];
        let client_data = self.client_data("webauthn.get", o["challenge"].as_str().unwrap());
        if self.counts {
            self.counter += 1;
        }
        let mut auth_data = Sha256::digest(o["rpId"].as_str().unwrap().as_bytes()).to_vec();
        auth_data.push(if verified { 0x05 } else { 0x01 });
        auth_data.extend(self.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        json!({
            "id": B64.encode(&self.credential_id),
            "rawId": B64.encode(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": B64.encode(auth_data),
                "clientDataJSON": B64.encode(client_data),
                "signature": B64.encode(signature.to_der().as_bytes()),
                "userHandle": B64.encode(&self.user_handle),
            },
            "clientExtensionResults": {},
        })
    }
}
