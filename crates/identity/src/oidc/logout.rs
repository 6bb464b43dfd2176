//! RP-initiated logout: checking `id_token_hint` and the post-logout
//! redirect.

use super::claims::subject;
use super::provider::issuer;
use super::{parse_list, store};
use crate::model;
use platform::app::AppState;
use platform::keys::{self, Purpose};
use serde::Deserialize;

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
            (Some(client), Some(sub)) => model::same(&subject(state, client, account_id), sub),
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
