//! The public programme API: `GET /api/v1/booking/programmes` (every
//! programme with its centres, products and eligibility) and
//! `GET /api/v1/booking/programmes/{id}/availability` (per centre and local
//! day, each slot's free places, read from the same rows bookings take
//! places from).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use platform::app::AppState;
use platform::error::{AppError, ErrorKind, FieldError};
use platform::paging::{Cursor, PageQuery};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::{Eligibility, Kind, Names, store};

/// The longest period one availability request covers, in days.
pub(crate) const MAX_DAYS: i64 = 31;
/// The period shown when the client names none: today and six more days.
pub(crate) const DEFAULT_DAYS: i64 = 7;

const PROGRAMMES_PATH: &str = "/api/v1/booking/programmes";

/// A product as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ProductBody {
    id: String,
    code: String,
    name: Names,
}

/// A centre (or border port) as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CentreBody {
    id: String,
    slug: String,
    name: Names,
    address: Names,
    /// One of Hong Kong's eighteen districts (`sha-tin`, `wan-chai`, …).
    district: String,
    latitude: f64,
    longitude: f64,
    /// Weekday (`mon` … `sun`) to its opening periods, local time.
    #[schema(value_type = Object, example = json!({"mon": ["09:00-13:00", "14:00-17:00"]}))]
    opening_hours: serde_json::Value,
    accessibility: Names,
}

/// A programme as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ProgrammeBody {
    id: String,
    slug: String,
    kind: Kind,
    name: Names,
    eligibility: Eligibility,
    /// When it takes bookings (either may be absent).
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    opens_at: Option<OffsetDateTime>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    closes_at: Option<OffsetDateTime>,
    /// Whether it takes bookings now.
    open: bool,
    products: Vec<ProductBody>,
    centres: Vec<CentreBody>,
}

/// A page of programmes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ProgrammePage {
    items: Vec<ProgrammeBody>,
    /// The cursor of the next page, or null on the last.
    next: Option<String>,
}

pub(crate) fn centre_body(c: store::centre::Model) -> CentreBody {
    let opening_hours = serde_json::from_str(&c.opening_hours).unwrap_or(serde_json::Value::Null);
    CentreBody {
        name: c.names(),
        address: c.address(),
        accessibility: c.accessibility(),
        id: c.id,
        slug: c.slug,
        district: c.district,
        latitude: c.latitude,
        longitude: c.longitude,
        opening_hours,
    }
}

async fn programme_body(state: &AppState, p: store::programme::Model) -> Result<ProgrammeBody, AppError> {
    let products = store::products(&state.db, &p.id)
        .await?
        .into_iter()
        .map(|d| ProductBody { name: d.names(), id: d.id, code: d.code })
        .collect();
    let centres = store::centres(&state.db, &p.id).await?.into_iter().map(centre_body).collect();
    Ok(ProgrammeBody {
        kind: p.kind(),
        name: p.names(),
        eligibility: p.eligibility(),
        open: super::is_open(p.opens_at, p.closes_at, platform::db::now()),
        id: p.id,
        slug: p.slug,
        opens_at: p.opens_at,
        closes_at: p.closes_at,
        products,
        centres,
    })
}

struct ListProblems;

impl utoipa::IntoResponses for ListProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[ErrorKind::BadRequest.problem()])
    }
}

/// `GET /api/v1/booking/programmes`: every programme, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/booking/programmes",
    tag = "booking",
    operation_id = "listBookingProgrammes",
    summary = "List booking programmes with their centres, products and eligibility",
    description = "Public. Paged by cursor, newest first: follow `next` (or the `Link` header) until it is null.",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of programmes.", body = ProgrammePage,
            headers(("Link" = String, description = "RFC 8288 link to the next page; absent on the last page."))),
        ListProblems
    )
)]
pub(crate) async fn list(State(state): State<AppState>, Query(query): Query<PageQuery>) -> Result<Response, AppError> {
    let page = query.parse()?;
    let mut rows = store::programmes_newest_first(&state.db, page.limit, page.after.as_ref()).await?;
    let more = rows.len() as u64 > page.limit;
    rows.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
    let next = if more { rows.last().map(|p| Cursor { at: p.created_at, id: p.id.clone() }.encode()) } else { None };
    let mut items = Vec::with_capacity(rows.len());
    for p in rows {
        items.push(programme_body(&state, p).await?);
    }
    let link =
        next.as_deref().and_then(|c| platform::paging::next_link(&state.public_url(), PROGRAMMES_PATH, page.limit, c));
    let mut response = Json(ProgrammePage { items, next }).into_response();
    if let Some(link) = link {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// The period asked for, as sent.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Period {
    /// First local day (`YYYY-MM-DD`); today by default.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// Last local day, inclusive; six days after `from` by default, at most 30 days after it.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
}

impl Period {
    /// The checked days, or a 400 naming each wrong parameter.
    pub(crate) fn days(&self, today: Date) -> Result<(Date, Date), AppError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let mut errors = Vec::new();
        let mut parse = |name: &str, value: &Option<String>| match value.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => match Date::parse(v, format) {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(FieldError::new(name, "date", "booking-period-date"));
                    None
                }
            },
        };
        let from = parse("from", &self.from);
        let to = parse("to", &self.to);
        if !errors.is_empty() {
            return Err(bad_period(errors, "from and to are local days: YYYY-MM-DD"));
        }
        let from = from.unwrap_or(today);
        let to = to.unwrap_or(from.saturating_add(time::Duration::days(DEFAULT_DAYS - 1)));
        if to < from || (to - from).whole_days() >= MAX_DAYS {
            let field = FieldError::new("to", "range", "booking-period-range").arg("days", MAX_DAYS.to_string());
            return Err(bad_period(vec![field], "to must not be before from, nor 31 days or more after it"));
        }
        Ok((from, to))
    }
}

fn bad_period(fields: Vec<FieldError>, detail: &str) -> AppError {
    let mut error = AppError::new(ErrorKind::BadRequest).with_detail(detail);
    error.fields = fields;
    error
}

/// One slot's places.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SlotBody {
    slot_id: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    starts_at: OffsetDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    ends_at: OffsetDateTime,
    capacity: i32,
    /// Places a booking can take: the slot's places not taken, at most what
    /// the day's quota for the centre and product has left (0 when closed).
    free: i32,
    /// The product's ID.
    product_id: String,
}

/// A centre's slots on one local day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct DayBody {
    #[schema(value_type = String, format = Date)]
    date: String,
    slots: Vec<SlotBody>,
}

/// A centre's days.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CentreDays {
    centre_id: String,
    slug: String,
    name: Names,
    district: String,
    days: Vec<DayBody>,
}

/// A programme's availability over a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AvailabilityBody {
    programme_id: String,
    #[schema(value_type = String, format = Date)]
    from: String,
    #[schema(value_type = String, format = Date)]
    to: String,
    centres: Vec<CentreDays>,
}

struct AvailabilityProblems;

impl utoipa::IntoResponses for AvailabilityProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[ErrorKind::BadRequest.problem(), ErrorKind::NotFound.problem()])
    }
}

/// The availability of `programme` from `from` to `to` (local days, inclusive).
pub(crate) async fn availability_of(
    state: &AppState,
    programme: &store::programme::Model,
    from: Date,
    to: Date,
) -> Result<AvailabilityBody, AppError> {
    let centres = store::centres(&state.db, &programme.id).await?;
    let ids: Vec<String> = centres.iter().map(|c| c.id.clone()).collect();
    let start = state.start_of_day(from);
    let end = state.start_of_day(to.saturating_add(time::Duration::DAY));
    let offer = store::offered_between(state, &ids, start, end).await?;
    let centres = centres
        .into_iter()
        .map(|c| {
            let mut days: Vec<DayBody> = Vec::new();
            for o in offer.slots.iter().filter(|o| o.slot.centre_id == c.id) {
                let (s, date) = (&o.slot, o.day.to_string());
                let body = SlotBody {
                    slot_id: s.id.clone(),
                    starts_at: s.starts_at,
                    ends_at: s.ends_at,
                    capacity: s.capacity,
                    free: o.free,
                    product_id: s.product_id.clone(),
                };
                match days.last_mut() {
                    Some(day) if day.date == date => day.slots.push(body),
                    _ => days.push(DayBody { date, slots: vec![body] }),
                }
            }
            CentreDays { name: c.names(), centre_id: c.id, slug: c.slug, district: c.district, days }
        })
        .collect();
    Ok(AvailabilityBody { programme_id: programme.id.clone(), from: from.to_string(), to: to.to_string(), centres })
}

/// `GET /api/v1/booking/programmes/{id}/availability`.
#[utoipa::path(
    get,
    path = "/api/v1/booking/programmes/{id}/availability",
    tag = "booking",
    operation_id = "bookingAvailability",
    summary = "Free places per centre and local day",
    description = "Public. For each centre of the programme and each local day (`locale.timezone`) from `from` \
        to `to` inclusive (at most 31 days), its slots with their capacity and free places, read from the \
        rows that bookings take places from: a slot's `free` is at most what the day's quota for its centre and \
        product has left, so it is what a booking can take.",
    params(("id" = String, Path, description = "The programme's ID or slug."), Period),
    responses((status = 200, description = "The availability.", body = AvailabilityBody), AvailabilityProblems)
)]
pub(crate) async fn availability(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(period): Query<Period>,
) -> Result<Json<AvailabilityBody>, AppError> {
    let Some(programme) = store::programme(&state.db, &id).await? else { return Err(AppError::not_found()) };
    let (from, to) = period.days(state.today())?;
    Ok(Json(availability_of(&state, &programme, from, to).await?))
}
