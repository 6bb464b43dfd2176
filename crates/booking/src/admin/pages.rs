//! The administrators' booking pages, under `/{lang}/admin/booking`: the
//! programmes, a programme (centres, products, settings), a day's quota,
//! bulk slot generation, a year's public holidays, closing a day for a
//! typhoon or black rainstorm (the form's GET shows what would be affected;
//! only the confirming POST changes anything), and the statistics with SVG
//! charts, tables and a link to the CSV. Every handler takes
//! `Require<Admin>`; every change goes through `store` (one transaction
//! with its audit entry), as the API's do.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use platform::app::AppState;
use platform::error::{AppError, DomainError};
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::{Admin, Require};
use time::Date;

use super::chart::{self, Bars, Series};
use super::{Action, Reason, Stat, store};
use crate::errors::BookingError;
use crate::programmes::Names;
use crate::programmes::store::{self as programmes, centre, product, programme};

/// The administrators' booking pages, under each language prefix.
pub(crate) const PATH: &str = "/admin/booking";
const HOLIDAYS: &str = "/admin/booking/holidays";
const CLOSURES: &str = "/admin/booking/closures";
/// The longest period the statistics page shows (as the API's).
const MAX_STAT_DAYS: i64 = 31;
/// The longest run of slot generation, in days (as the API's).
const MAX_GENERATE_DAYS: i64 = 366;

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route(PATH, get(index))
        .route(&format!("{PATH}/programmes/{{programme}}"), get(programme_page))
        .route(&format!("{PATH}/programmes/{{programme}}/quotas"), get(quota_form).post(set_quota))
        .route(&format!("{PATH}/programmes/{{programme}}/slots"), get(slots_form).post(generate_slots))
        .route(&format!("{PATH}/programmes/{{programme}}/statistics"), get(statistics))
        .route(HOLIDAYS, get(holidays_now))
        .route(&format!("{HOLIDAYS}/{{year}}"), get(holidays_form).post(load_holidays))
        .route(CLOSURES, get(closure_form).post(close))
}

fn actor(admin: &Require<Admin>) -> String {
    format!("account:{}", admin.principal.account_id)
}

fn programme_path(slug: &str) -> String {
    format!("{PATH}/programmes/{slug}")
}

async fn programme_of(state: &AppState, id: &str) -> Result<programme::Model, AppError> {
    programme(&state.db, id.trim()).await?.ok_or_else(AppError::not_found)
}

/// A local day typed as `YYYY-MM-DD` (the date input's value).
fn parse_day(text: &str) -> Option<Date> {
    Date::parse(text.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A whole number typed with or without thousands separators.
fn parse_number(text: &str) -> Option<i64> {
    text.trim().replace([',', ' '], "").parse().ok()
}

/// The values of every pair named `name` (ticked boxes), in order.
fn all_of(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty()).collect()
}

/// The first value of the pair named `name`, or empty.
fn one_of(pairs: &[(String, String)], name: &str) -> String {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// A choice in a list of boxes or options: (value, label, chosen).
type Choice = (String, String, bool);

fn centre_choices(ctx: &PageContext, centres: &[centre::Model], chosen: &[String]) -> Vec<Choice> {
    centres.iter().map(|c| (c.id.clone(), c.names().get(ctx.lang).to_owned(), chosen.contains(&c.id))).collect()
}

fn product_choices(ctx: &PageContext, products: &[product::Model], chosen: &[String]) -> Vec<Choice> {
    products
        .iter()
        .map(|p| (p.id.clone(), format!("{} ({})", p.names().get(ctx.lang), p.code), chosen.contains(&p.id)))
        .collect()
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Notice {
    saved: String,
    made: String,
    year: String,
}

// ------------------------------------------------------------ the index

struct ProgrammeRow {
    slug: String,
    name: String,
    kind: String,
    centres: usize,
}

#[derive(Template)]
#[template(path = "admin_booking.html")]
struct IndexPage<'a> {
    ctx: &'a PageContext,
    programmes: Vec<ProgrammeRow>,
}

/// `GET /{lang}/admin/booking`: every programme, and the pages across them.
async fn index(State(state): State<AppState>, _admin: Require<Admin>, ctx: PageContext) -> Result<Response, AppError> {
    let mut rows = Vec::new();
    for p in programmes::programmes(&state.db).await? {
        let centres = programmes::centres(&state.db, &p.id).await?.len();
        rows.push(ProgrammeRow {
            kind: ctx.t(&format!("booking-admin-kind-{}", p.kind().as_str())),
            name: p.names().get(ctx.lang).to_owned(),
            slug: p.slug,
            centres,
        });
    }
    ctx.page(StatusCode::OK, "booking-admin-title", &IndexPage { ctx: &ctx, programmes: rows })
}

// ------------------------------------------------------- a programme

struct CentreRow {
    name: String,
    district: String,
    address: String,
    hours: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin_booking_programme.html")]
struct ProgrammePage<'a> {
    ctx: &'a PageContext,
    name: String,
    slug: String,
    /// (term, value) pairs of the settings.
    settings: Vec<(String, String)>,
    /// (code, name).
    products: Vec<(String, String)>,
    centres: Vec<CentreRow>,
}

fn programme_settings(ctx: &PageContext, p: &programme::Model) -> Vec<(String, String)> {
    let e = p.eligibility();
    let none = ctx.t("booking-admin-none");
    let days = |d: Option<u32>| d.map_or_else(|| none.clone(), |d| d.to_string());
    let when = |t: Option<time::OffsetDateTime>| t.map_or_else(|| none.clone(), |t| ctx.local_time(t));
    let level = if p.level == "real_name" { "booking-admin-level-real-name" } else { "booking-admin-level-basic" };
    let yes_no = |b: bool| ctx.t(if b { "booking-admin-yes" } else { "booking-admin-no" });
    vec![
        (ctx.t("booking-admin-slug"), p.slug.clone()),
        (ctx.t("booking-admin-kind"), ctx.t(&format!("booking-admin-kind-{}", p.kind().as_str()))),
        (ctx.t("booking-admin-level"), ctx.t(level)),
        (ctx.t("booking-admin-residents-only"), yes_no(e.residents_only)),
        (ctx.t("booking-admin-min-age"), days(e.min_age)),
        (ctx.t("booking-admin-max-age"), days(e.max_age)),
        (ctx.t("booking-admin-steps"), e.steps.to_string()),
        (ctx.t("booking-admin-repeatable"), yes_no(e.repeatable)),
        (ctx.t("booking-admin-min-interval"), days(e.min_interval_days)),
        (ctx.t("booking-admin-max-interval"), days(e.max_interval_days)),
        (ctx.t("booking-admin-opens"), when(p.opens_at)),
        (ctx.t("booking-admin-closes"), when(p.closes_at)),
    ]
}

/// `GET /{lang}/admin/booking/programmes/{programme}`.
async fn programme_page(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let p = programme_of(&state, &id).await?;
    let products = programmes::products(&state.db, &p.id)
        .await?
        .into_iter()
        .map(|d| (d.code.clone(), d.names().get(ctx.lang).to_owned()))
        .collect();
    let centres = programmes::centres(&state.db, &p.id)
        .await?
        .into_iter()
        .map(|c| CentreRow {
            name: c.names().get(ctx.lang).to_owned(),
            district: ctx.t(&format!("booking-district-{}", c.district)),
            address: c.address().get(ctx.lang).to_owned(),
            hours: crate::residents::opening_lines(&c.opening_hours)
                .into_iter()
                .map(|(day, periods)| (ctx.t(&format!("booking-weekday-{day}")), periods))
                .collect(),
        })
        .collect();
    let page = ProgrammePage {
        ctx: &ctx,
        name: p.names().get(ctx.lang).to_owned(),
        settings: programme_settings(&ctx, &p),
        slug: p.slug,
        products,
        centres,
    };
    ctx.page(StatusCode::OK, "booking-admin-programme-title", &page)
}

// ------------------------------------------------------------ quotas

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct QuotaForm {
    centre_id: String,
    product_id: String,
    day: String,
    capacity: String,
}

/// (centre, product, capacity, taken) of a day's quota, as shown.
type QuotaRow = (String, String, i32, i32);

#[derive(Template)]
#[template(path = "admin_booking_quota.html")]
struct QuotaPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    name: String,
    slug: String,
    path: String,
    centres: Vec<Choice>,
    products: Vec<Choice>,
    form: QuotaForm,
    saved: bool,
    /// The day whose quotas are listed, and its quotas.
    listed: Option<(String, Vec<QuotaRow>)>,
}

async fn quota_view(
    state: &AppState,
    ctx: &PageContext,
    p: &programme::Model,
    errors: FormErrors,
    form: QuotaForm,
    saved: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let centres = programmes::centres(&state.db, &p.id).await?;
    let products = programmes::products(&state.db, &p.id).await?;
    let listed = match parse_day(&form.day) {
        Some(day) => {
            let rows = store::quotas_on(&state.db, &p.id, day)
                .await?
                .into_iter()
                .map(|q| {
                    let c = centres.iter().find(|c| c.id == q.centre_id).map(|c| c.names().get(ctx.lang).to_owned());
                    let d = products.iter().find(|d| d.id == q.product_id).map(|d| d.names().get(ctx.lang).to_owned());
                    (c.unwrap_or(q.centre_id), d.unwrap_or(q.product_id), q.capacity, q.taken)
                })
                .collect();
            Some((day.to_string(), rows))
        }
        None => None,
    };
    let page = QuotaPage {
        ctx,
        errors,
        name: p.names().get(ctx.lang).to_owned(),
        slug: p.slug.clone(),
        path: ctx.href(&format!("{}/quotas", programme_path(&p.slug))),
        centres: centre_choices(ctx, &centres, std::slice::from_ref(&form.centre_id)),
        products: product_choices(ctx, &products, std::slice::from_ref(&form.product_id)),
        form,
        saved,
        listed,
    };
    ctx.page(status, "booking-admin-quota-title", &page)
}

/// `GET /{lang}/admin/booking/programmes/{programme}/quotas[?day=…]`: the
/// form, and that day's quotas.
async fn quota_form(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
    Path(id): Path<String>,
    Query(form): Query<QuotaForm>,
    Query(notice): Query<Notice>,
) -> Result<Response, AppError> {
    let p = programme_of(&state, &id).await?;
    let form = QuotaForm { capacity: String::new(), ..form };
    quota_view(&state, &ctx, &p, FormErrors::new(), form, notice.saved == "1", StatusCode::OK).await
}

/// `POST /{lang}/admin/booking/programmes/{programme}/quotas`: sets the
/// quota (audited by the store), then the form with that day's quotas; or
/// the form again with its errors (409 when below the places taken).
async fn set_quota(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ctx: PageContext,
    Path(id): Path<String>,
    PageForm(form): PageForm<QuotaForm>,
) -> Result<Response, AppError> {
    let p = programme_of(&state, &id).await?;
    let centres = programmes::centres(&state.db, &p.id).await?;
    let products = programmes::products(&state.db, &p.id).await?;
    let mut errors = FormErrors::new();
    if !centres.iter().any(|c| c.id == form.centre_id) {
        errors.add("centre_id", "booking-admin-centre-choose");
    }
    if !products.iter().any(|d| d.id == form.product_id) {
        errors.add("product_id", "booking-admin-product-choose");
    }
    let day = parse_day(&form.day);
    if day.is_none() {
        errors.add("day", "booking-admin-day-invalid");
    }
    let capacity =
        parse_number(&form.capacity).and_then(|n| i32::try_from(n).ok()).filter(|n| (0..=1_000_000).contains(n));
    if capacity.is_none() {
        errors.add_with(
            "capacity",
            "booking-admin-number-invalid",
            vec![("min", "0".into()), ("max", "1000000".into())],
        );
    }
    let (Some(day), Some(capacity), true) = (day, capacity, errors.is_empty()) else {
        return quota_view(&state, &ctx, &p, errors, form, false, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match store::set_quota(&state, &actor(&admin), &form.centre_id, day, &form.product_id, capacity).await {
        Ok(_) => {
            let path = format!("{}/quotas", programme_path(&p.slug));
            Ok(Redirect::to(&format!("{}?day={day}&saved=1", ctx.href(&path))).into_response())
        }
        Err(e) if e.problem == (BookingError::QuotaBelowTaken { taken: 0 }).problem() => {
            let taken = e.args.iter().find(|(k, _)| *k == "taken").map(|(_, v)| v.clone()).unwrap_or_default();
            errors.add_with("capacity", "error-booking-quota-below-taken-detail", vec![("taken", taken)]);
            quota_view(&state, &ctx, &p, errors, form, false, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e),
    }
}

// ------------------------------------------------------ slot generation

#[derive(Template)]
#[template(path = "admin_booking_slots.html")]
struct SlotsPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    name: String,
    slug: String,
    path: String,
    centres: Vec<Choice>,
    products: Vec<Choice>,
    from: String,
    to: String,
    minutes: String,
    capacity: String,
    quota: String,
    made: Option<String>,
}

async fn slots_view(
    state: &AppState,
    ctx: &PageContext,
    p: &programme::Model,
    errors: FormErrors,
    pairs: &[(String, String)],
    made: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let centres = programmes::centres(&state.db, &p.id).await?;
    let products = programmes::products(&state.db, &p.id).await?;
    let page = SlotsPage {
        ctx,
        errors,
        name: p.names().get(ctx.lang).to_owned(),
        slug: p.slug.clone(),
        path: ctx.href(&format!("{}/slots", programme_path(&p.slug))),
        centres: centre_choices(ctx, &centres, &all_of(pairs, "centre_ids")),
        products: product_choices(ctx, &products, &all_of(pairs, "product_ids")),
        from: one_of(pairs, "from"),
        to: one_of(pairs, "to"),
        minutes: one_of(pairs, "minutes"),
        capacity: one_of(pairs, "capacity"),
        quota: one_of(pairs, "quota"),
        made,
    };
    ctx.page(status, "booking-admin-slots-title", &page)
}

/// `GET /{lang}/admin/booking/programmes/{programme}/slots`: the form.
async fn slots_form(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, AppError> {
    let p = programme_of(&state, &id).await?;
    let made = parse_number(&notice.made).map(|n| ctx.t_with("booking-admin-slots-made", &[("count", &n.to_string())]));
    let defaults = [("minutes".to_owned(), "30".to_owned()), ("capacity".to_owned(), "10".to_owned())];
    slots_view(&state, &ctx, &p, FormErrors::new(), &defaults, made, StatusCode::OK).await
}

/// `POST /{lang}/admin/booking/programmes/{programme}/slots`: generates
/// the slots (one audited transaction in the store), then the form with how
/// many were made; or the form again with its errors.
async fn generate_slots(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ctx: PageContext,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let p = programme_of(&state, &id).await?;
    let mut errors = FormErrors::new();
    let from = parse_day(&one_of(&pairs, "from"));
    if from.is_none() {
        errors.add("from", "booking-admin-day-invalid");
    }
    let to = parse_day(&one_of(&pairs, "to"));
    if to.is_none() {
        errors.add("to", "booking-admin-day-invalid");
    }
    let days = match (from, to) {
        (Some(f), Some(t)) if t >= f && (t - f).whole_days() < MAX_GENERATE_DAYS => {
            u32::try_from((t - f).whole_days() + 1).ok()
        }
        (Some(_), Some(_)) => {
            errors.add_with("to", "booking-period-range", vec![("days", MAX_GENERATE_DAYS.to_string())]);
            None
        }
        _ => None,
    };
    let number = |name: &str, min: i64, max: i64| {
        parse_number(&one_of(&pairs, name)).filter(|n| (min..=max).contains(n)).and_then(|n| u32::try_from(n).ok())
    };
    let range = |min: i64, max: i64| vec![("min", min.to_string()), ("max", max.to_string())];
    let minutes = number("minutes", 5, 1440);
    if minutes.is_none() {
        errors.add_with("minutes", "booking-admin-number-invalid", range(5, 1440));
    }
    let capacity = number("capacity", 1, 100_000);
    if capacity.is_none() {
        errors.add_with("capacity", "booking-admin-number-invalid", range(1, 100_000));
    }
    let quota =
        if one_of(&pairs, "quota").trim().is_empty() { Some(None) } else { number("quota", 1, 1_000_000).map(Some) };
    if quota.is_none() {
        errors.add_with("quota", "booking-admin-number-invalid", range(1, 1_000_000));
    }
    let (Some(from), Some(days), Some(minutes), Some(capacity), Some(quota), true) =
        (from, days, minutes, capacity, quota, errors.is_empty())
    else {
        return slots_view(&state, &ctx, &p, errors, &pairs, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let run = store::SlotRun {
        centre_ids: all_of(&pairs, "centre_ids"),
        product_ids: all_of(&pairs, "product_ids"),
        from,
        days,
        minutes,
        capacity,
        quota,
    };
    match store::generate_slots(&state, &actor(&admin), &p, &run).await {
        Ok(made) => {
            let path = format!("{}/slots", programme_path(&p.slug));
            Ok(Redirect::to(&format!("{}?made={made}", ctx.href(&path))).into_response())
        }
        Err(e) if e.problem == BookingError::UnknownCentre.problem() => {
            errors.problem("centre_ids", &BookingError::UnknownCentre);
            slots_view(&state, &ctx, &p, errors, &pairs, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) if e.problem == platform::error::ErrorKind::Validation.problem() => {
            errors.add("product_ids", "booking-admin-product-unknown");
            slots_view(&state, &ctx, &p, errors, &pairs, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

// ------------------------------------------------------------ holidays

#[derive(Template)]
#[template(path = "admin_booking_holidays.html")]
struct HolidaysPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    year: i32,
    path: String,
    /// (date, name) of the year's holidays as loaded.
    loaded: Vec<(String, String)>,
    text: String,
    saved: bool,
    /// Links to the year before and after.
    before: String,
    after: String,
}

fn holiday_names(h: &crate::programmes::store::holiday::Model) -> Names {
    Names { en: h.name_en.clone(), zh_hk: h.name_zh_hk.clone(), zh_cn: h.name_zh_cn.clone() }
}

/// One line of the holidays' text: `YYYY-MM-DD | English | 繁體 | 简体`.
fn holiday_line(day: Date, names: &Names) -> String {
    format!("{day} | {} | {} | {}", names.en, names.zh_hk, names.zh_cn)
}

/// Why a line of the holidays' text cannot be loaded.
#[derive(Debug, PartialEq, Eq)]
enum BadLine {
    Date,
    Year,
    Name,
}

/// A bad line's number (from 1) and fault.
type BadLineAt = (usize, BadLine);

/// The holidays the text lists (blank lines skipped; names in Chinese
/// default to the English one), or each bad line's number and fault.
fn parse_holidays(text: &str, year: i32) -> Result<Vec<(Date, Names)>, Vec<BadLineAt>> {
    let mut list = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut parts = line.split('|').map(str::trim);
        let day = parse_day(parts.next().unwrap_or_default());
        let en = parts.next().unwrap_or_default().to_owned();
        let or_en = |s: Option<&str>| s.filter(|s| !s.is_empty()).unwrap_or(&en).to_owned();
        let names = Names { zh_hk: or_en(parts.next()), zh_cn: or_en(parts.next()), en: en.clone() };
        match day {
            None => bad.push((i + 1, BadLine::Date)),
            Some(d) if d.year() != year => bad.push((i + 1, BadLine::Year)),
            Some(_) if en.is_empty() => bad.push((i + 1, BadLine::Name)),
            Some(d) => list.push((d, names)),
        }
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    list.sort_by_key(|(d, _)| *d);
    list.dedup_by_key(|(d, _)| *d);
    Ok(list)
}

async fn holidays_view(
    state: &AppState,
    ctx: &PageContext,
    year: i32,
    errors: FormErrors,
    text: Option<String>,
    saved: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let loaded = store::holidays(&state.db, year).await?;
    let text = text.unwrap_or_else(|| {
        loaded.iter().map(|h| holiday_line(h.day, &holiday_names(h))).collect::<Vec<_>>().join("\n")
    });
    let page = HolidaysPage {
        ctx,
        errors,
        year,
        path: ctx.href(&format!("{HOLIDAYS}/{year}")),
        loaded: loaded.iter().map(|h| (h.day.to_string(), holiday_names(h).get(ctx.lang).to_owned())).collect(),
        text,
        saved,
        before: ctx.href(&format!("{HOLIDAYS}/{}", year - 1)),
        after: ctx.href(&format!("{HOLIDAYS}/{}", year + 1)),
    };
    ctx.page(status, "booking-admin-holidays-title", &page)
}

fn year_of(text: &str) -> Result<i32, AppError> {
    text.parse::<i32>().ok().filter(|y| (2000..=2200).contains(y)).ok_or_else(AppError::not_found)
}

/// `GET /{lang}/admin/booking/holidays`: this year's.
async fn holidays_now(State(state): State<AppState>, _admin: Require<Admin>, ctx: PageContext) -> Response {
    Redirect::to(&ctx.href(&format!("{HOLIDAYS}/{}", state.today().year()))).into_response()
}

/// `GET /{lang}/admin/booking/holidays/{year}`: the year's holidays and the form.
async fn holidays_form(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
    Path(year): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, AppError> {
    let year = year_of(&year)?;
    holidays_view(&state, &ctx, year, FormErrors::new(), None, notice.saved == "1", StatusCode::OK).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct HolidaysForm {
    holidays: String,
}

/// `POST /{lang}/admin/booking/holidays/{year}`: replaces the year's list
/// (audited by the store), then the page; or the text again with each bad line named.
async fn load_holidays(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ctx: PageContext,
    Path(year): Path<String>,
    PageForm(form): PageForm<HolidaysForm>,
) -> Result<Response, AppError> {
    let year = year_of(&year)?;
    match parse_holidays(&form.holidays, year) {
        Ok(list) => {
            store::load_holidays(&state, &actor(&admin), year, &list).await?;
            Ok(Redirect::to(&format!("{}?saved=1", ctx.href(&format!("{HOLIDAYS}/{year}")))).into_response())
        }
        Err(bad) => {
            let mut errors = FormErrors::new();
            for (line, fault) in bad {
                let key = match fault {
                    BadLine::Date => "booking-admin-holiday-date",
                    BadLine::Year => "booking-admin-holiday-year",
                    BadLine::Name => "booking-admin-holiday-name",
                };
                errors.add_with("holidays", key, vec![("line", line.to_string()), ("year", year.to_string())]);
            }
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            holidays_view(&state, &ctx, year, errors, Some(form.holidays), false, status).await
        }
    }
}

// ------------------------------------------------------------ closures

/// A programme's centres as boxes to tick.
struct CentreGroup {
    programme: String,
    centres: Vec<Choice>,
}

/// What closing would do at one centre.
struct AffectedRow {
    centre: String,
    open_slots: u64,
    confirmed: u64,
    closed_already: bool,
}

/// A closure's form as typed (centres from the raw pairs).
#[derive(Debug, Default, Clone)]
struct ClosureForm {
    day: String,
    centre_ids: Vec<String>,
    reason: String,
    action: String,
    move_to: String,
}

impl ClosureForm {
    fn of(pairs: &[(String, String)]) -> ClosureForm {
        ClosureForm {
            day: one_of(pairs, "day"),
            centre_ids: all_of(pairs, "centre_ids"),
            reason: one_of(pairs, "reason"),
            action: one_of(pairs, "action"),
            move_to: one_of(pairs, "move_to"),
        }
    }

    /// The checked closure, or every field's error.
    fn closing(&self, errors: &mut FormErrors) -> Option<store::Closing> {
        let day = parse_day(&self.day);
        if day.is_none() {
            errors.add("day", "booking-admin-day-invalid");
        }
        if self.centre_ids.is_empty() {
            errors.add("centre_ids", "booking-admin-centres-choose");
        }
        let reason = match self.reason.as_str() {
            "typhoon-8" => Some(Reason::Typhoon8),
            "black-rainstorm" => Some(Reason::BlackRainstorm),
            _ => None,
        };
        if reason.is_none() {
            errors.add("reason", "booking-admin-reason-choose");
        }
        let action = match self.action.as_str() {
            "cancel" => Some(Action::Cancel),
            "move" => Some(Action::Move),
            _ => None,
        };
        if action.is_none() {
            errors.add("action", "booking-admin-action-choose");
        }
        let move_to = match action {
            Some(Action::Move) => {
                let to = parse_day(&self.move_to).filter(|to| day.is_none_or(|d| *to > d));
                if to.is_none() {
                    errors.add("move_to", "booking-admin-move-to");
                }
                to
            }
            _ => None,
        };
        let (Some(day), Some(reason), Some(action), true) = (day, reason, action, errors.is_empty()) else {
            return None;
        };
        Some(store::Closing { day, programme_id: None, centre_ids: self.centre_ids.clone(), reason, action, move_to })
    }
}

#[derive(Template)]
#[template(path = "admin_booking_closure.html")]
struct ClosurePage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    path: String,
    groups: Vec<CentreGroup>,
    form: ClosureForm,
    /// What the closure would touch, once the form is complete (the confirmation step).
    affected: Option<Vec<AffectedRow>>,
    /// What a closure just did.
    done: Option<store::Closed>,
}

async fn closure_view(
    state: &AppState,
    ctx: &PageContext,
    errors: FormErrors,
    form: ClosureForm,
    affected: Option<Vec<AffectedRow>>,
    done: Option<store::Closed>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut groups = Vec::new();
    for p in programmes::programmes(&state.db).await? {
        let centres = programmes::centres(&state.db, &p.id).await?;
        groups.push(CentreGroup {
            programme: p.names().get(ctx.lang).to_owned(),
            centres: centre_choices(ctx, &centres, &form.centre_ids),
        });
    }
    let page = ClosurePage { ctx, errors, path: ctx.href(CLOSURES), groups, form, affected, done };
    ctx.page(status, "booking-admin-closure-title", &page)
}

/// `GET /{lang}/admin/booking/closures`: the form; given a complete form
/// (`?check=1&…`), what closing would touch and the button that confirms it.
/// Never changes anything.
async fn closure_form(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = ClosureForm::of(&pairs);
    let done = (one_of(&pairs, "closed") == "1").then(|| {
        let n = |k: &str| parse_number(&one_of(&pairs, k)).and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        store::Closed {
            centres: n("centres"),
            slots_closed: n("slots"),
            cancelled: n("cancelled"),
            moved: n("moved"),
            notified: n("notified"),
        }
    });
    if one_of(&pairs, "check") != "1" {
        return closure_view(&state, &ctx, FormErrors::new(), form, None, done, StatusCode::OK).await;
    }
    let mut errors = FormErrors::new();
    let Some(closing) = form.closing(&mut errors) else {
        return closure_view(&state, &ctx, errors, form, None, None, StatusCode::BAD_REQUEST).await;
    };
    let affected = match store::affected_by_closing(&state, closing.day, &closing.centre_ids).await {
        Ok(rows) => rows,
        Err(e) if e.problem == BookingError::UnknownCentre.problem() => {
            errors.problem("centre_ids", &BookingError::UnknownCentre);
            return closure_view(&state, &ctx, errors, form, None, None, StatusCode::BAD_REQUEST).await;
        }
        Err(e) => return Err(e),
    };
    let rows = affected
        .into_iter()
        .map(|a| AffectedRow {
            centre: a.centre.names().get(ctx.lang).to_owned(),
            open_slots: a.open_slots,
            confirmed: a.confirmed,
            closed_already: a.closed_already,
        })
        .collect();
    closure_view(&state, &ctx, errors, form, Some(rows), None, StatusCode::OK).await
}

/// `POST /{lang}/admin/booking/closures`: the confirmation: closes the day
/// (one audited transaction in the store: slots closed, bookings cancelled
/// or moved, everyone notified), then the page saying what it did.
async fn close(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ctx: PageContext,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = ClosureForm::of(&pairs);
    let mut errors = FormErrors::new();
    let Some(closing) = form.closing(&mut errors) else {
        return closure_view(&state, &ctx, errors, form, None, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match store::close(&state, &actor(&admin), &closing).await {
        Ok(done) => {
            let query = format!(
                "closed=1&centres={}&slots={}&cancelled={}&moved={}&notified={}",
                done.centres, done.slots_closed, done.cancelled, done.moved, done.notified
            );
            Ok(Redirect::to(&format!("{}?{query}", ctx.href(CLOSURES))).into_response())
        }
        Err(e) if e.problem == BookingError::UnknownCentre.problem() => {
            errors.problem("centre_ids", &BookingError::UnknownCentre);
            closure_view(&state, &ctx, errors, form, None, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

// ------------------------------------------------------------ statistics

/// The statistics filters as typed.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct StatFilter {
    from: String,
    to: String,
    centre: String,
    product: String,
}

/// A total's row of a table: its label and the five counts.
struct Totals {
    label: String,
    bookings: i64,
    confirmed: i64,
    attended: i64,
    no_shows: i64,
    cancelled: i64,
}

impl Totals {
    fn new(label: String) -> Totals {
        Totals { label, bookings: 0, confirmed: 0, attended: 0, no_shows: 0, cancelled: 0 }
    }

    fn add(&mut self, s: &Stat) {
        self.bookings += s.bookings;
        self.confirmed += s.confirmed;
        self.attended += s.attended;
        self.no_shows += s.no_shows;
        self.cancelled += s.cancelled;
    }
}

/// One chart and the table that is its text alternative.
struct Chart {
    id: String,
    heading: String,
    svg: String,
    caption: String,
    /// The category column's heading.
    category: String,
    rows: Vec<Totals>,
}

/// A series' legend entry: (colour, name).
type Legend = (&'static str, String);

#[derive(Template)]
#[template(path = "admin_booking_statistics.html")]
struct StatisticsPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    name: String,
    slug: String,
    path: String,
    filter: StatFilter,
    centres: Vec<Choice>,
    products: Vec<Choice>,
    legend: Vec<Legend>,
    charts: Vec<Chart>,
    /// Every row: (day, centre, product, counts).
    rows: Vec<(String, String, String, Totals)>,
    csv: String,
}

/// The series' colours, each at least 3:1 on white: to come, attended, no-shows, cancelled.
const COLOURS: [&str; 4] = ["#0b4f6c", "#1b6e3a", "#b34700", "#595959"];

fn legend(ctx: &PageContext) -> Vec<Legend> {
    ["confirmed", "attended", "no-shows", "cancelled"]
        .into_iter()
        .zip(COLOURS)
        .map(|(k, c)| (c, ctx.t(&format!("booking-stat-{k}"))))
        .collect()
}

fn chart_of(ctx: &PageContext, id: &str, heading: String, category: String, rows: Vec<Totals>) -> Chart {
    let categories: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    let names = legend(ctx);
    let values: [Vec<i64>; 4] = [
        rows.iter().map(|r| r.confirmed).collect(),
        rows.iter().map(|r| r.attended).collect(),
        rows.iter().map(|r| r.no_shows).collect(),
        rows.iter().map(|r| r.cancelled).collect(),
    ];
    let series: Vec<Series> =
        names.into_iter().zip(values).map(|((colour, name), values)| Series { name, colour, values }).collect();
    let total: i64 = rows.iter().map(|r| r.bookings).sum();
    let desc = ctx.t_with("booking-stat-chart-desc", &[("bookings", &total.to_string())]);
    let svg = chart::stacked_bars(&Bars { id, title: &heading, desc: &desc, categories: &categories, series: &series });
    let caption = ctx.t_with("booking-stat-table-caption", &[("chart", &heading)]);
    Chart { id: id.to_owned(), heading, svg, caption, category, rows }
}

/// `GET /{lang}/admin/booking/programmes/{programme}/statistics?from=&to=&centre=&product=`:
/// the period's bookings, attendance, no-shows and cancellations by day and
/// by centre (each a chart with its table), every row, and the CSV link.
async fn statistics(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
    Path(id): Path<String>,
    Query(filter): Query<StatFilter>,
) -> Result<Response, AppError> {
    let p = programme_of(&state, &id).await?;
    let centres = programmes::centres(&state.db, &p.id).await?;
    let products = programmes::products(&state.db, &p.id).await?;
    let mut errors = FormErrors::new();
    let today = state.today();
    let to = if filter.to.trim().is_empty() { Some(today) } else { parse_day(&filter.to) };
    if to.is_none() {
        errors.add("to", "booking-admin-day-invalid");
    }
    let from = if filter.from.trim().is_empty() {
        Some(to.unwrap_or(today).saturating_sub(time::Duration::days(6)))
    } else {
        parse_day(&filter.from)
    };
    if from.is_none() {
        errors.add("from", "booking-admin-day-invalid");
    }
    if let (Some(f), Some(t)) = (from, to)
        && (t < f || (t - f).whole_days() >= MAX_STAT_DAYS)
    {
        errors.add_with("to", "booking-period-range", vec![("days", MAX_STAT_DAYS.to_string())]);
    }
    let centre_name = |id: &str| centres.iter().find(|c| c.id == id).map(|c| c.names().get(ctx.lang).to_owned());
    let product_name = |id: &str| products.iter().find(|d| d.id == id).map(|d| d.names().get(ctx.lang).to_owned());
    if !filter.centre.is_empty() && centre_name(&filter.centre).is_none() {
        errors.add("centre", "booking-admin-centre-choose");
    }
    if !filter.product.is_empty() && product_name(&filter.product).is_none() {
        errors.add("product", "booking-admin-product-choose");
    }
    let mut page = StatisticsPage {
        ctx: &ctx,
        errors: FormErrors::new(),
        name: p.names().get(ctx.lang).to_owned(),
        slug: p.slug.clone(),
        path: ctx.href(&format!("{}/statistics", programme_path(&p.slug))),
        centres: centre_choices(&ctx, &centres, std::slice::from_ref(&filter.centre)),
        products: product_choices(&ctx, &products, std::slice::from_ref(&filter.product)),
        legend: legend(&ctx),
        charts: Vec::new(),
        rows: Vec::new(),
        csv: String::new(),
        filter,
    };
    let (Some(from), Some(to), true) = (from, to, errors.is_empty()) else {
        page.errors = errors;
        return ctx.page(StatusCode::BAD_REQUEST, "booking-stat-title", &page);
    };
    page.filter.from = from.to_string();
    page.filter.to = to.to_string();
    page.csv = format!(
        "{}?from={from}&to={to}",
        "/api/v1/booking/admin/programmes/{id}/statistics.csv".replace("{id}", &p.id)
    );
    let stats: Vec<Stat> = store::statistics(&state, &p, from, to)
        .await?
        .into_iter()
        .filter(|s| page.filter.centre.is_empty() || s.centre_id == page.filter.centre)
        .filter(|s| page.filter.product.is_empty() || s.product_id == page.filter.product)
        .collect();

    // By day: every day of the period, with nothing booked too.
    let mut by_day = Vec::new();
    let mut day = from;
    while day <= to {
        let label = day.to_string();
        let mut t = Totals::new(label.clone());
        stats.iter().filter(|s| s.day == label).for_each(|s| t.add(s));
        by_day.push(t);
        let Some(next) = day.next_day() else { break };
        day = next;
    }
    let mut by_centre: Vec<Totals> = Vec::new();
    for c in centres.iter().filter(|c| page.filter.centre.is_empty() || c.id == page.filter.centre) {
        let mut t = Totals::new(c.names().get(ctx.lang).to_owned());
        stats.iter().filter(|s| s.centre_id == c.id).for_each(|s| t.add(s));
        by_centre.push(t);
    }
    let day_chart = chart_of(&ctx, "stat-days", ctx.t("booking-stat-by-day"), ctx.t("booking-stat-day"), by_day);
    let centre_chart =
        chart_of(&ctx, "stat-centres", ctx.t("booking-stat-by-centre"), ctx.t("booking-field-centre"), by_centre);
    page.charts = vec![day_chart, centre_chart];
    page.rows = stats
        .iter()
        .map(|s| {
            let mut t = Totals::new(String::new());
            t.add(s);
            let centre = centre_name(&s.centre_id).unwrap_or_else(|| s.centre_slug.clone());
            let product = product_name(&s.product_id).unwrap_or_else(|| s.product_code.clone());
            (s.day.clone(), centre, product, t)
        })
        .collect();
    ctx.page(StatusCode::OK, "booking-stat-title", &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holidays_are_read_line_by_line() {
        let text = "2026-12-25 | Christmas Day | 聖誕節 | 圣诞节\n\n2026-01-01 | The first day of January\n";
        let list = parse_holidays(text, 2026).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].0.to_string(), "2026-01-01");
        assert_eq!(list[0].1.zh_hk, "The first day of January", "Chinese names default to the English");
        assert_eq!(list[1].1.zh_cn, "圣诞节");

        let bad = parse_holidays("2026-02-30 | x\n2027-01-01 | y\n2026-05-01 |  ", 2026).unwrap_err();
        assert_eq!(bad, vec![(1, BadLine::Date), (2, BadLine::Year), (3, BadLine::Name)]);
    }

    #[test]
    fn a_closure_form_names_every_missing_choice() {
        let mut errors = FormErrors::new();
        let form = ClosureForm {
            action: "move".into(),
            day: "2026-07-01".into(),
            move_to: "2026-06-30".into(),
            ..ClosureForm::default()
        };
        assert!(form.closing(&mut errors).is_none());
        for field in ["centre_ids", "reason", "move_to"] {
            assert!(errors.has(field), "{field}");
        }
        assert!(!errors.has("day") && !errors.has("action"));

        let mut errors = FormErrors::new();
        let form = ClosureForm {
            day: "2026-07-01".into(),
            centre_ids: vec!["c".into()],
            reason: "black-rainstorm".into(),
            action: "cancel".into(),
            move_to: String::new(),
        };
        let closing = form.closing(&mut errors).unwrap();
        assert_eq!((closing.reason, closing.action, closing.move_to), (Reason::BlackRainstorm, Action::Cancel, None));
    }
}
