//! Notices into the outbox, in the caller's transaction, and the reminder
//! job: each booking whose slot is tomorrow (local time) is claimed once
//! with a conditional update of `reminded_at`, in the same transaction as
//! its message, so two servers running the job never both remind.

use platform::app::AppState;
use platform::contracts::Contact;
use platform::error::AppError;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{QueryOrder, QuerySelect};

use super::{Notice, message};
use crate::bookings::Status;
use crate::bookings::store::{Booked, booking};
use crate::programmes::store::slot;

/// Bookings reminded in one run at most (the next run takes the rest).
const BATCH: u64 = 500;

/// Puts `notice` about `booked` in the outbox inside `txn`, when the
/// holder can be written to.
pub async fn enqueue(
    state: &AppState,
    txn: &impl ConnectionTrait,
    notice: Notice,
    contact: Option<&Contact>,
    booked: &Booked,
) -> Result<(), AppError> {
    if let Some(contact) = contact {
        platform::outbox::enqueue(txn, message(state, notice, contact, booked)).await?;
    }
    Ok(())
}

/// Tells the person behind `booked` (through the account that booked)
/// that their result is ready, inside the results role's transaction.
pub(crate) async fn result_ready(
    txn: &impl ConnectionTrait,
    state: &AppState,
    booked: &Booked,
) -> Result<(), AppError> {
    let contact = crate::people::contact(state, &booked.booking.account_id).await?;
    enqueue(state, txn, Notice::ResultReady, contact.as_ref(), booked).await
}

/// Reminds everyone whose booking is tomorrow and was not reminded yet;
/// returns how many reminders this run claimed.
pub async fn remind_due(state: &AppState) -> Result<u64, AppError> {
    let tomorrow = state.today().saturating_add(time::Duration::DAY);
    let from = state.start_of_day(tomorrow);
    let to = state.start_of_day(tomorrow.saturating_add(time::Duration::DAY));
    let tomorrows = Query::select()
        .column(slot::Column::Id)
        .from(slot::Entity)
        .and_where(Expr::col(slot::Column::StartsAt).gte(from))
        .and_where(Expr::col(slot::Column::StartsAt).lt(to))
        .to_owned();
    let due = booking::Entity::find()
        .filter(booking::Column::Status.eq(Status::Confirmed.as_str()))
        .filter(booking::Column::RemindedAt.is_null())
        .filter(booking::Column::SlotId.in_subquery(tomorrows))
        .order_by_asc(booking::Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let mut claimed = 0;
    for row in due {
        let contact = crate::people::contact(state, &row.account_id).await?;
        let Some(booked) = crate::bookings::store::context(state, row).await? else { continue };
        let txn = platform::db::begin_write(&state.db).await?;
        let claim = booking::Entity::update_many()
            .col_expr(booking::Column::RemindedAt, Expr::value(platform::db::now()))
            .filter(booking::Column::Id.eq(&booked.booking.id))
            .filter(booking::Column::Status.eq(Status::Confirmed.as_str()))
            .filter(booking::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?;
        if claim.rows_affected == 0 {
            // Another server reminded it, or it was cancelled meanwhile.
            continue;
        }
        enqueue(state, &txn, Notice::Reminder, contact.as_ref(), &booked).await?;
        txn.commit().await?;
        claimed += 1;
    }
    if claimed > 0 {
        state.outbox_wake.notify_one();
    }
    Ok(claimed)
}
