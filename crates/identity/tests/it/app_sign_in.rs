//! "Sign in with the app": a QR code on the waiting browser, approval on a
//! device that is already signed in (recently), by picking the number the
//! waiting browser shows; single use, bound to the browser; the new session
//! carries the approver's proof, and goes on to `next`.

use platform::both_backends;
use platform::testkit::{Backend, TestApp, TestClient};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel};
use serde_json::Value;

use crate::support::*;

/// A waiting browser's request: its id, the approval link's code, and the
/// number to pick.
pub(crate) struct Waiting {
    pub id: String,
    pub code: String,
    pub number: String,
}

/// Opens the waiting page at `path` (`/en/sign-in/app`, maybe with `next`).
pub(crate) async fn start_at(waiting: &TestClient, path: &str) -> Waiting {
    let r = waiting.get(path).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store", "a one-time code is never cached");
    let html = r.text().await.unwrap();
    assert!(html.contains("Scan this code with your phone"));
    let id = html.split("name=\"id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let code = html.split("/en/sign-in/approve?c=").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let number = html.split("data-number>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(number.len() == 2 && number.bytes().all(|b| b.is_ascii_digit()), "{number}");
    Waiting { id, code, number }
}

/// Opens the waiting page; returns the request id and the approval link's code.
pub(crate) async fn start(waiting: &TestClient) -> (String, String) {
    let w = start_at(waiting, "/en/sign-in/app").await;
    (w.id, w.code)
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

/// Approves by picking `number`.
async fn pick(phone: &TestClient, code: &str, number: &str) -> reqwest::Response {
    phone.post_form("/en/sign-in/approve", &[("c", code), ("decision", "approve"), ("number", number)]).await
}

/// The numbers the approval page offers.
fn choices(html: &str) -> Vec<String> {
    html.split("name=\"number\" value=\"").skip(1).map(|s| s.split('"').next().unwrap().to_owned()).collect()
}

/// A number the approval page offers that is not the right one.
async fn wrong_number(phone: &TestClient, w: &Waiting) -> String {
    let html = phone.get(&format!("/en/sign-in/approve?c={}", w.code)).await.text().await.unwrap();
    choices(&html).into_iter().find(|n| *n != w.number).unwrap()
}

/// Moves the sign-in of every open session `secs` seconds into the past;
/// returns the new authentication time.
async fn signed_in_ago(app: &TestApp, secs: i64) -> i64 {
    let at = time::OffsetDateTime::now_utc().unix_timestamp() - secs;
    for row in platform::session::entity::Entity::find().all(app.db()).await.unwrap() {
        let mut principal: Value = serde_json::from_str(&row.principal).unwrap();
        principal["authenticated_at"] = at.into();
        let mut row = row.into_active_model();
        row.principal = sea_orm::ActiveValue::Set(principal.to_string());
        row.update(app.db()).await.unwrap();
    }
    at
}

async fn approve_and_sign_in(backend: Backend) {
    let app = spawn(backend).await;
    let phone = registered(&app, "app@example.org").await;
    let laptop = app.client();
    let Waiting { id, code, number } = start_at(&laptop, "/en/sign-in/app").await;
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
    let offered = choices(&html);
    assert_eq!(offered.len(), 6, "{html}");
    assert!(offered.contains(&number), "the right number is among the choices");
    assert!(!html.contains("For the service"), "no service asks");
    let approved = pick(&phone, &code, &number).await;
    assert_eq!(approved.status(), 200);
    assert!(approved.text().await.unwrap().contains("Approved. Continue on the other device."));
    assert_eq!(status(&laptop, &id).await.1["status"], "approved");

    let done = laptop.post_form("/en/sign-in/app", &[("id", &id)]).await;
    assert_eq!(location(&done), "/en/account");
    assert_eq!(laptop.get("/en/account").await.status(), 200);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'account.app_sign_in_approved'").await, 1);

    // Single use: neither side can use the code again.
    assert_eq!(pick(&phone, &code, &number).await.status(), 410);
    assert_eq!(phone.get(&format!("/en/sign-in/approve?c={code}")).await.status(), 410);
    let again = app.client();
    let replay = again.post_form("/en/sign-in/app", &[("id", &id)]).await;
    assert_eq!(replay.status(), 422);
}

both_backends!(approve_and_sign_in);

async fn the_request_is_bound_to_the_browser_that_asked(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let phone = registered(&app, "bound@example.org").await;
    let laptop = app.client();
    let Waiting { id, code, number } = start_at(&laptop, "/en/sign-in/app").await;
    assert_eq!(pick(&phone, &code, &number).await.status(), 200);

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
both_backends!(the_request_is_bound_to_the_browser_that_asked);

async fn refused_and_expired_requests_sign_nobody_in(backend: Backend) {
    let app: TestApp = app().backend(backend).spawn().await;
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

    let Waiting { id, code, number } = start_at(&laptop, "/en/sign-in/app").await;
    app.db().execute_unprepared("UPDATE app_sign_in SET expires_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    assert_eq!(status(&laptop, &id).await.1["status"], "expired");
    assert_eq!(pick(&phone, &code, &number).await.status(), 410);
    let r = laptop.post_form("/en/sign-in/app", &[("id", &id)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("This sign-in code has run out or has been used."));

    // A bad decision value is a clear error, and approving needs a session.
    let Waiting { code, number, .. } = start_at(&laptop, "/en/sign-in/app").await;
    assert_eq!(decide(&phone, &code, "maybe").await.status(), 400);
    assert_eq!(pick(&app.client(), &code, &number).await.status(), 401);
    let r = app.client().get(&format!("/en/sign-in/approve?c={code}")).await;
    let to = location(&r);
    assert!(to.starts_with("/en/sign-in?next=%2Fen%2Fsign-in%2Fapprove%3Fc%3D"), "{to}");

    // Ended requests are purged by the periodic job a day after they run out.
    app.state.run_jobs().await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM app_sign_in WHERE expires_at < '2001-01-01 00:00:00+00:00'").await, 0);
}
both_backends!(refused_and_expired_requests_sign_nobody_in);

async fn a_waiting_status_request_returns_when_approved(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let phone = registered(&app, "wait@example.org").await;
    let laptop = app.client();
    let Waiting { id, code, number } = start_at(&laptop, "/en/sign-in/app").await;
    // The long poll is held open (no wait=0) and answers once the phone approves.
    let held = {
        let laptop = laptop.clone();
        let id = id.clone();
        tokio::spawn(
            async move { laptop.get(&format!("/sign-in/app/status?id={id}")).await.json::<Value>().await.unwrap() },
        )
    };
    pick(&phone, &code, &number).await;
    assert_eq!(held.await.unwrap()["status"], "approved");
}
both_backends!(a_waiting_status_request_returns_when_approved);

async fn the_phone_side_needs_a_signed_in_resident(backend: Backend) {
    let app = spawn(backend).await;
    assert_eq!(app.client().get("/en/sign-in/scan").await.status(), 401);
    let phone = registered(&app, "scan@example.org").await;
    let account = phone.get("/en/account").await.text().await.unwrap();
    assert!(account.contains(r#"href="/en/sign-in/scan""#), "linked from the account page");
    let html = phone.get("/en/sign-in/scan").await.text().await.unwrap();
    assert!(html.contains("<h1>Sign in on another device</h1>"));
    // The script may only follow this site's own approval links.
    assert!(html.contains(r#"data-approve="/en/sign-in/approve""#));
}
both_backends!(the_phone_side_needs_a_signed_in_resident);

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
    let Waiting { id, code, number } = start_at(&laptop, "/en/sign-in/app").await;
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
    assert_eq!(pick(&phone, &code, &number).await.status(), 200);
    // Without the event, the held request would answer "pending" when its 20 s ran out.
    assert_eq!(held.await.unwrap()["status"], "approved");
}

/// The new session is never fresher or stronger than the approving one: it
/// carries the approver's authentication time and strength, and its ID
/// tokens' `amr` adds `mca` (signed in through another device).
async fn the_new_session_carries_the_approvers_proof(backend: Backend) {
    let app = spawn(backend).await;
    let phone = registered(&app, "proof@example.org").await;
    let (_, recovery_codes, _) = crate::two_step::enrol(&app, &phone).await;
    phone.post_form("/en/sign-out", &[]).await;
    assert_eq!(sign_in(&phone, "proof@example.org", PASSWORD).await.status(), 303);
    let r = phone.post_form("/en/sign-in/two-step", &[("code", &recovery_codes[0])]).await;
    assert_eq!(location(&r), "/en/account");
    // The phone signed in ten minutes ago (still recent enough to approve).
    let at = signed_in_ago(&app, 600).await;

    let laptop = app.client();
    let w = start_at(&laptop, "/en/sign-in/app").await;
    assert_eq!(pick(&phone, &w.code, &w.number).await.status(), 200);
    let done = laptop.post_form("/en/sign-in/app", &[("id", &w.id)]).await;
    assert_eq!(location(&done), "/en/account");

    let rp = crate::oidc::register_rp(&app, false).await;
    let code = crate::oidc::authorize_for_tests(&laptop, &rp).await;
    let claims = id_token_claims(&crate::oidc::exchange_for_tests(&laptop, &rp, &code).await);
    assert_eq!(claims["auth_time"], at, "the approver's time, not now");
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa", "mca"]));
    // Nor does it outlive the approver's proof: its absolute end counts from it.
    use sea_orm::QueryOrder;
    let sessions = platform::session::entity::Entity::find()
        .order_by_asc(platform::session::entity::Column::CreatedAt)
        .all(app.db())
        .await
        .unwrap();
    let newest = sessions.last().unwrap();
    assert_eq!(newest.absolute_expires_at.unix_timestamp(), at + 12 * 3600, "proven at `at`, 12 hours at most");

    // A password-only approver gives a password-only session.
    let phone = registered(&app, "proof-pwd@example.org").await;
    let laptop = app.client();
    let w = start_at(&laptop, "/en/sign-in/app").await;
    assert_eq!(pick(&phone, &w.code, &w.number).await.status(), 200);
    laptop.post_form("/en/sign-in/app", &[("id", &w.id)]).await;
    let code = crate::oidc::authorize_for_tests(&laptop, &rp).await;
    let claims = id_token_claims(&crate::oidc::exchange_for_tests(&laptop, &rp, &code).await);
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "mca"]));
    // And the approval's audit entry is the approver's.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'account.app_sign_in_approved'").await, 2);
}

both_backends!(the_new_session_carries_the_approvers_proof);

/// Approving needs a sign-in within the re-sign-in window: a phone whose
/// sign-in is older is sent to sign in again, then back to the approval.
async fn approving_needs_a_recent_sign_in(backend: Backend) {
    let app = spawn(backend).await;
    let phone = registered(&app, "stale@example.org").await;
    signed_in_ago(&app, 16 * 60).await;
    let laptop = app.client();
    let w = start_at(&laptop, "/en/sign-in/app").await;
    let back = format!("/en/sign-in/approve?c={}", w.code);
    let again =
        format!("/en/sign-in?next={}", url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>());

    let page = phone.get(&back).await;
    assert_eq!(page.status(), 303);
    assert_eq!(location(&page), again);
    // The POST checks again: nothing is approved.
    let r = pick(&phone, &w.code, &w.number).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), again);
    let r = decide(&phone, &w.code, "deny").await;
    assert_eq!(location(&r), again);
    assert_eq!(status(&laptop, &w.id).await.1["status"], "pending");

    // Signing in again returns to the approval, which now works.
    let r = phone
        .post_form("/en/sign-in", &[("email", "stale@example.org"), ("password", PASSWORD), ("next", &back)])
        .await;
    assert_eq!(location(&r), back);
    assert_eq!(phone.get(&back).await.status(), 200);
    assert_eq!(pick(&phone, &w.code, &w.number).await.status(), 200);
    assert_eq!(status(&laptop, &w.id).await.1["status"], "approved");
}

both_backends!(approving_needs_a_recent_sign_in);

/// A wrong number refuses and is counted in the database; the second wrong
/// pick ends the request; a missing number is only a form error.
async fn a_wrong_number_is_counted_and_ends_the_request(backend: Backend) {
    let app = spawn(backend).await;
    let phone = registered(&app, "numbers@example.org").await;
    let laptop = app.client();
    let w = start_at(&laptop, "/en/sign-in/app").await;

    let r = phone.post_form("/en/sign-in/approve", &[("c", w.code.as_str()), ("decision", "approve")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r##"<a href="#number">Pick the number shown on the device you are signing in on.</a>"##),
        "{html}"
    );
    assert_eq!(count(&app, "SELECT CAST(MAX(wrong_picks) AS BIGINT) FROM app_sign_in").await, 0, "not a guess");

    // One wrong pick ends the request: a blind tap wins one time in six.
    let wrong = wrong_number(&phone, &w).await;
    let r = pick(&phone, &w.code, &wrong).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("The sign-in was refused and nobody was signed in."));
    assert_eq!(count(&app, "SELECT CAST(MAX(wrong_picks) AS BIGINT) FROM app_sign_in").await, 1);
    assert_eq!(status(&laptop, &w.id).await.1["status"], "denied");
    // Ended: even the right number no longer approves, and nobody is signed in.
    assert_eq!(pick(&phone, &w.code, &w.number).await.status(), 410);
    let r = laptop.post_form("/en/sign-in/app", &[("id", &w.id)]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(laptop.get("/en/account").await.status(), 401);
    let wrong_audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'account.app_sign_in_wrong_number'";
    assert_eq!(count(&app, wrong_audited).await, 1);

    // A new request, picked right: approved.
    let w = start_at(&laptop, "/en/sign-in/app").await;
    assert_eq!(pick(&phone, &w.code, &w.number).await.status(), 200);
    let done = laptop.post_form("/en/sign-in/app", &[("id", &w.id)]).await;
    assert_eq!(location(&done), "/en/account");
}

both_backends!(a_wrong_number_is_counted_and_ends_the_request);

/// Wrong picks count under the approving account across requests: a
/// stream of fresh requests (one blind tap each) runs out like passwords
/// do, the owner is told once, and while the wait runs even the right
/// number approves nothing.
async fn wrong_numbers_count_across_requests_for_the_approver(backend: Backend) {
    // Room in the per-minute request limits: this counts guesses, not requests.
    let app = app()
        .backend(backend)
        .config(|c| {
            c.limits.sensitive_per_ip_per_minute = 10_000;
            c.limits.sensitive_per_account_per_minute = 10_000;
        })
        .spawn()
        .await;
    let phone = registered(&app, "stream@example.org").await;
    for _ in 0..identity::model::FREE_FAILURES {
        let w = start_at(&app.client(), "/en/sign-in/app").await;
        let wrong = wrong_number(&phone, &w).await;
        assert_eq!(pick(&phone, &w.code, &wrong).await.status(), 422);
    }
    let laptop = app.client();
    let w = start_at(&laptop, "/en/sign-in/app").await;
    let r = pick(&phone, &w.code, &w.number).await;
    assert_eq!(r.status(), 429);
    let html = r.text().await.unwrap();
    assert!(html.contains("approving is paused"), "{html}");
    assert_eq!(status(&laptop, &w.id).await.1["status"], "pending", "nothing was approved");
    let r = laptop.post_form("/en/sign-in/app", &[("id", &w.id)]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(laptop.get("/en/account").await.status(), 401);
    let told = "SELECT COUNT(*) FROM outbox WHERE subject = 'Someone is asking you to approve sign-ins'";
    assert_eq!(count(&app, told).await, 1, "the owner is told once");
    let locked = "SELECT COUNT(*) FROM audit_log WHERE action = 'account.app_approvals_locked'";
    assert_eq!(count(&app, locked).await, 1);
}

both_backends!(wrong_numbers_count_across_requests_for_the_approver);

/// Started from a service's sign-in, the flow keeps `next`: the approver
/// sees the service's name, the waiting page's form may lead to the
/// service's origin (CSP form-action), and the browser ends at the
/// authorization request.
async fn a_service_sign_in_returns_to_the_service(backend: Backend) {
    let app = spawn(backend).await;
    let phone = registered(&app, "service@example.org").await;
    let client = service(&app, "Harbour Library", "https://library.example:8443/cb", &[]).await;
    let ask = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=st4te",
        client.client_id,
        url::form_urlencoded::byte_serialize(b"https://library.example:8443/cb").collect::<String>()
    );
    // The service's request is held on the server; sign-in continues it.
    let laptop = app.client();
    let to_sign_in = location(&laptop.get(&ask).await);
    let next = url::Url::parse(&format!("http://x{to_sign_in}"))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "next")
        .expect("sign in, then the request")
        .1
        .into_owned();
    assert!(next.starts_with("/oauth/authorize?pending="), "{next}");
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let form_action = |r: &reqwest::Response| {
        let policy = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
        policy.split(';').map(str::trim).find(|d| d.starts_with("form-action")).unwrap_or_default().to_owned()
    };

    // The sign-in page's link to the app keeps next.
    let html = laptop.get(&format!("/en/sign-in?next={encoded}")).await.text().await.unwrap();
    let link = format!("/en/sign-in/app?next={encoded}");
    assert!(html.contains(&format!(r#"href="{link}""#)), "{html}");
    let r = laptop.get(&link).await;
    assert_eq!(form_action(&r), "form-action 'self' https://library.example:8443");
    let w = start_at(&laptop, &link).await;
    // Without next, only 'self'.
    assert_eq!(form_action(&app.client().get("/en/sign-in/app").await), "form-action 'self'");

    let html = phone.get(&format!("/en/sign-in/approve?c={}", w.code)).await.text().await.unwrap();
    assert!(html.contains("<dt>For the service</dt><dd>Harbour Library</dd>"), "{html}");

    // Too early: the page again, still allowed to lead to the service.
    let early = laptop.post_form("/en/sign-in/app", &[("id", w.id.as_str()), ("next", &next)]).await;
    assert_eq!(early.status(), 422);
    assert_eq!(form_action(&early), "form-action 'self' https://library.example:8443");
    let html = early.text().await.unwrap();
    assert!(html.contains(&format!(r#"name="next" value="{}""#, next.replace('&', "&#38;"))), "{html}");

    assert_eq!(pick(&phone, &w.code, &w.number).await.status(), 200);
    let done = laptop.post_form("/en/sign-in/app", &[("id", w.id.as_str()), ("next", &next)]).await;
    assert_eq!(location(&done), next, "back to the service's request");
    // The request goes on (consent first, for a new service).
    assert_eq!(laptop.get(&next).await.status(), 200);

    // A link that only names a client does not make the approver see its name.
    let forged = app.client();
    let w = start_at(
        &forged,
        &format!("/en/sign-in/app?next={}", url::form_urlencoded::byte_serialize(ask.as_bytes()).collect::<String>()),
    )
    .await;
    let html = phone.get(&format!("/en/sign-in/approve?c={}", w.code)).await.text().await.unwrap();
    assert!(!html.contains("Harbour Library") && !html.contains("For the service"), "{html}");
}

both_backends!(a_service_sign_in_returns_to_the_service);

/// The approval page describes the asking device by browser and system
/// only; the user-agent text itself (which the asker chooses) never shows.
async fn the_approval_page_never_shows_the_raw_user_agent(backend: Backend) {
    let app = spawn(backend).await;
    let phone = registered(&app, "agent@example.org").await;
    let approval = |ua: &'static str| {
        let laptop = app.client();
        let phone = phone.clone();
        async move {
            let r = laptop.http.get(laptop.url("/en/sign-in/app")).header("user-agent", ua).send().await.unwrap();
            let html = r.text().await.unwrap();
            let code = html.split("/en/sign-in/approve?c=").nth(1).unwrap().split('"').next().unwrap().to_owned();
            phone.get(&format!("/en/sign-in/approve?c={code}")).await.text().await.unwrap()
        }
    };
    let html = approval("Mozilla/5.0 (Windows NT 10.0; Win64) Chrome/131.0 Safari/537.36 <b>Your bank</b>").await;
    assert!(html.contains("<dd>Chrome on Windows</dd>"), "{html}");
    assert!(!html.contains("Your bank") && !html.contains("Mozilla"), "{html}");
    let html = approval("Official Lionrock Helpdesk <script>alert(1)</script>").await;
    assert!(html.contains("<dd>Unknown device</dd>"), "{html}");
    assert!(!html.contains("Helpdesk") && !html.contains("alert(1)"), "{html}");
}

both_backends!(the_approval_page_never_shows_the_raw_user_agent);
