//! The event bus: typed events that one part of lionrock publishes and
//! others react to, on every server. On PostgreSQL events travel through
//! `LISTEN/NOTIFY`, so a change made on one server wakes waiters on all of
//! them; on SQLite (one server) they are an in-process broadcast.
//!
//! Events are hints, not records: they carry identifiers, never personal
//! data, and a subscriber re-reads the database when woken. Delivery is at
//! most once, so a subscriber that may have missed events (its queue
//! overflowed, or the listening connection was lost and re-made) is told to
//! [`Delivery::Resync`]: read the state afresh.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use tokio::sync::broadcast;

use crate::app::{AppState, Shutdown};

/// An event type. Its `TOPIC` is stable across releases (servers of two
/// versions may share a database during a rolling upgrade).
pub trait Event: Serialize + DeserializeOwned + Send + 'static {
    /// Dotted name, e.g. `identity.app_sign_in_decided`.
    const TOPIC: &'static str;
}

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery<E> {
    Event(E),
    /// Events may have been missed: re-read whatever state you wait on.
    Resync,
}

/// An event as it travels: its topic, its JSON, and the server it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Envelope {
    topic: String,
    origin: String,
    payload: serde_json::Value,
}

#[derive(Debug, Clone)]
enum Local {
    Event(Arc<Envelope>),
    Resync,
}

/// NOTIFY payloads must stay under 8000 bytes; events carry identifiers only.
const MAX_PAYLOAD: usize = 7000;
/// Events a slow subscriber may fall behind before it is told to resync.
const QUEUE: usize = 1024;

/// Why an event could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("event {topic} is {size} bytes; events carry identifiers, at most {MAX_PAYLOAD} bytes")]
    TooLarge { topic: &'static str, size: usize },
    #[error("event {topic} cannot be encoded: {source}")]
    Encode { topic: &'static str, source: serde_json::Error },
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<PublishError> for crate::error::AppError {
    fn from(e: PublishError) -> Self {
        crate::error::AppError::internal(e)
    }
}

/// One server's end of the bus.
pub struct Bus {
    local: broadcast::Sender<Local>,
    /// This server's random name, so it skips its own notifications.
    origin: String,
    /// The PostgreSQL channel (`lionrock_` and a hash of the schema), found on first use.
    channel: OnceLock<String>,
    listening: AtomicBool,
    /// Events waiting for the next `pg_notify` round trip, and whether one is under way.
    outgoing: Arc<Mutex<Vec<String>>>,
    sending: Arc<AtomicBool>,
}

impl Default for Bus {
    fn default() -> Self {
        Self {
            local: broadcast::channel(QUEUE).0,
            origin: hex::encode(crate::crypto::random_bytes::<8>()),
            channel: OnceLock::new(),
            listening: AtomicBool::new(false),
            outgoing: Arc::default(),
            sending: Arc::default(),
        }
    }
}

impl Bus {
    /// Publishes `event` to subscribers on this server at once and, on
    /// PostgreSQL, to every other server. Call it after the change the
    /// event announces has been committed.
    pub async fn publish<E: Event>(&self, db: &DatabaseConnection, event: &E) -> Result<(), PublishError> {
        let payload = serde_json::to_value(event).map_err(|source| PublishError::Encode { topic: E::TOPIC, source })?;
        let envelope = Envelope { topic: E::TOPIC.to_owned(), origin: self.origin.clone(), payload };
        let text =
            serde_json::to_string(&envelope).map_err(|source| PublishError::Encode { topic: E::TOPIC, source })?;
        if text.len() > MAX_PAYLOAD {
            return Err(PublishError::TooLarge { topic: E::TOPIC, size: text.len() });
        }
        // No subscriber is not an error.
        let _ = self.local.send(Local::Event(Arc::new(envelope)));
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let channel = self.channel(db).await?;
            self.notify_others(db, channel, text);
        }
        metrics::counter!("events_published_total", "topic" => E::TOPIC).increment(1);
        Ok(())
    }

    /// Queues `text` for the other servers and, unless a round trip is
    /// already under way, starts one. Events published while it is under
    /// way go together in the next (the same event only once): one
    /// statement, one transaction for many `pg_notify`s, so a rush of
    /// bookings does not send one NOTIFY transaction each (PostgreSQL
    /// serialises notifying commits). Nothing waits for it: a failure is
    /// logged and those events are lost, which their subscribers' resync
    /// on reconnect covers as for any missed event.
    fn notify_others(&self, db: &DatabaseConnection, channel: String, text: String) {
        {
            let mut outgoing = self.outgoing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if outgoing.len() >= QUEUE {
                metrics::counter!("events_dropped_total").increment(1);
                return;
            }
            if !outgoing.contains(&text) {
                outgoing.push(text);
            }
        }
        if self.sending.swap(true, Ordering::AcqRel) {
            return; // The round trip under way takes it next.
        }
        let (db, outgoing, sending) = (db.clone(), self.outgoing.clone(), self.sending.clone());
        tokio::spawn(async move {
            loop {
                let batch = std::mem::take(&mut *outgoing.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
                if batch.is_empty() {
                    sending.store(false, Ordering::Release);
                    // An event queued between the take and the store finds
                    // `sending` still set and leaves it to us: look again.
                    let more = !outgoing.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_empty();
                    if more && !sending.swap(true, Ordering::AcqRel) {
                        continue;
                    }
                    return;
                }
                let rows: Vec<String> = (0..batch.len()).map(|i| format!("(${})", i + 2)).collect();
                let sql = format!("SELECT pg_notify($1, payload) FROM (VALUES {}) AS v (payload)", rows.join(", "));
                let values = std::iter::once(channel.clone().into()).chain(batch.into_iter().map(Into::into));
                let sent = db.execute_raw(Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)).await;
                if let Err(error) = sent {
                    tracing::warn!(%error, "could not notify other servers of events");
                }
            }
        });
    }

    /// Events of type `E` published from now on, here or on other servers.
    pub fn subscribe<E: Event>(&self) -> Subscription<E> {
        Subscription { rx: self.local.subscribe(), _event: PhantomData }
    }

    /// On PostgreSQL: whether this server is listening for other servers'
    /// events (a fresh server needs a moment; `/readyz` shows it).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    /// One channel per schema, so installs sharing a database stay apart.
    async fn channel(&self, db: &DatabaseConnection) -> Result<String, DbErr> {
        if let Some(c) = self.channel.get() {
            return Ok(c.clone());
        }
        let row = db
            .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, "SELECT current_schema() AS s"))
            .await?
            .ok_or_else(|| DbErr::Custom("current_schema() returned nothing".to_owned()))?;
        let schema: String = row.try_get("", "s")?;
        // A hash of the schema: a channel name must fit in 63 bytes, and two
        // long schema names must never share one.
        let digest = hex::encode(&sha2::Sha256::digest(schema.as_bytes())[..12]);
        Ok(self.channel.get_or_init(|| format!("lionrock_{digest}")).clone())
    }

    fn resync(&self) {
        let _ = self.local.send(Local::Resync);
    }
}

/// A subscriber's queue of events of one type.
pub struct Subscription<E> {
    rx: broadcast::Receiver<Local>,
    _event: PhantomData<fn() -> E>,
}

impl<E: Event> Subscription<E> {
    /// The next event of type `E`, or `Resync` when some may have been missed.
    pub async fn next(&mut self) -> Delivery<E> {
        loop {
            match self.rx.recv().await {
                Ok(Local::Event(envelope)) if envelope.topic == E::TOPIC => {
                    match serde_json::from_value(envelope.payload.clone()) {
                        Ok(event) => return Delivery::Event(event),
                        Err(error) => {
                            // A newer server's event shape during an upgrade: wake up and re-read.
                            tracing::warn!(topic = E::TOPIC, %error, "undecodable event");
                            return Delivery::Resync;
                        }
                    }
                }
                Ok(Local::Event(_)) => {}
                Ok(Local::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => return Delivery::Resync,
                // The bus lives as long as the server; a closed bus never delivers again.
                Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    }
}

/// The listener for other servers' events (PostgreSQL only): `LISTEN` on
/// this install's channel on a connection of its own, and hand each
/// notification to this server's subscribers. A lost connection is made
/// again and subscribers are told to resync; an error ends the run (the
/// supervisor restarts it).
pub async fn listen(state: AppState, mut shutdown: Shutdown) {
    if let Err(error) = listen_until_error(&state, &mut shutdown).await {
        tracing::warn!(%error, "event listener failed");
    }
    state.events.listening.store(false, Ordering::Relaxed);
}

async fn listen_until_error(state: &AppState, shutdown: &mut Shutdown) -> Result<(), DbErr> {
    use sea_orm::sqlx::postgres::PgListener;
    let bus = &state.events;
    let channel = bus.channel(&state.db).await?;
    let pool = state.db.get_postgres_connection_pool();
    let sql = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("event listener: {e}"));
    let mut listener = PgListener::connect_with(pool).await.map_err(sql)?;
    listener.ignore_pool_close_event(true);
    listener.listen(&channel).await.map_err(sql)?;
    bus.listening.store(true, Ordering::Relaxed);
    // Events published while this server was not listening were missed.
    bus.resync();
    loop {
        let received = tokio::select! {
            r = listener.try_recv() => r.map_err(sql)?,
            () = shutdown.wait() => return Ok(()),
        };
        let Some(notification) = received else {
            tracing::warn!("event listener lost its connection; reconnected");
            bus.resync();
            continue;
        };
        match serde_json::from_str::<Envelope>(notification.payload()) {
            Ok(envelope) if envelope.origin == bus.origin => {}
            Ok(envelope) => {
                metrics::counter!("events_received_total").increment(1);
                let _ = bus.local.send(Local::Event(Arc::new(envelope)));
            }
            Err(error) => tracing::warn!(%error, "ignoring a notification that is not an event"),
        }
    }
}
