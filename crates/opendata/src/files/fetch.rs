//! Link resources fetched into the historical archive: with
//! `[opendata] fetch_links`, the periodic job fetches each link (a file
//! elsewhere) of a public dataset at most once a day (claimed by one
//! conditional statement, so one server of many fetches it) and keeps a new
//! version when the bytes changed. Guarded: only http and https, no
//! redirects, a timeout, at most `max_upload_mb`, and never a loopback,
//! private, link-local or other internal address (every address the name
//! resolves to is checked, and the connection goes to the checked one)
//! unless `fetch_private_addresses` says so.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use platform::app::AppState;

use super::store::{self, StageError, Stager, Upload};
use crate::catalogue::store as catalogue;
use crate::catalogue::visible;

/// Links fetched per round of the job (each minute).
const PER_ROUND: usize = 10;

/// The periodic job: stale staged parts go; then, when configured, the links due.
pub async fn job(state: AppState) {
    store::job(state.clone()).await;
    let settings = crate::settings::of(&state);
    if !settings.fetch_links {
        return;
    }
    let due = match store::links_due(&state.db, PER_ROUND).await {
        Ok(due) => due,
        Err(error) => return tracing::warn!(%error, "could not list the links to fetch"),
    };
    for (resource_id, url) in due {
        match store::claim_fetch(&state.db, &resource_id).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                tracing::warn!(%error, "could not claim a link's fetch");
                continue;
            }
        }
        let outcome = match fetch_one(&state, &settings, &resource_id, &url).await {
            Ok(outcome) => outcome,
            Err(why) => {
                tracing::info!(resource = %resource_id, %why, "a link was not fetched");
                format!("failed: {why}")
            }
        };
        if let Err(error) = store::fetched(&state.db, &resource_id, &outcome).await {
            tracing::warn!(%error, "could not record a link's fetch");
        }
    }
}

/// Whether a link may reach `ip`: public addresses only, unless allowed.
pub fn reachable(ip: IpAddr, private_ok: bool) -> bool {
    if private_ok {
        return true;
    }
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => reachable(IpAddr::V4(v4), false),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

async fn fetch_one(
    state: &AppState,
    settings: &crate::settings::Settings,
    resource_id: &str,
    url: &str,
) -> Result<String, String> {
    let found = catalogue::resource(&state.db, resource_id).await.map_err(|e| e.to_string())?;
    let Some((resource, _)) = found.filter(|(_, d)| visible(d.state, d.private, false)) else {
        return Ok("skipped: not a public dataset's".to_owned());
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| "not a URL".to_owned())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("only http and https are fetched".to_owned());
    }
    let host = parsed.host_str().ok_or("no host")?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = parsed.port_or_known_default().ok_or("no port")?;
    let addresses: Vec<SocketAddr> =
        tokio::net::lookup_host((host.as_str(), port)).await.map_err(|e| format!("{host}: {e}"))?.collect();
    let Some(first) = addresses.first().copied() else { return Err(format!("{host}: no address")) };
    if let Some(bad) = addresses.iter().find(|a| !reachable(a.ip(), settings.fetch_private_addresses)) {
        return Err(format!("{host} is an internal address ({})", bad.ip()));
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(settings.fetch_timeout_secs))
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, first)
        .build()
        .map_err(|e| e.to_string())?;
    let mut response = client.get(parsed.clone()).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    let limit = settings.max_upload_bytes();
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(format!("larger than {} MB", settings.max_upload_mb));
    }
    let mut stager = Stager::new(limit);
    let part = stager.part().to_owned();
    let read = loop {
        match response.chunk().await {
            Ok(Some(bytes)) => match stager.write(&state.db, &bytes).await {
                Ok(()) => {}
                Err(StageError::TooLarge) => break Err(format!("larger than {} MB", settings.max_upload_mb)),
                Err(StageError::Db(e)) => break Err(e.to_string()),
            },
            Ok(None) => break Ok(()),
            Err(e) => break Err(e.to_string()),
        }
    };
    let staged = match read {
        Ok(()) => stager.finish(&state.db).await.map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    let staged = match staged {
        Ok(staged) => staged,
        Err(e) => {
            let _ = store::discard(&state.db, &part).await;
            return Err(e);
        }
    };
    let name = parsed.path_segments().and_then(|mut s| s.next_back()).unwrap_or("");
    let fetched = Upload { staged, filename: super::tidy_filename(name) };
    let media_type = super::media_type(&fetched.filename, &resource.format);
    match store::keep_fetched(state, resource_id, &fetched, &media_type).await {
        Ok(Some(v)) => Ok(format!("version {}", v.seq)),
        Ok(None) => Ok("unchanged".to_owned()),
        Err(e) => {
            let _ = store::discard(&state.db, &fetched.staged.part).await;
            Err(format!("{e:?}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_reached_unless_allowed() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = internal.parse().unwrap();
            assert!(!reachable(ip, false), "{internal}");
            assert!(reachable(ip, true), "{internal}");
        }
        for public in ["8.8.8.8", "203.198.0.1", "2001:4860:4860::8888"] {
            assert!(reachable(public.parse().unwrap(), false), "{public}");
        }
    }
}
