//! The waiting room's API: `POST /api/v1/booking/programmes/{id}/queue`
//! (join), `GET …/queue` (where you stand: the queue page polls it), the
//! administrators' `GET`/`PUT …/waiting-room`, and `require_admission`,
//! which every booking route calls before taking a place.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use platform::app::AppState;
use platform::error::{AppError, DomainError, ErrorKind};
use platform::extract::ApiJson;
use platform::principal::{Admin, Granted, Require};
use platform::web::ClientInfo;
use serde::Serialize;
use time::OffsetDateTime;

use super::store::{self, Standing};
use super::{ADMISSION_HEADER, Admission, Refused, Settings};
use crate::errors::BookingError;
use crate::programmes::store as programmes;

/// Where the caller stands, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct QueueBody {
    programme_id: String,
    /// `off` (no waiting room: book straight away), `not_queued`, `waiting`,
    /// `ready` (the turn has come: join again, a POST, to start the admission
    /// and get its token), `admitted` (book with `token`), or `expired` (join
    /// again for a new place).
    state: QueueState,
    /// The caller's place, numbered from 1 in the order of joining.
    #[serde(skip_serializing_if = "Option::is_none")]
    place: Option<i64>,
    /// Places to be admitted up to and including the caller's.
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<i64>,
    /// Estimated seconds until admission, at the room's admission rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    wait_seconds: Option<i64>,
    /// Visitors admitted per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_per_minute: Option<u32>,
    /// The admission token: send it in the `Lionrock-Admission` header when
    /// booking (browsers also get it in an HttpOnly cookie). Bound to your
    /// account and this programme; valid for any number of bookings until `expires_at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    expires_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum QueueState {
    Off,
    NotQueued,
    Waiting,
    Ready,
    Admitted,
    Expired,
}

pub(super) fn time_of(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

pub(crate) fn queue_body(programme_id: &str, rate: Option<u32>, standing: &Standing) -> QueueBody {
    let mut body = QueueBody {
        programme_id: programme_id.to_owned(),
        state: QueueState::Off,
        place: None,
        position: None,
        wait_seconds: None,
        rate_per_minute: rate,
        token: None,
        expires_at: None,
    };
    match standing {
        Standing::Off => body.rate_per_minute = None,
        Standing::NotQueued => body.state = QueueState::NotQueued,
        Standing::Waiting { place, position, wait_seconds } => {
            body.state = QueueState::Waiting;
            body.place = Some(*place);
            body.position = Some(*position);
            body.wait_seconds = Some(*wait_seconds);
        }
        Standing::Ready { place } => {
            body.state = QueueState::Ready;
            body.place = Some(*place);
            body.position = Some(0);
            body.wait_seconds = Some(0);
        }
        Standing::Admitted { place, admission, token } => {
            body.state = QueueState::Admitted;
            body.place = Some(*place);
            body.position = Some(0);
            body.wait_seconds = Some(0);
            body.token = Some(token.clone());
            body.expires_at = time_of(admission.expires_ms);
        }
        Standing::Expired { place } => {
            body.state = QueueState::Expired;
            body.place = Some(*place);
        }
    }
    body
}

/// The `Set-Cookie` that carries an admission to the booking pages, if admitted.
pub(crate) fn admission_cookie(
    programme_id: &str,
    standing: &Standing,
    https: bool,
    now_ms: i64,
) -> Option<HeaderValue> {
    let Standing::Admitted { admission, token, .. } = standing else { return None };
    let max_age = u64::try_from((admission.expires_ms - now_ms) / 1000).unwrap_or(0);
    Some(platform::web::cookie(&super::cookie_name(programme_id), token, https, Some(max_age)))
}

async fn programme_of(state: &AppState, id: &str) -> Result<programmes::programme::Model, AppError> {
    programmes::programme(&state.db, id.trim()).await?.ok_or_else(AppError::not_found)
}

async fn answer(
    state: &AppState,
    programme_id: &str,
    standing: Standing,
    https: bool,
    now_ms: i64,
) -> Result<Response, AppError> {
    let rate = store::room(&state.db, programme_id).await?.map(|r| r.settings().rate_per_minute);
    let cookie = admission_cookie(programme_id, &standing, https, now_ms);
    let mut response = Json(queue_body(programme_id, rate, &standing)).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

struct QueueProblems;

impl utoipa::IntoResponses for QueueProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            ErrorKind::NotFound.problem(),
        ])
    }
}

/// `POST /api/v1/booking/programmes/{id}/queue`: join the waiting room.
#[utoipa::path(
    post,
    path = "/api/v1/booking/programmes/{id}/queue",
    tag = "booking",
    operation_id = "joinBookingQueue",
    security(("session" = []), ("bearer" = ["booking"])),
    summary = "Join a programme's waiting room",
    description = "For residents (session with the CSRF header, or an access token with the `booking` scope). \
        When the programme's waiting room is on, the caller gets a numbered place, first come first served; \
        joining again returns the same place (one per account). When admitted, the answer carries the \
        admission `token`: send it as the `Lionrock-Admission` header with `POST /api/v1/booking/bookings` \
        (browsers also get it in the HttpOnly cookie `lr_admission_<programme ID>`). It is bound to the \
        account and the programme and valid for any number of bookings until `expires_at`; after that, \
        joining again takes a new place at the back. A place whose turn came while the caller only looked \
        (`ready`) starts its admission when the caller joins again, within `validity_minutes` of the turn; \
        after that the place has lapsed (`expired`) and joining again takes a new place at the back. With the \
        room off the state is `off` and no token is needed. Idempotent by itself, so `Idempotency-Key` is ignored.",
    params(("id" = String, Path, description = "The programme's ID or slug.")),
    responses((status = 200, description = "Where the caller stands.", body = QueueBody), QueueProblems)
)]
pub(crate) async fn join(
    State(state): State<AppState>,
    Granted { principal, .. }: Granted<crate::BookingScope>,
    client: axum::Extension<ClientInfo>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let programme = programme_of(&state, &id).await?;
    let now_ms = super::unix_ms(platform::db::now());
    let standing = store::join(&state, &programme.id, &principal.account_id.to_string(), now_ms).await?;
    answer(&state, &programme.id, standing, client.https, now_ms).await
}

/// `GET /api/v1/booking/programmes/{id}/queue`: where the caller stands.
#[utoipa::path(
    get,
    path = "/api/v1/booking/programmes/{id}/queue",
    tag = "booking",
    operation_id = "bookingQueueStatus",
    security(("session" = []), ("bearer" = ["booking"])),
    summary = "Where you stand in a programme's waiting room",
    description = "For residents (session, or an access token with the `booking` scope). The caller's place, position (places to be admitted up to and including \
        theirs) and estimated wait at the room's admission rate. Every server answers the same: the admission \
        clock is computed from the database and the time. Poll it every few seconds; it changes nothing: it \
        never takes a place (`not_queued` until joined) and never starts an admission. When the turn has \
        come the state is `ready`: join again (POST) within `validity_minutes` to start the admission and get \
        its token, or the place lapses (`expired`); once started, this answers `admitted` with the token too.",
    params(("id" = String, Path, description = "The programme's ID or slug.")),
    responses((status = 200, description = "Where the caller stands.", body = QueueBody), QueueProblems)
)]
pub(crate) async fn status(
    State(state): State<AppState>,
    Granted { principal, .. }: Granted<crate::BookingScope>,
    client: axum::Extension<ClientInfo>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let programme = programme_of(&state, &id).await?;
    let now_ms = super::unix_ms(platform::db::now());
    let standing = store::status(&state, &programme.id, &principal.account_id.to_string(), now_ms).await?;
    answer(&state, &programme.id, standing, client.https, now_ms).await
}

/// A programme's waiting room as administrators see it: its settings and counters.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct RoomBody {
    programme_id: String,
    /// Whether visitors must queue before booking.
    enabled: bool,
    /// Visitors admitted per minute.
    rate_per_minute: u32,
    /// How long an admission lasts, in minutes.
    validity_minutes: u32,
    /// Places taken so far.
    joined: i64,
    /// Places admitted so far (as last stored: joining advances it).
    admitted: i64,
}

/// A room's settings as an administrator sends them: these three and no
/// other member (the counters of the answer cannot be set).
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoomSettings {
    /// Whether visitors must queue before booking.
    enabled: bool,
    /// Visitors admitted per minute (1 to 1,000,000).
    rate_per_minute: u32,
    /// How long an admission lasts, in minutes (1 to 1,440).
    validity_minutes: u32,
}

async fn room_body(state: &AppState, programme_id: &str) -> Result<RoomBody, AppError> {
    let room = store::room(&state.db, programme_id).await?;
    let settings = room.as_ref().map(store::room::Model::settings).unwrap_or_default();
    Ok(RoomBody {
        programme_id: programme_id.to_owned(),
        enabled: settings.enabled,
        rate_per_minute: settings.rate_per_minute,
        validity_minutes: settings.validity_minutes,
        joined: room.as_ref().map_or(0, |r| r.joined),
        admitted: room.as_ref().map_or(0, |r| r.admitted),
    })
}

struct RoomProblems;

impl utoipa::IntoResponses for RoomProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
            ErrorKind::NotFound.problem(),
            BookingError::BadWaitingRoom(super::BadSetting::Rate).problem(),
        ])
    }
}

/// `GET /api/v1/booking/programmes/{id}/waiting-room`: the room's settings.
#[utoipa::path(
    get,
    path = "/api/v1/booking/programmes/{id}/waiting-room",
    tag = "booking",
    operation_id = "bookingWaitingRoom",
    summary = "A programme's waiting room settings and counters",
    description = "For administrators. Off by default (rate 600 a minute, admissions valid 15 minutes).",
    params(("id" = String, Path, description = "The programme's ID or slug.")),
    responses((status = 200, description = "The room.", body = RoomBody), RoomProblems)
)]
pub(crate) async fn settings(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    Path(id): Path<String>,
) -> Result<Json<RoomBody>, AppError> {
    let programme = programme_of(&state, &id).await?;
    Ok(Json(room_body(&state, &programme.id).await?))
}

/// `PUT /api/v1/booking/programmes/{id}/waiting-room`: switch the room on or off, set its rate.
#[utoipa::path(
    put,
    path = "/api/v1/booking/programmes/{id}/waiting-room",
    tag = "booking",
    operation_id = "setBookingWaitingRoom",
    summary = "Switch a programme's waiting room on or off and set its admission rate",
    description = "For administrators; audited. While on, every booking of the programme needs an admission \
        from its queue (428 `booking/waiting-room` without one). `rate_per_minute` visitors are admitted per \
        minute (1 to 1,000,000; at most a minute's worth at once), each for `validity_minutes` (1 to 1,440). \
        Out of range is 422 `booking/waiting-room-settings` naming the field. The body has exactly these three \
        members: any other (the answer's counters included) is refused. Switching the room on again after it \
        was off starts a new queue: the places held before are dropped (admissions already given stay valid \
        until they expire).",
    params(("id" = String, Path, description = "The programme's ID or slug.")),
    request_body(content = RoomSettings, content_type = "application/json"),
    responses((status = 200, description = "The room as saved.", body = RoomBody), RoomProblems)
)]
pub(crate) async fn set_settings(
    State(state): State<AppState>,
    admin: Require<Admin>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RoomSettings>,
) -> Result<Json<RoomBody>, AppError> {
    let programme = programme_of(&state, &id).await?;
    let RoomSettings { enabled, rate_per_minute, validity_minutes } = body;
    let settings = Settings { enabled, rate_per_minute, validity_minutes };
    let settings = settings.check().map_err(BookingError::BadWaitingRoom)?;
    let actor = format!("account:{}", admin.principal.account_id);
    let now_ms = super::unix_ms(platform::db::now());
    store::set(&state, &programme.id, settings, &actor, now_ms).await?;
    Ok(Json(room_body(&state, &programme.id).await?))
}

/// The admission token a request carries for `programme_id`: the
/// `Lionrock-Admission` header (API clients), else the programme's cookie (pages).
pub(crate) fn presented_token<'a>(headers: &'a HeaderMap, programme_id: &str) -> Option<&'a str> {
    headers
        .get(ADMISSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .or_else(|| platform::web::read_cookie(headers, &super::cookie_name(programme_id)))
}

/// Before booking (or rescheduling into) `slot_id` for `account_id`: when
/// the slot's programme has its waiting room on, the request must carry a
/// true, unexpired admission of this account to that programme, else 428
/// `booking/waiting-room` naming the queue. Every booking route, API or
/// page, calls this before taking a place.
pub(crate) async fn require_admission(
    state: &AppState,
    headers: &HeaderMap,
    account_id: &str,
    slot_id: &str,
) -> Result<(), AppError> {
    let Some(programme_id) = store::room_on_for_slot(state, slot_id).await? else { return Ok(()) };
    admit(state, headers, account_id, &programme_id)
}

/// Whether the request carries `account_id`'s valid admission to
/// `programme_id`, whose waiting room is on (428 when it does not).
pub(crate) fn admit(
    state: &AppState,
    headers: &HeaderMap,
    account_id: &str,
    programme_id: &str,
) -> Result<(), AppError> {
    let now_ms = super::unix_ms(platform::db::now());
    let presented = presented_token(headers, programme_id);
    match Admission::verify(&state.keys, programme_id, account_id, presented, now_ms) {
        Ok(_) => Ok(()),
        Err(refused) => Err(refused_error(programme_id.to_owned(), refused)),
    }
}

fn refused_error(programme_id: String, refused: Refused) -> AppError {
    BookingError::WaitingRoom { programme_id, refused }.into()
}
