//! Bookings: a place in a slot taken for one person. Here the rules, without
//! I/O: the booking reference people read out and type at the centre, and a
//! booking's states. Taking and giving back places is in `store` (one
//! conditional statement in the booking's own transaction), the API in `http`.

pub(crate) mod http;
pub mod store;

use serde::{Deserialize, Serialize};

/// Crockford's base-32 alphabet: no I, L, O or U, so a reference read over
/// the phone or from a screen is not mistyped.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random characters in a reference (45 bits), before its check character.
const RANDOM_CHARS: usize = 9;

/// A booking's reference: nine random characters and a check character
/// (Luhn mod 32, so any one mistyped character or swap of neighbours is
/// caught before a look-up), shown as `K7Q2M-9XD3P`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference(String);

fn value(c: u8) -> Option<usize> {
    ALPHABET.iter().position(|&a| a == c)
}

/// Luhn mod N over the alphabet: the character that makes the sum divisible.
fn check_char(body: &[u8]) -> Option<u8> {
    let n = ALPHABET.len();
    let mut sum = 0;
    for (i, &c) in body.iter().rev().enumerate() {
        let mut v = value(c)?;
        if i % 2 == 0 {
            v *= 2;
            v = v / n + v % n;
        }
        sum += v;
    }
    Some(ALPHABET[(n - sum % n) % n])
}

impl Reference {
    /// A fresh random reference.
    pub fn generate() -> Reference {
        Reference(Reference::random_checked(RANDOM_CHARS))
    }

    /// `n` random characters of the alphabet and their check character
    /// (specimen codes are made the same way, longer).
    pub(crate) fn random_checked(n: usize) -> String {
        // 256 is a multiple of 32, so every character is equally likely.
        let random = platform::crypto::random_bytes::<16>();
        let mut body: Vec<u8> = random.iter().take(n).map(|b| ALPHABET[usize::from(b % 32)]).collect();
        // Only the alphabet is in `body`, so the check character exists.
        if let Some(c) = check_char(&body) {
            body.push(c);
        }
        String::from_utf8_lossy(&body).into_owned()
    }

    /// A reference as typed: case, spaces and dashes do not matter, and
    /// Crockford's look-alikes (O for 0, I and L for 1) are read as meant.
    /// `None` when it is not ten characters of the alphabet with a right check.
    pub fn parse(input: &str) -> Option<Reference> {
        Reference::parse_checked(input, RANDOM_CHARS).map(Reference)
    }

    /// `n` characters and a check character, typed as `parse` reads them.
    pub(crate) fn parse_checked(input: &str, n: usize) -> Option<String> {
        let mut chars = Vec::with_capacity(n + 1);
        for c in input.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let c = u8::try_from(c).ok()?;
            value(c)?;
            chars.push(c);
        }
        if chars.len() != n + 1 {
            return None;
        }
        let (body, check) = chars.split_at(n);
        if check_char(body)? != check[0] {
            return None;
        }
        Some(String::from_utf8_lossy(&chars).into_owned())
    }

    /// As stored: ten characters, no dash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As shown: `K7Q2M-9XD3P`.
    pub fn display(&self) -> String {
        let (a, b) = self.0.split_at(self.0.len() / 2);
        format!("{a}-{b}")
    }
}

/// Who a booking is for, as checked before booking.
#[derive(Clone)]
pub struct Holder {
    pub person_id: String,
    pub document_index: String,
    pub document_kind: String,
    /// Sealed (base64) when the document was given with the booking.
    pub document_sealed: Option<String>,
    pub birthdate: Option<time::Date>,
}

impl std::fmt::Debug for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Holder").field("person_id", &self.person_id).finish_non_exhaustive()
    }
}

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Confirmed,
    Cancelled,
    Attended,
    NoShow,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Cancelled => "cancelled",
            Status::Attended => "attended",
            Status::NoShow => "no_show",
        }
    }

    /// The Fluent key of its name, the same on every page (residents' and officers').
    pub fn message_key(self) -> &'static str {
        match self {
            Status::Confirmed => "booking-status-confirmed",
            Status::Cancelled => "booking-status-cancelled",
            Status::Attended => "booking-status-attended",
            Status::NoShow => "booking-status-no-show",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Confirmed, Status::Cancelled, Status::Attended, Status::NoShow].into_iter().find(|x| x.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_fresh_reference_reads_back_however_it_is_typed() {
        let r = Reference::generate();
        assert_eq!(Reference::parse(r.as_str()), Some(r.clone()));
        assert_eq!(Reference::parse(&r.display().to_lowercase()), Some(r.clone()));
        assert_eq!(r.display().len(), 11);
    }

    #[test]
    fn look_alikes_are_read_as_meant() {
        let r = Reference::parse("00000-00000").unwrap();
        assert_eq!(Reference::parse("oOoOo oOoO0"), Some(r));
        assert_eq!(Reference::parse("0000-0000-00"), Reference::parse("0000000000"));
        assert_eq!(Reference::parse("000000000"), None, "nine characters");
        assert_eq!(Reference::parse("00000000001"), None, "eleven characters");
    }

    proptest! {
        #[test]
        fn one_changed_character_is_caught(at in 0usize..10, by in 1usize..32) {
            let r = Reference::generate();
            let mut chars = r.as_str().as_bytes().to_vec();
            let v = value(chars[at]).unwrap();
            chars[at] = ALPHABET[(v + by) % 32];
            prop_assert_eq!(Reference::parse(std::str::from_utf8(&chars).unwrap()), None);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,30}") {
            let _ = Reference::parse(&s);
        }
    }
}
