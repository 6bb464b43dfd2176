//! Real-name identity: an officer checks an identity document (HKID with its
//! check digit, or a passport) and raises the account to `real_name`. The
//! number is sealed with the data key and indexed by a keyed hash, so one
//! document backs at most one person; it is shown only masked. A trusted
//! source may assert a check instead (the JSON API). The rules are here;
//! the table and the verification in `store`, the page and the API in `http`.

pub(crate) mod http;
pub mod store;

use platform::ids::DocumentProblem;
use platform::principal::ScopeGuard;
use time::OffsetDateTime;

use crate::model::Identifier;

/// A document an officer has checked (platform's, shared by every domain).
pub use platform::ids::Document;

/// A document from its kind (`hkid` or `passport`), number and, for a
/// passport, issuing country; on failure, the field and message key.
pub fn parse_document(kind: &str, number: &str, country: &str) -> Result<Document, (&'static str, &'static str)> {
    Document::parse(kind, number, country).map_err(|problem| match problem {
        DocumentProblem::Kind => ("kind", "document-kind-missing"),
        DocumentProblem::HkidFormat => ("number", "hkid-format"),
        DocumentProblem::HkidCheckDigit => ("number", "hkid-check-digit"),
        DocumentProblem::Passport => ("number", "passport-invalid"),
    })
}

/// The officer scope that may record checked documents (`/officer/real-name`).
pub const VERIFIER_SCOPE: &str = "real-name-verifier";

/// Marker for `RequireScope<Verifier>`: an officer holding [`VERIFIER_SCOPE`].
#[derive(Debug)]
pub struct Verifier;

impl ScopeGuard for Verifier {
    const SCOPE: &'static str = VERIFIER_SCOPE;
}

/// Who vouches for a verification.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// An officer (by account ID) who saw the document.
    Officer(&'a str),
    /// A trusted source (an OAuth client) that asserted it.
    Assertion { client_id: &'a str },
}

impl Source<'_> {
    /// The slug stored with the document and the fields it vouches for.
    fn slug(&self) -> &'static str {
        match self {
            Source::Officer(_) => crate::profile::Source::Officer.name(),
            Source::Assertion { .. } => crate::profile::Source::Assertion.name(),
        }
    }
    fn actor(&self) -> String {
        match self {
            Source::Officer(account_id) => format!("account:{account_id}"),
            Source::Assertion { client_id } => format!("client:{client_id}"),
        }
    }
}

/// How a verification names the account.
#[derive(Debug, Clone)]
pub enum AccountRef<'a> {
    /// By its e-mail address or mobile number (an account may have only a number).
    Identifier(Identifier),
    /// By the subject identifier a trusted source's ID tokens carry for the
    /// resident (public, or pairwise for that source).
    Subject { client: &'a crate::oidc::store::client::Model, sub: &'a str },
}

/// The name and birth date as the document shows them, checked like the
/// profile's fields; recorded with the document as their source.
#[derive(Debug, Clone)]
pub struct Particulars {
    pub name: String,
    pub birthdate: String,
}

impl Particulars {
    /// The particulars, or each bad field with its message key.
    pub fn parse(name: &str, birthdate: &str) -> Result<Self, Vec<(&'static str, &'static str)>> {
        let mut problems = Vec::new();
        let fields = [
            ("name", name.trim(), "real-name-name-missing"),
            ("birthdate", birthdate.trim(), "real-name-birthdate-missing"),
        ];
        for (slug, value, missing) in fields {
            if value.is_empty() {
                problems.push((slug, missing));
            } else if let Some(key) = crate::profile::field(slug).and_then(|f| crate::profile::problem(&f, value)) {
                problems.push((slug, key));
            }
        }
        if problems.is_empty() {
            Ok(Self { name: name.trim().to_owned(), birthdate: birthdate.trim().to_owned() })
        } else {
            Err(problems)
        }
    }
}

/// The result of a verification.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Verified,
    NoSuchAccount,
    /// The document already backs another person.
    DocumentTaken,
    /// The account is already real-name (with another document).
    AlreadyVerified,
    /// The officer named their own account.
    OwnAccount,
}

/// The path trusted sources post their assertions to.
pub const ASSERTION_PATH: &str = "/api/v1/identity/real-name";

/// A checked document as its person's data download shows it.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub(crate) id: String,
    /// `hkid` or `passport`.
    pub(crate) kind: String,
    /// The number, masked (never in clear); empty if it no longer reads.
    pub(crate) number: String,
    /// Who vouched for it: `officer` or `assertion`.
    pub(crate) source: String,
    pub(crate) verified_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_document_reads_back_masked() {
        let hkid = Document::parse("hkid", "A123456(3)", "").unwrap();
        let back = Document::from_stored(hkid.kind(), &hkid.canonical()).unwrap();
        assert_eq!(back.masked(), hkid.masked());
        assert_eq!(back.masked(), "A123***(3)");
        let passport = Document::parse("passport", "k1234567", "gbr").unwrap();
        let back = Document::from_stored(passport.kind(), &passport.canonical()).unwrap();
        assert_eq!(back.masked(), "GBR K12*****");
        assert!(Document::from_stored("passport", "K1234567").is_none(), "no country");
        assert!(Document::from_stored("hkid", "A1234567").is_none());
    }
}
