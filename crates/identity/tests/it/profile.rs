//! The e-ME profile and its per-field consent.

use serde_json::Value;

use crate::support::*;
use platform::both_backends;
use platform::testkit::Backend;

async fn residents_keep_their_details_with_sources(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = registered(&app, "eme@example.org").await;
    let page = c.get("/zh-hk/account/profile").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("中文姓名"));

    let bad = c
        .post_form(
            "/en/account/profile",
            &[("name", "CHAN Tai Man"), ("birthdate", "1950-02-30"), ("phone_number", "91234567")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Enter a real date in the past"));
    assert!(html.contains("digits only, like +85291234567"));
    assert!(html.contains("value=\"CHAN Tai Man\""), "what was typed is kept");

    let ok = c
        .post_form(
            "/en/account/profile",
            &[
                ("name", "CHAN Tai Man"),
                ("name_zh", "陳大文"),
                ("birthdate", "1950-03-28"),
                ("address", "1 Harbour Road"),
                ("phone_number", "+85291234567"),
            ],
        )
        .await;
    assert_eq!(ok.status(), 200);
    let html = ok.text().await.unwrap();
    assert!(html.contains("Your details have been saved."));
    assert!(html.contains("value=\"陳大文\""));
    assert!(html.contains("(You entered this.)"));
    assert_eq!(app.client().post_form("/en/account/profile", &[("name", "x")]).await.status(), 401);
}
both_backends!(residents_keep_their_details_with_sources);

async fn a_service_gets_only_the_fields_the_resident_ticked(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = service(&app, "Elderly Centre", "https://centre.example.org/cb", &["profile", "phone"]).await;
    let c = registered(&app, "fields@example.org").await;
    c.post_form(
        "/en/account/profile",
        &[
            ("name", "LEE Siu Ming"),
            ("name_zh", "李小明"),
            ("birthdate", "1945-07-01"),
            ("phone_number", "+85261234567"),
        ],
    )
    .await;

    let query = format!(
        "response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fcentre.example.org%2Fcb&scope=openid%20profile%20phone&state=s",
        rp.client_id
    );
    let consent = c.get(&format!("/oauth/authorize?{query}")).await.text().await.unwrap();
    for slug in ["name", "name_zh", "birthdate", "phone_number"] {
        // Offered, not pre-ticked: sharing is the resident's choice, field by field.
        assert!(consent.contains(&format!("name=\"field\" value=\"{slug}\">")), "{slug} offered, not ticked");
    }
    assert!(!consent.contains("checked"), "no field ticked in advance");
    // Share the English name and the phone only.
    let r = decide(&c, &consent, "allow", &["name", "phone_number"]).await;
    let code = url::Url::parse(&location(&r)).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let (_, info) = exchange_and_userinfo(&app, &rp, "https://centre.example.org/cb", &code).await;
    assert_eq!(info["name"], "LEE Siu Ming");
    assert_eq!(info["phone_number"], "+85261234567");
    assert_eq!(info["phone_number_verified"], false);
    assert!(info.get("name#zh-Hant").is_none(), "not ticked: {info}");
    assert!(info.get("birthdate").is_none(), "not ticked: {info}");
    assert!(info.get("email").is_none(), "email scope not asked for");
}
both_backends!(a_service_gets_only_the_fields_the_resident_ticked);

async fn the_claims_parameter_asks_for_single_fields(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = service(&app, "Library", "https://lib.example.org/cb", &["profile", "offline_access"]).await;
    let c = registered(&app, "claims@example.org").await;
    c.post_form(
        "/en/account/profile",
        &[("name", "HO Ka Yan"), ("birthdate", "1960-01-01"), ("phone_number", "+85291112222")],
    )
    .await;
    // Only openid as scope; the birth date by name (and a phone claim the client may not ask for).
    let claims = r#"{"userinfo":{"birthdate":{"essential":true},"phone_number":null}}"#;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let query = format!(
        "response_type=code&client_id={}&redirect_uri={}&scope=openid&claims={}",
        rp.client_id,
        enc("https://lib.example.org/cb"),
        enc(claims)
    );
    let consent = c.get(&format!("/oauth/authorize?{query}")).await.text().await.unwrap();
    assert!(consent.contains("name=\"field\" value=\"birthdate\">"), "offered, not ticked");
    assert!(!consent.contains("value=\"name\""), "only what was asked for");
    assert!(!consent.contains("value=\"phone_number\""), "not a scope this client may use");
    let r = decide(&c, &consent, "allow", &["birthdate"]).await;
    let code = url::Url::parse(&location(&r)).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let (tokens, info) = exchange_and_userinfo(&app, &rp, "https://lib.example.org/cb", &code).await;
    assert_eq!(tokens["scope"], "openid", "claims are not scopes");
    assert_eq!(info["birthdate"], "1960-01-01");
    assert!(info.get("name").is_none() && info.get("phone_number").is_none(), "{info}");
    assert!(id_token_claims(&tokens).get("birthdate").is_none(), "asked for in userinfo only");

    // Asked for in the ID token: already consented, so straight back with a code.
    let in_id_token = r#"{"id_token":{"birthdate":null}}"#;
    let query = format!(
        "response_type=code&client_id={}&redirect_uri={}&scope=openid&claims={}",
        rp.client_id,
        enc("https://lib.example.org/cb"),
        enc(in_id_token)
    );
    let r = c.get(&format!("/oauth/authorize?{query}")).await;
    assert!(location(&r).contains("code="), "{}", location(&r));
    // With a refresh token (offline_access, allowed on the consent page).
    let with_offline = query.replace("scope=openid", "scope=openid%20offline_access&prompt=consent");
    let html = c.get(&format!("/oauth/authorize?{with_offline}")).await.text().await.unwrap();
    let r = decide(&c, &html, "allow", &["birthdate"]).await;
    let code = url::Url::parse(&location(&r)).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let (tokens, _) = exchange_and_userinfo(&app, &rp, "https://lib.example.org/cb", &code).await;
    assert_eq!(tokens["scope"], "openid offline_access");
    let id = id_token_claims(&tokens);
    assert_eq!(id["birthdate"], "1960-01-01", "{id}");
    assert!(id.get("name").is_none(), "{id}");
    // The grant holds internal markers for the claims; introspection and a refresh show only OAuth scopes.
    let introspect = |token: String| {
        let (app, rp) = (&app, &rp);
        async move {
            let r = app
                .client()
                .http
                .post(app.url("/oauth/introspect"))
                .basic_auth(&rp.client_id, rp.client_secret.as_deref())
                .form(&[("token", token)])
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        }
    };
    for kind in ["access_token", "refresh_token"] {
        let seen = introspect(tokens[kind].as_str().unwrap().to_owned()).await;
        let expected = "openid offline_access";
        assert_eq!((seen["active"].clone(), seen["scope"].clone()), (true.into(), expected.into()), "{kind}: {seen}");
    }
    let refreshed: Value = app
        .client()
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&rp.client_id, rp.client_secret.as_deref())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refreshed["scope"], "openid offline_access", "{refreshed}");
    let seen = introspect(refreshed["access_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(seen["scope"], "openid offline_access");

    let bad = format!(
        "response_type=code&client_id={}&redirect_uri={}&scope=openid&claims=%7Bnot-json",
        rp.client_id,
        enc("https://lib.example.org/cb")
    );
    let r = c.get(&format!("/oauth/authorize?{bad}")).await;
    assert!(location(&r).contains("error=invalid_request"));
}
both_backends!(the_claims_parameter_asks_for_single_fields);

/// Exchanges a code as the client, then calls userinfo with the access token.
pub(crate) async fn exchange_and_userinfo(
    app: &platform::testkit::TestApp,
    rp: &identity::oidc::CreatedClient,
    redirect: &str,
    code: &str,
) -> (Value, Value) {
    let tokens: Value = app
        .client()
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&rp.client_id, rp.client_secret.as_deref())
        .form(&[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let info: Value = app
        .client()
        .http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (tokens, info)
}

/// A number proven by SMS code is released as verified; any other is not.
async fn the_proven_mobile_number_is_released_as_verified(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = service(&app, "Clinic", "https://clinic.example.org/cb", &["phone"]).await;
    let c = crate::phone::registered_number(&app, "6234 5678").await;
    c.post_form("/en/account/profile", &[("phone_number", "+85262345678")]).await;
    let query = format!(
        "response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fclinic.example.org%2Fcb&scope=openid%20phone&state=s",
        rp.client_id
    );
    let consent = c.get(&format!("/oauth/authorize?{query}")).await.text().await.unwrap();
    let r = decide(&c, &consent, "allow", &["phone_number"]).await;
    let code = url::Url::parse(&location(&r)).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let (_, info) = exchange_and_userinfo(&app, &rp, "https://clinic.example.org/cb", &code).await;
    assert_eq!(info["phone_number"], "+85262345678");
    assert_eq!(info["phone_number_verified"], true);
    assert!(info.get("email").is_none(), "the account has no e-mail address");
}
both_backends!(the_proven_mobile_number_is_released_as_verified);
