//! Identity's side of the platform's people service: what it has checked
//! about an account's holder, the people an account may act for (its holder
//! and the dependants it looks after, `dependants::store::acts_for`) with
//! only what other domains need of each, and where its notices go.

use platform::app::AppState;
use platform::contracts::{BoxFuture, CheckedPerson, Contact, Person, PersonId};
use platform::error::AppError;
use platform::outbox::Channel;
use platform::principal::AccountId;

use crate::store::{self, account};

/// The facts about `person_id` another domain may have: birth date and
/// names from their profile, and their checked document.
async fn person(state: &AppState, person_id: &str, holder: bool) -> Result<Person, AppError> {
    let id = PersonId(uuid::Uuid::parse_str(person_id).map_err(AppError::internal)?);
    let values = crate::profile::store::values(&state.db, person_id).await?;
    let get = |field: &str| values.iter().find(|v| v.field == field && !v.value.is_empty()).map(|v| v.value.clone());
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Ok(Person {
        id,
        holder,
        birthdate: get("birthdate").and_then(|d| time::Date::parse(&d, &format).ok()),
        name: get("name"),
        name_zh: get("name_zh"),
        checked: crate::real_name::store::checked_person(state, person_id).await?,
    })
}

async fn account(state: &AppState, account: &AccountId) -> Result<Option<account::Model>, AppError> {
    Ok(store::account_by_id(&state.db, &account.to_string()).await?)
}

async fn acts_for(state: &AppState, account_id: &AccountId, person_id: &PersonId) -> Result<Option<Person>, AppError> {
    let Some(account) = account(state, account_id).await? else { return Ok(None) };
    let person_id = person_id.to_string();
    if !crate::dependants::store::acts_for(&state.db, &account.id, &person_id).await? {
        return Ok(None);
    }
    Ok(Some(person(state, &person_id, account.person_id == person_id).await?))
}

async fn people_acted_for(state: &AppState, account_id: &AccountId) -> Result<Vec<Person>, AppError> {
    let Some(account) = account(state, account_id).await? else { return Ok(Vec::new()) };
    let mut people = vec![person(state, &account.person_id, true).await?];
    for link in crate::dependants::store::links(&state.db, &account.id).await? {
        people.push(person(state, &link.person_id, false).await?);
    }
    Ok(people)
}

async fn contact(state: &AppState, account_id: &AccountId) -> Result<Option<Contact>, AppError> {
    let Some(account) = account(state, account_id).await? else { return Ok(None) };
    // Only an address the holder proved is theirs: another domain's notices
    // (bookings, results) must not reach whoever typed an address.
    let (channel, recipient) =
        match (&account.email, account.email_verified_at, &account.phone, account.phone_verified_at) {
            (Some(email), Some(_), _, _) => (Channel::Email, email.clone()),
            (_, _, Some(phone), Some(_)) => (Channel::Sms, phone.clone()),
            _ => return Ok(None),
        };
    Ok(Some(Contact { channel, recipient, lang: crate::notices::language(state, &account) }))
}

/// The provider registered in identity's `Module::contracts`.
pub(crate) struct People;

impl platform::contracts::People for People {
    fn checked_person<'a>(
        &'a self,
        state: &'a AppState,
        account_id: &'a AccountId,
    ) -> BoxFuture<'a, Result<Option<CheckedPerson>, AppError>> {
        Box::pin(async move {
            let Some(account) = account(state, account_id).await? else { return Ok(None) };
            crate::real_name::store::checked_person(state, &account.person_id).await
        })
    }

    fn acts_for<'a>(
        &'a self,
        state: &'a AppState,
        account: &'a AccountId,
        person: &'a PersonId,
    ) -> BoxFuture<'a, Result<Option<Person>, AppError>> {
        Box::pin(acts_for(state, account, person))
    }

    fn people_acted_for<'a>(
        &'a self,
        state: &'a AppState,
        account: &'a AccountId,
    ) -> BoxFuture<'a, Result<Vec<Person>, AppError>> {
        Box::pin(people_acted_for(state, account))
    }

    fn contact<'a>(
        &'a self,
        state: &'a AppState,
        account: &'a AccountId,
    ) -> BoxFuture<'a, Result<Option<Contact>, AppError>> {
        Box::pin(contact(state, account))
    }
}
