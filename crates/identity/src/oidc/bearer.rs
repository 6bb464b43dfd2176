//! Identity's side of the platform's bearer-token service: the access
//! token an app presents under `/api/` → the `Principal` it acts as (the
//! account's, through the token's grant: resident powers only, limited to
//! its scopes), looked up by MAC on every request, so a revocation applies
//! at once on every server.

use platform::app::AppState;
use platform::contracts::BoxFuture;
use platform::error::AppError;
use platform::principal::{AccountId, AuthStrength, Grant, Principal, Role};

use super::parse_list;
use super::store::token::Kind;
use crate::store::account;

/// The proof behind a grant, from the `amr` it recorded: the strength and
/// whether another device approved the sign-in (as `claims::amr` writes it).
fn proof(amr: &str) -> (AuthStrength, bool) {
    let methods: Vec<&str> = amr.split(' ').collect();
    let strength = if methods.contains(&"hwk") {
        AuthStrength::Passkey
    } else if methods.contains(&"otp") {
        AuthStrength::TwoFactor
    } else {
        AuthStrength::Password
    };
    (strength, methods.contains(&"mca"))
}

/// The principal behind a live access token whose account is active: the
/// token and its account in one query.
pub(crate) async fn principal(state: &AppState, token: &str) -> Result<Option<Principal>, AppError> {
    let found = super::store::token_with_account(&state.db, &super::provider::mac(state, "token", token)).await?;
    let Some((token, account)) = found.filter(|(t, a)| {
        t.kind == Kind::Access && a.status == account::Status::Active && super::live::is_live(state, t)
    }) else {
        return Ok(None);
    };
    let id = AccountId(uuid::Uuid::parse_str(&account.id).map_err(AppError::internal)?);
    let level = account.level.identity_level();
    // The app gets resident powers only (`Principal::through` drops the rest).
    let roles = vec![Role::Resident];
    let (strength, approved_elsewhere) = proof(&token.amr);
    let person = if approved_elsewhere {
        Principal::approved_on_another_device(id, level, roles, strength, token.auth_time)
    } else {
        Principal::new(id, level, roles, strength, token.auth_time)
    };
    let scopes = super::token::oauth_scopes(&parse_list(&token.scopes));
    Ok(Some(person.through(Grant { client: token.client_id, scopes })))
}

/// The provider registered in identity's `Module::contracts`.
pub(crate) struct Bearers;

impl platform::contracts::Bearers for Bearers {
    fn principal<'a>(
        &'a self,
        state: &'a AppState,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Option<Principal>, AppError>> {
        Box::pin(principal(state, token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strength_is_the_one_the_grant_recorded() {
        assert_eq!(proof("pwd"), (AuthStrength::Password, false));
        assert_eq!(proof("pwd otp mfa"), (AuthStrength::TwoFactor, false));
        assert_eq!(proof("hwk user mfa"), (AuthStrength::Passkey, false));
        assert_eq!(proof("pwd otp mfa mca"), (AuthStrength::TwoFactor, true));
        assert_eq!(proof(""), (AuthStrength::Password, false), "nothing recorded proves nothing more than a password");
    }
}
