//! Real-name verification by an officer: HKID check digits, one identity
//! per document, encryption at rest, and the level applied at once.

use platform::principal::{AccountId, Role};
use platform::testkit::{Backend, TestApp};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::*;
use platform::both_backends;

/// A signed-in officer who may verify identities (role and scope).
async fn officer(app: &TestApp) -> platform::testkit::TestClient {
    let mut p = platform::testkit::resident_signed_in_now(AccountId::new());
    p.roles.push(Role::Officer);
    p.scopes.push(identity::real_name::VERIFIER_SCOPE.to_owned());
    app.sign_in_as(&p).await
}

/// The name and birth date an officer reads from the document.
const READ: [(&str, &str); 2] = [("name", "CHAN Tai Man"), ("birthdate", "1980-01-02")];

/// An officer's form: `fields` and what the officer read from the document.
fn with_read<'a>(fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().copied().chain(READ).collect()
}

async fn an_officer_verifies_an_hkid_and_the_level_applies_at_once(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let resident = registered(&app, "chan.tai.man@example.org").await;
    let officer = officer(&app).await;

    let page = officer.get("/zh-hk/officer/real-name").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("核實實名身分"));

    let r = officer
        .post_form(
            "/en/officer/real-name",
            &with_read(&[("email", "chan.tai.man@example.org"), ("kind", "hkid"), ("number", "A123456(3)")]),
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("is now verified as a real-name identity with A123***(3)"), "masked in the confirmation");

    // The resident's current session sees the new level without signing in again.
    let account = resident.get("/en/account").await.text().await.unwrap();
    assert!(account.contains("Real name (identity document verified)"));
    let rows = app
        .db()
        .query_all_raw(Statement::from_string(app.db().get_database_backend(), "SELECT principal FROM session"))
        .await
        .unwrap();
    let levels: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "principal").unwrap()).collect();
    assert!(levels.iter().any(|p| p.contains("\"level\":\"real_name\"")), "{levels:?}");
    assert!(
        mail_to(&app, "chan.tai.man@example.org")
            .await
            .last()
            .unwrap()
            .body
            .contains("verified your identity document")
    );

    // Stored sealed: the number is nowhere in clear.
    let rows = app
        .db()
        .query_all_raw(Statement::from_string(
            app.db().get_database_backend(),
            "SELECT number_sealed, blind_index FROM identity_document",
        ))
        .await
        .unwrap();
    let sealed: String = rows[0].try_get("", "number_sealed").unwrap();
    assert!(!sealed.contains("A1234563") && !sealed.contains("123456"));
    let report = platform::audit::verify(app.db(), &app.state.keys, None).await.unwrap();
    assert!(report.ok);
}
both_backends!(an_officer_verifies_an_hkid_and_the_level_applies_at_once);

async fn one_document_backs_one_person(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let _ = registered(&app, "first@example.org").await;
    let _ = registered(&app, "second@example.org").await;
    let officer = officer(&app).await;
    let ok = officer
        .post_form(
            "/en/officer/real-name",
            &with_read(&[("email", "first@example.org"), ("kind", "hkid"), ("number", "G123456(A)")]),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let r = officer
        .post_form(
            "/en/officer/real-name",
            &with_read(&[("email", "second@example.org"), ("kind", "hkid"), ("number", "g 123456 a")]),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("already backs another person"), "same card, other spelling");
    let r = officer
        .post_form(
            "/en/officer/real-name",
            &with_read(&[
                ("email", "first@example.org"),
                ("kind", "passport"),
                ("country", "GBR"),
                ("number", "123456789"),
            ]),
        )
        .await;
    assert!(r.text().await.unwrap().contains("already verified"));
}
both_backends!(one_document_backs_one_person);

async fn bad_documents_and_unknown_accounts_are_explained(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let _ = registered(&app, "check@example.org").await;
    let officer = officer(&app).await;
    for (fields, message) in [
        (
            vec![("email", "check@example.org"), ("kind", "hkid"), ("number", "A123456(4)")],
            "The check digit does not match",
        ),
        (
            vec![("email", "check@example.org"), ("kind", "hkid"), ("number", "A12345")],
            "one or two letters, six digits",
        ),
        (
            vec![("email", "check@example.org"), ("kind", "passport"), ("country", "XX"), ("number", "E1234")],
            "three-letter issuing country",
        ),
        (
            vec![("email", "nobody@example.org"), ("kind", "hkid"), ("number", "A123456(3)")],
            "No account has this e-mail address, mobile number or subject.",
        ),
        (vec![("email", "check@example.org")], "Choose the kind of document."),
    ] {
        let r = officer.post_form("/en/officer/real-name", &with_read(&fields)).await;
        assert_eq!(r.status(), 422, "{message}");
        assert!(r.text().await.unwrap().contains(message), "{message}");
    }
}
both_backends!(bad_documents_and_unknown_accounts_are_explained);

async fn only_officers_verify(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let resident = registered(&app, "self@example.org").await;
    assert_eq!(resident.get("/en/officer/real-name").await.status(), 403);
    let r = resident
        .post_form(
            "/en/officer/real-name",
            &with_read(&[("email", "self@example.org"), ("kind", "hkid"), ("number", "A123456(3)")]),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.client().get("/en/officer/real-name").await.status(), 401);
}
both_backends!(only_officers_verify);

/// A trusted source's assertion that it checked `document` for `email`.
fn source_assertion(
    key: &jsonwebtoken::EncodingKey,
    client_id: &str,
    aud: impl Into<serde_json::Value>,
    email: &str,
    document: serde_json::Value,
) -> serde_json::Value {
    let aud: serde_json::Value = aud.into();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("source-1".to_owned());
    let claims = serde_json::json!({
        "iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + 120,
        "jti": uuid::Uuid::new_v4().to_string(), "email": email, "document": document,
        "name": "CHAN Tai Man", "birthdate": "1980-01-02",
    });
    serde_json::json!({ "assertion": jsonwebtoken::encode(&header, &claims, key).unwrap() })
}

async fn source_client(app: &TestApp, jwks: &str, scopes: &[&str]) -> String {
    identity::oidc::create_client(
        &app.state,
        identity::oidc::NewClient {
            name: "Registration of Persons Office".to_owned(),
            redirect_uris: vec!["https://rop.example.org/cb".to_owned()],
            post_logout_redirect_uris: vec![],
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            public: false,
            jwks: Some(jwks.to_owned()),
            rs256: false,
            pairwise: false,
        },
    )
    .await
    .unwrap()
    .client_id
}

async fn a_trusted_source_asserts_a_real_name_identity(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let (key, jwks) = crate::oidc::client_key("source-1");
    let source = source_client(&app, &jwks, &[identity::oidc::SOURCE_SCOPE]).await;
    let stranger = source_client(&app, &jwks, &["email"]).await;
    let resident = registered(&app, "asserted@example.org").await;
    registered(&app, "other@example.org").await;
    let aud = app.url("");
    let path = identity::real_name::ASSERTION_PATH;
    let hkid = serde_json::json!({ "kind": "hkid", "number": "A123456(3)" });
    let api = app.client();

    // Field errors point into the claims.
    let bad = source_assertion(
        &key,
        &source,
        aud.as_str(),
        "not-an-address",
        serde_json::json!({ "kind": "hkid", "number": "A123456(4)" }),
    );
    let r = api.post_json(path, &bad).await;
    assert_eq!(r.status(), 422);
    let problem: serde_json::Value = r.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["/email", "/document/number"], "{problem}");

    // Only a client with the permission may assert.
    let r = api
        .post_json(path, &source_assertion(&key, &stranger, aud.as_str(), "asserted@example.org", hkid.clone()))
        .await;
    assert_eq!(r.status(), 403);
    // The audience must be the issuer, as one string: not an endpoint's URL, not an array.
    for wrong in [
        serde_json::json!(app.url("/oauth/token")),
        serde_json::json!(app.url(path)),
        serde_json::json!([aud]),
        serde_json::json!([aud, app.url(path)]),
    ] {
        let wrong_aud = source_assertion(&key, &source, wrong.clone(), "asserted@example.org", hkid.clone());
        let r = api.post_json(path, &wrong_aud).await;
        assert_eq!(r.status(), 401, "{wrong}");
        assert!(r.text().await.unwrap().contains("aud must be the issuer"), "{wrong}");
    }
    let unknown = source_assertion(&key, &source, aud.as_str(), "nobody@example.org", hkid.clone());
    assert_eq!(api.post_json(path, &unknown).await.status(), 404);
    assert!(!resident.get("/en/account").await.text().await.unwrap().contains("Real name"), "nothing changed yet");

    let good = source_assertion(&key, &source, aud.as_str(), "asserted@example.org", hkid.clone());
    let r = api.post_json(path, &good).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["level"], "real_name");
    assert_eq!(body["document"], "A123***(3)");
    assert!(resident.get("/en/account").await.text().await.unwrap().contains("Real name (identity document verified)"));

    // Checked before checks recorded the particulars: what the person typed
    // is theirs to edit, and is not shown as read from a document.
    app.db().execute_unprepared("UPDATE profile_field SET document_id = NULL, source = 'self'").await.unwrap();
    let html = resident.get("/en/account/profile").await.text().await.unwrap();
    assert!(!html.contains("readonly") && !html.contains("From your checked identity document"), "{html}");
    let r = resident.post_form("/en/account/profile", &[("name", "Chan Tai-man"), ("birthdate", "1980-01-02")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM profile_field WHERE value = 'Chan Tai-man'").await, 1);

    // An assertion works once; a document backs one person.
    let replay = api.post_json(path, &good).await;
    assert_eq!(replay.status(), 401);
    assert!(replay.text().await.unwrap().contains("already used"));
    let taken = source_assertion(&key, &source, aud.as_str(), "other@example.org", hkid);
    assert_eq!(api.post_json(path, &taken).await.status(), 409);

    let rows = app
        .db()
        .query_all_raw(Statement::from_string(
            app.db().get_database_backend(),
            "SELECT source, verified_by FROM identity_document".to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].try_get::<String>("", "source").unwrap(), "assertion");
    assert_eq!(rows[0].try_get::<String>("", "verified_by").unwrap(), format!("client:{source}"));
}
both_backends!(a_trusted_source_asserts_a_real_name_identity);

/// Posts a trusted source's assertion with an `Idempotency-Key`.
async fn assert_with_key(
    api: &platform::testkit::TestClient,
    key: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    api.http
        .post(api.url(identity::real_name::ASSERTION_PATH))
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db()
        .query_one_raw(Statement::from_string(app.db().get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

/// A source that lost the answer retries with the same key and body: it gets
/// the answer again, and the assertion (single-use) is not applied twice.
async fn a_retried_assertion_is_answered_again_not_applied_twice(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let (key, jwks) = crate::oidc::client_key("source-1");
    let source = source_client(&app, &jwks, &[identity::oidc::SOURCE_SCOPE]).await;
    registered(&app, "retried@example.org").await;
    registered(&app, "parallel@example.org").await;
    let aud = app.url("");
    let api = app.client();
    let idem = uuid::Uuid::new_v4().to_string();
    let hkid = serde_json::json!({ "kind": "hkid", "number": "A123456(3)" });
    let good = source_assertion(&key, &source, aud.as_str(), "retried@example.org", hkid);

    let first = assert_with_key(&api, &idem, &good).await;
    assert_eq!(first.status(), 200);
    let first_body: serde_json::Value = first.json().await.unwrap();
    let retry = assert_with_key(&api, &idem, &good).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.json::<serde_json::Value>().await.unwrap(), first_body);
    // Without the key the same assertion reaches the handler, which refuses it.
    let no_key = api.post_json(identity::real_name::ASSERTION_PATH, &good).await;
    assert_eq!(no_key.status(), 401);
    assert!(no_key.text().await.unwrap().contains("already used"));

    // Two copies of one request at once: one runs, the other waits its turn or gets the answer.
    let idem = uuid::Uuid::new_v4().to_string();
    let passport = serde_json::json!({ "kind": "passport", "country": "GBR", "number": "123456789" });
    let both = source_assertion(&key, &source, aud.as_str(), "parallel@example.org", passport);
    let (a, b) = tokio::join!(assert_with_key(&api, &idem, &both), assert_with_key(&api, &idem, &both));
    let replayed = |r: &reqwest::Response| r.headers().get("idempotent-replayed").is_some();
    let mut outcomes = [(a.status().as_u16(), replayed(&a)), (b.status().as_u16(), replayed(&b))];
    outcomes.sort_unstable();
    assert!(matches!(outcomes, [(200, false), (200, true)] | [(200, false), (409, false)]), "{outcomes:?}");

    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM identity_document").await, 2);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'identity.verify_document'").await, 2);
    for to in ["retried@example.org", "parallel@example.org"] {
        let notices =
            mail_to(&app, to).await.iter().filter(|m| m.body.contains("verified your identity document")).count();
        assert_eq!(notices, 1, "{to} is told once");
    }
}
platform::both_backends!(a_retried_assertion_is_answered_again_not_applied_twice);

/// The assertion endpoint is open to anyone (no cookie, no CSRF): requests
/// it rejects, each with a fresh `Idempotency-Key`, leave no row behind.
async fn rejected_requests_with_keys_leave_no_idempotency_rows(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let api = app.client();
    for _ in 0..10 {
        let malformed = api
            .http
            .post(api.url(identity::real_name::ASSERTION_PATH))
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .header("content-type", "application/json")
            .body("{ \"assertion\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), 400);
        // A made-up bearer token proves nothing: refused before anything runs.
        let junk = api
            .http
            .post(api.url(identity::real_name::ASSERTION_PATH))
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .header("authorization", format!("Bearer {}", uuid::Uuid::new_v4()))
            .header("content-type", "application/json")
            .body("{ \"assertion\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(junk.status(), 401);
        let forged =
            assert_with_key(&api, &uuid::Uuid::new_v4().to_string(), &serde_json::json!({ "assertion": "not.a.jwt" }))
                .await;
        assert!(forged.status().is_client_error(), "{}", forged.status());
    }
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM idempotency").await, 0);
}
platform::both_backends!(rejected_requests_with_keys_leave_no_idempotency_rows);

/// An officer account (the role, and `scopes`) signed in with its password.
async fn officer_account(app: &TestApp, email: &str, scopes: &[&str]) -> platform::testkit::TestClient {
    identity::accounts::store::create_user_named(
        &app.state,
        identity::accounts::NewUser::Email(email),
        PASSWORD,
        false,
        vec!["officer".to_owned()],
        scopes.iter().map(|s| (*s).to_owned()).collect(),
    )
    .await
    .unwrap();
    let client = app.client();
    assert_eq!(location(&sign_in(&client, email, PASSWORD).await), "/en/account");
    client
}

/// The officer role alone does not let anyone record documents: the
/// verifier scope does, and it comes with the account at sign-in.
async fn verifying_needs_the_verifier_scope_not_just_the_role(backend: Backend) {
    let app = spawn(backend).await;
    registered(&app, "scoped@example.org").await;
    let form = with_read(&[("email", "scoped@example.org"), ("kind", "hkid"), ("number", "A123456(3)")]);
    let role_only = officer_account(&app, "role.only@example.org", &[]).await;
    assert_eq!(role_only.get("/en/officer/real-name").await.status(), 403);
    assert_eq!(role_only.post_form("/en/officer/real-name", &form).await.status(), 403);
    assert!(!role_only.get("/en/account").await.text().await.unwrap().contains("/officer/real-name"));
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM identity_document").await, 0);

    let verifier = officer_account(&app, "verifier@example.org", &[identity::real_name::VERIFIER_SCOPE]).await;
    assert!(verifier.get("/en/account").await.text().await.unwrap().contains("/en/officer/real-name"));
    assert_eq!(verifier.get("/en/officer/real-name").await.status(), 200);
    assert_eq!(verifier.post_form("/en/officer/real-name", &form).await.status(), 200);
    // A scope without the role grants nothing.
    let mut p = platform::testkit::resident_signed_in_now(AccountId::new());
    p.scopes.push(identity::real_name::VERIFIER_SCOPE.to_owned());
    assert_eq!(app.sign_in_as(&p).await.get("/en/officer/real-name").await.status(), 403);
}
platform::both_backends!(verifying_needs_the_verifier_scope_not_just_the_role);

async fn an_officer_cannot_verify_themselves(backend: Backend) {
    let app = spawn(backend).await;
    let me = officer_account(&app, "self.check@example.org", &[identity::real_name::VERIFIER_SCOPE]).await;
    let form = with_read(&[("email", "self.check@example.org"), ("kind", "hkid"), ("number", "A123456(3)")]);
    let r = me.post_form("/en/officer/real-name", &form).await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap();
    assert!(html.contains("You cannot verify your own identity. Another officer must check your document."), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "the field is marked");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM identity_document").await, 0);
    assert!(me.get("/en/account").await.text().await.unwrap().contains("Basic"), "level unchanged");
    // Another officer may.
    let colleague = officer(&app).await;
    assert_eq!(colleague.post_form("/en/officer/real-name", &form).await.status(), 200);
}
platform::both_backends!(an_officer_cannot_verify_themselves);

/// A signed real-name assertion with `claims` (the account, the particulars) added.
fn signed_assertion(
    key: &jsonwebtoken::EncodingKey,
    client_id: &str,
    aud: &str,
    claims: serde_json::Value,
) -> serde_json::Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("source-1".to_owned());
    let mut all = serde_json::json!({
        "iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + 120,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    all.as_object_mut().unwrap().extend(claims.as_object().unwrap().clone());
    serde_json::json!({ "assertion": jsonwebtoken::encode(&header, &all, key).unwrap() })
}

/// Accounts registered with a mobile number alone are verified too: the
/// officer types the number, a source names it as `phone_number`.
async fn number_only_accounts_can_be_verified(backend: Backend) {
    let app = spawn(backend).await;
    let by_officer = crate::phone::registered_number(&app, "9123 4567").await;
    crate::phone::registered_number(&app, "6123 4567").await;
    let officer = officer(&app).await;
    let r = officer
        .post_form(
            "/en/officer/real-name",
            &with_read(&[("email", "9123 4567"), ("kind", "hkid"), ("number", "A123456(3)")]),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("+85291234567 is now verified"));
    assert!(
        by_officer.get("/en/account").await.text().await.unwrap().contains("Real name (identity document verified)")
    );

    let (key, jwks) = crate::oidc::client_key("source-1");
    let source = source_client(&app, &jwks, &[identity::oidc::SOURCE_SCOPE]).await;
    let aud = app.url("");
    let path = identity::real_name::ASSERTION_PATH;
    let passport = serde_json::json!({ "kind": "passport", "country": "GBR", "number": "123456789" });
    let api = app.client();
    // Exactly one way to name the account.
    let both = serde_json::json!({ "email": "x@example.org", "phone_number": "+85261234567", "document": passport,
        "name": "LEE Ka Yan", "birthdate": "1990-12-31" });
    let r = api.post_json(path, &signed_assertion(&key, &source, &aud, both)).await;
    assert_eq!(r.status(), 422);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "/email", "{problem}");
    let good = serde_json::json!({ "phone_number": "+85261234567", "document": passport,
        "name": "LEE Ka Yan", "birthdate": "1990-12-31" });
    let r = api.post_json(path, &signed_assertion(&key, &source, &aud, good)).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["phone_number"], "+85261234567");
    assert!(body.get("email").is_none(), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM account WHERE level = 'real_name'").await, 2);
}
platform::both_backends!(number_only_accounts_can_be_verified);

/// A source that signed the resident in names them by the `sub` it got
/// (pairwise here); a subject it never received names nobody.
async fn an_assertion_may_name_the_account_by_its_subject(backend: Backend) {
    let app = spawn(backend).await;
    let (key, jwks) = crate::oidc::client_key("source-1");
    let source = identity::oidc::create_client(
        &app.state,
        identity::oidc::NewClient {
            name: "Registration of Persons Office".to_owned(),
            redirect_uris: vec!["https://rop.example.org/cb".to_owned()],
            post_logout_redirect_uris: vec![],
            scopes: vec![identity::oidc::SOURCE_SCOPE.to_owned()],
            public: false,
            jwks: Some(jwks),
            rs256: false,
            pairwise: true,
        },
    )
    .await
    .unwrap()
    .client_id;
    let resident = registered(&app, "by.subject@example.org").await;
    registered(&app, "never.there@example.org").await;
    // The resident signs in to the source (consent), so it knows their subject.
    let authorize = format!(
        "/oauth/authorize?response_type=code&client_id={source}&redirect_uri=https%3A%2F%2Frop.example.org%2Fcb&scope=openid&state=s&nonce=n&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    let page = resident.get(&authorize).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let hidden: Vec<(String, String)> = html
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|s| {
            let (name, rest) = s.split_once('"')?;
            let value = rest.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), value.replace("&amp;", "&")))
        })
        .filter(|(n, _)| n != "_csrf")
        .collect();
    let mut fields: Vec<(&str, &str)> = hidden.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    fields.push(("decision", "allow"));
    assert_eq!(resident.post_form("/oauth/authorize/consent", &fields).await.status(), 303);

    let client = identity::oidc::store::client(app.db(), &source).await.unwrap().unwrap();
    let db = app.db().clone();
    let id_of = |email: &'static str| {
        let db = db.clone();
        async move {
            identity::store::account_by_email(&db, &identity::model::Email::parse(email).unwrap())
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let sub = identity::oidc::subject(&app.state, &client, &id_of("by.subject@example.org").await);
    let stranger_sub = identity::oidc::subject(&app.state, &client, &id_of("never.there@example.org").await);
    let aud = app.url("");
    let path = identity::real_name::ASSERTION_PATH;
    let claims = |sub: &str, number: &str| {
        serde_json::json!({ "resident_sub": sub, "document": { "kind": "hkid", "number": number },
            "name": "WONG Siu Ming", "birthdate": "1975-06-30" })
    };
    let api = app.client();
    let r = api.post_json(path, &signed_assertion(&key, &source, &aud, claims(&stranger_sub, "G123456(A)"))).await;
    assert_eq!(r.status(), 404, "no consent: the source cannot know this subject");
    let r = api.post_json(path, &signed_assertion(&key, &source, &aud, claims(&sub, "A123456(3)"))).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["resident_sub"], sub.as_str());
    assert!(resident.get("/en/account").await.text().await.unwrap().contains("Real name (identity document verified)"));
}
platform::both_backends!(an_assertion_may_name_the_account_by_its_subject);

/// A verification records the name and birth date with what vouches for
/// them; the resident can no longer change them on the profile page.
async fn verified_particulars_are_recorded_and_kept(backend: Backend) {
    let app = spawn(backend).await;
    let resident = registered(&app, "particulars@example.org").await;
    let r = resident
        .post_form("/en/account/profile", &[("name", "Typed Name"), ("birthdate", "1999-09-09"), ("address", "")])
        .await;
    assert_eq!(r.status(), 200);
    // Before verification, the page offers both fields for editing.
    assert!(!resident.get("/en/account/profile").await.text().await.unwrap().contains("readonly"));
    let officer = officer(&app).await;
    let r = officer
        .post_form(
            "/en/officer/real-name",
            &with_read(&[("email", "particulars@example.org"), ("kind", "hkid"), ("number", "A123456(3)")]),
        )
        .await;
    assert_eq!(r.status(), 200);

    let rows = app
        .db()
        .query_all_raw(Statement::from_string(
            app.db().get_database_backend(),
            "SELECT p.field, p.value, p.source, d.verified_by, d.source AS how FROM profile_field p \
             JOIN identity_document d ON d.id = p.document_id ORDER BY p.field"
                .to_owned(),
        ))
        .await
        .unwrap();
    let got: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            let s = |c: &str| r.try_get::<String>("", c).unwrap();
            (s("field"), s("value"), s("source"), s("how"))
        })
        .collect();
    assert_eq!(
        got,
        [
            ("birthdate".into(), "1980-01-02".into(), "officer".into(), "officer".into()),
            ("name".into(), "CHAN Tai Man".into(), "officer".into(), "officer".into())
        ]
    );
    assert!(rows[0].try_get::<String>("", "verified_by").unwrap().starts_with("account:"));

    // The form shows them read-only and says why, before anything is saved.
    let html = resident.get("/en/account/profile").await.text().await.unwrap();
    assert!(html.contains("From your checked identity document. It cannot be changed here"), "{html}");
    assert!(html.contains("value=\"CHAN Tai Man\" aria-describedby=\"name-hint\" readonly"), "{html}");
    // A changed name is refused, and the level stays.
    let r = resident.post_form("/en/account/profile", &[("name", "Someone Else"), ("birthdate", "1980-01-02")]).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text().await.unwrap().contains("This comes from your checked identity document and cannot be changed here.")
    );
    // Other fields still change, the checked ones as they were.
    let r = resident
        .post_form(
            "/en/account/profile",
            &[("name", "CHAN Tai Man"), ("birthdate", "1980-01-02"), ("address", "1 Harbour Road")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM profile_field WHERE document_id IS NOT NULL").await, 2);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM profile_field WHERE value = 'Someone Else'").await, 0);
    assert!(resident.get("/en/account").await.text().await.unwrap().contains("Real name (identity document verified)"));

    // An assertion without the particulars is refused, pointing at them.
    let (key, jwks) = crate::oidc::client_key("source-1");
    let source = source_client(&app, &jwks, &[identity::oidc::SOURCE_SCOPE]).await;
    registered(&app, "unnamed@example.org").await;
    let claims = serde_json::json!({ "email": "unnamed@example.org",
        "document": { "kind": "hkid", "number": "G123456(A)" }, "birthdate": "31/12/1990" });
    let r = app
        .client()
        .post_json(identity::real_name::ASSERTION_PATH, &signed_assertion(&key, &source, &app.url(""), claims))
        .await;
    assert_eq!(r.status(), 422);
    let problem: serde_json::Value = r.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["/name", "/birthdate"], "{problem}");
}
platform::both_backends!(verified_particulars_are_recorded_and_kept);

/// Officers from before scopes existed keep what the role let them do: the
/// migration gives them the verifier scope, and nobody else anything.
async fn officers_from_before_scopes_keep_verifying(backend: Backend) {
    let app = spawn(backend).await;
    let officer = |email: &'static str, roles: Vec<String>| {
        identity::accounts::store::create_user_named(
            &app.state,
            identity::accounts::NewUser::Email(email),
            PASSWORD,
            false,
            roles,
            vec![],
        )
    };
    officer("old.officer@example.org", vec!["officer".to_owned()]).await.unwrap();
    officer("old.admin@example.org", vec!["admin".to_owned()]).await.unwrap();
    // As the schema was before the scopes migration.
    let db = app.db();
    db.execute_unprepared("ALTER TABLE account DROP COLUMN scopes").await.unwrap();
    db.execute_unprepared("DELETE FROM seaql_migrations WHERE version = 'm20261202_500001_identity_account_scopes'")
        .await
        .unwrap();
    let modules = [platform::app::platform_module(), identity::module()];
    let ran = platform::app::migrator(&modules).run(db).await.unwrap();
    assert_eq!(ran, ["m20261202_500001_identity_account_scopes"]);
    let officer = app.client();
    assert_eq!(location(&sign_in(&officer, "old.officer@example.org", PASSWORD).await), "/en/account");
    assert_eq!(officer.get("/en/officer/real-name").await.status(), 200);
    let admin = app.client();
    assert_eq!(location(&sign_in(&admin, "old.admin@example.org", PASSWORD).await), "/en/account");
    assert_eq!(admin.get("/en/officer/real-name").await.status(), 403);
}
platform::both_backends!(officers_from_before_scopes_keep_verifying);

/// The resident hears of the check in the language they last signed in with.
async fn the_resident_is_told_in_their_language(backend: Backend) {
    let app = app().backend(backend).spawn().await;
    let c = app.client();
    let v = register(&c, "zh-hk", "chan@example.org").await;
    let code = latest_code(&app, "chan@example.org").await;
    assert_eq!(c.post_form("/zh-hk/verify", &[("v", &v), ("code", &code)]).await.status(), 303);
    let r = officer(&app)
        .await
        .post_form(
            "/en/officer/real-name",
            &with_read(&[("email", "chan@example.org"), ("kind", "hkid"), ("number", "A123456(3)")]),
        )
        .await;
    assert_eq!(r.status(), 200);
    let mail = mail_to(&app, "chan@example.org").await;
    assert!(mail.last().unwrap().body.contains("職員已核實你的身分證明文件"), "{:?}", mail.last());
}
both_backends!(the_resident_is_told_in_their_language);
