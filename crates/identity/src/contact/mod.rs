//! Sign-in details: the e-mail address and mobile number an account is
//! known by. A resident who registered with one can add the other, or
//! change either, proving the new one with a one-time code sent to it (SMS
//! codes count against the caps). The old address or number is told of the
//! change. Asking for an address or number another account has looks the
//! same as any other request; that account's owner is told instead.
//!
//! Like other changes to how one signs in, this needs a recent sign-in.
//! The rules are here; the queries in `store`, the pages in `http`.

pub(crate) mod http;
pub(crate) mod store;

use crate::accounts::VerifyOutcome;
use crate::model::Identifier;
use crate::store::verification::Purpose;

/// The sign-in details page.
pub(crate) const PAGE: &str = "/account/sign-in-details";

/// Which of the two an account is changing (or adding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Email,
    Phone,
}

impl Change {
    /// Both, in the order their codes are looked for.
    const ALL: [Change; 2] = [Change::Email, Change::Phone];

    /// The change that makes `new` the account's.
    pub(crate) fn of(new: &Identifier) -> Self {
        match new {
            Identifier::Email(_) => Change::Email,
            Identifier::Phone(_) => Change::Phone,
        }
    }

    /// The purpose its verification row is stored under.
    pub(crate) fn purpose(self) -> Purpose {
        match self {
            Change::Email => Purpose::ChangeEmail,
            Change::Phone => Purpose::ChangePhone,
        }
    }

    /// The change a verification's purpose names, if it names one.
    pub(crate) fn from_purpose(purpose: Purpose) -> Option<Self> {
        Change::ALL.into_iter().find(|c| c.purpose() == purpose)
    }

    /// The purposes of both, for checking a code.
    pub(crate) fn purposes() -> [Purpose; 2] {
        Change::ALL.map(Change::purpose)
    }

    /// The audit action of a completed change.
    pub(crate) fn action(self) -> &'static str {
        match self {
            Change::Email => "account.change_email",
            Change::Phone => "account.change_phone",
        }
    }
}

/// What entering the code did.
pub(crate) enum Finished {
    Changed,
    Code(VerifyOutcome),
    /// Another account took the address or number in the meantime.
    Taken,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_stored_under_its_purpose_and_read_back() {
        for change in Change::ALL {
            assert_eq!(Change::from_purpose(change.purpose()), Some(change));
        }
        assert_eq!(Change::purposes(), [Purpose::ChangeEmail, Purpose::ChangePhone]);
        assert_eq!(Change::from_purpose(Purpose::Email), None);
        assert_eq!(Change::Phone.action(), "account.change_phone");
        assert_eq!(Change::Email.action(), "account.change_email");
    }
}
