//! A test-only module with routes that exercise the platform's machinery.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use platform::app::{AppState, Module};
use platform::error::AppError;
use platform::extract::{ApiJson, PageForm};
use platform::page::PageContext;
use platform::principal::{Admin, Require, SignedIn};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EchoBody {
    pub name: String,
    #[serde(default)]
    pub age: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct EchoForm {
    pub name: String,
}

async fn echo_json(ApiJson(body): ApiJson<EchoBody>) -> Json<serde_json::Value> {
    Json(json!({ "name": body.name, "age": body.age }))
}

async fn echo_form(PageForm(form): PageForm<EchoForm>) -> String {
    format!("hello {}", form.name)
}

async fn form_page(ctx: PageContext) -> Result<axum::response::Response, AppError> {
    let content = format!(
        "<h1>Form</h1><form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"_csrf\" value=\"{}\"><label for=\"name\">Name</label><input id=\"name\" name=\"name\"><button>Send</button></form>",
        ctx.href("/form"),
        ctx.csrf_token
    );
    ctx.render("Form", &content)
}

async fn whoami(SignedIn(p): SignedIn) -> String {
    p.account_id.to_string()
}

async fn admin_only(admin: Require<Admin>) -> String {
    format!("admin {}", admin.principal.account_id)
}

async fn panics() -> String {
    panic!("secret panic detail 42")
}

/// Signalled when a request reaches `/api/v1/in-flight`.
pub static IN_FLIGHT: tokio::sync::Notify = tokio::sync::Notify::const_new();

async fn in_flight() -> &'static str {
    IN_FLIGHT.notify_one();
    tokio::time::sleep(Duration::from_millis(500)).await;
    "finally"
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    "finally"
}

async fn sensitive() -> &'static str {
    "ok"
}

pub fn module() -> Module {
    Module {
        name: "test",
        migrations: Vec::new,
        translations: &[],
        pages: || -> Router<AppState> {
            Router::new()
                .route("/form", get(form_page).post(echo_form))
                .route("/whoami", get(whoami))
                .route("/admin-only", get(admin_only))
        },
        routes: || -> Router<AppState> {
            Router::new()
                .route("/api/v1/echo", post(echo_json))
                .route("/api/v1/panic", get(panics))
                .route("/api/v1/slow", get(slow))
                .route("/api/v1/in-flight", get(in_flight))
                .route(
                    "/api/v1/sensitive",
                    post(sensitive).route_layer(middleware::from_fn(platform::ratelimit::sensitive)),
                )
                .route("/oauth-test/token", post(sensitive))
                .route("/oauth-test/token/{id}", post(sensitive))
                .route("/oauth-test/tokenx", post(sensitive))
                .route("/oauth-test/token-anything", post(sensitive))
                .route("/oauth-test/other", post(sensitive))
        },
        services: &[],
        nav: &[],
        csrf_exempt: &["/oauth-test/token"],
        demo: None,
        job: None,
    }
}

/// A test app with the test module.
pub fn app() -> platform::testkit::TestAppBuilder {
    platform::testkit::TestApp::builder().module(module())
}

pub async fn problem(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    assert_eq!(resp.headers().get("content-type").unwrap(), "application/problem+json", "status {status}");
    (status, resp.json().await.unwrap())
}
