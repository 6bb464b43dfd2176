//! CSRF, sessions and role guards, rate limits.

use platform::both_backends;
use platform::principal::{AccountId, Role};
use platform::testkit::Backend;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::support::{app, problem};

#[tokio::test]
async fn forms_need_a_csrf_token_bound_to_the_session() {
    let app = app().spawn().await;
    let c = app.client();

    // No cookie, no token.
    let r = c.post_form_raw("/en/form", &[("name", "Mei")]).await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap();
    assert!(html.contains("Your form has expired"), "accessible error page");

    // A page sets a pre-session cookie and embeds its token.
    let page = app.client().get("/en/form").await;
    let cookies: Vec<String> =
        page.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(
        cookies.iter().any(|v| v.starts_with("lr_anon=") && v.contains("HttpOnly") && v.contains("SameSite=Lax")),
        "{cookies:?}"
    );
    let r = c.post_form("/en/form", &[("name", "Mei")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "hello Mei");

    // A token from another browser is worthless here.
    let other = app.client();
    let foreign = other.csrf_token().await;
    let r = c.post_form_raw("/en/form", &[("name", "Mei"), ("_csrf", &foreign)]).await;
    assert_eq!(r.status(), 403);

    // The header works too (for scripts on our pages).
    let token = c.csrf_token().await;
    let r = c.http.post(c.url("/en/form")).header("x-csrf-token", token).form(&[("name", "Ho")]).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn csrf_tokens_differ_on_every_response() {
    let app = app().spawn().await;
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    // Pages are compressed: a token that never changed would be a BREACH target.
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let html = resident.get("/en/form").await.text().await.unwrap();
        let meta = platform::testkit::meta_content(&html, "csrf-token").unwrap();
        let field = html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        assert_eq!(meta, field, "one token per page");
        tokens.push(meta);
    }
    assert!(tokens[0] != tokens[1] && tokens[1] != tokens[2] && tokens[0] != tokens[2], "{tokens:?}");
    // Every one of them stays good for the session, in a form or a header.
    for token in &tokens {
        let r = resident.post_form_raw("/en/form", &[("name", "Mei"), ("_csrf", token)]).await;
        assert_eq!(r.status(), 200);
        let r = resident.http.post(resident.url("/en/form")).header("x-csrf-token", token).form(&[("name", "Ho")]);
        assert_eq!(r.send().await.unwrap().status(), 200);
    }
    // A token changed in one character is refused.
    let mut bad = tokens[0].clone().into_bytes();
    bad[10] = if bad[10] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    assert_eq!(resident.post_form_raw("/en/form", &[("name", "Mei"), ("_csrf", &bad)]).await.status(), 403);
}

#[tokio::test]
async fn csrf_binds_to_the_signed_in_session() {
    let app = app().spawn().await;
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    let r = resident.post_form("/en/form", &[("name", "Signed")]).await;
    assert_eq!(r.status(), 200);

    // An API call that carries the session cookie needs the token too.
    let r = resident.post_json("/api/v1/echo", &json!({ "name": "x" })).await;
    assert_eq!(problem(r).await.0, 403);
    // Without cookies (a bearer-token client) it does not.
    let r = app.client().post_json("/api/v1/echo", &json!({ "name": "x" })).await;
    assert_eq!(r.status(), 200);
    // Routes a module declares exempt (client-authenticated OAuth endpoints).
    let r = resident.http.post(resident.url("/oauth-test/token")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn csrf_exemptions_cover_whole_path_segments() {
    let app = app().spawn().await;
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    // The module exempts `/oauth-test/token`: that route and those below it.
    for path in ["/oauth-test/token", "/oauth-test/token/123"] {
        let r = resident.http.post(resident.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path} is exempt");
    }
    // Not routes that merely start with the same letters, nor siblings.
    for path in ["/oauth-test/tokenx", "/oauth-test/token-anything", "/oauth-test/other"] {
        let r = resident.http.post(resident.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path} needs a CSRF token");
        let token = resident.csrf_token().await;
        let r = resident.http.post(resident.url(path)).header("x-csrf-token", token).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path} with a token");
    }
}

#[tokio::test]
async fn guards_reject_before_the_handler() {
    let app = app().spawn().await;
    let anonymous = app.client();
    let r = anonymous.get("/en/whoami").await;
    assert_eq!(r.status(), 401);

    let id = AccountId::new();
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(id)).await;
    let r = resident.get("/en/whoami").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), id.to_string());
    assert_eq!(resident.get("/en/admin-only").await.status(), 403);

    let mut admin = platform::testkit::resident_signed_in_now(AccountId::new());
    admin.roles.push(Role::Admin);
    let admin = app.sign_in_as(&admin).await;
    assert_eq!(admin.get("/en/admin-only").await.status(), 200);
}

#[tokio::test]
async fn expired_sessions_sign_out() {
    let app = app().spawn().await;
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    assert_eq!(resident.get("/en/whoami").await.status(), 200);
    app.db().execute_unprepared("UPDATE session SET idle_expires_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    assert_eq!(resident.get("/en/whoami").await.status(), 401);
    let left: Vec<sea_orm::QueryResult> = app
        .db()
        .query_all_raw(sea_orm::Statement::from_string(app.db().get_database_backend(), "SELECT id FROM session"))
        .await
        .unwrap();
    assert!(left.is_empty(), "the expired session row is deleted");
}

/// The touch that extends a session's idle expiry is upkeep: when it cannot
/// be written (here the database refuses every update of a session row, as
/// a write queue that gave up in a rush would fail it), the request is still
/// answered as the signed-in resident, not 500.
async fn a_failed_session_touch_does_not_fail_the_request(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    let db = app.db();
    db.execute_unprepared("UPDATE session SET last_seen_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    let refuse = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => vec![
            "CREATE FUNCTION refuse_session_update() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'session updates refused'; END $$",
            "CREATE TRIGGER session_no_update BEFORE UPDATE ON session \
             FOR EACH ROW EXECUTE FUNCTION refuse_session_update()",
        ],
        _ => vec![
            "CREATE TRIGGER session_no_update BEFORE UPDATE ON session \
             BEGIN SELECT RAISE(ABORT, 'session updates refused'); END",
        ],
    };
    for sql in refuse {
        db.execute_unprepared(sql).await.unwrap();
    }
    let response = resident.get("/en/whoami").await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let refused: Vec<sea_orm::QueryResult> = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM session WHERE last_seen_at < '2001-01-01 00:00:00+00:00'",
        ))
        .await
        .unwrap();
    assert_eq!(refused.len(), 1, "the touch really was refused");
}
both_backends!(a_failed_session_touch_does_not_fail_the_request);

#[tokio::test]
async fn sensitive_routes_limit_per_ip_with_retry_after() {
    let app = app().config(|c| c.limits.sensitive_per_ip_per_minute = 3).spawn().await;
    let c = app.client();
    for _ in 0..3 {
        assert_eq!(c.http.post(c.url("/api/v1/sensitive")).send().await.unwrap().status(), 200);
    }
    let r = c.http.post(c.url("/api/v1/sensitive")).send().await.unwrap();
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let (status, body) = problem(r).await;
    assert_eq!(status, 429);
    assert_eq!(body["type"], "urn:lionrock:problem:rate-limited");
    // Other routes are not affected.
    assert_eq!(c.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn sensitive_routes_limit_per_account_across_addresses() {
    let app = app()
        .config(|c| {
            c.limits.sensitive_per_ip_per_minute = 100;
            c.limits.sensitive_per_account_per_minute = 2;
            c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .spawn()
        .await;
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId::new())).await;
    let token = resident.csrf_token().await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let r = resident
            .http
            .post(resident.url("/api/v1/sensitive"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .header("x-csrf-token", &token)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 429]);
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    // Untrusted peer: X-Forwarded-For is ignored, so rotating it does not evade the limit.
    let app = app().config(|c| c.limits.sensitive_per_ip_per_minute = 2).spawn().await;
    let c = app.client();
    let mut statuses = Vec::new();
    for i in 0..3 {
        let r = c
            .http
            .post(c.url("/api/v1/sensitive"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 429]);
}

/// A POST to the sensitive test route as if from `client` behind the trusted proxy.
async fn sensitive_from(c: &platform::testkit::TestClient, client: &str) -> reqwest::Response {
    c.http.post(c.url("/api/v1/sensitive")).header("x-forwarded-for", client).send().await.unwrap()
}

#[tokio::test]
async fn ipv6_clients_share_a_budget_per_64() {
    let app = app()
        .config(|c| {
            c.limits.sensitive_per_ip_per_minute = 2;
            c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .spawn()
        .await;
    let c = app.client();
    let mut statuses = Vec::new();
    // One /64: any address in it spends the same budget.
    for ip in ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::abcd"] {
        statuses.push(sensitive_from(&c, ip).await.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 429]);
    // The neighbouring /64 is someone else.
    assert_eq!(sensitive_from(&c, "2001:db8:1:3::1").await.status(), 200);
    // IPv4 addresses each have their own; an IPv4-mapped IPv6 address is its IPv4 address.
    assert_eq!(sensitive_from(&c, "203.0.113.1").await.status(), 200);
    assert_eq!(sensitive_from(&c, "203.0.113.2").await.status(), 200);
    assert_eq!(sensitive_from(&c, "::ffff:203.0.113.1").await.status(), 200);
    assert_eq!(sensitive_from(&c, "203.0.113.1").await.status(), 429);
}

#[tokio::test]
async fn rate_limiters_remember_a_bounded_number_of_clients() {
    let app = app()
        .config(|c| {
            c.limits.max_tracked_keys = 2;
            c.limits.sensitive_per_ip_per_minute = 2;
            c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .spawn()
        .await;
    let c = app.client();
    let tracked = |name: &str| app.state.limits.tracked().into_iter().find(|(n, _)| *n == name).unwrap().1;
    // Pauses only let buckets refill (at least this long), so that idle keys
    // can be forgotten; nothing here depends on anything being fast.
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(200));
    assert_eq!(sensitive_from(&c, "198.51.100.1").await.status(), 200);
    pause().await;
    assert_eq!(sensitive_from(&c, "2001:db8:5::1").await.status(), 200);
    pause().await;
    // Both sensitive buckets are still in use (a minute to refill): a third
    // client finds the map full, after idle keys were swept out of it.
    let r = sensitive_from(&c, "198.51.100.3").await;
    assert_eq!(r.headers()["retry-after"], "1");
    let (status, body) = problem(r).await;
    assert_eq!((status, body["type"].as_str().unwrap()), (429, "urn:lionrock:problem:rate-limited"));
    assert_eq!(tracked("sensitive_ip"), 2);
    pause().await;
    // A client already known keeps its own budget.
    assert_eq!(sensitive_from(&c, "198.51.100.1").await.status(), 200);
    assert_eq!(sensitive_from(&c, "198.51.100.1").await.status(), 429);
    // Housekeeping forgets keys whose buckets are full again (the global
    // ones refill in a fiftieth of a second), and only those.
    pause().await;
    assert!(tracked("global_ip") > 0);
    app.state.limits.prune();
    assert_eq!(tracked("global_ip"), 0);
    assert_eq!(tracked("sensitive_ip"), 2);
}

#[tokio::test]
async fn health_probes_are_never_rate_limited() {
    // One request per second per address, and room for one address only.
    let app = app()
        .config(|c| {
            c.limits.global_per_ip_per_second = 1;
            c.limits.max_tracked_keys = 1;
            c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .spawn()
        .await;
    let c = app.client();
    let from = |ip: &'static str, path: &'static str| {
        let c = &c;
        async move { c.http.get(c.url(path)).header("x-forwarded-for", ip).send().await.unwrap().status().as_u16() }
    };
    // The page budget runs out (a burst of two, then 429)...
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(from("198.51.100.9", "/en/").await);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // ...and a second address finds the map full; the probes answer all the same.
    assert_eq!(from("203.0.113.77", "/en/").await, 429);
    for _ in 0..5 {
        assert_eq!(from("198.51.100.9", "/healthz").await, 200);
        assert_eq!(from("203.0.113.77", "/readyz").await, 200);
    }
}
