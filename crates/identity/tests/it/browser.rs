//! Identity pages in a real browser: axe-core in three languages, the form
//! error state, and registration completed by keyboard.

use fantoccini::Locator;
use fantoccini::key::Key;
use platform::testkit::browser::Browser;

use crate::support::*;

#[tokio::test]
async fn identity_pages_are_accessible_and_work_by_keyboard() {
    let Some(browser) = Browser::start().await else { return };
    let app = app().spawn().await;
    for lang in ["en", "zh-hk", "zh-cn"] {
        for path in ["register", "sign-in"] {
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
    browser.assert_accessible("security-zh-hk").await;

    // The officers' verification form, in its error state.
    let mut officer = platform::principal::Principal::resident(platform::principal::AccountId::new());
    officer.roles.push(platform::principal::Role::Officer);
    browser.sign_in_as(&app, &officer).await;
    browser.goto(&app.url("/en/officer/real-name")).await;
    browser.assert_accessible("officer-real-name").await;
    browser.client.find(Locator::Id("number")).await.unwrap().send_keys("A123456(4)").await.unwrap();
    browser.client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.check("officer-errors", browser.client.wait().for_element(Locator::Id("error-summary"))).await;
    browser.assert_accessible("officer-real-name-errors").await;
    browser.sign_in_as(&app, &platform::principal::Principal::resident(platform::principal::AccountId::new())).await;

    // Two-step set-up (QR code, key, form), in each language.
    for lang in ["en", "zh-hk", "zh-cn"] {
        browser.goto(&app.url(&format!("/{lang}/account/two-step"))).await;
        browser.assert_accessible(&format!("two-step-{lang}")).await;
    }
    browser.close().await;
}

fn url_of(s: &str) -> url::Url {
    s.parse().unwrap()
}
