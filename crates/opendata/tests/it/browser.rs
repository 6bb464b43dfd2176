//! The search and dataset pages in Chromium, in English, Traditional and
//! Simplified Chinese: a search by keyboard, a facet followed, the dataset
//! opened; axe finds no serious or critical violation on any of them.

use fantoccini::Locator;
use platform::both_backends;
use platform::testkit::Backend;
use platform::testkit::browser::Browser;

use crate::support::with_demo;

const ENTER: &str = "\u{E007}";

async fn wait_for(browser: &Browser, name: &str, css: &str) {
    browser.check(name, browser.client.wait().for_element(Locator::Css(css))).await;
}

async fn search_and_dataset_pages_are_accessible_in_three_languages(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = with_demo(backend).await;
    for lang in ["en", "zh-hk", "zh-cn"] {
        browser.goto(&app.url(&format!("/{lang}/opendata"))).await;
        wait_for(&browser, &format!("home-{lang}"), ".opendata-categories a").await;
        browser.assert_accessible(&format!("opendata-home-{lang}")).await;

        let q = browser.client.find(Locator::Css("input#q")).await.unwrap();
        q.send_keys("rain").await.unwrap();
        q.send_keys(ENTER).await.unwrap();
        wait_for(&browser, &format!("search-{lang}"), "a[data-facet=organization]").await;
        browser.assert_accessible(&format!("opendata-search-{lang}")).await;
        assert_eq!(browser.client.find_all(Locator::Css("[data-dataset]")).await.unwrap().len(), 3);

        browser.client.find(Locator::Css("a[data-facet=tags]")).await.unwrap().click().await.unwrap();
        wait_for(&browser, &format!("facet-{lang}"), "a[data-facet=tags][aria-current=true]").await;
        browser.assert_accessible(&format!("opendata-search-facet-{lang}")).await;

        browser.client.find(Locator::Css("[data-dataset] h3 a")).await.unwrap().click().await.unwrap();
        wait_for(&browser, &format!("dataset-{lang}"), "tr[data-resource]").await;
        browser.assert_accessible(&format!("opendata-dataset-{lang}")).await;

        browser.goto(&app.url(&format!("/{lang}/opendata/datasets/earthquakes-felt-in-hong-kong"))).await;
        wait_for(&browser, &format!("fallback-{lang}"), "tr[data-resource]").await;
        browser.assert_accessible(&format!("opendata-dataset-fallback-{lang}")).await;
    }
    browser.close().await;
}
both_backends!(search_and_dataset_pages_are_accessible_in_three_languages);
