//! The scanner page over HTTP: served to anyone in three languages, its
//! texts handed to the script, no inline script, its modules linked by
//! hashed names, and the service worker keeping it with what it loads.

use platform::both_backends;
use platform::testkit::Backend;

use crate::support::app;

async fn the_scanner_page_is_served_and_kept_for_offline_use(backend: Backend) {
    let app = app(backend).spawn().await;
    let c = app.client();
    for (lang, title) in [("en", "Check a health certificate"), ("zh-hk", "核實健康證明"), ("zh-cn", "核验健康证明")]
    {
        let r = c.get(&format!("/{lang}/credentials/scan")).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{html}");
        assert!(html.contains(r#"data-bundle="/api/v1/credentials/trust-bundle""#));
        assert!(html.contains(r#"aria-live="polite""#));
        // The texts the script shows, as a JSON data block (not a script).
        let start = html.find(r#"<script type="application/json" id="credentials-scanner-texts">"#).unwrap();
        let json = &html[html[start..].find('>').unwrap() + start + 1..];
        let json = &json[..json.find("</script>").unwrap()];
        let texts: serde_json::Value = serde_json::from_str(json).unwrap();
        assert!(texts["lists-age"].as_str().unwrap().contains("{hours}"), "{texts}");
        assert!(texts["reason-bad-signature"].as_str().unwrap().len() > 5);
        // Every other script has a source: no inline script.
        assert_eq!(
            html.matches("<script").count(),
            html.matches("<script type=\"application/json\"").count() + html.matches(" src=\"/assets/").count()
        );
    }

    // The page's script imports the check by its hashed name.
    let html = c.get("/en/credentials/scan").await.text().await.unwrap();
    let script = html
        .split("src=\"")
        .filter_map(|s| s.split('"').next())
        .find(|s| s.contains("credentials-scanner."))
        .unwrap()
        .to_owned();
    let js = c.get(&script).await.text().await.unwrap();
    let verify = js.split("from \"./").nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert!(verify.starts_with("credentials-verify.") && verify.len() > "credentials-verify.js".len(), "{verify}");
    assert_eq!(c.get(&format!("/assets/{verify}")).await.status(), 200);

    // The worker keeps the page in every language and every module it loads.
    let sw = c.get("/sw.js").await.text().await.unwrap();
    assert!(
        sw.contains(r#"const PAGES = ["/en/credentials/scan","/zh-hk/credentials/scan","/zh-cn/credentials/scan"]"#),
        "{sw}"
    );
    for module in [
        "credentials-scanner.",
        "credentials-verify.",
        "credentials-cbor.",
        "credentials-base45.",
        "credentials-cose.",
        "credentials-der.",
        "credentials-step.",
    ] {
        assert!(sw.contains(&format!("/assets/{module}")), "{module} missing from {sw}");
    }
    app.stop().await;
}
both_backends!(the_scanner_page_is_served_and_kept_for_offline_use);
