//! The API contract with every module composed: the served OpenAPI document
//! is valid OpenAPI 3.1, and it documents exactly the `/api/v…` routes (and
//! CKAN's `/api/3/…` and `/api/action/…`) the source declares (a route added
//! without its operation, or an operation whose route is gone, fails here),
//! and exactly their methods: every other method is 405, and nothing but a
//! module's `api` answers under `/api`.

use std::collections::BTreeSet;

use platform::module::Module;
use platform::openapi::ApiRouter;
use platform::testkit::TestApp;
use serde_json::Value;

use crate::support::{rust_files, workspace};

/// Every string literal in `text` that is an API route: `"/api/v<N>/…"`
/// (lionrock's own API), or CKAN's Action API that open data serves,
/// `"/api/<N>/…"` and `"/api/action/…"`.
fn api_literals(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("\"/api/") {
        let tail = &rest[i + 1..];
        let end = tail.find('"').unwrap_or(tail.len());
        let literal = &tail[..end];
        let segment = literal["/api/".len()..].split('/').next().unwrap_or("");
        let version = segment.strip_prefix('v').unwrap_or(segment);
        let versioned = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit());
        // A route is a plain path: a literal with escapes or spaces is some other text.
        let plain = !literal.contains(['\\', ' ']);
        if plain && (versioned || segment == "action") && literal.len() > "/api/".len() + segment.len() + 1 {
            found.push(literal.to_owned());
        }
        rest = &tail[end.min(tail.len())..];
    }
    found
}

/// API route paths declared in every crate's `src` (tests may mount
/// undocumented routes of their own; the product may not).
fn declared_routes() -> BTreeSet<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(workspace().join("crates")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    files.iter().flat_map(|f| api_literals(&std::fs::read_to_string(f).unwrap())).collect()
}

/// A test app with every module.
fn every_module() -> platform::testkit::TestAppBuilder {
    let mut builder = TestApp::builder();
    for module in lionrock::modules().into_iter().filter(|m| m.name != "platform") {
        builder = builder.module(module);
    }
    builder
}

async fn served_document() -> (TestApp, Value) {
    let app = every_module().spawn().await;
    let resp = app.client().get("/api/v1/openapi.json").await;
    assert_eq!(resp.status(), 200);
    let doc = resp.json().await.unwrap();
    (app, doc)
}

#[test]
fn api_literals_are_found_in_source_text() {
    let text = r#"route("/api/v1/things/{id}", get(x)); if path.starts_with("/api/") {} "/api/v2x/no" "/api/v1/"
        b"/api/v1/signed\nmessage" "/api/3/action/{name}" "/api/action/{name}" "/api/3/" "/api/actions/x""#;
    assert_eq!(api_literals(text), ["/api/v1/things/{id}", "/api/3/action/{name}", "/api/action/{name}"]);
}

#[tokio::test]
async fn every_api_route_is_documented_and_every_operation_routed() {
    let (app, doc) = served_document().await;
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let declared = declared_routes();
    assert!(declared.contains("/api/v1/identity/real-name"), "the scan finds routes: {declared:?}");
    assert!(declared.contains("/api/3/action/{name}"), "the scan finds CKAN's routes: {declared:?}");
    let undocumented: Vec<_> = declared.difference(&documented).collect();
    assert!(undocumented.is_empty(), "API routes missing from /api/v1/openapi.json: {undocumented:?}");
    let unrouted: Vec<_> = documented.difference(&declared).collect();
    assert!(unrouted.is_empty(), "operations whose path no source declares: {unrouted:?}");
    // Each documented GET without parameters in its path answers (not 404/405).
    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_some() && !path.contains('{') {
            let status = app.client().get(path).await.status();
            assert!(status != 404 && status != 405, "{path}: {status}");
        }
    }
}

#[tokio::test]
async fn the_composed_document_is_valid_openapi_3_1() {
    let (_app, doc) = served_document().await;
    let schema: Value =
        serde_json::from_str(include_str!("../../../platform/tests/data/openapi-3.1-schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "not valid OpenAPI 3.1: {errors:#?}");
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        assert!(jsonschema::meta::is_valid(schema), "component schema {name}");
    }
    let post = &doc["paths"]["/api/v1/identity/real-name"]["post"];
    let header = post["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "Idempotency-Key");
    assert_eq!(header.unwrap()["in"], "header", "a creating POST documents Idempotency-Key");
    for status in ["200", "400", "401", "403", "404", "409", "413", "415", "422", "429", "500", "503"] {
        assert!(post["responses"][status].is_object(), "real-name {status}");
    }
    assert!(post["responses"]["403"]["x-problem-types"].as_array().unwrap().len() == 1, "exempt from CSRF");
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// A documented path with a value in each `{parameter}`.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|part| if part.starts_with('{') && part.ends_with('}') { "x" } else { part })
        .collect::<Vec<_>>()
        .join("/")
}

async fn send(app: &TestApp, method: &str, path: &str) -> u16 {
    let c = app.client();
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    let body = !matches!(method, reqwest::Method::GET | reqwest::Method::DELETE);
    let mut request = c.http.request(method, c.url(path));
    if body {
        request = request.header("content-type", "application/json").body("{}");
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn every_undocumented_method_of_a_documented_path_is_405() {
    let (app, doc) = served_document().await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS.iter().filter(|m| item.get(**m).is_none()) {
            let status = send(&app, method, &concrete(path)).await;
            assert_eq!(status, 405, "{} {path}: undocumented, yet {status}", method.to_uppercase());
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[tokio::test]
async fn nothing_but_the_modules_api_answers_under_api() {
    let (_app, doc) = served_document().await;
    let without_api = every_module().map_modules(|m| Module { api: ApiRouter::new, ..m }).spawn().await;
    for path in doc["paths"].as_object().unwrap().keys() {
        for method in METHODS {
            let status = send(&without_api, method, &concrete(path)).await;
            assert_eq!(status, 404, "{} {path} answers {status} outside the modules' api", method.to_uppercase());
        }
    }
}

#[tokio::test]
async fn the_documented_idempotency_key_is_the_accepted_one() {
    let (_app, doc) = served_document().await;
    let post = &doc["paths"]["/api/v1/identity/real-name"]["post"];
    let header = post["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "Idempotency-Key").unwrap();
    let validator = jsonschema::draft202012::new(&header["schema"]).unwrap();
    let k128 = "k".repeat(128);
    let quoted = format!("\"{k128}\"");
    let k129 = "k".repeat(129);
    for value in [
        "8e03978e-40d5-43e8-bc93-6894a57f9324",
        "\"a\"",
        "!~",
        &k128,
        &quoted,
        &k129,
        "",
        "\"\"",
        "a b",
        "a\\b",
        "a\"b",
        "\"open",
        "caf\u{e9}",
    ] {
        let accepted = platform::idempotency::IdempotencyKey::parse(value).is_some();
        assert_eq!(validator.is_valid(&Value::String(value.to_owned())), accepted, "{value:?}");
    }
    let conflict = &post["responses"]["409"];
    let types: Vec<&str> = conflict["x-problem-types"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for slug in ["idempotency-key-in-progress", "idempotency-key-outcome-unknown"] {
        assert!(types.contains(&format!("urn:lionrock:problem:{slug}").as_str()), "{types:?}");
    }
    assert_eq!(conflict["headers"]["Retry-After"]["schema"]["minimum"], 1);
}
