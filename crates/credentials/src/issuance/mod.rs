//! Issuance: officers record vaccinations, tests and recoveries (the
//! `health-records` scope) and issue exemption certificates (the
//! `exemption-issuer` scope: recording health events alone does not let an
//! officer exempt anyone); they revoke records by UVCI, each kind with the
//! scope that issues it. The same
//! [`Request`](crate::records::Request) comes from the officers' page, the
//! JSON API, and a bulk CSV file (`lionrock credentials issue --csv`).
//! Rules only here (who may issue what, the CSV reader); the pages and the
//! API in `http`, the issuing itself in `records::store`.

pub mod csv;
pub(crate) mod http;

use platform::principal::{Principal, ScopeGuard};

use crate::records::{Kind, Request};

/// The officer scope that records (and revokes) vaccinations, test results
/// and recoveries.
pub const HEALTH_RECORDS_SCOPE: &str = "health-records";

/// The officer scope that issues (and revokes) exemption certificates.
pub const EXEMPTION_SCOPE: &str = "exemption-issuer";

/// Both issuing scopes (the navigation shows the officers' page to either).
pub const SCOPES: [&str; 2] = [HEALTH_RECORDS_SCOPE, EXEMPTION_SCOPE];

/// The same, as the module declares them for administrators to grant.
pub const OFFICER_SCOPES: [platform::module::OfficerScope; 2] = [
    platform::module::OfficerScope {
        name: HEALTH_RECORDS_SCOPE,
        about: "record vaccinations, tests and recoveries, and revoke health records",
    },
    platform::module::OfficerScope { name: EXEMPTION_SCOPE, about: "issue exemption certificates" },
];

/// Marker for `RequireScope<HealthRecords>`: an officer holding [`HEALTH_RECORDS_SCOPE`].
#[derive(Debug)]
pub struct HealthRecords;

impl ScopeGuard for HealthRecords {
    const SCOPE: &'static str = HEALTH_RECORDS_SCOPE;
}

/// Marker for `RequireScope<ExemptionIssuer>`: an officer holding [`EXEMPTION_SCOPE`].
#[derive(Debug)]
pub struct ExemptionIssuer;

impl ScopeGuard for ExemptionIssuer {
    const SCOPE: &'static str = EXEMPTION_SCOPE;
}

/// The scope an officer needs to issue a record of `kind`.
pub fn scope_for(kind: Kind) -> &'static str {
    match kind {
        Kind::Exemption => EXEMPTION_SCOPE,
        Kind::Vaccination | Kind::Test | Kind::Recovery => HEALTH_RECORDS_SCOPE,
    }
}

/// Whether `officer` may issue a record of `kind`.
pub fn may_issue(officer: &Principal, kind: Kind) -> bool {
    officer.has_scope(scope_for(kind))
}

/// The kinds `officer` may issue, in the usual order (none for a resident).
pub fn kinds_for(officer: &Principal) -> Vec<Kind> {
    Kind::ALL.into_iter().filter(|k| may_issue(officer, *k)).collect()
}

/// Whether `officer` may revoke a record of `kind`: the scope that issues
/// it revokes it.
pub fn may_revoke(officer: &Principal, kind: Kind) -> bool {
    may_issue(officer, kind)
}

/// Sets the [`Request`] field named `name` (a bulk file's column, a form's
/// field) to `value`; `false` when no field has that name.
pub fn set_field(request: &mut Request, name: &str, value: &str) -> bool {
    let r = request;
    let slot = match name {
        "kind" => &mut r.kind,
        "document_kind" => &mut r.document_kind,
        "document_number" => &mut r.document_number,
        "document_country" => &mut r.document_country,
        "family_name" => &mut r.family_name,
        "given_name" => &mut r.given_name,
        "family_name_standardised" => &mut r.family_name_standardised,
        "given_name_standardised" => &mut r.given_name_standardised,
        "birth_date" => &mut r.birth_date,
        "product" => &mut r.product,
        "dose_number" => &mut r.dose_number,
        "doses_in_series" => &mut r.doses_in_series,
        "date" => &mut r.date,
        "test_type" => &mut r.test_type,
        "sampled_at" => &mut r.sampled_at,
        "result" => &mut r.result,
        "centre" => &mut r.centre,
        "first_positive" => &mut r.first_positive,
        "valid_from" => &mut r.valid_from,
        "valid_until" => &mut r.valid_until,
        "reason" => &mut r.reason,
        _ => return false,
    };
    value.clone_into(slot);
    true
}

#[cfg(test)]
mod tests {
    use platform::principal::{AccountId, AuthStrength, IdentityLevel, Role};

    use super::*;

    fn officer(scopes: &[&str]) -> Principal {
        Principal::new(
            AccountId(uuid::Uuid::nil()),
            IdentityLevel::Basic,
            vec![Role::Officer],
            AuthStrength::Password,
            0,
        )
        .with_scopes(scopes.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn health_records_alone_cannot_exempt() {
        let health = officer(&[HEALTH_RECORDS_SCOPE]);
        assert_eq!(kinds_for(&health), [Kind::Vaccination, Kind::Test, Kind::Recovery]);
        assert!(!may_issue(&health, Kind::Exemption) && may_revoke(&health, Kind::Test));
        assert!(!may_revoke(&health, Kind::Exemption));
        let exempting = officer(&[EXEMPTION_SCOPE]);
        assert_eq!(kinds_for(&exempting), [Kind::Exemption]);
        assert!(may_revoke(&exempting, Kind::Exemption) && !may_revoke(&exempting, Kind::Vaccination));
        assert_eq!(kinds_for(&officer(&SCOPES)), Kind::ALL);
    }

    #[test]
    fn scopes_mean_nothing_without_the_officer_role() {
        let resident = Principal::new(
            AccountId(uuid::Uuid::nil()),
            IdentityLevel::RealName,
            vec![Role::Resident],
            AuthStrength::Password,
            0,
        )
        .with_scopes(SCOPES.iter().map(|s| (*s).to_owned()).collect());
        assert!(kinds_for(&resident).is_empty() && !Kind::ALL.into_iter().any(|k| may_revoke(&resident, k)));
    }
}
