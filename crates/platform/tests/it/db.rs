//! SQLite durability: every pooled connection runs with the configured
//! `synchronous` level (FULL by default, so a confirmed write survives a
//! power cut) in WAL mode.

use platform::config::{Config, SqliteSynchronous};
use platform::testkit::TestApp;
use sea_orm::sqlx;

/// `PRAGMA synchronous` and `PRAGMA journal_mode` on every connection of
/// the app's pool, all held at once so the pool has to open each of them.
async fn pragmas_of_every_connection(app: &TestApp) -> Vec<(i64, String)> {
    let pool = app.db().get_sqlite_connection_pool();
    let mut held = Vec::new();
    for _ in 0..app.state.config.database.max_connections {
        held.push(pool.acquire().await.unwrap());
    }
    let mut seen = Vec::new();
    for conn in &mut held {
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut **conn).await.unwrap();
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut **conn).await.unwrap();
        seen.push((synchronous, journal));
    }
    seen
}

#[tokio::test]
async fn sqlite_commits_are_synced_to_disk_by_default() {
    assert_eq!(Config::default().database.sqlite_synchronous, SqliteSynchronous::Full);
    let app = TestApp::spawn().await;
    let seen = pragmas_of_every_connection(&app).await;
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().all(|(s, j)| *s == 2 && j == "wal"), "FULL (2) and WAL on every connection: {seen:?}");
}

#[tokio::test]
async fn sqlite_synchronous_normal_is_allowed() {
    let app = TestApp::builder().config(|c| c.database.sqlite_synchronous = SqliteSynchronous::Normal).spawn().await;
    let seen = pragmas_of_every_connection(&app).await;
    assert!(seen.iter().all(|(s, j)| *s == 1 && j == "wal"), "NORMAL (1) on every connection: {seen:?}");
}

#[test]
fn sqlite_synchronous_takes_full_or_normal_only() {
    let load =
        |v: &str| Config::load(None, vec![("LIONROCK_DATABASE__SQLITE_SYNCHRONOUS".to_owned(), v.to_owned())], &[]);
    assert_eq!(load("normal").unwrap().database.sqlite_synchronous, SqliteSynchronous::Normal);
    assert_eq!(load("full").unwrap().database.sqlite_synchronous, SqliteSynchronous::Full);
    let err = load("off").unwrap_err();
    assert_eq!(err.source_name, "LIONROCK_DATABASE__SQLITE_SYNCHRONOUS");
    assert_eq!(err.key, "database.sqlite_synchronous");
}
