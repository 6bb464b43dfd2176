//! Signed health records: what an officer, a bulk file or another domain
//! asks for (one flat [`Request`], parsed into a holder and an entry, with
//! every bad field named), the unique certificate identifier (UVCI), the
//! products and codes lionrock issues for, and the DCC payload and claims
//! that the document signer signs. Rules only; the table and the issuing
//! transaction are in `store`, the platform contract's adapter in
//! `contract`, the retention job in `jobs`.

pub(crate) mod contract;
pub(crate) mod jobs;
pub mod store;

use hcert::{Dcc, Exemption, ExemptionReason, Name, Recovery, Test, Vaccination};
use platform::ids::{Document, DocumentProblem};
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

/// COVID-19 (SNOMED CT), the disease every record here targets.
pub const COVID_19: &str = "840539006";

/// The longest a credential is valid: its document signer is kept in the
/// trust list that long after it retires (`platform::keys::DSC_KEEP`).
pub const MAX_LIFETIME: Duration = Duration::days(365);

/// How long a test result is valid for, from its sample time.
pub const TEST_LIFETIME: Duration = Duration::days(3);

/// How many records a holder may have re-issued in any 24 hours: each
/// re-issue puts the old identifier on the public revocation list that
/// every verifier downloads, so it cannot be unlimited.
pub const REISSUES_PER_DAY: u64 = 3;

/// The window [`REISSUES_PER_DAY`] counts over.
pub const REISSUE_WINDOW: Duration = Duration::days(1);

/// The kinds of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Vaccination,
    Test,
    Recovery,
    Exemption,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Vaccination, Kind::Test, Kind::Recovery, Kind::Exemption];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vaccination => "vaccination",
            Kind::Test => "test",
            Kind::Recovery => "recovery",
            Kind::Exemption => "exemption",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A vaccine lionrock records: its product code and the codes that go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// `vaccine-medicinal-product` (`mp`).
    pub code: &'static str,
    /// `vaccine-prophylaxis` (`vp`).
    pub vaccine_type: &'static str,
    /// `vaccine-mah-manf` (`ma`).
    pub manufacturer: &'static str,
    /// Its name, the same in every language.
    pub name: &'static str,
}

/// The vaccines offered (the codes are the DCC value sets').
pub const PRODUCTS: [Product; 3] = [
    Product { code: "EU/1/20/1528", vaccine_type: "1119349007", manufacturer: "ORG-100030215", name: "Comirnaty" },
    Product { code: "EU/1/20/1507", vaccine_type: "1119349007", manufacturer: "ORG-100031184", name: "Spikevax" },
    Product { code: "CoronaVac", vaccine_type: "J07BX03", manufacturer: "Sinovac-Biotech", name: "CoronaVac" },
];

/// Test types: a nucleic-acid amplification test (PCR) and a rapid antigen test.
pub const TEST_TYPES: [&str; 2] = ["LP6464-4", "LP217198-3"];
/// Test results: not detected, detected.
pub const TEST_RESULTS: [&str; 2] = ["260415000", "260373001"];

/// A request for one record, as an officer's form, the API and a bulk
/// file's row give it: flat, every field text, checked by [`Request::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Request {
    /// `vaccination`, `test`, `recovery` or `exemption`.
    pub kind: String,
    /// `hkid` or `passport`.
    pub document_kind: String,
    pub document_number: String,
    /// A passport's issuing country (ISO 3166-1 alpha-3).
    pub document_country: String,
    /// As on the document.
    pub family_name: String,
    pub given_name: String,
    /// ICAO 9303 form (`A`–`Z` and `<`): needed when the name is not in Latin letters.
    pub family_name_standardised: String,
    pub given_name_standardised: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// Vaccination: product code (see the list of products), dose number, doses in the series, date.
    pub product: String,
    pub dose_number: String,
    pub doses_in_series: String,
    pub date: String,
    /// Test: type code, sample time (RFC 3339), result code, testing centre.
    pub test_type: String,
    pub sampled_at: String,
    pub result: String,
    pub centre: String,
    /// Recovery: date of the first positive test.
    pub first_positive: String,
    /// Recovery and exemption: valid from and until (`YYYY-MM-DD`).
    pub valid_from: String,
    pub valid_until: String,
    /// Exemption: `medical` or `trial`.
    pub reason: String,
}

/// A field that is wrong: its name and the message key that says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub key: &'static str,
}

/// Who a record is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub document: Document,
    pub name: Name,
    pub birth_date: Date,
}

/// What the record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Vaccination { product: Product, dose: u32, doses_in_series: u32, date: Date },
    Test { test_type: &'static str, sampled_at: OffsetDateTime, result: &'static str, centre: String },
    Recovery { first_positive: Date, valid_from: Date, valid_until: Date },
    Exemption { reason: ExemptionReason, valid_from: Date, valid_until: Date },
}

impl Entry {
    pub fn kind(&self) -> Kind {
        match self {
            Entry::Vaccination { .. } => Kind::Vaccination,
            Entry::Test { .. } => Kind::Test,
            Entry::Recovery { .. } => Kind::Recovery,
            Entry::Exemption { .. } => Kind::Exemption,
        }
    }

    /// The entry a signed payload records (its first and only one), so a
    /// re-issue starts again from the record's own facts; `None` when the
    /// payload holds nothing lionrock issues (an unknown product, say).
    pub fn of_dcc(dcc: &Dcc) -> Option<Entry> {
        let date = |s: &str| Date::parse(s, DATE).ok();
        if let Some(v) = dcc.v.iter().flatten().next() {
            let product = PRODUCTS.into_iter().find(|p| p.code == v.mp)?;
            return Some(Entry::Vaccination { product, dose: v.dn, doses_in_series: v.sd, date: date(&v.dt)? });
        }
        if let Some(t) = dcc.t.iter().flatten().next() {
            return Some(Entry::Test {
                test_type: TEST_TYPES.into_iter().find(|c| *c == t.tt)?,
                sampled_at: OffsetDateTime::parse(&t.sc, &time::format_description::well_known::Rfc3339).ok()?,
                result: TEST_RESULTS.into_iter().find(|c| *c == t.tr)?,
                centre: t.tc.clone().unwrap_or_default(),
            });
        }
        if let Some(r) = dcc.r.iter().flatten().next() {
            return Some(Entry::Recovery {
                first_positive: date(&r.fr)?,
                valid_from: date(&r.df)?,
                valid_until: date(&r.du)?,
            });
        }
        let e = dcc.e.iter().flatten().next()?;
        Some(Entry::Exemption { reason: e.es, valid_from: date(&e.df)?, valid_until: date(&e.du)? })
    }
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn date(problems: &mut Vec<Problem>, field: &'static str, value: &str) -> Option<Date> {
    match value.trim() {
        "" => problems.push(Problem { field, key: "credentials-field-missing" }),
        v => match Date::parse(v, DATE) {
            Ok(d) => return Some(d),
            Err(_) => problems.push(Problem { field, key: "credentials-date-invalid" }),
        },
    }
    None
}

fn required<'a>(problems: &mut Vec<Problem>, field: &'static str, value: &'a str) -> Option<&'a str> {
    let value = value.trim();
    if value.is_empty() {
        problems.push(Problem { field, key: "credentials-field-missing" });
        return None;
    }
    Some(value)
}

fn number(problems: &mut Vec<Problem>, field: &'static str, value: &str) -> Option<u32> {
    let value = required(problems, field, value)?;
    match value.parse::<u32>() {
        Ok(n) if (1..=9).contains(&n) => Some(n),
        _ => {
            problems.push(Problem { field, key: "credentials-dose-invalid" });
            None
        }
    }
}

/// The ICAO 9303 form of a name in Latin letters: capitals, and `<` for
/// spaces, hyphens and apostrophes; `None` when it has other letters.
pub fn standardise(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.trim().chars() {
        match c {
            'a'..='z' | 'A'..='Z' => out.push(c.to_ascii_uppercase()),
            ' ' | '-' | '\'' | '’' => {
                if !out.ends_with('<') {
                    out.push('<');
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

fn name_part(
    problems: &mut Vec<Problem>,
    (field, value): (&'static str, &str),
    (std_field, std_value): (&'static str, &str),
    needed: bool,
) -> (Option<String>, Option<String>) {
    let value = value.trim();
    let std_value = std_value.trim();
    if value.chars().count() > 80 {
        problems.push(Problem { field, key: "credentials-name-too-long" });
    }
    if needed && value.is_empty() {
        problems.push(Problem { field, key: "credentials-field-missing" });
    }
    let standardised = if std_value.is_empty() {
        match standardise(value) {
            Some(s) => s,
            None => {
                problems.push(Problem { field: std_field, key: "credentials-name-standardised-needed" });
                String::new()
            }
        }
    } else if std_value.len() <= 80 && std_value.bytes().all(|b| b.is_ascii_uppercase() || b == b'<') {
        std_value.to_owned()
    } else {
        problems.push(Problem { field: std_field, key: "credentials-name-standardised-invalid" });
        String::new()
    };
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    (some(value), some(&standardised))
}

impl Request {
    /// The holder and the entry, or every field that is wrong. `now` is the
    /// time of issue and `today` its date where the issuing authority is:
    /// nothing recorded may lie after it, and nothing may be issued that
    /// would expire at once (a test sampled [`TEST_LIFETIME`] ago, a
    /// validity period that has ended).
    pub fn parse(&self, now: OffsetDateTime, today: Date) -> Result<(Holder, Entry), Vec<Problem>> {
        let mut problems = Vec::new();
        let document = match Document::parse(self.document_kind.trim(), &self.document_number, &self.document_country) {
            Ok(d) => Some(d),
            Err(problem) => {
                let (field, key) = match problem {
                    DocumentProblem::Kind => ("document_kind", "credentials-document-kind-invalid"),
                    DocumentProblem::HkidFormat => ("document_number", "credentials-hkid-invalid"),
                    DocumentProblem::HkidCheckDigit => ("document_number", "credentials-hkid-check-digit"),
                    DocumentProblem::Passport => ("document_number", "credentials-passport-invalid"),
                };
                problems.push(Problem { field, key });
                None
            }
        };
        let (r#fn, fnt) = name_part(
            &mut problems,
            ("family_name", &self.family_name),
            ("family_name_standardised", &self.family_name_standardised),
            true,
        );
        let (gn, gnt) = name_part(
            &mut problems,
            ("given_name", &self.given_name),
            ("given_name_standardised", &self.given_name_standardised),
            false,
        );
        let birth_date = date(&mut problems, "birth_date", &self.birth_date);
        if let Some(d) = birth_date
            && (d > today || d.year() < 1900)
        {
            problems.push(Problem { field: "birth_date", key: "credentials-birth-date-out-of-range" });
        }
        let not_future = |problems: &mut Vec<Problem>, field, d: Option<Date>| {
            if d.is_some_and(|d| d > today) {
                problems.push(Problem { field, key: "credentials-date-in-future" });
            }
            d
        };
        let span = |problems: &mut Vec<Problem>, from: Option<Date>, until: Option<Date>| {
            if let (Some(from), Some(until)) = (from, until)
                && (until < from || until - from > MAX_LIFETIME)
            {
                problems.push(Problem { field: "valid_until", key: "credentials-validity-invalid" });
            } else if until.is_some_and(|until| until < today) {
                problems.push(Problem { field: "valid_until", key: "credentials-validity-ended" });
            }
        };
        let entry = match Kind::parse(self.kind.trim()) {
            None => {
                problems.push(Problem { field: "kind", key: "credentials-kind-invalid" });
                None
            }
            Some(Kind::Vaccination) => {
                let product = required(&mut problems, "product", &self.product).and_then(|code| {
                    let found = PRODUCTS.into_iter().find(|p| p.code == code);
                    if found.is_none() {
                        problems.push(Problem { field: "product", key: "credentials-product-unknown" });
                    }
                    found
                });
                let dose = number(&mut problems, "dose_number", &self.dose_number);
                let series = number(&mut problems, "doses_in_series", &self.doses_in_series);
                let when = date(&mut problems, "date", &self.date);
                let when = not_future(&mut problems, "date", when);
                match (product, dose, series, when) {
                    (Some(product), Some(dose), Some(doses_in_series), Some(date)) => {
                        Some(Entry::Vaccination { product, dose, doses_in_series, date })
                    }
                    _ => None,
                }
            }
            Some(Kind::Test) => {
                let test_type = required(&mut problems, "test_type", &self.test_type).and_then(|t| {
                    let found = TEST_TYPES.into_iter().find(|c| *c == t);
                    if found.is_none() {
                        problems.push(Problem { field: "test_type", key: "credentials-test-type-unknown" });
                    }
                    found
                });
                let sampled_at = required(&mut problems, "sampled_at", &self.sampled_at).and_then(|s| {
                    match OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
                        // A test's certificate expires `TEST_LIFETIME` after the sample:
                        // one that old can no longer be issued.
                        Ok(t) if t + TEST_LIFETIME <= now => {
                            problems.push(Problem { field: "sampled_at", key: "credentials-sample-too-old" });
                            None
                        }
                        Ok(t) if t.date() <= today => Some(t),
                        Ok(_) => {
                            problems.push(Problem { field: "sampled_at", key: "credentials-date-in-future" });
                            None
                        }
                        Err(_) => {
                            problems.push(Problem { field: "sampled_at", key: "credentials-time-invalid" });
                            None
                        }
                    }
                });
                let result = required(&mut problems, "result", &self.result).and_then(|r| {
                    let found = TEST_RESULTS.into_iter().find(|c| *c == r);
                    if found.is_none() {
                        problems.push(Problem { field: "result", key: "credentials-test-result-unknown" });
                    }
                    found
                });
                let centre = required(&mut problems, "centre", &self.centre).map(str::to_owned);
                if centre.as_ref().is_some_and(|c| c.chars().count() > 80) {
                    problems.push(Problem { field: "centre", key: "credentials-name-too-long" });
                }
                match (test_type, sampled_at, result, centre) {
                    (Some(test_type), Some(sampled_at), Some(result), Some(centre)) => {
                        Some(Entry::Test { test_type, sampled_at, result, centre })
                    }
                    _ => None,
                }
            }
            Some(Kind::Recovery) => {
                let first = date(&mut problems, "first_positive", &self.first_positive);
                let first = not_future(&mut problems, "first_positive", first);
                let from = date(&mut problems, "valid_from", &self.valid_from);
                let until = date(&mut problems, "valid_until", &self.valid_until);
                span(&mut problems, from, until);
                if let (Some(first), Some(from)) = (first, from)
                    && from < first
                {
                    problems.push(Problem { field: "valid_from", key: "credentials-validity-invalid" });
                }
                match (first, from, until) {
                    (Some(first_positive), Some(valid_from), Some(valid_until)) => {
                        Some(Entry::Recovery { first_positive, valid_from, valid_until })
                    }
                    _ => None,
                }
            }
            Some(Kind::Exemption) => {
                let reason = match self.reason.trim() {
                    "medical" => Some(ExemptionReason::Medical),
                    "trial" => Some(ExemptionReason::ClinicalTrial),
                    "" => {
                        problems.push(Problem { field: "reason", key: "credentials-field-missing" });
                        None
                    }
                    _ => {
                        problems.push(Problem { field: "reason", key: "credentials-reason-invalid" });
                        None
                    }
                };
                let from = date(&mut problems, "valid_from", &self.valid_from);
                let until = date(&mut problems, "valid_until", &self.valid_until);
                span(&mut problems, from, until);
                match (reason, from, until) {
                    (Some(reason), Some(valid_from), Some(valid_until)) => {
                        Some(Entry::Exemption { reason, valid_from, valid_until })
                    }
                    _ => None,
                }
            }
        };
        match (document, birth_date, entry) {
            (Some(document), Some(birth_date), Some(entry)) if problems.is_empty() => {
                Ok((Holder { document, name: Name { r#fn, fnt, gn, gnt }, birth_date }, entry))
            }
            _ => Err(problems),
        }
    }
}

/// The characters of a UVCI's opaque part and of its check character.
const UVCI_ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The Luhn mod N check character (N = 36) of `text`'s letters and digits.
fn luhn_mod_n(text: &str) -> char {
    let n = UVCI_ALPHABET.len() as u32;
    let mut factor = 2;
    let mut sum = 0;
    for c in text.bytes().rev() {
        let Some(code) = UVCI_ALPHABET.iter().position(|&a| a == c) else { continue };
        let addend = factor * code as u32;
        factor = if factor == 2 { 1 } else { 2 };
        sum += addend / n + addend % n;
    }
    let check = (n - sum % n) % n;
    char::from(UVCI_ALPHABET[check as usize])
}

/// A new unique certificate identifier (eHN UVCI version 1, option 3):
/// `URN:UVCI:01:HK:` then 24 random letters and digits, then `#` and a Luhn
/// mod 36 check character over the letters and digits after `URN:UVCI:`.
pub fn new_uvci(country: &str, random: &[u8; 24]) -> String {
    let opaque: String = random.iter().map(|b| char::from(UVCI_ALPHABET[usize::from(*b) % 36])).collect();
    let body = format!("01:{country}:{opaque}");
    format!("URN:UVCI:{body}#{}", luhn_mod_n(&body))
}

/// Whether `uvci` has the shape [`new_uvci`] makes and a correct check character.
pub fn uvci_is_well_formed(uvci: &str) -> bool {
    let Some(rest) = uvci.strip_prefix("URN:UVCI:") else { return false };
    let Some((body, check)) = rest.split_once('#') else { return false };
    check.len() == 1 && check.starts_with(luhn_mod_n(body)) && body.len() <= 60
}

/// What the signer signs, besides the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuing<'a> {
    /// ISO 3166-1 alpha-2.
    pub country: &'a str,
    /// The certificate issuer's name (`is`).
    pub issuer: &'a str,
    pub uvci: &'a str,
    pub now: OffsetDateTime,
}

fn day(d: Date) -> String {
    d.format(DATE).unwrap_or_default()
}

/// The DCC payload for `holder` and `entry`.
pub fn payload(holder: &Holder, entry: &Entry, issuing: &Issuing<'_>) -> Dcc {
    let (co, is, ci) = (issuing.country.to_owned(), issuing.issuer.to_owned(), issuing.uvci.to_owned());
    let tg = COVID_19.to_owned();
    let (nam, dob) = (holder.name.clone(), day(holder.birth_date));
    match entry {
        Entry::Vaccination { product, dose, doses_in_series, date } => Dcc::vaccination(
            nam,
            dob,
            Vaccination {
                tg,
                vp: product.vaccine_type.to_owned(),
                mp: product.code.to_owned(),
                ma: product.manufacturer.to_owned(),
                dn: *dose,
                sd: *doses_in_series,
                dt: day(*date),
                co,
                is,
                ci,
            },
        ),
        Entry::Test { test_type, sampled_at, result, centre } => Dcc::test(
            nam,
            dob,
            Test {
                tg,
                tt: (*test_type).to_owned(),
                nm: None,
                ma: None,
                sc: sampled_at
                    .to_offset(time::UtcOffset::UTC)
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                tr: (*result).to_owned(),
                tc: Some(centre.clone()),
                co,
                is,
                ci,
            },
        ),
        Entry::Recovery { first_positive, valid_from, valid_until } => Dcc::recovery(
            nam,
            dob,
            Recovery { tg, fr: day(*first_positive), co, is, df: day(*valid_from), du: day(*valid_until), ci },
        ),
        Entry::Exemption { reason, valid_from, valid_until } => Dcc::exemption(
            nam,
            dob,
            Exemption { tg, es: *reason, df: day(*valid_from), du: day(*valid_until), co, is, ci },
        ),
    }
}

/// When a credential for `entry` issued at `now` expires: a year for a
/// vaccination, three days after the sample for a test, the end of the
/// last day of its validity for a recovery or an exemption (`end_of_day`:
/// where lionrock runs, `AppInner::end_of_day`); never more than a year.
pub fn expiry(entry: &Entry, now: OffsetDateTime, end_of_day: impl Fn(Date) -> OffsetDateTime) -> OffsetDateTime {
    let end_of = end_of_day;
    let wanted = match entry {
        Entry::Vaccination { .. } => now + MAX_LIFETIME,
        Entry::Test { sampled_at, .. } => *sampled_at + TEST_LIFETIME,
        Entry::Recovery { valid_until, .. } | Entry::Exemption { valid_until, .. } => end_of(*valid_until),
    };
    wanted.min(now + MAX_LIFETIME)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn today() -> Date {
        Date::from_calendar_date(2026, time::Month::November, 30).unwrap()
    }

    /// Noon on `today` in Hong Kong.
    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-11-30 12:00 +08:00)
    }

    fn vaccination() -> Request {
        Request {
            kind: "vaccination".into(),
            document_kind: "hkid".into(),
            document_number: "A123456(3)".into(),
            family_name: "Chan".into(),
            given_name: "Tai Man".into(),
            birth_date: "1950-02-03".into(),
            product: "EU/1/20/1528".into(),
            dose_number: "2".into(),
            doses_in_series: "2".into(),
            date: "2026-11-01".into(),
            ..Request::default()
        }
    }

    #[test]
    fn a_good_request_gives_a_holder_and_an_entry() {
        let (holder, entry) = vaccination().parse(now(), today()).unwrap();
        assert_eq!(holder.name.fnt.as_deref(), Some("CHAN"));
        assert_eq!(holder.name.gnt.as_deref(), Some("TAI<MAN"));
        assert!(matches!(entry, Entry::Vaccination { dose: 2, doses_in_series: 2, .. }));
    }

    #[test]
    fn every_bad_field_is_named() {
        let request = Request {
            document_number: "A123456(4)".into(),
            family_name: "陳".into(),
            birth_date: "1950-13-03".into(),
            product: "Sputnik".into(),
            dose_number: "0".into(),
            date: "2027-01-01".into(),
            ..vaccination()
        };
        let mut fields: Vec<_> = request.parse(now(), today()).unwrap_err().into_iter().map(|p| p.field).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            ["birth_date", "date", "document_number", "dose_number", "family_name_standardised", "product"]
        );
        let chinese = Request { family_name: "陳".into(), family_name_standardised: "CHAN".into(), ..vaccination() };
        assert_eq!(chinese.parse(now(), today()).unwrap().0.name.r#fn.as_deref(), Some("陳"));
        assert!(Request { kind: "booster".into(), ..vaccination() }.parse(now(), today()).is_err());
    }

    #[test]
    fn a_test_sampled_too_long_ago_cannot_be_issued() {
        let test = |sampled_at: &str| Request {
            kind: "test".into(),
            test_type: "LP6464-4".into(),
            sampled_at: sampled_at.into(),
            result: "260415000".into(),
            centre: "Kowloon Park".into(),
            ..vaccination()
        };
        // To the second: the certificate must outlive the moment of issue.
        assert!(test("2026-11-27T12:00:01+08:00").parse(now(), today()).is_ok());
        assert!(test("2026-11-27T04:00:01Z").parse(now(), today()).is_ok());
        for old in ["2026-11-27T12:00:00+08:00", "2026-11-27T09:15:00+08:00", "2026-11-26T23:00:00+08:00"] {
            let problems = test(old).parse(now(), today()).unwrap_err();
            assert_eq!(problems, [Problem { field: "sampled_at", key: "credentials-sample-too-old" }], "{old}");
        }
        let problems = test("2026-12-01T00:00:00+08:00").parse(now(), today()).unwrap_err();
        assert_eq!(problems, [Problem { field: "sampled_at", key: "credentials-date-in-future" }]);
    }

    #[test]
    fn a_validity_period_that_has_ended_cannot_be_issued() {
        let exemption = |until: &str| Request {
            kind: "exemption".into(),
            reason: "medical".into(),
            valid_from: "2026-06-01".into(),
            valid_until: until.into(),
            ..vaccination()
        };
        assert!(exemption("2026-11-30").parse(now(), today()).is_ok(), "valid to the end of today");
        let problems = exemption("2026-11-29").parse(now(), today()).unwrap_err();
        assert_eq!(problems, [Problem { field: "valid_until", key: "credentials-validity-ended" }]);
    }

    #[test]
    fn the_entry_is_rebuilt_from_its_payload() {
        let (holder, _) = vaccination().parse(now(), today()).unwrap();
        let issuing = Issuing { country: "HK", issuer: "DH", uvci: "URN:UVCI:01:HK:X#0", now: now() };
        let entries = [
            Entry::Vaccination { product: PRODUCTS[2], dose: 1, doses_in_series: 2, date: today() },
            Entry::Test {
                test_type: TEST_TYPES[1],
                sampled_at: time::macros::datetime!(2026-11-29 01:02:03 UTC),
                result: TEST_RESULTS[0],
                centre: "Kowloon Park".into(),
            },
            Entry::Recovery { first_positive: today(), valid_from: today(), valid_until: today() + Duration::days(9) },
            Entry::Exemption { reason: ExemptionReason::ClinicalTrial, valid_from: today(), valid_until: today() },
        ];
        for entry in entries {
            assert_eq!(Entry::of_dcc(&payload(&holder, &entry, &issuing)), Some(entry));
        }
        let vaccination = Entry::Vaccination { product: PRODUCTS[0], dose: 1, doses_in_series: 1, date: today() };
        let mut unknown = payload(&holder, &vaccination, &issuing);
        unknown.v.as_mut().unwrap()[0].mp = "Sputnik-V".into();
        assert_eq!(Entry::of_dcc(&unknown), None);
    }

    #[test]
    fn validity_periods_must_be_in_order_and_at_most_a_year() {
        let exemption = |from: &str, until: &str| Request {
            kind: "exemption".into(),
            reason: "medical".into(),
            valid_from: from.into(),
            valid_until: until.into(),
            ..vaccination()
        };
        assert!(exemption("2026-12-01", "2027-05-31").parse(now(), today()).is_ok());
        assert!(exemption("2026-12-01", "2026-11-30").parse(now(), today()).is_err());
        assert!(exemption("2026-12-01", "2028-01-01").parse(now(), today()).is_err());
    }

    #[test]
    fn uvcis_carry_a_check_character() {
        let uvci = new_uvci("HK", &[7; 24]);
        assert!(uvci.starts_with("URN:UVCI:01:HK:") && uvci.len() == "URN:UVCI:01:HK:".len() + 24 + 2, "{uvci}");
        assert!(uvci_is_well_formed(&uvci));
        let mut tampered = uvci.clone().into_bytes();
        tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
        assert!(!uvci_is_well_formed(&String::from_utf8(tampered).unwrap()));
        assert_ne!(new_uvci("HK", &[1; 24]), uvci);
    }

    fn utc_end(d: Date) -> OffsetDateTime {
        d.with_hms(23, 59, 59).unwrap().assume_utc()
    }

    #[test]
    fn credentials_expire_within_a_year() {
        let (_, vaccination) = vaccination().parse(now(), today()).unwrap();
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        assert_eq!(expiry(&vaccination, now, utc_end), now + MAX_LIFETIME);
        let sampled_at = now - Duration::hours(5);
        let test = Entry::Test { test_type: "LP6464-4", sampled_at, result: "260415000", centre: "X".into() };
        assert_eq!(expiry(&test, now, utc_end), sampled_at + TEST_LIFETIME);
        // A validity period ends with its last day where lionrock runs.
        let until = (now + Duration::days(30)).date();
        let exemption =
            Entry::Exemption { reason: ExemptionReason::Medical, valid_from: now.date(), valid_until: until };
        let hong_kong_end = |d: Date| d.with_hms(15, 59, 59).unwrap().assume_utc();
        assert_eq!(expiry(&exemption, now, hong_kong_end), until.with_hms(15, 59, 59).unwrap().assume_utc());
    }
}
