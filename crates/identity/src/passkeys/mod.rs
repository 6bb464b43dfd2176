//! Passkeys (WebAuthn, through webauthn-rs). A resident adds them on the
//! passkeys page, then signs in with one instead of a password, or uses one
//! for the second step after a password when two-step verification is on.
//! A passkey checks the person on the device (fingerprint, face or PIN:
//! user verification is required), so a passkey sign-in counts as two
//! factors (`AuthStrength::Passkey`).
//!
//! Each ceremony is two requests. `…/options` starts it: webauthn-rs's state
//! is kept in `passkey_ceremony` (keyed by a MAC of an HttpOnly cookie, five
//! minutes, single use, so any server can finish it) and the answer is the
//! options for `navigator.credentials`. The page's form then posts the
//! authenticator's answer in a hidden field, so outcomes and errors are
//! ordinary pages with an error summary.
//!
//! The relying-party ID is the host of `server.public_url`. A loopback
//! address (development, tests) becomes `localhost`, since an IP address
//! cannot be a relying-party ID; any other IP address turns passkeys off.
//!
//! This file holds the rules; `store` the tables, queries and ceremonies;
//! `http` the pages.

pub(crate) mod http;
pub mod store;

use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

/// How long a ceremony may take (the browser's own timeout is shorter).
pub(crate) const CEREMONY_LIFETIME: time::Duration = time::Duration::minutes(5);
/// The most passkeys one account may have.
pub const MAX_PER_ACCOUNT: u64 = 20;
/// The longest name a passkey may have, in characters.
pub(crate) const NAME_MAX: usize = 60;

/// What a ceremony is for; a ceremony started for one cannot finish another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Register,
    SignIn,
    SecondStep,
}

impl Purpose {
    /// As kept in `passkey_ceremony.purpose`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SignIn => "sign_in",
            Purpose::SecondStep => "second_step",
        }
    }
}

/// A ceremony just started: the options for `navigator.credentials`, and
/// the token of the cookie that names it.
#[derive(Debug)]
pub(crate) struct Started {
    pub(crate) options: serde_json::Value,
    pub(crate) token: String,
}

/// Why a new passkey was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotAdded {
    /// The account has this credential already.
    AlreadyAdded,
    /// The authenticator's answer does not check out.
    Refused,
}

/// A passkey's answer that proved one of the account's passkeys for the
/// second step of sign-in. Only `store::check_second_step` makes one (its
/// field is private to this module), so no other code can claim the proof.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SecondStepProven(());

impl NotAdded {
    /// The form error's message key.
    pub(crate) fn message_key(self) -> &'static str {
        match self {
            NotAdded::AlreadyAdded => "passkey-already-added",
            NotAdded::Refused => "passkey-refused",
        }
    }
}

/// The cookie that names this browser's ceremony in flight.
pub(crate) fn cookie_name(https: bool) -> &'static str {
    if https { "__Host-lr_passkey" } else { "lr_passkey" }
}

/// The relying-party ID and origin for a server at `public_url`, or `None`
/// when it cannot be one (an IP address other than loopback).
fn origin(public_url: &str) -> Option<(String, Url)> {
    let mut origin = Url::parse(public_url).ok()?;
    let loopback = match origin.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    if loopback {
        origin.set_host(Some("localhost")).ok()?;
    }
    Some((origin.domain()?.to_owned(), origin))
}

/// Whether a server at `public_url` offers passkeys (for pages deciding
/// what to show).
pub fn available(public_url: &str) -> bool {
    origin(public_url).is_some()
}

/// A server at `public_url` as a WebAuthn relying party, for a ceremony.
pub fn relying_party(public_url: &str) -> Option<Webauthn> {
    let (rp_id, origin) = origin(public_url)?;
    WebauthnBuilder::new(&rp_id, &origin).ok()?.rp_name("Lionrock").build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_becomes_localhost_and_other_addresses_turn_passkeys_off() {
        let (rp_id, url) = origin("http://127.0.0.1:8080").unwrap();
        assert_eq!((rp_id.as_str(), url.as_str()), ("localhost", "http://localhost:8080/"));
        assert_eq!(origin("http://[::1]:8080").map(|(id, _)| id).as_deref(), Some("localhost"));
        assert_eq!(origin("https://id.example.gov.hk").map(|(id, _)| id).as_deref(), Some("id.example.gov.hk"));
        assert!(!available("https://192.0.2.7"));
        assert!(!available("not a url"));
        assert!(relying_party("https://id.example.gov.hk").is_some());
    }

    #[test]
    fn purposes_are_kept_apart() {
        let all = [Purpose::Register, Purpose::SignIn, Purpose::SecondStep];
        for a in all {
            for b in all {
                assert_eq!(a.as_str() == b.as_str(), a == b);
            }
        }
    }
}
