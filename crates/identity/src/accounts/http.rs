//! The account pages: register, verify an address or number (and send its
//! code again), recover an account, and the account page. Thin handlers:
//! parse the form, one call into `accounts::store`, render the page again
//! with its errors or redirect.

use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::SignedIn;
use platform::web::{ClientInfo, RequestId};
use serde::Deserialize;

use crate::accounts::{self, PasswordCheck, RecoverOutcome, ResendOutcome, Started, VerifyOutcome};
use crate::pages::{
    capped_error, code_field, identifier_field, password_error, password_hint, see_other, signed_in_account,
};
use crate::sign_in::start_session;
use crate::store;

/// Registration, verification, recovery and the account page.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    Router::new()
        .route("/register", get(register_page).post(register).route_layer(sensitive()))
        .route("/verify", get(verify_page).post(verify).route_layer(sensitive()))
        .route("/verify/resend", post(resend).route_layer(sensitive()))
        .route("/recover", get(recover_page).post(recover).route_layer(sensitive()))
        .route("/recover/reset", get(reset_page).post(reset).route_layer(sensitive()))
        .route("/account", get(account_page))
}

// ---- a refused current password ---------------------------------------------

impl PasswordCheck {
    /// For a check that was not right: its error under `field` (`wrong_key`
    /// for a wrong password, the wait for a throttled one), and the status
    /// to answer with.
    pub(crate) fn refuse(self, errors: &mut FormErrors, field: &'static str, wrong_key: &'static str) -> StatusCode {
        match self {
            PasswordCheck::Throttled { minutes } => {
                errors.add_with(field, "password-current-throttled", vec![("minutes", minutes.to_string())]);
                StatusCode::TOO_MANY_REQUESTS
            }
            PasswordCheck::Right | PasswordCheck::Wrong => {
                errors.add(field, wrong_key);
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
    }
}

// ---- register -----------------------------------------------------------

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    email: &'a str,
    password_hint: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RegisterForm {
    email: String,
    password: String,
}

async fn register_page(ctx: PageContext) -> Result<Response, AppError> {
    let content = RegisterPage { ctx: &ctx, errors: FormErrors::new(), email: "", password_hint: password_hint(&ctx) };
    ctx.page(StatusCode::OK, "register-title", &content)
}

/// The form error for codes that wait after too many wrong ones.
fn throttled_code_error(errors: &mut FormErrors, minutes: i64) {
    errors.add_with("code", "code-throttled", vec![("minutes", minutes.to_string())]);
}

async fn register(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    PageForm(form): PageForm<RegisterForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let id = identifier_field(&state, &mut errors, "email", &form.email);
    let password = accounts::store::new_password(&state, &form.password, id.as_ref(), false)
        .map_err(|p| password_error(&mut errors, p));
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Some(id), Ok(password), true) = (id, password, errors.is_empty()) {
        match accounts::store::register(&state, ctx.lang, &id, password, &client.rate_key()).await? {
            Started::Verification(v) => return Ok(see_other(&ctx.href(&format!("/verify?v={v}")))),
            Started::Capped(cap) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                capped_error(&mut errors, "email", cap);
            }
        }
    }
    let content = RegisterPage { ctx: &ctx, errors, email: form.email.trim(), password_hint: password_hint(&ctx) };
    ctx.page(status, "register-title", &content)
}

// ---- verify -------------------------------------------------------------

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    verification_id: &'a str,
    sent_again: bool,
    /// The code went by text message (else by e-mail).
    by_sms: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VerifyQuery {
    v: String,
    sent: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VerifyForm {
    v: String,
    code: String,
}

fn valid_id(v: &str) -> bool {
    uuid::Uuid::parse_str(v).is_ok()
}

async fn verify_page(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, AppError> {
    if !valid_id(&q.v) {
        return Err(AppError::not_found());
    }
    let by_sms = accounts::store::sent_by_sms(&state, &q.v).await?;
    let content = VerifyPage {
        ctx: &ctx,
        errors: FormErrors::new(),
        verification_id: &q.v,
        sent_again: q.sent.is_some(),
        by_sms,
    };
    ctx.page(StatusCode::OK, "verify-title", &content)
}

async fn verify(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    request_id: RequestId,
    headers: HeaderMap,
    PageForm(form): PageForm<VerifyForm>,
) -> Result<Response, AppError> {
    if !valid_id(&form.v) {
        return Err(AppError::not_found());
    }
    let mut errors = FormErrors::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    match code_field(&mut errors, &form.code) {
        None => {}
        Some(code) => match accounts::store::verify(&state, &form.v, &code).await? {
            VerifyOutcome::Verified(account) => {
                let principal = store::principal(&account, platform::principal::AuthStrength::Password)?;
                return start_session(&state, &ctx, &client, &request_id, &headers, principal, None).await;
            }
            VerifyOutcome::Wrong { tries_left } if tries_left > 0 => {
                errors.add_with("code", "code-wrong", vec![("tries", tries_left.to_string())])
            }
            VerifyOutcome::Wrong { .. } | VerifyOutcome::NoTriesLeft => errors.add("code", "code-no-tries"),
            VerifyOutcome::Throttled { minutes } => {
                status = StatusCode::TOO_MANY_REQUESTS;
                throttled_code_error(&mut errors, minutes);
            }
            VerifyOutcome::Expired => errors.add("code", "code-expired"),
            VerifyOutcome::Unknown => return Err(AppError::not_found()),
        },
    }
    let by_sms = accounts::store::sent_by_sms(&state, &form.v).await?;
    let content = VerifyPage { ctx: &ctx, errors, verification_id: &form.v, sent_again: false, by_sms };
    ctx.page(status, "verify-title", &content)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResendForm {
    v: String,
}

async fn resend(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    PageForm(form): PageForm<ResendForm>,
) -> Result<Response, AppError> {
    if !valid_id(&form.v) {
        return Err(AppError::not_found());
    }
    let mut errors = FormErrors::new();
    match accounts::store::resend(&state, ctx.lang, &form.v, &client.rate_key()).await? {
        ResendOutcome::Sent => return Ok(see_other(&ctx.href(&format!("/verify?v={}&sent=1", form.v)))),
        ResendOutcome::TooSoon => errors.add("code", "code-resend-too-soon"),
        ResendOutcome::Capped(cap) => capped_error(&mut errors, "code", cap),
        ResendOutcome::Unknown => return Err(AppError::not_found()),
    }
    let by_sms = accounts::store::sent_by_sms(&state, &form.v).await?;
    let content = VerifyPage { ctx: &ctx, errors, verification_id: &form.v, sent_again: false, by_sms };
    ctx.page(StatusCode::TOO_MANY_REQUESTS, "verify-title", &content)
}

// ---- account recovery ---------------------------------------------------------

#[derive(Template)]
#[template(path = "recover.html")]
struct RecoverPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    email: &'a str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EmailForm {
    email: String,
}

async fn recover_page(ctx: PageContext) -> Result<Response, AppError> {
    ctx.page(StatusCode::OK, "recover-title", &RecoverPage { ctx: &ctx, errors: FormErrors::new(), email: "" })
}

async fn recover(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    PageForm(form): PageForm<EmailForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(id) = identifier_field(&state, &mut errors, "email", &form.email) {
        match accounts::store::recover_start(&state, ctx.lang, &id, &client.rate_key()).await? {
            Started::Verification(v) => return Ok(see_other(&ctx.href(&format!("/recover/reset?v={v}")))),
            Started::Capped(cap) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                capped_error(&mut errors, "email", cap);
            }
        }
    }
    ctx.page(status, "recover-title", &RecoverPage { ctx: &ctx, errors, email: form.email.trim() })
}

#[derive(Template)]
#[template(path = "recover_reset.html")]
struct ResetPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    verification_id: &'a str,
    password_hint: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResetForm {
    v: String,
    code: String,
    password: String,
}

async fn reset_page(ctx: PageContext, Query(q): Query<VerifyQuery>) -> Result<Response, AppError> {
    if !valid_id(&q.v) {
        return Err(AppError::not_found());
    }
    let content =
        ResetPage { ctx: &ctx, errors: FormErrors::new(), verification_id: &q.v, password_hint: password_hint(&ctx) };
    ctx.page(StatusCode::OK, "recover-reset-title", &content)
}

async fn reset(
    State(state): State<AppState>,
    ctx: PageContext,
    PageForm(form): PageForm<ResetForm>,
) -> Result<Response, AppError> {
    if !valid_id(&form.v) {
        return Err(AppError::not_found());
    }
    let mut errors = FormErrors::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let code = code_field(&mut errors, &form.code);
    // Always the single-factor rule: a shorter minimum for an account with
    // two-step verification would tell whoever holds the link that it is on.
    let password =
        accounts::store::new_password(&state, &form.password, None, false).map_err(|p| password_error(&mut errors, p));
    if let (Some(code), Ok(password), true) = (code, password, errors.is_empty()) {
        match accounts::store::recover_finish(&state, ctx.lang, &form.v, &code, password).await? {
            RecoverOutcome::Done => return Ok(see_other(&format!("{}?recovered=1", ctx.href("/sign-in")))),
            RecoverOutcome::Code(VerifyOutcome::Wrong { tries_left }) if tries_left > 0 => {
                errors.add_with("code", "code-wrong", vec![("tries", tries_left.to_string())])
            }
            RecoverOutcome::Code(VerifyOutcome::Throttled { minutes }) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                throttled_code_error(&mut errors, minutes);
            }
            RecoverOutcome::Code(VerifyOutcome::Expired) => errors.add("code", "code-expired"),
            RecoverOutcome::Code(VerifyOutcome::Unknown) => return Err(AppError::not_found()),
            RecoverOutcome::Code(_) => errors.add("code", "code-no-tries"),
        }
    }
    let content = ResetPage { ctx: &ctx, errors, verification_id: &form.v, password_hint: password_hint(&ctx) };
    ctx.page(status, "recover-reset-title", &content)
}

// ---- account --------------------------------------------------------------

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    ctx: &'a PageContext,
    email: &'a str,
    level_key: &'a str,
    two_step: bool,
    officer: bool,
}

async fn account_page(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &principal).await?;
    let level_key = match account.level {
        store::account::Level::RealName => "level-real-name",
        store::account::Level::Basic => "level-basic",
    };
    let two_step = crate::two_step::store::is_enabled(&state, &account.id).await?;
    let officer = principal.has_scope(crate::real_name::VERIFIER_SCOPE);
    ctx.page(
        StatusCode::OK,
        "account-title",
        &AccountPage { ctx: &ctx, email: account.name(), level_key, two_step, officer },
    )
}
