//! A real browser for page tests: Debian's headless Chromium driven through
//! chromedriver (fantoccini), axe-core run inside the page (zero serious or
//! critical violations allowed), and a screenshot saved when a check fails.
//!
//! Needs `LIONROCK_TEST_BROWSER` (path to chromedriver) and
//! `LIONROCK_TEST_AXE` (path to `axe.min.js`, installed by
//! `scripts/install-axe.sh`); `LIONROCK_TEST_CHROMIUM` names the browser
//! binary if it is not `/usr/bin/chromium`.

use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

pub const BROWSER_ENV: &str = "LIONROCK_TEST_BROWSER";
pub const AXE_ENV: &str = "LIONROCK_TEST_AXE";
pub const CHROMIUM_ENV: &str = "LIONROCK_TEST_CHROMIUM";

/// A headless Chromium session with its own chromedriver and profile.
pub struct Browser {
    pub client: Client,
    driver: Child,
    axe_source: String,
    _profile: tempfile::TempDir,
}

/// One accessibility problem axe found.
#[derive(Debug, Clone)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub targets: Vec<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

impl Browser {
    /// Starts a browser, or returns `None` (with the reason printed) when
    /// the browser suite is not configured; under `CI=true` that is a failure.
    pub async fn start() -> Option<Browser> {
        let driver_path = super::service_env(BROWSER_ENV, "browser")?;
        let axe_path = super::service_env(AXE_ENV, "browser (axe-core)")?;
        let axe_source = std::fs::read_to_string(&axe_path).unwrap_or_else(|e| panic!("{AXE_ENV}={axe_path}: {e}"));
        let chromium = std::env::var(CHROMIUM_ENV).unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let port = free_port();
        let mut driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            // Its own process group, so the browsers it starts die with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{BROWSER_ENV}={driver_path}: {e}"));
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-extensions",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..100 {
            match ClientBuilder::new(HttpConnector::new()).capabilities(caps.clone()).connect(&url).await {
                Ok(client) => {
                    return Some(Browser { client, driver, axe_source, _profile: profile });
                }
                Err(e) => {
                    last_error = e.to_string();
                    if let Ok(Some(status)) = driver.try_wait() {
                        panic!("chromedriver exited with {status}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("could not start a browser session: {last_error}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Signs this browser in as `principal` on `app` (a real session row and
    /// cookie), as the HTTP client's `sign_in_as` does.
    pub async fn sign_in_as(&self, app: &super::TestApp, principal: &crate::principal::Principal) {
        let token = crate::session::create(app.db(), principal, app.state.session_lifetimes(), Default::default())
            .await
            .expect("create session");
        // A cookie can only be set on the page's own origin.
        self.goto(&app.url("/healthz")).await;
        // Domain and SameSite must be explicit: WebDriver sends no domain as
        // null (refused) and no SameSite as None (which needs Secure).
        let cookie = fantoccini::cookies::Cookie::parse(format!(
            "{}={}; Domain={}; Path=/; HttpOnly; SameSite=Lax",
            crate::web::session_cookie_name(false),
            token.expose(),
            app.addr.ip()
        ))
        .expect("cookie");
        self.client.add_cookie(cookie).await.expect("set session cookie");
    }

    /// Gives the browser a virtual platform authenticator (WebDriver's
    /// WebAuthn extension): it creates and uses passkeys as a phone or
    /// laptop would, with the person always verified.
    pub async fn add_virtual_authenticator(&self) {
        let options = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        self.client
            .issue_cmd(AddVirtualAuthenticator(options))
            .await
            .expect("add a virtual authenticator (WebDriver WebAuthn extension)");
    }

    /// Runs axe-core (WCAG 2.1 A and AA rules) on the current page.
    pub async fn axe(&self) -> Vec<Violation> {
        self.client.execute(&self.axe_source, vec![]).await.expect("inject axe-core");
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] })
              .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact || '', help: v.help, targets: v.nodes.map(n => n.target.join(' ')) }))))
              .catch(e => done({ error: String(e) }));
        "#;
        let result = self.client.execute_async(script, vec![]).await.expect("run axe-core");
        if let Some(err) = result.get("error") {
            panic!("axe-core failed: {err}");
        }
        result
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|v: Value| Violation {
                id: v["id"].as_str().unwrap_or("").to_owned(),
                impact: v["impact"].as_str().unwrap_or("").to_owned(),
                help: v["help"].as_str().unwrap_or("").to_owned(),
                targets: v["targets"]
                    .as_array()
                    .map(|t| t.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Fails (after a screenshot) on any serious or critical axe violation.
    pub async fn assert_accessible(&self, name: &str) {
        let bad: Vec<Violation> =
            self.axe().await.into_iter().filter(|v| v.impact == "serious" || v.impact == "critical").collect();
        if !bad.is_empty() {
            let path = self.screenshot(name).await;
            panic!(
                "{name}: {} serious/critical accessibility violations (screenshot {}):\n{bad:#?}",
                bad.len(),
                path.display()
            );
        }
    }

    /// Saves a PNG of the viewport under `target/screenshots/`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{}.png", name.replace(['/', ' '], "_")));
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(&path, png);
        }
        path
    }

    /// Awaits `check`; on failure saves a screenshot named `name`, then panics.
    pub async fn check<T, E: std::fmt::Debug>(&self, name: &str, check: impl Future<Output = Result<T, E>>) -> T {
        match check.await {
            Ok(v) => v,
            Err(e) => {
                let path = self.screenshot(name).await;
                panic!("{name}: {e:?} (screenshot {})", path.display());
            }
        }
    }

    /// Text of the first element matching a CSS selector, waiting up to
    /// 30 s for it to appear (after a click the next page may still be
    /// loading on a busy machine).
    pub async fn wait_text(&self, css: &str) -> Result<String, fantoccini::error::CmdError> {
        self.client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css(css)).await?.text().await
    }

    /// Text of the first element matching a CSS selector.
    pub async fn text(&self, css: &str) -> Result<String, fantoccini::error::CmdError> {
        self.client.find(Locator::Css(css)).await?.text().await
    }

    /// Ends the session, the driver and its browsers.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// `POST /session/{id}/webauthn/authenticator` (W3C WebAuthn §11.3).
#[derive(Debug)]
struct AddVirtualAuthenticator(Value);

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/webauthn/authenticator", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

impl Drop for Browser {
    /// Also on a failed test: kill chromedriver's whole process group, so no
    /// Chromium outlives the test.
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill").args(["-s", "KILL", "--", &format!("-{pid}")]).status();
        }
    }
}
