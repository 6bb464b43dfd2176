//! Real-browser checks: the landing page in each language passes axe-core
//! with no serious or critical violation, works by keyboard, and fits 320 px.

use fantoccini::key::Key;
use platform::testkit::TestApp;
use platform::testkit::browser::Browser;
use serde_json::Value;

#[tokio::test]
async fn landing_page_is_accessible_in_every_language() {
    let Some(browser) = Browser::start().await else { return };
    let app = TestApp::spawn().await;
    // As `serve --demo` runs it: the demo banner must pass axe too.
    app.state.set_demo();
    for (prefix, tag) in [("en", "en"), ("zh-hk", "zh-HK"), ("zh-cn", "zh-CN")] {
        browser.goto(&app.url(&format!("/{prefix}/"))).await;
        let lang = browser.client.execute("return document.documentElement.lang", vec![]).await.unwrap();
        assert_eq!(lang, Value::from(tag));
        browser.assert_accessible(&format!("landing-{prefix}")).await;

        // Keyboard: the first Tab reaches the skip link, which moves focus to main.
        browser
            .client
            .find(fantoccini::Locator::Css("body"))
            .await
            .unwrap()
            .send_keys(&Key::Tab.to_string())
            .await
            .unwrap();
        let focused = browser.client.execute("return document.activeElement.className", vec![]).await.unwrap();
        assert_eq!(focused, Value::from("skip-link"), "{prefix}: first tab stop");

        // 320 px wide: nothing scrolls sideways.
        browser.client.set_window_size(320, 800).await.unwrap();
        let overflow = browser
            .client
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
            .await
            .unwrap();
        assert!(overflow.as_i64().unwrap_or(1) <= 0, "{prefix}: horizontal overflow {overflow}");
        browser.assert_accessible(&format!("landing-{prefix}-320")).await;
        browser.screenshot(&format!("landing-{prefix}-320")).await;
        browser.client.set_window_size(1280, 900).await.unwrap();
    }
    // The operators' outbox page (a table) is accessible too.
    let mut admin = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
    admin.roles.push(platform::principal::Role::Admin);
    platform::outbox::enqueue_now(
        &app.state,
        platform::outbox::Notification {
            channel: platform::outbox::Channel::Email,
            recipient: "mei@example.org".to_owned(),
            lang: platform::i18n::Lang::En,
            subject: Some("Code".to_owned()),
            body: "Your code is 123456".to_owned(),
            qr: None,
        },
    )
    .await
    .unwrap();
    browser.sign_in_as(&app, &admin).await;
    browser.goto(&app.url("/en/admin/outbox")).await;
    let heading = browser.check("admin-outbox", browser.text("h1")).await;
    assert_eq!(heading, "Notification outbox");
    browser.assert_accessible("admin-outbox-en").await;

    // The API reference (headings, tables, scrollable regions) in each language.
    for prefix in ["en", "zh-hk", "zh-cn"] {
        browser.goto(&app.url(&format!("/{prefix}/api"))).await;
        browser.assert_accessible(&format!("api-reference-{prefix}")).await;
    }
    // By keyboard: a contents link moves to its operation.
    let link = browser.client.find(fantoccini::Locator::Css("nav[aria-labelledby=api-contents] a")).await.unwrap();
    link.send_keys(&Key::Enter.to_string()).await.unwrap();
    let hash = browser.client.execute("return location.hash", vec![]).await.unwrap();
    assert!(hash.as_str().is_some_and(|h| h.starts_with("#op-")), "{hash}");

    // The error page is accessible too.
    browser.goto(&app.url("/zh-hk/missing")).await;
    browser.assert_accessible("error-404-zh-hk").await;
    browser.close().await;
}

/// The PWA shell: the service worker installs and keeps the offline pages;
/// when the server cannot be reached, a page load shows the offline page in
/// the page's language instead of the browser's error.
#[tokio::test]
async fn the_offline_page_is_shown_when_the_server_is_unreachable() {
    let Some(browser) = Browser::start().await else { return };
    let app = TestApp::spawn().await;
    browser.goto(&app.url("/zh-hk/")).await;
    let ready = browser
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               navigator.serviceWorker.ready
                 .then(() => new Promise((resolve) => setTimeout(resolve, 200)))
                 .then(() => caches.match("/zh-hk/offline"))
                 .then((page) => done(!!page), (e) => done(String(e)));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ready, Value::from(true), "the worker keeps the offline page");
    browser.goto(&app.url("/en/offline")).await;
    browser.assert_accessible("offline-en").await;

    let somewhere = app.url("/zh-hk/account");
    app.stop().await;
    browser.goto(&somewhere).await;
    let heading = browser.check("offline-shown", browser.text("h1")).await;
    assert_eq!(heading, "你已離線");
    browser.close().await;
}
