//! `Idempotency-Key` on POSTs under `/api`: retries answered from the store,
//! a key reused for another request refused, keys scoped per caller, one
//! run among parallel requests on two servers, server errors releasing the
//! key, a timeout or a dead server leaving the outcome unknown (never a
//! second run), the request scope keeping only small successes, expiry
//! after a day.

use std::time::Duration;

use platform::both_backends;
use platform::idempotency::entity;
use platform::principal::AccountId;
use platform::testkit::{Backend, TestApp, TestClient, eventually};
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::{Value, json};

use crate::support::{app, problem, runs};

const THINGS: &str = "/api/v1/things";

fn marker() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// POSTs JSON with an `Idempotency-Key` and, when given, `Authorization`.
async fn post(c: &TestClient, path: &str, key: &str, caller: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = c.http.post(c.url(path)).header("idempotency-key", key).json(body);
    if let Some(caller) = caller {
        request = request.header("authorization", format!("Bearer {caller}"));
    }
    request.send().await.unwrap()
}

/// The same POST from a signed-in resident (session cookie and CSRF token).
async fn post_signed_in(c: &TestClient, path: &str, key: &str, body: &Value) -> reqwest::Response {
    let token = c.csrf_token().await;
    c.http
        .post(c.url(path))
        .header("idempotency-key", key)
        .header(platform::web::CSRF_HEADER, token)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn replayed(r: &reqwest::Response) -> bool {
    r.headers().get("idempotent-replayed").is_some_and(|v| v == "true")
}

async fn rows(app: &TestApp) -> i64 {
    let row = app
        .db()
        .query_one_raw(Statement::from_string(app.db().get_database_backend(), "SELECT COUNT(*) AS n FROM idempotency"))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

/// Moves every row's `column` to `ago` in the past (instead of waiting).
async fn set_back(app: &TestApp, column: entity::Column, ago: time::Duration) {
    entity::Entity::update_many()
        .col_expr(column, Expr::value(platform::db::now() - ago))
        .exec(app.db())
        .await
        .unwrap();
}

async fn retry_gets_the_stored_answer(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let (m, k) = (marker(), key());
    let body = json!({ "marker": m });

    let first = post(&c, THINGS, &k, Some("alice"), &body).await;
    assert_eq!(first.status(), 201);
    assert!(!replayed(&first));
    let location = first.headers()["location"].clone();
    let first_body: Value = first.json().await.unwrap();

    // The same key, bare or as a quoted structured-field string.
    for sent in [k.clone(), format!("\"{k}\"")] {
        let again = post(&c, THINGS, &sent, Some("alice"), &body).await;
        assert_eq!(again.status(), 201);
        assert!(replayed(&again));
        assert_eq!(again.headers()["location"], location);
        assert_eq!(again.headers()["content-type"], "application/json");
        assert_eq!(again.json::<Value>().await.unwrap(), first_body);
    }
    // A retry in another language is the same request.
    let zh = c
        .http
        .post(c.url(THINGS))
        .header("idempotency-key", &k)
        .header("authorization", "Bearer alice")
        .header("accept-language", "zh-HK")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(replayed(&zh));
    assert_eq!(runs(&m), 1, "the handler ran once");

    // Without a key, nothing is remembered.
    assert_eq!(c.post_json(THINGS, &body).await.status(), 201);
    assert_eq!(runs(&m), 2);

    // Client errors a retry would get again are kept too, as rendered, for
    // a signed-in caller (see the_request_scope_keeps_only_small_successes).
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    let k2 = key();
    let bad = json!({ "marker": m, "colour": "red" });
    let (status, first_problem) = problem(post_signed_in(&resident, THINGS, &k2, &bad).await).await;
    assert_eq!(status, 422);
    let again = post_signed_in(&resident, THINGS, &k2, &bad).await;
    assert!(replayed(&again));
    let (status, again_problem) = problem(again).await;
    assert_eq!(status, 422);
    assert_eq!(again_problem, first_problem, "the same problem, with the first request's ID");
    assert_eq!(runs(&m), 2);

    // Stored sealed: the body is nowhere in clear.
    let stored = app
        .db()
        .query_all_raw(Statement::from_string(app.db().get_database_backend(), "SELECT body FROM idempotency"))
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    for row in stored {
        let sealed: String = row.try_get("", "body").unwrap();
        assert!(!sealed.contains(&m) && !sealed.contains("marker"));
    }
}
both_backends!(retry_gets_the_stored_answer);

async fn a_key_reused_for_another_request_is_refused(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let (m, k) = (marker(), key());
    assert_eq!(post(&c, THINGS, &k, Some("alice"), &json!({ "marker": m })).await.status(), 201);

    let other_body = post(&c, THINGS, &k, Some("alice"), &json!({ "marker": marker() })).await;
    let (status, p) = problem(other_body).await;
    assert_eq!(status, 422);
    assert_eq!(p["type"], "urn:lionrock:problem:idempotency-key-reused");
    assert!(p["detail"].as_str().unwrap().contains("different request"), "{p}");
    let other_path = post(&c, "/api/v1/echo", &k, Some("alice"), &json!({ "marker": m })).await;
    assert_eq!(other_path.status(), 422);
    let form = c
        .http
        .post(c.url(THINGS))
        .header("idempotency-key", &k)
        .header("authorization", "Bearer alice")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(json!({ "marker": m }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 422, "another content type is another request");
    // Translated like every problem.
    let zh = c
        .http
        .post(c.url(THINGS))
        .header("idempotency-key", &k)
        .header("authorization", "Bearer alice")
        .header("accept-language", "zh-HK")
        .json(&json!({ "marker": "other" }))
        .send()
        .await
        .unwrap();
    let (_, p) = problem(zh).await;
    assert_eq!(p["title"], "Idempotency-Key 已用於另一個請求");
    assert_eq!(runs(&m), 1);
}
both_backends!(a_key_reused_for_another_request_is_refused);

async fn keys_belong_to_their_caller(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let k = key();
    let (ma, mb) = (marker(), marker());
    let a = post(&c, THINGS, &k, Some("alice"), &json!({ "marker": ma })).await;
    let b = post(&c, THINGS, &k, Some("bob"), &json!({ "marker": mb })).await;
    assert_eq!((a.status(), b.status()), (reqwest::StatusCode::CREATED, reqwest::StatusCode::CREATED));
    assert!(!replayed(&b), "bob's key is his own");

    // Alice's exact request from someone else is theirs, not a replay of hers.
    let anonymous = post(&c, THINGS, &k, None, &json!({ "marker": ma })).await;
    assert_eq!(anonymous.status(), 201);
    assert!(!replayed(&anonymous));
    assert_eq!(runs(&ma), 2);
    // The anonymous caller is scoped by its request: the same one is a retry.
    assert!(replayed(&post(&c, THINGS, &k, None, &json!({ "marker": ma })).await));

    // A signed-in account is one caller, whichever of its sessions asks.
    let account = platform::testkit::resident_signed_in_now(AccountId::new());
    let (laptop, phone) = (app.sign_in_as(&account).await, app.sign_in_as(&account).await);
    let mc = marker();
    let on_laptop = session_post(&laptop, &k, &json!({ "marker": mc })).await;
    assert_eq!(on_laptop.status(), 201);
    assert!(!replayed(&on_laptop));
    let on_phone = session_post(&phone, &k, &json!({ "marker": mc })).await;
    assert!(replayed(&on_phone));
    assert_eq!(runs(&mc), 1);
    let someone_else = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    assert!(!replayed(&session_post(&someone_else, &k, &json!({ "marker": mc })).await));
    assert_eq!(runs(&mc), 2);

    // Alice's own retry still finds hers.
    let again = post(&c, THINGS, &k, Some("alice"), &json!({ "marker": ma })).await;
    assert!(replayed(&again));
    assert_eq!(again.json::<Value>().await.unwrap()["run"], 1);
}
both_backends!(keys_belong_to_their_caller);

/// A signed-in browser's API call: session cookie and CSRF header.
async fn session_post(c: &TestClient, key: &str, body: &Value) -> reqwest::Response {
    let token = c.csrf_token().await;
    c.http
        .post(c.url(THINGS))
        .header("idempotency-key", key)
        .header(platform::web::CSRF_HEADER, token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn parallel_requests_with_one_key_run_once(backend: Backend) {
    let one = app().backend(backend).spawn().await;
    let two = app().same_database_as(&one).spawn().await;
    let (m, k) = (marker(), key());
    let body = json!({ "marker": m, "first_delay_ms": 400 });
    let mut tasks = Vec::new();
    for i in 0..6 {
        let c = if i % 2 == 0 { one.client() } else { two.client() };
        let (k, body) = (k.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let r = post(&c, THINGS, &k, Some("alice"), &body).await;
            let (status, again) = (r.status().as_u16(), replayed(&r));
            let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            (status, again, retry_after, r.json::<Value>().await.unwrap())
        }));
    }
    let mut ran = Vec::new();
    for task in tasks {
        let (status, again, retry_after, body) = task.await.unwrap();
        match status {
            201 if !again => ran.push(body),
            201 => assert_eq!(body["run"], 1, "the same answer"),
            409 => {
                assert_eq!(body["type"], "urn:lionrock:problem:idempotency-key-in-progress");
                assert_eq!(retry_after.as_deref(), Some("1"));
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ran.len(), 1, "exactly one request ran: {ran:?}");
    assert_eq!(runs(&m), 1);
    let late = post(&two.client(), THINGS, &k, Some("alice"), &body).await;
    assert!(replayed(&late));
    assert_eq!(late.json::<Value>().await.unwrap(), ran[0]);
}
both_backends!(parallel_requests_with_one_key_run_once);

async fn server_errors_release_the_key(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let (m, k) = (marker(), key());
    let body = json!({ "marker": m, "fail_until": 1 });
    let (status, p) = problem(post(&c, THINGS, &k, Some("alice"), &body).await).await;
    assert_eq!((status, p["type"].as_str()), (500, Some("urn:lionrock:problem:internal")));
    assert_eq!(rows(&app).await, 0, "a 5xx is not kept");
    let retry = post(&c, THINGS, &k, Some("alice"), &body).await;
    assert_eq!(retry.status(), 201);
    assert!(!replayed(&retry), "the retry ran again");
    assert_eq!(runs(&m), 2);
    assert!(replayed(&post(&c, THINGS, &k, Some("alice"), &body).await));
}
both_backends!(server_errors_release_the_key);

/// A retry's answer when the first request may have completed unseen.
async fn assert_outcome_unknown(r: reqwest::Response) {
    let (status, p) = problem(r).await;
    assert_eq!(status, 409);
    assert_eq!(p["type"], "urn:lionrock:problem:idempotency-key-outcome-unknown");
    assert!(p["detail"].as_str().unwrap().contains("may have completed"), "{p}");
}

async fn a_request_cut_off_by_the_timeout_leaves_its_outcome_unknown(backend: Backend) {
    let app = app().backend(backend).config(|c| c.server.request_timeout_secs = 1).spawn().await;
    let c = app.client();
    let (m, k) = (marker(), key());
    let body = json!({ "marker": m, "first_delay_ms": 1500 });
    let (status, _) = problem(post(&c, THINGS, &k, Some("alice"), &body).await).await;
    assert_eq!(status, 503);
    // The handler may have committed before the timeout: a retry is told so
    // (once the abandoned lease is written), and does not run it again.
    let retry = eventually("the lease ended", Duration::from_secs(5), || async {
        let r = post(&c, THINGS, &k, Some("alice"), &body).await;
        (r.status() != 409 || r.headers().get("retry-after").is_none()).then_some(r)
    })
    .await;
    assert_outcome_unknown(retry).await;
    let zh = c
        .http
        .post(c.url(THINGS))
        .header("idempotency-key", &k)
        .header("authorization", "Bearer alice")
        .header("accept-language", "zh-HK")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(zh).await.1["title"], "首個請求的結果不明");
    assert_eq!(runs(&m), 1, "never run a second time");
    assert_eq!(rows(&app).await, 1);

    // Once the key expires, it is free again.
    set_back(&app, entity::Column::ExpiresAt, time::Duration::seconds(1)).await;
    let later = post(&c, THINGS, &k, Some("alice"), &body).await;
    assert_eq!(later.status(), 201);
    assert_eq!(runs(&m), 2);
}
both_backends!(a_request_cut_off_by_the_timeout_leaves_its_outcome_unknown);

async fn a_dead_servers_key_is_not_run_again(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let (m, k) = (marker(), key());
    // Long enough for the steps below on a busy machine.
    let body = json!({ "marker": m, "first_delay_ms": 3000 });
    let first = {
        let (c, k, body) = (c.clone(), k.clone(), body.clone());
        tokio::spawn(async move { post(&c, THINGS, &k, Some("alice"), &body).await })
    };
    eventually("the first request running", Duration::from_secs(5), || async { (runs(&m) == 1).then_some(()) }).await;
    assert_eq!(post(&c, THINGS, &k, Some("alice"), &body).await.status(), 409);

    // As if the first server died (after committing, perhaps): its lease ran
    // out with no answer kept. A retry is not run again.
    set_back(&app, entity::Column::LockedUntil, time::Duration::hours(1)).await;
    assert_outcome_unknown(post(&c, THINGS, &k, Some("alice"), &body).await).await;
    assert_eq!(runs(&m), 1);

    // The first was only slow: it still holds its lease, so its answer is
    // kept after all, and retries get it.
    let first = first.await.unwrap();
    assert_eq!(first.json::<Value>().await.unwrap()["run"], 1);
    let again = post(&c, THINGS, &k, Some("alice"), &body).await;
    assert!(replayed(&again));
    assert_eq!(again.json::<Value>().await.unwrap()["run"], 1);
    assert_eq!(runs(&m), 1);
}
both_backends!(a_dead_servers_key_is_not_run_again);

async fn the_request_scope_keeps_only_small_successes(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    // Rejected requests from callers with no credential leave no row.
    for _ in 0..5 {
        let malformed = c
            .http
            .post(c.url(THINGS))
            .header("idempotency-key", key())
            .header("content-type", "application/json")
            .body("{ not json")
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), 400);
        let (status, _) =
            problem(post(&c, THINGS, &key(), None, &json!({ "marker": marker(), "colour": "red" })).await).await;
        assert_eq!(status, 422);
    }
    assert_eq!(rows(&app).await, 0, "no 4xx kept in the request scope");
    // An Authorization header nothing has checked yet is no better: anyone can send one.
    let bad = json!({ "marker": marker(), "colour": "red" });
    assert_eq!(post(&c, THINGS, &key(), Some(&marker()), &bad).await.status(), 422);
    assert_eq!(rows(&app).await, 0, "no 4xx kept for an unchecked credential");
    // For a signed-in resident, the same 4xx is kept.
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    let k = key();
    assert_eq!(post_signed_in(&resident, THINGS, &k, &bad).await.status(), 422);
    assert!(replayed(&post_signed_in(&resident, THINGS, &k, &bad).await));
    assert_eq!(rows(&app).await, 1);

    // A success is kept, up to 64 KiB.
    let (small, k) = (marker(), key());
    let body = json!({ "marker": small, "pad": 1000 });
    assert_eq!(post(&c, THINGS, &k, None, &body).await.status(), 201);
    assert!(replayed(&post(&c, THINGS, &k, None, &body).await));
    assert_eq!(runs(&small), 1);

    // A larger one is not kept; it completed, so a retry is not run again.
    let (large, k) = (marker(), key());
    let body = json!({ "marker": large, "pad": platform::idempotency::MAX_STORED_BODY_REQUEST_SCOPE });
    let first = post(&c, THINGS, &k, None, &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.bytes().await.unwrap().len() > platform::idempotency::MAX_STORED_BODY_REQUEST_SCOPE);
    assert_outcome_unknown(post(&c, THINGS, &k, None, &body).await).await;
    assert_eq!(runs(&large), 1);
    // The same answer is small enough for a signed-in caller.
    let (large, k) = (marker(), key());
    let body = json!({ "marker": large, "pad": platform::idempotency::MAX_STORED_BODY_REQUEST_SCOPE });
    assert_eq!(post_signed_in(&resident, THINGS, &k, &body).await.status(), 201);
    assert!(replayed(&post_signed_in(&resident, THINGS, &k, &body).await));
    assert_eq!(runs(&large), 1);
}
both_backends!(the_request_scope_keeps_only_small_successes);

async fn answers_expire_after_a_day(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let (m, k) = (marker(), key());
    let body = json!({ "marker": m });
    assert_eq!(post(&c, THINGS, &k, Some("alice"), &body).await.status(), 201);
    let day = time::Duration::hours(24) + time::Duration::seconds(1);
    set_back(&app, entity::Column::CreatedAt, day).await;
    set_back(&app, entity::Column::ExpiresAt, time::Duration::seconds(1)).await;
    let after = post(&c, THINGS, &k, Some("alice"), &body).await;
    assert_eq!(after.status(), 201);
    assert!(!replayed(&after), "a day later the key is free again");
    assert_eq!(runs(&m), 2);

    // Housekeeping deletes what has expired, and only that.
    set_back(&app, entity::Column::ExpiresAt, time::Duration::seconds(1)).await;
    assert_eq!(post(&c, THINGS, &key(), Some("alice"), &json!({ "marker": marker() })).await.status(), 201);
    assert_eq!(rows(&app).await, 2);
    app.state.run_jobs().await;
    assert_eq!(rows(&app).await, 1);
}
both_backends!(answers_expire_after_a_day);

#[tokio::test]
async fn malformed_keys_get_400_and_run_nothing() {
    let app = app().spawn().await;
    let c = app.client();
    let m = marker();
    let body = json!({ "marker": m });
    for bad in [String::new(), "k".repeat(129), "two words".to_owned(), "\"unclosed".to_owned()] {
        let (status, p) = problem(post(&c, THINGS, &bad, Some("alice"), &body).await).await;
        assert_eq!(status, 400, "{bad:?}");
        assert_eq!(p["type"], "urn:lionrock:problem:idempotency-key-invalid");
    }
    let twice = c
        .http
        .post(c.url(THINGS))
        .header("idempotency-key", "a")
        .header("idempotency-key", "b")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 400);
    assert_eq!(runs(&m), 0);
    assert_eq!(post(&c, THINGS, &"k".repeat(128), Some("alice"), &body).await.status(), 201, "128 is fine");
}

#[tokio::test]
async fn routes_that_create_nothing_and_other_methods_ignore_the_key() {
    let app = app().spawn().await;
    let c = app.client();
    let (m, k) = (marker(), key());
    for run in 1..=2 {
        let r = post(&c, "/api/v1/search", &k, Some("alice"), &json!({ "marker": m })).await;
        assert!(!replayed(&r));
        assert_eq!(r.json::<Value>().await.unwrap()["run"], run);
    }
    let get = c.http.get(c.url("/api/v1/slow")).header("idempotency-key", "not a key").send().await.unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(rows(&app).await, 0);
}

#[tokio::test]
async fn a_nested_api_router_is_covered_too() {
    let app = app().spawn().await;
    let c = app.client();
    let (m, k) = (marker(), key());
    let body = json!({ "marker": m });
    assert_eq!(post(&c, "/api/v1/nested/things", &k, Some("alice"), &body).await.status(), 201);
    let again = post(&c, "/api/v1/nested/things", &k, Some("alice"), &body).await;
    assert!(replayed(&again));
    assert_eq!(runs(&m), 1);
}
