//! Harvest's tables: `opendata_harvest_source` (a source's URL, the
//! organisation it fills or none to mirror the source's, the high-water
//! mark and counts of its last run) and `opendata_harvested` (which of our
//! datasets came from which source under which remote ID). A dataset and
//! its link are written in one transaction with their audit entries; a
//! dataset is only ever updated through its own source's link.

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::NotSet, Set};

use super::{Remote, Report};
use crate::catalogue::DatasetInput;
use crate::catalogue::store::{self as catalogue, Actor, WriteError};

pub mod source {
    //! `opendata_harvest_source` rows: other CKAN instances we harvest.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_harvest_source")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub url: String,
        pub organisation_id: Option<String>,
        pub high_water: Option<String>,
        pub last_run_at: Option<TimeDateTimeWithTimeZone>,
        pub last_created: i64,
        pub last_updated: i64,
        pub last_unchanged: i64,
        pub last_deleted: i64,
        pub last_failed: i64,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod harvested {
    //! `opendata_harvested` rows: a dataset's source and remote ID.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_harvested")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub dataset_id: String,
        pub source_id: String,
        pub remote_id: String,
        pub remote_name: String,
        pub remote_modified: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn entry(actor: &Actor, action: &str, object: String) -> AuditEntry {
    AuditEntry::new(actor.id.clone(), action, object).request(actor.request_id.as_deref())
}

/// The source with this URL, made (and audited) on its first run. The
/// organisation given then is kept; a later run that names another one is
/// refused, so a dataset never changes owner by accident.
pub async fn source_for(
    state: &AppState,
    url: &str,
    organisation_id: Option<&str>,
    actor: &Actor,
) -> Result<source::Model, WriteError> {
    let txn = platform::db::begin_write(&state.db).await?;
    if let Some(found) = source::Entity::find().filter(source::Column::Url.eq(url)).one(&txn).await? {
        if organisation_id.is_some() && found.organisation_id.as_deref() != organisation_id {
            return Err(WriteError::Invalid(crate::catalogue::Errors::from([(
                "organisation".to_owned(),
                vec!["This source already fills another organisation (or mirrors the source's)".to_owned()],
            )])));
        }
        return Ok(found);
    }
    let row = source::Model {
        id: Uuid::now_v7().to_string(),
        url: url.to_owned(),
        organisation_id: organisation_id.map(str::to_owned),
        high_water: None,
        last_run_at: None,
        last_created: 0,
        last_updated: 0,
        last_unchanged: 0,
        last_deleted: 0,
        last_failed: 0,
        created_at: platform::db::now(),
    };
    source::ActiveModel::from(row.clone()).insert(&txn).await?;
    audit::record(
        &txn,
        &state.keys,
        entry(actor, "opendata.harvest.source.create", format!("harvest_source:{}", row.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Our dataset for a remote one of this source, if harvested before.
pub async fn link(
    db: &impl ConnectionTrait,
    source_id: &str,
    remote_id: &str,
) -> Result<Option<harvested::Model>, DbErr> {
    harvested::Entity::find()
        .filter(harvested::Column::SourceId.eq(source_id))
        .filter(harvested::Column::RemoteId.eq(remote_id))
        .one(db)
        .await
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
}

/// Creates or updates our copy of a remote dataset and its link, in one
/// transaction (the catalogue's audit entry and a harvest entry naming the
/// source in it): all of it or none.
pub async fn save(
    state: &AppState,
    source_id: &str,
    remote: &Remote,
    input: &DatasetInput,
    existing: Option<&harvested::Model>,
    actor: &Actor,
) -> Result<Written, WriteError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let (id, seq, written) = match existing {
        Some(link) => {
            let seq = catalogue::replace_dataset(&txn, state, &link.dataset_id, input, actor).await?;
            (link.dataset_id.clone(), seq, Written::Updated)
        }
        None => {
            let (id, seq) = catalogue::insert_dataset(&txn, state, input, actor).await?;
            (id, seq, Written::Created)
        }
    };
    let row = harvested::ActiveModel {
        dataset_id: Set(id.clone()),
        source_id: Set(source_id.to_owned()),
        remote_id: Set(remote.id.clone()),
        remote_name: Set(remote.name.clone()),
        remote_modified: Set(remote.modified.clone()),
    };
    match written {
        Written::Created => {
            row.insert(&txn).await?;
        }
        Written::Updated => {
            row.update(&txn).await?;
        }
    }
    let action = match written {
        Written::Created => "opendata.harvest.create",
        Written::Updated => "opendata.harvest.update",
    };
    audit::record(&txn, &state.keys, entry(actor, action, format!("dataset:{id} harvest_source:{source_id}"))).await?;
    txn.commit().await?;
    catalogue::announce(state, seq).await;
    Ok(written)
}

/// This source's datasets (not yet deleted here) whose remote name is not
/// in `present`: deleted at the source.
pub async fn gone(
    db: &impl ConnectionTrait,
    source_id: &str,
    present: &std::collections::HashSet<String>,
) -> Result<Vec<harvested::Model>, DbErr> {
    let links = harvested::Entity::find().filter(harvested::Column::SourceId.eq(source_id)).all(db).await?;
    let mut out = Vec::new();
    for l in links.into_iter().filter(|l| !present.contains(&l.remote_name)) {
        if catalogue::dataset(db, &l.dataset_id).await?.is_some() {
            out.push(l);
        }
    }
    Ok(out)
}

/// Marks our copy of a dataset deleted at the source deleted (audited by
/// the catalogue; the link stays, so the source's history is kept).
pub async fn delete(state: &AppState, link: &harvested::Model, actor: &Actor) -> Result<(), WriteError> {
    catalogue::delete_dataset(state, &link.dataset_id, actor).await
}

/// Records a run's mark and counts on its source, audited.
pub async fn finish(state: &AppState, source_id: &str, report: &Report, actor: &Actor) -> Result<(), WriteError> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let txn = platform::db::begin_write(&state.db).await?;
    source::ActiveModel {
        id: Set(source_id.to_owned()),
        url: NotSet,
        organisation_id: NotSet,
        high_water: Set(report.high_water.clone()),
        last_run_at: Set(Some(platform::db::now())),
        last_created: Set(count(report.created)),
        last_updated: Set(count(report.updated)),
        last_unchanged: Set(count(report.unchanged)),
        last_deleted: Set(count(report.deleted)),
        last_failed: Set(count(report.failed)),
        created_at: NotSet,
    }
    .update(&txn)
    .await?;
    audit::record(&txn, &state.keys, entry(actor, "opendata.harvest.run", format!("harvest_source:{source_id}")))
        .await?;
    txn.commit().await?;
    Ok(())
}

/// A source by URL.
pub async fn source_by_url(db: &impl ConnectionTrait, url: &str) -> Result<Option<source::Model>, DbErr> {
    source::Entity::find().filter(source::Column::Url.eq(url)).one(db).await
}
