//! Checking one `HC1:` code against what a bundle carries (document
//! signers, revocations, rules) at a given time, with the failing step
//! named: what the verifier CLI prints. No I/O.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;

use super::BundlePayload;
use crate::rules::{self, RuleFailure};

/// A code that passed every step.
#[derive(Debug, Clone)]
pub struct Valid {
    pub credential: hcert::Credential,
    /// The signer's country, from the trust list.
    pub signer_country: String,
}

/// The step that failed, and the holder when the signature was good.
#[derive(Debug, Clone)]
pub struct Invalid {
    /// The step, in words: `prefix`, `base45`, `zlib`, `CBOR`, `COSE`,
    /// `claims`, `unknown signer`, `bad signature`, `expired`, `not yet
    /// valid`, `key usage`, `schema`, `revoked`, `rule`.
    pub step: &'static str,
    /// What exactly.
    pub detail: String,
    /// The credential, when its signature verified (revoked, or a rule failed).
    pub credential: Option<Box<hcert::Credential>>,
}

/// The trust a payload gives: its signers' keys and countries, revocations, rules.
pub struct Trust<'a> {
    list: hcert::TrustList,
    countries: Vec<(hcert::Kid, String)>,
    revoked: HashSet<&'a str>,
    zone: jiff::tz::TimeZone,
    payload: &'a BundlePayload,
}

impl<'a> Trust<'a> {
    /// From a payload; unreadable signer certificates are skipped (codes
    /// under them read as from an unknown signer).
    pub fn new(payload: &'a BundlePayload) -> Trust<'a> {
        let mut list = hcert::TrustList::new();
        let mut countries = Vec::new();
        for entry in &payload.dsc {
            if let Ok(der) = STANDARD.decode(&entry.raw_data)
                && let Ok(kid) = list.add_certificate(&der)
            {
                countries.push((kid, entry.country.clone()));
            }
        }
        Trust {
            list,
            countries,
            revoked: payload.revoked.iter().map(String::as_str).collect(),
            zone: rules::zone(&payload.time_zone),
            payload,
        }
    }

    /// Checks `text` at `now`; the rules count days by the payload's time zone.
    pub fn check(&self, text: &str, now: OffsetDateTime) -> Result<Valid, Invalid> {
        let value_sets = hcert::ValueSets::unchecked();
        let credential = hcert::decode(text.trim(), &self.list, &value_sets, now.unix_timestamp())
            .map_err(|e| Invalid { step: step(&e), detail: e.to_string(), credential: None })?;
        let uvci = uvci(&credential.dcc);
        if self.revoked.contains(super::uvci_hash(&uvci).as_str()) {
            return Err(Invalid {
                step: "revoked",
                detail: format!("{uvci} is in the revocation list"),
                credential: Some(Box::new(credential)),
            });
        }
        if let Err(failure) = rules::evaluate(&self.payload.rules, &credential.dcc, now, &self.zone) {
            return Err(Invalid { step: "rule", detail: rule_words(&failure), credential: Some(Box::new(credential)) });
        }
        let signer_country =
            self.countries.iter().find(|(kid, _)| *kid == credential.kid).map(|(_, c)| c.clone()).unwrap_or_default();
        Ok(Valid { credential, signer_country })
    }
}

fn rule_words(failure: &RuleFailure) -> String {
    format!("{} ({})", failure, failure.slug())
}

/// The step of a decoding error, in words.
pub fn step(e: &hcert::Error) -> &'static str {
    match e {
        hcert::Error::Prefix => "prefix",
        hcert::Error::Base45(_) => "base45",
        hcert::Error::Zlib(_) => "zlib",
        hcert::Error::Cbor(_) => "CBOR",
        hcert::Error::CoseStructure(_) => "COSE",
        hcert::Error::Claims(_) => "claims",
        hcert::Error::UnknownKid { .. } => "unknown signer",
        hcert::Error::BadSignature => "bad signature",
        hcert::Error::Expired { .. } => "expired",
        hcert::Error::NotYetValid { .. } => "not yet valid",
        hcert::Error::KeyUsage(_) => "key usage",
        hcert::Error::Schema(_) => "schema",
        hcert::Error::Signing(_) => "signing",
    }
}

/// The UVCI of the payload's record.
pub fn uvci(dcc: &hcert::Dcc) -> String {
    let first = |ci: Option<&String>| ci.cloned();
    first(dcc.v.iter().flatten().map(|r| &r.ci).next())
        .or_else(|| first(dcc.t.iter().flatten().map(|r| &r.ci).next()))
        .or_else(|| first(dcc.r.iter().flatten().map(|r| &r.ci).next()))
        .or_else(|| first(dcc.e.iter().flatten().map(|r| &r.ci).next()))
        .unwrap_or_default()
}

/// The holder's name as printed (family name first, as the scanner shows
/// it), and the standardised form.
pub fn holder_name(dcc: &hcert::Dcc) -> (String, String) {
    let n = &dcc.nam;
    let plain = [n.r#fn.as_deref(), n.gn.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let standard = format!("{}<<{}", n.fnt.as_deref().unwrap_or(""), n.gnt.as_deref().unwrap_or(""));
    (plain, standard)
}
