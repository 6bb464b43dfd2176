//! The trust lists, the revocation list and the trust bundle over HTTP:
//! signed by the root (checked here with the CSCA list's certificate),
//! cached by ETag; administrators import and remove foreign signers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Verifier as _;
use platform::both_backends;
use platform::testkit::{Backend, TestApp, TestClient};
use serde_json::{Value, json};
use sha2::Digest;

use crate::support::{app, b64, issue};

/// The conformance data folder, or `None` (printed) outside CI.
pub fn dcc_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("LIONROCK_TEST_DCC_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/dcc"));
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "no DCC conformance data at {}", dir.display());
    println!("skipped: no DCC conformance data at {} (set LIONROCK_TEST_DCC_DIR)", dir.display());
    None
}

/// A conformance vector's JSON.
pub fn vector(dir: &std::path::Path, path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(path)).unwrap()).unwrap()
}

fn verifying_key(der: &[u8]) -> p256::ecdsa::VerifyingKey {
    match hcert::TrustedKey::from_certificate(der).unwrap().key {
        hcert::PublicKey::Es256(key) => key,
        other => panic!("not P-256: {other:?}"),
    }
}

/// Checks the signature headers of a response from the list at `path` over
/// `body` with `csca`; returns the issue time.
fn check_signature(headers: &reqwest::header::HeaderMap, path: &str, body: &[u8], csca: &[u8]) -> String {
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
    assert_eq!(header("cache-control"), "no-cache");
    let (issued_at, signature) = (header("x-issued-at"), header("x-signature"));
    let issued = time::OffsetDateTime::parse(&issued_at, &time::format_description::well_known::Rfc3339).unwrap();
    assert!((time::OffsetDateTime::now_utc() - issued).whole_seconds().abs() < 120, "{issued_at}");
    let signature = p256::ecdsa::Signature::from_slice(&STANDARD.decode(signature).unwrap()).unwrap();
    let message = [path.as_bytes(), b"\n", issued_at.as_bytes(), b"\n", body].concat();
    verifying_key(csca).verify(&message, &signature).expect("X-Signature verifies with the CSCA");
    let mut altered = message.clone();
    *altered.last_mut().unwrap() ^= 1;
    assert!(verifying_key(csca).verify(&altered, &signature).is_err(), "and only over these bytes");
    // The message names the list: the same body and time under another list's path do not verify.
    let other = if path.ends_with("/dsc") { CSCA } else { DSC };
    let elsewhere = [other.as_bytes(), b"\n", issued_at.as_bytes(), b"\n", body].concat();
    assert!(verifying_key(csca).verify(&elsewhere, &signature).is_err(), "the path is signed");
    issued_at
}

const DSC: &str = "/api/v1/credentials/trust-list/dsc";
const CSCA: &str = "/api/v1/credentials/trust-list/csca";

/// Checks a list's signature headers with `csca`; returns (body, parsed, etag).
async fn signed(response: reqwest::Response, csca: Option<&[u8]>) -> (Vec<u8>, Value, String) {
    assert_eq!(response.status(), 200);
    let path = response.url().path().to_owned();
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let body = response.bytes().await.unwrap().to_vec();
    assert_eq!(etag, format!("\"{}\"", hex(&sha2::Sha256::digest(&body))), "strong ETag: SHA-256 of the body");
    let parsed: Value = serde_json::from_slice(&body).unwrap();
    // The CSCA list is checked with its own first (active) certificate.
    let csca = csca.map_or_else(|| STANDARD.decode(parsed[0]["rawData"].as_str().unwrap()).unwrap(), <[u8]>::to_vec);
    check_signature(&headers, &path, &body, &csca);
    (body, parsed, etag)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn csca_of(c: &TestClient) -> Vec<u8> {
    let (_, csca, _) = signed(c.get(CSCA).await, None).await;
    assert_eq!(csca[0]["certificateType"], "CSCA");
    STANDARD.decode(csca[0]["rawData"].as_str().unwrap()).unwrap()
}

async fn the_trust_lists_are_signed_by_the_root_and_cached_by_etag(backend: Backend) {
    let app = app(backend).spawn().await;
    let hc1 = issue(&app).await;
    let c = app.client();
    let csca = csca_of(&c).await;

    let (body, dsc, etag) = signed(c.get(DSC).await, Some(&csca)).await;
    let list = dsc.as_array().unwrap();
    assert_eq!(list.len(), 1, "{dsc}");
    let entry = &list[0];
    let der = STANDARD.decode(entry["rawData"].as_str().unwrap()).unwrap();
    assert_eq!(entry["kid"], STANDARD.encode(hcert::Kid::of_certificate(&der).0));
    assert_eq!(entry["country"], "HK");
    assert_eq!(entry["certificateType"], "DSC");
    assert_eq!(entry["thumbprint"], hex(&sha2::Sha256::digest(&der)));
    assert!(entry["timestamp"].as_str().unwrap().ends_with('Z'), "{entry}");
    // A verifier that knows only the list checks our credential.
    let mut trust = hcert::TrustList::new();
    trust.add_certificate(&der).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    hcert::decode(&hc1, &trust, &hcert::ValueSets::unchecked(), now).expect("verifies with the listed DSC");

    // The client's copy is current: 304, no body, and a new issue time
    // signed over the body the client holds (so it is not called stale).
    let first = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let again = c.http.get(c.url(DSC)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    let issued_at = check_signature(again.headers(), DSC, &body, &csca);
    let issued = time::OffsetDateTime::parse(&issued_at, &time::format_description::well_known::Rfc3339).unwrap();
    assert!(issued >= first.replace_nanosecond(0).unwrap(), "a fresh issue time on 304: {issued_at}");
    assert!(again.bytes().await.unwrap().is_empty());
    let stale = c
        .http
        .get(c.url("/api/v1/credentials/trust-list/dsc"))
        .header("if-none-match", "\"0000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
    app.stop().await;
}
both_backends!(the_trust_lists_are_signed_by_the_root_and_cached_by_etag);

async fn the_revocation_list_and_bundle_carry_hashes_of_revoked_uvcis(backend: Backend) {
    let app = app(backend).spawn().await;
    let hc1 = issue(&app).await;
    let _other = issue(&app).await;
    let c = app.client();
    let csca = csca_of(&c).await;
    let (_, empty, before) = signed(c.get("/api/v1/credentials/revocation-list").await, Some(&csca)).await;
    assert_eq!(empty, json!([]));

    let uvci =
        hcert::decode(&hc1, &crate::records::trust(&app).await, &hcert::ValueSets::unchecked(), crate::support::now())
            .unwrap()
            .dcc
            .v
            .unwrap()[0]
            .ci
            .clone();
    credentials::records::store::revoke(&app.state, "cli", &uvci).await.unwrap();
    let (body, list, after) = signed(c.get("/api/v1/credentials/revocation-list").await, Some(&csca)).await;
    assert_ne!(before, after, "a new ETag for a new list");
    let hash = STANDARD.encode(&sha2::Sha256::digest(uvci.as_bytes())[..16]);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["uvciHash"], hash);
    assert!(list[0]["revokedAt"].is_string());
    assert!(!String::from_utf8(body).unwrap().contains(&uvci), "no UVCI in the public list");

    // The bundle: the scanner's contract (payload, signature, csca).
    let bundle = crate::support::bundle(&app).await;
    let payload = b64(bundle["payload"].as_str().unwrap());
    let signature = p256::ecdsa::Signature::from_slice(&b64(bundle["signature"].as_str().unwrap())).unwrap();
    let bundle_csca = b64(bundle["csca"].as_str().unwrap());
    assert_eq!(bundle_csca, csca, "signed by the listed root");
    verifying_key(&csca).verify(&payload, &signature).expect("the bundle verifies with the CSCA");
    let payload: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(payload["revoked"], json!([hash]));
    assert_eq!(payload["country"], "HK");
    assert_eq!(payload["timeZone"], "Asia/Hong_Kong");
    assert_eq!(payload["activeRoot"], hex(&sha2::Sha256::digest(&csca)));
    assert_eq!(payload["staleAfterHours"], 48);
    assert_eq!(payload["dsc"].as_array().unwrap().len(), 1);
    assert_eq!(payload["rules"]["version"], 1);
    assert_eq!(payload["rules"]["vaccination"]["minDaysAfterCompleteDose"], 14);
    assert!(
        time::OffsetDateTime::parse(
            payload["issuedAt"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
    app.stop().await;
}
both_backends!(the_revocation_list_and_bundle_carry_hashes_of_revoked_uvcis);

/// `signatures` of a bundle as (root DER, whether its signature over the payload verifies).
fn root_signatures(bundle: &Value) -> Vec<(Vec<u8>, bool)> {
    let payload = b64(bundle["payload"].as_str().unwrap());
    bundle["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let der = b64(s["csca"].as_str().unwrap());
            let signature = p256::ecdsa::Signature::from_slice(&b64(s["signature"].as_str().unwrap())).unwrap();
            let ok = verifying_key(&der).verify(&payload, &signature).is_ok();
            (der, ok)
        })
        .collect()
}

async fn after_a_root_rotation_the_bundle_is_signed_by_the_old_and_the_new_root(backend: Backend) {
    let app = app(backend).spawn().await;
    let c = app.client();
    let old = csca_of(&c).await;
    let before = crate::support::bundle(&app).await;
    assert_eq!(root_signatures(&before), [(old.clone(), true)], "one root, one signature");

    let names = platform::keys::CertificateNames::of(&app.state.config);
    platform::keys::rotate_dcc(app.db(), &app.state.keys, platform::keys::Purpose::DccCsca, &names, "cli")
        .await
        .unwrap();
    let new = csca_of(&c).await;
    assert_ne!(new, old);
    let bundle = crate::support::bundle(&app).await;
    // The active root first (also in the old single fields), then the retired one.
    assert_eq!(root_signatures(&bundle), [(new.clone(), true), (old.clone(), true)]);
    assert_eq!(b64(bundle["csca"].as_str().unwrap()), new);
    let payload: Value = serde_json::from_slice(&b64(bundle["payload"].as_str().unwrap())).unwrap();
    assert_eq!(payload["activeRoot"], hex(&sha2::Sha256::digest(&new)), "the payload names the root to pin");

    // The verifier CLI's reading: the active root must be the one the payload names.
    let parsed: credentials::trust::Bundle = serde_json::from_value(bundle.clone()).unwrap();
    assert!(parsed.open().is_ok());
    let mut swapped = parsed.clone();
    swapped.csca = parsed.signatures[1].csca.clone();
    swapped.signature = parsed.signatures[1].signature.clone();
    assert_eq!(swapped.open().unwrap_err(), credentials::trust::BundleError::RootMismatch);
    app.stop().await;
}
both_backends!(after_a_root_rotation_the_bundle_is_signed_by_the_old_and_the_new_root);

/// A client signed in as an administrator, and its CSRF token.
pub async fn admin(app: &TestApp) -> (TestClient, String) {
    let mut admin = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
    admin.roles.push(platform::principal::Role::Admin);
    let client = app.sign_in_as(&admin).await;
    let token = client.csrf_token().await;
    (client, token)
}

fn pem(der_base64: &str) -> String {
    let lines: Vec<String> = der_base64.as_bytes().chunks(64).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
    format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
}

async fn administrators_import_and_remove_foreign_signers(backend: Backend) {
    let Some(dir) = dcc_dir() else { return };
    let nl =
        vector(&dir, "NL/2DCode/raw/072-NL-vaccination.json")["TESTCTX"]["CERTIFICATE"].as_str().unwrap().to_owned();
    let de_expired = vector(&dir, "DE/2DCode/raw/1.json")["TESTCTX"]["CERTIFICATE"].as_str().unwrap().to_owned();
    let app = app(backend).spawn().await;
    let path = "/api/v1/credentials/trust-list/dsc";

    // Nobody, and a resident, may not.
    let anonymous = app.client().post_json(path, &json!({ "country": "NL", "certificate": nl })).await;
    assert_eq!(anonymous.status(), 401);
    let resident =
        app.sign_in_as(&platform::testkit::resident_signed_in_now(platform::principal::AccountId::new())).await;
    let token = resident.csrf_token().await;
    let r = resident
        .http
        .post(resident.url(path))
        .header("x-csrf-token", token)
        .json(&json!({ "country": "NL", "certificate": nl }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let (admin, token) = admin(&app).await;
    let post = |body: Value| admin.http.post(admin.url(path)).header("x-csrf-token", token.clone()).json(&body).send();
    let r = post(json!({ "country": "NL", "certificate": pem(&nl) })).await.unwrap();
    assert_eq!(r.status(), 201);
    let entry: Value = r.json().await.unwrap();
    let der = STANDARD.decode(&nl).unwrap();
    assert_eq!(entry["kid"], STANDARD.encode(hcert::Kid::of_certificate(&der).0));
    assert_eq!(entry["country"], "NL");
    assert_eq!(entry["rawData"], nl);

    // In the signed list and the bundle, with its country.
    let c = app.client();
    let csca = csca_of(&c).await;
    let (_, dsc, _) = signed(c.get(path).await, Some(&csca)).await;
    let countries: Vec<&str> = dsc.as_array().unwrap().iter().map(|e| e["country"].as_str().unwrap()).collect();
    assert_eq!(countries, ["HK", "NL"]);
    let bundle = crate::support::bundle(&app).await;
    let payload: Value = serde_json::from_slice(&b64(bundle["payload"].as_str().unwrap())).unwrap();
    assert!(payload["dsc"].as_array().unwrap().iter().any(|e| e["country"] == "NL" && e["rawData"] == nl));

    // Twice, expired, garbage, a bad country: each refused, precisely.
    let r = post(json!({ "country": "NL", "certificate": nl })).await.unwrap();
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().await.unwrap();
    assert!(problem["type"].as_str().unwrap().ends_with("credentials-signer-known"), "{problem}");
    for (body, field, detail) in [
        (json!({ "country": "DE", "certificate": de_expired }), "/certificate", "expired on 2022-04-30"),
        (
            json!({ "country": "DE", "certificate": "bm90IGEgY2VydGlmaWNhdGU=" }),
            "/certificate",
            "not an X.509 certificate",
        ),
        (json!({ "country": "DE", "certificate": "%%%" }), "/certificate", "neither base64 DER nor PEM"),
        (json!({ "country": "Germany", "certificate": nl }), "/country", "ISO 3166-1"),
        (json!({ "country": "DE", "certificate": nl }), "/country", "the certificate's subject is in NL"),
        (json!({ "country": "DE", "certificate": AUTHORITY }), "/certificate", "a certificate authority's"),
    ] {
        let r = post(body).await.unwrap();
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains(detail), "{problem}");
    }

    // Removal: by URL-safe kid; ours cannot be removed here.
    let kid = entry["kid"].as_str().unwrap().replace('+', "-").replace('/', "_");
    let delete = |kid: String| {
        admin.http.delete(admin.url(&format!("{path}/{kid}"))).header("x-csrf-token", token.clone()).send()
    };
    let anonymous = app.client().http.delete(app.url(&format!("{path}/{kid}"))).send().await.unwrap();
    assert!(anonymous.status() == 401 || anonymous.status() == 403, "{}", anonymous.status());
    assert_eq!(delete(kid.clone()).await.unwrap().status(), 204);
    assert_eq!(delete(kid).await.unwrap().status(), 404);
    let ours = dsc[0]["kid"].as_str().unwrap().replace('+', "-").replace('/', "_");
    assert_eq!(delete(ours).await.unwrap().status(), 404);
    let (_, dsc, _) = signed(c.get(path).await, Some(&csca)).await;
    assert_eq!(dsc.as_array().unwrap().len(), 1);

    // Another certificate already under the kid of this one (seeded: real
    // collisions of 8 bytes of SHA-256 cannot be made): refused.
    use sea_orm::ActiveModelTrait as _;
    credentials::trust::store::entity::ActiveModel {
        thumbprint: sea_orm::Set("00".repeat(32)),
        kid: sea_orm::Set(entry["kid"].as_str().unwrap().to_owned()),
        country: sea_orm::Set("NL".to_owned()),
        certificate: sea_orm::Set(STANDARD.encode(b"another")),
        not_after: sea_orm::Set(time::OffsetDateTime::now_utc() + time::Duration::days(30)),
        created_at: sea_orm::Set(time::OffsetDateTime::now_utc()),
        created_by: sea_orm::Set("test".to_owned()),
    }
    .insert(app.db())
    .await
    .unwrap();
    let r = post(json!({ "country": "NL", "certificate": nl })).await.unwrap();
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().await.unwrap();
    assert!(problem["type"].as_str().unwrap().ends_with("credentials-kid-taken"), "{problem}");

    let thumbprint = format!("dsc:{}", entry["thumbprint"].as_str().unwrap());
    let audit = platform::audit::entries_about(app.db(), &thumbprint, "credentials.trust.", 10).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["credentials.trust.remove", "credentials.trust.import"]);
    app.stop().await;
}
both_backends!(administrators_import_and_remove_foreign_signers);

/// A P-256 certificate authority's certificate for C=DE (openssl, valid until 2125).
const AUTHORITY: &str = "MIIBqjCCAU+gAwIBAgIUNxS+2PondeNHY2Nk2q30pnWs09MwCgYIKoZIzj0EAwIwITELMAkGA1UEBhMCREUxEjAQBgNVBAMMCXRlc3QgY3NjYTAgFw0yNjExMzAyMDQ1MDZaGA8yMTI2MTEwNjIwNDUwNlowITELMAkGA1UEBhMCREUxEjAQBgNVBAMMCXRlc3QgY3NjYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABH5PjzcUDVjGntBPValYTeLGW2jD6aVDfKi1eZnUd4ebpJu/YTW6rHRgFtMwXLMZf201nN8QTs1tN5Pbj0d14umjYzBhMB0GA1UdDgQWBBSqnlSxstwmW1Jn7KoIMWko51/+ODAfBgNVHSMEGDAWgBSqnlSxstwmW1Jn7KoIMWko51/+ODAOBgNVHQ8BAf8EBAMCAoQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA3q5QpoeWlczZZ0zCNeDRto9sAbp1sbiZIoXXO2Jd0qsCIQDDXTYAoPUWHDGhcw7bt7O/F20QHSp8OJ1KLN4hxyafXA==";
