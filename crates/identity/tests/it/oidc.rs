//! The OpenID Connect provider over HTTP: discovery, the code flow with
//! PKCE, tokens, userinfo, refresh rotation, revocation, introspection,
//! logout, and the error paths the specifications define.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity::oidc::{self, NewClient};
use platform::both_backends;
use platform::testkit::{Backend, TestApp, TestClient};
use sea_orm::ConnectionTrait;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::*;

const REDIRECT: &str = "https://rp.example.org/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub struct Rp {
    pub id: String,
    pub secret: Option<String>,
}

pub async fn register_rp(app: &TestApp, public: bool) -> Rp {
    let created = oidc::create_client(
        &app.state,
        NewClient {
            name: "Harbour Library".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            post_logout_redirect_uris: vec!["https://rp.example.org/bye".to_owned()],
            scopes: vec!["email".to_owned(), "offline_access".to_owned()],
            public,
            jwks: None,
            rs256: false,
            pairwise: false,
        },
    )
    .await
    .unwrap();
    Rp { id: created.client_id, secret: created.client_secret }
}

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

fn authorize_url(rp: &Rp, extra: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20email%20offline_access&state=st4te&nonce=n0nce&code_challenge={}&code_challenge_method=S256{extra}",
        rp.id,
        urlencoding(REDIRECT),
        challenge()
    )
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn query(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

/// The hidden fields of a page's form but its CSRF token.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|s| {
            let (name, rest) = s.split_once('"')?;
            let value = rest.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), value.replace("&amp;", "&").replace("&#38;", "&")))
        })
        .filter(|(n, _)| n != "_csrf")
        .collect()
}

/// Runs the authorization request for a signed-in client, consenting; returns the code.
async fn authorize(client: &TestClient, rp: &Rp) -> String {
    authorize_with(client, rp, "").await
}

/// [`authorize`] with more query parameters (`&prompt=consent`).
async fn authorize_with(client: &TestClient, rp: &Rp, extra: &str) -> String {
    let r = client.get(&authorize_url(rp, extra)).await;
    let r = if r.status() == 200 {
        let html = r.text().await.unwrap();
        assert!(html.contains("Harbour Library"), "consent page names the client");
        assert!(html.contains("your e-mail address"));
        let hidden = hidden_fields(&html);
        let mut fields: Vec<(&str, &str)> = hidden.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        fields.push(("decision", "allow"));
        client.post_form("/oauth/authorize/consent", &fields).await
    } else {
        r
    };
    assert_eq!(r.status(), 303);
    let q = query(&location(&r));
    assert_eq!(q["state"], "st4te");
    assert_eq!(q["iss"], format!("http://{}", client.base.trim_start_matches("http://")));
    q["code"].clone()
}

async fn token(client: &TestClient, rp: &Rp, form: &[(&str, &str)]) -> (u16, Value) {
    let mut req = client.http.post(client.url("/oauth/token")).form(form);
    if let Some(secret) = &rp.secret {
        req = req.basic_auth(&rp.id, Some(secret));
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn exchange(client: &TestClient, rp: &Rp, code: &str) -> (u16, Value) {
    token(
        client,
        rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn userinfo(client: &TestClient, access: &str) -> reqwest::Response {
    client.http.get(client.url("/oauth/userinfo")).bearer_auth(access).send().await.unwrap()
}

async fn code_flow_with_pkce(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "oidc@example.org").await;

    let discovery: Value = resident.get("/.well-known/openid-configuration").await.json().await.unwrap();
    assert_eq!(discovery["issuer"], format!("http://{}", app.addr));
    assert_eq!(discovery["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    let jwks: Value = resident.get("/oauth/jwks").await.json().await.unwrap();
    assert_eq!(jwks["keys"][0]["crv"], "P-256");

    let code = authorize(&resident, &rp).await;
    let (status, tokens) = exchange(&app.client(), &rp, &code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");

    // The ID token verifies with the published key and says what it should.
    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let key = &jwks["keys"][0];
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let decoding =
        jsonwebtoken::DecodingKey::from_ec_components(key["x"].as_str().unwrap(), key["y"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[&rp.id]);
    validation.set_issuer(&[discovery["issuer"].as_str().unwrap()]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &decoding, &validation).unwrap().claims;
    assert_eq!(claims["nonce"], "n0nce");
    assert_eq!(claims["acr"], oidc::ACR_BASIC);
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    let at_hash = URL_SAFE_NO_PAD.encode(&Sha256::digest(tokens["access_token"].as_str().unwrap().as_bytes())[..16]);
    assert_eq!(claims["at_hash"], at_hash);
    let sub = claims["sub"].as_str().unwrap().to_owned();

    let info: Value = userinfo(&app.client(), tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(info["sub"], sub);
    assert_eq!(info["email"], "oidc@example.org");
    assert_eq!(info["email_verified"], true);

    // Refresh rotates; reusing the old refresh token revokes the family.
    let old_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, refreshed) =
        token(&app.client(), &rp, &[("grant_type", "refresh_token"), ("refresh_token", &old_refresh)]).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_ne!(refreshed["refresh_token"], old_refresh);
    let new_access = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&app.client(), &new_access).await.status(), 200);
    let (status, reuse) =
        token(&app.client(), &rp, &[("grant_type", "refresh_token"), ("refresh_token", &old_refresh)]).await;
    assert_eq!((status, reuse["error"].as_str().unwrap()), (400, "invalid_grant"));
    let r = userinfo(&app.client(), &new_access).await;
    assert_eq!(r.status(), 401, "the whole family is revoked");
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""));
}
both_backends!(code_flow_with_pkce);

async fn codes_are_single_use_and_bound_to_client_redirect_and_verifier(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = register_rp(&app, false).await;
    let other = register_rp(&app, false).await;
    let resident = registered(&app, "bound@example.org").await;
    let c = app.client();

    let code = authorize(&resident, &rp).await;
    let (s, e) = token(
        &c,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", "x".repeat(43).as_str()),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_grant"), "PKCE mismatch");

    let code = authorize(&resident, &rp).await;
    let (s, e) = token(
        &c,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://rp.example.org/other"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_grant"), "redirect_uri mismatch");

    let code = authorize(&resident, &rp).await;
    let (s, e) = exchange(&c, &other, &code).await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_grant"), "another client's code");

    let code = authorize(&resident, &rp).await;
    app.db().execute_unprepared("UPDATE oidc_code SET expires_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    let (s, e) = exchange(&c, &rp, &code).await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_grant"), "expired");

    // Replay: the second exchange fails and revokes what the first issued.
    let code = authorize(&resident, &rp).await;
    let (s, first) = exchange(&c, &rp, &code).await;
    assert_eq!(s, 200, "{first}");
    let (s, e) = exchange(&c, &rp, &code).await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_grant"));
    assert_eq!(userinfo(&c, first["access_token"].as_str().unwrap()).await.status(), 401);
}
both_backends!(codes_are_single_use_and_bound_to_client_redirect_and_verifier);

/// Introspects `token` as `rp` (a confidential client).
async fn introspect(client: &TestClient, rp: &Rp, token: &str) -> Value {
    let secret = rp.secret.clone().unwrap();
    let r = client
        .http
        .post(client.url("/oauth/introspect"))
        .basic_auth(&rp.id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

async fn refresh(client: &TestClient, rp: &Rp, refresh_token: &str) -> Value {
    let (s, body) = token(client, rp, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await;
    assert_eq!(s, 200, "{body}");
    body
}

async fn a_replayed_code_revokes_the_whole_grant(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "replay@example.org").await;
    let c = app.client();
    let code = authorize(&resident, &rp).await;
    let (s, first) = exchange(&c, &rp, &code).await;
    assert_eq!(s, 200, "{first}");
    let second = refresh(&c, &rp, first["refresh_token"].as_str().unwrap()).await;
    let third = refresh(&c, &rp, second["refresh_token"].as_str().unwrap()).await;
    // Another grant of the same person and client is left alone.
    let other_code = authorize_with(&resident, &rp, "&prompt=consent").await;
    let (s, other) = exchange(&c, &rp, &other_code).await;
    assert_eq!(s, 200, "{other}");
    assert_eq!(introspect(&c, &rp, third["access_token"].as_str().unwrap()).await["active"], true);
    assert_eq!(introspect(&c, &rp, third["refresh_token"].as_str().unwrap()).await["active"], true);

    let (s, e) = exchange(&c, &rp, &code).await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_grant"), "{e}");
    for tokens in [&first, &second, &third] {
        for kind in ["access_token", "refresh_token"] {
            let t = tokens[kind].as_str().unwrap();
            assert_eq!(introspect(&c, &rp, t).await["active"], false, "{kind} of the grant is revoked");
        }
        assert_eq!(userinfo(&c, tokens["access_token"].as_str().unwrap()).await.status(), 401);
    }
    let (s, e) =
        token(&c, &rp, &[("grant_type", "refresh_token"), ("refresh_token", third["refresh_token"].as_str().unwrap())])
            .await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_grant"), "the newest refresh token is refused");
    assert_eq!(userinfo(&c, other["access_token"].as_str().unwrap()).await.status(), 200, "another grant lives on");
    assert_eq!(introspect(&c, &rp, other["refresh_token"].as_str().unwrap()).await["active"], true);
}
both_backends!(a_replayed_code_revokes_the_whole_grant);

/// Sets when every token's grant was made (the code exchange).
async fn grant_made(app: &TestApp, ago: time::Duration) {
    use sea_orm::{EntityTrait, sea_query::Expr};
    oidc::store::token::Entity::update_many()
        .col_expr(oidc::store::token::Column::GrantedAt, Expr::value(time::OffsetDateTime::now_utc() - ago))
        .exec(app.db())
        .await
        .unwrap();
}

/// A refresh token lives at most `identity.refresh_token_lifetime_days`
/// from the grant: rotation hands on the grant's end, never a new one, and
/// a refresh after it is `invalid_grant`.
async fn refresh_tokens_end_at_the_grants_absolute_lifetime(backend: Backend) {
    let app = app()
        .backend(backend)
        .config(|c| {
            c.section_mut("identity").insert("refresh_token_lifetime_days".into(), 2.into());
        })
        .spawn()
        .await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "absolute@example.org").await;
    let c = app.client();
    let code = authorize(&resident, &rp).await;
    let (s, first) = exchange(&c, &rp, &code).await;
    assert_eq!(s, 200, "{first}");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let exp = introspect(&c, &rp, first["refresh_token"].as_str().unwrap()).await["exp"].as_i64().unwrap();
    assert!((now + 2 * 86_400 - 600..=now + 2 * 86_400 + 600).contains(&exp), "two days from the grant: {exp}");

    // A day and an hour later, a rotation still works, but ends with the grant.
    grant_made(&app, time::Duration::hours(25)).await;
    let second = refresh(&c, &rp, first["refresh_token"].as_str().unwrap()).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let seen = introspect(&c, &rp, second["refresh_token"].as_str().unwrap()).await;
    assert_eq!(seen["active"], true);
    let exp = seen["exp"].as_i64().unwrap();
    assert!(exp < now + 86_400, "not two days from the rotation: {exp}, now {now}");

    // Past two days from the grant: refused, and inactive at introspection.
    grant_made(&app, time::Duration::hours(49)).await;
    let refresh_token = second["refresh_token"].as_str().unwrap();
    let (s, e) = token(&c, &rp, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await;
    assert_eq!((s, e["error"].as_str().unwrap()), (400, "invalid_grant"), "{e}");
    assert_eq!(introspect(&c, &rp, refresh_token).await["active"], false);
}
both_backends!(refresh_tokens_end_at_the_grants_absolute_lifetime);

/// A refresh token only for `offline_access`, only for a client allowed
/// it, and only when the person allowed it on the consent page in that
/// authorization (OIDC Core §11: `prompt=consent`, or consent shown).
async fn refresh_tokens_need_offline_access_and_consent(backend: Backend) {
    let app = spawn(backend).await;
    let discovery: Value = app.client().get("/.well-known/openid-configuration").await.json().await.unwrap();
    assert!(discovery["scopes_supported"].as_array().unwrap().contains(&"offline_access".into()), "{discovery}");
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "offline@example.org").await;
    let c = app.client();

    // Not asked for: no refresh token.
    let without = authorize_url(&rp, "").replace("%20offline_access", "");
    let r = resident.get(&without).await;
    let html = r.text().await.unwrap();
    assert!(!html.contains("while you are not using the service"), "not offered: {html}");
    let hidden = hidden_fields(&html);
    let mut fields: Vec<(&str, &str)> = hidden.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    fields.push(("decision", "allow"));
    let code = query(&location(&resident.post_form("/oauth/authorize/consent", &fields).await))["code"].clone();
    let (s, tokens) = exchange(&c, &rp, &code).await;
    assert_eq!(s, 200, "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    assert_eq!(tokens["scope"], "openid email");

    // Asked for: the consent page says so, and allowing it gives one.
    let html = resident.get(&authorize_url(&rp, "")).await.text().await.unwrap();
    assert!(html.contains("access to these details while you are not using the service"), "{html}");
    let code = authorize(&resident, &rp).await;
    let (_, tokens) = exchange(&c, &rp, &code).await;
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    assert_eq!(tokens["scope"], "openid email offline_access");

    // Consent remembered, so no page: offline_access is ignored.
    let r = resident.get(&authorize_url(&rp, "")).await;
    assert_eq!(r.status(), 303, "no consent page");
    let (_, tokens) = exchange(&c, &rp, &query(&location(&r))["code"]).await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    assert_eq!(tokens["scope"], "openid email");
    let r = resident.get(&authorize_url(&rp, "&prompt=none")).await;
    let (_, tokens) = exchange(&c, &rp, &query(&location(&r))["code"]).await;
    assert!(tokens.get("refresh_token").is_none(), "prompt=none cannot ask: {tokens}");
    // prompt=consent shows the page again, and gives one.
    let code = authorize_with(&resident, &rp, "&prompt=consent").await;
    let (_, tokens) = exchange(&c, &rp, &code).await;
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    let refreshed = refresh(&c, &rp, tokens["refresh_token"].as_str().unwrap()).await;
    assert!(refreshed["refresh_token"].is_string(), "rotation: {refreshed}");
    assert_eq!(refreshed["scope"], "openid email offline_access");

    // A client not allowed offline_access never gets one, even with consent.
    let plain = service(&app, "Harbour Library", REDIRECT, &["email"]).await;
    let plain = Rp { id: plain.client_id, secret: plain.client_secret };
    let code = authorize_with(&resident, &plain, "&prompt=consent").await;
    let (_, tokens) = exchange(&c, &plain, &code).await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    assert_eq!(tokens["scope"], "openid email");
}
both_backends!(refresh_tokens_need_offline_access_and_consent);

async fn client_authentication_errors_follow_rfc_6749(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = register_rp(&app, false).await;
    let c = app.client();
    let r = c
        .http
        .post(c.url("/oauth/token"))
        .basic_auth(&rp.id, Some("wrong"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");

    // client_secret_post works; a wrong grant type is named.
    let secret = rp.secret.clone().unwrap();
    let r = c
        .http
        .post(c.url("/oauth/token"))
        .form(&[("grant_type", "password"), ("client_id", rp.id.as_str()), ("client_secret", secret.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "unsupported_grant_type");
    let r = c.http.post(c.url("/oauth/token")).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.json::<Value>().await.unwrap()["error"].clone()),
        (400, Value::from("invalid_request"))
    );
    let r = c.http.post(c.url("/oauth/token")).form(&[("grant_type", "authorization_code")]).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");

    // Introspection and revocation need the client too.
    let r = c.http.post(c.url("/oauth/introspect")).form(&[("token", "x")]).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .http
        .post(c.url("/oauth/introspect"))
        .basic_auth(&rp.id, Some(&secret))
        .form(&[("token", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), serde_json::json!({ "active": false }));
}
both_backends!(client_authentication_errors_follow_rfc_6749);

async fn revocation_and_introspection(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "intro@example.org").await;
    let code = authorize(&resident, &rp).await;
    let (s, tokens) = exchange(&app.client(), &rp, &code).await;
    assert_eq!(s, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let secret = rp.secret.clone().unwrap();
    let c = app.client();
    let introspect = |t: String| {
        let (c, id, secret) = (c.clone(), rp.id.clone(), secret.clone());
        async move {
            c.http
                .post(c.url("/oauth/introspect"))
                .basic_auth(id, Some(secret))
                .form(&[("token", t)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let live = introspect(access.to_owned()).await;
    assert_eq!(live["active"], true);
    assert_eq!(live["client_id"], rp.id.as_str());
    assert_eq!(live["scope"], "openid email offline_access");

    let r = c
        .http
        .post(c.url("/oauth/revoke"))
        .basic_auth(&rp.id, Some(&secret))
        .form(&[("token", tokens["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(introspect(access.to_owned()).await["active"], false, "revoking the refresh token revokes its family");
    let r = c
        .http
        .post(c.url("/oauth/revoke"))
        .basic_auth(&rp.id, Some(&secret))
        .form(&[("token", "never-issued")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "unknown tokens are not an error (RFC 7009)");
}
both_backends!(revocation_and_introspection);

async fn authorization_errors_go_to_the_right_place(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = register_rp(&app, false).await;
    let public = register_rp(&app, true).await;
    let resident = registered(&app, "errs@example.org").await;

    // Untrusted client or redirect URI: our own page, never a redirect.
    let r = resident.get("/oauth/authorize?response_type=code&client_id=nope&redirect_uri=https%3A%2F%2Fevil.example%2F&scope=openid").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not registered with Lionrock"));
    let r = resident
        .get(&format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fevil.example%2F&scope=openid",
            rp.id
        ))
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());

    // Everything else goes back to the client, with state.
    for (extra, error) in [
        ("&response_type=token", "unsupported_response_type"),
        ("&request=eyJ", "request_not_supported"),
        ("&prompt=bogus", "invalid_request"),
        ("&max_age=-1", "invalid_request"),
    ] {
        let url = authorize_url(&rp, "").replace("response_type=code&", "")
            + if extra.starts_with("&response_type") { extra } else { "&response_type=code" }
            + if extra.starts_with("&response_type") { "" } else { extra };
        let r = resident.get(&url).await;
        assert_eq!(r.status(), 303, "{extra}");
        let q = query(&location(&r));
        assert_eq!(q["error"], error, "{extra}");
        assert_eq!(q["state"], "st4te");
    }
    let no_openid = authorize_url(&rp, "").replace("scope=openid%20email%20offline_access", "scope=email");
    assert_eq!(query(&location(&resident.get(&no_openid).await))["error"], "invalid_scope");
    let no_pkce = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s",
        public.id,
        urlencoding(REDIRECT)
    );
    assert_eq!(query(&location(&resident.get(&no_pkce).await))["error"], "invalid_request", "public clients need PKCE");
    let plain = authorize_url(&rp, "").replace("code_challenge_method=S256", "code_challenge_method=plain");
    assert_eq!(query(&location(&resident.get(&plain).await))["error"], "invalid_request");

    // prompt=none: no session, or no consent yet, is answered without a page.
    let anon = app.client();
    assert_eq!(query(&location(&anon.get(&authorize_url(&rp, "&prompt=none")).await))["error"], "login_required");
    assert_eq!(query(&location(&resident.get(&authorize_url(&rp, "&prompt=none")).await))["error"], "consent_required");

    // Declining consent.
    let page = resident.get(&authorize_url(&rp, "")).await.text().await.unwrap();
    assert!(page.contains("name=\"decision\" value=\"deny\""));
    let r = decide(&resident, &page, "deny", &[]).await;
    let q = query(&location(&r));
    assert_eq!((q["error"].as_str(), q["state"].as_str()), ("access_denied", "st4te"));
    // The request is over: answering it again is refused.
    let r = decide(&resident, &page, "allow", &[]).await;
    assert_eq!(r.status(), 400);
    // The consent form is CSRF-protected.
    let r = resident.post_form_raw("/oauth/authorize/consent", &[("client_id", &rp.id), ("decision", "allow")]).await;
    assert_eq!(r.status(), 403);
}
both_backends!(authorization_errors_go_to_the_right_place);

async fn signing_in_returns_to_the_authorization_request(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = register_rp(&app, false).await;
    let _ = registered(&app, "away@example.org").await;
    let c = app.client();
    let r = c.get(&authorize_url(&rp, "")).await;
    assert_eq!(r.status(), 303);
    let to_sign_in = location(&r);
    assert!(to_sign_in.starts_with("/en/sign-in?next=%2Foauth%2Fauthorize%3F"), "{to_sign_in}");
    let page = c.get(&to_sign_in).await.text().await.unwrap();
    assert!(page.contains("name=\"next\" value=\"/oauth/authorize?"));
    let next = query(&format!("http://x{to_sign_in}"))["next"].clone();
    let r = c.post_form("/en/sign-in", &[("email", "away@example.org"), ("password", PASSWORD), ("next", &next)]).await;
    assert_eq!(location(&r), next, "back to the request after signing in");
    assert_eq!(c.get(&next).await.status(), 200, "the consent page");

    // Only paths on this site are followed.
    let r = c
        .post_form("/en/sign-in", &[("email", "away@example.org"), ("password", PASSWORD), ("next", "//evil.example/")])
        .await;
    assert_eq!(location(&r), "/en/account");
}
both_backends!(signing_in_returns_to_the_authorization_request);

async fn max_age_and_prompt_login_force_a_fresh_sign_in(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "fresh@example.org").await;
    let _ = authorize(&resident, &rp).await; // consent remembered
    // Pretend the sign-in was long ago.
    app.db().execute_unprepared("UPDATE session SET principal = replace(principal, '\"authenticated_at\":', '\"authenticated_at\":1,\"x\":')").await.unwrap();
    let r = resident.get(&authorize_url(&rp, "&max_age=60")).await;
    assert!(location(&r).starts_with("/en/sign-in?next="), "stale sign-in must be repeated");
    let r = resident.get(&authorize_url(&rp, "&max_age=60&prompt=none")).await;
    assert_eq!(query(&location(&r))["error"], "login_required");
    let r = resident.get(&authorize_url(&rp, "&prompt=login")).await;
    assert!(location(&r).starts_with("/en/sign-in?next="));
}
both_backends!(max_age_and_prompt_login_force_a_fresh_sign_in);

/// `/oauth/logout?…` for the given parameters, URL-encoded.
fn logout_url(params: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    format!("/oauth/logout?{query}")
}

const BYE: &str = "https://rp.example.org/bye";

/// With an ID token of the signed-in person as hint, the relying party
/// signs them out at once and gets them back with its state; the hint of
/// a pairwise client names the person by that client's subject.
async fn logout_with_a_matching_hint_signs_out_at_once(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "bye@example.org").await;
    let code = authorize(&resident, &rp).await;
    let (_, tokens) = exchange(&app.client(), &rp, &code).await;
    let hint = tokens["id_token"].as_str().unwrap();
    let r = resident
        .get(&logout_url(&[("id_token_hint", hint), ("post_logout_redirect_uri", BYE), ("state", "xyz")]))
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "https://rp.example.org/bye?state=xyz");
    assert_eq!(resident.get("/en/account").await.status(), 401, "signed out");
    // Signed out already: nothing to end, straight back.
    let r = resident.get(&logout_url(&[("id_token_hint", hint), ("post_logout_redirect_uri", BYE)])).await;
    assert_eq!(location(&r), BYE);

    // A pairwise client's hint carries the subject only that client sees.
    let pairwise = oidc::create_client(
        &app.state,
        NewClient {
            name: "Clinic".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            post_logout_redirect_uris: vec![BYE.to_owned()],
            scopes: vec!["email".to_owned()],
            public: false,
            jwks: None,
            rs256: false,
            pairwise: true,
        },
    )
    .await
    .unwrap();
    let pairwise = Rp { id: pairwise.client_id, secret: pairwise.client_secret };
    let again = registered(&app, "bye-pairwise@example.org").await;
    let r = again.get(&authorize_url(&pairwise, "")).await;
    let hidden = hidden_fields(&r.text().await.unwrap());
    let mut fields: Vec<(&str, &str)> = hidden.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    fields.push(("decision", "allow"));
    let code = query(&location(&again.post_form("/oauth/authorize/consent", &fields).await))["code"].clone();
    let (_, tokens) = exchange(&app.client(), &pairwise, &code).await;
    let hint = tokens["id_token"].as_str().unwrap();
    assert!(!hint.is_empty());
    let r = again.get(&logout_url(&[("id_token_hint", hint), ("post_logout_redirect_uri", BYE), ("state", "p")])).await;
    assert_eq!(location(&r), "https://rp.example.org/bye?state=p");
    assert_eq!(again.get("/en/account").await.status(), 401, "signed out by the pairwise hint");
}
both_backends!(logout_with_a_matching_hint_signs_out_at_once);

/// Without a hint naming the signed-in person, a GET signs nobody out: it
/// asks, and only the confirmation form's POST (CSRF-checked, the request
/// checked again) signs out and goes back to the registered address.
async fn logout_without_a_matching_hint_asks_first(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "ask@example.org").await;
    let someone_else = registered(&app, "ask-other@example.org").await;
    let code = authorize(&someone_else, &rp).await;
    let (_, tokens) = exchange(&app.client(), &rp, &code).await;
    let others_hint = tokens["id_token"].as_str().unwrap().to_owned();

    for url in [
        logout_url(&[]),
        logout_url(&[("client_id", &rp.id), ("post_logout_redirect_uri", BYE), ("state", "xyz")]),
        logout_url(&[("id_token_hint", &others_hint), ("post_logout_redirect_uri", BYE), ("state", "xyz")]),
        logout_url(&[("id_token_hint", "not.a.token"), ("client_id", &rp.id)]),
    ] {
        let r = resident.get(&url).await;
        assert_eq!(r.status(), 200, "{url}");
        let html = r.text().await.unwrap();
        assert!(html.contains("Sign out of Lionrock?"), "{url}: {html}");
        assert!(html.contains("action=\"/oauth/confirm-logout\""), "{url}");
        assert!(hidden_fields(&html).iter().all(|(name, _)| name != "id_token_hint"), "the hint is not posted");
        assert_eq!(resident.get("/en/account").await.status(), 200, "{url}: still signed in");
    }

    // The confirmation page names the service, and its form may end there.
    let url = logout_url(&[("client_id", &rp.id), ("post_logout_redirect_uri", BYE), ("state", "xyz")]);
    let r = resident.get(&url).await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("form-action 'self' https://rp.example.org;"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains("Harbour Library asks to sign you out of Lionrock."), "{html}");
    let hidden = hidden_fields(&html);
    let fields: Vec<(&str, &str)> = hidden.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(fields, [("client_id", rp.id.as_str()), ("post_logout_redirect_uri", BYE), ("state", "xyz")]);
    let r = resident.get(&logout_url(&[])).await;
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("form-action 'self';"));

    // A service may send its request as a form POST (no CSRF token: it comes
    // from the service's site): it goes on as the GET, and signs nobody out.
    let r = resident.post_form_raw("/oauth/logout", &fields).await;
    assert_eq!(r.status(), 303);
    let bye: String = url::form_urlencoded::byte_serialize(BYE.as_bytes()).collect();
    let query = format!("post_logout_redirect_uri={bye}&state=xyz&client_id={}", rp.id);
    assert_eq!(location(&r), format!("/oauth/logout?{query}"));
    assert_eq!(resident.get("/en/account").await.status(), 200, "a posted request signs nobody out by itself");

    // The confirmation's POST is CSRF-protected, and checks the target again.
    let r = resident.post_form_raw("/oauth/confirm-logout", &fields).await;
    assert_eq!(r.status(), 403);
    assert_eq!(resident.get("/en/account").await.status(), 200, "a forged POST signs nobody out");
    let forged = [("client_id", rp.id.as_str()), ("post_logout_redirect_uri", "https://evil.example/"), ("state", "x")];
    let r = resident.post_form("/oauth/confirm-logout", &forged).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert_eq!(resident.get("/en/account").await.status(), 200, "an unregistered target signs nobody out");

    let r = resident.post_form("/oauth/confirm-logout", &fields).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "https://rp.example.org/bye?state=xyz");
    assert_eq!(resident.get("/en/account").await.status(), 401, "signed out");

    // Confirmed without a target: a page saying so.
    let third = registered(&app, "ask-third@example.org").await;
    let r = third.post_form("/oauth/confirm-logout", &[]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("You are signed out"));
    assert_eq!(third.get("/en/account").await.status(), 401);
}
both_backends!(logout_without_a_matching_hint_asks_first);

/// `post_logout_redirect_uri` is honoured only when registered for the
/// client the hint or `client_id` names; anything else is refused on our
/// page, and nobody is signed out.
async fn logout_targets_must_be_registered_for_the_named_client(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let other = oidc::create_client(
        &app.state,
        NewClient {
            name: "Clinic".to_owned(),
            redirect_uris: vec!["https://clinic.example.org/cb".to_owned()],
            post_logout_redirect_uris: vec!["https://clinic.example.org/bye".to_owned()],
            scopes: vec![],
            public: false,
            jwks: None,
            rs256: false,
            pairwise: false,
        },
    )
    .await
    .unwrap();
    let resident = registered(&app, "targets@example.org").await;
    let code = authorize(&resident, &rp).await;
    let (_, tokens) = exchange(&app.client(), &rp, &code).await;
    let hint = tokens["id_token"].as_str().unwrap();
    for params in [
        vec![("client_id", rp.id.as_str()), ("post_logout_redirect_uri", "https://evil.example/")],
        vec![("client_id", rp.id.as_str()), ("post_logout_redirect_uri", "https://clinic.example.org/bye")],
        vec![("id_token_hint", hint), ("post_logout_redirect_uri", "https://clinic.example.org/bye")],
        vec![("id_token_hint", hint), ("client_id", other.client_id.as_str()), ("post_logout_redirect_uri", BYE)],
        vec![("post_logout_redirect_uri", BYE)],
        vec![("client_id", "unknown"), ("post_logout_redirect_uri", BYE)],
    ] {
        let r = resident.get(&logout_url(&params)).await;
        assert_eq!(r.status(), 400, "{params:?}");
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.unwrap().contains("you were not signed out"), "{params:?}");
        assert_eq!(resident.get("/en/account").await.status(), 200, "{params:?}: still signed in");
    }
}
both_backends!(logout_targets_must_be_registered_for_the_named_client);

pub async fn authorize_for_tests(client: &TestClient, rp: &Rp) -> String {
    authorize(client, rp).await
}

pub async fn exchange_for_tests(client: &TestClient, rp: &Rp, code: &str) -> Value {
    let (status, tokens) = exchange(client, rp, code).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// The token endpoint's answer to `code`, whatever it is.
pub async fn try_exchange_for_tests(client: &TestClient, rp: &Rp, code: &str) -> (u16, Value) {
    exchange(client, rp, code).await
}

pub fn authorize_url_for_tests(rp: &Rp) -> String {
    authorize_url(rp, "")
}

async fn pushed_authorization_requests(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let other = register_rp(&app, false).await;
    let resident = registered(&app, "par@example.org").await;
    let c = app.client();
    let secret = rp.secret.clone().unwrap();
    let challenge = challenge();
    let push = |form: Vec<(&'static str, String)>, id: String, secret: Option<String>| {
        let c = c.clone();
        async move {
            let mut req = c.http.post(c.url("/oauth/par")).form(&form);
            if let Some(s) = secret {
                req = req.basic_auth(id, Some(s));
            }
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let good = vec![
        ("response_type", "code".to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("scope", "openid email".to_owned()),
        ("state", "st4te".to_owned()),
        ("code_challenge", challenge.clone()),
        ("code_challenge_method", "S256".to_owned()),
    ];
    let (status, body) = push(good.clone(), rp.id.clone(), Some(secret.clone())).await;
    assert_eq!(status, 201, "{body}");
    let request_uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    assert_eq!(body["expires_in"], 300);

    // The authorization request carries only client_id and request_uri; a
    // person who is not signed in signs in, then consents, and gets a code.
    let by_reference = |uri: &str| format!("/oauth/authorize?client_id={}&request_uri={}", rp.id, urlencoding(uri));
    let url = by_reference(&request_uri);
    let away = app.client();
    let _ = registered(&app, "par-away@example.org").await;
    let r = away.get(&url).await;
    assert_eq!(r.status(), 303);
    let plain = location(&r);
    assert!(plain.starts_with("/oauth/authorize?") && !plain.contains("request_uri"), "{plain}");
    let to_sign_in = location(&away.get(&plain).await);
    let next = query(&format!("http://x{to_sign_in}"))["next"].clone();
    let r = away
        .post_form("/en/sign-in", &[("email", "par-away@example.org"), ("password", PASSWORD), ("next", &next)])
        .await;
    assert_eq!(location(&r), next, "back to the request after signing in");
    let page = away.get(&next).await;
    assert_eq!(page.status(), 200, "the consent page");
    let r = decide(&away, &page.text().await.unwrap(), "allow", &[]).await;
    let code = query(&location(&r))["code"].clone();
    let (status, tokens) = exchange(&c, &rp, &code).await;
    assert_eq!(status, 200, "{tokens}");

    // A request_uri is used once (RFC 9126 §4): after the code, its reuse is refused on our page.
    let r = away.get(&url).await;
    assert_eq!(r.status(), 400, "a used request_uri");
    assert!(r.text().await.unwrap().contains("has expired or is not valid"));

    // Its first use consumes it, even before the code: a reload of the
    // request goes to the plain request, not to the request_uri again.
    let (_, body) = push(good.clone(), rp.id.clone(), Some(secret.clone())).await;
    let again = by_reference(body["request_uri"].as_str().unwrap());
    let r = resident.get(&again).await;
    assert_eq!(r.status(), 303);
    assert_eq!(resident.get(&location(&r)).await.status(), 200, "the consent page, reloadable");
    assert_eq!(resident.get(&location(&r)).await.status(), 200, "and again");
    assert_eq!(resident.get(&again).await.status(), 400, "the request_uri is spent");

    // Another client cannot use it, and does not spend it; a made-up one is refused on our page.
    let (_, body) = push(good.clone(), rp.id.clone(), Some(secret.clone())).await;
    let fresh = body["request_uri"].as_str().unwrap().to_owned();
    let r = resident.get(&format!("/oauth/authorize?client_id={}&request_uri={}", other.id, urlencoding(&fresh))).await;
    assert_eq!(r.status(), 400);
    assert_eq!(resident.get(&by_reference(&fresh)).await.status(), 303, "still there for its own client");
    let r = resident
        .get(&format!(
            "/oauth/authorize?client_id={}&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Anope",
            rp.id
        ))
        .await;
    assert_eq!(r.status(), 400);

    // Pushing needs client authentication and a valid request.
    let (status, body) = push(good.clone(), rp.id.clone(), None).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_client"));
    let mut bad = good.clone();
    bad[1] = ("redirect_uri", "https://evil.example/".to_owned());
    let (status, body) = push(bad, rp.id.clone(), Some(secret.clone())).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_request"));
    let mut bad = good;
    bad[0] = ("response_type", "token".to_owned());
    let (status, body) = push(bad, rp.id.clone(), Some(secret)).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "unsupported_response_type"));
}

both_backends!(pushed_authorization_requests);

/// A client key pair: the signing key, and the JWK Set to register.
pub(crate) fn client_key(kid: &str) -> (jsonwebtoken::EncodingKey, String) {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::EncodePrivateKey;
    let secret = loop {
        if let Ok(k) = p256::SecretKey::from_slice(&platform::crypto::random_bytes::<32>()) {
            break k;
        }
    };
    let der = secret.to_pkcs8_der().unwrap();
    let point = secret.public_key().to_encoded_point(false);
    let jwk = serde_json::json!({
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()), "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
    });
    (jsonwebtoken::EncodingKey::from_ec_der(der.as_bytes()), serde_json::json!({ "keys": [jwk] }).to_string())
}

fn assertion(
    key: &jsonwebtoken::EncodingKey,
    kid: &str,
    client_id: &str,
    aud: impl Into<Value>,
    lifetime: i64,
) -> String {
    let aud: Value = aud.into();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    let claims = serde_json::json!({
        "iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + lifetime, "jti": uuid::Uuid::new_v4().to_string(),
    });
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

async fn clients_can_authenticate_with_signed_assertions(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let (key, jwks) = client_key("rp-key-1");
    let created = oidc::create_client(
        &app.state,
        NewClient {
            name: "Harbour Library".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            post_logout_redirect_uris: vec![],
            scopes: vec!["email".to_owned(), "offline_access".to_owned()],
            public: false,
            jwks: Some(jwks),
            rs256: false,
            pairwise: false,
        },
    )
    .await
    .unwrap();
    assert!(created.client_secret.is_none(), "no secret for a private_key_jwt client");
    let rp = Rp { id: created.client_id.clone(), secret: None };
    let resident = registered(&app, "jwt@example.org").await;
    let code = authorize(&resident, &rp).await;
    let token_url = app.url("/oauth/token");
    // The audience is the issuer, as one string.
    let iss = app.url("");
    let c = app.client();
    let send = |form: Vec<(&'static str, String)>| {
        let (c, url) = (c.clone(), token_url.clone());
        async move {
            let r = c.http.post(url).form(&form).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned();
    let good = assertion(&key, "rp-key-1", &rp.id, iss.as_str(), 60);
    let (status, tokens) = send(vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", REDIRECT.to_owned()),
        ("code_verifier", VERIFIER.to_owned()),
        ("client_assertion_type", jwt_bearer.clone()),
        ("client_assertion", good.clone()),
    ])
    .await;
    assert_eq!(status, 200, "{tokens}");
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refresh_with = |a: String| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh.clone()),
            ("client_assertion_type", jwt_bearer.clone()),
            ("client_assertion", a),
        ]
    };

    // Each assertion works once.
    let (status, body) = send(refresh_with(good)).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_client"));
    // Wrong audience (elsewhere, the token or PAR endpoint, an array even
    // holding only the issuer), another key, or a long life: refused.
    let (other_key, _) = client_key("rp-key-1");
    for bad in [
        assertion(&key, "rp-key-1", &rp.id, "https://elsewhere.example/token", 60),
        assertion(&key, "rp-key-1", &rp.id, token_url.as_str(), 60),
        assertion(&key, "rp-key-1", &rp.id, app.url("/oauth/par"), 60),
        assertion(&key, "rp-key-1", &rp.id, serde_json::json!([iss]), 60),
        assertion(&key, "rp-key-1", &rp.id, serde_json::json!([iss, token_url]), 60),
        assertion(&key, "rp-key-1", &rp.id, format!("{iss}/"), 60),
        assertion(&other_key, "rp-key-1", &rp.id, iss.as_str(), 60),
        assertion(&key, "rp-key-1", &rp.id, iss.as_str(), 3600),
        assertion(&key, "unknown-kid", &rp.id, iss.as_str(), 60),
    ] {
        let (status, body) = send(refresh_with(bad)).await;
        assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_client"), "{body}");
    }
    // A real-name assertion (it names a document) shares the audience but never authenticates a client.
    let real_name_shaped = {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("rp-key-1".to_owned());
        let claims = serde_json::json!({
            "iss": rp.id, "sub": rp.id, "aud": iss, "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(),
            "email": "jwt@example.org", "document": { "kind": "hkid", "number": "A123456(3)" },
        });
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    };
    let (status, body) = send(refresh_with(real_name_shaped)).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_client"), "{body}");
    // A fresh, good one still works.
    let (status, body) = send(refresh_with(assertion(&key, "rp-key-1", &rp.id, iss.as_str(), 60))).await;
    assert_eq!(status, 200, "{body}");

    let discovery: Value = c.get("/.well-known/openid-configuration").await.json().await.unwrap();
    assert!(
        discovery["token_endpoint_auth_methods_supported"].as_array().unwrap().iter().any(|m| m == "private_key_jwt")
    );
    let bad_jwks = oidc::create_client(
        &app.state,
        NewClient {
            name: "X".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            post_logout_redirect_uris: vec![],
            scopes: vec![],
            public: false,
            jwks: Some("{\"keys\": 3}".to_owned()),
            rs256: false,
            pairwise: false,
        },
    )
    .await;
    assert!(matches!(bad_jwks, Err(oidc::ClientError::Jwks(_))));
}
both_backends!(clients_can_authenticate_with_signed_assertions);

async fn clients_can_ask_for_rs256_id_tokens(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let created = oidc::create_client(
        &app.state,
        NewClient {
            name: "Harbour Library".to_owned(),
            redirect_uris: vec![REDIRECT.to_owned()],
            post_logout_redirect_uris: vec!["https://rp.example.org/bye".to_owned()],
            scopes: vec!["email".to_owned()],
            public: false,
            jwks: None,
            rs256: true,
            pairwise: false,
        },
    )
    .await
    .unwrap();
    let rp = Rp { id: created.client_id, secret: created.client_secret };
    let resident = registered(&app, "rsa@example.org").await;
    let code = authorize(&resident, &rp).await;
    let (status, tokens) = exchange(&app.client(), &rp, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);

    let jwks: Value = app.client().get("/oauth/jwks").await.json().await.unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header.kid.clone().unwrap().as_str())
        .unwrap()
        .clone();
    assert_eq!((key["kty"].as_str(), key["alg"].as_str()), (Some("RSA"), Some("RS256")));
    assert!(jwks["keys"].as_array().unwrap().iter().any(|k| k["kty"] == "EC"), "the ES256 key is published too");
    let decoding =
        jsonwebtoken::DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[&rp.id]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &decoding, &validation).unwrap().claims;
    assert_eq!(claims["nonce"], "n0nce");

    // An RS256 ID token is a good logout hint too.
    let r = resident
        .get(&format!(
            "/oauth/logout?id_token_hint={id_token}&post_logout_redirect_uri={}",
            urlencoding("https://rp.example.org/bye")
        ))
        .await;
    assert_eq!(location(&r), "https://rp.example.org/bye");
}
both_backends!(clients_can_ask_for_rs256_id_tokens);

async fn administrators_register_and_remove_clients_on_a_page(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let mut admin = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
    admin.roles.push(platform::principal::Role::Admin);
    let admin = app.sign_in_as(&admin).await;
    let page = admin.get("/zh-hk/admin/clients").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("暫時未有登記服務"));

    let r = admin
        .post_form(
            "/en/admin/clients",
            &[("name", "Harbour Library"), ("redirect_uris", REDIRECT), ("scope", "email"), ("kind", "confidential")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Copy the secret now"));
    let id = html.split("client_id: <code>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let secret = html.split("client_secret: <code>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let listed = admin.get("/en/admin/clients").await.text().await.unwrap();
    assert!(listed.contains(&id) && !listed.contains(&secret), "listed, secret not shown again");
    let audited = |action: &str| {
        format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND object = 'client:{id}' AND actor LIKE 'account:%'"
        )
    };
    assert_eq!(count(&app, &audited("oidc.client_create")).await, 1, "the registration is audited");

    // The registered client works.
    let rp = Rp { id: id.clone(), secret: Some(secret) };
    let resident = registered(&app, "adminrp@example.org").await;
    let code = authorize(&resident, &rp).await;
    let (status, tokens) = exchange(&app.client(), &rp, &code).await;
    assert_eq!(status, 200);

    let r =
        admin.post_form("/en/admin/clients", &[("name", "Bad"), ("redirect_uris", "http://rp.example.org/cb")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("start with https://"));

    let r = admin.post_form("/en/admin/clients/remove", &[("client_id", &id)]).await;
    assert_eq!(r.status(), 303);
    assert!(!admin.get("/en/admin/clients").await.text().await.unwrap().contains(&id));
    let r = admin.post_form("/en/admin/clients/remove", &[("client_id", &id)]).await;
    assert_eq!(r.status(), 303, "removing it again is no error");
    assert_eq!(count(&app, &audited("oidc.client_remove")).await, 1, "the removal is audited, once");
    assert_eq!(
        userinfo(&app.client(), tokens["access_token"].as_str().unwrap()).await.status(),
        401,
        "its tokens are gone"
    );

    assert_eq!(resident.get("/en/admin/clients").await.status(), 403);
    let r = resident.post_form("/en/admin/clients", &[("name", "Sneaky"), ("redirect_uris", REDIRECT)]).await;
    assert_eq!(r.status(), 403);
}
both_backends!(administrators_register_and_remove_clients_on_a_page);

/// A client registered outside the page (`lionrock clients create`) is
/// audited too, as the system's act, in the transaction that makes it.
async fn clients_made_from_the_command_line_are_audited(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let sql = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'oidc.client_create' AND object = 'client:{}' AND actor = 'system'",
        rp.id
    );
    assert_eq!(count(&app, &sql).await, 1);
}
both_backends!(clients_made_from_the_command_line_are_audited);

async fn the_language_switcher_keeps_the_request(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "langs@example.org").await;
    let html = resident.get(&authorize_url(&rp, "")).await.text().await.unwrap();
    let start = html.find("hreflang=\"zh-HK\" href=\"").map(|i| i + 23);
    let link = match start {
        Some(i) => html[i..i + html[i..].find('"').unwrap()].to_owned(),
        None => {
            let i = html.find("lang=\"zh-HK\" hreflang=\"zh-HK\"").unwrap();
            let before = &html[..i];
            let h = before.rfind("href=\"").unwrap() + 6;
            before[h..h + before[h..].find('"').unwrap()].to_owned()
        }
    }
    .replace("&amp;", "&")
    .replace("&#38;", "&");
    assert!(link.starts_with("/oauth/authorize?") && link.contains("lang=zh-hk") && link.contains(&rp.id), "{link}");
    let page = resident.get(&link).await.text().await.unwrap();
    assert!(
        page.contains("<html lang=\"zh-HK\">") && page.contains("分享你的資料？"),
        "the consent page in Chinese: {link}\n{}",
        &page[..page.len().min(1500)]
    );
}
both_backends!(the_language_switcher_keeps_the_request);

fn acr_claim(essential: bool, values: &[&str]) -> String {
    let claims = serde_json::json!({ "id_token": { "acr": { "essential": essential, "values": values } } });
    format!("&claims={}", urlencoding(&claims.to_string()))
}

/// The code in a redirect to the client.
fn code_in(r: &reqwest::Response) -> String {
    let to = location(r);
    assert!(to.starts_with(REDIRECT), "a redirect to the client: {to}");
    query(&to)["code"].clone()
}

async fn an_essential_real_name_acr_is_enforced(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "stepup@example.org").await;
    authorize(&resident, &rp).await; // consent once, without any acr request
    let essential = acr_claim(true, &[oidc::ACR_REAL_NAME]);

    // A basic account is told why and how, with a way back that carries the
    // error, and a way to continue this request once verified.
    let r = resident.get(&authorize_url(&rp, &essential)).await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap().replace("&#38;", "&").replace("&amp;", "&");
    assert!(html.contains("This service needs a real-name identity"));
    assert!(html.contains("identity card or passport"));
    assert!(!html.contains("without_real_name"), "no going on without it");
    let back = html.split("<a href=\"").find(|s| s.starts_with(REDIRECT)).map(|s| s.split('"').next().unwrap());
    let q = query(back.expect("a way back to the service"));
    assert_eq!(q["error"], "unmet_authentication_requirements", "{q:?}");
    assert_eq!(q["state"], "st4te", "{q:?}");
    let go_on = html
        .split("<a href=\"")
        .find(|s| s.starts_with("/oauth/authorize?pending="))
        .map(|s| s.split('"').next().unwrap().to_owned())
        .expect("a way to continue once verified");
    // Not verified yet: the same page; the choice to go on without does nothing.
    assert_eq!(resident.get(&go_on).await.status(), 403);
    let pending = go_on.split("pending=").nth(1).unwrap();
    let r =
        resident.post_form("/oauth/authorize/choose", &[("pending", pending), ("choice", "without_real_name")]).await;
    assert_eq!(resident.get(&location(&r)).await.status(), 403, "an essential request is not waived");

    // Without the person: the error goes straight back.
    let r = resident.get(&authorize_url(&rp, &format!("{essential}&prompt=none"))).await;
    assert_eq!(query(&location(&r))["error"], "unmet_authentication_requirements");
    // Only values we do not offer: it can never be met.
    let r = resident.get(&authorize_url(&rp, &acr_claim(true, &["urn:example:loa:4"]))).await;
    assert_eq!(query(&location(&r))["error"], "unmet_authentication_requirements");

    // Once an officer has checked their identity card, the way back continues the request.
    verify_identity(&app, "stepup@example.org").await;
    let r = resident.get(&go_on).await;
    let (_, tokens) = exchange(&app.client(), &rp, &code_in(&r)).await;
    assert_eq!(id_token_claims(&tokens)["acr"], oidc::ACR_REAL_NAME);
    // The request is over.
    assert_eq!(resident.get(&go_on).await.status(), 400);

    // An essential request for the basic level is met by a real-name person,
    // and the token names the value asked for.
    let r = resident.get(&authorize_url(&rp, &acr_claim(true, &[oidc::ACR_BASIC]))).await;
    let (_, tokens) = exchange(&app.client(), &rp, &code_in(&r)).await;
    assert_eq!(id_token_claims(&tokens)["acr"], oidc::ACR_BASIC);
}
both_backends!(an_essential_real_name_acr_is_enforced);

async fn acr_values_offer_a_step_up_or_going_on_without(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "voluntary@example.org").await;
    authorize(&resident, &rp).await; // consent once
    let discovery: Value = resident.get("/.well-known/openid-configuration").await.json().await.unwrap();
    assert_eq!(discovery["acr_values_supported"], serde_json::json!([oidc::ACR_BASIC, oidc::ACR_REAL_NAME]));

    // acr_values (and a non-essential acr claim) ask: the person is offered
    // to get a real-name identity, or to go on without.
    for asked in [format!("&acr_values={}", urlencoding(oidc::ACR_REAL_NAME)), acr_claim(false, &[oidc::ACR_REAL_NAME])]
    {
        let r = resident.get(&authorize_url(&rp, &asked)).await;
        assert_eq!(r.status(), 200, "{asked}");
        // Its form's POST can end at the service: a real browser needs its origin in form-action.
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("form-action 'self' https://rp.example.org"), "{csp}");
        let html = r.text().await.unwrap();
        assert!(html.contains("This service asks for a real-name identity"), "{asked}");
        assert!(html.contains("/oauth/authorize?pending="), "a way to continue once verified");
        let r = resident
            .post_form("/oauth/authorize/choose", &[("pending", &pending_in(&html)), ("choice", "without_real_name")])
            .await;
        assert_eq!(r.status(), 303);
        let r = resident.get(&location(&r)).await;
        let (_, tokens) = exchange(&app.client(), &rp, &code_in(&r)).await;
        assert_eq!(id_token_claims(&tokens)["acr"], oidc::ACR_BASIC, "the level met");
    }
    // Without the person, it is answered at the level the person has.
    let asked = format!("&acr_values={}&prompt=none", urlencoding(oidc::ACR_REAL_NAME));
    let r = resident.get(&authorize_url(&rp, &asked)).await;
    let code = code_in(&r);

    // The ID token states the level met when the code was issued, even if
    // it changes before the exchange.
    verify_identity(&app, "voluntary@example.org").await;
    let (_, tokens) = exchange(&app.client(), &rp, &code).await;
    assert_eq!(id_token_claims(&tokens)["acr"], oidc::ACR_BASIC);
    let r = resident.get(&authorize_url(&rp, &format!("&acr_values={}", urlencoding(oidc::ACR_REAL_NAME)))).await;
    let (_, tokens) = exchange(&app.client(), &rp, &code_in(&r)).await;
    assert_eq!(id_token_claims(&tokens)["acr"], oidc::ACR_REAL_NAME);
}
both_backends!(acr_values_offer_a_step_up_or_going_on_without);

/// Pretends the session's sign-in was long ago.
async fn age_sessions(app: &TestApp) {
    app.db()
        .execute_unprepared(
            "UPDATE session SET principal = replace(principal, '\"authenticated_at\":', '\"authenticated_at\":1,\"x\":')",
        )
        .await
        .unwrap();
}

async fn nothing_the_browser_sends_decides_freshness(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "stale@example.org").await;
    authorize(&resident, &rp).await; // consent remembered
    age_sessions(&app).await;
    // The old `auth_after` parameter (or any other) does not make a sign-in fresh.
    for extra in ["&prompt=login&auth_after=1", "&max_age=60&auth_after=1", "&prompt=login&auth_after=99999999999"] {
        let r = resident.get(&authorize_url(&rp, extra)).await;
        assert!(location(&r).starts_with("/en/sign-in?next=%2Foauth%2Fauthorize%3Fpending%3D"), "{extra}");
    }
    // The way back carries only the pending request; what the query adds to it is ignored.
    let r = resident.get(&authorize_url(&rp, "&prompt=login")).await;
    let next = query(&format!("http://x{}", location(&r)))["next"].clone();
    let csp = resident.get(&location(&r)).await.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        csp.contains("form-action 'self' https://rp.example.org"),
        "the sign-in form can end at the service: {csp}"
    );
    for extra in ["&auth_after=99999999999", "&prompt=none", "&max_age=&prompt=consent"] {
        let r = resident.get(&format!("{next}{extra}")).await;
        assert!(location(&r).starts_with("/en/sign-in?next="), "still a sign-in: {extra}");
    }
    // Skipping the sign-in and answering the consent form does not issue a code.
    let r = resident
        .post_form(
            "/oauth/authorize/consent",
            &[("pending", next.split("pending=").nth(1).unwrap()), ("decision", "allow")],
        )
        .await;
    assert!(location(&r).starts_with("/en/sign-in?next="), "{}", location(&r));

    // Signing in again does; the ID token's auth_time is that sign-in.
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    let r = resident
        .post_form("/en/sign-in", &[("email", "stale@example.org"), ("password", PASSWORD), ("next", &next)])
        .await;
    assert_eq!(location(&r), next);
    let r = resident.get(&next).await;
    let (_, tokens) = exchange(&app.client(), &rp, &code_in(&r)).await;
    assert!(id_token_claims(&tokens)["auth_time"].as_i64().unwrap() >= before);
}
both_backends!(nothing_the_browser_sends_decides_freshness);

async fn the_consent_form_runs_every_check_again(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "recheck@example.org").await;
    let page = |extra: String| {
        let (resident, url) = (resident.clone(), authorize_url(&rp, &extra));
        async move {
            let r = resident.get(&url).await;
            assert_eq!(r.status(), 200, "the consent page");
            r.text().await.unwrap()
        }
    };

    // max_age: the sign-in grew too old while the page was open.
    let html = page("&max_age=600".to_owned()).await;
    age_sessions(&app).await;
    let r = decide(&resident, &html, "allow", &[]).await;
    assert!(location(&r).starts_with("/en/sign-in?next="), "{}", location(&r));
    resident.post_form("/en/sign-in", &[("email", "recheck@example.org"), ("password", PASSWORD)]).await;

    // An essential acr: the level dropped while the page was open.
    verify_identity(&app, "recheck@example.org").await;
    let html = page(acr_claim(true, &[oidc::ACR_REAL_NAME])).await;
    app.db()
        .execute_unprepared("UPDATE session SET principal = replace(principal, '\"real_name\"', '\"basic\"')")
        .await
        .unwrap();
    let r = decide(&resident, &html, "allow", &[]).await;
    assert_eq!(r.status(), 403, "the step-up page, not a code");

    // The client may no longer use a scope: it is not granted.
    let html = page(String::new()).await;
    app.db()
        .execute_unprepared(&format!("UPDATE oidc_client SET scopes = '[\"openid\"]' WHERE client_id = '{}'", rp.id))
        .await
        .unwrap();
    let r = decide(&resident, &html, "allow", &[]).await;
    let (_, tokens) = exchange(&app.client(), &rp, &code_in(&r)).await;
    assert_eq!(tokens["scope"], "openid");
    let info: Value = userinfo(&app.client(), tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert!(info.get("email").is_none(), "{info}");

    // The redirect URI is no longer registered, or the client is gone: our page, no redirect.
    let html = page("&prompt=consent".to_owned()).await;
    app.db()
        .execute_unprepared(&format!(
            "UPDATE oidc_client SET redirect_uris = '[\"https://rp.example.org/other\"]' WHERE client_id = '{}'",
            rp.id
        ))
        .await
        .unwrap();
    let r = decide(&resident, &html, "allow", &[]).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    app.db().execute_unprepared(&format!("DELETE FROM oidc_client WHERE client_id = '{}'", rp.id)).await.unwrap();
    let r = decide(&resident, &html, "allow", &[]).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
}
both_backends!(the_consent_form_runs_every_check_again);

async fn tampered_consent_fields_have_no_effect(backend: Backend) {
    let app = spawn(backend).await;
    let rp = register_rp(&app, false).await;
    let other = register_rp(&app, false).await;
    let resident = registered(&app, "tamper@example.org").await;
    let url = authorize_url(&rp, "").replace("scope=openid%20email%20offline_access", "scope=openid");
    let html = resident.get(&url).await.text().await.unwrap();
    assert!(!html.contains("name=\"scope\"") && !html.contains("name=\"redirect_uri\""), "only the pending request");
    let pending = pending_in(&html);
    let r = resident
        .post_form(
            "/oauth/authorize/consent",
            &[
                ("pending", &pending),
                ("decision", "allow"),
                ("response_type", "token"),
                ("client_id", &other.id),
                ("redirect_uri", "https://evil.example/cb"),
                ("scope", "openid email"),
                ("state", "evil"),
                ("nonce", "evil"),
                ("code_challenge", &"x".repeat(43)),
                ("prompt", "none"),
                ("max_age", "0"),
                ("auth_after", "99999999999"),
                ("acr_values", oidc::ACR_REAL_NAME),
                ("claims", r#"{"userinfo":{"email":null}}"#),
                ("field", "birthdate"),
            ],
        )
        .await;
    let q = query(&location(&r));
    assert_eq!(q["state"], "st4te", "the request's own state");
    let (status, tokens) = exchange(&app.client(), &rp, &code_in(&r)).await;
    assert_eq!(status, 200, "issued to the request's client, redirect URI and code challenge: {tokens}");
    assert_eq!(tokens["scope"], "openid");
    let claims = id_token_claims(&tokens);
    assert_eq!((claims["nonce"].as_str(), claims["acr"].as_str()), (Some("n0nce"), Some(oidc::ACR_BASIC)));
    let info: Value = userinfo(&app.client(), tokens["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert!(info.get("email").is_none() && info.get("birthdate").is_none(), "{info}");
    // An unknown or made-up pending request is refused on our page.
    let r = resident.post_form("/oauth/authorize/consent", &[("pending", "nope"), ("decision", "allow")]).await;
    assert_eq!(r.status(), 400);
    let r = resident.post_form("/oauth/authorize/consent", &[("client_id", &rp.id), ("decision", "allow")]).await;
    assert_eq!(r.status(), 400);
    // Anyone can leave a pending request with a GET: it goes as soon as it expires.
    let _ = app.client().get(&authorize_url(&rp, "")).await;
    let pending = || count(&app, "SELECT COUNT(*) FROM oidc_pending");
    assert!(pending().await >= 1);
    app.db().execute_unprepared("UPDATE oidc_pending SET expires_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    oidc::store::purge(app.db()).await.unwrap();
    assert_eq!(pending().await, 0);
}
both_backends!(tampered_consent_fields_have_no_effect);

async fn new_client(app: &TestApp, redirect_uris: &[&str], pairwise: bool) -> Result<Rp, oidc::ClientError> {
    let created = oidc::create_client(
        &app.state,
        NewClient {
            name: "Harbour Library".to_owned(),
            redirect_uris: redirect_uris.iter().map(|u| (*u).to_owned()).collect(),
            post_logout_redirect_uris: vec![],
            scopes: vec!["email".to_owned()],
            public: false,
            jwks: None,
            rs256: false,
            pairwise,
        },
    )
    .await?;
    Ok(Rp { id: created.client_id, secret: created.client_secret })
}

async fn pairwise_subjects_cannot_be_linked_across_services(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let discovery: Value = app.client().get("/.well-known/openid-configuration").await.json().await.unwrap();
    assert_eq!(discovery["subject_types_supported"], serde_json::json!(["public", "pairwise"]));
    let mixed = new_client(&app, &[REDIRECT, "https://elsewhere.example.net/cb"], true).await;
    assert!(matches!(mixed, Err(oidc::ClientError::PairwiseHosts)), "one sector per pairwise client");

    let rp = new_client(&app, &[REDIRECT], true).await.unwrap();
    let resident = registered(&app, "pairwise@example.org").await;
    let account =
        identity::store::account_by_email(app.db(), &identity::model::Email::parse("pairwise@example.org").unwrap())
            .await
            .unwrap()
            .unwrap();
    let code = authorize(&resident, &rp).await;
    let (_, tokens) = exchange(&app.client(), &rp, &code).await;
    let sub = id_token_claims(&tokens)["sub"].as_str().unwrap().to_owned();
    assert_ne!(sub, account.id, "the account id is not revealed");
    let access = tokens["access_token"].as_str().unwrap();
    let info: Value = userinfo(&app.client(), access).await.json().await.unwrap();
    assert_eq!(info["sub"], sub, "userinfo agrees with the ID token");
    let intro: Value = app
        .client()
        .http
        .post(app.url("/oauth/introspect"))
        .basic_auth(&rp.id, rp.secret.as_deref())
        .form(&[("token", access)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(intro["sub"], sub, "introspection agrees too");

    // Same sector, same subject; another sector, another; a public client sees the account id.
    let model = |id: String| {
        let app = &app;
        async move { oidc::store::client(app.db(), &id).await.unwrap().unwrap() }
    };
    let same_sector = new_client(&app, &[REDIRECT], true).await.unwrap();
    assert_eq!(oidc::subject(&app.state, &model(same_sector.id).await, &account.id), sub);
    let other_sector = new_client(&app, &["https://clinic.example.net/cb"], true).await.unwrap();
    assert_ne!(oidc::subject(&app.state, &model(other_sector.id).await, &account.id), sub);
    let public = new_client(&app, &["https://clinic.example.net/cb"], false).await.unwrap();
    assert_eq!(oidc::subject(&app.state, &model(public.id).await, &account.id), account.id);
}
both_backends!(pairwise_subjects_cannot_be_linked_across_services);

async fn select_account_confirms_or_switches_the_account(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "select@example.org").await;
    authorize(&resident, &rp).await; // consent once

    let r = resident.get(&authorize_url(&rp, "&prompt=select_account")).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap().replace("&#38;", "&");
    assert!(html.contains("Choose an account"));
    assert!(html.contains("Continue as select@example.org"));
    let hrefs: Vec<&str> = html.split("href=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    assert!(html.contains("name=\"choice\" value=\"this_account\""), "a way to continue");
    let switch = hrefs.iter().find(|h| h.starts_with("/en/sign-in?next=")).expect("a way to switch");
    assert!(switch.contains("%2Foauth%2Fauthorize"), "{switch}");

    // Continuing issues the code for the signed-in account, without asking again.
    let pending = pending_in(&html);
    let r = resident.post_form("/oauth/authorize/choose", &[("pending", &pending), ("choice", "this_account")]).await;
    assert_eq!(r.status(), 303);
    let r = resident.get(&location(&r)).await;
    let q = query(&location(&r));
    let (status, tokens) = exchange(&app.client(), &rp, &q["code"]).await;
    assert_eq!(status, 200, "{tokens}");

    // Signed out, it is an ordinary sign-in that comes back without the prompt.
    let r = app.client().get(&authorize_url(&rp, "&prompt=select_account")).await;
    let to = location(&r);
    assert!(to.starts_with("/en/sign-in?next=") && !to.contains("select_account"), "{to}");
}
both_backends!(select_account_confirms_or_switches_the_account);

/// An installation upgraded from before `offline_access` and grant times:
/// its clients keep getting refresh tokens (they are allowed
/// `offline_access`), and its tokens count their absolute lifetime from
/// the oldest time their family shows.
async fn upgrading_keeps_clients_and_their_grants(backend: Backend) {
    use sea_orm::Statement;
    use sea_orm_migration::MigratorTraitSelf;
    let (db, _dir) = platform::testkit::empty_database(backend).await;
    let migrator = platform::app::migrator(&[platform::app::platform_module(), identity::module()]);
    let all = MigratorTraitSelf::migrations(&migrator);
    let first = all.iter().position(|m| m.name() == "m20261202_400001_identity_oidc_token_granted_at").unwrap();
    // The schema as the previous release left it, with a client and a token family in it.
    MigratorTraitSelf::up(&migrator, &db, Some(u32::try_from(first).unwrap())).await.unwrap();
    let sql = |s: &str| Statement::from_string(db.get_database_backend(), s.to_owned());
    for statement in [
        "INSERT INTO person (id, created_at) VALUES ('p1', '2026-01-01 00:00:00+00:00')",
        "INSERT INTO account (id, person_id, email, status, level, roles, created_at) \
         VALUES ('a1', 'p1', 'early@example.org', 'active', 'basic', '[]', '2026-01-01 00:00:00+00:00')",
        "INSERT INTO oidc_client (client_id, name, redirect_uris, post_logout_redirect_uris, scopes, public, created_at) \
         VALUES ('old', 'Old', '[\"https://old.example/cb\"]', '[]', '[\"openid\",\"email\"]', true, '2026-01-01 00:00:00+00:00'), \
         ('oldest', 'Oldest', '[\"https://old.example/cb\"]', '[]', '[\"openid\"]', true, '2026-01-01 00:00:00+00:00')",
    ] {
        db.execute_raw(sql(statement)).await.unwrap();
    }
    for (mac, kind, created) in
        [("t1", "access", "2026-01-01"), ("t2", "refresh", "2026-01-01"), ("t3", "refresh", "2026-01-05")]
    {
        db.execute_raw(sql(&format!(
            "INSERT INTO oidc_token (token_mac, kind, client_id, account_id, scopes, family_id, auth_time, amr, expires_at, created_at) \
             VALUES ('{mac}', '{kind}', 'old', 'a1', '[\"openid\"]', 'f1', 0, 'pwd', '2099-01-01 00:00:00+00:00', '{created} 00:00:00+00:00')"
        )))
        .await
        .unwrap();
    }

    let applied = migrator.run(&db).await.unwrap();
    assert_eq!(applied.len(), all.len() - first, "{applied:?}");
    for id in ["old", "oldest"] {
        let scopes = oidc::store::client(&db, id).await.unwrap().unwrap().scopes;
        let scopes: Vec<String> = serde_json::from_str(&scopes).unwrap();
        assert_eq!(scopes.last().map(String::as_str), Some("offline_access"), "{id}: {scopes:?}");
    }
    let granted = time::OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap(); // 2026-01-01
    for mac in ["t1", "t2", "t3"] {
        let token = oidc::store::token(&db, mac).await.unwrap().unwrap();
        assert_eq!(token.granted_at, Some(granted), "{mac}");
    }
}
both_backends!(upgrading_keeps_clients_and_their_grants);
