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

/// The DCC root and document signer: made together on first use, the
/// signer's certificate issued by the root and named by the DCC `kid`;
/// rotating either keeps the retired certificates in the published list.
async fn dcc_keys_chain_to_the_root_and_rotate(backend: Backend) {
    use p256::ecdsa::signature::Verifier as _;
    use p256::pkcs8::DecodePublicKey as _;
    use x509_cert::der::{Decode as _, Encode as _};

    /// Whether `cert`'s signature checks with the key of `issuer`.
    fn issued_by(cert: &[u8], issuer: &[u8]) -> bool {
        let cert = x509_cert::Certificate::from_der(cert).unwrap();
        let issuer = x509_cert::Certificate::from_der(issuer).unwrap();
        let spki = issuer.tbs_certificate().subject_public_key_info().to_der().unwrap();
        let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).unwrap();
        let sig = p256::ecdsa::Signature::from_der(cert.signature().raw_bytes()).unwrap();
        key.verify(&cert.tbs_certificate().to_der().unwrap(), &sig).is_ok()
    }

    let app = TestApp::builder().backend(backend).spawn().await;
    let (db, k) = (app.db(), &app.state.keys);
    let names = keys::CertificateNames { country: "HK".to_owned(), organisation: "lionrock.test".to_owned() };
    assert!(keys::certificates(db, Purpose::DccDsc).await.unwrap().is_empty());

    let signer = keys::dcc_signer(db, k, &names).await.unwrap();
    assert_eq!(keys::dcc_signer(db, k, &names).await.unwrap().kid, signer.kid, "stable until rotated");
    assert_eq!(signer.kid, keys::dcc_kid(&signer.certificate));
    let (_, root) = keys::dcc_root(db, k, &names).await.unwrap();
    assert!(issued_by(&signer.certificate, &root));
    assert!(issued_by(&root, &root));
    let subject =
        x509_cert::Certificate::from_der(&signer.certificate).unwrap().tbs_certificate().subject().to_string();
    assert!(subject.ends_with("O=lionrock.test,C=HK"), "{subject}");
    assert!(keys::active(db, k, Purpose::DccDsc).await.is_err(), "no certificate-less DCC keys");

    let second = keys::rotate_dcc(db, k, Purpose::DccDsc, &names, "cli").await.unwrap();
    let signers = keys::certificates(db, Purpose::DccDsc).await.unwrap();
    assert_eq!(signers.len(), 2, "the retired signer stays published");
    assert_eq!((signers[0].kid.as_str(), signers[0].active, signers[1].active), (second.as_str(), true, false));
    assert!(issued_by(&signers[0].der, &root), "a new signer under the same root");

    let new_root = keys::rotate_dcc(db, k, Purpose::DccCsca, &names, "cli").await.unwrap();
    let roots = keys::certificates(db, Purpose::DccCsca).await.unwrap();
    assert_eq!(
        roots.iter().map(|r| (r.kid.as_str(), r.active)).collect::<Vec<_>>(),
        [(new_root.as_str(), true), (roots[1].kid.as_str(), false)]
    );
    let latest = keys::dcc_signer(db, k, &names).await.unwrap();
    assert!(issued_by(&latest.certificate, &roots[0].der), "a new root comes with a signer under it");
    assert!(!issued_by(&latest.certificate, &root));
    assert_eq!(keys::certificates(db, Purpose::DccDsc).await.unwrap().len(), 3);

    // Both published roots with their keys, the active one first: each key
    // matches its certificate (it signs what the certificate verifies).
    let with_keys = keys::dcc_roots(db, k, &names).await.unwrap();
    assert_eq!(
        with_keys.iter().map(|r| (r.certificate.clone(), r.active)).collect::<Vec<_>>(),
        [(roots[0].der.clone(), true), (root.clone(), false)]
    );
    for r in &with_keys {
        use p256::ecdsa::signature::Signer as _;
        use p256::pkcs8::DecodePrivateKey as _;
        let signature: p256::ecdsa::Signature =
            p256::ecdsa::SigningKey::from_pkcs8_der(&r.key.der).unwrap().sign(b"message");
        let spki = x509_cert::Certificate::from_der(&r.certificate)
            .unwrap()
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .unwrap();
        let public = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).unwrap();
        assert!(public.verify(b"message", &signature).is_ok(), "the key of its own certificate");
    }
}
both_backends!(dcc_keys_chain_to_the_root_and_rotate);

/// Servers making keys on first use at the same moment end with one active
/// key per purpose (the database keeps it so), and all use the same one.
async fn parallel_first_use_makes_one_key(backend: Backend) {
    let app = TestApp::builder().backend(backend).spawn().await;
    let names = keys::CertificateNames { country: "HK".to_owned(), organisation: "lionrock.test".to_owned() };
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let state = app.state.clone();
        let names = names.clone();
        tasks.spawn(async move {
            let dcc = keys::dcc_signer(&state.db, &state.keys, &names).await.unwrap().kid;
            let oidc = keys::active(&state.db, &state.keys, Purpose::Oidc).await.unwrap().kid;
            (dcc, oidc)
        });
    }
    let kids: std::collections::BTreeSet<_> = tasks.join_all().await.into_iter().collect();
    assert_eq!(kids.len(), 1, "every caller got the same keys: {kids:?}");
    let db = app.db();
    assert_eq!(keys::certificates(db, Purpose::DccDsc).await.unwrap().len(), 1);
    assert_eq!(keys::certificates(db, Purpose::DccCsca).await.unwrap().len(), 1);
    assert_eq!(keys::published(db, Purpose::Oidc).await.unwrap().len(), 1);
}
both_backends!(parallel_first_use_makes_one_key);

/// A document signer whose certificate would expire before what it signs
/// (up to a year) is replaced on the next signature, under the same root,
/// and the rotation is audited.
async fn an_ageing_document_signer_is_replaced(backend: Backend) {
    use base64::Engine;
    let app = TestApp::builder().backend(backend).spawn().await;
    let (db, k) = (app.db(), &app.state.keys);
    let names = keys::CertificateNames { country: "HK".to_owned(), organisation: "lionrock.test".to_owned() };
    let signer = keys::dcc_signer(db, k, &names).await.unwrap();
    let (root_key, root) = keys::dcc_root(db, k, &names).await.unwrap();
    let now = std::time::SystemTime::now();
    let request = platform::certificate::Request {
        country: "HK",
        organisation: "lionrock.test",
        common_name: "short-lived",
        root: false,
        not_before: now,
        not_after: now + std::time::Duration::from_secs(30 * 86_400),
    };
    let spki = platform::certificate::public_key_info(&signer.key.der).unwrap();
    let issuer = platform::certificate::Issuer::Root { certificate: &root, key_pkcs8: &root_key.der };
    let short = platform::certificate::issue(&request, &spki, &signer.key.der, issuer).unwrap();
    let sql = format!(
        "UPDATE signing_key SET certificate = '{}' WHERE kid = '{}'",
        base64::engine::general_purpose::STANDARD.encode(&short),
        signer.key.kid
    );
    db.execute_unprepared(&sql).await.unwrap();

    // Servers signing at the same moment: one replaces it, all use the replacement.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (state, names) = (app.state.clone(), names.clone());
        tasks.spawn(async move { keys::dcc_signer(&state.db, &state.keys, &names).await.unwrap().key.kid });
    }
    let kids: std::collections::BTreeSet<String> = tasks.join_all().await.into_iter().collect();
    assert_eq!(kids.len(), 1, "{kids:?}");
    let next = keys::dcc_signer(db, k, &names).await.unwrap();
    assert_ne!(next.key.kid, signer.key.kid, "a new signer");
    assert!(kids.contains(&next.key.kid));
    assert_eq!(keys::certificates(db, Purpose::DccDsc).await.unwrap().len(), 2, "the old one is kept published");
    assert_eq!(keys::dcc_root(db, k, &names).await.unwrap().1, root, "under the same root");
    let audited = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'keys.rotate'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(audited, 1);
}
both_backends!(an_ageing_document_signer_is_replaced);
