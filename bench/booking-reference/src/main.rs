//! The booking benchmark's reference server (bench/booking.sh): lionrock's booking
//! transaction and nothing else, in axum and sqlx: take a place with one conditional
//! UPDATE, insert the booking row, commit. No sign-in, audit, outbox or sealed document.
//!
//!   booking-reference DATABASE_URL [LISTEN]   (or DATABASE_URL in the environment;
//!   LISTEN defaults to 127.0.0.1:0; POOL_SIZE, default 10, as lionrock's database.max_connections;
//!   WRITE_LOCK=1: SQLite writers queue on an in-process mutex, not in SQLite's busy handler)
//!
//! Prints `{"url": "http://…"}` once it listens. SQLite gets lionrock's settings (crates/platform/src/db.rs):
//! WAL, synchronous FULL, foreign keys, 5 s busy timeout, BEGIN IMMEDIATE for writes.
//!   POST /slots {"count": N, "capacity": K}         201 {"slot_ids": [...]}  (setup, one transaction)
//!   POST /book  {"slot_id": "…", "person_id": "…"}  201 {"id", "slot_id", "reference"},
//!                                                   409 …/booking/full, 409 …/booking/duplicate

use std::{str::FromStr, sync::Arc, time::Duration};

use axum::extract::{Json, State};
use axum::http::{StatusCode, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::post};
use serde::Deserialize;
use serde_json::json;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::Mutex;

const SCHEMA: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS slot (id TEXT PRIMARY KEY, capacity INTEGER NOT NULL, taken INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS booking (id TEXT PRIMARY KEY, slot_id TEXT NOT NULL REFERENCES slot (id), \
     person TEXT NOT NULL UNIQUE, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
];
const TAKE_PLACE: &str = "UPDATE slot SET taken = taken + 1 WHERE id = $1 AND taken < capacity";
const INSERT_BOOKING: &str = "INSERT INTO booking (id, slot_id, person) VALUES ($1, $2, $3)";
const INSERT_SLOT: &str = "INSERT INTO slot (id, capacity) VALUES ($1, $2)";

#[derive(Clone)]
enum Db {
    /// With `Some` lock (WRITE_LOCK=1), writers queue in process instead of in SQLite's busy handler.
    Sqlite(SqlitePool, Option<Arc<Mutex<()>>>),
    Postgres(PgPool),
}

/// Runs `$body` with `$tx` a write transaction (BEGIN IMMEDIATE on SQLite, as lionrock's
/// `db::begin_write`; plain BEGIN on PostgreSQL). The SQL is the same on both.
macro_rules! in_write_tx {
    ($db:expr, |$tx:ident| $body:block) => {
        match $db {
            Db::Sqlite(pool, lock) => {
                let _queued = match lock {
                    Some(lock) => Some(lock.lock().await),
                    None => None,
                };
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                $body
            }
            Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                $body
            }
        }
    };
}

#[derive(Deserialize)]
struct Book {
    slot_id: String,
    person_id: String,
}

async fn book(State(db): State<Db>, Json(b): Json<Book>) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    let booked: Result<bool, sqlx::Error> = async {
        in_write_tx!(&db, |tx| {
            if sqlx::query(TAKE_PLACE).bind(&b.slot_id).execute(&mut *tx).await?.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(INSERT_BOOKING).bind(&id).bind(&b.slot_id).bind(&b.person_id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        })
    }
    .await;
    match booked {
        Ok(true) => {
            (StatusCode::CREATED, Json(json!({"id": id, "slot_id": b.slot_id, "reference": id[24..].to_uppercase()})))
                .into_response()
        }
        Ok(false) => problem(StatusCode::CONFLICT, "booking/full"),
        Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
            problem(StatusCode::CONFLICT, "booking/duplicate")
        }
        Err(e) => {
            eprintln!("book: {e}");
            problem(StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}

#[derive(Deserialize)]
struct NewSlots {
    count: u32,
    capacity: i32,
}

async fn slots(State(db): State<Db>, Json(n): Json<NewSlots>) -> Response {
    let ids: Vec<String> = (0..n.count).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let made: Result<(), sqlx::Error> = async {
        in_write_tx!(&db, |tx| {
            for id in &ids {
                sqlx::query(INSERT_SLOT).bind(id).bind(n.capacity).execute(&mut *tx).await?;
            }
            tx.commit().await
        })
    }
    .await;
    match made {
        Ok(()) => (StatusCode::CREATED, Json(json!({"slot_ids": ids}))).into_response(),
        Err(e) => {
            eprintln!("slots: {e}");
            problem(StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}

fn problem(status: StatusCode, slug: &str) -> Response {
    let body = json!({"type": format!("urn:booking-reference:problem/{slug}"), "status": status.as_u16()});
    (status, [(CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .ok_or("usage: booking-reference DATABASE_URL [LISTEN]")?;
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let pool_size = std::env::var("POOL_SIZE").ok().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let timeout = Duration::from_secs(10);
    let db = if url.starts_with("postgres") {
        let pool = PgPoolOptions::new().max_connections(pool_size).min_connections(1).acquire_timeout(timeout);
        Db::Postgres(pool.connect(&url).await?)
    } else {
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_millis(5000));
        let pool = SqlitePoolOptions::new().max_connections(pool_size).min_connections(1).acquire_timeout(timeout);
        let lock = std::env::var("WRITE_LOCK").is_ok_and(|v| v == "1").then(|| Arc::new(Mutex::new(())));
        Db::Sqlite(pool.connect_with(options).await?, lock)
    };
    for ddl in SCHEMA {
        match &db {
            Db::Sqlite(pool, _) => sqlx::query(ddl).execute(pool).await.map(|_| ())?,
            Db::Postgres(pool) => sqlx::query(ddl).execute(pool).await.map(|_| ())?,
        }
    }
    let app = Router::new().route("/book", post(book)).route("/slots", post(slots)).with_state(db);
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("{}", json!({"url": format!("http://{}", listener.local_addr()?)}));
    axum::serve(listener, app).await?;
    Ok(())
}
