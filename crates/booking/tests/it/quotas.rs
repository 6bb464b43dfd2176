//! Day quotas (per centre, local day and product) against the places
//! bookings hold: a quota opened by slot generation after bookings exist
//! counts them (and is never below them); a quota set while bookings are
//! being made counts every one of them (none slips past); and the free
//! places residents are shown (the API's availability, the pages, the live
//! stream) are at most what the day's quota has left, as booking allows.

use ::booking::bookings::store::booking;
use ::booking::programmes::store::{quota, slot};
use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::{Backend, TestApp};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::live::next_summary;
use crate::support::{
    admin, availability, book, day, hkid, import, problem, resident, send, slots, spawn, testing_plan,
};

/// The ledger of a centre's product on local day `on`: the quota's
/// (capacity, taken) if it has one, the places its slots hold (their
/// `taken`), and the bookings holding a place in them.
async fn ledger(app: &TestApp, centre: &str, product: &str, on: time::Date) -> (Option<(i32, i32)>, i32, u64) {
    let (from, to) = (app.state.start_of_day(on), app.state.start_of_day(on + time::Duration::DAY));
    let day_slots = slot::Entity::find()
        .filter(slot::Column::CentreId.eq(centre))
        .filter(slot::Column::ProductId.eq(product))
        .filter(slot::Column::StartsAt.gte(from))
        .filter(slot::Column::StartsAt.lt(to))
        .all(app.db())
        .await
        .unwrap();
    let held = booking::Entity::find()
        .filter(booking::Column::SlotId.is_in(day_slots.iter().map(|s| s.id.clone())))
        .filter(booking::Column::Status.ne("cancelled"))
        .count(app.db())
        .await
        .unwrap();
    let q = quota::Entity::find_by_id((centre.to_owned(), on, product.to_owned())).one(app.db()).await.unwrap();
    (q.map(|q| (q.capacity, q.taken)), day_slots.iter().map(|s| s.taken).sum(), held)
}

/// The slots of a centre (by slug) on local day `on`: (slot_id, capacity, free).
async fn slots_of(app: &TestApp, slug: &str, on: time::Date) -> Vec<(String, i64, i64)> {
    let body = availability(&app.client(), "community-testing").await;
    let centre = body["centres"].as_array().unwrap().iter().find(|c| c["slug"] == slug).unwrap().clone();
    let wrapped = json!({"centres": [{"days": centre["days"].as_array().unwrap().iter()
        .filter(|d| d["date"] == on.to_string()).cloned().collect::<Vec<_>>()}]});
    slots(&wrapped)
}

/// Slot generation with a quota, run again over a day whose slots already
/// hold bookings: the quota it opens counts them (it used to start at 0,
/// letting the day overbook its quota), and one below them is refused.
async fn a_quota_opened_by_slot_generation_counts_the_places_held(backend: Backend) {
    let app = spawn(backend).await;
    let imported = import(&app, &testing_plan(5)).await;
    let (centre, product) =
        (&imported.programmes[0].centres["sha-tin-town-hall"], &imported.programmes[0].products["pcr"]);
    let admin = admin(&app).await;
    let tomorrow = day(&app, 1);
    let slot = slots_of(&app, "sha-tin-town-hall", tomorrow).await[0].0.clone();
    for n in 0..2 {
        let (_, r) = resident(&app, IdentityLevel::Basic, None).await;
        assert_eq!(book(&r, &slot, Some(&hkid(500 + n))).await.status(), 201);
    }
    let generate = "/api/v1/booking/admin/programmes/community-testing/slots";
    let run = |quota: u32| {
        json!({"centre_ids": [centre], "from": tomorrow.to_string(), "to": tomorrow.to_string(),
               "minutes": 30, "capacity": 5, "quota": quota})
    };

    let (status, kind, body) = problem(send(&admin, Method::POST, generate, Some(&run(1)), None).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/quota-below-taken"), "{body}");
    assert_eq!(ledger(&app, centre, product, tomorrow).await.0, None, "nothing opened");

    let response = send(&admin, Method::POST, generate, Some(&run(3)), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(ledger(&app, centre, product, tomorrow).await, (Some((3, 2)), 2, 2), "the quota counts the two held");
    // One more place under the quota, then full although the slot has places.
    let (_, third) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(book(&third, &slot, Some(&hkid(502))).await.status(), 201);
    let (_, fourth) = resident(&app, IdentityLevel::Basic, None).await;
    let (status, kind, _) = problem(book(&fourth, &slot, Some(&hkid(503))).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/full"));
    assert_eq!(ledger(&app, centre, product, tomorrow).await, (Some((3, 3)), 3, 3));
}
both_backends!(a_quota_opened_by_slot_generation_counts_the_places_held);

/// Bookings and an administrator opening the day's quota at the same
/// moment, over several days: whichever comes first, the quota's `taken`
/// ends equal to the places the day's slots hold (a booking between the
/// quota's count and its commit used to slip past it on PostgreSQL).
async fn a_quota_set_during_a_rush_counts_every_booking(backend: Backend) {
    const DAYS: i64 = 6;
    const PER_DAY: u32 = 6;
    let app = spawn(backend).await;
    let mut plan = testing_plan(50);
    plan["programme"][0]["slots"][0]["days"] = json!(DAYS);
    let imported = import(&app, &plan).await;
    let (centre, product) =
        (imported.programmes[0].centres["sha-tin-town-hall"].clone(), imported.programmes[0].products["pcr"].clone());
    let admin = admin(&app).await;
    let admin_csrf = admin.csrf_token().await;
    let mut n = 0;
    for d in 1..=DAYS {
        let on = day(&app, d);
        let day_slots = slots_of(&app, "sha-tin-town-hall", on).await;
        let mut ready = Vec::new();
        for i in 0..PER_DAY {
            let (_, client) = resident(&app, IdentityLevel::Basic, None).await;
            let token = client.csrf_token().await;
            let body = json!({"slot_id": day_slots[i as usize % day_slots.len()].0,
                "document": {"kind": "hkid", "number": hkid(600 + n)}});
            n += 1;
            ready.push(
                client
                    .http
                    .post(client.url("/api/v1/booking/bookings"))
                    .header(platform::web::CSRF_HEADER, token)
                    .json(&body),
            );
        }
        let quota = json!({"centre_id": centre, "product_id": product, "day": on.to_string(), "capacity": 100});
        let set = admin
            .http
            .put(admin.url("/api/v1/booking/admin/quotas"))
            .header(platform::web::CSRF_HEADER, &admin_csrf)
            .json(&quota);
        // The quota goes out in the middle of the bookings.
        let mut tasks = tokio::task::JoinSet::new();
        for (i, request) in ready.into_iter().enumerate() {
            if i == PER_DAY as usize / 2 {
                let set = set.try_clone().unwrap();
                tasks.spawn(async move { ("quota", set.send().await.unwrap().status().as_u16()) });
            }
            tasks.spawn(async move { ("booking", request.send().await.unwrap().status().as_u16()) });
        }
        while let Some(done) = tasks.join_next().await {
            let (what, status) = done.unwrap();
            let expected = if what == "quota" { 200 } else { 201 };
            assert_eq!(status, expected, "{what} on day {d}");
        }
        let (quota, taken, held) = ledger(&app, &centre, &product, on).await;
        assert_eq!(held, u64::from(PER_DAY), "day {d}");
        assert_eq!(taken, i32::try_from(PER_DAY).unwrap(), "day {d}");
        assert_eq!(quota, Some((100, taken)), "day {d}: the quota counts every place held");
    }
}
both_backends!(a_quota_set_during_a_rush_counts_every_booking);

/// What residents are shown follows the quota: each slot's `free` in the
/// API, the day's places on the centre page and the live summary are at
/// most what the quota has left; booking agrees.
async fn free_places_shown_are_at_most_the_quota_left(backend: Backend) {
    let app = spawn(backend).await;
    let imported = import(&app, &testing_plan(5)).await;
    let (centre, product) =
        (&imported.programmes[0].centres["sha-tin-town-hall"], &imported.programmes[0].products["pcr"]);
    let admin = admin(&app).await;
    let tomorrow = day(&app, 1);
    let quota = json!({"centre_id": centre, "product_id": product, "day": tomorrow.to_string(), "capacity": 3});
    assert_eq!(send(&admin, Method::PUT, "/api/v1/booking/admin/quotas", Some(&quota), None).await.status(), 200);

    // Two slots of five places, under a quota of three.
    let shown = slots_of(&app, "sha-tin-town-hall", tomorrow).await;
    assert_eq!(shown.iter().map(|s| (s.1, s.2)).collect::<Vec<_>>(), [(5, 3), (5, 3)], "{shown:?}");
    let events = format!("/api/v1/booking/programmes/{}/events", imported.programmes[0].id);
    let mut stream = app.client().get(&events).await;
    let live = next_summary(&mut stream, &mut String::new()).await;
    assert_eq!(live["centres"][0]["id"], centre.as_str());
    assert_eq!(live["centres"][0]["free"][1], 3, "the live stream: three tomorrow, not ten: {live}");
    drop(stream);
    let page = app.client().get("/en/booking/community-testing/availability").await.text().await.unwrap();
    assert_eq!(page.matches(r#"data-day="1">3</td>"#).count(), 1, "the public page: {page}");
    assert_eq!(page.matches(r#"data-day="1">10</td>"#).count(), 1, "the other centre has no quota: {page}");
    let path = format!("/en/booking/community-testing/centres/sha-tin-town-hall?day={tomorrow}");
    let centre_page = app.client().get(&path).await.text().await.unwrap();
    let tomorrow_link = centre_page.split(&format!(">{tomorrow} (")).nth(1).unwrap_or_default();
    let tomorrow_link = &tomorrow_link[..tomorrow_link.find("</a>").unwrap_or(0)];
    assert!(tomorrow_link.ends_with(": 3 free"), "the day's places, not 10: {centre_page}");
    assert_eq!(centre_page.matches(", 3 free</label>").count(), 2, "each slot's, not 5: {centre_page}");

    let (_, a) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(book(&a, &shown[0].0, Some(&hkid(700))).await.status(), 201);
    let shown = slots_of(&app, "sha-tin-town-hall", tomorrow).await;
    assert_eq!(shown.iter().map(|s| s.2).collect::<Vec<_>>(), [2, 2]);
    for n in 1..3 {
        let (_, r) = resident(&app, IdentityLevel::Basic, None).await;
        assert_eq!(book(&r, &shown[1].0, Some(&hkid(700 + n))).await.status(), 201);
    }
    let shown = slots_of(&app, "sha-tin-town-hall", tomorrow).await;
    assert_eq!(shown.iter().map(|s| s.2).collect::<Vec<_>>(), [0, 0], "the quota is used up: nothing is offered");
    let (_, late) = resident(&app, IdentityLevel::Basic, None).await;
    let (status, kind, _) = problem(book(&late, &shown[0].0, Some(&hkid(710))).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/full"), "and booking agrees");
    let page = app.client().get("/en/booking/community-testing/availability").await.text().await.unwrap();
    assert_eq!(page.matches(r#"data-day="1">0</td>"#).count(), 1, "{page}");
    // The other centre has no quota: all its places are offered.
    let other: Vec<i64> = slots_of(&app, "wan-chai-sports-centre", tomorrow).await.iter().map(|s| s.2).collect();
    assert_eq!(other, [5, 5]);
}
both_backends!(free_places_shown_are_at_most_the_quota_left);
