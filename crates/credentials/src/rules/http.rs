//! Administrators edit the validity rules: `GET/PUT /api/v1/credentials/rules`
//! and the page `/{lang}/admin/credentials/rules` (a plain form; every save
//! is a new version).

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::app::AppState;
use platform::error::{AppError, ErrorKind};
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::{Admin, Require};
use serde::{Deserialize, Serialize};

use super::{ExemptionRules, RecoveryRules, Rules, RulesUpdate, TestRules, VaccinationRules, store};

/// The page's path under each language prefix.
pub const PATH: &str = "/admin/credentials/rules";

/// The administrators' rules page.
pub(crate) fn pages() -> Router<AppState> {
    Router::new().route(PATH, get(page).post(submit))
}

/// The rules in force and every version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RulesHistory {
    /// The version that applies now.
    in_force: Rules,
    /// Every version, newest first (version 1, the built-in defaults, last).
    versions: Vec<Rules>,
}

struct AdminProblems;

impl utoipa::IntoResponses for AdminProblems {
    fn responses() -> BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[ErrorKind::Unauthenticated.problem(), ErrorKind::Forbidden.problem()])
    }
}

struct PutProblems;

impl utoipa::IntoResponses for PutProblems {
    fn responses() -> BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            ErrorKind::Conflict.problem(),
        ])
    }
}

/// `GET /api/v1/credentials/rules`.
#[utoipa::path(
    get,
    path = "/api/v1/credentials/rules",
    tag = "credentials",
    operation_id = "credentialsRules",
    summary = "The validity rules: the version in force and every version",
    description = "Administrators only. The rules verifiers apply after the signature (shipped in the trust \
        bundle as `rules`): the version in force (the newest whose `validFrom` has come; version 1, the built-in \
        defaults, when none has) and every version kept.",
    responses((status = 200, description = "The rules.", body = RulesHistory), AdminProblems)
)]
pub(crate) async fn get_rules(State(state): State<AppState>, _admin: Require<Admin>) -> Result<Response, AppError> {
    let in_force = store::in_force(&state.db, platform::db::now()).await?;
    let versions = store::versions(&state.db).await?;
    Ok(axum::Json(RulesHistory { in_force, versions }).into_response())
}

/// `PUT /api/v1/credentials/rules`.
#[utoipa::path(
    put,
    path = "/api/v1/credentials/rules",
    tag = "credentials",
    operation_id = "credentialsPutRules",
    summary = "Make a new version of the validity rules",
    description = "Administrators only. Saves the rules as a new version (the old ones are kept), applying from \
        `validFrom` (now when left out). Ranges: `minDaysAfterCompleteDose` and `minDaysAfterFirstPositive` 0 to \
        365; `maxDaysAfterLastDose` 1 to 3650 and at least the minimum, or null for no limit; \
        `maxHoursSinceSample` at least one known test type (LP6464-4, LP217198-3), each 1 to 720 hours; \
        `acceptedResult` a known result code. A 422 names each field out of range by its JSON pointer. Audited.",
    request_body(content = RulesUpdate, content_type = "application/json"),
    responses((status = 200, description = "The new version.", body = Rules), PutProblems)
)]
pub(crate) async fn put_rules(
    State(state): State<AppState>,
    admin: Require<Admin>,
    platform::extract::ApiJson(update): platform::extract::ApiJson<RulesUpdate>,
) -> Result<Response, AppError> {
    let rules = store::save(&state, &format!("account:{}", admin.principal.account_id), update).await?;
    Ok(axum::Json(rules).into_response())
}

/// The page's form, every field as text (checkboxes present when ticked).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct RulesForm {
    valid_from: String,
    vaccination_min_days: String,
    vaccination_max_days: String,
    test_hours_pcr: String,
    test_hours_antigen: String,
    accepted_result: String,
    recovery_min_days: String,
    recovery_use_validity: Option<String>,
    exemption_accepted: Option<String>,
}

const PCR: &str = "LP6464-4";
const ANTIGEN: &str = "LP217198-3";

impl RulesForm {
    fn of(rules: &Rules) -> RulesForm {
        let hours = |t: &str| rules.test.max_hours_since_sample.get(t).map(u32::to_string).unwrap_or_default();
        RulesForm {
            valid_from: String::new(),
            vaccination_min_days: rules.vaccination.min_days_after_complete_dose.to_string(),
            vaccination_max_days: rules.vaccination.max_days_after_last_dose.map(|d| d.to_string()).unwrap_or_default(),
            test_hours_pcr: hours(PCR),
            test_hours_antigen: hours(ANTIGEN),
            accepted_result: rules.test.accepted_result.clone(),
            recovery_min_days: rules.recovery.min_days_after_first_positive.to_string(),
            recovery_use_validity: rules.recovery.use_certificate_validity.then(|| "on".to_owned()),
            exemption_accepted: rules.exemption.accepted.then(|| "on".to_owned()),
        }
    }

    /// The update, or the form fields that are not numbers or times.
    fn update(&self, errors: &mut FormErrors) -> Option<RulesUpdate> {
        let mut number = |field: &'static str, text: &str| -> Option<u32> {
            text.trim().parse::<u32>().map_err(|_| errors.add(field, "credentials-rules-number")).ok()
        };
        let min_days = number("vaccination_min_days", &self.vaccination_min_days);
        let max_days = if self.vaccination_max_days.trim().is_empty() {
            Some(None)
        } else {
            number("vaccination_max_days", &self.vaccination_max_days).map(Some)
        };
        let mut hours = BTreeMap::new();
        let mut hours_ok = true;
        for (field, test_type, text) in
            [("test_hours_pcr", PCR, &self.test_hours_pcr), ("test_hours_antigen", ANTIGEN, &self.test_hours_antigen)]
        {
            if text.trim().is_empty() {
                continue;
            }
            match number(field, text) {
                Some(h) => {
                    hours.insert(test_type.to_owned(), h);
                }
                None => hours_ok = false,
            }
        }
        let recovery_days = number("recovery_min_days", &self.recovery_min_days);
        let valid_from = if self.valid_from.trim().is_empty() {
            Some(None)
        } else {
            time::OffsetDateTime::parse(self.valid_from.trim(), &time::format_description::well_known::Rfc3339)
                .map_err(|_| errors.add("valid_from", "credentials-rules-valid-from-invalid"))
                .ok()
                .map(Some)
        };
        let (Some(min_days), Some(max_days), true, Some(recovery_days), Some(valid_from)) =
            (min_days, max_days, hours_ok, recovery_days, valid_from)
        else {
            return None;
        };
        Some(RulesUpdate {
            valid_from,
            vaccination: VaccinationRules {
                min_days_after_complete_dose: min_days,
                max_days_after_last_dose: max_days,
            },
            test: TestRules { max_hours_since_sample: hours, accepted_result: self.accepted_result.trim().to_owned() },
            recovery: RecoveryRules {
                min_days_after_first_positive: recovery_days,
                use_certificate_validity: self.recovery_use_validity.is_some(),
            },
            exemption: ExemptionRules { accepted: self.exemption_accepted.is_some() },
        })
    }
}

/// The form's own id: problems no field of the page shows are listed in the
/// error summary, which links to the form.
const FORM_ID: &str = "rules-form";

/// The form field a problem's JSON pointer names; the form itself (the
/// summary only) for a pointer no field shows.
fn form_field(pointer: &str) -> &'static str {
    match pointer {
        "/validFrom" => "valid_from",
        "/vaccination/minDaysAfterCompleteDose" => "vaccination_min_days",
        "/vaccination/maxDaysAfterLastDose" => "vaccination_max_days",
        // No test type at all: the first of the test fields.
        "/test/maxHoursSinceSample" | "/test/maxHoursSinceSample/LP6464-4" => "test_hours_pcr",
        "/test/maxHoursSinceSample/LP217198-3" => "test_hours_antigen",
        "/test/acceptedResult" => "accepted_result",
        "/recovery/minDaysAfterFirstPositive" => "recovery_min_days",
        _ => FORM_ID,
    }
}

struct VersionRow {
    version: u32,
    valid_from: String,
    in_force: bool,
}

#[derive(Template)]
#[template(path = "admin_rules.html")]
struct RulesPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    form: RulesForm,
    in_force: u32,
    versions: Vec<VersionRow>,
    saved: Option<u32>,
    results: [&'static str; 2],
}

async fn render(
    state: &AppState,
    ctx: &PageContext,
    status: StatusCode,
    errors: FormErrors,
    form: Option<RulesForm>,
    saved: Option<u32>,
) -> Result<Response, AppError> {
    let in_force = store::in_force(&state.db, platform::db::now()).await?;
    let versions = store::versions(&state.db)
        .await?
        .into_iter()
        .map(|r| VersionRow {
            version: r.version,
            valid_from: crate::trust::rfc3339(r.valid_from),
            in_force: r.version == in_force.version,
        })
        .collect();
    let content = RulesPage {
        ctx,
        errors,
        form: form.unwrap_or_else(|| RulesForm::of(&in_force)),
        in_force: in_force.version,
        versions,
        saved,
        results: crate::records::TEST_RESULTS,
    };
    ctx.page(status, "credentials-rules-title", &content)
}

pub(crate) async fn page(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
) -> Result<Response, AppError> {
    render(&state, &ctx, StatusCode::OK, FormErrors::new(), None, None).await
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ctx: PageContext,
    PageForm(form): PageForm<RulesForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let Some(update) = form.update(&mut errors) else {
        return render(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, errors, Some(form), None).await;
    };
    if let Err(problems) = update.check() {
        for p in problems {
            errors.add(form_field(&p.field), p.key);
        }
        return render(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, errors, Some(form), None).await;
    }
    let saved = store::save(&state, &format!("account:{}", admin.principal.account_id), update).await?;
    render(&state, &ctx, StatusCode::OK, FormErrors::new(), None, Some(saved.version)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pointer_names_its_own_field_or_only_the_summary() {
        assert_eq!(form_field("/validFrom"), "valid_from");
        assert_eq!(form_field("/test/maxHoursSinceSample/LP6464-4"), "test_hours_pcr");
        assert_eq!(form_field("/test/maxHoursSinceSample/LP217198-3"), "test_hours_antigen");
        assert_eq!(form_field("/recovery/minDaysAfterFirstPositive"), "recovery_min_days");
        // Not a field of the page: the summary, linking to the form; never a test-hours field.
        assert_eq!(form_field("/test/maxHoursSinceSample/LP9999-9"), FORM_ID);
        assert_eq!(form_field("/exemption/accepted"), FORM_ID);
    }
}
