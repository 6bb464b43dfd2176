//! Services one domain offers another (DESIGN.md §2): a domain never
//! depends on another domain's crate, so where one needs what another
//! knows, platform names the service here as a small trait, the owning
//! domain implements it and lists it in its [`Module`](crate::module::Module)'s
//! `contracts`, and the binary's list of modules wires them together.
//!
//! - [`People`]: identity tells what it has checked about the person behind
//!   an account (credentials shows a resident the records issued to their
//!   identity document).
//!   It also says where and in which language to write to an account's
//!   holder (booking's confirmations and reminders).
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
use crate::outbox::Channel;
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

/// Where to write to an account's holder: a verified e-mail address or
/// mobile number, and the language they read.
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    /// [`Channel::Email`] or [`Channel::Sms`].
    pub channel: Channel,
    /// The e-mail address, or the number in E.164 form.
    pub address: String,
    pub lang: Lang,
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

    /// Where and in which language to write to the account's holder: its
    /// verified e-mail address, else its verified mobile number; `None`
    /// when it has neither (or there is no such account).
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
}
