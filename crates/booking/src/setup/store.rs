//! Applies a set-up plan in one transaction, idempotently: programmes,
//! products and centres are found by slug (and updated to the plan), slots
//! by centre, start and product (kept as they are when they exist, so a
//! re-run never touches places already taken). Audited as one entry per
//! programme.

use std::collections::BTreeMap;

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use platform::error::AppError;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{QueryOrder, QuerySelect};
use time::Date;

use super::{Imported, ImportedProgramme, Plan, ProgrammePlan, parse_day, periods, slot_starts};
use crate::errors::BookingError;
use crate::programmes::store::{centre, holiday, product, programme, quota, slot};

fn level(p: &ProgrammePlan) -> &'static str {
    match p.eligibility.level {
        platform::principal::IdentityLevel::Basic => "basic",
        platform::principal::IdentityLevel::RealName => "real_name",
    }
}

fn int(v: Option<u32>) -> Option<i32> {
    v.and_then(|v| i32::try_from(v).ok())
}

async fn upsert_programme(
    txn: &impl ConnectionTrait,
    p: &ProgrammePlan,
    now: time::OffsetDateTime,
) -> Result<(programme::Model, bool), DbErr> {
    let existing = programme::Entity::find().filter(programme::Column::Slug.eq(&p.slug)).one(txn).await?;
    let created = existing.is_none();
    let row = programme::ActiveModel {
        id: Set(existing.as_ref().map_or_else(|| Uuid::now_v7().to_string(), |e| e.id.clone())),
        slug: Set(p.slug.clone()),
        kind: Set(p.kind.as_str().to_owned()),
        name_en: Set(p.name.en.clone()),
        name_zh_hk: Set(p.name.zh_hk.clone()),
        name_zh_cn: Set(p.name.zh_cn.clone()),
        level: Set(level(p).to_owned()),
        residents_only: Set(p.eligibility.residents_only),
        min_age: Set(int(p.eligibility.min_age)),
        max_age: Set(int(p.eligibility.max_age)),
        steps: Set(int(Some(p.eligibility.steps)).unwrap_or(1)),
        min_interval_days: Set(int(p.eligibility.min_interval_days)),
        max_interval_days: Set(int(p.eligibility.max_interval_days)),
        repeatable: Set(p.eligibility.repeatable),
        opens_at: Set(p.opens_at),
        closes_at: Set(p.closes_at),
        created_at: if created { Set(now) } else { NotSet },
        updated_at: Set(now),
    };
    let model = if created { row.insert(txn).await? } else { row.update(txn).await? };
    Ok((model, created))
}

/// One run of slot generation for one centre.
#[derive(Debug, Clone)]
pub struct Generation<'a> {
    pub centre_id: &'a str,
    /// The centre's opening hours: weekday to `HH:MM-HH:MM` periods.
    pub hours: &'a BTreeMap<String, Vec<String>>,
    pub product_ids: &'a [String],
    /// First local day, and days from it (inclusive of it).
    pub first: Date,
    pub days: u32,
    pub minutes: u32,
    pub capacity: u32,
    /// A daily quota per product on each day given slots.
    pub quota: Option<u32>,
}

/// Makes the slots of `run` in `txn` from the centre's opening hours, back
/// to back in each period: never one that has begun, none on a public
/// holiday, and none that exists (same centre, start and product), so a
/// re-run changes nothing. Sets the day's quota where `run` has one and the
/// day has none, counting the places already held that day (`open_quota`:
/// 409 `QuotaBelowTaken` when they are more). Returns the slots made.
pub async fn generate(state: &AppState, txn: &impl ConnectionTrait, run: &Generation<'_>) -> Result<u64, AppError> {
    let now = platform::db::now();
    let last = run.first.checked_add(time::Duration::days(i64::from(run.days))).unwrap_or(Date::MAX);
    let holidays: std::collections::BTreeSet<Date> = holiday::Entity::find()
        .filter(holiday::Column::Day.gte(run.first))
        .filter(holiday::Column::Day.lte(last))
        .all(txn)
        .await?
        .into_iter()
        .map(|h| h.day)
        .collect();
    let mut made = 0;
    for n in 0..run.days {
        let Some(day) = run.first.checked_add(time::Duration::days(i64::from(n))) else { continue };
        if holidays.contains(&day) {
            continue;
        }
        let starts = slot_starts(&periods(run.hours, day.weekday()), run.minutes);
        if starts.is_empty() {
            continue;
        }
        for start in starts {
            let local = time::PrimitiveDateTime::new(day, start);
            let starts_at = state.from_local(local);
            if starts_at <= now {
                continue;
            }
            let ends_at = state.from_local(local + time::Duration::minutes(i64::from(run.minutes)));
            for product_id in run.product_ids {
                let row = slot::ActiveModel {
                    id: Set(Uuid::now_v7().to_string()),
                    centre_id: Set(run.centre_id.to_owned()),
                    product_id: Set(product_id.clone()),
                    starts_at: Set(starts_at),
                    ends_at: Set(ends_at),
                    capacity: Set(i32::try_from(run.capacity).unwrap_or(i32::MAX)),
                    taken: Set(0),
                    closed_at: Set(None),
                };
                made += slot::Entity::insert(row)
                    .on_conflict(
                        OnConflict::columns([slot::Column::CentreId, slot::Column::StartsAt, slot::Column::ProductId])
                            .do_nothing()
                            .to_owned(),
                    )
                    .exec_without_returning(txn)
                    .await?;
            }
        }
        let Some(capacity) = run.quota else { continue };
        for product_id in run.product_ids {
            let capacity = i32::try_from(capacity).unwrap_or(i32::MAX);
            open_quota(state, txn, run.centre_id, day, product_id, capacity).await?;
        }
    }
    Ok(made)
}

/// The slots of a centre's product on local `day`, read under their row
/// locks (PostgreSQL `FOR UPDATE`, in ID order; SQLite's write transaction
/// holds the whole database), so their `taken` are the places held that
/// day. A booking takes its slot's row before the day's quota: one that
/// took a place first is waited for and counted; one that comes later
/// waits for this transaction, then finds the quota it wrote.
pub(crate) async fn lock_day_slots(
    state: &AppState,
    txn: &impl ConnectionTrait,
    centre_id: &str,
    day: Date,
    product_id: &str,
) -> Result<Vec<slot::Model>, DbErr> {
    let next = day.next_day().unwrap_or(day);
    slot::Entity::find()
        .filter(slot::Column::CentreId.eq(centre_id))
        .filter(slot::Column::ProductId.eq(product_id))
        .filter(slot::Column::StartsAt.gte(state.start_of_day(day)))
        .filter(slot::Column::StartsAt.lt(state.start_of_day(next)))
        .order_by_asc(slot::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await
}

/// Opens a centre's quota of a product on local `day` with `capacity`
/// places, counting the places its slots hold already (`lock_day_slots`):
/// 409 `QuotaBelowTaken` when they hold more. `false` (nothing changed)
/// when the day has a quota already.
pub(crate) async fn open_quota(
    state: &AppState,
    txn: &impl ConnectionTrait,
    centre_id: &str,
    day: Date,
    product_id: &str,
    capacity: i32,
) -> Result<bool, AppError> {
    let held: i32 = lock_day_slots(state, txn, centre_id, day, product_id).await?.iter().map(|s| s.taken).sum();
    let key = (centre_id.to_owned(), day, product_id.to_owned());
    if quota::Entity::find_by_id(key).one(txn).await?.is_some() {
        return Ok(false);
    }
    if held > capacity {
        return Err(BookingError::QuotaBelowTaken { taken: i64::from(held) }.into());
    }
    let row = quota::ActiveModel {
        centre_id: Set(centre_id.to_owned()),
        day: Set(day),
        product_id: Set(product_id.to_owned()),
        capacity: Set(capacity),
        taken: Set(held),
    };
    let inserted = quota::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([quota::Column::CentreId, quota::Column::Day, quota::Column::ProductId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(inserted == 1)
}

/// Applies `plan` (already checked: `setup::problems` is empty).
pub async fn apply(state: &AppState, plan: &Plan, actor: &str) -> Result<Imported, AppError> {
    let now = platform::db::now();
    let today = state.today();
    let txn = platform::db::begin_write(&state.db).await?;
    let mut imported = Imported::default();
    for p in &plan.programmes {
        let (programme, created) = upsert_programme(&txn, p, now).await?;
        let mut out =
            ImportedProgramme { slug: p.slug.clone(), id: programme.id.clone(), created, ..Default::default() };
        for d in &p.products {
            let existing = product::Entity::find()
                .filter(product::Column::ProgrammeId.eq(&programme.id))
                .filter(product::Column::Code.eq(&d.code))
                .one(&txn)
                .await?;
            let row = product::ActiveModel {
                id: Set(existing.as_ref().map_or_else(|| Uuid::now_v7().to_string(), |e| e.id.clone())),
                programme_id: Set(programme.id.clone()),
                code: Set(d.code.clone()),
                name_en: Set(d.name.en.clone()),
                name_zh_hk: Set(d.name.zh_hk.clone()),
                name_zh_cn: Set(d.name.zh_cn.clone()),
            };
            let model = if existing.is_some() { row.update(&txn).await? } else { row.insert(&txn).await? };
            out.products.insert(d.code.clone(), model.id);
        }
        for c in &p.centres {
            let existing = centre::Entity::find()
                .filter(centre::Column::ProgrammeId.eq(&programme.id))
                .filter(centre::Column::Slug.eq(&c.slug))
                .one(&txn)
                .await?;
            let hours = serde_json::to_string(&c.hours).map_err(AppError::internal)?;
            let row = centre::ActiveModel {
                id: Set(existing.as_ref().map_or_else(|| Uuid::now_v7().to_string(), |e| e.id.clone())),
                programme_id: Set(programme.id.clone()),
                slug: Set(c.slug.clone()),
                name_en: Set(c.name.en.clone()),
                name_zh_hk: Set(c.name.zh_hk.clone()),
                name_zh_cn: Set(c.name.zh_cn.clone()),
                address_en: Set(c.address.en.clone()),
                address_zh_hk: Set(c.address.zh_hk.clone()),
                address_zh_cn: Set(c.address.zh_cn.clone()),
                district: Set(c.district.clone()),
                latitude: Set(c.latitude),
                longitude: Set(c.longitude),
                opening_hours: Set(hours),
                accessibility_en: Set(c.accessibility.en.clone()),
                accessibility_zh_hk: Set(c.accessibility.zh_hk.clone()),
                accessibility_zh_cn: Set(c.accessibility.zh_cn.clone()),
                created_at: if existing.is_some() { NotSet } else { Set(now) },
            };
            let model = if existing.is_some() { row.update(&txn).await? } else { row.insert(&txn).await? };
            out.centres.insert(c.slug.clone(), model.id);
        }
        for s in &p.slots {
            let Some(first) = parse_day(&s.from, today) else { continue };
            let product_ids: Vec<String> = p
                .products
                .iter()
                .filter(|d| s.products.is_empty() || s.products.contains(&d.code))
                .map(|d| out.products[&d.code].clone())
                .collect();
            for c in p.centres.iter().filter(|c| s.centres.is_empty() || s.centres.contains(&c.slug)) {
                let run = Generation {
                    centre_id: &out.centres[&c.slug],
                    hours: &c.hours,
                    product_ids: &product_ids,
                    first,
                    days: s.days,
                    minutes: s.minutes,
                    capacity: s.capacity,
                    quota: s.quota,
                };
                out.slots_created += generate(state, &txn, &run).await?;
            }
        }
        let action = if created { "booking.programme_create" } else { "booking.programme_update" };
        audit::record(&txn, &state.keys, AuditEntry::new(actor, action, format!("programme:{}", programme.id))).await?;
        imported.programmes.push(out);
    }
    txn.commit().await?;
    Ok(imported)
}
