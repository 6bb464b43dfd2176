//! Who a booking is for: the person the caller may act for (themselves, or
//! a dependant they look after), asked of identity through platform's
//! `People` contract, and their identity document (the one identity
//! checked, or one given with the booking, sealed and blind-indexed).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::error::{AppError, FieldError};
use platform::ids::Document;
use platform::page::PageContext;
use platform::principal::Principal;

use crate::bookings::Holder;
use crate::errors::BookingError;
use crate::programmes::Ineligible;

/// A document as a client gives it with a booking.
#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    /// `hkid` or `passport`.
    #[schema(example = "hkid")]
    pub kind: String,
    /// The number as printed (`A123456(3)`).
    #[schema(example = "A123456(3)")]
    pub number: String,
    /// A passport's issuing country (ISO 3166-1 alpha-3).
    #[serde(default)]
    pub country: String,
}

/// Without the document's number (DESIGN §6: never logged).
impl std::fmt::Debug for DocumentInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentInput").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl DocumentInput {
    /// The document, or a 422 naming the field under `prefix` (`/document`).
    pub fn parse(&self, prefix: &str) -> Result<Document, AppError> {
        Document::parse(self.kind.trim(), self.number.trim(), self.country.trim()).map_err(|problem| {
            use platform::ids::DocumentProblem as P;
            let (field, code) = match problem {
                P::Kind => ("kind", "unknown"),
                P::HkidFormat | P::HkidCheckDigit | P::Passport => ("number", "invalid"),
            };
            let key = match problem {
                P::Kind => "booking-document-kind",
                P::HkidFormat => "booking-document-hkid-format",
                P::HkidCheckDigit => "booking-document-hkid-check",
                P::Passport => "booking-document-passport",
            };
            AppError::validation(vec![FieldError::new(format!("{prefix}/{field}"), code, key)])
        })
    }
}

/// The person `principal` books for (`person_id`, or themselves), with the
/// identity document that makes them one person to the duplicate check.
pub async fn holder(
    state: &AppState,
    principal: &Principal,
    person_id: Option<&str>,
    given: Option<&Document>,
) -> Result<Holder, AppError> {
    let people = state.contracts.people()?;
    let account = &principal.account_id;
    // The account's own ID names its holder too (the pages' "yourself").
    let person = match person_id.map(str::trim).filter(|p| !p.is_empty() && *p != account.to_string()) {
        None => people.people_acted_for(state, account).await?.into_iter().find(|p| p.holder),
        Some(p) => match uuid::Uuid::parse_str(p) {
            Ok(id) => people.acts_for(state, account, &platform::contracts::PersonId(id)).await?,
            Err(_) => None,
        },
    };
    let Some(person) = person else { return Err(BookingError::UnknownPerson.into()) };
    let (document_index, document_kind, document_sealed) = match (person.checked, given) {
        (Some(checked), _) => (checked.document_index, checked.document_kind, None),
        (None, Some(document)) => {
            (document.index(&state.keys), document.kind().to_owned(), Some(STANDARD.encode(document.seal(&state.keys))))
        }
        (None, None) => return Err(BookingError::Ineligible(Ineligible::DocumentNeeded).into()),
    };
    Ok(Holder {
        person_id: person.id.to_string(),
        document_index,
        document_kind,
        document_sealed,
        birthdate: person.birthdate,
    })
}

/// Who a health record is for, as the record names them.
#[derive(Clone)]
pub struct RecordPerson {
    pub document: Document,
    pub family_name: String,
    pub given_name: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
}

impl std::fmt::Debug for RecordPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordPerson(..)")
    }
}

/// The person behind `booking` as a health record names them, or `None`
/// when booking cannot know (then no record is issued, and the officer
/// issues it at credentials' page).
///
/// TODO(lead, H1): the names and birth date come from the People
/// contract's person facts (`person_id` of the booking) that H1 adds; the
/// document from those facts, or from `document_sealed` when it was given
/// at booking. Until that is merged this answers `None`.
pub async fn record_person(state: &AppState, person_id: &str) -> Result<Option<RecordPerson>, AppError> {
    let _ = (state, person_id);
    Ok(None)
}

/// `person_id` as identity knows them, if `account_id` still acts for
/// them (its holder, or a dependant it still looks after).
async fn person_of(
    state: &AppState,
    account_id: &str,
    person_id: &str,
) -> Result<Option<platform::contracts::Person>, AppError> {
    let (Ok(account), Ok(person)) = (uuid::Uuid::parse_str(account_id), uuid::Uuid::parse_str(person_id)) else {
        return Ok(None);
    };
    let people = state.contracts.people()?;
    let account = platform::principal::AccountId(account);
    people.acts_for(state, &account, &platform::contracts::PersonId(person)).await
}

/// Whether `account_id` still acts for `person_id` (its holder, or a
/// dependant it still looks after): a booking made for a dependant is the
/// guardian's only while identity keeps the link.
pub async fn acts_for(state: &AppState, account_id: &str, person_id: &str) -> Result<bool, AppError> {
    Ok(person_of(state, account_id, person_id).await?.is_some())
}

/// The birth date identity knows for `person_id`, asked as `account_id`
/// (who booked for them), for an age rule checked again on another day:
/// a booking keeps no birth date of its own (DESIGN §6: the minimum).
pub async fn birthdate(state: &AppState, account_id: &str, person_id: &str) -> Result<Option<time::Date>, AppError> {
    Ok(person_of(state, account_id, person_id).await?.and_then(|p| p.birthdate))
}

/// Where to write about `person_id`'s booking: to `account_id`, which
/// booked, while it still acts for them (a guardian whose link ended hears
/// no more of the dependant's bookings), else `None`.
pub async fn contact_about(
    state: &AppState,
    account_id: &str,
    person_id: &str,
) -> Result<Option<platform::contracts::Contact>, AppError> {
    if acts_for(state, account_id, person_id).await? { contact(state, account_id).await } else { Ok(None) }
}

/// Where and in which language to write to the holder of `account_id`
/// (identity's verified address), or `None` when there is nowhere.
pub async fn contact(state: &AppState, account_id: &str) -> Result<Option<platform::contracts::Contact>, AppError> {
    let Ok(uuid) = uuid::Uuid::parse_str(account_id) else { return Ok(None) };
    state.contracts.people()?.contact(state, &platform::principal::AccountId(uuid)).await
}

/// Someone the booking pages offer to book for.
pub struct Choice {
    /// The value the form sends: the account's ID for its holder (what the
    /// API's default means), else the dependant's person ID.
    pub id: String,
    /// How the pages name them.
    pub label: String,
    /// Their checked identity document, masked, when identity has one (then
    /// none need be typed for them).
    pub checked: Option<String>,
}

/// The people `principal` may book for, as identity lists them: their
/// holder first, then the dependants they look after.
pub async fn choices(state: &AppState, principal: &Principal, ctx: &PageContext) -> Result<Vec<Choice>, AppError> {
    let people = state.contracts.people()?.people_acted_for(state, &principal.account_id).await?;
    Ok(people
        .into_iter()
        .map(|p| {
            let (id, label) = if p.holder {
                (principal.account_id.to_string(), ctx.t("booking-who-yourself"))
            } else {
                let name = p.shown_name(ctx.lang).map(str::to_owned).unwrap_or_else(|| ctx.t("booking-who-dependant"));
                (p.id.to_string(), name)
            };
            Choice { id, label, checked: p.checked.map(|c| c.masked_document) }
        })
        .collect())
}
