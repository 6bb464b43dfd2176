//! The DCC payload (schema 1.3) as typed structs: name, date of birth, and one vaccination, test, recovery or exemption record.

use serde::{Deserialize, Serialize};

/// The Digital COVID Certificate payload, carried under CWT claim -260, key 1.
///
/// Exactly one of `v`, `t`, `r` and `e` holds exactly one record; the schema
/// check ([`crate::schema::validate`]) enforces it. The arrays mirror the wire
/// format. Fields unknown to this version are ignored when decoding (the
/// schema allows them), but kept in [`crate::Credential::payload_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dcc {
    /// Schema version, such as `1.3.0`.
    pub ver: String,
    /// The holder's name.
    pub nam: Name,
    /// Date of birth: `YYYY-MM-DD`, `YYYY-MM`, `YYYY` or empty.
    pub dob: String,
    /// Vaccination group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<Vec<Vaccination>>,
    /// Test group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<Vec<Test>>,
    /// Recovery group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<Vec<Recovery>>,
    /// Exemption group: lionrock's extension, documented in the crate README.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<Vec<Exemption>>,
}

/// Surname and forename, each as written and as standardised (ICAO 9303: `A-Z` and `<`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    /// Surname(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#fn: Option<String>,
    /// Standardised surname(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fnt: Option<String>,
    /// Forename(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gn: Option<String>,
    /// Standardised forename(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gnt: Option<String>,
}

/// One vaccination dose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vaccination {
    /// Disease or agent targeted (value set `disease-agent-targeted`).
    pub tg: String,
    /// Vaccine or prophylaxis (value set `vaccine-prophylaxis`).
    pub vp: String,
    /// Medicinal product (value set `vaccine-medicinal-product`).
    pub mp: String,
    /// Marketing authorisation holder or manufacturer (value set `vaccine-mah-manf`).
    pub ma: String,
    /// Dose number, from 1.
    pub dn: u32,
    /// Doses in the series, from 1.
    pub sd: u32,
    /// Date of vaccination, `YYYY-MM-DD`.
    pub dt: String,
    /// Country of vaccination (value set `country-2-codes`).
    pub co: String,
    /// Certificate issuer.
    pub is: String,
    /// Unique certificate identifier (UVCI).
    pub ci: String,
}

/// One test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Test {
    /// Disease or agent targeted.
    pub tg: String,
    /// Type of test (value set `test-type`).
    pub tt: String,
    /// Name of a NAA test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nm: Option<String>,
    /// Device identifier of a rapid antigen test (value set `test-manf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ma: Option<String>,
    /// Sample collection time, RFC 3339.
    pub sc: String,
    /// Result (value set `test-result`).
    pub tr: String,
    /// Testing centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tc: Option<String>,
    /// Country of the test.
    pub co: String,
    /// Certificate issuer.
    pub is: String,
    /// Unique certificate identifier (UVCI).
    pub ci: String,
}

/// One recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    /// Disease or agent targeted.
    pub tg: String,
    /// Date of the first positive NAA test, `YYYY-MM-DD`.
    pub fr: String,
    /// Country of the test.
    pub co: String,
    /// Certificate issuer.
    pub is: String,
    /// Valid from, `YYYY-MM-DD`.
    pub df: String,
    /// Valid until, `YYYY-MM-DD`.
    pub du: String,
    /// Unique certificate identifier (UVCI).
    pub ci: String,
}

/// One exemption from vaccination (lionrock's extension; see the crate README).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemption {
    /// Disease or agent targeted.
    pub tg: String,
    /// Why the holder is exempt: [`ExemptionReason`].
    pub es: ExemptionReason,
    /// Valid from, `YYYY-MM-DD`.
    pub df: String,
    /// Valid until, `YYYY-MM-DD`, on or after `df`.
    pub du: String,
    /// Country that granted the exemption.
    pub co: String,
    /// Certificate issuer.
    pub is: String,
    /// Unique certificate identifier (UVCI).
    pub ci: String,
}

/// Why a holder is exempt from vaccination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExemptionReason {
    /// A medical condition rules the vaccine out, for good or for the period.
    #[serde(rename = "medical")]
    Medical,
    /// The holder takes part in a vaccine clinical trial.
    #[serde(rename = "trial")]
    ClinicalTrial,
}

/// The kinds of record a DCC can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// `v`
    Vaccination,
    /// `t`
    Test,
    /// `r`
    Recovery,
    /// `e` (lionrock's extension)
    Exemption,
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RecordKind::Vaccination => "vaccination",
            RecordKind::Test => "test",
            RecordKind::Recovery => "recovery",
            RecordKind::Exemption => "exemption",
        })
    }
}

impl Dcc {
    /// A vaccination certificate.
    pub fn vaccination(nam: Name, dob: impl Into<String>, record: Vaccination) -> Self {
        Self { v: Some(vec![record]), ..Self::empty(nam, dob.into()) }
    }

    /// A test certificate.
    pub fn test(nam: Name, dob: impl Into<String>, record: Test) -> Self {
        Self { t: Some(vec![record]), ..Self::empty(nam, dob.into()) }
    }

    /// A recovery certificate.
    pub fn recovery(nam: Name, dob: impl Into<String>, record: Recovery) -> Self {
        Self { r: Some(vec![record]), ..Self::empty(nam, dob.into()) }
    }

    /// An exemption certificate (lionrock's extension).
    pub fn exemption(nam: Name, dob: impl Into<String>, record: Exemption) -> Self {
        Self { e: Some(vec![record]), ..Self::empty(nam, dob.into()) }
    }

    fn empty(nam: Name, dob: String) -> Self {
        Self { ver: crate::SCHEMA_VERSION.to_owned(), nam, dob, v: None, t: None, r: None, e: None }
    }

    /// The groups present, in the order v, t, r, e (one, in a valid payload).
    pub fn kinds(&self) -> Vec<RecordKind> {
        [
            (self.v.is_some(), RecordKind::Vaccination),
            (self.t.is_some(), RecordKind::Test),
            (self.r.is_some(), RecordKind::Recovery),
            (self.e.is_some(), RecordKind::Exemption),
        ]
        .into_iter()
        .filter_map(|(present, kind)| present.then_some(kind))
        .collect()
    }

    /// The kind of record, when exactly one group is present.
    pub fn kind(&self) -> Option<RecordKind> {
        match self.kinds()[..] {
            [kind] => Some(kind),
            _ => None,
        }
    }
}
