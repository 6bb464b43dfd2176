//! Services one domain offers another (DESIGN.md §2): a domain never
//! depends on another domain's crate, so where one needs what another
//! knows, platform names the service here as a small trait, the owning
//! domain implements it and lists it in its [`Module`](crate::module::Module)'s
//! `contracts`, and the binary's list of modules wires them together.
//!
//! - [`People`]: identity tells what it has checked about the person behind
//!   an account (credentials shows a resident the records issued to their
//!   identity document), who an account may act for (themselves and their
//!   dependants, with what booking needs of each), and where its notices go.
//! - [`Bearers`]: identity tells whom an OAuth access token stands for, as
//!   the [`Principal`] of an app acting for them (`web::sessions` asks, for
//!   `Authorization: Bearer` under `/api/`).
//! - [`HealthRecords`]: credentials issues a signed record for a health event
//!   another domain saw (booking, when a resident attends a vaccination).

use std::future::Future;
use std::pin::Pin;

use crate::app::AppState;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::ids::Document;
use crate::outbox::{Channel, Notification};
use crate::principal::{AccountId, Principal};

/// A boxed future, as the traits here return (they are used as `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What identity has checked about the person behind an account.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedPerson {
    /// Their checked identity document's [`Document::index`].
    pub document_index: String,
    /// That document, masked for showing (`A123***(7)`).
    pub masked_document: String,
    /// Its kind: `hkid` or `passport`.
    pub document_kind: String,
}

impl std::fmt::Debug for CheckedPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckedPerson(..)")
    }
}

/// A person's opaque identifier (UUIDv7): an account holder or a
/// dependant, who has no account. Never an [`AccountId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub uuid::Uuid);

impl std::fmt::Display for PersonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A person an account may act for (its holder, or a dependant they look
/// after), with only what another domain needs to serve them: booking
/// checks eligibility by birth date and document, and names them on the
/// confirmation.
#[derive(Clone, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    /// The account's own holder, not a dependant.
    pub holder: bool,
    /// From their profile, if given.
    pub birthdate: Option<time::Date>,
    /// Their name in Latin script and in Chinese, if given (at least one is
    /// for a dependant).
    pub name: Option<String>,
    pub name_zh: Option<String>,
    /// Their checked identity document, if one was checked.
    pub checked: Option<CheckedPerson>,
}

impl Person {
    /// The name to show them by in `lang`: Chinese first for the Chinese
    /// languages, the other name when that one is missing.
    pub fn shown_name(&self, lang: Lang) -> Option<&str> {
        let (first, second) = match lang {
            Lang::En => (&self.name, &self.name_zh),
            Lang::ZhHk | Lang::ZhCn => (&self.name_zh, &self.name),
        };
        first.as_deref().or(second.as_deref())
    }
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person").field("id", &self.id).field("holder", &self.holder).finish_non_exhaustive()
    }
}

/// Where an account's notices go, in the language they read: build a
/// [`Notification`] with [`Contact::notification`] and put it in the
/// outbox in the transaction that makes the change it tells of.
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    /// E-mail, else SMS to a mobile number.
    pub channel: Channel,
    pub recipient: String,
    pub lang: Lang,
}

impl Contact {
    /// A notice with `subject` (e-mail only; SMS sends the body alone) and
    /// `body`, both already in `self.lang`.
    pub fn notification(&self, subject: String, body: String) -> Notification {
        let subject = (self.channel != Channel::Sms).then_some(subject);
        Notification {
            channel: self.channel,
            recipient: self.recipient.clone(),
            lang: self.lang,
            subject,
            body,
            qr: None,
        }
    }
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contact").field("channel", &self.channel).field("lang", &self.lang).finish_non_exhaustive()
    }
}

/// Identity's answer about people (implemented by identity).
pub trait People: Send + Sync + 'static {
    /// The checked particulars of the account's holder, or `None` when
    /// no identity document has been checked for them (or no such account).
    fn checked_person<'a>(
        &'a self,
        state: &'a AppState,
        account: &'a AccountId,
    ) -> BoxFuture<'a, Result<Option<CheckedPerson>, AppError>>;

    /// `person`, if `account` may act for them (its holder, or a dependant
    /// it looks after); `None` otherwise, and for no such person or account.
    fn acts_for<'a>(
        &'a self,
        state: &'a AppState,
        account: &'a AccountId,
        person: &'a PersonId,
    ) -> BoxFuture<'a, Result<Option<Person>, AppError>>;

    /// Everyone `account` may act for: its holder first, then its
    /// dependants (empty for no such account).
    fn people_acted_for<'a>(
        &'a self,
        state: &'a AppState,
        account: &'a AccountId,
    ) -> BoxFuture<'a, Result<Vec<Person>, AppError>>;

    /// Where `account`'s notices go, or `None` for no such account.
    fn contact<'a>(
        &'a self,
        state: &'a AppState,
        account: &'a AccountId,
    ) -> BoxFuture<'a, Result<Option<Contact>, AppError>>;
}

/// Identity's answer about OAuth access tokens (implemented by identity).
pub trait Bearers: Send + Sync + 'static {
    /// The principal an app presenting access `token` acts as: the
    /// account's, through the token's grant (`Principal::through`: resident
    /// powers only, limited to its scopes). `None` when the token is
    /// unknown, expired or revoked (looked up on every call, so a
    /// revocation applies at once on every server), or its account is not
    /// active.
    fn principal<'a>(
        &'a self,
        state: &'a AppState,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Option<Principal>, AppError>>;
}

/// A health event another domain saw, for which a signed record is due.
#[derive(Clone)]
pub struct HealthEvent {
    /// The person's identity document (finds the record for them later).
    pub document: Document,
    /// As on the document: family name and given names (Latin script, or
    /// with `standardised_*` given).
    pub family_name: String,
    pub given_name: String,
    pub birthdate: String,
    pub kind: HealthEventKind,
    /// Who records it, for the audit log (`account:<id>`, `booking:<id>`).
    pub actor: String,
}

impl std::fmt::Debug for HealthEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthEvent").field("kind", &self.kind).field("actor", &self.actor).finish_non_exhaustive()
    }
}

/// What happened: the fields of the record, as value-set codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthEventKind {
    Vaccination {
        /// The product's code (`vaccine-medicinal-product`, e.g. `EU/1/20/1528`).
        product: String,
        dose: u8,
        doses_in_series: u8,
        /// `YYYY-MM-DD`.
        date: String,
    },
    Test {
        /// Test type (`LP6464-4` NAAT, `LP217198-3` rapid antigen).
        test_type: String,
        /// Sample time, RFC 3339.
        sampled_at: String,
        /// `260415000` not detected, `260373001` detected.
        result: String,
        centre: String,
    },
}

/// Credentials' service to other domains (implemented by credentials).
pub trait HealthRecords: Send + Sync + 'static {
    /// Issues the signed record for `event`; returns its identifier (UVCI).
    fn issue<'a>(&'a self, state: &'a AppState, event: HealthEvent) -> BoxFuture<'a, Result<String, AppError>>;
}

/// The services a module offers others. Each may have one provider.
#[derive(Clone, Copy, Default)]
pub struct Contracts {
    pub people: Option<&'static dyn People>,
    pub health_records: Option<&'static dyn HealthRecords>,
    pub bearers: Option<&'static dyn Bearers>,
}

/// Two modules offer the same service.
#[derive(Debug, thiserror::Error)]
#[error("both {first} and {second} offer the {service} service; one must")]
pub struct DuplicateContract {
    pub service: &'static str,
    pub first: &'static str,
    pub second: &'static str,
}

impl Contracts {
    /// The services of every module, each from its one provider.
    pub fn of(modules: &[crate::module::Module]) -> Result<Contracts, DuplicateContract> {
        let mut out = Contracts::default();
        let mut providers: [Option<&'static str>; 3] = [None; 3];
        for m in modules {
            let offered =
                [m.contracts.people.is_some(), m.contracts.health_records.is_some(), m.contracts.bearers.is_some()];
            for (i, (service, offers)) in
                ["people", "health records", "bearer tokens"].into_iter().zip(offered).enumerate()
            {
                if !offers {
                    continue;
                }
                if let Some(first) = providers[i] {
                    return Err(DuplicateContract { service, first, second: m.name });
                }
                providers[i] = Some(m.name);
            }
            out.people = out.people.or(m.contracts.people);
            out.health_records = out.health_records.or(m.contracts.health_records);
            out.bearers = out.bearers.or(m.contracts.bearers);
        }
        Ok(out)
    }

    /// Identity's people service, or an internal error naming what is missing.
    pub fn people(&self) -> Result<&'static dyn People, AppError> {
        self.people.ok_or_else(|| AppError::internal("no module offers the people service (is identity listed?)"))
    }

    /// Credentials' health-record service, if it is part of this binary.
    pub fn health_records(&self) -> Option<&'static dyn HealthRecords> {
        self.health_records
    }

    /// Identity's bearer-token service, if it is part of this binary
    /// (without it, `web::sessions` leaves `Authorization` to handlers).
    pub fn bearers(&self) -> Option<&'static dyn Bearers> {
        self.bearers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::Module;

    struct Nobody;

    impl People for Nobody {
        fn checked_person<'a>(
            &'a self,
            _: &'a AppState,
            _: &'a AccountId,
        ) -> BoxFuture<'a, Result<Option<CheckedPerson>, AppError>> {
            Box::pin(async { Ok(None) })
        }

        fn acts_for<'a>(
            &'a self,
            _: &'a AppState,
            _: &'a AccountId,
            _: &'a PersonId,
        ) -> BoxFuture<'a, Result<Option<Person>, AppError>> {
            Box::pin(async { Ok(None) })
        }

        fn people_acted_for<'a>(
            &'a self,
            _: &'a AppState,
            _: &'a AccountId,
        ) -> BoxFuture<'a, Result<Vec<Person>, AppError>> {
            Box::pin(async { Ok(Vec::new()) })
        }

        fn contact<'a>(
            &'a self,
            _: &'a AppState,
            _: &'a AccountId,
        ) -> BoxFuture<'a, Result<Option<Contact>, AppError>> {
            Box::pin(async { Ok(None) })
        }
    }

    #[test]
    fn each_service_has_one_provider() {
        let offering = |name| Module {
            contracts: Contracts { people: Some(&Nobody), ..Contracts::default() },
            ..Module::named(name)
        };
        let found = Contracts::of(&[Module::named("a"), offering("b")]).unwrap();
        assert!(found.people().is_ok() && found.health_records().is_none());
        let err = Contracts::of(&[offering("b"), Module::named("c"), offering("d")]).err().unwrap();
        assert_eq!((err.service, err.first, err.second), ("people", "b", "d"));
        assert!(Contracts::of(&[Module::named("a")]).unwrap().people().is_err());
    }

    #[test]
    fn a_person_is_shown_by_the_name_of_the_language() {
        let person = |name: Option<&str>, name_zh: Option<&str>| Person {
            id: PersonId(uuid::Uuid::now_v7()),
            holder: false,
            birthdate: None,
            name: name.map(str::to_owned),
            name_zh: name_zh.map(str::to_owned),
            checked: None,
        };
        let both = person(Some("CHAN Siu Ming"), Some("陳小明"));
        assert_eq!(both.shown_name(Lang::En), Some("CHAN Siu Ming"));
        assert_eq!(both.shown_name(Lang::ZhHk), Some("陳小明"));
        assert_eq!(both.shown_name(Lang::ZhCn), Some("陳小明"));
        assert_eq!(person(None, Some("陳小明")).shown_name(Lang::En), Some("陳小明"));
        assert_eq!(person(Some("CHAN Siu Ming"), None).shown_name(Lang::ZhHk), Some("CHAN Siu Ming"));
        assert_eq!(person(None, None).shown_name(Lang::En), None);
        assert!(!format!("{both:?}").contains("CHAN"), "no personal data in logs");
    }

    #[test]
    fn a_notice_by_sms_has_no_subject() {
        let to = |channel| Contact { channel, recipient: "x".to_owned(), lang: Lang::ZhHk };
        let mail = to(Channel::Email).notification("Subject".to_owned(), "Body".to_owned());
        assert_eq!((mail.subject.as_deref(), mail.body.as_str(), mail.lang), (Some("Subject"), "Body", Lang::ZhHk));
        assert_eq!(to(Channel::Sms).notification("Subject".to_owned(), "Body".to_owned()).subject, None);
    }
}
