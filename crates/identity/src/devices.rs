//! Devices named in words a resident recognises ("Chrome on Android"),
//! from the user-agent text a browser sent. That text is the browser's to
//! choose, so a page never shows it raw: a device we cannot name is
//! "Unknown device".

use platform::page::PageContext;

/// The browser and system a user-agent string names, in words a resident
/// recognises ("Chrome on Android"); None when it is not one we know.
fn browser_and_system(ua: &str) -> Option<(&'static str, &'static str)> {
    // Order matters: most browsers also claim to be Safari or Chrome.
    const BROWSERS: [(&str, &str); 9] = [
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    const SYSTEMS: [(&str, &str); 8] = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("Linux", "Linux"),
    ];
    let browser = BROWSERS.iter().find(|(token, _)| ua.contains(token)).map(|(_, name)| *name)?;
    let system = SYSTEMS.iter().find(|(token, _)| ua.contains(token)).map(|(_, name)| *name)?;
    Some((browser, system))
}

/// A device as the sessions and passkeys pages list it: named, or "Unknown device".
pub(crate) fn describe(ctx: &PageContext, ua: &str) -> String {
    known(ctx, ua).unwrap_or_else(|| ctx.t("security-device-unknown"))
}

/// A device named only by browser and system ("Chrome on Windows"), or
/// nothing: never the raw user-agent text, which the asking browser chose.
pub(crate) fn known(ctx: &PageContext, ua: &str) -> Option<String> {
    browser_and_system(ua)
        .map(|(browser, system)| ctx.t_with("security-device-name", &[("browser", browser), ("system", system)]))
}

#[cfg(test)]
mod tests {
    use super::browser_and_system;

    #[test]
    fn common_browsers_are_named() {
        let cases = [
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                Some(("Chrome", "Android")),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                Some(("Safari", "iPhone")),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                Some(("Edge", "Windows")),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0",
                Some(("Firefox", "macOS")),
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
                Some(("Samsung Internet", "Android")),
            ),
            ("curl/8.5.0", None),
        ];
        for (ua, expected) in cases {
            assert_eq!(browser_and_system(ua), expected, "{ua}");
        }
    }
}
