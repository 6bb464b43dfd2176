//! Helpers of the scanner's tests: the app (credentials with its real trust
//! bundle at `/api/v1/credentials/trust-bundle`), a credential issued by the
//! server's own document signer and its forged counterpart, and QR images.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use platform::testkit::{Backend, TestApp, TestAppBuilder};

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The app with the credentials module.
pub fn app(backend: Backend) -> TestAppBuilder {
    TestApp::builder().module(credentials::module()).backend(backend)
}

/// A vaccination for Chan Tai Man (born 1980-02-29, second of two doses 30
/// days ago), issued by the server (`records::store::issue`, signed by its
/// document signer).
pub async fn issue(app: &TestApp) -> String {
    let date = time::OffsetDateTime::now_utc().date() - time::Duration::days(30);
    let request = credentials::records::Request {
        kind: "vaccination".into(),
        document_kind: "hkid".into(),
        document_number: "A123456(3)".into(),
        family_name: "Chan".into(),
        given_name: "Tai Man".into(),
        birth_date: "1980-02-29".into(),
        product: "EU/1/20/1528".into(),
        dose_number: "2".into(),
        doses_in_series: "2".into(),
        date: date.to_string(),
        ..credentials::records::Request::default()
    };
    credentials::records::store::issue(&app.state, "cli", &request).await.unwrap().hc1
}

/// The same code with its signature altered (its last byte): the kid still
/// names our signer, the signature no longer verifies.
pub fn forge(hc1: &str) -> String {
    let mut cose = hcert::envelope::open(hc1).unwrap();
    *cose.last_mut().unwrap() ^= 0x01;
    hcert::envelope::seal(&cose)
}

/// The trust bundle as served.
pub async fn bundle(app: &TestApp) -> serde_json::Value {
    app.client().get("/api/v1/credentials/trust-bundle").await.json().await.unwrap()
}

/// Decodes standard or URL-safe base64.
pub fn b64(text: &str) -> Vec<u8> {
    let normal = text.replace('-', "+").replace('_', "/");
    let padded = format!("{normal}{}", "=".repeat((4 - normal.len() % 4) % 4));
    STANDARD.decode(padded).unwrap()
}

/// The QR image of `text` as a PNG file (4 px modules, a 4-module quiet zone).
pub fn qr_png(text: &str, dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let (width, colors) = (code.width(), code.to_colors());
    let (scale, quiet) = (4, 4);
    let side = (width + 2 * quiet) * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = ((i % width + quiet) * scale, (i / width + quiet) * scale);
            for dy in 0..scale {
                pixels[(y + dy) * side + x..(y + dy) * side + x + scale].fill(0);
            }
        }
    }
    let path = dir.join(name);
    let mut encoder = png::Encoder::new(std::fs::File::create(&path).unwrap(), side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header().unwrap().write_image_data(&pixels).unwrap();
    path
}
