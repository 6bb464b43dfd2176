//! The security and privacy page: sessions, connected services, activity,
//! and the data download.

use serde_json::Value;

use crate::oidc::register_rp;
use crate::support::*;
use platform::both_backends;
use platform::testkit::Backend;

fn session_ids(html: &str) -> Vec<String> {
    html.split("name=\"id\" value=\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_owned()).collect()
}

async fn residents_see_and_end_their_sessions(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let laptop = registered(&app, "sec@example.org").await;
    let phone = app.client();
    assert_eq!(location(&sign_in(&phone, "sec@example.org", PASSWORD).await), "/en/account");

    let html = laptop.get("/en/account/security").await.text().await.unwrap();
    assert!(html.contains("This device"));
    // Times are shown in the configured zone (Hong Kong by default), not UTC.
    assert!(html.contains(" HKT</td>") && !html.contains(" UTC"), "{html}");
    let others = session_ids(&html);
    assert_eq!(others.len(), 1, "one other session, with a sign-out button");
    assert!(html.contains("Signed in"), "activity lists the sign-ins");

    // Someone else cannot end it.
    let stranger = registered(&app, "stranger@example.org").await;
    stranger.post_form("/en/account/sessions/end", &[("id", &others[0])]).await;
    assert_eq!(phone.get("/en/account").await.status(), 200);

    let r = laptop.post_form("/en/account/sessions/end", &[("id", &others[0])]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(phone.get("/en/account").await.status(), 401, "the other device is signed out");
    assert_eq!(laptop.get("/en/account").await.status(), 200);
}
both_backends!(residents_see_and_end_their_sessions);

/// A session's device is named by browser and system, or "Unknown device":
/// the user-agent text is the signing-in browser's to choose (an attacker's
/// "call our helpdesk" included), so the resident's own page never shows it.
async fn the_sessions_list_never_shows_the_raw_user_agent(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let laptop = registered(&app, "ua@example.org").await;
    let other = app.client();
    let token = other.csrf_token().await;
    let fields = [("email", "ua@example.org"), ("password", PASSWORD), (platform::web::CSRF_FIELD, token.as_str())];
    let hostile = "Lionrock Helpdesk: call 5555 0100 <b>now</b>";
    let r = other.http.post(other.url("/en/sign-in")).header("user-agent", hostile).form(&fields).send().await.unwrap();
    assert_eq!(location(&r), "/en/account");

    let html = laptop.get("/en/account/security").await.text().await.unwrap();
    assert!(html.contains("Unknown device"), "{html}");
    assert!(!html.contains("Helpdesk") && !html.contains("5555"), "{html}");
}
both_backends!(the_sessions_list_never_shows_the_raw_user_agent);

async fn connected_services_can_be_disconnected(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let rp = register_rp(&app, false).await;
    let resident = registered(&app, "conn@example.org").await;
    let html = resident.get("/en/account/security").await.text().await.unwrap();
    assert!(html.contains("You have not used your Lionrock account with any other service."));

    // Consent through the provider, and get tokens.
    let code = crate::oidc::authorize_for_tests(&resident, &rp).await;
    let tokens = crate::oidc::exchange_for_tests(&app.client(), &rp, &code).await;
    let html = resident.get("/en/account/security").await.text().await.unwrap();
    assert!(html.contains("<strong>Harbour Library</strong>"));

    let r = resident.post_form("/en/account/connected/remove", &[("client_id", &rp.id)]).await;
    assert_eq!(r.status(), 303);
    let html = resident.get("/en/account/security").await.text().await.unwrap();
    assert!(!html.contains("Harbour Library"));
    let r = app
        .client()
        .http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "its tokens are revoked");
    // Next time, consent is asked again.
    assert_eq!(resident.get(&crate::oidc::authorize_url_for_tests(&rp)).await.status(), 200);
}
both_backends!(connected_services_can_be_disconnected);

async fn residents_download_their_data(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let resident = registered(&app, "data@example.org").await;
    let r = resident.get("/en/account/data.json").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let data: Value = r.json().await.unwrap();
    assert_eq!(data["account"]["email"], "data@example.org");
    assert_eq!(data["account"]["identity_level"], "basic");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
    assert!(data["activity"].as_array().unwrap().iter().any(|a| a["action"] == "account.sign_in"));
    let text = data.to_string();
    assert!(!text.contains("argon2"), "no password hash");
    assert_eq!(app.client().get("/en/account/data.json").await.status(), 401);
}
both_backends!(residents_download_their_data);

async fn sessions_and_approvals_name_the_place_where_the_operator_knows_it(backend: Backend) {
    let places = std::env::temp_dir().join(format!("lionrock-places-{}.csv", uuid::Uuid::now_v7()));
    std::fs::write(&places, "# test ranges\n127.0.0.0/8, Harbour test lab, 海港測試室, 海港测试室\n").unwrap();
    let file = places.clone();
    let app = app()
        .backend(backend)
        .config(move |c| {
            c.section_mut("identity").insert("places_file".into(), file.display().to_string().into());
        })
        .spawn()
        .await;
    let client = registered(&app, "place@example.org").await;
    let html = client.get("/en/account/security").await.text().await.unwrap();
    assert!(html.contains("<th scope=\"col\">Place</th>"));
    assert!(html.contains("<td>Harbour test lab</td>"), "{html}");
    let html = client.get("/zh-hk/account/security").await.text().await.unwrap();
    assert!(html.contains("<td>海港測試室</td>"));
    // The phone approving a sign-in sees where the asking browser is.
    let (_, code) = crate::app_sign_in::start(&app.client()).await;
    let html = client.get(&format!("/en/sign-in/approve?c={code}")).await.text().await.unwrap();
    assert!(html.contains("<dt>Place</dt><dd>Harbour test lab</dd>"), "{html}");
    std::fs::remove_file(&places).unwrap();

    // Without a places file the column says so.
    let plain = crate::support::app().backend(backend).spawn().await;
    let client = registered(&plain, "noplace@example.org").await;
    assert!(client.get("/en/account/security").await.text().await.unwrap().contains("<td>Unknown</td>"));
}
both_backends!(sessions_and_approvals_name_the_place_where_the_operator_knows_it);
