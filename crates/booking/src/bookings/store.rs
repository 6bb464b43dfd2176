//! The `booking_booking` table and the two operations that move places:
//! booking (the slot's place, and the day's quota where one is set, taken
//! each with one conditional statement inside the booking's own
//! transaction, so no number of servers can overbook) and cancelling (the
//! place back in the pool in the same transaction). Also a person's
//! attended steps (for eligibility) and an account's bookings. Moving a
//! booking to another slot takes the new place and gives back the old one
//! in one transaction. Each of them puts its notice in the outbox in the
//! same transaction (`notices`).

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{Condition, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use time::Date;

use super::{Holder, Reference, Status};
use crate::errors::BookingError;
use crate::notices::{self, About, Notice};
use crate::programmes::{self, Facts, store::centre, store::programme, store::quota, store::slot};

pub mod booking {
    //! `booking_booking` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_booking")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub reference: String,
        pub programme_id: String,
        pub step: i32,
        pub slot_id: String,
        pub person_id: String,
        /// The account that booked (the person's own, or their guardian's).
        pub account_id: String,
        /// The person's identity document's blind index: the duplicate check.
        pub document_index: String,
        pub document_kind: String,
        /// The document sealed with the data key, when it was given at booking.
        pub document_sealed: Option<String>,
        pub status: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub cancelled_at: Option<TimeDateTimeWithTimeZone>,
        pub attended_at: Option<TimeDateTimeWithTimeZone>,
        pub reminded_at: Option<TimeDateTimeWithTimeZone>,
        /// Set when a closure (`typhoon-8`, `black-rainstorm`) cancelled or moved it.
        pub closed_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A slot's places changed (a booking, a cancellation, a closure): live
/// availability pages re-read it. Carries identifiers only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotChanged {
    pub programme_id: String,
    pub centre_id: String,
    pub slot_id: String,
}

impl platform::events::Event for SlotChanged {
    const TOPIC: &'static str = "booking.slot_changed";
}

/// A booking request, checked at the edge.
#[derive(Debug, Clone)]
pub struct NewBooking<'a> {
    pub slot_id: &'a str,
    pub holder: Holder,
    /// The account booking, and its identity level.
    pub account_id: &'a str,
    pub level: platform::principal::IdentityLevel,
}

/// A booking with where and when.
#[derive(Debug, Clone)]
pub struct Booked {
    pub booking: booking::Model,
    pub slot: slot::Model,
    pub centre: centre::Model,
    pub programme: programme::Model,
}

/// The steps a document's holder attended in a programme: (step, local day, product).
pub(crate) async fn attended(
    state: &AppState,
    programme_id: &str,
    document_index: &str,
) -> Result<Vec<(u32, Date, String)>, DbErr> {
    let rows = booking::Entity::find()
        .filter(booking::Column::ProgrammeId.eq(programme_id))
        .filter(booking::Column::DocumentIndex.eq(document_index))
        .filter(booking::Column::Status.eq(Status::Attended.as_str()))
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for b in rows {
        if let Some(s) = slot::Entity::find_by_id(&b.slot_id).one(&state.db).await? {
            let day = state.to_local(b.attended_at.unwrap_or(s.starts_at)).date();
            out.push((u32::try_from(b.step).unwrap_or(1), day, s.product_id));
        }
    }
    Ok(out)
}

/// Takes one place of `slot` (and of its day's quota, where one is set) in
/// `txn`: one conditional statement each, so the database, not this code,
/// decides who gets the last place. `SlotClosed` rather than `Full` when a
/// closure came between the caller's read of the slot and this statement.
pub(crate) async fn take_place(
    state: &AppState,
    txn: &impl ConnectionTrait,
    slot: &slot::Model,
) -> Result<(), AppError> {
    let taken = slot::Entity::update_many()
        .col_expr(slot::Column::Taken, Expr::col(slot::Column::Taken).add(1))
        .filter(slot::Column::Id.eq(&slot.id))
        .filter(slot::Column::ClosedAt.is_null())
        .filter(Expr::col(slot::Column::Taken).lt(Expr::col(slot::Column::Capacity)))
        .exec(txn)
        .await?;
    if taken.rows_affected == 0 {
        let closed = slot::Entity::find_by_id(&slot.id).one(txn).await?.is_some_and(|s| s.closed_at.is_some());
        return Err(if closed { BookingError::SlotClosed } else { BookingError::Full }.into());
    }
    let day = state.to_local(slot.starts_at).date();
    let quota = quota::Entity::update_many()
        .col_expr(quota::Column::Taken, Expr::col(quota::Column::Taken).add(1))
        .filter(quota::Column::CentreId.eq(&slot.centre_id))
        .filter(quota::Column::Day.eq(day))
        .filter(quota::Column::ProductId.eq(&slot.product_id))
        .filter(Expr::col(quota::Column::Taken).lt(Expr::col(quota::Column::Capacity)))
        .exec(txn)
        .await?;
    if quota.rows_affected == 0
        && quota::Entity::find_by_id((slot.centre_id.clone(), day, slot.product_id.clone())).one(txn).await?.is_some()
    {
        return Err(BookingError::Full.into());
    }
    Ok(())
}

/// Gives back the place `booking` held (slot and quota) in `txn`.
pub(crate) async fn give_back(state: &AppState, txn: &impl ConnectionTrait, slot: &slot::Model) -> Result<(), DbErr> {
    slot::Entity::update_many()
        .col_expr(slot::Column::Taken, Expr::col(slot::Column::Taken).sub(1))
        .filter(slot::Column::Id.eq(&slot.id))
        .filter(slot::Column::Taken.gt(0))
        .exec(txn)
        .await?;
    quota::Entity::update_many()
        .col_expr(quota::Column::Taken, Expr::col(quota::Column::Taken).sub(1))
        .filter(quota::Column::CentreId.eq(&slot.centre_id))
        .filter(quota::Column::Day.eq(state.to_local(slot.starts_at).date()))
        .filter(quota::Column::ProductId.eq(&slot.product_id))
        .filter(quota::Column::Taken.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}

/// A slot someone means to book, with its centre and programme, and
/// whether the programme's waiting room is on: read in one query.
#[derive(Debug, Clone)]
pub struct Target {
    pub slot: slot::Model,
    pub centre: centre::Model,
    pub programme: programme::Model,
    pub room_on: bool,
}

impl Target {
    /// The checks that need no person: the programme is open, the slot has
    /// not begun, is not closed, and had a place free when it was read. A
    /// slot read full is answered `Full` at once, without the person's
    /// look-ups or a write transaction: it was full at that moment. A slot
    /// read with a place free may still be full by the time the conditional
    /// `UPDATE` in [`book_target`] runs, which alone decides who gets it.
    pub fn check(&self, now: time::OffsetDateTime) -> Result<(), BookingError> {
        if !programmes::is_open(self.programme.opens_at, self.programme.closes_at, now) {
            return Err(BookingError::Ineligible(programmes::Ineligible::NotOpen));
        }
        if self.slot.starts_at <= now {
            return Err(BookingError::Ineligible(programmes::Ineligible::SlotPast));
        }
        if self.slot.closed_at.is_some() {
            return Err(BookingError::SlotClosed);
        }
        if self.slot.taken >= self.slot.capacity {
            return Err(BookingError::Full);
        }
        Ok(())
    }
}

/// The slot `slot_id` with its centre, programme and waiting room (one
/// query: this runs for every booking attempt).
pub async fn target(conn: &impl ConnectionTrait, slot_id: &str) -> Result<Option<Target>, DbErr> {
    use crate::waiting::store::room;
    use sea_orm::sea_query::{Alias, JoinType};
    let mut query = programmes::store::slot_context_query(slot_id);
    query.expr_as(Expr::col((room::Entity, room::Column::Enabled)), Alias::new("room_on")).join(
        JoinType::LeftJoin,
        room::Entity,
        Expr::col((room::Entity, room::Column::ProgrammeId)).equals((centre::Entity, centre::Column::ProgrammeId)),
    );
    let Some(row) = conn.query_one(&query).await? else { return Ok(None) };
    let (slot, centre, programme) = programmes::store::slot_context(&row)?;
    let room_on = row.try_get::<Option<bool>>("", "room_on")?.unwrap_or(false);
    Ok(Some(Target { slot, centre, programme, room_on }))
}

/// Books a place: reads the slot ([`target`]), checks it, and books it
/// ([`book_target`]).
pub async fn book(state: &AppState, new: NewBooking<'_>) -> Result<Booked, AppError> {
    let Some(target) = target(&state.db, new.slot_id).await? else {
        return Err(BookingError::UnknownSlot.into());
    };
    target.check(platform::db::now())?;
    book_target(state, target, new).await
}

/// Books a place in `target`, a slot read and checked: checks the person's
/// eligibility, then takes the place and writes the booking, its notice and
/// its audit entry in one transaction. `Full` when no place is left,
/// `Duplicate` when the person holds a booking for this step already.
pub async fn book_target(state: &AppState, target: Target, new: NewBooking<'_>) -> Result<Booked, AppError> {
    let Target { slot, centre, programme, .. } = target;
    let now = platform::db::now();
    let attended = attended(state, &programme.id, &new.holder.document_index).await?;
    let facts = Facts {
        level: new.level,
        document_kind: &new.holder.document_kind,
        birthdate: new.holder.birthdate,
        slot_day: state.to_local(slot.starts_at).date(),
        product_id: &slot.product_id,
        attended: &attended,
    };
    let eligibility = programme.eligibility();
    let step = eligibility.check(&facts).map_err(BookingError::Ineligible)?;
    if new.holder.document_sealed.is_some() && eligibility.needs_checked_document() {
        return Err(BookingError::Ineligible(programmes::Ineligible::DocumentUnchecked).into());
    }
    let contact = crate::people::contact(state, new.account_id).await?;
    // Everything but the writes is made before the write transaction, which
    // on SQLite holds the database's one write lock.
    let booking = booking::Model {
        id: Uuid::now_v7().to_string(),
        reference: Reference::generate().as_str().to_owned(),
        programme_id: programme.id.clone(),
        step: i32::try_from(step).unwrap_or(1),
        slot_id: slot.id.clone(),
        person_id: new.holder.person_id.clone(),
        account_id: new.account_id.to_owned(),
        document_index: new.holder.document_index.clone(),
        document_kind: new.holder.document_kind.clone(),
        document_sealed: new.holder.document_sealed.clone(),
        status: Status::Confirmed.as_str().to_owned(),
        created_at: now,
        cancelled_at: None,
        attended_at: None,
        reminded_at: None,
        closed_reason: None,
    };
    let entry =
        AuditEntry::new(format!("account:{}", new.account_id), "booking.book", format!("booking:{}", booking.id));
    let row = booking::ActiveModel {
        id: Set(booking.id.clone()),
        reference: Set(booking.reference.clone()),
        programme_id: Set(booking.programme_id.clone()),
        step: Set(booking.step),
        slot_id: Set(booking.slot_id.clone()),
        person_id: Set(booking.person_id.clone()),
        account_id: Set(booking.account_id.clone()),
        document_index: Set(booking.document_index.clone()),
        document_kind: Set(booking.document_kind.clone()),
        document_sealed: Set(booking.document_sealed.clone()),
        status: Set(booking.status.clone()),
        created_at: Set(booking.created_at),
        cancelled_at: Set(None),
        attended_at: Set(None),
        reminded_at: Set(None),
        closed_reason: Set(None),
    };
    let slot = slot::Model { taken: slot.taken + 1, ..slot };
    let booked = Booked { booking, slot, centre, programme };
    let notice = contact.map(|c| notices::store::message(state, Notice::Confirmed, &c, &about(&booked)));
    let mut attempt = 1;
    loop {
        match insert_booked(state, &booked, row.clone(), notice.clone(), entry.clone()).await {
            Err(e) if attempt < CONFLICT_ATTEMPTS && is_retryable_conflict(&e) => {
                tracing::debug!(attempt, "booking: a deadlock or serialization failure, trying again");
                attempt += 1;
            }
            done => {
                done?;
                break;
            }
        }
    }
    state.outbox_wake.notify_one();
    changed(state, &booked.programme.id, &booked.slot).await;
    Ok(booked)
}

/// One attempt at `book_target`'s transaction: the place, the booking row,
/// its notice and its audit entry. PostgreSQL may abort it to break a
/// deadlock with a closure (which takes a day's slots, then its quota):
/// nothing was kept then, and the caller runs it again.
async fn insert_booked(
    state: &AppState,
    booked: &Booked,
    row: booking::ActiveModel,
    notice: Option<platform::outbox::Notification>,
    entry: AuditEntry,
) -> Result<(), AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    if let Err(e) = take_place(state, &txn, &booked.slot).await {
        // Roll back at once: the next writer waits for this one's lock.
        txn.rollback().await?;
        return Err(e);
    }
    row.insert(&txn).await.map_err(|e| match platform::db::unique_violation(&e) {
        Some(columns) if !columns.contains("reference") => AppError::from(BookingError::Duplicate),
        _ => AppError::from(e),
    })?;
    if let Some(notice) = notice {
        notices::store::enqueue_capped(state, &txn, notice).await?;
    }
    // The audit entry last: on PostgreSQL it locks the chain's head until
    // commit, and every other audited write waits for that lock.
    audit::record(&txn, &state.keys, entry).await?;
    txn.commit().await?;
    Ok(())
}

/// Tells every server that `slot`'s places changed (a hint: failures are logged).
pub(crate) async fn changed(state: &AppState, programme_id: &str, slot: &slot::Model) {
    let event = SlotChanged {
        programme_id: programme_id.to_owned(),
        centre_id: slot.centre_id.clone(),
        slot_id: slot.id.clone(),
    };
    if let Err(error) = state.events.publish(&state.db, &event).await {
        tracing::warn!(%error, "could not publish a slot change");
    }
}

/// The booking with this ID that `account_id` made, with its context, while
/// the account still acts for its person (identity may have ended a
/// guardian's link to a dependant since).
pub async fn of_account(state: &AppState, account_id: &str, id: &str) -> Result<Option<Booked>, AppError> {
    let Some(booking) =
        booking::Entity::find_by_id(id).filter(booking::Column::AccountId.eq(account_id)).one(&state.db).await?
    else {
        return Ok(None);
    };
    if !crate::people::acts_for(state, account_id, &booking.person_id).await? {
        return Ok(None);
    }
    context(state, booking).await
}

/// `booking` with its slot, centre and programme.
pub(crate) async fn context(state: &AppState, booking: booking::Model) -> Result<Option<Booked>, AppError> {
    let Some((slot, centre, programme)) = programmes::store::slot_with_context(&state.db, &booking.slot_id).await?
    else {
        return Ok(None);
    };
    Ok(Some(Booked { booking, slot, centre, programme }))
}

/// Cancels `account_id`'s booking `id`: its place goes back to the pool in
/// the same transaction. `AlreadyCancelled` when it was; `NotCancellable`
/// once attended, missed or begun.
pub async fn cancel(state: &AppState, account_id: &str, id: &str, actor: &str) -> Result<Booked, AppError> {
    let Some(found) = of_account(state, account_id, id).await? else {
        return Err(BookingError::UnknownBooking.into());
    };
    let now = platform::db::now();
    match Status::parse(&found.booking.status) {
        Some(Status::Cancelled) => return Err(BookingError::AlreadyCancelled.into()),
        Some(Status::Confirmed) if found.slot.starts_at > now => {}
        _ => return Err(BookingError::NotCancellable.into()),
    }
    let contact = crate::people::contact(state, &found.booking.account_id).await?;
    let mut attempt = 1;
    loop {
        match cancel_once(state, &found, contact.as_ref(), now, actor).await {
            Err(e) if attempt < CONFLICT_ATTEMPTS && is_retryable_conflict(&e) => {
                tracing::debug!(attempt, "cancel: a deadlock or serialization failure, trying again");
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// One attempt at `cancel`'s transaction. PostgreSQL may abort it to break
/// a deadlock with a closure (which holds the slot and wants the booking's
/// row, while this holds the row and wants the slot): nothing was kept
/// then, and the caller runs it again.
async fn cancel_once(
    state: &AppState,
    found: &Booked,
    contact: Option<&platform::contracts::Contact>,
    now: time::OffsetDateTime,
    actor: &str,
) -> Result<Booked, AppError> {
    let id = found.booking.id.as_str();
    let txn = platform::db::begin_write(&state.db).await?;
    let done = booking::Entity::update_many()
        .col_expr(booking::Column::Status, Expr::value(Status::Cancelled.as_str()))
        .col_expr(booking::Column::CancelledAt, Expr::value(now))
        .filter(booking::Column::Id.eq(id))
        .filter(booking::Column::SlotId.eq(&found.slot.id))
        .filter(booking::Column::Status.eq(Status::Confirmed.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        // Cancelled, moved or checked in between our read and this write:
        // the place we read is no longer the booking's to give back.
        return Err(AppError::new(platform::error::ErrorKind::Conflict)
            .with_detail("the booking changed meanwhile; read it again"));
    }
    give_back(state, &txn, &found.slot).await?;
    let booking = booking::Model {
        status: Status::Cancelled.as_str().to_owned(),
        cancelled_at: Some(now),
        ..found.booking.clone()
    };
    let cancelled = Booked { booking, ..found.clone() };
    notices::store::enqueue(state, &txn, Notice::Cancelled, contact, &about(&cancelled)).await?;
    // Last, as in `book`: the chain's head stays locked until commit.
    audit::record(&txn, &state.keys, AuditEntry::new(actor, "booking.cancel", format!("booking:{id}"))).await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    changed(state, &cancelled.programme.id, &cancelled.slot).await;
    Ok(cancelled)
}

/// Moves `account_id`'s booking `id` to `slot_id`, a slot of the same
/// programme and product: the person's eligibility is checked again for the
/// new day, then one transaction takes the new place (one conditional
/// statement), moves the booking (only if it is still confirmed in its old
/// slot) and gives back the old place. `Full` when the new slot has none.
pub async fn reschedule(
    state: &AppState,
    account_id: &str,
    level: platform::principal::IdentityLevel,
    id: &str,
    slot_id: &str,
    actor: &str,
) -> Result<Booked, AppError> {
    let Some(found) = of_account(state, account_id, id).await? else {
        return Err(BookingError::UnknownBooking.into());
    };
    let now = platform::db::now();
    match Status::parse(&found.booking.status) {
        Some(Status::Cancelled) => return Err(BookingError::AlreadyCancelled.into()),
        Some(Status::Confirmed) if found.slot.starts_at > now => {}
        _ => return Err(BookingError::NotCancellable.into()),
    }
    let Some((slot, centre, programme)) = programmes::store::slot_with_context(&state.db, slot_id).await? else {
        return Err(BookingError::UnknownSlot.into());
    };
    if programme.id != found.programme.id {
        return Err(BookingError::OtherProgramme.into());
    }
    if slot.id == found.slot.id {
        return Ok(found);
    }
    if slot.starts_at <= now {
        return Err(BookingError::Ineligible(programmes::Ineligible::SlotPast).into());
    }
    if slot.closed_at.is_some() {
        return Err(BookingError::SlotClosed.into());
    }
    if slot.product_id != found.slot.product_id {
        return Err(BookingError::Ineligible(programmes::Ineligible::OtherProduct).into());
    }
    if !programmes::is_open(programme.opens_at, programme.closes_at, now) {
        return Err(BookingError::Ineligible(programmes::Ineligible::NotOpen).into());
    }
    let day = state.to_local(slot.starts_at).date();
    recheck(state, &programme, &found.booking, level, day, &slot.product_id)
        .await?
        .map_err(BookingError::Ineligible)?;
    let contact = crate::people::contact(state, &found.booking.account_id).await?;
    let mut attempt = 1;
    loop {
        match move_booking(state, &found, &slot, &centre, &programme, contact.as_ref(), actor).await {
            Err(e) if attempt < CONFLICT_ATTEMPTS && is_retryable_conflict(&e) => {
                tracing::debug!(attempt, "reschedule: a deadlock or serialization failure, trying again");
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// Checks again that the person behind booking `b` may hold it on local
/// `day` with `product_id` (a move, by the resident or by a closure): their
/// eligibility with the birth date identity knows (for an age rule) and the
/// steps they attended, and still as the same step of the course.
pub(crate) async fn recheck(
    state: &AppState,
    programme: &programme::Model,
    b: &booking::Model,
    level: platform::principal::IdentityLevel,
    day: Date,
    product_id: &str,
) -> Result<Result<(), programmes::Ineligible>, AppError> {
    let eligibility = programme.eligibility();
    let attended = attended(state, &programme.id, &b.document_index).await?;
    let birthdate = if eligibility.has_age_rule() {
        crate::people::birthdate(state, &b.account_id, &b.person_id).await?
    } else {
        None
    };
    let facts =
        Facts { level, document_kind: &b.document_kind, birthdate, slot_day: day, product_id, attended: &attended };
    Ok(match eligibility.check(&facts) {
        Ok(step) if i32::try_from(step).is_ok_and(|step| step == b.step) => Ok(()),
        Ok(_) => Err(programmes::Ineligible::CourseComplete),
        Err(refused) => Err(refused),
    })
}

/// Times a transaction that PostgreSQL aborted to break a deadlock (or for
/// a serialization failure) is run again before the error stands.
pub(crate) const CONFLICT_ATTEMPTS: u32 = 3;

/// Whether `e` is a transaction PostgreSQL aborted (`40P01`, `40001`): nothing was kept, so it may run again.
pub(crate) fn is_retryable_conflict(e: &AppError) -> bool {
    e.cause.as_deref().and_then(|c| c.downcast_ref::<DbErr>()).is_some_and(platform::db::is_retryable_conflict)
}

/// Locks rows as every transaction that moves places between slots takes
/// them: the booking's row, then the slots' rows in ID order (PostgreSQL
/// `FOR UPDATE`; SQLite's write transaction holds the whole database), so
/// two moves in opposite directions (A to B while B to A) queue instead of
/// deadlocking. The quotas' rows follow each slot's, as in `take_place`.
async fn lock_in_order(txn: &impl ConnectionTrait, booking_id: &str, slot_ids: &[&str]) -> Result<(), DbErr> {
    booking::Entity::find_by_id(booking_id).lock_exclusive().one(txn).await?;
    let mut ids: Vec<&str> = slot_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    slot::Entity::find()
        .filter(slot::Column::Id.is_in(ids))
        .order_by_asc(slot::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?;
    Ok(())
}

/// One attempt at `reschedule`'s transaction: takes the new place, moves
/// the booking (only if it is still confirmed in its old slot), gives back
/// the old place, audits and notifies.
async fn move_booking(
    state: &AppState,
    found: &Booked,
    slot: &slot::Model,
    centre: &centre::Model,
    programme: &programme::Model,
    contact: Option<&platform::contracts::Contact>,
    actor: &str,
) -> Result<Booked, AppError> {
    let id = found.booking.id.as_str();
    let txn = platform::db::begin_write(&state.db).await?;
    lock_in_order(&txn, id, &[&found.slot.id, &slot.id]).await?;
    take_place(state, &txn, slot).await?;
    let moved = booking::Entity::update_many()
        .col_expr(booking::Column::SlotId, Expr::value(slot.id.clone()))
        .col_expr(booking::Column::RemindedAt, Expr::value(Option::<time::OffsetDateTime>::None))
        .filter(booking::Column::Id.eq(id))
        .filter(booking::Column::SlotId.eq(&found.slot.id))
        .filter(booking::Column::Status.eq(Status::Confirmed.as_str()))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        // Cancelled, moved or checked in by another request between our read
        // and this write (as `cancel` answers it): dropping the transaction
        // gives the new place back.
        return Err(AppError::new(platform::error::ErrorKind::Conflict)
            .with_detail("the booking changed meanwhile; read it again"));
    }
    give_back(state, &txn, &found.slot).await?;
    let booking = booking::Model { slot_id: slot.id.clone(), reminded_at: None, ..found.booking.clone() };
    let moved = Booked {
        booking,
        slot: slot::Model { taken: slot.taken + 1, ..slot.clone() },
        centre: centre.clone(),
        programme: programme.clone(),
    };
    notices::store::enqueue(state, &txn, Notice::Rescheduled, contact, &about(&moved)).await?;
    // Last, as in `book`: the chain's head stays locked until commit.
    audit::record(&txn, &state.keys, AuditEntry::new(actor, "booking.reschedule", format!("booking:{id}"))).await?;
    txn.commit().await?;
    state.outbox_wake.notify_one();
    changed(state, &moved.programme.id, &found.slot).await;
    changed(state, &moved.programme.id, &moved.slot).await;
    Ok(moved)
}

/// One page of an account's bookings, newest first, after `after`; one row
/// more than `limit`, so the caller knows whether more follow. Only those
/// for people the account still acts for (as [`of_account`]).
pub async fn page_of_account(
    state: &AppState,
    account_id: &str,
    limit: u64,
    after: Option<&platform::paging::Cursor>,
) -> Result<Vec<Booked>, AppError> {
    let want = limit.saturating_add(1);
    let mut after = after.cloned();
    let mut people: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    let mut out = Vec::new();
    loop {
        let mut query = booking::Entity::find()
            .filter(booking::Column::AccountId.eq(account_id))
            .order_by_desc(booking::Column::CreatedAt)
            .order_by_desc(booking::Column::Id);
        if let Some(c) = &after {
            query = query.filter(Condition::any().add(booking::Column::CreatedAt.lt(c.at)).add(
                Condition::all().add(booking::Column::CreatedAt.eq(c.at)).add(booking::Column::Id.lt(c.id.as_str())),
            ));
        }
        let rows = query.limit(want).all(&state.db).await?;
        let exhausted = (rows.len() as u64) < want;
        after = rows.last().map(|b| platform::paging::Cursor { at: b.created_at, id: b.id.clone() });
        for b in rows {
            let allowed = match people.get(&b.person_id) {
                Some(allowed) => *allowed,
                None => {
                    let allowed = crate::people::acts_for(state, account_id, &b.person_id).await?;
                    people.insert(b.person_id.clone(), allowed);
                    allowed
                }
            };
            if !allowed {
                continue;
            }
            if let Some(found) = context(state, b).await? {
                out.push(found);
            }
            if out.len() as u64 >= want {
                return Ok(out);
            }
        }
        if exhausted {
            return Ok(out);
        }
    }
}

/// Bookings in a slot that hold its places: every one not cancelled.
pub async fn holding_places(conn: &impl ConnectionTrait, slot_id: &str) -> Result<u64, DbErr> {
    booking::Entity::find()
        .filter(booking::Column::SlotId.eq(slot_id))
        .filter(booking::Column::Status.ne(Status::Cancelled.as_str()))
        .count(conn)
        .await
}

/// What a notice says about `b`.
pub(crate) fn about(b: &Booked) -> About {
    About {
        booking_id: b.booking.id.clone(),
        reference: b.booking.reference.clone(),
        programme: b.programme.names(),
        centre: b.centre.names(),
        address: b.centre.address(),
        starts_at: b.slot.starts_at,
    }
}

/// Bookings reminded in one run at most (the next run takes the rest).
const REMINDER_BATCH: u64 = 500;

/// Tells the person behind `booked` (through the account that booked)
/// that their result is ready, inside the results role's transaction.
pub(crate) async fn result_ready(
    txn: &impl ConnectionTrait,
    state: &AppState,
    booked: &Booked,
) -> Result<(), AppError> {
    let contact = crate::people::contact_about(state, &booked.booking.account_id, &booked.booking.person_id).await?;
    notices::store::enqueue(state, txn, Notice::ResultReady, contact.as_ref(), &about(booked)).await
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
        .limit(REMINDER_BATCH)
        .all(&state.db)
        .await?;
    let mut claimed = 0;
    for row in due {
        // No reminder to a guardian who no longer looks after the person
        // (the claim below still marks it, so it is not picked again).
        let contact = crate::people::contact_about(state, &row.account_id, &row.person_id).await?;
        let Some(booked) = context(state, row).await? else { continue };
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
        notices::store::enqueue(state, &txn, Notice::Reminder, contact.as_ref(), &about(&booked)).await?;
        txn.commit().await?;
        claimed += 1;
    }
    if claimed > 0 {
        state.outbox_wake.notify_one();
    }
    Ok(claimed)
}
