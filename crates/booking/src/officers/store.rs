//! What officers at a centre change: a booking checked in (confirmed →
//! attended, one conditional statement, only on its slot's local day), a
//! walk-in registered (a place taken as a booking takes one, attended at
//! once), the specimen of a testing programme's attendance, and the count of
//! an officer's failed reference look-ups (`booking_lookup_miss`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use platform::ids::Document;
use platform::principal::IdentityLevel;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{QuerySelect, QueryTrait};

use super::{LOOK_UP_MISSES_PER_HOUR, check_in_refusal, hour_of};
use crate::bookings::store::{Booked, attended, booking, context, take_place};
use crate::bookings::{Reference, Status};
use crate::errors::BookingError;
use crate::programmes::store::{centre, programme, slot};
use crate::programmes::{self, Facts, Kind};
use crate::specimens::SpecimenCode;

#[allow(unreachable_pub)]
pub(crate) mod miss {
    //! `booking_lookup_miss` rows: unknown references an officer looked up in an hour.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_lookup_miss")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub hour: TimeDateTimeWithTimeZone,
        pub misses: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[allow(unreachable_pub)]
pub(crate) mod assignment {
    //! `booking_centre_officer` rows: an officer who works at a centre.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_centre_officer")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        pub assigned_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The centres `officer` (an account ID) works at, by ID.
pub async fn centres_of(db: &impl ConnectionTrait, officer: &str) -> Result<Vec<String>, DbErr> {
    let rows = assignment::Entity::find().filter(assignment::Column::AccountId.eq(officer)).all(db).await?;
    Ok(rows.into_iter().map(|r| r.centre_id).collect())
}

/// Whether `officer` works at `centre_id`.
pub async fn works_at(db: &impl ConnectionTrait, officer: &str, centre_id: &str) -> Result<bool, DbErr> {
    Ok(assignment::Entity::find_by_id((centre_id.to_owned(), officer.to_owned())).one(db).await?.is_some())
}

/// The officers who work at `centre_id`, by account ID, in ID order.
pub async fn officers_at(db: &impl ConnectionTrait, centre_id: &str) -> Result<Vec<String>, DbErr> {
    use sea_orm::QueryOrder;
    let rows = assignment::Entity::find()
        .filter(assignment::Column::CentreId.eq(centre_id))
        .order_by_asc(assignment::Column::AccountId)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| r.account_id).collect())
}

/// The officers who work at `centre_id`, or `None` when there is no such centre.
pub async fn officers_of_centre(db: &impl ConnectionTrait, centre_id: &str) -> Result<Option<Vec<String>>, DbErr> {
    if centre::Entity::find_by_id(centre_id).one(db).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(officers_at(db, centre_id).await?))
}

/// Sets who works at `centre_id` to exactly `officers` (account IDs, checked
/// by the caller), with an audit entry by `actor` for each officer added
/// (`booking.centre.officer_added`) or removed (`…_removed`), on the object
/// `centre:{id}/account:{id}`; those assigned before keep their
/// assignment's date. The centre's row is locked, so two replacements at
/// once apply one after the other. Returns the officers now assigned.
pub async fn set_officers(
    state: &AppState,
    centre_id: &str,
    officers: &[String],
    actor: &str,
) -> Result<Vec<String>, AppError> {
    let txn = platform::db::begin_write(&state.db).await?;
    if centre::Entity::find_by_id(centre_id).lock_exclusive().one(&txn).await?.is_none() {
        return Err(BookingError::UnknownCentre.into());
    }
    let before = officers_at(&txn, centre_id).await?;
    let removed: Vec<&String> = before.iter().filter(|o| !officers.contains(o)).collect();
    let added: Vec<&String> = officers.iter().filter(|o| !before.contains(o)).collect();
    if !removed.is_empty() {
        assignment::Entity::delete_many()
            .filter(assignment::Column::CentreId.eq(centre_id))
            .filter(assignment::Column::AccountId.is_in(removed.iter().map(|o| o.as_str())))
            .exec(&txn)
            .await?;
    }
    let now = platform::db::now();
    for officer in &added {
        assignment::ActiveModel {
            centre_id: Set(centre_id.to_owned()),
            account_id: Set((*officer).clone()),
            assigned_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    for (action, who) in added
        .iter()
        .map(|o| ("booking.centre.officer_added", o))
        .chain(removed.iter().map(|o| ("booking.centre.officer_removed", o)))
    {
        let entry = AuditEntry::new(actor, action, format!("centre:{centre_id}/account:{who}"));
        audit::record(&txn, &state.keys, entry).await?;
    }
    let after = officers_at(&txn, centre_id).await?;
    txn.commit().await?;
    Ok(after)
}

/// Refuses `officer` at a centre they do not work at.
async fn require_works_at(state: &AppState, officer: &str, centre_id: &str) -> Result<(), AppError> {
    if works_at(&state.db, officer, centre_id).await? { Ok(()) } else { Err(BookingError::OtherCentre.into()) }
}

/// A booking attended, and its specimen's code for a testing programme.
#[derive(Debug, Clone)]
pub struct Attended {
    pub booked: Booked,
    pub specimen: Option<SpecimenCode>,
}

/// Counts one look-up against `officer` in `hour` if the hour's limit
/// allows it: one conditional statement (`misses < limit`), so parallel
/// look-ups cannot all pass a count read before any of them was added.
/// `false` when the limit is reached.
async fn reserve_look_up(state: &AppState, officer: &str, hour: time::OffsetDateTime) -> Result<bool, DbErr> {
    for _ in 0..2 {
        let bumped = miss::Entity::update_many()
            .col_expr(miss::Column::Misses, Expr::col(miss::Column::Misses).add(1))
            .filter(miss::Column::AccountId.eq(officer))
            .filter(miss::Column::Hour.eq(hour))
            .filter(miss::Column::Misses.lt(LOOK_UP_MISSES_PER_HOUR))
            .exec(&state.db)
            .await?;
        if bumped.rows_affected > 0 {
            return Ok(true);
        }
        let row = miss::ActiveModel { account_id: Set(officer.to_owned()), hour: Set(hour), misses: Set(1) };
        match row.insert(&state.db).await {
            Ok(_) => return Ok(true),
            // The hour's row exists (at its limit, or inserted by a parallel
            // look-up of this officer just now): try the conditional bump again.
            Err(e) if platform::db::is_unique_violation(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Gives back the look-up counted in `hour`: the reference was known.
async fn release_look_up(state: &AppState, officer: &str, hour: time::OffsetDateTime) -> Result<(), DbErr> {
    miss::Entity::update_many()
        .col_expr(miss::Column::Misses, Expr::col(miss::Column::Misses).sub(1))
        .filter(miss::Column::AccountId.eq(officer))
        .filter(miss::Column::Hour.eq(hour))
        .filter(miss::Column::Misses.gt(0))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// The booking with the reference `typed` (as `Reference::parse` reads it),
/// for officer `officer` (an account ID). Every unknown or malformed
/// reference counts against the officer; past the hour's limit every
/// look-up is refused, known or not, so guessing stays slow. The look-up
/// is counted before it runs and given back when the reference was known.
pub async fn look_up(state: &AppState, officer: &str, typed: &str) -> Result<Booked, AppError> {
    let hour = hour_of(platform::db::now());
    if !reserve_look_up(state, officer, hour).await? {
        tracing::warn!(officer, "booking: an officer reached the limit of unknown references");
        return Err(BookingError::TooManyLookUps.into());
    }
    let found = match Reference::parse(typed) {
        Some(r) => booking::Entity::find().filter(booking::Column::Reference.eq(r.as_str())).one(&state.db).await?,
        None => None,
    };
    let found = match found {
        Some(b) => context(state, b).await?,
        None => None,
    };
    let Some(found) = found else {
        return Err(BookingError::UnknownReference.into());
    };
    // A true reference, but another centre's booking: not this officer's to
    // see, and the look-up stays counted (else an officer could test
    // references against every centre without limit).
    require_works_at(state, officer, &found.centre.id).await?;
    release_look_up(state, officer, hour).await?;
    Ok(found)
}

/// Checks in the booking with the reference `typed`: confirmed → attended
/// with one conditional statement, on its slot's local day only, with the
/// specimen of a testing programme and an audit entry in the same transaction.
pub async fn check_in(state: &AppState, officer: &str, typed: &str) -> Result<Attended, AppError> {
    let found = look_up(state, officer, typed).await?;
    let day = state.to_local(found.slot.starts_at).date();
    if let Some(refusal) = check_in_refusal(Status::parse(&found.booking.status), day, state.today()) {
        return Err(refusal.into());
    }
    let now = platform::db::now();
    let txn = platform::db::begin_write(&state.db).await?;
    let done = booking::Entity::update_many()
        .col_expr(booking::Column::Status, Expr::value(Status::Attended.as_str()))
        .col_expr(booking::Column::AttendedAt, Expr::value(now))
        .filter(booking::Column::Id.eq(&found.booking.id))
        .filter(booking::Column::SlotId.eq(&found.slot.id))
        .filter(booking::Column::Status.eq(Status::Confirmed.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        // Checked in, cancelled or moved by someone else between the look-up and now.
        return Err(BookingError::AlreadyAttended.into());
    }
    let specimen = attendance(&txn, state, officer, &found, now).await?;
    txn.commit().await?;
    let booking =
        booking::Model { status: Status::Attended.as_str().to_owned(), attended_at: Some(now), ..found.booking };
    Ok(Attended { booked: Booked { booking, ..found }, specimen })
}

/// In an attendance's transaction: the specimen (testing programmes) and the audit entry.
async fn attendance(
    txn: &sea_orm::DatabaseTransaction,
    state: &AppState,
    officer: &str,
    found: &Booked,
    now: time::OffsetDateTime,
) -> Result<Option<SpecimenCode>, AppError> {
    let specimen = if found.programme.kind() == Kind::Testing {
        let code =
            crate::specimens::store::issue(txn, &found.programme.id, &found.centre.id, &found.booking.id, now).await?;
        Some(code)
    } else {
        None
    };
    let entry =
        AuditEntry::new(format!("account:{officer}"), "booking.attend", format!("booking:{}", found.booking.id));
    audit::record(txn, &state.keys, entry).await?;
    Ok(specimen)
}

/// Registers a walk-in: `document`'s holder takes a place in `slot_id`,
/// one of today's, as a booking takes one (the same conditional statements
/// and duplicate check), attended at once. `birthdate` is the one on the
/// document, which a programme with an age rule needs.
pub async fn walk_in(
    state: &AppState,
    officer: &str,
    slot_id: &str,
    document: &Document,
    birthdate: Option<time::Date>,
) -> Result<Attended, AppError> {
    let Some((slot, centre, programme)) = programmes::store::slot_with_context(&state.db, slot_id).await? else {
        return Err(BookingError::UnknownSlot.into());
    };
    require_works_at(state, officer, &centre.id).await?;
    let day = state.to_local(slot.starts_at).date();
    if day != state.today() {
        return Err(BookingError::WrongDay.into());
    }
    if slot.closed_at.is_some() {
        return Err(BookingError::SlotClosed.into());
    }
    if !programmes::is_open(programme.opens_at, programme.closes_at, platform::db::now()) {
        return Err(BookingError::Ineligible(programmes::Ineligible::NotOpen).into());
    }
    let document_index = document.index(&state.keys);
    let attended = attended(state, &programme.id, &document_index).await?;
    let facts = Facts {
        // The officer saw the document.
        level: IdentityLevel::RealName,
        document_kind: document.kind(),
        birthdate,
        slot_day: day,
        product_id: &slot.product_id,
        attended: &attended,
    };
    let step = programme.eligibility().check(&facts).map_err(BookingError::Ineligible)?;
    let now = platform::db::now();
    let txn = platform::db::begin_write(&state.db).await?;
    take_place(state, &txn, &slot).await?;
    let row = booking::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        reference: Set(Reference::generate().as_str().to_owned()),
        programme_id: Set(programme.id.clone()),
        step: Set(i32::try_from(step).unwrap_or(1)),
        slot_id: Set(slot.id.clone()),
        // A walk-in is a person booking knows only by their document.
        person_id: Set(Uuid::now_v7().to_string()),
        // No account booked it: the officer who registered it is in the
        // audit entry. (Booked under the officer's account, it would list in
        // their own bookings and send strangers' notices to them.)
        account_id: Set(String::new()),
        document_index: Set(document_index),
        document_kind: Set(document.kind().to_owned()),
        document_sealed: Set(Some(STANDARD.encode(document.seal(&state.keys)))),
        status: Set(Status::Attended.as_str().to_owned()),
        created_at: Set(now),
        cancelled_at: Set(None),
        attended_at: Set(Some(now)),
        reminded_at: Set(None),
        closed_reason: Set(None),
    };
    let booking = row.insert(&txn).await.map_err(|e| match platform::db::unique_violation(&e) {
        Some(columns) if !columns.contains("reference") => AppError::from(BookingError::Duplicate),
        _ => AppError::from(e),
    })?;
    let found = Booked { booking, slot, centre, programme };
    let specimen = attendance(&txn, state, officer, &found, now).await?;
    txn.commit().await?;
    crate::bookings::store::changed(state, &found.programme.id, &found.slot).await;
    let slot = slot::Model { taken: found.slot.taken + 1, ..found.slot };
    Ok(Attended { booked: Booked { slot, ..found }, specimen })
}

/// The booking's document, masked: from the sealed copy given at booking,
/// else from what identity checked for the booking account.
pub async fn masked_document(state: &AppState, booking: &booking::Model) -> Result<String, AppError> {
    let sealed = booking.document_sealed.as_deref().and_then(|s| STANDARD.decode(s).ok());
    if let Some(d) = sealed.and_then(|sealed| Document::open(&booking.document_kind, &sealed, &state.keys)) {
        return Ok(d.masked());
    }
    let Ok(account) = Uuid::parse_str(&booking.account_id).map(platform::principal::AccountId) else {
        return Ok(String::new());
    };
    let checked = state.contracts.people()?.checked_person(state, &account).await?;
    Ok(checked.map(|c| c.masked_document).unwrap_or_default())
}

/// Marks `no_show` every confirmed booking whose slot's local day has
/// ended (it began before today's local midnight). Idempotent: one
/// conditional statement; the number marked.
pub async fn mark_no_shows(state: &AppState) -> Result<u64, DbErr> {
    let midnight = state.start_of_day(state.today());
    let ended = slot::Entity::find()
        .select_only()
        .column(slot::Column::Id)
        .filter(slot::Column::StartsAt.lt(midnight))
        .into_query();
    let done = booking::Entity::update_many()
        .col_expr(booking::Column::Status, Expr::value(Status::NoShow.as_str()))
        .filter(booking::Column::Status.eq(Status::Confirmed.as_str()))
        .filter(booking::Column::SlotId.in_subquery(ended))
        .exec(&state.db)
        .await?;
    Ok(done.rows_affected)
}

/// Today's open slots with places left at the centres `officer` works at,
/// with their centre and programme (the walk-in form's choices).
pub async fn slots_today(
    state: &AppState,
    officer: &str,
) -> Result<Vec<(slot::Model, centre::Model, programme::Model)>, DbErr> {
    use sea_orm::QueryOrder;
    let centres = centres_of(&state.db, officer).await?;
    if centres.is_empty() {
        return Ok(Vec::new());
    }
    let today = state.today();
    let from = state.start_of_day(today);
    let to = state.start_of_day(today.next_day().unwrap_or(today));
    let slots = slot::Entity::find()
        .filter(slot::Column::StartsAt.gte(from))
        .filter(slot::Column::StartsAt.lt(to))
        .filter(slot::Column::ClosedAt.is_null())
        .filter(slot::Column::CentreId.is_in(centres))
        .filter(Expr::col(slot::Column::Taken).lt(Expr::col(slot::Column::Capacity)))
        .order_by_asc(slot::Column::StartsAt)
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(slots.len());
    for s in slots {
        if let Some(found) = programmes::store::slot_with_context(&state.db, &s.id).await? {
            out.push(found);
        }
    }
    Ok(out)
}
