//! What a client learns about a person: subjects (public or pairwise),
//! identity levels as `acr`, authentication methods as `amr`, and the
//! claims userinfo and ID tokens release.

use super::{ACR_BASIC, ACR_REAL_NAME, parse_list, store};
use platform::app::AppState;
use platform::error::AppError;
use platform::principal::{AuthStrength, IdentityLevel, Principal};

/// The one host all `redirect_uris` share: the sector of pairwise subjects.
pub(super) fn sector_of(redirect_uris: &[String]) -> Option<String> {
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
pub(super) async fn subject_for(state: &AppState, client_id: &str, account_id: &str) -> Result<String, AppError> {
    let client = store::client(&state.db, client_id).await?.ok_or_else(AppError::not_found)?;
    Ok(subject(state, &client, account_id))
}

/// The identity level an `acr` value names.
pub fn level_of_acr(acr: &str) -> Option<IdentityLevel> {
    match acr {
        ACR_BASIC => Some(IdentityLevel::Basic),
        ACR_REAL_NAME => Some(IdentityLevel::RealName),
        _ => None,
    }
}

pub(super) fn amr(principal: &Principal) -> Vec<&'static str> {
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

pub(super) async fn account_level(state: &AppState, account_id: &str) -> Result<IdentityLevel, AppError> {
    let account = crate::store::account_by_id(&state.db, account_id).await?.ok_or_else(AppError::not_found)?;
    Ok(account.level.identity_level())
}

/// How a code row keeps the level it was issued at.
pub(super) fn level_slug(level: IdentityLevel) -> &'static str {
    match level {
        IdentityLevel::Basic => "basic",
        IdentityLevel::RealName => "real_name",
    }
}

pub(super) fn parse_level(slug: &str) -> Option<IdentityLevel> {
    match slug {
        "basic" => Some(IdentityLevel::Basic),
        "real_name" => Some(IdentityLevel::RealName),
        _ => None,
    }
}

pub(super) fn acr(level: IdentityLevel) -> &'static str {
    match level {
        IdentityLevel::Basic => ACR_BASIC,
        IdentityLevel::RealName => ACR_REAL_NAME,
    }
}

/// The claims userinfo answers for a live access token (`None` for any
/// other token), from one query.
pub async fn userinfo(state: &AppState, token: &str) -> Result<Option<serde_json::Value>, AppError> {
    let Some((token, released)) =
        store::token_with_released(&state.db, &super::provider::mac(state, "token", token)).await?
    else {
        return Ok(None);
    };
    if token.kind != store::token::Kind::Access || !super::live::is_live(state, &token) {
        return Ok(None);
    }
    Ok(Some(claims_of(state, &released, &parse_list(&token.scopes))))
}

/// What `client_id` may know of the account within `scopes`, as userinfo
/// would release it (the ID token's requested claims).
pub(super) async fn released_claims(
    state: &AppState,
    client_id: &str,
    account_id: &str,
    scopes: &[String],
) -> Result<serde_json::Value, AppError> {
    let released = store::released(&state.db, client_id, account_id).await?.ok_or_else(AppError::not_found)?;
    Ok(claims_of(state, &released, scopes))
}

/// The claims of `released` within `scopes`: the subject, e-mail, and the
/// profile fields the person still allows this client.
fn claims_of(state: &AppState, released: &store::Released, scopes: &[String]) -> serde_json::Value {
    let account = &released.account;
    let mut claims = serde_json::json!({ "sub": subject(state, &released.client, &account.id) });
    if let (true, Some(email)) = (scopes.iter().any(|s| s == "email"), &account.email) {
        claims["email"] = email.clone().into();
        claims["email_verified"] = account.email_verified_at.is_some().into();
    }
    // Profile fields: only those the person still allows this client, within the token's scopes.
    let allowed = released.consented_fields.as_deref().map(parse_list).unwrap_or_default();
    for field in crate::profile::fields_for(scopes) {
        let Some((_, value)) = released
            .profile
            .iter()
            .find(|(slug, _)| slug == field.slug)
            .filter(|_| allowed.iter().any(|a| a == field.slug))
        else {
            continue;
        };
        claims[field.claim] = match field.slug {
            "address" => serde_json::json!({ "formatted": value }),
            _ => value.clone().into(),
        };
        if field.slug == "phone_number" {
            // Verified only when it is the mobile number the account proved by SMS code.
            let proven = account.phone_verified_at.is_some() && account.phone.as_deref() == Some(value.as_str());
            claims["phone_number_verified"] = proven.into();
        }
    }
    claims
}
