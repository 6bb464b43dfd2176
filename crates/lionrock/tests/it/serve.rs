//! `lionrock serve` as an operator runs it: demo mode on SQLite, and the same
//! binary on PostgreSQL, one server or two sharing the database.

use std::process::{Command, Stdio};

use platform::testkit::{POSTGRES_ENV, service_env};
use sea_orm::ConnectionTrait;

use crate::support::{Served, lionrock, run, run_bounded, stderr};

async fn get(url: &str) -> (u16, String) {
    platform::install_crypto_provider();
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn demo_serves_the_landing_page_in_three_languages_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = lionrock(dir.path());
    cmd.args(["serve", "--demo", "--json", "--listen", "127.0.0.1:0"]);
    let server = Served::start(cmd);
    for (prefix, tag, banner) in
        [("en", "en", "Demo site."), ("zh-hk", "zh-HK", "示範網站。"), ("zh-cn", "zh-CN", "演示网站。")]
    {
        let (status, html) = get(&server.url(&format!("/{prefix}/"))).await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("<html lang=\"{tag}\">")));
        assert!(html.contains("class=\"demo-banner\"") && html.contains(banner), "every page says it is a demo");
    }
    let (_, html) = get(&server.url("/zh-hk/sign-in")).await;
    assert!(html.contains("示範網站。"), "identity's pages too");
    assert_eq!(get(&server.url("/readyz")).await.0, 200);
    assert_eq!(get(&server.url("/en/sign-in")).await.0, 200, "identity is composed in");

    // The demo accounts it printed can sign in.
    let notes: Vec<String> = serde_json::from_value(server.info["demo_notes"].clone()).unwrap();
    let resident = notes.iter().find(|n| n.starts_with("demo resident: ")).expect("resident note");
    let (email, password) = resident["demo resident: ".len()..].split_once(" / ").unwrap();
    let addr: std::net::SocketAddr = server.info["listening"].as_str().unwrap().parse().unwrap();
    let client = platform::testkit::TestClient::new(addr);
    let r = client.post_form("/en/sign-in", &[("email", email), ("password", password)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(client.get("/en/account").await.status(), 200);
    let key = dir.path().join("lionrock-data/keys/data.key");
    assert!(key.exists(), "demo creates its keys");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(server.terminate(), "clean exit on SIGTERM");
}

/// A fresh schema on the test PostgreSQL, and a URL that uses it.
pub(crate) async fn pg_schema_url() -> Option<String> {
    let url = service_env(POSTGRES_ENV, "PostgreSQL")?;
    let schema = format!("cli_{}", uuid::Uuid::new_v4().simple());
    let admin = platform::db::connect_url(&url, 1, 5000, None).await.unwrap();
    admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.unwrap();
    admin.close().await.unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

fn pg_command(dir: &std::path::Path, url: &str) -> Command {
    let mut cmd = lionrock(dir);
    cmd.env("LIONROCK_DATABASE__URL", url);
    cmd
}

#[tokio::test]
async fn the_same_binary_serves_on_postgresql_two_servers_one_database() {
    let Some(url) = pg_schema_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    assert!(run(lionrock(dir.path()).args(["keys", "init"])).status.success());

    // Two migrations racing on one database: both succeed, schema applied once.
    let migrate = || pg_command(dir.path(), &url).args(["migrate", "--json"]).stdout(Stdio::piped()).spawn().unwrap();
    let (a, b) = (migrate(), migrate());
    let mut applied = Vec::new();
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        applied.extend(report["applied"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()));
    }
    let all: Vec<String> =
        sea_orm_migration::MigratorTraitSelf::migrations(&platform::app::migrator(&lionrock::modules()))
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
    applied.sort();
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(applied, expected, "every migration applied exactly once, by one of the two");

    let mut first = pg_command(dir.path(), &url);
    first.args(["serve", "--json", "--listen", "127.0.0.1:0"]);
    let mut second = pg_command(dir.path(), &url);
    second.args(["serve", "--json", "--listen", "127.0.0.1:0"]);
    let (first, second) = (Served::start(first), Served::start(second));
    for server in [&first, &second] {
        let (status, body) = get(&server.url("/readyz")).await;
        assert_eq!(status, 200, "{body}");
        let (status, html) = get(&server.url("/zh-hk/")).await;
        assert_eq!(status, 200);
        assert!(html.contains("公共服務"));
    }
    assert!(first.terminate());
    assert!(second.terminate());

    let out = run(pg_command(dir.path(), &url).args(["audit", "verify"]));
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A server killed with SIGKILL right after a message was committed to the
/// outbox (its worker off, so nothing was sent yet); the next server on the
/// same database delivers it.
async fn sigkill_between_enqueue_and_delivery_loses_nothing(database_url: Option<String>) {
    platform::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    assert!(run(lionrock(dir.path()).args(["keys", "init"])).status.success());
    let command = || {
        let mut cmd = lionrock(dir.path());
        if let Some(url) = &database_url {
            cmd.env("LIONROCK_DATABASE__URL", url);
        }
        cmd
    };
    let mut first = command();
    first.env("LIONROCK_OUTBOX__WORKER", "false").args(["serve", "--json", "--listen", "127.0.0.1:0"]);
    let mut first = Served::start(first);
    let addr: std::net::SocketAddr = first.info["listening"].as_str().unwrap().parse().unwrap();
    let client = platform::testkit::TestClient::new(addr);
    let r = client
        .post_form("/en/register", &[("email", "kill-9@example.org"), ("password", "a long enough pass phrase 2026")])
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    first.child.kill().unwrap();
    first.child.wait().unwrap();

    let sink = platform::testkit::sinks::SmtpSink::start().await;
    let mut second = command();
    second
        .env("LIONROCK_MAIL__TRANSPORT", "smtp")
        .env("LIONROCK_MAIL__SMTP_HOST", "127.0.0.1")
        .env("LIONROCK_MAIL__SMTP_PORT", sink.addr.port().to_string())
        .args(["serve", "--json", "--listen", "127.0.0.1:0"]);
    let second = Served::start(second);
    platform::testkit::eventually("the verification e-mail", std::time::Duration::from_secs(60), || async {
        sink.messages().into_iter().find(|m| m.to == ["kill-9@example.org"])
    })
    .await;
    assert!(second.terminate());
}

#[tokio::test]
async fn sigkill_between_enqueue_and_delivery_loses_nothing_sqlite() {
    sigkill_between_enqueue_and_delivery_loses_nothing(None).await;
}

#[tokio::test]
async fn sigkill_between_enqueue_and_delivery_loses_nothing_postgres() {
    let Some(url) = pg_schema_url().await else { return };
    sigkill_between_enqueue_and_delivery_loses_nothing(Some(url)).await;
}

#[tokio::test]
async fn demo_listens_on_loopback_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = lionrock(dir.path());
    cmd.env("LIONROCK_SERVER__LISTEN", "0.0.0.0:0").args(["serve", "--demo", "--json"]);
    let server = Served::start(cmd);
    let addr: std::net::SocketAddr = server.info["listening"].as_str().unwrap().parse().unwrap();
    assert!(addr.ip().is_loopback(), "configured 0.0.0.0, demo bound {addr}");
    assert!(server.terminate());

    // A non-demo server (on a database of its own) does as configured, and shows no banner.
    let real = tempfile::tempdir().unwrap();
    assert!(run(lionrock(real.path()).args(["keys", "init"])).status.success());
    let mut cmd = lionrock(real.path());
    cmd.env("LIONROCK_SERVER__LISTEN", "0.0.0.0:0").args(["serve", "--json"]);
    let server = Served::start(cmd);
    let addr: std::net::SocketAddr = server.info["listening"].as_str().unwrap().parse().unwrap();
    assert!(addr.ip().is_unspecified(), "{addr}");
    let (status, html) = get(&format!("http://127.0.0.1:{}/en/", addr.port())).await;
    assert_eq!(status, 200);
    assert!(!html.contains("demo-banner"));
    assert!(server.terminate());
}

#[test]
fn demo_accounts_never_go_into_a_database_with_other_accounts() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    assert!(run(lionrock(dir.path()).args(["keys", "init"])).status.success());
    let mut child = lionrock(dir.path())
        .args(["users", "create", "--email", "officer@city.example", "--password-stdin", "--role", "admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a real administrator's long password").unwrap();
    assert!(child.wait().unwrap().success());

    let out = run_bounded(lionrock(dir.path()).args(["serve", "--demo", "--listen", "127.0.0.1:0"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let line = err.lines().find(|l| l.starts_with("error: ")).unwrap_or_default();
    assert!(line.contains("set up before, not by `serve --demo`"), "{err}");
    // No demo account was made: the published password opens nothing.
    let db = dir.path().join("lionrock-data/lionrock.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let count = rt.block_on(async {
        let url = format!("sqlite://{}", db.display());
        let conn = platform::db::connect_url(&url, 1, 5000, None).await.unwrap();
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                "SELECT COUNT(*) AS n FROM account WHERE email LIKE '%demo.lionrock.invalid'",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    });
    assert_eq!(count, 0);
}

#[tokio::test]
async fn a_demo_database_is_served_only_as_a_demo_and_a_used_one_never_becomes_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = lionrock(dir.path());
    cmd.args(["serve", "--demo", "--json", "--listen", "127.0.0.1:0"]);
    assert!(Served::start(cmd).terminate());
    // Served without --demo, the published demo passwords would open a real
    // server with no banner, on any address: refused.
    let out = run_bounded(lionrock(dir.path()).args(["serve", "--listen", "127.0.0.1:0"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("holds demo data with published passwords"), "{}", stderr(&out));
    // Again with --demo it runs.
    let mut cmd = lionrock(dir.path());
    cmd.args(["serve", "--demo", "--json", "--listen", "127.0.0.1:0"]);
    assert!(Served::start(cmd).terminate());

    // A database set up for real (migrated, still without accounts) never gets demo data.
    let real = tempfile::tempdir().unwrap();
    assert!(run(lionrock(real.path()).args(["keys", "init"])).status.success());
    assert!(run(lionrock(real.path()).args(["migrate"])).status.success());
    let out = run_bounded(lionrock(real.path()).args(["serve", "--demo", "--listen", "127.0.0.1:0"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("set up before, not by `serve --demo`"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_demo_database_from_before_the_mark_is_marked_on_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = lionrock(dir.path());
    cmd.args(["serve", "--demo", "--json", "--listen", "127.0.0.1:0"]);
    assert!(Served::start(cmd).terminate());
    // As an earlier release left it: the demo accounts, no mark, the marking
    // migration not yet applied.
    let url = format!("sqlite://{}", dir.path().join("lionrock-data/lionrock.db").display());
    let db = platform::db::connect_url(&url, 1, 5000, None).await.unwrap();
    db.execute_unprepared("DELETE FROM installation_mark").await.unwrap();
    db.execute_unprepared(
        "DELETE FROM seaql_migrations WHERE version = 'm20261130_100016_identity_mark_demo_databases'",
    )
    .await
    .unwrap();
    db.close().await.unwrap();
    assert!(run(lionrock(dir.path()).arg("migrate")).status.success());
    let out = run_bounded(lionrock(dir.path()).args(["serve", "--listen", "127.0.0.1:0"]));
    assert_eq!(out.status.code(), Some(2), "served a demo database without --demo: {}", stderr(&out));
    assert!(stderr(&out).contains("holds demo data with published passwords"), "{}", stderr(&out));
}
