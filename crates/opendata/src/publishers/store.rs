//! Publishers' tables (`opendata_publisher`, `opendata_token`): who
//! publishes for which organisation, and API tokens kept as MACs.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use sea_orm::Set;
use sea_orm::entity::prelude::*;

pub mod publisher {
    //! `opendata_publisher` rows: an account publishes for an organisation.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_publisher")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organisation_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod token {
    //! `opendata_token` rows: an account's API token, as a MAC.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_token")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub account_id: String,
        pub name: String,
        pub mac: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub revoked_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn mac(state: &AppState, token: &str) -> String {
    state.keys.blind_index("opendata.api-token", token)
}

/// Makes `account` a publisher of `organisation_id` (again is no change).
pub async fn add_publisher(state: &AppState, organisation_id: &str, account: &str, actor: &str) -> Result<bool, DbErr> {
    let txn = platform::db::begin_write(&state.db).await?;
    if publisher::Entity::find_by_id((organisation_id.to_owned(), account.to_owned())).one(&txn).await?.is_some() {
        return Ok(false);
    }
    publisher::ActiveModel {
        organisation_id: Set(organisation_id.to_owned()),
        account_id: Set(account.to_owned()),
        created_at: Set(platform::db::now()),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new(actor, "opendata.publisher.add", format!("organisation:{organisation_id}"));
    audit::record(&txn, &state.keys, entry).await.map_err(|e| DbErr::Custom(e.to_string()))?;
    txn.commit().await?;
    Ok(true)
}

/// Whether `account` publishes for the organisation.
pub async fn is_publisher(state: &AppState, organisation_id: &str, account: &str) -> Result<bool, DbErr> {
    Ok(publisher::Entity::find_by_id((organisation_id.to_owned(), account.to_owned())).one(&state.db).await?.is_some())
}

/// The organisations `account` publishes for.
pub async fn organisations_of(state: &AppState, account: &str) -> Result<Vec<String>, DbErr> {
    let rows = publisher::Entity::find().filter(publisher::Column::AccountId.eq(account)).all(&state.db).await?;
    Ok(rows.into_iter().map(|p| p.organisation_id).collect())
}

/// A new token for `account`: its ID and the secret, which is shown once
/// and kept only as a MAC.
pub async fn create_token(state: &AppState, account: &str, name: &str, actor: &str) -> Result<(String, String), DbErr> {
    let secret = super::new_token();
    let id = Uuid::now_v7().to_string();
    let txn = platform::db::begin_write(&state.db).await?;
    token::ActiveModel {
        id: Set(id.clone()),
        account_id: Set(account.to_owned()),
        name: Set(name.to_owned()),
        mac: Set(mac(state, &secret)),
        created_at: Set(platform::db::now()),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new(actor, "opendata.token.create", format!("token:{id}"));
    audit::record(&txn, &state.keys, entry).await.map_err(|e| DbErr::Custom(e.to_string()))?;
    txn.commit().await?;
    Ok((id, secret))
}

/// Revokes a token; `false` when there is no live token with this ID.
pub async fn revoke_token(state: &AppState, id: &str, actor: &str) -> Result<bool, DbErr> {
    let txn = platform::db::begin_write(&state.db).await?;
    let done = token::Entity::update_many()
        .col_expr(token::Column::RevokedAt, Expr::value(platform::db::now()))
        .filter(token::Column::Id.eq(id))
        .filter(token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Ok(false);
    }
    let entry = AuditEntry::new(actor, "opendata.token.revoke", format!("token:{id}"));
    audit::record(&txn, &state.keys, entry).await.map_err(|e| DbErr::Custom(e.to_string()))?;
    txn.commit().await?;
    Ok(true)
}

/// The account a live token belongs to.
pub async fn account_of(state: &AppState, presented: &str) -> Result<Option<String>, DbErr> {
    if !super::plausible_token(presented) {
        return Ok(None);
    }
    let row = token::Entity::find()
        .filter(token::Column::Mac.eq(mac(state, presented)))
        .filter(token::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?;
    Ok(row.map(|t| t.account_id))
}
