//! The exports at the root, outside `/api` (harvesters look for them
//! there): `GET /catalog.ttl` and `GET /catalog.jsonld` (DCAT-AP, a page
//! of 1000 datasets per `?page=N` with hydra links to the others) and
//! `GET /data.json` (DCAT-US 1.1, the whole public catalogue streamed a
//! page at a time). A bad or past-the-end `page` is a plain-text 400 or 404.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::app::AppState;
use platform::i18n::Lang;

use super::{Page, PageProblem, Site, store};
use crate::catalogue::Texts;

pub const TURTLE: &str = "/catalog.ttl";
pub const JSON_LD: &str = "/catalog.jsonld";
pub const DATA_JSON: &str = "/data.json";

pub fn routes() -> Router<AppState> {
    Router::new().route(TURTLE, get(turtle)).route(JSON_LD, get(json_ld)).route(DATA_JSON, get(data_json))
}

fn site(state: &AppState) -> Site {
    let text = |key: &str| {
        Texts::new(
            state.catalog.text(Lang::En, key),
            state.catalog.text(Lang::ZhHk, key),
            state.catalog.text(Lang::ZhCn, key),
        )
    };
    Site { base: state.public_url(), title: text("opendata-dcat-title"), description: text("opendata-service-summary") }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

fn internal(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "catalogue export failed");
    plain(StatusCode::INTERNAL_SERVER_ERROR, "The catalogue could not be read; try again later.\n")
}

/// The page the query asks for and its datasets, as a graph.
async fn page_graph(state: &AppState, query: Option<&str>, document: &str) -> Result<super::Graph, Response> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
    let asked = pairs.iter().find(|(k, _)| k == "page").map(|(_, v)| v.as_str());
    let total = store::public_count(&state.db).await.map_err(internal)?;
    let page = Page::parse(asked, total).map_err(|p| match p {
        PageProblem::NotANumber => plain(StatusCode::BAD_REQUEST, "page: a whole number from 1\n"),
        PageProblem::PastTheEnd => plain(StatusCode::NOT_FOUND, "page: past the last page of the catalogue\n"),
    })?;
    let datasets = store::public_page(&state.db, page.offset(), super::PAGE_SIZE).await.map_err(internal)?;
    Ok(super::catalogue_page(&site(state), page, document, &datasets))
}

async fn turtle(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    match page_graph(&state, query.as_deref(), TURTLE).await {
        Ok(graph) => ([(header::CONTENT_TYPE, "text/turtle; charset=utf-8")], graph.turtle()).into_response(),
        Err(response) => response,
    }
}

async fn json_ld(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    match page_graph(&state, query.as_deref(), JSON_LD).await {
        Ok(graph) => ([(header::CONTENT_TYPE, "application/ld+json")], graph.json_ld().to_string()).into_response(),
        Err(response) => response,
    }
}

/// Pieces of a body a task writes while the client reads.
struct Chunks(tokio::sync::mpsc::Receiver<Result<String, std::io::Error>>);

impl futures_core::Stream for Chunks {
    type Item = Result<String, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

async fn data_json(State(state): State<AppState>) -> Response {
    let site = site(&state);
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        let mut head = super::data_json_head(&site).to_string();
        head.pop();
        head.push_str(",\"dataset\":[");
        if tx.send(Ok(head)).await.is_err() {
            return;
        }
        let mut after = String::new();
        let mut first = true;
        loop {
            let (last, page) = match store::public_after(&state.db, &after, super::PAGE_SIZE).await {
                Ok(read) => read,
                Err(error) => {
                    tracing::error!(%error, "data.json export failed");
                    let _ = tx.send(Err(std::io::Error::other("catalogue read failed"))).await;
                    return;
                }
            };
            let Some(last) = last else { break };
            after = last;
            let mut chunk = String::new();
            for d in &page {
                if !first {
                    chunk.push(',');
                }
                first = false;
                chunk.push_str(&super::data_json_dataset(&site, d).to_string());
            }
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
        let _ = tx.send(Ok("]}".to_owned())).await;
    });
    ([(header::CONTENT_TYPE, "application/json")], Body::from_stream(Chunks(rx))).into_response()
}
