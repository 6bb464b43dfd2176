//! Registration and e-mail verification.

use platform::both_backends;
use platform::testkit::Backend;
use sea_orm::ConnectionTrait;

use crate::support::*;

async fn register_verify_and_use_the_account(backend: Backend) {
    let app = spawn(backend).await;
    let client = app.client();
    let v = register(&client, "zh-hk", "mei@example.org").await;

    // The code went out through the outbox, in the resident's language.
    let mail = mail_to(&app, "mei@example.org").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].subject.as_deref(), Some("你的獅子山驗證碼"));
    assert_eq!(mail[0].lang, "zh-HK");

    let page = client.get(&format!("/zh-hk/verify?v={v}")).await.text().await.unwrap();
    assert!(page.contains("請查看電郵"));

    let code = latest_code(&app, "mei@example.org").await;
    let r = enter_code(&client, &v, &code).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/account");
    let cookies: Vec<String> =
        r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("lr_session=") && c.contains("HttpOnly")), "{cookies:?}");

    let account = client.get("/en/account").await;
    assert_eq!(account.status(), 200);
    let html = account.text().await.unwrap();
    assert!(html.contains("mei@example.org") && html.contains("Basic (e-mail verified)"));

    // The code is single-use.
    assert_eq!(enter_code(&app.client(), &v, &code).await.status(), 404);

    let report = platform::audit::verify(app.db(), &app.state.keys, None).await.unwrap();
    assert!(report.ok && report.entries >= 3, "register, verify, sign-in audited: {report:?}");
}
both_backends!(register_verify_and_use_the_account);

async fn invalid_registrations_are_shown_again_with_every_error(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let r = c.post_form("/en/register", &[("email", " not-an-address "), ("password", "short")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("class=\"error-summary\""));
    assert!(html.contains("href=\"#email\">Enter an e-mail address in the correct format"));
    assert!(html.contains("href=\"#password\">The password must be at least 15 characters long."));
    assert!(html.contains("value=\"not-an-address\""), "the address is kept");
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(!html.contains("short\""), "the password is never echoed");

    for (password, message) in [
        ("", "Enter a password."),
        ("123456789012345", "This password is too common"),
        ("meichan-password-1", "must not contain your e-mail address"),
        (&"x".repeat(129), "128 characters or fewer"),
    ] {
        let r = c.post_form("/en/register", &[("email", "meichan@example.org"), ("password", password)]).await;
        assert_eq!(r.status(), 422, "{password}");
        assert!(r.text().await.unwrap().contains(message), "{password}: {message}");
    }
    assert!(mail_to(&app, "meichan@example.org").await.is_empty(), "nothing sent for a refused form");

    // Missing fields are form errors, not a 400.
    let r = c.post_form("/en/register", &[]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Enter your e-mail address or mobile number."));
}
both_backends!(invalid_registrations_are_shown_again_with_every_error);

async fn registering_a_taken_address_looks_the_same_and_tells_the_owner(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let _owner = registered(&app, "ho@example.org").await;
    let stranger = app.client();
    let v = register(&stranger, "en", "HO@example.org").await;
    let mail = mail_to(&app, "ho@example.org").await;
    assert_eq!(mail.len(), 2);
    assert!(mail[1].body.contains("already has one"), "{}", mail[1].body);
    assert!(!mail[1].body.chars().any(|c| c.is_ascii_digit()), "no code is sent to the decoy");
    // No code completes the decoy verification.
    let r = enter_code(&stranger, &v, "123456").await;
    assert_eq!(r.status(), 422);
    // Asking for another code answers as for a real one.
    app.db().execute_unprepared("UPDATE verification SET last_sent_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    let r = stranger.post_form("/en/verify/resend", &[("v", &v)]).await;
    assert_eq!(r.status(), 303);
}
both_backends!(registering_a_taken_address_looks_the_same_and_tells_the_owner);

async fn wrong_codes_run_out_and_a_new_code_replaces_the_old(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let v = register(&c, "en", "wong@example.org").await;
    let first = latest_code(&app, "wong@example.org").await;
    let wrong = if first == "000000" { "111111" } else { "000000" };

    let r = enter_code(&c, &v, wrong).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("You have 4 tries left."));
    for _ in 0..4 {
        enter_code(&c, &v, wrong).await;
    }
    let r = enter_code(&c, &v, &first).await;
    assert!(r.text().await.unwrap().contains("too many times"), "even the right code fails after 5 tries");

    // Resending is throttled.
    let r = c.post_form("/en/verify/resend", &[("v", &v)]).await;
    assert_eq!(r.status(), 429);
    app.db().execute_unprepared("UPDATE verification SET last_sent_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    let r = c.post_form("/en/verify/resend", &[("v", &v)]).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).ends_with("&sent=1"));
    // The five wrong codes also made the address wait, whatever the
    // verification (tests/it/guesses.rs); here, as if an hour had passed.
    app.db().execute_unprepared("DELETE FROM sign_in_throttle").await.unwrap();
    let second = latest_code(&app, "wong@example.org").await;
    if second != first {
        assert_eq!(enter_code(&c, &v, &first).await.status(), 422, "the old code is gone");
    }
    assert_eq!(enter_code(&c, &v, &second).await.status(), 303);
}
both_backends!(wrong_codes_run_out_and_a_new_code_replaces_the_old);

async fn expired_and_malformed_codes_are_explained(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let v = register(&c, "en", "lee@example.org").await;
    for (code, message) in [("", "Enter the code"), ("12ab56", "must be 6 digits")] {
        let r = enter_code(&c, &v, code).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(message));
    }
    app.db().execute_unprepared("UPDATE verification SET expires_at = '2000-01-01 00:00:00+00:00'").await.unwrap();
    let code = latest_code(&app, "lee@example.org").await;
    let r = enter_code(&c, &v, &code).await;
    assert!(r.text().await.unwrap().contains("The code has expired."));
    assert_eq!(c.get("/en/verify?v=not-a-uuid").await.status(), 404);
}
both_backends!(expired_and_malformed_codes_are_explained);

async fn parallel_guesses_never_exceed_the_tries(backend: Backend) {
    let app = spawn(backend).await;
    let c = app.client();
    let v = register(&c, "en", "guess@example.org").await;
    let code = latest_code(&app, "guess@example.org").await;
    let wrong = if code == "999999" { "999998" } else { "999999" };
    let token = c.csrf_token().await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (c, v, token) = (c.clone(), v.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let r = c
                .http
                .post(c.url("/en/verify"))
                .form(&[("v", v.as_str()), ("code", wrong), ("_csrf", &token)])
                .send()
                .await
                .unwrap();
            r.text().await.unwrap().contains("tries left")
        }));
    }
    let mut counted = 0;
    for t in tasks {
        counted += usize::from(t.await.unwrap());
    }
    assert_eq!(counted, 4, "exactly 5 guesses count against 5 tries (the fifth says none are left)");
    assert!(enter_code(&c, &v, &code).await.text().await.unwrap().contains("too many times"));
}
both_backends!(parallel_guesses_never_exceed_the_tries);

async fn forms_without_a_csrf_token_are_refused(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let r = app.client().post_form_raw("/en/register", &[("email", "x@example.org"), ("password", PASSWORD)]).await;
    assert_eq!(r.status(), 403);
    assert!(mail_to(&app, "x@example.org").await.is_empty());
}
both_backends!(forms_without_a_csrf_token_are_refused);

async fn switching_language_keeps_the_verification(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let v = register(&c, "en", "switch@example.org").await;
    let html = c.get(&format!("/en/verify?v={v}")).await.text().await.unwrap();
    assert!(html.contains(&format!("href=\"/zh-hk/verify?v={v}\"")), "the Chinese link keeps ?v=");
}
both_backends!(switching_language_keeps_the_verification);

/// The operator's own banned words (NIST's context-specific words) are
/// refused like common passwords, in any case.
async fn passwords_with_the_operators_banned_words_are_refused(backend: Backend) {
    let words = std::env::temp_dir().join(format!("lionrock-banned-{}.txt", uuid::Uuid::now_v7()));
    std::fs::write(&words, "# our city and service\nkowloon\nHarbourCity\n").unwrap();
    let file = words.clone();
    let app = app()
        .backend(backend)
        .config(move |c| {
            c.section_mut("identity").insert("banned_words_file".into(), file.display().to_string().into());
        })
        .spawn()
        .await;
    let c = app.client();
    for password in ["i love KOWLOON very much", "harbourcity lantern kite"] {
        let r = c.post_form("/en/register", &[("email", "banned@example.org"), ("password", password)]).await;
        assert_eq!(r.status(), 422, "{password}");
        assert!(r.text().await.unwrap().contains("a word that is easy to guess here"), "{password}");
    }
    let r = c.post_form("/en/register", &[("email", "banned@example.org"), ("password", PASSWORD)]).await;
    assert_eq!(r.status(), 303, "other passwords are fine");
    std::fs::remove_file(&words).unwrap();
}
both_backends!(passwords_with_the_operators_banned_words_are_refused);

/// Defence in depth behind `serve --demo`'s own check: identity's demo
/// loader refuses a database that holds any other account.
async fn demo_accounts_are_refused_beside_real_ones(backend: Backend) {
    let app = spawn(backend).await;
    let load = identity::module().demo.expect("identity has demo data");
    let notes = load(app.state.clone()).await.expect("an empty database takes the demo accounts");
    assert!(notes.iter().any(|n| n.starts_with("demo resident: ")));
    assert!(load(app.state.clone()).await.is_ok(), "loading again changes nothing");
    registered(&app, "real.person@example.org").await;
    let err = load(app.state.clone()).await.unwrap_err();
    assert!(err.contains("1 account(s) besides the demo ones"), "{err}");
}
both_backends!(demo_accounts_are_refused_beside_real_ones);
