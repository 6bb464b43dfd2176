//! Registering OpenID Connect clients (relying parties): names, redirect
//! URIs, scopes, secrets or JWK Sets, and pairwise subjects.

use super::claims::sector_of;
use super::provider::mac;
use super::{SOURCE_SCOPE, json_list, store};
use platform::app::AppState;
use serde::Serialize;

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
    #[error("--scope {scope:?}: not offered (offered: {offered})")]
    Scope { scope: String, offered: String },
    #[error(
        "--pairwise: every --redirect-uri must be on one host (the sector that pairwise subjects are computed for)"
    )]
    PairwiseHosts,
    #[error("--jwks-file: {0}")]
    Jwks(String),
    #[error("{0}")]
    Internal(String),
}

/// Whether the provider offers OAuth scope `name`: identity's own and every
/// other module's (`state.oauth_scopes`).
fn offered(state: &AppState, name: &str) -> bool {
    state.oauth_scopes.iter().any(|s| s.name == name)
}

fn acceptable_redirect(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else { return false };
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    url.fragment().is_none() && (url.scheme() == "https" || (url.scheme() == "http" && local))
}

/// Registers a client (the command line's `lionrock clients create`), audited as the system's act.
pub async fn create_client(state: &AppState, new: NewClient) -> Result<CreatedClient, ClientError> {
    let (model, created) = client_row(state, new)?;
    store::insert_client_by(state, model, "system").await.map_err(|e| ClientError::Internal(e.to_string()))?;
    Ok(created)
}

/// Registers a client on the administrators' page, audited as the act of
/// the account `admin`.
pub(crate) async fn create_client_by(
    state: &AppState,
    new: NewClient,
    admin: &str,
) -> Result<CreatedClient, ClientError> {
    let (model, created) = client_row(state, new)?;
    let actor = format!("account:{admin}");
    store::insert_client_by(state, model, &actor).await.map_err(|e| ClientError::Internal(e.to_string()))?;
    Ok(created)
}

/// The row of a client to register, once `new` checks out, and what its
/// registrar is shown.
fn client_row(state: &AppState, new: NewClient) -> Result<(store::client::Model, CreatedClient), ClientError> {
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
        if !offered(state, s) && s != SOURCE_SCOPE {
            let names: Vec<&str> = state.oauth_scopes.iter().map(|o| o.name).chain([SOURCE_SCOPE]).collect();
            return Err(ClientError::Scope { scope: s.clone(), offered: names.join(", ") });
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
    Ok((model, CreatedClient { client_id, client_secret: secret }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
