//! The whole resident flow in Chromium, in English, Traditional and
//! Simplified Chinese, by keyboard alone: find a centre, choose a day and a
//! time, give the identity document, review, confirm, see the confirmation
//! and my bookings, and the live availability page (its script updates the
//! table); axe finds no serious or critical violation on any page.

use fantoccini::Locator;
use platform::both_backends;
use platform::principal::AccountId;
use platform::testkit::Backend;
use platform::testkit::browser::Browser;

use crate::support::{hkid, import, set_contact, spawn, testing_plan};

const ENTER: &str = "\u{E007}";
const SPACE: &str = "\u{E00D}";

async fn wait_for(browser: &Browser, name: &str, css: &str) {
    browser.check(name, browser.client.wait().for_element(Locator::Css(css))).await;
}

/// Presses `key` on the element `css` (focus by keyboard, as a person would).
async fn press(browser: &Browser, css: &str, key: &str) {
    let element = browser.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    element.send_keys(key).await.unwrap_or_else(|e| panic!("{css}: {e}"));
}

async fn a_resident_books_by_keyboard_in_three_languages(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = spawn(backend).await;
    import(&app, &testing_plan(5)).await;
    let tomorrow = app.state.today().saturating_add(time::Duration::DAY);

    for (n, lang) in [(500, "en"), (501, "zh-hk"), (502, "zh-cn")] {
        let principal = platform::testkit::resident_signed_in_now(AccountId::new());
        set_contact(principal.account_id, &format!("{}@example.org", principal.account_id), platform::i18n::Lang::En);
        browser.sign_in_as(&app, &principal).await;

        browser.goto(&app.url(&format!("/{lang}/booking/community-testing"))).await;
        wait_for(&browser, &format!("map-{lang}"), ".booking-map svg a[data-district=sha-tin]").await;
        browser.assert_accessible(&format!("booking-find-{lang}")).await;
        // The Sha Tin district on the map, by keyboard.
        press(&browser, ".booking-map a[data-district=sha-tin]", ENTER).await;
        wait_for(&browser, &format!("district-{lang}"), "a[aria-current=true][data-district=sha-tin]").await;

        browser
            .goto(&app.url(&format!("/{lang}/booking/community-testing/centres/sha-tin-town-hall?day={tomorrow}")))
            .await;
        wait_for(&browser, &format!("times-{lang}"), "input[type=radio][name=slot]").await;
        browser.assert_accessible(&format!("booking-centre-{lang}")).await;
        press(&browser, "input[type=radio][name=slot]:not([disabled])", SPACE).await;
        press(&browser, "main form button[type=submit]", ENTER).await;

        wait_for(&browser, &format!("who-{lang}"), "input#number").await;
        browser.assert_accessible(&format!("booking-who-{lang}")).await;
        // A wrong check digit first: the error summary, then the right number.
        press(&browser, "input#number", "A123456(4)").await;
        press(&browser, "input#number", ENTER).await;
        wait_for(&browser, &format!("summary-{lang}"), "#error-summary").await;
        browser.assert_accessible(&format!("booking-who-errors-{lang}")).await;
        browser.client.find(Locator::Css("input#number")).await.unwrap().clear().await.unwrap();
        press(&browser, "input#number", &hkid(n)).await;
        press(&browser, "input#number", ENTER).await;

        wait_for(&browser, &format!("review-{lang}"), "input[name=step][value=confirm]").await;
        browser.assert_accessible(&format!("booking-review-{lang}")).await;
        press(&browser, "main form button[type=submit]", ENTER).await;

        wait_for(&browser, &format!("confirmation-{lang}"), "[data-reference]").await;
        browser.assert_accessible(&format!("booking-confirmation-{lang}")).await;
        let reference = browser.text("[data-reference]").await.unwrap();
        assert!(booking::bookings::Reference::parse(&reference).is_some(), "{reference}");
        assert!(browser.client.find(Locator::Css(".booking-qr svg[role=img]")).await.is_ok());

        browser.goto(&app.url(&format!("/{lang}/booking/mine"))).await;
        wait_for(&browser, &format!("mine-{lang}"), "[data-booking]").await;
        browser.assert_accessible(&format!("booking-mine-{lang}")).await;
        assert!(browser.client.source().await.unwrap().contains(&reference));

        browser.goto(&app.url(&format!("/{lang}/booking/community-testing/availability"))).await;
        // The script has the first event: the live note replaced the static one.
        let live = match lang {
            "en" => "Updated live",
            "zh-hk" => "即時更新",
            _ => "实时更新",
        };
        browser
            .check(
                &format!("live-{lang}"),
                browser
                    .client
                    .wait()
                    .for_element(Locator::XPath(&format!("//span[@data-live-updated][contains(., '{live}')]"))),
            )
            .await;
        browser.assert_accessible(&format!("booking-availability-{lang}")).await;
    }
    browser.close().await;
}
both_backends!(a_resident_books_by_keyboard_in_three_languages);
