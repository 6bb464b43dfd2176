//! This server as the provider: its issuer identifier, and the MACs under
//! which it keeps the secrets it hands out (codes, tokens, client secrets,
//! pushed and pending request IDs, assertion IDs), never the secrets.

use platform::app::AppState;

/// The issuer identifier: the public URL.
pub(crate) fn issuer(state: &AppState) -> String {
    state.public_url()
}

/// The MAC a secret of `kind` is stored and looked up under.
pub(crate) fn mac(state: &AppState, kind: &str, secret: &str) -> String {
    state.keys.blind_index(&format!("oidc.{kind}"), secret)
}
