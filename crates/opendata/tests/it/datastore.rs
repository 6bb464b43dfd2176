//! CKAN's DataStore over HTTP and the loader behind uploads, on both
//! databases: `datastore_create`, `datastore_upsert`, `datastore_search`
//! (filters, q, fields, sort, limit, offset, distinct, include_total),
//! `datastore_info` and `datastore_delete` with their refusals in CKAN's
//! shape; names that are not the table's columns (SQL injection among them)
//! refused; private datasets' data hidden; a file's bad rows reported by
//! number and the rest loaded; a failed load leaving the table as it was.

use std::io::{Cursor, Read, Seek, SeekFrom};

use opendata::catalogue::store::{self as catalogue, Actor};
use opendata::datastore::file::Format;
use opendata::datastore::store::{self as datastore, LoadError};
use opendata::datastore::{Kind, RowProblem};
use platform::both_backends;
use platform::testkit::{Backend, TestApp};
use serde_json::{Value, json};

use crate::support::{get, post, publisher, refusal, result, spawn};

fn actor() -> Actor {
    Actor { id: "test".to_owned(), request_id: None }
}

/// Two organisations, a publisher token for each, and a public and a
/// private dataset of `hko` with one resource each: (hko, epd, public
/// resource, private resource).
async fn catalogue_with_resources(app: &TestApp) -> (String, String, String, String) {
    for (name, title) in [("hko", "Hong Kong Observatory"), ("epd", "Environmental Protection Department")] {
        let title = opendata::catalogue::Texts::new(title, "", "");
        catalogue::create_organisation(&app.state, name, title, Default::default(), &actor()).await.unwrap();
    }
    let (_, hko) = publisher(app, "hko").await;
    let (_, epd) = publisher(app, "epd").await;
    let c = app.client();
    let mut ids = Vec::new();
    for (name, private) in [("rainfall", false), ("rain-gauges", true)] {
        let body = json!({"name": name, "owner_org": "hko", "title": name, "private": private,
                          "resources": [{"url": format!("https://data.example.gov.hk/{name}.csv"), "format": "CSV"}]});
        let made = result(post(&c, "package_create", &body, Some(&hko)).await);
        ids.push(made["resources"][0]["id"].as_str().unwrap().to_owned());
    }
    (hko, epd, ids[0].clone(), ids[1].clone())
}

fn search_query(resource: &str, rest: &str) -> String {
    format!("resource_id={resource}&{rest}")
}

async fn the_datastore_actions_answer_as_ckan_does(backend: Backend) {
    let app = spawn(backend).await;
    let (hko, epd, rid, _) = catalogue_with_resources(&app).await;
    let c = app.client();
    let create = json!({
        "resource_id": rid,
        "fields": [
            {"id": "district", "type": "text", "info": {"label": {"en": "District", "zh-HK": "地區", "zh-CN": "地区"}}},
            {"id": "day", "type": "date"},
            {"id": "rain_mm", "type": "numeric"},
            {"id": "gauge", "type": "int"},
            {"id": "heavy", "type": "bool"},
            {"id": "read_at", "type": "timestamp"}
        ],
        "primary_key": ["district", "day"],
        "records": [
            {"district": "Sha Tin", "day": "2026-06-01", "rain_mm": 12.5, "gauge": 3, "heavy": false, "read_at": "2026-06-01T09:00:00+08:00"},
            {"district": "Tai Po", "day": "2026-06-01", "rain_mm": 70, "gauge": 4, "heavy": true, "read_at": "2026-06-01T01:00:00Z"},
            {"district": "Sha Tin", "day": "02/06/2026", "rain_mm": "0", "gauge": null, "heavy": "N"}
        ]
    });

    // Writes need a publisher of the dataset's organisation.
    for token in [None, Some(epd.as_str())] {
        let (status, kind, _) = refusal(post(&c, "datastore_create", &create, token).await);
        assert_eq!((status, kind.as_str()), (403, "Authorization Error"), "{token:?}");
    }
    let (status, kind, _) = refusal(get(&c, "datastore_create", &format!("resource_id={rid}"), Some(&hko)).await);
    assert_eq!((status, kind.as_str()), (400, "Bad Request"), "a write by GET");
    let shown = result(get(&c, "resource_show", &format!("id={rid}"), None).await);
    assert_eq!(shown["datastore_active"], false);
    let made = result(post(&c, "datastore_create", &create, Some(&hko)).await);
    let shown = result(get(&c, "package_show", "id=rainfall", None).await);
    assert_eq!(shown["resources"][0]["datastore_active"], true, "as CKAN marks a resource with data");
    let shown = result(get(&c, "resource_show", &format!("id={rid}"), None).await);
    assert_eq!(shown["datastore_active"], true);
    let found = result(get(&c, "package_search", "q=rainfall", None).await);
    assert_eq!(found["results"][0]["resources"][0]["datastore_active"], true);
    assert_eq!(made["resource_id"], rid.as_str());
    assert_eq!(made["primary_key"], json!(["district", "day"]));
    assert_eq!(made["fields"][0]["info"]["label"]["zh-HK"], "地區");

    // Search: everything, in order of _id, typed.
    let all = result(get(&c, "datastore_search", &search_query(&rid, ""), None).await);
    assert_eq!(all["total"], 3);
    assert_eq!(all["limit"], 100);
    let ids: Vec<&str> = all["fields"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["_id", "district", "day", "rain_mm", "gauge", "heavy", "read_at"]);
    assert_eq!(all["fields"][3]["type"], "numeric");
    let first = &all["records"][0];
    assert_eq!(first["_id"], 1);
    assert_eq!(
        (&first["district"], &first["day"], &first["rain_mm"], &first["gauge"], &first["heavy"], &first["read_at"]),
        (
            &json!("Sha Tin"),
            &json!("2026-06-01"),
            &json!(12.5),
            &json!(3),
            &json!(false),
            &json!("2026-06-01T01:00:00")
        )
    );
    assert_eq!(all["records"][2]["day"], "2026-06-02", "dd/mm/yyyy read day first");
    assert_eq!(all["records"][2]["gauge"], Value::Null);
    assert!(all["_links"]["next"].as_str().unwrap().contains("offset=100"));

    // Filters (a value or a list), q (words; per field), fields, sort, paging, distinct, include_total.
    let page = |q: &str| {
        let c = c.clone();
        let q = search_query(&rid, q);
        async move { result(get(&c, "datastore_search", &q, None).await) }
    };
    let found = page("filters=%7B%22district%22%3A%5B%22Tai%20Po%22%2C%22Mong%20Kok%22%5D%7D").await;
    assert_eq!((found["total"].as_i64(), found["records"][0]["district"].as_str()), (Some(1), Some("Tai Po")));
    let found = result(
        post(&c, "datastore_search", &json!({"resource_id": rid, "filters": {"heavy": false, "gauge": [3, 4]}}), None)
            .await,
    );
    assert_eq!(found["total"], 1);
    assert_eq!(page("q=SHA").await["total"], 2, "case-insensitive, over text columns");
    assert_eq!(page("q=sha%20tin").await["total"], 2);
    assert_eq!(page("q=sha%20po").await["total"], 0, "every word must match");
    assert_eq!(page("q=%7B%22district%22%3A%22tai%22%7D").await["total"], 1, "q per field");
    let sorted = page("sort=rain_mm%20desc&fields=district,rain_mm&limit=2").await;
    assert_eq!(
        sorted["records"],
        json!([{"district": "Tai Po", "rain_mm": 70.0}, {"district": "Sha Tin", "rain_mm": 12.5}])
    );
    let second = page("sort=_id&limit=1&offset=1&records_format=lists&fields=district").await;
    assert_eq!(second["records"], json!([["Tai Po"]]));
    let distinct = page("distinct=true&fields=district&sort=district").await;
    assert_eq!(
        (distinct["records"].clone(), distinct["total"].clone()),
        (json!([{"district": "Sha Tin"}, {"district": "Tai Po"}]), json!(2))
    );
    let no_total = page("include_total=false&limit=50000").await;
    assert!(no_total.get("total").is_none(), "{no_total}");
    assert_eq!(no_total["limit"], 32000, "a limit above CKAN's maximum is taken as the maximum");

    // Refusals: bad limit, unknown columns, injection attempts; unknown resource.
    for (query, key) in [
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("offset=x", "offset"),
        ("filters=%7B%22nope%22%3A1%7D", "filters"),
        ("filters=%7B%22gauge%22%3A%22three%22%7D", "filters"),
        ("sort=nope", "sort"),
        ("sort=rain_mm%3B%20DROP%20TABLE%20opendata_datastore", "sort"),
        ("sort=(SELECT%201)", "sort"),
        ("fields=district%22%20FROM%20opendata_datastore%20--", "fields"),
        ("q=%7B%22nope%22%3A%22x%22%7D", "q"),
        ("distinct=maybe", "distinct"),
        ("records_format=csv", "records_format"),
        ("q=a%00b", "q"),
        ("filters=%7B%22district%22%3A%22a%5Cu0000b%22%7D", "filters"),
    ] {
        let (status, kind, error) = refusal(get(&c, "datastore_search", &search_query(&rid, query), None).await);
        assert_eq!((status, kind.as_str()), (409, "Validation Error"), "{query}: {error}");
        assert!(error[key][0].is_string(), "{query}: {error}");
    }
    for body in [
        json!({"resource_id": rid, "filters": {"district": "x' OR '1'='1"}}),
        json!({"resource_id": rid, "q": "%' OR 1=1 --"}),
        json!({"resource_id": rid, "q": "_"}),
    ] {
        assert_eq!(result(post(&c, "datastore_search", &body, None).await)["total"], 0, "{body}: bound, not spliced");
    }
    assert_eq!(page("").await["total"], 3, "the table is still there");
    for action in ["datastore_search", "datastore_info"] {
        let (status, kind, error) = refusal(get(&c, action, "resource_id=no-such-resource", None).await);
        assert_eq!((status, kind.as_str()), (404, "Not Found Error"), "{action}");
        assert!(error["message"].as_str().unwrap().contains("no-such-resource"), "{error}");
        let (status, _, error) = refusal(get(&c, action, "", None).await);
        assert_eq!((status, &error["resource_id"]), (409, &json!(["Missing value"])));
    }

    // Info.
    let info = result(get(&c, "datastore_info", &format!("id={rid}"), None).await);
    assert_eq!(info["meta"]["count"], 3);
    assert_eq!(info["schema"]["gauge"], "int");
    assert_eq!(info["primary_key"], json!(["district", "day"]));
    assert_eq!(info["fields"].as_array().unwrap().len(), 6);

    // Upsert by the primary key: one row changed, one added; update of a missing key, a
    // duplicate insert and an unknown field refused, and nothing of the call written.
    let upsert = json!({"resource_id": rid, "records": [
        {"district": "Sha Tin", "day": "2026-06-01", "rain_mm": 20},
        {"district": "Sai Kung", "day": "2026-06-01", "rain_mm": 1.5, "gauge": 9}
    ]});
    let done = result(post(&c, "datastore_upsert", &upsert, Some(&hko)).await);
    assert_eq!(done["method"], "upsert");
    let rows = result(post(&c, "datastore_search", &json!({"resource_id": rid, "sort": "_id"}), None).await);
    assert_eq!(rows["total"], 4);
    assert_eq!((rows["records"][0]["rain_mm"].clone(), rows["records"][0]["gauge"].clone()), (json!(20.0), json!(3)));
    assert_eq!(rows["records"][3]["district"], "Sai Kung");
    for (body, key) in [
        (
            json!({"resource_id": rid, "method": "update", "records": [{"district": "Sha Tin", "day": "2026-06-01", "rain_mm": 1}, {"district": "Mong Kok", "day": "2026-06-01", "rain_mm": 1}]}),
            "key",
        ),
        (
            json!({"resource_id": rid, "method": "insert", "records": [{"district": "Lantau", "day": "2026-06-09"}, {"district": "Tai Po", "day": "2026-06-01"}]}),
            "records",
        ),
        (json!({"resource_id": rid, "records": [{"district": "Tai Po", "day": "2026-06-01", "nope": 1}]}), "records"),
        (json!({"resource_id": rid, "records": [{"district": "Tai Po", "rain_mm": 1}]}), "key"),
        (json!({"resource_id": rid, "method": "merge", "records": []}), "method"),
    ] {
        let (status, kind, error) = refusal(post(&c, "datastore_upsert", &body, Some(&hko)).await);
        assert_eq!((status, kind.as_str()), (409, "Validation Error"), "{body}: {error}");
        assert!(error[key][0].is_string(), "{body}: {error}");
    }
    let after = result(post(&c, "datastore_search", &json!({"resource_id": rid, "sort": "_id"}), None).await);
    assert_eq!(after["total"], 4, "no half write");
    assert_eq!(after["records"][0]["rain_mm"], 20.0, "the refused update changed nothing");

    // Create again: a new field is added; a type cannot change; bad names refused.
    let more = json!({"resource_id": rid, "fields": [{"id": "notes", "type": "text"}], "records": [{"district": "Wan Chai", "day": "2026-06-03", "notes": "gauge moved"}]});
    result(post(&c, "datastore_create", &more, Some(&hko)).await);
    assert_eq!(page("").await["total"], 5);
    // Records alone: columns the table has keep their types (20 is numeric here), new ones are added.
    let records_only = json!({"resource_id": rid, "records": [{"district": "Wan Chai", "day": "2026-06-04", "rain_mm": 20, "wind": "N"}]});
    result(post(&c, "datastore_create", &records_only, Some(&hko)).await);
    let info = result(get(&c, "datastore_info", &format!("id={rid}"), None).await);
    assert_eq!((info["schema"]["rain_mm"].as_str(), info["schema"]["wind"].as_str()), (Some("numeric"), Some("bool")));
    assert_eq!(page("").await["total"], 6);
    // Nulls sort last going up, first going down, on both databases.
    let up = page("sort=gauge&fields=gauge").await;
    assert_eq!(up["records"].as_array().unwrap().last().unwrap()["gauge"], Value::Null, "{up}");
    let down = page("sort=gauge%20desc&fields=gauge").await;
    assert_eq!(down["records"][0]["gauge"], Value::Null, "{down}");
    for fields in [
        json!([{"id": "rain_mm", "type": "text"}]),
        json!([{"id": "_secret", "type": "text"}]),
        json!([{"id": "a\"b", "type": "text"}]),
        json!([{"id": "x", "type": "blob"}]),
    ] {
        let (status, _, error) =
            refusal(post(&c, "datastore_create", &json!({"resource_id": rid, "fields": fields}), Some(&hko)).await);
        assert_eq!(status, 409, "{fields}");
        assert!(error["fields"][0].is_string(), "{error}");
    }
    // Delete matching rows, then the table.
    let deleted = result(
        post(&c, "datastore_delete", &json!({"resource_id": rid, "filters": {"district": "Sha Tin"}}), Some(&hko))
            .await,
    );
    assert_eq!(deleted["filters"], json!({"district": "Sha Tin"}));
    assert_eq!(page("").await["total"], 4);
    let (status, kind, _) = refusal(post(&c, "datastore_delete", &json!({"resource_id": rid}), Some(&epd)).await);
    assert_eq!((status, kind.as_str()), (403, "Authorization Error"));
    result(post(&c, "datastore_delete", &json!({"resource_id": rid}), Some(&hko)).await);
    let (status, ..) = refusal(get(&c, "datastore_search", &search_query(&rid, ""), None).await);
    assert_eq!(status, 404);

    // Every write audited under the resource.
    let audited =
        platform::audit::entries_about(app.db(), &format!("resource:{rid}"), "opendata.datastore.", 20).await.unwrap();
    let actions: Vec<&str> = audited.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "opendata.datastore.create",
            "opendata.datastore.upsert",
            "opendata.datastore.create",
            "opendata.datastore.create",
            "opendata.datastore.delete",
            "opendata.datastore.delete"
        ]
    );
    assert!(audited.iter().all(|e| e.request_id.is_some()));
}
both_backends!(the_datastore_actions_answer_as_ckan_does);

async fn a_private_datasets_data_is_hidden(backend: Backend) {
    let app = spawn(backend).await;
    let (hko, epd, public, private) = catalogue_with_resources(&app).await;
    let c = app.client();
    for rid in [&public, &private] {
        let body = json!({"resource_id": rid, "records": [{"station": "King's Park", "mm": 3}]});
        result(post(&c, "datastore_create", &body, Some(&hko)).await);
    }
    // Without a table's key nothing but inserts: upsert is refused.
    let (status, _, error) = refusal(
        post(&c, "datastore_upsert", &json!({"resource_id": public, "records": [{"mm": 1}]}), Some(&hko)).await,
    );
    assert_eq!((status, &error["table"]), (409, &json!(["table does not have a unique key defined"])));
    let inserted =
        json!({"resource_id": public, "method": "insert", "records": [{"station": "Tsim Sha Tsui", "mm": 4}]});
    result(post(&c, "datastore_upsert", &inserted, Some(&hko)).await);
    assert_eq!(result(get(&c, "datastore_search", &format!("resource_id={public}"), None).await)["total"], 2);
    assert_eq!(
        result(get(&c, "datastore_info", &format!("id={public}"), None).await)["schema"]["mm"],
        "int",
        "types from the records"
    );
    for action in ["datastore_search", "datastore_info"] {
        for token in [None, Some(epd.as_str())] {
            let (status, kind, _) = refusal(get(&c, action, &format!("resource_id={private}"), token).await);
            assert_eq!((status, kind.as_str()), (404, "Not Found Error"), "{action} {token:?}");
        }
        result(get(&c, action, &format!("resource_id={private}"), Some(&hko)).await);
    }
    let (status, kind, _) = refusal(post(&c, "datastore_delete", &json!({"resource_id": private}), Some(&epd)).await);
    assert_eq!((status, kind.as_str()), (404, "Not Found Error"), "not even its existence");

    // A new resource made by datastore_create itself, as CKAN allows.
    let body =
        json!({"resource": {"package_id": "rainfall", "name": "Readings"}, "records": [{"station": "HKO", "mm": 0.5}]});
    let (status, kind, _) = refusal(post(&c, "datastore_create", &body, Some(&epd)).await);
    assert_eq!((status, kind.as_str()), (403, "Authorization Error"));
    let made = result(post(&c, "datastore_create", &body, Some(&hko)).await);
    let new_id = made["resource_id"].as_str().unwrap();
    assert_ne!(new_id, public);
    let shown = result(get(&c, "resource_show", &format!("id={new_id}"), None).await);
    assert_eq!(shown["name"], "Readings");
    let rows = result(get(&c, "datastore_search", &format!("resource_id={new_id}"), None).await);
    assert_eq!(rows["records"], json!([{"_id": 1, "mm": 0.5, "station": "HKO"}]));
}
both_backends!(a_private_datasets_data_is_hidden);

fn csv_of(rows: impl IntoIterator<Item = String>) -> Cursor<Vec<u8>> {
    let mut text = String::from("district,day,pm25\n");
    for row in rows {
        text.push_str(&row);
        text.push('\n');
    }
    Cursor::new(text.into_bytes())
}

const DISTRICTS: [&str; 4] = ["Sha Tin", "Tai Po", "Kwun Tong", "Islands"];

/// `n` good rows, with `bad` in place of row `at` (1 = the first after the header).
fn rows(n: usize, at: usize, bad: &str) -> Vec<String> {
    (1..=n)
        .map(|i| {
            if i == at { bad.to_owned() } else { format!("{},2026-01-{:02},{}", DISTRICTS[i % 4], 1 + i % 28, i % 150) }
        })
        .collect()
}

async fn search_total(app: &TestApp, rid: &str) -> Value {
    result(get(&app.client(), "datastore_search", &format!("resource_id={rid}&limit=1&sort=_id%20desc"), None).await)
}

async fn a_bad_row_is_reported_and_the_rest_loaded(backend: Backend) {
    let app = spawn(backend).await;
    let (_, _, rid, _) = catalogue_with_resources(&app).await;
    // The 10,000th of 12,000 rows does not fit the type the publisher gave its column.
    let file = csv_of(rows(12_000, 10_000, "Sha Tin,2026-01-05,n/a"));
    let seen = std::sync::Mutex::new(Vec::new());
    let watch = |done: u64, total: u64| seen.lock().unwrap().push((done, total));
    let overrides = [("pm25".to_owned(), Kind::Int)];
    let report =
        datastore::load_watched(&app.state, &rid, file, Format::Csv, &overrides, &actor(), &watch).await.unwrap();
    // Progress (rows read) after each batch of 500 rows and at the end, against the total known
    // from the first pass.
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 24, "{seen:?}");
    assert_eq!((seen[0], seen[19], seen[23]), ((500, 12_000), (10_001, 12_000), (12_000, 12_000)), "{seen:?}");
    assert_eq!((report.rows_total, report.rows_loaded, report.rows_rejected), (12_000, 11_999, 1));
    assert_eq!(
        report.problems,
        [RowProblem {
            row: 10_000,
            line: Some(10_001),
            column: Some("pm25".to_owned()),
            value: "n/a".to_owned(),
            reason: "not a whole number".to_owned()
        }]
    );
    let last = search_total(&app, &rid).await;
    assert_eq!(last["total"], 11_999);
    assert_eq!(last["records"][0]["pm25"], 12_000 % 150);
    assert_eq!(last["fields"][2]["type"], "date");

    // Without the override the column is text (one value is not a number) and every row fits;
    // a row with too few values is reported by its number.
    let report =
        datastore::load(&app.state, &rid, csv_of(rows(50, 3, "Sha Tin,2026-01-05")), Format::Csv, &[], &actor())
            .await
            .unwrap();
    assert_eq!((report.rows_loaded, report.rows_rejected), (49, 1));
    assert_eq!((report.problems[0].row, report.problems[0].column.as_deref()), (3, None));
    assert_eq!(report.problems[0].reason, "has 2 values; the header has 3");
    assert_eq!(search_total(&app, &rid).await["total"], 49, "the new file replaced the old table");

    // Types come from the whole file: only the last row is not a whole number.
    let mut file = rows(20_000, 0, "");
    file.push("Islands,2026-02-01,12.5".to_owned());
    let report = datastore::load(&app.state, &rid, csv_of(file), Format::Csv, &[], &actor()).await.unwrap();
    assert_eq!(report.fields.iter().map(|f| f.kind).collect::<Vec<_>>(), [Kind::Text, Kind::Date, Kind::Numeric]);
    assert_eq!(report.rows_loaded, 20_001);
    let last = search_total(&app, &rid).await;
    assert_eq!(last["records"][0]["pm25"], 12.5);
    let first = result(get(&app.client(), "datastore_search", &format!("resource_id={rid}&limit=1"), None).await);
    assert_eq!(first["records"][0]["pm25"], 1.0);

    // JSON files too; the load is audited.
    let json_file = Cursor::new(
        br#"[{"station": "HKO", "mm": 1.5, "at": "2026-06-01T09:00:00+08:00"}, {"station": "Sha Tin", "mm": null}]"#
            .to_vec(),
    );
    let report = datastore::load(&app.state, &rid, json_file, Format::Json, &[], &actor()).await.unwrap();
    assert_eq!(report.fields.iter().map(|f| f.kind).collect::<Vec<_>>(), [Kind::Text, Kind::Numeric, Kind::Timestamp]);
    let audited = platform::audit::entries_about(app.db(), &format!("resource:{rid}"), "opendata.datastore.load", 10)
        .await
        .unwrap();
    assert_eq!(audited.len(), 4);
    // A table loaded from a file is read-only to the API unless forced, as in CKAN.
    let c = app.client();
    let (_, hko) = publisher(&app, "hko").await;
    let (status, _, error) =
        refusal(post(&c, "datastore_delete", &json!({"resource_id": rid, "filters": {}}), Some(&hko)).await);
    assert_eq!(status, 409);
    assert!(error["read-only"][0].is_string(), "{error}");
    result(
        post(
            &c,
            "datastore_delete",
            &json!({"resource_id": rid, "filters": {"station": "HKO"}, "force": true}),
            Some(&hko),
        )
        .await,
    );
    assert_eq!(search_total(&app, &rid).await["total"], 1);
}
both_backends!(a_bad_row_is_reported_and_the_rest_loaded);

/// A file that fails to read after `limit` bytes of its second reading
/// (the first, which learns the types, goes through).
struct FailsLater {
    inner: Cursor<Vec<u8>>,
    seeks: usize,
    limit: u64,
}

impl Read for FailsLater {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.seeks > 0 && self.inner.position() > self.limit {
            return Err(std::io::Error::other("the disk went away"));
        }
        self.inner.read(buf)
    }
}

impl Seek for FailsLater {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.seeks += 1;
        self.inner.seek(to)
    }
}

async fn a_failed_load_leaves_the_table_as_it_was(backend: Backend) {
    let app = spawn(backend).await;
    let (_, _, rid, _) = catalogue_with_resources(&app).await;
    datastore::load(&app.state, &rid, csv_of(rows(3, 0, "")), Format::Csv, &[], &actor()).await.unwrap();
    let before = datastore::table(app.db(), &rid).await.unwrap().unwrap();

    // No row fits: nothing changes.
    let bad = csv_of((0..500).map(|i| format!("Sha Tin,2026-01-01,n/a {i}")));
    let e = datastore::load(&app.state, &rid, bad, Format::Csv, &[("pm25".to_owned(), Kind::Int)], &actor())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, LoadError::Invalid(m) if m.contains("no row could be loaded (500 rejected; the first, row 1, column \"pm25\"")),
        "{e}"
    );
    // The file breaks after many batches went in: nothing changes.
    let text = csv_of(rows(5_000, 0, "")).into_inner();
    let failing = FailsLater { inner: Cursor::new(text), seeks: 0, limit: 60_000 };
    let e = datastore::load(&app.state, &rid, failing, Format::Csv, &[], &actor()).await.unwrap_err();
    assert!(matches!(e, LoadError::File(_)), "{e}");
    // A bad header, an unknown override, an unknown resource: refused before anything.
    let e = datastore::load(&app.state, &rid, Cursor::new(b"a,_b\n1,2\n".to_vec()), Format::Csv, &[], &actor())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("underscore"), "{e}");
    let e = datastore::load(
        &app.state,
        &rid,
        csv_of(rows(2, 0, "")),
        Format::Csv,
        &[("nope".to_owned(), Kind::Int)],
        &actor(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("--type nope"), "{e}");
    let e = datastore::load(&app.state, "no-such-resource", csv_of(rows(2, 0, "")), Format::Csv, &[], &actor())
        .await
        .unwrap_err();
    assert!(matches!(e, LoadError::NotFound));

    assert_eq!(datastore::table(app.db(), &rid).await.unwrap().unwrap(), before, "the meta row is unchanged");
    let rows_now = result(get(&app.client(), "datastore_search", &format!("resource_id={rid}"), None).await);
    assert_eq!(rows_now["total"], 3);
    assert_eq!(datastore::progress(&app.state, &rid), None, "no load is running");
    // No half table was left behind: the next load makes the next table without a clash.
    let report = datastore::load(&app.state, &rid, csv_of(rows(700, 0, "")), Format::Csv, &[], &actor()).await.unwrap();
    assert_eq!(report.rows_loaded, 700);
    assert_eq!(datastore::table(app.db(), &rid).await.unwrap().unwrap().generation, before.generation + 1);
}
both_backends!(a_failed_load_leaves_the_table_as_it_was);

async fn the_demo_has_datastore_tables(backend: Backend) {
    let app = spawn(backend).await;
    let demo = opendata::module().demo.unwrap();
    demo(app.state.clone()).await.unwrap();
    let c = app.client();
    let dataset = result(get(&c, "package_show", "id=air-quality-health-index", None).await);
    let csv = dataset["resources"].as_array().unwrap().iter().find(|r| r["format"] == "CSV").unwrap();
    let rid = csv["id"].as_str().unwrap();
    let found = result(
        get(
            &c,
            "datastore_search",
            &format!("resource_id={rid}&filters=%7B%22district%22%3A%22Sha%20Tin%22%7D&limit=3"),
            None,
        )
        .await,
    );
    assert_eq!(found["total"], 7 * 24);
    assert_eq!(found["fields"][1], json!({"id": "time", "type": "timestamp"}));
    assert_eq!(found["records"][0]["time"], "2024-12-31T16:00:00");
}
both_backends!(the_demo_has_datastore_tables);
