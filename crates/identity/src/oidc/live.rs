//! Whether an OAuth token still works, and until when: the rule the token
//! endpoint, userinfo, introspection and bearer look-ups share (no I/O; the
//! row is read by the caller on every use, so a revocation holds at once on
//! every server).

use platform::app::AppState;

use super::store;
use super::store::token::Kind;

/// When a token's grant was made: rows an older server wrote during an
/// upgrade have no grant time, and count from their own creation.
pub(super) fn granted_at(token: &store::token::Model) -> time::OffsetDateTime {
    token.granted_at.unwrap_or(token.created_at)
}

/// When a token stops working: its own expiry, and for a refresh token at
/// the latest the grant's absolute end under the current settings (a
/// shortened lifetime applies to tokens already issued).
pub(crate) fn expires_at(state: &AppState, token: &store::token::Model) -> time::OffsetDateTime {
    expires_with(crate::settings::of(state).refresh_token_lifetime(), token)
}

/// [`expires_at`] under a refresh-token lifetime.
pub(super) fn expires_with(lifetime: time::Duration, token: &store::token::Model) -> time::OffsetDateTime {
    if token.kind != Kind::Refresh {
        return token.expires_at;
    }
    token.expires_at.min(granted_at(token) + lifetime)
}

/// Whether a token still works: neither revoked nor spent nor expired. Read
/// from the database on every use, so a revocation holds at once everywhere.
pub(crate) fn is_live(state: &AppState, token: &store::token::Model) -> bool {
    token.revoked_at.is_none() && token.used_at.is_none() && platform::db::now() < expires_at(state, token)
}
