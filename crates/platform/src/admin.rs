//! The administrators' JSON API: the notification outbox, paged newest
//! first. Like the page `/{lang}/admin/outbox`, it shows a message's text
//! only when the development sink received it, never one a real transport
//! sent (it can hold one-time codes and personal data).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;

use crate::app::AppState;
use crate::error::{AppError, ErrorKind};
use crate::paging::{Cursor, PageQuery};
use crate::principal::{Admin, Require};

/// The path of the outbox list.
pub const OUTBOX_PATH: &str = "/api/v1/admin/outbox";

/// A notification in the outbox.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxMessage {
    /// The message's ID (UUIDv7).
    #[schema(format = "uuid")]
    pub id: String,
    /// How it travels: `email`, `sms` or `dev`.
    pub channel: String,
    /// The address or number it goes to.
    pub recipient: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Delivery attempts so far.
    #[schema(minimum = 0)]
    pub attempts: i32,
    /// When it was enqueued (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When it was delivered, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<OffsetDateTime>,
    /// The last delivery error, if any.
    pub last_error: Option<String>,
    /// The subject, only for messages the development sink received.
    pub subject: Option<String>,
    /// The text, only for messages the development sink received.
    pub body: Option<String>,
}

/// One page of the outbox.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxPage {
    /// Messages, newest first.
    pub items: Vec<OutboxMessage>,
    /// The cursor of the next page, or null on the last page.
    pub next: Option<String>,
}

struct OutboxListProblems;

impl utoipa::IntoResponses for OutboxListProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        crate::openapi::problems(&[
            ErrorKind::BadRequest.problem(),
            ErrorKind::Unauthenticated.problem(),
            ErrorKind::Forbidden.problem(),
        ])
    }
}

/// `GET /api/v1/admin/outbox`: notifications, newest first, for administrators.
#[utoipa::path(
    get,
    path = "/api/v1/admin/outbox",
    tag = "admin",
    operation_id = "listOutbox",
    summary = "List notifications in the outbox, newest first",
    description = "For administrators. Paged by cursor: follow `next` (or the `Link` header) until it is null. \
        Messages added while paging sort before the first page, so a walk neither repeats nor skips one. \
        A message's subject and text are shown only when the development sink received it.",
    params(PageQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of messages.", body = OutboxPage,
            headers(("Link" = String, description = "RFC 8288 link to the next page: `<URL>; rel=\"next\"`; absent on the last page."))),
        OutboxListProblems
    )
)]
pub(crate) async fn outbox_list(
    State(state): State<AppState>,
    _admin: Require<Admin>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let page = query.parse()?;
    let mut rows = crate::outbox::page_newest_first(&state.db, page.limit, page.after.as_ref()).await?;
    let more = rows.len() as u64 > page.limit;
    rows.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
    let next = if more { rows.last().map(|m| Cursor { at: m.created_at, id: m.id.clone() }.encode()) } else { None };
    let items = rows
        .into_iter()
        .map(|m| {
            let dev = crate::outbox::goes_to_dev_sink(&state.config, &m.channel);
            OutboxMessage {
                subject: if dev { m.subject } else { None },
                body: dev.then_some(m.body),
                id: m.id,
                channel: m.channel,
                recipient: m.recipient,
                status: m.status,
                attempts: m.attempts,
                created_at: m.created_at,
                sent_at: m.sent_at,
                last_error: m.last_error,
            }
        })
        .collect();
    let link = next.as_deref().and_then(|c| crate::paging::next_link(&state.public_url(), OUTBOX_PATH, page.limit, c));
    let mut response = Json(OutboxPage { items, next }).into_response();
    if let Some(link) = link {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}
