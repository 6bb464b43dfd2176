//! The OpenID Connect provider: clients, the authorization-code flow with
//! PKCE, ID tokens signed with the platform's ES256 keys, userinfo, refresh
//! tokens with rotation and reuse detection, revocation (RFC 7009),
//! introspection (RFC 7662) and RP-initiated logout. Errors are answered
//! exactly as the specifications say (redirect, JSON body, or
//! `WWW-Authenticate`), not as problem details.

pub(crate) mod admin;
mod authorize;
mod bearer;
mod claims;
mod client_auth;
mod clients;
mod discovery;
pub(crate) mod http;
mod live;
mod logout;
mod provider;
pub mod store;
mod token;

use platform::module::OAuthScope;
use time::Duration;

pub use authorize::{
    AcrRequest, AuthError, AuthParams, AuthRequest, Next, PAR_LIFETIME, PENDING_LIFETIME, Progress, choose, decline,
    error_redirect, held_params, held_request, hold, issue_code, next_step, pending_url, push, pushed, take_pushed,
    validate,
};
pub(crate) use authorize::{HeldQuery, return_origin};
pub(crate) use bearer::Bearers;
pub use claims::{level_of_acr, subject, userinfo};
pub(crate) use client_auth::{AssertionUse, JwsError, authenticate_client_with_token, verify_client_jws};
pub use client_auth::{ClientAuth, authenticate_client};
pub use clients::{ClientError, CreatedClient, NewClient, create_client};
pub use discovery::discovery;
pub(crate) use live::{expires_at, is_live};
pub use logout::{LogoutParams, LogoutRequest, logout_request, verify_id_token_hint};
pub(crate) use token::oauth_scope;
pub use token::{TokenResponse, exchange_code, refresh, revoke};

pub const CODE_LIFETIME: Duration = Duration::seconds(60);
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(10);
pub const ID_TOKEN_LIFETIME: Duration = Duration::minutes(10);
/// How long a rotated-out signing key must stay published.
pub const KEY_KEEP: Duration = Duration::days(1);

pub const ACR_BASIC: &str = "urn:lionrock:loa:basic";
pub const ACR_REAL_NAME: &str = "urn:lionrock:loa:real_name";
/// OpenID Connect's scopes, which identity declares as its module's OAuth
/// scopes: the provider offers these and every other module's
/// (`state.oauth_scopes`), one list.
pub const SCOPES: [OAuthScope; 6] = [
    OAuthScope { name: "openid", consent_key: "consent-scope-openid" },
    OAuthScope { name: "email", consent_key: "consent-scope-email" },
    OAuthScope { name: "profile", consent_key: "consent-scope-profile" },
    OAuthScope { name: "address", consent_key: "consent-scope-address" },
    OAuthScope { name: "phone", consent_key: "consent-scope-phone" },
    OAuthScope { name: OFFLINE_ACCESS, consent_key: "consent-scope-offline_access" },
];
/// The scope that asks for a refresh token (OIDC Core §11). Honoured only
/// for a client allowed it, and only when the person allowed it on the
/// consent page in the same authorization (which `prompt=consent` makes
/// sure of); otherwise it is ignored and no refresh token is issued.
pub const OFFLINE_ACCESS: &str = "offline_access";
/// Not a scope a resident grants: the permission of a trusted source (an
/// immigration or registration office) to assert real-name identities.
pub const SOURCE_SCOPE: &str = "real_name_source";

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) fn parse_list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
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
