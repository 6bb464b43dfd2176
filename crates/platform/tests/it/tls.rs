//! Built-in HTTPS: served with the configured certificate, HSTS and
//! `Secure` `__Host-` cookies on; bad certificate files stop start-up.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use platform::app::{AppState, Server, StartError};
use platform::testkit::TestApp;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn openssl(args: &[&str], dir: &Path) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl {args:?}");
}

/// A test CA and a `localhost` server certificate it signed, made with the
/// openssl CLI; returns (CA certificate, server chain, server key).
fn certificates(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let (ca, ca_key) = (format!("{name}-ca.crt"), format!("{name}-ca.key"));
    let (crt, key, csr, ext) =
        (format!("{name}.crt"), format!("{name}.key"), format!("{name}.csr"), format!("{name}.ext"));
    let mut args = vec!["req", "-x509", "-days", "2", "-subj", "/CN=lionrock test CA", "-keyout", &ca_key, "-out", &ca];
    args.extend(ec);
    openssl(&args, dir);
    let mut args = vec!["req", "-subj", "/CN=localhost", "-keyout", &key, "-out", &csr];
    args.extend(ec);
    openssl(&args, dir);
    std::fs::write(dir.join(&ext), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n").unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &crt,
            "-extfile",
            &ext,
        ],
        dir,
    );
    (dir.join(ca), dir.join(crt), dir.join(key))
}

async fn https_get(addr: std::net::SocketAddr, ca: &Path, path: &str) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(ca).unwrap()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    tls.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn serves_https_with_hsts_and_secure_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path(), "server");
    let (c, k) = (cert.clone(), key.clone());
    let app = TestApp::builder()
        .config(move |config| {
            config.server.tls_cert_file = Some(c);
            config.server.tls_key_file = Some(k);
        })
        .spawn()
        .await;
    let response = https_get(app.addr, &ca, "/en/").await;
    let head = response.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("strict-transport-security: max-age="), "{head}");
    assert!(head.contains("set-cookie: __host-lr_anon=") && head.contains("; secure"), "{head}");

    // Plain HTTP to the TLS port gets no page.
    let plain = reqwest::Client::new().get(format!("http://{}/en/", app.addr)).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

/// Tries to start a server with these certificate and key files.
async fn bind_error(app: &TestApp, cert: PathBuf, key: PathBuf) -> StartError {
    let mut config = app.state.config.clone();
    config.server.tls_cert_file = Some(cert);
    config.server.tls_key_file = Some(key);
    let modules = [platform::app::platform_module()];
    let state = AppState::with_db(config, platform::crypto::Keys::ephemeral(), &modules, app.db().clone()).unwrap();
    Server::bind(state, &modules, "127.0.0.1:0".parse().unwrap()).await.err().expect("start-up must fail")
}

#[tokio::test]
async fn bad_certificate_files_stop_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = certificates(dir.path(), "one");
    let (_, _, other_key) = certificates(dir.path(), "two");
    let app = TestApp::spawn().await;

    let err = bind_error(&app, cert.clone(), other_key).await;
    assert!(matches!(err, StartError::Tls(_)));
    assert!(
        err.to_string().starts_with("server.tls_key_file: ") && err.to_string().contains("does not match"),
        "{err}"
    );

    let err = bind_error(&app, dir.path().join("missing.crt"), key.clone()).await;
    assert!(err.to_string().starts_with("server.tls_cert_file: "), "{err}");

    let err = bind_error(&app, key.clone(), key).await;
    assert!(
        err.to_string().starts_with("server.tls_cert_file: ") && err.to_string().contains("no certificate"),
        "{err}"
    );
}

/// A TLS test app whose listener allows `max` handshakes in flight, each
/// for `timeout_secs`; returns it with its CA certificate.
async fn tls_app(dir: &Path, max: u32, timeout_secs: u64) -> (TestApp, PathBuf) {
    let (ca, cert, key) = certificates(dir, "server");
    let app = TestApp::builder()
        .config(move |config| {
            config.server.tls_cert_file = Some(cert);
            config.server.tls_key_file = Some(key);
            config.server.tls_max_handshakes = max;
            config.server.tls_handshake_timeout_secs = timeout_secs;
        })
        .spawn()
        .await;
    (app, ca)
}

#[tokio::test]
async fn handshakes_in_flight_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let (app, ca) = tls_app(dir.path(), 2, 60).await;
    // Two connections that never send a ClientHello take both slots.
    let idle = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let _idle_too = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    // A real client connects behind them, and its handshake waits: without
    // the cap it would be served at once, long before this.
    let addr = app.addr;
    let mut client = tokio::spawn(async move { https_get(addr, &ca, "/healthz").await });
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut client).await.is_err(),
        "the third handshake waits while two are in flight"
    );
    // A slot frees (the idle client goes away) and the waiting one is served.
    drop(idle);
    let response = tokio::time::timeout(Duration::from_secs(30), client).await.expect("served").unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[tokio::test]
async fn slow_handshakes_time_out_and_free_their_slot() {
    let dir = tempfile::tempdir().unwrap();
    let (app, ca) = tls_app(dir.path(), 1, 1).await;
    // This connection holds the only slot and never says a word...
    let _idle = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    // ...until its handshake times out; then the real client gets the slot.
    let response = tokio::time::timeout(Duration::from_secs(30), https_get(app.addr, &ca, "/healthz"))
        .await
        .expect("served after the idle handshake timed out");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}
