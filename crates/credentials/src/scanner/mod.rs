//! The offline scanner for venue staff: a page that checks DCC codes in the
//! browser against the signed trust bundle it keeps (the check is in
//! `assets/credentials-verify.js`; nothing is sent anywhere). This part
//! names the page, what it keeps offline, and the texts its script shows.

pub mod http;

use platform::module::OfflinePage;

/// The page's path under each language prefix.
pub const PATH: &str = "/credentials/scan";

/// The page's script (it imports the rest of the check).
pub const SCRIPT: &str = "credentials-scanner.js";

/// The fallback QR decoder's asset name (platform's, present when the build found it).
pub const QR_DECODER: &str = platform::assets::QR_DECODER;

/// Where the page gets the trust bundle.
pub const BUNDLE_URL: &str = "/api/v1/credentials/trust-bundle";

/// The scanner works offline after its first load.
pub const OFFLINE: OfflinePage = OfflinePage { path: PATH, assets: &[SCRIPT, QR_DECODER] };

/// The texts the script shows, by the suffix of their Fluent key
/// (`credentials-scan-<suffix>`), handed to it in the page.
pub const SCRIPT_TEXTS: &[&str] = &[
    "lists-loading",
    "lists-fresh",
    "lists-age-one",
    "lists-age",
    "lists-stale",
    "lists-none",
    "lists-kept",
    "bundle-csca-changed",
    "bundle-bad-signature",
    "bundle-malformed",
    "camera-looking",
    "camera-unavailable",
    "image-unavailable",
    "image-no-code",
    "image-error",
    "checking",
    "valid",
    "invalid",
    "name",
    "name-standard",
    "dob",
    "compare",
    "checked-stale",
    "kind-vaccination",
    "kind-test",
    "kind-recovery",
    "kind-exemption",
    "reason-prefix",
    "reason-base45",
    "reason-zlib",
    "reason-cbor",
    "reason-cose",
    "reason-claims",
    "reason-payload",
    "reason-algorithm",
    "reason-unknown-kid",
    "reason-bad-signature",
    "reason-not-yet-valid",
    "reason-expired",
    "reason-revoked",
    "reason-no-lists",
    "reason-key-usage",
    "rule-incomplete",
    "rule-too-soon",
    "rule-too-old",
    "rule-test-result",
    "rule-test-type",
    "rule-test-too-old",
    "rule-test-in-future",
    "rule-outside-validity",
    "rule-exemption-not-accepted",
    "rule-other",
];

/// Text for a script: `<` escaped, so it cannot end the `<script>` data block it sits in.
pub fn json_for_script(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_element() {
        let text = json_for_script(&serde_json::json!({ "a": "</script><b>&" }));
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["a"], "</script><b>&");
    }
}
