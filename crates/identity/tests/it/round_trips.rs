//! The token endpoints' hot paths by the statements they make, a guard
//! that needs no clock: userinfo and introspection one query each (token,
//! account, client, consent and profile joined), a refresh grant three
//! (the client, the spend, both new tokens). And refresh grants side by
//! side (grouped into shared commits on SQLite): each one answered is in
//! the database, a refused one spends nothing, a token raced for is spent
//! once and its family revoked.

use platform::both_backends;
use platform::testkit::{Backend, TestApp};
use serde_json::Value;

use crate::profile::exchange_and_userinfo;
use crate::support::*;

const REDIRECT: &str = "https://centre.example.org/cb";

/// A resident with profile values who allowed `rp` their name and phone
/// number, and the tokens (with a refresh token) the code bought.
async fn granted(app: &TestApp, rp: &identity::oidc::CreatedClient, email: &str) -> Value {
    let c = registered(app, email).await;
    c.post_form(
        "/en/account/profile",
        &[("name", "LEE Siu Ming"), ("birthdate", "1945-07-01"), ("phone_number", "+85261234567")],
    )
    .await;
    let query = format!(
        "response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fcentre.example.org%2Fcb&scope=openid%20email%20profile%20phone%20offline_access&state=s&prompt=consent",
        rp.client_id
    );
    let consent = c.get(&format!("/oauth/authorize?{query}")).await.text().await.unwrap();
    let r = decide(&c, &consent, "allow", &["name", "phone_number"]).await;
    let code = url::Url::parse(&location(&r)).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let (tokens, info) = exchange_and_userinfo(app, rp, REDIRECT, &code).await;
    assert_eq!(info["name"], "LEE Siu Ming", "{info}");
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    tokens
}

async fn post_token(app: &TestApp, rp: &identity::oidc::CreatedClient, form: &[(&str, &str)]) -> (u16, Value) {
    let r = app
        .client()
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&rp.client_id, rp.client_secret.as_deref())
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn refresh(app: &TestApp, rp: &identity::oidc::CreatedClient, token: &str) -> (u16, Value) {
    post_token(app, rp, &[("grant_type", "refresh_token"), ("refresh_token", token)]).await
}

async fn introspect(app: &TestApp, rp: &identity::oidc::CreatedClient, token: &str) -> Value {
    let r = app
        .client()
        .http
        .post(app.url("/oauth/introspect"))
        .basic_auth(&rp.client_id, rp.client_secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

async fn the_token_endpoints_make_one_query_each(backend: Backend) {
    let app = app().backend(backend).count_statements().spawn().await;
    let rp = service(&app, "Elderly Centre", REDIRECT, &["email", "profile", "phone", "offline_access"]).await;
    let tokens = granted(&app, &rp, "trips@example.org").await;
    let access = tokens["access_token"].as_str().unwrap();
    let statements = app.statements();
    statements.take();

    let info: Value = app
        .client()
        .http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sql = statements.take();
    assert_eq!(sql.len(), 1, "userinfo: {sql:#?}");
    // What the one query answers is what the five used to.
    assert_eq!(info["email"], "trips@example.org");
    assert_eq!(info["email_verified"], true);
    assert_eq!(info["name"], "LEE Siu Ming");
    assert_eq!(info["phone_number"], "+85261234567");
    assert!(info.get("birthdate").is_none(), "not allowed: {info}");

    let live = introspect(&app, &rp, access).await;
    let sql = statements.take();
    assert_eq!(sql.len(), 1, "introspection: {sql:#?}");
    assert_eq!((live["active"].as_bool(), live["sub"].as_str()), (Some(true), info["sub"].as_str()));

    let (status, refreshed) = refresh(&app, &rp, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{refreshed}");
    let sql = statements.take();
    assert_eq!(sql.len(), 3, "refresh: the client, the spend, both new tokens: {sql:#?}");
    assert!(refreshed.get("id_token").is_none(), "a refresh signs no ID token");

    // Unknown tokens cost the same one query, and are refused.
    let r = app.client().http.get(app.url("/oauth/userinfo")).bearer_auth("never-issued").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(introspect(&app, &rp, "never-issued").await["active"], false);
    assert_eq!(statements.take().len(), 2);
}
both_backends!(the_token_endpoints_make_one_query_each);

async fn refresh_grants_side_by_side_are_each_committed(backend: Backend) {
    // Eight sign-ups and some thirty token requests from one address.
    let app = app().backend(backend).config(|c| c.limits.sensitive_per_ip_per_minute = 10_000).spawn().await;
    let rp = service(&app, "Elderly Centre", REDIRECT, &["email", "profile", "phone", "offline_access"]).await;
    let other = service(&app, "Another Service", "https://other.example.org/cb", &["offline_access"]).await;
    let mut grants = Vec::new();
    for i in 0..8 {
        grants.push(granted(&app, &rp, &format!("side{i}@example.org")).await);
    }
    let refresh_of = |t: &Value| t["refresh_token"].as_str().unwrap().to_owned();
    // At once: each grant refreshed; the first two raced by a second request
    // with the same token; refusals (unknown, another client's) among them.
    let mut tasks = Vec::new();
    for (i, t) in grants.iter().enumerate() {
        for copy in 0..if i < 2 { 2 } else { 1 } {
            let (app_url, rp, token) = (app.url("/oauth/token"), rp.clone(), refresh_of(t));
            tasks.push(tokio::spawn(async move {
                let r = reqwest::Client::new()
                    .post(app_url)
                    .basic_auth(&rp.client_id, rp.client_secret.as_deref())
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", token.as_str())])
                    .send()
                    .await
                    .unwrap();
                (i, copy, r.status().as_u16(), r.json::<Value>().await.unwrap())
            }));
        }
    }
    let refused = [(rp.clone(), "never-issued".to_owned()), (other.clone(), refresh_of(&grants[7]))];
    let mut refusals = Vec::new();
    for (client, token) in refused {
        let url = app.url("/oauth/token");
        refusals.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .basic_auth(&client.client_id, client.client_secret.as_deref())
                .form(&[("grant_type", "refresh_token"), ("refresh_token", token.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    for r in refusals {
        assert_eq!(r.await.unwrap(), 400);
    }
    for i in 0..8 {
        let mine: Vec<_> = answers.iter().filter(|a| a.0 == i).collect();
        let ok: Vec<_> = mine.iter().filter(|a| a.2 == 200).collect();
        assert_eq!(ok.len(), 1, "grant {i}: exactly one refresh wins: {mine:?}");
        let new_access = ok[0].3["access_token"].as_str().unwrap();
        let active = introspect(&app, &rp, new_access).await["active"].as_bool();
        if i < 2 {
            // The loser presented a spent token: the whole family is revoked.
            let lost = mine.iter().find(|a| a.2 != 200).unwrap();
            assert_eq!((lost.2, lost.3["error"].as_str()), (400, Some("invalid_grant")));
            assert_eq!(active, Some(false), "grant {i}: raced, its family revoked");
        } else {
            // Answered, so committed: the new tokens work, the old one is spent.
            assert_eq!(active, Some(true), "grant {i}: the answered access token is stored");
            let token = ok[0].3["refresh_token"].as_str().unwrap();
            if i == 2 {
                // Refused for another client, a refresh token is not spent.
                assert_eq!(refresh(&app, &other, token).await.0, 400);
            }
            let (status, again) = refresh(&app, &rp, token).await;
            assert_eq!(status, 200, "grant {i}: the answered refresh token is stored: {again}");
        }
    }
}
both_backends!(refresh_grants_side_by_side_are_each_committed);
