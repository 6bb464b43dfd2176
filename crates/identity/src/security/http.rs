//! The security page, the password page, the forms that end a session or
//! disconnect a service, and the data download's JSON.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::SignedIn;
use platform::session::{self, SessionToken};
use platform::web::{self, ClientInfo};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::store::{self, Download};
use super::{PAGE, activity_key, min_password_length};
use crate::pages::RecentSignIn;
use crate::{accounts, devices, notices, two_step};

/// The security page, the password page, sessions, connected services and the data download.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    Router::new()
        .route(PAGE, get(page))
        .route("/account/password", get(password_page).post(change_password).route_layer(sensitive()))
        .route("/account/sessions/end", post(end_session))
        .route("/account/connected/remove", post(disconnect))
        .route("/account/data.json", get(data))
}

const SHOWN: time::format_description::well_known::Rfc3339 = time::format_description::well_known::Rfc3339;

struct SessionRow {
    id: String,
    device: String,
    ip: String,
    /// The place the address is in, where the operator's places file knows it.
    place: String,
    signed_in: String,
    last_seen: String,
    current: bool,
}

struct ConnectedRow {
    client_id: String,
    name: String,
    since: String,
}

struct ActivityRow {
    at: String,
    what_key: &'static str,
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage<'a> {
    ctx: &'a PageContext,
    sessions: Vec<SessionRow>,
    connected: Vec<ConnectedRow>,
    activity: Vec<ActivityRow>,
    two_step: bool,
    passkeys: u64,
}

/// The row key of this browser's session, if it sent its cookie.
fn current_session(headers: &HeaderMap, client: &ClientInfo) -> Option<String> {
    web::read_cookie(headers, web::session_cookie_name(client.https))
        .and_then(SessionToken::parse)
        .map(|t| session::id_of(&t))
}

pub(crate) async fn page(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let current = current_session(&headers, &client);
    let overview = store::overview(&state, &principal.account_id.to_string()).await?;
    let sessions = overview
        .sessions
        .into_iter()
        .map(|s| SessionRow {
            current: current.as_deref() == Some(s.id.as_str()),
            id: s.id,
            device: devices::describe(&ctx, s.user_agent.as_deref().unwrap_or("")),
            place: s
                .ip
                .as_deref()
                .and_then(|ip| crate::settings::of(&state).places.name_of(ip, ctx.lang))
                .unwrap_or_default()
                .to_owned(),
            ip: s.ip.unwrap_or_default(),
            signed_in: ctx.local_time(s.created_at),
            last_seen: ctx.local_time(s.last_seen_at),
        })
        .collect();
    let connected = overview
        .connected
        .into_iter()
        .map(|(c, name)| ConnectedRow { client_id: c.client_id, name, since: ctx.local_time(c.granted_at) })
        .collect();
    let activity = overview
        .activity
        .into_iter()
        .map(|e| ActivityRow { at: ctx.local_time(e.at), what_key: activity_key(&e.action) })
        .collect();
    let content = SecurityPage {
        ctx: &ctx,
        sessions,
        connected,
        activity,
        two_step: overview.two_step,
        passkeys: overview.passkeys,
    };
    ctx.page(StatusCode::OK, "security-title", &content)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SessionForm {
    id: String,
}

pub(crate) async fn end_session(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<SessionForm>,
) -> Result<Response, AppError> {
    store::end_session(&state, &principal.account_id.to_string(), &form.id).await?;
    Ok(crate::pages::see_other(&ctx.href(PAGE)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DisconnectForm {
    client_id: String,
}

pub(crate) async fn disconnect(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<DisconnectForm>,
) -> Result<Response, AppError> {
    store::disconnect(&state, &principal.account_id.to_string(), &form.client_id).await?;
    Ok(crate::pages::see_other(&ctx.href(PAGE)))
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    password_hint: String,
    end_others: bool,
    changed: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PasswordQuery {
    changed: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PasswordForm {
    current_password: String,
    password: String,
    /// "Sign out everywhere else": ticked unless the resident unticks it.
    end_others: Option<String>,
}

/// The hint for a new password: the length its account needs (shorter with
/// two-step verification on).
async fn new_password_hint(state: &AppState, ctx: &PageContext, account_id: &str) -> Result<String, AppError> {
    let min = min_password_length(two_step::store::is_enabled(state, account_id).await?);
    Ok(ctx.t_with("password-hint", &[("min", &min.to_string())]))
}

/// `GET /{lang}/account/password`: change the password (a recent sign-in needed).
pub(crate) async fn password_page(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    Query(q): Query<PasswordQuery>,
) -> Result<Response, AppError> {
    let password_hint = new_password_hint(&state, &ctx, &principal.account_id.to_string()).await?;
    let content = PasswordPage {
        ctx: &ctx,
        errors: FormErrors::new(),
        password_hint,
        end_others: true,
        changed: q.changed.is_some(),
    };
    ctx.page(StatusCode::OK, "password-change-title", &content)
}

/// `POST /{lang}/account/password`: the current password (its guesses
/// counted like sign-in's) and a new one meeting the policy; other sessions
/// end unless the resident unticked the box.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    PageForm(form): PageForm<PasswordForm>,
) -> Result<Response, AppError> {
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    let end_others = form.end_others.is_some();
    let mut errors = FormErrors::new();
    if form.current_password.is_empty() {
        errors.add("current_password", "password-current-missing");
    }
    let second_factor = two_step::store::is_enabled(&state, &account.id).await?;
    let id = notices::contact(&account)?;
    let new = accounts::store::new_password(&state, &form.password, Some(&id), second_factor)
        .map_err(|p| crate::pages::password_error(&mut errors, p));
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Ok(new), true) = (new, errors.is_empty()) {
        // The session kept is this browser's; without its cookie, none is kept.
        let current = current_session(&headers, &client).unwrap_or_default();
        let keep = end_others.then_some(current.as_str());
        let ip = client.rate_key();
        match store::change_password(&state, ctx.lang, &account, &form.current_password, new, &ip, keep).await? {
            accounts::PasswordCheck::Right => {
                return Ok(crate::pages::see_other(&format!("{}?changed=1", ctx.href("/account/password"))));
            }
            refused => status = refused.refuse(&mut errors, "current_password", "password-current-wrong"),
        }
    }
    let password_hint = new_password_hint(&state, &ctx, &account.id).await?;
    ctx.page(
        status,
        "password-change-title",
        &PasswordPage { ctx: &ctx, errors, password_hint, end_others, changed: false },
    )
}

/// `GET /{lang}/account/data.json`: everything lionrock keeps about the
/// signed-in person, as JSON. It holds their documents and dependants, so
/// it needs a recent sign-in.
pub(crate) async fn data(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
) -> Result<Response, AppError> {
    let mut response =
        Json(download_json(store::download(&state, &principal.account_id.to_string()).await?)).into_response();
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"lionrock-my-data.json\""),
    );
    Ok(response)
}

/// The data download as JSON.
fn download_json(d: Download) -> serde_json::Value {
    let time = |t: Option<OffsetDateTime>| t.and_then(|t| t.format(&SHOWN).ok());
    let sessions: Vec<_> = d
        .sessions
        .into_iter()
        .map(|s| json!({ "signed_in": time(Some(s.created_at)), "last_seen": time(Some(s.last_seen_at)), "device": s.user_agent, "ip": s.ip }))
        .collect();
    let connected: Vec<_> = d
        .connected
        .into_iter()
        .map(|(c, name)| {
            let list = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or_default();
            // Per field: the profile claims this service may receive.
            json!({ "service": name, "client_id": c.client_id, "scopes": list(&c.scopes), "fields": list(&c.fields), "since": time(Some(c.granted_at)) })
        })
        .collect();
    let fields = |rows: Vec<crate::profile::store::entity::Model>| -> Vec<serde_json::Value> {
        rows.into_iter()
            .map(|f| json!({ "field": f.field, "value": f.value, "source": f.source, "document_id": f.document_id, "updated_at": time(Some(f.updated_at)) }))
            .collect()
    };
    let documents = |rows: Vec<crate::real_name::Checked>| -> Vec<serde_json::Value> {
        rows.into_iter()
            .map(|d| json!({ "id": d.id, "kind": d.kind, "number": d.number, "source": d.source, "verified_at": time(Some(d.verified_at)) }))
            .collect()
    };
    let dependants: Vec<_> = d
        .dependants
        .into_iter()
        .map(|d| {
            json!({
                "person_id": d.link.person_id,
                "relation": d.link.relation,
                "since": time(Some(d.link.created_at)),
                "profile": fields(d.profile),
                "identity_documents": documents(d.documents),
            })
        })
        .collect();
    let activity: Vec<_> =
        d.activity.into_iter().map(|e| json!({ "at": time(Some(e.at)), "action": e.action })).collect();
    let passkeys: Vec<_> = d
        .passkeys
        .into_iter()
        .map(|p| json!({ "name": p.name, "added": time(Some(p.created_at)), "last_used": time(p.last_used_at) }))
        .collect();
    let account = d.account;
    json!({
        "account": {
            "id": account.id,
            "person_id": account.person_id,
            "email": account.email,
            "mobile_number": account.phone,
            "mobile_number_verified_at": time(account.phone_verified_at),
            "email_verified_at": time(account.email_verified_at),
            "identity_level": account.level,
            "status": account.status,
            "roles": serde_json::from_str::<serde_json::Value>(&account.roles).unwrap_or_default(),
            "scopes": serde_json::from_str::<serde_json::Value>(&account.scopes).unwrap_or_default(),
            "created_at": time(Some(account.created_at)),
            "last_sign_in_at": time(account.last_sign_in_at),
            "language": account.lang,
            "two_step_verification": d.two_step,
            "recovery_codes_left": d.recovery_codes_left,
        },
        "profile": fields(d.profile),
        "identity_documents": documents(d.documents),
        "dependants": dependants,
        "sessions": sessions,
        "passkeys": passkeys,
        "connected_services": connected,
        "activity": activity,
    })
}
