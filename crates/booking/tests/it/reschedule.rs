//! Moving a booking (`POST /api/v1/booking/bookings/{id}/reschedule`): the
//! new place is taken, the old one given back, in one transaction, so
//! exactly one place stays taken; a full target, another programme and a
//! cancelled booking are refused and change nothing.

use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::Backend;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    availability, book, hkid, import, problem, resident, send, set_birthdate, slots, spawn, testing_plan,
};

async fn moving_a_booking_keeps_exactly_one_place_taken(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(1)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let (_, resident_a) = resident(&app, IdentityLevel::Basic, Some(&hkid(200))).await;
    let (_, resident_b) = resident(&app, IdentityLevel::Basic, Some(&hkid(201))).await;
    let booked: Value = book(&resident_a, &all[0].0, None).await.json().await.unwrap();
    assert_eq!(book(&resident_b, &all[2].0, None).await.status(), 201);
    let path = format!("/api/v1/booking/bookings/{}/reschedule", booked["id"].as_str().unwrap());

    let response = send(&resident_a, Method::POST, &path, Some(&json!({"slot_id": all[1].0})), None).await;
    assert_eq!(response.status(), 200);
    let moved: Value = response.json().await.unwrap();
    assert_eq!(moved["slot_id"], all[1].0.as_str());
    assert_eq!(moved["reference"], booked["reference"], "the reference stays");
    let free: Vec<i64> = slots(&availability(&app.client(), "community-testing").await).iter().map(|s| s.2).collect();
    assert_eq!(&free[..3], &[1, 0, 0], "old place back, new one taken");

    // A full slot: 409, and nothing moves.
    let (status, kind, body) =
        problem(send(&resident_a, Method::POST, &path, Some(&json!({"slot_id": all[2].0})), None).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/full"), "{body}");
    let after: Vec<i64> = slots(&availability(&app.client(), "community-testing").await).iter().map(|s| s.2).collect();
    assert_eq!(after, free);

    // Another programme's slot.
    let mut other = testing_plan(1);
    other["programme"][0]["slug"] = json!("other");
    import(&app, &other).await;
    let elsewhere = slots(&availability(&app.client(), "other").await)[0].0.clone();
    let (status, kind, _) =
        problem(send(&resident_a, Method::POST, &path, Some(&json!({"slot_id": elsewhere})), None).await).await;
    assert_eq!((status, kind.as_str()), (422, "booking/other-programme"));

    // Someone else's booking is not found; a cancelled one cannot move.
    let (status, ..) =
        problem(send(&resident_b, Method::POST, &path, Some(&json!({"slot_id": all[3].0})), None).await).await;
    assert_eq!(status, 404);
    let cancel = format!("/api/v1/booking/bookings/{}", booked["id"].as_str().unwrap());
    assert_eq!(send(&resident_a, Method::DELETE, &cancel, None, None).await.status(), 200);
    let (status, kind, _) =
        problem(send(&resident_a, Method::POST, &path, Some(&json!({"slot_id": all[3].0})), None).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/already-cancelled"));
    let free: Vec<i64> = slots(&availability(&app.client(), "community-testing").await).iter().map(|s| s.2).collect();
    assert_eq!(&free[..4], &[1, 1, 0, 1]);
}
both_backends!(moving_a_booking_keeps_exactly_one_place_taken);

/// Two residents swap slots at the same moment (A to B while B to A),
/// round after round: each move takes the two slots' rows in one order, so
/// PostgreSQL never has to break a deadlock (which answered 500); every
/// move is answered 200 and the ledger holds.
async fn opposite_moves_at_once_both_succeed(backend: Backend) {
    const ROUNDS: u32 = 8;
    let app = spawn(backend).await;
    import(&app, &testing_plan(2 * ROUNDS)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let (a_slot, b_slot) = (all[0].0.clone(), all[1].0.clone());
    for round in 0..ROUNDS {
        let mut ready = Vec::new();
        for (n, (from, to)) in [(&a_slot, &b_slot), (&b_slot, &a_slot)].into_iter().enumerate() {
            let (_, client) = resident(&app, IdentityLevel::Basic, Some(&hkid(800 + 2 * round + n as u32))).await;
            let booked: Value = book(&client, from, None).await.json().await.unwrap();
            let path = format!("/api/v1/booking/bookings/{}/reschedule", booked["id"].as_str().unwrap());
            let token = client.csrf_token().await;
            let request = client
                .http
                .post(client.url(&path))
                .header(platform::web::CSRF_HEADER, token)
                .json(&json!({"slot_id": to}));
            ready.push(request);
        }
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(ready.len()));
        let mut tasks = tokio::task::JoinSet::new();
        for request in ready {
            let barrier = barrier.clone();
            tasks.spawn(async move {
                barrier.wait().await;
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (status, body) = done.unwrap();
            assert_eq!(status, 200, "round {round}: {body}");
        }
    }
    let free: Vec<i64> = slots(&availability(&app.client(), "community-testing").await).iter().map(|s| s.2).collect();
    let capacity = i64::from(2 * ROUNDS);
    assert_eq!(
        &free[..2],
        &[capacity - i64::from(ROUNDS), capacity - i64::from(ROUNDS)],
        "each slot holds one a round"
    );
}
both_backends!(opposite_moves_at_once_both_succeed);

/// `birth` such that the person turns `years` on `day`.
fn born_turning(years: i32, day: time::Date) -> time::Date {
    time::Date::from_calendar_date(day.year() - years, day.month(), day.day()).unwrap()
}

/// A programme with an age rule checks it again on the new day, with the
/// birth date identity knows: a reschedule used to know none and refused
/// everyone as `birthdate-unknown`.
async fn moving_a_booking_checks_the_age_rule_on_the_new_day(backend: Backend) {
    let app = spawn(backend).await;
    let mut plan = testing_plan(2);
    plan["programme"][0]["eligibility"] = json!({"level": "basic", "min_age": 12});
    import(&app, &plan).await;
    // The first centre's slots: two a day, from tomorrow.
    let all = slots(&availability(&app.client(), "community-testing").await);
    let today = app.state.today();
    let (adult, adult_client) = resident(&app, IdentityLevel::Basic, Some(&hkid(300))).await;
    set_birthdate(adult, time::macros::date!(1990 - 01 - 01));
    let booked: Value = book(&adult_client, &all[0].0, None).await.json().await.unwrap();
    let path = format!("/api/v1/booking/bookings/{}/reschedule", booked["id"].as_str().unwrap());
    let response = send(&adult_client, Method::POST, &path, Some(&json!({"slot_id": all[2].0})), None).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    // Twelve the day after tomorrow: booked then, not a day earlier.
    let (child, child_client) = resident(&app, IdentityLevel::Basic, Some(&hkid(301))).await;
    set_birthdate(child, born_turning(12, today + time::Duration::days(2)));
    let response = book(&child_client, &all[2].0, None).await;
    assert_eq!(response.status(), 201);
    let booked: Value = response.json().await.unwrap();
    let path = format!("/api/v1/booking/bookings/{}/reschedule", booked["id"].as_str().unwrap());
    let (status, kind, body) =
        problem(send(&child_client, Method::POST, &path, Some(&json!({"slot_id": all[0].0})), None).await).await;
    assert_eq!(
        (status, kind.as_str(), body["reason"].as_str()),
        (422, "booking/ineligible", Some("too-young")),
        "{body}"
    );
    let response = send(&child_client, Method::POST, &path, Some(&json!({"slot_id": all[4].0})), None).await;
    assert_eq!(response.status(), 200, "a later day is fine");
}
both_backends!(moving_a_booking_checks_the_age_rule_on_the_new_day);
