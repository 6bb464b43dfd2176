//! Officers over HTTP: check-in by typed reference (case and dashes do not
//! matter), its wrong-day, already-attended and cancelled answers; walk-ins
//! that take a place and meet the full slot and the duplicate check; one
//! specimen per attendance; the laboratory kept from personal data on every
//! booking route; the results role joining and notifying; the no-show job.

use platform::both_backends;
use platform::principal::{AccountId, AuthStrength, IdentityLevel, Principal, Role};
use platform::testkit::{Backend, TestApp, TestClient};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{
    availability, book, hkid, import, problem, resident, send, slots, spawn, testing_plan, works_everywhere,
};

fn officer(scopes: &[&str]) -> Principal {
    Principal::new(
        AccountId(uuid::Uuid::now_v7()),
        IdentityLevel::Basic,
        vec![Role::Officer],
        AuthStrength::Password,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    )
    .with_scopes(scopes.iter().map(|s| (*s).to_owned()).collect())
}

/// A `booking-staff` officer who works at every centre there is now.
async fn staff(app: &TestApp) -> TestClient {
    let principal = officer(&[booking::officers::STAFF_SCOPE]);
    works_everywhere(app, &principal).await;
    app.sign_in_as(&principal).await
}

/// Moves `slot` to start now (its local day is today), as the clock would.
async fn move_to_now(app: &TestApp, slot: &str) {
    use booking::programmes::store::slot as s;
    let now = time::OffsetDateTime::now_utc();
    s::Entity::update_many()
        .col_expr(s::Column::StartsAt, Expr::value(now))
        .col_expr(s::Column::EndsAt, Expr::value(now + time::Duration::minutes(30)))
        .filter(s::Column::Id.eq(slot))
        .exec(app.db())
        .await
        .unwrap();
}

/// Moves `slot` two days back: its local day has ended.
async fn move_to_past(app: &TestApp, slot: &str) {
    use booking::programmes::store::slot as s;
    let at = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    s::Entity::update_many()
        .col_expr(s::Column::StartsAt, Expr::value(at))
        .col_expr(s::Column::EndsAt, Expr::value(at + time::Duration::minutes(30)))
        .filter(s::Column::Id.eq(slot))
        .exec(app.db())
        .await
        .unwrap();
}

async fn check_in(client: &TestClient, reference: &str) -> reqwest::Response {
    send(client, Method::POST, "/api/v1/booking/check-ins", Some(&json!({"reference": reference})), None).await
}

/// A booking by a fresh resident in `slot`: its (id, reference).
async fn booked(app: &TestApp, slot: &str, n: u32) -> (String, String, TestClient) {
    let (_, resident) = resident(app, IdentityLevel::Basic, None).await;
    let response = book(&resident, slot, Some(&hkid(n))).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (body["id"].as_str().unwrap().to_owned(), body["reference"].as_str().unwrap().to_owned(), resident)
}

async fn check_in_answers_by_day_and_status(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(5)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let staff = staff(&app).await;

    let (_, reference, _) = booked(&app, &all[0].0, 1).await;
    // Tomorrow's booking: not today.
    assert_eq!(problem(check_in(&staff, &reference).await).await.1, "booking/wrong-day");
    move_to_now(&app, &all[0].0).await;
    // Typed in lower case with the dash moved: the same reference.
    let typed = reference.replace('-', "").to_lowercase();
    let typed = format!("{}-{}", &typed[..3], &typed[3..]);
    let response = check_in(&staff, &typed).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "attended");
    assert_eq!(body["reference"], reference);
    assert_eq!(body["document"], "A000***(1)".replace("(1)", &hkid(1)[7..]));
    assert!(body["specimen_code"].as_str().is_some_and(|c| c.len() == 15), "{body}");
    assert_eq!(problem(check_in(&staff, &reference).await).await.1, "booking/already-attended");

    // Cancelled.
    let (id, reference, resident) = booked(&app, &all[1].0, 2).await;
    let path = format!("/api/v1/booking/bookings/{id}");
    assert_eq!(send(&resident, Method::DELETE, &path, None, None).await.status(), 200);
    assert_eq!(problem(check_in(&staff, &reference).await).await.1, "booking/already-cancelled");

    // Unknown references count; a resident and a laboratory officer may not check in.
    assert_eq!(problem(check_in(&staff, "00000-00000").await).await.1, "booking/unknown-reference");
    let lab = app.sign_in_as(&officer(&[booking::officers::LAB_SCOPE])).await;
    assert_eq!(check_in(&lab, &reference).await.status(), 403);
    assert_eq!(check_in(&resident, &reference).await.status(), 403);
    let page = staff.get("/en/officer/booking").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"reference\""));
}
both_backends!(check_in_answers_by_day_and_status);

async fn guessing_references_is_cut_off(backend: Backend) {
    let app = spawn(backend).await;
    let first = staff(&app).await;
    for _ in 0..booking::officers::LOOK_UP_MISSES_PER_HOUR {
        assert_eq!(problem(check_in(&first, "ZZZZZ-ZZZZZ").await).await.1, "booking/unknown-reference");
    }
    let (status, kind, _) = problem(check_in(&first, "00000-00000").await).await;
    assert_eq!((status, kind.as_str()), (429, "booking/too-many-look-ups"));
    // Another officer is not held back.
    let other = staff(&app).await;
    assert_eq!(problem(check_in(&other, "00000-00000").await).await.1, "booking/unknown-reference");
}
both_backends!(guessing_references_is_cut_off);

/// Guesses sent at once meet the same limit: the count is taken before each
/// look-up with one conditional statement, not read first and added after.
async fn parallel_guesses_meet_the_limit_exactly(backend: Backend) {
    let app = spawn(backend).await;
    let staff = staff(&app).await;
    let limit = usize::try_from(booking::officers::LOOK_UP_MISSES_PER_HOUR).unwrap();
    staff.csrf_token().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..limit + 20 {
        let staff = staff.clone();
        tasks.spawn(async move { problem(check_in(&staff, "ZZZZZ-ZZZZZ").await).await.1 });
    }
    let answers = tasks.join_all().await;
    let unknown = answers.iter().filter(|k| *k == "booking/unknown-reference").count();
    let refused = answers.iter().filter(|k| *k == "booking/too-many-look-ups").count();
    assert_eq!((unknown, refused), (limit, 20), "{answers:?}");
}
both_backends!(parallel_guesses_meet_the_limit_exactly);

async fn walk_in(client: &TestClient, slot: &str, n: u32) -> reqwest::Response {
    let body = json!({"slot_id": slot, "document": {"kind": "hkid", "number": hkid(n)}});
    send(client, Method::POST, "/api/v1/booking/walk-ins", Some(&body), None).await
}

async fn walk_ins_take_places_and_meet_full_and_duplicate(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(2)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let staff = staff(&app).await;
    assert_eq!(problem(walk_in(&staff, &all[0].0, 1).await).await.1, "booking/wrong-day");
    move_to_now(&app, &all[0].0).await;

    let response = walk_in(&staff, &all[0].0, 1).await;
    assert_eq!(response.status(), 201);
    let first: Value = response.json().await.unwrap();
    assert_eq!(first["status"], "attended");
    assert!(first["specimen_code"].is_string());
    // Attended already: the course is complete.
    let (_, kind, body) = problem(walk_in(&staff, &all[0].0, 1).await).await;
    assert_eq!((kind.as_str(), body["reason"].as_str()), ("booking/ineligible", Some("course-complete")));
    // Booked for another day already: the duplicate check on the document.
    booked(&app, &all[5].0, 4).await;
    assert_eq!(problem(walk_in(&staff, &all[0].0, 4).await).await.1, "booking/duplicate");
    assert_eq!(walk_in(&staff, &all[0].0, 2).await.status(), 201);
    assert_eq!(problem(walk_in(&staff, &all[0].0, 3).await).await.1, "booking/full");
    let (_, _, free) =
        slots(&availability(&app.client(), "community-testing").await).into_iter().find(|s| s.0 == all[0].0).unwrap();
    assert_eq!(free, 0);
    let specimens: Vec<booking::specimens::store::specimen::Model> =
        booking::specimens::store::specimen::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(specimens.len(), 2, "one specimen per attendance");
}
both_backends!(walk_ins_take_places_and_meet_full_and_duplicate);

/// Every booking route in the OpenAPI document, with its method.
async fn booking_operations(app: &TestApp) -> Vec<(Method, String)> {
    let doc: Value = app.client().get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/booking/") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            if let Ok(m) = Method::from_bytes(method.to_uppercase().as_bytes()) {
                out.push((m, path.clone()));
            }
        }
    }
    out
}

async fn the_laboratory_cannot_reach_personal_data(backend: Backend) {
    let app = spawn(backend).await;
    let imported = import(&app, &testing_plan(5)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let staff = staff(&app).await;
    let (booking_id, reference, _) = booked(&app, &all[0].0, 7).await;
    move_to_now(&app, &all[0].0).await;
    let checked: Value = check_in(&staff, &reference).await.json().await.unwrap();
    let code = checked["specimen_code"].as_str().unwrap().to_owned();
    let person_id = {
        use booking::bookings::store::booking as b;
        b::Entity::find_by_id(&booking_id).one(app.db()).await.unwrap().unwrap().person_id
    };
    let document = hkid(7);
    let secrets = [
        booking_id.clone(),
        person_id,
        reference.clone(),
        reference.replace('-', ""),
        document.clone(),
        document[..4].to_owned() + "***",
    ];
    let lab = app.sign_in_as(&officer(&[booking::officers::LAB_SCOPE])).await;

    // The laboratory's own work: a code in, a result out.
    let pending: Value = lab.get("/api/v1/booking/lab/specimens").await.json().await.unwrap();
    assert_eq!(pending["items"][0]["specimen_code"], code);
    // Nothing in the laboratory's table tells when the person came: the
    // collection time is kept to the hour and the ID is random (a UUIDv7
    // would carry the millisecond).
    let collected = pending["items"][0]["collected_at"].as_str().unwrap();
    let collected = time::OffsetDateTime::parse(collected, &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!((collected.minute(), collected.second(), collected.nanosecond()), (0, 0, 0), "{collected}");
    let row = booking::specimens::store::specimen::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert_eq!(uuid::Uuid::parse_str(&row.id).unwrap().get_version_num(), 4, "{}", row.id);
    let body = json!({"specimen_code": code, "result": "negative"});
    assert_eq!(send(&lab, Method::POST, "/api/v1/booking/lab/results", Some(&body), None).await.status(), 200);

    let ids = [("{id}", imported.programmes[0].id.clone()), ("{id}", booking_id.clone()), ("{code}", code.clone())];
    let mut seen = Vec::new();
    let operations = booking_operations(&app).await;
    assert!(operations.len() >= 10, "{operations:?}");
    for (method, path) in &operations {
        // The public live stream never ends; it carries free places only (see `live`).
        if path.ends_with("/events") {
            continue;
        }
        for (placeholder, value) in &ids {
            let path = path.replace(placeholder, value);
            for body in [None, Some(json!({})), Some(json!({"reference": reference, "specimen_code": code}))] {
                let response = send(&lab, method.clone(), &path, body.as_ref(), None).await;
                let status = response.status().as_u16();
                let mut text = response.text().await.unwrap();
                // A problem's `instance` echoes the path the caller sent: not learnt.
                if let Ok(mut json) = serde_json::from_str::<Value>(&text) {
                    if let Some(o) = json.as_object_mut() {
                        o.remove("instance");
                    }
                    text = json.to_string();
                }
                for secret in &secrets {
                    assert!(!text.contains(secret.as_str()), "{method} {path} ({status}) shows {secret}: {text}");
                }
                seen.push(format!("{method} {path} {status}"));
            }
        }
    }
    // Every page too: the officers' (their forms posted with the booking's
    // reference and the specimen's code), the residents' (the booking's own
    // pages by its ID) and the administrators'. Only the laboratory's own
    // page answers; the staff's and administrators' refuse with 403.
    let programme = imported.programmes[0].id.clone();
    let centre = imported.programmes[0].centres["sha-tin-town-hall"].clone();
    let fill = |page: &str| {
        page.replace("{programme}", &programme)
            .replace("{centre}", &centre)
            .replace("{id}", &booking_id)
            .replace("{slug}", "community-testing")
    };
    let refused = |page: &str| {
        page.starts_with("/en/admin/") || page.starts_with("/en/officer/booking") && page != "/en/officer/booking/lab"
    };
    let gets = [
        "/en/officer/booking",
        "/en/officer/booking/lab",
        "/en/officer/booking/results",
        "/en/officer/booking/walk-in",
        "/en/booking",
        "/en/booking/mine",
        "/en/booking/book",
        "/en/booking/bookings/{id}",
        "/en/booking/bookings/{id}/cancel",
        "/en/booking/bookings/{id}/reschedule",
        "/en/booking/{slug}",
        "/en/booking/{slug}/centres/{centre}",
        "/en/booking/{slug}/queue",
        "/en/booking/{slug}/availability",
        "/en/admin/booking",
        "/en/admin/booking/programmes/{programme}",
        "/en/admin/booking/programmes/{programme}/quotas",
        "/en/admin/booking/programmes/{programme}/slots",
        "/en/admin/booking/programmes/{programme}/statistics",
        "/en/admin/booking/holidays",
        "/en/admin/booking/holidays/2027",
        "/en/admin/booking/closures",
        "/en/admin/booking/waiting-room",
        "/en/admin/booking/waiting-room/{programme}",
    ];
    let posts = [
        "/en/officer/booking/look-up",
        "/en/officer/booking/check-in",
        "/en/officer/booking/walk-in",
        "/en/officer/booking/lab",
        "/en/officer/booking/results/notify",
        "/en/booking/book",
        "/en/booking/bookings/{id}/cancel",
        "/en/booking/bookings/{id}/reschedule",
        "/en/booking/{slug}/queue",
        "/en/admin/booking/programmes/{programme}/quotas",
        "/en/admin/booking/programmes/{programme}/slots",
        "/en/admin/booking/holidays/2027",
        "/en/admin/booking/closures",
        "/en/admin/booking/waiting-room/{programme}",
    ];
    let fields = [
        ("reference", reference.as_str()),
        ("specimen_code", code.as_str()),
        ("code", code.as_str()),
        ("booking_id", booking_id.as_str()),
        ("number", document.as_str()),
    ];
    for (method, page) in gets.iter().map(|p| ("GET", p)).chain(posts.iter().map(|p| ("POST", p))) {
        let path = fill(page);
        let response = if method == "GET" { lab.get(&path).await } else { lab.post_form(&path, &fields).await };
        let status = response.status().as_u16();
        // The page names the path the caller sent (the language switcher, a
        // 404's address): not learnt.
        let text = response.text().await.unwrap().replace(&path["/en".len()..], "");
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{method} {path} ({status}) shows {secret}: {text}");
        }
        assert!(status < 500, "{method} {path} ({status})");
        if refused(page) {
            assert_eq!(status, 403, "{method} {path}");
        }
    }
    let label = format!("/en/officer/booking/specimens/{}/label", code.replace('-', ""));
    assert_eq!(lab.get(&label).await.status(), 403);
    let label = staff.get(&label).await;
    assert_eq!(label.status(), 200);
    let text = label.text().await.unwrap();
    assert!(text.contains(&code) && text.contains("data:image/svg+xml"));
    assert!(!seen.is_empty());
}
both_backends!(the_laboratory_cannot_reach_personal_data);

async fn the_results_role_joins_and_notifies_once(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(5)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let staff = staff(&app).await;
    let lab = app.sign_in_as(&officer(&[booking::officers::LAB_SCOPE])).await;
    let results = app.sign_in_as(&officer(&[booking::officers::RESULTS_SCOPE])).await;
    let (booking_id, reference, _) = booked(&app, &all[0].0, 8).await;
    move_to_now(&app, &all[0].0).await;
    let checked: Value = check_in(&staff, &reference).await.json().await.unwrap();
    let code = checked["specimen_code"].as_str().unwrap().to_owned();

    let list: Value = results.get("/api/v1/booking/results").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "no result yet");
    let notify = json!({"specimen_code": code});
    let early = send(&results, Method::POST, "/api/v1/booking/results/notify", Some(&notify), None).await;
    assert_eq!(problem(early).await.1, "booking/unknown-specimen");

    let body = json!({"specimen_code": code.to_lowercase(), "result": "positive"});
    assert_eq!(send(&lab, Method::POST, "/api/v1/booking/lab/results", Some(&body), None).await.status(), 200);
    let again = send(&lab, Method::POST, "/api/v1/booking/lab/results", Some(&body), None).await;
    assert_eq!(problem(again).await.1, "booking/result-recorded");
    // The laboratory may not join; the results role may.
    assert_eq!(lab.get("/api/v1/booking/results").await.status(), 403);
    let list: Value = results.get("/api/v1/booking/results").await.json().await.unwrap();
    assert_eq!(list["items"][0]["booking_id"], booking_id);
    assert_eq!(list["items"][0]["reference"], reference);
    assert_eq!(list["items"][0]["result"], "positive");

    let done = send(&results, Method::POST, "/api/v1/booking/results/notify", Some(&notify), None).await;
    assert_eq!(done.status(), 200);
    let done: Value = done.json().await.unwrap();
    assert!(done["notified_at"].is_string(), "{done}");
    // Kept to the hour in the laboratory's table: the notice's exact time
    // (its outbox row, its audit entry) does not find the specimen.
    let row = booking::specimens::store::specimen::Entity::find().one(app.db()).await.unwrap().unwrap();
    let at = row.notified_at.unwrap();
    assert_eq!((at.minute(), at.second(), at.nanosecond()), (0, 0, 0), "{at}");
    let list: Value = results.get("/api/v1/booking/results").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "notified once");
    let page = results.get("/zh-hk/officer/booking/results").await;
    assert_eq!(page.status(), 200);
}
both_backends!(the_results_role_joins_and_notifies_once);

async fn missed_bookings_become_no_shows_once_their_day_ends(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(5)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let (_, _, resident) = booked(&app, &all[0].0, 9).await;
    let (_, _, other) = booked(&app, &all[1].0, 10).await;
    move_to_past(&app, &all[0].0).await;
    assert_eq!(booking::officers::store::mark_no_shows(&app.state).await.unwrap(), 1);
    assert_eq!(booking::officers::store::mark_no_shows(&app.state).await.unwrap(), 0, "idempotent");
    let mine: Value = resident.get("/api/v1/booking/bookings").await.json().await.unwrap();
    assert_eq!(mine["items"][0]["status"], "no_show");
    let theirs: Value = other.get("/api/v1/booking/bookings").await.json().await.unwrap();
    assert_eq!(theirs["items"][0]["status"], "confirmed");
    // The resident's page names the status as the officers' page does.
    for (lang, name) in [("en", "Did not attend"), ("zh-hk", "未有到場"), ("zh-cn", "未有到场")] {
        let page = resident.get(&format!("/{lang}/booking/mine")).await.text().await.unwrap();
        assert!(page.contains(name), "{lang}: {page}");
        assert!(!page.contains("booking-status"), "no raw key: {page}");
    }
}
both_backends!(missed_bookings_become_no_shows_once_their_day_ends);

async fn a_missed_booking_does_not_hold_its_step(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(5)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let (_, _, resident) = booked(&app, &all[0].0, 11).await;
    move_to_past(&app, &all[0].0).await;
    assert_eq!(booking::officers::store::mark_no_shows(&app.state).await.unwrap(), 1);
    // Only attended steps count: the next attempt is step 1 again, and the
    // missed booking must not make it a duplicate.
    let (status, kind, _) = problem(book(&resident, &all[2].0, Some(&hkid(11))).await).await;
    assert_eq!((status, kind.as_str()), (201, ""));
    let mine: Value = resident.get("/api/v1/booking/bookings").await.json().await.unwrap();
    let statuses: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|b| b["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["confirmed", "no_show"]);
}
both_backends!(a_missed_booking_does_not_hold_its_step);

/// A repeatable service (testing here) is booked again after each visit,
/// the visit's number as its step; a course of one is complete once attended.
async fn a_repeatable_service_is_booked_again_after_a_visit(backend: Backend) {
    let app = spawn(backend).await;
    let mut plan = testing_plan(5);
    plan["programme"][0]["eligibility"]["repeatable"] = json!(true);
    import(&app, &plan).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let staff = staff(&app).await;
    let (_, reference, resident) = booked(&app, &all[0].0, 21).await;
    move_to_now(&app, &all[0].0).await;
    assert_eq!(check_in(&staff, &reference).await.status(), 200);

    let (status, kind, again) = problem(book(&resident, &all[3].0, Some(&hkid(21))).await).await;
    assert_eq!((status, kind.as_str()), (201, ""), "{again}");
    assert_eq!(again["step"], 2, "the second visit");
    // The same visit twice is still one booking.
    let (status, kind, _) = problem(book(&resident, &all[4].0, Some(&hkid(21))).await).await;
    assert_eq!((status, kind.as_str()), (409, "booking/duplicate"));
    // A walk-in after the visit is welcome too.
    assert_eq!(walk_in(&staff, &all[0].0, 22).await.status(), 201);
    assert_eq!(walk_in(&staff, &all[0].0, 22).await.status(), 201, "again the same day: a repeat visit");
}
both_backends!(a_repeatable_service_is_booked_again_after_a_visit);

/// A walk-in to a programme with an age rule gives the date of birth on the
/// document (without it every walk-in was refused as `birthdate-unknown`):
/// over the API, a missing, malformed or future date and an age outside
/// the rule are refused and take no place; on the page, the refusal is
/// shown beside the date of birth field.
async fn a_walk_in_with_an_age_rule_gives_the_date_of_birth(backend: Backend) {
    let app = spawn(backend).await;
    let mut plan = testing_plan(3);
    plan["programme"][0]["eligibility"] = json!({"level": "basic", "min_age": 60});
    import(&app, &plan).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    move_to_now(&app, &all[0].0).await;
    let staff = staff(&app).await;
    let with = |n: u32, birthdate: &str| json!({"slot_id": all[0].0, "document": {"kind": "hkid", "number": hkid(n)}, "birthdate": birthdate});
    let path = "/api/v1/booking/walk-ins";

    let (status, kind, body) = problem(walk_in(&staff, &all[0].0, 30).await).await;
    assert_eq!(
        (status, kind.as_str(), body["reason"].as_str()),
        (422, "booking/ineligible", Some("birthdate-unknown"))
    );
    let tomorrow = (app.state.today() + time::Duration::days(1)).to_string();
    for bad in ["14/03/1950", "1950-02-30", tomorrow.as_str()] {
        let (status, _, body) = problem(send(&staff, Method::POST, path, Some(&with(30, bad)), None).await).await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("/birthdate")), "{bad}: {body}");
    }
    let (_, _, body) = problem(send(&staff, Method::POST, path, Some(&with(30, "1990-01-01")), None).await).await;
    assert_eq!(body["reason"], "too-young", "{body}");
    let response = send(&staff, Method::POST, path, Some(&with(30, "1950-03-14")), None).await;
    assert_eq!(response.status(), 201);
    let (_, _, free) =
        slots(&availability(&app.client(), "community-testing").await).into_iter().find(|s| s.0 == all[0].0).unwrap();
    assert_eq!(free, 2, "only the accepted walk-in took a place");

    // The page: the refusal beside the field, the form kept.
    let fields = [
        ("slot_id", all[0].0.as_str()),
        ("document_kind", "hkid"),
        ("document_number", &hkid(31)),
        ("birthdate", "1990-01-01"),
    ];
    let response = staff.post_form("/en/officer/booking/walk-in", &fields).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"birthdate-error\"") && page.contains("value=\"1990-01-01\""), "{page}");
    let fields = [
        ("slot_id", all[0].0.as_str()),
        ("document_kind", "hkid"),
        ("document_number", &hkid(31)),
        ("birthdate", "1940-12-31"),
    ];
    let response = staff.post_form("/en/officer/booking/walk-in", &fields).await;
    assert!(response.status().is_redirection() || response.status() == 200, "{}", response.status());
    let (_, _, free) =
        slots(&availability(&app.client(), "community-testing").await).into_iter().find(|s| s.0 == all[0].0).unwrap();
    assert_eq!(free, 1);
}
both_backends!(a_walk_in_with_an_age_rule_gives_the_date_of_birth);

/// Slots of the centre with `slug`, from the public availability.
fn slots_at(availability: &Value, slug: &str) -> Vec<String> {
    let centre = availability["centres"].as_array().unwrap().iter().find(|c| c["slug"] == slug).unwrap();
    let mut out = Vec::new();
    for day in centre["days"].as_array().unwrap() {
        for s in day["slots"].as_array().unwrap() {
            out.push(s["slot_id"].as_str().unwrap().to_owned());
        }
    }
    out
}

/// An officer works only at the centres an administrator assigned them to:
/// another centre's booking, walk-in slot and specimen label are refused,
/// and the walk-in form offers only their own centres' slots. An officer
/// with the scope and no centre can do nothing.
async fn centre_is_enforced(backend: Backend) {
    let app = spawn(backend).await;
    let imported = import(&app, &testing_plan(2)).await;
    let centres = &imported.programmes[0].centres;
    let (sha_tin, wan_chai) = (centres["sha-tin-town-hall"].clone(), centres["wan-chai-sports-centre"].clone());
    let body = availability(&app.client(), "community-testing").await;
    let (here, there) = (slots_at(&body, "sha-tin-town-hall"), slots_at(&body, "wan-chai-sports-centre"));
    let (_, mine, _) = booked(&app, &here[0], 1).await;
    let (_, theirs, _) = booked(&app, &there[0], 2).await;
    let (_, other, _) = booked(&app, &here[0], 4).await;
    for slot in [&here[0], &here[1], &there[0]] {
        move_to_now(&app, slot).await;
    }

    let admin = crate::support::admin(&app).await;
    let a = officer(&[booking::officers::STAFF_SCOPE]);
    let b = officer(&[booking::officers::STAFF_SCOPE]);
    let path = |centre: &str| format!("/api/v1/booking/admin/centres/{centre}/officers");
    for (centre, who) in [(&sha_tin, &a), (&wan_chai, &b)] {
        let list = json!({"officers": [who.account_id.to_string()]});
        let response = send(&admin, Method::PUT, &path(centre), Some(&list), None).await;
        assert_eq!(response.status(), 200);
    }
    let listed: Value = admin.get(&path(&sha_tin)).await.json().await.unwrap();
    assert_eq!(listed, json!({"officers": [a.account_id.to_string()]}));
    let (a, b) = (app.sign_in_as(&a).await, app.sign_in_as(&b).await);

    // Check-in: the own centre's booking only.
    let (status, kind, _) = problem(check_in(&a, &theirs).await).await;
    assert_eq!((status, kind.as_str()), (403, "booking/other-centre"));
    assert_eq!(check_in(&a, &mine).await.status(), 200);
    // Walk-ins: the own centre's slots only, offered and taken.
    let (status, kind, _) = problem(walk_in(&a, &there[0], 3).await).await;
    assert_eq!((status, kind.as_str()), (403, "booking/other-centre"));
    let form = a.get("/en/officer/booking/walk-in").await.text().await.unwrap();
    // (Sha Tin's first slot is full: its two places are booked.)
    assert!(form.contains(&here[1]) && !form.contains(&there[0]), "only Sha Tin's slots are offered");
    // Labels: another centre's specimen is not found.
    let checked: Value = check_in(&b, &theirs).await.json().await.unwrap();
    let code = checked["specimen_code"].as_str().unwrap().replace('-', "");
    let label = format!("/en/officer/booking/specimens/{code}/label");
    assert_eq!(b.get(&label).await.status(), 200);
    assert_eq!(a.get(&label).await.status(), 404);

    // The scope without a centre does nothing.
    let nobody = app.sign_in_as(&officer(&[booking::officers::STAFF_SCOPE])).await;
    assert_eq!(problem(check_in(&nobody, &other).await).await.1, "booking/other-centre");
    assert_eq!(problem(walk_in(&nobody, &here[0], 5).await).await.1, "booking/other-centre");

    // Only administrators set it; bad IDs and unknown centres are named.
    let list = json!({"officers": []});
    assert_eq!(send(&a, Method::PUT, &path(&sha_tin), Some(&list), None).await.status(), 403);
    let bad = json!({"officers": ["not-an-id"]});
    let (status, _, body) = problem(send(&admin, Method::PUT, &path(&sha_tin), Some(&bad), None).await).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("/officers/0")), "{body}");
    let (status, kind, _) = problem(send(&admin, Method::PUT, &path("nowhere"), Some(&list), None).await).await;
    assert_eq!((status, kind.as_str()), (404, "booking/unknown-centre"));
    // Replaced: those kept keep working, those left out stop.
    let c = officer(&[booking::officers::STAFF_SCOPE]);
    let both = json!({"officers": [c.account_id.to_string(), listed["officers"][0]]});
    let now: Value = send(&admin, Method::PUT, &path(&sha_tin), Some(&both), None).await.json().await.unwrap();
    assert_eq!(now["officers"].as_array().unwrap().len(), 2, "{now}");
    let c = app.sign_in_as(&c).await;
    assert_eq!(check_in(&c, &other).await.status(), 200, "the officer added works there");
    let added = "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'booking.centre.officer_added'";
    assert_eq!(crate::support::count(&app, added).await, 3, "one entry an officer added");
    // Emptied: Sha Tin's officer can no longer check in there.
    assert_eq!(send(&admin, Method::PUT, &path(&sha_tin), Some(&list), None).await.status(), 200);
    assert_eq!(problem(check_in(&a, &other).await).await.1, "booking/other-centre");
}
both_backends!(centre_is_enforced);

/// Another centre's true reference counts against the officer like an
/// unknown one: an officer cannot test references against every centre.
async fn other_centres_references_count_as_misses(backend: Backend) {
    let app = spawn(backend).await;
    import(&app, &testing_plan(2)).await;
    let all = slots(&availability(&app.client(), "community-testing").await);
    let (_, reference, _) = booked(&app, &all[0].0, 1).await;
    let nobody = app.sign_in_as(&officer(&[booking::officers::STAFF_SCOPE])).await;
    for _ in 0..booking::officers::LOOK_UP_MISSES_PER_HOUR {
        assert_eq!(problem(check_in(&nobody, &reference).await).await.1, "booking/other-centre");
    }
    assert_eq!(problem(check_in(&nobody, &reference).await).await.1, "booking/too-many-look-ups");
}
both_backends!(other_centres_references_count_as_misses);
