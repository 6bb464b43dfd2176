//! Keys and the few primitives domains need: random tokens, authenticated
//! encryption of personal data (XChaCha20-Poly1305), keyed blind indexes
//! (HMAC-SHA-256) for look-ups, and keyed MACs (CSRF tokens, audit links).

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

type HmacSha256 = Hmac<Sha256>;

/// 32 random bytes, base64url without padding (43 characters).
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS random source failing leaves nothing safe to do.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    buf
}

/// A 256-bit key. Never printed; wiped from memory on drop.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key([redacted])")
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for Key {}

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{key}: {path}: does not exist (run `lionrock keys init` or `lionrock serve --demo`)")]
    Missing { key: &'static str, path: PathBuf },
    #[error("{key}: {path}: {reason}")]
    Invalid { key: &'static str, path: PathBuf, reason: String },
}

impl Key {
    pub fn generate() -> Self {
        Self(random_bytes())
    }

    /// Reads a key file holding 64 hex characters.
    pub fn load(config_key: &'static str, path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map(Zeroizing::new).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => KeyError::Missing { key: config_key, path: path.to_owned() },
            _ => KeyError::Invalid { key: config_key, path: path.to_owned(), reason: e.to_string() },
        })?;
        let bytes = hex::decode(text.trim()).ok().map(Zeroizing::new);
        let key = bytes.and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()).map(Key);
        key.ok_or_else(|| KeyError::Invalid {
            key: config_key,
            path: path.to_owned(),
            reason: "must hold exactly 64 hexadecimal characters (32 bytes)".to_owned(),
        })
    }

    /// Writes a new key file (mode 0600) unless one exists; returns whether it wrote.
    pub fn create_file(path: &Path) -> std::io::Result<bool> {
        if path.exists() {
            return Ok(false);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        writeln!(file, "{}", *Zeroizing::new(hex::encode(&Self::generate().0)))?;
        Ok(true)
    }

    fn hmac(&self, purpose: &[u8], message: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length; 32 bytes cannot fail.
        #[allow(clippy::expect_used)]
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose);
        mac.update(&[0]);
        mac.update(message);
        mac
    }

    fn mac(&self, purpose: &[u8], message: &[u8]) -> [u8; 32] {
        self.hmac(purpose, message).finalize().into_bytes().into()
    }

    /// Constant-time check of a presented MAC.
    fn mac_valid(&self, purpose: &[u8], message: &[u8], presented: &[u8]) -> bool {
        self.hmac(purpose, message).verify_slice(presented).is_ok()
    }

    /// A sub-key for one purpose, so one configured key serves several uses.
    fn derive(&self, purpose: &str) -> Key {
        Key(self.mac(b"lionrock-derive-v1", purpose.as_bytes()))
    }
}

/// The keys a running lionrock holds.
#[derive(Debug, Clone)]
pub struct Keys {
    data: Key,
    blind_index: Key,
    csrf: Key,
    audit: Key,
}

/// Bytes in a CSRF MAC (HMAC-SHA-256), and in its mask.
const CSRF_MAC_LEN: usize = 32;

/// Why sealed data could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("sealed data is damaged or was sealed with another key")]
pub struct OpenError;

impl Keys {
    pub fn new(data: Key, blind_index: Key, audit: Key) -> Self {
        let csrf = data.derive("csrf");
        Self { data, blind_index, csrf, audit }
    }

    /// Encrypts `plaintext`; `context` (e.g. `person.hkid`) is bound as
    /// associated data, so a value cannot be moved to another column.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(&self.data.0.into());
        let nonce_bytes = random_bytes::<24>();
        let nonce = XNonce::from(nonce_bytes);
        // Encryption only fails for inputs beyond 256 GiB.
        #[allow(clippy::expect_used)]
        let ct = cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: context.as_bytes() })
            .expect("plaintext within AEAD limits");
        let mut out = Vec::with_capacity(1 + 24 + ct.len());
        out.push(1); // format version
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() < 1 + 24 + 16 || sealed[0] != 1 {
            return Err(OpenError);
        }
        let cipher = XChaCha20Poly1305::new(&self.data.0.into());
        let nonce_bytes: [u8; 24] = sealed[1..25].try_into().map_err(|_| OpenError)?;
        cipher
            .decrypt(&XNonce::from(nonce_bytes), Payload { msg: &sealed[25..], aad: context.as_bytes() })
            .map_err(|_| OpenError)
    }

    /// Deterministic keyed index of a normalised value, for equality look-ups
    /// of encrypted columns.
    pub fn blind_index(&self, context: &str, normalised: &str) -> String {
        hex::encode(self.blind_index.mac(context.as_bytes(), normalised.as_bytes()))
    }

    /// A CSRF token for a session (or pre-session) cookie value, different
    /// on every call: the session's MAC XORed with a fresh random mask, sent
    /// as `mask || masked` (86 base64url characters). A compressed page thus
    /// holds no constant secret for a BREACH-style attack to guess at.
    pub fn csrf_token(&self, session_value: &str) -> String {
        let secret = self.csrf.mac(b"csrf", session_value.as_bytes());
        let mask = random_bytes::<CSRF_MAC_LEN>();
        let mut token = [0u8; 2 * CSRF_MAC_LEN];
        token[..CSRF_MAC_LEN].copy_from_slice(&mask);
        for (i, (s, m)) in secret.iter().zip(mask).enumerate() {
            token[CSRF_MAC_LEN + i] = s ^ m;
        }
        URL_SAFE_NO_PAD.encode(token)
    }

    /// Constant-time check of a presented (masked) CSRF token.
    pub fn csrf_valid(&self, session_value: &str, presented: &str) -> bool {
        let Ok(presented) = URL_SAFE_NO_PAD.decode(presented) else {
            return false;
        };
        let Some((mask, masked)) = presented.split_at_checked(CSRF_MAC_LEN) else {
            return false;
        };
        if masked.len() != CSRF_MAC_LEN {
            return false;
        }
        let unmasked: Vec<u8> = mask.iter().zip(masked).map(|(m, x)| m ^ x).collect();
        self.csrf.mac_valid(b"csrf", session_value.as_bytes(), &unmasked)
    }

    /// A MAC of `message` under a key of its own for `purpose` (e.g.
    /// `booking.admission`), derived from the data key as the CSRF key is,
    /// hex-encoded: for tokens a server issues and later checks, apart from
    /// the blind-index key (whose MACs are look-up keys kept at rest).
    pub fn token_mac(&self, purpose: &str, message: &[u8]) -> String {
        let key = self.data.derive(&format!("token:{purpose}"));
        hex::encode(key.mac(purpose.as_bytes(), message))
    }

    /// Constant-time check of a hex-encoded [`Keys::token_mac`].
    pub fn token_mac_valid(&self, purpose: &str, message: &[u8], presented_hex: &str) -> bool {
        let key = self.data.derive(&format!("token:{purpose}"));
        hex::decode(presented_hex).is_ok_and(|p| key.mac_valid(purpose.as_bytes(), message, &p))
    }

    /// The audit key's MAC of `message` for one `purpose` (a chain link, a
    /// checkpoint), hex-encoded. Only the holder of the key file can make it.
    pub(crate) fn audit_mac(&self, purpose: &str, message: &[u8]) -> String {
        hex::encode(self.audit.mac(purpose.as_bytes(), message))
    }

    /// Constant-time check of a hex-encoded [`Keys::audit_mac`].
    pub(crate) fn audit_mac_valid(&self, purpose: &str, message: &[u8], presented_hex: &str) -> bool {
        hex::decode(presented_hex).is_ok_and(|p| self.audit.mac_valid(purpose.as_bytes(), message, &p))
    }

    /// Keys for tests and throwaway tools.
    pub fn ephemeral() -> Self {
        Self::new(Key::generate(), Key::generate(), Key::generate())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn token_macs_have_keys_of_their_own() {
        let keys = Keys::ephemeral();
        let mac = keys.token_mac("booking.admission", b"p|a|1|2");
        assert!(keys.token_mac_valid("booking.admission", b"p|a|1|2", &mac));
        assert!(!keys.token_mac_valid("booking.admission", b"p|a|1|3", &mac), "another message");
        assert!(!keys.token_mac_valid("other.purpose", b"p|a|1|2", &mac), "another purpose");
        assert!(!Keys::ephemeral().token_mac_valid("booking.admission", b"p|a|1|2", &mac), "another key");
        assert!(!keys.token_mac_valid("booking.admission", b"p|a|1|2", "zz"), "not hex");
        // Not the blind index of the same message under the same label.
        assert_ne!(mac, keys.blind_index("booking.admission", "p|a|1|2"));
    }

    #[test]
    fn keys_are_wiped_on_drop_and_never_printed() {
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<Key>();
        assert_eq!(format!("{:?}", Key::generate()), "Key([redacted])");
    }

    #[test]
    fn seal_binds_context() {
        let keys = Keys::ephemeral();
        let sealed = keys.seal("person.hkid", b"A1234563");
        assert_eq!(keys.open("person.hkid", &sealed).unwrap(), b"A1234563");
        assert!(keys.open("person.passport", &sealed).is_err());
        assert!(Keys::ephemeral().open("person.hkid", &sealed).is_err());
    }

    #[test]
    fn key_files_round_trip_and_reject_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/data.key");
        assert!(Key::create_file(&path).unwrap());
        assert!(!Key::create_file(&path).unwrap());
        Key::load("crypto.data_key_file", &path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "xyz").unwrap();
        assert!(matches!(Key::load("k", &path), Err(KeyError::Invalid { .. })));
        assert!(matches!(Key::load("k", &dir.path().join("nope")), Err(KeyError::Missing { .. })));
    }

    proptest! {
        #[test]
        fn tampered_ciphertext_never_opens(data in proptest::collection::vec(any::<u8>(), 0..64), flip in 0usize..200) {
            let keys = Keys::ephemeral();
            let mut sealed = keys.seal("ctx", &data);
            let i = flip % sealed.len();
            sealed[i] ^= 0x01;
            prop_assert!(keys.open("ctx", &sealed).is_err());
        }

        #[test]
        fn csrf_tokens_only_match_their_session(a in "[A-Za-z0-9_-]{43}", b in "[A-Za-z0-9_-]{43}") {
            let keys = Keys::ephemeral();
            let token = keys.csrf_token(&a);
            prop_assert!(keys.csrf_valid(&a, &token));
            prop_assert_eq!(keys.csrf_valid(&b, &token), a == b);
        }

        #[test]
        fn csrf_tokens_differ_every_time_and_any_change_breaks_them(
            a in "[A-Za-z0-9_-]{43}",
            flip in 0usize..64,
            bit in 0u8..8,
        ) {
            let keys = Keys::ephemeral();
            let (one, two) = (keys.csrf_token(&a), keys.csrf_token(&a));
            prop_assert_ne!(&one, &two);
            prop_assert!(keys.csrf_valid(&a, &two));
            // The unmasked MAC alone (the old token form) is not accepted.
            let raw = URL_SAFE_NO_PAD.decode(&one).unwrap();
            let unmasked: Vec<u8> = raw[..32].iter().zip(&raw[32..]).map(|(m, x)| m ^ x).collect();
            prop_assert!(!keys.csrf_valid(&a, &URL_SAFE_NO_PAD.encode(&unmasked)));
            // A flipped bit in the masked half breaks it; in the mask it does too.
            let mut bad = raw.clone();
            bad[flip] ^= 1 << bit;
            prop_assert!(!keys.csrf_valid(&a, &URL_SAFE_NO_PAD.encode(&bad)));
            prop_assert!(!keys.csrf_valid(&a, &URL_SAFE_NO_PAD.encode(&raw[..63])));
        }
    }
}
