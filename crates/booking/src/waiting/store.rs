//! The waiting room's tables and operations: `booking_waiting_room` (a
//! programme's settings, its counter of places taken and its admission
//! clock) and `booking_queue_place` (one numbered place per account per
//! programme). Joining takes the next number in one write transaction;
//! the clock advances by a conditional UPDATE any server may make, so all
//! agree on who is admitted; booking and rescheduling ask `http::admit` first.
//! Only joining (POST) writes: `status` (what a GET answers) computes the
//! clock in memory and never starts an admission.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{DatabaseBackend, QuerySelect, Statement};

use super::{Admission, Clock, Settings, Turn};

pub mod room {
    //! `booking_waiting_room` rows: one per programme that ever had a room.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_waiting_room")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub programme_id: String,
        pub enabled: bool,
        pub rate_per_minute: i32,
        pub validity_minutes: i32,
        /// Places taken so far: the last place's number.
        pub joined: i64,
        /// Places `1..=admitted` are admitted.
        pub admitted: i64,
        /// The admission clock's virtual time, Unix milliseconds.
        pub clock_ms: i64,
        pub updated_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod place {
    //! `booking_queue_place` rows: an account's numbered place in a programme's queue.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_queue_place")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub programme_id: String,
        pub account_id: String,
        /// 1, 2, 3… per programme, in the order of joining.
        pub place: i64,
        pub joined_at: TimeDateTimeWithTimeZone,
        /// When the place was first seen admitted (Unix ms): its admission
        /// lasts the room's validity from then.
        pub admitted_ms: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl room::Model {
    pub fn settings(&self) -> Settings {
        Settings {
            enabled: self.enabled,
            rate_per_minute: u32::try_from(self.rate_per_minute).unwrap_or(1),
            validity_minutes: u32::try_from(self.validity_minutes).unwrap_or(1),
        }
    }

    fn clock(&self) -> Clock {
        Clock { admitted: self.admitted, at_ms: self.clock_ms }
    }
}

/// Where an account stands in a programme's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// The programme has no waiting room on: no token is needed.
    Off,
    /// The account has no place (status asked before joining).
    NotQueued,
    Waiting {
        place: i64,
        position: i64,
        wait_seconds: i64,
    },
    /// Its turn has come, but its admission has not started: joining (a
    /// POST, never a GET) starts it and hands out the token.
    Ready {
        place: i64,
    },
    /// Admitted: `token` lets the account book until `admission.expires_ms`.
    Admitted {
        place: i64,
        admission: Admission,
        token: String,
    },
    /// The admission is over; joining again takes a place at the back.
    Expired {
        place: i64,
    },
}

/// The room of a programme, if it ever had one.
pub async fn room(conn: &impl ConnectionTrait, programme_id: &str) -> Result<Option<room::Model>, DbErr> {
    room::Entity::find_by_id(programme_id).one(conn).await
}

/// Sets a programme's room, with an audit entry by `actor`. Switching it on
/// again starts a new queue: the places held when it went off are dropped
/// (their holders left long ago, most of them), so nobody who joins now
/// waits while the clock spends turns on them. An admission already given
/// stays good until it expires (its token is its own proof).
pub async fn set(
    state: &AppState,
    programme_id: &str,
    settings: Settings,
    actor: &str,
    now_ms: i64,
) -> Result<room::Model, AppError> {
    let now = platform::db::now();
    let txn = platform::db::begin_write(&state.db).await?;
    let rate = i32::try_from(settings.rate_per_minute).unwrap_or(i32::MAX);
    let validity = i32::try_from(settings.validity_minutes).unwrap_or(i32::MAX);
    // The row is locked (PostgreSQL `FOR UPDATE`; SQLite's write transaction
    // holds the database) so no join commits between this read and the write.
    let current = room::Entity::find_by_id(programme_id).lock_exclusive().one(&txn).await?;
    let saved = match current {
        None => {
            let clock = Clock::start(now_ms);
            room::ActiveModel {
                programme_id: Set(programme_id.to_owned()),
                enabled: Set(settings.enabled),
                rate_per_minute: Set(rate),
                validity_minutes: Set(validity),
                joined: Set(0),
                admitted: Set(clock.admitted),
                clock_ms: Set(clock.at_ms),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
        Some(current) => {
            let reopened = settings.enabled && !current.enabled;
            let mut row: room::ActiveModel = current.into();
            // Only a reopening touches the queue's numbers and clock; a
            // change of rate goes on from where the clock stands.
            if reopened {
                place::Entity::delete_many().filter(place::Column::ProgrammeId.eq(programme_id)).exec(&txn).await?;
                let clock = Clock::start(now_ms);
                row.joined = Set(0);
                row.admitted = Set(clock.admitted);
                row.clock_ms = Set(clock.at_ms);
            }
            row.enabled = Set(settings.enabled);
            row.rate_per_minute = Set(rate);
            row.validity_minutes = Set(validity);
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
    };
    let entry = AuditEntry::new(actor, "booking.waiting_room.set", format!("programme:{programme_id}"));
    audit::record(&txn, &state.keys, entry).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn place_of(
    conn: &impl ConnectionTrait,
    programme_id: &str,
    account_id: &str,
) -> Result<Option<place::Model>, DbErr> {
    place::Entity::find()
        .filter(place::Column::ProgrammeId.eq(programme_id))
        .filter(place::Column::AccountId.eq(account_id))
        .one(conn)
        .await
}

/// Whether `p` is over at `now_ms`: its admission ran out, or its turn came
/// and it was not started within the validity (`super::ready_until`).
fn expired(p: &place::Model, room: &room::Model, now_ms: i64) -> bool {
    match p.admitted_ms {
        Some(at) => now_ms >= at.saturating_add(room.settings().validity_ms()),
        None => {
            let settings = room.settings();
            let clock = super::advance(room.clock(), room.joined, settings.rate_per_minute, now_ms);
            super::ready_until(p.place, clock, settings, super::unix_ms(p.joined_at)).is_some_and(|end| now_ms >= end)
        }
    }
}

/// Joins `account_id` to the programme's queue at `now_ms`: the place it
/// holds already (however often it joins, from however many tabs or
/// servers), else the next number. An expired admission gives way to a
/// new place at the back.
pub async fn join(state: &AppState, programme_id: &str, account_id: &str, now_ms: i64) -> Result<Standing, AppError> {
    // Twice at most: a second attempt follows only when a parallel join of
    // the same account took the place first, and then finds it.
    for _ in 0..2 {
        let txn = platform::db::begin_write(&state.db).await?;
        let Some(current) = room(&txn, programme_id).await?.filter(|r| r.enabled) else {
            return Ok(Standing::Off);
        };
        if let Some(held) = place_of(&txn, programme_id, account_id).await? {
            if !expired(&held, &current, now_ms) {
                let standing = start(state, &txn, current, held, now_ms).await?;
                txn.commit().await?;
                return Ok(standing);
            }
            place::Entity::delete_by_id(&held.id).exec(&txn).await?;
        }
        // The counter's row lock (PostgreSQL) or the write lock (SQLite) orders joins.
        room::Entity::update_many()
            .col_expr(room::Column::Joined, Expr::col(room::Column::Joined).add(1))
            .filter(room::Column::ProgrammeId.eq(programme_id))
            .exec(&txn)
            .await?;
        let Some(current) = room(&txn, programme_id).await? else { return Ok(Standing::Off) };
        let clock = super::before_join(current.clock(), current.joined - 1, current.settings().rate_per_minute, now_ms);
        room::Entity::update_many()
            .col_expr(room::Column::Admitted, Expr::value(clock.admitted))
            .col_expr(room::Column::ClockMs, Expr::value(clock.at_ms))
            .filter(room::Column::ProgrammeId.eq(programme_id))
            .exec(&txn)
            .await?;
        let current = room::Model { admitted: clock.admitted, clock_ms: clock.at_ms, ..current };
        let row = place::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            programme_id: Set(programme_id.to_owned()),
            account_id: Set(account_id.to_owned()),
            place: Set(current.joined),
            joined_at: Set(platform::db::now()),
            admitted_ms: Set(None),
        };
        let inserted = match row.insert(&txn).await {
            Ok(inserted) => inserted,
            Err(e) if platform::db::unique_violation(&e).is_some() => continue,
            Err(e) => return Err(e.into()),
        };
        let standing = start(state, &txn, current, inserted, now_ms).await?;
        txn.commit().await?;
        return Ok(standing);
    }
    Err(AppError::internal("a queue place was neither taken nor found"))
}

/// Where `account_id` stands in the programme's queue at `now_ms`: a read
/// only (what a GET answers). The clock is advanced in memory, as every
/// server computes it, and an admission is not started here: a place whose
/// turn has come is `Ready` until the account joins again (POST).
pub async fn status(state: &AppState, programme_id: &str, account_id: &str, now_ms: i64) -> Result<Standing, AppError> {
    let Some(current) = room(&state.db, programme_id).await?.filter(|r| r.enabled) else {
        return Ok(Standing::Off);
    };
    let Some(held) = place_of(&state.db, programme_id, account_id).await? else {
        return Ok(Standing::NotQueued);
    };
    let clock = super::advance(current.clock(), current.joined, current.settings().rate_per_minute, now_ms);
    Ok(standing(&state.keys, &current, &held, clock, now_ms))
}

/// Advances the room's clock to `now_ms` and stores it in `txn`, unless
/// another server stored an advance first: then its clock, advanced in
/// memory. Either way the same pure function of the stored numbers and the time.
async fn advance(txn: &impl ConnectionTrait, current: &room::Model, now_ms: i64) -> Result<Clock, AppError> {
    let rate = current.settings().rate_per_minute;
    let before = current.clock();
    let next = super::advance(before, current.joined, rate, now_ms);
    if next == before {
        return Ok(before);
    }
    let done = room::Entity::update_many()
        .col_expr(room::Column::Admitted, Expr::value(next.admitted))
        .col_expr(room::Column::ClockMs, Expr::value(next.at_ms))
        .filter(room::Column::ProgrammeId.eq(&current.programme_id))
        .filter(room::Column::Admitted.eq(before.admitted))
        .filter(room::Column::ClockMs.eq(before.at_ms))
        .exec(txn)
        .await?;
    if done.rows_affected == 1 {
        return Ok(next);
    }
    let Some(fresh) = room(txn, &current.programme_id).await? else { return Ok(next) };
    Ok(super::advance(fresh.clock(), fresh.joined, rate, now_ms))
}

/// Where `held` stands against `clock` at `now_ms`, as stored: its
/// admission if one was started, else `Ready` once its turn has come.
fn standing(
    keys: &platform::crypto::Keys,
    current: &room::Model,
    held: &place::Model,
    clock: Clock,
    now_ms: i64,
) -> Standing {
    let rate = current.settings().rate_per_minute;
    if let Turn::Waiting { position, wait_seconds } = super::turn(held.place, clock, rate, now_ms) {
        return Standing::Waiting { place: held.place, position, wait_seconds };
    }
    let Some(admitted_ms) = held.admitted_ms else {
        let settings = current.settings();
        let joined_ms = super::unix_ms(held.joined_at);
        if super::ready_until(held.place, clock, settings, joined_ms).is_some_and(|end| now_ms >= end) {
            return Standing::Expired { place: held.place };
        }
        return Standing::Ready { place: held.place };
    };
    let admission =
        Admission { place: held.place, expires_ms: admitted_ms.saturating_add(current.settings().validity_ms()) };
    if now_ms >= admission.expires_ms {
        return Standing::Expired { place: held.place };
    }
    let token = admission.token(keys, &current.programme_id, &held.account_id);
    Standing::Admitted { place: held.place, admission, token }
}

/// For a join (POST), in its write transaction `txn` (on SQLite, writes
/// outside the write queue could starve in the busy handler during a
/// rush): advances the room's stored clock to `now_ms` and, when `held`'s
/// turn has come, starts its admission (the first server to start it sets
/// the time; the rest read it).
async fn start(
    state: &AppState,
    txn: &impl ConnectionTrait,
    current: room::Model,
    held: place::Model,
    now_ms: i64,
) -> Result<Standing, AppError> {
    let clock = advance(txn, &current, now_ms).await?;
    let mut held = held;
    if held.admitted_ms.is_none()
        && super::turn(held.place, clock, current.settings().rate_per_minute, now_ms) == Turn::Admitted
    {
        place::Entity::update_many()
            .col_expr(place::Column::AdmittedMs, Expr::value(now_ms))
            .filter(place::Column::Id.eq(&held.id))
            .filter(place::Column::AdmittedMs.is_null())
            .exec(txn)
            .await?;
        let started = place::Entity::find_by_id(&held.id).one(txn).await?.and_then(|p| p.admitted_ms);
        held.admitted_ms = Some(started.unwrap_or(now_ms));
    }
    Ok(standing(&state.keys, &current, &held, clock, now_ms))
}

/// The programme of `slot_id` when its waiting room is on: then a booking
/// needs an admission (see `http::require_admission`). One indexed read.
pub async fn room_on_for_slot(state: &AppState, slot_id: &str) -> Result<Option<String>, AppError> {
    let backend = state.db.get_database_backend();
    let p = |n: u8| if backend == DatabaseBackend::Postgres { format!("${n}") } else { "?".to_owned() };
    let sql = format!(
        "SELECT c.programme_id AS programme_id FROM booking_slot s \
         JOIN booking_centre c ON c.id = s.centre_id \
         JOIN booking_waiting_room r ON r.programme_id = c.programme_id \
         WHERE s.id = {} AND r.enabled = {}",
        p(1),
        p(2)
    );
    let row =
        state.db.query_one_raw(Statement::from_sql_and_values(backend, sql, [slot_id.into(), true.into()])).await?;
    Ok(match row {
        Some(row) => Some(row.try_get::<String>("", "programme_id")?),
        None => None,
    })
}
