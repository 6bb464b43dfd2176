//! Built-in HTTPS (optional; the usual deployment is behind a TLS proxy):
//! loads the PEM certificate and key named in the configuration, and a
//! listener that completes TLS handshakes concurrently, so one slow client
//! cannot hold up the others, before handing connections to the server.
//! Handshakes in flight are capped (`server.tls_max_handshakes`) and each
//! has a deadline (`server.tls_handshake_timeout_secs`), so idle or slow
//! connections cannot pile up without bound.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Why the certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {path}: {reason}")]
pub struct TlsConfigError {
    pub key: &'static str,
    pub path: String,
    pub reason: String,
}

/// Builds the TLS acceptor from PEM files (HTTP/1.1, TLS 1.2 and 1.3).
pub fn acceptor(cert_file: &Path, key_file: &Path) -> Result<TlsAcceptor, TlsConfigError> {
    let err = |key: &'static str, path: &Path, reason: String| TlsConfigError {
        key,
        path: path.display().to_string(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| err("server.tls_cert_file", cert_file, e.to_string()))?;
    if certs.is_empty() {
        return Err(err("server.tls_cert_file", cert_file, "no certificate in the file".to_owned()));
    }
    let key =
        PrivateKeyDer::from_pem_file(key_file).map_err(|e| err("server.tls_key_file", key_file, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err("server.tls_cert_file", cert_file, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| err("server.tls_key_file", key_file, format!("does not match the certificate: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A TCP listener whose connections arrive already decrypted.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Accepts on `tcp`, with at most `max_handshakes` TLS handshakes in
    /// flight, each given `handshake_timeout`.
    pub fn new(
        tcp: TcpListener,
        acceptor: TlsAcceptor,
        max_handshakes: usize,
        handshake_timeout: Duration,
    ) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let slots = Arc::new(Semaphore::new(max_handshakes.max(1)));
        let task = tokio::spawn(async move {
            loop {
                // A slot first, then a connection: beyond the cap, new
                // connections wait in the kernel's accept queue, costing
                // this process nothing.
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return; // never closed
                };
                let (stream, peer) = match tcp.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let handshake = tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await;
                    drop(slot);
                    match handshake {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { local, ready, task })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept task only ends when aborted, i.e. at shutdown.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
