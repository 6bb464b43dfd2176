//! The centre officers' pages (`/{lang}/officer/booking`: check-in by a
//! typed reference, or one the camera read (`assets/booking-check-in.js`,
//! with platform's `qr-camera.js`; the typed form needs no script), walk-in registration, the specimen label)
//! and API (`POST /api/v1/booking/check-ins`, `POST /api/v1/booking/walk-ins`).
//! Every handler takes `RequireScope<Staff>`, and acts only at the centres
//! the officer is assigned to (`store::works_at`).

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use platform::app::AppState;
use platform::error::{AppError, DomainError, ErrorKind, FieldError};
use platform::extract::{ApiJson, PageForm};
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::{Admin, Require, RequireScope};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Staff;
use super::store::{self, Attended};
use crate::bookings::{Reference, Status};
use crate::errors::BookingError;
use crate::health;
use crate::people::DocumentInput;
use crate::programmes::{Ineligible, Kind};
use crate::specimens::SpecimenCode;

/// The check-in page, under each language prefix.
pub(crate) const PATH: &str = "/officer/booking";
const LOOK_UP_PATH: &str = "/officer/booking/look-up";
const CHECK_IN_PATH: &str = "/officer/booking/check-in";
const WALK_IN_PATH: &str = "/officer/booking/walk-in";
const LABEL_PATH: &str = "/officer/booking/specimens";

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route(PATH, get(page))
        .route(LOOK_UP_PATH, post(look_up_page))
        .route(CHECK_IN_PATH, post(check_in_page))
        .route(WALK_IN_PATH, get(walk_in_form).post(walk_in_page))
        .route(&format!("{LABEL_PATH}/{{code}}/label"), get(label_page))
}

fn actor(officer: &RequireScope<Staff>) -> String {
    officer.principal.account_id.to_string()
}

/// After an attendance's commit: the vaccination record, where due.
async fn after_attendance(state: &AppState, officer: &str, attended: &Attended) {
    let b = &attended.booked;
    if b.programme.kind() != Kind::Vaccination {
        return;
    }
    let product = crate::programmes::store::products(&state.db, &b.programme.id)
        .await
        .ok()
        .and_then(|ps| ps.into_iter().find(|p| p.id == b.slot.product_id));
    let Some(product) = product else { return };
    let day = state.to_local(b.booking.attended_at.unwrap_or(b.slot.starts_at)).date();
    let kind = super::vaccination(&product.code, b.booking.step, b.programme.steps, day);
    health::issue(state, b, kind, &format!("account:{officer}")).await;
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "officer_booking.html")]
struct CheckInPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    reference: &'a str,
    done: Option<String>,
    found: Option<Shown>,
    /// The camera's script, and the QR decoder where the build has it.
    script: String,
    decoder: Option<String>,
}

/// The check-in page's camera script (under `assets/`).
pub(crate) const SCRIPT: &str = "booking-check-in.js";

impl<'a> CheckInPage<'a> {
    fn new(state: &AppState, ctx: &'a PageContext, errors: FormErrors, reference: &'a str) -> Self {
        let decoder = platform::assets::QR_DECODER;
        CheckInPage {
            ctx,
            errors,
            reference,
            done: None,
            found: None,
            script: ctx.asset(SCRIPT),
            decoder: state.assets.has(decoder).then(|| ctx.asset(decoder)),
        }
    }
}

/// A booking as the check-in page shows it.
struct Shown {
    reference: String,
    programme: String,
    centre: String,
    when: String,
    document: String,
    status: String,
    can_check_in: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReferenceForm {
    reference: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Done {
    done: String,
}

fn status_key(status: Option<Status>) -> &'static str {
    status.unwrap_or(Status::Confirmed).message_key()
}

/// `GET /{lang}/officer/booking`: the reference form (and the camera, with JavaScript).
async fn page(
    State(state): State<AppState>,
    officer: RequireScope<Staff>,
    ctx: PageContext,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let _ = officer;
    let done = (done.done == "1").then(|| ctx.t("booking-officer-checked-in"));
    let page = CheckInPage { done, ..CheckInPage::new(&state, &ctx, FormErrors::new(), "") };
    ctx.page(StatusCode::OK, "booking-officer-title", &page)
}

/// `POST /{lang}/officer/booking/look-up`: the booking with the typed reference.
async fn look_up_page(
    State(state): State<AppState>,
    officer: RequireScope<Staff>,
    ctx: PageContext,
    PageForm(form): PageForm<ReferenceForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    match store::look_up(&state, &actor(&officer), &form.reference).await {
        Ok(b) => {
            let status = Status::parse(&b.booking.status);
            let day = state.to_local(b.slot.starts_at).date();
            let can_check_in = super::check_in_refusal(status, day, state.today()).is_none();
            let found = Shown {
                reference: Reference::parse(&b.booking.reference).map(|r| r.display()).unwrap_or_default(),
                programme: b.programme.names().get(ctx.lang).to_owned(),
                centre: b.centre.names().get(ctx.lang).to_owned(),
                when: ctx.local_time(b.slot.starts_at),
                document: store::masked_document(&state, &b.booking).await?,
                status: ctx.t(status_key(status)),
                can_check_in,
            };
            let page = CheckInPage { found: Some(found), ..CheckInPage::new(&state, &ctx, errors, "") };
            ctx.page(StatusCode::OK, "booking-officer-title", &page)
        }
        Err(e) if e.problem == BookingError::UnknownReference.problem() => {
            errors.problem("reference", &BookingError::UnknownReference);
            let page = CheckInPage::new(&state, &ctx, errors, &form.reference);
            ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "booking-officer-title", &page)
        }
        Err(e) => Err(e),
    }
}

/// `POST /{lang}/officer/booking/check-in`: marks the booking attended
/// (checked again here), then the label of a specimen, or the form again.
async fn check_in_page(
    State(state): State<AppState>,
    officer: RequireScope<Staff>,
    ctx: PageContext,
    PageForm(form): PageForm<ReferenceForm>,
) -> Result<Response, AppError> {
    let attended = store::check_in(&state, &actor(&officer), &form.reference).await?;
    after_attendance(&state, &actor(&officer), &attended).await;
    Ok(match attended.specimen {
        Some(code) => Redirect::to(&format!("{}/{}/label", ctx.href(LABEL_PATH), code.as_str())).into_response(),
        None => Redirect::to(&format!("{}?done=1", ctx.href(PATH))).into_response(),
    })
}

#[derive(Template)]
#[template(path = "officer_booking_walk_in.html")]
struct WalkInPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    /// (slot ID, label, chosen).
    slots: Vec<(String, String, bool)>,
    number: &'a str,
    kind: &'a str,
    birthdate: &'a str,
    /// The date input's bound: no date of birth after today.
    birthdate_max: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct WalkInForm {
    slot_id: String,
    document_kind: String,
    document_number: String,
    birthdate: String,
}

/// Without the document's number (DESIGN §6: never logged).
impl std::fmt::Debug for WalkInForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalkInForm").field("slot_id", &self.slot_id).finish_non_exhaustive()
    }
}

async fn walk_in_view(
    state: &AppState,
    officer: &str,
    ctx: &PageContext,
    errors: FormErrors,
    form: &WalkInForm,
    status: StatusCode,
) -> Result<Response, AppError> {
    let slots = store::slots_today(state, officer)
        .await?
        .into_iter()
        .map(|(s, c, p)| {
            let label = format!(
                "{} · {} · {} ({})",
                p.names().get(ctx.lang),
                c.names().get(ctx.lang),
                ctx.local_clock(s.starts_at),
                ctx.t_with("booking-officer-free", &[("free", &s.free().to_string())])
            );
            let chosen = s.id == form.slot_id;
            (s.id, label, chosen)
        })
        .collect();
    let kind = if form.document_kind.is_empty() { "hkid" } else { form.document_kind.as_str() };
    let birthdate_max = format!("max={}", state.today());
    let page = WalkInPage {
        ctx,
        errors,
        slots,
        number: &form.document_number,
        kind,
        birthdate: &form.birthdate,
        birthdate_max,
    };
    ctx.page(status, "booking-walk-in-title", &page)
}

/// `GET /{lang}/officer/booking/walk-in`: today's slots and the document form.
async fn walk_in_form(
    State(state): State<AppState>,
    officer: RequireScope<Staff>,
    ctx: PageContext,
) -> Result<Response, AppError> {
    walk_in_view(&state, &actor(&officer), &ctx, FormErrors::new(), &WalkInForm::default(), StatusCode::OK).await
}

/// `POST /{lang}/officer/booking/walk-in`: registers the walk-in, then the
/// specimen label (testing) or the check-in page.
async fn walk_in_page(
    State(state): State<AppState>,
    officer: RequireScope<Staff>,
    ctx: PageContext,
    PageForm(form): PageForm<WalkInForm>,
) -> Result<Response, AppError> {
    let input = DocumentInput {
        kind: form.document_kind.clone(),
        number: form.document_number.clone(),
        country: String::new(),
    };
    let mut errors = FormErrors::new();
    let document = match input.parse("") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add("document_number", "booking-document-hkid-format");
            None
        }
    };
    if form.slot_id.trim().is_empty() {
        errors.add("slot_id", "booking-walk-in-slot-missing");
    }
    let birthdate = match form.birthdate.trim() {
        "" => None,
        text => {
            let parsed = parse_birthdate(text, state.today());
            if parsed.is_none() {
                errors.add("birthdate", "booking-walk-in-birthdate-invalid");
            }
            parsed
        }
    };
    let (Some(document), true) = (document, errors.is_empty()) else {
        return walk_in_view(&state, &actor(&officer), &ctx, errors, &form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match store::walk_in(&state, &actor(&officer), form.slot_id.trim(), &document, birthdate).await {
        Ok(attended) => {
            after_attendance(&state, &actor(&officer), &attended).await;
            Ok(match attended.specimen {
                Some(code) => {
                    Redirect::to(&format!("{}/{}/label", ctx.href(LABEL_PATH), code.as_str())).into_response()
                }
                None => Redirect::to(&format!("{}?done=1", ctx.href(PATH))).into_response(),
            })
        }
        Err(e) => {
            // Booking's own refusals are shown beside the field to change.
            let (status, refused) = crate::errors::refusal(e)?;
            let reason = refused.1.iter().find(|(name, _)| *name == "reason").map(|(_, r)| r.as_str());
            let field = match reason {
                Some("birthdate-unknown" | "too-young" | "too-old") => "birthdate",
                _ if refused.0 == BookingError::Duplicate.problem() => "document_number",
                Some("not-resident") => "document_number",
                _ => "slot_id",
            };
            errors.problem(field, &refused);
            walk_in_view(&state, &actor(&officer), &ctx, errors, &form, status).await
        }
    }
}

#[derive(Template)]
#[template(path = "officer_booking_label.html")]
struct LabelPage<'a> {
    ctx: &'a PageContext,
    code: String,
    qr: String,
    centre: String,
    collected: String,
}

/// `GET /{lang}/officer/booking/specimens/{code}/label`: the printable
/// label: the code as a QR code and in print, the centre and time. No
/// personal data.
async fn label_page(
    State(state): State<AppState>,
    officer: RequireScope<Staff>,
    ctx: PageContext,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let Some(code) = SpecimenCode::parse(&code) else { return Err(AppError::not_found()) };
    let Some((specimen, centre)) = crate::specimens::store::by_code(&state, &code).await? else {
        return Err(AppError::not_found());
    };
    // Only the labels of the officer's own centres.
    if !store::works_at(&state.db, &actor(&officer), &specimen.centre_id).await? {
        return Err(AppError::not_found());
    }
    let page = LabelPage {
        ctx: &ctx,
        qr: crate::specimens::qr_data_uri(code.as_str())?,
        code: code.display(),
        centre: centre.map(|c| c.names().get(ctx.lang).to_owned()).unwrap_or_default(),
        collected: ctx.local_time(specimen.collected_at),
    };
    ctx.page(StatusCode::OK, "booking-label-title", &page)
}

// ---------------------------------------------------------------- API

/// What to check in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckInRequest {
    /// The booking's reference, as read or scanned: case and dashes do not matter.
    #[schema(example = "K7Q2M-9XD3P")]
    reference: String,
}

/// A walk-in to register.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WalkInRequest {
    /// One of today's slots at the centre.
    slot_id: String,
    /// The person's identity document, as the officer read it.
    document: DocumentInput,
    /// The date of birth on the document (`YYYY-MM-DD`): needed where the
    /// programme has an age rule, else 422 `booking/ineligible` with
    /// `reason` `birthdate-unknown`.
    #[serde(default)]
    #[schema(format = Date, example = "1950-03-14")]
    birthdate: Option<String>,
}

/// Without the document's number (DESIGN §6: never logged).
impl std::fmt::Debug for WalkInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalkInRequest").field("slot_id", &self.slot_id).finish_non_exhaustive()
    }
}

/// A date of birth as typed (`YYYY-MM-DD`), which cannot be in the future.
fn parse_birthdate(text: &str, today: time::Date) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), format).ok().filter(|d| *d <= today && d.year() >= 1870)
}

/// An attendance as the centre's officer sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AttendanceBody {
    booking_id: String,
    #[schema(example = "K7Q2M-9XD3P")]
    reference: String,
    status: Status,
    programme_id: String,
    centre_id: String,
    slot_id: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    starts_at: OffsetDateTime,
    /// The person's identity document, masked (`A123***(7)`).
    document: String,
    /// A testing programme's specimen code (print its label), else null.
    #[schema(example = "7Q2M9-XD3PK-4TB")]
    specimen_code: Option<String>,
}

async fn attendance_body(state: &AppState, attended: Attended) -> Result<AttendanceBody, AppError> {
    let b = attended.booked;
    Ok(AttendanceBody {
        document: store::masked_document(state, &b.booking).await?,
        reference: Reference::parse(&b.booking.reference).map(|r| r.display()).unwrap_or_default(),
        booking_id: b.booking.id,
        status: Status::parse(&b.booking.status).unwrap_or(Status::Attended),
        programme_id: b.programme.id,
        centre_id: b.centre.id,
        slot_id: b.slot.id,
        starts_at: b.slot.starts_at,
        specimen_code: attended.specimen.map(|c| c.display()),
    })
}

struct CheckInProblems;

impl utoipa::IntoResponses for CheckInProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            BookingError::UnknownReference.problem(),
            BookingError::WrongDay.problem(),
            BookingError::AlreadyAttended.problem(),
            BookingError::AlreadyCancelled.problem(),
            BookingError::TooManyLookUps.problem(),
            BookingError::OtherCentre.problem(),
        ])
    }
}

/// `POST /api/v1/booking/check-ins`: check a booking in at the centre.
#[utoipa::path(
    post,
    path = "/api/v1/booking/check-ins",
    tag = "booking",
    operation_id = "checkIn",
    summary = "Check a booking in at the centre",
    description = "For officers with the `booking-staff` scope. Marks the booking with this reference attended, \
        on its slot's local day only (409 `booking/wrong-day`); attended already is 409 \
        `booking/already-attended`, cancelled 409 `booking/already-cancelled`. An unknown reference is 404 \
        `booking/unknown-reference` and counts against the officer: past the hour's limit every look-up is \
        429 `booking/too-many-look-ups`. A booking at a centre the officer is not assigned to (see \
        `PUT /api/v1/booking/admin/centres/{id}/officers`) is 403 `booking/other-centre`, and counts against \
        the officer like an unknown reference. A testing programme's \
        attendance carries its new specimen code.",
    params(platform::openapi::IdempotencyKey),
    request_body(content = CheckInRequest, content_type = "application/json"),
    responses((status = 200, description = "Checked in.", body = AttendanceBody), CheckInProblems)
)]
pub(crate) async fn check_in(
    State(state): State<AppState>,
    officer: RequireScope<Staff>,
    ApiJson(request): ApiJson<CheckInRequest>,
) -> Result<Json<AttendanceBody>, AppError> {
    let attended = store::check_in(&state, &actor(&officer), &request.reference).await?;
    after_attendance(&state, &actor(&officer), &attended).await;
    Ok(Json(attendance_body(&state, attended).await?))
}

struct WalkInProblems;

impl utoipa::IntoResponses for WalkInProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            BookingError::UnknownSlot.problem(),
            BookingError::WrongDay.problem(),
            BookingError::Full.problem(),
            BookingError::Duplicate.problem(),
            BookingError::SlotClosed.problem(),
            BookingError::Ineligible(Ineligible::NotOpen).problem(),
            BookingError::OtherCentre.problem(),
            ErrorKind::Validation.problem(),
        ])
    }
}

/// `POST /api/v1/booking/walk-ins`: register a walk-in.
#[utoipa::path(
    post,
    path = "/api/v1/booking/walk-ins",
    tag = "booking",
    operation_id = "registerWalkIn",
    summary = "Register a person at the centre without a prior booking",
    description = "For officers with the `booking-staff` scope, at a centre they are assigned to (another \
        centre's slot is 403 `booking/other-centre`). Takes a place in one of today's slots as a \
        booking does (409 `booking/full` when none is left; 409 `booking/wrong-day` for another day's slot) and \
        marks it attended. The document is sealed and blind-indexed; a person holding a booking for this \
        programme step already is 409 `booking/duplicate`. A programme with an age rule needs the `birthdate` \
        on the document (422 `booking/ineligible`, `reason` `birthdate-unknown`, without it; a malformed or \
        future date is 422 naming `/birthdate`); one outside the ages is `too-young` or `too-old`.",
    params(platform::openapi::IdempotencyKey),
    request_body(content = WalkInRequest, content_type = "application/json"),
    responses((status = 201, description = "Registered and attended.", body = AttendanceBody), WalkInProblems)
)]
pub(crate) async fn walk_in(
    State(state): State<AppState>,
    officer: RequireScope<Staff>,
    ApiJson(request): ApiJson<WalkInRequest>,
) -> Result<Response, AppError> {
    let document = request.document.parse("/document")?;
    let birthdate = match request.birthdate.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => None,
        Some(text) => Some(parse_birthdate(text, state.today()).ok_or_else(|| {
            AppError::validation(vec![FieldError::new("/birthdate", "invalid", "booking-walk-in-birthdate-invalid")])
        })?),
    };
    let attended = store::walk_in(&state, &actor(&officer), request.slot_id.trim(), &document, birthdate).await?;
    after_attendance(&state, &actor(&officer), &attended).await;
    Ok((StatusCode::CREATED, Json(attendance_body(&state, attended).await?)).into_response())
}

/// The officers who work at a centre.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CentreOfficers {
    /// Account IDs of officers with the `booking-staff` scope who check people
    /// in, register walk-ins and print labels at this centre (at most 500).
    #[schema(example = json!(["0199a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"]))]
    officers: Vec<String>,
}

/// The largest list of officers one centre takes.
const MAX_CENTRE_OFFICERS: usize = 500;

struct CentreOfficerProblems;

impl utoipa::IntoResponses for CentreOfficerProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            BookingError::UnknownCentre.problem(),
            ErrorKind::Validation.problem(),
        ])
    }
}

struct CentreOfficerReadProblems;

impl utoipa::IntoResponses for CentreOfficerReadProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            BookingError::UnknownCentre.problem(),
        ])
    }
}

/// `GET /api/v1/booking/admin/centres/{id}/officers`.
#[utoipa::path(
    get,
    path = "/api/v1/booking/admin/centres/{id}/officers",
    tag = "booking-admin",
    operation_id = "getCentreOfficers",
    summary = "The officers who work at a centre",
    params(("id" = String, Path, description = "The centre's ID.")),
    responses((status = 200, description = "The officers' account IDs.", body = CentreOfficers), CentreOfficerReadProblems)
)]
pub(crate) async fn centre_officers(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    Path(id): Path<String>,
) -> Result<Json<CentreOfficers>, AppError> {
    let officers = store::officers_of_centre(&state.db, &id).await?.ok_or(BookingError::UnknownCentre)?;
    Ok(Json(CentreOfficers { officers }))
}

/// `PUT /api/v1/booking/admin/centres/{id}/officers`.
#[utoipa::path(
    put,
    path = "/api/v1/booking/admin/centres/{id}/officers",
    tag = "booking-admin",
    operation_id = "putCentreOfficers",
    summary = "Set who works at a centre",
    description = "For administrators. Replaces the centre's officers with this list (account IDs; an empty \
        list leaves nobody). An officer with the `booking-staff` scope checks people in, registers walk-ins and \
        prints specimen labels only at the centres listed for them; elsewhere the check-in and walk-in answer \
        403 `booking/other-centre`. Audited.",
    params(("id" = String, Path, description = "The centre's ID.")),
    request_body(content = CentreOfficers, content_type = "application/json"),
    responses((status = 200, description = "The officers now assigned.", body = CentreOfficers), CentreOfficerProblems)
)]
pub(crate) async fn put_centre_officers(
    State(state): State<AppState>,
    admin: Require<Admin>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CentreOfficers>,
) -> Result<Json<CentreOfficers>, AppError> {
    let officers = account_ids(&body.officers, "/officers")?;
    let actor = format!("account:{}", admin.principal.account_id);
    Ok(Json(CentreOfficers { officers: store::set_officers(&state, &id, &officers, &actor).await? }))
}

/// Account IDs as given (UUIDs, each once, at most `MAX_CENTRE_OFFICERS`),
/// in canonical form; `pointer` names the list in errors.
pub(crate) fn account_ids(given: &[String], pointer: &str) -> Result<Vec<String>, AppError> {
    if given.len() > MAX_CENTRE_OFFICERS {
        let message = "booking-centre-officers-too-many";
        return Err(AppError::validation(vec![FieldError::new(pointer, "too-many", message)]));
    }
    let mut errors = Vec::new();
    let mut ids: Vec<String> = Vec::with_capacity(given.len());
    for (n, text) in given.iter().enumerate() {
        match uuid::Uuid::parse_str(text.trim()) {
            Ok(id) if !ids.contains(&id.to_string()) => ids.push(id.to_string()),
            Ok(_) => {}
            Err(_) => {
                errors.push(FieldError::new(format!("{pointer}/{n}"), "invalid", "booking-centre-officer-invalid"))
            }
        }
    }
    if errors.is_empty() { Ok(ids) } else { Err(AppError::validation(errors)) }
}
