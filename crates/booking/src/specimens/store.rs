//! The `booking_specimen` table (no personal data: code, programme, centre,
//! times, result) and `booking_specimen_link` (specimen → booking). The
//! laboratory's functions (`pending`, `record_result`) read only the first;
//! only the results role's functions (`results_*`, `notify`) read the link.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{Condition, QueryOrder, QuerySelect};
use time::OffsetDateTime;

use super::{SpecimenCode, TestResult};
use crate::bookings::store::{Booked, booking, context};
use crate::errors::BookingError;
use crate::programmes::store::centre;

pub mod specimen {
    //! `booking_specimen` rows: a specimen and its result, no personal data.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_specimen")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub specimen_code: String,
        pub programme_id: String,
        pub centre_id: String,
        pub collected_at: TimeDateTimeWithTimeZone,
        pub result: Option<String>,
        pub result_at: Option<TimeDateTimeWithTimeZone>,
        pub notified_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[allow(unreachable_pub)]
pub(crate) mod link {
    //! `booking_specimen_link` rows: whose specimen it is. Read only by the
    //! results role's functions in this file.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_specimen_link")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub specimen_id: String,
        pub booking_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// How finely a specimen's times (collected, notified) are kept: to the
/// hour, so the laboratory's table cannot be joined to the bookings' (or
/// the audit log's) by the exact time of an attendance or a notice
/// (separation of duties by data design, DESIGN §6); at a quiet centre a
/// quarter hour often holds one attendance.
pub const TIME_GRAIN_SECONDS: i64 = 60 * 60;

/// `at` truncated to its hour (UTC; every zone lionrock serves is a whole
/// or half hour off, and the laboratory reads the time, not the zone's hour).
pub fn coarse(at: OffsetDateTime) -> OffsetDateTime {
    let seconds = at.unix_timestamp();
    let floored = seconds - seconds.rem_euclid(TIME_GRAIN_SECONDS);
    OffsetDateTime::from_unix_timestamp(floored).unwrap_or(at)
}

/// Issues the specimen of an attendance in the caller's transaction (the
/// link's unique booking ID makes it one per attendance). Its ID is random,
/// not a UUIDv7 (whose first bits are the time to the millisecond), and its
/// collection time is coarse (`coarse`): neither tells when the person came.
pub(crate) async fn issue(
    txn: &impl ConnectionTrait,
    programme_id: &str,
    centre_id: &str,
    booking_id: &str,
    now: OffsetDateTime,
) -> Result<SpecimenCode, DbErr> {
    let code = SpecimenCode::generate();
    let id = uuid::Builder::from_random_bytes(platform::crypto::random_bytes::<16>()).into_uuid().to_string();
    specimen::ActiveModel {
        id: Set(id.clone()),
        specimen_code: Set(code.as_str().to_owned()),
        programme_id: Set(programme_id.to_owned()),
        centre_id: Set(centre_id.to_owned()),
        collected_at: Set(coarse(now)),
        result: Set(None),
        result_at: Set(None),
        notified_at: Set(None),
    }
    .insert(txn)
    .await?;
    link::ActiveModel { specimen_id: Set(id), booking_id: Set(booking_id.to_owned()) }.insert(txn).await?;
    Ok(code)
}

/// The specimen with `code`, and its centre.
pub async fn by_code(
    state: &AppState,
    code: &SpecimenCode,
) -> Result<Option<(specimen::Model, Option<centre::Model>)>, DbErr> {
    let Some(s) =
        specimen::Entity::find().filter(specimen::Column::SpecimenCode.eq(code.as_str())).one(&state.db).await?
    else {
        return Ok(None);
    };
    let c = centre::Entity::find_by_id(&s.centre_id).one(&state.db).await?;
    Ok(Some((s, c)))
}

/// One page of specimens awaiting a result, oldest first, after `after`
/// (one more than `limit`): the laboratory's work list.
pub async fn pending(
    state: &AppState,
    limit: u64,
    after: Option<&platform::paging::Cursor>,
) -> Result<Vec<(specimen::Model, Option<centre::Model>)>, DbErr> {
    let mut query = specimen::Entity::find()
        .filter(specimen::Column::Result.is_null())
        .order_by_asc(specimen::Column::CollectedAt)
        .order_by_asc(specimen::Column::Id);
    if let Some(c) = after {
        query = query.filter(Condition::any().add(specimen::Column::CollectedAt.gt(c.at)).add(
            Condition::all().add(specimen::Column::CollectedAt.eq(c.at)).add(specimen::Column::Id.gt(c.id.as_str())),
        ));
    }
    let rows = query.limit(limit.saturating_add(1)).all(&state.db).await?;
    with_centres(state, rows).await
}

async fn with_centres(
    state: &AppState,
    rows: Vec<specimen::Model>,
) -> Result<Vec<(specimen::Model, Option<centre::Model>)>, DbErr> {
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let c = centre::Entity::find_by_id(&s.centre_id).one(&state.db).await?;
        out.push((s, c));
    }
    Ok(out)
}

/// Records a specimen's result, once (a conditional update): the laboratory
/// names the specimen by its code and learns nothing else.
pub async fn record_result(
    state: &AppState,
    actor: &str,
    code: &SpecimenCode,
    result: TestResult,
) -> Result<specimen::Model, AppError> {
    let Some((found, _)) = by_code(state, code).await? else { return Err(BookingError::UnknownSpecimen.into()) };
    let now = platform::db::now();
    let txn = platform::db::begin_write(&state.db).await?;
    let done = specimen::Entity::update_many()
        .col_expr(specimen::Column::Result, Expr::value(result.as_str()))
        .col_expr(specimen::Column::ResultAt, Expr::value(now))
        .filter(specimen::Column::Id.eq(&found.id))
        .filter(specimen::Column::Result.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(BookingError::ResultRecorded.into());
    }
    let entry = AuditEntry::new(actor, "booking.specimen_result", format!("specimen:{}", found.id));
    audit::record(&txn, &state.keys, entry).await?;
    txn.commit().await?;
    Ok(specimen::Model { result: Some(result.as_str().to_owned()), result_at: Some(now), ..found })
}

/// A result with the booking it belongs to: the results role's view.
#[derive(Debug, Clone)]
pub struct Joined {
    pub specimen: specimen::Model,
    pub booked: Booked,
}

/// Results recorded and not yet notified, oldest first (at most `limit`).
pub async fn results_to_notify(state: &AppState, limit: u64) -> Result<Vec<Joined>, AppError> {
    let rows = specimen::Entity::find()
        .filter(specimen::Column::Result.is_not_null())
        .filter(specimen::Column::NotifiedAt.is_null())
        .order_by_asc(specimen::Column::ResultAt)
        .order_by_asc(specimen::Column::Id)
        .limit(limit)
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        if let Some(joined) = results_join(state, s).await? {
            out.push(joined);
        }
    }
    Ok(out)
}

/// The booking a specimen belongs to (results role only).
pub async fn results_join(state: &AppState, specimen: specimen::Model) -> Result<Option<Joined>, AppError> {
    let Some(l) = link::Entity::find_by_id(&specimen.id).one(&state.db).await? else { return Ok(None) };
    let Some(b) = booking::Entity::find_by_id(&l.booking_id).one(&state.db).await? else { return Ok(None) };
    Ok(context(state, b).await?.map(|booked| Joined { specimen, booked }))
}

/// Marks the specimen's result notified, once (a conditional update), and
/// writes the notice in the same transaction. `false` when it was already.
pub async fn notify(state: &AppState, actor: &str, joined: &Joined) -> Result<bool, AppError> {
    let now = coarse(platform::db::now());
    let txn = platform::db::begin_write(&state.db).await?;
    let done = specimen::Entity::update_many()
        .col_expr(specimen::Column::NotifiedAt, Expr::value(now))
        .filter(specimen::Column::Id.eq(&joined.specimen.id))
        .filter(specimen::Column::Result.is_not_null())
        .filter(specimen::Column::NotifiedAt.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Ok(false);
    }
    crate::bookings::store::result_ready(&txn, state, &joined.booked).await?;
    let entry = AuditEntry::new(actor, "booking.result_notified", format!("booking:{}", joined.booked.booking.id));
    audit::record(&txn, &state.keys, entry).await?;
    txn.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specimen_times_are_kept_to_the_hour() {
        let at = time::macros::datetime!(2026-12-01 09:59:59.999 UTC);
        assert_eq!(coarse(at), time::macros::datetime!(2026-12-01 09:00 UTC));
        let on = time::macros::datetime!(2026-12-01 10:00 UTC);
        assert_eq!(coarse(on), on);
    }
}
