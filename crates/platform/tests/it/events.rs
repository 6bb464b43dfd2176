//! The event bus: typed events reach subscribers on this server at once and,
//! on PostgreSQL, on every other server through `LISTEN/NOTIFY`.

use std::time::Duration;

use platform::both_backends;
use platform::events::{Delivery, Event, PublishError};
use platform::testkit::{Backend, TestApp, eventually};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Ping {
    id: String,
}

impl Event for Ping {
    const TOPIC: &'static str = "test.ping";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pong {
    n: u32,
}

impl Event for Pong {
    const TOPIC: &'static str = "test.pong";
}

fn ping(id: &str) -> Ping {
    Ping { id: id.to_owned() }
}

/// On PostgreSQL a new server listens a moment after it starts (and then
/// tells its subscribers to resync once); wait for that first.
async fn listening(app: &TestApp) {
    if app.backend == Backend::Postgres {
        eventually("the event listener", Duration::from_secs(30), || async {
            app.state.events.is_listening().then_some(())
        })
        .await;
    }
}

async fn next<E: Event>(sub: &mut platform::events::Subscription<E>) -> Delivery<E> {
    tokio::time::timeout(Duration::from_secs(30), sub.next()).await.expect("an event within 30 s")
}

async fn events_reach_subscribers_on_this_server_once(backend: Backend) {
    let app = TestApp::builder().backend(backend).spawn().await;
    listening(&app).await;
    let mut pings = app.state.events.subscribe::<Ping>();
    let mut pongs = app.state.events.subscribe::<Pong>();
    app.state.events.publish(app.db(), &Pong { n: 7 }).await.unwrap();
    app.state.events.publish(app.db(), &ping("a")).await.unwrap();
    app.state.events.publish(app.db(), &ping("b")).await.unwrap();
    assert_eq!(next(&mut pings).await, Delivery::Event(ping("a")), "other topics are skipped");
    assert_eq!(next(&mut pings).await, Delivery::Event(ping("b")));
    assert_eq!(next(&mut pongs).await, Delivery::Event(Pong { n: 7 }));
    // A server hears its own NOTIFY too; it must not deliver the event twice.
    app.state.events.publish(app.db(), &ping("end")).await.unwrap();
    assert_eq!(next(&mut pings).await, Delivery::Event(ping("end")), "no duplicate of a or b");
}
both_backends!(events_reach_subscribers_on_this_server_once);

async fn an_event_published_on_one_server_reaches_the_other(backend: Backend) {
    if backend == Backend::Sqlite {
        return; // One SQLite database has one server.
    }
    let a = TestApp::builder().backend(backend).spawn().await;
    let b = TestApp::builder().same_database_as(&a).spawn().await;
    let elsewhere = TestApp::builder().backend(backend).spawn().await;
    for app in [&a, &b, &elsewhere] {
        listening(app).await;
    }
    let mut on_b = b.state.events.subscribe::<Ping>();
    let mut on_a = a.state.events.subscribe::<Ping>();
    let mut on_elsewhere = elsewhere.state.events.subscribe::<Ping>();
    a.state.events.publish(a.db(), &ping("from-a")).await.unwrap();
    assert_eq!(next(&mut on_b).await, Delivery::Event(ping("from-a")));
    assert_eq!(next(&mut on_a).await, Delivery::Event(ping("from-a")));
    b.state.events.publish(b.db(), &ping("from-b")).await.unwrap();
    assert_eq!(next(&mut on_a).await, Delivery::Event(ping("from-b")));
    // Another install (another schema) on the same PostgreSQL hears none of it.
    elsewhere.state.events.publish(elsewhere.db(), &ping("own")).await.unwrap();
    assert_eq!(next(&mut on_elsewhere).await, Delivery::Event(ping("own")));

    let ready: serde_json::Value = b.client().get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["checks"]["events"], "listening");
    assert_eq!(ready["checks"]["workers"]["events"], "ok");
}
both_backends!(an_event_published_on_one_server_reaches_the_other);

/// A burst of events goes out in few `pg_notify` round trips (events
/// published while one is under way wait for the next), and every one
/// still reaches the other server, in order.
#[tokio::test]
async fn a_burst_of_events_reaches_the_other_server_whole_and_in_order() {
    if platform::testkit::service_env(platform::testkit::POSTGRES_ENV, "PostgreSQL").is_none() {
        return;
    }
    let a = TestApp::builder().backend(Backend::Postgres).spawn().await;
    let b = TestApp::builder().same_database_as(&a).spawn().await;
    for app in [&a, &b] {
        listening(app).await;
    }
    let mut on_b = b.state.events.subscribe::<Ping>();
    let sent: Vec<Ping> = (0..300).map(|i| ping(&i.to_string())).collect();
    for p in &sent {
        a.state.events.publish(a.db(), p).await.unwrap();
    }
    let mut heard = Vec::new();
    while heard.len() < sent.len() {
        match next(&mut on_b).await {
            Delivery::Event(p) => heard.push(p),
            Delivery::Resync => panic!("no resync: nothing was lost"),
        }
    }
    assert_eq!(heard, sent);
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_told_to_resync() {
    let app = TestApp::spawn().await;
    let mut slow = app.state.events.subscribe::<Ping>();
    for i in 0..1100 {
        app.state.events.publish(app.db(), &ping(&i.to_string())).await.unwrap();
    }
    assert_eq!(next(&mut slow).await, Delivery::Resync);
    // Then it goes on with the events still queued, the newest last.
    let mut last = None;
    for _ in 0..1024 {
        match next(&mut slow).await {
            Delivery::Event(p) => last = Some(p),
            Delivery::Resync => panic!("one resync for one overflow"),
        }
    }
    assert_eq!(last, Some(ping("1099")));
}

#[tokio::test]
async fn events_carry_identifiers_not_documents() {
    let app = TestApp::spawn().await;
    let err = app.state.events.publish(app.db(), &ping(&"x".repeat(8000))).await.unwrap_err();
    assert!(matches!(err, PublishError::TooLarge { topic: "test.ping", .. }), "{err}");
}
