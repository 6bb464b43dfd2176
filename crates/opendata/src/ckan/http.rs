//! CKAN's Action API over HTTP: `GET|POST /api/3/action/{name}` and the
//! same under `/api/action/{name}` (where `ckanapi` calls). Reads are open
//! to anyone and may come by GET or POST; writes need POST and an API token
//! in `Authorization` (or `X-CKAN-API-Key`), as CKAN takes it, of an
//! account that publishes for the dataset's organisation. Every answer is
//! CKAN's envelope; a fault of ours is the platform's problem+json 500.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::app::AppState;
use platform::error::AppError;
use platform::web::RequestId;
use serde_json::{Map, Value, json};

use super::{Action, CkanError};
use crate::catalogue::store::{self as catalogue, Actor, WriteError};
use crate::catalogue::{self as rules, Dataset, Group, Organisation, Resource, ckan_time};
use crate::datastore::{self, Refusal};
use crate::files::http as files_http;
use crate::files::store::{self as files, Upload};
use crate::publishers::store as publishers;
use crate::search;

/// The CKAN version whose API this answers like.
const CKAN_VERSION: &str = "2.10.4";

/// The most names `package_list` and the `*_list` actions give at once.
const LIST_MAX: i64 = 1000;

/// Why an action did not answer: CKAN's refusal, or our fault.
enum Failure {
    Ckan(CkanError),
    Internal(AppError),
}

impl From<CkanError> for Failure {
    fn from(e: CkanError) -> Self {
        Failure::Ckan(e)
    }
}

impl From<WriteError> for Failure {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Invalid(errors) => Failure::Ckan(CkanError::Validation(errors)),
            WriteError::NotFound => Failure::Ckan(CkanError::NotFound("dataset".to_owned())),
            WriteError::Db(e) => Failure::Internal(AppError::internal(e)),
        }
    }
}

impl From<datastore::http::Failure> for Failure {
    fn from(e: datastore::http::Failure) -> Self {
        match e {
            datastore::http::Failure::Refused(Refusal::NotFound(m)) => Failure::Ckan(CkanError::NotFound(m)),
            datastore::http::Failure::Refused(Refusal::Authorization(m)) => Failure::Ckan(CkanError::Authorization(m)),
            datastore::http::Failure::Refused(Refusal::Validation(e)) => Failure::Ckan(CkanError::Validation(e)),
            datastore::http::Failure::Db(e) => Failure::db(e),
        }
    }
}

type Outcome = Result<Value, Failure>;

/// Who is calling: nobody, or the account an API token names and the
/// organisations it publishes for.
struct Caller {
    account: Option<String>,
    publishes: Vec<String>,
}

impl Caller {
    fn publishes_for(&self, organisation_id: &str) -> bool {
        self.publishes.iter().any(|o| o == organisation_id)
    }
}

/// The token a CKAN client sends: `Authorization: <token>` (CKAN's way;
/// a `Bearer` scheme is taken off when the platform left it to us), else
/// `X-CKAN-API-Key`.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .or_else(|| headers.get("x-ckan-api-key"))
        .map(|v| v.to_str().unwrap_or("").trim().to_owned())?;
    let token = match raw.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim().to_owned(),
        _ => raw,
    };
    Some(token)
}

async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, Failure> {
    let Some(token) = presented_token(headers) else { return Ok(Caller { account: None, publishes: Vec::new() }) };
    let account = publishers::account_of(state, &token)
        .await
        .map_err(|e| Failure::Internal(AppError::internal(e)))?
        .ok_or_else(|| CkanError::Authorization("the API token is not valid (unknown or revoked)".to_owned()))?;
    let publishes =
        publishers::organisations_of(state, &account).await.map_err(|e| Failure::Internal(AppError::internal(e)))?;
    Ok(Caller { account: Some(account), publishes })
}

/// The envelope, or the platform's 500 for a fault of ours.
fn answer(state: &AppState, name: &str, outcome: Outcome) -> Response {
    let help = super::help(&state.public_url(), name);
    let (status, body) = match outcome {
        Ok(result) => (StatusCode::OK, super::success(help, result)),
        Err(Failure::Ckan(e)) => {
            (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST), super::failure(help, &e))
        }
        Err(Failure::Internal(e)) => return e.into_response(),
    };
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

/// The parameters of one call.
enum Input {
    Get(Option<String>),
    Post(Bytes),
}

async fn call(
    state: AppState,
    name: String,
    input: Input,
    headers: HeaderMap,
    request_id: RequestId,
    upload: Option<&Upload>,
) -> Response {
    let Some(action) = Action::parse(&name) else {
        let e = CkanError::BadRequest(format!("Action name not known: {name}"));
        return answer(&state, &name, Err(e.into()));
    };
    let params = match input {
        Input::Get(query) => super::query_params(query.as_deref().unwrap_or("")),
        Input::Post(body) => super::body_params(&body),
    };
    let outcome = match params {
        Err(e) => Err(e.into()),
        Ok(params) => act(&state, action, params, &headers, request_id, upload).await,
    };
    answer(&state, action.name(), outcome)
}

async fn act(
    state: &AppState,
    action: Action,
    params: Map<String, Value>,
    headers: &HeaderMap,
    request_id: RequestId,
    upload: Option<&Upload>,
) -> Outcome {
    let caller = caller(state, headers).await?;
    let actor = |account: &str| Actor { id: account.to_owned(), request_id: Some(request_id.0.to_string()) };
    match action {
        Action::StatusShow => Ok(status_show(state)),
        Action::PackageList => package_list(state, &params).await,
        Action::PackageShow => package_show(state, &params, &caller).await,
        Action::PackageSearch => package_search(state, &params, &caller).await,
        Action::OrganizationList => organization_list(state, &params).await,
        Action::OrganizationShow => organization_show(state, &params, &caller).await,
        Action::GroupList => group_list(state, &params).await,
        Action::GroupShow => group_show(state, &params, &caller).await,
        Action::TagList => tag_list(state, &params).await,
        Action::ResourceShow => resource_show(state, &params, &caller).await,
        Action::PackageCreate | Action::PackageUpdate | Action::PackagePatch | Action::PackageDelete => {
            let account = signed(&caller, action)?;
            write_package(state, action, &params, &caller, &actor(account)).await
        }
        Action::ResourceCreate => {
            let account = signed(&caller, action)?;
            resource_create(state, &params, &caller, &actor(account), upload).await
        }
        Action::ResourceUpdate | Action::ResourcePatch => {
            let account = signed(&caller, action)?;
            resource_update(state, action, &params, &caller, &actor(account), upload).await
        }
        Action::DatastoreCreate
        | Action::DatastoreUpsert
        | Action::DatastoreDelete
        | Action::DatastoreSearch
        | Action::DatastoreInfo => {
            let account = if action.reads_only() { caller.account.as_deref() } else { Some(signed(&caller, action)?) };
            let who = datastore::http::Who {
                account,
                publishes: &caller.publishes,
                request_id: Some(request_id.0.to_string()),
            };
            let answer = match action {
                Action::DatastoreCreate => datastore::http::create(state, &params, &who).await,
                Action::DatastoreUpsert => datastore::http::upsert(state, &params, &who).await,
                Action::DatastoreDelete => datastore::http::delete(state, &params, &who).await,
                Action::DatastoreInfo => datastore::http::info(state, &params, &who).await,
                _ => datastore::http::search(state, &params, &who).await,
            };
            Ok(answer?)
        }
    }
}

fn signed(caller: &Caller, action: Action) -> Result<&str, CkanError> {
    caller.account.as_deref().ok_or_else(|| {
        CkanError::Authorization(format!("Action {} requires an authenticated user (an API token)", action.name()))
    })
}

fn required(params: &Map<String, Value>, name: &str) -> Result<String, CkanError> {
    search::text(params, name).filter(|s| !s.trim().is_empty()).ok_or_else(|| CkanError::invalid(name, "Missing value"))
}

fn flag(params: &Map<String, Value>, name: &str) -> Result<bool, CkanError> {
    rules::bool_of(params.get(name))
        .map(|b| b.unwrap_or(false))
        .map_err(|rules::NotABool| CkanError::invalid(name, "Must be true or false"))
}

/// `limit` (at most 1,000) and `offset` of a list action.
fn window(params: &Map<String, Value>) -> Result<(usize, usize), CkanError> {
    let limit = search::integer(params, "limit", 0).map_err(|e| CkanError::invalid("limit", e))?;
    let offset = search::integer(params, "offset", 0).map_err(|e| CkanError::invalid("offset", e))?;
    let limit = usize::try_from(limit.unwrap_or(LIST_MAX).min(LIST_MAX)).unwrap_or(0);
    Ok((limit, usize::try_from(offset.unwrap_or(0)).unwrap_or(usize::MAX)))
}

// ---- the dictionaries CKAN clients read ----

fn organization_dict(o: &Organisation, package_count: Option<usize>) -> Value {
    let mut dict = json!({
        "id": o.id, "name": o.name, "title": o.title.display(), "title_translated": o.title,
        "display_name": o.title.display(), "description": o.description.display(),
        "description_translated": o.description, "created": ckan_time(o.created_at),
        "type": "organization", "is_organization": true, "state": "active", "approval_status": "approved",
        "image_url": "",
    });
    if let Some(n) = package_count {
        dict["package_count"] = json!(n);
    }
    dict
}

fn group_dict(g: &Group, package_count: Option<usize>) -> Value {
    let mut dict = json!({
        "id": g.id, "name": g.name, "title": g.title.display(), "title_translated": g.title,
        "display_name": g.title.display(), "description": g.description.display(),
        "description_translated": g.description, "created": ckan_time(g.created_at),
        "type": "group", "is_organization": false, "state": "active", "approval_status": "approved",
        "image_url": "",
    });
    if let Some(n) = package_count {
        dict["package_count"] = json!(n);
    }
    dict
}

fn resource_dict(r: &Resource, d: &Dataset) -> Value {
    // CKAN's `url_type` is `upload` for a file it holds (its own download URL).
    let ours = r.url.contains(&crate::files::download_path(&d.id, &r.id, ""));
    json!({
        "id": r.id, "package_id": d.id, "position": r.position,
        "name": r.name.display(), "name_translated": r.name,
        "description": r.description.display(), "description_translated": r.description,
        "url": r.url, "format": r.format, "size": r.size, "hash": r.checksum.clone().unwrap_or_default(),
        "last_modified": r.last_modified.map(ckan_time), "created": ckan_time(r.created_at),
        "metadata_modified": ckan_time(d.modified_at), "state": "active",
        "url_type": if ours { json!("upload") } else { Value::Null },
    })
}

fn package_dict(d: &Dataset) -> Value {
    let date = |x: Option<time::Date>| x.map(|d| d.to_string());
    json!({
        "id": d.id, "name": d.name, "type": "dataset",
        "title": d.title.display(), "title_translated": d.title,
        "notes": d.notes.display(), "notes_translated": d.notes,
        "owner_org": d.organisation.id, "organization": organization_dict(&d.organisation, None),
        "private": d.private, "state": d.state.ckan(),
        "license_id": d.license_id, "update_frequency": d.update_frequency,
        "temporal_start": date(d.temporal_start), "temporal_end": date(d.temporal_end),
        "spatial": d.spatial.display(), "spatial_translated": d.spatial,
        "maintainer": d.contact_name, "maintainer_email": d.contact_email,
        "metadata_created": ckan_time(d.created_at), "metadata_modified": ckan_time(d.modified_at),
        "languages": d.languages(),
        "tags": d.tags.iter().map(|t| json!({"id": t.id, "name": t.name, "display_name": t.name,
            "state": "active", "vocabulary_id": Value::Null})).collect::<Vec<_>>(),
        "num_tags": d.tags.len(),
        "groups": d.groups.iter().map(|g| json!({"id": g.id, "name": g.name, "title": g.title.display(),
            "display_name": g.title.display(), "title_translated": g.title})).collect::<Vec<_>>(),
        "resources": d.resources.iter().map(|r| resource_dict(r, d)).collect::<Vec<_>>(),
        "num_resources": d.resources.len(),
        "extras": [],
    })
}

// ---- reads ----

fn status_show(state: &AppState) -> Value {
    json!({
        "site_title": "Lionrock open data", "site_description": "", "site_url": state.public_url(),
        "ckan_version": CKAN_VERSION, "locale_default": state.config.locale.default.tag(),
        "extensions": ["lionrock-opendata"],
    })
}

/// The datasets anyone sees: published and public.
fn public(d: &Dataset) -> bool {
    rules::visible(d.state, d.private, false)
}

async fn package_list(state: &AppState, params: &Map<String, Value>) -> Outcome {
    let (limit, offset) = window(params)?;
    let mut names: Vec<String> = catalogue::datasets(&state.db, None)
        .await
        .map_err(Failure::db)?
        .into_iter()
        .filter(public)
        .map(|d| d.name)
        .collect();
    names.sort();
    Ok(json!(names.into_iter().skip(offset).take(limit).collect::<Vec<_>>()))
}

/// The dataset by ID or name, when the caller may see it.
async fn visible_dataset(state: &AppState, key: &str, caller: &Caller) -> Result<Dataset, Failure> {
    catalogue::dataset(&state.db, key)
        .await
        .map_err(Failure::db)?
        .filter(|d| rules::visible(d.state, d.private, caller.publishes_for(&d.organisation.id)))
        .ok_or_else(|| CkanError::NotFound("dataset".to_owned()).into())
}

async fn package_show(state: &AppState, params: &Map<String, Value>, caller: &Caller) -> Outcome {
    let key = required(params, "id")?;
    let mut dict = package_dict(&visible_dataset(state, &key, caller).await?);
    mark_datastore(state, std::slice::from_mut(&mut dict)).await?;
    Ok(dict)
}

async fn package_search(state: &AppState, params: &Map<String, Value>, caller: &Caller) -> Outcome {
    let query = search::Query::parse(params).map_err(CkanError::Validation)?;
    let found = search::node::find(state, &query, &caller.publishes).await.map_err(Failure::db)?;
    let needs_titles = found.facets.keys().any(|f| matches!(f, search::Field::Organization | search::Field::Groups));
    let (organisations, groups) = if needs_titles {
        let organisations = catalogue::organisations(&state.db).await.map_err(Failure::db)?;
        (organisations, catalogue::groups(&state.db).await.map_err(Failure::db)?)
    } else {
        (Vec::new(), Vec::new())
    };
    let titles = |field: search::Field, value: &str| -> String {
        match field {
            search::Field::Organization => {
                organisations.iter().find(|o| o.name == value).map(|o| o.title.display().to_owned())
            }
            search::Field::Groups => groups.iter().find(|g| g.name == value).map(|g| g.title.display().to_owned()),
            _ => None,
        }
        .unwrap_or_else(|| value.to_owned())
    };
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for (field, values) in &found.facets {
        let counts: Map<String, Value> = values.iter().map(|(v, n)| (v.clone(), json!(n))).collect();
        facets.insert(field.as_str().to_owned(), Value::Object(counts));
        let items: Vec<Value> =
            values.iter().map(|(v, n)| json!({"name": v, "display_name": titles(*field, v), "count": n})).collect();
        search_facets.insert(field.as_str().to_owned(), json!({"title": field.as_str(), "items": items}));
    }
    let sort = search::text(params, "sort").unwrap_or_else(|| "score desc, metadata_modified desc".to_owned());
    let mut results: Vec<Value> = found.results.iter().map(package_dict).collect();
    mark_datastore(state, &mut results).await?;
    Ok(json!({
        "count": found.count,
        "sort": sort,
        "facets": facets,
        "search_facets": search_facets,
        "results": results,
    }))
}

/// Public datasets per organisation and per category.
fn counts(all: &[Dataset]) -> (std::collections::HashMap<String, usize>, std::collections::HashMap<String, usize>) {
    let mut by_org = std::collections::HashMap::new();
    let mut by_group = std::collections::HashMap::new();
    for d in all.iter().filter(|d| public(d)) {
        *by_org.entry(d.organisation.id.clone()).or_default() += 1;
        for g in &d.groups {
            *by_group.entry(g.id.clone()).or_default() += 1;
        }
    }
    (by_org, by_group)
}

async fn organization_list(state: &AppState, params: &Map<String, Value>) -> Outcome {
    let (limit, offset) = window(params)?;
    let all_fields = flag(params, "all_fields")?;
    let orgs = catalogue::organisations(&state.db).await.map_err(Failure::db)?;
    let page = orgs.iter().skip(offset).take(limit);
    if !all_fields {
        return Ok(json!(page.map(|o| o.name.clone()).collect::<Vec<_>>()));
    }
    let (by_org, _) = counts(&catalogue::datasets(&state.db, None).await.map_err(Failure::db)?);
    Ok(json!(page.map(|o| organization_dict(o, Some(by_org.get(&o.id).copied().unwrap_or(0)))).collect::<Vec<_>>()))
}

/// The datasets of an organisation or category the caller sees, newest first.
fn members<'a>(all: &'a [Dataset], caller: &Caller, of: impl Fn(&Dataset) -> bool) -> Vec<&'a Dataset> {
    all.iter()
        .filter(|d| of(d) && rules::visible(d.state, d.private, caller.publishes_for(&d.organisation.id)))
        .filter(|d| d.state == rules::State::Published)
        .collect()
}

async fn organization_show(state: &AppState, params: &Map<String, Value>, caller: &Caller) -> Outcome {
    let key = required(params, "id")?;
    let include = flag(params, "include_datasets")?;
    let org = catalogue::organisation(&state.db, &key)
        .await
        .map_err(Failure::db)?
        .ok_or_else(|| CkanError::NotFound("organization".to_owned()))?;
    let all = catalogue::datasets(&state.db, None).await.map_err(Failure::db)?;
    let theirs = members(&all, caller, |d| d.organisation.id == org.id);
    let mut dict = organization_dict(&org, Some(theirs.len()));
    if include {
        dict["packages"] = json!(theirs.iter().take(1000).map(|d| package_dict(d)).collect::<Vec<_>>());
    }
    Ok(dict)
}

async fn group_list(state: &AppState, params: &Map<String, Value>) -> Outcome {
    let (limit, offset) = window(params)?;
    let all_fields = flag(params, "all_fields")?;
    let mut groups = catalogue::groups(&state.db).await.map_err(Failure::db)?;
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    let page = groups.iter().skip(offset).take(limit);
    if !all_fields {
        return Ok(json!(page.map(|g| g.name.clone()).collect::<Vec<_>>()));
    }
    let (_, by_group) = counts(&catalogue::datasets(&state.db, None).await.map_err(Failure::db)?);
    Ok(json!(page.map(|g| group_dict(g, Some(by_group.get(&g.id).copied().unwrap_or(0)))).collect::<Vec<_>>()))
}

async fn group_show(state: &AppState, params: &Map<String, Value>, caller: &Caller) -> Outcome {
    let key = required(params, "id")?;
    let include = flag(params, "include_datasets")?;
    let group = catalogue::group(&state.db, &key)
        .await
        .map_err(Failure::db)?
        .ok_or_else(|| CkanError::NotFound("group".to_owned()))?;
    let all = catalogue::datasets(&state.db, None).await.map_err(Failure::db)?;
    let theirs = members(&all, caller, |d| d.groups.iter().any(|g| g.id == group.id));
    let mut dict = group_dict(&group, Some(theirs.len()));
    if include {
        dict["packages"] = json!(theirs.iter().take(1000).map(|d| package_dict(d)).collect::<Vec<_>>());
    }
    Ok(dict)
}

async fn tag_list(state: &AppState, params: &Map<String, Value>) -> Outcome {
    let query = search::text(params, "query").unwrap_or_default().to_lowercase();
    let all_fields = flag(params, "all_fields")?;
    let mut tags: Vec<rules::Tag> = catalogue::datasets(&state.db, None)
        .await
        .map_err(Failure::db)?
        .into_iter()
        .filter(public)
        .flat_map(|d| d.tags)
        .filter(|t| t.name.to_lowercase().contains(&query))
        .collect();
    tags.sort_by(|a, b| a.name.cmp(&b.name));
    tags.dedup_by(|a, b| a.id == b.id);
    if all_fields {
        return Ok(json!(
            tags.iter()
                .map(|t| json!({"id": t.id, "name": t.name, "display_name": t.name, "vocabulary_id": Value::Null}))
                .collect::<Vec<_>>()
        ));
    }
    Ok(json!(tags.into_iter().map(|t| t.name).collect::<Vec<_>>()))
}

async fn resource_show(state: &AppState, params: &Map<String, Value>, caller: &Caller) -> Outcome {
    let id = required(params, "id")?;
    let (resource, dataset) = catalogue::resource(&state.db, &id)
        .await
        .map_err(Failure::db)?
        .filter(|(_, d)| rules::visible(d.state, d.private, caller.publishes_for(&d.organisation.id)))
        .ok_or_else(|| CkanError::NotFound("resource".to_owned()))?;
    let mut dict = json!({"resources": [resource_dict(&resource, &dataset)]});
    mark_datastore(state, std::slice::from_mut(&mut dict)).await?;
    let mut shown = dict["resources"][0].take();
    // The load of its latest upload into the DataStore, for its publishers:
    // status, progress, the report of rows left out, or why it failed.
    if caller.publishes_for(&dataset.organisation.id)
        && let Some(load) = datastore::pusher::status(&state.db, &resource.id).await.map_err(Failure::db)?
    {
        shown["datastore_load"] = datastore::pusher::dict(state, &load);
    }
    Ok(shown)
}

/// After an upload's commit: a CSV or JSON file goes into the resource's
/// DataStore table in the background (`datastore::pusher`).
async fn push(
    state: &AppState,
    resource: &Resource,
    version: Option<&crate::files::Version>,
    actor: &Actor,
) -> Result<(), Failure> {
    let Some(version) = version else { return Ok(()) };
    if let Some(format) = datastore::pusher::loadable(&resource.format, version) {
        datastore::pusher::request(state, version, format, actor).await.map_err(Failure::db)?;
    }
    Ok(())
}

/// CKAN's `datastore_active` on each resource of these datasets: whether
/// its data is in a DataStore table (clients look for it before calling
/// `datastore_search`).
async fn mark_datastore(state: &AppState, datasets: &mut [Value]) -> Result<(), Failure> {
    let ids: Vec<String> = datasets
        .iter()
        .flat_map(|d| d["resources"].as_array().into_iter().flatten())
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    let active = if ids.is_empty() {
        Vec::new()
    } else {
        datastore::store::with_tables(&state.db, ids).await.map_err(Failure::db)?
    };
    for resource in datasets.iter_mut().flat_map(|d| d["resources"].as_array_mut().into_iter().flatten()) {
        let on = resource["id"].as_str().is_some_and(|id| active.iter().any(|a| a == id));
        resource["datastore_active"] = json!(on);
    }
    Ok(())
}

// ---- writes ----

fn not_publisher(organisation: &str) -> CkanError {
    CkanError::Authorization(format!("this account does not publish for organization {organisation}"))
}

async fn write_package(
    state: &AppState,
    action: Action,
    params: &Map<String, Value>,
    caller: &Caller,
    actor: &Actor,
) -> Outcome {
    if action == Action::PackageCreate {
        let input = rules::dataset_input(&Value::Object(params.clone())).map_err(CkanError::Validation)?;
        let owner = catalogue::owner_of(state, &input).await.map_err(Failure::db)?;
        if let Some(owner) = owner
            && !caller.publishes_for(&owner.id)
        {
            return Err(not_publisher(&owner.name).into());
        }
        return Ok(package_dict(&catalogue::create_dataset(state, &input, actor).await?));
    }
    let key = required(params, "id").or_else(|_| required(params, "name"))?;
    let current = visible_dataset(state, &key, caller).await?;
    if !caller.publishes_for(&current.organisation.id) {
        return Err(not_publisher(&current.organisation.name).into());
    }
    let body = match action {
        Action::PackageDelete => {
            catalogue::delete_dataset(state, &current.id, actor).await?;
            return Ok(Value::Null);
        }
        Action::PackagePatch => super::patched(&package_dict(&current), params),
        _ => {
            let mut body = params.clone();
            body.entry("name").or_insert_with(|| json!(current.name));
            body.entry("owner_org").or_insert_with(|| json!(current.organisation.id));
            Value::Object(body)
        }
    };
    let input = rules::dataset_input(&body).map_err(CkanError::Validation)?;
    let owner = catalogue::owner_of(state, &input).await.map_err(Failure::db)?;
    if let Some(owner) = owner
        && !caller.publishes_for(&owner.id)
    {
        return Err(not_publisher(&owner.name).into());
    }
    Ok(package_dict(&catalogue::update_dataset(state, &current.id, &input, actor).await?))
}

/// Where the server will put an uploaded file's own URL (it replaces this
/// once the resource's ID is known): the checks of a link need some URL.
const UPLOAD_URL: &str = "https://upload.invalid/";

async fn resource_create(
    state: &AppState,
    params: &Map<String, Value>,
    caller: &Caller,
    actor: &Actor,
    upload: Option<&Upload>,
) -> Outcome {
    let key = required(params, "package_id")?;
    let dataset = visible_dataset(state, &key, caller).await?;
    if !caller.publishes_for(&dataset.organisation.id) {
        return Err(not_publisher(&dataset.organisation.name).into());
    }
    let mut body = params.clone();
    body.remove("id");
    if upload.is_some() {
        body.insert("url".to_owned(), json!(UPLOAD_URL));
    }
    let input = rules::resource_input(&Value::Object(body)).map_err(CkanError::Validation)?;
    let (resource, version) = files::create_resource(state, &dataset.id, &input, upload, actor).await?;
    push(state, &resource, version.as_ref(), actor).await?;
    let dataset = visible_dataset(state, &dataset.id, caller).await?;
    Ok(resource_dict(&resource, &dataset))
}

/// `resource_update` replaces the resource's fields (its URL stays when
/// none is given); `resource_patch` changes only those given. Either may
/// bring a new file in `upload`: a new version, the old ones kept.
async fn resource_update(
    state: &AppState,
    action: Action,
    params: &Map<String, Value>,
    caller: &Caller,
    actor: &Actor,
    upload: Option<&Upload>,
) -> Outcome {
    let id = required(params, "id")?;
    let (current, dataset) = catalogue::resource(&state.db, &id)
        .await
        .map_err(Failure::db)?
        .filter(|(_, d)| rules::visible(d.state, d.private, caller.publishes_for(&d.organisation.id)))
        .ok_or_else(|| CkanError::NotFound("resource".to_owned()))?;
    if !caller.publishes_for(&dataset.organisation.id) {
        return Err(not_publisher(&dataset.organisation.name).into());
    }
    let mut body = match action {
        Action::ResourcePatch => super::patched(&resource_dict(&current, &dataset), params),
        _ => Value::Object(params.clone()),
    };
    if let Value::Object(body) = &mut body {
        body.remove("id");
        if upload.is_some() {
            body.insert("url".to_owned(), json!(UPLOAD_URL));
        } else {
            body.entry("url").or_insert_with(|| json!(current.url));
        }
    }
    let input = rules::resource_input(&body).map_err(CkanError::Validation)?;
    let (resource, version) = files::update_resource(state, &current.id, &input, upload, actor).await?;
    push(state, &resource, version.as_ref(), actor).await?;
    let dataset = visible_dataset(state, &dataset.id, caller).await?;
    Ok(resource_dict(&resource, &dataset))
}

impl Failure {
    fn db(e: impl std::error::Error + Send + Sync + 'static) -> Failure {
        Failure::Internal(AppError::internal(e))
    }
}

// ---- the routes ----

/// Parameters a GET may carry (each action reads its own; CKAN takes
/// numbers and booleans as text).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct ActionQuery {
    /// `*_show`, `package_update`/`patch`/`delete`: the ID or name.
    id: Option<String>,
    /// `datastore_search`: words each found in some text column (any case), or a JSON object
    /// `{column: word}`.
    /// `package_search`: words that must all be found (any language; Traditional and Simplified
    /// Chinese alike; English by stem, or with a typo in a word of 4 letters or more);
    /// `field:value` terms too.
    q: Option<String>,
    /// `package_search`: `field:value` terms (`organization`, `groups`, `tags`, `res_format`,
    /// `license_id`, `language`, `name`), `-` to exclude, `"quotes"` around spaces.
    fq: Option<String>,
    /// `datastore_search`: `column asc|desc`, comma-separated (`_id` by default).
    /// `package_search`: `score`, `metadata_modified`, `metadata_created`, `name` or `title_string`,
    /// each `asc` or `desc`, comma-separated; the first two keys count (then the name).
    sort: Option<String>,
    /// `package_search`: results per page, 10 by default, at most 1,000 (more is taken as 1,000).
    rows: Option<String>,
    /// `package_search`: results to skip.
    start: Option<String>,
    /// `package_search`: a JSON list of fields to count values of.
    #[param(rename = "facet.field")]
    facet_field: Option<String>,
    /// `package_search`: values per facet, 50 by default, -1 for all.
    #[param(rename = "facet.limit")]
    facet_limit: Option<String>,
    /// `package_search`: the fewest datasets a facet value needs to be listed (1 by default).
    #[param(rename = "facet.mincount")]
    facet_mincount: Option<String>,
    /// `package_search`: also the private datasets of organisations the token's account publishes for.
    include_private: Option<String>,
    /// `package_search`: also their drafts.
    include_drafts: Option<String>,
    /// `organization_list`, `group_list`, `tag_list`: dictionaries instead of names.
    all_fields: Option<String>,
    /// `organization_show`, `group_show`: with their datasets.
    include_datasets: Option<String>,
    /// `package_list`, `organization_list`, `group_list`: at most this many (1,000 by default and at most);
    /// `datastore_search`: rows, 100 by default, at most 32,000 (more is taken as 32,000).
    limit: Option<String>,
    /// The `*_list` actions: names to skip; `datastore_search`: rows to skip.
    offset: Option<String>,
    /// `tag_list`: only tags containing this text.
    query: Option<String>,
    /// `datastore_search`, `datastore_info`: the resource whose table is read (`id` also works).
    resource_id: Option<String>,
    /// `datastore_search`: a JSON object `{column: value or [values]}` the rows must match
    /// (each value read as its column's type).
    filters: Option<String>,
    /// `datastore_search`: the columns returned, comma-separated or a JSON list (every one by default).
    fields: Option<String>,
    /// `datastore_search`: only different rows of `fields`.
    distinct: Option<String>,
    /// `datastore_search`: with the number of matching rows (`total`; true by default).
    include_total: Option<String>,
    /// `datastore_search`: `objects` (the default) or `lists`.
    records_format: Option<String>,
}

/// CKAN's envelope of a success.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Envelope {
    /// Where the action is described.
    help: String,
    /// Always true here.
    success: bool,
    /// What the action returns: a dataset, a list of names, a search's
    /// `{count, results, facets, search_facets}`, …
    #[schema(value_type = Object)]
    result: Value,
}

/// CKAN's envelope of a refusal.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorEnvelope {
    help: String,
    /// Always false here.
    success: bool,
    /// `__type` (`Bad Request`, `Authorization Error`, `Not Found Error`,
    /// `Validation Error`) with a `message`, or, for a validation error,
    /// each wrong field with its messages.
    #[schema(value_type = Object)]
    error: Value,
}

const DESCRIPTION: &str = "CKAN's Action API v3, which CKAN clients (`ckanapi`, …) call unchanged. \
Reads (`status_show`, `package_list`, `package_show`, `package_search`, `organization_list`, `organization_show`, \
`group_list`, `group_show`, `tag_list`, `resource_show`, `datastore_search`, `datastore_info`) are open to anyone, by GET (parameters in the query) or \
POST (a JSON object). Writes (`package_create`, `package_update`, `package_patch`, `package_delete`, \
`resource_create`, `resource_update`, `resource_patch`, `datastore_create`, `datastore_upsert`, `datastore_delete`) need POST and an API token (`lionrock opendata token create`) in `Authorization` (the token \
itself, as CKAN takes it) or `X-CKAN-API-Key`, of an account that publishes for the dataset's organisation. \
DataStore: `datastore_search` (filters, q, fields, sort, limit, offset, distinct, include_total) and \
`datastore_info` read a resource's table, as the dataset's visibility allows; `datastore_create`, \
`datastore_upsert` (method upsert, insert or update; the first and last by the table's primary key) and \
`datastore_delete` write it, by a publisher of the dataset's organisation. Column names not in the table are \
refused with a `Validation Error`. Texts come in English, Traditional and Simplified Chinese: `title` is the display text, `title_translated` \
(`en`, `zh-HK`, `zh-CN`) every language. Private datasets and drafts are not found without such a token. \
Answers are CKAN's envelope; refusals carry CKAN's `__type`. The resource actions also take \
`multipart/form-data` with the file in `upload` (as `ckanapi` sends `upload=open(path, 'rb')`), up to \
`[opendata] max_upload_mb`: the server sets `url` (`/dataset/{dataset}/resource/{resource}/download/{filename}`), \
`size`, `hash` (`sha256:…`), `last_modified`, and `format` from the file name when none is given; each upload is \
a new version, the old ones kept for the historical archive. A file, or a JSON body, over its limit is a 413 \
`Validation Error` naming `upload` (or `__body`).";

/// `GET /api/3/action/{name}`.
#[utoipa::path(
    get,
    path = "/api/3/action/{name}",
    tag = "opendata",
    operation_id = "ckanActionGet",
    summary = "Call a CKAN action that only reads",
    description = DESCRIPTION,
    params(("name" = Action, Path, description = "The action."), ActionQuery),
    responses(
        (status = 200, description = "The action's result.", body = Envelope),
        (status = 400, description = "Bad Request: an unknown action, or a write by GET.", body = ErrorEnvelope),
        (status = 403, description = "Authorization Error: a token that is not valid.", body = ErrorEnvelope),
        (status = 404, description = "Not Found Error: nothing the caller may see by that ID or name.", body = ErrorEnvelope),
        (status = 409, description = "Validation Error: each wrong parameter with its messages.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn get_v3(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    request_id: RequestId,
) -> Response {
    get(state, name, query, headers, request_id).await
}

/// `POST /api/3/action/{name}`.
#[utoipa::path(
    post,
    path = "/api/3/action/{name}",
    tag = "opendata",
    operation_id = "ckanActionPost",
    summary = "Call a CKAN action",
    description = DESCRIPTION,
    params(("name" = Action, Path, description = "The action."), platform::openapi::IdempotencyKey),
    request_body(
        description = "The action's parameters: a JSON object, or a form with the file in `upload`.",
        content((Object = "application/json"), (Object = "multipart/form-data"))
    ),
    responses(
        (status = 200, description = "The action's result.", body = Envelope),
        (status = 400, description = "Bad Request: an unknown action, or a body that is not a JSON object.", body = ErrorEnvelope),
        (status = 403, description = "Authorization Error: a write without a valid token, or by an account that does not publish for the organisation.", body = ErrorEnvelope),
        (status = 404, description = "Not Found Error: nothing the caller may see by that ID or name.", body = ErrorEnvelope),
        (status = 409, description = "Validation Error: each wrong field with its messages.", body = ErrorEnvelope),
        (status = 413, description = "Validation Error: the file (`upload`) or the body (`__body`) is too large.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn post_v3(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    request_id: RequestId,
    req: Request,
) -> Response {
    post(state, name, headers, request_id, req).await
}

/// `GET /api/action/{name}`: the same, where `ckanapi` calls.
#[utoipa::path(
    get,
    path = "/api/action/{name}",
    tag = "opendata",
    operation_id = "ckanActionGetUnversioned",
    summary = "Call a CKAN action that only reads (unversioned path)",
    description = DESCRIPTION,
    params(("name" = Action, Path, description = "The action."), ActionQuery),
    responses(
        (status = 200, description = "The action's result.", body = Envelope),
        (status = 400, description = "Bad Request: an unknown action, or a write by GET.", body = ErrorEnvelope),
        (status = 403, description = "Authorization Error: a token that is not valid.", body = ErrorEnvelope),
        (status = 404, description = "Not Found Error: nothing the caller may see by that ID or name.", body = ErrorEnvelope),
        (status = 409, description = "Validation Error: each wrong parameter with its messages.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn get_unversioned(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    request_id: RequestId,
) -> Response {
    get(state, name, query, headers, request_id).await
}

/// `POST /api/action/{name}`: the same, where `ckanapi` calls.
#[utoipa::path(
    post,
    path = "/api/action/{name}",
    tag = "opendata",
    operation_id = "ckanActionPostUnversioned",
    summary = "Call a CKAN action (unversioned path)",
    description = DESCRIPTION,
    params(("name" = Action, Path, description = "The action."), platform::openapi::IdempotencyKey),
    request_body(
        description = "The action's parameters: a JSON object, or a form with the file in `upload`.",
        content((Object = "application/json"), (Object = "multipart/form-data"))
    ),
    responses(
        (status = 200, description = "The action's result.", body = Envelope),
        (status = 400, description = "Bad Request: an unknown action, or a body that is not a JSON object.", body = ErrorEnvelope),
        (status = 403, description = "Authorization Error: a write without a valid token, or by an account that does not publish for the organisation.", body = ErrorEnvelope),
        (status = 404, description = "Not Found Error: nothing the caller may see by that ID or name.", body = ErrorEnvelope),
        (status = 409, description = "Validation Error: each wrong field with its messages.", body = ErrorEnvelope),
        (status = 413, description = "Validation Error: the file (`upload`) or the body (`__body`) is too large.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn post_unversioned(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    request_id: RequestId,
    req: Request,
) -> Response {
    post(state, name, headers, request_id, req).await
}

/// A GET changes nothing: a write by GET is refused before anything runs.
async fn get(
    state: AppState,
    name: String,
    query: Option<String>,
    headers: HeaderMap,
    request_id: RequestId,
) -> Response {
    if let Some(action) = Action::parse(&name).filter(|a| !a.reads_only()) {
        let e = CkanError::BadRequest(format!("{} changes data: use POST", action.name()));
        return answer(&state, action.name(), Err(e.into()));
    }
    let limit = state.config.request_timeout();
    within(limit, call(state, name, Input::Get(query), headers, request_id, None)).await
}

/// The answer, or, when `limit` passes first, the platform's timeout (a bare
/// 408 it renders as the 503 `timeout` problem). CKAN's paths set their own
/// time limits (`Module::own_body_limit`): an upload takes longer than a search.
async fn within(limit: std::time::Duration, answer: impl Future<Output = Response>) -> Response {
    tokio::time::timeout(limit, answer).await.unwrap_or_else(|_| StatusCode::REQUEST_TIMEOUT.into_response())
}

/// A POST: a JSON object up to the server's body limit, or, for the
/// resource actions, a form carrying a file in `upload`.
async fn post(state: AppState, name: String, headers: HeaderMap, request_id: RequestId, req: Request) -> Response {
    let timeout = state.config.request_timeout();
    if files_http::is_multipart(&headers) {
        let upload = std::time::Duration::from_secs(crate::settings::of(&state).upload_timeout_secs);
        return within(timeout + upload, post_form(state, name, headers, request_id, req)).await;
    }
    within(timeout, async move {
        let limit = state.config.server.body_limit_bytes;
        match axum::body::to_bytes(req.into_body(), limit).await {
            Ok(body) => call(state, name, Input::Post(body), headers, request_id, None).await,
            Err(_) => {
                let e = CkanError::TooLarge("__body", format!("The request body is larger than {limit} bytes"));
                answer(&state, &name, Err(e.into()))
            }
        }
    })
    .await
}

/// A form with a file: only a publisher's token gets its body read; the
/// file is staged as it arrives (at most `max_upload_mb`), then the action
/// keeps it or, refused, leaves nothing behind.
async fn post_form(state: AppState, name: String, headers: HeaderMap, request_id: RequestId, req: Request) -> Response {
    let action = Action::parse(&name);
    let Some(action) =
        action.filter(|a| matches!(a, Action::ResourceCreate | Action::ResourceUpdate | Action::ResourcePatch))
    else {
        let e = CkanError::BadRequest(
            "multipart/form-data is taken by resource_create, resource_update and resource_patch only".to_owned(),
        );
        return answer(&state, &name, Err(e.into()));
    };
    let refused = |e: Failure| answer(&state, action.name(), Err(e));
    let signed_in = match caller(&state, &headers).await {
        Ok(c) => signed(&c, action).map(|_| ()).map_err(Failure::from),
        Err(e) => Err(e),
    };
    if let Err(e) = signed_in {
        files_http::drain(req.into_body()).await;
        return refused(e);
    }
    let limit = crate::settings::of(&state).max_upload_bytes();
    let too_large =
        || CkanError::TooLarge("upload", format!("File upload too large: at most {} MB", limit / (1024 * 1024)));
    if files_http::declared_too_large(&headers, limit) {
        files_http::drain(req.into_body()).await;
        return refused(too_large().into());
    }
    let form = match files_http::read_form(&state, req, limit).await {
        Ok(form) => form,
        Err(files_http::FormError::TooLarge(_)) => return refused(too_large().into()),
        Err(files_http::FormError::Bad(m)) => return refused(CkanError::BadRequest(m).into()),
        Err(files_http::FormError::Db(e)) => return refused(Failure::Internal(AppError::internal(e))),
    };
    let outcome = act(&state, action, form.params, &headers, request_id, form.upload.as_ref()).await;
    if outcome.is_err()
        && let Some(u) = &form.upload
        && let Err(error) = files::discard(&state.db, &u.staged.part).await
    {
        tracing::warn!(%error, "could not delete a refused upload's chunks (the periodic job will)");
    }
    answer(&state, action.name(), outcome)
}
