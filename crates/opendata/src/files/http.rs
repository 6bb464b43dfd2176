//! Files over HTTP: reading a CKAN upload (`multipart/form-data` with the
//! file in `upload`, as `ckanapi` sends it) into a staged part while it
//! arrives; the download of a resource's latest file at CKAN's address
//! `/dataset/{dataset}/resource/{resource}/download/{filename}` (private
//! datasets' files only with a token of their publishers); and
//! data.gov.hk's historical archive API under
//! `/api/v1/historical-archive/` (`list-files`, `list-file-versions`,
//! `get-file`) over public datasets, its refusals problem+json.

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::app::AppState;
use platform::error::{AppError, ErrorKind, FieldError};
use serde_json::{Map, Value};

use super::store::{self, StageError, Stager, Upload};
use super::{Refusal, Version};
use crate::catalogue::store as catalogue;
use crate::catalogue::{Dataset, Resource, visible};
use crate::publishers::store as publishers;

// ---- reading an upload ----

/// The largest text field of a form (a description in three languages fits).
const FIELD_MAX: usize = 64 * 1024;

/// How much of a refused body is still read (and dropped) so the client,
/// still sending, gets the answer instead of a broken connection.
const DRAIN_MAX: usize = 16 * 1024 * 1024;

/// Whether the request is `multipart/form-data`.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// A form's fields (CKAN's parameters) and its file, staged.
pub struct Form {
    pub params: Map<String, Value>,
    pub upload: Option<Upload>,
}

/// Why a form was not read.
pub enum FormError {
    /// The file, or the whole body, is over the limit (in bytes).
    TooLarge(u64),
    /// The body is not a form we can read: what is wrong.
    Bad(String),
    /// The database failed (our fault).
    Db(Box<dyn std::error::Error + Send + Sync>),
}

/// The declared length is so far over `limit` that the body is not read.
pub fn declared_too_large(headers: &HeaderMap, limit: u64) -> bool {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // A form's own lines and fields come on top of the file.
    declared.is_some_and(|n| n > limit.saturating_add(1024 * 1024))
}

/// Reads and drops what is left of a refused body, up to [`DRAIN_MAX`].
pub async fn drain(body: Body) {
    let _ = axum::body::to_bytes(body, DRAIN_MAX).await;
}

/// Reads a CKAN form: text fields become parameters (a `*_translated`
/// field holding a JSON object becomes that object), and the file in
/// `upload` goes into chunk rows as it arrives, at most `limit` bytes. On
/// any refusal nothing staged is left behind.
pub async fn read_form(state: &AppState, req: Request, limit: u64) -> Result<Form, FormError> {
    let mut multipart = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|e| FormError::Bad(format!("the form could not be read: {}", e.body_text())))?;
    let mut params = Map::new();
    let mut upload: Option<Upload> = None;
    let outcome = loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break Ok(()),
            Err(e) => break Err(FormError::Bad(format!("the form could not be read: {e}"))),
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "upload" {
            if upload.is_some() {
                break Err(FormError::Bad("only one file may be uploaded (field upload)".to_owned()));
            }
            let filename = super::tidy_filename(field.file_name().unwrap_or(""));
            let mut stager = Stager::new(limit);
            let part = stager.part().to_owned();
            let written = loop {
                match field.chunk().await {
                    Ok(Some(bytes)) => match stager.write(&state.db, &bytes).await {
                        Ok(()) => {}
                        Err(StageError::TooLarge) => {
                            // Read on (and drop) so the client hears the answer.
                            let mut seen = 0usize;
                            while let Ok(Some(bytes)) = field.chunk().await {
                                seen += bytes.len();
                                if seen > DRAIN_MAX {
                                    break;
                                }
                            }
                            break Err(FormError::TooLarge(limit));
                        }
                        Err(StageError::Db(e)) => break Err(FormError::Db(e.into())),
                    },
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(FormError::Bad(format!("the form could not be read: {e}"))),
                }
            };
            let staged = match written {
                Ok(()) => stager.finish(&state.db).await.map_err(|e| FormError::Db(e.into())),
                Err(e) => Err(e),
            };
            match staged {
                // A browser's form with no file chosen sends an empty, nameless one.
                Ok(staged) if staged.size == 0 && field.file_name().unwrap_or("").is_empty() => {
                    let _ = store::discard(&state.db, &staged.part).await;
                }
                Ok(staged) => upload = Some(Upload { staged, filename }),
                Err(e) => {
                    let _ = store::discard(&state.db, &part).await;
                    break Err(e);
                }
            }
            continue;
        }
        let mut text = Vec::new();
        let read = loop {
            match field.chunk().await {
                Ok(Some(bytes)) if text.len() + bytes.len() > FIELD_MAX => {
                    break Err(FormError::Bad(format!("field {name} is over {FIELD_MAX} bytes")));
                }
                Ok(Some(bytes)) => text.extend_from_slice(&bytes),
                Ok(None) => break Ok(()),
                Err(e) => break Err(FormError::Bad(format!("the form could not be read: {e}"))),
            }
        };
        if let Err(e) = read {
            break Err(e);
        }
        let Ok(text) = String::from_utf8(text) else {
            break Err(FormError::Bad(format!("field {name} is not UTF-8 text")));
        };
        let value = match serde_json::from_str::<Value>(&text) {
            Ok(object @ Value::Object(_)) if name.ends_with("_translated") => object,
            _ => Value::String(text),
        };
        params.insert(name, value);
    };
    match outcome {
        Ok(()) => Ok(Form { params, upload }),
        Err(e) => {
            if let Some(u) = &upload {
                let _ = store::discard(&state.db, &u.staged.part).await;
            }
            Err(e)
        }
    }
}

// ---- downloads ----

/// The download routes (outside `/api`: browsers follow them).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dataset/{dataset}/resource/{resource}/download", get(download_unnamed))
        .route("/dataset/{dataset}/resource/{resource}/download/{filename}", get(download))
}

/// The token a CKAN client sends (`Authorization`, or `X-CKAN-API-Key`),
/// as the Action API reads it.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::AUTHORIZATION).or_else(|| headers.get("x-ckan-api-key"))?;
    let raw = raw.to_str().ok()?.trim();
    let token = match raw.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => raw,
    };
    (!token.is_empty()).then(|| token.to_owned())
}

/// The organisations the caller's token publishes for (none without one).
async fn publishes(state: &AppState, headers: &HeaderMap) -> Result<Vec<String>, AppError> {
    let Some(token) = presented_token(headers) else { return Ok(Vec::new()) };
    let Some(account) = publishers::account_of(state, &token).await.map_err(AppError::internal)? else {
        return Err(AppError::new(ErrorKind::InvalidToken).with_detail("the API token is not valid"));
    };
    publishers::organisations_of(state, &account).await.map_err(AppError::internal)
}

async fn download_unnamed(
    State(state): State<AppState>,
    Path((dataset, resource)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve_latest(&state, &dataset, &resource, &headers).await
}

async fn download(
    State(state): State<AppState>,
    Path((dataset, resource, _filename)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve_latest(&state, &dataset, &resource, &headers).await
}

/// `GET …/download[/{filename}]`: the resource's latest file (any name
/// after `download/` serves it, as in CKAN).
async fn serve_latest(
    state: &AppState,
    dataset: &str,
    resource: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let (_, d) = catalogue::resource(&state.db, resource)
        .await
        .map_err(AppError::internal)?
        .filter(|(_, d)| d.id == dataset || d.name == dataset)
        .ok_or_else(AppError::not_found)?;
    let public = visible(d.state, d.private, false);
    let publisher = !public && publishes(state, headers).await?.contains(&d.organisation.id);
    if !public && !visible(d.state, d.private, publisher) {
        return Err(AppError::not_found());
    }
    let version = store::current(&state.db, resource).await.map_err(AppError::internal)?.ok_or_else(|| {
        AppError::not_found().with_detail("this resource is a link to elsewhere: it has no file here")
    })?;
    serve(state, &version, headers, !public).await
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').map(str::trim).any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag))
}

/// A version's bytes, streamed, with its length, type and ETag; 304 when
/// the client has them. Never shown as a page of ours: `nosniff`, and
/// anything but plain data and pictures as an attachment.
async fn serve(state: &AppState, v: &Version, headers: &HeaderMap, private: bool) -> Result<Response, AppError> {
    let etag = format!("\"{}\"", v.sha256);
    let cache = if private { "private, no-store" } else { "public, no-cache" };
    let value = |s: &str| HeaderValue::from_str(s).map_err(AppError::internal);
    if matches(headers, &etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, value(&etag)?);
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        return Ok(response);
    }
    let chunks = store::open(&state.db, &v.sha256)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::internal(std::io::Error::other(format!("blob {} is missing", v.sha256))))?;
    let disposition = if super::inline(&v.media_type) { "inline" } else { "attachment" };
    let mut response = Body::from_stream(chunks).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, value(&v.media_type)?);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(v.size));
    h.insert(header::ETAG, value(&etag)?);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_DISPOSITION, value(&format!("{disposition}; filename=\"{}\"", v.filename))?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

// ---- the historical archive ----

fn query_map(query: Option<&str>) -> Result<HashMap<String, String>, AppError> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or(""))
        .map(|pairs| pairs.into_iter().collect())
        .map_err(|_| AppError::new(ErrorKind::BadRequest).with_detail("the query string could not be read"))
}

/// The refusals as one 400 problem, each field named (data.gov.hk answers
/// a bad parameter with 400).
fn refused(refusals: Vec<Refusal>) -> AppError {
    let detail = refusals.iter().map(|r| r.detail.as_str()).collect::<Vec<_>>().join("; ");
    let fields =
        refusals.iter().map(|r| FieldError::new(r.field, r.code, r.key).arg("detail", r.detail.clone())).collect();
    AppError { fields, ..AppError::new(ErrorKind::BadRequest) }.with_detail(detail)
}

/// The public resource (and its dataset) a URL of the archive names.
async fn archived(state: &AppState, url: &str) -> Result<(Resource, Dataset), AppError> {
    let candidates = match super::resource_of_url(&state.public_url(), url) {
        Some(id) => vec![id],
        None => store::archived_links(&state.db, url).await.map_err(AppError::internal)?,
    };
    for id in candidates {
        let found = catalogue::resource(&state.db, &id).await.map_err(AppError::internal)?;
        if let Some((r, d)) = found.filter(|(_, d)| visible(d.state, d.private, false)) {
            return Ok((r, d));
        }
    }
    Err(AppError::not_found().with_detail(format!("no file in the archive has the url {url}")))
}

/// One file of `list-files`, with data.gov.hk's field names.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ArchivedFile {
    /// The file's URL: give it to `list-file-versions` and `get-file`.
    url: String,
    /// The dataset's name (its ID in URLs).
    dataset_id: String,
    dataset_name_en: String,
    dataset_name_tc: String,
    dataset_name_sc: String,
    resource_id: String,
    resource_name_en: String,
    resource_name_tc: String,
    resource_name_sc: String,
    format: String,
    /// The dataset's first category.
    category_id: String,
    /// The publishing organisation's name.
    provider_id: String,
    provider_name_en: String,
    provider_name_tc: String,
    provider_name_sc: String,
    /// Versions kept within the period.
    version_count: usize,
    /// The period's first and last versions, `YYYYMMDD-HHMM` (Hong Kong time).
    first_version: String,
    last_version: String,
}

/// `list-files`' answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct FileList {
    /// Files that match, before `skip` and `max`.
    file_count: usize,
    files: Vec<ArchivedFile>,
}

/// `list-file-versions`' answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct FileVersions {
    /// When each version was kept, oldest first, `YYYYMMDD-HHMM` (Hong Kong time).
    timestamps: Vec<String>,
    version_count: usize,
    /// Always empty here (data.gov.hk lists data-dictionary versions).
    data_dictionary_dates: Vec<String>,
    /// Always empty here.
    schema_dates: Vec<String>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct ListFilesQuery {
    /// First day of the period, `YYYYMMDD` (Hong Kong time), inclusive.
    start: String,
    /// Last day of the period, `YYYYMMDD`, inclusive; not before `start`.
    end: String,
    /// A category's name, e.g. `climate-and-weather`.
    category: Option<String>,
    /// A publishing organisation's name.
    provider: Option<String>,
    /// A format, e.g. `CSV` (any case).
    format: Option<String>,
    /// Words that must all appear in the dataset's or the file's name (any of the three languages).
    search: Option<String>,
    /// `asc` (default) or `desc`: by dataset, then file name.
    order: Option<String>,
    /// At most this many files, 1 to 1000 (100 by default).
    max: Option<u32>,
    /// Files to skip first.
    skip: Option<u32>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct VersionsQuery {
    /// The file's URL, as `list-files` gives it.
    url: String,
    /// First day, `YYYYMMDD` (Hong Kong time), inclusive.
    start: String,
    /// Last day, `YYYYMMDD`, inclusive.
    end: String,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct GetFileQuery {
    /// The file's URL, as `list-files` gives it.
    url: String,
    /// `YYYYMMDD-HHMM` (Hong Kong time): the version current at the end of that minute
    /// (or `YYYYMMDD`: at the end of that day).
    time: String,
}

struct ArchiveProblems;

impl utoipa::IntoResponses for ArchiveProblems {
    fn responses() -> BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[ErrorKind::BadRequest.problem(), ErrorKind::NotFound.problem()])
    }
}

/// `GET /api/v1/historical-archive/list-files`.
#[utoipa::path(
    get,
    path = "/api/v1/historical-archive/list-files",
    tag = "opendata",
    operation_id = "archiveListFiles",
    summary = "List the files that have versions in a period",
    description = "data.gov.hk's historical archive API: the files of public datasets with at least one version \
        kept from `start` to `end` (whole days, Hong Kong time), filtered by category, provider, format and words, \
        paged by `max` and `skip`. A bad parameter is a 400 naming it.",
    params(ListFilesQuery),
    responses((status = 200, description = "The matching files.", body = FileList), ArchiveProblems)
)]
pub(crate) async fn list_files(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    let q = super::list_files(&query_map(query.as_deref())?).map_err(refused)?;
    let from = state.start_of_day(q.period.start);
    let until = state.start_of_day(q.period.end.next_day().unwrap_or(q.period.end));
    let versions = store::versions_between(&state.db, from, until).await.map_err(AppError::internal)?;
    let mut by_resource: HashMap<&str, Vec<&Version>> = HashMap::new();
    for v in &versions {
        by_resource.entry(v.resource_id.as_str()).or_default().push(v);
    }
    let datasets = catalogue::datasets(&state.db, None).await.map_err(AppError::internal)?;
    let mut files: Vec<(String, ArchivedFile)> = Vec::new();
    for d in datasets.iter().filter(|d| visible(d.state, d.private, false)) {
        if q.category.as_ref().is_some_and(|c| !d.groups.iter().any(|g| &g.name == c))
            || q.provider.as_ref().is_some_and(|p| &d.organisation.name != p)
        {
            continue;
        }
        for r in &d.resources {
            let Some(kept) = by_resource.get(r.id.as_str()) else { continue };
            if q.format.as_ref().is_some_and(|f| &r.format.to_ascii_uppercase() != f) {
                continue;
            }
            let words = |w: &String| {
                d.name.contains(w.as_str())
                    || d.title.contains_lower(w)
                    || r.name.contains_lower(w)
                    || r.description.contains_lower(w)
            };
            if !q.search.iter().all(words) {
                continue;
            }
            let at = |v: &Version| super::stamp(state.to_local(v.uploaded_at));
            let key =
                format!("{}\u{0}{}\u{0}{}", d.title.display().to_lowercase(), r.name.display().to_lowercase(), r.id);
            files.push((
                key,
                ArchivedFile {
                    url: r.url.clone(),
                    dataset_id: d.name.clone(),
                    dataset_name_en: d.title.en.clone(),
                    dataset_name_tc: d.title.zh_hk.clone(),
                    dataset_name_sc: d.title.zh_cn.clone(),
                    resource_id: r.id.clone(),
                    resource_name_en: r.name.en.clone(),
                    resource_name_tc: r.name.zh_hk.clone(),
                    resource_name_sc: r.name.zh_cn.clone(),
                    format: r.format.clone(),
                    category_id: d.groups.first().map(|g| g.name.clone()).unwrap_or_default(),
                    provider_id: d.organisation.name.clone(),
                    provider_name_en: d.organisation.title.en.clone(),
                    provider_name_tc: d.organisation.title.zh_hk.clone(),
                    provider_name_sc: d.organisation.title.zh_cn.clone(),
                    version_count: kept.len(),
                    first_version: kept.first().map(|v| at(v)).unwrap_or_default(),
                    last_version: kept.last().map(|v| at(v)).unwrap_or_default(),
                },
            ));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    if q.order == super::Order::Desc {
        files.reverse();
    }
    let file_count = files.len();
    let files = files.into_iter().skip(q.skip as usize).take(q.max as usize).map(|(_, f)| f).collect::<Vec<_>>();
    Ok(axum::Json(FileList { file_count, files }).into_response())
}

/// `GET /api/v1/historical-archive/list-file-versions`.
#[utoipa::path(
    get,
    path = "/api/v1/historical-archive/list-file-versions",
    tag = "opendata",
    operation_id = "archiveListFileVersions",
    summary = "List a file's versions in a period",
    description = "data.gov.hk's historical archive API: when each version of the file at `url` was kept, from \
        `start` to `end` (whole days, Hong Kong time), as `YYYYMMDD-HHMM` timestamps for `get-file`. A file no \
        public dataset has is 404.",
    params(VersionsQuery),
    responses((status = 200, description = "The versions' times.", body = FileVersions), ArchiveProblems)
)]
pub(crate) async fn list_file_versions(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let params = query_map(query.as_deref())?;
    let mut errors = Vec::new();
    let url = super::url_param(&params, &mut errors);
    let period = super::period(&params, &mut errors);
    let (Some(url), Some(period), true) = (url, period, errors.is_empty()) else { return Err(refused(errors)) };
    let (resource, _) = archived(&state, &url).await?;
    let from = state.start_of_day(period.start);
    let until = state.start_of_day(period.end.next_day().unwrap_or(period.end));
    let timestamps: Vec<String> = store::versions(&state.db, &resource.id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .filter(|v| v.uploaded_at >= from && v.uploaded_at < until)
        .map(|v| super::stamp(state.to_local(v.uploaded_at)))
        .collect();
    Ok(axum::Json(FileVersions {
        version_count: timestamps.len(),
        timestamps,
        data_dictionary_dates: Vec::new(),
        schema_dates: Vec::new(),
    })
    .into_response())
}

/// `GET /api/v1/historical-archive/get-file`.
#[utoipa::path(
    get,
    path = "/api/v1/historical-archive/get-file",
    tag = "opendata",
    operation_id = "archiveGetFile",
    summary = "Get a file as it was at a time",
    description = "data.gov.hk's historical archive API: the version of the file at `url` that was current at \
        `time` (the last one kept before the end of that minute, Hong Kong time), with its media type, length and \
        ETag (its SHA-256). A file no public dataset has, or one with no version yet at that time, is 404.",
    params(GetFileQuery),
    responses(
        (status = 200, description = "The file's bytes.", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "The client has these bytes (`If-None-Match`)."),
        ArchiveProblems
    )
)]
pub(crate) async fn get_file(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let params = query_map(query.as_deref())?;
    let mut errors = Vec::new();
    let url = super::url_param(&params, &mut errors);
    let moment =
        super::parse_moment(params.get("time").map(|s| s.trim()).unwrap_or("")).map_err(|e| errors.push(e)).ok();
    let (Some(url), Some(moment), true) = (url, moment, errors.is_empty()) else { return Err(refused(errors)) };
    let (resource, _) = archived(&state, &url).await?;
    let before = state.from_local(moment.until());
    let version =
        store::version_before(&state.db, &resource.id, before).await.map_err(AppError::internal)?.ok_or_else(|| {
            AppError::not_found().with_detail(format!("the file at {url} has no version at or before that time"))
        })?;
    serve(&state, &version, &headers, false).await
}
