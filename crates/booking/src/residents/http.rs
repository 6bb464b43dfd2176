//! The residents' pages under each language prefix: the programmes, find a
//! centre, a centre's days and times, the booking steps (who and which
//! document, review, confirm: POST-redirect-GET, the form again with an
//! error summary when the place is gone or the person may not book), the
//! confirmation, my bookings, cancelling after a confirmation step, and
//! moving a booking to another time.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::{Principal, SignedIn};
use serde::Deserialize;
use time::Date;

use super::{DAYS, MINE, PATH};
use crate::bookings::store::{self as bookings, Booked};
use crate::bookings::{Reference, Status};
use crate::errors::refusal;
use crate::people::{self, DocumentInput};
use crate::programmes::store::{self as programmes, centre, programme, slot};

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route(PATH, get(landing))
        .route(MINE, get(mine))
        .route("/booking/book", get(who).post(submit))
        .route("/booking/bookings/{id}", get(confirmation))
        .route("/booking/bookings/{id}/cancel", get(cancel_confirm).post(cancel))
        .route("/booking/bookings/{id}/reschedule", get(reschedule_choose).post(reschedule))
        .route("/booking/{programme}", get(find))
        .route("/booking/{programme}/centres/{centre}", get(centre_days))
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

fn days_from(today: Date) -> Vec<Date> {
    (0..DAYS).map(|n| today.saturating_add(time::Duration::days(n))).collect()
}

/// A day as a resident reads it: `2026-12-02 (Wed)`.
fn day_label(ctx: &PageContext, day: Date) -> String {
    let weekday = super::WEEKDAYS[usize::from(day.weekday().number_days_from_monday())];
    ctx.t_with("booking-day", &[("date", &day.to_string()), ("weekday", &ctx.t(&format!("booking-weekday-{weekday}")))])
}

fn district_name(ctx: &PageContext, slug: &str) -> String {
    ctx.t(&format!("booking-district-{slug}"))
}

async fn programme_or_404(state: &AppState, id: &str) -> Result<programme::Model, AppError> {
    programme(&state.db, id).await?.ok_or_else(AppError::not_found)
}

// ---- the programmes ----

struct ProgrammeLink {
    name: String,
    find: String,
    availability: String,
    open: bool,
}

#[derive(Template)]
#[template(path = "booking_programmes.html")]
struct LandingPage<'a> {
    ctx: &'a PageContext,
    programmes: Vec<ProgrammeLink>,
}

/// `GET /{lang}/booking`: the programmes.
async fn landing(State(state): State<AppState>, ctx: PageContext) -> Result<Response, AppError> {
    let now = platform::db::now();
    let programmes = programmes::programmes(&state.db)
        .await?
        .into_iter()
        .map(|p| ProgrammeLink {
            name: p.names().get(ctx.lang).to_owned(),
            find: ctx.href(&format!("{PATH}/{}", p.slug)),
            availability: ctx.href(&format!("{PATH}/{}/availability", p.slug)),
            open: crate::programmes::is_open(p.opens_at, p.closes_at, now),
        })
        .collect();
    ctx.page(StatusCode::OK, "booking-title", &LandingPage { ctx: &ctx, programmes })
}

// ---- find a centre ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FindQuery {
    /// Only centres in this district.
    district: String,
    /// Sort by distance from this district's centre point…
    near: String,
    /// …or from this point (the browser's geolocation).
    lat: String,
    lon: String,
}

struct DayPlaces {
    label: String,
    free: i64,
    /// `3 free`, or `full`.
    places: String,
    href: String,
}

/// Free places as a resident reads them.
fn places(ctx: &PageContext, free: i64) -> String {
    if free > 0 { ctx.t_with("booking-free-count", &[("free", &free.to_string())]) } else { ctx.t("booking-free-none") }
}

struct CentreCard {
    id: String,
    name: String,
    address: String,
    district: String,
    distance: Option<String>,
    hours: Vec<(String, String)>,
    accessibility: String,
    days: Vec<DayPlaces>,
}

struct DistrictTile {
    slug: &'static str,
    name: String,
    label: String,
    href: String,
    x: u32,
    y: u32,
    text_x: u32,
    text_y: u32,
    selected: bool,
    has_centres: bool,
}

struct DistrictOption {
    slug: &'static str,
    name: String,
    selected: bool,
    near: bool,
}

#[derive(Template)]
#[template(path = "booking_find.html")]
struct FindPage<'a> {
    ctx: &'a PageContext,
    programme: String,
    action: String,
    availability: String,
    districts: Vec<DistrictOption>,
    tiles: Vec<DistrictTile>,
    map_width: u32,
    map_height: u32,
    tile_width: u32,
    tile_height: u32,
    heading: String,
    centres: Vec<CentreCard>,
    script: String,
}

/// Free places per (centre, local day) over the coming days, at most what the days' quotas have left.
async fn free_by_day(
    state: &AppState,
    centre_ids: &[String],
    days: &[Date],
) -> Result<std::collections::HashMap<(String, Date), i64>, AppError> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else { return Ok(Default::default()) };
    let from = state.start_of_day(*first).max(platform::db::now());
    let to = state.start_of_day(last.saturating_add(time::Duration::DAY));
    Ok(programmes::offered_between(state, centre_ids, from, to).await?.per_day())
}

/// `GET /{lang}/booking/{programme}`: find a centre by district (a list and
/// a map) or by distance from a district or a point.
async fn find(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(id): Path<String>,
    Query(query): Query<FindQuery>,
) -> Result<Response, AppError> {
    let programme = programme_or_404(&state, &id).await?;
    let all = programmes::centres(&state.db, &programme.id).await?;
    let district = Some(query.district.as_str()).filter(|d| super::is_district(d));
    let origin = super::point(&query.lat, &query.lon).or_else(|| super::centroid(&query.near));
    let mut centres: Vec<(centre::Model, Option<f64>)> = all
        .iter()
        .filter(|c| district.is_none_or(|d| c.district == d))
        .map(|c| (c.clone(), origin.map(|o| super::distance_km(o, (c.latitude, c.longitude)))))
        .collect();
    if origin.is_some() {
        centres.sort_by(|a, b| a.1.unwrap_or(f64::MAX).total_cmp(&b.1.unwrap_or(f64::MAX)));
    }
    let days = days_from(state.today());
    let ids: Vec<String> = centres.iter().map(|(c, _)| c.id.clone()).collect();
    let free = free_by_day(&state, &ids, &days).await?;
    let base = format!("{PATH}/{}", programme.slug);
    let cards = centres
        .into_iter()
        .map(|(c, distance)| CentreCard {
            name: c.names().get(ctx.lang).to_owned(),
            address: c.address().get(ctx.lang).to_owned(),
            district: district_name(&ctx, &c.district),
            distance: distance.map(|km| ctx.t_with("booking-distance", &[("km", &format!("{km:.1}"))])),
            hours: super::opening_lines(&c.opening_hours)
                .into_iter()
                .map(|(day, periods)| (ctx.t(&format!("booking-weekday-{day}")), periods))
                .collect(),
            accessibility: c.accessibility().get(ctx.lang).to_owned(),
            days: days
                .iter()
                .map(|d| {
                    let n = free.get(&(c.id.clone(), *d)).copied().unwrap_or(0);
                    DayPlaces {
                        label: day_label(&ctx, *d),
                        free: n,
                        places: places(&ctx, n),
                        href: format!("{}?day={d}", ctx.href(&format!("{base}/centres/{}", c.slug))),
                    }
                })
                .collect(),
            id: c.id,
        })
        .collect();
    let with_centres: std::collections::HashSet<&str> = all.iter().map(|c| c.district.as_str()).collect();
    let tiles = crate::programmes::DISTRICTS
        .into_iter()
        .filter_map(|slug| {
            let (x, y) = super::tile(slug)?;
            let name = district_name(&ctx, slug);
            let count = all.iter().filter(|c| c.district == slug).count().to_string();
            Some(DistrictTile {
                label: ctx.t_with("booking-map-district", &[("district", &name), ("count", &count)]),
                href: format!("{}?district={slug}#centres", ctx.href(&base)),
                text_x: x + super::TILE_WIDTH / 2,
                text_y: y + super::TILE_HEIGHT / 2 + 4,
                selected: district == Some(slug),
                has_centres: with_centres.contains(slug),
                name,
                slug,
                x,
                y,
            })
        })
        .collect();
    let districts = crate::programmes::DISTRICTS
        .into_iter()
        .map(|slug| DistrictOption {
            name: district_name(&ctx, slug),
            selected: district == Some(slug),
            near: query.near == slug,
            slug,
        })
        .collect();
    let heading = match (district, origin) {
        (Some(d), _) => ctx.t_with("booking-find-in-district", &[("district", &district_name(&ctx, d))]),
        (None, Some(_)) => ctx.t("booking-find-by-distance"),
        (None, None) => ctx.t("booking-find-all"),
    };
    let page = FindPage {
        programme: programme.names().get(ctx.lang).to_owned(),
        action: ctx.href(&base),
        availability: ctx.href(&format!("{base}/availability")),
        districts,
        tiles,
        map_width: super::MAP_WIDTH,
        map_height: super::MAP_HEIGHT,
        tile_width: super::TILE_WIDTH,
        tile_height: super::TILE_HEIGHT,
        heading,
        centres: cards,
        script: ctx.asset("booking-find.js"),
        ctx: &ctx,
    };
    ctx.page(StatusCode::OK, "booking-find-title", &page)
}

// ---- a centre's days and times ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DayQuery {
    day: String,
}

struct SlotChoice {
    id: String,
    label: String,
    full: bool,
}

#[derive(Template)]
#[template(path = "booking_centre.html")]
struct CentrePage<'a> {
    ctx: &'a PageContext,
    programme: String,
    centre: String,
    address: String,
    back: String,
    days: Vec<(DayPlaces, bool)>,
    day: String,
    slots: Vec<SlotChoice>,
}

fn slot_label(ctx: &PageContext, s: &slot::Model, free: i32) -> String {
    let free = places(ctx, i64::from(free));
    let (start, end) = (ctx.local_clock(s.starts_at), ctx.local_clock(s.ends_at));
    ctx.t_with("booking-slot-label", &[("start", &start), ("end", &end), ("places", &free)])
}

fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// `GET /{lang}/booking/{programme}/centres/{centre}?day=`: the centre's
/// days, and the chosen day's times to pick one (a GET form to the next step).
async fn centre_days(
    State(state): State<AppState>,
    ctx: PageContext,
    Path((id, centre_slug)): Path<(String, String)>,
    Query(query): Query<DayQuery>,
) -> Result<Response, AppError> {
    let programme = programme_or_404(&state, &id).await?;
    let Some(centre) = programmes::centres(&state.db, &programme.id)
        .await?
        .into_iter()
        .find(|c| c.slug == centre_slug || c.id == centre_slug)
    else {
        return Err(AppError::not_found());
    };
    let days = days_from(state.today());
    let chosen = parse_day(&query.day).filter(|d| days.contains(d)).unwrap_or(days[0]);
    let free = free_by_day(&state, std::slice::from_ref(&centre.id), &days).await?;
    let here = format!("{PATH}/{}/centres/{}", programme.slug, centre.slug);
    let from = state.start_of_day(chosen).max(platform::db::now());
    let to = state.start_of_day(chosen.saturating_add(time::Duration::DAY));
    let slots = programmes::offered_between(&state, std::slice::from_ref(&centre.id), from, to)
        .await?
        .slots
        .iter()
        .map(|o| SlotChoice { id: o.slot.id.clone(), label: slot_label(&ctx, &o.slot, o.free), full: o.free == 0 })
        .collect();
    let page = CentrePage {
        programme: programme.names().get(ctx.lang).to_owned(),
        centre: centre.names().get(ctx.lang).to_owned(),
        address: centre.address().get(ctx.lang).to_owned(),
        back: ctx.href(&format!("{PATH}/{}", programme.slug)),
        days: days
            .iter()
            .map(|d| {
                let n = free.get(&(centre.id.clone(), *d)).copied().unwrap_or(0);
                let day = DayPlaces {
                    label: day_label(&ctx, *d),
                    free: n,
                    places: places(&ctx, n),
                    href: format!("{}?day={d}", ctx.href(&here)),
                };
                (day, *d == chosen)
            })
            .collect(),
        day: day_label(&ctx, chosen),
        slots,
        ctx: &ctx,
    };
    ctx.page(StatusCode::OK, "booking-centre-title", &page)
}

// ---- booking: who, review, confirm ----

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct BookForm {
    slot: String,
    person: String,
    /// `review` (check and show), `confirm` (book).
    step: String,
    kind: String,
    number: String,
    country: String,
}

/// Without the document's number (DESIGN §6: never logged).
impl std::fmt::Debug for BookForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookForm")
            .field("slot", &self.slot)
            .field("step", &self.step)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A slot as the booking steps show it.
struct SlotSummary {
    programme: String,
    centre: String,
    address: String,
    time: String,
}

fn summary(ctx: &PageContext, slot: &slot::Model, centre: &centre::Model, programme: &programme::Model) -> SlotSummary {
    SlotSummary {
        programme: programme.names().get(ctx.lang).to_owned(),
        centre: centre.names().get(ctx.lang).to_owned(),
        address: centre.address().get(ctx.lang).to_owned(),
        time: format!("{} – {}", ctx.local_time(slot.starts_at), ctx.local_clock(slot.ends_at)),
    }
}

#[derive(Template)]
#[template(path = "booking_who.html")]
struct WhoPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    form: BookForm,
    slot: SlotSummary,
    /// People the resident may book for, holder first.
    people: Vec<people::Choice>,
    /// Whether someone offered has no checked document (then the form asks
    /// for one, needed when they are chosen).
    document_fields: bool,
    back: String,
}

#[derive(Template)]
#[template(path = "booking_review.html")]
struct ReviewPage<'a> {
    ctx: &'a PageContext,
    form: BookForm,
    slot: SlotSummary,
    person: String,
    document: String,
}

struct Step {
    slot: slot::Model,
    centre: centre::Model,
    programme: programme::Model,
    people: Vec<people::Choice>,
}

async fn step(state: &AppState, principal: &Principal, ctx: &PageContext, slot_id: &str) -> Result<Step, AppError> {
    let Some((slot, centre, programme)) = programmes::slot_with_context(&state.db, slot_id.trim()).await? else {
        return Err(AppError::not_found());
    };
    let people = people::choices(state, principal, ctx).await?;
    Ok(Step { slot, centre, programme, people })
}

fn who_page<'a>(ctx: &'a PageContext, step: Step, form: BookForm, errors: FormErrors) -> WhoPage<'a> {
    WhoPage {
        slot: summary(ctx, &step.slot, &step.centre, &step.programme),
        back: ctx.href(&format!("{PATH}/{}/centres/{}", step.programme.slug, step.centre.slug)),
        document_fields: step.people.iter().any(|p| p.checked.is_none()),
        people: step.people,
        errors,
        form,
        ctx,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SlotQuery {
    slot: String,
}

/// `GET /{lang}/booking/book?slot=`: who the place is for, and their
/// identity document when identity has not checked one.
async fn who(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    Query(query): Query<SlotQuery>,
) -> Result<Response, AppError> {
    let step = step(&state, &principal, &ctx, &query.slot).await?;
    let person = step.people.first().map(|p| p.id.clone()).unwrap_or_default();
    let form = BookForm { slot: step.slot.id.clone(), person, kind: "hkid".to_owned(), ..BookForm::default() };
    let page = who_page(&ctx, step, form, FormErrors::new());
    ctx.page(StatusCode::OK, "booking-who-title", &page)
}

/// The document the form gives, or the form's errors.
fn given_document(form: &BookForm, errors: &mut FormErrors) -> Option<platform::ids::Document> {
    let input = DocumentInput { kind: form.kind.clone(), number: form.number.clone(), country: form.country.clone() };
    match input.parse("") {
        Ok(d) => Some(d),
        Err(e) => {
            for f in e.fields {
                let field = if f.field.ends_with("kind") { "kind" } else { "number" };
                errors.add(field, document_key(&f.message_key));
            }
            None
        }
    }
}

/// The document problems' Fluent keys (fixed strings in `people`).
fn document_key(key: &str) -> &'static str {
    [
        "booking-document-kind",
        "booking-document-hkid-format",
        "booking-document-hkid-check",
        "booking-document-passport",
    ]
    .into_iter()
    .find(|k| *k == key)
    .unwrap_or("booking-document-kind")
}

/// `POST /{lang}/booking/book`: `step=review` checks the form and shows
/// what will be booked; `step=confirm` books it and redirects to the
/// confirmation. Either shows the form again with an error summary.
async fn submit(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    headers: axum::http::HeaderMap,
    PageForm(form): PageForm<BookForm>,
) -> Result<Response, AppError> {
    let step = step(&state, &principal, &ctx, &form.slot).await?;
    let mut errors = FormErrors::new();
    let chosen = step.people.iter().find(|p| p.id == form.person);
    if chosen.is_none() {
        errors.add("person", "booking-who-choose");
    }
    // A document is read only for someone identity has checked none for.
    let document = match chosen {
        Some(people::Choice { checked: None, .. }) => given_document(&form, &mut errors),
        _ => None,
    };
    let (person, checked) = chosen.map(|p| (p.label.clone(), p.checked.clone())).unwrap_or_default();
    if !errors.is_empty() {
        let page = who_page(&ctx, step, form, errors);
        return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "booking-who-title", &page);
    }
    if form.step != "confirm" {
        let page = ReviewPage {
            slot: summary(&ctx, &step.slot, &step.centre, &step.programme),
            person,
            document: checked.or_else(|| document.as_ref().map(|d| d.masked())).unwrap_or_default(),
            form,
            ctx: &ctx,
        };
        return ctx.page(StatusCode::OK, "booking-review-title", &page);
    }
    let booked = async {
        let account = principal.account_id.to_string();
        crate::waiting::http::require_admission(&state, &headers, &account, &step.slot.id).await?;
        let holder = people::holder(&state, &principal, Some(&form.person), document.as_ref()).await?;
        let new = bookings::NewBooking { slot_id: &step.slot.id, holder, account_id: &account, level: principal.level };
        bookings::book(&state, new).await
    }
    .await;
    match booked {
        Ok(b) => Ok(see_other(&ctx.href(&crate::notices::confirmation_path(&b.booking.id)))),
        Err(e) => {
            let (status, refusal) = refusal(e)?;
            let mut errors = FormErrors::new();
            errors.problem("slot", &refusal);
            let page = who_page(&ctx, step, form, errors);
            ctx.page(status, "booking-who-title", &page)
        }
    }
}

// ---- the confirmation ----

/// A booking as the resident's pages show it.
struct Shown {
    id: String,
    reference: String,
    status: String,
    active: bool,
    slot: SlotSummary,
}

fn shown(ctx: &PageContext, b: &Booked) -> Shown {
    let status = Status::parse(&b.booking.status).unwrap_or(Status::Confirmed);
    Shown {
        id: b.booking.id.clone(),
        reference: Reference::parse(&b.booking.reference).map(|r| r.display()).unwrap_or(b.booking.reference.clone()),
        status: ctx.t(status.message_key()),
        active: status == Status::Confirmed && b.slot.starts_at > platform::db::now(),
        slot: summary(ctx, &b.slot, &b.centre, &b.programme),
    }
}

#[derive(Template)]
#[template(path = "booking_confirmation.html")]
struct ConfirmationPage<'a> {
    ctx: &'a PageContext,
    booking: Shown,
    qr: String,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DoneQuery {
    done: String,
}

async fn own(state: &AppState, principal: &Principal, id: &str) -> Result<Booked, AppError> {
    bookings::of_account(state, &principal.account_id.to_string(), id).await?.ok_or_else(AppError::not_found)
}

/// `GET /{lang}/booking/bookings/{id}`: the booking's reference, place and
/// time, and its reference as a QR code to show at the centre; printable.
async fn confirmation(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let booked = own(&state, &principal, &id).await?;
    let booking = shown(&ctx, &booked);
    let label = ctx.t_with("booking-qr-label", &[("reference", &booking.reference)]);
    let qr = super::qr_svg(booked.booking.reference.as_str(), &label).ok_or_else(|| AppError::internal("QR code"))?;
    let notice = (query.done == "rescheduled").then(|| ctx.t("booking-done-rescheduled"));
    ctx.page(StatusCode::OK, "booking-confirmation-title", &ConfirmationPage { ctx: &ctx, booking, qr, notice })
}

// ---- my bookings ----

#[derive(Template)]
#[template(path = "booking_mine.html")]
struct MinePage<'a> {
    ctx: &'a PageContext,
    bookings: Vec<Shown>,
    notice: Option<String>,
}

/// `GET /{lang}/booking/mine`: the resident's bookings, newest first.
async fn mine(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let rows = bookings::page_of_account(&state, &principal.account_id.to_string(), 100, None).await?;
    let bookings = rows.iter().map(|b| shown(&ctx, b)).collect();
    let notice = (query.done == "cancelled").then(|| ctx.t("booking-done-cancelled"));
    ctx.page(StatusCode::OK, "booking-mine-title", &MinePage { ctx: &ctx, bookings, notice })
}

// ---- cancelling ----

#[derive(Template)]
#[template(path = "booking_cancel.html")]
struct CancelPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    booking: Shown,
}

/// `GET /{lang}/booking/bookings/{id}/cancel`: what cancelling does, and the button.
async fn cancel_confirm(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let booking = shown(&ctx, &own(&state, &principal, &id).await?);
    ctx.page(StatusCode::OK, "booking-cancel-title", &CancelPage { ctx: &ctx, errors: FormErrors::new(), booking })
}

/// `POST /{lang}/booking/bookings/{id}/cancel`: cancels, then my bookings.
async fn cancel(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    Path(id): Path<String>,
    PageForm(_): PageForm<DoneQuery>,
) -> Result<Response, AppError> {
    let account = principal.account_id.to_string();
    match bookings::cancel(&state, &account, &id, &format!("account:{account}")).await {
        Ok(_) => Ok(see_other(&format!("{}?done=cancelled", ctx.href(MINE)))),
        Err(e) => {
            let (status, refusal) = refusal(e)?;
            let booking = shown(&ctx, &own(&state, &principal, &id).await?);
            let mut errors = FormErrors::new();
            errors.problem("cancel", &refusal);
            ctx.page(status, "booking-cancel-title", &CancelPage { ctx: &ctx, errors, booking })
        }
    }
}

// ---- moving to another time ----

#[derive(Template)]
#[template(path = "booking_reschedule.html")]
struct ReschedulePage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    booking: Shown,
    days: Vec<(DayPlaces, bool)>,
    day: String,
    /// (centre, its slots) on the chosen day.
    centres: Vec<(String, Vec<SlotChoice>)>,
}

async fn reschedule_page(
    state: &AppState,
    ctx: &PageContext,
    booked: &Booked,
    day: &str,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let days = days_from(state.today());
    let chosen = parse_day(day).filter(|d| days.contains(d)).unwrap_or(days[0]);
    let all = programmes::centres(&state.db, &booked.programme.id).await?;
    let ids: Vec<String> = all.iter().map(|c| c.id.clone()).collect();
    let here = format!("/booking/bookings/{}/reschedule", booked.booking.id);
    let from = state.start_of_day(chosen).max(platform::db::now());
    let to = state.start_of_day(chosen.saturating_add(time::Duration::DAY));
    let offer = programmes::offered_between(state, &ids, from, to).await?;
    let centres = all
        .iter()
        .map(|c| {
            let choices: Vec<SlotChoice> = offer
                .slots
                .iter()
                .map(|o| (&o.slot, o.free))
                .filter(|(s, _)| {
                    s.centre_id == c.id && s.product_id == booked.slot.product_id && s.id != booked.slot.id
                })
                .map(|(s, free)| SlotChoice { id: s.id.clone(), label: slot_label(ctx, s, free), full: free == 0 })
                .collect();
            (c.names().get(ctx.lang).to_owned(), choices)
        })
        .filter(|(_, choices)| !choices.is_empty())
        .collect();
    let free = free_by_day(state, &ids, &days).await?;
    let page = ReschedulePage {
        errors,
        booking: shown(ctx, booked),
        days: days
            .iter()
            .map(|d| {
                let n = ids.iter().map(|id| free.get(&(id.clone(), *d)).copied().unwrap_or(0)).sum();
                let href = format!("{}?day={d}", ctx.href(&here));
                (DayPlaces { label: day_label(ctx, *d), free: n, places: places(ctx, n), href }, *d == chosen)
            })
            .collect(),
        day: day_label(ctx, chosen),
        centres,
        ctx,
    };
    ctx.page(status, "booking-reschedule-title", &page)
}

/// `GET /{lang}/booking/bookings/{id}/reschedule?day=`: the times it can move to.
async fn reschedule_choose(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    Path(id): Path<String>,
    Query(query): Query<DayQuery>,
) -> Result<Response, AppError> {
    let booked = own(&state, &principal, &id).await?;
    reschedule_page(&state, &ctx, &booked, &query.day, FormErrors::new(), StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RescheduleForm {
    slot: String,
    day: String,
}

/// `POST /{lang}/booking/bookings/{id}/reschedule`: moves it, then its confirmation.
async fn reschedule(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    PageForm(form): PageForm<RescheduleForm>,
) -> Result<Response, AppError> {
    let account = principal.account_id.to_string();
    let actor = format!("account:{account}");
    let mut errors = FormErrors::new();
    if form.slot.trim().is_empty() {
        errors.add("slot", "booking-reschedule-choose");
    } else {
        let moved = async {
            crate::waiting::http::require_admission(&state, &headers, &account, form.slot.trim()).await?;
            bookings::reschedule(&state, &account, principal.level, &id, form.slot.trim(), &actor).await
        };
        match moved.await {
            Ok(_) => {
                let to = format!("{}?done=rescheduled", ctx.href(&crate::notices::confirmation_path(&id)));
                return Ok(see_other(&to));
            }
            Err(e) => {
                let (_, refusal) = refusal(e)?;
                errors.problem("slot", &refusal);
            }
        }
    }
    let booked = own(&state, &principal, &id).await?;
    reschedule_page(&state, &ctx, &booked, &form.day, errors, StatusCode::UNPROCESSABLE_ENTITY).await
}
