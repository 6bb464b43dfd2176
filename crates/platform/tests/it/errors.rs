//! Every kind of bad input gets a precise 4xx, as problem+json for APIs
//! and an accessible page for browsers; never a 500.

use platform::testkit::TestApp;
use serde_json::json;

use crate::support::{app, problem};

#[tokio::test]
async fn unknown_pages_get_a_translated_html_page_with_the_request_id() {
    let app = TestApp::spawn().await;
    let r = app.client().get("/zh-hk/no-such-page").await;
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-HK\">"));
    assert!(html.contains("找不到頁面"));
    assert!(html.contains(&id), "the page shows the reference number");
}

#[tokio::test]
async fn api_errors_are_problem_details() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let (status, body) = problem(c.get("/api/v1/nothing-here").await).await;
    assert_eq!(status, 404);
    assert_eq!(body["type"], "urn:lionrock:problem:not-found");
    assert_eq!(body["status"], 404);
    assert_eq!(body["instance"], "/api/v1/nothing-here");
    assert!(body["request_id"].as_str().is_some_and(|s| !s.is_empty()));

    // A client that asks for JSON gets JSON anywhere.
    let r = c.http.get(c.url("/en/missing")).header("accept", "application/json").send().await.unwrap();
    let (status, _) = problem(r).await;
    assert_eq!(status, 404);

    // Chinese for a client that prefers it.
    let r = c.http.get(c.url("/api/v1/nothing-here")).header("accept-language", "zh-CN").send().await.unwrap();
    let (_, body) = problem(r).await;
    assert_eq!(body["title"], "找不到页面");
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let app = app().spawn().await;
    let r = app.client().get("/api/v1/echo").await;
    assert!(r.headers()["allow"].to_str().unwrap().contains("POST"));
    let (status, body) = problem(r).await;
    assert_eq!(status, 405);
    assert_eq!(body["type"], "urn:lionrock:problem:method-not-allowed");
    let r = app.client().get("/healthz").await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn wrong_method_is_405_before_csrf() {
    let app = app().spawn().await;
    let c = app.client();
    // Unsafe methods on routes that do not take them: no token, a bad token,
    // a page route under a language prefix, an API route, an unknown method.
    for (method, path) in [
        ("PUT", "/healthz"),
        ("DELETE", "/healthz"),
        ("POST", "/en/whoami"),
        ("PUT", "/en/form"),
        ("DELETE", "/zh-hk/form"),
        ("PATCH", "/api/v1/echo"),
        ("PURGE", "/en/form"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        for token in [None, Some("not-a-token")] {
            let mut request = c.http.request(method.clone(), c.url(path)).header("accept", "application/json");
            if let Some(token) = token {
                request = request.header("x-csrf-token", token);
            }
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 405, "{method} {path} (token {token:?})");
            assert!(r.headers().contains_key("allow"), "{method} {path}");
            let (_, body) = problem(r).await;
            assert_eq!(body["type"], "urn:lionrock:problem:method-not-allowed");
        }
    }
    // A page asked for by a browser gets the HTML error page.
    let r = c.http.put(c.url("/en/form")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    // The right method still needs its token.
    assert_eq!(c.post_form_raw("/en/form", &[("name", "Mei")]).await.status(), 403);
    // Unknown paths are still 404 whatever the method.
    assert_eq!(c.http.put(c.url("/en/no-such-page")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn json_bodies_are_checked_precisely() {
    let app = app().spawn().await;
    let c = app.client();
    let url = c.url("/api/v1/echo");

    let r = c.post_json("/api/v1/echo", &json!({ "name": "Mei", "age": 80 })).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["name"], "Mei");

    let send = |body: Vec<u8>, ct: &'static str| {
        let c = c.clone();
        let url = url.clone();
        async move { c.http.post(url).header("content-type", ct).body(body).send().await.unwrap() }
    };

    let (status, body) = problem(send(b"{\"name\": ".to_vec(), "application/json").await).await;
    assert_eq!((status, body["type"].as_str().unwrap()), (400, "urn:lionrock:problem:malformed-json"));

    let (status, body) = problem(send(b"{\"name\":\"a\"} trailing".to_vec(), "application/json").await).await;
    assert_eq!((status, body["type"].as_str().unwrap()), (400, "urn:lionrock:problem:malformed-json"));

    let (status, body) = problem(send(b"name=a".to_vec(), "text/plain").await).await;
    assert_eq!((status, body["type"].as_str().unwrap()), (415, "urn:lionrock:problem:unsupported-media-type"));

    let (status, body) = problem(send(b"{\"name\":\"a\",\"nickname\":\"b\"}".to_vec(), "application/json").await).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "/nickname");
    assert_eq!(body["errors"][0]["code"], "unknown");
    assert_eq!(body["errors"][0]["message"], "This field is not recognised.");

    let (status, body) = problem(send(b"{\"age\": 3}".to_vec(), "application/json").await).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "/name");
    assert_eq!(body["errors"][0]["code"], "required");

    let (status, body) = problem(send(b"{\"name\": 12}".to_vec(), "application/json").await).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "/name");
    assert_eq!(body["errors"][0]["code"], "wrong-type");

    let (status, body) = problem(send(b"{\"name\":\"\xff\xfe\"}".to_vec(), "application/json").await).await;
    assert_eq!((status, body["type"].as_str().unwrap()), (400, "urn:lionrock:problem:invalid-utf8"));
}

#[tokio::test]
async fn oversized_bodies_are_413_problems() {
    let app = app().config(|c| c.server.body_limit_bytes = 2048).spawn().await;
    let c = app.client();
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(10_000));
    let r =
        c.http.post(c.url("/api/v1/echo")).header("content-type", "application/json").body(big).send().await.unwrap();
    let (status, body) = problem(r).await;
    assert_eq!(status, 413);
    assert_eq!(body["type"], "urn:lionrock:problem:payload-too-large");
}

/// A route that reads its whole body itself and says how long it was.
async fn body_length(body: axum::body::Body) -> String {
    axum::body::to_bytes(body, usize::MAX).await.map_or_else(|_| "unread".to_owned(), |b| b.len().to_string())
}

#[tokio::test]
async fn a_modules_own_body_limit_prefix_is_not_cut_by_the_platforms() {
    use axum::routing::post;
    let bulk = platform::module::Module {
        routes: || axum::Router::new().route("/bulk/in", post(body_length)).route("/bulky/in", post(body_length)),
        csrf_exempt: &["/bulk", "/bulky"],
        own_body_limit: &["/bulk"],
        ..platform::module::Module::named("bulk")
    };
    let app = TestApp::builder().module(bulk).config(|c| c.server.body_limit_bytes = 2048).spawn().await;
    let c = app.client();
    let r = c.http.post(c.url("/bulk/in")).body(vec![7u8; 10_000]).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.text().await.unwrap()), (200, "10000".to_owned()));
    // Whole segments only: `/bulky` is not under `/bulk`, and keeps the platform's limit.
    let r = c.http.post(c.url("/bulky/in")).header("accept", "application/json").body(vec![7u8; 10_000]);
    let (status, body) = problem(r.send().await.unwrap()).await;
    assert_eq!((status, body["type"].as_str().unwrap()), (413, "urn:lionrock:problem:payload-too-large"));
    let r = c.http.post(c.url("/bulky/in")).body(vec![7u8; 100]).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "100");
}

/// Answers after a second and a half.
async fn slowly() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    "done"
}

#[tokio::test]
async fn a_modules_own_body_limit_prefix_sets_its_own_time_limit() {
    use axum::routing::get;
    let slow = platform::module::Module {
        routes: || axum::Router::new().route("/bulk/slow", get(slowly)).route("/bulky/slow", get(slowly)),
        own_body_limit: &["/bulk"],
        ..platform::module::Module::named("slow")
    };
    let app = TestApp::builder().module(slow).config(|c| c.server.request_timeout_secs = 1).spawn().await;
    let c = app.client();
    let r = c.http.get(c.url("/bulk/slow")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.text().await.unwrap()), (200, "done".to_owned()));
    let r = c.http.get(c.url("/bulky/slow")).header("accept", "application/json").send().await.unwrap();
    let (status, body) = problem(r).await;
    assert_eq!((status, body["type"].as_str().unwrap()), (503, "urn:lionrock:problem:timeout"));
}

#[tokio::test]
async fn form_bodies_with_invalid_utf8_are_rejected() {
    let app = app().spawn().await;
    let c = app.client();
    let token = c.csrf_token().await;
    let r = c
        .http
        .post(c.url("/en/form"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={token}&name=%FF%FE"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Invalid text encoding"));
}

/// Sends a request line exactly as written (HTTP clients normalise `..`).
async fn raw_status(addr: std::net::SocketAddr, target: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn static_paths_cannot_escape() {
    let app = TestApp::spawn().await;
    for target in [
        "/assets/../Cargo.toml",
        "/assets/../../../../etc/passwd",
        "/assets/..%2F..%2FCargo.toml",
        "/assets/%2e%2e%2fsrc%2flib.rs",
        "/assets/%2e%2e",
        "/assets/..",
        "/assets/app.css",
        "/assets/%00",
        "/assets/%2Fetc%2Fpasswd",
        "/assets/..\\..\\Cargo.toml",
    ] {
        let status = raw_status(app.addr, target).await;
        assert!((400..500).contains(&status), "{target} gave {status}");
    }
}

#[tokio::test]
async fn assets_have_hashed_names_and_long_cache() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let html = c.get("/en/").await.text().await.unwrap();
    let start = html.find("/assets/app.").unwrap();
    let end = start + html[start..].find('"').unwrap();
    let href = &html[start..end];
    assert!(href.len() > "/assets/app..css".len() + 7, "{href}");
    let r = c.get(href).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
}

#[tokio::test]
async fn domain_errors_have_a_stable_type_and_a_translated_title_and_detail() {
    let app = app().spawn().await;
    let client = app.client();
    for (lang, title, detail) in [
        ("en", "Fully booked", "Sha Tin has no places left."),
        ("zh-HK", "已滿", "Sha Tin 已沒有名額。"),
        ("zh-CN", "已满", "Sha Tin 已没有名额。"),
    ] {
        let r = client
            .http
            .post(client.url("/api/v1/book"))
            .header("accept-language", lang)
            .json(&json!({ "name": "Sha Tin" }))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(r).await;
        assert_eq!(status, 409);
        assert_eq!(body["type"], "urn:lionrock:problem:test-quota-full");
        assert_eq!(body["title"], title);
        assert_eq!(body["detail"], detail);
    }
    let (status, body) = problem(client.post_json("/api/v1/book", &json!({ "name": "closed" })).await).await;
    assert_eq!(status, 410, "each variant has its own status");
    assert_eq!(body["type"], "urn:lionrock:problem:test-quota-closed");
    // A page asking gets the accessible error page with the same words.
    let r = client
        .http
        .post(client.url("/api/v1/book"))
        .header("accept", "text/html")
        .json(&json!({ "name": "closed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    let html = r.text().await.unwrap();
    assert!(html.contains("Closed") && html.contains("Bookings are closed."), "{html}");
}

#[tokio::test]
async fn forms_show_a_domain_error_in_the_error_summary() {
    let app = app().spawn().await;
    let client = app.client();
    client.get("/zh-hk/form").await;
    let html = client.post_form("/zh-hk/book", &[("name", "Sha Tin")]).await.text().await.unwrap();
    assert!(html.contains("class=\"error-summary\""), "{html}");
    assert!(html.contains("<a href=\"#name\">Sha Tin 已沒有名額。</a>"), "{html}");
}

async fn a_unique_violation_is_a_409_that_names_the_field(backend: platform::testkit::Backend) {
    let app = app().backend(backend).spawn().await;
    let r = app.client().post_json("/api/v1/duplicate", &json!({})).await;
    let (status, body) = problem(r).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["type"], "urn:lionrock:problem:duplicate");
    assert_eq!(body["errors"][0]["field"], "kid");
    assert_eq!(body["errors"][0]["code"], "duplicate");
    assert!(body["detail"].as_str().unwrap().contains("kid"), "{body}");
    assert!(!body.to_string().contains("dup-kid"), "the value is never echoed: {body}");
}
platform::both_backends!(a_unique_violation_is_a_409_that_names_the_field);

async fn a_unique_expression_index_gives_a_plain_409_without_database_text(backend: platform::testkit::Backend) {
    let app = app().backend(backend).spawn().await;
    let (status, body) = problem(app.client().post_json("/api/v1/duplicate-expression", &json!({})).await).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["type"], "urn:lionrock:problem:conflict");
    let text = body.to_string().to_lowercase();
    for leak in ["lower", "test_names", "secret-value", "index", "constraint"] {
        assert!(!text.contains(leak), "{leak} reached the client: {body}");
    }
}
platform::both_backends!(a_unique_expression_index_gives_a_plain_409_without_database_text);
