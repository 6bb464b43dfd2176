//! The `profile_field` table: a person's values, what the resident types
//! into the profile form (saved and audited in one transaction), and the
//! values a real-name check reads from a document.

use platform::app::AppState;
use platform::error::AppError;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

use crate::store::account::Level;

pub mod entity {
    //! `profile_field` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "profile_field")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub field: String,
        pub value: String,
        pub source: String,
        pub updated_at: TimeDateTimeWithTimeZone,
        /// The identity document whose verification recorded the value.
        pub document_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The person's profile values, by field slug.
pub async fn values(conn: &impl ConnectionTrait, person_id: &str) -> Result<Vec<entity::Model>, DbErr> {
    entity::Entity::find().filter(entity::Column::PersonId.eq(person_id)).all(conn).await
}

/// The fields of several people at once (one query, whatever their number).
pub async fn values_of(conn: &impl ConnectionTrait, person_ids: &[String]) -> Result<Vec<entity::Model>, DbErr> {
    if person_ids.is_empty() {
        return Ok(Vec::new());
    }
    entity::Entity::find().filter(entity::Column::PersonId.is_in(person_ids.iter().map(String::as_str))).all(conn).await
}

/// Stores what the resident typed; a changed value becomes `self`-sourced.
async fn save(conn: &impl ConnectionTrait, person_id: &str, slug: &str, value: &str) -> Result<(), DbErr> {
    let existing = entity::Entity::find_by_id((person_id.to_owned(), slug.to_owned())).one(conn).await?;
    match (existing, value.is_empty()) {
        (Some(_), true) => {
            entity::Entity::delete_by_id((person_id.to_owned(), slug.to_owned())).exec(conn).await?;
        }
        (Some(e), false) if e.value == value => {}
        (None, true) => {}
        (existing, false) => {
            let row = entity::ActiveModel {
                person_id: Set(person_id.to_owned()),
                field: Set(slug.to_owned()),
                value: Set(value.to_owned()),
                source: Set(super::Source::Typed.name().to_owned()),
                updated_at: Set(platform::db::now()),
                document_id: Set(None),
            };
            if existing.is_some() {
                row.update(conn).await?;
            } else {
                row.insert(conn).await?;
            }
        }
    }
    Ok(())
}

/// Records a value read from a checked document: `source` is how it was
/// checked (`officer`, `assertion`) and `document_id` the record of it.
pub(crate) async fn record_vouched(
    conn: &impl ConnectionTrait,
    person_id: &str,
    slug: &str,
    value: &str,
    source: &str,
    document_id: &str,
) -> Result<(), DbErr> {
    entity::Entity::delete_by_id((person_id.to_owned(), slug.to_owned())).exec(conn).await?;
    entity::ActiveModel {
        person_id: Set(person_id.to_owned()),
        field: Set(slug.to_owned()),
        value: Set(value.to_owned()),
        source: Set(source.to_owned()),
        updated_at: Set(platform::db::now()),
        document_id: Set(Some(document_id.to_owned())),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// An account's person's profile as stored.
#[derive(Debug)]
pub(crate) struct Profile {
    pub(crate) person_id: String,
    /// Whether the account is at the real-name level.
    pub(crate) real_name: bool,
    pub(crate) stored: Vec<entity::Model>,
}

impl Profile {
    /// The stored row of `slug`, if any.
    pub(crate) fn row(&self, slug: &str) -> Option<&entity::Model> {
        self.stored.iter().find(|m| m.field == slug)
    }

    /// Whether `slug` stays as a checked document says ([`super::vouched`]).
    pub(crate) fn vouched(&self, slug: &str) -> bool {
        vouched(&self.stored, slug, self.real_name)
    }
}

fn vouched(stored: &[entity::Model], slug: &str, real_name: bool) -> bool {
    super::vouched(slug, real_name, stored.iter().any(|m| m.field == slug && m.document_id.is_some()))
}

async fn account_of(conn: &impl ConnectionTrait, account_id: &str) -> Result<crate::store::account::Model, AppError> {
    crate::store::account_by_id(conn, account_id).await?.ok_or_else(AppError::not_found)
}

/// The profile of the person whose account is `account_id`.
pub(crate) async fn of_account(state: &AppState, account_id: &str) -> Result<Profile, AppError> {
    let account = account_of(&state.db, account_id).await?;
    let stored = values(&state.db, &account.person_id).await?;
    Ok(Profile { person_id: account.person_id, real_name: account.level == Level::RealName, stored })
}

/// Saves what the resident typed (`typed`, by field slug) into the profile
/// they saw (`seen`), but for the values a checked document vouches for;
/// audited in the same transaction. Returns the profile as it is now.
pub(crate) async fn save_typed(
    state: &AppState,
    account_id: &str,
    seen: &Profile,
    typed: &[(&str, &str)],
) -> Result<Profile, AppError> {
    let person = seen.person_id.as_str();
    let txn = platform::db::begin_write(&state.db).await?;
    // Read again under the write lock: a verification may have landed meanwhile.
    let real_name = seen.real_name || account_of(&txn, account_id).await?.level == Level::RealName;
    let stored = values(&txn, person).await?;
    for (slug, value) in typed.iter().filter(|(slug, _)| !vouched(&stored, slug, real_name)) {
        save(&txn, person, slug, value).await?;
    }
    platform::audit::record(
        &txn,
        &state.keys,
        platform::audit::AuditEntry::new(
            format!("account:{account_id}"),
            "account.profile_update",
            format!("account:{account_id}"),
        ),
    )
    .await?;
    txn.commit().await?;
    let stored = values(&state.db, person).await?;
    Ok(Profile { person_id: person.to_owned(), real_name, stored })
}
