//! Deletions' `account_deletion` rows and what changes them: asking for a
//! deletion, cancelling it on a sign-in, and the periodic job that deletes
//! accounts whose grace period is over (and prunes what expired elsewhere).
//! Each change writes its audit entry and notice in its own transaction.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::i18n::Lang;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

use super::{Asked, GRACE};
use crate::{accounts, notices, store};

pub mod entity {
    //! `account_deletion` rows: deletions waiting out their grace period.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_deletion")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        pub requested_at: TimeDateTimeWithTimeZone,
        pub delete_after: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Asks for `account_id`'s deletion, proven by `password` (guesses counted
/// like sign-in's, under `rate_key`: an open session is no way around the
/// throttle). Then, in one transaction: the deletion waits out its grace
/// period, every session ends, services lose their access now (not after
/// the grace period), the holder is told in `lang`, and it is audited.
pub(crate) async fn ask(
    state: &AppState,
    lang: Lang,
    account_id: &str,
    password: &str,
    rate_key: &str,
) -> Result<Asked, AppError> {
    let account = store::account_by_id(&state.db, account_id).await?.ok_or_else(AppError::not_found)?;
    let checked = accounts::store::check_password(state, &account, password, rate_key).await?;
    if checked != accounts::PasswordCheck::Right {
        return Ok(Asked::Refused(checked));
    }
    let now = platform::db::now();
    let on = super::deleted_on(now);
    let txn = platform::db::begin_write(&state.db).await?;
    entity::Entity::delete_by_id(account_id.to_owned()).exec(&txn).await?;
    entity::ActiveModel {
        account_id: Set(account_id.to_owned()),
        requested_at: Set(now),
        delete_after: Set(now + GRACE),
    }
    .insert(&txn)
    .await?;
    platform::session::revoke_all(&txn, account_id).await?;
    crate::oidc::store::revoke_account(&txn, account_id).await?;
    let mut n = notices::to_holder(state, lang, &account, "email-deletion-subject", "email-deletion-body")?;
    n.body = state.catalog.text_with(lang, "email-deletion-body", &[("date", &on.to_string())]);
    platform::outbox::enqueue(&txn, n).await?;
    audit::record(
        &txn,
        &state.keys,
        AuditEntry::new(format!("account:{account_id}"), "account.deletion_requested", format!("account:{account_id}")),
    )
    .await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Asked::Scheduled { on })
}

/// Cancels a pending deletion (called on every successful sign-in).
pub async fn cancel(state: &AppState, lang: Lang, account_id: &str) -> Result<bool, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let removed = entity::Entity::delete_by_id(account_id.to_owned()).exec(&txn).await?.rows_affected == 1;
    if removed {
        if let Some(account) = store::account_by_id(&txn, account_id).await? {
            let n = notices::to_holder(
                state,
                lang,
                &account,
                "email-deletion-cancelled-subject",
                "email-deletion-cancelled-body",
            )?;
            platform::outbox::enqueue(&txn, n).await?;
        }
        audit::record(
            &txn,
            &state.keys,
            AuditEntry::new(
                format!("account:{account_id}"),
                "account.deletion_cancelled",
                format!("account:{account_id}"),
            ),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(removed)
}

/// The periodic job: delete accounts whose grace period is over, and
/// forget expired codes, throttles, challenges and tokens.
pub(crate) async fn job(state: AppState) {
    if let Err(e) = run(&state).await {
        tracing::warn!(error = %e, "identity job failed");
    }
}

async fn run(state: &AppState) -> Result<(), AppError> {
    store::purge_verifications(&state.db).await?;
    store::purge_throttles(&state.db).await?;
    store::purge_challenges(&state.db).await?;
    crate::app_sign_in::store::purge(&state.db).await?;
    crate::passkeys::store::purge(&state.db).await?;
    crate::sms::purge(&state.db).await?;
    crate::oidc::store::purge(&state.db).await?;
    let due =
        entity::Entity::find().filter(entity::Column::DeleteAfter.lte(platform::db::now())).all(&state.db).await?;
    for d in due {
        let txn = platform::db::begin_write(&state.db).await?;
        // Still asked for and still due, under the write lock: a sign-in
        // (which cancels) since the list was read keeps the account.
        let still_due = entity::Entity::delete_many()
            .filter(entity::Column::AccountId.eq(d.account_id.as_str()))
            .filter(entity::Column::DeleteAfter.lte(platform::db::now()))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !still_due {
            txn.rollback().await?;
            continue;
        }
        if let Some(account) = store::account_by_id(&txn, &d.account_id).await? {
            platform::session::revoke_all(&txn, &account.id).await?;
            // Dependent rows go with the account and the person (foreign keys cascade).
            crate::dependants::store::release_all(&txn, &account.id).await?;
            store::account::Entity::delete_by_id(account.id.clone()).exec(&txn).await?;
            store::person::Entity::delete_by_id(account.person_id.clone()).exec(&txn).await?;
            audit::record(
                &txn,
                &state.keys,
                AuditEntry::new("system", "account.deleted", format!("account:{}", account.id)),
            )
            .await?;
        }
        txn.commit().await?;
    }
    Ok(())
}
