//! The catalogue's tables (`opendata_organisation`, `opendata_group`,
//! `opendata_dataset`, `opendata_tag`, `opendata_dataset_tag`,
//! `opendata_dataset_group`, `opendata_resource`, `opendata_change`,
//! `opendata_change_head`), the reads that assemble a dataset, and the
//! writes: each one transaction (`begin_write`) with its audit entry and the
//! next number of the change sequence in it.

use std::collections::{BTreeMap, HashMap};

use platform::app::AppState;
use platform::audit::{self, AuditEntry};
use sea_orm::entity::prelude::*;
use sea_orm::{DatabaseTransaction, ExprTrait, QueryOrder, Set};
use time::OffsetDateTime;

use super::{
    Dataset, DatasetInput, Errors, Group, Organisation, Resource, ResourceInput, State, Tag, Texts, name_problem,
};

pub mod organisation {
    //! `opendata_organisation` rows: publishers (government departments).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_organisation")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub title_en: String,
        pub title_zh_hk: String,
        pub title_zh_cn: String,
        pub description_en: String,
        pub description_zh_hk: String,
        pub description_zh_cn: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod group {
    //! `opendata_group` rows: the 19 categories, in the portal's order.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_group")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub position: i32,
        pub title_en: String,
        pub title_zh_hk: String,
        pub title_zh_cn: String,
        pub description_en: String,
        pub description_zh_hk: String,
        pub description_zh_cn: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod dataset {
    //! `opendata_dataset` rows: one record per dataset, every text in three languages.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_dataset")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub organisation_id: String,
        pub title_en: String,
        pub title_zh_hk: String,
        pub title_zh_cn: String,
        pub notes_en: String,
        pub notes_zh_hk: String,
        pub notes_zh_cn: String,
        pub license_id: String,
        pub update_frequency: String,
        pub temporal_start: Option<TimeDate>,
        pub temporal_end: Option<TimeDate>,
        pub spatial_en: String,
        pub spatial_zh_hk: String,
        pub spatial_zh_cn: String,
        pub contact_name: String,
        pub contact_email: String,
        pub state: String,
        pub private: bool,
        pub created_at: TimeDateTimeWithTimeZone,
        pub modified_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod tag {
    //! `opendata_tag` rows: keywords, in any script.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_tag")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod dataset_tag {
    //! `opendata_dataset_tag` rows: a dataset's tags.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_dataset_tag")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub dataset_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod dataset_group {
    //! `opendata_dataset_group` rows: a dataset's categories.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_dataset_group")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub dataset_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub group_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod resource {
    //! `opendata_resource` rows: a dataset's files and API endpoints.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_resource")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub dataset_id: String,
        pub position: i32,
        pub name_en: String,
        pub name_zh_hk: String,
        pub name_zh_cn: String,
        pub description_en: String,
        pub description_zh_hk: String,
        pub description_zh_cn: String,
        pub url: String,
        pub format: String,
        pub size: Option<i64>,
        pub checksum: Option<String>,
        pub last_modified: Option<TimeDateTimeWithTimeZone>,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod change {
    //! `opendata_change` rows: the change sequence search indexes follow.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_change")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub dataset_id: String,
        pub at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod change_head {
    //! `opendata_change_head`: the one row whose lock numbers changes in commit order.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_change_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub seq: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Why a write did not happen.
#[derive(Debug)]
pub enum WriteError {
    /// The input names what does not fit (a taken name, an unknown
    /// organisation or category), CKAN's way.
    Invalid(Errors),
    /// No such dataset (or it is deleted).
    NotFound,
    Db(DbErr),
}

impl From<DbErr> for WriteError {
    fn from(e: DbErr) -> Self {
        WriteError::Db(e)
    }
}

impl From<audit::AuditError> for WriteError {
    fn from(e: audit::AuditError) -> Self {
        match e {
            audit::AuditError::Db(e) => WriteError::Db(e),
            other => WriteError::Db(DbErr::Custom(other.to_string())),
        }
    }
}

fn invalid(field: &str, message: &str) -> WriteError {
    WriteError::Invalid(BTreeMap::from([(field.to_owned(), vec![message.to_owned()])]))
}

/// Who did it, for the audit log: an account ID, `cli` or `demo`, and the request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub request_id: Option<String>,
}

impl Actor {
    fn entry(&self, action: &str, object: String) -> AuditEntry {
        AuditEntry::new(self.id.clone(), action, object).request(self.request_id.as_deref())
    }
}

// ---- reads ----

fn organisation_of(m: organisation::Model) -> Organisation {
    Organisation {
        title: Texts::new(m.title_en, m.title_zh_hk, m.title_zh_cn),
        description: Texts::new(m.description_en, m.description_zh_hk, m.description_zh_cn),
        id: m.id,
        name: m.name,
        created_at: m.created_at,
    }
}

fn group_of(m: group::Model) -> Group {
    Group {
        title: Texts::new(m.title_en, m.title_zh_hk, m.title_zh_cn),
        description: Texts::new(m.description_en, m.description_zh_hk, m.description_zh_cn),
        id: m.id,
        name: m.name,
        created_at: m.created_at,
    }
}

pub(crate) fn resource_of(m: resource::Model) -> Resource {
    Resource {
        name: Texts::new(m.name_en, m.name_zh_hk, m.name_zh_cn),
        description: Texts::new(m.description_en, m.description_zh_hk, m.description_zh_cn),
        id: m.id,
        dataset_id: m.dataset_id,
        position: m.position,
        url: m.url,
        format: m.format,
        size: m.size,
        checksum: m.checksum,
        last_modified: m.last_modified,
        created_at: m.created_at,
    }
}

/// Every organisation, by name.
pub async fn organisations(db: &impl ConnectionTrait) -> Result<Vec<Organisation>, DbErr> {
    let rows = organisation::Entity::find().order_by_asc(organisation::Column::Name).all(db).await?;
    Ok(rows.into_iter().map(organisation_of).collect())
}

/// An organisation by ID or name.
pub async fn organisation(db: &impl ConnectionTrait, key: &str) -> Result<Option<Organisation>, DbErr> {
    if key.contains('\0') {
        return Ok(None);
    }
    let row = organisation::Entity::find()
        .filter(organisation::Column::Id.eq(key).or(organisation::Column::Name.eq(key)))
        .one(db)
        .await?;
    Ok(row.map(organisation_of))
}

/// Every category, in the portal's order.
pub async fn groups(db: &impl ConnectionTrait) -> Result<Vec<Group>, DbErr> {
    let rows = group::Entity::find().order_by_asc(group::Column::Position).all(db).await?;
    Ok(rows.into_iter().map(group_of).collect())
}

/// A category by ID or name.
pub async fn group(db: &impl ConnectionTrait, key: &str) -> Result<Option<Group>, DbErr> {
    if key.contains('\0') {
        return Ok(None);
    }
    let row = group::Entity::find().filter(group::Column::Id.eq(key).or(group::Column::Name.eq(key))).one(db).await?;
    Ok(row.map(group_of))
}

/// Datasets (not deleted) with everything readers see, newest change first;
/// `only` narrows them to one ID or name.
pub async fn datasets(db: &impl ConnectionTrait, only: Option<&str>) -> Result<Vec<Dataset>, DbErr> {
    let mut query = dataset::Entity::find()
        .filter(dataset::Column::State.ne(State::Deleted.as_str()))
        .order_by_desc(dataset::Column::ModifiedAt)
        .order_by_desc(dataset::Column::Id);
    if let Some(key) = only {
        // PostgreSQL refuses NUL in text: no name or ID has one.
        if key.contains('\0') {
            return Ok(Vec::new());
        }
        query = query.filter(dataset::Column::Id.eq(key).or(dataset::Column::Name.eq(key)));
    }
    assemble(db, query.all(db).await?, only.is_some()).await
}

/// The datasets (not deleted) of `ids`, in the order of `ids` (a search's
/// page); the missing ones left out.
pub async fn datasets_by_ids(db: &impl ConnectionTrait, ids: &[String]) -> Result<Vec<Dataset>, DbErr> {
    let mut found: HashMap<String, Dataset> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = dataset::Entity::find()
            .filter(dataset::Column::State.ne(State::Deleted.as_str()))
            .filter(dataset::Column::Id.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        for d in assemble(db, rows, true).await? {
            found.insert(d.id.clone(), d);
        }
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Up to `limit` dataset IDs (deleted ones too) after `after`, in ID order:
/// a rebuild of the search index walks the catalogue with it.
pub async fn dataset_ids_after(db: &impl ConnectionTrait, after: &str, limit: u64) -> Result<Vec<String>, DbErr> {
    use sea_orm::QuerySelect;
    dataset::Entity::find()
        .select_only()
        .column(dataset::Column::Id)
        .filter(dataset::Column::Id.gt(after))
        .order_by_asc(dataset::Column::Id)
        .limit(limit)
        .into_tuple::<String>()
        .all(db)
        .await
}

/// How many datasets there are (deleted ones too).
pub async fn dataset_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    dataset::Entity::find().count(db).await
}

/// Rows with their organisation, tags, categories and resources; `narrow`
/// reads the links of these rows only (else all, cheaper for every row).
async fn assemble(db: &impl ConnectionTrait, rows: Vec<dataset::Model>, narrow: bool) -> Result<Vec<Dataset>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    let organisations: HashMap<String, Organisation> =
        organisations(db).await?.into_iter().map(|o| (o.id.clone(), o)).collect();
    let groups: HashMap<String, Group> = groups(db).await?.into_iter().map(|g| (g.id.clone(), g)).collect();
    let mut links = dataset_tag::Entity::find();
    let mut in_groups = dataset_group::Entity::find();
    let mut files = resource::Entity::find().order_by_asc(resource::Column::Position);
    if narrow {
        links = links.filter(dataset_tag::Column::DatasetId.is_in(ids.clone()));
        in_groups = in_groups.filter(dataset_group::Column::DatasetId.is_in(ids.clone()));
        files = files.filter(resource::Column::DatasetId.is_in(ids.clone()));
    }
    let links = links.all(db).await?;
    let mut tag_rows = tag::Entity::find();
    if narrow {
        let mut wanted: Vec<String> = links.iter().map(|l| l.tag_id.clone()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        tag_rows = tag_rows.filter(tag::Column::Id.is_in(wanted));
    }
    let tags: HashMap<String, Tag> =
        tag_rows.all(db).await?.into_iter().map(|t| (t.id.clone(), Tag { id: t.id, name: t.name })).collect();
    let mut tags_of: HashMap<String, Vec<Tag>> = HashMap::new();
    for link in links {
        if let Some(t) = tags.get(&link.tag_id) {
            tags_of.entry(link.dataset_id).or_default().push(t.clone());
        }
    }
    let mut groups_of: HashMap<String, Vec<Group>> = HashMap::new();
    for link in in_groups.all(db).await? {
        if let Some(g) = groups.get(&link.group_id) {
            groups_of.entry(link.dataset_id).or_default().push(g.clone());
        }
    }
    let mut resources_of: HashMap<String, Vec<Resource>> = HashMap::new();
    for r in files.all(db).await? {
        resources_of.entry(r.dataset_id.clone()).or_default().push(resource_of(r));
    }
    let mut out = Vec::with_capacity(rows.len());
    for d in rows {
        let Some(organisation) = organisations.get(&d.organisation_id).cloned() else { continue };
        let mut tags = tags_of.remove(&d.id).unwrap_or_default();
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        let mut groups = groups_of.remove(&d.id).unwrap_or_default();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        out.push(Dataset {
            resources: resources_of.remove(&d.id).unwrap_or_default(),
            tags,
            groups,
            organisation,
            title: Texts::new(d.title_en, d.title_zh_hk, d.title_zh_cn),
            notes: Texts::new(d.notes_en, d.notes_zh_hk, d.notes_zh_cn),
            spatial: Texts::new(d.spatial_en, d.spatial_zh_hk, d.spatial_zh_cn),
            state: State::parse(&d.state).unwrap_or(State::Draft),
            id: d.id,
            name: d.name,
            license_id: d.license_id,
            update_frequency: d.update_frequency,
            temporal_start: d.temporal_start,
            temporal_end: d.temporal_end,
            contact_name: d.contact_name,
            contact_email: d.contact_email,
            private: d.private,
            created_at: d.created_at,
            modified_at: d.modified_at,
        });
    }
    Ok(out)
}

/// One dataset (not deleted) by ID or name.
pub async fn dataset(db: &impl ConnectionTrait, key: &str) -> Result<Option<Dataset>, DbErr> {
    Ok(datasets(db, Some(key)).await?.into_iter().next())
}

/// A resource and the dataset it belongs to.
pub async fn resource(db: &impl ConnectionTrait, id: &str) -> Result<Option<(Resource, Dataset)>, DbErr> {
    if id.contains('\0') {
        return Ok(None);
    }
    let Some(row) = resource::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let Some(dataset) = dataset(db, &row.dataset_id).await? else { return Ok(None) };
    Ok(Some((resource_of(row), dataset)))
}

/// The last number of the change sequence (0 before any change).
pub async fn change_head(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(change_head::Entity::find_by_id(1).one(db).await?.map_or(0, |h| h.seq))
}

/// The change sequence after `after`, oldest first (search indexes tail it).
pub async fn changes_after(db: &impl ConnectionTrait, after: i64, limit: u64) -> Result<Vec<change::Model>, DbErr> {
    use sea_orm::QuerySelect;
    change::Entity::find()
        .filter(change::Column::Seq.gt(after))
        .order_by_asc(change::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

// ---- writes ----

/// Makes an organisation (a publisher) unless its name is taken.
pub async fn create_organisation(
    state: &AppState,
    name: &str,
    title: Texts,
    description: Texts,
    actor: &Actor,
) -> Result<Organisation, WriteError> {
    if let Some(problem) = name_problem(name) {
        return Err(invalid("name", problem));
    }
    if title.is_empty() {
        return Err(invalid("title", "Missing value"));
    }
    let txn = platform::db::begin_write(&state.db).await?;
    if organisation(&txn, name).await?.is_some() {
        return Err(invalid("name", "Group name already exists in database"));
    }
    let row = organisation::Model {
        id: Uuid::now_v7().to_string(),
        name: name.to_owned(),
        title_en: title.en,
        title_zh_hk: title.zh_hk,
        title_zh_cn: title.zh_cn,
        description_en: description.en,
        description_zh_hk: description.zh_hk,
        description_zh_cn: description.zh_cn,
        created_at: platform::db::now(),
    };
    organisation::ActiveModel::from(row.clone()).insert(&txn).await.map_err(name_taken)?;
    audit::record(&txn, &state.keys, actor.entry("opendata.organisation.create", format!("organisation:{}", row.id)))
        .await?;
    txn.commit().await?;
    Ok(organisation_of(row))
}

fn name_taken(e: DbErr) -> WriteError {
    if platform::db::is_unique_violation(&e) {
        invalid("name", "That URL is already in use.")
    } else {
        WriteError::Db(e)
    }
}

/// Takes the next number of the change sequence for `dataset_id`, in the
/// writer's transaction: the head row is locked until it commits, so the
/// numbers become visible in order and a reader that has seen `n` has seen
/// every change before it.
pub(crate) async fn record_change(
    txn: &DatabaseTransaction,
    dataset_id: &str,
    at: OffsetDateTime,
) -> Result<i64, DbErr> {
    use sea_orm::QuerySelect;
    let head = change_head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("opendata_change_head".to_owned()))?;
    let seq = head.seq + 1;
    change::ActiveModel { seq: Set(seq), dataset_id: Set(dataset_id.to_owned()), at: Set(at) }.insert(txn).await?;
    change_head::ActiveModel { id: Set(1), seq: Set(seq) }.update(txn).await?;
    Ok(seq)
}

/// Tells every server's search index that the catalogue changed (a hint:
/// an index that misses it catches up at its next search or round).
pub(crate) async fn announce(state: &AppState, seq: i64) {
    if let Err(error) = state.events.publish(&state.db, &super::Changed { seq }).await {
        tracing::warn!(%error, "could not announce a catalogue change");
    }
}

/// The organisation and categories the input names, or what is wrong with them.
async fn resolve(txn: &DatabaseTransaction, input: &DatasetInput) -> Result<(Organisation, Vec<Group>), WriteError> {
    let mut errors = Errors::new();
    let owner = organisation(txn, &input.owner_org).await?;
    if owner.is_none() {
        errors.entry("owner_org".to_owned()).or_default().push("Organization does not exist".to_owned());
    }
    let mut found = Vec::new();
    for name in &input.groups {
        match group(txn, name).await? {
            Some(g) => found.push(g),
            None => errors.entry("groups".to_owned()).or_default().push(format!("Group {name} not found")),
        }
    }
    match owner {
        Some(o) if errors.is_empty() => Ok((o, found)),
        _ => Err(WriteError::Invalid(errors)),
    }
}

/// The organisation a dataset body names, by ID or name (for the caller's
/// permission check before the write).
pub async fn owner_of(state: &AppState, input: &DatasetInput) -> Result<Option<Organisation>, DbErr> {
    organisation(&state.db, &input.owner_org).await
}

fn dataset_row(id: String, input: &DatasetInput, organisation_id: String, created: OffsetDateTime) -> dataset::Model {
    let now = platform::db::now();
    dataset::Model {
        id,
        name: input.name.clone(),
        organisation_id,
        title_en: input.title.en.clone(),
        title_zh_hk: input.title.zh_hk.clone(),
        title_zh_cn: input.title.zh_cn.clone(),
        notes_en: input.notes.en.clone(),
        notes_zh_hk: input.notes.zh_hk.clone(),
        notes_zh_cn: input.notes.zh_cn.clone(),
        license_id: input.license_id.clone(),
        update_frequency: input.update_frequency.clone(),
        temporal_start: input.temporal_start,
        temporal_end: input.temporal_end,
        spatial_en: input.spatial.en.clone(),
        spatial_zh_hk: input.spatial.zh_hk.clone(),
        spatial_zh_cn: input.spatial.zh_cn.clone(),
        contact_name: input.contact_name.clone(),
        contact_email: input.contact_email.clone(),
        state: input.state.as_str().to_owned(),
        private: input.private,
        created_at: created,
        modified_at: now,
    }
}

/// Sets a dataset's tags and categories to the input's.
async fn set_links(
    txn: &DatabaseTransaction,
    dataset_id: &str,
    tags: &[String],
    groups: &[Group],
) -> Result<(), DbErr> {
    dataset_tag::Entity::delete_many().filter(dataset_tag::Column::DatasetId.eq(dataset_id)).exec(txn).await?;
    dataset_group::Entity::delete_many().filter(dataset_group::Column::DatasetId.eq(dataset_id)).exec(txn).await?;
    for name in tags {
        // Two publishers may add one new tag at once: the name's unique key decides.
        tag::Entity::insert(tag::ActiveModel { id: Set(Uuid::now_v7().to_string()), name: Set(name.clone()) })
            .on_conflict_do_nothing_on([tag::Column::Name])
            .exec(txn)
            .await?;
        let found = tag::Entity::find()
            .filter(tag::Column::Name.eq(name.as_str()))
            .one(txn)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("opendata_tag".to_owned()))?;
        dataset_tag::ActiveModel { dataset_id: Set(dataset_id.to_owned()), tag_id: Set(found.id) }.insert(txn).await?;
    }
    for g in groups {
        dataset_group::ActiveModel { dataset_id: Set(dataset_id.to_owned()), group_id: Set(g.id.clone()) }
            .insert(txn)
            .await?;
    }
    Ok(())
}

pub(crate) fn resource_row(
    id: String,
    dataset_id: &str,
    position: i32,
    r: &ResourceInput,
    created: OffsetDateTime,
) -> resource::Model {
    resource::Model {
        id,
        dataset_id: dataset_id.to_owned(),
        position,
        name_en: r.name.en.clone(),
        name_zh_hk: r.name.zh_hk.clone(),
        name_zh_cn: r.name.zh_cn.clone(),
        description_en: r.description.en.clone(),
        description_zh_hk: r.description.zh_hk.clone(),
        description_zh_cn: r.description.zh_cn.clone(),
        url: r.url.clone(),
        format: r.format.clone(),
        size: r.size,
        checksum: r.checksum.clone(),
        last_modified: r.last_modified,
        created_at: created,
    }
}

/// Sets a dataset's resources to `given`: those with an ID it has are
/// updated in place, the rest made, and any it had that `given` leaves out
/// removed (CKAN's `package_update`).
async fn set_resources(txn: &DatabaseTransaction, dataset_id: &str, given: &[ResourceInput]) -> Result<(), WriteError> {
    let existing: HashMap<String, resource::Model> = resource::Entity::find()
        .filter(resource::Column::DatasetId.eq(dataset_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let kept: Vec<&str> =
        given.iter().filter_map(|r| r.id.as_deref()).filter(|id| existing.contains_key(*id)).collect();
    resource::Entity::delete_many()
        .filter(resource::Column::DatasetId.eq(dataset_id))
        .filter(resource::Column::Id.is_not_in(kept.clone()))
        .exec(txn)
        .await?;
    let now = platform::db::now();
    for (position, r) in given.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        match r.id.as_deref().and_then(|id| existing.get(id)) {
            Some(old) => {
                let row = resource_row(old.id.clone(), dataset_id, position, r, old.created_at);
                resource::ActiveModel::from(row).reset_all().update(txn).await?;
            }
            None => {
                if r.id.as_deref().is_some_and(|id| !id.is_empty()) {
                    return Err(invalid("resources", "Resource id is not one of this dataset's"));
                }
                let row = resource_row(Uuid::now_v7().to_string(), dataset_id, position, r, now);
                resource::ActiveModel::from(row).insert(txn).await?;
            }
        }
    }
    Ok(())
}

/// Makes a dataset with its tags, categories and resources.
pub async fn create_dataset(state: &AppState, input: &DatasetInput, actor: &Actor) -> Result<Dataset, WriteError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let (id, seq) = insert_dataset(&txn, state, input, actor).await?;
    txn.commit().await?;
    announce(state, seq).await;
    dataset(&state.db, &id).await?.ok_or(WriteError::NotFound)
}

/// `create_dataset`'s writes in the caller's transaction (which may add
/// its own, as a harvest does): the new ID and its change number, to
/// [`announce`] after the commit.
pub(crate) async fn insert_dataset(
    txn: &DatabaseTransaction,
    state: &AppState,
    input: &DatasetInput,
    actor: &Actor,
) -> Result<(String, i64), WriteError> {
    let (owner, groups) = resolve(txn, input).await?;
    if dataset::Entity::find().filter(dataset::Column::Name.eq(input.name.as_str())).one(txn).await?.is_some() {
        return Err(invalid("name", "That URL is already in use."));
    }
    let id = Uuid::now_v7().to_string();
    let row = dataset_row(id.clone(), input, owner.id, platform::db::now());
    let at = row.modified_at;
    dataset::ActiveModel::from(row).insert(txn).await.map_err(name_taken)?;
    set_links(txn, &id, &input.tags, &groups).await?;
    set_resources(txn, &id, input.resources.as_deref().unwrap_or_default()).await?;
    audit::record(txn, &state.keys, actor.entry("opendata.dataset.create", format!("dataset:{id}"))).await?;
    let seq = record_change(txn, &id, at).await?;
    Ok((id, seq))
}

/// Replaces a dataset's metadata (and its resources, when the input names them).
pub async fn update_dataset(
    state: &AppState,
    id: &str,
    input: &DatasetInput,
    actor: &Actor,
) -> Result<Dataset, WriteError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let seq = replace_dataset(&txn, state, id, input, actor).await?;
    txn.commit().await?;
    announce(state, seq).await;
    dataset(&state.db, id).await?.ok_or(WriteError::NotFound)
}

/// `update_dataset`'s writes in the caller's transaction: the change
/// number, to [`announce`] after the commit.
pub(crate) async fn replace_dataset(
    txn: &DatabaseTransaction,
    state: &AppState,
    id: &str,
    input: &DatasetInput,
    actor: &Actor,
) -> Result<i64, WriteError> {
    let Some(old) = dataset::Entity::find_by_id(id).one(txn).await? else { return Err(WriteError::NotFound) };
    if old.state == State::Deleted.as_str() {
        return Err(WriteError::NotFound);
    }
    let (owner, groups) = resolve(txn, input).await?;
    let taken = dataset::Entity::find()
        .filter(dataset::Column::Name.eq(input.name.as_str()))
        .filter(dataset::Column::Id.ne(id))
        .one(txn)
        .await?;
    if taken.is_some() {
        return Err(invalid("name", "That URL is already in use."));
    }
    let row = dataset_row(old.id.clone(), input, owner.id, old.created_at);
    let at = row.modified_at;
    dataset::ActiveModel::from(row).reset_all().update(txn).await.map_err(name_taken)?;
    set_links(txn, id, &input.tags, &groups).await?;
    if let Some(resources) = &input.resources {
        set_resources(txn, id, resources).await?;
    }
    audit::record(txn, &state.keys, actor.entry("opendata.dataset.update", format!("dataset:{id}"))).await?;
    Ok(record_change(txn, id, at).await?)
}

/// Marks a dataset deleted (kept for the audit trail; shown to no one).
pub async fn delete_dataset(state: &AppState, id: &str, actor: &Actor) -> Result<(), WriteError> {
    let txn = platform::db::begin_write(&state.db).await?;
    let now = platform::db::now();
    let done = dataset::Entity::update_many()
        .col_expr(dataset::Column::State, Expr::value(State::Deleted.as_str()))
        .col_expr(dataset::Column::ModifiedAt, Expr::value(now))
        .filter(dataset::Column::Id.eq(id))
        .filter(dataset::Column::State.ne(State::Deleted.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(WriteError::NotFound);
    }
    audit::record(&txn, &state.keys, actor.entry("opendata.dataset.delete", format!("dataset:{id}"))).await?;
    let seq = record_change(&txn, id, now).await?;
    txn.commit().await?;
    announce(state, seq).await;
    Ok(())
}

/// Adds a resource at the end of a dataset's list.
pub async fn create_resource(
    state: &AppState,
    dataset_id: &str,
    input: &ResourceInput,
    actor: &Actor,
) -> Result<Resource, WriteError> {
    use sea_orm::QuerySelect;
    let txn = platform::db::begin_write(&state.db).await?;
    let Some(owner) = dataset::Entity::find_by_id(dataset_id).one(&txn).await? else {
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
        .one(&txn)
        .await?
        .flatten();
    let now = platform::db::now();
    let row = resource_row(Uuid::now_v7().to_string(), dataset_id, last.map_or(0, |p| p + 1), input, now);
    resource::ActiveModel::from(row.clone()).insert(&txn).await?;
    dataset::Entity::update_many()
        .col_expr(dataset::Column::ModifiedAt, Expr::value(now))
        .filter(dataset::Column::Id.eq(dataset_id))
        .exec(&txn)
        .await?;
    audit::record(&txn, &state.keys, actor.entry("opendata.resource.create", format!("resource:{}", row.id))).await?;
    let seq = record_change(&txn, dataset_id, now).await?;
    txn.commit().await?;
    announce(state, seq).await;
    Ok(resource_of(row))
}

/// Inserts many new datasets in one transaction, a few hundred rows per
/// statement, each with the next change number (benchmarks' catalogues:
/// `lionrock opendata generate`). Their organisations and categories must
/// exist; their tags are made as needed. One audit entry names the count.
pub async fn insert_many(state: &AppState, inputs: &[DatasetInput], actor: &Actor) -> Result<u64, WriteError> {
    use sea_orm::QuerySelect;
    const ROWS: usize = 200;
    let txn = platform::db::begin_write(&state.db).await?;
    let organisations: HashMap<String, String> =
        organisations(&txn).await?.into_iter().map(|o| (o.name, o.id)).collect();
    let groups: HashMap<String, String> = groups(&txn).await?.into_iter().map(|g| (g.name, g.id)).collect();
    let mut tags: HashMap<String, String> =
        tag::Entity::find().all(&txn).await?.into_iter().map(|t| (t.name, t.id)).collect();
    let mut new_tags = Vec::new();
    for name in inputs.iter().flat_map(|d| &d.tags) {
        if !tags.contains_key(name) {
            let id = Uuid::now_v7().to_string();
            tags.insert(name.clone(), id.clone());
            new_tags.push(tag::ActiveModel { id: Set(id), name: Set(name.clone()) });
        }
    }
    for chunk in new_tags.chunks(ROWS) {
        tag::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    let head = change_head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("opendata_change_head".to_owned()))?;
    let now = platform::db::now();
    let mut seq = head.seq;
    for chunk in inputs.chunks(ROWS) {
        let (mut rows, mut tag_links, mut group_links, mut files, mut changes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for input in chunk {
            let Some(owner) = organisations.get(&input.owner_org) else {
                return Err(invalid("owner_org", "Organization does not exist"));
            };
            let id = Uuid::now_v7().to_string();
            rows.push(dataset::ActiveModel::from(dataset_row(id.clone(), input, owner.clone(), now)));
            for name in &input.tags {
                tag_links
                    .push(dataset_tag::ActiveModel { dataset_id: Set(id.clone()), tag_id: Set(tags[name].clone()) });
            }
            for name in &input.groups {
                let Some(group) = groups.get(name) else { return Err(invalid("groups", "Group does not exist")) };
                group_links
                    .push(dataset_group::ActiveModel { dataset_id: Set(id.clone()), group_id: Set(group.clone()) });
            }
            for (position, r) in input.resources.iter().flatten().enumerate() {
                let position = i32::try_from(position).unwrap_or(i32::MAX);
                files.push(resource::ActiveModel::from(resource_row(
                    Uuid::now_v7().to_string(),
                    &id,
                    position,
                    r,
                    now,
                )));
            }
            seq += 1;
            changes.push(change::ActiveModel { seq: Set(seq), dataset_id: Set(id), at: Set(now) });
        }
        dataset::Entity::insert_many(rows).exec(&txn).await.map_err(name_taken)?;
        if !tag_links.is_empty() {
            dataset_tag::Entity::insert_many(tag_links).exec(&txn).await?;
        }
        if !group_links.is_empty() {
            dataset_group::Entity::insert_many(group_links).exec(&txn).await?;
        }
        if !files.is_empty() {
            resource::Entity::insert_many(files).exec(&txn).await?;
        }
        change::Entity::insert_many(changes).exec(&txn).await?;
    }
    change_head::ActiveModel { id: Set(1), seq: Set(seq) }.update(&txn).await?;
    let count = inputs.len();
    audit::record(&txn, &state.keys, actor.entry("opendata.dataset.generate", format!("datasets:{count}"))).await?;
    txn.commit().await?;
    announce(state, seq).await;
    Ok(count as u64)
}
