//! Identity's types and rules, without I/O: e-mail addresses, the password
//! policy (NIST SP 800-63B), one-time codes, and sign-in throttling.

use std::fmt;

use time::{Duration, OffsetDateTime};
use unicode_normalization::UnicodeNormalization;

/// A syntactically valid e-mail address, normalised for comparison
/// (trimmed, lower-cased).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why an e-mail address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    Missing,
    Invalid,
    TooLong,
}

impl Email {
    pub fn parse(input: &str) -> Result<Email, EmailProblem> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailProblem::Missing);
        }
        if s.chars().count() > 254 {
            return Err(EmailProblem::TooLong);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(EmailProblem::Invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\\\"@".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !(local_ok && domain_ok) {
            return Err(EmailProblem::Invalid);
        }
        Ok(Email(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mobile number in E.164 form (`+85291234567`), from a country lionrock
/// is configured to send SMS to (`identity.allowed_country_codes`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// Why a mobile number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneProblem {
    Invalid,
    /// A number from a country this installation does not send SMS to.
    CountryNotAllowed,
}

impl Phone {
    /// Parses what a resident typed: `+852 9123 4567`, `00852 91234567`, or a
    /// local `9123 4567` (taken to be in the first allowed country). Spaces,
    /// hyphens, dots and brackets are ignored.
    pub fn parse(input: &str, allowed_codes: &[String]) -> Result<Phone, PhoneProblem> {
        let compact: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}')).collect();
        let digits = if let Some(rest) = compact.strip_prefix('+') {
            rest.to_owned()
        } else if let Some(rest) = compact.strip_prefix("00") {
            rest.to_owned()
        } else {
            let home = allowed_codes.first().ok_or(PhoneProblem::CountryNotAllowed)?;
            format!("{home}{compact}")
        };
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneProblem::Invalid);
        }
        let code = allowed_codes
            .iter()
            .find(|code| digits.starts_with(code.as_str()))
            .ok_or(PhoneProblem::CountryNotAllowed)?;
        let national = &digits[code.len()..];
        let plausible = match code.as_str() {
            // Hong Kong and Macau: 8 digits; Hong Kong mobiles start with 4 to 9, Macau's with 6.
            "852" => national.len() == 8 && matches!(national.as_bytes()[0], b'4'..=b'9'),
            "853" => national.len() == 8 && national.starts_with('6'),
            _ => (4..=13).contains(&national.len()),
        };
        if !plausible {
            return Err(PhoneProblem::Invalid);
        }
        Ok(Phone(format!("+{digits}")))
    }

    /// Reads back a stored number (already checked when it was stored).
    pub fn stored(e164: &str) -> Phone {
        Phone(e164.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but its last four digits hidden (`+852 ••••4567`),
    /// for pages and logs.
    pub fn masked(&self) -> String {
        let tail: String = self.0.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        let head: String = self.0.chars().take(4).collect();
        format!("{head} ••••{tail}")
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a resident names their account: an e-mail address or a mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    Email(Email),
    Phone(Phone),
}

/// Why an account name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierProblem {
    Missing,
    Email(EmailProblem),
    Phone(PhoneProblem),
}

impl Identifier {
    /// An e-mail address if `input` has an `@`; a mobile number if it is
    /// made of digits (and `+`, spaces, hyphens, brackets); else an invalid address.
    pub fn parse(input: &str, allowed_codes: &[String]) -> Result<Identifier, IdentifierProblem> {
        let s = input.trim();
        if s.is_empty() {
            return Err(IdentifierProblem::Missing);
        }
        let phone_like = s.chars().any(|c| c.is_ascii_digit())
            && s.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')' | '\u{a0}'));
        if phone_like {
            Phone::parse(s, allowed_codes).map(Identifier::Phone).map_err(IdentifierProblem::Phone)
        } else {
            Email::parse(s).map(Identifier::Email).map_err(IdentifierProblem::Email)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Identifier::Email(e) => e.as_str(),
            Identifier::Phone(p) => p.as_str(),
        }
    }
}

/// What a new password must satisfy (NIST SP 800-63B-4 §3.1.1.2): length,
/// not common, not built from the account's own name. No composition
/// rules, no expiry.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    /// Minimum length when the password is the only factor.
    pub min_single_factor: usize,
    /// Minimum length once a second factor is enrolled.
    pub min_with_second_factor: usize,
    /// Longest accepted (NIST asks for at least 64).
    pub max: usize,
}

pub const PASSWORD_POLICY: PasswordPolicy =
    PasswordPolicy { min_single_factor: 15, min_with_second_factor: 8, max: 128 };

/// Why a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    Missing,
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    Common,
    ContainsContext,
    /// Holds one of the operator's banned words (`identity.banned_words_file`).
    Banned,
}

/// A password that passed the policy, NFKC-normalised (what gets hashed).
pub struct NewPassword(String);

impl NewPassword {
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Refuses the password if it holds any of `words` (lower-cased), ignoring case.
    pub fn without(self, words: &[String]) -> Result<NewPassword, PasswordProblem> {
        let lower = self.0.to_lowercase();
        if words.iter().any(|w| lower.contains(w.as_str())) { Err(PasswordProblem::Banned) } else { Ok(self) }
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

/// The form every password is compared in: Unicode NFKC.
pub fn normalise_password(raw: &str) -> String {
    raw.nfkc().collect()
}

impl PasswordPolicy {
    /// Checks `raw` for an account with `email`; `second_factor` lowers the minimum length.
    pub fn check(&self, raw: &str, email: Option<&Email>, second_factor: bool) -> Result<NewPassword, PasswordProblem> {
        self.check_with(raw, email, None, second_factor)
    }

    /// Checks `raw` for an account named by `id` (its address or number may not be in it).
    pub fn check_for(&self, raw: &str, id: &Identifier, second_factor: bool) -> Result<NewPassword, PasswordProblem> {
        match id {
            Identifier::Email(e) => self.check_with(raw, Some(e), None, second_factor),
            Identifier::Phone(p) => self.check_with(raw, None, Some(p), second_factor),
        }
    }

    fn check_with(
        &self,
        raw: &str,
        email: Option<&Email>,
        phone: Option<&Phone>,
        second_factor: bool,
    ) -> Result<NewPassword, PasswordProblem> {
        let normalised = normalise_password(raw);
        let length = normalised.chars().count();
        if length == 0 {
            return Err(PasswordProblem::Missing);
        }
        let min = if second_factor { self.min_with_second_factor } else { self.min_single_factor };
        if length < min {
            return Err(PasswordProblem::TooShort { min });
        }
        if length > self.max {
            return Err(PasswordProblem::TooLong { max: self.max });
        }
        let lower = normalised.to_lowercase();
        if passwords::analyzer::is_common_password(&normalised) || passwords::analyzer::is_common_password(&lower) {
            return Err(PasswordProblem::Common);
        }
        if let Some(email) = email {
            let local = email.as_str().split('@').next().unwrap_or_default();
            if lower == email.as_str() || (local.chars().count() >= 4 && lower.contains(local)) {
                return Err(PasswordProblem::ContainsContext);
            }
        }
        if let Some(phone) = phone {
            // The number without its country code, or its last eight digits.
            let digits = phone.as_str().trim_start_matches('+');
            let national = &digits[digits.len().saturating_sub(8)..];
            let typed: String = lower.chars().filter(char::is_ascii_digit).collect();
            if typed.contains(national) {
                return Err(PasswordProblem::ContainsContext);
            }
        }
        if lower.contains("lionrock") && lower.replace("lionrock", "").chars().count() < min {
            return Err(PasswordProblem::ContainsContext);
        }
        Ok(NewPassword(normalised))
    }
}

/// A 6-digit one-time code, sent by e-mail or SMS.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode([redacted])")
    }
}

/// Rules for one-time codes.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);
pub const CODE_TRIES: i32 = 5;
/// Least time between two sends of a code for the same verification.
pub const CODE_RESEND_AFTER: Duration = Duration::seconds(60);
/// Most sends for one verification before the resident must start again.
pub const CODE_MAX_SENDS: i32 = 5;

impl OneTimeCode {
    /// A uniformly random code (rejection sampling, no modulo bias).
    pub fn generate() -> Self {
        loop {
            let bytes = platform::crypto::random_bytes::<4>();
            let n = u32::from_le_bytes(bytes);
            // 4_294_000_000 is the largest multiple of 1_000_000 below 2^32.
            if n < 4_294_000_000 {
                return Self(format!("{:06}", n % 1_000_000));
            }
        }
    }

    /// Accepts what a person typed: digits, ignoring spaces and dashes.
    pub fn parse(input: &str) -> Option<Self> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Sign-in throttling: after `FREE_FAILURES` consecutive failures for one
/// e-mail address, each further failure doubles the wait (30 s, 1 min, …),
/// up to an hour. Counted per address whether or not an account exists, so
/// the throttle says nothing about who has an account.
pub const FREE_FAILURES: i32 = 5;

pub fn throttle_until(failures: i32, now: OffsetDateTime) -> Option<OffsetDateTime> {
    throttle_after(FREE_FAILURES, failures, now)
}

/// From one network address, across every e-mail address: more room (a
/// household or office shares one), the same doubling after it.
pub const FREE_FAILURES_PER_IP: i32 = 20;

pub fn ip_throttle_until(failures: i32, now: OffsetDateTime) -> Option<OffsetDateTime> {
    throttle_after(FREE_FAILURES_PER_IP, failures, now)
}

/// A run of failures ends after a day without one: far longer than the
/// longest wait (an hour), so waiting a wait out never starts a fresh run
/// with free guesses; a steady guesser gets about one guess an hour.
pub const FAILURE_MEMORY: Duration = Duration::hours(24);

fn throttle_after(free: i32, failures: i32, now: OffsetDateTime) -> Option<OffsetDateTime> {
    if failures < free {
        return None;
    }
    let exponent = u32::try_from(failures - free).unwrap_or(0).min(7);
    let secs = (30i64 << exponent).min(3600);
    Some(now + Duration::seconds(secs))
}

/// Whole minutes (at least 1) until `until`, for messages.
pub fn minutes_until(until: OffsetDateTime, now: OffsetDateTime) -> i64 {
    ((until - now).whole_seconds() + 59).max(60) / 60
}

/// Constant-time equality of two MACs (or other secrets compared as
/// text): the time taken does not tell how much of a guess was right.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A single-use recovery code for when the authenticator app is lost:
/// 10 characters of Crockford base32 (50 bits), shown as `XXXXX-XXXXX`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode([redacted])")
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const RECOVERY_CODES: usize = 10;

impl RecoveryCode {
    pub fn generate() -> Self {
        let bytes = platform::crypto::random_bytes::<10>();
        Self(bytes.iter().map(|b| CROCKFORD[usize::from(b & 31)] as char).collect())
    }

    /// Accepts what a person typed: any case, dashes and spaces ignored,
    /// and the letters Crockford base32 reads as digits (O, I, L).
    pub fn parse(input: &str) -> Option<Self> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        (s.len() == 10 && s.bytes().all(|b| CROCKFORD.contains(&b))).then_some(Self(s))
    }

    /// The canonical form (what is MACed and stored).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As shown to the resident.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }
}

/// Second-factor sign-in: how long the step after the password lasts, and
/// how many codes may be tried in it.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);
pub const CHALLENGE_TRIES: i32 = 5;

#[cfg(test)]
mod phone_tests {
    use super::*;

    fn hk() -> Vec<String> {
        vec!["852".to_owned(), "853".to_owned()]
    }

    #[test]
    fn numbers_are_read_as_residents_type_them() {
        for input in ["+852 9123 4567", "9123-4567", "00852 91234567", "+852 (9123) 4567", "9123.4567"] {
            assert_eq!(Phone::parse(input, &hk()).map(|p| p.0), Ok("+85291234567".to_owned()), "{input}");
        }
        assert_eq!(Phone::parse("+853 6612 3456", &hk()).unwrap().as_str(), "+85366123456");
        assert_eq!(Phone::parse("+852 2123 4567", &hk()), Err(PhoneProblem::Invalid), "a fixed line");
        assert_eq!(Phone::parse("+852 9123 456", &hk()), Err(PhoneProblem::Invalid), "too short");
        assert_eq!(Phone::parse("+44 7700 900123", &hk()), Err(PhoneProblem::CountryNotAllowed));
        assert_eq!(Phone::parse("91234567", &[]), Err(PhoneProblem::CountryNotAllowed));
        assert_eq!(Phone::parse("+852 9123 4567x", &hk()), Err(PhoneProblem::Invalid));
        assert_eq!(Phone::parse("+85291234567", &hk()).unwrap().masked(), "+852 ••••4567");
    }

    #[test]
    fn an_identifier_is_an_address_or_a_number() {
        assert!(matches!(Identifier::parse(" Kwok@Example.org ", &hk()), Ok(Identifier::Email(_))));
        assert!(matches!(Identifier::parse("9123 4567", &hk()), Ok(Identifier::Phone(_))));
        assert_eq!(Identifier::parse("  ", &hk()), Err(IdentifierProblem::Missing));
        assert_eq!(Identifier::parse("kwok", &hk()), Err(IdentifierProblem::Email(EmailProblem::Invalid)));
        assert_eq!(Identifier::parse("+1 555", &hk()), Err(IdentifierProblem::Phone(PhoneProblem::Invalid)));
    }

    #[test]
    fn a_password_may_not_hold_the_number() {
        let phone = Identifier::Phone(Phone::parse("91234567", &hk()).unwrap());
        let r = PASSWORD_POLICY.check_for("harbour lantern 9123 4567", &phone, false);
        assert_eq!(r.err(), Some(PasswordProblem::ContainsContext));
        assert!(PASSWORD_POLICY.check_for("harbour lantern kite tram", &phone, false).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Mei.Chan@Example.ORG ").unwrap().as_str(), "mei.chan@example.org");
        assert_eq!(Email::parse("陳大文@例子.香港").unwrap().as_str(), "陳大文@例子.香港");
        for bad in ["", "no-at-sign", "a@b", "a@@b.com", "a b@c.com", ".a@b.com", "a..b@c.com", "a@-b.com", "a@b..com"]
        {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Email::parse(&format!("{}@example.org", "a".repeat(250))), Err(EmailProblem::TooLong));
    }

    #[test]
    fn password_length_rules_follow_nist() {
        let p = PASSWORD_POLICY;
        assert_eq!(p.check("", None, false).unwrap_err(), PasswordProblem::Missing);
        assert_eq!(p.check("short but ok", None, false).unwrap_err(), PasswordProblem::TooShort { min: 15 });
        assert!(p.check("tram harbour kite", None, false).is_ok());
        assert!(p.check("kite mist", None, true).is_ok(), "8 is enough with a second factor");
        assert!(p.check(&"x7".repeat(64), None, false).is_ok(), "128 characters are accepted");
        assert_eq!(p.check(&"x".repeat(129), None, false).unwrap_err(), PasswordProblem::TooLong { max: 128 });
        // Counted in characters, not bytes: 15 Chinese characters are enough.
        assert!(p.check("獅子山下同舟共濟無畏更無懼盡情", None, false).is_ok());
    }

    #[test]
    fn common_and_contextual_passwords_are_refused() {
        let p = PASSWORD_POLICY;
        assert_eq!(p.check("123456789012345", None, false).unwrap_err(), PasswordProblem::Common);
        assert_eq!(p.check("passwordpassword", None, false).unwrap_err(), PasswordProblem::Common);
        assert_eq!(p.check("PasswordPassword", None, false).unwrap_err(), PasswordProblem::Common, "case-insensitive");
        let email = Email::parse("chantaiman@example.org").unwrap();
        assert_eq!(
            p.check("chantaiman-is-my-name", Some(&email), false).unwrap_err(),
            PasswordProblem::ContainsContext
        );
        assert_eq!(p.check("lionrocklionrock1", None, false).unwrap_err(), PasswordProblem::ContainsContext);
    }

    #[test]
    fn passwords_are_nfkc_normalised() {
        // Full-width letters normalise to ASCII: both spellings are one password.
        let a = normalise_password("ｔｒａｍ ｈａｒｂｏｕｒ ｋｉｔｅ");
        assert_eq!(a, "tram harbour kite");
    }

    #[test]
    fn codes_parse_leniently() {
        assert_eq!(OneTimeCode::parse(" 123 456 ").unwrap().as_str(), "123456");
        assert_eq!(OneTimeCode::parse("123-456").unwrap().as_str(), "123456");
        assert!(OneTimeCode::parse("12345").is_none());
        assert!(OneTimeCode::parse("12345a").is_none());
        assert!(OneTimeCode::parse("١٢٣٤٥٦").is_none(), "ASCII digits only");
    }

    #[test]
    fn throttle_doubles_to_an_hour() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(throttle_until(4, now), None);
        assert_eq!(throttle_until(5, now), Some(now + Duration::seconds(30)));
        assert_eq!(throttle_until(6, now), Some(now + Duration::seconds(60)));
        assert_eq!(throttle_until(20, now), Some(now + Duration::seconds(3600)));
        assert_eq!(ip_throttle_until(19, now), None, "an address gets more room");
        assert_eq!(ip_throttle_until(20, now), Some(now + Duration::seconds(30)));
    }

    #[test]
    fn recovery_codes_round_trip_leniently() {
        let code = RecoveryCode::generate();
        assert_eq!(RecoveryCode::parse(&code.display()), Some(code.clone()));
        assert_eq!(RecoveryCode::parse(&code.display().to_lowercase()), Some(code));
        assert_eq!(RecoveryCode::parse("oooo1-iiiil").unwrap().as_str(), "0000111111");
        assert!(RecoveryCode::parse("123456").is_none());
        assert!(RecoveryCode::parse("ABCDE-FGHIU").is_none(), "U is not in the alphabet");
    }

    proptest! {
        #[test]
        fn email_parsing_never_panics_and_is_idempotent(s in "\\PC{0,80}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e);
            }
        }

        #[test]
        fn generated_codes_are_six_digits(_i in 0..200u32) {
            let c = OneTimeCode::generate();
            prop_assert_eq!(OneTimeCode::parse(c.as_str()), Some(c));
        }

        #[test]
        fn password_check_never_panics(s in "\\PC{0,200}") {
            let _ = PASSWORD_POLICY.check(&s, None, false);
        }
    }
}
