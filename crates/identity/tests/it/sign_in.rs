//! Signing in and out, throttling without account enumeration, sessions.

use platform::both_backends;
use platform::testkit::Backend;

use sea_orm::ConnectionTrait;

use crate::support::*;

async fn sign_out_and_in_again(backend: Backend) {
    let app = spawn(backend).await;
    let client = registered(&app, "chan@example.org").await;
    let r = client.post_form("/en/sign-out", &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(client.get("/en/account").await.status(), 401);

    let r = sign_in(&client, "Chan@Example.org", PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/account");
    assert_eq!(client.get("/en/account").await.status(), 200);
}
both_backends!(sign_out_and_in_again);

async fn wrong_password_and_unknown_address_answer_alike(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let _ = registered(&app, "tam@example.org").await;
    let c = app.client();
    let wrong = sign_in(&c, "tam@example.org", "not the password at all").await;
    let unknown = sign_in(&c, "nobody@example.org", "not the password at all").await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(unknown.status(), 422);
    let (a, b) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(a.contains("The e-mail address, mobile number or password is not correct."));
    let strip = |s: &str| s.replace("tam@example.org", "X").replace("nobody@example.org", "X");
    let (a, b) = (strip(&a), strip(&b));
    let without_token = |s: &str| s.lines().filter(|l| !l.contains("csrf")).collect::<Vec<_>>().join("\n");
    assert_eq!(without_token(&a), without_token(&b), "the pages differ only in the address typed");
}
both_backends!(wrong_password_and_unknown_address_answer_alike);

async fn repeated_failures_throttle_the_address_whether_or_not_it_exists(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let _ = registered(&app, "fung@example.org").await;
    for email in ["fung@example.org", "ghost@example.org"] {
        let c = app.client();
        for _ in 0..5 {
            assert_eq!(sign_in(&c, email, "wrong password attempt").await.status(), 422);
        }
        let r = sign_in(&c, email, "wrong password attempt").await;
        assert_eq!(r.status(), 429, "{email}");
        assert!(r.text().await.unwrap().contains("Too many attempts"), "{email}");
    }
    // While throttled, even the right password waits.
    let r = sign_in(&app.client(), "fung@example.org", PASSWORD).await;
    assert_eq!(r.status(), 429);
    // Other addresses are unaffected.
    let _ = registered(&app, "other@example.org").await;
}
both_backends!(repeated_failures_throttle_the_address_whether_or_not_it_exists);

/// Waiting out the longest wait does not start a fresh run with free
/// guesses: the next failure counts on and waits again.
async fn waiting_out_the_longest_wait_keeps_the_count(backend: Backend) {
    use identity::store::throttle;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = app().backend(backend).spawn().await;
    let _ = registered(&app, "long@example.org").await;
    let c = app.client();
    for _ in 0..5 {
        assert_eq!(sign_in(&c, "long@example.org", "wrong password attempt").await.status(), 422);
    }
    // Twelve failures, the last an hour and a minute ago; its hour-long wait is over.
    let now = platform::db::now();
    throttle::Entity::update_many()
        .col_expr(throttle::Column::Failures, Expr::value(12))
        .col_expr(throttle::Column::UpdatedAt, Expr::value(now - std::time::Duration::from_secs(61 * 60)))
        .col_expr(throttle::Column::ThrottledUntil, Expr::value(now - std::time::Duration::from_secs(60)))
        .filter(throttle::Column::Failures.gte(5))
        .exec(app.db())
        .await
        .unwrap();
    assert_eq!(sign_in(&c, "long@example.org", "wrong password attempt").await.status(), 422, "checked");
    let r = sign_in(&c, "long@example.org", PASSWORD).await;
    assert_eq!(r.status(), 429, "the thirteenth failure waits again, even for the right password");
}
both_backends!(waiting_out_the_longest_wait_keeps_the_count);

/// Guesses are counted before the password is checked, in one statement:
/// thirty wrong passwords at once get the five the rules allow, and every
/// one of them is counted (no lost update), on both databases.
async fn a_parallel_burst_of_wrong_passwords_gets_no_extra_guesses(backend: Backend) {
    use sea_orm::EntityTrait;
    let app = app().backend(backend).config(|c| c.limits.sensitive_per_ip_per_minute = 10_000).spawn().await;
    let _ = registered(&app, "burst@example.org").await;
    let c = app.client();
    let token = c.csrf_token().await;
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..30 {
        let (c, token) = (c.clone(), token.clone());
        attempts.spawn(async move {
            let password = format!("wrong password number {i}");
            let form = [("email", "burst@example.org"), ("password", password.as_str()), ("_csrf", token.as_str())];
            c.http.post(c.url("/en/sign-in")).form(&form).send().await.unwrap().status().as_u16()
        });
    }
    let statuses = attempts.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 422).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 25), "{statuses:?}");

    let rows = identity::store::throttle::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(rows.len(), 2, "one for the address, one for the network address");
    for row in &rows {
        assert_eq!(usize::try_from(row.failures).unwrap(), checked, "every checked guess counted, no other");
    }
    let waits: Vec<_> = rows.iter().map(|r| r.throttled_until.map(|u| u - r.updated_at)).collect();
    assert!(waits.contains(&Some(time::Duration::seconds(30))), "the fifth failure: 30 s ({waits:?})");
    assert!(waits.contains(&None), "the network address has more room ({waits:?})");

    // While the wait runs, the right password is refused too, and not counted.
    assert_eq!(sign_in(&app.client(), "burst@example.org", PASSWORD).await.status(), 429);
    let rows = identity::store::throttle::Entity::find().all(app.db()).await.unwrap();
    assert!(rows.iter().all(|r| r.failures == 5), "{rows:?}");
}
both_backends!(a_parallel_burst_of_wrong_passwords_gets_no_extra_guesses);

/// A right password ends the address's run and gives the network address
/// its guess back: signing in never brings a shared address nearer its wait.
async fn a_right_password_does_not_count_against_the_network_address(backend: Backend) {
    let app = app().backend(backend).config(|c| c.limits.sensitive_per_ip_per_minute = 10_000).spawn().await;
    let _ = registered(&app, "office@example.org").await;
    let c = app.client();
    for i in 0..19 {
        assert_eq!(sign_in(&c, &format!("typo{i}@example.org"), "wrong password attempt").await.status(), 422);
    }
    for _ in 0..3 {
        assert_eq!(sign_in(&app.client(), "office@example.org", PASSWORD).await.status(), 303);
    }
    // The twentieth failure is checked (and starts the wait); the next one waits.
    assert_eq!(sign_in(&c, "typo19@example.org", "wrong password attempt").await.status(), 422);
    assert_eq!(sign_in(&c, "typo20@example.org", "wrong password attempt").await.status(), 429);

    // Past its free failures, with the wait over: a right password must not
    // leave a new wait behind for everyone else at the same address.
    app.db()
        .execute_unprepared("UPDATE sign_in_throttle SET throttled_until = '2020-01-01 00:00:00+00:00'")
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(sign_in(&app.client(), "office@example.org", PASSWORD).await.status(), 303);
    }
}
both_backends!(a_right_password_does_not_count_against_the_network_address);

async fn an_unverified_account_is_sent_to_verification(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let _ = register(&app.client(), "en", "pending@example.org").await;
    let c = app.client();
    let r = sign_in(&c, "pending@example.org", PASSWORD).await;
    assert_eq!(r.status(), 303);
    let loc = location(&r);
    assert!(loc.starts_with("/en/verify?v="), "{loc}");
    assert_eq!(mail_to(&app, "pending@example.org").await.len(), 2, "a fresh code was sent");
    let v = loc.rsplit('=').next().unwrap();
    let code = latest_code(&app, "pending@example.org").await;
    let r = enter_code(&c, v, &code).await;
    assert_eq!(location(&r), "/en/account");
}
both_backends!(an_unverified_account_is_sent_to_verification);

async fn signing_in_replaces_any_earlier_session(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let client = registered(&app, "yip@example.org").await;
    let before = app.db().clone();
    let sessions = || async {
        use sea_orm::EntityTrait;
        platform::session::entity::Entity::find().all(&before).await.unwrap().len()
    };
    assert_eq!(sessions().await, 1);
    let r = sign_in(&client, "yip@example.org", PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(sessions().await, 1, "the old session was revoked, not kept beside the new one");
    assert_eq!(client.get("/en/account").await.status(), 200);
}
both_backends!(signing_in_replaces_any_earlier_session);

async fn the_header_offers_sign_in_or_the_account(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let anonymous = app.client().get("/zh-cn/").await.text().await.unwrap();
    assert!(anonymous.contains("<a href=\"/zh-cn/sign-in\">登录</a>"), "{anonymous}");
    assert!(!anonymous.contains("/zh-cn/account"));
    let client = registered(&app, "nav@example.org").await;
    let signed_in = client.get("/zh-cn/").await.text().await.unwrap();
    assert!(signed_in.contains("<a href=\"/zh-cn/account\">你的账户</a>"));
    assert!(!signed_in.contains("/zh-cn/sign-in"));
    let account = client.get("/en/account").await.text().await.unwrap();
    assert!(account.contains("<a href=\"/en/account\" aria-current=\"page\">Your account</a>"));
}
both_backends!(the_header_offers_sign_in_or_the_account);

async fn one_address_guessing_many_accounts_is_throttled_in_the_database(backend: Backend) {
    let app = app()
        .backend(backend)
        .config(|c| {
            c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            c.limits.sensitive_per_ip_per_minute = 10_000;
        })
        .spawn()
        .await;
    let _ = registered(&app, "victim@example.org").await;
    let c = app.client();
    let token = c.csrf_token().await;
    let attempt = |email: String, ip: &'static str| {
        let (c, token) = (c.clone(), token.clone());
        async move {
            c.http
                .post(c.url("/en/sign-in"))
                .header("x-forwarded-for", ip)
                .form(&[("email", email.as_str()), ("password", "guess guess guess"), ("_csrf", token.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Twenty failures, each against a different address, from one network address.
    for i in 0..20 {
        assert_eq!(attempt(format!("spray{i}@example.org"), "198.51.100.7").await, 422);
    }
    assert_eq!(attempt("victim@example.org".to_owned(), "198.51.100.7").await, 429, "that address now waits");
    // The counter is per address: another one is not held back.
    let other = app.client();
    let r = other
        .http
        .post(other.url("/en/sign-in"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[("email", "victim@example.org"), ("password", PASSWORD), ("_csrf", other.csrf_token().await.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}
both_backends!(one_address_guessing_many_accounts_is_throttled_in_the_database);

/// The sign-in page lets its form lead back to a service only for that
/// service's own registered redirect URI: `next` cannot add any other origin.
async fn the_sign_in_page_adds_only_a_registered_services_origin_to_form_action(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let client = service(&app, "Harbour Library", "https://library.example:8443/cb", &[]).await;
    let csp = |path: String| {
        let c = app.client();
        async move { c.get(&path).await.headers()["content-security-policy"].to_str().unwrap().to_owned() }
    };
    let authorize = |redirect: &str| {
        let redirect: String = url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect();
        let next = format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri={redirect}&scope=openid",
            client.client_id
        );
        let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        format!("/en/sign-in?next={next}")
    };
    let form_action = |policy: String| {
        policy.split(';').map(str::trim).find(|d| d.starts_with("form-action")).unwrap_or_default().to_owned()
    };
    assert_eq!(
        form_action(csp(authorize("https://library.example:8443/cb")).await),
        "form-action 'self' https://library.example:8443"
    );
    for path in [
        authorize("https://evil.example/cb"),
        "/en/sign-in".to_owned(),
        "/en/sign-in?next=https%3A%2F%2Fevil.example%2F".to_owned(),
    ] {
        assert_eq!(form_action(csp(path.clone()).await), "form-action 'self'", "{path}");
    }
    // The form shown again after a wrong password keeps the service's origin (its `next` is in the POST).
    let with_next = authorize("https://library.example:8443/cb");
    let encoded = with_next.split_once("next=").unwrap().1;
    let next: String = url::form_urlencoded::parse(format!("n={encoded}").as_bytes()).next().unwrap().1.into_owned();
    let c = app.client();
    let r = c
        .post_form(
            "/en/sign-in",
            &[("email", "nobody@example.org"), ("password", "wrong password here"), ("next", &next)],
        )
        .await;
    assert_eq!(r.status(), 422);
    let policy = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_eq!(form_action(policy), "form-action 'self' https://library.example:8443");
}
both_backends!(the_sign_in_page_adds_only_a_registered_services_origin_to_form_action);
