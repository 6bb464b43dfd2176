//! The virtual waiting room: off by default (no token needed); switched on
//! by an administrator, bookings need an admission; joins in parallel get
//! distinct places, admitted strictly in order at the configured rate
//! (time injected through the store's `now_ms`, never slept for); tokens
//! that are forged, another account's or expired are refused; two servers
//! on one PostgreSQL agree on every position.

use platform::both_backends;
use platform::principal::{AccountId, IdentityLevel};
use platform::testkit::{Backend, TestApp, TestClient};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{admin, availability, book, builder, hkid, import, problem, resident, send, slots, testing_plan};
use booking::waiting::store::Standing;

const ROOM: &str = "/api/v1/booking/programmes/community-testing/waiting-room";
const QUEUE: &str = "/api/v1/booking/programmes/community-testing/queue";

fn lift(config: &mut platform::config::Config) {
    config.limits.global_per_ip_per_second = 1_000_000;
}

/// A lifted app with the testing plan; the programme's ID and its first slot.
pub(crate) async fn app_with_plan(backend: Backend) -> (TestApp, String, String) {
    let app = builder(backend).config(lift).spawn().await;
    let imported = import(&app, &testing_plan(50)).await;
    let slot = slots(&availability(&app.client(), "community-testing").await)[0].0.clone();
    (app, imported.programmes[0].id.clone(), slot)
}

pub(crate) async fn switch_on(app: &TestApp, rate: u32, validity: u32) {
    let body = json!({"enabled": true, "rate_per_minute": rate, "validity_minutes": validity});
    let response = send(&admin(app).await, Method::PUT, ROOM, Some(&body), None).await;
    assert_eq!(response.status(), 200);
}

pub(crate) async fn join(client: &TestClient) -> Value {
    let response = send(client, Method::POST, QUEUE, None, None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Books `slot` with `token` in the admission header (no cookie jar help when `client` never joined).
async fn book_with(client: &TestClient, slot: &str, document: u32, token: &str) -> reqwest::Response {
    let csrf = client.csrf_token().await;
    let body = json!({"slot_id": slot, "document": {"kind": "hkid", "number": hkid(document)}});
    client
        .http
        .post(client.url("/api/v1/booking/bookings"))
        .header(platform::web::CSRF_HEADER, csrf)
        .header(booking::waiting::ADMISSION_HEADER, token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn now_ms() -> i64 {
    booking::waiting::unix_ms(time::OffsetDateTime::now_utc())
}

async fn room_off_needs_no_token(backend: Backend) {
    let (app, _, slot) = app_with_plan(backend).await;
    let (_, client) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(join(&client).await["state"], "off");
    assert_eq!(book(&client, &slot, Some(&hkid(1))).await.status(), 201);
    // Settings read back as off, with the defaults.
    let room: Value = admin(&app).await.get(ROOM).await.json().await.unwrap();
    assert_eq!(room["enabled"], false);
    assert_eq!(room["validity_minutes"], 15);
}
both_backends!(room_off_needs_no_token);

async fn only_administrators_set_the_room_within_range(backend: Backend) {
    let (app, _, _) = app_with_plan(backend).await;
    let (_, resident) = resident(&app, IdentityLevel::Basic, None).await;
    let body = json!({"enabled": true, "rate_per_minute": 60, "validity_minutes": 15});
    assert_eq!(send(&resident, Method::PUT, ROOM, Some(&body), None).await.status(), 403);
    let bad = json!({"enabled": true, "rate_per_minute": 0, "validity_minutes": 15});
    let (status, kind, body) = problem(send(&admin(&app).await, Method::PUT, ROOM, Some(&bad), None).await).await;
    assert_eq!((status, kind.as_str()), (422, "booking/waiting-room-settings"));
    assert_eq!(body["errors"][0]["field"], "rate_per_minute", "{body}");
}
both_backends!(only_administrators_set_the_room_within_range);

async fn with_the_room_on_only_the_admitted_account_books(backend: Backend) {
    let (app, programme_id, slot) = app_with_plan(backend).await;
    switch_on(&app, 60, 15).await;
    let (alice_id, alice) = resident(&app, IdentityLevel::Basic, None).await;
    let (_, mallory) = resident(&app, IdentityLevel::Basic, None).await;

    // No admission: 428 naming the queue.
    let (status, kind, body) = problem(book(&alice, &slot, Some(&hkid(1))).await).await;
    assert_eq!(
        (status, kind.as_str(), body["reason"].as_str()),
        (428, "booking/waiting-room", Some("admission-missing"))
    );
    assert!(body["detail"].as_str().unwrap().contains("queue"), "{body}");

    // Alice joins an empty room: admitted at once, with a token (and a cookie).
    let joined = join(&alice).await;
    assert_eq!(joined["state"], "admitted", "{joined}");
    assert_eq!(joined["place"], 1);
    let token = joined["token"].as_str().unwrap().to_owned();
    assert_eq!(join(&alice).await["place"], 1, "joining again keeps the place");

    // Mallory replays Alice's token: bound to Alice's account, refused.
    let (status, _, body) = problem(book_with(&mallory, &slot, 2, &token).await).await;
    assert_eq!((status, body["reason"].as_str()), (428, Some("admission-invalid")));
    // A forged token (a later expiry under the old MAC) is refused too.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[2] = (parts[2].parse::<i64>().unwrap() + 3_600_000).to_string();
    let (status, _, body) = problem(book_with(&alice, &slot, 1, &parts.join(".")).await).await;
    assert_eq!((status, body["reason"].as_str()), (428, Some("admission-invalid")));

    // Alice books with the header; cancels; books again with the cookie alone
    // (one booking per person and step: the first must go first).
    let first = book_with(&alice, &slot, 1, &token).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let cancel = format!("/api/v1/booking/bookings/{}", first["id"].as_str().unwrap());
    assert_eq!(send(&alice, Method::DELETE, &cancel, None, None).await.status(), 200);
    assert_eq!(book(&alice, &slot, Some(&hkid(3))).await.status(), 201, "the cookie carries it");

    // After its expiry the same token is refused, and the place is over.
    let expiry = match booking::waiting::store::status(&app.state, &programme_id, &alice_id.to_string(), now_ms())
        .await
        .unwrap()
    {
        Standing::Admitted { admission, .. } => admission.expires_ms,
        other => panic!("{other:?}"),
    };
    let replay = booking::waiting::Admission::verify(
        &app.state.keys,
        &programme_id,
        &alice_id.to_string(),
        Some(&token),
        expiry,
    );
    assert_eq!(replay, Err(booking::waiting::Refused::Expired));
    let later = booking::waiting::store::status(&app.state, &programme_id, &alice_id.to_string(), expiry).await;
    assert_eq!(later.unwrap(), Standing::Expired { place: 1 });
    // Joining after expiry takes a new place at the back.
    match booking::waiting::store::join(&app.state, &programme_id, &alice_id.to_string(), expiry).await.unwrap() {
        Standing::Admitted { place, .. } | Standing::Waiting { place, .. } => assert_eq!(place, 2),
        other => panic!("{other:?}"),
    }
}
both_backends!(with_the_room_on_only_the_admitted_account_books);

/// `clients` residents, over `apps` round-robin, join at once; their answers by account.
async fn rush(apps: &[&TestApp], clients: usize) -> Vec<(AccountId, Value)> {
    let mut ready = Vec::new();
    for n in 0..clients {
        let (id, client) = resident(apps[n % apps.len()], IdentityLevel::Basic, None).await;
        let token = client.csrf_token().await;
        ready.push((id, client, token));
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(ready.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for (id, client, token) in ready {
        let barrier = barrier.clone();
        tasks.spawn(async move {
            let request = client.http.post(client.url(QUEUE)).header(platform::web::CSRF_HEADER, token);
            barrier.wait().await;
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            (id, response.json::<Value>().await.unwrap())
        });
    }
    let mut out = Vec::new();
    while let Some(result) = tasks.join_next().await {
        out.push(result.unwrap());
    }
    out
}

/// Places are 1..=n, each once; admitted places are exactly the first ones;
/// waiting ones are numbered on from there with honest waits at `rate`.
/// Returns how many are admitted.
fn assert_fair(answers: &[(i64, Value)], rate: i64) -> i64 {
    let mut places: Vec<i64> = answers.iter().map(|(p, _)| *p).collect();
    places.sort_unstable();
    assert_eq!(places, (1..=i64::try_from(answers.len()).unwrap()).collect::<Vec<_>>());
    let admitted = answers.iter().filter(|(_, a)| a["state"] == "admitted").count() as i64;
    for (place, answer) in answers {
        if *place <= admitted {
            assert_eq!(answer["state"], "admitted", "place {place}: {answer}");
        } else {
            assert_eq!(answer["state"], "waiting", "place {place}: {answer}");
            let position = answer["position"].as_i64().unwrap();
            assert_eq!(position, place - admitted, "place {place}: {answer}");
            let wait = answer["wait_seconds"].as_i64().unwrap();
            // The next admission is at most one interval away; each place after it one more.
            assert!(wait <= position * 60 / rate + 1 && wait > (position - 1) * 60 / rate - 1, "{answer}");
        }
    }
    admitted
}

/// Where every account stands at one instant `at`, asked in reverse order
/// of joining (who asks first does not matter), as (place, answer).
async fn snapshot(app: &TestApp, programme_id: &str, accounts: &[AccountId], at: i64) -> Vec<(i64, Value)> {
    let mut out = Vec::new();
    for account in accounts.iter().rev() {
        let standing =
            booking::waiting::store::status(&app.state, programme_id, &account.to_string(), at).await.unwrap();
        out.push(match standing {
            // Admitted by the clock; `Ready` until the account joins again to start it.
            Standing::Admitted { place, .. } | Standing::Ready { place } => (place, json!({"state": "admitted"})),
            Standing::Waiting { place, position, wait_seconds } => {
                (place, json!({"state": "waiting", "position": position, "wait_seconds": wait_seconds}))
            }
            other => panic!("{other:?}"),
        });
    }
    out
}

/// The places the rush handed out: 1..=n, each once.
fn distinct_places(answers: &[(AccountId, Value)]) {
    let mut places: Vec<i64> = answers.iter().map(|(_, a)| a["place"].as_i64().unwrap()).collect();
    places.sort_unstable();
    assert_eq!(places, (1..=i64::try_from(answers.len()).unwrap()).collect::<Vec<_>>());
}

async fn parallel_joins_are_admitted_strictly_in_order(backend: Backend) {
    let (app, programme_id, _) = app_with_plan(backend).await;
    // One a minute: the first joiner goes in at once, the rest wait in order.
    switch_on(&app, 1, 15).await;
    let answers = rush(&[&app], 30).await;
    distinct_places(&answers);
    let accounts: Vec<AccountId> = answers.iter().map(|(a, _)| *a).collect();
    let now = now_ms();
    let admitted = assert_fair(&snapshot(&app, &programme_id, &accounts, now).await, 1);
    assert!(admitted >= 1);

    // Ten minutes on (the time injected, not slept): ten more, still in order.
    let later = assert_fair(&snapshot(&app, &programme_id, &accounts, now + 600_000).await, 1);
    assert_eq!(later, admitted + 10);
}
both_backends!(parallel_joins_are_admitted_strictly_in_order);

/// Two lionrock servers on one PostgreSQL hand out one sequence of places
/// and agree on every position.
#[tokio::test]
async fn two_servers_on_one_postgres_agree_on_positions() {
    if platform::testkit::service_env(platform::testkit::POSTGRES_ENV, "PostgreSQL").is_none() {
        return;
    }
    let first = builder(Backend::Postgres).config(lift).spawn().await;
    let second = builder(Backend::Postgres).same_database_as(&first).config(lift).spawn().await;
    import(&first, &testing_plan(50)).await;
    switch_on(&second, 1, 15).await;
    let answers = rush(&[&first, &second], 30).await;
    distinct_places(&answers);
    // Asked at one instant, both servers answer every account alike: same
    // place, position, wait, and (once admitted) the very same token.
    let programme_id = answers[0].1["programme_id"].as_str().unwrap().to_owned();
    for at in [now_ms(), now_ms() + 300_000] {
        for (account, _) in &answers {
            let account = account.to_string();
            let here = booking::waiting::store::status(&first.state, &programme_id, &account, at).await.unwrap();
            let there = booking::waiting::store::status(&second.state, &programme_id, &account, at).await.unwrap();
            assert_eq!(here, there);
        }
    }
}

/// With the room on, no way into a slot skips it: the booking form without
/// JavaScript and rescheduling (API and form) need the admission too.
async fn every_way_into_a_slot_needs_the_admission(backend: Backend) {
    let (app, _, slot) = app_with_plan(backend).await;
    let (_, early) = resident(&app, IdentityLevel::Basic, None).await;
    let booked: Value = book(&early, &slot, Some(&hkid(70))).await.json().await.unwrap();
    switch_on(&app, 60, 15).await;
    let other = slots(&availability(&app.client(), "community-testing").await)[1].0.clone();

    let path = format!("/api/v1/booking/bookings/{}/reschedule", booked["id"].as_str().unwrap());
    let (status, kind, _) =
        problem(send(&early, Method::POST, &path, Some(&json!({"slot_id": other})), None).await).await;
    assert_eq!((status, kind.as_str()), (428, "booking/waiting-room"), "the reschedule API");
    let page = format!("/en/booking/bookings/{}/reschedule", booked["id"].as_str().unwrap());
    let response = early.post_form(&page, &[("slot", other.as_str()), ("day", "")]).await;
    assert_eq!(response.status(), 422, "the reschedule form shows the refusal");
    let mine: Value = early.get("/api/v1/booking/bookings").await.json().await.unwrap();
    assert_eq!(mine["items"][0]["slot_id"], slot.as_str(), "and the booking did not move");

    let (late_id, late) = resident(&app, IdentityLevel::Basic, None).await;
    let (number, person) = (hkid(71), late_id.to_string());
    let form =
        [("slot", other.as_str()), ("person", &person), ("step", "confirm"), ("kind", "hkid"), ("number", &number)];
    let response = late.post_form("/en/booking/book", &form).await;
    assert_eq!(response.status(), 428, "the booking form without JavaScript");
    let mine: Value = late.get("/api/v1/booking/bookings").await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 0);
}
both_backends!(every_way_into_a_slot_needs_the_admission);

/// The room's settings take exactly their three members: the answer's
/// counters (or any other member) sent back are refused, and nothing changes.
async fn the_room_settings_refuse_unknown_members(backend: Backend) {
    let (app, _, _) = app_with_plan(backend).await;
    let admin = admin(&app).await;
    let answer: Value = admin.get(ROOM).await.json().await.unwrap();
    assert!(answer.get("joined").is_some() && answer.get("admitted").is_some(), "{answer}");
    let mut echoed = answer.clone();
    echoed["enabled"] = json!(true);
    let (status, kind, body) = problem(send(&admin, Method::PUT, ROOM, Some(&echoed), None).await).await;
    assert_eq!((status, kind.as_str()), (422, "validation"), "{body}");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(body["errors"][0]["code"], "unknown", "{body}");
    assert!(fields.iter().all(|f| ["/programme_id", "/joined", "/admitted"].contains(f)), "{body}");
    let typo = json!({"enabled": true, "rate_per_minute": 60, "validity_minutes": 15, "rate_per_minut": 1});
    let (status, _, body) = problem(send(&admin, Method::PUT, ROOM, Some(&typo), None).await).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("/rate_per_minut")), "{body}");
    let room: Value = admin.get(ROOM).await.json().await.unwrap();
    assert_eq!(room, answer, "nothing changed");
}
both_backends!(the_room_settings_refuse_unknown_members);

/// The room's row and a place's admission start, as stored.
async fn stored(app: &TestApp, programme_id: &str, account: &AccountId) -> (Value, Option<i64>) {
    use booking::waiting::store::{place, room};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let r = room::Entity::find_by_id(programme_id).one(app.db()).await.unwrap().unwrap();
    let p = place::Entity::find()
        .filter(place::Column::ProgrammeId.eq(programme_id))
        .filter(place::Column::AccountId.eq(account.to_string()))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    (json!([r.joined, r.admitted, r.clock_ms, r.updated_at.to_string()]), p.admitted_ms)
}

/// Looking changes nothing: when a resident's turn has come, the status
/// API and the queue page (GETs) say so (`ready`) without advancing the
/// stored clock or starting the admission (no token, no cookie); joining
/// again (a POST) starts it.
async fn a_get_never_starts_an_admission(backend: Backend) {
    let (app, programme_id, slot) = app_with_plan(backend).await;
    // One a minute: the first goes in at once, the second waits a minute.
    switch_on(&app, 1, 15).await;
    let (_, first) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(join(&first).await["state"], "admitted");
    let (bob_id, bob) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(join(&bob).await["state"], "waiting");
    // Two minutes go by (the stored clock set back, as the time is not slept for).
    let db = app.db();
    let sql =
        format!("UPDATE booking_waiting_room SET clock_ms = clock_ms - 120000 WHERE programme_id = '{programme_id}'");
    sea_orm::ConnectionTrait::execute_raw(db, sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    let before = stored(&app, &programme_id, &bob_id).await;
    assert_eq!(before.1, None);

    let status = bob.get(QUEUE).await;
    assert_eq!(status.status(), 200);
    assert!(status.headers().get(reqwest::header::SET_COOKIE).is_none(), "no admission cookie from a GET");
    let body: Value = status.json().await.unwrap();
    assert_eq!((body["state"].as_str(), body["place"].as_i64()), (Some("ready"), Some(2)), "{body}");
    assert!(body.get("token").is_none(), "{body}");
    let page = bob.get("/en/booking/community-testing/queue").await;
    assert!(page.headers().get(reqwest::header::SET_COOKIE).is_none(), "nor from the page");
    let page = page.text().await.unwrap();
    assert!(page.contains("It is your turn to book.") && page.contains("Start my turn"), "{page}");
    assert_eq!(stored(&app, &programme_id, &bob_id).await, before, "the GETs changed nothing");
    let (status, _, body) = problem(book(&bob, &slot, Some(&hkid(90))).await).await;
    assert_eq!((status, body["reason"].as_str()), (428, Some("admission-missing")), "not admitted by looking");

    // The page's form (a POST) starts the turn: the cookie, then booking.
    let started = bob.post_form("/en/booking/community-testing/queue", &[]).await;
    assert_eq!(started.status(), 303);
    let after = stored(&app, &programme_id, &bob_id).await;
    assert!(after.1.is_some(), "the POST started the admission");
    let body: Value = bob.get(QUEUE).await.json().await.unwrap();
    assert_eq!(body["state"], "admitted", "{body}");
    assert!(body["token"].is_string(), "{body}");
    assert_eq!(book(&bob, &slot, Some(&hkid(90))).await.status(), 201);
}
both_backends!(a_get_never_starts_an_admission);

/// A place whose turn came is not banked forever: not started (joined
/// again) within the admission's validity of the moment its turn came, it
/// lapses (`expired`, on the status API and the page), and joining again
/// takes a new place at the back instead of starting the old one.
async fn a_place_not_started_in_time_lapses(backend: Backend) {
    let (app, programme_id, _) = app_with_plan(backend).await;
    // One a minute, admissions of one minute.
    switch_on(&app, 1, 1).await;
    let (_, first) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(join(&first).await["state"], "admitted");
    let (_, bob) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(join(&bob).await["place"], 2);
    // Three hours go by without Bob coming back (the stored times set back).
    let db = app.db();
    let backend = db.get_database_backend();
    let t = time::OffsetDateTime::now_utc() - time::Duration::hours(3);
    let hours_ago = format!("{} {:02}:{:02}:{:02}+00:00", t.date(), t.hour(), t.minute(), t.second());
    for sql in [
        format!("UPDATE booking_waiting_room SET clock_ms = clock_ms - 10800000 WHERE programme_id = '{programme_id}'"),
        format!("UPDATE booking_queue_place SET joined_at = '{hours_ago}' WHERE programme_id = '{programme_id}'"),
    ] {
        sea_orm::ConnectionTrait::execute_raw(db, sea_orm::Statement::from_string(backend, sql)).await.unwrap();
    }
    let body: Value = bob.get(QUEUE).await.json().await.unwrap();
    assert_eq!((body["state"].as_str(), body["place"].as_i64()), (Some("expired"), Some(2)), "{body}");
    let page = bob.get("/en/booking/community-testing/queue").await.text().await.unwrap();
    assert!(!page.contains("Start my turn"), "{page}");
    let again = join(&bob).await;
    assert_eq!(again["place"], 3, "a new place at the back: {again}");
}
both_backends!(a_place_not_started_in_time_lapses);

/// Switching the room off and on again starts a new queue: the places held
/// before are dropped, so the first visitor after it reopens is first, not
/// behind everyone who queued the last time.
async fn a_reopened_room_starts_a_new_queue(backend: Backend) {
    let (app, _, _) = app_with_plan(backend).await;
    // One a minute: the first visitor is let in at once, the others wait.
    switch_on(&app, 1, 15).await;
    let mut early = Vec::new();
    for _ in 0..3 {
        let (_, client) = resident(&app, IdentityLevel::Basic, None).await;
        early.push(join(&client).await["place"].as_i64().unwrap());
    }
    assert_eq!(early, [1, 2, 3]);
    let off = json!({"enabled": false, "rate_per_minute": 1, "validity_minutes": 15});
    assert_eq!(send(&admin(&app).await, Method::PUT, ROOM, Some(&off), None).await.status(), 200);
    switch_on(&app, 1, 15).await;
    let (_, carol) = resident(&app, IdentityLevel::Basic, None).await;
    let joined = join(&carol).await;
    assert_eq!((joined["place"].as_i64(), joined["state"].as_str()), (Some(1), Some("admitted")), "{joined}");
    let (_, dave) = resident(&app, IdentityLevel::Basic, None).await;
    let joined = join(&dave).await;
    assert_eq!((joined["place"].as_i64(), joined["state"].as_str()), (Some(2), Some("waiting")), "{joined}");
}
both_backends!(a_reopened_room_starts_a_new_queue);

/// An administrator changes the rate while a rush joins: the settings write
/// leaves the queue's numbers and clock alone (it used to write back the
/// count it had read, so on PostgreSQL the next join collided with a place
/// taken meanwhile and answered 500, and every join after it).
async fn changing_the_rate_during_a_rush_keeps_the_queue(backend: Backend) {
    let (app, programme_id, _) = app_with_plan(backend).await;
    switch_on(&app, 1, 15).await;
    let admin = admin(&app).await;
    let mut joiners = Vec::new();
    for _ in 0..32 {
        let (_, client) = resident(&app, IdentityLevel::Basic, None).await;
        let token = client.csrf_token().await;
        joiners.push(client.http.post(client.url(QUEUE)).header(platform::web::CSRF_HEADER, token));
    }
    let admin_token = admin.csrf_token().await;
    let changes: Vec<_> = (2..=17)
        .map(|rate| {
            let body = json!({"enabled": true, "rate_per_minute": rate, "validity_minutes": 15});
            admin.http.put(admin.url(ROOM)).header(platform::web::CSRF_HEADER, &admin_token).json(&body)
        })
        .collect();
    // The joins and the rate changes go at once, interleaved.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(joiners.len() + changes.len()));
    let mut rush = tokio::task::JoinSet::new();
    let mut settings = tokio::task::JoinSet::new();
    let mut changes = changes.into_iter();
    for request in joiners {
        let start = barrier.clone();
        rush.spawn(async move {
            start.wait().await;
            request.send().await.unwrap()
        });
        if let Some(change) = changes.next() {
            let start = barrier.clone();
            settings.spawn(async move {
                start.wait().await;
                change.send().await.unwrap().status()
            });
        }
    }
    while let Some(status) = settings.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let mut places = Vec::new();
    while let Some(response) = rush.join_next().await {
        let response = response.unwrap();
        assert_eq!(response.status(), 200);
        places.push(response.json::<Value>().await.unwrap()["place"].as_i64().unwrap());
    }
    places.sort_unstable();
    assert_eq!(places, (1..=32).collect::<Vec<i64>>());
    let (_, late) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(join(&late).await["place"], 33, "the count went on from the rush");
    let room = booking::waiting::store::room(app.db(), &programme_id).await.unwrap().unwrap();
    assert_eq!(room.joined, 33);
}
both_backends!(changing_the_rate_during_a_rush_keeps_the_queue);

/// A booking refused for want of an admission (428) is not kept under its
/// `Idempotency-Key`: the client joins the queue and retries with the same
/// key, and this time it books (the 428 was replayed for a day before).
async fn a_retry_after_the_queue_books_under_the_same_key(backend: Backend) {
    let (app, _, slot) = app_with_plan(backend).await;
    switch_on(&app, 60, 15).await;
    let (_, alice) = resident(&app, IdentityLevel::Basic, None).await;
    let body = json!({"slot_id": slot, "document": {"kind": "hkid", "number": hkid(70)}});
    let path = "/api/v1/booking/bookings";
    let (status, kind, _) = problem(send(&alice, Method::POST, path, Some(&body), Some("k-428")).await).await;
    assert_eq!((status, kind.as_str()), (428, "booking/waiting-room"));
    assert_eq!(join(&alice).await["state"], "admitted");
    // The admission cookie goes with the retry, as a browser sends it.
    let response = send(&alice, Method::POST, path, Some(&body), Some("k-428")).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}
both_backends!(a_retry_after_the_queue_books_under_the_same_key);
