//! The residents' booking API: `POST /api/v1/booking/bookings` (book a
//! place for yourself or someone you look after), `GET` (your bookings) and
//! `DELETE /api/v1/booking/bookings/{id}` (cancel: the place goes back at
//! once), `POST /api/v1/booking/bookings/{id}/reschedule` (move it to
//! another slot of the same programme and product). Callers are residents signed in by the browser session (with the
//! CSRF header) or by an access token with the `booking` scope.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::app::AppState;
use platform::error::{AppError, DomainError, ErrorKind};
use platform::extract::ApiJson;
use platform::paging::{Cursor, PageQuery};
use platform::principal::Granted;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::store::{self, Booked};
use super::{Reference, Status};
use crate::errors::BookingError;
use crate::people::{self, DocumentInput};
use crate::programmes::Ineligible;
use crate::programmes::Names;
use crate::waiting::Refused;

const BOOKINGS_PATH: &str = "/api/v1/booking/bookings";

/// What to book.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BookRequest {
    /// The slot, from the availability.
    slot_id: String,
    /// Who the place is for: yourself (the default) or a dependant you look after.
    #[serde(default)]
    person_id: Option<String>,
    /// The person's identity document, needed only when identity has not
    /// checked one for them: it makes them one person to the duplicate check.
    #[serde(default)]
    document: Option<DocumentInput>,
}

/// A booking as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct BookingBody {
    id: String,
    /// What the person shows or reads out at the centre: `K7Q2M-9XD3P`.
    #[schema(example = "K7Q2M-9XD3P")]
    reference: String,
    status: Status,
    programme_id: String,
    programme: Names,
    /// The course step (dose) this booking is for, from 1.
    step: i32,
    slot_id: String,
    centre_id: String,
    centre: Names,
    address: Names,
    product_id: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    starts_at: OffsetDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    ends_at: OffsetDateTime,
    person_id: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    cancelled_at: Option<OffsetDateTime>,
    /// Set when a closure cancelled or moved it: `typhoon-8` or
    /// `black-rainstorm` (a cancelled one may be booked again).
    closed_reason: Option<String>,
}

pub(crate) fn body(b: Booked) -> BookingBody {
    let reference = Reference::parse(&b.booking.reference).map(|r| r.display()).unwrap_or(b.booking.reference);
    BookingBody {
        id: b.booking.id,
        reference,
        status: Status::parse(&b.booking.status).unwrap_or(Status::Confirmed),
        programme: b.programme.names(),
        programme_id: b.programme.id,
        step: b.booking.step,
        centre: b.centre.names(),
        address: b.centre.address(),
        centre_id: b.centre.id,
        slot_id: b.slot.id,
        product_id: b.slot.product_id,
        starts_at: b.slot.starts_at,
        ends_at: b.slot.ends_at,
        person_id: b.booking.person_id,
        created_at: b.booking.created_at,
        cancelled_at: b.booking.cancelled_at,
        closed_reason: b.booking.closed_reason,
    }
}

struct BookProblems;

impl utoipa::IntoResponses for BookProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            BookingError::UnknownSlot.problem(),
            BookingError::UnknownPerson.problem(),
            BookingError::Full.problem(),
            BookingError::Duplicate.problem(),
            BookingError::SlotClosed.problem(),
            BookingError::Ineligible(Ineligible::NotOpen).problem(),
            BookingError::WaitingRoom { programme_id: String::new(), refused: Refused::Missing }.problem(),
        ])
    }
}

/// `POST /api/v1/booking/bookings`: book a place.
#[utoipa::path(
    post,
    path = "/api/v1/booking/bookings",
    tag = "booking",
    operation_id = "book",
    security(("session" = []), ("bearer" = ["booking"])),
    summary = "Book a place in a slot",
    description = "For residents (session with the CSRF header, or an access token with the `booking` scope). \
        Books for the caller, or for `person_id`, a dependant they look after. A slot with no place left is \
        409 `booking/full`; a person who holds a booking for this programme step already is 409 \
        `booking/duplicate`; a person who may not book it is 422 `booking/ineligible` with a machine-readable \
        `reason` (`level`, `not-resident`, `birthdate-unknown`, `too-young`, `too-old`, `course-complete`, \
        `too-soon`, `too-late`, `other-product`, `not-open`, `slot-past`, `document-needed`, and \
        `document-unchecked` for a document typed in for a real-name or residents-only programme, which needs \
        the one identity checked). While the \
        programme's waiting room is on, the request needs the caller's admission token (header \
        `Lionrock-Admission`, or the cookie the queue sets), else 428 `booking/waiting-room` with `reason` \
        `admission-missing`, `admission-invalid` or `admission-expired`: join the queue at \
        `POST /api/v1/booking/programmes/{id}/queue`. With an `Idempotency-Key`, a retried request is answered as the first was and never books twice.",
    params(platform::openapi::IdempotencyKey),
    request_body(content = BookRequest, content_type = "application/json"),
    responses((status = 201, description = "Booked.", body = BookingBody), BookProblems)
)]
pub(crate) async fn book(
    State(state): State<AppState>,
    Granted { principal, .. }: Granted<crate::BookingScope>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<BookRequest>,
) -> Result<Response, AppError> {
    let account = principal.account_id.to_string();
    let slot_id = request.slot_id.trim();
    // One read of the slot serves the waiting room, the checks, and a full
    // slot's answer, before anything is asked about the person.
    let target = store::target(&state.db, slot_id).await?;
    if let Some(t) = target.as_ref().filter(|t| t.room_on) {
        crate::waiting::http::admit(&state, &headers, &account, &t.programme.id)?;
    }
    let document = request.document.as_ref().map(|d| d.parse("/document")).transpose()?;
    let Some(target) = target else { return Err(BookingError::UnknownSlot.into()) };
    target.check(platform::db::now())?;
    let holder = people::holder(&state, &principal, request.person_id.as_deref(), document.as_ref()).await?;
    let new = store::NewBooking { slot_id, holder, account_id: &account, level: principal.level };
    let booked = store::book_target(&state, target, new).await?;
    Ok((StatusCode::CREATED, Json(body(booked))).into_response())
}

/// A page of bookings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct BookingPage {
    items: Vec<BookingBody>,
    /// The cursor of the next page, or null on the last.
    next: Option<String>,
}

struct ListProblems;

impl utoipa::IntoResponses for ListProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::BadRequest.problem(),
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
        ])
    }
}

/// `GET /api/v1/booking/bookings`: the caller's bookings, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/booking/bookings",
    tag = "booking",
    operation_id = "listBookings",
    security(("session" = []), ("bearer" = ["booking"])),
    summary = "List the bookings you made, newest first",
    description = "For residents: every booking the caller made, for themselves or for people they look after, \
        cancelled ones included. Paged by cursor: follow `next` (or the `Link` header) until it is null.",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of bookings.", body = BookingPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page; absent on the last page."))),
        ListProblems
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Granted { principal, .. }: Granted<crate::BookingScope>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let page = query.parse()?;
    let mut rows =
        store::page_of_account(&state, &principal.account_id.to_string(), page.limit, page.after.as_ref()).await?;
    let more = rows.len() as u64 > page.limit;
    rows.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
    let next = if more {
        rows.last().map(|b| Cursor { at: b.booking.created_at, id: b.booking.id.clone() }.encode())
    } else {
        None
    };
    let items = rows.into_iter().map(body).collect();
    let link =
        next.as_deref().and_then(|c| platform::paging::next_link(&state.public_url(), BOOKINGS_PATH, page.limit, c));
    let mut response = Json(BookingPage { items, next }).into_response();
    if let Some(link) = link {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

struct CancelProblems;

impl utoipa::IntoResponses for CancelProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            BookingError::UnknownBooking.problem(),
            BookingError::AlreadyCancelled.problem(),
            BookingError::NotCancellable.problem(),
            ErrorKind::Conflict.problem(),
        ])
    }
}

/// `DELETE /api/v1/booking/bookings/{id}`: cancel a booking.
#[utoipa::path(
    delete,
    path = "/api/v1/booking/bookings/{id}",
    tag = "booking",
    operation_id = "cancelBooking",
    security(("session" = []), ("bearer" = ["booking"])),
    summary = "Cancel a booking; its place goes back to the pool at once",
    description = "For the resident who made the booking. Cancelling twice is 409 `booking/already-cancelled`; \
        a booking attended, missed or whose slot has begun is 409 `booking/not-cancellable`; a booking the \
        caller did not make is 404. A booking changed by someone else between the read and the write (moved, \
        cancelled or checked in meanwhile) is 409 `conflict`: read it again.",
    params(("id" = String, Path, description = "The booking's ID.")),
    responses((status = 200, description = "Cancelled.", body = BookingBody), CancelProblems)
)]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Granted { principal, .. }: Granted<crate::BookingScope>,
    Path(id): Path<String>,
) -> Result<Json<BookingBody>, AppError> {
    let account = principal.account_id.to_string();
    let cancelled = store::cancel(&state, &account, id.trim(), &format!("account:{account}")).await?;
    Ok(Json(body(cancelled)))
}

/// Where to move a booking.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RescheduleRequest {
    /// The new slot: same programme and product, from the availability.
    slot_id: String,
}

struct RescheduleProblems;

impl utoipa::IntoResponses for RescheduleProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            BookingError::UnknownBooking.problem(),
            BookingError::UnknownSlot.problem(),
            BookingError::AlreadyCancelled.problem(),
            BookingError::NotCancellable.problem(),
            BookingError::Full.problem(),
            BookingError::SlotClosed.problem(),
            BookingError::OtherProgramme.problem(),
            BookingError::Ineligible(Ineligible::NotOpen).problem(),
            BookingError::WaitingRoom { programme_id: String::new(), refused: Refused::Missing }.problem(),
            ErrorKind::Conflict.problem(),
        ])
    }
}

/// `POST /api/v1/booking/bookings/{id}/reschedule`: move a booking.
#[utoipa::path(
    post,
    path = "/api/v1/booking/bookings/{id}/reschedule",
    tag = "booking",
    operation_id = "rescheduleBooking",
    security(("session" = []), ("bearer" = ["booking"])),
    summary = "Move a booking to another slot of the same programme and product",
    description = "For the resident who made the booking. In one transaction the new slot's place is taken \
        (409 `booking/full` when none is left), the booking moves, and the old place goes back to the pool. \
        The person's eligibility is checked again for the new day (422 `booking/ineligible` with `reason`; \
        `other-product` for a slot of another product). A slot of another programme is 422 \
        `booking/other-programme`; a cancelled booking 409 `booking/already-cancelled`; one attended, missed \
        or begun 409 `booking/not-cancellable`; one changed by another request meanwhile 409 `conflict`. Moving to \
        the slot it holds changes nothing. While the programme's waiting room is on, the request needs the \
        caller's admission token, as booking does (428 `booking/waiting-room`). With an `Idempotency-Key`, a \
        retried request is answered as the first was.",
    params(("id" = String, Path, description = "The booking's ID."), platform::openapi::IdempotencyKey),
    request_body(content = RescheduleRequest, content_type = "application/json"),
    responses((status = 200, description = "Moved.", body = BookingBody), RescheduleProblems)
)]
pub(crate) async fn reschedule(
    State(state): State<AppState>,
    Granted { principal, .. }: Granted<crate::BookingScope>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<RescheduleRequest>,
) -> Result<Json<BookingBody>, AppError> {
    let account = principal.account_id.to_string();
    crate::waiting::http::require_admission(&state, &headers, &account, request.slot_id.trim()).await?;
    let actor = format!("account:{account}");
    let moved = store::reschedule(&state, &account, principal.level, id.trim(), request.slot_id.trim(), &actor).await?;
    Ok(Json(body(moved)))
}
