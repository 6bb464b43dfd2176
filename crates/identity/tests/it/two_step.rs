//! Two-step verification: enrolment, the second step of sign-in, replay
//! protection, recovery codes, turning it off.

use platform::both_backends;
use platform::testkit::{Backend, TestApp, TestClient};
use sea_orm::ConnectionTrait;

use crate::support::*;

/// Turns two-step verification on; returns (secret, recovery codes, the code used).
pub(crate) async fn enrol(app: &TestApp, client: &TestClient) -> (String, Vec<String>, String) {
    let page = client.get("/en/account/two-step").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("src=\"data:image/svg+xml;base64,"), "a QR code");
    let start = html.find("id=\"secret\">").unwrap() + "id=\"secret\">".len();
    let secret: String = html[start..start + html[start..].find('<').unwrap()].replace(' ', "");
    let code = identity::two_step::current_code(&secret).unwrap();
    let r = client.post_form("/en/account/two-step", &[("code", &code)]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Two-step verification is now on."));
    let codes: Vec<String> = html.split("<li><code>").skip(1).map(|s| s[..s.find('<').unwrap()].to_owned()).collect();
    assert_eq!(codes.len(), 10);
    assert!(mail_to(app, &account_email(client).await).await.iter().any(|m| m.body.contains("turned on")));
    (secret, codes, code)
}

async fn account_email(client: &TestClient) -> String {
    let html = client.get("/en/account").await.text().await.unwrap();
    let start = html.find("<dd>").unwrap() + 4;
    html[start..start + html[start..].find('<').unwrap()].to_owned()
}

/// Signs out, then signs in with the password: lands on the second step.
async fn password_step(client: &TestClient, email: &str) {
    client.post_form("/en/sign-out", &[]).await;
    let r = sign_in(client, email, PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/sign-in/two-step");
    assert_eq!(client.get("/en/account").await.status(), 401, "not signed in after the password alone");
}

async fn sign_in_needs_the_app_code_once(backend: Backend) {
    let app = spawn(backend).await;
    let client = registered(&app, "kwok@example.org").await;
    let (_, _, code) = enrol(&app, &client).await;
    assert!(client.get("/en/account").await.text().await.unwrap().contains("<dd>On · "));

    password_step(&client, "kwok@example.org").await;
    // The code used to turn it on cannot be used again (one use per time step).
    let r = client.post_form("/en/sign-in/two-step", &[("code", &code)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("You have 4 tries left."));
    // A later step's code works (we rewind the record instead of waiting 30 s).
    app.db().execute_unprepared("UPDATE totp_authenticator SET last_step = 0").await.unwrap();
    let r = client.post_form("/en/sign-in/two-step", &[("code", &code)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/account");
    assert_eq!(client.get("/en/account").await.status(), 200);
}
both_backends!(sign_in_needs_the_app_code_once);

async fn recovery_codes_work_once_and_are_reported(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let client = registered(&app, "lam@example.org").await;
    let (_, codes, _) = enrol(&app, &client).await;
    password_step(&client, "lam@example.org").await;
    let r = client.post_form("/en/sign-in/two-step", &[("code", &codes[3].to_lowercase())]).await;
    assert_eq!(r.status(), 303, "recovery codes are accepted in any case");
    let mail = mail_to(&app, "lam@example.org").await;
    assert!(mail.last().unwrap().body.contains("You have 9 recovery codes left"), "{}", mail.last().unwrap().body);

    password_step(&client, "lam@example.org").await;
    let r = client.post_form("/en/sign-in/two-step", &[("code", &codes[3])]).await;
    assert_eq!(r.status(), 422, "a recovery code works once");
}
both_backends!(recovery_codes_work_once_and_are_reported);

async fn too_many_wrong_codes_end_the_sign_in(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let client = registered(&app, "tse@example.org").await;
    enrol(&app, &client).await;
    password_step(&client, "tse@example.org").await;
    for _ in 0..4 {
        assert_eq!(client.post_form("/en/sign-in/two-step", &[("code", "000000")]).await.status(), 422);
    }
    let r = client.post_form("/en/sign-in/two-step", &[("code", "000000")]).await;
    assert!(r.text().await.unwrap().contains("Sign in again."));
    // The challenge is gone: the second-step page sends back to the start.
    let r = client.get("/en/sign-in/two-step").await;
    assert_eq!(location(&r), "/en/sign-in");
}
both_backends!(too_many_wrong_codes_end_the_sign_in);

async fn the_second_step_needs_a_password_first(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let r = app.client().get("/en/sign-in/two-step").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/sign-in");
    let r = app.client().post_form("/en/sign-in/two-step", &[("code", "123456")]).await;
    assert_eq!(location(&r), "/en/sign-in");
}
both_backends!(the_second_step_needs_a_password_first);

async fn turning_it_off_needs_a_code(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let client = registered(&app, "mak@example.org").await;
    let (_, codes, _) = enrol(&app, &client).await;
    let r =
        client.post_form("/en/account/two-step/disable", &[("code", "000000"), ("current_password", PASSWORD)]).await;
    assert_eq!(r.status(), 422);
    let r =
        client.post_form("/en/account/two-step/disable", &[("code", &codes[0]), ("current_password", PASSWORD)]).await;
    assert_eq!(r.status(), 303);
    assert!(client.get("/en/account").await.text().await.unwrap().contains("<dd>Off · "));
    assert!(mail_to(&app, "mak@example.org").await.last().unwrap().body.contains("turned off"));
    // Signing in needs only the password again.
    client.post_form("/en/sign-out", &[]).await;
    assert_eq!(location(&sign_in(&client, "mak@example.org", PASSWORD).await), "/en/account");
}
both_backends!(turning_it_off_needs_a_code);

async fn enrolment_keeps_its_secret_until_confirmed(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let client = registered(&app, "so@example.org").await;
    let first = client.get("/en/account/two-step").await.text().await.unwrap();
    let r = client.post_form("/en/account/two-step", &[("code", "000000")]).await;
    assert_eq!(r.status(), 422);
    let again = r.text().await.unwrap();
    let secret = |html: &str| {
        let start = html.find("id=\"secret\">").unwrap() + 12;
        html[start..start + html[start..].find('<').unwrap()].to_owned()
    };
    assert_eq!(secret(&first), secret(&again), "a wrong code does not change the secret already scanned");
}
both_backends!(enrolment_keeps_its_secret_until_confirmed);
