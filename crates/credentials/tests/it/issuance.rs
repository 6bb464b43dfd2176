//! Issuance over HTTP: the officers' API and pages, each guarded by its
//! scope (exemptions need their own), with field errors, idempotent
//! retries, revoking, and the form's round trip with its error summary.

use credentials::errors::CredentialsError;
use credentials::records::store;
use platform::both_backends;
use platform::error::{DomainError, ErrorKind};
use platform::principal::{AccountId, AuthStrength, IdentityLevel, Principal, Role};
use platform::testkit::{Backend, TestApp, TestClient};
use serde_json::{Value, json};

use crate::records::{spawn, vaccination};

const RECORDS: &str = "/api/v1/credentials/records";
const REVOKE: &str = "/api/v1/credentials/records/revoke";

fn officer(scopes: &[&str]) -> Principal {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Principal::new(
        AccountId(uuid::Uuid::now_v7()),
        IdentityLevel::Basic,
        vec![Role::Officer],
        AuthStrength::Password,
        now,
    )
    .with_scopes(scopes.iter().map(|s| (*s).to_owned()).collect())
}

fn health_officer() -> Principal {
    officer(&["health-records"])
}

/// A JSON POST as a signed-in browser makes it (session cookie, CSRF header).
async fn post_api(client: &TestClient, path: &str, body: &Value, key: Option<&str>) -> reqwest::Response {
    let token = client.csrf_token().await;
    let mut request = client.http.post(client.url(path)).header("x-csrf-token", token).json(body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

fn exemption() -> Value {
    let mut body = serde_json::to_value(vaccination()).unwrap();
    body["kind"] = json!("exemption");
    body["reason"] = json!("medical");
    body["valid_from"] = json!(days_from_today(-30));
    body["valid_until"] = json!(days_from_today(150));
    body
}

async fn holder_records(app: &TestApp) -> Vec<store::Record> {
    let index = platform::ids::Document::parse("hkid", "A123456(3)", "").unwrap().index(&app.state.keys);
    store::of_holder(&app.state, &index, true).await.unwrap()
}

async fn problem_type(resp: reqwest::Response) -> String {
    let problem: Value = resp.json().await.unwrap();
    problem["type"].as_str().unwrap_or_default().to_owned()
}

async fn only_officers_with_the_right_scope_issue(backend: Backend) {
    let app = spawn(backend).await;
    let body = serde_json::to_value(vaccination()).unwrap();

    let resp = app.client().post_json(RECORDS, &body).await;
    assert_eq!(resp.status(), 401, "nobody signed in");
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId(uuid::Uuid::now_v7()))).await;
    assert_eq!(post_api(&resident, RECORDS, &body, None).await.status(), 403, "a resident");
    let scopeless = app.sign_in_as(&officer(&["real-name-verifier"])).await;
    assert_eq!(post_api(&scopeless, RECORDS, &body, None).await.status(), 403, "an officer without the scope");
    assert!(holder_records(&app).await.is_empty());

    // Recording health events does not let an officer exempt anyone.
    let health = app.sign_in_as(&health_officer()).await;
    let resp = post_api(&health, RECORDS, &exemption(), None).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(problem_type(resp).await, "urn:lionrock:problem:credentials-scope-missing");
    let resp = post_api(&health, RECORDS, &body, None).await;
    assert_eq!(resp.status(), 201);
    let issued: Value = resp.json().await.unwrap();
    assert!(credentials::records::uvci_is_well_formed(issued["uvci"].as_str().unwrap()), "{issued}");
    assert!(issued["hc1"].as_str().unwrap().starts_with("HC1:"));

    // The exemption issuer issues exemptions, and only those.
    let exempting = app.sign_in_as(&officer(&["exemption-issuer"])).await;
    let resp = post_api(&exempting, RECORDS, &body, None).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(problem_type(resp).await, "urn:lionrock:problem:credentials-scope-missing");
    let resp = post_api(&exempting, RECORDS, &exemption(), None).await;
    assert_eq!(resp.status(), 201);
    let exempt: Value = resp.json().await.unwrap();

    let records = holder_records(&app).await;
    let uvcis: Vec<&str> = records.iter().map(|r| r.uvci.as_str()).collect();
    assert_eq!(uvcis, [exempt["uvci"].as_str().unwrap(), issued["uvci"].as_str().unwrap()]);
    assert_eq!(records[0].dcc.e.as_ref().unwrap()[0].ci, exempt["uvci"].as_str().unwrap());
}
both_backends!(only_officers_with_the_right_scope_issue);

async fn a_bad_record_is_refused_field_by_field(backend: Backend) {
    let app = spawn(backend).await;
    let health = app.sign_in_as(&health_officer()).await;
    let mut body = serde_json::to_value(vaccination()).unwrap();
    body["document_number"] = json!("A123456(4)");
    body["dose_number"] = json!("0");
    body["date"] = json!("2026-13-01");
    let resp = post_api(&health, RECORDS, &body, None).await;
    assert_eq!(resp.status(), 422);
    let problem: Value = resp.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["/document_number", "/dose_number", "/date"], "{problem}");
    // An unknown kind, and an unknown property.
    body = serde_json::to_value(vaccination()).unwrap();
    body["kind"] = json!("booster");
    let problem: Value = post_api(&health, RECORDS, &body, None).await.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "/kind", "{problem}");
    body["colour"] = json!("red");
    assert_eq!(post_api(&health, RECORDS, &body, None).await.status(), 422);
    assert!(holder_records(&app).await.is_empty(), "nothing issued");
}
both_backends!(a_bad_record_is_refused_field_by_field);

async fn a_retry_with_the_same_key_issues_once(backend: Backend) {
    let app = spawn(backend).await;
    let health = app.sign_in_as(&health_officer()).await;
    let body = serde_json::to_value(vaccination()).unwrap();
    let first = post_api(&health, RECORDS, &body, Some("issue-7f3a")).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = post_api(&health, RECORDS, &body, Some("issue-7f3a")).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["uvci"], first["uvci"]);
    assert_eq!(holder_records(&app).await.len(), 1, "one record for two tries");
    // Another key is another record.
    assert_eq!(post_api(&health, RECORDS, &body, Some("issue-8b41")).await.status(), 201);
    assert_eq!(holder_records(&app).await.len(), 2);
}
both_backends!(a_retry_with_the_same_key_issues_once);

async fn health_officers_revoke_by_uvci(backend: Backend) {
    let app = spawn(backend).await;
    let issued = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let body = json!({ "uvci": issued.uvci });

    let exempting = app.sign_in_as(&officer(&["exemption-issuer"])).await;
    let resp = post_api(&exempting, REVOKE, &body, None).await;
    assert_eq!(resp.status(), 403, "a vaccination is revoked with health-records");
    assert_eq!(problem_type(resp).await, "urn:lionrock:problem:credentials-scope-missing");
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId(uuid::Uuid::now_v7()))).await;
    assert_eq!(post_api(&resident, REVOKE, &body, None).await.status(), 403, "a resident");
    assert!(store::revoked(&app.state).await.unwrap().is_empty());
    let health = app.sign_in_as(&health_officer()).await;
    let resp = post_api(&health, REVOKE, &json!({ "uvci": "URN:UVCI:01:HK:NOSUCHRECORD#0" }), None).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(problem_type(resp).await, "urn:lionrock:problem:credentials-unknown-record");
    let resp = post_api(&health, REVOKE, &json!({ "uvci": " " }), None).await;
    assert_eq!(resp.status(), 422);
    assert!(store::revoked(&app.state).await.unwrap().is_empty());

    assert_eq!(post_api(&health, REVOKE, &body, None).await.status(), 204);
    let revoked: Vec<String> = store::revoked(&app.state).await.unwrap().into_iter().map(|(u, _)| u).collect();
    assert_eq!(revoked, [issued.uvci.as_str()]);
    let resp = post_api(&health, REVOKE, &body, None).await;
    assert_eq!(resp.status(), 409);
    assert_eq!(problem_type(resp).await, "urn:lionrock:problem:credentials-revoked");
    assert!(holder_records(&app).await[0].revoked);
}
both_backends!(health_officers_revoke_by_uvci);

/// The scope that issues a kind of record revokes it: exemptions with
/// `exemption-issuer`, not with `health-records`.
async fn exemptions_are_revoked_by_the_exemption_issuer(backend: Backend) {
    let app = spawn(backend).await;
    let exempting = app.sign_in_as(&officer(&["exemption-issuer"])).await;
    let issued: Value = post_api(&exempting, RECORDS, &exemption(), None).await.json().await.unwrap();
    let body = json!({ "uvci": issued["uvci"] });

    let health = app.sign_in_as(&health_officer()).await;
    let resp = post_api(&health, REVOKE, &body, None).await;
    assert_eq!(resp.status(), 403, "health-records does not revoke exemptions");
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["type"], "urn:lionrock:problem:credentials-scope-missing");
    assert!(problem["detail"].as_str().unwrap().contains("exemption-issuer"), "{problem}");
    // Nor through the page, which names the scope beside the field.
    let html = health.post_form("/en/officer/credentials/revoke", &[("uvci", issued["uvci"].as_str().unwrap())]).await;
    assert_eq!(html.status(), 422);
    let html = html.text().await.unwrap();
    assert!(html.contains("href=\"#uvci\"") && html.contains("needs the exemption-issuer officer scope"), "{html}");
    assert!(store::revoked(&app.state).await.unwrap().is_empty());

    assert_eq!(post_api(&exempting, REVOKE, &body, None).await.status(), 204, "its own scope revokes it");
    let revoked: Vec<String> = store::revoked(&app.state).await.unwrap().into_iter().map(|(u, _)| u).collect();
    assert_eq!(revoked, [issued["uvci"].as_str().unwrap()]);
}
both_backends!(exemptions_are_revoked_by_the_exemption_issuer);

async fn the_officers_form_issues_and_shows_the_record(backend: Backend) {
    let app = spawn(backend).await;
    let page = "/en/officer/credentials";
    let resident = app.sign_in_as(&platform::testkit::resident_signed_in_now(AccountId(uuid::Uuid::now_v7()))).await;
    assert_eq!(resident.get(page).await.status(), 403);
    assert!(!resident.get("/en/").await.text().await.unwrap().contains("href=\"/en/officer/credentials\""));

    let health = app.sign_in_as(&health_officer()).await;
    let html = health.get("/en/").await.text().await.unwrap();
    assert!(
        html.contains("href=\"/en/officer/credentials\""),
        "the navigation links the page for officers with a scope"
    );
    let html = health.get(page).await.text().await.unwrap();
    assert!(html.contains("?kind=vaccination") && html.contains("?kind=recovery"), "{html}");
    assert!(!html.contains("?kind=exemption"), "no exemption form without the scope");
    assert!(html.contains("name=\"uvci\""), "the revoke form");
    assert_eq!(health.get("/en/officer/credentials?kind=exemption").await.status(), 403);
    let form = health.get("/zh-hk/officer/credentials?kind=vaccination").await;
    assert_eq!(form.status(), 200);
    let form = form.text().await.unwrap();
    assert!(form.contains("記錄疫苗接種") && form.contains("name=\"product\""), "{form}");

    // A wrong form comes back with the error summary, each entry linking its field.
    let mut fields = vec![
        ("kind", "vaccination"),
        ("document_kind", "hkid"),
        ("document_number", "A123456(4)"),
        ("family_name", "Chan"),
        ("given_name", "Tai Man"),
        ("birth_date", "1950-02-03"),
        ("product", "EU/1/20/1528"),
        ("dose_number", "2"),
        ("doses_in_series", "2"),
        ("date", ""),
    ];
    let resp = health.post_form(page, &fields).await;
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(html.contains("class=\"error-summary\""), "{html}");
    assert!(html.contains("href=\"#document_number\"") && html.contains("href=\"#date\""), "{html}");
    assert!(html.contains("check digit is wrong") && html.contains("aria-invalid=\"true\""), "{html}");
    assert!(html.contains("value=\"Tai Man\""), "what was typed is kept");
    assert!(holder_records(&app).await.is_empty());

    // Without the CSRF token, nothing happens.
    fields[2] = ("document_number", "A123456(3)");
    fields[9] = ("date", "2026-11-01");
    assert_eq!(health.post_form_raw(page, &fields).await.status(), 403);
    assert!(holder_records(&app).await.is_empty());

    let resp = health.post_form(page, &fields).await;
    assert_eq!(resp.status(), 303, "POST-redirect-GET");
    let confirmation = resp.headers()["location"].to_str().unwrap().to_owned();
    let records = holder_records(&app).await;
    assert_eq!(records.len(), 1);
    assert_eq!(confirmation, format!("/en/officer/credentials/issued/{}", records[0].id));
    let html = health.get(&confirmation).await.text().await.unwrap();
    let html_again = health.get(&confirmation).await.text().await.unwrap();
    assert_eq!(holder_records(&app).await.len(), 1, "reloading the confirmation issues nothing");
    assert!(html_again.contains(&records[0].uvci));
    // Only the officer who issued it sees the confirmation.
    let other = app.sign_in_as(&health_officer()).await;
    assert_eq!(other.get(&confirmation).await.status(), 404);
    assert!(html.contains(&records[0].uvci), "the confirmation shows the UVCI: {html}");
    assert!(html.contains("<svg") && html.contains("role=\"img\""), "and the QR code");
    let masked = platform::ids::Document::parse("hkid", "A123456(3)", "").unwrap().masked();
    assert!(html.contains(&masked) && !html.contains("A123456(3)"), "and the document, masked: {html}");

    // The revoke form: an unknown UVCI is named in the summary; a known one is revoked.
    let revoke = "/en/officer/credentials/revoke";
    let resp = health.post_form(revoke, &[("uvci", "URN:UVCI:01:HK:NOSUCHRECORD#0")]).await;
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(html.contains("href=\"#uvci\"") && html.contains("No record has this certificate identifier"), "{html}");
    let resp = health.post_form(revoke, &[("uvci", &records[0].uvci)]).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("is revoked"));
    assert!(holder_records(&app).await[0].revoked);
    let html = health.post_form(revoke, &[("uvci", &records[0].uvci)]).await.text().await.unwrap();
    assert!(html.contains("revoked or replaced already"), "{html}");
}
both_backends!(the_officers_form_issues_and_shows_the_record);

async fn the_exemption_form_needs_its_scope(backend: Backend) {
    let app = spawn(backend).await;
    let page = "/en/officer/credentials";
    let fields = [
        ("kind", "exemption"),
        ("document_kind", "hkid"),
        ("document_number", "A123456(3)"),
        ("family_name", "Chan"),
        ("given_name", "Tai Man"),
        ("birth_date", "1950-02-03"),
        ("reason", "medical"),
        ("valid_from", &days_from_today(-30)),
        ("valid_until", &days_from_today(150)),
    ];
    let health = app.sign_in_as(&health_officer()).await;
    assert_eq!(health.post_form(page, &fields).await.status(), 403);
    let exempting = app.sign_in_as(&officer(&["exemption-issuer"])).await;
    let html = exempting.get(page).await.text().await.unwrap();
    assert!(html.contains("?kind=exemption") && !html.contains("?kind=vaccination"), "{html}");
    assert!(html.contains("name=\"uvci\""), "the exemption issuer revokes exemptions");
    let form = exempting.get("/en/officer/credentials?kind=exemption").await.text().await.unwrap();
    assert!(form.contains("name=\"reason\"") && form.contains("name=\"valid_until\""), "{form}");
    let resp = exempting.post_form(page, &fields).await;
    assert_eq!(resp.status(), 303);
    let records = holder_records(&app).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].kind, credentials::records::Kind::Exemption);
    let resp = exempting.post_form("/en/officer/credentials/revoke", &[("uvci", &records[0].uvci)]).await;
    assert_eq!(resp.status(), 200);
    assert!(holder_records(&app).await[0].revoked);
}
both_backends!(the_exemption_form_needs_its_scope);

/// The date `days` from today (`YYYY-MM-DD`).
fn days_from_today(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

/// The served API document names every problem the officers' operations
/// can answer with: their own, and those the platform adds for a session's
/// CSRF check, an Idempotency-Key header and a JSON body.
async fn the_api_document_lists_each_operations_problems(backend: Backend) {
    let app = spawn(backend).await;
    let doc: Value = app.client().get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut expected = vec![
        ErrorKind::CsrfRejected.problem(),
        ErrorKind::IdempotencyKeyInvalid.problem(),
        ErrorKind::IdempotencyKeyReused.problem(),
        ErrorKind::IdempotencyKeyInProgress.problem(),
        platform::idempotency::OUTCOME_UNKNOWN,
        ErrorKind::Validation.problem(),
        ErrorKind::Unauthenticated.problem(),
        CredentialsError::ScopeMissing { scope: "" }.problem(),
    ];
    for (path, own) in [
        ("/api/v1/credentials/records", CredentialsError::NotSignable.problem()),
        ("/api/v1/credentials/records/revoke", CredentialsError::UnknownRecord.problem()),
    ] {
        expected.push(own);
        let responses = &doc["paths"][path]["post"]["responses"];
        for problem in &expected {
            let status = problem.status.as_u16().to_string();
            let types = responses[&status]["x-problem-types"].as_array();
            let listed = types.is_some_and(|t| t.iter().any(|u| u == &problem.type_uri()));
            assert!(listed, "{path}: {} not listed under {status}: {responses}", problem.type_uri());
        }
        expected.pop();
    }
}
both_backends!(the_api_document_lists_each_operations_problems);
