//! The offline scanner in Chromium: load it, let it keep the trust bundle,
//! check a code online (the page asks nothing of the server but the
//! bundle), stop the server, reload (the service worker serves the page),
//! then check a valid and a forged QR image and a pasted code; axe in three
//! languages. A newer bundle kept on the device wins over an older one the
//! server offers (no rollback).

use fantoccini::Locator;
use platform::both_backends;
use platform::testkit::Backend;
use platform::testkit::browser::Browser;
use serde_json::Value;

use crate::support::{app, forge, issue, qr_png};

async fn wait_for(browser: &Browser, name: &str, css: &str) {
    browser.check(name, browser.client.wait().for_element(Locator::Css(css))).await;
}

async fn verdict(browser: &Browser, name: &str, verdict: &str) -> String {
    wait_for(browser, name, &format!("[data-result][data-verdict={verdict}]")).await;
    browser.text("[data-result]").await.unwrap()
}

/// Pastes `code` into the scanner and submits it.
async fn paste(browser: &Browser, code: &str) {
    let field = browser.client.find(Locator::Id("credentials-code")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(code).await.unwrap();
    browser.client.find(Locator::Css("[data-paste] button[type=submit]")).await.unwrap().click().await.unwrap();
}

/// The paths of every resource the page has requested so far (its
/// performance entries), in order.
async fn requested(browser: &Browser) -> Vec<String> {
    let names = browser
        .client
        .execute("return performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname);", vec![])
        .await
        .unwrap();
    serde_json::from_value(names).unwrap()
}

async fn the_scanner_verifies_offline(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = app(backend).spawn().await;
    let dir = tempfile::tempdir().unwrap();
    // Issued by the server, signed by its document signer; the bundle is the real one.
    let valid = issue(&app).await;
    let forged = forge(&valid);
    let valid_png = qr_png(&valid, dir.path(), "valid.png");
    let forged_png = qr_png(&forged, dir.path(), "forged.png");

    for lang in ["zh-hk", "zh-cn", "en"] {
        browser.goto(&app.url(&format!("/{lang}/credentials/scan"))).await;
        wait_for(&browser, &format!("lists-{lang}"), "[data-credentials-scanner][data-lists=ready]").await;
        browser.assert_accessible(&format!("scanner-{lang}")).await;
    }
    let source = browser.client.source().await.unwrap();
    assert!(source.contains("/assets/qr-decoder."), "the page loads the QR decoder (scripts/install-qr-decoder.sh)");
    let lists = browser.text("[data-lists-status]").await.unwrap();
    assert_eq!(lists, "Trust lists updated less than an hour ago.");

    // Checking a code online asks nothing of the server: the page's only
    // request beyond its own assets (and the app manifest) is the bundle,
    // made once.
    let before = requested(&browser).await;
    assert_eq!(before.iter().filter(|p| *p == "/api/v1/credentials/trust-bundle").count(), 1, "{before:?}");
    assert!(
        before.iter().all(|p| p.starts_with("/assets/")
            || p == "/en/manifest.webmanifest"
            || p == "/api/v1/credentials/trust-bundle"),
        "only assets, the app manifest and the bundle: {before:?}"
    );
    paste(&browser, &valid).await;
    let text = verdict(&browser, "online", "valid").await;
    assert!(text.contains("Chan Tai Man"), "{text}");
    paste(&browser, &forged).await;
    verdict(&browser, "online-forged", "invalid").await;
    assert_eq!(requested(&browser).await, before, "no request while checking codes");

    // The worker keeps the page; then the server goes away.
    let kept = browser
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               navigator.serviceWorker.ready
                 .then(() => new Promise((resolve) => setTimeout(resolve, 200)))
                 .then(() => caches.match("/en/credentials/scan"))
                 .then((page) => done(!!page), (e) => done(String(e)));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(kept, Value::from(true), "the worker keeps the scanner");
    let page = app.url("/en/credentials/scan");
    app.stop().await;
    browser.goto(&page).await;
    assert_eq!(browser.text("h1").await.unwrap(), "Check a health certificate");
    wait_for(&browser, "lists-offline", "[data-credentials-scanner][data-lists=ready]").await;
    let lists = browser.text("[data-lists-status]").await.unwrap();
    assert!(lists.contains("kept on this device"), "{lists}");

    // A valid picture: green, the name and birth date to compare.
    let upload = browser.client.find(Locator::Css("[data-image]")).await.unwrap();
    upload.send_keys(valid_png.to_str().unwrap()).await.unwrap();
    let text = verdict(&browser, "valid-image", "valid").await;
    assert!(text.contains("VALID") && text.contains("Chan Tai Man") && text.contains("1980-02-29"), "{text}");
    assert!(text.contains("CHAN<<TAI<MAN"), "{text}");
    browser.assert_accessible("scanner-valid").await;

    // A forged signature: red, with the reason.
    let upload = browser.client.find(Locator::Css("[data-image]")).await.unwrap();
    upload.send_keys(forged_png.to_str().unwrap()).await.unwrap();
    let text = verdict(&browser, "forged-image", "invalid").await;
    assert!(text.contains("INVALID") && text.contains("The signature does not match"), "{text}");
    assert!(!text.contains("Chan"), "no name for an invalid code: {text}");
    browser.assert_accessible("scanner-invalid").await;

    // Pasted text.
    paste(&browser, &valid).await;
    let text = verdict(&browser, "pasted", "valid").await;
    assert!(text.contains("Chan Tai Man"), "{text}");
    paste(&browser, "HC1:NOT A CODE").await;
    let text = verdict(&browser, "pasted-damaged", "invalid").await;
    assert!(text.contains("damaged"), "{text}");
    browser.close().await;
}
both_backends!(the_scanner_verifies_offline);

/// The bundle the scanner keeps, in its storage.
const KEPT: &str = "lionrock.credentials.bundle";

async fn the_scanner_ignores_a_bundle_older_than_the_one_it_keeps(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = app(backend).spawn().await;
    let valid = issue(&app).await;
    // A bundle the server's own root signed, issued an hour from now, which
    // trusts no document signer: what a device that kept it must go on using
    // when the server (or someone in between) offers an older one.
    let mut payload = credentials::trust::store::payload(&app.state).await.unwrap();
    payload.issued_at += time::Duration::hours(1);
    payload.dsc.clear();
    let names = platform::keys::CertificateNames::of(&app.state.config);
    let roots = platform::keys::dcc_roots(app.db(), &app.state.keys, &names).await.unwrap();
    let newer = credentials::trust::Bundle::sign(&payload, &[(&roots[0].key.der, &roots[0].certificate)]).unwrap();
    let newer = serde_json::to_string(&newer).unwrap();

    let page = app.url("/en/credentials/scan");
    browser.goto(&page).await;
    wait_for(&browser, "first", "[data-credentials-scanner][data-lists=ready]").await;
    paste(&browser, &valid).await;
    verdict(&browser, "before", "valid").await;

    browser
        .client
        .execute(&format!("localStorage.setItem('{KEPT}', arguments[0]);"), vec![Value::from(newer)])
        .await
        .unwrap();
    browser.goto(&page).await;
    wait_for(&browser, "kept-newer", "[data-credentials-scanner][data-lists=ready]").await;
    paste(&browser, &valid).await;
    let text = verdict(&browser, "rollback-refused", "invalid").await;
    assert!(text.contains("not in the trust lists"), "the newer kept bundle, trusting no signer, is used: {text}");

    // Without it, the server's bundle is taken again: the same code is valid.
    browser.client.execute(&format!("localStorage.removeItem('{KEPT}');"), vec![]).await.unwrap();
    browser.goto(&page).await;
    wait_for(&browser, "again", "[data-credentials-scanner][data-lists=ready]").await;
    paste(&browser, &valid).await;
    verdict(&browser, "after", "valid").await;
    browser.close().await;
    app.stop().await;
}
both_backends!(the_scanner_ignores_a_bundle_older_than_the_one_it_keeps);

/// The administrators' rules page, and its error state, pass axe in three languages.
async fn the_rules_page_is_accessible(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = app(backend).spawn().await;
    let mut admin = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
    admin.roles.push(platform::principal::Role::Admin);
    browser.sign_in_as(&app, &admin).await;
    for lang in ["en", "zh-hk", "zh-cn"] {
        browser.goto(&app.url(&format!("/{lang}/admin/credentials/rules"))).await;
        wait_for(&browser, &format!("rules-{lang}"), "#vaccination_min_days").await;
        browser.assert_accessible(&format!("rules-{lang}")).await;
    }
    let field = browser.client.find(Locator::Id("vaccination_min_days")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys("many").await.unwrap();
    browser.client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&browser, "rules-errors", "#error-summary").await;
    assert!(browser.text("#error-summary").await.unwrap().contains("请输入整数"), "the summary in simplified Chinese");
    browser.assert_accessible("rules-errors").await;
    browser.close().await;
    app.stop().await;
}
both_backends!(the_rules_page_is_accessible);
