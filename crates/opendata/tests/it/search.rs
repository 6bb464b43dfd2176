//! Full-text search over HTTP (`package_search` and the search page): a
//! query in one Chinese script finds a record written in the other, an
//! English word by its stem or with a typo, facets agree with the results,
//! private datasets and drafts never leak, and two servers on one database
//! answer the same a moment after a change on either.

use std::time::{Duration, Instant};

use platform::both_backends;
use platform::testkit::{Backend, TestApp};
use serde_json::{Value, json};

use crate::support::{get, names, post, publisher, refusal, result, spawn_with_memory_index, with_demo};

/// Makes a dataset of the demo's `hko` through the API and returns its name.
async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let made = result(post(&app.client(), "package_create", &body, Some(token)).await);
    made["name"].as_str().unwrap().to_owned()
}

async fn search(app: &TestApp, query: &str, token: Option<&str>) -> Value {
    result(get(&app.client(), "package_search", query, token).await)
}

async fn either_script_stems_and_typos_find_their_record(backend: Backend) {
    let app = with_demo(backend).await;
    let (_, hko) = publisher(&app, "hko").await;
    let traditional = create(
        &app,
        &hko,
        json!({"name": "typhoon-shelters", "owner_org": "hko",
               "title_translated": {"en": "Typhoon shelters", "zh-HK": "避風塘位置及設施"},
               "notes_translated": {"en": "Where boats shelter when a typhoon signal is hoisted."}}),
    )
    .await;
    let simplified = create(
        &app,
        &hko,
        json!({"name": "wetland-visitors", "owner_org": "hko",
               "title_translated": {"en": "Wetland park visitors", "zh-CN": "湿地公园游客人数"}}),
    )
    .await;
    // %E9%81%BF%E9%A3%8E%E5%A1%98 = 避风塘 (Simplified); the record has 避風塘 only.
    let found = search(&app, "q=%E9%81%BF%E9%A3%8E%E5%A1%98", None).await;
    assert_eq!(names(&found), [traditional.as_str()], "Simplified finds Traditional");
    // 濕地公園 (Traditional); the record has 湿地公园 only.
    let found = search(&app, "q=%E6%BF%95%E5%9C%B0%E5%85%AC%E5%9C%92", None).await;
    assert_eq!(names(&found), [simplified.as_str()], "Traditional finds Simplified");
    // The page reads the same way.
    let page = app.client().http.get(app.url("/zh-hk/opendata/datasets?q=%E6%BF%95%E5%9C%B0")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("data-dataset"), "the search page finds it too");

    assert_eq!(names(&search(&app, "q=sheltering", None).await), [traditional.as_str()], "a stem");
    assert_eq!(names(&search(&app, "q=hoisting%20signals", None).await), [traditional.as_str()], "stems");
    let typo = names(&search(&app, "q=tyhpoon%20shelter", None).await);
    assert_eq!(typo, [traditional.as_str()], "a typo (the demo's typhoon warnings have no shelter)");
    assert_eq!(names(&search(&app, "q=wetlnd%20visitor", None).await), [simplified.as_str()], "a typo and a stem");
    assert_eq!(search(&app, "q=typhoon%20wetland", None).await["count"], 0, "every word must be found");
}
both_backends!(either_script_stems_and_typos_find_their_record);

/// Each facet value's count is the number of matching datasets that have it.
async fn facets_count_what_the_filters_found(backend: Backend) {
    let app = with_demo(backend).await;
    let query = "q=statistics&fq=-organization:hko&rows=1000\
                 &facet.field=%5B%22organization%22,%22groups%22,%22res_format%22,%22tags%22,%22language%22%5D\
                 &facet.limit=-1";
    let found = search(&app, query, None).await;
    let results = found["results"].as_array().unwrap();
    assert!(results.len() > 3, "{found}");
    assert_eq!(found["count"], results.len());
    let has = |d: &Value, field: &str, value: &str| -> bool {
        match field {
            "organization" => d["organization"]["name"] == value,
            "groups" => d["groups"].as_array().unwrap().iter().any(|g| g["name"] == value),
            "tags" => d["tags"].as_array().unwrap().iter().any(|t| t["name"] == value),
            "res_format" => d["resources"].as_array().unwrap().iter().any(|r| r["format"] == value),
            // A language in which the title and (when it has one) the description are written.
            _ => {
                let written = |texts: &Value, lang: &str| texts[lang].as_str().is_some_and(|t| !t.is_empty());
                let no_notes = ["en", "zh-HK", "zh-CN"].iter().all(|l| !written(&d["notes_translated"], l));
                written(&d["title_translated"], value) && (no_notes || written(&d["notes_translated"], value))
            }
        }
    };
    for field in ["organization", "groups", "res_format", "tags", "language"] {
        let counts = found["facets"][field].as_object().unwrap();
        assert!(!counts.is_empty(), "{field}");
        for (value, count) in counts {
            let expected = results.iter().filter(|d| has(d, field, value)).count();
            assert_eq!(count, expected, "{field}={value}");
        }
    }
    assert!(found["facets"]["organization"].get("hko").is_none(), "the filter holds for facets");
}
both_backends!(facets_count_what_the_filters_found);

async fn private_datasets_and_drafts_never_leak(backend: Backend) {
    let app = with_demo(backend).await;
    let (_, hko) = publisher(&app, "hko").await;
    let (_, epd) = publisher(&app, "epd").await;
    let body = json!({"name": "lightning-raw", "owner_org": "hko", "title": "Lightning strikes, raw", "private": true});
    create(&app, &hko, body.clone()).await;
    create(
        &app,
        &hko,
        json!({"name": "lightning-draft", "owner_org": "hko", "title": "Lightning draft",
                              "state": "draft"}),
    )
    .await;
    let all = "q=lightning&include_private=true&include_drafts=true&facet.field=%5B%22tags%22%5D";
    for who in [None, Some(epd.as_str())] {
        let found = search(&app, all, who).await;
        assert_eq!(found["count"], 0, "to {who:?}: {found}");
    }
    assert_eq!(names(&search(&app, all, Some(&hko)).await).len(), 2);
    assert_eq!(search(&app, "q=lightning", Some(&hko)).await["count"], 0, "only when asked for");

    // Made public, then private again: the index follows.
    let mut public = body;
    public["private"] = json!(false);
    result(post(&app.client(), "package_update", &public, Some(&hko)).await);
    assert_eq!(names(&search(&app, "q=lightning", None).await), ["lightning-raw"]);
    result(post(&app.client(), "package_patch", &json!({"id": "lightning-raw", "private": true}), Some(&hko)).await);
    assert_eq!(search(&app, "q=lightning", None).await["count"], 0);
    let page = app.client().http.get(app.url("/en/opendata/datasets?q=lightning")).send().await.unwrap();
    assert!(!page.text().await.unwrap().contains("lightning-raw"), "nor on the search page");
    result(post(&app.client(), "package_delete", &json!({"id": "lightning-raw"}), Some(&hko)).await);
    assert_eq!(names(&search(&app, all, Some(&hko)).await), ["lightning-draft"], "deleted is gone");
}
both_backends!(private_datasets_and_drafts_never_leak);

/// Polls `check` until it holds or 30 seconds pass.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn two_servers_answer_the_same_after_a_change_on_either(backend: Backend) {
    let a = with_demo(backend).await;
    let b = spawn_with_memory_index(TestApp::builder().same_database_as(&a)).await;
    let (_, hko) = publisher(&a, "hko").await;
    let query = "q=thunderstorm&facet.field=%5B%22organization%22%5D";
    assert_eq!(search(&b, query, None).await["count"], 0);

    // A change on a: b's own index follows it without a search asking
    // (the event, or the periodic round), then both answer alike.
    let update = json!({"id": "daily-rainfall-sha-tin", "title": "Thunderstorm rainfall at Sha Tin"});
    result(post(&a.client(), "package_patch", &update, Some(&hko)).await);
    let head = opendata::catalogue::store::change_head(a.db()).await.unwrap();
    let index = opendata::search::node::index_of(&b.state);
    let index = index.as_ref().as_ref().unwrap();
    eventually("b's index follows a's change", async || index.applied() >= head).await;
    let on_a = search(&a, query, None).await;
    assert_eq!(names(&on_a), ["daily-rainfall-sha-tin"]);
    assert_eq!(search(&b, query, None).await, on_a);

    // A change on b: a answers the same.
    result(post(&b.client(), "package_delete", &json!({"id": "daily-rainfall-sha-tin"}), Some(&hko)).await);
    eventually("a answers as b", async || search(&a, query, None).await["count"] == 0).await;
    assert_eq!(search(&a, query, None).await, search(&b, query, None).await);
}
both_backends!(two_servers_answer_the_same_after_a_change_on_either);

/// A query no index could answer sensibly is refused or bounded before any
/// work: an offset past every dataset is an empty page (it made tantivy
/// reserve memory for the whole offset, enough to abort the process), a
/// huge page of the search page likewise, and an overlong `q` or one of
/// very many words is a Validation Error naming it.
async fn huge_offsets_and_overlong_queries_are_bounded(backend: Backend) {
    let app = with_demo(backend).await;
    let found = search(&app, "q=rainfall&start=1000000000&rows=1000", None).await;
    assert_eq!((found["count"].as_u64(), names(&found).len()), (Some(3), 0), "{found}");
    let page = app.client().http.get(app.url("/en/opendata/datasets?q=rainfall&page=99999999")).send().await.unwrap();
    assert_eq!(page.status(), 200);

    let long = format!("q={}", "a".repeat(501));
    let (status, kind, body) = refusal(get(&app.client(), "package_search", &long, None).await);
    assert_eq!((status, kind.as_str()), (409, "Validation Error"), "{body}");
    assert!(body["q"].to_string().contains("500 characters"), "{body}");
    let many = format!("q={}", vec!["word"; 33].join("+"));
    let (status, _, body) = refusal(get(&app.client(), "package_search", &many, None).await);
    assert_eq!(status, 409);
    assert!(body["q"].to_string().contains("32 words"), "{body}");
    // Long words are searched, just not widened by typos.
    let found = search(&app, &format!("q={}", "x".repeat(400)), None).await;
    assert_eq!(found["count"], 0);
}
both_backends!(huge_offsets_and_overlong_queries_are_bounded);
