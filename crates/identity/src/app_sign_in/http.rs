//! App sign-in's pages: the waiting browser's (`/{lang}/sign-in/app`: the QR
//! code and the number to pick, then collecting the sign-in), its status
//! endpoint outside the language prefix (`/sign-in/app/status`, long-polled),
//! and the approving phone's (`/{lang}/sign-in/scan`, `/{lang}/sign-in/approve`).

use std::time::Duration;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router, middleware, routing::get};
use platform::app::AppState;
use platform::error::AppError;
use platform::events::Delivery;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::{MaybePrincipal, SignedIn};
use platform::web::{self, ClientInfo, RequestId};
use serde::Deserialize;

use super::{Decided, Decision, LIFETIME, MAX_WAIT_SECS, Outcome, Pick, Request, store};

/// The waiting browser's pages and the approving phone's.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    let return_to_service = || middleware::from_fn(crate::sign_in::allow_return_to_service);
    Router::new()
        .route("/sign-in/app", get(start).post(complete).route_layer(sensitive()).route_layer(return_to_service()))
        .route("/sign-in/approve", get(approve_page).post(decide).route_layer(sensitive()))
        .route("/sign-in/scan", get(scan))
}

/// The status endpoint, outside the language prefix.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/sign-in/app/status", get(status))
}

fn cookie_name(https: bool) -> &'static str {
    if https { "__Host-lr_app_sign_in" } else { "lr_app_sign_in" }
}

/// The request this browser is waiting on, if `id` is one and it is bound here.
async fn bound(state: &AppState, headers: &HeaderMap, https: bool, id: &str) -> Result<Option<Request>, AppError> {
    let Some(binding) = web::read_cookie(headers, cookie_name(https)) else { return Ok(None) };
    store::bound(state, binding, id).await
}

#[derive(Template)]
#[template(path = "app_sign_in.html")]
struct WaitPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    id: &'a str,
    link: &'a str,
    qr_data_uri: &'a str,
    expires: &'a str,
    /// The number to pick on the approving device.
    number: String,
    /// Where to go once signed in (a path on this site), or empty.
    next: &'a str,
    /// A new code, and the password form, keeping `next`.
    new_code_href: String,
    password_href: String,
}

impl<'a> WaitPage<'a> {
    fn new(ctx: &'a PageContext, row: &'a Request, expires: &'a str) -> Self {
        let next = row.next.as_deref().and_then(crate::pages::safe_next).unwrap_or("");
        let keep_next = |path: &str| match next {
            "" => ctx.href(path),
            next => format!("{}?next={}", ctx.href(path), crate::pages::urlencode(next)),
        };
        WaitPage {
            ctx,
            errors: FormErrors::new(),
            id: &row.id,
            link: "",
            qr_data_uri: "",
            expires,
            number: row.number.map(|n| n.to_string()).unwrap_or_default(),
            next,
            new_code_href: keep_next("/sign-in/app"),
            password_href: keep_next("/sign-in"),
        }
    }
}

/// A page that ends the story with one message.
fn ended(ctx: &PageContext, status: StatusCode, title_key: &str, message_key: &str) -> Result<Response, AppError> {
    ctx.page(status, title_key, &EndedPage { ctx, message_key })
}

#[derive(Template)]
#[template(path = "app_sign_in_scan.html")]
struct ScanPage<'a> {
    ctx: &'a PageContext,
}

/// `GET /{lang}/sign-in/scan`: the phone side, for a signed-in resident:
/// scan the code another device shows. The page script reads the QR code
/// with the camera where the browser can (BarcodeDetector), and goes to the
/// approval page only for this site's own approval links; elsewhere the
/// resident uses the phone's camera app.
pub(crate) async fn scan(SignedIn(_): SignedIn, ctx: PageContext) -> Result<Response, AppError> {
    ctx.page(StatusCode::OK, "app-sign-in-scan-title", &ScanPage { ctx: &ctx })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StartQuery {
    /// Where to go once signed in: a service's authorization request, say.
    next: String,
}

/// `GET /{lang}/sign-in/app?next=`: a new request, its QR code, the number
/// to pick, and the cookie that binds it here.
pub(crate) async fn start(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    Query(q): Query<StartQuery>,
) -> Result<Response, AppError> {
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let next = crate::pages::safe_next(&q.next);
    let started = store::start(&state, user_agent, &client.ip.to_string(), next).await?;
    let link = format!("{}{}?c={}", state.public_url(), ctx.href("/sign-in/approve"), started.code);
    let qr_data_uri = crate::pages::qr_data_uri(&link)?;
    let expires = ctx.local_clock(started.request.expires_at);
    let content =
        WaitPage { link: &link, qr_data_uri: &qr_data_uri, ..WaitPage::new(&ctx, &started.request, &expires) };
    let mut response = ctx.page(StatusCode::OK, "app-sign-in-title", &content)?;
    let max_age = u64::try_from(LIFETIME.whole_seconds()).unwrap_or(120);
    response.headers_mut().append(
        header::SET_COOKIE,
        web::cookie(cookie_name(client.https), &started.binding, client.https, Some(max_age)),
    );
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StatusQuery {
    id: String,
    /// Seconds to hold the request open while nothing is decided (at most 20).
    wait: Option<u64>,
}

/// `GET /sign-in/app/status?id=`: `{"status": "pending" | "approved" | "denied" | "expired"}`,
/// held open until something is decided or `wait` seconds pass. Only the
/// browser the request is bound to may ask.
async fn status(
    State(state): State<AppState>,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    Query(q): Query<StatusQuery>,
) -> Result<Response, AppError> {
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(q.wait.unwrap_or(MAX_WAIT_SECS).min(MAX_WAIT_SECS));
    // Subscribed before looking, so a decision in between is not missed.
    let mut decided = state.events.subscribe::<Decided>();
    loop {
        let Some(row) = bound(&state, &headers, client.https, &q.id).await? else {
            return Err(AppError::not_found());
        };
        let now = row.outcome(platform::db::now());
        if now != Outcome::Pending || tokio::time::Instant::now() >= deadline {
            let body = Json(serde_json::json!({ "status": now.as_str() }));
            return Ok(body.into_response());
        }
        // Wait for this request's decision (or a hint to look again), at
        // most until the hold ends or the request expires.
        let expires_in = Duration::try_from(row.expires_at - platform::db::now()).unwrap_or_default();
        let until = deadline.min(tokio::time::Instant::now() + expires_in);
        let ours = async {
            loop {
                match decided.next().await {
                    Delivery::Event(Decided { id }) if id == row.id => return,
                    Delivery::Event(_) => {}
                    Delivery::Resync => return,
                }
            }
        };
        let _ = tokio::time::timeout_at(until, ours).await;
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CompleteForm {
    id: String,
}

/// `POST /{lang}/sign-in/app`: the waiting browser collects its sign-in and
/// goes on to the request's `next`.
pub(crate) async fn complete(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    request_id: RequestId,
    headers: HeaderMap,
    PageForm(form): PageForm<CompleteForm>,
) -> Result<Response, AppError> {
    let ended = |key| ended(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "app-sign-in-title", key);
    let Some(row) = bound(&state, &headers, client.https, &form.id).await? else {
        return ended("app-sign-in-expired");
    };
    match row.outcome(platform::db::now()) {
        Outcome::Pending => {
            // Not yet: the same page again, still waiting.
            let expires = ctx.local_clock(row.expires_at);
            let mut content = WaitPage::new(&ctx, &row, &expires);
            content.errors.add("continue", "app-sign-in-pending");
            return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "app-sign-in-title", &content);
        }
        Outcome::Denied => return ended("app-sign-in-denied"),
        Outcome::Expired => return ended("app-sign-in-expired"),
        Outcome::Approved => {}
    }
    let Some(principal) = store::collect(&state, &row).await? else { return ended("app-sign-in-expired") };
    let next = row.next.as_deref().and_then(crate::pages::safe_next);
    let mut response =
        crate::sign_in::start_session(&state, &ctx, &client, &request_id, &headers, principal, next).await?;
    response
        .headers_mut()
        .append(header::SET_COOKIE, web::cookie(cookie_name(client.https), "", client.https, Some(0)));
    Ok(response)
}

#[derive(Template)]
#[template(path = "app_sign_in_ended.html")]
struct EndedPage<'a> {
    ctx: &'a PageContext,
    message_key: &'a str,
}

#[derive(Template)]
#[template(path = "app_sign_in_approve.html")]
struct ApprovePage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    code: &'a str,
    /// The service whose sign-in this is, when one asks.
    service: Option<String>,
    /// Browser and system ("Chrome on Windows"), never the raw user-agent text.
    device: String,
    ip: &'a str,
    /// Where the address is, if the operator's places file knows it.
    place: &'a str,
    asked_at: String,
    /// The numbers to pick from.
    choices: &'a [String],
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CodeQuery {
    c: String,
}

fn gone(ctx: &PageContext) -> Result<Response, AppError> {
    ended(ctx, StatusCode::GONE, "app-sign-in-approve-title", "app-sign-in-code-gone")
}

/// Sign in on this device (again), then come back to the same approval.
fn sign_in_then_approve(ctx: &PageContext, code: &str) -> Response {
    let back = format!("{}?c={}", ctx.href("/sign-in/approve"), crate::pages::urlencode(code));
    crate::pages::see_other(&crate::pages::sign_in_then(ctx, &back))
}

/// The approval page for `row`, with `errors` (a missing or wrong number).
async fn approval_form(
    state: &AppState,
    ctx: &PageContext,
    row: &Request,
    code: &str,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let content = ApprovePage {
        ctx,
        errors,
        code,
        service: store::asking_service(state, row.next.as_deref()).await?,
        device: row.user_agent.as_deref().and_then(|ua| crate::devices::known(ctx, ua)).unwrap_or_default(),
        ip: row.ip.as_deref().unwrap_or(""),
        place: row.ip.as_deref().and_then(|ip| crate::settings::of(state).places.name_of(ip, ctx.lang)).unwrap_or(""),
        asked_at: ctx.local_clock(row.created_at),
        choices: &row.choices,
    };
    ctx.page(status, "app-sign-in-approve-title", &content)
}

/// `GET /{lang}/sign-in/approve?c=`: on the signed-in device, what is asking,
/// and the numbers to pick from. Needs a recent sign-in on this device.
pub(crate) async fn approve_page(
    State(state): State<AppState>,
    ctx: PageContext,
    MaybePrincipal(principal): MaybePrincipal,
    Query(q): Query<CodeQuery>,
) -> Result<Response, AppError> {
    let Some(principal) = principal else { return Ok(sign_in_then_approve(&ctx, &q.c)) };
    let Some(row) = store::pending_by_code(&state, &q.c).await? else { return gone(&ctx) };
    if !crate::pages::recently_signed_in(&principal) {
        return Ok(sign_in_then_approve(&ctx, &q.c));
    }
    approval_form(&state, &ctx, &row, &q.c, FormErrors::new()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DecisionForm {
    c: String,
    decision: String,
    /// The number picked (when approving).
    number: String,
}

/// `POST /{lang}/sign-in/approve`: approve (by picking the number the
/// waiting browser shows) or refuse. The page's checks again: a pending
/// request, a recent sign-in.
pub(crate) async fn decide(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    ctx: PageContext,
    PageForm(form): PageForm<DecisionForm>,
) -> Result<Response, AppError> {
    let Some(decision) = Decision::parse(&form.decision) else {
        return Err(crate::errors::IdentityError::BadDecision.into());
    };
    let Some(row) = store::pending_by_code(&state, &form.c).await? else { return gone(&ctx) };
    if !crate::pages::recently_signed_in(&principal) {
        return Ok(sign_in_then_approve(&ctx, &form.c));
    }
    if decision == Decision::Deny {
        if !store::refuse(&state, &principal, &row.id).await? {
            return gone(&ctx);
        }
        return ended(&ctx, StatusCode::OK, "app-sign-in-approve-title", "app-sign-in-refused");
    }
    let picked = form.number.trim();
    if !super::is_two_digits(picked) {
        let mut errors = FormErrors::new();
        errors.add("number", "app-sign-in-number-missing");
        return approval_form(&state, &ctx, &row, &form.c, errors).await;
    }
    match store::pick(&state, &principal, &row.id, picked).await? {
        Pick::Approved => ended(&ctx, StatusCode::OK, "app-sign-in-approve-title", "app-sign-in-approved"),
        Pick::Wrong { tries_left } => {
            let mut errors = FormErrors::new();
            errors.add_with("number", "app-sign-in-number-wrong", vec![("tries", tries_left.to_string())]);
            approval_form(&state, &ctx, &row, &form.c, errors).await
        }
        Pick::Ended => {
            ended(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "app-sign-in-approve-title", "app-sign-in-number-ended")
        }
        Pick::Gone => gone(&ctx),
        Pick::Throttled { minutes } => {
            let mut errors = FormErrors::new();
            errors.add_with("number", "app-sign-in-number-throttled", vec![("minutes", minutes.to_string())]);
            let mut response = approval_form(&state, &ctx, &row, &form.c, errors).await?;
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            Ok(response)
        }
    }
}
