//! Identity pages in a real browser: axe-core in three languages, the form
//! error state, and registration completed by keyboard.

use fantoccini::Locator;
use fantoccini::key::Key;
use platform::testkit::browser::Browser;

use crate::support::*;
use platform::both_backends;
use platform::testkit::Backend;

async fn identity_pages_are_accessible_and_work_by_keyboard(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = app().backend(backend).spawn().await;
    for lang in ["en", "zh-hk", "zh-cn"] {
        for path in ["register", "sign-in", "recover"] {
            browser.goto(&app.url(&format!("/{lang}/{path}"))).await;
            browser.assert_accessible(&format!("{path}-{lang}")).await;
        }
    }

    // A form with errors: the summary gets focus, and it is accessible.
    browser.goto(&app.url("/en/register")).await;
    let email = browser.client.find(Locator::Id("email")).await.unwrap();
    email.send_keys("not-an-address").await.unwrap();
    browser.client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    let focused = browser
        .check("error-summary-focus", async {
            browser.client.wait().for_element(Locator::Id("error-summary")).await?;
            browser.client.execute("return document.activeElement.id", vec![]).await
        })
        .await;
    assert_eq!(focused, serde_json::Value::from("error-summary"));
    browser.assert_accessible("register-errors-en").await;

    // Register by keyboard alone: type, Tab, type, Enter.
    let email = browser.client.find(Locator::Id("email")).await.unwrap();
    email.clear().await.unwrap();
    email.send_keys("keyboard@example.org").await.unwrap();
    email.send_keys(&Key::Tab.to_string()).await.unwrap();
    let active = browser.client.active_element().await.unwrap();
    assert_eq!(active.attr("id").await.unwrap().as_deref(), Some("password"));
    active.send_keys(&format!("{PASSWORD}{}", Key::Enter)).await.unwrap();
    browser.check("verify-page", browser.client.wait().for_element(Locator::Id("code"))).await;
    browser.assert_accessible("verify-en").await;

    let code = latest_code(&app, "keyboard@example.org").await;
    let field = browser.client.find(Locator::Id("code")).await.unwrap();
    field.send_keys(&format!("{code}{}", Key::Enter)).await.unwrap();
    let heading = browser
        .check("account-page", async {
            browser.client.wait().for_url(&url_of(&app.url("/en/account"))).await?;
            browser.text("h1").await
        })
        .await;
    assert_eq!(heading, "Your account");
    browser.assert_accessible("account-en").await;

    browser.goto(&app.url("/zh-hk/account/security")).await;
    let sessions = browser.client.find(Locator::Css("table")).await.unwrap().text().await.unwrap();
    assert!(sessions.contains("Linux 上的 Chrome"), "the device is named in words: {sessions}");
    browser.assert_accessible("security-zh-hk").await;

    // The officers' verification form, in its error state.
    let mut officer = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
    officer.roles.push(platform::principal::Role::Officer);
    officer.scopes.push(identity::real_name::VERIFIER_SCOPE.to_owned());
    browser.sign_in_as(&app, &officer).await;
    let mut admin = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
    admin.roles.push(platform::principal::Role::Admin);
    browser.sign_in_as(&app, &admin).await;
    browser.goto(&app.url("/en/admin/clients")).await;
    browser.assert_accessible("admin-clients").await;
    browser.sign_in_as(&app, &officer).await;
    browser.goto(&app.url("/en/officer/real-name")).await;
    browser.assert_accessible("officer-real-name").await;
    browser.client.find(Locator::Id("number")).await.unwrap().send_keys("A123456(4)").await.unwrap();
    browser.client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.check("officer-errors", browser.client.wait().for_element(Locator::Id("error-summary"))).await;
    browser.assert_accessible("officer-real-name-errors").await;
    // Back to the resident, through the sign-in page.
    browser.client.delete_all_cookies().await.unwrap();
    sign_in_with_browser(&browser, &app, "keyboard@example.org").await;
    browser.check("account-again", browser.client.wait().for_url(&url_of(&app.url("/en/account")))).await;

    // The e-ME profile form, and a consent page with per-field choices.
    browser.goto(&app.url("/zh-cn/account/delete")).await;
    browser.assert_accessible("delete-zh-cn").await;
    browser.goto(&app.url("/zh-hk/account/profile")).await;
    browser.assert_accessible("profile-zh-hk").await;
    browser.goto(&app.url("/en/account/password")).await;
    browser.assert_accessible("password-en").await;
    browser.goto(&app.url("/zh-hk/account/dependants")).await;
    browser.assert_accessible("dependants-zh-hk").await;
    browser
        .client
        .find(Locator::Css("form[action$='/account/dependants'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.check("dependants-errors", browser.client.wait().for_element(Locator::Id("error-summary"))).await;
    browser.assert_accessible("dependants-errors").await;
    let rp = service(&app, "Elderly Centre", "https://centre.example.org/cb", &["email", "profile"]).await;
    browser
        .goto(&app.url(&format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fcentre.example.org%2Fcb&scope=openid%20email%20profile",
            rp.client_id
        )))
        .await;
    browser.assert_accessible("consent").await;
    // A service that needs a real-name identity explains how to get one.
    browser
        .goto(&app.url(&format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fcentre.example.org%2Fcb&scope=openid&claims=%7B%22id_token%22%3A%7B%22acr%22%3A%7B%22essential%22%3Atrue%2C%22value%22%3A%22urn%3Alionrock%3Aloa%3Areal_name%22%7D%7D%7D",
            rp.client_id
        )))
        .await;
    let heading = browser.client.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(heading, "此服務需要實名身分", "in the language chosen earlier");
    browser.assert_accessible("real-name-needed").await;
    browser
        .goto(&app.url(&format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fcentre.example.org%2Fcb&scope=openid&prompt=select_account",
            rp.client_id
        )))
        .await;
    assert_eq!(browser.text("h1").await.unwrap(), "選擇帳戶");
    browser.assert_accessible("select-account").await;

    // Two-step set-up (QR code, key, form), in each language.
    for lang in ["en", "zh-hk", "zh-cn"] {
        browser.goto(&app.url(&format!("/{lang}/account/two-step"))).await;
        browser.assert_accessible(&format!("two-step-{lang}")).await;
    }
    // Enrol: read the key as a person would, type the app's code.
    let secret = browser.text("#secret").await.unwrap().replace(' ', "");
    let code = identity::two_step::current_code(&secret).unwrap();
    browser.client.find(Locator::Id("code")).await.unwrap().send_keys(&format!("{code}{}", Key::Enter)).await.unwrap();
    let heading = browser
        .check("recovery-codes", async {
            browser.client.wait().for_element(Locator::Css("ul.recovery-codes")).await?;
            browser.text("h1").await
        })
        .await;
    assert_eq!(heading, "你的备用码", "the form was the Simplified Chinese one");
    browser.assert_accessible("recovery-codes-zh-cn").await;

    // Sign out, and back in with the password and the app.
    browser.goto(&app.url("/en/account")).await;
    browser.client.find(Locator::Css("form[action='/en/sign-out'] button")).await.unwrap().click().await.unwrap();
    browser.check("signed-out", browser.client.wait().for_url(&url_of(&app.url("/en/")))).await;
    sign_in_with_browser(&browser, &app, "keyboard@example.org").await;
    browser
        .check("second-step", browser.client.wait().for_element(Locator::Css("form[action='/en/sign-in/two-step']")))
        .await;
    browser.assert_accessible("second-step-en").await;
    // The enrolment used this time step; rewind instead of waiting for the next one.
    use sea_orm::ConnectionTrait;
    app.db().execute_unprepared("UPDATE totp_authenticator SET last_step = 0").await.unwrap();
    let code = identity::two_step::current_code(&secret).unwrap();
    browser.client.find(Locator::Id("code")).await.unwrap().send_keys(&format!("{code}{}", Key::Enter)).await.unwrap();
    browser.check("signed-in-with-two-steps", browser.client.wait().for_url(&url_of(&app.url("/en/account")))).await;
    assert!(browser.text("main").await.unwrap().contains("On"), "two-step verification shows as on");

    // Sign in with the app: the waiting page signs itself in once a phone approves.
    let phone = registered(&app, "phone@example.org").await;
    browser.client.delete_all_cookies().await.unwrap();
    browser.goto(&app.url("/en/sign-in/app")).await;
    browser.assert_accessible("app-sign-in").await;
    let link =
        browser.client.find(Locator::Css("a.break-anywhere")).await.unwrap().attr("href").await.unwrap().unwrap();
    let code = link.split("?c=").nth(1).unwrap().to_owned();
    let number = browser.text("[data-number]").await.unwrap();
    let approved = phone
        .post_form("/en/sign-in/approve", &[("c", code.as_str()), ("decision", "approve"), ("number", &number)])
        .await;
    assert_eq!(approved.status(), 200);
    browser.check("signed-in-by-app", browser.client.wait().for_url(&url_of(&app.url("/en/account")))).await;
    // The approval page, seen from the device that is signed in now.
    let other = app.client();
    let html = other.get("/zh-hk/sign-in/app").await.text().await.unwrap();
    let code = html.split("/zh-hk/sign-in/approve?c=").nth(1).unwrap().split('"').next().unwrap().to_owned();
    browser.goto(&app.url(&format!("/zh-hk/sign-in/approve?c={code}"))).await;
    browser.assert_accessible("app-sign-in-approve-zh-hk").await;
    browser.client.find(Locator::Css("button[value=deny]")).await.unwrap().click().await.unwrap();
    let refused = browser
        .check("refused", async {
            browser.client.wait().for_element(Locator::Css("main p[role=status]")).await?.text().await
        })
        .await;
    assert_eq!(refused, "已拒絕。沒有人登入。");
    browser.close().await;
}
both_backends!(identity_pages_are_accessible_and_work_by_keyboard);

fn url_of(s: &str) -> url::Url {
    s.parse().unwrap()
}

async fn sign_in_with_browser(browser: &Browser, app: &platform::testkit::TestApp, email: &str) {
    browser.goto(&app.url("/en/sign-in")).await;
    browser.client.find(Locator::Id("email")).await.unwrap().send_keys(email).await.unwrap();
    browser
        .client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(&format!("{PASSWORD}{}", Key::Enter))
        .await
        .unwrap();
}

/// Passkeys with the page's own script and Chromium's virtual authenticator:
/// add one after a password sign-in, sign out, sign in with it alone.
/// (Served as `localhost`: a relying-party ID cannot be an IP address.)
async fn a_passkey_is_added_and_signs_in_in_a_real_browser(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    browser.add_virtual_authenticator().await;
    let app = app().backend(backend).spawn().await;
    let base = format!("http://localhost:{}", app.addr.port());
    identity::accounts::store::create_user(&app.state, "chan.passkey@example.org", PASSWORD, false, vec![])
        .await
        .unwrap();

    browser.goto(&format!("{base}/en/sign-in")).await;
    browser.client.find(Locator::Id("email")).await.unwrap().send_keys("chan.passkey@example.org").await.unwrap();
    let password = browser.client.find(Locator::Id("password")).await.unwrap();
    password.send_keys(&format!("{PASSWORD}{}", Key::Enter)).await.unwrap();
    browser.check("signed-in", browser.client.wait().for_url(&url_of(&format!("{base}/en/account")))).await;

    for lang in ["zh-hk", "zh-cn", "en"] {
        browser.goto(&format!("{base}/{lang}/account/sign-in-details")).await;
        browser.assert_accessible(&format!("sign-in-details-{lang}")).await;
        browser.goto(&format!("{base}/{lang}/account/passkeys")).await;
        browser.assert_accessible(&format!("passkeys-{lang}")).await;
    }
    let name = browser.client.find(Locator::Id("name")).await.unwrap();
    name.send_keys("Laptop").await.unwrap();
    browser.client.find(Locator::Css("form[data-passkey] button")).await.unwrap().click().await.unwrap();
    let notice = browser
        .check("passkey-added", async {
            browser.client.wait().for_element(Locator::Css("p.notice")).await?;
            browser.text("p.notice").await
        })
        .await;
    assert_eq!(notice, "Your passkey has been added. You can use it the next time you sign in.");
    assert!(browser.text("table").await.unwrap().contains("Laptop"));
    browser.assert_accessible("passkeys-added").await;

    // Signed out, the sign-in page offers the passkey; one press signs in.
    browser.client.delete_all_cookies().await.unwrap();
    browser.goto(&format!("{base}/en/sign-in")).await;
    let button = browser.check("passkey-button", browser.client.wait().for_element(Locator::Id("passkey"))).await;
    assert!(button.is_displayed().await.unwrap(), "shown where the browser has passkeys");
    browser.assert_accessible("sign-in-with-passkey").await;
    button.click().await.unwrap();
    let heading = browser
        .check("passkey-sign-in", async {
            browser.client.wait().for_url(&url_of(&format!("{base}/en/account"))).await?;
            browser.text("h1").await
        })
        .await;
    assert_eq!(heading, "Your account");

    // The phone side of "sign in with the app": without a camera reader, the page says what to do.
    for lang in ["en", "zh-hk"] {
        browser.goto(&format!("{base}/{lang}/sign-in/scan")).await;
        browser.assert_accessible(&format!("sign-in-scan-{lang}")).await;
    }
    let fallback = browser.text("[data-scan-fallback]").await.unwrap();
    assert!(fallback.contains("二維碼"), "{fallback}");
    browser.close().await;
}
both_backends!(a_passkey_is_added_and_signs_in_in_a_real_browser);
