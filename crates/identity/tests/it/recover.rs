//! Account recovery: a code by e-mail and a new password; every session
//! ends, the owner is told, and two-step verification is not bypassed.

use crate::support::*;
use platform::both_backends;
use platform::testkit::Backend;

async fn start(client: &platform::testkit::TestClient, email: &str) -> String {
    let r = client.post_form("/en/recover", &[("email", email)]).await;
    assert_eq!(r.status(), 303);
    let loc = location(&r);
    assert!(loc.starts_with("/en/recover/reset?v="), "{loc}");
    loc.rsplit('=').next().unwrap().to_owned()
}

async fn a_reset_changes_the_password_and_ends_every_session(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let old_device = registered(&app, "forgot@example.org").await;
    let c = app.client();
    assert!(c.get("/en/sign-in").await.text().await.unwrap().contains("href=\"/en/recover\""));
    let v = start(&c, "forgot@example.org").await;
    let code = latest_code(&app, "forgot@example.org").await;
    let r =
        c.post_form("/en/recover/reset", &[("v", &v), ("code", &code), ("password", "new lantern harbour tram")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/sign-in?recovered=1");
    assert!(c.get("/en/sign-in?recovered=1").await.text().await.unwrap().contains("Your password has been changed"));

    assert_eq!(old_device.get("/en/account").await.status(), 401, "signed out everywhere");
    assert!(mail_to(&app, "forgot@example.org").await.last().unwrap().body.contains("was reset"));
    assert_eq!(sign_in(&c, "forgot@example.org", PASSWORD).await.status(), 422, "the old password is gone");
    assert_eq!(location(&sign_in(&c, "forgot@example.org", "new lantern harbour tram").await), "/en/account");
}
both_backends!(a_reset_changes_the_password_and_ends_every_session);

async fn unknown_addresses_get_the_same_answer_and_no_mail(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let v = start(&app.client(), "nobody-here@example.org").await;
    assert!(mail_to(&app, "nobody-here@example.org").await.is_empty());
    let r = app
        .client()
        .post_form("/en/recover/reset", &[("v", &v), ("code", "123456"), ("password", "new lantern harbour tram")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("The code is not correct."));
}
both_backends!(unknown_addresses_get_the_same_answer_and_no_mail);

async fn codes_are_for_one_purpose_and_the_policy_applies(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    // A registration code cannot reset a password.
    let registration = register(&c, "en", "purpose@example.org").await;
    let code = latest_code(&app, "purpose@example.org").await;
    let r = c
        .post_form(
            "/en/recover/reset",
            &[("v", &registration), ("code", &code), ("password", "new lantern harbour tram")],
        )
        .await;
    assert_eq!(r.status(), 404);

    let v = start(&c, "purpose@example.org").await;
    let code = latest_code(&app, "purpose@example.org").await;
    let r = c.post_form("/en/recover/reset", &[("v", &v), ("code", &code), ("password", "short")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("at least 15 characters"));
    // Recovery also proves the address: a pending account becomes usable.
    let r =
        c.post_form("/en/recover/reset", &[("v", &v), ("code", &code), ("password", "new lantern harbour tram")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&sign_in(&c, "purpose@example.org", "new lantern harbour tram").await), "/en/account");
}
both_backends!(codes_are_for_one_purpose_and_the_policy_applies);

async fn recovery_does_not_bypass_two_step_verification(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let client = registered(&app, "guarded@example.org").await;
    // Turn on two-step verification.
    let html = client.get("/en/account/two-step").await.text().await.unwrap();
    let start_at = html.find("id=\"secret\">").unwrap() + 12;
    let secret = html[start_at..start_at + html[start_at..].find('<').unwrap()].replace(' ', "");
    let code = identity::two_step::current_code(&secret).unwrap();
    assert_eq!(client.post_form("/en/account/two-step", &[("code", &code)]).await.status(), 200);

    let c = app.client();
    let v = start(&c, "guarded@example.org").await;
    let mail_code = latest_code(&app, "guarded@example.org").await;
    let new = "kite mist over the harbour";
    let r = c.post_form("/en/recover/reset", &[("v", &v), ("code", &mail_code), ("password", new)]).await;
    assert_eq!(r.status(), 303);
    let r = sign_in(&c, "guarded@example.org", new).await;
    assert_eq!(location(&r), "/en/sign-in/two-step", "the authenticator is still asked for");
}
both_backends!(recovery_does_not_bypass_two_step_verification);

/// The reset form asks the same of every account: whoever holds the link,
/// with or without the e-mail code, cannot tell whether two-step
/// verification is on (it once allowed a shorter password when it was).
async fn the_reset_form_does_not_tell_whether_two_step_verification_is_on(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let guarded = registered(&app, "guarded@example.org").await;
    let _ = crate::two_step::enrol(&app, &guarded).await;
    let _ = registered(&app, "plain@example.org").await;
    let short = "kite mist tram"; // long enough with a second factor, not without
    let mut pages = Vec::new();
    for email in ["guarded@example.org", "plain@example.org"] {
        let c = app.client();
        let v = start(&c, email).await;
        let code = latest_code(&app, email).await;
        let mut seen = Vec::new();
        for code in ["000000", code.as_str()] {
            let r = c.post_form("/en/recover/reset", &[("v", &v), ("code", code), ("password", short)]).await;
            assert_eq!(r.status(), 422, "{email}");
            let html = r.text().await.unwrap().replace(&v, "V");
            seen.push(html.lines().filter(|l| !l.contains("csrf")).collect::<Vec<_>>().join("\n"));
        }
        assert!(seen[1].contains("must be at least 15 characters long"), "{}", seen[1]);
        pages.push(seen);
    }
    assert_eq!(pages[0], pages[1], "the pages are the same whether or not two-step verification is on");
}
both_backends!(the_reset_form_does_not_tell_whether_two_step_verification_is_on);
