//! Concurrency is the heart of booking: many clients at once against few
//! places get exactly as many confirmations as places and clear "full"
//! answers for the rest, on SQLite and PostgreSQL, through one server or
//! two on one database; the same Idempotency-Key sent in parallel books once.

use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::{Backend, TestApp, TestClient};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::{availability, builder, hkid, import, problem, resident, send, slots, testing_plan};

const CLIENTS: u32 = 200;
const PLACES: u32 = 50;

/// `CLIENTS` residents, spread over `apps` round-robin, each with their own document.
async fn rush(apps: &[&TestApp], slot: &str, first_document: u32) -> (usize, usize, Vec<(u16, String)>) {
    let mut clients: Vec<(TestClient, String)> = Vec::new();
    for n in 0..CLIENTS {
        let app = apps[n as usize % apps.len()];
        let (_, client) = resident(app, IdentityLevel::Basic, None).await;
        clients.push((client, hkid(first_document + n)));
    }
    // Everyone fetches their CSRF token first, so the bookings go out together.
    let mut ready = Vec::new();
    for (client, document) in clients {
        let token = client.csrf_token().await;
        ready.push((client, document, token));
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(ready.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for (client, document, token) in ready {
        let slot = slot.to_owned();
        let barrier = barrier.clone();
        tasks.spawn(async move {
            let body = json!({"slot_id": slot, "document": {"kind": "hkid", "number": document}});
            let send = || {
                client
                    .http
                    .post(client.url("/api/v1/booking/bookings"))
                    .header(platform::web::CSRF_HEADER, &token)
                    .json(&body)
            };
            barrier.wait().await;
            // As a real client does, try again after a 503's Retry-After
            // (a server whose pool stayed busy says so rather than fail).
            let mut answer = problem_or_created(send().send().await.unwrap()).await;
            for _ in 0..30 {
                if answer.0 != 503 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                answer = problem_or_created(send().send().await.unwrap()).await;
            }
            answer
        });
    }
    let (mut created, mut full, mut other) = (0, 0, Vec::new());
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            (201, _) => created += 1,
            (409, kind) if kind == "booking/full" => full += 1,
            answer => other.push(answer),
        }
    }
    (created, full, other)
}

async fn problem_or_created(response: reqwest::Response) -> (u16, String) {
    if response.status() == 201 {
        return (201, String::new());
    }
    let (status, kind, _) = problem(response).await;
    (status, kind)
}

/// Rows that hold places in the slot, and the slot's own count, read from the database.
async fn ledger(app: &TestApp, slot: &str) -> (i64, i64) {
    let db = app.db();
    let backend = db.get_database_backend();
    let count = |sql: &str| Statement::from_sql_and_values(backend, sql, [slot.into()]);
    let placeholder = if backend == sea_orm::DatabaseBackend::Postgres { "$1" } else { "?" };
    let rows = db
        .query_one_raw(count(&format!(
            "SELECT COUNT(*) AS n FROM booking_booking WHERE slot_id = {placeholder} AND status <> 'cancelled'"
        )))
        .await
        .unwrap()
        .unwrap();
    let taken = db
        .query_one_raw(count(&format!("SELECT taken AS n FROM booking_slot WHERE id = {placeholder}")))
        .await
        .unwrap()
        .unwrap();
    let n =
        |row: sea_orm::QueryResult| row.try_get::<i64>("", "n").or_else(|_| row.try_get::<i32>("", "n").map(i64::from));
    (n(rows).unwrap(), n(taken).unwrap())
}

async fn two_hundred_clients_against_fifty_places_get_fifty_confirmations(backend: Backend) {
    let app = builder(backend).spawn().await;
    import(&app, &testing_plan(PLACES)).await;
    let slot = slots(&availability(&app.client(), "community-testing").await)[0].0.clone();
    let (created, full, other) = rush(&[&app], &slot, 1000).await;
    assert_eq!((created, full), (PLACES as usize, (CLIENTS - PLACES) as usize), "other answers: {other:?}");
    assert_eq!(ledger(&app, &slot).await, (i64::from(PLACES), i64::from(PLACES)));
    assert_eq!(slots(&availability(&app.client(), "community-testing").await)[0].2, 0);
    // Every confirmation is audited, and the rush left the chain whole.
    let report = platform::audit::verify(app.db(), &app.state.keys, None).await.unwrap();
    assert!(report.ok, "{report:?}");
    let audited = app
        .db()
        .query_one_raw(Statement::from_string(
            app.db().get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'booking.book'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(audited, i64::from(PLACES));
}
both_backends!(two_hundred_clients_against_fifty_places_get_fifty_confirmations);

/// Two lionrock servers on one PostgreSQL share the places: still exactly fifty.
#[tokio::test]
async fn two_servers_on_one_postgres_never_overbook() {
    if platform::testkit::service_env(platform::testkit::POSTGRES_ENV, "PostgreSQL").is_none() {
        return;
    }
    let first = builder(Backend::Postgres).spawn().await;
    let second = builder(Backend::Postgres).same_database_as(&first).spawn().await;
    import(&first, &testing_plan(PLACES)).await;
    let slot = slots(&availability(&second.client(), "community-testing").await)[0].0.clone();
    let (created, full, other) = rush(&[&first, &second], &slot, 2000).await;
    assert_eq!((created, full), (PLACES as usize, (CLIENTS - PLACES) as usize), "other answers: {other:?}");
    assert_eq!(ledger(&second, &slot).await, (i64::from(PLACES), i64::from(PLACES)));
}

async fn the_same_idempotency_key_sent_at_once_books_once(backend: Backend) {
    let app = spawn_lifted(backend).await;
    import(&app, &testing_plan(PLACES)).await;
    let slot = slots(&availability(&app.client(), "community-testing").await)[0].0.clone();
    let (_, client) = resident(&app, IdentityLevel::Basic, None).await;
    let body = json!({"slot_id": slot, "document": {"kind": "hkid", "number": hkid(3000)}});
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (client, body) = (client.clone(), body.clone());
        tasks.spawn(async move {
            let response = send(&client, Method::POST, "/api/v1/booking/bookings", Some(&body), Some("rush-1")).await;
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body)
        });
    }
    let mut ids = Vec::new();
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.unwrap();
        match status {
            201 => ids.push(body["id"].as_str().unwrap().to_owned()),
            409 => assert_eq!(body["type"], "urn:lionrock:problem:idempotency-key-in-progress", "{body}"),
            _ => panic!("unexpected answer {status}: {body}"),
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one booking, however often it is answered");
    assert_eq!(ledger(&app, &slot).await, (1, 1));
}
both_backends!(the_same_idempotency_key_sent_at_once_books_once);

async fn spawn_lifted(backend: Backend) -> TestApp {
    builder(backend).spawn().await
}

/// A slot closed (a typhoon closure) after a booking read it open and
/// before its write: the answer names the closure, not a full slot.
async fn a_slot_closed_mid_booking_answers_slot_closed(backend: Backend) {
    use booking::programmes::store::slot as s;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let app = spawn_lifted(backend).await;
    import(&app, &testing_plan(5)).await;
    let slot = slots(&availability(&app.client(), "community-testing").await)[0].0.clone();
    let target = booking::bookings::store::target(app.db(), &slot).await.unwrap().unwrap();
    target.check(time::OffsetDateTime::now_utc()).unwrap();
    s::Entity::update_many()
        .col_expr(s::Column::ClosedAt, Expr::value(time::OffsetDateTime::now_utc()))
        .filter(s::Column::Id.eq(slot.as_str()))
        .exec(app.db())
        .await
        .unwrap();
    let document = platform::ids::Document::parse("hkid", &hkid(1), "").unwrap();
    let account = platform::principal::AccountId::new().to_string();
    let new = booking::bookings::store::NewBooking {
        slot_id: &slot,
        holder: booking::bookings::Holder {
            person_id: account.clone(),
            document_index: document.index(&app.state.keys),
            document_kind: "hkid".to_owned(),
            document_sealed: None,
            birthdate: None,
        },
        account_id: &account,
        level: IdentityLevel::Basic,
    };
    let refused = booking::bookings::store::book_target(&app.state, target, new).await.unwrap_err();
    assert_eq!(refused.problem.slug, "booking/slot-closed");
    assert_eq!(ledger(&app, &slot).await, (0, 0), "no place taken");
}
both_backends!(a_slot_closed_mid_booking_answers_slot_closed);
