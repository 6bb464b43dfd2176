//! Signing in for a service in a real browser, from the service's authorize
//! link to its callback. Browsers apply the page's CSP `form-action` to the
//! redirects that follow a form's POST, so every form that can end at the
//! service must allow the service's origin (and only that).

use fantoccini::Locator;
use platform::testkit::browser::Browser;

use crate::support::*;
use platform::both_backends;
use platform::testkit::{Backend, TestApp};

/// A relying party's callback on its own origin (another port), answering
/// every GET so the browser shows where it landed.
async fn callback_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let router = axum::Router::new()
        .route("/callback", axum::routing::get(|| async { "The service received the sign-in." }))
        .route("/bye", axum::routing::get(|| async { "The service saw you sign out." }))
        .route("/logout-form", axum::routing::get(logout_form));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("{base}/callback"), task)
}

/// The service's own page with a sign-out button that posts its logout
/// request to lionrock (`?to=` the endpoint, the rest hidden fields).
async fn logout_form(
    axum::extract::Query(q): axum::extract::Query<std::collections::BTreeMap<String, String>>,
) -> axum::response::Html<String> {
    let esc = |s: &str| s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    let fields: String = q
        .iter()
        .filter(|(k, _)| *k != "to")
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", esc(k), esc(v)))
        .collect();
    axum::response::Html(format!(
        "<!doctype html><title>Harbour Library</title><form method=\"post\" action=\"{}\">{fields}\
         <button id=\"rp-sign-out\">Sign out</button></form>",
        esc(&q["to"])
    ))
}

fn authorize(client_id: &str, redirect_uri: &str) -> String {
    let redirect: String = url::form_urlencoded::byte_serialize(redirect_uri.as_bytes()).collect();
    format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={redirect}&scope=openid&state=st4te&nonce=n0nce"
    )
}

async fn lands_on_the_service(browser: &Browser, name: &str, callback: &str) {
    let url = browser
        .check(name, async {
            browser
                .client
                .wait()
                .for_element(Locator::XPath("//*[contains(., 'The service received the sign-in.')]"))
                .await?;
            browser.client.current_url().await
        })
        .await;
    assert!(url.as_str().starts_with(callback), "{url}");
    assert!(url.query_pairs().any(|(k, _)| k == "code"), "a code came back: {url}");
    assert!(url.query_pairs().any(|(k, v)| k == "state" && v == "st4te"), "{url}");
}

async fn sign_in_on_the_page(browser: &Browser, email: &str) {
    browser.check("sign-in-page", browser.client.wait().for_element(Locator::Id("password"))).await;
    browser.client.find(Locator::Id("email")).await.unwrap().send_keys(email).await.unwrap();
    browser.client.find(Locator::Id("password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    browser.client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
}

async fn signing_in_for_a_service_ends_at_its_callback_first_and_remembered_consent(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = app().backend(backend).spawn().await;
    registered(&app, "rp-browser@example.org").await;
    let (callback, _server) = callback_server().await;
    let client = service(&app, "Harbour Library", &callback, &[]).await;

    // First time: sign in, then the consent form, whose POST ends at the service.
    browser.goto(&app.url(&authorize(&client.client_id, &callback))).await;
    sign_in_on_the_page(&browser, "rp-browser@example.org").await;
    browser.check("consent-page", browser.client.wait().for_element(Locator::Css("button[value=allow]"))).await;
    browser.client.find(Locator::Css("button[value=allow]")).await.unwrap().click().await.unwrap();
    lands_on_the_service(&browser, "after-consent", &callback).await;

    // Consent remembered: the sign-in form's POST itself ends at the service.
    browser.client.delete_all_cookies().await.unwrap();
    browser.goto(&app.url(&authorize(&client.client_id, &callback))).await;
    sign_in_on_the_page(&browser, "rp-browser@example.org").await;
    lands_on_the_service(&browser, "after-sign-in", &callback).await;
}
both_backends!(signing_in_for_a_service_ends_at_its_callback_first_and_remembered_consent);

async fn the_second_step_and_a_passkey_also_end_at_the_service(backend: Backend) {
    use fantoccini::key::Key;
    let Some(browser) = Browser::start().await else { return };
    browser.add_virtual_authenticator().await;
    let app = app().backend(backend).spawn().await;
    // Passkeys need a host name: the provider is localhost, the service 127.0.0.1.
    let base = format!("http://localhost:{}", app.addr.port());
    let (callback, _server) = callback_server().await;
    let client = service(&app, "Harbour Library", &callback, &[]).await;

    // Two-step verification on (by HTTP), then the browser's sign-in for the
    // service: password, then a recovery code on the second-step page,
    // whose POST (consent not yet given) leads to the consent form.
    let resident = registered(&app, "rp-two-step@example.org").await;
    let (_, recovery_codes, _) = crate::two_step::enrol(&app, &resident).await;
    browser.goto(&format!("{base}{}", authorize(&client.client_id, &callback))).await;
    sign_in_on_the_page(&browser, "rp-two-step@example.org").await;
    let code = browser.check("second-step-page", browser.client.wait().for_element(Locator::Id("code"))).await;
    code.send_keys(&format!("{}{}", recovery_codes[0], Key::Enter)).await.unwrap();
    browser.check("consent-page", browser.client.wait().for_element(Locator::Css("button[value=allow]"))).await;
    browser.client.find(Locator::Css("button[value=allow]")).await.unwrap().click().await.unwrap();
    lands_on_the_service(&browser, "after-second-step", &callback).await;
    // Consent given: now the second step's own POST ends at the service.
    browser.goto(&format!("{base}/en/")).await;
    browser.client.delete_all_cookies().await.unwrap();
    browser.goto(&format!("{base}{}", authorize(&client.client_id, &callback))).await;
    sign_in_on_the_page(&browser, "rp-two-step@example.org").await;
    let code = browser.check("second-step-again", browser.client.wait().for_element(Locator::Id("code"))).await;
    code.send_keys(&format!("{}{}", recovery_codes[1], Key::Enter)).await.unwrap();
    lands_on_the_service(&browser, "after-second-step-consented", &callback).await;

    // A passkey: added while signed in, then used on the sign-in page of the
    // service's next authorization; the passkey form's POST ends at the service.
    identity::accounts::store::create_user(&app.state, "rp-passkey@example.org", PASSWORD, false, vec![])
        .await
        .unwrap();
    // (Cookies are deleted for the page's own host: go back to the provider first.)
    browser.goto(&format!("{base}/en/")).await;
    browser.client.delete_all_cookies().await.unwrap();
    browser.goto(&format!("{base}/en/sign-in")).await;
    sign_in_on_the_page(&browser, "rp-passkey@example.org").await;
    browser.check("signed-in", browser.client.wait().for_url(&url_of(&format!("{base}/en/account")))).await;
    browser.goto(&format!("{base}/en/account/passkeys")).await;
    browser.client.find(Locator::Id("name")).await.unwrap().send_keys("Laptop").await.unwrap();
    browser.client.find(Locator::Css("form[data-passkey] button")).await.unwrap().click().await.unwrap();
    browser.check("passkey-added", browser.client.wait().for_element(Locator::Css("p.notice"))).await;
    // Its consent given once already (by the password, here), so the passkey's POST goes straight back.
    browser.goto(&format!("{base}{}", authorize(&client.client_id, &callback))).await;
    browser.check("consent-again", browser.client.wait().for_element(Locator::Css("button[value=allow]"))).await;
    browser.client.find(Locator::Css("button[value=allow]")).await.unwrap().click().await.unwrap();
    lands_on_the_service(&browser, "consent-by-password-account", &callback).await;
    browser.goto(&format!("{base}/en/")).await;
    browser.client.delete_all_cookies().await.unwrap();
    browser.goto(&format!("{base}{}", authorize(&client.client_id, &callback))).await;
    let button = browser.check("passkey-button", browser.client.wait().for_element(Locator::Id("passkey"))).await;
    button.click().await.unwrap();
    lands_on_the_service(&browser, "after-passkey", &callback).await;
    browser.close().await;
}
both_backends!(the_second_step_and_a_passkey_also_end_at_the_service);

/// RP-initiated logout without an ID token hint: lionrock asks, and the
/// confirmation form's POST ends at the service's registered post-logout
/// address, which the page's `form-action` must allow.
async fn signing_out_from_a_service_confirms_then_ends_at_the_service(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = app().backend(backend).spawn().await;
    registered(&app, "rp-logout@example.org").await;
    let (callback, _server) = callback_server().await;
    let bye = callback.replace("/callback", "/bye");
    let client = library_with_sign_out(&app, &callback, &bye).await;
    browser.goto(&app.url("/en/sign-in")).await;
    sign_in_on_the_page(&browser, "rp-logout@example.org").await;
    browser.check("signed-in", browser.client.wait().for_url(&url_of(&app.url("/en/account")))).await;

    let target: String = url::form_urlencoded::byte_serialize(bye.as_bytes()).collect();
    browser
        .goto(&app.url(&format!(
            "/oauth/logout?client_id={}&post_logout_redirect_uri={target}&state=st4te",
            client.client_id
        )))
        .await;
    let button = browser
        .check("confirm-page", browser.client.wait().for_element(Locator::Css("form button[type=submit]")))
        .await;
    browser.assert_accessible("logout-confirm").await;
    button.click().await.unwrap();
    lands_signed_out(&browser, &app, &bye, "st4te").await;
    browser.close().await;
}
both_backends!(signing_out_from_a_service_confirms_then_ends_at_the_service);

/// A service may post its logout request from its own site (RP-Initiated
/// Logout §2). That POST carries none of lionrock's SameSite=Lax cookies,
/// so it goes on as a GET, which sees the session and asks; the service is
/// served from `localhost`, another site than lionrock's `127.0.0.1`.
async fn a_service_may_post_its_logout_request_from_its_own_site(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = app().backend(backend).spawn().await;
    registered(&app, "rp-post-logout@example.org").await;
    let (callback, _server) = callback_server().await;
    let callback = callback.replace("127.0.0.1", "localhost");
    let bye = callback.replace("/callback", "/bye");
    let client = library_with_sign_out(&app, &callback, &bye).await;
    assert!(app.url("/").contains("127.0.0.1"), "lionrock and the service are on different sites");
    browser.goto(&app.url("/en/sign-in")).await;
    sign_in_on_the_page(&browser, "rp-post-logout@example.org").await;
    browser.check("signed-in", browser.client.wait().for_url(&url_of(&app.url("/en/account")))).await;

    let form: String = url::form_urlencoded::Serializer::new(callback.replace("/callback", "/logout-form?"))
        .extend_pairs([
            ("to", app.url("/oauth/logout").as_str()),
            ("client_id", client.client_id.as_str()),
            ("post_logout_redirect_uri", bye.as_str()),
            ("state", "p0st"),
        ])
        .finish();
    browser.goto(&form.replacen("?&", "?", 1)).await;
    let button = browser.check("service-page", browser.client.wait().for_element(Locator::Id("rp-sign-out"))).await;
    button.click().await.unwrap();
    // Signed in still: lionrock saw the session, so it asks.
    let confirm = browser
        .check("confirm-page", browser.client.wait().for_element(Locator::Css("form button[type=submit]")))
        .await;
    confirm.click().await.unwrap();
    lands_signed_out(&browser, &app, &bye, "p0st").await;
    browser.close().await;
}
both_backends!(a_service_may_post_its_logout_request_from_its_own_site);

/// After the confirmation: the browser ends at the service's post-logout
/// address `bye` with its `state`, and lionrock has signed it out.
async fn lands_signed_out(browser: &Browser, app: &TestApp, bye: &str, state: &str) {
    let url = browser
        .check("after-sign-out", async {
            browser
                .client
                .wait()
                .for_element(Locator::XPath("//*[contains(., 'The service saw you sign out.')]"))
                .await?;
            browser.client.current_url().await
        })
        .await;
    assert!(url.as_str().starts_with(bye), "{url}");
    assert!(url.query_pairs().any(|(k, v)| k == "state" && v == state), "{url}");
    browser.goto(&app.url("/en/account")).await;
    let heading = browser.check("account-page", browser.text("h1")).await;
    assert!(browser.client.find(Locator::Css("form[action='/en/sign-out']")).await.is_err(), "signed out: {heading}");
}

/// A relying party with a post-logout address, as the sign-out tests need.
async fn library_with_sign_out(app: &TestApp, callback: &str, bye: &str) -> identity::oidc::CreatedClient {
    identity::oidc::create_client(
        &app.state,
        identity::oidc::NewClient {
            name: "Harbour Library".to_owned(),
            redirect_uris: vec![callback.to_owned()],
            post_logout_redirect_uris: vec![bye.to_owned()],
            scopes: vec![],
            public: false,
            jwks: None,
            rs256: false,
            pairwise: false,
        },
    )
    .await
    .unwrap()
}

fn url_of(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

/// Gives the service consent once, over HTTP, for the signed-in `client`.
async fn consent_over_http(client: &platform::testkit::TestClient, authorize: &str) {
    let html = client.get(authorize).await.text().await.unwrap();
    let hidden: Vec<(String, String)> = html
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|s| {
            let (name, rest) = s.split_once('"')?;
            let value = rest.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), value.replace("&#38;", "&").replace("&amp;", "&")))
        })
        .filter(|(n, _)| n != "_csrf")
        .collect();
    let mut fields: Vec<(&str, &str)> = hidden.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    fields.push(("decision", "allow"));
    assert_eq!(client.post_form("/oauth/authorize/consent", &fields).await.status(), 303);
}

/// "Sign in with the app" from the service's sign-in: the waiting page polls,
/// submits itself once the phone (an HTTP client here) picks the number it
/// shows, and its form's redirects end at the service. The approval page,
/// shown in the browser afterwards, passes axe too.
async fn signing_in_with_the_app_ends_at_the_service(backend: Backend) {
    let Some(browser) = Browser::start().await else { return };
    let app = app().backend(backend).spawn().await;
    let phone = registered(&app, "rp-app@example.org").await;
    let (callback, _server) = callback_server().await;
    let client = service(&app, "Harbour Library", &callback, &[]).await;
    consent_over_http(&phone, &authorize(&client.client_id, &callback)).await;

    browser.goto(&app.url(&authorize(&client.client_id, &callback))).await;
    let link = browser
        .check("sign-in-page", browser.client.wait().for_element(Locator::Css("a[href^='/en/sign-in/app?next=']")))
        .await;
    link.click().await.unwrap();
    let number = browser.check("waiting-page", browser.client.wait().for_element(Locator::Css("[data-number]"))).await;
    let number = number.text().await.unwrap();
    browser.assert_accessible("app-sign-in-waiting").await;
    let approve = browser.client.find(Locator::Css("a.break-anywhere")).await.unwrap().attr("href").await.unwrap();
    let code = approve.unwrap().split("?c=").nth(1).unwrap().to_owned();

    let r = phone
        .post_form("/en/sign-in/approve", &[("c", code.as_str()), ("decision", "approve"), ("number", &number)])
        .await;
    assert_eq!(r.status(), 200);
    lands_on_the_service(&browser, "after-app-sign-in", &callback).await;

    // The browser is now signed in: the approval page for another request, and its error, are accessible.
    let other = app.client();
    let w = crate::app_sign_in::start_at(&other, "/en/sign-in/app").await;
    browser.goto(&app.url(&format!("/en/sign-in/approve?c={}", w.code))).await;
    browser.check("approve-page", browser.client.wait().for_element(Locator::Css("button[name=number]"))).await;
    browser.assert_accessible("app-sign-in-approve").await;
    let wrong = format!("button[name=number]:not([value='{}'])", w.number);
    browser.client.find(Locator::Css(&wrong)).await.unwrap().click().await.unwrap();
    // One wrong pick refuses the request, and says so.
    let refused =
        browser.check("approve-page-wrong", browser.client.wait().for_element(Locator::Css("p[role=status]"))).await;
    assert!(refused.text().await.unwrap().contains("The sign-in was refused"));
    browser.assert_accessible("app-sign-in-refused").await;
    browser.close().await;
}
both_backends!(signing_in_with_the_app_ends_at_the_service);
