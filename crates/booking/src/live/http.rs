//! The public availability page (`/{lang}/booking/{programme}/availability`)
//! and its server-sent events (`GET /api/v1/booking/programmes/{id}/events`).
//! Each programme that someone watches has one hub task: it listens to
//! `SlotChanged` on the event bus (and reads afresh on `Resync`), waits
//! `COALESCE` for more, reads the summary once and hands it to every
//! stream through a watch channel. The hub ends when its last stream does.
//! Streams are counted per server and client address, within `[booking]`'s
//! `live_max_streams` and `live_max_streams_per_client`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use platform::app::AppState;
use platform::error::{AppError, ErrorKind};
use platform::events::Delivery;
use platform::page::PageContext;
use platform::web::ClientInfo;
use tokio::sync::{mpsc, watch};

use super::{COALESCE, CentreFree, KEEPALIVE, MAX_STREAM, Summary};
use crate::bookings::store::SlotChanged;
use crate::programmes::store;

/// Read the summary afresh this often even when nothing is said (the day rolls over).
const REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// The summary of `programme_id` now: free places per centre, today and
/// the next days (at most what each day's quotas have left).
pub(crate) async fn summary(state: &AppState, programme_id: &str) -> Result<Summary, AppError> {
    let centres = store::centres(&state.db, programme_id).await?;
    let ids: Vec<String> = centres.iter().map(|c| c.id.clone()).collect();
    let today = state.today();
    let days: Vec<time::Date> =
        (0..crate::residents::DAYS).map(|n| today.saturating_add(time::Duration::days(n))).collect();
    let from = platform::db::now();
    let to = state.start_of_day(today.saturating_add(time::Duration::days(crate::residents::DAYS)));
    let per_day = store::offered_between(state, &ids, from, to).await?.per_day();
    let centres = centres
        .iter()
        .map(|c| {
            let free = days.iter().map(|d| per_day.get(&(c.id.clone(), *d)).copied().unwrap_or(0)).collect();
            CentreFree { id: c.id.clone(), free }
        })
        .collect();
    Ok(Summary { days: days.iter().map(ToString::to_string).collect(), centres })
}

/// The sending side of a programme's hub.
type HubSender = Arc<watch::Sender<Arc<Summary>>>;

/// The hubs of the programmes being watched, by programme ID.
static HUBS: LazyLock<Mutex<HashMap<String, HubSender>>> = LazyLock::new(Default::default);

/// A stream of `programme_id`'s summaries, starting a hub for it if none runs.
fn watch_programme(state: &AppState, programme_id: &str) -> watch::Receiver<Arc<Summary>> {
    let mut hubs = HUBS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(hub) = hubs.get(programme_id) {
        return hub.subscribe();
    }
    let (tx, rx) = watch::channel(Arc::new(Summary::default()));
    let tx = Arc::new(tx);
    hubs.insert(programme_id.to_owned(), tx.clone());
    tokio::spawn(hub(state.clone(), programme_id.to_owned(), tx));
    rx
}

/// Whether the hub of `programme_id` may end (nobody watches); removes it if so.
fn retire(programme_id: &str, tx: &watch::Sender<Arc<Summary>>) -> bool {
    let mut hubs = HUBS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if tx.receiver_count() > 0 {
        return false;
    }
    hubs.remove(programme_id);
    true
}

async fn hub(state: AppState, programme_id: String, tx: HubSender) {
    let mut events = state.events.subscribe::<SlotChanged>();
    loop {
        match summary(&state, &programme_id).await {
            Ok(s) => {
                tx.send_if_modified(|current| {
                    let changed = **current != s;
                    if changed {
                        *current = Arc::new(s);
                    }
                    changed
                });
            }
            Err(error) => tracing::warn!(error = %error.problem.slug, "live availability: could not read"),
        }
        // Wait for a change of this programme, a resync, the periodic refresh, or nobody left.
        loop {
            tokio::select! {
                delivery = events.next() => match delivery {
                    Delivery::Event(e) if e.programme_id != programme_id => continue,
                    _ => break,
                },
                () = tx.closed() => {
                    if retire(&programme_id, &tx) {
                        return;
                    }
                }
                () = tokio::time::sleep(REFRESH) => break,
            }
        }
        // Coalesce: whatever else arrives meanwhile is read with this one.
        tokio::time::sleep(COALESCE).await;
        while tokio::time::timeout(std::time::Duration::ZERO, events.next()).await.is_ok() {}
    }
}

/// The live streams open on one server: in all, and per client address.
#[derive(Debug, Default)]
struct Open {
    total: u32,
    by_client: HashMap<String, u32>,
}

/// The open streams of each server in this process, by the address of its
/// state in memory (tests run several servers in one process).
static OPEN: LazyLock<Mutex<HashMap<usize, Open>>> = LazyLock::new(Default::default);

/// A stream's place among the open ones: given back when the stream ends
/// (its forwarder task holds it).
#[derive(Debug)]
struct Opened {
    server: usize,
    client: String,
}

impl Drop for Opened {
    fn drop(&mut self) {
        let mut open = OPEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(server) = open.get_mut(&self.server) else { return };
        server.total = server.total.saturating_sub(1);
        if let Some(n) = server.by_client.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                server.by_client.remove(&self.client);
            }
        }
        if server.total == 0 {
            open.remove(&self.server);
        }
    }
}

/// A place for one more stream from `client`, within `[booking]`'s
/// limits: 503 when the server keeps as many as it may, 429 when this
/// client address has its share (the page's plain refresh still works).
fn open_stream(state: &AppState, client: &ClientInfo) -> Result<Opened, AppError> {
    let limits = crate::settings::of(state);
    let server = std::ptr::from_ref::<platform::app::AppInner>(state).addr();
    let key = client.rate_key();
    let mut open = OPEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let here = open.entry(server).or_default();
    if here.total >= limits.live_max_streams {
        tracing::warn!(limit = limits.live_max_streams, "live availability: this server's streams are all taken");
        return Err(AppError::new(ErrorKind::Unavailable)
            .with_detail("this server keeps as many live availability streams open as it may; reload the page"));
    }
    let mine = here.by_client.entry(key.clone()).or_insert(0);
    if *mine >= limits.live_max_streams_per_client {
        tracing::debug!(
            limit = limits.live_max_streams_per_client,
            "live availability: a client's streams are all taken"
        );
        return Err(AppError::rate_limited(RETRY_STREAM.as_secs())
            .with_detail("this address has as many live availability streams open as it may"));
    }
    *mine += 1;
    here.total += 1;
    Ok(Opened { server, client: key })
}

/// Seconds a client refused a stream for its address is told to wait.
const RETRY_STREAM: std::time::Duration = std::time::Duration::from_secs(30);

/// The events of one stream, fed by its forwarder task.
struct Updates(mpsc::Receiver<Event>);

impl futures_core::Stream for Updates {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|e| e.map(Ok))
    }
}

fn event(summary: &Summary) -> Option<Event> {
    Event::default().event("availability").json_data(summary).ok()
}

struct EventProblems;

impl utoipa::IntoResponses for EventProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        platform::openapi::problems(&[
            ErrorKind::NotFound.problem(),
            ErrorKind::RateLimited.problem(),
            ErrorKind::Unavailable.problem(),
        ])
    }
}

/// `GET /api/v1/booking/programmes/{id}/events`: live free places.
/// One server-sent event of the stream, as a client's parser hands it over.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LiveEvent {
    /// `availability`.
    event: String,
    /// JSON text: `{"days": [YYYY-MM-DD, …], "centres": [{"id", "free": [places per day]}]}`.
    data: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/booking/programmes/{id}/events",
    tag = "booking",
    operation_id = "bookingAvailabilityEvents",
    summary = "Free places per centre and day, kept live (server-sent events)",
    description = "Public. A `text/event-stream`: at once and after every change, an `availability` event whose \
        data is `{\"days\": [\"YYYY-MM-DD\", …], \"centres\": [{\"id\": …, \"free\": [places on each day]}]}` for \
        today and the next six local days. Changes close together are sent as one; a comment line every 15 \
        seconds keeps the connection open. The stream ends after ten minutes (EventSource reconnects). A \
        server keeps `booking.live_max_streams` streams open at most (then 503 `unavailable`), and \
        `booking.live_max_streams_per_client` from one client address (then 429 `rate-limited` with \
        `Retry-After`); the availability page still refreshes without them.",
    params(("id" = String, Path, description = "The programme's ID or slug.")),
    responses(
        (status = 200, description = "The event stream.", content_type = "text/event-stream", body = LiveEvent),
        EventProblems
    )
)]
pub(crate) async fn events(
    State(state): State<AppState>,
    client: axum::Extension<ClientInfo>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Some(programme) = store::programme(&state.db, &id).await? else { return Err(AppError::not_found()) };
    let opened = open_stream(&state, &client)?;
    let mut summaries = watch_programme(&state, &programme.id);
    let (tx, rx) = mpsc::channel(4);
    let ends = tokio::time::Instant::now() + MAX_STREAM;
    tokio::spawn(async move {
        // Held while the stream is open; dropped (given back) when it ends.
        let _opened = opened;
        loop {
            let current = summaries.borrow_and_update().clone();
            // The hub's first reading is not in yet: wait for it.
            if !current.days.is_empty() {
                let Some(e) = event(&current) else { return };
                if tx.send(e).await.is_err() {
                    return;
                }
            }
            tokio::select! {
                changed = summaries.changed() => if changed.is_err() { return },
                () = tx.closed() => return,
                () = tokio::time::sleep_until(ends) => return,
            }
        }
    });
    Ok(Sse::new(Updates(rx)).keep_alive(KeepAlive::new().interval(KEEPALIVE)).into_response())
}

struct Row {
    id: String,
    name: String,
    free: Vec<i64>,
}

#[derive(Template)]
#[template(path = "booking_availability.html")]
struct AvailabilityPage<'a> {
    ctx: &'a PageContext,
    programme: String,
    find: String,
    refresh: String,
    events: String,
    days: Vec<String>,
    rows: Vec<Row>,
    updated: String,
    script: String,
}

/// `GET /{lang}/booking/{programme}/availability`: each centre's free
/// places today and the next days; live with JavaScript, a refresh link without.
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Some(programme) = store::programme(&state.db, &id).await? else { return Err(AppError::not_found()) };
    let summary = summary(&state, &programme.id).await?;
    let centres = store::centres(&state.db, &programme.id).await?;
    let rows = centres
        .iter()
        .map(|c| Row {
            id: c.id.clone(),
            name: c.names().get(ctx.lang).to_owned(),
            free: (0..summary.days.len()).map(|i| summary.free(&c.id, i)).collect(),
        })
        .collect();
    let base = format!("{}/{}", crate::residents::PATH, programme.slug);
    let page = AvailabilityPage {
        programme: programme.names().get(ctx.lang).to_owned(),
        find: ctx.href(&base),
        refresh: ctx.href(&format!("{base}/availability")),
        events: format!("/api/v1/booking/programmes/{id}/events", id = programme.id),
        days: summary.days.clone(),
        rows,
        updated: ctx.t_with("booking-live-updated", &[("time", &ctx.local_time(platform::db::now()))]),
        script: ctx.asset("booking-live.js"),
        ctx: &ctx,
    };
    let mut response = ctx.page(StatusCode::OK, "booking-live-title", &page)?;
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(response.into_response())
}
