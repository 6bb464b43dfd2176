//! The hash-chained audit log, on SQLite and PostgreSQL.

use platform::audit::{self, AuditEntry};
use platform::both_backends;
use platform::testkit::{Backend, TestApp};
use sea_orm::ConnectionTrait;

async fn app(backend: Backend) -> TestApp {
    TestApp::builder().backend(backend).spawn().await
}

async fn append(app: &TestApp, n: usize) {
    for i in 0..n {
        audit::record_now(
            app.db(),
            AuditEntry::new("account:0199", "test.act", format!("object:{i}")).request(Some("req-1")),
        )
        .await
        .unwrap();
    }
}

async fn chain_verifies(backend: Backend) {
    let app = app(backend).await;
    let empty = audit::verify(app.db()).await.unwrap();
    assert!(empty.ok);
    assert_eq!(empty.entries, 0);
    append(&app, 5).await;
    let report = audit::verify(app.db()).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.entries, 5);
}
both_backends!(chain_verifies);

async fn an_edited_row_is_caught(backend: Backend) {
    let app = app(backend).await;
    append(&app, 5).await;
    app.db().execute_unprepared("UPDATE audit_log SET object = 'object:forged' WHERE seq = 3").await.unwrap();
    let report = audit::verify(app.db()).await.unwrap();
    assert!(!report.ok);
    let broken = report.first_broken.unwrap();
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("hash"), "{}", broken.reason);
    assert_eq!(report.entries, 2, "entries before the break verified");
}
both_backends!(an_edited_row_is_caught);

async fn a_recomputed_row_still_breaks_the_next_link(backend: Backend) {
    let app = app(backend).await;
    append(&app, 4).await;
    // A forger who rewrites a row's hash too breaks the following prev_hash.
    app.db()
        .execute_unprepared("UPDATE audit_log SET hash = 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' WHERE seq = 2")
        .await
        .unwrap();
    let report = audit::verify(app.db()).await.unwrap();
    assert_eq!(report.first_broken.unwrap().seq, 2);
}
both_backends!(a_recomputed_row_still_breaks_the_next_link);

async fn deleted_and_truncated_entries_are_caught(backend: Backend) {
    let app = app(backend).await;
    append(&app, 5).await;
    app.db().execute_unprepared("DELETE FROM audit_log WHERE seq = 5").await.unwrap();
    let report = audit::verify(app.db()).await.unwrap();
    assert!(!report.ok, "truncation is caught by the head");
    assert_eq!(report.first_broken.as_ref().unwrap().seq, 5);

    app.db().execute_unprepared("DELETE FROM audit_log WHERE seq = 2").await.unwrap();
    let report = audit::verify(app.db()).await.unwrap();
    assert_eq!(report.first_broken.unwrap().seq, 2);
}
both_backends!(deleted_and_truncated_entries_are_caught);

async fn concurrent_appends_keep_one_chain(backend: Backend) {
    let app = app(backend).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let db = app.db().clone();
        tasks.push(tokio::spawn(async move {
            audit::record_now(&db, AuditEntry::new(format!("account:{i}"), "test.parallel", "object:1")).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let report = audit::verify(app.db()).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.entries, 24);
}
both_backends!(concurrent_appends_keep_one_chain);

async fn entries_roll_back_with_their_transaction(backend: Backend) {
    let app = app(backend).await;
    let txn = platform::db::begin_write(app.db()).await.unwrap();
    audit::record(&txn, AuditEntry::new("account:1", "test.rollback", "object:1")).await.unwrap();
    txn.rollback().await.unwrap();
    append(&app, 1).await;
    let report = audit::verify(app.db()).await.unwrap();
    assert!(report.ok);
    assert_eq!(report.entries, 1);
}
both_backends!(entries_roll_back_with_their_transaction);

#[tokio::test]
async fn entries_reject_empty_or_oversized_fields() {
    let app = TestApp::spawn().await;
    let err = audit::record_now(app.db(), AuditEntry::new("", "a", "b")).await.unwrap_err();
    assert!(err.to_string().contains("actor"));
    let err = audit::record_now(app.db(), AuditEntry::new("a", "b", "x".repeat(201))).await.unwrap_err();
    assert!(err.to_string().contains("object"));
}
