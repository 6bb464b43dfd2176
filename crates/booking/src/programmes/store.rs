//! Programmes' tables (`booking_programme`, `booking_product`,
//! `booking_centre`, `booking_slot`, `booking_quota`, `booking_holiday`) and the reads on them:
//! the list of programmes, one by ID or slug, its centres and products, and
//! the slots of a period with their free places (as offered: at most what
//! the day's quota has left).

use std::collections::HashMap;

use platform::app::AppState;
use sea_orm::entity::prelude::*;
use sea_orm::{Condition, QueryOrder, QuerySelect};
use time::{Date, OffsetDateTime};

use super::{Eligibility, Kind, Names};
use platform::principal::IdentityLevel;

pub mod programme {
    //! `booking_programme` rows.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_programme")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub slug: String,
        pub kind: String,
        pub name_en: String,
        pub name_zh_hk: String,
        pub name_zh_cn: String,
        pub level: String,
        pub residents_only: bool,
        pub min_age: Option<i32>,
        pub max_age: Option<i32>,
        pub steps: i32,
        pub min_interval_days: Option<i32>,
        pub max_interval_days: Option<i32>,
        /// Each attendance frees the person for another booking (see `Eligibility::repeatable`).
        pub repeatable: bool,
        pub opens_at: Option<TimeDateTimeWithTimeZone>,
        pub closes_at: Option<TimeDateTimeWithTimeZone>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub updated_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod product {
    //! `booking_product` rows: what a programme offers (a vaccine brand, a test).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_product")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub programme_id: String,
        pub code: String,
        pub name_en: String,
        pub name_zh_hk: String,
        pub name_zh_cn: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod centre {
    //! `booking_centre` rows: where a programme is served (a centre or a port).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_centre")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub programme_id: String,
        pub slug: String,
        pub name_en: String,
        pub name_zh_hk: String,
        pub name_zh_cn: String,
        pub address_en: String,
        pub address_zh_hk: String,
        pub address_zh_cn: String,
        pub district: String,
        pub latitude: f64,
        pub longitude: f64,
        /// JSON: weekday (`mon` … `sun`) to a list of `HH:MM-HH:MM` periods.
        pub opening_hours: String,
        pub accessibility_en: String,
        pub accessibility_zh_hk: String,
        pub accessibility_zh_cn: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod slot {
    //! `booking_slot` rows: a time at a centre for a product, with its places.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_slot")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub centre_id: String,
        pub product_id: String,
        pub starts_at: TimeDateTimeWithTimeZone,
        pub ends_at: TimeDateTimeWithTimeZone,
        pub capacity: i32,
        pub taken: i32,
        pub closed_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod quota {
    //! `booking_quota` rows: the most a centre may book of a product on a day.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_quota")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub centre_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: TimeDate,
        #[sea_orm(primary_key, auto_increment = false)]
        pub product_id: String,
        pub capacity: i32,
        pub taken: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod holiday {
    //! `booking_holiday` rows: a public holiday (no slots are generated on it).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "booking_holiday")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: TimeDate,
        pub name_en: String,
        pub name_zh_hk: String,
        pub name_zh_cn: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl programme::Model {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Other)
    }

    pub fn names(&self) -> Names {
        Names { en: self.name_en.clone(), zh_hk: self.name_zh_hk.clone(), zh_cn: self.name_zh_cn.clone() }
    }

    pub fn eligibility(&self) -> Eligibility {
        let days = |d: Option<i32>| d.and_then(|d| u32::try_from(d).ok());
        Eligibility {
            level: if self.level == "real_name" { IdentityLevel::RealName } else { IdentityLevel::Basic },
            residents_only: self.residents_only,
            min_age: days(self.min_age),
            max_age: days(self.max_age),
            steps: u32::try_from(self.steps).unwrap_or(1),
            min_interval_days: days(self.min_interval_days),
            max_interval_days: days(self.max_interval_days),
            repeatable: self.repeatable,
        }
    }
}

impl product::Model {
    pub fn names(&self) -> Names {
        Names { en: self.name_en.clone(), zh_hk: self.name_zh_hk.clone(), zh_cn: self.name_zh_cn.clone() }
    }
}

impl centre::Model {
    pub fn names(&self) -> Names {
        Names { en: self.name_en.clone(), zh_hk: self.name_zh_hk.clone(), zh_cn: self.name_zh_cn.clone() }
    }

    pub fn address(&self) -> Names {
        Names { en: self.address_en.clone(), zh_hk: self.address_zh_hk.clone(), zh_cn: self.address_zh_cn.clone() }
    }

    pub fn accessibility(&self) -> Names {
        Names {
            en: self.accessibility_en.clone(),
            zh_hk: self.accessibility_zh_hk.clone(),
            zh_cn: self.accessibility_zh_cn.clone(),
        }
    }
}

impl slot::Model {
    /// Places still free (never negative).
    pub fn free(&self) -> i32 {
        if self.closed_at.is_some() { 0 } else { (self.capacity - self.taken).max(0) }
    }
}

/// Every programme, by slug.
pub async fn programmes(conn: &impl ConnectionTrait) -> Result<Vec<programme::Model>, DbErr> {
    programme::Entity::find().order_by_asc(programme::Column::Slug).all(conn).await
}

/// One page of programmes, newest first (by creation time, then ID), after
/// `after`; one row more than `limit`, so the caller knows whether more follow.
pub async fn programmes_newest_first(
    conn: &impl ConnectionTrait,
    limit: u64,
    after: Option<&platform::paging::Cursor>,
) -> Result<Vec<programme::Model>, DbErr> {
    let mut query =
        programme::Entity::find().order_by_desc(programme::Column::CreatedAt).order_by_desc(programme::Column::Id);
    if let Some(c) = after {
        query = query.filter(Condition::any().add(programme::Column::CreatedAt.lt(c.at)).add(
            Condition::all().add(programme::Column::CreatedAt.eq(c.at)).add(programme::Column::Id.lt(c.id.as_str())),
        ));
    }
    query.limit(limit.saturating_add(1)).all(conn).await
}

/// The programme with this ID or slug.
pub async fn programme(conn: &impl ConnectionTrait, id_or_slug: &str) -> Result<Option<programme::Model>, DbErr> {
    programme::Entity::find()
        .filter(Condition::any().add(programme::Column::Id.eq(id_or_slug)).add(programme::Column::Slug.eq(id_or_slug)))
        .one(conn)
        .await
}

/// A programme's centres, by slug.
pub async fn centres(conn: &impl ConnectionTrait, programme_id: &str) -> Result<Vec<centre::Model>, DbErr> {
    centre::Entity::find()
        .filter(centre::Column::ProgrammeId.eq(programme_id))
        .order_by_asc(centre::Column::Slug)
        .all(conn)
        .await
}

/// A programme's products, by code.
pub async fn products(conn: &impl ConnectionTrait, programme_id: &str) -> Result<Vec<product::Model>, DbErr> {
    product::Entity::find()
        .filter(product::Column::ProgrammeId.eq(programme_id))
        .order_by_asc(product::Column::Code)
        .all(conn)
        .await
}

/// The slots of these centres that start in `[from, to)`, by start.
pub async fn slots_between(
    conn: &impl ConnectionTrait,
    centre_ids: &[String],
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<slot::Model>, DbErr> {
    if centre_ids.is_empty() {
        return Ok(Vec::new());
    }
    slot::Entity::find()
        .filter(slot::Column::CentreId.is_in(centre_ids.iter().cloned()))
        .filter(slot::Column::StartsAt.gte(from))
        .filter(slot::Column::StartsAt.lt(to))
        .order_by_asc(slot::Column::StartsAt)
        .order_by_asc(slot::Column::Id)
        .all(conn)
        .await
}

/// A slot as residents are offered it.
#[derive(Debug, Clone)]
pub struct Offered {
    pub slot: slot::Model,
    /// Its local day.
    pub day: Date,
    /// The places a booking can take: the slot's own free places, at most
    /// what its day's quota (centre, local day, product) has left.
    pub free: i32,
}

/// Slots as offered, and the day quotas' places left by (centre, local day, product).
#[derive(Debug, Clone, Default)]
pub struct Offer {
    pub slots: Vec<Offered>,
    quota_left: HashMap<(String, Date, String), i32>,
}

impl Offer {
    /// The places a booking can take per (centre, local day): per product,
    /// the slots' free places summed, at most what the day's quota has left
    /// (two slots with 5 free under a quota with 3 left offer 3, not 10).
    pub fn per_day(&self) -> HashMap<(String, Date), i64> {
        let mut per_product: HashMap<(String, Date, String), i64> = HashMap::new();
        for o in &self.slots {
            let key = (o.slot.centre_id.clone(), o.day, o.slot.product_id.clone());
            *per_product.entry(key).or_insert(0) += i64::from(o.free);
        }
        let mut out = HashMap::new();
        for (key, free) in per_product {
            let capped = self.quota_left.get(&key).map_or(free, |left| free.min(i64::from(*left)));
            *out.entry((key.0, key.1)).or_insert(0) += capped;
        }
        out
    }
}

/// The slots of these centres that start in `[from, to)`, by start, as
/// residents are offered them: each one's free places at most what its
/// day's quota has left, as `bookings::store::take_place` will allow.
pub async fn offered_between(
    state: &AppState,
    centre_ids: &[String],
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Offer, DbErr> {
    let slots = slots_between(&state.db, centre_ids, from, to).await?;
    let days: Vec<Date> = slots.iter().map(|s| state.to_local(s.starts_at).date()).collect();
    let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) else { return Ok(Offer::default()) };
    let quota_left: HashMap<(String, Date, String), i32> = quota::Entity::find()
        .filter(quota::Column::CentreId.is_in(centre_ids.iter().cloned()))
        .filter(quota::Column::Day.between(*first, *last))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|q| ((q.centre_id, q.day, q.product_id), (q.capacity - q.taken).max(0)))
        .collect();
    let slots = slots
        .into_iter()
        .zip(days)
        .map(|(slot, day)| {
            let left = quota_left.get(&(slot.centre_id.clone(), day, slot.product_id.clone()));
            let free = left.map_or(slot.free(), |left| slot.free().min(*left));
            Offered { slot, day, free }
        })
        .collect();
    Ok(Offer { slots, quota_left })
}

/// A slot with its centre and programme (one query).
pub async fn slot_with_context(
    conn: &impl ConnectionTrait,
    slot_id: &str,
) -> Result<Option<(slot::Model, centre::Model, programme::Model)>, DbErr> {
    let Some(row) = conn.query_one(&slot_context_query(slot_id)).await? else { return Ok(None) };
    Ok(Some(slot_context(&row)?))
}

/// The query of slot `slot_id` joined to its centre and programme, their
/// columns named `s_…`, `c_…` and `p_…` (read them with [`slot_context`]);
/// a caller may join more to it.
pub fn slot_context_query(slot_id: &str) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
    use sea_orm::{IdenStatic, Iterable};
    let mut query = Query::select();
    for c in slot::Column::iter() {
        query.expr_as(Expr::col((slot::Entity, c)), Alias::new(format!("s_{}", c.as_str())));
    }
    for c in centre::Column::iter() {
        query.expr_as(Expr::col((centre::Entity, c)), Alias::new(format!("c_{}", c.as_str())));
    }
    for c in programme::Column::iter() {
        query.expr_as(Expr::col((programme::Entity, c)), Alias::new(format!("p_{}", c.as_str())));
    }
    query
        .from(slot::Entity)
        .join(
            JoinType::InnerJoin,
            centre::Entity,
            Expr::col((centre::Entity, centre::Column::Id)).equals((slot::Entity, slot::Column::CentreId)),
        )
        .join(
            JoinType::InnerJoin,
            programme::Entity,
            Expr::col((programme::Entity, programme::Column::Id)).equals((centre::Entity, centre::Column::ProgrammeId)),
        )
        .and_where(Expr::col((slot::Entity, slot::Column::Id)).eq(slot_id));
    query
}

/// A row of [`slot_context_query`].
pub fn slot_context(row: &QueryResult) -> Result<(slot::Model, centre::Model, programme::Model), DbErr> {
    use sea_orm::FromQueryResult;
    Ok((
        slot::Model::from_query_result(row, "s_")?,
        centre::Model::from_query_result(row, "c_")?,
        programme::Model::from_query_result(row, "p_")?,
    ))
}
