//! Uploads into the DataStore (what CKAN's DataPusher and XLoader do): a
//! CSV or JSON file uploaded to a resource is loaded into its table in the
//! background, by `store::load`, from the kept version's bytes. Each
//! resource's latest request is a row of `opendata_datastore_load`
//! (`pending` → `running` → `done` or `failed`, with the load's report or
//! its error), so the publisher sees the outcome (`resource_show`'s
//! `datastore_load`, the dataset page) and a server that stops mid-load
//! leaves a request another server's job takes up again. While a load
//! runs, its progress is on the server running it (`store::progress`).

use std::io::Write as _;

use platform::app::AppState;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{Condition, QueryOrder, QuerySelect};
use serde_json::{Value, json};

use super::file::Format;
use crate::catalogue::store::Actor;
use crate::files::Version;

pub mod entity {
    //! `opendata_datastore_load` rows: a resource's latest load of an upload.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opendata_datastore_load")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub resource_id: String,
        /// The version loaded (its SHA-256) and its format (`csv`, `json`).
        pub sha256: String,
        pub format: String,
        /// `pending`, `running`, `done` or `failed`.
        pub status: String,
        /// The load's report (JSON) when done; why it failed when failed.
        pub report: Option<String>,
        pub error: Option<String>,
        /// Who uploaded the file: the load is theirs in the audit log.
        pub actor: String,
        pub requested_at: TimeDateTimeWithTimeZone,
        pub started_at: Option<TimeDateTimeWithTimeZone>,
        pub finished_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A request left `pending` this long is taken up by the job (its server
/// stopped before starting it); one `running` this long is started again
/// (its server stopped during it: the load's transaction was rolled back).
const PENDING_GRACE_SECONDS: i64 = 30;
const RUNNING_GRACE_SECONDS: i64 = 3_600;

/// The DataStore format of an uploaded version, when it has one: by the
/// resource's format, else by the file's name.
pub fn loadable(format: &str, version: &Version) -> Option<Format> {
    Format::parse(format.trim()).or_else(|| {
        let extension = version.filename.rsplit_once('.').map(|(_, e)| e)?;
        Format::parse(extension)
    })
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Csv => "csv",
        Format::Json => "json",
    }
}

/// Asks for `version` to be loaded into the resource's table (replacing any
/// earlier request), then starts it on this server. Called after the
/// upload's commit.
pub async fn request(state: &AppState, version: &Version, format: Format, actor: &Actor) -> Result<(), DbErr> {
    let row = entity::ActiveModel {
        resource_id: Set(version.resource_id.clone()),
        sha256: Set(version.sha256.clone()),
        format: Set(format_name(format).to_owned()),
        status: Set("pending".to_owned()),
        report: Set(None),
        error: Set(None),
        actor: Set(actor.id.clone()),
        requested_at: Set(platform::db::now()),
        started_at: Set(None),
        finished_at: Set(None),
    };
    use entity::Column as C;
    let columns =
        [C::Sha256, C::Format, C::Status, C::Report, C::Error, C::Actor, C::RequestedAt, C::StartedAt, C::FinishedAt];
    entity::Entity::insert(row)
        .on_conflict(OnConflict::column(C::ResourceId).update_columns(columns).to_owned())
        .exec_without_returning(&state.db)
        .await?;
    let state = state.clone();
    let resource_id = version.resource_id.clone();
    tokio::spawn(async move { run(&state, &resource_id).await });
    Ok(())
}

/// The resource's latest load request, if any.
pub async fn status(db: &impl ConnectionTrait, resource_id: &str) -> Result<Option<entity::Model>, DbErr> {
    entity::Entity::find_by_id(resource_id).one(db).await
}

/// A load request as the API shows it (`resource_show`'s `datastore_load`).
pub fn dict(state: &AppState, row: &entity::Model) -> Value {
    let report = row.report.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok());
    let progress = (row.status == "running").then(|| super::store::progress(state, &row.resource_id)).flatten();
    json!({
        "status": row.status,
        "sha256": row.sha256,
        "requested_at": rfc3339(row.requested_at),
        "finished_at": row.finished_at.map(rfc3339),
        "rows_done": progress.map(|p| p.0),
        "rows_total": progress.map(|p| p.1),
        "report": report,
        "error": row.error,
    })
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Runs the resource's pending load, if this server claims it (one
/// conditional update: of servers racing, one loads). Errors are recorded
/// on the request and logged.
pub async fn run(state: &AppState, resource_id: &str) {
    if let Err(error) = run_claimed(state, resource_id).await {
        tracing::warn!(%error, resource_id, "a DataStore load of an upload could not be recorded");
    }
}

async fn run_claimed(state: &AppState, resource_id: &str) -> Result<(), DbErr> {
    use entity::Column as C;
    let now = platform::db::now();
    let claimed = entity::Entity::update_many()
        .col_expr(C::Status, Expr::value("running"))
        .col_expr(C::StartedAt, Expr::value(now))
        .filter(C::ResourceId.eq(resource_id))
        .filter(C::Status.eq("pending"))
        .exec(&state.db)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(());
    }
    let Some(row) = status(&state.db, resource_id).await? else { return Ok(()) };
    let outcome = load(state, &row).await;
    let (status, report, error) = match outcome {
        Ok(report) => ("done", serde_json::to_string(&report).ok(), None),
        Err(message) => ("failed", None, Some(message)),
    };
    // Only this run's request: a newer upload made meanwhile stays pending.
    let recorded = entity::Entity::update_many()
        .col_expr(C::Status, Expr::value(status))
        .col_expr(C::Report, Expr::value(report))
        .col_expr(C::Error, Expr::value(error))
        .col_expr(C::FinishedAt, Expr::value(platform::db::now()))
        .filter(C::ResourceId.eq(resource_id))
        .filter(C::Sha256.eq(&row.sha256))
        .filter(C::RequestedAt.eq(row.requested_at))
        .filter(C::Status.eq("running"))
        .exec(&state.db)
        .await?;
    if recorded.rows_affected == 0 {
        // A newer upload's request replaced this one: run it.
        Box::pin(run_claimed(state, resource_id)).await?;
    }
    Ok(())
}

/// Copies the version's bytes to a temporary file (the loader reads a file
/// twice: types, then rows) and loads it. The error as the publisher reads it.
async fn load(state: &AppState, row: &entity::Model) -> Result<super::LoadReport, String> {
    let format = Format::parse(&row.format).ok_or_else(|| format!("unknown format {:?}", row.format))?;
    let Some(mut chunks) = crate::files::store::open(&state.db, &row.sha256)
        .await
        .map_err(|e| format!("the file could not be read: {e}"))?
    else {
        return Err("the uploaded file is no longer kept".to_owned());
    };
    let mut file = tempfile_in(state).map_err(|e| format!("no room for a temporary copy: {e}"))?;
    use futures_core::Stream;
    while let Some(chunk) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut chunks).poll_next(cx)).await {
        let chunk = chunk.map_err(|e| format!("the file could not be read: {e}"))?;
        file.write_all(&chunk).map_err(|e| format!("no room for a temporary copy: {e}"))?;
    }
    let actor = Actor { id: row.actor.clone(), request_id: None };
    let reader = file.reopen().map_err(|e| format!("the temporary copy could not be read: {e}"))?;
    super::store::load(state, &row.resource_id, reader, format, &[], &actor).await.map_err(|e| e.to_string())
}

/// A temporary file under the data directory, deleted when dropped.
fn tempfile_in(state: &AppState) -> std::io::Result<TempCopy> {
    let dir = state.config.server.data_dir.join("tmp");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("datastore-{}.part", Uuid::now_v7()));
    let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
    Ok(TempCopy { path, file })
}

/// A temporary copy of an upload, removed when dropped.
struct TempCopy {
    path: std::path::PathBuf,
    file: std::fs::File,
}

impl TempCopy {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)
    }

    fn reopen(&self) -> std::io::Result<std::fs::File> {
        std::fs::File::open(&self.path)
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The job's part: requests left pending (their server stopped before
/// starting them) or running too long (it stopped during them) are run here.
pub async fn take_up_stalled(state: &AppState) {
    use entity::Column as C;
    let now = platform::db::now();
    let stalled = entity::Entity::find()
        .select_only()
        .column(C::ResourceId)
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(C::Status.eq("pending"))
                        .add(C::RequestedAt.lt(now - time::Duration::seconds(PENDING_GRACE_SECONDS))),
                )
                .add(
                    Condition::all()
                        .add(C::Status.eq("running"))
                        .add(C::StartedAt.lt(now - time::Duration::seconds(RUNNING_GRACE_SECONDS))),
                ),
        )
        .order_by_asc(C::RequestedAt)
        .limit(4)
        .into_tuple::<String>()
        .all(&state.db)
        .await;
    let stalled = match stalled {
        Ok(ids) => ids,
        Err(error) => return tracing::warn!(%error, "could not list stalled DataStore loads"),
    };
    for resource_id in stalled {
        // A long-running one goes back to pending first (one conditional update).
        let reset = entity::Entity::update_many()
            .col_expr(C::Status, Expr::value("pending"))
            .filter(C::ResourceId.eq(&resource_id))
            .filter(C::Status.eq("running"))
            .filter(C::StartedAt.lt(now - time::Duration::seconds(RUNNING_GRACE_SECONDS)))
            .exec(&state.db)
            .await;
        if let Err(error) = reset {
            tracing::warn!(%error, "could not take up a stalled DataStore load");
            continue;
        }
        run(state, &resource_id).await;
    }
}
