//! The signing-key service: created on first use, rotated with the old key
//! still published, purged when no longer needed, sealed with the data key.

use platform::both_backends;
use platform::keys::{self, Purpose};
use platform::testkit::{Backend, TestApp};
use sea_orm::ConnectionTrait;

async fn keys_rotate_and_retire(backend: Backend) {
    let app = TestApp::builder().backend(backend).spawn().await;
    let (db, k) = (app.db(), &app.state.keys);
    assert!(keys::published(db, Purpose::Oidc).await.unwrap().is_empty());
    let first = keys::active(db, k, Purpose::Oidc).await.unwrap();
    assert_eq!(keys::active(db, k, Purpose::Oidc).await.unwrap().kid, first.kid, "stable until rotated");
    let jwks = keys::published(db, Purpose::Oidc).await.unwrap();
    assert_eq!(jwks.len(), 1);
    assert_eq!((jwks[0].kty, jwks[0].crv, jwks[0].alg.as_str()), ("EC", Some("P-256"), "ES256"));
    assert_eq!(jwks[0].x.as_ref().unwrap().len(), 43, "32 bytes, base64url");

    let second = keys::rotate(db, k, Purpose::Oidc, time::Duration::hours(1)).await.unwrap();
    assert_ne!(second, first.kid);
    assert_eq!(keys::active(db, k, Purpose::Oidc).await.unwrap().kid, second);
    let kids: Vec<String> = keys::published(db, Purpose::Oidc).await.unwrap().into_iter().map(|j| j.kid).collect();
    assert_eq!(kids, vec![second.clone(), first.kid.clone()], "the old key stays published");

    db.execute_unprepared(
        "UPDATE signing_key SET publish_until = '2000-01-01 00:00:00+00:00' WHERE status = 'retired'",
    )
    .await
    .unwrap();
    assert_eq!(keys::published(db, Purpose::Oidc).await.unwrap().len(), 1);
    assert_eq!(keys::purge(db).await.unwrap(), 1);

    // Sealed with the data key: another key cannot open it.
    let err = keys::active(db, &platform::crypto::Keys::ephemeral(), Purpose::Oidc).await.unwrap_err();
    assert!(err.to_string().contains("crypto.data_key_file"), "{err}");
}
both_backends!(keys_rotate_and_retire);
