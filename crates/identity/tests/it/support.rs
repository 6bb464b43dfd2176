//! Stories for identity tests: register, read the code from the outbox, verify.

use platform::outbox::entity;
use platform::testkit::{Backend, TestApp, TestAppBuilder, TestClient};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

pub const PASSWORD: &str = "tram harbour kite lantern";

pub fn app() -> TestAppBuilder {
    TestApp::builder().module(identity::module())
}

pub async fn spawn(backend: Backend) -> TestApp {
    app().backend(backend).spawn().await
}

/// Messages sent to `to`, oldest first.
pub async fn mail_to(app: &TestApp, to: &str) -> Vec<entity::Model> {
    entity::Entity::find()
        .order_by_asc(entity::Column::CreatedAt)
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient == to)
        .collect()
}

/// The 6-digit code in the newest message to `to`.
pub async fn latest_code(app: &TestApp, to: &str) -> String {
    let mail = mail_to(app, to).await;
    let body = &mail.last().expect("a message").body;
    body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a code").to_owned()
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Posts the registration form; returns the verification ID it leads to.
pub async fn register(client: &TestClient, lang: &str, email: &str) -> String {
    let r = client.post_form(&format!("/{lang}/register"), &[("email", email), ("password", PASSWORD)]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let loc = location(&r);
    assert!(loc.starts_with(&format!("/{lang}/verify?v=")), "{loc}");
    loc.rsplit('=').next().unwrap().to_owned()
}

pub async fn enter_code(client: &TestClient, verification: &str, code: &str) -> reqwest::Response {
    client.post_form("/en/verify", &[("v", verification), ("code", code)]).await
}

/// Registers and verifies: the client ends signed in.
pub async fn registered(app: &TestApp, email: &str) -> TestClient {
    let client = app.client();
    let v = register(&client, "en", email).await;
    let code = latest_code(app, email).await;
    let r = enter_code(&client, &v, &code).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/en/account");
    client
}

pub async fn sign_in(client: &TestClient, email: &str, password: &str) -> reqwest::Response {
    client.post_form("/en/sign-in", &[("email", email), ("password", password)]).await
}

/// Registers a confidential relying party with one redirect URI.
pub async fn service(app: &TestApp, name: &str, redirect_uri: &str, scopes: &[&str]) -> identity::oidc::CreatedClient {
    identity::oidc::create_client(
        &app.state,
        identity::oidc::NewClient {
            name: name.to_owned(),
            redirect_uris: vec![redirect_uri.to_owned()],
            post_logout_redirect_uris: vec![],
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            public: false,
            jwks: None,
            rs256: false,
            pairwise: false,
        },
    )
    .await
    .unwrap()
}

/// The payload of the ID token in a token response (its signature is checked elsewhere).
pub fn id_token_claims(tokens: &serde_json::Value) -> serde_json::Value {
    use base64::Engine;
    let payload = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The pending authorization request's ID in a page's form (consent,
/// account choice, step-up): the only part of the request a form carries.
pub fn pending_in(html: &str) -> String {
    let at = html.find("name=\"pending\" value=\"").expect("a pending request in the form") + 22;
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

/// Answers the consent page `html`: its pending request, the decision and
/// the profile fields ticked.
pub async fn decide(client: &TestClient, html: &str, decision: &str, fields: &[&str]) -> reqwest::Response {
    let pending = pending_in(html);
    let mut form = vec![("pending", pending.as_str()), ("decision", decision)];
    form.extend(fields.iter().map(|f| ("field", *f)));
    client.post_form("/oauth/authorize/consent", &form).await
}

/// The first column of the first row `sql` returns, as a number (`COUNT(*)`).
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.db();
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    row.expect("a row").try_get_by_index::<i64>(0).unwrap()
}

/// An officer checks the identity card of the account with `email`.
pub async fn verify_identity(app: &TestApp, email: &str) {
    let mut officer = platform::testkit::resident_signed_in_now(platform::principal::AccountId::new());
    officer.roles.push(platform::principal::Role::Officer);
    officer.scopes.push(identity::real_name::VERIFIER_SCOPE.to_owned());
    let officer = app.sign_in_as(&officer).await;
    let verified = officer
        .post_form(
            "/en/officer/real-name",
            &[
                ("email", email),
                ("kind", "hkid"),
                ("number", "A123456(3)"),
                ("name", "CHAN Tai Man"),
                ("birthdate", "1980-01-02"),
            ],
        )
        .await;
    assert_eq!(verified.status(), 200);
}
