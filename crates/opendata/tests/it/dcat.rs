//! The catalogue's exports, read by parsers that are not ours: the Turtle
//! and JSON-LD of `/catalog.ttl` and `/catalog.jsonld` by rdflib
//! (`scripts/dcat-check.py`; needs `LIONROCK_TEST_RDFLIB`, from
//! `scripts/services.sh ensure_rdflib`), `/data.json` by a JSON Schema
//! written from DCAT-US 1.1's field list. Every public dataset is there,
//! with its Chinese titles tagged; no draft and no private one is; a title
//! with quotes, a backslash and line breaks comes back as written.

use opendata::catalogue::store::{self as catalogue, Actor};
use opendata::catalogue::{State, dataset_input};
use platform::both_backends;
use platform::testkit::{Backend, TestApp};
use serde_json::{Value, json};

use crate::support::with_demo;

const TRICKY: &str = "Say \"hello\" \\ to\nthe \"world\"\r\tend";

/// The demo catalogue plus a dataset whose title needs escaping; the
/// public datasets' IDs, the hidden ones' IDs, and the tricky one's ID.
async fn catalogue_with_hidden(backend: Backend) -> (TestApp, Vec<String>, Vec<String>, String) {
    let app = with_demo(backend).await;
    let actor = Actor { id: "test".to_owned(), request_id: None };
    let body = json!({
        "name": "tricky-title", "owner_org": "hko",
        "title_translated": {"en": TRICKY, "zh-HK": "「引號」\n雨量", "zh-CN": "“引号”雨量"},
        "notes": "Back\\slash and \"quotes\".", "tags": ["weather"], "groups": ["climate-and-weather"],
        "update_frequency": "daily", "temporal_start": "2020-01-01", "temporal_end": "2026-12-31",
        "spatial": "Hong Kong", "maintainer": "Data Officer", "maintainer_email": "data@example.gov.hk",
        "resources": [{"url": "https://data.example.gov.hk/x y.csv", "format": "CSV", "size": 42,
            "hash": format!("sha256:{}", "ab".repeat(32))}]
    });
    let tricky = catalogue::create_dataset(&app.state, &dataset_input(&body).unwrap(), &actor).await.unwrap();
    let all = catalogue::datasets(&app.state.db, None).await.unwrap();
    let (public, hidden): (Vec<_>, Vec<_>) = all.iter().partition(|d| d.state == State::Published && !d.private);
    assert!(hidden.len() >= 2, "the demo has a draft and a private dataset");
    let ids = |v: Vec<&opendata::catalogue::Dataset>| v.into_iter().map(|d| d.id.clone()).collect::<Vec<_>>();
    (app, ids(public), ids(hidden), tricky.id)
}

async fn rdflib(python: &str, body: &str, format: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalogue");
    std::fs::write(&file, body).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dcat-check.py");
    let out = tokio::process::Command::new(python).arg(script).arg(&file).arg(format).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "rdflib refused the {format}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap()
}

async fn dcat_ap_reads_back_in_rdflib(backend: Backend) {
    let Some(python) = platform::testkit::service_env("LIONROCK_TEST_RDFLIB", "rdflib") else { return };
    let (app, public, hidden, tricky) = catalogue_with_hidden(backend).await;
    let c = app.client();
    for (path, format, media) in [
        ("/catalog.ttl", "turtle", "text/turtle; charset=utf-8"),
        ("/catalog.jsonld", "json-ld", "application/ld+json"),
    ] {
        let response = c.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], media, "{path}");
        let read = rdflib(&python, &response.text().await.unwrap(), format).await;
        assert_eq!(read["catalogues"], 1, "{path}");
        assert_eq!(read["total_items"], public.len(), "{path}");
        let datasets = read["datasets"].as_object().unwrap();
        assert_eq!(datasets.len(), public.len(), "{path}: every public dataset, once");
        for id in &public {
            let d = &datasets[id.as_str()];
            assert_eq!(d["in_catalogue"], true, "{path} {id}");
            assert_eq!(d["publisher_is_agent"], true, "{path} {id}");
            assert_eq!(d["modified_type"], "http://www.w3.org/2001/XMLSchema#dateTime", "{path} {id}");
        }
        for id in &hidden {
            assert!(datasets.get(id.as_str()).is_none(), "{path}: {id} is a draft or private");
        }
        let t = &datasets[tricky.as_str()];
        assert_eq!(t["titles"], json!({"en": TRICKY, "zh-Hant": "「引號」\n雨量", "zh-Hans": "“引号”雨量"}), "{path}");
        assert_eq!(t["distributions"], 1, "{path}");
        assert_eq!(t["keywords"], json!(["weather"]), "{path}");
        let themes = json!([
            app.url("/en/opendata/categories/climate-and-weather"),
            "http://publications.europa.eu/resource/authority/data-theme/ENVI"
        ]);
        assert_eq!(t["themes"], themes, "{path}");
        // A demo dataset in Chinese keeps its tag.
        let chinese = datasets.values().filter(|d| d["titles"]["zh-Hant"].is_string()).count();
        assert!(chinese > 1, "{path}: {chinese} titles in zh-Hant");
        assert_eq!(read["next"], json!([]), "{path}: one page");
        assert_eq!(read["last"][0], app.url(&format!("{path}?page=1")), "{path}");
    }
    for (query, status) in [("?page=2", 404), ("?page=0", 400), ("?page=x", 400), ("?page=1", 200)] {
        assert_eq!(c.get(&format!("/catalog.ttl{query}")).await.status(), status, "{query}");
    }
}
both_backends!(dcat_ap_reads_back_in_rdflib);

/// DCAT-US 1.1's required and typed fields, written from the published
/// field list (Project Open Data metadata schema v1.1).
fn dcat_us_schema() -> Value {
    let url = json!({"type": "string", "pattern": "^https?://"});
    let distribution = json!({
        "type": "object",
        "anyOf": [{"required": ["downloadURL", "mediaType"]}, {"required": ["accessURL"]}],
        "properties": {
            "downloadURL": url, "accessURL": url,
            "mediaType": {"type": "string", "pattern": "^[-\\w.]+/[-\\w.+]+$"},
            "format": {"type": "string"}, "title": {"type": "string"}
        }
    });
    let contact = json!({"type": "object", "required": ["fn", "hasEmail"], "properties": {
        "fn": {"type": "string", "minLength": 1},
        "hasEmail": {"type": "string", "pattern": "^mailto:[^@]+@[^@]+$"}}});
    let publisher =
        json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}});
    let mut properties = json!({
        "@type": {"const": "dcat:Dataset"},
        "title": {"type": "string", "minLength": 1},
        "description": {"type": "string", "minLength": 1},
        "keyword": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "modified": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$"},
        "issued": {"type": "string"},
        "identifier": {"type": "string", "minLength": 1},
        "accessLevel": {"enum": ["public", "restricted public", "non-public"]},
        "license": url,
        "landingPage": url,
        "spatial": {"type": "string"},
        "theme": {"type": "array", "items": {"type": "string"}}
    });
    properties["publisher"] = publisher;
    properties["contactPoint"] = contact;
    properties["accrualPeriodicity"] =
        json!({"type": "string", "pattern": "^(irregular|R/P(T\\d+[HS]|\\d+(\\.\\d+)?[YMWD]))$"});
    properties["temporal"] = json!({"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}/\\d{4}-\\d{2}-\\d{2}$"});
    properties["language"] =
        json!({"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"}});
    properties["distribution"] = json!({"type": "array", "items": distribution});
    let dataset = json!({
        "type": "object",
        "required": ["title", "description", "keyword", "modified", "publisher", "contactPoint",
                     "identifier", "accessLevel"],
        "properties": properties
    });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["@type", "conformsTo", "dataset"],
        "properties": {
            "@type": {"const": "dcat:Catalog"},
            "conformsTo": {"const": "https://project-open-data.cio.gov/v1.1/schema"},
            "describedBy": url,
            "dataset": {"type": "array", "items": dataset}
        }
    })
}

async fn data_json_follows_dcat_us(backend: Backend) {
    let (app, public, hidden, tricky) = catalogue_with_hidden(backend).await;
    let response = app.client().get("/data.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    let validator = jsonschema::draft202012::new(&dcat_us_schema()).unwrap();
    let errors: Vec<String> = validator.iter_errors(&body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let datasets = body["dataset"].as_array().unwrap();
    let ids: Vec<&str> = datasets.iter().map(|d| d["identifier"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), public.len());
    for id in &public {
        assert!(ids.contains(&id.as_str()), "{id}");
    }
    for id in &hidden {
        assert!(!ids.contains(&id.as_str()), "{id} is a draft or private");
    }
    let t = datasets.iter().find(|d| d["identifier"] == tricky.as_str()).unwrap();
    assert_eq!(t["title"], TRICKY);
    // Its description is in English only: the languages every text has.
    assert_eq!(t["language"], json!(["en"]));
    assert!(datasets.iter().any(|d| d["language"] == json!(["en", "zh-HK", "zh-CN"])));
    assert_eq!(t["accrualPeriodicity"], "R/P1D");
    assert_eq!(t["temporal"], "2020-01-01/2026-12-31");
    assert_eq!(t["contactPoint"]["hasEmail"], "mailto:data@example.gov.hk");
    assert_eq!(t["distribution"][0]["mediaType"], "text/csv");
}
both_backends!(data_json_follows_dcat_us);

/// A catalogue of more than a page: the first page links to the second,
/// which holds the rest and links back; `data.json` still has them all.
async fn a_big_catalogue_comes_in_linked_pages(backend: Backend) {
    let app = crate::support::spawn(backend).await;
    let actor = Actor { id: "test".to_owned(), request_id: None };
    for o in opendata::demo::organisations() {
        catalogue::create_organisation(&app.state, o.name, o.title, o.description, &actor).await.unwrap();
    }
    catalogue::insert_many(&app.state, &opendata::demo::generated(0, 1100), &actor).await.unwrap();
    let public = opendata::dcat::store::public_count(&app.state.db).await.unwrap();
    // Every 50th is private and every 97th a draft: the rest pass a page.
    assert!(public > 1000 && public < 1100, "{public}");
    let c = app.client();
    let datasets_in = |page: &Value| {
        let nodes = page["@graph"].as_array().unwrap();
        let dataset = "http://www.w3.org/ns/dcat#Dataset";
        nodes.iter().filter(|n| n["@type"].as_array().is_some_and(|t| t.iter().any(|t| t == dataset))).count()
    };
    let view = |page: &Value, n: u64| {
        let id = app.url(&format!("/catalog.jsonld?page={n}"));
        page["@graph"].as_array().unwrap().iter().find(|n| n["@id"] == id.as_str()).unwrap().clone()
    };
    let first: Value = c.get("/catalog.jsonld").await.json().await.unwrap();
    assert_eq!(datasets_in(&first), 1000);
    let link = |v: &Value, rel: &str| v[format!("hydra:{rel}")][0]["@id"].as_str().map(str::to_owned);
    assert_eq!(link(&view(&first, 1), "next"), Some(app.url("/catalog.jsonld?page=2")));
    assert_eq!(link(&view(&first, 1), "previous"), None);
    let second: Value = c.get("/catalog.jsonld?page=2").await.json().await.unwrap();
    assert_eq!(datasets_in(&second) as u64, public - 1000);
    assert_eq!(link(&view(&second, 2), "previous"), Some(app.url("/catalog.jsonld?page=1")));
    assert_eq!(link(&view(&second, 2), "next"), None);
    assert_eq!(c.get("/catalog.ttl?page=3").await.status(), 404);
    let all: Value = c.get("/data.json").await.json().await.unwrap();
    assert_eq!(all["dataset"].as_array().unwrap().len() as u64, public);
}
both_backends!(a_big_catalogue_comes_in_linked_pages);
