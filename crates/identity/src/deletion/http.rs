//! The account deletion page: what deleting means, the password that
//! proves it, and the day it happens.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router, middleware};
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::SignedIn;
use platform::web::ClientInfo;
use serde::Deserialize;

use super::{Asked, GRACE, store};

/// The account deletion page.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    Router::new().route("/account/delete", get(page).post(submit).route_layer(sensitive()))
}

#[derive(Template)]
#[template(path = "delete.html")]
struct DeletePage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    days: i64,
}

#[derive(Template)]
#[template(path = "deleted.html")]
struct ScheduledPage<'a> {
    ctx: &'a PageContext,
    date: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DeleteForm {
    password: String,
}

pub(crate) async fn page(_who: SignedIn, ctx: PageContext) -> Result<Response, AppError> {
    ctx.page(
        StatusCode::OK,
        "delete-title",
        &DeletePage { ctx: &ctx, errors: FormErrors::new(), days: GRACE.whole_days() },
    )
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    PageForm(form): PageForm<DeleteForm>,
) -> Result<Response, AppError> {
    let account_id = principal.account_id.to_string();
    match store::ask(&state, ctx.lang, &account_id, &form.password, &client.rate_key()).await? {
        Asked::Refused(checked) => {
            let mut errors = FormErrors::new();
            let status = checked.refuse(&mut errors, "password", "delete-password-wrong");
            ctx.page(status, "delete-title", &DeletePage { ctx: &ctx, errors, days: GRACE.whole_days() })
        }
        Asked::Scheduled { on } => {
            let mut response =
                ctx.page(StatusCode::OK, "delete-title", &ScheduledPage { ctx: &ctx, date: on.to_string() })?;
            response.headers_mut().insert("clear-site-data", header::HeaderValue::from_static("\"cookies\""));
            Ok(response.into_response())
        }
    }
}
