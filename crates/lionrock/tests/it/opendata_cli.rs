//! `lionrock opendata …` as an operator runs it: an organisation made, an
//! account made its publisher, a CKAN API token made (printed once) that a
//! script then writes with against `lionrock serve`, then revoked (refused
//! at once); the token never reaches the server's log.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::{Value, json};

use crate::support::{lionrock, run, stderr, stdout};

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
