//! Client authentication at the token endpoint: secrets, public clients
//! and `private_key_jwt` assertions, and the JWS checks clients' signed
//! JWTs share.

use super::provider::{issuer, mac};
use super::{OAuthError, store};
use crate::model;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use platform::app::AppState;

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

pub async fn authenticate_client(state: &AppState, auth: &ClientAuth) -> Result<store::client::Model, OAuthError> {
    let id = match auth {
        ClientAuth::Assertion { id, assertion } => {
            return authenticate_assertion(state, id.as_deref(), assertion).await;
        }
        ClientAuth::Basic { id, .. } | ClientAuth::Post { id, .. } | ClientAuth::None { id } => id,
    };
    let client = store::client(&state.db, id).await.map_err(|_| OAuthError::new("server_error", "try again"))?;
    checked_secret(state, auth, client)
}

/// [`authenticate_client`], and the token `token` whoever it was issued
/// to (introspection): for a client with a secret, one query for both.
pub(crate) async fn authenticate_client_with_token(
    state: &AppState,
    auth: &ClientAuth,
    token: &str,
) -> Result<(store::client::Model, Option<store::token::Model>), OAuthError> {
    let server = |_| OAuthError::new("server_error", "try again");
    let token_mac = mac(state, "token", token);
    let id = match auth {
        ClientAuth::Assertion { id, assertion } => {
            let client = authenticate_assertion(state, id.as_deref(), assertion).await?;
            return Ok((client, store::token(&state.db, &token_mac).await.map_err(server)?));
        }
        ClientAuth::Basic { id, .. } | ClientAuth::Post { id, .. } | ClientAuth::None { id } => id,
    };
    let found = store::client_with_token(&state.db, id, &token_mac).await.map_err(server)?;
    let (client, token) = found.map_or((None, None), |(c, t)| (Some(c), t));
    Ok((checked_secret(state, auth, client)?, token))
}

/// The client found for `auth`, if its secret (or, for a public client, the
/// lack of one) matches.
fn checked_secret(
    state: &AppState,
    auth: &ClientAuth,
    client: Option<store::client::Model>,
) -> Result<store::client::Model, OAuthError> {
    let (id, secret, basic) = match auth {
        ClientAuth::Basic { id, secret } => (id, Some(secret), true),
        ClientAuth::Post { id, secret } => (id, Some(secret), false),
        ClientAuth::None { id } => (id, None, false),
        ClientAuth::Assertion { .. } => return Err(OAuthError::new("invalid_client", "client authentication failed")),
    };
    let invalid =
        || OAuthError { basic_challenge: basic, ..OAuthError::new("invalid_client", "client authentication failed") };
    let Some(client) = client else { return Err(invalid()) };
    match (&client.secret_mac, secret) {
        (Some(expected), Some(secret))
            if model::same(expected, &mac(state, "client-secret", &format!("{id}:{secret}"))) =>
        {
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
