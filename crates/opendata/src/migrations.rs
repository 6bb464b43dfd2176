//! Open data's schema, forward-only. Migration names start
//! `m<date>_<time>_opendata_`.
//!
//! Every text a reader sees is stored once per language in one row
//! (`title_en`, `title_zh_hk`, `title_zh_cn`): a dataset is one record with
//! field-level language tags, never three records. The invariants live in
//! the database: names are unique, a dataset belongs to an organisation, a
//! state is one of three, sizes are not negative, and every change to a
//! dataset takes the next number of one change sequence (`opendata_change`,
//! numbered under the lock of `opendata_change_head`, so numbers commit in
//! order) that search indexes will follow.

use sea_orm_migration::prelude::*;

use crate::catalogue::CATEGORIES;

pub(crate) fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(Catalogue), Box::new(Files), Box::new(Datastore), Box::new(Harvest), Box::new(DatastoreLoads)]
}

struct Catalogue;

impl MigrationName for Catalogue {
    fn name(&self) -> &str {
        "m20261215_000000_opendata_catalogue"
    }
}

#[derive(DeriveIden)]
enum OpendataOrganisation {
    Table,
    Id,
    Name,
    TitleEn,
    TitleZhHk,
    TitleZhCn,
    DescriptionEn,
    DescriptionZhHk,
    DescriptionZhCn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OpendataGroup {
    Table,
    Id,
    Name,
    Position,
    TitleEn,
    TitleZhHk,
    TitleZhCn,
    DescriptionEn,
    DescriptionZhHk,
    DescriptionZhCn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OpendataDataset {
    Table,
    Id,
    Name,
    OrganisationId,
    TitleEn,
    TitleZhHk,
    TitleZhCn,
    NotesEn,
    NotesZhHk,
    NotesZhCn,
    LicenseId,
    UpdateFrequency,
    TemporalStart,
    TemporalEnd,
    SpatialEn,
    SpatialZhHk,
    SpatialZhCn,
    ContactName,
    ContactEmail,
    State,
    Private,
    CreatedAt,
    ModifiedAt,
}

#[derive(DeriveIden)]
enum OpendataTag {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum OpendataDatasetTag {
    Table,
    DatasetId,
    TagId,
}

#[derive(DeriveIden)]
enum OpendataDatasetGroup {
    Table,
    DatasetId,
    GroupId,
}

#[derive(DeriveIden)]
enum OpendataResource {
    Table,
    Id,
    DatasetId,
    Position,
    NameEn,
    NameZhHk,
    NameZhCn,
    DescriptionEn,
    DescriptionZhHk,
    DescriptionZhCn,
    Url,
    Format,
    Size,
    Checksum,
    LastModified,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OpendataChange {
    Table,
    Seq,
    DatasetId,
    At,
}

#[derive(DeriveIden)]
enum OpendataChangeHead {
    Table,
    Id,
    Seq,
}

#[derive(DeriveIden)]
enum OpendataPublisher {
    Table,
    OrganisationId,
    AccountId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OpendataToken {
    Table,
    Id,
    AccountId,
    Name,
    Mac,
    CreatedAt,
    RevokedAt,
}

fn texts<T: IntoIden>(t: &mut TableCreateStatement, [en, hk, cn]: [T; 3], len: Option<u32>) {
    for c in [en, hk, cn] {
        let mut col = ColumnDef::new(c);
        match len {
            Some(len) => col.string_len(len),
            None => col.text(),
        };
        t.col(col.not_null());
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Catalogue {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use OpendataOrganisation as O;
        let mut t = Table::create();
        t.table(O::Table)
            .col(ColumnDef::new(O::Id).string_len(36).not_null().primary_key())
            .col(ColumnDef::new(O::Name).string_len(100).not_null().unique_key());
        texts(&mut t, [O::TitleEn, O::TitleZhHk, O::TitleZhCn], Some(300));
        texts(&mut t, [O::DescriptionEn, O::DescriptionZhHk, O::DescriptionZhCn], None);
        t.col(ColumnDef::new(O::CreatedAt).timestamp_with_time_zone().not_null());
        m.create_table(t.to_owned()).await?;

        use OpendataGroup as G;
        let mut t = Table::create();
        t.table(G::Table)
            .col(ColumnDef::new(G::Id).string_len(36).not_null().primary_key())
            .col(ColumnDef::new(G::Name).string_len(100).not_null().unique_key())
            .col(ColumnDef::new(G::Position).integer().not_null());
        texts(&mut t, [G::TitleEn, G::TitleZhHk, G::TitleZhCn], Some(300));
        texts(&mut t, [G::DescriptionEn, G::DescriptionZhHk, G::DescriptionZhCn], None);
        t.col(ColumnDef::new(G::CreatedAt).timestamp_with_time_zone().not_null());
        m.create_table(t.to_owned()).await?;

        use OpendataDataset as D;
        let mut t = Table::create();
        t.table(D::Table)
            .col(ColumnDef::new(D::Id).string_len(36).not_null().primary_key())
            .col(ColumnDef::new(D::Name).string_len(100).not_null().unique_key())
            .col(ColumnDef::new(D::OrganisationId).string_len(36).not_null());
        texts(&mut t, [D::TitleEn, D::TitleZhHk, D::TitleZhCn], Some(300));
        texts(&mut t, [D::NotesEn, D::NotesZhHk, D::NotesZhCn], None);
        t.col(ColumnDef::new(D::LicenseId).string_len(64).not_null())
            .col(ColumnDef::new(D::UpdateFrequency).string_len(32).not_null())
            .col(ColumnDef::new(D::TemporalStart).date().null())
            .col(ColumnDef::new(D::TemporalEnd).date().null());
        texts(&mut t, [D::SpatialEn, D::SpatialZhHk, D::SpatialZhCn], Some(300));
        t.col(ColumnDef::new(D::ContactName).string_len(200).not_null())
            .col(ColumnDef::new(D::ContactEmail).string_len(254).not_null())
            .col(ColumnDef::new(D::State).string_len(16).not_null())
            .col(ColumnDef::new(D::Private).boolean().not_null())
            .col(ColumnDef::new(D::CreatedAt).timestamp_with_time_zone().not_null())
            .col(ColumnDef::new(D::ModifiedAt).timestamp_with_time_zone().not_null())
            .check(Expr::col(D::State).is_in(["draft", "published", "deleted"]))
            .foreign_key(ForeignKey::create().from(D::Table, D::OrganisationId).to(O::Table, O::Id));
        m.create_table(t.to_owned()).await?;
        m.create_index(Index::create().name("opendata_dataset_modified").table(D::Table).col(D::ModifiedAt).to_owned())
            .await?;
        m.create_index(
            Index::create().name("opendata_dataset_organisation").table(D::Table).col(D::OrganisationId).to_owned(),
        )
        .await?;

        use OpendataTag as T;
        m.create_table(
            Table::create()
                .table(T::Table)
                .col(ColumnDef::new(T::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(T::Name).string_len(100).not_null().unique_key())
                .to_owned(),
        )
        .await?;
        use OpendataDatasetTag as DT;
        m.create_table(
            Table::create()
                .table(DT::Table)
                .col(ColumnDef::new(DT::DatasetId).string_len(36).not_null())
                .col(ColumnDef::new(DT::TagId).string_len(36).not_null())
                .primary_key(Index::create().col(DT::DatasetId).col(DT::TagId))
                .foreign_key(ForeignKey::create().from(DT::Table, DT::DatasetId).to(D::Table, D::Id))
                .foreign_key(ForeignKey::create().from(DT::Table, DT::TagId).to(T::Table, T::Id))
                .to_owned(),
        )
        .await?;
        use OpendataDatasetGroup as DG;
        m.create_table(
            Table::create()
                .table(DG::Table)
                .col(ColumnDef::new(DG::DatasetId).string_len(36).not_null())
                .col(ColumnDef::new(DG::GroupId).string_len(36).not_null())
                .primary_key(Index::create().col(DG::DatasetId).col(DG::GroupId))
                .foreign_key(ForeignKey::create().from(DG::Table, DG::DatasetId).to(D::Table, D::Id))
                .foreign_key(ForeignKey::create().from(DG::Table, DG::GroupId).to(G::Table, G::Id))
                .to_owned(),
        )
        .await?;

        use OpendataResource as R;
        let mut t = Table::create();
        t.table(R::Table)
            .col(ColumnDef::new(R::Id).string_len(36).not_null().primary_key())
            .col(ColumnDef::new(R::DatasetId).string_len(36).not_null())
            .col(ColumnDef::new(R::Position).integer().not_null());
        texts(&mut t, [R::NameEn, R::NameZhHk, R::NameZhCn], Some(300));
        texts(&mut t, [R::DescriptionEn, R::DescriptionZhHk, R::DescriptionZhCn], None);
        t.col(ColumnDef::new(R::Url).string_len(2000).not_null())
            .col(ColumnDef::new(R::Format).string_len(32).not_null())
            .col(ColumnDef::new(R::Size).big_integer().null())
            .col(ColumnDef::new(R::Checksum).string_len(200).null())
            .col(ColumnDef::new(R::LastModified).timestamp_with_time_zone().null())
            .col(ColumnDef::new(R::CreatedAt).timestamp_with_time_zone().not_null())
            .check(Expr::col(R::Size).gte(0))
            .foreign_key(ForeignKey::create().from(R::Table, R::DatasetId).to(D::Table, D::Id));
        m.create_table(t.to_owned()).await?;
        m.create_index(
            Index::create()
                .name("opendata_resource_dataset")
                .table(R::Table)
                .col(R::DatasetId)
                .col(R::Position)
                .to_owned(),
        )
        .await?;

        use OpendataChange as C;
        m.create_table(
            Table::create()
                .table(C::Table)
                .col(ColumnDef::new(C::Seq).big_integer().not_null().primary_key())
                .col(ColumnDef::new(C::DatasetId).string_len(36).not_null())
                .col(ColumnDef::new(C::At).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        use OpendataChangeHead as H;
        m.create_table(
            Table::create()
                .table(H::Table)
                .col(ColumnDef::new(H::Id).integer().not_null().primary_key())
                .col(ColumnDef::new(H::Seq).big_integer().not_null())
                .check(Expr::col(H::Id).eq(1))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert().into_table(H::Table).columns([H::Id, H::Seq]).values_panic([1.into(), 0.into()]).to_owned(),
        )
        .await?;

        use OpendataPublisher as P;
        m.create_table(
            Table::create()
                .table(P::Table)
                .col(ColumnDef::new(P::OrganisationId).string_len(36).not_null())
                .col(ColumnDef::new(P::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(P::CreatedAt).timestamp_with_time_zone().not_null())
                .primary_key(Index::create().col(P::OrganisationId).col(P::AccountId))
                .foreign_key(ForeignKey::create().from(P::Table, P::OrganisationId).to(O::Table, O::Id))
                .to_owned(),
        )
        .await?;
        use OpendataToken as K;
        m.create_table(
            Table::create()
                .table(K::Table)
                .col(ColumnDef::new(K::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(K::AccountId).string_len(36).not_null())
                .col(ColumnDef::new(K::Name).string_len(100).not_null())
                .col(ColumnDef::new(K::Mac).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(K::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(K::RevokedAt).timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;

        // The categories are the catalogue's fixed frame: every install has them.
        let now = time::OffsetDateTime::now_utc();
        for (position, category) in CATEGORIES.iter().enumerate() {
            let position = <i32 as TryFrom<usize>>::try_from(position).unwrap_or(i32::MAX);
            m.exec_stmt(
                Query::insert()
                    .into_table(G::Table)
                    .columns([
                        G::Id,
                        G::Name,
                        G::Position,
                        G::TitleEn,
                        G::TitleZhHk,
                        G::TitleZhCn,
                        G::DescriptionEn,
                        G::DescriptionZhHk,
                        G::DescriptionZhCn,
                        G::CreatedAt,
                    ])
                    .values_panic([
                        uuid::Uuid::now_v7().to_string().into(),
                        category.name.into(),
                        position.into(),
                        category.title[0].into(),
                        category.title[1].into(),
                        category.title[2].into(),
                        "".into(),
                        "".into(),
                        "".into(),
                        now.into(),
                    ])
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

/// Harvest sources (other CKAN instances) and which of our datasets came
/// from which source under which remote ID: a source's URL is unique, and
/// a remote dataset maps to one of ours per source.
struct Harvest;

impl MigrationName for Harvest {
    fn name(&self) -> &str {
        "m20261218_000000_opendata_harvest"
    }
}

#[derive(DeriveIden)]
enum OpendataHarvestSource {
    Table,
    Id,
    Url,
    OrganisationId,
    HighWater,
    LastRunAt,
    LastCreated,
    LastUpdated,
    LastUnchanged,
    LastDeleted,
    LastFailed,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OpendataHarvested {
    Table,
    DatasetId,
    SourceId,
    RemoteId,
    RemoteName,
    RemoteModified,
}

#[async_trait::async_trait]
impl MigrationTrait for Harvest {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use OpendataHarvestSource as S;
        let count = |c: S| ColumnDef::new(c).big_integer().not_null().default(0).to_owned();
        m.create_table(
            Table::create()
                .table(S::Table)
                .col(ColumnDef::new(S::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(S::Url).string_len(2000).not_null().unique_key())
                .col(ColumnDef::new(S::OrganisationId).string_len(36).null())
                .col(ColumnDef::new(S::HighWater).string_len(64).null())
                .col(ColumnDef::new(S::LastRunAt).timestamp_with_time_zone().null())
                .col(count(S::LastCreated))
                .col(count(S::LastUpdated))
                .col(count(S::LastUnchanged))
                .col(count(S::LastDeleted))
                .col(count(S::LastFailed))
                .col(ColumnDef::new(S::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(S::Table, S::OrganisationId)
                        .to(OpendataOrganisation::Table, OpendataOrganisation::Id),
                )
                .to_owned(),
        )
        .await?;
        use OpendataHarvested as H;
        m.create_table(
            Table::create()
                .table(H::Table)
                .col(ColumnDef::new(H::DatasetId).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(H::SourceId).string_len(36).not_null())
                .col(ColumnDef::new(H::RemoteId).string_len(100).not_null())
                .col(ColumnDef::new(H::RemoteName).string_len(100).not_null())
                .col(ColumnDef::new(H::RemoteModified).string_len(64).not_null())
                .foreign_key(
                    ForeignKey::create().from(H::Table, H::DatasetId).to(OpendataDataset::Table, OpendataDataset::Id),
                )
                .foreign_key(ForeignKey::create().from(H::Table, H::SourceId).to(S::Table, S::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("opendata_harvested_remote")
                .table(H::Table)
                .col(H::SourceId)
                .col(H::RemoteId)
                .unique()
                .to_owned(),
        )
        .await
    }
}

/// The DataStore's meta table: per resource with data, its table (named
/// from the resource's ID and the load's number, made at run time), the
/// columns and primary key (JSON), the row count, where the data came from
/// and when it was last loaded. No foreign key to the resource: a resource
/// left out of a `package_update` goes while its data table stays, found
/// by nothing.
struct Datastore;

impl MigrationName for Datastore {
    fn name(&self) -> &str {
        "m20261217_000000_opendata_datastore"
    }
}

#[derive(DeriveIden)]
enum OpendataDatastore {
    Table,
    ResourceId,
    TableName,
    Generation,
    Fields,
    PrimaryKey,
    RowCount,
    Source,
    LoadedAt,
    ModifiedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Datastore {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use OpendataDatastore as S;
        m.create_table(
            Table::create()
                .table(S::Table)
                .col(ColumnDef::new(S::ResourceId).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(S::TableName).string_len(63).not_null().unique_key())
                .col(ColumnDef::new(S::Generation).integer().not_null())
                .col(ColumnDef::new(S::Fields).text().not_null())
                .col(ColumnDef::new(S::PrimaryKey).text().not_null())
                .col(ColumnDef::new(S::RowCount).big_integer().not_null())
                .col(ColumnDef::new(S::Source).string_len(16).not_null())
                .col(ColumnDef::new(S::LoadedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(S::ModifiedAt).timestamp_with_time_zone().not_null())
                .check(Expr::col(S::Source).is_in(["api", "file"]))
                .check(Expr::col(S::RowCount).gte(0))
                .to_owned(),
        )
        .await
    }
}

/// Uploaded files (`files`): content-addressed blobs stored in 1 MiB chunk
/// rows (so every server on one database sees them and a backup holds
/// them), every version of a resource's file, and when each link resource
/// was last fetched into the archive. A version names its
/// resource without a foreign key: a resource a `package_update` drops
/// keeps its history.
struct Files;

impl MigrationName for Files {
    fn name(&self) -> &str {
        "m20261216_000000_opendata_files"
    }
}

#[derive(DeriveIden)]
enum OpendataBlob {
    Table,
    Sha256,
    Size,
    Part,
    Chunks,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OpendataBlobChunk {
    Table,
    Part,
    N,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OpendataResourceVersion {
    Table,
    Id,
    ResourceId,
    Seq,
    Sha256,
    Size,
    Filename,
    MediaType,
    Source,
    UploadedAt,
    UploadedBy,
}

#[derive(DeriveIden)]
enum ResourceVersionPointer {
    VersionId,
}

#[derive(DeriveIden)]
enum OpendataLinkFetch {
    Table,
    ResourceId,
    FetchedAt,
    Outcome,
}

#[async_trait::async_trait]
impl MigrationTrait for Files {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use OpendataBlob as B;
        m.create_table(
            Table::create()
                .table(B::Table)
                .col(ColumnDef::new(B::Sha256).string_len(64).not_null().primary_key())
                .col(ColumnDef::new(B::Size).big_integer().not_null().check(Expr::col(B::Size).gte(0)))
                .col(ColumnDef::new(B::Part).string_len(36).not_null().unique_key())
                .col(ColumnDef::new(B::Chunks).integer().not_null().check(Expr::col(B::Chunks).gte(0)))
                .col(ColumnDef::new(B::CreatedAt).timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await?;
        use OpendataBlobChunk as C;
        m.create_table(
            Table::create()
                .table(C::Table)
                .col(ColumnDef::new(C::Part).string_len(36).not_null())
                .col(ColumnDef::new(C::N).integer().not_null())
                .col(ColumnDef::new(C::Data).blob().not_null())
                .col(ColumnDef::new(C::CreatedAt).timestamp_with_time_zone().not_null())
                .primary_key(Index::create().col(C::Part).col(C::N))
                .to_owned(),
        )
        .await?;
        use OpendataResourceVersion as V;
        m.create_table(
            Table::create()
                .table(V::Table)
                .col(ColumnDef::new(V::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(V::ResourceId).string_len(36).not_null())
                .col(ColumnDef::new(V::Seq).integer().not_null().check(Expr::col(V::Seq).gte(1)))
                .col(ColumnDef::new(V::Sha256).string_len(64).not_null())
                .col(ColumnDef::new(V::Size).big_integer().not_null().check(Expr::col(V::Size).gte(0)))
                .col(ColumnDef::new(V::Filename).string_len(200).not_null())
                .col(ColumnDef::new(V::MediaType).string_len(200).not_null())
                .col(
                    ColumnDef::new(V::Source)
                        .string_len(16)
                        .not_null()
                        .check(Expr::col(V::Source).is_in(["upload", "fetch"])),
                )
                .col(ColumnDef::new(V::UploadedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(V::UploadedBy).string_len(64).not_null())
                .foreign_key(ForeignKey::create().from(V::Table, V::Sha256).to(B::Table, B::Sha256))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("opendata_resource_version_seq")
                .table(V::Table)
                .col(V::ResourceId)
                .col(V::Seq)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("opendata_resource_version_at").table(V::Table).col(V::UploadedAt).to_owned(),
        )
        .await?;
        // When a link resource was last fetched into the archive, and how it went.
        use OpendataLinkFetch as F;
        m.create_table(
            Table::create()
                .table(F::Table)
                .col(ColumnDef::new(F::ResourceId).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(F::FetchedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(F::Outcome).string_len(200).not_null())
                .to_owned(),
        )
        .await?;
        // The resource's latest version (none for a link to elsewhere).
        m.alter_table(
            Table::alter()
                .table(OpendataResource::Table)
                .add_column(ColumnDef::new(ResourceVersionPointer::VersionId).string_len(36).null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

/// Loads of uploaded files into the DataStore: one row per resource, its
/// latest request (the version, its status, the load's report or error).
struct DatastoreLoads;

impl MigrationName for DatastoreLoads {
    fn name(&self) -> &str {
        "m20261222_000000_opendata_datastore_loads"
    }
}

#[derive(DeriveIden)]
enum OpendataDatastoreLoad {
    Table,
    ResourceId,
    Sha256,
    Format,
    Status,
    Report,
    Error,
    Actor,
    RequestedAt,
    StartedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for DatastoreLoads {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use OpendataDatastoreLoad as L;
        m.create_table(
            Table::create()
                .table(L::Table)
                .col(ColumnDef::new(L::ResourceId).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(L::Sha256).string_len(64).not_null())
                .col(ColumnDef::new(L::Format).string_len(8).not_null())
                .col(ColumnDef::new(L::Status).string_len(8).not_null())
                .col(ColumnDef::new(L::Report).text().null())
                .col(ColumnDef::new(L::Error).text().null())
                .col(ColumnDef::new(L::Actor).string_len(64).not_null())
                .col(ColumnDef::new(L::RequestedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(L::StartedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(L::FinishedAt).timestamp_with_time_zone().null())
                .check(Expr::col(L::Status).is_in(["pending", "running", "done", "failed"]))
                .check(Expr::col(L::Format).is_in(["csv", "json"]))
                .to_owned(),
        )
        .await
    }
}
