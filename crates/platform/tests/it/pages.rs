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

    // The weights decide, not the order; q=0 rules a language out.
    let r = c.http.get(c.url("/")).header("accept-language", "en;q=0.3, fr, zh-Hans;q=0.8").send().await.unwrap();
    assert_eq!(r.headers()["location"], "/zh-cn/");
    let r = c.http.get(c.url("/")).header("accept-language", "zh-HK;q=0").send().await.unwrap();
    assert_eq!(r.headers()["location"], "/en/");

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

#[tokio::test]
async fn the_pwa_shell_has_a_manifest_per_language_a_worker_and_an_offline_page() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let home = c.get("/zh-hk/").await.text().await.unwrap();
    assert!(home.contains(r#"<link rel="manifest" href="/zh-hk/manifest.webmanifest">"#), "{home}");

    let r = c.get("/zh-hk/manifest.webmanifest").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/manifest+json");
    let m: serde_json::Value = r.json().await.unwrap();
    assert_eq!(m["name"], "獅子山");
    assert_eq!(m["lang"], "zh-HK");
    assert_eq!(m["start_url"], "/zh-hk/");
    assert_eq!(m["display"], "standalone");
    for icon in m["icons"].as_array().unwrap() {
        let r = c.get(icon["src"].as_str().unwrap()).await;
        assert_eq!(r.status(), 200, "{icon}");
        assert_eq!(r.headers()["content-type"], icon["type"].as_str().unwrap());
    }
    let sizes: Vec<&str> = m["icons"].as_array().unwrap().iter().filter_map(|i| i["sizes"].as_str()).collect();
    assert!(sizes.contains(&"192x192") && sizes.contains(&"512x512"), "what phones want to install an app");

    let r = c.get("/sw.js").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let sw = r.text().await.unwrap();
    assert!(sw.contains(r#"["/en/offline","/zh-hk/offline","/zh-cn/offline"]"#), "{sw}");
    assert!(sw.contains(&app.state.assets.url("app.js")), "this build's assets");

    for (lang, text) in [("en", "You are offline"), ("zh-hk", "你已離線"), ("zh-cn", "你已离线")] {
        let r = c.get(&format!("/{lang}/offline")).await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains(text), "{lang}");
    }
}

/// A day ends at midnight where lionrock runs, not in UTC.
#[tokio::test]
async fn days_end_in_the_configured_time_zone() {
    let app = TestApp::builder().spawn().await;
    let date = time::Date::from_calendar_date(2026, time::Month::December, 1).unwrap();
    // Asia/Hong_Kong is UTC+8 all year: its day ends at 15:59:59 UTC.
    assert_eq!(app.state.end_of_day(date), date.with_hms(15, 59, 59).unwrap().assume_utc());
}
