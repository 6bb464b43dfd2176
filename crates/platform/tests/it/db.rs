//! SQLite durability: every pooled connection runs with the configured
//! `synchronous` level (FULL by default, so a confirmed write survives a
//! power cut) in WAL mode. SQLite's writers take turns in the process's
//! write queue (`db::begin_write`): all of them commit, a dropped one rolls
//! back and passes its turn on, and one that waits for itself gives up.

use platform::config::{Config, SqliteSynchronous};
use platform::db::begin_write;
use platform::testkit::TestApp;
use sea_orm::{ConnectionTrait, DatabaseConnection, sqlx};

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

/// A fresh SQLite file with a one-row counter, opened with `busy_timeout_ms`.
async fn counter_db(dir: &tempfile::TempDir, busy_timeout_ms: u64) -> DatabaseConnection {
    let url = format!("sqlite://{}", dir.path().join("queue.db").display());
    let db = platform::db::connect_url(&url, 5, busy_timeout_ms, None).await.unwrap();
    db.execute_unprepared("CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter (n) VALUES (0)")
        .await
        .unwrap();
    db
}

async fn count(db: &impl ConnectionTrait) -> i64 {
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT n FROM counter"));
    row.await.unwrap().unwrap().try_get::<i64>("", "n").unwrap()
}

/// Read, wait, write: only right if no other writer ran in between.
async fn add_one(db: &DatabaseConnection, commit: bool) {
    let txn = begin_write(db).await.unwrap();
    let n = count(&txn).await;
    tokio::task::yield_now().await;
    txn.execute_unprepared(&format!("UPDATE counter SET n = {}", n + 1)).await.unwrap();
    if commit {
        txn.commit().await.unwrap();
    }
    // Else dropped: it rolls back, and the next writer's turn waits for that.
}

#[tokio::test]
async fn sqlite_writers_take_turns_and_a_dropped_one_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = counter_db(&dir, 5000).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..60 {
        let db = db.clone();
        tasks.spawn(async move { add_one(&db, i % 4 != 0).await });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    assert_eq!(count(&db).await, 45, "45 committed, 15 dropped");
}

#[tokio::test]
async fn a_second_sqlite_write_transaction_while_holding_one_gives_up_after_the_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let db = counter_db(&dir, 200).await;
    let outer = begin_write(&db).await.unwrap();
    outer.execute_unprepared("UPDATE counter SET n = 1").await.unwrap();
    // It waits for its own turn: an error after the busy timeout, never a hang.
    let inner = tokio::time::timeout(std::time::Duration::from_secs(30), begin_write(&db)).await;
    let error = inner.expect("gave up in time").err().expect("no second turn while the first is held");
    assert!(error.to_string().contains("database is locked"), "{error}");
    outer.commit().await.unwrap();
    add_one(&db, true).await;
    assert_eq!(count(&db).await, 2);
}
