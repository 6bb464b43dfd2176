//! OpenID Connect endpoints. The authorization endpoint and consent are
//! pages (CSRF-protected); the token, userinfo, revocation and
//! introspection endpoints authenticate clients or bearer tokens and are
//! exempt from CSRF; their errors follow RFC 6749 / RFC 6750.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router, middleware};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::error::AppError;
use platform::extract::PageForm;
use platform::keys::{self, Purpose};
use platform::page::PageContext;
use platform::principal::{MaybePrincipal, Principal};
use platform::session::{self, SessionToken};
use platform::web::{self, ClientInfo};
use serde::Deserialize;

use crate::pages::see_other;
use serde_json::json;

use super::{AuthError, AuthParams, AuthRequest, ClientAuth, Next, OAuthError};

/// Routes at the root (not under a language prefix).
pub(crate) fn routes() -> Router<AppState> {
    let sensitive = || middleware::from_fn(platform::ratelimit::sensitive);
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth/jwks", get(jwks))
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/authorize/consent", post(consent))
        .route("/oauth/authorize/choose", post(choose))
        .route("/oauth/token", post(token).route_layer(sensitive()))
        .route("/oauth/par", post(par).route_layer(sensitive()))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/introspect", post(introspect))
        .route("/oauth/logout", get(logout).post(logout_posted))
        .route(LOGOUT_CONFIRM_PATH, post(logout_confirmed))
}

async fn discovery(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(super::discovery(&state))
}

async fn jwks(State(state): State<AppState>) -> Result<Response, AppError> {
    // Make sure there is a key to publish before anyone needs it.
    keys::active(&state.db, &state.keys, Purpose::Oidc).await?;
    let keys = keys::published(&state.db, Purpose::Oidc).await?;
    let mut response = Json(json!({ "keys": keys })).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}

#[derive(Template)]
#[template(path = "real_name_needed.html")]
struct StepUpPage<'a> {
    ctx: &'a PageContext,
    client_name: &'a str,
    /// Essential: the way back carries the error; else the person may go on without.
    essential: bool,
    back: &'a str,
    /// The pending request, to come back to once verified.
    continue_href: &'a str,
    pending: &'a str,
}

#[derive(Template)]
#[template(path = "oidc_error.html")]
struct ErrorPage<'a> {
    ctx: &'a PageContext,
    message_key: &'a str,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    ctx: &'a PageContext,
    client_name: &'a str,
    scopes: Vec<String>,
    /// Profile fields the request could release: (slug, label key).
    fields: Vec<(&'static str, String)>,
    /// The pending request the decision answers: the form carries nothing else of it.
    pending: &'a str,
}

fn auth_error(state: &AppState, ctx: &PageContext, e: AuthError) -> Result<Response, AppError> {
    match e {
        AuthError::Page { message_key } => {
            ctx.page(StatusCode::BAD_REQUEST, "oidc-error-title", &ErrorPage { ctx, message_key })
        }
        AuthError::Redirect { redirect_uri, error, description, state: client_state } => {
            Ok(see_other(&super::error_redirect(state, &redirect_uri, error, &description, client_state.as_deref())))
        }
    }
}

/// What the person allows, a line per scope asked for: identity's and other
/// modules' (`state.oauth_scopes`).
fn scope_keys(state: &AppState, req: &AuthRequest) -> Vec<String> {
    // Profile scopes are listed field by field, with a choice for each.
    let by_field = |s: &str| crate::profile::FIELDS.iter().any(|f| f.scope == s);
    req.scopes
        .iter()
        .filter(|s| !by_field(s))
        .filter_map(|s| state.oauth_scopes.iter().find(|o| o.name == s))
        .map(|o| o.consent_key.to_owned())
        .collect()
}

fn field_choices(req: &AuthRequest) -> Vec<(&'static str, String)> {
    crate::profile::fields_for(&req.scopes).into_iter().map(|f| (f.slug, format!("consent-field-{}", f.slug))).collect()
}

/// The row ID of the browser's session, if it sent one.
fn current_session(headers: &HeaderMap, client: &ClientInfo) -> Option<String> {
    web::read_cookie(headers, web::session_cookie_name(client.https))
        .and_then(SessionToken::parse)
        .map(|t| session::id_of(&t))
}

/// An authorization request being answered: validated, with its pending
/// request's ID once it has one.
struct Answering<'a> {
    req: AuthRequest,
    pending: Option<String>,
    now: i64,
    session: Option<&'a str>,
}

impl Answering<'_> {
    /// The pending request's ID, keeping the request on the server first
    /// if it has just arrived.
    async fn pending(&mut self, state: &AppState) -> Result<String, AppError> {
        if let Some(token) = &self.pending {
            return Ok(token.clone());
        }
        let token = super::hold(state, &self.req, self.now, self.session).await?;
        self.pending = Some(token.clone());
        Ok(token)
    }
}

/// The page or redirect for the next step of a request.
async fn answer(
    state: &AppState,
    ctx: &PageContext,
    mut a: Answering<'_>,
    principal: Option<&Principal>,
    step: Next,
) -> Result<Response, AppError> {
    let return_origin = web::FormActionAlso::of(&a.req.params.redirect_uri);
    match (step, principal) {
        (Next::Fail(error), _) => Ok(see_other(&super::error_redirect(
            state,
            &a.req.params.redirect_uri,
            error,
            "the person must interact with the provider",
            a.req.params.state.as_deref(),
        ))),
        (Next::SignIn, _) | (_, None) => {
            // Back to the pending request after signing in.
            let next = super::pending_url(&a.pending(state).await?);
            Ok(see_other(&crate::pages::sign_in_then(ctx, &next)))
        }
        (Next::SelectAccount, Some(principal)) => {
            let account = crate::store::account_by_id(&state.db, &principal.account_id.to_string())
                .await?
                .ok_or_else(AppError::not_found)?;
            let pending = a.pending(state).await?;
            let switch = crate::pages::sign_in_then(ctx, &super::pending_url(&pending));
            let content = SelectAccountPage {
                ctx,
                client_name: &a.req.client.name,
                email: account.name(),
                pending: &pending,
                switch_href: &switch,
            };
            // Its form's POST may end at the service (a validated redirect URI).
            Ok(web::FormActionAlso::allow_on(
                return_origin,
                ctx.page(StatusCode::OK, "select-account-title", &content)?,
            ))
        }
        (Next::Consent, Some(_)) => {
            let pending = a.pending(state).await?;
            let content = ConsentPage {
                ctx,
                client_name: &a.req.client.name,
                scopes: scope_keys(state, &a.req),
                fields: field_choices(&a.req),
                pending: &pending,
            };
            // Its form's POST may end at the service (a validated redirect URI).
            Ok(web::FormActionAlso::allow_on(return_origin, ctx.page(StatusCode::OK, "consent-title", &content)?))
        }
        (Next::Issue, Some(principal)) => {
            Ok(see_other(&super::issue_code(state, &a.req, principal, None, a.pending.as_deref()).await?))
        }
        (Next::StepUp { essential }, Some(_)) => {
            // Explain; offer the way back to this request once verified, and
            // either going on without (voluntary) or the error the client
            // expects (essential).
            let pending = a.pending(state).await?;
            let back = super::error_redirect(
                state,
                &a.req.params.redirect_uri,
                "unmet_authentication_requirements",
                "the service needs a real-name identity",
                a.req.params.state.as_deref(),
            );
            let content = StepUpPage {
                ctx,
                client_name: &a.req.client.name,
                essential,
                back: &back,
                continue_href: &super::pending_url(&pending),
                pending: &pending,
            };
            let (status, title) = if essential {
                (StatusCode::FORBIDDEN, "real-name-needed-title")
            } else {
                (StatusCode::OK, "real-name-wanted-title")
            };
            // Its form's POST may end at the service (a validated redirect URI).
            Ok(web::FormActionAlso::allow_on(return_origin, ctx.page(status, title, &content)?))
        }
    }
}

/// A pending request again, validated as when it arrived (the client still
/// exists, still has the redirect URI, still may use the scopes).
async fn resume(
    state: &AppState,
    token: &str,
) -> Result<Result<(AuthRequest, super::store::pending::Model), AuthError>, AppError> {
    let Some(row) = super::held_request(state, token).await? else {
        return Ok(Err(AuthError::Page { message_key: "oidc-error-request-uri" }));
    };
    Ok(super::validate(state, super::held_params(&row)?).await.map(|req| (req, row)))
}

async fn authorize(
    State(state): State<AppState>,
    ctx: PageContext,
    MaybePrincipal(principal): MaybePrincipal,
    Extension(client): Extension<ClientInfo>,
    headers: HeaderMap,
    Query(params): Query<AuthParams>,
    Query(held): Query<super::HeldQuery>,
) -> Result<Response, AppError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let session = current_session(&headers, &client);
    // A pending request: everything comes from the server, whatever else the query says.
    if let Some(token) = held.pending {
        let (req, row) = match resume(&state, &token).await? {
            Ok(found) => found,
            Err(e) => return auth_error(&state, &ctx, e),
        };
        let progress = super::Progress::of(Some(&row), session.as_deref(), principal.as_ref(), now);
        let step = super::next_step(&state, &req, principal.as_ref(), &progress).await?;
        let a = Answering { req, pending: Some(token), now, session: session.as_deref() };
        return answer(&state, &ctx, a, principal.as_ref(), step).await;
    }
    // A pushed request (RFC 9126) is used up here, at its first use, and
    // kept as a pending request: the flow's own steps (sign-in, account
    // choice, consent, a language switch, a reload) come back to that, and
    // a second use of the request_uri is refused.
    if let Some(uri) = params.request_uri.clone() {
        let req = match super::take_pushed(&state, &params.client_id, &uri).await {
            Ok(pushed) => super::validate(&state, pushed).await,
            Err(e) => Err(e),
        };
        return match req {
            Ok(req) => {
                let token = super::hold(&state, &req, now, session.as_deref()).await?;
                Ok(see_other(&super::pending_url(&token)))
            }
            Err(e) => auth_error(&state, &ctx, e),
        };
    }
    let req = match super::validate(&state, params).await {
        Ok(req) => req,
        Err(e) => return auth_error(&state, &ctx, e),
    };
    let progress = super::Progress::of(None, session.as_deref(), principal.as_ref(), now);
    let step = super::next_step(&state, &req, principal.as_ref(), &progress).await?;
    let a = Answering { req, pending: None, now, session: session.as_deref() };
    answer(&state, &ctx, a, principal.as_ref(), step).await
}

#[derive(Template)]
#[template(path = "select_account.html")]
struct SelectAccountPage<'a> {
    ctx: &'a PageContext,
    client_name: &'a str,
    email: &'a str,
    pending: &'a str,
    switch_href: &'a str,
}

/// The pending request's ID from a form.
fn posted_pending(pairs: &[(String, String)]) -> Result<String, AppError> {
    pairs
        .iter()
        .find(|(k, _)| k == "pending")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| AppError::from(crate::errors::IdentityError::BadAuthorizationRequest))
}

/// `POST /oauth/authorize/consent`: the pending request's ID, the decision,
/// and the profile fields ticked (repeated `field` values). The request
/// itself comes from the server, and every check of the authorization
/// endpoint runs again before a code.
async fn consent(
    State(state): State<AppState>,
    ctx: PageContext,
    MaybePrincipal(principal): MaybePrincipal,
    Extension(client): Extension<ClientInfo>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    if !is_form(&headers) {
        return Err(AppError::new(platform::error::ErrorKind::UnsupportedMediaType));
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let shared: Vec<String> = pairs.iter().filter(|(k, _)| k == "field").map(|(_, v)| v.clone()).collect();
    let decision = pairs.iter().find(|(k, _)| k == "decision").map(|(_, v)| v.as_str()).unwrap_or("");
    let token = posted_pending(&pairs)?;
    let (req, row) = match resume(&state, &token).await? {
        Ok(found) => found,
        Err(e) => return auth_error(&state, &ctx, e),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let session = current_session(&headers, &client);
    let progress = super::Progress::of(Some(&row), session.as_deref(), principal.as_ref(), now);
    let step = super::next_step(&state, &req, principal.as_ref(), &progress).await?;
    let (Next::Consent | Next::Issue, Some(principal)) = (&step, principal.as_ref()) else {
        // Not ready for a decision (the sign-in grew too old, the level or
        // the account changed): the step it needs, as the GET would.
        let a = Answering { req, pending: Some(token), now, session: session.as_deref() };
        return answer(&state, &ctx, a, principal.as_ref(), step).await;
    };
    if decision != "allow" {
        if !super::decline(&state, &token).await? {
            return Err(crate::errors::IdentityError::BadAuthorizationRequest.into());
        }
        return Ok(see_other(&super::error_redirect(
            &state,
            &req.params.redirect_uri,
            "access_denied",
            "the person declined",
            req.params.state.as_deref(),
        )));
    }
    Ok(see_other(&super::issue_code(&state, &req, principal, Some(&shared), Some(&token)).await?))
}

/// `POST /oauth/authorize/choose`: the pending request's ID and a choice
/// (`this_account` or `without_real_name`); then the request continues.
async fn choose(
    State(state): State<AppState>,
    ctx: PageContext,
    MaybePrincipal(principal): MaybePrincipal,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    if !is_form(&headers) {
        return Err(AppError::new(platform::error::ErrorKind::UnsupportedMediaType));
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let token = posted_pending(&pairs)?;
    let choice = pairs
        .iter()
        .find(|(k, _)| k == "choice")
        .and_then(|(_, v)| super::Choice::parse(v))
        .ok_or_else(|| AppError::from(crate::errors::IdentityError::BadAuthorizationRequest))?;
    if let Err(e) = resume(&state, &token).await? {
        return auth_error(&state, &ctx, e);
    }
    let Some(principal) = principal else {
        return Ok(see_other(&crate::pages::sign_in_then(&ctx, &super::pending_url(&token))));
    };
    if !super::choose(&state, &token, choice, &principal).await? {
        return auth_error(&state, &ctx, AuthError::Page { message_key: "oidc-error-request-uri" });
    }
    Ok(see_other(&super::pending_url(&token)))
}

// ---- token endpoint ---------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TokenForm {
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
    token: Option<String>,
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn oauth_error(e: OAuthError) -> Response {
    let status = if e.error == "invalid_client" { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
    let mut response = (status, Json(json!({ "error": e.error, "error_description": e.description }))).into_response();
    if e.basic_challenge {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"lionrock\""));
    }
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Reads a form body; malformed bodies are OAuth `invalid_request`.
fn parse_form(body: &[u8]) -> Result<TokenForm, OAuthError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| OAuthError::new("invalid_request", format!("malformed form body: {e}")))
}

fn client_auth(headers: &HeaderMap, form: &TokenForm) -> Result<ClientAuth, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|b64| {
            let decoded = STANDARD.decode(b64.trim()).ok().and_then(|b| String::from_utf8(b).ok());
            let pair = decoded.as_deref().and_then(|d| d.split_once(':'));
            let unescape =
                |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
            match pair {
                Some((id, secret)) => Ok((unescape(id).unwrap_or_default(), unescape(secret).unwrap_or_default())),
                None => Err(OAuthError {
                    basic_challenge: true,
                    ..OAuthError::new("invalid_client", "malformed Basic credentials")
                }),
            }
        })
        .transpose()?;
    if let Some(kind) = &form.client_assertion_type {
        if kind != JWT_BEARER {
            return Err(OAuthError::new("invalid_client", "unsupported client_assertion_type"));
        }
        let assertion = form
            .client_assertion
            .clone()
            .ok_or_else(|| OAuthError::new("invalid_request", "client_assertion is missing"))?;
        if basic.is_some() || form.client_secret.is_some() {
            return Err(OAuthError::new("invalid_request", "use one client authentication method"));
        }
        return Ok(ClientAuth::Assertion { id: form.client_id.clone(), assertion });
    }
    match (basic, &form.client_id, &form.client_secret) {
        (Some(_), _, Some(_)) => Err(OAuthError::new("invalid_request", "use one client authentication method")),
        (Some((id, secret)), _, None) => Ok(ClientAuth::Basic { id, secret }),
        (None, Some(id), Some(secret)) => Ok(ClientAuth::Post { id: id.clone(), secret: secret.clone() }),
        (None, Some(id), None) => Ok(ClientAuth::None { id: id.clone() }),
        (None, None, _) => Err(OAuthError::new("invalid_client", "client authentication is required")),
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

async fn token(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    match token_inner(&state, &headers, &body).await {
        Ok(response) => {
            let mut response = Json(response).into_response();
            response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(e) => oauth_error(e),
    }
}

async fn token_inner(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<super::TokenResponse, OAuthError> {
    if !is_form(headers) {
        return Err(OAuthError::new("invalid_request", "use application/x-www-form-urlencoded"));
    }
    let form = parse_form(body)?;
    let client = super::authenticate_client(state, &client_auth(headers, &form)?).await?;
    match form.grant_type.as_str() {
        "authorization_code" => {
            let code = form.code.as_deref().ok_or_else(|| OAuthError::new("invalid_request", "code is required"))?;
            let redirect_uri = form
                .redirect_uri
                .as_deref()
                .ok_or_else(|| OAuthError::new("invalid_request", "redirect_uri is required"))?;
            super::exchange_code(state, &client, code, redirect_uri, form.code_verifier.as_deref()).await
        }
        "refresh_token" => {
            let token = form
                .refresh_token
                .as_deref()
                .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is required"))?;
            super::refresh(state, &client, token).await
        }
        "" => Err(OAuthError::new("invalid_request", "grant_type is required")),
        _ => Err(OAuthError::new("unsupported_grant_type", "use authorization_code or refresh_token")),
    }
}

/// `POST /oauth/par`: pushed authorization requests (RFC 9126).
async fn par(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let result = async {
        if !is_form(&headers) {
            return Err(OAuthError::new("invalid_request", "use application/x-www-form-urlencoded"));
        }
        let form = parse_form(&body)?;
        let client = super::authenticate_client(&state, &client_auth(&headers, &form)?).await?;
        let params: AuthParams = serde_urlencoded::from_bytes(&body)
            .map_err(|e| OAuthError::new("invalid_request", format!("malformed form body: {e}")))?;
        super::push(&state, &client, params).await
    }
    .await;
    match result {
        Ok((request_uri, expires_in)) => {
            (StatusCode::CREATED, Json(json!({ "request_uri": request_uri, "expires_in": expires_in }))).into_response()
        }
        Err(e) => oauth_error(e),
    }
}

// ---- userinfo, revocation, introspection --------------------------------------

fn bearer_error(error: Option<&str>) -> Response {
    let value = match error {
        Some(e) => format!("Bearer realm=\"lionrock\", error=\"{e}\""),
        None => "Bearer realm=\"lionrock\"".to_owned(),
    };
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    // A body of our own, so the error renderer leaves the response alone.
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    *response.body_mut() = axum::body::Body::from(json!({ "error": error.unwrap_or("invalid_request") }).to_string());
    response
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let Some(token) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    else {
        return Ok(bearer_error(None));
    };
    match super::userinfo(&state, token.trim()).await? {
        Some(claims) => Ok(Json(claims).into_response()),
        None => Ok(bearer_error(Some("invalid_token"))),
    }
}

async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let result = async {
        let form = parse_form(&body)?;
        let client = super::authenticate_client(&state, &client_auth(&headers, &form)?).await?;
        let token = form.token.as_deref().ok_or_else(|| OAuthError::new("invalid_request", "token is required"))?;
        super::revoke(&state, &client, token).await.map_err(|_| OAuthError::new("server_error", "try again"))
    }
    .await;
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => oauth_error(e),
    }
}

async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let result = async {
        let form = parse_form(&body)?;
        let auth = client_auth(&headers, &form)?;
        let Some(token) = form.token.as_deref() else {
            super::authenticate_client(&state, &auth).await?;
            return Err(OAuthError::new("invalid_request", "token is required"));
        };
        // The client and the token in one query.
        let (client, found) = super::authenticate_client_with_token(&state, &auth, token).await?;
        if client.public {
            return Err(OAuthError::new("invalid_client", "public clients cannot introspect"));
        }
        let live = found.filter(|t| super::is_live(&state, t));
        Ok(match live.filter(|t| t.client_id == client.client_id) {
            Some(t) => json!({
                "active": true,
                "scope": super::oauth_scope(&super::parse_list(&t.scopes)),
                "client_id": t.client_id,
                "sub": super::subject(&state, &client, &t.account_id),
                "token_type": if t.kind == super::store::token::Kind::Access { "Bearer" } else { "refresh_token" },
                "exp": super::expires_at(&state, &t).unix_timestamp(),
                "iat": t.created_at.unix_timestamp(),
                "iss": super::provider::issuer(&state),
            }),
            None => json!({ "active": false }),
        })
    }
    .await;
    match result {
        Ok(body) => Json(body).into_response(),
        Err(e) => oauth_error(e),
    }
}

// ---- RP-initiated logout --------------------------------------------------------

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage<'a> {
    ctx: &'a PageContext,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
struct LogoutConfirmPage<'a> {
    ctx: &'a PageContext,
    client_name: Option<&'a str>,
    hidden: Vec<(&'static str, String)>,
}

/// `GET /oauth/logout`: signs out at once only when a valid `id_token_hint`
/// names the signed-in person as its client sees them; anyone else who is
/// signed in is asked to confirm (a link on any site could otherwise sign
/// them out). Without a session there is nothing to end.
async fn logout(
    State(state): State<AppState>,
    ctx: PageContext,
    MaybePrincipal(principal): MaybePrincipal,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    Query(params): Query<super::LogoutParams>,
) -> Result<Response, AppError> {
    let req = match super::logout_request(&state, &params).await {
        Ok(req) => req,
        Err(message_key) => return auth_error(&state, &ctx, AuthError::Page { message_key }),
    };
    match principal {
        Some(p) if !req.hint_names(&state, &p.account_id.to_string()) => {
            // The confirmed request names the client by id; its hint is not echoed.
            let mut hidden = Vec::new();
            if let Some(c) = &req.client {
                hidden.push(("client_id", c.client_id.clone()));
            }
            for (name, value) in
                [("post_logout_redirect_uri", &params.post_logout_redirect_uri), ("state", &params.state)]
            {
                if let (Some(v), true) = (value, req.target.is_some()) {
                    hidden.push((name, v.clone()));
                }
            }
            let content =
                LogoutConfirmPage { ctx: &ctx, client_name: req.client.as_ref().map(|c| c.name.as_str()), hidden };
            let page = ctx.page(StatusCode::OK, "logout-confirm-title", &content)?;
            // The form's POST ends at the service (a registered post-logout URI).
            Ok(web::FormActionAlso::allow_on(req.target.as_deref().and_then(web::FormActionAlso::of), page))
        }
        _ => signed_out(&state, &ctx, &client, &headers, &req).await,
    }
}

/// `POST /oauth/logout`: a service's logout request sent as a form (RP-Initiated
/// Logout §2: the endpoint takes GET and POST). Posted from the service's
/// site, it carries none of our (SameSite=Lax) cookies, so it cannot see
/// whom to sign out: it goes on as the same request by GET, a top-level
/// navigation that does carry them, and is checked there like any other. It
/// needs no CSRF token (it is exempt): by itself it changes nothing.
async fn logout_posted(PageForm(params): PageForm<super::LogoutParams>) -> Response {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            [
                ("id_token_hint", &params.id_token_hint),
                ("post_logout_redirect_uri", &params.post_logout_redirect_uri),
                ("state", &params.state),
                ("client_id", &params.client_id),
            ]
            .into_iter()
            .filter_map(|(name, value)| value.as_deref().map(|v| (name, v))),
        )
        .finish();
    see_other(&if query.is_empty() { "/oauth/logout".to_owned() } else { format!("/oauth/logout?{query}") })
}

/// Where the confirmation form posts: apart from `/oauth/logout`, whose POST
/// is exempt from the CSRF check.
pub(crate) const LOGOUT_CONFIRM_PATH: &str = "/oauth/confirm-logout";

/// `POST /oauth/confirm-logout`: the confirmation form (CSRF-checked like
/// every page form); the request is checked again, then the session ends.
async fn logout_confirmed(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    PageForm(params): PageForm<super::LogoutParams>,
) -> Result<Response, AppError> {
    let req = match super::logout_request(&state, &params).await {
        Ok(req) => req,
        Err(message_key) => return auth_error(&state, &ctx, AuthError::Page { message_key }),
    };
    signed_out(&state, &ctx, &client, &headers, &req).await
}

/// Ends the session this browser holds, if any, and sends the person to
/// the request's target or shows that they are signed out.
async fn signed_out(
    state: &AppState,
    ctx: &PageContext,
    client: &ClientInfo,
    headers: &HeaderMap,
    req: &super::LogoutRequest,
) -> Result<Response, AppError> {
    let cookie = web::read_cookie(headers, web::session_cookie_name(client.https)).and_then(SessionToken::parse);
    if let Some(token) = &cookie {
        session::revoke(&state.db, token).await?;
    }
    let mut response = match &req.target {
        Some(url) => see_other(url),
        None => ctx.page(StatusCode::OK, "signed-out-title", &SignedOutPage { ctx })?,
    };
    if cookie.is_some() {
        response
            .headers_mut()
            .append(header::SET_COOKIE, web::cookie(web::session_cookie_name(client.https), "", client.https, Some(0)));
    }
    Ok(response)
}
