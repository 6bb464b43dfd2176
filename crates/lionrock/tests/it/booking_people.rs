//! Booking for others with the real identity behind platform's People
//! contract: the booking pages offer the account's holder and the
//! dependants identity says they look after (added on identity's page),
//! each books under their own person and document, and a person the
//! account does not look after is refused by the form.

use platform::both_backends;
use platform::principal::{AccountId, IdentityLevel};
use platform::testkit::{Backend, TestApp, TestClient};
use serde_json::{Value, json};

/// The values of the radio buttons named `name`.
fn radios(html: &str, name: &str) -> Vec<String> {
    let marker = format!(r#"type="radio" name="{name}" value=""#);
    html.split(&marker).skip(1).map(|rest| rest.split('"').next().unwrap().to_owned()).collect()
}

/// A resident identity knows (an account row), signed in at the basic level.
async fn resident(app: &TestApp, email: &str) -> (AccountId, TestClient) {
    let id = identity::model::Identifier::parse(email, &["852".to_owned()]).unwrap();
    let new = identity::store::NewAccount {
        id: &id,
        password_hash: None,
        active: true,
        real_name: false,
        roles: vec!["resident".to_owned()],
        scopes: Vec::new(),
    };
    let made = identity::store::create_account(app.db(), new).await.unwrap();
    let mut principal = platform::testkit::resident_signed_in_now(AccountId(made.id.parse().unwrap()));
    principal.level = IdentityLevel::Basic;
    (principal.account_id, app.sign_in_as(&principal).await)
}

/// A testing programme any basic resident may book, slots from tomorrow.
async fn programme(app: &TestApp) -> String {
    let every_day = json!(["09:00-10:00"]);
    let plan = json!({"programme": [{
        "slug": "community-testing",
        "kind": "testing",
        "name": {"en": "Community testing", "zh-HK": "社區檢測", "zh-CN": "社区检测"},
        "eligibility": {"level": "basic"},
        "product": [{"code": "pcr", "name": {"en": "PCR test", "zh-HK": "核酸檢測", "zh-CN": "核酸检测"}}],
        "centre": [{
            "slug": "sha-tin-town-hall",
            "name": {"en": "Sha Tin Town Hall", "zh-HK": "沙田大會堂", "zh-CN": "沙田大会堂"},
            "address": {"en": "1 Yuen Wo Road", "zh-HK": "源禾路1號", "zh-CN": "源禾路1号"},
            "district": "sha-tin", "latitude": 22.3817, "longitude": 114.1890,
            "hours": {"mon": every_day, "tue": every_day, "wed": every_day, "thu": every_day,
                      "fri": every_day, "sat": every_day, "sun": every_day}
        }],
        "slots": [{"from": "today+1", "days": 1, "minutes": 30, "capacity": 5}]
    }]});
    let plan = booking::setup::parse(&plan.to_string()).unwrap();
    booking::setup::store::apply(&app.state, &plan, "test").await.unwrap();
    let availability: Value =
        app.client().get("/api/v1/booking/programmes/community-testing/availability").await.json().await.unwrap();
    availability["centres"][0]["days"][0]["slots"][0]["slot_id"].as_str().unwrap().to_owned()
}

/// Books `slot` for `person` through the forms (review, then confirm).
async fn book(client: &TestClient, slot: &str, person: &str, hkid: &str) -> reqwest::Response {
    let mut fields = vec![("slot", slot), ("person", person), ("kind", "hkid"), ("number", hkid), ("step", "review")];
    let review = client.post_form("/en/booking/book", &fields).await;
    assert_eq!(review.status(), 200);
    fields.pop();
    fields.push(("step", "confirm"));
    client.post_form("/en/booking/book", &fields).await
}

async fn a_resident_books_for_a_dependant_identity_lists(backend: Backend) {
    let app = TestApp::builder()
        .module(identity::module())
        .module(booking::module())
        .backend(backend)
        .config(|c| c.limits.global_per_ip_per_second = 1_000_000)
        .spawn()
        .await;
    let slot = programme(&app).await;
    let (account, client) = resident(&app, "parent@example.org").await;

    // Before any dependant: only the holder, and the way to add one.
    let html = client.get(&format!("/en/booking/book?slot={slot}")).await.text().await.unwrap();
    assert_eq!(radios(&html, "person"), [account.to_string()], "{html}");
    assert!(html.contains(r#"href="/en/account/dependants""#), "{html}");

    // Identity's page adds a child.
    let added = client
        .post_form(
            "/en/account/dependants",
            &[("name", "CHAN Siu Ming"), ("name_zh", "陳小明"), ("birthdate", "2018-04-01"), ("relation", "child")],
        )
        .await;
    assert_eq!(added.status(), 303, "{}", added.text().await.unwrap());

    let html = client.get(&format!("/en/booking/book?slot={slot}")).await.text().await.unwrap();
    let people = radios(&html, "person");
    assert_eq!(people.len(), 2, "{html}");
    assert_eq!(people[0], account.to_string(), "the holder first");
    let child = people[1].clone();
    assert!(html.contains("CHAN Siu Ming"), "{html}");
    let zh = client.get(&format!("/zh-hk/booking/book?slot={slot}")).await.text().await.unwrap();
    assert!(zh.contains("陳小明"), "the Chinese name in Chinese: {zh}");

    // The child books with their own document; then the parent with theirs.
    let booked = book(&client, &slot, &child, "A123456(3)").await;
    assert_eq!(booked.status(), 303, "{}", booked.text().await.unwrap());
    let booked = book(&client, &slot, &account.to_string(), "B234567(1)").await;
    assert_eq!(booked.status(), 303, "{}", booked.text().await.unwrap());
    let mine: Value = client.get("/api/v1/booking/bookings").await.json().await.unwrap();
    let mut persons: Vec<String> =
        mine["items"].as_array().unwrap().iter().map(|b| b["person_id"].as_str().unwrap().to_owned()).collect();
    persons.sort();
    let mut expected = vec![child.clone(), identity_person(&app, &account).await];
    expected.sort();
    assert_eq!(persons, expected, "one booking each, under their own person: {mine}");

    // Someone else's child is not offered, and the form refuses them.
    let (_, stranger) = resident(&app, "stranger@example.org").await;
    let fields = [("slot", slot.as_str()), ("person", &child), ("kind", "hkid"), ("number", "C345678(A)")];
    let refused = stranger.post_form("/en/booking/book", &[&fields[..], &[("step", "confirm")]].concat()).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("Choose who the booking is for."));
}
both_backends!(a_resident_books_for_a_dependant_identity_lists);

/// The person ID identity gave the account's holder.
async fn identity_person(app: &TestApp, account: &AccountId) -> String {
    identity::store::account_by_id(app.db(), &account.to_string()).await.unwrap().unwrap().person_id
}

/// Messages in the outbox to `to`.
async fn messages_to(app: &TestApp, to: &str) -> usize {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let found = platform::outbox::entity::Entity::find()
        .filter(platform::outbox::entity::Column::Recipient.eq(to))
        .count(app.db())
        .await
        .unwrap();
    usize::try_from(found).unwrap()
}

/// Once identity ends a guardian's link to a dependant, the dependant's
/// booking is no longer the guardian's: not listed, not shown, not
/// cancellable, and no reminder goes to the guardian; their own booking stays.
async fn a_guardian_loses_a_dependants_bookings_with_the_link(backend: Backend) {
    let app = TestApp::builder()
        .module(identity::module())
        .module(booking::module())
        .backend(backend)
        .config(|c| c.limits.global_per_ip_per_second = 1_000_000)
        .spawn()
        .await;
    let slot = programme(&app).await;
    let (account, client) = resident(&app, "guardian@example.org").await;
    let added = client
        .post_form(
            "/en/account/dependants",
            &[("name", "CHAN Siu Ming"), ("name_zh", "陳小明"), ("birthdate", "2018-04-01"), ("relation", "child")],
        )
        .await;
    assert_eq!(added.status(), 303);
    let html = client.get(&format!("/en/booking/book?slot={slot}")).await.text().await.unwrap();
    let child = radios(&html, "person")[1].clone();
    assert_eq!(book(&client, &slot, &child, "A123456(3)").await.status(), 303);
    assert_eq!(book(&client, &slot, &account.to_string(), "B234567(1)").await.status(), 303);
    let mine: Value = client.get("/api/v1/booking/bookings").await.json().await.unwrap();
    let childs = mine["items"].as_array().unwrap().iter().find(|b| b["person_id"] == child.as_str()).unwrap();
    let childs = childs["id"].as_str().unwrap().to_owned();

    let removed = client.post_form("/en/account/dependants/remove", &[("person_id", child.as_str())]).await;
    assert_eq!(removed.status(), 303, "{}", removed.text().await.unwrap());

    let mine: Value = client.get("/api/v1/booking/bookings").await.json().await.unwrap();
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{mine}");
    assert_eq!(items[0]["person_id"], identity_person(&app, &account).await.as_str());
    assert_eq!(client.get(&format!("/en/booking/bookings/{childs}")).await.status(), 404);
    let path = "/api/v1/booking/bookings/{id}".replace("{id}", &childs);
    let csrf = client.csrf_token().await;
    let r = client.http.delete(client.url(&path)).header(platform::web::CSRF_HEADER, csrf).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // Tomorrow's reminders: the guardian's own booking only.
    let before = messages_to(&app, "guardian@example.org").await;
    booking::bookings::store::remind_due(&app.state).await.unwrap();
    assert_eq!(messages_to(&app, "guardian@example.org").await, before + 1);

    // A typhoon closes tomorrow: both bookings are cancelled, and only the
    // guardian's own is announced to them.
    let closing = booking::admin::store::Closing {
        day: app.state.today() + time::Duration::days(1),
        programme_id: Some(mine["items"][0]["programme_id"].as_str().unwrap().to_owned()),
        centre_ids: Vec::new(),
        reason: booking::admin::Reason::Typhoon8,
        action: booking::admin::Action::Cancel,
        move_to: None,
    };
    let closed = booking::admin::store::close(&app.state, "account:test", &closing).await.unwrap();
    assert_eq!((closed.cancelled, closed.notified), (2, 1));
    assert_eq!(messages_to(&app, "guardian@example.org").await, before + 2);
}
both_backends!(a_guardian_loses_a_dependants_bookings_with_the_link);
