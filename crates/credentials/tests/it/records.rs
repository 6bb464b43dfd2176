//! Issuing records: checked, signed by the document signer that the trust
//! list publishes, sealed at rest, found by the holder's document, hidden,
//! re-issued and revoked.

use credentials::records::store;
use credentials::records::{Kind, Request};
use platform::both_backends;
use platform::keys::{self, Purpose};
use platform::testkit::{Backend, TestApp};
use sea_orm::{ConnectionTrait, Statement};

pub fn vaccination() -> Request {
    Request {
        kind: "vaccination".into(),
        document_kind: "hkid".into(),
        document_number: "A123456(3)".into(),
        family_name: "Chan".into(),
        given_name: "Tai Man".into(),
        birth_date: "1950-02-03".into(),
        product: "EU/1/20/1528".into(),
        dose_number: "2".into(),
        doses_in_series: "2".into(),
        date: "2026-11-01".into(),
        ..Request::default()
    }
}

pub async fn spawn(backend: Backend) -> TestApp {
    TestApp::builder().module(credentials::module()).backend(backend).spawn().await
}

/// The trust list a foreign verifier would build from our published signers.
pub async fn trust(app: &TestApp) -> hcert::TrustList {
    let mut trust = hcert::TrustList::new();
    for cert in keys::certificates(app.db(), Purpose::DccDsc).await.unwrap() {
        trust.add_certificate(&cert.der).unwrap();
    }
    trust
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn index(app: &TestApp, number: &str) -> String {
    platform::ids::Document::parse("hkid", number, "").unwrap().index(&app.state.keys)
}

async fn an_issued_record_verifies_with_the_published_signer(backend: Backend) {
    let app = spawn(backend).await;
    let issued = store::issue(&app.state, "account:officer", &vaccination()).await.unwrap();
    assert!(credentials::records::uvci_is_well_formed(&issued.uvci), "{}", issued.uvci);
    let credential = hcert::decode(&issued.hc1, &trust(&app).await, &hcert::ValueSets::unchecked(), now()).unwrap();
    assert_eq!(credential.claims.issuer.as_deref(), Some("HK"));
    let v = &credential.dcc.v.as_ref().unwrap()[0];
    assert_eq!((v.ci.as_str(), v.dn, v.sd, v.is.as_str()), (issued.uvci.as_str(), 2, 2, "Department of Health"));
    assert_eq!(credential.dcc.nam.gnt.as_deref(), Some("TAI<MAN"));

    // Sealed at rest: neither the name nor the HC1 text is in the row.
    let row = app
        .db()
        .query_one_raw(Statement::from_string(
            app.db().get_database_backend(),
            "SELECT payload_sealed, hc1_sealed, holder_index FROM credential_record",
        ))
        .await
        .unwrap()
        .unwrap();
    let sealed: String = row.try_get("", "payload_sealed").unwrap();
    let hc1_sealed: String = row.try_get("", "hc1_sealed").unwrap();
    assert!(!sealed.contains("Chan") && !hc1_sealed.contains("HC1:"));

    let records = store::of_holder(&app.state, &index(&app, "A123456(3)"), false).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].kind, records[0].hc1.as_str()), (Kind::Vaccination, issued.hc1.as_str()));
    assert!(store::of_holder(&app.state, &index(&app, "B123456(6)"), true).await.unwrap().is_empty());
}
both_backends!(an_issued_record_verifies_with_the_published_signer);

async fn a_bad_request_names_every_field_and_stores_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let request = Request { document_number: "A123456(4)".into(), product: "nope".into(), ..vaccination() };
    let err = store::issue(&app.state, "cli", &request).await.err().unwrap();
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["/document_number", "/product"]);
    assert!(store::of_holder(&app.state, &index(&app, "A123456(3)"), true).await.unwrap().is_empty());
}
both_backends!(a_bad_request_names_every_field_and_stores_nothing);

async fn holders_hide_and_reissue_and_officers_revoke(backend: Backend) {
    let app = spawn(backend).await;
    let holder = index(&app, "A123456(3)");
    let first = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let test = Request {
        kind: "test".into(),
        test_type: "LP6464-4".into(),
        sampled_at: (time::OffsetDateTime::now_utc() - time::Duration::hours(20))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
        result: "260415000".into(),
        centre: "Kowloon Park Community Testing Centre".into(),
        ..vaccination()
    };
    let second = store::issue(&app.state, "cli", &test).await.unwrap();

    store::set_hidden(&app.state, "account:a", &holder, &first.id, true).await.unwrap();
    let shown: Vec<String> =
        store::of_holder(&app.state, &holder, false).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(shown, [second.id.as_str()]);
    assert_eq!(store::of_holder(&app.state, &holder, true).await.unwrap().len(), 2);
    // Only the holder's own records.
    let other = index(&app, "B123456(6)");
    assert!(store::set_hidden(&app.state, "account:b", &other, &second.id, true).await.is_err());
    store::set_hidden(&app.state, "account:a", &holder, &first.id, false).await.unwrap();

    let again = store::reissue(&app.state, "account:a", &holder, &first.id).await.unwrap();
    assert_ne!(again.uvci, first.uvci);
    let records = store::of_holder(&app.state, &holder, true).await.unwrap();
    assert_eq!(records.len(), 2, "the replaced record is left out");
    let revoked: Vec<String> = store::revoked(&app.state).await.unwrap().into_iter().map(|(u, _)| u).collect();
    assert_eq!(revoked, [first.uvci.as_str()]);
    assert!(store::reissue(&app.state, "account:a", &holder, &first.id).await.is_err(), "once only");
    let credential = hcert::decode(&again.hc1, &trust(&app).await, &hcert::ValueSets::unchecked(), now()).unwrap();
    assert_eq!(credential.dcc.v.unwrap()[0].ci, again.uvci);

    store::revoke(&app.state, "account:officer", &second.uvci).await.unwrap();
    assert!(store::revoke(&app.state, "account:officer", &second.uvci).await.is_err());
    assert_eq!(store::revoked(&app.state).await.unwrap().len(), 2);
}
both_backends!(holders_hide_and_reissue_and_officers_revoke);

/// Another domain (booking, on attendance) asks through the platform's
/// health-records service; the record is issued like an officer's.
async fn other_domains_issue_through_the_platform_contract(backend: Backend) {
    use platform::contracts::{HealthEvent, HealthEventKind};
    let app = spawn(backend).await;
    let service = app.state.contracts.health_records().expect("credentials offers health records");
    let event = HealthEvent {
        document: platform::ids::Document::parse("hkid", "A123456(3)", "").unwrap(),
        family_name: "Chan".into(),
        given_name: "Tai Man".into(),
        birthdate: "1950-02-03".into(),
        kind: HealthEventKind::Vaccination {
            product: "CoronaVac".into(),
            dose: 1,
            doses_in_series: 2,
            date: "2026-11-29".into(),
        },
        actor: "booking:0193".into(),
    };
    let uvci = service.issue(&app.state, event.clone()).await.unwrap();
    let records = store::of_holder(&app.state, &index(&app, "A123456(3)"), false).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].uvci, uvci);
    assert_eq!(records[0].dcc.v.as_ref().unwrap()[0].mp, "CoronaVac");
    let bad = HealthEvent {
        kind: HealthEventKind::Vaccination {
            product: "nope".into(),
            dose: 1,
            doses_in_series: 2,
            date: "2026-11-29".into(),
        },
        ..event
    };
    assert_eq!(service.issue(&app.state, bad).await.err().unwrap().fields[0].field, "/product");
}
both_backends!(other_domains_issue_through_the_platform_contract);

/// Records are deleted `retention_days` after their credential expired,
/// by the module's periodic job; younger ones stay.
async fn expired_records_are_deleted_after_the_retention_period(backend: Backend) {
    let app = spawn(backend).await;
    let old = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let young = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    app.db()
        .execute_raw(Statement::from_sql_and_values(
            app.db().get_database_backend(),
            match app.db().get_database_backend() {
                sea_orm::DatabaseBackend::Postgres => "UPDATE credential_record SET expires_at = $1 WHERE id = $2",
                _ => "UPDATE credential_record SET expires_at = ? WHERE id = ?",
            },
            [(time::OffsetDateTime::now_utc() - time::Duration::days(731)).into(), old.id.clone().into()],
        ))
        .await
        .unwrap();
    app.state.run_jobs().await;
    let left: Vec<String> = store::of_holder(&app.state, &index(&app, "A123456(3)"), true)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, [young.id.as_str()]);
}
both_backends!(expired_records_are_deleted_after_the_retention_period);
