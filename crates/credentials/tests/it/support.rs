//! Test keys and a trust bundle: a test-only CSCA and document signer (the
//! same ones the JavaScript tests use), codes issued with hcert, QR images,
//! and a module serving the bundle at `/api/v1/credentials/trust-bundle`
//! as the server side will (its contract: payload, signature, csca).

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::DecodePrivateKey;
use platform::module::Module;
use platform::testkit::{Backend, TestApp, TestAppBuilder};

// Test-only keys (openssl, prime256v1); they sign nothing outside the tests.
const CSCA_CERT: &str = "MIIBqjCCAVGgAwIBAgIUBu3jqcDW8SX4E/25VJJtHcyoiyIwCgYIKoZIzj0EAwIwKjELMAkGA1UEBhMCSEsxGzAZBgNVBAMMEmxpb25yb2NrIHRlc3QgY3NjYTAgFw0yNjExMzAxOTQ4NThaGA8yMTI2MTEwNjE5NDg1OFowKjELMAkGA1UEBhMCSEsxGzAZBgNVBAMMEmxpb25yb2NrIHRlc3QgY3NjYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCiRg2azr0GeXZPoV79uMAw8g4v7ALj1xnA4TwKeeIDcPQtj10InxTDRYx6c8Z3F64p//lAMl0I6KaiC30wMuC+jUzBRMB0GA1UdDgQWBBQpv8qE71oYk9Iz6Vkn5FI3laEDQjAfBgNVHSMEGDAWgBQpv8qE71oYk9Iz6Vkn5FI3laEDQjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIC/hHxMYtAuhDp5WnRWJf60WJ+1nJ54onpWvkg9ISklzAiBxVoy5xuJpnr0mMl+o2O3Ov3AFnAVT1xJpCjUO87XGxg==";
const CSCA_KEY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg42LyV2SJBbA2LKGvfQg3R3vAvL0OHzts4Og86ZPRhQ+hRANCAAQokYNms69Bnl2T6Fe/bjAMPIOL+wC49cZwOE8CnniA3D0LY9dCJ8Uw0WMenPGdxeuKf/5QDJdCOimogt9MDLgv";
const DSC_CERT: &str = "MIIBqTCCAU+gAwIBAgIUAM3tV85rNmSv1tU6IWiUfYwc2FYwCgYIKoZIzj0EAwIwKTELMAkGA1UEBhMCSEsxGjAYBgNVBAMMEWxpb25yb2NrIHRlc3QgZHNjMCAXDTI2MTEzMDE5NDg1OVoYDzIxMjYxMTA2MTk0ODU5WjApMQswCQYDVQQGEwJISzEaMBgGA1UEAwwRbGlvbnJvY2sgdGVzdCBkc2MwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARFCd35tvbOTye9E3xQ4K5sG6vj4pirk7ictHHJJMYFXAdEkzD2ZTKPNzyV2ZY6BXI7BgGwvpB3Opruc296atMbo1MwUTAdBgNVHQ4EFgQUBglcZkKgoOin9LYAWMfMa4NImBQwHwYDVR0jBBgwFoAUBglcZkKgoOin9LYAWMfMa4NImBQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEA7OBkXQ7SksUjFGXIVpwKrs15rv/W1xPATiTBASQU3XgCIETK0DWIQ/ZjYZE0VuBvjdNjhHa4IJyLtV3IywLeeUDg";
const DSC_KEY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggBbdtJdhRQqLYpuXThd5S4OQCVTXvBfdnOb8WEFQ66WhRANCAARFCd35tvbOTye9E3xQ4K5sG6vj4pirk7ictHHJJMYFXAdEkzD2ZTKPNzyV2ZY6BXI7BgGwvpB3Opruc296atMb";

fn key(pkcs8: &str) -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_pkcs8_der(&STANDARD.decode(pkcs8).unwrap()).unwrap()
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The app with the credentials module and the bundle.
pub fn app(backend: Backend) -> TestAppBuilder {
    TestApp::builder().module(credentials::module()).module(bundle_module()).backend(backend)
}

/// A vaccination code for Chan Tai Man, signed by the test DSC, or (forged)
/// by another key under the DSC's kid.
pub fn code(forged: bool) -> String {
    let dsc = STANDARD.decode(DSC_CERT).unwrap();
    let signing = if forged { key(CSCA_KEY) } else { key(DSC_KEY) };
    let signer = hcert::Signer::Es256 { key: signing, kid: hcert::Kid::of_certificate(&dsc) };
    let today = time::OffsetDateTime::now_utc().date();
    let name = hcert::Name {
        r#fn: Some("Chan".into()),
        fnt: Some("CHAN".into()),
        gn: Some("Tai Man".into()),
        gnt: Some("TAI<MAN".into()),
    };
    let dose = hcert::Vaccination {
        tg: "840539006".into(),
        vp: "1119349007".into(),
        mp: "EU/1/20/1528".into(),
        ma: "ORG-100030215".into(),
        dn: 2,
        sd: 2,
        dt: (today - time::Duration::days(30)).to_string(),
        co: "HK".into(),
        is: "Department of Health".into(),
        ci: "URN:UVCI:01:HK:SCANNER1#S".into(),
    };
    let dcc = hcert::Dcc::vaccination(name, "1980-02-29", dose);
    let claims = hcert::Claims { issuer: Some("HK".into()), issued_at: now() - 3600, expires_at: now() + 86_400 * 300 };
    hcert::encode(&dcc, &claims, &signer).unwrap()
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

/// The bundle, signed once per test binary.
fn bundle() -> &'static serde_json::Value {
    static BUNDLE: OnceLock<serde_json::Value> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        let dsc = STANDARD.decode(DSC_CERT).unwrap();
        let issued = time::OffsetDateTime::now_utc() - time::Duration::hours(3);
        let issued = issued.format(&time::format_description::well_known::Rfc3339).unwrap();
        let payload = serde_json::json!({
            "issuedAt": issued, "country": "HK",
            "dsc": [{ "kid": STANDARD.encode(hcert::Kid::of_certificate(&dsc).0), "country": "HK",
                      "certificateType": "DSC", "thumbprint": "", "timestamp": issued, "rawData": DSC_CERT }],
            "revoked": [],
            "rules": { "version": 3, "validFrom": issued,
              "vaccination": { "minDaysAfterCompleteDose": 14, "maxDaysAfterLastDose": 365 },
              "test": { "maxHoursSinceSample": { "LP6464-4": 72, "LP217198-3": 48 }, "acceptedResult": "260415000" },
              "recovery": { "minDaysAfterFirstPositive": 11, "useCertificateValidity": true },
              "exemption": { "accepted": true } },
            "staleAfterHours": 48
        });
        let bytes = serde_json::to_vec(&payload).unwrap();
        let signature: p256::ecdsa::Signature = key(CSCA_KEY).sign(&bytes);
        serde_json::json!({
            "payload": URL_SAFE_NO_PAD.encode(&bytes),
            "signature": URL_SAFE_NO_PAD.encode(signature.to_bytes()),
            "csca": CSCA_CERT,
        })
    })
}

async fn serve_bundle() -> axum::response::Response {
    ([(header::CACHE_CONTROL, "no-cache")], axum::Json(bundle().clone())).into_response()
}

fn bundle_api() -> platform::openapi::ApiRouter {
    platform::openapi::ApiRouter::new().route(credentials::scanner::BUNDLE_URL, axum::routing::get(serve_bundle))
}

/// Serves the bundle as the trust-list side will (a test stand-in).
fn bundle_module() -> Module {
    Module { api: bundle_api, ..Module::named("test-bundle") }
}
