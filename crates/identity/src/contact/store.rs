//! The queries and operations of a change of e-mail address or mobile
//! number: starting one (a code to the new one, or a notice and a decoy),
//! finishing it (the account updated, audited and the old one told, in one
//! transaction), and what a pending change is.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::i18n::Lang;
use platform::outbox;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;

use super::{Change, Finished};
use crate::accounts::{self, Started};
use crate::model::{Identifier, OneTimeCode, Phone};
use crate::notices;
use crate::store::{self, account};

/// Starts adding or changing `account`'s e-mail address or mobile number to
/// `new`: a code to `new`, or (if another account has it) a notice to its
/// owner and a decoy, in `lang`. `None` if `new` is already this account's.
pub(crate) async fn start(
    state: &AppState,
    lang: Lang,
    account: &account::Model,
    new: &Identifier,
    ip: &str,
) -> Result<Option<Started>, AppError> {
    let current = match new {
        Identifier::Email(_) => account.email.as_deref(),
        Identifier::Phone(_) => account.phone.as_deref(),
    };
    if current == Some(new.as_str()) {
        return Ok(None);
    }
    let purpose = Change::of(new).purpose();
    let verification_id = Uuid::now_v7().to_string();
    let code = OneTimeCode::generate();
    let txn = platform::db::begin_write(&state.db).await?;
    if let Err(cap) = accounts::store::count_send(state, &txn, new, ip).await? {
        txn.rollback().await?;
        return Ok(Some(Started::Capped(cap)));
    }
    let mac = accounts::store::code_mac(state, &verification_id, &code);
    let to = crate::guesses::to_key(state, new);
    match store::account_by(&txn, new).await? {
        None => {
            store::create_verification(&txn, &verification_id, Some(&account.id), purpose, mac, None, to).await?;
            store::set_verification_target(&txn, &verification_id, new.as_str()).await?;
            outbox::enqueue(&txn, notices::code_message(state, lang, new, &code)).await?;
        }
        Some(_) => {
            // A decoy the code of which is never sent; the owner is told.
            let decoy = accounts::store::code_mac(state, &verification_id, &OneTimeCode::generate());
            store::create_verification(&txn, &verification_id, None, purpose, decoy, None, to).await?;
            let body = state.catalog.text(lang, "contact-taken-body");
            outbox::enqueue(&txn, notices::to_address(state, lang, new, "contact-taken-subject", body)).await?;
        }
    }
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Some(Started::Verification(verification_id)))
}

/// Finishes the change `verification_id` started for `account` with the
/// code the resident typed; the old address or number is told in `lang`.
pub(crate) async fn finish(
    state: &AppState,
    lang: Lang,
    account: &account::Model,
    verification_id: &str,
    code: &OneTimeCode,
) -> Result<Finished, AppError> {
    let Some(v) = store::verification_by_id(&state.db, verification_id).await? else {
        return Ok(Finished::Code(accounts::VerifyOutcome::Unknown));
    };
    // Someone else's change (or a decoy) is "wrong code" here, never a way in.
    if v.account_id.as_deref().is_some_and(|id| id != account.id) {
        return Ok(Finished::Code(accounts::VerifyOutcome::Unknown));
    }
    let (txn, _, purpose) = match accounts::store::check_code(state, verification_id, code, &Change::purposes()).await?
    {
        accounts::store::CodeCheck::Right { txn, account_id, purpose } => (txn, account_id, purpose),
        accounts::store::CodeCheck::Not(outcome) => return Ok(Finished::Code(outcome)),
    };
    let Some(target) = v.target else { return Err(AppError::internal("change verification without a target")) };
    let Some(change) = Change::from_purpose(purpose) else {
        return Err(AppError::internal("change verification with another purpose"));
    };
    let (value_col, verified_col) = match change {
        Change::Phone => (account::Column::Phone, account::Column::PhoneVerifiedAt),
        Change::Email => (account::Column::Email, account::Column::EmailVerifiedAt),
    };
    let updated = account::Entity::update_many()
        .col_expr(value_col, Expr::value(target.clone()))
        .col_expr(verified_col, Expr::value(platform::db::now()))
        .filter(account::Column::Id.eq(account.id.as_str()))
        .exec(&txn)
        .await;
    match updated {
        Ok(_) => {}
        Err(e) if platform::db::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Ok(Finished::Taken);
        }
        Err(e) => return Err(e.into()),
    }
    let subject = format!("account:{}", account.id);
    audit::record(&txn, &state.keys, AuditEntry::new(subject.clone(), change.action(), subject)).await?;
    // The old address or number hears of it (the new one just proved itself).
    let old = match change {
        Change::Phone => account.phone.as_deref().map(|p| Identifier::Phone(Phone::stored(p))),
        Change::Email => {
            account.email.as_deref().and_then(|e| crate::model::Email::parse(e).ok()).map(Identifier::Email)
        }
    };
    if let Some(old) = old {
        let body = state.catalog.text(lang, "contact-changed-body");
        outbox::enqueue(&txn, notices::to_address(state, lang, &old, "contact-changed-subject", body)).await?;
    }
    txn.commit().await?;
    state.outbox_wake.notify_one();
    Ok(Finished::Changed)
}

/// The change a verification is for (`None` if there is no such
/// verification, or it is not a change).
pub(crate) async fn pending(state: &AppState, verification_id: &str) -> Result<Option<Change>, AppError> {
    Ok(store::verification_by_id(&state.db, verification_id).await?.and_then(|v| Change::from_purpose(v.purpose)))
}
