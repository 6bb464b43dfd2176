//! Passkeys over HTTP: adding one, signing in with it instead of a password,
//! using it for the second step, and every way a ceremony can be refused.
//!
//! The authenticator here is software (a P-256 key that answers as a
//! platform authenticator would, with "none" attestation); the server side
//! is the real one. The browser suite drives Chromium's own virtual
//! authenticator through the real page script.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use platform::both_backends;
use platform::testkit::webauthn::SoftAuthenticator;
use platform::testkit::{Backend, TestApp, TestClient};
use serde_json::{Value, json};

use crate::support::*;

/// A passkey for the app's relying party (loopback is served as `localhost`).
fn authenticator(app: &TestApp) -> SoftAuthenticator {
    SoftAuthenticator::new(format!("http://localhost:{}", app.addr.port()))
}

/// Posts to an options endpoint as the page script does (CSRF header).
pub async fn options(client: &TestClient, path: &str) -> reqwest::Response {
    let token = client.csrf_token().await;
    client
        .http
        .post(client.url(path))
        .header("x-csrf-token", token)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
}

async fn options_json(client: &TestClient, path: &str) -> Value {
    let r = options(client, path).await;
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

/// Adds a passkey to the signed-in client's account.
pub async fn add_passkey(client: &TestClient, authenticator: &mut SoftAuthenticator, name: &str) {
    let o = options_json(client, "/en/account/passkeys/options").await;
    assert_eq!(o["publicKey"]["authenticatorSelection"]["residentKey"], "preferred");
    assert_eq!(o["publicKey"]["authenticatorSelection"]["userVerification"], "required");
    let answer = authenticator.create(&o).to_string();
    let r = client.post_form("/en/account/passkeys", &[("name", name), ("credential", &answer)]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/en/account/passkeys?added=1");
}

/// Signs `client` in with the passkey (no e-mail address, no password).
async fn passkey_sign_in(client: &TestClient, authenticator: &mut SoftAuthenticator, next: &str) -> reqwest::Response {
    let o = options_json(client, "/en/sign-in/passkey/options").await;
    assert_eq!(o["publicKey"]["allowCredentials"].as_array().map_or(0, Vec::len), 0, "discoverable: no list");
    let answer = authenticator.get(&o, true).to_string();
    client.post_form("/en/sign-in/passkey", &[("credential", &answer), ("next", next)]).await
}

async fn add_then_sign_in_without_a_password(backend: Backend) {
    let app = spawn(backend).await;
    let client = registered(&app, "lam@example.org").await;
    let mut phone = authenticator(&app);
    add_passkey(&client, &mut phone, "My phone").await;

    let html = client.get("/en/account/passkeys?added=1").await.text().await.unwrap();
    assert!(html.contains("Your passkey has been added."), "{html}");
    assert!(html.contains("<td>My phone</td>"));
    assert!(html.contains("<td>Not yet</td>"), "never used yet");
    assert!(client.get("/en/account/security").await.text().await.unwrap().contains("Passkeys added: 1"));
    assert!(
        mail_to(&app, "lam@example.org").await.iter().any(|m| m
            .subject
            .as_deref()
            .unwrap_or("")
            .contains("passkey was added"))
    );

    // A new browser, nobody signed in: the passkey alone signs in, and goes on to `next`.
    let fresh = app.client();
    let r = passkey_sign_in(&fresh, &mut phone, "/en/account/profile").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/en/account/profile");
    assert!(r.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("lr_passkey=;")));
    assert_eq!(fresh.get("/en/account").await.status(), 200);
    let html = fresh.get("/en/account/passkeys").await.text().await.unwrap();
    assert!(!html.contains("<td>Not yet</td>"), "last use recorded");
    let activity = fresh.get("/en/account/security").await.text().await.unwrap();
    assert!(activity.contains("Passkey added"));
    let data: Value = fresh.get("/en/account/data.json").await.json().await.unwrap();
    assert_eq!(data["passkeys"][0]["name"], "My phone");

    // The ceremony is single-use: the same answer again is refused.
    let o = options_json(&fresh, "/en/sign-in/passkey/options").await;
    let answer = phone.get(&o, true).to_string();
    let first = fresh.post_form("/en/sign-in/passkey", &[("credential", &answer)]).await;
    assert_eq!(first.status(), 303);
    let again = fresh.post_form("/en/sign-in/passkey", &[("credential", &answer)]).await;
    assert_eq!(again.status(), 422);
    assert!(again.text().await.unwrap().contains("That passkey request ran out of time."));
}
both_backends!(add_then_sign_in_without_a_password);

async fn refused_answers_sign_nobody_in(backend: Backend) {
    let app = spawn(backend).await;
    let client = registered(&app, "ho@example.org").await;
    let mut phone = authenticator(&app);
    add_passkey(&client, &mut phone, "").await;
    // No name given: the device's name in words (the test client's user agent is not one we know).
    let html = client.get("/en/account/passkeys").await.text().await.unwrap();
    assert_eq!(html.matches("<td>").count(), 4, "one passkey row: {html}");

    let stranger = app.client();
    // Person not verified on the device: refused (user verification is required).
    let o = options_json(&stranger, "/en/sign-in/passkey/options").await;
    let answer = phone.get(&o, false).to_string();
    let r = stranger.post_form("/en/sign-in/passkey", &[("credential", &answer)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("That passkey is not recognised."));

    // A key the server does not know (an unregistered device).
    let mut unknown = authenticator(&app);
    unknown.user_handle = phone.user_handle.clone();
    let o = options_json(&stranger, "/en/sign-in/passkey/options").await;
    let answer = unknown.get(&o, true).to_string();
    let r = stranger.post_form("/en/sign-in/passkey", &[("credential", &answer)]).await;
    assert_eq!(r.status(), 422);

    // A phishing site's origin.
    let o = options_json(&stranger, "/en/sign-in/passkey/options").await;
    phone.origin = "https://lionrock.example.net".to_owned();
    let answer = phone.get(&o, true).to_string();
    phone.origin = format!("http://localhost:{}", app.addr.port());
    let r = stranger.post_form("/en/sign-in/passkey", &[("credential", &answer)]).await;
    assert_eq!(r.status(), 422);

    // A replayed signature counter (a cloned key) is refused.
    let o = options_json(&stranger, "/en/sign-in/passkey/options").await;
    let answer = phone.get(&o, true).to_string();
    assert_eq!(stranger.post_form("/en/sign-in/passkey", &[("credential", &answer)]).await.status(), 303);
    let signed_in = app.client();
    let o = options_json(&signed_in, "/en/sign-in/passkey/options").await;
    phone.counter -= 1;
    let answer = phone.get(&o, true).to_string();
    let r = signed_in.post_form("/en/sign-in/passkey", &[("credential", &answer)]).await;
    assert_eq!(r.status(), 422, "counter went backwards");

    // An answer without a ceremony, garbage, and nothing at all.
    let other = app.client();
    let r = other.post_form("/en/sign-in/passkey", &[("credential", &answer)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("That passkey request ran out of time."));
    options_json(&other, "/en/sign-in/passkey/options").await;
    let r = other.post_form("/en/sign-in/passkey", &[("credential", "{not json")]).await;
    assert_eq!(r.status(), 422);
    options_json(&other, "/en/sign-in/passkey/options").await;
    let r = other.post_form("/en/sign-in/passkey", &[("credential", "")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Your browser did not send a passkey."));
    assert_eq!(other.get("/en/account").await.status(), 401);

    // Options need the CSRF header like any other unsafe request.
    let r = other.http.post(other.url("/en/sign-in/passkey/options")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // Adding needs a session.
    let r = options(&other, "/en/account/passkeys/options").await;
    assert_eq!(r.status(), 401);
}
both_backends!(refused_answers_sign_nobody_in);

async fn a_registration_ceremony_belongs_to_its_account_and_purpose(backend: Backend) {
    let app = spawn(backend).await;
    let client = registered(&app, "yip@example.org").await;
    let mut phone = authenticator(&app);

    // A sign-in ceremony cannot be finished as a registration.
    let o = options_json(&client, "/en/sign-in/passkey/options").await;
    let mut fake = o.clone();
    fake["publicKey"]["rp"] = json!({ "id": "localhost", "name": "Lionrock" });
    fake["publicKey"]["user"] = json!({ "id": B64.encode([1u8; 16]), "name": "x", "displayName": "x" });
    let answer = phone.create(&fake).to_string();
    let r = client.post_form("/en/account/passkeys", &[("name", "x"), ("credential", &answer)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("That passkey request ran out of time."));

    // A challenge answered for a different challenge is refused, and nothing is stored.
    let o = options_json(&client, "/en/account/passkeys/options").await;
    let mut other = o.clone();
    other["publicKey"]["challenge"] = json!(B64.encode([7u8; 32]));
    let answer = phone.create(&other).to_string();
    let r = client.post_form("/en/account/passkeys", &[("name", "x"), ("credential", &answer)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("The passkey could not be added."));
    assert!(
        client.get("/en/account/passkeys").await.text().await.unwrap().contains("You have not added a passkey yet.")
    );

    // Once added, the same credential cannot be added twice (it is excluded, and refused).
    add_passkey(&client, &mut phone, "Phone").await;
    let o = options_json(&client, "/en/account/passkeys/options").await;
    assert_eq!(o["publicKey"]["excludeCredentials"][0]["id"], B64.encode(&phone.credential_id));
    let answer = phone.create(&o).to_string();
    let r = client.post_form("/en/account/passkeys", &[("name", "Again"), ("credential", &answer)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("That passkey has already been added."));

    // Someone else cannot remove it; its owner can, and is told.
    let intruder = registered(&app, "intruder@example.org").await;
    let html = client.get("/en/account/passkeys").await.text().await.unwrap();
    let start = html.find("name=\"id\" value=\"").unwrap() + "name=\"id\" value=\"".len();
    let id = &html[start..start + 36];
    assert_eq!(intruder.post_form("/en/account/passkeys/remove", &[("id", id)]).await.status(), 404);
    let r = client.post_form("/en/account/passkeys/remove", &[("id", id)]).await;
    assert_eq!(r.status(), 303);
    assert!(
        client.get("/en/account/passkeys").await.text().await.unwrap().contains("You have not added a passkey yet.")
    );
    assert!(
        mail_to(&app, "yip@example.org").await.iter().any(|m| m
            .subject
            .as_deref()
            .unwrap_or("")
            .contains("passkey was removed"))
    );
    // A removed passkey signs nobody in.
    let fresh = app.client();
    let r = passkey_sign_in(&fresh, &mut phone, "").await;
    assert_eq!(r.status(), 422);
}
both_backends!(a_registration_ceremony_belongs_to_its_account_and_purpose);

async fn passkey_as_the_second_step(backend: Backend) {
    let app = spawn(backend).await;
    let client = registered(&app, "fung@example.org").await;
    let mut phone = authenticator(&app);
    add_passkey(&client, &mut phone, "Phone").await;
    crate::two_step::enrol(&app, &client).await;

    client.post_form("/en/sign-out", &[]).await;
    let r = sign_in(&client, "fung@example.org", PASSWORD).await;
    assert_eq!(location(&r), "/en/sign-in/two-step");
    let html = client.get("/en/sign-in/two-step").await.text().await.unwrap();
    assert!(html.contains("Use a passkey instead"), "both ways offered");
    assert!(html.contains("name=\"code\""));

    // The second-step options list this account's passkeys only.
    let o = options_json(&client, "/en/sign-in/two-step/passkey/options").await;
    assert_eq!(o["publicKey"]["allowCredentials"][0]["id"], B64.encode(&phone.credential_id));
    // A wrong answer spends a try.
    let bad = phone.get(&o, false).to_string();
    let r = client.post_form("/en/sign-in/two-step", &[("credential", &bad)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("You have 4 tries left."));
    assert_eq!(client.get("/en/account").await.status(), 401);
    // A right one signs in (as a passkey sign-in).
    let o = options_json(&client, "/en/sign-in/two-step/passkey/options").await;
    let good = phone.get(&o, true).to_string();
    let r = client.post_form("/en/sign-in/two-step", &[("credential", &good)]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/en/account");
    assert_eq!(client.get("/en/account").await.status(), 200);

    // Without a sign-in waiting for its second step there are no options.
    assert_eq!(options(&app.client(), "/en/sign-in/two-step/passkey/options").await.status(), 404);
}
both_backends!(passkey_as_the_second_step);

async fn an_ip_address_cannot_be_a_relying_party(backend: Backend) {
    let app =
        app().backend(backend).config(|c| c.server.public_url = "http://192.0.2.10:8080".to_owned()).spawn().await;
    let client = registered(&app, "ng@example.org").await;
    assert_eq!(options(&client, "/en/account/passkeys/options").await.status(), 404);
    let html = client.get("/en/account/passkeys").await.text().await.unwrap();
    assert!(html.contains("Passkeys are not available on this server."));
    let html = app.client().get("/en/sign-in").await.text().await.unwrap();
    assert!(!html.contains("data-passkey"), "no passkey button");
}
both_backends!(an_ip_address_cannot_be_a_relying_party);

/// Changing how one signs in needs a recent sign-in, not just an open session.
async fn an_old_session_must_sign_in_again_to_change_sign_in_methods(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let app = spawn(backend).await;
    let client = registered(&app, "stale@example.org").await;
    // The session's sign-in happened long ago (the principal's time is rewritten).
    app.db()
        .execute_unprepared(
            "UPDATE session SET principal = replace(principal, '\"authenticated_at\":', '\"authenticated_at\":1,\"x\":')",
        )
        .await
        .unwrap();
    let again = "/en/sign-in?next=%2Fen%2Faccount%2Fpasskeys&reauth=1";
    let r = client.get("/en/account/passkeys").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), again);
    assert_eq!(options(&client, "/en/account/passkeys/options").await.status(), 403);
    let r = client.post_form("/en/account/passkeys", &[("name", "x"), ("credential", "{}")]).await;
    assert_eq!(location(&r), again);
    let r = client.get("/en/account/two-step").await;
    assert_eq!(location(&r), "/en/sign-in?next=%2Fen%2Faccount%2Ftwo-step&reauth=1");
    // A POST-only action returns to the page its form is on (`RecentSignIn` with the route's `ReturnTo`).
    for (action, page) in [
        ("/en/account/passkeys/remove", "%2Fen%2Faccount%2Fpasskeys"),
        ("/en/account/two-step/disable", "%2Fen%2Faccount%2Ftwo-step"),
        ("/en/account/sign-in-details/verify", "%2Fen%2Faccount%2Fsign-in-details"),
    ] {
        let r = client.post_form(action, &[("id", "x"), ("code", "123456")]).await;
        assert_eq!(location(&r), format!("/en/sign-in?next={page}&reauth=1"), "{action}");
    }
    let page = client.get(again).await.text().await.unwrap();
    assert!(page.contains("For your security, sign in again before you change how you sign in."));

    // Signing in again (the form carries `next`) makes the change possible.
    let r = client
        .post_form(
            "/en/sign-in",
            &[("email", "stale@example.org"), ("password", PASSWORD), ("next", "/en/account/passkeys")],
        )
        .await;
    assert_eq!(location(&r), "/en/account/passkeys");
    assert_eq!(client.get("/en/account/passkeys").await.status(), 200);
    assert_eq!(options(&client, "/en/account/passkeys/options").await.status(), 200);
}
both_backends!(an_old_session_must_sign_in_again_to_change_sign_in_methods);
