//! The catalogue's pages over HTTP in three languages: home with the
//! categories and latest datasets, search with facets and paging, a
//! dataset with its resources, publishers, a category; texts missing in a
//! language are shown in another and marked with its `lang`; private
//! datasets and drafts have no page.

use platform::both_backends;
use platform::testkit::Backend;

use crate::support::with_demo;

async fn page(app: &platform::testkit::TestApp, path: &str) -> (u16, String) {
    let response = app.client().get(path).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn the_pages_show_the_catalogue_in_three_languages(backend: Backend) {
    let app = with_demo(backend).await;

    let (status, home) = page(&app, "/en/opendata").await;
    assert_eq!(status, 200);
    assert!(home.contains("32 datasets, free to use"), "{home}");
    assert!(home.contains("href=\"/en/opendata/categories/climate-and-weather\">Climate &#38; Weather</a>"), "{home}");
    assert!(home.contains("(7 datasets)"));
    assert_eq!(home.matches("data-dataset").count(), 6, "the six latest");
    let (_, home_hk) = page(&app, "/zh-hk/opendata").await;
    assert!(home_hk.contains(">氣候及天氣</a>") && home_hk.contains("最新數據集"), "{home_hk}");

    // Search: words, a facet as a link that adds itself, then paging.
    let (status, found) = page(&app, "/en/opendata/datasets?q=statistics").await;
    assert_eq!(status, 200);
    assert!(found.contains("datasets found"), "{found}");
    let (_, all) = page(&app, "/en/opendata/datasets").await;
    assert!(all.contains("32 datasets found") && all.contains("Page 1 of 2"), "{all}");
    assert_eq!(all.matches("data-dataset").count(), 20);
    assert!(all.contains("href=\"/en/opendata/datasets?page=2\" rel=\"next\""), "{all}");
    assert!(all.contains("href=\"/en/opendata/datasets?groups=population\" data-facet=\"groups\""), "{all}");
    let (_, page2) = page(&app, "/en/opendata/datasets?page=2").await;
    assert_eq!(page2.matches("data-dataset").count(), 12);
    assert!(page2.contains("rel=\"prev\""));
    let (_, filtered) = page(&app, "/zh-cn/opendata/datasets?groups=population&res_format=CSV").await;
    assert!(filtered.contains("找到 4 个数据集"), "{filtered}");
    assert!(filtered.contains("aria-current=\"true\""), "the chosen facet is marked");
    assert!(filtered.contains("<input type=\"hidden\" name=\"groups\" value=\"population\">"), "the form keeps it");
    assert!(filtered.contains("按区议会分区划分的人口 2024"), "{filtered}");

    // A dataset: its resources, facts, and links to its publisher and categories.
    let (status, aqhi) = page(&app, "/zh-hk/opendata/datasets/air-quality-health-index").await;
    assert_eq!(status, 200);
    assert!(aqhi.contains("<h1>空氣質素健康指數</h1>"), "{aqhi}");
    assert_eq!(aqhi.matches("data-resource").count(), 2);
    assert!(aqhi.contains("href=\"https://data.example.gov.hk/epd/air-quality-health-index/data.csv\""));
    assert!(aqhi.contains("href=\"/zh-hk/opendata/organisations/epd\">環境保護署</a>"));
    assert!(aqhi.contains("每小時"), "the update frequency, translated");
    assert!(aqhi.contains("/api/3/action/package_show?id=air-quality-health-index"));

    // A record without Simplified Chinese: the fallback is marked with its language.
    let (_, quake) = page(&app, "/zh-cn/opendata/datasets/earthquakes-felt-in-hong-kong").await;
    assert!(quake.contains("<h1 lang=\"zh-HK\">本港有感地震</h1>"), "{quake}");

    for hidden in ["parking-vacancy", "museum-attendance-2024", "no-such-dataset", "a%00b"] {
        let (status, _) = page(&app, &format!("/en/opendata/datasets/{hidden}")).await;
        assert_eq!(status, 404, "{hidden}");
    }

    let (_, publishers) = page(&app, "/en/opendata/organisations").await;
    assert!(
        publishers.contains(">Transport Department</a> <span class=\"opendata-count\">(5 datasets)"),
        "{publishers}"
    );
    let (status, hko) = page(&app, "/zh-cn/opendata/organisations/hko").await;
    assert_eq!(status, 200);
    assert!(hko.contains("<h1>香港天文台</h1>") && hko.contains("找到 7 个数据集"), "{hko}");
    assert!(!hko.contains("data-facet=\"organization\""), "no publisher facet on a publisher's page");
    let (status, covid) = page(&app, "/en/opendata/categories/covid-19").await;
    assert_eq!(status, 200);
    assert!(covid.contains("1 dataset found") && covid.contains("COVID-19 Vaccination Statistics"), "{covid}");
    assert!(
        home.contains(">Coronavirus Disease (COVID-19)</a> <span class=\"opendata-count\">(1 dataset)</span>"),
        "{home}"
    );
    assert_eq!(page(&app, "/en/opendata/categories/nothing").await.0, 404);
}
both_backends!(the_pages_show_the_catalogue_in_three_languages);
