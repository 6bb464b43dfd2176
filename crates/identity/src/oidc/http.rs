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
use platform::keys::{self, Purpose};
use platform::page::PageContext;
use platform::principal::MaybePrincipal;
use platform::session::{self, SessionToken};
use platform::web::{self, ClientInfo};
use serde::Deserialize;

use crate::http::see_other;
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
        .route("/oauth/token", post(token).route_layer(sensitive()))
        .route("/oauth/par", post(par).route_layer(sensitive()))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/introspect", post(introspect))
        .route("/oauth/logout", get(logout))
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
struct RealNameNeededPage<'a> {
    ctx: &'a PageContext,
    client_name: &'a str,
    back: &'a str,
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
    hidden: Vec<(&'static str, String)>,
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

/// The parameters again, as hidden form fields for the consent form.
fn hidden_fields(p: &AuthParams) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("response_type", p.response_type.clone()),
        ("client_id", p.client_id.clone()),
        ("redirect_uri", p.redirect_uri.clone()),
        ("scope", p.scope.clone()),
    ];
    let optional = [
        ("state", &p.state),
        ("nonce", &p.nonce),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
        ("max_age", &p.max_age),
        ("acr_values", &p.acr_values),
        ("claims", &p.claims),
    ];
    for (k, val) in optional {
        if let Some(val) = val {
            v.push((k, val.clone()));
        }
    }
    if let Some(after) = p.auth_after {
        v.push(("auth_after", after.to_string()));
    }
    v
}

fn scope_keys(req: &AuthRequest) -> Vec<String> {
    // Profile scopes are listed field by field, with a choice for each.
    req.scopes
        .iter()
        .filter(|s| matches!(s.as_str(), "openid" | "email"))
        .map(|s| format!("consent-scope-{s}"))
        .collect()
}

fn field_choices(req: &AuthRequest) -> Vec<(&'static str, String)> {
    crate::profile::fields_for(&req.scopes).into_iter().map(|f| (f.slug, format!("consent-field-{}", f.slug))).collect()
}

async fn authorize(
    State(state): State<AppState>,
    ctx: PageContext,
    MaybePrincipal(principal): MaybePrincipal,
    Query(params): Query<AuthParams>,
) -> Result<Response, AppError> {
    // A pushed request (RFC 9126) is used up here, at its first use, and
    // continues as the same request in the query: the flow's own steps
    // (sign-in, account choice, consent, a language switch, a reload) come
    // back to that address, and a second use of the request_uri is refused.
    if let Some(uri) = params.request_uri.clone() {
        return match super::take_pushed(&state, &params.client_id, &uri).await {
            Ok(pushed) => Ok(see_other(&authorize_without(pushed, &[])?)),
            Err(e) => auth_error(&state, &ctx, e),
        };
    }
    let req = match super::validate(&state, params).await {
        Ok(req) => req,
        Err(e) => return auth_error(&state, &ctx, e),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    match super::next_step(&state, &req, principal.as_ref(), now).await? {
        Next::SignIn => {
            // Come back here after signing in; a forced sign-in must be newer than now.
            let mut back = req.params.clone();
            if req.prompts.iter().any(|p| p == "login") || req.max_age.is_some() {
                back.auth_after = Some(now);
            }
            let next = authorize_without(back, &["login", "select_account"])?;
            let to = crate::http::sign_in_then(&ctx, &next);
            Ok(see_other(&to))
        }
        Next::SelectAccount => {
            let Some(principal) = principal else { return Err(AppError::internal("no principal at select_account")) };
            let account = crate::store::account_by_id(&state.db, &principal.account_id.to_string())
                .await?
                .ok_or_else(AppError::not_found)?;
            let next = authorize_without(req.params.clone(), &["select_account"])?;
            let switch = crate::http::sign_in_then(&ctx, &next);
            let content = SelectAccountPage {
                ctx: &ctx,
                client_name: &req.client.name,
                email: account.name(),
                continue_href: &next,
                switch_href: &switch,
            };
            ctx.page(StatusCode::OK, "select-account-title", &content)
        }
        Next::Consent => {
            let content = ConsentPage {
                ctx: &ctx,
                client_name: &req.client.name,
                scopes: scope_keys(&req),
                fields: field_choices(&req),
                hidden: hidden_fields(&req.params),
            };
            let mut page = ctx.page(StatusCode::OK, "consent-title", &content)?;
            // The form's POST ends at the service (a validated redirect URI).
            if let Some(origin) = web::FormActionAlso::of(&req.params.redirect_uri) {
                page.extensions_mut().insert(origin);
            }
            Ok(page)
        }
        Next::Issue => {
            let Some(principal) = principal else { return Err(AppError::internal("no principal at issue")) };
            Ok(see_other(&super::issue_code(&state, &req, &principal, None).await?))
        }
        Next::RealNameNeeded => {
            // Explain, and offer the way back with the error the client expects.
            let back = super::error_redirect(
                &state,
                &req.params.redirect_uri,
                "unmet_authentication_requirements",
                "the service needs a real-name identity",
                req.params.state.as_deref(),
            );
            let content = RealNameNeededPage { ctx: &ctx, client_name: &req.client.name, back: &back };
            ctx.page(StatusCode::FORBIDDEN, "real-name-needed-title", &content)
        }
        Next::Fail(error) => Ok(see_other(&super::error_redirect(
            &state,
            &req.params.redirect_uri,
            error,
            "the person must interact with the provider",
            req.params.state.as_deref(),
        ))),
    }
}

/// The authorization request again, without the given `prompt` values.
fn authorize_without(mut params: AuthParams, dropped: &[&str]) -> Result<String, AppError> {
    params.prompt = params
        .prompt
        .map(|p| p.split_whitespace().filter(|x| !dropped.contains(x)).collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty());
    let query = serde_urlencoded::to_string(&params).map_err(AppError::internal)?;
    Ok(format!("/oauth/authorize?{query}"))
}

#[derive(Template)]
#[template(path = "select_account.html")]
struct SelectAccountPage<'a> {
    ctx: &'a PageContext,
    client_name: &'a str,
    email: &'a str,
    continue_href: &'a str,
    switch_href: &'a str,
}

/// `POST /oauth/authorize/consent`: the request again, the decision, and
/// the profile fields ticked (repeated `field` values).
async fn consent(
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
    let shared: Vec<String> = pairs.iter().filter(|(k, _)| k == "field").map(|(_, v)| v.clone()).collect();
    let decision = pairs.iter().find(|(k, _)| k == "decision").map(|(_, v)| v.as_str()).unwrap_or("");
    let single: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "field").collect();
    let params: AuthParams =
        serde_urlencoded::from_str(&serde_urlencoded::to_string(&single).map_err(AppError::internal)?)
            .map_err(|_| AppError::from(crate::errors::IdentityError::BadAuthorizationRequest))?;
    let req = match super::validate(&state, params).await {
        Ok(req) => req,
        Err(e) => return auth_error(&state, &ctx, e),
    };
    let Some(principal) = principal else {
        return Err(AppError::new(platform::error::ErrorKind::Unauthenticated));
    };
    if decision != "allow" {
        return Ok(see_other(&super::error_redirect(
            &state,
            &req.params.redirect_uri,
            "access_denied",
            "the person declined",
            req.params.state.as_deref(),
        )));
    }
    Ok(see_other(&super::issue_code(&state, &req, &principal, Some(&shared)).await?))
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
    match super::live_token(&state, token.trim()).await?.filter(|t| t.kind == "access") {
        Some(t) => Ok(Json(super::userinfo(&state, &t).await?).into_response()),
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
        let client = super::authenticate_client(&state, &client_auth(&headers, &form)?).await?;
        if client.public {
            return Err(OAuthError::new("invalid_client", "public clients cannot introspect"));
        }
        let token = form.token.as_deref().ok_or_else(|| OAuthError::new("invalid_request", "token is required"))?;
        let live = super::live_token(&state, token).await.map_err(|_| OAuthError::new("server_error", "try again"))?;
        Ok(match live.filter(|t| t.client_id == client.client_id) {
            Some(t) => json!({
                "active": true,
                "scope": super::oauth_scope(&super::parse_list(&t.scopes)),
                "client_id": t.client_id,
                "sub": super::subject(&state, &client, &t.account_id),
                "token_type": if t.kind == "access" { "Bearer" } else { "refresh_token" },
                "exp": t.expires_at.unix_timestamp(),
                "iat": t.created_at.unix_timestamp(),
                "iss": super::issuer(&state),
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LogoutParams {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage<'a> {
    ctx: &'a PageContext,
}

async fn logout(
    State(state): State<AppState>,
    ctx: PageContext,
    client: Extension<ClientInfo>,
    headers: HeaderMap,
    Query(params): Query<LogoutParams>,
) -> Result<Response, AppError> {
    let hint = match &params.id_token_hint {
        Some(t) => super::verify_id_token_hint(&state, t).await,
        None => None,
    };
    let client_id = hint.as_ref().map(|(_, aud)| aud.clone()).or(params.client_id.clone());
    if let (Some(hinted), Some(given)) = (hint.as_ref().map(|(_, aud)| aud), params.client_id.as_ref())
        && hinted != given
    {
        return auth_error(&state, &ctx, AuthError::Page { message_key: "oidc-error-logout" });
    }
    if let Some(token) =
        web::read_cookie(&headers, web::session_cookie_name(client.https)).and_then(SessionToken::parse)
    {
        session::revoke(&state.db, &token).await?;
    }
    let target = match (client_id, &params.post_logout_redirect_uri) {
        (Some(id), Some(uri)) => super::post_logout_target(&state, &id, uri, params.state.as_deref()).await,
        _ => None,
    };
    let mut response = match target {
        Some(url) => see_other(&url),
        None => {
            if params.post_logout_redirect_uri.is_some() {
                return auth_error(&state, &ctx, AuthError::Page { message_key: "oidc-error-logout" });
            }
            ctx.page(StatusCode::OK, "signed-out-title", &SignedOutPage { ctx: &ctx })?
        }
    };
    response
        .headers_mut()
        .append(header::SET_COOKIE, web::cookie(web::session_cookie_name(client.https), "", client.https, Some(0)));
    Ok(response)
}
