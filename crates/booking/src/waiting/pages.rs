//! The waiting room's pages: residents' queue page
//! (`/{lang}/booking/{programme}/queue`: join by a form, see the position
//! and estimated wait kept current by `assets/booking-queue.js`, then the
//! way into booking) and the administrators' page
//! (`/{lang}/admin/booking/waiting-room`: each programme's room on or off,
//! its rate and the length of an admission).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::{Admin, Require, SignedIn};
use platform::web::ClientInfo;
use serde::Deserialize;

use super::store::{self, Standing};
use super::{BadSetting, MAX_RATE, MAX_VALIDITY_MINUTES, Settings};
use crate::programmes::store as programmes;

/// The queue page's script (under `assets/`).
pub(crate) const SCRIPT: &str = "booking-queue.js";
/// The administrators' page, under each language prefix.
const ADMIN_PATH: &str = "/admin/booking/waiting-room";
/// Seconds between reloads of the queue page when JavaScript is off.
const REFRESH_SECONDS: i64 = 15;
/// The texts the script shows, by the last part of their key (`booking-queue-…`).
const SCRIPT_TEXTS: [&str; 5] = ["position", "wait-soon", "wait-one-minute", "wait-minutes", "admitted-live"];

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route("/booking/{programme}/queue", get(queue_page).post(join_page))
        .route(ADMIN_PATH, get(rooms_page))
        .route(&format!("{ADMIN_PATH}/{{programme}}"), get(room_page).post(save_room_page))
}

fn queue_path(slug: &str) -> String {
    format!("/booking/{slug}/queue")
}

async fn programme_of(state: &AppState, id: &str) -> Result<programmes::programme::Model, AppError> {
    programmes::programme(&state.db, id.trim()).await?.ok_or_else(AppError::not_found)
}

/// The estimated wait in words: under a minute, about a minute, about n minutes.
fn wait_text(ctx: &PageContext, seconds: i64) -> String {
    if seconds < 60 {
        return ctx.t("booking-queue-wait-soon");
    }
    let minutes = (seconds + 30) / 60;
    if minutes == 1 {
        return ctx.t("booking-queue-wait-one-minute");
    }
    ctx.t_with("booking-queue-wait-minutes", &[("minutes", &minutes.to_string())])
}

/// What the queue page shows of a standing.
enum Shown {
    /// No waiting room: book straight away.
    Off,
    /// Not in the queue (never joined, or the admission ended): the join form.
    Join {
        expired: bool,
    },
    Waiting {
        place: i64,
        position: String,
        wait: String,
    },
    /// The turn has come; the admission of `minutes` starts by the form (a POST).
    Ready {
        minutes: u32,
    },
    /// Admitted until `until` (local clock time).
    Admitted {
        until: String,
    },
}

#[derive(Template)]
#[template(path = "booking_queue.html")]
struct QueuePage<'a> {
    ctx: &'a PageContext,
    programme: String,
    /// The page's own path (the join form posts to it).
    path: String,
    /// Where booking starts (the residents' booking pages of the programme).
    book: String,
    /// The JSON status the script polls.
    status: String,
    shown: Shown,
    script: String,
    texts: String,
    refresh: i64,
}

/// The script's texts as JSON, safe inside `<script type="application/json">`.
fn script_texts(ctx: &PageContext) -> String {
    let texts: serde_json::Map<String, serde_json::Value> = SCRIPT_TEXTS
        .iter()
        .map(|key| {
            let text =
                ctx.t_with(&format!("booking-queue-{key}"), &[("position", "{position}"), ("minutes", "{minutes}")]);
            ((*key).to_owned(), serde_json::Value::String(text))
        })
        .collect();
    // `<` escaped, so no text can close the script element.
    serde_json::Value::Object(texts).to_string().replace('<', "\\u003c")
}

/// `GET /{lang}/booking/{programme}/queue`: where the resident stands.
/// It changes nothing (no place taken, no admission started: a turn that
/// has come shows the form that starts it). A resident whose admission was
/// started gets its cookie here too.
async fn queue_page(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    client: axum::Extension<ClientInfo>,
    ctx: PageContext,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let programme = programme_of(&state, &id).await?;
    let now_ms = super::unix_ms(platform::db::now());
    let standing = store::status(&state, &programme.id, &principal.account_id.to_string(), now_ms).await?;
    let shown = match &standing {
        Standing::Off => Shown::Off,
        Standing::NotQueued => Shown::Join { expired: false },
        Standing::Expired { .. } => Shown::Join { expired: true },
        Standing::Waiting { place, position, wait_seconds } => Shown::Waiting {
            place: *place,
            position: ctx.t_with("booking-queue-position", &[("position", &position.to_string())]),
            wait: wait_text(&ctx, *wait_seconds),
        },
        Standing::Ready { .. } => Shown::Ready {
            minutes: store::room(&state.db, &programme.id)
                .await?
                .map_or(Settings::default().validity_minutes, |r| r.settings().validity_minutes),
        },
        Standing::Admitted { admission, .. } => Shown::Admitted {
            until: super::http::time_of(admission.expires_ms).map(|t| ctx.local_clock(t)).unwrap_or_default(),
        },
    };
    let page = QueuePage {
        ctx: &ctx,
        programme: programme.names().get(ctx.lang).to_owned(),
        path: ctx.href(&queue_path(&programme.slug)),
        book: ctx.href(&format!("/booking/{}", programme.slug)),
        status: "/api/v1/booking/programmes/{id}/queue".replace("{id}", &programme.id),
        shown,
        script: ctx.asset(SCRIPT),
        texts: script_texts(&ctx),
        refresh: REFRESH_SECONDS,
    };
    let mut response = ctx.page(StatusCode::OK, "booking-queue-title", &page)?;
    if let Some(cookie) = super::http::admission_cookie(&programme.id, &standing, client.https, now_ms) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `POST /{lang}/booking/{programme}/queue`: takes the resident's place
/// (the same one however often) and starts its admission once its turn has
/// come, then back to the page (POST-redirect-GET).
/// The form carries only its CSRF token, checked before any handler.
async fn join_page(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    client: axum::Extension<ClientInfo>,
    ctx: PageContext,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let programme = programme_of(&state, &id).await?;
    let now_ms = super::unix_ms(platform::db::now());
    let standing = store::join(&state, &programme.id, &principal.account_id.to_string(), now_ms).await?;
    let mut response = Redirect::to(&ctx.href(&queue_path(&programme.slug))).into_response();
    if let Some(cookie) = super::http::admission_cookie(&programme.id, &standing, client.https, now_ms) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

// ------------------------------------------------------- administrators

/// One programme's room in the administrators' list.
struct RoomRow {
    slug: String,
    name: String,
    enabled: bool,
    rate_per_minute: u32,
    validity_minutes: u32,
    joined: i64,
    admitted: i64,
}

#[derive(Template)]
#[template(path = "admin_booking_waiting_rooms.html")]
struct RoomsPage<'a> {
    ctx: &'a PageContext,
    rooms: Vec<RoomRow>,
    saved: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Saved {
    saved: String,
}

/// `GET /{lang}/admin/booking/waiting-room`: every programme's room.
async fn rooms_page(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
    Query(saved): Query<Saved>,
) -> Result<Response, AppError> {
    let mut rooms = Vec::new();
    let mut saved_name = None;
    for p in programmes::programmes(&state.db).await? {
        let room = store::room(&state.db, &p.id).await?;
        let settings = room.as_ref().map(store::room::Model::settings).unwrap_or_default();
        let name = p.names().get(ctx.lang).to_owned();
        if !saved.saved.is_empty() && saved.saved == p.slug {
            saved_name = Some(ctx.t_with("booking-room-saved", &[("programme", &name)]));
        }
        rooms.push(RoomRow {
            slug: p.slug.clone(),
            name,
            enabled: settings.enabled,
            rate_per_minute: settings.rate_per_minute,
            validity_minutes: settings.validity_minutes,
            joined: room.as_ref().map_or(0, |r| r.joined),
            admitted: room.as_ref().map_or(0, |r| r.admitted),
        });
    }
    let page = RoomsPage { ctx: &ctx, rooms, saved: saved_name };
    ctx.page(StatusCode::OK, "booking-rooms-title", &page)
}

/// The room form as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoomForm {
    /// Present (`on`) when the box is ticked.
    enabled: Option<String>,
    rate_per_minute: String,
    validity_minutes: String,
}

impl RoomForm {
    fn of(settings: Settings) -> RoomForm {
        RoomForm {
            enabled: settings.enabled.then(|| "on".to_owned()),
            rate_per_minute: settings.rate_per_minute.to_string(),
            validity_minutes: settings.validity_minutes.to_string(),
        }
    }

    /// The settings, or every field's error.
    fn settings(&self, errors: &mut FormErrors) -> Option<Settings> {
        let number = |s: &str| s.trim().replace([',', ' '], "").parse::<u32>().ok();
        let rate = number(&self.rate_per_minute).unwrap_or(0);
        let validity = number(&self.validity_minutes).unwrap_or(0);
        let mut settings =
            Settings { enabled: self.enabled.is_some(), rate_per_minute: rate, validity_minutes: validity };
        // Each field checked on its own, so both errors show at once.
        if settings.check() == Err(BadSetting::Rate) {
            errors.add_with("rate_per_minute", "booking-room-rate-invalid", vec![("max", MAX_RATE.to_string())]);
            settings.rate_per_minute = 1;
        }
        if settings.check() == Err(BadSetting::Validity) {
            let max = vec![("max", MAX_VALIDITY_MINUTES.to_string())];
            errors.add_with("validity_minutes", "booking-room-validity-invalid", max);
        }
        errors.is_empty().then_some(settings)
    }
}

#[derive(Template)]
#[template(path = "admin_booking_waiting_room.html")]
struct RoomPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    name: String,
    path: String,
    form: RoomForm,
    max_rate: u32,
    max_validity: u32,
}

async fn room_view(
    ctx: &PageContext,
    programme: &programmes::programme::Model,
    errors: FormErrors,
    form: RoomForm,
    status: StatusCode,
) -> Result<Response, AppError> {
    let page = RoomPage {
        ctx,
        errors,
        name: programme.names().get(ctx.lang).to_owned(),
        path: ctx.href(&format!("{ADMIN_PATH}/{}", programme.slug)),
        form,
        max_rate: MAX_RATE,
        max_validity: MAX_VALIDITY_MINUTES,
    };
    ctx.page(status, "booking-room-title", &page)
}

/// `GET /{lang}/admin/booking/waiting-room/{programme}`: one room's form.
async fn room_page(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    ctx: PageContext,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let programme = programme_of(&state, &id).await?;
    let settings = store::room(&state.db, &programme.id).await?.map(|r| r.settings()).unwrap_or_default();
    room_view(&ctx, &programme, FormErrors::new(), RoomForm::of(settings), StatusCode::OK).await
}

/// `POST /{lang}/admin/booking/waiting-room/{programme}`: saves the room
/// (audited by the store), then the list; or the form again with its errors.
async fn save_room_page(
    State(state): State<AppState>,
    admin: Require<Admin>,
    ctx: PageContext,
    Path(id): Path<String>,
    PageForm(form): PageForm<RoomForm>,
) -> Result<Response, AppError> {
    let programme = programme_of(&state, &id).await?;
    let mut errors = FormErrors::new();
    let Some(settings) = form.settings(&mut errors) else {
        return room_view(&ctx, &programme, errors, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let actor = format!("account:{}", admin.principal.account_id);
    let now_ms = super::unix_ms(platform::db::now());
    store::set(&state, &programme.id, settings, &actor, now_ms).await?;
    Ok(Redirect::to(&format!("{}?saved={}", ctx.href(ADMIN_PATH), programme.slug)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_form_names_every_bad_field() {
        let form = RoomForm { enabled: None, rate_per_minute: "0".into(), validity_minutes: "x".into() };
        let mut errors = FormErrors::new();
        assert_eq!(form.settings(&mut errors), None);
        assert!(errors.has("rate_per_minute") && errors.has("validity_minutes"));

        let form =
            RoomForm { enabled: Some("on".into()), rate_per_minute: " 1,000 ".into(), validity_minutes: "15".into() };
        let mut errors = FormErrors::new();
        let settings = form.settings(&mut errors).unwrap();
        assert_eq!(settings, Settings { enabled: true, rate_per_minute: 1000, validity_minutes: 15 });
    }
}
