//! The audit log: its keyed chain, checkpoints, append-only triggers, the
//! upgrade from a plain SHA-256 chain and its seal, and verifying while
//! others append; on SQLite and PostgreSQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use hmac::{Hmac, KeyInit, Mac};
use platform::audit::{self, AuditEntry, Checkpoint, CheckpointError};
use platform::both_backends;
use platform::crypto::{Key, Keys};
use platform::testkit::{self, Backend, TestApp};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder};
use sha2::{Digest, Sha256};

async fn app(backend: Backend) -> TestApp {
    TestApp::builder().backend(backend).spawn().await
}

async fn append_to(db: &DatabaseConnection, keys: &Keys, n: usize) {
    for i in 0..n {
        audit::record_now(
            db,
            keys,
            AuditEntry::new("account:0199", "test.act", format!("object:{i}")).request(Some("req-1")),
        )
        .await
        .unwrap();
    }
}

async fn append(app: &TestApp, n: usize) {
    append_to(app.db(), &app.state.keys, n).await;
}

async fn verify(app: &TestApp) -> audit::VerifyReport {
    audit::verify(app.db(), &app.state.keys, None).await.unwrap()
}

/// The audit key's bytes, known to the test (a forger who stole the key file).
const AUDIT_KEY: [u8; 32] = [7; 32];

fn keys_with_known_audit_key(dir: &std::path::Path) -> Keys {
    let path = dir.join("audit.key");
    std::fs::write(&path, hex::encode(AUDIT_KEY)).unwrap();
    Keys::new(Key::generate(), Key::generate(), Key::load("crypto.audit_key_file", &path).unwrap())
}

/// How links are made, written out here so that a forger knows everything
/// but (unless given it) the key.
fn link_message(row: &audit::log::Model) -> String {
    let at = row.at.format(&time::format_description::well_known::Rfc3339).unwrap();
    serde_json::json!([row.seq, row.id, at, row.actor, row.action, row.object, row.request_id, row.prev_hash])
        .to_string()
}

fn plain_sha256(message: &str) -> String {
    hex::encode(Sha256::digest(message.as_bytes()))
}

fn hmac_with(key: [u8; 32]) -> impl Fn(&str) -> String {
    move |message: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(b"audit-link");
        mac.update(&[0]);
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Rewrites every entry from `from` on (their object becomes forged),
/// relinking each with `link` and moving the head, as a forger would.
async fn forge(db: &DatabaseConnection, from: i64, link: impl Fn(&str) -> String) {
    testkit::drop_audit_triggers(db).await;
    let rows = audit::log::Entity::find().order_by_asc(audit::log::Column::Seq).all(db).await.unwrap();
    let mut prev = rows.iter().find(|r| r.seq == from - 1).map(|r| r.hash.clone()).unwrap_or_else(|| "0".repeat(64));
    for row in rows.iter().filter(|r| r.seq >= from) {
        let mut forged = row.clone();
        forged.object = format!("object:forged-{}", row.seq);
        forged.prev_hash = prev;
        let hash = link(&link_message(&forged));
        db.execute_unprepared(&format!(
            "UPDATE audit_log SET object = '{}', prev_hash = '{}', hash = '{hash}' WHERE seq = {}",
            forged.object, forged.prev_hash, row.seq
        ))
        .await
        .unwrap();
        prev = hash;
    }
    db.execute_unprepared(&format!("UPDATE audit_head SET hash = '{prev}'")).await.unwrap();
}

async fn chain_verifies(backend: Backend) {
    let app = app(backend).await;
    let empty = verify(&app).await;
    assert!(empty.ok);
    assert_eq!(empty.entries, 0);
    append(&app, 5).await;
    let report = verify(&app).await;
    assert!(report.ok, "{report:?}");
    assert_eq!(report.entries, 5);
    assert_eq!(report.keyed_from, 1, "a new installation keys every link");
}
both_backends!(chain_verifies);

async fn an_edited_row_is_caught(backend: Backend) {
    let app = app(backend).await;
    append(&app, 5).await;
    testkit::drop_audit_triggers(app.db()).await;
    app.db().execute_unprepared("UPDATE audit_log SET object = 'object:forged' WHERE seq = 3").await.unwrap();
    let report = verify(&app).await;
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
    testkit::drop_audit_triggers(app.db()).await;
    // A forger who rewrites a row's hash too breaks the following prev_hash.
    app.db()
        .execute_unprepared("UPDATE audit_log SET hash = 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' WHERE seq = 2")
        .await
        .unwrap();
    let report = verify(&app).await;
    assert_eq!(report.first_broken.unwrap().seq, 2);
}
both_backends!(a_recomputed_row_still_breaks_the_next_link);

async fn deleted_and_truncated_entries_are_caught(backend: Backend) {
    let app = app(backend).await;
    append(&app, 5).await;
    testkit::drop_audit_triggers(app.db()).await;
    app.db().execute_unprepared("DELETE FROM audit_log WHERE seq = 5").await.unwrap();
    let report = verify(&app).await;
    assert!(!report.ok, "truncation is caught by the head");
    assert_eq!(report.first_broken.as_ref().unwrap().seq, 5);

    app.db().execute_unprepared("DELETE FROM audit_log WHERE seq = 2").await.unwrap();
    let report = verify(&app).await;
    assert_eq!(report.first_broken.unwrap().seq, 2);
}
both_backends!(deleted_and_truncated_entries_are_caught);

async fn a_chain_recomputed_without_the_key_is_caught(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::builder().backend(backend).keys(keys_with_known_audit_key(dir.path())).spawn().await;
    append(&app, 5).await;
    // Relinked from entry 2 on with plain SHA-256, or with a key of one's own:
    // every link is consistent, but only the audit key makes a valid one.
    forge(app.db(), 2, plain_sha256).await;
    let report = verify(&app).await;
    assert_eq!(report.first_broken.map(|b| b.seq), Some(2), "plain SHA-256 is no longer accepted");
    forge(app.db(), 2, hmac_with([8; 32])).await;
    assert_eq!(verify(&app).await.first_broken.map(|b| b.seq), Some(2), "another key is not the audit key");
    // The same rewrite with the stolen key passes: the key is what protects
    // the chain (and a checkpoint is what exposes its holder).
    forge(app.db(), 2, hmac_with(AUDIT_KEY)).await;
    assert!(verify(&app).await.ok);
}
both_backends!(a_chain_recomputed_without_the_key_is_caught);

async fn the_database_refuses_to_change_audit_rows(backend: Backend) {
    let app = app(backend).await;
    append(&app, 3).await;
    for sql in [
        "UPDATE audit_log SET object = 'object:forged' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 3",
        "DELETE FROM audit_log",
        "UPDATE audit_head SET keyed_from = 9",
        "UPDATE audit_head SET keyed_from_mac = 'x'",
        "UPDATE audit_head SET seq = 2",
        "DELETE FROM audit_head",
    ] {
        let err = app.db().execute_unprepared(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    if backend == Backend::Postgres {
        let err = app.db().execute_unprepared("TRUNCATE audit_log").await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    let report = verify(&app).await;
    assert!(report.ok && report.entries == 3, "{report:?}");
    // Appending still advances the head.
    append(&app, 1).await;
    assert_eq!(verify(&app).await.entries, 4);
}
both_backends!(the_database_refuses_to_change_audit_rows);

/// A log written before the audit key (`n` plain entries), then upgraded;
/// returns the migrations the upgrade applied.
async fn upgraded_from_before_the_audit_key(
    backend: Backend,
    n: i64,
) -> (DatabaseConnection, tempfile::TempDir, Vec<String>) {
    let (db, dir) = testkit::empty_database(backend).await;
    platform::db::Migrator::new(vec![testkit::migrations_before_the_audit_key as platform::db::MigrationSet])
        .run(&db)
        .await
        .unwrap();
    testkit::append_plain_audit_entries(&db, n).await;
    testkit::age_migrations(&db).await;
    let applied = platform::db::Migrator::new(vec![platform::migrations::all as platform::db::MigrationSet])
        .run(&db)
        .await
        .unwrap();
    assert_eq!(applied.first().map(String::as_str), Some("m20261130_000002_audit_hardening"), "{applied:?}");
    (db, dir, applied)
}

fn unsealed_at(report: &audit::VerifyReport) -> Option<i64> {
    report.first_broken.as_ref().filter(|b| b.reason.contains("not sealed by the audit key")).map(|b| b.seq)
}

async fn a_chain_from_before_the_audit_key_keeps_verifying(backend: Backend) {
    let (db, _dir, applied) = upgraded_from_before_the_audit_key(backend, 3).await;
    let keys = Keys::ephemeral();

    // Until a process with the key seals where the keyed links begin, the
    // upgraded log looks like one a forger relinked: verify says so.
    let report = audit::verify(&db, &keys, None).await.unwrap();
    assert_eq!(unsealed_at(&report), Some(4), "{report:?}");
    assert!(report.first_broken.as_ref().unwrap().reason.contains("lionrock audit seal"));
    assert_eq!((report.entries, report.keyed_from), (3, 4), "the plain entries verified");
    assert!(audit::needs_seal(&db).await.unwrap());
    assert_eq!(audit::seal_after_upgrade(&db, &keys, &[]).await.unwrap(), None, "not this process's upgrade");
    assert_eq!(
        audit::seal_after_upgrade(&db, &keys, &applied).await.unwrap(),
        Some(audit::SealOutcome::Sealed { keyed_from: 4 })
    );
    assert!(!audit::needs_seal(&db).await.unwrap());
    assert_eq!(audit::seal(&db, &keys).await.unwrap(), audit::SealOutcome::AlreadySealed);
    let report = audit::verify(&db, &keys, None).await.unwrap();
    assert!(report.ok, "the plain chain verifies after the upgrade: {report:?}");
    assert_eq!((report.entries, report.keyed_from), (3, 4));
    // Another key's verify finds the seal wrong.
    assert_eq!(unsealed_at(&audit::verify(&db, &Keys::ephemeral(), None).await.unwrap()), Some(4));

    append_to(&db, &keys, 2).await;
    let report = audit::verify(&db, &keys, None).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!((report.entries, report.keyed_from), (5, 4));
    let (_, checkpoint) = audit::checkpoint(&db, &keys).await.unwrap();
    let checkpoint = checkpoint.unwrap();

    // The seal is written once.
    for sql in ["UPDATE audit_head SET keyed_from_mac = NULL", "UPDATE audit_head SET keyed_from_mac = 'x'"] {
        let err = db.execute_unprepared(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }

    // Only the key relinks entries after the upgrade.
    testkit::drop_audit_triggers(&db).await;
    forge(&db, 4, plain_sha256).await;
    let tampered = audit::verify(&db, &keys, None).await.unwrap();
    assert_eq!(tampered.first_broken.map(|b| b.seq), Some(4), "a keyed entry relinked with SHA-256");

    // Moving the boundary up to pass the relinked entry as plain breaks the
    // next keyed link, and the seal.
    db.execute_unprepared("UPDATE audit_head SET keyed_from = 5").await.unwrap();
    let tampered = audit::verify(&db, &keys, None).await.unwrap();
    assert_eq!(tampered.first_broken.map(|b| b.seq), Some(5));
    // Moving it down makes a plain entry fail as keyed.
    db.execute_unprepared("UPDATE audit_head SET keyed_from = 3").await.unwrap();
    let tampered = audit::verify(&db, &keys, None).await.unwrap();
    assert_eq!(tampered.first_broken.map(|b| b.seq), Some(3));

    // Relinking everything as plain with the boundary past the head: the
    // seal was for entry 4, and without the key there is no other.
    forge(&db, 1, plain_sha256).await;
    for mac in ["NULL", "'x'"] {
        db.execute_unprepared(&format!("UPDATE audit_head SET keyed_from = 6, keyed_from_mac = {mac}")).await.unwrap();
        let report = audit::verify(&db, &keys, None).await.unwrap();
        assert_eq!(unsealed_at(&report), Some(6), "{report:?}");
        assert_eq!(report.entries, 5);
        let report = audit::verify(&db, &keys, Some(&checkpoint)).await.unwrap();
        assert_eq!(report.first_broken.map(|b| b.seq), Some(4), "{checkpoint:?}");
    }
    // Nor does a keyed append seal it (only `audit seal`, the operator's word, would).
    append_to(&db, &keys, 1).await;
    assert_eq!(unsealed_at(&audit::verify(&db, &keys, None).await.unwrap()), Some(6));
}
both_backends!(a_chain_from_before_the_audit_key_keeps_verifying);

async fn an_upgraded_log_written_to_before_its_seal_verifies_once_sealed(backend: Backend) {
    // Upgraded without the key (`lionrock migrate` on another host), then
    // written to: verify fails until the operator seals it.
    let (db, _dir, _) = upgraded_from_before_the_audit_key(backend, 2).await;
    let keys = Keys::ephemeral();
    append_to(&db, &keys, 2).await;
    let report = audit::verify(&db, &keys, None).await.unwrap();
    assert_eq!((unsealed_at(&report), report.entries), (Some(3), 2), "{report:?}");
    assert!(audit::checkpoint(&db, &keys).await.unwrap().1.is_none(), "no checkpoint of an unsealed log");
    assert_eq!(audit::seal(&db, &keys).await.unwrap(), audit::SealOutcome::Sealed { keyed_from: 3 });
    let report = audit::verify(&db, &keys, None).await.unwrap();
    assert!(report.ok && report.entries == 4, "{report:?}");
}
both_backends!(an_upgraded_log_written_to_before_its_seal_verifies_once_sealed);

async fn a_broken_upgraded_log_is_not_sealed(backend: Backend) {
    let (db, _dir, _) = upgraded_from_before_the_audit_key(backend, 3).await;
    let keys = Keys::ephemeral();
    testkit::drop_audit_triggers(&db).await;
    db.execute_unprepared("UPDATE audit_log SET actor = 'account:2' WHERE seq = 2").await.unwrap();
    let Err(audit::SealError::Broken(report)) = audit::seal(&db, &keys).await else { panic!("sealed a broken log") };
    assert_eq!(report.first_broken.map(|b| b.seq), Some(2));
    assert!(audit::needs_seal(&db).await.unwrap());
}
both_backends!(a_broken_upgraded_log_is_not_sealed);

async fn a_keyed_chain_relinked_as_plain_past_the_head_is_caught(backend: Backend) {
    // The review's attack on a fresh installation: no key, but database
    // write access (triggers disabled), every entry relinked with plain
    // SHA-256 and keyed_from moved past the head, as if the log predated
    // the key. Plain verify, without any checkpoint, catches it.
    let app = app(backend).await;
    append(&app, 5).await;
    assert!(!audit::needs_seal(app.db()).await.unwrap(), "a fresh installation needs no seal");
    assert_eq!(audit::seal(app.db(), &app.state.keys).await.unwrap(), audit::SealOutcome::NotNeeded);
    forge(app.db(), 1, plain_sha256).await;
    let seal_with = |key: [u8; 32]| {
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(b"audit-keyed-from");
        mac.update(&[0]);
        mac.update(serde_json::json!([6, "0".repeat(64)]).to_string().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    for mac in ["NULL".to_owned(), format!("'{}'", seal_with([8; 32]))] {
        app.db()
            .execute_unprepared(&format!("UPDATE audit_head SET keyed_from = 6, keyed_from_mac = {mac}"))
            .await
            .unwrap();
        let report = verify(&app).await;
        assert!(!report.ok);
        assert_eq!((unsealed_at(&report), report.entries, report.keyed_from), (Some(6), 5, 6), "{report:?}");
    }
    // Appending (the app holds the key) does not seal the forger's boundary.
    app.db().execute_unprepared("UPDATE audit_head SET keyed_from_mac = NULL").await.unwrap();
    append(&app, 1).await;
    assert_eq!(unsealed_at(&verify(&app).await), Some(6));
    // Nor does an operator who follows the message: this installation had
    // the key from its start, so a seal is refused.
    assert!(matches!(audit::seal(app.db(), &app.state.keys).await, Err(audit::SealError::KeyedFromTheStart)));
    assert_eq!(unsealed_at(&verify(&app).await), Some(6));
}
both_backends!(a_keyed_chain_relinked_as_plain_past_the_head_is_caught);

async fn a_checkpoint_exposes_a_rewrite_by_the_key_holder(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::builder().backend(backend).keys(keys_with_known_audit_key(dir.path())).spawn().await;
    let keys = &app.state.keys;
    append(&app, 5).await;
    let (report, checkpoint) = audit::checkpoint(app.db(), keys).await.unwrap();
    let checkpoint = checkpoint.unwrap();
    assert!(report.ok);
    assert_eq!((checkpoint.seq, checkpoint.keyed_from), (5, 1));
    let saved = serde_json::to_string(&checkpoint).unwrap();
    let checkpoint = Checkpoint::parse(&saved, keys).unwrap();
    append(&app, 2).await;
    let report = audit::verify(app.db(), keys, Some(&checkpoint)).await.unwrap();
    assert!(report.ok, "later entries are fine: {report:?}");

    // Relinked with the key from entry 3: the chain verifies, the checkpoint does not.
    forge(app.db(), 3, hmac_with(AUDIT_KEY)).await;
    assert!(verify(&app).await.ok);
    let report = audit::verify(app.db(), keys, Some(&checkpoint)).await.unwrap();
    let broken = report.first_broken.unwrap();
    assert_eq!(broken.seq, 5);
    assert!(broken.reason.contains("checkpoint"), "{}", broken.reason);
}
both_backends!(a_checkpoint_exposes_a_rewrite_by_the_key_holder);

async fn a_checkpoint_exposes_a_cut_chain(backend: Backend) {
    let app = app(backend).await;
    let keys = &app.state.keys;
    append(&app, 5).await;
    let checkpoint = audit::checkpoint(app.db(), keys).await.unwrap().1.unwrap();
    // Cut back to entry 3, head and all.
    testkit::drop_audit_triggers(app.db()).await;
    app.db().execute_unprepared("DELETE FROM audit_log WHERE seq > 3").await.unwrap();
    let hash = audit::entries_about(app.db(), "object:2", "test.", 1).await.unwrap().remove(0).hash;
    app.db().execute_unprepared(&format!("UPDATE audit_head SET seq = 3, hash = '{hash}'")).await.unwrap();
    assert!(verify(&app).await.ok, "without the checkpoint a clean cut is invisible");
    let report = audit::verify(app.db(), keys, Some(&checkpoint)).await.unwrap();
    let broken = report.first_broken.unwrap();
    assert_eq!(broken.seq, 4);
    assert!(broken.reason.contains("cut"), "{}", broken.reason);
}
both_backends!(a_checkpoint_exposes_a_cut_chain);

async fn a_broken_chain_gets_no_checkpoint(backend: Backend) {
    let app = app(backend).await;
    append(&app, 3).await;
    testkit::drop_audit_triggers(app.db()).await;
    app.db().execute_unprepared("UPDATE audit_log SET actor = 'account:2' WHERE seq = 2").await.unwrap();
    let (report, checkpoint) = audit::checkpoint(app.db(), &app.state.keys).await.unwrap();
    assert!(!report.ok);
    assert!(checkpoint.is_none());
}
both_backends!(a_broken_chain_gets_no_checkpoint);

#[tokio::test]
async fn checkpoints_are_checked_against_the_key() {
    let app = TestApp::spawn().await;
    let keys = &app.state.keys;
    append(&app, 2).await;
    let checkpoint = audit::checkpoint(app.db(), keys).await.unwrap().1.unwrap();
    let mut json = serde_json::to_value(&checkpoint).unwrap();
    assert_eq!(
        json.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["at", "hash", "keyed_from", "mac", "seq"],
        "{json}"
    );
    assert!(Checkpoint::parse(&json.to_string(), keys).is_ok());
    assert!(matches!(Checkpoint::parse(&json.to_string(), &Keys::ephemeral()), Err(CheckpointError::Forged)));
    json["seq"] = 9.into();
    assert!(matches!(Checkpoint::parse(&json.to_string(), keys), Err(CheckpointError::Forged)));
    for garbage in ["", "audit checkpoint: entry 2", "{\"seq\": 2}"] {
        assert!(matches!(Checkpoint::parse(garbage, keys), Err(CheckpointError::Malformed(_))), "{garbage}");
    }
}

async fn verify_sees_one_snapshot_while_entries_are_appended(backend: Backend) {
    let app = app(backend).await;
    // A long chain read one entry per query: the walk takes long enough for
    // appends (each a durable commit) to land in it.
    append(&app, 200).await;
    let appended = Arc::new(AtomicU64::new(200));
    let stop = Arc::new(AtomicBool::new(false));
    let appender = {
        let (db, keys, appended, stop) = (app.db().clone(), app.state.keys.clone(), appended.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                audit::record_now(&db, &keys, AuditEntry::new("account:9", "test.during", "object:9")).await.unwrap();
                appended.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let mut overlapped = 0;
    // Until a few walks overlapped appends (the machine may be slow to schedule the appender).
    for _ in 0..40 {
        if overlapped >= 3 {
            break;
        }
        let before = appended.load(Ordering::SeqCst);
        let report = audit::verify_in_pages(app.db(), &app.state.keys, None, 1).await.unwrap();
        let after = appended.load(Ordering::SeqCst);
        assert!(report.ok, "appends during verification are not a break: {report:?}");
        // The counter moves just after each commit: allow one in flight.
        assert!((before..=after + 1).contains(&report.entries), "{before} <= {} <= {after} + 1", report.entries);
        if after > before + 1 {
            overlapped += 1;
        }
    }
    stop.store(true, Ordering::SeqCst);
    appender.await.unwrap();
    assert!(overlapped > 0, "entries were appended while verify ran");
    let report = verify(&app).await;
    assert!(report.ok);
    assert_eq!(report.entries, appended.load(Ordering::SeqCst));
}
both_backends!(verify_sees_one_snapshot_while_entries_are_appended);

async fn concurrent_appends_keep_one_chain(backend: Backend) {
    let app = app(backend).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (db, keys) = (app.db().clone(), app.state.keys.clone());
        tasks.push(tokio::spawn(async move {
            audit::record_now(&db, &keys, AuditEntry::new(format!("account:{i}"), "test.parallel", "object:1")).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let report = verify(&app).await;
    assert!(report.ok, "{report:?}");
    assert_eq!(report.entries, 24);
}
both_backends!(concurrent_appends_keep_one_chain);

async fn entries_roll_back_with_their_transaction(backend: Backend) {
    let app = app(backend).await;
    let txn = platform::db::begin_write(app.db()).await.unwrap();
    audit::record(&txn, &app.state.keys, AuditEntry::new("account:1", "test.rollback", "object:1")).await.unwrap();
    txn.rollback().await.unwrap();
    append(&app, 1).await;
    let report = verify(&app).await;
    assert!(report.ok);
    assert_eq!(report.entries, 1);
}
both_backends!(entries_roll_back_with_their_transaction);

#[tokio::test]
async fn entries_reject_empty_or_oversized_fields() {
    let app = TestApp::spawn().await;
    let keys = &app.state.keys;
    let err = audit::record_now(app.db(), keys, AuditEntry::new("", "a", "b")).await.unwrap_err();
    assert!(err.to_string().contains("actor"));
    let err = audit::record_now(app.db(), keys, AuditEntry::new("a", "b", "x".repeat(201))).await.unwrap_err();
    assert!(err.to_string().contains("object"));
}
