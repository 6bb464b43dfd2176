//! Publishers: the accounts that may write an organisation's datasets (a
//! membership per organisation, opendata's own), and their CKAN API tokens.
//! A token is shown once when made and kept only as a domain-separated MAC;
//! it names an account, and what the account may do is decided by its
//! memberships at the time of each request, so removing a publisher or
//! revoking a token holds at once on every server.

pub mod store;

/// What every token starts with: scanners of leaked secrets can find it.
pub const TOKEN_PREFIX: &str = "lrod_";

/// Whether `presented` can be one of our tokens at all (so anything else is
/// refused without a look-up): the prefix and 43 base64url characters.
pub fn plausible_token(presented: &str) -> bool {
    presented.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 43 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// A new token's secret.
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", platform::crypto::random_token())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_recognised_by_shape_before_any_look_up() {
        let token = new_token();
        assert!(plausible_token(&token), "{token}");
        assert_ne!(new_token(), token);
        assert!(!plausible_token(&token[..token.len() - 1]));
        assert!(!plausible_token(&token.replace(TOKEN_PREFIX, "ckan_")));
        assert!(!plausible_token(&format!("{}!", &token[..token.len() - 1])));
        assert!(!plausible_token(""));
    }
}
