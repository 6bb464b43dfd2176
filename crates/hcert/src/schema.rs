//! Validation of a payload against DCC schema 1.3 (structure, formats, lengths), the value sets, and our exemption extension.
//!
//! The rules are written out in Rust rather than run through a JSON Schema
//! engine: the 1.3 schema is some thirty rules, its value sets are not JSON
//! Schema at all, a few of the rules verifiers apply go beyond it (a forename
//! comes with its standardised form; nobody is born after their certificate
//! was issued), and the exemption group is ours. Each rule below names the
//! schema keyword it stands for.

use crate::date;
use crate::dcc::{Dcc, Exemption, Name, Recovery, Test, Vaccination};
use crate::valuesets::{ValueSet, ValueSets};
use crate::{Error, Violation};

/// The schema's `maxLength` for names, issuers, identifiers and centres.
const MAX_LENGTH: usize = 80;

/// Parses a payload (as JSON) into the typed structs: a missing field or a
/// field of the wrong type is a schema violation.
pub fn parse(payload: &serde_json::Value) -> Result<Dcc, Error> {
    if !payload.is_object() {
        return Err(violation("", "the payload is not a map"));
    }
    serde_json::from_value(payload.clone()).map_err(|e| violation("", &e.to_string()))
}

/// Checks a payload against the schema, the loaded value sets, and (given the
/// issued-at claim, seconds since 1970) that the holder was born by then.
/// Every violation is reported, not only the first.
pub fn validate(dcc: &Dcc, value_sets: &ValueSets, issued_at: Option<i64>) -> Result<(), Error> {
    let mut check = Check { value_sets, found: Vec::new() };
    // properties.ver.pattern: ^\d+.\d+.\d+$
    let parts: Vec<&str> = dcc.ver.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        check.fail("ver", "must be a version such as 1.3.0");
    }
    check.name(&dcc.nam);
    check.date_of_birth(&dcc.dob, issued_at);
    // oneOf: exactly one of v, t, r (and our e); each maxItems 1, minItems 1.
    let groups = dcc.kinds().len();
    if groups != 1 {
        check.fail("", &format!("must hold exactly one of v, t, r, e; it holds {groups}"));
    }
    group(&mut check, "v", dcc.v.as_deref(), Check::vaccination);
    group(&mut check, "t", dcc.t.as_deref(), Check::test);
    group(&mut check, "r", dcc.r.as_deref(), Check::recovery);
    group(&mut check, "e", dcc.e.as_deref(), Check::exemption);
    if check.found.is_empty() { Ok(()) } else { Err(Error::Schema(check.found)) }
}

fn violation(path: &str, problem: &str) -> Error {
    Error::Schema(vec![Violation { path: path.to_owned(), problem: problem.to_owned() }])
}

fn group<'a, T>(check: &mut Check<'a>, key: &str, records: Option<&[T]>, each: fn(&mut Check<'a>, &str, &T)) {
    let Some(records) = records else { return };
    if records.len() != 1 {
        check.fail(key, &format!("must hold exactly one record, not {}", records.len()));
    }
    for (i, record) in records.iter().enumerate() {
        each(check, &format!("{key}[{i}]"), record);
    }
}

struct Check<'a> {
    value_sets: &'a ValueSets,
    found: Vec<Violation>,
}

impl Check<'_> {
    fn fail(&mut self, path: &str, problem: &str) {
        self.found.push(Violation { path: path.to_owned(), problem: problem.to_owned() });
    }

    /// `maxLength` (counted in characters, as JSON Schema does).
    fn length(&mut self, path: &str, value: &str) {
        if value.chars().count() > MAX_LENGTH {
            self.fail(path, &format!("longer than {MAX_LENGTH} characters"));
        }
    }

    fn code(&mut self, path: &str, set: ValueSet, value: &str) {
        if self.value_sets.contains(set, value) == Some(false) {
            self.fail(path, &format!("`{value}` is not in the value set {}", set.file_stem()));
        }
    }

    /// `country_vt`: pattern `[A-Z]{1,10}`, and the value set.
    fn country(&mut self, path: &str, value: &str) {
        if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_uppercase()) {
            self.fail(path, "must be a country code of capital letters");
        } else {
            self.code(path, ValueSet::Country, value);
        }
    }

    /// `format: date`.
    fn date(&mut self, path: &str, value: &str) -> Option<(i64, u32, u32)> {
        let parsed = date::parse_date(value);
        if parsed.is_none() {
            self.fail(path, "must be a date, YYYY-MM-DD");
        }
        parsed
    }

    /// `person_name`: `anyOf` fnt or gnt; `maxLength` 80; fnt and gnt match `^[A-Z<]*$`.
    /// Beyond the schema: a name given in `fn`/`gn` comes with its standardised form.
    fn name(&mut self, nam: &Name) {
        if nam.fnt.is_none() && nam.gnt.is_none() {
            self.fail("nam", "needs a standardised surname (fnt) or forename (gnt)");
        }
        for (key, value) in [("nam.fn", &nam.r#fn), ("nam.gn", &nam.gn)] {
            if let Some(value) = value {
                self.length(key, value);
            }
        }
        for (key, value) in [("nam.fnt", &nam.fnt), ("nam.gnt", &nam.gnt)] {
            if let Some(value) = value {
                self.length(key, value);
                if !value.bytes().all(|b| b.is_ascii_uppercase() || b == b'<') {
                    self.fail(key, "may hold only A-Z and <");
                }
            }
        }
        let written = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        for (plain, standard, key) in [(&nam.r#fn, &nam.fnt, "nam.fnt"), (&nam.gn, &nam.gnt, "nam.gnt")] {
            if written(plain) && !written(standard) {
                self.fail(key, "is missing although the name is given");
            }
        }
    }

    /// `dob`: pattern `^((19|20)\d\d(-\d\d){0,2}){0,1}$`; not after the issue date.
    fn date_of_birth(&mut self, dob: &str, issued_at: Option<i64>) {
        let parts: Vec<&str> = dob.split('-').collect();
        let shape = dob.is_empty()
            || (parts.len() <= 3
                && parts[0].len() == 4
                && (parts[0].starts_with("19") || parts[0].starts_with("20"))
                && parts[1..].iter().all(|p| p.len() == 2)
                && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())));
        if !shape {
            self.fail("dob", "must be YYYY-MM-DD, YYYY-MM, YYYY (1900 to 2099) or empty");
            return;
        }
        if let Some(issued_at) = issued_at {
            let (year, month, day) = date::civil_from_days(issued_at.div_euclid(86_400));
            if date::date_of_birth_after(dob, year, month, day) {
                self.fail("dob", "is after the certificate was issued");
            }
        }
    }

    fn common(&mut self, path: &str, tg: &str, co: &str, is: &str, ci: &str) {
        self.code(&format!("{path}.tg"), ValueSet::DiseaseAgentTargeted, tg);
        self.country(&format!("{path}.co"), co);
        self.length(&format!("{path}.is"), is);
        self.length(&format!("{path}.ci"), ci);
    }

    fn vaccination(&mut self, path: &str, v: &Vaccination) {
        self.common(path, &v.tg, &v.co, &v.is, &v.ci);
        self.code(&format!("{path}.vp"), ValueSet::VaccineProphylaxis, &v.vp);
        self.code(&format!("{path}.mp"), ValueSet::VaccineMedicinalProduct, &v.mp);
        self.code(&format!("{path}.ma"), ValueSet::VaccineMahManf, &v.ma);
        // dose_posint: minimum 1.
        for (key, value) in [("dn", v.dn), ("sd", v.sd)] {
            if value < 1 {
                self.fail(&format!("{path}.{key}"), "must be at least 1");
            }
        }
        // format: date. Issuers before 1.3 (PL among them) wrote a date-time here; its date is read.
        if date::parse_date_time(&v.dt).is_none() {
            self.date(&format!("{path}.dt"), &v.dt);
        }
    }

    fn test(&mut self, path: &str, t: &Test) {
        self.common(path, &t.tg, &t.co, &t.is, &t.ci);
        self.code(&format!("{path}.tt"), ValueSet::TestType, &t.tt);
        self.code(&format!("{path}.tr"), ValueSet::TestResult, &t.tr);
        // An empty device identifier (NAA tests have none) counts as absent.
        if let Some(ma) = t.ma.as_deref().filter(|ma| !ma.is_empty()) {
            self.code(&format!("{path}.ma"), ValueSet::TestManf, ma);
        }
        for (key, value) in [("nm", &t.nm), ("tc", &t.tc)] {
            if let Some(value) = value {
                self.length(&format!("{path}.{key}"), value);
            }
        }
        // format: date-time.
        if date::parse_date_time(&t.sc).is_none() {
            self.fail(&format!("{path}.sc"), "must be an RFC 3339 date and time");
        }
    }

    fn recovery(&mut self, path: &str, r: &Recovery) {
        self.common(path, &r.tg, &r.co, &r.is, &r.ci);
        for (key, value) in [("fr", &r.fr), ("df", &r.df), ("du", &r.du)] {
            self.date(&format!("{path}.{key}"), value);
        }
    }

    /// Our extension: the recovery's shape, a reason, and a period that ends after it starts.
    fn exemption(&mut self, path: &str, e: &Exemption) {
        self.common(path, &e.tg, &e.co, &e.is, &e.ci);
        let from = self.date(&format!("{path}.df"), &e.df);
        let until = self.date(&format!("{path}.du"), &e.du);
        if let (Some(from), Some(until)) = (from, until)
            && until < from
        {
            self.fail(&format!("{path}.du"), "is before df");
        }
    }
}
