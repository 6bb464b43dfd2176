//! Residents' health records across domains, with the real identity and
//! credentials: a resident registers through identity, an officer checks
//! their HKID, credentials issues a record to that HKID, and the resident's
//! records page lists it (over HTTP, and in Chromium with axe-core in the
//! three languages, a PDF download and hiding a record).

use fantoccini::Locator;
use fantoccini::key::Key;
use platform::both_backends;
use platform::principal::{AccountId, Role};
use platform::testkit::browser::Browser;
use platform::testkit::{Backend, TestApp, TestAppBuilder, TestClient};
use sea_orm::{EntityTrait, QueryOrder};

const PASSWORD: &str = "tram harbour kite lantern";
const EMAIL: &str = "chan.tai.man@example.org";

/// Every module, as the binary composes them.
fn every_module() -> TestAppBuilder {
    let mut builder = TestApp::builder();
    for module in lionrock::modules().into_iter().filter(|m| m.name != "platform") {
        builder = builder.module(module);
    }
    builder
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// The 6-digit code in the newest message to `to` (the outbox keeps it).
async fn latest_code(app: &TestApp, to: &str) -> String {
    let mail = platform::outbox::entity::Entity::find()
        .order_by_asc(platform::outbox::entity::Column::CreatedAt)
        .all(app.db())
        .await
        .unwrap();
    let body = &mail.iter().rev().find(|m| m.recipient == to).expect("a message").body;
    body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a code").to_owned()
}

/// Registers through identity's pages and enters the code: the client ends signed in.
async fn registered(app: &TestApp, email: &str) -> TestClient {
    let client = app.client();
    let r = client.post_form("/en/register", &[("email", email), ("password", PASSWORD)]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let verification = location(&r).rsplit('=').next().unwrap().to_owned();
    let code = latest_code(app, email).await;
    let r = client.post_form("/en/verify", &[("v", &verification), ("code", &code)]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/en/account".to_owned()));
    client
}

/// An officer with the verifier scope checks the resident's HKID card.
async fn officer_checks_hkid(app: &TestApp, email: &str) {
    let mut officer = platform::testkit::resident_signed_in_now(AccountId::new());
    officer.roles.push(Role::Officer);
    officer.scopes.push(identity::real_name::VERIFIER_SCOPE.to_owned());
    let officer = app.sign_in_as(&officer).await;
    let fields = [
        ("email", email),
        ("kind", "hkid"),
        ("number", "A123456(3)"),
        ("name", "CHAN Tai Man"),
        ("birthdate", "1950-02-03"),
    ];
    let r = officer.post_form("/en/officer/real-name", &fields).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// A vaccination record issued to the HKID A123456(3).
async fn issue(app: &TestApp, dose: u32) -> credentials::records::store::Issued {
    let request = credentials::records::Request {
        kind: "vaccination".into(),
        document_kind: "hkid".into(),
        document_number: "A123456(3)".into(),
        family_name: "Chan".into(),
        given_name: "Tai Man".into(),
        birth_date: "1950-02-03".into(),
        product: "EU/1/20/1528".into(),
        dose_number: dose.to_string(),
        doses_in_series: "2".into(),
        date: "2026-11-01".into(),
        ..Default::default()
    };
    credentials::records::store::issue(&app.state, "cli", &request).await.unwrap()
}

async fn a_checked_resident_sees_the_records_issued_to_their_hkid(backend: Backend) {
    let app = every_module().backend(backend).spawn().await;
    let resident = registered(&app, EMAIL).await;
    let issued = issue(&app, 2).await;

    // Before the check: told how to get it, no records.
    let r = resident.get("/en/credentials").await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(page.contains("Your identity must be checked first") && !page.contains(&issued.uvci), "{page}");

    officer_checks_hkid(&app, EMAIL).await;
    // The resident's session has the new level at once.
    let r = resident.get("/en/credentials").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("These records were issued to A123***(3)."), "{page}");
    assert!(page.contains(&issued.uvci) && page.contains("Comirnaty (BioNTech), dose 2 of 2"), "{page}");
    assert!(page.contains("href=\"/en/credentials\""), "the navigation offers the records");
    let pdf = resident.get(&format!("/en/credentials/{}.pdf", issued.id)).await;
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));

    // Someone else, checked with another document, sees none of them.
    let other = registered(&app, "someone.else@example.org").await;
    let mut officer = platform::testkit::resident_signed_in_now(AccountId::new());
    officer.roles.push(Role::Officer);
    officer.scopes.push(identity::real_name::VERIFIER_SCOPE.to_owned());
    let fields = [
        ("email", "someone.else@example.org"),
        ("kind", "hkid"),
        ("number", "B123456(6)"),
        ("name", "LEE Siu Ming"),
        ("birthdate", "1990-01-01"),
    ];
    assert_eq!(app.sign_in_as(&officer).await.post_form("/en/officer/real-name", &fields).await.status(), 200);
    let page = other.get("/en/credentials").await.text().await.unwrap();
    assert!(page.contains("There are no records for your identity document yet.") && !page.contains(&issued.uvci));
    assert_eq!(other.get(&format!("/en/credentials/{}.pdf", issued.id)).await.status(), 404);
}
both_backends!(a_checked_resident_sees_the_records_issued_to_their_hkid);

fn url_of(s: &str) -> url::Url {
    s.parse().unwrap()
}

async fn the_records_page_works_in_a_browser(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = every_module().backend(backend).spawn().await;
    registered(&app, EMAIL).await;
    officer_checks_hkid(&app, EMAIL).await;
    let first = issue(&app, 1).await;
    let second = issue(&app, 2).await;

    // Sign in through identity's page, as the resident would.
    browser.goto(&app.url("/en/sign-in")).await;
    browser.client.find(Locator::Id("email")).await.unwrap().send_keys(EMAIL).await.unwrap();
    let password = browser.client.find(Locator::Id("password")).await.unwrap();
    password.send_keys(&format!("{PASSWORD}{}", Key::Enter)).await.unwrap();
    browser.check("signed-in", browser.client.wait().for_url(&url_of(&app.url("/en/account")))).await;

    for lang in ["en", "zh-hk", "zh-cn"] {
        browser.goto(&app.url(&format!("/{lang}/credentials"))).await;
        let heading = browser.text("h1").await.unwrap();
        assert!(["My health records", "我的健康紀錄", "我的健康记录"].contains(&heading.as_str()), "{heading}");
        browser.assert_accessible(&format!("credentials-mine-{lang}")).await;
    }

    // The PDF link downloads a PDF (fetched in the page, with its session).
    browser.goto(&app.url("/en/credentials")).await;
    let fetched = browser
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               const link = document.querySelector('a[data-download="pdf"]');
               fetch(link.href).then(async r => {
                 const bytes = new Uint8Array(await r.arrayBuffer());
                 done([r.status, r.headers.get('content-type'), r.headers.get('content-disposition'),
                       String.fromCharCode(...bytes.slice(0, 5))]);
               }).catch(e => done([0, String(e), '', '']));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fetched[0], 200, "{fetched}");
    assert_eq!(fetched[1], "application/pdf");
    assert!(fetched[2].as_str().unwrap().starts_with("attachment; filename="), "{fetched}");
    assert_eq!(fetched[3], "%PDF-");

    // Hide the newest record: it moves under "Hidden records".
    let hide = format!("section[data-record='{}'] button[data-hide]", second.id);
    browser.client.find(Locator::Css(&hide)).await.unwrap().click().await.unwrap();
    browser
        .check("hidden-notice", browser.client.wait().for_url(&url_of(&app.url("/en/credentials?done=hidden"))))
        .await;
    let placed = browser
        .client
        .execute(
            "return [document.querySelector(`details[data-hidden-records] section[data-record='${arguments[0]}']`) !== null, \
                     document.querySelectorAll('details[data-hidden-records] section').length, \
                     document.querySelector(`section[data-record='${arguments[1]}']`).closest('details') === null, \
                     document.querySelector('[role=status]').textContent]",
            vec![second.id.clone().into(), first.id.clone().into()],
        )
        .await
        .unwrap();
    assert_eq!(placed[0], true, "the hidden record is under hidden records: {placed}");
    assert_eq!(placed[1], 1);
    assert_eq!(placed[2], true, "the other record stays in the list");
    assert!(placed[3].as_str().unwrap().contains("The record is hidden."), "{placed}");
    browser.assert_accessible("credentials-mine-hidden").await;

    // The re-issue confirmation, in its error state.
    browser.goto(&app.url(&format!("/zh-hk/credentials/reissue?id={}", first.id))).await;
    browser.assert_accessible("credentials-reissue-zh-hk").await;
    browser.client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.check("reissue-errors", browser.client.wait().for_element(Locator::Id("error-summary"))).await;
    browser.assert_accessible("credentials-reissue-errors").await;
    browser.close().await;
}
both_backends!(the_records_page_works_in_a_browser);
