//! A harvest run against a remote CKAN's Action API (reqwest): every call
//! with a time limit and a size cap, its answer checked to be CKAN's
//! envelope. A source that cannot be read (unreachable, slow, too large,
//! not JSON, not CKAN) stops the run with one line and changes nothing
//! more; a dataset that cannot be harvested is reported and the rest are.

use std::collections::HashSet;
use std::time::Duration;

use platform::app::AppState;
use serde_json::Value;

use super::store::{self, Written};
use super::{Failed, LIST_LIMIT, MAX_RESPONSE_BYTES, Remote, Report, SourceUrl};
use crate::catalogue::store::{self as catalogue, Actor, WriteError};

/// Why a run stopped: one line for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RunError(pub String);

/// A page of a source's search at most; a guard against a source that
/// never ends its list (100 rows a page: a million datasets).
const MAX_PAGES: u64 = 10_000;

/// How to reach a source.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: Duration::from_secs(30), max_bytes: MAX_RESPONSE_BYTES }
    }
}

/// One Action API call: the `result`, or why not in one line.
async fn call(http: &reqwest::Client, url: &str, limits: Limits) -> Result<Value, RunError> {
    let fail = |why: String| RunError(format!("{url}: {why}"));
    let mut response = http.get(url).send().await.map_err(|e| fail(describe(&e)))?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(describe(&e)))? {
        if body.len() + chunk.len() > limits.max_bytes {
            return Err(fail(format!("the answer is larger than {} bytes", limits.max_bytes)));
        }
        body.extend_from_slice(&chunk);
    }
    let json: Value = serde_json::from_slice(&body)
        .map_err(|e| fail(format!("the answer (HTTP {}) is not JSON: {e}", status.as_u16())))?;
    super::result_of(&json).cloned().map_err(fail)
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        // reqwest's own words, without the URL it repeats.
        e.to_string()
    }
}

/// Harvests `url` into `organisation` (a name or ID; `None`: each dataset
/// goes to an organisation of the source's name, made when missing).
pub async fn harvest(
    state: &AppState,
    url: &str,
    organisation: Option<&str>,
    limits: Limits,
) -> Result<Report, RunError> {
    let url = SourceUrl::parse(url).map_err(|e| RunError(format!("{url}: {e}")))?;
    let actor = Actor { id: "harvest".to_owned(), request_id: None };
    let db_fail = |e: sea_orm::DbErr| RunError(format!("database: {e}"));
    let owner = match organisation {
        Some(key) => Some(
            catalogue::organisation(&state.db, key)
                .await
                .map_err(db_fail)?
                .ok_or_else(|| RunError(format!("{key}: no such organisation")))?,
        ),
        None => None,
    };
    let http = reqwest::Client::builder()
        .timeout(limits.timeout)
        .connect_timeout(limits.timeout)
        .user_agent(concat!("lionrock-harvest/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| RunError(format!("HTTP client: {e}")))?;
    // Is it a CKAN at all? Asked before anything is recorded of it.
    call(&http, &url.status(), limits).await?;
    let source = store::source_for(state, url.as_str(), owner.as_ref().map(|o| o.id.as_str()), &actor)
        .await
        .map_err(write_fail)?;
    let owner_name = match &source.organisation_id {
        Some(id) => Some(
            catalogue::organisation(&state.db, id)
                .await
                .map_err(db_fail)?
                .ok_or_else(|| RunError("the source's organisation is gone".to_owned()))?
                .name,
        ),
        None => None,
    };
    let old_mark = match source.high_water.as_deref() {
        Some(m) => super::remote_of(&serde_json::json!({"id": "-", "name": "-", "metadata_modified": m})).ok(),
        None => None,
    };
    let mut report = Report { source: url.as_str().to_owned(), ..Report::default() };
    let (mut newest, mut oldest_failed): (Option<Remote>, Option<Remote>) = (None, None);
    let mut start = 0;
    'pages: for _ in 0..MAX_PAGES {
        let page = call(&http, &url.search(start), limits).await?;
        let results = page
            .get("results")
            .and_then(Value::as_array)
            .ok_or_else(|| RunError(format!("{}: package_search's result has no results list", url.as_str())))?;
        for package in results {
            let remote = match super::remote_of(package) {
                Ok(r) => r,
                Err(reason) => {
                    let name = package.get("name").and_then(Value::as_str).unwrap_or("?").to_owned();
                    report.failures.push(Failed { name, reason });
                    continue;
                }
            };
            if old_mark.as_ref().is_some_and(|m| remote.modified_at < m.modified_at) {
                break 'pages;
            }
            if newest.as_ref().is_none_or(|n| remote.modified_at > n.modified_at) {
                newest = Some(remote.clone());
            }
            match one(state, &source.id, owner_name.as_deref(), package, &remote, &actor).await {
                Ok(Some(Written::Created)) => report.created += 1,
                Ok(Some(Written::Updated)) => report.updated += 1,
                Ok(None) => report.unchanged += 1,
                Err(reason) => {
                    if oldest_failed.as_ref().is_none_or(|f| remote.modified_at < f.modified_at) {
                        oldest_failed = Some(remote.clone());
                    }
                    report.failures.push(Failed { name: remote.name.clone(), reason });
                }
            }
        }
        // A source may cap `rows` below ours: step by what it gave, up to its count.
        let count = page.get("count").and_then(Value::as_u64).unwrap_or(0);
        start += results.len() as u64;
        if results.is_empty() || start >= count {
            break;
        }
    }
    report.deleted = deletions(state, &http, &url, &source.id, limits, &actor).await?;
    report.failed = report.failures.len() as u64;
    report.high_water =
        super::next_high_water(old_mark.as_ref(), newest.as_ref(), oldest_failed.as_ref()).map(|r| r.modified.clone());
    store::finish(state, &source.id, &report, &actor).await.map_err(write_fail)?;
    Ok(report)
}

fn write_fail(e: WriteError) -> RunError {
    match e {
        WriteError::Invalid(errors) => {
            RunError(errors.iter().map(|(f, m)| format!("{f}: {}", m.join(", "))).collect::<Vec<_>>().join("; "))
        }
        WriteError::NotFound => RunError("not found".to_owned()),
        WriteError::Db(e) => RunError(format!("database: {e}")),
    }
}

/// One remote dataset: created, updated, or `None` when our copy already
/// has this change; else why not.
async fn one(
    state: &AppState,
    source_id: &str,
    owner: Option<&str>,
    package: &Value,
    remote: &Remote,
    actor: &Actor,
) -> Result<Option<Written>, String> {
    let link = store::link(&state.db, source_id, &remote.id).await.map_err(|e| format!("database: {e}"))?;
    if link.as_ref().is_some_and(|l| l.remote_modified == remote.modified) {
        return Ok(None);
    }
    let owner = match owner {
        Some(name) => name.to_owned(),
        None => mirror_organisation(state, package, actor).await?,
    };
    let input = super::dataset_input(package, &owner)?;
    match store::save(state, source_id, remote, &input, link.as_ref(), actor).await {
        Ok(w) => Ok(Some(w)),
        Err(WriteError::Invalid(errors)) if errors.contains_key("name") && link.is_none() => {
            Err(format!("the name {} is taken here by a dataset not harvested from this source", input.name))
        }
        Err(WriteError::NotFound) => Err("our copy was deleted here; it is not brought back".to_owned()),
        Err(e) => Err(write_fail(e).0),
    }
}

/// The organisation of the source's name for a package, made when missing.
async fn mirror_organisation(state: &AppState, package: &Value, actor: &Actor) -> Result<String, String> {
    let (name, title) =
        super::organisation_of(package).ok_or("the package names no organisation (harvest with --organisation)")?;
    if catalogue::organisation(&state.db, &name).await.map_err(|e| format!("database: {e}"))?.is_some() {
        return Ok(name);
    }
    match catalogue::create_organisation(state, &name, title, Default::default(), actor).await {
        Ok(o) => Ok(o.name),
        Err(e) => Err(format!("organisation {name}: {}", write_fail(e).0)),
    }
}

/// Marks deleted what the source no longer lists; the count. The whole
/// list is read first: a source that fails half-way deletes nothing.
async fn deletions(
    state: &AppState,
    http: &reqwest::Client,
    url: &SourceUrl,
    source_id: &str,
    limits: Limits,
    actor: &Actor,
) -> Result<u64, RunError> {
    let mut present = HashSet::new();
    let mut offset = 0;
    for _ in 0..MAX_PAGES {
        let page = call(http, &url.list(offset), limits).await?;
        let names = page.as_array().ok_or_else(|| RunError(format!("{}: package_list is not a list", url.as_str())))?;
        present.extend(names.iter().filter_map(Value::as_str).map(str::to_owned));
        // Fewer than asked is the end; more means the source ignores paging and gave all.
        if names.len() as u64 != LIST_LIMIT {
            break;
        }
        offset += LIST_LIMIT;
    }
    let gone = store::gone(&state.db, source_id, &present).await.map_err(|e| RunError(format!("database: {e}")))?;
    let mut deleted = 0;
    for link in gone {
        store::delete(state, &link, actor).await.map_err(write_fail)?;
        deleted += 1;
    }
    Ok(deleted)
}
