//! The laboratory's and the results role's pages and API. The laboratory
//! (`RequireScope<Lab>`): `GET /api/v1/booking/lab/specimens` (pending, by
//! code, time and centre) and `POST /api/v1/booking/lab/results` (a result
//! against a code), and `/{lang}/officer/booking/lab`: nothing here names a
//! person, a document, a reference or a booking. The results role
//! (`RequireScope<Results>`): `GET /api/v1/booking/results` (results joined
//! to bookings) and `POST /api/v1/booking/results/notify`, and
//! `/{lang}/officer/booking/results`.

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use platform::app::AppState;
use platform::error::{AppError, DomainError, ErrorKind, FieldError};
use platform::extract::{ApiJson, PageForm};
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::paging::{Cursor, PageQuery};
use platform::principal::RequireScope;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::store::{self, Joined, specimen};
use super::{SpecimenCode, TestResult};
use crate::bookings::Reference;
use crate::errors::BookingError;
use crate::officers::{Lab, Results};
use crate::programmes::Names;
use crate::programmes::store::centre;

const LAB_PATH: &str = "/officer/booking/lab";
const RESULTS_PATH: &str = "/officer/booking/results";
const NOTIFY_PATH: &str = "/officer/booking/results/notify";

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route(LAB_PATH, get(lab_page).post(record_page))
        .route(RESULTS_PATH, get(results_page))
        .route(NOTIFY_PATH, post(notify_page))
}

fn actor(principal: &platform::principal::Principal) -> String {
    format!("account:{}", principal.account_id)
}

// ---------------------------------------------------------------- laboratory

/// A specimen as the laboratory sees it: no person, document, reference or booking.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SpecimenBody {
    #[schema(example = "7Q2M9-XD3PK-4TB")]
    specimen_code: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    collected_at: OffsetDateTime,
    centre_id: String,
    centre: Option<Names>,
    result: Option<TestResult>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    result_at: Option<OffsetDateTime>,
}

fn specimen_body(s: specimen::Model, c: Option<centre::Model>) -> SpecimenBody {
    SpecimenBody {
        specimen_code: SpecimenCode::parse(&s.specimen_code).map(|c| c.display()).unwrap_or(s.specimen_code),
        collected_at: s.collected_at,
        centre: c.map(|c| c.names()),
        centre_id: s.centre_id,
        result: s.result.as_deref().and_then(TestResult::parse),
        result_at: s.result_at,
    }
}

/// A page of specimens.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SpecimenPage {
    items: Vec<SpecimenBody>,
    /// The cursor of the next page, or null on the last.
    next: Option<String>,
}

struct PendingProblems;

impl utoipa::IntoResponses for PendingProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::BadRequest.problem(),
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
        ])
    }
}

/// `GET /api/v1/booking/lab/specimens`: specimens awaiting a result.
#[utoipa::path(
    get,
    path = "/api/v1/booking/lab/specimens",
    tag = "booking",
    operation_id = "listPendingSpecimens",
    summary = "List specimens awaiting a result, oldest first",
    description = "For the laboratory (`booking-lab` scope): each specimen's code, collection time and centre, \
        nothing that names a person. Paged by cursor.",
    params(PageQuery),
    responses((status = 200, description = "A page of specimens.", body = SpecimenPage), PendingProblems)
)]
pub(crate) async fn pending(
    State(state): State<AppState>,
    lab: RequireScope<Lab>,
    Query(query): Query<PageQuery>,
) -> Result<Json<SpecimenPage>, AppError> {
    let _ = lab;
    let page = query.parse()?;
    let mut rows = store::pending(&state, page.limit, page.after.as_ref()).await?;
    let more = rows.len() as u64 > page.limit;
    rows.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
    let next =
        more.then(|| rows.last().map(|(s, _)| Cursor { at: s.collected_at, id: s.id.clone() }.encode())).flatten();
    Ok(Json(SpecimenPage { items: rows.into_iter().map(|(s, c)| specimen_body(s, c)).collect(), next }))
}

/// A result to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResultRequest {
    #[schema(example = "7Q2M9-XD3PK-4TB")]
    specimen_code: String,
    result: TestResult,
}

struct RecordProblems;

impl utoipa::IntoResponses for RecordProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            BookingError::UnknownSpecimen.problem(),
            BookingError::ResultRecorded.problem(),
        ])
    }
}

fn parse_code(typed: &str, pointer: &str) -> Result<SpecimenCode, AppError> {
    SpecimenCode::parse(typed)
        .ok_or_else(|| AppError::validation(vec![FieldError::new(pointer, "invalid", "booking-specimen-code-invalid")]))
}

/// `POST /api/v1/booking/lab/results`: record a result against a specimen code.
#[utoipa::path(
    post,
    path = "/api/v1/booking/lab/results",
    tag = "booking",
    operation_id = "recordSpecimenResult",
    summary = "Record a specimen's result (negative, positive or invalid)",
    description = "For the laboratory (`booking-lab` scope), by specimen code only. An unknown code is 404 \
        `booking/unknown-specimen`; a result is recorded once (409 `booking/result-recorded`).",
    params(platform::openapi::IdempotencyKey),
    request_body(content = ResultRequest, content_type = "application/json"),
    responses((status = 200, description = "Recorded.", body = SpecimenBody), RecordProblems)
)]
pub(crate) async fn record(
    State(state): State<AppState>,
    lab: RequireScope<Lab>,
    ApiJson(request): ApiJson<ResultRequest>,
) -> Result<Json<SpecimenBody>, AppError> {
    let code = parse_code(&request.specimen_code, "/specimen_code")?;
    let recorded = store::record_result(&state, &actor(&lab.principal), &code, request.result).await?;
    Ok(Json(specimen_body(recorded, None)))
}

#[derive(Template)]
#[template(path = "officer_booking_lab.html")]
struct LabPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    done: Option<String>,
    /// (code, collected, centre).
    pending: Vec<(String, String, String)>,
    code: &'a str,
    results: Vec<(&'static str, String)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecordForm {
    specimen_code: String,
    result: String,
}

async fn lab_view(
    state: &AppState,
    ctx: &PageContext,
    errors: FormErrors,
    done: Option<String>,
    code: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let pending = store::pending(state, 200, None)
        .await?
        .into_iter()
        .map(|(s, c)| {
            let code = SpecimenCode::parse(&s.specimen_code).map(|c| c.display()).unwrap_or_default();
            (code, ctx.local_time(s.collected_at), c.map(|c| c.names().get(ctx.lang).to_owned()).unwrap_or_default())
        })
        .collect();
    let results =
        TestResult::ALL.into_iter().map(|r| (r.as_str(), ctx.t(&format!("booking-result-{}", r.as_str())))).collect();
    let page = LabPage { ctx, errors, done, pending, code, results };
    ctx.page(status, "booking-lab-title", &page)
}

/// `GET /{lang}/officer/booking/lab`: pending specimens and the result form.
async fn lab_page(
    State(state): State<AppState>,
    lab: RequireScope<Lab>,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let _ = lab;
    lab_view(&state, &ctx, FormErrors::new(), None, "", StatusCode::OK).await
}

/// `POST /{lang}/officer/booking/lab`: records a result.
async fn record_page(
    State(state): State<AppState>,
    lab: RequireScope<Lab>,
    ctx: PageContext,
    PageForm(form): PageForm<RecordForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let code = SpecimenCode::parse(&form.specimen_code);
    if code.is_none() {
        errors.add("specimen_code", "booking-specimen-code-invalid");
    }
    let result = TestResult::parse(&form.result);
    if result.is_none() {
        errors.add("result", "booking-result-missing");
    }
    if let (Some(code), Some(result)) = (code, result) {
        match store::record_result(&state, &actor(&lab.principal), &code, result).await {
            Ok(_) => {
                let done = ctx.t_with("booking-lab-recorded", &[("code", &code.display())]);
                return lab_view(&state, &ctx, errors, Some(done), "", StatusCode::OK).await;
            }
            Err(e) if e.problem == BookingError::UnknownSpecimen.problem() => {
                errors.problem("specimen_code", &BookingError::UnknownSpecimen);
            }
            Err(e) if e.problem == BookingError::ResultRecorded.problem() => {
                errors.problem("specimen_code", &BookingError::ResultRecorded);
            }
            Err(e) => return Err(e),
        }
    }
    lab_view(&state, &ctx, errors, None, &form.specimen_code, StatusCode::UNPROCESSABLE_ENTITY).await
}

// ---------------------------------------------------------------- results

/// A result joined to its booking: the results role only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct JoinedBody {
    specimen_code: String,
    result: Option<TestResult>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    result_at: Option<OffsetDateTime>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    notified_at: Option<OffsetDateTime>,
    booking_id: String,
    reference: String,
    person_id: String,
    programme_id: String,
}

fn joined_body(j: Joined) -> JoinedBody {
    JoinedBody {
        specimen_code: SpecimenCode::parse(&j.specimen.specimen_code).map(|c| c.display()).unwrap_or_default(),
        result: j.specimen.result.as_deref().and_then(TestResult::parse),
        result_at: j.specimen.result_at,
        notified_at: j.specimen.notified_at,
        reference: Reference::parse(&j.booked.booking.reference).map(|r| r.display()).unwrap_or_default(),
        booking_id: j.booked.booking.id,
        person_id: j.booked.booking.person_id,
        programme_id: j.booked.programme.id,
    }
}

/// Results to notify.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct JoinedList {
    items: Vec<JoinedBody>,
}

struct ResultsProblems;

impl utoipa::IntoResponses for ResultsProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[ErrorKind::Unauthenticated.problem(), ErrorKind::Forbidden.problem()])
    }
}

/// `GET /api/v1/booking/results`: results recorded and not yet notified.
#[utoipa::path(
    get,
    path = "/api/v1/booking/results",
    tag = "booking",
    operation_id = "listResultsToNotify",
    summary = "List results to notify, joined to their bookings (oldest 200)",
    description = "For the results role (`booking-results` scope) only: the one role that joins a specimen to \
        the booking and person it came from.",
    responses((status = 200, description = "Results to notify.", body = JoinedList), ResultsProblems)
)]
pub(crate) async fn results(
    State(state): State<AppState>,
    officer: RequireScope<Results>,
) -> Result<Json<JoinedList>, AppError> {
    let _ = officer;
    let items = store::results_to_notify(&state, 200).await?.into_iter().map(joined_body).collect();
    Ok(Json(JoinedList { items }))
}

/// Which result to notify.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotifyRequest {
    #[schema(example = "7Q2M9-XD3PK-4TB")]
    specimen_code: String,
}

struct NotifyProblems;

impl utoipa::IntoResponses for NotifyProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            BookingError::UnknownSpecimen.problem(),
        ])
    }
}

/// Notifies the result of `code` (once); the joined row after.
async fn notify_code(state: &AppState, actor: &str, code: &SpecimenCode) -> Result<Joined, AppError> {
    let Some((s, _)) = store::by_code(state, code).await? else { return Err(BookingError::UnknownSpecimen.into()) };
    if s.result.is_none() {
        return Err(BookingError::UnknownSpecimen.into());
    }
    let Some(joined) = store::results_join(state, s).await? else { return Err(BookingError::UnknownSpecimen.into()) };
    let notified = store::notify(state, actor, &joined).await?;
    let result = joined.specimen.result.as_deref().and_then(TestResult::parse);
    let centre = joined.booked.centre.names().en;
    if let (true, Some(kind)) =
        (notified, result.and_then(|r| super::test_record(r, joined.specimen.collected_at, &centre)))
    {
        crate::health::issue(state, &joined.booked, kind, actor).await;
    }
    let Some((s, _)) = store::by_code(state, code).await? else { return Err(BookingError::UnknownSpecimen.into()) };
    Ok(Joined { specimen: s, booked: joined.booked })
}

/// `POST /api/v1/booking/results/notify`: tell the person their result.
#[utoipa::path(
    post,
    path = "/api/v1/booking/results/notify",
    tag = "booking",
    operation_id = "notifyResult",
    summary = "Notify a specimen's result to the person it came from",
    description = "For the results role (`booking-results` scope). Writes the notice through the outbox and, for \
        a negative or positive result, asks credentials for the signed test record. Notifying twice notifies \
        once. A code with no result yet, or unknown, is 404 `booking/unknown-specimen`.",
    params(platform::openapi::IdempotencyKey),
    request_body(content = NotifyRequest, content_type = "application/json"),
    responses((status = 200, description = "Notified.", body = JoinedBody), NotifyProblems)
)]
pub(crate) async fn notify(
    State(state): State<AppState>,
    officer: RequireScope<Results>,
    ApiJson(request): ApiJson<NotifyRequest>,
) -> Result<Json<JoinedBody>, AppError> {
    let code = parse_code(&request.specimen_code, "/specimen_code")?;
    let joined = notify_code(&state, &actor(&officer.principal), &code).await?;
    Ok(Json(joined_body(joined)))
}

#[derive(Template)]
#[template(path = "officer_booking_results.html")]
struct ResultsPage<'a> {
    ctx: &'a PageContext,
    /// (code, result, reference, document-free summary).
    rows: Vec<(String, String, String)>,
}

/// `GET /{lang}/officer/booking/results`: results to notify.
async fn results_page(
    State(state): State<AppState>,
    officer: RequireScope<Results>,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let _ = officer;
    let rows = store::results_to_notify(&state, 200)
        .await?
        .into_iter()
        .map(|j| {
            let b = joined_body(j);
            let result = b.result.map(|r| ctx.t(&format!("booking-result-{}", r.as_str()))).unwrap_or_default();
            (b.specimen_code, result, b.reference)
        })
        .collect();
    ctx.page(StatusCode::OK, "booking-results-title", &ResultsPage { ctx: &ctx, rows })
}

/// `POST /{lang}/officer/booking/results/notify`: notifies one result.
async fn notify_page(
    State(state): State<AppState>,
    officer: RequireScope<Results>,
    ctx: PageContext,
    PageForm(form): PageForm<RecordForm>,
) -> Result<Response, AppError> {
    let Some(code) = SpecimenCode::parse(&form.specimen_code) else { return Err(AppError::not_found()) };
    notify_code(&state, &actor(&officer.principal), &code).await?;
    Ok(Redirect::to(&ctx.href(RESULTS_PATH)).into_response())
}
