//! Request IDs, security headers, compression, timeouts, panics, health,
//! readiness, metrics and graceful shutdown.

use platform::testkit::TestApp;
use sea_orm::ConnectionTrait;

use crate::support::{app, problem};

#[tokio::test]
async fn request_ids_are_generated_echoed_and_sanitised() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c.get("/healthz").await;
    let id = r.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let r = c.http.get(c.url("/healthz")).header("x-request-id", "trace-abc.123").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-abc.123");
    let r = c.http.get(c.url("/healthz")).header("x-request-id", "bad id\twith spaces").send().await.unwrap();
    let echoed = r.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(echoed, "bad id\twith spaces");
    assert!(uuid::Uuid::parse_str(echoed).is_ok());
}

#[tokio::test]
async fn only_short_plain_client_request_ids_are_kept() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let longest = "a".repeat(64);
    for kept in ["A-z_0.9", longest.as_str()] {
        let r = c.http.get(c.url("/healthz")).header("x-request-id", kept).send().await.unwrap();
        assert_eq!(r.headers()["x-request-id"], kept);
    }
    let too_long = "a".repeat(65);
    for replaced in [too_long.as_str(), "", "id;drop", "a/b", "caf\u{e9}"] {
        let value = reqwest::header::HeaderValue::from_bytes(replaced.as_bytes()).unwrap();
        let r = c.http.get(c.url("/nope")).header("x-request-id", value).send().await.unwrap();
        let ids: Vec<_> = r.headers().get_all("x-request-id").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        assert_eq!(ids.len(), 1, "{replaced:?}: {ids:?}");
        assert!(uuid::Uuid::parse_str(&ids[0]).is_ok(), "{replaced:?} became {ids:?}");
        let page = r.text().await.unwrap();
        assert!(page.contains(&ids[0]), "the error page shows the ID that replaced {replaced:?}");
    }
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = TestApp::spawn().await;
    let c = app.client();
    for path in ["/en/", "/healthz", "/nope", "/api/v1/nope"] {
        let r = c.get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "no HSTS over plain HTTP: {path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["permissions-policy"], "camera=(self), geolocation=(), microphone=(), payment=()", "{path}");
        assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h.get_all("content-security-policy").iter().count(), 1, "{path}");
    }
    assert_eq!(
        c.get("/en/").await.headers()["content-security-policy"],
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn hsts_only_when_a_trusted_proxy_says_https() {
    let app =
        TestApp::builder().config(|c| c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).spawn().await;
    let c = app.client();
    let r = c.http.get(c.url("/en/")).header("x-forwarded-proto", "https").send().await.unwrap();
    assert!(r.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));

    let untrusted = TestApp::spawn().await;
    let c = untrusted.client();
    let r = c.http.get(c.url("/en/")).header("x-forwarded-proto", "https").send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none(), "proxy headers from untrusted peers are ignored");
}

#[tokio::test]
async fn pages_are_compressed_when_asked() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c.http.get(c.url("/en/")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn slow_requests_time_out_with_a_problem() {
    let app = app().config(|c| c.server.request_timeout_secs = 1).spawn().await;
    let (status, body) = problem(app.client().get("/api/v1/slow").await).await;
    assert_eq!(status, 503);
    assert_eq!(body["type"], "urn:lionrock:problem:timeout");
}

#[tokio::test]
async fn a_panic_becomes_a_500_that_reveals_nothing() {
    let app = app().spawn().await;
    let r = app.client().get("/api/v1/panic").await;
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let (status, body) = problem(r).await;
    assert_eq!(status, 500);
    assert_eq!(body["type"], "urn:lionrock:problem:internal");
    assert_eq!(body["request_id"], id.as_str());
    assert!(!body.to_string().contains("secret panic detail"));
    // The server keeps serving.
    assert_eq!(app.client().get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    let r = c.get("/readyz").await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["checks"]["migrations"], "ok");

    // Forget that a migration ran: the server is no longer ready.
    app.db()
        .execute_unprepared("DELETE FROM seaql_migrations WHERE version = 'm20261125_000001_platform_core'")
        .await
        .unwrap();
    // (The database's answer is kept for a second: probes are not rate limited.)
    let body = platform::testkit::eventually("readyz to notice", std::time::Duration::from_secs(30), || async {
        let r = c.get("/readyz").await;
        (r.status() == 503).then_some(r)
    })
    .await
    .json::<serde_json::Value>()
    .await
    .unwrap();
    assert_eq!(body["status"], "not-ready");
    assert_eq!(body["checks"]["migrations"]["pending"][0], "m20261125_000001_platform_core");
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_report_gauges() {
    let app = TestApp::spawn().await;
    let c = app.client();
    for _ in 0..3 {
        assert_eq!(c.get("/zh-hk/").await.status(), 200);
    }
    let text = c.get("/metrics").await.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total{") && l.contains("route=\"/{lang}/\"") && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no landing-page counter in:\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3.0, "{line}");
    assert!(text.contains("http_request_duration_seconds_bucket{"), "latency histogram");
    assert!(text.contains("db_pool_connections "), "pool gauge");
    assert!(text.contains("outbox_pending_messages "), "outbox depth");
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let app = app().spawn().await;
    let c = app.client();
    let entered = crate::support::IN_FLIGHT.notified();
    let pending = tokio::spawn(async move { c.get("/api/v1/in-flight").await });
    // Shut down only once the request is inside the handler.
    entered.await;
    let addr = app.addr;
    app.stop().await;
    let r = pending.await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "finally");
    // And the listener is closed.
    assert!(reqwest::get(format!("http://{addr}/healthz")).await.is_err());
}

#[tokio::test]
async fn metrics_are_served_only_to_allowed_addresses() {
    // Through a trusted proxy, a client elsewhere asks: refused.
    let app =
        TestApp::builder().config(|c| c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).spawn().await;
    let c = app.client();
    let r = c.http.get(c.url("/metrics")).header("x-forwarded-for", "203.0.113.9").send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(c.get("/metrics").await.status(), 200, "loopback is allowed by default");
    // An operator lets the monitoring network in.
    let app = TestApp::builder()
        .config(|c| {
            c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            c.server.metrics_allow = vec!["203.0.113.0/24".parse().unwrap()];
        })
        .spawn()
        .await;
    let c = app.client();
    let r = c.http.get(c.url("/metrics")).header("x-forwarded-for", "203.0.113.9").send().await.unwrap();
    assert_eq!(r.status(), 200);
}
