//! A test-only module with routes that exercise the platform's machinery.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use platform::app::AppState;
use platform::error::{AppError, DomainError, ProblemType};
use platform::extract::{ApiJson, PageForm};
use platform::i18n::{Ftl, Lang};
use platform::module::Module;
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

/// A domain's error, as a later domain would declare it.
#[derive(Debug)]
pub enum QuotaError {
    Full { centre: String },
    Closed,
}

pub const QUOTA_FULL: ProblemType = ProblemType::new("test-quota-full", StatusCode::CONFLICT);
pub const QUOTA_CLOSED: ProblemType = ProblemType::new("test-quota-closed", StatusCode::GONE);

impl DomainError for QuotaError {
    fn problem(&self) -> ProblemType {
        match self {
            QuotaError::Full { .. } => QUOTA_FULL,
            QuotaError::Closed => QUOTA_CLOSED,
        }
    }

    fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            QuotaError::Full { centre } => vec![("centre", centre.clone())],
            QuotaError::Closed => Vec::new(),
        }
    }
}

const TRANSLATIONS: [Ftl; 3] = [
    Ftl {
        lang: Lang::En,
        origin: "test/en",
        source: "error-test-quota-full-title = Fully booked\nerror-test-quota-full-detail = { $centre } has no places left.\nerror-test-quota-closed-title = Closed\nerror-test-quota-closed-detail = Bookings are closed.\n",
    },
    Ftl {
        lang: Lang::ZhHk,
        origin: "test/zh-HK",
        source: "error-test-quota-full-title = 已滿\nerror-test-quota-full-detail = { $centre } 已沒有名額。\nerror-test-quota-closed-title = 已截止\nerror-test-quota-closed-detail = 預約已截止。\n",
    },
    Ftl {
        lang: Lang::ZhCn,
        origin: "test/zh-CN",
        source: "error-test-quota-full-title = 已满\nerror-test-quota-full-detail = { $centre } 已没有名额。\nerror-test-quota-closed-title = 已截止\nerror-test-quota-closed-detail = 预约已截止。\n",
    },
];

async fn book(ApiJson(body): ApiJson<EchoBody>) -> Result<&'static str, AppError> {
    match body.name.as_str() {
        "closed" => Err(QuotaError::Closed.into()),
        centre => Err(QuotaError::Full { centre: centre.to_owned() }.into()),
    }
}

async fn book_page(ctx: PageContext, PageForm(form): PageForm<EchoForm>) -> Result<axum::response::Response, AppError> {
    let mut errors = platform::form::FormErrors::new();
    errors.problem("name", &QuotaError::Full { centre: form.name });
    ctx.render("Form", &errors.summary(&ctx))
}

/// Inserts the same signing-key row twice: the second hits the primary key.
async fn duplicate(axum::extract::State(state): axum::extract::State<AppState>) -> Result<&'static str, AppError> {
    use sea_orm::ConnectionTrait;
    let insert = "INSERT INTO signing_key (kid, purpose, alg, private_sealed, x, y, status, created_at) \
                  VALUES ('dup-kid', 'test', 'ES256', 'sealed', 'x', 'y', 'retired', CURRENT_TIMESTAMP)";
    state.db.execute_unprepared(insert).await?;
    state.db.execute_unprepared(insert).await?;
    Ok("twice")
}

/// The same name twice under a unique index on an expression (`lower(v)`).
async fn duplicate_expression(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, AppError> {
    use sea_orm::ConnectionTrait;
    state.db.execute_unprepared("CREATE TABLE IF NOT EXISTS test_names (v VARCHAR(50) NOT NULL)").await?;
    state.db.execute_unprepared("CREATE UNIQUE INDEX IF NOT EXISTS test_names_lower ON test_names (lower(v))").await?;
    state.db.execute_unprepared("INSERT INTO test_names (v) VALUES ('Secret-Value')").await?;
    state.db.execute_unprepared("INSERT INTO test_names (v) VALUES ('SECRET-VALUE')").await?;
    Ok("twice")
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

/// How many times each marker's creating request ran (tests use unique markers).
static RUNS: std::sync::Mutex<Vec<(String, u32)>> = std::sync::Mutex::new(Vec::new());

/// How many times a request with `marker` reached its handler.
pub fn runs(marker: &str) -> u32 {
    RUNS.lock().unwrap().iter().find(|(m, _)| m == marker).map_or(0, |(_, n)| *n)
}

fn count_run(marker: &str) -> u32 {
    let mut runs = RUNS.lock().unwrap();
    match runs.iter_mut().find(|(m, _)| m == marker) {
        Some((_, n)) => {
            *n += 1;
            *n
        }
        None => {
            runs.push((marker.to_owned(), 1));
            1
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThingBody {
    pub marker: String,
    /// Fail with 500 on runs up to this one.
    #[serde(default)]
    pub fail_until: u32,
    /// Take this long on the first run.
    #[serde(default)]
    pub first_delay_ms: u64,
    /// Answer with this many bytes of padding.
    #[serde(default)]
    pub pad: usize,
}

/// A creating endpoint that counts its runs: 201 with a `Location`.
async fn create_thing(ApiJson(body): ApiJson<ThingBody>) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let run = count_run(&body.marker);
    if run == 1 && body.first_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(body.first_delay_ms)).await;
    }
    if run <= body.fail_until {
        return Err(AppError::internal(std::io::Error::other("the thing store is down")));
    }
    let location = format!("/api/v1/things/{}-{run}", body.marker);
    Ok((
        StatusCode::CREATED,
        [(http::header::LOCATION, location.clone())],
        Json(json!({ "marker": body.marker, "run": run, "href": location, "pad": "x".repeat(body.pad) })),
    )
        .into_response())
}

/// A POST that creates nothing (exempt from `Idempotency-Key`).
async fn search(ApiJson(body): ApiJson<ThingBody>) -> Json<serde_json::Value> {
    Json(json!({ "run": count_run(&body.marker) }))
}

pub fn module() -> Module {
    Module {
        translations: &TRANSLATIONS,
        pages: || -> Router<AppState> {
            Router::new()
                .route("/form", get(form_page).post(echo_form))
                .route("/whoami", get(whoami))
                .route("/admin-only", get(admin_only))
                .route("/book", post(book_page))
        },
        routes: || -> Router<AppState> {
            Router::new()
                .route("/api/v1/echo", post(echo_json))
                .route("/api/v1/book", post(book))
                .route("/api/v1/duplicate", post(duplicate))
                .route("/api/v1/duplicate-expression", post(duplicate_expression))
                .route("/api/v1/things", post(create_thing))
                .route("/api/v1/search", post(search))
                .nest("/api/v1/nested", Router::new().route("/things", post(create_thing)))
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
        csrf_exempt: &["/oauth-test/token"],
        problems: &[QUOTA_FULL, QUOTA_CLOSED],
        idempotency_exempt: &["/api/v1/search"],
        ..Module::named("test")
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
