//! Dependants' `guardian` rows and every query and change on them: who may
//! act for whom (`acts_for`), the list a guardian sees, adding a dependant
//! with their profile, and ending a guardian's care (each change audited in
//! its own transaction).

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

use super::{Dependant, NewDependant};
use crate::store;

pub mod entity {
    //! `guardian` rows: which account looks after which person.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "guardian")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        pub relation: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Whether `account_id` may act for `person_id` (their own person, or a dependant).
pub async fn acts_for(conn: &impl ConnectionTrait, account_id: &str, person_id: &str) -> Result<bool, DbErr> {
    if store::account_by_id(conn, account_id).await?.is_some_and(|a| a.person_id == person_id) {
        return Ok(true);
    }
    Ok(entity::Entity::find_by_id((person_id.to_owned(), account_id.to_owned())).one(conn).await?.is_some())
}

/// The people an account looks after, as linked (for the data download).
pub async fn links(conn: &impl ConnectionTrait, account_id: &str) -> Result<Vec<entity::Model>, DbErr> {
    entity::Entity::find().filter(entity::Column::AccountId.eq(account_id)).all(conn).await
}

/// The people an account looks after, with their details.
pub async fn list(conn: &impl ConnectionTrait, account_id: &str) -> Result<Vec<Dependant>, DbErr> {
    let links = links(conn, account_id).await?;
    let people: Vec<String> = links.iter().map(|l| l.person_id.clone()).collect();
    let values = crate::profile::store::values_of(conn, &people).await?;
    Ok(links
        .into_iter()
        .map(|link| {
            let get = |f: &str| {
                values.iter().find(|v| v.person_id == link.person_id && v.field == f).map(|v| v.value.clone())
            };
            Dependant {
                name: get("name").unwrap_or_default(),
                name_zh: get("name_zh").unwrap_or_default(),
                birthdate: get("birthdate").unwrap_or_default(),
                relation_key: format!("dependant-relation-{}", link.relation),
                person_id: link.person_id,
            }
        })
        .collect())
}

/// Adds a dependant (already checked: `NewDependant::problems` is empty):
/// a new person, their profile fields from the guardian, the guardian link
/// and the audit entry, in one transaction.
pub(crate) async fn add(state: &AppState, account_id: &str, new: NewDependant<'_>) -> Result<(), AppError> {
    let now = platform::db::now();
    let person_id = Uuid::now_v7().to_string();
    let txn = platform::db::begin_write(&state.db).await?;
    store::person::ActiveModel { id: Set(person_id.clone()), created_at: Set(now) }.insert(&txn).await?;
    for (slug, value) in new.fields() {
        if !value.is_empty() {
            crate::profile::store::entity::ActiveModel {
                person_id: Set(person_id.clone()),
                field: Set(slug.to_owned()),
                value: Set(value.to_owned()),
                source: Set(crate::profile::Source::Guardian.name().to_owned()),
                updated_at: Set(now),
                document_id: Set(None),
            }
            .insert(&txn)
            .await?;
        }
    }
    entity::ActiveModel {
        person_id: Set(person_id.clone()),
        account_id: Set(account_id.to_owned()),
        relation: Set(new.relation.to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(format!("account:{account_id}"), "person.add_dependant", format!("person:{person_id}")),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Stops `account_id` looking after `person_id`, audited; nothing happens
/// when there is no such link (someone else's dependant, or already removed).
pub(crate) async fn remove(state: &AppState, account_id: &str, person_id: &str) -> Result<(), AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    if release(&txn, account_id, person_id).await? {
        audit::record(
            &txn,
            &state.keys,
            AuditEntry::new(format!("account:{account_id}"), "person.remove_dependant", format!("person:{person_id}")),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Ends `account_id`'s care of `person_id`; deletes the person when nobody
/// looks after them any more and they have no account. False when there
/// was no such link (someone else's dependant, or already removed).
async fn release(conn: &impl ConnectionTrait, account_id: &str, person_id: &str) -> Result<bool, DbErr> {
    let removed =
        entity::Entity::delete_by_id((person_id.to_owned(), account_id.to_owned())).exec(conn).await?.rows_affected
            == 1;
    if removed {
        let others = entity::Entity::find().filter(entity::Column::PersonId.eq(person_id)).count(conn).await?;
        let has_account =
            store::account::Entity::find().filter(store::account::Column::PersonId.eq(person_id)).count(conn).await?
                > 0;
        if others == 0 && !has_account {
            store::person::Entity::delete_by_id(person_id.to_owned()).exec(conn).await?;
        }
    }
    Ok(removed)
}

/// Releases every dependant of an account that is being deleted, so nobody
/// is left behind with no one to look after their details.
pub(crate) async fn release_all(conn: &impl ConnectionTrait, account_id: &str) -> Result<(), DbErr> {
    for link in links(conn, account_id).await? {
        release(conn, account_id, &link.person_id).await?;
    }
    Ok(())
}
