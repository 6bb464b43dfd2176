//! The sign-in details pages: the form for a new e-mail address or mobile
//! number, and the form for the code sent to it.

use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Response;
use axum::routing::get;
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::SignedIn;
use platform::web::ClientInfo;
use serde::Deserialize;
use uuid::Uuid;

use super::{Change, Finished, PAGE, store};
use crate::accounts::{self, Started};
use crate::pages::ReturnTo;
use crate::pages::{RecentSignIn, see_other};
use crate::store::account;

/// Changing the e-mail address or mobile number.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    Router::new().route("/account/sign-in-details", get(page).post(submit).route_layer(sensitive())).route(
        "/account/sign-in-details/verify",
        get(verify_page).post(verify).route_layer(sensitive()).route_layer(Extension(ReturnTo(PAGE))),
    )
}

#[derive(Template)]
#[template(path = "sign_in_details.html")]
struct DetailsPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    email: &'a str,
    email_verified: bool,
    phone: &'a str,
    phone_verified: bool,
    value: &'a str,
    changed: bool,
}

#[derive(Template)]
#[template(path = "sign_in_details_verify.html")]
struct VerifyPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    verification_id: &'a str,
    by_sms: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DetailsQuery {
    changed: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ValueForm {
    value: String,
}

async fn details_page(
    ctx: &PageContext,
    account: &account::Model,
    errors: FormErrors,
    value: &str,
    changed: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let content = DetailsPage {
        ctx,
        errors,
        email: account.email.as_deref().unwrap_or(""),
        email_verified: account.email_verified_at.is_some(),
        phone: account.phone.as_deref().unwrap_or(""),
        phone_verified: account.phone_verified_at.is_some(),
        value,
        changed,
    };
    ctx.page(status, "contact-title", &content)
}

/// `GET /{lang}/account/sign-in-details`.
pub(crate) async fn page(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    Query(q): Query<DetailsQuery>,
) -> Result<Response, AppError> {
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    details_page(&ctx, &account, FormErrors::new(), "", q.changed.is_some(), StatusCode::OK).await
}

/// `POST /{lang}/account/sign-in-details`: a new address or number.
pub(crate) async fn submit(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    PageForm(form): PageForm<ValueForm>,
) -> Result<Response, AppError> {
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    let mut errors = FormErrors::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(new) = crate::pages::identifier_field(&state, &mut errors, "value", &form.value) {
        match store::start(&state, ctx.lang, &account, &new, &client.rate_key()).await? {
            Some(Started::Verification(v)) => {
                return Ok(see_other(&ctx.href(&format!("{PAGE}/verify?v={v}"))));
            }
            Some(Started::Capped(cap)) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                crate::pages::capped_error(&mut errors, "value", cap);
            }
            None => errors.add("value", "contact-same"),
        }
    }
    details_page(&ctx, &account, errors, form.value.trim(), false, status).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct VerifyQuery {
    v: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct VerifyForm {
    v: String,
    code: String,
}

async fn verify_form(
    state: &AppState,
    ctx: &PageContext,
    v: &str,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let by_sms = store::pending(state, v).await? == Some(Change::Phone);
    ctx.page(status, "contact-verify-title", &VerifyPage { ctx, errors, verification_id: v, by_sms })
}

/// `GET /{lang}/account/sign-in-details/verify?v=`.
pub(crate) async fn verify_page(
    State(state): State<AppState>,
    SignedIn(_): SignedIn,
    ctx: PageContext,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, AppError> {
    if Uuid::parse_str(&q.v).is_err() {
        return Err(AppError::not_found());
    }
    verify_form(&state, &ctx, &q.v, FormErrors::new(), StatusCode::OK).await
}

/// `POST /{lang}/account/sign-in-details/verify`.
pub(crate) async fn verify(
    State(state): State<AppState>,
    RecentSignIn(principal): RecentSignIn,
    ctx: PageContext,
    PageForm(form): PageForm<VerifyForm>,
) -> Result<Response, AppError> {
    if Uuid::parse_str(&form.v).is_err() {
        return Err(AppError::not_found());
    }
    let account = crate::pages::signed_in_account(&state, &principal).await?;
    let mut errors = FormErrors::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(code) = crate::pages::code_field(&mut errors, &form.code) {
        use accounts::VerifyOutcome as V;
        match store::finish(&state, ctx.lang, &account, &form.v, &code).await? {
            Finished::Changed => return Ok(see_other(&format!("{}?changed=1", ctx.href(PAGE)))),
            Finished::Taken => errors.add("code", "contact-taken-meanwhile"),
            Finished::Code(V::Wrong { tries_left }) if tries_left > 0 => {
                errors.add_with("code", "code-wrong", vec![("tries", tries_left.to_string())])
            }
            Finished::Code(V::Throttled { minutes }) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                errors.add_with("code", "code-throttled", vec![("minutes", minutes.to_string())])
            }
            Finished::Code(V::Expired) => errors.add("code", "code-expired"),
            Finished::Code(V::Unknown) => return Err(AppError::not_found()),
            Finished::Code(_) => errors.add("code", "code-no-tries"),
        }
    }
    verify_form(&state, &ctx, &form.v, errors, status).await
}
