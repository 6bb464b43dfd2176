//! Administrators' operations, each in one transaction with its audit
//! entry: a day's quota set (never below the places taken), public holidays
//! loaded by year, slots generated from opening hours, a day closed at
//! chosen centres (slots closed, bookings cancelled or moved, everyone
//! affected notified through the outbox), and the statistics, counted in
//! SQL.

use std::collections::{BTreeMap, HashMap};

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::contracts::Contact;
use platform::error::AppError;
use sea_orm::ActiveValue::Set;
use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, OnConflict, Order, Query};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use super::{Action, Reason, Stat};
use crate::bookings::Status;
use crate::bookings::store::{CONFLICT_ATTEMPTS, booking, give_back, is_retryable_conflict};
use crate::errors::BookingError;
use crate::programmes::Names;
use crate::programmes::store::{centre, holiday, product, programme, quota, slot};
use crate::setup::store::{Generation, generate, lock_day_slots};

pub mod closure {
    //! `booking_closure` rows: a centre's day closed, and how.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_closure")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: TimeDate,
        pub reason: String,
        pub action: String,
        pub moved_to: Option<TimeDate>,
        pub actor: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The slots of a centre and product starting on local `day`.
async fn slots_of_day(
    state: &AppState,
    conn: &impl ConnectionTrait,
    centre_id: &str,
    product_id: Option<&str>,
    day: Date,
) -> Result<Vec<slot::Model>, DbErr> {
    let next = day.next_day().unwrap_or(day);
    let mut query = slot::Entity::find()
        .filter(slot::Column::CentreId.eq(centre_id))
        .filter(slot::Column::StartsAt.gte(state.start_of_day(day)))
        .filter(slot::Column::StartsAt.lt(state.start_of_day(next)));
    if let Some(p) = product_id {
        query = query.filter(slot::Column::ProductId.eq(p));
    }
    query.order_by_asc(slot::Column::StartsAt).all(conn).await
}

/// The centre with its programme's product `product_id`, or why not.
async fn centre_and_product(
    conn: &impl ConnectionTrait,
    centre_id: &str,
    product_id: &str,
) -> Result<(centre::Model, product::Model), AppError> {
    let Some(c) = centre::Entity::find_by_id(centre_id).one(conn).await? else {
        return Err(BookingError::UnknownCentre.into());
    };
    let Some(p) = product::Entity::find_by_id(product_id)
        .filter(product::Column::ProgrammeId.eq(&c.programme_id))
        .one(conn)
        .await?
    else {
        let field = platform::error::FieldError::new("/product_id", "unknown", "booking-admin-product-unknown");
        return Err(AppError::validation(vec![field]));
    };
    Ok((c, p))
}

/// Sets a centre's quota of a product on a local day to `capacity`: never
/// below the places its slots hold that day (409 `QuotaBelowTaken`, the
/// quota unchanged). Those places are counted under the slots' row locks
/// (`setup::store::lock_day_slots`), so a booking made meanwhile is either
/// counted or waits and then meets the quota; the quota's `taken` is set
/// to that count, whether the quota is new or not. Live availability is
/// told (the places offered change with the quota).
pub async fn set_quota(
    state: &AppState,
    actor: &str,
    centre_id: &str,
    day: Date,
    product_id: &str,
    capacity: i32,
) -> Result<quota::Model, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let (centre, _) = centre_and_product(&txn, centre_id, product_id).await?;
    // The slots' rows first, as every booking takes them (then the quota's).
    let slots = lock_day_slots(state, &txn, centre_id, day, product_id).await?;
    let held: i32 = slots.iter().map(|s| s.taken).sum();
    if held > capacity {
        return Err(BookingError::QuotaBelowTaken { taken: i64::from(held) }.into());
    }
    let key = (centre_id.to_owned(), day, product_id.to_owned());
    let row = quota::ActiveModel {
        centre_id: Set(key.0.clone()),
        day: Set(day),
        product_id: Set(key.2.clone()),
        capacity: Set(capacity),
        taken: Set(held),
    };
    quota::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([quota::Column::CentreId, quota::Column::Day, quota::Column::ProductId])
                .update_columns([quota::Column::Capacity, quota::Column::Taken])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let object = format!("quota:{centre_id}:{day}:{product_id}");
    audit::record(&txn, &state.keys, AuditEntry::new(actor, "booking.quota_set", object)).await?;
    let row = quota::Entity::find_by_id(key).one(&txn).await?.ok_or_else(AppError::not_found)?;
    txn.commit().await?;
    if let Some(s) = slots.first() {
        crate::bookings::store::changed(state, &centre.programme_id, s).await;
    }
    Ok(row)
}

/// A year's public holidays, by day.
pub async fn holidays(conn: &impl ConnectionTrait, year: i32) -> Result<Vec<holiday::Model>, DbErr> {
    let (first, last) = year_bounds(year);
    holiday::Entity::find()
        .filter(holiday::Column::Day.between(first, last))
        .order_by_asc(holiday::Column::Day)
        .all(conn)
        .await
}

fn year_bounds(year: i32) -> (Date, Date) {
    let first = Date::from_calendar_date(year, time::Month::January, 1).unwrap_or(Date::MIN);
    let last = Date::from_calendar_date(year, time::Month::December, 31).unwrap_or(Date::MAX);
    (first, last)
}

/// Replaces `year`'s public holidays with `list` (every day in that year).
pub async fn load_holidays(state: &AppState, actor: &str, year: i32, list: &[(Date, Names)]) -> Result<(), AppError> {
    let (first, last) = year_bounds(year);
    let txn = platform::db::begin_write(&state.db).await?;
    holiday::Entity::delete_many().filter(holiday::Column::Day.between(first, last)).exec(&txn).await?;
    for (day, name) in list {
        holiday::ActiveModel {
            day: Set(*day),
            name_en: Set(name.en.clone()),
            name_zh_hk: Set(name.zh_hk.clone()),
            name_zh_cn: Set(name.zh_cn.clone()),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(&txn, &state.keys, AuditEntry::new(actor, "booking.holidays_load", format!("holidays:{year}")))
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Slots to generate for a programme from its centres' opening hours.
#[derive(Debug, Clone)]
pub struct SlotRun {
    /// Centres (every centre of the programme when empty) and products (every one when empty).
    pub centre_ids: Vec<String>,
    pub product_ids: Vec<String>,
    pub from: Date,
    pub days: u32,
    pub minutes: u32,
    pub capacity: u32,
    pub quota: Option<u32>,
}

/// Generates `run`'s slots (skipping public holidays, slots that have begun
/// and slots that exist); returns how many were made. One transaction per
/// centre, each with its audit entry: a year of slots at every centre in
/// one transaction would hold SQLite's write lock (and the audit chain's
/// head) long enough to stall every booking meanwhile. Should a centre
/// fail, the centres before it keep their slots; generating again makes
/// only what is missing.
pub async fn generate_slots(
    state: &AppState,
    actor: &str,
    programme: &programme::Model,
    run: &SlotRun,
) -> Result<u64, AppError> {
    let centres = crate::programmes::store::centres(&state.db, &programme.id).await?;
    if let Some(unknown) = run.centre_ids.iter().find(|id| !centres.iter().any(|c| &&c.id == id)) {
        tracing::debug!(centre = %unknown, "slot generation for a centre outside the programme");
        return Err(BookingError::UnknownCentre.into());
    }
    let products = crate::programmes::store::products(&state.db, &programme.id).await?;
    if run.product_ids.iter().any(|id| !products.iter().any(|p| &p.id == id)) {
        let field = platform::error::FieldError::new("/product_ids", "unknown", "booking-admin-product-unknown");
        return Err(AppError::validation(vec![field]));
    }
    let product_ids: Vec<String> =
        if run.product_ids.is_empty() { products.into_iter().map(|p| p.id).collect() } else { run.product_ids.clone() };
    let mut made = 0;
    for c in centres.iter().filter(|c| run.centre_ids.is_empty() || run.centre_ids.contains(&c.id)) {
        let hours: BTreeMap<String, Vec<String>> = serde_json::from_str(&c.opening_hours).unwrap_or_default();
        let generation = Generation {
            centre_id: &c.id,
            hours: &hours,
            product_ids: &product_ids,
            first: run.from,
            days: run.days,
            minutes: run.minutes,
            capacity: run.capacity,
            quota: run.quota,
        };
        let txn = platform::db::begin_write(&state.db).await?;
        made += generate(state, &txn, &generation).await?;
        let entry =
            AuditEntry::new(actor, "booking.slots_generate", format!("programme:{}/centre:{}", programme.id, c.id));
        audit::record(&txn, &state.keys, entry).await?;
        txn.commit().await?;
    }
    Ok(made)
}

/// A day to close, where and why.
#[derive(Debug, Clone)]
pub struct Closing {
    pub day: Date,
    /// The programme whose centres close: every one of its centres when
    /// `centre_ids` is empty, else those (which must be its own). When
    /// absent, `centre_ids` names the centres (each of one programme) and
    /// must not be empty: no closure reaches every programme by omission.
    pub programme_id: Option<String>,
    pub centre_ids: Vec<String>,
    pub reason: Reason,
    pub action: Action,
    /// For `Move`: the later day whose same-time slot takes each booking.
    pub move_to: Option<Date>,
}

/// What a closure did (a second run of the same closure does nothing).
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Closed {
    pub centres: u64,
    pub slots_closed: u64,
    pub cancelled: u64,
    pub moved: u64,
    pub notified: u64,
}

/// Closes `closing.day` at the chosen centres in one transaction: each open
/// slot closed; each confirmed booking moved (when asked and the later
/// slot has a place) or cancelled with its place given back, marked with
/// the reason, audited, and its holder notified through the outbox.
///
/// PostgreSQL may abort it to break a deadlock with a resident's booking,
/// move or cancellation (or another closure) that takes the same rows in
/// another order: nothing of it was kept then, and it runs again (a few
/// times); those residents' transactions run again likewise. The audit
/// entries are recorded last, all together, and the holders' contacts are
/// looked up before the transaction, so it holds the audit chain's head
/// only for its last statements and waits on nothing outside the database.
pub async fn close(state: &AppState, actor: &str, closing: &Closing) -> Result<Closed, AppError> {
    let mut attempt = 1;
    loop {
        match close_once(state, actor, closing).await {
            Err(e) if attempt < CONFLICT_ATTEMPTS && is_retryable_conflict(&e) => {
                tracing::debug!(attempt, "closure: a deadlock or serialization failure, trying again");
                attempt += 1;
            }
            done => return done,
        }
    }
}

async fn close_once(state: &AppState, actor: &str, closing: &Closing) -> Result<Closed, AppError> {
    if closing.programme_id.is_none() && closing.centre_ids.is_empty() {
        // Never every centre of every programme by leaving both out.
        let field = platform::error::FieldError::new("/programme_id", "required", "booking-admin-closure-where");
        return Err(AppError::validation(vec![field]));
    }
    let mut query = centre::Entity::find().order_by_asc(centre::Column::Slug);
    if let Some(p) = &closing.programme_id {
        query = query.filter(centre::Column::ProgrammeId.eq(p));
    }
    if !closing.centre_ids.is_empty() {
        query = query.filter(centre::Column::Id.is_in(closing.centre_ids.clone()));
    }
    let centres = query.all(&state.db).await?;
    if centres.len() < closing.centre_ids.len() {
        return Err(BookingError::UnknownCentre.into());
    }
    let move_to = closing.move_to.filter(|_| closing.action == Action::Move);
    let LookUps { mut contacts, movable } = look_up(state, &centres, closing.day, move_to).await?;
    let now = platform::db::now();
    let txn = platform::db::begin_write(&state.db).await?;
    // Recorded together just before commit: on PostgreSQL the first entry
    // locks the audit chain's head until the end, and a booking holding a
    // slot this closure has yet to take would wait for it (a deadlock).
    let mut audits: Vec<AuditEntry> = Vec::new();
    let mut out = Closed::default();
    let mut changed: Vec<(String, slot::Model)> = Vec::new();
    for c in &centres {
        let Some(programme) = programme::Entity::find_by_id(&c.programme_id).one(&txn).await? else { continue };
        let record = closure::ActiveModel {
            centre_id: Set(c.id.clone()),
            day: Set(closing.day),
            reason: Set(closing.reason.as_str().to_owned()),
            action: Set(closing.action.as_str().to_owned()),
            moved_to: Set(move_to),
            actor: Set(actor.chars().take(80).collect()),
            created_at: Set(now),
        };
        closure::Entity::insert(record)
            .on_conflict(OnConflict::columns([closure::Column::CentreId, closure::Column::Day]).do_nothing().to_owned())
            .exec_without_returning(&txn)
            .await?;
        out.centres += 1;
        for s in slots_of_day(state, &txn, &c.id, None, closing.day).await? {
            let closed = slot::Entity::update_many()
                .col_expr(slot::Column::ClosedAt, Expr::value(now))
                .filter(slot::Column::Id.eq(&s.id))
                .filter(slot::Column::ClosedAt.is_null())
                .exec(&txn)
                .await?;
            if closed.rows_affected == 0 {
                continue;
            }
            out.slots_closed += 1;
            audits.push(AuditEntry::new(actor, "booking.slot_close", format!("slot:{}", s.id)));
            let held = booking::Entity::find()
                .filter(booking::Column::SlotId.eq(&s.id))
                .filter(booking::Column::Status.eq(Status::Confirmed.as_str()))
                .all(&txn)
                .await?;
            for b in held {
                // A booking that may not move (or has nowhere to go) is cancelled,
                // and its notice offers to book again.
                let may = match (move_to, movable.get(&b.id)) {
                    (None, _) => false,
                    (Some(_), Some(known)) => *known,
                    // Booked after the look-ups (before its slot closed): rare.
                    (Some(to), None) => may_move(state, &programme, &b, &s.product_id, to).await?,
                };
                let target = match move_to {
                    Some(to) if may => move_target(state, &txn, &s, to).await?,
                    _ => None,
                };
                // Each change is conditional on the booking still holding this
                // slot's place: a resident's cancel or move committed meanwhile
                // (PostgreSQL reads committed) must not give a place back twice.
                let still_here = |q: sea_orm::UpdateMany<booking::Entity>| {
                    q.filter(booking::Column::Id.eq(&b.id))
                        .filter(booking::Column::SlotId.eq(&s.id))
                        .filter(booking::Column::Status.eq(Status::Confirmed.as_str()))
                };
                let moved_to = match &target {
                    Some(t) => {
                        let done = still_here(
                            booking::Entity::update_many()
                                .col_expr(booking::Column::SlotId, Expr::value(t.id.clone()))
                                .col_expr(booking::Column::ClosedReason, Expr::value(closing.reason.as_str()))
                                .col_expr(booking::Column::RemindedAt, Expr::value(Option::<OffsetDateTime>::None)),
                        )
                        .exec(&txn)
                        .await?;
                        if done.rows_affected == 0 {
                            give_back(state, &txn, t).await?;
                            continue;
                        }
                        out.moved += 1;
                        changed.push((programme.id.clone(), t.clone()));
                        let local = state.to_local(t.starts_at);
                        Some(format!("{} {:02}:{:02}", local.date(), local.hour(), local.minute()))
                    }
                    None => {
                        let done = still_here(
                            booking::Entity::update_many()
                                .col_expr(booking::Column::Status, Expr::value(Status::Cancelled.as_str()))
                                .col_expr(booking::Column::CancelledAt, Expr::value(now))
                                .col_expr(booking::Column::ClosedReason, Expr::value(closing.reason.as_str())),
                        )
                        .exec(&txn)
                        .await?;
                        if done.rows_affected == 0 {
                            continue;
                        }
                        out.cancelled += 1;
                        None
                    }
                };
                give_back(state, &txn, &s).await?;
                let action = if moved_to.is_some() { "booking.closure_move" } else { "booking.closure_cancel" };
                audits.push(AuditEntry::new(actor, action, format!("booking:{}", b.id)));
                let contact = match contacts.remove(&b.id) {
                    Some(known) => known,
                    // Booked after the look-ups (before its slot closed): rare.
                    None => crate::people::contact_about(state, &b.account_id, &b.person_id).await?,
                };
                if let Some(contact) = contact {
                    let notice =
                        super::notice::closure(state, &contact, &b, &programme, closing.reason, moved_to.as_deref());
                    platform::outbox::enqueue(&txn, notice).await?;
                    out.notified += 1;
                }
            }
            changed.push((programme.id.clone(), s));
        }
    }
    for entry in audits {
        audit::record(&txn, &state.keys, entry).await?;
    }
    txn.commit().await?;
    state.outbox_wake.notify_one();
    for (programme_id, s) in changed {
        crate::bookings::store::changed(state, &programme_id, &s).await;
    }
    Ok(out)
}

/// What a closure looks up before its transaction (which would otherwise
/// hold the slots' rows across each look-up), for the confirmed bookings at
/// `centres` on local `day`.
#[derive(Default)]
struct LookUps {
    /// Where to write about each, by booking ID: the account that booked,
    /// while it still acts for the person.
    contacts: HashMap<String, Option<Contact>>,
    /// When they are to move: whether each may, by booking ID.
    movable: HashMap<String, bool>,
}

async fn look_up(
    state: &AppState,
    centres: &[centre::Model],
    day: Date,
    move_to: Option<Date>,
) -> Result<LookUps, AppError> {
    let mut slots = HashMap::new();
    for c in centres {
        slots.extend(slots_of_day(state, &state.db, &c.id, None, day).await?.into_iter().map(|s| (s.id.clone(), s)));
    }
    let mut out = LookUps::default();
    if slots.is_empty() {
        return Ok(out);
    }
    let held = booking::Entity::find()
        .filter(booking::Column::SlotId.is_in(slots.keys().cloned()))
        .filter(booking::Column::Status.eq(Status::Confirmed.as_str()))
        .all(&state.db)
        .await?;
    let mut programmes: HashMap<String, Option<programme::Model>> = HashMap::new();
    for b in held {
        let contact = crate::people::contact_about(state, &b.account_id, &b.person_id).await?;
        out.contacts.insert(b.id.clone(), contact);
        let (Some(to), Some(s)) = (move_to, slots.get(&b.slot_id)) else { continue };
        if !programmes.contains_key(&b.programme_id) {
            let found = programme::Entity::find_by_id(&b.programme_id).one(&state.db).await?;
            programmes.insert(b.programme_id.clone(), found);
        }
        if let Some(programme) = programmes.get(&b.programme_id).and_then(Option::as_ref) {
            let may = may_move(state, programme, &b, &s.product_id, to).await?;
            out.movable.insert(b.id, may);
        }
    }
    Ok(out)
}

/// Whether booking `b` (of `product_id`) may move to local day `to`: its
/// person's eligibility checked again for that day, as a reschedule checks
/// it (an age rule or a dose's window may not hold there). The account's
/// identity level was proven when it booked.
async fn may_move(
    state: &AppState,
    programme: &programme::Model,
    b: &booking::Model,
    product_id: &str,
    to: Date,
) -> Result<bool, AppError> {
    let level = programme.eligibility().level;
    Ok(crate::bookings::store::recheck(state, programme, b, level, to, product_id).await?.is_ok())
}

/// The open slot at the same centre, product and local time on `to`, with
/// a place taken in it; `None` (nothing taken) when it has none.
async fn move_target(
    state: &AppState,
    txn: &impl ConnectionTrait,
    from: &slot::Model,
    to: Date,
) -> Result<Option<slot::Model>, AppError> {
    let local = state.to_local(from.starts_at);
    let starts_at: OffsetDateTime = state.from_local(PrimitiveDateTime::new(to, local.time()));
    let Some(target) = slot::Entity::find()
        .filter(slot::Column::CentreId.eq(&from.centre_id))
        .filter(slot::Column::ProductId.eq(&from.product_id))
        .filter(slot::Column::StartsAt.eq(starts_at))
        .filter(slot::Column::ClosedAt.is_null())
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    // The place is taken as booking takes it (one conditional statement
    // each for the slot and the day's quota); a full quota gives the slot's
    // place back, so the transaction holds only what it keeps.
    let taken = slot::Entity::update_many()
        .col_expr(slot::Column::Taken, Expr::col(slot::Column::Taken).add(1))
        .filter(slot::Column::Id.eq(&target.id))
        .filter(slot::Column::ClosedAt.is_null())
        .filter(Expr::col(slot::Column::Taken).lt(Expr::col(slot::Column::Capacity)))
        .exec(txn)
        .await?;
    if taken.rows_affected == 0 {
        return Ok(None);
    }
    let day = state.to_local(target.starts_at).date();
    let key = (target.centre_id.clone(), day, target.product_id.clone());
    let quota_taken = quota::Entity::update_many()
        .col_expr(quota::Column::Taken, Expr::col(quota::Column::Taken).add(1))
        .filter(quota::Column::CentreId.eq(&key.0))
        .filter(quota::Column::Day.eq(day))
        .filter(quota::Column::ProductId.eq(&key.2))
        .filter(Expr::col(quota::Column::Taken).lt(Expr::col(quota::Column::Capacity)))
        .exec(txn)
        .await?;
    if quota_taken.rows_affected == 0 && quota::Entity::find_by_id(key).one(txn).await?.is_some() {
        slot::Entity::update_many()
            .col_expr(slot::Column::Taken, Expr::col(slot::Column::Taken).sub(1))
            .filter(slot::Column::Id.eq(&target.id))
            .exec(txn)
            .await?;
        return Ok(None);
    }
    Ok(Some(target))
}

/// A programme's statistics for local days `from` to `to`: per centre,
/// local day and product. Counted in SQL per slot (GROUP BY), summed per
/// local day here (the day is in `locale.timezone`, which the two databases
/// would compute differently).
pub async fn statistics(
    state: &AppState,
    programme: &programme::Model,
    from: Date,
    to: Date,
) -> Result<Vec<Stat>, AppError> {
    let end = state.start_of_day(to.next_day().unwrap_or(to));
    let (s, b, c, d) = (Alias::new("s"), Alias::new("b"), Alias::new("c"), Alias::new("d"));
    let count_of = |status: &str| {
        let one_if = Expr::case(Expr::col((b.clone(), Alias::new("status"))).eq(status), 1).finally(0);
        Func::cast_as(Func::sum(one_if), Alias::new("BIGINT"))
    };
    let query = Query::select()
        .expr_as(Expr::col((c.clone(), Alias::new("id"))), Alias::new("centre_id"))
        .expr_as(Expr::col((c.clone(), Alias::new("slug"))), Alias::new("centre_slug"))
        .expr_as(Expr::col((d.clone(), Alias::new("id"))), Alias::new("product_id"))
        .expr_as(Expr::col((d.clone(), Alias::new("code"))), Alias::new("product_code"))
        .expr_as(Expr::col((s.clone(), Alias::new("starts_at"))), Alias::new("starts_at"))
        .expr_as(Expr::col((b.clone(), Alias::new("id"))).count(), Alias::new("bookings"))
        .expr_as(count_of(Status::Confirmed.as_str()), Alias::new("confirmed"))
        .expr_as(count_of(Status::Attended.as_str()), Alias::new("attended"))
        .expr_as(count_of(Status::NoShow.as_str()), Alias::new("no_shows"))
        .expr_as(count_of(Status::Cancelled.as_str()), Alias::new("cancelled"))
        .from_as(Alias::new("booking_booking"), b.clone())
        .join_as(
            JoinType::InnerJoin,
            Alias::new("booking_slot"),
            s.clone(),
            Expr::col((s.clone(), Alias::new("id"))).equals((b.clone(), Alias::new("slot_id"))),
        )
        .join_as(
            JoinType::InnerJoin,
            Alias::new("booking_centre"),
            c.clone(),
            Expr::col((c.clone(), Alias::new("id"))).equals((s.clone(), Alias::new("centre_id"))),
        )
        .join_as(
            JoinType::InnerJoin,
            Alias::new("booking_product"),
            d.clone(),
            Expr::col((d.clone(), Alias::new("id"))).equals((s.clone(), Alias::new("product_id"))),
        )
        .and_where(Expr::col((c.clone(), Alias::new("programme_id"))).eq(programme.id.as_str()))
        .and_where(Expr::col((s.clone(), Alias::new("starts_at"))).gte(state.start_of_day(from)))
        .and_where(Expr::col((s.clone(), Alias::new("starts_at"))).lt(end))
        .group_by_columns([
            (c.clone(), Alias::new("id")),
            (c.clone(), Alias::new("slug")),
            (d.clone(), Alias::new("id")),
            (d.clone(), Alias::new("code")),
            (s.clone(), Alias::new("id")),
            (s.clone(), Alias::new("starts_at")),
        ])
        .order_by((s.clone(), Alias::new("starts_at")), Order::Asc)
        .to_owned();
    let backend = state.db.get_database_backend();
    let rows = state.db.query_all_raw(backend.build(&query)).await?;
    let mut by_key: BTreeMap<(String, String, String), Stat> = BTreeMap::new();
    for row in rows {
        let starts_at: OffsetDateTime = row.try_get("", "starts_at")?;
        let day = state.to_local(starts_at).date().to_string();
        let centre_slug: String = row.try_get("", "centre_slug")?;
        let product_code: String = row.try_get("", "product_code")?;
        let n = |name: &str| row.try_get::<i64>("", name);
        let stat = by_key.entry((day.clone(), centre_slug.clone(), product_code.clone())).or_insert_with(|| Stat {
            day,
            centre_id: row.try_get("", "centre_id").unwrap_or_default(),
            centre_slug,
            product_id: row.try_get("", "product_id").unwrap_or_default(),
            product_code,
            ..Stat::default()
        });
        stat.bookings += n("bookings")?;
        stat.confirmed += n("confirmed")?;
        stat.attended += n("attended")?;
        stat.no_shows += n("no_shows")?;
        stat.cancelled += n("cancelled")?;
    }
    Ok(by_key.into_values().collect())
}

/// A programme's quotas on local `day`, for every centre and product that has one.
pub async fn quotas_on(conn: &impl ConnectionTrait, programme_id: &str, day: Date) -> Result<Vec<quota::Model>, DbErr> {
    let centre_ids: Vec<String> =
        crate::programmes::store::centres(conn, programme_id).await?.into_iter().map(|c| c.id).collect();
    if centre_ids.is_empty() {
        return Ok(Vec::new());
    }
    quota::Entity::find()
        .filter(quota::Column::CentreId.is_in(centre_ids))
        .filter(quota::Column::Day.eq(day))
        .order_by_asc(quota::Column::CentreId)
        .order_by_asc(quota::Column::ProductId)
        .all(conn)
        .await
}

/// What closing `day` at one centre would touch, read without changing
/// anything: its slots still open that day and the confirmed bookings they hold.
#[derive(Debug, Clone)]
pub struct Affected {
    pub centre: centre::Model,
    pub open_slots: u64,
    pub confirmed: u64,
    /// Already closed that day (a closure would change nothing more there).
    pub closed_already: bool,
}

/// What [`close`] would touch at each of `centre_ids` on `day` (a read only:
/// the administrators' page shows it before they confirm).
pub async fn affected_by_closing(
    state: &AppState,
    day: Date,
    centre_ids: &[String],
) -> Result<Vec<Affected>, AppError> {
    if centre_ids.is_empty() {
        return Ok(Vec::new());
    }
    let centres = centre::Entity::find()
        .filter(centre::Column::Id.is_in(centre_ids.to_vec()))
        .order_by_asc(centre::Column::Slug)
        .all(&state.db)
        .await?;
    if centres.len() < centre_ids.len() {
        return Err(BookingError::UnknownCentre.into());
    }
    let mut out = Vec::with_capacity(centres.len());
    for c in centres {
        let open: Vec<String> = slots_of_day(state, &state.db, &c.id, None, day)
            .await?
            .into_iter()
            .filter(|s| s.closed_at.is_none())
            .map(|s| s.id)
            .collect();
        let confirmed = if open.is_empty() {
            0
        } else {
            booking::Entity::find()
                .filter(booking::Column::SlotId.is_in(open.clone()))
                .filter(booking::Column::Status.eq(Status::Confirmed.as_str()))
                .count(&state.db)
                .await?
        };
        let closed_already = closure::Entity::find_by_id((c.id.clone(), day)).one(&state.db).await?.is_some();
        out.push(Affected {
            centre: c,
            open_slots: u64::try_from(open.len()).unwrap_or(u64::MAX),
            confirmed,
            closed_already,
        });
    }
    Ok(out)
}
