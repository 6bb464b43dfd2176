//! The residents' API over HTTP: programmes and availability (public),
//! booking, the full slot, the duplicate check on the identity document,
//! every eligibility rule, cancelling (twice, someone else's) and
//! Idempotency-Key.

use platform::both_backends;
use platform::principal::IdentityLevel;
use platform::testkit::{Backend, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{availability, book, hkid, import, problem, resident, send, slots, spawn, testing_plan};

async fn first_slot(app: &TestApp) -> String {
    slots(&availability(&app.client(), "community-testing").await)[0].0.clone()
}

async fn programmes_and_availability_are_public_and_follow_the_ledger(backend: Backend) {
    let app = spawn(backend).await;
    let imported = import(&app, &testing_plan(2)).await;
    let anyone = app.client();
    let list: Value = anyone.get("/api/v1/booking/programmes").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let programme = &list["items"][0];
    assert_eq!(programme["slug"], "community-testing");
    assert_eq!(programme["name"]["zh-HK"], "社區檢測");
    assert_eq!(programme["centres"].as_array().unwrap().len(), 2);
    assert_eq!(programme["open"], true);
    assert!(list["next"].is_null());

    // By slug or by ID; two centres, three days, two half-hour slots a day.
    let by_id = availability(&anyone, &imported.programmes[0].id).await;
    let all = slots(&by_id);
    assert_eq!(all.len(), 2 * 3 * 2, "{by_id}");
    assert!(all.iter().all(|(_, capacity, free)| *capacity == 2 && *free == 2));
    let starts_at = by_id["centres"][0]["days"][0]["slots"][0]["starts_at"].as_str().expect("RFC 3339 text");
    assert!(starts_at.ends_with('Z') && starts_at.contains("T01:00:00"), "09:00 in Hong Kong: {starts_at}");
    assert_eq!(by_id["centres"][0]["days"].as_array().unwrap().len(), 3);

    let (_, resident) = resident(&app, IdentityLevel::Basic, None).await;
    assert_eq!(book(&resident, &all[0].0, Some(&hkid(1))).await.status(), 201);
    let after = slots(&availability(&anyone, "community-testing").await);
    assert_eq!(after[0].2, 1);
    assert!(after[1..].iter().all(|s| s.2 == 2));

    for (query, field) in
        [("from=31-12-2026", "from"), ("from=2026-12-10&to=2026-12-01", "to"), ("to=2027-06-01", "to")]
    {
        let response = anyone.get(&format!("/api/v1/booking/programmes/community-testing/availability?{query}")).await;
        let (status, _, body) = problem(response).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    let (status, ..) = problem(anyone.get("/api/v1/booking/programmes/nothing/availability").await).await;
    assert_eq!(status, 404);
}
both_backends!(programmes_and_availability_are_public_and_follow_the_ledger);

async fn a_booking_has_a_reference_a_full_slot_says_so_and_cancelling_gives_the_place_back(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(1)).await;
    let slot = first_slot(&app).await;
    let (_, a) = resident(&app, IdentityLevel::Basic, Some(&hkid(10))).await;
    let (_, b) = resident(&app, IdentityLevel::Basic, Some(&hkid(11))).await;

    let response = book(&a, &slot, None).await;
    assert_eq!(response.status(), 201);
    let booking: Value = response.json().await.unwrap();
    let reference = booking["reference"].as_str().unwrap();
    assert!(booking::bookings::Reference::parse(reference).is_some(), "{reference}");
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["step"], 1);
    assert_eq!(booking["slot_id"], slot.as_str());
    let starts_at = booking["starts_at"].as_str().expect("RFC 3339 text");
    assert!(
        time::OffsetDateTime::parse(starts_at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{booking}"
    );

    let (status, kind, body) = problem(book(&b, &slot, None).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/full"), "{body}");
    assert_eq!(body["type"], "urn:lionrock:problem:booking/full");

    let mine: Value = a.get("/api/v1/booking/bookings").await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let theirs: Value = b.get("/api/v1/booking/bookings").await.json().await.unwrap();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);

    let id = booking["id"].as_str().unwrap();
    let path = format!("/api/v1/booking/bookings/{id}");
    let (status, kind, _) = problem(send(&b, Method::DELETE, &path, None, None).await).await;
    assert_eq!((status, kind.as_str()), (404, "booking/unknown-booking"), "someone else's booking");
    let response = send(&a, Method::DELETE, &path, None, None).await;
    assert_eq!(response.status(), 200);
    let cancelled: Value = response.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    let (status, kind, _) = problem(send(&a, Method::DELETE, &path, None, None).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/already-cancelled"));

    // The place is back at once.
    assert_eq!(slots(&availability(&app.client(), "community-testing").await)[0].2, 1);
    assert_eq!(book(&b, &slot, None).await.status(), 201);

    let (status, kind, _) = problem(book(&a, "0190aaaa-0000-7000-8000-000000000000", None).await).await;
    assert_eq!((status, kind.as_str()), (404, "booking/unknown-slot"));
    let (status, ..) =
        problem(app.client().post_json("/api/v1/booking/bookings", &json!({"slot_id": slot})).await).await;
    assert_eq!(status, 401);
}
both_backends!(a_booking_has_a_reference_a_full_slot_says_so_and_cancelling_gives_the_place_back);

async fn the_identity_document_allows_one_booking_per_programme_step(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(5)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let (_, checked) = resident(&app, IdentityLevel::RealName, Some(&hkid(20))).await;
    let first: Value = book(&checked, &all[0].0, None).await.json().await.unwrap();
    let (status, kind, _) = problem(book(&checked, &all[1].0, None).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/duplicate"));

    // Another account giving the same document is the same person.
    let (_, other) = resident(&app, IdentityLevel::Basic, None).await;
    let (status, kind, _) = problem(book(&other, &all[2].0, Some(&hkid(20))).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/duplicate"));
    // The refused booking took no place.
    assert!(slots(&availability(&app.client(), "community-testing").await)[1..].iter().all(|s| s.2 == 5));

    let path = format!("/api/v1/booking/bookings/{}", first["id"].as_str().unwrap());
    assert_eq!(send(&checked, Method::DELETE, &path, None, None).await.status(), 200);
    assert_eq!(book(&other, &all[2].0, Some(&hkid(20))).await.status(), 201);
}
both_backends!(the_identity_document_allows_one_booking_per_programme_step);

/// A vaccination programme of two doses, 21 to 56 days apart, for people
/// aged 12 or more, residents only, at the real-name level.
fn vaccination_plan() -> Value {
    let mut plan = testing_plan(5);
    let p = &mut plan["programme"][0];
    p["slug"] = json!("vaccination");
    p["kind"] = json!("vaccination");
    p["eligibility"] = json!({"level": "real_name", "residents_only": true, "steps": 2,
        "min_interval_days": 21, "max_interval_days": 56});
    p["product"] = json!([
        {"code": "comirnaty", "name": {"en": "Comirnaty", "zh-HK": "復必泰", "zh-CN": "复必泰"}},
        {"code": "coronavac", "name": {"en": "CoronaVac", "zh-HK": "科興", "zh-CN": "科兴"}}
    ]);
    plan
}

async fn ineligible_people_are_told_why(backend: Backend) {
    let app = spawn(backend).await;
    let imported = import(&app, &vaccination_plan()).await;
    let products = &imported.programmes[0].products;
    let programme_slots: Value = availability(&app.client(), "vaccination").await;
    let day_slots = |product: &str| -> Vec<String> {
        let mut out = Vec::new();
        for day in programme_slots["centres"][0]["days"].as_array().unwrap() {
            for s in day["slots"].as_array().unwrap() {
                if s["product_id"] == products[product].as_str() {
                    out.push(s["slot_id"].as_str().unwrap().to_owned());
                }
            }
        }
        out
    };
    let comirnaty = day_slots("comirnaty");
    let coronavac = day_slots("coronavac");

    let reason = |body: &Value| body["reason"].as_str().unwrap_or_default().to_owned();
    let (_, basic) = resident(&app, IdentityLevel::Basic, Some(&hkid(30))).await;
    let (status, kind, body) = problem(book(&basic, &comirnaty[0], None).await).await;
    assert_eq!((status, kind.as_str(), reason(&body).as_str()), (422, "booking/ineligible", "level"), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("real-name"), "{body}");

    let (_, undocumented) = resident(&app, IdentityLevel::RealName, None).await;
    let (status, _, body) = problem(book(&undocumented, &comirnaty[0], None).await).await;
    assert_eq!((status, reason(&body).as_str()), (422, "document-needed"), "{body}");
    let passport =
        json!({"slot_id": comirnaty[0], "document": {"kind": "passport", "number": "E1234567", "country": "CHN"}});
    let (status, _, body) =
        problem(send(&undocumented, Method::POST, "/api/v1/booking/bookings", Some(&passport), None).await).await;
    assert_eq!((status, reason(&body).as_str()), (422, "not-resident"), "{body}");
    let bad = json!({"slot_id": comirnaty[0], "document": {"kind": "hkid", "number": "A123456(4)"}});
    let (status, kind, body) =
        problem(send(&undocumented, Method::POST, "/api/v1/booking/bookings", Some(&bad), None).await).await;
    assert_eq!((status, kind.as_str()), (422, "validation"), "{body}");
    assert_eq!(body["errors"][0]["field"], "/document/number");
    // A valid number typed in proves nothing: a real-name, residents-only
    // programme needs the document identity checked, or anyone could hold
    // places with invented numbers (or block someone with theirs).
    let (status, _, body) = problem(book(&undocumented, &comirnaty[0], Some(&hkid(39))).await).await;
    assert_eq!((status, reason(&body).as_str()), (422, "document-unchecked"), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("checked"), "{body}");

    // A first dose attended 30 days ago: the second is inside its window,
    // with the same product only.
    let (_, second) = resident(&app, IdentityLevel::RealName, Some(&hkid(31))).await;
    let first: Value = book(&second, &comirnaty[0], None).await.json().await.unwrap();
    attended(&app, first["id"].as_str().unwrap(), 30).await;
    let (status, _, body) = problem(book(&second, &coronavac[1], None).await).await;
    assert_eq!((status, reason(&body).as_str()), (422, "other-product"), "{body}");
    let response = book(&second, &comirnaty[1], None).await;
    assert_eq!(response.status(), 201);
    let dose2: Value = response.json().await.unwrap();
    assert_eq!(dose2["step"], 2);
    attended(&app, dose2["id"].as_str().unwrap(), 1).await;
    let (status, _, body) = problem(book(&second, &comirnaty[2], None).await).await;
    assert_eq!((status, reason(&body).as_str()), (422, "course-complete"), "{body}");

    // Too soon (attended 5 days ago) and too late (attended 80 days ago).
    for (n, days_ago, expected) in [(32, 5, "too-soon"), (33, 80, "too-late")] {
        let (_, person) = resident(&app, IdentityLevel::RealName, Some(&hkid(n))).await;
        let first: Value = book(&person, &comirnaty[0], None).await.json().await.unwrap();
        attended(&app, first["id"].as_str().unwrap(), days_ago).await;
        let (status, _, body) = problem(book(&person, &comirnaty[1], None).await).await;
        assert_eq!((status, reason(&body).as_str()), (422, expected), "{body}");
        assert!(body["detail"].as_str().unwrap().contains('-'), "the date is named: {body}");
    }

    // Age limits need a birth date.
    let mut elderly = vaccination_plan();
    elderly["programme"][0]["slug"] = json!("elderly");
    elderly["programme"][0]["eligibility"] = json!({"level": "basic", "min_age": 60});
    import(&app, &elderly).await;
    let slot = slots(&availability(&app.client(), "elderly").await)[0].0.clone();
    let (status, _, body) = problem(book(&basic, &slot, None).await).await;
    assert_eq!((status, reason(&body).as_str()), (422, "birthdate-unknown"), "{body}");
    // Identity's birth date decides: too young at 40, eligible at 70.
    let (young_id, young) = resident(&app, IdentityLevel::Basic, Some(&hkid(34))).await;
    crate::support::set_birthdate(young_id, time::OffsetDateTime::now_utc().date() - time::Duration::days(40 * 366));
    let (status, _, body) = problem(book(&young, &slot, None).await).await;
    assert_eq!((status, reason(&body).as_str()), (422, "too-young"), "{body}");
    let (old_id, old) = resident(&app, IdentityLevel::Basic, Some(&hkid(35))).await;
    crate::support::set_birthdate(old_id, time::OffsetDateTime::now_utc().date() - time::Duration::days(70 * 366));
    assert_eq!(book(&old, &slot, None).await.status(), 201);

    // A programme outside its window.
    let mut closed = testing_plan(5);
    closed["programme"][0]["slug"] = json!("closed");
    closed["programme"][0]["closes_at"] = json!("2020-01-01T00:00:00Z");
    import(&app, &closed).await;
    let slot = slots(&availability(&app.client(), "closed").await)[0].0.clone();
    let (status, _, body) = problem(book(&basic, &slot, None).await).await;
    assert_eq!((status, reason(&body).as_str()), (422, "not-open"), "{body}");
}
both_backends!(ineligible_people_are_told_why);

/// Marks a booking attended `days_ago` days ago (as a centre's check-in will).
async fn attended(app: &TestApp, id: &str, days_ago: i64) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let at = time::OffsetDateTime::now_utc() - time::Duration::days(days_ago);
    booking::bookings::store::booking::ActiveModel {
        id: Set(id.to_owned()),
        status: Set("attended".to_owned()),
        attended_at: Set(Some(at)),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
}

async fn a_retried_request_never_books_twice(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(5)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let (_, resident) = resident(&app, IdentityLevel::Basic, None).await;
    let body = json!({"slot_id": all[0].0, "document": {"kind": "hkid", "number": hkid(40)}});
    let path = "/api/v1/booking/bookings";
    let first = send(&resident, Method::POST, path, Some(&body), Some("retry-1")).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(&resident, Method::POST, path, Some(&body), Some("retry-1")).await;
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    let other = json!({"slot_id": all[1].0, "document": {"kind": "hkid", "number": hkid(40)}});
    let (status, kind, _) = problem(send(&resident, Method::POST, path, Some(&other), Some("retry-1")).await).await;
    assert_eq!((status, kind.as_str()), (422, "idempotency-key-reused"));
    let mine: Value = resident.get(path).await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(slots(&availability(&app.client(), "community-testing").await)[0].2, 4);
}
both_backends!(a_retried_request_never_books_twice);
