//! Identity benchmark (`cargo bench -p lionrock --bench identity`): password
//! sign-ins per second, token-endpoint requests per second for code exchange
//! and refresh, and the server's resident memory at idle and under that
//! load, how soon an app sign-in's waiting browser hears of the
//! approval, and passkey sign-ins per second. Runs the real release binary on loopback, on SQLite, or on
//! PostgreSQL when `LIONROCK_BENCH_POSTGRES_URL` is set. Bounded: each phase
//! runs for `LIONROCK_BENCH_SECS` seconds (default 10).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use platform::testkit::webauthn::SoftAuthenticator;

const BIN: &str = env!("CARGO_BIN_EXE_lionrock");
const PASSWORD: &str = "tram harbour kite lantern";
const REDIRECT: &str = "https://rp.example.org/callback";
const CONCURRENCY: usize = 8;
const APP_SIGN_INS: usize = 50;

fn command(dir: &std::path::Path, pg: Option<&str>) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env("LIONROCK_LOG", "warn")
        .env("LIONROCK_LIMITS__GLOBAL_PER_IP_PER_SECOND", "1000000")
        .env("LIONROCK_LIMITS__SENSITIVE_PER_IP_PER_MINUTE", "100000000")
        .env("LIONROCK_LIMITS__SENSITIVE_PER_ACCOUNT_PER_MINUTE", "100000000");
    if let Some(url) = pg {
        cmd.env("LIONROCK_DATABASE__URL", url).env("LIONROCK_DATABASE__MAX_CONNECTIONS", "16");
    }
    cmd
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn meta(html: &str) -> String {
    let start = html.find("name=\"csrf-token\" content=\"").unwrap() + 27;
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn sign_in(base: &str) -> reqwest::Client {
    let c = client();
    let token = meta(&c.get(format!("{base}/en/sign-in")).send().await.unwrap().text().await.unwrap());
    let r = c
        .post(format!("{base}/en/sign-in"))
        .form(&[("email", "bench@example.org"), ("password", PASSWORD), ("_csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "sign-in failed");
    c
}

/// Runs `op` from `CONCURRENCY` tasks for `secs`; returns completed operations per second.
async fn rate<F, Fut>(secs: u64, op: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (op, done, stop) = (op.clone(), done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if op().await {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn query_param(location: &str, name: &str) -> String {
    url::Url::parse(location).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap()
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let secs: u64 = std::env::var("LIONROCK_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let pg = std::env::var("LIONROCK_BENCH_POSTGRES_URL").ok();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child =
            command(dir.path(), pg.as_deref()).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "lionrock {args:?} failed");
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["keys", "init"], None);
    run(&["users", "create", "--email", "bench@example.org", "--password-stdin"], Some(PASSWORD));
    let created: serde_json::Value = serde_json::from_str(&run(
        &["clients", "create", "--name", "Bench", "--redirect-uri", REDIRECT, "--json"],
        None,
    ))
    .unwrap();
    let (client_id, secret) =
        (created["client_id"].as_str().unwrap().to_owned(), created["client_secret"].as_str().unwrap().to_owned());

    let mut server = command(dir.path(), pg.as_deref())
        .args(["serve", "--json", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    let base = info["url"].as_str().unwrap().to_owned();
    let pid = server.id();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(pid);

    let peak = Arc::new(AtomicU64::new(idle));
    let sampling = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    // 1. Password sign-ins: a fresh browser each time (page for the CSRF token, then the form).
    let b = base.clone();
    let sign_ins = rate(secs, move || {
        let b = b.clone();
        async move {
            let c = client();
            let Ok(page) = c.get(format!("{b}/en/sign-in")).send().await else { return false };
            let token = meta(&page.text().await.unwrap_or_default());
            let r = c
                .post(format!("{b}/en/sign-in"))
                .form(&[("email", "bench@example.org"), ("password", PASSWORD), ("_csrf", &token)])
                .send()
                .await;
            r.is_ok_and(|r| r.status() == 303)
        }
    })
    .await;

    // 2. Code exchange: a signed-in browser with consent given asks for a code, the client exchanges it.
    let browser = sign_in(&base).await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let authorize = format!(
        "{base}/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid&code_challenge={challenge}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let consent = browser.get(&authorize).send().await.unwrap().text().await.unwrap();
    let token = meta(&consent);
    // The form carries only the pending request's ID.
    let at = consent.find("name=\"pending\" value=\"").unwrap() + 22;
    let pending = &consent[at..at + consent[at..].find('"').unwrap()];
    let r = browser
        .post(format!("{base}/oauth/authorize/consent"))
        .form(&[("pending", pending), ("decision", "allow"), ("_csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "consent");
    let (b, id, s, a) = (base.clone(), client_id.clone(), secret.clone(), authorize.clone());
    let plain = reqwest::Client::new();
    let exchanges = rate(secs, move || {
        let (b, id, s, a, browser, plain) =
            (b.clone(), id.clone(), s.clone(), a.clone(), browser.clone(), plain.clone());
        async move {
            let Ok(r) = browser.get(&a).send().await else { return false };
            let Some(loc) = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned) else {
                return false;
            };
            let code = query_param(&loc, "code");
            let r = plain
                .post(format!("{b}/oauth/token"))
                .basic_auth(&id, Some(&s))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", verifier),
                ])
                .send()
                .await;
            r.is_ok_and(|r| r.status() == 200)
        }
    })
    .await;

    // 3. Refresh: each task rotates its own refresh token.
    let browser = sign_in(&base).await;
    let mut refresh_tokens = Vec::new();
    for _ in 0..CONCURRENCY {
        let r = browser.get(&authorize).send().await.unwrap();
        let code = query_param(r.headers()["location"].to_str().unwrap(), "code");
        let t: serde_json::Value = reqwest::Client::new()
            .post(format!("{base}/oauth/token"))
            .basic_auth(&client_id, Some(&secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        refresh_tokens.push(t["refresh_token"].as_str().unwrap().to_owned());
    }
    let slots: Arc<Vec<tokio::sync::Mutex<String>>> =
        Arc::new(refresh_tokens.into_iter().map(tokio::sync::Mutex::new).collect());
    let next = Arc::new(AtomicU64::new(0));
    let (b, id, s) = (base.clone(), client_id.clone(), secret.clone());
    let plain = reqwest::Client::new();
    let refreshes = rate(secs, move || {
        let (b, id, s, slots, next, plain) =
            (b.clone(), id.clone(), s.clone(), slots.clone(), next.clone(), plain.clone());
        async move {
            let i = (next.fetch_add(1, Ordering::Relaxed) as usize) % slots.len();
            let mut slot = slots[i].lock().await;
            let Ok(r) = plain
                .post(format!("{b}/oauth/token"))
                .basic_auth(&id, Some(&s))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", slot.as_str())])
                .send()
                .await
            else {
                return false;
            };
            let Ok(t) = r.json::<serde_json::Value>().await else { return false };
            match t["refresh_token"].as_str() {
                Some(new) => {
                    *slot = new.to_owned();
                    true
                }
                None => false,
            }
        }
    })
    .await;
    // 4. App sign-in: from the phone's approval to the waiting browser's long poll answering.
    let phone = sign_in(&base).await;
    let mut latencies = Vec::new();
    for _ in 0..APP_SIGN_INS {
        let waiting = client();
        let page = waiting.get(format!("{base}/en/sign-in/app")).send().await.unwrap().text().await.unwrap();
        let id = page.split("name=\"id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let code = page.split("/en/sign-in/approve?c=").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let approve_page = phone.get(format!("{base}/en/sign-in/approve?c={code}")).send().await.unwrap();
        let token = meta(&approve_page.text().await.unwrap());
        let poll = {
            let (waiting, url) = (waiting.clone(), format!("{base}/sign-in/app/status?id={id}"));
            tokio::spawn(async move { waiting.get(url).send().await.unwrap().text().await.unwrap() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await; // let the poll be held
        let start = Instant::now();
        let r = phone
            .post(format!("{base}/en/sign-in/approve"))
            .form(&[("c", code.as_str()), ("decision", "approve"), ("_csrf", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "approve");
        assert!(poll.await.unwrap().contains("approved"));
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let worst = latencies[latencies.len() - 1];

    // 5. Passkey sign-ins: the phone adds a passkey (a software authenticator
    // that keeps no counter, as synced passkeys do), then fresh browsers sign
    // in with it: sign-in page, options, the authenticator's answer.
    let origin = base.replace("127.0.0.1", "localhost");
    let passkey = Arc::new(std::sync::Mutex::new(SoftAuthenticator::new(origin).synced()));
    let token = meta(&phone.get(format!("{base}/en/account/passkeys")).send().await.unwrap().text().await.unwrap());
    let options: serde_json::Value = phone
        .post(format!("{base}/en/account/passkeys/options"))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let answer = passkey.lock().unwrap().create(&options).to_string();
    let r = phone
        .post(format!("{base}/en/account/passkeys"))
        .form(&[("name", "Bench"), ("credential", answer.as_str()), ("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "add a passkey");
    let b = base.clone();
    let passkey_sign_ins = rate(secs, move || {
        let (b, passkey) = (b.clone(), passkey.clone());
        async move {
            let c = client();
            let Ok(page) = c.get(format!("{b}/en/sign-in")).send().await else { return false };
            let token = meta(&page.text().await.unwrap_or_default());
            let Ok(r) = c.post(format!("{b}/en/sign-in/passkey/options")).header("x-csrf-token", &token).send().await
            else {
                return false;
            };
            let Ok(options) = r.json::<serde_json::Value>().await else { return false };
            let answer = passkey.lock().unwrap().get(&options, true).to_string();
            let r = c
                .post(format!("{b}/en/sign-in/passkey"))
                .form(&[("credential", answer.as_str()), ("_csrf", token.as_str())])
                .send()
                .await;
            r.is_ok_and(|r| r.status() == 303)
        }
    })
    .await;

    sampling.abort();
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = server.wait();

    let db = if pg.is_some() { "PostgreSQL" } else { "SQLite" };
    println!("identity benchmark, {db}, {CONCURRENCY} concurrent clients, {secs} s per phase, loopback");
    println!(
        "Argon2id m={} KiB t={} p={}",
        identity::password::M_COST,
        identity::password::T_COST,
        identity::password::P_COST
    );
    println!("| measure | value |");
    println!("|---|---:|");
    println!("| password sign-ins/s (sign-in page + form post, new browser each) | {sign_ins:.1} |");
    println!("| authorization-code exchanges/s (authorize redirect + token request) | {exchanges:.1} |");
    println!("| refresh-token grants/s (rotation) | {refreshes:.1} |");
    println!("| passkey sign-ins/s (sign-in page + options + answer, new browser each) | {passkey_sign_ins:.1} |");
    println!(
        "| app sign-in, approval to waiting browser told ({APP_SIGN_INS} runs) | median {:.1} ms, worst {:.1} ms |",
        median.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0
    );
    println!("| server RSS idle | {:.1} MiB |", idle as f64 / 1024.0);
    println!("| server RSS peak under load | {:.1} MiB |", peak.load(Ordering::Relaxed) as f64 / 1024.0);
}
