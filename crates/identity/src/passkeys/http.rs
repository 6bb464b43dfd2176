//! Passkeys' pages: the account's passkeys page (add, remove), signing in
//! with a passkey, and the ceremonies' `…/options` endpoints with the
//! cookie that names a ceremony in flight.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::AuthStrength;
use platform::web::{self, ClientInfo, RequestId};
use serde::Deserialize;
use webauthn_rs::prelude::Webauthn;

use super::{CEREMONY_LIFETIME, MAX_PER_ACCOUNT, NAME_MAX, Purpose, Started, cookie_name, store};
use crate::devices;
use crate::errors::IdentityError;
use crate::pages::{RecentSignIn, ReturnTo, safe_next, see_other};
use crate::sign_in::start_session;

/// Signing in with a passkey, and the account's passkeys page.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    let return_to_service = || middleware::from_fn(crate::sign_in::allow_return_to_service);
    Router::new()
        .route("/sign-in/passkey", post(sign_in).route_layer(sensitive()).route_layer(return_to_service()))
        .route("/sign-in/passkey/options", post(sign_in_options).route_layer(sensitive()))
        .route("/sign-in/two-step/passkey/options", post(second_step_options).route_layer(sensitive()))
        .route("/account/passkeys", get(page).post(add))
        .route(
            "/account/passkeys/options",
            post(register_options).route_layer(Extension(ReturnTo("/account/passkeys"))),
        )
        .route("/account/passkeys/remove", post(remove).route_layer(Extension(ReturnTo("/account/passkeys"))))
}

/// This server as a relying party, or the error that it offers no passkeys.
fn relying_party(state: &AppState) -> Result<Webauthn, AppError> {
    super::relying_party(&state.public_url()).ok_or_else(|| IdentityError::PasskeysUnavailable.into())
}

/// The token of the ceremony this browser has in flight, from its cookie.
fn ceremony_token(headers: &HeaderMap, https: bool) -> Option<&str> {
    web::read_cookie(headers, cookie_name(https))
}

/// The options of a ceremony just started, with the cookie that names it.
fn started(started: Started, https: bool) -> Response {
    let max_age = u64::try_from(CEREMONY_LIFETIME.whole_seconds()).unwrap_or(300);
    let mut response = Json(started.options).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, web::cookie(cookie_name(https), &started.token, https, Some(max_age)));
    // Never cached: the platform marks every response `no-store` unless it says otherwise.
    response
}

fn clear_cookie(response: &mut Response, https: bool) {
    response.headers_mut().append(header::SET_COOKIE, web::cookie(cookie_name(https), "", https, Some(0)));
}

// ---- the passkeys page --------------------------------------------------

struct PasskeyRow {
    id: String,
    name: String,
    added: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "passkeys.html")]
struct PasskeysPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    passkeys: Vec<PasskeyRow>,
    available: bool,
    full: bool,
    name: &'a str,
    added: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AddedQuery {
    added: Option<String>,
}

async fn passkeys_page(
    state: &AppState,
    ctx: &PageContext,
    account_id: &str,
    errors: FormErrors,
    name: &str,
    added: bool,
) -> Result<Response, AppError> {
    let rows = store::list(&state.db, account_id).await?;
    let full = rows.len() as u64 >= MAX_PER_ACCOUNT;
    let passkeys = rows
        .into_iter()
        .map(|p| PasskeyRow {
            id: p.id,
            name: p.name,
            added: ctx.local_time(p.created_at),
            last_used: p.last_used_at.map(|t| ctx.local_time(t)).unwrap_or_else(|| ctx.t("passkeys-never-used")),
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let available = super::available(&state.public_url());
    ctx.page(status, "passkeys-title", &PasskeysPage { ctx, errors, passkeys, available, full, name, added })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    Query(q): Query<AddedQuery>,
) -> Result<Response, AppError> {
    passkeys_page(&state, &ctx, &principal.account_id.to_string(), FormErrors::new(), "", q.added.is_some()).await
}

/// `POST /{lang}/account/passkeys/options`: starts adding a passkey.
pub(crate) async fn register_options(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    client: Extension<ClientInfo>,
) -> Result<Response, AppError> {
    let rp = relying_party(&state)?;
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    Ok(started(store::start_registration(&state, &rp, &account).await?, client.https))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AddForm {
    name: String,
    credential: String,
}

/// `POST /{lang}/account/passkeys`: finishes adding a passkey.
pub(crate) async fn add(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    PageForm(form): PageForm<AddForm>,
) -> Result<Response, AppError> {
    let account_id = principal.account_id.to_string();
    let mut errors = FormErrors::new();
    let name = form.name.trim();
    if name.chars().count() > NAME_MAX {
        errors.add_with("name", "passkey-name-too-long", vec![("max", NAME_MAX.to_string())]);
    }
    if form.credential.trim().is_empty() {
        errors.add("name", "passkey-no-answer");
    }
    let rp = relying_party(&state)?;
    let ceremony = store::take(&state, ceremony_token(&headers, client.https), Purpose::Register).await?;
    let ceremony = ceremony.filter(|c| c.account_id.as_deref() == Some(account_id.as_str()));
    if errors.is_empty() && ceremony.is_none() {
        errors.add("name", "passkey-ended");
    }
    let (Some(ceremony), true) = (ceremony, errors.is_empty()) else {
        let mut response = passkeys_page(&state, &ctx, &account_id, errors, name, false).await?;
        clear_cookie(&mut response, client.https);
        return Ok(response);
    };
    let passkey = match store::check_registration(&state, &rp, &ceremony, &account_id, &form.credential).await? {
        Ok(passkey) => passkey,
        Err(why) => {
            errors.add("name", why.message_key());
            let mut response = passkeys_page(&state, &ctx, &account_id, errors, name, false).await?;
            clear_cookie(&mut response, client.https);
            return Ok(response);
        }
    };
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    let name = if name.is_empty() {
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| devices::describe(&ctx, ua))
            .unwrap_or_else(|| ctx.t("passkeys-default-name"))
    } else {
        name.to_owned()
    };
    if let Err(why) = store::add(&state, ctx.lang, &account, &name, &passkey).await? {
        errors.add("name", why.message_key());
        return passkeys_page(&state, &ctx, &account_id, errors, &name, false).await;
    }
    let mut response = see_other(&format!("{}?added=1", ctx.href("/account/passkeys")));
    clear_cookie(&mut response, client.https);
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RemoveForm {
    id: String,
}

/// `POST /{lang}/account/passkeys/remove`.
pub(crate) async fn remove(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, AppError> {
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    if !store::remove(&state, ctx.lang, &account, &form.id).await? {
        return Err(AppError::not_found());
    }
    Ok(see_other(&ctx.href("/account/passkeys")))
}

// ---- signing in ---------------------------------------------------------

/// `POST /{lang}/sign-in/passkey/options`: starts a sign-in with whichever
/// passkey the resident picks (no name typed first).
pub(crate) async fn sign_in_options(
    State(state): State<AppState>,
    client: Extension<ClientInfo>,
) -> Result<Response, AppError> {
    let rp = relying_party(&state)?;
    Ok(started(store::start_sign_in(&state, &rp).await?, client.https))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AnswerForm {
    credential: String,
    next: String,
}

/// `POST /{lang}/sign-in/passkey`: finishes a passkey sign-in.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    request_id: RequestId,
    headers: HeaderMap,
    PageForm(form): PageForm<AnswerForm>,
) -> Result<Response, AppError> {
    let rp = relying_party(&state)?;
    let next = safe_next(&form.next);
    let mut errors = FormErrors::new();
    match store::take(&state, ceremony_token(&headers, client.https), Purpose::SignIn).await? {
        None => errors.add("passkey", "passkey-ended"),
        Some(_) if form.credential.trim().is_empty() => errors.add("passkey", "passkey-no-answer"),
        Some(ceremony) => match store::check_sign_in(&state, &rp, &ceremony, &form.credential).await? {
            Some(account) => {
                let principal = crate::store::principal(&account, AuthStrength::Passkey)?;
                let mut response = start_session(&state, &ctx, &client, &request_id, &headers, principal, next).await?;
                clear_cookie(&mut response, client.https);
                return Ok(response);
            }
            None => errors.add("passkey", "passkey-sign-in-failed"),
        },
    }
    let mut response = crate::sign_in::sign_in_form(&state, &ctx, errors, next.unwrap_or(""))?;
    clear_cookie(&mut response, client.https);
    Ok(response)
}

/// `POST /{lang}/sign-in/two-step/passkey/options`: the second step of a
/// password sign-in, with one of the account's passkeys.
pub(crate) async fn second_step_options(
    State(state): State<AppState>,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let rp = relying_party(&state)?;
    let challenge = crate::pages::second_step_token(&headers, client.https);
    Ok(started(store::start_second_step(&state, &rp, challenge).await?, client.https))
}
