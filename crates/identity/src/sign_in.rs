//! Signing in with a password, and how every way of signing in ends: the
//! session it opens (`start_session`), the sign-in form shown again
//! (`sign_in_form`), and the way back to a service after the form's POST
//! (`return_to_service`). The second step, passkeys and app sign-in end
//! here too.

use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::form::FormErrors;
use platform::page::PageContext;
use platform::principal::Principal;
use platform::session::{self, Device, SessionToken};
use platform::web::{self, ClientInfo, RequestId};
use serde::Deserialize;

use crate::accounts::{self, SignInOutcome};
use crate::pages::{CHALLENGE_COOKIE_SECS, capped_error, challenge_cookie, safe_next, see_other, urlencode};

/// The sign-in and sign-out routes.
pub(crate) fn pages() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    let return_to_service = || middleware::from_fn(allow_return_to_service);
    Router::new()
        .route("/sign-in", get(sign_in_page).post(sign_in).route_layer(sensitive()).route_layer(return_to_service()))
        .route("/sign-out", post(sign_out))
}

/// For the sign-in forms (password, second step, passkey, the app's waiting page): when the page
/// continues to a service's authorization request (`next`, in the query or
/// the posted form), the service's validated origin joins the response's
/// `form-action`, since the redirects after the form's POST end there.
pub(crate) async fn allow_return_to_service(
    Extension(state): Extension<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    // Sign-in forms are small: anything larger is refused, as the body limit would.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return AppError::new(platform::error::ErrorKind::PayloadTooLarge).into_response();
    };
    let field = |text: &[u8]| url::form_urlencoded::parse(text).find(|(k, _)| k == "next").map(|(_, v)| v.into_owned());
    // The form's own `next` when it posts one, else the page's query.
    let wanted = field(&bytes).or_else(|| field(parts.uri.query().unwrap_or("").as_bytes()));
    let response = next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await;
    // Only a page (with a form) needs it; redirects and refusals do not.
    let page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let origin = match wanted.as_deref().and_then(safe_next) {
        Some(n) if page => crate::oidc::return_origin(&state, n).await,
        _ => None,
    };
    web::FormActionAlso::allow_on(origin, response)
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    ctx: &'a PageContext,
    errors: FormErrors,
    email: &'a str,
    /// Where to go after signing in (a path on this site).
    next: &'a str,
    recovered: bool,
    /// Sent here to confirm it is still them before a security change.
    reauth: bool,
    /// Whether this server can offer passkey sign-in.
    passkeys: bool,
}

/// The sign-in page shown again with `errors` (a failed passkey sign-in, an ended second step).
pub(crate) fn sign_in_form(
    state: &AppState,
    ctx: &PageContext,
    errors: FormErrors,
    next: &str,
) -> Result<Response, AppError> {
    let passkeys = crate::passkeys::available(&state.public_url());
    let content = SignInPage { ctx, errors, email: "", next, recovered: false, reauth: false, passkeys };
    ctx.page(StatusCode::UNPROCESSABLE_ENTITY, "sign-in-title", &content)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignInForm {
    email: String,
    password: String,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NextQuery {
    pub(crate) next: String,
    recovered: Option<String>,
    reauth: Option<String>,
}

async fn sign_in_page(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(&q.next).unwrap_or("");
    let recovered = q.recovered.is_some();
    let passkeys = crate::passkeys::available(&state.public_url());
    ctx.page(
        StatusCode::OK,
        "sign-in-title",
        &SignInPage {
            ctx: &ctx,
            errors: FormErrors::new(),
            email: "",
            next,
            recovered,
            reauth: q.reauth.is_some(),
            passkeys,
        },
    )
}

async fn sign_in(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    request_id: RequestId,
    headers: HeaderMap,
    PageForm(form): PageForm<SignInForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    if form.email.trim().is_empty() {
        errors.add("email", "identifier-missing");
    }
    if form.password.is_empty() {
        errors.add("password", "password-missing");
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        match accounts::store::sign_in(&state, ctx.lang, &form.email, &form.password, &client.rate_key()).await? {
            SignInOutcome::SignedIn(principal) => {
                let next = safe_next(&form.next);
                return start_session(&state, &ctx, &client, &request_id, &headers, principal, next).await;
            }
            SignInOutcome::SecondFactor { challenge } => {
                let to = match safe_next(&form.next) {
                    Some(next) => format!("{}?next={}", ctx.href("/sign-in/two-step"), urlencode(next)),
                    None => ctx.href("/sign-in/two-step"),
                };
                let mut response = see_other(&to);
                response.headers_mut().append(
                    header::SET_COOKIE,
                    web::cookie(challenge_cookie(client.https), &challenge, client.https, Some(CHALLENGE_COOKIE_SECS)),
                );
                return Ok(response);
            }
            SignInOutcome::NeedsVerification { verification_id } => {
                return Ok(see_other(&ctx.href(&format!("/verify?v={verification_id}"))));
            }
            SignInOutcome::Failed => errors.add("email", "sign-in-failed"),
            SignInOutcome::Throttled { minutes } => {
                status = StatusCode::TOO_MANY_REQUESTS;
                errors.add_with("email", "sign-in-throttled", vec![("minutes", minutes.to_string())]);
            }
            SignInOutcome::Capped(cap) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                capped_error(&mut errors, "email", cap);
            }
        }
    }
    let next = safe_next(&form.next).unwrap_or("");
    let passkeys = crate::passkeys::available(&state.public_url());
    ctx.page(
        status,
        "sign-in-title",
        &SignInPage { ctx: &ctx, errors, email: form.email.trim(), next, recovered: false, reauth: false, passkeys },
    )
}

/// Opens a new session (a fresh token: never one the browser already had),
/// sets its cookie, and drops the pre-session cookie.
pub(crate) async fn start_session(
    state: &AppState,
    ctx: &PageContext,
    client: &ClientInfo,
    request_id: &RequestId,
    headers: &HeaderMap,
    principal: Principal,
    next: Option<&str>,
) -> Result<Response, AppError> {
    if let Some(old) = web::read_cookie(headers, web::session_cookie_name(client.https)).and_then(SessionToken::parse) {
        session::revoke(&state.db, &old).await?;
    }
    let device = Device {
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
        ip: Some(client.ip.to_string()),
    };
    crate::deletion::store::cancel(state, ctx.lang, &principal.account_id.to_string()).await?;
    let token = session::create(&state.db, &principal, state.session_lifetimes(), device).await?;
    accounts::store::signed_in(state, ctx.lang, &principal, Some(&request_id.0)).await?;
    let mut response = see_other(&next.map_or_else(|| ctx.href("/account"), str::to_owned));
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        web::cookie(web::session_cookie_name(client.https), token.expose(), client.https, None),
    );
    h.append(header::SET_COOKIE, web::cookie(web::anon_cookie_name(client.https), "", client.https, Some(0)));
    Ok(response)
}

async fn sign_out(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) =
        web::read_cookie(&headers, web::session_cookie_name(client.https)).and_then(SessionToken::parse)
    {
        session::revoke(&state.db, &token).await?;
    }
    let mut response = see_other(&ctx.href("/"));
    response
        .headers_mut()
        .append(header::SET_COOKIE, web::cookie(web::session_cookie_name(client.https), "", client.https, Some(0)));
    response.headers_mut().insert("clear-site-data", HeaderValue::from_static("\"cookies\""));
    Ok(response)
}
