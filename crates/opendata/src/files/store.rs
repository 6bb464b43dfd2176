//! Files' tables (`opendata_blob`, `opendata_blob_chunk`,
//! `opendata_resource_version`, and `opendata_resource.version_id`, the
//! resource's latest version) and operations.
//!
//! An upload is staged first: its bytes go into chunk rows under a new
//! `part` as they arrive, hashed on the way, so no more than one chunk is
//! in memory and the database's write lock is never held while a client
//! sends. Only then does one write transaction keep it: the blob row (or,
//! when the same bytes are already kept, the staged part is deleted and
//! nothing new is stored), the version, the resource row, the audit entry
//! and the change sequence, all or nothing. Parts no blob names (an upload
//! refused or cut off) are deleted by the periodic job a day later.

use std::pin::Pin;
use std::task::{Context, Poll};

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{QueryOrder, QuerySelect, QueryTrait, Set};
use sha2::Digest;
use time::OffsetDateTime;

use super::{CHUNK_BYTES, Version};
use crate::catalogue::store::{self as catalogue, Actor, WriteError, resource};
use crate::catalogue::{Resource, ResourceInput, State};

pub mod blob {
    //! `opendata_blob` rows: one per distinct content, by its SHA-256.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_blob")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub sha256: String,
        pub size: i64,
        /// The chunk rows' key.
        pub part: String,
        pub chunks: i32,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod chunk {
    //! `opendata_blob_chunk` rows: a part's bytes, 1 MiB a row, numbered from 0.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_blob_chunk")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub part: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub n: i32,
        pub data: Vec<u8>,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod version {
    //! `opendata_resource_version` rows: every file a resource has had.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_resource_version")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub resource_id: String,
        pub seq: i32,
        pub sha256: String,
        pub size: i64,
        pub filename: String,
        pub media_type: String,
        pub source: String,
        pub uploaded_at: TimeDateTimeWithTimeZone,
        pub uploaded_by: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod pointer {
    //! `opendata_resource` seen from files: a resource and its latest version.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_resource")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub dataset_id: String,
        pub url: String,
        pub version_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod link_fetch {
    //! `opendata_link_fetch` rows: when a link resource was last fetched, and how it went.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_link_fetch")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub resource_id: String,
        pub fetched_at: TimeDateTimeWithTimeZone,
        pub outcome: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn version_of(m: version::Model) -> Version {
    Version {
        id: m.id,
        resource_id: m.resource_id,
        seq: m.seq,
        sha256: m.sha256,
        size: m.size,
        filename: m.filename,
        media_type: m.media_type,
        source: m.source,
        uploaded_at: m.uploaded_at,
        uploaded_by: m.uploaded_by,
    }
}

// ---- staging ----

/// Why staging stopped.
#[derive(Debug)]
pub enum StageError {
    /// More bytes than the limit.
    TooLarge,
    Db(DbErr),
}

impl From<DbErr> for StageError {
    fn from(e: DbErr) -> Self {
        StageError::Db(e)
    }
}

/// Bytes written under a part and their digest, not yet kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub part: String,
    pub sha256: String,
    pub size: i64,
    pub chunks: i32,
}

/// An upload on its way into chunk rows.
pub struct Stager {
    part: String,
    next: i32,
    buffer: Vec<u8>,
    hasher: sha2::Sha256,
    size: u64,
    limit: u64,
}

impl Stager {
    /// A new part that refuses more than `limit` bytes.
    pub fn new(limit: u64) -> Stager {
        Stager {
            part: Uuid::now_v7().to_string(),
            next: 0,
            buffer: Vec::with_capacity(CHUNK_BYTES),
            hasher: sha2::Sha256::new(),
            size: 0,
            limit,
        }
    }

    pub fn part(&self) -> &str {
        &self.part
    }

    async fn flush(&mut self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let data = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
        chunk::ActiveModel {
            part: Set(self.part.clone()),
            n: Set(self.next),
            data: Set(data),
            created_at: Set(platform::db::now()),
        }
        .insert(db)
        .await?;
        self.next += 1;
        Ok(())
    }

    /// Adds bytes; a full chunk is written at once (each its own short
    /// statement: no transaction stays open while the client sends).
    pub async fn write(&mut self, db: &impl ConnectionTrait, mut bytes: &[u8]) -> Result<(), StageError> {
        self.size += bytes.len() as u64;
        if self.size > self.limit {
            return Err(StageError::TooLarge);
        }
        self.hasher.update(bytes);
        while !bytes.is_empty() {
            let room = CHUNK_BYTES - self.buffer.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.buffer.extend_from_slice(now);
            bytes = later;
            if self.buffer.len() == CHUNK_BYTES {
                self.flush(db).await?;
            }
        }
        Ok(())
    }

    /// Writes the last chunk; the part is ready to keep.
    pub async fn finish(mut self, db: &impl ConnectionTrait) -> Result<Staged, DbErr> {
        if !self.buffer.is_empty() {
            self.flush(db).await?;
        }
        Ok(Staged {
            sha256: hex::encode(self.hasher.finalize()),
            size: i64::try_from(self.size).unwrap_or(i64::MAX),
            chunks: self.next,
            part: self.part,
        })
    }
}

/// Deletes a staged part no blob names (an upload that was refused).
pub async fn discard(db: &impl ConnectionTrait, part: &str) -> Result<(), DbErr> {
    if blob::Entity::find().filter(blob::Column::Part.eq(part)).one(db).await?.is_some() {
        return Ok(());
    }
    chunk::Entity::delete_many().filter(chunk::Column::Part.eq(part)).exec(db).await?;
    Ok(())
}

/// Deletes parts older than a day that no blob names (uploads cut off
/// before they were kept). The periodic job calls it.
pub async fn purge_stale_parts(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let before = platform::db::now() - time::Duration::days(1);
    let kept = blob::Entity::find().select_only().column(blob::Column::Part).into_query();
    let done = chunk::Entity::delete_many()
        .filter(chunk::Column::CreatedAt.lt(before))
        .filter(chunk::Column::Part.not_in_subquery(kept))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// The periodic job: stale parts go.
pub async fn job(state: AppState) {
    match purge_stale_parts(&state.db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(chunks = n, "deleted the chunks of uploads never kept"),
        Err(error) => tracing::warn!(%error, "could not delete the chunks of uploads never kept"),
    }
}

// ---- keeping ----

/// A staged file on its way to becoming a resource's version.
#[derive(Debug, Clone)]
pub struct Upload {
    pub staged: Staged,
    /// Tidied (`files::tidy_filename`).
    pub filename: String,
}

/// Keeps the staged bytes as a blob (or finds them kept already and drops
/// the staged copy), adds the resource's next version and points the
/// resource at it. In the caller's transaction.
async fn keep(
    txn: &impl ConnectionTrait,
    resource_id: &str,
    upload: &Upload,
    media_type: &str,
    by: &str,
    at: OffsetDateTime,
) -> Result<Version, DbErr> {
    let version = keep_version(txn, resource_id, upload, media_type, "upload", by, at).await?;
    point(txn, resource_id, Some(&version.id)).await?;
    Ok(version)
}

/// The blob (kept once) and the resource's next version, from `source`.
async fn keep_version(
    txn: &impl ConnectionTrait,
    resource_id: &str,
    upload: &Upload,
    media_type: &str,
    source: &str,
    by: &str,
    at: OffsetDateTime,
) -> Result<Version, DbErr> {
    let staged = &upload.staged;
    let row = blob::ActiveModel {
        sha256: Set(staged.sha256.clone()),
        size: Set(staged.size),
        part: Set(staged.part.clone()),
        chunks: Set(staged.chunks),
        created_at: Set(at),
    };
    // On PostgreSQL a concurrent upload of the same bytes waits here for
    // the other transaction, then finds the row and inserts nothing.
    let inserted = blob::Entity::insert(row)
        .on_conflict(OnConflict::column(blob::Column::Sha256).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        chunk::Entity::delete_many().filter(chunk::Column::Part.eq(staged.part.as_str())).exec(txn).await?;
    }
    let last: Option<i32> = version::Entity::find()
        .select_only()
        .column_as(version::Column::Seq.max(), "max")
        .filter(version::Column::ResourceId.eq(resource_id))
        .into_tuple::<Option<i32>>()
        .one(txn)
        .await?
        .flatten();
    let row = version::Model {
        id: Uuid::now_v7().to_string(),
        resource_id: resource_id.to_owned(),
        seq: last.unwrap_or(0) + 1,
        sha256: staged.sha256.clone(),
        size: staged.size,
        filename: upload.filename.clone(),
        media_type: media_type.to_owned(),
        source: source.to_owned(),
        uploaded_at: at,
        uploaded_by: by.to_owned(),
    };
    version::ActiveModel::from(row.clone()).insert(txn).await?;
    Ok(version_of(row))
}

async fn point(txn: &impl ConnectionTrait, resource_id: &str, version_id: Option<&str>) -> Result<(), DbErr> {
    pointer::Entity::update_many()
        .col_expr(pointer::Column::VersionId, Expr::value(version_id.map(str::to_owned)))
        .filter(pointer::Column::Id.eq(resource_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// What the server sets on a resource that holds an uploaded file.
fn with_file(input: &ResourceInput, url: String, upload: &Upload, at: OffsetDateTime) -> ResourceInput {
    let mut input = input.clone();
    input.url = url;
    input.size = Some(upload.staged.size);
    input.checksum = Some(super::hash_field(&upload.staged.sha256));
    input.last_modified = Some(at);
    if input.format.is_empty() {
        input.format = super::format_of(&upload.filename);
    }
    input
}

fn audit_entry(actor: &Actor, action: &str, object: String) -> AuditEntry {
    AuditEntry::new(actor.id.clone(), action, object).request(actor.request_id.as_deref())
}

/// A new resource at the end of a dataset's list, with its first file when
/// one was uploaded: one transaction, audited.
pub async fn create_resource(
    state: &AppState,
    dataset_id: &str,
    input: &ResourceInput,
    upload: Option<&Upload>,
    actor: &Actor,
) -> Result<(Resource, Option<Version>), WriteError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(owner) = catalogue::dataset::Entity::find_by_id(dataset_id).one(&*txn).await? else {
        return Err(WriteError::NotFound);
    };
    if owner.state == State::Deleted.as_str() {
        return Err(WriteError::NotFound);
    }
    let last: Option<i32> = resource::Entity::find()
        .select_only()
        .column_as(resource::Column::Position.max(), "max")
        .filter(resource::Column::DatasetId.eq(dataset_id))
        .into_tuple::<Option<i32>>()
        .one(&*txn)
        .await?
        .flatten();
    let now = platform::db::now();
    let id = Uuid::now_v7().to_string();
    let input = match upload {
        Some(u) => with_file(input, download_url(state, dataset_id, &id, &u.filename), u, now),
        None => input.clone(),
    };
    let row = catalogue::resource_row(id.clone(), dataset_id, last.map_or(0, |p| p + 1), &input, now);
    resource::ActiveModel::from(row.clone()).insert(&*txn).await?;
    let version = match upload {
        Some(u) => Some(keep(&*txn, &id, u, &super::media_type(&u.filename, &input.format), &actor.id, now).await?),
        None => None,
    };
    finish(state, txn, dataset_id, &id, "opendata.resource.create", version.as_ref(), actor, now).await?;
    Ok((catalogue::resource_of(row), version))
}

/// Replaces a resource's metadata (`resource_update`, or `resource_patch`
/// after merging), with a new file version when one was uploaded. A
/// resource whose URL no longer names its own download is a link again
/// (its versions stay in the archive).
pub async fn update_resource(
    state: &AppState,
    id: &str,
    input: &ResourceInput,
    upload: Option<&Upload>,
    actor: &Actor,
) -> Result<(Resource, Option<Version>), WriteError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(old) = resource::Entity::find_by_id(id).one(&*txn).await? else { return Err(WriteError::NotFound) };
    let dataset_id = old.dataset_id.clone();
    let Some(owner) = catalogue::dataset::Entity::find_by_id(dataset_id.as_str()).one(&*txn).await? else {
        return Err(WriteError::NotFound);
    };
    if owner.state == State::Deleted.as_str() {
        return Err(WriteError::NotFound);
    }
    let now = platform::db::now();
    let input = match upload {
        Some(u) => with_file(input, download_url(state, &dataset_id, id, &u.filename), u, now),
        None => input.clone(),
    };
    let row = catalogue::resource_row(old.id.clone(), &dataset_id, old.position, &input, old.created_at);
    resource::ActiveModel::from(row.clone()).reset_all().update(&*txn).await?;
    let version = match upload {
        Some(u) => Some(keep(&*txn, id, u, &super::media_type(&u.filename, &input.format), &actor.id, now).await?),
        None => {
            if super::resource_of_url(&state.public_url(), &input.url).as_deref() != Some(id) {
                point(&*txn, id, None).await?;
            }
            None
        }
    };
    finish(state, txn, &dataset_id, id, "opendata.resource.update", version.as_ref(), actor, now).await?;
    Ok((catalogue::resource_of(row), version))
}

/// The dataset's modification time, the audit entries (the change, and the
/// upload naming its version and content) and the change sequence; commits.
#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    txn: platform::db::WriteTransaction,
    dataset_id: &str,
    resource_id: &str,
    action: &str,
    version: Option<&Version>,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<(), WriteError> {
    catalogue::dataset::Entity::update_many()
        .col_expr(catalogue::dataset::Column::ModifiedAt, Expr::value(now))
        .filter(catalogue::dataset::Column::Id.eq(dataset_id))
        .exec(&*txn)
        .await?;
    audit::record(&txn, &state.keys, audit_entry(actor, action, format!("resource:{resource_id}"))).await?;
    if let Some(v) = version {
        let object = format!("resource:{resource_id}/version:{}/sha256:{}", v.seq, v.sha256);
        audit::record(&txn, &state.keys, audit_entry(actor, "opendata.resource.upload", object)).await?;
    }
    let seq = catalogue::record_change(&txn, dataset_id, now).await?;
    txn.commit().await?;
    catalogue::announce(state, seq).await;
    Ok(())
}

// ---- link resources fetched into the archive ----

/// Link resources (no file of ours) not fetched for a day, at most `limit`.
pub async fn links_due(db: &impl ConnectionTrait, limit: usize) -> Result<Vec<(String, String)>, DbErr> {
    let cutoff = platform::db::now() - time::Duration::days(1);
    let recent: Vec<String> = link_fetch::Entity::find()
        .select_only()
        .column(link_fetch::Column::ResourceId)
        .filter(link_fetch::Column::FetchedAt.gte(cutoff))
        .into_tuple()
        .all(db)
        .await?;
    let links = pointer::Entity::find()
        .filter(pointer::Column::VersionId.is_null())
        .order_by_asc(pointer::Column::Id)
        .all(db)
        .await?;
    Ok(links.into_iter().filter(|p| !recent.contains(&p.id)).take(limit).map(|p| (p.id, p.url)).collect())
}

/// Takes the day's fetch of a link: true for the one server (and the one
/// round) that may fetch it now, by one conditional statement.
pub async fn claim_fetch(db: &impl ConnectionTrait, resource_id: &str) -> Result<bool, DbErr> {
    let now = platform::db::now();
    let row = link_fetch::ActiveModel {
        resource_id: Set(resource_id.to_owned()),
        fetched_at: Set(now),
        outcome: Set("fetching".to_owned()),
    };
    let taken = link_fetch::Entity::insert(row)
        .on_conflict(
            OnConflict::column(link_fetch::Column::ResourceId)
                .update_columns([link_fetch::Column::FetchedAt, link_fetch::Column::Outcome])
                .action_and_where(link_fetch::Column::FetchedAt.lt(now - time::Duration::days(1)))
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(taken == 1)
}

/// How the last fetch went (`unchanged`, `version 3`, or why it failed).
pub async fn fetched(db: &impl ConnectionTrait, resource_id: &str, outcome: &str) -> Result<(), DbErr> {
    let outcome: String = outcome.chars().take(200).collect();
    link_fetch::Entity::update_many()
        .col_expr(link_fetch::Column::Outcome, Expr::value(outcome))
        .filter(link_fetch::Column::ResourceId.eq(resource_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Keeps a fetched file as the link's next version, unless its bytes are
/// the latest version's (then the staged part goes, and `None`). Audited.
pub async fn keep_fetched(
    state: &AppState,
    resource_id: &str,
    fetched: &Upload,
    media_type: &str,
) -> Result<Option<Version>, WriteError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let latest = version::Entity::find()
        .filter(version::Column::ResourceId.eq(resource_id))
        .order_by_desc(version::Column::Seq)
        .one(&*txn)
        .await?;
    if latest.is_some_and(|v| v.sha256 == fetched.staged.sha256) {
        discard(&*txn, &fetched.staged.part).await?;
        txn.commit().await?;
        return Ok(None);
    }
    let now = platform::db::now();
    let version = keep_version(&*txn, resource_id, fetched, media_type, "fetch", "fetch", now).await?;
    let object = format!("resource:{resource_id}/version:{}/sha256:{}", version.seq, version.sha256);
    let actor = Actor { id: "fetch".to_owned(), request_id: None };
    audit::record(&txn, &state.keys, audit_entry(&actor, "opendata.resource.fetch", object)).await?;
    txn.commit().await?;
    Ok(Some(version))
}

/// Lionrock's own address of a resource's uploaded file.
pub fn download_url(state: &AppState, dataset_id: &str, resource_id: &str, filename: &str) -> String {
    format!("{}{}", state.public_url(), super::download_path(dataset_id, resource_id, filename))
}

// ---- reads ----

/// A resource's latest version (none for a link).
pub async fn current(db: &impl ConnectionTrait, resource_id: &str) -> Result<Option<Version>, DbErr> {
    let Some(p) = pointer::Entity::find_by_id(resource_id).one(db).await? else { return Ok(None) };
    let Some(version_id) = p.version_id else { return Ok(None) };
    Ok(version::Entity::find_by_id(version_id).one(db).await?.map(version_of))
}

/// Every version of a resource, oldest first.
pub async fn versions(db: &impl ConnectionTrait, resource_id: &str) -> Result<Vec<Version>, DbErr> {
    Ok(version::Entity::find()
        .filter(version::Column::ResourceId.eq(resource_id))
        .order_by_asc(version::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(version_of)
        .collect())
}

/// The version current just before `before`: the last one kept earlier.
pub async fn version_before(
    db: &impl ConnectionTrait,
    resource_id: &str,
    before: OffsetDateTime,
) -> Result<Option<Version>, DbErr> {
    Ok(version::Entity::find()
        .filter(version::Column::ResourceId.eq(resource_id))
        .filter(version::Column::UploadedAt.lt(before))
        .order_by_desc(version::Column::UploadedAt)
        .order_by_desc(version::Column::Seq)
        .one(db)
        .await?
        .map(version_of))
}

/// Versions kept from `from` until before `until`, oldest first.
pub async fn versions_between(
    db: &impl ConnectionTrait,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<Version>, DbErr> {
    Ok(version::Entity::find()
        .filter(version::Column::UploadedAt.gte(from))
        .filter(version::Column::UploadedAt.lt(until))
        .order_by_asc(version::Column::UploadedAt)
        .order_by_asc(version::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(version_of)
        .collect())
}

/// Resources whose URL is `url` and that have versions (links lionrock
/// archives), first made first.
pub async fn archived_links(db: &impl ConnectionTrait, url: &str) -> Result<Vec<String>, DbErr> {
    if url.contains('\0') {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = pointer::Entity::find()
        .select_only()
        .column(pointer::Column::Id)
        .filter(pointer::Column::Url.eq(url))
        .order_by_asc(pointer::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut found = Vec::new();
    for id in ids {
        if version::Entity::find().filter(version::Column::ResourceId.eq(id.as_str())).one(db).await?.is_some() {
            found.push(id);
        }
    }
    Ok(found)
}

/// How many blobs are kept, and their bytes (tests, metrics).
pub async fn blob_totals(db: &impl ConnectionTrait) -> Result<(u64, i64), DbErr> {
    let rows = blob::Entity::find().all(db).await?;
    Ok((rows.len() as u64, rows.iter().map(|b| b.size).sum()))
}

/// A kept file's bytes, chunk by chunk, as a stream: one chunk row is read
/// at a time, and the next only once the reader took the last (a channel of
/// one). The DataStore reads an upload this way; `tokio_util`'s
/// `StreamReader` makes it an `AsyncRead`.
pub struct Chunks {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, DbErr>>,
}

impl futures_core::Stream for Chunks {
    type Item = Result<Vec<u8>, DbErr>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

/// The bytes kept under `sha256`, or `None` when nothing is.
pub async fn open(db: &DatabaseConnection, sha256: &str) -> Result<Option<Chunks>, DbErr> {
    if !super::is_sha256(sha256) {
        return Ok(None);
    }
    let Some(blob) = blob::Entity::find_by_id(sha256).one(db).await? else { return Ok(None) };
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let db = db.clone();
    tokio::spawn(async move {
        for n in 0..blob.chunks {
            let row = chunk::Entity::find_by_id((blob.part.clone(), n)).one(&db).await;
            let item = match row {
                Ok(Some(c)) => Ok(c.data),
                Ok(None) => Err(DbErr::RecordNotFound(format!("chunk {n} of blob {}", blob.sha256))),
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    });
    Ok(Some(Chunks { rx }))
}
