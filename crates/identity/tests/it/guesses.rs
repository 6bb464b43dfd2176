//! Guesses at one-time codes and second steps count per account and per
//! address across challenges, in the database; the owner is told once per
//! lock; e-mails are capped per address per day (issue 13 item 2).

use platform::both_backends;
use platform::testkit::{Backend, TestApp, TestClient};
use sea_orm::ConnectionTrait;

use crate::support::*;

const NEW_PASSWORD: &str = "new lantern harbour tram";

fn roomy(backend: Backend) -> platform::testkit::TestAppBuilder {
    app().backend(backend).config(|c| c.limits.sensitive_per_ip_per_minute = 10_000)
}

/// Asks to recover `email`; returns the verification the reset form is for.
async fn recover(client: &TestClient, email: &str) -> String {
    let r = client.post_form("/en/recover", &[("email", email)]).await;
    assert_eq!(r.status(), 303, "{email}");
    location(&r).rsplit('=').next().unwrap().to_owned()
}

async fn reset(client: &TestClient, v: &str, code: &str) -> reqwest::Response {
    client.post_form("/en/recover/reset", &[("v", v), ("code", code), ("password", NEW_PASSWORD)]).await
}

/// A code that is not `right`.
fn wrong(right: &str) -> &'static str {
    if right == "000000" { "111111" } else { "000000" }
}

/// Registers `email` in Chinese (traditional), so that is its language.
async fn registered_in_chinese(app: &TestApp, email: &str) {
    let c = app.client();
    let v = register(&c, "zh-hk", email).await;
    let code = latest_code(app, email).await;
    let r = c.post_form("/zh-hk/verify", &[("v", &v), ("code", &code)]).await;
    assert_eq!(r.status(), 303);
}

fn locks(mail: &[platform::outbox::entity::Model], text: &str) -> usize {
    mail.iter().filter(|m| m.body.contains(text)).count()
}

/// Each recovery request makes a fresh verification with its own five
/// tries, but the wrong codes add up per account and per address: the
/// fifth starts a wait, and then even the right code on a fresh
/// verification is refused. An unknown address (a decoy) answers the same.
/// The owner is told once, in the language they use, not once per guess.
async fn fresh_recovery_codes_share_one_budget(backend: Backend) {
    let app = roomy(backend).spawn().await;
    registered_in_chinese(&app, "budget@example.org").await;
    let mut seen = Vec::new();
    for email in ["budget@example.org", "nobody@example.org"] {
        let c = app.client();
        let mut statuses = Vec::new();
        for _ in 0..5 {
            let v = recover(&c, email).await;
            let right = if email == "nobody@example.org" { String::new() } else { latest_code(&app, email).await };
            let r = reset(&c, &v, wrong(&right)).await;
            statuses.push(r.status().as_u16());
            assert!(r.text().await.unwrap().contains("You have 4 tries left."), "{email}");
        }
        let v = recover(&c, email).await;
        let right = if email == "nobody@example.org" { "123456".to_owned() } else { latest_code(&app, email).await };
        let r = reset(&c, &v, &right).await;
        statuses.push(r.status().as_u16());
        let html = r.text().await.unwrap();
        assert!(html.contains("Too many wrong codes have been entered for this account lately."), "{email}: {html}");
        seen.push(statuses);
    }
    assert_eq!(seen[0], vec![422, 422, 422, 422, 422, 429]);
    assert_eq!(seen[0], seen[1], "a known and an unknown address answer alike");
    assert_eq!(sign_in(&app.client(), "budget@example.org", NEW_PASSWORD).await.status(), 422, "not reset");

    // The owner heard of it once, in their language.
    let mail = mail_to(&app, "budget@example.org").await;
    assert_eq!(locks(&mail, "有人為你的獅子山帳戶輸入了太多錯誤的一次性驗證碼"), 1);
    // After the wait the run goes on: one more wrong code waits again, and is no news.
    app.db()
        .execute_unprepared("UPDATE sign_in_throttle SET throttled_until = '2000-01-01 00:00:00+00:00'")
        .await
        .unwrap();
    let c = app.client();
    let v = recover(&c, "budget@example.org").await;
    let right = latest_code(&app, "budget@example.org").await;
    assert_eq!(reset(&c, &v, wrong(&right)).await.status(), 422);
    assert_eq!(reset(&c, &v, &right).await.status(), 429, "the sixth failure waits longer");
    assert_eq!(locks(&mail_to(&app, "budget@example.org").await, "有人為你的獅子山帳戶"), 1);
    assert!(mail_to(&app, "nobody@example.org").await.is_empty(), "nothing to an address without an account");
}
both_backends!(fresh_recovery_codes_share_one_budget);

/// Thirty wrong codes at once, spread over six fresh verifications (thirty
/// tries between them): the five the account allows are checked and
/// counted, the rest refused, on both databases.
async fn a_parallel_burst_of_wrong_codes_gets_no_extra_guesses(backend: Backend) {
    use sea_orm::EntityTrait;
    let app = roomy(backend).spawn().await;
    let _ = registered(&app, "burst@example.org").await;
    let c = app.client();
    let mut verifications = Vec::new();
    for _ in 0..6 {
        verifications.push(recover(&c, "burst@example.org").await);
    }
    let token = c.csrf_token().await;
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..30 {
        let (c, token, v) = (c.clone(), token.clone(), verifications[i % 6].clone());
        attempts.spawn(async move {
            let code = format!("{:06}", 900_000 + i);
            let form = [("v", v.as_str()), ("code", &code), ("password", NEW_PASSWORD), ("_csrf", &token)];
            c.http.post(c.url("/en/recover/reset")).form(&form).send().await.unwrap().status().as_u16()
        });
    }
    let statuses = attempts.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 422).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 25), "{statuses:?}");

    let rows = identity::store::throttle::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(rows.len(), 2, "one for the account, one for the address: {rows:?}");
    assert!(rows.iter().all(|r| r.failures == 5 && r.throttled_until.is_some()), "{rows:?}");
    let told = locks(&mail_to(&app, "burst@example.org").await, "too many wrong one-time codes");
    assert_eq!(told, 1, "one lock, one notice");
}
both_backends!(a_parallel_burst_of_wrong_codes_gets_no_extra_guesses);

/// Signs in with the right password: the second step is owed.
async fn password_step(client: &TestClient, email: &str) {
    let r = sign_in(client, email, PASSWORD).await;
    assert_eq!(location(&r), "/en/sign-in/two-step");
}

async fn second_step(client: &TestClient, code: &str) -> reqwest::Response {
    client.post_form("/en/sign-in/two-step", &[("code", code)]).await
}

/// A right password does not reset wrong second steps: they add up across
/// sign-ins, the fifth starts a wait that a fresh sign-in does not lift, and
/// the owner is told that someone knows the password.
async fn wrong_second_steps_count_across_sign_ins(backend: Backend) {
    let app = roomy(backend).spawn().await;
    let client = registered(&app, "second@example.org").await;
    let (secret, _, _) = crate::two_step::enrol(&app, &client).await;
    for round in 0..2 {
        let c = app.client();
        password_step(&c, "second@example.org").await;
        for tries in [4, 3] {
            let r = second_step(&c, "000000").await;
            assert_eq!(r.status(), 422, "round {round}");
            assert!(r.text().await.unwrap().contains(&format!("You have {tries} tries left.")));
        }
    }
    let c = app.client();
    password_step(&c, "second@example.org").await;
    assert_eq!(second_step(&c, "000000").await.status(), 422, "the fifth is checked and starts the wait");
    let right = identity::two_step::current_code(&secret).unwrap();
    let r = second_step(&c, &right).await;
    assert_eq!(r.status(), 429);
    let html = r.text().await.unwrap();
    assert!(html.contains("Too many wrong codes have been entered for this account lately."), "{html}");

    // A fresh sign-in with the right password does not lift it.
    let c = app.client();
    password_step(&c, "second@example.org").await;
    let r = second_step(&c, &identity::two_step::current_code(&secret).unwrap()).await;
    assert_eq!(r.status(), 429);
    assert_eq!(c.get("/en/account").await.status(), 401, "not signed in");
    let told = mail_to(&app, "second@example.org").await;
    assert_eq!(locks(&told, "entered too many wrong codes for two-step verification"), 1, "told once");

    // Once the wait is over, the right code signs in and ends the run.
    app.db()
        .execute_unprepared("UPDATE sign_in_throttle SET throttled_until = '2000-01-01 00:00:00+00:00'")
        .await
        .unwrap();
    // The enrolment's time step is used; we rewind the record instead of waiting 30 s.
    app.db().execute_unprepared("UPDATE totp_authenticator SET last_step = 0").await.unwrap();
    let r = second_step(&c, &identity::two_step::current_code(&secret).unwrap()).await;
    assert_eq!(location(&r), "/en/account");
    use sea_orm::EntityTrait;
    let rows = identity::store::throttle::Entity::find().all(app.db()).await.unwrap();
    assert!(rows.iter().all(|r| r.failures == 0), "no run left: {rows:?}");
}
both_backends!(wrong_second_steps_count_across_sign_ins);

/// E-mails are capped per address per day: the (N+1)th recovery request
/// and a resend are refused alike for an address with an account and one
/// without, and nothing more is sent.
async fn the_email_cap_refuses_the_next_send_for_known_and_unknown_addresses(backend: Backend) {
    let app = roomy(backend)
        .config(|c| {
            c.section_mut("identity").insert("email_max_per_address_per_day".into(), 3.into());
        })
        .spawn()
        .await;
    identity::accounts::store::create_user(&app.state, "capped@example.org", PASSWORD, false, vec![]).await.unwrap();
    let mut pages = Vec::new();
    for email in ["capped@example.org", "unknown@example.org"] {
        let c = app.client();
        let mut first = None;
        for _ in 0..3 {
            first = first.or(Some(recover(&c, email).await));
        }
        let r = c.post_form("/en/recover", &[("email", email)]).await;
        assert_eq!(r.status(), 429, "{email}");
        let html = r.text().await.unwrap().replace(email, "ADDRESS");
        assert!(html.contains("We cannot send more e-mails to this address today."), "{html}");
        pages.push(html.lines().filter(|l| !l.contains("csrf")).collect::<Vec<_>>().join("\n"));

        // A resend counts against the same cap.
        app.db()
            .execute_unprepared("UPDATE verification SET last_sent_at = '2000-01-01 00:00:00+00:00'")
            .await
            .unwrap();
        let r = c.post_form("/en/verify/resend", &[("v", &first.unwrap())]).await;
        assert_eq!(r.status(), 429, "{email}");
        assert!(r.text().await.unwrap().contains("We cannot send more e-mails to this address today."));
    }
    assert_eq!(pages[0], pages[1], "the same page whether or not the address has an account");
    assert_eq!(mail_to(&app, "capped@example.org").await.len(), 3, "the fourth was not sent");
    assert!(mail_to(&app, "unknown@example.org").await.is_empty());
}
both_backends!(the_email_cap_refuses_the_next_send_for_known_and_unknown_addresses);

/// Turning two-step verification off asks for a code: a guess at the
/// second step, counted with sign-in's, so a stolen open session cannot
/// try codes without end.
async fn turning_two_step_off_counts_wrong_codes(backend: Backend) {
    let app = roomy(backend).spawn().await;
    let client = registered(&app, "off@example.org").await;
    let (secret, _, _) = crate::two_step::enrol(&app, &client).await;
    let off = |code: String| {
        let client = &client;
        async move {
            client
                .post_form("/en/account/two-step/disable", &[("code", code.as_str()), ("current_password", PASSWORD)])
                .await
        }
    };
    for _ in 0..5 {
        assert_eq!(off("000000".into()).await.status(), 422);
    }
    let r = off(identity::two_step::current_code(&secret).unwrap()).await;
    assert_eq!(r.status(), 429, "the right code waits too");
    assert!(r.text().await.unwrap().contains("Too many wrong codes have been entered for this account lately."));
    assert!(client.get("/en/account").await.text().await.unwrap().contains("<dd>On · "), "still on");
    let told = mail_to(&app, "off@example.org").await;
    assert_eq!(locks(&told, "entered too many wrong codes for two-step verification"), 1, "told once");
}
both_backends!(turning_two_step_off_counts_wrong_codes);

/// An account waiting because its codes were guessed at through its number
/// does not tell, through its e-mail address, that the two belong together:
/// a code there is answered as wrong (and not checked), exactly as at an
/// address of another account.
async fn a_wait_does_not_link_an_address_to_a_number(backend: Backend) {
    let app = roomy(backend).spawn().await;
    for email in ["linked@example.org", "apart@example.org"] {
        registered(&app, email).await;
    }
    app.db()
        .execute_unprepared(
            "UPDATE account SET phone = '+85291234567', phone_verified_at = created_at \
             WHERE email = 'linked@example.org'",
        )
        .await
        .unwrap();
    // Five wrong codes through the number: the account (and the number) wait.
    let c = app.client();
    for _ in 0..5 {
        let v = recover(&c, "91234567").await;
        assert_eq!(reset(&c, &v, "000000").await.status(), 422);
    }
    let answers = |email: &'static str| {
        let (app, c) = (&app, app.client());
        async move {
            let v = recover(&c, email).await;
            let right = latest_code(app, email).await;
            let wrong = reset(&c, &v, wrong(&right)).await;
            let right = reset(&c, &v, &right).await;
            (wrong.status().as_u16(), right.status().as_u16(), right.text().await.unwrap().contains("tries left"))
        }
    };
    let linked = answers("linked@example.org").await;
    assert_eq!(linked, (422, 422, true), "the right code is not checked while the account waits");
    assert_eq!(answers("apart@example.org").await.0, linked.0);
    assert_eq!(sign_in(&app.client(), "linked@example.org", NEW_PASSWORD).await.status(), 422, "not reset");
}
both_backends!(a_wait_does_not_link_an_address_to_a_number);
