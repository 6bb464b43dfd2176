//! `lionrock credentials verify` and `trust add`, run as the operator runs
//! them: a round trip (issue, save the QR picture, verify it; a tampered one
//! fails with its reason), and an EU conformance vector that verifies once
//! its document signer is in our trust list (imported through the API,
//! carried by the signed trust bundle). Plus the interoperability check
//! with an independent DCC implementation (Python: pycose, cbor2, base45).

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::config::Config;
use platform::crypto::{Key, Keys};
use platform::testkit::TestApp;
use serde_json::{Value, json};

use crate::support::{lionrock, run, stderr, stdout};

/// The application of an installation made by `keys init` and `migrate` in `dir`.
async fn installation(dir: &Path) -> platform::app::AppState {
    assert!(run(lionrock(dir).args(["keys", "init"])).status.success());
    assert!(run(lionrock(dir).arg("migrate")).status.success());
    let mut config = Config::default();
    config.server.data_dir = dir.join("lionrock-data");
    let key = |name: &str| Key::load("test", &config.server.data_dir.join("keys").join(name)).unwrap();
    let keys = Keys::new(key("data.key"), key("blind-index.key"), key("audit.key"));
    platform::app::AppState::new(config, keys, &lionrock::modules()).await.unwrap()
}

fn request() -> credentials::records::Request {
    let date = time::OffsetDateTime::now_utc().date() - time::Duration::days(30);
    credentials::records::Request {
        kind: "vaccination".into(),
        document_kind: "hkid".into(),
        document_number: "A123456(3)".into(),
        family_name: "Chan".into(),
        given_name: "Tai Man".into(),
        birth_date: "1980-02-29".into(),
        product: "EU/1/20/1528".into(),
        dose_number: "2".into(),
        doses_in_series: "2".into(),
        date: date.to_string(),
        ..credentials::records::Request::default()
    }
}

fn png(dir: &Path, name: &str, hc1: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, credentials::render::qr_png(hc1, 4).unwrap()).unwrap();
    path
}

/// The code with its signature's last byte altered.
fn forge(hc1: &str) -> String {
    let mut cose = hcert::envelope::open(hc1).unwrap();
    *cose.last_mut().unwrap() ^= 0x01;
    hcert::envelope::seal(&cose)
}

#[tokio::test]
async fn a_credential_round_trips_through_its_qr_picture_and_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let state = installation(dir.path()).await;
    let issued = credentials::records::store::issue(&state, "cli", &request()).await.unwrap();
    state.db.clone().close().await.unwrap();
    let valid = png(dir.path(), "valid.png", &issued.hc1);
    let tampered = png(dir.path(), "tampered.png", &forge(&issued.hc1));

    let out = run(lionrock(dir.path()).args(["credentials", "verify", valid.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("VALID\n"), "{text}");
    assert!(text.contains("Holder: Chan Tai Man (CHAN<<TAI<MAN)") && text.contains("Born: 1980-02-29"), "{text}");
    assert!(text.contains(&issued.uvci), "{text}");

    let out = run(lionrock(dir.path()).args(["credentials", "verify", "--json", tampered.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let verdict: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(verdict["verdict"], "INVALID");
    assert_eq!(verdict["step"], "bad signature");
    assert!(verdict.get("name").is_none(), "no holder for a bad signature: {verdict}");

    // The HC1 text itself, and the failing step of a damaged one.
    let out = run(lionrock(dir.path()).args(["credentials", "verify", "--json", &issued.hc1]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let verdict: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!((verdict["name"].as_str(), verdict["dob"].as_str()), (Some("Chan Tai Man"), Some("1980-02-29")));
    assert_eq!(verdict["lists"]["source"], "database");
    let out = run(lionrock(dir.path()).args(["credentials", "verify", "HC1:NOT*BASE45"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("Reason: base45"), "{}", stdout(&out));
    // A year on: expired. Usage errors are exit 2.
    let later = rfc3339(time::OffsetDateTime::now_utc() + time::Duration::days(400));
    let out = run(lionrock(dir.path()).args(["credentials", "verify", "--at", &later, &issued.hc1]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("Reason: expired"), "{}", stdout(&out));
    let jpeg = dir.path().join("code.jpg");
    std::fs::write(&jpeg, [0xff, 0xd8, 0xff, 0xe0]).unwrap();
    let out = run(lionrock(dir.path()).args(["credentials", "verify", jpeg.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("only PNG"), "{}", stderr(&out));
    assert_eq!(
        run(lionrock(dir.path()).args(["credentials", "verify", "--at", "soon", &issued.hc1])).status.code(),
        Some(2)
    );
}

pub fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap()
}

/// The conformance data folder, or `None` (printed) outside CI.
fn dcc_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LIONROCK_TEST_DCC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/dcc"));
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "no DCC conformance data at {}", dir.display());
    println!("skipped: no DCC conformance data at {} (set LIONROCK_TEST_DCC_DIR)", dir.display());
    None
}

async fn admin(app: &TestApp) -> (platform::testkit::TestClient, String) {
    let mut admin = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
    admin.roles.push(platform::principal::Role::Admin);
    let client = app.sign_in_as(&admin).await;
    let token = client.csrf_token().await;
    (client, token)
}

#[tokio::test]
async fn a_conformance_vector_verifies_once_its_signer_is_imported() {
    let Some(data) = dcc_dir() else { return };
    // A valid Dutch vaccination (EXPECTEDVERIFY true; 8 of 8 doses, 101 days before its clock).
    let vector: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("NL/2DCode/raw/072-NL-vaccination.json")).unwrap())
            .unwrap();
    assert_eq!(vector["EXPECTEDRESULTS"]["EXPECTEDVERIFY"], true);
    let code = vector["PREFIX"].as_str().unwrap();
    let clock = "2021-05-30T13:38:50Z";
    let app = TestApp::builder().module(credentials::module()).spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let save_bundle = |name: &str, bundle: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, bundle.to_string()).unwrap();
        path
    };
    let bundle: Value = app.client().get("/api/v1/credentials/trust-bundle").await.json().await.unwrap();
    let before = save_bundle("before.json", &bundle);
    let out = run(lionrock(dir.path()).args([
        "credentials",
        "verify",
        "--bundle",
        before.to_str().unwrap(),
        "--at",
        clock,
        code,
    ]));
    assert_eq!(out.status.code(), Some(1), "not trusted yet");
    assert!(stdout(&out).contains("Reason: unknown signer"), "{}", stdout(&out));

    let (admin, token) = admin(&app).await;
    let r = admin
        .http
        .post(admin.url("/api/v1/credentials/trust-list/dsc"))
        .header("x-csrf-token", token)
        .json(&json!({ "country": "NL", "certificate": vector["TESTCTX"]["CERTIFICATE"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let bundle: Value = app.client().get("/api/v1/credentials/trust-bundle").await.json().await.unwrap();
    let after = save_bundle("after.json", &bundle);
    let out = run(lionrock(dir.path()).args([
        "credentials",
        "verify",
        "--json",
        "--bundle",
        after.to_str().unwrap(),
        "--at",
        clock,
        code,
    ]));
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let verdict: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(verdict["verdict"], "VALID");
    assert_eq!(verdict["name"], "Achternaam Voornaam");
    assert_eq!(verdict["dob"], "2021-01-01");
    assert_eq!(verdict["signer"]["country"], "NL");
    assert_eq!(verdict["lists"]["source"], "bundle");

    // Three days on: the code has expired and the bundle is stale (warned).
    let later = rfc3339(time::OffsetDateTime::now_utc() + time::Duration::days(3));
    let out = run(lionrock(dir.path()).args([
        "credentials",
        "verify",
        "--bundle",
        after.to_str().unwrap(),
        "--at",
        &later,
        code,
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("Reason: expired"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("warning: the trust bundle is 72 hours old, older than 48 hours"),
        "{}",
        stderr(&out)
    );

    // A bundle altered after signing is not believed.
    let mut payload: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(bundle["payload"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    payload["staleAfterHours"] = json!(10_000);
    let mut forged = bundle.clone();
    forged["payload"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string()));
    let forged = save_bundle("forged.json", &forged);
    let out = run(lionrock(dir.path()).args(["credentials", "verify", "--bundle", forged.to_str().unwrap(), code]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("signature does not verify"), "{}", stderr(&out));
    app.stop().await;
}

#[tokio::test]
async fn trust_add_imports_a_foreign_signer_from_a_pem_file() {
    let Some(data) = dcc_dir() else { return };
    let vector: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("NL/2DCode/raw/072-NL-vaccination.json")).unwrap())
            .unwrap();
    let der = STANDARD.decode(vector["TESTCTX"]["CERTIFICATE"].as_str().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    drop(installation(dir.path()).await);
    let pem = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", STANDARD.encode(&der));
    std::fs::write(dir.path().join("nl.pem"), pem).unwrap();
    std::fs::write(dir.path().join("nl.der"), &der).unwrap();
    let out = run(lionrock(dir.path()).args([
        "credentials",
        "trust",
        "add",
        "--country",
        "NL",
        "--cert",
        "nl.pem",
        "--json",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let entry: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(entry["country"], "NL");
    assert_eq!(entry["kid"], STANDARD.encode(hcert::Kid::of_certificate(&der).0));
    let out = run(lionrock(dir.path()).args(["credentials", "trust", "add", "--country", "NL", "--cert", "nl.der"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("in the trust list already"), "{}", stderr(&out));
    let out = run(lionrock(dir.path()).args(["credentials", "trust", "add", "--country", "nl", "--cert", "nl.der"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--country"), "{}", stderr(&out));
    // Now the local database trusts it: the vector verifies without a bundle.
    let code = vector["PREFIX"].as_str().unwrap();
    let out = run(lionrock(dir.path()).args(["credentials", "verify", "--at", "2021-05-30T13:38:50Z", code]));
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}
