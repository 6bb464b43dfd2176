//! `lionrock opendata …` as an operator runs it: an organisation made, an
//! account made its publisher, a CKAN API token made (printed once) that a
//! script then writes with against `lionrock serve`, then revoked (refused
//! at once); the token never reaches the server's log.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::{Value, json};

use crate::support::{Served, lionrock, run, stderr, stdout};

fn json_of(out: &std::process::Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_str(stdout(out).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

#[tokio::test]
async fn a_token_made_on_the_command_line_publishes_until_revoked() {
    platform::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    assert!(run(lionrock(dir.path()).args(["keys", "init"])).status.success());
    let made = json_of(&run(lionrock(dir.path()).args([
        "opendata",
        "organisation",
        "create",
        "hko",
        "--title-en",
        "Hong Kong Observatory",
        "--title-zh-hk",
        "香港天文台",
        "--json",
    ])));
    assert_eq!(made["name"], "hko");
    let account = uuid::Uuid::now_v7().to_string();
    let added = json_of(&run(lionrock(dir.path()).args(["opendata", "publisher", "add", "hko", &account, "--json"])));
    assert_eq!(added["added"], true);
    let token = json_of(&run(lionrock(dir.path()).args(["opendata", "token", "create", &account, "--json"])));
    let (id, secret) = (token["id"].as_str().unwrap().to_owned(), token["token"].as_str().unwrap().to_owned());
    assert!(secret.starts_with("lrod_"), "{token}");

    let bad = run(lionrock(dir.path()).args(["opendata", "token", "create", "not-an-account"]));
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("an account ID is a UUID"), "{}", stderr(&bad));

    let log = dir.path().join("serve.log");
    let mut child = lionrock(dir.path())
        .env("LIONROCK_LOG", "debug")
        .args(["serve", "--json", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {line}"));
    let base = info["url"].as_str().unwrap().trim_end_matches('/').to_owned();
    let http = reqwest::Client::new();
    let create = |name: &str| {
        http.post(format!("{base}/api/action/package_create"))
            .header("Authorization", &secret)
            .json(&json!({"name": name, "owner_org": "hko", "title": "Lightning"}))
            .send()
    };
    let response = create("lightning").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["result"]["organization"]["title_translated"]["zh-HK"],
        "香港天文台"
    );

    let revoked = json_of(&run(lionrock(dir.path()).args(["opendata", "token", "revoke", &id, "--json"])));
    assert_eq!(revoked["revoked"], true);
    let refused = create("lightning-2").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["__type"], "Authorization Error");
    let again = run(lionrock(dir.path()).args(["opendata", "token", "revoke", &id]));
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));

    let _ = child.kill();
    let _ = child.wait();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("package_create"), "the requests were logged: {logged}");
    assert!(!logged.contains(&secret), "the token is never logged");
}

/// `opendata reindex` rebuilds the index under the data directory with a
/// progress line, which a server then searches; while a server holds the
/// index, reindex fails with one line saying why.
#[tokio::test]
async fn reindex_rebuilds_the_index_a_server_then_searches() {
    platform::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    assert!(run(lionrock(dir.path()).args(["keys", "init"])).status.success());
    let made = json_of(&run(lionrock(dir.path()).args(["opendata", "generate", "--count", "300", "--json"])));
    assert_eq!(made["datasets"], 300);

    let out = run(lionrock(dir.path()).args(["opendata", "reindex", "--json"]));
    let rebuilt = json_of(&out);
    assert_eq!(rebuilt["datasets"], 300);
    assert!(rebuilt["applied"].as_i64().unwrap() >= 300, "{rebuilt}");
    assert!(stderr(&out).contains("reindex: 300/300 datasets (100%)"), "{}", stderr(&out));
    assert!(dir.path().join("lionrock-data/opendata/search/meta.json").exists());

    let served = Served::start({
        let mut cmd = lionrock(dir.path());
        cmd.args(["serve", "--json", "--listen", "127.0.0.1:0"]);
        cmd
    });
    let http = reqwest::Client::new();
    let found: Value = http
        .get(served.url("/api/3/action/package_search?fq=tags:series-7&rows=0"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Of numbers 0 to 299 only 7 has the tag series-7 (and is public, published).
    assert_eq!(found["result"]["count"], 1, "{found}");
    let public: Value =
        http.get(served.url("/api/3/action/package_search?rows=0")).send().await.unwrap().json().await.unwrap();
    // Every 50th private (0, 50, …, 250), every 97th a draft (0, 97, 194, 291).
    assert_eq!(public["result"]["count"], 300 - 6 - 3, "{public}");

    // The running server holds the index: reindex says so in one line.
    let busy = run(lionrock(dir.path()).args(["opendata", "reindex"]));
    assert_eq!(busy.status.code(), Some(1), "{}", stderr(&busy));
    let message = stderr(&busy);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("in use by another lionrock process"), "{message}");
    assert!(served.terminate());
}

/// `opendata harvest URL --json` copies a served lionrock's public
/// datasets into another installation (mirroring its organisations), then
/// finds nothing new; a source that cannot be reached is one line, exit 1.
#[tokio::test]
async fn harvest_copies_a_served_catalogue_then_only_changes() {
    platform::install_crypto_provider();
    let source = tempfile::tempdir().unwrap();
    assert!(run(lionrock(source.path()).args(["keys", "init"])).status.success());
    let made = json_of(&run(lionrock(source.path()).args(["opendata", "generate", "--count", "20", "--json"])));
    assert_eq!(made["datasets"], 20);
    let served = Served::start({
        let mut cmd = lionrock(source.path());
        cmd.args(["serve", "--json", "--listen", "127.0.0.1:0"]);
        cmd
    });
    let target = tempfile::tempdir().unwrap();
    assert!(run(lionrock(target.path()).args(["keys", "init"])).status.success());
    let first = json_of(&run(lionrock(target.path()).args(["opendata", "harvest", &served.base, "--json"])));
    // Number 0 is private and a draft; the other 19 are public.
    assert_eq!((first["created"].as_u64(), first["failed"].as_u64()), (Some(19), Some(0)), "{first}");
    let again = json_of(&run(lionrock(target.path()).args(["opendata", "harvest", &served.base, "--json"])));
    assert_eq!((again["created"].as_u64(), again["updated"].as_u64()), (Some(0), Some(0)), "{again}");
    assert!(served.terminate());

    let gone = run(lionrock(target.path()).args(["opendata", "harvest", "http://127.0.0.1:9", "--json"]));
    assert_eq!(gone.status.code(), Some(1), "{}", stderr(&gone));
    let message = stderr(&gone);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("cannot connect"), "{message}");
}

/// `opendata datastore load` while `serve --demo` runs: a CSV of 12,000
/// rows whose 10,000th does not fit the type the publisher gave its column
/// is loaded but for that row, which the report names (row, line, column,
/// value, reason); the server's `datastore_search` then serves the table.
/// The demo's own tables answer at once.
#[tokio::test]
async fn a_file_loaded_on_the_command_line_is_served_by_datastore_search() {
    platform::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start({
        let mut cmd = lionrock(dir.path());
        cmd.args(["serve", "--demo", "--json", "--listen", "127.0.0.1:0"]);
        cmd
    });
    let http = reqwest::Client::new();
    let call = |path: String| {
        let http = http.clone();
        let url = served.url(&path);
        async move { http.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let resource_of = |dataset: Value| {
        dataset["result"]["resources"].as_array().unwrap().iter().find(|r| r["format"] == "CSV").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let rain = resource_of(call("/api/3/action/package_show?id=daily-rainfall-sha-tin".to_owned()).await);
    let demo = call(format!("/api/3/action/datastore_search?resource_id={rain}&limit=1")).await;
    assert_eq!(demo["result"]["total"], 365, "{demo}");

    let rid = resource_of(call("/api/3/action/package_show?id=daily-rainfall-tai-po".to_owned()).await);
    let mut csv = String::from("station,day,rain_mm\n");
    for i in 1..=12_000 {
        let value = if i == 10_000 { "trace".to_owned() } else { (i % 90).to_string() };
        csv.push_str(&format!("Tai Po,2026-01-{:02},{value}\n", 1 + i % 28));
    }
    let file = dir.path().join("rain.csv");
    std::fs::write(&file, csv).unwrap();
    let out = run(lionrock(dir.path()).args([
        "opendata",
        "datastore",
        "load",
        &rid,
        file.to_str().unwrap(),
        "--type",
        "rain_mm=int",
        "--json",
    ]));
    let report = json_of(&out);
    assert_eq!(
        (report["rows_total"].as_u64(), report["rows_loaded"].as_u64()),
        (Some(12_000), Some(11_999)),
        "{report}"
    );
    assert_eq!(
        report["problems"],
        json!([{"row": 10_000, "line": 10_001, "column": "rain_mm", "value": "trace", "reason": "not a whole number"}])
    );
    assert!(report["rows_per_second"].as_f64().unwrap() > 0.0);
    assert!(stderr(&out).contains("datastore load: 12000/12000 rows (100%)"), "{}", stderr(&out));
    let found = call(format!("/api/3/action/datastore_search?resource_id={rid}&limit=0")).await;
    assert_eq!(found["result"]["total"], 11_999, "{found}");
    let info = call(format!("/api/3/action/datastore_info?id={rid}")).await;
    assert_eq!(info["result"]["schema"]["rain_mm"], "int", "{info}");

    // As text; and the operator's mistakes in one line each.
    let out = run(lionrock(dir.path()).args(["opendata", "datastore", "load", &rid, file.to_str().unwrap()]));
    assert!(stdout(&out).starts_with("loaded 12000 of 12000 rows"), "{}", stdout(&out));
    assert!(stdout(&out).contains("rain_mm text"), "{}", stdout(&out));
    for (args, message) in [
        (vec!["--type", "rain_mm"], "COLUMN=TYPE"),
        (vec!["--format", "xlsx"], "csv or json"),
        (vec!["--type", "nope=int"], "no such column"),
    ] {
        let mut all = vec!["opendata", "datastore", "load", &rid, file.to_str().unwrap()];
        all.extend(args);
        let bad = run(lionrock(dir.path()).args(&all));
        assert_ne!(bad.status.code(), Some(0));
        assert!(stderr(&bad).contains(message), "{message}: {}", stderr(&bad));
    }
    let missing =
        run(lionrock(dir.path()).args(["opendata", "datastore", "load", "no-such-resource", file.to_str().unwrap()]));
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(served.terminate());
}
