//! The `credential_rules` table: every version of the validity rules, kept;
//! the one in force is the newest whose `valid_from` has come (the built-in
//! defaults, version 1, when none has). A change is a new version, written
//! with its audit row in one transaction.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::{AppError, FieldError};
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use time::OffsetDateTime;

use super::{Rules, RulesUpdate};

pub mod entity {
    //! `credential_rules` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "credential_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        /// The rules (JSON, as the bundle carries them).
        pub document: String,
        pub valid_from: TimeDateTimeWithTimeZone,
        pub created_at: TimeDateTimeWithTimeZone,
        pub created_by: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn parse(row: &entity::Model) -> Result<Rules, AppError> {
    serde_json::from_str(&row.document).map_err(|e| AppError::internal(format!("rules version {}: {e}", row.version)))
}

/// The rules in force at `now`.
pub async fn in_force(db: &impl ConnectionTrait, now: OffsetDateTime) -> Result<Rules, AppError> {
    let row = entity::Entity::find()
        .filter(entity::Column::ValidFrom.lte(now))
        .order_by_desc(entity::Column::Version)
        .one(db)
        .await?;
    row.map_or_else(|| Ok(Rules::defaults()), |row| parse(&row))
}

/// Every version, newest first, the defaults (version 1) last.
pub async fn versions(db: &impl ConnectionTrait) -> Result<Vec<Rules>, AppError> {
    let rows = entity::Entity::find().order_by_desc(entity::Column::Version).all(db).await?;
    let mut all = rows.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
    all.push(Rules::defaults());
    Ok(all)
}

/// The problems of an update as a validation error.
pub fn invalid(problems: &[super::Problem]) -> AppError {
    AppError::validation(problems.iter().map(|p| FieldError::new(p.field.clone(), "invalid", p.key)).collect())
}

/// Saves an update as the next version, by `actor`; returns it.
pub async fn save(state: &AppState, actor: &str, update: RulesUpdate) -> Result<Rules, AppError> {
    update.check().map_err(|p| invalid(&p))?;
    let now = platform::db::now();
    let txn = platform::db::begin_write(&state.db).await?;
    let last = entity::Entity::find().order_by_desc(entity::Column::Version).one(&txn).await?;
    let version = last.map_or(2, |row| row.version + 1);
    let rules = update.into_rules(u32::try_from(version).map_err(AppError::internal)?, now);
    entity::ActiveModel {
        version: Set(version),
        document: Set(serde_json::to_string(&rules).map_err(AppError::internal)?),
        valid_from: Set(rules.valid_from),
        created_at: Set(now),
        created_by: Set(actor.to_owned()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(actor.to_owned(), "credentials.rules.update", format!("credential-rules:{version}")),
    )
    .await?;
    txn.commit().await?;
    Ok(rules)
}
