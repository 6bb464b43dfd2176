//! The token endpoint's grants: code exchange with PKCE, refresh with
//! rotation and reuse detection, ID token signing, revocation (RFC 7009)
//! and the live-token check introspection and userinfo rest on.

use super::claims::{account_level, acr, parse_level, released_claims, subject_for};
use super::live::{expires_with, granted_at};
use super::provider::{issuer, mac};
use super::store::token::Kind;
use super::{ACCESS_TOKEN_LIFETIME, ID_TOKEN_LIFETIME, OAuthError, OFFLINE_ACCESS, parse_list, store};
use crate::model;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use platform::app::AppState;
use platform::error::AppError;
use platform::keys::{self, Purpose};
use platform::principal::IdentityLevel;
use serde::Serialize;
use sha2::{Digest, Sha256};

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
    let row = |kind: Kind, secret: &str, expires_at: time::OffsetDateTime| store::token::Model {
        token_mac: mac(state, "token", secret),
        kind,
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
    store::insert_token(txn, row(Kind::Access, &access, now + ACCESS_TOKEN_LIFETIME)).await?;
    let refresh = if refresh {
        let token = platform::crypto::random_token();
        store::insert_token(txn, row(Kind::Refresh, &token, grant_ends)).await?;
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
/// token response and introspection show them.
pub(crate) fn oauth_scope(stored: &[String]) -> String {
    oauth_scopes(stored).join(" ")
}

/// The OAuth scopes among a grant's stored scopes. The stored list also
/// holds our own markers (`claim:<field>` for a claim asked for by name,
/// `id_token:<claim>` for one asked for in the ID token), never shown: a
/// scope's name never holds a `:` (`platform::module::OAuthScope`), and
/// only scopes offered when the client was registered are ever granted.
pub(crate) fn oauth_scopes(stored: &[String]) -> Vec<String> {
    stored.iter().filter(|s| !s.contains(':')).cloned().collect()
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
            (Some(challenge), Some(v)) if (43..=128).contains(&v.len()) && model::same(challenge, &s256(v)) => Ok(()),
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

/// What a refresh did in the database.
enum Rotated {
    /// The refresh token was spent (here as spent) and two new tokens stored.
    Issued(Box<store::token::Model>),
    /// A spent refresh token came again: its family is revoked, audited.
    Reused,
}

/// Why a refresh wrote nothing (its savepoint rolled back), or failed.
enum RotateError {
    Refused(&'static str),
    Db(sea_orm::DbErr),
    Audit(platform::audit::AuditError),
}

impl From<sea_orm::DbErr> for RotateError {
    fn from(e: sea_orm::DbErr) -> Self {
        RotateError::Db(e)
    }
}

/// The refresh-token grant, with rotation: a spent refresh token presented
/// again revokes its whole family. One write job (`state.writer`: a group
/// commit on SQLite), answered once it is committed; the MACs and the new
/// tokens are made before it, so the job only runs its statements: the
/// spend (`UPDATE … RETURNING`) and one insert of both new tokens.
pub async fn refresh(
    state: &AppState,
    client: &store::client::Model,
    refresh_token: &str,
) -> Result<TokenResponse, OAuthError> {
    let spent_mac = mac(state, "token", refresh_token);
    let access = platform::crypto::random_token();
    let refresh = platform::crypto::random_token();
    let (access_mac, refresh_mac) = (mac(state, "token", &access), mac(state, "token", &refresh));
    let lifetime = crate::settings::of(state).refresh_token_lifetime();
    let client_id = client.client_id.clone();
    let keys = state.keys.clone();
    let now = platform::db::now();
    let written = state.writer.write(move |txn| {
        Box::pin(async move {
            let Some(row) = store::spend_refresh_returning(txn, &spent_mac, now).await? else {
                return refused_refresh(txn, &keys, &spent_mac, &client_id, lifetime, now).await;
            };
            // Rolled back if refused: the token stays as it was.
            if row.client_id != client_id {
                return Err(RotateError::Refused("refresh token was issued to another client"));
            }
            if now >= expires_with(lifetime, &row) {
                return Err(RotateError::Refused("refresh token expired or revoked"));
            }
            let granted_at = granted_at(&row);
            let new = |kind: Kind, token_mac: String, expires_at: time::OffsetDateTime| store::token::Model {
                token_mac,
                kind,
                client_id: row.client_id.clone(),
                account_id: row.account_id.clone(),
                scopes: row.scopes.clone(),
                family_id: row.family_id.clone(),
                code_mac: None,
                auth_time: row.auth_time,
                amr: row.amr.clone(),
                expires_at,
                used_at: None,
                revoked_at: None,
                created_at: now,
                granted_at: Some(granted_at),
            };
            store::insert_tokens(
                txn,
                [
                    new(Kind::Access, access_mac, now + ACCESS_TOKEN_LIFETIME),
                    new(Kind::Refresh, refresh_mac, granted_at + lifetime),
                ],
            )
            .await?;
            Ok(Rotated::Issued(Box::new(row)))
        })
    });
    match written.await {
        Ok(Rotated::Issued(row)) => Ok(TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_LIFETIME.whole_seconds(),
            id_token: None,
            refresh_token: Some(refresh),
            scope: oauth_scope(&parse_list(&row.scopes)),
        }),
        Ok(Rotated::Reused) => {
            Err(OAuthError::new("invalid_grant", "refresh token already used; its tokens are revoked"))
        }
        Err(RotateError::Refused(why)) => Err(OAuthError::new("invalid_grant", why)),
        Err(RotateError::Db(e)) => {
            tracing::error!(error = %e, "token endpoint");
            Err(OAuthError::new("server_error", "try again"))
        }
        Err(RotateError::Audit(e)) => {
            tracing::error!(error = %e, "token endpoint");
            Err(OAuthError::new("server_error", "try again"))
        }
    }
}

/// A refresh token that could not be spent: unknown, another client's,
/// revoked or expired (refused, nothing written), or spent already (a
/// replay: its family is revoked and the reuse audited).
async fn refused_refresh(
    txn: &sea_orm::DatabaseTransaction,
    keys: &platform::crypto::Keys,
    token_mac: &str,
    client_id: &str,
    lifetime: time::Duration,
    now: time::OffsetDateTime,
) -> Result<Rotated, RotateError> {
    let Some(row) = store::token(txn, token_mac).await?.filter(|t| t.kind == Kind::Refresh) else {
        return Err(RotateError::Refused("unknown refresh token"));
    };
    if row.client_id != client_id {
        return Err(RotateError::Refused("refresh token was issued to another client"));
    }
    if row.revoked_at.is_some() || now >= expires_with(lifetime, &row) {
        return Err(RotateError::Refused("refresh token expired or revoked"));
    }
    store::revoke_family(txn, &row.family_id).await?;
    let entry = platform::audit::AuditEntry::new("system", "oidc.refresh_reuse", format!("client:{}", row.client_id));
    platform::audit::record(txn, keys, entry).await.map_err(RotateError::Audit)?;
    Ok(Rotated::Reused)
}

/// Revokes `token` if it belongs to `client` (RFC 7009: unknown tokens are fine).
pub async fn revoke(state: &AppState, client: &store::client::Model, token: &str) -> Result<(), AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(row) = store::token(&txn, &mac(state, "token", token)).await? else { return Ok(()) };
    if row.client_id != client.client_id {
        return Ok(());
    }
    match row.kind {
        Kind::Refresh => store::revoke_family(&txn, &row.family_id).await?,
        Kind::Access => store::revoke_token(&txn, &row.token_mac).await?,
    };
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_example() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
