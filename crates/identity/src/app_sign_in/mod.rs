//! "Sign in with the app": the sign-in page shows a QR code; a device that
//! is already signed in opens it, sees what is asking (the service, when a
//! service's sign-in started it) and from where, and approves by picking
//! the number the waiting browser shows; the waiting browser then completes
//! the sign-in and goes on where it was going (`next`).
//!
//! A request is single-use, expires after two minutes and is bound to the
//! browser that asked for it by a cookie: the code in the QR image alone
//! signs nobody in. Approving needs a recent sign-in on the approving
//! device, and the new session carries that sign-in's strength and time,
//! never more (its `amr` adds `mca`). Number matching stops a resident who
//! taps "approve" on a request they did not make: wrong picks are counted in
//! the database and end the request. The waiting page long-polls (`/sign-in/app/status`);
//! a decision is published on the platform's event bus, which wakes the
//! waiter at once on whichever server holds it (PostgreSQL `LISTEN/NOTIFY`
//! across servers); the waiter then reads the request again.
//!
//! Here, the rules: where a request stands and what the waiting browser is
//! told, the numbers the approver picks among and how wrong picks count. The
//! `app_sign_in` rows and every change to them are in `store`; the waiting
//! browser's pages, the status endpoint and the approving phone's pages in `http`.

use platform::events::Event;
use platform::principal::AuthStrength;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub(crate) mod http;
pub mod store;

/// How long a request waits for its approval.
pub(crate) const LIFETIME: time::Duration = time::Duration::minutes(2);
/// The longest a status request is held open.
pub(crate) const MAX_WAIT_SECS: u64 = 20;
/// How many numbers the approver picks from.
pub(crate) const CHOICES: usize = 6;
/// Wrong picks that end a request: someone picking blindly gets one of the
/// six choices, a one-in-six chance, once per request (and each refused
/// request is audited and seen by the waiting browser).
pub(crate) const MAX_WRONG_PICKS: i32 = 1;

/// Published when a waiting request is approved or refused.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Decided {
    pub(crate) id: String,
}

impl Event for Decided {
    const TOPIC: &'static str = "identity.app_sign_in_decided";
}

/// Where a request stands (stored by its name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Denied,
    /// The waiting browser collected its sign-in.
    Used,
}

impl Status {
    const ALL: [Status; 4] = [Status::Pending, Status::Approved, Status::Denied, Status::Used];

    /// The name it is stored as.
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Denied => "denied",
            Status::Used => "used",
        }
    }

    /// The status stored as `name`, if it is one.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The approving session's authenticator strength (stored by its name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    Password,
    TwoFactor,
    Passkey,
}

impl Strength {
    const ALL: [Strength; 3] = [Strength::Password, Strength::TwoFactor, Strength::Passkey];

    /// The name it is stored as.
    pub fn name(self) -> &'static str {
        match self {
            Strength::Password => "password",
            Strength::TwoFactor => "two_factor",
            Strength::Passkey => "passkey",
        }
    }

    /// The strength stored as `name`, if it is one.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl From<AuthStrength> for Strength {
    fn from(s: AuthStrength) -> Self {
        match s {
            AuthStrength::Password => Strength::Password,
            AuthStrength::TwoFactor => Strength::TwoFactor,
            AuthStrength::Passkey => Strength::Passkey,
        }
    }
}

impl From<Strength> for AuthStrength {
    fn from(s: Strength) -> Self {
        match s {
            Strength::Password => AuthStrength::Password,
            Strength::TwoFactor => AuthStrength::TwoFactor,
            Strength::Passkey => AuthStrength::Passkey,
        }
    }
}

/// A browser waiting to be signed in by another device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) id: String,
    /// The asking browser's user-agent text (shown only as browser and system).
    pub(crate) user_agent: Option<String>,
    pub(crate) ip: Option<String>,
    pub(crate) status: Status,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
    /// Where the waiting browser goes once signed in (a path on this site).
    pub(crate) next: Option<String>,
    /// The number the waiting browser shows (10–99).
    pub(crate) number: Option<i16>,
    /// The numbers the approver picks from.
    pub(crate) choices: Vec<String>,
    /// Who approved, with the proof the new session carries.
    pub(crate) approval: Option<Approval>,
}

/// The approving session's account and proof, as they were when it
/// approved: the new session is never fresher or stronger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Approval {
    pub(crate) account_id: String,
    pub(crate) strength: Strength,
    /// Unix seconds.
    pub(crate) authenticated_at: i64,
}

/// What the waiting browser is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pending,
    Approved,
    Denied,
    Expired,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Approved => "approved",
            Outcome::Denied => "denied",
            Outcome::Expired => "expired",
        }
    }
}

impl Request {
    /// What the waiting browser is told at `now`: a refusal stands; waiting
    /// and approval end when the request expires; a used one is over.
    pub(crate) fn outcome(&self, now: OffsetDateTime) -> Outcome {
        let live = now < self.expires_at;
        match self.status {
            Status::Approved if live => Outcome::Approved,
            Status::Denied => Outcome::Denied,
            Status::Pending if live => Outcome::Pending,
            _ => Outcome::Expired,
        }
    }
}

/// A new request, with the secrets only the asking browser gets: the code
/// in its QR image and the binding its cookie carries.
pub(crate) struct Started {
    pub(crate) request: Request,
    pub(crate) code: String,
    pub(crate) binding: String,
}

/// The number the waiting browser shows (two digits, 10–99), and the
/// choices the approver sees: it among distinct decoys, shuffled.
/// `random_below(n)` is a uniformly random index below `n`.
pub(crate) fn number_and_choices(mut random_below: impl FnMut(usize) -> usize) -> (i16, Vec<i16>) {
    let mut two_digits = || 10 + i16::try_from(random_below(90)).unwrap_or(0);
    let number = two_digits();
    let mut choices = vec![number];
    while choices.len() < CHOICES {
        let decoy = two_digits();
        if !choices.contains(&decoy) {
            choices.push(decoy);
        }
    }
    for i in (1..choices.len()).rev() {
        choices.swap(i, random_below(i + 1));
    }
    (number, choices)
}

/// What the approver decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Approve, by picking the number the waiting browser shows.
    Approve,
    Deny,
}

impl Decision {
    /// The decision a form's `decision` field names, if it is one.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "approve" => Some(Decision::Approve),
            "deny" => Some(Decision::Deny),
            _ => None,
        }
    }
}

/// Whether `picked` could be one of the choices: two digits.
pub(crate) fn is_two_digits(picked: &str) -> bool {
    picked.len() == 2 && picked.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `picked` is the request's `number` (compared in constant time).
pub(crate) fn is_right(number: i16, picked: &str) -> bool {
    crate::model::same(&number.to_string(), picked)
}

/// What a pick of a number did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    Approved,
    Wrong {
        tries_left: i32,
    },
    /// Too many wrong picks: the request is refused.
    Ended,
    /// The request is no longer waiting.
    Gone,
    /// Too many wrong picks by this approver, across requests: approving
    /// waits about this many minutes (nothing was checked).
    Throttled {
        minutes: i64,
    },
}

impl Pick {
    /// A wrong pick, the request's `wrong_picks`-th: the last allowed one ends it.
    pub(crate) fn wrong(wrong_picks: i32) -> Self {
        if wrong_picks >= MAX_WRONG_PICKS {
            Pick::Ended
        } else {
            Pick::Wrong { tries_left: MAX_WRONG_PICKS - wrong_picks }
        }
    }
}

/// The ID of the pending authorization request `next` continues, if it
/// continues one (`/oauth/authorize?pending=…`).
pub(crate) fn pending_authorization(next: Option<&str>) -> Option<String> {
    let Some(("/oauth/authorize", query)) = next.and_then(|n| n.split_once('?')) else { return None };
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "pending").map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(status: Status, expires_at: OffsetDateTime) -> Request {
        Request {
            id: "r".to_owned(),
            user_agent: None,
            ip: None,
            status,
            created_at: expires_at - LIFETIME,
            expires_at,
            next: None,
            number: Some(42),
            choices: Vec::new(),
            approval: None,
        }
    }

    #[test]
    fn a_request_is_told_where_it_stands_until_it_expires() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let (live, past) = (now + time::Duration::seconds(1), now);
        assert_eq!(request(Status::Pending, live).outcome(now), Outcome::Pending);
        assert_eq!(request(Status::Approved, live).outcome(now), Outcome::Approved);
        assert_eq!(request(Status::Denied, live).outcome(now), Outcome::Denied);
        assert_eq!(request(Status::Used, live).outcome(now), Outcome::Expired);
        assert_eq!(request(Status::Pending, past).outcome(now), Outcome::Expired);
        assert_eq!(request(Status::Approved, past).outcome(now), Outcome::Expired);
        assert_eq!(request(Status::Denied, past).outcome(now), Outcome::Denied, "a refusal stands");
    }

    #[test]
    fn the_number_is_among_six_distinct_two_digit_choices() {
        let mut seed = 7usize;
        let mut random_below = |n: usize| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345) % 65_536;
            seed % n
        };
        for _ in 0..200 {
            let (number, choices) = number_and_choices(&mut random_below);
            assert!((10..=99).contains(&number));
            assert_eq!(choices.len(), CHOICES);
            assert!(choices.contains(&number));
            assert!(choices.iter().all(|c| (10..=99).contains(c) && is_two_digits(&c.to_string())));
            let mut distinct = choices.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), CHOICES);
        }
    }

    #[test]
    fn one_wrong_pick_ends_the_request() {
        assert_eq!(Pick::wrong(MAX_WRONG_PICKS), Pick::Ended);
        assert_eq!(Pick::wrong(MAX_WRONG_PICKS - 1), Pick::Wrong { tries_left: 1 });
        assert!(is_right(42, "42"));
        assert!(!is_right(42, "24"));
        assert!(!is_two_digits("4") && !is_two_digits("4a") && !is_two_digits("042") && is_two_digits("07"));
    }

    #[test]
    fn only_the_two_decisions_are_understood() {
        assert_eq!(Decision::parse("approve"), Some(Decision::Approve));
        assert_eq!(Decision::parse("deny"), Some(Decision::Deny));
        assert_eq!(Decision::parse("Approve"), None);
    }

    #[test]
    fn states_and_strengths_keep_their_stored_names() {
        for s in Status::ALL {
            assert_eq!(Status::named(s.name()), Some(s));
        }
        for s in Strength::ALL {
            assert_eq!(Strength::named(s.name()), Some(s));
            assert_eq!(Strength::from(AuthStrength::from(s)), s);
        }
        assert_eq!(Status::Pending.name(), "pending");
        assert_eq!(Strength::TwoFactor.name(), "two_factor");
        assert_eq!(Status::named("expired"), None);
    }

    #[test]
    fn only_a_held_authorization_request_is_found_in_next() {
        assert_eq!(pending_authorization(Some("/oauth/authorize?pending=abc%2B1")).as_deref(), Some("abc+1"));
        assert_eq!(pending_authorization(Some("/oauth/authorize?client_id=x")), None);
        assert_eq!(pending_authorization(Some("/account?pending=abc")), None);
        assert_eq!(pending_authorization(None), None);
    }
}
