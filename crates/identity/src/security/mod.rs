//! The resident's security page: where they are signed in (and signing any
//! of it out), which services they are connected to (and disconnecting
//! them), recent sign-in activity, the password change, and a download of
//! their own data. The rules are here; the queries and operations in
//! `store` (the download gathers rows from several features), the pages and
//! the download's JSON in `http`.

pub(crate) mod http;
pub(crate) mod store;

/// The page the security actions return to.
pub(crate) const PAGE: &str = "/account/security";

/// The message key that names an audited action in the activity list.
pub(crate) fn activity_key(action: &str) -> &'static str {
    match action {
        "account.sign_in" => "activity-sign-in",
        "account.sign_in_failed" => "activity-sign-in-failed",
        "account.two_step_enable" => "activity-two-step-on",
        "account.two_step_disable" => "activity-two-step-off",
        "account.passkey_add" => "activity-passkey-added",
        "account.passkey_remove" => "activity-passkey-removed",
        "account.recovery_code_used" => "activity-recovery-code",
        "account.verify_email" => "activity-email-verified",
        "account.verify_phone" => "activity-phone-verified",
        "account.change_email" | "account.change_phone" => "activity-contact-changed",
        "account.register" | "account.create" => "activity-created",
        "account.password_change" => "activity-password-changed",
        "account.password_check_failed" => "activity-password-wrong",
        _ => "activity-other",
    }
}

/// The length a new password needs: shorter with two-step verification on.
pub(crate) fn min_password_length(second_factor: bool) -> usize {
    let policy = crate::model::PASSWORD_POLICY;
    if second_factor { policy.min_with_second_factor } else { policy.min_single_factor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_to_how_one_signs_in_is_named_in_the_activity() {
        assert_eq!(activity_key("account.change_phone"), "activity-contact-changed");
        assert_eq!(activity_key("account.change_email"), "activity-contact-changed");
        assert_eq!(activity_key("account.create"), "activity-created");
        assert_eq!(activity_key("account.passkey_remove"), "activity-passkey-removed");
        assert_eq!(activity_key("account.profile_update"), "activity-other");
    }

    #[test]
    fn a_second_factor_shortens_the_password() {
        assert!(min_password_length(true) < min_password_length(false));
        assert_eq!(min_password_length(false), crate::model::PASSWORD_POLICY.min_single_factor);
    }
}
