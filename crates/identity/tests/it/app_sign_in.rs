//! "Sign in with the app": a QR code on the waiting browser, approval on a
//! device that is already signed in, single use, bound to the browser.

use platform::both_backends;
use platform::testkit::{Backend, TestApp, TestClient};
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::support::*;

/// Opens the waiting page; returns the request id and the approval link's code.
pub(crate) async fn start(waiting: &TestClient) -> (String, String) {
    let r = waiting.get("/en/sign-in/app").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store", "a one-time code is never cached");
    let html = r.text().await.unwrap();
    assert!(html.contains("Scan this code with your phone"));
    let id = html.split("name=\"id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let code = html.split("/en/sign-in/approve?c=").nth(1).unwrap().split('"').next().unwrap().to_owned();
    (id, code)
}

async fn status(client: &TestClient, id: &str) -> (u16, Value) {
    let r = client.get(&format!("/sign-in/app/status?id={id}&wait=0")).await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(Value::Null))
}

async fn decide(phone: &TestClient, code: &str, decision: &str) -> reqwest::Response {
    phone.post_form("/en/sign-in/approve", &[("c", code), ("decision", decision)]).await
}

async fn approve_and_sign_in(backend: Backend) {
    let app = spawn(backend).await;
    let phone = registered(&app, "app@example.org").await;
    let laptop = app.client();
    let (id, code) = start(&laptop).await;
    assert_eq!(status(&laptop, &id).await.1["status"], "pending");

    // Too early: the page says so and the request still stands.
    let early = laptop.post_form("/en/sign-in/app", &[("id", &id)]).await;
    assert_eq!(early.status(), 422);
    assert!(early.text().await.unwrap().contains("You have not approved this sign-in on your phone yet."));

    let page = phone.get(&format!("/en/sign-in/approve?c={code}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("A browser is asking to sign in to your account."));
    assert!(html.contains("127.0.0.1"), "the approver sees where the request comes from");
    let approved = decide(&phone, &code, "approve").await;
    assert_eq!(approved.status(), 200);
    assert!(approved.text().await.unwrap().contains("Approved. Continue on the other device."));
    assert_eq!(status(&laptop, &id).await.1["status"], "approved");

    let done = laptop.post_form("/en/sign-in/app", &[("id", &id)]).await;
    assert_eq!(location(&done), "/en/account");
    assert_eq!(laptop.get("/en/account").await.status(), 200);
    let audit = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().get_database_backend(),
            "SELECT COUNT(*) FROM audit_log WHERE action = 'account.app_sign_in_approved'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(audit, 1);

    // Single use: neither side can use the code again.
    assert_eq!(decide(&phone, &code, "approve").await.status(), 410);
    assert_eq!(phone.get(&format!("/en/sign-in/approve?c={code}")).await.status(), 410);
    let again = app.client();
    let replay = again.post_form("/en/sign-in/app", &[("id", &id)]).await;
    assert_eq!(replay.status(), 422);
}

both_backends!(approve_and_sign_in);

#[tokio::test]
async fn the_request_is_bound_to_the_browser_that_asked() {
    let app = app().spawn().await;
    let phone = registered(&app, "bound@example.org").await;
    let laptop = app.client();
    let (id, code) = start(&laptop).await;
    decide(&phone, &code, "approve").await;

    // Someone who saw the QR code (or the id) gets nothing.
    let onlooker = app.client();
    assert_eq!(status(&onlooker, &id).await.0, 404);
    let stolen = onlooker.post_form("/en/sign-in/app", &[("id", &id)]).await;
    assert_eq!(stolen.status(), 422);
    assert_eq!(onlooker.get("/en/account").await.status(), 401);

    // The real browser still completes.
    let done = laptop.post_form("/en/sign-in/app", &[("id", &id)]).await;
    assert_eq!(location(&done), "/en/account");
}

#[tokio::test]
async fn refused_and_expired_requests_sign_nobody_in() {
    let app: TestApp = app().spawn().await;
    let phone = registered(&app, "deny@example.org").await;
    let laptop = app.client();
    let (id, code) = start(&laptop).await;
    let refused = decide(&phone, &code, "deny").await;
    assert!(refused.text().await.unwrap().contains("Refused. Nobody was signed in."));
    assert_eq!(status(&laptop, &id).await.1["status"], "denied");
    let r = laptop.post_form("/en/sign-in/app", &[("id", &id)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("The sign-in was refused on your phone."));
    assert_eq!(laptop.get("/en/account").await.status(), 401);

    let (id, code) = start(&laptop).await;
    app.db().execute_unprepared("UPDATE app_sign_in SET expires_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    assert_eq!(status(&laptop, &id).await.1["status"], "expired");
    assert_eq!(decide(&phone, &code, "approve").await.status(), 410);
    let r = laptop.post_form("/en/sign-in/app", &[("id", &id)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("This sign-in code has run out or has been used."));

    // A bad decision value is a clear error, and approving needs a session.
    let (_, code) = start(&laptop).await;
    assert_eq!(decide(&phone, &code, "maybe").await.status(), 400);
    assert_eq!(decide(&app.client(), &code, "approve").await.status(), 401);
    let r = app.client().get(&format!("/en/sign-in/approve?c={code}")).await;
    let to = location(&r);
    assert!(to.starts_with("/en/sign-in?next=%2Fen%2Fsign-in%2Fapprove%3Fc%3D"), "{to}");

    // Ended requests are purged by the periodic job a day after they run out.
    app.state.run_jobs().await;
    let left = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().get_database_backend(),
            "SELECT COUNT(*) FROM app_sign_in WHERE expires_at < '2001-01-01 00:00:00+00:00'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_waiting_status_request_returns_when_approved() {
    let app = app().spawn().await;
    let phone = registered(&app, "wait@example.org").await;
    let laptop = app.client();
    let (id, code) = start(&laptop).await;
    // The long poll is held open (no wait=0) and answers once the phone approves.
    let held = {
        let laptop = laptop.clone();
        let id = id.clone();
        tokio::spawn(
            async move { laptop.get(&format!("/sign-in/app/status?id={id}")).await.json::<Value>().await.unwrap() },
        )
    };
    decide(&phone, &code, "approve").await;
    assert_eq!(held.await.unwrap()["status"], "approved");
}

#[tokio::test]
async fn the_phone_side_needs_a_signed_in_resident() {
    let app = spawn(Backend::Sqlite).await;
    assert_eq!(app.client().get("/en/sign-in/scan").await.status(), 401);
    let phone = registered(&app, "scan@example.org").await;
    let account = phone.get("/en/account").await.text().await.unwrap();
    assert!(account.contains(r#"href="/en/sign-in/scan""#), "linked from the account page");
    let html = phone.get("/en/sign-in/scan").await.text().await.unwrap();
    assert!(html.contains("<h1>Sign in on another device</h1>"));
    // The script may only follow this site's own approval links.
    assert!(html.contains(r#"data-approve="/en/sign-in/approve""#));
}

/// Two servers on one PostgreSQL: the browser waits on one, the phone
/// approves on the other, and the held status request hears of it through
/// the event bus (there is no polling of the database any more).
#[tokio::test]
async fn a_browser_waiting_on_another_server_hears_the_approval() {
    use std::time::Duration;
    if platform::testkit::service_env(platform::testkit::POSTGRES_ENV, "PostgreSQL").is_none() {
        return;
    }
    let a = spawn(Backend::Postgres).await;
    let b = app().same_database_as(&a).spawn().await;
    platform::testkit::eventually("server b to listen for events", Duration::from_secs(30), || async {
        b.state.events.is_listening().then_some(())
    })
    .await;
    let phone = registered(&a, "two-servers@example.org").await;
    let laptop = b.client();
    let (id, code) = start(&laptop).await;
    assert_eq!(status(&laptop, &id).await.1["status"], "pending");
    let held = {
        let laptop = laptop.clone();
        let id = id.clone();
        tokio::spawn(async move {
            laptop.get(&format!("/sign-in/app/status?id={id}&wait=20")).await.json::<Value>().await.unwrap()
        })
    };
    // Let the held request reach its wait (if it is slower, it reads "approved" at once).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(decide(&phone, &code, "approve").await.status(), 200);
    // Without the event, the held request would answer "pending" when its 20 s ran out.
    assert_eq!(held.await.unwrap()["status"], "approved");
}
