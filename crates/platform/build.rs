//! Embeds the fallback QR decoder that pages reading QR codes share (jsQR,
//! from npm; served as platform's `qr-decoder.js`, used by `qr-camera.js`
//! where the browser has no BarcodeDetector) when the build finds it:
//! `LIONROCK_BUILD_QR_DECODER`, else the cache that
//! `scripts/install-qr-decoder.sh` fills. It is pinned here by the SHA-256
//! of the file (the script pins version and tarball integrity); any other
//! file stops the build. Without it the crate still builds (the README's
//! first command needs only the Rust toolchain): pages then read codes only
//! where the browser has BarcodeDetector (the credentials scanner takes
//! pasted codes and says image decoding is unavailable). Under `CI=true` a
//! missing decoder stops the build.

// A build script reports failure by panicking.
#![allow(clippy::expect_used)]

use std::path::PathBuf;

use sha2::Digest;

const VERSION: &str = "1.4.0";
const SHA256: &str = "bc40c8a15196236b2314db0856f72ca0b49980cd5413b8c852a7349f5fee0859";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=LIONROCK_BUILD_QR_DECODER");
    println!("cargo::rerun-if-env-changed=LIONROCK_TOOLS_DIR");
    println!("cargo::rerun-if-env-changed=CI");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let path = std::env::var_os("LIONROCK_BUILD_QR_DECODER").map(PathBuf::from).unwrap_or_else(|| {
        let tools = std::env::var_os("LIONROCK_TOOLS_DIR").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".cache/lionrock-tools")
        });
        tools.join(format!("jsqr-{VERSION}/node_modules/jsqr/dist/jsQR.js"))
    });
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => {
            println!("cargo::rerun-if-changed={}", path.display());
            let got = hex(&sha2::Sha256::digest(&bytes));
            assert!(
                got == SHA256,
                "{} is not jsQR {VERSION} (SHA-256 {got}, expected {SHA256}); run scripts/install-qr-decoder.sh",
                path.display()
            );
            bytes
        }
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "no QR decoder at {} and CI=true: the scanners must read pictures in CI (run scripts/services.sh ensure_qr_decoder)",
                path.display()
            )
        }
        Err(_) => {
            println!(
                "cargo::warning=no QR decoder at {}: QR codes are read only where the browser has BarcodeDetector (run scripts/install-qr-decoder.sh)",
                path.display()
            );
            Vec::new()
        }
    };
    let digest: [u8; 32] = sha2::Sha256::digest(&bytes).into();
    std::fs::write(out.join("qr-decoder.js"), &bytes).expect("write the decoder");
    std::fs::write(out.join("qr-decoder.sha256"), format!("{digest:?}")).expect("write its hash");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
