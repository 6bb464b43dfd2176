//! The landing page in three languages, language negotiation and the switcher.

use platform::testkit::TestApp;

#[tokio::test]
async fn landing_page_in_each_language() {
    let app = TestApp::spawn().await;
    let c = app.client();
    for (prefix, tag, title) in
        [("en", "en", "Public services"), ("zh-hk", "zh-HK", "公共服務"), ("zh-cn", "zh-CN", "公共服务")]
    {
        for path in [format!("/{prefix}/"), format!("/{prefix}")] {
            let r = c.get(&path).await;
            assert_eq!(r.status(), 200, "{path}");
            let html = r.text().await.unwrap();
            assert!(html.contains(&format!("<html lang=\"{tag}\">")), "{path}");
            assert!(html.contains(&format!("<h1>{title}</h1>")), "{path}");
            assert!(html.contains("class=\"skip-link\" href=\"#main\""), "{path}: skip link");
            assert!(html.contains("<main id=\"main\""), "{path}");
            // The switcher offers the same page in every language, marking the current one.
            for (p, t) in [("en", "en"), ("zh-hk", "zh-HK"), ("zh-cn", "zh-CN")] {
                assert!(html.contains(&format!("href=\"/{p}/\"")), "{path}: switcher to {p}");
                assert!(html.contains(&format!("hreflang=\"{t}\"")), "{path}");
            }
            assert!(html.contains(&format!("href=\"/{prefix}/\" aria-current=\"true\"")), "{path}");
            assert!(!html.contains("<script>") && !html.contains(" style="), "{path}: no inline script or style");
        }
    }
}

#[tokio::test]
async fn root_redirects_by_cookie_then_accept_language() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c.http.get(c.url("/")).header("accept-language", "zh-TW,zh;q=0.9,en;q=0.5").send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/zh-hk/");

    let r = c.http.get(c.url("/")).header("accept-language", "fr").send().await.unwrap();
    assert_eq!(r.headers()["location"], "/en/", "default language");

    // Visiting a prefixed page remembers the choice, which beats Accept-Language.
    let r = c.get("/zh-cn/").await;
    let set = r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert!(
        set.iter().any(|v| v.starts_with("lr_lang=zh-CN") && v.contains("HttpOnly") && v.contains("SameSite=Lax")),
        "{set:?}"
    );
    let r = c.http.get(c.url("/")).header("accept-language", "en").send().await.unwrap();
    assert_eq!(r.headers()["location"], "/zh-cn/");
}

#[tokio::test]
async fn default_language_is_configurable() {
    let app = TestApp::builder().config(|c| c.locale.default = platform::i18n::Lang::ZhHk).spawn().await;
    let r = app.client().get("/").await;
    assert_eq!(r.headers()["location"], "/zh-hk/");
}
