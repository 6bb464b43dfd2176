//! The administrators' API over HTTP: programmes set up and edited,
//! quotas (never below the places taken), public holidays skipped by slot
//! generation, a typhoon closure (cancels or moves, notifies through the
//! outbox, idempotent), statistics after a known sequence and their CSV,
//! the demo data, and every route refused to a non-administrator.

use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::{Backend, TestApp};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::{
    admin, availability, book, count, day, hkid, import, problem, resident, send, slots, spawn, testing_plan,
};

async fn execute(app: &TestApp, sql: &str) {
    let db = app.db();
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap();
}

/// The slots of the programme on local day `on`, at the centre named `slug`.
async fn slots_of(app: &TestApp, slug: &str, on: time::Date) -> Vec<(String, i64, i64)> {
    let body = availability(&app.client(), "community-testing").await;
    let centre = body["centres"].as_array().unwrap().iter().find(|c| c["slug"] == slug).unwrap().clone();
    let wrapped = json!({"centres": [{"days": centre["days"].as_array().unwrap().iter()
        .filter(|d| d["date"] == on.to_string()).cloned().collect::<Vec<_>>()}]});
    slots(&wrapped)
}

async fn every_admin_route_refuses_a_resident_and_a_stranger(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(2)).await;
    let (_, resident) = resident(&app, IdentityLevel::RealName, None).await;
    let routes: [(Method, &str, Value); 8] = [
        (Method::POST, "/api/v1/booking/admin/programmes", json!({})),
        (Method::PUT, "/api/v1/booking/admin/quotas", json!({})),
        (Method::POST, "/api/v1/booking/admin/programmes/community-testing/slots", json!({})),
        (Method::GET, "/api/v1/booking/admin/holidays/2027", Value::Null),
        (Method::PUT, "/api/v1/booking/admin/holidays/2027", json!({"holidays": []})),
        (Method::POST, "/api/v1/booking/admin/closures", json!({})),
        (Method::GET, "/api/v1/booking/admin/programmes/community-testing/statistics", Value::Null),
        (Method::GET, "/api/v1/booking/admin/programmes/community-testing/statistics.csv", Value::Null),
    ];
    for (method, path, body) in routes {
        let body = (!body.is_null()).then_some(&body);
        let (status, kind, _) = problem(send(&resident, method.clone(), path, body, None).await).await;
        assert_eq!((status, kind.as_str()), (403, "forbidden"), "{method} {path}");
        let (status, ..) = problem(send(&app.client(), method.clone(), path, body, None).await).await;
        assert_eq!(status, 401, "{method} {path}");
    }
}
both_backends!(every_admin_route_refuses_a_resident_and_a_stranger);

async fn an_administrator_sets_a_programme_up_and_edits_it_through_the_api(backend: Backend) {
    let app = spawn(backend).await;
    let admin = admin(&app).await;
    let mut programme = testing_plan(2)["programme"][0].clone();
    let path = "/api/v1/booking/admin/programmes";
    let response = send(&admin, Method::POST, path, Some(&programme), None).await;
    assert_eq!(response.status(), 200);
    let made: Value = response.json().await.unwrap();
    assert_eq!(made["created"], true);
    assert_eq!(made["slots_created"], 2 * 3 * 2);

    programme["name"]["en"] = json!("Community testing (winter)");
    programme["eligibility"] = json!({"level": "real_name", "min_age": 3});
    let edited: Value = send(&admin, Method::POST, path, Some(&programme), None).await.json().await.unwrap();
    assert_eq!(
        (edited["created"].clone(), edited["id"].clone(), edited["slots_created"].clone()),
        (json!(false), made["id"].clone(), json!(0))
    );
    let list: Value = app.client().get("/api/v1/booking/programmes").await.json().await.unwrap();
    assert_eq!(list["items"][0]["name"]["en"], "Community testing (winter)");
    assert_eq!(list["items"][0]["eligibility"]["level"], "real_name");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'booking.programme_%'").await, 2);

    programme["centre"][0]["district"] = json!("atlantis");
    let (status, kind, body) = problem(send(&admin, Method::POST, path, Some(&programme), None).await).await;
    assert_eq!((status, kind.as_str()), (422, "validation"), "{body}");
    assert!(body.to_string().contains("district must be one of"), "{body}");
}
both_backends!(an_administrator_sets_a_programme_up_and_edits_it_through_the_api);

async fn a_quota_is_never_set_below_the_places_taken(backend: Backend) {
    let app = spawn(backend).await;
    let imported = import(&app, &testing_plan(5)).await;
    let admin = admin(&app).await;
    let centre = &imported.programmes[0].centres["sha-tin-town-hall"];
    let product = &imported.programmes[0].products["pcr"];
    let tomorrow = day(&app, 1);
    let slot = slots_of(&app, "sha-tin-town-hall", tomorrow).await[0].0.clone();
    for n in 0..2 {
        let (_, r) = resident(&app, IdentityLevel::Basic, None).await;
        assert_eq!(book(&r, &slot, Some(&hkid(100 + n))).await.status(), 201);
    }
    let quota = |capacity: i64| json!({"centre_id": centre, "product_id": product, "day": tomorrow.to_string(), "capacity": capacity});
    let put = |capacity| {
        let admin = admin.clone();
        let body = quota(capacity);
        async move { send(&admin, Method::PUT, "/api/v1/booking/admin/quotas", Some(&body), None).await }
    };
    let (status, kind, body) = problem(put(1).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/quota-below-taken"), "{body}");
    assert!(body["detail"].as_str().unwrap().contains('2'), "{body}");

    let response = put(3).await;
    assert_eq!(response.status(), 200);
    let set: Value = response.json().await.unwrap();
    assert_eq!(
        (set["capacity"].as_i64(), set["taken"].as_i64()),
        (Some(3), Some(2)),
        "a new quota counts the places held"
    );
    let (_, third) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(book(&third, &slot, Some(&hkid(102))).await.status(), 201);
    let (_, fourth) = resident(&app, IdentityLevel::Basic, None).await;
    let (status, kind, _) = problem(book(&fourth, &slot, Some(&hkid(103))).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/full"), "the day's quota is used up, the slot is not");

    let (status, kind, _) = problem(put(2).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/quota-below-taken"));
    assert_eq!(put(10).await.status(), 200);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'booking.quota_set'").await, 2);

    let bad = json!({"centre_id": "nothing", "product_id": product, "day": tomorrow.to_string(), "capacity": 1});
    let (status, kind, _) =
        problem(send(&admin, Method::PUT, "/api/v1/booking/admin/quotas", Some(&bad), None).await).await;
    assert_eq!((status, kind.as_str()), (404, "booking/unknown-centre"));
    let bad = json!({"centre_id": centre, "product_id": product, "day": "tomorrow", "capacity": -1});
    let (status, _, body) =
        problem(send(&admin, Method::PUT, "/api/v1/booking/admin/quotas", Some(&bad), None).await).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
}
both_backends!(a_quota_is_never_set_below_the_places_taken);

async fn slot_generation_skips_public_holidays_and_is_idempotent(backend: Backend) {
    let app = spawn(backend).await;
    let mut plan = testing_plan(2);
    plan["programme"][0].as_object_mut().unwrap().remove("slots");
    import(&app, &plan).await;
    let admin = admin(&app).await;
    let holiday = day(&app, 2);
    let year = holiday.year();
    let path = format!("/api/v1/booking/admin/holidays/{year}");
    let list = json!({"holidays": [{"date": holiday.to_string(),
        "name": {"en": "Test holiday", "zh-HK": "測試假期", "zh-CN": "测试假期"}}]});
    let response = send(&admin, Method::PUT, &path, Some(&list), None).await;
    assert_eq!(response.status(), 200);
    let loaded: Value = admin.get(&path).await.json().await.unwrap();
    assert_eq!(loaded["holidays"][0]["date"], holiday.to_string(), "{loaded}");
    assert_eq!(loaded["holidays"][0]["name"]["zh-HK"], "測試假期");

    let run = json!({"from": day(&app, 1).to_string(), "to": day(&app, 3).to_string(), "minutes": 30, "capacity": 3});
    let generate = "/api/v1/booking/admin/programmes/community-testing/slots";
    let made: Value = send(&admin, Method::POST, generate, Some(&run), None).await.json().await.unwrap();
    assert_eq!(made["slots_created"], 2 * 2 * 2, "two centres, two days (not the holiday), two slots: {made}");
    assert!(slots_of(&app, "sha-tin-town-hall", holiday).await.is_empty());
    assert_eq!(slots_of(&app, "wan-chai-sports-centre", day(&app, 3)).await.len(), 2);
    let again: Value = send(&admin, Method::POST, generate, Some(&run), None).await.json().await.unwrap();
    assert_eq!(again["slots_created"], 0);

    let wrong_year =
        json!({"holidays": [{"date": format!("{}-01-01", year + 1), "name": {"en": "x", "zh-HK": "", "zh-CN": ""}}]});
    let (status, _, body) = problem(send(&admin, Method::PUT, &path, Some(&wrong_year), None).await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "/holidays/0/date");
    let (status, kind, _) =
        problem(send(&admin, Method::POST, "/api/v1/booking/admin/programmes/nothing/slots", Some(&run), None).await)
            .await;
    assert_eq!((status, kind.as_str()), (404, "booking/unknown-programme"));
}
both_backends!(slot_generation_skips_public_holidays_and_is_idempotent);

async fn a_typhoon_closure_cancels_or_moves_notifies_everyone_and_is_idempotent(backend: Backend) {
    let app = spawn(backend).await;
    let imported = import(&app, &testing_plan(2)).await;
    let admin = admin(&app).await;
    let tomorrow = day(&app, 1);
    let sha_tin = slots_of(&app, "sha-tin-town-hall", tomorrow).await;
    let wan_chai = slots_of(&app, "wan-chai-sports-centre", tomorrow).await;
    let mut residents = Vec::new();
    for (n, slot) in [&sha_tin[0].0, &sha_tin[1].0, &wan_chai[0].0].into_iter().enumerate() {
        let (_, r) = resident(&app, IdentityLevel::Basic, None).await;
        let booked: Value = book(&r, slot, Some(&hkid(200 + u32::try_from(n).unwrap()))).await.json().await.unwrap();
        residents.push((r, booked["id"].as_str().unwrap().to_owned()));
    }
    let close = json!({"day": tomorrow.to_string(), "centre_ids": [imported.programmes[0].centres["sha-tin-town-hall"]],
        "reason": "typhoon-8", "action": "cancel"});
    let path = "/api/v1/booking/admin/closures";
    let response = send(&admin, Method::POST, path, Some(&close), None).await;
    assert_eq!(response.status(), 200);
    let done: Value = response.json().await.unwrap();
    assert_eq!(done, json!({"centres": 1, "slots_closed": 2, "cancelled": 2, "moved": 0, "notified": 2}));
    for (r, _) in &residents[..2] {
        let mine: Value = r.get("/api/v1/booking/bookings").await.json().await.unwrap();
        assert_eq!(
            (mine["items"][0]["status"].as_str(), mine["items"][0]["closed_reason"].as_str()),
            (Some("cancelled"), Some("typhoon-8"))
        );
    }
    assert!(
        slots_of(&app, "sha-tin-town-hall", tomorrow).await.iter().all(|s| s.2 == 0),
        "closed slots offer no place"
    );
    assert_eq!(slots_of(&app, "wan-chai-sports-centre", tomorrow).await[0].2, 1, "other centres stay open");
    let outbox = "SELECT COUNT(*) AS n FROM outbox WHERE recipient LIKE '%@example.org' AND subject LIKE '%yphoon%'";
    assert_eq!(count(&app, outbox).await, 2);
    let body: String = {
        let db = app.db();
        let sql = "SELECT body FROM outbox WHERE subject LIKE '%yphoon%'".to_owned();
        let statement = Statement::from_string(db.get_database_backend(), sql);
        db.query_one_raw(statement).await.unwrap().unwrap().try_get("", "body").unwrap()
    };
    // In the holder's language (the test residents read English).
    assert!(body.contains("typhoon signal No. 8") && !body.contains("八號熱帶氣旋"), "{body}");
    assert!(body.contains("/en/booking/community-testing"), "a link to rebook: {body}");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'booking.closure_cancel'").await, 2);

    // Again: nothing more happens.
    let again: Value = send(&admin, Method::POST, path, Some(&close), None).await.json().await.unwrap();
    assert_eq!(again, json!({"centres": 1, "slots_closed": 0, "cancelled": 0, "moved": 0, "notified": 0}));
    assert_eq!(count(&app, outbox).await, 2);
    // A cancelled-by-closure resident rebooks at once.
    let later = slots_of(&app, "sha-tin-town-hall", day(&app, 2)).await;
    assert_eq!(book(&residents[0].0, &later[0].0, Some(&hkid(200))).await.status(), 201);

    // Moving: Wan Chai's booking goes to the same time two days on.
    let on = day(&app, 3);
    let moving = json!({"day": tomorrow.to_string(), "centre_ids": [imported.programmes[0].centres["wan-chai-sports-centre"]],
        "reason": "black-rainstorm", "action": "move", "move_to": on.to_string()});
    let done: Value = send(&admin, Method::POST, path, Some(&moving), None).await.json().await.unwrap();
    assert_eq!(done, json!({"centres": 1, "slots_closed": 2, "cancelled": 0, "moved": 1, "notified": 1}));
    let mine: Value = residents[2].0.get("/api/v1/booking/bookings").await.json().await.unwrap();
    let target = slots_of(&app, "wan-chai-sports-centre", on).await;
    assert_eq!(mine["items"][0]["status"], "confirmed");
    assert_eq!(mine["items"][0]["slot_id"], target[0].0.as_str());
    assert_eq!(mine["items"][0]["closed_reason"], "black-rainstorm");
    assert_eq!(target[0].2, 1, "the place is taken in the new slot");
    assert_eq!(count(&app, "SELECT SUM(taken) AS n FROM booking_slot").await, 2, "the ledger matches the bookings");

    let bad = json!({"day": tomorrow.to_string(), "reason": "typhoon-8", "action": "move"});
    let (status, _, body) = problem(send(&admin, Method::POST, path, Some(&bad), None).await).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("/move_to")), "{body}");
}
both_backends!(a_typhoon_closure_cancels_or_moves_notifies_everyone_and_is_idempotent);

async fn statistics_count_a_known_sequence_in_json_and_csv(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(5)).await;
    let admin = admin(&app).await;
    let tomorrow = day(&app, 1);
    let slot = slots_of(&app, "sha-tin-town-hall", tomorrow).await[0].0.clone();
    let other = slots_of(&app, "wan-chai-sports-centre", day(&app, 2)).await[1].0.clone();
    let mut ids = Vec::new();
    for n in 0..4 {
        let (_, r) = resident(&app, IdentityLevel::Basic, None).await;
        let booked: Value = book(&r, &slot, Some(&hkid(300 + n))).await.json().await.unwrap();
        ids.push((r, booked["id"].as_str().unwrap().to_owned()));
    }
    let (_, r) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(book(&r, &other, Some(&hkid(310))).await.status(), 201);
    let cancel = format!("/api/v1/booking/bookings/{}", ids[0].1);
    assert_eq!(send(&ids[0].0, Method::DELETE, &cancel, None, None).await.status(), 200);
    // Attendance and no-shows are set directly: officers' check-in is another feature.
    execute(&app, &format!("UPDATE booking_booking SET status = 'attended' WHERE id = '{}'", ids[1].1)).await;
    execute(&app, &format!("UPDATE booking_booking SET status = 'no_show' WHERE id = '{}'", ids[2].1)).await;

    let path =
        format!("/api/v1/booking/admin/programmes/community-testing/statistics?from={}&to={}", tomorrow, day(&app, 3));
    let response = admin.get(&path).await;
    assert_eq!(response.status(), 200);
    let stats: Value = response.json().await.unwrap();
    let rows = stats["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{stats}");
    let first = &rows[0];
    assert_eq!(
        (first["day"].as_str(), first["centre_slug"].as_str(), first["product_code"].as_str()),
        (Some(tomorrow.to_string().as_str()), Some("sha-tin-town-hall"), Some("pcr"))
    );
    let numbers =
        |r: &Value| ["bookings", "confirmed", "attended", "no_shows", "cancelled"].map(|k| r[k].as_i64().unwrap());
    assert_eq!(numbers(first), [4, 1, 1, 1, 1]);
    assert_eq!(numbers(&rows[1]), [1, 1, 0, 0, 0]);

    let csv = admin.get(&path.replace("/statistics?", "/statistics.csv?")).await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "day,centre,product,bookings,confirmed,attended,no_shows,cancelled");
    assert_eq!(lines[1], format!("{tomorrow},sha-tin-town-hall,pcr,4,1,1,1,1"));
    assert_eq!(lines.len(), 4, "two rows and the final line end: {text:?}");

    let (status, kind, _) = problem(admin.get("/api/v1/booking/admin/programmes/nothing/statistics").await).await;
    assert_eq!((status, kind.as_str()), (404, "booking/unknown-programme"));
}
both_backends!(statistics_count_a_known_sequence_in_json_and_csv);

async fn the_demo_loads_three_programmes_idempotently(backend: Backend) {
    let app = spawn(backend).await;
    let load = booking::module().demo.unwrap();
    let lines = load(app.state.clone()).await.unwrap();
    assert!(lines[0].contains("community-testing/availability"), "{lines:?}");
    load(app.state.clone()).await.unwrap();
    let list: Value = app.client().get("/api/v1/booking/programmes").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    let testing = availability(&app.client(), "community-testing").await;
    assert_eq!(testing["centres"].as_array().unwrap().len(), 3);
    let days = testing["centres"][0]["days"].as_array().unwrap().len();
    assert!(days >= 6, "slots on the coming days: {days}");
    assert!(slots(&testing).iter().all(|(_, capacity, free)| *capacity == 4 && *free == 4));
    let slots_before = count(&app, "SELECT COUNT(*) AS n FROM booking_slot").await;
    load(app.state.clone()).await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM booking_slot").await, slots_before);
}
both_backends!(the_demo_loads_three_programmes_idempotently);

/// A closure names what it closes: with neither a programme nor centres it
/// is refused (it used to close every centre of every programme), and with
/// a programme it closes that programme's centres only.
async fn a_closure_without_programme_or_centres_is_refused(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(2)).await;
    let mut other = testing_plan(2);
    other["programme"][0]["slug"] = json!("other-testing");
    let other = import(&app, &other).await;
    let admin = admin(&app).await;
    let tomorrow = day(&app, 1);
    let path = "/api/v1/booking/admin/closures";

    let everything = json!({"day": tomorrow.to_string(), "reason": "typhoon-8", "action": "cancel"});
    let (status, _, body) = problem(send(&admin, Method::POST, path, Some(&everything), None).await).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("/programme_id")), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM booking_slot WHERE closed_at IS NOT NULL").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM booking_closure").await, 0);

    let one = json!({"day": tomorrow.to_string(), "programme_id": other.programmes[0].id,
        "reason": "typhoon-8", "action": "cancel"});
    let done: Value = send(&admin, Method::POST, path, Some(&one), None).await.json().await.unwrap();
    assert_eq!((done["centres"].as_i64(), done["slots_closed"].as_i64()), (Some(2), Some(4)), "{done}");
    assert!(
        slots_of(&app, "sha-tin-town-hall", tomorrow).await.iter().all(|s| s.2 == 2),
        "the other programme's centres stay open"
    );
}
both_backends!(a_closure_without_programme_or_centres_is_refused);

/// A typhoon closure while residents book and cancel at the same centre and
/// day, round after round: on PostgreSQL the closure and a booking (or a
/// cancellation) take the same rows in different orders, and the one
/// PostgreSQL aborts runs again, so nobody is answered 500 (before, the
/// closure held the audit chain's head while it went on locking slots, and
/// a booking or cancellation aborted to break the deadlock was a 500).
/// Every place of the closed day is given back and the audit chain holds.
async fn a_closure_racing_bookings_and_cancellations_answers_no_500(backend: Backend) {
    const ROUNDS: u32 = 5;
    const HOLDERS: u32 = 6;
    const BOOKERS: u32 = 10;
    let app = spawn(backend).await;
    let mut plan = testing_plan(2 * (HOLDERS + BOOKERS));
    plan["programme"][0]["slots"][0]["days"] = json!(ROUNDS + 1);
    let imported = import(&app, &plan).await;
    let admin = admin(&app).await;
    let sha_tin = imported.programmes[0].centres["sha-tin-town-hall"].clone();
    let mut document = 3000;
    for round in 0..ROUNDS {
        let on = day(&app, 1 + i64::from(round));
        let day_slots: Vec<String> = slots_of(&app, "sha-tin-town-hall", on).await.into_iter().map(|s| s.0).collect();
        let mut requests: Vec<(&str, reqwest::RequestBuilder)> = Vec::new();
        for n in 0..HOLDERS {
            document += 1;
            let (_, r) = resident(&app, IdentityLevel::Basic, None).await;
            let slot = &day_slots[n as usize % day_slots.len()];
            let booked: Value = book(&r, slot, Some(&hkid(document))).await.json().await.unwrap();
            let path = "/api/v1/booking/bookings/{id}".replace("{id}", booked["id"].as_str().unwrap());
            let token = r.csrf_token().await;
            requests.push(("cancel", r.http.delete(r.url(&path)).header(platform::web::CSRF_HEADER, token)));
        }
        for n in 0..BOOKERS {
            document += 1;
            let (_, r) = resident(&app, IdentityLevel::Basic, None).await;
            let body = json!({"slot_id": day_slots[n as usize % day_slots.len()],
                "document": {"kind": "hkid", "number": hkid(document)}});
            let token = r.csrf_token().await;
            let request =
                r.http.post(r.url("/api/v1/booking/bookings")).header(platform::web::CSRF_HEADER, token).json(&body);
            requests.push(("book", request));
        }
        let close = json!({"day": on.to_string(), "centre_ids": [sha_tin], "reason": "typhoon-8", "action": "cancel"});
        let token = admin.csrf_token().await;
        let request = admin
            .http
            .post(admin.url("/api/v1/booking/admin/closures"))
            .header(platform::web::CSRF_HEADER, token)
            .json(&close);
        // The closure in the middle, so it starts among the others.
        requests.insert(requests.len() / 2, ("close", request));
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
        let mut tasks = tokio::task::JoinSet::new();
        for (what, request) in requests {
            let barrier = barrier.clone();
            tasks.spawn(async move {
                barrier.wait().await;
                let response = request.send().await.unwrap();
                (what, response.status().as_u16(), response.text().await.unwrap())
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (what, status, body) = done.unwrap();
            let expected = match what {
                "close" => status == 200,
                "cancel" => status == 200 || status == 409,
                _ => {
                    status == 201 || (status == 409 && (body.contains("booking/full") || body.contains("slot-closed")))
                }
            };
            assert!(expected, "round {round}: {what} answered {status}: {body}");
        }
        // The day is closed: its slots offer no place.
        assert!(slots_of(&app, "sha-tin-town-hall", on).await.iter().all(|s| s.2 == 0), "round {round}");
    }
    let held = "SELECT COUNT(*) AS n FROM booking_booking b JOIN booking_slot s ON s.id = b.slot_id \
                WHERE b.status = 'confirmed' AND s.closed_at IS NOT NULL";
    assert_eq!(count(&app, held).await, 0, "no confirmed booking left in a closed slot");
    let taken = "SELECT COUNT(*) AS n FROM booking_slot WHERE closed_at IS NOT NULL AND taken <> 0";
    assert_eq!(count(&app, taken).await, 0, "every closed slot gave its places back");
    let report = platform::audit::verify(app.db(), &app.state.keys, None).await.unwrap();
    assert!(report.ok, "{report:?}");
}
both_backends!(a_closure_racing_bookings_and_cancellations_answers_no_500);

/// A closure that moves bookings checks each person's eligibility on the
/// new day, as a reschedule does: a child who is too old by then is
/// cancelled (and offered to book again) rather than moved where they may
/// not be served; the others move.
async fn a_closure_moves_only_those_still_eligible_on_the_new_day(backend: Backend) {
    let app = spawn(backend).await;
    let mut plan = testing_plan(2);
    plan["programme"][0]["eligibility"] = json!({"level": "basic", "max_age": 11});
    let imported = import(&app, &plan).await;
    let admin = admin(&app).await;
    let (tomorrow, on) = (day(&app, 1), day(&app, 3));
    let sha_tin = slots_of(&app, "sha-tin-town-hall", tomorrow).await;
    let mut bookings = Vec::new();
    // Twelve by the new day; six.
    let born = [time::Date::from_calendar_date(on.year() - 12, on.month(), on.day()).unwrap(), day(&app, -6 * 365)];
    for (n, born) in born.into_iter().enumerate() {
        let (account, client) =
            resident(&app, IdentityLevel::Basic, Some(&hkid(400 + u32::try_from(n).unwrap()))).await;
        crate::support::set_birthdate(account, born);
        let response = book(&client, &sha_tin[n].0, None).await;
        assert_eq!(response.status(), 201);
        let booked: Value = response.json().await.unwrap();
        bookings.push((client, booked["id"].as_str().unwrap().to_owned()));
    }
    let moving = json!({"day": tomorrow.to_string(), "centre_ids": [imported.programmes[0].centres["sha-tin-town-hall"]],
        "reason": "typhoon-8", "action": "move", "move_to": on.to_string()});
    let response = send(&admin, Method::POST, "/api/v1/booking/admin/closures", Some(&moving), None).await;
    assert_eq!(response.status(), 200);
    let done: Value = response.json().await.unwrap();
    assert_eq!(done, json!({"centres": 1, "slots_closed": 2, "cancelled": 1, "moved": 1, "notified": 2}));
    let target = slots_of(&app, "sha-tin-town-hall", on).await;
    let statuses: Vec<(String, String)> = {
        let mut out = Vec::new();
        for (client, _) in &bookings {
            let mine: Value = client.get("/api/v1/booking/bookings").await.json().await.unwrap();
            out.push((
                mine["items"][0]["status"].as_str().unwrap().to_owned(),
                mine["items"][0]["slot_id"].as_str().unwrap().to_owned(),
            ));
        }
        out
    };
    assert_eq!(statuses[0], ("cancelled".to_owned(), sha_tin[0].0.clone()), "too old on the new day");
    assert_eq!(statuses[1], ("confirmed".to_owned(), target[1].0.clone()), "moved to the same time");
    assert_eq!((target[0].2, target[1].2), (2, 1), "only the moved booking took a place");
    assert_eq!(count(&app, "SELECT SUM(taken) AS n FROM booking_slot").await, 1, "the ledger matches the bookings");
}
both_backends!(a_closure_moves_only_those_still_eligible_on_the_new_day);
