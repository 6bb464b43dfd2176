//! Booking's resident API with identity's real OIDC access tokens (the API
//! contract's Authentication bullet): an app the resident allowed scope
//! `booking` lists programmes, books, lists, cancels and joins the waiting
//! room with `Authorization: Bearer` and no CSRF header; a token without
//! the scope is refused with 403 `insufficient-scope`.

use platform::both_backends;
use platform::principal::{AccountId, AuthStrength, IdentityLevel, Principal, Role};
use platform::testkit::{Backend, TestApp, TestClient};
use serde_json::{Value, json};

const REDIRECT: &str = "https://bookings.example.org/callback";

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// A resident identity knows, signed in at the basic level.
async fn resident(app: &TestApp, email: &str) -> TestClient {
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
    let principal = platform::testkit::resident_signed_in_now(AccountId(made.id.parse().unwrap()));
    app.sign_in_as(&principal).await
}

/// The resident behind `client` lets the app have `scope` (consenting on
/// identity's page when asked); the access token of the token response.
async fn access_token(app: &TestApp, client: &TestClient, rp: &identity::oidc::CreatedClient, scope: &str) -> String {
    let url = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state=s",
        rp.client_id,
        encode(REDIRECT),
        encode(scope)
    );
    let mut r = client.get(&url).await;
    if r.status() == 200 {
        let html = r.text().await.unwrap();
        let at = html.find("name=\"pending\" value=\"").expect("a consent form") + 22;
        let pending = &html[at..at + html[at..].find('"').unwrap()];
        r = client.post_form("/oauth/authorize/consent", &[("pending", pending), ("decision", "allow")]).await;
    }
    assert_eq!(r.status(), 303);
    let code = url::Url::parse(&location(&r)).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let r = app
        .client()
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&rp.client_id, rp.client_secret.as_deref())
        .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// A request with `token` as the bearer, no cookie and no CSRF header.
async fn with_token(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app.client().http.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

/// Status and problem type (`booking/full`, `insufficient-scope`) of an answer.
async fn outcome(r: reqwest::Response) -> (u16, String, Value) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    let kind = body["type"].as_str().unwrap_or_default().trim_start_matches("urn:lionrock:problem:").to_owned();
    (status, kind, body)
}

/// A testing programme any basic resident may book: its first slot.
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

async fn an_app_books_for_a_resident_with_an_access_token(backend: Backend) {
    use reqwest::Method;
    let app = TestApp::builder()
        .module(identity::module())
        .module(booking::module())
        .backend(backend)
        .config(|c| c.limits.global_per_ip_per_second = 1_000_000)
        .spawn()
        .await;
    let slot = programme(&app).await;
    let rp = identity::oidc::create_client(
        &app.state,
        identity::oidc::NewClient {
            name: "Harbour Bookings".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            post_logout_redirect_uris: vec![],
            scopes: vec!["booking".to_owned()],
            public: false,
            jwks: None,
            rs256: false,
            pairwise: false,
        },
    )
    .await
    .unwrap();
    let resident = resident(&app, "bearer@example.org").await;
    let token = access_token(&app, &resident, &rp, "openid booking").await;

    let r = with_token(&app, Method::GET, "/api/v1/booking/programmes", &token, None).await;
    assert_eq!(r.status(), 200);
    let programmes: Value = r.json().await.unwrap();
    assert!(programmes.to_string().contains("community-testing"), "{programmes}");

    let body = json!({"slot_id": slot, "document": {"kind": "hkid", "number": "A123456(3)"}});
    let (status, kind, booked) =
        outcome(with_token(&app, Method::POST, "/api/v1/booking/bookings", &token, Some(&body)).await).await;
    assert_eq!((status, kind.as_str()), (201, ""), "{booked}");
    let id = booked["id"].as_str().unwrap().to_owned();
    let mine: Value =
        with_token(&app, Method::GET, "/api/v1/booking/bookings", &token, None).await.json().await.unwrap();
    assert_eq!(mine["items"][0]["id"], id.as_str(), "{mine}");
    // The resident's own session sees the app's booking: it acts for them.
    let seen: Value = resident.get("/api/v1/booking/bookings").await.json().await.unwrap();
    assert_eq!(seen["items"][0]["id"], id.as_str());
    let cancel = "/api/v1/booking/bookings/{id}".replace("{id}", &id);
    let (status, _, cancelled) = outcome(with_token(&app, Method::DELETE, &cancel, &token, None).await).await;
    assert_eq!((status, cancelled["status"].as_str()), (200, Some("cancelled")), "{cancelled}");

    // The waiting room on: the app joins it and reads its standing with the token.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let admin =
        Principal::new(AccountId::new(), IdentityLevel::RealName, vec![Role::Admin], AuthStrength::TwoFactor, now);
    let admin = app.sign_in_as(&admin).await;
    let room = "/api/v1/booking/programmes/{id}/waiting-room".replace("{id}", "community-testing");
    let settings = json!({"enabled": true, "rate_per_minute": 60, "validity_minutes": 15});
    let csrf = admin.csrf_token().await;
    let r = admin.http.put(admin.url(&room)).header(platform::web::CSRF_HEADER, csrf).json(&settings).send().await;
    assert_eq!(r.unwrap().status(), 200);
    let queue = "/api/v1/booking/programmes/{id}/queue".replace("{id}", "community-testing");
    let (status, _, joined) = outcome(with_token(&app, Method::POST, &queue, &token, None).await).await;
    assert_eq!((status, joined["state"].as_str()), (200, Some("admitted")), "{joined}");
    let admission = joined["token"].as_str().unwrap().to_owned();
    let (status, _, standing) = outcome(with_token(&app, Method::GET, &queue, &token, None).await).await;
    assert_eq!((status, standing["state"].as_str()), (200, Some("admitted")), "{standing}");
    let again = app
        .client()
        .http
        .post(app.url("/api/v1/booking/bookings"))
        .bearer_auth(&token)
        .header(booking::waiting::ADMISSION_HEADER, admission)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201, "booked again with the admission the app got");

    // A token without `booking`: every booking call is refused for the scope.
    let narrow = access_token(&app, &resident, &rp, "openid").await;
    for (method, path) in [
        (Method::GET, "/api/v1/booking/bookings"),
        (Method::POST, "/api/v1/booking/bookings"),
        (Method::DELETE, cancel.as_str()),
        (Method::POST, queue.as_str()),
        (Method::GET, queue.as_str()),
    ] {
        let r = with_token(&app, method.clone(), path, &narrow, Some(&body)).await;
        let challenge = r.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        let (status, kind, _) = outcome(r).await;
        assert_eq!((status, kind.as_str()), (403, "insufficient-scope"), "{method} {path}");
        assert!(challenge.unwrap_or_default().contains("scope=\"booking\""), "{method} {path}");
    }
    // The API document says apps may call the queue with the scope.
    let doc: Value = app.client().get("/api/v1/openapi.json").await.json().await.unwrap();
    for method in ["get", "post"] {
        let operation = &doc["paths"]["/api/v1/booking/programmes/{id}/queue"][method];
        assert_eq!(operation["security"][1]["bearer"], json!(["booking"]), "{method}");
        let refusals = operation["responses"]["403"]["x-problem-types"].as_array().unwrap();
        assert!(refusals.contains(&"urn:lionrock:problem:insufficient-scope".into()), "{method}");
    }
}
both_backends!(an_app_books_for_a_resident_with_an_access_token);
