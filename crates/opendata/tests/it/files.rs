//! Files over HTTP: a CKAN upload (`multipart/form-data`, the file in
//! `upload`) through the real server, downloaded byte for byte with its
//! type, length and ETag; every version kept, the same bytes stored once;
//! 413 over `max_upload_mb` with nothing left behind; private datasets'
//! files only for their publishers; and data.gov.hk's historical archive
//! API (`list-files` filters and paging, `list-file-versions`, `get-file`
//! at a time between two versions) with its precise refusals.

use opendata::catalogue::store as catalogue;
use opendata::files::store as files;
use platform::both_backends;
use platform::testkit::{Backend, TestApp, TestClient};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::Digest;

use crate::support::{post, publisher, refusal, result, spawn_with_memory_index};

const BOUNDARY: &str = "lionrock-test-7e3f0c";

/// The app with open data, uploads up to `max_upload_mb`, and the
/// organisations `hko` and `epd`.
async fn spawn(backend: Backend, max_upload_mb: i64) -> TestApp {
    spawn_with(backend, &[("max_upload_mb", toml::Value::Integer(max_upload_mb))]).await
}

/// The same, with these `[opendata]` settings.
async fn spawn_with(backend: Backend, settings: &[(&str, toml::Value)]) -> TestApp {
    let settings: Vec<(String, toml::Value)> = settings.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    let builder = TestApp::builder().backend(backend).config(move |c| {
        let section = c.section_mut("opendata");
        for (key, value) in settings {
            section.insert(key, value);
        }
    });
    let app = spawn_with_memory_index(builder).await;
    let actor = catalogue::Actor { id: "test".to_owned(), request_id: None };
    for (name, title) in [("hko", "Hong Kong Observatory"), ("epd", "Environmental Protection Department")] {
        let title = opendata::catalogue::Texts::new(title, "香港天文台", "");
        catalogue::create_organisation(&app.state, name, title, Default::default(), &actor).await.unwrap();
    }
    app
}

/// A dataset of `hko`'s, made through the API.
async fn dataset(c: &TestClient, token: &str, name: &str, private: bool) -> String {
    let body = json!({
        "name": name, "owner_org": "hko", "private": private,
        "title_translated": {"en": format!("Rainfall {name}"), "zh-HK": "雨量", "zh-CN": "雨量"},
        "groups": [{"name": "climate-and-weather"}],
    });
    result(post(c, "package_create", &body, Some(token)).await)["id"].as_str().unwrap().to_owned()
}

/// A form as a CKAN client sends it: text fields, then the file in `upload`.
fn form(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        let part = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        body.extend_from_slice(part.as_bytes());
    }
    if let Some((filename, bytes)) = file {
        let head = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        );
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// `POST /api/action/{action}` with a form.
async fn upload(
    c: &TestClient,
    action: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
    token: Option<&str>,
) -> (u16, Value) {
    let mut request = c
        .http
        .post(c.url(&format!("/api/action/{action}")))
        .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(form(fields, file));
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Bytes that differ from `seed` to `seed`, `len` long.
fn bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 8) as u8)).collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `GET url` with an optional token: status, headers and body.
async fn fetch(c: &TestClient, url: &str, token: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = c.http.get(url);
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

async fn chunk_rows(app: &TestApp) -> u64 {
    files::chunk::Entity::find().count(app.db()).await.unwrap()
}

async fn uploads_are_kept_as_versions_and_downloaded_unchanged(backend: Backend) {
    let app = spawn(backend, 200).await;
    let (account, token) = publisher(&app, "hko").await;
    let c = app.client();
    let dataset_id = dataset(&c, &token, "rainfall", false).await;

    // A file over two chunks (1 MiB each): one upload, read back byte for byte.
    let first = bytes(1, 2 * 1024 * 1024 + 1000);
    let made = result(
        upload(
            &c,
            "resource_create",
            &[("package_id", "rainfall"), ("name", "Daily rainfall"), ("name_translated", r#"{"zh-HK": "每日雨量"}"#)],
            Some(("daily rain.csv", &first)),
            Some(&token),
        )
        .await,
    );
    let url = made["url"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(url, app.url(&format!("/dataset/{dataset_id}/resource/{id}/download/daily_rain.csv")));
    assert_eq!(made["format"], "CSV", "guessed from the name");
    assert_eq!(made["size"], first.len());
    assert_eq!(made["hash"], format!("sha256:{}", sha256(&first)));
    assert!(made["last_modified"].is_string(), "{made}");
    assert_eq!(made["name_translated"]["zh-HK"], "每日雨量");
    assert_eq!(made["package_id"], dataset_id.as_str());
    assert_eq!(made["url_type"], "upload");

    let (status, headers, body) = fetch(&c, &url, None).await;
    assert_eq!(status, 200);
    assert!(body == first, "the download is the upload");
    assert_eq!(headers["content-type"], "text/csv");
    assert_eq!(headers["content-length"], first.len().to_string().as_str());
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let etag = format!("\"{}\"", sha256(&first));
    assert_eq!(headers["etag"], etag.as_str());
    let response = c.http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 304);
    assert!(response.bytes().await.unwrap().is_empty());
    // The dataset and resource answer with the same file.
    let shown = result(crate::support::get(&c, "resource_show", &format!("id={id}"), None).await);
    assert_eq!(shown["hash"], made["hash"]);
    let (status, _, _) = fetch(&c, &app.url(&format!("/dataset/rainfall/resource/{id}/download")), None).await;
    assert_eq!(status, 200, "by the dataset's name, without a file name");
    let (status, _, _) = fetch(&c, &app.url(&format!("/dataset/other/resource/{id}/download/x.csv")), None).await;
    assert_eq!(status, 404, "another dataset's path");

    // A second version: the resource points at it; the first stays.
    let second = bytes(2, 5000);
    let updated = result(
        upload(
            &c,
            "resource_update",
            &[("id", &id), ("name", "Daily rainfall")],
            Some(("rain-2.csv", &second)),
            Some(&token),
        )
        .await,
    );
    assert_eq!(updated["hash"], format!("sha256:{}", sha256(&second)));
    assert_eq!(updated["size"], second.len());
    assert!(updated["url"].as_str().unwrap().ends_with("/download/rain-2.csv"));
    assert!(fetch(&c, &url, None).await.2 == second, "any name after download/ serves the latest");

    // The first bytes again (by patch): a third version, no new blob.
    let (blobs, _) = files::blob_totals(app.db()).await.unwrap();
    assert_eq!(blobs, 2);
    let patched = result(upload(&c, "resource_patch", &[("id", &id)], Some(("rain.csv", &first)), Some(&token)).await);
    assert_eq!(patched["name"], "Daily rainfall", "a patch keeps what it does not name");
    assert_eq!(files::blob_totals(app.db()).await.unwrap().0, 2, "the same bytes are stored once");
    let versions = files::versions(app.db(), &id).await.unwrap();
    let seen: Vec<(i32, i64, &str)> = versions.iter().map(|v| (v.seq, v.size, v.filename.as_str())).collect();
    assert_eq!(
        seen,
        [
            (1, first.len() as i64, "daily_rain.csv"),
            (2, second.len() as i64, "rain-2.csv"),
            (3, first.len() as i64, "rain.csv")
        ]
    );
    assert_eq!(versions[0].sha256, versions[2].sha256);
    // Every change audited, and every upload with its version and content (opaque IDs only).
    let audited =
        platform::audit::entries_about(app.db(), &format!("resource:{id}"), "opendata.resource.", 10).await.unwrap();
    let actions: Vec<&str> = audited.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["opendata.resource.create", "opendata.resource.update", "opendata.resource.update"]);
    for (seq, kept) in [(1, &first), (2, &second), (3, &first)] {
        let object = format!("resource:{id}/version:{seq}/sha256:{}", sha256(kept));
        let entries = platform::audit::entries_about(app.db(), &object, "opendata.resource.upload", 5).await.unwrap();
        assert_eq!(entries.len(), 1, "{object}");
        assert!(entries[0].actor == account && entries[0].request_id.is_some(), "{object}");
    }
    assert_eq!(chunk_rows(&app).await, 3 + 1, "the first file's three chunks and the second's one");
    assert!(fetch(&c, &url, None).await.2 == first);

    // A metadata-only update keeps the file; a JSON update to a link elsewhere makes it a link.
    let renamed =
        result(post(&c, "resource_patch", &json!({"id": id, "description": "Millimetres"}), Some(&token)).await);
    assert_eq!(renamed["hash"], format!("sha256:{}", sha256(&first)));
    assert_eq!(fetch(&c, &url, None).await.0, 200);
    let link = json!({"id": id, "url": "https://data.example.gov.hk/rain.csv", "name": "Rain elsewhere"});
    let relinked = result(post(&c, "resource_update", &link, Some(&token)).await);
    assert_eq!(relinked["url"], "https://data.example.gov.hk/rain.csv");
    assert_eq!(relinked["url_type"], Value::Null);
    assert_eq!(fetch(&c, &url, None).await.0, 404, "a link has no file here");
    assert_eq!(files::versions(app.db(), &id).await.unwrap().len(), 3, "its history stays");

    // Active content is never shown as a page of ours.
    let page = b"<html><script>alert(1)</script></html>";
    let made = result(
        upload(&c, "resource_create", &[("package_id", &dataset_id)], Some(("page.html", page)), Some(&token)).await,
    );
    let (status, headers, body) = fetch(&c, made["url"].as_str().unwrap(), None).await;
    assert_eq!((status, body.as_slice()), (200, &page[..]));
    assert_eq!(made["format"], "HTML");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"page.html\"");
    assert_eq!(headers["x-content-type-options"], "nosniff");
}
both_backends!(uploads_are_kept_as_versions_and_downloaded_unchanged);

async fn uploads_over_the_limit_are_refused_and_leave_nothing(backend: Backend) {
    let app = spawn(backend, 1).await;
    let (_, token) = publisher(&app, "hko").await;
    let (_, epd) = publisher(&app, "epd").await;
    let c = app.client();
    dataset(&c, &token, "rainfall", false).await;
    let fields = [("package_id", "rainfall")];

    // One byte over 1 MiB, found while streaming; then far over, by the declared length.
    for size in [1024 * 1024 + 1, 3 * 1024 * 1024] {
        let big = bytes(3, size);
        let (status, kind, error) =
            refusal(upload(&c, "resource_create", &fields, Some(("big.csv", &big)), Some(&token)).await);
        assert_eq!((status, kind.as_str()), (413, "Validation Error"), "{size}");
        assert_eq!(error["upload"], json!(["File upload too large: at most 1 MB"]));
    }
    assert_eq!(chunk_rows(&app).await, 0, "nothing staged is left");
    assert_eq!(files::blob_totals(app.db()).await.unwrap().0, 0);
    let shown = result(crate::support::get(&c, "package_show", "id=rainfall", None).await);
    assert_eq!(shown["num_resources"], 0);

    // Exactly the limit is taken.
    let limit = bytes(4, 1024 * 1024);
    let made = result(upload(&c, "resource_create", &fields, Some(("ok.csv", &limit)), Some(&token)).await);
    assert_eq!(made["size"], 1024 * 1024);

    // No token, another organisation's, an action that takes no form, a bad field: refused, nothing kept.
    let small = bytes(5, 10);
    let (status, kind, _) = refusal(upload(&c, "resource_create", &fields, Some(("a.csv", &small)), None).await);
    assert_eq!((status, kind.as_str()), (403, "Authorization Error"));
    let (status, kind, _) = refusal(upload(&c, "resource_create", &fields, Some(("a.csv", &small)), Some(&epd)).await);
    assert_eq!((status, kind.as_str()), (403, "Authorization Error"));
    let (status, kind, _) = refusal(upload(&c, "package_create", &fields, Some(("a.csv", &small)), Some(&token)).await);
    assert_eq!((status, kind.as_str()), (400, "Bad Request"));
    let bad = [("package_id", "rainfall"), ("size", "-1")];
    let (status, _, error) = refusal(upload(&c, "resource_create", &bad, Some(("a.csv", &small)), Some(&token)).await);
    assert_eq!(status, 409, "{error}");
    let (status, _, _) =
        refusal(upload(&c, "resource_update", &[("id", "no-such")], Some(("a.csv", &small)), Some(&token)).await);
    assert_eq!(status, 404);
    assert_eq!(chunk_rows(&app).await, 1, "only the kept file's chunk");
    assert_eq!(files::blob_totals(app.db()).await.unwrap().0, 1);

    // A JSON body over the server's body limit (1 MiB) keeps CKAN's shape too.
    let huge = json!({"name": "x".repeat(1024 * 1024 + 10)});
    let (status, kind, _) = refusal(post(&c, "package_create", &huge, Some(&token)).await);
    assert_eq!((status, kind.as_str()), (413, "Validation Error"));
}
both_backends!(uploads_over_the_limit_are_refused_and_leave_nothing);

async fn private_datasets_files_only_for_their_publishers(backend: Backend) {
    let app = spawn(backend, 200).await;
    let (_, token) = publisher(&app, "hko").await;
    let (_, epd) = publisher(&app, "epd").await;
    let c = app.client();
    dataset(&c, &token, "secret-rain", true).await;
    let file = bytes(6, 100);
    let made = result(
        upload(&c, "resource_create", &[("package_id", "secret-rain")], Some(("r.csv", &file)), Some(&token)).await,
    );
    let url = made["url"].as_str().unwrap();
    assert_eq!(fetch(&c, url, None).await.0, 404);
    assert_eq!(fetch(&c, url, Some(&epd)).await.0, 404, "another organisation's publisher");
    let (status, headers, body) = fetch(&c, url, Some(&token)).await;
    assert_eq!((status, body == file), (200, true));
    assert_eq!(headers["cache-control"], "private, no-store");
    // Nor does the archive show it.
    let (status, _) = archive(&c, &format!("list-file-versions?url={}&start=20200101&end=20991231", enc(url))).await;
    assert_eq!(status, 404);
}
both_backends!(private_datasets_files_only_for_their_publishers);

// ---- the historical archive ----

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap().trim_start_matches('=').to_owned()
}

async fn archive(c: &TestClient, path_and_query: &str) -> (u16, Value) {
    let response = c.http.get(c.url(&format!("/api/v1/historical-archive/{path_and_query}"))).send().await.unwrap();
    let status = response.status().as_u16();
    if status >= 400 {
        let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(kind, "application/problem+json", "{path_and_query}");
    }
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Moves version `seq` of `resource` to `at` (tests need days between versions).
async fn kept_at(app: &TestApp, resource: &str, seq: i32, at: time::OffsetDateTime) {
    use files::version;
    use sea_orm::sea_query::Expr;
    version::Entity::update_many()
        .col_expr(version::Column::UploadedAt, Expr::value(at))
        .filter(version::Column::ResourceId.eq(resource))
        .filter(version::Column::Seq.eq(seq))
        .exec(app.db())
        .await
        .unwrap();
}

async fn the_archive_lists_and_serves_every_version(backend: Backend) {
    use time::macros::datetime;
    let app = spawn(backend, 200).await;
    let (_, token) = publisher(&app, "hko").await;
    let c = app.client();
    dataset(&c, &token, "rainfall", false).await;
    dataset(&c, &token, "hidden", true).await;
    let (v1, v2) = (bytes(7, 3000), bytes(8, 4000));
    let rain = result(
        upload(
            &c,
            "resource_create",
            &[("package_id", "rainfall"), ("name", "Rain gauges")],
            Some(("rain.csv", &v1)),
            Some(&token),
        )
        .await,
    );
    let rain_id = rain["id"].as_str().unwrap().to_owned();
    let rain_url = rain["url"].as_str().unwrap().to_owned();
    result(
        upload(
            &c,
            "resource_update",
            &[("id", &rain_id), ("name", "Rain gauges")],
            Some(("rain.csv", &v2)),
            Some(&token),
        )
        .await,
    );
    let wind = result(
        upload(
            &c,
            "resource_create",
            &[("package_id", "rainfall"), ("name", "Wind"), ("format", "JSON")],
            Some(("wind", b"{}")),
            Some(&token),
        )
        .await,
    );
    let wind_id = wind["id"].as_str().unwrap().to_owned();
    let hidden =
        result(upload(&c, "resource_create", &[("package_id", "hidden")], Some(("h.csv", b"h")), Some(&token)).await);
    // 10:00 in Hong Kong on 1 and 2 January 2026; the wind file on the 2nd too; the hidden one on the 1st.
    kept_at(&app, &rain_id, 1, datetime!(2026-01-01 02:00 UTC)).await;
    kept_at(&app, &rain_id, 2, datetime!(2026-01-02 02:00 UTC)).await;
    kept_at(&app, &wind_id, 1, datetime!(2026-01-02 03:30 UTC)).await;
    kept_at(&app, hidden["id"].as_str().unwrap(), 1, datetime!(2026-01-01 02:00 UTC)).await;

    // list-files: the period, then each filter, paging and order.
    let list = |q: &str| {
        let c = &c;
        let q = q.to_owned();
        async move {
            let (status, body) = archive(c, &format!("list-files?{q}")).await;
            assert_eq!(status, 200, "{q}: {body}");
            let urls: Vec<String> = body["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["resource-id"].as_str().unwrap().to_owned())
                .collect();
            (body["file-count"].as_u64().unwrap(), urls, body)
        }
    };
    let (count, ids, body) = list("start=20260101&end=20260101").await;
    assert_eq!((count, ids), (1, vec![rain_id.clone()]), "the hidden dataset's file is not listed");
    let file = &body["files"][0];
    assert_eq!(file["url"], rain_url.as_str());
    assert_eq!(file["version-count"], 1);
    assert_eq!((file["dataset-id"].as_str(), file["dataset-name-tc"].as_str()), (Some("rainfall"), Some("雨量")));
    assert_eq!(
        (file["provider-id"].as_str(), file["category-id"].as_str()),
        (Some("hko"), Some("climate-and-weather"))
    );
    assert_eq!((file["format"].as_str(), file["first-version"].as_str()), (Some("CSV"), Some("20260101-1000")));
    let (count, ids, body) = list("start=20260101&end=20260102").await;
    assert_eq!((count, ids.clone()), (2, vec![rain_id.clone(), wind_id.clone()]));
    assert_eq!(body["files"][0]["version-count"], 2);
    assert_eq!(body["files"][0]["last-version"], "20260102-1000");
    assert_eq!(list("start=20250101&end=20251231").await.0, 0);
    for (filter, expected) in [
        ("category=climate-and-weather", 2),
        ("category=health", 0),
        ("provider=hko", 2),
        ("provider=epd", 0),
        ("format=csv", 1),
        ("format=XLSX", 0),
        ("search=wind", 1),
        ("search=RAIN%20gauges", 1),
        ("search=%E9%9B%A8%E9%87%8F", 2),
        ("search=snow", 0),
    ] {
        assert_eq!(list(&format!("start=20260101&end=20260102&{filter}")).await.0, expected, "{filter}");
    }
    let (count, ids, _) = list("start=20260101&end=20260102&max=1&skip=1").await;
    assert_eq!((count, ids), (2, vec![wind_id.clone()]));
    let (_, ids, _) = list("start=20260101&end=20260102&order=desc").await;
    assert_eq!(ids, vec![wind_id.clone(), rain_id.clone()]);

    // list-file-versions and get-file: the version current at a time.
    let (status, body) =
        archive(&c, &format!("list-file-versions?url={}&start=20260101&end=20260131", enc(&rain_url))).await;
    assert_eq!(status, 200);
    assert_eq!(body["timestamps"], json!(["20260101-1000", "20260102-1000"]));
    assert_eq!(body["version-count"], 2);
    let (_, body) =
        archive(&c, &format!("list-file-versions?url={}&start=20260102&end=20260102", enc(&rain_url))).await;
    assert_eq!(body["timestamps"], json!(["20260102-1000"]));
    let get = |time: &str| c.url(&format!("/api/v1/historical-archive/get-file?url={}&time={time}", enc(&rain_url)));
    for (time, expected) in [
        ("20260101-1000", &v1),
        ("20260101-2359", &v1),
        ("20260102-0959", &v1),
        ("20260102-1000", &v2),
        ("20260301", &v2),
    ] {
        let (status, headers, body) = fetch(&c, &get(time), None).await;
        assert_eq!(status, 200, "{time}");
        assert!(&body == expected, "{time}");
        assert_eq!(headers["etag"], format!("\"{}\"", sha256(expected)).as_str());
    }
    let (status, body) = archive(&c, &format!("get-file?url={}&time=20251231-2359", enc(&rain_url))).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("no version at or before"), "{body}");

    // Refusals: 400 naming the parameter, 404 for a URL the archive does not have.
    for (query, field, code) in [
        ("list-files?start=2026-01-01&end=20260102", "start", "invalid"),
        ("list-files?end=20260102", "start", "required"),
        ("list-files?start=20260103&end=20260102", "end", "before-start"),
        ("list-files?start=20260101&end=20260102&max=0", "max", "out-of-range"),
        ("list-files?start=20260101&end=20260102&max=1001", "max", "out-of-range"),
        ("list-files?start=20260101&end=20260102&skip=-1", "skip", "out-of-range"),
        ("list-files?start=20260101&end=20260102&order=newest", "order", "invalid"),
        ("list-file-versions?start=20260101&end=20260102", "url", "required"),
        ("get-file?url=x&time=20260101-2500", "time", "invalid"),
        ("get-file?url=x", "time", "required"),
    ] {
        let (status, body) = archive(&c, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["errors"].as_array().unwrap().iter().any(|e| e["field"] == field && e["code"] == code),
            "{query}: {body}"
        );
        assert!(body["detail"].as_str().unwrap().contains(field), "{query}: {body}");
    }
    for query in [
        "list-file-versions?url=https%3A%2F%2Fnowhere.example%2Fa.csv&start=20260101&end=20260102".to_owned(),
        format!("get-file?url={}&time=20260101-1000", enc(hidden["url"].as_str().unwrap())),
    ] {
        assert_eq!(archive(&c, &query).await.0, 404, "{query}");
    }
}
both_backends!(the_archive_lists_and_serves_every_version);

async fn the_same_bytes_uploaded_at_once_are_stored_once(backend: Backend) {
    let app = spawn(backend, 200).await;
    let (_, token) = publisher(&app, "hko").await;
    let c = app.client();
    dataset(&c, &token, "rainfall", false).await;
    let same = bytes(9, 1024 * 1024 + 7);
    let sends = (0..4).map(|i| {
        let (c, token, same) = (c.clone(), token.clone(), same.clone());
        async move {
            let name = format!("copy-{i}.csv");
            upload(&c, "resource_create", &[("package_id", "rainfall")], Some((&name, &same)), Some(&token)).await
        }
    });
    let made: Vec<Value> = futures_join(sends).await.into_iter().map(result).collect();
    assert!(made.iter().all(|r| r["hash"] == format!("sha256:{}", sha256(&same))));
    assert_eq!(files::blob_totals(app.db()).await.unwrap(), (1, same.len() as i64), "one blob");
    assert_eq!(chunk_rows(&app).await, 2, "its two chunks, no copy left");
    for r in &made {
        assert!(fetch(&c, r["url"].as_str().unwrap(), None).await.2 == same);
    }
}
both_backends!(the_same_bytes_uploaded_at_once_are_stored_once);

/// Runs the futures at once (each on its own task) and gathers their outputs in order.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

async fn parts_never_kept_are_deleted_a_day_later(backend: Backend) {
    use sea_orm::sea_query::Expr;
    let app = spawn(backend, 200).await;
    let (_, token) = publisher(&app, "hko").await;
    let c = app.client();
    dataset(&c, &token, "rainfall", false).await;
    let kept = bytes(10, 2000);
    result(upload(&c, "resource_create", &[("package_id", "rainfall")], Some(("k.csv", &kept)), Some(&token)).await);
    // An upload cut off after its first chunk: staged, never kept.
    let mut stager = files::Stager::new(10 * 1024 * 1024);
    stager.write(app.db(), &bytes(11, 1024 * 1024 + 5)).await.unwrap();
    let part = stager.part().to_owned();
    assert_eq!(chunk_rows(&app).await, 2);
    app.state.run_jobs().await;
    assert_eq!(chunk_rows(&app).await, 2, "a part staged today may still be on its way");
    let two_days_ago = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    files::chunk::Entity::update_many()
        .col_expr(files::chunk::Column::CreatedAt, Expr::value(two_days_ago))
        .exec(app.db())
        .await
        .unwrap();
    app.state.run_jobs().await;
    let left = files::chunk::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(left.len(), 1, "the kept file's chunk stays");
    assert_ne!(left[0].part, part);
    let url = result(crate::support::get(&c, "package_show", "id=rainfall", None).await)["resources"][0]["url"].clone();
    assert!(fetch(&c, url.as_str().unwrap(), None).await.2 == kept);
}
both_backends!(parts_never_kept_are_deleted_a_day_later);

/// A server elsewhere whose file at `/rain.csv` the test changes.
async fn peer(served: std::sync::Arc<std::sync::Mutex<Vec<u8>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route(
        "/rain.csv",
        axum::routing::get(move || {
            let served = served.clone();
            async move { served.lock().unwrap().clone() }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/rain.csv")
}

/// Moves every link's last fetch two days back (the next round fetches again).
async fn a_day_passes(app: &TestApp) {
    use sea_orm::sea_query::Expr;
    let two_days_ago = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    files::link_fetch::Entity::update_many()
        .col_expr(files::link_fetch::Column::FetchedAt, Expr::value(two_days_ago))
        .exec(app.db())
        .await
        .unwrap();
}

async fn links_are_fetched_at_most_daily_into_the_archive(backend: Backend) {
    let served = std::sync::Arc::new(std::sync::Mutex::new(b"day,mm\n1,2\n".to_vec()));
    let url = peer(served.clone()).await;
    let on = toml::Value::Boolean(true);
    let app = spawn_with(backend, &[("fetch_links", on.clone()), ("fetch_private_addresses", on)]).await;
    let (_, token) = publisher(&app, "hko").await;
    let c = app.client();
    dataset(&c, &token, "rainfall", false).await;
    dataset(&c, &token, "hidden", true).await;
    let link = |package: &str| json!({"package_id": package, "url": url, "format": "CSV", "name": "Rain"});
    let id =
        result(post(&c, "resource_create", &link("rainfall"), Some(&token)).await)["id"].as_str().unwrap().to_owned();
    let hidden =
        result(post(&c, "resource_create", &link("hidden"), Some(&token)).await)["id"].as_str().unwrap().to_owned();

    app.state.run_jobs().await;
    let versions = files::versions(app.db(), &id).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!((versions[0].source.as_str(), versions[0].filename.as_str()), ("fetch", "rain.csv"));
    assert!(files::versions(app.db(), &hidden).await.unwrap().is_empty(), "a private dataset's link is not fetched");
    // Still a link: the resource keeps its URL; the archive answers for it.
    let shown = result(crate::support::get(&c, "resource_show", &format!("id={id}"), None).await);
    assert_eq!(shown["url"], url.as_str());
    let (status, body) =
        archive(&c, &format!("list-file-versions?url={}&start=20200101&end=20991231", enc(&url))).await;
    assert_eq!((status, body["version-count"].as_u64()), (200, Some(1)), "{body}");
    let get = c.url(&format!("/api/v1/historical-archive/get-file?url={}&time=20991231-2359", enc(&url)));
    assert_eq!(fetch(&c, &get, None).await.2, b"day,mm\n1,2\n");

    // Not again the same day; a day later, the same bytes keep no version; new bytes do.
    app.state.run_jobs().await;
    a_day_passes(&app).await;
    app.state.run_jobs().await;
    assert_eq!(files::versions(app.db(), &id).await.unwrap().len(), 1);
    let outcome = files::link_fetch::Entity::find_by_id(id.clone()).one(app.db()).await.unwrap().unwrap().outcome;
    assert_eq!(outcome, "unchanged");
    *served.lock().unwrap() = b"day,mm\n1,2\n2,0\n".to_vec();
    app.state.run_jobs().await;
    assert_eq!(files::versions(app.db(), &id).await.unwrap().len(), 1, "fetched at most once a day");
    a_day_passes(&app).await;
    app.state.run_jobs().await;
    let versions = files::versions(app.db(), &id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(fetch(&c, &get, None).await.2, b"day,mm\n1,2\n2,0\n");
    let audited = platform::audit::entries_about(
        app.db(),
        &format!("resource:{id}/version:2/sha256:{}", versions[1].sha256),
        "opendata.resource.fetch",
        5,
    )
    .await
    .unwrap();
    assert_eq!(audited.len(), 1);
}
both_backends!(links_are_fetched_at_most_daily_into_the_archive);

async fn links_to_internal_addresses_are_not_fetched(backend: Backend) {
    let served = std::sync::Arc::new(std::sync::Mutex::new(b"secret".to_vec()));
    let url = peer(served).await;
    let app = spawn_with(backend, &[("fetch_links", toml::Value::Boolean(true))]).await;
    let (_, token) = publisher(&app, "hko").await;
    let c = app.client();
    dataset(&c, &token, "rainfall", false).await;
    let link = json!({"package_id": "rainfall", "url": url, "format": "CSV"});
    let id = result(post(&c, "resource_create", &link, Some(&token)).await)["id"].as_str().unwrap().to_owned();
    app.state.run_jobs().await;
    assert!(files::versions(app.db(), &id).await.unwrap().is_empty());
    let outcome = files::link_fetch::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap().outcome;
    assert!(outcome.contains("internal address (127.0.0.1)"), "{outcome}");
    assert_eq!(chunk_rows(&app).await, 0);
}
both_backends!(links_to_internal_addresses_are_not_fetched);

/// `resource_show` as its publisher sees it, once its upload's DataStore
/// load has finished (the load runs in the background after the upload).
async fn loaded(c: &TestClient, token: &str, resource: &str) -> Value {
    for _ in 0..600 {
        let (_, shown) = crate::support::get(c, "resource_show", &format!("id={resource}"), Some(token)).await;
        let status = shown["result"]["datastore_load"]["status"].as_str().unwrap_or_default().to_owned();
        if status == "done" || status == "failed" {
            return shown["result"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the upload's load did not finish");
}

/// An uploaded CSV goes into the resource's DataStore table (CKAN's
/// DataPusher): types from every value, a row that does not fit the
/// header reported by number and the rest loaded; the report is shown to
/// the publisher only; a new version replaces the table; a file that is
/// not data (a picture) is not loaded; a file no row of which fits fails
/// with its reason and leaves the table as it was.
async fn an_uploaded_csv_is_loaded_into_the_datastore(backend: Backend) {
    let app = spawn(backend, 10).await;
    let (_, token) = publisher(&app, "hko").await;
    let c = app.client();
    let id = dataset(&c, &token, "readings", false).await;
    let mut csv = String::from("day,station,mm\n");
    for n in 0..300 {
        csv.push_str(&format!("2026-01-{:02},S{n},{}.5\n", n % 28 + 1, n));
    }
    csv.push_str("2026-02-01,extra,1.0,surplus\n");
    let fields = [("package_id", id.as_str()), ("name", "Readings")];
    let (status, made) =
        upload(&c, "resource_create", &fields, Some(("readings.csv", csv.as_bytes())), Some(&token)).await;
    assert_eq!(status, 200, "{made}");
    let resource = made["result"]["id"].as_str().unwrap().to_owned();
    let shown = loaded(&c, &token, &resource).await;
    let load = &shown["datastore_load"];
    assert_eq!(load["status"], "done", "{shown}");
    assert_eq!(
        (load["report"]["rows_loaded"].as_u64(), load["report"]["rows_rejected"].as_u64()),
        (Some(300), Some(1))
    );
    assert_eq!(load["report"]["problems"][0]["row"], 301, "{load}");
    let found =
        result(crate::support::get(&c, "datastore_search", &format!("resource_id={resource}&limit=1"), None).await);
    assert_eq!(found["total"], 300, "{found}");
    let types: Vec<&str> = found["fields"].as_array().unwrap().iter().filter_map(|f| f["type"].as_str()).collect();
    assert!(types.contains(&"date") && types.contains(&"numeric"), "{types:?}");
    let (_, anonymous) = crate::support::get(&c, "resource_show", &format!("id={resource}"), None).await;
    assert!(anonymous["result"].get("datastore_load").is_none(), "the report is for its publishers");

    // A new version replaces the table.
    let fields = [("id", resource.as_str())];
    let (status, _) = upload(
        &c,
        "resource_patch",
        &fields,
        Some(("readings.csv", b"day,mm\n2026-03-01,2\n".as_slice())),
        Some(&token),
    )
    .await;
    assert_eq!(status, 200);
    let shown = loaded(&c, &token, &resource).await;
    assert_eq!(shown["datastore_load"]["report"]["rows_loaded"], 1, "{shown}");
    let found = result(crate::support::get(&c, "datastore_search", &format!("resource_id={resource}"), None).await);
    assert_eq!(found["total"], 1, "{found}");

    // A file no row of which fits: failed, with its reason; the table stays.
    let (status, _) =
        upload(&c, "resource_patch", &fields, Some(("readings.csv", b"day,mm\n1,2,3\n".as_slice())), Some(&token))
            .await;
    assert_eq!(status, 200);
    let shown = loaded(&c, &token, &resource).await;
    assert_eq!(shown["datastore_load"]["status"], "failed", "{shown}");
    assert!(shown["datastore_load"]["error"].as_str().is_some_and(|e| !e.is_empty()), "{shown}");
    let found = result(crate::support::get(&c, "datastore_search", &format!("resource_id={resource}"), None).await);
    assert_eq!(found["total"], 1, "the table as it was: {found}");

    // A picture is kept as a file, not loaded.
    let fields = [("package_id", id.as_str()), ("name", "Map")];
    let (_, made) = upload(&c, "resource_create", &fields, Some(("map.png", &bytes(3, 100))), Some(&token)).await;
    let picture = made["result"]["id"].as_str().unwrap();
    let (_, shown) = crate::support::get(&c, "resource_show", &format!("id={picture}"), Some(&token)).await;
    assert!(shown["result"].get("datastore_load").is_none(), "{shown}");
}
both_backends!(an_uploaded_csv_is_loaded_into_the_datastore);
