//! The authorization endpoint's rules: validating requests (plain and
//! pushed), pending requests the person answers, the checks before a
//! code, and issuing the code or the error redirect.

use super::claims::{amr, level_of_acr, level_slug};
use super::provider::{issuer, mac};
use super::{CODE_LIFETIME, Choice, OAuthError, OFFLINE_ACCESS, SOURCE_SCOPE, json_list, parse_list, store};
use platform::app::AppState;
use platform::error::AppError;
use platform::principal::{IdentityLevel, Principal};
use serde::{Deserialize, Serialize};
use time::Duration;

/// The query of an authorization request.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AuthParams {
    pub response_type: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub acr_values: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
    /// The `claims` request parameter (OIDC Core §5.5), as JSON.
    pub claims: Option<String>,
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client: store::client::Model,
    pub params: AuthParams,
    pub scopes: Vec<String>,
    pub prompts: Vec<String>,
    pub max_age: Option<i64>,
    /// The identity level the client asks for, if any.
    pub acr: AcrRequest,
}

/// What a client asks of the person's identity level: the `acr` claim
/// request (OIDC Core §5.5.1.1), else `acr_values` (§3.1.2.1, always
/// voluntary). Each `acr` we know is an identity level ([`level_of_acr`]);
/// others are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcrRequest {
    /// The levels named, lowest first: any of them satisfies the request.
    pub levels: Vec<IdentityLevel>,
    /// Essential: no code unless one is met. Else the person is offered to
    /// raise their level, or to go on without.
    pub essential: bool,
}

impl AcrRequest {
    /// The lowest level that satisfies the request, if it names one.
    pub fn wanted(&self) -> Option<IdentityLevel> {
        self.levels.first().copied()
    }

    /// The level an ID token states for a person at `level`: the level
    /// met. For an essential request, the highest requested level met (its
    /// `acr` must be one the client asked for; a real-name person meets
    /// the basic level too).
    pub fn level_met(&self, level: IdentityLevel) -> IdentityLevel {
        if !self.essential {
            return level;
        }
        self.levels.iter().rev().find(|l| **l <= level).copied().unwrap_or(level)
    }
}

/// Reads an `acr` request: from the `claims` parameter's ID-token `acr`
/// member when it names values, else from `acr_values`.
fn acr_request(claimed: Option<&serde_json::Value>, acr_values: Option<&str>) -> AcrRequest {
    let claimed = claimed.filter(|c| c.is_object());
    let mut named: Vec<&str> = Vec::new();
    let mut essential = false;
    if let Some(request) = claimed {
        essential = request.get("essential").and_then(serde_json::Value::as_bool) == Some(true);
        named.extend(request.get("values").and_then(|v| v.as_array()).into_iter().flatten().filter_map(|v| v.as_str()));
        named.extend(request.get("value").and_then(|v| v.as_str()));
    }
    if named.is_empty() {
        essential = false;
        named.extend(acr_values.unwrap_or("").split_whitespace());
    }
    let mut levels: Vec<IdentityLevel> = named.into_iter().filter_map(level_of_acr).collect();
    levels.sort();
    levels.dedup();
    AcrRequest { levels, essential }
}

/// Whether an essential `acr` request names only values we do not know:
/// it can never be met.
fn unmeetable_acr(claimed: Option<&serde_json::Value>) -> bool {
    let Some(request) = claimed.filter(|c| c.get("essential").and_then(serde_json::Value::as_bool) == Some(true))
    else {
        return false;
    };
    let mut named: Vec<&str> =
        request.get("values").and_then(|v| v.as_array()).into_iter().flatten().filter_map(|v| v.as_str()).collect();
    named.extend(request.get("value").and_then(|v| v.as_str()));
    !named.is_empty() && named.iter().all(|v| level_of_acr(v).is_none())
}

/// Why an authorization request fails: shown on our page when the client or
/// its redirect URI cannot be trusted, else sent back to the client.
#[derive(Debug)]
pub enum AuthError {
    Page { message_key: &'static str },
    Redirect { redirect_uri: String, error: &'static str, description: String, state: Option<String> },
}

/// Where a sign-in that continues to `next` can end: when `next` is this
/// provider's authorization request (plain or pushed) for a registered
/// client and redirect URI, that redirect URI's origin, for the sign-in
/// forms' `form-action`. Nothing else is ever added.
pub(crate) async fn return_origin(state: &AppState, next: &str) -> Option<platform::web::FormActionAlso> {
    let (path, query) = next.split_once('?')?;
    if path != "/oauth/authorize" {
        return None;
    }
    let params: AuthParams = serde_urlencoded::from_str(query).ok()?;
    let held: HeldQuery = serde_urlencoded::from_str(query).ok()?;
    let params = match (held.pending, params.request_uri.clone()) {
        (Some(token), _) => serde_json::from_str(&held_request(state, &token).await.ok()??.params).ok()?,
        (None, Some(uri)) => pushed(state, &params.client_id, &uri).await.ok()?,
        (None, None) => params,
    };
    let client = store::client(&state.db, &params.client_id).await.ok()??;
    parse_list(&client.redirect_uris)
        .contains(&params.redirect_uri)
        .then(|| platform::web::FormActionAlso::of(&params.redirect_uri))?
}

pub async fn validate(state: &AppState, params: AuthParams) -> Result<AuthRequest, AuthError> {
    let page = |key| AuthError::Page { message_key: key };
    let Some(client) = store::client(&state.db, &params.client_id).await.map_err(|_| page("oidc-error-server"))? else {
        return Err(page("oidc-error-client"));
    };
    if !parse_list(&client.redirect_uris).contains(&params.redirect_uri) {
        return Err(page("oidc-error-redirect"));
    }
    let redirect = |error, description: &str| AuthError::Redirect {
        redirect_uri: params.redirect_uri.clone(),
        error,
        description: description.to_owned(),
        state: params.state.clone(),
    };
    if params.request.is_some() {
        return Err(redirect("request_not_supported", "request objects are not supported"));
    }
    if params.request_uri.is_some() {
        return Err(redirect("request_uri_not_supported", "request_uri is not supported"));
    }
    if params.response_type != "code" {
        return Err(redirect("unsupported_response_type", "only response_type=code is supported"));
    }
    let scopes: Vec<String> = params.scope.split_whitespace().map(str::to_owned).collect();
    if !scopes.iter().any(|s| s == "openid") {
        return Err(redirect("invalid_scope", "the openid scope is required"));
    }
    let allowed = parse_list(&client.scopes);
    // Unknown scopes are ignored (RFC 6749 §3.3 lets the server narrow them).
    let mut scopes: Vec<String> = scopes.into_iter().filter(|s| allowed.contains(s) && s != SOURCE_SCOPE).collect();
    // Claims asked for by name (OIDC Core §5.5) join the request as
    // `claim:<field>` entries, for fields whose scope the client may use.
    let mut claimed_acr: Option<serde_json::Value> = None;
    if let Some(raw) = params.claims.as_deref() {
        let parsed: serde_json::Value =
            serde_json::from_str(raw).map_err(|_| redirect("invalid_request", "claims is not valid JSON"))?;
        let Some(members) = parsed.as_object() else {
            return Err(redirect("invalid_request", "claims must be a JSON object"));
        };
        for (member, requested) in members {
            if member != "userinfo" && member != "id_token" {
                continue;
            }
            let Some(requested) = requested.as_object() else {
                return Err(redirect("invalid_request", "claims members must be JSON objects"));
            };
            if member == "id_token" {
                claimed_acr = requested.get("acr").cloned();
            }
            for name in requested.keys() {
                let wanted = match crate::profile::FIELDS.iter().find(|f| f.claim == name) {
                    Some(f) if allowed.iter().any(|s| s == f.scope) => Some(format!("claim:{}", f.slug)),
                    _ if (name == "email" || name == "email_verified") && allowed.iter().any(|s| s == "email") => {
                        Some("email".to_owned())
                    }
                    _ => None,
                };
                if let Some(w) = wanted {
                    // Asked for in the ID token too: `id_token:<claim>` says so.
                    let in_id_token = format!("id_token:{name}");
                    if member == "id_token" && !scopes.contains(&in_id_token) {
                        scopes.push(in_id_token);
                    }
                    if !scopes.contains(&w) {
                        scopes.push(w);
                    }
                }
            }
        }
    }
    match (params.code_challenge.as_deref(), params.code_challenge_method.as_deref()) {
        (None, _) if client.public => {
            return Err(redirect("invalid_request", "PKCE (S256) is required for public clients"));
        }
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => {}
        (Some(_), Some("S256")) => {
            return Err(redirect("invalid_request", "code_challenge must be 43 to 128 characters"));
        }
        (Some(_), _) => return Err(redirect("invalid_request", "code_challenge_method must be S256")),
        (None, _) => {}
    }
    let prompts: Vec<String> = params.prompt.as_deref().unwrap_or("").split_whitespace().map(str::to_owned).collect();
    if prompts.iter().any(|p| !matches!(p.as_str(), "none" | "login" | "consent" | "select_account")) {
        return Err(redirect("invalid_request", "unknown prompt value"));
    }
    if prompts.contains(&"none".to_owned()) && prompts.len() > 1 {
        return Err(redirect("invalid_request", "prompt=none cannot be combined"));
    }
    let max_age = match params.max_age.as_deref() {
        None | Some("") => None,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => return Err(redirect("invalid_request", "max_age must be a non-negative integer")),
        },
    };
    if unmeetable_acr(claimed_acr.as_ref()) {
        return Err(redirect("unmet_authentication_requirements", "none of the essential acr values is offered"));
    }
    let acr = acr_request(claimed_acr.as_ref(), params.acr_values.as_deref());
    Ok(AuthRequest { client, params, scopes, prompts, max_age, acr })
}

/// How long a pushed request can be used (RFC 9126 §2.2).
pub const PAR_LIFETIME: Duration = Duration::minutes(5);
const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Stores a pushed authorization request, checked as the authorization
/// endpoint would check it; returns its `request_uri` and lifetime.
pub async fn push(
    state: &AppState,
    client: &store::client::Model,
    mut params: AuthParams,
) -> Result<(String, i64), OAuthError> {
    if params.client_id.is_empty() {
        params.client_id = client.client_id.clone();
    }
    if params.client_id != client.client_id {
        return Err(OAuthError::new("invalid_request", "client_id does not match the authenticated client"));
    }
    if params.request_uri.is_some() {
        return Err(OAuthError::new("invalid_request", "request_uri cannot be pushed"));
    }
    match validate(state, params.clone()).await {
        Ok(_) => {}
        Err(AuthError::Page { .. }) => {
            return Err(OAuthError::new("invalid_request", "redirect_uri is not registered for this client"));
        }
        Err(AuthError::Redirect { error, description, .. }) => return Err(OAuthError::new(error, description)),
    }
    let token = platform::crypto::random_token();
    let row = store::par::Model {
        request_mac: mac(state, "par", &token),
        client_id: client.client_id.clone(),
        params: serde_json::to_string(&params).map_err(|_| OAuthError::new("server_error", "try again"))?,
        expires_at: platform::db::now() + PAR_LIFETIME,
    };
    store::insert_par(&state.db, row).await.map_err(|_| OAuthError::new("server_error", "try again"))?;
    Ok((format!("{REQUEST_URI_PREFIX}{token}"), PAR_LIFETIME.whole_seconds()))
}

/// The parameters behind a `request_uri`, for the client that pushed them.
pub async fn pushed(state: &AppState, client_id: &str, request_uri: &str) -> Result<AuthParams, AuthError> {
    let page = |key| AuthError::Page { message_key: key };
    let token = request_uri.strip_prefix(REQUEST_URI_PREFIX).ok_or_else(|| page("oidc-error-request-uri"))?;
    let row = store::par(&state.db, &mac(state, "par", token)).await.map_err(|_| page("oidc-error-server"))?;
    let row = row
        .filter(|r| r.client_id == client_id && platform::db::now() < r.expires_at)
        .ok_or_else(|| page("oidc-error-request-uri"))?;
    serde_json::from_str(&row.params).map_err(|_| page("oidc-error-server"))
}

/// Uses up a `request_uri` (RFC 9126 §4: one-time use): the parameters
/// behind it, for the client that pushed them, and the stored request is
/// gone, so a second use is refused.
pub async fn take_pushed(state: &AppState, client_id: &str, request_uri: &str) -> Result<AuthParams, AuthError> {
    let page = |key| AuthError::Page { message_key: key };
    let token = request_uri.strip_prefix(REQUEST_URI_PREFIX).ok_or_else(|| page("oidc-error-request-uri"))?;
    let row = store::take_par(&state.db, &mac(state, "par", token), client_id)
        .await
        .map_err(|_| page("oidc-error-server"))?
        .ok_or_else(|| page("oidc-error-request-uri"))?;
    serde_json::from_str(&row.params).map_err(|_| page("oidc-error-server"))
}

// ---- pending authorization requests ------------------------------------------

/// How long a pending request waits for the person (to sign in, perhaps
/// register first, choose, decide).
pub const PENDING_LIFETIME: Duration = Duration::minutes(30);

/// The query of an authorization request that continues a pending one:
/// only its ID; everything else comes from the server.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HeldQuery {
    pub pending: Option<String>,
}

/// The address at which a pending request continues.
pub fn pending_url(token: &str) -> String {
    let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    format!("/oauth/authorize?pending={token}")
}

/// Keeps a validated request on the server while the person acts, with
/// when it arrived and the session the browser had then (`session`: the
/// session's row ID); returns the ID the browser carries.
pub async fn hold(state: &AppState, req: &AuthRequest, now: i64, session: Option<&str>) -> Result<String, AppError> {
    let token = platform::crypto::random_token();
    let row = store::pending::Model {
        pending_mac: mac(state, "pending", &token),
        client_id: req.client.client_id.clone(),
        params: serde_json::to_string(&req.params).map_err(AppError::internal)?,
        requested_at: now,
        prior_session: session.map(str::to_owned),
        confirmed_account: None,
        step_up_declined: false,
        expires_at: platform::db::now() + PENDING_LIFETIME,
    };
    store::insert_pending(&state.db, row).await?;
    Ok(token)
}

/// A pending request that has not expired, by the ID the browser carries.
pub async fn held_request(state: &AppState, token: &str) -> Result<Option<store::pending::Model>, AppError> {
    Ok(store::pending(&state.db, &mac(state, "pending", token)).await?)
}

/// The parameters of a pending request.
pub fn held_params(row: &store::pending::Model) -> Result<AuthParams, AppError> {
    serde_json::from_str(&row.params).map_err(AppError::internal)
}

/// Records a choice on a pending request; false if it is gone.
pub async fn choose(state: &AppState, token: &str, choice: Choice, principal: &Principal) -> Result<bool, AppError> {
    let pending_mac = mac(state, "pending", token);
    Ok(store::record_choice(&state.db, &pending_mac, choice, &principal.account_id.to_string()).await?)
}

/// Ends a pending request the person declined; false if it was gone.
pub async fn decline(state: &AppState, token: &str) -> Result<bool, AppError> {
    Ok(store::take_pending(&state.db, &mac(state, "pending", token)).await?)
}

/// What the server knows of a request's progress. Nothing here comes from
/// the client or the browser: freshness rests on the session's sign-in
/// time and on when the request reached us.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub now: i64,
    /// The person signed in after the request arrived: a session other
    /// than the one the browser had then, authenticated since.
    pub signed_in_since_request: bool,
    /// The person confirmed the signed-in account on this request.
    pub account_confirmed: bool,
    /// The person chose to go on without the real-name identity asked for.
    pub step_up_declined: bool,
}

impl Progress {
    /// The progress of `held` (none: a request that has just arrived) for
    /// the browser's current session (its row ID) and principal.
    pub fn of(
        held: Option<&store::pending::Model>,
        session: Option<&str>,
        principal: Option<&Principal>,
        now: i64,
    ) -> Self {
        let Some(held) = held else { return Progress { now, ..Progress::default() } };
        let new_session = session.is_some() && session != held.prior_session.as_deref();
        Progress {
            now,
            signed_in_since_request: new_session && principal.is_some_and(|p| p.authenticated_at >= held.requested_at),
            account_confirmed: principal
                .is_some_and(|p| held.confirmed_account.as_deref() == Some(p.account_id.to_string().as_str())),
            step_up_declined: held.step_up_declined,
        }
    }
}

/// What must happen before a code can be issued.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    SignIn,
    Consent,
    Issue,
    /// The client asks for a higher identity level than this person has:
    /// they may get it (an officer checks their document) and come back,
    /// or, unless the request is essential, go on without.
    StepUp {
        essential: bool,
    },
    /// `prompt=select_account`: confirm the signed-in account, or switch.
    SelectAccount,
    /// `prompt=none` and something needs the person: this error goes back.
    Fail(&'static str),
}

/// Every check an authorization request needs before a code, run by the
/// authorization endpoint and again by each form that continues it.
pub async fn next_step(
    state: &AppState,
    req: &AuthRequest,
    principal: Option<&Principal>,
    progress: &Progress,
) -> Result<Next, AppError> {
    let none = req.prompts.iter().any(|p| p == "none");
    let must_sign_in = match principal {
        None => true,
        Some(p) => {
            req.max_age.is_some_and(|age| p.authenticated_at + age < progress.now)
                || (req.prompts.iter().any(|x| x == "login") && !progress.signed_in_since_request)
        }
    };
    if must_sign_in {
        return Ok(if none { Next::Fail("login_required") } else { Next::SignIn });
    }
    let Some(principal) = principal else { return Ok(Next::SignIn) };
    if req.prompts.iter().any(|p| p == "select_account")
        && !progress.signed_in_since_request
        && !progress.account_confirmed
    {
        return Ok(Next::SelectAccount);
    }
    if let Some(wanted) = req.acr.wanted()
        && principal.level < wanted
    {
        if req.acr.essential {
            return Ok(if none {
                Next::Fail("unmet_authentication_requirements")
            } else {
                Next::StepUp { essential: true }
            });
        }
        if !none && !progress.step_up_declined {
            return Ok(Next::StepUp { essential: false });
        }
    }
    let granted = store::consent(&state.db, &principal.account_id.to_string(), &req.client.client_id)
        .await?
        .map(|c| parse_list(&c.scopes))
        .unwrap_or_default();
    // Consent is to the data, not to where it travels (ID token or userinfo).
    let covered = req.scopes.iter().filter(|s| !s.starts_with("id_token:")).all(|s| granted.contains(s));
    if !covered || req.prompts.iter().any(|p| p == "consent") {
        return Ok(if none { Next::Fail("consent_required") } else { Next::Consent });
    }
    Ok(Next::Issue)
}

/// Issues a code; returns the redirect back to the client. `shared`, when
/// the person just consented, is the profile fields they chose to share
/// (remembered with the consent); `pending`, the ID of the pending request
/// this ends (used up with the code: a second answer is refused).
pub async fn issue_code(
    state: &AppState,
    req: &AuthRequest,
    principal: &Principal,
    shared: Option<&[String]>,
    pending: Option<&str>,
) -> Result<String, AppError> {
    let code = platform::crypto::random_token();
    let account_id = principal.account_id.to_string();
    // offline_access needs consent given on the page in this authorization
    // (OIDC Core §11): a remembered consent does not issue a refresh token.
    let granted: Vec<String> =
        req.scopes.iter().filter(|s| shared.is_some() || s.as_str() != OFFLINE_ACCESS).cloned().collect();
    let txn = platform::db::begin_write(&state.db).await?;
    if let Some(token) = pending
        && !store::take_pending(&txn, &mac(state, "pending", token)).await?
    {
        return Err(crate::errors::IdentityError::BadAuthorizationRequest.into());
    }
    if let Some(fields) = shared {
        let offered: Vec<String> = crate::profile::fields_for(&req.scopes).iter().map(|f| f.slug.to_owned()).collect();
        let fields: Vec<String> = fields.iter().filter(|f| offered.contains(f)).cloned().collect();
        store::put_consent(&txn, &account_id, &req.client.client_id, &json_list(&req.scopes), &json_list(&fields))
            .await?;
    }
    store::insert_code(
        &txn,
        store::code::Model {
            code_mac: mac(state, "code", &code),
            client_id: req.client.client_id.clone(),
            account_id: account_id.clone(),
            redirect_uri: req.params.redirect_uri.clone(),
            scopes: json_list(&granted),
            nonce: req.params.nonce.clone(),
            code_challenge: req.params.code_challenge.clone(),
            auth_time: principal.authenticated_at,
            amr: amr(principal).join(" "),
            expires_at: platform::db::now() + CODE_LIFETIME,
            used_at: None,
            level: Some(level_slug(req.acr.level_met(principal.level)).to_owned()),
        },
    )
    .await?;
    platform::audit::record(
        &txn,
        &state.keys,
        platform::audit::AuditEntry::new(
            format!("account:{account_id}"),
            "oidc.authorize",
            format!("client:{}", req.client.client_id),
        ),
    )
    .await?;
    txn.commit().await?;
    let mut url = url::Url::parse(&req.params.redirect_uri).map_err(AppError::internal)?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(s) = &req.params.state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &issuer(state));
    }
    Ok(url.into())
}

/// The redirect carrying an authorization error back to the client.
pub fn error_redirect(
    state: &AppState,
    redirect_uri: &str,
    error: &str,
    description: &str,
    client_state: Option<&str>,
) -> String {
    let Ok(mut url) = url::Url::parse(redirect_uri) else { return redirect_uri.to_owned() };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", error);
        q.append_pair("error_description", description);
        if let Some(s) = client_state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &issuer(state));
    }
    url.into()
}
