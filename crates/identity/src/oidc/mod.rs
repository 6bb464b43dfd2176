//! The OpenID Connect provider: clients, the authorization-code flow with
//! PKCE, ID tokens signed with the platform's ES256 keys, userinfo, refresh
//! tokens with rotation and reuse detection, revocation (RFC 7009),
//! introspection (RFC 7662) and RP-initiated logout. Errors are answered
//! exactly as the specifications say (redirect, JSON body, or
//! `WWW-Authenticate`), not as problem details.

pub(crate) mod admin;
mod http;
pub mod store;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use platform::app::AppState;
use platform::error::AppError;
use platform::keys::{self, Purpose};
use platform::principal::{AuthStrength, IdentityLevel, Principal};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Duration;

pub(crate) use http::routes;

pub const CODE_LIFETIME: Duration = Duration::seconds(60);
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(10);
pub const ID_TOKEN_LIFETIME: Duration = Duration::minutes(10);
/// How long a rotated-out signing key must stay published.
pub const KEY_KEEP: Duration = Duration::days(1);

pub const ACR_BASIC: &str = "urn:lionrock:loa:basic";
pub const ACR_REAL_NAME: &str = "urn:lionrock:loa:real_name";
pub const SCOPES: [&str; 6] = ["openid", "email", "profile", "address", "phone", OFFLINE_ACCESS];
/// The scope that asks for a refresh token (OIDC Core §11). Honoured only
/// for a client allowed it, and only when the person allowed it on the
/// consent page in the same authorization (which `prompt=consent` makes
/// sure of); otherwise it is ignored and no refresh token is issued.
pub const OFFLINE_ACCESS: &str = "offline_access";
/// Not a scope a resident grants: the permission of a trusted source (an
/// immigration or registration office) to assert real-name identities.
pub const SOURCE_SCOPE: &str = "real_name_source";

/// The issuer identifier: the public URL.
pub fn issuer(state: &AppState) -> String {
    state.public_url()
}

fn mac(state: &AppState, kind: &str, secret: &str) -> String {
    state.keys.blind_index(&format!("oidc.{kind}"), secret)
}

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) fn parse_list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Constant-time equality of two MACs.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---- clients --------------------------------------------------------------

/// A relying party to register.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub public: bool,
    /// A JWK Set: the client authenticates with assertions signed by these
    /// keys (private_key_jwt) and gets no secret.
    pub jwks: Option<String>,
    /// ID tokens signed with RS256 instead of the default ES256.
    pub rs256: bool,
    /// Pairwise subjects (OIDC Core §8.1): this client sees a `sub` no other
    /// client can link to the same person. Its redirect URIs share one host.
    pub pairwise: bool,
}

/// A registered client; the secret is shown once and stored only as a MAC.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedClient {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// Why a client could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("--name: must be 1 to 200 characters")]
    Name,
    #[error("--redirect-uri {0:?}: must be an absolute https URL (http only for localhost), without a fragment")]
    RedirectUri(String),
    #[error(
        "--scope {0:?}: not offered (offered: openid, email, profile, address, phone, offline_access, real_name_source)"
    )]
    Scope(String),
    #[error(
        "--pairwise: every --redirect-uri must be on one host (the sector that pairwise subjects are computed for)"
    )]
    PairwiseHosts,
    #[error("--jwks-file: {0}")]
    Jwks(String),
    #[error("{0}")]
    Internal(String),
}

/// The one host all `redirect_uris` share: the sector of pairwise subjects.
fn sector_of(redirect_uris: &[String]) -> Option<String> {
    let mut hosts = redirect_uris.iter().map(|u| url::Url::parse(u).ok().and_then(|u| u.host_str().map(str::to_owned)));
    let first = hosts.next()??;
    hosts.all(|h| h.as_deref() == Some(first.as_str())).then_some(first)
}

/// The `sub` a client sees for an account: the account id, or for a
/// pairwise client a keyed hash of its sector and the account id, stable
/// for that sector and unlinkable across sectors.
pub fn subject(state: &AppState, client: &store::client::Model, account_id: &str) -> String {
    if client.subject_type != "pairwise" {
        return account_id.to_owned();
    }
    let sector = sector_of(&parse_list(&client.redirect_uris)).unwrap_or_default();
    state.keys.blind_index("identity.oidc.pairwise-sub", &format!("{sector} {account_id}"))
}

/// [`subject`] by client id.
async fn subject_for(state: &AppState, client_id: &str, account_id: &str) -> Result<String, AppError> {
    let client = store::client(&state.db, client_id).await?.ok_or_else(AppError::not_found)?;
    Ok(subject(state, &client, account_id))
}

fn acceptable_redirect(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else { return false };
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    url.fragment().is_none() && (url.scheme() == "https" || (url.scheme() == "http" && local))
}

pub async fn create_client(state: &AppState, new: NewClient) -> Result<CreatedClient, ClientError> {
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ClientError::Name);
    }
    if new.redirect_uris.is_empty() {
        return Err(ClientError::RedirectUri(String::new()));
    }
    for uri in new.redirect_uris.iter().chain(&new.post_logout_redirect_uris) {
        if !acceptable_redirect(uri) {
            return Err(ClientError::RedirectUri(uri.clone()));
        }
    }
    if new.pairwise && sector_of(&new.redirect_uris).is_none() {
        return Err(ClientError::PairwiseHosts);
    }
    let mut scopes = vec!["openid".to_owned()];
    for s in &new.scopes {
        if !SCOPES.contains(&s.as_str()) && s != SOURCE_SCOPE {
            return Err(ClientError::Scope(s.clone()));
        }
        if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    if let Some(jwks) = &new.jwks {
        let set: jsonwebtoken::jwk::JwkSet =
            serde_json::from_str(jwks).map_err(|e| ClientError::Jwks(format!("not a JWK Set: {e}")))?;
        if set.keys.is_empty() {
            return Err(ClientError::Jwks("no keys".to_owned()));
        }
        for key in &set.keys {
            jsonwebtoken::DecodingKey::from_jwk(key).map_err(|e| ClientError::Jwks(format!("unusable key: {e}")))?;
        }
    }
    let client_id = uuid::Uuid::now_v7().simple().to_string();
    let secret = (!new.public && new.jwks.is_none()).then(platform::crypto::random_token);
    let model = store::client::Model {
        secret_mac: secret.as_ref().map(|s| mac(state, "client-secret", &format!("{client_id}:{s}"))),
        client_id: client_id.clone(),
        name,
        redirect_uris: json_list(&new.redirect_uris),
        post_logout_redirect_uris: json_list(&new.post_logout_redirect_uris),
        scopes: json_list(&scopes),
        public: new.public && new.jwks.is_none(),
        created_at: platform::db::now(),
        jwks: new.jwks,
        id_token_alg: if new.rs256 { "RS256" } else { "ES256" }.to_owned(),
        subject_type: if new.pairwise { "pairwise" } else { "public" }.to_owned(),
    };
    store::insert_client(&state.db, model).await.map_err(|e| ClientError::Internal(e.to_string()))?;
    Ok(CreatedClient { client_id, client_secret: secret })
}

/// How a client proved who it is at the token endpoint.
#[derive(Debug)]
pub enum ClientAuth {
    Basic {
        id: String,
        secret: String,
    },
    Post {
        id: String,
        secret: String,
    },
    None {
        id: String,
    },
    /// `private_key_jwt`: a signed assertion (RFC 7523).
    Assertion {
        id: Option<String>,
        assertion: String,
    },
}

/// A token-endpoint style error (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
    /// `invalid_client` after Basic authentication: 401 with `WWW-Authenticate`.
    pub basic_challenge: bool,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self { error, description: description.into(), basic_challenge: false }
    }
}

pub async fn authenticate_client(state: &AppState, auth: &ClientAuth) -> Result<store::client::Model, OAuthError> {
    if let ClientAuth::Assertion { id, assertion } = auth {
        return authenticate_assertion(state, id.as_deref(), assertion).await;
    }
    let (id, secret, basic) = match auth {
        ClientAuth::Basic { id, secret } => (id, Some(secret), true),
        ClientAuth::Post { id, secret } => (id, Some(secret), false),
        ClientAuth::None { id } => (id, None, false),
        ClientAuth::Assertion { .. } => return Err(OAuthError::new("invalid_client", "client authentication failed")),
    };
    let invalid =
        || OAuthError { basic_challenge: basic, ..OAuthError::new("invalid_client", "client authentication failed") };
    let client = store::client(&state.db, id).await.map_err(|_| OAuthError::new("server_error", "try again"))?;
    let Some(client) = client else { return Err(invalid()) };
    match (&client.secret_mac, secret) {
        (Some(expected), Some(secret)) if same(expected, &mac(state, "client-secret", &format!("{id}:{secret}"))) => {
            Ok(client)
        }
        (None, None) if client.public => Ok(client),
        _ => Err(invalid()),
    }
}

/// The longest an assertion may live (`exp` − now).
const ASSERTION_MAX_LIFETIME: i64 = 300;

/// Checks a `private_key_jwt` assertion: signed by one of the client's keys,
/// `iss` = `sub` = client, `aud` exactly the issuer, short-lived, and its
/// `jti` never seen before.
async fn authenticate_assertion(
    state: &AppState,
    id: Option<&str>,
    assertion: &str,
) -> Result<store::client::Model, OAuthError> {
    let (client, _) =
        verify_client_jws(state, assertion, AssertionUse::ClientAuthentication).await.map_err(|why| match why {
            JwsError::Server => OAuthError::new("server_error", "try again"),
            JwsError::Rejected(why) => OAuthError::new("invalid_client", format!("client assertion rejected: {why}")),
        })?;
    if id.is_some_and(|id| id != client.client_id) {
        return Err(OAuthError::new("invalid_client", "client assertion rejected: client_id and iss differ"));
    }
    Ok(client)
}

/// Why a client-signed JWT was not accepted.
#[derive(Debug)]
pub(crate) enum JwsError {
    Rejected(String),
    Server,
}

/// What a client-signed JWT is for. Both kinds share the audience (the
/// issuer), so each refuses the other's shape: a real-name assertion (it
/// names a `document`) never authenticates a client, and a client
/// assertion never asserts an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AssertionUse {
    ClientAuthentication,
    RealName,
}

/// Checks a JWT a client signed with one of its registered keys: `iss` =
/// `sub` = the client, `aud` exactly the issuer as a single string (not an
/// array holding it, not an endpoint's URL), at most five minutes to live,
/// the shape of its use, and its `jti` never seen before. Returns the
/// client and the claims.
pub(crate) async fn verify_client_jws(
    state: &AppState,
    assertion: &str,
    use_: AssertionUse,
) -> Result<(store::client::Model, serde_json::Value), JwsError> {
    let invalid = |why: &str| JwsError::Rejected(why.to_owned());
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| invalid("malformed"))?;
    if !matches!(
        header.alg,
        jsonwebtoken::Algorithm::ES256 | jsonwebtoken::Algorithm::RS256 | jsonwebtoken::Algorithm::PS256
    ) {
        return Err(invalid("algorithm not accepted"));
    }
    // The issuer names the client; read it before we know which key to trust.
    let payload = assertion.split('.').nth(1).ok_or_else(|| invalid("malformed"))?;
    let unverified: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid("malformed"))?)
            .map_err(|_| invalid("malformed"))?;
    let iss = unverified["iss"].as_str().ok_or_else(|| invalid("no iss"))?.to_owned();
    let client = store::client(&state.db, &iss).await.map_err(|_| JwsError::Server)?;
    let client = client.ok_or_else(|| invalid("unknown client"))?;
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(client.jwks.as_deref().ok_or_else(|| invalid("client has no keys"))?)
            .map_err(|_| invalid("client keys unreadable"))?;
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    }
    .ok_or_else(|| invalid("no matching key"))?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|_| invalid("client key unusable"))?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    // The audience is checked below: the library would accept an array holding it.
    validation.validate_aud = false;
    validation.set_issuer(&[&iss]);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(assertion, &key, &validation)
        .map_err(|e| invalid(&e.to_string()))?
        .claims;
    if claims["aud"].as_str() != Some(issuer(state).as_str()) {
        return Err(invalid("aud must be the issuer, as a single string"));
    }
    if claims["sub"].as_str() != Some(iss.as_str()) {
        return Err(invalid("sub must be the client"));
    }
    let names_a_document = claims.get("document").is_some();
    match use_ {
        AssertionUse::ClientAuthentication if names_a_document => {
            return Err(invalid("a real-name assertion does not authenticate a client"));
        }
        AssertionUse::RealName if !names_a_document => {
            return Err(invalid("a real-name assertion names a document"));
        }
        _ => {}
    }
    let exp = claims["exp"].as_i64().ok_or_else(|| invalid("exp must be a number"))?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if exp > now + ASSERTION_MAX_LIFETIME {
        return Err(invalid("expires too far in the future"));
    }
    let jti = claims["jti"].as_str().ok_or_else(|| invalid("no jti"))?;
    let expires = time::OffsetDateTime::from_unix_timestamp(exp).unwrap_or_else(|_| platform::db::now());
    if !store::use_jti(&state.db, &mac(state, "jti", &format!("{iss}:{jti}")), expires)
        .await
        .map_err(|_| JwsError::Server)?
    {
        return Err(invalid("assertion already used"));
    }
    Ok((client, claims))
}

// ---- authorization ----------------------------------------------------------

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

/// The identity level an `acr` value names.
pub fn level_of_acr(acr: &str) -> Option<IdentityLevel> {
    match acr {
        ACR_BASIC => Some(IdentityLevel::Basic),
        ACR_REAL_NAME => Some(IdentityLevel::RealName),
        _ => None,
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
    format!("/oauth/authorize?pending={}", crate::http::urlencode(token))
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

/// A choice the person makes on a pending request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// `prompt=select_account`: go on with the signed-in account.
    ThisAccount,
    /// Go on without the real-name identity the client asked for voluntarily.
    WithoutRealName,
}

impl Choice {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "this_account" => Some(Choice::ThisAccount),
            "without_real_name" => Some(Choice::WithoutRealName),
            _ => None,
        }
    }
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

fn amr(principal: &Principal) -> Vec<&'static str> {
    let mut methods = match principal.strength {
        AuthStrength::Password => vec!["pwd"],
        AuthStrength::TwoFactor => vec!["pwd", "otp", "mfa"],
        // User verification is required, so a passkey is two factors in one.
        AuthStrength::Passkey => vec!["hwk", "user", "mfa"],
    };
    // Signed in by another device's approval: that device's methods, and
    // RFC 8176's multiple-channel authentication for the approval itself.
    if principal.proven_on == platform::principal::ProvenOn::AnotherDevice {
        methods.push("mca");
    }
    methods
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

// ---- tokens -----------------------------------------------------------------

/// A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Only for a grant with `offline_access`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

#[derive(Debug, Serialize)]
struct IdTokenClaims<'a> {
    iss: String,
    sub: &'a str,
    aud: &'a str,
    azp: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    acr: &'static str,
    amr: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at_hash: Option<String>,
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `at_hash`: the left half of the SHA-256 of the access token.
fn at_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(access_token.as_bytes())[..16])
}

async fn account_level(state: &AppState, account_id: &str) -> Result<IdentityLevel, AppError> {
    let account = crate::store::account_by_id(&state.db, account_id).await?.ok_or_else(AppError::not_found)?;
    Ok(if account.level == "real_name" { IdentityLevel::RealName } else { IdentityLevel::Basic })
}

/// How a code row keeps the level it was issued at.
fn level_slug(level: IdentityLevel) -> &'static str {
    match level {
        IdentityLevel::Basic => "basic",
        IdentityLevel::RealName => "real_name",
    }
}

fn parse_level(slug: &str) -> Option<IdentityLevel> {
    match slug {
        "basic" => Some(IdentityLevel::Basic),
        "real_name" => Some(IdentityLevel::RealName),
        _ => None,
    }
}

fn acr(level: IdentityLevel) -> &'static str {
    match level {
        IdentityLevel::Basic => ACR_BASIC,
        IdentityLevel::RealName => ACR_REAL_NAME,
    }
}

fn sign_id_token(key: &keys::SigningKey, claims: &serde_json::Value) -> Result<String, AppError> {
    let (alg, encoding) = match key.alg {
        keys::Alg::Es256 => (jsonwebtoken::Algorithm::ES256, jsonwebtoken::EncodingKey::from_ec_der(&key.der)),
        keys::Alg::Rs256 => (jsonwebtoken::Algorithm::RS256, jsonwebtoken::EncodingKey::from_rsa_der(&key.der)),
    };
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &encoding).map_err(AppError::internal)
}

/// Issues an access token, with `refresh` a refresh token (same family,
/// living until the grant's absolute end) and, on the code grant, an ID
/// token.
#[allow(clippy::too_many_arguments)]
async fn issue_tokens(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    client_id: &str,
    account_id: &str,
    scopes: &str,
    family_id: &str,
    code_mac: Option<&str>,
    auth_time: i64,
    amr_list: &str,
    granted_at: time::OffsetDateTime,
    refresh: bool,
    id_token: Option<(&keys::SigningKey, Option<&str>, Option<IdentityLevel>)>,
) -> Result<TokenResponse, AppError> {
    let now = platform::db::now();
    let access = platform::crypto::random_token();
    let grant_ends = granted_at + crate::settings::of(state).refresh_token_lifetime();
    let row = |kind: &str, secret: &str, expires_at: time::OffsetDateTime| store::token::Model {
        token_mac: mac(state, "token", secret),
        kind: kind.to_owned(),
        client_id: client_id.to_owned(),
        account_id: account_id.to_owned(),
        scopes: scopes.to_owned(),
        family_id: family_id.to_owned(),
        code_mac: code_mac.map(str::to_owned),
        auth_time,
        amr: amr_list.to_owned(),
        expires_at,
        used_at: None,
        revoked_at: None,
        created_at: now,
        granted_at: Some(granted_at),
    };
    store::insert_token(txn, row("access", &access, now + ACCESS_TOKEN_LIFETIME)).await?;
    let refresh = if refresh {
        let token = platform::crypto::random_token();
        store::insert_token(txn, row("refresh", &token, grant_ends)).await?;
        Some(token)
    } else {
        None
    };
    let scope_list = parse_list(scopes);
    let id_token = if let Some((key, nonce, level)) = id_token {
        let level = match level {
            Some(level) => level,
            None => account_level(state, account_id).await?,
        };
        let sub = subject_for(state, client_id, account_id).await?;
        let iat = now.unix_timestamp();
        let claims = IdTokenClaims {
            iss: issuer(state),
            sub: &sub,
            aud: client_id,
            azp: client_id,
            exp: iat + ID_TOKEN_LIFETIME.whole_seconds(),
            iat,
            auth_time,
            nonce,
            acr: acr(level),
            amr: amr_list.split(' ').collect(),
            at_hash: Some(at_hash(&access)),
        };
        let mut claims = serde_json::to_value(&claims).map_err(AppError::internal)?;
        // Claims the `claims` parameter asked for in the ID token, as userinfo would release them.
        let wanted: Vec<&str> = scope_list.iter().filter_map(|s| s.strip_prefix("id_token:")).collect();
        if !wanted.is_empty() {
            let released = released_claims(state, client_id, account_id, &scope_list).await?;
            for (name, value) in released.as_object().into_iter().flatten() {
                let asked = wanted.contains(&name.as_str())
                    || (name == "email_verified" && wanted.contains(&"email"))
                    || (name == "phone_number_verified" && wanted.contains(&"phone_number"));
                if asked && name != "sub" {
                    claims[name] = value.clone();
                }
            }
        }
        Some(sign_id_token(key, &claims)?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_LIFETIME.whole_seconds(),
        id_token,
        refresh_token: refresh,
        scope: oauth_scope(&scope_list),
    })
}

/// The OAuth scopes among a grant's stored scopes, space-separated, as the
/// token response and introspection show them. The stored list also holds
/// our own markers (`claim:<field>` for a claim asked for by name,
/// `id_token:<claim>` for one asked for in the ID token), never shown.
pub(crate) fn oauth_scope(stored: &[String]) -> String {
    stored.iter().filter(|s| SCOPES.contains(&s.as_str())).cloned().collect::<Vec<_>>().join(" ")
}

/// The authorization-code grant.
pub async fn exchange_code(
    state: &AppState,
    client: &store::client::Model,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let server = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "token endpoint");
        OAuthError::new("server_error", "try again")
    };
    let grant = |d: &str| OAuthError::new("invalid_grant", d);
    let code_mac = mac(state, "code", code);
    // Before the transaction: creating the first key writes too.
    let alg = keys::Alg::parse(&client.id_token_alg).unwrap_or(keys::Alg::Es256);
    let key = keys::active_for(&state.db, &state.keys, Purpose::Oidc, alg).await.map_err(|e| server(&e))?;
    let txn = platform::db::begin_write(&state.db).await.map_err(|e| server(&e))?;
    let Some(row) = store::code(&txn, &code_mac).await.map_err(|e| server(&e))? else {
        return Err(grant("unknown authorization code"));
    };
    if !store::spend_code(&txn, &code_mac).await.map_err(|e| server(&e))? {
        // A replayed code: revoke the whole grant, including tokens from
        // later refreshes (RFC 6749 §4.1.2).
        store::revoke_grant(&txn, &code_mac).await.map_err(|e| server(&e))?;
        txn.commit().await.map_err(|e| server(&e))?;
        return Err(grant("authorization code already used"));
    }
    let checks = if row.client_id != client.client_id {
        Err(grant("code was issued to another client"))
    } else if platform::db::now() >= row.expires_at {
        Err(grant("authorization code expired"))
    } else if row.redirect_uri != redirect_uri {
        Err(grant("redirect_uri does not match the authorization request"))
    } else {
        match (&row.code_challenge, verifier) {
            (Some(challenge), Some(v)) if (43..=128).contains(&v.len()) && same(challenge, &s256(v)) => Ok(()),
            (Some(_), _) => Err(grant("PKCE verification failed")),
            (None, Some(_)) => Err(grant("no code_challenge was sent with the authorization request")),
            (None, None) => Ok(()),
        }
    };
    if let Err(e) = checks {
        txn.commit().await.map_err(|e| server(&e))?;
        return Err(e);
    }
    let family = uuid::Uuid::now_v7().to_string();
    let offline = parse_list(&row.scopes).iter().any(|s| s == OFFLINE_ACCESS);
    let response = issue_tokens(
        state,
        &txn,
        &row.client_id,
        &row.account_id,
        &row.scopes,
        &family,
        Some(&code_mac),
        row.auth_time,
        &row.amr,
        platform::db::now(),
        offline,
        Some((&key, row.nonce.as_deref(), row.level.as_deref().and_then(parse_level))),
    )
    .await
    .map_err(|e| server(&e))?;
    txn.commit().await.map_err(|e| server(&e))?;
    Ok(response)
}

/// The refresh-token grant, with rotation: a spent refresh token presented
/// again revokes its whole family.
pub async fn refresh(
    state: &AppState,
    client: &store::client::Model,
    refresh_token: &str,
) -> Result<TokenResponse, OAuthError> {
    let server = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "token endpoint");
        OAuthError::new("server_error", "try again")
    };
    let grant = |d: &str| OAuthError::new("invalid_grant", d);
    let token_mac = mac(state, "token", refresh_token);
    let txn = platform::db::begin_write(&state.db).await.map_err(|e| server(&e))?;
    let Some(row) = store::token(&txn, &token_mac).await.map_err(|e| server(&e))?.filter(|t| t.kind == "refresh")
    else {
        return Err(grant("unknown refresh token"));
    };
    if row.client_id != client.client_id {
        return Err(grant("refresh token was issued to another client"));
    }
    if row.revoked_at.is_some() || platform::db::now() >= expires_at(state, &row) {
        return Err(grant("refresh token expired or revoked"));
    }
    if !store::spend_refresh(&txn, &token_mac).await.map_err(|e| server(&e))? {
        store::revoke_family(&txn, &row.family_id).await.map_err(|e| server(&e))?;
        platform::audit::record(
            &txn,
            &state.keys,
            platform::audit::AuditEntry::new("system", "oidc.refresh_reuse", format!("client:{}", row.client_id)),
        )
        .await
        .map_err(|e| server(&e))?;
        txn.commit().await.map_err(|e| server(&e))?;
        return Err(grant("refresh token already used; its tokens are revoked"));
    }
    let response = issue_tokens(
        state,
        &txn,
        &row.client_id,
        &row.account_id,
        &row.scopes,
        &row.family_id,
        None,
        row.auth_time,
        &row.amr,
        granted_at(&row),
        true,
        None,
    )
    .await
    .map_err(|e| server(&e))?;
    txn.commit().await.map_err(|e| server(&e))?;
    Ok(response)
}

/// When a token's grant was made: rows an older server wrote during an
/// upgrade have no grant time, and count from their own creation.
fn granted_at(token: &store::token::Model) -> time::OffsetDateTime {
    token.granted_at.unwrap_or(token.created_at)
}

/// When a token stops working: its own expiry, and for a refresh token at
/// the latest the grant's absolute end under the current settings (a
/// shortened lifetime applies to tokens already issued).
pub(crate) fn expires_at(state: &AppState, token: &store::token::Model) -> time::OffsetDateTime {
    if token.kind != "refresh" {
        return token.expires_at;
    }
    token.expires_at.min(granted_at(token) + crate::settings::of(state).refresh_token_lifetime())
}

/// A live token, for userinfo and introspection.
pub async fn live_token(state: &AppState, token: &str) -> Result<Option<store::token::Model>, AppError> {
    let row = store::token(&state.db, &mac(state, "token", token)).await?;
    let now = platform::db::now();
    Ok(row.filter(|t| t.revoked_at.is_none() && t.used_at.is_none() && now < expires_at(state, t)))
}

/// Revokes `token` if it belongs to `client` (RFC 7009: unknown tokens are fine).
pub async fn revoke(state: &AppState, client: &store::client::Model, token: &str) -> Result<(), AppError> {
    let Some(row) = store::token(&state.db, &mac(state, "token", token)).await? else { return Ok(()) };
    if row.client_id != client.client_id {
        return Ok(());
    }
    let txn = platform::db::begin_write(&state.db).await?;
    if row.kind == "refresh" {
        store::revoke_family(&txn, &row.family_id).await?;
    } else {
        sea_orm::EntityTrait::update(store::token::ActiveModel {
            token_mac: sea_orm::ActiveValue::Set(row.token_mac.clone()),
            revoked_at: sea_orm::ActiveValue::Set(Some(platform::db::now())),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The claims userinfo returns for a token's scopes.
pub async fn userinfo(state: &AppState, token: &store::token::Model) -> Result<serde_json::Value, AppError> {
    released_claims(state, &token.client_id, &token.account_id, &parse_list(&token.scopes)).await
}

/// What `client_id` may know of the account within `scopes`: e-mail, and
/// the profile fields the person still allows this client.
async fn released_claims(
    state: &AppState,
    client_id: &str,
    account_id: &str,
    scopes: &[String],
) -> Result<serde_json::Value, AppError> {
    let account = crate::store::account_by_id(&state.db, account_id).await?.ok_or_else(AppError::not_found)?;
    let mut claims = serde_json::json!({ "sub": subject_for(state, client_id, &account.id).await? });
    if let (true, Some(email)) = (scopes.iter().any(|s| s == "email"), &account.email) {
        claims["email"] = email.clone().into();
        claims["email_verified"] = account.email_verified_at.is_some().into();
    }
    // Profile fields: only those the person still allows this client, within the token's scopes.
    let allowed =
        store::consent(&state.db, account_id, client_id).await?.map(|c| parse_list(&c.fields)).unwrap_or_default();
    let values = crate::profile::values(&state.db, &account.person_id).await?;
    for field in crate::profile::fields_for(scopes) {
        let Some(v) = values.iter().find(|v| v.field == field.slug).filter(|_| allowed.iter().any(|a| a == field.slug))
        else {
            continue;
        };
        claims[field.claim] = match field.slug {
            "address" => serde_json::json!({ "formatted": v.value }),
            _ => v.value.clone().into(),
        };
        if field.slug == "phone_number" {
            // Verified only when it is the mobile number the account proved by SMS code.
            let proven = account.phone_verified_at.is_some() && account.phone.as_deref() == Some(v.value.as_str());
            claims["phone_number_verified"] = proven.into();
        }
    }
    Ok(claims)
}

/// Checks an ID token we issued (for logout's `id_token_hint`): signature
/// with any published key, issuer; expiry is not required.
pub async fn verify_id_token_hint(state: &AppState, token: &str) -> Option<(String, String)> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    let kid = header.kid?;
    let jwk = keys::published(&state.db, Purpose::Oidc).await.ok()?.into_iter().find(|k| k.kid == kid)?;
    let (key, alg) = match (&jwk.x, &jwk.y, &jwk.n, &jwk.e) {
        (Some(x), Some(y), _, _) => {
            (jsonwebtoken::DecodingKey::from_ec_components(x, y).ok()?, jsonwebtoken::Algorithm::ES256)
        }
        (_, _, Some(n), Some(e)) => {
            (jsonwebtoken::DecodingKey::from_rsa_components(n, e).ok()?, jsonwebtoken::Algorithm::RS256)
        }
        _ => return None,
    };
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_issuer(&[issuer(state)]);
    validation.set_required_spec_claims(&["iss", "sub", "aud"]);
    #[derive(Deserialize)]
    struct Hint {
        sub: String,
        aud: String,
    }
    let data = jsonwebtoken::decode::<Hint>(token, &key, &validation).ok()?;
    Some((data.claims.sub, data.claims.aud))
}

/// The parameters of an RP-initiated logout request (RP-Initiated Logout
/// 1.0 §2), from the query or, confirmed, from our own form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

/// A checked logout request.
#[derive(Debug)]
pub struct LogoutRequest {
    /// The client the hint or `client_id` names, if registered.
    pub client: Option<store::client::Model>,
    /// The `sub` of a valid `id_token_hint` issued to that client.
    pub hint_sub: Option<String>,
    /// Where to send the person afterwards: a post-logout redirect URI
    /// registered for the client, with `state`.
    pub target: Option<String>,
}

impl LogoutRequest {
    /// Whether the hint proves the request comes from the client that the
    /// signed-in person uses: its `sub` is the one that client sees for
    /// `account_id` (pairwise or public). Only then may a GET sign out.
    pub fn hint_names(&self, state: &AppState, account_id: &str) -> bool {
        match (&self.client, &self.hint_sub) {
            (Some(client), Some(sub)) => same(&subject(state, client, account_id), sub),
            _ => false,
        }
    }
}

/// Checks a logout request: a hint must be our own ID token (any published
/// key, our issuer; expiry is not required) and agree with `client_id`; a
/// `post_logout_redirect_uri` must be registered for the client the hint
/// or `client_id` names. The error is the message key of our error page
/// (no redirect: the target cannot be trusted).
pub async fn logout_request(state: &AppState, params: &LogoutParams) -> Result<LogoutRequest, &'static str> {
    let hint = match &params.id_token_hint {
        Some(t) => verify_id_token_hint(state, t).await,
        None => None,
    };
    if let (Some((_, hinted)), Some(given)) = (&hint, &params.client_id)
        && hinted != given
    {
        return Err("oidc-error-logout");
    }
    let client_id = hint.as_ref().map(|(_, aud)| aud.clone()).or_else(|| params.client_id.clone());
    let client = match &client_id {
        Some(id) => store::client(&state.db, id).await.map_err(|_| "oidc-error-server")?,
        None => None,
    };
    let target = match &params.post_logout_redirect_uri {
        None => None,
        Some(uri) => {
            let registered =
                client.as_ref().is_some_and(|c| parse_list(&c.post_logout_redirect_uris).iter().any(|u| u == uri));
            let mut url = url::Url::parse(uri).ok().filter(|_| registered).ok_or("oidc-error-logout")?;
            if let Some(s) = &params.state {
                url.query_pairs_mut().append_pair("state", s);
            }
            Some(url.into())
        }
    };
    let hint_sub = hint.filter(|_| client.is_some()).map(|(sub, _)| sub);
    Ok(LogoutRequest { client, hint_sub, target })
}

/// The discovery document (OpenID Connect Discovery 1.0).
pub fn discovery(state: &AppState) -> serde_json::Value {
    let iss = issuer(state);
    serde_json::json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth/authorize"),
        "token_endpoint": format!("{iss}/oauth/token"),
        "userinfo_endpoint": format!("{iss}/oauth/userinfo"),
        "jwks_uri": format!("{iss}/oauth/jwks"),
        "end_session_endpoint": format!("{iss}/oauth/logout"),
        "revocation_endpoint": format!("{iss}/oauth/revoke"),
        "introspection_endpoint": format!("{iss}/oauth/introspect"),
        "pushed_authorization_request_endpoint": format!("{iss}/oauth/par"),
        "require_pushed_authorization_requests": false,
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "email", "email_verified", "name", "name#zh-Hant", "birthdate", "address", "phone_number", "phone_number_verified"],
        "acr_values_supported": [ACR_BASIC, ACR_REAL_NAME],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ["en", "zh-HK", "zh-CN"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_example() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn redirect_uris_must_be_https_or_local() {
        assert!(acceptable_redirect("https://rp.example.org/cb"));
        assert!(acceptable_redirect("http://127.0.0.1:9000/cb"));
        assert!(acceptable_redirect("http://localhost/cb"));
        assert!(!acceptable_redirect("http://rp.example.org/cb"));
        assert!(!acceptable_redirect("https://rp.example.org/cb#frag"));
        assert!(!acceptable_redirect("/relative"));
    }
}
