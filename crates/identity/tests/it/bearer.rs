//! Apps acting for a resident under `/api/` with identity's access tokens:
//! a real authorization (consent to a module's OAuth scope, code, token),
//! then a small module's API that answers with the `Principal` it got.
//! The scope guard, revocation and expiry at once, garbage tokens, resident
//! powers only, a session and a token together, and no CSRF for tokens.

use axum::Json;
use identity::oidc::CreatedClient;
use platform::both_backends;
use platform::i18n::{Ftl, Lang};
use platform::module::{Module, OAuthScope};
use platform::openapi::ApiRouter;
use platform::principal::{GrantScope, Granted, Principal, SignedIn};
use platform::testkit::{Backend, TestApp, TestClient};
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::support::*;

const REDIRECT: &str = "https://things.example.org/callback";

struct Things;
impl GrantScope for Things {
    const SCOPE: &'static str = "test-things";
}

struct Other;
impl GrantScope for Other {
    const SCOPE: &'static str = "test-other";
}

/// The principal an app allowed `test-things` acts as.
#[utoipa::path(get, path = "/api/v1/test/whoami", responses((status = 200, description = "who", body = Object)),
    security(("session" = []), ("bearer" = ["test-things"])))]
async fn whoami(granted: Granted<Things>) -> Json<Principal> {
    Json(granted.principal)
}

/// A change an app allowed `test-things` may make (a POST: CSRF applies to sessions).
#[utoipa::path(post, path = "/api/v1/test/things", responses((status = 200, description = "done", body = Object)),
    security(("session" = []), ("bearer" = ["test-things"])))]
async fn change(granted: Granted<Things>) -> Json<Principal> {
    Json(granted.principal)
}

/// Needs a scope no app here is given.
#[utoipa::path(get, path = "/api/v1/test/other", responses((status = 200, description = "who", body = Object)),
    security(("session" = []), ("bearer" = ["test-other"])))]
async fn other(granted: Granted<Other>) -> Json<Principal> {
    Json(granted.principal)
}

/// For the person themselves only.
#[utoipa::path(get, path = "/api/v1/test/mine", responses((status = 200, description = "who", body = Object)),
    security(("session" = [])))]
async fn mine(SignedIn(principal): SignedIn) -> Json<Principal> {
    Json(principal)
}

const SCOPES: [OAuthScope; 2] = [
    OAuthScope { name: "test-things", consent_key: "test-things-consent" },
    OAuthScope { name: "test-other", consent_key: "test-other-consent" },
];

const TRANSLATIONS: [Ftl; 3] = [
    Ftl {
        lang: Lang::En,
        origin: "test/en",
        source: "test-things-consent = see and change your test things\ntest-other-consent = other things\n",
    },
    Ftl {
        lang: Lang::ZhHk,
        origin: "test/zh-HK",
        source: "test-things-consent = 查看及更改你的測試項目\ntest-other-consent = 其他項目\n",
    },
    Ftl {
        lang: Lang::ZhCn,
        origin: "test/zh-CN",
        source: "test-things-consent = 查看及更改你的测试项目\ntest-other-consent = 其他项目\n",
    },
];

/// A module whose API apps may use with the `test-things` scope.
fn things() -> Module {
    Module {
        api: || {
            ApiRouter::new()
                .routes(utoipa_axum::routes!(whoami))
                .routes(utoipa_axum::routes!(change))
                .routes(utoipa_axum::routes!(other))
                .routes(utoipa_axum::routes!(mine))
        },
        oauth_scopes: &SCOPES,
        translations: &TRANSLATIONS,
        ..Module::named("test-things")
    }
}

async fn spawn_with_things(backend: Backend) -> TestApp {
    app().module(things()).backend(backend).spawn().await
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The resident behind `resident` lets the app have `scope` (consenting
/// when asked); returns the consent page if there was one, and the token response.
async fn grant(app: &TestApp, resident: &TestClient, rp: &CreatedClient, scope: &str) -> (Option<String>, Value) {
    let url = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state=s",
        rp.client_id,
        encode(REDIRECT),
        encode(scope)
    );
    let r = resident.get(&url).await;
    let (consent, r) = if r.status() == 200 {
        let html = r.text().await.unwrap();
        let r = decide(resident, &html, "allow", &[]).await;
        (Some(html), r)
    } else {
        (None, r)
    };
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
    (consent, r.json().await.unwrap())
}

fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// `GET path` with `token` and no cookie.
async fn get_with(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client().http.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

fn challenge(r: &reqwest::Response) -> String {
    r.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Status, `WWW-Authenticate` and problem type of a refusal.
async fn refusal(r: reqwest::Response) -> (u16, String, String) {
    let (status, challenge) = (r.status().as_u16(), challenge(&r));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    (status, challenge, problem["type"].as_str().unwrap().to_owned())
}

async fn an_app_acts_for_a_resident_within_the_scopes_they_allowed(backend: Backend) {
    let app = spawn_with_things(backend).await;
    let rp = service(&app, "Harbour Things", REDIRECT, &["email", "test-things"]).await;
    let resident = registered(&app, "things@example.org").await;

    let discovery: Value = app.client().get("/.well-known/openid-configuration").await.json().await.unwrap();
    let supported = discovery["scopes_supported"].as_array().unwrap();
    assert!(supported.contains(&"test-things".into()) && supported.contains(&"openid".into()));

    let (consent, tokens) = grant(&app, &resident, &rp, "openid test-things").await;
    assert!(consent.unwrap().contains("see and change your test things"), "the consent page says what is allowed");
    assert_eq!(tokens["scope"], "openid test-things");
    let token = access(&tokens);

    let r = get_with(&app, "/api/v1/test/whoami", &token).await;
    assert_eq!(r.status(), 200);
    let who: Value = r.json().await.unwrap();
    let me: Value = resident.get("/api/v1/test/whoami").await.json().await.unwrap();
    assert_eq!(who["account_id"], me["account_id"], "the app acts for the resident who allowed it");
    assert_eq!(who["granted"]["client"], rp.client_id.as_str());
    assert_eq!(who["granted"]["scopes"], serde_json::json!(["openid", "test-things"]));
    assert_eq!(
        (&who["level"], &who["strength"], &who["roles"]),
        (&"basic".into(), &"password".into(), &serde_json::json!(["resident"]))
    );
    assert!(who["authenticated_at"].as_i64().unwrap() > 0, "the grant's sign-in time");
    assert_eq!(who["authenticated_at"], me["authenticated_at"]);
    assert!(me.get("granted").is_none(), "the person themselves is not limited");

    // A scope the resident did not allow, and a route for the person alone.
    let (status, challenge, problem) = refusal(get_with(&app, "/api/v1/test/other", &token).await).await;
    assert_eq!(status, 403);
    assert_eq!(challenge, r#"Bearer realm="lionrock", error="insufficient_scope", scope="test-other""#);
    assert_eq!(problem, "urn:lionrock:problem:insufficient-scope");
    let (status, challenge, _) = refusal(get_with(&app, "/api/v1/test/mine", &token).await).await;
    assert_eq!((status, challenge.as_str()), (403, r#"Bearer realm="lionrock", error="insufficient_scope""#));
    assert_eq!(resident.get("/api/v1/test/other").await.status(), 200, "the person has every scope");

    // An app's POST needs no CSRF token (a browser cannot be made to send
    // its token); the resident's own session still does.
    let r = app.client().http.post(app.url("/api/v1/test/things")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(resident.http.post(resident.url("/api/v1/test/things")).send().await.unwrap().status(), 403);

    // A token without the scope: the app asked for less.
    let (_, tokens) = grant(&app, &resident, &rp, "openid email").await;
    let (status, challenge, _) = refusal(get_with(&app, "/api/v1/test/whoami", &access(&tokens)).await).await;
    assert_eq!(
        (status, challenge.as_str()),
        (403, r#"Bearer realm="lionrock", error="insufficient_scope", scope="test-things""#)
    );

    // The OpenID endpoints read their tokens themselves, as before.
    let info = app.client().http.get(app.url("/oauth/userinfo")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(info.status(), 200);

    // The API document says who may call and what a token can be refused with.
    let doc: Value = app.client().get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let whoami = &doc["paths"]["/api/v1/test/whoami"]["get"];
    assert_eq!(whoami["security"][1]["bearer"], serde_json::json!(["test-things"]));
    let types = |status: &str| whoami["responses"][status]["x-problem-types"].clone();
    assert!(types("401").as_array().unwrap().contains(&"urn:lionrock:problem:invalid-token".into()));
    assert!(types("403").as_array().unwrap().contains(&"urn:lionrock:problem:insufficient-scope".into()));
}
both_backends!(an_app_acts_for_a_resident_within_the_scopes_they_allowed);

async fn revoked_expired_and_unknown_tokens_are_refused_at_once(backend: Backend) {
    let app = spawn_with_things(backend).await;
    // A second server on the same database: a revocation holds there too.
    let other_server = crate::support::app().module(things()).same_database_as(&app).spawn().await;
    let rp = service(&app, "Harbour Things", REDIRECT, &["test-things"]).await;
    let resident = registered(&app, "revoked@example.org").await;
    let invalid = (
        401,
        r#"Bearer realm="lionrock", error="invalid_token""#.to_owned(),
        "urn:lionrock:problem:invalid-token".to_owned(),
    );

    let token = access(&grant(&app, &resident, &rp, "openid test-things").await.1);
    assert_eq!(get_with(&other_server, "/api/v1/test/whoami", &token).await.status(), 200);
    let revoked = app
        .client()
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&rp.client_id, rp.client_secret.as_deref())
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(refusal(get_with(&other_server, "/api/v1/test/whoami", &token).await).await, invalid);
    assert_eq!(refusal(get_with(&app, "/api/v1/test/whoami", &token).await).await, invalid);

    let token = access(&grant(&app, &resident, &rp, "openid test-things").await.1);
    assert_eq!(get_with(&app, "/api/v1/test/whoami", &token).await.status(), 200);
    app.db().execute_unprepared("UPDATE oidc_token SET expires_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    assert_eq!(refusal(get_with(&app, "/api/v1/test/whoami", &token).await).await, invalid);

    for garbage in ["never-issued-but-well-formed-0123456789abcdef", "not a token", "=abc", &"a".repeat(300)] {
        let r = app
            .client()
            .http
            .get(app.url("/api/v1/test/whoami"))
            .header("authorization", format!("Bearer {garbage}"))
            .send()
            .await
            .unwrap();
        assert_eq!(refusal(r).await, invalid, "{garbage}");
    }
    // Any /api/ route, even one that needs no one; never a page.
    assert_eq!(refusal(get_with(&app, "/api/v1/openapi.json", "garbage").await).await, invalid);
    let page = get_with(&app, "/en/", "garbage").await;
    assert_eq!(page.status(), 200, "pages do not read bearer tokens");
    // The scheme is case-insensitive (RFC 7235); other schemes are not ours.
    let lower = app
        .client()
        .http
        .get(app.url("/api/v1/test/whoami"))
        .header("authorization", "bearer garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(lower.status(), 401);
    let basic = app.client().http.get(app.url("/api/v1/test/whoami")).basic_auth("a", Some("b")).send().await.unwrap();
    let (status, challenge, _) = refusal(basic).await;
    assert_eq!((status, challenge.as_str()), (401, ""), "no session, no token: plain 401");
}
both_backends!(revoked_expired_and_unknown_tokens_are_refused_at_once);

async fn an_officers_app_has_resident_powers_only(backend: Backend) {
    let app = spawn_with_things(backend).await;
    let rp = service(&app, "Harbour Things", REDIRECT, &["test-things"]).await;
    let officer = registered(&app, "officer@example.org").await;
    app.db()
        .execute_unprepared(
            "UPDATE account SET roles = '[\"officer\",\"admin\"]', scopes = '[\"booking-staff\"]' \
             WHERE email = 'officer@example.org'",
        )
        .await
        .unwrap();
    assert_eq!(sign_in(&officer, "officer@example.org", PASSWORD).await.status(), 303);
    let mine: Value = officer.get("/api/v1/test/mine").await.json().await.unwrap();
    assert_eq!(mine["roles"], serde_json::json!(["resident", "officer", "admin"]), "the officer's own session");

    let token = access(&grant(&app, &officer, &rp, "openid test-things").await.1);
    let who: Value = get_with(&app, "/api/v1/test/whoami", &token).await.json().await.unwrap();
    assert_eq!(who["account_id"], mine["account_id"]);
    assert_eq!((&who["roles"], &who["scopes"]), (&serde_json::json!(["resident"]), &serde_json::json!([])));
    let (status, _, problem) = refusal(get_with(&app, "/api/v1/admin/outbox", &token).await).await;
    assert_eq!((status, problem.as_str()), (403, "urn:lionrock:problem:insufficient-scope"), "no administrator's API");
    assert_eq!(officer.get("/api/v1/admin/outbox").await.status(), 200, "while the administrator's session has it");
}
both_backends!(an_officers_app_has_resident_powers_only);

async fn a_session_and_a_token_together_are_refused(backend: Backend) {
    let app = spawn_with_things(backend).await;
    let rp = service(&app, "Harbour Things", REDIRECT, &["test-things"]).await;
    let resident = registered(&app, "both@example.org").await;
    let token = access(&grant(&app, &resident, &rp, "openid test-things").await.1);
    let r = resident.http.get(resident.url("/api/v1/test/whoami")).bearer_auth(&token).send().await.unwrap();
    let (status, challenge, problem) = refusal(r).await;
    assert_eq!((status, challenge.as_str(), problem.as_str()), (400, "", "urn:lionrock:problem:bad-request"));
    // Each alone works.
    assert_eq!(resident.get("/api/v1/test/whoami").await.status(), 200);
    assert_eq!(get_with(&app, "/api/v1/test/whoami", &token).await.status(), 200);
}
both_backends!(a_session_and_a_token_together_are_refused);

async fn an_apps_request_costs_one_query_for_its_principal(backend: Backend) {
    let app = app().module(things()).backend(backend).count_statements().spawn().await;
    let rp = service(&app, "Harbour Things", REDIRECT, &["test-things"]).await;
    let resident = registered(&app, "one-query@example.org").await;
    let (_, tokens) = grant(&app, &resident, &rp, "openid test-things").await;
    app.statements().take();
    let r = get_with(&app, "/api/v1/test/whoami", &access(&tokens)).await;
    assert_eq!(r.status(), 200);
    let sql = app.statements().take();
    // The token and its account, joined; the handler itself reads nothing.
    assert_eq!(sql.len(), 1, "{sql:#?}");
}
both_backends!(an_apps_request_costs_one_query_for_its_principal);
