//! CKAN's read actions over HTTP against the demo catalogue: the envelope,
//! every read action on both paths, `package_search`'s parameters, CKAN's
//! error shapes (unknown ID, bad `rows`, unknown action, a write by GET,
//! a body that is not JSON), and private datasets and drafts hidden from
//! anyone without a publisher's token.

use platform::both_backends;
use platform::testkit::Backend;
use serde_json::{Value, json};

use crate::support::{get, names, post, publisher, refusal, result, with_demo};

async fn every_read_action_answers_in_ckans_envelope(backend: Backend) {
    let app = with_demo(backend).await;
    let c = app.client();

    let status = result(get(&c, "status_show", "", None).await);
    assert_eq!(status["ckan_version"], "2.10.4");

    let list = result(get(&c, "package_list", "", None).await);
    let list: Vec<&str> = list.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(list.len(), 32, "34 less the private one and the draft: {list:?}");
    assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted by name");
    assert!(!list.contains(&"parking-vacancy") && !list.contains(&"museum-attendance-2024"));
    let page = result(get(&c, "package_list", "limit=2&offset=1", None).await);
    assert_eq!(page, json!(list[1..3]));

    // By name, on both paths, by GET and by POST; then by ID.
    let shown = result(get(&c, "package_show", "id=air-quality-health-index", None).await);
    assert_eq!(shown["title"], "Air Quality Health Index");
    assert_eq!(
        shown["title_translated"],
        json!({"en": "Air Quality Health Index", "zh-HK": "空氣質素健康指數", "zh-CN": "空气质量健康指数"})
    );
    assert_eq!(shown["organization"]["name"], "epd");
    assert_eq!(shown["state"], "active");
    assert_eq!(shown["private"], false);
    assert_eq!(shown["num_resources"], 2);
    assert_eq!(shown["resources"][0]["format"], "XML");
    assert!(shown["resources"][0]["hash"].as_str().unwrap().starts_with("sha256:"));
    assert!(shown["resources"][0]["size"].as_i64().unwrap() > 0);
    assert_eq!(shown["languages"], json!(["en", "zh-HK", "zh-CN"]));
    let groups: Vec<&str> = shown["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(groups, ["environment", "health"]);
    let by_post = result(post(&c, "package_show", &json!({"id": shown["id"]}), None).await);
    assert_eq!(by_post, shown);
    let unversioned = c.get("/api/action/package_show?id=air-quality-health-index").await;
    assert_eq!(unversioned.json::<Value>().await.unwrap()["result"], shown);

    let orgs = result(get(&c, "organization_list", "", None).await);
    assert_eq!(orgs, json!(["censtatd", "dh", "epd", "fehd", "hko", "lcsd", "td"]));
    let orgs = result(get(&c, "organization_list", "all_fields=true", None).await);
    let td = orgs.as_array().unwrap().iter().find(|o| o["name"] == "td").unwrap().clone();
    assert_eq!(td["package_count"], 5, "six less the private one: {td}");
    assert_eq!(td["title_translated"]["zh-HK"], "運輸署");
    let epd = result(get(&c, "organization_show", "id=epd&include_datasets=true", None).await);
    assert_eq!(epd["package_count"], 4);
    assert_eq!(epd["packages"].as_array().unwrap().len(), 4);

    let groups = result(get(&c, "group_list", "", None).await);
    assert_eq!(groups.as_array().unwrap().len(), 19, "the 19 categories: {groups}");
    let groups = result(get(&c, "group_list", "all_fields=true&limit=100", None).await);
    let weather = groups.as_array().unwrap().iter().find(|g| g["name"] == "climate-and-weather").unwrap().clone();
    assert_eq!(weather["package_count"], 7);
    assert_eq!(weather["title_translated"]["zh-CN"], "气候及天气");
    let covid = result(get(&c, "group_show", "id=covid-19&include_datasets=true", None).await);
    assert_eq!(names(&json!({"results": covid["packages"]})), ["covid-19-vaccination-statistics"]);

    let tags = result(get(&c, "tag_list", "query=WEATH", None).await);
    assert_eq!(tags, json!(["weather"]));
    let chinese = result(get(&c, "tag_list", "query=%E5%A4%A9", None).await);
    assert_eq!(chinese, json!(["天氣"]));
    let tag_dicts = result(get(&c, "tag_list", "all_fields=true", None).await);
    assert!(tag_dicts.as_array().unwrap().iter().all(|t| t["id"].is_string() && t["name"].is_string()));

    let resource_id = shown["resources"][1]["id"].as_str().unwrap();
    let resource = result(get(&c, "resource_show", &format!("id={resource_id}"), None).await);
    assert_eq!(resource["package_id"], shown["id"]);
    assert_eq!(resource["format"], "CSV");
    assert_eq!(resource["name_translated"]["zh-HK"], "空氣質素健康指數（CSV）");
}
both_backends!(every_read_action_answers_in_ckans_envelope);

async fn package_search_filters_sorts_pages_and_counts_facets(backend: Backend) {
    let app = with_demo(backend).await;
    let c = app.client();

    let all = result(get(&c, "package_search", "", None).await);
    assert_eq!(all["count"], 32);
    assert_eq!(all["results"].as_array().unwrap().len(), 10, "ten rows by default");

    // Words in any language and script; every word must occur.
    let rain = result(get(&c, "package_search", "q=%E9%9B%A8%E9%87%8F", None).await);
    assert_eq!(rain["count"], 3, "雨量: {}", names(&rain).join(", "));
    let sha_tin = result(get(&c, "package_search", "q=rainfall%20sha", None).await);
    assert_eq!(names(&sha_tin), ["daily-rainfall-sha-tin"]);
    let simplified = result(get(&c, "package_search", "q=%E7%A9%BA%E6%B0%94%E8%B4%A8%E9%87%8F", None).await);
    assert_eq!(names(&simplified), ["air-quality-health-index"], "空气质量");

    // fq terms, facets, sorting, paging.
    let query = "fq=organization:censtatd%20res_format:csv%20-tags:trade&sort=name%20asc&rows=2&start=1\
                 &facet.field=%5B%22groups%22,%22tags%22%5D&facet.limit=2&facet.mincount=2";
    let found = result(get(&c, "package_search", query, None).await);
    assert_eq!(found["count"], 6, "four population years, prices, labour: {found}");
    assert_eq!(names(&found), ["labour-force-statistics", "population-by-district-2021"]);
    assert_eq!(found["sort"], "name asc");
    assert_eq!(found["facets"]["groups"], json!({"population": 4}), "mincount 2 leaves one group out");
    assert_eq!(found["facets"]["tags"], json!({"districts": 4, "population": 4}), "limit 2, ties by name");
    let items = &found["search_facets"]["groups"]["items"];
    assert_eq!(items, &json!([{"name": "population", "display_name": "Population", "count": 4}]));

    // POST with a JSON body reads the same; numbers and lists as JSON.
    let by_post = result(
        post(
            &c,
            "package_search",
            &json!({"fq": "organization:censtatd res_format:csv -tags:trade", "sort": "name asc", "rows": 2,
                "start": 1, "facet.field": ["groups", "tags"], "facet.limit": 2, "facet.mincount": 2}),
            None,
        )
        .await,
    );
    assert_eq!(by_post, found);

    // rows above 1,000 are 1,000 (CKAN's cap), not a refusal.
    let capped = result(get(&c, "package_search", "rows=5000", None).await);
    assert_eq!(capped["results"].as_array().unwrap().len(), 32);
    let newest = result(get(&c, "package_search", "sort=metadata_modified%20desc&rows=1", None).await);
    assert_eq!(names(&newest), ["food-safety-surveillance"], "the last one made");
    let languages = result(get(&c, "package_search", "facet.field=%5B%22language%22%5D", None).await);
    assert_eq!(languages["facets"]["language"], json!({"en": 32, "zh-HK": 32, "zh-CN": 30}));
}
both_backends!(package_search_filters_sorts_pages_and_counts_facets);

async fn refusals_take_ckans_error_shape(backend: Backend) {
    let app = with_demo(backend).await;
    let c = app.client();

    let (status, kind, error) = refusal(get(&c, "package_show", "id=no-such-dataset", None).await);
    assert_eq!((status, kind.as_str()), (404, "Not Found Error"), "{error}");
    assert_eq!(error["message"], "Not found: dataset");
    for (action, query) in [
        ("resource_show", "id=nothing"),
        ("organization_show", "id=nobody"),
        ("group_show", "id=x"),
        // PostgreSQL keeps no NUL in text: such an ID names nothing (not a 500).
        ("package_show", "id=a%00b"),
        ("resource_show", "id=%00"),
    ] {
        let (status, kind, _) = refusal(get(&c, action, query, None).await);
        assert_eq!((status, kind.as_str()), (404, "Not Found Error"), "{action}");
    }

    for rows in ["ten", "-1", "1.5"] {
        let (status, kind, error) = refusal(get(&c, "package_search", &format!("rows={rows}"), None).await);
        assert_eq!((status, kind.as_str()), (409, "Validation Error"), "rows={rows}");
        assert!(error["rows"][0].is_string(), "{error}");
    }
    let (status, _, error) = refusal(post(&c, "package_search", &json!({"rows": "x", "start": -2}), None).await);
    assert_eq!(status, 409);
    assert_eq!(error["rows"], json!(["Invalid integer"]));
    assert_eq!(error["start"], json!(["Must be a natural number"]));
    let (status, _, error) = refusal(get(&c, "package_search", "fq=colour:red&sort=colour", None).await);
    assert_eq!(status, 409);
    assert!(error["fq"].is_array() && error["sort"].is_array(), "{error}");

    let (status, kind, error) = refusal(get(&c, "package_show", "", None).await);
    assert_eq!((status, kind.as_str(), &error["id"]), (409, "Validation Error", &json!(["Missing value"])));

    let (status, kind, error) = refusal(get(&c, "package_frobnicate", "", None).await);
    assert_eq!((status, kind.as_str()), (400, "Bad Request"));
    assert_eq!(error["message"], "Bad request - Action name not known: package_frobnicate");
    let (status, kind, _) = refusal(get(&c, "package_create", "name=x", None).await);
    assert_eq!((status, kind.as_str()), (400, "Bad Request"), "no write by GET");

    let response = c.http.post(c.url("/api/3/action/package_show")).body("{not json").send().await.unwrap();
    let (status, kind, _) = refusal((response.status().as_u16(), response.json().await.unwrap()));
    assert_eq!((status, kind.as_str()), (400, "Bad Request"));

    let put = c.http.put(c.url("/api/3/action/package_show")).send().await.unwrap();
    assert_eq!(put.status(), 405);
    let (status, kind, _) = refusal(get(&c, "status_show", "", Some("lrod_not-a-token")).await);
    assert_eq!((status, kind.as_str()), (403, "Authorization Error"), "a wrong token is refused, even to read");
}
both_backends!(refusals_take_ckans_error_shape);

async fn private_datasets_and_drafts_are_hidden_without_a_publishers_key(backend: Backend) {
    let app = with_demo(backend).await;
    let c = app.client();
    let (_, td) = publisher(&app, "td").await;
    let (_, lcsd) = publisher(&app, "lcsd").await;

    for who in [None, Some(lcsd.as_str())] {
        let (status, kind, _) = refusal(get(&c, "package_show", "id=parking-vacancy", who).await);
        assert_eq!((status, kind.as_str()), (404, "Not Found Error"), "private, to {who:?}");
        let search = result(get(&c, "package_search", "q=parking&include_private=true", who).await);
        assert_eq!(search["count"], 0, "to {who:?}");
    }
    let shown = result(get(&c, "package_show", "id=parking-vacancy", Some(&td)).await);
    assert_eq!(shown["private"], true);
    let resource = shown["resources"][0]["id"].as_str().unwrap().to_owned();
    let (status, ..) = refusal(get(&c, "resource_show", &format!("id={resource}"), None).await);
    assert_eq!(status, 404, "a private dataset's resource too");
    assert_eq!(result(get(&c, "resource_show", &format!("id={resource}"), Some(&td)).await)["id"], resource.as_str());

    let search = result(get(&c, "package_search", "q=parking", Some(&td)).await);
    assert_eq!(search["count"], 0, "private ones only when asked for");
    let search = result(get(&c, "package_search", "q=parking&include_private=true", Some(&td)).await);
    assert_eq!(names(&search), ["parking-vacancy"]);
    let td_org = result(get(&c, "organization_show", "id=td", Some(&td)).await);
    assert_eq!(td_org["package_count"], 6, "its publisher counts the private one");

    // The draft: only its publishers, and in searches only with include_drafts.
    let (status, ..) = refusal(get(&c, "package_show", "id=museum-attendance-2024", None).await);
    assert_eq!(status, 404);
    let draft = result(get(&c, "package_show", "id=museum-attendance-2024", Some(&lcsd)).await);
    assert_eq!(draft["state"], "draft");
    let search = result(get(&c, "package_search", "q=museum&include_drafts=true", Some(&lcsd)).await);
    assert_eq!(search["count"], 2);
    let search = result(get(&c, "package_search", "q=museum&include_drafts=true", None).await);
    assert_eq!(search["count"], 1);
}
both_backends!(private_datasets_and_drafts_are_hidden_without_a_publishers_key);
