//! Validity rules as data: how long after a complete course a vaccination
//! counts, which tests are accepted and for how long, the recovery window,
//! whether exemptions are accepted. A versioned document (the `rules` object
//! of the trust bundle, read by the scanner's `checkRules`), its range
//! checks, the defaults (version 1), and [`evaluate`], the same rules in
//! Rust for the verifier CLI. Days are counted by the calendar of the
//! installation's time zone (the bundle's `timeZone`), in Rust and in the
//! scanner alike: `tests/rules-cases.json` holds cases both run. Rules only;
//! the table is in `store`.

pub mod http;
pub mod store;

use std::collections::BTreeMap;

use hcert::Dcc;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::records::{TEST_RESULTS, TEST_TYPES};

/// One version of the rules, as the trust bundle carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rules {
    /// Version number: 1 for the built-in defaults, then one more per change.
    pub version: u32,
    /// From when this version applies (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub valid_from: OffsetDateTime,
    pub vaccination: VaccinationRules,
    pub test: TestRules,
    pub recovery: RecoveryRules,
    pub exemption: ExemptionRules,
}

/// Vaccinations: only a complete course (dose number ≥ doses in series) counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaccinationRules {
    /// Days after the last dose before the record counts (0 to 365).
    pub min_days_after_complete_dose: u32,
    /// Days after the last dose after which it no longer counts (1 to 3650,
    /// at least the minimum); none for no limit.
    #[serde(default)]
    pub max_days_after_last_dose: Option<u32>,
}

/// Tests: the accepted result, and per accepted test type (LOINC code) the
/// hours a sample counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestRules {
    /// Test type → hours after sampling (1 to 720). Types left out are not accepted.
    pub max_hours_since_sample: BTreeMap<String, u32>,
    /// The SNOMED CT result accepted (260415000, not detected).
    pub accepted_result: String,
}

/// Recoveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoveryRules {
    /// Days after the first positive test before the record counts (0 to 365).
    pub min_days_after_first_positive: u32,
    /// Whether the certificate's own valid-from/valid-until dates also apply.
    pub use_certificate_validity: bool,
}

/// Medical exemptions (lionrock's extension).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExemptionRules {
    /// Whether exemption certificates are accepted at all (within their dates).
    pub accepted: bool,
}

/// What an administrator sends: a version without its number (the store
/// gives it), applying from `validFrom` (now when left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RulesUpdate {
    /// From when the new version applies (RFC 3339); now when left out.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_from: Option<OffsetDateTime>,
    pub vaccination: VaccinationRules,
    pub test: TestRules,
    pub recovery: RecoveryRules,
    pub exemption: ExemptionRules,
}

impl Rules {
    /// The built-in rules (version 1), in force until an administrator changes them.
    pub fn defaults() -> Rules {
        Rules {
            version: 1,
            valid_from: time::macros::datetime!(2021-07-01 00:00 UTC),
            vaccination: VaccinationRules { min_days_after_complete_dose: 14, max_days_after_last_dose: Some(365) },
            test: TestRules {
                max_hours_since_sample: BTreeMap::from([("LP6464-4".to_owned(), 72), ("LP217198-3".to_owned(), 48)]),
                accepted_result: "260415000".to_owned(),
            },
            recovery: RecoveryRules { min_days_after_first_positive: 11, use_certificate_validity: true },
            exemption: ExemptionRules { accepted: true },
        }
    }
}

/// A field of an update out of range: its JSON pointer and the Fluent key saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub key: &'static str,
}

impl RulesUpdate {
    /// Checks every range; all problems at once.
    pub fn check(&self) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let mut bad = |field: &str, key: &'static str| problems.push(Problem { field: field.to_owned(), key });
        let v = &self.vaccination;
        if v.min_days_after_complete_dose > 365 {
            bad("/vaccination/minDaysAfterCompleteDose", "credentials-rules-days-range");
        }
        if let Some(max) = v.max_days_after_last_dose
            && (!(1..=3650).contains(&max) || max < v.min_days_after_complete_dose)
        {
            bad("/vaccination/maxDaysAfterLastDose", "credentials-rules-max-days-range");
        }
        if self.test.max_hours_since_sample.is_empty() {
            bad("/test/maxHoursSinceSample", "credentials-rules-test-types-none");
        }
        for (test_type, hours) in &self.test.max_hours_since_sample {
            if !TEST_TYPES.contains(&test_type.as_str()) {
                bad(&format!("/test/maxHoursSinceSample/{test_type}"), "credentials-rules-test-type-unknown");
            } else if !(1..=720).contains(hours) {
                bad(&format!("/test/maxHoursSinceSample/{test_type}"), "credentials-rules-hours-range");
            }
        }
        if !TEST_RESULTS.contains(&self.test.accepted_result.as_str()) {
            bad("/test/acceptedResult", "credentials-rules-result-unknown");
        }
        if self.recovery.min_days_after_first_positive > 365 {
            bad("/recovery/minDaysAfterFirstPositive", "credentials-rules-days-range");
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    /// The version this update becomes.
    pub fn into_rules(self, version: u32, now: OffsetDateTime) -> Rules {
        Rules {
            version,
            valid_from: self.valid_from.unwrap_or(now),
            vaccination: self.vaccination,
            test: self.test,
            recovery: self.recovery,
            exemption: self.exemption,
        }
    }
}

impl From<Rules> for RulesUpdate {
    fn from(r: Rules) -> Self {
        RulesUpdate {
            valid_from: Some(r.valid_from),
            vaccination: r.vaccination,
            test: r.test,
            recovery: r.recovery,
            exemption: r.exemption,
        }
    }
}

/// Why a correctly signed record does not meet the rules (the scanner's
/// `rule-*` reasons, in the same words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleFailure {
    #[error("the vaccination course is not complete (dose {dose} of {of})")]
    Incomplete { dose: u32, of: u32 },
    #[error("too soon: {days} days since the vaccination or positive test, {needed} needed")]
    TooSoon { days: i64, needed: i64 },
    #[error("the last vaccination dose was {days} days ago, more than {limit}")]
    TooOld { days: i64, limit: i64 },
    #[error("the test result {0} is not the accepted one")]
    TestResult(String),
    #[error("test type {0} is not accepted")]
    TestType(String),
    #[error("the sample was taken more than {0} hours ago")]
    TestTooOld(u32),
    #[error("the sample time is in the future")]
    TestInFuture,
    #[error("today is outside the certificate's validity period ({from} to {until})")]
    OutsideValidity { from: String, until: String },
    #[error("exemptions are not accepted")]
    ExemptionNotAccepted,
    #[error("the date {0} cannot be read")]
    BadDate(String),
    #[error("not exactly one record to check")]
    Record,
}

impl RuleFailure {
    /// The scanner's reason slug (`rule-<slug>`).
    pub fn slug(&self) -> &'static str {
        match self {
            RuleFailure::Incomplete { .. } => "incomplete",
            RuleFailure::TooSoon { .. } => "too-soon",
            RuleFailure::TooOld { .. } => "too-old",
            RuleFailure::TestResult(_) => "test-result",
            RuleFailure::TestType(_) => "test-type",
            RuleFailure::TestTooOld(_) => "test-too-old",
            RuleFailure::TestInFuture => "test-in-future",
            RuleFailure::OutsideValidity { .. } => "outside-validity",
            RuleFailure::ExemptionNotAccepted => "exemption-not-accepted",
            RuleFailure::BadDate(_) => "bad-date",
            RuleFailure::Record => "record",
        }
    }
}

/// A `YYYY-MM-DD` date (or the date of a date-time).
fn day(text: &str) -> Result<Date, RuleFailure> {
    let head = text.get(..10).unwrap_or(text);
    Date::parse(head, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| RuleFailure::BadDate(text.to_owned()))
}

fn instant(text: &str) -> Result<OffsetDateTime, RuleFailure> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| RuleFailure::BadDate(text.to_owned()))
}

fn within(today: Date, from: &str, until: &str) -> Result<(), RuleFailure> {
    if today < day(from)? || today > day(until)? {
        return Err(RuleFailure::OutsideValidity { from: from.to_owned(), until: until.to_owned() });
    }
    Ok(())
}

/// The calendar date in `zone` at `now`.
pub fn date_in(zone: &jiff::tz::TimeZone, now: OffsetDateTime) -> Date {
    let offset = jiff::Timestamp::from_second(now.unix_timestamp()).map(|ts| zone.to_offset(ts).seconds()).unwrap_or(0);
    time::UtcOffset::from_whole_seconds(offset).map(|o| now.to_offset(o).date()).unwrap_or(now.date())
}

/// A time zone by its IANA name (a bundle's `timeZone`); UTC when unknown.
pub fn zone(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// Applies `rules` to the one record of `dcc` at `now`, counting days by
/// the calendar of `zone` (the installation's), as the scanner's
/// `checkRules` does.
pub fn evaluate(rules: &Rules, dcc: &Dcc, now: OffsetDateTime, zone: &jiff::tz::TimeZone) -> Result<(), RuleFailure> {
    let today = date_in(zone, now);
    let groups = [dcc.v.is_some(), dcc.t.is_some(), dcc.r.is_some(), dcc.e.is_some()];
    if groups.iter().filter(|g| **g).count() != 1 {
        return Err(RuleFailure::Record);
    }
    if let Some([v]) = dcc.v.as_deref() {
        let r = &rules.vaccination;
        if v.dn < v.sd || v.dn == 0 {
            return Err(RuleFailure::Incomplete { dose: v.dn, of: v.sd });
        }
        let days = (today - day(&v.dt)?).whole_days();
        let needed = i64::from(r.min_days_after_complete_dose);
        if days < needed {
            return Err(RuleFailure::TooSoon { days, needed });
        }
        if let Some(limit) = r.max_days_after_last_dose.map(i64::from)
            && days > limit
        {
            return Err(RuleFailure::TooOld { days, limit });
        }
        return Ok(());
    }
    if let Some([t]) = dcc.t.as_deref() {
        let r = &rules.test;
        if t.tr != r.accepted_result {
            return Err(RuleFailure::TestResult(t.tr.clone()));
        }
        let Some(hours) = r.max_hours_since_sample.get(&t.tt) else { return Err(RuleFailure::TestType(t.tt.clone())) };
        let sampled = instant(&t.sc)?;
        if sampled > now {
            return Err(RuleFailure::TestInFuture);
        }
        if now - sampled > time::Duration::hours(i64::from(*hours)) {
            return Err(RuleFailure::TestTooOld(*hours));
        }
        return Ok(());
    }
    if let Some([rec]) = dcc.r.as_deref() {
        let r = &rules.recovery;
        let days = (today - day(&rec.fr)?).whole_days();
        let needed = i64::from(r.min_days_after_first_positive);
        if days < needed {
            return Err(RuleFailure::TooSoon { days, needed });
        }
        if r.use_certificate_validity {
            within(today, &rec.df, &rec.du)?;
        }
        return Ok(());
    }
    if let Some([e]) = dcc.e.as_deref() {
        if !rules.exemption.accepted {
            return Err(RuleFailure::ExemptionNotAccepted);
        }
        return within(today, &e.df, &e.du);
    }
    Err(RuleFailure::Record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcert::{Exemption, ExemptionReason, Name, Recovery, Test, Vaccination};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-30 12:00 UTC);

    fn name() -> Name {
        Name { r#fn: Some("Chan".into()), fnt: Some("CHAN".into()), gn: None, gnt: None }
    }

    fn dose(dn: u32, sd: u32, dt: &str) -> Dcc {
        Dcc::vaccination(
            name(),
            "1980-02-29",
            Vaccination {
                tg: "840539006".into(),
                vp: "1119349007".into(),
                mp: "EU/1/20/1528".into(),
                ma: "ORG-100030215".into(),
                dn,
                sd,
                dt: dt.into(),
                co: "HK".into(),
                is: "DH".into(),
                ci: "URN:UVCI:01:HK:X".into(),
            },
        )
    }

    fn test(tt: &str, tr: &str, sc: &str) -> Dcc {
        Dcc::test(
            name(),
            "1980-02-29",
            Test {
                tg: "840539006".into(),
                tt: tt.into(),
                nm: None,
                ma: None,
                sc: sc.into(),
                tr: tr.into(),
                tc: None,
                co: "HK".into(),
                is: "DH".into(),
                ci: "URN:UVCI:01:HK:X".into(),
            },
        )
    }

    fn recovery(fr: &str, df: &str, du: &str) -> Dcc {
        Dcc::recovery(
            name(),
            "1980-02-29",
            Recovery {
                tg: "840539006".into(),
                fr: fr.into(),
                co: "HK".into(),
                is: "DH".into(),
                df: df.into(),
                du: du.into(),
                ci: "URN:UVCI:01:HK:X".into(),
            },
        )
    }

    fn exemption(df: &str, du: &str) -> Dcc {
        Dcc::exemption(
            name(),
            "1980-02-29",
            Exemption {
                tg: "840539006".into(),
                es: ExemptionReason::Medical,
                df: df.into(),
                du: du.into(),
                co: "HK".into(),
                is: "DH".into(),
                ci: "URN:UVCI:01:HK:X".into(),
            },
        )
    }

    fn check(dcc: &Dcc) -> Result<(), RuleFailure> {
        evaluate(&Rules::defaults(), dcc, NOW, &jiff::tz::TimeZone::UTC)
    }

    /// The cases the scanner's `checkRules` runs too (`tests/js/rules.test.mjs`).
    #[test]
    fn the_shared_rule_cases_give_their_verdicts() {
        let cases: serde_json::Value = serde_json::from_str(include_str!("../../tests/rules-cases.json")).unwrap();
        let rules: Rules = serde_json::from_value(cases["rules"].clone()).unwrap();
        let mut failures = Vec::new();
        let list = cases["cases"].as_array().unwrap();
        assert!(list.len() >= 10, "{list:?}");
        for case in list {
            let name = case["name"].as_str().unwrap();
            let zone = zone(case["timeZone"].as_str().unwrap());
            let now =
                OffsetDateTime::parse(case["now"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
                    .unwrap();
            let mut payload = serde_json::json!({ "ver": "1.3.0", "nam": { "fnt": "CHAN" }, "dob": "1980-02-29" });
            payload[case["group"].as_str().unwrap()] = serde_json::json!([case["record"]]);
            let dcc: Dcc = serde_json::from_value(payload).unwrap_or_else(|e| panic!("{name}: {e}"));
            let got = match evaluate(&rules, &dcc, now, &zone) {
                Ok(()) => "accepted".to_owned(),
                Err(failure) => failure.slug().to_owned(),
            };
            if got != case["expected"].as_str().unwrap() {
                failures.push(format!("{name}: {got}, expected {}", case["expected"]));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn a_complete_course_counts_between_the_minimum_and_the_maximum() {
        assert_eq!(check(&dose(2, 2, "2026-10-01")), Ok(()));
        assert_eq!(check(&dose(3, 2, "2026-11-16")), Ok(()), "14 days exactly, a booster beyond the series");
        assert_eq!(check(&dose(2, 2, "2026-11-17")), Err(RuleFailure::TooSoon { days: 13, needed: 14 }));
        assert_eq!(check(&dose(2, 2, "2025-11-29")), Err(RuleFailure::TooOld { days: 366, limit: 365 }));
        let mut rules = Rules::defaults();
        rules.vaccination.max_days_after_last_dose = None;
        assert_eq!(evaluate(&rules, &dose(2, 2, "2020-01-01"), NOW, &jiff::tz::TimeZone::UTC), Ok(()), "no maximum");
    }

    #[test]
    fn an_incomplete_course_does_not_count() {
        assert_eq!(check(&dose(1, 2, "2026-10-01")), Err(RuleFailure::Incomplete { dose: 1, of: 2 }));
        assert_eq!(check(&dose(2, 2, "yesterday")).unwrap_err().slug(), "bad-date");
    }

    #[test]
    fn a_test_counts_by_type_result_and_hours() {
        assert_eq!(check(&test("LP6464-4", "260415000", "2026-11-28T13:00:00Z")), Ok(()), "71 hours, PCR");
        assert_eq!(
            check(&test("LP217198-3", "260415000", "2026-11-28T11:00:00Z")),
            Err(RuleFailure::TestTooOld(48)),
            "49 hours, rapid antigen"
        );
        assert_eq!(
            check(&test("LP6464-4", "260373001", "2026-11-30T10:00:00Z")),
            Err(RuleFailure::TestResult("260373001".into()))
        );
        assert_eq!(
            check(&test("LP0000-0", "260415000", "2026-11-30T10:00:00Z")),
            Err(RuleFailure::TestType("LP0000-0".into()))
        );
        assert_eq!(check(&test("LP6464-4", "260415000", "2026-11-30T13:00:00Z")), Err(RuleFailure::TestInFuture));
        let mut rules = Rules::defaults();
        rules.test.max_hours_since_sample.remove("LP217198-3");
        assert_eq!(
            evaluate(&rules, &test("LP217198-3", "260415000", "2026-11-30T10:00:00Z"), NOW, &jiff::tz::TimeZone::UTC)
                .unwrap_err()
                .slug(),
            "test-type"
        );
    }

    #[test]
    fn a_recovery_counts_after_the_window_opens_and_within_its_dates() {
        assert_eq!(check(&recovery("2026-11-01", "2026-11-12", "2027-04-30")), Ok(()));
        assert_eq!(
            check(&recovery("2026-11-25", "2026-11-25", "2027-04-30")),
            Err(RuleFailure::TooSoon { days: 5, needed: 11 })
        );
        assert_eq!(check(&recovery("2026-05-01", "2026-05-12", "2026-11-29")).unwrap_err().slug(), "outside-validity");
        let mut rules = Rules::defaults();
        rules.recovery.use_certificate_validity = false;
        assert_eq!(
            evaluate(&rules, &recovery("2026-05-01", "2026-05-12", "2026-11-29"), NOW, &jiff::tz::TimeZone::UTC),
            Ok(())
        );
    }

    #[test]
    fn an_exemption_counts_within_its_dates_when_accepted() {
        assert_eq!(check(&exemption("2026-11-01", "2027-01-31")), Ok(()));
        assert_eq!(check(&exemption("2026-12-01", "2027-01-31")).unwrap_err().slug(), "outside-validity");
        let mut rules = Rules::defaults();
        rules.exemption.accepted = false;
        assert_eq!(
            evaluate(&rules, &exemption("2026-11-01", "2027-01-31"), NOW, &jiff::tz::TimeZone::UTC),
            Err(RuleFailure::ExemptionNotAccepted)
        );
    }

    #[test]
    fn a_payload_with_two_records_is_refused() {
        let mut dcc = dose(2, 2, "2026-10-01");
        dcc.t = test("LP6464-4", "260415000", "2026-11-30T10:00:00Z").t;
        assert_eq!(check(&dcc), Err(RuleFailure::Record));
    }

    #[test]
    fn updates_are_range_checked_with_every_problem_named() {
        let mut update = RulesUpdate::from(Rules::defaults());
        assert_eq!(update.check(), Ok(()));
        update.vaccination.min_days_after_complete_dose = 400;
        update.vaccination.max_days_after_last_dose = Some(10);
        update.test.max_hours_since_sample.insert("LP6464-4".into(), 0);
        update.test.max_hours_since_sample.insert("LP9999-9".into(), 24);
        update.test.accepted_result = "positive".into();
        update.recovery.min_days_after_first_positive = 366;
        let fields: Vec<String> = update.check().unwrap_err().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "/vaccination/minDaysAfterCompleteDose",
                "/vaccination/maxDaysAfterLastDose",
                "/test/maxHoursSinceSample/LP6464-4",
                "/test/maxHoursSinceSample/LP9999-9",
                "/test/acceptedResult",
                "/recovery/minDaysAfterFirstPositive",
            ]
        );
        update.test.max_hours_since_sample.clear();
        assert!(update.check().unwrap_err().iter().any(|p| p.key == "credentials-rules-test-types-none"));
    }

    #[test]
    fn the_rules_serialise_as_the_scanner_reads_them() {
        let json = serde_json::to_value(Rules::defaults()).unwrap();
        assert_eq!(json["vaccination"]["minDaysAfterCompleteDose"], 14);
        assert_eq!(json["test"]["maxHoursSinceSample"]["LP6464-4"], 72);
        assert_eq!(json["test"]["acceptedResult"], "260415000");
        assert_eq!(json["recovery"]["useCertificateValidity"], true);
        assert_eq!(json["exemption"]["accepted"], true);
        assert_eq!(json["validFrom"], "2021-07-01T00:00:00Z");
        assert_eq!(serde_json::from_value::<Rules>(json).unwrap(), Rules::defaults());
    }
}
