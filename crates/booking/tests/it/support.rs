//! Helpers of booking's tests: the app (booking, with a test double of
//! identity's People service AT THAT CONTRACT BOUNDARY: booking's own tests
//! cannot use identity, as no domain depends on another; the real identity
//! is used in `crates/lionrock/tests/it/booking_people.rs`), a programme set up
//! from a plan, residents, valid HKIDs and the API calls a client makes.

use std::sync::Mutex;

use platform::contracts::{BoxFuture, CheckedPerson, Contact, Contracts, Person, PersonId};
use platform::error::AppError;
use platform::module::Module;
use platform::principal::{AccountId, IdentityLevel};
use platform::testkit::{Backend, TestApp, TestAppBuilder, TestClient};
use serde_json::{Value, json};

/// The documents identity "checked", by account.
static CHECKED: Mutex<Vec<(AccountId, CheckedPerson)>> = Mutex::new(Vec::new());

/// Where identity "writes" to each account's holder.
static CONTACTS: Mutex<Vec<(AccountId, Contact)>> = Mutex::new(Vec::new());

/// The test double of identity's People service.
struct People;

impl platform::contracts::People for People {
    fn checked_person<'a>(
        &'a self,
        _: &'a platform::app::AppState,
        account: &'a AccountId,
    ) -> BoxFuture<'a, Result<Option<CheckedPerson>, AppError>> {
        let found = CHECKED.lock().unwrap().iter().find(|(a, _)| a == account).map(|(_, p)| p.clone());
        Box::pin(async move { Ok(found) })
    }

    fn contact<'a>(
        &'a self,
        _: &'a platform::app::AppState,
        account: &'a AccountId,
    ) -> BoxFuture<'a, Result<Option<Contact>, AppError>> {
        let found = CONTACTS.lock().unwrap().iter().rev().find(|(a, _)| a == account).map(|(_, c)| c.clone());
        Box::pin(async move { Ok(found) })
    }

    // In this double an account's holder is the person with the account's ID.
    fn acts_for<'a>(
        &'a self,
        _: &'a platform::app::AppState,
        account: &'a AccountId,
        person: &'a PersonId,
    ) -> BoxFuture<'a, Result<Option<Person>, AppError>> {
        let found = (person.0 == account.0).then(|| holder(account));
        Box::pin(async move { Ok(found) })
    }

    fn people_acted_for<'a>(
        &'a self,
        _: &'a platform::app::AppState,
        account: &'a AccountId,
    ) -> BoxFuture<'a, Result<Vec<Person>, AppError>> {
        let found = vec![holder(account)];
        Box::pin(async move { Ok(found) })
    }
}

/// The account's holder as the double knows them.
fn holder(account: &AccountId) -> Person {
    let checked = CHECKED.lock().unwrap().iter().find(|(a, _)| a == account).map(|(_, p)| p.clone());
    let birthdate = BIRTHDATES.lock().unwrap().iter().find(|(a, _)| a == account).map(|(_, d)| *d);
    Person { id: PersonId(account.0), holder: true, birthdate, name: None, name_zh: None, checked }
}

/// Birth dates identity "knows", by account.
static BIRTHDATES: Mutex<Vec<(AccountId, time::Date)>> = Mutex::new(Vec::new());

/// Identity knows this birth date for the account's holder.
pub fn set_birthdate(account: AccountId, born: time::Date) {
    BIRTHDATES.lock().unwrap().push((account, born));
}

/// Identity "verified" this e-mail address for the account, read in `lang`.
pub fn set_contact(account: AccountId, address: &str, lang: platform::i18n::Lang) {
    let contact = Contact { channel: platform::outbox::Channel::Email, recipient: address.to_owned(), lang };
    CONTACTS.lock().unwrap().push((account, contact));
}

/// The e-mail address every test resident has (`resident` sets it).
pub fn address_of(account: &AccountId) -> String {
    format!("{account}@example.org")
}

/// The app with booking and the People double. All requests come from one
/// address here, as from a load balancer: the per-address load shaping is
/// lifted (booking's own limits live in the database and stay).
pub fn builder(backend: Backend) -> TestAppBuilder {
    let people = Module {
        contracts: Contracts { people: Some(&People), ..Contracts::default() },
        ..Module::named("test-people")
    };
    TestApp::builder()
        .module(booking::module())
        .module(people)
        .backend(backend)
        .config(|c| c.limits.global_per_ip_per_second = 1_000_000)
}

pub async fn spawn(backend: Backend) -> TestApp {
    builder(backend).spawn().await
}

/// The `n`th valid HKID: a letter, six digits and the check digit.
pub fn hkid(n: u32) -> String {
    let letter = b'A' + u8::try_from(n / 1_000_000 % 26).unwrap();
    let digits = format!("{:06}", n % 1_000_000);
    let mut sum = 9 * 36 + 8 * u32::from(letter - b'A' + 10);
    for (i, d) in digits.bytes().enumerate() {
        sum += (7 - u32::try_from(i).unwrap()) * u32::from(d - b'0');
    }
    let check = match 11 - sum % 11 {
        11 => '0',
        10 => 'A',
        c => char::from_digit(c, 10).unwrap(),
    };
    format!("{}{digits}({check})", char::from(letter))
}

/// A signed-in resident at `level`; identity "checked" `hkid` for them when given.
pub async fn resident(app: &TestApp, level: IdentityLevel, hkid: Option<&str>) -> (AccountId, TestClient) {
    let mut principal = platform::testkit::resident_signed_in_now(AccountId::new());
    principal.level = level;
    if let Some(hkid) = hkid {
        let document = platform::ids::Document::parse("hkid", hkid, "").unwrap();
        let person = CheckedPerson {
            document_index: document.index(&app.state.keys),
            masked_document: document.masked(),
            document_kind: "hkid".to_owned(),
        };
        CHECKED.lock().unwrap().push((principal.account_id, person));
    }
    set_contact(principal.account_id, &address_of(&principal.account_id), platform::i18n::Lang::En);
    (principal.account_id, app.sign_in_as(&principal).await)
}

/// A testing programme at the basic level: two centres, one product, slots
/// of `capacity` places from 09:00 to 10:00 every day from tomorrow for 3 days.
pub fn testing_plan(capacity: u32) -> Value {
    json!({"programme": [{
        "slug": "community-testing",
        "kind": "testing",
        "name": {"en": "Community testing", "zh-HK": "社區檢測", "zh-CN": "社区检测"},
        "eligibility": {"level": "basic"},
        "product": [{"code": "pcr", "name": {"en": "PCR test", "zh-HK": "核酸檢測", "zh-CN": "核酸检测"}}],
        "centre": [
            centre("sha-tin-town-hall", "sha-tin", 22.3817, 114.1890),
            centre("wan-chai-sports-centre", "wan-chai", 22.2783, 114.1747),
        ],
        "slots": [{"from": "today+1", "days": 3, "minutes": 30, "capacity": capacity}]
    }]})
}

pub fn centre(slug: &str, district: &str, latitude: f64, longitude: f64) -> Value {
    let every_day = json!(["09:00-10:00"]);
    json!({
        "slug": slug,
        "name": {"en": slug, "zh-HK": slug, "zh-CN": slug},
        "address": {"en": "1 Test Road", "zh-HK": "測試道1號", "zh-CN": "测试道1号"},
        "district": district,
        "latitude": latitude,
        "longitude": longitude,
        "hours": {"mon": every_day, "tue": every_day, "wed": every_day, "thu": every_day,
                  "fri": every_day, "sat": every_day, "sun": every_day}
    })
}

/// Applies a plan as `lionrock booking import` does; returns what it made.
pub async fn import(app: &TestApp, plan: &Value) -> booking::setup::Imported {
    let plan = booking::setup::parse(&plan.to_string()).unwrap();
    assert_eq!(booking::setup::problems(&plan), Vec::<String>::new());
    booking::setup::store::apply(&app.state, &plan, "test").await.unwrap()
}

/// The programme's availability as the API serves it.
pub async fn availability(client: &TestClient, programme: &str) -> Value {
    let response = client.get(&format!("/api/v1/booking/programmes/{programme}/availability")).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Every slot of the availability, in order: (slot_id, capacity, free).
pub fn slots(availability: &Value) -> Vec<(String, i64, i64)> {
    let mut out = Vec::new();
    for centre in availability["centres"].as_array().unwrap() {
        for day in centre["days"].as_array().unwrap() {
            for s in day["slots"].as_array().unwrap() {
                out.push((
                    s["slot_id"].as_str().unwrap().to_owned(),
                    s["capacity"].as_i64().unwrap(),
                    s["free"].as_i64().unwrap(),
                ));
            }
        }
    }
    out
}

/// Sends an API request as a signed-in browser does (with the CSRF header).
pub async fn send(
    client: &TestClient,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
    idempotency_key: Option<&str>,
) -> reqwest::Response {
    let token = client.csrf_token().await;
    let mut request = client.http.request(method, client.url(path)).header(platform::web::CSRF_HEADER, token);
    if let Some(body) = body {
        request = request.json(body);
    }
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

/// Books `slot` for the caller, giving `hkid` as their document when set.
pub async fn book(client: &TestClient, slot: &str, hkid: Option<&str>) -> reqwest::Response {
    let mut body = json!({"slot_id": slot});
    if let Some(hkid) = hkid {
        body["document"] = json!({"kind": "hkid", "number": hkid});
    }
    send(client, reqwest::Method::POST, "/api/v1/booking/bookings", Some(&body), None).await
}

/// The problem type's last two segments (`booking/full`).
pub async fn problem(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    let kind = body["type"].as_str().unwrap_or_default().trim_start_matches("urn:lionrock:problem:").to_owned();
    (status, kind, body)
}

/// Assigns the officer `principal` to every centre there is now (the
/// officers' tests act at any of them; `officers::centre_is_enforced`
/// tests the assignment itself).
pub async fn works_everywhere(app: &TestApp, principal: &platform::principal::Principal) {
    use sea_orm::EntityTrait;
    let officer = principal.account_id.to_string();
    for centre in booking::programmes::store::centre::Entity::find().all(app.db()).await.unwrap() {
        let mut officers = booking::officers::store::officers_at(app.db(), &centre.id).await.unwrap();
        officers.push(officer.clone());
        booking::officers::store::set_officers(&app.state, &centre.id, &officers, "test").await.unwrap();
    }
}

/// An administrator, signed in.
pub async fn admin(app: &TestApp) -> TestClient {
    app.sign_in_as(&admin_principal()).await
}

/// An administrator who proved it a moment ago.
pub fn admin_principal() -> platform::principal::Principal {
    let mut principal = platform::testkit::resident_signed_in_now(AccountId::new());
    principal.roles.push(platform::principal::Role::Admin);
    principal
}

/// The local day `plus` days from today.
pub fn day(app: &TestApp, plus: i64) -> time::Date {
    app.state.today() + time::Duration::days(plus)
}

/// The `n` column of the one row `sql` returns (a `COUNT(*) AS n`).
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = app.db();
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql.to_owned());
    db.query_one_raw(statement).await.unwrap().unwrap().try_get::<i64>("", "n").unwrap()
}
