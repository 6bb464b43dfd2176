//! Residents' records page over HTTP: only a resident whose identity was
//! checked sees records, only their own; downloads as PDF and PNG; hiding,
//! showing again and re-issuing through POST forms.
//!
//! Which document a resident holds comes from identity through the platform
//! People contract. Credentials' own tests cannot use identity (no domain
//! depends on another), so they register a test double AT THAT CONTRACT
//! BOUNDARY: `People` below answers for the accounts a test gives a
//! document. The real identity is used in `crates/lionrock/tests/it/records.rs`.

use std::sync::Mutex;

use credentials::records::store;
use platform::both_backends;
use platform::contracts::{BoxFuture, CheckedPerson, Contact, Contracts, Person, PersonId};
use platform::error::AppError;
use platform::ids::Document;
use platform::module::Module;
use platform::principal::{AccountId, IdentityLevel};
use platform::testkit::{Backend, TestApp, TestClient};

use crate::records::{trust, vaccination};
use crate::render::{TempPdf, poppler, read_qr_png, run};

/// The documents identity "checked", by account.
static CHECKED: Mutex<Vec<(AccountId, CheckedPerson)>> = Mutex::new(Vec::new());

/// The test double of identity's People service.
struct People;

impl platform::contracts::People for People {
    fn checked_person<'a>(
        &'a self,
        _: &'a platform::app::AppState,
        account: &'a AccountId,
    ) -> BoxFuture<'a, Result<Option<CheckedPerson>, AppError>> {
        let found = CHECKED.lock().unwrap().iter().find(|(a, _)| a == account).map(|(_, p)| p.clone());
        Box::pin(async move { Ok(found) })
    }

    // Credentials asks only for the holder's checked document.
    fn acts_for<'a>(
        &'a self,
        _: &'a platform::app::AppState,
        _: &'a AccountId,
        _: &'a PersonId,
    ) -> BoxFuture<'a, Result<Option<Person>, AppError>> {
        Box::pin(async { Ok(None) })
    }

    fn people_acted_for<'a>(
        &'a self,
        _: &'a platform::app::AppState,
        _: &'a AccountId,
    ) -> BoxFuture<'a, Result<Vec<Person>, AppError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn contact<'a>(
        &'a self,
        _: &'a platform::app::AppState,
        _: &'a AccountId,
    ) -> BoxFuture<'a, Result<Option<Contact>, AppError>> {
        Box::pin(async { Ok(None) })
    }
}

async fn spawn(backend: Backend) -> TestApp {
    let people = Module {
        contracts: Contracts { people: Some(&People), ..Contracts::default() },
        ..Module::named("test-people")
    };
    TestApp::builder().module(credentials::module()).module(people).backend(backend).spawn().await
}

fn index(app: &TestApp, hkid: &str) -> String {
    Document::parse("hkid", hkid, "").unwrap().index(&app.state.keys)
}

/// A signed-in resident at `level`, holding the HKID `hkid` when given.
async fn resident(app: &TestApp, level: IdentityLevel, hkid: Option<&str>) -> TestClient {
    let mut principal = platform::testkit::resident_signed_in_now(AccountId::new());
    principal.level = level;
    if let Some(hkid) = hkid {
        let document = Document::parse("hkid", hkid, "").unwrap();
        let person = CheckedPerson {
            document_index: document.index(&app.state.keys),
            masked_document: document.masked(),
            document_kind: document.kind().to_owned(),
        };
        CHECKED.lock().unwrap().push((principal.account_id, person));
    }
    app.sign_in_as(&principal).await
}

/// Chan Tai Man (A123456(3)), signed in with his identity checked.
async fn chan(app: &TestApp) -> TestClient {
    resident(app, IdentityLevel::RealName, Some("A123456(3)")).await
}

async fn html(client: &TestClient, path: &str) -> (u16, String) {
    let r = client.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// A test sampled five hours ago, for the same holder.
fn test_request(sampled_at: time::OffsetDateTime) -> credentials::records::Request {
    credentials::records::Request {
        kind: "test".into(),
        product: String::new(),
        dose_number: String::new(),
        doses_in_series: String::new(),
        date: String::new(),
        test_type: "LP6464-4".into(),
        sampled_at: sampled_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
        result: "260415000".into(),
        centre: "Kowloon Park Community Testing Centre".into(),
        ..vaccination()
    }
}

async fn a_resident_sees_their_records_in_their_language(backend: Backend) {
    let app = spawn(backend).await;
    let dose = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let sampled = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::hours(5);
    let test = store::issue(&app.state, "cli", &test_request(sampled)).await.unwrap();
    let other = store::issue(
        &app.state,
        "cli",
        &credentials::records::Request { document_number: "B123456(6)".into(), ..vaccination() },
    )
    .await
    .unwrap();
    // An officer revoked an older one: listed, marked, without its QR code or downloads.
    let revoked =
        store::issue(&app.state, "cli", &credentials::records::Request { dose_number: "1".into(), ..vaccination() })
            .await
            .unwrap();
    store::revoke(&app.state, "account:officer", &revoked.uvci).await.unwrap();
    let client = chan(&app).await;

    let r = client.get("/en/credentials").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-store", "personal data");
    let page = r.text().await.unwrap();
    // Newest first: the test, then the vaccination; each under its own heading.
    let (test_at, dose_at) = (page.find(&test.uvci).unwrap(), page.find(&dose.uvci).unwrap());
    assert!(test_at < dose_at, "newest first");
    assert!(!page.contains(&other.uvci), "another holder's record is not listed");
    for expected in [
        "These records were issued to A123***(3).",
        ">COVID-19 vaccination record</h2>",
        ">COVID-19 test record</h2>",
        "Name: Chan Tai Man",
        "Date of birth: 1950-02-03",
        "Comirnaty (BioNTech), dose 2 of 2, given on 2026-11-01",
        "PCR test, result: not detected (negative)",
        "Issued by Department of Health on ",
        &format!("Certificate identifier: {}", dose.uvci),
        "The QR code is valid until ",
        "role=\"img\" aria-label=\"QR code of the COVID-19 vaccination record issued on ",
        "Show this QR code to be checked.",
    ] {
        assert!(page.contains(expected), "{expected:?} not on the page:\n{page}");
    }
    // The sample time in Hong Kong time.
    let hkt = (sampled + time::Duration::hours(8))
        .format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .unwrap();
    assert!(page.contains(&format!("Sample taken {hkt} HKT at Kowloon Park Community Testing Centre")), "{page}");
    assert_eq!(page.matches("<svg").count(), 2, "one QR code a valid record");
    let revoked_at = page.find(&revoked.uvci).expect("the revoked record is listed");
    assert!(page[revoked_at..].contains("This record was revoked: its QR code no longer passes checks."));
    assert!(!page.contains(&format!("{}.pdf", revoked.id)) && !page.contains(&format!("reissue?id={}", revoked.id)));
    assert!(page.contains(&format!("href=\"/en/credentials/{}.pdf\"", dose.id)));
    assert!(page.contains(&format!("href=\"/en/credentials/{}.png\"", dose.id)));
    assert!(page.contains("href=\"/en/credentials\""), "the navigation links to the records");

    let (status, zh) = html(&client, "/zh-hk/credentials").await;
    assert_eq!(status, 200);
    for expected in [
        "我的健康紀錄",
        "2019冠狀病毒病疫苗接種紀錄",
        "復必泰（BioNTech），第2劑（共2劑），接種日期 2026-11-01",
        "核酸檢測，結果：未檢測到（陰性）",
    ] {
        assert!(zh.contains(expected), "{expected:?} not on the zh-HK page");
    }
    let (_, cn) = html(&client, "/zh-cn/credentials").await;
    assert!(cn.contains("复必泰（BioNTech），第2剂（共2剂），接种日期 2026-11-01"), "{cn}");

    // The landing page offers the service.
    let (_, home) = html(&app.client(), "/en/").await;
    assert!(home.contains("href=\"/en/credentials\"") && home.contains("My health records"), "{home}");
}
both_backends!(a_resident_sees_their_records_in_their_language);

async fn only_a_checked_identity_sees_records(backend: Backend) {
    let app = spawn(backend).await;
    let issued = store::issue(&app.state, "cli", &vaccination()).await.unwrap();

    let anonymous = app.client();
    assert_eq!(anonymous.get("/en/credentials").await.status(), 401);
    assert_eq!(anonymous.get(&format!("/en/credentials/{}.pdf", issued.id)).await.status(), 401);

    // A basic account, and a real-name one identity has no document for:
    // told what to do, not shown a bare refusal.
    for client in [
        resident(&app, IdentityLevel::Basic, Some("A123456(3)")).await,
        resident(&app, IdentityLevel::RealName, None).await,
    ] {
        let (status, page) = html(&client, "/en/credentials").await;
        assert_eq!(status, 403);
        assert!(page.contains("<h1>Your identity must be checked first</h1>"), "{page}");
        assert!(page.contains("bring your Hong Kong identity card or passport to any service counter"), "{page}");
        assert!(page.contains("href=\"/en/account\""));
        assert!(!page.contains(&issued.uvci) && !page.contains("<svg"));
        assert_eq!(client.get(&format!("/en/credentials/{}.png", issued.id)).await.status(), 403);
        let r = client.post_form("/en/credentials/hide", &[("id", &issued.id)]).await;
        assert_eq!(r.status(), 403);
    }
    let (_, zh) = html(&resident(&app, IdentityLevel::Basic, None).await, "/zh-hk/credentials").await;
    assert!(zh.contains("須先核實你的身分"), "{zh}");
    assert!(!store::of_holder(&app.state, &index(&app, "A123456(3)"), false).await.unwrap().is_empty());
}
both_backends!(only_a_checked_identity_sees_records);

async fn another_holders_record_is_not_found(backend: Backend) {
    let app = spawn(backend).await;
    let theirs = store::issue(
        &app.state,
        "cli",
        &credentials::records::Request { document_number: "B123456(6)".into(), ..vaccination() },
    )
    .await
    .unwrap();
    let client = chan(&app).await;
    for path in [
        format!("/en/credentials/{}.pdf", theirs.id),
        format!("/en/credentials/{}.png", theirs.id),
        format!("/en/credentials/reissue?id={}", theirs.id),
        "/en/credentials/not-a-record.pdf".to_owned(),
        format!("/en/credentials/{}.svg", theirs.id),
    ] {
        assert_eq!(client.get(&path).await.status(), 404, "{path}");
    }
    for (path, fields) in [
        ("/en/credentials/hide", vec![("id", theirs.id.as_str())]),
        ("/en/credentials/reissue", vec![("id", theirs.id.as_str()), ("confirm", "yes")]),
    ] {
        assert_eq!(client.post_form(path, &fields).await.status(), 404, "{path}");
    }
    let records = store::of_holder(&app.state, &index(&app, "B123456(6)"), false).await.unwrap();
    assert_eq!(records.len(), 1, "still listed for its holder");
    assert!(!records[0].revoked && !records[0].hidden);
    assert!(store::revoked(&app.state).await.unwrap().is_empty());
}
both_backends!(another_holders_record_is_not_found);

async fn a_record_is_hidden_and_shown_again(backend: Backend) {
    let app = spawn(backend).await;
    let issued = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let client = chan(&app).await;
    let holder = index(&app, "A123456(3)");

    // No state change on GET, nor without the form's CSRF token.
    assert_eq!(client.get("/en/credentials/hide").await.status(), 405);
    let r = client.post_form_raw("/en/credentials/hide", &[("id", &issued.id)]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(store::of_holder(&app.state, &holder, false).await.unwrap().len(), 1);

    let r = client.post_form("/en/credentials/hide", &[("id", &issued.id)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/credentials?done=hidden");
    assert!(store::of_holder(&app.state, &holder, false).await.unwrap().is_empty());
    let (_, page) = html(&client, "/en/credentials?done=hidden").await;
    assert!(page.contains("role=\"status\">The record is hidden."), "{page}");
    assert!(page.contains("There are no records for your identity document yet."));
    let hidden = &page[page.find("<details").expect("a hidden-records disclosure")..];
    assert!(hidden.contains("<summary>Hidden records (1)</summary>"), "{hidden}");
    assert!(hidden.contains(&issued.uvci) && hidden.contains("Show again"));
    assert!(!page.contains("<svg"), "a hidden record shows no QR code");

    let r = client.post_form("/en/credentials/show", &[("id", &issued.id)]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/en/credentials?done=shown".to_owned()));
    let (_, page) = html(&client, "/en/credentials?done=shown").await;
    assert!(page.contains("The record is shown in your list again.") && !page.contains("<details"));
    assert_eq!(page.matches("<svg").count(), 1);

    let audit = platform::audit::verify(app.db(), &app.state.keys, None).await.unwrap();
    assert!(audit.ok);
}
both_backends!(a_record_is_hidden_and_shown_again);

async fn reissuing_asks_first_then_revokes_the_old_code(backend: Backend) {
    let app = spawn(backend).await;
    let old = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let client = chan(&app).await;
    let holder = index(&app, "A123456(3)");

    let (status, page) = html(&client, &format!("/en/credentials/reissue?id={}", old.id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("The old QR code stops working at once"), "{page}");
    assert!(page.contains("type=\"checkbox\" id=\"confirm\" name=\"confirm\" value=\"yes\""));

    // Not confirmed: the page again, with the error, and nothing changed.
    let r = client.post_form("/en/credentials/reissue", &[("id", &old.id)]).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"error-summary\"") && page.contains("Tick the box to confirm"), "{page}");
    assert!(store::revoked(&app.state).await.unwrap().is_empty());

    let r = client.post_form("/en/credentials/reissue", &[("id", &old.id), ("confirm", "yes")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/en/credentials?done=reissued".to_owned()));
    let revoked: Vec<String> = store::revoked(&app.state).await.unwrap().into_iter().map(|(u, _)| u).collect();
    assert_eq!(revoked, vec![old.uvci.clone()], "the old identifier joins the revocation list");
    let records = store::of_holder(&app.state, &holder, true).await.unwrap();
    assert_eq!(records.len(), 1, "the replacement stands for the old record");
    let new = &records[0];
    assert_ne!((new.id.as_str(), new.uvci.as_str()), (old.id.as_str(), old.uvci.as_str()));
    let decoded = hcert::decode(&new.hc1, &trust(&app).await, &hcert::ValueSets::unchecked(), now()).unwrap();
    assert_eq!(decoded.dcc.v.as_ref().unwrap()[0].ci, new.uvci);

    let (_, page) = html(&client, "/en/credentials?done=reissued").await;
    assert!(page.contains("The record was re-issued with a new QR code."), "{page}");
    assert!(page.contains(&new.uvci) && !page.contains(&old.uvci));

    // The old one cannot be re-issued again, nor downloaded as if valid.
    let r = client.post_form("/en/credentials/reissue", &[("id", &old.id), ("confirm", "yes")]).await;
    assert_eq!(r.status(), 409);
    assert_eq!(client.get(&format!("/en/credentials/reissue?id={}", old.id)).await.status(), 409);
    assert_eq!(store::revoked(&app.state).await.unwrap().len(), 1);
}
both_backends!(reissuing_asks_first_then_revokes_the_old_code);

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn downloads_are_private_attachments_whose_codes_scan(backend: Backend) {
    let app = spawn(backend).await;
    let issued = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let client = chan(&app).await;
    let today = app.state.today().to_string();

    let r = client.get(&format!("/zh-hk/credentials/{}.png", issued.id)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "image/png");
    assert_eq!(header(&r, "cache-control"), "no-store");
    assert_eq!(header(&r, "content-disposition"), format!("attachment; filename=\"vaccination-record-{today}.png\""));
    assert_eq!(read_qr_png(&r.bytes().await.unwrap()).text, issued.hc1);

    let r = client.get(&format!("/en/credentials/{}.pdf", issued.id)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/pdf");
    assert_eq!(header(&r, "cache-control"), "no-store");
    assert_eq!(header(&r, "content-disposition"), format!("attachment; filename=\"vaccination-record-{today}.pdf\""));
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    let Some(bin) = poppler() else { return };
    let file = TempPdf::new(&format!("mine-{backend:?}"), &pdf);
    let info = String::from_utf8(run(&bin, "pdfinfo", &[], &file.0)).unwrap();
    assert!(info.contains("Pages:") && info.lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 1")), "{info}");
    assert!(info.contains("(A4)"), "{info}");
    let png = run(&bin, "pdftoppm", &["-r", "300", "-png", "-gray", "-singlefile"], &file.0);
    assert_eq!(read_qr_png(&png).text, issued.hc1, "the PDF's QR code is the record's");
    let text = String::from_utf8(run(&bin, "pdftotext", &["-enc", "UTF-8"], &file.0)).unwrap();
    for expected in [
        "COVID-19 vaccination record",
        "2019冠狀病毒病疫苗接種紀錄",
        "新冠病毒疫苗接种记录",
        "Name: Chan Tai Man",
        "Date of birth: 1950-02-03",
        "Comirnaty (BioNTech), dose 2 of 2, given on 2026-11-01",
        "復必泰（BioNTech），第2劑（共2劑），接種日期 2026-11-01",
        "复必泰（BioNTech），第2剂（共2剂），接种日期 2026-11-01",
        &issued.uvci,
        &format!("Issued by Department of Health on {today}"),
    ] {
        assert!(text.contains(expected), "{expected:?} not in the PDF's text:\n{text}");
    }
}
both_backends!(downloads_are_private_attachments_whose_codes_scan);

/// Runs `sql` (written with `?` placeholders) with `values` on the test database.
async fn execute(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) {
    use sea_orm::ConnectionTrait;
    let backend = app.db().get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            let mut n = 0;
            sql.chars()
                .map(|c| match c {
                    '?' => {
                        n += 1;
                        format!("${n}")
                    }
                    c => c.to_string(),
                })
                .collect()
        }
        _ => sql.to_owned(),
    };
    app.db().execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values)).await.unwrap();
}

/// Rewrites the facts a record's sealed payload holds (as if it had been
/// issued long ago), leaving its expiry column as it was.
async fn rewrite_payload(app: &TestApp, id: &str, change: impl FnOnce(&mut serde_json::Value)) {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use sea_orm::ConnectionTrait;
    let backend = app.db().get_database_backend();
    let select = match backend {
        sea_orm::DatabaseBackend::Postgres => "SELECT payload_sealed FROM credential_record WHERE id = $1",
        _ => "SELECT payload_sealed FROM credential_record WHERE id = ?",
    };
    let row = app
        .db()
        .query_one_raw(sea_orm::Statement::from_sql_and_values(backend, select, [id.into()]))
        .await
        .unwrap()
        .unwrap();
    let sealed: String = row.try_get("", "payload_sealed").unwrap();
    let context = "credentials.record.payload";
    let plain = app.state.keys.open(context, &STANDARD.decode(sealed).unwrap()).unwrap();
    let mut payload: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    change(&mut payload);
    let sealed = STANDARD.encode(app.state.keys.seal(context, &serde_json::to_vec(&payload).unwrap()));
    execute(app, "UPDATE credential_record SET payload_sealed = ? WHERE id = ?", vec![sealed.into(), id.into()]).await;
}

async fn problem_of(r: reqwest::Response) -> (u16, String) {
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn reissuing_keeps_the_records_own_expiry(backend: Backend) {
    let app = spawn(backend).await;
    let client = chan(&app).await;
    let holder = index(&app, "A123456(3)");
    let sampled = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::days(2);
    let test = store::issue(&app.state, "cli", &test_request(sampled)).await.unwrap();
    let until = app.state.today() + time::Duration::days(30);
    let exemption = credentials::records::Request {
        kind: "exemption".into(),
        reason: "medical".into(),
        valid_from: (app.state.today() - time::Duration::days(30)).to_string(),
        valid_until: until.to_string(),
        product: String::new(),
        dose_number: String::new(),
        doses_in_series: String::new(),
        date: String::new(),
        ..vaccination()
    };
    let exempt = store::issue(&app.state, "cli", &exemption).await.unwrap();
    let dose = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let before = store::of_holder(&app.state, &holder, true).await.unwrap();

    for old in [&test, &exempt, &dose] {
        let r = client.post_form("/en/credentials/reissue", &[("id", &old.id), ("confirm", "yes")]).await;
        assert_eq!(r.status(), 303);
        let was = before.iter().find(|r| r.id == old.id).unwrap();
        let records = store::of_holder(&app.state, &holder, true).await.unwrap();
        let new = records.iter().find(|r| r.kind == was.kind).unwrap();
        assert_ne!(new.uvci, old.uvci);
        assert_eq!(new.expires_at, was.expires_at, "a re-issue never outlives the record it replaces");
        let decoded = hcert::decode(&new.hc1, &trust(&app).await, &hcert::ValueSets::unchecked(), now()).unwrap();
        assert_eq!(decoded.claims.expires_at, was.expires_at.unix_timestamp());
    }
    let test_before = before.iter().find(|r| r.id == test.id).unwrap();
    assert_eq!(test_before.expires_at, sampled + credentials::records::TEST_LIFETIME);
}
both_backends!(reissuing_keeps_the_records_own_expiry);

/// Re-issuing starts again from the record's facts: a test whose sample is
/// weeks old, or an exemption whose period has ended, is not re-issued
/// (whatever its row's expiry column says), and nothing is revoked.
async fn records_whose_facts_have_expired_are_not_reissued(backend: Backend) {
    let app = spawn(backend).await;
    let client = chan(&app).await;
    let sampled = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    let test = store::issue(&app.state, "cli", &test_request(sampled)).await.unwrap();
    let exemption = credentials::records::Request {
        kind: "exemption".into(),
        reason: "medical".into(),
        valid_from: (app.state.today() - time::Duration::days(30)).to_string(),
        valid_until: (app.state.today() + time::Duration::days(30)).to_string(),
        product: String::new(),
        dose_number: String::new(),
        doses_in_series: String::new(),
        date: String::new(),
        ..vaccination()
    };
    let exempt = store::issue(&app.state, "cli", &exemption).await.unwrap();
    let weeks_ago = (time::OffsetDateTime::now_utc() - time::Duration::weeks(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    rewrite_payload(&app, &test.id, |p| p["t"][0]["sc"] = weeks_ago.into()).await;
    let last_week = (app.state.today() - time::Duration::days(7)).to_string();
    rewrite_payload(&app, &exempt.id, |p| p["e"][0]["du"] = last_week.into()).await;

    for old in [&test, &exempt] {
        let r = client.post_form("/en/credentials/reissue", &[("id", &old.id), ("confirm", "yes")]).await;
        let (status, page) = problem_of(r).await;
        assert_eq!(status, 409, "{page}");
        assert!(page.contains("Record expired"), "{page}");
    }
    assert!(store::revoked(&app.state).await.unwrap().is_empty(), "nothing revoked");
    assert_eq!(store::of_holder(&app.state, &index(&app, "A123456(3)"), true).await.unwrap().len(), 2);
}
both_backends!(records_whose_facts_have_expired_are_not_reissued);

/// An expired record is listed as expired, without its QR code, downloads
/// or re-issuing; revoked and replaced records are not downloaded either.
async fn only_valid_records_are_downloaded_or_reissued(backend: Backend) {
    let app = spawn(backend).await;
    let client = chan(&app).await;
    let expired = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let an_hour_ago = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    execute(
        &app,
        "UPDATE credential_record SET expires_at = ? WHERE id = ?",
        vec![an_hour_ago.into(), expired.id.clone().into()],
    )
    .await;
    let revoked = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    store::revoke(&app.state, "account:officer", &revoked.uvci).await.unwrap();
    let replaced = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let r = client.post_form("/en/credentials/reissue", &[("id", &replaced.id), ("confirm", "yes")]).await;
    assert_eq!(r.status(), 303);

    let (status, page) = html(&client, "/en/credentials").await;
    assert_eq!(status, 200);
    let at = page.find(&expired.uvci).expect("the expired record is listed");
    let section = &page[page[..at].rfind("<section").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("This record has expired: its QR code no longer passes checks."), "{section}");
    assert!(!section.contains("<svg") && !section.contains(".pdf") && !section.contains("reissue?id="), "{section}");
    assert_eq!(page.matches("<svg").count(), 1, "only the replacement shows a QR code");
    let (_, zh) = html(&client, "/zh-hk/credentials").await;
    assert!(zh.contains("此紀錄已過期"), "{zh}");

    for (record, says) in [(&expired, "Record expired"), (&revoked, "Record revoked"), (&replaced, "Record revoked")] {
        for extension in ["pdf", "png"] {
            let (status, body) =
                problem_of(client.get(&format!("/en/credentials/{}.{extension}", record.id)).await).await;
            assert_eq!(status, 409, "{extension} of {}", record.uvci);
            assert!(body.contains(says), "{body}");
        }
        assert_eq!(client.get(&format!("/en/credentials/reissue?id={}", record.id)).await.status(), 409);
        let r = client.post_form("/en/credentials/reissue", &[("id", &record.id), ("confirm", "yes")]).await;
        assert_eq!(r.status(), 409);
    }
    let revoked_list = store::revoked(&app.state).await.unwrap();
    assert_eq!(revoked_list.len(), 2, "the revoked and the replaced record only: {revoked_list:?}");
}
both_backends!(only_valid_records_are_downloaded_or_reissued);

/// Posts each re-issue form at once (the CSRF token fetched first), and
/// returns each answer's status, in order.
async fn reissue_at_once(client: &TestClient, ids: &[String]) -> Vec<(u16, Option<String>, String)> {
    let token = client.csrf_token().await;
    let mut tasks = tokio::task::JoinSet::new();
    for (i, id) in ids.iter().enumerate() {
        let (client, id, token) = (client.clone(), id.clone(), token.clone());
        tasks.spawn(async move {
            let fields = [("id", id.as_str()), ("confirm", "yes"), (platform::web::CSRF_FIELD, token.as_str())];
            let r = client.post_form_raw("/en/credentials/reissue", &fields).await;
            let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            (i, r.status().as_u16(), retry, r.text().await.unwrap())
        });
    }
    let mut answers = tasks.join_all().await;
    answers.sort_by_key(|a| a.0);
    answers.into_iter().map(|(_, status, retry, body)| (status, retry, body)).collect()
}

/// Every re-issue revokes a UVCI that every verifier then downloads: a
/// holder gets three a day, even when the requests come all at once.
async fn reissues_are_capped_per_holder_even_in_a_burst(backend: Backend) {
    let app = spawn(backend).await;
    let client = chan(&app).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(store::issue(&app.state, "cli", &vaccination()).await.unwrap().id);
    }
    let answers = reissue_at_once(&client, &ids).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3, "{statuses:?}");
    assert_eq!(store::revoked(&app.state).await.unwrap().len(), 3);
    let (_, retry, page) = answers.iter().find(|a| a.0 == 429).unwrap();
    let retry: u32 = retry.as_deref().expect("Retry-After").parse().unwrap();
    assert!(retry > 23 * 3600 && retry <= 24 * 3600, "{retry}");
    assert!(page.contains("id=\"error-summary\""), "{page}");
    assert!(page.contains("You can have at most 3 records re-issued in 24 hours"), "{page}");

    // Later, one at a time: still refused, and nothing changes.
    let left = store::of_holder(&app.state, &index(&app, "A123456(3)"), true).await.unwrap();
    let unreplaced = left.iter().find(|r| !r.revoked).unwrap();
    let r = client.post_form("/en/credentials/reissue", &[("id", &unreplaced.id), ("confirm", "yes")]).await;
    assert_eq!(r.status(), 429);
    assert_eq!(store::revoked(&app.state).await.unwrap().len(), 3);

    // Another holder has their own allowance.
    let other = store::issue(
        &app.state,
        "cli",
        &credentials::records::Request { document_number: "B123456(6)".into(), ..vaccination() },
    )
    .await
    .unwrap();
    let wong = resident(&app, IdentityLevel::RealName, Some("B123456(6)")).await;
    let r = wong.post_form("/en/credentials/reissue", &[("id", &other.id), ("confirm", "yes")]).await;
    assert_eq!(r.status(), 303);
}
both_backends!(reissues_are_capped_per_holder_even_in_a_burst);

/// Two re-issues of one record at once: one replaces it, the other is
/// told it was replaced already; one new record, one revoked UVCI.
async fn two_parallel_reissues_of_one_record_make_one(backend: Backend) {
    let app = spawn(backend).await;
    let client = chan(&app).await;
    let old = store::issue(&app.state, "cli", &vaccination()).await.unwrap();
    let answers = reissue_at_once(&client, &[old.id.clone(), old.id.clone()]).await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409]);
    let revoked: Vec<String> = store::revoked(&app.state).await.unwrap().into_iter().map(|(u, _)| u).collect();
    assert_eq!(revoked, [old.uvci.as_str()]);
    let records = store::of_holder(&app.state, &index(&app, "A123456(3)"), true).await.unwrap();
    assert_eq!(records.len(), 1);
    assert!(!records[0].revoked && records[0].uvci != old.uvci);
}
both_backends!(two_parallel_reissues_of_one_record_make_one);
