//! The e-ME profile: name in English and Chinese, date of birth, address and
//! phone, each marked with who vouches for it. Services receive a field
//! only with the resident's consent, per service and per field. The
//! fields and their rules are here; the table in `store`, the page in `http`.

pub(crate) mod http;
pub mod store;

/// A profile field: its slug (also the OpenID Connect claim it feeds) and
/// the scope that asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub slug: &'static str,
    pub claim: &'static str,
    pub scope: &'static str,
    pub max: usize,
}

pub const FIELDS: [Field; 5] = [
    Field { slug: "name", claim: "name", scope: "profile", max: 100 },
    Field { slug: "name_zh", claim: "name#zh-Hant", scope: "profile", max: 50 },
    Field { slug: "birthdate", claim: "birthdate", scope: "profile", max: 10 },
    Field { slug: "address", claim: "address", scope: "address", max: 300 },
    Field { slug: "phone_number", claim: "phone_number", scope: "phone", max: 16 },
];

/// The fields a request can release: by scope, or named one by one
/// through the `claims` parameter (`claim:<field>` entries).
pub fn fields_for(scopes: &[String]) -> Vec<Field> {
    FIELDS
        .iter()
        .copied()
        .filter(|f| scopes.iter().any(|s| s == f.scope || s.strip_prefix("claim:") == Some(f.slug)))
        .collect()
}

/// Who vouches for a stored value (`profile_field.source`, by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The resident typed it.
    Typed,
    /// An officer read it from a checked identity document.
    Officer,
    /// A trusted source asserted it, read from a document it checked.
    Assertion,
    /// A guardian typed it for a dependant.
    Guardian,
}

impl Source {
    const ALL: [Source; 4] = [Source::Typed, Source::Officer, Source::Assertion, Source::Guardian];

    /// The name it is stored under.
    pub fn name(self) -> &'static str {
        match self {
            Source::Typed => "self",
            Source::Officer => "officer",
            Source::Assertion => "assertion",
            Source::Guardian => "guardian",
        }
    }

    /// The source stored as `name`; None for a name we do not know.
    pub fn named(name: &str) -> Option<Self> {
        Source::ALL.into_iter().find(|s| s.name() == name)
    }

    /// How the profile page says who vouches for the value.
    pub fn message_key(self) -> &'static str {
        match self {
            Source::Typed | Source::Guardian => "profile-source-self",
            Source::Officer => "profile-source-officer",
            Source::Assertion => "profile-source-assertion",
        }
    }
}

pub fn field(slug: &str) -> Option<Field> {
    FIELDS.iter().copied().find(|f| f.slug == slug)
}

/// Checks a value for a field; `None` means it is fine (empty clears it).
pub fn problem(field: &Field, value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return None;
    }
    if value.chars().count() > field.max || value.chars().any(char::is_control) {
        return Some("profile-too-long");
    }
    match field.slug {
        "birthdate" => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            match time::Date::parse(value, &format) {
                Ok(d) if d <= time::OffsetDateTime::now_utc().date() && d.year() >= 1880 => None,
                _ => Some("profile-birthdate-invalid"),
            }
        }
        "phone_number" => {
            let digits = value.strip_prefix('+').unwrap_or("");
            ((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
                .then_some(())
                .map_or(Some("profile-phone-invalid"), |()| None)
        }
        _ => None,
    }
}

/// The fields a real-name verification records from the document. Once
/// the account is at the real-name level the resident cannot change them:
/// services that asked for a checked identity rely on them, so a correction
/// goes through a new check, never the profile form.
pub const VOUCHED: [&str; 2] = ["name", "birthdate"];

/// Whether the value of `slug` stays as a checked document says: a
/// real-name check read it from the document (`from_document`) and the
/// account is real-name (`real_name`). Values of accounts checked before
/// checks recorded them were typed by the person and stay theirs to edit
/// (and are never labelled as checked).
pub(crate) fn vouched(slug: &str, real_name: bool, from_document: bool) -> bool {
    real_name && from_document && VOUCHED.contains(&slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_stored_by_name_and_read_back() {
        for s in Source::ALL {
            assert_eq!(Source::named(s.name()), Some(s));
        }
        assert_eq!(Source::named("someone"), None);
        assert_eq!(Source::Assertion.message_key(), "profile-source-assertion");
    }

    #[test]
    fn values_are_checked_per_field() {
        let f = |slug| field(slug).unwrap();
        assert_eq!(problem(&f("birthdate"), "1950-02-29"), Some("profile-birthdate-invalid"));
        assert_eq!(problem(&f("birthdate"), "1952-02-29"), None);
        assert_eq!(problem(&f("birthdate"), "2999-01-01"), Some("profile-birthdate-invalid"));
        assert_eq!(problem(&f("phone_number"), "+85291234567"), None);
        assert_eq!(problem(&f("phone_number"), "91234567"), Some("profile-phone-invalid"));
        assert_eq!(problem(&f("name"), &"x".repeat(101)), Some("profile-too-long"));
        assert_eq!(problem(&f("address"), ""), None, "empty clears");
        assert_eq!(fields_for(&["profile".to_owned()]).len(), 3);
    }

    #[test]
    fn only_a_real_name_accounts_values_read_from_a_document_stay_as_read() {
        assert!(vouched("name", true, true));
        assert!(vouched("birthdate", true, true));
        assert!(!vouched("name", false, true), "not (or no longer) real-name");
        assert!(!vouched("name", true, false), "typed before checks recorded them");
        assert!(!vouched("address", true, true), "no check reads the address");
    }
}
