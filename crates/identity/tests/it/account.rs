//! Account basics: changing the password (ending the other sessions),
//! turning two-step verification off without leaving a weak password,
//! services' tokens ending with recovery and deletion, the whole data
//! download, and re-signing in before a change (the `RecentSignIn` guard).

use platform::both_backends;
use platform::testkit::{Backend, TestApp, TestClient};
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::support::*;

const NEW_PASSWORD: &str = "lantern ferry kite harbour";

/// Makes every session's sign-in look long ago (its principal's time rewritten).
async fn age_sessions(app: &TestApp) {
    app.db()
        .execute_unprepared(
            "UPDATE session SET principal = replace(principal, '\"authenticated_at\":', '\"authenticated_at\":1,\"x\":')",
        )
        .await
        .unwrap();
}

/// Another device signed in to the same account.
async fn second_device(app: &TestApp, email: &str, password: &str) -> TestClient {
    let other = app.client();
    assert_eq!(location(&sign_in(&other, email, password).await), "/en/account");
    other
}

async fn a_resident_changes_their_password_and_ends_the_other_sessions(backend: Backend) {
    let app = spawn(backend).await;
    let client = registered(&app, "newpass@example.org").await;
    let other = second_device(&app, "newpass@example.org", PASSWORD).await;
    let page = client.get("/en/account/password").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"end_others\" value=\"1\" checked"), "ending the others is the default");
    assert!(html.contains("autocomplete=\"current-password\"") && html.contains("autocomplete=\"new-password\""));
    assert!(client.get("/zh-hk/account/password").await.text().await.unwrap().contains("更改密碼"));

    // Precise errors: a wrong current password (counted in the database), a weak new one.
    let r = client
        .post_form(
            "/en/account/password",
            &[("current_password", "not my password"), ("password", NEW_PASSWORD), ("end_others", "1")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("The current password is not correct."));
    assert!(html.contains("href=\"#current_password\""), "the error summary links to the field");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sign_in_throttle WHERE failures > 0").await, 2, "address and network");
    let r = client
        .post_form(
            "/en/account/password",
            &[("current_password", PASSWORD), ("password", "short"), ("end_others", "1")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("at least 15 characters"));

    let r = client
        .post_form(
            "/en/account/password",
            &[("current_password", PASSWORD), ("password", NEW_PASSWORD), ("end_others", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/account/password?changed=1");
    assert!(client.get(&location(&r)).await.text().await.unwrap().contains("Your password is changed."));
    assert_eq!(other.get("/en/account").await.status(), 401, "the other device is signed out");
    assert_eq!(client.get("/en/account").await.status(), 200, "this one stays");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM session").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'account.password_change'").await, 1);
    let told = mail_to(&app, "newpass@example.org").await;
    assert!(told.last().unwrap().body.contains("signed out on every other device"), "the owner is told");
    assert_eq!(sign_in(&app.client(), "newpass@example.org", PASSWORD).await.status(), 422, "the old one is gone");
    second_device(&app, "newpass@example.org", NEW_PASSWORD).await;
    assert!(platform::audit::verify(app.db(), &app.state.keys, None).await.unwrap().ok);
}
both_backends!(a_resident_changes_their_password_and_ends_the_other_sessions);

async fn other_sessions_may_be_kept(backend: Backend) {
    let app = spawn(backend).await;
    let client = registered(&app, "keep@example.org").await;
    let other = second_device(&app, "keep@example.org", PASSWORD).await;
    // The box unticked: no `end_others` in the form.
    let r =
        client.post_form("/en/account/password", &[("current_password", PASSWORD), ("password", NEW_PASSWORD)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(other.get("/en/account").await.status(), 200);
    assert!(
        mail_to(&app, "keep@example.org")
            .await
            .last()
            .unwrap()
            .body
            .contains("password of your Lionrock account was changed.")
    );
}
both_backends!(other_sessions_may_be_kept);

/// Every change of how one signs in asks for a recent sign-in, by GET and by
/// POST, and comes back to its page afterwards.
async fn changes_need_a_recent_sign_in(backend: Backend) {
    let app = spawn(backend).await;
    let client = registered(&app, "stale.change@example.org").await;
    age_sessions(&app).await;
    let again = |page: &str| {
        format!(
            "/en/sign-in?next={}&reauth=1",
            url::form_urlencoded::byte_serialize(page.as_bytes()).collect::<String>()
        )
    };
    for (path, back) in [
        ("/en/account/password", "/en/account/password"),
        ("/en/account/two-step", "/en/account/two-step"),
        ("/en/account/passkeys", "/en/account/passkeys"),
        ("/en/account/sign-in-details", "/en/account/sign-in-details"),
        // Everything we keep, documents and dependants included.
        ("/en/account/data.json", "/en/account/data.json"),
    ] {
        let r = client.get(path).await;
        assert_eq!((r.status().as_u16(), location(&r)), (303, again(back)), "GET {path}");
    }
    for (path, back) in [
        ("/en/account/password", "/en/account/password"),
        ("/en/account/two-step/disable", "/en/account/two-step"),
        ("/en/account/passkeys/remove", "/en/account/passkeys"),
        ("/en/account/sign-in-details/verify", "/en/account/sign-in-details"),
    ] {
        let r = client.post_form(path, &[("current_password", PASSWORD), ("password", NEW_PASSWORD)]).await;
        assert_eq!((r.status().as_u16(), location(&r)), (303, again(back)), "POST {path}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'account.password_change'").await, 0);
    let r = client
        .post_form(
            "/en/sign-in",
            &[("email", "stale.change@example.org"), ("password", PASSWORD), ("next", "/en/account/password")],
        )
        .await;
    assert_eq!(location(&r), "/en/account/password");
    assert_eq!(client.get("/en/account/password").await.status(), 200);
    assert_eq!(app.client().get("/en/account/password").await.status(), 401);
}
both_backends!(changes_need_a_recent_sign_in);

/// With two-step verification on, an 8-character password is allowed;
/// turning it off then asks for a password long enough to stand alone.
async fn turning_two_step_off_never_leaves_a_short_password(backend: Backend) {
    let app = spawn(backend).await;
    let client = registered(&app, "short.pass@example.org").await;
    let (_, codes, _) = crate::two_step::enrol(&app, &client).await;
    let short = "kite mist rain";
    let r = client.post_form("/en/account/password", &[("current_password", PASSWORD), ("password", short)]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());

    let page = client.get("/en/account/two-step").await.text().await.unwrap();
    assert!(page.contains("must be at least 15 characters long"), "the form says when a new one is needed");
    // The current password alone is too short: refused, still on.
    let r = client.post_form("/en/account/two-step/disable", &[("code", &codes[0]), ("current_password", short)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("too short to be used without two-step verification"));
    // A new one that is too short itself: refused too.
    let r = client
        .post_form(
            "/en/account/two-step/disable",
            &[("code", &codes[0]), ("current_password", short), ("password", "ferry tram")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("at least 15 characters long"));
    assert!(client.get("/en/account").await.text().await.unwrap().contains("<dd>On · "));
    // A wrong current password: refused, and the guess counted.
    let r = client
        .post_form(
            "/en/account/two-step/disable",
            &[("code", &codes[0]), ("current_password", "wrong password"), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("The current password is not correct."));
    // In the same step, a long enough new password: off, and it is the password now.
    let r = client
        .post_form(
            "/en/account/two-step/disable",
            &[("code", &codes[0]), ("current_password", short), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(client.get("/en/account").await.text().await.unwrap().contains("<dd>Off · "));
    client.post_form("/en/sign-out", &[]).await;
    assert_eq!(sign_in(&client, "short.pass@example.org", short).await.status(), 422);
    assert_eq!(location(&sign_in(&client, "short.pass@example.org", NEW_PASSWORD).await), "/en/account");
}
both_backends!(turning_two_step_off_never_leaves_a_short_password);

async fn introspect(client: &TestClient, rp: &crate::oidc::Rp, token: &str) -> Value {
    let r = client
        .http
        .post(client.url("/oauth/introspect"))
        .basic_auth(&rp.id, rp.secret.clone())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

async fn refresh(client: &TestClient, rp: &crate::oidc::Rp, refresh_token: &str) -> (u16, Value) {
    let r = client
        .http
        .post(client.url("/oauth/token"))
        .basic_auth(&rp.id, rp.secret.clone())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A service's tokens for the resident: (access, refresh).
async fn tokens(client: &TestClient, rp: &crate::oidc::Rp) -> (String, String) {
    let code = crate::oidc::authorize_for_tests(client, rp).await;
    let t = crate::oidc::exchange_for_tests(client, rp, &code).await;
    (t["access_token"].as_str().unwrap().to_owned(), t["refresh_token"].as_str().unwrap().to_owned())
}

async fn assert_revoked(client: &TestClient, rp: &crate::oidc::Rp, (access, refresh_token): &(String, String)) {
    assert_eq!(introspect(client, rp, access).await["active"], false);
    assert_eq!(introspect(client, rp, refresh_token).await["active"], false);
    let (status, body) = refresh(client, rp, refresh_token).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
}

/// Recovery and a deletion request end what services hold, not only sessions.
async fn recovery_and_deletion_revoke_services_tokens(backend: Backend) {
    let app = spawn(backend).await;
    let rp = crate::oidc::register_rp(&app, false).await;

    let recovered = registered(&app, "recovered@example.org").await;
    let held = tokens(&recovered, &rp).await;
    let bystander = registered(&app, "bystander@example.org").await;
    let kept = tokens(&bystander, &rp).await;
    assert_eq!(introspect(&recovered, &rp, &held.0).await["active"], true);
    let r = app.client().post_form("/en/recover", &[("email", "recovered@example.org")]).await;
    let v = location(&r).rsplit('=').next().unwrap().to_owned();
    let code = latest_code(&app, "recovered@example.org").await;
    let r =
        app.client().post_form("/en/recover/reset", &[("v", &v), ("code", &code), ("password", NEW_PASSWORD)]).await;
    assert_eq!(location(&r), "/en/sign-in?recovered=1");
    assert_revoked(&recovered, &rp, &held).await;
    assert_eq!(introspect(&bystander, &rp, &kept.0).await["active"], true, "other accounts keep theirs");

    let leaving = registered(&app, "leaving.rp@example.org").await;
    let held = tokens(&leaving, &rp).await;
    // A code issued a moment before, not yet exchanged.
    let unexchanged = crate::oidc::authorize_for_tests(&leaving, &rp).await;
    let r = leaving.post_form("/en/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(r.status(), 200);
    assert_revoked(&leaving, &rp, &held).await;
    let (status, answer) = crate::oidc::try_exchange_for_tests(&app.client(), &rp, &unexchanged).await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_grant")), "{answer}");
    assert_eq!(introspect(&bystander, &rp, &kept.1).await["active"], true);
}
both_backends!(recovery_and_deletion_revoke_services_tokens);

/// The download holds every kind of thing we keep about the person, each
/// section with the data in it.
async fn the_data_download_holds_everything_we_keep(backend: Backend) {
    let app = spawn(backend).await;
    let resident = registered(&app, "everything@example.org").await;
    let r = resident.post_form("/en/account/profile", &[("name_zh", "陳大文"), ("address", "1 Harbour Road")]).await;
    assert_eq!(r.status(), 200);
    let r = resident
        .post_form(
            "/en/account/dependants",
            &[("name", "CHAN Siu Ming"), ("birthdate", "2015-04-01"), ("relation", "child")],
        )
        .await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    verify_identity(&app, "everything@example.org").await;
    // A service the resident shared one field with.
    let rp = service(&app, "Elderly Centre", "https://centre.example.org/cb", &["profile"]).await;
    let ask = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state=s",
        rp.client_id,
        url::form_urlencoded::byte_serialize(b"https://centre.example.org/cb").collect::<String>()
    );
    let html = resident.get(&ask).await.text().await.unwrap();
    let r = decide(&resident, &html, "allow", &["name"]).await;
    assert_eq!(r.status(), 303);

    let data: Value = resident.get("/en/account/data.json").await.json().await.unwrap();
    let account = &data["account"];
    assert_eq!(account["email"], "everything@example.org");
    assert_eq!(account["identity_level"], "real_name");
    assert_eq!(account["two_step_verification"], false);
    assert_eq!(account["language"], "en", "the language notices go out in");
    let profile = data["profile"].as_array().unwrap();
    let field = |name: &str| profile.iter().find(|f| f["field"] == name).cloned().unwrap_or_default();
    assert_eq!(
        (field("name_zh")["value"].as_str(), field("name_zh")["source"].as_str()),
        (Some("陳大文"), Some("self"))
    );
    assert_eq!(field("name")["value"], "CHAN Tai Man");
    assert_eq!(field("name")["source"], "officer");
    let documents = data["identity_documents"].as_array().unwrap();
    assert_eq!(documents.len(), 1);
    assert_eq!((documents[0]["kind"].as_str(), documents[0]["number"].as_str()), (Some("hkid"), Some("A123***(3)")));
    assert_eq!(documents[0]["source"], "officer");
    assert_eq!(field("name")["document_id"], documents[0]["id"], "the name names what vouches for it");
    let dependants = data["dependants"].as_array().unwrap();
    assert_eq!(dependants.len(), 1);
    assert_eq!(dependants[0]["relation"], "child");
    assert!(dependants[0]["profile"].as_array().unwrap().iter().any(|f| f["value"] == "CHAN Siu Ming"));
    let services = data["connected_services"].as_array().unwrap();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0]["service"], "Elderly Centre");
    assert_eq!(services[0]["fields"], serde_json::json!(["name"]), "consent per field");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
    assert!(data["activity"].as_array().unwrap().iter().any(|a| a["action"] == "account.sign_in"));
    assert!(data["passkeys"].is_array());
    let text = data.to_string();
    assert!(!text.contains("A123456"), "the document number only masked");
    assert!(!text.contains("argon2"), "no password hash");
}
both_backends!(the_data_download_holds_everything_we_keep);
