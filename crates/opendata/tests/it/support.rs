//! Helpers of open data's tests: the app with the open data module, the
//! demo catalogue loaded as `serve --demo` loads it, publishers with API
//! tokens, and CKAN calls as a client makes them.

use opendata::catalogue::store::{self as catalogue, Actor};
use platform::testkit::{Backend, TestApp, TestAppBuilder, TestClient};
use serde_json::Value;

/// The app with open data. All requests come from one address here: the
/// per-address load shaping is lifted.
pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with_memory_index(TestApp::builder().backend(backend)).await
}

/// `builder`'s app with open data, its search index in memory (servers
/// sharing a data directory in a test would share its index directory).
pub async fn spawn_with_memory_index(builder: TestAppBuilder) -> TestApp {
    builder
        .module(opendata::module())
        .config(|c| {
            c.limits.global_per_ip_per_second = 1_000_000;
            c.section_mut("opendata").insert("search_in_memory".to_owned(), toml::Value::Boolean(true));
        })
        .spawn()
        .await
}

/// The app with the demo catalogue: 7 publishers, 34 datasets (one private, one draft).
pub async fn with_demo(backend: Backend) -> TestApp {
    let app = spawn(backend).await;
    let actor = Actor { id: "test".to_owned(), request_id: None };
    for o in opendata::demo::organisations() {
        catalogue::create_organisation(&app.state, o.name, o.title, o.description, &actor).await.unwrap();
    }
    for d in opendata::demo::datasets() {
        catalogue::create_dataset(&app.state, &d, &actor).await.unwrap();
    }
    app
}

/// A new account that publishes for `organisation` (a name), and its API token.
pub async fn publisher(app: &TestApp, organisation: &str) -> (String, String) {
    let account = uuid::Uuid::now_v7().to_string();
    let org = catalogue::organisation(&app.state.db, organisation).await.unwrap().unwrap();
    opendata::publishers::store::add_publisher(&app.state, &org.id, &account, "test").await.unwrap();
    let (_, token) = opendata::publishers::store::create_token(&app.state, &account, "test", "test").await.unwrap();
    (account, token)
}

/// `GET /api/3/action/{action}?{query}`: status and body.
pub async fn get(client: &TestClient, action: &str, query: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = client.http.get(client.url(&format!("/api/3/action/{action}?{query}")));
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// `POST /api/action/{action}` with a JSON body, as `ckanapi` calls.
pub async fn post(client: &TestClient, action: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
    let mut request = client.http.post(client.url(&format!("/api/action/{action}"))).json(body);
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The `result` of a successful call.
pub fn result((status, body): (u16, Value)) -> Value {
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true, "{body}");
    assert!(body["help"].as_str().unwrap().contains("/api#op-ckanaction"), "{body}");
    body["result"].clone()
}

/// A refusal's status and `__type`, checked to be CKAN's shape.
pub fn refusal((status, body): (u16, Value)) -> (u16, String, Value) {
    assert_eq!(body["success"], false, "{body}");
    assert!(body.get("result").is_none(), "{body}");
    let kind = body["error"]["__type"].as_str().unwrap_or_else(|| panic!("no __type: {body}")).to_owned();
    (status, kind, body["error"].clone())
}

/// Names of a search's results.
pub fn names(search: &Value) -> Vec<String> {
    search["results"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect()
}
