//! The public catalogue, a page at a time: published datasets that are not
//! private (never drafts, private or deleted ones), in ID order, read as
//! IDs first and assembled by the catalogue's store a page at a time, so no
//! export holds more than one page in memory.

use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect, Select};

use crate::catalogue::store::{self as catalogue, dataset};
use crate::catalogue::{Dataset, State, visible};

fn public() -> Select<dataset::Entity> {
    dataset::Entity::find()
        .filter(dataset::Column::State.eq(State::Published.as_str()))
        .filter(dataset::Column::Private.eq(false))
}

/// How many datasets the public catalogue has.
pub async fn public_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    public().count(db).await
}

/// Up to `limit` public datasets from the `offset`-th, in ID order.
pub async fn public_page(db: &impl ConnectionTrait, offset: u64, limit: u64) -> Result<Vec<Dataset>, DbErr> {
    let ids: Vec<String> = public()
        .select_only()
        .column(dataset::Column::Id)
        .order_by_asc(dataset::Column::Id)
        .offset(offset)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    assemble(db, &ids).await
}

/// Up to `limit` public datasets whose ID follows `after`, in ID order (a
/// walk that a change between two pages cannot make skip a dataset), and
/// the last ID read (`None` at the end).
pub async fn public_after(
    db: &impl ConnectionTrait,
    after: &str,
    limit: u64,
) -> Result<(Option<String>, Vec<Dataset>), DbErr> {
    let ids: Vec<String> = public()
        .select_only()
        .column(dataset::Column::Id)
        .filter(dataset::Column::Id.gt(after))
        .order_by_asc(dataset::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok((ids.last().cloned(), assemble(db, &ids).await?))
}

/// The datasets of `ids` that are still public (one may have changed since
/// its ID was read).
async fn assemble(db: &impl ConnectionTrait, ids: &[String]) -> Result<Vec<Dataset>, DbErr> {
    let found = catalogue::datasets_by_ids(db, ids).await?;
    Ok(found.into_iter().filter(|d| visible(d.state, d.private, false)).collect())
}
