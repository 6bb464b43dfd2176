//! This server's search index at work: where it is kept (`index_of`), a
//! search after catching up (`find`), the worker that follows the change
//! sequence (`follow`) and a rebuild (`rebuild`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use platform::app::{AppState, Shutdown};

use super::index::{IndexError, Place, SearchIndex};
use super::{Field, Query};
use crate::catalogue::store as catalogue;
use crate::catalogue::{Changed, Dataset};

/// This server's index: under the data directory, or in memory when the
/// settings say so or the directory cannot be had (another process holds
/// it); made on first use.
pub fn index_of(state: &AppState) -> Arc<Result<SearchIndex, String>> {
    state.extension(|state| {
        if crate::settings::of(state).search_in_memory {
            return SearchIndex::open(Place::Memory).map_err(|e| e.to_string());
        }
        let dir = crate::settings::index_dir(&state.config);
        SearchIndex::open(Place::Directory(&dir)).or_else(|error| {
            tracing::error!(%error, dir = %dir.display(), "search index kept in memory instead");
            SearchIndex::open(Place::Memory).map_err(|e| e.to_string())
        })
    })
}

/// Why a search could not be answered (the operator's problem, not the reader's).
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// A page of datasets a search found, with its count and facets.
#[derive(Debug)]
pub struct Found {
    pub count: usize,
    pub results: Vec<Dataset>,
    pub facets: BTreeMap<Field, Vec<(String, usize)>>,
}

/// Runs `query` for a reader who publishes for the organisations
/// `publishes` (IDs), after the index has caught up with the database.
pub async fn find(state: &AppState, query: &Query, publishes: &[String]) -> Result<Found, SearchError> {
    let shared = index_of(state);
    let index = shared.as_ref().as_ref().map_err(|e| SearchError::Unavailable(e.clone()))?;
    index.catch_up(&state.db).await?;
    let hits = index.search(query, publishes)?;
    let mut results = catalogue::datasets_by_ids(&state.db, &hits.ids).await?;
    // The rows as they are now, not as indexed: a dataset made private or
    // a draft since the catch-up is not shown to those who may not see it.
    let before = results.len();
    results.retain(|d| crate::catalogue::visible(d.state, d.private, publishes.contains(&d.organisation.id)));
    if results.len() < before {
        tracing::info!(dropped = before - results.len(), "search: results hidden since they were indexed");
    }
    Ok(Found { count: hits.count, results, facets: hits.facets })
}

/// How often a server's index looks for changes it was not told of.
const ROUND: Duration = Duration::from_secs(5);

/// Keeps this server's index following the change sequence: at once when
/// any server announces a change, and every few seconds in case an
/// announcement was lost.
pub async fn follow(state: AppState, mut shutdown: Shutdown) {
    let shared = index_of(&state);
    let Ok(index) = shared.as_ref() else {
        // Searches answer the error; nothing to follow.
        return shutdown.wait().await;
    };
    let mut changes = state.events.subscribe::<Changed>();
    loop {
        if let Err(error) = index.catch_up(&state.db).await {
            tracing::warn!(%error, "search index catch-up failed");
        }
        tokio::select! {
            _ = changes.next() => {}
            () = tokio::time::sleep(ROUND) => {}
            () = shutdown.wait() => return,
        }
    }
}

/// Rebuilds `index` from the catalogue, `batch` datasets at a time,
/// calling `progress(done, total)` after each batch.
pub async fn rebuild(
    db: &impl sea_orm::ConnectionTrait,
    index: &SearchIndex,
    batch: u64,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, SearchError> {
    // Changes made while the rebuild reads are after this number: the
    // next catch-up applies them again, so none is lost.
    let head = catalogue::change_head(db).await?;
    let total = catalogue::dataset_count(db).await?;
    index.clear()?;
    let (mut done, mut after) = (0, String::new());
    loop {
        let ids = catalogue::dataset_ids_after(db, &after, batch).await?;
        let Some(last) = ids.last() else { break };
        after = last.clone();
        let datasets = catalogue::datasets_by_ids(db, &ids).await?;
        index.replace(&ids, &datasets, 0)?;
        done += ids.len() as u64;
        progress(done, total);
    }
    index.set_applied(head)?;
    Ok(done)
}
