//! The OpenAPI document (valid OpenAPI 3.1, its problem schema what the
//! server really sends), the reference page, and the paged outbox list on
//! both backends: paging, stability while rows are added, limit cap, bad
//! cursor, the `Link` header and permissions.

use platform::both_backends;
use platform::config::MailTransport;
use platform::i18n::Lang;
use platform::outbox::{self, Channel, Notification, entity};
use platform::principal::{AccountId, Principal, Role};
use platform::testkit::{Backend, TestApp, TestClient};
use sea_orm::ActiveModelTrait;
use sea_orm::ActiveValue::Set;
use serde_json::{Value, json};

const OUTBOX: &str = "/api/v1/admin/outbox";

fn admin() -> Principal {
    let mut p = platform::testkit::resident_signed_in_now(AccountId::new());
    p.roles.push(Role::Admin);
    p
}

async fn document(app: &TestApp) -> Value {
    let resp = app.client().get("/api/v1/openapi.json").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    resp.json().await.unwrap()
}

/// Validates `doc` against the official OpenAPI 3.1 schema (vendored), and
/// each component schema against JSON Schema 2020-12.
pub fn assert_valid_openapi_3_1(doc: &Value) {
    let schema: Value = serde_json::from_str(include_str!("../data/openapi-3.1-schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("the OAS 3.1 schema compiles");
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "not valid OpenAPI 3.1: {errors:#?}");
    assert_eq!(doc["openapi"], "3.1.0");
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        assert!(jsonschema::meta::is_valid(schema), "component schema {name} is not valid JSON Schema");
    }
}

/// A validator for one component schema of `doc`, references resolved in it.
fn component_validator(doc: &Value, name: &str) -> jsonschema::Validator {
    let mut root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
    });
    root["components"] = doc["components"].clone();
    jsonschema::draft202012::new(&root).unwrap()
}

fn assert_conforms(validator: &jsonschema::Validator, instance: &Value) {
    let errors: Vec<String> = validator.iter_errors(instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{instance} does not match its schema: {errors:?}");
}

#[tokio::test]
async fn the_document_is_valid_openapi_3_1() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    assert_valid_openapi_3_1(&doc);
    assert!(doc["paths"]["/api/v1/openapi.json"]["get"].is_object());
    assert!(doc["paths"][OUTBOX]["get"].is_object());
    // The validator is not vacuous: a broken document fails it.
    let mut broken = doc.clone();
    broken["paths"][OUTBOX]["get"]["responses"]["200"] = json!({ "content": {} });
    let schema: Value = serde_json::from_str(include_str!("../data/openapi-3.1-schema.json")).unwrap();
    assert!(!jsonschema::draft202012::new(&schema).unwrap().is_valid(&broken), "a response needs a description");
}

#[tokio::test]
async fn every_operation_lists_its_problems_with_their_types() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let list = &doc["paths"][OUTBOX]["get"]["responses"];
    for (status, uri) in [
        ("400", "urn:lionrock:problem:bad-request"),
        ("401", "urn:lionrock:problem:unauthenticated"),
        ("403", "urn:lionrock:problem:forbidden"),
        ("429", "urn:lionrock:problem:rate-limited"),
        ("500", "urn:lionrock:problem:internal"),
        ("503", "urn:lionrock:problem:timeout"),
    ] {
        let response = &list[status];
        assert!(response["x-problem-types"].as_array().unwrap().contains(&json!(uri)), "{status}: {response}");
        assert!(response["description"].as_str().unwrap().contains(uri), "{status}");
        assert_eq!(response["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
    }
    assert!(list["429"]["headers"]["Retry-After"].is_object());
    assert!(list["200"]["headers"]["Link"].is_object());
    let names: Vec<&str> = doc["paths"][OUTBOX]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["limit", "cursor"]);
    assert_eq!(doc["paths"][OUTBOX]["get"]["security"], json!([{ "session": [] }]));
    assert!(doc["paths"]["/api/v1/openapi.json"]["get"]["responses"]["429"].is_object());
}

#[tokio::test]
async fn problems_the_server_sends_match_the_problem_schema() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let problem = component_validator(&doc, "Problem");
    let admin = app.sign_in_as(&admin()).await;
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    let cases: Vec<(TestClient, String, u16)> = vec![
        (app.client(), OUTBOX.to_owned(), 401),
        (resident, OUTBOX.to_owned(), 403),
        (admin.clone(), format!("{OUTBOX}?limit=201"), 400),
        (admin.clone(), format!("{OUTBOX}?cursor=%25%25"), 400),
        (admin, "/api/v1/no-such-thing".to_owned(), 404),
    ];
    for (client, path, status) in cases {
        let resp = client.get(&path).await;
        assert_eq!(resp.status(), status, "{path}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let body: Value = resp.json().await.unwrap();
        assert_conforms(&problem, &body);
        assert_eq!(body["status"], status);
    }
    // The schema is not vacuous.
    assert!(
        !problem.is_valid(&json!({ "type": "x", "title": "t", "status": 400 })),
        "instance and request_id required"
    );
}

#[tokio::test]
async fn the_reference_page_lists_every_operation_in_each_language() {
    let app = TestApp::spawn().await;
    let client = app.client();
    for (lang, title) in [(Lang::En, "API reference"), (Lang::ZhHk, "API 參考"), (Lang::ZhCn, "API 参考")] {
        let resp = client.get(&format!("/{}/api", lang.prefix())).await;
        assert_eq!(resp.status(), 200);
        let html = resp.text().await.unwrap();
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{lang}");
        assert!(html.contains("<code>GET /api/v1/admin/outbox</code>"), "{lang}");
        assert!(html.contains("<code>GET /api/v1/openapi.json</code>"), "{lang}");
        assert!(html.contains("urn:lionrock:problem:forbidden"), "{lang}");
        assert!(html.contains("<th scope=\"col\">"), "{lang}: tables have column headers");
        assert!(html.contains("id=\"schema-problem\""), "{lang}: schemas are listed");
        assert!(!html.contains("<script>") && !html.contains("style="), "{lang}: no inline script or style");
    }
    let home = client.get("/en/").await.text().await.unwrap();
    assert!(home.contains("href=\"/en/api\""), "the footer links to the reference");
}

/// Inserts an outbox row created at `at` (several rows may share a time).
async fn insert_at(app: &TestApp, at: time::OffsetDateTime, channel: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    entity::ActiveModel {
        id: Set(id.clone()),
        channel: Set(channel.to_owned()),
        recipient: Set("mei@example.org".to_owned()),
        lang: Set("en".to_owned()),
        subject: Set(Some("Your code".to_owned())),
        body: Set("Your code is 123456".to_owned()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(at),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        sent_at: Set(None),
        lease_token: Set(None),
        qr: Set(None),
        qr_alt: Set(None),
    }
    .insert(app.db())
    .await
    .unwrap();
    id
}

fn next_of(resp: &reqwest::Response) -> Option<String> {
    let link = resp.headers().get("link")?.to_str().unwrap().to_owned();
    let url = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0.to_owned();
    Some(url)
}

async fn paging_walks_every_row_once_while_rows_are_added(backend: Backend) {
    let app = TestApp::builder().backend(backend).spawn().await;
    let base = platform::db::now() - time::Duration::hours(1);
    let mut expected = Vec::new();
    // Twelve rows, three at each time: the ID breaks ties.
    for i in 0..12 {
        let at = base + time::Duration::seconds(i / 3);
        expected.push((at, insert_at(&app, at, "dev").await));
    }
    expected.sort_by(|a, b| b.cmp(a));
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    let client = app.sign_in_as(&admin()).await;
    let mut seen = Vec::new();
    let mut url = app.url(&format!("{OUTBOX}?limit=5"));
    let mut pages = 0;
    loop {
        let resp = client.http.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let link = next_of(&resp);
        let page: Value = resp.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 5);
        seen.extend(items.iter().map(|m| m["id"].as_str().unwrap().to_owned()));
        pages += 1;
        // Newer messages arrive while the client pages: they sort first.
        outbox::enqueue_now(
            &app.state,
            Notification {
                channel: Channel::Dev,
                recipient: "dev".to_owned(),
                lang: Lang::En,
                subject: None,
                body: format!("added after page {pages}"),
                qr: None,
            },
        )
        .await
        .unwrap();
        match (link, page["next"].as_str()) {
            (Some(link), Some(next)) => {
                assert!(link.starts_with(&app.url(OUTBOX)), "{link}");
                assert!(link.ends_with(&format!("cursor={next}")), "{link}");
                url = link;
            }
            (None, None) => break,
            other => panic!("Link header and next disagree: {other:?}"),
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected, "every row once, newest first");
}
both_backends!(paging_walks_every_row_once_while_rows_are_added);

async fn limit_cursor_and_permissions_are_checked(backend: Backend) {
    let app = TestApp::builder().backend(backend).spawn().await;
    let now = platform::db::now();
    for i in 0..3 {
        insert_at(&app, now - time::Duration::seconds(i), "dev").await;
    }
    let client = app.sign_in_as(&admin()).await;
    let (status, problem) = crate::support::problem(client.get(&format!("{OUTBOX}?limit=201")).await).await;
    assert_eq!(status, 400);
    assert_eq!(problem["type"], "urn:lionrock:problem:bad-request");
    assert_eq!(problem["errors"][0]["field"], "limit");
    assert_eq!(problem["errors"][0]["code"], "out-of-range");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("200"));
    let resp = client.get(&format!("{OUTBOX}?limit=200")).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("link").is_none(), "no Link on the last page");
    let page: Value = resp.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert_eq!(page["next"], Value::Null);
    // Default limit.
    assert_eq!(client.get(OUTBOX).await.status(), 200);
    for bad in ["not-a-cursor!", "bm9jb2xvbg", "MTIzOg", "%ff"] {
        let (status, problem) = crate::support::problem(client.get(&format!("{OUTBOX}?cursor={bad}")).await).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(problem["errors"][0]["field"], "cursor", "{bad}");
    }
    let (status, _) = crate::support::problem(app.client().get(OUTBOX).await).await;
    assert_eq!(status, 401);
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    let (status, _) = crate::support::problem(resident.get(OUTBOX).await).await;
    assert_eq!(status, 403);
}
both_backends!(limit_cursor_and_permissions_are_checked);

#[tokio::test]
async fn message_text_is_shown_only_for_the_development_sink() {
    let app = TestApp::builder().config(|c| c.mail.transport = MailTransport::Smtp).spawn().await;
    let now = platform::db::now();
    let real = insert_at(&app, now - time::Duration::seconds(1), "email").await;
    let dev = insert_at(&app, now, "dev").await;
    let client = app.sign_in_as(&admin()).await;
    let resp = client.get(OUTBOX).await;
    assert_eq!(resp.status(), 200);
    let page: Value = resp.json().await.unwrap();
    let doc = document(&app).await;
    assert_conforms(&component_validator(&doc, "OutboxPage"), &page);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], dev.as_str());
    assert_eq!(items[0]["body"], "Your code is 123456");
    assert_eq!(items[1]["id"], real.as_str());
    assert_eq!(items[1]["body"], Value::Null, "a real transport's message text stays hidden");
    assert_eq!(items[1]["subject"], Value::Null);
}
