//! The administrators' booking API, under `/api/v1/booking/admin/`: set up
//! or edit a programme (one programme of the import format), set a day's
//! quota, generate slots, load a year's public holidays, close a day for a
//! typhoon or black rainstorm, and the statistics as JSON and CSV. Every
//! route demands the administrator role; every change is audited.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use platform::app::AppState;
use platform::error::{AppError, DomainError, ErrorKind, FieldError};
use platform::extract::ApiJson;
use platform::principal::{Admin, Require};
use serde::{Deserialize, Serialize};
use time::Date;

use super::{Action, Reason, Stat, store};
use crate::errors::BookingError;
use crate::programmes::Names;
use crate::programmes::http::Period;
use crate::setup::{self, ImportedProgramme, Plan};

fn actor(admin: &Require<Admin>) -> String {
    format!("account:{}", admin.principal.account_id)
}

fn day(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<Date> {
    let parsed = Date::parse(text.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok();
    if parsed.is_none() {
        errors.push(FieldError::new(field, "date", "booking-period-date"));
    }
    parsed
}

fn invalid(errors: Vec<FieldError>) -> Result<(), AppError> {
    if errors.is_empty() { Ok(()) } else { Err(AppError::validation(errors)) }
}

macro_rules! problems {
    ($name:ident, [$($p:expr),* $(,)?]) => {
        struct $name;
        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
                platform::openapi::problems(&[
                    ErrorKind::Unauthenticated.problem(),
                    ErrorKind::Forbidden.problem(),
                    $($p),*
                ])
            }
        }
    };
}

problems!(ProgrammeProblems, [ErrorKind::Validation.problem(), BookingError::QuotaBelowTaken { taken: 0 }.problem()]);

/// `POST /api/v1/booking/admin/programmes`: create or update a programme.
#[utoipa::path(
    post,
    path = "/api/v1/booking/admin/programmes",
    tag = "booking-admin",
    operation_id = "putBookingProgramme",
    summary = "Create or update a programme, its products, centres and slots",
    description = "Administrators. The body is one programme of the set-up file format \
        (`examples/booking.toml` as JSON: slug, kind, name, eligibility, opens_at, closes_at, product, centre, \
        slots). Idempotent, as `lionrock booking import`: found by slug and updated to the body; slots that \
        exist are kept. Answers the IDs by slug. A slot run's `quota` is set on days that have none, counting the \
        places already taken there: below them it is 409 `booking/quota-below-taken` and nothing changes.",
    request_body(content = setup::ProgrammePlan, content_type = "application/json"),
    responses((status = 200, description = "Created or updated.", body = ImportedProgramme), ProgrammeProblems)
)]
pub(crate) async fn put_programme(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ImportedProgramme>, AppError> {
    let programme = serde_json::from_value(body).map_err(|e| {
        let field = FieldError::new("/", "invalid", "booking-plan-invalid").arg("problem", e.to_string());
        AppError::validation(vec![field])
    })?;
    let plan = Plan { programmes: vec![programme] };
    let problems = setup::problems(&plan);
    if !problems.is_empty() {
        let fields = problems
            .into_iter()
            .map(|p| FieldError::new("/", "invalid", "booking-plan-invalid").arg("problem", p))
            .collect();
        return Err(AppError::validation(fields));
    }
    let mut imported = setup::store::apply(&state, &plan, &actor(&admin)).await?;
    Ok(Json(imported.programmes.remove(0)))
}

/// A day's quota to set.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuotaRequest {
    centre_id: String,
    product_id: String,
    /// The local day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    day: String,
    /// Places that day (never below those already taken).
    capacity: i32,
}

/// A day's quota.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct QuotaBody {
    centre_id: String,
    product_id: String,
    #[schema(format = Date)]
    day: String,
    capacity: i32,
    taken: i32,
}

problems!(
    QuotaProblems,
    [
        ErrorKind::Validation.problem(),
        BookingError::UnknownCentre.problem(),
        BookingError::QuotaBelowTaken { taken: 0 }.problem(),
    ]
);

/// `PUT /api/v1/booking/admin/quotas`: set a centre's quota of a product on a day.
#[utoipa::path(
    put,
    path = "/api/v1/booking/admin/quotas",
    tag = "booking-admin",
    operation_id = "setBookingQuota",
    summary = "Set a centre's daily quota of a product",
    description = "Administrators. Bookings stop at the quota even where slots have places. The places already \
        taken that day at the centre (of the product) are counted in the same transaction, bookings under way \
        included, whether the quota is new or not: a quota below them is 409 `booking/quota-below-taken` and \
        changes nothing. Audited.",
    request_body(content = QuotaRequest, content_type = "application/json"),
    responses((status = 200, description = "The quota as set.", body = QuotaBody), QuotaProblems)
)]
pub(crate) async fn set_quota(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ApiJson(body): ApiJson<QuotaRequest>,
) -> Result<Json<QuotaBody>, AppError> {
    let mut errors = Vec::new();
    let on = day("/day", &body.day, &mut errors);
    if !(0..=1_000_000).contains(&body.capacity) {
        errors.push(FieldError::new("/capacity", "range", "booking-admin-range"));
    }
    invalid(errors)?;
    let on = on.ok_or_else(AppError::not_found)?;
    let q = store::set_quota(&state, &actor(&admin), body.centre_id.trim(), on, body.product_id.trim(), body.capacity)
        .await?;
    Ok(Json(QuotaBody {
        centre_id: q.centre_id,
        product_id: q.product_id,
        day: q.day.to_string(),
        capacity: q.capacity,
        taken: q.taken,
    }))
}

/// Slots to generate from the centres' opening hours.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GenerateRequest {
    /// Centres (every centre of the programme when absent or empty).
    #[serde(default)]
    centre_ids: Vec<String>,
    /// Products (every product when absent or empty).
    #[serde(default)]
    product_ids: Vec<String>,
    /// First and last local day, inclusive (at most 366 days).
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: String,
    /// Length of each slot (5-1440) and its places (1-100000).
    minutes: u32,
    capacity: u32,
    /// A daily quota per centre and product on the days given slots (1-1000000).
    #[serde(default)]
    quota: Option<u32>,
}

/// What generation made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Generated {
    slots_created: u64,
}

problems!(
    GenerateProblems,
    [
        ErrorKind::Validation.problem(),
        BookingError::UnknownProgramme.problem(),
        BookingError::UnknownCentre.problem(),
        BookingError::QuotaBelowTaken { taken: 0 }.problem(),
    ]
);

/// `POST /api/v1/booking/admin/programmes/{id}/slots`: bulk slot generation.
#[utoipa::path(
    post,
    path = "/api/v1/booking/admin/programmes/{id}/slots",
    tag = "booking-admin",
    operation_id = "generateBookingSlots",
    summary = "Generate slots from the centres' opening hours for a range of days",
    description = "Administrators. Slots back to back in each opening period, skipping public holidays, slots \
        that have begun and slots that exist (so running it again makes nothing new). A `quota` is set on each \
        day that has none, counting the places already taken that day: below them it is 409 \
        `booking/quota-below-taken` and nothing is made. Audited.",
    params(("id" = String, Path, description = "The programme's ID or slug."), platform::openapi::IdempotencyKey),
    request_body(content = GenerateRequest, content_type = "application/json"),
    responses((status = 200, description = "Generated.", body = Generated), GenerateProblems)
)]
pub(crate) async fn generate_slots(
    State(state): State<AppState>,
    admin: Require<Admin>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<GenerateRequest>,
) -> Result<Json<Generated>, AppError> {
    let Some(programme) = crate::programmes::store::programme(&state.db, id.trim()).await? else {
        return Err(BookingError::UnknownProgramme.into());
    };
    let mut errors = Vec::new();
    let from = day("/from", &body.from, &mut errors);
    let to = day("/to", &body.to, &mut errors);
    let days = match (from, to) {
        (Some(f), Some(t)) if t >= f && (t - f).whole_days() < 366 => u32::try_from((t - f).whole_days() + 1).ok(),
        (Some(_), Some(_)) => {
            errors.push(FieldError::new("/to", "range", "booking-period-range").arg("days", "366"));
            None
        }
        _ => None,
    };
    if !(5..=1440).contains(&body.minutes) {
        errors.push(FieldError::new("/minutes", "range", "booking-admin-range"));
    }
    if !(1..=100_000).contains(&body.capacity) {
        errors.push(FieldError::new("/capacity", "range", "booking-admin-range"));
    }
    if body.quota.is_some_and(|q| !(1..=1_000_000).contains(&q)) {
        errors.push(FieldError::new("/quota", "range", "booking-admin-range"));
    }
    invalid(errors)?;
    let (Some(from), Some(days)) = (from, days) else { return Err(AppError::new(ErrorKind::Validation)) };
    let run = store::SlotRun {
        centre_ids: body.centre_ids,
        product_ids: body.product_ids,
        from,
        days,
        minutes: body.minutes,
        capacity: body.capacity,
        quota: body.quota,
    };
    let slots_created = store::generate_slots(&state, &actor(&admin), &programme, &run).await?;
    Ok(Json(Generated { slots_created }))
}

/// A public holiday.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Holiday {
    #[schema(format = Date)]
    date: String,
    name: Names,
}

/// A year's public holidays.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Holidays {
    holidays: Vec<Holiday>,
}

problems!(HolidayProblems, [ErrorKind::BadRequest.problem(), ErrorKind::Validation.problem()]);

/// `GET /api/v1/booking/admin/holidays/{year}`.
#[utoipa::path(
    get,
    path = "/api/v1/booking/admin/holidays/{year}",
    tag = "booking-admin",
    operation_id = "getBookingHolidays",
    summary = "A year's public holidays",
    params(("year" = i32, Path, description = "The year.")),
    responses((status = 200, description = "The holidays, by date.", body = Holidays), HolidayProblems)
)]
pub(crate) async fn holidays(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    Path(year): Path<i32>,
) -> Result<Json<Holidays>, AppError> {
    let holidays = store::holidays(&state.db, year)
        .await?
        .into_iter()
        .map(|h| Holiday {
            date: h.day.to_string(),
            name: Names { en: h.name_en, zh_hk: h.name_zh_hk, zh_cn: h.name_zh_cn },
        })
        .collect();
    Ok(Json(Holidays { holidays }))
}

/// `PUT /api/v1/booking/admin/holidays/{year}`: load a year's public holidays.
#[utoipa::path(
    put,
    path = "/api/v1/booking/admin/holidays/{year}",
    tag = "booking-admin",
    operation_id = "putBookingHolidays",
    summary = "Load a year's public holidays (replacing that year's list)",
    description = "Administrators. Every date must be in the year. Slot generation skips these days. Audited.",
    params(("year" = i32, Path, description = "The year.")),
    request_body(content = Holidays, content_type = "application/json"),
    responses((status = 200, description = "The year's holidays as loaded.", body = Holidays), HolidayProblems)
)]
pub(crate) async fn put_holidays(
    State(state): State<AppState>,
    admin: Require<Admin>,
    Path(year): Path<i32>,
    ApiJson(body): ApiJson<Holidays>,
) -> Result<Json<Holidays>, AppError> {
    let mut errors = Vec::new();
    let mut list = Vec::new();
    for (i, h) in body.holidays.iter().enumerate() {
        let field = format!("/holidays/{i}/date");
        match day(&field, &h.date, &mut errors) {
            Some(d) if d.year() == year => list.push((d, h.name.clone())),
            Some(_) => errors.push(FieldError::new(field, "range", "booking-admin-year").arg("year", year.to_string())),
            None => {}
        }
        if h.name.en.trim().is_empty() {
            errors.push(FieldError::new(format!("/holidays/{i}/name/en"), "required", "booking-admin-name"));
        }
    }
    list.sort_by_key(|(d, _)| *d);
    list.dedup_by_key(|(d, _)| *d);
    invalid(errors)?;
    store::load_holidays(&state, &actor(&admin), year, &list).await?;
    holidays(State(state), admin, Path(year)).await
}

/// A day to close.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CloseRequest {
    /// The local day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    day: String,
    /// The programme whose centres close. Required unless `centre_ids` names
    /// the centres: leaving both out is 422, never every programme's centres.
    #[serde(default)]
    programme_id: Option<String>,
    /// The centres to close: with `programme_id`, some of its centres (all of
    /// them when absent or empty); without it, the centres themselves (each
    /// belongs to one programme).
    #[serde(default)]
    centre_ids: Vec<String>,
    reason: Reason,
    action: Action,
    /// For `move`: the later day whose same-time slot takes each booking.
    #[serde(default)]
    #[schema(format = Date)]
    move_to: Option<String>,
}

problems!(CloseProblems, [ErrorKind::Validation.problem(), BookingError::UnknownCentre.problem()]);

/// `POST /api/v1/booking/admin/closures`: close a day for a typhoon or black rainstorm.
#[utoipa::path(
    post,
    path = "/api/v1/booking/admin/closures",
    tag = "booking-admin",
    operation_id = "closeBookingDay",
    summary = "Close a day at chosen centres (typhoon signal No. 8, black rainstorm)",
    description = "Administrators. One action: the day's open slots close; each confirmed booking is moved to \
        the same time on `move_to` (action `move`, where that slot has a place) or cancelled with its place \
        given back; each is marked with the reason, and its holder notified through the outbox with a link to \
        rebook. All in one transaction, audited. Running it again changes nothing. Give `programme_id` (all its \
        centres, or those of `centre_ids`) or `centre_ids`: with neither it is 422 naming `/programme_id`, so \
        no closure reaches every programme by omission.",
    params(platform::openapi::IdempotencyKey),
    request_body(content = CloseRequest, content_type = "application/json"),
    responses((status = 200, description = "What the closure did.", body = store::Closed), CloseProblems)
)]
pub(crate) async fn close(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ApiJson(body): ApiJson<CloseRequest>,
) -> Result<Json<store::Closed>, AppError> {
    let mut errors = Vec::new();
    let on = day("/day", &body.day, &mut errors);
    let move_to = match (&body.action, body.move_to.as_deref()) {
        (Action::Move, Some(text)) => day("/move_to", text, &mut errors),
        (Action::Move, None) => {
            errors.push(FieldError::new("/move_to", "required", "booking-admin-move-to"));
            None
        }
        (Action::Cancel, _) => None,
    };
    if let (Some(on), Some(to)) = (on, move_to)
        && to <= on
    {
        errors.push(FieldError::new("/move_to", "range", "booking-admin-move-to"));
    }
    invalid(errors)?;
    let Some(on) = on else { return Err(AppError::new(ErrorKind::Validation)) };
    let closing = store::Closing {
        day: on,
        programme_id: body.programme_id.map(|p| p.trim().to_owned()),
        centre_ids: body.centre_ids.iter().map(|c| c.trim().to_owned()).collect(),
        reason: body.reason,
        action: body.action,
        move_to,
    };
    Ok(Json(store::close(&state, &actor(&admin), &closing).await?))
}

/// A programme's statistics.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Statistics {
    programme_id: String,
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: String,
    rows: Vec<Stat>,
}

problems!(StatisticsProblems, [ErrorKind::BadRequest.problem(), BookingError::UnknownProgramme.problem()]);

async fn statistics_of(state: &AppState, id: &str, period: &Period) -> Result<Statistics, AppError> {
    let Some(programme) = crate::programmes::store::programme(&state.db, id.trim()).await? else {
        return Err(BookingError::UnknownProgramme.into());
    };
    let (from, to) = period.days(state.today())?;
    let rows = store::statistics(state, &programme, from, to).await?;
    Ok(Statistics { programme_id: programme.id, from: from.to_string(), to: to.to_string(), rows })
}

/// `GET /api/v1/booking/admin/programmes/{id}/statistics`.
#[utoipa::path(
    get,
    path = "/api/v1/booking/admin/programmes/{id}/statistics",
    tag = "booking-admin",
    operation_id = "bookingStatistics",
    summary = "Bookings, attendance, no-shows and cancellations per centre, local day and product",
    params(("id" = String, Path, description = "The programme's ID or slug."), Period),
    responses((status = 200, description = "The statistics.", body = Statistics), StatisticsProblems)
)]
pub(crate) async fn statistics(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    Path(id): Path<String>,
    Query(period): Query<Period>,
) -> Result<Json<Statistics>, AppError> {
    Ok(Json(statistics_of(&state, &id, &period).await?))
}

/// `GET /api/v1/booking/admin/programmes/{id}/statistics.csv`.
#[utoipa::path(
    get,
    path = "/api/v1/booking/admin/programmes/{id}/statistics.csv",
    tag = "booking-admin",
    operation_id = "bookingStatisticsCsv",
    summary = "The statistics as CSV",
    description = "Administrators. RFC 4180 CSV with a header; cells that a spreadsheet would read as a \
        formula (starting with =, +, -, @) are prefixed with an apostrophe.",
    params(("id" = String, Path, description = "The programme's ID or slug."), Period),
    responses((status = 200, description = "The statistics.", body = String, content_type = "text/csv"), StatisticsProblems)
)]
pub(crate) async fn statistics_csv(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    Path(id): Path<String>,
    Query(period): Query<Period>,
) -> Result<Response, AppError> {
    let stats = statistics_of(&state, &id, &period).await?;
    let name = format!("attachment; filename=\"booking-statistics-{}-{}.csv\"", stats.from, stats.to);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, name)],
        super::csv(&stats.rows),
    )
        .into_response())
}
