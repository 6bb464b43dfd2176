//! The two-step pages: the second step of sign-in, and turning two-step
//! verification on and off. Thin handlers: parse the form, call into
//! `two_step::store`, render the page again with its errors or redirect.

use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::web::{self, ClientInfo, RequestId};
use serde::Deserialize;

use crate::accounts;
use crate::model::PASSWORD_POLICY;
use crate::notices;
use crate::pages::{
    RecentSignIn, ReturnTo, challenge_cookie, password_error, safe_next, second_step_token, see_other,
    signed_in_account,
};
use crate::sign_in::{NextQuery, sign_in_form, start_session};
use crate::store;
use crate::two_step::{self, ConfirmOutcome, Disabled, Enrolment, Proof, SecondStep};

/// The second step of sign-in and the two-step pages.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    let return_to_service = || middleware::from_fn(crate::sign_in::allow_return_to_service);
    Router::new()
        .route(
            "/sign-in/two-step",
            get(second_step_page).post(second_step).route_layer(sensitive()).route_layer(return_to_service()),
        )
        .route("/account/two-step", get(two_step_page).post(two_step_confirm).route_layer(sensitive()))
        .route(
            "/account/two-step/disable",
            post(two_step_disable).route_layer(sensitive()).route_layer(Extension(ReturnTo("/account/two-step"))),
        )
}

// ---- second step of sign-in ------------------------------------------------

#[derive(Template)]
#[template(path = "second_step.html")]
struct SecondStepPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    next: &'a str,
    /// The account has an authenticator app (codes and recovery codes work).
    code: bool,
    /// The account has passkeys, and this server offers them.
    passkeys: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CodeForm {
    code: String,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SecondStepForm {
    code: String,
    /// A passkey's answer (set by the page's script instead of a code).
    credential: String,
    next: String,
}

/// The second-step page for the sign-in `token` stands for, offering the
/// account's methods; `None` when that sign-in has ended.
async fn second_step_form(
    state: &AppState,
    ctx: &PageContext,
    token: &str,
    errors: FormErrors,
    next: &str,
) -> Result<Option<Response>, AppError> {
    let Some(methods) = two_step::store::methods(state, token).await? else { return Ok(None) };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let content = SecondStepPage { ctx, errors, next, code: methods.code, passkeys: methods.passkeys };
    ctx.page(status, "second-step-title", &content).map(Some)
}

async fn second_step_page(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(&q.next).unwrap_or("");
    let shown = match second_step_token(&headers, client.https) {
        Some(token) => second_step_form(&state, &ctx, token, FormErrors::new(), next).await?,
        None => None,
    };
    Ok(shown.unwrap_or_else(|| see_other(&ctx.href("/sign-in"))))
}

/// What the second-step form offers.
#[derive(Clone, Copy)]
enum Offered<'a> {
    /// A code from the authenticator app, or a recovery code.
    Code(&'a str),
    /// A passkey's answer (set by the page's script instead of a code).
    Passkey(&'a str),
}

/// Takes the second step the sign-in `token` stands for with what the form
/// offers. A passkey's answer is checked here, against the ceremony the
/// browser's cookie names, before `two_step::store::complete` counts and
/// records the step.
async fn take_second_step(
    state: &AppState,
    ctx: &PageContext,
    headers: &HeaderMap,
    https: bool,
    token: &str,
    offered: Offered<'_>,
) -> Result<SecondStep, AppError> {
    let Some(owed) = two_step::store::owed(state, token).await? else { return Ok(SecondStep::Ended) };
    let proof = match offered {
        Offered::Code(code) => Proof::Code(code),
        Offered::Passkey(answer) => Proof::Passkey(
            crate::passkeys::store::check_second_step(
                state,
                web::read_cookie(headers, crate::passkeys::cookie_name(https)),
                &owed.account.id,
                answer,
            )
            .await?,
        ),
    };
    two_step::store::complete(state, ctx.lang, owed, proof).await
}

fn clear_challenge(response: &mut Response, https: bool) {
    response.headers_mut().append(header::SET_COOKIE, web::cookie(challenge_cookie(https), "", https, Some(0)));
}

async fn second_step(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    request_id: RequestId,
    headers: HeaderMap,
    PageForm(form): PageForm<SecondStepForm>,
) -> Result<Response, AppError> {
    let Some(token) = second_step_token(&headers, client.https).map(str::to_owned) else {
        return Ok(see_other(&ctx.href("/sign-in")));
    };
    let next = safe_next(&form.next);
    let mut errors = FormErrors::new();
    let offered = if !form.credential.trim().is_empty() {
        Some(Offered::Passkey(&form.credential))
    } else if !form.code.trim().is_empty() {
        Some(Offered::Code(&form.code))
    } else {
        errors.add("code", "second-step-missing");
        None
    };
    let passkey = matches!(offered, Some(Offered::Passkey(_)));
    let mut throttled = false;
    let outcome = match offered {
        Some(offered) => Some(take_second_step(&state, &ctx, &headers, client.https, &token, offered).await?),
        None => None,
    };
    match outcome {
        Some(SecondStep::SignedIn(principal)) => {
            let mut response = start_session(&state, &ctx, &client, &request_id, &headers, principal, next).await?;
            clear_challenge(&mut response, client.https);
            return Ok(response);
        }
        Some(SecondStep::Wrong { tries_left }) => errors.add_with(
            "code",
            if passkey { "second-step-passkey-wrong" } else { "second-step-wrong" },
            vec![("tries", tries_left.to_string())],
        ),
        Some(SecondStep::Throttled { minutes }) => {
            errors.add_with("code", "second-step-throttled", vec![("minutes", minutes.to_string())]);
            throttled = true;
        }
        Some(SecondStep::Ended) => {
            let mut errors = FormErrors::new();
            errors.add("email", "second-step-ended");
            let mut response = sign_in_form(&state, &ctx, errors, next.unwrap_or(""))?;
            clear_challenge(&mut response, client.https);
            return Ok(response);
        }
        None => {}
    }
    match second_step_form(&state, &ctx, &token, errors, next.unwrap_or("")).await? {
        Some(mut response) => {
            if throttled {
                *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            }
            Ok(response)
        }
        None => Ok(see_other(&ctx.href("/sign-in"))),
    }
}

#[derive(Template)]
#[template(path = "two_step.html")]
struct TwoStepPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    enrolment: Option<Enrolment>,
    secret_groups: String,
    /// The enrolment's `otpauth://` URL as a QR code (an SVG `data:` URI).
    qr_data_uri: String,
    /// When turning it off needs a new password.
    off_password_hint: String,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage<'a> {
    ctx: &'a PageContext,
    codes: Vec<String>,
}

async fn two_step_form(
    state: &AppState,
    ctx: &PageContext,
    account: &store::account::Model,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let enrolment = two_step::store::begin(state, account).await?;
    let secret_groups = enrolment.as_ref().map(|e| group4(&e.secret_base32)).unwrap_or_default();
    let qr_data_uri = enrolment.as_ref().map(|e| crate::pages::qr_data_uri(&e.url)).transpose()?.unwrap_or_default();
    let min = PASSWORD_POLICY.min_single_factor.to_string();
    let off_password_hint = ctx.t_with("two-step-off-password-hint", &[("min", &min)]);
    ctx.page(
        status,
        "two-step-title",
        &TwoStepPage { ctx, errors, enrolment, secret_groups, qr_data_uri, off_password_hint },
    )
}

/// `ABCDEFGH…` as `ABCD EFGH …`, easier to type.
fn group4(s: &str) -> String {
    s.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

async fn two_step_page(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &principal).await?;
    two_step_form(&state, &ctx, &account, FormErrors::new(), StatusCode::OK).await
}

async fn two_step_confirm(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &principal).await?;
    let mut errors = FormErrors::new();
    if form.code.trim().is_empty() {
        errors.add("code", "second-step-missing");
    } else {
        match two_step::store::confirm(&state, ctx.lang, &account, &form.code).await? {
            ConfirmOutcome::Enabled(codes) => {
                let codes = codes.iter().map(|c| c.display()).collect();
                return ctx.page(StatusCode::OK, "recovery-title", &RecoveryCodesPage { ctx: &ctx, codes });
            }
            ConfirmOutcome::Wrong => errors.add("code", "two-step-wrong"),
            ConfirmOutcome::NotStarted => return Ok(see_other(&ctx.href("/account/two-step"))),
        }
    }
    two_step_form(&state, &ctx, &account, errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TwoStepOffForm {
    code: String,
    current_password: String,
    /// A new password, needed when the current one is too short to be the only factor.
    password: String,
}

/// Turning two-step verification off leaves the password alone on guard:
/// it must meet the single-factor rule, or be replaced in the same step.
async fn two_step_disable(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    PageForm(form): PageForm<TwoStepOffForm>,
) -> Result<Response, AppError> {
    let account = signed_in_account(&state, &principal).await?;
    let mut errors = FormErrors::new();
    if form.code.trim().is_empty() {
        errors.add("code", "second-step-missing");
    }
    if form.current_password.is_empty() {
        errors.add("current_password", "password-current-missing");
    }
    let id = notices::contact(&account)?;
    // The current password as the only factor, or else the new one it needs.
    let current_suffices = accounts::store::new_password(&state, &form.current_password, Some(&id), false).is_ok();
    let replacement = if current_suffices && form.password.is_empty() {
        None
    } else if form.password.is_empty() {
        let min = PASSWORD_POLICY.min_single_factor.to_string();
        errors.add_with("password", "two-step-off-new-password", vec![("min", min)]);
        None
    } else {
        accounts::store::new_password(&state, &form.password, Some(&id), false)
            .map_err(|p| password_error(&mut errors, p))
            .ok()
    };
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        match accounts::store::check_password(&state, &account, &form.current_password, &client.rate_key()).await? {
            accounts::PasswordCheck::Right => {
                let phc = match replacement {
                    Some(new) => Some(crate::password::hash_blocking(new).await.map_err(AppError::internal)?),
                    None => None,
                };
                match two_step::store::disable(&state, ctx.lang, &account, &form.code, phc.as_deref()).await? {
                    Disabled::Off => return Ok(see_other(&ctx.href("/account"))),
                    Disabled::Wrong => errors.add("code", "two-step-wrong"),
                    Disabled::Throttled { minutes } => {
                        status = StatusCode::TOO_MANY_REQUESTS;
                        errors.add_with("code", "second-step-throttled", vec![("minutes", minutes.to_string())]);
                    }
                }
            }
            refused => status = refused.refuse(&mut errors, "current_password", "password-current-wrong"),
        }
    }
    two_step_form(&state, &ctx, &account, errors, status).await
}
